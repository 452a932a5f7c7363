#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: postfix_config
short_description: Set Postfix main.cf parameters and master.cf services, validated
version_added: 0.1.0
description:
  - Sets the named C(main.cf) parameters and C(master.cf) service entries and leaves every other
    line of both files as it was, comments included.
  - The low-level building block under the collection's settings modules and the
    C(mailroom.server.mta) role; prefer the settings modules for panel settings.
extends_documentation_fragment:
  - mailroom.server.activation
options:
  parameters:
    description:
      - C(main.cf) parameters to set, by name.
      - A list becomes a comma-separated value, a boolean becomes C(yes)/C(no).
      - A value of V(null) removes the parameter, so Postfix's built-in default applies.
      - A parameter this Postfix release does not know is an error.
      - Names are letters, digits and C(_). Every value (and list item) must be a single line; a
        newline, carriage return, tab or other control character is an error, never folded into the
        value. A YAML C(>) or C(|) block ends with a newline, so use C(>-) instead.
      - C(mynetworks) is checked as Postfix's C(smtpd) reads it, which it does only when it starts and then
        accepts no mail - every address and C(address/length) network must parse (IPv6 in brackets, such as
        V([::1]/128)), a network must have no host bits set (V(192.168.1.0/24), not V(192.168.1.1/24)), and an
        IPv4-mapped IPv6 address, which never matches, is refused; host names, C(/file) and C(type:table)
        patterns pass.
    type: dict
    default: {}
  defaults:
    description:
      - C(main.cf) parameters set only where C(main.cf) does not set them yet; an existing value,
        whoever set it, is never changed.
      - This is how a role lays down a base value that a settings module (for example
        M(mailroom.server.tls_profile)) owns afterwards, so the two never undo each other.
    type: dict
    default: {}
  services:
    description:
      - C(master.cf) service entries, identified by O(services[].name) and O(services[].type).
      - Fields left unset keep their current value (for a new entry, C(-), the Postfix default).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description:
          - Service name, for C(inet) services the port or C(host:port).
          - No whitespace or control characters, and not starting with C(#).
        type: str
        required: true
      type:
        description: Service type.
        type: str
        required: true
        choices: [inet, unix, unix-dgram, fifo, pass]
      state:
        description: Whether the entry exists.
        type: str
        choices: [present, absent]
        default: present
      private:
        description: The private column (C(y), C(n) or C(-)).
        type: str
      unprivileged:
        description: The unpriv column (C(y), C(n) or C(-)).
        type: str
      chroot:
        description: The chroot column (C(y), C(n) or C(-)).
        type: str
      wakeup:
        description: The wakeup column (seconds, optionally followed by C(?), or C(-)).
        type: str
      process_limit:
        description: The maxproc column (a number or C(-)).
        type: str
      command:
        description:
          - The daemon program; required for a new entry.
          - One line. Words after the program, separated by spaces, are its arguments; they replace
            the current arguments and come before O(services[].args).
        type: str
      args:
        description:
          - Command arguments other than C(-o) overrides (an argument starting with C(-o) is an error).
          - Each is one line with balanced braces; one containing spaces is written as C({ argument }).
        type: list
        elements: str
      options:
        description:
          - The entry's C(-o name=value) overrides; replaces all current overrides.
          - Names are Postfix parameter names (letters, digits and C(_)). Values follow the rules of
            O(parameters), with balanced braces; a value containing spaces is written as
            C(-o { name = value }).
        type: dict
  config_dir:
    description: Postfix configuration directory.
    type: path
    default: /etc/postfix
notes:
  - The C(main.cf) parameters and C(master.cf) entries the settings modules own are listed in
    C(docs/settings.md) in the collection, section "Where the settings live"; change those with the settings
    modules, not with this module.
seealso:
  - module: mailroom.server.smtp
  - module: mailroom.server.network_interface
  - module: mailroom.server.tls_profile
  - module: mailroom.server.protocol
requirements:
  - netaddr on the host (Debian's C(python3-netaddr), which the C(mailroom.server.mta) role installs)
  - Postfix installed on the host (the C(mailroom.server.mta) role installs it); C(postconf) and C(postfix
    check) validate every change
author:
  - mailroom.server developers (@mailroom)
'''

EXAMPLES = r'''
- name: Refuse relaying for strangers, and offer submission with STARTTLS
  mailroom.server.postfix_config:
    parameters:
      smtpd_relay_restrictions: [permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination]
    services:
      - name: submission
        type: inet
        private: n
        chroot: y
        command: smtpd
        options:
          syslog_name: postfix/submission
          smtpd_tls_security_level: encrypt
          smtpd_sasl_auth_enable: true

- name: Change files now, reload from a handler
  mailroom.server.postfix_config:
    parameters:
      message_size_limit: 52428800
    activate: false
  notify: Reload postfix
'''

RETURN = r'''
reload_required:
  description: A reload is still needed to make the change effective.
  returned: always
  type: bool
restart_required:
  description: A restart (not a reload) is still needed to make the change effective.
  returned: always
  type: bool
activation:
  description: What the module did to make the change effective.
  returned: always
  type: str
  sample: reload
  choices: [reload, restart, none]
parameters:
  description: The changed main.cf parameters, with their values before and after.
  returned: always
  type: dict
  sample: {message_size_limit: {before: "10240000", after: "52428800"}}
'''

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.mailroom.server.plugins.module_utils._addresses import HAS_NETADDR, NETADDR_IMPORT_ERROR
from ansible_collections.mailroom.server.plugins.module_utils._engine.area import POSTFIX, Plan, State
from ansible_collections.mailroom.server.plugins.module_utils._engine.errors import EXPECTED
from ansible_collections.mailroom.server.plugins.module_utils._engine.journal import Journal
from ansible_collections.mailroom.server.plugins.module_utils._engine.transaction import Transaction
from ansible_collections.mailroom.server.plugins.module_utils._postfix import config as _postfix
from ansible_collections.mailroom.server.plugins.module_utils._postfix.host import (
    PostfixHost,
    required_action,
)


def plan(texts, parameters, defaults, services):
    """Return (edit, before, after) for the wanted parameters and services.

    `edit` holds what differs ({"parameters": ..., "services": ...}); `before` and `after` the
    managed entries (those given), as they are and as they will be.
    """
    current_parameters = _postfix.parse_main_cf(texts['main.cf'])
    current_services = _postfix.parse_master_cf(texts['master.cf'])

    wanted_parameters = _postfix.desired_parameters(parameters)
    for name, value in _postfix.desired_parameters(defaults, 'defaults').items():
        if name not in current_parameters and name not in wanted_parameters:
            wanted_parameters[name] = value
    wanted_services = {}
    for spec in services:
        key = _postfix.service_key(spec)
        if spec.get('state') == 'absent':
            wanted_services[key] = None
        else:
            wanted_services[key] = _postfix.desired_service(spec, current_services.get(key))

    edit = {'parameters': _postfix.diff_entries(current_parameters, wanted_parameters)[1],
            'services': _postfix.diff_entries(current_services, wanted_services)[1]}
    before = {'parameters': dict((name, current_parameters.get(name)) for name in wanted_parameters),
              'services': dict((key, current_services.get(key)) for key in wanted_services)}
    after = {'parameters': wanted_parameters, 'services': wanted_services}
    return edit, before, after


def main():
    service_spec = dict(
        name=dict(type='str', required=True),
        type=dict(type='str', required=True, choices=list(_postfix.SERVICE_TYPES)),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        private=dict(type='str'),
        unprivileged=dict(type='str'),
        chroot=dict(type='str'),
        wakeup=dict(type='str'),
        process_limit=dict(type='str'),
        command=dict(type='str'),
        args=dict(type='list', elements='str'),
        options=dict(type='dict'),
    )
    module = AnsibleModule(
        argument_spec=dict(
            parameters=dict(type='dict', default={}),
            defaults=dict(type='dict', default={}),
            services=dict(type='list', elements='dict', default=[], options=service_spec),
            config_dir=dict(type='path', default='/etc/postfix'),
            activate=dict(type='bool', default=True),
        ),
        supports_check_mode=True,
    )
    if not HAS_NETADDR:
        module.fail_json(msg=missing_required_lib('netaddr'), exception=NETADDR_IMPORT_ERROR)
    result = dict(changed=False, activation='none', reload_required=False, restart_required=False,
                  parameters={})
    try:
        apply(module, result)
    except EXPECTED as exc:
        result['changed'] = bool(getattr(exc, 'changed', False))
        module.fail_json(msg=str(exc), **result)
    module.exit_json(**result)


def apply(module, result):
    """Plan, validate and (outside check mode) commit the change through the settings engine."""
    journal = Journal()
    journal.sweep()
    host = PostfixHost(module, journal, module.params['config_dir'])
    edit, before, after = plan(host.read(), module.params['parameters'], module.params['defaults'],
                               module.params['services'])
    result['parameters'] = dict((name, dict(before=before['parameters'][name], after=value))
                                for name, value in edit['parameters'].items())
    if module._diff:
        result['diff'] = dict(before=before, after=after)
    action = required_action(edit['parameters'], bool(edit['services']))
    if action is None:
        return
    transaction = Transaction({POSTFIX: host}, journal)
    transaction.stage([('postfix_config', Plan(edits={POSTFIX: edit}, actions={POSTFIX: action}))], State())
    result['changed'] = True
    if module.check_mode:
        return
    taken = transaction.commit(module.params['activate']).get(POSTFIX)
    result['activation'] = taken or 'none'
    result['restart_required'] = taken is None and action == 'restart'
    result['reload_required'] = taken is None and action == 'reload'


if __name__ == '__main__':
    main()
