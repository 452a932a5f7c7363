# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.mailroom.server.plugins.module_utils._operations import host_facts as _host_facts

PROC_NET_TCP = """  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:0019 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1
   1: 0200150A:03E1 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1
   2: 0200150A:0019 0100150A:D431 01 00000000:00000000 00:00000000 00000000     0        0 3 1
"""


def test_parse_listening_ports_only_listen_state():
    assert _host_facts.parse_listening_ports(PROC_NET_TCP) == {25, 993}
