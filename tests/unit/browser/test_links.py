# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The links page's and sent links' checks (run.py links, sent-link), without a browser."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'browser'))

import run  # noqa: E402  pylint: disable=wrong-import-position
import webmail  # noqa: E402  pylint: disable=wrong-import-position

COMMON = ['--address', 'a', '--artifacts', 'b', '--user', 'alice:x']
ID = '0123456789abcdef0123456789abcdef'


def test_links_takes_an_id_to_delete():
    assert run.parse(['links'] + COMMON).delete is None
    assert run.parse(['links'] + COMMON + ['--delete', ID]).delete == ID


@pytest.mark.parametrize('text', ['0123456789ABCDEF0123456789ABCDEF', ID[:-1], ID + '0', '../alice', ''])
def test_only_link_ids_can_be_deleted(text):
    with pytest.raises(argparse.ArgumentTypeError):
        run.link_id(text)
    with pytest.raises(SystemExit):
        run.parse(['links'] + COMMON + ['--delete', text])


def test_sent_link_needs_the_subject():
    with pytest.raises(SystemExit):
        run.parse(['sent-link'] + COMMON)
    options = run.parse(['sent-link'] + COMMON + ['--subject', 'Large file 1a2b'])
    assert options.subject == 'Large file 1a2b'
    # the Sent folder unless another is named (the recipient's copy: --folder INBOX)
    assert options.folder is None


def test_shared_still_needs_its_folder():
    with pytest.raises(SystemExit):
        run.parse(['shared'] + COMMON + ['--expect-visible', 'true'])


def test_a_row_of_the_links_page():
    row = {'id': ID, 'file_name': ' <script>x</script> é.zip ', 'size': '30 MB\n', 'size_bytes': '31457280',
           'created': '2026-11-30 22:00', 'expires': ' 2026-12-30 22:00 ', 'expires_at': '1798754400',
           'url': 'https://mx.example.test/shared-links/alice/%s/a.zip?md5=x&expires=1798754400' % ID,
           'new_tab': True, 'deletable': True}
    assert webmail.link_from_row(row) == {
        'id': ID, 'file_name': '<script>x</script> é.zip', 'size': '30 MB', 'size_bytes': 31457280,
        'created': '2026-11-30 22:00', 'expires': '2026-12-30 22:00', 'expires_at': 1798754400,
        'never_expires': False, 'url': row['url'], 'new_tab': True, 'deletable': True}


def test_a_link_that_never_expires():
    link = webmail.link_from_row({'id': ID, 'expires': 'Never', 'expires_at': 'never', 'size_bytes': None})
    assert link['expires_at'] is None and link['never_expires'] is True and link['expires'] == 'Never'
    assert link['size_bytes'] is None and link['new_tab'] is False and link['deletable'] is False


def test_download_links_of_a_message_once_each_in_order():
    first = 'https://mx.example.test/shared-links/alice/%s/a.zip?md5=x&expires=1' % ID
    second = 'https://mx.example.test/shared-links/alice/%s/b.zip?md5=y&expires=1' % ('f' * 32)
    hrefs = [first, 'https://example.test/other', second, first, None, '']
    assert webmail.shared_link_urls(hrefs) == [first, second]


@pytest.mark.parametrize('text, expected', [(ID, True), (ID.upper(), False), (None, False), ('x' * 32, False)])
def test_link_ids(text, expected):
    assert webmail.is_link_id(text) is expected
