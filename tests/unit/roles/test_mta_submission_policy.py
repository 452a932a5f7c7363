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

from ansible_collections.mailroom.server.tests.unit.roles.fake_milter import FAKE_MILTER, FakeMilterBase, StaticStore

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
    ('{}', {}),
    ('{"sender_name": "account"}', {'sender_name': 'account'}),
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
    directory = tmp_path / 'submission-policy.d'
    store = policy.PolicyStore(str(directory))
    assert store.current() == {'sender_name': 'any', 'refuse_encrypted': ()}
    directory.mkdir()
    names = directory / 'sender_name.json'
    names.write_text('{"sender_name": "account"}')
    assert store.current() == {'sender_name': 'account', 'refuse_encrypted': ()}
    # Each area's file adds its own keys.
    (directory / 'mail_encryption.json').write_text('{"refuse_encrypted": ["smime"]}')
    assert store.current() == {'sender_name': 'account', 'refuse_encrypted': ('smime',)}
    names.write_text('{"sender_name": "nobody"}')
    with pytest.raises(policy.PolicyError, match='sender_name.json'):
        store.current()
    names.write_text('{"sender_name": "any"}')
    assert store.current() == {'sender_name': 'any', 'refuse_encrypted': ('smime',)}
    # Other files in the directory (an editor's backup) are not policy.
    (directory / 'sender_name.json~').write_text('garbage')
    assert store.current()['refuse_encrypted'] == ('smime',)
    names.unlink()
    names.mkdir()
    with pytest.raises(policy.PolicyError):
        store.current()


def test_a_key_set_by_two_files_fails_closed(tmp_path):
    (tmp_path / 'a.json').write_text('{"sender_name": "any"}')
    (tmp_path / 'b.json').write_text('{"sender_name": "account"}')
    with pytest.raises(policy.PolicyError, match='both a.json and b.json'):
        policy.PolicyStore(str(tmp_path)).current()


def test_policy_store_reads_once_while_unchanged(tmp_path, monkeypatch):
    (tmp_path / 'sender_name.json').write_text('{"sender_name": "account"}')
    store = policy.PolicyStore(str(tmp_path))
    store.current()
    calls = []
    monkeypatch.setattr(store, '_load', calls.append)
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
    ('alice@example.test\r\n (Alice)', 'alice@example.test'),
    ('< alice @ example.test >', 'alice@example.test'),
    ('"a b"@example.test', '"a b"@example.test'),
    # specials inside an encoded word (seen in the wild) are not syntax
    ('=?utf-8?q?Team:_Sales,_Europe?= <sales@example.test>', 'sales@example.test'),
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


def test_unfold():
    assert policy.unfold('a\r\n b\n\tc') == 'a b\tc'


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
    # the type alone says it, whatever follows
    assert detect(PGP_MIME_TYPE.replace('application/pgp-encrypted', 'Application/PGP-Encrypted'), '') == 'openpgp'


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


@pytest.mark.parametrize('chunk', [None, 1, 2, 3, 7])
def test_inline_pgp_quoted_printable(chunk):
    body = 'Hi,=\n\n-----BEGIN PGP =\nMESSAGE-----\n\nhQEMA=3D=3D\n'
    assert detect('text/plain', body, 'quoted-printable', chunk=chunk) == 'openpgp'
    # a soft line break joins the marker to the text before it: no longer a line start
    assert detect('text/plain', 'Hi,=\n-----BEGIN PGP MESSAGE-----\n', 'quoted-printable', chunk=chunk) is None


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
    # no smime-type and no name: a client reads the CMS type, which may be enveloped data
    'Content-Type: application/pkcs7-mime',
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
    ('application/pkcs7-mime; name=certs.p7c', 'MIAGCSqG\n'),
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


def test_boundary_lookalike_inside_a_text_part():
    body = '--mix\nContent-Type: text/plain\n\nhello\n--mixed-up\n' + PGP_ARMOUR + '--mix--\n'
    assert detect('multipart/mixed; boundary=mix', body) == 'openpgp'


def test_every_split_of_a_nested_body():
    inner = mixed(('Content-Type: text/plain\nContent-Transfer-Encoding: quoted-printable',
                   'x=\ny\n-----BEGIN PGP =\nMESSAGE-----\n'), boundary='in')
    data = crlf(mixed(('Content-Type: text/plain', 'hi\n--in\n'),
                      ('Content-Type: multipart/alternative; boundary=in', inner)))
    for split in range(len(data) + 1):
        assert policy.detect_encryption('multipart/mixed; boundary=mix', '', [data[:split], data[split:]]) \
            == 'openpgp', split


def test_epilogue_and_preamble_are_not_read():
    body = PGP_ARMOUR + mixed(('Content-Type: text/plain', 'hi')) + PGP_ARMOUR
    assert detect('multipart/mixed; boundary=mix', body) is None


def test_digest_parts_are_messages():
    body = '--dig\n\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data\n\nMIAGCSqG\n--dig--\n'
    assert detect('multipart/digest; boundary=dig', body) == 'smime'
    assert detect('multipart/mixed; boundary=dig', body) is None


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


def test_long_dash_lines_and_headers_keep_memory_bounded():
    detector = policy.EncryptionDetector('multipart/mixed; boundary=mix', '')
    detector.feed(crlf('--mix\nContent-Type: application/octet-stream\n\n--'))
    for _index in range(50):
        detector.feed(b'-' * 65536)
        assert len(detector.buffer) <= policy.MAX_BOUNDARY_LINE + 2
    detector.feed(crlf('\n--mix\n'))
    for _index in range(50):
        detector.feed(b'X-Junk: ' + b'j' * 10000 + b'\r\n\t' + b'k' * 10000 + b'\r\n')
        detector.feed(b'X-Long: ' + b'l' * 65536)
        detector.feed(b'l' * 65536 + b'\r\n')
        assert detector.fields == {} and len(detector.buffer) <= policy.MAX_FIELD_BYTES
    # what a client reads after all that junk is still read
    detector.feed(crlf('Content-Type: application/pkcs7-mime;\n smime-type=enveloped-data\n\nMIAG\n'))
    assert detector.close() == 'smime'


@pytest.mark.parametrize('headers', [
    'Content-Type: application/pkcs7-mime; x="%s"; smime-type=enveloped-data' % ('p' * 70000),
    'Content-Type: multipart/mixed;\n x="%s";\n boundary=in' % ('p' * 70000),
])
def test_oversized_content_fields_cannot_be_checked(headers):
    body = mixed(('Content-Type: text/plain', 'hi'), (headers, 'x'))
    assert detect('multipart/mixed; boundary=mix', body, chunk=65536) == 'oversized'
    assert 'cannot be checked' in policy.refusal('oversized')


def test_first_content_type_counts():
    body = mixed(('Content-Type: application/pkcs7-mime; smime-type=enveloped-data\nContent-Type: text/plain', 'x'))
    assert detect('multipart/mixed; boundary=mix', body) == 'smime'


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


def test_parse_parameters_rfc2231():
    assert policy.parse_parameters('Application/X; name*0="sm"; name*1="ime.p7m"') == ('application/x', {'name': 'smime.p7m'})
    assert policy.parse_parameters("attachment; filename*0*=UTF-8''%E2%82%AC; filename*1=.p7c")[1] == {'filename': '€.p7c'}
    assert policy.parse_parameters('text/plain; charset="a\\"b"; format=flowed')[1] == {'charset': 'a"b', 'format': 'flowed'}


def test_overlong_header_line_rest_is_not_a_field():
    detector = policy.EncryptionDetector('multipart/mixed; boundary=mix', '')
    detector.feed(crlf('--mix\n') + b'X-Long: ' + b'l' * 70000)
    detector.feed(b'Content-Type: application/pkcs7-mime\r\n\r\nMIAG\r\n--mix--\r\n')
    assert detector.close() is None


# --- the milter glue, with a stand-in for libmilter's binding ---------------------------------

class StaticNames(object):
    def __init__(self, name='Alice Example'):
        self.names = name

    def name(self, authen):
        if isinstance(self.names, Exception):
            raise self.names
        return self.names


def milter_for(policies, names=None):
    milter_class = policy.build_milter_class(FAKE_MILTER, policies, names or StaticNames())
    milter = milter_class()
    FakeMilterBase.__init__(milter)
    opts = [0xff, 0xffff, 0, 0]
    milter.negotiate(opts)
    milter.macros['{auth_authen}'] = 'alice'
    return milter, opts


def submit(milter, headers, body=b''):
    answer = milter.envfrom('<alice@example.test>')
    if answer != 'continue':
        return answer
    for name, value in headers:
        milter.header(name, value)
    if body:
        milter.body(body)
    return milter.eom()


ACCOUNT_ALL = {'sender_name': 'account', 'refuse_encrypted': ('openpgp', 'smime')}


def test_milter_negotiates_away_what_the_policy_does_not_need():
    _milter, opts = milter_for(StaticStore({'sender_name': 'any', 'refuse_encrypted': ()}))
    assert opts[1] & FAKE_MILTER.P_NOBODY and opts[1] & FAKE_MILTER.P_NOHDRS
    _milter, opts = milter_for(StaticStore({'sender_name': 'account', 'refuse_encrypted': ()}))
    assert opts[1] & FAKE_MILTER.P_NOBODY and not opts[1] & FAKE_MILTER.P_NOHDRS
    _milter, opts = milter_for(StaticStore(ACCOUNT_ALL))
    assert not opts[1] & (FAKE_MILTER.P_NOBODY | FAKE_MILTER.P_NOHDRS)
    assert opts[0] == FAKE_MILTER.CHGHDRS
    _milter, opts = milter_for(StaticStore(policy.PolicyError('broken')))
    assert not opts[1] & (FAKE_MILTER.P_NOBODY | FAKE_MILTER.P_NOHDRS)


def test_milter_rewrites_from_and_refuses_encrypted():
    milter, _opts = milter_for(StaticStore(ACCOUNT_ALL))
    assert submit(milter, [('From', '"Boss" <alice@example.test>'), ('Subject', 'x')], b'hi\r\n') == 'continue'
    assert milter.changed == [('From', 1, 'Alice Example <alice@example.test>')]
    milter.changed = []
    assert submit(milter, [('From', 'Alice Example <alice@example.test>')], b'hi\r\n') == 'continue'
    assert milter.changed == []
    answer = submit(milter, [('From', 'x <alice@example.test>'), ('Content-Type', PGP_MIME_TYPE)], crlf(PGP_MIME))
    assert answer == 'reject' and milter.reply[:2] == ('554', '5.7.1') and 'OpenPGP' in milter.reply[2]
    assert milter.changed == []
    # the first Content-Type counts, as in the detector's parts
    answer = submit(milter, [('Content-Type', 'application/pkcs7-mime; smime-type=enveloped-data'),
                             ('Content-Type', 'text/plain')], b'MIAGCSqG\r\n')
    assert answer == 'reject'


def test_milter_refuses_what_cannot_be_checked_whatever_kind_is_refused():
    milter, _opts = milter_for(StaticStore({'sender_name': 'any', 'refuse_encrypted': ('smime',)}))
    body = crlf(mixed(('Content-Type: multipart/mixed;\n x="%s";\n boundary=in' % ('p' * 70000), 'x')))
    assert submit(milter, [('Content-Type', 'multipart/mixed; boundary=mix')], body) == 'reject'
    assert submit(milter, [('Content-Type', PGP_MIME_TYPE)], crlf(PGP_MIME)) == 'continue'


def test_milter_from_refusals_and_waits():
    milter, _opts = milter_for(StaticStore(ACCOUNT_ALL))
    assert submit(milter, [('From', 'a@example.test'), ('From', 'b@example.test')]) == 'reject'
    assert submit(milter, [('From', 'Team: a@example.test, b@example.test;')]) == 'reject'
    assert 'group' in milter.reply[2]
    assert submit(milter, [('Subject', 'no From at all')]) == 'continue' and milter.changed == []
    milter, _opts = milter_for(StaticStore(ACCOUNT_ALL), StaticNames(policy.NameLookupError('down')))
    assert submit(milter, [('From', 'a@example.test')]) == 'tempfail' and milter.reply[:2] == ('451', '4.7.0')


def test_milter_unusable_or_changed_policy_makes_mail_wait():
    policies = StaticStore(policy.PolicyError('sender_name must be "any" or "account", got "maybe"'))
    milter, _opts = milter_for(policies)
    assert submit(milter, [('From', 'a@example.test')]) == 'tempfail'
    assert milter.reply[:2] == ('451', '4.7.0') and 'maybe' in milter.reply[2]
    policies = StaticStore({'sender_name': 'any', 'refuse_encrypted': ()})
    milter, _opts = milter_for(policies)
    policies.value = ACCOUNT_ALL
    assert submit(milter, []) == 'tempfail' and 'changed' in milter.reply[2]


def test_local_names_are_read_fresh_from_passwd(monkeypatch):
    names = policy.AccountNames(accounts_file='/nonexistent/accounts.json')
    gecos = ['Alice Old,,,']
    monkeypatch.setattr(policy.pwd, 'getpwnam', lambda login: type('entry', (), {'pw_gecos': gecos[0]})())
    assert names.name('alice') == 'Alice Old'
    gecos[0] = 'Alice New,,,'
    assert names.name('alice') == 'Alice New'
