# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""fail2ban on the managed host, as a daemon of the settings engine (see _engine/transaction.py).

Each settings area owns one jail file, <config_dir>/jail.d/mailroom-<area>.local, which fail2ban
reads after Debian's jail.conf and jail.d/*.conf, so it wins over them. A change is written into
a copy of the whole config directory and checked with `fail2ban-client -c <copy> --test`, which
reads every file (the guard role's filter included) as the server would; the copy's `-d` dump
says what the jails really get, so an area can tell when another file overrides its jail.
`systemctl reload fail2ban` runs `fail2ban-client reload`, which keeps current bans; the change is
in effect once the server runs exactly the jails the files enable.

The functions below the adapter talk to the running server for the areas' follow-ups (bans
listed and lifted); they take a `host` (run_command, get_bin_path), never the module.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import os
import re
import shutil

from ansible_collections.mailroom.server.plugins.module_utils import _login_protection
from ansible_collections.mailroom.server.plugins.module_utils._engine import activation, atomic_file
from ansible_collections.mailroom.server.plugins.module_utils._engine.area import FAIL2BAN
from ansible_collections.mailroom.server.plugins.module_utils._engine.errors import DaemonError
from ansible_collections.mailroom.server.plugins.module_utils._fail2ban import config as fail2ban_config

CONFIG_DIR = '/etc/fail2ban'
# The guard role's filter: the mark that the role set the host up.
ROLE_FILE = os.path.join('filter.d', _login_protection.FILTER + '.conf')
JAIL_PREFIX = os.path.join('jail.d', 'mailroom-')
UNIT = 'fail2ban'
# What `fail2ban-client reload` prints into the unit's journal when it refuses the configuration
# (its exit code says so too). Not any "ERROR": where the server logs to the journal, a ban action
# of another jail failing now and then is no reason to undo this change.
ERROR_MARKERS = ('Failed during configuration', 'Errors in jail', 'Unable to read', 'test configuration failed')
# How long the server may take to (re)start its jails after the reload returned.
JAILS_TIMEOUT = 15

_SECTION = re.compile(r'\A\[([^\]]+)\]\s*\Z')


class Fail2banError(DaemonError):
    """fail2ban refused a configuration or a command; the message is fail2ban's own."""


def installed(module):
    """Whether the guard role laid down its filter and fail2ban is there to read it (every settings
    module opens the adapter where this holds, so a removed package must not fail them all)."""
    return os.path.isfile(os.path.join(CONFIG_DIR, ROLE_FILE)) and bool(module.get_bin_path('fail2ban-client'))


def jail_sections(texts):
    """(every jail the given jail files name, those they enable with `enabled = true`)."""
    named, enabled = set(), set()
    for text in texts:
        section = None
        for line in (text or '').splitlines():
            match = _SECTION.match(line)
            if match:
                section = match.group(1)
                named.add(section)
            elif section and line.replace(' ', '') == 'enabled=true':
                enabled.add(section)
    return named, enabled


class Fail2banHost(object):
    """The live fail2ban configuration below one config directory."""

    name = FAIL2BAN

    def __init__(self, module, journal, config_dir=CONFIG_DIR):
        self.module = module
        self.journal = journal
        self.config_dir = config_dir
        if not os.path.isfile(os.path.join(config_dir, ROLE_FILE)):
            raise Fail2banError('the login protection is not installed here (%s is missing): apply the '
                                'mailroom.server.guard role first' % os.path.join(config_dir, ROLE_FILE))
        self.client = module.get_bin_path('fail2ban-client', required=True)

    def settings_path(self, area):
        return os.path.join(self.config_dir, JAIL_PREFIX + area + '.local')

    def files(self):
        """{area: text} of the areas' jail files."""
        files = {}
        for path in sorted(glob.glob(os.path.join(self.config_dir, JAIL_PREFIX + '*.local'))):
            area = os.path.basename(path)[len('mailroom-'):-len('.local')]
            files[area] = atomic_file.read_text(path)
        return files

    def read_into(self, state):
        """The areas' jail files; what fail2ban makes of them is read only from a staged copy."""
        state.fail2ban = {'files': self.files(), 'jails': None}

    @staticmethod
    def merge(named_edits):
        return dict(named_edits)

    def stage(self, edit, files=()):
        """Validate with {area: text} as the areas' jail files; return ({path: text}, staged values)."""
        changed = dict((self.settings_path(area), text) for area, text in edit.items()
                       if text != atomic_file.read_text(self.settings_path(area)))
        if not changed and not files:
            return {}, {}
        jails = self.validate(changed, files)
        staged = self.files()
        staged.update(edit)
        return changed, {'fail2ban': {'files': staged, 'jails': jails}}

    def validate(self, texts, files=()):
        """`fail2ban-client --test` on a staged copy of the config directory with `texts` in place;
        return its jails as fail2ban sets them up (`-d`, parsed)."""
        staged_texts = dict(texts)
        staged_texts.update((managed.path, managed.text) for managed in files)
        stage, staged_dir = self.journal.stage_config(self.config_dir, 'fail2ban', staged_texts)
        try:
            for check in ('--test', '-d'):
                rc, out, err = self.module.run_command([self.client, '-c', staged_dir, check])
                if rc != 0:
                    raise Fail2banError('fail2ban rejected the configuration: %s'
                                        % (err or out).strip().replace(staged_dir, self.config_dir)[-2000:])
        finally:
            shutil.rmtree(stage, ignore_errors=True)
        return fail2ban_config.parse_dump(out)

    def running(self):
        return activation.is_active(self.module, UNIT)

    def activate(self, action):
        activation.activate(self.module, UNIT, action, self.running, ERROR_MARKERS)
        ours, wanted = jail_sections(self.files().values())

        def problems():
            running = set(jails(self.module))
            missing = sorted(wanted - running)
            left = sorted((ours - wanted) & running)
            return (['jails not running: %s' % ', '.join(missing)] if missing else []) + \
                (['jails still running: %s' % ', '.join(left)] if left else [])

        if not activation.wait_for(lambda: not problems(), JAILS_TIMEOUT):
            raise Fail2banError('fail2ban did not take the new configuration on %s: %s'
                                % (action, '; '.join(problems())))


def _client(host):
    return host.get_bin_path('fail2ban-client', required=True)


def jails(host):
    """The jails the running server has ([] when it does not answer)."""
    rc, out, _err = host.run_command([_client(host), 'status'])
    return _login_protection.parse_jails(out) if rc == 0 else []


def banned(host, jail):
    """The addresses `jail` bans now; None when the jail does not run (disabled, server stopped)."""
    rc, out, _err = host.run_command([_client(host), 'status', jail])
    return _login_protection.parse_banned(out) if rc == 0 else None


def unban(host, jail, address):
    """Lift the ban of one address in `jail`; Fail2banError with fail2ban's message if it fails."""
    rc, out, err = host.run_command([_client(host), 'set', jail, 'unbanip', address])
    if rc != 0:
        raise Fail2banError('fail2ban could not lift the ban of %s in %s: %s' % (address, jail, (err or out).strip()))
