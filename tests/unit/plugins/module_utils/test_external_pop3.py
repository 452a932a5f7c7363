# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The external POP3 area: the policy checked, the fetcher's file read and written whole, and a
change through the runner whose follow-up runs the program's `apply` (only after a written
change, never in check mode; its failure fails the module with the program's stderr)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import stat

import pytest

from ansible_collections.mailroom.server.plugins.module_utils._areas import external_pop3, registry
from ansible_collections.mailroom.server.plugins.module_utils._engine import runner
from ansible_collections.mailroom.server.plugins.module_utils._engine.area import State
from ansible_collections.mailroom.server.plugins.module_utils._engine.errors import SettingsError
from ansible_collections.mailroom.server.plugins.module_utils._engine.journal import Journal
from ansible_collections.mailroom.server.tests.unit.plugins.module_utils.fake_module import Exit, FakeModule

SETTINGS = {'allowed': True, 'interval_minutes': 15, 'max_accounts_per_user': 3, 'allow_insecure': False,
            'keep_on_server_default': True}
DEFAULTS = {'allowed': False, 'interval_minutes': 10, 'max_accounts_per_user': 5, 'allow_insecure': False,
            'keep_on_server_default': True}
# The contract with the role's program, byte for byte.
FILE = ('{\n "allow_insecure": false,\n "allowed": true,\n "interval_minutes": 15,\n "keep_on_server_default": true,\n'
        ' "max_accounts_per_user": 3\n}\n')
UNKNOWN = dict((name, None) for name in external_pop3.OPTIONS)
APPLY = ['/usr/bin/python3', '/usr/local/lib/mailroom/mailroom-external-pop3', 'apply']


def facts(text=None, installed=True):
    return State(facts={'external_pop3_installed': installed, 'external_pop3_policy': text})


def options(**given):
    return dict(dict((name, None) for name in external_pop3.OPTIONS), **given)


# --- the file -----------------------------------------------------------------------------------------

def test_render_is_the_programs_format():
    assert external_pop3.render(SETTINGS) == FILE
    assert external_pop3.parse(FILE) == SETTINGS
    # The contract's own words: json.dumps(indent=1, sort_keys=True) + "\n".
    assert external_pop3.render(DEFAULTS) == json.dumps(DEFAULTS, indent=1, sort_keys=True) + '\n'


@pytest.mark.parametrize('settings', [
    DEFAULTS, SETTINGS,
    dict(allowed=True, interval_minutes=1, max_accounts_per_user=1, allow_insecure=True, keep_on_server_default=False),
    dict(allowed=False, interval_minutes=1440, max_accounts_per_user=100, allow_insecure=True,
         keep_on_server_default=True),
])
def test_render_and_parse_round_trip(settings):
    assert external_pop3.parse(external_pop3.render(settings)) == settings


@pytest.mark.parametrize('text', [
    None, '', 'not json', '[]', '"text"', '{}', 'null',
    json.dumps(dict(SETTINGS, extra=1)),
    json.dumps(dict((k, v) for k, v in SETTINGS.items() if k != 'allowed')),
])
def test_a_file_that_is_not_ours_reads_as_unknown(text):
    assert external_pop3.parse(text) == UNKNOWN


@pytest.mark.parametrize('name, stored', [
    ('allowed', 'yes'), ('allowed', 1), ('allowed', None),
    ('interval_minutes', 0), ('interval_minutes', 1441), ('interval_minutes', '10'), ('interval_minutes', True),
    ('interval_minutes', 10.0),
    ('max_accounts_per_user', 0), ('max_accounts_per_user', 101), ('max_accounts_per_user', False),
    ('allow_insecure', 'false'), ('keep_on_server_default', 0),
])
def test_a_bad_value_alone_reads_as_unknown(name, stored):
    read = external_pop3.parse(json.dumps(dict(SETTINGS, **{name: stored})))
    assert read == dict(SETTINGS, **{name: None})


def test_read_and_read_staged():
    assert external_pop3.read(facts(FILE)) == SETTINGS
    assert external_pop3.read(facts(None)) == UNKNOWN
    assert external_pop3.read_staged(facts(None), SETTINGS) == SETTINGS


def test_plan_writes_one_file_for_no_daemon():
    plan = external_pop3.plan(SETTINGS, facts())
    (managed,) = plan.files
    assert (managed.path, managed.text, managed.daemon, managed.mode) == ('/etc/mailroom/external-pop3.json', FILE,
                                                                          None, 0o644)
    assert plan.edits == {} and plan.actions == {}


# --- desired ------------------------------------------------------------------------------------------

def test_options_left_out_keep_the_current_values():
    assert external_pop3.desired(SETTINGS, options(), facts(FILE)) == SETTINGS
    changed = external_pop3.desired(SETTINGS, options(allowed=False, interval_minutes=1440), facts(FILE))
    assert changed == dict(SETTINGS, allowed=False, interval_minutes=1440)


def test_unknown_values_take_the_roles_defaults():
    assert external_pop3.desired(UNKNOWN, options(), facts(None)) == DEFAULTS
    assert external_pop3.desired(dict(SETTINGS, interval_minutes=None), options(allowed=False), facts('x')) == \
        dict(SETTINGS, allowed=False, interval_minutes=10)


@pytest.mark.parametrize('given, message', [
    (dict(interval_minutes=0), 'interval_minutes must be 1 to 1440 (minutes between two fetch runs of a user), not 0'),
    (dict(interval_minutes=1441), 'interval_minutes must be 1 to 1440'),
    (dict(interval_minutes=-5), 'interval_minutes must be 1 to 1440'),
    (dict(interval_minutes='10'), 'interval_minutes must be a whole number'),
    (dict(interval_minutes=True), 'interval_minutes must be a whole number'),
    (dict(interval_minutes=10 ** 400), 'interval_minutes must be 1 to 1440'),
    (dict(max_accounts_per_user=0), 'max_accounts_per_user must be 1 to 100 (external accounts a user may have), '
                                    'not 0'),
    (dict(max_accounts_per_user=101), 'max_accounts_per_user must be 1 to 100'),
    (dict(allowed='yes'), 'allowed must be true or false'),
    (dict(allow_insecure=1), 'allow_insecure must be true or false'),
    (dict(keep_on_server_default='no'), 'keep_on_server_default must be true or false'),
])
def test_bad_input_is_refused_naming_the_option(given, message):
    with pytest.raises(SettingsError) as refused:
        external_pop3.desired(SETTINGS, options(**given), facts(FILE))
    assert str(refused.value).startswith('external_pop3: ')
    assert message in str(refused.value)
    assert len(str(refused.value)) < 200


def test_as_options_given_back_change_nothing():
    shown = registry.EXTERNAL_POP3.as_options(SETTINGS)
    assert external_pop3.desired(SETTINGS, options(**shown), facts(FILE)) == SETTINGS


def test_unavailable_without_the_program():
    assert external_pop3.unavailable(facts(FILE)) is None
    message = external_pop3.unavailable(facts(FILE, installed=False))
    assert 'apply the mailroom.server.external_pop3 role first' in message
    assert '/usr/local/lib/mailroom/mailroom-external-pop3' in message


def test_facts_read_the_file(tmp_path, monkeypatch):
    program, policy = tmp_path / 'mailroom-external-pop3', tmp_path / 'external-pop3.json'
    monkeypatch.setattr(external_pop3, 'PROGRAM', str(program))
    monkeypatch.setattr(external_pop3, 'POLICY', str(policy))
    assert external_pop3.facts() == {'external_pop3_installed': False, 'external_pop3_policy': None}
    program.write_text('#!/usr/bin/python3\n')
    policy.write_text(FILE)
    assert external_pop3.facts() == {'external_pop3_installed': True, 'external_pop3_policy': FILE}
    policy.write_bytes(b'\xff\xfe')
    assert external_pop3.facts()['external_pop3_policy'] == ''


# --- follow_up ----------------------------------------------------------------------------------------

class FakeHost(object):
    """The runner's Host: records commands, answers with a fixed (rc, out, err)."""

    def __init__(self, check_mode=False, answer=(0, '{"changed": true, "started": ["alice"], "stopped": []}\n', '')):
        self.check_mode = check_mode
        self.answer = answer
        self.commands = []
        self.warnings = []

    def run_command(self, args, **kwargs):
        self.commands.append((list(args), kwargs))
        return self.answer

    def warn(self, text):
        self.warnings.append(text)


OUTCOME = {'activation': {}, 'options': {}}


def test_follow_up_applies_a_changed_policy():
    host = FakeHost()
    done = external_pop3.follow_up(host, DEFAULTS, SETTINGS, facts(), OUTCOME)
    assert [args for args, _kwargs in host.commands] == [APPLY]
    assert done.failure is None and done.changed is True
    assert done.result == {'timers': {'changed': True, 'started': ['alice'], 'stopped': []}}


def test_follow_up_applies_after_a_file_that_was_not_ours():
    host = FakeHost(answer=(0, '{"changed": false, "started": [], "stopped": []}', ''))
    done = external_pop3.follow_up(host, UNKNOWN, DEFAULTS, facts(), OUTCOME)
    assert [args for args, _kwargs in host.commands] == [APPLY]
    assert done.failure is None and done.changed is False


def test_follow_up_with_an_unchanged_policy_is_unchanged_when_the_timers_are_in_line():
    host = FakeHost(answer=(0, '{"changed": false, "started": [], "stopped": []}', ''))
    done = external_pop3.follow_up(host, SETTINGS, dict(SETTINGS), facts(), OUTCOME)
    assert [args for args, _kwargs in host.commands] == [APPLY]
    assert not done.changed and done.failure is None


def test_follow_up_with_an_unchanged_policy_repairs_timers_that_drifted():
    host = FakeHost()
    done = external_pop3.follow_up(host, SETTINGS, dict(SETTINGS), facts(), OUTCOME)
    assert done.changed is True and done.result['timers']['started'] == ['alice']


def test_follow_up_never_runs_in_check_mode():
    host = FakeHost(check_mode=True)
    done = external_pop3.follow_up(host, DEFAULTS, SETTINGS, facts(), OUTCOME)
    assert host.commands == [] and not done.changed and done.failure is None


def test_follow_up_fails_with_the_programs_stderr():
    host = FakeHost(answer=(1, '', 'systemctl daemon-reload failed: Access denied\n'))
    done = external_pop3.follow_up(host, DEFAULTS, SETTINGS, facts(), OUTCOME)
    assert done.failure is not None
    assert 'systemctl daemon-reload failed: Access denied' in done.failure
    assert 'apply' in done.failure and 'exited with 1' in done.failure


def test_follow_up_warns_about_an_unreadable_answer():
    host = FakeHost(answer=(0, 'not json', ''))
    done = external_pop3.follow_up(host, DEFAULTS, SETTINGS, facts(), OUTCOME)
    assert done.failure is None and not done.changed and done.warnings


# --- through the runner -------------------------------------------------------------------------------

class ApplyModule(FakeModule):
    """FakeModule whose run_command answers like the program's apply (or fails)."""

    def __init__(self, check_mode=False, answer=(0, '{"changed": true, "started": [], "stopped": ["bob"]}\n', '')):
        super(ApplyModule, self).__init__(check_mode)
        self.answer = answer
        self.commands = []

    def run_command(self, args, **kwargs):
        self.commands.append(list(args))
        return self.answer


@pytest.fixture
def fetcher_host(tmp_path, monkeypatch):
    """A host with no daemon at all, the program installed and its policy below tmp_path."""
    program, policy = tmp_path / 'mailroom-external-pop3', tmp_path / 'etc' / 'external-pop3.json'
    program.write_text('#!/usr/bin/python3\n')
    monkeypatch.setattr(external_pop3, 'PROGRAM', str(program))
    monkeypatch.setattr(external_pop3, 'POLICY', str(policy))
    journal = Journal(str(tmp_path / 'state'))
    monkeypatch.setattr(runner, 'Journal', lambda: journal)
    monkeypatch.setattr(runner, 'open_daemons', lambda module, journal, needed: {})
    monkeypatch.setattr(runner.host_facts, 'gather', lambda module: {'listening_ports': set()})
    monkeypatch.setattr(runner, 'read_state', lambda daemons, facts: State(facts=facts))
    return program, policy


def run(module=None, page=False, **given):
    module = module or ApplyModule()
    area = registry.EXTERNAL_POP3
    with pytest.raises(Exit) as done:
        if page:
            runner.run(module, runner.page_requests({'external_pop3': options(**given)}, registry.CLIENT_PAGE),
                       (area,), layout=registry.CLIENT_PAGE)
        else:
            runner.run(module, [(area, options(**given))], (area,))
    return done.value


def test_a_change_writes_the_file_then_applies(fetcher_host):
    _program, policy = fetcher_host
    module = ApplyModule()
    done = run(module, allowed=True, interval_minutes=15, max_accounts_per_user=3)
    assert not done.failed and done.result['changed'] is True
    assert policy.read_text() == FILE
    assert stat.S_IMODE(os.stat(str(policy)).st_mode) == 0o644
    assert done.result['settings'] == SETTINGS
    assert done.result['diff'] == {'before': UNKNOWN, 'after': SETTINGS}
    assert done.result['activation'] == {}
    assert done.result['timers'] == {'changed': True, 'started': [], 'stopped': ['bob']}
    assert module.commands == [APPLY]
    # Again: the file untouched; apply runs, finds the timers in line, and nothing changed.
    again_module = ApplyModule(answer=(0, '{"changed": false, "started": [], "stopped": []}', ''))
    before = os.stat(str(policy))
    again = run(again_module, allowed=True, interval_minutes=15)
    assert not again.failed and again.result['changed'] is False
    assert again.result['timers'] == {'changed': False, 'started': [], 'stopped': []}
    assert again_module.commands == [APPLY]
    assert os.stat(str(policy)).st_ino == before.st_ino


def test_check_mode_reports_touches_nothing_and_never_applies(fetcher_host):
    _program, policy = fetcher_host
    policy.parent.mkdir()
    policy.write_text(FILE)
    module = ApplyModule(check_mode=True)
    done = run(module, interval_minutes=30)
    assert not done.failed and done.result['changed'] is True
    assert done.result['diff']['after'] == dict(SETTINGS, interval_minutes=30)
    assert policy.read_text() == FILE
    assert module.commands == []


def test_a_failing_apply_fails_the_module_with_its_stderr(fetcher_host):
    _program, policy = fetcher_host
    module = ApplyModule(answer=(1, '', 'Failed to connect to bus: No such file or directory\n'))
    done = run(module, allowed=True)
    assert done.failed and done.result['changed'] is True
    assert 'Failed to connect to bus: No such file or directory' in done.result['msg']
    assert module.commands == [APPLY]
    # The policy is written: the failure is the timers', which the message says.
    assert json.loads(policy.read_text())['allowed'] is True


@pytest.mark.parametrize('given', [
    dict(interval_minutes=0), dict(interval_minutes=True), dict(max_accounts_per_user=500),
    dict(allowed='maybe'),
])
def test_bad_input_leaves_the_file_byte_identical(fetcher_host, given):
    _program, policy = fetcher_host
    policy.parent.mkdir()
    policy.write_bytes(FILE.encode('utf-8'))
    module = ApplyModule()
    done = run(module, **given)
    assert done.failed and done.result['changed'] is False
    assert policy.read_bytes() == FILE.encode('utf-8')
    assert module.commands == []


def test_without_the_program_the_module_refuses_and_changes_nothing(fetcher_host):
    program, policy = fetcher_host
    program.unlink()
    for module in (ApplyModule(check_mode=True), ApplyModule()):
        done = run(module, allowed=True)
        assert done.failed and done.result['changed'] is False
        assert 'apply the mailroom.server.external_pop3 role first' in done.result['msg']
        assert module.commands == []
    assert not policy.exists()


def test_a_file_that_is_not_ours_is_written_whole_by_any_change(fetcher_host):
    _program, policy = fetcher_host
    policy.parent.mkdir()
    policy.write_text('{"allowed": true, "note": "hand edit"}\n')
    done = run(allowed=True)
    assert not done.failed and done.result['changed'] is True
    assert json.loads(policy.read_text()) == dict(DEFAULTS, allowed=True)


def test_the_client_page_carries_the_section(fetcher_host):
    _program, policy = fetcher_host
    module = ApplyModule()
    done = run(module, page=True, allowed=True, interval_minutes=5)
    assert not done.failed and done.result['changed'] is True
    assert done.result['settings'] == {'external_pop3': dict(DEFAULTS, allowed=True, interval_minutes=5)}
    assert json.loads(policy.read_text())['interval_minutes'] == 5
    assert module.commands == [APPLY]


def test_client_info_shows_the_section_only_with_the_program(fetcher_host):
    program, policy = fetcher_host
    policy.parent.mkdir()
    policy.write_text(FILE)
    (client, interrupted) = runner.read_areas(FakeModule(), (registry.EXTERNAL_POP3,), registry.CLIENT_PAGE)
    assert client == {'external_pop3': SETTINGS} and interrupted is None
    # Given back to the client module, it changes nothing (apply finds the timers in line).
    module = ApplyModule(answer=(0, '{"changed": false, "started": [], "stopped": []}', ''))
    done = run(module, page=True, **client['external_pop3'])
    assert not done.failed and done.result['changed'] is False and module.commands == [APPLY]
    program.unlink()
    (client, _interrupted) = runner.read_areas(FakeModule(), (registry.EXTERNAL_POP3,), registry.CLIENT_PAGE)
    assert client == {}


def test_the_client_page_and_module_spec():
    assert dict(registry.CLIENT_PAGE)['external_pop3'] == (registry.EXTERNAL_POP3,)
    assert registry.EXTERNAL_POP3 in registry.ALL
    spec = runner.page_argument_spec(registry.CLIENT_PAGE)['external_pop3']['options']
    assert spec == {'allowed': {'type': 'bool'}, 'interval_minutes': {'type': 'int'},
                    'max_accounts_per_user': {'type': 'int'}, 'allow_insecure': {'type': 'bool'},
                    'keep_on_server_default': {'type': 'bool'}}
