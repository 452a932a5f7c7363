#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: dkim
short_description: DKIM signing of outgoing mail - keys per mail domain and selector, made on the host
version_added: 0.4.0
description:
  - The admin panel's DKIM settings - for each mail domain its selectors, each with a private key the module makes on
    the managed host, and which of them rspamd signs outgoing mail with. Mail submitted by users (587, 465, the
    webmail) and mail sent on the host itself (C(sendmail)) is signed; mail arriving from other servers is not.
  - Each O(selectors) entry adds, changes or (O(selectors[].state=absent)) removes one selector; selectors not given
    stay as they are.
  - A new selector gets a new key - RSA (O(selectors[].key_size) bits, 2048 unless given) or Ed25519 - in
    C(/var/lib/rspamd/dkim/<domain>/<selector>.key), mode C(0640), owner C(root), group C(_rspamd). A key never
    leaves the host and is never returned; RV(records) holds each selector's public DNS record instead.
  - "Key rotation - add a new selector with O(selectors[].signing=false) and publish its record; once it is
    published, set O(selectors[].signing=true) on it and V(false) on the old one in one call; remove the old one
    (O(selectors[].state=absent)) when no message in flight can carry its signature any more (a few days). A
    selector that does not sign stays published in RV(records)."
  - Per domain one RSA key signs, and optionally one Ed25519 key beside it (a second signature, RFC 8463); an
    Ed25519 signature alone is refused, since many receivers verify RSA signatures only.
  - The signing selectors are rspamd's C(/etc/rspamd/local.d/dkim_signing.conf), checked with C(rspamadm configtest)
    on a staged copy of C(/etc/rspamd) before it replaces the live file; rspamd is then reloaded and the change
    proven by a probe message of each signing domain, which must come back signed by each of its signing selectors.
  - Needs a host set up by the C(mailroom.server.filter) role (rspamd as Postfix's milter); without it the module
    fails and changes nothing.
extends_documentation_fragment:
  - mailroom.server.activation
options:
  selectors:
    description:
      - Selectors to add, change or remove, each one mail domain's. Selectors not listed stay as they are; left out
        (or V([])), nothing changes - the module then only returns the records.
    type: list
    elements: dict
    suboptions:
      domain:
        description:
          - The mail domain the key signs for - the domain of the C(From) address of the mail it signs, exactly
            (C(sub.example.com) signs with its own selectors, not those of C(example.com)). ASCII; international
            names in punycode.
        type: str
        required: true
      selector:
        description:
          - The selector, one or more host name labels; the record is published at C(<selector>._domainkey.<domain>).
        type: str
        required: true
      key_type:
        description:
          - The type of a new selector's key. Left out, V(rsa) (or the existing key's type).
          - An existing key is never changed - another type needs a new selector.
        type: str
        choices: [rsa, ed25519]
      key_size:
        description:
          - The size of a new RSA key in bits - 2048, 3072 or 4096. Left out, 2048 (or the existing key's size).
            Not for Ed25519 keys.
          - Keys above 2048 bits make records longer than one 255-byte TXT string; some DNS providers' forms do
            not take them.
        type: int
      signing:
        description:
          - Whether rspamd signs with this selector. Left out, a new selector signs and an existing one keeps its
            setting. A selector that does not sign keeps its key and its record.
        type: bool
      state:
        description:
          - V(absent) removes the selector - it stops signing and its key file is deleted. V(present) is the default.
        type: str
        choices: [present, absent]
notes:
  - C(docs/filtering.md) in the collection explains the filter role, signing and its settings, and maps the panel's
    DKIM settings to these options.
  - A C(dkim_signing.conf) that is not exactly the module's (a hand edit) reads as V(null) for O(selectors[].signing);
    the next change writes the whole file again, signing only with the selectors given O(selectors[].signing=true).
  - A signing selector whose key file is gone gets a new key on the next change; its record changes with it.
seealso:
  - module: mailroom.server.dns_records
  - module: mailroom.server.settings_info
requirements:
  - cryptography on the host (Debian's C(python3-cryptography), which the C(mailroom.server.filter) role installs)
  - The C(mailroom.server.filter) role applied on the host
author:
  - mailroom.server developers (@mailroom)
'''

EXAMPLES = r'''
- name: Sign mail of example.com with an RSA key, and an Ed25519 one beside it
  mailroom.server.dkim:
    selectors:
      - domain: example.com
        selector: s2026
      - domain: example.com
        selector: e2026
        key_type: ed25519
  register: dkim

- name: Publish them (with the other records of the domain)
  mailroom.server.dns_records:
    domains: [example.com]
    mail_host: mail.example.com
    dkim: "{{ dkim.dns_records_dkim }}"

- name: Rotation, first step - a new key, published but not signing yet
  mailroom.server.dkim:
    selectors:
      - domain: example.com
        selector: s2027
        signing: false

- name: Once its record is published - sign with the new key instead of the old one
  mailroom.server.dkim:
    selectors:
      - {domain: example.com, selector: s2027, signing: true}
      - {domain: example.com, selector: s2026, signing: false}

- name: Days later - remove the old key
  mailroom.server.dkim:
    selectors:
      - {domain: example.com, selector: s2026, state: absent}
'''

RETURN = r'''
settings:
  description: Every selector after the change (in check mode, what they would be), sorted by domain and selector.
  returned: always
  type: dict
  sample:
    selectors:
      - {domain: example.com, selector: e2026, key_type: ed25519, key_size: null, signing: true}
      - {domain: example.com, selector: s2026, key_type: rsa, key_size: 2048, signing: true}
records:
  description:
    - Per selector, its DNS record - C(name) (absolute) and C(value) (the TXT value, as one text; V(null) in check
      mode for a key not made yet) - with the settings of the selector and C(private_key_path), where its key is.
  returned: always
  type: list
  elements: dict
  sample:
    - {domain: example.com, selector: s2026, key_type: rsa, key_size: 2048, signing: true,
       name: s2026._domainkey.example.com., type: TXT, value: 'v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA...',
       private_key_path: /var/lib/rspamd/dkim/example.com/s2026.key}
dns_records_dkim:
  description:
    - The public keys in the shape of the O(mailroom.server.dns_records#module:dkim) option - C(domain), C(selector),
      C(public_key) (PEM) - for every selector with a key.
  returned: always
  type: list
  elements: dict
  sample:
    - {domain: example.com, selector: s2026, public_key: "-----BEGIN PUBLIC KEY-----\n..."}
removed:
  description: The selectors whose keys were deleted (in check mode, would be), as C(<selector> of <domain>).
  returned: always
  type: list
  elements: str
  sample: [s2025 of example.com]
activation:
  description: What was done, per daemon, to make the change effective (C(reload) or C(none)).
  returned: always
  type: dict
  sample: {rspamd: reload}
reload_required:
  description: A reload is still needed to make the change effective.
  returned: always
  type: bool
restart_required:
  description: A restart is still needed to make the change effective; always V(false).
  returned: always
  type: bool
'''

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.mailroom.server.plugins.module_utils import _dns_records
from ansible_collections.mailroom.server.plugins.module_utils._addresses import HAS_NETADDR, NETADDR_IMPORT_ERROR
from ansible_collections.mailroom.server.plugins.module_utils._areas import registry
from ansible_collections.mailroom.server.plugins.module_utils._engine import runner


def main():
    areas = (registry.DKIM,)
    module = AnsibleModule(argument_spec=runner.area_argument_spec(areas), supports_check_mode=True)
    if not HAS_NETADDR:
        module.fail_json(msg=missing_required_lib('netaddr'), exception=NETADDR_IMPORT_ERROR)
    if not _dns_records.HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib('cryptography'), exception=_dns_records.CRYPTOGRAPHY_IMPORT_ERROR)
    runner.run(module, runner.area_requests(module.params, areas), registry.ALL)


if __name__ == '__main__':
    main()
