# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pure model of the high-availability pair (_ha): validation, keepalived.conf and the sync's
settings rendered and read back, the listeners on the virtual IP."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.mailroom.server.plugins.module_utils import _ha
from ansible_collections.mailroom.server.plugins.module_utils._engine.errors import SettingsError
from ansible_collections.mailroom.server.plugins.module_utils._postfix import config as _postfix

NETWORKS = {'lo': ['127.0.0.1/8', '::1/128'],
            'eth0': ['172.30.0.11/24', 'fe80::42:acff:fe1e:b/64'],
            'eth1': ['10.9.0.11/24', '2001:db8:9::11/64']}
HOST = dict(networks=NETWORKS, nonlocal_bind={4: '1', 6: '1'})


def wanted(**changes):
    settings = dict(state='present', interface='eth0', virtual_ip='172.30.0.100/24', peer='172.30.0.12',
                    priority=150, router_id=51, auth_pass='s3cret%', nopreempt=True, sync_interval=30,
                    sync_port=12345, sync_password='a-long-sync-password')
    settings.update(changes)
    return settings


def test_validate_accepts_a_good_pair():
    assert _ha.validate(wanted(), HOST) == wanted()


def test_validate_accepts_an_ipv6_pair_on_a_dual_stack_interface():
    assert _ha.validate(wanted(interface='eth1', virtual_ip='2001:db8:9::100/64', peer='2001:db8:9::12',
                               auth_pass=None), HOST)


@pytest.mark.parametrize('changes, message', [
    (dict(virtual_ip='10.1.2.3/24'), r'outside the networks of eth0 \(172.30.0.0/24\)'),
    (dict(router_id=0), 'router_id must be a whole number from 1 to 255, got 0'),
    (dict(router_id=256), 'router_id must be a whole number from 1 to 255, got 256'),
    (dict(router_id=True), 'router_id must be a whole number'),
    (dict(peer='172.30.0.11'), 'peer 172.30.0.11 is an address of this host'),
    (dict(peer='10.9.0.11'), 'peer 10.9.0.11 is an address of this host'),
    (dict(virtual_ip='2001:db8:9::100/64', peer='2001:db8:9::12'),
     r'IPv6 address but eth0 has no IPv6 address \(it is IPv4-only\)'),
    (dict(peer='2001:db8:9::12'), 'peer 2001:db8:9::12 must be an IPv4 address like virtual_ip'),
    (dict(virtual_ip='172.30.0.11/24'), 'an address the interface already has'),
    (dict(peer='172.30.0.100'), 'not the virtual IP'),
    (dict(peer='mx2.example.com'), 'peer must be the IPv4 or IPv6 address'),
    (dict(interface='eth9'), 'eth9 does not exist on this host; choose one of: eth0, eth1, lo'),
    (dict(interface='eth0\nfoo'), 'interface must be a network interface name'),
    (dict(priority=0), 'priority must be a whole number from 1 to 254'),
    (dict(priority=255), 'priority must be a whole number from 1 to 254'),
    (dict(sync_interval=1), 'sync_interval must be a whole number from 5 to 86400'),
    (dict(sync_port=70000), 'sync_port must be a whole number from 1 to 65535'),
    (dict(auth_pass='longer-than-8'), 'auth_pass must be 1 to 8 characters long'),
    (dict(auth_pass='a b'), 'auth_pass must be printable ASCII without spaces'),
    (dict(auth_pass='ab\n}'), 'auth_pass must be printable ASCII without spaces'),
    (dict(auth_pass='ab!c'), 'auth_pass must be printable ASCII without spaces'),
    (dict(sync_password='short'), 'sync_password must be at least 16 characters long'),
    (dict(sync_password='a-long-sync-password\ndoveadm_port=1'), 'sync_password must be printable ASCII'),
    (dict(sync_password='<a-long-sync-password'), 'sync_password must be printable ASCII'),
    (dict(sync_password='$a-long-sync-password'), 'sync_password must be printable ASCII'),
])
def test_validate_refuses(changes, message):
    with pytest.raises(SettingsError, match=message):
        _ha.validate(wanted(**changes), HOST)


@pytest.mark.parametrize('switch, shown', [('0', 'off'), (None, 'unknown')])
def test_validate_refuses_without_nonlocal_bind_and_says_it_is_set_at_creation(switch, shown):
    host = dict(HOST, nonlocal_bind={4: switch, 6: '1'})
    with pytest.raises(SettingsError, match=r'net.ipv4.ip_nonlocal_bind is %s on this host.*must be set when the '
                                            r'host or container is created' % shown):
        _ha.validate(wanted(), host)


def test_validate_checks_the_switch_of_the_vips_family():
    host = dict(HOST, nonlocal_bind={4: '0', 6: '1'})
    assert _ha.validate(wanted(interface='eth1', virtual_ip='2001:db8:9::100/64', peer='2001:db8:9::12',
                               auth_pass=None), host)
    with pytest.raises(SettingsError, match='net.ipv6.ip_nonlocal_bind is off'):
        _ha.validate(wanted(interface='eth1', virtual_ip='2001:db8:9::100/64', peer='2001:db8:9::12'),
                     dict(HOST, nonlocal_bind={4: '1', 6: '0'}))


@pytest.mark.parametrize('text', ['172.30.0.100', '172.30.0.100/33', '172.30.0.100/24\nfoo', 'x/24',
                                  '127.0.0.2/8', '224.0.0.18/24', 'fe80::5/64', '2001:db8::1/129', None])
def test_parse_vip_refuses(text):
    with pytest.raises(SettingsError, match='virtual_ip'):
        _ha.parse_vip(text)


def test_canonical_vip():
    assert _ha.canonical_vip('2001:DB8:9:0::100/64') == '2001:db8:9::100/64'
    assert _ha.canonical_vip('172.30.0.100/24') == '172.30.0.100/24'


def test_desired_fills_a_new_pair_with_the_defaults():
    options = dict((name, None) for name in _ha.OPTIONS)
    options.update(interface='eth0', virtual_ip='172.30.0.100/24', peer='172.30.0.12', router_id=51,
                   auth_pass='pw', sync_password='a-long-sync-password')
    result = _ha.desired(_ha.absent(), options)
    assert (result['state'], result['priority'], result['nopreempt'], result['sync_interval'],
            result['sync_port']) == ('present', 100, True, 30, 12345)


def test_desired_keeps_what_is_not_given_and_masked_secrets():
    current = wanted()
    options = dict((name, None) for name in _ha.OPTIONS)
    options.update(priority=90, auth_pass=_ha.MASK, sync_password=_ha.MASK, nopreempt=False)
    assert _ha.desired(current, options) == wanted(priority=90, nopreempt=False)


def test_desired_absent_drops_everything():
    assert _ha.desired(wanted(), {'state': 'absent', 'priority': 5}) == _ha.absent()
    assert _ha.absent()['state'] == 'absent' and set(_ha.absent()) == set(_ha.OPTIONS)


@pytest.mark.parametrize('missing', ['interface', 'virtual_ip', 'peer', 'router_id', 'sync_password'])
def test_desired_present_needs(missing):
    options = dict(wanted(), **{missing: None})
    with pytest.raises(SettingsError, match='state=present needs %s' % missing):
        _ha.desired(_ha.absent(), options)


def test_desired_ipv4_needs_auth_pass_and_ipv6_has_none():
    with pytest.raises(SettingsError, match='needs auth_pass'):
        _ha.desired(_ha.absent(), dict(wanted(), auth_pass=None))
    result = _ha.desired(_ha.absent(), wanted(virtual_ip='2001:DB8:9::100/64', peer='2001:DB8:9::12'))
    expected = (None, '2001:db8:9::100/64', '2001:db8:9::12')
    assert (result['auth_pass'], result['virtual_ip'], result['peer']) == expected


def test_public_masks_the_secrets_only():
    shown = _ha.public(wanted())
    assert shown['auth_pass'] == shown['sync_password'] == _ha.MASK
    assert shown['peer'] == '172.30.0.12'
    assert _ha.public(_ha.absent())['auth_pass'] is None


@pytest.mark.parametrize('version, unit', [('12.7\n', 'postfix@-'), ('11.9', 'postfix@-'), ('13.1', 'postfix'),
                                           ('trixie/sid', 'postfix'), (None, 'postfix')])
def test_postfix_unit(version, unit):
    assert _ha.postfix_unit(version) == unit


def test_keepalived_config_reads_back():
    text = _ha.render_keepalived(wanted(), '172.30.0.11', 'postfix@-')
    assert _ha.parse_keepalived(text) == dict((name, value) for name, value in wanted().items()
                                              if name not in ('sync_interval', 'sync_port', 'sync_password'))
    ipv6 = wanted(interface='eth1', virtual_ip='2001:db8:9::100/64', peer='2001:db8:9::12', auth_pass=None,
                  nopreempt=False)
    back = _ha.parse_keepalived(_ha.render_keepalived(ipv6, '2001:db8:9::11', 'postfix'))
    assert (back['virtual_ip'], back['peer'], back['auth_pass'], back['nopreempt']) == (
        '2001:db8:9::100/64', '2001:db8:9::12', None, False)


def test_keepalived_config_checks_each_daemon_on_its_own_and_waits_for_the_sync():
    text = _ha.render_keepalived(wanted(), '172.30.0.11', 'postfix@-')
    assert 'script "/usr/bin/systemctl is-active --quiet postfix@-"' in text
    assert 'script "/usr/bin/systemctl is-active --quiet dovecot"' in text
    assert 'script "/usr/bin/test -e %s"' % _ha.SYNC_STAMP in text
    assert 'unicast_src_ip 172.30.0.11' in text and 'unicast_peer {\n    172.30.0.12\n  }' in text
    assert '172.30.0.100/24 dev eth0' in text and '  nopreempt\n' in text and 'auth_pass s3cret%' in text
    assert 'postfix dovecot' not in text
    assert '  nopreempt' not in _ha.render_keepalived(wanted(nopreempt=False), None, 'postfix')
    assert 'unicast_src_ip' not in _ha.render_keepalived(wanted(), None, 'postfix')


def test_keepalived_config_refuses_what_would_leave_its_line():
    with pytest.raises(SettingsError):
        _ha.render_keepalived(wanted(), None, 'postfix"\nvrrp_script x {')
    with pytest.raises(SettingsError):
        _ha.render_keepalived(wanted(auth_pass='a}\nb'), None, 'postfix')


def test_keepalived_config_absent_has_no_instance():
    text = _ha.render_keepalived(_ha.absent(), None, 'postfix')
    assert 'vrrp_instance' not in text and _ha.parse_keepalived(text) == _ha.absent()
    assert _ha.parse_keepalived(None) == _ha.absent()
    # another instance (not ours) is not our pair
    assert _ha.parse_keepalived('vrrp_instance other {\n  interface eth0\n}\n') == _ha.absent()


def test_parse_keepalived_reads_hand_edits_and_comments():
    text = ('! comment\nvrrp_instance mailroom {\n  interface eth0 # the LAN\n  virtual_router_id x\n'
            '  priority 120\n  unicast_peer {\n    172.30.0.12\n  }\n  virtual_ipaddress {\n'
            '    172.30.0.100/24 dev eth0\n  }\n}\n')
    settings = _ha.parse_keepalived(text)
    assert (settings['interface'], settings['router_id'], settings['priority'], settings['nopreempt'],
            settings['auth_pass']) == ('eth0', None, 120, False, None)


def test_sync_settings_read_back_and_are_json():
    text = _ha.render_sync(wanted())
    assert _ha.parse_sync(text) == {'sync_interval': 30, 'sync_port': 12345}
    data = json.loads(text)
    assert (data['peer'], data['virtual_ip'], data['stamp'], data['enabled']) == (
        '172.30.0.12', '172.30.0.100', _ha.SYNC_STAMP, True)
    assert json.loads(_ha.render_sync(_ha.absent())) == {'enabled': False}
    assert _ha.parse_sync(_ha.render_sync(_ha.absent())) == {}
    assert _ha.parse_sync('not json') == {} and _ha.parse_sync(None) == {} and _ha.parse_sync('[1]') == {}


def test_source_address_is_the_own_address_in_the_vips_network():
    assert _ha.source_address(wanted(), NETWORKS) == '172.30.0.11'
    assert _ha.source_address(wanted(interface='eth1', virtual_ip='2001:db8:9::100/64'), NETWORKS) == '2001:db8:9::11'
    assert _ha.source_address(wanted(virtual_ip='10.1.0.100/24'), NETWORKS) is None


def test_vip_address():
    assert _ha.vip_address(wanted()) == '172.30.0.100'
    assert _ha.vip_address(_ha.absent()) is None
    assert _ha.vip_address(wanted(virtual_ip=None)) is None
    assert _ha.vip_address(None) is None


def test_without_vip():
    assert _ha.without_vip(['172.30.0.11', '172.30.0.100'], '172.30.0.100') == ['172.30.0.11']
    assert _ha.without_vip(['[2001:DB8::100]', '2001:db8::11'], '2001:db8::100') == ['2001:db8::11']
    assert _ha.without_vip(['172.30.0.11'], None) == ['172.30.0.11']


MASTER_CF = """smtp      inet  n       -       y       -       -       smtpd
submission  inet  n  -  y  -  -  smtpd
  -o smtpd_tls_security_level=encrypt
172.30.0.100:smtp  inet  n  -  y  -  -  smtpd
[2001:db8::100]:submission  inet  n  -  y  -  -  smtpd
127.0.0.1:10025  inet  n  -  n  -  -  smtpd
pickup    unix  n       -       y       60      1       pickup
"""


def test_vip_services_and_their_names():
    services = _postfix.parse_master_cf(MASTER_CF)
    assert list(_ha.vip_services(services, '172.30.0.100')) == ['172.30.0.100:smtp/inet']
    assert list(_ha.vip_services(services, '2001:db8::100')) == ['[2001:db8::100]:submission/inet']
    assert _ha.vip_services(services, None) == {}
    assert _ha.vip_service_name('2001:db8::100', 'smtps') == '[2001:db8::100]:smtps'
    assert _ha.service_host('[2001:DB8::100]:smtps') == '2001:db8::100'
    assert _ha.service_host('smtp') == ''


def test_planned_vip_services_copy_the_entries():
    services = _postfix.parse_master_cf(MASTER_CF)
    planned = _ha.planned_vip_services([services['smtp/inet'], services['submission/inet']], '172.30.0.100')
    assert sorted(planned) == ['172.30.0.100:smtp/inet', '172.30.0.100:submission/inet']
    copy = planned['172.30.0.100:submission/inet']
    assert copy['options'] == {'smtpd_tls_security_level': 'encrypt'} and copy['command'] == 'smtpd'
    # a copy, not the entry itself
    copy['options']['x'] = 'y'
    assert 'x' not in services['submission/inet']['options']
    # rendered, it stays one master.cf entry
    assert _postfix.parse_master_cf(_postfix.render_service(copy))['172.30.0.100:submission/inet']['command'] == 'smtpd'


@pytest.mark.parametrize('value, old, new, expected', [
    (None, None, '172.30.0.100', '172.30.0.100'),
    ('', None, '172.30.0.100', '172.30.0.100'),
    ('192.0.2.7', None, '172.30.0.100', '192.0.2.7 172.30.0.100'),
    ('192.0.2.7, 172.30.0.100', '172.30.0.100', '172.30.0.101', '192.0.2.7 172.30.0.101'),
    ('172.30.0.100', '172.30.0.100', None, None),
    ('172.30.0.100', None, '172.30.0.100', '172.30.0.100'),
    ('[2001:DB8::100]', '2001:db8::100', None, None),
])
def test_proxy_interfaces(value, old, new, expected):
    assert _ha.proxy_interfaces(value, old, new) == expected
