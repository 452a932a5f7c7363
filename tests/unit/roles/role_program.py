# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The roles' programs (files without a .py name, beside the modules they import) loaded for
unit tests: their folder goes on sys.path first, as it is for the program on a host."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib.machinery
import importlib.util
import os
import sys

ROLES = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'roles')


def files(role):
    """The role's files folder, put on sys.path (the programs import their pure halves)."""
    folder = os.path.join(ROLES, role, 'files')
    if folder not in sys.path:
        sys.path.insert(0, folder)
    return folder


def load(role, program, name):
    """The role's program `program` as a module called `name`. The imap role's folder goes on
    sys.path too: on a host its shared module (mailroom_dovecot.py) is installed beside them."""
    files('imap')
    loader = importlib.machinery.SourceFileLoader(name, os.path.join(files(role), program))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module
