#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: protocol
short_description: The whole Protocol tab of the mail host in one change
version_added: 0.2.0
description:
  - The admin panel's Protocol tab at once - SMTP with the account type, IMAP/POP3, network
    interface, TLS profile and full-text search - with the same options as M(mailroom.server.smtp),
    M(mailroom.server.imap_pop3), M(mailroom.server.network_interface),
    M(mailroom.server.tls_profile) and M(mailroom.server.full_text_search).
  - The host is read once, all changes are validated together on staged copies, and each daemon is
    reloaded or restarted at most once; if any daemon does not take the change, every daemon is
    brought back to its previous configuration.
  - The C(protocol) result of M(mailroom.server.settings_info) can be passed in unchanged.
  - Sections left out are not managed; options left out of a section keep their current value.
  - Replaces the module C(mailroom.server.service), which redirects here until 1.0.0.
extends_documentation_fragment:
  - mailroom.server.activation
options:
  smtp:
    description: Options of M(mailroom.server.smtp).
    type: dict
    suboptions:
      enabled:
        description: The Postfix SMTP service.
        type: bool
      port:
        description: Port of the SMTP service, 1 to 65535.
        type: int
      smtps:
        description: SMTPS on port 465.
        type: bool
      starttls:
        description: STARTTLS on the SMTP port, and the 587 submission service.
        type: bool
      account_type:
        description: Who may use mail - V(local), V(ldap) or V(domain) (see M(mailroom.server.smtp)).
        type: str
        choices: [local, ldap, domain]
      directory:
        description:
          - The directory for V(ldap) or V(domain), as in M(mailroom.server.smtp). A masked
            password (as returned by M(mailroom.server.settings_info)) keeps the current one.
        type: dict
        suboptions:
          uri:
            description: One C(ldap://) or C(ldaps://) URI; an IPv6 host in brackets, as in M(mailroom.server.smtp).
            type: str
          base_dn:
            description: Where users are searched.
            type: str
          bind_dn:
            description: Account that searches the directory.
            type: str
          bind_password:
            description: Password of O(smtp.directory.bind_dn).
            type: str
          user_filter:
            description: Which entries are mail users.
            type: str
          starttls:
            description: STARTTLS on an C(ldap://) URI.
            type: bool
          ca_file:
            description: CA certificate that signed the directory's certificate.
            type: path
      migrate_mail:
        description: Move mail to the new account type's accounts, as in M(mailroom.server.smtp).
        type: bool
        default: false
  imap_pop3:
    description: Options of M(mailroom.server.imap_pop3).
    type: dict
    suboptions:
      imap:
        description: IMAP on port 143.
        type: bool
      imap_ssl:
        description: IMAPS on port 993.
        type: bool
      pop3:
        description: POP3 on port 110.
        type: bool
      pop3_ssl:
        description: POP3S on port 995.
        type: bool
      prohibit_plaintext_auth:
        description: Refuse passwords on unencrypted connections.
        type: bool
      max_connections_per_user_ip:
        description: Simultaneous connections of one user from one address, 1 to 5000.
        type: int
  network_interface:
    description: Options of M(mailroom.server.network_interface).
    type: dict
    suboptions:
      interface:
        description: Interface name, or V(all).
        type: str
        required: true
  high_availability:
    description:
      - Options of M(mailroom.server.high_availability) (needs the C(mailroom.server.ha) role). Left out or
        empty, the pair is not managed.
    type: dict
    suboptions:
      state:
        description: V(present) (the default) makes the host a node of the pair, V(absent) ends it.
        type: str
        choices: [present, absent]
      interface:
        description: Interface that carries the virtual IP.
        type: str
      virtual_ip:
        description: Virtual IP with its prefix length, inside a network of O(high_availability.interface).
        type: str
      peer:
        description: The other node's address.
        type: str
      priority:
        description: VRRP priority, 1 to 254.
        type: int
      router_id:
        description: VRRP virtual router ID, 1 to 255.
        type: int
      auth_pass:
        description: VRRP password, 1 to 8 characters (IPv4 only).
        type: str
      nopreempt:
        description: A returning node leaves the VIP where it is.
        type: bool
      sync_interval:
        description: Seconds between two sync rounds.
        type: int
      sync_port:
        description: Port of the doveadm listener (TLS) the peer syncs through.
        type: int
      sync_password:
        description: The doveadm password both nodes share.
        type: str
  tls_profile:
    description: Options of M(mailroom.server.tls_profile).
    type: dict
    suboptions:
      profile:
        description: V(modern) (TLS 1.3 only) or V(intermediate) (TLS 1.2 and 1.3).
        type: str
        required: true
        choices: [modern, intermediate]
  full_text_search:
    description: Options of M(mailroom.server.full_text_search).
    type: dict
    suboptions:
      enabled:
        description: Search indexes for IMAP SEARCH.
        type: bool
      cjk:
        description: Chinese, Japanese and Korean character search.
        type: bool
notes:
  - C(docs/settings.md) in the collection lists every setting of the Protocol tab, the option that sets it and
    what changes on the host.
seealso:
  - module: mailroom.server.settings_info
  - module: mailroom.server.smtp
  - module: mailroom.server.imap_pop3
  - module: mailroom.server.network_interface
  - module: mailroom.server.high_availability
  - module: mailroom.server.tls_profile
  - module: mailroom.server.full_text_search
  - module: mailroom.server.client
requirements:
  - netaddr on the host (Debian's C(python3-netaddr), which the C(mailroom.server.mta) role installs)
  - Postfix and Dovecot set up by the C(mailroom.server.mta) and C(mailroom.server.imap) roles; for the
    O(full_text_search) section also the C(mailroom.server.search) role
author:
  - mailroom.server developers (@mailroom)
'''

EXAMPLES = r'''
- name: The Protocol tab
  mailroom.server.protocol:
    smtp: {enabled: true, port: 25, smtps: true, starttls: true}
    imap_pop3: {imap: false, imap_ssl: true, pop3: false, pop3_ssl: true,
                prohibit_plaintext_auth: true, max_connections_per_user_ip: 20}
    network_interface: {interface: ens3}
    tls_profile: {profile: intermediate}
    full_text_search: {enabled: true, cjk: true}

- name: Read mx1's settings
  mailroom.server.settings_info:
  register: mx1_settings
  delegate_to: mx1.example.com

- name: Give this host the same Protocol tab
  mailroom.server.protocol: "{{ mx1_settings.protocol }}"
'''

RETURN = r'''
settings:
  description: The settings of the given sections after the change (in check mode, what they would be).
  returned: always
  type: dict
  sample: {smtp: {enabled: true, port: 25, smtps: true, starttls: true}, tls_profile: {profile: intermediate}}
activation:
  description: What was done, per daemon, to make the change effective (C(reload), C(restart) or C(none)).
  returned: always
  type: dict
  sample: {postfix: restart, dovecot: reload}
reload_required:
  description: A reload is still needed to make the change effective.
  returned: always
  type: bool
restart_required:
  description: A restart is still needed to make the change effective.
  returned: always
  type: bool
interrupted_change:
  description: A change an earlier run started and did not finish (killed), which this run converged.
  returned: when there was one
  type: dict
  sample: {started: '2026-11-30T07:00:00Z', pid: 4242, files: [/etc/postfix/main.cf], daemons: [postfix]}
'''

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.mailroom.server.plugins.module_utils._addresses import HAS_NETADDR, NETADDR_IMPORT_ERROR
from ansible_collections.mailroom.server.plugins.module_utils._areas import registry
from ansible_collections.mailroom.server.plugins.module_utils._engine import runner


def main():
    module = AnsibleModule(argument_spec=runner.page_argument_spec(registry.PROTOCOL_PAGE),
                           supports_check_mode=True)
    if not HAS_NETADDR:
        module.fail_json(msg=missing_required_lib('netaddr'), exception=NETADDR_IMPORT_ERROR)
    requests = runner.page_requests(module.params, registry.PROTOCOL_PAGE, optional=(registry.ACCOUNT_TYPE, registry.HIGH_AVAILABILITY))
    runner.run(module, requests, registry.ALL, layout=registry.PROTOCOL_PAGE)


if __name__ == '__main__':
    main()
