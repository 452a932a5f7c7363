# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Port 25 with the filter (issue 17): throughput and latency of mail from another server with
rspamd as Postfix's milter against the same host without it, and rspamd's memory, in one run.

The host: a fresh container (mta and imap roles, then the filter role) whose rspamd asks an offline
DNS on the host that answers NXDOMAIN for every name (the filter tests' tasks/test_dns.yml), so
that no lookup leaves the machine and none waits on a network. The client: this machine, through
the container's address, so that rspamd sees a remote client and runs its checks (SPF, DKIM,
DMARC, the scoring) as for any mail from the internet; mail from loopback is local to it.

Rounds alternate without and with the milter (smtpd_milters emptied, then restored, each with
a Postfix reload); each round sends --messages small messages (2 KiB, one text part) over
--sessions SMTP connections at once to one local user, and is timed from the first connection to
the last message in the user's folders (doveadm; tagged mail is filed into Junk), emptied between rounds. Printed: each
mode's throughput (median of the rounds) and their ratio (goal >= 0.7), the time of each SMTP
transaction (MAIL to the reply to the end of DATA, where the milter's verdict comes) p50/p95 and
the p50 added, the container's CPU time per message in each mode (its cgroup; on a CPU-bound host
the throughput ratio follows their ratio), rspamd's resident memory (all its processes) after the rounds, and JSON.
Usage: scripts/bench filter [--release 12|13] [--messages 1000] [--sessions 10] [--rounds 2]
       [--host CONTAINER] [--keep]
--host reuses a container this benchmark converged (kept with --keep).
"""
from __future__ import absolute_import, division, print_function

import argparse
import json
import os
import smtplib
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from benchlib import (  # noqa: E402  pylint: disable=wrong-import-position
    ROOT, cpu_per_message, cpu_snapshot, cpu_used, docker_exec, fresh_host, mail_host_converge, percentile,
    remove_containers, run,
)

GOAL_RATIO = 0.7
USER = 'bench'
SENDER = 'sender@outside.test'

# The offline DNS first: the filter role's unbound forwards every name to it.
CONVERGE = mail_host_converge('filter', '''
    - name: Start the offline DNS (NXDOMAIN for every name)
      ansible.builtin.include_tasks: "%s/tests/integration/targets/filter/tasks/test_dns.yml"
      vars:
        mailroom_repo: "%s"

    - name: Apply the filter role, every name asked of the offline DNS
      ansible.builtin.include_role:
        name: mailroom.server.filter
      vars:
        filter_dns_forward_zones:
          - {name: ".", servers: ["127.0.0.1@5353"]}
''' % (ROOT, ROOT))

BODY = 'A line of the benchmark message, about sixty characters long.\r\n' * 32

# rspamd's processes (main, workers) by their titles, and their resident memory.
RSPAMD_RSS = r'''
for status in /proc/[0-9]*/status; do
    awk '/^Name:/ {name=$2} /^VmRSS:/ {rss=$2} END {if (name ~ /^rspamd/) print name, rss}' "$status" 2>/dev/null
done
'''


def message(index, token):
    return ('From: %s\r\nTo: %s@example.test\r\nSubject: bench %s %d\r\nMessage-ID: <%s.%d@outside.test>\r\n'
            'Date: %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n%s'
            % (SENDER, USER, token, index, token, index, time.strftime('%a, %d %b %Y %H:%M:%S +0000', time.gmtime()),
               BODY)).encode()


def session(address, indexes, token, times, errors):
    try:
        client = smtplib.SMTP(address, 25, local_hostname='mx.outside.test', timeout=120)
        for index in indexes:
            started = time.perf_counter()
            client.sendmail(SENDER, ['%s@example.test' % USER], message(index, token))
            times.append(time.perf_counter() - started)
        client.quit()
    except (OSError, smtplib.SMTPException) as error:
        errors.append('%s: %s' % (type(error).__name__, error))


def delivered_count(container):
    """Messages in all of the user's folders: with the filter, mail rspamd tags (all of the benchmark's,
    from a sender no offline lookup can vouch for) is filed into Junk."""
    listing = docker_exec(container, "doveadm -f flow mailbox status -u %s messages '*'" % USER)
    return sum(int(line.split('=')[-1]) for line in listing.splitlines() if '=' in line)


def set_milter(container, on):
    docker_exec(container, "postconf -e 'smtpd_milters = %s' && postfix reload >/dev/null 2>&1 && sleep 1"
                % ('$mailroom_filter_milters' if on else ''))


def one_round(container, address, count, sessions, token):
    """(seconds until all are delivered, transaction times, CPU the container used: benchlib's
    cpu_used(), its total and each process's seconds)."""
    docker_exec(container, "doveadm expunge -u %s mailbox '*' all && doveadm purge -u %s" % (USER, USER))
    times, errors, threads = [], [], []
    cpu_before = cpu_snapshot(container)
    started = time.perf_counter()
    for number in range(sessions):
        indexes = range(number, count, sessions)
        threads.append(threading.Thread(target=session, args=(address, indexes, token, times, errors)))
        threads[-1].start()
    for thread in threads:
        thread.join()
    if errors:
        raise SystemExit('SMTP failed: %s' % '; '.join(errors[:3]))
    deadline = time.time() + 600
    while delivered_count(container) < count:
        if time.time() > deadline:
            raise SystemExit('only %d of %d messages delivered after 600 s' % (delivered_count(container), count))
        time.sleep(0.2)
    seconds = time.perf_counter() - started
    return seconds, times, cpu_used(cpu_before, cpu_snapshot(container))


def rspamd_memory(container):
    processes = [line.split() for line in docker_exec(container, RSPAMD_RSS).splitlines() if line.strip()]
    return {'total_kib': sum(int(rss) for _name, rss in processes), 'processes': len(processes)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--release', default='12', choices=['12', '13'])
    parser.add_argument('--messages', type=int, default=1000, help='messages per round')
    parser.add_argument('--sessions', type=int, default=10, help='SMTP connections at once')
    parser.add_argument('--rounds', type=int, default=2, help='rounds of each mode')
    parser.add_argument('--host', help='reuse a container this benchmark converged')
    parser.add_argument('--keep', action='store_true', help='keep a fresh container')
    args = parser.parse_args()
    container = args.host or 'mailroom-bench-filter'
    # The roles' packages are in the packages image; the filter role's are installed by the converge.
    os.environ.setdefault('MAILROOM_IMAGE_DEB' + args.release, 'mailroom-test/debian:%s-pkgs' % args.release)
    hosts = None
    results = {'release': args.release, 'messages': args.messages, 'sessions': args.sessions, 'rounds': {}}
    try:
        if not args.host:
            hosts = fresh_host(container, args.release, CONVERGE, USER)
        address = run(['docker', 'inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}',
                       container]).strip()
        # Warm-up: rspamd compiles and loads its maps on the first messages.
        set_milter(container, True)
        one_round(container, address, 50, 5, 'warmup')
        for number in range(args.rounds):
            for mode in ('without', 'with'):
                set_milter(container, mode == 'with')
                seconds, times, cpu = one_round(container, address, args.messages, args.sessions,
                                                '%s%d' % (mode, number))
                results['rounds'].setdefault(mode, []).append(
                    {'seconds': seconds, 'times': times, 'cpu': cpu['total'], 'cpu_by_process': cpu['by_process']})
        set_milter(container, True)
        results['rspamd'] = rspamd_memory(container)
        results['load'] = float(open('/proc/loadavg').read().split()[0])
    finally:
        if not args.host and not args.keep:
            remove_containers(container)
        if hosts:
            os.unlink(hosts)
    summary = summarise(results)
    report(results, summary)
    print(json.dumps(summary))
    return 0


def summarise(results):
    summary = {'release': results['release'], 'messages': results['messages'], 'sessions': results['sessions'],
               'rspamd_rss_mib': results['rspamd']['total_kib'] / 1024.0,
               'rspamd_processes': results['rspamd']['processes']}
    for mode, rounds in results['rounds'].items():
        rates = sorted(results['messages'] / entry['seconds'] for entry in rounds)
        times = [value for entry in rounds for value in entry['times']]
        cpu = sorted(entry['cpu'] for entry in rounds if entry.get('cpu') is not None)
        summary[mode] = {'msg_per_s': rates[len(rates) // 2], 'rounds_msg_per_s': rates,
                         'p50_ms': percentile(times, 0.5) * 1000, 'p95_ms': percentile(times, 0.95) * 1000,
                         'cpu_ms_per_msg': cpu[len(cpu) // 2] * 1000 / results['messages'] if cpu else None,
                         'cpu_ms_per_msg_by_process': cpu_per_message(
                             {mode: [{'total': entry.get('cpu'), 'by_process': entry.get('cpu_by_process', {})}
                                     for entry in rounds]}, results['messages'])[mode]['by_process_ms']}
    summary['ratio'] = summary['with']['msg_per_s'] / summary['without']['msg_per_s']
    # On a CPU-bound host the throughput ratio cannot beat the ratio of CPU per message.
    if summary['with']['cpu_ms_per_msg'] and summary['without']['cpu_ms_per_msg']:
        summary['cpu_ratio'] = summary['without']['cpu_ms_per_msg'] / summary['with']['cpu_ms_per_msg']
    summary['added_p50_ms'] = summary['with']['p50_ms'] - summary['without']['p50_ms']
    summary['goal_met'] = summary['ratio'] >= GOAL_RATIO
    return summary


def cpu_added_by_process(summary):
    """[(process name, ms per message without, with, added)], the most added first: where the filter's CPU goes."""
    without = summary['without']['cpu_ms_per_msg_by_process']
    with_filter = summary['with']['cpu_ms_per_msg_by_process']
    rows = [(name, without.get(name, 0.0), with_filter.get(name, 0.0), with_filter.get(name, 0.0) - without.get(name, 0.0))
            for name in set(without) | set(with_filter)]
    return sorted(rows, key=lambda row: (-row[3], row[0]))


def report(results, summary):
    print('Debian %s: %d messages per round over %d sessions from outside the host, %d rounds each; load %.1f'
          % (summary['release'], summary['messages'], summary['sessions'], len(results['rounds']['with']),
             results['load']))
    print('%-22s %12s %28s %10s %10s' % ('port 25', 'msg/s', 'rounds', 'p50 ms', 'p95 ms'))
    for mode in ('without', 'with'):
        entry = summary[mode]
        print('%-22s %12.1f %28s %10.1f %10.1f' % (
            'with rspamd' if mode == 'with' else 'without a milter', entry['msg_per_s'],
            ', '.join('%.1f' % rate for rate in entry['rounds_msg_per_s']), entry['p50_ms'], entry['p95_ms']))
    print('throughput with / without: %.2f (goal >= %.1f: %s); p50 added per message: %.1f ms'
          % (summary['ratio'], GOAL_RATIO, 'met' if summary['goal_met'] else 'MISSED', summary['added_p50_ms']))
    if 'cpu_ratio' in summary:
        print('container CPU per message: %.2f ms without, %.2f ms with (without / with: %.2f)'
              % (summary['without']['cpu_ms_per_msg'], summary['with']['cpu_ms_per_msg'], summary['cpu_ratio']))
        print('CPU ms per message by process (exited: processes that ended during the round):')
        print('  %-24s %8s %8s %8s' % ('process', 'without', 'with', 'added'))
        for name, without, with_filter, added in cpu_added_by_process(summary)[:10]:
            print('  %-24s %8.2f %8.2f %8.2f' % (name, without, with_filter, added))
    print('rspamd resident memory after the rounds: %.1f MiB in %d processes'
          % (summary['rspamd_rss_mib'], summary['rspamd_processes']))


if __name__ == '__main__':
    sys.exit(main())
