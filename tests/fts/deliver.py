# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Deliver the seeded FTS corpus to a mail host over SMTP and write its truth.

    python tests/fts/deliver.py --host 172.18.0.2 --port 25 --to alice@example.test \
        --count 400 --seed 7 --truth truth.json

One SMTP session carries all messages (8BITMIME for the 8-bit bodies); the truth file maps
every planted word to the Message-IDs that contain it (see cjk_corpus.py).
"""
from __future__ import absolute_import, division, print_function

import argparse
import json
import os
import smtplib
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cjk_corpus  # noqa: E402  (sibling module, run as a script)


def deliver(host, port, recipient, messages, sender='corpus@example.net'):
    session = smtplib.SMTP(host, port, timeout=60)
    try:
        session.ehlo('corpus.example.net')
        for message in messages:
            session.sendmail(sender, [recipient], message.raw, mail_options=['BODY=8BITMIME'])
    finally:
        session.quit()


def main(argv=None):
    parser = argparse.ArgumentParser(description='Deliver the FTS corpus over SMTP.')
    parser.add_argument('--host', required=True)
    parser.add_argument('--port', type=int, default=25)
    parser.add_argument('--to', required=True, dest='recipient')
    parser.add_argument('--count', type=int, default=400)
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--cjk-share', type=float, default=0.5)
    parser.add_argument('--truth', required=True)
    args = parser.parse_args(argv)
    corpus = cjk_corpus.generate(args.count, args.seed, args.cjk_share)
    deliver(args.host, args.port, args.recipient, corpus.messages)
    with open(args.truth, 'w') as handle:
        json.dump(dict((word, sorted(ids)) for word, ids in corpus.truth.items()), handle,
                  ensure_ascii=False, indent=1)
    print('delivered %d messages to %s' % (len(corpus.messages), args.recipient))
    return 0


if __name__ == '__main__':
    sys.exit(main())
