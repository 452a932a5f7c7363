# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A large inbox written straight into Maildir, and what Roundcube asked IMAP for while showing it.

Delivering 10,000 messages over SMTP takes minutes; writing the files takes seconds, and Dovecot
indexes them once on the first look. Roundcube's IMAP debug log (imap_debug, file driver) names
the HTTP request of every IMAP connection in its ID command, so the commands of one page view can
be counted per request.
"""
from __future__ import absolute_import, division, print_function

import collections
import datetime
import os
import random
import re
from email.utils import format_datetime
from urllib.parse import parse_qs, urlsplit

SENDERS = ('Ada Lovelace <ada@example.net>', 'Grace Hopper <grace@example.org>',
           'Linus <linus@example.com>', '"Müller, Jörg" <joerg@example.de>',
           'Ōtsuka Aiko <aiko@example.jp>', 'Support <support@shop.example>')
WORDS = ('invoice', 'meeting', 'report', 'quarterly', 'lunch', 'deploy', 'review', 'travel',
         'budget', 'release', 'holiday', 'backup', 'server', 'draft', 'contract', 'update')

# "[date]: <session> [connection] C: A0001 COMMAND ..." and the connection's first line.
COMMAND_LINE = re.compile(r'\]: <[^>]*> \[(\w+)\] C: (A\d+) ([A-Z]+)')
CONNECT_LINE = re.compile(r'\]: <[^>]*> \[(\w+)\] Connecting to ')
ID_REQUEST = re.compile(r'"command" "([^"]*)"')

Request = collections.namedtuple('Request', 'request commands')


def message(index, seed, newest):
    """One plain-text message of a few hundred bytes to a few KiB, dated one hour apart going
    back from `newest` (a timezone-aware datetime); the same bytes for the same arguments."""
    rng = random.Random('%d-%d' % (seed, index))
    date = newest - datetime.timedelta(hours=index)
    subject = ' '.join(rng.choice(WORDS) for _word in range(rng.randint(2, 6)))
    body = '\r\n'.join(' '.join(rng.choice(WORDS) for _word in range(12))
                       for _line in range(rng.randint(3, 60)))
    text = ('From: %s\r\nTo: bench@example.test\r\nSubject: %s #%d\r\nDate: %s\r\n'
            'Message-ID: <bench-%d-%d@example.net>\r\nMIME-Version: 1.0\r\n'
            'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n%s\r\n'
            % (rng.choice(SENDERS), subject.capitalize(), index, format_datetime(date), seed, index,
               body))
    return text.encode('utf-8'), date


def maildir_name(index, date, size):
    """A Maildir file name for a seen message in cur/, with its size (S=) so Dovecot need not
    stat it."""
    return '%d.M%dP1.bench,S=%d:2,S' % (int(date.timestamp()), index, size)


def write_maildir(directory, count, seed=1, newest=None):
    """Write `count` seen messages into directory/cur (and empty new/, tmp/); returns bytes."""
    newest = newest or datetime.datetime.now(datetime.timezone.utc)
    for sub in ('cur', 'new', 'tmp'):
        os.makedirs(os.path.join(directory, sub), exist_ok=True)
    total = 0
    for index in range(count):
        raw, date = message(index, seed, newest)
        path = os.path.join(directory, 'cur', maildir_name(index, date, len(raw)))
        with open(path, 'wb') as stream:
            stream.write(raw)
        os.utime(path, (date.timestamp(), date.timestamp()))
        total += len(raw)
    return total


def imap_requests(log_text):
    """The IMAP commands in a Roundcube imap debug log, per connection in log order, each named
    by the HTTP request it served (from the ID command; '?' before it)."""
    requests = []
    current = {}
    for line in log_text.splitlines():
        connect = CONNECT_LINE.search(line)
        if connect:
            current[connect.group(1)] = len(requests)
            requests.append(Request('?', []))
            continue
        command = COMMAND_LINE.search(line)
        if not command:
            continue
        connection, _tag, name = command.groups()
        if connection not in current:
            current[connection] = len(requests)
            requests.append(Request('?', []))
        slot = current[connection]
        requests[slot].commands.append(name)
        named = ID_REQUEST.search(line) if name == 'ID' else None
        if named:
            requests[slot] = Request(named.group(1), requests[slot].commands)
    return requests


def request_name(url):
    """Roundcube's task and action of a request URL: 'mail/list', 'login', '?' if none."""
    query = parse_qs(urlsplit(url).query)
    task = query.get('_task', ['?'])[0]
    action = query.get('_action', [''])[0]
    return task + ('/' + action if action else '')


def percentile(values, share):
    """The nearest-rank percentile of `values` (share 0.5 = median, 0.95 = p95)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]
