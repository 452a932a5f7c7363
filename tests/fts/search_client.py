# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""IMAP searches scored against the corpus truth: what a mail client really gets back.

    client = SearchClient('127.0.0.1', 993, 'alice', 'secret')
    ids = client.search('数据')          # Message-IDs of the messages UID SEARCH TEXT returns
    report = client.evaluate(truth)     # per word: found, missed, extra, seconds

Command line (exit status 0 when the results are as --expect says):
    python tests/fts/search_client.py --host 127.0.0.1 --port 993 --user U --password-file F \
        --truth truth.json [--expect exact|no-cjk-runs] [--wait-count N] [--json]

--expect exact        every word finds exactly the messages that contain it
--expect no-cjk-runs  what CJK search off gives: English words exact, no false positives,
                      but CJK words inside longer runs missed (recall below 100 %)
"""
from __future__ import absolute_import, division, print_function

import argparse
import imaplib
import json
import re
import socket
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
        # The search word goes as a literal after the server's "+" prompt; without this, Nagle's
        # algorithm and delayed ACKs add ~40 ms to every search and swamp the server's time.
        self.imap.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
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

    def wait_for(self, count, timeout=120):
        """Wait until the mailbox holds `count` messages (delivery is asynchronous)."""
        deadline = time.monotonic() + timeout
        while True:
            self.imap.noop()
            status, data = self.imap.uid('SEARCH', 'ALL')
            held = len(data[0].split()) if status == 'OK' else 0
            if held >= count:
                self.message_ids = self._map_message_ids()
                return held
            if time.monotonic() > deadline:
                raise SearchError('mailbox holds %d messages, not %d, after %d s'
                                  % (held, count, timeout))
            time.sleep(1)

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


def is_cjk_word(word):
    return any(ord(char) > 0x1000 for char in word)


def judge(report, expect):
    """Problems of a report against the expectation; empty when it holds."""
    problems = []
    for word, entry in report.items():
        if entry['extra']:
            problems.append('%s: %d false positives' % (word, len(entry['extra'])))
        if (expect == 'exact' or not is_cjk_word(word)) and entry['missed']:
            problems.append('%s: %d of %d missed' % (word, len(entry['missed']), entry['expected']))
    if expect == 'no-cjk-runs':
        cjk = [entry for word, entry in report.items() if is_cjk_word(word)]
        if sum(entry['found'] for entry in cjk) >= sum(entry['expected'] for entry in cjk):
            problems.append('every CJK word was found: CJK search is still on, or the index was '
                            'not rebuilt with the plain tokenizer')
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description='Score IMAP SEARCH results against a truth file.')
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=993)
    parser.add_argument('--user', required=True)
    parser.add_argument('--password-file', required=True)
    parser.add_argument('--truth', required=True)
    parser.add_argument('--mailbox', default='INBOX')
    parser.add_argument('--expect', choices=('exact', 'no-cjk-runs'), default='exact')
    parser.add_argument('--wait-count', type=int, help='first wait for this many messages')
    parser.add_argument('--json', action='store_true', help='print the whole report as JSON')
    args = parser.parse_args(argv)
    with open(args.password_file) as handle:
        password = handle.read().strip()
    with open(args.truth) as handle:
        truth = json.load(handle)
    client = SearchClient(args.host, args.port, args.user, password, args.mailbox)
    try:
        if args.wait_count:
            client.wait_for(args.wait_count)
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
    problems = judge(report, args.expect)
    for problem in problems:
        print('NOT AS EXPECTED (%s): %s' % (args.expect, problem))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
