#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: sender_name
short_description: Whether mail users may change the display name they send with
version_added: 0.3.0
description:
  - The admin panel's Client tab setting "Allow users to change sender name".
  - Allowed - users edit the name of their identity in the webmail (never its address), and any
    client may send with any display name.
  - Not allowed - the webmail's identity is read-only, and the display name of the C(From) header
    of every mail submitted with a login (ports 587 and 465, and the webmail's own submission) is
    rewritten to the account's name - the first field of the GECOS entry for local accounts,
    C(displayName) or else C(cn) from the directory for LDAP and Active Directory accounts; names
    outside ASCII are RFC 2047 encoded. Mail arriving on port 25 is not touched.
  - The rewrite is done by the C(mailroom.server.mta) role's submission milter, which reads its
    policy from C(/etc/mailroom/submission-policy.d/); the setting takes effect with the next message.
  - Needs a host set up by the C(mailroom.server.mta), C(mailroom.server.imap) and
    C(mailroom.server.webmail) roles.
extends_documentation_fragment:
  - mailroom.server.activation
options:
  allow_change:
    description:
      - Whether users may choose their sender display name.
      - Left out, the current setting stays (on a host never set, V(true)).
    type: bool
notes:
  - C(docs/settings.md) in the collection, section "The Client tab (MailPlus Client)", says what the setting
    changes on the host; C(docs/submission-policy.md) how the milter rewrites the sender name.
seealso:
  - module: mailroom.server.client
  - module: mailroom.server.client_info
  - module: mailroom.server.mail_encryption
requirements:
  - netaddr on the host (Debian's C(python3-netaddr), which the C(mailroom.server.mta) role installs)
  - The C(mailroom.server.webmail) role applied on the host, and the C(mailroom.server.mta) role, whose
    submission policy milter enforces the setting for every mail client
author:
  - mailroom.server developers (@mailroom)
'''

EXAMPLES = r'''
- name: Mail goes out with the account's name, whatever the client says
  mailroom.server.sender_name:
    allow_change: false
'''

RETURN = r'''
settings:
  description: The setting after the change (in check mode, what it would be).
  returned: always
  type: dict
  sample: {allow_change: false}
activation:
  description: What was done, per daemon, to make the change effective (C(reload), C(restart) or C(none)).
  returned: always
  type: dict
  sample: {webmail: reload}
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
    areas = (registry.SENDER_NAME,)
    module = AnsibleModule(argument_spec=runner.area_argument_spec(areas), supports_check_mode=True)
    if not HAS_NETADDR:
        module.fail_json(msg=missing_required_lib('netaddr'), exception=NETADDR_IMPORT_ERROR)
    runner.run(module, runner.area_requests(module.params, areas), registry.ALL)


if __name__ == '__main__':
    main()
