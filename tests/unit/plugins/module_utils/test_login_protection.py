# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The login protection (brute-force lockout): values checked and normalised, the jail file
rendered and read back, fail2ban-client's answers parsed, and changes, checks and lifted bans
through the runner with a fail2ban adapter on a config directory below tmp_path."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import configparser
import glob
import os

import pytest
from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailroom.server.plugins.module_utils import _login_protection as model
from ansible_collections.mailroom.server.plugins.module_utils._areas import login_protection, registry
from ansible_collections.mailroom.server.plugins.module_utils._engine import activation, runner
from ansible_collections.mailroom.server.plugins.module_utils._engine.area import FAIL2BAN, State
from ansible_collections.mailroom.server.plugins.module_utils._engine.errors import SettingsError
from ansible_collections.mailroom.server.plugins.module_utils._engine.journal import Journal
from ansible_collections.mailroom.server.plugins.module_utils._fail2ban import config as model_config
from ansible_collections.mailroom.server.plugins.module_utils._fail2ban import host as fail2ban
from ansible_collections.mailroom.server.plugins.modules import login_protection as login_protection_module
from ansible_collections.mailroom.server.tests.unit.plugins.module_utils.fake_module import Exit, FakeModule, run_main

DEFAULTS = {'enabled': True, 'max_failures': 5, 'find_time': 600, 'ban_time': 3600, 'trusted_networks': []}
UNKNOWN = dict((name, None) for name in model.OPTIONS)
# The contract with fail2ban and the guard role's filter, byte for byte.
FILE = (
    '# Managed by mailroom.server (module mailroom.server.login_protection); replaced on its next change.\n'
    '# Brute-force lockout: failed logins from one address on SMTP AUTH, IMAP, POP3 and the\n'
    '# webmail, counted together, ban it on every mail and web port.\n'
    '\n'
    '[mailroom-login]\n'
    'enabled = true\n'
    'filter = mailroom-login\n'
    'backend = systemd\n'
    'usedns = no\n'
    'maxretry = 5\n'
    'findtime = 600\n'
    'bantime = 3600\n'
    'ignoreip = 127.0.0.0/8 ::1 192.0.2.0/24 2001:db8::/32\n'
    'banaction = nftables-multiport\n'
    'port = 25,465,587,110,143,993,995,80,443\n'
    'protocol = tcp\n'
    'action = %(banaction)s[port="%(port)s", protocol="%(protocol)s"]\n')
TRUSTED = dict(DEFAULTS, trusted_networks=['192.0.2.0/24', '2001:db8::/32'])


def options(**given):
    return dict(dict((name, None) for name in login_protection.ARGUMENT_SPEC), **given)


# --- numbers --------------------------------------------------------------------------------------------

@pytest.mark.parametrize('name, low, high', [('max_failures', 1, 100), ('find_time', 60, 86400),
                                             ('ban_time', 60, 2592000)])
def test_numbers_take_their_whole_range_and_nothing_beyond(name, low, high):
    assert model.number(name, low) == low and model.number(name, high) == high
    for bad in (low - 1, high + 1, -1, 10 ** 400):
        with pytest.raises(SettingsError, match='%s must be %d to %d' % (name, low, high)) as refused:
            model.number(name, bad)
        assert len(str(refused.value)) < 200


@pytest.mark.parametrize('bad', [True, False, '5', 5.0, None, [5], '5\nbantime = 1'])
def test_numbers_must_be_whole_numbers_not_booleans_or_text(bad):
    with pytest.raises(SettingsError, match='max_failures must be a whole number'):
        model.number('max_failures', bad)


# --- networks -------------------------------------------------------------------------------------------

def test_networks_are_normalised_deduplicated_and_sorted():
    given = ['2001:DB8:0:0::1', '192.0.2.7/24', '10.0.0.1', '192.0.2.0/24', '10.0.0.1/32', '2001:db8::/32',
             '2001:db8::1/128', '::1']
    assert model.networks(given) == ['10.0.0.1', '192.0.2.0/24', '::1', '2001:db8::/32', '2001:db8::1']
    assert model.networks([]) == []
    assert model.networks(('0.0.0.0/0',)) == ['0.0.0.0/0']


@pytest.mark.parametrize('bad, message', [
    ('192.0.2.1\n', 'line break'), ('192.0.2.0/24\nbantime = 1', 'line break'), ('192.0.2.1\t', 'line break'),
    (u'192.0.2.1\u2028', 'line break'), ('192.0.2.1,192.0.2.2', 'not an IP address'),
    ('192.0.2.1 192.0.2.2', 'not an IP address'), (' 192.0.2.1', 'not an IP address'),
    ('192.0.2.0/33', 'not an IP address'), ('2001:db8::/129', 'not an IP address'), ('10/8', 'not an IP address'),
    ('192.0.2.0/024', 'not an IP address'), ('192.0.2.0/255.255.255.0', 'not an IP address'),
    ('192.0.2.0/', 'not an IP address'), ('127.1', 'not an IP address'), ('010.0.0.1', 'not an IP address'),
    ('fe80::1%eth0', 'not an IP address'), ('mail.example.com', 'not an IP address'), ('', 'not an IP address'),
    ('192.0.2.1/24#', 'not an IP address'), ('x' * 1000, 'not an IP address'),
    (5, 'must be addresses or networks'), (None, 'must be addresses or networks'),
    (['192.0.2.1'], 'must be addresses or networks'),
])
def test_hostile_or_bad_networks_are_refused(bad, message):
    with pytest.raises(SettingsError, match=message) as refused:
        model.networks(['192.0.2.9', bad])
    assert 'trusted_networks' in str(refused.value)
    assert len(str(refused.value)) < 300


@pytest.mark.parametrize('bad', ['192.0.2.0/24', {'192.0.2.1': 1}, 5, None])
def test_networks_must_be_a_list(bad):
    with pytest.raises(SettingsError, match='trusted_networks must be a list'):
        model.networks(bad)


def test_lift_bans_takes_single_addresses():
    assert model.addresses(['192.0.2.1', '2001:DB8::5', '192.0.2.1/32']) == ['192.0.2.1', '2001:db8::5']
    with pytest.raises(SettingsError, match='lift_bans takes single addresses, not the network 192.0.2.0/24'):
        model.addresses(['192.0.2.0/24'])
    with pytest.raises(SettingsError, match='lift_bans entries must be one line'):
        model.addresses(['192.0.2.1\n'])


# --- the jail file --------------------------------------------------------------------------------------

def test_render_is_the_jail_the_filter_and_fail2ban_expect():
    assert model.render(TRUSTED) == FILE
    assert 'enabled = false\n' in model.render(dict(TRUSTED, enabled=False))


def test_loopback_is_always_trusted():
    assert 'ignoreip = 127.0.0.0/8 ::1\n' in model.render(DEFAULTS)
    assert model.parse(model.render(DEFAULTS)) == DEFAULTS


@pytest.mark.parametrize('settings', [
    DEFAULTS, TRUSTED, dict(DEFAULTS, enabled=False, max_failures=1, find_time=60, ban_time=60),
    dict(DEFAULTS, max_failures=100, find_time=86400, ban_time=2592000, trusted_networks=['127.0.0.1', '::1']),
])
def test_what_is_rendered_reads_back(settings):
    assert model.parse(model.render(settings)) == settings


@pytest.mark.parametrize('text', [
    None, '', 'garbage', FILE.replace('maxretry = 5', 'maxretry = 0'), FILE.replace('maxretry = 5', 'maxretry = x'),
    FILE.replace('maxretry = 5', 'maxretry = 101'), FILE.replace('enabled = true', 'enabled = yes'),
    FILE.replace('ignoreip = 127.0.0.0/8 ::1', 'ignoreip = ::1'), FILE.replace('2001:db8::/32', '2001:db8::/32 bad'),
    FILE + 'bantime.increment = true\n', FILE.replace('nftables-multiport', 'iptables-multiport'),
    FILE.replace('# Managed', '# Hand-edited'), FILE.replace('192.0.2.0/24 2001:db8::/32', '2001:db8::/32 192.0.2.0/24'),
    FILE.replace('findtime = 600', 'findtime = 10m'), FILE.replace('bantime = 3600\n', ''),
])
def test_a_file_that_is_not_exactly_ours_reads_as_unknown(text):
    assert model.parse(text) == UNKNOWN


def test_read_and_plan():
    state = State(fail2ban={'files': {'login_protection': FILE, 'other': 'x'}, 'jails': None})
    assert login_protection.read(state) == TRUSTED
    assert login_protection.read(State()) == UNKNOWN
    plan = login_protection.plan(TRUSTED, state)
    assert plan.edits == {FAIL2BAN: FILE} and plan.actions == {FAIL2BAN: 'reload'} and plan.files == []


# --- desired --------------------------------------------------------------------------------------------

def test_options_left_out_keep_the_current_values_and_unknown_ones_take_the_defaults():
    assert model.desired(TRUSTED, options()) == TRUSTED
    assert model.desired(UNKNOWN, options()) == DEFAULTS
    assert model.desired(dict(TRUSTED, ban_time=None), options(max_failures=3)) == dict(TRUSTED, max_failures=3)
    assert model.desired(TRUSTED, options(trusted_networks=[])) == DEFAULTS
    assert model.desired(TRUSTED, options(enabled=False))['enabled'] is False


def test_lift_bans_is_checked_but_not_a_setting():
    assert model.desired(TRUSTED, options(lift_bans=['192.0.2.1'])) == TRUSTED
    with pytest.raises(SettingsError, match='lift_bans'):
        model.desired(TRUSTED, options(lift_bans=['192.0.2.1,192.0.2.2']))


@pytest.mark.parametrize('given, message', [
    (dict(max_failures=0), 'max_failures must be 1 to 100'), (dict(find_time=59), 'find_time must be 60'),
    (dict(ban_time=2592001), 'ban_time must be 60'), (dict(max_failures=True), 'whole number'),
    (dict(trusted_networks=['192.0.2.0/24\n[sshd]']), 'line break'), (dict(enabled='yes'), 'true or false'),
])
def test_bad_input_names_the_option(given, message):
    with pytest.raises(SettingsError, match=message):
        model.desired(TRUSTED, options(**given))


def test_as_options_given_back_change_nothing():
    shown = registry.LOGIN_PROTECTION.as_options(TRUSTED)
    assert model.desired(TRUSTED, options(**shown)) == TRUSTED


# --- fail2ban-client ------------------------------------------------------------------------------------

STATUS = 'Status\n|- Number of jail:\t2\n`- Jail list:\tmailroom-login, sshd\n'
JAIL_STATUS = ('Status for the jail: mailroom-login\n|- Filter\n|  |- Currently failed:\t1\n|  |- Total failed:\t9\n'
               '|  `- Journal matches:\t_SYSTEMD_UNIT=postfix.service + _SYSTEMD_UNIT=dovecot.service\n'
               '`- Actions\n   |- Currently banned:\t%d\n   |- Total banned:\t4\n   `- Banned IP list:\t%s\n')


def jail_status(*addresses):
    return JAIL_STATUS % (len(addresses), ' '.join(addresses))


def test_status_answers_are_parsed():
    assert model.parse_jails(STATUS) == ['mailroom-login', 'sshd']
    assert model.parse_jails('Status\n|- Number of jail:\t0\n`- Jail list:\t\n') == []
    assert model.parse_jails('') == [] and model.parse_jails(None) == []
    assert model.parse_banned(jail_status('198.51.100.7', '2001:DB8::5', '192.0.2.1', '192.0.2.1')) == [
        '192.0.2.1', '198.51.100.7', '2001:db8::5']
    assert model.parse_banned(jail_status()) == []
    assert model.parse_banned('Sorry but the jail does not exist') == []
    # Only addresses: anything else on the line is not one.
    assert model.parse_banned(jail_status('192.0.2.1', 'rm -rf', '192.0.2.0/24', '192.0.2.2\n')) == [
        '192.0.2.1', '192.0.2.2']


def test_to_lift_is_what_is_asked_and_banned():
    assert model.to_lift(['192.0.2.1', '192.0.2.9'], ['192.0.2.1', '192.0.2.2']) == ['192.0.2.1']
    assert model.to_lift([], ['192.0.2.1']) == []


def test_jail_sections():
    assert fail2ban.jail_sections([FILE, '[a]\nenabled=true\n[b]\nenabled = false\n', None]) == (
        set(['mailroom-login', 'a', 'b']), set(['mailroom-login', 'a']))


# --- a fail2ban host below tmp_path ---------------------------------------------------------------------

def fake_dump(config_dir):
    """`fail2ban-client -d` of a config dir as fail2ban 1.0 prints it, for the jail.d/*.local files."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(sorted(glob.glob(os.path.join(config_dir, 'jail.d', '*.local'))))
    lines = []
    for jail in parser.sections():
        section = parser[jail]
        if section.get('enabled') != 'true':
            continue
        lines.append(repr(['add', jail, section.get('backend', 'auto')]))
        lines.append(repr(['set', jail, 'maxretry', int(section['maxretry'])]))
        lines.extend(repr(['set', jail, key, section[key]]) for key in ('findtime', 'bantime'))
        lines.append(repr(['set', jail, 'addignoreip'] + section['ignoreip'].split()))
        lines.append(repr(['multi-set', jail, 'action', section['banaction'],
                           [['actionban', 'nft add element'], ['port', section['port']], ['protocol', 'tcp']]]))
    return '\n'.join(lines) + '\n'


class Fail2banModule(FakeModule):
    """fail2ban-client and systemctl as they answer on a host whose config is below `config_dir`."""

    def __init__(self, config_dir, check_mode=False, banned=(), test_error=None, reload_rc=0, stuck=False,
                 journal=''):
        super(Fail2banModule, self).__init__(check_mode)
        self.journal = journal      # what journalctl shows of fail2ban.service since the reload
        self.config_dir = config_dir
        self.banned = list(banned)
        self.test_error = test_error
        self.reload_rc = reload_rc
        self.stuck = stuck          # the server keeps running what it ran before
        self.running_jails = self.live_jails()
        self.commands = []

    def live_jails(self):
        texts = [open(os.path.join(self.config_dir, 'jail.d', name)).read()
                 for name in os.listdir(os.path.join(self.config_dir, 'jail.d'))]
        return sorted(fail2ban.jail_sections(texts)[1])

    def run_command(self, args):
        self.commands.append(list(args))
        program, rest = os.path.basename(args[0]), list(args[1:])
        if program == 'fail2ban-client':
            if rest[-1:] == ['--test']:
                return (255, '', self.test_error) if self.test_error else (0, 'OK: configuration test is successful', '')
            if rest[-1:] == ['-d']:
                return 0, fake_dump(rest[1]), 'WARNING a log line'
            if rest == ['status']:
                return 0, 'Status\n`- Jail list:\t%s\n' % ', '.join(self.running_jails), ''
            if rest[0] == 'status':
                if rest[1] not in self.running_jails:
                    return 255, '', "Sorry but the jail '%s' does not exist" % rest[1]
                return 0, jail_status(*self.banned), ''
            if rest[0] == 'set' and rest[2] == 'unbanip':
                self.banned.remove(rest[3])
                return 0, '1', ''
        if program == 'systemctl':
            if rest[0] in ('reload', 'restart'):
                # A reload may fail; the undo's restart works.
                failed = rest[0] == 'reload' and self.reload_rc
                if not self.stuck and not failed:
                    self.running_jails = self.live_jails()
                return (self.reload_rc, '', 'ERROR reload failed') if failed else (0, '', '')
            return 0, '', ''
        if program == 'journalctl':
            # Said once, of the first reload: the undo's restart is clean.
            shown, self.journal = self.journal, ''
            return 0, shown, ''
        return 0, '', ''

    def unbans(self):
        return [command[4] for command in self.commands if command[1:4] == ['set', model.JAIL, 'unbanip']]


@pytest.fixture
def f2b(tmp_path, monkeypatch):
    """A fail2ban config dir with the guard role's filter and the given jail file."""
    config_dir = tmp_path / 'fail2ban'
    (config_dir / 'filter.d').mkdir(parents=True)
    (config_dir / 'jail.d').mkdir()
    (config_dir / 'filter.d' / 'mailroom-login.conf').write_text('[Definition]\n')
    (config_dir / 'jail.d' / '00-mailroom-base.local').write_text('[sshd]\nbackend = systemd\n')
    jail = config_dir / 'jail.d' / 'mailroom-login_protection.local'
    journal = Journal(str(tmp_path / 'state'))
    monkeypatch.setattr(runner, 'Journal', lambda: journal)
    monkeypatch.setattr(runner, 'open_daemons', lambda module, journal, needed: {
        FAIL2BAN: fail2ban.Fail2banHost(module, journal, str(config_dir))})
    monkeypatch.setattr(runner.host_facts, 'gather', lambda module: {'listening_ports': set()})
    monkeypatch.setattr(activation, 'systemd_booted', lambda: True)
    monkeypatch.setattr(activation, 'SETTLE_CHECKS', (0.0,))
    monkeypatch.setattr(fail2ban, 'JAILS_TIMEOUT', 0)
    return config_dir, jail


def run(module, **given):
    area = registry.LOGIN_PROTECTION
    with pytest.raises(Exit) as done:
        runner.run(module, [(area, options(**given))], (area,))
    return done.value


def test_a_change_is_tested_on_a_staged_copy_written_and_reloaded(f2b):
    config_dir, jail = f2b
    jail.write_text(model.render(DEFAULTS))
    module = Fail2banModule(str(config_dir), banned=['198.51.100.7'])
    done = run(module, trusted_networks=['2001:db8::1/32', '192.0.2.7/24'])
    assert not done.failed and done.result['changed'] is True
    assert jail.read_text() == FILE
    assert done.result['activation'] == {'fail2ban': 'reload'}
    assert done.result['settings'] == TRUSTED and done.result['banned'] == ['198.51.100.7']
    assert done.result['diff'] == {'before': DEFAULTS, 'after': TRUSTED}
    (test,) = [command for command in module.commands if command[-1] == '--test']
    assert test[1] == '-c' and test[2] != str(config_dir) and 'staging' in test[2]
    assert ['/bin/systemctl', 'reload', 'fail2ban'] in module.commands


def test_unchanged_settings_touch_nothing_and_list_the_bans(f2b):
    config_dir, jail = f2b
    jail.write_text(FILE)
    module = Fail2banModule(str(config_dir), banned=['192.0.2.1'])
    done = run(module, max_failures=5, trusted_networks=['2001:db8::/32', '192.0.2.0/24'])
    assert done.result['changed'] is False and done.result['banned'] == ['192.0.2.1']
    assert not [command for command in module.commands if command[-1] == '--test' or 'reload' in command]


def test_a_new_host_gets_the_defaults(f2b):
    config_dir, jail = f2b
    done = run(Fail2banModule(str(config_dir)))
    assert done.result['changed'] is True and jail.read_text() == model.render(DEFAULTS)


def test_check_mode_reports_and_touches_nothing(f2b):
    config_dir, jail = f2b
    jail.write_text(FILE)
    module = Fail2banModule(str(config_dir), check_mode=True, banned=['192.0.2.1', '192.0.2.2'])
    done = run(module, ban_time=7200, lift_bans=['192.0.2.2', '192.0.2.3'])
    assert done.result['changed'] is True and done.result['reload_required'] is True
    assert done.result['diff']['after']['ban_time'] == 7200
    assert done.result['lifted'] == ['192.0.2.2'] and done.result['banned'] == ['192.0.2.1', '192.0.2.2']
    assert jail.read_text() == FILE and module.unbans() == []
    assert not [command for command in module.commands if 'reload' in command]


def test_bans_are_lifted_and_only_those_banned(f2b):
    config_dir, jail = f2b
    jail.write_text(FILE)
    module = Fail2banModule(str(config_dir), banned=['192.0.2.1', '2001:db8::5'])
    done = run(module, lift_bans=['2001:DB8::5', '192.0.2.77'])
    assert done.result['changed'] is True and done.result['lifted'] == ['2001:db8::5']
    assert module.unbans() == ['2001:db8::5'] and done.result['banned'] == ['192.0.2.1']
    again = run(module, lift_bans=['2001:db8::5'])
    assert again.result['changed'] is False and again.result['lifted'] == []


@pytest.mark.parametrize('given', [
    dict(max_failures=0), dict(find_time=86401), dict(ban_time=-1), dict(max_failures=True),
    dict(trusted_networks=['192.0.2.0/24\n[sshd]\nenabled = false']), dict(trusted_networks=['192.0.2.1, 10.0.0.1']),
    dict(trusted_networks=['192.0.2.1 10.0.0.1']), dict(trusted_networks=['192.0.2.0/33']),
    dict(lift_bans=['192.0.2.0/24']), dict(lift_bans=['192.0.2.1\n']),
    # A bad lift_bans fails even with a good change beside it: nothing is written first.
    dict(ban_time=7200, lift_bans=['not-an-address']),
])
def test_bad_input_changes_nothing(f2b, given):
    config_dir, jail = f2b
    jail.write_text(FILE)
    module = Fail2banModule(str(config_dir), banned=['192.0.2.1'])
    done = run(module, **given)
    assert done.failed and done.result['changed'] is False
    assert jail.read_text() == FILE and module.unbans() == []
    assert not [command for command in module.commands if command[-1] == '--test' or 'reload' in command]


def test_a_configuration_fail2ban_refuses_is_never_written(f2b):
    config_dir, jail = f2b
    jail.write_text(FILE)
    module = Fail2banModule(str(config_dir), test_error='ERROR   Errors in jail %s/jail.d/x' % 'STAGED')
    done = run(module, ban_time=7200)
    assert done.failed and done.result['changed'] is False
    assert 'fail2ban rejected the configuration' in done.result['msg']
    assert jail.read_text() == FILE


@pytest.mark.parametrize('failure', [
    dict(reload_rc=1), dict(stuck=True),
    dict(journal='fail2ban-client[9]: ERROR  Failed during configuration: Have not found any log file for x jail'),
])
def test_a_reload_that_does_not_take_rolls_back(f2b, failure):
    config_dir, jail = f2b
    jail.write_text(FILE)
    module = Fail2banModule(str(config_dir), **failure)
    done = run(module, enabled=False)
    assert done.failed and done.result['changed'] is False
    assert 'previous configuration is restored' in done.result['msg']
    assert jail.read_text() == FILE


def test_an_error_of_another_jail_in_the_journal_is_no_reason_to_undo(f2b):
    config_dir, jail = f2b
    jail.write_text(FILE)
    module = Fail2banModule(str(config_dir), journal="fail2ban.actions [1]: ERROR Failed to execute ban jail 'sshd'")
    done = run(module, ban_time=7200)
    assert not done.failed and done.result['changed'] is True


@pytest.mark.parametrize('override, shown', [
    ('[mailroom-login]\nmaxretry = 99\n', "'max_failures': 99"),
    ('[mailroom-login]\nenabled = false\n', "'enabled': False"),
    ('[mailroom-login]\nport = 443\n', "'max_failures': None"),
    ('[mailroom-login]\nignoreip = 0.0.0.0/0\n', "'trusted_networks': None"),
])
def test_a_jail_another_file_overrides_is_refused_before_anything_changes(f2b, override, shown):
    config_dir, jail = f2b
    jail.write_text(FILE)
    (config_dir / 'jail.d' / 'zz-admin.local').write_text(override)
    module = Fail2banModule(str(config_dir))
    done = run(module, ban_time=7200)
    assert done.failed and done.result['changed'] is False
    assert 'another configuration file overrides these settings' in done.result['msg'] and shown in done.result['msg']
    assert jail.read_text() == FILE and not [command for command in module.commands if 'reload' in command]


def test_effective_settings_from_the_dump():
    jail = model_config.parse_dump(repr(['add', model.JAIL, 'systemd']) + '\n' + '\n'.join(repr(line) for line in [
        ['set', model.JAIL, 'maxretry', 3], ['set', model.JAIL, 'findtime', '900'], ['set', model.JAIL, 'bantime', '60'],
        ['set', model.JAIL, 'addignoreip', '127.0.0.0/8', '::1', '192.0.2.0/24'],
        ['multi-set', model.JAIL, 'action', 'nftables-multiport', [['port', '25,465,587,110,143,993,995,80,443']]],
    ]))[model.JAIL]
    wanted = dict(enabled=True, max_failures=3, find_time=900, ban_time=60, trusted_networks=['192.0.2.0/24'])
    assert model.effective(DEFAULTS, jail) == wanted
    assert model.effective(DEFAULTS, None) == dict(DEFAULTS, enabled=False)
    unknown = dict(UNKNOWN, enabled=True)
    for change in (dict(backend='auto'), dict(ports=['ssh']), dict(ports=[]), dict(findtime='15m'),
                   dict(ignoreip=['192.0.2.0/24']), dict(maxretry='0'), dict(ignoreip=['127.0.0.0/8', '::1', 'x'])):
        assert model.effective(DEFAULTS, dict(jail, **change)) == unknown


def test_parse_dump_passes_over_what_is_not_a_command():
    text = "WARNING 'allowipv6' not defined\n[broken\n['set', 'unknown-jail', 'maxretry', 1]\n[1, 2, 3]\n" \
           "['add', 'j', 'systemd']\n['set', 'j', 'maxretry']\n__import__('os')\n['set', 'j', 'bantime', 60]\n"
    assert model_config.parse_dump(text) == {'j': {'backend': 'systemd', 'bantime': '60', 'ignoreip': [], 'ports': []}}


def test_a_disabled_jail_has_no_bans_and_is_no_warning(f2b):
    config_dir, jail = f2b
    jail.write_text(model.render(dict(TRUSTED, enabled=False)))
    module = Fail2banModule(str(config_dir))
    done = run(module)
    assert done.result['changed'] is False and done.result['banned'] == [] and module.warnings == []
    module = Fail2banModule(str(config_dir), banned=['192.0.2.1'])
    done = run(module, enabled=True)
    assert done.result['changed'] is True and done.result['banned'] == ['192.0.2.1']


def test_a_stopped_server_is_a_warning(f2b):
    config_dir, jail = f2b
    jail.write_text(FILE)
    module = Fail2banModule(str(config_dir))
    module.running_jails = []
    done = run(module)
    assert not done.failed and done.result['banned'] == []
    assert module.warnings and 'not running' in module.warnings[0]


def test_the_adapter_stages_only_what_differs(f2b):
    config_dir, jail = f2b
    jail.write_text(FILE)
    module = Fail2banModule(str(config_dir))
    host = fail2ban.Fail2banHost(module, Journal(str(config_dir.parent / 'state')), str(config_dir))
    assert host.stage({'login_protection': FILE}) == ({}, {})
    texts, view = host.stage({'login_protection': model.render(DEFAULTS)})
    assert texts == {str(jail): model.render(DEFAULTS)}
    assert view['fail2ban']['files'] == {'login_protection': model.render(DEFAULTS)}
    assert model.effective(DEFAULTS, view['fail2ban']['jails'][model.JAIL]) == DEFAULTS
    assert jail.read_text() == FILE and [command[-1] for command in module.commands] == ['--test', '-d']


def test_installed_needs_the_roles_filter_and_fail2ban(tmp_path, monkeypatch):
    monkeypatch.setattr(fail2ban, 'CONFIG_DIR', str(tmp_path))
    assert not fail2ban.installed(FakeModule())
    (tmp_path / 'filter.d').mkdir()
    (tmp_path / 'filter.d' / 'mailroom-login.conf').write_text('[Definition]\n')
    assert fail2ban.installed(FakeModule())
    module = FakeModule()
    module.get_bin_path = lambda name, **kwargs: None
    assert not fail2ban.installed(module)


def test_without_the_guard_role_the_module_refuses(tmp_path):
    with pytest.raises(fail2ban.Fail2banError, match='apply the mailroom.server.guard role first'):
        fail2ban.Fail2banHost(FakeModule(), Journal(str(tmp_path)), str(tmp_path))


# --- the module, as Ansible runs it ---------------------------------------------------------------------

@pytest.fixture
def module_host(f2b, monkeypatch):
    """The module's real main() on the fail2ban host below tmp_path: its commands go to the fake."""
    config_dir, jail = f2b
    jail.write_text(FILE)
    fake = Fail2banModule(str(config_dir), banned=['192.0.2.1'])
    monkeypatch.setattr(AnsibleModule, 'run_command', lambda self, args, **kwargs: fake.run_command(args))
    monkeypatch.setattr(AnsibleModule, 'get_bin_path', lambda self, name, **kwargs: '/bin/' + name)
    return jail, fake


def test_the_module_changes_and_reports(module_host, capsys):
    jail, fake = module_host
    result, _printed = run_main(login_protection_module.main, dict(ban_time=7200, _ansible_diff=True), capsys)
    assert result['changed'] is True and result['activation'] == {'fail2ban': 'reload'}
    assert result['diff'] == {'before': TRUSTED, 'after': dict(TRUSTED, ban_time=7200)}
    assert result['banned'] == ['192.0.2.1'] and result['lifted'] == []
    assert 'bantime = 7200\n' in jail.read_text()


def test_the_module_in_check_mode_touches_nothing(module_host, capsys):
    jail, fake = module_host
    result, _printed = run_main(login_protection_module.main,
                                dict(enabled=False, lift_bans=['192.0.2.1'], _ansible_check_mode=True), capsys)
    assert result['changed'] is True and result['lifted'] == ['192.0.2.1']
    assert jail.read_text() == FILE and fake.unbans() == []


@pytest.mark.parametrize('args, message', [
    (dict(trusted_networks=['192.0.2.0/24\n[sshd]']), 'trusted_networks entries must be one line'),
    (dict(max_failures=True), 'max_failures must be a whole number'),
    (dict(max_failures=101), 'max_failures must be 1 to 100'),
    (dict(find_time='ten minutes'), 'find_time'),
    (dict(lift_bans=['192.0.2.1, 192.0.2.2']), 'lift_bans entry'),
])
def test_the_module_refuses_bad_input_with_nothing_changed(module_host, capsys, args, message):
    jail, fake = module_host
    result, _printed = run_main(login_protection_module.main, args, capsys)
    assert result['failed'] is True and result.get('changed') is not True
    assert message in result['msg']
    assert jail.read_text() == FILE and fake.unbans() == []


def test_settings_info_reads_the_security_tab_and_giving_it_back_changes_nothing(f2b):
    config_dir, jail = f2b
    jail.write_text(FILE)
    module = Fail2banModule(str(config_dir))
    (security, interrupted) = runner.read_areas(module, (registry.LOGIN_PROTECTION,), registry.SECURITY_PAGE)
    assert security == {'login_protection': TRUSTED} and interrupted is None
    done = run(module, **security['login_protection'])
    assert not done.failed and done.result['changed'] is False


def test_settings_info_leaves_the_tab_out_without_the_guard_role(f2b, monkeypatch):
    monkeypatch.setattr(runner, 'open_daemons', lambda module, journal, needed: {})
    (security, _interrupted) = runner.read_areas(FakeModule(), registry.ALL, registry.SECURITY_PAGE)
    assert security == {}
