# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.mailroom.server.plugins.modules import postfix_config

TEXTS = {
    'main.cf': 'myhostname = mail.example.test\nsmtpd_tls_protocols = >=TLSv1.3\n',
    'master.cf': 'smtp inet n - y - - smtpd\n',
}


def test_defaults_never_override_an_existing_value():
    new, before, after = postfix_config.plan(
        TEXTS, {}, {'smtpd_tls_protocols': '>=TLSv1.2', 'smtpd_tls_mandatory_protocols': '>=TLSv1.2'}, [])
    assert after['parameters'] == {'smtpd_tls_mandatory_protocols': '>=TLSv1.2'}
    assert 'smtpd_tls_protocols = >=TLSv1.3\n' in new['main.cf']


def test_parameters_win_over_defaults():
    _new, _before, after = postfix_config.plan(TEXTS, {'biff': False}, {'biff': True}, [])
    assert after['parameters'] == {'biff': 'no'}


def test_unchanged_request_plans_nothing():
    new, before, after = postfix_config.plan(
        TEXTS, {'myhostname': 'mail.example.test'}, {}, [{'name': 'smtp', 'type': 'inet', 'chroot': 'y'}])
    assert after == {'parameters': {}, 'services': {}}
    assert new == TEXTS


def test_services_absent_and_new():
    new, before, after = postfix_config.plan(TEXTS, {}, {}, [
        {'name': 'smtp', 'type': 'inet', 'state': 'absent'},
        {'name': 'submission', 'type': 'inet', 'command': 'smtpd', 'options': {'syslog_name': 'x'}},
    ])
    assert after['services']['smtp/inet'] is None
    assert before['services']['submission/inet'] is None
    assert new['master.cf'].startswith('submission  inet  -  -  -  -  -  smtpd\n  -o syslog_name=x\n')


def test_checked_names_cover_service_overrides():
    after = {'parameters': {'a': '1', 'b': None},
             'services': {'x/inet': {'options': {'smtpd_c': 'yes'}}, 'y/inet': None}}
    assert postfix_config.checked_names(after) == {'a', 'smtpd_c'}
