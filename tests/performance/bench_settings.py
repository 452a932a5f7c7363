# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark of the settings modules (issue 3): an idempotent re-run of all service settings
(playbooks/settings.yml, four module tasks) on a converged host, against the same settings written
as one lineinfile/blockinfile task per key (settings_per_key.yml), measured in the same run.

Usage: scripts/bench settings [--release 12|13] [--repeat N]
"""
from __future__ import absolute_import, division, print_function

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from benchlib import (  # noqa: E402  pylint: disable=wrong-import-position
    ROOT, inventory, median_run, playbook, remove_containers, start_container,
)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--release', default='12', choices=['12', '13'])
    parser.add_argument('--repeat', type=int, default=5)
    args = parser.parse_args()

    container = 'mailroom-bench-settings'
    hosts = inventory(container)
    ours_playbook = os.path.join(ROOT, 'playbooks', 'settings.yml')
    per_key_playbook = os.path.join(ROOT, 'tests', 'performance', 'settings_per_key.yml')
    try:
        start_container(container, args.release)
        playbook(hosts, os.path.join(ROOT, 'playbooks', 'demo.yml'))
        playbook(hosts, per_key_playbook)
        ours = median_run(hosts, ours_playbook, args.repeat)
        per_key = median_run(hosts, per_key_playbook, args.repeat)
    finally:
        remove_containers(container)
        os.unlink(hosts)

    ratio = per_key[2] / ours[2]
    print('Debian %s, idempotent re-run of all service settings, median of %d runs'
          % (args.release, args.repeat))
    print('  modules (settings.yml)     %3d tasks  %d changed  %5.2f s' % ours)
    print('  per key (lineinfile etc.)  %3d tasks  %d changed  %5.2f s' % per_key)
    print('  speed-up                   %.1fx' % ratio)
    print(json.dumps({'release': args.release, 'repeat': args.repeat,
                      'modules': {'tasks': ours[0], 'changed': ours[1], 'seconds': round(ours[2], 2)},
                      'per_key': {'tasks': per_key[0], 'changed': per_key[1],
                                  'seconds': round(per_key[2], 2)},
                      'ratio': round(ratio, 2)}))
    return 0 if ours[1] == 0 and per_key[1] == 0 else 1


if __name__ == '__main__':
    sys.exit(main())
