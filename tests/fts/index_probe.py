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

Delivered mail goes to INBOX, which also holds the search corpus, so its probe has words of its own:
    index_probe.py ... deliver --to ADDRESS [--smtp-port 25]
        one message holding DELIVERED_OLD over SMTP, waited for with FETCH (a SEARCH would index
        it); prints {"uid": N}
    index_probe.py ... search-delivered
        {"old": {...}, "new": {...}} for DELIVERED_OLD and DELIVERED_NEW in INBOX
    index_probe.py ... expunge --uid N
        that INBOX message, gone
"""
from __future__ import absolute_import, division, print_function

import argparse
import imaplib
import json
import smtplib
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
DELIVERED_OLD = ['quokkaword']
DELIVERED_NEW = ['wombatword']
DELIVERED_SUBJECT = 'delivery index probe'


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


def search(session, folder, old, new):
    session.select(folder, readonly=True)
    return {'old': dict((word, found(session, word)) for word in old),
            'new': dict((word, found(session, word)) for word in new)}


def deliver(session, args):
    session.select('INBOX', readonly=True)
    status, data = session.status('INBOX', '(UIDNEXT)')
    if status != 'OK':
        raise RuntimeError('STATUS: %r' % data)
    first_uid = int(data[0].decode().rsplit('UIDNEXT', 1)[1].strip(' )'))
    message = ('From: probe@example.net\r\nTo: %s\r\nSubject: %s\r\n\r\n'
               'a delivered message for the search index %s\r\n'
               % (args.to, DELIVERED_SUBJECT, ' '.join(DELIVERED_OLD)))
    with smtplib.SMTP(args.host, args.smtp_port, timeout=60) as smtp:
        smtp.sendmail('probe@example.net', [args.to], message.encode('ascii'))
    deadline = time.time() + 60
    while time.time() < deadline:
        session.noop()
        status, data = session.uid('FETCH', '%d:*' % first_uid, '(BODY.PEEK[HEADER.FIELDS (SUBJECT)])')
        for item in data:
            if isinstance(item, tuple) and DELIVERED_SUBJECT.encode() in item[1]:
                return {'uid': int(item[0].split(b'UID ')[1].split()[0])}
        time.sleep(0.5)
    raise RuntimeError('the delivered probe message did not arrive in INBOX')


def expunge(session, args):
    session.select('INBOX')
    session.uid('STORE', str(args.uid), '+FLAGS.SILENT', '(\\Deleted)')
    status, data = session.uid('EXPUNGE', str(args.uid))
    return {'expunged': status == 'OK'}


def delete(session):
    status, data = session.delete(FOLDER)
    return {'deleted': status == 'OK', 'answer': data[0].decode('utf-8', 'replace') if data and data[0] else ''}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--host', required=True)
    parser.add_argument('--port', type=int, default=993)
    parser.add_argument('--user', required=True)
    parser.add_argument('--password-file', required=True)
    parser.add_argument('--smtp-port', type=int, default=25)
    parser.add_argument('--to', help='recipient of the delivered probe')
    parser.add_argument('--uid', type=int, help='INBOX message to expunge')
    parser.add_argument('action', choices=['append', 'search', 'delete', 'deliver', 'search-delivered',
                                           'expunge'])
    args = parser.parse_args(argv)
    actions = {'append': append, 'delete': delete,
               'search': lambda session: search(session, FOLDER, OLD_WORDS, NEW_WORDS),
               'search-delivered': lambda session: search(session, 'INBOX', DELIVERED_OLD, DELIVERED_NEW),
               'deliver': lambda session: deliver(session, args),
               'expunge': lambda session: expunge(session, args)}
    session = connect(args)
    try:
        print(json.dumps(actions[args.action](session), ensure_ascii=False))
    finally:
        session.logout()
    return 0


if __name__ == '__main__':
    sys.exit(main())
