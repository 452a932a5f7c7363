# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared links for large attachments: which senders' attachments become download links.

Options: enabled, domain_limits (mail domain -> size), link_lifetime_days, base_url. The
mailroom.server.shared_links role installs the milter that converts (PROGRAM) and writes the
first version of its settings file (CONFIG, disabled); this area owns that file from then on. An
attachment of an authenticated submission over the limit of its sender's domain is stored in the
sender's home and replaced by a link below base_url; a domain not listed has no conversion.

The milter stats CONFIG with every message and re-reads it when it changed: the file is a
ManagedFile of no daemon, written atomically with nothing to reload. A file that is not exactly
ours (not JSON, other keys) reads as unknown (None) values, so that any change writes a whole
valid file again; a value that is wrong on its own reads as None alone.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import socket

from ansible.module_utils.common.text.formatters import human_to_bytes

from ansible_collections.mailroom.server.plugins.module_utils import _addresses
from ansible_collections.mailroom.server.plugins.module_utils._engine import atomic_file
from ansible_collections.mailroom.server.plugins.module_utils._engine.area import ManagedFile, Plan
from ansible_collections.mailroom.server.plugins.module_utils._engine.errors import HostError, SettingsError

NAME = 'shared_links'
# No daemon: the milter notices a new file by itself, and the area needs neither Postfix's nor
# Dovecot's nor the webmail's configuration to read or plan it.
DAEMONS = ()
OPTIONS = ('enabled', 'domain_limits', 'link_lifetime_days', 'base_url')
ARGUMENT_SPEC = dict(
    enabled=dict(type='bool'),
    # Values stay as given (sizes such as "10MB" or whole bytes): checked by size_bytes.
    domain_limits=dict(type='dict'),
    link_lifetime_days=dict(type='int'),
    base_url=dict(type='str'),
)

PROGRAM = '/usr/local/lib/mailroom/mailroom-shared-links'
CONFIG = '/etc/mailroom/shared-links.json'
ROLE = 'mailroom.server.shared_links'

KIB = 1024
MIN_SIZE = KIB
MAX_SIZE = 2 * 1024 * 1024 * 1024
MAX_LIFETIME_DAYS = 3650
# On a host where the settings were never set (or the file is not ours): the role's first file.
DEFAULTS = dict(enabled=False, domain_limits={}, link_lifetime_days=30)

# A size as written by people: a decimal number, an optional space and Ansible's units (K/KB/KiB:
# 1024, M/MB/MiB: 1024 * 1024, ...); a lower-case b would be bits, which human_to_bytes refuses.
_SIZE = re.compile(r'\A([0-9]{1,12}(?:\.[0-9]{1,6})?) ?(?:([KMGTP])(?:i?B)?|(B))?\Z')
_CONTROL = re.compile(u'[\x00-\x1f\x7f-\x9f\u2028\u2029]')
_PORT = re.compile(r'\A[1-9][0-9]{0,4}\Z')
# Path segments of base_url: unreserved characters and percent-escapes, nothing the milter's
# link text, an HTML attribute or nginx would read otherwise.
_SEGMENT = re.compile(r'\A(?:[A-Za-z0-9._~-]|%[0-9A-Fa-f]{2})+\Z')


def facts():
    """Whether the role installed the milter, the settings file as stored, and the host's name
    (looked up only when the file has no base URL: every settings module gathers these facts)."""
    installed = os.path.isfile(PROGRAM)
    try:
        text = atomic_file.read_text(CONFIG)
    except HostError:
        # Unreadable or not UTF-8: unknown values, which any change replaces.
        text = ''
    fqdn = socket.getfqdn() if installed and parse(text)['base_url'] is None else None
    return {'shared_links_installed': installed, 'shared_links_config': text, 'shared_links_fqdn': fqdn}


def unavailable(state):
    if not state.facts.get('shared_links_installed'):
        return ('the shared links milter (%s) is not installed here: apply the %s role first'
                % (PROGRAM, ROLE))
    return None


# --- checking and normalising values ---------------------------------------------------------------

def _shown(value):
    """A value for an error message, cut short (a hostile input may be long)."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + '...'


def _no_control(option, text):
    if _CONTROL.search(text):
        raise SettingsError('shared_links: %s must be one line without control characters (a line break, '
                            'a tab): %s' % (option, _shown(text)))


def size_bytes(value, domain='?'):
    """Whole bytes from a size: an integer of bytes, or a string such as "10MB", "25 MiB", "500KB"
    or "1048576" (Ansible's human_to_bytes: K, M and G are powers of 1024)."""
    where = 'shared_links: domain_limits[%s]' % domain
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise SettingsError('%s must be a size such as 10MB or a whole number of bytes, not %s'
                            % (where, _shown(value)))
    if isinstance(value, str):
        _no_control('domain_limits[%s]' % domain, value)
        match = _SIZE.match(value)
        if not match:
            raise SettingsError('%s must be a size such as 10MB, 25 MiB, 500KB or a whole number of bytes, '
                                'not %s' % (where, _shown(value)))
        number, unit, byte = match.groups()
        if '.' in number and not unit:
            raise SettingsError('%s: %s is not a whole number of bytes' % (where, _shown(value)))
        try:
            value = human_to_bytes(number + ((unit + 'B') if unit else (byte or '')))
        except (ValueError, OverflowError) as exc:
            raise SettingsError('%s: %s' % (where, exc))
    if value < MIN_SIZE:
        raise SettingsError('%s must be at least 1 KiB (1024 bytes), not %s' % (where, _shown(value)))
    if value > MAX_SIZE:
        # Not echoed: a hostile number may have thousands of digits.
        raise SettingsError('%s must be at most 2 GiB (2147483648 bytes)' % where)
    return value


def domain_name(key):
    """A mail domain in the form the milter compares: lower case, IDNA (punycode), no final dot."""
    if not isinstance(key, str):
        raise SettingsError('shared_links: domain_limits keys are mail domains such as example.com, not %s' % _shown(key))
    _no_control('domain_limits key', key)
    name = key.lower()
    if name.endswith('.'):
        name = name[:-1]
    if any(ord(char) > 127 for char in name):
        try:
            name = name.encode('idna').decode('ascii')
        except UnicodeError:
            name = None
    if not name or '.' not in name or not _addresses.is_host_name(name):
        raise SettingsError('shared_links: domain_limits key %s is not a mail domain such as example.com' % _shown(key))
    return name


def domain_limits(value):
    """{domain: bytes} from the option; a domain given twice (in other case or form) is refused."""
    if not isinstance(value, dict):
        raise SettingsError('shared_links: domain_limits must be a dictionary of mail domain: size, not %s' % _shown(value))
    limits = {}
    for key in sorted(value, key=repr):
        name = domain_name(key)
        if name in limits:
            raise SettingsError('shared_links: domain_limits names %s twice' % name)
        limits[name] = size_bytes(value[key], name)
    return limits


def lifetime_days(value):
    if isinstance(value, bool) or not isinstance(value, int):
        raise SettingsError('shared_links: link_lifetime_days must be a whole number of days, not %s' % _shown(value))
    if not 0 <= value <= MAX_LIFETIME_DAYS:
        raise SettingsError('shared_links: link_lifetime_days must be 0 (links never expire) to %d, not %d'
                            % (MAX_LIFETIME_DAYS, value))
    return value


def _url_host(host):
    """The host of base_url, lower case: a DNS name, an IPv4 address or an IPv6 one in brackets."""
    if host.startswith('[') and host.endswith(']'):
        address = _addresses.parse_address(host[1:-1])
        return '[%s]' % address if address is not None and address.version == 6 else None
    address = _addresses.parse_address(host)
    if address is not None:
        return str(address) if address.version == 4 else None
    return host.lower() if _addresses.is_host_name(host) and not host.endswith('.') else None


def base_url(value):
    """https://host[:port][/path], without a trailing slash: checked piece by piece, never handed
    to a URL parser that would take userinfo, a query or a fragment quietly."""
    if not isinstance(value, str):
        raise SettingsError('shared_links: base_url must be a string, not %s' % _shown(value))
    _no_control('base_url', value)
    example = 'such as https://mail.example.com or https://mail.example.com:8443/files'
    if any(char.isspace() for char in value):
        raise SettingsError('shared_links: base_url must not contain spaces: %s' % _shown(value))
    scheme, sep, rest = value.partition('://')
    if not sep or scheme.lower() != 'https':
        raise SettingsError('shared_links: base_url must be an https:// URL (%s), not %s' % (example, _shown(value)))
    for char, what in (('@', 'a user name or password'), ('?', 'a query'), ('#', 'a fragment'),
                       ('\\', 'a backslash')):
        if char in rest:
            raise SettingsError('shared_links: base_url must not contain %s: %s' % (what, _shown(value)))
    authority, slash, path = rest.partition('/')
    host, port = authority, None
    if authority.startswith('['):
        end = authority.find(']')
        host, after = (authority[:end + 1], authority[end + 1:]) if end > 0 else (authority, '')
        if after:
            if not after.startswith(':'):
                host = authority
            else:
                port = after[1:]
    elif ':' in authority:
        host, port = authority.rsplit(':', 1)
    canonical_host = _url_host(host)
    if canonical_host is None:
        raise SettingsError('shared_links: base_url host %s is not a DNS name (international names in punycode) or an '
                            'IP address (%s)' % (_shown(host), example))
    if port is not None and not (_PORT.match(port) and int(port) <= 65535):
        raise SettingsError('shared_links: base_url port %s must be 1 to 65535' % _shown(port))
    segments = path.split('/') if slash else []
    while segments and segments[-1] == '':
        segments.pop()
    for segment in segments:
        if segment in ('', '.', '..') or not _SEGMENT.match(segment):
            raise SettingsError('shared_links: base_url path segment %s is not allowed: letters, digits, '
                                '"-._~" and %%-escapes, no empty, "." or ".." segments' % _shown(segment))
    return 'https://%s%s%s' % (canonical_host, ':' + port if port else '', ''.join('/' + segment for segment in segments))


# --- the file -----------------------------------------------------------------------------------------

def parse(text):
    """The settings a file holds; every value None when it is absent or not exactly ours (not JSON,
    other keys), a value alone None when it is invalid."""
    unknown = dict((name, None) for name in OPTIONS)
    if not text:
        return unknown
    try:
        stored = json.loads(text)
    except ValueError:
        return unknown
    if not isinstance(stored, dict) or set(stored) != set(OPTIONS):
        return unknown
    settings = dict(unknown)
    checks = (('enabled', _stored_bool), ('domain_limits', _stored_limits),
              ('link_lifetime_days', lifetime_days), ('base_url', _stored_url))
    for name, check in checks:
        try:
            settings[name] = check(stored[name])
        except SettingsError:
            pass
    return settings


def _stored_bool(value):
    if not isinstance(value, bool):
        raise SettingsError('not a boolean')
    return value


def _stored_limits(value):
    # Stored values are whole bytes and keys normalised ("10MB" != 10485760): anything else is not ours.
    limits = domain_limits(value)
    if limits != value:
        raise SettingsError('not normalised')
    return limits


def _stored_url(value):
    url = base_url(value)
    if url != value:
        raise SettingsError('not normalised')
    return url


def render(settings):
    """The file the milter reads (the submission policy files' format)."""
    return json.dumps(dict((name, settings[name]) for name in OPTIONS), indent=1, sort_keys=True) + '\n'


# --- the area -----------------------------------------------------------------------------------------

def read(state):
    return parse(state.facts.get('shared_links_config'))


def read_staged(staged, wanted):
    """Nothing is staged: what the written file will read back as (render and parse agree)."""
    return parse(render(wanted))


def desired(current, options, state):
    """The given options, checked and normalised, over the current values; values neither given
    nor known take the defaults (the role's first file: disabled, no limits, 30 days, https://
    and the host's name)."""
    checks = dict(enabled=lambda value: value, domain_limits=domain_limits,
                  link_lifetime_days=lifetime_days, base_url=base_url)
    result = dict(current)
    for name in OPTIONS:
        if options.get(name) is not None:
            result[name] = checks[name](options[name])
    for name, value in DEFAULTS.items():
        if result[name] is None:
            result[name] = value
    if result['base_url'] is None:
        fqdn = (state.facts.get('shared_links_fqdn') or '') if state is not None else ''
        try:
            result['base_url'] = base_url('https://' + fqdn)
        except SettingsError:
            raise SettingsError('shared_links: give base_url: the host name %s does not make a download URL '
                                'by itself' % _shown(fqdn))
    return result


def plan(wanted, state):
    return Plan(files=[ManagedFile(CONFIG, render(wanted), None, mode=0o644)])
