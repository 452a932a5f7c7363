# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""DKIM signing: per mail domain its selectors, each with a key made on the host, and which of
them rspamd signs outgoing mail with (the model is ``_dkim``).

New keys are managed files of the change (written before rspamd's configuration, removed again if
the change is rolled back); keys of removed selectors are deleted by the follow-up, once rspamd
no longer reads them. The follow-up also returns each selector's DNS record.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.mailroom.server.plugins.module_utils import _dkim as model
from ansible_collections.mailroom.server.plugins.module_utils._engine import activation
from ansible_collections.mailroom.server.plugins.module_utils._engine.area import RSPAMD, FollowUp, ManagedFile, Plan
from ansible_collections.mailroom.server.plugins.module_utils._engine.errors import FileError
from ansible_collections.mailroom.server.plugins.module_utils._rspamd import host as rspamd

NAME = model.AREA
DAEMONS = (RSPAMD,)
OPTIONS = model.OPTIONS
ARGUMENT_SPEC = dict(
    selectors=dict(type='list', elements='dict', options=dict(
        domain=dict(type='str', required=True),
        selector=dict(type='str', required=True),
        key_type=dict(type='str', choices=list(model.KEY_TYPES), no_log=False),
        key_size=dict(type='int', no_log=False),
        signing=dict(type='bool'),
        state=dict(type='str', choices=list(model.STATES)),
    )),
)


def unavailable(state):
    if state.rspamd is None:
        return 'rspamd is not set up here: apply the mailroom.server.filter role first'
    return None


def read(state):
    signing = model.parse(state.rspamd['files'].get(model.CONFIG_FILE), state.rspamd['key_dir'])
    return model.settings(state.rspamd['keys'], signing)


def read_staged(staged, wanted):
    """What the staged configuration and keys give, less the keys of removed selectors, which the
    follow-up deletes once the change is live."""
    kept = set((entry['domain'], entry['selector']) for entry in wanted['selectors'])
    keys = dict((pair, key) for pair, key in staged.rspamd['keys'].items() if pair in kept)
    return model.settings(keys, model.parse(staged.rspamd['files'].get(model.CONFIG_FILE), staged.rspamd['key_dir']))


def as_options(settings):
    """The selectors as the module takes them (state present is the default, left out)."""
    return {'selectors': [dict(entry) for entry in settings['selectors']]}


def desired(current, options, state):
    return model.desired(current, options)


def plan(wanted, state):
    key_dir = state.rspamd['key_dir']
    files = [ManagedFile(model.key_path(domain, selector, key_dir), model.new_key(key_type, key_size), RSPAMD,
                         mode=model.KEY_MODE, group=model.KEY_GROUP)
             for domain, selector, key_type, key_size in model.new_keys(wanted, state.rspamd['keys'])]
    return Plan(edits={RSPAMD: {model.CONFIG_FILE: model.render(model.signing_pairs(wanted), key_dir)}},
                actions={RSPAMD: activation.RELOAD}, files=files)


def follow_up(host, current, wanted, state, outcome):
    """Delete the keys of removed selectors (in check mode: say which would be), then return every
    selector's DNS record and the dkim option of mailroom.server.dns_records."""
    key_dir = state.rspamd['key_dir']
    gone = model.removed_keys(wanted, state.rspamd['keys'])
    removed = gone
    failure = None
    if gone and not host.check_mode:
        try:
            removed = rspamd.remove_keys(gone, key_dir)
        except (FileError, OSError) as exc:
            removed, failure = [], 'the keys of removed selectors could not be deleted: %s' % exc
    keys = state.rspamd['keys'] if host.check_mode else rspamd.read_keys(key_dir)
    records = model.records(wanted, keys, key_dir)
    result = {'records': records, 'dns_records_dkim': model.dns_records_dkim(records),
              'removed': ['%s of %s' % (selector, domain) for domain, selector in removed]}
    return FollowUp(result=result, changed=bool(removed), failure=failure)
