# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""IMAP searches scored against the corpus truth: what a mail client really gets back.

    client = SearchClient('127.0.0.1', 993, 'alice', 'secret')
    ids = client.search('数据')          # Message-IDs of the messages UID SEARCH TEXT returns
    report = client.evaluate(truth)     # per word: found, missed, extra, seconds

Command line:
    python tests/fts/search_client.py --host 127.0.0.1 --port 993 --user U --password-file F \
        --truth truth.json [--mailbox INBOX] [--json]
"""
from __future__ import absolute_import, division, print_function

import argparse
import imaplib
import json
import re
import ssl
import sys
import time

_MESSAGE_ID = re.compile(rb'Message-ID:\s*(<[^>]+>)', re.IGNORECASE)
_UID = re.compile(rb'UID (\d+)')


class SearchError(Exception):
    pass


class SearchClient(object):
    """One IMAPS session on one mailbox; maps UIDs to Message-IDs once."""

    def __init__(self, host, port, user, password, mailbox='INBOX', timeout=600):
        context = ssl.create_default_context()
        # test hosts use a self-signed certificate; the TLS tests check certificates elsewhere
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        self.imap = imaplib.IMAP4_SSL(host, port, ssl_context=context, timeout=timeout)
        self.imap.login(user, password)
        status, _data = self.imap.select(mailbox, readonly=True)
        if status != 'OK':
            raise SearchError('cannot select %s' % mailbox)
        self.message_ids = self._map_message_ids()

    def _map_message_ids(self):
        status, data = self.imap.uid('FETCH', '1:*', '(UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])')
        if status != 'OK':
            raise SearchError('FETCH failed: %r' % data)
        mapping = {}
        for item in data:
            if not isinstance(item, tuple):
                continue
            uid, message_id = _UID.search(item[0]), _MESSAGE_ID.search(item[1])
            if uid and message_id:
                mapping[int(uid.group(1))] = message_id.group(1).decode('ascii')
        return mapping

    def search_uids(self, word, key='TEXT'):
        """UIDs of UID SEARCH CHARSET UTF-8 <key> <word>, the word sent as a literal."""
        self.imap.literal = word.encode('utf-8')
        status, data = self.imap.uid('SEARCH', 'CHARSET', 'UTF-8', key)
        if status != 'OK':
            raise SearchError('SEARCH %s %r failed: %r' % (key, word, data))
        return [int(uid) for uid in data[0].split()]

    def search(self, word, key='TEXT'):
        return set(self.message_ids.get(uid, 'uid:%d' % uid) for uid in self.search_uids(word, key))

    def evaluate(self, truth, key='TEXT'):
        """Per word: {'expected', 'found', 'missed', 'extra', 'seconds'} against the truth."""
        report = {}
        for word, expected in truth.items():
            started = time.monotonic()
            found = self.search(word, key)
            seconds = time.monotonic() - started
            expected = set(expected)
            report[word] = {
                'expected': len(expected), 'found': len(found & expected),
                'missed': sorted(expected - found), 'extra': sorted(found - expected),
                'seconds': seconds,
            }
        return report

    def close(self):
        try:
            self.imap.logout()
        except (imaplib.IMAP4.error, OSError):
            pass


def summarise(report):
    """(hits, expected, false positives) over all words of an evaluate() report."""
    hits = sum(entry['found'] for entry in report.values())
    expected = sum(entry['expected'] for entry in report.values())
    extra = sum(len(entry['extra']) for entry in report.values())
    return hits, expected, extra


def main(argv=None):
    parser = argparse.ArgumentParser(description='Score IMAP SEARCH results against a truth file.')
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=993)
    parser.add_argument('--user', required=True)
    parser.add_argument('--password-file', required=True)
    parser.add_argument('--truth', required=True)
    parser.add_argument('--mailbox', default='INBOX')
    parser.add_argument('--json', action='store_true', help='print the whole report as JSON')
    args = parser.parse_args(argv)
    with open(args.password_file) as handle:
        password = handle.read().strip()
    with open(args.truth) as handle:
        truth = json.load(handle)
    client = SearchClient(args.host, args.port, args.user, password, args.mailbox)
    try:
        report = client.evaluate(truth)
    finally:
        client.close()
    if args.json:
        json.dump(report, sys.stdout, ensure_ascii=False, indent=1)
        print()
    for word, entry in report.items():
        print('%-12s found %4d/%-4d extra %3d  %.3f s' % (
            word, entry['found'], entry['expected'], len(entry['extra']), entry['seconds']))
    hits, expected, extra = summarise(report)
    print('total found %d/%d, false positives %d' % (hits, expected, extra))
    return 0 if hits == expected and extra == 0 else 1


if __name__ == '__main__':
    sys.exit(main())
