# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Brute-force lockout: how many failed logins from one address, within what window, lock it out
of every mail and web port for how long, and which networks are never locked out.

The settings are one fail2ban jail file (the model is ``_login_protection``); the guard role
installs fail2ban, nftables and the filter, and writes the file's first version. Bans themselves
are not settings: the follow-up lists them (``banned``) and lifts those asked for (``lift_bans``),
through the running server, after any change of the file is live.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.mailroom.server.plugins.module_utils import _login_protection as model
from ansible_collections.mailroom.server.plugins.module_utils._engine import activation
from ansible_collections.mailroom.server.plugins.module_utils._engine.area import FAIL2BAN, FollowUp, Plan
from ansible_collections.mailroom.server.plugins.module_utils._fail2ban import host as fail2ban

NAME = model.AREA
DAEMONS = (FAIL2BAN,)
OPTIONS = model.OPTIONS
ARGUMENT_SPEC = dict(
    enabled=dict(type='bool'),
    max_failures=dict(type='int'),
    find_time=dict(type='int'),
    ban_time=dict(type='int'),
    trusted_networks=dict(type='list', elements='str'),
    # An action, not a setting: addresses whose bans are lifted now.
    lift_bans=dict(type='list', elements='str'),
)


def read(state):
    return model.parse(((state.fail2ban or {}).get('files') or {}).get(NAME))


def read_staged(staged, wanted):
    """What fail2ban itself reads from the staged copy (`fail2ban-client -d`), not only our file: a
    jail.d file sorting after ours, or jail.local, may override the jail's settings."""
    return model.effective(read(staged), (staged.fail2ban.get('jails') or {}).get(model.JAIL))


def desired(current, options, state):
    return model.desired(current, options)


def plan(wanted, state):
    return Plan(edits={FAIL2BAN: model.render(wanted)}, actions={FAIL2BAN: activation.RELOAD})


def follow_up(host, current, wanted, state, outcome):
    """Lift the bans asked for (in check mode: say which would be lifted), then list the bans."""
    requested = model.addresses(outcome['options'].get('lift_bans') or [])
    banned = fail2ban.banned(host, model.JAIL)
    warnings = []
    if banned is None:
        if wanted['enabled'] and outcome['activation'].get(FAIL2BAN) != 'none':
            warnings.append('the jail %s is not running (is fail2ban stopped?): no bans to list or lift' % model.JAIL)
        banned = []
    lifted = model.to_lift(requested, banned)
    if lifted and not host.check_mode:
        done = []
        for address in lifted:
            try:
                fail2ban.unban(host, model.JAIL, address)
            except fail2ban.Fail2banError as exc:
                return FollowUp(result={'banned': banned, 'lifted': done}, changed=bool(done), failure=str(exc))
            done.append(address)
        banned = fail2ban.banned(host, model.JAIL) or []
    return FollowUp(result={'banned': banned, 'lifted': lifted}, changed=bool(lifted), warnings=warnings)
