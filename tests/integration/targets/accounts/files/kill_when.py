# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kill a running module with SIGKILL once a directory holds COUNT files: an interrupted
migration, midway. Usage: kill_when.py DIRECTORY COUNT MODULE TIMEOUT; prints what it saw.

Only the module's own process dies: a process whose command line is exactly
`<python> <...>/AnsiballZ_<MODULE>.py` and whose parent is Ansible's async wrapper
(`<python> <...>/async_wrapper.py JID ...`, whose command line also names the module file, as
other runs' processes may). Anything but exactly one such process is an error, and nothing is
killed.
"""
import os
import signal
import sys
import time


def command_line(pid):
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as handle:
            return [part.decode('utf-8', 'replace') for part in handle.read().split(b'\0') if part]
    except OSError:
        return []


def parent(pid):
    try:
        with open('/proc/%d/stat' % pid) as handle:
            # pid (comm) state ppid ...: comm may hold spaces, so split after its closing paren
            return int(handle.read().rpartition(')')[2].split()[1])
    except (OSError, IndexError, ValueError):
        return None


# Ansible's async wrapper, as ansible-core names the file it copies to the host
ASYNC_WRAPPERS = ('async_wrapper.py', 'AnsiballZ_async_wrapper.py')


def runs(argv, scripts):
    """True when argv is `<python> <...>/SCRIPT [arguments]`, SCRIPT one of `scripts`."""
    return (len(argv) >= 2 and os.path.basename(argv[0]).startswith('python')
            and os.path.basename(argv[1]) in scripts)


def module_processes(module):
    wanted = 'AnsiballZ_%s.py' % module
    found = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        pid = int(entry)
        argv = command_line(pid)
        if (len(argv) == 2 and runs(argv, (wanted,))
                and runs(command_line(parent(pid) or 0), ASYNC_WRAPPERS)):
            found.append(pid)
    return found


def main(directory, count, module, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        held = len(os.listdir(directory)) if os.path.isdir(directory) else 0
        if held >= count:
            victims = module_processes(module)
            if len(victims) != 1:
                print('not killed: %d processes match %s: %s' % (len(victims), module, victims))
                return 1
            os.kill(victims[0], signal.SIGKILL)
            print('killed %s at %d files' % (victims, held))
            return 0
        time.sleep(0.005)
    print('timeout: %d files' % (len(os.listdir(directory)) if os.path.isdir(directory) else 0))
    return 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])))
