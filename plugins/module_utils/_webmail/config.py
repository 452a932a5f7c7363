# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure model of the webmail's (Roundcube's) settings: render a settings area's PHP file.

Each settings area owns ``/etc/roundcube/mailroom.d/<area>.inc.php``, which the webmail role's
``mailroom.inc.php`` includes last. An area's webmail edit is a list of (key, value) pairs of
Roundcube's ``$config``; the key ``plugins`` adds its plugins to those enabled before it instead
of replacing them, so that areas enabling different plugins compose.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import unicodedata

from ansible_collections.mailroom.server.plugins.module_utils._engine.errors import SettingsError

PLUGINS = 'plugins'
# Roundcube settings and plugin names are identifiers; anything else in a key is an error here.
_NAME = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*$')


class ConfigError(SettingsError):
    """A value that cannot be rendered as Roundcube configuration (refused before anything changes)."""


def _check_text(what, text):
    for char in text:
        if unicodedata.category(char) in ('Cc', 'Zl', 'Zp'):
            raise ConfigError('%s must be a single line without control characters (found U+%04X)'
                              % (what, ord(char)))
    return text


def php_value(value, what='a webmail setting'):
    """A Python value as a PHP literal: strings single-quoted with \\ and ' escaped (nothing else
    is special in PHP's single quotes), lists and dicts as arrays."""
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if value is None:
        return 'null'
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        _check_text(what, value)
        return "'%s'" % value.replace('\\', '\\\\').replace("'", "\\'")
    if isinstance(value, (list, tuple)):
        return '[%s]' % ', '.join(php_value(item, what) for item in value)
    if isinstance(value, dict):
        return '[%s]' % ', '.join('%s => %s' % (php_value(str(key), what), php_value(item, what))
                                  for key, item in sorted(value.items()))
    raise ConfigError('%s: cannot render a %s' % (what, type(value).__name__))


def render(entries, header=None):
    """Render [(key, value), ...] as the PHP text of a settings file."""
    lines = ['<?php']
    if header:
        lines.extend('// ' + line if line else '//' for line in header.splitlines())
    for key, value in entries:
        if not _NAME.match(key):
            raise ConfigError('webmail setting name %r is not an identifier' % key)
        what = 'webmail setting %s' % key
        if key == PLUGINS:
            for name in value:
                if not _NAME.match(name):
                    raise ConfigError('webmail plugin name %r is not an identifier' % name)
            lines.append("$config['plugins'] = array_merge($config['plugins'] ?? [], %s);"
                         % php_value(list(value), what))
        else:
            lines.append("$config[%s] = %s;" % (php_value(key), php_value(value, what)))
    return '\n'.join(lines) + '\n'


def plugins(config):
    """The enabled plugins of an effective configuration."""
    value = (config or {}).get(PLUGINS) or []
    return list(value.values()) if isinstance(value, dict) else list(value)
