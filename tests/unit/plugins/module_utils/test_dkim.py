# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""DKIM signing: selectors checked and merged, keys made and described, rspamd's dkim_signing.conf
rendered and read back, and changes, checks, rotation and rollback through the runner with an
rspamd adapter on a config directory and a key directory below tmp_path."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import os
import stat

import pytest
from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailroom.server.plugins.module_utils import _dkim as model
from ansible_collections.mailroom.server.plugins.module_utils import _dns_records as dns
from ansible_collections.mailroom.server.plugins.module_utils._areas import registry
from ansible_collections.mailroom.server.plugins.module_utils._engine import activation, runner
from ansible_collections.mailroom.server.plugins.module_utils._engine.area import RSPAMD
from ansible_collections.mailroom.server.plugins.module_utils._engine.errors import SettingsError
from ansible_collections.mailroom.server.plugins.module_utils._engine.journal import Journal
from ansible_collections.mailroom.server.plugins.module_utils._rspamd import host as rspamd
from ansible_collections.mailroom.server.plugins.modules import dkim as dkim_module
from ansible_collections.mailroom.server.tests.unit.plugins.module_utils.fake_module import Exit, FakeModule, run_main

KEYS = '/keys'
# The contract with rspamd's dkim_signing module, byte for byte.
FILE = (
    '# Managed by mailroom.server (module mailroom.server.dkim); replaced on its next change.\n'
    '# DKIM signing of mail from authenticated users and from this host (loopback and the\n'
    '# trusted networks), with the selectors that sign; the others stay published only.\n'
    '\n'
    'enabled = true;\n'
    'sign_authenticated = true;\n'
    'sign_local = true;\n'
    'try_fallback = false;\n'
    'use_domain = "header";\n'
    'use_esld = false;\n'
    'use_redis = false;\n'
    'allow_username_mismatch = true;\n'
    'allow_hdrfrom_mismatch = false;\n'
    'domain {\n'
    '  "example.com" {\n'
    '    selectors = [\n'
    '      { selector = "e2026"; path = "/keys/example.com/e2026.key"; },\n'
    '      { selector = "s2026"; path = "/keys/example.com/s2026.key"; },\n'
    '    ];\n'
    '  }\n'
    '  "example.org" {\n'
    '    selectors = [\n'
    '      { selector = "mail.2026"; path = "/keys/example.org/mail.2026.key"; },\n'
    '    ];\n'
    '  }\n'
    '}\n')
SIGNING = [('example.com', 'e2026'), ('example.com', 's2026'), ('example.org', 'mail.2026')]
RSA_KEY = dict(key_type='rsa', key_size=2048, value='v=DKIM1; k=rsa; p=X')
ED_KEY = dict(key_type='ed25519', key_size=None, value='v=DKIM1; k=ed25519; p=Y')


def entry(domain, selector, key_type='rsa', key_size=2048, signing=True):
    return dict(domain=domain, selector=selector, key_type=key_type, key_size=None if key_type == 'ed25519' else key_size,
                signing=signing)


CURRENT = {'selectors': [entry('example.com', 'e2026', 'ed25519'), entry('example.com', 's2026'),
                         entry('example.org', 'mail.2026')]}


# --- dkim_signing.conf ----------------------------------------------------------------------------------

def test_render_is_the_configuration_rspamd_reads():
    assert model.render(SIGNING, KEYS) == FILE


def test_what_is_rendered_reads_back():
    assert model.parse(FILE, KEYS) == SIGNING
    assert model.parse(model.render([], KEYS), KEYS) == []


@pytest.mark.parametrize('text', [
    None, '', FILE.replace('try_fallback = false', 'try_fallback = true'), FILE + 'sign_inbound = true;\n',
    FILE.replace('/keys/example.org/mail.2026.key', '/tmp/other.key'), FILE.replace('# Managed', '# managed'),
])
def test_a_file_that_is_not_exactly_ours_reads_as_unknown(text):
    assert model.parse(text, KEYS) is None


# --- keys ------------------------------------------------------------------------------------------------

@pytest.fixture(scope='module')
def rsa_pem():
    return model.new_key('rsa', 2048)


@pytest.fixture(scope='module')
def ed_text():
    return model.new_key('ed25519', None)


def test_a_new_rsa_key_is_pem_and_its_record_is_the_dns_records_modules(rsa_pem):
    assert rsa_pem.startswith('-----BEGIN PRIVATE KEY-----')
    described = model.describe_key(rsa_pem.encode('ascii'))
    assert described == dict(key_type='rsa', key_size=2048,
                             value=dns.dkim_value('key', rsa_pem.encode('ascii'), private=True))
    assert described['value'].startswith('v=DKIM1; k=rsa; p=MIIBIjAN')


def test_a_new_ed25519_key_is_rspamds_base64_of_seed_and_public_key(ed_text):
    raw = base64.b64decode(ed_text.strip())
    assert len(raw) == 64 and ed_text.endswith('\n') and '\n' not in ed_text.strip()
    described = model.describe_key(ed_text.encode('ascii'))
    assert described['key_type'] == 'ed25519' and described['key_size'] is None
    assert described['value'] == 'v=DKIM1; k=ed25519; p=' + base64.b64encode(raw[32:]).decode('ascii')


def test_rsa_sizes_are_made_as_asked():
    assert model.describe_key(model.new_key('rsa', 3072).encode('ascii'))['key_size'] == 3072


@pytest.mark.parametrize('data', [
    b'', b'not a key', b'-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n',
    base64.b64encode(b'\x01' * 64), base64.b64encode(b'\x01' * 32), b'A' * (model.MAX_KEY_FILE + 1),
])
def test_what_is_not_a_key_of_ours_is_described_as_unknown(data):
    assert model.describe_key(data) == dict(key_type=None, key_size=None, value=None)


def test_without_cryptography_keys_are_unknown(rsa_pem, monkeypatch):
    monkeypatch.setattr(dns, 'HAS_CRYPTOGRAPHY', False)
    assert model.describe_key(rsa_pem.encode('ascii')) == dict(key_type=None, key_size=None, value=None)


def test_an_ed25519_key_whose_public_half_does_not_match_is_unknown(ed_text):
    raw = base64.b64decode(ed_text.strip())
    other = base64.b64decode(model.new_key('ed25519', None).strip())
    assert model.describe_key(base64.b64encode(raw[:32] + other[32:]))['key_type'] is None


def test_key_files_are_named_by_domain_and_selector():
    assert model.key_path('example.com', 's1', KEYS) == '/keys/example.com/s1.key'
    assert model.key_name('/keys/example.com/mail.s1.key', KEYS) == ('example.com', 'mail.s1')
    for other in ('/keys/example.com/s1.pem', '/keys/s1.key', '/keys/a/b/s1.key', '/keys/localhost/s1.key',
                  '/keys/example.com/bad_selector.key', '/elsewhere/example.com/s1.key'):
        assert model.key_name(other, KEYS) is None


# --- the settings ----------------------------------------------------------------------------------------

def test_settings_come_from_the_key_files_and_the_signing_file():
    keys = {('example.com', 's2026'): RSA_KEY, ('example.com', 'e2026'): ED_KEY, ('example.org', 'mail.2026'): RSA_KEY,
            ('example.org', 'old'): RSA_KEY}
    settings = model.settings(keys, SIGNING)
    assert settings == {'selectors': CURRENT['selectors'][:2] + [entry('example.org', 'mail.2026'),
                                                                 entry('example.org', 'old', signing=False)]}
    # A file not ours: whether each signs is unknown. A signing pair without a key file: its key is.
    assert [each['signing'] for each in model.settings(keys, None)['selectors']] == [None] * 4
    assert model.settings({}, [('example.com', 's1')]) == {'selectors': [
        dict(domain='example.com', selector='s1', key_type=None, key_size=None, signing=True)]}


def test_a_new_selector_is_rsa_2048_and_signs():
    wanted = model.desired({'selectors': []}, {'selectors': [{'domain': 'Example.COM.', 'selector': 'S1'}]})
    assert wanted == {'selectors': [entry('example.com', 's1')]}


def test_selectors_not_given_stay_and_given_ones_change():
    wanted = model.desired(CURRENT, {'selectors': [
        {'domain': 'example.org', 'selector': 'mail.2026', 'signing': False},
        {'domain': 'example.org', 'selector': 'mail.2027', 'key_type': 'rsa', 'key_size': 4096}]})
    assert wanted == {'selectors': CURRENT['selectors'][:2] + [entry('example.org', 'mail.2026', signing=False),
                                                               entry('example.org', 'mail.2027', key_size=4096)]}
    assert model.desired(CURRENT, {'selectors': None}) == CURRENT
    assert model.desired(CURRENT, {'selectors': []}) == CURRENT


def test_an_existing_selector_given_again_keeps_its_key_and_signing():
    assert model.desired(CURRENT, {'selectors': [{'domain': 'example.com', 'selector': 'e2026'},
                                                 {'domain': 'example.com', 'selector': 's2026', 'key_type': 'rsa',
                                                  'key_size': 2048}]}) == CURRENT


def test_absent_removes_a_selector_and_absent_of_an_unknown_one_is_nothing():
    wanted = model.desired(CURRENT, {'selectors': [{'domain': 'example.org', 'selector': 'mail.2026', 'state': 'absent'},
                                                   {'domain': 'example.net', 'selector': 'x', 'state': 'absent'}]})
    assert wanted == {'selectors': CURRENT['selectors'][:2]}


def test_rotation_moves_signing_in_one_change():
    current = {'selectors': [entry('example.com', 'old'), entry('example.com', 'new', signing=False)]}
    wanted = model.desired(current, {'selectors': [{'domain': 'example.com', 'selector': 'new', 'signing': True},
                                                   {'domain': 'example.com', 'selector': 'old', 'signing': False}]})
    assert model.signing_pairs(wanted) == [('example.com', 'new')]
    with pytest.raises(SettingsError, match='would sign with the RSA keys of new, old at once'):
        model.desired(current, {'selectors': [{'domain': 'example.com', 'selector': 'new', 'signing': True}]})


def test_ed25519_signs_only_beside_rsa():
    only_ed = {'selectors': [{'domain': 'example.net', 'selector': 'e1', 'key_type': 'ed25519'}]}
    with pytest.raises(SettingsError, match='example.net would sign with an Ed25519 key only'):
        model.desired({'selectors': []}, only_ed)
    wanted = model.desired({'selectors': []}, {'selectors': [{'domain': 'example.net', 'selector': 'e1', 'key_type': 'ed25519',
                                                             'signing': False}]})
    assert wanted == {'selectors': [entry('example.net', 'e1', 'ed25519', signing=False)]}
    with pytest.raises(SettingsError, match='Ed25519 keys of e2026, e2027 at once'):
        model.desired(CURRENT, {'selectors': [{'domain': 'example.com', 'selector': 'e2027', 'key_type': 'ed25519'}]})


@pytest.mark.parametrize('given, message', [
    ({'domain': 'example.com', 'selector': 's2026', 'key_size': 4096}, 'has an RSA 2048-bit key; a key of another type'),
    ({'domain': 'example.com', 'selector': 's2026', 'key_type': 'ed25519'}, 'has an RSA 2048-bit key'),
    ({'domain': 'example.com', 'selector': 'e2026', 'key_type': 'rsa'}, 'has an Ed25519 key'),
])
def test_a_key_is_never_changed_in_place(given, message):
    with pytest.raises(SettingsError, match=message):
        model.desired(CURRENT, {'selectors': [given]})


def test_over_a_file_not_ours_only_what_is_given_signs_and_a_lost_key_is_made_again():
    current = {'selectors': [dict(entry('example.com', 'a'), signing=None), dict(entry('example.com', 'b'), signing=None)]}
    wanted = model.desired(current, {'selectors': [{'domain': 'example.com', 'selector': 'b', 'signing': True}]})
    assert wanted == {'selectors': [entry('example.com', 'a', signing=False), entry('example.com', 'b')]}
    lost = {'selectors': [dict(domain='example.com', selector='a', key_type=None, key_size=None, signing=True)]}
    assert model.desired(lost, {'selectors': None}) == {'selectors': [entry('example.com', 'a')]}


@pytest.mark.parametrize('given, message', [
    ({'domain': 'example.com"; }\ndomain {', 'selector': 's1'}, 'selectors\\[0\\].domain is not a host name'),
    ({'domain': 'com', 'selector': 's1'}, 'at least two labels'),
    ({'domain': 'example.com', 'selector': 's1"; path = "/etc/shadow'}, 'selectors\\[0\\].selector is not a host name'),
    ({'domain': 'example.com', 'selector': 'bad_selector'}, 'selectors\\[0\\].selector'),
    ({'domain': 'example.com', 'selector': 's1', 'key_type': 'dsa'}, 'key_type must be rsa or ed25519'),
    ({'domain': 'example.com', 'selector': 's1', 'key_size': 1024}, 'key_size must be one of 2048, 3072, 4096'),
    ({'domain': 'example.com', 'selector': 's1', 'key_size': True}, 'key_size must be one of'),
    ({'domain': 'example.com', 'selector': 's1', 'key_type': 'ed25519', 'key_size': 2048}, 'an Ed25519 key has no size'),
    ({'domain': 'example.com', 'selector': 's1', 'signing': 'yes'}, 'signing must be true or false'),
    ({'domain': 'example.com', 'selector': 's1', 'state': 'gone'}, 'state must be present or absent'),
    ('example.com', 'selectors\\[0\\] must be a dictionary'),
])
def test_bad_input_names_the_option(given, message):
    with pytest.raises(SettingsError, match=message):
        model.desired(CURRENT, {'selectors': [given]})


def test_a_selector_given_twice_is_refused():
    with pytest.raises(SettingsError, match='selectors\\[1\\] repeats selector s1 of example.com'):
        model.desired(CURRENT, {'selectors': [{'domain': 'example.com', 'selector': 's1'},
                                              {'domain': 'EXAMPLE.com', 'selector': 's1', 'state': 'absent'}]})


def test_new_and_removed_keys():
    keys = {('example.com', 's2026'): RSA_KEY, ('example.com', 'e2026'): ED_KEY, ('example.com', 'broken'): dict(
        key_type=None, key_size=None, value=None), ('example.org', 'gone'): RSA_KEY}
    wanted = {'selectors': [entry('example.com', 'broken'), entry('example.com', 'e2026', 'ed25519'),
                            entry('example.com', 's2026'), entry('example.org', 'new', key_size=3072)]}
    assert model.new_keys(wanted, keys) == [('example.com', 'broken', 'rsa', 2048), ('example.org', 'new', 'rsa', 3072)]
    assert model.removed_keys(wanted, keys) == [('example.org', 'gone')]


def test_records_give_what_dns_records_publishes(rsa_pem, ed_text):
    keys = {('example.com', 's1'): model.describe_key(rsa_pem.encode('ascii')),
            ('example.com', 'e1'): model.describe_key(ed_text.encode('ascii'))}
    wanted = {'selectors': [entry('example.com', 'e1', 'ed25519'), entry('example.com', 's1'),
                            entry('example.com', 'n1', signing=False)]}
    records = model.records(wanted, keys, KEYS)
    assert [(record['name'], record['type'], record['private_key_path']) for record in records] == [
        ('e1._domainkey.example.com.', 'TXT', '/keys/example.com/e1.key'),
        ('s1._domainkey.example.com.', 'TXT', '/keys/example.com/s1.key'),
        ('n1._domainkey.example.com.', 'TXT', '/keys/example.com/n1.key')]
    assert records[2]['value'] is None and records[1]['signing'] is True
    given = model.dns_records_dkim(records)
    assert [(each['domain'], each['selector']) for each in given] == [('example.com', 'e1'), ('example.com', 's1')]
    # The dns_records module computes the very same record from what dkim gives it.
    for each, record in zip(given, records):
        assert dns.dkim_value('public_key', each['public_key'], private=False) == record['value']
        assert 'PRIVATE' not in each['public_key']


def test_signed_selectors_are_read_from_rspamcs_answer():
    answer = 'Results for file: stdin\n' + json.dumps({'symbols': {'DKIM_SIGNED': {
        'name': 'DKIM_SIGNED', 'options': ['example.com:s=s1', 'example.com:s=e1']}}})
    assert rspamd.signed_selectors(answer) == set(['example.com:s=s1', 'example.com:s=e1'])
    for other in ('', 'not json {', json.dumps({'symbols': {}}), json.dumps([1]), json.dumps({'symbols': {
            'DKIM_SIGNED': {'options': [1]}}})):
        assert rspamd.signed_selectors(other) == set()


# --- through the runner, with an rspamd on tmp_path -------------------------------------------------------

class RspamdModule(FakeModule):
    """rspamadm, rspamc and systemctl as they answer on a host whose rspamd is below `config_dir`."""

    def __init__(self, config_dir, key_dir, check_mode=False, test_error=None, stuck=False):
        super(RspamdModule, self).__init__(check_mode)
        self.config_dir = config_dir
        self.key_dir = key_dir
        self.test_error = test_error
        self.stuck = stuck          # the workers keep what they ran before (a reload rspamd could not read)
        self.signing = self.live_signing()
        self.commands = []
        self.probes = []

    def live_signing(self):
        path = os.path.join(self.config_dir, model.CONFIG_FILE)
        text = open(path).read() if os.path.exists(path) else None
        return model.parse(text, self.key_dir) or []

    def run_command(self, args, data=None, binary_data=False):
        self.commands.append(list(args))
        program, rest = os.path.basename(args[0]), list(args[1:])
        if program == 'rspamadm':
            staged = rest[0].split('=', 2)[2]
            assert rest[1] == '--var=LOCAL_CONFDIR=' + staged and rest[2:4] == ['configtest', '-c']
            assert rest[4] == os.path.join(staged, 'rspamd.conf') and os.path.isfile(rest[4])
            if self.test_error:
                return 1, '', self.test_error.replace('STAGED', staged)
            return 0, 'syntax OK', ''
        if program == 'rspamc':
            sender = rest[rest.index('--user') + 1]
            self.probes.append((sender, data))
            domain = sender.split('@')[1]
            signed = ['%s:s=%s' % pair for pair in self.signing if pair[0] == domain]
            return 0, json.dumps({'symbols': {'DKIM_SIGNED': {'options': signed}}} if signed else {'symbols': {}}), ''
        if program == 'systemctl' and rest[0] in ('reload', 'restart'):
            if not self.stuck:
                self.signing = self.live_signing()
            return 0, '', ''
        return 0, '', ''

    def reloads(self):
        return [command for command in self.commands if command[1:2] == ['reload']]


@pytest.fixture
def host(tmp_path, monkeypatch):
    """An rspamd config dir with the filter role's worker file, and an empty key directory."""
    config_dir = tmp_path / 'rspamd'
    (config_dir / 'local.d').mkdir(parents=True)
    (config_dir / 'rspamd.conf').write_text('.include "$LOCAL_CONFDIR/local.d/dkim_signing.conf"\n')
    (config_dir / 'local.d' / 'worker-proxy.inc').write_text('milter = yes;\n')
    key_dir = tmp_path / 'dkim'
    key_dir.mkdir()
    journal = Journal(str(tmp_path / 'state'))
    monkeypatch.setattr(runner, 'Journal', lambda: journal)
    monkeypatch.setattr(runner, 'open_daemons', lambda module, journal, needed: {
        RSPAMD: rspamd.RspamdHost(module, journal, str(config_dir), str(key_dir))})
    monkeypatch.setattr(runner.host_facts, 'gather', lambda module: {'listening_ports': set()})
    monkeypatch.setattr(activation, 'systemd_booted', lambda: True)
    monkeypatch.setattr(activation, 'SETTLE_CHECKS', (0.0,))
    monkeypatch.setattr(rspamd, 'PROBE_TIMEOUT', 0)
    # The test runs as root, whose group stands in for _rspamd.
    monkeypatch.setattr(model, 'KEY_GROUP', 'root')
    return config_dir, key_dir


def signing_file(config_dir):
    return config_dir / 'local.d' / 'dkim_signing.conf'


def run(module, selectors=None):
    area = registry.DKIM
    with pytest.raises(Exit) as done:
        runner.run(module, [(area, {'selectors': selectors})], (area,))
    return done.value


def key_files(key_dir):
    return sorted(os.path.relpath(os.path.join(top, name), str(key_dir))
                  for top, _dirs, names in os.walk(str(key_dir)) for name in names)


def test_a_new_selector_gets_a_key_the_configuration_is_tested_staged_and_signing_is_proven(host):
    config_dir, key_dir = host
    module = RspamdModule(str(config_dir), str(key_dir))
    done = run(module, [{'domain': 'example.com', 'selector': 's1'}])
    assert not done.failed and done.result['changed'] is True, done.result
    assert done.result['settings'] == {'selectors': [entry('example.com', 's1')]}
    assert done.result['diff'] == {'before': {'selectors': []}, 'after': {'selectors': [entry('example.com', 's1')]}}
    assert done.result['activation'] == {'rspamd': 'reload'}
    assert model.parse(signing_file(config_dir).read_text(), str(key_dir)) == [('example.com', 's1')]
    path = key_dir / 'example.com' / 's1.key'
    assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o640
    (record,) = done.result['records']
    assert record['value'] == model.describe_key(path.read_bytes())['value'] and record['private_key_path'] == str(path)
    assert done.result['dns_records_dkim'][0]['selector'] == 's1'
    (test,) = [command for command in module.commands if 'configtest' in command]
    assert 'staging' in test[1] and str(config_dir) not in test[1]
    assert [sender for sender, _data in module.probes] == ['postmaster@example.com']
    # No key material in any result.
    assert 'PRIVATE' not in json.dumps(done.result)


def test_unchanged_settings_touch_nothing_and_return_the_records(host):
    config_dir, key_dir = host
    run(RspamdModule(str(config_dir), str(key_dir)), [{'domain': 'example.com', 'selector': 's1'}])
    module = RspamdModule(str(config_dir), str(key_dir))
    done = run(module, [{'domain': 'example.com', 'selector': 's1', 'signing': True}])
    assert done.result['changed'] is False and done.result['records'][0]['value'].startswith('v=DKIM1; k=rsa;')
    assert module.commands == []


def test_check_mode_reports_and_touches_nothing(host):
    config_dir, key_dir = host
    module = RspamdModule(str(config_dir), str(key_dir), check_mode=True)
    done = run(module, [{'domain': 'example.com', 'selector': 's1'}])
    assert done.result['changed'] is True and done.result['reload_required'] is True
    assert done.result['records'][0]['value'] is None and done.result['dns_records_dkim'] == []
    assert not signing_file(config_dir).exists() and key_files(key_dir) == [] and module.reloads() == []


def test_rotation_publishes_moves_signing_and_removes_the_old_key(host):
    config_dir, key_dir = host
    module = RspamdModule(str(config_dir), str(key_dir))
    run(module, [{'domain': 'example.com', 'selector': 'old'}])
    old_key = (key_dir / 'example.com' / 'old.key').read_bytes()
    done = run(module, [{'domain': 'example.com', 'selector': 'new', 'signing': False}])
    assert [record['signing'] for record in done.result['records']] == [False, True]
    # The new key is published before it signs.
    assert [each['selector'] for each in done.result['dns_records_dkim']] == ['new', 'old']
    assert key_files(key_dir) == ['example.com/new.key', 'example.com/old.key']
    assert model.parse(signing_file(config_dir).read_text(), str(key_dir)) == [('example.com', 'old')]
    run(module, [{'domain': 'example.com', 'selector': 'new', 'signing': True},
                 {'domain': 'example.com', 'selector': 'old', 'signing': False}])
    assert module.signing == [('example.com', 'new')]
    assert (key_dir / 'example.com' / 'old.key').read_bytes() == old_key
    done = run(module, [{'domain': 'example.com', 'selector': 'old', 'state': 'absent'}])
    assert not done.failed and done.result['changed'] is True and done.result['removed'] == ['old of example.com']
    assert key_files(key_dir) == ['example.com/new.key']
    assert done.result['settings'] == {'selectors': [entry('example.com', 'new')]}
    done = run(module, [{'domain': 'example.com', 'selector': 'new', 'state': 'absent'}])
    assert key_files(key_dir) == [] and not (key_dir / 'example.com').exists()
    assert model.parse(signing_file(config_dir).read_text(), str(key_dir)) == []


def test_check_mode_says_which_keys_would_be_removed_and_keeps_them(host):
    config_dir, key_dir = host
    run(RspamdModule(str(config_dir), str(key_dir)), [{'domain': 'example.com', 'selector': 's1'}])
    module = RspamdModule(str(config_dir), str(key_dir), check_mode=True)
    done = run(module, [{'domain': 'example.com', 'selector': 's1', 'state': 'absent'}])
    assert done.result['changed'] is True and done.result['removed'] == ['s1 of example.com']
    assert key_files(key_dir) == ['example.com/s1.key']


@pytest.mark.parametrize('selectors', [
    [{'domain': 'example.com', 'selector': 's1', 'key_size': 1024}],
    [{'domain': 'example.com\n', 'selector': 's1'}],
    [{'domain': 'example.com', 'selector': 'e1', 'key_type': 'ed25519'}],
    # A bad entry fails even with a good one beside it: nothing is written first.
    [{'domain': 'example.com', 'selector': 's1'}, {'domain': 'example.org', 'selector': 's 1'}],
])
def test_bad_input_changes_nothing(host, selectors):
    config_dir, key_dir = host
    module = RspamdModule(str(config_dir), str(key_dir))
    done = run(module, selectors)
    assert done.failed and done.result['changed'] is False
    assert not signing_file(config_dir).exists() and key_files(key_dir) == [] and module.commands == []


def test_a_configuration_rspamd_refuses_is_never_written_and_no_key_is_made(host):
    config_dir, key_dir = host
    module = RspamdModule(str(config_dir), str(key_dir), test_error='STAGED/local.d/dkim_signing.conf:3: syntax error')
    done = run(module, [{'domain': 'example.com', 'selector': 's1'}])
    assert done.failed and done.result['changed'] is False
    assert 'rspamd rejected the configuration' in done.result['msg'] and str(config_dir) in done.result['msg']
    assert not signing_file(config_dir).exists() and key_files(key_dir) == [] and module.reloads() == []


def test_a_reload_rspamd_does_not_take_rolls_back_and_removes_the_new_key(host):
    config_dir, key_dir = host
    run(RspamdModule(str(config_dir), str(key_dir)), [{'domain': 'example.com', 'selector': 's1'}])
    before = signing_file(config_dir).read_text()
    module = RspamdModule(str(config_dir), str(key_dir), stuck=True)
    done = run(module, [{'domain': 'example.org', 'selector': 's1'}])
    assert done.failed and done.result['changed'] is False
    assert 'mail of example.org is signed with no selector instead of s=s1' in done.result['msg']
    assert 'previous configuration is restored' in done.result['msg']
    assert signing_file(config_dir).read_text() == before and key_files(key_dir) == ['example.com/s1.key']


def test_a_selector_that_still_signs_after_the_reload_rolls_back(host):
    config_dir, key_dir = host
    run(RspamdModule(str(config_dir), str(key_dir)), [{'domain': 'example.com', 'selector': 's1'}])
    before = signing_file(config_dir).read_text()
    module = RspamdModule(str(config_dir), str(key_dir), stuck=True)
    done = run(module, [{'domain': 'example.com', 'selector': 's1', 'signing': False}])
    assert done.failed and 'mail of example.com is signed with s=s1 instead of no selector' in done.result['msg']
    assert signing_file(config_dir).read_text() == before


def test_without_the_filter_role_the_module_refuses_naming_it(host):
    config_dir, key_dir = host
    (config_dir / 'local.d' / 'worker-proxy.inc').unlink()
    module = RspamdModule(str(config_dir), str(key_dir))
    done = run(module, [{'domain': 'example.com', 'selector': 's1'}])
    assert done.failed and 'apply the mailroom.server.filter role first' in done.result['msg']
    assert key_files(key_dir) == [] and module.commands == []


def test_installed_needs_the_roles_worker_and_rspamadm(tmp_path, monkeypatch):
    monkeypatch.setattr(rspamd, 'CONFIG_DIR', str(tmp_path))
    assert not rspamd.installed(FakeModule())
    (tmp_path / 'local.d').mkdir()
    (tmp_path / 'local.d' / 'worker-proxy.inc').write_text('milter = yes;\n')
    assert rspamd.installed(FakeModule())
    module = FakeModule()
    module.get_bin_path = lambda name, **kwargs: None
    assert not rspamd.installed(module)


def test_settings_info_reads_dkim_and_giving_it_back_changes_nothing(host):
    config_dir, key_dir = host
    module = RspamdModule(str(config_dir), str(key_dir))
    run(module, [{'domain': 'example.com', 'selector': 's1'}, {'domain': 'example.com', 'selector': 'e1',
                                                               'key_type': 'ed25519', 'signing': False}])
    (security, _interrupted) = runner.read_areas(module, registry.SECURITY, registry.SECURITY_PAGE)
    assert security == {'dkim': {'selectors': [entry('example.com', 'e1', 'ed25519', signing=False),
                                               entry('example.com', 's1')]}}
    done = run(RspamdModule(str(config_dir), str(key_dir)), security['dkim']['selectors'])
    assert not done.failed and done.result['changed'] is False


# --- the module, as Ansible runs it ---------------------------------------------------------------------

@pytest.fixture
def module_host(host, monkeypatch):
    """The module's real main() on the rspamd host below tmp_path: its commands go to the fake."""
    config_dir, key_dir = host
    fake = RspamdModule(str(config_dir), str(key_dir))
    monkeypatch.setattr(AnsibleModule, 'run_command', lambda self, args, **kwargs: fake.run_command(args, **kwargs))
    monkeypatch.setattr(AnsibleModule, 'get_bin_path', lambda self, name, **kwargs: '/bin/' + name)
    return config_dir, key_dir, fake


def test_the_module_makes_keys_and_never_prints_them(module_host, capsys):
    config_dir, key_dir, fake = module_host
    result, printed = run_main(dkim_module.main, dict(selectors=[dict(domain='example.com', selector='s1'), dict(
        domain='example.com', selector='e1', key_type='ed25519')], _ansible_diff=True), capsys)
    assert result['changed'] is True and result['activation'] == {'rspamd': 'reload'}
    assert [record['name'] for record in result['records']] == ['e1._domainkey.example.com.', 's1._domainkey.example.com.']
    for path in ('example.com/s1.key', 'example.com/e1.key'):
        secret = (key_dir / path).read_text()
        body = secret.replace('-----BEGIN PRIVATE KEY-----', '').replace('-----END PRIVATE KEY-----', '').strip()
        assert body.splitlines()[0] not in printed.out + printed.err


@pytest.mark.parametrize('args, message', [
    (dict(selectors=[dict(domain='example.com', selector='s1', key_size=512)]), 'key_size must be one of'),
    (dict(selectors=[dict(domain='example.com', selector='s1', key_type='dsa')]), 'key_type'),
    (dict(selectors=[dict(selector='s1')]), 'domain'),
])
def test_the_module_refuses_bad_input_with_nothing_changed(module_host, capsys, args, message):
    config_dir, key_dir, fake = module_host
    result, _printed = run_main(dkim_module.main, args, capsys)
    assert result['failed'] is True and result.get('changed') is not True and message in result['msg']
    assert key_files(key_dir) == [] and not signing_file(config_dir).exists()
