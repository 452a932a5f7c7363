#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: tls_profile
short_description: TLS profile of every mail port (Mozilla modern or intermediate)
version_added: 0.1.0
description:
  - Applies one of Mozilla's server-side TLS profiles (guidelines 6.0) to every TLS listener of
    Postfix (25, 465, 587) and Dovecot (143, 993, 110, 995), on Debian 12 and 13 alike.
  - Only parameters the installed Postfix knows are written (Postfix 3.7 lacks some that newer
    releases have).
extends_documentation_fragment:
  - mailroom.server.activation
options:
  profile:
    description:
      - V(intermediate) - TLS 1.2 and 1.3, TLS 1.2 only with ECDHE and AES-GCM or
        ChaCha20-Poly1305, curves X25519, P-256, P-384. The compatible choice for mail clients.
      - V(modern) - TLS 1.3 only. Clients without TLS 1.3, such as Outlook 2016 on older Windows,
        and servers that send mail without TLS 1.3, cannot use TLS with this host at all.
    type: str
    required: true
    choices: [modern, intermediate]
notes:
  - C(docs/settings.md) in the collection, section "TLS profiles", compares the two profiles and says which
    clients cannot connect with each.
seealso:
  - module: mailroom.server.protocol
  - module: mailroom.server.settings_info
  - module: mailroom.server.smtp
  - module: mailroom.server.imap_pop3
requirements:
  - netaddr on the host (Debian's C(python3-netaddr), which the C(mailroom.server.mta) role installs)
  - The C(mailroom.server.mta) and C(mailroom.server.imap) roles applied on the host (Postfix and Dovecot);
    the certificate is the C(mailroom.server.tls) role's
author:
  - mailroom.server developers (@mailroom)
'''

EXAMPLES = r'''
- name: TLS 1.2 and 1.3 with Mozilla's intermediate ciphers
  mailroom.server.tls_profile:
    profile: intermediate
'''

RETURN = r'''
settings:
  description: The setting after the change (in check mode, what it would be).
  returned: always
  type: dict
  sample: {profile: intermediate}
activation:
  description: What was done, per daemon, to make the change effective.
  returned: always
  type: dict
  sample: {postfix: reload, dovecot: reload}
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
    areas = (registry.TLS_PROFILE,)
    module = AnsibleModule(argument_spec=runner.area_argument_spec(areas), supports_check_mode=True)
    if not HAS_NETADDR:
        module.fail_json(msg=missing_required_lib('netaddr'), exception=NETADDR_IMPORT_ERROR)
    runner.run(module, runner.area_requests(module.params, areas), registry.ALL)


if __name__ == '__main__':
    main()
