#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: settings_info
short_description: Read every setting the mail host's settings modules manage
version_added: 0.2.0
description:
  - Returns the current settings of the admin panel, tab by tab, in exactly the option shapes of
    the whole-tab modules - C(protocol) for M(mailroom.server.protocol) (SMTP with the account
    type, IMAP/POP3, network interface, TLS profile, full-text search) - so that feeding them back
    (or into the C(settings_protocol) variable of the C(mailroom.server.settings) role) changes
    nothing.
  - With the webmail installed (role C(mailroom.server.webmail)) also C(client), the Client tab in the
    option shape of M(mailroom.server.client), as M(mailroom.server.client_info) returns it.
  - With the login protection installed (role C(mailroom.server.guard)) or the filter (role
    C(mailroom.server.filter)) also C(security), whose C(login_protection) is in the option shape of
    M(mailroom.server.login_protection) and C(dkim) in that of M(mailroom.server.dkim).
  - The directory's bind password is masked; fed back, the masked value keeps the password.
  - A setting that matches none of its choices (for example a TLS configuration edited by hand)
    is returned as V(null).
  - Replaces the module C(mailroom.server.service_info), which redirects here until 1.0.0.
extends_documentation_fragment:
  - mailroom.server.info
options: {}
notes:
  - C(docs/settings.md) in the collection describes every setting returned and where it lives on the host.
seealso:
  - module: mailroom.server.protocol
  - module: mailroom.server.client
  - module: mailroom.server.client_info
requirements:
  - netaddr on the host (Debian's C(python3-netaddr), which the C(mailroom.server.mta) role installs)
  - Postfix and Dovecot set up by the C(mailroom.server.mta) and C(mailroom.server.imap) roles; the Client tab
    is read only where the C(mailroom.server.webmail) role is applied
author:
  - mailroom.server developers (@mailroom)
'''

EXAMPLES = r'''
- name: Read the settings
  mailroom.server.settings_info:
  register: mail_settings

- name: Apply the same Protocol tab to another host
  mailroom.server.protocol: "{{ mail_settings.protocol }}"
  delegate_to: mx2.example.com

- name: Or one section of it
  mailroom.server.smtp: "{{ mail_settings.protocol.smtp }}"
  delegate_to: mx2.example.com
'''

RETURN = r'''
protocol:
  description: The Protocol tab, in the option shape of M(mailroom.server.protocol).
  returned: always
  type: dict
  contains:
    smtp:
      description: Options of M(mailroom.server.smtp), the account type and directory included.
      type: dict
      sample: {enabled: true, port: 25, smtps: true, starttls: true, account_type: local, directory: null}
    imap_pop3:
      description: Options of M(mailroom.server.imap_pop3).
      type: dict
      sample: {imap: true, imap_ssl: true, pop3: true, pop3_ssl: true, prohibit_plaintext_auth: true,
               max_connections_per_user_ip: 10}
    network_interface:
      description: Options of M(mailroom.server.network_interface).
      type: dict
      sample: {interface: all}
    high_availability:
      description:
        - Options of M(mailroom.server.high_availability), secrets masked; only where the C(mailroom.server.ha)
          role is applied. A V(null) C(virtual_ip) means keepalived names a VIP the mail
          daemons do not serve.
      type: dict
      returned: when the mailroom.server.ha role is applied
      sample: {state: present, interface: eth0, virtual_ip: 192.0.2.10/24, peer: 192.0.2.12, priority: 150,
               router_id: 51, auth_pass: '********', nopreempt: true, sync_interval: 30, sync_port: 12345,
               sync_password: '********'}
    tls_profile:
      description: Options of M(mailroom.server.tls_profile).
      type: dict
      sample: {profile: intermediate}
    full_text_search:
      description: Options of M(mailroom.server.full_text_search).
      type: dict
      sample: {enabled: true, cjk: true}
client:
  description: The Client tab, in the option shape of M(mailroom.server.client) (see M(mailroom.server.client_info)).
  returned: when the webmail is installed
  type: dict
  sample: {sender_name: {allow_change: true}, mail_encryption: {openpgp: false, smime: false},
           mailbox_sharing: {enabled: true}, custom_logo: {state: absent}}
security:
  description:
    - The brute-force lockout and DKIM signing, in the option shapes of M(mailroom.server.login_protection) (bans are
      not settings) and M(mailroom.server.dkim); each only where its role is applied.
  returned: when the C(mailroom.server.guard) or the C(mailroom.server.filter) role is applied
  type: dict
  contains:
    login_protection:
      description: Options of M(mailroom.server.login_protection).
      type: dict
      sample: {enabled: true, max_failures: 5, find_time: 600, ban_time: 3600, trusted_networks: []}
    dkim:
      description: Options of M(mailroom.server.dkim) - every selector, given back unchanged.
      type: dict
      sample: {selectors: [{domain: example.com, selector: s2026, key_type: rsa, key_size: 2048, signing: true}]}
interrupted_change:
  description: A settings change that was started and did not finish (its process was killed).
  returned: when there is one
  type: dict
  sample: {started: '2026-11-30T07:00:00Z', pid: 4242, files: [/etc/postfix/main.cf], daemons: [postfix]}
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
    try:
        protocol, client, security, interrupted = runner.read_areas(
            module, registry.ALL, registry.PROTOCOL_PAGE, registry.CLIENT_PAGE, registry.SECURITY_PAGE)
    except runner.EXPECTED as exc:
        module.fail_json(msg=str(exc))
    result = dict(changed=False, protocol=protocol)
    if webmail_host.installed(module):
        result['client'] = client
    # Only the sections whose role is applied (an area that cannot be read is left out).
    if security:
        result['security'] = security
    if interrupted:
        result['interrupted_change'] = interrupted
    module.exit_json(**result)


if __name__ == '__main__':
    main()
