# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The delivery benchmark's CPU accounting: what each process used between two snapshots, and
the medians per message over the rounds."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'performance'))

import bench_delivery  # noqa: E402  pylint: disable=wrong-import-position
from benchlib import cpu_used  # noqa: E402  pylint: disable=wrong-import-position


def test_cpu_used_between_snapshots():
    before = {'total': 10.0,
              'processes': {'1': ['postfix master', 1.0], '7': ['dovecot lmtp', 2.0], '9': ['dovecot lmtp', 0.5]}}
    # A new process (12), and a reused pid (9) now running something else.
    after = {'total': 14.0,
             'processes': {'1': ['postfix master', 1.25], '7': ['dovecot lmtp', 3.0], '12': ['postfix smtpd', 0.5],
                           '9': ['postfix cleanup', 0.25]}}
    used = cpu_used(before, after)
    assert used['total'] == pytest.approx(4.0)
    assert used['by_process']['postfix master'] == pytest.approx(0.25)
    assert used['by_process']['dovecot lmtp'] == pytest.approx(1.0)
    assert used['by_process']['postfix smtpd'] == pytest.approx(0.5)
    assert used['by_process']['postfix cleanup'] == pytest.approx(0.25)
    # What the cgroup counted beyond the live processes: the ones that ended in between.
    assert used['by_process']['exited'] == pytest.approx(2.0)


def test_cpu_used_without_cgroup_figures():
    snapshot = {'total': None, 'processes': {'1': ['postfix master', 1.0]}}
    used = cpu_used(snapshot, snapshot)
    assert used['total'] is None and 'exited' not in used['by_process']


def test_cpu_per_message_takes_medians():
    runs = [{'total': total, 'by_process': {'dovecot lmtp': lmtp}} for total, lmtp in ((5.0, 2.0), (9.0, 3.0), (6.0, 2.5))]
    summary = bench_delivery.cpu_per_message({'ours, empty': runs}, 1000)
    assert summary['ours, empty']['total_ms'] == pytest.approx(6.0)
    assert summary['ours, empty']['by_process_ms']['dovecot lmtp'] == pytest.approx(2.5)
