# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The webmail role's MTA-STS part: the nginx site rendered as Ansible renders it (no server of
mta-sts names without domains, one per domain with it), the role's check refusing names that
would reach nginx's configuration, and tasks/mta_sts.yml run by Ansible itself on this machine
(into a temporary directory): the policies dns_records builds written, pruned, idempotent, and
untouched by a check."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import hashlib
import json
import os
import re
import subprocess
import sys

import pytest
import yaml

from ansible_collections.mailroom.server.plugins.module_utils import _dns_records as dns
from ansible_collections.mailroom.server.tests.unit.roles import role_files

ROLE = 'webmail'
ROLE_DIR = role_files.role_path(ROLE)
# What the role's earlier tasks have set (facts, registered results) when it renders the site.
SITE_FACTS = dict(
    ansible_managed='Ansible managed', webmail_ipv6={'stat': {'exists': True}}, webmail_nginx_http2_directive=True,
    webmail_tls_cert_file='/etc/ssl/mailroom/mail.crt', webmail_tls_key_file='/etc/ssl/mailroom/private/mail.key',
    webmail_client_max_body_mib=36, webmail_mta_sts_policies={})


def role_variables(**given):
    return role_files.role_variables(ROLE, **dict(SITE_FACTS, **given))


def policies(domains, mail_host='mail.example.com', mode='testing', max_age=604800):
    """What the role's dns_records task returns as mta_sts, for these inputs."""
    config = dns.normalise(dict(domains=domains, mail_host=mail_host, mta_sts_mode=mode, mta_sts_max_age=max_age))
    return dns.result(config, [])['mta_sts']


def render(**given):
    return role_files.render(ROLE, 'nginx-site.conf.j2', role_variables(**given))


def blocks(text):
    """The top-level blocks of an nginx file, {'server': [body, ...], ...}, after checking that
    every statement ends with ; or opens or closes a block, and that the braces balance."""
    lines = [line.split('#', 1)[0].strip() for line in text.splitlines()]
    statements = ' '.join(line for line in lines if line)
    found, depth, start, kind = {}, 0, 0, None
    for match in re.finditer(r'[{};]', statements):
        if match.group() == '{':
            if depth == 0:
                kind, start = statements[start:match.start()].strip(), match.end()
            depth += 1
        elif match.group() == '}':
            depth -= 1
            assert depth >= 0, statements
            if depth == 0:
                found.setdefault(kind.split()[0], []).append(statements[start:match.start()])
                start = match.end()
        elif depth == 0:
            start = match.end()
    assert depth == 0 and not statements[start:].strip(), statements[start:]
    return found


def servers(text):
    return blocks(text)['server']


def server_names(body):
    return re.findall(r'server_name ([^;]*);', body)


def mta_sts_servers(text):
    return [body for body in servers(text) if server_names(body)[0].startswith('mta-sts.')]


def test_without_domains_no_mta_sts_server_is_rendered():
    text = render()
    assert 'mta-sts' not in text.split('\n', 3)[3]
    assert [server_names(body) for body in servers(text)] == [['_'], ['_']]


def test_one_domain_gets_a_server_that_serves_its_policy_file_and_nothing_else():
    text = render(webmail_mta_sts_policies=policies(['Example.COM']))
    webmail_http, webmail_https, sts = servers(text)
    assert mta_sts_servers(text) == [sts]
    assert server_names(sts) == ['mta-sts.example.com']
    # HTTPS only, never the default server, with the webmail's certificate and TLS settings.
    assert re.findall(r'listen ([^;]*);', sts) == ['443 ssl', '[::]:443 ssl']
    assert 'http2 on;' in sts
    assert 'ssl_certificate /etc/ssl/mailroom/mail.crt;' in sts
    assert 'ssl_certificate_key /etc/ssl/mailroom/private/mail.key;' in sts
    assert 'include /etc/nginx/mailroom-tls.conf;' in sts
    # Exactly one path is served: the file the role writes, as text/plain; the rest is 404.
    assert re.findall(r'location ([^{]*?) \{', sts) == ['= /.well-known/mta-sts.txt', '/']
    policy = sts.split('location = /.well-known/mta-sts.txt {', 1)[1].split('location / {', 1)[0]
    assert 'alias /var/lib/mailroom/mta-sts/example.com.txt;' in policy
    assert 'default_type text/plain;' in policy and re.search(r'types \{\s*\}', policy)
    assert 'charset off;' in policy
    assert re.search(r'limit_except GET \{\s*deny all;\s*\}', policy)
    assert re.search(r'location / \{\s*return 404;\s*\}', sts)
    for word in ('fastcgi', 'php', 'return 301', 'root ', 'include /etc/nginx/mailroom-locations.d'):
        assert word not in sts
    # Port 80 stays the redirect of every name (the policy is never served over HTTP), and the
    # webmail's own servers are those rendered without MTA-STS.
    assert 'return 301 https://$host$request_uri;' in webmail_http and 'mta-sts' not in webmail_http
    assert servers(render())[:2] == [webmail_http, webmail_https]


def test_two_domains_get_a_server_each_with_their_own_file():
    text = render(webmail_mta_sts_policies=policies(['example.org', 'example.com']))
    assert [server_names(body) for body in mta_sts_servers(text)] == [['mta-sts.example.com'], ['mta-sts.example.org']]
    assert [re.findall(r'alias ([^;]*);', body) for body in mta_sts_servers(text)] == [
        ['/var/lib/mailroom/mta-sts/example.com.txt'], ['/var/lib/mailroom/mta-sts/example.org.txt']]
    assert len(servers(text)) == 4


def test_older_nginx_gets_http2_on_the_listen_line():
    sts = mta_sts_servers(render(webmail_mta_sts_policies=policies(['example.com']), webmail_nginx_http2_directive=False,
                                 webmail_ipv6={'stat': {'exists': False}}))[0]
    assert re.findall(r'listen ([^;]*);', sts) == ['443 ssl http2'] and 'http2 on' not in sts


def test_the_block_reader_sees_a_broken_site():
    with pytest.raises(AssertionError):
        blocks('server {\n    server_name mta-sts.example.com;\n    location / {\n}\n')


# --- Ansible itself: the role's check, and tasks/mta_sts.yml -------------------------------------

def collections_path():
    for entry in sys.path:
        if os.path.isdir(os.path.join(entry, 'ansible_collections', 'mailroom', 'server')):
            return entry
    raise AssertionError('the collection is not on sys.path (tests/unit/conftest.py puts it there)')


# What the role's defaults refer to outside it, as a play on a host would give them.
OUTSIDE = dict(tls_cert_file='/etc/ssl/mailroom/mail.crt', tls_key_file='/etc/ssl/mailroom/private/mail.key',
               mta_domains=['example.com'], mta_hostname='mail.example.com')


def play(tmp_path, tasks, extra=None, check=False):
    """Run `tasks` on this machine (connection local) with the role's defaults and vars loaded;
    the tasks' results in order, [(name, result)]."""
    playbook = [{
        'hosts': 'localhost', 'connection': 'local', 'gather_facts': False, 'check_mode': check,
        'vars_files': [os.path.join(ROLE_DIR, 'defaults', 'main.yml'), os.path.join(ROLE_DIR, 'vars', 'main.yml')],
        'tasks': tasks,
    }]
    path = tmp_path / 'playbook.yml'
    path.write_text(yaml.safe_dump(playbook))
    extra_path = tmp_path / 'extra.json'
    extra_path.write_text(json.dumps(dict(OUTSIDE, **(extra or {}))))
    environment = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path(), ANSIBLE_STDOUT_CALLBACK='ansible.posix.json',
                       ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_INVENTORY_UNPARSED_WARNING='false',
                       ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_NOCOLOR='1', ANSIBLE_RETRY_FILES_ENABLED='false')
    program = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
    run = subprocess.run([program, '-i', 'localhost,', '-e', '@' + str(extra_path), str(path)], env=environment,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, cwd=str(tmp_path),
                         check=False)
    try:
        output = json.loads(run.stdout)
    except ValueError:
        raise AssertionError('ansible-playbook printed no JSON (rc %d): %s %s' % (run.returncode, run.stdout, run.stderr))
    return [(task['task']['name'], task['hosts']['localhost']) for task in output['plays'][0]['tasks']]


CHECK_NAME = "Check the webmail's settings"


def settings_check():
    tasks = yaml.safe_load(role_files.role_file(ROLE, 'tasks', 'main.yml'))
    [task] = [task for task in tasks if task.get('name') == CHECK_NAME]
    return task


GOOD = [
    dict(),
    dict(webmail_mta_sts_domains=['example.com']),
    dict(webmail_mta_sts_domains=['Example.COM', 'example.org.', 'xn--bcher-kva.example'],
         webmail_mta_sts_mail_host='MX1.example.net', webmail_mta_sts_mode='enforce', webmail_mta_sts_max_age=0),
    dict(webmail_mta_sts_domains=['example.com'], webmail_mta_sts_max_age='31557600', webmail_mta_sts_mode='none'),
    # Without domains the mail host is not used: a host named without a domain still converges.
    dict(webmail_mta_sts_mail_host='localhost'),
]

BAD = [
    dict(webmail_mta_sts_domains=['example.com;']),
    dict(webmail_mta_sts_domains=['example.com\n']),
    dict(webmail_mta_sts_domains=['example.com; }\nserver { listen 80']),
    dict(webmail_mta_sts_domains=['exa mple.com']),
    dict(webmail_mta_sts_domains=['example.com{']),
    dict(webmail_mta_sts_domains=['example.com', 'ex}ample.org']),
    dict(webmail_mta_sts_domains=['../etc.example']),
    dict(webmail_mta_sts_domains=['example.com/x']),
    dict(webmail_mta_sts_domains=['localhost']),
    dict(webmail_mta_sts_domains=['-example.com']),
    dict(webmail_mta_sts_domains=['bücher.example']),
    dict(webmail_mta_sts_domains=['a' * 64 + '.example']),
    dict(webmail_mta_sts_domains='example.com'),
    dict(webmail_mta_sts_domains=[7]),
    dict(webmail_mta_sts_domains=['example.com'], webmail_mta_sts_mail_host='mail.example.com;'),
    dict(webmail_mta_sts_domains=['example.com'], webmail_mta_sts_mail_host='mail'),
    dict(webmail_mta_sts_domains=['example.com'], webmail_mta_sts_mode='enforce\r\nmx: *.evil.example'),
    dict(webmail_mta_sts_domains=['example.com'], webmail_mta_sts_max_age=31557601),
    dict(webmail_mta_sts_domains=['example.com'], webmail_mta_sts_max_age=-1),
    dict(webmail_mta_sts_domains=['example.com'], webmail_mta_sts_max_age='1 ; x'),
]


def test_the_role_refuses_names_that_would_reach_nginx(tmp_path):
    tasks = []
    for given in GOOD + BAD:
        task = copy.deepcopy(settings_check())
        task['vars'] = given
        task['ignore_errors'] = True
        tasks.append(task)
    results = play(tmp_path, tasks)
    assert [name for name, _result in results] == [CHECK_NAME] * len(GOOD + BAD)
    failed = [bool(result.get('failed')) for _name, result in results]
    # A failure of the check itself (an undefined variable, a broken expression) is no refusal.
    messages = [result.get('msg', '') for _name, result in results if result.get('failed')]
    assert all('MTA-STS domains' in message for message in messages), messages
    assert failed == [False] * len(GOOD) + [True] * len(BAD), list(zip(GOOD + BAD, failed))


def run_mta_sts(tmp_path, directory, check=False, **given):
    include = {'name': 'MTA-STS', 'ansible.builtin.include_tasks': os.path.join(ROLE_DIR, 'tasks', 'mta_sts.yml'),
               'vars': given}
    results = play(tmp_path, [include], extra=dict(webmail_mta_sts_dir=str(directory)), check=check)
    failures = [(name, result) for name, result in results if result.get('failed')]
    assert not failures, failures
    return results


def changed(results):
    return [name for name, result in results if result.get('changed')]


def files(directory):
    return dict((name, (directory / name).read_bytes()) for name in sorted(os.listdir(str(directory))))


def test_the_policies_are_written_pruned_idempotent_and_left_alone_by_a_check(tmp_path):
    directory = tmp_path / 'mta-sts'
    directory.mkdir()
    (directory / 'gone.example.txt').write_text('version: STSv1\r\n')
    (directory / '.ansible_tmp_left_over').write_text('')
    expected = policies(['example.com', 'example.org'])

    # The first run writes each domain's policy (names lower-cased) and removes what else is there.
    first = run_mta_sts(tmp_path, directory, webmail_mta_sts_domains=['Example.COM', 'example.org'])
    assert changed(first) == ['Write each domain\'s MTA-STS policy', 'Remove the policies of domains no longer listed']
    built = [result for name, result in first if name == 'Build the MTA-STS policies'][0]
    assert built['mta_sts'] == expected
    assert files(directory) == {'example.com.txt': expected['example.com']['policy'].encode('ascii'),
                                'example.org.txt': expected['example.org']['policy'].encode('ascii')}
    for name in files(directory):
        path = directory / name
        assert oct(path.stat().st_mode & 0o777) == '0o644'
        # The id of the _mta-sts record is the served file's SHA-256.
        assert hashlib.sha256(path.read_bytes()).hexdigest()[:32] == expected[name[:-4]]['id']
    assert files(directory)['example.com.txt'] == b'version: STSv1\r\nmode: testing\r\nmx: mail.example.com\r\nmax_age: 604800\r\n'

    # The same again changes nothing.
    assert changed(run_mta_sts(tmp_path, directory, webmail_mta_sts_domains=['example.com', 'example.org'])) == []

    # A check of another policy and one domain fewer says what would change and changes nothing.
    before = files(directory)
    check = run_mta_sts(tmp_path, directory, check=True, webmail_mta_sts_domains=['example.com'],
                        webmail_mta_sts_mode='enforce')
    assert changed(check) == ['Write each domain\'s MTA-STS policy', 'Remove the policies of domains no longer listed']
    assert files(directory) == before

    # Really: the new policy for the domain left, the other's file removed.
    run_mta_sts(tmp_path, directory, webmail_mta_sts_domains=['example.com'], webmail_mta_sts_mode='enforce',
                webmail_mta_sts_max_age=86400)
    assert files(directory) == {
        'example.com.txt': policies(['example.com'], mode='enforce', max_age=86400)['example.com']['policy'].encode('ascii')}

    # No domains: no module call, every file removed, and then nothing more to do.
    none = run_mta_sts(tmp_path, directory)
    assert [result.get('skipped') for name, result in none if name == 'Build the MTA-STS policies'] == [True]
    assert files(directory) == {}
    assert changed(run_mta_sts(tmp_path, directory)) == []


def test_a_check_of_a_host_without_the_directory_says_it_would_write_the_policy(tmp_path):
    directory = tmp_path / 'missing'
    results = run_mta_sts(tmp_path, directory, check=True, webmail_mta_sts_domains=['example.com'])
    assert changed(results) == ['Create the MTA-STS policies\' directory', 'Write each domain\'s MTA-STS policy']
    assert not directory.exists()
