# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure model of Postfix's main.cf and master.cf: parse, normalise, compare, edit.

Nothing here touches a host. Edits keep every line the caller does not manage byte-identical,
so comments and unmanaged settings survive.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# Parameters whose change Postfix only honours after "postfix stop; postfix start" (postconf(5)).
RESTART_PARAMETERS = frozenset((
    'inet_interfaces',
    'inet_protocols',
    'queue_directory',
    'data_directory',
    'mail_owner',
))

SERVICE_TYPES = ('inet', 'unix', 'unix-dgram', 'fifo', 'pass')
SERVICE_FLAG_FIELDS = ('private', 'unprivileged', 'chroot', 'wakeup', 'process_limit')

_PARAMETER_NAME = re.compile(r'^[A-Za-z0-9_.-]+$')


class ConfigError(ValueError):
    """Input that cannot be turned into a valid Postfix configuration."""


def normalize_value(value):
    """Return the main.cf text form of a parameter value given as str, int, bool or list.

    Whitespace runs (including continuation lines) mean the same to Postfix as one space.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return 'yes' if value else 'no'
    if isinstance(value, (list, tuple)):
        return ', '.join(normalize_value(item) for item in value)
    return ' '.join(str(value).split())


def _logical_lines(text):
    """Split config text into blocks of physical lines.

    Returns a list of (logical_text or None, [physical lines]). Comment and blank lines form
    blocks of their own with logical_text None; a line starting with whitespace continues the
    previous logical line, even across comment and blank lines in between (as Postfix reads it),
    in which case those comment lines belong to the entry's block.
    """
    blocks = []
    held = []   # comment/blank lines that may sit inside an entry still being continued
    for line in text.splitlines(True):
        stripped = line.strip()
        if not stripped or stripped.startswith('#'):
            held.append(line)
            continue
        if line[0] in ' \t' and blocks and blocks[-1][0] is not None:
            blocks[-1][0] += ' ' + stripped
            blocks[-1][1].extend(held + [line])
            held = []
            continue
        blocks.extend([None, [comment]] for comment in held)
        held = []
        blocks.append([stripped, [line]])
    blocks.extend([None, [comment]] for comment in held)
    return [tuple(block) for block in blocks]


# ---------------------------------------------------------------- main.cf

def parse_main_cf(text):
    """Return {name: value} of main.cf; the last assignment of a name wins, as in Postfix."""
    values = {}
    for logical, _lines in _logical_lines(text):
        if logical is None or '=' not in logical:
            continue
        name, value = logical.split('=', 1)
        values[name.strip()] = normalize_value(value)
    return values


def parse_postconf(text):
    """Return {name: value} from `postconf` output (one "name = value" line per parameter)."""
    values = {}
    for line in text.splitlines():
        name, sep, value = line.partition('=')
        if sep:
            values[name.strip()] = normalize_value(value)
    return values


def desired_parameters(parameters):
    """Validate and normalise the module's `parameters` option; None means "remove"."""
    result = {}
    for name, value in (parameters or {}).items():
        if not _PARAMETER_NAME.match(name):
            raise ConfigError("parameters: '%s' is not a valid Postfix parameter name" % name)
        normalized = normalize_value(value)
        if normalized is not None and '\n' in normalized:
            raise ConfigError("parameters: value of '%s' must be a single line" % name)
        result[name] = normalized
    return result


def diff_entries(current, desired):
    """Return (before, after) restricted to the desired keys whose value differs from current.

    Works for parameters (name -> value) and services ("name/type" -> entry) alike.
    """
    before, after = {}, {}
    for key, value in desired.items():
        if current.get(key) != value:
            before[key] = current.get(key)
            after[key] = value
    return before, after


def edit_main_cf(text, changes):
    """Apply {name: value-or-None} to main.cf text.

    The first assignment of a name is rewritten in place, later duplicates are dropped,
    new names are appended at the end, None removes every assignment of the name.
    """
    pending = dict(changes)
    seen = set()
    out = []
    for logical, lines in _logical_lines(text):
        name = logical.split('=', 1)[0].strip() if logical and '=' in logical else None
        if name is None or name not in changes:
            out.extend(lines)
            continue
        if name in seen or changes[name] is None:
            pending.pop(name, None)
            continue
        seen.add(name)
        out.append(_render_parameter(name, pending.pop(name)))
    return _append_new(out, pending, _render_parameter)


def _render_parameter(name, value):
    return '%s = %s\n' % (name, value)


def _append_new(lines, pending, render):
    """End the edited lines with what was not found in place, each rendered by `render`."""
    if lines and not lines[-1].endswith('\n'):
        lines[-1] += '\n'
    lines.extend(render(key, value) for key, value in pending.items() if value is not None)
    return ''.join(lines)


# ---------------------------------------------------------------- master.cf

def _tokenize_master_args(text):
    """Split master.cf arguments; Postfix 3.0+ groups "{ a b }" into one argument."""
    tokens = []
    pos = 0
    length = len(text)
    while pos < length:
        if text[pos].isspace():
            pos += 1
            continue
        if text[pos] == '{':
            end = _closing_brace(text, pos)
            tokens.append(' '.join(text[pos + 1:end].split()))
            pos = end + 1
            continue
        end = pos
        while end < length and not text[end].isspace():
            end += 1
        tokens.append(text[pos:end])
        pos = end
    return tokens


def _closing_brace(text, start):
    depth = 0
    for index in range(start, len(text)):
        if text[index] == '{':
            depth += 1
        elif text[index] == '}':
            depth -= 1
            if depth == 0:
                return index
    raise ConfigError('master.cf: unbalanced "{" in: %s' % text)


def _split_options(args):
    """Separate "-o name=value" overrides from the other command arguments."""
    options = {}
    rest = []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == '-o' and index + 1 < len(args):
            name, _sep, value = args[index + 1].partition('=')
            options[name.strip()] = normalize_value(value)
            index += 2
            continue
        if arg.startswith('-o') and len(arg) > 2 and '=' in arg:
            name, _sep, value = arg[2:].partition('=')
            options[name.strip()] = normalize_value(value)
            index += 1
            continue
        rest.append(arg)
        index += 1
    return options, rest


def _parse_service(logical):
    fields = logical.split(None, 7)
    if len(fields) < 8:
        raise ConfigError('master.cf: incomplete service entry: %s' % logical)
    args = _tokenize_master_args(fields[7])
    options, rest = _split_options(args[1:])
    service = {
        'name': fields[0],
        'type': fields[1],
        'command': args[0],
        'args': rest,
        'options': options,
    }
    service.update(zip(SERVICE_FLAG_FIELDS, fields[2:7]))
    return service


def service_key(service):
    return '%s/%s' % (service['name'], service['type'])


def parse_master_cf(text):
    """Return {"name/type": service dict} for every service entry of master.cf."""
    services = {}
    for logical, _lines in _logical_lines(text):
        if logical is None:
            continue
        service = _parse_service(logical)
        services[service_key(service)] = service
    return services


def desired_service(spec, current):
    """Merge a module service spec onto the current entry (or defaults for a new one).

    Fields the spec leaves unset keep their current value, so only what the caller names changes.
    """
    if spec.get('type') not in SERVICE_TYPES:
        raise ConfigError("services: type of '%s' must be one of %s"
                          % (spec.get('name'), ', '.join(SERVICE_TYPES)))
    if not spec.get('name') or re.search(r'\s', spec['name']):
        raise ConfigError('services: every service needs a name without whitespace')
    base = dict(current) if current else {
        'name': spec['name'], 'type': spec['type'], 'command': None, 'args': [], 'options': {},
        'private': '-', 'unprivileged': '-', 'chroot': '-', 'wakeup': '-', 'process_limit': '-',
    }
    result = dict(base)
    for field in SERVICE_FLAG_FIELDS:
        if spec.get(field) is not None:
            result[field] = str(spec[field])
    if spec.get('command'):
        result['command'] = spec['command']
    if spec.get('args') is not None:
        result['args'] = list(spec['args'])
    if spec.get('options') is not None:
        result['options'] = dict((name, normalize_value(value))
                                 for name, value in spec['options'].items())
    if not result['command']:
        raise ConfigError("services: new service '%s' needs a command" % service_key(result))
    return result


def render_service(service):
    """Render one master.cf entry, one "-o" override per continuation line."""
    head = [service['name'], service['type']]
    head.extend(service[field] for field in SERVICE_FLAG_FIELDS)
    head.append(service['command'])
    head.extend('{ %s }' % arg if re.search(r'\s', arg) else arg for arg in service['args'])
    lines = ['  '.join(head[:2]) + '  ' + '  '.join(head[2:7]) + '  ' + ' '.join(head[7:])]
    for name, value in service['options'].items():
        if re.search(r'\s', value) or not value:
            lines.append('  -o { %s = %s }' % (name, value))
        else:
            lines.append('  -o %s=%s' % (name, value))
    return '\n'.join(lines) + '\n'


def edit_master_cf(text, changes):
    """Apply {"name/type": service-or-None} to master.cf text; None removes the entry.

    A replacement may carry another name (a moved port): it takes the old entry's place.
    """
    pending = dict(changes)
    out = []
    for logical, lines in _logical_lines(text):
        key = service_key(_parse_service(logical)) if logical else None
        if key is None or key not in changes:
            out.extend(lines)
            continue
        replacement = pending.pop(key, None)
        if replacement is not None:
            out.append(render_service(replacement))
    return _append_new(out, pending, lambda _key, service: render_service(service))
