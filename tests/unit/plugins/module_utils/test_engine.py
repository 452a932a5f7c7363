# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The settings engine with fake daemons: staging, commit, rollback in every failure, journal."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import types

import pytest

from ansible_collections.mailroom.server.plugins.module_utils._engine import area as engine_area
from ansible_collections.mailroom.server.plugins.module_utils._engine import runner, transaction
from ansible_collections.mailroom.server.plugins.module_utils._engine.area import ManagedFile, Plan, State
from ansible_collections.mailroom.server.plugins.module_utils._engine.errors import (
    DaemonError,
    FileError,
    SettingsError,
)
from ansible_collections.mailroom.server.plugins.module_utils._engine.journal import Journal
from ansible_collections.mailroom.server.plugins.module_utils._areas import registry
from ansible_collections.mailroom.server.tests.unit.plugins.module_utils.fake_module import Exit, FakeModule


class FakeDaemon(object):
    """A daemon whose configuration is files {path: text}; its edits are such dicts too."""

    def __init__(self, name, log, fail_activate=False, fail_stage=False):
        self.name = name
        self.log = log
        self.fail_activate = fail_activate
        self.fail_stage = fail_stage
        self.up = True

    @staticmethod
    def merge(named_edits):
        merged = {}
        for _name, edit in named_edits:
            merged.update(edit)
        return merged

    def stage(self, edit, files=()):
        if self.fail_stage:
            raise DaemonError('%s check rejected the staged configuration' % self.name)
        texts = dict((path, text) for path, text in edit.items() if _read(path) != text)
        if not texts:
            return {}, {}
        return texts, {'dovecot' if self.name == 'dovecot' else 'postfix': dict(texts)}

    def running(self):
        return self.up

    def activate(self, action):
        # What each daemon would serve: the files as they are when it is activated.
        self.log.append((self.name, action, dict((path, _read(path)) for path in sorted(_PATHS))))
        if self.fail_activate:
            self.fail_activate -= 1
            raise DaemonError('%s did not take the new configuration' % self.name)


_PATHS = set()


def _read(path):
    return open(path).read() if os.path.exists(path) else None


@pytest.fixture
def host(tmp_path):
    """Two daemons' live files and a journal below tmp_path."""
    _PATHS.clear()
    paths = {}
    for name in ('postfix', 'dovecot', 'webmail'):
        path = tmp_path / ('%s.conf' % name)
        path.write_text('%s old\n' % name)
        paths[name] = str(path)
        _PATHS.add(str(path))
    return types.SimpleNamespace(paths=paths, journal=Journal(str(tmp_path / 'state')), log=[], tmp=tmp_path)


def make(host, **failures):
    daemons = dict((name, FakeDaemon(name, host.log, **failures.get(name, {})))
                   for name in ('postfix', 'dovecot', 'webmail'))
    return transaction.Transaction(daemons, host.journal)


def plans(host, names=('postfix', 'dovecot'), actions=None, files=()):
    edits = dict((name, {host.paths[name]: '%s new\n' % name}) for name in names)
    return [('area', Plan(edits=edits, actions=actions or dict((name, 'reload') for name in names),
                          files=list(files)))]


def texts(host):
    return dict((name, _read(path)) for name, path in host.paths.items())


def test_commit_writes_every_daemon_then_activates_each_in_order(host):
    change = make(host)
    change.stage(plans(host), State())
    assert change.commit(activate=True) == {'postfix': 'reload', 'dovecot': 'reload'}
    assert texts(host) == {'postfix': 'postfix new\n', 'dovecot': 'dovecot new\n', 'webmail': 'webmail old\n'}
    # Each daemon is activated once, after every file is in place.
    assert [(name, action) for name, action, _files in host.log] == [('postfix', 'reload'), ('dovecot', 'reload')]
    assert not os.path.exists(host.journal.marker)


def test_second_daemon_refusing_restores_both_and_reactivates_the_first(host):
    change = make(host, dovecot={'fail_activate': 1})
    change.stage(plans(host), State())
    with pytest.raises(transaction.RolledBack, match='nothing was changed') as failure:
        change.commit(activate=True)
    assert failure.value.changed is False
    assert texts(host) == {'postfix': 'postfix old\n', 'dovecot': 'dovecot old\n', 'webmail': 'webmail old\n'}
    # dovecot (the one that failed) restarted, postfix reloaded - both on the old files.
    undo = [(name, action) for name, action, _files in host.log[2:]]
    assert undo == [('dovecot', 'restart'), ('postfix', 'reload')]
    assert all(files[host.paths['postfix']] == 'postfix old\n' for _n, _a, files in host.log[2:])
    assert not os.path.exists(host.journal.marker)


def test_a_write_failing_with_os_error_restores_what_was_written(host, monkeypatch):
    change = make(host)
    change.stage(plans(host), State())
    real = transaction.atomic_file.write_atomic

    def dovecot_disk_full(path, text, *args):
        if path == host.paths['dovecot'] and 'new' in text:
            raise FileError('cannot write %s: [Errno 30] Read-only file system' % path)
        return real(path, text, *args)
    monkeypatch.setattr(transaction.atomic_file, 'write_atomic', dovecot_disk_full)
    with pytest.raises(transaction.RolledBack, match='Read-only file system'):
        change.commit(activate=True)
    assert texts(host)['postfix'] == 'postfix old\n'
    assert host.log == []   # nothing was activated: writes come before any activation


def test_third_daemon_failing_undoes_the_first_two_in_reverse_order(host, monkeypatch):
    monkeypatch.setattr(transaction, 'DAEMON_NAMES', ('postfix', 'dovecot', 'webmail'))
    change = make(host, webmail={'fail_activate': 1})
    change.stage(plans(host, names=('postfix', 'dovecot', 'webmail')), State())
    with pytest.raises(transaction.RolledBack):
        change.commit(activate=True)
    assert set(texts(host).values()) == {'postfix old\n', 'dovecot old\n', 'webmail old\n'}
    undo = [(name, action) for name, action, _files in host.log[3:]]
    assert undo == [('webmail', 'restart'), ('dovecot', 'reload'), ('postfix', 'reload')]


def test_managed_files_are_restored_too_and_new_ones_removed(host):
    table = str(host.tmp / 'tables' / 'recipients.cf')
    _PATHS.add(table)
    change = make(host, dovecot={'fail_activate': 1})
    change.stage(plans(host, files=[ManagedFile(table, 'ldap table\n', 'postfix')]), State())
    with pytest.raises(transaction.RolledBack):
        change.commit(activate=True)
    assert not os.path.exists(table)
    # postfix was never reactivated while its table was still there: all files first, then daemons.
    assert all(files[table] is None for name, _a, files in host.log[2:])


def test_a_file_of_no_daemon_is_written_and_restored_and_activates_nothing(host):
    # A reader that notices a new file by itself (a milter stating its file per message).
    policy = str(host.tmp / 'policy' / 'milter.json')
    alone = make(host)
    alone.stage([('milter', Plan(files=[ManagedFile(policy, '{"on": true}\n', None, mode=0o644)]))], State())
    assert alone.actions == {} and alone.paths == [policy]
    assert alone.commit(activate=True) == {}
    assert _read(policy) == '{"on": true}\n' and host.log == []
    assert oct(os.stat(policy).st_mode & 0o777) == oct(0o644)
    assert not os.path.exists(host.journal.marker)
    # With a daemon that refuses its part: the file comes back as it was.
    _PATHS.add(policy)
    change = make(host, dovecot={'fail_activate': 1})
    change.stage(plans(host, files=[ManagedFile(policy, '{"on": false}\n', None)]), State())
    with pytest.raises(transaction.RolledBack):
        change.commit(activate=True)
    assert _read(policy) == '{"on": true}\n'
    assert [name for name, _action, _files in host.log] == ['postfix', 'dovecot', 'dovecot', 'postfix']


def test_a_failed_verification_rolls_back(host):
    change = make(host)
    change.stage(plans(host), State())

    def not_listening(taken):
        assert taken == {'postfix': 'reload', 'dovecot': 'reload'}
        raise DaemonError('the new configuration is not in effect: not listening on 110')
    with pytest.raises(transaction.RolledBack, match='not listening on 110'):
        change.commit(activate=True, verify=not_listening)
    assert texts(host)['dovecot'] == 'dovecot old\n'


def test_a_bug_is_rolled_back_and_surfaces_unchanged(host):
    change = make(host)
    change.stage(plans(host), State())

    def bug(taken):
        raise KeyError('programming error')
    with pytest.raises(KeyError):
        change.commit(activate=True, verify=bug)
    assert texts(host)['postfix'] == 'postfix old\n'


def test_a_failed_rollback_says_the_host_changed(host):
    change = make(host, dovecot={'fail_activate': 2})
    change.stage(plans(host), State())
    with pytest.raises(transaction.RollbackIncomplete, match='restoring the previous configuration failed') as failure:
        change.commit(activate=True)
    assert failure.value.changed is True


def test_without_activate_or_with_a_stopped_daemon_files_change_and_nothing_is_activated(host):
    change = make(host)
    change.daemons['dovecot'].up = False
    change.stage(plans(host), State())
    assert change.commit(activate=True) == {'postfix': 'reload', 'dovecot': None}
    for path in host.paths.values():
        open(path, 'w').write('reset\n')
    change = make(host)
    change.stage(plans(host, actions={'postfix': 'restart', 'dovecot': 'reload'}), State())
    assert change.actions == {'postfix': 'restart', 'dovecot': 'reload'}
    assert change.commit(activate=False) == {'postfix': None, 'dovecot': None}
    assert texts(host)['postfix'] == 'postfix new\n' and len(host.log) == 1


def test_stage_leaves_out_daemons_without_changes_and_takes_the_strongest_action(host):
    change = make(host)
    named = [('a', Plan(edits={'postfix': {host.paths['postfix']: 'postfix old\n'}}, actions={'postfix': 'restart'})),
             ('b', Plan(edits={'dovecot': {host.paths['dovecot']: 'dovecot new\n'}}, actions={'dovecot': 'reload'})),
             ('c', Plan(edits={'dovecot': {}}, actions={'dovecot': 'restart'}))]
    staged = change.stage(named, State(postfix={'x': 1}))
    assert change.actions == {'dovecot': 'restart'}
    assert staged.postfix == {'x': 1} and staged.dovecot == {host.paths['dovecot']: 'dovecot new\n'}


def test_a_staging_failure_changes_nothing(host):
    change = make(host, dovecot={'fail_stage': True})
    with pytest.raises(DaemonError):
        change.stage(plans(host), State())
    assert set(texts(host).values()) == {'postfix old\n', 'dovecot old\n', 'webmail old\n'}


# --- journal: no litter, interrupted changes visible ---------------------------------------

def test_journal_sweeps_staging_copies_of_dead_processes_only(tmp_path):
    journal = Journal(str(tmp_path), pid=os.getpid())
    mine = journal.stage_dir('postfix')
    dead = os.path.join(journal.staging, '999999999-dovecot-x')
    os.makedirs(dead)
    assert journal.sweep() == ['999999999-dovecot-x']
    assert os.path.isdir(mine) and not os.path.exists(dead)


def test_journal_stages_a_config_copy_with_new_texts_inside_it_only(tmp_path):
    live = tmp_path / 'etc'
    (live / 'conf.d').mkdir(parents=True)
    (live / 'conf.d' / 'a.conf').write_text('old\n')
    journal = Journal(str(tmp_path / 'state'))
    stage, copy = journal.stage_config(str(live), 'daemon', {
        str(live / 'conf.d' / 'a.conf'): 'new\n', str(live / 'b.conf'): 'b\n', str(tmp_path / 'outside'): 'x'})
    assert open(os.path.join(copy, 'conf.d', 'a.conf')).read() == 'new\n'
    assert open(os.path.join(copy, 'b.conf')).read() == 'b\n'
    assert (live / 'conf.d' / 'a.conf').read_text() == 'old\n' and not (tmp_path / 'outside').exists()
    assert not os.path.exists(os.path.join(stage, 'outside'))


def test_journal_reports_a_change_whose_process_is_gone(tmp_path):
    killed = Journal(str(tmp_path), pid=999999999)
    killed.begin(['/etc/postfix/main.cf'], {'postfix': 'reload'})
    record = Journal(str(tmp_path)).interrupted()
    assert record['files'] == ['/etc/postfix/main.cf'] and record['pid'] == 999999999
    assert record['daemons'] == {'postfix': 'reload'}
    assert Journal(str(tmp_path), pid=999999999).interrupted() == record
    running = Journal(str(tmp_path), pid=1)   # a live process: its change is not interrupted
    running.begin([], {})
    assert Journal(str(tmp_path)).interrupted() is None
    running.end()
    assert Journal(str(tmp_path)).interrupted() is None


# --- the contract and the checks across areas ----------------------------------------------

def test_the_contract_is_checked_when_an_area_is_registered():
    incomplete = types.ModuleType('incomplete')
    incomplete.NAME = 'x'
    with pytest.raises(engine_area.ContractError, match='lacks DAEMONS'):
        engine_area.register(incomplete)
    wrong = types.ModuleType('wrong')
    wrong.__dict__.update(NAME='x', DAEMONS=('sendmail',), OPTIONS=('a',), ARGUMENT_SPEC={'a': {}},
                          read=len, desired=len, plan=len)
    with pytest.raises(engine_area.ContractError, match='unknown daemons'):
        engine_area.register(wrong)
    wrong.DAEMONS = ('postfix',)
    wrong.OPTIONS = ('a', 'b')
    with pytest.raises(engine_area.ContractError, match='no argument spec'):
        engine_area.register(wrong)


def test_every_registered_area_keeps_its_hooks_free_of_the_module():
    for each in registry.ALL:
        for hook in (each.preflight, each.follow_up):
            if hook is not None:
                assert hook.__code__.co_varnames[0] == 'host'


def test_booleans_are_refused_for_whole_numbers_at_any_depth():
    spec = dict(port=dict(type='int'), smtp=dict(type='dict', options=dict(port=dict(type='int'))))
    with pytest.raises(SettingsError, match='port must be a whole number, not true'):
        runner.check_types({'port': True}, spec)
    with pytest.raises(SettingsError, match='smtp.port must be a whole number'):
        runner.check_types({'smtp': {'port': False}}, spec)
    runner.check_types({'port': 25, 'smtp': {'port': 2525}}, spec)


SMTP = dict(enabled=True, port=25, smtps=True, starttls=True)
IMAP = dict(imap=True, imap_ssl=True, pop3=False, pop3_ssl=True, prohibit_plaintext_auth=True,
            max_connections_per_user_ip=10)
LISTENING = frozenset([25, 465, 587, 143, 993, 995])


def ports_check(current, wanted, listening=LISTENING):
    runner.check_ports(registry.ALL, current, wanted, State(facts={'listening_ports': set(listening)}))


def test_two_areas_cannot_open_one_port_in_one_call():
    with pytest.raises(SettingsError, match=r'port 110 for (SMTP|POP3) is already used by (POP3|SMTP)'):
        ports_check({'smtp': SMTP, 'imap_pop3': IMAP},
                    {'smtp': dict(SMTP, port=110), 'imap_pop3': dict(IMAP, pop3=True)})


def test_a_port_taken_by_another_area_is_refused_across_calls():
    current = {'smtp': dict(SMTP, port=110), 'imap_pop3': IMAP}
    with pytest.raises(SettingsError, match='imap_pop3: port 110 for POP3 is already used by SMTP'):
        ports_check(current, {'imap_pop3': dict(IMAP, pop3=True)}, LISTENING | {110})


def test_a_port_of_another_program_is_refused_and_own_ports_are_not():
    with pytest.raises(SettingsError, match='another program listening on it'):
        ports_check({'smtp': SMTP, 'imap_pop3': IMAP}, {'smtp': dict(SMTP, port=8080)}, LISTENING | {8080})
    # Turning STARTTLS off and on again, or a port this area already holds, is no conflict.
    ports_check({'smtp': SMTP, 'imap_pop3': IMAP}, {'smtp': dict(SMTP, smtps=False)})
    ports_check({'smtp': SMTP, 'imap_pop3': dict(IMAP, pop3=True)}, {'imap_pop3': dict(IMAP, pop3=True, imap=False)})


# --- the module boundary: results say exactly what changed ------------------------------------------

def file_area(path, daemon):
    """An area whose one setting is the text of one file of `daemon`."""
    namespace = types.ModuleType('file_area_%s' % daemon)
    namespace.__dict__.update(
        NAME='file_' + daemon, DAEMONS=(daemon,), OPTIONS=(daemon,),
        ARGUMENT_SPEC={daemon: {'type': 'str'}},
        read=lambda state: {daemon: _read(path)},
        read_staged=lambda staged, wanted: {daemon: (getattr(staged, daemon) or {}).get(path, _read(path))},
        desired=lambda current, options, state: dict(current, **dict((k, v) for k, v in options.items() if v)),
        plan=lambda wanted, state: Plan(edits={daemon: {path: wanted[daemon]}}, actions={daemon: 'reload'}))
    return engine_area.Area(namespace)


@pytest.fixture
def boundary(host, monkeypatch):
    daemons = {}
    monkeypatch.setattr(runner, 'Journal', lambda: host.journal)
    monkeypatch.setattr(runner, 'open_daemons', lambda module, journal, needed: daemons)
    monkeypatch.setattr(runner.host_facts, 'gather', lambda module: {'listening_ports': set()})
    monkeypatch.setattr(runner, 'read_state', lambda daemons, facts: State(facts=facts))
    areas = (file_area(host.paths['postfix'], 'postfix'), file_area(host.paths['dovecot'], 'dovecot'))

    def call(module, options, **failures):
        daemons.clear()
        daemons.update(make(host, **failures).daemons)
        requests = [(area, {area.options[0]: options.get(area.name)}) for area in areas]
        with pytest.raises(Exit) as done:
            runner.run(module, requests, areas)
        return done.value
    return call


def test_a_rolled_back_change_fails_with_changed_false(host, boundary):
    done = boundary(FakeModule(), {'file_postfix': 'postfix new\n', 'file_dovecot': 'dovecot new\n'},
                    dovecot={'fail_activate': 1})
    assert done.failed and done.result['changed'] is False
    assert 'nothing was changed' in done.result['msg']
    assert set(texts(host).values()) == {'postfix old\n', 'dovecot old\n', 'webmail old\n'}


def test_check_mode_reports_the_change_and_touches_nothing(host, boundary):
    done = boundary(FakeModule(check_mode=True), {'file_postfix': 'postfix new\n'})
    assert not done.failed and done.result['changed'] is True
    assert done.result['diff']['after']['postfix'] == 'postfix new\n'
    assert done.result['reload_required'] is True and done.result['restart_required'] is False
    assert texts(host)['postfix'] == 'postfix old\n' and host.log == []
    assert not os.path.exists(host.journal.marker)


def test_a_refused_validation_fails_unchanged(host, boundary):
    done = boundary(FakeModule(), {'file_postfix': 'postfix new\n'}, postfix={'fail_stage': True})
    assert done.failed and done.result['changed'] is False and 'check rejected' in done.result['msg']


def test_the_next_run_finishes_an_interrupted_change(host, boundary):
    Journal(host.journal.root, pid=999999999).begin([host.paths['dovecot']], {'dovecot': 'restart'})
    module = FakeModule()
    done = boundary(module, {})
    assert not done.failed and done.result['changed'] is True
    assert done.result['activation'] == {'dovecot': 'restart'}
    assert done.result['interrupted_change']['daemons'] == {'dovecot': 'restart'}
    assert module.warnings and 'interrupted' in module.warnings[0]
    assert not os.path.exists(host.journal.marker)


def test_an_unavailable_area_is_refused_when_set_and_left_out_otherwise(host, boundary, monkeypatch):
    namespace = types.ModuleType('needs_a_role')
    namespace.__dict__.update(
        NAME='needs_a_role', DAEMONS=(), OPTIONS=('on',), ARGUMENT_SPEC={'on': {'type': 'bool'}},
        unavailable=lambda state: None if state.facts.get('installed') else 'apply the x role first',
        read=lambda state: {'on': False}, desired=lambda current, options, state: {'on': True},
        plan=lambda wanted, state: Plan())
    needy = engine_area.Area(namespace)
    facts = {'listening_ports': set()}
    monkeypatch.setattr(runner.host_facts, 'gather', lambda module: dict(facts))
    for module in (FakeModule(check_mode=True), FakeModule()):
        with pytest.raises(Exit) as done:
            runner.run(module, [(needy, {'on': True})], (needy,))
        assert done.value.failed and done.value.result['changed'] is False
        assert done.value.result['msg'] == 'needs_a_role: apply the x role first'
    # Not requested, it is neither read nor in the way of another area's change.
    other = file_area(host.paths['postfix'], 'postfix')
    monkeypatch.setattr(runner, 'open_daemons', lambda module, journal, needed: make(host).daemons)
    with pytest.raises(Exit) as done:
        runner.run(FakeModule(check_mode=True), [(other, {'postfix': 'postfix new\n'})], (other, needy))
    assert not done.value.failed and done.value.result['changed'] is True
    assert runner.read_areas(FakeModule(), (needy,), (('page', (needy,)),)) == ({}, None)
    facts['installed'] = True
    assert runner.read_areas(FakeModule(), (needy,), (('page', (needy,)),)) == ({'page': {'on': False}}, None)


def test_optional_areas_are_requested_only_when_their_options_are_given():
    areas = (registry.SMTP, registry.ACCOUNT_TYPE)
    params = dict((name, None) for area in areas for name in area.argument_spec)
    params.update(port=2525, migrate_mail=False)
    assert [area for area, _o in runner.area_requests(params, areas, optional=(registry.ACCOUNT_TYPE,))] == [registry.SMTP]
    params['account_type'] = 'local'
    requested = runner.area_requests(params, areas, optional=(registry.ACCOUNT_TYPE,))
    assert [area for area, _o in requested] == [registry.SMTP, registry.ACCOUNT_TYPE]
    assert requested[1][1]['account_type'] == 'local'
    page = runner.page_requests({'smtp': params, 'tls_profile': None, 'imap_pop3': {'imap': False}},
                                registry.PROTOCOL_PAGE, optional=(registry.ACCOUNT_TYPE,))
    assert [area.name for area, _o in page] == ['smtp', 'accounts', 'imap_pop3']


def test_a_daemon_releasing_a_port_is_activated_first_and_let_go_of_it(host):
    change = make(host)
    change.stage(plans(host), State())
    change.commit(activate=True, first={'dovecot'}, released=lambda: host.log.append(('released', None, {})))
    assert [name for name, _action, _files in host.log] == ['dovecot', 'released', 'postfix']


def test_a_port_never_released_rolls_back(host):
    change = make(host)
    change.stage(plans(host), State())

    def still_bound():
        raise DaemonError('ports 110 are still bound')
    with pytest.raises(transaction.RolledBack, match='still bound'):
        change.commit(activate=True, first={'dovecot'}, released=still_bound)
    assert texts(host)['postfix'] == 'postfix old\n'
    assert [name for name, _action, _files in host.log] == ['dovecot', 'dovecot']


def test_the_port_handover_between_daemons():
    current = {'smtp': SMTP, 'imap_pop3': IMAP_WITH_POP3}
    wanted = {'smtp': dict(SMTP, port=110), 'imap_pop3': IMAP}
    areas = (registry.SMTP, registry.IMAP_POP3)
    assert runner.port_handover(areas, current, wanted, State()) == {'dovecot': {110}}
    assert runner.port_handover(areas, current, dict(wanted, smtp=dict(SMTP, port=2525)), State()) == {}


IMAP_WITH_POP3 = dict(IMAP, pop3=True)


def test_a_staged_configuration_that_reads_back_otherwise_is_refused(host, boundary, monkeypatch):
    # Another file overriding the setting: the staged configuration gives the old value.
    monkeypatch.setattr(FakeDaemon, 'stage', lambda self, edit, files=(): (dict(edit), {}))
    done = boundary(FakeModule(), {'file_postfix': 'postfix new\n'})
    assert done.failed and done.result['changed'] is False
    assert 'another configuration file overrides these settings' in done.result['msg']
    assert texts(host)['postfix'] == 'postfix old\n' and host.log == []
