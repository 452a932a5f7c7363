# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""IP addresses, networks and host names as the daemons' settings hold them, parsed by netaddr.

netaddr is Debian's python3-netaddr (0.8 on Debian 12, 1.x on 13), which the mta role installs
before any module of the collection runs; modules fail with missing_required_lib when HAS_NETADDR
is false. Parsing is inet_pton-strict on both releases: "127.1", "010.0.0.1", a scope ("%eth0"),
surrounding spaces or a newline are not addresses.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import binascii
import re
import traceback

try:
    from netaddr import INET_PTON, AddrFormatError, IPAddress, IPNetwork
except ImportError:
    HAS_NETADDR = False
    NETADDR_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_NETADDR = True
    NETADDR_IMPORT_ERROR = None

# ASCII digits only: str.isdigit() would also take "²" or Arabic-Indic digits.
_PREFIX_LENGTH = re.compile(r'\A(?:0|[1-9][0-9]{0,2})\Z')
# RFC 1123 labels; a name of digits and dots only is an IPv4 address or nothing.
_LABEL = re.compile(r'\A[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\Z')
_NUMERIC_NAME = re.compile(r'\A[0-9.]+\Z')


def parse_address(text):
    """The netaddr.IPAddress `text` spells (IPv4 or IPv6), or None if it spells none."""
    if not isinstance(text, str):
        return None
    try:
        return IPAddress(text, flags=INET_PTON)
    except (AddrFormatError, ValueError, TypeError):
        return None


def parse_network(text):
    """The netaddr.IPNetwork of "address/prefix-length", or None.

    The address must be complete and the length decimal: netaddr alone would also take "10/8"
    (0.8) or a netmask after the slash, which Postfix does not.
    """
    if not isinstance(text, str):
        return None
    address_text, slash, length = text.partition('/')
    address = parse_address(address_text)
    if address is None or not slash or not _PREFIX_LENGTH.match(length):
        return None
    try:
        return IPNetwork('%s/%s' % (address, length))
    except (AddrFormatError, ValueError, TypeError):
        return None


def from_packed(packed):
    """The netaddr.IPAddress of 4 (IPv4) or 16 (IPv6) bytes in network order."""
    return IPAddress(int(binascii.hexlify(packed), 16), 4 if len(packed) == 4 else 6)


def canonical(text):
    """`text` in netaddr's canonical form if it is an address (lower case, "::" compressed),
    else unchanged, so the same address written two ways compares equal."""
    address = parse_address(text)
    return text if address is None else str(address)


def is_host_name(text):
    """True for a DNS host name (RFC 1123), which is not an address."""
    if not isinstance(text, str) or not text or len(text) > 253 or _NUMERIC_NAME.match(text):
        return False
    return all(_LABEL.match(label) for label in text[:-1 if text.endswith('.') else None].split('.'))
