# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a Maildir++ store holds, names aside: every message as "sha256 flags keywords", per folder.

Usage:
  manifest.py ROOT                  print {"folders": {folder: sorted entries}, "messages": N}
  manifest.py ROOT --save FILE      the same, also kept in FILE
  manifest.py ROOT --against FILE   compare with a manifest kept earlier, duplicates counted:
                                    {"messages": N, "missing": {folder: [entries]},
                                     "extra": {folder: [entries]}} - what the store lacks and
                                    what it holds beyond the kept one
"""
import collections
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


def manifest(root):
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
    return {'folders': result, 'messages': total}


def compare(now, kept):
    missing, extra = {}, {}
    for folder in sorted(set(now['folders']) | set(kept['folders'])):
        have = collections.Counter(now['folders'].get(folder, []))
        had = collections.Counter(kept['folders'].get(folder, []))
        if had - have:
            missing[folder] = sorted((had - have).elements())
        if have - had:
            extra[folder] = sorted((have - had).elements())
    return {'messages': now['messages'], 'missing': missing, 'extra': extra}


def main(argv):
    now = manifest(argv[1])
    if len(argv) == 4 and argv[2] == '--against':
        with open(argv[3]) as handle:
            print(json.dumps(compare(now, json.load(handle))))
        return 0
    if len(argv) == 4 and argv[2] == '--save':
        with open(argv[3], 'w') as handle:
            json.dump(now, handle)
    print(json.dumps(now))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
