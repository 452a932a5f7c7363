# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.mailroom.server.plugins.module_utils._dovecot import config as _dovecot
from ansible_collections.mailroom.server.plugins.module_utils._areas import network_interface as _network_interface
from ansible_collections.mailroom.server.plugins.module_utils._engine.runner import SettingsError, State

IP_JSON = json.dumps([
    {'ifname': 'lo', 'addr_info': [{'family': 'inet', 'local': '127.0.0.1', 'scope': 'host'},
                                   {'family': 'inet6', 'local': '::1', 'scope': 'host'}]},
    {'ifname': 'eth0', 'addr_info': [{'family': 'inet', 'local': '172.21.0.2', 'scope': 'global'},
                                     {'family': 'inet6', 'local': 'fe80::1', 'scope': 'link'},
                                     {'family': 'inet6', 'local': '2001:db8::2', 'scope': 'global'}]},
    {'ifname': 'eth1', 'addr_info': [{'family': 'inet', 'local': '172.22.0.2', 'scope': 'global'},
                                     {'family': 'inet6', 'local': '2001:db8::99', 'scope': 'global',
                                      'temporary': True},
                                     {'family': 'inet6', 'local': '2001:db8::98', 'scope': 'global',
                                      'tentative': True}]},
    {'ifname': 'dummy0', 'addr_info': []},
])
INTERFACES = _network_interface.interface_addresses(IP_JSON)


def state(inet_interfaces='all', listen=None):
    dovecot = 'listen = %s\n' % listen if listen is not None else ''
    return State(postfix={'inet_interfaces': inet_interfaces},
                 dovecot=_dovecot.parse_config(dovecot), facts={'interfaces': INTERFACES})


def test_interface_addresses_skip_link_local_and_unstable_addresses():
    assert INTERFACES['eth0'] == ['172.21.0.2', '2001:db8::2']
    assert INTERFACES['eth1'] == ['172.22.0.2']
    assert INTERFACES['dummy0'] == []


def test_interface_addresses_are_canonical_and_only_addresses():
    # These strings become inet_interfaces and listen: what is no address never gets there.
    ip_json = json.dumps([{'ifname': 'eth2', 'addr_info': [
        {'family': 'inet6', 'local': '2001:DB8:0:0::7', 'scope': 'global'},
        {'family': 'inet6', 'local': 'FE80::7', 'scope': 'global'},     # link-local whatever the scope says
        {'family': 'inet', 'local': '192.0.2.7\nrelayhost = x', 'scope': 'global'},
        {'family': 'inet', 'local': '192.0.2.8 ', 'scope': 'global'},
        {'family': 'inet', 'local': '127.1', 'scope': 'global'},
        {'family': 'inet6', 'local': 'fe80::8%eth2', 'scope': 'global'},
        {'family': 'inet', 'scope': 'global'},
        {'family': 'inet', 'local': '169.254.0.7', 'scope': 'link'},     # IPv4 link-local binds without a scope
    ]}])
    assert _network_interface.interface_addresses(ip_json) == {'eth2': ['2001:db8::7', '169.254.0.7']}


@pytest.mark.parametrize('inet_interfaces, listen, expected', [
    ('all', None, 'all'),
    ('all', '*, ::', 'all'),
    ('all', '* ::', 'all'),
    ('172.21.0.2, 2001:db8::2', '172.21.0.2, 2001:db8::2', 'eth0'),
    ('172.22.0.2', '172.22.0.2', 'eth1'),
    ('172.22.0.2', None, None),
    ('172.22.0.2', '172.21.0.2', None),
    ('10.9.9.9', '10.9.9.9', None),
    ('all', '""', None),
    # written by hand, in another spelling of the same addresses
    ('172.21.0.2, 2001:DB8:0::2', '172.21.0.2 [2001:db8:0:0::2]', 'eth0'),
])
def test_read(inet_interfaces, listen, expected):
    assert _network_interface.read(state(inet_interfaces, listen)) == {'interface': expected}


def test_desired_unknown_interface_lists_the_choices():
    with pytest.raises(SettingsError, match=r'eth9 does not exist on this host; choose one of: eth0, eth1, lo, all'):
        _network_interface.desired({'interface': 'all'}, {'interface': 'eth9'}, state())


def test_desired_interface_without_address_is_an_error():
    with pytest.raises(SettingsError, match='dummy0 has no address'):
        _network_interface.desired({'interface': 'all'}, {'interface': 'dummy0'}, state())


@pytest.mark.parametrize('interface', ['eth0', 'eth1', 'all'])
def test_plan_reads_back_and_restarts(interface):
    st = state()
    plan = _network_interface.plan({'interface': interface}, st)
    assert plan.postfix_action == plan.dovecot_action == 'restart'
    staged = State(postfix=plan.postfix_parameters, dovecot=_dovecot.parse_config(plan.dovecot_text),
                   facts=st.facts)
    assert _network_interface.read(staged) == {'interface': interface}
