# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A stand-in for libmilter's Python binding (Debian's python3-milter), for the milters' tests:
what a milter asks of Postfix is recorded instead of sent."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type


class FakeMilterBase(object):
    def __init__(self):
        self.macros, self.reply = {}, None
        self.changed, self.added, self.body_parts = [], [], []
        self.progressed, self.fail_replace = 0, False

    def setreply(self, code, xcode, text):
        self.reply = (code, xcode, text)

    def getsymval(self, name):
        return self.macros.get(name)

    def chgheader(self, field, index, value):
        self.changed.append((field, index, value))

    def addheader(self, name, value):
        self.added.append((name, value))

    def replacebody(self, chunk):
        if self.fail_replace:
            raise OSError('broken pipe')
        self.body_parts.append(chunk)

    def progress(self):
        self.progressed += 1


# The binding's answers as strings (readable in assertions), its flags as libmilter's values.
FAKE_MILTER = type('FakeMilter', (), dict(
    Base=FakeMilterBase, CONTINUE='continue', REJECT='reject', TEMPFAIL='tempfail', NOREPLY='noreply',
    ACCEPT='accept', SKIP='skip', ADDHDRS=0x1, CHGBODY=0x2, CHGHDRS=0x10, P_NOCONNECT=0x1, P_NOHELO=0x2,
    P_NORCPT=0x8, P_NOBODY=0x10, P_NOHDRS=0x20, P_NOEOH=0x40, P_NR_HDR=0x80, P_NOUNKNOWN=0x100,
    P_NODATA=0x200, P_SKIP=0x400))


class StaticStore(object):
    """A milter's settings store that answers `value`, or raises it when it is an exception."""

    def __init__(self, value):
        self.value = value

    def current(self):
        if isinstance(self.value, Exception):
            raise self.value
        return self.value
