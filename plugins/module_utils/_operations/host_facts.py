# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Facts about the host that settings areas need: listening ports, interface addresses."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import binascii

from ansible_collections.mailroom.server.plugins.module_utils import _addresses
from ansible_collections.mailroom.server.plugins.module_utils._engine import atomic_file as _atomic_file
from ansible_collections.mailroom.server.plugins.module_utils._engine.errors import HostError
from ansible_collections.mailroom.server.plugins.module_utils._areas.network_interface import (
    interface_addresses,
    interface_networks,
)

TCP_LISTEN = '0A'


def _address(hex_address):
    """The canonical text of an address as /proc/net/tcp* prints it (32-bit words in host
    order), the same form interface addresses take, so the two compare as text."""
    raw = binascii.unhexlify(hex_address)
    words = b''.join(raw[index:index + 4][::-1] for index in range(0, len(raw), 4))
    return str(_addresses.from_packed(words))


def parse_listeners(proc_net_tcp):
    """{port: set of local addresses} in LISTEN state, from /proc/net/tcp or /proc/net/tcp6."""
    listeners = {}
    for line in proc_net_tcp.splitlines()[1:]:
        fields = line.split()
        if len(fields) > 3 and fields[3] == TCP_LISTEN:
            address, port = fields[1].rsplit(':', 1)
            listeners.setdefault(int(port, 16), set()).add(_address(address))
    return listeners


def listeners():
    """{port: set of addresses} of every TCP listener on the host."""
    found = {}
    for path in ('/proc/net/tcp', '/proc/net/tcp6'):
        for port, addresses in parse_listeners(_atomic_file.read_text(path, default='')).items():
            found.setdefault(port, set()).update(addresses)
    return found


def listening_ports():
    return set(listeners())


def reachable_address(addresses):
    """An address to reach a listener bound to `addresses` from the host itself."""
    for wildcard, loopback in (('0.0.0.0', '127.0.0.1'), ('::', '::1')):
        if wildcard in addresses:
            return loopback
    return sorted(addresses)[0]


def _ip_json(module):
    ip = module.get_bin_path('ip', required=True, opt_dirs=['/usr/sbin', '/sbin'])
    rc, out, err = module.run_command([ip, '-json', 'address', 'show'])
    if rc != 0:
        raise HostError('ip -json address failed: %s' % (err or out).strip())
    return out


def gather(module):
    """Every fact a settings area may need, as plain data: `interfaces` (bindable addresses) and
    `networks` ("address/prefix-length", every address) by interface name, `listening_ports`."""
    out = _ip_json(module)
    return dict(interfaces=interface_addresses(out), networks=interface_networks(out),
                listening_ports=listening_ports())
