# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Move users' mail to the accounts of the same name under the account type now in force.

Sources are local users' ~/Maildir (uids of the local range) and the other directory type's
stores under /var/vmail. Whether an account of the same name exists is asked of Dovecot itself
(`doveadm user`), so the answer is the one delivery and login get. Each user's mail is merged
(_maildir_migration), verified, and only then the source retired - renamed, never deleted.
Users without such an account are reported as ignored and their mail is left as it is.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import pwd
import time

from ansible_collections.mailroom.server.plugins.module_utils._operations import maildir_migration as _maildir_migration
from ansible_collections.mailroom.server.plugins.module_utils._engine.errors import DoveadmError

VMAIL_ROOT = '/var/vmail'
DIRECTORY_TYPES = ('ldap', 'domain')
USER_UNKNOWN = 67   # doveadm's EX_NOUSER


def _is_mail_store(maildir):
    """A Maildir that Dovecot made (cur/ or new/): the imap role opens an empty ~/Maildir to
    folder sharing for every local account in advance, and that holds nothing to move."""
    return not os.path.islink(maildir) and any(os.path.isdir(os.path.join(maildir, part)) for part in ('cur', 'new'))


def sources(account_type, local_uids, vmail_root=VMAIL_ROOT, passwd=pwd.getpwall):
    """[(user, source Maildir, source type)] that could move into `account_type` accounts."""
    found = []
    low, high = local_uids
    for entry in sorted(passwd(), key=lambda item: item.pw_name):
        maildir = os.path.join(entry.pw_dir, 'Maildir')
        # Dovecot's last_valid_uid 0 means no upper limit.
        if low <= entry.pw_uid and (not high or entry.pw_uid <= high) and _is_mail_store(maildir):
            found.append((entry.pw_name, maildir, 'local'))
    for other in DIRECTORY_TYPES:
        base = os.path.join(vmail_root, other)
        if other == account_type or not os.path.isdir(base):
            continue
        for name in sorted(os.listdir(base)):
            maildir = os.path.join(base, name, 'Maildir')
            if _is_mail_store(maildir):
                found.append((name, maildir, other))
    return found


class Migration(object):
    def __init__(self, module, account_type, owner):
        self.module = module
        self.account_type = account_type
        self.owner = owner
        self.doveadm = module.get_bin_path('doveadm', required=True)

    def target_home(self, user):
        """The home of `user` under the account type in force, None if there is no such account."""
        rc, out, err = self.module.run_command([self.doveadm, 'user', '-f', 'home', user])
        if rc == USER_UNKNOWN:
            return None
        if rc != 0 or not out.strip():
            raise DoveadmError('doveadm user %s: %s' % (user, (err or out).strip()))
        return out.strip()

    def migrate(self, user, source, source_type):
        started = time.time()
        entry = self._migrate(user, source, source_type)
        entry['seconds'] = round(time.time() - started, 3)
        return entry

    def _migrate(self, user, source, source_type):
        entry = {'user': user, 'source': source, 'from': source_type, 'status': 'ignored',
                 'messages': 0, 'bytes': 0, 'copied': 0, 'copied_bytes': 0}
        try:
            home = self.target_home(user)
            if home is None:
                entry['reason'] = 'no %s account named %s' % (self.account_type, user)
                return entry
            target = os.path.join(home, 'Maildir')
            if os.path.realpath(target) == os.path.realpath(source):
                entry['reason'] = 'source and target are the same store'
                return entry
            entry['target'] = target
            if not os.path.isdir(home):
                os.makedirs(home, 0o700)
                os.chown(home, *self.owner)
            source_scans = {}
            entry.update(_maildir_migration.merge(source, target, self.owner, source_scans=source_scans))
            problems = _maildir_migration.verify(source, target, source_scans)
            if problems:
                entry['status'] = 'failed'
                entry['error'] = 'verification failed, source kept: ' + '; '.join(problems)
                return entry
            entry['retired_to'] = _maildir_migration.retire(source, self.account_type)
            entry['status'] = 'migrated'
        except (DoveadmError, OSError, _maildir_migration.MigrationError) as exc:
            entry['status'] = 'failed'
            entry['error'] = str(exc)
        return entry

    def run(self, candidates):
        users = [self.migrate(user, source, source_type) for user, source, source_type in candidates]
        return {
            'users': users,
            'migrated': [entry['user'] for entry in users if entry['status'] == 'migrated'],
            'ignored': [entry['user'] for entry in users if entry['status'] == 'ignored'],
            'failed': dict((entry['user'], entry['error']) for entry in users if entry['status'] == 'failed'),
        }
