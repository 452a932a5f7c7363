# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""keepalived on the managed host, as a daemon of the settings engine (see _engine/transaction.py).

The high_availability area owns /etc/keepalived/keepalived.conf whole. A change is written into a
staged copy and checked with `keepalived --config-test --use-file <copy>` (2.0 and later; Debian
12 has 2.2.7, 13 has 2.3.x) before the live file changes. `systemctl reload keepalived` (SIGHUP)
re-reads it; a VRRP instance whose settings did not change keeps its state, so a reload on the
node holding the virtual IP does not move it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil

from ansible_collections.mailroom.server.plugins.module_utils import _ha
from ansible_collections.mailroom.server.plugins.module_utils._engine import activation, atomic_file
from ansible_collections.mailroom.server.plugins.module_utils._engine.area import KEEPALIVED
from ansible_collections.mailroom.server.plugins.module_utils._engine.errors import DaemonError

UNIT = 'keepalived'
# The ha role's sync program: the mark that the role set the host up.
ROLE_FILE = '/usr/local/sbin/mailroom-ha-sync'
# What keepalived logs when it cannot use its configuration (reload keeps running on the old one).
ERROR_MARKERS = ('Unknown keyword', 'Configuration error', 'configuration error')


class KeepalivedError(DaemonError):
    """keepalived refused a configuration; the message is keepalived's own."""


def installed(module, role_file=ROLE_FILE):
    """Whether the ha role set the host up (every settings module opens the adapter where this
    holds, so a removed package must not fail them all)."""
    return os.path.isfile(role_file) and bool(module.get_bin_path('keepalived', opt_dirs=['/usr/sbin']))


class KeepalivedHost(object):
    """keepalived's configuration file."""

    name = KEEPALIVED

    def __init__(self, module, journal, config_file=_ha.KEEPALIVED_CONF, role_file=ROLE_FILE):
        self.module = module
        self.journal = journal
        self.config_file = config_file
        self.role_file = role_file

    def read_into(self, state):
        """The configuration file; None where the ha role did not set keepalived up (the area then
        says which role to apply)."""
        if not os.path.isfile(self.role_file):
            state.keepalived = None
            return
        state.keepalived = {'config': atomic_file.read_text(self.config_file)}

    @staticmethod
    def merge(named_edits):
        """One area owns the file: its text."""
        return named_edits[-1][1] if named_edits else None

    def stage(self, edit, files=()):
        """Validate the new text; return ({path: text}, staged State values)."""
        if edit is None or edit == atomic_file.read_text(self.config_file):
            return {}, {}
        self.validate(edit)
        return {self.config_file: edit}, {'keepalived': {'config': edit}}

    def validate(self, text):
        binary = self.module.get_bin_path('keepalived', required=True, opt_dirs=['/usr/sbin'])
        stage = self.journal.stage_dir('keepalived')
        try:
            staged = os.path.join(stage, 'keepalived.conf')
            atomic_file.write_staged(staged, text)
            rc, out, err = self.module.run_command([binary, '--config-test', '--use-file', staged])
        finally:
            shutil.rmtree(stage, ignore_errors=True)
        if rc != 0:
            raise KeepalivedError('keepalived rejected the configuration: %s'
                                  % (err or out).strip().replace(staged, self.config_file)[-2000:])

    def running(self):
        return activation.is_active(self.module, UNIT)

    def activate(self, action):
        activation.activate(self.module, UNIT, action, self.running, ERROR_MARKERS)
