# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Mail migration benchmark: a local user's 10,000-message Maildir moved to an LDAP account.

A fresh container is converged with playbooks/demo.yml, an OpenLDAP server with one account is
set up inside it (on 127.0.0.1), the local user's Maildir is filled with a reproducible mailbox
(several folders, flags, keywords, one large attachment), and in the same run:
  - `cp -a` of that Maildir (the physical reference: same files, same disk, warm cache);
  - mailroom.server.smtp account_type=ldap migrate_mail=true; the module reports the migration's
    own time (merge, verification of every message, retirement of the source).
Usage: scripts/bench migration [--release 12|13] [--messages 10000]
"""
from __future__ import absolute_import, division, print_function

import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import (  # noqa: E402
    ROOT, docker_exec, inventory, playbook, remove_containers, run, start_container,
)

USER = 'bench'
LDAP_PASSWORD = 'Bench-Ldap-1'
SEED = os.path.join(ROOT, 'tests', 'integration', 'targets', 'accounts', 'files', 'seed_maildir.py')
PRESEED = '\n'.join([
    'slapd slapd/no_configuration boolean false',
    'slapd slapd/domain string example.test',
    'slapd shared/organization string Example',
    'slapd slapd/password1 password ' + LDAP_PASSWORD,
    'slapd slapd/password2 password ' + LDAP_PASSWORD,
]) + '\n'
ENTRY = ('dn: uid={0},dc=example,dc=test\nobjectClass: inetOrgPerson\nuid: {0}\ncn: {0}\nsn: {0}\n'
         'userPassword: unused\n'.format(USER))


def container_input(container, command, text):
    """Run `command` in the container with `text` on its standard input."""
    subprocess.run(['docker', 'exec', '-i', container, 'bash', '-c', command],
                   input=text.encode(), check=True, stdout=subprocess.DEVNULL)


def setup_directory(container):
    container_input(container, 'debconf-set-selections', PRESEED)
    docker_exec(container, 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q slapd >/dev/null')
    container_input(container, 'ldapadd -x -H ldap://127.0.0.1 -D cn=admin,dc=example,dc=test -w %s'
                    % LDAP_PASSWORD, ENTRY)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--release', default='13', choices=['12', '13'])
    parser.add_argument('--messages', type=int, default=10000)
    args = parser.parse_args()

    container = 'mailroom-bench-migration'
    hosts = inventory(container, USER)
    maildir = '/home/%s/Maildir' % USER
    try:
        start_container(container, args.release)
        playbook(hosts, os.path.join(ROOT, 'playbooks', 'demo.yml'))
        setup_directory(container)
        subprocess.run(['docker', 'cp', SEED, container + ':/root/seed_maildir.py'], check=True)
        docker_exec(container, 'rm -rf %s && python3 /root/seed_maildir.py %s %s %d 1'
                    % (maildir, maildir, USER, args.messages))
        size = int(docker_exec(container, 'du -sb --apparent-size %s | cut -f1' % maildir))
        started = time.time()
        docker_exec(container, 'cp -a %s /root/copy && sync' % maildir)
        copy_seconds = time.time() - started
        docker_exec(container, 'rm -rf /root/copy')
        directory = {'uri': 'ldap://127.0.0.1', 'starttls': False, 'base_dn': 'dc=example,dc=test',
                     'bind_dn': 'cn=admin,dc=example,dc=test', 'bind_password': LDAP_PASSWORD}
        output = run(['ansible', '-i', hosts, 'mailservers', '-m', 'mailroom.server.smtp', '-a',
                      json.dumps({'account_type': 'ldap', 'directory': directory, 'migrate_mail': True})])
        result = json.loads(output[output.index('{'):])
    finally:
        remove_containers(container)
        os.unlink(hosts)

    entry = [user for user in result['migration']['users'] if user['user'] == USER][0]
    megabytes = size / 1048576.0
    figures = {
        'release': args.release, 'messages': entry['messages'], 'mib': round(megabytes, 1),
        'status': entry['status'], 'copied': entry['copied'],
        'migration_seconds': entry['seconds'],
        'migration_msg_per_s': round(entry['messages'] / entry['seconds'], 1),
        'migration_mib_per_s': round(megabytes / entry['seconds'], 1),
        'cp_seconds': round(copy_seconds, 2),
        'cp_mib_per_s': round(megabytes / copy_seconds, 1),
        'ratio_migration_to_cp': round(entry['seconds'] / copy_seconds, 2),
    }
    print('Debian %s, %d messages (%.1f MiB) in 4 folders' % (args.release, entry['messages'], megabytes))
    print('  cp -a           %.2f s = %.1f MiB/s' % (copy_seconds, figures['cp_mib_per_s']))
    print('  migration       %.2f s = %.0f msg/s, %.1f MiB/s (copy + verify every message + retire)'
          % (entry['seconds'], figures['migration_msg_per_s'], figures['migration_mib_per_s']))
    print('  migration / cp  %.2f x the time' % figures['ratio_migration_to_cp'])
    print(json.dumps(figures))
    return 0 if entry['status'] == 'migrated' and entry['copied'] == entry['messages'] else 1


if __name__ == '__main__':
    sys.exit(main())
