# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""scripts/failed_tasks.py: which failures of a Molecule log stopped a host."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', '..', 'scripts'))

import failed_tasks  # noqa: E402  pylint: disable=wrong-import-position

FRAME = '  \x1b[2m\u2502\x1b[0m '


def framed(text):
    """Lines as Molecule prints Ansible's output: in a box, with colours."""
    return [failed_tasks.clean(FRAME + line + '\n') for line in text.splitlines()]


def recap(failed12, failed13):
    return ('PLAY RECAP ***\n'
            'host12                     : ok=9    changed=1    unreachable=0    failed=%d    skipped=0\n'
            'host13                     : ok=9    changed=1    unreachable=0    failed=%d    skipped=0\n'
            % (failed12, failed13))


def test_the_failure_that_stopped_a_host_is_shown_with_its_task():
    log = ('TASK [Apply]\nok: [host12]\nok: [host13]\n'
           'TASK [Assert it]\nok: [host13]\nfatal: [host12]: FAILED! => {\n    "msg": "boom"\n}\n'
           'TASK [Later]\nok: [host13]\n' + recap(1, 0))
    assert failed_tasks.failures(framed(log), 25) == [
        ('TASK [Assert it]', ['fatal: [host12]: FAILED! => {', '    "msg": "boom"', '}'])]


def test_ignored_failures_of_a_loop_are_left_out():
    # A loop's failed items come one by one and both hosts' "...ignoring" only at the task's end.
    log = ('TASK [Bad input]\n'
           "failed: [host12] (item=a) => {\"msg\": \"refused a\"}\n"
           "failed: [host13] (item=a) => {\"msg\": \"refused a\"}\n"
           "failed: [host12] (item=b) => {\"msg\": \"refused b\"}\n"
           '...ignoring\n...ignoring\n'
           'TASK [Next]\nok: [host12]\nok: [host13]\n' + recap(0, 0))
    assert failed_tasks.failures(framed(log), 25) == []


def test_an_ignored_failure_before_the_real_one_is_not_taken_for_it():
    log = ('TASK [Bad input]\nfailed: [host12] (item=a) => {"msg": "refused"}\n...ignoring\n'
           'TASK [Proof]\nfatal: [host12]: FAILED! => {"msg": "not in effect"}\n' + recap(1, 0))
    assert failed_tasks.failures(framed(log), 25) == [
        ('TASK [Proof]', ['fatal: [host12]: FAILED! => {"msg": "not in effect"}'])]


def test_long_errors_are_cut():
    log = 'TASK [T]\nfatal: [host13]: FAILED! => {\n' + 'line\n' * 40 + '}\n' + recap(0, 1)
    [(_task, block)] = failed_tasks.failures(framed(log), 5)
    assert len(block) == 5
