# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Webmail benchmark: from the login button to a rendered inbox of 10,000 messages, in Chromium.

A fresh container (the packages image) is converged with playbooks/demo.yml (webmail role
included), the bench user's INBOX is written straight into Maildir and indexed once by Dovecot;
then, in a real headless Chromium from the Docker host (tests/browser):
  - login time: click on Login until the message list shows its first page (rows drawn, Roundcube
    no longer busy), p50/p95 over --runs logins, each in a new browser context (no cookies),
    after two untimed logins that let Dovecot cache what Roundcube asks for;
  - IMAP commands of one such page view, per HTTP request, from Roundcube's IMAP debug log
    (switched on for that one view only).
Usage: scripts/bench webmail [--release 12|13] [--messages 10000] [--runs 20] [--name NAME]
                             [--container NAME]
  --name NAME       the fresh container's name (default mailroom-bench-webmail)
  --container NAME  use a running, converged host instead (not removed; the inbox is replaced)
"""
from __future__ import absolute_import, division, print_function

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'browser'))
from benchlib import ROOT, docker_exec, inventory, remove_containers, run, start_container  # noqa: E402
from inbox import imap_requests, percentile, request_name, write_maildir  # noqa: E402
from webmail import Mailbox, Webmail  # noqa: E402

USER, PASSWORD = 'bench', 'bench-Secret-1'
GOALS = {'p95_s': 1.0}
# Roundcube's first page of the list (its default page size).
PAGE_ROWS = 50
# The login limiter of the webmail role would answer 429 to a benchmark's logins in a row.
CONVERGE_VARS = {'webmail_login_rate_per_minute': 6000, 'webmail_login_burst': 1000}
DEBUG_SETTINGS = '/etc/roundcube/mailroom.d/zz-bench-imap-debug.inc.php'
DEBUG_LOG = '/var/log/roundcube/imap.log'
DEBUG_PHP = ("<?php\n// scripts/bench webmail: the IMAP commands of one view\n"
             "$config['imap_debug'] = true;\n$config['log_driver'] = 'file';\n"
             "$config['log_dir'] = '/var/log/roundcube/';\n")


def container_address(container):
    return run(['docker', 'inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}',
                container]).strip()


def converge(container):
    hosts = inventory(container, USER)
    try:
        started = time.monotonic()
        run(['ansible-playbook', '-i', hosts, '-e', json.dumps(CONVERGE_VARS),
             os.path.join(ROOT, 'playbooks', 'demo.yml')])
        return time.monotonic() - started
    finally:
        os.unlink(hosts)


def fill_inbox(container, messages):
    """Replace the bench user's Maildir INBOX with `messages` messages; (MiB, index seconds)."""
    maildir = '/home/%s/Maildir' % USER
    with tempfile.TemporaryDirectory(prefix='mailroom-bench-inbox-') as directory:
        size = write_maildir(directory, messages)
        docker_exec(container, 'rm -rf {0} && mkdir -p {0}'.format(maildir))
        archive = subprocess.Popen(['tar', '-C', directory, '-c', 'cur', 'new', 'tmp'],
                                   stdout=subprocess.PIPE)
        subprocess.run(['docker', 'exec', '-i', container, 'tar', '-C', maildir, '-x'],
                       stdin=archive.stdout, check=True)
        archive.stdout.close()
        archive.wait()
    docker_exec(container, 'chown -R {0}:{0} /home/{0}/Maildir && chmod -R go-rwx /home/{0}/Maildir'
                .format(USER))
    started = time.monotonic()
    count = docker_exec(container, 'doveadm -f flow mailbox status -u %s messages INBOX' % USER)
    index_seconds = time.monotonic() - started
    if 'messages=%d' % messages not in count:
        raise RuntimeError('Dovecot counts %s, not %d messages' % (count.strip(), messages))
    return size / 1048576.0, index_seconds


def timed_login(webmail, rows):
    """Seconds from the click on Login to the drawn first page of the message list."""
    page = webmail.login_page(USER)
    try:
        page.fill('#rcmloginuser', USER)
        page.fill('#rcmloginpwd', PASSWORD)
        mailbox = Mailbox(webmail, page, USER)
        started = time.perf_counter()
        page.click('#rcmloginsubmit')
        mailbox.wait_for_list(error_step='login')
        mailbox.wait_for_rows(rows)
        elapsed = time.perf_counter() - started
        return elapsed, mailbox.message_count()
    finally:
        page.context.close()


def imap_view(container, webmail, rows):
    """The IMAP commands of one login-to-inbox view, per HTTP request."""
    run(['docker', 'exec', '-i', container, 'sh', '-c', 'cat > {0} && chmod 644 {0} && rm -f {1}'
         .format(DEBUG_SETTINGS, DEBUG_LOG)], input=DEBUG_PHP)
    try:
        timed_login(webmail, rows)
        log = docker_exec(container, 'cat %s' % DEBUG_LOG)
    finally:
        docker_exec(container, 'rm -f %s %s' % (DEBUG_SETTINGS, DEBUG_LOG))
    return imap_requests(log)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--release', default='13', choices=['12', '13'])
    parser.add_argument('--messages', type=int, default=10000)
    parser.add_argument('--runs', type=int, default=20)
    parser.add_argument('--name', default='mailroom-bench-webmail', help="the fresh container's name")
    parser.add_argument('--container', help='a running, converged host to use (kept)')
    args = parser.parse_args()

    container = args.container or args.name
    rows = min(PAGE_ROWS, args.messages)
    converge_seconds = None
    try:
        if not args.container:
            os.environ.setdefault('MAILROOM_IMAGE_DEB' + args.release,
                                  'mailroom-test/debian:%s-pkgs' % args.release)
            start_container(container, args.release)
            converge_seconds = converge(container)
        mail_mib, index_seconds = fill_inbox(container, args.messages)
        address = container_address(container)
        with Webmail('https://' + address, tempfile.gettempdir(), screenshots=False) as webmail:
            for _warmup in range(2):
                timed_login(webmail, rows)
            timings, counts = [], set()
            for _run in range(args.runs):
                seconds, count = timed_login(webmail, rows)
                timings.append(seconds)
                counts.add(count)
            requests = imap_view(container, webmail, rows)
    finally:
        if not args.container:
            remove_containers(container)

    figures = {
        'release': args.release, 'messages': args.messages, 'runs': args.runs,
        'mail_mib': round(mail_mib, 1), 'first_index_s': round(index_seconds, 2),
        'converge_s': round(converge_seconds, 1) if converge_seconds is not None else None,
        'p50_s': round(percentile(timings, 0.5), 3), 'p95_s': round(percentile(timings, 0.95), 3),
        'min_s': round(min(timings), 3), 'max_s': round(max(timings), 3),
        'listed_counts': sorted(counts),
        'imap_commands': sum(len(request.commands) for request in requests),
        'imap_connections': len(requests),
        'imap_per_request': [{'request': request_name(request.request), 'commands': request.commands}
                             for request in requests],
    }
    met = figures['p95_s'] <= GOALS['p95_s']
    print('Debian %s, INBOX of %d messages (%.1f MiB, first index %.2f s), %d logins in Chromium'
          % (args.release, args.messages, mail_mib, index_seconds, args.runs))
    print('  login to rendered inbox  p50 %.3f s, p95 %.3f s (min %.3f, max %.3f)   (goal p95 <= %.1f s: %s)'
          % (figures['p50_s'], figures['p95_s'], figures['min_s'], figures['max_s'], GOALS['p95_s'],
             'met' if met else 'NOT met'))
    print('  IMAP commands of one view  %d on %d connections' % (figures['imap_commands'],
                                                                 figures['imap_connections']))
    for request in requests:
        commands = ' '.join(request.commands)
        print('    %-16s %2d  %s' % (request_name(request.request), len(request.commands), commands))
    print(json.dumps(figures))
    return 0 if figures['listed_counts'] == [args.messages] else 1


if __name__ == '__main__':
    sys.exit(main())
