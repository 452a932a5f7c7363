#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: imap_pop3
short_description: IMAP and POP3 settings of the mail host (Dovecot)
version_added: 0.1.0
description:
  - The admin panel's IMAP/POP3 settings - which listeners run, whether passwords may cross
    unencrypted connections, and how many connections one user may hold from one address.
  - Works on Dovecot 2.3 (Debian 12) and 2.4 (Debian 13) with the same options; writes
    C(/etc/dovecot/mailroom.d/imap_pop3.conf) in the installed release's syntax.
  - Options left unset keep their current value.
  - Needs a host set up by the C(mailroom.server.imap) role.
extends_documentation_fragment:
  - mailroom.server.activation
options:
  imap:
    description: IMAP on port 143 (STARTTLS).
    type: bool
  imap_ssl:
    description: IMAPS on port 993 (TLS from the first byte).
    type: bool
  pop3:
    description: POP3 on port 110 (STARTTLS).
    type: bool
  pop3_ssl:
    description: POP3S on port 995 (TLS from the first byte).
    type: bool
  prohibit_plaintext_auth:
    description:
      - Refuse passwords on connections that are not encrypted; clients must use STARTTLS on
        143/110 or connect to 993/995.
    type: bool
  max_connections_per_user_ip:
    description:
      - Most simultaneous IMAP (and, separately, POP3) connections of one user from one IP
        address, 1 to 5000.
      - Dovecot's process and client limits are sized from it, so the limit can really be reached
        (each connection holds a mail process and, under TLS, a login process).
    type: int
notes:
  - C(docs/settings.md) in the collection lists every setting of the Protocol tab, the option that sets it and
    what changes on the host.
seealso:
  - module: mailroom.server.protocol
  - module: mailroom.server.settings_info
  - module: mailroom.server.smtp
  - module: mailroom.server.network_interface
  - module: mailroom.server.tls_profile
requirements:
  - netaddr on the host (Debian's C(python3-netaddr), which the C(mailroom.server.mta) role installs)
  - The C(mailroom.server.imap) role applied on the host (Dovecot)
author:
  - mailroom.server developers (@mailroom)
'''

EXAMPLES = r'''
- name: IMAPS and POP3S only, no plaintext passwords, up to 50 connections per user and address
  mailroom.server.imap_pop3:
    imap: false
    imap_ssl: true
    pop3: false
    pop3_ssl: true
    prohibit_plaintext_auth: true
    max_connections_per_user_ip: 50
'''

RETURN = r'''
settings:
  description: The settings after the change (in check mode, what they would be).
  returned: always
  type: dict
  sample: {imap: false, imap_ssl: true, pop3: false, pop3_ssl: true,
           prohibit_plaintext_auth: true, max_connections_per_user_ip: 50}
activation:
  description: What was done, per daemon, to make the change effective (C(reload), C(restart) or C(none)).
  returned: always
  type: dict
  sample: {dovecot: reload}
reload_required:
  description: A reload is still needed to make the change effective.
  returned: always
  type: bool
restart_required:
  description: A restart is still needed to make the change effective.
  returned: always
  type: bool
'''

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.mailroom.server.plugins.module_utils._addresses import HAS_NETADDR, NETADDR_IMPORT_ERROR
from ansible_collections.mailroom.server.plugins.module_utils._areas import registry
from ansible_collections.mailroom.server.plugins.module_utils._engine import runner


def main():
    areas = (registry.IMAP_POP3,)
    module = AnsibleModule(argument_spec=runner.area_argument_spec(areas), supports_check_mode=True)
    if not HAS_NETADDR:
        module.fail_json(msg=missing_required_lib('netaddr'), exception=NETADDR_IMPORT_ERROR)
    runner.run(module, runner.area_requests(module.params, areas), registry.ALL)


if __name__ == '__main__':
    main()
