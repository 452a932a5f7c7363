#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: shared_links
short_description: Turn large attachments into download links stored in the sender's home
version_added: 0.3.0
description:
  - The admin panel's Client tab setting "Allow users to create shared links for large attachments" and its
    per-domain size limits.
  - Enabled - an attachment of a mail submitted with a login (ports 587 and 465, the webmail's own
    submission) that is larger than the limit of the sender's domain is stored in the sender's home, under
    C(~/MailAttachments/<id>/<file name>), and replaced in the message by a short part with the file name,
    size, expiry date and a download link below O(base_url). Mail of a domain without a limit, mail arriving
    on port 25 and signed or encrypted mail are never changed.
  - Disabled - nothing is converted any more; links made before keep working until they expire.
  - The conversion is done by the milter of the C(mailroom.server.shared_links) role, which reads its settings
    from C(/etc/mailroom/shared-links.json) and re-reads the file with the next message when it changed, so
    there is nothing to reload (RV(activation) stays empty and O(activate) makes no difference).
  - Needs a host set up by the C(mailroom.server.shared_links) role (it installs the milter and writes the first,
    disabled settings); without it the module fails and changes nothing. The webmail is not needed.
extends_documentation_fragment:
  - mailroom.server.activation
options:
  enabled:
    description:
      - Whether large attachments are turned into links.
      - Left out, the current setting stays (on a host never set, V(false)).
    type: bool
  domain_limits:
    description:
      - 'The size above which an attachment becomes a link, per mail domain of the sender, for example
        C({example.com: 10MB, example.org: 25 MiB}). A domain not listed has no conversion.'
      - Sizes are whole bytes (C(10485760)) or a number with a unit, read as Ansible's C(human_to_bytes) does - C(K),
        C(M) and C(G) are powers of 1024, so C(10MB), C(10M) and C(10 MiB) are all 10485760 bytes. A lower-case
        C(b) (bits) is refused.
      - Each limit is 1 KiB to 2 GiB. Domains are compared without regard to case, international ones in
        punycode; the same domain twice is refused.
      - Given, the dictionary replaces every limit (V({}) removes them all); left out, the current limits stay
        (on a host never set, none).
    type: dict
  link_lifetime_days:
    description:
      - How many days a link works, 1 to 3650, or V(0) for links that never expire.
      - Left out, the current setting stays (on a host never set, 30).
    type: int
  base_url:
    description:
      - The public HTTPS address the downloads are served from - C(https://host[:port][/path]), the host a DNS name
        (international names in punycode) or an IP address (IPv6 in brackets). Stored in lower case without a
        trailing slash; user names, a query, a fragment, spaces and line breaks are refused.
      - Left out, the current setting stays (on a host never set, C(https://) and the host's fully qualified name,
        as the C(mailroom.server.shared_links) role writes it).
    type: str
notes:
  - C(docs/settings.md) in the collection, section "The Client tab (MailPlus Client)", says what the settings
    change on the host.
  - A settings file that is not exactly the module's (not JSON, other keys; a hand edit) reads as unknown values
    (V(null)); any change then writes the whole file again, the values not given taking their defaults.
  - Users see and delete their links on the webmail's links page, which the C(mailroom.server.webmail) role ships.
seealso:
  - module: mailroom.server.client
  - module: mailroom.server.client_info
  - module: mailroom.server.sender_name
requirements:
  - netaddr on the host (Debian's C(python3-netaddr), which the C(mailroom.server.mta) role installs)
  - The C(mailroom.server.shared_links) role applied on the host, whose milter converts the attachments
author:
  - mailroom.server developers (@mailroom)
'''

EXAMPLES = r'''
- name: Attachments over 10 MiB (example.com) or 25 MiB (example.org) become links that work for 30 days
  mailroom.server.shared_links:
    enabled: true
    domain_limits:
      example.com: 10MB
      example.org: 25 MiB
    link_lifetime_days: 30
    base_url: https://mail.example.com

- name: No more conversion; links made before keep working until they expire
  mailroom.server.shared_links:
    enabled: false
'''

RETURN = r'''
settings:
  description:
    - The settings after the change (in check mode, what they would be); sizes in bytes.
    - Read from a settings file that is not the module's (a hand edit), a value is V(null) until the module sets it.
  returned: always
  type: dict
  sample: {enabled: true, domain_limits: {example.com: 10485760, example.org: 26214400}, link_lifetime_days: 30,
           base_url: 'https://mail.example.com'}
activation:
  description: What was done, per daemon, to make the change effective; always empty, the milter reads its settings itself.
  returned: always
  type: dict
  sample: {}
reload_required:
  description: A reload is still needed to make the change effective; always V(false).
  returned: always
  type: bool
restart_required:
  description: A restart is still needed to make the change effective; always V(false).
  returned: always
  type: bool
'''

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.mailroom.server.plugins.module_utils._addresses import HAS_NETADDR, NETADDR_IMPORT_ERROR
from ansible_collections.mailroom.server.plugins.module_utils._areas import registry
from ansible_collections.mailroom.server.plugins.module_utils._engine import runner


def main():
    areas = (registry.SHARED_LINKS,)
    module = AnsibleModule(argument_spec=runner.area_argument_spec(areas), supports_check_mode=True)
    if not HAS_NETADDR:
        module.fail_json(msg=missing_required_lib('netaddr'), exception=NETADDR_IMPORT_ERROR)
    runner.run(module, runner.area_requests(module.params, areas), registry.ALL)


if __name__ == '__main__':
    main()
