#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: full_text_search
short_description: Full-text search settings of the mail host (Dovecot search indexes)
version_added: 0.1.0
description:
  - The admin panel's search settings - whether IMAP SEARCH uses search indexes, and
    "Allow character search for Chinese, Japanese and Korean mail".
  - Works on Dovecot 2.3 (Debian 12, lucene indexes) and 2.4 (Debian 13, flatcurve indexes) with
    the same options; writes C(/etc/dovecot/mailroom.d/full_text_search.conf) in the installed
    release's syntax.
  - When a change alters the index terms (search turned on, or O(cjk) toggled), every mail
    user's indexes are emptied and rebuilt - queued in Dovecot's indexer service on 2.4, done
    by the module itself on 2.3 (lucene cannot be emptied safely under a running indexer); delivery
    does not wait, and until a rebuild is done a search indexes what it needs first (or reads
    the mails), so results stay right. RV(index_rebuild) says what happened.
  - Options left unset keep their current value.
  - Needs a host set up by the C(mailroom.server.search) role (backend and tokenizer plugins).
extends_documentation_fragment:
  - mailroom.server.activation
options:
  enabled:
    description:
      - Use search indexes. Off, Dovecot reads every message for each search - it still finds
        everything, slowly on large mailboxes.
    type: bool
  cjk:
    description:
      - Character search for Chinese, Japanese and Korean. Text in these scripts has no spaces
        between words; on, it is indexed as character n-grams, so any word of up to 6 characters
        is found wherever it stands in a run, longer words where all their 6-character parts occur.
      - Off, a CJK run is one term cut at 30 bytes, and words inside longer runs are not found.
    type: bool
notes:
  - C(docs/settings.md) in the collection, section "Full-text search", says what each setting changes on the
    host; C(docs/search.md) explains how CJK words are found and how indexes are rebuilt.
seealso:
  - module: mailroom.server.protocol
  - module: mailroom.server.settings_info
  - module: mailroom.server.imap_pop3
requirements:
  - netaddr on the host (Debian's C(python3-netaddr), which the C(mailroom.server.mta) role installs)
  - The C(mailroom.server.imap) and C(mailroom.server.search) roles applied on the host (Dovecot, the index
    backend and the CJK tokenizer plugin)
author:
  - mailroom.server developers (@mailroom)
'''

EXAMPLES = r'''
- name: Search indexes with CJK character search
  mailroom.server.full_text_search:
    enabled: true
    cjk: true
  register: search

- name: Say when the indexes are being rebuilt
  ansible.builtin.debug:
    msg: "{{ search.index_rebuild_users }} users' indexes are being rebuilt"
  when: search.index_rebuild in ['queued', 'rebuilt']
'''

RETURN = r'''
settings:
  description: The settings after the change (in check mode, what they would be).
  returned: always
  type: dict
  sample: {enabled: true, cjk: true}
backend:
  description: The index backend in use (C(lucene), C(flatcurve) or C(none)).
  returned: always
  type: str
  sample: flatcurve
coverage:
  description: What searches find with these settings, including what is not found.
  returned: always
  type: str
index_rebuild:
  description:
    - C(not needed), C(queued) (indexes emptied, rebuild queued; 2.4), C(rebuilt) (indexes
      emptied and rebuilt before the module returned; 2.3), C(would be queued) (check mode)
      or C(required after the reload) (O(activate=false); run the module again after reloading,
      or C(doveadm index -A -q '*') after emptying the indexes).
  returned: always
  type: str
  sample: queued
index_rebuild_users:
  description: Number of users whose indexes were emptied and rebuilt or queued for rebuilding.
  returned: when index_rebuild is queued or rebuilt
  type: int
index_rebuild_failed:
  description: Users whose indexes could not be reset, with doveadm's error.
  returned: when some failed
  type: dict
activation:
  description: What was done, per daemon, to make the change effective (C(reload), C(restart) or C(none)).
  returned: always
  type: dict
  sample: {dovecot: reload}
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
    areas = (registry.FULL_TEXT_SEARCH,)
    module = AnsibleModule(argument_spec=runner.area_argument_spec(areas), supports_check_mode=True)
    if not HAS_NETADDR:
        module.fail_json(msg=missing_required_lib('netaddr'), exception=NETADDR_IMPORT_ERROR)
    runner.run(module, runner.area_requests(module.params, areas), registry.ALL)


if __name__ == '__main__':
    main()
