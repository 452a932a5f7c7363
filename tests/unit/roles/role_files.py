# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The roles' own files for unit tests: a file's text, the variables a role starts with, its
templates rendered as Ansible's template module does, and the Debian packages scripts/test unpacks
(lib.sh's unpack_debian_package) so that tests run a daemon's own code."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import json
import os

import jinja2
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))


def role_path(role, *parts):
    return os.path.join(ROOT, 'roles', role, *parts)


def role_file(role, *parts):
    with open(role_path(role, *parts)) as handle:
        return handle.read()


def role_variables(role, **given):
    """The role's defaults, then its vars, then `given` over them."""
    variables = {}
    for part in ('defaults', 'vars'):
        variables.update(yaml.safe_load(role_file(role, part, 'main.yml')))
    variables.update(given)
    return variables


def render(role, template, variables):
    """The role's template with `variables`, as Ansible's template module renders it (trim_blocks,
    to_json); an undefined variable fails."""
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(role_path(role, 'templates')),
                                     trim_blocks=True, undefined=jinja2.StrictUndefined)
    environment.filters['to_json'] = json.dumps
    return environment.get_template(template).render(**variables)


def unpacked_root(package):
    """Where the Debian package is unpacked: MAILROOM_<PACKAGE>_ROOT (scripts/test unit sets it),
    else the newest unpacked copy in the cache, else None."""
    given = os.environ.get('MAILROOM_%s_ROOT' % package.upper().replace('-', '_'))
    if given:
        return given
    cache = os.environ.get('MAILROOM_CACHE') or os.path.expanduser('~/.cache/mailroom-server')
    found = sorted(glob.glob(os.path.join(cache, 'unpacked', '%s-*' % package, 'root')))
    return found[-1] if found else None
