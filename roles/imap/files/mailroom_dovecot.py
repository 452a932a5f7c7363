# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What Dovecot says about a user, for the programs other roles install beside this module in
/usr/local/lib/mailroom (the webmail's S/MIME key service, the external POP3 fetcher): whether a
password is the user's, and who the user is now (uid and home). Python's standard library only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import os
import socket
import subprocess

AUTH_SOCKET = '/run/dovecot/auth-client'
LOOKUP_TIMEOUT = 30


def authenticate(user, password, service, auth_socket=AUTH_SOCKET):
    """The canonical login when Dovecot accepts user and password, else None: Dovecot's
    authentication client protocol on its own socket (no password on any command line), PLAIN
    as the named service over a channel Dovecot is told is secured (a local socket)."""
    if not isinstance(user, str) or not isinstance(password, str) or not user or not password \
            or '\0' in user or '\0' in password:
        return None
    response = base64.b64encode(b'\0' + user.encode('utf-8') + b'\0' + password.encode('utf-8')).decode('ascii')
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(LOOKUP_TIMEOUT)
        conn.connect(auth_socket)
        stream = conn.makefile('rwb')
        stream.write(b'VERSION\t1\t2\nCPID\t%d\n' % os.getpid())
        stream.flush()
        # The server's handshake (its version, mechanisms) ends with DONE.
        while True:
            line = stream.readline(65536)
            if not line:
                return None
            if line.rstrip(b'\n') == b'DONE':
                break
        stream.write(('AUTH\t1\tPLAIN\tservice=%s\tsecured\tresp=%s\n' % (service, response)).encode('ascii'))
        stream.flush()
        answer = stream.readline(65536).rstrip(b'\n').decode('utf-8', 'replace').split('\t')
    if len(answer) >= 2 and answer[0] == 'OK' and answer[1] == '1':
        for field in answer[2:]:
            if field.startswith('user='):
                return field[len('user='):]
        return user
    return None


def start_owner_lookup(user):
    """`doveadm user` for a login, started now so that it can run beside the password check
    (both take about 10 ms); None for what is no login."""
    if not isinstance(user, str) or not user or '\0' in user:
        return None
    return subprocess.Popen(['doveadm', 'user', '--', user], stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def end_lookup(started):
    """Ends a lookup whose answer is not wanted any more: it is let finish (about 10 ms), never
    killed. Dovecot 2.4.1's auth process crashes (SIGSEGV) when a `doveadm user` goes away in the
    middle of its userdb lookup, and each LMTP process that held a connection to it then refuses
    its next delivery (451 "Temporary internal error"); only a lookup hung past LOOKUP_TIMEOUT is
    killed."""
    if started is None:
        return
    try:
        started.communicate(timeout=LOOKUP_TIMEOUT)
    except subprocess.TimeoutExpired:
        started.kill()
        started.communicate()


def account_owner(login, started=None):
    """Who the login is in Dovecot's userdb now (local or directory accounts): {'uid', 'home'},
    or None when there is no such user. `started`, a lookup of this very login already running
    (start_owner_lookup), is waited for instead of starting another."""
    process = started or start_owner_lookup(login)
    if process is None:
        return None
    try:
        stdout, _stderr = process.communicate(timeout=LOOKUP_TIMEOUT)
    finally:
        end_lookup(process)
    if process.returncode != 0:
        return None
    fields = {}
    for line in stdout.decode('utf-8', 'replace').splitlines():
        name, _tab, value = line.partition('\t')
        fields[name.strip()] = value.strip()
    return {'uid': fields.get('uid', ''), 'home': fields.get('home', '')}
