# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Users' mail from external POP3 servers: the fetcher program of the mailroom.server.external_pop3
role as the modules call it, and the external_pop3_account module's requests and answers.

The program (PROGRAM, run by PYTHON, root only) answers `admin` requests - one JSON object on
stdin, one on stdout, exit 0 when "ok" is true - and `apply`, which makes the timers follow the
policy file. Everything here is pure: the module runs the command, these functions build what it
sends and read what comes back. A password goes into the request on stdin only, never into the
command line, and nothing returned holds one.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re

PYTHON = '/usr/bin/python3'
PROGRAM = '/usr/local/lib/mailroom/mailroom-external-pop3'
ROLE = 'mailroom.server.external_pop3'
TLS_MODES = ('pop3s', 'starttls', 'none')
DEFAULT_PORTS = {'pop3s': 995, 'starttls': 110, 'none': 110}
# The account options of the put request, in the contract's order.
ACCOUNT_FIELDS = ('server', 'port', 'tls', 'login', 'password', 'keep', 'folder', 'paused')

# Anything below 0x20, DEL and the C1 controls (a line break would be a POP3 command of its own).
_CONTROL = re.compile(u'[\x00-\x1f\x7f-\x9f\u2028\u2029]')
MAX_TEXT = 1024


class AccountError(Exception):
    """Input refused before the program is called, or the program's refusal or failure."""


def command(subcommand):
    """The program's argv for a subcommand (`admin`, `apply`): never any user data."""
    return [PYTHON, PROGRAM, subcommand]


def program_installed():
    return os.path.isfile(PROGRAM)


def missing_program():
    return ('the external POP3 fetcher (%s) is not installed here: apply the %s role first' % (PROGRAM, ROLE))


def _shown(value):
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + '...'


def _text(option, value, spaces=True):
    """A required one-line string option."""
    if not isinstance(value, str) or not value:
        raise AccountError('%s must not be empty' % option)
    if _CONTROL.search(value):
        raise AccountError('%s must be one line without control characters (a line break, a tab)' % option)
    if not spaces and any(char.isspace() for char in value):
        raise AccountError('%s must not contain spaces: %s' % (option, _shown(value)))
    if len(value) > MAX_TEXT:
        raise AccountError('%s is longer than %d characters' % (option, MAX_TEXT))
    return value


def _bool(option, value):
    if value is not None and not isinstance(value, bool):
        raise AccountError('%s must be true or false, not %s' % (option, _shown(value)))
    return value


def port_of(tls, port):
    """The port to connect to: the one given, else 995 for pop3s and 110 for starttls and none."""
    if port is None:
        return DEFAULT_PORTS[tls]
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise AccountError('port must be a number from 1 to 65535, not %s' % _shown(port))
    return port


def build_request(params, check):
    """The admin request for the module's parameters (checked here as far as the host is not
    needed; the program checks the rest: the user, the server's name, the policy)."""
    state = params.get('state') or 'present'
    if state not in ('present', 'absent'):
        raise AccountError('state must be present or absent, not %s' % _shown(state))
    user = _text('user', params.get('user'), spaces=False)
    server = _text('server', params.get('server'), spaces=False)
    login = _text('login', params.get('login'))
    if state == 'absent':
        return {'op': 'remove', 'user': user, 'server': server, 'login': login, 'check': bool(check)}
    tls = params.get('tls') or 'pop3s'
    if tls not in TLS_MODES:
        raise AccountError('tls must be one of %s, not %s' % (', '.join(TLS_MODES), _shown(tls)))
    password = params.get('password')
    if password is not None:
        if password == '':
            raise AccountError('password must not be empty (leave it out to keep the stored password)')
        _text('password', password)
    folder = params.get('folder')
    if folder is not None:
        _text('folder', folder)
    account = {
        'server': server,
        'port': port_of(tls, params.get('port')),
        'tls': tls,
        'login': login,
        'password': password,
        'keep': _bool('keep', params.get('keep')),
        'folder': folder,
        'paused': _bool('paused', params.get('paused')),
    }
    return {'op': 'put', 'user': user, 'check': bool(check), 'account': account}


def encode(request):
    """The request as the program reads it: one JSON object, UTF-8, no line break needed."""
    return json.dumps(request, sort_keys=True).encode('utf-8')


def _public(view):
    """An account as shown: the program's public view, with any password key dropped."""
    if view is None:
        return None
    if not isinstance(view, dict):
        raise AccountError('the external POP3 program answered with an account that is not an object')
    return dict((name, value) for name, value in view.items() if name != 'password')


def interpret(rc, stdout, stderr, request, diff=False):
    """The module's result from the program's answer to `request`; AccountError when it refused
    (its own message) or failed (its exit code and stderr)."""
    text = stdout.decode('utf-8', 'replace') if isinstance(stdout, bytes) else (stdout or '')
    errors = stderr.decode('utf-8', 'replace') if isinstance(stderr, bytes) else (stderr or '')
    try:
        answer = json.loads(text) if text.strip() else None
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise AccountError('the external POP3 program (%s admin) failed with exit code %s and no answer: %s'
                           % (PROGRAM, rc, errors.strip() or '(nothing on stderr)'))
    if answer.get('ok') is not True:
        raise AccountError(str(answer.get('error') or 'the external POP3 program refused the request '
                                                      '(exit code %s) without saying why' % rc))
    if rc != 0:
        raise AccountError('the external POP3 program (%s admin) answered ok but exited with code %s: %s'
                           % (PROGRAM, rc, errors.strip() or '(nothing on stderr)'))
    before, after = _public(answer.get('before')), _public(answer.get('after'))
    result = {
        'changed': bool(answer.get('changed')),
        'account': after,
        'password_changed': bool(answer.get('password_changed')) if request.get('op') == 'put' else False,
    }
    if diff:
        # No account is an empty dict, as Ansible's diff shows it.
        result['diff'] = {'before': before or {}, 'after': after or {}}
    return result
