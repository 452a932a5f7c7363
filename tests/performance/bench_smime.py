# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""S/MIME in the webmail (issue 14): the plugin against openssl cms on a 10 MB message.

Signed and encrypted, then decrypted and verified, by the mailroom_smime plugin and by
`openssl cms` on the same data in the same run.

A mail host converged with playbooks/demo.yml (or --host, a converged one, kept) with
mailroom.server.mail_encryption smime: true. A test CA, the demo user's certificate (imported as a
PKCS#12 file through the key service's socket, as www-data) and a recipient's, made with the
openssl command line inside the container. Then, --runs times, one process each:
  * sending: the plugin's message_ready hook (tests/performance/smime_harness.php, Roundcube's
    classes from php-cli as www-data) on a Mail_mime message with a 7.5 MB random attachment
    (base64): build the entity, sign it through the key service, encrypt it to the recipient
    and the sender;
  * reading: its message_part_structure hook on that message: decrypt through the service,
    verify, parse into Roundcube's structure, and the text part's body;
  * openssl cms on the entity the plugin signed: -sign then -encrypt (AES-256-CBC, the same 2
    certificates), -decrypt then -verify.
Time and peak memory of each (PHP's memory_get_peak_usage during the hook, the process's peak
RSS from wait4), medians; the per-request cost of the service alone (a `status` request: a
fork of the service, Dovecot's password check and userdb lookup). Goal: the plugin's S/MIME
work within 2x of openssl cms on the same entity. Sending's hook also builds the entity from
Roundcube's Mail_mime (which sending without S/MIME does as well, and openssl is given built):
that part is timed apart and left out of the goal's ratio; the whole hook's ratio is printed too.
Usage: scripts/bench smime [--release 12|13] [--host CONTAINER] [--runs 5]
"""
from __future__ import absolute_import, division, print_function

import argparse
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from benchlib import (  # noqa: E402  pylint: disable=wrong-import-position
    ROOT, docker_exec, inventory, remove_containers, run, run_python, start_container,
)

GOAL_RATIO = 2.0
CONTAINER = 'mailroom-bench-smime'
USER = 'bench'
DOMAIN = 'example.test'
RECIPIENT = 'friend@' + DOMAIN
ATTACHMENT_BYTES = 7864320   # 7.5 MiB of random bytes, about 10 MB as base64
WORK = '/var/tmp/mailroom-bench-smime'
HARNESS = WORK + '/smime_harness.php'
P12_PASSWORD = 'bench-p12-secret'

# Inside the container: the test CA, the user's certificate and PKCS#12 file, the recipient's
# certificate. www-data reads them (it hands them to the service); the keys stay root's for
# openssl cms, which stands in for the service's own openssl.
PKI = r'''
set -euo pipefail
mkdir -p {work}/pki && cd {work}/pki
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 30 -subj "/CN=Mailroom Bench CA" \
  -addext "basicConstraints=critical,CA:true" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
for name in {user} {recipient_name}; do
  openssl req -newkey rsa:2048 -nodes -keyout $name.key -out $name.csr \
    -subj "/CN=$name/emailAddress=$name@{domain}" 2>/dev/null
  printf 'subjectAltName=email:%s@{domain}\nkeyUsage=critical,digitalSignature,keyEncipherment\n'\
'extendedKeyUsage=emailProtection\nbasicConstraints=CA:false\n' $name > $name.ext
  openssl x509 -req -in $name.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out $name.crt -days 30 \
    -extfile $name.ext 2>/dev/null
done
openssl pkcs12 -export -in {user}.crt -inkey {user}.key -certfile ca.crt -passout pass:{p12_password} -out {user}.p12
chown www-data ca.crt {user}.crt {user}.p12 {recipient_name}.crt
chmod 0600 ca.key {user}.key {recipient_name}.key
'''

# Inside the container: every measured process, one after another, with its wall time and peak
# RSS (wait4's ru_maxrss, KiB on Linux); JSON on stdout.
DRIVER = r'''
import json, os, subprocess, sys, tempfile, time
work, user, password, recipient, attachment_bytes, runs = sys.argv[1:7]
php = ['runuser', '-u', 'www-data', '--', 'php', work + '/smime_harness.php']
pki, out = work + '/pki/', work + '/run/'

def measured(command):
    # Output to files, so that wait4 reaps the process itself and gives its own peak RSS.
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        started = time.monotonic()
        child = subprocess.Popen(command, stdout=stdout, stderr=stderr)
        _pid, status, usage = os.wait4(child.pid, 0)
        seconds = time.monotonic() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0)
        stderr.seek(0)
        if child.returncode:
            sys.stderr.write(stderr.read().decode('utf-8', 'replace'))
            raise SystemExit('%s failed (%d)' % (' '.join(command[:7]), child.returncode))
        lines = stdout.read().decode('utf-8', 'replace').strip().splitlines()
    return {'wall_s': seconds, 'rss_kib': usage.ru_maxrss,
            'answer': json.loads(lines[-1]) if command[0] == 'runuser' else None}

def openssl(*args):
    return measured(['openssl', 'cms'] + list(args))

sender = '%s@%s' % (user, recipient.split('@', 1)[1])
results = []
for _run in range(int(runs)):
    subprocess.run(['rm', '-rf', out], check=True)
    os.makedirs(out)
    os.chmod(out, 0o777)
    figures = {}
    figures['send'] = measured(php + ['send', user, password, sender, recipient, attachment_bytes,
                                      out + 'entity.eml', out + 'message.eml'])
    figures['read'] = measured(php + ['read', user, password, sender, out + 'message.eml'])
    figures['sign'] = openssl('-sign', '-binary', '-md', 'sha256', '-in', out + 'entity.eml', '-signer',
                              pki + user + '.crt', '-inkey', pki + user + '.key', '-out', out + 'signed.eml')
    figures['encrypt'] = openssl('-encrypt', '-binary', '-aes-256-cbc', '-in', out + 'signed.eml',
                                 '-out', out + 'encrypted.eml', pki + user + '.crt',
                                 pki + recipient.split('@', 1)[0] + '.crt')
    figures['decrypt'] = openssl('-decrypt', '-binary', '-in', out + 'encrypted.eml', '-recip',
                                 pki + user + '.crt', '-inkey', pki + user + '.key', '-out', out + 'decrypted.eml')
    figures['verify'] = openssl('-verify', '-binary', '-in', out + 'decrypted.eml', '-CAfile', pki + 'ca.crt',
                                '-out', out + 'content.eml')
    if open(out + 'content.eml', 'rb').read() != open(out + 'entity.eml', 'rb').read():
        raise SystemExit('openssl cms did not give back the entity it signed')
    results.append(figures)
print(json.dumps(results))
'''


def median(values):
    values = [value for value in values if value is not None]
    return statistics.median(values) if values else None


def summarize(runs):
    """The medians of the driver's runs: seconds, PHP peak and process RSS peaks (MiB), ratios."""
    def seconds(name):
        if name in ('send', 'read'):   # the hook's own time, measured inside PHP
            return median([one[name]['answer']['seconds'] for one in runs])
        return median([one[name]['wall_s'] for one in runs])

    def rss_mib(*names):
        # openssl's two steps are two processes: the larger of the two peaks is what it needs.
        return median([max(one[name]['rss_kib'] or 0 for name in names) / 1024.0 for one in runs])

    def php_mib(name):
        return median([one[name]['answer']['php_peak_bytes'] / 1048576.0 for one in runs])

    rows = []
    for label, plugin, steps in (('sign + encrypt', 'send', ('sign', 'encrypt')),
                                 ('decrypt + verify', 'read', ('decrypt', 'verify'))):
        openssl_s = sum(seconds(step) for step in steps)
        plugin_s = seconds(plugin)
        # Sending's figure includes Mail_mime building the message, which sending without
        # S/MIME does too, and which openssl cms is spared (it is given the built entity). The
        # goal compares the same work: the hook's time less the building. Both ratios are shown.
        build_s = median([one[plugin]['answer'].get('build_seconds') for one in runs])
        smime_s = plugin_s - (build_s or 0.0)
        rows.append({'operation': label, 'plugin_s': plugin_s, 'of_which_building_s': build_s, 'smime_s': smime_s,
                     'plugin_php_peak_mib': php_mib(plugin), 'plugin_rss_mib': rss_mib(plugin), 'openssl_s': openssl_s,
                     'openssl_steps_s': [seconds(step) for step in steps], 'openssl_rss_mib': rss_mib(*steps),
                     'hook_ratio': plugin_s / openssl_s if openssl_s else None,
                     'ratio': smime_s / openssl_s if openssl_s else None})
    for row in rows:
        row['goal_met'] = row['ratio'] is not None and row['ratio'] <= GOAL_RATIO
    return rows


def format_table(rows, status_s):
    """The figures as a text table, one line per operation, then the service's request cost."""
    lines = ['%-18s %7s %10s %8s %11s %11s %10s %11s %10s %7s  %s' % (
        'operation', 'hook s', 'building s', 'S/MIME s', 'PHP peak', 'plugin RSS', 'openssl s', 'ossl RSS',
        'hook ratio', 'ratio', 'goal: S/MIME s <= %.1fx openssl' % GOAL_RATIO)]
    for row in rows:
        building = row.get('of_which_building_s')
        lines.append('%-18s %7.3f %10s %8.3f %7.1f MiB %7.1f MiB %10.3f %7.1f MiB %9.2fx %6.2fx  %s' % (
            row['operation'], row['plugin_s'], '-' if building is None else '%.3f' % building, row['smime_s'],
            row['plugin_php_peak_mib'], row['plugin_rss_mib'], row['openssl_s'], row['openssl_rss_mib'],
            row['hook_ratio'], row['ratio'], 'met' if row['goal_met'] else 'MISSED'))
    lines.append('key service, one status request (a fork, the password check, the userdb lookup): %.3f s' % status_s)
    return '\n'.join(lines)


def inventory_password(path):
    """mailroom_demo_password of an inventory file written by benchlib.inventory()."""
    with open(path) as stream:
        for line in stream:
            name, _colon, value = line.strip().partition(':')
            if name == 'mailroom_demo_password':
                return value.strip().strip('\'"')
    raise ValueError('no mailroom_demo_password in %s' % path)


def converge(hosts):
    run(['ansible-playbook', '-i', hosts, os.path.join(ROOT, 'playbooks', 'demo.yml')])


def smime_on(hosts):
    run(['ansible', '-i', hosts, 'mailservers', '-b', '-m', 'mailroom.server.mail_encryption',
         '-a', 'smime=true'])


def prepare(container, password):
    """The harness in the container, the certificates, and the user's keys imported by the service."""
    docker_exec(container, 'rm -rf {0} && mkdir -p {0} && chmod 0755 {0}'.format(WORK))
    run(['docker', 'cp', os.path.join(ROOT, 'tests', 'performance', 'smime_harness.php'),
         '%s:%s' % (container, HARNESS)])
    docker_exec(container, 'chmod 0644 %s' % HARNESS)
    recipient_name = RECIPIENT.split('@', 1)[0]
    docker_exec(container, PKI.format(work=WORK, user=USER, recipient_name=recipient_name, domain=DOMAIN,
                                      p12_password=P12_PASSWORD))
    pki = WORK + '/pki/'
    answer = docker_exec(container, "runuser -u www-data -- php %s setup %s '%s' %s %s %s %s" % (
        HARNESS, USER, password, pki + USER + '.p12', P12_PASSWORD, pki + recipient_name + '.crt', pki + 'ca.crt'))
    return json.loads(answer.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--release', default='13', choices=('12', '13'))
    parser.add_argument('--host', help='a running mail host converged with playbooks/demo.yml (kept)')
    parser.add_argument('--runs', type=int, default=5)
    args = parser.parse_args()

    # The packages image (scripts/bench smime builds it) spares the converge the downloads.
    os.environ.setdefault('MAILROOM_IMAGE_DEB' + args.release, 'mailroom-test/debian:%s-pkgs' % args.release)
    container = args.host or CONTAINER
    hosts = inventory(container, USER)
    # The demo user's password as the inventory gives it: the service checks it with Dovecot.
    password = inventory_password(hosts)
    try:
        if not args.host:
            start_container(container, args.release)
            converge(hosts)
        smime_on(hosts)
        setup = prepare(container, password)
        if '%s@%s' % (USER, DOMAIN) not in (setup.get('emails') or []) or RECIPIENT not in setup['recipients']:
            raise SystemExit('the key service did not keep the certificates: %s' % setup)
        status = json.loads(docker_exec(container, "runuser -u www-data -- php %s status %s '%s' %d" % (
            HARNESS, USER, password, max(args.runs, 5))).strip().splitlines()[-1])
        runs = json.loads(run_python(container, DRIVER, WORK, USER, "'%s'" % password, RECIPIENT,
                                     ATTACHMENT_BYTES, args.runs).strip().splitlines()[-1])
        sizes = runs[-1]['send']['answer']
        for one in runs:
            read = one['read']['answer']
            if not (read['encrypted'] and read['signature'] == 'valid' and read['text']):
                raise SystemExit('the plugin did not read its own message back: %s' % read)
    finally:
        os.unlink(hosts)
        if not args.host:
            remove_containers(container)

    rows = summarize(runs)
    status_s = median(status['seconds'])
    print('Debian %s, %d runs (medians): a %.1f MB entity (%.1f MiB random attachment as base64), '
          '%.1f MB encrypted' % (args.release, args.runs, sizes['entity_bytes'] / 1e6,
                                 ATTACHMENT_BYTES / 1048576.0, sizes['message_bytes'] / 1e6))
    print(format_table(rows, status_s))
    met = all(row['goal_met'] for row in rows)
    print("goal (the plugin's S/MIME work within %.1fx of openssl cms) %s" % (GOAL_RATIO, 'met' if met else 'NOT met'))
    print(json.dumps({'release': args.release, 'runs': args.runs, 'entity_bytes': sizes['entity_bytes'],
                      'message_bytes': sizes['message_bytes'], 'status_request_s': round(status_s, 4),
                      'operations': rows, 'goal_ratio': GOAL_RATIO, 'goal_met': met}))
    return 0 if met else 1


if __name__ == '__main__':
    sys.exit(main())
