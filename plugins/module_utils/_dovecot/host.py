# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Dovecot on the managed host, as a daemon of the settings engine (see _engine/transaction.py).

Each settings area owns one file in <config_dir>/mailroom.d/, which the imap role's dovecot.conf
includes last. A change is first written into a copy of the whole config directory and checked
with `doveconf`; files the configuration names (TLS certificate and key) must be readable, since
`doveconf -n` passes without them while Dovecot refuses to reload or start.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil

from ansible_collections.mailroom.server.plugins.module_utils._engine import activation, atomic_file
from ansible_collections.mailroom.server.plugins.module_utils._engine.area import DOVECOT
from ansible_collections.mailroom.server.plugins.module_utils._engine.errors import DaemonError
from ansible_collections.mailroom.server.plugins.module_utils._dovecot import config as dovecot_config

UNIT = 'dovecot'
SETTINGS_DIR = 'mailroom.d'
# What Dovecot logs when a reload or start finds its configuration unusable.
ERROR_MARKERS = ('Fatal:', 'Panic:', 'Error reading configuration', 'config: Error')
# Settings whose value names a file ("<path" in 2.3) every TLS session needs.
FILE_SETTINGS = {
    dovecot_config.DIALECT_23: ('ssl_cert', 'ssl_key'),
    dovecot_config.DIALECT_24: ('ssl_server_cert_file', 'ssl_server_key_file'),
}


class DovecotError(DaemonError):
    """Dovecot refused a configuration; the message is Dovecot's own."""


class DovecotHost(object):
    """The live Dovecot configuration below one config directory."""

    name = DOVECOT

    def __init__(self, module, journal, config_dir='/etc/dovecot'):
        self.module = module
        self.journal = journal
        self.config_dir = config_dir
        self.doveconf = module.get_bin_path('doveconf', required=True)
        self.dovecot = module.get_bin_path('dovecot', required=True, opt_dirs=['/usr/sbin'])
        self._dialect = None
        self._live = None

    @property
    def dialect(self):
        if self._dialect is None:
            rc, out, err = self.module.run_command([self.dovecot, '--version'])
            if rc != 0:
                raise DovecotError('dovecot --version failed: %s' % (err or out).strip())
            try:
                self._dialect = dovecot_config.dialect_from_version(out)
            except ValueError as exc:
                raise DovecotError(str(exc))
        return self._dialect

    def settings_path(self, area):
        return os.path.join(self.config_dir, SETTINGS_DIR, area + '.conf')

    def _doveconf(self, config_file, secrets=False):
        """(parsed `doveconf -n`, doveconf's warnings) of a configuration file; with `secrets`,
        the values Dovecot hides (such as 2.3's ssl_key) are shown."""
        rc, out, err = self.module.run_command([self.doveconf, '-n'] + (['-P'] if secrets else []) + ['-c', config_file])
        if rc != 0:
            raise DovecotError('doveconf rejected the configuration: %s' % (err or out).strip())
        warnings = [line.strip() for line in err.splitlines() if 'Warning:' in line]
        return dovecot_config.parse_config(out), warnings

    @property
    def config_file(self):
        return os.path.join(self.config_dir, 'dovecot.conf')

    def _live_config(self):
        """(parsed `doveconf -n`, warnings) of the live configuration, read once per run: a run
        reads it for the current settings and again as the baseline of the staged check."""
        if self._live is None:
            self._live = self._doveconf(self.config_file)
        return self._live

    def effective(self):
        """Parsed `doveconf -n` of the live configuration."""
        return self._live_config()[0]

    def read_into(self, state):
        state.dialect = self.dialect
        state.dovecot = self.effective()

    def read_settings(self, area):
        return atomic_file.read_text(self.settings_path(area))

    @staticmethod
    def merge(named_edits):
        return dict(named_edits)

    def stage(self, edit, files=()):
        """Validate with {area: text} as the areas' files; return ({path: text}, staged values)."""
        changed = dict((self.settings_path(area), text) for area, text in edit.items()
                       if text != self.read_settings(area))
        if not changed and not files:
            return {}, {}
        return changed, {'dovecot': self.validate(changed, files)}

    def validate(self, texts, files=()):
        """Check the configuration with {live path: text} in place; return its parsed effect.

        Warnings doveconf did not give for the live configuration (such as a client_limit too low
        for the process limits under full load) are errors: the change would cause them.
        """
        if not os.path.isdir(os.path.join(self.config_dir, SETTINGS_DIR)):
            raise DovecotError('%s is missing: apply the mailroom.server.imap role first'
                               % os.path.join(self.config_dir, SETTINGS_DIR))
        live_warnings = self._live_config()[1]
        staged_texts = dict(texts)
        staged_texts.update((managed.path, managed.text) for managed in files)
        stage, staged_dir = self.journal.stage_config(self.config_dir, 'dovecot', staged_texts)
        try:
            config, warnings = self._doveconf(os.path.join(staged_dir, 'dovecot.conf'))
            self._check_files(self._doveconf(os.path.join(staged_dir, 'dovecot.conf'), secrets=True)[0])
        finally:
            shutil.rmtree(stage, ignore_errors=True)
        new = [warning for warning in warnings
               if warning.replace(staged_dir, self.config_dir) not in live_warnings]
        if new:
            raise DovecotError('doveconf warns about the new configuration: %s' % ' '.join(new))
        return config

    def _check_files(self, config):
        if config.get('ssl', 'yes') == 'no':
            return
        for name in FILE_SETTINGS[self.dialect]:
            # 2.3 reads "<path" (the file's contents); 2.4 names the file.
            path = (config.get(name) or '').lstrip('<').strip()
            if path and not os.access(path, os.R_OK):
                error = DovecotError('%s = %s: the file is missing or unreadable; Dovecot would refuse '
                                     'to reload or start with it' % (name, path))
                # A check changes nothing, and a role checked before its first run has not created it.
                if not self.module.check_mode:
                    raise error
                self.module.warn(str(error))

    def running(self):
        return activation.is_active(self.module, UNIT)

    def activate(self, action):
        activation.activate(self.module, UNIT, action, self.running, ERROR_MARKERS)
