# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A search only the index can answer: a message is indexed, then its stored bytes are changed
behind Dovecot's back (tests/integration/targets/full_text_search). The index still holds the old
words; reading the mail finds only the new ones. So a search that finds the old words and not the
new ones was answered by the index - a bypassed index, or a fall-back to reading mail, answers
the other way round.

    index_probe.py --host H --port 993 --user U --password-file F append
        a new folder with one message holding OLD_WORDS, searched until found (so it is indexed)
    index_probe.py ... search
        {"old": {word: found?}, "new": {word: found?}} for OLD_WORDS and NEW_WORDS
    index_probe.py ... delete
        the folder, gone
The changed bytes on the host: every OLD_WORDS[i] replaced by NEW_WORDS[i] (same length in UTF-8).
"""
from __future__ import absolute_import, division, print_function

import argparse
import imaplib
import json
import ssl
import sys
import time

FOLDER = 'MailroomIndexProbe'
# A CJK word inside an unbroken run (only the CJK tokenizer's terms find it), and an English word.
OLD_WORDS = ['数据库', 'zebraword']
NEW_WORDS = ['东西南', 'yakkyword']
MESSAGE = (
    'From: probe@example.net\r\nTo: probe@example.test\r\nSubject: index probe\r\n'
    'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'
    '这是一个关于数据库索引的测试，请勿回复 zebraword\r\n')


def connect(args):
    context = ssl.create_default_context()
    # test hosts use a self-signed certificate; the TLS tests check certificates elsewhere
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    session = imaplib.IMAP4_SSL(args.host, args.port, ssl_context=context, timeout=120)
    with open(args.password_file) as handle:
        session.login(args.user, handle.read().strip())
    return session


def found(session, word):
    session.literal = word.encode('utf-8')
    status, data = session.uid('SEARCH', 'CHARSET', 'UTF-8', 'TEXT')
    if status != 'OK':
        raise RuntimeError('SEARCH %s: %r' % (word, data))
    return bool(data[0].split())


def append(session):
    session.delete(FOLDER)          # left by an interrupted run, if any (NO otherwise)
    session.create(FOLDER)
    status, data = session.append(FOLDER, None, None, MESSAGE.encode('utf-8'))
    if status != 'OK':
        raise RuntimeError('APPEND: %r' % data)
    session.select(FOLDER, readonly=True)
    deadline = time.time() + 60
    while not all(found(session, word) for word in OLD_WORDS):
        if time.time() > deadline:
            raise RuntimeError('the probe message is not found by its own words')
        time.sleep(1)
    return {'appended': True}


def search(session):
    session.select(FOLDER, readonly=True)
    return {'old': dict((word, found(session, word)) for word in OLD_WORDS),
            'new': dict((word, found(session, word)) for word in NEW_WORDS)}


def delete(session):
    status, data = session.delete(FOLDER)
    return {'deleted': status == 'OK', 'answer': data[0].decode('utf-8', 'replace') if data and data[0] else ''}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--host', required=True)
    parser.add_argument('--port', type=int, default=993)
    parser.add_argument('--user', required=True)
    parser.add_argument('--password-file', required=True)
    parser.add_argument('action', choices=['append', 'search', 'delete'])
    args = parser.parse_args(argv)
    session = connect(args)
    try:
        print(json.dumps({'append': append, 'search': search, 'delete': delete}[args.action](session),
                         ensure_ascii=False))
    finally:
        session.logout()
    return 0


if __name__ == '__main__':
    sys.exit(main())
