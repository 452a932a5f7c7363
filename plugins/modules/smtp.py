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
  - The account type (who may use mail) is part of these settings - local system users, users
    of an OpenLDAP directory, or users of an Active Directory domain. Postfix accepts a recipient
    only if that type's lookup finds it; Dovecot checks passwords by binding to the directory.
    Directory users' mail is kept under C(/var/vmail/<type>/<login>/Maildir) (owner C(vmail)),
    so mail of one type is never visible to another type's users.
  - Before switching to a directory, the module connects, binds and looks one user up with the
    new settings; if that fails it stops with the directory's error and changes nothing.
  - Options left unset keep their current value.
  - Needs a host set up by the C(mailroom.server.mta) and C(mailroom.server.imap) roles.
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
  account_type:
    description:
      - Who may use mail. V(local) - system users (uid 1000 to 60000 by default), address
        C(login@domain). V(ldap) - C(inetOrgPerson) entries of an OpenLDAP directory, login C(uid),
        addresses C(uid@domain) and the C(mail) attribute. V(domain) - enabled people of an Active
        Directory domain, login C(sAMAccountName), addresses C(sAMAccountName@domain), C(mail) and
        C(userPrincipalName).
    type: str
    choices: [local, ldap, domain]
  directory:
    description:
      - Connection to the directory for O(account_type=ldap) or O(account_type=domain). Required
        when switching to one of them; later runs may give only what changes.
      - Referrals are never chased (AD's continuation references point at other servers).
    type: dict
    suboptions:
      uri:
        description:
          - One C(ldap://) or C(ldaps://) URI, such as C(ldap://dc1.corp.example.com).
          - Its host is a DNS name, an IPv4 address or an IPv6 address in brackets (C(ldaps://[2001:db8::10]:636)),
            optionally with a port; nothing may follow but a C(/).
        type: str
      base_dn:
        description: Where users are searched (the whole subtree).
        type: str
      bind_dn:
        description:
          - Account that searches the directory (a DN, or C(user@realm) for AD). Users' passwords
            are checked by binding as the user, never by reading password attributes.
        type: str
      bind_password:
        description: Password of O(directory.bind_dn). Never shown in results or diffs.
        type: str
      user_filter:
        description:
          - Which entries are mail users. Default C((objectClass=inetOrgPerson)) for V(ldap);
            enabled people (C(objectCategory=person), not disabled by C(userAccountControl)) for
            V(domain).
        type: str
      starttls:
        description: STARTTLS on an C(ldap://) URI (default V(true); V(false) for C(ldaps://)).
        type: bool
      ca_file:
        description: CA certificate that signed the directory's certificate (checked always).
        type: path
  migrate_mail:
    description:
      - After switching from V(local) to V(ldap) or V(domain) (or between those two), move each
        user's mail into the directory account with the same login. Users with no such account
        are ignored and listed, their mail left as it is.
      - Mail is merged into an existing mailbox, never overwriting it; each user is verified
        (every message's content hash, flags and keywords per folder) before the old store is
        renamed to C(Maildir.migrated-to-<type>-<time>) - kept, not deleted. An interrupted run
        resumes where it stopped when run again, and a re-run copies nothing twice.
      - Moving directory mail back into system accounts is refused.
    type: bool
    default: false
notes:
  - C(docs/settings.md) in the collection lists every setting of the Protocol tab, the option that sets it and
    what changes on the host; C(docs/accounts.md) describes the account types and moving mail between them.
seealso:
  - module: mailroom.server.protocol
  - module: mailroom.server.settings_info
  - module: mailroom.server.imap_pop3
  - module: mailroom.server.network_interface
  - module: mailroom.server.tls_profile
  - module: mailroom.server.postfix_config
requirements:
  - netaddr on the host (Debian's C(python3-netaddr), which the C(mailroom.server.mta) role installs)
  - The C(mailroom.server.mta) and C(mailroom.server.imap) roles applied on the host (Postfix, and Dovecot,
    which the account type also changes; both roles install the LDAP support the directory account types use)
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

- name: Users of an OpenLDAP directory, moving local users' mail to them
  mailroom.server.smtp:
    account_type: ldap
    directory:
      uri: ldap://ldap.example.com
      base_dn: dc=example,dc=com
      bind_dn: cn=mail,ou=services,dc=example,dc=com
      bind_password: "{{ vault_ldap_mail_password }}"
      ca_file: /etc/ssl/certs/example-ca.pem
    migrate_mail: true
  register: switch

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
  sample: {enabled: true, port: 25, smtps: true, starttls: true, account_type: local, directory: null}
directory_user_found:
  description: The user the directory probe found before switching (proof the directory works).
  returned: when the directory settings changed
  type: str
migration:
  description:
    - With O(migrate_mail), per user - C(user), C(from), C(status) (C(migrated), C(ignored) or
      C(failed)), C(messages) and C(bytes) (of the source), C(copied) and C(copied_bytes) (by this
      run), C(seconds), C(target), C(retired_to), C(reason) or C(error) - and the lists C(migrated), C(ignored)
      and C(failed).
  returned: when migrate_mail is true and the account type is a directory
  type: dict
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

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.mailroom.server.plugins.module_utils._addresses import HAS_NETADDR, NETADDR_IMPORT_ERROR
from ansible_collections.mailroom.server.plugins.module_utils._areas import registry
from ansible_collections.mailroom.server.plugins.module_utils._engine import runner


def main():
    areas = (registry.SMTP, registry.ACCOUNT_TYPE)
    module = AnsibleModule(argument_spec=runner.area_argument_spec(areas), supports_check_mode=True)
    if not HAS_NETADDR:
        module.fail_json(msg=missing_required_lib('netaddr'), exception=NETADDR_IMPORT_ERROR)
    runner.run(module, runner.area_requests(module.params, areas, optional=(registry.ACCOUNT_TYPE,)), registry.ALL)


if __name__ == '__main__':
    main()
