# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks of a high-availability pair over the wire, printed as JSON, for the ha target's tasks.

Run from the Docker host (another network namespace than the mail hosts). Commands:
  send ADDRESS DOMAIN USER TAG FIRST COUNT   send COUNT messages on port 25 (Message-IDs
                                             <TAG-FIRST@...> on), each in its own transaction
  await ADDRESS DOMAIN USER TIMEOUT          seconds until an SMTP transaction on port 25 is
                                             accepted (retried every 0.2 s), or null after TIMEOUT
  ids ADDRESS USER PASSWORD TAG              the Message-IDs holding TAG in USER's INBOX (IMAPS),
                                             sorted, and how many messages are duplicates
"""
from __future__ import absolute_import, division, print_function

import json
import os
import smtplib
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mailclient import imap_login  # noqa: E402  pylint: disable=wrong-import-position
from probe import host  # noqa: E402  pylint: disable=wrong-import-position


def message_id(tag, number):
    return '<%s-%d@client.example.net>' % (tag, number)


def message(tag, number, recipient):
    return ('From: ha-probe@example.net\r\nTo: %s\r\nSubject: %s %d\r\nMessage-ID: %s\r\n\r\nha probe %s %d\r\n'
            % (recipient, tag, number, message_id(tag, number), tag, number))


def _send_one(address, recipient, body, timeout=10):
    session = smtplib.SMTP(address, 25, timeout=timeout)
    try:
        session.ehlo('client.example.net')
        session.sendmail('ha-probe@example.net', [recipient], body)
    finally:
        try:
            session.quit()
        except (smtplib.SMTPException, OSError):
            pass


def probe_send(address, domain, user, tag, first, count):
    recipient = '%s@%s' % (user, domain)
    sent = []
    for number in range(int(first), int(first) + int(count)):
        _send_one(address, recipient, message(tag, number, recipient))
        sent.append(message_id(tag, number))
    return {'sent': sent}


def probe_await(address, domain, user, timeout, clock=time.time, sleep=time.sleep, send=_send_one):
    recipient = '%s@%s' % (user, domain)
    start = clock()
    attempt = 0
    while clock() - start < float(timeout):
        attempt += 1
        try:
            send(address, recipient, message('await', attempt, recipient), timeout=2)
            return {'seconds': round(clock() - start, 2), 'attempts': attempt}
        except (smtplib.SMTPException, OSError, socket.timeout):
            sleep(0.2)
    return {'seconds': None, 'attempts': attempt}


def summarize(message_ids):
    """Sorted distinct Message-IDs and how many more messages there were than IDs."""
    distinct = sorted(set(message_ids))
    return {'ids': distinct, 'count': len(message_ids), 'duplicates': len(message_ids) - len(distinct)}


def probe_ids(address, user, password, tag):
    session = imap_login(host(address), user, password)
    try:
        session.select('INBOX', readonly=True)
        _typ, data = session.search(None, 'HEADER', 'Message-ID', tag)
        found = []
        for number in data[0].split():
            _typ, fetched = session.fetch(number, '(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])')
            header = fetched[0][1].decode('utf-8', 'replace')
            found.append(header.split(':', 1)[1].strip() if ':' in header else '')
    finally:
        session.logout()
    return summarize(found)


COMMANDS = {'send': probe_send, 'await': probe_await, 'ids': probe_ids}


def main(argv):
    print(json.dumps(COMMANDS[argv[0]](*argv[1:]), sort_keys=True))


if __name__ == '__main__':
    main(sys.argv[1:])
