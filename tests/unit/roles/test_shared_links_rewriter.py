# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared links converter's streaming MIME rewriter (roles/shared_links/files/mailroom_shared_links.py):
large attachments become links, everything else comes out byte for byte, signed or encrypted
mail is never touched, hostile input neither crashes it nor lets a file escape its directory."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import email
import email.policy
import errno
import hashlib
import io
import json
import os
import stat
import sys
import tracemalloc
import urllib.parse

import pytest

# A plain module beside the role's other files: imported from there, as the milter will.
sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', '..', 'roles', 'shared_links', 'files'))

import mailroom_shared_links as shared  # noqa: E402  pylint: disable=wrong-import-position

CRLF = b'\r\n'
LIMIT = 1000
HEADERS = (b'From: Alice <alice@example.com>', b'To: bob@example.org', b'Subject: files',
           b'Message-ID: <1@example.com>', b'MIME-Version: 1.0')


# --- helpers --------------------------------------------------------------------------------

class FakeStorage(object):
    """Files under tmp_path/<id>/<name> with predictable ids; `fail_at`: the create() call that
    fails as a full disk does; `expires`: of every link (default 2027-01-01 00:00 UTC)."""

    def __init__(self, directory, fail_at=None, expires=1798761600):
        self.directory = str(directory)
        self.fail_at = fail_at
        self.expires = expires
        self.created = []

    def create(self, file_name):
        if self.fail_at is not None and len(self.created) + 1 >= self.fail_at:
            raise OSError(errno.ENOSPC, 'No space left on device')
        stored = FakeStoredFile(self, 'id%d' % len(self.created), file_name)
        self.created.append(stored)
        return stored

    def files(self):
        """{relative path: content} of every file on disk."""
        found = {}
        for folder, _dirs, names in os.walk(self.directory):
            for name in names:
                path = os.path.join(folder, name)
                with open(path, 'rb') as stream:
                    found[os.path.relpath(path, self.directory)] = stream.read()
        return found


class FakeStoredFile(object):

    def __init__(self, storage, file_id, file_name):
        self.file_id = file_id
        self.file_name = file_name
        self.url = 'https://mail.example.com/links/%s/%s' % (file_id, urllib.parse.quote(file_name))
        self.expires = storage.expires
        self.folder = os.path.join(storage.directory, file_id)
        os.makedirs(self.folder)
        self.stream = open(os.path.join(self.folder, 'incoming'), 'wb')
        self.state = 'writing'

    def write(self, data):
        self.stream.write(data)

    def finish(self):
        self.stream.close()
        self.state = 'finished'

    def commit(self):
        os.rename(os.path.join(self.folder, 'incoming'), os.path.join(self.folder, self.file_name))
        self.state = 'committed'

    def discard(self):
        self.stream.close()
        for name in os.listdir(self.folder):
            os.unlink(os.path.join(self.folder, name))
        os.rmdir(self.folder)
        self.state = 'discarded'


class ShortReads(io.BytesIO):
    """A source whose read() returns at most `size` bytes, as a pipe or socket may."""

    def __init__(self, data, size):
        super(ShortReads, self).__init__(data)
        self.size = size

    def read(self, size=-1):
        return super(ShortReads, self).read(self.size if size is None or size < 0 else min(size, self.size))


def part(fields, body, eol=CRLF):
    """A MIME part: its header fields (bytes or str), a blank line, its body."""
    fields = [field.encode('utf-8') if isinstance(field, str) else field for field in fields]
    return eol.join(fields) + eol + eol + body


def multipart(parts, boundary=b'b1', subtype=b'mixed', eol=CRLF, preamble=b'', epilogue=b'', close=True):
    """The body of a multipart (without its own headers)."""
    body = preamble
    for each in parts:
        body += b'--' + boundary + eol + each + eol
    if close:
        body += b'--' + boundary + b'--' + eol + epilogue
    return body


def message(body, boundary=b'b1', subtype=b'mixed', eol=CRLF, headers=HEADERS):
    return eol.join(headers + (b'Content-Type: multipart/' + subtype + b'; boundary="' + boundary + b'"',)) + \
        eol + eol + body


def base64_lines(data, eol=CRLF):
    return base64.encodebytes(data).replace(b'\n', eol).rstrip(eol)


def attachment(name, data, eol=CRLF, mime_type='application/octet-stream'):
    return part(['Content-Type: %s; name="%s"' % (mime_type, name),
                 'Content-Disposition: attachment; filename="%s"' % name,
                 'Content-Transfer-Encoding: base64'], base64_lines(data, eol), eol)


TEXT = part(['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit'],
            'Hello Bob,\r\nthe files.\r\n-- \r\nAlice'.encode('utf-8'))
BIG = bytes(range(256)) * 20            # 5120 bytes, every byte value
SMALL = b'small attachment \x00\xff' * 10


def rewrite(data, storage, limit=LIMIT, read_size=None, **options):
    source = io.BytesIO(data) if read_size is None else ShortReads(data, read_size)
    destination = io.BytesIO()
    result = shared.rewrite_message(source, destination, limit, storage, **options)
    return result, destination.getvalue()


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def stored_content(storage, converted):
    with open(os.path.join(storage.directory, converted.file_id, converted.file_name), 'rb') as stream:
        return stream.read()


def link_texts(replacement):
    """(plain text, html) of a replacement part."""
    parsed = email.message_from_bytes(replacement, policy=email.policy.default)
    assert parsed.get_content_type() == 'multipart/alternative'
    plain, rich = parsed.get_payload()
    assert (plain.get_content_type(), rich.get_content_type()) == ('text/plain', 'text/html')
    return plain.get_content(), rich.get_content()


@pytest.fixture(name='storage')
def fixture_storage(tmp_path):
    return FakeStorage(tmp_path / 'links')


@pytest.fixture(name='fixed_boundary')
def fixture_fixed_boundary(monkeypatch):
    """Replacement parts with the same boundary every time, so outputs compare byte for byte."""
    monkeypatch.setattr(shared.secrets, 'token_hex', lambda size: 'f' * 2 * size)


# --- conversion -----------------------------------------------------------------------------

@pytest.mark.parametrize('eol', [CRLF, b'\n'], ids=['crlf', 'lf'])
def test_large_attachment_becomes_link_and_the_rest_is_byte_identical(storage, eol):
    small = attachment('small.bin', SMALL, eol)
    before = message(b'preamble' + eol + b'--b1' + eol + TEXT.replace(CRLF, eol) + eol + b'--b1' + eol, eol=eol)
    after = eol + b'--b1' + eol + small + eol + b'--b1--' + eol + b'epilogue' + eol
    data = before + attachment('report.pdf', BIG, eol, 'application/pdf') + after

    result, output = rewrite(data, storage)

    assert result.changed and result.reason is None
    assert [(each.file_name, each.size, each.sha256) for each in result.converted] == \
        [('report.pdf', len(BIG), sha256(BIG))]
    assert output.startswith(before) and output.endswith(after)
    replacement = output[len(before):-len(after)]
    # the part keeps the message's own line ends
    assert replacement.count(b'\n') == replacement.count(eol) and (b'\r' in replacement) == (eol == CRLF)
    plain, rich = link_texts(replacement)
    converted = result.converted[0]
    for text in (plain, rich):
        assert 'report.pdf' in text and '5.0 KB (5120 bytes)' in text and '2027-01-01 00:00 UTC' in text
        assert converted.url in text
    assert stored_content(storage, converted) == BIG
    assert storage.created[0].state == 'committed'
    assert result.body_offset == data.index(eol + eol) + 2 * len(eol)


@pytest.mark.parametrize('limit', [LIMIT, 2 * shared.READ_SIZE + 5])
def test_decoded_file_has_the_originals_sha256_whatever_the_reads(storage, limit):
    # the limit passed early, or after several blocks (decoding starts from the part's start)
    payload = os.urandom(3 * shared.READ_SIZE)
    data = message(multipart([TEXT, attachment('random.bin', payload)]))
    for read_size in (None, 13, 4093):
        again = FakeStorage(os.path.join(storage.directory, str(read_size)))
        result, _output = rewrite(data, again, limit=limit, read_size=read_size)
        assert result.converted[0].sha256 == sha256(payload)
        assert stored_content(again, result.converted[0]) == payload


@pytest.mark.parametrize('encoding', ['quoted-printable', 'quoted-printable-unbroken', '7bit', '8bit', 'binary'])
def test_other_transfer_encodings_are_decoded(storage, encoding):
    content = ('Line one = equals\r\n' + 'a long line without breaks ' * 20 + '\r\n'
               'tabs\tand trailing space \r\nLast line, no line end: caf\u00e9').encode('utf-8')
    if encoding == 'quoted-printable':
        body = binascii.b2a_qp(content, istext=True)
        assert b'=\r\n' in body and b'=3D' in body      # soft breaks and escapes are decoded
    elif encoding == 'quoted-printable-unbroken':
        # a hostile line far over 76 characters, decoded in pieces that must not cut an escape
        content = '\u00e9t\u00e9 '.encode('utf-8') * 5000
        body = binascii.b2a_qp(content).replace(b'=\n', b'')
        encoding = 'quoted-printable'
    else:
        body = content
    data = message(multipart([part(['Content-Type: text/csv; name="data.csv"',
                                    'Content-Disposition: attachment',
                                    'Content-Transfer-Encoding: ' + encoding], body), TEXT]))
    result, _output = rewrite(data, storage, limit=100, read_size=7)
    assert [each.file_name for each in result.converted] == ['data.csv']
    if encoding == 'quoted-printable':
        # every place a piece may end, escapes included
        for piece_size in range(1, 16):
            decoded = []
            decoder = shared._QuotedPrintableDecoder(decoded.append)
            for index in range(0, len(body), piece_size):
                decoder.feed(body[index:index + piece_size])
            decoder.close()
            assert b''.join(decoded) == content, piece_size
    # the line end before the boundary belongs to the boundary, not to the file
    assert stored_content(storage, result.converted[0]) == content


def test_base64_on_one_endless_line_is_decoded(storage):
    payload = os.urandom(3 * shared.READ_SIZE)
    data = message(multipart([part(['Content-Type: application/zip; name=a.zip',
                                    'Content-Transfer-Encoding: base64'],
                                   base64.b64encode(payload))]))
    result, _output = rewrite(data, storage, read_size=4093)
    assert stored_content(storage, result.converted[0]) == payload


def test_base64_without_padding_is_decoded(storage):
    payload = BIG + b'ab'
    data = message(multipart([attachment('x.bin', payload).replace(b'==\r\n', b'\r\n')
                              .rstrip(b'=')]))
    assert not data.rstrip(CRLF).endswith(b'=')
    result, _output = rewrite(data, storage)
    assert stored_content(storage, result.converted[0]) == payload


def test_nested_multiparts(storage, fixed_boundary):
    image = part(['Content-Type: image/png; name="logo.png"', 'Content-ID: <logo>',
                  'Content-Transfer-Encoding: base64'], base64_lines(BIG))
    html_text = part(['Content-Type: text/html'], b'<p><img src="cid:logo"></p>')
    related = part(['Content-Type: multipart/related;', ' boundary="rel"'],
                   multipart([html_text, image], boundary=b'rel', preamble=b'related preamble\r\n'))
    alternative = part(['Content-Type: multipart/alternative; boundary=alt'],
                       multipart([TEXT, related], boundary=b'alt'))
    small = attachment('small.bin', SMALL)
    data = message(multipart([alternative, small, attachment('big.bin', BIG[::-1])]))

    result, output = rewrite(data, storage)

    # the inline image the HTML refers to (cid:) stays, however large: a link would break the HTML
    assert [each.file_name for each in result.converted] == ['big.bin']
    assert stored_content(storage, result.converted[0]) == BIG[::-1]
    parsed = email.message_from_bytes(output, policy=email.policy.default)
    leaves = [(each.get_content_type(), each.get_filename()) for each in parsed.walk()
              if not each.is_multipart()]
    assert leaves == [('text/plain', None), ('text/html', None), ('image/png', 'logo.png'),
                      ('application/octet-stream', 'small.bin'), ('text/plain', None), ('text/html', None)]
    assert small in output and TEXT in output and b'related preamble\r\n' in output and image in output
    # reading in 1-byte and odd-sized pieces gives the same message
    for read_size in (1, 2, 3, 5, 13, 77):
        again = FakeStorage(os.path.join(storage.directory, str(read_size)))
        assert rewrite(data, again, read_size=read_size)[1] == output


@pytest.mark.parametrize('fields, expected', [
    (['Content-Type: application/pdf', 'Content-Disposition: attachment; filename="plain.pdf"'], 'plain.pdf'),
    (['Content-Type: application/pdf; name="from-type.pdf"'], 'from-type.pdf'),
    (["Content-Disposition: attachment; filename*=UTF-8''%E6%97%A5%E6%9C%AC%E8%AA%9E.pdf"], '日本語.pdf'),
    (["Content-Disposition: attachment;", " filename*0*=utf-8''r%C3%A9;", ' filename*1="sum";',
      " filename*2*=%C3%A9.pdf"], 'résumé.pdf'),
    (["Content-Type: application/pdf; name*0=long-; name*1=name.pdf"], 'long-name.pdf'),
    (['Content-Type: application/pdf; name="=?UTF-8?B?xZtsaW1hay5wZGY=?="'], 'ślimak.pdf'),
    (['Content-Disposition: attachment; filename="=?iso-8859-1?Q?caf=E9?= menu.pdf"'], 'café menu.pdf'),
    (['Content-Disposition: attachment; filename="gr\xc3\xbc\xc3\x9fe.pdf"'.encode('latin-1')], 'grüße.pdf'),
    (['Content-Disposition: attachment'], 'attachment'),
])
def test_file_names(storage, fields, expected):
    data = message(multipart([part(fields + ['Content-Transfer-Encoding: base64'], base64_lines(BIG))]))
    result, output = rewrite(data, storage)
    assert [each.file_name for each in result.converted] == [expected]
    assert os.path.isfile(os.path.join(storage.directory, 'id0', expected))
    assert expected in link_texts(output[output.index(b'--b1\r\n') + 6:output.index(b'--b1--')])[0]


def test_names_are_html_escaped(storage):
    name = '<script>&"x".pdf'
    data = message(multipart([attachment(name.replace('"', "'"), BIG)]))
    result, output = rewrite(data, storage)
    _plain, rich = link_texts(output[output.index(b'--b1\r\n') + 6:output.index(b'--b1--')])
    assert '<script>' not in rich and '&lt;script&gt;&amp;' in rich
    assert result.converted[0].file_name == "<script>&'x'.pdf"


# --- what stays as it was -------------------------------------------------------------------

@pytest.mark.parametrize('read_size', [None, 1, 7])
@pytest.mark.parametrize('eol', [CRLF, b'\n'], ids=['crlf', 'lf'])
def test_messages_under_the_limit_are_byte_identical(storage, read_size, eol):
    data = message(multipart([TEXT.replace(CRLF, eol), attachment('a.bin', SMALL, eol), attachment('b.bin', BIG, eol)],
                             eol=eol, preamble=b'This is MIME.' + eol, epilogue=b'bye' + eol), eol=eol)
    result, output = rewrite(data, storage, limit=len(BIG), read_size=read_size)
    assert output == data
    assert (result.changed, result.reason, result.converted) == (False, shared.NOTHING_TO_CONVERT, [])
    assert storage.files() == {}


def test_small_attachments_beside_a_converted_one_are_byte_identical(storage):
    # 8-bit bytes, a base64 line with trailing blanks, no final line end before the boundary
    odd = part(['Content-Type: application/octet-stream; name=odd.bin', 'Content-Transfer-Encoding: base64'],
               b'AAEC  \r\nAwQF')
    parts = [attachment('one.bin', SMALL), attachment('big.bin', BIG), odd, TEXT]
    data = message(multipart(parts))
    result, output = rewrite(data, storage, read_size=5)
    assert [each.file_name for each in result.converted] == ['big.bin']
    index = data.index(parts[1])
    end = index + len(parts[1])
    assert output.startswith(data[:index]) and output.endswith(data[end:])


def test_not_multipart_passes(storage):
    data = CRLF.join(HEADERS + (b'Content-Type: application/pdf; name=a.pdf', b'Content-Transfer-Encoding: base64',
                                b'', base64_lines(BIG)))
    result, output = rewrite(data, storage)
    assert (output, result.reason) == (data, shared.NOT_MULTIPART)


# what multipart/signed holds but the type of the signature part, which would give it away too
SIGNED_BODY = multipart([TEXT, attachment('signed.bin', BIG)], boundary=b'sig')


@pytest.mark.parametrize('content_type, reason', [
    ('multipart/signed; protocol="application/pgp-signature"; boundary=sig', shared.SIGNED),
    ('multipart/encrypted; protocol="application/pgp-encrypted"; boundary=sig', shared.ENCRYPTED),
    ('application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m', shared.ENCRYPTED),
    ('application/x-pkcs7-mime; smime-type=signed-data; name=smime.p7m', shared.SIGNED),
])
def test_signed_or_encrypted_messages_are_untouched(storage, content_type, reason):
    headers = HEADERS + (('Content-Type: ' + content_type).encode(),)
    data = CRLF.join(headers) + CRLF + CRLF + SIGNED_BODY + attachment('big.bin', BIG)
    result, output = rewrite(data, storage)
    assert (output, result.changed, result.reason) == (data, False, reason)
    assert storage.files() == {}


@pytest.mark.parametrize('late_part, reason', [
    (part(['Content-Type: multipart/signed; boundary=sig'], SIGNED_BODY), shared.SIGNED),
    (part(['Content-Type: application/pkcs7-mime; smime-type=enveloped-data'], b'MIAGCSqGSIb3DQEHA'),
     shared.ENCRYPTED),
    (part(['Content-Type: text/plain'], b'Hi\r\n  -----BEGIN PGP MESSAGE-----\r\n\r\nhQEMA\r\n'),
     shared.INLINE_PGP),
    (part(['Content-Type: text/plain', 'Content-Transfer-Encoding: base64'],
          base64_lines(b'x' * 300 + b'\n-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n')), shared.INLINE_PGP),
    (part(['Content-Type: text/plain', 'Content-Transfer-Encoding: quoted-printable'],
          b'-----BEGIN PGP =\r\nMESSAGE-----'), shared.INLINE_PGP),
])
def test_signatures_found_after_a_conversion_leave_the_message_untouched(storage, late_part, reason):
    # converted, these attachments are longer than they were: all of what was written goes
    data = message(multipart([attachment('one.bin', SMALL[:40]), attachment('two.bin', SMALL[:40]), late_part]))
    result, output = rewrite(data, storage, limit=16, read_size=3)
    assert (output, result.changed, result.reason, result.converted) == (data, False, reason, [])
    assert len(storage.created) == 2 and all(each.state == 'discarded' for each in storage.created)
    assert storage.files() == {}


def test_pgp_armour_quoted_in_a_line_is_not_inline_pgp(storage):
    text = part(['Content-Type: text/plain'], b'The marker -----BEGIN PGP MESSAGE----- starts armour.')
    result, _output = rewrite(message(multipart([text, attachment('big.bin', BIG)])), storage)
    assert result.changed


@pytest.mark.parametrize('tail', [
    b'AAEC!!!!AwQF',        # not the alphabet
    b'QUJD=RA==',           # data after padding
    b'QUJDR',               # one character left: 6 bits are no byte
], ids=['alphabet', 'after-padding', 'leftover'])
def test_invalid_base64_is_left_as_it_is(storage, tail):
    # valid for longer than a read first: the file is stored, then discarded
    body = base64_lines(os.urandom(3 * shared.READ_SIZE)) + CRLF + tail
    broken = part(['Content-Type: application/zip; name=broken.zip', 'Content-Transfer-Encoding: base64'], body)
    data = message(multipart([broken, attachment('good.bin', BIG)]))
    result, output = rewrite(data, storage)
    assert [each.file_name for each in result.converted] == ['good.bin']
    assert output.startswith(data[:data.index(broken) + len(broken)])
    assert result.notes == ['broken.zip: its encoding is invalid, left as it is']
    assert [each.state for each in storage.created] == ['discarded', 'committed']


def test_unknown_transfer_encoding_is_left_as_it_is(storage):
    data = message(multipart([part(['Content-Type: application/zip; name=a.zip',
                                    'Content-Transfer-Encoding: x-uuencode'], b'begin 644 a.zip\r\n' + BIG.hex().encode())]))
    result, output = rewrite(data, storage)
    assert (output, result.reason) == (data, shared.NOTHING_TO_CONVERT)


def test_inline_text_parts_are_not_attachments(storage):
    data = message(multipart([part(['Content-Type: text/plain; name="notes.txt"'], b'x' * 5000)]))
    result, output = rewrite(data, storage)
    assert (output, result.reason) == (data, shared.NOTHING_TO_CONVERT)


# --- hostile input --------------------------------------------------------------------------

@pytest.mark.parametrize('name, expected', [
    ('../../etc/passwd', 'passwd'),
    ('..', 'attachment'),
    ('a/b\\..\\c.txt', 'c.txt'),
    ('x\x00y\x1b[31m.pdf', 'xy[31m.pdf'),
    ('.bashrc', 'bashrc'),
    ('  spaced\tout\n name .pdf ', 'spaced out name .pdf'),
    ('right\u202eto-left.pdf', 'rightto-left.pdf'),
    ('/', 'attachment'),
    ('é' * 150 + '.pdf', 'é' * 98 + '.pdf'),
])
def test_safe_file_name(name, expected):
    assert shared.safe_file_name(name) == expected
    assert len(expected.encode('utf-8')) <= shared.FILE_NAME_MAX_BYTES


@pytest.mark.parametrize('name', ['../../../escaped.bin', '..%2F..%2Fescaped.bin', '/tmp/escaped.bin'])
def test_a_hostile_name_cannot_leave_the_storage_directory(tmp_path, name):
    (tmp_path / 'home').mkdir()
    storage = shared.DirectoryStorage(str(tmp_path / 'home' / 'MailAttachments'), lambda *link: 'https://x/')
    fields = ["Content-Disposition: attachment; filename*=utf-8''" + urllib.parse.quote(name, safe='%'),
              'Content-Transfer-Encoding: base64']
    result, _output = rewrite(message(multipart([part(fields, base64_lines(BIG))])), storage)
    stored = os.path.join(storage.directory, result.converted[0].file_id, result.converted[0].file_name)
    assert os.path.dirname(os.path.dirname(stored)) == storage.directory
    found = sorted(os.path.relpath(os.path.join(folder, each), str(tmp_path))
                   for folder, _dirs, names in os.walk(str(tmp_path)) for each in names)
    assert found == sorted(os.path.relpath(path, str(tmp_path)) for path in
                           (stored, os.path.join(os.path.dirname(stored), '.link.json')))


def test_missing_closing_boundaries(storage):
    inner = part(['Content-Type: multipart/mixed; boundary=inner'],
                 multipart([TEXT, attachment('big.bin', BIG)], boundary=b'inner', close=False))
    # the inner multipart never closes; the outer one's closing line ends both
    data = message(multipart([inner, attachment('small.bin', SMALL)]))
    result, output = rewrite(data, storage)
    assert [each.file_name for each in result.converted] == ['big.bin']
    assert output.endswith(b'--b1\r\n' + attachment('small.bin', SMALL) + b'\r\n--b1--\r\n')
    # no closing line at all: the message ends inside the attachment
    unclosed = message(multipart([TEXT, attachment('big.bin', BIG)], close=False))
    result, output = rewrite(unclosed, FakeStorage(os.path.join(storage.directory, 'unclosed')))
    assert result.converted[0].sha256 == sha256(BIG)
    assert rewrite(unclosed, storage, limit=len(BIG))[1] == unclosed


def test_seventy_character_boundaries_and_folded_fields(storage, fixed_boundary):
    boundary = b"'()+_,-./:=?" * 5 + b'0123456789'
    assert len(boundary) == 70
    fields = ['Content-Type: application/octet-stream;', '\tname="folded', ' name.bin"',
              'Content-Transfer-Encoding:', ' base64']
    body = multipart([TEXT, part(fields, base64_lines(BIG))], boundary=boundary)
    data = CRLF.join(HEADERS + (b'Content-Type: multipart/mixed;', b' boundary="' + boundary + b'"')) + CRLF + CRLF + body
    result, output = rewrite(data, storage)
    assert [each.file_name for each in result.converted] == ['folded name.bin']
    for read_size in (1, 71, 73):
        again = FakeStorage(os.path.join(storage.directory, str(read_size)))
        assert rewrite(data, again, read_size=read_size)[1] == output


def test_lines_that_look_like_boundaries(storage):
    # a boundary with a longer one beside it, a line starting with "--" longer than any boundary
    # line may be, a boundary followed by text: all content
    content = b'--b1x\r\n--b1 --\r\n' + b'--' + b'b' * (3 * shared.READ_SIZE) + b'\r\n--b1--x'
    data = message(multipart([part(['Content-Type: application/octet-stream; name=a.bin'], content),
                              attachment('b.bin', BIG)]))
    result, _output = rewrite(data, storage, limit=len(BIG))
    assert stored_content(storage, result.converted[0]) == content
    assert [each.file_name for each in result.converted] == ['a.bin']


@pytest.mark.parametrize('read_size', range(1, 10))
def test_boundary_text_inside_a_line_is_content(storage, read_size):
    content = b'text--b1\r\nmore text--b1--\r\n' + BIG
    data = message(multipart([part(['Content-Type: application/octet-stream; name=a.bin'], content)]))
    result, _output = rewrite(data, storage, read_size=read_size)
    assert stored_content(storage, result.converted[0]) == content


def test_a_long_line_passes_byte_identical(storage):
    data = message(multipart([part(['Content-Type: text/plain'], b'y' * (5 * shared.READ_SIZE + 3))],
                             preamble=b'-' * (2 * shared.READ_SIZE) + CRLF))
    result, output = rewrite(data, storage)
    assert (output, result.reason) == (data, shared.NOTHING_TO_CONVERT)


def test_memory_stays_flat(storage):
    """Neither a huge line that may be a boundary nor a huge attachment is held whole."""
    line = b'--' + b'x' * (12 * shared.READ_SIZE) + CRLF
    payload = b'\x01' * (12 * shared.READ_SIZE)
    data = message(multipart([part(['Content-Type: text/plain'], line + b'text'), attachment('big.bin', payload)]))
    tracemalloc.start()
    try:
        result, output = rewrite(data, storage, read_size=shared.READ_SIZE)
        _size, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # the message and its output are the test's own; the rewriter's share is a few read blocks
    assert peak - len(data) - len(output) < 8 * shared.READ_SIZE
    assert result.converted[0].sha256 == sha256(payload)


def test_a_boundary_in_a_header_block(storage):
    data = message(multipart([b'Content-Type: text/plain\r\nX-No-Blank-Line: x', attachment('big.bin', BIG)]))
    result, output = rewrite(data, storage)
    assert [each.file_name for each in result.converted] == ['big.bin']
    assert output.startswith(data[:data.index(b'X-No-Blank-Line: x\r\n--b1\r\n') + 26])


def test_nesting_limit(storage):
    def nested(depth):
        body = attachment('big.bin', BIG)
        for level in range(depth):
            boundary = ('n%d' % level).encode()
            body = part([b'Content-Type: multipart/mixed; boundary=' + boundary], multipart([body], boundary=boundary))
        return message(multipart([body]))
    result, _output = rewrite(nested(shared.MAX_DEPTH - 1), storage)
    assert [each.file_name for each in result.converted] == ['big.bin']
    data = nested(shared.MAX_DEPTH)
    result, output = rewrite(data, storage)
    assert (output, result.reason) == (data, shared.TOO_DEEP)


def test_parts_limit(storage):
    parts = [attachment('%d.bin' % index, BIG) for index in range(6)]
    result, output = rewrite(message(multipart(parts)), storage, max_parts=4)
    assert [each.file_name for each in result.converted] == ['0.bin', '1.bin', '2.bin', '3.bin']
    assert output.endswith(CRLF.join([b'--b1', parts[4], b'--b1', parts[5], b'--b1--', b'']))
    assert result.notes == ['more than 4 parts: the rest is not converted']


def test_oversized_header_block(storage):
    fields = ['Content-Type: application/pdf; name=a.pdf', 'X-Padding: ' + 'p' * shared.MAX_HEADER_BYTES,
              'Content-Transfer-Encoding: base64']
    data = message(multipart([attachment('big.bin', BIG), part(fields, base64_lines(BIG))]))
    result, output = rewrite(data, storage)
    assert (output, result.reason) == (data, shared.OVERSIZED_HEADER)
    assert storage.files() == {}


# --- storage --------------------------------------------------------------------------------

def test_a_full_disk_keeps_nothing(storage):
    storage.fail_at = 2
    data = message(multipart([attachment('one.bin', BIG), attachment('two.bin', BIG)]))
    with pytest.raises(shared.StorageError, match='two.bin.*No space left'):
        rewrite(data, storage)
    assert [each.state for each in storage.created] == ['discarded']
    assert storage.files() == {}


def test_directory_storage(tmp_path):
    links = []

    def url_for(file_id, file_name, expires):
        links.append((file_id, file_name, expires))
        return 'https://mail.example.com/links/%s/%s?expires=%s' % (file_id, urllib.parse.quote(file_name), expires)

    directory = tmp_path / 'MailAttachments'
    storage = shared.DirectoryStorage(str(directory), url_for, lifetime_days=30, clock=lambda: 1000.5)
    stored = storage.create('a b.pdf')
    assert len(stored.file_id) == 32 and int(stored.file_id, 16) >= 0      # 128 bits
    assert links == [(stored.file_id, 'a b.pdf', 1000 + 30 * 86400)] and stored.expires == 1000 + 30 * 86400
    stored.write(b'da')
    stored.write(b'ta')
    stored.finish()
    # not visible under its name until the message is done
    assert os.listdir(str(directory / stored.file_id)) == ['.incoming']
    stored.commit()
    assert sorted(os.listdir(str(directory / stored.file_id))) == ['.link.json', 'a b.pdf']
    assert (directory / stored.file_id / 'a b.pdf').read_bytes() == b'data'
    # what the links page lists and the expiry timer reads
    assert json.loads((directory / stored.file_id / '.link.json').read_text()) == {
        'id': stored.file_id, 'file_name': 'a b.pdf', 'size': 4, 'created': 1000, 'expires': 1000 + 30 * 86400,
        'url': 'https://mail.example.com/links/%s/a%%20b.pdf?expires=%d' % (stored.file_id, 1000 + 30 * 86400)}
    assert stat.S_IMODE(os.stat(str(directory / stored.file_id / 'a b.pdf')).st_mode) == 0o640
    assert stat.S_IMODE(os.stat(str(directory / stored.file_id)).st_mode) == 0o750
    other = storage.create('a b.pdf')
    assert other.file_id != stored.file_id
    other.discard()
    assert sorted(os.listdir(str(directory))) == [stored.file_id]
    with pytest.raises(ValueError):
        storage.create('../x')
    assert shared.DirectoryStorage(str(directory), url_for, lifetime_days=0).create('n').expires is None


def test_directory_storage_never_follows_links(tmp_path):
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir()
    home = tmp_path / 'home'
    home.mkdir()
    (home / 'MailAttachments').symlink_to(elsewhere)
    storage = shared.DirectoryStorage(str(home / 'MailAttachments'), lambda *link: 'https://x/')
    with pytest.raises(OSError):
        storage.create('a.pdf')
    # the folder of an id swapped for a link between two steps
    (home / 'MailAttachments').unlink()
    stored = storage.create('a.pdf')
    stored.write(b'data')
    stored.finish()
    folder = home / 'MailAttachments' / stored.file_id
    folder.rename(home / 'moved')
    folder.symlink_to(elsewhere)
    with pytest.raises(OSError):
        stored.commit()
    stored.discard()
    assert os.listdir(str(elsewhere)) == []


def test_directory_storage_refuses_a_directory_of_another_owner(tmp_path):
    directory = tmp_path / 'MailAttachments'
    directory.mkdir()
    storage = shared.DirectoryStorage(str(directory), lambda *link: 'https://x/',
                                      owner=(os.getuid() + 1, os.getgid()))
    with pytest.raises(PermissionError, match='not owned by uid'):
        storage.create('a.pdf')
    assert os.listdir(str(directory)) == []


def test_directory_storage_modes_whatever_the_umask(tmp_path):
    previous = os.umask(0o077)
    try:
        storage = shared.DirectoryStorage(str(tmp_path / 'MailAttachments'), lambda *link: 'https://x/',
                                          owner=(os.getuid(), os.getgid()))
        stored = storage.create('a.pdf')
        stored.finish()
        stored.commit()
    finally:
        os.umask(previous)
    modes = [stat.S_IMODE(os.stat(str(path)).st_mode) for path in
             (tmp_path / 'MailAttachments', tmp_path / 'MailAttachments' / stored.file_id,
              tmp_path / 'MailAttachments' / stored.file_id / 'a.pdf',
              tmp_path / 'MailAttachments' / stored.file_id / '.link.json')]
    assert modes == [0o750, 0o750, 0o640, 0o640]


def test_no_expiry_is_said(tmp_path):
    storage = FakeStorage(tmp_path, expires=None)
    _result, output = rewrite(message(multipart([attachment('big.bin', BIG)])), storage)
    assert 'Expires: never' in link_texts(output[output.index(b'--b1\r\n') + 6:output.index(b'--b1--')])[0]


@pytest.mark.parametrize('size, text', [(0, '0 bytes'), (1023, '1023 bytes'), (1536, '1.5 KB'),
                                        (30 * 1024 ** 2, '30.0 MB'), (5 * 1024 ** 3, '5.0 GB')])
def test_human_size(size, text):
    assert shared.human_size(size) == text


def test_an_inline_part_with_a_content_id_given_as_an_attachment_is_converted(storage):
    image = part(['Content-Type: image/png; name="scan.png"', 'Content-ID: <scan>',
                  'Content-Disposition: attachment; filename="scan.png"', 'Content-Transfer-Encoding: base64'],
                 base64_lines(BIG))
    result, _output = rewrite(message(multipart([TEXT, image])), storage)
    assert [each.file_name for each in result.converted] == ['scan.png']


def test_tick_is_called_while_reading_and_can_stop_the_rewrite(storage):
    data = message(multipart([TEXT, attachment('big.bin', BIG)]))
    calls = []

    def tick():
        calls.append(1)
        if len(calls) == 3:
            raise shared.TimeUp('took too long')
    source, destination = ShortReads(data, 100), io.BytesIO()
    result = shared.rewrite_message(source, destination, 1000, storage, tick=tick)
    assert result.reason == shared.TOO_SLOW and not result.changed
    assert destination.getvalue() == data
    assert len(calls) == 3
    assert not os.path.exists(storage.directory) or os.listdir(storage.directory) == []
