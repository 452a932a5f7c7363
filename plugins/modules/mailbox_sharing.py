#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: mailbox_sharing
short_description: Whether mail users may share their folders with each other
version_added: 0.3.0
description:
  - The admin panel's Client tab setting "Allow users to share mailboxes".
  - Enabled - users give other users rights on their folders (IMAP ACL, RFC 4314; the C(ACL)
    capability and C(SETACL), C(GETACL), C(MYRIGHTS) ... in any IMAP client, the "Sharing" tab of
    a folder in the webmail); the other user finds the folder under C(shared/<owner>/).
  - Disabled - nobody can give new rights (the ACL commands are gone from IMAP, the sharing tab
    from the webmail). Rights given before stay in force - shared folders stay readable to those
    they were shared with - and nobody gains access to a folder that was not shared with them.
    Dovecot's ACL plugin, which enforces the rights, stays loaded either way.
  - Works on Dovecot 2.3 (Debian 12) and 2.4 (Debian 13) with the same option; writes
    C(/etc/dovecot/mailroom.d/mailbox_sharing.conf) in the installed release's syntax and
    C(/etc/roundcube/mailroom.d/mailbox_sharing.inc.php).
  - Needs a host set up by the C(mailroom.server.imap) role (the ACL plugin, the shared
    namespace, Maildirs open to Dovecot's mail processes) and the C(mailroom.server.webmail) role.
extends_documentation_fragment:
  - mailroom.server.activation
options:
  enabled:
    description:
      - Whether users may share folders.
      - Left out, the current setting stays (on a host never set, V(false)).
    type: bool
notes:
  - C(docs/settings.md) in the collection, section "The Client tab (MailPlus Client)", says what the setting
    changes on the host; C(docs/mailbox-sharing.md) how shared folders work.
seealso:
  - module: mailroom.server.client
  - module: mailroom.server.client_info
requirements:
  - netaddr on the host (Debian's C(python3-netaddr), which the C(mailroom.server.mta) role installs)
  - The C(mailroom.server.imap) and C(mailroom.server.webmail) roles applied on the host
author:
  - mailroom.server developers (@mailroom)
'''

EXAMPLES = r'''
- name: Users may share folders with each other
  mailroom.server.mailbox_sharing:
    enabled: true

- name: No new shares; folders shared before stay shared
  mailroom.server.mailbox_sharing:
    enabled: false
'''

RETURN = r'''
settings:
  description:
    - The setting after the change (in check mode, what it would be).
    - Read from a host where IMAP and the webmail disagree (a change made by hand), C(enabled) is
      C(null) until the module sets it.
  returned: always
  type: dict
  sample: {enabled: true}
activation:
  description: What was done, per daemon, to make the change effective (C(reload), C(restart) or C(none)).
  returned: always
  type: dict
  sample: {dovecot: reload, webmail: reload}
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
    areas = (registry.MAILBOX_SHARING,)
    module = AnsibleModule(argument_spec=runner.area_argument_spec(areas), supports_check_mode=True)
    if not HAS_NETADDR:
        module.fail_json(msg=missing_required_lib('netaddr'), exception=NETADDR_IMPORT_ERROR)
    runner.run(module, runner.area_requests(module.params, areas), registry.ALL)


if __name__ == '__main__':
    main()
