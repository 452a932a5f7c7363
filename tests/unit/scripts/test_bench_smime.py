# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""scripts/bench smime's own arithmetic: the medians, ratios and goal of the driver's runs, the
table it prints, and the password it reads from the benchmark's inventory."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'performance'))

import bench_smime  # noqa: E402  pylint: disable=wrong-import-position
from benchlib import inventory  # noqa: E402  pylint: disable=wrong-import-position


def one_run(send_s, read_s, openssl_s, build_s=0.05):
    """A driver run: plugin seconds from PHP, openssl from wall time, peaks in KiB and bytes."""
    def step(seconds, rss_kib=30720):
        return {'wall_s': seconds, 'rss_kib': rss_kib, 'answer': None}
    return {
        'send': {'wall_s': send_s + 0.1, 'rss_kib': 102400,
                 'answer': {'seconds': send_s, 'build_seconds': build_s, 'php_peak_bytes': 80 * 1048576}},
        'read': {'wall_s': read_s + 0.1, 'rss_kib': 104448,
                 'answer': {'seconds': read_s, 'php_peak_bytes': 90 * 1048576}},
        'sign': step(openssl_s / 2), 'encrypt': step(openssl_s / 2, rss_kib=40960),
        'decrypt': step(openssl_s / 2), 'verify': step(openssl_s / 2),
    }


def test_medians_and_ratios():
    runs = [one_run(0.2, 0.3, 0.1), one_run(0.9, 0.9, 0.1), one_run(0.18, 0.28, 0.1)]
    sending, reading = bench_smime.summarize(runs)
    assert sending['operation'] == 'sign + encrypt'
    # The hook's time from PHP, not the process's wall time; the median, not the mean.
    assert sending['plugin_s'] == pytest.approx(0.2)
    assert sending['of_which_building_s'] == pytest.approx(0.05)
    assert sending['openssl_s'] == pytest.approx(0.1)
    # The goal's ratio leaves the building out (openssl is given the built entity); the whole
    # hook's is there too.
    assert sending['smime_s'] == pytest.approx(0.15)
    assert sending['ratio'] == pytest.approx(1.5)
    assert sending['hook_ratio'] == pytest.approx(2.0)
    assert sending['goal_met']
    assert bench_smime.summarize([one_run(0.26, 0.1, 0.1)])[0]['goal_met'] is False   # 2.1x
    assert sending['plugin_php_peak_mib'] == pytest.approx(80)
    assert sending['plugin_rss_mib'] == pytest.approx(100)
    # openssl's two processes: the larger peak of the two.
    assert sending['openssl_rss_mib'] == pytest.approx(40)
    assert reading['ratio'] == pytest.approx(3.0)
    assert not reading['goal_met']
    assert reading['of_which_building_s'] is None


def test_table():
    rows = bench_smime.summarize([one_run(0.25, 0.05, 0.1)])
    table = bench_smime.format_table(rows, 0.104).splitlines()
    assert table[0].split()[:3] == ['operation', 'hook', 's']
    assert table[1].startswith('sign + encrypt') and table[1].endswith('2.50x   2.00x  met')
    assert ' 0.050 ' in table[1] and ' 0.200 ' in table[1]
    assert table[2].startswith('decrypt + verify') and table[2].endswith('0.50x   0.50x  met')
    assert ' - ' in table[2]
    assert table[3].endswith('0.104 s')


def test_password_from_the_inventory():
    path = inventory('a-container', 'someone')
    try:
        assert bench_smime.inventory_password(path) == 'bench-Secret-1'
    finally:
        os.unlink(path)


def test_no_password_in_the_inventory(tmp_path):
    path = tmp_path / 'hosts.yml'
    path.write_text('mailservers:\n  hosts: {}\n')
    with pytest.raises(ValueError):
        bench_smime.inventory_password(str(path))
