# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The custom logo area (webmail): the logo Roundcube shows on its login page and beside the mail.

Options: src (an image on the controller) or state: absent (Roundcube's own logo). The action
plugin reads and checks src on the controller and hands the image over as ``content`` (base64)
with its check's result (``controller_check``); here the host checks it again, scales it with
Pillow to fit 128x40 (never enlarged) and stores it as PNG under a name made of its hash, which
Roundcube's ``skin_logo`` points at through the nginx alias the webmail role sets up.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import hashlib
import io
import os
import warnings

from ansible_collections.mailroom.server.plugins.module_utils._engine import activation, atomic_file
from ansible_collections.mailroom.server.plugins.module_utils._engine.area import WEBMAIL, FollowUp, ManagedFile, Plan
from ansible_collections.mailroom.server.plugins.module_utils._engine.errors import HostError, SettingsError
from ansible_collections.mailroom.server.plugins.module_utils._webmail import logo
from ansible_collections.mailroom.server.plugins.module_utils._webmail.logo import LogoError

NAME = 'custom_logo'
DAEMONS = (WEBMAIL,)
OPTIONS = ('src', 'state')
CHECK_SPEC = dict(
    format=dict(type='str'),
    width=dict(type='int'),
    height=dict(type='int'),
    size=dict(type='int'),
    sha256=dict(type='str'),
)
ARGUMENT_SPEC = dict(
    src=dict(type='str'),
    state=dict(type='str', choices=['present', 'absent']),
    # Set by the action plugin from src. no_log keeps a megabyte of base64 out of the logged
    # invocation; it is not a secret.
    content=dict(type='str', no_log=True),
    controller_check=dict(type='dict', options=CHECK_SPEC),
)
SKIN_LOGO = 'skin_logo'
FACT = 'webmail_logos'
# Pillow's names of the formats logo.inspect accepts (a camera's JPEG may open as MPO).
PILLOW_FORMATS = {'PNG': 'png', 'JPEG': 'jpeg', 'MPO': 'jpeg', 'GIF': 'gif', 'WEBP': 'webp'}


def facts():
    """The logos stored on the host, {file name: PNG bytes}; only files named like ours."""
    stored = {}
    if os.path.isdir(logo.LOGO_DIR):
        for name in sorted(os.listdir(logo.LOGO_DIR)):
            path = os.path.join(logo.LOGO_DIR, name)
            if logo.LOGO_NAME.match(name) and os.path.isfile(path) and not os.path.islink(path):
                stored[name] = atomic_file.read_bytes(path)
    return {FACT: stored}


def _present(url, png):
    """The settings of a logo at `url` whose stored file holds `png` (None: missing or not ours)."""
    width = height = None
    if png is not None:
        try:
            width, height = logo.dimensions(png, logo.image_format(png))
        except LogoError:
            # A damaged file: its checksum differs from any new rendering, so setting a logo replaces it.
            pass
    return {'state': 'present', 'url': url, 'checksum': hashlib.sha256(png).hexdigest() if png is not None else None,
            'width': width, 'height': height, 'png': png}


def read(state):
    """The current logo: {'state': 'absent'}, or present with its URL, checksum and size."""
    url = (state.webmail or {}).get(SKIN_LOGO)
    if not url:
        return {'state': 'absent'}
    name = logo.name_of_url(url)
    return _present(url, state.facts.get(FACT, {}).get(name) if name else None)


def read_staged(staged, wanted):
    """A new logo's file is written from the plan with the configuration: only skin_logo is staged."""
    if wanted['state'] == 'present' and (staged.webmail or {}).get(SKIN_LOGO) == wanted['url']:
        return wanted
    return read(staged)


def public(settings):
    """The settings without the image itself."""
    return dict((key, value) for key, value in settings.items() if key != 'png')


def as_options(settings):
    """The logo as options to give back: which image is a file on a controller, not on the host, so
    only whether one is shown (state: present keeps it)."""
    return {'state': settings['state']}


def desired(current, options, state=None):
    """The wanted logo: absent, the image given (checked again and scaled here), or as it is."""
    wanted_state = options.get('state')
    content = options.get('content')
    if wanted_state == 'absent':
        if content is not None or options.get('src') is not None:
            raise SettingsError('custom_logo: give either src (a new logo) or state: absent (the default '
                                'logo), not both')
        return {'state': 'absent'}
    if content is None:
        if options.get('src') is not None:
            raise SettingsError('custom_logo: src is read on the controller by the mailroom.server.custom_logo '
                                'action plugin, which did not run (no image content reached the host)')
        if wanted_state == 'present' and current['state'] != 'present':
            raise SettingsError('custom_logo: state: present needs src, the logo image (this host shows none yet)')
        # state: present alone (as client_info returns it) keeps the logo the host shows.
        return dict(current)
    png = render(decode(content, options.get('controller_check')))
    return _present(logo.logo_url(logo.logo_name(png)), png)


def decode(content, controller_check):
    """The image bytes from base64, checked again (never trusting the controller): (bytes, check)."""
    try:
        data = base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise LogoError('custom_logo: content is not base64 (it is set by the action plugin from src)')
    checked = logo.inspect(data)
    if controller_check is not None and dict(controller_check) != checked:
        raise LogoError('custom_logo: the image the host received (%s) is not the one the controller checked (%s)'
                        % (_summary(checked), _summary(controller_check)))
    return data, checked


def _summary(check):
    return '%s %sx%s, %s bytes, sha256 %s' % tuple(
        check.get(key) for key in ('format', 'width', 'height', 'size', 'sha256'))


def _pillow():
    try:
        from PIL import Image, ImageOps
    except ImportError:
        raise SettingsError('custom_logo: Pillow (Debian package python3-pil) is missing on the host; the '
                            'mailroom.server.webmail role installs it')
    return Image, ImageOps


def render(decoded):
    """The logo as PNG bytes: decoded with Pillow, upright, scaled to fit logo.BOX, never enlarged."""
    data, checked = decoded
    image_module, image_ops = _pillow()
    # Pillow's own limit as well: its idea of the size must not go past what the header promised.
    image_module.MAX_IMAGE_PIXELS = logo.MAX_PIXELS
    with warnings.catch_warnings():
        warnings.simplefilter('error', image_module.DecompressionBombWarning)
        try:
            image = image_module.open(io.BytesIO(data))
            _same_image(image, checked)
            image.load()
            _same_image(image, checked)
            image = image_ops.exif_transpose(image)
            transparent = image.mode in ('RGBA', 'LA', 'PA') or 'transparency' in image.info
            image = image.convert('RGBA' if transparent else 'RGB')
            size = logo.fit(image.width, image.height)
            if size != image.size:
                resampling = getattr(image_module, 'Resampling', image_module)
                image = image.resize(size, resampling.LANCZOS)
            stream = io.BytesIO()
            image.save(stream, 'PNG', optimize=True)
        except (OSError, SyntaxError, ValueError, EOFError, image_module.DecompressionBombError,
                image_module.DecompressionBombWarning) as exc:
            raise LogoError('custom_logo: the image cannot be decoded as %s: %s' % (checked['format'].upper(), exc))
    return stream.getvalue()


def _same_image(image, checked):
    fmt = PILLOW_FORMATS.get(image.format)
    if fmt != checked['format'] or image.width > checked['width'] or image.height > checked['height']:
        raise LogoError('custom_logo: the image decodes as %s %dx%d, not as the %s %dx%d its header gives'
                        % (image.format, image.width, image.height, checked['format'].upper(),
                           checked['width'], checked['height']))


def plan(wanted, state):
    """skin_logo in the webmail's settings, and the stored file (written before the configuration)."""
    if wanted['state'] == 'absent':
        return Plan(edits={WEBMAIL: []}, actions={WEBMAIL: activation.RELOAD})
    path = os.path.join(logo.LOGO_DIR, logo.name_of_url(wanted['url']))
    return Plan(edits={WEBMAIL: [(SKIN_LOGO, wanted['url'])]}, actions={WEBMAIL: activation.RELOAD},
                files=[ManagedFile(path, wanted['png'], WEBMAIL, mode=0o644)])


def follow_up(host, current, wanted, state, outcome):
    """Remove the logos no longer shown once the webmail shows the wanted one (keep only the live file)."""
    keep = logo.name_of_url(wanted.get('url')) if wanted['state'] == 'present' else None
    stale = sorted(name for name in state.facts.get(FACT, {}) if name != keep)
    if not stale:
        return FollowUp()
    if host.check_mode:
        return FollowUp({'logo_files_removed': stale}, changed=True)
    if current != wanted and outcome['activation'].get(WEBMAIL) in (None, 'none'):
        # php-fpm still runs the previous settings, which may show an old file.
        return FollowUp({'logo_files_kept': stale}, warnings=[
            'custom_logo: %d old logo files are kept until the webmail is reloaded; the next run removes them'
            % len(stale)])
    removed = []
    for name in stale:
        try:
            atomic_file.remove(os.path.join(logo.LOGO_DIR, name))
        except HostError as exc:
            return FollowUp({'logo_files_removed': removed}, changed=bool(removed), failure=str(exc))
        removed.append(name)
    return FollowUp({'logo_files_removed': removed}, changed=True)
