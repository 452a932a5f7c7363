#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: client_info
short_description: Read the Client tab (the webmail's policies) of the mail host
version_added: 0.3.0
description:
  - Returns the admin panel's MailPlus Client tab in exactly the option shape of
    M(mailroom.server.client), so that feeding it back (or into the C(settings_client) variable of
    the C(mailroom.server.settings) role) changes nothing.
  - A setting whose parts disagree on the host (for example a webmail that offers OpenPGP while
    submission refuses it, after a hand edit) is returned as V(null).
extends_documentation_fragment:
  - mailroom.server.info
options: {}
notes:
  - C(docs/settings.md) in the collection, section "The Client tab (MailPlus Client)", describes every setting
    returned.
seealso:
  - module: mailroom.server.client
  - module: mailroom.server.settings_info
requirements:
  - netaddr on the host (Debian's C(python3-netaddr), which the C(mailroom.server.mta) role installs)
  - The C(mailroom.server.webmail) role applied on the host
author:
  - mailroom.server developers (@mailroom)
'''

EXAMPLES = r'''
- name: Read the Client tab
  mailroom.server.client_info:
  register: client_tab

- name: Apply the same Client tab to another host
  mailroom.server.client: "{{ client_tab.client }}"
  delegate_to: mx2.example.com
'''

RETURN = r'''
client:
  description: The Client tab, in the option shape of M(mailroom.server.client).
  returned: always
  type: dict
  contains:
    sender_name:
      description: Options of M(mailroom.server.sender_name).
      type: dict
      sample: {allow_change: true}
    mail_encryption:
      description: Options of M(mailroom.server.mail_encryption).
      type: dict
      sample: {openpgp: false, smime: false}
    mailbox_sharing:
      description: Options of M(mailroom.server.mailbox_sharing).
      type: dict
      sample: {enabled: true}
    custom_logo:
      description:
        - Options of M(mailroom.server.custom_logo) - whether a logo of our own is shown. Given back,
          V(present) keeps the logo the host shows; another host gets it with O(mailroom.server.client#module:custom_logo.src).
      type: dict
      sample: {state: present}
    shared_links:
      description:
        - Options of M(mailroom.server.shared_links), sizes in bytes. Left out on a host without the
          C(mailroom.server.shared_links) role.
      type: dict
      sample: {enabled: true, domain_limits: {example.com: 10485760}, link_lifetime_days: 30,
               base_url: 'https://mail.example.com'}
    external_pop3:
      description:
        - Options of M(mailroom.server.external_pop3). Left out on a host without the
          C(mailroom.server.external_pop3) role.
      type: dict
      sample: {allowed: true, interval_minutes: 10, max_accounts_per_user: 5, allow_insecure: false,
               keep_on_server_default: true}
interrupted_change:
  description: A settings change that was started and did not finish (its process was killed).
  returned: when there is one
  type: dict
  sample: {started: '2026-11-30T07:00:00Z', pid: 4242, files: [/etc/roundcube/mailroom.d/sender_name.inc.php],
           daemons: {webmail: reload}}
'''

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.mailroom.server.plugins.module_utils._addresses import HAS_NETADDR, NETADDR_IMPORT_ERROR
from ansible_collections.mailroom.server.plugins.module_utils._areas import registry
from ansible_collections.mailroom.server.plugins.module_utils._engine import runner
from ansible_collections.mailroom.server.plugins.module_utils._webmail import host as webmail_host


def main():
    module = AnsibleModule(argument_spec={}, supports_check_mode=True)
    if not HAS_NETADDR:
        module.fail_json(msg=missing_required_lib('netaddr'), exception=NETADDR_IMPORT_ERROR)
    if not webmail_host.installed(module):
        module.fail_json(msg='the webmail is not installed here: apply the mailroom.server.webmail role first')
    try:
        client, interrupted = runner.read_areas(module, registry.ALL, registry.CLIENT_PAGE)
    except runner.EXPECTED as exc:
        module.fail_json(msg=str(exc))
    result = dict(changed=False, client=client)
    if interrupted:
        result['interrupted_change'] = interrupted
    module.exit_json(**result)


if __name__ == '__main__':
    main()
