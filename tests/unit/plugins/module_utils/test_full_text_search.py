# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.mailroom.server.plugins.module_utils._dovecot import config as _dovecot
from ansible_collections.mailroom.server.plugins.module_utils._areas import full_text_search as _full_text_search
from ansible_collections.mailroom.server.plugins.module_utils._operations import search_index as _search_index
from ansible_collections.mailroom.server.plugins.module_utils._engine.runner import SettingsError, State

MODULES_23 = ['lib20_fts_plugin.so', 'lib21_fts_lucene_plugin.so', 'lib21_mailroom_cjk_plugin.so']
MODULES_24 = ['lib20_fts_plugin.so', 'lib21_fts_flatcurve_plugin.so', 'lib21_mailroom_cjk_plugin.so']
COMBINATIONS = [dict(enabled=e, cjk=c) for e in (True, False) for c in (True, False)]


def state(text='', dialect='2.3', modules=None):
    if modules is None:
        modules = MODULES_24 if dialect == '2.4' else MODULES_23
    return State(dovecot=_dovecot.parse_config(text), dialect=dialect, facts={'modules': modules})


@pytest.mark.parametrize('dialect', ['2.3', '2.4'])
def test_read_base_config_is_off(dialect):
    assert _full_text_search.read(state('protocols = imap\n', dialect)) == dict(enabled=False, cjk=False)


@pytest.mark.parametrize('dialect', ['2.3', '2.4'])
@pytest.mark.parametrize('settings', COMBINATIONS)
def test_render_reads_back_as_the_settings(dialect, settings):
    text = _full_text_search.render(settings, dialect)
    assert _full_text_search.read(state(text, dialect)) == settings


def test_render_23_appends_to_other_plugins_and_names_the_backend():
    text = _full_text_search.render(dict(enabled=True, cjk=True), '2.3')
    assert 'mail_plugins = $mail_plugins fts fts_lucene mailroom_cjk\n' in text
    assert '  fts = lucene\n' in text
    assert '  fts_tokenizers = cjk-ngram email-address\n' in text


def test_render_24_uses_flatcurve_prefix_terms_without_substring_search():
    text = _full_text_search.render(dict(enabled=True, cjk=True), '2.4')
    parsed = _dovecot.parse_config(text)
    assert _dovecot.name_list(parsed, 'mail_plugins') == ['fts', 'fts_flatcurve', 'mailroom_cjk']
    assert parsed['fts flatcurve'] == {'substring_search': 'no'}
    assert parsed['language_tokenizers'] == 'cjk-prefix email-address'


@pytest.mark.parametrize('dialect', ['2.3', '2.4'])
def test_render_off_loads_no_plugin(dialect):
    parsed = _dovecot.parse_config(_full_text_search.render(dict(enabled=False, cjk=True), dialect))
    assert 'mail_plugins' not in parsed


def test_the_other_releases_tokenizer_is_not_cjk():
    text = 'mail_plugins = fts fts_lucene mailroom_cjk\nplugin {\n  fts_tokenizers = cjk-prefix\n}\n'
    assert _full_text_search.read(state(text, '2.3'))['cjk'] is False


def test_desired_merges_given_options_only():
    current = dict(enabled=True, cjk=True)
    assert _full_text_search.desired(current, dict(enabled=None, cjk=False), state()) == \
        dict(enabled=True, cjk=False)


@pytest.mark.parametrize('dialect', ['2.3', '2.4'])
def test_missing_plugins_are_refused_by_name(dialect):
    with pytest.raises(SettingsError, match='mailroom_cjk.*apply the mailroom.server.search role'):
        _full_text_search.desired(dict(enabled=False, cjk=False), dict(enabled=True, cjk=True),
                                  state(dialect=dialect, modules=['lib20_fts_plugin.so',
                                                                  'lib21_fts_lucene_plugin.so',
                                                                  'lib21_fts_flatcurve_plugin.so']))


def test_without_cjk_the_tokenizer_plugin_is_not_needed():
    wanted = _full_text_search.desired(dict(enabled=False, cjk=False), dict(enabled=True),
                                       state(modules=MODULES_23[:2]))
    assert wanted == dict(enabled=True, cjk=False)


def test_search_off_needs_no_plugin():
    assert _full_text_search.missing_plugins(dict(enabled=False, cjk=True), '2.4', []) == []


@pytest.mark.parametrize('current, wanted, rebuild', [
    (dict(enabled=True, cjk=True), dict(enabled=True, cjk=False), True),
    (dict(enabled=True, cjk=False), dict(enabled=True, cjk=True), True),
    (dict(enabled=False, cjk=True), dict(enabled=True, cjk=True), True),
    (dict(enabled=True, cjk=True), dict(enabled=False, cjk=True), False),
    (dict(enabled=False, cjk=True), dict(enabled=False, cjk=False), False),
    (dict(enabled=True, cjk=True), dict(enabled=True, cjk=True), False),
])
def test_needs_rebuild(current, wanted, rebuild):
    assert _full_text_search.needs_rebuild(current, wanted) is rebuild


def test_coverage_says_what_is_lost():
    assert 'reads every message' in _full_text_search.coverage(dict(enabled=False, cjk=True), '2.3')
    assert 'not found' in _full_text_search.coverage(dict(enabled=True, cjk=False), '2.4')
    on = _full_text_search.coverage(dict(enabled=True, cjk=True), '2.4')
    assert 'up to 6 characters' in on and 'from their start' in on
    assert 'whole words' in _full_text_search.coverage(dict(enabled=True, cjk=True), '2.3')


class FakeModule(object):
    def __init__(self, check_mode=False, failing=()):
        self.check_mode = check_mode
        self.failing = failing
        self.commands = []
        self.warnings = []

    def get_bin_path(self, name, required=False):
        return '/usr/bin/' + name

    def run_command(self, args):
        self.commands.append(args[1:])
        if args[1:3] == ['user', '*']:
            return 0, 'alice\nbob\n', ''
        if 'bob' in args and 'remove' in args and 'bob' in self.failing:
            return 75, '', 'Error: mailbox locked'
        if args[1:3] == ['mailbox', 'path']:
            return 0, self.index_dir + '\n', ''
        return 0, '', ''

    def warn(self, text):
        self.warnings.append(text)


def follow(module, current, wanted, dialect='2.4', activation=None):
    outcome = {'activation': activation if activation is not None else {'dovecot': 'reload'}, 'options': {}}
    done = _full_text_search.follow_up(module, current, wanted, state(dialect=dialect), outcome)
    module.warnings.extend(done.warnings)
    return done.result


def test_follow_up_without_change_rebuilds_nothing():
    module = FakeModule()
    extra = follow(module, dict(enabled=True, cjk=True), dict(enabled=True, cjk=True))
    assert extra['index_rebuild'] == 'not needed' and module.commands == []
    assert extra['backend'] == 'flatcurve'


def test_follow_up_in_check_mode_only_says_so():
    module = FakeModule(check_mode=True)
    extra = follow(module, dict(enabled=True, cjk=True), dict(enabled=True, cjk=False))
    assert extra['index_rebuild'] == 'would be queued' and module.commands == []


def test_follow_up_waits_for_the_reload_when_not_activated():
    module = FakeModule()
    extra = follow(module, dict(enabled=True, cjk=True), dict(enabled=True, cjk=False),
                   activation={'dovecot': 'none'})
    assert extra['index_rebuild'] == 'required after the reload' and module.commands == []


def test_rebuild_24_empties_and_queues_each_user_and_reports_failures():
    module = FakeModule(failing=('bob',))
    extra = follow(module, dict(enabled=True, cjk=True), dict(enabled=True, cjk=False))
    assert extra['index_rebuild'] == 'queued' and extra['index_rebuild_users'] == 1
    assert list(extra['index_rebuild_failed']) == ['bob']
    assert ['fts', 'flatcurve', 'remove', '-u', 'alice', '*'] in module.commands
    assert ['index', '-u', 'alice', '-q', '*'] in module.commands
    assert ['index', '-u', 'bob', '-q', '*'] not in module.commands
    assert module.warnings and 'bob' in module.warnings[0]


def test_rebuild_23_removes_only_the_lucene_directory(tmp_path):
    index_dir = tmp_path / 'Maildir'
    (index_dir / 'lucene-indexes').mkdir(parents=True)
    (index_dir / 'lucene-indexes' / 'segments').write_text('x')
    (index_dir / 'cur').mkdir()
    (index_dir / 'cur' / 'mail').write_text('mail')
    module = FakeModule()
    module.index_dir = str(index_dir)
    outcome = _search_index.SearchIndexes(module).rebuild('2.3')
    assert outcome == {'mode': 'rebuilt', 'users': 2, 'failed': {}}
    assert not os.path.exists(str(index_dir / 'lucene-indexes'))
    assert (index_dir / 'cur' / 'mail').read_text() == 'mail'
    assert ['fts', 'rescan', '-u', 'alice'] in module.commands
    # rebuilt here, not queued: see _search_index
    assert ['index', '-u', 'alice', '*'] in module.commands
