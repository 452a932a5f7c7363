# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The submission policy checks (issue 11): what the milter adds per message, and its memory
while a 50 MB message passes, all from one run on one mail host:

  - latency per small message (2 KiB, one text part) submitted with the full policy (sender name
    from the account, OpenPGP and S/MIME refused) on the webmail's loopback listener, against the
    same submission on a twin listener without the milter (added for the run, removed after);
    messages alternate between the two, p50/p95 of each and of the difference:
      transaction: MAIL..end of DATA on an open, authenticated connection (what the milter adds
                   to each message);
      session:     connect, EHLO, (AUTH, not timed), one message, QUIT (a webmail sends this way:
                   the milter's per-connection set-up counts too; Dovecot's password check is
                   left out, it varies by +-100 ms here and is the same either way);
  - the milter's resident memory (VmRSS, sampled every 20 ms) while messages of ~50 MB pass:
    one with a big base64 attachment, one with a big base64 text part (decoded as it streams),
    against its memory after the small messages; and their submission time with/without (one
    message each, so a rough figure).
The client runs inside the host (loopback), so the network and TLS add nothing to either side.
Usage: scripts/bench submission [--release 12|13] [--messages 300] [--host CONTAINER] [--keep]
--host reuses a converged container (mta and imap roles); without it a fresh one is made.
"""
from __future__ import absolute_import, division, print_function

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from benchlib import (  # noqa: E402  pylint: disable=wrong-import-position
    docker_exec, fresh_host, mail_host_converge, percentile, remove_containers, run_python,
)

GOALS = {'added_p50_ms': 3.0, 'rss_growth_mib': 10.0}
LISTENER = '127.0.0.1:10587'
TWIN = '127.0.0.1:10588'
POLICY = '{"sender_name": "account", "refuse_encrypted": ["openpgp", "smime"]}'
USER, PASSWORD = 'bench', 'bench-Secret-1'

CONVERGE = mail_host_converge('submission')

# Runs inside the host: alternating submissions; prints the latencies as JSON.
CLIENT = r'''
import json, smtplib, sys, time
with_port, without_port, count, user, password = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
body = ('A line of the benchmark message, about sixty characters long.\r\n' * 32)
def message(index):
    return ('From: "Any Name" <%s@example.test>\r\nTo: %s@example.test\r\nSubject: bench %d\r\n'
            'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n%s' % (user, user, index, body)).encode()
def connect(port, login=True):
    client = smtplib.SMTP('127.0.0.1', port, timeout=60)
    client.ehlo()
    if login:
        client.login(user, password)
    return client
result = {'transaction': {'with': [], 'without': []}, 'session': {'with': [], 'without': []}}
clients = {'with': connect(with_port), 'without': connect(without_port)}
for index in range(count):
    for kind in (('with', 'without') if index % 2 else ('without', 'with')):
        started = time.perf_counter()
        clients[kind].sendmail('%s@example.test' % user, ['%s@example.test' % user], message(index))
        result['transaction'][kind].append(time.perf_counter() - started)
for client in clients.values():
    client.quit()
ports = {'with': with_port, 'without': without_port}
for index in range(count):
    for kind in (('with', 'without') if index % 2 else ('without', 'with')):
        # AUTH is left out of the time: Dovecot's password hash check alone varies by +-100 ms
        # on these hosts, and is the same with or without the milter.
        started = time.perf_counter()
        client = connect(ports[kind], login=False)
        elapsed = time.perf_counter() - started
        client.login(user, password)
        started = time.perf_counter()
        client.sendmail('%s@example.test' % user, ['%s@example.test' % user], message(index))
        client.quit()
        result['session'][kind].append(elapsed + time.perf_counter() - started)
print(json.dumps(result))
'''

# Runs inside the host: one ~50 MB message of the given shape; prints the seconds it took.
BIG = r'''
import base64, os, smtplib, sys, time
port, shape, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
raw = os.urandom(35 * 1024 * 1024) if shape == 'attachment' else b'plain text of a very long message\r\n' * (35 * 1024 * 1024 // 35)
encoded = base64.encodebytes(raw).replace(b'\n', b'\r\n')
part = ('Content-Type: application/octet-stream; name="big.bin"' if shape == 'attachment'
        else 'Content-Type: text/plain; charset=us-ascii').encode()
message = (('From: %s@example.test\r\nTo: %s@example.test\r\nSubject: big %s\r\nMIME-Version: 1.0\r\n'
            'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n'
            '--b\r\n' % (user, user, shape)).encode() + part + b'\r\nContent-Transfer-Encoding: base64\r\n\r\n'
           + encoded + b'--b--\r\n')
client = smtplib.SMTP('127.0.0.1', port, timeout=600)
client.login(user, password)
started = time.perf_counter()
client.sendmail('%s@example.test' % user, ['%s@example.test' % user], message)
print('%.3f %d' % (time.perf_counter() - started, len(message)))
client.quit()
'''

SAMPLER = r'''
pid=$(systemctl show -p MainPID --value mailroom-submission-policy)
while kill -0 "$pid" 2>/dev/null; do
    awk '/^VmRSS/ {print $2}' /proc/$pid/status; sleep 0.02
done
'''


def add_twin(container):
    """A listener like the webmail's, without the milter."""
    entry = docker_exec(container, 'postconf -M %s/inet' % LISTENER).strip()
    if 'smtpd_milters' not in entry:
        raise SystemExit('%s has no milter: apply the mta role of this branch first' % LISTENER)
    twin = entry.replace(LISTENER, TWIN, 1).replace('-o smtpd_milters=$mailroom_submission_milters', '')
    docker_exec(container, "postconf -MX %s/inet; echo '%s' >> /etc/postfix/master.cf && postfix reload && sleep 1"
                % (TWIN, twin.replace("'", "'\\''")))


def remove_twin(container):
    docker_exec(container, 'postconf -MX %s/inet && postfix reload' % TWIN)


def rss_kib(container):
    return int(docker_exec(container, "awk '/^VmRSS/ {print $2}' /proc/$(systemctl show -p MainPID --value "
                                      "mailroom-submission-policy)/status").strip())


def big_message(container, shape):
    """(seconds with, seconds without, bytes, peak RSS KiB while it passed)."""
    docker_exec(container, "cat > /root/rss.sh <<'EOF'\n%sEOF\n(bash /root/rss.sh > /root/rss.log 2>&1 &)" % SAMPLER)
    try:
        seconds, size = run_python(container, BIG, 10587, shape, USER, PASSWORD).split()
    finally:
        docker_exec(container, 'pkill -f "^bash /root/rss.sh" || true')
    samples = [int(line) for line in docker_exec(container, 'cat /root/rss.log').split() if line.isdigit()]
    without = run_python(container, BIG, 10588, shape, USER, PASSWORD).split()[0]
    return float(seconds), float(without), int(size), max(samples or [0]), len(samples)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--release', default='12', choices=['12', '13'])
    parser.add_argument('--messages', type=int, default=300, help='small messages each way')
    parser.add_argument('--host', help='reuse this converged container')
    parser.add_argument('--keep', action='store_true', help='keep a fresh container')
    args = parser.parse_args()
    container = args.host or 'mailroom-bench-submission'
    hosts = None
    results = {'release': args.release, 'messages': args.messages}
    try:
        if not args.host:
            hosts = fresh_host(container, args.release, CONVERGE, USER)
        docker_exec(container, 'id %s >/dev/null 2>&1 || useradd -m -c "Bench Mark" -s /usr/sbin/nologin %s; '
                               'echo "%s:%s" | chpasswd' % (USER, USER, USER, PASSWORD))
        docker_exec(container, "mkdir -p /etc/mailroom/submission-policy.d && "
                               "printf '%%s\\n' '%s' > /etc/mailroom/submission-policy.d/bench.json" % POLICY)
        add_twin(container)
        try:
            results['rss_start_kib'] = rss_kib(container)
            results['latency'] = json.loads(run_python(container, CLIENT, 10587, 10588, args.messages, USER,
                                                       PASSWORD).strip().splitlines()[-1])
            results['rss_after_small_kib'] = rss_kib(container)
            results['big'] = {}
            for shape in ('attachment', 'text'):
                seconds, without, size, peak, samples = big_message(container, shape)
                results['big'][shape] = {'seconds_with': seconds, 'seconds_without': without, 'bytes': size,
                                         'rss_peak_kib': peak, 'samples': samples}
            results['load'] = float(open('/proc/loadavg').read().split()[0])
        finally:
            remove_twin(container)
            docker_exec(container, 'rm -f /etc/mailroom/submission-policy.d/bench.json')
    finally:
        if not args.host and not args.keep:
            remove_containers(container)
        if hosts:
            os.unlink(hosts)
    report(results)
    print(json.dumps({key: value for key, value in results.items() if key != 'latency'}))
    return 0


def report(results):
    print('Debian %s: %d small messages each way, alternating, loopback; load %.1f'
          % (results['release'], results['messages'], results['load']))
    print('  %-12s %-9s %9s %9s' % ('', '', 'p50 ms', 'p95 ms'))
    added = {}
    for what, figures in results['latency'].items():
        paired = [a - b for a, b in zip(figures['with'], figures['without'])]
        for kind in ('without', 'with'):
            print('  %-12s %-9s %9.2f %9.2f' % (
                what, kind, 1000 * percentile(figures[kind], 0.5), 1000 * percentile(figures[kind], 0.95)))
        added[what] = 1000 * (percentile(figures['with'], 0.5) - percentile(figures['without'], 0.5))
        print('  %-12s %-9s %9.2f %9.2f   (p50 of paired differences %.2f ms; ratio of p50 %.2f)' % (
            what, 'added', added[what],
            1000 * (percentile(figures['with'], 0.95) - percentile(figures['without'], 0.95)),
            1000 * percentile(paired, 0.5), percentile(figures['with'], 0.5) / percentile(figures['without'], 0.5)))
    print('  milter RSS: %.1f MiB at start, %.1f MiB after the small messages'
          % (results['rss_start_kib'] / 1024.0, results['rss_after_small_kib'] / 1024.0))
    growth = 0.0
    for shape, figures in results['big'].items():
        growth = max(growth, (figures['rss_peak_kib'] - results['rss_after_small_kib']) / 1024.0)
        print('  %.1f MB message (%s): RSS peak %.1f MiB (%d samples); %.2f s with the milter, %.2f s without '
              '(ratio %.2f)' % (figures['bytes'] / 1e6, shape, figures['rss_peak_kib'] / 1024.0, figures['samples'],
                                figures['seconds_with'], figures['seconds_without'],
                                figures['seconds_with'] / figures['seconds_without']))
    print('  goal: added p50 per message %.2f ms (<= %.1f: %s); RSS growth for 50 MB %.1f MiB (<= %.0f: %s)' % (
        added['transaction'], GOALS['added_p50_ms'], 'met' if added['transaction'] <= GOALS['added_p50_ms'] else 'MISSED',
        growth, GOALS['rss_growth_mib'], 'met' if growth <= GOALS['rss_growth_mib'] else 'MISSED'))


if __name__ == '__main__':
    sys.exit(main())
