# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared links area: sizes, domains and the base URL checked, the milter's file read and
written whole, and a change through the runner with no daemon to activate."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import stat

import pytest

from ansible_collections.mailroom.server.plugins.module_utils._areas import registry, shared_links
from ansible_collections.mailroom.server.plugins.module_utils._engine import runner
from ansible_collections.mailroom.server.plugins.module_utils._engine.area import State
from ansible_collections.mailroom.server.plugins.module_utils._engine.errors import SettingsError
from ansible_collections.mailroom.server.plugins.module_utils._engine.journal import Journal
from ansible_collections.mailroom.server.tests.unit.plugins.module_utils.fake_module import Exit, FakeModule

MIB = 1024 * 1024
SETTINGS = {'enabled': True, 'domain_limits': {'example.com': 10 * MIB, 'example.org': 25 * MIB},
            'link_lifetime_days': 30, 'base_url': 'https://mail.example.test'}
# The contract with the role's milter, byte for byte.
FILE = ('{\n "base_url": "https://mail.example.test",\n "domain_limits": {\n  "example.com": 10485760,\n'
        '  "example.org": 26214400\n },\n "enabled": true,\n "link_lifetime_days": 30\n}\n')
UNKNOWN = dict((name, None) for name in shared_links.OPTIONS)


def facts(text=None, installed=True, fqdn='mx1.example.test'):
    return State(facts={'shared_links_installed': installed, 'shared_links_config': text,
                        'shared_links_fqdn': fqdn})


# --- sizes ------------------------------------------------------------------------------------------

@pytest.mark.parametrize('given, expected', [
    ('10MB', 10 * MIB), ('10M', 10 * MIB), ('25 MiB', 25 * MIB), ('500KB', 500 * 1024), ('500 K', 500 * 1024),
    ('1KiB', 1024), ('0.5MB', MIB // 2), ('2G', 2 * 1024 * MIB), ('2 GiB', 2 * 1024 * MIB),
    ('10485760', 10 * MIB), ('1024B', 1024), ('1024 B', 1024), (1024, 1024), (2147483648, 2147483648),
])
def test_sizes_follow_ansibles_human_to_bytes(given, expected):
    assert shared_links.size_bytes(given, 'example.com') == expected


@pytest.mark.parametrize('given, message', [
    (0, 'at least 1 KiB'), ('0', 'at least 1 KiB'), (-5, 'at least 1 KiB'), ('1023', 'at least 1 KiB'),
    ('1KB', None), ('0.5K', 'at least 1 KiB'), ('-5MB', 'a size such as'), ('2049M', 'at most 2 GiB'),
    (2147483649, 'at most 2 GiB'), (10 ** 400, 'at most 2 GiB'), ('9' * 400, 'a size such as'),
    ('999999999999G', 'at most 2 GiB'), ('3T', 'at most 2 GiB'),
    ('10Mb', 'a size such as'), ('10 mb', 'a size such as'), ('10 XB', 'a size such as'), ('1e9', 'a size such as'),
    ('1500.5', 'whole number of bytes'), ('', 'a size such as'), (' 10MB', 'a size such as'),
    ('10MB\n', 'line break'), ('10MB\nX-Injected: 1', 'line break'), (u'10MB\u2028', 'line break'),
    (True, 'a size such as'), (False, 'a size such as'), (10.0, 'a size such as'), (None, 'a size such as'),
    ([10], 'a size such as'), ({'size': 10}, 'a size such as'),
])
def test_bad_sizes_are_refused_with_the_domain_named(given, message):
    if message is None:
        assert shared_links.size_bytes(given, 'example.com') == 1024
        return
    with pytest.raises(SettingsError, match=message) as refused:
        shared_links.size_bytes(given, 'example.com')
    assert 'domain_limits[example.com]' in str(refused.value)
    # A hostile value is never echoed whole.
    assert len(str(refused.value)) < 300


# --- domains ----------------------------------------------------------------------------------------

def test_domains_are_normalised():
    limits = shared_links.domain_limits({'Example.COM.': 2048, u'b\u00fccher.example': '1MB', 'mail.example.org': '1K'})
    assert limits == {'example.com': 2048, 'xn--bcher-kva.example': MIB, 'mail.example.org': 1024}
    assert shared_links.domain_limits({}) == {}


@pytest.mark.parametrize('given', [
    {'example.com': '1MB', 'EXAMPLE.com': '2MB'},
    {'example.com': '1MB', 'example.com.': '2MB'},
    {'xn--bcher-kva.example': '1MB', u'B\u00fccher.example': '2MB'},
])
def test_a_domain_given_twice_is_refused(given):
    with pytest.raises(SettingsError, match='twice'):
        shared_links.domain_limits(given)


@pytest.mark.parametrize('key', [
    'example.com\nX', 'example.com\r', '\texample.com', 'exa mple.com', 'localhost', '1.2.3.4', '[192.0.2.1]',
    '-a.example.com', 'a..example.com', '*.example.com', 'user@example.com', 'example.com/x', '', '.',
    'a' * 64 + '.example.com', ('a' * 60 + '.') * 5 + 'com', 'exa_mple.com', u'example.com\u2028', 1, True, None,
])
def test_bad_domains_are_refused(key):
    with pytest.raises(SettingsError, match='domain_limits'):
        shared_links.domain_limits({key: '10MB'})


@pytest.mark.parametrize('value', ['example.com=10MB', ['example.com'], 10])
def test_domain_limits_must_be_a_dictionary(value):
    with pytest.raises(SettingsError, match='dictionary'):
        shared_links.domain_limits(value)


# --- link lifetime ------------------------------------------------------------------------------------

@pytest.mark.parametrize('days', [0, 1, 30, 3650])
def test_lifetimes(days):
    assert shared_links.lifetime_days(days) == days


@pytest.mark.parametrize('days', [-1, 3651, 10 ** 30, True, '30', 1.5, None])
def test_bad_lifetimes(days):
    with pytest.raises(SettingsError, match='link_lifetime_days'):
        shared_links.lifetime_days(days)


# --- base URL -----------------------------------------------------------------------------------------

@pytest.mark.parametrize('given, expected', [
    ('https://mail.example.test', 'https://mail.example.test'),
    ('https://Mail.Example.TEST/', 'https://mail.example.test'),
    ('HTTPS://mail.example.test:8443/Files/', 'https://mail.example.test:8443/Files'),
    ('https://mail.example.test/a/b%20c/d~e_f.g-h', 'https://mail.example.test/a/b%20c/d~e_f.g-h'),
    ('https://192.0.2.10', 'https://192.0.2.10'),
    ('https://[2001:DB8::1]:443/x', 'https://[2001:db8::1]:443/x'),
    ('https://xn--bcher-kva.example', 'https://xn--bcher-kva.example'),
    ('https://localhost', 'https://localhost'),
])
def test_base_urls_are_normalised(given, expected):
    assert shared_links.base_url(given) == expected
    # Normalised once, the same again: what read gives back is what desired keeps.
    assert shared_links.base_url(expected) == expected


@pytest.mark.parametrize('given, message', [
    ('http://mail.example.test', 'https://'),
    ('javascript:alert(1)', 'https://'),
    ('javascript://mail.example.test/%0aalert(1)', 'https://'),
    ('data:text/html,<script>', 'https://'),
    ('//mail.example.test', 'https://'),
    ('mail.example.test', 'https://'),
    ('ftp://mail.example.test', 'https://'),
    ('https://user:secret@mail.example.test', 'user name'),
    ('https://mail.example.test@evil.example', 'user name'),
    ('https://mail.example.test/?token=1', 'query'),
    ('https://mail.example.test/#x', 'fragment'),
    ('https://mail.example.test\\@evil.example', 'user name|backslash'),
    ('https://mail.example.test/a\nb', 'line break'),
    ('https://mail.example.test\r\nX-Injected: 1', 'line break'),
    ('https://mail.example.test/\x00', 'control'),
    (u'https://mail.example.test/\u2028', 'line break'),
    ('https://mail.example.test /x', 'spaces'),
    (u'https://mail.example.test/\u00a0', 'spaces'),
    ('https://', 'host'),
    ('https://:443', 'host'),
    ('https://mail_example.test', 'host'),
    (u'https://b\u00fccher.example', 'punycode'),
    ('https://mail.example.test.', 'host'),
    ('https://2001:db8::1/x', 'host|port'),
    ('https://[192.0.2.1]', 'host'),
    ('https://[2001:db8::1', 'host'),
    ('https://[2001:db8::1]x', 'host'),
    ('https://mail.example.test:0', 'port'),
    ('https://mail.example.test:65536', 'port'),
    ('https://mail.example.test:08443', 'port'),
    ('https://mail.example.test:', 'port'),
    ('https://mail.example.test:https', 'port'),
    ('https://mail.example.test/../etc', 'segment'),
    ('https://mail.example.test/./x', 'segment'),
    ('https://mail.example.test//x', 'segment'),
    ('https://mail.example.test/a"b', 'segment'),
    ('https://mail.example.test/<script>', 'segment'),
    ('https://mail.example.test/%zz', 'segment'),
    ('https://mail.example.test/a;b', 'segment'),
    (42, 'string'),
    (None, 'string'),
])
def test_bad_base_urls_are_refused(given, message):
    with pytest.raises(SettingsError, match='base_url') as refused:
        shared_links.base_url(given)
    assert any(part in str(refused.value) for part in message.split('|')), str(refused.value)


# --- the file -----------------------------------------------------------------------------------------

def test_render_is_the_milters_format():
    assert shared_links.render(SETTINGS) == FILE
    assert shared_links.parse(FILE) == SETTINGS


@pytest.mark.parametrize('text', [
    None, '', 'not json', '[]', '"text"', '{}',
    json.dumps(dict(SETTINGS, extra=1)),
    json.dumps(dict((k, v) for k, v in SETTINGS.items() if k != 'base_url')),
])
def test_a_file_that_is_not_ours_reads_as_unknown(text):
    assert shared_links.parse(text) == UNKNOWN


@pytest.mark.parametrize('name, stored', [
    ('enabled', 'yes'), ('enabled', 1),
    ('domain_limits', {'example.com': '10MB'}), ('domain_limits', {'EXAMPLE.com': 10 * MIB}),
    ('domain_limits', {'example.com': 0}), ('domain_limits', []),
    ('link_lifetime_days', 9999), ('link_lifetime_days', '30'), ('link_lifetime_days', True),
    ('base_url', 'http://mail.example.test'), ('base_url', 'https://mail.example.test/'),
    ('base_url', 'https://mail.example.test\nx'), ('base_url', None),
])
def test_a_bad_value_alone_reads_as_unknown(name, stored):
    read = shared_links.parse(json.dumps(dict(SETTINGS, **{name: stored})))
    assert read == dict(SETTINGS, **{name: None})


def test_read_and_read_staged():
    assert shared_links.read(facts(FILE)) == SETTINGS
    assert shared_links.read(facts(None)) == UNKNOWN
    # Nothing is staged: the written file must read back as wanted.
    assert shared_links.read_staged(facts(None), SETTINGS) == SETTINGS


def test_plan_writes_one_file_for_no_daemon():
    plan = shared_links.plan(SETTINGS, facts())
    (managed,) = plan.files
    assert (managed.path, managed.text, managed.daemon, managed.mode) == (shared_links.CONFIG, FILE, None, 0o644)
    assert plan.edits == {} and plan.actions == {}


# --- desired ------------------------------------------------------------------------------------------

def options(**given):
    return dict(dict((name, None) for name in shared_links.OPTIONS), **given)


def test_options_left_out_keep_the_current_values():
    assert shared_links.desired(SETTINGS, options(), facts(FILE)) == SETTINGS
    changed = shared_links.desired(SETTINGS, options(enabled=False, link_lifetime_days=0), facts(FILE))
    assert changed == dict(SETTINGS, enabled=False, link_lifetime_days=0)


def test_given_limits_replace_all_limits():
    wanted = shared_links.desired(SETTINGS, options(domain_limits={'Example.NET': '5 MiB'}), facts(FILE))
    assert wanted['domain_limits'] == {'example.net': 5 * MIB}
    assert shared_links.desired(SETTINGS, options(domain_limits={}), facts(FILE))['domain_limits'] == {}


def test_unknown_values_take_the_roles_defaults():
    assert shared_links.desired(UNKNOWN, options(), facts(None)) == {
        'enabled': False, 'domain_limits': {}, 'link_lifetime_days': 30, 'base_url': 'https://mx1.example.test'}
    wanted = shared_links.desired(dict(SETTINGS, base_url=None), options(enabled=False), facts('x'))
    assert wanted == dict(SETTINGS, enabled=False, base_url='https://mx1.example.test')


def test_a_host_name_that_makes_no_url_asks_for_base_url():
    with pytest.raises(SettingsError, match='give base_url'):
        shared_links.desired(UNKNOWN, options(enabled=True), facts(None, fqdn='mx1_bad'))
    assert shared_links.desired(UNKNOWN, options(base_url='https://mx1.example.test'),
                                facts(None, fqdn='mx1_bad'))['base_url'] == 'https://mx1.example.test'


def test_bad_input_names_the_option():
    for given, message in ((dict(domain_limits={'example.com': '0'}), 'domain_limits'),
                           (dict(base_url='https://x.example\n'), 'base_url'),
                           (dict(link_lifetime_days=-1), 'link_lifetime_days')):
        with pytest.raises(SettingsError, match=message):
            shared_links.desired(SETTINGS, options(**given), facts(FILE))


def test_as_options_given_back_change_nothing():
    shown = registry.SHARED_LINKS.as_options(SETTINGS)
    assert shared_links.desired(SETTINGS, options(**shown), facts(FILE)) == SETTINGS


def test_unavailable_without_the_milter():
    assert shared_links.unavailable(facts(FILE)) is None
    assert 'apply the mailroom.server.shared_links role first' in shared_links.unavailable(facts(FILE, installed=False))


def test_facts_read_the_file_and_look_up_the_name_only_when_needed(tmp_path, monkeypatch):
    program, config = tmp_path / 'mailroom-shared-links', tmp_path / 'shared-links.json'
    monkeypatch.setattr(shared_links, 'PROGRAM', str(program))
    monkeypatch.setattr(shared_links, 'CONFIG', str(config))
    lookups = []
    monkeypatch.setattr(shared_links.socket, 'getfqdn', lambda: lookups.append(1) or 'mx1.example.test')
    assert shared_links.facts() == {'shared_links_installed': False, 'shared_links_config': None,
                                    'shared_links_fqdn': None}
    program.write_text('#!/bin/sh\n')
    assert shared_links.facts()['shared_links_fqdn'] == 'mx1.example.test'
    config.write_text(FILE)
    assert shared_links.facts() == {'shared_links_installed': True, 'shared_links_config': FILE,
                                    'shared_links_fqdn': None}
    assert lookups == [1]
    # Not UTF-8 (or unreadable): unknown values.
    config.write_bytes(b'\xff\xfe')
    assert shared_links.facts()['shared_links_config'] == ''


# --- through the runner -------------------------------------------------------------------------------

@pytest.fixture
def milter_host(tmp_path, monkeypatch):
    """A host with no daemon at all, the milter installed and its file below tmp_path."""
    program, config = tmp_path / 'mailroom-shared-links', tmp_path / 'etc' / 'shared-links.json'
    program.write_text('#!/bin/sh\n')
    monkeypatch.setattr(shared_links, 'PROGRAM', str(program))
    monkeypatch.setattr(shared_links, 'CONFIG', str(config))
    monkeypatch.setattr(shared_links.socket, 'getfqdn', lambda: 'mx1.example.test')
    journal = Journal(str(tmp_path / 'state'))
    monkeypatch.setattr(runner, 'Journal', lambda: journal)
    monkeypatch.setattr(runner, 'open_daemons', lambda module, journal, needed: {})
    monkeypatch.setattr(runner.host_facts, 'gather', lambda module: {'listening_ports': set()})
    monkeypatch.setattr(runner, 'read_state', lambda daemons, facts: State(facts=facts))
    return program, config


def run(module=None, page=False, **given):
    module = module or FakeModule()
    area = registry.SHARED_LINKS
    with pytest.raises(Exit) as done:
        if page:
            runner.run(module, runner.page_requests({'shared_links': options(**given)}, registry.CLIENT_PAGE),
                       (area,), layout=registry.CLIENT_PAGE)
        else:
            runner.run(module, [(area, options(**given))], (area,))
    return done.value


def test_a_change_writes_the_whole_file_and_activates_nothing(milter_host):
    _program, config = milter_host
    done = run(enabled=True, domain_limits={'example.com': '10MB', 'Example.org': '25 MiB'},
               base_url='https://mail.example.test/')
    assert not done.failed and done.result['changed'] is True
    assert config.read_text() == FILE
    assert stat.S_IMODE(os.stat(str(config)).st_mode) == 0o644
    assert done.result['settings'] == SETTINGS
    assert done.result['diff'] == {'before': UNKNOWN, 'after': SETTINGS}
    assert done.result['activation'] == {}
    assert done.result['reload_required'] is False and done.result['restart_required'] is False
    # Again: nothing to do, the file untouched.
    before = os.stat(str(config))
    again = run(enabled=True, domain_limits={'EXAMPLE.com': 10 * MIB, 'example.org': '26214400'})
    assert not again.failed and again.result['changed'] is False
    assert os.stat(str(config)).st_ino == before.st_ino


def test_check_mode_reports_and_touches_nothing(milter_host):
    _program, config = milter_host
    config.parent.mkdir()
    config.write_text(FILE)
    done = run(FakeModule(check_mode=True), link_lifetime_days=0)
    assert not done.failed and done.result['changed'] is True
    assert done.result['diff']['after'] == dict(SETTINGS, link_lifetime_days=0)
    assert config.read_text() == FILE


@pytest.mark.parametrize('given', [
    dict(base_url='https://mail.example.test\nX: 1'), dict(base_url='javascript:alert(1)'),
    dict(domain_limits={'example.com\n': '10MB'}), dict(domain_limits={'example.com': True}),
    dict(enabled=True, domain_limits={'example.com': '3G'}), dict(link_lifetime_days=True),
])
def test_bad_input_leaves_the_file_byte_identical(milter_host, given):
    _program, config = milter_host
    config.parent.mkdir()
    config.write_bytes(FILE.encode('utf-8'))
    done = run(**given)
    assert done.failed and done.result['changed'] is False
    assert config.read_bytes() == FILE.encode('utf-8')


def test_without_the_milter_the_module_refuses_and_changes_nothing(milter_host):
    program, config = milter_host
    program.unlink()
    for module in (FakeModule(check_mode=True), FakeModule()):
        done = run(module, enabled=True)
        assert done.failed and done.result['changed'] is False
        assert 'apply the mailroom.server.shared_links role first' in done.result['msg']
    assert not config.exists()


def test_a_file_that_is_not_ours_is_written_whole_by_any_change(milter_host):
    _program, config = milter_host
    config.parent.mkdir()
    config.write_text('{"enabled": true, "note": "hand edit"}\n')
    done = run(enabled=True)
    assert not done.failed and done.result['changed'] is True
    assert json.loads(config.read_text()) == {'enabled': True, 'domain_limits': {}, 'link_lifetime_days': 30,
                                              'base_url': 'https://mx1.example.test'}


def test_the_client_page_carries_the_section(milter_host):
    _program, config = milter_host
    done = run(page=True, enabled=True, domain_limits={'example.com': '10MB'})
    assert not done.failed and done.result['changed'] is True
    assert done.result['settings'] == {'shared_links': {
        'enabled': True, 'domain_limits': {'example.com': 10 * MIB}, 'link_lifetime_days': 30,
        'base_url': 'https://mx1.example.test'}}
    assert json.loads(config.read_text())['domain_limits'] == {'example.com': 10 * MIB}


def test_client_info_shows_the_section_only_with_the_milter(milter_host, monkeypatch):
    program, config = milter_host
    config.parent.mkdir()
    config.write_text(FILE)
    monkeypatch.setattr(runner, 'open_daemons', lambda module, journal, needed: {})
    (client, interrupted) = runner.read_areas(FakeModule(), (registry.SHARED_LINKS,), registry.CLIENT_PAGE)
    assert client == {'shared_links': SETTINGS} and interrupted is None
    # Given back to the client module, it changes nothing.
    done = run(page=True, **client['shared_links'])
    assert not done.failed and done.result['changed'] is False
    program.unlink()
    (client, _interrupted) = runner.read_areas(FakeModule(), (registry.SHARED_LINKS,), registry.CLIENT_PAGE)
    assert client == {}
