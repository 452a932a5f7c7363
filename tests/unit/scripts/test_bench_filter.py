# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""scripts/bench filter's own arithmetic: each mode's median throughput over its rounds, the ratio
against the goal, the latency percentiles over every transaction, and the messages it sends."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import email
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'performance'))

import bench_filter  # noqa: E402  pylint: disable=wrong-import-position


def results(without_seconds, with_seconds, without_times, with_times, messages=1000, cpu=(None, None)):
    return {'release': '12', 'messages': messages, 'sessions': 10, 'load': 1.0,
            'rspamd': {'total_kib': 204800, 'processes': 4},
            'rounds': {'without': [{'seconds': s, 'times': without_times, 'cpu': cpu[0]} for s in without_seconds],
                       'with': [{'seconds': s, 'times': with_times, 'cpu': cpu[1]} for s in with_seconds]}}


def test_each_mode_takes_the_median_of_its_rounds_and_the_ratio_compares_them():
    summary = bench_filter.summarise(results([10.0, 8.0, 12.0], [20.0, 12.5, 14.0], [0.01], [0.02]))
    assert summary['without']['msg_per_s'] == pytest.approx(100.0)
    assert summary['with']['msg_per_s'] == pytest.approx(1000 / 14.0)
    assert summary['ratio'] == pytest.approx((1000 / 14.0) / 100.0)
    assert summary['goal_met'] is True
    assert summary['rspamd_rss_mib'] == pytest.approx(200.0)


def test_a_filter_that_halves_the_throughput_misses_the_goal():
    summary = bench_filter.summarise(results([10.0, 10.0], [20.0, 20.0], [0.01], [0.02]))
    assert summary['ratio'] == pytest.approx(0.5)
    assert summary['goal_met'] is False


def test_cpu_per_message_and_its_ratio_come_from_the_container_time_of_each_mode():
    summary = bench_filter.summarise(results([10.0], [20.0], [0.01], [0.02], cpu=(8.0, 14.0)))
    assert summary['without']['cpu_ms_per_msg'] == pytest.approx(8.0)
    assert summary['with']['cpu_ms_per_msg'] == pytest.approx(14.0)
    assert summary['cpu_ratio'] == pytest.approx(8.0 / 14.0)


def test_without_a_readable_cgroup_there_is_no_cpu_ratio():
    summary = bench_filter.summarise(results([10.0], [20.0], [0.01], [0.02]))
    assert summary['with']['cpu_ms_per_msg'] is None
    assert 'cpu_ratio' not in summary


def test_latency_percentiles_cover_every_transaction_of_every_round():
    summary = bench_filter.summarise(results([10.0], [10.0], [0.010, 0.012, 0.011], [0.030, 0.050, 0.020]))
    assert summary['without']['p50_ms'] == pytest.approx(11.0)
    assert summary['with']['p50_ms'] == pytest.approx(30.0)
    assert summary['with']['p95_ms'] == pytest.approx(50.0)
    assert summary['added_p50_ms'] == pytest.approx(19.0)


def test_the_message_is_from_outside_to_the_benchmark_user_and_parses():
    parsed = email.message_from_bytes(bench_filter.message(7, 'with0'))
    assert parsed['From'] == bench_filter.SENDER
    assert parsed['To'] == 'bench@example.test'
    assert parsed['Message-ID'] == '<with0.7@outside.test>'
    assert parsed.get_payload().startswith('A line of the benchmark message')


def test_cpu_by_process_takes_each_process_median_and_ranks_what_the_filter_adds():
    data = results([10.0, 10.0, 10.0], [20.0, 20.0, 20.0], [0.01], [0.02], messages=1000)
    for entry, lmtp in zip(data['rounds']['without'], (3.0, 4.0, 3.5)):
        entry['cpu_by_process'] = {'dovecot lmtp': lmtp, 'smtpd': 0.3}
    for entry, lmtp, scan in zip(data['rounds']['with'], (4.5, 4.0, 5.0), (4.0, 4.2, 3.9)):
        entry['cpu_by_process'] = {'dovecot lmtp': lmtp, 'rspamd': scan}
    # rspamd missing from a round: it used nothing in that round.
    del data['rounds']['with'][2]['cpu_by_process']['rspamd']
    summary = bench_filter.summarise(data)
    assert summary['without']['cpu_ms_per_msg_by_process'] == pytest.approx({'dovecot lmtp': 3.5, 'smtpd': 0.3})
    assert summary['with']['cpu_ms_per_msg_by_process'] == pytest.approx({'dovecot lmtp': 4.5, 'rspamd': 4.0})
    rows = bench_filter.cpu_added_by_process(summary)
    assert [row[0] for row in rows] == ['rspamd', 'dovecot lmtp', 'smtpd']
    assert rows[0][1:] == pytest.approx((0.0, 4.0, 4.0))
    assert rows[2][1:] == pytest.approx((0.3, 0.0, -0.3))
