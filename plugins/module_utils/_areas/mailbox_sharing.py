# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mailbox sharing settings area (Dovecot and the webmail): may users share folders?

Option: enabled. The imap role lays down what sharing stands on, whatever this setting says: the
ACL plugin in every mail process, the shared namespace (shared/<owner>/<folder>) and the map of
who shared what. Enabled adds Dovecot's IMAP ACL commands (SETACL, GETACL, MYRIGHTS...; the
imap_acl plugin) and Roundcube's sharing page (its acl plugin). Disabled removes both: nobody can
give new rights, while the rights already given stay in force (the ACL plugin still reads them),
so shared folders stay readable to those they were shared with and to nobody else.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.mailroom.server.plugins.module_utils._engine import activation
from ansible_collections.mailroom.server.plugins.module_utils._dovecot import config as _dovecot
from ansible_collections.mailroom.server.plugins.module_utils._engine.area import DOVECOT, WEBMAIL, Plan
from ansible_collections.mailroom.server.plugins.module_utils._engine.errors import SettingsError

NAME = 'mailbox_sharing'
DAEMONS = (DOVECOT, WEBMAIL)
OPTIONS = ('enabled',)
ARGUMENT_SPEC = dict(
    enabled=dict(type='bool'),
)

# Dovecot's plugin answering the IMAP ACL commands (RFC 4314), and the one it needs loaded in
# every mail process, which enforces the rights (the base's: never removed here).
IMAP_ACL_PLUGIN = 'imap_acl'
ACL_PLUGIN = 'acl'
# Roundcube's plugin: the "Sharing" tab of a folder's properties.
WEBMAIL_PLUGIN = 'acl'


def imap_plugins(config):
    """The plugins `protocol imap` names itself (2.3 prints its whole expanded list there, 2.4 only
    the ones it adds to the global list)."""
    return _dovecot.name_list(_dovecot.lookup(config, 'protocol imap', default={}), 'mail_plugins')


def webmail_plugins(webmail):
    """Roundcube's plugins; a host without the webmail has none and nothing to show."""
    plugins = (webmail or {}).get('plugins') or []
    return list(plugins) if isinstance(plugins, (list, tuple)) else []


def read(state):
    """Enabled when IMAP offers the ACL commands and, on a host with the webmail, Roundcube its
    sharing page; disabled when neither does. When they disagree (a change made by hand), None:
    neither value is true, and setting either one converges both."""
    imap = IMAP_ACL_PLUGIN in imap_plugins(state.dovecot)
    if state.webmail is None:
        return {'enabled': imap}
    webmail = WEBMAIL_PLUGIN in webmail_plugins(state.webmail)
    return {'enabled': imap if imap == webmail else None}


def has_shared_namespace(config):
    return any(key.startswith('namespace ') and isinstance(section, dict) and section.get('type') == 'shared'
               for key, section in config.items())


def desired(current, options, state):
    """Merge the given option over the current setting; refuse sharing on a base without the ACL
    plugin or the shared namespace (the IMAP ACL commands would fail every IMAP login, or share
    into nothing)."""
    result = dict(current)
    result.update((name, value) for name, value in options.items()
                  if name in OPTIONS and value is not None)
    if result['enabled']:
        missing = []
        if ACL_PLUGIN not in _dovecot.name_list(state.dovecot, 'mail_plugins'):
            missing.append('the acl plugin in mail_plugins')
        if not has_shared_namespace(state.dovecot):
            missing.append('a shared namespace')
        if missing:
            raise SettingsError('mailbox sharing needs %s in the Dovecot base configuration: apply the '
                                'mailroom.server.imap role first' % ' and '.join(missing))
    return result


def plan(wanted, state):
    """Dovecot's new IMAP processes load imap_acl (or not) after a reload; Roundcube reads its
    configuration on every request, the webmail's reload makes that explicit."""
    return Plan(edits={DOVECOT: render(wanted, state.dialect), WEBMAIL: webmail_edit(wanted)},
                actions={DOVECOT: activation.RELOAD, WEBMAIL: activation.RELOAD})


def webmail_edit(settings):
    """Roundcube configuration pairs: ('plugins', [...]) appends those plugins."""
    return [('plugins', [WEBMAIL_PLUGIN])] if settings['enabled'] else []


def render(settings, dialect):
    """Render the override file that makes Dovecot match `settings`.

    2.3 replaces a list set in a section: `$mail_plugins` keeps the global list (the base's acl,
    full-text search's plugins) in it, expanded where this file is read. The full_text_search
    area's file sorts before this one; a global list changed after it would make doveconf warn,
    which refuses the change. 2.4 adds a section's list to the global one.
    """
    entries = []
    if settings['enabled']:
        if dialect == _dovecot.DIALECT_24:
            entries.append(('protocol imap', [('mail_plugins', [(IMAP_ACL_PLUGIN, 'yes')])]))
        else:
            entries.append(('protocol imap', [('mail_plugins', '$mail_plugins ' + IMAP_ACL_PLUGIN)]))
    return _dovecot.render(entries, header=(
        'Managed by mailroom.server.mailbox_sharing: whether users may share folders.\n'
        'The acl plugin itself (the base, dovecot.conf) stays loaded either way: it keeps enforcing\n'
        'the rights already given. Changes made here by hand are replaced on its next change.'))
