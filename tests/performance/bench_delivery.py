# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Delivery into growing mailboxes (issue 20), all figures from one run:

  - throughput (msg/s, sent with Postfix's smtp-source on port 25 of the host's loopback, timed
    until the queue is empty) into INBOXes of 0, 10k, 50k and 100k messages, filled two ways:
      files:     written as Maildir files, then `doveadm force-resync` and `doveadm index` (what a
                 restore or our own migration leaves, with its search index brought up to date);
      delivered: delivered one by one over Dovecot's LMTP socket (Dovecot's own save path);
  - per-delivery latency p50/p95: Postfix's LMTP transaction time (connect + transfer, from the
    `delays=` of each delivery's log line);
  - the stock Debian path on a second container: local(8) appending to /var/mail (mbox), empty
    and with the largest size pre-filled;
  - ratios: each size against the empty mailbox, the empty mailbox against stock;
  - a profile at the largest size: one standalone LMTP process delivering 20 messages under
    `strace -c` (bytes read per delivery, syscall time);
  - then, because this machine's speed drifts by tens of percent from one minute to the next,
    `--rounds` interleaved rounds of: stock into an empty mbox, ours into an empty INBOX, ours into
    the largest INBOX of each fill method; the goals are judged on each path's median;
  - CPU per message of each path in those rounds (medians): the container's cgroup total, and
    by process (Dovecot's and Postfix's named apart; processes that ended during a run, such as
    smtp-source and short-lived delivery agents, together as "exited").
Usage: scripts/bench delivery [--release 12|13] [--sizes 0,10000,50000,100000]
       [--delivered-sizes 0,10000] [--messages 500] [--sessions 10] [--rounds 3] [--ours C --stock C]
--ours/--stock reuse converged containers (ours: playbooks/demo.yml; stock: Debian's packages);
without them two fresh containers are made and removed.
"""
from __future__ import absolute_import, division, print_function

import argparse
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from benchlib import (  # noqa: E402  pylint: disable=wrong-import-position
    ROOT, cpu_per_message, cpu_snapshot, cpu_used, docker_exec, inventory, median, playbook, remove_containers,
    start_container,
)
from bench_foundation import install_stock  # noqa: E402  pylint: disable=wrong-import-position

GOALS = {'big_vs_empty': 0.9, 'empty_vs_stock': 1.0}
LMTP_SOCKET = 'unix:/var/spool/postfix/private/dovecot-lmtp'
DELAYS = re.compile(r'to=<([^@>]+)@[^>]*>.*delays=([\d.]+)/([\d.]+)/([\d.]+)/([\d.]+).*status=sent')

# Writes COUNT messages with LINES body lines (80 bytes each) as Maildir files (seen, in cur/)
# into USER's INBOX.
FILL_FILES = r'''
import os, sys, time
user, count, start, lines = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
root = os.path.expanduser('~%s/Maildir' % user)
for sub in ('cur', 'new', 'tmp'):
    os.makedirs(os.path.join(root, sub), exist_ok=True)
body = ('filler text for the delivery benchmark ' * 2 + '\n') * lines
host, now = os.uname()[1], int(time.time())
for i in range(start, start + count):
    data = ('From: fill@example.net\nTo: %s@example.test\nSubject: fill %d\n'
            'Message-ID: <fill.%d.%d@example.net>\n\nword%d\n%s' % (user, i, i, now, i, body)).encode()
    name = '%d.M%dP%d.%s,S=%d:2,S' % (now - 86400, i, os.getpid(), host, len(data))
    with open(os.path.join(root, 'cur', name), 'wb') as stream:
        stream.write(data)
'''

# Appends COUNT messages to /var/mail/USER in mbox format (what local(8) leaves there).
FILL_MBOX = r'''
import sys
user, count = sys.argv[1], int(sys.argv[2])
body = ('filler text for the delivery benchmark ' * 2 + '\n') * 50
with open('/var/mail/%s' % user, 'a') as stream:
    for i in range(count):
        stream.write('From fill@example.net Mon Nov 30 06:00:00 2026\nFrom: fill@example.net\n'
                     'Subject: fill %d\n\nword%d\n%s\n' % (i, i, body))
'''

# One standalone LMTP process delivering N messages under strace -c: where a delivery's time goes.
PROFILE = r'''
user=$1; n=$2; host=$(hostname -f)
{ printf 'LHLO bench\r\n'
  for i in $(seq "$n"); do
    printf 'MAIL FROM:<p@example.net>\r\nRCPT TO:<%s@%s>\r\nDATA\r\nSubject: profile %s\r\n\r\n' "$user" "$host" "$i"
    head -c 4000 /etc/services | sed 's/^\./../; s/$/\r/'; printf '\r\n.\r\n'
  done; printf 'QUIT\r\n'; } > /root/profile.lmtp
start=$(date +%s.%N)
# Dovecot's LMTP server polls its input: a pipe, not a file.
cat /root/profile.lmtp | strace -f -c -o /root/profile.counts /usr/lib/dovecot/lmtp 2>&1 | cat > /root/profile.out
end=$(date +%s.%N)
cat /root/profile.lmtp | strace -f -e trace=pread64,read -o /root/profile.reads /usr/lib/dovecot/lmtp 2>&1 | cat >/dev/null
echo "saved $(grep -c ' Saved' /root/profile.out) seconds $(echo "$end - $start" | bc)"
echo "read_bytes $(grep -oE '= [0-9]+$' /root/profile.reads | awk '{s += $2} END {print s + 0}')"
head -12 /root/profile.counts
'''


def percentile(values, share):
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def wait_queue_empty(container, deadline):
    while time.time() < deadline:
        left = docker_exec(container, 'find /var/spool/postfix/incoming /var/spool/postfix/active '
                                      '/var/spool/postfix/maildrop /var/spool/postfix/deferred '
                                      '-type f | wc -l').strip()
        if left == '0':
            return True
        time.sleep(0.2)
    return False


def delivery_run(container, user, messages, sessions, stock=False):
    """Send `messages` to user on port 25; (msg/s, delivered, LMTP/local(8) seconds per delivery)."""
    docker_exec(container, 'postsuper -d ALL >/dev/null 2>&1 || true')
    since = int(time.time())
    host = docker_exec(container, 'hostname -f').strip()
    started = time.time()
    docker_exec(container, 'smtp-source -c -l 4096 -m %d -s %d -f sender@example.net -t %s@%s '
                           '127.0.0.1:25 >/dev/null' % (messages, sessions, user, host))
    wait_queue_empty(container, started + 1800)
    elapsed = time.time() - started
    agent = 'local' if stock else 'lmtp'
    log = docker_exec(container, 'journalctl --no-pager -q --since @%d -t postfix/%s || true'
                      % (since - 1, agent))
    latencies = []
    for match in DELAYS.finditer(log):
        if match.group(1) == user:
            # c (connection set-up) + d (transmission): the delivery agent's own time.
            latencies.append(float(match.group(4)) + float(match.group(5)))
    return messages / elapsed, len(latencies), latencies


def fill(container, user, method, count, start, lines):
    """Bring user's INBOX from `start` to `start + count` messages; seconds it took."""
    if count <= 0:
        return 0.0
    started = time.time()
    if method == 'files':
        docker_exec(container, "cat > /usr/local/lib/mailroom-bench-fill.py <<'EOF'\n%sEOF\n"
                               "runuser -u %s -- python3 /usr/local/lib/mailroom-bench-fill.py %s %d %d %d && "
                               "doveadm force-resync -u %s INBOX && doveadm index -u %s INBOX"
                    % (FILL_FILES, user, user, count, start, lines, user, user))
    else:
        host = docker_exec(container, 'hostname -f').strip()
        # Then indexed as mailroom-fts-index.timer does with delivered mail.
        docker_exec(container, 'smtp-source -L -c -l 4096 -m %d -s 4 -f fill@example.net -t %s@%s %s '
                               '>/dev/null && doveadm index -u %s INBOX' % (count, user, host, LMTP_SOCKET, user))
    return time.time() - started


def make_user(container, name):
    docker_exec(container, 'id %s >/dev/null 2>&1 || useradd -m -s /usr/sbin/nologin %s' % (name, name))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--release', default='12', choices=['12', '13'])
    parser.add_argument('--sizes', default='0,10000,50000,100000')
    parser.add_argument('--delivered-sizes', default='0,10000',
                        help='sizes also reached by one-by-one LMTP delivery (slow beyond ~10k)')
    parser.add_argument('--messages', type=int, default=500, help='messages per measurement')
    parser.add_argument('--fill-lines', type=int, default=50,
                        help='body lines of the messages written as files (50: ~4 KiB; fewer index faster)')
    parser.add_argument('--sessions', type=int, default=10)
    parser.add_argument('--rounds', type=int, default=3, help='interleaved rounds for the goals')
    parser.add_argument('--ours', help='reuse this converged container')
    parser.add_argument('--stock', help='reuse this container with the stock packages')
    parser.add_argument('--keep', action='store_true', help='keep fresh containers')
    args = parser.parse_args()
    sizes = sorted(int(size) for size in args.sizes.split(','))
    delivered_sizes = sorted(int(size) for size in args.delivered_sizes.split(',') if size)

    ours = args.ours or 'mailroom-bench-delivery-ours'
    stock = args.stock or 'mailroom-bench-delivery-stock'
    fresh = [name for name, given in ((ours, args.ours), (stock, args.stock)) if not given]
    hosts = None
    results = {'release': args.release, 'messages': args.messages, 'sessions': args.sessions,
               'ours': {}, 'stock': {}, 'profile': {}}
    try:
        if not args.ours:
            start_container(ours, args.release)
            hosts = inventory(ours)
            playbook(hosts, os.path.join(ROOT, 'playbooks', 'demo.yml'))
        if not args.stock:
            start_container(stock, args.release)
            install_stock(stock)
        load = open('/proc/loadavg').read().split()[0]
        results['load_at_start'] = float(load)
        docker_exec(ours, 'command -v strace >/dev/null && command -v bc >/dev/null || '
                          'apt-get install -y -q strace bc >/dev/null')

        # Stock: empty, then pre-filled to the largest size.
        make_user(stock, 'bench')
        docker_exec(stock, ': > /var/mail/bench; chown bench:mail /var/mail/bench')
        rate, done, lat = delivery_run(stock, 'bench', args.messages, args.sessions, stock=True)
        results['stock'][0] = {'msg_per_s': rate, 'delivered': done,
                               'p50_ms': 1000 * percentile(lat, 0.5), 'p95_ms': 1000 * percentile(lat, 0.95)}
        docker_exec(stock, "cat > /root/fill_mbox.py <<'EOF'\n%sEOF\npython3 /root/fill_mbox.py bench %d"
                    % (FILL_MBOX, sizes[-1]))
        rate, done, lat = delivery_run(stock, 'bench', args.messages, args.sessions, stock=True)
        results['stock'][sizes[-1]] = {'msg_per_s': rate, 'delivered': done,
                                       'p50_ms': 1000 * percentile(lat, 0.5),
                                       'p95_ms': 1000 * percentile(lat, 0.95)}

        for method, method_sizes in (('files', sizes), ('delivered', delivered_sizes)):
            user = 'fill' + method[:5]
            make_user(ours, user)
            time.sleep(3)  # the recipient table follows /etc/passwd through a path unit
            results['ours'][method] = {}
            count = 0
            for size in method_sizes:
                fill_seconds = fill(ours, user, method, size - count, count, args.fill_lines)
                count = max(count, size)
                rate, done, lat = delivery_run(ours, user, args.messages, args.sessions)
                count += args.messages
                results['ours'][method][size] = {
                    'msg_per_s': rate, 'delivered': done, 'fill_seconds': fill_seconds,
                    'p50_ms': 1000 * percentile(lat, 0.5), 'p95_ms': 1000 * percentile(lat, 0.95)}
                print('  ours %-9s %6d msgs: %6.1f msg/s  p50 %6.1f ms  p95 %6.1f ms  (%d logged, fill %.0f s)'
                      % (method, size, rate, results['ours'][method][size]['p50_ms'],
                         results['ours'][method][size]['p95_ms'], done, fill_seconds))
                sys.stdout.flush()
            if method == 'files':
                output = docker_exec(ours, "cat > /root/profile.sh <<'EOF'\n%sEOF\nbash /root/profile.sh %s 20"
                                     % (PROFILE, user))
                results['profile'] = {'size': count, 'text': output}
        results['rounds'], cpu = interleaved_rounds(ours, stock, results['ours'], args)
        results['cpu_per_message'] = cpu_per_message(cpu, args.messages)
        results['load_at_end'] = float(open('/proc/loadavg').read().split()[0])
    finally:
        if not args.keep:
            remove_containers(*fresh)
        if hosts:
            os.unlink(hosts)

    report(results, sizes)
    print(json.dumps(results))
    return 0


def interleaved_rounds(ours, stock, filled, args):
    """{path: [msg/s per round]}: each path measured once per round, in turn."""
    make_user(stock, 'benchempty')
    docker_exec(stock, ': > /var/mail/benchempty; chown benchempty:mail /var/mail/benchempty')
    make_user(ours, 'empty')
    time.sleep(3)  # the recipient table follows /etc/passwd through a path unit
    paths = [('stock, empty', stock, 'benchempty', True), ('ours, empty', ours, 'empty', False)]
    for method, by_size in filled.items():
        if by_size:
            paths.append(('ours %s, %d' % (method, max(by_size)), ours, 'fill' + method[:5], False))
    rounds = dict((name, []) for name, _container, _user, _stock in paths)
    cpu = {}
    for number in range(args.rounds):
        for name, container, user, is_stock in paths:
            before = cpu_snapshot(container)
            rate = delivery_run(container, user, args.messages, args.sessions, stock=is_stock)[0]
            cpu.setdefault(name, []).append(cpu_used(before, cpu_snapshot(container)))
            rounds[name].append(rate)
            print('  round %d  %-26s %6.1f msg/s' % (number + 1, name, rate))
            sys.stdout.flush()
    return rounds, cpu


def report(results, sizes):
    stock0 = results['stock'][0]['msg_per_s']
    print('Debian %s: %d messages of 4 KiB over %d SMTP sessions per measurement; load %.1f -> %.1f'
          % (results['release'], results['messages'], results['sessions'],
             results['load_at_start'], results['load_at_end']))
    print('  %-32s %9s %9s %9s %10s %10s' % ('path', 'msg/s', 'p50 ms', 'p95 ms', 'vs empty', 'vs stock'))
    for size, figures in sorted(results['stock'].items()):
        print('  %-32s %9.1f %9.1f %9.1f %10.2f %10s' % (
            'stock local(8) -> mbox, %d' % size, figures['msg_per_s'], figures['p50_ms'],
            figures['p95_ms'], figures['msg_per_s'] / stock0, ''))
    for method, by_size in results['ours'].items():
        empty = by_size.get(0, {}).get('msg_per_s')
        for size, figures in sorted(by_size.items()):
            print('  %-32s %9.1f %9.1f %9.1f %10s %10.2f' % (
                'ours %s, %d' % (method, size), figures['msg_per_s'], figures['p50_ms'],
                figures['p95_ms'], '%.2f' % (figures['msg_per_s'] / empty) if empty else '-',
                figures['msg_per_s'] / stock0))
    files = results['ours'].get('files', {})
    if 0 in files and sizes[-1] in files:
        big = files[sizes[-1]]['msg_per_s'] / files[0]['msg_per_s']
        print('  goal: %d vs empty %.2f (>= %.1f: %s); empty vs stock %.2f (>= %.1f: %s)' % (
            sizes[-1], big, GOALS['big_vs_empty'], 'met' if big >= GOALS['big_vs_empty'] else 'MISSED',
            files[0]['msg_per_s'] / stock0, GOALS['empty_vs_stock'],
            'met' if files[0]['msg_per_s'] / stock0 >= GOALS['empty_vs_stock'] else 'MISSED'))
    rounds = results.get('rounds')
    if rounds and rounds.get('ours, empty'):
        print('  interleaved, %d rounds (median, all rounds):' % len(rounds['ours, empty']))
        for name, rates in rounds.items():
            print('    %-28s %7.1f msg/s   %s' % (name, median(rates), ' '.join('%.1f' % rate for rate in rates)))
        empty = median(rounds['ours, empty'])
        for name, rates in rounds.items():
            if name.startswith('ours') and name != 'ours, empty':
                ratio = median(rates) / empty
                print('  goal (interleaved): %s vs empty %.2f (>= %.1f: %s)' % (
                    name, ratio, GOALS['big_vs_empty'], 'met' if ratio >= GOALS['big_vs_empty'] else 'MISSED'))
        ratio = empty / median(rounds['stock, empty'])
        print('  goal (interleaved): ours empty vs stock empty %.2f (>= %.1f: %s)' % (
            ratio, GOALS['empty_vs_stock'], 'met' if ratio >= GOALS['empty_vs_stock'] else 'MISSED'))
    for name, figures in sorted(results.get('cpu_per_message', {}).items()):
        if figures['total_ms'] is None:
            print('  CPU per message, %s: no cgroup CPU figures on this machine' % name)
            continue
        top = sorted(figures['by_process_ms'].items(), key=lambda item: -item[1])[:8]
        print('  CPU per message, %-24s %5.2f ms: %s' % (
            name, figures['total_ms'], ', '.join('%s %.2f' % (process, ms) for process, ms in top)))
    if results['profile']:
        print('  profile at %d messages (one LMTP process, 20 deliveries):' % results['profile']['size'])
        for line in results['profile']['text'].splitlines():
            print('    ' + line)


if __name__ == '__main__':
    sys.exit(main())
