# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""scripts/bench ha's own arithmetic: the failover and lag percentiles against their goals, and
which node holds the virtual IP."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'performance'))

import bench_ha  # noqa: E402  pylint: disable=wrong-import-position

IP_OUTPUT = ('1: lo    inet 127.0.0.1/8 scope host lo\n'
             '551: eth0    inet 172.31.13.11/24 brd 172.31.13.255 scope global eth0\n'
             '551: eth0    inet 172.31.13.200/24 scope global secondary eth0\n')


def test_the_holder_is_the_node_with_the_exact_address():
    assert bench_ha.holds(IP_OUTPUT, '172.31.13.200')
    assert not bench_ha.holds(IP_OUTPUT, '172.31.13.20')
    assert not bench_ha.holds(IP_OUTPUT.replace('172.31.13.200', '172.31.13.201'), '172.31.13.200')


def failovers(*seconds):
    return [{'failed': 'a', 'seconds': value} for value in seconds]


def test_failover_median_and_maximum_against_the_goal():
    summary = bench_ha.summarise(failovers(3.0, 4.0, 9.0), {'lags': [1.0]}, 5)
    assert summary['failover_p50_s'] == pytest.approx(4.0)
    assert summary['failover_max_s'] == pytest.approx(9.0)
    assert summary['failover_goal_met'] is True
    assert bench_ha.summarise(failovers(6.0, 6.0, 1.0), {'lags': [1.0]}, 5)['failover_goal_met'] is False


def test_lag_p95_against_twice_the_sync_interval():
    lags = [float(value) for value in range(1, 21)]
    summary = bench_ha.summarise(failovers(1.0), {'lags': lags}, 5)
    assert summary['lag_p50_s'] == pytest.approx(11.0)
    assert summary['lag_p95_s'] == pytest.approx(19.0)
    assert summary['lag_goal_met'] is False
    assert bench_ha.summarise(failovers(1.0), {'lags': lags}, 10)['lag_goal_met'] is True


def test_a_message_seen_before_its_acceptance_was_timed_counts_as_no_lag():
    summary = bench_ha.summarise(failovers(1.0), {'lags': [-0.2, 0.5]}, 5)
    assert summary['lag_p50_s'] == pytest.approx(0.0)
