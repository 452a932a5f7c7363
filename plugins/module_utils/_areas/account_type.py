# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The account type area (Postfix and Dovecot): who may use mail, and where their mail is kept.

* ``local`` - system users (uid range of the imap role); PAM checks passwords; mail in ~/Maildir.
* ``ldap`` - inetOrgPerson entries of an OpenLDAP directory, by ``uid``.
* ``domain`` - enabled people of an Active Directory domain, by ``sAMAccountName``.

Directory users' mail is kept under /var/vmail/<type>/<login>/Maildir, owned by the vmail user,
so one type's mail is never another type's. Postfix accepts a recipient only if the account
type's lookup finds it (passwd and aliases, or the directory); Dovecot authenticates by binding
as the user. The directory settings live in /etc/mailroom/accounts.json (mode 0600) and are
rendered into /etc/postfix/mailroom-directory-recipients.cf and, for Dovecot 2.3,
/etc/dovecot/mailroom-<type>-{passdb,userdb}.conf.ext.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import pwd

from ansible_collections.mailroom.server.plugins.module_utils._operations import account_migration as _account_migration
from ansible_collections.mailroom.server.plugins.module_utils._engine import activation
from ansible_collections.mailroom.server.plugins.module_utils._operations import directory as _directory
from ansible_collections.mailroom.server.plugins.module_utils._dovecot import config as _dovecot
from ansible_collections.mailroom.server.plugins.module_utils._engine import atomic_file
from ansible_collections.mailroom.server.plugins.module_utils._engine.area import DOVECOT, POSTFIX, FollowUp, ManagedFile, Plan
from ansible_collections.mailroom.server.plugins.module_utils._engine.errors import SettingsError
from ansible_collections.mailroom.server.plugins.module_utils._operations.directory import DOMAIN, LDAP, LOCAL

NAME = 'accounts'
DAEMONS = (POSTFIX, DOVECOT)
OPTIONS = ('account_type', 'directory')
DIRECTORY_SPEC = dict(
    uri=dict(type='str'),
    base_dn=dict(type='str'),
    bind_dn=dict(type='str'),
    bind_password=dict(type='str', no_log=True),
    user_filter=dict(type='str'),
    starttls=dict(type='bool'),
    ca_file=dict(type='path'),
)
ARGUMENT_SPEC = dict(
    account_type=dict(type='str', choices=list(_directory.ACCOUNT_TYPES)),
    directory=dict(type='dict', options=DIRECTORY_SPEC),
    migrate_mail=dict(type='bool', default=False),
)

STATE_FILE = '/etc/mailroom/accounts.json'
POSTFIX_TABLE = '/etc/postfix/mailroom-directory-recipients.cf'
# per type and database: the type shows in Dovecot's own configuration
DOVECOT_ARGS = '/etc/dovecot/mailroom-%s-%s.conf.ext'
VMAIL_ROOT = _account_migration.VMAIL_ROOT
# the mta role's table of users in the local uid range (rebuilt when /etc/passwd changes)
LOCAL_RECIPIENTS = 'hash:/etc/postfix/mailroom-local-recipients $alias_maps'
DIRECTORY_RECIPIENTS = 'proxy:ldap:%s $alias_maps' % POSTFIX_TABLE
MASK = '********'


def facts():
    """The stored directory settings and the vmail user's (uid, gid), if it exists."""
    try:
        entry = pwd.getpwnam('vmail')
        vmail = (entry.pw_uid, entry.pw_gid)
    except KeyError:
        vmail = None
    return {'accounts_state': load_state(atomic_file.read_text(STATE_FILE)), 'vmail': vmail}


def load_state(text):
    """The stored state file ({} when absent or unreadable as JSON)."""
    try:
        data = json.loads(text) if text else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def configured_type(config, dialect):
    """The account type Dovecot's effective configuration authenticates against."""
    if dialect == _dovecot.DIALECT_24:
        home = _dovecot.lookup(config, 'userdb ldap', 'fields', 'home') or ''
        if 'passdb ldap' not in config:
            return LOCAL
    else:
        passdb = config.get('passdb') if isinstance(config.get('passdb'), dict) else {}
        if passdb.get('driver') != 'ldap':
            return LOCAL
        home = passdb.get('args') or ''
    for account_type in (DOMAIN, LDAP):
        if '/%s/' % account_type in home or '-%s-' % account_type in home:
            return account_type
    return LDAP


def read(state):
    """Current settings; the password stays inside (public() masks it for results)."""
    account_type = configured_type(state.dovecot, state.dialect)
    directory = None
    if account_type != LOCAL:
        stored = state.facts.get('accounts_state', {})
        if stored.get('account_type') == account_type:
            directory = stored.get('directory') or None
    return {'account_type': account_type, 'directory': directory}


def read_staged(staged, wanted):
    """What a staged configuration gives: the type from Dovecot's configuration; the directory
    settings are in files only this module writes."""
    account_type = configured_type(staged.dovecot, staged.dialect)
    return {'account_type': account_type,
            'directory': wanted['directory'] if account_type == wanted['account_type'] else None}


def public(settings):
    """The settings with the bind password masked."""
    result = dict(settings)
    if result.get('directory'):
        result['directory'] = dict(result['directory'], bind_password=MASK)
    return result


def desired(current, options, state):
    account_type = options.get('account_type') or current['account_type']
    given = options.get('directory')
    if given and given.get('bind_password') == MASK:
        # settings_info's masked password, fed back: the password stays as it is.
        given = dict(given, bind_password=None)
    if options.get('migrate_mail') and account_type == LOCAL and current['account_type'] != LOCAL:
        raise SettingsError(
            'migrate_mail moves mail from local accounts into a directory, or between directories; '
            'moving directory mail into system accounts is not supported (it stays in %s/%s)'
            % (VMAIL_ROOT, current['account_type']))
    if account_type == LOCAL:
        if given and any(value is not None for value in given.values()):
            raise SettingsError('directory settings apply to account_type ldap and domain, not local')
        return {'account_type': LOCAL, 'directory': None}
    if not state.facts.get('vmail'):
        raise SettingsError('account_type %s keeps mail as the vmail user, which does not exist: '
                            'apply the mailroom.server.imap role first' % account_type)
    same_type = current['account_type'] == account_type
    try:
        directory = _directory.normalise(account_type, given, current['directory'] if same_type else None)
    except ValueError as exc:
        raise SettingsError(str(exc))
    return {'account_type': account_type, 'directory': directory}


def local_uids(state):
    """The uid range of local accounts (last 0: no upper limit): the imap role's, as Dovecot has
    it while the type is local, and as stored when the module switched away from local."""
    config = state.dovecot
    if read(state)['account_type'] == LOCAL and config.get('first_valid_uid'):
        return int(config['first_valid_uid']), int(config.get('last_valid_uid') or 0)
    stored = state.facts.get('accounts_state', {}).get('local_uids')
    if not stored:
        raise SettingsError('the uid range of local accounts is unknown (Dovecot has no first_valid_uid '
                            'and %s none): apply the mailroom.server.imap role first' % STATE_FILE)
    return tuple(stored)


def plan(wanted, state):
    """Recipient table, passdb/userdb and the state file.

    Postfix takes them on a reload. Dovecot needs a restart: its master sets the environment the
    LDAP library reads (CA file, no referrals) only when it starts.
    """
    account_type = wanted['account_type']
    uids = local_uids(state)
    stored = {'account_type': account_type, 'directory': wanted['directory'], 'local_uids': list(uids)}
    files = [ManagedFile(STATE_FILE, json.dumps(stored, indent=1, sort_keys=True) + '\n', DOVECOT)]
    if account_type == LOCAL:
        parameters = {'local_recipient_maps': LOCAL_RECIPIENTS}
    else:
        parameters = {'local_recipient_maps': DIRECTORY_RECIPIENTS}
        files.append(ManagedFile(POSTFIX_TABLE, render_postfix_table(account_type, wanted['directory']),
                                 POSTFIX, mode=0o640, group='postfix'))
        if state.dialect == _dovecot.DIALECT_23:
            for role in ('passdb', 'userdb'):
                files.append(ManagedFile(DOVECOT_ARGS % (account_type, role),
                                         render_dovecot_args(account_type, wanted['directory']), DOVECOT))
    text = render_dovecot(wanted, state.dialect, uids, state.facts.get('vmail'))
    return Plan(postfix_parameters=parameters, dovecot_text=text, files=files,
                postfix_action=activation.RELOAD, dovecot_action=activation.RESTART)


def render_postfix_table(account_type, directory):
    """ldap_table(5) for local_recipient_maps: the local part is a login or the address a user's."""
    lines = [
        '# Managed by mailroom.server.smtp (account_type %s): recipients Postfix accepts.' % account_type,
        'server_host = %s' % directory['uri'],
        'version = 3',
        'start_tls = %s' % ('yes' if directory['starttls'] else 'no'),
        'tls_require_cert = yes',
    ]
    if directory.get('ca_file'):
        lines.append('tls_ca_cert_file = %s' % directory['ca_file'])
    lines += [
        'bind = yes',
        'bind_dn = %s' % directory['bind_dn'],
        'bind_pw = %s' % directory['bind_password'],
        'search_base = %s' % directory['base_dn'],
        'scope = sub',
        # Referrals (AD's continuation references) would send the lookup to other servers.
        'chase_referrals = no',
        'timeout = 10',
        'query_filter = %s' % _directory.recipient_filter(account_type, directory),
        'result_attribute = %s' % _directory.FLAVOURS[account_type].login_attribute,
    ]
    return '\n'.join(lines) + '\n'


def render_dovecot_args(account_type, directory):
    """Dovecot 2.3 LDAP args file: auth binds as the user, userdb with the vmail store."""
    login = _directory.login_filter(account_type, directory, '%n')
    flavour = _directory.FLAVOURS[account_type]
    lines = [
        '# Managed by mailroom.server.smtp (account_type %s).' % account_type,
        'uris = %s' % directory['uri'],
        'tls = %s' % ('yes' if directory['starttls'] else 'no'),
        'tls_require_cert = demand',
    ]
    if directory.get('ca_file'):
        lines.append('tls_ca_cert_file = %s' % directory['ca_file'])
    lines += [
        'dn = %s' % directory['bind_dn'],
        'dnpass = %s' % directory['bind_password'],
        'auth_bind = yes',
        'ldap_version = 3',
        'base = %s' % directory['base_dn'],
        'scope = subtree',
        'deref = never',
        'pass_filter = %s' % login,
        'user_filter = %s' % login,
        'user_attrs = =uid=vmail,=gid=vmail,=home=%s/%s/%%n' % (VMAIL_ROOT, account_type),
        'iterate_filter = %s' % directory['user_filter'],
        'iterate_attrs = %s=user' % flavour.login_attribute,
    ]
    return '\n'.join(lines) + '\n'


def render_dovecot(settings, dialect, uids, vmail):
    """mailroom.d/accounts.conf: passdb, userdb and which uids may own mail."""
    account_type, directory = settings['account_type'], settings['directory']
    entries = []
    if account_type == LOCAL:
        entries += [('first_valid_uid', str(uids[0])), ('last_valid_uid', str(uids[1]))]
        if dialect == _dovecot.DIALECT_24:
            entries += [('passdb pam', []), ('userdb passwd', [])]
        else:
            entries += [('passdb', [('driver', 'pam')]), ('userdb', [('driver', 'passwd')])]
    else:
        # Only the vmail user owns mail: no system account can be reached through this type.
        entries += [('first_valid_uid', str(vmail[0])), ('last_valid_uid', str(vmail[0]))]
        if dialect == _dovecot.DIALECT_24:
            login = _directory.login_filter(account_type, directory, '%{user|username}')
            attribute = _directory.FLAVOURS[account_type].login_attribute
            entries += [
                ('ldap_uris', directory['uri']),
                ('ldap_starttls', 'yes' if directory['starttls'] else 'no'),
                ('ldap_auth_dn', directory['bind_dn']),
                ('ldap_auth_dn_password', directory['bind_password']),
                ('ldap_base', directory['base_dn']),
                ('ldap_deref', 'never'),
                ('import_environment', _directory.ldap_environment(directory)),
                ('passdb ldap', [('bind', 'yes'), ('filter', login)]),
                ('userdb ldap', [
                    ('filter', login),
                    ('iterate_filter', directory['user_filter']),
                    ('iterate_fields', [('user', '%%{ldap:%s}' % attribute)]),
                    ('fields', [('uid', 'vmail'), ('gid', 'vmail'),
                                ('home', '%s/%s/%%{user|username}' % (VMAIL_ROOT, account_type))]),
                ]),
            ]
        else:
            environment = ' '.join('%s=%s' % pair for pair in _directory.ldap_environment(directory))
            entries += [
                ('import_environment', '$import_environment ' + environment),
                ('passdb', [('driver', 'ldap'), ('args', DOVECOT_ARGS % (account_type, 'passdb'))]),
                ('userdb', [('driver', 'ldap'), ('args', DOVECOT_ARGS % (account_type, 'userdb'))]),
            ]
    return _dovecot.render(entries, header=(
        'Managed by mailroom.server.smtp: the account type (%s).\n'
        'Changes made here by hand are replaced on its next change.' % account_type))


def preflight(host, current, wanted, state):
    """Prove the directory works - connect, bind, look one user up - before anything changes."""
    if wanted['account_type'] == LOCAL or wanted == current:
        return {}
    return {'directory_user_found': _directory.probe(host, wanted['account_type'], wanted['directory'])}


def follow_up(host, current, wanted, state, outcome):
    """Move mail to the new accounts when asked (migrate_mail), once the new type is live."""
    if not outcome['options'].get('migrate_mail') or wanted['account_type'] == LOCAL:
        return FollowUp()
    candidates = _account_migration.sources(wanted['account_type'], local_uids(state))
    if host.check_mode:
        return FollowUp({'migration': {'would_check': [user for user, _source, _type in candidates]}})
    if current['account_type'] != wanted['account_type'] and \
            outcome['activation'].get(DOVECOT) in (None, 'none'):
        return FollowUp({'migration': {'pending': 'the new account type is not live yet (activate: false); '
                                                  'run the module again after reloading Dovecot'}})
    migration = _account_migration.Migration(host, wanted['account_type'], state.facts['vmail'])
    moved = migration.run(candidates)
    failure = None
    if moved['failed']:
        failure = ('mail of %d users could not be migrated (their mail stays where it was): %s'
                   % (len(moved['failed']), '; '.join('%s: %s' % item for item in sorted(moved['failed'].items()))))
    return FollowUp({'migration': moved}, changed=bool(moved['migrated']), failure=failure)
