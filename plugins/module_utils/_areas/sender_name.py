# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sender name policy: may users choose the display name their mail goes out with?

Allowed: the webmail lets users edit their identity's name (never its address) and submission
passes any name. Not allowed: the webmail's identity form is read-only, and the mta role's
submission milter rewrites the From display name of every authenticated submission (587, 465,
the webmail's own) to the account's name - crafted webmail requests and desktop clients included.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.mailroom.server.plugins.module_utils._engine import activation
from ansible_collections.mailroom.server.plugins.module_utils._engine.area import WEBMAIL, ManagedFile, Plan
from ansible_collections.mailroom.server.plugins.module_utils._operations import submission_policy

NAME = 'sender_name'
DAEMONS = (WEBMAIL,)
OPTIONS = ('allow_change',)
ARGUMENT_SPEC = dict(allow_change=dict(type='bool'))

# Roundcube's identities_level: 3 = one identity, name editable, address not; 4 = nothing editable.
NAME_EDITABLE = 3
NAME_FIXED = 4
# The milter's sender_name values.
ANY_NAME = 'any'
ACCOUNT_NAME = 'account'


def facts():
    return {'sender_name_policy': submission_policy.load(NAME)}


def _combine(identities_level, policy):
    """True/False when the webmail and the submission policy agree, None when they do not (a
    half-applied or hand-edited host: the next change converges both)."""
    editable = identities_level != NAME_FIXED
    free = policy.get('sender_name', ANY_NAME) != ACCOUNT_NAME
    return editable if editable == free else None


def read(state):
    level = (state.webmail or {}).get('identities_level')
    return dict(allow_change=_combine(level, state.facts.get('sender_name_policy') or {}))


def read_staged(staged, wanted):
    level = (staged.webmail or {}).get('identities_level')
    return dict(allow_change=_combine(level, _policy(wanted)))


def desired(current, options, state=None):
    result = dict(current)
    if options.get('allow_change') is not None:
        result['allow_change'] = options['allow_change']
    if result['allow_change'] is None:
        # Neither given nor consistent on the host: the panel's default.
        result['allow_change'] = True
    return result


def _policy(wanted):
    return {'sender_name': ANY_NAME if wanted['allow_change'] else ACCOUNT_NAME}


def plan(wanted, state):
    level = NAME_EDITABLE if wanted['allow_change'] else NAME_FIXED
    policy = ManagedFile(submission_policy.path(NAME), submission_policy.render(_policy(wanted)),
                         WEBMAIL, mode=0o644)
    return Plan(edits={WEBMAIL: [('identities_level', level)]}, actions={WEBMAIL: activation.RELOAD},
                files=[policy])
