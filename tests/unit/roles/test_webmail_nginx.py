# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The webmail's nginx site, rendered with two MTA-STS domains, accepted and served by Debian's
own nginx (the package unpacked, never installed; scripts/test unit unpacks it): on loopback and
ports of its own, with a self-signed certificate, its MTA-STS servers answer as senders need
(tests/integration/targets/mta_sts/files/fetch.py asks as a sender does)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os
import pathlib
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import pytest

from ansible_collections.mailroom.server.plugins.module_utils import _dns_records as dns
from ansible_collections.mailroom.server.tests.unit.roles import role_files

ROLE = 'webmail'
FETCH = os.path.join(role_files.ROOT, 'tests', 'integration', 'targets', 'mta_sts', 'files', 'fetch.py')
NGINX_ROOT = role_files.unpacked_root('nginx')
# CI unpacks nginx (scripts/test unit); elsewhere these tests wait until it is there.
pytestmark = pytest.mark.skipif(NGINX_ROOT is None and not os.environ.get('CI'),
                                reason='nginx is not unpacked: run scripts/test unit')


def free_port():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def render(template, **variables):
    return role_files.render(ROLE, template, variables)


DOMAINS = ['example.com', 'example.org']


@pytest.fixture(scope='module')
def nginx():
    """Debian's nginx with the role's site (two MTA-STS domains) on two free loopback ports.
    Under a directory all may enter (pytest's are root's only): run by root, nginx's workers are
    nobody, and read the policies only as the role's modes let them (files 0644, directories 0755)."""
    base = pathlib.Path(tempfile.mkdtemp(prefix='mailroom-nginx-'))
    os.chmod(str(base), 0o755)
    try:
        yield from serve(base)
    finally:
        shutil.rmtree(str(base), ignore_errors=True)


def serve(base):
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=mail.example.com',
                    '-addext', 'subjectAltName=DNS:mail.example.com,DNS:mta-sts.example.com,DNS:mta-sts.example.org',
                    '-keyout', str(base / 'mail.key'), '-out', str(base / 'mail.crt')],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    policy_dir = base / 'mta-sts'
    policy_dir.mkdir()
    os.chmod(str(policy_dir), 0o755)
    config = dns.normalise(dict(domains=DOMAINS, mail_host='mail.example.com'))
    policies = dns.result(config, [])['mta_sts']
    for domain, policy in policies.items():
        (policy_dir / (domain + '.txt')).write_bytes(policy['policy'].encode('ascii'))
        os.chmod(str(policy_dir / (domain + '.txt')), 0o644)
    binary = os.path.join(NGINX_ROOT, 'usr', 'sbin', 'nginx')
    version = subprocess.run([binary, '-v'], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                             check=False).stdout
    release = tuple(int(part) for part in re.search(r'nginx/([0-9.]+)', version).group(1).split('.'))
    http, https = free_port(), free_port()
    variables = role_files.role_variables(
        ROLE, ansible_managed='Ansible managed', webmail_ipv6={'stat': {'exists': False}},
        # As the role decides it: Debian 12's nginx (1.22) takes http2 on the listen line, 13's (1.26) `http2 on`.
        webmail_nginx_http2_directive=release >= (1, 25, 1), webmail_client_max_body_mib=36,
        webmail_tls_cert_file=str(base / 'mail.crt'), webmail_tls_key_file=str(base / 'mail.key'),
        webmail_mta_sts_dir=str(policy_dir), webmail_mta_sts_policies=policies)
    site = render('nginx-site.conf.j2', **variables)
    # The site as the role writes it, on loopback ports of the test's own and its includes here.
    site = re.sub(r'listen 80\b', 'listen 127.0.0.1:%d' % http, site)
    site = re.sub(r'listen 443\b', 'listen 127.0.0.1:%d' % https, site)
    site = site.replace('/etc/nginx/mailroom-tls.conf', str(base / 'mailroom-tls.conf'))
    site = site.replace('/etc/nginx/mailroom-locations.d/', str(base / 'locations.d') + '/')
    assert 'listen 80' not in site and 'listen 443' not in site and '/etc/nginx' not in site
    (base / 'site.conf').write_text(site)
    (base / 'mailroom-tls.conf').write_text(render('mailroom-tls.conf.j2', ansible_managed='Ansible managed'))
    (base / 'locations.d').mkdir()
    (base / 'fastcgi_params').write_text('')
    (base / 'nginx.conf').write_text('\n'.join([
        'daemon off;', 'worker_processes 1;', 'pid %s;' % (base / 'nginx.pid'), 'error_log %s;' % (base / 'error.log'),
        'events { worker_connections 64; }',
        'http {',
        '    access_log off;',
        '    client_body_temp_path %s;' % (base / 'body'), '    proxy_temp_path %s;' % (base / 'proxy'),
        '    fastcgi_temp_path %s;' % (base / 'fastcgi'), '    uwsgi_temp_path %s;' % (base / 'uwsgi'),
        '    scgi_temp_path %s;' % (base / 'scgi'),
        # Debian's nginx.conf: .txt files would be text/plain anyway; the site must not rely on it.
        '    types { text/html html; application/octet-stream txt; }',
        '    default_type application/octet-stream;',
        '    include %s;' % (base / 'site.conf'),
        '}', '']))
    command = [binary, '-p', str(base), '-c', str(base / 'nginx.conf')]
    test = subprocess.run(command + ['-t', '-q'], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, check=False)
    assert test.returncode == 0, test.stdout
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _attempt in range(100):
            try:
                socket.create_connection(('127.0.0.1', https), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield {'http': http, 'https': https, 'policies': policies, 'check': test, 'base': base}
    finally:
        process.terminate()
        process.wait(10)


def fetch(nginx, name, path, *options):
    tls = '--http' not in options
    answer = subprocess.run([sys.executable, FETCH, '127.0.0.1', name, path, '--port',
                             str(nginx['https'] if tls else nginx['http'])] + list(options),
                            stdout=subprocess.PIPE, check=True, universal_newlines=True)
    return json.loads(answer.stdout)


@pytest.mark.parametrize('domain', DOMAINS)
def test_each_domain_gets_its_own_policy_as_text_plain_over_https(nginx, domain):
    answer = fetch(nginx, 'mta-sts.' + domain, '/.well-known/mta-sts.txt')
    assert answer['status'] == 200
    assert answer['content_type'] == 'text/plain'
    assert answer['body'] == nginx['policies'][domain]['policy']
    assert hashlib.sha256(answer['body'].encode('utf-8')).hexdigest()[:32] == nginx['policies'][domain]['id']
    assert answer['location'] is None


@pytest.mark.parametrize('path', ['/', '/other', '/index.php', '/.well-known/mta-sts.txt/', '/.well-known/',
                                  '/skins/elastic/watermark.html', '/mailroom-logo/a.png', '/favicon.ico'])
def test_every_other_path_of_an_mta_sts_name_is_not_found(nginx, path):
    answer = fetch(nginx, 'mta-sts.example.com', path)
    assert answer['status'] == 404 and 'STSv1' not in answer['body']


def test_other_methods_are_refused(nginx):
    assert fetch(nginx, 'mta-sts.example.com', '/.well-known/mta-sts.txt', '--method', 'POST')['status'] == 403
    head = fetch(nginx, 'mta-sts.example.com', '/.well-known/mta-sts.txt', '--method', 'HEAD')
    assert head['status'] == 200 and head['body'] == ''


def test_port_80_only_redirects(nginx):
    answer = fetch(nginx, 'mta-sts.example.com', '/.well-known/mta-sts.txt', '--http')
    assert answer['status'] == 301 and 'STSv1' not in answer['body']
    assert answer['location'] == 'https://mta-sts.example.com/.well-known/mta-sts.txt'


def test_names_not_listed_and_the_webmail_get_no_policy(nginx):
    for name in ('mta-sts.example.net', 'mail.example.com', '127.0.0.1'):
        answer = fetch(nginx, name, '/.well-known/mta-sts.txt')
        assert answer['status'] == 404 and 'STSv1' not in answer['body'], name


def test_the_certificate_is_the_webmails(nginx):
    assert fetch(nginx, 'mta-sts.example.org', '/.well-known/mta-sts.txt')['certificate_names'] == [
        'mail.example.com', 'mta-sts.example.com', 'mta-sts.example.org']


def test_nginx_refuses_a_broken_site(nginx, tmp_path):
    # The check above can fail: the same configuration with a name nginx cannot take is refused.
    site = (nginx['base'] / 'site.conf').read_text()
    site = site.replace('server_name mta-sts.example.com;', 'server_name mta-sts.example.com; }')
    (tmp_path / 'site.conf').write_text(site)
    (tmp_path / 'fastcgi_params').write_text('')
    config = (nginx['base'] / 'nginx.conf').read_text()
    config = config.replace(str(nginx['base'] / 'site.conf'), str(tmp_path / 'site.conf'))
    (tmp_path / 'nginx.conf').write_text(config.replace(str(nginx['base'] / 'nginx.pid'), str(tmp_path / 'nginx.pid')))
    binary = os.path.join(NGINX_ROOT, 'usr', 'sbin', 'nginx')
    test = subprocess.run([binary, '-p', str(nginx['base']), '-c', str(tmp_path / 'nginx.conf'), '-t', '-q'],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    assert test.returncode != 0 and '[emerg]' in test.stdout
