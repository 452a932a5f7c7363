#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: network_interface
short_description: Bind every mail service of the host to one network interface
version_added: 0.1.0
description:
  - The admin panel's network interface setting. Postfix (C(inet_interfaces)) and Dovecot
    (C(listen)) listen on the addresses the interface has now, and on no other address.
  - A new binding needs both daemons restarted (Postfix only re-binds on stop and start); the
    module does that unless O(activate=false).
  - For a high-availability pair, bind to the interface that carries the virtual IP; the address
    must be on the interface when the module runs.
extends_documentation_fragment:
  - mailroom.server.activation
options:
  interface:
    description:
      - Name of a network interface of the host (C(eth0), C(ens3), ...) or V(all) for every address.
      - An interface that does not exist or has no address is an error.
    type: str
    required: true
notes:
  - C(docs/settings.md) in the collection lists every setting of the Protocol tab, the option that sets it and
    what changes on the host.
seealso:
  - module: mailroom.server.protocol
  - module: mailroom.server.settings_info
  - module: mailroom.server.smtp
  - module: mailroom.server.imap_pop3
requirements:
  - netaddr on the host (Debian's C(python3-netaddr), which the C(mailroom.server.mta) role installs)
  - The C(mailroom.server.mta) and C(mailroom.server.imap) roles applied on the host (Postfix and Dovecot both
    listen on the interface)
author:
  - mailroom.server developers (@mailroom)
'''

EXAMPLES = r'''
- name: Serve mail on the public interface only
  mailroom.server.network_interface:
    interface: ens3

- name: Listen everywhere again
  mailroom.server.network_interface:
    interface: all
'''

RETURN = r'''
settings:
  description: The setting after the change (in check mode, what it would be).
  returned: always
  type: dict
  sample: {interface: ens3}
activation:
  description: What was done, per daemon, to make the change effective.
  returned: always
  type: dict
  sample: {postfix: restart, dovecot: restart}
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
    areas = (registry.NETWORK_INTERFACE,)
    module = AnsibleModule(argument_spec=runner.area_argument_spec(areas), supports_check_mode=True)
    if not HAS_NETADDR:
        module.fail_json(msg=missing_required_lib('netaddr'), exception=NETADDR_IMPORT_ERROR)
    runner.run(module, runner.area_requests(module.params, areas), registry.ALL)


if __name__ == '__main__':
    main()
