# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.mailroom.server.plugins.module_utils._dovecot import config as _dovecot
from ansible_collections.mailroom.server.plugins.module_utils._areas import full_text_search as _full_text_search
from ansible_collections.mailroom.server.plugins.module_utils._areas import mailbox_sharing as _mailbox_sharing
from ansible_collections.mailroom.server.plugins.module_utils._areas import registry
from ansible_collections.mailroom.server.plugins.module_utils._engine.area import DOVECOT, WEBMAIL
from ansible_collections.mailroom.server.plugins.module_utils._engine.runner import SettingsError, State

# What `doveconf -n` prints for the imap role's base (the parts this area reads).
BASE = {
    '2.3': """mail_plugins = mailroom_delivery acl
namespace inbox {
  inbox = yes
}
namespace shared {
  prefix = shared/%%u/
  type = shared
}
plugin {
  acl = vfile
}
""",
    '2.4': """mail_plugins {
  mailroom_delivery = yes
  acl = yes
}
namespace inbox {
  inbox = yes
}
namespace shared {
  prefix = shared/$user/
  type = shared
}
""",
}
# 2.3's doveconf prints a section's list with $mail_plugins expanded.
SHARING_ON = {
    '2.3': 'protocol imap {\n  mail_plugins = mailroom_delivery acl imap_acl\n}\n',
    '2.4': 'protocol imap {\n  mail_plugins {\n    imap_acl = yes\n  }\n}\n',
}
DIALECTS = ['2.3', '2.4']
ROUNDCUBE_ON = {'plugins': ['archive', 'acl']}
ROUNDCUBE_OFF = {'plugins': ['archive']}


def state(text, dialect, webmail=None):
    return State(dovecot=_dovecot.parse_config(text), dialect=dialect, webmail=webmail)


@pytest.mark.parametrize('dialect', DIALECTS)
def test_the_base_does_not_let_users_share(dialect):
    assert _mailbox_sharing.read(state(BASE[dialect], dialect, ROUNDCUBE_OFF)) == {'enabled': False}


@pytest.mark.parametrize('dialect', DIALECTS)
def test_enabled_needs_the_imap_commands_and_the_webmail_page(dialect):
    on = BASE[dialect] + SHARING_ON[dialect]
    assert _mailbox_sharing.read(state(on, dialect, ROUNDCUBE_ON)) == {'enabled': True}


@pytest.mark.parametrize('dialect', DIALECTS)
def test_imap_and_webmail_disagreeing_is_neither(dialect):
    # Neither value may read as current, or asking for it would leave the other half as it is.
    on = BASE[dialect] + SHARING_ON[dialect]
    assert _mailbox_sharing.read(state(on, dialect, ROUNDCUBE_OFF)) == {'enabled': None}
    assert _mailbox_sharing.read(state(BASE[dialect], dialect, ROUNDCUBE_ON)) == {'enabled': None}


@pytest.mark.parametrize('dialect', DIALECTS)
def test_without_the_webmail_imap_decides(dialect):
    assert _mailbox_sharing.read(state(BASE[dialect] + SHARING_ON[dialect], dialect)) == {'enabled': True}
    assert _mailbox_sharing.read(state(BASE[dialect], dialect)) == {'enabled': False}


def test_the_global_plugin_list_is_not_the_imap_commands():
    # imap_acl among the global plugins would fail every other protocol; only IMAP's list counts.
    text = BASE['2.3'].replace('mailroom_delivery acl', 'acl imap_acl')
    assert _mailbox_sharing.read(state(text, '2.3', ROUNDCUBE_ON)) == {'enabled': None}


@pytest.mark.parametrize('dialect', DIALECTS)
@pytest.mark.parametrize('enabled', [True, False])
def test_render_reads_back_as_the_setting(dialect, enabled):
    text = BASE[dialect] + _mailbox_sharing.render({'enabled': enabled}, dialect)
    webmail = ROUNDCUBE_ON if _mailbox_sharing.webmail_edit({'enabled': enabled}) else ROUNDCUBE_OFF
    assert _mailbox_sharing.read(state(text, dialect, webmail)) == {'enabled': enabled}


def test_render_23_keeps_the_global_plugins_in_imaps_list():
    # 2.3 replaces a section's list: without $mail_plugins IMAP would lose acl (and search).
    parsed = _dovecot.parse_config(_mailbox_sharing.render({'enabled': True}, '2.3'))
    assert parsed['protocol imap']['mail_plugins'] == '$mail_plugins imap_acl'


@pytest.mark.parametrize('dialect', DIALECTS)
@pytest.mark.parametrize('enabled', [True, False])
def test_the_acl_plugin_is_never_touched(dialect, enabled):
    # Without acl every shared namespace would show every user's mail: only the base sets it.
    parsed = _dovecot.parse_config(_mailbox_sharing.render({'enabled': enabled}, dialect))
    assert 'mail_plugins' not in parsed
    assert 'acl' not in _mailbox_sharing.imap_plugins(parsed)


@pytest.mark.parametrize('dialect', DIALECTS)
def test_disabled_renders_no_setting(dialect):
    assert _dovecot.parse_config(_mailbox_sharing.render({'enabled': False}, dialect)) == {}


@pytest.mark.parametrize('dialect', DIALECTS)
@pytest.mark.parametrize('search', [True, False])
@pytest.mark.parametrize('sharing', [True, False])
def test_full_text_search_and_sharing_compose(dialect, search, sharing):
    # Both areas' files in Dovecot's include order (full_text_search.conf sorts first).
    text = (BASE[dialect] + _full_text_search.render({'enabled': search, 'cjk': False}, dialect)
            + _mailbox_sharing.render({'enabled': sharing}, dialect))
    webmail = ROUNDCUBE_ON if sharing else ROUNDCUBE_OFF
    composed = state(text, dialect, webmail)
    assert _mailbox_sharing.read(composed) == {'enabled': sharing}
    assert _full_text_search.read(composed)['enabled'] is search


@pytest.mark.parametrize('dialect', DIALECTS)
def test_plan_edits_dovecot_and_the_webmail_and_reloads_both(dialect):
    on = _mailbox_sharing.plan({'enabled': True}, state(BASE[dialect], dialect, ROUNDCUBE_OFF))
    assert on.edits[DOVECOT] == _mailbox_sharing.render({'enabled': True}, dialect)
    assert on.edits[WEBMAIL] == [('plugins', ['acl'])]
    assert on.actions == {DOVECOT: 'reload', WEBMAIL: 'reload'}
    off = _mailbox_sharing.plan({'enabled': False}, state(BASE[dialect], dialect, ROUNDCUBE_ON))
    assert off.edits[WEBMAIL] == []
    assert off.actions == {DOVECOT: 'reload', WEBMAIL: 'reload'}


def test_desired_merges_the_given_option_only():
    current = {'enabled': True}
    assert _mailbox_sharing.desired(current, {'enabled': None}, state(BASE['2.3'], '2.3')) == {'enabled': True}
    assert _mailbox_sharing.desired(current, {'enabled': False}, state(BASE['2.3'], '2.3')) == {'enabled': False}


@pytest.mark.parametrize('dialect', DIALECTS)
def test_enabling_on_a_base_without_the_acl_plugin_is_refused(dialect):
    text = BASE[dialect].replace('mailroom_delivery acl', 'mailroom_delivery').replace('  acl = yes\n', '')
    with pytest.raises(SettingsError, match='acl plugin.*apply the mailroom.server.imap role'):
        _mailbox_sharing.desired({'enabled': False}, {'enabled': True}, state(text, dialect))


@pytest.mark.parametrize('dialect', DIALECTS)
def test_enabling_without_a_shared_namespace_is_refused(dialect):
    text = BASE[dialect].replace('  type = shared\n', '  type = public\n')
    with pytest.raises(SettingsError, match='shared namespace'):
        _mailbox_sharing.desired({'enabled': False}, {'enabled': True}, state(text, dialect))


def test_disabling_works_on_any_base():
    assert _mailbox_sharing.desired({'enabled': True}, {'enabled': False}, state('', '2.3')) == {'enabled': False}


def test_registered_among_every_area():
    assert registry.MAILBOX_SHARING.name == 'mailbox_sharing'
    assert registry.MAILBOX_SHARING in registry.ALL
    assert registry.MAILBOX_SHARING.daemons == (DOVECOT, WEBMAIL)
