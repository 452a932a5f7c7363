# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure model of Dovecot configuration: parse `doveconf -n`, render override files.

A parsed configuration is a nested dict: settings map to their string value, sections map from
"type name" (e.g. "service imap-login", "protocol imap") to a nested dict. Overrides to render
are lists of (key, value) pairs where a value is a string or again such a list (a section).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import unicodedata

from ansible_collections.mailroom.server.plugins.module_utils._engine.errors import SettingsError

DIALECT_23 = '2.3'
DIALECT_24 = '2.4'

_VERSION = re.compile(r'^(\d+)\.(\d+)')
# Control characters (newline, carriage return, NUL...) and Unicode line separators: Dovecot reads
# a new setting after a newline, so a value holding one could add any setting it likes.
_LINE_BREAKING = ('Cc', 'Zl', 'Zp')


class ConfigError(SettingsError):
    """A value that cannot be rendered into Dovecot configuration as one setting (bad input,
    refused before anything on the host is touched)."""


def _check_line(what, text):
    for char in text:
        if unicodedata.category(char) in _LINE_BREAKING:
            raise ConfigError('%s must be a single line without control characters (found U+%04X)'
                              % (what, ord(char)))
    return text


def dialect_from_version(version_output):
    """Map `dovecot --version` output ("2.3.19.1 (9b53102964)", "2.4.1-4 ...") to a dialect."""
    match = _VERSION.match(version_output.strip())
    if not match:
        raise ValueError('cannot read a Dovecot version from %r' % version_output)
    return DIALECT_24 if (int(match.group(1)), int(match.group(2))) >= (2, 4) else DIALECT_23


def parse_config(text):
    """Parse `doveconf -n` output (or a config file without includes) into a nested dict."""
    root = {}
    stack = [root]
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith('#') or line.startswith('!'):
            continue
        if line == '}':
            if len(stack) > 1:
                stack.pop()
            continue
        if line.endswith('{'):
            name = ' '.join(line[:-1].split())
            child = stack[-1].setdefault(name, {})
            if not isinstance(child, dict):
                child = stack[-1][name] = {}
            stack.append(child)
            continue
        key, sep, value = line.partition('=')
        if sep:
            stack[-1][key.strip()] = _unquote(value.strip())
    return root


def _unquote(value):
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('\\"', '"').replace('\\\\', '\\')
    return value


def lookup(config, *path, **kwargs):
    """Return the value at `path` (sections then a key), or `default` when any part is absent."""
    node = config
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return kwargs.get('default')
        node = node[part]
    return node


def name_list(config, key):
    """A list setting such as protocols or mail_plugins, in 2.3's "key = a b" or 2.4's
    "key { a = yes }" form."""
    value = config.get(key)
    if isinstance(value, dict):
        return [name for name, enabled in value.items() if enabled == 'yes']
    return (value or '').split()


def protocols(config):
    """The enabled protocols."""
    return name_list(config, 'protocols')


def _quote(value):
    text = str(value)
    # Quoted: what would otherwise end the value (#), open or close a section ({ }), read a file
    # (a leading <), or lose its spaces.
    if text == '' or text != text.strip() or re.search(r'[#{}"]', text) or text.startswith('<'):
        return '"%s"' % text.replace('\\', '\\\\').replace('"', '\\"')
    return text


def render(entries, header=None, indent=0):
    """Render (key, value-or-section) pairs as Dovecot configuration text.

    Raises ConfigError for a key or value that would not stay one line: the message names the key,
    never the value (it may be a password).
    """
    lines = []
    if header:
        lines.extend('# ' + line if line else '#' for line in header.splitlines())
    pad = '  ' * indent
    for key, value in entries:
        _check_line('a Dovecot setting name', key)
        if re.search(r'[{}="#]', key):
            raise ConfigError('Dovecot setting name %r must not contain { } = " or #' % key)
        if isinstance(value, list):
            lines.append('%s%s {' % (pad, key))
            body = render(value, indent=indent + 1)
            if body:
                lines.append(body.rstrip('\n'))
            lines.append('%s}' % pad)
        else:
            _check_line('Dovecot setting %s' % key, str(value))
            lines.append('%s%s = %s' % (pad, key, _quote(value)))
    return '\n'.join(lines) + '\n' if lines else ''
