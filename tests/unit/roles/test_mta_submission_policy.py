# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The submission policy milter's pure parts (roles/mta/files/mailroom-submission-policy):
policy file, From header rewrite, account names, and the streaming encryption detector."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import email.header
import importlib.machinery
import importlib.util
import os
import subprocess

import pytest

PROGRAM = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'roles', 'mta', 'files',
                       'mailroom-submission-policy')


def _load():
    loader = importlib.machinery.SourceFileLoader('mailroom_submission_policy', PROGRAM)
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


policy = _load()


# --- policy file ----------------------------------------------------------------------------

@pytest.mark.parametrize('text, expected', [
    ('{}', {'sender_name': 'any', 'refuse_encrypted': ()}),
    ('{"sender_name": "account", "refuse_encrypted": []}', {'sender_name': 'account', 'refuse_encrypted': ()}),
    ('{"sender_name": "any", "refuse_encrypted": ["smime", "openpgp"]}',
     {'sender_name': 'any', 'refuse_encrypted': ('openpgp', 'smime')}),
])
def test_policy_valid(text, expected):
    assert policy.parse_policy(text.encode()) == expected


@pytest.mark.parametrize('data, message', [
    (b'', 'not JSON'),
    (b'[]', 'not a JSON object'),
    (b'\xff{}', 'not UTF-8'),
    (b'{"sender_name": "Account"}', 'sender_name must be'),
    (b'{"sender_name": true}', 'sender_name must be'),
    (b'{"refuse_encrypted": "openpgp"}', 'must be a list'),
    (b'{"refuse_encrypted": ["pgp"]}', 'must be a list'),
    (b'{"refuse_encrypted": ["smime", "smime"]}', 'twice'),
    (b'{"sender_name": "any", "sender_name": "account"}', 'duplicate key'),
    (b'{"sender_names": "any"}', 'unknown key'),
])
def test_policy_invalid(data, message):
    with pytest.raises(policy.PolicyError, match=message):
        policy.parse_policy(data)


def test_policy_store_rereads_on_change_and_fails_closed(tmp_path):
    path = tmp_path / 'submission-policy.json'
    store = policy.PolicyStore(str(path))
    assert store.current() == {'sender_name': 'any', 'refuse_encrypted': ()}
    path.write_text('{"sender_name": "account"}')
    assert store.current()['sender_name'] == 'account'
    path.write_text('{"sender_name": "nobody"}')
    with pytest.raises(policy.PolicyError):
        store.current()
    path.write_text('{"refuse_encrypted": ["smime"]}')
    assert store.current() == {'sender_name': 'any', 'refuse_encrypted': ('smime',)}
    path.unlink()
    path.mkdir()
    with pytest.raises(policy.PolicyError):
        store.current()


def test_policy_store_reads_once_while_unchanged(tmp_path, monkeypatch):
    path = tmp_path / 'submission-policy.json'
    path.write_text('{"sender_name": "account"}')
    store = policy.PolicyStore(str(path))
    store.current()
    calls = []
    monkeypatch.setattr(store, '_load', lambda key: calls.append(key))
    store.current()
    assert calls == []


# --- the From header ------------------------------------------------------------------------

def decoded(value):
    return str(email.header.make_header(email.header.decode_header(value)))


@pytest.mark.parametrize('value, address', [
    ('alice@example.test', 'alice@example.test'),
    ('Alice <alice@example.test>', 'alice@example.test'),
    ('"Smith, Alice" <alice@example.test>', 'alice@example.test'),
    ('"Alice <boss@example.test>" <alice@example.test>', 'alice@example.test'),
    ('alice@example.test (Alice, the <boss>)', 'alice@example.test'),
    ('=?utf-8?q?J=C3=B6rg_=3Cx=40y=3E?= <joerg@example.test>', 'joerg@example.test'),
    ('=?utf-8?b?SsO2cmcsIE3DvGxsZXI=?= <joerg@example.test>', 'joerg@example.test'),
    ('Jörg Müller <joerg@example.test>', 'joerg@example.test'),
    ('"Alice"\r\n\t<alice@example.test>', 'alice@example.test'),
    ('Alice\n <alice@example.test>', 'alice@example.test'),
    ('< alice @ example.test >', 'alice@example.test'),
    ('"a b"@example.test', '"a b"@example.test'),
])
def test_from_address(value, address):
    assert policy.from_address(value) == address


@pytest.mark.parametrize('value, message', [
    ('Team: alice@example.test, bob@example.test;', 'group'),
    ('Undisclosed:;', 'group'),
    ('alice@example.test, bob@example.test', 'several'),
    ('Alice <alice@example.test>, Bob <bob@example.test>', 'several'),
    ('Alice', 'no valid address'),
    ('<>', 'no address'),
    ('Alice alice@example.test', 'no valid address'),
    ('"Alice <alice@example.test>', 'unterminated'),
    ('Alice <alice@example.test', 'unterminated'),
])
def test_from_address_refused(value, message):
    with pytest.raises(policy.AddressError, match=message):
        policy.from_address(value)


@pytest.mark.parametrize('value, name, expected', [
    ('Boss <alice@example.test>', 'Alice Example', 'Alice Example <alice@example.test>'),
    ('alice@example.test', 'Alice', 'Alice <alice@example.test>'),
    ('"CEO" <alice@example.test>', 'Smith, Alice', '"Smith, Alice" <alice@example.test>'),
    ('x <alice@example.test>', 'Alice "Al" O\\Neil', '"Alice \\"Al\\" O\\\\Neil" <alice@example.test>'),
    ('x <alice@example.test>', 'A. Example', '"A. Example" <alice@example.test>'),
    ('x <alice@example.test>', '  Alice \t Example ', 'Alice Example <alice@example.test>'),
    ('x <alice@example.test>', 'Alice\r\nBcc: evil@example.net', 'Alice Bcc: evil@example.net'
     .join(['"', '" <alice@example.test>'])),
    ('x <alice@example.test>', '', '<alice@example.test>'),
])
def test_rewrite_from(value, name, expected):
    assert policy.rewrite_from(value, name) == expected


@pytest.mark.parametrize('name', ['Jörg Müller', '山田太郎', 'Ægir "the <Great>"', 'é' * 150])
def test_rewrite_from_encodes_utf8_names(name):
    value = policy.rewrite_from('Someone Else <joerg@example.test>', name)
    head, _sep, address = value.rpartition(' ')
    assert address == '<joerg@example.test>'
    assert all(ord(char) < 127 for char in value)
    assert all(len(word) <= 75 for word in head.split(' '))
    assert decoded(head) == name


def test_clean_name_caps_length_and_removes_controls():
    assert policy.clean_name('a\x00b\u2028c' + 'x' * 300) == 'a b c' + 'x' * 195


@pytest.mark.parametrize('gecos, expected', [
    ('Alice Example,Room 1,555,', 'Alice Example'),
    ('', 'alice'),
    (',,,', 'alice'),
    ('Jörg', 'Jörg'),
])
def test_gecos_name(gecos, expected):
    assert policy.gecos_name(gecos, 'alice') == expected


@pytest.mark.parametrize('authen, login', [
    ('alice', 'alice'), ('Alice@Example.test', 'alice'), ('alice@example.test', 'alice')])
def test_login_name(authen, login):
    assert policy.login_name(authen) == login


# --- directory names ------------------------------------------------------------------------

DIRECTORY = {'uri': 'ldap://dir.example.test', 'base_dn': 'dc=example,dc=test',
             'bind_dn': 'cn=reader,dc=example,dc=test', 'bind_password': 's3cret', 'user_filter': None,
             'starttls': True, 'ca_file': '/etc/ssl/dir-ca.pem'}


def test_name_search_command_ldap():
    argv, environment = policy.name_search_command('ldap', DIRECTORY, 'al*ce)(uid=x')
    assert argv[-3:] == ['(&(objectClass=inetOrgPerson)(uid=al\\2ace\\29\\28uid=x))', 'displayName', 'cn']
    assert '-ZZ' in argv and 's3cret' not in argv
    assert argv[argv.index('-y') + 1] == '/dev/stdin'
    assert environment['LDAPTLS_CACERT'] == '/etc/ssl/dir-ca.pem'
    assert environment['LDAPTLS_REQCERT'] == 'demand'


def test_name_search_command_domain():
    directory = dict(DIRECTORY, uri='ldaps://dc.example.test', starttls=False, user_filter='objectClass=user',
                     ca_file=None)
    argv, environment = policy.name_search_command('domain', directory, 'alice')
    assert argv[-3] == '(&(objectClass=user)(sAMAccountName=alice))'
    assert '-ZZ' not in argv and 'LDAPTLS_CACERT' not in environment


def test_parse_ldif_names():
    encoded = base64.b64encode('Jörg Müller'.encode()).decode()
    text = 'dn: uid=joerg,dc=example,dc=test\ncn: Joerg M\ndisplayName:: %s\n' % encoded
    values = policy.parse_ldif_names(text)
    assert policy.directory_name(values, 'joerg') == 'Jörg Müller'
    assert policy.directory_name(policy.parse_ldif_names('dn: x\ncn: Joerg M\n'), 'joerg') == 'Joerg M'
    assert policy.directory_name(policy.parse_ldif_names('dn: x\n'), 'joerg') == 'joerg'


class FakeRun(object):
    def __init__(self, returncode=0, stdout=b'dn: x\ndisplayName: Alice Example\n'):
        self.calls = []
        self.returncode, self.stdout = returncode, stdout

    def __call__(self, argv, **kwargs):
        self.calls.append((argv, kwargs))
        return subprocess.CompletedProcess(argv, self.returncode, self.stdout, b'Can\'t contact LDAP server')


def test_account_names_directory_cached(tmp_path):
    accounts = tmp_path / 'accounts.json'
    accounts.write_text('{"account_type": "ldap", "directory": %s}' % __import__('json').dumps(DIRECTORY))
    run, now = FakeRun(), [1000.0]
    names = policy.AccountNames(str(accounts), run=run, clock=lambda: now[0])
    assert names.name('alice@example.test') == 'Alice Example'
    assert names.name('alice') == 'Alice Example'
    assert len(run.calls) == 1
    assert run.calls[0][1]['input'] == b's3cret'
    now[0] += policy.NAME_CACHE_SECONDS + 1
    names.name('alice')
    assert len(run.calls) == 2


def test_account_names_directory_down(tmp_path):
    accounts = tmp_path / 'accounts.json'
    accounts.write_text('{"account_type": "domain", "directory": %s}' % __import__('json').dumps(DIRECTORY))
    names = policy.AccountNames(str(accounts), run=FakeRun(returncode=255, stdout=b''))
    with pytest.raises(policy.NameLookupError, match='Can.t contact'):
        names.name('alice')


def test_account_names_local(tmp_path, monkeypatch):
    class Entry(object):
        pw_gecos = 'Alice Example,,,'
    monkeypatch.setattr(policy.pwd, 'getpwnam', lambda login: Entry() if login == 'alice' else {}[login])
    names = policy.AccountNames(str(tmp_path / 'absent.json'), run=None)
    assert names.name('alice') == 'Alice Example'
    assert names.name('nobody-here') == 'nobody-here'


def test_account_names_unusable_state(tmp_path):
    accounts = tmp_path / 'accounts.json'
    accounts.write_text('{"account_type": "ldap"}')
    with pytest.raises(policy.NameLookupError):
        policy.AccountNames(str(accounts)).name('alice')


# --- encrypted content ----------------------------------------------------------------------

def crlf(text):
    return text.replace('\n', '\r\n').encode()


def detect(content_type, body, encoding='', chunk=None):
    data = crlf(body) if isinstance(body, str) else body
    chunks = [data] if chunk is None else [data[i:i + chunk] for i in range(0, len(data), chunk)]
    return policy.detect_encryption(content_type, encoding, chunks)


PGP_ARMOUR = '-----BEGIN PGP MESSAGE-----\n\nhQEMA5x0abc\n=abcd\n-----END PGP MESSAGE-----\n'

PGP_MIME = '''This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)
--enc
Content-Type: application/pgp-encrypted
Content-Description: PGP/MIME version identification

Version: 1

--enc
Content-Type: application/octet-stream; name="encrypted.asc"

%s
--enc--
''' % PGP_ARMOUR

PGP_MIME_TYPE = 'multipart/encrypted; protocol="application/pgp-encrypted"; boundary="enc"'


def mixed(*parts, **kwargs):
    boundary = kwargs.get('boundary', 'mix')
    body = 'preamble\n'
    for headers, content in parts:
        body += '--%s\n%s\n\n%s\n' % (boundary, headers, content)
    return body + '--%s--\nepilogue\n' % boundary


def test_plain_text_passes():
    assert detect('text/plain', 'Hello\n-- \nAlice\n') is None
    assert detect('', 'no content type at all\n') is None


def test_pgp_mime_top_level():
    assert detect(PGP_MIME_TYPE, PGP_MIME) == 'openpgp'


def test_pgp_mime_nested_in_mixed_and_message():
    nested = mixed(('Content-Type: text/plain', 'see below'),
                   ('Content-Type: ' + PGP_MIME_TYPE, PGP_MIME))
    assert detect('multipart/mixed; boundary=mix', nested) == 'openpgp'
    forwarded = mixed(('Content-Type: text/plain', 'forwarding'),
                      ('Content-Type: message/rfc822',
                       'From: x@example.test\nContent-Type: ' + PGP_MIME_TYPE + '\n\n' + PGP_MIME))
    assert detect('multipart/mixed; boundary=mix', forwarded) == 'openpgp'


def test_pgp_mime_type_in_folded_part_header():
    nested = mixed(('Content-Type: multipart/encrypted;\n\tprotocol="application/pgp-encrypted";\n boundary=enc',
                    PGP_MIME))
    assert detect('multipart/mixed; boundary="mix"', nested) == 'openpgp'


def test_inline_pgp_plain():
    assert detect('text/plain; charset=us-ascii', 'Hi\n\n' + PGP_ARMOUR) == 'openpgp'
    assert detect('text/plain', 'Hi\n   ' + PGP_ARMOUR) == 'openpgp'


def test_inline_pgp_multipart_armour():
    assert detect('text/plain', '-----BEGIN PGP MESSAGE, PART 1/2-----\nabc\n') == 'openpgp'


def test_inline_pgp_marker_not_at_line_start_passes():
    assert detect('text/plain', 'the marker is "-----BEGIN PGP MESSAGE-----" in prose\n') is None
    assert detect('text/plain', '> -----BEGIN PGP MESSAGE-----\n') is None


def test_inline_pgp_quoted_printable():
    body = 'Hi,=\n\n-----BEGIN PGP =\nMESSAGE-----\n\nhQEMA=3D=3D\n'
    assert detect('text/plain', body, 'quoted-printable') == 'openpgp'


def test_inline_pgp_base64():
    encoded = base64.encodebytes(crlf('Hello\n\n' + PGP_ARMOUR)).decode()
    assert detect('text/plain', encoded, 'base64') == 'openpgp'
    for chunk in (1, 3, 7, 64):
        assert detect('text/plain', encoded, 'Base64', chunk=chunk) == 'openpgp'


def test_inline_pgp_in_nested_text_parts():
    encoded = base64.encodebytes(crlf(PGP_ARMOUR)).decode()
    body = mixed(('Content-Type: multipart/alternative; boundary="alt"',
                  mixed(('Content-Type: text/plain', 'plain'),
                        ('Content-Type: text/html\nContent-Transfer-Encoding: base64', encoded),
                        boundary='alt')),
                 ('Content-Type: application/pdf', 'JVBERi0x'))
    assert detect('multipart/mixed; boundary=mix', body) == 'openpgp'


def test_inline_pgp_in_binary_attachment_is_not_read():
    encoded = base64.encodebytes(crlf(PGP_ARMOUR)).decode()
    body = mixed(('Content-Type: text/plain', 'see attachment'),
                 ('Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64', encoded))
    assert detect('multipart/mixed; boundary=mix', body) is None


@pytest.mark.parametrize('chunk', [1, 2, 5, 13, 29, 64, 1000])
def test_chunk_boundaries_split_markers_and_boundaries(chunk):
    body = mixed(('Content-Type: text/plain', 'x' * 50),
                 ('Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable',
                  'abc=\ndef=3D\n' + PGP_ARMOUR))
    assert detect('multipart/mixed; boundary=mix', body, chunk=chunk) == 'openpgp'
    assert detect(PGP_MIME_TYPE, PGP_MIME, chunk=chunk) == 'openpgp'


@pytest.mark.parametrize('headers', [
    'Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"',
    'Content-Type: application/x-pkcs7-mime; smime-type="authEnveloped-data"',
    'Content-Type: application/pkcs7-mime; name=smime.p7m',
    'Content-Type: application/x-pkcs7-mime\nContent-Disposition: attachment; filename="SMIME.P7M"',
    "Content-Type: application/pkcs7-mime\nContent-Disposition: attachment; filename*=UTF-8''mail.p7m",
    'Content-Type: application/pkcs7-mime;\n name*0="sm";\n name*1="ime.p7m"',
])
def test_smime_enveloped(headers):
    body = mixed(('Content-Type: text/plain', 'hi'), (headers + '\nContent-Transfer-Encoding: base64', 'MIAGCSqG'))
    assert detect('multipart/mixed; boundary=mix', body) == 'smime'


def test_smime_enveloped_top_level():
    assert detect('application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m', 'MIAGCSqG\n', 'base64') == 'smime'


SIGNED_SMIME = mixed(('Content-Type: text/plain', 'signed text'),
                     ('Content-Type: application/pkcs7-signature; name=smime.p7s', 'MIAGCSqG'), boundary='sig')


@pytest.mark.parametrize('content_type, body', [
    ('multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary=sig', SIGNED_SMIME),
    ('application/pkcs7-mime; smime-type=signed-data; name=smime.p7m', 'MIAGCSqG\n'),
    ('multipart/signed; protocol="application/pgp-signature"; boundary=sig',
     mixed(('Content-Type: text/plain', 'signed'),
           ('Content-Type: application/pgp-signature', '-----BEGIN PGP SIGNATURE-----\nabc\n'), boundary='sig')),
    ('text/plain', '-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nhi\n-----BEGIN PGP SIGNATURE-----\n'),
    ('multipart/mixed; boundary=mix', mixed(('Content-Type: text/plain', 'my key'),
                                            ('Content-Type: application/pgp-keys', '-----BEGIN PGP PUBLIC '
                                             'KEY BLOCK-----\nabc\n'))),
    ('text/plain', 'my key:\n-----BEGIN PGP PUBLIC KEY BLOCK-----\nmQINBF\n'),
])
def test_signed_and_keys_pass(content_type, body):
    assert detect(content_type, body) is None


def test_boundary_lookalikes_and_outer_boundary_closing_inner():
    # "--mixed" is not "--mix"; the outer boundary ends an unterminated inner multipart.
    body = ('--mix\nContent-Type: multipart/alternative; boundary=alt\n\n--alt\nContent-Type: text/plain\n\n'
            'hi\n--mixed\n--mix\nContent-Type: text/plain\n\n' + PGP_ARMOUR + '--mix--\n')
    assert detect('multipart/mixed; boundary=mix', body) == 'openpgp'
    # once the outer boundary has closed the text part, what follows is that part's no more
    attachment = body.replace('--mix\nContent-Type: text/plain', '--mix\nContent-Type: image/png')
    assert detect('multipart/mixed; boundary=mix', attachment) is None


def test_epilogue_and_preamble_are_not_read():
    body = PGP_ARMOUR + mixed(('Content-Type: text/plain', 'hi')) + PGP_ARMOUR
    assert detect('multipart/mixed; boundary=mix', body) is None


def test_digest_parts_are_messages():
    body = mixed(('', 'Content-Type: ' + PGP_MIME_TYPE + '\n\n' + PGP_MIME), boundary='dig')
    assert detect('multipart/digest; boundary=dig', body) == 'openpgp'


def test_nesting_limit():
    depth = policy.MAX_NESTING + 1
    body = ''.join('--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n' % (level, level + 1)
                   for level in range(depth))
    assert detect('multipart/mixed; boundary=b0', body) == 'nesting'


def test_long_lines_keep_memory_bounded():
    detector = policy.EncryptionDetector('multipart/mixed; boundary=mix', '')
    detector.feed(crlf('--mix\nContent-Type: text/plain\n\n'))
    for _index in range(200):
        detector.feed(b'x' * 65536)
        assert len(detector.buffer) <= policy.MAX_BOUNDARY_LINE
        assert len(detector.decoder.scanner.carry) <= policy.PGP_MESSAGE_WINDOW
    detector.feed(crlf('\n' + PGP_ARMOUR))
    assert detector.close() == 'openpgp'


def test_long_base64_text_line_bounded():
    detector = policy.EncryptionDetector('text/plain', 'base64')
    line = base64.b64encode(b'y' * 30000)
    for _index in range(20):
        detector.feed(line)
        assert len(detector.decoder.carry) < 4
    assert detector.close() is None


def test_refusal_texts():
    assert policy.refusal('openpgp') == "encrypted mail (OpenPGP) is not allowed by this server's policy"
    assert policy.refusal('smime') == "encrypted mail (S/MIME) is not allowed by this server's policy"
    assert policy.reply_text('bad %s\r\nx\x00') == 'bad s x'


def test_needs():
    assert policy.needs({'sender_name': 'any', 'refuse_encrypted': ()}) == (False, False)
    assert policy.needs({'sender_name': 'account', 'refuse_encrypted': ()}) == (True, False)
    assert policy.needs({'sender_name': 'any', 'refuse_encrypted': ('smime',)}) == (True, True)


def test_a2b_qp_soft_break_used_by_decoder():
    # the decoder relies on binascii joining soft line breaks across a complete-lines cut
    assert binascii.a2b_qp(b'ab=\r\ncd\r\n') == b'abcd\r\n'
