# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Print what a Maildir++ store holds, names aside: {folder: sorted ["sha256 flags keywords"]},
plus totals. Usage: manifest.py ROOT"""
import hashlib
import json
import os
import sys


def keywords(folder):
    mapping = {}
    try:
        with open(os.path.join(folder, 'dovecot-keywords')) as handle:
            for line in handle:
                index, _sep, name = line.strip().partition(' ')
                mapping[chr(ord('a') + int(index))] = name
    except OSError:
        pass
    return mapping


def main(root):
    result, total = {}, 0
    folders = {'INBOX': root}
    if os.path.isdir(root):
        folders.update(('.' + entry[1:], os.path.join(root, entry)) for entry in os.listdir(root)
                       if entry.startswith('.') and os.path.isdir(os.path.join(root, entry, 'cur')))
    for name, folder in folders.items():
        names = keywords(folder)
        entries = []
        for sub in ('cur', 'new'):
            directory = os.path.join(folder, sub)
            for entry in os.listdir(directory) if os.path.isdir(directory) else ():
                info = entry.partition(':2,')[2]
                flags = ''.join(sorted(c for c in info if c.isupper()))
                kws = ','.join(sorted(names.get(c, '?') for c in info if c.islower()))
                with open(os.path.join(directory, entry), 'rb') as handle:
                    digest = hashlib.sha256(handle.read()).hexdigest()
                entries.append('%s %s %s' % (digest, flags, kws))
        if entries:
            result[name.lstrip('.')] = sorted(entries)
            total += len(entries)
    print(json.dumps({'folders': result, 'messages': total}))


if __name__ == '__main__':
    main(sys.argv[1])
