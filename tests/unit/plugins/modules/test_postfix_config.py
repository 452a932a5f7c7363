# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.mailroom.server.plugins.module_utils._postfix import config as _postfix
from ansible_collections.mailroom.server.plugins.module_utils._postfix.host import parameter_names
from ansible_collections.mailroom.server.plugins.modules import postfix_config

TEXTS = {
    'main.cf': 'myhostname = mail.example.test\nsmtpd_tls_protocols = >=TLSv1.3\n',
    'master.cf': 'smtp inet n - y - - smtpd\n',
}


def test_defaults_never_override_an_existing_value():
    edit, _before, after = postfix_config.plan(
        TEXTS, {}, {'smtpd_tls_protocols': '>=TLSv1.2', 'smtpd_tls_mandatory_protocols': '>=TLSv1.2'}, [])
    assert edit['parameters'] == after['parameters'] == {'smtpd_tls_mandatory_protocols': '>=TLSv1.2'}
    assert 'smtpd_tls_protocols = >=TLSv1.3\n' in _postfix.edit_main_cf(TEXTS['main.cf'], edit['parameters'])


def test_parameters_win_over_defaults():
    edit, _before, _after = postfix_config.plan(TEXTS, {'biff': False}, {'biff': True}, [])
    assert edit['parameters'] == {'biff': 'no'}


def test_unchanged_request_plans_nothing_and_diffs_the_managed_entries():
    edit, before, after = postfix_config.plan(
        TEXTS, {'myhostname': 'mail.example.test'}, {}, [{'name': 'smtp', 'type': 'inet', 'chroot': 'y'}])
    assert edit == {'parameters': {}, 'services': {}}
    assert before == after and list(after['parameters']) == ['myhostname'] and list(after['services']) == ['smtp/inet']


def test_services_absent_and_new():
    edit, before, after = postfix_config.plan(TEXTS, {}, {}, [
        {'name': 'smtp', 'type': 'inet', 'state': 'absent'},
        {'name': 'submission', 'type': 'inet', 'command': 'smtpd', 'options': {'syslog_name': 'x'}},
    ])
    assert edit['services']['smtp/inet'] is None and after['services']['smtp/inet'] is None
    assert before['services']['submission/inet'] is None
    assert _postfix.edit_master_cf(TEXTS['master.cf'], edit['services']).startswith(
        'submission  inet  -  -  -  -  -  smtpd\n  -o syslog_name=x\n')


def test_checked_names_cover_service_overrides():
    edit = {'parameters': {'a': '1', 'b': None},
            'services': {'x/inet': {'options': {'smtpd_c': 'yes'}}, 'y/inet': None}}
    assert parameter_names(edit) == {'a', 'smtpd_c'}


# Issue 10: each of these staged, passed `postfix check` and opened a listener before the fix.
MASTER_WITH_SUBMISSION = {
    'main.cf': TEXTS['main.cf'],
    'master.cf': ('smtp inet n - y - - smtpd\n'
                  'submission inet n - y - - smtpd\n'
                  '  -o syslog_name=postfix/submission\n'
                  '  -o smtpd_tls_security_level=encrypt\n'),
}
INJECTIONS = [
    pytest.param({'name': 'submission', 'type': 'inet', 'command': 'smtpd\n2525 inet n - y - - smtpd'},
                 'submission/inet: command', id='newline-in-command'),
    pytest.param({'name': 'submission', 'type': 'inet',
                  'options': {'syslog_name=x\n2527 inet n - n - - smtpd\n  -o a': 'b'}},
                 'submission/inet: options', id='newline-in-option-name'),
    pytest.param({'name': 'submission', 'type': 'inet', 'private': 'n - y - - smtpd\n2526 inet n'},
                 'submission/inet: private', id='newline-in-flag'),
]


@pytest.mark.parametrize('spec, where', INJECTIONS)
def test_injection_into_master_cf_is_refused_before_staging(spec, where):
    with pytest.raises(_postfix.ConfigError) as caught:
        postfix_config.plan(MASTER_WITH_SUBMISSION, {}, {}, [spec])
    assert where in str(caught.value)
    # The message shows the bad value escaped, on one line.
    assert '\n' not in str(caught.value)


@pytest.mark.parametrize('option', ['parameters', 'defaults'])
def test_multi_line_parameter_value_is_refused(option):
    given = {'smtpd_banner': 'a\nrelayhost = x'}
    args = {'parameters': {}, 'defaults': {}}
    args[option] = given
    with pytest.raises(_postfix.ConfigError, match="%s: smtpd_banner" % option):
        postfix_config.plan(TEXTS, args['parameters'], args['defaults'], [])


def test_without_netaddr_the_module_says_which_library_is_missing(monkeypatch, capsys):
    """On a host where python3-netaddr is not installed (the mta role installs it), the module
    stops before reading anything and names the library, as Ansible's modules do."""
    monkeypatch.setattr(postfix_config, 'HAS_NETADDR', False)
    with patch_module_args({'parameters': {'mynetworks': '127.0.0.0/8'}}):
        with pytest.raises(SystemExit):
            postfix_config.main()
    result = json.loads(capsys.readouterr().out)
    assert result['failed'] and 'netaddr' in result['msg']
