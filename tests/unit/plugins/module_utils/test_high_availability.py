# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The high_availability settings area, the keepalived adapter, and how the network_interface and
smtp areas leave the pair's virtual IP alone."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

from ansible_collections.mailroom.server.plugins.module_utils import _ha
from ansible_collections.mailroom.server.plugins.module_utils._areas import high_availability as _area
from ansible_collections.mailroom.server.plugins.module_utils._areas import network_interface as _network_interface
from ansible_collections.mailroom.server.plugins.module_utils._areas import registry
from ansible_collections.mailroom.server.plugins.module_utils._areas import smtp as _smtp
from ansible_collections.mailroom.server.plugins.module_utils._dovecot import config as _dovecot
from ansible_collections.mailroom.server.plugins.module_utils._engine import runner
from ansible_collections.mailroom.server.plugins.module_utils._engine.area import DOVECOT, KEEPALIVED, State
from ansible_collections.mailroom.server.plugins.module_utils._engine.errors import SettingsError
from ansible_collections.mailroom.server.plugins.module_utils._engine.journal import Journal
from ansible_collections.mailroom.server.plugins.module_utils._keepalived import host as _keepalived
from ansible_collections.mailroom.server.plugins.module_utils._postfix import config as _postfix

from ansible_collections.mailroom.server.tests.unit.plugins.module_utils.fake_module import FakeModule

VIP = '172.30.0.100'
MASTER_CF = """smtp      inet  n       -       y       -       -       smtpd
submission  inet  n  -  y  -  -  smtpd
  -o smtpd_tls_security_level=encrypt
smtps  inet  n  -  y  -  -  smtpd
  -o smtpd_tls_wrappermode=yes
pickup    unix  n       -       y       60      1       pickup
"""
IP_JSON = json.dumps([
    {'ifname': 'lo', 'addr_info': [{'family': 'inet', 'local': '127.0.0.1', 'prefixlen': 8}]},
    {'ifname': 'eth0', 'addr_info': [{'family': 'inet', 'local': '172.30.0.11', 'prefixlen': 24},
                                     {'family': 'inet', 'local': VIP, 'prefixlen': 24, 'secondary': True},
                                     {'family': 'inet6', 'local': 'fe80::1', 'prefixlen': 64}]},
])
# The same host while the VIP is on the other node (or before there is a pair).
IP_JSON_OWN = json.dumps([dict(link, addr_info=[info for info in link['addr_info'] if info['local'] != VIP])
                          for link in json.loads(IP_JSON)])


def wanted(**changes):
    settings = dict(state='present', interface='eth0', virtual_ip=VIP + '/24', peer='172.30.0.12', priority=150,
                    router_id=51, auth_pass='pw', nopreempt=True, sync_interval=30, sync_port=12345,
                    sync_password='a-long-sync-password')
    settings.update(changes)
    return settings


def state(master=MASTER_CF, inet_interfaces='172.30.0.11', listen='172.30.0.11', keepalived='', live_vip=None,
          nonlocal_bind='1', sync=None, dovecot_extra='', holder=False, **postfix):
    effective = {'inet_interfaces': inet_interfaces, 'master_service_disable': '', 'proxy_interfaces': ''}
    effective.update(postfix)
    dovecot = ('listen = %s\n' % listen if listen is not None else '') + dovecot_extra
    return State(postfix=effective, services=_postfix.parse_master_cf(master), dovecot=_dovecot.parse_config(dovecot),
                 keepalived={'config': keepalived},
                 facts={'interfaces': _network_interface.interface_addresses(IP_JSON if holder else IP_JSON_OWN),
                        'networks': _network_interface.interface_networks(IP_JSON if holder else IP_JSON_OWN),
                        _ha.VIP_FACT: live_vip,
                        _area.NAME: {'sync': sync or {}, 'sync_password': None,
                                     'nonlocal_bind': {4: nonlocal_bind, 6: '0'}, 'debian_version': '12.7'}})


def staged(before, plan):
    """The State the plan gives (what the engine's staged copies read back)."""
    services_text = _postfix.edit_master_cf(MASTER_CF if before.services == _postfix.parse_master_cf(MASTER_CF)
                                            else _render_all(before.services), plan.postfix_services)
    postfix = dict(before.postfix)
    postfix.update((name, value or '') for name, value in plan.postfix_parameters.items())
    dovecot_texts = [managed.text for managed in plan.files if managed.daemon == DOVECOT and managed.path.endswith('.conf')]
    dovecot = _dovecot.parse_config(''.join(dovecot_texts or ['listen = %s\n' % before.dovecot.get('listen')])
                                    + plan.dovecot_text)
    return before.copy(postfix=postfix, services=_postfix.parse_master_cf(services_text), dovecot=dovecot,
                       keepalived={'config': plan.edits[KEEPALIVED]})


def _render_all(services):
    return ''.join(_postfix.render_service(service) for service in services.values())


def test_unavailable_without_the_role():
    assert 'apply the mailroom.server.ha role first' in _area.unavailable(State())
    assert _area.unavailable(state()) is None


def test_read_without_a_pair_is_absent():
    assert _area.read(state()) == _ha.absent()


def test_plan_reads_back_as_wanted():
    before = state()
    plan = _area.plan(wanted(), before)
    after = staged(before, plan)
    assert _area.read_staged(after, wanted()) == wanted()
    assert plan.postfix_parameters == {'proxy_interfaces': VIP}
    assert sorted(plan.postfix_services) == ['172.30.0.100:smtp/inet', '172.30.0.100:smtps/inet',
                                             '172.30.0.100:submission/inet']
    assert plan.actions == {'postfix': 'reload', 'dovecot': 'restart', 'keepalived': 'reload'}
    assert 'script "/usr/bin/systemctl is-active --quiet postfix@-"' in plan.edits[KEEPALIVED]
    assert 'unicast_src_ip 172.30.0.11' in plan.edits[KEEPALIVED]


def test_plan_writes_the_secret_root_only_and_includes_it_relatively():
    plan = _area.plan(wanted(), state())
    secret = [managed for managed in plan.files if managed.path == _area.SECRET_FILE][0]
    assert secret.mode == 0o600 and secret.daemon == DOVECOT
    assert _dovecot.parse_config(secret.text)['doveadm_password'] == 'a-long-sync-password'
    assert plan.dovecot_text.endswith('!include_try high_availability.secret\n')
    assert 'a-long-sync-password' not in plan.dovecot_text
    config = _dovecot.parse_config(plan.dovecot_text)
    assert config['service doveadm']['inet_listener mailroom-sync'] == {'port': '12345', 'ssl': 'yes'}
    sync = [managed for managed in plan.files if managed.path == _ha.SYNC_CONF][0]
    assert sync.daemon is None and json.loads(sync.text)['peer'] == '172.30.0.12'


def test_plan_adds_the_vip_to_dovecots_listen_in_the_network_interface_file():
    plan = _area.plan(wanted(), state())
    listen = [managed for managed in plan.files if managed.path.endswith('/network_interface.conf')][0]
    assert _dovecot.parse_config(listen.text)['listen'] == '172.30.0.11, %s' % VIP


def test_plan_on_a_host_listening_everywhere_needs_no_vip_entries():
    before = state(inet_interfaces='all', listen='*, ::')
    plan = _area.plan(wanted(), before)
    assert plan.postfix_services == {}
    assert not [managed for managed in plan.files if managed.path.endswith('/network_interface.conf')]
    # the doveadm listener is new: a restart
    assert plan.actions['dovecot'] == 'restart'
    # once there, a change of the password alone is a reload
    listening = before.copy(dovecot=_dovecot.parse_config(
        'listen = *, ::\nservice doveadm {\n inet_listener mailroom-sync {\n port = 12345\n }\n}\n'))
    assert _area.plan(wanted(sync_password='another-long-password'), listening).actions['dovecot'] == 'reload'
    assert _area.read_staged(staged(before, plan), wanted()) == wanted()


def test_the_read_shows_no_vip_when_the_daemons_do_not_serve_it():
    before = state()
    after = staged(before, _area.plan(wanted(), before))
    # keepalived names the VIP, Postfix lost its listeners on it
    broken = after.copy(services=_postfix.parse_master_cf(MASTER_CF))
    assert _area.read_staged(broken, wanted())['virtual_ip'] is None
    assert _area.read_staged(after.copy(postfix=dict(after.postfix, proxy_interfaces='')), wanted())['virtual_ip'] is None
    assert _area.read_staged(after.copy(dovecot=dict(after.dovecot, listen='172.30.0.11')), wanted())['virtual_ip'] is None
    assert _area.read_staged(after, wanted(sync_port=4000))['virtual_ip'] is None


def test_plan_absent_removes_the_listeners_and_the_vip():
    before = state()
    after = staged(before, _area.plan(wanted(), before)).copy()
    after.facts = dict(after.facts, **{_ha.VIP_FACT: VIP})
    plan = _area.plan(_ha.absent(), after)
    assert plan.postfix_parameters == {'proxy_interfaces': None}
    assert set(plan.postfix_services.values()) == set([None]) and len(plan.postfix_services) == 3
    listen = [managed for managed in plan.files if managed.path.endswith('/network_interface.conf')][0]
    assert _dovecot.parse_config(listen.text)['listen'] == '172.30.0.11'
    assert 'vrrp_instance' not in plan.edits[KEEPALIVED]
    assert json.loads([m for m in plan.files if m.path == _ha.SYNC_CONF][0].text) == {'enabled': False}


def test_desired_validates_against_the_host_without_the_live_vip():
    # keepalived put the VIP on eth0 now: it is not one of the host's own addresses
    assert _area.desired(_ha.absent(), wanted(), state(live_vip=VIP, holder=True))['virtual_ip'] == VIP + '/24'
    # without a pair, an address the interface has is not free for one
    with pytest.raises(SettingsError, match='an address the interface already has'):
        _area.desired(_ha.absent(), wanted(), state(listen='172.30.0.11, %s' % VIP, inet_interfaces='172.30.0.11, %s' % VIP,
                                                    holder=True))


def test_desired_refuses_without_nonlocal_bind():
    with pytest.raises(SettingsError, match='ip_nonlocal_bind is off'):
        _area.desired(_ha.absent(), wanted(), state(live_vip=VIP, nonlocal_bind='0'))


def test_desired_needs_the_daemons_bound_one_way():
    with pytest.raises(SettingsError, match='set the network interface first'):
        _area.desired(_ha.absent(), wanted(), state(live_vip=VIP, listen='*, ::'))


def test_ports():
    assert _area.ports(wanted(), None) == {12345: 'the mail sync (doveadm over TLS)'}
    assert _area.ports(_ha.absent(), None) == {}


def test_public_masks():
    assert _area.public(wanted())['sync_password'] == _ha.MASK


def test_facts_read_the_files(monkeypatch):
    files = {
        _ha.KEEPALIVED_CONF: _ha.render_keepalived(wanted(), None, 'postfix'),
        _ha.SYNC_CONF: _ha.render_sync(wanted()),
        _area.SECRET_FILE: _area.secret_text(wanted()),
        _ha.NONLOCAL_BIND[4]: '1\n',
        _area.DEBIAN_VERSION: '13.1\n',
    }
    monkeypatch.setattr(_area, '_read', files.get)
    found = _area.facts()
    assert found[_ha.VIP_FACT] == VIP
    assert found[_area.NAME] == {'sync': {'sync_interval': 30, 'sync_port': 12345},
                                 'sync_password': 'a-long-sync-password',
                                 'nonlocal_bind': {4: '1', 6: None}, 'debian_version': '13.1\n'}


# --- network_interface and smtp with a pair ------------------------------------------------------

def test_network_interface_reads_no_drift_whichever_node_holds_the_vip():
    # the VIP is on eth0 now (this node holds it) and in Dovecot's listen
    holder = state(listen='172.30.0.11, %s' % VIP, live_vip=VIP, holder=True)
    assert _network_interface.read(holder) == {'interface': 'eth0'}
    # the VIP is on the other node: eth0 has only its own address
    assert _network_interface.read(state(listen='172.30.0.11, %s' % VIP, live_vip=VIP)) == {'interface': 'eth0'}
    # without a pair, the VIP on the interface is an address like any other
    assert _network_interface.read(state(listen='172.30.0.11, %s' % VIP, holder=True)) == {'interface': None}


def test_network_interface_plan_keeps_the_vip_listeners():
    holder = state(listen='172.30.0.11, %s' % VIP, live_vip=VIP, holder=True)
    plan = _network_interface.plan({'interface': 'eth0'}, holder)
    assert plan.postfix_parameters == {'inet_interfaces': '172.30.0.11'}
    assert _dovecot.parse_config(plan.dovecot_text)['listen'] == '172.30.0.11, %s' % VIP
    assert sorted(plan.postfix_services) == ['172.30.0.100:smtp/inet', '172.30.0.100:smtps/inet',
                                             '172.30.0.100:submission/inet']
    # bound everywhere, the wildcard covers the VIP: its entries would clash with it
    with_entries = holder.copy(services=_postfix.parse_master_cf(MASTER_CF + _render_all(plan.postfix_services)))
    to_all = _network_interface.plan({'interface': 'all'}, with_entries)
    assert to_all.postfix_services == dict((key, None) for key in plan.postfix_services)
    assert _network_interface.plan({'interface': 'eth0'}, with_entries).postfix_services == {}


def test_smtp_leaves_the_vip_copies_out_and_turns_them_off_with_their_service():
    before = state(live_vip=VIP)
    copies = _area.plan(wanted(), before).postfix_services
    with_copies = before.copy(services=_postfix.parse_master_cf(MASTER_CF + _render_all(copies)),
                              postfix=dict(before.postfix, smtpd_tls_security_level='may'))
    assert _smtp.read(with_copies) == dict(enabled=True, port=25, smtps=True, starttls=True)
    plan = _smtp.plan(dict(enabled=True, port=25, smtps=False, starttls=True), with_copies)
    assert plan.postfix_parameters['master_service_disable'].split() == ['smtps/inet', '172.30.0.100:smtps/inet']
    # turned back on, both copies come back
    off = with_copies.copy(postfix=dict(with_copies.postfix, master_service_disable='smtps/inet 172.30.0.100:smtps/inet'))
    assert _smtp.plan(dict(enabled=True, port=25, smtps=True, starttls=True), off).postfix_parameters == {
        'master_service_disable': None}
    assert [service['name'] for service in _smtp.enabled_services(off)] == ['smtp', 'submission']


def test_interface_networks():
    assert _network_interface.interface_networks(IP_JSON) == {
        'lo': ['127.0.0.1/8'], 'eth0': ['172.30.0.11/24', '172.30.0.100/24', 'fe80::1/64']}
    broken = json.dumps([{'ifname': 'eth0', 'addr_info': [{'local': '10.0.0.1'}, {'local': '10.0.0.2', 'prefixlen': True},
                                                          {'local': 'x', 'prefixlen': 8}]}])
    assert _network_interface.interface_networks(broken) == {'eth0': []}


# --- the keepalived adapter ---------------------------------------------------------------------

class Module(FakeModule):
    def __init__(self, rc=0, err=''):
        super(Module, self).__init__()
        self.rc, self.err, self.commands = rc, err, []

    def run_command(self, args):
        self.commands.append(args)
        if '--use-file' in args:
            with open(args[args.index('--use-file') + 1]) as handle:
                self.checked = handle.read()
        return self.rc, '', self.err


def _adapter(tmp_path, module, live='old\n'):
    config = tmp_path / 'keepalived.conf'
    config.write_text(live)
    role = tmp_path / 'mailroom-ha-sync'
    role.write_text('')
    return _keepalived.KeepalivedHost(module, Journal(str(tmp_path / 'state')), str(config), str(role))


def test_keepalived_stage_tests_a_copy_and_returns_the_change(tmp_path):
    module = Module()
    adapter = _adapter(tmp_path, module)
    texts, view = adapter.stage('new\n')
    assert texts == {adapter.config_file: 'new\n'} and view == {'keepalived': {'config': 'new\n'}}
    assert module.checked == 'new\n'
    assert module.commands[0][:2] == ['/bin/keepalived', '--config-test']
    assert (tmp_path / 'keepalived.conf').read_text() == 'old\n'
    assert adapter.stage('old\n') == ({}, {})
    assert not os.listdir(str(tmp_path / 'state' / 'staging'))


def test_keepalived_stage_refuses_what_keepalived_refuses(tmp_path):
    adapter = _adapter(tmp_path, Module(rc=1, err='Unknown keyword "bogus"'))
    with pytest.raises(_keepalived.KeepalivedError, match='keepalived rejected the configuration: Unknown keyword'):
        adapter.stage('bogus\n')
    assert (tmp_path / 'keepalived.conf').read_text() == 'old\n'


def test_keepalived_read_into_and_merge(tmp_path):
    adapter = _adapter(tmp_path, Module())
    st = State()
    adapter.read_into(st)
    assert st.keepalived == {'config': 'old\n'}
    os.unlink(adapter.role_file)
    adapter.read_into(st)
    assert st.keepalived is None
    assert _keepalived.KeepalivedHost.merge([('high_availability', 'x')]) == 'x'
    assert _keepalived.KeepalivedHost.merge([]) is None


def test_keepalived_installed_needs_the_role_and_the_program(tmp_path):
    role = tmp_path / 'mailroom-ha-sync'
    assert not _keepalived.installed(Module(), str(role))
    role.write_text('')
    assert _keepalived.installed(Module(), str(role))


def test_smtp_port_moves_past_a_stale_vip_copy():
    # The MX moved to 2526 before the pair followed: its stale copy on the VIP's port 25 is no other
    # service, and does not stop the MX from moving back.
    master = MASTER_CF.replace('smtp      inet', '2526      inet', 1) + '%s:smtp  inet  n  -  y  -  -  smtpd\n' % VIP
    moved = state(master=master, live_vip=VIP)
    current = _smtp.read(moved)
    assert current['port'] == 2526
    assert _smtp.desired(current, {'port': 25}, moved)['port'] == 25


def test_protocol_section_next_to_network_interface_and_only_when_given():
    keys = [key for key, _areas in registry.PROTOCOL_PAGE]
    assert keys[keys.index('network_interface') + 1] == 'high_availability'
    optional = (registry.ACCOUNT_TYPE, registry.HIGH_AVAILABILITY)
    empty = dict((name, None) for name in _ha.OPTIONS)
    assert runner.page_requests({'high_availability': empty}, registry.PROTOCOL_PAGE, optional) == []
    given = runner.page_requests({'high_availability': dict(empty, state='absent')}, registry.PROTOCOL_PAGE, optional)
    assert [area.name for area, _options in given] == ['high_availability']
