# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rebuild every mail user's search indexes after their terms changed, without blocking delivery.

flatcurve (2.4): each user's index is emptied and its rebuild queued in Dovecot's indexer
service; until it is done, a search first indexes what it needs (or reads the mails after
fts_search_timeout), so results stay right meanwhile.

lucene (2.3) has no command that empties its index (`fts rescan` keeps the old terms), so its
directory is removed, rescan forgets the indexed UIDs, and the index is rebuilt at once by
doveadm itself: a queued rebuild could meet an indexer worker still holding the removed index,
and searches would then find nothing until it was rebuilt again. Delivery never waits for this.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil

from ansible_collections.mailroom.server.plugins.module_utils._dovecot import config as _dovecot
from ansible_collections.mailroom.server.plugins.module_utils._engine.errors import DoveadmError

LUCENE_DIR = 'lucene-indexes'


class SearchIndexes(object):
    def __init__(self, module):
        self.module = module
        self.doveadm = module.get_bin_path('doveadm', required=True)

    def _run(self, *args):
        rc, out, err = self.module.run_command([self.doveadm] + list(args))
        if rc != 0:
            raise DoveadmError('doveadm %s: %s' % (' '.join(args), (err or out).strip()))
        return out

    def users(self):
        """Mail users, from the userdb (first_valid_uid..last_valid_uid)."""
        return [line.strip() for line in self._run('user', '*').splitlines() if line.strip()]

    def _empty_lucene(self, user):
        index_dir = self._run('mailbox', 'path', '-u', user, '-t', 'index', 'INBOX').strip()
        target = os.path.join(index_dir, LUCENE_DIR)
        if os.path.isdir(target) and not os.path.islink(target):
            shutil.rmtree(target)
        self._run('fts', 'rescan', '-u', user)

    def rebuild(self, dialect):
        """Empty each user's indexes and rebuild them; return {'mode', 'users', 'failed'}.

        `mode` is "queued" (2.4, the indexer service rebuilds) or "rebuilt" (2.3, done here).
        """
        done, failed = 0, {}
        for user in self.users():
            try:
                if dialect == _dovecot.DIALECT_24:
                    self._run('fts', 'flatcurve', 'remove', '-u', user, '*')
                    self._run('index', '-u', user, '-q', '*')
                else:
                    self._empty_lucene(user)
                    self._run('index', '-u', user, '*')
                done += 1
            except (DoveadmError, OSError) as exc:
                failed[user] = str(exc)
        mode = 'queued' if dialect == _dovecot.DIALECT_24 else 'rebuilt'
        return {'mode': mode, 'users': done, 'failed': failed}
