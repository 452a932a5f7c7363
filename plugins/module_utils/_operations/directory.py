# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Directory accounts (OpenLDAP, Active Directory): what each type looks up, and a live probe.

The same connection settings drive Postfix's recipient table, Dovecot's passdb/userdb and the
probe that proves, before anything changes, that the directory answers, accepts the bind and
holds at least one user.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import tempfile
import unicodedata

from ansible_collections.mailroom.server.plugins.module_utils import _addresses
from ansible_collections.mailroom.server.plugins.module_utils._engine.errors import DirectoryError, SettingsError

LDAP = 'ldap'
DOMAIN = 'domain'
LOCAL = 'local'
ACCOUNT_TYPES = (LOCAL, LDAP, DOMAIN)

# AD: people only (computers are users too), and no disabled account (userAccountControl bit 2).
AD_ENABLED_PEOPLE = ('(&(objectCategory=person)(objectClass=user)'
                     '(!(userAccountControl:1.2.840.113556.1.4.803:=2)))')


class Flavour(object):
    """How one directory type names its users."""

    def __init__(self, login_attribute, address_attributes, default_filter):
        self.login_attribute = login_attribute          # the login and mailbox name
        self.address_attributes = address_attributes    # attributes holding a full address
        self.default_filter = default_filter


FLAVOURS = {
    LDAP: Flavour('uid', ('mail',), '(objectClass=inetOrgPerson)'),
    DOMAIN: Flavour('sAMAccountName', ('mail', 'userPrincipalName'), AD_ENABLED_PEOPLE),
}

DIRECTORY_OPTIONS = ('uri', 'base_dn', 'bind_dn', 'bind_password', 'user_filter', 'starttls', 'ca_file')
REQUIRED = ('uri', 'base_dn', 'bind_dn', 'bind_password')


def _wrap(expression):
    return expression if expression.startswith('(') else '(%s)' % expression


def login_filter(account_type, directory, value):
    """Filter for one login name (`value` is the daemon's placeholder, e.g. %n)."""
    flavour = FLAVOURS[account_type]
    return '(&%s(%s=%s))' % (_wrap(directory['user_filter']), flavour.login_attribute, value)


def recipient_filter(account_type, directory):
    """Postfix query_filter: the local part is a login, or the whole address is the user's."""
    flavour = FLAVOURS[account_type]
    terms = ['(%s=%%u)' % flavour.login_attribute]
    terms.extend('(%s=%%s)' % attribute for attribute in flavour.address_attributes)
    return '(&%s(|%s))' % (_wrap(directory['user_filter']), ''.join(terms))


def uses_ldaps(directory):
    return directory['uri'].lower().startswith('ldaps://')


# scheme://host[:port][/]: one server, nothing after it (Postfix's server_host, Dovecot's uris and
# ldapsearch -H all take the same URI); the host is checked on its own.
_LDAP_URI = re.compile(r'\A(?:ldaps?)://(?P<host>\[[^\]]*\]|[^:/]*)(?::(?P<port>[0-9]{1,5}))?/?\Z', re.IGNORECASE)


def _check_uri(uri):
    """Refuse a directory URI whose host is no DNS name, IPv4 address or bracketed IPv6 address,
    or whose port is out of range, naming what is wrong."""
    lowered = uri.lower()
    if not (lowered.startswith('ldap://') or lowered.startswith('ldaps://')) or len(uri.split()) != 1:
        raise SettingsError('directory.uri must be one ldap:// or ldaps:// URI, got %r' % uri)
    found = _LDAP_URI.match(uri)
    if found is None:
        authority = uri.split('://', 1)[1].rstrip('/')
        if _addresses.parse_address(authority) is not None:
            raise SettingsError('directory.uri: an IPv6 address goes in brackets (ldap://[%s]), got %r'
                                % (authority, uri))
        raise SettingsError('directory.uri must be scheme://host[:port] with nothing after it, got %r' % uri)
    host, port = found.group('host'), found.group('port')
    if not host:
        raise SettingsError('directory.uri names no host, got %r' % uri)
    if host.startswith('['):
        address = _addresses.parse_address(host[1:-1])
        if address is None or address.version != 6:
            raise SettingsError('directory.uri: %s is not an IPv6 address in brackets, got %r' % (host, uri))
    elif _addresses.parse_address(host) is None and not _addresses.is_host_name(host):
        raise SettingsError('directory.uri: %r is neither a host name nor an IP address, got %r' % (host, uri))
    if port is not None and not 0 < int(port) < 65536:
        raise SettingsError('directory.uri: port %s is out of range (1-65535), got %r' % (port, uri))


# Settings written into the Postfix LDAP table, Dovecot's LDAP settings and the environment.
TEXT_OPTIONS = ('uri', 'base_dn', 'bind_dn', 'bind_password', 'user_filter', 'ca_file')
# Space-separated lists (Dovecot 2.3's import_environment) must not take a path apart.
NO_SPACE_OPTIONS = ('uri', 'ca_file')


def _check_text(name, value):
    """Refuse what would break out of its line (or, for NO_SPACE_OPTIONS, its word) in the
    files the settings are written to; the password is never shown."""
    if value is None:
        return
    if any(unicodedata.category(char) in ('Cc', 'Zl', 'Zp') for char in value):
        raise SettingsError('directory.%s must be a single line without control characters%s'
                            % (name, '' if name == 'bind_password' else ', got %r' % value))
    if name in NO_SPACE_OPTIONS and len(value.split()) != 1:
        raise SettingsError('directory.%s must not contain spaces, got %r' % (name, value))


def normalise(account_type, given, current=None):
    """Complete directory settings: the current ones of the same type, then `given`, then defaults.

    Raises SettingsError naming what is missing or wrong.
    """
    result = dict((name, None) for name in DIRECTORY_OPTIONS)
    if current:
        result.update(current)
    given = dict((name, value) for name, value in (given or {}).items()
                 if name in DIRECTORY_OPTIONS and value is not None)
    if current and 'uri' in given and 'starttls' not in given and current.get('uri') \
            and uses_ldaps(dict(uri=given['uri'])) != uses_ldaps(current):
        # A new scheme without a word on StartTLS: the kept value was made for the old one.
        # Kept, ldaps:// -> ldap:// would bind in cleartext and ldap:// -> ldaps:// be refused.
        result['starttls'] = None
    result.update(given)
    for name in TEXT_OPTIONS:
        _check_text(name, result[name])
    if not result['user_filter']:
        result['user_filter'] = FLAVOURS[account_type].default_filter
    missing = [name for name in REQUIRED if not result[name]]
    if missing:
        raise SettingsError('account_type %s needs directory.%s' % (account_type, ', directory.'.join(missing)))
    _check_uri(result['uri'])
    if result['starttls'] is None:
        result['starttls'] = not uses_ldaps(result)
    if result['starttls'] and uses_ldaps(result):
        raise SettingsError('directory.starttls does not apply to an ldaps:// URI (TLS from the first byte)')
    if not result['user_filter'].startswith('(') or result['user_filter'].count('(') != result['user_filter'].count(')'):
        raise SettingsError('directory.user_filter must be an LDAP filter in parentheses, got %r'
                            % result['user_filter'])
    return result


def probe_command(account_type, directory, password_file):
    """(argv, environment) of an ldapsearch that binds and fetches one user's login name."""
    argv = ['ldapsearch', '-x', '-LLL', '-o', 'nettimeout=10', '-l', '15', '-z', '1',
            '-H', directory['uri'], '-D', directory['bind_dn'], '-y', password_file,
            '-b', directory['base_dn']]
    if directory['starttls']:
        argv.append('-ZZ')
    attribute = FLAVOURS[account_type].login_attribute
    argv.extend([login_filter(account_type, directory, '*'), attribute])
    return argv, dict(ldap_environment(directory))


def ldap_environment(directory):
    """What OpenLDAP's library must be told, for every client of the directory (ldapsearch,
    Dovecot): never chase referrals, always check the certificate, against this CA if given."""
    environment = [('LDAPREFERRALS', 'off'), ('LDAPTLS_REQCERT', 'demand')]
    if directory.get('ca_file'):
        environment.append(('LDAPTLS_CACERT', directory['ca_file']))
    return environment


def parse_probe(account_type, directory, rc, out, err):
    """The login name the probe found; DirectoryError with the directory's own words otherwise."""
    attribute = FLAVOURS[account_type].login_attribute.lower()
    found = [line.split(':', 1)[1].strip() for line in out.splitlines()
             if line.lower().startswith(attribute + ':')]
    # 4: size limit exceeded, which -z 1 asks for when there is more than one user
    if rc in (0, 4) and found:
        return found[0]
    if rc in (0, 4):
        raise DirectoryError('%s accepted the bind but holds no user matching %s under %s'
                             % (directory['uri'], login_filter(account_type, directory, '*'),
                                directory['base_dn']))
    message = ' '.join(line.strip() for line in (err or out).splitlines() if line.strip())
    raise DirectoryError('%s: %s' % (directory['uri'], message or 'ldapsearch exit status %d' % rc))


def probe(module, account_type, directory):
    """Bind and look one user up with the given settings; return the user found."""
    ldapsearch = module.get_bin_path('ldapsearch')
    if not ldapsearch:
        raise DirectoryError('ldapsearch is missing: apply the mailroom.server.mta role first (it installs ldap-utils)')
    handle, password_file = tempfile.mkstemp(prefix='mailroom-bind-')
    try:
        with os.fdopen(handle, 'w') as stream:
            stream.write(directory['bind_password'])
        argv, environment = probe_command(account_type, directory, password_file)
        argv[0] = ldapsearch
        rc, out, err = module.run_command(argv, environ_update=environment)
    finally:
        os.unlink(password_file)
    return parse_probe(account_type, directory, rc, out, err)
