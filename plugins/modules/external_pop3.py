#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: external_pop3
short_description: Let users fetch their mail from external POP3 servers, and how often
version_added: 0.3.0
description:
  - The admin panel's Client tab setting "Allow users to receive email from external POP3 servers" and its
    fetch interval in minutes, with the limits the fetcher keeps to.
  - Allowed - users add their accounts on other servers (the webmail's External accounts page, or
    M(mailroom.server.external_pop3_account)), and a timer per user with at least one account that is not paused
    fetches their mail every O(interval_minutes) and delivers it through Dovecot like any other mail.
  - Not allowed - every user's timer is stopped, a fetch going on is ended, and the webmail refuses new
    accounts; the accounts stay stored and fetching resumes when it is allowed again.
  - The fetcher of the C(mailroom.server.external_pop3) role reads its policy from C(/etc/mailroom/external-pop3.json).
    Once the policy is written (or already as wanted), the module runs the program's C(apply), which sets the
    timers' interval and starts or stops the users' timers (RV(timers)) - so timers that drifted are put back
    in line too, and the module reports a change when C(apply) made one; if it fails, the module fails with the
    program's error. Nothing is reloaded (RV(activation) stays empty and O(activate) makes no difference).
  - Needs a host set up by the C(mailroom.server.external_pop3) role (it installs the fetcher and writes the first
    policy, not allowed); without it the module fails and changes nothing. The webmail is not needed.
extends_documentation_fragment:
  - mailroom.server.activation
options:
  allowed:
    description:
      - Whether users may fetch mail from external POP3 servers.
      - Left out, the current setting stays (on a host never set, V(false)).
    type: bool
  interval_minutes:
    description:
      - Minutes between two fetch runs of a user, 1 to 1440.
      - Left out, the current setting stays (on a host never set, 10).
    type: int
  max_accounts_per_user:
    description:
      - How many external accounts a user may have, 1 to 100. Lowering it removes no account; the accounts over
        the limit are skipped when fetching and no new one can be added.
      - Left out, the current setting stays (on a host never set, 5).
    type: int
  allow_insecure:
    description:
      - Whether accounts may use plain POP3 without TLS (port 110, passwords readable on the way). With V(false),
        only POP3S (port 995) and STARTTLS are accepted, and accounts without TLS are skipped when fetching.
      - Left out, the current setting stays (on a host never set, V(false)).
    type: bool
  keep_on_server_default:
    description:
      - Whether a new account leaves the fetched messages on the external server ("keep a copy"); each account
        can change it.
      - Left out, the current setting stays (on a host never set, V(true)).
    type: bool
notes:
  - C(docs/settings.md) in the collection, section "The Client tab (MailPlus Client)", says what the settings
    change on the host.
  - A policy file that is not exactly the module's (not JSON, other keys; a hand edit) reads as unknown values
    (V(null)); any change then writes the whole file again, the values not given taking their defaults.
  - After a failed C(apply) the policy is written; fix the cause and run the module again (it runs C(apply) each
    time), or run C(/usr/bin/python3 /usr/local/lib/mailroom/mailroom-external-pop3 apply) on the host.
  - Users' accounts are managed by the users in the webmail or by M(mailroom.server.external_pop3_account).
seealso:
  - module: mailroom.server.external_pop3_account
  - module: mailroom.server.client
  - module: mailroom.server.client_info
requirements:
  - netaddr on the host (Debian's C(python3-netaddr), which the C(mailroom.server.mta) role installs)
  - The C(mailroom.server.external_pop3) role applied on the host, whose program fetches the mail
author:
  - mailroom.server developers (@mailroom)
'''

EXAMPLES = r'''
- name: Users may fetch mail from other servers every 15 minutes, with TLS only
  mailroom.server.external_pop3:
    allowed: true
    interval_minutes: 15
    max_accounts_per_user: 3
    allow_insecure: false
    keep_on_server_default: true

- name: No more fetching; the accounts stay stored
  mailroom.server.external_pop3:
    allowed: false
'''

RETURN = r'''
settings:
  description:
    - The settings after the change (in check mode, what they would be).
    - Read from a policy file that is not the module's (a hand edit), a value is V(null) until the module sets it.
  returned: always
  type: dict
  sample: {allowed: true, interval_minutes: 15, max_accounts_per_user: 3, allow_insecure: false,
           keep_on_server_default: true}
timers:
  description: What the program's C(apply) did to the users' timers.
  returned: when not in check mode
  type: dict
  contains:
    changed:
      description: Whether the interval or any user's timer changed.
      type: bool
    started:
      description: The users whose timers were started.
      type: list
      elements: str
    stopped:
      description: The users whose timers (and fetches going on) were stopped.
      type: list
      elements: str
  sample: {changed: true, started: [alice, bob], stopped: []}
activation:
  description: What was done, per daemon, to make the change effective; always empty, the fetcher reads its policy itself.
  returned: always
  type: dict
  sample: {}
reload_required:
  description: A reload is still needed to make the change effective; always V(false).
  returned: always
  type: bool
restart_required:
  description: A restart is still needed to make the change effective; always V(false).
  returned: always
  type: bool
'''

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.mailroom.server.plugins.module_utils._addresses import HAS_NETADDR, NETADDR_IMPORT_ERROR
from ansible_collections.mailroom.server.plugins.module_utils._areas import registry
from ansible_collections.mailroom.server.plugins.module_utils._engine import runner


def main():
    areas = (registry.EXTERNAL_POP3,)
    module = AnsibleModule(argument_spec=runner.area_argument_spec(areas), supports_check_mode=True)
    if not HAS_NETADDR:
        module.fail_json(msg=missing_required_lib('netaddr'), exception=NETADDR_IMPORT_ERROR)
    runner.run(module, runner.area_requests(module.params, areas), registry.ALL)


if __name__ == '__main__':
    main()
