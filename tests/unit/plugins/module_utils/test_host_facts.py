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


PROC_NET_TCP6 = """  sl  local_address                         remote_address                        st
   0: 00000000000000000000000000000000:03E1 00000000000000000000000000000000:0000 0A 0
   1: 00000000000000000000000001000000:0019 00000000000000000000000000000000:0000 0A 0
   2: B80D0120000000000000000002000000:024B 00000000000000000000000000000000:0000 0A 0
   3: 0000000000000000FFFF00000100007F:0024 00000000000000000000000000000000:0000 0A 0
"""


def test_parse_listeners_only_listen_state_with_their_addresses():
    assert _host_facts.parse_listeners(PROC_NET_TCP) == {25: {'0.0.0.0'}, 993: {'10.21.0.2'}}
    # canonical, as interface addresses are: 2001:db8::2, not 2001:db8:0:0:0:0:0:2
    assert _host_facts.parse_listeners(PROC_NET_TCP6) == {
        993: {'::'}, 25: {'::1'}, 587: {'2001:db8::2'}, 36: {'::ffff:127.0.0.1'}}


def test_a_wildcard_listener_is_reached_on_loopback():
    assert _host_facts.reachable_address({'0.0.0.0', '::'}) == '127.0.0.1'
    assert _host_facts.reachable_address({'::'}) == '::1'
    assert _host_facts.reachable_address({'10.21.0.2'}) == '10.21.0.2'
