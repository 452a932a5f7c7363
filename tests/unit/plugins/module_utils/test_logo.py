# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The webmail logo: image checks from headers (pure, no Pillow) and the custom_logo area.

Images are built byte by byte here, so each header field is the one under test; the scaling
tests need Pillow (the host's python3-pil) and are skipped without it.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import struct
import zlib

import pytest

from ansible_collections.mailroom.server.plugins.module_utils._areas import custom_logo
from ansible_collections.mailroom.server.plugins.module_utils._engine.area import WEBMAIL, State
from ansible_collections.mailroom.server.plugins.module_utils._engine.errors import SettingsError
from ansible_collections.mailroom.server.plugins.module_utils._webmail import logo
from ansible_collections.mailroom.server.plugins.module_utils._webmail.logo import LogoError


def _chunk(kind, payload):
    return struct.pack('>I', len(payload)) + kind + payload + struct.pack('>I', zlib.crc32(kind + payload))


def png(width, height, depth=8, colour=2, rows=True):
    """A PNG; its rows are zeros, compressed a row at a time (a 30000x30000 one stays small)."""
    header = _chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, depth, colour, 0, 0, 0))
    body = b''
    if rows:
        channels = {0: 1, 2: 3, 6: 4}[colour]
        row = b'\0' * (1 + (width * channels * depth + 7) // 8)
        compressor = zlib.compressobj(9)
        data = b''.join(compressor.compress(row) for _row in range(height)) + compressor.flush()
        body = _chunk(b'IDAT', data)
    return logo.PNG_SIGNATURE + header + body + _chunk(b'IEND', b'')


def gif(screen, image=None, colour_table=True, extension=True):
    width, height = screen
    flags = 0x80 if colour_table else 0
    data = b'GIF89a' + struct.pack('<HHBBB', width, height, flags, 0, 0)
    if colour_table:
        data += b'\0\0\0\xff\xff\xff'                          # two colours (size bits 0)
    if extension:
        data += b'\x21\xf9\x04\x00\x00\x00\x00\x00'           # graphic control extension
    left, top, image_width, image_height = image or (0, 0, width, height)
    data += b'\x2c' + struct.pack('<HHHHB', left, top, image_width, image_height, 0)
    return data + b'\x02\x02\x44\x01\x00\x3b'


def jpeg(width, height, frame=0xC0, before=(b'\xff\xe0', b'\xff\xdb')):
    """SOI, some segments, then the frame header; enough for the header reader."""
    data = b'\xff\xd8'
    for marker in before:
        data += marker + struct.pack('>H', 6) + b'JFIF'
    return data + bytes([0xFF, frame]) + struct.pack('>HBHHB', 11, 8, height, width, 1) + b'\x01\x11\x00'


def webp(kind, width, height):
    if kind == 'VP8 ':
        payload = b'\x00\x00\x00\x9d\x01\x2a' + struct.pack('<HH', width, height) + b'\0' * 10
    elif kind == 'VP8L':
        payload = b'\x2f' + struct.pack('<I', (width - 1) | (height - 1) << 14) + b'\0' * 10
    else:
        payload = b'\x10\0\0\0' + struct.pack('<I', width - 1)[:3] + struct.pack('<I', height - 1)[:3]
    body = b'WEBP' + kind.encode() + struct.pack('<I', len(payload)) + payload
    return b'RIFF' + struct.pack('<I', len(body)) + body


# --- formats and sizes from headers ---------------------------------------------------------

@pytest.mark.parametrize('data, fmt, size', [
    (png(600, 300), 'png', (600, 300)),
    (gif((120, 30)), 'gif', (120, 30)),
    (gif((16, 16), colour_table=False, extension=False), 'gif', (16, 16)),
    (jpeg(1000, 100), 'jpeg', (1000, 100)),
    (jpeg(640, 480, frame=0xC2), 'jpeg', (640, 480)),               # progressive
    (webp('VP8 ', 320, 200), 'webp', (320, 200)),
    (webp('VP8L', 16383, 2), 'webp', (16383, 2)),
    (webp('VP8X', 70000, 3), 'webp', (70000, 3)),
])
def test_format_and_size_from_the_header(data, fmt, size):
    assert logo.image_format(data) == fmt
    assert logo.dimensions(data, fmt) == size


def test_gif_first_image_outside_the_logical_screen_counts():
    # Pillow grows the frame to hold the image: a tiny screen must not hide a huge image.
    assert logo.dimensions(gif((1, 1), image=(10, 0, 30000, 30000)), 'gif') == (30010, 30000)


def test_jpeg_skips_tables_that_share_the_frame_range():
    data = jpeg(50, 60, before=(b'\xff\xc4', b'\xff\xcc'))
    assert logo.dimensions(data, 'jpeg') == (50, 60)


def test_jpeg_fill_bytes_and_standalone_markers():
    data = jpeg(7, 9).replace(b'\xff\xc0', b'\xff\xff\xff\xd0\xff\xc0', 1)
    assert logo.dimensions(data, 'jpeg') == (7, 9)


@pytest.mark.parametrize('data', [
    b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    b'\xef\xbb\xbf  <?xml version="1.0"?>\n<!-- x -->\n<svg width="10" height="10"/>',
])
def test_svg_refused_by_content(data):
    with pytest.raises(LogoError, match='SVG'):
        logo.inspect(data)


@pytest.mark.parametrize('data', [
    b'just some text, saved as logo.png\n',
    b'BM' + b'\0' * 60,                                       # BMP
    b'',
    b'<html><body>no svg here</body></html>',
])
def test_other_content_refused_whatever_its_name(data):
    with pytest.raises(LogoError, match='not a PNG, JPEG, GIF or WebP image'):
        logo.inspect(data)


@pytest.mark.parametrize('data', [
    png(10, 10)[:20],                                         # IHDR cut off
    logo.PNG_SIGNATURE,
    gif((10, 10))[:10],
    gif((10, 10))[:24],                                       # before the image descriptor
    b'GIF89a' + struct.pack('<HHBBB', 10, 10, 0x87, 0, 0),   # colour table missing
    jpeg(10, 10)[:4],
    jpeg(10, 10)[:-6],                                        # frame header cut off
    b'\xff\xd8\xff\xe0\x00\x10JF',                            # segment longer than the file
    webp('VP8 ', 10, 10)[:28],
    webp('VP8L', 10, 10)[:22],
    webp('VP8X', 10, 10)[:29],
])
def test_truncated_headers_refused(data):
    with pytest.raises(LogoError, match='truncated'):
        logo.inspect(data)


@pytest.mark.parametrize('data, message', [
    (logo.PNG_SIGNATURE + _chunk(b'gAMA', b'\0\0\0\0') + png(1, 1)[8:], 'IHDR'),
    (png(0, 10, rows=False), '0x10 pixels'),
    (jpeg(10, 0), '10x0 pixels'),
    (b'\xff\xd8\xff\xda\x00\x02', 'no frame header'),
    (b'\xff\xd8\xff\xe0\x00\x04AB\x00\x00', 'no marker'),
    (b'\xff\xd8\xff\xe0\x00\x01\x00\x00', 'segment length'),
    (gif((1, 1))[:19] + b'\x3b', 'no image'),
    (webp('VP8 ', 1, 1).replace(b'\x9d\x01\x2a', b'\0\0\0'), 'VP8 frame'),
    (webp('VP8L', 1, 1).replace(b'VP8L\x0f\x00\x00\x00\x2f', b'VP8L\x0f\x00\x00\x00\x00'), 'VP8L signature'),
    (webp('VP8 ', 1, 1).replace(b'VP8 ', b'ALPH'), 'unknown first chunk'),
])
def test_broken_headers_refused(data, message):
    with pytest.raises(LogoError, match=message):
        logo.inspect(data)


# --- limits -----------------------------------------------------------------------------------

def padded(data, size):
    return data + b'\0' * (size - len(data))


def test_one_mib_accepted_one_byte_more_refused():
    image = png(600, 300)
    assert logo.inspect(padded(image, 1048576))['size'] == 1048576
    with pytest.raises(LogoError, match='1048577 bytes; at most 1048576'):
        logo.inspect(padded(image, 1048577))


def test_size_refused_before_anything_is_parsed():
    with pytest.raises(LogoError, match='bytes; at most'):
        logo.inspect(padded(b'<svg', 1048577))


@pytest.fixture(scope='module')
def bomb():
    """30000x30000 pixels in about 110 KB: one bit per pixel, every row zero."""
    return png(30000, 30000, depth=1, colour=0)


def test_small_file_decoding_to_a_huge_image_refused(bomb):
    assert len(bomb) < 150 * 1024
    with pytest.raises(LogoError, match='30000x30000 pixels; at most 40000000'):
        logo.inspect(bomb)


def test_pixel_cap_is_inclusive():
    assert logo.inspect(png(8000, 5000, rows=False))['width'] == 8000
    with pytest.raises(LogoError, match='8001x5000'):
        logo.inspect(png(8001, 5000, rows=False))


@pytest.mark.parametrize('data', [
    webp('VP8X', 16777216, 16777216),
    gif((1, 1), image=(0, 0, 65535, 65535)),
    jpeg(65535, 65535),
])
def test_pixel_cap_for_every_format(data):
    with pytest.raises(LogoError, match='megapixels'):
        logo.inspect(data)


def test_inspect_reports_what_it_found():
    image = png(600, 300)
    assert logo.inspect(image) == {'format': 'png', 'width': 600, 'height': 300, 'size': len(image),
                                   'sha256': hashlib.sha256(image).hexdigest()}


# --- scaling and names ---------------------------------------------------------------------------

@pytest.mark.parametrize('size, fitted', [
    ((600, 300), (80, 40)),
    ((1000, 100), (128, 13)),
    ((100, 20), (100, 20)),           # never enlarged
    ((128, 40), (128, 40)),
    ((10, 1000), (1, 40)),
    ((30000, 1), (128, 1)),           # never 0
    ((256, 40), (128, 20)),
])
def test_fit_into_128x40(size, fitted):
    assert logo.fit(*size) == fitted


def test_url_is_relative_and_named_by_content():
    name = logo.logo_name(b'image')
    assert name == hashlib.sha256(b'image').hexdigest() + '.png'
    assert logo.logo_url(name) == 'mailroom-logo/' + name
    assert logo.name_of_url(logo.logo_url(name)) == name


@pytest.mark.parametrize('url', [
    None, '', 'images/logo.svg', '/mailroom-logo/' + 'a' * 64 + '.png', 'mailroom-logo/../../etc/passwd',
    'mailroom-logo/' + 'A' * 64 + '.png', {'elastic': 'mailroom-logo/' + 'a' * 64 + '.png'},
])
def test_other_skin_logos_are_not_ours(url):
    assert logo.name_of_url(url) is None


# --- the settings area ------------------------------------------------------------------------

NAME = 'b' * 64 + '.png'
STORED = png(80, 40)


def state(skin_logo=None, stored=None):
    return State(webmail={'skin_logo': skin_logo}, facts={custom_logo.FACT: stored or {}})


def test_read_default_logo():
    assert custom_logo.read(state()) == {'state': 'absent'}
    assert custom_logo.read(State(webmail={}, facts={})) == {'state': 'absent'}


def test_read_our_logo():
    current = custom_logo.read(state('mailroom-logo/' + NAME, {NAME: STORED}))
    assert custom_logo.public(current) == {'state': 'present', 'url': 'mailroom-logo/' + NAME, 'width': 80,
                                           'height': 40, 'checksum': hashlib.sha256(STORED).hexdigest()}


@pytest.mark.parametrize('skin_logo, stored', [
    ('images/their-logo.png', {}),          # set by hand: not ours
    ('mailroom-logo/' + NAME, {}),          # our file is gone
])
def test_read_a_logo_without_our_file(skin_logo, stored):
    current = custom_logo.read(state(skin_logo, stored))
    assert custom_logo.public(current) == {'state': 'present', 'url': skin_logo, 'checksum': None,
                                           'width': None, 'height': None}


def test_read_a_damaged_file():
    current = custom_logo.read(state('mailroom-logo/' + NAME, {NAME: b'garbage'}))
    assert (current['width'], current['checksum']) == (None, hashlib.sha256(b'garbage').hexdigest())


def test_facts_read_only_files_named_like_ours(tmp_path, monkeypatch):
    monkeypatch.setattr(logo, 'LOGO_DIR', str(tmp_path))
    (tmp_path / NAME).write_bytes(STORED)
    (tmp_path / 'notes.txt').write_text('x')
    (tmp_path / ('.%s.tmp1234' % NAME)).write_bytes(b'half written')
    (tmp_path / ('c' * 64 + '.png')).symlink_to('/etc/passwd')
    assert custom_logo.facts() == {custom_logo.FACT: {NAME: STORED}}
    monkeypatch.setattr(logo, 'LOGO_DIR', str(tmp_path / 'missing'))
    assert custom_logo.facts() == {custom_logo.FACT: {}}


def test_desired_leaves_the_logo_alone_without_options():
    current = custom_logo.read(state('mailroom-logo/' + NAME, {NAME: STORED}))
    assert custom_logo.desired(current, {}) == current


def test_desired_absent():
    current = custom_logo.read(state('mailroom-logo/' + NAME, {NAME: STORED}))
    assert custom_logo.desired(current, {'state': 'absent'}) == {'state': 'absent'}


@pytest.mark.parametrize('options, message', [
    ({'state': 'absent', 'src': 'logo.png'}, 'not both'),
    ({'state': 'absent', 'content': 'AAAA'}, 'not both'),
    ({'state': 'present'}, 'needs src'),
    ({'src': 'logo.png'}, 'action plugin'),
    ({'content': 'not base64!'}, 'not base64'),
    ({'content': base64.b64encode(b'<svg onload="x"/>').decode()}, 'SVG'),
    ({'content': base64.b64encode(png(30000, 30000, rows=False)).decode()}, 'megapixels'),
])
def test_desired_refuses(options, message):
    with pytest.raises(SettingsError, match=message):
        custom_logo.desired({'state': 'absent'}, options)


def test_desired_refuses_an_image_other_than_the_one_checked_on_the_controller():
    image = png(600, 300)
    checked = logo.inspect(image)
    for key, value in (('sha256', '0' * 64), ('width', 601), ('size', 1)):
        with pytest.raises(SettingsError, match='not the one the controller checked'):
            custom_logo.decode(base64.b64encode(image).decode(), dict(checked, **{key: value}))
    assert custom_logo.decode(base64.b64encode(image).decode(), checked) == (image, checked)


def test_desired_without_pillow_says_what_to_install(monkeypatch):
    import builtins
    real_import = builtins.__import__

    def no_pillow(name, *args, **kwargs):
        if name == 'PIL' or name.startswith('PIL.'):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, '__import__', no_pillow)
    with pytest.raises(SettingsError, match='python3-pil'):
        custom_logo.desired({'state': 'absent'}, {'content': base64.b64encode(png(10, 10)).decode()})


def test_plan_present():
    wanted = custom_logo.read(state('mailroom-logo/' + NAME, {NAME: STORED}))
    plan = custom_logo.plan(wanted, state())
    assert plan.edits == {WEBMAIL: [('skin_logo', 'mailroom-logo/' + NAME)]}
    assert plan.actions == {WEBMAIL: 'reload'}
    (stored,) = plan.files
    assert (stored.path, stored.text, stored.daemon, stored.mode) == (
        '/var/lib/mailroom/webmail/logo/' + NAME, STORED, WEBMAIL, 0o644)


def test_plan_absent_sets_nothing():
    plan = custom_logo.plan({'state': 'absent'}, state())
    assert plan.edits == {WEBMAIL: []} and plan.actions == {WEBMAIL: 'reload'} and plan.files == []


def test_read_staged():
    wanted = custom_logo.read(state('mailroom-logo/' + NAME, {NAME: STORED}))
    # The new file is not on disk while staging: skin_logo pointing at it is what counts.
    assert custom_logo.read_staged(state('mailroom-logo/' + NAME), wanted) == wanted
    overridden = custom_logo.read_staged(state('images/other.png'), wanted)
    assert overridden['url'] == 'images/other.png'
    assert custom_logo.read_staged(state(), {'state': 'absent'}) == {'state': 'absent'}
    assert custom_logo.read_staged(state('images/other.png'), {'state': 'absent'})['state'] == 'present'


class FakeHost(object):
    def __init__(self, check_mode=False):
        self.check_mode = check_mode


OLD = 'a' * 64 + '.png'


def _stored_dir(tmp_path, monkeypatch, names):
    monkeypatch.setattr(logo, 'LOGO_DIR', str(tmp_path))
    for name in names:
        (tmp_path / name).write_bytes(STORED)
    return state(stored=dict((name, STORED) for name in names))


def test_follow_up_removes_every_logo_but_the_live_one(tmp_path, monkeypatch):
    before = _stored_dir(tmp_path, monkeypatch, [OLD, NAME])
    wanted = custom_logo.read(state('mailroom-logo/' + NAME, {NAME: STORED}))
    done = custom_logo.follow_up(FakeHost(), {'state': 'absent'}, wanted, before,
                                 {'activation': {WEBMAIL: 'reload'}})
    assert done.result == {'logo_files_removed': [OLD]} and done.changed and not done.failure
    assert sorted(path.name for path in tmp_path.iterdir()) == [NAME]


def test_follow_up_absent_removes_all(tmp_path, monkeypatch):
    before = _stored_dir(tmp_path, monkeypatch, [OLD, NAME])
    done = custom_logo.follow_up(FakeHost(), {'state': 'absent'}, {'state': 'absent'}, before, {'activation': {}})
    assert done.result == {'logo_files_removed': [OLD, NAME]} and done.changed
    assert list(tmp_path.iterdir()) == []


def test_follow_up_in_check_mode_removes_nothing(tmp_path, monkeypatch):
    before = _stored_dir(tmp_path, monkeypatch, [OLD])
    done = custom_logo.follow_up(FakeHost(check_mode=True), {'state': 'absent'}, {'state': 'absent'}, before,
                                 {'activation': {}})
    assert done.result == {'logo_files_removed': [OLD]} and done.changed
    assert [path.name for path in tmp_path.iterdir()] == [OLD]


def test_follow_up_keeps_old_files_until_the_webmail_takes_the_change(tmp_path, monkeypatch):
    before = _stored_dir(tmp_path, monkeypatch, [OLD])
    current = custom_logo.read(state('mailroom-logo/' + OLD, {OLD: STORED}))
    done = custom_logo.follow_up(FakeHost(), current, {'state': 'absent'}, before,
                                 {'activation': {WEBMAIL: 'none'}})
    assert done.result == {'logo_files_kept': [OLD]} and not done.changed and done.warnings
    assert [path.name for path in tmp_path.iterdir()] == [OLD]


def test_follow_up_nothing_stale():
    wanted = custom_logo.read(state('mailroom-logo/' + NAME, {NAME: STORED}))
    done = custom_logo.follow_up(FakeHost(), wanted, wanted, state(stored={NAME: STORED}), {'activation': {}})
    assert done.result == {} and not done.changed


def test_follow_up_reports_a_file_it_cannot_remove(tmp_path, monkeypatch):
    before = _stored_dir(tmp_path, monkeypatch, [OLD])
    monkeypatch.setattr(logo, 'LOGO_DIR', str(tmp_path / 'elsewhere'))
    (tmp_path / 'elsewhere').mkdir()
    (tmp_path / 'elsewhere' / OLD).mkdir()            # a directory: unlink fails
    done = custom_logo.follow_up(FakeHost(), {'state': 'absent'}, {'state': 'absent'}, before, {'activation': {}})
    assert done.failure and 'cannot remove' in done.failure and done.result == {'logo_files_removed': []}


# --- on the host: Pillow -----------------------------------------------------------------------

def _content(image):
    return base64.b64encode(image).decode()


@pytest.fixture
def pil():
    return pytest.importorskip('PIL.Image')


def _pillow_image(pil, fmt, size, mode='RGB', **save):
    import io
    stream = io.BytesIO()
    pil.new(mode, size, 'red' if mode != 'P' else 1).save(stream, fmt, **save)
    return stream.getvalue()


@pytest.mark.parametrize('fmt, size, fitted', [
    ('PNG', (600, 300), (80, 40)),
    ('PNG', (1000, 100), (128, 13)),
    ('PNG', (100, 20), (100, 20)),
    ('JPEG', (600, 300), (80, 40)),
    ('GIF', (1000, 100), (128, 13)),
    ('WEBP', (256, 80), (128, 40)),
])
def test_stored_as_png_scaled_to_fit(pil, fmt, size, fitted):
    import io
    image = _pillow_image(pil, fmt, size)
    wanted = custom_logo.desired({'state': 'absent'}, {'content': _content(image),
                                                       'controller_check': logo.inspect(image)})
    stored = pil.open(io.BytesIO(wanted['png']))
    assert (stored.format, stored.size) == ('PNG', fitted)
    assert (wanted['width'], wanted['height']) == fitted
    assert wanted['url'] == 'mailroom-logo/%s.png' % hashlib.sha256(wanted['png']).hexdigest()
    assert wanted['checksum'] == hashlib.sha256(wanted['png']).hexdigest()


def test_same_image_twice_is_unchanged(pil):
    image = _content(_pillow_image(pil, 'PNG', (600, 300)))
    first = custom_logo.desired({'state': 'absent'}, {'content': image})
    current = custom_logo.read(state(first['url'], {logo.name_of_url(first['url']): first['png']}))
    assert custom_logo.desired(current, {'content': image}) == current


def test_transparency_kept(pil):
    import io
    image = _pillow_image(pil, 'PNG', (300, 300), mode='RGBA')
    stored = pil.open(io.BytesIO(custom_logo.desired({'state': 'absent'}, {'content': _content(image)})['png']))
    assert stored.mode == 'RGBA'


def test_pillow_disagreeing_with_the_header_is_refused(pil):
    image = _pillow_image(pil, 'PNG', (600, 300))
    checked = dict(logo.inspect(image), width=599)
    with pytest.raises(SettingsError, match='decodes as PNG 600x300, not as the PNG 599x300'):
        custom_logo.render((image, checked))


def test_undecodable_image_refused(pil):
    image = _pillow_image(pil, 'PNG', (600, 300))
    broken = image[:60] + b'\0' * 40 + image[100:]
    with pytest.raises(SettingsError, match='cannot be decoded as PNG'):
        custom_logo.desired({'state': 'absent'}, {'content': _content(broken)})


@pytest.mark.parametrize('side', [8000, 30000])
def test_pillows_own_limit_holds_if_the_header_check_were_wrong(pil, side):
    # 8000x8000 is over the cap but under Pillow's default limit: the cap must be Pillow's too.
    image = png(side, side, depth=1, colour=0)
    checked = dict(logo.inspect(png(1, 1)), width=side, height=side)
    with pytest.raises(SettingsError, match='cannot be decoded as PNG: Image size'):
        custom_logo.render((image, checked))
