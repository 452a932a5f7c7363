# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Let plain pytest import the checkout as ansible_collections.mailroom.server."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os
import sys
import tempfile

_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))


def _collections_tree():
    if os.path.basename(os.path.dirname(os.path.dirname(_ROOT))) == 'ansible_collections':
        return os.path.dirname(os.path.dirname(os.path.dirname(_ROOT)))
    # One tree per checkout (as scripts/lib.sh keeps): a shared one was re-pointed by whichever
    # checkout ran pytest last, under another checkout's run.
    tree = os.path.join(tempfile.gettempdir(), 'mailroom-unit-collections',
                        hashlib.sha256(_ROOT.encode('utf-8')).hexdigest()[:12])
    link = os.path.join(tree, 'ansible_collections', 'mailroom', 'server')
    if not os.path.islink(link) or os.path.realpath(link) != _ROOT:
        os.makedirs(os.path.dirname(link), exist_ok=True)
        if os.path.lexists(link):
            os.unlink(link)
        os.symlink(_ROOT, link)
    return tree


sys.path.insert(0, _collections_tree())
