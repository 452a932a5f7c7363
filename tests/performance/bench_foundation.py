# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark of the foundation (issue 2), all figures from one run:

1. a fresh converge of playbooks/site.yml, then an idempotent re-run: tasks, changed, wall time;
2. delivery throughput into the mailbox (messages/s, sent with Postfix's smtp-source and counted
   on disk) for our configuration (Postfix -> LMTP -> Dovecot Maildir) against the stock Debian
   packages (Postfix's own local(8) delivery to /var/mail) on a second, untouched container.

Usage: scripts/bench foundation [--release 12|13] [--messages N] [--sessions N] [--size BYTES]
Needs the Docker engine and images of scripts/testhost; removes its containers when done.
"""
from __future__ import absolute_import, division, print_function

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from benchlib import (  # noqa: E402  pylint: disable=wrong-import-position
    ROOT, docker_exec, inventory, playbook, remove_containers, start_container,
)


def install_stock(container):
    """The stock Debian packages, untouched: Postfix as an Internet site delivering to /var/mail."""
    docker_exec(container, (
        'echo "postfix postfix/main_mailer_type select Internet Site" | debconf-set-selections && '
        'echo "postfix postfix/mailname string mail.example.test" | debconf-set-selections && '
        'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq '
        'postfix dovecot-imapd dovecot-pop3d dovecot-lmtpd >/dev/null && '
        'useradd -m bench'))


def delivery_rate(container, count_script, messages, sessions, size):
    """Send `messages` with smtp-source on the host's loopback; return messages/s until on disk.

    The recipient is at the host name, local to both configurations, so nothing leaves the host.
    """
    started = time.time()
    docker_exec(container, 'smtp-source -c -l %d -m %d -s %d -f sender@example.net '
                           '-t bench@mail.example.test 127.0.0.1:25 >/dev/null'
                % (size, messages, sessions))
    delivered = 0
    deadline = started + 600
    while time.time() < deadline:
        delivered = int(docker_exec(container, count_script).strip() or 0)
        if delivered >= messages:
            break
        time.sleep(0.2)
    elapsed = time.time() - started
    return delivered, elapsed, delivered / elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--release', default='12', choices=['12', '13'])
    parser.add_argument('--messages', type=int, default=2000)
    parser.add_argument('--sessions', type=int, default=10)
    parser.add_argument('--size', type=int, default=4096)
    args = parser.parse_args()

    ours, stock = 'mailroom-bench-ours', 'mailroom-bench-stock'
    hosts = inventory(ours)
    demo = os.path.join(ROOT, 'playbooks', 'demo.yml')
    try:
        start_container(ours, args.release)
        start_container(stock, args.release)
        fresh = playbook(hosts, demo)
        again = playbook(hosts, demo)
        install_stock(stock)
        ours_rate = delivery_rate(ours, 'ls /home/bench/Maildir/new 2>/dev/null | wc -l',
                                  args.messages, args.sessions, args.size)
        stock_rate = delivery_rate(stock, 'grep -c "^From " /var/mail/bench 2>/dev/null || true',
                                   args.messages, args.sessions, args.size)
    finally:
        remove_containers(ours, stock)
        os.unlink(hosts)

    figures = {
        'release': args.release,
        'converge_fresh': {'tasks': fresh[0], 'changed': fresh[1], 'seconds': round(fresh[2], 1)},
        'converge_rerun': {'tasks': again[0], 'changed': again[1], 'seconds': round(again[2], 1)},
        'delivery': {
            'messages': args.messages, 'sessions': args.sessions, 'size_bytes': args.size,
            'ours_delivered': ours_rate[0], 'ours_msg_per_s': round(ours_rate[2], 1),
            'stock_delivered': stock_rate[0], 'stock_msg_per_s': round(stock_rate[2], 1),
            'ratio_ours_to_stock': round(ours_rate[2] / stock_rate[2], 2),
        },
    }
    print('Debian %s' % args.release)
    print('  fresh converge   %3d tasks  %3d changed  %6.1f s' % fresh)
    print('  re-run           %3d tasks  %3d changed  %6.1f s  (%.1fx faster than fresh)'
          % (again + (fresh[2] / again[2],)))
    print('  delivery ours    %d/%d messages in %.1f s = %.1f msg/s  (Postfix -> LMTP -> Maildir)'
          % (ours_rate[0], args.messages, ours_rate[1], ours_rate[2]))
    print('  delivery stock   %d/%d messages in %.1f s = %.1f msg/s  (Postfix local(8) -> mbox)'
          % (stock_rate[0], args.messages, stock_rate[1], stock_rate[2]))
    print('  ratio ours/stock %.2f' % figures['delivery']['ratio_ours_to_stock'])
    print(json.dumps(figures))
    return 0 if ours_rate[0] >= args.messages and again[1] == 0 else 1


if __name__ == '__main__':
    sys.exit(main())
