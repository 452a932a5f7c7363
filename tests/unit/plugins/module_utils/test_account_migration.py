# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The migration's safety promises, on real Maildirs in a temporary directory: a source is retired
only when every one of its messages (content, flags and keywords) is in the target."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.mailroom.server.plugins.module_utils._operations import account_migration as _migration
from ansible_collections.mailroom.server.plugins.module_utils._operations import maildir_migration as mm

from ansible_collections.mailroom.server.tests.unit.plugins.module_utils.test_maildir_migration import SOURCE, inventory, make_store


class FakeModule(object):
    """Answers `doveadm user -f home USER` from a dict, as Dovecot's userdb would."""

    def __init__(self, homes):
        self.homes = homes

    def get_bin_path(self, name, required=False, opt_dirs=None):
        return '/usr/bin/' + name

    def run_command(self, argv):
        user = argv[-1]
        if user in self.homes:
            return 0, self.homes[user] + '\n', ''
        return _migration.USER_UNKNOWN, '', 'userdb lookup: user %s doesn\'t exist' % user


def migration(tmp_path, users=('alice',)):
    homes = dict((user, str(tmp_path / 'vmail' / user)) for user in users)
    owner = (os.getuid(), os.getgid())
    return _migration.Migration(FakeModule(homes), 'ldap', owner), homes


def test_a_verified_source_is_retired_and_everything_is_in_the_target(tmp_path):
    run, homes = migration(tmp_path)
    source = str(tmp_path / 'home' / 'alice' / 'Maildir')
    make_store(source, SOURCE, {'INBOX': ['$Forwarded']})
    expected = inventory(source)
    outcome = run.run([('alice', source, 'local')])
    entry = outcome['users'][0]
    assert outcome['migrated'] == ['alice'] and outcome['failed'] == {}
    assert entry['status'] == 'migrated' and entry['copied'] == 7
    assert not os.path.exists(source)
    assert inventory(entry['retired_to']) == expected          # retired, never deleted
    assert inventory(os.path.join(homes['alice'], 'Maildir')) == expected


def test_a_merge_that_leaves_a_gap_fails_and_keeps_the_source(tmp_path, monkeypatch):
    """The copy of one message is lost (a full disk, a bug, another process): the verification
    must notice it, the user must be reported failed and the source must stay where it was."""
    run, homes = migration(tmp_path)
    source = str(tmp_path / 'home' / 'alice' / 'Maildir')
    make_store(source, SOURCE, {'INBOX': ['$Forwarded']})
    before = inventory(source)
    real_copy = mm.copy_message
    lost = []

    def copy_all_but_one_sent_message(message, folder, *args, **kwargs):
        if folder.endswith('.Sent') and not lost:
            lost.append(message.path)
            return
        real_copy(message, folder, *args, **kwargs)

    monkeypatch.setattr(mm, 'copy_message', copy_all_but_one_sent_message)
    outcome = run.run([('alice', source, 'local')])
    entry = outcome['users'][0]
    assert lost, 'the test did not drop a copy'
    assert entry['status'] == 'failed' and outcome['migrated'] == []
    assert outcome['failed'] == {'alice': 'verification failed, source kept: '
                                          'Sent: 1 of its messages are not in the target'}
    assert 'retired_to' not in entry
    assert inventory(source) == before                          # in place, untouched
    assert not [name for name in os.listdir(os.path.dirname(source)) if '.migrated-to-' in name]
    # a later run copies exactly the missing message and then retires the source
    monkeypatch.setattr(mm, 'copy_message', real_copy)
    again = run.run([('alice', source, 'local')])
    assert again['migrated'] == ['alice'] and again['users'][0]['copied'] == 1
    assert inventory(os.path.join(homes['alice'], 'Maildir')) == before


def test_a_failed_user_does_not_stop_the_others(tmp_path, monkeypatch):
    run, homes = migration(tmp_path, users=('alice', 'bob'))
    alice = str(tmp_path / 'home' / 'alice' / 'Maildir')
    bob = str(tmp_path / 'home' / 'bob' / 'Maildir')
    make_store(alice, SOURCE)
    make_store(bob, SOURCE[:2])
    real_verify = mm.verify

    def verify_fails_for_alice(source_root, target_root, source_scans=None):
        problems = real_verify(source_root, target_root, source_scans)
        return problems + (['INBOX: simulated'] if '/alice/' in source_root else [])

    monkeypatch.setattr(mm, 'verify', verify_fails_for_alice)
    outcome = run.run([('alice', alice, 'local'), ('bob', bob, 'local')])
    assert outcome['migrated'] == ['bob'] and list(outcome['failed']) == ['alice']
    assert os.path.isdir(alice) and not os.path.exists(bob)


def test_users_without_an_account_are_ignored_and_left_alone(tmp_path):
    run, _homes = migration(tmp_path, users=())
    source = str(tmp_path / 'home' / 'dave' / 'Maildir')
    make_store(source, SOURCE[:2])
    before = inventory(source)
    outcome = run.run([('dave', source, 'local')])
    assert outcome['ignored'] == ['dave'] and outcome['migrated'] == []
    assert outcome['users'][0]['reason'] == 'no ldap account named dave'
    assert inventory(source) == before


@pytest.mark.parametrize('target_names', [[], ['Personal']])
def test_a_keyword_is_part_of_a_messages_identity(tmp_path, target_names):
    """The target holds the same bytes and flags but not the keyword: the source's copy must be
    merged (a second copy, never an overwrite), and verification must ask for it."""
    source, target = str(tmp_path / 'src'), str(tmp_path / 'dst')
    make_store(source, [('INBOX', 'cur', '1.a.host:2,Sa', b'Subject: same\n\nbytes')], {'INBOX': ['$Forwarded']})
    make_store(target, [('INBOX', 'cur', '2.b.host:2,S', b'Subject: same\n\nbytes')],
               {'INBOX': target_names} if target_names else None)
    assert mm.verify(source, target) == ['INBOX: 1 of its messages are not in the target']
    totals = mm.merge(source, target)
    assert totals['copied'] == 1
    keywords = sorted(message.keywords for message in mm.scan(target))
    assert keywords == [frozenset(), frozenset(['$Forwarded'])]
    assert mm.verify(source, target) == []


def test_verification_fails_when_a_copy_lost_its_keyword(tmp_path):
    source, target = str(tmp_path / 'src'), str(tmp_path / 'dst')
    make_store(source, SOURCE, {'INBOX': ['$Forwarded']})
    mm.merge(source, target)
    inbox = os.path.join(target, 'cur')
    flagged = [name for name in os.listdir(inbox) if name.endswith(':2,Sa')]
    assert len(flagged) == 1
    os.rename(os.path.join(inbox, flagged[0]), os.path.join(inbox, flagged[0][:-1]))
    assert mm.verify(source, target) == ['INBOX: 1 of its messages are not in the target']


def test_verification_fails_when_a_copys_bytes_differ(tmp_path):
    source, target = str(tmp_path / 'src'), str(tmp_path / 'dst')
    make_store(source, SOURCE)
    mm.merge(source, target)
    archive = os.path.join(target, '.Archive', 'cur')
    name = os.listdir(archive)[0]
    with open(os.path.join(archive, name), 'r+b') as handle:
        handle.seek(1000)
        handle.write(b'y')                                      # one byte of 300,000
    assert mm.verify(source, target) == ['Archive: 1 of its messages are not in the target']
