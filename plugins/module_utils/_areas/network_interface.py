# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The network interface setting: bind every Postfix and Dovecot listener to one interface.

The interface's addresses (from `ip -json address`) become Postfix's `inet_interfaces` and
Dovecot's `listen`. Both daemons must be restarted for a new binding (Postfix only re-binds on
stop/start).

The virtual IP of a high-availability pair (``state.facts['ha_vip']``, from keepalived's
configuration) is never one of the interface's own addresses, whether keepalived put it there or
not: it moves between the nodes, and that is no drift. Dovecot listens on it besides the own
addresses (non-local bind); Postfix gets it through the high_availability area's master.cf
entries, which exist only while Postfix is bound to an interface (a wildcard listener covers the
VIP, and would clash with an entry bound to it).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.mailroom.server.plugins.module_utils import _addresses, _ha
from ansible_collections.mailroom.server.plugins.module_utils._engine import activation
from ansible_collections.mailroom.server.plugins.module_utils._areas import smtp as _smtp
from ansible_collections.mailroom.server.plugins.module_utils._dovecot import config as _dovecot
from ansible_collections.mailroom.server.plugins.module_utils._engine.area import DOVECOT, POSTFIX, Plan
from ansible_collections.mailroom.server.plugins.module_utils._engine.errors import SettingsError

NAME = 'network_interface'
DAEMONS = (POSTFIX, DOVECOT)
OPTIONS = ('interface',)
ARGUMENT_SPEC = dict(interface=dict(type='str', required=True))
ALL = 'all'
# Dovecot's "every address": 2.3 prints "*, ::", 2.4 prints "* ::" (an empty value means none).
DOVECOT_ALL = (frozenset(['*']), frozenset(['*', '::']))
DOVECOT_DEFAULT_LISTEN = '*, ::'
UNSTABLE_ADDRESS_FLAGS = ('temporary', 'deprecated', 'tentative', 'dadfailed')


def interface_addresses(ip_json):
    """Map interface name -> addresses usable for binding, from `ip -json address` output.

    Addresses are in canonical form, and only what parses as one is kept: these strings become
    the daemons' listen settings. Left out: IPv6 link-local addresses (binding them needs a
    scope, which neither daemon's address list can carry) and addresses that come and go
    (temporary privacy addresses, deprecated or still tentative ones), which would make the
    binding drift.
    """
    result = {}
    for link in json.loads(ip_json or '[]'):
        addresses = []
        for info in link.get('addr_info', []):
            address = _addresses.parse_address(info.get('local'))
            if address is None or (address.version == 6 and address.is_link_local()):
                continue
            if any(info.get(flag) for flag in UNSTABLE_ADDRESS_FLAGS):
                continue
            addresses.append(str(address))
        result[link['ifname']] = addresses
    return result


def interface_networks(ip_json):
    """Map interface name -> "address/prefix-length" of every address, from `ip -json address`
    (link-local ones included: they tell which families an interface has)."""
    result = {}
    for link in json.loads(ip_json or '[]'):
        networks = []
        for info in link.get('addr_info', []):
            address = _addresses.parse_address(info.get('local'))
            length = info.get('prefixlen')
            if address is not None and isinstance(length, int) and not isinstance(length, bool):
                networks.append('%s/%d' % (address, length))
        result[link['ifname']] = networks
    return result


def own_interfaces(state):
    """Interface name -> bindable addresses, without the pair's virtual IP."""
    vip = state.facts.get(_ha.VIP_FACT)
    return dict((name, _ha.without_vip(addresses, vip))
                for name, addresses in state.facts.get('interfaces', {}).items())


def dovecot_text(addresses, vip):
    """network_interface's Dovecot file: `listen` on the addresses, and on the VIP if any."""
    listen = list(addresses) + ([vip] if vip and vip not in addresses else [])
    return _dovecot.render([('listen', ', '.join(listen))], header=(
        'Managed by mailroom.server.network_interface: the addresses Dovecot listens on.'))


def address_set(value):
    """The addresses of a listen setting, canonical, so "2001:DB8::1" and "[2001:db8::1]" in a
    hand-edited file still name the interface that has 2001:db8::1; "*" and names stay text."""
    return frozenset(_addresses.canonical(part.strip('[]')) for part in value.replace(',', ' ').split())


def _interface_of(addresses, interfaces):
    for name, own in sorted(interfaces.items()):
        if own and frozenset(own) == addresses:
            return name
    return None


def read(state):
    """The interface both daemons are bound to, "all", or None when they disagree or match none."""
    interfaces = own_interfaces(state)
    vip = state.facts.get(_ha.VIP_FACT)
    postfix_value = state.postfix.get('inet_interfaces', ALL)
    dovecot_value = state.dovecot.get('listen', DOVECOT_DEFAULT_LISTEN)
    postfix_all = postfix_value.strip() == ALL
    dovecot_all = address_set(dovecot_value) in DOVECOT_ALL
    if postfix_all and dovecot_all:
        return dict(interface=ALL)
    if postfix_all or dovecot_all:
        return dict(interface=None)
    postfix_name = _interface_of(address_set(postfix_value), interfaces)
    dovecot_name = _interface_of(address_set(dovecot_value) - frozenset([vip]), interfaces)
    return dict(interface=postfix_name if postfix_name == dovecot_name else None)


def desired(current, options, state):
    name = options.get('interface')
    if name is None:
        return dict(current)
    interfaces = own_interfaces(state)
    if name != ALL and not interfaces.get(name):
        choices = ', '.join(sorted(n for n, addresses in interfaces.items() if addresses) + [ALL])
        reason = 'has no address' if name in interfaces else 'does not exist on this host'
        raise SettingsError('interface: %s %s; choose one of: %s' % (name, reason, choices))
    return dict(interface=name)


def vip_service_edits(state, vip, bound):
    """master.cf changes that give Postfix listeners on the VIP exactly when it is `bound` to an
    interface: {"name/type": entry or None}."""
    present = _ha.vip_services(state.services or {}, vip)
    planned = _ha.planned_vip_services(_smtp.enabled_services(state), vip) if vip and bound else {}
    edits = dict((key, None) for key in present if key not in planned)
    edits.update((key, entry) for key, entry in planned.items() if present.get(key) != entry)
    return edits


def plan(wanted, state):
    vip = state.facts.get(_ha.VIP_FACT)
    if wanted['interface'] == ALL:
        postfix_value = ALL
        text = dovecot_text([DOVECOT_DEFAULT_LISTEN], None)
    else:
        addresses = own_interfaces(state)[wanted['interface']]
        postfix_value = ', '.join(addresses)
        text = dovecot_text(addresses, vip)
    return Plan(postfix_parameters={'inet_interfaces': postfix_value},
                postfix_services=vip_service_edits(state, vip, wanted['interface'] != ALL),
                postfix_action=activation.RESTART,
                dovecot_text=text, dovecot_action=activation.RESTART)
