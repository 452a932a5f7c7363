# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read and atomically replace configuration files, keeping their owner and mode."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import tempfile

from ansible_collections.mailroom.server.plugins.module_utils._engine.errors import FileError


def read_text(path, default=None):
    """Return the file's text, or `default` when it does not exist; FileError if unreadable."""
    try:
        with open(path, 'r', encoding='utf-8') as handle:
            return handle.read()
    except UnicodeDecodeError as exc:
        raise FileError('%s is not UTF-8 text: %s' % (path, exc))
    except (IOError, OSError) as exc:
        if os.path.exists(path):
            raise FileError('cannot read %s: %s' % (path, exc))
        return default


def read_bytes(path, default=None):
    """Return the file's bytes, or `default` when it does not exist; FileError if unreadable."""
    try:
        with open(path, 'rb') as handle:
            return handle.read()
    except (IOError, OSError) as exc:
        if os.path.exists(path):
            raise FileError('cannot read %s: %s' % (path, exc))
        return default


def read_like(path, content, default=None):
    """The file's current content in the kind of `content`: bytes for bytes, else text."""
    return read_bytes(path, default) if isinstance(content, bytes) else read_text(path, default)


def write_staged(path, text):
    """Write into a staged copy; a copied symbolic link is replaced, never written through."""
    if os.path.islink(path):
        os.unlink(path)
    with open(path, 'w', encoding='utf-8') as handle:
        handle.write(text)


def write_atomic(path, text, mode=0o644, gid=None):
    """Replace `path` with `text` in one rename, so readers never see a half-written file.

    An existing file's owner and mode carry over; a new file gets `mode`, root as owner and
    `gid` (or root) as group. A symbolic link stays a link: its target is replaced.
    Raises FileError (the file is then as it was).
    """
    try:
        _replace(os.path.realpath(path), text, mode, gid)
    except (IOError, OSError) as exc:
        raise FileError('cannot write %s: %s' % (path, exc))


def remove(path):
    """Delete `path` if it exists; FileError if it cannot be deleted."""
    try:
        if os.path.lexists(path):
            os.unlink(path)
    except (IOError, OSError) as exc:
        raise FileError('cannot remove %s: %s' % (path, exc))


def _replace(path, text, mode, gid):
    directory = os.path.dirname(path) or '.'
    handle, temp_path = tempfile.mkstemp(dir=directory, prefix='.%s.' % os.path.basename(path))
    try:
        # Binary content (an image) is written as it is, text as UTF-8.
        with (os.fdopen(handle, 'wb') if isinstance(text, bytes) else os.fdopen(handle, 'w', encoding='utf-8')) as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        if os.path.exists(path):
            status = os.stat(path)
            os.chmod(temp_path, status.st_mode & 0o7777)
            os.chown(temp_path, status.st_uid, status.st_gid)
        else:
            os.chmod(temp_path, mode)
            if gid is not None:
                os.chown(temp_path, 0, gid)
        os.rename(temp_path, path)
    except BaseException:
        if os.path.exists(temp_path):
            os.unlink(temp_path)
        raise
