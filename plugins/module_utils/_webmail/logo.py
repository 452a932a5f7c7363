# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure checks of a webmail logo image, shared by the controller (action plugin) and the host.

An image is judged by its content, never by its name: the format by its magic bytes, its size in
pixels from its header (PNG IHDR, GIF logical screen and first image, JPEG SOFn marker, WebP
VP8/VP8L/VP8X header) without decoding it, so that a small file that would decode to a huge
image is refused before anything decodes it. No Pillow here: the controller may not have it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import re
import struct

from ansible_collections.mailroom.server.plugins.module_utils._engine.errors import SettingsError

MAX_BYTES = 1048576            # 1 MiB of file
MAX_PIXELS = 40000000          # 40 megapixels (about 160 MB once decoded to RGBA)
BOX = (128, 40)                # the logo is scaled to fit, never enlarged

# Where the host keeps the logo and the URL path nginx serves that directory at; Roundcube's
# skin_logo must be relative (a leading / would resolve inside the skin's directory).
LOGO_DIR = '/var/lib/mailroom/webmail/logo'
URL_PATH = 'mailroom-logo/'
LOGO_NAME = re.compile(r'^[0-9a-f]{64}\.png$')

PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'
# JPEG start-of-frame markers; C4 (DHT), C8 (JPG) and CC (DAC) share the range but are not frames.
JPEG_FRAMES = frozenset(range(0xC0, 0xD0)) - frozenset((0xC4, 0xC8, 0xCC))
# Markers without a length field.
JPEG_STANDALONE = frozenset([0x01] + list(range(0xD0, 0xD8)))


class LogoError(SettingsError):
    """An image refused as a logo; the message says why and what is accepted."""


def image_format(data):
    """The format of `data` by its magic bytes: png, jpeg, gif or webp, else LogoError."""
    if data.startswith(PNG_SIGNATURE):
        return 'png'
    if data.startswith(b'\xff\xd8\xff'):
        return 'jpeg'
    if data[:6] in (b'GIF87a', b'GIF89a'):
        return 'gif'
    if data[:4] == b'RIFF' and data[8:12] == b'WEBP':
        return 'webp'
    if _looks_like_svg(data):
        raise LogoError('the logo is an SVG image: refused, SVG can carry scripts; give a PNG, JPEG, '
                        'GIF or WebP image')
    raise LogoError('the logo is not a PNG, JPEG, GIF or WebP image (judged by its content, not its name)')


def _looks_like_svg(data):
    head = data[:4096].lstrip(b'\xef\xbb\xbf \t\r\n').lower()
    return head.startswith(b'<') and b'<svg' in head


def _need(data, end, fmt):
    if len(data) < end:
        raise LogoError('the logo is not a complete %s image: its header is truncated' % fmt.upper())


def _png_size(data):
    _need(data, 24, 'png')
    length, chunk = struct.unpack('>I4s', data[8:16])
    if chunk != b'IHDR' or length != 13:
        raise LogoError('the logo is not a valid PNG image: it does not start with an IHDR header')
    return struct.unpack('>II', data[16:24])


def _gif_size(data):
    """The size Pillow gives the first frame: the logical screen, grown to hold the first image."""
    _need(data, 13, 'gif')
    screen_width, screen_height, flags = struct.unpack('<HHB', data[6:11])
    position = 13
    if flags & 0x80:
        position += 3 * (2 << (flags & 0x07))      # the global colour table
    while True:
        _need(data, position + 1, 'gif')
        block = data[position]
        if block == 0x21:                           # an extension: label, then sub-blocks
            position += 2
            while True:
                _need(data, position + 1, 'gif')
                length = data[position]
                position += 1 + length
                if length == 0:
                    break
        elif block == 0x2C:                         # the first image descriptor
            _need(data, position + 9, 'gif')
            left, top, width, height = struct.unpack('<HHHH', data[position + 1:position + 9])
            return max(screen_width, left + width), max(screen_height, top + height)
        else:
            raise LogoError('the logo is not a valid GIF image: no image before byte %d' % position)


def _jpeg_size(data):
    position = 2
    while True:
        _need(data, position + 2, 'jpeg')
        if data[position] != 0xFF:
            raise LogoError('the logo is not a valid JPEG image: no marker at byte %d' % position)
        while position < len(data) and data[position] == 0xFF:     # fill bytes
            position += 1
        _need(data, position + 1, 'jpeg')
        marker = data[position]
        position += 1
        if marker in JPEG_STANDALONE:
            continue
        if marker in (0xD9, 0xDA):
            raise LogoError('the logo is not a valid JPEG image: no frame header before its data')
        _need(data, position + 2, 'jpeg')
        (length,) = struct.unpack('>H', data[position:position + 2])
        if length < 2:
            raise LogoError('the logo is not a valid JPEG image: bad segment length at byte %d' % position)
        if marker in JPEG_FRAMES:
            _need(data, position + 7, 'jpeg')
            height, width = struct.unpack('>HH', data[position + 3:position + 7])
            return width, height
        position += length


def _webp_size(data):
    _need(data, 16, 'webp')
    chunk = data[12:16]
    if chunk == b'VP8 ':
        _need(data, 30, 'webp')
        if data[23:26] != b'\x9d\x01\x2a':
            raise LogoError('the logo is not a valid WebP image: bad VP8 frame header')
        width, height = struct.unpack('<HH', data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b'VP8L':
        _need(data, 25, 'webp')
        if data[20] != 0x2F:
            raise LogoError('the logo is not a valid WebP image: bad VP8L signature')
        (bits,) = struct.unpack('<I', data[21:25])
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b'VP8X':
        _need(data, 30, 'webp')
        width = struct.unpack('<I', data[24:27] + b'\0')[0] + 1
        height = struct.unpack('<I', data[27:30] + b'\0')[0] + 1
        return width, height
    raise LogoError('the logo is not a valid WebP image: unknown first chunk %r' % chunk)


SIZE_READERS = {'png': _png_size, 'gif': _gif_size, 'jpeg': _jpeg_size, 'webp': _webp_size}


def dimensions(data, fmt):
    """(width, height) in pixels from the header of an image of format `fmt`, without decoding."""
    return SIZE_READERS[fmt](data)


def check_size(size, max_bytes=MAX_BYTES):
    """Refuse a file of `size` bytes over the limit (checked before a file is read)."""
    if size > max_bytes:
        raise LogoError('the logo is %d bytes; at most %d bytes (1 MiB) are accepted' % (size, max_bytes))


def inspect(data, max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS):
    """Check an image as a logo; return {format, width, height, size, sha256} or raise LogoError.

    The size limit comes first: nothing of a larger file is parsed.
    """
    check_size(len(data), max_bytes)
    fmt = image_format(data)
    width, height = dimensions(data, fmt)
    if width < 1 or height < 1:
        raise LogoError('the logo is not a valid %s image: its header gives %dx%d pixels'
                        % (fmt.upper(), width, height))
    if width * height > max_pixels:
        raise LogoError('the logo would decode to %dx%d pixels; at most %d pixels (%d megapixels) are '
                        'accepted' % (width, height, max_pixels, max_pixels // 1000000))
    return {'format': fmt, 'width': width, 'height': height, 'size': len(data),
            'sha256': hashlib.sha256(data).hexdigest()}


def fit(width, height, box=BOX):
    """The size of a `width` x `height` image scaled proportionally to fit `box`, never enlarged."""
    scale = min(1.0, float(box[0]) / width, float(box[1]) / height)
    return max(1, int(width * scale + 0.5)), max(1, int(height * scale + 0.5))


def logo_name(png):
    """The stored file's name: its content's hash, so a new logo gets a new URL (no stale caches)."""
    return hashlib.sha256(png).hexdigest() + '.png'


def logo_url(name):
    """Roundcube's skin_logo for a stored logo: relative, served by nginx from LOGO_DIR."""
    return URL_PATH + name


def name_of_url(url):
    """The stored file's name a skin_logo value points at, or None if it is not one of ours."""
    if isinstance(url, str) and url.startswith(URL_PATH) and LOGO_NAME.match(url[len(URL_PATH):]):
        return url[len(URL_PATH):]
    return None
