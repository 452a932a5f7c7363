#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: client
short_description: The whole Client tab of the mail host (the webmail's policies) in one change
version_added: 0.3.0
description:
  - The admin panel's MailPlus Client tab at once - sender name, mail encryption, mailbox sharing,
    the webmail's logo, shared links for large attachments and mail from external POP3 servers - with the
    same options as M(mailroom.server.sender_name), M(mailroom.server.mail_encryption),
    M(mailroom.server.mailbox_sharing), M(mailroom.server.custom_logo) (whose image is read and checked on the
    controller the same way), M(mailroom.server.shared_links) and M(mailroom.server.external_pop3).
  - The host is read once, all changes are validated together on staged copies, and each daemon
    (Dovecot, the webmail) is reloaded at most once; if one does not take the change, the previous
    files come back and every daemon runs on them again.
  - The C(client) result of M(mailroom.server.client_info) can be passed in unchanged.
  - Sections left out are not managed; options left out of a section keep their current value.
extends_documentation_fragment:
  - mailroom.server.activation
options:
  sender_name:
    description: Options of M(mailroom.server.sender_name).
    type: dict
    suboptions:
      allow_change:
        description: Whether users may choose their sender display name.
        type: bool
  mail_encryption:
    description: Options of M(mailroom.server.mail_encryption).
    type: dict
    suboptions:
      openpgp:
        description: Whether users may send OpenPGP encrypted mail, and the webmail offers OpenPGP.
        type: bool
      smime:
        description: Whether users may send S/MIME encrypted mail, and the webmail offers S/MIME.
        type: bool
  mailbox_sharing:
    description: Options of M(mailroom.server.mailbox_sharing).
    type: dict
    suboptions:
      enabled:
        description: Whether users may share folders.
        type: bool
  custom_logo:
    description: Options of M(mailroom.server.custom_logo).
    type: dict
    suboptions:
      src:
        description: The logo image, a file on the controller.
        type: str
      state:
        description: V(present) shows the logo given in O(custom_logo.src) (without it, keeps the logo shown); V(absent) brings back Roundcube's own logo.
        type: str
        choices: [present, absent]
      content:
        description: Internal, set by the action plugin from O(custom_logo.src). Do not set.
        type: str
      controller_check:
        description: Internal, set by the action plugin from O(custom_logo.src). Do not set.
        type: dict
        suboptions:
          format:
            description: V(png), V(jpeg), V(gif) or V(webp).
            type: str
          width:
            description: Width in pixels, from the image's header.
            type: int
          height:
            description: Height in pixels, from the image's header.
            type: int
          size:
            description: Size of the file in bytes.
            type: int
          sha256:
            description: SHA-256 of the file.
            type: str
  shared_links:
    description: Options of M(mailroom.server.shared_links).
    type: dict
    suboptions:
      enabled:
        description: Whether large attachments are turned into links.
        type: bool
      domain_limits:
        description:
          - Mail domain of the sender to the size above which an attachment becomes a link (C(10MB), C(25 MiB), or
            whole bytes; K, M and G are powers of 1024), 1 KiB to 2 GiB. A domain not listed has no conversion.
        type: dict
      link_lifetime_days:
        description: How many days a link works, 1 to 3650, or V(0) for links that never expire.
        type: int
      base_url:
        description: The public HTTPS address the downloads are served from, C(https://host[:port][/path]).
        type: str
  external_pop3:
    description: Options of M(mailroom.server.external_pop3).
    type: dict
    suboptions:
      allowed:
        description: Whether users may fetch mail from external POP3 servers.
        type: bool
      interval_minutes:
        description: Minutes between two fetch runs of a user, 1 to 1440.
        type: int
      max_accounts_per_user:
        description: How many external accounts a user may have, 1 to 100.
        type: int
      allow_insecure:
        description: Whether accounts may use plain POP3 without TLS (port 110, passwords readable on the way).
        type: bool
      keep_on_server_default:
        description: Whether a new account leaves the fetched messages on the external server.
        type: bool
notes:
  - C(docs/settings.md) in the collection, section "The Client tab (MailPlus Client)", lists every setting of
    the tab, the option that sets it and what changes on the host.
  - The controller needs no Python packages beyond ansible-core - a logo is checked there from its header,
    without Pillow.
seealso:
  - module: mailroom.server.client_info
  - module: mailroom.server.sender_name
  - module: mailroom.server.mail_encryption
  - module: mailroom.server.mailbox_sharing
  - module: mailroom.server.custom_logo
  - module: mailroom.server.shared_links
  - module: mailroom.server.external_pop3
  - module: mailroom.server.protocol
requirements:
  - netaddr on the host (Debian's C(python3-netaddr), which the C(mailroom.server.mta) role installs)
  - The C(mailroom.server.webmail) role applied on the host for every section but O(shared_links) and
    O(external_pop3); the O(mailbox_sharing) section also needs the C(mailroom.server.imap) role, and the sender
    name and encryption policies are enforced on submission by the C(mailroom.server.mta) role
  - The C(mailroom.server.shared_links) role applied on the host for the O(shared_links) section
  - The C(mailroom.server.external_pop3) role applied on the host for the O(external_pop3) section
author:
  - mailroom.server developers (@mailroom)
'''

EXAMPLES = r'''
- name: The Client tab
  mailroom.server.client:
    sender_name: {allow_change: false}
    mail_encryption: {openpgp: true, smime: false}
    mailbox_sharing: {enabled: true}
    custom_logo: {src: files/logo.png}
    shared_links: {enabled: true, domain_limits: {example.com: 10MB}}
    external_pop3: {allowed: true, interval_minutes: 15}

- name: Read mx1's Client tab
  mailroom.server.client_info:
  register: mx1_client
  delegate_to: mx1.example.com

- name: Give this host the same Client tab
  mailroom.server.client: "{{ mx1_client.client }}"
'''

RETURN = r'''
settings:
  description: The settings of the given sections after the change (in check mode, what they would be).
  returned: always
  type: dict
  sample: {sender_name: {allow_change: false}, mail_encryption: {openpgp: true, smime: false}}
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
timers:
  description:
    - What the external POP3 fetcher's C(apply) did to the users' timers when the O(external_pop3) section is
      given (see M(mailroom.server.external_pop3)).
  returned: when the O(external_pop3) section is given, not in check mode
  type: dict
  sample: {changed: true, started: [alice], stopped: []}
interrupted_change:
  description: A change an earlier run started and did not finish (killed), which this run converged.
  returned: when there was one
  type: dict
  sample: {started: '2026-11-30T07:00:00Z', pid: 4242, files: [/etc/roundcube/mailroom.d/sender_name.inc.php],
           daemons: {webmail: reload}}
'''

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.mailroom.server.plugins.module_utils._addresses import HAS_NETADDR, NETADDR_IMPORT_ERROR
from ansible_collections.mailroom.server.plugins.module_utils._areas import registry
from ansible_collections.mailroom.server.plugins.module_utils._engine import runner


def main():
    module = AnsibleModule(argument_spec=runner.page_argument_spec(registry.CLIENT_PAGE),
                           supports_check_mode=True)
    if not HAS_NETADDR:
        module.fail_json(msg=missing_required_lib('netaddr'), exception=NETADDR_IMPORT_ERROR)
    runner.run(module, runner.page_requests(module.params, registry.CLIENT_PAGE), registry.ALL,
               layout=registry.CLIENT_PAGE)


if __name__ == '__main__':
    main()
