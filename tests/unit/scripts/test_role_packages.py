# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""scripts/role_packages.py: the "-pkgs" test images hold what the roles install."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import sys

import pytest

SCRIPTS = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'scripts')
sys.path.insert(0, SCRIPTS)

import role_packages  # noqa: E402  pylint: disable=wrong-import-position


def listed(release, capsys):
    role_packages.main(['role_packages.py', release])
    return json.loads(capsys.readouterr().out)


# The modules run on the hosts with what the roles install: a package they import must reach the
# images too, or scenarios from "-pkgs" hosts would pass on an image users never get.
@pytest.mark.parametrize('release', ['12', '13'])
def test_the_modules_python_packages_are_in_the_images(release, capsys):
    packages = listed(release, capsys)['packages']
    assert {'python3-netaddr', 'python3-milter', 'python3-pil', 'python3-cryptography'} <= set(packages)


@pytest.mark.parametrize('release', ['12', '13'])
def test_the_list_is_every_literal_and_rendered_name(release, capsys):
    found = listed(release, capsys)
    assert {'postfix', 'dovecot-imapd', 'roundcube-core'} <= set(found['packages'])
    assert not [name for name in found['packages'] if '{{' in name]
    assert 'postfix postfix/main_mailer_type select Internet Site' in found['debconf']


# An image holds what site.yml installs: a role applied apart (the filter's rspamd, Redis and
# unbound) would otherwise have its daemons start in every test host built from it.
def test_only_the_roles_site_yml_reaches(capsys):
    roles = role_packages.site_roles()
    assert {'mta', 'imap', 'tls', 'webmail', 'guard', 'settings'} <= roles
    packages = set(listed('13', capsys)['packages'])
    assert ('rspamd' in packages) == ('filter' in roles)
    assert 'fail2ban' in packages
