# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mail encryption policy: may users send OpenPGP or S/MIME encrypted mail?

OpenPGP allowed: the webmail's enigma plugin (GnuPG, keyrings outside the web root) encrypts,
signs, decrypts and verifies. Not allowed: no encryption in the webmail, and the mta role's
submission milter refuses encrypted mail from every authenticated client (5.7.1); signed mail,
public keys and mail arriving on port 25 still pass. S/MIME allowed: the webmail role's own
plugin mailroom_smime (keys held by its root-only helper service) does the same for S/MIME; not
allowed: the plugin is off (stored keys are kept) and the milter refuses S/MIME enveloped data.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.mailroom.server.plugins.module_utils._engine import activation
from ansible_collections.mailroom.server.plugins.module_utils._engine.area import WEBMAIL, ManagedFile, Plan
from ansible_collections.mailroom.server.plugins.module_utils._operations import submission_policy
from ansible_collections.mailroom.server.plugins.module_utils._webmail import config as _webmail

NAME = 'mail_encryption'
DAEMONS = (WEBMAIL,)
OPTIONS = ('openpgp', 'smime')
ARGUMENT_SPEC = dict(openpgp=dict(type='bool'), smime=dict(type='bool'))

OPENPGP_PLUGIN = 'enigma'
SMIME_PLUGIN = 'mailroom_smime'
OPENPGP_SETTINGS = (
    ('enigma_encryption', True),
    ('enigma_signatures', True),
    ('enigma_decryption', True),
)


def facts():
    return {'mail_encryption_policy': submission_policy.load(NAME)}


def _read(webmail, policy):
    """Each kind is allowed when the webmail offers it and the milter lets it through, not allowed
    when neither; None when the two halves disagree (half-applied or edited by hand)."""
    refused = policy.get('refuse_encrypted') or []
    plugins = _webmail.plugins(webmail)
    current = {}
    for kind, plugin in (('openpgp', OPENPGP_PLUGIN), ('smime', SMIME_PLUGIN)):
        in_webmail = plugin in plugins
        current[kind] = in_webmail if in_webmail == (kind not in refused) else None
    return current


def read(state):
    return _read(state.webmail, state.facts.get('mail_encryption_policy') or {})


def read_staged(staged, wanted):
    return _read(staged.webmail, _policy(wanted))


def desired(current, options, state=None):
    result = dict(current)
    result.update((name, options[name]) for name in OPTIONS if options.get(name) is not None)
    for name in OPTIONS:
        if result[name] is None:
            result[name] = False
    return result


def _policy(wanted):
    return {'refuse_encrypted': [kind for kind in ('openpgp', 'smime') if not wanted[kind]]}


def plan(wanted, state):
    plugins = [plugin for kind, plugin in (('openpgp', OPENPGP_PLUGIN), ('smime', SMIME_PLUGIN)) if wanted[kind]]
    entries = [('plugins', plugins)] if plugins else []
    if wanted['openpgp']:
        entries += list(OPENPGP_SETTINGS)
    policy = ManagedFile(submission_policy.path(NAME), submission_policy.render(_policy(wanted)),
                         WEBMAIL, mode=0o644)
    return Plan(edits={WEBMAIL: entries}, actions={WEBMAIL: activation.RELOAD}, files=[policy])
