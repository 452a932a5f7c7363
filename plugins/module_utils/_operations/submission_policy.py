# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The submission policy files: what the mta role's milter enforces on 587, 465 and the webmail's
internal submission, for every client.

Each settings area that has a say owns one JSON file in DIRECTORY; the milter merges them (their
keys are disjoint) and re-reads them when they change, so a change needs no restart. A missing
file means that area asks for nothing.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

from ansible_collections.mailroom.server.plugins.module_utils._engine import atomic_file

DIRECTORY = '/etc/mailroom/submission-policy.d'


def path(area):
    return os.path.join(DIRECTORY, area + '.json')


def load(area):
    """The area's policy as stored, {} when there is none or it is not a JSON object."""
    text = atomic_file.read_text(path(area))
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def render(policy):
    return json.dumps(policy, indent=1, sort_keys=True) + '\n'
