# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The webmail benchmark's inbox and its reading of Roundcube's IMAP debug log."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import email
import email.policy
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'browser'))

import inbox  # noqa: E402  pylint: disable=wrong-import-position

NEWEST = datetime.datetime(2026, 11, 30, 12, 0, tzinfo=datetime.timezone.utc)

LOG = """\
[30-Nov-2026 10:43:07 +0000]: <bfh6ot5j> [7704] Connecting to 127.0.0.1:10143...
[30-Nov-2026 10:43:07 +0000]: <bfh6ot5j> [7704] S: * OK [CAPABILITY IMAP4rev1] Dovecot ready.
[30-Nov-2026 10:43:07 +0000]: <bfh6ot5j> [7704] C: A0001 AUTHENTICATE PLAIN ****** [49]
[30-Nov-2026 10:43:07 +0000]: <bfh6ot5j> [7704] S: A0001 OK Logged in
[30-Nov-2026 10:43:07 +0000]: <bfh6ot5j> [7704] C: A0002 ID ("name" "Roundcube" "command" "/?_task=login")
[30-Nov-2026 10:43:07 +0000]: <bfh6ot5j> [7704] C: A0003 LIST (SPECIAL-USE) "" "*" RETURN (SUBSCRIBED)
[30-Nov-2026 10:43:07 +0000]: <po8e3s8o> [7704] C: A0004 LOGOUT
[30-Nov-2026 10:43:08 +0000]: <po8e3s8o> [DFBD] Connecting to 127.0.0.1:10143...
[30-Nov-2026 10:43:08 +0000]: <po8e3s8o> [1928] Connecting to 127.0.0.1:10143...
[30-Nov-2026 10:43:08 +0000]: <po8e3s8o> [DFBD] C: A0001 AUTHENTICATE PLAIN ****** [49]
[30-Nov-2026 10:43:08 +0000]: <po8e3s8o> [1928] C: A0001 AUTHENTICATE PLAIN ****** [49]
[30-Nov-2026 10:43:08 +0000]: <po8e3s8o> [DFBD] C: A0002 ID ("command" "/?_task=mail&_action=list&_mbox=INBOX")
[30-Nov-2026 10:43:08 +0000]: <po8e3s8o> [1928] C: A0002 ID ("command" "/?_task=mail&_action=getunread")
[30-Nov-2026 10:43:08 +0000]: <po8e3s8o> [DFBD] C: A0003 UID FETCH 1:50 (UID FLAGS)
[30-Nov-2026 10:43:08 +0000]: <po8e3s8o> [DFBD] S: * 1 FETCH (UID 1 FLAGS (\\Seen))
[30-Nov-2026 10:43:08 +0000]: <po8e3s8o> [1928] C: A0003 STATUS INBOX (MESSAGES UNSEEN)
"""


def test_messages_are_reproducible_and_parse():
    raw, date = inbox.message(7, 1, NEWEST)
    assert inbox.message(7, 1, NEWEST) == (raw, date)
    assert inbox.message(7, 2, NEWEST)[0] != raw
    assert date == NEWEST - datetime.timedelta(hours=7)
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed['Subject'].endswith('#7')
    assert parsed['Date'].datetime == date
    assert parsed.get_content_type() == 'text/plain'


def test_maildir_names_carry_size_and_seen_flag():
    assert inbox.maildir_name(3, NEWEST, 1234) == '%d.M3P1.bench,S=1234:2,S' % NEWEST.timestamp()


def test_write_maildir(tmp_path):
    size = inbox.write_maildir(str(tmp_path), 5, newest=NEWEST)
    names = sorted(os.listdir(str(tmp_path / 'cur')))
    assert len(names) == 5 and os.listdir(str(tmp_path / 'new')) == []
    assert size == sum(os.path.getsize(str(tmp_path / 'cur' / name)) for name in names)
    assert all(',S=%d:' % os.path.getsize(str(tmp_path / 'cur' / name)) in name for name in names)


def test_imap_commands_are_counted_per_connection_and_request():
    requests = inbox.imap_requests(LOG)
    assert [(inbox.request_name(request.request), request.commands) for request in requests] == [
        ('login', ['AUTHENTICATE', 'ID', 'LIST', 'LOGOUT']),
        ('mail/list', ['AUTHENTICATE', 'ID', 'UID']),
        ('mail/getunread', ['AUTHENTICATE', 'ID', 'STATUS']),
    ]


def test_a_connection_reused_after_connecting_again_is_a_new_request():
    log = LOG + LOG.splitlines()[0] + '\n' + LOG.splitlines()[2] + '\n'
    assert [len(request.commands) for request in inbox.imap_requests(log)] == [4, 3, 3, 1]


def test_request_names():
    assert inbox.request_name('/?_task=mail&_token=x') == 'mail'
    assert inbox.request_name('/?_task=mail&_action=list&_mbox=INBOX') == 'mail/list'
    assert inbox.request_name('/') == '?'


def test_percentile_nearest_rank():
    values = list(range(1, 21))
    assert inbox.percentile(values, 0.5) == 11
    assert inbox.percentile(values, 0.95) == 19
    assert inbox.percentile([5.0], 0.95) == 5.0
