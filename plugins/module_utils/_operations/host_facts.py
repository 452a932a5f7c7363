# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Facts about the host that settings areas need: listening ports, interface addresses."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.mailroom.server.plugins.module_utils._engine import atomic_file as _atomic_file
from ansible_collections.mailroom.server.plugins.module_utils._areas.network_interface import (
    interface_addresses,
)

TCP_LISTEN = '0A'


def parse_listening_ports(proc_net_tcp):
    """Ports in LISTEN state from the text of /proc/net/tcp or /proc/net/tcp6."""
    ports = set()
    for line in proc_net_tcp.splitlines()[1:]:
        fields = line.split()
        if len(fields) > 3 and fields[3] == TCP_LISTEN:
            ports.add(int(fields[1].rsplit(':', 1)[1], 16))
    return ports


def listening_ports():
    ports = set()
    for path in ('/proc/net/tcp', '/proc/net/tcp6'):
        ports |= parse_listening_ports(_atomic_file.read_text(path, default=''))
    return ports


def interfaces(module):
    """Interface name -> bindable addresses, from `ip -json address`."""
    ip = module.get_bin_path('ip', required=True, opt_dirs=['/usr/sbin', '/sbin'])
    rc, out, err = module.run_command([ip, '-json', 'address', 'show'])
    if rc != 0:
        module.fail_json(msg='ip -json address failed: %s' % (err or out).strip())
    return interface_addresses(out)


def gather(module):
    """Every fact a settings area may need, as plain data."""
    return dict(interfaces=interfaces(module), listening_ports=listening_ports())
