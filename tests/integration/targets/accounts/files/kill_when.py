# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kill a running module with SIGKILL once a directory holds COUNT files: an interrupted
migration, midway. Usage: kill_when.py DIRECTORY COUNT PATTERN TIMEOUT; prints what it saw."""
import os
import signal
import sys
import time


def pids(pattern):
    found = []
    for entry in os.listdir('/proc'):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                with open('/proc/%s/cmdline' % entry, 'rb') as handle:
                    command = handle.read()
                if pattern.encode() in command and b'kill_when' not in command:
                    found.append(int(entry))
            except OSError:
                pass
    return found


def main(directory, count, pattern, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        held = len(os.listdir(directory)) if os.path.isdir(directory) else 0
        if held >= count:
            victims = pids(pattern)
            for pid in victims:
                os.kill(pid, signal.SIGKILL)
            print('killed %s at %d files' % (victims, held))
            return 0 if victims else 1
        time.sleep(0.005)
    print('timeout: %d files' % (len(os.listdir(directory)) if os.path.isdir(directory) else 0))
    return 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])))
