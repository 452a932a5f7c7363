# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Mail from external POP3 servers: whether users may fetch it, and how.

Options: allowed, interval_minutes, max_accounts_per_user, allow_insecure, keep_on_server_default.
The mailroom.server.external_pop3 role installs the fetcher (PROGRAM) and writes the first version
of its policy file (POLICY, not allowed); this area owns that file from then on. The file is a
ManagedFile of no daemon, written atomically; once a change is written, the follow-up runs the
program's `apply`, which moves the timers to the policy (the interval, and per-user timers running
only while fetching is allowed). A failing `apply` fails the module with the program's stderr.

A file that is not exactly ours (not JSON, other keys) reads as unknown (None) values, so that
any change writes a whole valid file again; a value that is wrong on its own reads as None alone.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

from ansible_collections.mailroom.server.plugins.module_utils import _external_pop3 as _program
from ansible_collections.mailroom.server.plugins.module_utils._engine import atomic_file
from ansible_collections.mailroom.server.plugins.module_utils._engine.area import FollowUp, ManagedFile, Plan
from ansible_collections.mailroom.server.plugins.module_utils._engine.errors import HostError, SettingsError

NAME = 'external_pop3'
# No daemon: the fetcher reads the policy with every run; `apply` (the follow-up) moves the timers.
DAEMONS = ()
OPTIONS = ('allowed', 'interval_minutes', 'max_accounts_per_user', 'allow_insecure', 'keep_on_server_default')
ARGUMENT_SPEC = dict(
    allowed=dict(type='bool'),
    interval_minutes=dict(type='int'),
    max_accounts_per_user=dict(type='int'),
    allow_insecure=dict(type='bool'),
    keep_on_server_default=dict(type='bool'),
)

PROGRAM = _program.PROGRAM
PYTHON = _program.PYTHON
POLICY = '/etc/mailroom/external-pop3.json'
ROLE = _program.ROLE

# On a host where the policy was never set (or the file is not ours): the role's first file.
DEFAULTS = dict(allowed=False, interval_minutes=10, max_accounts_per_user=5, allow_insecure=False,
                keep_on_server_default=True)
# Whole-number options: (lowest, highest, what the number counts).
RANGES = dict(interval_minutes=(1, 1440, 'minutes between two fetch runs of a user'),
              max_accounts_per_user=(1, 100, 'external accounts a user may have'))
BOOLEANS = ('allowed', 'allow_insecure', 'keep_on_server_default')


def facts():
    """Whether the role installed the fetcher, and the policy file as stored."""
    try:
        text = atomic_file.read_text(POLICY)
    except HostError:
        # Unreadable or not UTF-8: unknown values, which any change replaces.
        text = ''
    return {'external_pop3_installed': os.path.isfile(PROGRAM), 'external_pop3_policy': text}


def unavailable(state):
    if not state.facts.get('external_pop3_installed'):
        return _program.missing_program()
    return None


# --- checking values -----------------------------------------------------------------------------------

def _shown(value):
    """A value for an error message, cut short (a hostile input may be long)."""
    try:
        text = repr(value)
    except ValueError:
        # An integer beyond Python's digit limit for str().
        text = 'a number of more than 4300 digits'
    return text if len(text) <= 80 else text[:77] + '...'


def checked(name, value):
    """A value of option `name`, or SettingsError naming the option and what it may be."""
    if name in BOOLEANS:
        if not isinstance(value, bool):
            raise SettingsError('external_pop3: %s must be true or false, not %s' % (name, _shown(value)))
        return value
    low, high, what = RANGES[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise SettingsError('external_pop3: %s must be a whole number (%s), not %s' % (name, what, _shown(value)))
    if not low <= value <= high:
        # Echoed cut short: a hostile number may have thousands of digits.
        raise SettingsError('external_pop3: %s must be %d to %d (%s), not %s' % (name, low, high, what, _shown(value)))
    return value


# --- the file -----------------------------------------------------------------------------------------

def parse(text):
    """The settings a file holds; every value None when it is absent or not exactly ours (not JSON,
    other keys), a value alone None when it is invalid."""
    unknown = dict((name, None) for name in OPTIONS)
    if not text:
        return unknown
    try:
        stored = json.loads(text)
    except ValueError:
        return unknown
    if not isinstance(stored, dict) or set(stored) != set(OPTIONS):
        return unknown
    settings = dict(unknown)
    for name in OPTIONS:
        try:
            settings[name] = checked(name, stored[name])
        except SettingsError:
            pass
    return settings


def render(settings):
    """The policy file the program reads (the contract: indent 1, sorted keys, a final line break)."""
    return json.dumps(dict((name, settings[name]) for name in OPTIONS), indent=1, sort_keys=True) + '\n'


# --- the area -----------------------------------------------------------------------------------------

def read(state):
    return parse(state.facts.get('external_pop3_policy'))


def read_staged(staged, wanted):
    """Nothing is staged: what the written file will read back as (render and parse agree)."""
    return parse(render(wanted))


def desired(current, options, state):
    """The given options, checked, over the current values; values neither given nor known take
    the defaults (the role's first file: not allowed, 10 minutes, 5 accounts, TLS only, keep)."""
    result = dict(current)
    for name in OPTIONS:
        if options.get(name) is not None:
            result[name] = checked(name, options[name])
    for name, value in DEFAULTS.items():
        if result[name] is None:
            result[name] = value
    return result


def plan(wanted, state):
    return Plan(files=[ManagedFile(POLICY, render(wanted), None, mode=0o644)])


def follow_up(host, current, wanted, state, outcome):
    """Once the policy is written (or was already as wanted), let the timers follow it: `apply`
    is idempotent, so an unchanged policy still repairs timers that drifted (a failed apply
    before, a timer stopped by hand) and reports changed only when it did something. Never in
    check mode, where the file is not written and apply would read the old one."""
    if host.check_mode:
        return FollowUp()
    rc, out, err = host.run_command(_program.command('apply'))
    if rc != 0:
        return FollowUp(failure='external_pop3: the policy was written, but the timers did not follow it (%s apply '
                                'exited with %s): %s' % (PROGRAM, rc, (err or '').strip() or '(nothing on stderr)'))
    try:
        timers = json.loads(out)
    except ValueError:
        timers = None
    if not isinstance(timers, dict):
        return FollowUp(warnings=['external_pop3: %s apply said nothing readable: %s' % (PROGRAM, _shown(out))])
    timers = dict(changed=bool(timers.get('changed')), started=list(timers.get('started') or []),
                  stopped=list(timers.get('stopped') or []))
    return FollowUp({'timers': timers}, changed=timers['changed'])
