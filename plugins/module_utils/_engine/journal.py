# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where a change leaves traces on the host: its staging copies and its in-progress marker.

A module killed halfway (SIGKILL, a lost connection) cannot clean up after itself. Staging copies
live under one directory, named by the process that made them, so the next run removes those of
processes that are gone. The marker, written before the first live file changes and removed
when the change is committed or rolled back, tells the next run (and settings_info) that a change
was interrupted, which files it was changing and when.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import tempfile
import time

from ansible_collections.mailroom.server.plugins.module_utils._engine import atomic_file
from ansible_collections.mailroom.server.plugins.module_utils._engine.errors import FileError

STATE_DIR = '/var/lib/mailroom'


def _alive(pid):
    try:
        os.kill(pid, 0)
    except OSError as exc:
        return exc.errno == 1  # EPERM: alive, another user's
    return True


class Journal(object):
    """Staging copies and the in-progress marker of settings changes, below `root`."""

    def __init__(self, root=STATE_DIR, pid=None):
        self.root = root
        self.staging = os.path.join(root, 'staging')
        self.marker = os.path.join(root, 'change-in-progress.json')
        self.pid = os.getpid() if pid is None else pid

    def stage_dir(self, what):
        """A new private directory for a staged copy; remove it with shutil.rmtree when done."""
        try:
            if not os.path.isdir(self.staging):
                os.makedirs(self.staging, 0o700)
            return tempfile.mkdtemp(prefix='%d-%s-' % (self.pid, what), dir=self.staging)
        except OSError as exc:
            raise FileError('cannot create a staging directory in %s: %s' % (self.staging, exc))

    def copy_config(self, config_dir, what):
        """(staging directory, copy of `config_dir` in it), links copied as links."""
        stage = self.stage_dir(what)
        copy = os.path.join(stage, what)
        try:
            shutil.copytree(config_dir, copy, symlinks=True)
        except (OSError, shutil.Error) as exc:
            shutil.rmtree(stage, ignore_errors=True)
            raise FileError('cannot stage a copy of %s: %s' % (config_dir, exc))
        return stage, copy

    def stage_config(self, config_dir, what, texts):
        """(staging directory, copy of `config_dir` with {live path: text} written into it); paths
        outside `config_dir` are not the copy's and are left out."""
        stage, copy = self.copy_config(config_dir, what)
        try:
            for path, text in texts.items():
                relative = os.path.relpath(path, config_dir)
                if not relative.startswith('..'):
                    atomic_file.write_staged(os.path.join(copy, relative), text)
        except BaseException:
            shutil.rmtree(stage, ignore_errors=True)
            raise
        return stage, copy

    def sweep(self):
        """Remove staging copies whose process is gone; return their names."""
        removed = []
        if not os.path.isdir(self.staging):
            return removed
        for name in sorted(os.listdir(self.staging)):
            owner = name.split('-', 1)[0]
            if owner.isdigit() and int(owner) != self.pid and not _alive(int(owner)):
                shutil.rmtree(os.path.join(self.staging, name), ignore_errors=True)
                removed.append(name)
        return removed

    def interrupted(self):
        """The marker of a change whose process is gone ({started, pid, files, daemons}), or None.

        Its files may be new while its daemons still run the old configuration: the next run
        activates `daemons` ({daemon: action}) again before removing it.
        """
        text = atomic_file.read_text(self.marker)
        if not text:
            return None
        try:
            record = json.loads(text)
        except ValueError:
            record = {'files': [], 'daemons': {}}
        pid = record.get('pid')
        if isinstance(pid, int) and pid != self.pid and _alive(pid):
            return None
        return record

    def begin(self, files, actions):
        """Mark a change as under way: the live `files` it writes, {daemon: action} it activates."""
        if not os.path.isdir(self.root):
            try:
                os.makedirs(self.root, 0o755)
            except OSError as exc:
                raise FileError('cannot create %s: %s' % (self.root, exc))
        record = {'started': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()), 'pid': self.pid,
                  'files': list(files), 'daemons': dict(actions)}
        atomic_file.write_atomic(self.marker, json.dumps(record, sort_keys=True) + '\n', 0o600)

    def end(self):
        atomic_file.remove(self.marker)
