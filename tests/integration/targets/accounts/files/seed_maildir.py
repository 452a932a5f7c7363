# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fill a user's Maildir with a reproducible mailbox: several folders, flags, keywords, unread
mail in new/, and one large attachment. Usage: seed_maildir.py ROOT OWNER COUNT SEED"""
import base64
import os
import pwd
import random
import sys

FOLDERS = ['INBOX', 'Sent', 'Archive', 'Projects']
FLAGS = ['S', 'S', 'S', 'FS', 'RS', '', 'Sa', 'FRS']


def main(root, owner, count, seed):
    rng = random.Random(seed)
    user = pwd.getpwnam(owner)
    for folder in FOLDERS:
        base = root if folder == 'INBOX' else os.path.join(root, '.' + folder)
        for sub in ('cur', 'new', 'tmp'):
            os.makedirs(os.path.join(base, sub), exist_ok=True)
        with open(os.path.join(base, 'dovecot-keywords'), 'w') as handle:
            handle.write('0 $Forwarded\n')
    for index in range(count):
        folder = FOLDERS[index % len(FOLDERS)]
        base = root if folder == 'INBOX' else os.path.join(root, '.' + folder)
        body = ' '.join(rng.choice(['alpha', 'beta', 'gamma', 'delta', 'mail']) for _word in range(rng.randint(5, 80)))
        if index == 7:
            payload = base64.encodebytes(bytes(rng.getrandbits(8) for _byte in range(2 * 1024 * 1024))).decode()
            body = ('This is a multi-part message.\n--b\nContent-Type: text/plain\n\nsee attachment\n--b\n'
                    'Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n%s--b--\n'
                    % payload)
        message = ('From: sender%d@example.net\nTo: %s@example.test\nSubject: %s message %d\n'
                   'Message-ID: <seed-%s-%d@example.test>\n\n%s\n' % (index % 5, owner, folder, index, owner, index, body))
        name = '%d.seed%d_%d.mailhost' % (1700000000 + index, seed, index)
        if index % 11 == 0:
            path = os.path.join(base, 'new', name)
        else:
            path = os.path.join(base, 'cur', '%s:2,%s' % (name, rng.choice(FLAGS)))
        with open(path, 'w') as handle:
            handle.write(message)
    for directory, _dirs, files in os.walk(root):
        os.chown(directory, user.pw_uid, user.pw_gid)
        os.chmod(directory, 0o700)
        for name in files:
            os.chown(os.path.join(directory, name), user.pw_uid, user.pw_gid)
            os.chmod(os.path.join(directory, name), 0o600)


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
