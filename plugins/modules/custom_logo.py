#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: custom_logo
short_description: The webmail's logo (Roundcube)
version_added: 0.1.0
description:
  - The admin panel's custom logo - the image the webmail shows on its login page and beside the
    mail, for every user - or Roundcube's own logo.
  - The image is read and checked on the controller before anything is sent (an action plugin) -
    at most 1 MiB (1,048,576 bytes) of file; PNG, JPEG, GIF or WebP judged by the content, not
    the file name (SVG is refused, it can carry scripts); at most 40 megapixels according to the
    image's header, so a small file that would decode to a huge image is refused undecoded.
  - On the host it is checked again, scaled proportionally to fit 128x40 pixels (never enlarged -
    600x300 becomes 80x40, 1000x100 becomes 128x13, 100x20 stays), stored as PNG in
    C(/var/lib/mailroom/webmail/logo/<sha256>.png) and shown through Roundcube's C(skin_logo)
    as C(mailroom-logo/<sha256>.png) - a new logo gets a new URL, so no browser keeps the old one.
    Older logo files are removed once the new one is live.
  - Options left unset keep the current logo.
  - Needs a host set up by the C(mailroom.server.webmail) role (which installs Pillow,
    C(python3-pil), and serves the logo directory).
extends_documentation_fragment:
  - mailroom.server.activation
options:
  src:
    description:
      - The logo image, a file on the controller; a relative path is looked up like any file of
        the task (the C(files/) directory of the role or playbook).
      - Mutually exclusive with O(state=absent).
    type: str
  state:
    description:
      - V(present) shows the logo given in O(src); without O(src) it keeps the logo the host
        shows (as M(mailroom.server.client_info) returns it), and fails on a host that shows none.
      - V(absent) brings back Roundcube's own logo.
    type: str
    choices: [present, absent]
  content:
    description:
      - Internal, set by the action plugin from O(src) - the image's bytes in base64. Do not set.
    type: str
  controller_check:
    description:
      - Internal, set by the action plugin from O(src) - what the controller found; the host
        refuses an image that differs. Do not set.
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
notes:
  - C(docs/settings.md) in the collection, section "The Client tab (MailPlus Client)", and
    C(docs/custom-logo.md) say which images are accepted and what happens on the host.
  - The controller needs no Python packages beyond ansible-core - the image is checked there from its header,
    without Pillow.
seealso:
  - module: mailroom.server.client
  - module: mailroom.server.client_info
requirements:
  - netaddr on the host (Debian's C(python3-netaddr), which the C(mailroom.server.mta) role installs)
  - The C(mailroom.server.webmail) role applied on the host (it installs Pillow there, Debian's
    C(python3-pil), which scales the logo)
author:
  - mailroom.server developers (@mailroom)
'''

EXAMPLES = r'''
- name: Our logo in the webmail
  mailroom.server.custom_logo:
    src: files/logo.png

- name: Roundcube's own logo again
  mailroom.server.custom_logo:
    state: absent
'''

RETURN = r'''
settings:
  description:
    - The logo after the change (in check mode, what it would be) - V(absent), or V(present) with
      the URL Roundcube shows, the stored PNG's SHA-256 and its size in pixels.
    - C(checksum), C(width) and C(height) are null when C(skin_logo) was set by other means (a
      file this module did not store).
  returned: always
  type: dict
  sample: {state: present, url: mailroom-logo/5f2b...e1.png, checksum: 5f2b...e1, width: 80, height: 40}
logo_files_removed:
  description: Stored logo files no longer shown that were removed (in check mode, would be).
  returned: when there were any
  type: list
  elements: str
logo_files_kept:
  description:
    - Stored logo files no longer shown, kept because the webmail was not reloaded (O(activate=false));
      the next run removes them.
  returned: when there were any
  type: list
  elements: str
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
    areas = (registry.CUSTOM_LOGO,)
    module = AnsibleModule(argument_spec=runner.area_argument_spec(areas), supports_check_mode=True)
    if not HAS_NETADDR:
        module.fail_json(msg=missing_required_lib('netaddr'), exception=NETADDR_IMPORT_ERROR)
    runner.run(module, runner.area_requests(module.params, areas), registry.ALL)


if __name__ == '__main__':
    main()
