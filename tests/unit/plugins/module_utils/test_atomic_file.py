# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.mailroom.server.plugins.module_utils._engine import atomic_file
from ansible_collections.mailroom.server.plugins.module_utils._engine.errors import FileError


def test_write_atomic_keeps_mode_and_replaces_a_symlinks_target_not_the_link(tmp_path):
    target = tmp_path / 'real.cf'
    target.write_text('old\n')
    os.chmod(str(target), 0o640)
    link = tmp_path / 'main.cf'
    link.symlink_to(target)
    atomic_file.write_atomic(str(link), 'new\n')
    assert link.is_symlink() and target.read_text() == 'new\n'
    assert os.stat(str(target)).st_mode & 0o777 == 0o640


def test_write_staged_never_writes_through_a_copied_link(tmp_path):
    live = tmp_path / 'live.cf'
    live.write_text('live\n')
    staged = tmp_path / 'staged.cf'
    staged.symlink_to(live)
    atomic_file.write_staged(str(staged), 'staged\n')
    assert live.read_text() == 'live\n' and not staged.is_symlink()


def test_write_failure_is_a_file_error_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    (tmp_path / 'main.cf').write_text('old\n')

    def full_disk(source, target):
        raise OSError(28, 'No space left on device')
    monkeypatch.setattr(atomic_file.os, 'rename', full_disk)
    with pytest.raises(FileError, match='No space left'):
        atomic_file.write_atomic(str(tmp_path / 'main.cf'), 'new\n')
    assert os.listdir(str(tmp_path)) == ['main.cf']
    assert (tmp_path / 'main.cf').read_text() == 'old\n'


def test_undecodable_file_is_a_file_error(tmp_path):
    path = tmp_path / 'latin1.cf'
    path.write_bytes(b'caf\xe9\n')
    with pytest.raises(FileError, match='not UTF-8'):
        atomic_file.read_text(str(path))
    assert atomic_file.read_text(str(tmp_path / 'absent.cf'), default='') == ''
