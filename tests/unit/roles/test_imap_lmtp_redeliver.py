# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The imap role's mailroom-lmtp-redeliver: which deferred messages it picks from `postqueue -j`,
how it tells that LMTP answers again, and what it asks of a stand-in `postqueue`."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import stat
import tempfile

import pytest

from ansible_collections.mailroom.server.tests.unit.roles import role_program
from ansible_collections.mailroom.server.tests.unit.roles.roundcube_plugin import UnixSocketServer

redeliver = role_program.load('imap', 'mailroom-lmtp-redeliver', 'mailroom_lmtp_redeliver')

SOCKET = 'dovecot-lmtp'


def queued(queue_id, reasons, queue_name='deferred'):
    return json.dumps({
        'queue_name': queue_name, 'queue_id': queue_id, 'arrival_time': 1796132856,
        'sender': 'root@mail.example.test',
        'recipients': [{'address': 'rcpt%d@example.test' % number, 'delay_reason': reason}
                       for number, reason in enumerate(reasons)]})


REFUSED = 'connect to mail.example.test[private/dovecot-lmtp]: Connection refused'
SHUTTING_DOWN = ('host mail.example.test[private/dovecot-lmtp] said: 421 4.3.2 Server shutting down '
                 '(in reply to end of DATA command)')
REMOTE = 'connect to mx.example.net[192.0.2.7]:25: Connection timed out'


def test_picks_the_messages_an_lmtp_refusal_deferred():
    listing = '\n'.join([
        queued('A1', [REFUSED]),
        queued('B2', [REMOTE]),
        queued('C3', [REMOTE, SHUTTING_DOWN]),
        queued('D4', [REFUSED], queue_name='active'),
        queued('E5', [REFUSED], queue_name='hold'),
    ])
    assert redeliver.lmtp_deferred(listing, SOCKET) == ['A1', 'C3']


def test_another_socket_name_is_not_taken_for_this_one():
    listing = queued('A1', ['connect to mail.example.test[private/other-lmtp]: Connection refused'])
    assert redeliver.lmtp_deferred(listing, SOCKET) == []


@pytest.mark.parametrize('line', ['', 'not json', '[1, 2]', '{"queue_name": "deferred"}',
                                  '{"queue_name": "deferred", "queue_id": "X", "recipients": ["text"]}'])
def test_lines_that_are_no_deferred_message_are_passed_over(line):
    assert redeliver.lmtp_deferred(line + '\n' + queued('A1', [REFUSED]), SOCKET) == ['A1']


class Greeter(UnixSocketServer):
    def __init__(self, path, greeting):
        self.greeting = greeting
        UnixSocketServer.__init__(self, path)

    def handle(self, connection):
        connection.sendall(self.greeting)
        connection.recv(64)


@pytest.fixture
def folder():
    path = tempfile.mkdtemp(prefix='lmtp', dir='/tmp')
    yield path
    shutil.rmtree(path)


@pytest.mark.parametrize('greeting, answers', [
    (b'220 mail.example.test Dovecot ready.\r\n', True),
    (b'421 4.3.2 Server shutting down\r\n', False),
])
def test_greets_only_with_a_220_greeting(folder, greeting, answers):
    path = os.path.join(folder, SOCKET)
    server = Greeter(path, greeting)
    try:
        assert redeliver.greets(path) is answers
    finally:
        server.stop()


def test_no_listener_does_not_greet(folder):
    assert redeliver.greets(os.path.join(folder, SOCKET)) is False


def test_the_wait_for_a_greeting_ends_at_its_timeout(folder):
    now = [0.0]

    def sleep(seconds):
        now[0] += seconds

    assert redeliver.wait_for_greeting(os.path.join(folder, SOCKET), timeout=3, sleep=sleep,
                                       clock=lambda: now[0]) is False
    assert 3 <= now[0] < 3.5


def stand_in_postqueue(folder, listing, status=0):
    """A `postqueue` that prints `listing` for -j (exiting with `status`) and logs each -i ID."""
    with open(os.path.join(folder, 'listing'), 'w') as stream:
        stream.write(listing)
    program = os.path.join(folder, 'postqueue')
    with open(program, 'w') as stream:
        stream.write('#!/bin/sh\n'
                     'case "$1" in\n'
                     '  -j) cat "%(folder)s/listing"; exit %(status)d ;;\n'
                     '  -i) echo "$2" >> "%(folder)s/scheduled" ;;\n'
                     '  *) exit 64 ;;\n'
                     'esac\n' % dict(folder=folder, status=status))
    os.chmod(program, stat.S_IRWXU)
    return program


def scheduled(folder):
    path = os.path.join(folder, 'scheduled')
    if not os.path.exists(path):
        return []
    with open(path) as stream:
        return stream.read().split()


def test_each_lmtp_deferred_message_is_scheduled_now_and_only_those(folder):
    postqueue = stand_in_postqueue(folder, '\n'.join([queued('A1', [REFUSED]), queued('B2', [REMOTE]),
                                                      queued('C3', [SHUTTING_DOWN])]))
    assert redeliver.redeliver(postqueue, SOCKET) == ['A1', 'C3']
    assert scheduled(folder) == ['A1', 'C3']


def test_a_queue_that_cannot_be_read_schedules_nothing(folder):
    postqueue = stand_in_postqueue(folder, queued('A1', [REFUSED]), status=75)
    assert redeliver.redeliver(postqueue, SOCKET) is None
    assert scheduled(folder) == []
