#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: service
short_description: All service settings of the mail host in one change
version_added: 0.1.0
description:
  - The admin panel's whole service settings page at once - SMTP, IMAP/POP3, network interface and
    TLS profile - with the same options as M(mailroom.server.smtp), M(mailroom.server.imap_pop3),
    M(mailroom.server.network_interface) and M(mailroom.server.tls_profile).
  - The host is read once, all changes are validated together on staged copies, and each daemon is
    reloaded or restarted at most once. The output of M(mailroom.server.service_info) can be
    passed in unchanged.
  - Areas left out are not managed; options left out of an area keep their current value.
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
  tls_profile:
    description: Options of M(mailroom.server.tls_profile).
    type: dict
    suboptions:
      profile:
        description: V(modern) (TLS 1.3 only) or V(intermediate) (TLS 1.2 and 1.3).
        type: str
        required: true
        choices: [modern, intermediate]
author:
  - mailroom.server developers (@mailroom)
'''

EXAMPLES = r'''
- name: The service settings page
  mailroom.server.service:
    smtp: {enabled: true, port: 25, smtps: true, starttls: true}
    imap_pop3: {imap: false, imap_ssl: true, pop3: false, pop3_ssl: true,
                prohibit_plaintext_auth: true, max_connections_per_user_ip: 20}
    network_interface: {interface: ens3}
    tls_profile: {profile: intermediate}

- name: Copy another host's settings
  mailroom.server.service: "{{ hostvars['mx1.example.com'].mx1_service.settings }}"
'''

RETURN = r'''
settings:
  description: The settings of the given areas after the change (in check mode, what they would be).
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
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailroom.server.plugins.module_utils._operations import host_facts as _host_facts
from ansible_collections.mailroom.server.plugins.module_utils._engine import runner as _settings
from ansible_collections.mailroom.server.plugins.module_utils._areas.protocol_tab import AREAS


def main():
    argument_spec = dict((area.NAME, dict(type='dict', options=area.ARGUMENT_SPEC)) for area in AREAS)
    argument_spec.update(_settings.activation_argument_spec())
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    requests = [(area, module.params[area.NAME]) for area in AREAS
                if module.params[area.NAME] is not None]
    _settings.run(module, requests, facts=_host_facts.gather(module), nested=True)


if __name__ == '__main__':
    main()
