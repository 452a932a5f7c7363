# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The network interface setting: bind every Postfix and Dovecot listener to one interface.

The interface's addresses (from `ip -json address`) become Postfix's `inet_interfaces` and
Dovecot's `listen`. Both daemons must be restarted for a new binding (Postfix only re-binds on
stop/start).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.mailroom.server.plugins.module_utils import _addresses
from ansible_collections.mailroom.server.plugins.module_utils._engine import activation
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


def _address_set(value):
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
    interfaces = state.facts.get('interfaces', {})
    postfix_value = state.postfix.get('inet_interfaces', ALL)
    dovecot_value = state.dovecot.get('listen', DOVECOT_DEFAULT_LISTEN)
    postfix_all = postfix_value.strip() == ALL
    dovecot_all = _address_set(dovecot_value) in DOVECOT_ALL
    if postfix_all and dovecot_all:
        return dict(interface=ALL)
    if postfix_all or dovecot_all:
        return dict(interface=None)
    postfix_name = _interface_of(_address_set(postfix_value), interfaces)
    dovecot_name = _interface_of(_address_set(dovecot_value), interfaces)
    return dict(interface=postfix_name if postfix_name == dovecot_name else None)


def desired(current, options, state):
    name = options.get('interface')
    if name is None:
        return dict(current)
    interfaces = state.facts.get('interfaces', {})
    if name != ALL and not interfaces.get(name):
        choices = ', '.join(sorted(n for n, addresses in interfaces.items() if addresses) + [ALL])
        reason = 'has no address' if name in interfaces else 'does not exist on this host'
        raise SettingsError('interface: %s %s; choose one of: %s' % (name, reason, choices))
    return dict(interface=name)


def plan(wanted, state):
    if wanted['interface'] == ALL:
        postfix_value, dovecot_value = ALL, DOVECOT_DEFAULT_LISTEN
    else:
        addresses = state.facts['interfaces'][wanted['interface']]
        postfix_value = dovecot_value = ', '.join(addresses)
    text = _dovecot.render([('listen', dovecot_value)], header=(
        'Managed by mailroom.server.network_interface: the addresses Dovecot listens on.'))
    return Plan(postfix_parameters={'inet_interfaces': postfix_value},
                postfix_action=activation.RESTART,
                dovecot_text=text, dovecot_action=activation.RESTART)
