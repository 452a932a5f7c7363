# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.mailroom.server.plugins.module_utils._engine import activation
from ansible_collections.mailroom.server.plugins.module_utils._engine.errors import DaemonError

MARKERS = ('Fatal:', 'Error reading configuration')


class FakeModule(object):
    """systemctl answers `action_rc`; journalctl prints `journal`."""

    def __init__(self, action_rc=0, journal=''):
        self.action_rc = action_rc
        self.journal = journal
        self.calls = []

    def get_bin_path(self, name, required=False, opt_dirs=None):
        return '/bin/' + name

    def run_command(self, args):
        self.calls.append(args)
        if args[0] == '/bin/journalctl':
            return 0, self.journal, ''
        if args[1] in ('reload', 'restart'):
            return self.action_rc, '', 'Job for dovecot.service failed' if self.action_rc else ''
        return 0, '', ''


def activate(module, running=lambda: True):
    activation.activate(module, 'dovecot', activation.RELOAD, running, MARKERS,
                        sleep=lambda seconds: None, clock=lambda: 1000.0)


def test_activation_that_took_passes_and_reads_the_journal_since_the_action():
    module = FakeModule(journal='master: Warning: SIGHUP received - reloading configuration')
    activate(module)
    assert ['/bin/systemctl', 'reload', 'dovecot'] in module.calls
    journal_call = [call for call in module.calls if call[0] == '/bin/journalctl'][0]
    assert journal_call[-2:] == ['--since', '@999']


def test_a_refused_reload_that_leaves_the_daemon_alive_is_a_failure():
    # Dovecot keeps its old settings and keeps running when it cannot read the new ones.
    module = FakeModule(journal='config: Error reading configuration: ssl_cert: Can\'t open file')
    with pytest.raises(DaemonError, match='did not take the new configuration'):
        activate(module)


def test_a_daemon_that_exits_a_moment_after_the_action_is_a_failure():
    answers = iter([True, True, False])
    with pytest.raises(DaemonError, match='did not come back'):
        activate(FakeModule(), running=lambda: next(answers))


def test_a_failed_systemctl_is_a_failure_with_its_message():
    with pytest.raises(DaemonError, match='Job for dovecot.service failed'):
        activate(FakeModule(action_rc=1))


def test_stronger_action():
    assert activation.stronger(None, 'reload') == 'reload'
    assert activation.stronger('reload', 'restart') == 'restart'
    assert activation.stronger('restart', None) == 'restart'


def test_wait_for_gives_up_after_the_timeout():
    now = [0.0]

    def sleep(seconds):
        now[0] += seconds
    assert activation.wait_for(lambda: False, 2, sleep=sleep, clock=lambda: now[0]) is False
    assert now[0] >= 2
    assert activation.wait_for(lambda: 'yes', 2, sleep=sleep, clock=lambda: now[0]) == 'yes'
