# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import os

from ansible_collections.mailroom.server.plugins.module_utils._operations import maildir_migration as mm


def make_store(root, messages, keywords=None):
    """messages: [(folder, subdir, name, bytes)]; keywords: {folder: ['$Forwarded', ...]}."""
    for folder, subdir, name, data in messages:
        base = root if folder == 'INBOX' else os.path.join(root, '.' + folder)
        for sub in ('cur', 'new', 'tmp'):
            os.makedirs(os.path.join(base, sub), exist_ok=True)
        with open(os.path.join(base, subdir, name), 'wb') as handle:
            handle.write(data)
    for folder, names in (keywords or {}).items():
        base = root if folder == 'INBOX' else os.path.join(root, '.' + folder)
        with open(os.path.join(base, 'dovecot-keywords'), 'w') as handle:
            handle.write(''.join('%d %s\n' % (index, name) for index, name in enumerate(names)))


def inventory(root):
    """{folder: Counter((content, flags, keywords))} - what a user sees, names aside."""
    result = {}
    for folder, path in mm.folders(root).items():
        result[folder] = collections.Counter(
            (open(message.path, 'rb').read(), message.flags, message.keywords)
            for message in mm.scan(path))
    return result


SOURCE = [
    ('INBOX', 'cur', '1.a.host:2,S', b'Subject: one\n\nseen'),
    ('INBOX', 'cur', '2.b.host:2,FS', b'Subject: two\n\nflagged'),
    ('INBOX', 'cur', '3.c.host:2,Sa', b'Subject: three\n\nforwarded keyword'),
    ('INBOX', 'new', '4.d.host', b'Subject: four\n\nunread'),
    ('INBOX', 'cur', '5.e.host:2,S', b'Subject: one\n\nseen'),          # an exact duplicate
    ('Sent', 'cur', '6.f.host:2,RS', b'Subject: sent\n\nanswered'),
    ('Archive', 'cur', '7.g.host:2,', b'x' * 300000),                 # a large attachment
]


def test_merge_copies_everything_with_flags_and_keywords(tmp_path):
    source, target = str(tmp_path / 'src'), str(tmp_path / 'dst')
    make_store(source, SOURCE, {'INBOX': ['$Forwarded']})
    totals = mm.merge(source, target)
    assert totals['messages'] == 7 and totals['copied'] == 7
    assert inventory(target) == inventory(source)
    assert mm.verify(source, target) == []
    assert mm.read_keywords(target) == {'a': '$Forwarded'}
    assert os.listdir(os.path.join(target, 'new'))      # unread mail stays unread


def test_rerun_copies_nothing_twice(tmp_path):
    source, target = str(tmp_path / 'src'), str(tmp_path / 'dst')
    make_store(source, SOURCE)
    mm.merge(source, target)
    again = mm.merge(source, target)
    assert again['copied'] == 0
    assert inventory(target) == inventory(source)


def test_interrupted_run_resumes_with_exactly_one_copy(tmp_path):
    source, target = str(tmp_path / 'src'), str(tmp_path / 'dst')
    make_store(source, SOURCE)
    first = mm.merge(source, target, stop_after=3)
    assert first['copied'] == 3
    # a half-written copy left in tmp/ by a killed run
    with open(os.path.join(target, 'tmp', mm.TMP_PREFIX + 'half'), 'wb') as handle:
        handle.write(b'Subj')
    assert mm.verify(source, target)
    second = mm.merge(source, target)
    assert second['copied'] == 4
    assert inventory(target) == inventory(source)
    assert not os.listdir(os.path.join(target, 'tmp'))


def test_merge_keeps_what_the_target_had(tmp_path):
    source, target = str(tmp_path / 'src'), str(tmp_path / 'dst')
    make_store(source, SOURCE)
    make_store(target, [('INBOX', 'cur', '9.z.host:2,S', b'Subject: delivered after the switch\n\nhi'),
                        ('INBOX', 'cur', '8.y.host:2,S', b'Subject: one\n\nseen')])
    mm.merge(source, target)
    merged = inventory(target)
    assert merged['INBOX'][(b'Subject: delivered after the switch\n\nhi', 'S', frozenset())] == 1
    # the target's own copy of "one" counts: the two source copies make two in all, not three
    assert merged['INBOX'][(b'Subject: one\n\nseen', 'S', frozenset())] == 2
    assert mm.verify(source, target) == []


def test_keyword_letters_are_translated(tmp_path):
    source, target = str(tmp_path / 'src'), str(tmp_path / 'dst')
    make_store(source, [('INBOX', 'cur', '1.a.host:2,Sb', b'm')], {'INBOX': ['Work', '$Forwarded']})
    make_store(target, [('INBOX', 'cur', '2.b.host:2,Sa', b'other')], {'INBOX': ['Personal']})
    mm.merge(source, target)
    assert mm.read_keywords(target) == {'a': 'Personal', 'b': '$Forwarded'}
    copied = [m for m in mm.scan(target) if open(m.path, 'rb').read() == b'm']
    assert copied[0].keywords == frozenset(['$Forwarded']) and copied[0].path.endswith(':2,Sb')


def test_verify_names_the_folder_that_lacks_mail(tmp_path):
    source, target = str(tmp_path / 'src'), str(tmp_path / 'dst')
    make_store(source, SOURCE)
    mm.merge(source, target)
    sent = os.path.join(target, '.Sent', 'cur')
    os.unlink(os.path.join(sent, os.listdir(sent)[0]))
    assert mm.verify(source, target) == ['Sent: 1 of its messages are not in the target']


def test_changed_flags_make_a_second_copy_never_an_overwrite(tmp_path):
    source, target = str(tmp_path / 'src'), str(tmp_path / 'dst')
    make_store(source, [('INBOX', 'cur', '1.a.host:2,S', b'm')])
    make_store(target, [('INBOX', 'cur', '1.a.host:2,', b'm')])
    mm.merge(source, target)
    assert sorted(m.flags for m in mm.scan(target)) == ['', 'S']


def test_retire_renames_and_keeps(tmp_path):
    source = str(tmp_path / 'Maildir')
    make_store(source, SOURCE[:1])
    retired = mm.retire(source, 'ldap')
    assert not os.path.exists(source)
    assert os.path.basename(retired).startswith('Maildir.migrated-to-ldap-')
    assert mm.folders(retired)


def test_parse_name():
    assert mm.parse_name('1.a.host,S=10:2,FSab') == ('FS', 'ab')
    assert mm.parse_name('1.a.host') == ('', '')


def test_verify_reuses_the_source_scan_of_merge_and_still_reads_the_target(tmp_path):
    source, target = str(tmp_path / 'src'), str(tmp_path / 'dst')
    make_store(source, SOURCE)
    scans = {}
    mm.merge(source, target, source_scans=scans)
    assert sorted(scans) == ['Archive', 'INBOX', 'Sent']
    assert mm.verify(source, target, scans) == []
    sent = os.path.join(target, '.Sent', 'cur')
    os.unlink(os.path.join(sent, os.listdir(sent)[0]))
    assert mm.verify(source, target, scans) == ['Sent: 1 of its messages are not in the target']
