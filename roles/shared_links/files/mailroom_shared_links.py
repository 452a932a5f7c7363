# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared links for large attachments (mailroom.server shared_links role): the streaming MIME
rewriter the submission milter calls.

    storage = DirectoryStorage(os.path.join(home, 'MailAttachments'), url_for, lifetime_days=30)
    with open(spooled_message, 'rb') as source, tempfile.TemporaryFile() as destination:
        result = rewrite_message(source, destination, limit=10 * 1024 * 1024, storage=storage)
        if result.changed:
            destination.seek(result.body_offset)
            ...  # replacebody() with the rest of `destination`; the headers are unchanged
        elif result.reason in (SIGNED, ENCRYPTED, INLINE_PGP):
            ...  # add a header saying why the message passed as it was

`source` holds the whole message (headers and body, CRLF or LF line ends; the milter writes the
headers it was given, a blank line and the body into a file in its spool) and must be seekable:
an attachment that may be converted is held nowhere while it streams - at the end of the part
its raw bytes are copied again from the source if it stays. `destination` must be seekable too:
when the message turns out not to be changeable half-way (inline PGP armour after a converted
attachment), it is rewritten with a copy of the source. Either way, unless `result.changed`,
`destination` holds the source byte for byte. The message's own header block is never changed:
`result.body_offset` is where its body starts in `destination`.

What is converted: a leaf part of a multipart message that is an attachment (Content-Disposition
attachment, or a non-text part with a file name) in base64, quoted-printable, 7bit, 8bit or binary,
whose decoded content is larger than `limit` bytes. Decoding never makes content larger, so a part
is decoded only once its raw size passes the limit (from its start, read again from the source):
parts under the limit cost a scan for boundaries and a copy. Decoded content goes to a temporary
file in `workdir` until it passes the limit, then into a file of `storage`, and the part is
replaced in place by a multipart/alternative part (text/plain and text/html, UTF-8,
quoted-printable, the message's own line ends) naming the file, its size, the link's expiry and
the link. Every other byte of the message - headers, other parts, preambles, epilogues, boundary
lines - stays as it was. A part whose base64 is invalid stays as it is (`result.notes`).

What is never converted: signed or encrypted mail (multipart/signed, multipart/encrypted,
application/pkcs7-mime, PGP/S-MIME signature or encrypted parts, or PGP armour at the start of a
line in a text part); a message that is not multipart (replacing its only part would change the
message's own headers); a message nested deeper than MAX_DEPTH multiparts or with a header block
over MAX_HEADER_BYTES (its structure cannot be read safely). After MAX_PARTS parts the rest of
the message is still read (for signatures) but no longer converted.

Memory stays flat whatever the size: the message is read in READ_SIZE blocks; only a line that
may be a boundary (it starts with "--") is held whole, up to MAX_BOUNDARY_LINE bytes, and a part's
header block up to MAX_HEADER_BYTES; content is decoded block by block.

Storage is any object with ``create(file_name)`` returning a pending file: ``file_id``, ``url``
and ``expires`` (seconds since the epoch, or None for no expiry) known at once, then ``write(data)``,
``finish()`` (the part is complete: close it), ``commit()`` (the message is done: make the file
visible) and ``discard()`` (remove it, in any state). DirectoryStorage is the one the milter uses.
Errors of the storage (a full disk) raise StorageError after every file of the message is
discarded: the milter answers with a temporary error and the message is not lost. Any other
exception is a bug here: the files are discarded too, and the milter should let the message pass
unconverted (and log it), as when the converter is down.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import binascii
import email.errors
import email.header
import email.message
import errno
import hashlib
import html
import json
import os
import secrets
import shutil
import tempfile
import time
import unicodedata

READ_SIZE = 256 * 1024
MAX_BOUNDARY_LINE = 1024        # RFC 2046: 70 characters of boundary, "--" twice, and padding
MAX_HEADER_BYTES = 64 * 1024    # a part's whole header block
MAX_DEPTH = 32                  # nested multiparts
MAX_PARTS = 1000                # parts considered for conversion
DECODED_IN_MEMORY = 256 * 1024  # decoded bytes of an attachment kept in memory before its size is known
QP_MAX_LINE = 4096              # a longer quoted-printable line is decoded in pieces
FILE_NAME_MAX_BYTES = 200       # room for the storage directory's own temporary names
DEFAULT_FILE_NAME = 'attachment'

# why a message passed unchanged (RewriteResult.reason)
SIGNED = 'signed'
ENCRYPTED = 'encrypted'
INLINE_PGP = 'inline-pgp'
NOT_MULTIPART = 'not-multipart'
TOO_DEEP = 'too-deep'
OVERSIZED_HEADER = 'oversized-header'
NOTHING_TO_CONVERT = 'nothing-to-convert'
TOO_SLOW = 'too-slow'

SIGNED_TYPES = ('multipart/signed', 'application/pgp-signature', 'application/pkcs7-signature',
                'application/x-pkcs7-signature')
ENCRYPTED_TYPES = ('multipart/encrypted', 'application/pgp-encrypted')
PKCS7_MIME_TYPES = ('application/pkcs7-mime', 'application/x-pkcs7-mime')
DECODABLE = ('base64', 'quoted-printable', '7bit', '8bit', 'binary')
PGP_ARMOUR = (b'-----BEGIN PGP MESSAGE', b'-----BEGIN PGP SIGNED MESSAGE')
# decoded text kept between blocks so that armour cut in two is still found
ARMOUR_WINDOW = 64
BASE64_ALPHABET = b'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
BLANKS = b' \t\r\n'


class StorageError(Exception):
    """The storage failed (a full disk): the message must wait, nothing of it was kept."""


class _Unchanged(Exception):
    """The message must pass as it is, for the reason given."""

    def __init__(self, reason, detail):
        super(_Unchanged, self).__init__(detail)
        self.reason = reason
        self.detail = detail


class TimeUp(_Unchanged):
    """Raised by the caller's `tick` to stop: the message passes unchanged (TOO_SLOW)."""

    def __init__(self, detail):
        super(TimeUp, self).__init__(TOO_SLOW, detail)


class ConvertedAttachment(object):
    """One attachment replaced by a link."""

    def __init__(self, file_name, size, sha256, stored):
        self.file_name = file_name
        self.size = size
        self.sha256 = sha256
        self.file_id = stored.file_id
        self.url = stored.url
        self.expires = stored.expires

    def __repr__(self):
        return 'ConvertedAttachment(%r, %d bytes, %s)' % (self.file_name, self.size, self.file_id)


class RewriteResult(object):
    """What rewrite_message did: `converted` attachments, or `reason` (one of the constants above)
    and `detail` (a sentence) for a message that passed unchanged; `notes` for parts left as they
    were (invalid encoding, the part limit); `body_offset`: where the body starts in the output."""

    def __init__(self):
        self.converted = []
        self.reason = None
        self.detail = None
        self.notes = []
        self.body_offset = 0

    @property
    def changed(self):
        return bool(self.converted) and self.reason is None


# ---------------------------------------------------------------------------------------------
# File names


def _decode_encoded_words(name):
    """RFC 2047 encoded words in a file name (clients put them in quoted filename parameters)."""
    if '=?' not in name:
        return name
    try:
        return str(email.header.make_header(email.header.decode_header(name)))
    except (email.errors.HeaderParseError, LookupError, UnicodeError, ValueError):
        return name


def safe_file_name(name):
    """`name` as one safe path component: its last /- or \\-separated segment, control and format
    characters dropped, no leading dots or blanks, at most FILE_NAME_MAX_BYTES of UTF-8 (the
    extension kept), DEFAULT_FILE_NAME when nothing is left."""
    name = unicodedata.normalize('NFC', name or '')
    name = name.replace('\\', '/').rsplit('/', 1)[-1]
    name = ' '.join(name.split())
    name = ''.join(char for char in name
                   if unicodedata.category(char) not in ('Cc', 'Cf', 'Cs', 'Zl', 'Zp'))
    name = name.lstrip('. ').rstrip(' ')
    if len(name.encode('utf-8')) > FILE_NAME_MAX_BYTES:
        stem, dot, extension = name.rpartition('.')
        if not dot or len(extension) > 16:
            stem, extension = name, ''
        room = FILE_NAME_MAX_BYTES - len(extension.encode('utf-8')) - len(dot)
        stem = stem.encode('utf-8')[:room].decode('utf-8', 'ignore')
        name = stem + dot + extension
    return name if name not in ('', '.', '..') else DEFAULT_FILE_NAME


CONTENT_FIELDS = ('content-type', 'content-disposition', 'content-transfer-encoding', 'content-id')
# what the standard library's parameter parsing raises on hostile values
FIELD_ERRORS = (ValueError, LookupError, TypeError, AttributeError, IndexError, email.errors.MessageError)


def _guarded(read, default):
    try:
        return read()
    except FIELD_ERRORS:
        return default


def _content_fields(text):
    """{name: value} of the first Content-Type, -Disposition and -Transfer-Encoding field of a
    header block, unfolded (the other fields need no parsing: a part may have thousands)."""
    fields, current = {}, None
    for line in text.split('\n'):
        line = line.rstrip('\r')
        if line[:1] in (' ', '\t'):
            if current is not None:
                fields[current] += line
            continue
        name, colon, value = line.partition(':')
        name = name.strip().lower()
        current = name if colon and name in CONTENT_FIELDS and name not in fields else None
        if current is not None:
            fields[current] = value
    return fields


class PartFields(object):
    """What a part's raw header block says: mime_type, boundary (bytes, multiparts only),
    file_name (RFC 2231 and 2047 decoded, unsafe as it came), disposition, encoding, smime_type.
    A value the block gives in a form that cannot be read is taken as absent."""

    def __init__(self, raw):
        # 8-bit bytes: UTF-8 as clients send raw names, else Latin-1 which reads any byte
        try:
            text, charset = raw.decode('utf-8'), 'utf-8'
        except UnicodeDecodeError:
            text, charset = raw.decode('latin-1'), 'latin-1'
        fields = _content_fields(text)
        headers = email.message.Message()
        for name, value in fields.items():
            headers[name] = value.strip()
        self.mime_type = _guarded(headers.get_content_type, 'text/plain')
        boundary = None
        if self.mime_type.startswith('multipart/'):
            boundary = _guarded(headers.get_boundary, None)
        self.boundary = boundary.encode(charset) if boundary else None
        file_name = None
        if 'name' in (fields.get('content-type', '') + fields.get('content-disposition', '')).lower():
            file_name = _guarded(headers.get_filename, None)
        self.file_name = None if file_name is None else _decode_encoded_words(file_name)
        self.disposition = _guarded(headers.get_content_disposition, None)
        self.encoding = str(headers.get('content-transfer-encoding', '7bit')).strip().lower()
        self.smime_type = str(_guarded(lambda: headers.get_param('smime-type', ''), '')).lower()
        # an inline part the HTML refers to (cid:): converting it would break the message
        self.content_id = bool(fields.get('content-id', '').strip())


# ---------------------------------------------------------------------------------------------
# Storage


DIRECTORY_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
INCOMING = '.incoming'  # names safe_file_name never gives
LINK_RECORD = '.link.json'


class StoredFile(object):
    """A file of DirectoryStorage: <directory>/<id>/.incoming while written, <id>/<name> once
    committed (a web server never serves a file still being written), with <id>/.link.json beside
    it for the links page and the expiry timer: {"id", "file_name", "size", "created", "expires"
    (seconds since the epoch, null: never), "url"}. Every step opens the directories again without
    following links: the user may have replaced them by links since."""

    def __init__(self, storage, file_id, file_name, url, expires, created):
        self.storage = storage
        self.file_id = file_id
        self.file_name = file_name
        self.url = url
        self.expires = expires
        self.created = created
        self.size = 0
        self.stream = None

    def _folder(self):
        """A descriptor of <directory>/<id>."""
        directory = self.storage.open_directory()
        try:
            return os.open(self.file_id, DIRECTORY_FLAGS, dir_fd=directory)
        finally:
            os.close(directory)

    def open(self):
        directory = self.storage.open_directory()
        try:
            os.mkdir(self.file_id, 0o700, dir_fd=directory)
        finally:
            os.close(directory)
        folder = self._folder()
        try:
            self.storage.give_made(folder, self.storage.directory_mode, self.file_id)
            descriptor = os.open(INCOMING, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                                 0o600, dir_fd=folder)
        finally:
            os.close(folder)
        self.stream = os.fdopen(descriptor, 'wb')
        self.storage.give(descriptor, self.storage.file_mode)

    def write(self, data):
        self.stream.write(data)
        self.size += len(data)

    def finish(self):
        stream, self.stream = self.stream, None
        stream.flush()
        os.fsync(stream.fileno())
        stream.close()

    def commit(self):
        record = json.dumps({'id': self.file_id, 'file_name': self.file_name, 'size': self.size,
                             'created': self.created, 'expires': self.expires, 'url': self.url})
        folder = self._folder()
        try:
            descriptor = os.open(LINK_RECORD, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                                 0o600, dir_fd=folder)
            with os.fdopen(descriptor, 'w', encoding='utf-8') as stream:
                self.storage.give(descriptor, self.storage.file_mode)
                stream.write(record + '\n')
            # the record first: a file that can be downloaded is always listed
            os.rename(INCOMING, self.file_name, src_dir_fd=folder, dst_dir_fd=folder)
        finally:
            os.close(folder)

    def discard(self):
        if self.stream is not None:
            self.stream.close()
            self.stream = None
        try:
            folder = self._folder()
        except OSError:
            return
        try:
            for name in os.listdir(folder):
                os.unlink(name, dir_fd=folder)
        except OSError:
            pass    # what cannot be removed is an id no link names: the expiry timer's
        finally:
            os.close(folder)
        try:
            directory = self.storage.open_directory()
        except OSError:
            return
        try:
            os.rmdir(self.file_id, dir_fd=directory)
        except OSError:
            pass
        finally:
            os.close(directory)


class DirectoryStorage(object):
    """Attachments stored as <directory>/<random id>/<file name> (the milter gives the sender's
    ~/MailAttachments: made when missing, its parent must exist). `url_for(file_id, file_name,
    expires)` makes the link (the milter's signs it); `expires` is `lifetime_days` from now in
    seconds since the epoch, None for 0 days. `owner` (uid, gid): when the milter writes as root,
    every directory and file made is given to the user, and a directory the user does not own is
    refused. Modes are set as given, whatever the umask."""

    def __init__(self, directory, url_for, lifetime_days=30, owner=None, file_mode=0o640,
                 directory_mode=0o750, clock=time.time):
        self.directory = directory
        self.url_for = url_for
        self.lifetime_days = lifetime_days
        self.owner = owner
        self.file_mode = file_mode
        self.directory_mode = directory_mode
        self.clock = clock

    def give(self, descriptor, mode):
        if self.owner is not None:
            os.fchown(descriptor, *self.owner)
        os.fchmod(descriptor, mode)

    def give_made(self, descriptor, mode, name):
        """`give` a directory just made by name, once it is checked to be still the one made
        here (its owner this process): the user may have swapped in another between the two."""
        if os.fstat(descriptor).st_uid != os.geteuid():
            raise PermissionError(errno.EPERM, 'replaced while it was made', name)
        self.give(descriptor, mode)

    def open_directory(self):
        """A descriptor of the storage directory, made if missing; never through a link."""
        try:
            descriptor = os.open(self.directory, DIRECTORY_FLAGS)
        except FileNotFoundError:
            made = True
            try:
                os.mkdir(self.directory, 0o700)
            except FileExistsError:
                made = False
            descriptor = os.open(self.directory, DIRECTORY_FLAGS)
            if made:
                try:
                    self.give_made(descriptor, self.directory_mode, self.directory)
                except OSError:
                    os.close(descriptor)
                    raise
        if self.owner is not None and os.fstat(descriptor).st_uid != self.owner[0]:
            os.close(descriptor)
            raise PermissionError(errno.EPERM, 'not owned by uid %d' % self.owner[0], self.directory)
        return descriptor

    def create(self, file_name):
        if file_name != safe_file_name(file_name):
            raise ValueError('not a safe file name: %r' % file_name)
        # 128 random bits: the link cannot be guessed
        file_id = secrets.token_hex(16)
        created = int(self.clock())
        expires = created + self.lifetime_days * 86400 if self.lifetime_days else None
        stored = StoredFile(self, file_id, file_name, self.url_for(file_id, file_name, expires), expires, created)
        try:
            stored.open()
        except BaseException:
            stored.discard()
            raise
        return stored


# ---------------------------------------------------------------------------------------------
# Decoding


class _Base64Decoder(object):
    """Base64 decoded block by block; `failed` on anything but the alphabet, blanks and final
    padding (such a part is left as it is)."""

    def __init__(self, sink):
        self.sink = sink
        self.carry = b''
        self.padded = False
        self.failed = False

    def feed(self, data):
        if self.failed:
            return
        data = bytes(data).translate(None, BLANKS)
        if not data:
            return
        padding = data.find(b'=')
        if self.padded or padding >= 0:
            if self.padded and padding != 0 or data[max(padding, 0):].strip(b'='):
                self.failed = True      # data after the padding
                return
            self.padded = True
            data = data[:padding]
        if data.translate(None, BASE64_ALPHABET):
            self.failed = True
            return
        data = self.carry + data
        usable = len(data) - len(data) % 4
        self.carry = data[usable:]
        if usable:
            self.sink(binascii.a2b_base64(data[:usable]))

    def close(self):
        if self.failed or not self.carry:
            return
        if len(self.carry) == 1:
            self.failed = True      # 6 bits cannot be a byte
            return
        self.sink(binascii.a2b_base64(self.carry + b'=' * (-len(self.carry) % 4)))


class _QuotedPrintableDecoder(object):
    """Quoted-printable decoded line by line (soft line breaks join them); a line longer than
    QP_MAX_LINE in pieces, never cutting an escape."""

    failed = False

    def __init__(self, sink):
        self.sink = sink
        self.carry = b''

    def feed(self, data):
        data = self.carry + bytes(data)
        cut = data.rfind(b'\n') + 1
        if not cut:
            if len(data) <= QP_MAX_LINE:
                self.carry = data
                return
            escape = data.find(b'=', len(data) - 2)
            cut = escape if escape >= 0 else len(data)
        self.carry = data[cut:]
        self.sink(binascii.a2b_qp(data[:cut]))

    def close(self):
        if self.carry:
            self.sink(binascii.a2b_qp(self.carry))


class _IdentityDecoder(object):
    failed = False

    def __init__(self, sink):
        self.feed = sink

    def close(self):
        pass


DECODERS = {'base64': _Base64Decoder, 'quoted-printable': _QuotedPrintableDecoder}


class _WithoutFinalLineEnd(object):
    """Content fed to `decoder` less its last line end, which belongs to the next boundary
    (RFC 2046), so held back until more content follows."""

    def __init__(self, decoder):
        self.decoder = decoder
        self.held = b''

    def feed(self, data):
        data = self.held + bytes(data)
        if data.endswith(b'\r\n'):
            self.held = b'\r\n'
        elif data.endswith(b'\n') or data.endswith(b'\r'):
            self.held = data[-1:]
        else:
            self.held = b''
        if self.held:
            data = data[:-len(self.held)]
        if data:
            self.decoder.feed(data)

    @property
    def failed(self):
        return self.decoder.failed

    def close(self):
        self.decoder.close()


class _ArmourScanner(object):
    """Finds PGP armour at the start of a line (after blanks) in decoded text fed in blocks."""

    def __init__(self):
        self.tail = b'\n'       # the text starts at a line start
        self.found = False

    def feed(self, data):
        if self.found:
            return
        text = self.tail + data
        for marker in PGP_ARMOUR:
            index = text.find(marker)
            while index >= 0:
                start = text.rfind(b'\n', 0, index) + 1
                if start and not text[start:index].strip(b' \t'):
                    self.found = True
                    return
                index = text.find(marker, index + 1)
        self.tail = text[-ARMOUR_WINDOW:]


class _DecodedAttachment(object):
    """An attachment's decoded content: in memory, then a temporary file, until it is larger than
    `limit`; from then on a file of the storage (the part will be converted)."""

    def __init__(self, file_name, limit, storage, workdir, pending):
        self.file_name = file_name
        self.limit = limit
        self.storage = storage
        self.pending = pending          # the rewriter's list of files to commit or discard
        self.spool = tempfile.SpooledTemporaryFile(max_size=DECODED_IN_MEMORY, dir=workdir)
        self.stored = None
        self.size = 0
        self.digest = hashlib.sha256()

    def write(self, data):
        self.size += len(data)
        self.digest.update(data)
        try:
            if self.stored is not None:
                self.stored.write(data)
                return
            self.spool.write(data)
            if self.size > self.limit:
                self.stored = self.storage.create(self.file_name)
                self.pending.append(self.stored)
                self.spool.seek(0)
                shutil.copyfileobj(self.spool, self.stored)
                self.spool.close()
        except OSError as exc:
            raise StorageError('storing %r: %s' % (self.file_name, exc))

    def finish(self):
        """The stored file, complete, or None when the attachment stays in the message."""
        self.spool.close()
        if self.stored is not None:
            try:
                self.stored.finish()
            except OSError as exc:
                raise StorageError('storing %r: %s' % (self.file_name, exc))
        return self.stored

    def discard(self):
        self.spool.close()
        if self.stored is not None:
            self.pending.remove(self.stored)
            self.stored.discard()
            self.stored = None


# ---------------------------------------------------------------------------------------------
# The replacement part


def human_size(size):
    if size < 1024:
        return '%d bytes' % size
    scaled, unit = size / 1024.0, 'KB'
    for larger in ('MB', 'GB'):
        if scaled < 1024:
            break
        scaled, unit = scaled / 1024.0, larger
    return '%.1f %s' % (scaled, unit)


def replacement_part(converted, line_end):
    """The multipart/alternative part that takes a converted attachment's place, with `line_end`
    (the message's own) after every line, the last included."""
    size = '%s (%d bytes)' % (human_size(converted.size), converted.size)
    if converted.expires is None:
        expiry = 'never'
    else:
        expiry = time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(converted.expires))
    plain = ('The attachment "%s" was too large to send and is shared by a link instead.\n\n'
             'File:    %s\nSize:    %s\nExpires: %s\nLink:    %s\n'
             % (converted.file_name, converted.file_name, size, expiry, converted.url))
    rich = ('<!DOCTYPE html>\n<html><body>\n<p>The attachment <strong>%s</strong> was too large to '
            'send and is shared by a link instead.</p>\n<table>\n'
            '<tr><td>File</td><td><a href="%s">%s</a></td></tr>\n'
            '<tr><td>Size</td><td>%s</td></tr>\n<tr><td>Expires</td><td>%s</td></tr>\n'
            '</table>\n<p><a href="%s">Download %s</a></p>\n</body></html>\n'
            % (html.escape(converted.file_name), html.escape(converted.url, quote=True),
               html.escape(converted.file_name), html.escape(size), html.escape(expiry),
               html.escape(converted.url, quote=True), html.escape(converted.file_name)))
    # "=_" never occurs in quoted-printable text: the boundary cannot collide with the content
    boundary = '=_mailroom_link_%s' % secrets.token_hex(12)
    lines = ['Content-Type: multipart/alternative; boundary="%s"' % boundary,
             'Content-Disposition: inline', '']
    for subtype, text in (('plain', plain), ('html', rich)):
        encoded = binascii.b2a_qp(text.encode('utf-8'), istext=True).decode('ascii')
        lines.extend(['--' + boundary, 'Content-Type: text/%s; charset=utf-8' % subtype,
                      'Content-Transfer-Encoding: quoted-printable', ''])
        lines.extend(encoded.rstrip('\n').split('\n'))
    lines.extend(['--%s--' % boundary, ''])
    return line_end.join(lines).encode('ascii')


# ---------------------------------------------------------------------------------------------
# The message, read as a stream


class _Reader(object):
    """The source in READ_SIZE blocks: lines cut after a limit, or content up to the next line
    that starts with "--"."""

    def __init__(self, stream, tick=None):
        self.stream = stream
        self.tick = tick
        self.buffer = bytearray()
        self.position = 0               # the next unread byte in buffer
        self.offset = stream.tell()     # where buffer[0] is in the stream
        self.at_end = False

    def tell(self):
        return self.offset + self.position

    def fill(self):
        """More of the stream into the buffer; False at its end. Shifts buffer indices by
        `position`: callers keep positions relative to it."""
        if self.at_end:
            return False
        if self.position:
            del self.buffer[:self.position]
            self.offset += self.position
            self.position = 0
        data = self.stream.read(READ_SIZE)
        if self.tick is not None:
            self.tick()
        if not data:
            self.at_end = True
            return False
        self.buffer += data
        return True

    def take(self, length):
        data = bytes(self.buffer[self.position:self.position + length])
        self.position += length
        return data

    def line(self, limit):
        """The next line with its line end, or its first `limit` bytes; b'' at the end."""
        searched = 0    # relative to position
        while True:
            newline = self.buffer.find(b'\n', self.position + searched, self.position + limit)
            if newline >= 0:
                return self.take(newline + 1 - self.position)
            available = len(self.buffer) - self.position
            if available >= limit:
                return self.take(limit)
            searched = available
            if not self.fill():
                return self.take(available)

    def content(self, at_line_start):
        """(content, ends at a line start) up to the next line starting with "--" or the end of
        what was read; (b'', True) when such a line is next; None at the end of the stream."""
        while len(self.buffer) - self.position < 2:
            if not self.fill():
                if self.position == len(self.buffer):
                    return None
                break
        if at_line_start and self.buffer.startswith(b'--', self.position):
            return b'', True
        dashes = self.buffer.find(b'\n--', self.position)
        if dashes >= 0:
            return self.take(dashes + 1 - self.position), True
        end = len(self.buffer)
        # a final "\n" or "\n-" may begin a "--" line: its line start is kept for the next call
        newline = self.buffer.rfind(b'\n', max(self.position, end - 2))
        if newline >= 0 and not self.at_end:
            end = newline + 1
        data = self.take(end - self.position)
        return data, data.endswith(b'\n')


class _Leaf(object):
    """The content of a leaf part (or a preamble or epilogue): written out as it comes, or held
    (a candidate attachment) until its end says whether it is converted.

    A candidate's content is decoded only once its raw size passes the limit (decoding never
    makes content larger): what was read of it by then is read again from the source. Parts under
    the limit cost no decoding."""

    def __init__(self, scanning=None, scanner=None):
        self.scanning = scanning        # the decoder into `scanner`, for text parts
        self.scanner = scanner
        self.headers = b''              # a candidate's raw header block
        self.file_name = None
        self.decoder = None             # a candidate's decoder into `attachment`
        self.attachment = None          # _DecodedAttachment of a candidate, else None
        self.decoding = False           # the decoder is fed (the raw size passed the limit)
        self.start = None               # source offsets of a candidate's content
        self.end = None


class _Rewriter(object):

    def __init__(self, source, destination, limit, storage, workdir, max_parts, max_depth, tick=None):
        self.source = source
        self.reader = _Reader(source, tick)
        self.destination = destination
        self.limit = limit
        self.storage = storage
        self.workdir = workdir
        self.max_parts = max_parts
        self.max_depth = max_depth
        self.result = RewriteResult()
        self.boundaries = []            # open multiparts' boundaries, innermost last
        self.parts = 0
        self.pending = []               # stored files, committed when the whole message is done
        self.line_end = b'\r\n'
        self.cut_boundary_line = None   # the boundary line that cut a header block short

    def run(self):
        source_start, destination_start = self.source.tell(), self.destination.tell()
        try:
            self._message()
        except _Unchanged as unchanged:
            self._discard()
            self.result.converted = []
            self.result.reason, self.result.detail = unchanged.reason, unchanged.detail
            self.source.seek(source_start)
            self.destination.seek(destination_start)
            self.destination.truncate()
            shutil.copyfileobj(self.source, self.destination)
            return self.result
        except BaseException:
            self._discard()
            raise
        try:
            for stored in self.pending:
                stored.commit()
        except OSError as exc:
            self._discard()
            raise StorageError('storing attachments: %s' % exc)
        if not self.result.converted:
            self.result.reason = NOTHING_TO_CONVERT
            self.result.detail = 'no attachment larger than %d bytes' % self.limit
        return self.result

    def _discard(self):
        for stored in self.pending:
            stored.discard()
        self.pending = []

    # headers ---------------------------------------------------------------------------------

    def _header_block(self):
        """(raw header block, its PartFields, None) or (raw header block, None, the boundary line
        that cut it short)."""
        lines, size = [], 0
        while True:
            line = self.reader.line(MAX_HEADER_BYTES + 1)
            if not line:
                break
            if line.startswith(b'--') and self.boundaries and self._boundary_depth(line) is not None:
                return b''.join(lines), None, line
            lines.append(line)
            size += len(line)
            if size > MAX_HEADER_BYTES:
                raise _Unchanged(OVERSIZED_HEADER, 'a header block is larger than %d bytes' % MAX_HEADER_BYTES)
            if line in (b'\r\n', b'\n'):
                break
        raw = b''.join(lines)
        return raw, PartFields(raw), None

    @staticmethod
    def _refuse_signed_or_encrypted(fields):
        if fields.mime_type in SIGNED_TYPES or \
                fields.mime_type in PKCS7_MIME_TYPES and fields.smime_type == 'signed-data':
            raise _Unchanged(SIGNED, 'the message is signed (%s)' % fields.mime_type)
        if fields.mime_type in ENCRYPTED_TYPES + PKCS7_MIME_TYPES:
            raise _Unchanged(ENCRYPTED, 'the message is encrypted (%s)' % fields.mime_type)

    # the message -----------------------------------------------------------------------------

    def _message(self):
        raw, fields, _boundary_line = self._header_block()
        self.destination.write(raw)
        if raw.endswith(b'\n') and not raw.endswith(b'\r\n'):
            self.line_end = b'\n'
        self.result.body_offset = self.destination.tell()
        self._refuse_signed_or_encrypted(fields)
        if fields.boundary is None:
            raise _Unchanged(NOT_MULTIPART, 'the message is not multipart')
        self.boundaries.append(fields.boundary)
        leaf = _Leaf()      # the preamble
        while True:
            boundary_line = self._content(leaf)
            self._end_leaf(leaf)
            if boundary_line is None:
                return
            leaf = self._after_boundary(boundary_line)
            while leaf is None:     # a part whose header block a boundary cut short
                leaf = self._after_boundary(self.cut_boundary_line)

    def _boundary_depth(self, line):
        """(depth, closes) of the open multipart whose boundary `line` is, or None."""
        if len(line) > MAX_BOUNDARY_LINE:
            return None
        text = line.rstrip(BLANKS)
        for depth in range(len(self.boundaries) - 1, -1, -1):
            delimiter = b'--' + self.boundaries[depth]
            if text == delimiter:
                return depth, False
            if text == delimiter + b'--':
                return depth, True
        return None

    def _after_boundary(self, line):
        """Writes a boundary line and reads the next part's headers: its leaf, or None with
        `cut_boundary_line` set when another boundary line cut the headers short."""
        depth, closes = self._boundary_depth(line)
        self.destination.write(line)
        # a boundary of an outer multipart also ends the inner ones (their closing lines missing)
        del self.boundaries[depth + (0 if closes else 1):]
        if closes:
            return _Leaf()      # the epilogue
        self.parts += 1
        raw, fields, cut_by = self._header_block()
        if cut_by is not None:
            self.destination.write(raw)
            self.cut_boundary_line = cut_by
            return None
        self._refuse_signed_or_encrypted(fields)
        if fields.boundary is not None:
            if len(self.boundaries) >= self.max_depth:
                raise _Unchanged(TOO_DEEP, 'multiparts are nested more than %d deep' % self.max_depth)
            self.destination.write(raw)
            self.boundaries.append(fields.boundary)
            return _Leaf()      # the preamble
        return self._leaf(raw, fields)

    def _leaf(self, raw, fields):
        is_text = fields.mime_type.startswith('text/')
        is_attachment = fields.disposition == 'attachment' or (
            fields.file_name is not None and not is_text and not fields.content_id)
        candidate = is_attachment and fields.encoding in DECODABLE and fields.mime_type != 'message/partial'
        if candidate and self.parts > self.max_parts:
            candidate = False
            if self.parts == self.max_parts + 1:
                self.result.notes.append('more than %d parts: the rest is not converted' % self.max_parts)
        decoder_class = DECODERS.get(fields.encoding, _IdentityDecoder)
        leaf = _Leaf()
        if is_text:
            leaf.scanner = _ArmourScanner()
            leaf.scanning = _WithoutFinalLineEnd(decoder_class(leaf.scanner.feed))
        if not candidate:
            self.destination.write(raw)
            return leaf
        leaf.headers = raw
        leaf.file_name = safe_file_name(fields.file_name or DEFAULT_FILE_NAME)
        leaf.attachment = _DecodedAttachment(leaf.file_name, self.limit, self.storage, self.workdir, self.pending)
        leaf.decoder = _WithoutFinalLineEnd(decoder_class(leaf.attachment.write))
        leaf.start = self.reader.tell()
        return leaf

    def _content(self, leaf):
        """Streams a leaf's content; returns the boundary line that ends it, None at the end."""
        at_line_start = True
        while True:
            leaf.end = self.reader.tell()
            piece = self.reader.content(at_line_start)
            if piece is None:
                return None
            data, at_line_start = piece
            if not data:
                line = self.reader.line(MAX_BOUNDARY_LINE + 1)
                if self._boundary_depth(line) is not None:
                    return line
                data, at_line_start = line, line.endswith(b'\n')
            if leaf.attachment is None:
                self.destination.write(data)
            elif leaf.decoding:
                if not leaf.decoder.failed:
                    leaf.decoder.feed(data)
            elif self.reader.tell() - leaf.start > self.limit:
                leaf.decoding = True
                for block in self._source_range(leaf.start, self.reader.tell()):
                    leaf.decoder.feed(block)
            if leaf.scanning is not None:
                leaf.scanning.feed(data)
                if leaf.scanner.found:
                    raise _Unchanged(INLINE_PGP, 'a text part holds PGP armour (inline PGP)')

    def _end_leaf(self, leaf):
        if leaf.scanning is not None:
            leaf.scanning.close()
            if leaf.scanner.found:
                raise _Unchanged(INLINE_PGP, 'a text part holds PGP armour (inline PGP)')
        attachment = leaf.attachment
        if attachment is None:
            return
        if leaf.decoding:
            leaf.decoder.close()
            if leaf.decoder.failed:
                attachment.discard()
                self.result.notes.append('%s: its encoding is invalid, left as it is' % leaf.file_name)
        stored = attachment.finish()
        if stored is None:
            self.destination.write(leaf.headers)
            for block in self._source_range(leaf.start, leaf.end):
                self.destination.write(block)
            return
        converted = ConvertedAttachment(leaf.file_name, attachment.size, attachment.digest.hexdigest(), stored)
        self.result.converted.append(converted)
        self.destination.write(replacement_part(converted, self.line_end.decode('ascii')))

    def _source_range(self, start, end):
        """The source's bytes from `start` to `end`, read again in blocks; the reader's own
        position is kept."""
        resume = self.source.tell()
        self.source.seek(start)
        remaining = end - start
        while remaining:
            data = self.source.read(min(READ_SIZE, remaining))
            if not data:
                raise OSError('the message became shorter while it was read')
            remaining -= len(data)
            yield data
        self.source.seek(resume)


def rewrite_message(source, destination, limit, storage, workdir=None, max_parts=MAX_PARTS,
                    max_depth=MAX_DEPTH, tick=None):
    """Copies the message in `source` to `destination`, its attachments decoded larger than
    `limit` bytes stored in `storage` and replaced by links; returns a RewriteResult. Raises
    StorageError when the storage fails (nothing of the message is then kept in it). `workdir`:
    where temporary files go (the decoded content of an attachment up to `limit`, while it may
    still turn out smaller than that). `tick()` is called after each block read from `source`: it
    may report progress, or raise TimeUp to give up (the message then passes unchanged)."""
    rewriter = _Rewriter(source, destination, limit, storage, workdir, max_parts, max_depth, tick)
    return rewriter.run()
