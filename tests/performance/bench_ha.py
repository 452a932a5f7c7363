# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A high-availability pair's failover time and replication lag (issue 16), on the pair the Molecule
scenario `ha` converged (`molecule create -s ha && molecule converge -s ha`; the containers
mailroom-ha-deb<release>-a and -b, the virtual IP 172.31.<release>.200).

Failover: --failovers times, the node holding the virtual IP (VIP) is paused (`docker pause`: the
node stops at once, as a dead host would), and the time from the pause to the first SMTP
transaction the VIP accepts again is measured from this machine (a transaction tried every 0.2 s,
each with a 2 s timeout). The paused node is then resumed and the pair left to settle (both
nodes up, one VIP holder, both synced) before the next round. Goal: p50 <= 5 s.

Replication lag: --rate messages a second for --seconds to the VIP, each accepted at a known
time; the node without the VIP is asked every 0.5 s how many of them it holds, and message k
counts as replicated when that number reaches k. Goal: p95 <= 2 x the pair's sync interval.
Usage: scripts/bench ha [--release 12|13] [--failovers 10] [--rate 20] [--seconds 30]
"""
from __future__ import absolute_import, division, print_function

import argparse
import json
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'acceptance'))

from benchlib import docker_exec, percentile  # noqa: E402  pylint: disable=wrong-import-position
from ha_probe import _send_one, message, probe_await  # noqa: E402  pylint: disable=wrong-import-position

USER = 'alice'
DOMAIN = 'example.test'
FAILOVER_GOAL_S = 5.0
SETTLE_TIMEOUT = 120


def nodes(release):
    return ['mailroom-ha-deb%s-a' % release, 'mailroom-ha-deb%s-b' % release]


def vip(release):
    return '172.31.%s.200' % release


def holds(ip_output, address):
    """Whether `ip -o -4 addr show` lists `address` (not merely an address it begins)."""
    return 'inet %s/' % address in ip_output


def holders(containers, address):
    """The containers that have `address` on an interface now."""
    return [name for name in containers if holds(docker_exec(name, 'ip -o -4 addr show'), address)]


def synced(container):
    return docker_exec(container, 'test -e /run/mailroom-ha/synced && echo yes || echo no').strip() == 'yes'


def settle(containers, address, timeout=SETTLE_TIMEOUT):
    """Wait until exactly one node holds the VIP and both have synced since they started."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        held = holders(containers, address)
        if len(held) == 1 and all(synced(name) for name in containers):
            return held[0]
        time.sleep(1)
    raise SystemExit('the pair did not settle within %d s' % timeout)


def one_failover(containers, address):
    holder = settle(containers, address)
    subprocess.check_call(['docker', 'pause', holder], stdout=subprocess.DEVNULL)
    try:
        answered = probe_await(address, DOMAIN, USER, 60)
    finally:
        subprocess.check_call(['docker', 'unpause', holder], stdout=subprocess.DEVNULL)
    if answered['seconds'] is None:
        raise SystemExit('the VIP did not answer within 60 s after %s was paused' % holder)
    return {'failed': holder, 'seconds': answered['seconds']}


def count_on(container, tag):
    found = docker_exec(container, "doveadm search -u %s mailbox INBOX header message-id %s | wc -l" % (USER, tag))
    return int(found.strip() or 0)


def replication_lag(containers, address, rate, seconds, tag):
    """Per message: seconds from its acceptance on the VIP until the peer holds that many."""
    holder = settle(containers, address)
    peer = [name for name in containers if name != holder][0]
    total = int(rate * seconds)
    accepted = [None] * total
    recipient = '%s@%s' % (USER, DOMAIN)

    def sender():
        start = time.time()
        for number in range(total):
            time.sleep(max(0.0, start + number / float(rate) - time.time()))
            _send_one(address, recipient, message(tag, number, recipient))
            accepted[number] = time.time()

    thread = threading.Thread(target=sender)
    thread.start()
    replicated = [None] * total
    deadline = time.time() + seconds + 120
    seen = 0
    while seen < total and time.time() < deadline:
        now = time.time()
        count = min(count_on(peer, tag), total)
        for number in range(seen, count):
            replicated[number] = now
        seen = max(seen, count)
        time.sleep(0.5)
    thread.join()
    if seen < total:
        raise SystemExit('the peer held %d of %d messages 120 s after the last was sent' % (seen, total))
    return {'holder': holder, 'peer': peer,
            'lags': [replicated[number] - accepted[number] for number in range(total)]}


def sync_interval(container):
    return json.loads(docker_exec(container, 'cat /etc/mailroom/ha-sync.json'))['interval']


def summarise(failovers, lag, interval):
    seconds = [entry['seconds'] for entry in failovers]
    lags = [max(0.0, value) for value in lag['lags']]
    summary = {'failovers': len(seconds), 'failover_p50_s': percentile(seconds, 0.5),
               'failover_max_s': max(seconds), 'lag_messages': len(lags),
               'lag_p50_s': percentile(lags, 0.5), 'lag_p95_s': percentile(lags, 0.95),
               'sync_interval_s': interval}
    summary['failover_goal_met'] = summary['failover_p50_s'] <= FAILOVER_GOAL_S
    summary['lag_goal_met'] = summary['lag_p95_s'] <= 2 * interval
    return summary


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--release', default='13', choices=['12', '13'])
    parser.add_argument('--failovers', type=int, default=10)
    parser.add_argument('--rate', type=float, default=20.0, help='messages a second for the lag')
    parser.add_argument('--seconds', type=float, default=30.0, help='how long to send for the lag')
    args = parser.parse_args()
    containers, address = nodes(args.release), vip(args.release)
    interval = sync_interval(containers[0])
    tag = 'lag%d' % int(time.time())
    lag = replication_lag(containers, address, args.rate, args.seconds, tag)
    failovers = [one_failover(containers, address) for _round in range(args.failovers)]
    settle(containers, address)
    summary = summarise(failovers, lag, interval)
    summary['release'] = args.release
    print('Debian %s pair: %d failovers (the VIP holder paused), %d messages at %.0f/s for the lag'
          % (args.release, len(failovers), summary['lag_messages'], args.rate))
    print('failover, pause to the first accepted SMTP transaction on the VIP: p50 %.2f s, max %.2f s (goal p50 <= %.0f s: %s)'
          % (summary['failover_p50_s'], summary['failover_max_s'], FAILOVER_GOAL_S,
             'met' if summary['failover_goal_met'] else 'MISSED'))
    print('each: %s' % ', '.join('%.2f' % entry['seconds'] for entry in failovers))
    print('replication lag, accepted on the VIP to held by the peer: p50 %.2f s, p95 %.2f s (goal p95 <= 2 x %d s: %s)'
          % (summary['lag_p50_s'], summary['lag_p95_s'], interval, 'met' if summary['lag_goal_met'] else 'MISSED'))
    print(json.dumps(summary, sort_keys=True))
    return 0


if __name__ == '__main__':
    sys.exit(main())
