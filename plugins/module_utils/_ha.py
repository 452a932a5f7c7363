# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure model of the high-availability pair: validate the settings, render and read back
keepalived's configuration and the mail sync's settings, and work out the listeners on the
virtual IP (VIP) that Postfix and Dovecot need.

Nothing here touches the host: the area (``_areas/high_availability.py``) hands in what the host
has (interface networks, the non-local bind switches, the Debian release) as plain data.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from ansible_collections.mailroom.server.plugins.module_utils import _addresses
from ansible_collections.mailroom.server.plugins.module_utils._engine.errors import SettingsError

AREA = 'high_availability'
PRESENT = 'present'
ABSENT = 'absent'
OPTIONS = ('state', 'interface', 'virtual_ip', 'peer', 'priority', 'router_id', 'auth_pass', 'nopreempt',
           'sync_interval', 'sync_port', 'sync_password')
SECRETS = ('auth_pass', 'sync_password')
MASK = '********'
# The fact (state.facts) holding the VIP address keepalived's live configuration manages, None
# without one: the other areas leave it and its listeners alone.
VIP_FACT = 'ha_vip'

KEEPALIVED_CONF = '/etc/keepalived/keepalived.conf'
SYNC_CONF = '/etc/mailroom/ha-sync.json'
# Written by the sync after its first successful round since boot (/run is emptied at boot): the
# node may take the VIP only once it exists.
SYNC_STAMP = '/run/mailroom-ha/synced'
INSTANCE = 'mailroom'
SYSTEMCTL = '/usr/bin/systemctl'
TEST = '/usr/bin/test'
NONLOCAL_BIND = {4: '/proc/sys/net/ipv4/ip_nonlocal_bind', 6: '/proc/sys/net/ipv6/ip_nonlocal_bind'}

# Values a new pair gets for the options not given.
DEFAULTS = dict(priority=100, nopreempt=True, sync_interval=30, sync_port=12345)
PRIORITY_RANGE = (1, 254)
ROUTER_ID_RANGE = (1, 255)
SYNC_INTERVAL_RANGE = (5, 86400)
PORT_RANGE = (1, 65535)
# VRRP's simple password authentication carries 8 bytes; keepalived silently cuts a longer one.
AUTH_PASS_MAX = 8
SYNC_PASSWORD_MIN = 16

# Linux interface names: at most 15 bytes, no whitespace or slash.
_INTERFACE = re.compile(r'\A[A-Za-z0-9_.:@-]{1,15}\Z')
# Printable ASCII without whitespace and without what keepalived's or Dovecot's parser reads
# specially (quotes, braces, the comment marks # and !, Dovecot's "<file" and "$variable").
_SECRET = re.compile(r'\A[%&()*+,\-./0-9:;=>?@A-Z\[\]^_`a-z|~]+\Z')


def _range(name, value, bounds):
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SettingsError('%s must be a whole number from %d to %d, got %r' % (name, low, high, value))
    return value


def check_interface(name):
    if not isinstance(name, str) or not _INTERFACE.match(name):
        raise SettingsError('interface must be a network interface name (up to 15 letters, digits or ._:@-), '
                            'got %r' % (name,))
    return name


def check_secret(name, value, shortest, longest=None):
    if not isinstance(value, str) or not _SECRET.match(value):
        raise SettingsError('%s must be printable ASCII without spaces, quotes, braces, #, !, $, < or \\' % name)
    if len(value) < shortest or (longest is not None and len(value) > longest):
        raise SettingsError('%s must be %s characters long' % (
            name, ('%d to %d' % (shortest, longest)) if longest else 'at least %d' % shortest))
    return value


def parse_vip(text):
    """The netaddr.IPNetwork of a VIP given as "address/prefix-length"; SettingsError otherwise."""
    network = _addresses.parse_network(text)
    if network is None:
        raise SettingsError('virtual_ip must be an address with its prefix length, such as 192.0.2.10/24 '
                            'or 2001:db8::10/64, got %r' % (text,))
    limit = 32 if network.version == 4 else 128
    if network.prefixlen > limit:
        raise SettingsError('virtual_ip: the prefix length must be at most %d, got %r' % (limit, text))
    address = network.ip
    if address.is_loopback() or address.is_multicast() or (network.version == 6 and address.is_link_local()):
        raise SettingsError('virtual_ip must be a unicast address usable on the network, got %s' % address)
    return network


def vip_address(settings):
    """The VIP's address (canonical text) of settings, None when there is none."""
    if not settings or settings.get('state') != PRESENT or not settings.get('virtual_ip'):
        return None
    network = _addresses.parse_network(settings['virtual_ip'])
    return str(network.ip) if network is not None else None


def canonical_vip(text):
    network = parse_vip(text)
    return '%s/%d' % (network.ip, network.prefixlen)


def validate(wanted, host):
    """Check present settings against the host; SettingsError names the first problem.

    `host` is plain data: ``networks`` {interface: ["address/prefix", ...]} (the VIP itself left
    out), ``nonlocal_bind`` {4: "0"/"1"/None, 6: ...}.
    """
    check_interface(wanted['interface'])
    vip = parse_vip(wanted['virtual_ip'])
    peer = _addresses.parse_address(wanted['peer'])
    if peer is None:
        raise SettingsError('peer must be the IPv4 or IPv6 address of the other node, got %r' % (wanted['peer'],))
    _range('priority', wanted['priority'], PRIORITY_RANGE)
    _range('router_id', wanted['router_id'], ROUTER_ID_RANGE)
    _range('sync_interval', wanted['sync_interval'], SYNC_INTERVAL_RANGE)
    _range('sync_port', wanted['sync_port'], PORT_RANGE)
    if vip.version == 4:
        check_secret('auth_pass', wanted['auth_pass'], 1, AUTH_PASS_MAX)
    check_secret('sync_password', wanted['sync_password'], SYNC_PASSWORD_MIN)
    networks = host.get('networks') or {}
    if wanted['interface'] not in networks:
        raise SettingsError('interface: %s does not exist on this host; choose one of: %s'
                            % (wanted['interface'], ', '.join(sorted(networks)) or 'none'))
    own = [_addresses.parse_network(text) for text in networks[wanted['interface']]]
    own = [network for network in own if network is not None]
    same_family = [network for network in own if network.version == vip.version
                   and not (network.version == 6 and network.ip.is_link_local())]
    if not same_family:
        raise SettingsError('virtual_ip %s is an IPv%d address but %s has no IPv%d address (it is IPv%d-only); '
                            'give a VIP of the family the interface has'
                            % (vip.ip, vip.version, wanted['interface'], vip.version, 4 if vip.version == 6 else 6))
    if not any(vip.ip in network.cidr for network in same_family):
        raise SettingsError('virtual_ip %s is outside the networks of %s (%s): the peer could not reach it there'
                            % (vip.ip, wanted['interface'], ', '.join(str(n.cidr) for n in same_family)))
    if any(vip.ip == network.ip for network in own):
        raise SettingsError('virtual_ip %s is an address the interface already has: choose a free address'
                            % vip.ip)
    if peer.version != vip.version:
        raise SettingsError('peer %s must be an IPv%d address like virtual_ip (VRRP runs in one family)'
                            % (peer, vip.version))
    mine = set(str(network.ip) for addresses in networks.values() for network in
               [_addresses.parse_network(text) for text in addresses] if network is not None)
    if str(peer) in mine:
        raise SettingsError('peer %s is an address of this host: give the address of the other node' % peer)
    if peer == vip.ip:
        raise SettingsError('peer must be the other node\'s own address, not the virtual IP')
    switch = (host.get('nonlocal_bind') or {}).get(vip.version)
    if switch != '1':
        raise SettingsError(
            'net.ipv%d.ip_nonlocal_bind is %s on this host: Postfix and Dovecot must bind the virtual IP while '
            'the other node holds it. It must be set when the host or container is created (inside a container '
            '/proc/sys is read-only): sysctl net.ipv%d.ip_nonlocal_bind=1 on a host (and in /etc/sysctl.d), '
            'or --sysctl net.ipv%d.ip_nonlocal_bind=1 / Molecule\'s "sysctls:" for a container'
            % (vip.version, 'off' if switch == '0' else 'unknown', vip.version, vip.version))
    return wanted


def source_address(wanted, networks):
    """The interface's own address in the VIP's network: VRRP's unicast source."""
    vip = parse_vip(wanted['virtual_ip'])
    for text in networks.get(wanted['interface']) or []:
        network = _addresses.parse_network(text)
        if network is not None and network.version == vip.version and vip.ip in network.cidr \
                and network.ip != vip.ip:
            return str(network.ip)
    return None


def postfix_unit(debian_version):
    """The systemd unit running Postfix's master: postfix@- up to Debian 12, postfix from 13."""
    match = re.match(r'\s*(\d+)', debian_version or '')
    if match and int(match.group(1)) <= 12:
        return 'postfix@-'
    return 'postfix'


def _quoted(text):
    if re.search(r'[\s"{}#!\\]', text):
        raise SettingsError('keepalived: %r cannot be written into the configuration' % (text,))
    return text


def render_keepalived(wanted, source, postfix_service):
    """keepalived.conf for `wanted` (absent: no VRRP instance, keepalived idles)."""
    lines = ['# Managed by mailroom.server.high_availability; changes here are overwritten.',
             'global_defs {',
             '  enable_script_security',
             '  script_user root',
             '}']
    if wanted.get('state') != PRESENT:
        return '\n'.join(lines) + '\n'
    vip = parse_vip(wanted['virtual_ip'])
    checks = (('mailroom_postfix', '%s is-active --quiet %s' % (SYSTEMCTL, _quoted(postfix_service))),
              ('mailroom_dovecot', '%s is-active --quiet dovecot' % SYSTEMCTL),
              ('mailroom_synced', '%s -e %s' % (TEST, SYNC_STAMP)))
    for name, command in checks:
        # One unit per check: `systemctl is-active a b` succeeds when any of them is active.
        lines.extend(['vrrp_script %s {' % name,
                      '  script "%s"' % command,
                      '  interval 1',
                      '  fall 2',
                      '  rise 1',
                      '}'])
    lines.extend(['vrrp_instance %s {' % INSTANCE,
                  '  state BACKUP',
                  '  interface %s' % _quoted(check_interface(wanted['interface'])),
                  '  virtual_router_id %d' % _range('router_id', wanted['router_id'], ROUTER_ID_RANGE),
                  '  priority %d' % _range('priority', wanted['priority'], PRIORITY_RANGE),
                  '  advert_int 1'])
    if wanted['nopreempt']:
        lines.append('  nopreempt')
    if vip.version == 6:
        lines.append('  native_ipv6')
    if source:
        lines.append('  unicast_src_ip %s' % _addresses.parse_address(source))
    lines.extend(['  unicast_peer {',
                  '    %s' % _addresses.parse_address(wanted['peer']),
                  '  }'])
    if vip.version == 4:
        # VRRPv2's simple password; VRRPv3 (IPv6) has no authentication.
        lines.extend(['  authentication {',
                      '    auth_type PASS',
                      '    auth_pass %s' % _quoted(check_secret('auth_pass', wanted['auth_pass'], 1, AUTH_PASS_MAX)),
                      '  }'])
    lines.extend(['  virtual_ipaddress {',
                  '    %s/%d dev %s' % (vip.ip, vip.prefixlen, wanted['interface']),
                  '  }',
                  '  track_script {'])
    lines.extend('    %s' % name for name, _command in checks)
    lines.extend(['  }', '}'])
    return '\n'.join(lines) + '\n'


def _blocks(text):
    """[(words, children)] of keepalived configuration text (comments dropped)."""
    root = []
    stack = [root]
    for raw in (text or '').splitlines():
        line = re.split(r'[#!]', raw, 1)[0].strip()
        if not line:
            continue
        opens = line.endswith('{')
        words = line.rstrip('{').split()
        if line == '}':
            if len(stack) > 1:
                stack.pop()
            continue
        children = [] if opens else None
        stack[-1].append((words, children))
        if opens:
            stack.append(children)
    return root


def _find(blocks, name):
    for words, children in blocks:
        if words and words[0] == name:
            return words, children
    return None, None


def parse_keepalived(text):
    """The settings of our VRRP instance in keepalived.conf text (state absent without one).

    Only what keepalived keeps is read back (the sync settings live in their own file, the sync
    password in Dovecot's); an IPv6 instance has no auth_pass.
    """
    words, body = _find(_blocks(text), 'vrrp_instance')
    if body is None or words[1:2] != [INSTANCE]:
        return absent()

    def value(name, convert=str):
        found = _find(body, name)[0]
        if not found or len(found) < 2:
            return None
        try:
            return convert(found[1])
        except ValueError:
            return None

    peers = _find(body, 'unicast_peer')[1] or []
    vips = _find(body, 'virtual_ipaddress')[1] or []
    auth = _find(body, 'authentication')[1] or []
    auth_pass = [found[1] for found, _children in auth if found[0] == 'auth_pass' and len(found) > 1]
    vip = _addresses.parse_network(vips[0][0][0]) if vips and vips[0][0] else None
    return dict(
        state=PRESENT,
        interface=value('interface'),
        virtual_ip='%s/%d' % (vip.ip, vip.prefixlen) if vip is not None else None,
        peer=_addresses.canonical(peers[0][0][0]) if peers and peers[0][0] else None,
        priority=value('priority', int),
        router_id=value('virtual_router_id', int),
        auth_pass=auth_pass[0] if auth_pass else None,
        nopreempt=_find(body, 'nopreempt')[0] is not None,
    )


def absent():
    """The settings of a host that is no node of a pair."""
    return dict((name, ABSENT if name == 'state' else None) for name in OPTIONS)


def render_sync(wanted):
    """The sync's settings file (JSON: no value can add a line or a key)."""
    if wanted.get('state') != PRESENT:
        return json.dumps({'enabled': False}, sort_keys=True, indent=2) + '\n'
    return json.dumps({
        'enabled': True,
        'peer': str(_addresses.parse_address(wanted['peer'])),
        'port': wanted['sync_port'],
        'interval': wanted['sync_interval'],
        'virtual_ip': str(parse_vip(wanted['virtual_ip']).ip),
        'stamp': SYNC_STAMP,
    }, sort_keys=True, indent=2) + '\n'


def parse_sync(text):
    """{sync_interval, sync_port} of the sync's settings file; {} when absent or unreadable."""
    try:
        data = json.loads(text or '')
    except ValueError:
        return {}
    if not isinstance(data, dict) or not data.get('enabled'):
        return {}
    return dict(sync_interval=data.get('interval'), sync_port=data.get('port'))


def desired(current, options):
    """The wanted settings from the current ones and the options given (None: keep)."""
    given = dict((name, options.get(name)) for name in OPTIONS)
    for name in SECRETS:
        if given.get(name) == MASK:
            # settings_info's masked secret, fed back: it stays as it is.
            given[name] = None
    state = given['state'] or PRESENT
    if state == ABSENT:
        return absent()
    wanted = dict(state=PRESENT)
    for name in OPTIONS[1:]:
        value = given.get(name)
        if value is None and current.get('state') == PRESENT:
            value = current.get(name)
        if value is None:
            value = DEFAULTS.get(name)
        wanted[name] = value
    missing = [name for name in ('interface', 'virtual_ip', 'peer', 'router_id', 'sync_password')
               if wanted[name] in (None, '')]
    if missing:
        raise SettingsError('state=present needs %s' % ', '.join(missing))
    wanted['virtual_ip'] = canonical_vip(wanted['virtual_ip'])
    if parse_vip(wanted['virtual_ip']).version == 6:
        # VRRPv3, which keepalived speaks for IPv6, has no authentication.
        wanted['auth_pass'] = None
    elif wanted['auth_pass'] in (None, ''):
        raise SettingsError('state=present with an IPv4 virtual_ip needs auth_pass')
    peer = _addresses.parse_address(wanted['peer'])
    if peer is not None:
        wanted['peer'] = str(peer)
    return wanted


def public(settings):
    """The settings with the secrets masked."""
    return dict((name, MASK if name in SECRETS and value else value) for name, value in settings.items())


# --- listeners on the VIP -------------------------------------------------------------------

def without_vip(addresses, vip):
    """`addresses` (text) without the VIP: a VIP that comes and goes is never an interface's own."""
    return [address for address in addresses if vip is None or _addresses.canonical(address.strip('[]')) != vip]


def vip_service_name(vip, port_word):
    return '%s:%s' % ('[%s]' % vip if ':' in vip else vip, port_word)


def service_host(name):
    """The host part of a master.cf service name, canonical ("" when none)."""
    host, sep, _port = name.rpartition(':')
    return _addresses.canonical(host.strip('[]')) if sep else ''


def vip_services(services, vip):
    """{"name/type": entry} of master.cf entries bound to `vip`."""
    return dict((key, service) for key, service in services.items()
                if vip and service['type'] == 'inet' and service_host(service['name']) == vip)


def planned_vip_services(base_services, vip):
    """{"name/type": entry} copies of the given (enabled, public) smtpd entries bound to `vip`."""
    planned = {}
    for service in base_services:
        port_word = service['name'].rpartition(':')[2]
        entry = dict(service, name=vip_service_name(vip, port_word), options=dict(service['options']))
        planned['%s/%s' % (entry['name'], entry['type'])] = entry
    return planned


def proxy_interfaces(value, old_vip, new_vip):
    """proxy_interfaces with `old_vip` replaced by `new_vip` (either may be None); None if empty."""
    tokens = [token for token in re.split(r'[\s,]+', value or '') if token]
    kept = [token for token in tokens if old_vip is None or _addresses.canonical(token.strip('[]')) != old_vip]
    if new_vip and new_vip not in [_addresses.canonical(token.strip('[]')) for token in kept]:
        kept.append(new_vip)
    return ' '.join(kept) or None
