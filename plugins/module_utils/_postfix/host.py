# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Postfix on the managed host, as a daemon of the settings engine (see _engine/transaction.py).

A change is written into a staged copy of the whole config directory and checked with `postconf`
and `postfix check` before a live file changes; files the staged configuration names (TLS
certificates and keys) must exist, since Postfix would refuse to start without them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil

from ansible_collections.mailroom.server.plugins.module_utils._engine import activation, atomic_file
from ansible_collections.mailroom.server.plugins.module_utils._engine.area import POSTFIX
from ansible_collections.mailroom.server.plugins.module_utils._engine.errors import DaemonError
from ansible_collections.mailroom.server.plugins.module_utils._postfix import config as postfix_config

UNIT = 'postfix'
FILES = ('main.cf', 'master.cf')
# What Postfix's master and postfix-script log when they refuse a configuration.
ERROR_MARKERS = ('fatal:', 'panic:')
# Parameters naming files smtpd opens for every TLS session.
FILE_PARAMETERS = ('smtpd_tls_cert_file', 'smtpd_tls_key_file', 'smtpd_tls_chain_files',
                   'smtpd_tls_dh1024_param_file')


class PostfixError(DaemonError):
    """Postfix refused a configuration; the message is Postfix's own."""


class PostfixHost(object):
    """Live Postfix configuration files of one config directory."""

    name = POSTFIX

    def __init__(self, module, journal, config_dir='/etc/postfix'):
        self.module = module
        self.journal = journal
        self.config_dir = config_dir
        self.postconf = module.get_bin_path('postconf', required=True)
        self.postfix = module.get_bin_path('postfix', required=True, opt_dirs=['/usr/sbin'])

    def path(self, name):
        return os.path.join(self.config_dir, name)

    def read(self):
        """Return {"main.cf": text, "master.cf": text} as they are on disk."""
        texts = {}
        for name in FILES:
            text = atomic_file.read_text(self.path(name))
            if text is None:
                raise PostfixError('%s not found in %s: is Postfix installed?' % (name, self.config_dir))
            texts[name] = text
        return texts

    def effective(self, config_dir=None):
        """Every parameter's effective value (defaults included), as `postconf` prints them."""
        rc, out, err = self.module.run_command([self.postconf, '-c', config_dir or self.config_dir])
        if rc != 0:
            raise PostfixError('postconf failed: %s' % (err or out).strip())
        return postfix_config.parse_postconf(out)

    def read_into(self, state):
        state.postfix = self.effective()
        state.services = postfix_config.parse_master_cf(self.read()['master.cf'])

    @staticmethod
    def merge(named_edits):
        merged = {'parameters': {}, 'services': {}}
        for _name, edit in named_edits:
            merged['parameters'].update(edit.get('parameters', {}))
            merged['services'].update(edit.get('services', {}))
        return merged

    def stage(self, edit, files=()):
        """Validate main.cf/master.cf with `edit`; return ({path: new text}, staged State values)."""
        texts = self.read()
        edited = {
            'main.cf': postfix_config.edit_main_cf(texts['main.cf'], edit.get('parameters', {})),
            'master.cf': postfix_config.edit_master_cf(texts['master.cf'], edit.get('services', {})),
        }
        names = parameter_names(edit)
        changed = dict((self.path(name), text) for name, text in edited.items() if text != texts[name])
        if not changed and not files:
            return {}, {}
        effective = self.validate(edited, names, files)
        return changed, {'postfix': effective, 'services': postfix_config.parse_master_cf(edited['master.cf'])}

    def validate(self, texts, parameter_names=(), files=()):
        """Check a staged copy of the config directory holding `texts` ({name: text}) and the
        managed `files` below it; raise PostfixError. Returns the staged effective parameters."""
        stage, staged_dir = self.journal.copy_config(self.config_dir, 'postfix')
        try:
            for name, text in texts.items():
                atomic_file.write_staged(os.path.join(staged_dir, name), text)
            for managed in files:
                relative = os.path.relpath(managed.path, self.config_dir)
                if not relative.startswith('..'):
                    atomic_file.write_staged(os.path.join(staged_dir, relative), managed.text)
            self._check_unused(staged_dir, parameter_names)
            self._run([self.postconf, '-c', staged_dir, '-M'], 'master.cf')
            self._run([self.postfix, '-c', staged_dir, 'check'], 'postfix check')
            effective = self.effective(staged_dir)
        finally:
            shutil.rmtree(stage, ignore_errors=True)
        self._check_files(effective)
        return effective

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

    def _check_files(self, effective):
        if effective.get('smtpd_tls_security_level', 'none') in ('', 'none') and \
                not effective.get('smtpd_tls_wrappermode') == 'yes':
            return
        for name in FILE_PARAMETERS:
            for path in (effective.get(name) or '').replace(',', ' ').split():
                if not os.access(path, os.R_OK):
                    _missing(self.module, PostfixError('%s = %s: the file is missing or unreadable; Postfix '
                                                       'could not offer TLS with it' % (name, path)))

    def running(self):
        # postfix.service is a oneshot wrapper that stays "active"; ask the master itself.
        return self.module.run_command([self.postfix, 'status'])[0] == 0

    def activate(self, action):
        activation.activate(self.module, UNIT, action, self.running, ERROR_MARKERS, unit_pattern='postfix*')


def _missing(module, error):
    """A file the configuration names is missing: an error, except in check mode, where it is a
    warning - a check changes nothing, and a role checked before its first run has not created it."""
    if not module.check_mode:
        raise error
    module.warn(str(error))


def parameter_names(edit):
    """Parameter names postconf must know: set in main.cf or as service overrides."""
    names = set(name for name, value in edit.get('parameters', {}).items() if value is not None)
    for service in edit.get('services', {}).values():
        if service:
            names.update(service['options'])
    return names


def required_action(changed_parameters, services_changed):
    """Return the activation Postfix needs for the given changes, or None for no change."""
    if postfix_config.RESTART_PARAMETERS.intersection(changed_parameters):
        return activation.RESTART
    if changed_parameters or services_changed:
        return activation.RELOAD
    return None
