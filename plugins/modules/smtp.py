#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: smtp
short_description: SMTP settings of the mail host (Postfix)
version_added: 0.1.0
description:
  - The admin panel's SMTP settings - the SMTP service itself, its port, SMTPS on 465 and STARTTLS
    (on the SMTP port and the 587 submission service).
  - Services are turned off with Postfix's C(master_service_disable), so their C(master.cf)
    entries, with any options you gave them, come back unchanged when turned on again.
  - Options left unset keep their current value.
  - Needs a host set up by the C(mailroom.server.mta) role.
extends_documentation_fragment:
  - mailroom.server.activation
options:
  enabled:
    description:
      - The Postfix SMTP service. With V(false) no SMTP listener (25, 465, 587 or another port)
        accepts connections; mail already queued is still delivered locally.
    type: bool
  port:
    description:
      - Port of the SMTP service that receives mail from other servers, 1 to 65535 (default 25).
      - A port used by another Postfix service or another program is an error.
    type: int
  smtps:
    description: SMTP over implicit TLS (SMTPS) on port 465, with authentication, for mail clients.
    type: bool
  starttls:
    description:
      - STARTTLS on the SMTP port, and the submission service on port 587 (which requires
        STARTTLS before authentication).
      - With V(false) the SMTP port speaks plain text only and port 587 is closed.
    type: bool
author:
  - mailroom.server developers (@mailroom)
'''

EXAMPLES = r'''
- name: SMTP on 2525, with STARTTLS and SMTPS
  mailroom.server.smtp:
    enabled: true
    port: 2525
    smtps: true
    starttls: true

- name: Close SMTPS, reload later from a handler
  mailroom.server.smtp:
    smtps: false
    activate: false
  notify: Reload postfix
'''

RETURN = r'''
settings:
  description: The settings after the change (in check mode, what they would be).
  returned: always
  type: dict
  sample: {enabled: true, port: 25, smtps: true, starttls: true}
activation:
  description: What was done, per daemon, to make the change effective (C(reload), C(restart) or C(none)).
  returned: always
  type: dict
  sample: {postfix: reload}
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

from ansible_collections.mailroom.server.plugins.module_utils import _host_facts, _settings, _smtp


def main():
    argument_spec = dict(_smtp.ARGUMENT_SPEC)
    argument_spec.update(_settings.activation_argument_spec())
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    options = dict((name, module.params[name]) for name in _smtp.OPTIONS)
    _settings.run(module, [(_smtp, options)], facts=_host_facts.gather(module))


if __name__ == '__main__':
    main()
