# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Postfix on the managed host: read the live config, validate a staged copy, commit, activate.

The live files change only after a staged copy passed `postconf` and `postfix check`; if Postfix
does not come back after the change, the previous files are restored.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import tempfile

from ansible_collections.mailroom.server.plugins.module_utils._engine import atomic_file as _atomic_file
from ansible_collections.mailroom.server.plugins.module_utils._engine import activation as _daemon
from ansible_collections.mailroom.server.plugins.module_utils._postfix.config import (
    RESTART_PARAMETERS,
    parse_postconf,
)

UNIT = 'postfix'
FILES = ('main.cf', 'master.cf')


class PostfixError(_daemon.DaemonError):
    """Postfix refused a configuration; the message is Postfix's own."""


class PostfixHost(object):
    """Live Postfix configuration files of one config directory."""

    def __init__(self, module, config_dir='/etc/postfix'):
        self.module = module
        self.config_dir = config_dir
        self.postconf = module.get_bin_path('postconf', required=True)
        self.postfix = module.get_bin_path('postfix', required=True, opt_dirs=['/usr/sbin'])

    def read(self):
        """Return {"main.cf": text, "master.cf": text} as they are on disk."""
        texts = {}
        for name in FILES:
            text = _atomic_file.read_text(os.path.join(self.config_dir, name))
            if text is None:
                raise PostfixError('%s not found in %s: is Postfix installed?' % (name, self.config_dir))
            texts[name] = text
        return texts

    def effective(self, config_dir=None):
        """Every parameter's effective value (defaults included), as `postconf` prints them."""
        rc, out, err = self.module.run_command([self.postconf, '-c', config_dir or self.config_dir])
        if rc != 0:
            raise PostfixError('postconf failed: %s' % (err or out).strip())
        return parse_postconf(out)

    def validate(self, texts, parameter_names=()):
        """Check a staged copy of the config directory holding `texts`; raise PostfixError.

        Returns the staged configuration's effective parameters.
        """
        stage = tempfile.mkdtemp(prefix='mailroom-postfix-')
        staged_dir = os.path.join(stage, 'postfix')
        try:
            shutil.copytree(self.config_dir, staged_dir, symlinks=True)
            for name, text in texts.items():
                _atomic_file.write_staged(os.path.join(staged_dir, name), text)
            self._check_unused(staged_dir, parameter_names)
            self._run([self.postconf, '-c', staged_dir, '-M'], 'master.cf')
            self._run([self.postfix, '-c', staged_dir, 'check'], 'postfix check')
            return self.effective(staged_dir)
        finally:
            shutil.rmtree(stage, ignore_errors=True)

    def _run(self, command, what):
        rc, out, err = self.module.run_command(command)
        if rc != 0:
            raise PostfixError('%s rejected the staged configuration: %s'
                               % (what, (err or out).strip()))
        return out, err

    def _check_unused(self, staged_dir, parameter_names):
        # postconf names parameters it does not know as "unused"; one we set is a typo or a
        # parameter this Postfix release lacks, and Postfix would silently ignore it.
        _out, err = self._run([self.postconf, '-c', staged_dir, '-n'], 'postconf')
        unknown = []
        for line in err.splitlines():
            if 'unused parameter:' not in line:
                continue
            name = line.split('unused parameter:', 1)[1].strip().split('=', 1)[0].strip()
            if name in parameter_names:
                unknown.append(name)
        if unknown:
            raise PostfixError('this Postfix does not know the parameter(s): %s'
                               % ', '.join(sorted(set(unknown))))

    def running(self):
        # postfix.service is a oneshot wrapper that stays "active"; ask the master itself.
        return self.module.run_command([self.postfix, 'status'])[0] == 0

    def commit(self, texts, action):
        """Write `texts` atomically, then reload/restart; see _daemon.commit."""
        files = dict((os.path.join(self.config_dir, name), text) for name, text in texts.items())
        return _daemon.commit(self.module, UNIT, files, action, self.running)


def required_action(changed_parameters, services_changed):
    """Return the activation Postfix needs for the given changes, or None for no change."""
    if RESTART_PARAMETERS.intersection(changed_parameters):
        return _daemon.RESTART
    if changed_parameters or services_changed:
        return _daemon.RELOAD
    return None
