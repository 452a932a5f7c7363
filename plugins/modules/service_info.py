#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: service_info
short_description: Read the mail host's service settings
version_added: 0.1.0
description:
  - Returns the current settings of every service settings area, in exactly the option shapes of
    M(mailroom.server.smtp), M(mailroom.server.imap_pop3), M(mailroom.server.network_interface)
    and M(mailroom.server.tls_profile), so that feeding them back into those modules (or into the
    C(settings_service) variable of the C(mailroom.server.settings) role) changes nothing.
  - A setting that matches none of its choices (for example a TLS configuration edited by hand)
    is returned as V(null).
attributes:
  check_mode:
    description: Reads only; runs the same in check mode.
    support: full
  diff_mode:
    description: Changes nothing, so there is no diff.
    support: none
options: {}
author:
  - mailroom.server developers (@mailroom)
'''

EXAMPLES = r'''
- name: Read the service settings
  mailroom.server.service_info:
  register: mail_service

- name: Apply the same settings to another host
  mailroom.server.smtp: "{{ mail_service.settings.smtp }}"
  delegate_to: mx2.example.com
'''

RETURN = r'''
settings:
  description: Current settings per area, in the option shapes of the area's module.
  returned: always
  type: dict
  contains:
    smtp:
      description: Options of M(mailroom.server.smtp).
      type: dict
      sample: {enabled: true, port: 25, smtps: true, starttls: true}
    imap_pop3:
      description: Options of M(mailroom.server.imap_pop3).
      type: dict
      sample: {imap: true, imap_ssl: true, pop3: true, pop3_ssl: true,
               prohibit_plaintext_auth: true, max_connections_per_user_ip: 10}
    network_interface:
      description: Options of M(mailroom.server.network_interface).
      type: dict
      sample: {interface: all}
    tls_profile:
      description: Options of M(mailroom.server.tls_profile).
      type: dict
      sample: {profile: intermediate}
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailroom.server.plugins.module_utils._operations import host_facts as _host_facts
from ansible_collections.mailroom.server.plugins.module_utils._engine import runner as _settings
from ansible_collections.mailroom.server.plugins.module_utils._areas.protocol_tab import AREAS


def main():
    module = AnsibleModule(argument_spec={}, supports_check_mode=True)
    try:
        settings = _settings.read_areas(module, AREAS, _host_facts.gather(module))
    except _settings.HOST_ERRORS as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, settings=settings)


if __name__ == '__main__':
    main()
