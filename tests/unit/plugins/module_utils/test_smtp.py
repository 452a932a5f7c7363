# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.mailroom.server.plugins.module_utils._postfix import config as _postfix
from ansible_collections.mailroom.server.plugins.module_utils._areas import smtp as _smtp
from ansible_collections.mailroom.server.plugins.module_utils._engine.runner import SettingsError, State

MASTER_CF = """smtp      inet  n       -       y       -       -       smtpd
submission  inet  n  -  y  -  -  smtpd
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
smtps  inet  n  -  y  -  -  smtpd
  -o smtpd_tls_wrappermode=yes
pickup    unix  n       -       y       60      1       pickup
"""


def state(master=MASTER_CF, listening=(25, 587, 465, 993), **postfix):
    effective = {'smtpd_tls_security_level': 'may', 'master_service_disable': ''}
    effective.update(postfix)
    return State(postfix=effective, services=_postfix.parse_master_cf(master),
                 facts={'listening_ports': set(listening)})


@pytest.mark.parametrize('name, port', [
    ('smtp', 25), ('2525', 2525), ('192.0.2.1:2525', 2525), ('submission', 587),
    ('smtps', 465), ('submissions', 465), ('[::1]:smtp', 25), ('nonsense', None), ('mail', 25),
])
def test_service_port(name, port):
    assert _smtp.service_port(name) == port


def test_find_services_tells_mx_submission_and_smtps_apart():
    mx, submission, smtps = _smtp.find_services(state().services)
    assert (mx['name'], submission['name'], smtps['name']) == ('smtp', 'submission', 'smtps')


def test_read_defaults():
    assert _smtp.read(state()) == dict(enabled=True, port=25, smtps=True, starttls=True)


def test_read_disabled_services_and_tls_level_override():
    master = MASTER_CF.replace('smtp      inet  n       -       y       -       -       smtpd',
                               '2525 inet n - y - - smtpd\n  -o smtpd_tls_security_level=none')
    current = _smtp.read(state(master, master_service_disable='smtps/inet'))
    assert current == dict(enabled=True, port=2525, smtps=False, starttls=False)
    assert _smtp.read(state(master_service_disable='inet'))['enabled'] is False


def test_read_without_mx_service_asks_for_the_role():
    with pytest.raises(SettingsError, match='mta role'):
        _smtp.read(state('pickup unix n - y 60 1 pickup\n'))


def test_starttls_counts_as_off_when_submission_is_disabled():
    assert _smtp.read(state(master_service_disable='submission/inet'))['starttls'] is False


@pytest.mark.parametrize('port, message', [
    (0, 'between 1 and 65535'),
    (70000, 'between 1 and 65535'),
    (587, 'Postfix service "submission"'),
    (465, 'Postfix service "smtps"'),
])
def test_desired_rejects_bad_ports(port, message):
    current = _smtp.read(state())
    with pytest.raises(SettingsError, match=message):
        _smtp.desired(current, {'port': port}, state())


def test_desired_keeps_unset_options():
    current = _smtp.read(state())
    assert _smtp.desired(current, {'port': 2525, 'smtps': None}, state()) == \
        dict(enabled=True, port=2525, smtps=True, starttls=True)


def test_plan_port_moves_the_entry_in_place_and_keeps_its_fields():
    st = state()
    plan = _smtp.plan(dict(enabled=True, port=2525, smtps=True, starttls=True), st)
    moved = plan.postfix_services['smtp/inet']
    assert moved['name'] == '2525'
    assert moved['chroot'] == 'y' and moved['command'] == 'smtpd'
    assert plan.postfix_parameters == {}
    text = _postfix.edit_master_cf(MASTER_CF, plan.postfix_services)
    assert text.startswith('2525  inet')
    assert _smtp.read(state(text)) == dict(enabled=True, port=2525, smtps=True, starttls=True)


def test_plan_port_keeps_the_host_part():
    master = MASTER_CF.replace('smtp      inet', '192.0.2.1:smtp inet')
    plan = _smtp.plan(dict(enabled=True, port=2525, smtps=True, starttls=True), state(master))
    assert plan.postfix_services['192.0.2.1:smtp/inet']['name'] == '192.0.2.1:2525'


def test_loopback_reinjection_listener_is_never_the_mx():
    master = '127.0.0.1:10025 inet n - n - - smtpd\n  -o content_filter=\n' + MASTER_CF
    services = state(master).services
    assert _smtp.find_services(services)[0]['name'] == 'smtp'
    assert _smtp.port_conflict(10025, services) == 'the Postfix service "127.0.0.1:10025"'


def test_port_25_listener_is_preferred_as_mx():
    master = '2526 inet n - y - - smtpd\n' + MASTER_CF
    assert _smtp.find_services(state(master).services)[0]['name'] == 'smtp'


def test_plan_turning_off_uses_master_service_disable_and_keeps_foreign_tokens():
    st = state(master_service_disable='pickup/unix')
    plan = _smtp.plan(dict(enabled=False, port=25, smtps=False, starttls=False), st)
    assert plan.postfix_parameters['master_service_disable'].split() == \
        ['pickup/unix', 'inet', 'smtps/inet', 'submission/inet']
    assert plan.postfix_services['smtp/inet']['options'] == {'smtpd_tls_security_level': 'none'}


def test_plan_turning_back_on_removes_only_our_tokens():
    st = state(master_service_disable='inet smtps/inet')
    assert _smtp.read(st) == dict(enabled=False, port=25, smtps=False, starttls=True)
    plan = _smtp.plan(dict(enabled=True, port=25, smtps=True, starttls=True), st)
    assert plan.postfix_parameters == {'master_service_disable': None}
    assert plan.postfix_services == {}


def test_port_back_to_25_is_named_smtp():
    master = MASTER_CF.replace('smtp      inet  n       -       y       -       -       smtpd',
                               '2525 inet n - y - - smtpd')
    plan = _smtp.plan(dict(enabled=True, port=25, smtps=True, starttls=True), state(master))
    assert plan.postfix_services['2525/inet']['name'] == 'smtp'
