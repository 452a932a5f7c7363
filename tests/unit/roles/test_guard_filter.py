# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The guard role's fail2ban filter and the login_protection module's jail, checked by fail2ban
itself: Debian's package unpacked (scripts/test: unpack_debian_package), its filter reader and
regex engine run on log lines as the journal backend hands them over ("host ident[pid]: message"),
and `fail2ban-client --test` on a config directory with the role's and the module's files."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import subprocess
import sys

import pytest

from ansible_collections.mailroom.server.plugins.module_utils import _login_protection as model
from ansible_collections.mailroom.server.plugins.module_utils._fail2ban import config as fail2ban_config
from ansible_collections.mailroom.server.tests.unit.roles import role_files

ROOT = os.path.join(os.path.dirname(__file__), '..', '..', '..')
FILTER = os.path.join(ROOT, 'roles', 'guard', 'files', 'mailroom-login.conf')
SETTINGS = dict(model.DEFAULTS, trusted_networks=['192.0.2.0/24', '2001:db8::/32'])
UNKNOWN = dict((name, None) for name in model.OPTIONS)
FAIL2BAN_ROOT = role_files.unpacked_root('fail2ban')
PACKAGES = os.path.join(FAIL2BAN_ROOT or '', 'usr', 'lib', 'python3', 'dist-packages')
# CI unpacks fail2ban (scripts/test unit); elsewhere these tests wait until it is there.
pytestmark = pytest.mark.skipif(FAIL2BAN_ROOT is None and not os.environ.get('CI'),
                                reason='fail2ban is not unpacked: run scripts/test unit')


@pytest.fixture(scope='module')
def config_dir(tmp_path_factory):
    """Debian's /etc/fail2ban with the role's filter and base file and the module's default jail."""
    target = str(tmp_path_factory.mktemp('f2b') / 'fail2ban')
    shutil.copytree(os.path.join(FAIL2BAN_ROOT, 'etc', 'fail2ban'), target)
    shutil.copy(FILTER, os.path.join(target, 'filter.d', 'mailroom-login.conf'))
    with open(os.path.join(target, 'jail.d', '00-mailroom-base.local'), 'w') as handle:
        handle.write('[sshd]\nbackend = systemd\n')
    with open(os.path.join(target, 'jail.d', 'mailroom-login_protection.local'), 'w') as handle:
        handle.write(model.render(SETTINGS))
    return target


@pytest.fixture(scope='module')
def engine(config_dir):
    """(journalmatch, [regex]) of the filter as fail2ban reads it for the journal backend."""
    sys.path.insert(0, PACKAGES)
    try:
        from fail2ban.client.filterreader import FilterReader
        from fail2ban.server.failregex import FailRegex
        reader = FilterReader(model.FILTER, model.JAIL, {'logtype': 'journal'}, basedir=config_dir)
        assert reader.read()
        reader.getOptions({})
        commands = reader.convert()
        regexes = [FailRegex(regex) for command in commands if command[2] == 'addfailregex' for regex in command[3]]
        journalmatch = [command[3:] for command in commands if command[2] == 'addjournalmatch']
        yield journalmatch, regexes
    finally:
        sys.path.remove(PACKAGES)


def hosts(regexes, line):
    """The addresses fail2ban would count a failure against for one journal line."""
    found = []
    for regex in regexes:
        regex.search([(line, '', '')])
        if regex.hasMatched():
            found.append(str(regex.getIP()))
    return found


@pytest.mark.parametrize('line, address', [
    # Postfix 3.7 (Debian 12) and 3.10 (Debian 13): submission, smtps and the plain smtpd service.
    ('mx1 postfix/submission/smtpd[1234]: warning: unknown[192.0.2.1]: SASL LOGIN authentication failed: '
     'UGFzc3dvcmQ6', '192.0.2.1'),
    ('mx1 postfix/smtps/smtpd[1234]: warning: client.example.net[198.51.100.7]: SASL PLAIN authentication failed: ',
     '198.51.100.7'),
    ('mx1 postfix/smtpd[99]: warning: unknown[2001:db8::5]: SASL PLAIN authentication failed: authentication failure',
     '2001:db8::5'),
    ('mx1 postfix/submission/smtpd[7]: warning: unknown[192.0.2.11]:51234: SASL LOGIN authentication failed: '
     'UGFzc3dvcmQ6, sasl_username=alice', '192.0.2.11'),
    # Dovecot 2.3 (Debian 12), through syslog as "dovecot".
    ('mx1 dovecot[77]: imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<alice>, method=PLAIN, '
     'rip=192.0.2.2, lip=192.0.2.10, TLS, session=<abcDEF12>', '192.0.2.2'),
    ('mx1 dovecot[77]: pop3-login: Aborted login (auth failed, 3 attempts in 10 secs): user=<bob>, method=PLAIN, '
     'rip=192.0.2.3, lip=192.0.2.10, TLS, session=<x>', '192.0.2.3'),
    ('mx1 dovecot[77]: imap-login: Disconnected: Inactivity during authentication (auth failed, 1 attempts in '
     '180 secs): user=<carol>, method=PLAIN, rip=192.0.2.12, lip=192.0.2.10, TLS', '192.0.2.12'),
    # Dovecot 2.4 (Debian 13): the line fail2ban 1.1.0's stock filter misses.
    ('mx1 dovecot[77]: imap-login: Login aborted: Logged out (auth failed, 1 attempts in 2 secs) (auth_failed): '
     'user=<carol>, method=PLAIN, rip=192.0.2.4, lip=192.0.2.10, TLS, session=<s>', '192.0.2.4'),
    ('mx1 imap-login[88]: Login aborted: Logged out (auth failed, 2 attempts) (auth_failed): '
     'user=<dave@example.com>, method=PLAIN, rip=2001:db8::6, lip=2001:db8::1', '2001:db8::6'),
    ('mx1 dovecot[77]: pop3-login: Login aborted: Connection closed (auth failed, 1 attempts in 4 secs) '
     '(auth_failed): user=<erin>, method=PLAIN, rip=192.0.2.13, lip=192.0.2.10, TLS, session=<t>', '192.0.2.13'),
    # Roundcube 1.6 through syslog as "roundcube", with and without log_session_id.
    ('mx1 roundcube[55]: Failed login for alice from 192.0.2.5 in session 0123456789abcdef (error: 0)', '192.0.2.5'),
    ('mx1 roundcube[55]: <0123abcd> Failed login for bob@example.com from 198.51.100.8 in session 0123abcd '
     '(error: 0)', '198.51.100.8'),
    ('mx1 roundcube[55]: Failed login for x from 2001:db8::7 in session 0123 (error: -1)', '2001:db8::7'),
])
def test_failed_logins_count_against_the_client(engine, line, address):
    assert hosts(engine[1], line) == [address]


@pytest.mark.parametrize('line', [
    # What a guesser controls - the user name - names another address: the daemon's own one counts.
    'mx1 roundcube[55]: Failed login for x from 203.0.113.9 in session deadbeef (error: 0) from 192.0.2.66 in '
    'session 0123abcd (error: 0)',
    'mx1 dovecot[77]: imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<x>, method=PLAIN, '
    'rip=203.0.113.9, lip=1.1.1.1, TLS, session=<a>, method=PLAIN, rip=192.0.2.66, lip=192.0.2.10, TLS, session=<b>',
    'mx1 dovecot[77]: imap-login: Login aborted: Logged out (auth failed, 1 attempts in 2 secs) (auth_failed): '
    'user=<x>, rip=203.0.113.9, lip=1.1.1.1>, method=PLAIN, rip=192.0.2.66, lip=192.0.2.10, TLS',
])
def test_an_address_in_a_user_name_is_not_banned(engine, line):
    assert hosts(engine[1], line) == ['192.0.2.66']


@pytest.mark.parametrize('line', [
    'mx1 dovecot[77]: imap-login: Login aborted: Logged out (no auth attempts in 0 secs) (no_auth_attempts): '
    'user=<>, rip=192.0.2.99, lip=192.0.2.10',
    'mx1 dovecot[77]: imap-login: Login: user=<alice>, method=PLAIN, rip=192.0.2.98, lip=192.0.2.10, mpid=1, TLS',
    'mx1 postfix/smtpd[99]: warning: unknown[192.0.2.97]: SASL LOGIN authentication failed: Connection lost to '
    'authentication server',
    'mx1 postfix/smtpd[99]: connect from unknown[192.0.2.95]',
    'mx1 postfix/smtpd[99]: NOQUEUE: reject: RCPT from unknown[192.0.2.94]: 554 5.7.1 Relay access denied',
    'mx1 roundcube[55]: Successful login for alice (ID: 1) from 192.0.2.96 in session 0123 (error: 0)',
    'mx1 roundcube[55]: IMAP Error: Login failed for alice against localhost from 192.0.2.93. AUTHENTICATE PLAIN: '
    'Authentication failed. in /usr/share/roundcube/program/lib/Roundcube/rcube_imap.php on line 211',
])
def test_other_lines_count_nothing(engine, line):
    assert hosts(engine[1], line) == []


def test_the_journal_of_both_postfix_units_dovecot_and_roundcube_is_read(engine):
    assert engine[0] == [['_SYSTEMD_UNIT=postfix.service', '+', '_SYSTEMD_UNIT=postfix@-.service', '+',
                          '_SYSTEMD_UNIT=dovecot.service', '+', 'SYSLOG_IDENTIFIER=roundcube', '_UID=33']]


def client(config_dir, *args):
    environment = dict(os.environ, PYTHONPATH=PACKAGES)
    return subprocess.run([sys.executable, os.path.join(FAIL2BAN_ROOT, 'usr', 'bin', 'fail2ban-client'),
                           '-c', config_dir] + list(args), env=environment, capture_output=True, text=True,
                          check=False)


def test_fail2ban_accepts_the_role_and_module_files_and_bans_on_every_port(config_dir):
    done = client(config_dir, '--test')
    assert done.returncode == 0, done.stderr
    dumped = client(config_dir, '-d').stdout
    assert "['set', 'mailroom-login', 'addignoreip', '127.0.0.0/8', '::1', '192.0.2.0/24', '2001:db8::/32']" in dumped
    assert "['add', 'mailroom-login', 'systemd']" in dumped
    assert "['port', '25,465,587,110,143,993,995,80,443']" in dumped
    assert "['set', 'mailroom-login', 'maxretry', 5]" in dumped


def test_the_module_reads_fail2bans_own_dump_back_as_its_settings(config_dir, tmp_path):
    jails = fail2ban_config.parse_dump(client(config_dir, '-d').stdout)
    assert model.effective(model.parse(model.render(SETTINGS)), jails.get(model.JAIL)) == SETTINGS
    # jail.local is read before jail.d/*.local: it cannot override the module's file.
    overridden = str(tmp_path / 'overridden')
    shutil.copytree(config_dir, overridden)
    with open(os.path.join(overridden, 'jail.local'), 'w') as handle:
        handle.write('[mailroom-login]\nmaxretry = 9\n')
    jails = fail2ban_config.parse_dump(client(overridden, '-d').stdout)
    assert model.effective(SETTINGS, jails.get(model.JAIL)) == SETTINGS
    # A jail.d file sorting after it can: what fail2ban makes of it is what reads back.
    later = os.path.join(overridden, 'jail.d', 'zz-admin.local')
    for text, expected in (('[mailroom-login]\nmaxretry = 9\n', dict(SETTINGS, max_failures=9)),
                           ('[mailroom-login]\nbantime = 1h\n', dict(UNKNOWN, enabled=True)),
                           ('[mailroom-login]\nenabled = false\n', dict(SETTINGS, enabled=False))):
        with open(later, 'w') as handle:
            handle.write(text)
        jails = fail2ban_config.parse_dump(client(overridden, '-d').stdout)
        assert model.effective(SETTINGS, jails.get(model.JAIL)) == expected


def test_fail2ban_test_refuses_a_broken_jail(config_dir, tmp_path):
    broken = str(tmp_path / 'broken')
    shutil.copytree(config_dir, broken)
    path = os.path.join(broken, 'jail.d', 'mailroom-login_protection.local')
    with open(path) as handle:
        text = handle.read()
    with open(path, 'w') as handle:
        handle.write(text.replace('filter = mailroom-login', 'filter = mailroom-missing'))
    done = client(broken, '--test')
    assert done.returncode != 0 and 'mailroom-missing' in done.stderr
