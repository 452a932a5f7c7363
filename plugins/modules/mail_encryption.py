#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: mail_encryption
short_description: Whether mail users may send OpenPGP or S/MIME encrypted mail
version_added: 0.3.0
description:
  - The admin panel's Client tab settings "Allow OpenPGP" and "Allow S/MIME".
  - OpenPGP allowed - the webmail's OpenPGP plugin (enigma, with GnuPG keyrings kept outside the
    web root) imports and generates keys, encrypts, signs, decrypts and verifies.
  - OpenPGP not allowed - the webmail offers no encryption, and encrypted mail (PGP/MIME or inline
    PGP) submitted with a login on ports 587 and 465 or by the webmail is refused with a 5.7.1
    reply, whatever the client. Signed mail, attached public keys and mail arriving on port 25 pass.
  - S/MIME allowed - the webmail's S/MIME plugin (mailroom_smime, the C(mailroom.server.webmail) role's own)
    imports a PKCS#12 certificate, signs, encrypts, decrypts and verifies; private keys are held encrypted by
    a root-only service, never by the web server.
  - S/MIME not allowed - the webmail offers no S/MIME (stored keys are kept), and S/MIME encrypted mail
    (enveloped data) submitted with a login is refused the same way. Signed mail passes.
  - Needs a host set up by the C(mailroom.server.mta), C(mailroom.server.imap) and
    C(mailroom.server.webmail) roles.
extends_documentation_fragment:
  - mailroom.server.activation
options:
  openpgp:
    description:
      - Whether users may send OpenPGP encrypted mail, and the webmail offers OpenPGP.
      - Left out, the current setting stays (on a host never set, V(false)).
    type: bool
  smime:
    description:
      - Whether users may send S/MIME encrypted mail, and the webmail offers S/MIME.
      - Left out, the current setting stays (on a host never set, V(false)).
    type: bool
notes:
  - C(docs/settings.md) in the collection, section "The Client tab (MailPlus Client)", says what each setting
    changes on the host; C(docs/submission-policy.md) which encrypted mail the milter refuses.
seealso:
  - module: mailroom.server.client
  - module: mailroom.server.client_info
  - module: mailroom.server.sender_name
requirements:
  - netaddr on the host (Debian's C(python3-netaddr), which the C(mailroom.server.mta) role installs)
  - The C(mailroom.server.webmail) role applied on the host, and the C(mailroom.server.mta) role, whose
    submission policy milter enforces the setting for every mail client
author:
  - mailroom.server developers (@mailroom)
'''

EXAMPLES = r'''
- name: OpenPGP in the webmail, no S/MIME encrypted mail from any client
  mailroom.server.mail_encryption:
    openpgp: true
    smime: false
'''

RETURN = r'''
settings:
  description: The settings after the change (in check mode, what they would be).
  returned: always
  type: dict
  sample: {openpgp: true, smime: false}
activation:
  description: What was done, per daemon, to make the change effective (C(reload), C(restart) or C(none)).
  returned: always
  type: dict
  sample: {webmail: reload}
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
    areas = (registry.MAIL_ENCRYPTION,)
    module = AnsibleModule(argument_spec=runner.area_argument_spec(areas), supports_check_mode=True)
    if not HAS_NETADDR:
        module.fail_json(msg=missing_required_lib('netaddr'), exception=NETADDR_IMPORT_ERROR)
    runner.run(module, runner.area_requests(module.params, areas), registry.ALL)


if __name__ == '__main__':
    main()
