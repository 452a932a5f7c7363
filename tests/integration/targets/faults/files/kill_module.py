# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kill a running Ansible module (SIGKILL) at the moment it starts a given command.

    kill_module.py PATTERN TIMEOUT

Polls the process table; when a process whose command line contains PATTERN appears, kills the
process among its ancestors that runs an AnsiballZ module - only that one, never by name - and
prints JSON {"matched": command line, "killed": pid}. Exits 1 with {"killed": null} after TIMEOUT.
"""
from __future__ import absolute_import, division, print_function

import json
import os
import signal
import sys
import time


def command_line(pid):
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as handle:
            return handle.read().replace(b'\0', b' ').decode('utf-8', 'replace').strip()
    except OSError:
        return ''


def parent(pid):
    try:
        with open('/proc/%d/stat' % pid) as handle:
            return int(handle.read().rsplit(')', 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def module_ancestor(pid):
    while pid > 1:
        pid = parent(pid)
        if 'AnsiballZ_' in command_line(pid):
            return pid
    return None


def main(pattern, timeout):
    deadline = time.time() + float(timeout)
    me = os.getpid()
    while time.time() < deadline:
        for name in os.listdir('/proc'):
            if not name.isdigit() or int(name) == me:
                continue
            line = command_line(int(name))
            if pattern in line:
                target = module_ancestor(int(name))
                if target:
                    os.kill(target, signal.SIGKILL)
                    print(json.dumps({'matched': line, 'killed': target}))
                    return 0
        time.sleep(0.005)
    print(json.dumps({'killed': None}))
    return 1


if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:]))
