#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: external_pop3_account
short_description: A user's account on an external POP3 server, whose mail the host fetches
version_added: 0.3.0
description:
  - Adds, changes or removes one account of a mail user on another server, as the user can in the webmail's
    External accounts page. The host fetches the account's mail on the user's timer and delivers it to
    O(folder) through Dovecot (Sieve, quota and indexing as for any mail).
  - An account is named by O(user), O(server) (without regard to case) and O(login); each user has their own.
  - Options left out (O(password), O(keep), O(folder), O(paused)) keep the stored value; a new account takes
    O(keep) from the policy's O(mailroom.server.external_pop3#module:keep_on_server_default), folder C(INBOX)
    and not paused, and needs O(password).
  - The fetcher of the C(mailroom.server.external_pop3) role stores the accounts (C(/var/lib/mailroom/external-pop3),
    root only) and checks every request - the user known to Dovecot, the server a DNS name or an IP address, plain
    POP3 only if O(mailroom.server.external_pop3#module:allow_insecure) allows it, at most
    O(mailroom.server.external_pop3#module:max_accounts_per_user) accounts; a refusal fails the module with the
    fetcher's message and changes nothing.
  - The password goes to the fetcher on its standard input, never on a command line, and is never returned.
    A given O(password) that differs from the stored one is a change (RV(password_changed)); the same one is not.
  - Needs a host set up by the C(mailroom.server.external_pop3) role; without it the module fails and changes
    nothing. Whether users may fetch at all is the policy's (M(mailroom.server.external_pop3)); accounts can be
    managed while fetching is not allowed.
attributes:
  check_mode:
    description: The fetcher checks the request and answers what it would do, writing nothing.
    support: full
  diff_mode:
    description: Returns the account before and after the change, without its password.
    support: full
options:
  user:
    description: The mail user (their login on this host, as Dovecot knows it) the account belongs to.
    type: str
    required: true
  server:
    description: The external POP3 server, a DNS name (international names are stored in punycode) or an IP address.
    type: str
    required: true
  port:
    description:
      - The port of the server, 1 to 65535.
      - Left out, V(995) with O(tls=pop3s), else V(110).
    type: int
  tls:
    description:
      - V(pop3s) - TLS from the start (usually port 995).
      - V(starttls) - plain POP3 that must switch to TLS (STLS) before the login; a server that does not offer it
        is not fetched from.
      - V(none) - no TLS, the password readable on the way; only when the policy's
        O(mailroom.server.external_pop3#module:allow_insecure) is V(true).
      - The server's certificate and name are always checked against the host's CA store.
    type: str
    choices: [pop3s, starttls, none]
    default: pop3s
  login:
    description: The user name on the external server.
    type: str
    required: true
  password:
    description:
      - The password on the external server. Required for a new account; left out, an existing account keeps
        its stored password.
      - Given, the module reports a change whenever it differs from the stored one (RV(password_changed)); the
        password is never shown.
    type: str
  keep:
    description:
      - Whether fetched messages stay on the external server (V(false) deletes them there once delivered).
      - Left out, an existing account keeps its setting; a new one takes the policy's
        O(mailroom.server.external_pop3#module:keep_on_server_default).
    type: bool
  folder:
    description:
      - The folder the fetched mail is delivered to, as the user sees it in IMAP (UTF-8, with the separator the
        server shows, such as C(Archive/Other)); created when missing.
      - Left out, an existing account keeps its folder; a new one delivers to C(INBOX).
    type: str
  paused:
    description:
      - Whether fetching from this account is paused (its settings and password stay).
      - Left out, an existing account keeps its setting; a new one is not paused.
    type: bool
  state:
    description:
      - V(present) adds the account or changes it to the options given.
      - V(absent) removes the account (named by O(user), O(server) and O(login); the other options are ignored)
        with what the fetcher remembers of it; the mail fetched before stays.
    type: str
    choices: [present, absent]
    default: present
notes:
  - C(docs/settings.md) in the collection, section "The Client tab (MailPlus Client)", says how the policy and the
    accounts work together.
seealso:
  - module: mailroom.server.external_pop3
  - module: mailroom.server.client
requirements:
  - The C(mailroom.server.external_pop3) role applied on the host, whose program stores the accounts and fetches
    their mail
author:
  - mailroom.server developers (@mailroom)
'''

EXAMPLES = r'''
- name: Alice's mail at her old provider arrives in her mailbox here
  mailroom.server.external_pop3_account:
    user: alice
    server: pop.example.net
    login: alice@example.net
    password: "{{ vault_alice_example_net_password }}"
    keep: true

- name: Bob's club mail, into its own folder, over STARTTLS on port 110
  mailroom.server.external_pop3_account:
    user: bob
    server: mail.club.example
    tls: starttls
    login: bob
    password: "{{ vault_bob_club_password }}"
    folder: Club
    keep: false

- name: Pause it for now, keeping the password
  mailroom.server.external_pop3_account:
    user: bob
    server: mail.club.example
    tls: starttls
    login: bob
    paused: true

- name: Alice no longer fetches from her old provider
  mailroom.server.external_pop3_account:
    user: alice
    server: pop.example.net
    login: alice@example.net
    state: absent
'''

RETURN = r'''
account:
  description:
    - The account after the change (in check mode, what it would be), without its password; V(null) with
      O(state=absent).
  returned: always
  type: dict
  contains:
    id:
      description: The fetcher's name for the account, 32 hexadecimal digits.
      type: str
    server:
      description: The server, lower case, international names in punycode.
      type: str
    port:
      description: The port.
      type: int
    tls:
      description: V(pop3s), V(starttls) or V(none).
      type: str
    login:
      description: The user name on the server.
      type: str
    keep:
      description: Whether fetched messages stay on the server.
      type: bool
    folder:
      description: The folder the mail is delivered to.
      type: str
    paused:
      description: Whether fetching is paused.
      type: bool
    password_set:
      description: Whether a password is stored; always V(true).
      type: bool
    status:
      description:
        - The last fetch run - C(last_run) (ISO 8601, UTC, or V(null) before the first), C(last_count) (messages
          it fetched), C(total) (messages fetched so far) and C(last_error) (V(null) when it worked).
      type: dict
  sample: {id: 0f3c6b2a9d8e4f1a0b2c3d4e5f607182, server: pop.example.net, port: 995, tls: pop3s,
           login: alice@example.net, keep: true, folder: INBOX, paused: false, password_set: true,
           status: {last_run: '2026-11-30T07:00:00Z', last_count: 2, total: 41, last_error: null}}
password_changed:
  description: Whether the given password differed from the stored one (always V(false) for a new account or
    O(state=absent)).
  returned: always
  type: bool
  sample: false
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailroom.server.plugins.module_utils import _external_pop3 as fetcher


def main():
    module = AnsibleModule(
        argument_spec=dict(
            user=dict(type='str', required=True),
            server=dict(type='str', required=True),
            port=dict(type='int'),
            tls=dict(type='str', choices=list(fetcher.TLS_MODES), default='pop3s'),
            login=dict(type='str', required=True),
            password=dict(type='str', no_log=True),
            keep=dict(type='bool'),
            folder=dict(type='str'),
            paused=dict(type='bool'),
            state=dict(type='str', choices=['present', 'absent'], default='present'),
        ),
        supports_check_mode=True,
    )
    result = dict(changed=False, account=None, password_changed=False)
    try:
        request = fetcher.build_request(module.params, module.check_mode)
    except fetcher.AccountError as exc:
        module.fail_json(msg=str(exc), **result)
    if not fetcher.program_installed():
        module.fail_json(msg=fetcher.missing_program(), **result)
    # The request (with the password) on stdin as it is: binary_data adds no line break.
    rc, out, err = module.run_command(fetcher.command('admin'), data=fetcher.encode(request), binary_data=True)
    try:
        result = fetcher.interpret(rc, out, err, request, diff=module._diff)
    except fetcher.AccountError as exc:
        module.fail_json(msg=str(exc), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
