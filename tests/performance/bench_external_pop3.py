# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fetching from external POP3 servers (issue 13): how fast the fetcher brings mail in, against
a plain POP3 download in the same run, and what users' timers cost while nothing is new.

Two containers on a network of their own: a mail host converged with the mta, imap and
external_pop3 roles, and an external Dovecot (POP3S, a test CA the mail host trusts) whose user
holds N messages of 4 KiB. Measured on the mail host, alternating over --rounds:
  * plain: CPython's poplib over the same TLS, each message written to a Maildir file (no
    Dovecot, no journal, no fsync) - the floor any POP3 fetcher stands on;
  * fetcher: one run of `mailroom-external-pop3 fetch bench` (what the user's unit runs) on an
    account with nothing fetched yet (its journal and the INBOX emptied between rounds): TLS,
    UIDL, the journal, batches saved by Dovecot (IMAP MULTIAPPEND).
Then the idle cost: one run with nothing new (the N messages kept on the server, all fetched),
CPU time of the run and its children (user + system, the Python start included),
times the runs per hour at the policy's 10-minute interval, and for 1,000 users.
Goals: fetcher >= 0.5x the plain download (messages per second); idle <= 1 CPU-second per user
per hour at a 10-minute interval.
Usage: scripts/bench external_pop3 [--release 12|13] [--messages 5000] [--rounds 3] [--keep]
"""
from __future__ import absolute_import, division, print_function

import argparse
import json
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from benchlib import (  # noqa: E402  pylint: disable=wrong-import-position
    ROOT, docker_exec, fresh_host, remove_containers, run, run_python, start_container,
)

GOALS = {'ratio': 0.5, 'idle_cpu_s_per_user_hour': 1.0}
HOST, EXTERNAL, NETWORK = 'mailroom-bench-pop3-host', 'mailroom-bench-pop3-external', 'mailroom-bench-pop3'
USER, EXTERNAL_USER, EXTERNAL_PASSWORD = 'bench', 'remote', 'Remote-Pass-1'
RUNS_PER_HOUR = 6

CONVERGE = '''
- name: The mail host of the external POP3 benchmark
  hosts: mailservers
  become: true
  roles:
    - role: mailroom.server.mta
    - role: mailroom.server.imap
    - role: mailroom.server.external_pop3
'''

# Runs on the external host: N messages of 4 KiB straight into the user's Maildir.
FILL = r'''
import os, sys
count, home = int(sys.argv[1]), sys.argv[2]
new = os.path.join(home, 'Maildir', 'new')
for sub in ('cur', 'new', 'tmp'):
    os.makedirs(os.path.join(home, 'Maildir', sub), exist_ok=True)
line = ('x' * 76 + '\r\n').encode()
body = line * ((4096 - 200) // len(line))
for n in range(count):
    head = ('From: sender@elsewhere.test\r\nTo: remote@external.test\r\nSubject: bench %d\r\n'
            'Message-ID: <bench%d@elsewhere.test>\r\n\r\n' % (n, n)).encode()
    with open(os.path.join(new, '%d.M%dP1.external' % (1700000000 + n, n)), 'wb') as out:
        out.write(head + body)
'''

# Runs on the mail host: the plain download, seconds on stdout.
PLAIN = r'''
import os, poplib, ssl, sys, time
server, login, password, target = sys.argv[1:5]
poplib._MAXLINE = 16 * 1024 * 1024
started = time.monotonic()
conn = poplib.POP3_SSL(server, 995, context=ssl.create_default_context())
conn.user(login)
conn.pass_(password)
count = len(conn.uidl()[1])
for number in range(1, count + 1):
    data = b'\r\n'.join(conn.retr(number)[1]) + b'\r\n'
    name = '%d.%d.plain' % (time.time_ns(), number)
    with open(os.path.join(target, 'tmp', name), 'wb') as out:
        out.write(data)
    os.rename(os.path.join(target, 'tmp', name), os.path.join(target, 'new', name))
conn.quit()
print(time.monotonic() - started, count)
'''

EXTERNAL_SETUP = '''
set -euo pipefail
id popmail >/dev/null 2>&1 || useradd -r -d /srv/external -s /usr/sbin/nologin popmail
mkdir -p /srv/external
cd /etc/dovecot
openssl req -x509 -newkey rsa:2048 -nodes -keyout external-ca.key -out external-ca.crt -days 30 \
  -subj "/CN=bench CA" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -addext "basicConstraints=critical,CA:true" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout external.key -out external.csr -subj "/CN={name}" 2>/dev/null
printf 'subjectAltName=DNS:{name}\\nextendedKeyUsage=serverAuth\\n' > external.ext
openssl x509 -req -in external.csr -CA external-ca.crt -CAkey external-ca.key -CAcreateserial \
  -out external.crt -days 30 -extfile external.ext 2>/dev/null
chown root:dovecot external.key && chmod 0640 external.key
printf '{user}:{{PLAIN}}{password}\\n' > external-users
systemctl restart dovecot
'''


# Runs on the mail host: one fetch run as the unit runs it; wall and CPU seconds (user + system of
# the run and its children: doveadm, Dovecot's IMAP process) on stdout.
TIMED_RUN = r'''
import resource, subprocess, sys, time
started = time.monotonic()
subprocess.run(['/usr/bin/python3', '/usr/local/lib/mailroom/mailroom-external-pop3', 'fetch', sys.argv[1]],
               check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(time.monotonic() - started, usage.ru_utime + usage.ru_stime)
'''


def timed_run():
    """One fetch run for the benchmark's user: (wall seconds, CPU seconds)."""
    wall, cpu = run_python(HOST, TIMED_RUN, USER).split()
    return float(wall), float(cpu)


def inbox_count():
    answer = docker_exec(HOST, 'doveadm mailbox status -u %s messages INBOX' % USER).strip()
    return int(answer.split('=', 1)[1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--release', default='13', choices=('12', '13'))
    parser.add_argument('--messages', type=int, default=5000)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--keep', action='store_true', help='leave the containers running')
    args = parser.parse_args()

    subprocess.run(['docker', 'network', 'create', NETWORK], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=False)
    try:
        hosts = fresh_host(HOST, args.release, CONVERGE, USER)
        os.unlink(hosts)
        docker_exec(HOST, 'id %s >/dev/null 2>&1 || useradd -m -s /usr/sbin/nologin %s' % (USER, USER))
        start_container(EXTERNAL, '13-pkgs', hostname='pop3.external.test')
        for name in (HOST, EXTERNAL):
            run(['docker', 'network', 'connect', NETWORK, name])
        run(['docker', 'cp', os.path.join(ROOT, 'tests', 'integration', 'targets', 'external_pop3', 'files',
                                          'external-dovecot.conf'), EXTERNAL + ':/etc/dovecot/dovecot.conf'])
        docker_exec(EXTERNAL, EXTERNAL_SETUP.format(name=EXTERNAL, user=EXTERNAL_USER, password=EXTERNAL_PASSWORD))
        run_python(EXTERNAL, FILL, args.messages, '/srv/external/' + EXTERNAL_USER)
        docker_exec(EXTERNAL, 'chown -R popmail:popmail /srv/external')
        ca = docker_exec(EXTERNAL, 'cat /etc/dovecot/external-ca.crt')
        docker_exec(HOST, "cat > /usr/local/share/ca-certificates/bench-external.crt <<'EOF'\n%sEOF\n"
                          'update-ca-certificates >/dev/null 2>&1' % ca)
        docker_exec(HOST, "printf '%s' > /etc/mailroom/external-pop3.json && "
                          'python3 /usr/local/lib/mailroom/mailroom-external-pop3 apply >/dev/null'
                    % json.dumps({'allowed': True, 'interval_minutes': 10, 'max_accounts_per_user': 5,
                                  'allow_insecure': False, 'keep_on_server_default': True}))
        request = json.dumps({'op': 'put', 'user': USER, 'account': {
            'server': EXTERNAL, 'port': 995, 'tls': 'pop3s', 'login': EXTERNAL_USER, 'password': EXTERNAL_PASSWORD,
            'paused': False}})
        answer = json.loads(docker_exec(HOST, "echo '%s' | python3 /usr/local/lib/mailroom/mailroom-external-pop3 "
                                              'admin' % request))
        account_id = answer['id']
        # The timer would start runs of its own during the measurement.
        docker_exec(HOST, 'systemctl disable --now mailroom-external-pop3@%s.timer' % USER)

        plain_rates, fetch_rates = [], []
        for round_number in range(args.rounds):
            docker_exec(HOST, 'rm -rf /root/plain && mkdir -p /root/plain/tmp /root/plain/new /root/plain/cur')
            seconds, count = run_python(HOST, PLAIN, EXTERNAL, EXTERNAL_USER, EXTERNAL_PASSWORD, '/root/plain').split()
            plain_rates.append(int(count) / float(seconds))
            docker_exec(HOST, 'doveadm expunge -u %s mailbox INBOX all && rm -f '
                              '/var/lib/mailroom/external-pop3/users/%s/journal/%s' % (USER, USER, account_id))
            wall, _cpu = timed_run()
            delivered = inbox_count()
            if delivered != args.messages:
                raise SystemExit('round %d: the fetcher delivered %d of %d messages' % (round_number, delivered,
                                                                                        args.messages))
            fetch_rates.append(delivered / wall)
            print('round %d: plain %.0f msg/s, fetcher %.0f msg/s'
                  % (round_number + 1, plain_rates[-1], fetch_rates[-1]))

        idle = [timed_run() for _index in range(3)]
        if inbox_count() != args.messages:
            raise SystemExit('an idle run delivered again')
        idle_cpu = statistics.median(cpu for _wall, cpu in idle)
        idle_wall = statistics.median(wall for wall, _cpu in idle)
        plain, fetched = statistics.median(plain_rates), statistics.median(fetch_rates)
        ratio = fetched / plain
        per_user_hour = idle_cpu * RUNS_PER_HOUR
        print()
        print('Debian %s, %d messages of 4 KiB, %d rounds (medians)' % (args.release, args.messages, args.rounds))
        print('  plain POP3 download to Maildir   %8.0f msg/s' % plain)
        print('  fetcher (into INBOX)             %8.0f msg/s' % fetched)
        print('  ratio fetcher / plain            %8.2f   (goal >= %.1f)' % (ratio, GOALS['ratio']))
        print('  idle run (%d kept, nothing new)  %8.2f CPU-s, %.2f s wall' % (args.messages, idle_cpu, idle_wall))
        print('  idle cost per user per hour      %8.2f CPU-s at a 10-minute interval (goal <= %.1f)'
              % (per_user_hour, GOALS['idle_cpu_s_per_user_hour']))
        print('  idle cost of 1,000 users         %8.0f CPU-s per hour (%.1f%% of one core)'
              % (per_user_hour * 1000, per_user_hour * 1000 / 36.0))
        met = ratio >= GOALS['ratio'] and per_user_hour <= GOALS['idle_cpu_s_per_user_hour']
        print('goals %s' % ('met' if met else 'NOT met'))
        return 0 if met else 1
    finally:
        if not args.keep:
            remove_containers(HOST, EXTERNAL)
            subprocess.run(['docker', 'network', 'rm', NETWORK], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=False)


if __name__ == '__main__':
    sys.exit(main())
