# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The failures a settings module reports with fail_json; anything else is a bug (a traceback).

``SettingsError`` is bad input: refused before anything on the host is touched.
``HostError`` and its kinds are operations on the host that did not work: a daemon refusing a
configuration, a directory that does not answer, doveadm failing, a file that cannot be written.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class SettingsError(Exception):
    """Bad input for a setting; the message names the option and the allowed values."""


class HostError(Exception):
    """An operation on the managed host failed; the message says which and why."""


class DaemonError(HostError):
    """A daemon refused a configuration or did not take it; the message is the daemon's own."""


class DirectoryError(HostError):
    """The LDAP directory or AD domain did not answer as needed; the message is its own."""


class DoveadmError(HostError):
    """A doveadm command failed; the message is doveadm's own."""


class FileError(HostError):
    """A file could not be read or written (disk full, read-only file system, permissions)."""


# Caught at the module boundary (the runner), and nowhere else.
EXPECTED = (SettingsError, HostError)
