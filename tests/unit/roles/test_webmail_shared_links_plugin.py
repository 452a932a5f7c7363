# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The links page's plugin (roles/webmail/files/roundcube-plugins/mailroom_shared_links): its
storage reader and deleter and its HTML, run by PHP itself on folders laid out as the shared
links milter makes them (Roundcube is not needed for these parts)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import subprocess

import pytest

from ansible_collections.mailroom.server.tests.unit.roles import roundcube_plugin

PHP = shutil.which('php')
PLUGIN = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', 'roles', 'webmail', 'files',
                                      'roundcube-plugins', 'mailroom_shared_links'))

pytestmark = pytest.mark.skipif(PHP is None, reason='needs php-cli')

# One call of the plugin's classes: the arguments come as JSON on stdin, the answer goes out as
# JSON (exceptions as {"exception": message}); the working directory must come back unchanged.
DRIVER = r"""<?php
require '%(plugin)s/lib/mailroom_shared_links_store.php';
require '%(plugin)s/lib/mailroom_shared_links_view.php';
$call = json_decode(stream_get_contents(STDIN), true);
$before = getcwd();
try {
    switch ($call['what']) {
        case 'name':
            $answer = mailroom_shared_links_store::registry_name($call['username']);
            break;
        case 'links':
            $answer = (new mailroom_shared_links_store($call['registry']))->links($call['name']);
            break;
        case 'delete':
            $answer = (new mailroom_shared_links_store($call['registry']))->delete($call['name'], $call['id']);
            break;
        case 'table':
            $labels = [];
            foreach (['filename', 'size', 'created', 'expires', 'link', 'actions', 'never', 'copy', 'delete', 'nolinks'] as $l) {
                $labels[$l] = 'L:' . $l;
            }
            $answer = mailroom_shared_links_view::table($call['links'], $labels,
                function ($b) { return $b . ' B'; }, function ($s) { return 'D' . $s; },
                './?_task=settings&_action=plugin.mailroom_shared_links-delete', $call['token']);
            break;
    }
}
catch (RuntimeException $e) {
    $answer = ['exception' => $e->getMessage()];
}
if (getcwd() !== $before) {
    $answer = ['cwd_changed' => getcwd()];
}
echo json_encode($answer);
"""


@pytest.fixture
def php(tmp_path):
    driver = tmp_path / 'driver.php'
    driver.write_text(DRIVER % {'plugin': PLUGIN})

    def call(what, **arguments):
        arguments['what'] = what
        done = subprocess.run([PHP, '-d', 'display_errors=stderr', str(driver)], input=json.dumps(arguments).encode(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60, check=False)
        assert done.returncode == 0, done.stderr.decode()
        assert not done.stderr, done.stderr.decode()
        return json.loads(done.stdout)
    return call


ID_A = 'a' * 32
ID_B = 'b' * 32
ID_C = 'c' * 32


def record(file_id, file_name='report.pdf', size=31457280, created=1700000000, expires=1702592000, url=None):
    return {'id': file_id, 'file_name': file_name, 'size': size, 'created': created, 'expires': expires,
            'url': url or 'https://mail.example.test/shared-links/alice/%s/report.pdf?md5=x&expires=1' % file_id}


class Layout:
    """A registry and a user's MailAttachments, as the milter lays them out."""

    def __init__(self, root):
        self.registry = root / 'registry'
        self.registry.mkdir(parents=True)
        self.home = root / 'home' / 'alice'
        self.home.mkdir(parents=True)
        self.storage = self.home / 'MailAttachments'

    def register(self, name='alice'):
        os.symlink(str(self.storage), str(self.registry / name))

    def add(self, file_id, content=b'data', **fields):
        self.storage.mkdir(exist_ok=True)
        folder = self.storage / file_id
        folder.mkdir()
        data = record(file_id, **fields)
        if '/' not in data['file_name']:
            (folder / data['file_name']).write_bytes(content)
        (folder / '.link.json').write_text(json.dumps(data) + '\n', encoding='utf-8')
        return data


@pytest.fixture
def layout(tmp_path):
    return Layout(tmp_path)


@pytest.mark.parametrize('username, expected', [
    ('alice', 'alice'),
    ('Alice@Example.test', 'alice'),
    ('a.b-c_d@example.test', 'a.b-c_d'),
    ('.alice', None),                # never a dot first: no hidden names, no ..
    ('..@example.test', None),
    ('al ice', None),
    ('al/ice', None),
    ('élise', None),
    ('', None),
])
def test_login_to_registry_name(php, username, expected):
    assert php('name', username=username) == expected


def test_a_user_without_registry_entry_has_no_links(php, layout):
    assert php('links', registry=str(layout.registry), name='alice') == []
    assert php('delete', registry=str(layout.registry), name='alice', id=ID_A) == 'notfound'


def test_a_registered_user_whose_folder_is_gone_has_no_links(php, layout):
    layout.register()
    assert php('links', registry=str(layout.registry), name='alice') == []


def test_links_are_listed_newest_first(php, layout):
    layout.register()
    older = layout.add(ID_A, created=1700000000)
    newer = layout.add(ID_B, file_name='<script>alert("x") \'q\' é.zip', created=1700000500, expires=None)
    assert php('links', registry=str(layout.registry), name='alice') == [newer, older]


def test_folders_being_written_and_odd_entries_are_not_listed(php, layout, tmp_path):
    layout.register()
    kept = layout.add(ID_A)
    # still being written: .incoming and no record
    (layout.storage / ID_B).mkdir()
    (layout.storage / ID_B / '.incoming').write_bytes(b'part')
    # a link to another folder (another user's, say) in place of a link folder
    other = tmp_path / 'other'
    other.mkdir()
    (other / '.link.json').write_text(json.dumps(record(ID_C)))
    os.symlink(str(other), str(layout.storage / ID_C))
    # names that are not ids, and a record that is a link
    (layout.storage / 'notes').mkdir()
    (layout.storage / ('d' * 31)).mkdir()
    folder = layout.storage / ('e' * 32)
    folder.mkdir()
    os.symlink(str(other / '.link.json'), str(folder / '.link.json'))
    assert php('links', registry=str(layout.registry), name='alice') == [kept]


@pytest.mark.parametrize('fields', [
    {'url': 'javascript:alert(1)'},
    {'url': 'https://x.test/a"onmouseover="alert(1)'},
    {'file_name': '../../etc/passwd'},
    {'file_name': '.link.json'},
    {'size': '12'},
    {'expires': 'never'},
])
def test_records_the_milter_does_not_write_are_left_out(php, layout, fields):
    layout.register()
    layout.add(ID_A, **fields)
    assert php('links', registry=str(layout.registry), name='alice') == []


def test_a_record_for_another_id_is_left_out(php, layout):
    layout.register()
    layout.add(ID_A)
    (layout.storage / ID_A / '.link.json').write_text(json.dumps(record(ID_B)))
    assert php('links', registry=str(layout.registry), name='alice') == []


def test_only_the_registry_link_is_followed(php, layout, tmp_path):
    # The user replaced MailAttachments by a link (to another user's folder, say).
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir()
    os.symlink(str(elsewhere), str(layout.storage))
    layout.register()
    assert 'exception' in php('links', registry=str(layout.registry), name='alice')
    # A registry entry that is a directory, not the milter's link, is no entry.
    layout2 = Layout(tmp_path / 'second')
    (layout2.registry / 'alice').mkdir()
    assert php('links', registry=str(layout2.registry), name='alice') == []


def test_delete_removes_file_record_and_folder(php, layout):
    layout.register()
    layout.add(ID_A)
    kept = layout.add(ID_B)
    assert php('delete', registry=str(layout.registry), name='alice', id=ID_A) == 'deleted'
    assert not os.path.lexists(str(layout.storage / ID_A))
    assert php('links', registry=str(layout.registry), name='alice') == [kept]
    assert php('delete', registry=str(layout.registry), name='alice', id=ID_A) == 'notfound'


def test_delete_of_a_non_ascii_file_name(php, layout):
    layout.register()
    layout.add(ID_A, file_name='Präsentation «final» 日本.pptx')
    assert php('delete', registry=str(layout.registry), name='alice', id=ID_A) == 'deleted'
    assert not os.path.lexists(str(layout.storage / ID_A))


@pytest.mark.parametrize('file_id', ['../alice', 'A' * 32, 'a' * 31, 'a' * 32 + '/', '', None, ['a' * 32]])
def test_delete_takes_ids_only(php, layout, file_id):
    layout.register()
    layout.add(ID_A)
    assert php('delete', registry=str(layout.registry), name='alice', id=file_id) == 'notfound'
    assert (layout.storage / ID_A / '.link.json').exists()


def test_delete_never_goes_through_a_link(php, layout, tmp_path):
    layout.register()
    other = tmp_path / 'other'
    other.mkdir()
    (other / 'report.pdf').write_bytes(b'theirs')
    (other / '.link.json').write_text(json.dumps(record(ID_C)))
    layout.storage.mkdir()
    os.symlink(str(other), str(layout.storage / ID_C))
    assert php('delete', registry=str(layout.registry), name='alice', id=ID_C) == 'notfound'
    assert sorted(os.listdir(str(other))) == ['.link.json', 'report.pdf']


def test_a_file_being_written_is_not_deleted(php, layout):
    layout.register()
    layout.add(ID_A)
    (layout.storage / ID_A / '.incoming').write_bytes(b'part')
    assert php('delete', registry=str(layout.registry), name='alice', id=ID_A) == 'busy'
    assert (layout.storage / ID_A / '.link.json').exists()


def test_a_folder_with_only_incoming_is_not_touched(php, layout):
    layout.register()
    (layout.storage / ID_A).mkdir(parents=True)
    (layout.storage / ID_A / '.incoming').write_bytes(b'part')
    assert php('delete', registry=str(layout.registry), name='alice', id=ID_A) == 'busy'
    assert (layout.storage / ID_A / '.incoming').exists()


def test_the_table_escapes_what_users_name(php):
    hostile = record(ID_A, file_name='<script>alert("x")</script> \'q\' é.zip',
                     url='https://mail.example.test/shared-links/alice/%s/%%3Cscript%%3E?md5=a&expires=1' % ID_A)
    html = php('table', links=[hostile, record(ID_B, expires=None)], token='tok"en')
    assert '<script>' not in html
    assert '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &apos;q&apos; é.zip' in html
    assert 'href="https://mail.example.test/shared-links/alice/%s/%%3Cscript%%3E?md5=a&amp;expires=1"' % ID_A in html
    assert 'name="_token" value="tok&quot;en"' in html
    assert '<tr data-link-id="%s">' % ID_A in html
    assert 'target="_blank" rel="noopener noreferrer"' in html
    assert '<td class="expires" data-expires="never">L:never</td>' in html
    assert '<td class="expires" data-expires="1702592000">D1702592000</td>' in html
    assert '<td class="size" data-bytes="31457280">31457280 B</td>' in html
    assert 'action="./?_task=settings&amp;_action=plugin.mailroom_shared_links-delete"' in html
    assert 'mailroom-shared-links-empty' not in html


def test_an_empty_table_says_how_links_come(php):
    html = php('table', links=[], token='t')
    assert html.startswith('<table id="mailroom-shared-links"')
    assert '<tbody></tbody>' in html
    assert '<p id="mailroom-shared-links-empty" class="hint">L:nolinks</p>' in html


def test_every_plugin_file_is_valid_php():
    assert roundcube_plugin.syntax_errors('mailroom_shared_links') == []


@pytest.mark.skipif(os.geteuid() != 0, reason='needs root to give a folder to another user')
def test_a_link_folder_of_another_owner_is_neither_listed_nor_deleted(php, layout):
    layout.register()
    layout.add(ID_A)
    os.chown(str(layout.storage / ID_A), 65534, -1)
    assert php('links', registry=str(layout.registry), name='alice') == []
    assert php('delete', registry=str(layout.registry), name='alice', id=ID_A) == 'notfound'
    assert (layout.storage / ID_A / '.link.json').exists()
