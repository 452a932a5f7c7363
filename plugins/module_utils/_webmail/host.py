# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The webmail (Roundcube under php-fpm) on the managed host, as a daemon of the settings engine.

Each settings area owns one PHP file in /etc/roundcube/mailroom.d/, which the webmail role's
mailroom.inc.php includes last (and config.inc.php includes that, by a path relative to itself).
A change is written into a copy of the whole /etc/roundcube, each new file checked with `php -l`,
and the copy's effective configuration read back with PHP itself. php-fpm caches compiled files:
a reload makes every worker read the new settings.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import json
import os
import shutil

from ansible_collections.mailroom.server.plugins.module_utils._engine import activation, atomic_file
from ansible_collections.mailroom.server.plugins.module_utils._engine.area import WEBMAIL
from ansible_collections.mailroom.server.plugins.module_utils._engine.errors import DaemonError
from ansible_collections.mailroom.server.plugins.module_utils._webmail import config as webmail_config

CONFIG_DIR = '/etc/roundcube'
SETTINGS_DIR = 'mailroom.d'
ROLE_FILE = 'mailroom.inc.php'
DEFAULTS = ('defaults.inc.php', '/usr/share/roundcube/config/defaults.inc.php')
UNIT_GLOBS = ('/lib/systemd/system/php*-fpm.service', '/usr/lib/systemd/system/php*-fpm.service')
# What php-fpm logs when it cannot (re)load.
ERROR_MARKERS = ('ERROR:', 'FATAL:', 'ALERT:')
# Settings that are secrets or say where the database is: never read into results.
SECRETS = ('des_key', 'db_dsnw', 'db_dsnr', 'smtp_pass', 'imap_auth_pw', 'managesieve_auth_pw')

# Roundcube merges its defaults with config.inc.php, each file with a $config of its own; the
# settings files run inside config.inc.php's scope (it includes them). Printed as JSON.
DUMP = r'''
// defaults.inc.php builds log_dir and temp_dir from the constant Roundcube's index.php defines.
define('INSTALL_PATH', '/var/lib/roundcube/');
define('RCUBE_INSTALL_PATH', INSTALL_PATH);
$dir = $argv[1];
$load = function ($file) {
    $config = [];
    if (is_file($file)) {
        include $file;
    }
    return $config;
};
$defaults = is_file($dir . '/' . $argv[2]) ? $dir . '/' . $argv[2] : $argv[3];
$config = array_merge($load($defaults), $load($dir . '/config.inc.php'));
foreach (array_slice($argv, 4) as $secret) {
    unset($config[$secret]);
}
echo json_encode($config, JSON_PARTIAL_OUTPUT_ON_ERROR);
'''


class WebmailError(DaemonError):
    """The webmail refused its configuration (PHP's or php-fpm's own message)."""


def installed(module):
    """Whether the webmail role laid down its settings file."""
    return os.path.isfile(os.path.join(CONFIG_DIR, ROLE_FILE))


class WebmailHost(object):
    """Roundcube's configuration below one config directory, served by php-fpm."""

    name = WEBMAIL

    def __init__(self, module, journal, config_dir=CONFIG_DIR):
        self.module = module
        self.journal = journal
        self.config_dir = config_dir
        if not os.path.isfile(os.path.join(config_dir, ROLE_FILE)):
            raise WebmailError('the webmail is not installed here (%s is missing): apply the '
                               'mailroom.server.webmail role first' % os.path.join(config_dir, ROLE_FILE))
        self.php = module.get_bin_path('php', required=True)
        self._unit = None

    @property
    def unit(self):
        if self._unit is None:
            units = sorted(set(os.path.basename(path) for pattern in UNIT_GLOBS for path in glob.glob(pattern)))
            if not units:
                raise WebmailError('no php-fpm service is installed: apply the mailroom.server.webmail role first')
            # The newest PHP when several are installed: the one Debian's php-fpm package depends on.
            self._unit = units[-1][:-len('.service')]
        return self._unit

    def settings_path(self, area):
        return os.path.join(self.config_dir, SETTINGS_DIR, area + '.inc.php')

    def effective(self, config_dir=None):
        """Roundcube's effective configuration (without secrets) as PHP itself evaluates it."""
        rc, out, err = self.module.run_command(
            [self.php, '-d', 'display_errors=stderr', '-r', DUMP, config_dir or self.config_dir,
             DEFAULTS[0], DEFAULTS[1]] + list(SECRETS))
        if rc != 0:
            raise WebmailError('PHP could not read the webmail configuration: %s' % (err or out).strip())
        try:
            config = json.loads(out)
        except ValueError:
            raise WebmailError('PHP printed no configuration: %s' % (err or out).strip()[:500])
        return config if isinstance(config, dict) else {}

    def read_into(self, state):
        state.webmail = self.effective()

    def read_settings(self, area):
        return atomic_file.read_text(self.settings_path(area))

    @staticmethod
    def merge(named_edits):
        return dict(named_edits)

    def stage(self, edit, files=()):
        """Validate with {area: [(key, value)]} as the areas' files; return ({path: text}, staged values)."""
        texts = {}
        for area, entries in edit.items():
            text = webmail_config.render(entries, header=(
                'Managed by mailroom.server (settings area %s); replaced on its next change.' % area))
            if text != self.read_settings(area):
                texts[self.settings_path(area)] = text
        if not texts and not files:
            return {}, {}
        return texts, {'webmail': self.validate(texts, files)}

    def validate(self, texts, files=()):
        """Check each new file with `php -l`, then read the staged copy's effective configuration."""
        if not os.path.isdir(os.path.join(self.config_dir, SETTINGS_DIR)):
            raise WebmailError('%s is missing: apply the mailroom.server.webmail role first'
                               % os.path.join(self.config_dir, SETTINGS_DIR))
        stage, staged_dir = self.journal.copy_config(self.config_dir, 'roundcube')
        try:
            for path, text in texts.items():
                staged = os.path.join(staged_dir, os.path.relpath(path, self.config_dir))
                atomic_file.write_staged(staged, text)
                rc, out, err = self.module.run_command([self.php, '-l', staged])
                if rc != 0:
                    raise WebmailError('PHP rejected %s: %s' % (path, (err or out).strip().replace(staged, path)))
            return self.effective(staged_dir)
        finally:
            shutil.rmtree(stage, ignore_errors=True)

    def running(self):
        return activation.is_active(self.module, self.unit)

    def activate(self, action):
        activation.activate(self.module, self.unit, action, self.running, ERROR_MARKERS)
