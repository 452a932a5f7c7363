# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The webmail's S/MIME key service (roles/webmail/files/mailroom-smime and mailroom_smime.py):
PKCS#12 import (modern, 3DES, RC2-40), the key at rest, signing and decrypting through the openssl
command line, collecting signers' certificates, the request framing and the names that become
paths. Dovecot's authentication and userdb are replaced; openssl is the host's own."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io
import json
import os
import shutil
import socket
import subprocess
import sys

import pytest

from ansible_collections.mailroom.server.tests.unit.roles import role_program
from ansible_collections.mailroom.server.tests.unit.roles.smime_pki import Pki

role_program.files('webmail')

import mailroom_smime as core  # noqa: E402  pylint: disable=wrong-import-position

program = role_program.load('webmail', 'mailroom-smime', 'mailroom_smime_program')

pytestmark = pytest.mark.skipif(shutil.which('openssl') is None, reason='needs the openssl command line')

MASTER = b'0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'
OWNER = {'uid': '1000', 'home': '/home/alice'}


@pytest.fixture(scope='module')
def pki(tmp_path_factory):
    return Pki(str(tmp_path_factory.mktemp('pki')))


@pytest.fixture
def host(tmp_path, monkeypatch, pki):
    """The service's paths in a temporary folder, Dovecot accepting alice/secret and bob/secret."""
    master = tmp_path / 'master.key'
    master.write_bytes(MASTER + b'\n')
    monkeypatch.setattr(program, 'MASTER_KEY', str(master))
    monkeypatch.setattr(program, 'STATE_DIR', str(tmp_path / 'state'))
    monkeypatch.setattr(program, 'CA_BUNDLE', pki.path('ca.crt'))
    # No policy file: S/MIME allowed, as on a host where the module never ran.
    monkeypatch.setattr(program, 'POLICY_FILE', str(tmp_path / 'no-policy.json'))
    monkeypatch.setattr(program, 'FAILED_LOGIN_DELAY', 0)
    monkeypatch.setattr(program, 'authenticate',
                        lambda user, password, service: user.split('@')[0]
                        if password == 'secret' and service == 'mailroom-smime' else None)
    owners = {'alice': OWNER, 'bob': {'uid': '1001', 'home': '/home/bob'}}
    lookups = []
    monkeypatch.setattr(program, 'start_owner_lookup',
                        lambda user: lookups.append(user) or UserLookup(owners.get(user)))
    owners['lookups'] = lookups
    return owners


class UserLookup(object):
    """What subprocess.Popen of `doveadm user -- LOGIN` gives the service, for a user or none."""

    def __init__(self, owner):
        self.returncode = 0 if owner else 67
        self.output = ('field\tvalue\nuid\t%(uid)s\nhome\t%(home)s\nmail\tmaildir:~/Maildir\n' % owner).encode() \
            if owner else b''

    def communicate(self, timeout=None):
        return self.output, b'' if self.output else b"userdb lookup: user doesn't exist\n"

    def poll(self):
        return self.returncode


def ask(op, payload=b'', user='alice', **fields):
    """One request through the framing, as the socket would carry it: (answer, payload)."""
    request = dict(fields, op=op, user=user, password=fields.pop('password', 'secret'), payload_bytes=len(payload))
    out = io.BytesIO()
    program.answer_one(io.BytesIO((json.dumps(request) + '\n').encode('utf-8') + payload), out)
    line, _newline, rest = out.getvalue().partition(b'\n')
    answer = json.loads(line.decode('utf-8'))
    assert len(rest) == answer['payload_bytes']
    return answer, rest


def openssl(*args, data=None, check=True):
    return subprocess.run(('openssl',) + args, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          check=check)


def key_file(login='alice'):
    return os.path.join(program.STATE_DIR, 'users', login, 'key.pem')


# --- import ------------------------------------------------------------------------------------------

@pytest.mark.parametrize('options', [
    (),
    ('-keypbe', 'PBE-SHA1-3DES', '-certpbe', 'PBE-SHA1-3DES', '-macalg', 'sha1'),
    ('-legacy', '-keypbe', 'PBE-SHA1-RC2-40', '-certpbe', 'PBE-SHA1-RC2-40'),
], ids=['modern', '3des', 'rc2-40'])
def test_pkcs12_files_old_and_new_import(host, pki, options):
    answer = ask('import', pki.p12('alice', 'p12 pass', *options), p12_password='p12 pass')[0]
    assert answer['ok'], answer
    facts = answer['certificate']
    assert facts['emails'] == ['alice@example.org']
    assert 'CN=Alice' in facts['subject'] and facts['issuer'] == 'CN=Mailroom Test CA'
    assert core.FINGERPRINT.match(facts['fingerprint'])
    status = ask('status')[0]
    assert status['certificate']['fingerprint'] == facts['fingerprint']
    assert 'generation' not in status['certificate']
    assert status['certificate']['pem'].startswith('-----BEGIN CERTIFICATE-----')
    # The CA that came along is the chain, not the user's certificate.
    assert 'Mailroom Test CA' in openssl('x509', '-noout', '-subject', data=status['certificate']['chain'].encode()
                                         ).stdout.decode()


def test_a_wrong_password_is_a_clear_error(host, pki):
    answer = ask('import', pki.p12('alice', 'right'), p12_password='wrong')[0]
    assert answer == {'ok': False, 'error': 'The password does not open this PKCS#12 file.', 'payload_bytes': 0}
    assert not os.path.exists(key_file())


@pytest.mark.parametrize('payload, password, message', [
    (b'not a pkcs12 file', 'x', 'not a PKCS#12 file'),
    (b'', 'x', 'A PKCS#12 file'),
    (b'x' * (core.P12_MAX_BYTES + 1), 'x', 'A PKCS#12 file'),
    (b'x', 'two\nlines', 'one line'),
    (b'x', None, 'one line'),
])
def test_unusable_uploads_are_refused(host, payload, password, message):
    answer = ask('import', payload, p12_password=password)[0]
    assert not answer['ok'] and message in answer['error']


def test_the_key_is_kept_encrypted_under_the_derived_secret(host, pki):
    ask('import', pki.p12('alice', 'pw'), p12_password='pw')
    stored = open(key_file(), 'rb').read()
    plain = pki.read('alice.key')
    body = b''.join(plain.splitlines()[1:-1])
    assert b'ENCRYPTED PRIVATE KEY' in stored and body[:64] not in stored.replace(b'\n', b'')
    meta = json.load(open(os.path.join(program.STATE_DIR, 'users', 'alice', 'meta.json')))
    secret = core.user_secret(MASTER, 'alice', meta['generation'])
    opened = openssl('pkey', '-passin', 'pass:' + secret, data=stored).stdout
    assert openssl('pkey', '-pubout', data=opened).stdout == openssl('pkey', '-pubout', data=plain).stdout
    assert openssl('pkey', '-passin', 'pass:' + core.user_secret(MASTER, 'bob', meta['generation']),
                   data=stored, check=False).returncode != 0
    assert openssl('pkey', '-passin', 'pass:' + core.user_secret(b'x' * 64, 'alice', meta['generation']),
                   data=stored, check=False).returncode != 0
    for name in os.listdir(os.path.dirname(key_file())):
        assert os.stat(os.path.join(os.path.dirname(key_file()), name)).st_mode & 0o077 == 0


def test_replacing_the_key_changes_the_generation(host, pki):
    ask('import', pki.p12('alice', 'pw'), p12_password='pw')
    meta_path = os.path.join(program.STATE_DIR, 'users', 'alice', 'meta.json')
    first = json.load(open(meta_path))['generation']
    old_key = open(key_file(), 'rb').read()
    ask('import', pki.p12('alice', 'pw'), p12_password='pw')
    second = json.load(open(meta_path))['generation']
    assert first != second
    assert openssl('pkey', '-passin', 'pass:' + core.user_secret(MASTER, 'alice', second),
                   data=old_key, check=False).returncode != 0


def test_delete_forgets_the_key_and_keeps_recipients(host, pki):
    ask('import', pki.p12('alice', 'pw'), p12_password='pw')
    ask('add_recipient', pki.read('bob.crt'))
    assert ask('delete')[0]['ok']
    status = ask('status')[0]
    assert status['certificate'] is None and list(status['recipients']) == ['bob@example.org']
    assert not os.path.exists(key_file())
    answer = ask('sign', b'text')[0]
    assert 'no S/MIME certificate' in answer['error']


def test_a_pkcs12_without_a_key_is_refused(host, pki):
    certificate_only = openssl('pkcs12', '-export', '-nokeys', '-in', pki.path('alice.crt'), '-passout', 'pass:pw').stdout
    answer = ask('import', certificate_only, p12_password='pw')[0]
    assert not answer['ok'] and 'one private key and its certificate' in answer['error']


# --- sign and decrypt -----------------------------------------------------------------------------------

def test_signatures_verify_with_openssl_cms(host, pki, tmp_path):
    ask('import', pki.p12('alice', 'pw'), p12_password='pw')
    entity = b'Content-Type: text/plain; charset=utf-8\r\n\r\nHello Bob,  \r\nsigned.\r\n'
    answer, signature = ask('sign', entity)
    assert answer['ok']
    (tmp_path / 'entity').write_bytes(entity)
    (tmp_path / 'sig.der').write_bytes(signature)
    verified = openssl('cms', '-verify', '-binary', '-inform', 'DER', '-in', str(tmp_path / 'sig.der'),
                       '-content', str(tmp_path / 'entity'), '-CAfile', pki.path('ca.crt'), '-out', os.devnull,
                       check=False)
    assert verified.returncode == 0, verified.stderr
    (tmp_path / 'entity').write_bytes(entity.replace(b'Bob', b'Eve'))
    assert openssl('cms', '-verify', '-binary', '-inform', 'DER', '-in', str(tmp_path / 'sig.der'),
                   '-content', str(tmp_path / 'entity'), '-CAfile', pki.path('ca.crt'), '-out', os.devnull,
                   check=False).returncode != 0
    printed = openssl('cms', '-cmsout', '-print', '-inform', 'DER', '-in', str(tmp_path / 'sig.der')).stdout
    assert b'sha256' in printed


@pytest.mark.parametrize('cipher', ['-aes256', '-aes-256-gcm', '-des3', '-rc2-40'])
def test_decrypts_what_openssl_cms_encrypts(host, pki, tmp_path, cipher):
    ask('import', pki.p12('alice', 'pw'), p12_password='pw')
    plain = b'Content-Type: text/plain\r\n\r\nfor alice\r\n'
    (tmp_path / 'plain').write_bytes(plain)
    extra = ('-provider', 'default', '-provider', 'legacy') if cipher == '-rc2-40' else ()
    der = openssl('cms', '-encrypt', '-binary', '-outform', 'DER', cipher, *extra, '-in', str(tmp_path / 'plain'),
                  pki.path('bob.crt'), pki.path('alice.crt')).stdout
    answer, content = ask('decrypt', der)
    assert answer['ok'] and content == plain


def test_signing_and_decrypting_answer_with_the_status(host, pki, tmp_path):
    """The plugin encrypts to and verifies with what these answers carry, asking no status."""
    ask('import', pki.p12('alice', 'pw'), p12_password='pw')
    ask('add_recipient', pki.read('bob.crt'))
    status = ask('status')[0]
    answer = ask('sign', b'Content-Type: text/plain\r\n\r\nHi\r\n')[0]
    assert answer['ok'] and answer['recipients'] == status['recipients'] and 'bob@example.org' in answer['recipients']
    assert answer['certificate']['pem'] == status['certificate']['pem'] and answer['trusted'] == status['trusted']
    (tmp_path / 'plain').write_bytes(b'for alice')
    der = openssl('cms', '-encrypt', '-outform', 'DER', '-aes256', '-in', str(tmp_path / 'plain'),
                  pki.path('alice.crt')).stdout
    answer = ask('decrypt', der)[0]
    assert answer['ok'] and answer['certificate']['emails'] == ['alice@example.org']
    assert answer['recipients'] == status['recipients']


def test_mail_for_someone_else_is_refused_clearly(host, pki, tmp_path):
    ask('import', pki.p12('alice', 'pw'), p12_password='pw')
    (tmp_path / 'plain').write_bytes(b'for bob only')
    der = openssl('cms', '-encrypt', '-outform', 'DER', '-aes256', '-in', str(tmp_path / 'plain'),
                  pki.path('bob.crt')).stdout
    answer, content = ask('decrypt', der)
    assert not answer['ok'] and 'not encrypted for your certificate' in answer['error'] and content == b''


# --- others' certificates -----------------------------------------------------------------------------

def signed_by(pki, tmp_path, name, text=b'Content-Type: text/plain\r\n\r\nHello\r\n'):
    (tmp_path / 'msg').write_bytes(text)
    return openssl('cms', '-sign', '-in', str(tmp_path / 'msg'), '-signer', pki.path(name + '.crt'),
                   '-inkey', pki.path(name + '.key')).stdout


def test_signers_are_collected_only_after_verification(host, pki, tmp_path):
    signed = signed_by(pki, tmp_path, 'bob')
    answer = ask('collect', signed)[0]
    assert answer['ok'] and answer['certificate']['emails'] == ['bob@example.org']
    assert list(ask('status')[0]['recipients']) == ['bob@example.org']
    tampered = signed.replace(b'Hello', b'Hallo')
    assert tampered != signed
    answer = ask('collect', tampered, user='bob')[0]
    assert not answer['ok'] and 'does not verify' in answer['error']
    assert ask('status', user='bob')[0]['recipients'] == {}


def test_signers_of_an_unknown_ca_need_the_users_trust(host, pki, tmp_path):
    signed = signed_by(pki, tmp_path, 'mallory')
    assert not ask('collect', signed)[0]['ok']
    added = ask('add_trust', pki.read('otherca.crt'))[0]
    assert added['ok']
    assert ask('collect', signed)[0]['ok']
    assert list(ask('status')[0]['recipients']) == ['mallory@example.org']
    removed = ask('remove_trust', fingerprint=added['certificate']['fingerprint'])[0]
    assert removed['removed'] and ask('status')[0]['trusted'] == {}


def test_expired_signers_are_not_collected(host, pki, tmp_path):
    assert not ask('collect', signed_by(pki, tmp_path, 'carol'))[0]['ok']


def test_trust_takes_only_cas(host, pki):
    answer = ask('add_trust', pki.read('bob.crt'))[0]
    assert not answer['ok'] and 'not a certification authority' in answer['error']


def test_uploaded_recipient_certificates_pem_or_der(host, pki):
    der = openssl('x509', '-outform', 'DER', '-in', pki.path('bob.crt')).stdout
    assert ask('add_recipient', der)[0]['certificate']['emails'] == ['bob@example.org']
    assert ask('remove_recipient', address='Bob@Example.org')[0]['removed']
    assert not ask('add_recipient', b'garbage')[0]['ok']


# --- names, framing, authentication -------------------------------------------------------------------

@pytest.mark.parametrize('login', ['../alice', 'a/b', 'alice\n', '.hidden', '', 'Alice', 'a' * 129, None, 5])
def test_hostile_logins_name_no_path(login):
    with pytest.raises(core.Refused):
        program.UserStore(login)
    with pytest.raises(core.Refused):
        core.user_secret(MASTER, login, 1)


@pytest.mark.parametrize('value', ['a/b@example.org', '../x@example.org', 'x@example.org\nbcc', '.x@example.org',
                                   'x@../example.org', 'x@example', 'x@-a.org', None])
def test_hostile_addresses_name_no_file(value):
    with pytest.raises(core.Refused):
        core.address(value)


def test_addresses_and_fingerprints_are_normalised():
    assert core.address(' Bob@Example.ORG ') == 'bob@example.org'
    assert core.fingerprint('AB:' * 31 + 'CD') == 'ab' * 31 + 'cd'
    for bad in ('../' + 'a' * 61, 'g' * 64, ''):
        with pytest.raises(core.Refused):
            core.fingerprint(bad)


def test_remove_recipient_refuses_path_tricks(host):
    answer = ask('remove_recipient', address='../../meta.json@x.org')[0]
    assert not answer['ok']


@pytest.mark.parametrize('data, message', [
    (b'{"op": "status"' + b' ' * core.REQUEST_MAX_BYTES + b'}\n', 'too large'),
    (b'{"op": "status"}', 'cut short'),
    (b'not json\n', 'not JSON'),
    (b'[1]\n', 'must be an object'),
    (b'{"payload_bytes": -1}\n', 'size in bytes'),
    (b'{"payload_bytes": true}\n', 'size in bytes'),
    (b'{"payload_bytes": "5"}\n', 'size in bytes'),
    (b'{"payload_bytes": 10}\nshort', 'cut short'),
    (b'{"payload_bytes": %d}\n' % (core.PAYLOAD_MAX_BYTES + 1), 'larger than'),
])
def test_the_framing_is_bounded(data, message):
    with pytest.raises(core.Refused, match=message):
        core.read_request(io.BytesIO(data))


def test_the_framing_reads_exactly_the_payload():
    request, payload = core.read_request(io.BytesIO(b'{"op": "sign", "payload_bytes": 3}\nabcdef'))
    assert request['op'] == 'sign' and payload == b'abc'
    frame = core.answer_frame({'ok': True}, b'\x00\xff')
    assert frame == b'{"ok": true, "payload_bytes": 2}\n\x00\xff'


def test_a_wrong_password_gets_nothing(host, pki):
    ask('import', pki.p12('alice', 'pw'), p12_password='pw')
    answer, payload = ask('sign', b'x', password='wrong')
    assert answer == {'ok': False, 'error': 'Your login was not accepted.', 'payload_bytes': 0} and payload == b''


def test_unknown_requests_are_refused(host):
    assert 'unknown request' in ask('shell')[0]['error']


def test_another_user_with_the_same_login_does_not_inherit_the_key(host, pki):
    ask('import', pki.p12('alice', 'pw'), p12_password='pw')
    host['alice'] = {'uid': '2000', 'home': '/home/alice'}
    assert ask('status')[0]['certificate'] is None
    retired = os.listdir(os.path.join(program.STATE_DIR, 'retired'))
    assert len(retired) == 1 and retired[0].startswith('alice-')


def test_the_user_is_looked_up_once_under_dovecots_name(host, pki):
    """The lookup starts with the request's name while the password is checked; when Dovecot
    names the user otherwise (alice@example.org is alice here), that name is looked up."""
    assert ask('status')[0]['ok'] and host['lookups'] == ['alice']
    del host['lookups'][:]
    assert ask('import', pki.p12('alice', 'pw'), user='alice@example.org', p12_password='pw')[0]['ok']
    assert host['lookups'] == ['alice@example.org', 'alice']
    assert os.path.isfile(key_file('alice'))
    del host['lookups'][:]
    assert ask('status', user='carol')[0]['error'] == 'S/MIME is not available for this login'
    assert ask('status', password='wrong')[0]['error'] == 'Your login was not accepted.'


def test_the_secret_depends_on_every_part():
    secret = core.user_secret(MASTER, 'alice', 1)
    assert len(secret) == 64
    assert secret != core.user_secret(MASTER, 'alice', 2)
    assert secret != core.user_secret(MASTER, 'alicf', 1)
    assert secret != core.user_secret(MASTER[::-1], 'alice', 1)
    with pytest.raises(ValueError):
        core.user_secret(b'short', 'alice', 1)


def test_certificate_facts_come_from_openssl_output():
    printed = (b'subject=CN=Alice,emailAddress=alice@example.org\nissuer=CN=CA\nnotBefore=Jan  1 00:00:00 2026 GMT\n'
               b'notAfter=Jan  1 00:00:00 2027 GMT\nsha256 Fingerprint=' + b'AB:' * 31 + b'CD\n')
    facts = core.certificate_facts(printed, b'Alice@Example.org\nnot an address\nalice@example.org\n')
    assert facts['emails'] == ['alice@example.org'] and facts['fingerprint'] == 'ab' * 31 + 'cd'
    assert facts['not_after'] == 'Jan  1 00:00:00 2027 GMT'
    with pytest.raises(core.Refused):
        core.certificate_facts(b'subject=CN=x\n', b'')


def test_openssl_failing_unexpectedly_is_a_plain_refusal(host, pki, monkeypatch):
    def broken(_pem):
        raise program.OpensslFailed(b'unexpected trouble\n')
    monkeypatch.setattr(program, 'describe', broken)
    answer = ask('add_recipient', pki.read('bob.crt'))[0]
    assert answer == {'ok': False, 'error': 'The S/MIME service could not do this (see its log).', 'payload_bytes': 0}


@pytest.mark.parametrize('text, allowed', [
    ('', True),
    ('{"refuse_encrypted": []}', True),
    ('{"refuse_encrypted": ["openpgp"]}', True),
    ('{"refuse_encrypted": ["openpgp", "smime"]}', False),
    ('{"refuse_encrypted": "smime"}', True),
    ('not json', True),
    ('["smime"]', True),
])
def test_the_policy_file_as_the_milter_reads_it(text, allowed):
    assert core.smime_allowed(text) is allowed


def test_nothing_but_status_and_delete_while_smime_is_off(host, pki):
    ask('import', pki.p12('alice', 'pw'), p12_password='pw')
    with open(program.POLICY_FILE, 'w') as refused:
        refused.write('{"refuse_encrypted": ["smime"]}')
    for op, payload in (('sign', b'x'), ('decrypt', b'x'), ('import', pki.p12('alice', 'pw')),
                        ('add_recipient', pki.read('bob.crt')), ('collect', b'x')):
        assert ask(op, payload, p12_password='pw')[0]['error'] == 'S/MIME is turned off by the administrator.'
    assert ask('status')[0]['certificate']['emails'] == ['alice@example.org']
    assert ask('delete')[0]['ok']
    with open(program.POLICY_FILE, 'w') as allowed:
        allowed.write('{"refuse_encrypted": ["openpgp"]}')
    assert ask('import', pki.p12('alice', 'pw'), p12_password='pw')[0]['ok']


def test_an_unreadable_owner_record_sets_the_keys_aside(host, pki):
    ask('import', pki.p12('alice', 'pw'), p12_password='pw')
    with open(os.path.join(program.STATE_DIR, 'users', 'alice', 'owner.json'), 'wb') as owner:
        owner.write(b'\xff not json')
    assert ask('status')[0]['certificate'] is None
    assert len(os.listdir(os.path.join(program.STATE_DIR, 'retired'))) == 1
    assert core.recorded_owner(b'["a list"]') is None and core.recorded_owner(b'{"uid": "1"}') == {'uid': '1'}


# --- the socket systemd hands over ------------------------------------------------------------------------

def program_environment():
    """The program's environment as a process of its own: the imap role's module beside it."""
    return dict(os.environ, PYTHONPATH=role_program.files('imap'))


@pytest.fixture
def started_service(tmp_path):
    """The program as mailroom-smime-webmail.socket starts it: a listening socket as descriptor 3,
    LISTEN_PID and LISTEN_FDS. Yields the socket's path."""
    path = str(tmp_path / 'webmail.sock')
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(8)
    # A launcher that puts the socket on descriptor 3 and execs the program in its own process.
    launcher = ('import os, sys\n'
                'os.dup2(%d, 3)\n'
                'os.environ.update(LISTEN_PID=str(os.getpid()), LISTEN_FDS="1")\n'
                'os.execv(sys.executable, [sys.executable, sys.argv[1], "serve"])\n' % listener.fileno())
    process = subprocess.Popen([sys.executable, '-c', launcher,
                                os.path.join(role_program.files('webmail'), 'mailroom-smime')],
                               pass_fds=(listener.fileno(),), env=program_environment())
    listener.close()
    yield path
    process.kill()
    process.wait()


def request_line(path, line, timeout=20):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(timeout)
        conn.connect(path)
        conn.sendall(line)
        conn.shutdown(socket.SHUT_WR)
        return json.loads(conn.makefile('rb').readline().decode('utf-8'))


def test_a_stalled_request_does_not_hold_up_the_next(started_service):
    """Each connection has a process of its own: a client that sends half a request (or nothing)
    keeps its child waiting, not the service."""
    stalled = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stalled.connect(started_service)
    stalled.sendall(b'{"op": "status", ')
    try:
        for _attempt in range(3):
            assert request_line(started_service, b'not json\n') == {'ok': False, 'error': 'the request is not JSON',
                                                                    'payload_bytes': 0}
    finally:
        stalled.close()


def test_serving_needs_the_socket_from_systemd():
    ran = subprocess.run([sys.executable, os.path.join(role_program.files('webmail'), 'mailroom-smime'), 'serve'],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False, timeout=60,
                         env=dict(program_environment(), LISTEN_PID='1', LISTEN_FDS='1'))
    assert ran.returncode == 2 and b'started by mailroom-smime-webmail.socket' in ran.stderr
