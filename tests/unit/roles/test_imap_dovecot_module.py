# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The imap role's mailroom_dovecot.py, which the S/MIME key service and the external POP3
fetcher ask Dovecot with: the authentication client protocol against a socket playing Dovecot's
auth server, and the userdb lookup against a stand-in `doveadm` on PATH."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import os
import shutil
import stat
import tempfile

import pytest

from ansible_collections.mailroom.server.tests.unit.roles import role_program
from ansible_collections.mailroom.server.tests.unit.roles.roundcube_plugin import UnixSocketServer

role_program.files('imap')

import mailroom_dovecot as dovecot  # noqa: E402  pylint: disable=wrong-import-position

HANDSHAKE = b'VERSION\t1\t2\nMECH\tPLAIN\tplaintext\nMECH\tLOGIN\tplaintext\nSPID\t42\nCUID\t7\nCOOKIE\tabc\nDONE\n'


class AuthServer(UnixSocketServer):
    """Dovecot's auth-client socket as far as these requests go: alice/alice-pw, whom Dovecot
    names "alice" whatever case she logs in with; every AUTH line is kept."""

    def __init__(self, path):
        self.requests = []
        UnixSocketServer.__init__(self, path)

    def handle(self, connection):
        stream = connection.makefile('rwb')
        stream.write(HANDSHAKE)
        stream.flush()
        for line in stream:
            fields = line.rstrip(b'\n').decode().split('\t')
            if fields[0] != 'AUTH':
                continue
            self.requests.append(fields)
            options = dict(field.partition('=')[::2] for field in fields[4:])
            _zid, user, password = base64.b64decode(options['resp']).decode().split('\0')
            if user.lower() == 'alice' and password == 'alice-pw':
                stream.write(b'OK\t%s\tuser=alice\n' % fields[1].encode())
            else:
                stream.write(b'FAIL\t%s\tuser=%s\n' % (fields[1].encode(), user.encode()))
            stream.flush()
            return


@pytest.fixture
def auth_socket():
    folder = tempfile.mkdtemp(prefix='auth', dir='/tmp')
    path = os.path.join(folder, 'auth-client')
    server = AuthServer(path)
    yield path, server
    server.stop()
    shutil.rmtree(folder)


def test_a_right_password_gives_dovecots_name_for_the_user(auth_socket):
    path, server = auth_socket
    assert dovecot.authenticate('Alice', 'alice-pw', 'mailroom-smime', path) == 'alice'
    command, _id, mechanism = server.requests[0][:3]
    options = server.requests[0][3:]
    assert (command, mechanism) == ('AUTH', 'PLAIN')
    assert 'service=mailroom-smime' in options and 'secured' in options


def test_a_wrong_password_or_user_gives_none(auth_socket):
    path, _server = auth_socket
    assert dovecot.authenticate('alice', 'guess', 'mailroom-smime', path) is None
    assert dovecot.authenticate('mallory', 'alice-pw', 'mailroom-smime', path) is None


@pytest.mark.parametrize('user, password', [('', 'pw'), ('alice', ''), ('al\0ice', 'pw'), ('alice', 'p\0w'),
                                            (None, 'pw'), ('alice', 5)])
def test_what_is_no_login_is_not_asked(auth_socket, user, password):
    path, server = auth_socket
    assert dovecot.authenticate(user, password, 'mailroom-smime', path) is None
    assert server.requests == []


@pytest.fixture
def doveadm(tmp_path, monkeypatch):
    """A `doveadm` first on PATH that knows alice (uid 1000) and nobody else, as `doveadm user`
    prints its fields; each call's arguments are written to calls.txt."""
    script = tmp_path / 'doveadm'
    script.write_text('#!/bin/sh\n'
                      'echo "$@" >> %s\n'
                      'if [ "$1 $2 $3" = "user -- alice" ]; then\n'
                      '  printf "field\\tvalue\\nuid\\t1000\\ngid\\t1000\\nhome\\t/home/alice\\nmail\\tmaildir:~/Maildir\\n"\n'
                      '  exit 0\n'
                      'fi\n'
                      'echo "userdb lookup: user $3 does not exist" >&2\n'
                      'exit 67\n' % (tmp_path / 'calls.txt'))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv('PATH', '%s:%s' % (tmp_path, os.environ['PATH']))
    return tmp_path / 'calls.txt'


def test_the_owner_is_dovecots_uid_and_home(doveadm):
    assert dovecot.account_owner('alice') == {'uid': '1000', 'home': '/home/alice'}
    assert dovecot.account_owner('bob') is None
    # A login that starts with a dash is a login, not an option.
    assert dovecot.account_owner('-x') is None
    assert doveadm.read_text().splitlines() == ['user -- alice', 'user -- bob', 'user -- -x']


def test_a_lookup_no_longer_wanted_runs_to_its_end(doveadm, tmp_path):
    """Dovecot 2.4.1's auth process crashes when a doveadm user goes away in mid-lookup: ending a
    lookup lets it finish instead of killing it."""
    slow = tmp_path / 'doveadm'
    slow.write_text('#!/bin/sh\nsleep 0.3\necho finished >> %s\n' % doveadm)
    started = dovecot.start_owner_lookup('alice')
    dovecot.end_lookup(started)
    assert started.returncode == 0
    assert doveadm.read_text().splitlines() == ['finished']
    dovecot.end_lookup(None)


def test_a_started_lookup_is_waited_for_not_repeated(doveadm):
    started = dovecot.start_owner_lookup('alice')
    assert dovecot.account_owner('alice', started) == {'uid': '1000', 'home': '/home/alice'}
    assert doveadm.read_text().splitlines() == ['user -- alice']
    assert dovecot.start_owner_lookup('') is None and dovecot.start_owner_lookup('a\0b') is None
    assert dovecot.account_owner('') is None
