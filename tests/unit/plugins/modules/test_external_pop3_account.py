# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The external_pop3_account module: the admin request it sends (present, absent, check mode),
the program's answer read back (refusals, failures, the diff), and the password kept off the
command line and out of every result."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest
from ansible.module_utils import basic

from ansible_collections.mailroom.server.plugins.module_utils import _external_pop3 as fetcher
from ansible_collections.mailroom.server.plugins.modules import external_pop3_account
from ansible_collections.mailroom.server.tests.unit.plugins.module_utils.fake_module import run_main

PASSWORD = 'S3cret!pass word'
ADMIN = ['/usr/bin/python3', '/usr/local/lib/mailroom/mailroom-external-pop3', 'admin']
PUBLIC = {'id': '0f3c6b2a9d8e4f1a0b2c3d4e5f607182', 'server': 'pop.example.net', 'port': 995, 'tls': 'pop3s',
          'login': 'alice@example.net', 'keep': True, 'folder': 'INBOX', 'paused': False, 'password_set': True,
          'status': {'last_run': None, 'last_count': 0, 'total': 0, 'last_error': None}}


def params(**given):
    base = dict(user='alice', server='pop.example.net', port=None, tls='pop3s', login='alice@example.net',
                password=None, keep=None, folder=None, paused=None, state='present')
    base.update(given)
    return base


# --- the request --------------------------------------------------------------------------------------

def test_present_builds_a_put_with_nulls_for_what_is_left_out():
    assert fetcher.build_request(params(password=PASSWORD), check=False) == {
        'op': 'put', 'user': 'alice', 'check': False,
        'account': {'server': 'pop.example.net', 'port': 995, 'tls': 'pop3s', 'login': 'alice@example.net',
                    'password': PASSWORD, 'keep': None, 'folder': None, 'paused': None}}


def test_present_passes_every_option_given():
    request = fetcher.build_request(params(tls='starttls', port=1110, keep=False, folder=u'Archiv/Verein \u00e4',
                                           paused=True), check=True)
    assert request['check'] is True
    assert request['account'] == {'server': 'pop.example.net', 'port': 1110, 'tls': 'starttls',
                                  'login': 'alice@example.net', 'password': None, 'keep': False,
                                  'folder': u'Archiv/Verein \u00e4', 'paused': True}


@pytest.mark.parametrize('tls, port', [('pop3s', 995), ('starttls', 110), ('none', 110), (None, 995)])
def test_the_port_defaults_by_tls(tls, port):
    request = fetcher.build_request(params(tls=tls), check=False)
    assert request['account']['port'] == port and request['account']['tls'] == (tls or 'pop3s')


def test_absent_builds_a_remove_without_the_password():
    request = fetcher.build_request(params(state='absent', password=PASSWORD, keep=True), check=False)
    assert request == {'op': 'remove', 'user': 'alice', 'server': 'pop.example.net', 'login': 'alice@example.net',
                       'check': False}
    assert fetcher.build_request(params(state='absent'), check=True)['check'] is True


@pytest.mark.parametrize('given, message', [
    (dict(user=''), 'user must not be empty'),
    (dict(user='al ice'), 'user must not contain spaces'),
    (dict(server='pop.example.net\nRETR 1'), 'server must be one line'),
    (dict(server='pop example.net'), 'server must not contain spaces'),
    (dict(login=''), 'login must not be empty'),
    (dict(login='alice\r\nDELE 1'), 'login must be one line'),
    (dict(password=''), 'password must not be empty (leave it out to keep the stored password)'),
    (dict(password='pass\nword'), 'password must be one line'),
    (dict(folder=''), 'folder must not be empty'),
    (dict(folder='Inbox\t'), 'folder must be one line'),
    (dict(port=0), 'port must be a number from 1 to 65535, not 0'),
    (dict(port=65536), 'port must be a number from 1 to 65535'),
    (dict(port=True), 'port must be a number from 1 to 65535'),
    (dict(tls='ssl'), 'tls must be one of pop3s, starttls, none'),
    (dict(keep='yes'), 'keep must be true or false'),
    (dict(state='gone'), 'state must be present or absent'),
])
def test_bad_input_is_refused_before_the_program_runs(given, message):
    with pytest.raises(fetcher.AccountError) as refused:
        fetcher.build_request(params(**given), check=False)
    assert message in str(refused.value)
    assert PASSWORD not in str(refused.value)


def test_the_request_goes_on_stdin_as_one_json_object():
    request = fetcher.build_request(params(password=PASSWORD), check=False)
    data = fetcher.encode(request)
    assert isinstance(data, bytes) and not data.endswith(b'\n')
    assert json.loads(data.decode('utf-8')) == request
    assert fetcher.command('admin') == ADMIN and fetcher.command('apply')[-1] == 'apply'


# --- the answer ---------------------------------------------------------------------------------------

PUT = fetcher.build_request(params(password=PASSWORD), check=False)
REMOVE = fetcher.build_request(params(state='absent'), check=False)


def answer(**values):
    return json.dumps(dict(ok=True, **values)) + '\n'


def test_a_new_account():
    result = fetcher.interpret(0, answer(changed=True, before=None, after=PUBLIC, password_changed=False,
                                         id=PUBLIC['id']), '', PUT, diff=True)
    assert result == {'changed': True, 'account': PUBLIC, 'password_changed': False,
                      'diff': {'before': {}, 'after': PUBLIC}}


def test_a_changed_password_shows_only_as_password_changed():
    result = fetcher.interpret(0, answer(changed=True, before=PUBLIC, after=PUBLIC, password_changed=True),
                               '', PUT, diff=True)
    assert result['changed'] is True and result['password_changed'] is True
    assert result['diff'] == {'before': PUBLIC, 'after': PUBLIC}


def test_no_diff_unless_asked():
    result = fetcher.interpret(0, answer(changed=False, before=PUBLIC, after=PUBLIC, password_changed=False),
                               '', PUT)
    assert result == {'changed': False, 'account': PUBLIC, 'password_changed': False}


def test_a_removal():
    result = fetcher.interpret(0, answer(changed=True, before=PUBLIC, after=None), '', REMOVE, diff=True)
    assert result == {'changed': True, 'account': None, 'password_changed': False,
                      'diff': {'before': PUBLIC, 'after': {}}}
    gone = fetcher.interpret(0, answer(changed=False, before=None, after=None), '', REMOVE, diff=True)
    assert gone['changed'] is False and gone['diff'] == {'before': {}, 'after': {}}


def test_a_password_in_an_answer_is_never_passed_on():
    leaky = dict(PUBLIC, password=PASSWORD)
    result = fetcher.interpret(0, answer(changed=True, before=leaky, after=leaky), '', PUT, diff=True)
    assert PASSWORD not in json.dumps(result)


def test_a_refusal_is_the_programs_own_message():
    message = "the administrator does not allow POP3 without TLS: use POP3S (995) or STARTTLS (110)"
    with pytest.raises(fetcher.AccountError) as refused:
        fetcher.interpret(1, json.dumps({'ok': False, 'error': message}), '', PUT)
    assert str(refused.value) == message


@pytest.mark.parametrize('rc, out, err, expected', [
    (1, '', 'Traceback ...\nPermissionError: [Errno 13]\n', 'PermissionError: [Errno 13]'),
    (2, 'not json', 'usage: mailroom-external-pop3 fetch LOGIN | serve | admin | apply [--check]\n', 'usage:'),
    (127, '', '', 'exit code 127'),
    (3, answer(changed=True, before=None, after=PUBLIC), 'killed\n', 'exited with code 3: killed'),
    (1, json.dumps({'ok': False}), '', 'refused the request (exit code 1)'),
    (0, '[]', '', 'no answer'),
])
def test_a_failure_names_the_exit_code_and_stderr(rc, out, err, expected):
    with pytest.raises(fetcher.AccountError) as failed:
        fetcher.interpret(rc, out, err, PUT)
    assert expected in str(failed.value)


def test_bytes_from_the_program_are_read_as_utf8():
    result = fetcher.interpret(0, answer(changed=False, before=PUBLIC, after=dict(PUBLIC, folder=u'\u00c4')).encode(),
                               b'', PUT)
    assert result['account']['folder'] == u'\u00c4'


# --- the module, end to end ---------------------------------------------------------------------------

@pytest.fixture
def program(tmp_path, monkeypatch):
    """The program present (a file at a temporary path); run_command answered by `replies`."""
    path = tmp_path / 'mailroom-external-pop3'
    path.write_text('#!/usr/bin/python3\n')
    monkeypatch.setattr(fetcher, 'PROGRAM', str(path))
    calls = []
    replies = []

    def run_command(self, args, data=None, binary_data=False, **kwargs):
        calls.append({'args': args, 'data': data, 'binary_data': binary_data, 'kwargs': kwargs})
        return replies.pop(0)

    monkeypatch.setattr(basic.AnsibleModule, 'run_command', run_command)
    return path, calls, replies


def run_module(capsys, args):
    return run_main(external_pop3_account.main, args, capsys)


MODULE_ARGS = dict(user='alice', server='pop.example.net', login='alice@example.net', password=PASSWORD)


def test_the_module_sends_the_request_on_stdin_only(program, capsys):
    path, calls, replies = program
    replies.append((0, answer(changed=True, before=None, after=PUBLIC, password_changed=False), ''))
    result, captured = run_module(capsys, dict(MODULE_ARGS, _ansible_diff=True))
    (call,) = calls
    assert call['args'] == ['/usr/bin/python3', str(path), 'admin']
    assert call['binary_data'] is True
    assert not any(PASSWORD in part for part in call['args'])
    sent = json.loads(call['data'])
    assert sent == {'op': 'put', 'user': 'alice', 'check': False,
                    'account': {'server': 'pop.example.net', 'port': 995, 'tls': 'pop3s', 'login': 'alice@example.net',
                                'password': PASSWORD, 'keep': None, 'folder': None, 'paused': None}}
    assert not result.get('failed') and result['changed'] is True
    assert result['account'] == PUBLIC and result['password_changed'] is False
    assert result['diff'] == {'before': {}, 'after': PUBLIC}
    assert PASSWORD not in captured.out + captured.err


def test_the_module_in_check_mode_asks_for_a_check(program, capsys):
    _path, calls, replies = program
    replies.append((0, answer(changed=False, before=None, after=None), ''))
    result, _captured = run_module(capsys, dict(MODULE_ARGS, state='absent', _ansible_check_mode=True))
    sent = json.loads(calls[0]['data'])
    assert sent == {'op': 'remove', 'user': 'alice', 'server': 'pop.example.net', 'login': 'alice@example.net',
                    'check': True}
    assert result['changed'] is False and result['account'] is None and 'diff' not in result


def test_the_module_fails_with_the_programs_refusal(program, capsys):
    _path, _calls, replies = program
    replies.append((1, json.dumps({'ok': False, 'error': "'nobody' is not a user of this mail host"}), ''))
    result, captured = run_module(capsys, dict(MODULE_ARGS, user='nobody'))
    assert result['failed'] is True and result['changed'] is False
    assert result['msg'] == "'nobody' is not a user of this mail host"
    assert PASSWORD not in captured.out


def test_the_module_refuses_bad_input_without_running_the_program(program, capsys):
    _path, calls, _replies = program
    result, _captured = run_module(capsys, dict(MODULE_ARGS, port=70000))
    assert result['failed'] is True and 'port must be a number from 1 to 65535' in result['msg']
    assert calls == []


def test_the_module_without_the_program_says_which_role(program, capsys):
    path, calls, _replies = program
    path.unlink()
    result, _captured = run_module(capsys, dict(MODULE_ARGS, _ansible_check_mode=True))
    assert result['failed'] is True and result['changed'] is False
    assert 'apply the mailroom.server.external_pop3 role first' in result['msg']
    assert calls == []
