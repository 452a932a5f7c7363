# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

NO_WAIT = dict(sleep=lambda seconds: None)

from ansible_collections.mailroom.server.plugins.module_utils._engine import atomic_file as _atomic_file
from ansible_collections.mailroom.server.plugins.module_utils._engine import activation as _daemon


class FakeModule(object):
    """Records systemctl calls; `fail` makes reload/restart fail like a refusing daemon."""

    def __init__(self, fail=False):
        self.fail = fail
        self.calls = []

    def get_bin_path(self, name, required=False, opt_dirs=None):
        return '/bin/' + name

    def run_command(self, args):
        self.calls.append(args)
        if self.fail and args[1] in ('reload', 'restart'):
            return 1, '', 'Job for dovecot.service failed'
        return 0, '', ''


@pytest.fixture
def files(tmp_path):
    existing = tmp_path / 'existing.conf'
    existing.write_text('old\n')
    os.chmod(str(existing), 0o640)
    return str(existing), str(tmp_path / 'new.conf')


def test_commit_writes_and_activates(files):
    existing, new = files
    module = FakeModule()
    taken = _daemon.commit(module, 'dovecot', {existing: 'changed\n', new: 'fresh\n'},
                           _daemon.RELOAD, lambda: True, **NO_WAIT)
    assert taken == 'reload'
    assert open(existing).read() == 'changed\n' and open(new).read() == 'fresh\n'
    assert os.stat(existing).st_mode & 0o777 == 0o640
    assert ['/bin/systemctl', 'reload', 'dovecot'] in module.calls


def test_commit_restores_everything_when_the_daemon_does_not_come_back(files):
    existing, new = files
    module = FakeModule(fail=True)
    with pytest.raises(_daemon.DaemonError, match='previous configuration restored.*Job for dovecot'):
        _daemon.commit(module, 'dovecot', {existing: 'broken\n', new: 'fresh\n'},
                       _daemon.RESTART, lambda: True, **NO_WAIT)
    assert open(existing).read() == 'old\n'
    assert not os.path.exists(new)


def test_commit_restores_when_the_daemon_dies_after_a_successful_reload(files):
    existing, new = files
    states = iter([True, False, True])
    with pytest.raises(_daemon.DaemonError):
        _daemon.commit(FakeModule(), 'postfix', {existing: 'x\n'}, _daemon.RELOAD,
                       lambda: next(states), **NO_WAIT)
    assert open(existing).read() == 'old\n'


def test_commit_restores_when_the_daemon_exits_a_moment_after_the_reload(files):
    existing, _new = files
    # Running before, right after the reload, then gone: a listener it could not bind.
    states = iter([True, True, True, False])
    with pytest.raises(_daemon.DaemonError):
        _daemon.commit(FakeModule(), 'postfix', {existing: 'x\n'}, _daemon.RELOAD,
                       lambda: next(states, True), **NO_WAIT)
    assert open(existing).read() == 'old\n'


def test_write_atomic_replaces_a_symlinks_target_not_the_link(tmp_path):
    target = tmp_path / 'real.cf'
    target.write_text('old\n')
    link = tmp_path / 'main.cf'
    link.symlink_to(target)
    _atomic_file.write_atomic(str(link), 'new\n')
    assert link.is_symlink() and target.read_text() == 'new\n'


def test_write_staged_never_writes_through_a_copied_link(tmp_path):
    live = tmp_path / 'live.cf'
    live.write_text('live\n')
    staged = tmp_path / 'staged.cf'
    staged.symlink_to(live)
    _atomic_file.write_staged(str(staged), 'staged\n')
    assert live.read_text() == 'live\n' and not staged.is_symlink()


def test_commit_without_action_or_with_a_stopped_daemon_only_writes(files):
    existing, _new = files
    module = FakeModule(fail=True)
    assert _daemon.commit(module, 'postfix', {existing: 'a\n'}, None, lambda: True, **NO_WAIT) is None
    assert _daemon.commit(module, 'postfix', {existing: 'b\n'}, _daemon.RELOAD, lambda: False,
                          **NO_WAIT) is None
    assert open(existing).read() == 'b\n'
    assert not any(call[1] in ('reload', 'restart') for call in module.calls)
