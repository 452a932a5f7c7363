# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write COUNT messages into the running user's INBOX new/ as Maildir files, as a restore does.

Usage: unseen_messages.py COUNT   (run as the mailbox's owner)
"""
import os
import sys
import time


def main():
    count = int(sys.argv[1])
    new = os.path.expanduser('~/Maildir/new')
    host, now = os.uname()[1], int(time.time())
    for number in range(count):
        data = ('From: restore@example.net\nSubject: restored %d\nMessage-ID: <restored.%d.%d@example.net>\n'
                '\nrestored message %d\n' % (number, number, now, number)).encode()
        with open(os.path.join(new, '%d.M%dP%d.%s' % (now, number, os.getpid(), host)), 'wb') as stream:
            stream.write(data)


if __name__ == '__main__':
    main()
