# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure model of Postfix's main.cf and master.cf: parse, normalise, compare, edit.

Nothing here touches a host. Edits keep every line the caller does not manage byte-identical,
so comments and unmanaged settings survive.

Everything rendered into either file is checked to stay on its own line and in its own field: a
newline in a value would otherwise start a new main.cf parameter or master.cf service (a new
listener), and an unbalanced brace in master.cf would swallow or split arguments.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import unicodedata

from ansible_collections.mailroom.server.plugins.module_utils import _addresses
from ansible_collections.mailroom.server.plugins.module_utils._engine.errors import SettingsError

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

# \Z, not $: "$" also matches before a final newline. Postfix expands $name only for these
# characters, so a parameter outside them could never be referenced anyway.
_PARAMETER_NAME = re.compile(r'\A[A-Za-z0-9_]+\Z')
_FLAG = re.compile(r'\A[yn-]\Z')
_WAKEUP = re.compile(r'\A(?:-|[0-9]+\??)\Z')
_PROCESS_LIMIT = re.compile(r'\A(?:-|[0-9]+)\Z')
FIELD_RULES = {
    'private': (_FLAG, 'y, n or -'),
    'unprivileged': (_FLAG, 'y, n or -'),
    'chroot': (_FLAG, 'y, n or -'),
    'wakeup': (_WAKEUP, 'seconds (digits, optionally followed by ?) or -'),
    'process_limit': (_PROCESS_LIMIT, 'a number or -'),
}
# Unicode categories that end or break a line somewhere: control characters (newline, carriage
# return, tab, NUL, DEL, NEL...) and the line/paragraph separators Python's splitlines() honours.
_LINE_BREAKING = ('Cc', 'Zl', 'Zp')
_ESCAPES = {'\n': '\\n', '\r': '\\r', '\t': '\\t'}


class ConfigError(SettingsError):
    """Input that cannot be turned into a valid Postfix configuration."""


def _breaks_line(char):
    return unicodedata.category(char) in _LINE_BREAKING


def shown(text):
    """`text` quoted on one line for an error message, control characters escaped."""
    out = []
    for char in text:
        if not _breaks_line(char):
            out.append(char)
        elif char in _ESCAPES:
            out.append(_ESCAPES[char])
        else:
            out.append('\\x%02x' % ord(char) if ord(char) < 0x100 else '\\u%04x' % ord(char))
    return '"%s"' % ''.join(out)


def check_line(what, text):
    """Refuse `text` if it would not stay on one line of a config file; `what` names it."""
    if any(_breaks_line(char) for char in text):
        raise ConfigError('%s must be a single line without control characters, got %s'
                          % (what, shown(text)))
    return text


def check_braces(what, text):
    """Refuse unbalanced braces: master.cf groups arguments by "{" and "}" wherever they stand,
    so a stray one would swallow the following arguments or close a group early."""
    depth = 0
    for char in text:
        if char == '{':
            depth += 1
        elif char == '}':
            depth -= 1
            if depth < 0:
                break
    if depth != 0:
        raise ConfigError('%s must not contain unbalanced braces, got %s' % (what, shown(text)))
    return text


def check_parameter_name(what, name):
    if not isinstance(name, str) or not _PARAMETER_NAME.match(name):
        raise ConfigError('%s: %s is not a Postfix parameter name (letters, digits and _ only)'
                          % (what, shown(str(name))))
    return name


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


def _physical_lines(text):
    """Lines as Postfix reads them: only "\n" ends one (splitlines() would also split at "\r",
    form feeds and Unicode separators, and so see entries Postfix does not)."""
    return re.findall(r'[^\n]*\n|[^\n]+', text)


def _logical_lines(text):
    """Split config text into blocks of physical lines.

    Returns a list of (logical_text or None, [physical lines]). Comment and blank lines form
    blocks of their own with logical_text None; a line starting with whitespace continues the
    previous logical line, even across comment and blank lines in between (as Postfix reads it),
    in which case those comment lines belong to the entry's block.
    """
    blocks = []
    held = []   # comment/blank lines that may sit inside an entry still being continued
    for line in _physical_lines(text):
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


def desired_value(what, value):
    """The main.cf text of a value given by a caller, refusing what cannot be one line.

    Checked before normalize_value, which folds every whitespace run, newlines included, into one
    space: a value "a\\nrelayhost = x" would otherwise silently become "a relayhost = x".
    """
    if isinstance(value, bool):
        return 'yes' if value else 'no'
    if isinstance(value, (list, tuple)):
        return ', '.join(desired_value('%s[%d]' % (what, index), item) for index, item in enumerate(value))
    if value is None or isinstance(value, dict):
        raise ConfigError('%s must be a string, number, boolean or list of them' % what)
    if not isinstance(value, str):
        value = str(value)
    check_line(what, value)
    return normalize_value(value)


def _network_pattern_error(pattern):
    """Why Postfix would refuse one mynetworks pattern, or None. Patterns: an address or
    address/length (IPv6 in brackets), a host name, a /file, a type:table, each optionally
    "!"-negated. Postfix finds a bad address only when smtpd starts, and then accepts no mail,
    so it is refused here, before anything is staged."""
    pattern = pattern[1:] if pattern.startswith('!') else pattern
    if pattern.startswith('/') or pattern.startswith('$'):
        return None                                     # a pattern file, a parameter's value
    bracketed = pattern.startswith('[')
    if bracketed:
        inside, closing, after = pattern[1:].partition(']')
        if not closing or after and not after.startswith('/'):
            return 'an address in brackets, optionally followed by /length, such as [2001:db8::]/32'
        pattern = inside + after
    address_text = pattern.partition('/')[0]
    address = _addresses.parse_address(address_text)
    if address is None:
        if bracketed:
            return '%s is not an IP address' % address_text
        if ':' in pattern or _addresses.is_host_name(pattern):
            return None                                 # type:table, or a host name
        return 'neither an IP address, a network (address/length) nor a host name'
    length = pattern[len(address_text):]                # "/24", or "" for one address
    if address.version == 6 and not bracketed:
        return 'an IPv6 address goes in brackets ([%s]%s), else Postfix reads a table name' % (address_text, length)
    network = _addresses.parse_network(pattern) if length else None
    if length and network is None:
        return 'the length after "/" must be a number from 0 to %d' % (32 if address.version == 4 else 128)
    if address.is_ipv4_mapped():
        return ('an IPv4-mapped address never matches (Postfix sees IPv4 clients as IPv4): write it in '
                'IPv4 form, %s%s' % (address.ipv4(), '/%d' % max(network.prefixlen - 96, 0) if network else ''))
    if network is None:
        return None
    if network.ip != network.network:
        spelled = '[%s]' % network.network if address.version == 6 else str(network.network)
        return 'host bits are set, which Postfix refuses: the network is %s/%d' % (spelled, network.prefixlen)
    return None


def check_networks(what, value):
    """Refuse a mynetworks value Postfix would not accept, naming the first bad pattern."""
    if '{' in value:
        return      # an inline:{ ... } table groups patterns in a way this word split cannot follow
    for pattern in value.replace(',', ' ').split():
        reason = _network_pattern_error(pattern)
        if reason:
            raise ConfigError('%s: %s: %s' % (what, shown(pattern), reason))


# Parameters whose value is checked beyond staying on one line.
PARAMETER_CHECKS = {'mynetworks': check_networks}


def desired_parameters(parameters, option='parameters'):
    """Validate and normalise the module's `parameters` (or `defaults`) option; None means "remove"."""
    result = {}
    for name, value in (parameters or {}).items():
        check_parameter_name(option, name)
        what = '%s: %s' % (option, name)
        result[name] = None if value is None else desired_value(what, value)
        if result[name] is not None and name in PARAMETER_CHECKS:
            PARAMETER_CHECKS[name](what, result[name])
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
    check_parameter_name('main.cf', name)
    check_line('main.cf: %s' % name, value)
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


def _service_label(spec):
    """How messages name a service the caller gave: "name/type", control characters escaped."""
    name = spec.get('name')
    if isinstance(name, str) and not any(_breaks_line(char) for char in name):
        return '%s/%s' % (name, spec.get('type'))
    return '%s (type %s)' % (shown(str(name)), spec.get('type'))


def _check_argument(what, arg):
    """One command argument: on its line, braces balanced, and no "-o", which would be an override
    that escapes the parameter-name check (overrides go in `options`)."""
    check_line(what, arg)
    check_braces(what, arg)
    if arg.startswith('-o'):
        raise ConfigError('%s must not be a -o override (give those in options), got %s' % (what, shown(arg)))
    return arg


def _check_service_name(spec):
    name = spec.get('name')
    label = _service_label(spec)
    if not isinstance(name, str) or not name:
        raise ConfigError('services: every service needs a name')
    check_line('services: %s: name' % label, name)
    if re.search(r'\s', name):
        raise ConfigError('services: %s: name must not contain whitespace' % label)
    # A line starting with "#" is a comment: the entry would vanish and its "-o" lines would be
    # read as part of the service above it.
    if name.startswith('#'):
        raise ConfigError('services: %s: name must not start with "#"' % label)
    if '{' in name or '}' in name:
        raise ConfigError('services: %s: name must not contain braces' % label)


def _check_service_spec(spec):
    """Refuse every field of a module service spec that could leave its place in master.cf."""
    if spec.get('type') not in SERVICE_TYPES:
        raise ConfigError("services: type of %s must be one of %s"
                          % (shown(str(spec.get('name'))), ', '.join(SERVICE_TYPES)))
    _check_service_name(spec)
    where = 'services: %s' % service_key(spec)
    for field, (pattern, allowed) in FIELD_RULES.items():
        value = spec.get(field)
        if value is not None and not pattern.match(str(value)):
            raise ConfigError('%s: %s must be %s, got %s' % (where, field, allowed, shown(str(value))))
    if spec.get('command') is not None:
        words = check_line('%s: command' % where, spec['command']).split(' ')
        for word in words:
            _check_argument('%s: command' % where, word)
    for index, arg in enumerate(spec.get('args') or []):
        _check_argument('%s: args[%d]' % (where, index), arg)
    for name, value in (spec.get('options') or {}).items():
        check_parameter_name('%s: options' % where, name)
        text = desired_value('%s: options: %s' % (where, name), value)
        check_braces('%s: options: %s' % (where, name), text)


def desired_service(spec, current):
    """Merge a module service spec onto the current entry (or defaults for a new one).

    Fields the spec leaves unset keep their current value, so only what the caller names changes.
    A command given with arguments ("pipe flags=R ...") sets them, followed by the spec's args.
    """
    _check_service_spec(spec)
    base = dict(current) if current else {
        'name': spec['name'], 'type': spec['type'], 'command': None, 'args': [], 'options': {},
        'private': '-', 'unprivileged': '-', 'chroot': '-', 'wakeup': '-', 'process_limit': '-',
    }
    result = dict(base)
    for field in SERVICE_FLAG_FIELDS:
        if spec.get(field) is not None:
            result[field] = str(spec[field])
    words = [word for word in (spec.get('command') or '').split(' ') if word]
    if words:
        result['command'] = words[0]
    if len(words) > 1 or spec.get('args') is not None:
        result['args'] = words[1:] + list(spec.get('args') or [])
    if spec.get('options') is not None:
        result['options'] = dict((name, desired_value(name, value))
                                 for name, value in spec['options'].items())
    if not result['command']:
        raise ConfigError("services: new service '%s' needs a command" % service_key(result))
    return result


def _rendered_argument(what, arg):
    check_line(what, arg)
    check_braces(what, arg)
    # Grouped in braces when whitespace, emptiness or a leading brace would change how it splits.
    if not arg or arg.startswith('{') or re.search(r'\s', arg):
        return '{ %s }' % arg
    return arg


def render_service(service):
    """Render one master.cf entry, one "-o" override per continuation line.

    Refuses (ConfigError) any field that would not stay in its place: whoever built the entry.
    """
    where = 'master.cf: %s' % shown(service_key(service))
    for field in ('name', 'type', 'command') + SERVICE_FLAG_FIELDS:
        check_line('%s: %s' % (where, field), service[field])
        if not service[field] or re.search(r'\s', service[field]):
            raise ConfigError('%s: %s must be one word, got %s' % (where, field, shown(service[field])))
    if service['name'].startswith('#'):
        raise ConfigError('%s: name must not start with "#"' % where)
    head = [service['name'], service['type']]
    head.extend(service[field] for field in SERVICE_FLAG_FIELDS)
    head.append(_rendered_argument('%s: command' % where, service['command']))
    head.extend(_rendered_argument('%s: args' % where, arg) for arg in service['args'])
    lines = ['  '.join(head[:2]) + '  ' + '  '.join(head[2:7]) + '  ' + ' '.join(head[7:])]
    for name, value in service['options'].items():
        check_parameter_name('%s: options' % where, name)
        check_line('%s: options: %s' % (where, name), value)
        check_braces('%s: options: %s' % (where, name), value)
        if re.search(r'\s', value) or not value or value.startswith('{'):
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
