# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sender name and mail encryption areas: webmail settings and submission policy together."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.mailroom.server.plugins.module_utils._areas import mail_encryption, sender_name
from ansible_collections.mailroom.server.plugins.module_utils._engine.area import WEBMAIL, State
from ansible_collections.mailroom.server.plugins.module_utils._engine.errors import SettingsError
from ansible_collections.mailroom.server.plugins.module_utils._operations import submission_policy


def state(webmail=None, **policies):
    return State(webmail=webmail or {}, facts=dict(('%s_policy' % name, policy) for name, policy in policies.items()))


@pytest.mark.parametrize('level, policy, expected', [
    (3, {}, True),
    (3, {'sender_name': 'any'}, True),
    (4, {'sender_name': 'account'}, False),
    # Half-applied or hand-edited: neither value.
    (4, {}, None),
    (3, {'sender_name': 'account'}, None),
    (None, {}, True),
])
def test_sender_name_reads_webmail_and_policy_together(level, policy, expected):
    current = sender_name.read(state({'identities_level': level}, sender_name=policy))
    assert current == {'allow_change': expected}


def test_sender_name_plans_both_halves():
    plan = sender_name.plan({'allow_change': False}, state())
    assert plan.edits == {WEBMAIL: [('identities_level', 4)]}
    assert plan.actions == {WEBMAIL: 'reload'}
    (policy,) = plan.files
    assert policy.path == submission_policy.path('sender_name')
    assert json.loads(policy.text) == {'sender_name': 'account'}
    assert policy.mode == 0o644
    allowed = sender_name.plan({'allow_change': True}, state())
    assert allowed.edits == {WEBMAIL: [('identities_level', 3)]}
    assert json.loads(allowed.files[0].text) == {'sender_name': 'any'}


def test_sender_name_staged_read_back_sees_a_webmail_override():
    wanted = {'allow_change': False}
    assert sender_name.read_staged(State(webmail={'identities_level': 4}), wanted) == wanted
    # Another file setting identities_level after ours: the webmail would still let users edit.
    assert sender_name.read_staged(State(webmail={'identities_level': 3}), wanted) == {'allow_change': None}


def test_sender_name_desired_keeps_or_defaults():
    assert sender_name.desired({'allow_change': False}, {'allow_change': None}) == {'allow_change': False}
    assert sender_name.desired({'allow_change': None}, {'allow_change': None}) == {'allow_change': True}
    assert sender_name.desired({'allow_change': True}, {'allow_change': False}) == {'allow_change': False}


@pytest.mark.parametrize('plugins, refused, expected', [
    (['enigma', 'mailroom_smime'], [], {'openpgp': True, 'smime': True}),
    ([], ['openpgp', 'smime'], {'openpgp': False, 'smime': False}),
    (['enigma', 'mailroom_smime'], ['openpgp'], {'openpgp': None, 'smime': True}),
    ([], [], {'openpgp': None, 'smime': None}),
    # S/MIME: the plugin without the milter's consent, or the milter's consent without the plugin.
    (['mailroom_smime'], ['openpgp', 'smime'], {'openpgp': False, 'smime': None}),
    ([], ['openpgp'], {'openpgp': False, 'smime': None}),
    (['mailroom_smime'], ['openpgp'], {'openpgp': False, 'smime': True}),
])
def test_mail_encryption_reads_webmail_and_policy_together(plugins, refused, expected):
    current = mail_encryption.read(state({'plugins': plugins}, mail_encryption={'refuse_encrypted': refused}))
    assert current == expected


def test_mail_encryption_plans_enigma_and_refusals():
    plan = mail_encryption.plan({'openpgp': True, 'smime': False}, state())
    assert plan.edits[WEBMAIL][0] == ('plugins', ['enigma'])
    assert ('enigma_encryption', True) in plan.edits[WEBMAIL]
    assert json.loads(plan.files[0].text) == {'refuse_encrypted': ['smime']}
    off = mail_encryption.plan({'openpgp': False, 'smime': False}, state())
    assert off.edits == {WEBMAIL: []}
    assert json.loads(off.files[0].text) == {'refuse_encrypted': ['openpgp', 'smime']}


def test_mail_encryption_plans_the_smime_plugin_like_enigma():
    plan = mail_encryption.plan({'openpgp': False, 'smime': True}, state())
    assert plan.edits == {WEBMAIL: [('plugins', ['mailroom_smime'])]}
    assert plan.actions == {WEBMAIL: 'reload'}
    assert json.loads(plan.files[0].text) == {'refuse_encrypted': ['openpgp']}
    both = mail_encryption.plan({'openpgp': True, 'smime': True}, state())
    assert both.edits[WEBMAIL][0] == ('plugins', ['enigma', 'mailroom_smime'])
    assert ('enigma_decryption', True) in both.edits[WEBMAIL]
    assert json.loads(both.files[0].text) == {'refuse_encrypted': []}


def test_mail_encryption_desired():
    current = {'openpgp': None, 'smime': True}
    assert mail_encryption.desired(current, {'openpgp': None, 'smime': False}) == {'openpgp': False, 'smime': False}
    assert mail_encryption.desired(current, {'openpgp': True, 'smime': None}) == {'openpgp': True, 'smime': True}
    # smime: true is a setting like any other now.
    assert mail_encryption.desired({'openpgp': False, 'smime': False}, {'smime': True}) == \
        {'openpgp': False, 'smime': True}
    # Half-applied S/MIME is made whole as not allowed unless asked otherwise.
    assert mail_encryption.desired({'openpgp': False, 'smime': None}, {}) == {'openpgp': False, 'smime': False}


def test_staged_read_back_of_encryption():
    wanted = {'openpgp': True, 'smime': False}
    assert mail_encryption.read_staged(State(webmail={'plugins': ['enigma']}), wanted) == wanted
    assert mail_encryption.read_staged(State(webmail={'plugins': []}), wanted)['openpgp'] is None
    smime = {'openpgp': False, 'smime': True}
    assert mail_encryption.read_staged(State(webmail={'plugins': ['mailroom_smime']}), smime) == smime
    # Another file dropping the plugin after ours: the webmail would offer no S/MIME.
    assert mail_encryption.read_staged(State(webmail={'plugins': []}), smime)['smime'] is None


def test_info_modules_return_options_that_change_nothing_given_back():
    from ansible_collections.mailroom.server.plugins.module_utils._areas import custom_logo, registry
    from ansible_collections.mailroom.server.plugins.module_utils._engine import runner
    shown = {'state': 'present', 'url': 'mailroom-logo/x.png', 'checksum': 'x', 'width': 80, 'height': 40, 'png': b'x'}
    values = {'custom_logo': shown, 'sender_name': {'allow_change': True}}
    request = runner.Request(None, [(registry.CUSTOM_LOGO, {}), (registry.SENDER_NAME, {})], registry.ALL,
                             registry.CLIENT_PAGE)
    given_back = request.shaped(values, as_options=True)
    assert given_back == {'custom_logo': {'state': 'present'}, 'sender_name': {'allow_change': True}}
    # Results and diffs still show which logo.
    assert request.shaped(values)['custom_logo']['checksum'] == 'x'
    # Given back, state: present keeps the shown logo; on a host without one it needs src.
    assert custom_logo.desired(shown, {'state': 'present'}) == shown
    with pytest.raises(SettingsError, match='needs src'):
        custom_logo.desired({'state': 'absent'}, {'state': 'present'})
