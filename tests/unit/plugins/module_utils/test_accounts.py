# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import json

import pytest

from ansible_collections.mailroom.server.plugins.module_utils._operations import account_migration as _account_migration
from ansible_collections.mailroom.server.plugins.module_utils._areas import account_type as _accounts
from ansible_collections.mailroom.server.plugins.module_utils._operations import directory as _directory
from ansible_collections.mailroom.server.plugins.module_utils._dovecot import config as _dovecot
from ansible_collections.mailroom.server.plugins.module_utils._engine.runner import SettingsError, State

LDAP_DIR = dict(uri='ldap://ldap.example.test', base_dn='dc=example,dc=test',
                bind_dn='cn=admin,dc=example,dc=test', bind_password='secret', ca_file='/etc/ssl/ca.pem')
LOCAL_23 = 'first_valid_uid = 1000\nlast_valid_uid = 60000\npassdb {\n  driver = pam\n}\nuserdb {\n  driver = passwd\n}\n'
LOCAL_24 = 'first_valid_uid = 1000\nlast_valid_uid = 60000\npassdb pam {\n}\nuserdb passwd {\n}\n'


def state(text, dialect, stored=None):
    return State(dovecot=_dovecot.parse_config(text), dialect=dialect,
                 facts={'accounts_state': stored or {}, 'vmail': (999, 997)})


@pytest.mark.parametrize('dialect, text', [('2.3', LOCAL_23), ('2.4', LOCAL_24)])
def test_read_local(dialect, text):
    assert _accounts.read(state(text, dialect)) == {'account_type': 'local', 'directory': None}


@pytest.mark.parametrize('dialect', ['2.3', '2.4'])
@pytest.mark.parametrize('account_type', ['ldap', 'domain'])
def test_rendered_directory_type_reads_back(dialect, account_type):
    directory = _directory.normalise(account_type, LDAP_DIR)
    wanted = {'account_type': account_type, 'directory': directory}
    text = _accounts.render_dovecot(wanted, dialect, (1000, 60000), (999, 997))
    stored = {'account_type': account_type, 'directory': directory}
    assert _accounts.read(state(text, dialect, stored)) == wanted
    assert _accounts.read_staged(state(text, dialect), wanted) == wanted


@pytest.mark.parametrize('dialect', ['2.3', '2.4'])
def test_local_render_reads_back_with_its_uid_range(dialect):
    text = _accounts.render_dovecot({'account_type': 'local', 'directory': None}, dialect, (1500, 50000), None)
    parsed = _dovecot.parse_config(text)
    assert parsed['first_valid_uid'] == '1500' and parsed['last_valid_uid'] == '50000'
    assert _accounts.read(state(text, dialect))['account_type'] == 'local'


def test_directory_types_let_only_vmail_own_mail():
    text = _accounts.render_dovecot({'account_type': 'ldap', 'directory': _directory.normalise('ldap', LDAP_DIR)},
                                    '2.4', (1000, 60000), (999, 997))
    parsed = _dovecot.parse_config(text)
    assert parsed['first_valid_uid'] == parsed['last_valid_uid'] == '999'
    assert parsed['userdb ldap']['fields']['home'] == '/var/vmail/ldap/%{user|username}'
    assert parsed['passdb ldap'] == {'bind': 'yes', 'filter': '(&(objectClass=inetOrgPerson)(uid=%{user|username}))'}
    assert parsed['import_environment']['LDAPREFERRALS'] == 'off'
    assert parsed['import_environment']['LDAPTLS_CACERT'] == '/etc/ssl/ca.pem'


def test_ad_filters_exclude_disabled_accounts_and_computers():
    directory = _directory.normalise('domain', dict(LDAP_DIR, uri='ldaps://dc1.corp.example.test'))
    assert directory['starttls'] is False
    query = _directory.recipient_filter('domain', directory)
    assert '(objectCategory=person)' in query and '1.2.840.113556.1.4.803:=2' in query
    assert query.endswith('(|(sAMAccountName=%u)(mail=%s)(userPrincipalName=%s)))')
    table = _accounts.render_postfix_table('domain', directory)
    assert 'chase_referrals = no\n' in table and 'result_attribute = sAMAccountName\n' in table
    assert 'start_tls = no\n' in table and 'version = 3\n' in table


def test_args_file_23_binds_as_the_user():
    args = _accounts.render_dovecot_args('ldap', _directory.normalise('ldap', LDAP_DIR))
    assert 'auth_bind = yes\n' in args
    assert 'user_attrs = =uid=vmail,=gid=vmail,=home=/var/vmail/ldap/%n\n' in args
    assert 'tls = yes\n' in args and 'tls_ca_cert_file = /etc/ssl/ca.pem\n' in args


@pytest.mark.parametrize('given, message', [
    (dict(LDAP_DIR, uri=None), 'needs directory.uri'),
    (dict(LDAP_DIR, bind_password=None, base_dn=None), 'needs directory.base_dn, directory.bind_password'),
    (dict(LDAP_DIR, uri='http://x'), 'ldap:// or ldaps://'),
    (dict(LDAP_DIR, uri='ldaps://x', starttls=True), 'does not apply to an ldaps'),
    (dict(LDAP_DIR, user_filter='objectClass=person'), 'in parentheses'),
])
def test_bad_directory_settings_are_named(given, message):
    with pytest.raises(SettingsError, match=message):
        _accounts.desired({'account_type': 'local', 'directory': None},
                          {'account_type': 'ldap', 'directory': given}, state(LOCAL_24, '2.4'))


def test_later_runs_may_give_only_what_changes():
    current = {'account_type': 'ldap', 'directory': _directory.normalise('ldap', LDAP_DIR)}
    wanted = _accounts.desired(current, {'account_type': None, 'directory': {'bind_password': 'new'}},
                               state(LOCAL_24, '2.4'))
    assert wanted['directory'] == dict(current['directory'], bind_password='new')


def test_switching_type_does_not_inherit_the_other_directory():
    current = {'account_type': 'ldap', 'directory': _directory.normalise('ldap', LDAP_DIR)}
    with pytest.raises(SettingsError, match='needs directory.uri'):
        _accounts.desired(current, {'account_type': 'domain', 'directory': None}, state(LOCAL_24, '2.4'))


def test_moving_directory_mail_to_local_accounts_is_refused():
    current = {'account_type': 'ldap', 'directory': _directory.normalise('ldap', LDAP_DIR)}
    with pytest.raises(SettingsError, match='not supported'):
        _accounts.desired(current, {'account_type': 'local', 'migrate_mail': True}, state(LOCAL_24, '2.4'))


def test_directory_settings_for_local_are_refused():
    with pytest.raises(SettingsError, match='apply to account_type ldap and domain'):
        _accounts.desired({'account_type': 'local', 'directory': None},
                          {'account_type': 'local', 'directory': {'uri': 'ldap://x'}}, state(LOCAL_24, '2.4'))


def test_without_vmail_a_directory_type_is_refused():
    view = state(LOCAL_24, '2.4')
    view.facts['vmail'] = None
    with pytest.raises(SettingsError, match='vmail'):
        _accounts.desired({'account_type': 'local', 'directory': None},
                          {'account_type': 'ldap', 'directory': LDAP_DIR}, view)


def test_public_masks_the_password():
    shown = _accounts.public({'account_type': 'ldap', 'directory': dict(LDAP_DIR)})
    assert shown['directory']['bind_password'] == '********'


def test_plan_writes_table_args_and_state(tmp_path):
    wanted = {'account_type': 'ldap', 'directory': _directory.normalise('ldap', LDAP_DIR)}
    plan = _accounts.plan(wanted, state(LOCAL_23, '2.3'))
    paths = dict((managed.path, managed) for managed in plan.files)
    assert plan.postfix_parameters == {'local_recipient_maps': _accounts.DIRECTORY_RECIPIENTS}
    assert paths[_accounts.POSTFIX_TABLE].group == 'postfix' and paths[_accounts.POSTFIX_TABLE].mode == 0o640
    assert '/etc/dovecot/mailroom-ldap-passdb.conf.ext' in paths
    stored = json.loads(paths[_accounts.STATE_FILE].text)
    assert stored['local_uids'] == [1000, 60000] and stored['account_type'] == 'ldap'


def test_probe_command_keeps_the_password_off_the_command_line():
    directory = _directory.normalise('domain', dict(LDAP_DIR, uri='ldap://dc1'))
    argv, environment = _directory.probe_command('domain', directory, '/tmp/pw')
    assert 'secret' not in ' '.join(argv) and ['-y', '/tmp/pw'] == argv[argv.index('-y'):argv.index('-y') + 2]
    assert '-ZZ' in argv and environment['LDAPREFERRALS'] == 'off'


def test_parse_probe_reports_the_directorys_words():
    directory = _directory.normalise('ldap', LDAP_DIR)
    assert _directory.parse_probe('ldap', directory, 4, 'dn: uid=alice,dc=x\nuid: alice\n', '') == 'alice'
    with pytest.raises(_directory.DirectoryError, match='Invalid credentials'):
        _directory.parse_probe('ldap', directory, 49, '', 'ldap_bind: Invalid credentials (49)\n')
    with pytest.raises(_directory.DirectoryError, match='holds no user'):
        _directory.parse_probe('ldap', directory, 0, '', '')


Passwd = collections.namedtuple('Passwd', 'pw_name pw_uid pw_dir')


def test_sources_are_local_users_in_range_and_the_other_directory(tmp_path):
    homes = tmp_path / 'home'
    for name in ('alice', 'www', 'dave'):
        (homes / name / 'Maildir' / 'cur').mkdir(parents=True)
    vmail = tmp_path / 'vmail'
    (vmail / 'domain' / 'carol' / 'Maildir' / 'cur').mkdir(parents=True)
    (vmail / 'ldap' / 'erin' / 'Maildir' / 'cur').mkdir(parents=True)
    # An empty ~/Maildir as the imap role creates it for folder sharing: nothing to move.
    (homes / 'fresh' / 'Maildir').mkdir(parents=True)
    users = [Passwd('alice', 1000, str(homes / 'alice')), Passwd('www', 33, str(homes / 'www')),
             Passwd('dave', 1001, str(homes / 'dave')), Passwd('nomail', 1002, str(homes / 'nomail')),
             Passwd('fresh', 1003, str(homes / 'fresh'))]
    found = _account_migration.sources('ldap', (1000, 60000), str(vmail), lambda: users)
    expected = [('alice', 'local'), ('dave', 'local'), ('carol', 'domain')]
    assert [(user, kind) for user, _path, kind in found] == expected
    # Dovecot's last_valid_uid 0 is no upper limit, not an empty range.
    found = _account_migration.sources('ldap', (1000, 0), str(vmail), lambda: users)
    assert [(user, kind) for user, _path, kind in found] == expected
    found = _account_migration.sources('ldap', (1000, 1000), str(vmail), lambda: users)
    assert [user for user, _path, _kind in found] == ['alice', 'carol']


# The directory's certificate is always checked against the CA, and ldap:// always upgrades with
# StartTLS unless turned off: a `never`, an `allow` or a missing StartTLS would let anyone on the
# path answer logins and recipient lookups with a certificate of their own.
@pytest.mark.parametrize('uri, starttls, expected', [
    ('ldap://ldap.example.test', None, True),
    ('ldap://ldap.example.test', False, False),
    ('ldaps://ldap.example.test', None, False),
])
def test_certificate_policy_and_starttls_of_every_rendering(uri, starttls, expected):
    directory = _directory.normalise('ldap', dict(LDAP_DIR, uri=uri, starttls=starttls))
    assert directory['starttls'] is expected
    yes_no = 'yes' if expected else 'no'
    table = _accounts.render_postfix_table('ldap', directory).splitlines()
    assert 'server_host = %s' % uri in table
    assert 'start_tls = %s' % yes_no in table
    assert 'tls_require_cert = yes' in table
    assert 'tls_ca_cert_file = /etc/ssl/ca.pem' in table
    args = _accounts.render_dovecot_args('ldap', directory).splitlines()
    assert 'uris = %s' % uri in args
    assert 'tls = %s' % yes_no in args
    assert 'tls_require_cert = demand' in args
    assert 'tls_ca_cert_file = /etc/ssl/ca.pem' in args
    parsed_24 = _dovecot.parse_config(_accounts.render_dovecot(
        {'account_type': 'ldap', 'directory': directory}, '2.4', (1000, 60000), (999, 997)))
    assert parsed_24['ldap_uris'] == uri and parsed_24['ldap_starttls'] == yes_no
    assert parsed_24['import_environment'] == {
        'LDAPREFERRALS': 'off', 'LDAPTLS_REQCERT': 'demand', 'LDAPTLS_CACERT': '/etc/ssl/ca.pem'}
    parsed_23 = _dovecot.parse_config(_accounts.render_dovecot(
        {'account_type': 'ldap', 'directory': directory}, '2.3', (1000, 60000), (999, 997)))
    assert parsed_23['import_environment'].split() == [
        '$import_environment', 'LDAPREFERRALS=off', 'LDAPTLS_REQCERT=demand', 'LDAPTLS_CACERT=/etc/ssl/ca.pem']
    argv, environment = _directory.probe_command('ldap', directory, '/tmp/pw')
    assert argv[argv.index('-H') + 1] == uri
    assert ('-ZZ' in argv) is expected            # -ZZ: StartTLS must succeed, not merely be tried
    assert '-Z' not in argv
    assert environment == {'LDAPREFERRALS': 'off', 'LDAPTLS_REQCERT': 'demand', 'LDAPTLS_CACERT': '/etc/ssl/ca.pem'}


@pytest.mark.parametrize('before, after, expected', [
    ('ldap://ldap.example.test', 'ldaps://ldap.example.test', False),
    ('ldaps://ldap.example.test', 'ldap://ldap.example.test', True),
    ('ldap://ldap.example.test', 'ldap://other.example.test', True),
])
def test_a_new_uri_scheme_alone_brings_its_own_tls(before, after, expected):
    """A later run that changes only the URI's scheme: StartTLS follows the new scheme, never
    the value derived for the old one (ldaps -> ldap would otherwise bind in cleartext)."""
    current = {'account_type': 'ldap', 'directory': _directory.normalise('ldap', dict(LDAP_DIR, uri=before))}
    wanted = _accounts.desired(current, {'account_type': None, 'directory': {'uri': after}}, state(LOCAL_24, '2.4'))
    assert wanted['directory']['starttls'] is expected


def test_starttls_turned_off_stays_off_while_the_scheme_stays():
    first = _directory.normalise('ldap', dict(LDAP_DIR, starttls=False))
    assert _directory.normalise('ldap', {'bind_password': 'new'}, first)['starttls'] is False
    assert _directory.normalise('ldap', {'uri': 'ldap://other.example.test'}, first)['starttls'] is False


# Every directory setting is written into key = value lines (Postfix's LDAP table, Dovecot's
# settings) and the CA file into a space-separated environment list: a newline would add any
# setting (auth_bind = no, tls_require_cert = never), a space in the CA path another variable.
@pytest.mark.parametrize('name, value', [
    ('uri', 'ldap://ldap.example.test\ntls_require_cert = never'),
    ('base_dn', 'dc=example,dc=test\nauth_bind = no'),
    ('bind_dn', 'cn=mail,dc=example,dc=test\r\nscope = base'),
    ('bind_password', 'secret\nchase_referrals = yes'),
    ('user_filter', '(objectClass=inetOrgPerson)\u2028pass_attrs = x'),
    ('ca_file', '/etc/ssl/ca.pem LDAPTLS_REQCERT=never'),
    ('ca_file', '/etc/ssl/ca.pem\nLDAPTLS_REQCERT=never'),
])
def test_directory_settings_cannot_break_out_of_their_line(name, value):
    with pytest.raises(_directory.SettingsError, match='directory.%s must' % name) as refused:
        _directory.normalise('ldap', dict(LDAP_DIR, **{name: value}))
    if name == 'bind_password':
        assert 'secret' not in str(refused.value)


@pytest.mark.parametrize('uri', [
    'ldap://ldap.example.test',
    'LDAPS://LDAP.Example.Test:636/',
    'ldap://dc1',
    'ldap://192.0.2.10:389',
    'ldap://[2001:db8::10]',
    'ldaps://[2001:db8::10]:636',
])
def test_directory_uri_hosts_that_are_taken(uri):
    assert _directory.normalise('ldap', dict(LDAP_DIR, uri=uri))['uri'] == uri


# The host goes unchanged into Postfix's server_host, Dovecot's uris and ldapsearch -H.
@pytest.mark.parametrize('uri, message', [
    ('ldap://2001:db8::10', r'an IPv6 address goes in brackets \(ldap://\[2001:db8::10\]\)'),
    ('ldap://::1', r'an IPv6 address goes in brackets'),
    ('ldap://[192.0.2.10]', r'\[192.0.2.10\] is not an IPv6 address in brackets'),
    ('ldap://[fe80::1%eth0]', 'is not an IPv6 address in brackets'),
    ('ldap://[::ffff:192.0.2.1', 'must be scheme://host'),
    ('ldap://999.0.0.1', "'999.0.0.1' is neither a host name nor an IP address"),
    ('ldap://192.0.2', 'is neither a host name nor an IP address'),
    ('ldap://ldap_1.example.test', 'is neither a host name nor an IP address'),
    ('ldap://-ldap.example.test', 'is neither a host name nor an IP address'),
    ('ldap://', 'names no host'),
    ('ldap:///', 'names no host'),
    ('ldap://ldap.example.test:0', 'port 0 is out of range'),
    ('ldap://ldap.example.test:65536', 'port 65536 is out of range'),
    ('ldap://ldap.example.test:ldap', 'must be scheme://host'),
    ('ldap://ldap.example.test/dc=example,dc=test', 'must be scheme://host'),
    ('ldap://user@ldap.example.test', "'user@ldap.example.test' is neither a host name"),
    ('ldap://ldap.example.test ldap://other', 'must not contain spaces'),
    ('ldapi:///var/run/slapd/ldapi', 'one ldap:// or ldaps:// URI'),
])
def test_directory_uri_hosts_that_are_refused(uri, message):
    with pytest.raises(SettingsError, match='directory.uri' + '.*' + message):
        _directory.normalise('ldap', dict(LDAP_DIR, uri=uri))
