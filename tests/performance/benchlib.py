# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared pieces of the benchmarks: throwaway mail host containers and timed playbook runs."""
from __future__ import absolute_import, division, print_function

import json
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
RUN_OPTIONS = ['--cap-add', 'SYS_ADMIN', '--cap-add', 'NET_ADMIN', '--cgroupns', 'host',
               '-v', '/sys/fs/cgroup:/sys/fs/cgroup:rw', '--tmpfs', '/run', '--tmpfs', '/run/lock']
RECAP = re.compile(r'ok=(\d+)\s+changed=(\d+)')


def run(command, **kwargs):
    try:
        return subprocess.run(command, check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              universal_newlines=True, **kwargs).stdout
    except subprocess.CalledProcessError as error:
        # The command's own words (a failed task, a shell error) are what a reader needs.
        sys.stderr.write(error.output[-6000:] if error.output else '')
        raise


def docker_exec(container, script):
    return run(['docker', 'exec', container, 'bash', '-c', script])


def image(release):
    return os.environ.get('MAILROOM_IMAGE_DEB' + release, 'mailroom-test/debian:' + release)


def start_container(name, release, hostname='mail.example.test'):
    """A fresh systemd container from the test image, running when this returns."""
    remove_containers(name)
    run(['docker', 'run', '-d', '--pull', 'never', '--name', name, '--hostname', hostname]
        + RUN_OPTIONS + [image(release)])
    for _attempt in range(30):
        state = subprocess.run(['docker', 'exec', name, 'systemctl', 'is-system-running'],
                               stdout=subprocess.PIPE, universal_newlines=True, check=False).stdout
        if state.strip() in ('running', 'degraded'):
            return
        time.sleep(1)


def remove_containers(*names):
    subprocess.run(['docker', 'rm', '-f'] + list(names), stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=False)


def inventory(container, user='bench'):
    """An inventory file for one container reached through the docker connection plugin."""
    handle, path = tempfile.mkstemp(prefix='mailroom-bench-', suffix='.yml')
    with os.fdopen(handle, 'w') as stream:
        stream.write(
            'mailservers:\n  hosts:\n    %s:\n      ansible_connection: community.docker.docker\n'
            '  vars:\n    mta_domains: [example.test]\n    mta_admin_mailbox: %s\n'
            '    mailroom_demo_user: %s\n    mailroom_demo_salt: benchsalt\n'
            '    mailroom_demo_password: bench-Secret-1\n' % (container, user, user))
    return path


def playbook(inventory_path, path):
    """Run a playbook; return (tasks ok, changed, seconds)."""
    started = time.time()
    output = run(['ansible-playbook', '-i', inventory_path, path])
    elapsed = time.time() - started
    ok, changed = RECAP.search(output.split('PLAY RECAP', 1)[1]).groups()
    return int(ok), int(changed), elapsed


def median_run(inventory_path, path, repeat):
    """Run `repeat` times; return (tasks, max changed, median seconds)."""
    runs = sorted((playbook(inventory_path, path) for _index in range(repeat)), key=lambda r: r[2])
    return runs[0][0], max(r[1] for r in runs), runs[len(runs) // 2][2]


def percentile(values, share):
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def run_python(container, script, *args):
    """Run a Python script inside the container with those arguments; return its output."""
    handle, path = tempfile.mkstemp(suffix='.py')
    with os.fdopen(handle, 'w') as stream:
        stream.write(script)
    try:
        target = '/root/%s' % os.path.basename(path)
        os.system('docker cp %s %s:%s' % (path, container, target))
        return docker_exec(container, 'python3 %s %s' % (target, ' '.join(str(arg) for arg in args)))
    finally:
        os.unlink(path)


def mail_host_converge(purpose, *tasks):
    """The playbook text of a mail host with the mta and imap roles and the benchmark's mail user,
    then `tasks` (YAML task lists, indented as post_tasks items)."""
    return ('''
- name: The mail host of the %s benchmark
  hosts: mailservers
  become: true
  roles:
    - role: mailroom.server.mta
    - role: mailroom.server.imap
  post_tasks:
    - name: Create the benchmark's mail user
      ansible.builtin.user:
        name: "{{ mailroom_demo_user }}"
        comment: "Bench Mark"
        password: "{{ mailroom_demo_password | password_hash('sha512', mailroom_demo_salt, rounds=5000) }}"
        shell: /usr/sbin/nologin
''' % purpose) + ''.join(tasks)


def fresh_host(container, release, converge, user):
    """Start `container` from the test image and converge it with the playbook text `converge`;
    returns its inventory's path (the caller removes it)."""
    start_container(container, release)
    hosts = inventory(container, user)
    handle, path = tempfile.mkstemp(suffix='.yml')
    with os.fdopen(handle, 'w') as stream:
        stream.write(converge)
    try:
        playbook(hosts, path)
    finally:
        os.unlink(path)
    return hosts


# Each live process's CPU seconds by name; Dovecot's processes (their titles start "dovecot/")
# as "dovecot lmtp", since Postfix's LMTP client is called lmtp too. The command line, not the
# executable: root in the container may not read other users' /proc/PID/exe (no CAP_SYS_PTRACE).
PROCESS_CPU = r"""
import json, os
tick = os.sysconf('SC_CLK_TCK')
seen = {}
for pid in filter(str.isdigit, os.listdir('/proc')):
    try:
        stat = open('/proc/%s/stat' % pid).read()
        title = open('/proc/%s/cmdline' % pid, 'rb').read().split(b'\0')[0].decode('utf-8', 'replace')
    except OSError:
        continue
    comm = stat[stat.index('(') + 1:stat.rindex(')')]
    fields = stat[stat.rindex(')') + 2:].split()
    name = 'dovecot ' + comm if title.startswith('dovecot/') else comm
    seen[pid] = [name, (int(fields[11]) + int(fields[12])) / float(tick)]
print(json.dumps(seen))
"""


def cgroup_cpu_seconds(container):
    """CPU seconds the container's processes have used (its cgroup, v1 or v2), or None."""
    ident = run(['docker', 'inspect', '-f', '{{.Id}}', container]).strip()
    for path, scale in (('/sys/fs/cgroup/cpuacct/docker/%s/cpuacct.usage', 1e-9),
                        ('/sys/fs/cgroup/docker/%s/cpu.stat', 1e-6),
                        ('/sys/fs/cgroup/system.slice/docker-%s.scope/cpu.stat', 1e-6)):
        try:
            with open(path % ident) as stream:
                words = stream.read().split()
        except OSError:
            continue
        return float(words[words.index('usage_usec') + 1] if 'usage_usec' in words else words[0]) * scale
    return None


def cpu_snapshot(container):
    return {'total': cgroup_cpu_seconds(container),
            'processes': json.loads(run_python(container, PROCESS_CPU).strip().splitlines()[-1])}


def cpu_used(before, after):
    """{'total': seconds, 'by_process': {name: seconds}} between two cpu_snapshot()s: processes
    that lived to the second one by name, the rest (those that ended between) as 'exited'."""
    by_process = {}
    for pid, (name, seconds) in after['processes'].items():
        earlier = before['processes'].get(pid)
        used = seconds - (earlier[1] if earlier and earlier[0] == name else 0.0)
        if used > 0:
            by_process[name] = by_process.get(name, 0.0) + used
    total = None
    if before['total'] is not None and after['total'] is not None:
        total = after['total'] - before['total']
        by_process['exited'] = max(0.0, total - sum(by_process.values()))
    return {'total': total, 'by_process': by_process}


def cpu_per_message(cpu, messages):
    """{path: {'total_ms': median ms of CPU per message, 'by_process_ms': {name: median ms}}}."""
    summary = {}
    for name, runs in cpu.items():
        totals = [one['total'] for one in runs if one['total'] is not None]
        names = set(process for one in runs for process in one['by_process'])
        summary[name] = {
            'total_ms': 1000.0 * median(totals) / messages if totals else None,
            'by_process_ms': dict((process, 1000.0 * median([one['by_process'].get(process, 0.0) for one in runs])
                                   / messages) for process in names)}
    return summary


def median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2.0
