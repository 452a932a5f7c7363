# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Send a burst of numbered messages over SMTP and record which ones the server accepted.

    burst.py ADDRESS PORT RECIPIENT COUNT SESSIONS TAG

Each message's Subject is "TAG-<number>"; sessions run in parallel, each delivering its share
one message per transaction. Prints JSON: {"accepted": [numbers answered 250], "refused":
{number: reply or error}, "seconds": elapsed}. A refused message is not retried: the test is
whether every accepted one is delivered, not whether all are accepted.
"""
from __future__ import absolute_import, division, print_function

import json
import smtplib
import sys
import time
from concurrent.futures import ThreadPoolExecutor

TIMEOUT = 60


def send_share(address, port, recipient, tag, numbers):
    accepted, refused = [], {}
    session = None
    for number in numbers:
        message = ('From: burst@client.example.net\r\nTo: %s\r\nSubject: %s-%d\r\n'
                   'Message-ID: <%s-%d@client.example.net>\r\n\r\nburst body %d\r\n'
                   % (recipient, tag, number, tag, number, number))
        try:
            if session is None:
                session = smtplib.SMTP(address, port, timeout=TIMEOUT)
                session.ehlo('client.example.net')
            session.sendmail('burst@client.example.net', [recipient], message)
            accepted.append(number)
        except (smtplib.SMTPException, OSError) as exc:
            refused[number] = str(exc)
            session = None
    if session is not None:
        try:
            session.quit()
        except (smtplib.SMTPException, OSError):
            pass
    return accepted, refused


def main(argv):
    address, port, recipient, count, sessions, tag = argv
    count, sessions = int(count), int(sessions)
    shares = [list(range(first, count, sessions)) for first in range(sessions)]
    start = time.time()
    accepted, refused = [], {}
    with ThreadPoolExecutor(max_workers=sessions) as pool:
        for share_accepted, share_refused in pool.map(
                lambda share: send_share(address, int(port), recipient, tag, share), shares):
            accepted.extend(share_accepted)
            refused.update(share_refused)
    print(json.dumps({'accepted': sorted(accepted), 'refused': refused,
                      'seconds': round(time.time() - start, 1)}))


if __name__ == '__main__':
    main(sys.argv[1:])
