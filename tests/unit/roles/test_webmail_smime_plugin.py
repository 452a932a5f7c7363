# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The S/MIME plugin (roles/webmail/files/roundcube-plugins/mailroom_smime), run by PHP itself
(Roundcube is not needed for these parts): its MIME building and reading, the signature status,
its HTML, its client of the S/MIME service (against the real service program behind a socket of
this test's), and interop with the openssl command line both ways, on a test CA made here."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time

import pytest

from ansible_collections.mailroom.server.tests.unit.roles import role_program, roundcube_plugin
from ansible_collections.mailroom.server.tests.unit.roles.smime_pki import Pki

PHP = shutil.which('php')
PLUGIN = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', 'roles', 'webmail', 'files',
                                      'roundcube-plugins', 'mailroom_smime'))

pytestmark = pytest.mark.skipif(PHP is None or shutil.which('openssl') is None, reason='needs php-cli and openssl')

# One call of the plugin's classes. Arguments come as JSON on stdin ({"b64": ...} stands for
# bytes); the answer goes out as JSON with every string as {"b64": ...} (bytes need not be UTF-8),
# exceptions as {"exception": class, "message": text}.
DRIVER = r"""<?php
foreach (['mime', 'status', 'crypto', 'client', 'view'] as $lib) {
    require '%(plugin)s/lib/mailroom_smime_' . $lib . '.php';
}
if (stream_resolve_include_path('Mail/mime.php')) {
    require_once 'Mail/mime.php';
    require '%(plugin)s/lib/mailroom_smime_message.php';
}
function unpack_args($value) {
    if (is_array($value) && array_keys($value) === ['b64']) {
        return base64_decode($value['b64']);
    }
    return is_array($value) ? array_map('unpack_args', $value) : $value;
}
function pack_answer($value) {
    if (is_string($value)) {
        return ['b64' => base64_encode($value)];
    }
    return is_array($value) ? array_map('pack_answer', $value) : $value;
}
$call = unpack_args(json_decode(stream_get_contents(STDIN), true));
$args = $call['args'] ?? [];
try {
    switch ($call['what']) {
        case 'static':
            $answer = call_user_func_array([$call['class'], $call['method']], $args);
            break;
        case 'crypto':
            $crypto = new mailroom_smime_crypto($call['temp_dir'], $call['bundle']);
            $answer = call_user_func_array([$crypto, $call['method']], $args);
            break;
        case 'client':
            $client = new mailroom_smime_client($call['user'], $call['password'], $call['socket'], 10);
            $answer = $client->call(...$args);
            break;
        case 'compose':
            // A message as Roundcube's compose builds it, then what the plugin signs or encrypts.
            $mime = new Mail_mime(['eol' => "\r\n", 'text_charset' => 'UTF-8', 'html_charset' => 'UTF-8',
                'text_encoding' => '8bit', 'head_charset' => 'UTF-8']);
            $mime->headers(['From' => 'alice@example.org', 'To' => 'bob@example.org', 'Subject' => 'Hi',
                'Message-ID' => '<1@example.org>']);
            $mime->setTXTBody($call['text']);
            if (!empty($call['attachment'])) {
                $mime->addAttachment($call['attachment'], 'application/octet-stream', 'data.bin', false);
            }
            $entity = mailroom_smime_message::inner_entity($mime);
            $wrapped = new mailroom_smime_message($mime, $call['content_headers'], $call['content']);
            $file = tempnam(sys_get_temp_dir(), 'msg');
            $wrapped->saveMessageBody($file);
            $answer = ['entity' => $entity, 'message' => $wrapped->getMessage(),
                'headers' => $wrapped->headers(), 'saved_body' => file_get_contents($file)];
            unlink($file);
            break;
    }
}
catch (Throwable $e) {
    $answer = ['exception' => get_class($e), 'message' => $e->getMessage()];
}
echo json_encode(pack_answer($answer));
"""


def unpack(value):
    if isinstance(value, dict) and list(value) == ['b64']:
        return base64.b64decode(value['b64'])
    if isinstance(value, dict):
        return dict((key, unpack(item)) for key, item in value.items())
    if isinstance(value, list):
        return [unpack(item) for item in value]
    return value


def pack(value):
    if isinstance(value, bytes):
        return {'b64': base64.b64encode(value).decode('ascii')}
    if isinstance(value, dict):
        return dict((key, pack(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return [pack(item) for item in value]
    return value


@pytest.fixture(scope='module')
def pki(tmp_path_factory):
    return Pki(str(tmp_path_factory.mktemp('pki')))


@pytest.fixture(scope='module')
def php(tmp_path_factory):
    folder = tmp_path_factory.mktemp('php')
    driver = folder / 'driver.php'
    driver.write_text(DRIVER % {'plugin': PLUGIN})

    def call(what, **arguments):
        arguments['what'] = what
        done = subprocess.run([PHP, '-d', 'display_errors=stderr', '-d', 'error_reporting=-1', str(driver)],
                              input=json.dumps(pack(arguments)).encode(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120, check=False)
        assert done.returncode == 0, done.stderr.decode()
        assert not done.stderr, done.stderr.decode()
        return unpack(json.loads(done.stdout))
    return call


@pytest.fixture
def mime(php):
    return lambda method, *args: php('static', **{'class': 'mailroom_smime_mime', 'method': method, 'args': list(args)})


@pytest.fixture
def crypto(php, tmp_path):
    temp = tmp_path / 'plain'
    temp.mkdir(mode=0o700)

    def call(method, *args):
        return php('crypto', temp_dir=str(temp), bundle='/nonexistent/bundle.crt', method=method, args=list(args))
    call.temp_dir = temp
    return call


def openssl(*args, data=None, check=True):
    done = subprocess.run(('openssl',) + args, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if check:
        assert done.returncode == 0, done.stderr.decode()
    return done


def helper_signature(pki, entity, name='alice', digest='sha256'):
    """A detached DER signature as the S/MIME service makes it (openssl cms -sign -binary)."""
    return openssl('cms', '-sign', '-binary', '-md', digest, '-signer', pki.path(name + '.crt'),
                   '-inkey', pki.path(name + '.key'), '-outform', 'DER', data=entity).stdout


ENTITY = b'Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nHello Bob,  \r\nbye=\r\n'


# --- building -----------------------------------------------------------------------------------------

def test_crlf_makes_every_line_end_crlf(mime):
    assert mime('crlf', b'a\nb\r\nc\r\n\nd') == b'a\r\nb\r\nc\r\n\r\nd'


def test_entity_is_crlf_and_refuses_header_injection(mime):
    entity = mime('entity', {'Content-Type': 'text/plain;\r\n charset=UTF-8'}, b'one\ntwo\n')
    assert entity == b'Content-Type: text/plain;\r\n charset=UTF-8\r\n\r\none\r\ntwo\r\n'
    for headers in ({'Content-Type': 'text/plain\r\nBcc: eve@example.org'}, {'Content-Type': 'a\rb'},
                    {'Bad Name': 'x'}, {'X:Y': 'z'}):
        assert mime('entity', headers, b'x')['exception'] == b'InvalidArgumentException'


def test_boundaries_are_fresh_and_safe(mime):
    first, second = mime('boundary'), mime('boundary')
    assert first != second and first.startswith(b'=_smime_') and len(first) <= 70


@pytest.mark.parametrize('digest, micalg', [('sha256', b'sha-256'), ('sha512', b'sha-512'), ('sha1', b'sha-1'),
                                            ('sha384', b'sha-384')])
def test_micalg_comes_from_the_signatures_digest(mime, pki, digest, micalg):
    assert mime('micalg', helper_signature(pki, ENTITY, digest=digest)) == micalg


def test_micalg_of_something_else_is_null(mime):
    assert mime('micalg', b'\x30\x03\x02\x01\x01') is None


def test_signed_messages_verify_with_openssl_cms(mime, pki, tmp_path):
    signature = helper_signature(pki, ENTITY)
    headers, body = mime('signed', ENTITY, signature, b'=_smime_test')
    content_type = headers['Content-Type']
    assert content_type.startswith(b'multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256;')
    assert b'boundary="=_smime_test"' in content_type
    assert mime('signed_parts', body, b'=_smime_test')[0] == ENTITY
    message = b'From: alice@example.org\r\nMIME-Version: 1.0\r\nContent-Type: ' + content_type + b'\r\n\r\n' + body
    for copy in (message, message.replace(b'\r\n', b'\n')):
        verified = openssl('cms', '-verify', '-CAfile', pki.path('ca.crt'), '-out', os.devnull, data=copy, check=False)
        assert verified.returncode == 0, verified.stderr
    tampered = message.replace(b'Hello Bob', b'Hello Eve')
    assert openssl('cms', '-verify', '-CAfile', pki.path('ca.crt'), data=tampered, check=False).returncode != 0


def test_encrypted_messages_decrypt_with_openssl_cms(mime, crypto, pki):
    der = crypto('encrypt', ENTITY, [pki.read('bob.crt'), pki.read('alice.crt')])
    headers, body = mime('enveloped', der)
    assert headers['Content-Type'] == b'application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"'
    message = b''.join(b'%s: %s\r\n' % (name.encode(), value) for name, value in headers.items()) + b'\r\n' + body
    for name in ('bob', 'alice'):
        plain = openssl('cms', '-decrypt', '-recip', pki.path(name + '.crt'), '-inkey', pki.path(name + '.key'),
                        data=message).stdout
        assert plain == ENTITY
    printed = openssl('cms', '-cmsout', '-print', '-inform', 'DER', data=der).stdout
    assert b'aes-256-cbc' in printed and printed.count(b'd.ktri') == 2
    assert openssl('cms', '-decrypt', '-recip', pki.path('mallory.crt'), '-inkey', pki.path('mallory.key'),
                   data=message, check=False).returncode != 0
    assert list(crypto.temp_dir.iterdir()) == []


def test_signed_then_encrypted_opens_and_verifies_with_openssl(mime, crypto, pki):
    headers, body = mime('signed', ENTITY, helper_signature(pki, ENTITY), mime('boundary'))
    inner = mime('entity', headers, body)
    der = crypto('encrypt', inner, [pki.read('bob.crt'), pki.read('alice.crt')])
    plain = openssl('cms', '-decrypt', '-inform', 'DER', '-recip', pki.path('bob.crt'), '-inkey', pki.path('bob.key'),
                    data=der).stdout
    assert plain == inner
    assert openssl('cms', '-verify', '-CAfile', pki.path('ca.crt'), data=plain, check=False).returncode == 0


def test_encrypting_to_something_not_a_certificate_fails(crypto):
    answer = crypto('encrypt', ENTITY, [b'not a certificate'])
    assert answer['exception'] == b'RuntimeException'


def test_plaintext_never_goes_outside_the_temporary_directory(php, tmp_path):
    answer = php('crypto', temp_dir=str(tmp_path / 'missing'), bundle='/nonexistent', method='encrypt',
                 args=[ENTITY, []])
    assert answer['exception'] == b'RuntimeException' and b'not usable' in answer['message']


def test_compose_entity_is_quoted_printable_and_crlf(php):
    answer = php('compose', text='Grüße, Bob\nline two  \n', attachment=b'',
                 content_headers={'Content-Type': 'application/pkcs7-mime; smime-type=enveloped-data'},
                 content=b'QUJD\r\n')
    entity = answer['entity']
    assert b'Content-Transfer-Encoding: quoted-printable' in entity
    assert b'Gr=C3=BC=C3=9Fe' in entity and b'\xc3' not in entity
    assert b'\n' not in entity.replace(b'\r\n', b'')
    # The message sent: the original's headers, our content.
    message = answer['message']
    assert b'Subject: Hi\r\n' in message and b'From: alice@example.org\r\n' in message
    assert b'Content-Type: application/pkcs7-mime; smime-type=enveloped-data\r\n' in message
    assert message.endswith(b'\r\n\r\nQUJD\r\n') and b'quoted-printable' not in message
    assert answer['headers']['Content-Type'] == b'application/pkcs7-mime; smime-type=enveloped-data'
    assert answer['saved_body'] == b'QUJD\r\n'


def test_compose_entity_with_an_attachment_is_multipart(php, mime):
    answer = php('compose', text='hello', attachment=b'\x00\x01binary\xff',
                 content_headers={'Content-Type': 'text/plain'}, content=b'x')
    head, body = mime('split', answer['entity'])
    content_type, params = mime('content_type', mime('header', head, b'Content-Type'))
    assert content_type == b'multipart/mixed' and params['boundary'] in body


# --- reading --------------------------------------------------------------------------------------------

@pytest.mark.parametrize('value, expected', [
    (b'text/plain', (b'text/plain', {})),
    (None, (b'text/plain', {})),
    (b'Multipart/Signed; Protocol="application/pkcs7-signature"; micalg=SHA-256; boundary="a;b=c"',
     (b'multipart/signed', {'protocol': b'application/pkcs7-signature', 'micalg': b'SHA-256', 'boundary': b'a;b=c'})),
    (b'application/pkcs7-mime; name=smime.p7m;smime-type=enveloped-data',
     (b'application/pkcs7-mime', {'name': b'smime.p7m', 'smime-type': b'enveloped-data'})),
    (b'text/plain; name="a \\"quoted\\" name"', (b'text/plain', {'name': b'a "quoted" name'})),
])
def test_content_types_are_parsed(mime, value, expected):
    assert tuple(mime('content_type', value)) == (expected[0], expected[1] or [])


@pytest.mark.parametrize('content_type, params, kind', [
    ('multipart/signed', {'protocol': 'application/pkcs7-signature'}, b'signed'),
    ('multipart/signed', {'protocol': 'Application/X-PKCS7-Signature'}, b'signed'),
    ('multipart/signed', {'protocol': 'application/pgp-signature'}, None),
    ('application/pkcs7-mime', {'smime-type': 'enveloped-data'}, b'enveloped-data'),
    ('application/pkcs7-mime', {'smime-type': 'authEnveloped-data'}, b'enveloped-data'),
    ('application/x-pkcs7-mime', {'smime-type': 'signed-data'}, b'signed-data'),
    ('application/pkcs7-mime', {'smime-type': 'certs-only'}, None),
    ('application/x-pkcs7-mime', {'name': 'smime.p7m'}, b'enveloped-data'),
    ('application/pkcs7-mime', {'name': 'certs.p7c'}, None),
    ('text/plain', {}, None),
])
def test_kinds_of_smime(mime, content_type, params, kind):
    assert mime('kind', content_type, params) == kind


def test_the_cms_content_type_decides_the_kind(mime, pki):
    """Senders leave smime-type out or call everything smime.p7m: the DER says what it is."""
    signed = openssl('cms', '-sign', '-nodetach', '-outform', 'DER', '-signer', pki.path('bob.crt'),
                     '-inkey', pki.path('bob.key'), data=b'x').stdout
    assert mime('der_kind', signed) == b'signed-data'
    for cipher in ('-aes256', '-aes-256-gcm'):
        enveloped = openssl('cms', '-encrypt', '-outform', 'DER', cipher, pki.path('bob.crt'), data=b'x').stdout
        assert mime('der_kind', enveloped) == b'enveloped-data'
    for other in (b'', b'\x30', b'\x31\x03\x06\x01\x00', b'\x30\x03\x02\x01\x01', b'\x30\x82\x01'):
        assert mime('der_kind', other) is None


def test_signed_parts_are_the_exact_signed_bytes(mime):
    body = (b'preamble mentions --b inside a line\r\n--b\r\nContent-Type: text/plain\r\n\r\nsigned  \r\n\r\n'
            b'--b\r\nContent-Type: application/pkcs7-signature\r\n\r\nSIG\r\n--b--\r\nepilogue')
    entity, signature = mime('signed_parts', body, b'b')
    assert entity == b'Content-Type: text/plain\r\n\r\nsigned  \r\n'
    assert signature == b'Content-Type: application/pkcs7-signature\r\n\r\nSIG'
    lf = mime('signed_parts', body.replace(b'\r\n', b'\n'), b'b')
    assert lf[0] == b'Content-Type: text/plain\n\nsigned  \n'


@pytest.mark.parametrize('body', [
    b'--b\r\nonly one part\r\n--b--\r\n',
    b'--b\r\none\r\n--b\r\ntwo\r\n--b\r\nthree\r\n--b--\r\n',
    b'no boundary at all',
    b'x--b\r\nnot at a line start\r\n--b\r\ntwo\r\n--b--',
])
def test_signed_parts_refuse_what_is_not_two_parts(mime, body):
    assert mime('signed_parts', body, b'b') is None


def test_signed_parts_refuse_bad_boundaries(mime):
    assert mime('signed_parts', b'--\r\na\r\n--\r\nb\r\n----', b'') is None
    assert mime('signed_parts', b'x', b'b' * 71) is None


def test_decoded_bodies(mime):
    assert mime('decoded_body', b'Content-Transfer-Encoding: base64\r\n\r\nAAEC\r\n/w==\r\n') == b'\x00\x01\x02\xff'
    assert mime('decoded_body', b'Content-Transfer-Encoding: Quoted-Printable\n\na=3Db=\r\nc') == b'a=bc'
    assert mime('decoded_body', b'Content-Type: text/plain\r\n\r\nas is') == b'as is'


@pytest.mark.parametrize('value, expected', [
    (b'Bob <Bob@Example.org>, carol@example.org', [b'bob@example.org', b'carol@example.org']),
    (b'"Smith, John <x@evil.org>" <john@example.org>', [b'john@example.org']),
    (b'friends: a@example.org, b@example.org;', [b'a@example.org', b'b@example.org']),
    (b'a@example.org (a@other.org), A@example.org', [b'a@example.org']),
    (b'', []),
    (None, []),
])
def test_addresses_of_recipient_headers(mime, value, expected):
    assert mime('addresses', value) == expected


def test_reads_detached_signatures_of_openssl_cms(mime, crypto, pki):
    signed = openssl('cms', '-sign', '-signer', pki.path('bob.crt'), '-inkey', pki.path('bob.key'),
                     data=b'Content-Type: text/plain\r\n\r\nHello Alice  \r\n').stdout
    for copy in (signed, signed.replace(b'\r\n', b'\n')):
        head, body = mime('split', copy)
        content_type, params = mime('content_type', mime('header', head, b'Content-Type'))
        assert mime('kind', content_type, params) == b'signed'
        entity, signature_part = mime('signed_parts', body, params['boundary'])
        result = crypto('verify_detached', entity, mime('decoded_body', signature_part), [pki.read('ca.crt')],
                        int(time.time()))
        assert result['status'] == b'valid', result['error']
        assert result['signer']['emails'] == [b'bob@example.org'] and result['signer']['name'] == b'Bob'
        tampered = crypto('verify_detached', entity.replace(b'Alice', b'Carol'), mime('decoded_body', signature_part),
                          [pki.read('ca.crt')], int(time.time()))
        assert tampered['status'] == b'invalid' and tampered['signer'] is None
    assert list(crypto.temp_dir.iterdir()) == []


def test_reads_opaque_signatures_of_openssl_cms(mime, crypto, pki):
    content = b'Content-Type: text/plain\r\n\r\nopaque hello\r\n'
    signed = openssl('cms', '-sign', '-nodetach', '-signer', pki.path('bob.crt'), '-inkey', pki.path('bob.key'),
                     data=content).stdout
    head, _body = mime('split', signed)
    content_type, params = mime('content_type', mime('header', head, b'Content-Type'))
    assert mime('kind', content_type, params) == b'signed-data'
    der = mime('decoded_body', signed)
    result, opened = crypto('verify_opaque', der, [pki.read('ca.crt')], int(time.time()))
    assert result['status'] == b'valid' and opened.replace(b'\r\n', b'\n') == content.replace(b'\r\n', b'\n')
    damaged = bytearray(der)
    damaged[der.index(b'opaque hello')] ^= 0x01
    result, opened = crypto('verify_opaque', bytes(damaged), [pki.read('ca.crt')], int(time.time()))
    assert result['status'] == b'invalid' and opened is None


@pytest.mark.parametrize('signer, trusted, status', [
    ('bob', ['ca.crt'], b'valid'),
    ('bob', [], b'unknown'),
    ('mallory', ['ca.crt'], b'unknown'),
    ('mallory', ['ca.crt', 'otherca.crt'], b'valid'),
    ('carol', ['ca.crt'], b'expired'),
])
def test_signature_status_of_signers(mime, crypto, pki, signer, trusted, status):
    signature = helper_signature(pki, ENTITY, name=signer)
    result = crypto('verify_detached', ENTITY, signature, [pki.read(name) for name in trusted], int(time.time()))
    assert result['status'] == status
    assert result['signer']['emails'] == [('%s@example.org' % signer).encode()]


def test_reads_what_openssl_cms_encrypts(mime, pki):
    plain = b'Content-Type: text/plain\r\n\r\nsecret\r\n'
    encrypted = openssl('cms', '-encrypt', '-aes256', pki.path('alice.crt'), data=plain).stdout
    head, _body = mime('split', encrypted)
    content_type, params = mime('content_type', mime('header', head, b'Content-Type'))
    assert mime('kind', content_type, params) == b'enveloped-data'
    der = mime('decoded_body', encrypted)
    # The DER is what the S/MIME service decrypts (its own tests): openssl opens it as such.
    assert openssl('cms', '-decrypt', '-inform', 'DER', '-recip', pki.path('alice.crt'), '-inkey',
                   pki.path('alice.key'), data=der).stdout == plain


# --- status -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize('intact, trusted, not_after, status', [
    (False, False, None, b'invalid'),
    (False, True, 2000, b'invalid'),
    (True, True, 500, b'valid'),
    (True, False, 500, b'expired'),
    (True, False, 2000, b'unknown'),
    (True, False, None, b'unknown'),
])
def test_status_logic(php, intact, trusted, not_after, status):
    assert php('static', **{'class': 'mailroom_smime_status', 'method': 'of',
                            'args': [intact, trusted, not_after, 1000]}) == status


def test_signer_emails_and_sender_match(php):
    parsed = {'subject': {'CN': 'Bob', 'emailAddress': 'Bob@Example.org'},
              'extensions': {'subjectAltName': 'email:bob@example.org, email:robert@example.org, DNS:x.example.org'},
              'validTo_time_t': 99}
    signer = php('static', **{'class': 'mailroom_smime_status', 'method': 'signer', 'args': [parsed, 'ab']})
    assert signer == {'name': b'Bob', 'emails': [b'bob@example.org', b'robert@example.org'], 'not_after': 99,
                      'fingerprint': b'ab'}

    def matches(sender):
        return php('static', **{'class': 'mailroom_smime_status', 'method': 'sender_matches',
                                'args': [[sender], ['bob@example.org', 'robert@example.org']]})
    assert matches('Robert@example.org') is True and matches('eve@example.org') is False


# --- HTML ---------------------------------------------------------------------------------------------------

def view(php, method, *args):
    return php('static', **{'class': 'mailroom_smime_view', 'method': method, 'args': list(args)}).decode()


def test_settings_page_escapes_everything(php):
    label_names = ['certificate', 'nocertificate', 'subject', 'issuer', 'emails', 'validuntil', 'fingerprint',
                   'importtitle', 'importhint', 'p12file', 'p12password', 'import', 'replace', 'delete',
                   'recipients', 'norecipients', 'address', 'remove', 'addcert', 'certfile', 'add',
                   'trusted', 'notrusted', 'addtrust', 'serviceerror', 'formerror']
    texts = dict((name, 'L:' + name) for name in label_names)
    urls = dict((name, './?_action=plugin.mailroom_smime-' + name)
                for name in ('import', 'delete', 'addcert', 'removecert', 'addtrust', 'removetrust'))
    state = {'certificate': {'subject': 'CN=<script>alert(1)</script>', 'issuer': 'CN=CA"', 'emails': ['a@example.org'],
                             'not_after': 'Jan 1 2030', 'fingerprint': 'ab' * 32},
             'recipients': {'bob@example.org': {'name': 'Bob <b>', 'not_after': 0, 'fingerprint': 'cd'}},
             'trusted': {}, 'form_error': 'The password does not open this PKCS#12 file.'}
    html = view(php, 'page', state, texts, urls, 'tok"en')
    assert '<script>' not in html and '&lt;script&gt;' in html and 'Bob &lt;b&gt;' in html
    assert 'id="mailroom-smime-certificate"' in html and 'id="mailroom-smime-delete-form"' in html
    assert 'id="mailroom-smime-form-error"' in html and 'does not open' in html
    assert 'tr data-address="bob@example.org"' in html and 'id="mailroom-smime-trusted-empty"' in html
    assert 'name="_token" value="tok&quot;en"' in html and 'name="_p12"' in html and 'name="_password"' in html
    assert 'L:replace' in html
    empty = view(php, 'page', {'certificate': None}, texts, urls, 't')
    assert 'id="mailroom-smime-none"' in empty and 'mailroom-smime-delete-form' not in empty and 'L:import<' in empty
    down = view(php, 'page', {'error': 'no <socket>'}, texts, urls, 't')
    assert 'id="mailroom-smime-error"' in down and 'no &lt;socket&gt;' in down and '_p12' not in down


def test_compose_options(php):
    html = view(php, 'compose_options', 'Sign', 'Encrypt <now>', True, False)
    assert 'name="_smime_sign" id="mailroom-smime-sign" value="1" checked' in html
    assert 'name="_smime_encrypt" id="mailroom-smime-encrypt" value="1">' in html and 'Encrypt &lt;now&gt;' in html


def test_status_box(php):
    texts = {'encrypted': 'E', 'mismatch': 'M', 'signature_valid': 'valid by $signer', 'signature_invalid': 'bad',
             'signature_expired': 'old $signer', 'signature_unknown': 'who $signer'}
    signer = {'name': 'Bob <x>', 'emails': ['bob@example.org'], 'not_after': 1, 'fingerprint': 'ab'}
    html = view(php, 'status_box', {'encrypted': True, 'signature': {'status': 'valid', 'signer': signer},
                                    'sender_matches': True}, texts)
    assert 'data-encrypted="1"' in html and 'data-signature="valid"' in html and 'data-signer="bob@example.org"' in html
    assert 'valid by Bob &lt;x&gt; &lt;bob@example.org&gt;' in html and 'class="mismatch"' not in html
    html = view(php, 'status_box', {'encrypted': False, 'signature': {'status': 'unknown', 'signer': signer},
                                    'sender_matches': False}, texts)
    assert 'data-signature="unknown"' in html and 'class="mismatch"' in html and 'boxwarning' in html
    html = view(php, 'status_box', {'encrypted': False, 'signature': None, 'error': 'not for <you>'}, texts)
    assert 'data-signature="none"' in html and 'not for &lt;you&gt;' in html


# --- the client, against the S/MIME service program ------------------------------------------------------------

service = role_program.load('webmail', 'mailroom-smime', 'mailroom_smime_for_plugin_tests')


class ServiceSocket(roundcube_plugin.UnixSocketServer):
    """The S/MIME service's program answering on a Unix socket of the test's."""

    def handle(self, connection):
        service.answer_one(connection.makefile('rb'), connection.makefile('wb'))


@pytest.fixture
def socket_path(tmp_path, monkeypatch, pki):
    monkeypatch.setattr(service, 'MASTER_KEY', str(tmp_path / 'master.key'))
    (tmp_path / 'master.key').write_bytes(os.urandom(16).hex().encode() * 2)
    monkeypatch.setattr(service, 'STATE_DIR', str(tmp_path / 'state'))
    monkeypatch.setattr(service, 'CA_BUNDLE', pki.path('ca.crt'))
    monkeypatch.setattr(service, 'POLICY_FILE', str(tmp_path / 'no-policy.json'))
    monkeypatch.setattr(service, 'FAILED_LOGIN_DELAY', 0)
    monkeypatch.setattr(service, 'authenticate', lambda user, password, name: user if password == 'secret' else None)
    monkeypatch.setattr(service, 'start_owner_lookup', lambda user: None)
    monkeypatch.setattr(service, 'account_owner', lambda login, started=None: {'uid': '1', 'home': '/home/' + login})
    folder = tempfile.mkdtemp(prefix='smime', dir='/tmp')
    path = os.path.join(folder, 's.sock')
    running = ServiceSocket(path)
    yield path
    running.stop()
    shutil.rmtree(folder)


def test_client_and_service_speak_the_same_framing(php, pki, socket_path):
    def call(*args, password='secret'):
        return php('client', user='alice', password=password, socket=socket_path, args=list(args))
    answer, payload = call('import', {'p12_password': 'pw'}, pki.p12('alice', 'pw', '-legacy'))
    assert answer['ok'] is True and answer['certificate']['emails'] == [b'alice@example.org'] and payload == b''
    answer, signature = call('sign', [], ENTITY)
    assert answer['ok'] is True and answer['payload_bytes'] == len(signature) > 500
    assert signature[:1] == b'\x30'
    answer = call('status', password='wrong')[0]
    assert answer['ok'] is False and answer['error'] == b'Your login was not accepted.'
    answer = call('sign', {'p12_password': 'x\n{"op": "delete"}'}, b'\x00' * 70000)[0]
    assert answer['ok'] is True


def test_client_without_a_service(php, tmp_path):
    answer = php('client', user='alice', password='secret', socket=str(tmp_path / 'none.sock'), args=['status'])
    assert answer['exception'] == b'mailroom_smime_unavailable' and b'not running' in answer['message']


# --- the plugin's files ---------------------------------------------------------------------------------------

def test_every_plugin_file_is_valid_php():
    assert roundcube_plugin.syntax_errors('mailroom_smime') == []


def test_both_languages_have_every_text_the_plugin_uses():
    texts = dict((language, roundcube_plugin.texts('mailroom_smime', language)) for language in ('en_US', 'de_DE'))
    assert texts['en_US'] == texts['de_DE']
    done = subprocess.run([PHP, '-r', 'require $argv[1]; echo json_encode(mailroom_smime_view::LABELS);',
                           os.path.join(PLUGIN, 'lib', 'mailroom_smime_view.php')], stdout=subprocess.PIPE, check=True)
    plugin_labels = {'smimecertificate', 'smimecertificatetitle', 'intro', 'signmessage', 'encryptmessage', 'encrypted',
                     'mismatch', 'signature_valid', 'signature_invalid', 'signature_expired', 'signature_unknown'}
    assert set(json.loads(done.stdout)) | plugin_labels <= texts['en_US'][0]
    assert {'saved', 'nocert', 'noowncert', 'nobcc', 'senderror'} <= texts['en_US'][1]
    with open(os.path.join(PLUGIN, 'localization', 'en_US.inc')) as english:
        assert '$email' in english.read().split("$messages['nocert']", 1)[1].split('\n', 1)[0]
