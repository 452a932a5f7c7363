# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared links on a live mail host (issue 12): what the converter adds to a submission, and its
memory, from one run on one host.

Messages of 1 KB (under the limit), 5 MB and 100 MB (one attachment over the limit, converted)
are submitted on the webmail's loopback listener (the converter after the submission policy
milter) and, alternating, on a twin listener with the policy milter only (added for the run,
removed after); the sender's domain has a 1 MiB limit. The client runs inside the host (no
network, no TLS). Printed: p50 per size with and without, the time added (1 KB) and the ratio
(100 MB), and the converter's peak resident memory (VmHWM, the milter restarted first) while it
converts one 200 MB attachment (the submission limit raised for it).
Goals: <= 2 ms added under the limit; <= 2x the unconverted time for 100 MB; peak RSS <= 50 MB
for a 200 MB attachment.
Usage: scripts/bench shared_links_submission [--release 12|13] [--rounds 3] [--small 200] [--host CONTAINER] [--keep]
--host reuses a container converged with the mta, imap and shared_links roles.
"""
from __future__ import absolute_import, division, print_function

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from benchlib import (  # noqa: E402  pylint: disable=wrong-import-position
    docker_exec, fresh_host, percentile, remove_containers, run_python,
)

GOALS = {'added_small_ms': 2.0, 'ratio_100m': 2.0, 'peak_rss_mib_200m': 50.0}
LISTENER = '127.0.0.1:10587'
TWIN = '127.0.0.1:10589'
USER, PASSWORD = 'bench', 'bench-Secret-1'
SETTINGS = ('{"enabled": true, "domain_limits": {"example.test": 1048576}, "link_lifetime_days": 30, '
            '"base_url": "https://mail.example.test"}')

CONVERGE = '''
- name: The mail host of the shared links benchmark
  hosts: mailservers
  become: true
  roles:
    - role: mailroom.server.mta
    - role: mailroom.server.imap
    - role: mailroom.server.shared_links
'''

# Runs inside the host: messages of each size, alternating between the two listeners, on open
# authenticated connections; prints the seconds of each as JSON.
CLIENT = r'''
import base64, json, os, smtplib, sys, time
with_port, without_port, user, password, rounds, small_count = sys.argv[1:7]
rounds, small_count = int(rounds), int(small_count)
def message(size, index):
    head = ('From: %s@example.test\r\nTo: %s@example.test\r\nSubject: bench %d %d\r\nMIME-Version: 1.0\r\n'
            % (user, user, size, index))
    if size <= 4096:
        return (head + 'Content-Type: text/plain\r\n\r\n' + 'x' * (size - len(head) - 30) + '\r\n').encode()
    encoded = base64.encodebytes(os.urandom(size)).replace(b'\n', b'\r\n')
    return (head + 'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n'
            'hi\r\n--b\r\nContent-Type: application/octet-stream; name="big.bin"\r\n'
            'Content-Disposition: attachment; filename="big.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
            ).encode() + encoded + b'--b--\r\n'
def connect(port):
    client = smtplib.SMTP('127.0.0.1', port, timeout=900)
    client.ehlo()
    client.login(user, password)
    return client
clients = {'with': connect(int(with_port)), 'without': connect(int(without_port))}
result = {}
for size, count in ((1000, small_count), (5 * 1000 * 1000, rounds), (100 * 1000 * 1000, rounds)):
    times = result[str(size)] = {'with': [], 'without': []}
    for index in range(count):
        data = message(size, index)
        for kind in (('with', 'without') if index % 2 else ('without', 'with')):
            started = time.perf_counter()
            clients[kind].sendmail('%s@example.test' % user, ['%s@example.test' % user], data)
            times[kind].append(time.perf_counter() - started)
for client in clients.values():
    client.quit()
print(json.dumps(result))
'''

BIG = r'''
import base64, os, smtplib, sys, time
port, user, password, size = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
encoded = base64.encodebytes(os.urandom(size)).replace(b'\n', b'\r\n')
data = (('From: %s@example.test\r\nTo: %s@example.test\r\nSubject: big\r\nMIME-Version: 1.0\r\n'
         'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: application/octet-stream; '
         'name="big.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n' % (user, user)).encode() + encoded + b'--b--\r\n')
client = smtplib.SMTP('127.0.0.1', port, timeout=900)
client.login(user, password)
started = time.perf_counter()
client.sendmail('%s@example.test' % user, ['%s@example.test' % user], data)
print('%.3f %d' % (time.perf_counter() - started, len(data)))
client.quit()
'''


def add_twin(container):
    """A listener like the webmail's whose milters are the submission policy's only."""
    entry = docker_exec(container, 'postconf -M %s/inet' % LISTENER).strip()
    if '$mailroom_submission_milters' not in entry or 'mailroom-links' not in docker_exec(
            container, 'postconf -h mailroom_content_milters'):
        raise SystemExit('%s has no shared links milter: apply the shared_links role of this branch first' % LISTENER)
    policy_only = docker_exec(container, 'postconf -h mailroom_submission_milters').replace(
        '$mailroom_content_milters', '').strip()
    twin = entry.replace(LISTENER, TWIN, 1).replace('$mailroom_submission_milters', '$mailroom_bench_milters')
    docker_exec(container, "postconf -e 'mailroom_bench_milters=%s'; postconf -MX %s/inet; echo '%s' >> "
                           "/etc/postfix/master.cf && postfix reload && sleep 1"
                % (policy_only, TWIN, twin.replace("'", "'\\''")))


def remove_twin(container):
    docker_exec(container, 'postconf -MX %s/inet; postconf -X mailroom_bench_milters; postfix reload' % TWIN)


def peak_rss_200m(container):
    """(seconds, bytes, VmHWM KiB) of one 200 MB attachment converted by a freshly started milter."""
    limit = docker_exec(container, 'postconf -h mailroom_submission_size_limit').strip()
    docker_exec(container, "postconf -e mailroom_submission_size_limit=400000000 && postfix reload && "
                           "systemctl restart mailroom-shared-links && sleep 2")
    try:
        seconds, size = run_python(container, BIG, 10587, USER, PASSWORD, 200 * 1000 * 1000).split()
        peak = int(docker_exec(container, "awk '/^VmHWM/ {print $2}' /proc/$(systemctl show -p MainPID --value "
                                          "mailroom-shared-links)/status").strip())
    finally:
        docker_exec(container, 'postconf -e mailroom_submission_size_limit=%s && postfix reload' % limit)
    return float(seconds), int(size), peak


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--release', default='13', choices=['12', '13'])
    parser.add_argument('--rounds', type=int, default=3, help='5 MB and 100 MB messages each way')
    parser.add_argument('--small', type=int, default=200, help='1 KB messages each way')
    parser.add_argument('--host', help='reuse this converged container')
    parser.add_argument('--keep', action='store_true', help='keep a fresh container')
    args = parser.parse_args()
    container = args.host or 'mailroom-bench-shared-links'
    hosts = None
    results = {'release': args.release}
    try:
        if not args.host:
            hosts = fresh_host(container, args.release, CONVERGE, USER)
        docker_exec(container, 'id %s >/dev/null 2>&1 || useradd -m -s /usr/sbin/nologin %s; echo "%s:%s" | chpasswd'
                    % (USER, USER, USER, PASSWORD))
        saved = docker_exec(container, 'cat /etc/mailroom/shared-links.json')
        docker_exec(container, "printf '%%s\\n' '%s' > /etc/mailroom/shared-links.json" % SETTINGS)
        add_twin(container)
        try:
            results['times'] = json.loads(run_python(container, CLIENT, 10587, 10589, USER, PASSWORD, args.rounds,
                                                     args.small).strip().splitlines()[-1])
            results['seconds_200m'], results['bytes_200m'], results['peak_rss_kib'] = peak_rss_200m(container)
            results['load'] = float(open('/proc/loadavg').read().split()[0])
        finally:
            remove_twin(container)
            docker_exec(container, "cat > /etc/mailroom/shared-links.json <<'EOF'\n%sEOF" % saved)
            docker_exec(container, 'rm -rf /home/%s/MailAttachments/* /home/%s/Maildir/new/* /home/%s/Maildir/cur/*'
                        % (USER, USER, USER))
    finally:
        if not args.host and not args.keep:
            remove_containers(container)
        if hosts:
            os.unlink(hosts)
    report(results)
    print(json.dumps({key: value for key, value in results.items() if key != 'times'}))
    return 0


def report(results):
    print('Debian %s, loopback, listeners alternating; load %.1f' % (results['release'], results['load']))
    print('  %-8s %6s %12s %12s %10s' % ('message', 'each', 'p50 without', 'p50 with', 'added'))
    figures = {}
    for size, times in results['times'].items():
        without, with_ = percentile(times['without'], 0.5), percentile(times['with'], 0.5)
        figures[size] = (without, with_)
        print('  %-8s %6d %10.2f ms %10.2f ms %8.2f ms  (ratio %.2f)' % (
            {'1000': '1 KB', '5000000': '5 MB', '100000000': '100 MB'}[size], len(times['with']),
            1000 * without, 1000 * with_, 1000 * (with_ - without), with_ / without))
    added = 1000 * (figures['1000'][1] - figures['1000'][0])
    ratio = figures['100000000'][1] / figures['100000000'][0]
    peak = results['peak_rss_kib'] / 1024.0
    print('  200 MB attachment (%.0f MB message) converted in %.2f s; converter peak RSS %.1f MiB'
          % (results['bytes_200m'] / 1e6, results['seconds_200m'], peak))
    print('  goals: added under the limit %.2f ms (<= %.0f: %s); 100 MB with/without %.2f (<= %.0f: %s); '
          'peak RSS %.1f MiB (<= %.0f: %s)' % (
              added, GOALS['added_small_ms'], 'met' if added <= GOALS['added_small_ms'] else 'MISSED',
              ratio, GOALS['ratio_100m'], 'met' if ratio <= GOALS['ratio_100m'] else 'MISSED',
              peak, GOALS['peak_rss_mib_200m'], 'met' if peak <= GOALS['peak_rss_mib_200m'] else 'MISSED'))


if __name__ == '__main__':
    sys.exit(main())
