# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Dovecot on the managed host: effective config, staged validation of an override file, commit.

Each settings area owns one file in <config_dir>/mailroom.d/, which the imap role's dovecot.conf
includes last. A change is first written into a copy of the whole config directory and checked
with `doveconf`; only then does the live file change.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import tempfile

from ansible_collections.mailroom.server.plugins.module_utils._engine import atomic_file as _atomic_file
from ansible_collections.mailroom.server.plugins.module_utils._engine import activation as _daemon
from ansible_collections.mailroom.server.plugins.module_utils._dovecot import config as _dovecot

UNIT = 'dovecot'
SETTINGS_DIR = 'mailroom.d'


class DovecotError(_daemon.DaemonError):
    """Dovecot refused a configuration; the message is Dovecot's own."""


class DovecotHost(object):
    """The live Dovecot configuration below one config directory."""

    def __init__(self, module, config_dir='/etc/dovecot'):
        self.module = module
        self.config_dir = config_dir
        self.doveconf = module.get_bin_path('doveconf', required=True)
        self.dovecot = module.get_bin_path('dovecot', required=True, opt_dirs=['/usr/sbin'])
        self._dialect = None

    @property
    def dialect(self):
        if self._dialect is None:
            rc, out, err = self.module.run_command([self.dovecot, '--version'])
            if rc != 0:
                raise DovecotError('dovecot --version failed: %s' % (err or out).strip())
            self._dialect = _dovecot.dialect_from_version(out)
        return self._dialect

    def settings_path(self, area):
        return os.path.join(self.config_dir, SETTINGS_DIR, area + '.conf')

    def _doveconf(self, config_file):
        """(parsed `doveconf -n`, doveconf's warnings) of a configuration file."""
        rc, out, err = self.module.run_command([self.doveconf, '-n', '-c', config_file])
        if rc != 0:
            raise DovecotError('doveconf rejected the configuration: %s' % (err or out).strip())
        warnings = [line.strip() for line in err.splitlines() if 'Warning:' in line]
        return _dovecot.parse_config(out), warnings

    @property
    def config_file(self):
        return os.path.join(self.config_dir, 'dovecot.conf')

    def effective(self):
        """Parsed `doveconf -n` of the live configuration."""
        return self._doveconf(self.config_file)[0]

    def read_settings(self, area):
        return _atomic_file.read_text(self.settings_path(area))

    def validate(self, texts):
        """Check the configuration with {area: text} as the areas' files; return its parsed effect.

        Warnings doveconf did not give for the live configuration (such as a client_limit too low
        for the process limits under full load) are errors: the change would cause them.
        """
        if not os.path.isdir(os.path.join(self.config_dir, SETTINGS_DIR)):
            raise DovecotError('%s is missing: apply the mailroom.server.imap role first'
                               % os.path.join(self.config_dir, SETTINGS_DIR))
        live_warnings = self._doveconf(self.config_file)[1]
        stage = tempfile.mkdtemp(prefix='mailroom-dovecot-')
        staged_dir = os.path.join(stage, 'dovecot')
        try:
            shutil.copytree(self.config_dir, staged_dir, symlinks=True)
            for area, text in texts.items():
                _atomic_file.write_staged(os.path.join(staged_dir, SETTINGS_DIR, area + '.conf'), text)
            config, warnings = self._doveconf(os.path.join(staged_dir, 'dovecot.conf'))
        finally:
            shutil.rmtree(stage, ignore_errors=True)
        new = [warning for warning in warnings
               if warning.replace(staged_dir, self.config_dir) not in live_warnings]
        if new:
            raise DovecotError('doveconf warns about the new configuration: %s' % ' '.join(new))
        return config

    def running(self):
        return _daemon.is_active(self.module, UNIT)

    def commit(self, texts, action):
        """Write the areas' files ({area: text}) atomically, then reload/restart; see _daemon.commit."""
        files = dict((self.settings_path(area), text) for area, text in texts.items())
        return _daemon.commit(self.module, UNIT, files, action, self.running)
