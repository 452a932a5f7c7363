# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which files under the webmail's web root the wire check requests, and what counts as refused."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'browser'))

import webroot  # noqa: E402  pylint: disable=wrong-import-position


@pytest.mark.parametrize('path', [
    'plugins/acl/config.inc.php', 'plugins/acl/config.inc.php.dist', 'plugins/acl/acl.php',
    'plugins/acl/localization/en_US.inc', 'plugins/enigma/composer.json', '.htaccess',
    'plugins/enigma/home/.gnupg/pubring.kbx', 'skins/.git/HEAD', 'config/mimetypes.php',
    'SQL/sqlite.initial.sql', 'bin/update.sh', 'temp/x', 'logs/errors.log', 'README.md',
    'plugins/x/composer.lock', 'db.sqlite', 'index.php~', 'index.php.bak',
])
def test_secrets_under_the_web_root_are_requested(path):
    assert webroot.must_not_serve(path)
    assert webroot.must_not_serve('./' + path)


@pytest.mark.parametrize('path', [
    'index.php', './index.php', 'skins/elastic/styles/styles.min.css',
    'program/js/app.min.js', 'plugins/acl/acl.min.js', 'skins/elastic/images/logo.svg',
    'skins/elastic/watermark.html', 'program/resources/blocked.gif', '',
])
def test_index_php_and_assets_are_not(path):
    assert not webroot.must_not_serve(path)


def test_a_secret_path_is_requested_under_every_parent_as_web_root():
    assert webroot.path_tails('/var/lib/x/db') == ['/var/lib/x/db', '/lib/x/db', '/x/db', '/db']
    assert webroot.path_tails('/srv/gnupg/') == ['/srv/gnupg/', '/gnupg/']


def test_listed_files_become_url_paths():
    assert webroot.url_path('./.htaccess') == '/.htaccess'
    assert webroot.url_path('plugins/a/b.inc\n') == '/plugins/a/b.inc'


def test_forbidden_urls_keep_order_without_duplicates():
    urls = webroot.forbidden_urls(['index.php', 'plugins/a/config.inc.php', '.htaccess',
                                   'skins/x.css'], ['/config/config.inc.php'])
    assert urls[:len(webroot.LAYOUT_PATHS)] == list(webroot.LAYOUT_PATHS)
    assert '/plugins/a/config.inc.php' in urls
    assert '/index.php' not in urls and '/skins/x.css' not in urls
    assert len(urls) == len(set(urls))


def test_only_403_and_404_are_refusals():
    statuses = {'/a': 403, '/b': 404, '/c': 200, '/d': 301, '/e': 500}
    assert webroot.not_refused(statuses) == {'/c': 200, '/d': 301, '/e': 500}


@pytest.mark.parametrize('status, location, path, expected', [
    (301, 'https://mail.example.test/x?y', '/x?y', True),
    (308, 'https://h/', '/', True),
    (301, 'http://h/', '/', False),
    (200, None, '/', False),
    (301, 'https://h/', '/other', False),
])
def test_port_80_must_redirect_to_the_same_path_over_https(status, location, path, expected):
    assert webroot.is_https_redirect(status, location, path) is expected
