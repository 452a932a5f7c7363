# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Brute-force lockout: the pure model of the login protection settings (fail2ban's jail).

One fail2ban jail, JAIL, counts failed logins from every place a password is checked - Postfix's
SASL (465, 587), Dovecot's login processes (IMAP and POP3, 143/993/110/995) and Roundcube (the
webmail) - so that N failures from one address *in any mix of services* lock it out. One jail and
not one per service: fail2ban counts per jail, and an attacker alternating between IMAP and SMTP
would otherwise get N - 1 tries on each. Its ban action closes every mail and web port, so an
address banned for guessing IMAP passwords cannot go on over SMTP or the webmail either.

The file is rendered from the settings and parsed back; a file that is not exactly ours (a hand
edit) reads as unknown values (None), which any change replaces with a whole file. Every value is
checked before it can reach the file: numbers in their ranges, networks parsed by netaddr (no
newline, comma, space or anything but an address can get through).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.mailroom.server.plugins.module_utils import _addresses
from ansible_collections.mailroom.server.plugins.module_utils._engine.errors import SettingsError

AREA = 'login_protection'
JAIL = 'mailroom-login'
# The filter the guard role installs (filter.d/mailroom-login.conf).
FILTER = 'mailroom-login'
OPTIONS = ('enabled', 'max_failures', 'find_time', 'ban_time', 'trusted_networks')
# The defaults of the admin panel: 5 failures within 10 minutes lock an address out for an hour.
DEFAULTS = dict(enabled=True, max_failures=5, find_time=600, ban_time=3600, trusted_networks=[])
# (minimum, maximum) of each number, in failures or seconds. Below a minute a window catches
# nothing and a ban is gone before a script notices; above them a user who mistyped a password
# a few times is locked out for weeks (lift_bans helps, but only once an admin hears of it).
RANGES = dict(max_failures=(1, 100), find_time=(60, 86400), ban_time=(60, 30 * 86400))
# Always trusted, whatever the option says: the webmail logs in to Dovecot and Postfix over
# loopback, so a ban of 127.0.0.1 would lock every webmail user out.
LOOPBACK = ('127.0.0.0/8', '::1')
# Every port a password or a mail client reaches: SMTP (25: a banned guesser sends no mail
# either), SMTPS, submission, POP3, IMAP, IMAPS, POP3S, HTTP and HTTPS (the webmail).
PORTS = (25, 465, 587, 110, 143, 993, 995, 80, 443)
# fail2ban's own nftables action, restricted to PORTS (multiport, not allports: SSH stays open
# to a banned address, so an admin behind a NAT shared with a guesser can still log in).
BANACTION = 'nftables-multiport'
HEADER = ('# Managed by mailroom.server (module mailroom.server.login_protection); replaced on its next change.\n'
          '# Brute-force lockout: failed logins from one address on SMTP AUTH, IMAP, POP3 and the\n'
          '# webmail, counted together, ban it on every mail and web port.\n')

_CONTROL = re.compile(u'[\x00-\x1f\x7f-\x9f\u2028\u2029]')


def _shown(value):
    """A value for an error message, cut short (a hostile input may be long)."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + '...'


# --- checking and normalising values -------------------------------------------------------------------

def number(name, value):
    """A whole number within RANGES[name]; a boolean or text is refused, never converted."""
    low, high = RANGES[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise SettingsError('%s: %s must be a whole number, not %s' % (AREA, name, _shown(value)))
    if not low <= value <= high:
        # Not echoed whole: a hostile number may have thousands of digits.
        raise SettingsError('%s: %s must be %d to %d, not %s' % (AREA, name, low, high, _shown(value)))
    return value


def _network(option, text):
    """An IPNetwork from "address" or "address/prefix-length"; SettingsError otherwise."""
    if not isinstance(text, str):
        raise SettingsError('%s: %s entries must be addresses or networks such as 192.0.2.0/24, not %s'
                            % (AREA, option, _shown(text)))
    if _CONTROL.search(text):
        raise SettingsError('%s: %s entries must be one line without control characters (a line break, a tab): %s'
                            % (AREA, option, _shown(text)))
    address = _addresses.parse_address(text)
    if address is not None:
        return _addresses.parse_network('%s/%d' % (address, 32 if address.version == 4 else 128))
    network = _addresses.parse_network(text)
    if network is None:
        raise SettingsError('%s: %s entry %s is not an IP address or a network such as 192.0.2.0/24 or 2001:db8::/32'
                            % (AREA, option, _shown(text)))
    return network


def _spelled(network):
    """A network as fail2ban's ignoreip and results show it: a single address without a length."""
    whole = 32 if network.version == 4 else 128
    return str(network.ip) if network.prefixlen == whole else str(network.cidr)


def networks(value, option='trusted_networks'):
    """Addresses and networks, normalised (the network of "192.0.2.7/24" is 192.0.2.0/24, a lone
    address has no length), without duplicates, IPv4 before IPv6 and in address order, so the same
    set given in another order or spelling is the same setting."""
    if not isinstance(value, (list, tuple)):
        raise SettingsError('%s: %s must be a list of addresses or networks, not %s' % (AREA, option, _shown(value)))
    parsed = set()
    for entry in value:
        # netaddr compares networks by their range: 192.0.2.7/24 is 192.0.2.0/24.
        parsed.add(_network(option, entry))
    return [_spelled(network) for network in sorted(parsed, key=lambda net: (net.version, net.first, net.prefixlen))]


def addresses(value, option='lift_bans'):
    """Single addresses (no networks: fail2ban bans and unbans addresses), normalised."""
    result = networks(value, option)
    for entry in result:
        if '/' in entry:
            raise SettingsError('%s: %s takes single addresses, not the network %s' % (AREA, option, entry))
    return result


# --- the jail file --------------------------------------------------------------------------------------

def ignoreip(trusted):
    """fail2ban's ignoreip: loopback, then the trusted networks (space-separated)."""
    return ' '.join(list(LOOPBACK) + list(trusted))


def render(settings):
    """The jail file (fail2ban's INI syntax) of checked settings."""
    lines = [
        '[%s]' % JAIL,
        'enabled = %s' % ('true' if settings['enabled'] else 'false'),
        'filter = %s' % FILTER,
        # The journal, not log files: Postfix, Dovecot and Roundcube log there (the filter's
        # journalmatch says which units), and Debian 12's default (auto) backend wants log files.
        'backend = systemd',
        # The filter takes addresses only (never names a client chose for itself): no lookups.
        'usedns = no',
        'maxretry = %d' % settings['max_failures'],
        'findtime = %d' % settings['find_time'],
        'bantime = %d' % settings['ban_time'],
        'ignoreip = %s' % ignoreip(settings['trusted_networks']),
        'banaction = %s' % BANACTION,
        'port = %s' % ','.join(str(port) for port in PORTS),
        'protocol = tcp',
        'action = %(banaction)s[port="%(port)s", protocol="%(protocol)s"]',
    ]
    return HEADER + '\n' + '\n'.join(lines) + '\n'


_LINE = re.compile(r'\A([a-z]+) = (.*)\Z')


def parse(text):
    """The settings a jail file holds; every value None when it is absent or not exactly ours."""
    unknown = dict((name, None) for name in OPTIONS)
    if not text or not text.startswith(HEADER):
        return unknown
    values = {}
    for line in text[len(HEADER):].splitlines():
        match = _LINE.match(line)
        if match:
            values[match.group(1)] = match.group(2)
    try:
        # Loopback first, then the option's (render compares the whole line below).
        trusted = values['ignoreip'].split(' ')[len(LOOPBACK):]
        settings = dict(
            enabled={'true': True, 'false': False}[values['enabled']],
            max_failures=number('max_failures', _int(values['maxretry'])),
            find_time=number('find_time', _int(values['findtime'])),
            ban_time=number('ban_time', _int(values['bantime'])),
            trusted_networks=networks(trusted))
    except (KeyError, SettingsError):
        return unknown
    # Ours exactly: what these settings render to, byte for byte (a hand-added line, another
    # jail or another ban action is not).
    return settings if render(settings) == text else unknown


def effective(settings, jail):
    """The settings fail2ban really gives JAIL, from its entry of `fail2ban-client -d` (None: the
    jail is not started) over `settings` read from our file; every value None where another file
    changed what the jail is (its backend, its ports) or what it reads as (not our numbers, loopback
    not first among the ignored addresses)."""
    if jail is None:
        return dict(settings, enabled=False)
    unknown = dict((name, None) for name in OPTIONS)
    ignored = jail.get('ignoreip') or []
    if jail.get('backend') != 'systemd' or jail.get('ports') != [','.join(str(port) for port in PORTS)] \
            or tuple(ignored[:len(LOOPBACK)]) != LOOPBACK:
        return dict(unknown, enabled=True)
    try:
        return dict(enabled=True,
                    max_failures=number('max_failures', _int(jail.get('maxretry') or '')),
                    find_time=number('find_time', _int(jail.get('findtime') or '')),
                    ban_time=number('ban_time', _int(jail.get('bantime') or '')),
                    trusted_networks=networks(ignored[len(LOOPBACK):]))
    except SettingsError:
        return dict(unknown, enabled=True)


def _int(text):
    return int(text) if re.match(r'\A[0-9]{1,9}\Z', text) else None


# --- the area's logic ----------------------------------------------------------------------------------

def desired(current, options):
    """The given options, checked and normalised, over the current values; values neither given
    nor known take DEFAULTS. `lift_bans` is checked too (before anything changes), not kept."""
    result = dict(current)
    if options.get('enabled') is not None:
        if not isinstance(options['enabled'], bool):
            raise SettingsError('%s: enabled must be true or false, not %s' % (AREA, _shown(options['enabled'])))
        result['enabled'] = options['enabled']
    for name in RANGES:
        if options.get(name) is not None:
            result[name] = number(name, options[name])
    if options.get('trusted_networks') is not None:
        result['trusted_networks'] = networks(options['trusted_networks'])
    if options.get('lift_bans') is not None:
        addresses(options['lift_bans'])
    for name, value in DEFAULTS.items():
        if result.get(name) is None:
            result[name] = value
    return result


# --- fail2ban-client's answers --------------------------------------------------------------------------

_BANNED = re.compile(r'Banned IP list:[ \t]*(.*)$', re.MULTILINE)
_JAILS = re.compile(r'Jail list:[ \t]*(.*)$', re.MULTILINE)


def parse_jails(text):
    """The jail names of `fail2ban-client status`."""
    match = _JAILS.search(text or '')
    if not match:
        return []
    return [name.strip() for name in match.group(1).split(',') if name.strip()]


def parse_banned(text):
    """The banned addresses of `fail2ban-client status <jail>`, normalised and sorted; text that
    is not an address (fail2ban never prints one, but it is only text) is left out."""
    match = _BANNED.search(text or '')
    if not match:
        return []
    found = []
    for word in match.group(1).split():
        address = _addresses.parse_address(word)
        if address is not None:
            found.append(address)
    return [str(address) for address in sorted(set(found), key=lambda each: (each.version, int(each)))]


def to_lift(requested, banned):
    """The requested addresses that are banned now, in the order given (already normalised)."""
    return [address for address in requested if address in banned]
