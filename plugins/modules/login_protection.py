#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: login_protection
short_description: Lock out addresses that guess passwords, on every mail and web port
version_added: 0.4.0
description:
  - The admin panel's brute-force lockout - after O(max_failures) failed logins from one address within
    O(find_time) seconds, that address is refused on every mail and web port (25, 465, 587, 110, 143, 993,
    995, 80 and 443) for O(ban_time) seconds.
  - Failures are counted together over SMTP AUTH (Postfix, ports 465 and 587), IMAP and POP3 (Dovecot, local
    and directory accounts alike) and the webmail (Roundcube), so alternating between services gains an
    attacker nothing.
  - Loopback (C(127.0.0.0/8), C(::1)) is always trusted - the webmail logs in to Dovecot and Postfix over it - and
    so are the addresses and networks in O(trusted_networks).
  - Lists the current bans (RV(banned)) and lifts those given in O(lift_bans).
  - The settings are one fail2ban jail file, C(/etc/fail2ban/jail.d/mailroom-login_protection.local), checked
    with C(fail2ban-client --test) on a staged copy of C(/etc/fail2ban) before it replaces the live file; fail2ban
    is then reloaded, which keeps current bans.
  - Needs a host set up by the C(mailroom.server.guard) role (fail2ban, nftables and the role's filter); without
    it the module fails and changes nothing.
extends_documentation_fragment:
  - mailroom.server.activation
options:
  enabled:
    description:
      - Whether failed logins lock addresses out. Off, no new bans are made and the current ones end (the jail stops).
      - Left out, the current setting stays (on a host never set, V(true)).
    type: bool
  max_failures:
    description:
      - How many failed logins from one address within O(find_time) lock it out, 1 to 100.
      - Left out, the current setting stays (on a host never set, 5).
    type: int
  find_time:
    description:
      - The window in which failures are counted, in seconds, 60 to 86400 (one day).
      - Left out, the current setting stays (on a host never set, 600).
    type: int
  ban_time:
    description:
      - How long an address stays locked out, in seconds, 60 to 2592000 (30 days). A change applies to new bans.
      - Left out, the current setting stays (on a host never set, 3600).
    type: int
  trusted_networks:
    description:
      - Addresses and networks (C(192.0.2.10), C(192.0.2.0/24), C(2001:db8::/32)) that are never locked out, besides
        loopback, which always is trusted.
      - Stored normalised - a network by its first address (C(192.0.2.7/24) is C(192.0.2.0/24)), without duplicates,
        sorted; anything that is not an address or network (names, commas, spaces, line breaks) is refused.
      - Given, the list replaces the current one (V([]) leaves only loopback); left out, the current list stays.
    type: list
    elements: str
  lift_bans:
    description:
      - Addresses whose bans are lifted now (after any change of the settings is live). An address that is not
        banned is left alone; RV(lifted) says which were.
      - Not a setting - it is not stored and not returned by M(mailroom.server.settings_info).
    type: list
    elements: str
notes:
  - C(docs/login-protection.md) in the collection says how failures are detected and maps the panel's settings to
    these options.
  - A jail file that is not exactly the module's (a hand edit) reads as unknown values (V(null)); any change then
    writes the whole file again, the values not given taking their defaults.
  - Dovecot logs one line per connection, however many passwords were tried in it; a connection counts as one failure.
seealso:
  - module: mailroom.server.settings_info
requirements:
  - netaddr on the host (Debian's C(python3-netaddr), which the C(mailroom.server.mta) role installs)
  - The C(mailroom.server.guard) role applied on the host
author:
  - mailroom.server developers (@mailroom)
'''

EXAMPLES = r'''
- name: Ten failures within 15 minutes lock an address out for a day; the office is never locked out
  mailroom.server.login_protection:
    max_failures: 10
    find_time: 900
    ban_time: 86400
    trusted_networks: [192.0.2.0/24, 2001:db8:1::/48]

- name: List the bans
  mailroom.server.login_protection:
  register: lockout

- name: Lift a ban
  mailroom.server.login_protection:
    lift_bans: [198.51.100.23]
'''

RETURN = r'''
settings:
  description: The settings after the change (in check mode, what they would be).
  returned: always
  type: dict
  sample: {enabled: true, max_failures: 5, find_time: 600, ban_time: 3600, trusted_networks: [192.0.2.0/24]}
banned:
  description: The addresses locked out now, IPv4 before IPv6, sorted (in check mode, before any ban is lifted).
  returned: always
  type: list
  elements: str
  sample: [198.51.100.23, '2001:db8::5']
lifted:
  description: The addresses of O(lift_bans) that were banned and are not any more (in check mode, would not be).
  returned: always
  type: list
  elements: str
  sample: [198.51.100.23]
activation:
  description: What was done, per daemon, to make the change effective (C(reload) or C(none)).
  returned: always
  type: dict
  sample: {fail2ban: reload}
reload_required:
  description: A reload is still needed to make the change effective.
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
    areas = (registry.LOGIN_PROTECTION,)
    module = AnsibleModule(argument_spec=runner.area_argument_spec(areas), supports_check_mode=True)
    if not HAS_NETADDR:
        module.fail_json(msg=missing_required_lib('netaddr'), exception=NETADDR_IMPORT_ERROR)
    runner.run(module, runner.area_requests(module.params, areas), registry.ALL)


if __name__ == '__main__':
    main()
