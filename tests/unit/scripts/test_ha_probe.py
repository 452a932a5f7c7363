# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ha target's probe (tests/acceptance/ha_probe.py): its pure parts."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'acceptance'))

import ha_probe  # noqa: E402  pylint: disable=wrong-import-position


def test_summarize_counts_duplicates():
    assert ha_probe.summarize(['<b>', '<a>', '<b>']) == {'ids': ['<a>', '<b>'], 'count': 3, 'duplicates': 1}
    assert ha_probe.summarize([]) == {'ids': [], 'count': 0, 'duplicates': 0}


def test_message_carries_its_id():
    text = ha_probe.message('t1', 3, 'alice@example.test')
    assert 'Message-ID: <t1-3@client.example.net>\r\n' in text and text.endswith('\r\n')


def test_await_measures_until_the_first_accepted_transaction():
    now = [0.0]
    tries = []

    def send(address, recipient, body, timeout):
        tries.append(address)
        if len(tries) < 3:
            raise OSError('refused')

    def sleep(seconds):
        now[0] += seconds

    result = ha_probe.probe_await('192.0.2.10', 'example.test', 'alice', 10, clock=lambda: now[0], sleep=sleep,
                                  send=send)
    assert result == {'seconds': 0.4, 'attempts': 3}

    def down(address, recipient, body, timeout):
        raise OSError('down')

    never = ha_probe.probe_await('192.0.2.10', 'example.test', 'alice', 1, clock=lambda: now[0], sleep=sleep,
                                 send=down)
    assert never['seconds'] is None
