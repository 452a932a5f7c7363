# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The dns_records module end to end: it reads a DKIM private key file and returns only the
public half, never changes anything (check mode or not), and fails naming the option."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import subprocess

import pytest

from ansible_collections.mailroom.server.plugins.modules import dns_records
from ansible_collections.mailroom.server.tests.unit.plugins.module_utils.fake_module import run_main


def run_module(capsys, args):
    return run_main(dns_records.main, args, capsys)


@pytest.fixture
def key_file(tmp_path):
    path = tmp_path / 'example.com.s1.key'
    subprocess.run(['openssl', 'genpkey', '-algorithm', 'ED25519', '-out', str(path)], check=True)
    der = subprocess.run(['openssl', 'pkey', '-in', str(path), '-pubout', '-outform', 'DER'], check=True,
                         stdout=subprocess.PIPE).stdout
    private_der = subprocess.run(['openssl', 'pkey', '-in', str(path), '-outform', 'DER'], check=True,
                                 stdout=subprocess.PIPE).stdout
    return path, base64.b64encode(der[12:]).decode('ascii'), private_der


ARGS = dict(domains=['example.com'], mail_host='mail.example.com', ipv4=['192.0.2.25'])


@pytest.mark.parametrize('check_mode', [False, True])
def test_the_module_returns_the_records_and_only_the_public_key(key_file, capsys, check_mode):
    path, public, private_der = key_file
    args = dict(ARGS, dkim=[dict(domain='example.com', selector='s1', private_key_path=str(path))],
                _ansible_check_mode=check_mode)
    result, captured = run_module(capsys, args)
    assert result['changed'] is False and not result.get('failed')
    (dkim,) = [record for record in result['records'] if record['purpose'] == 'dkim']
    assert dkim['name'] == 's1._domainkey.example.com.' and dkim['value'] == 'v=DKIM1; k=ed25519; p=' + public
    assert 's1._domainkey.example.com. 3600 IN TXT "v=DKIM1; k=ed25519; p=%s"' % public in result['zones']['example.com']
    assert set(result['mta_sts']) == {'example.com'}
    # The seed is the last 32 bytes of the private key's DER: none of it, nor the PEM, may leave.
    seed = base64.b64encode(private_der[-32:]).decode('ascii')
    assert seed not in captured.out and path.read_text().splitlines()[1] not in captured.out


@pytest.mark.parametrize('args, message', [
    (dict(ARGS, domains=['example.com\nx. 1 IN A 192.0.2.66']), 'domains[0] is not a host name'),
    (dict(ARGS, dmarc_rua='a@example.com; p=none'), 'dmarc_rua (the domain after @) is not a host name'),
    (dict(ARGS, dkim=[dict(domain='example.com', selector='s1', private_key_path='/nonexistent/k.key')]),
     'dkim[0].private_key_path: cannot read /nonexistent/k.key'),
    (dict(ARGS, dkim=[dict(domain='example.com', selector='s1', public_key='garbage')]),
     'dkim[0].public_key is not a PEM public key'),
])
def test_the_module_fails_naming_the_option(capsys, args, message):
    result, _captured = run_module(capsys, args)
    assert result['failed'] is True and message in result['msg']
    assert 'records' not in result


def test_a_key_file_that_is_not_a_key_is_refused_without_its_content(tmp_path, capsys):
    path = tmp_path / 'notes.txt'
    path.write_text('secret words\n')
    args = dict(ARGS, dkim=[dict(domain='example.com', selector='s1', private_key_path=str(path))])
    result, captured = run_module(capsys, args)
    assert result['msg'] == 'dkim[0].private_key_path is not a PEM private key'
    assert 'secret words' not in captured.out
