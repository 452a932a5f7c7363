#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: high_availability
short_description: Make the mail host one node of a high-availability pair with a virtual IP
version_added: 0.4.0
description:
  - The admin panel's high-availability structure. keepalived (unicast VRRP to O(peer)) keeps a
    virtual IP (VIP) on whichever node is healthy; Postfix and Dovecot on both nodes serve the VIP
    while they hold it and start cleanly while they do not (the kernel's non-local bind).
  - Each daemon is checked on its own (C(postfix@-) on Debian 12, C(postfix) on 13; C(dovecot));
    a node whose daemon fails hands the VIP over.
  - Mail is kept on both nodes by the C(mailroom.server.ha) role's sync, which runs C(doveadm sync)
    for every user from the VIP holder to its peer over TLS every O(sync_interval) seconds. A node
    takes the VIP only after its first successful sync since it started.
  - Postfix gets the VIP in C(proxy_interfaces) and, while it is bound to an interface (see
    M(mailroom.server.network_interface)), a copy of every enabled SMTP, submission and SMTPS
    service bound to the VIP; Dovecot listens on the VIP besides the interface's addresses.
    M(mailroom.server.network_interface) never counts the VIP as one of the interface's addresses.
  - Refused before anything changes - a VIP outside the interface's networks or of a family the
    interface lacks, a O(router_id) outside 1-255, a O(peer) that is an address of this host, and a
    host without C(net.ipv4.ip_nonlocal_bind) (or C(net.ipv6.ip_nonlocal_bind)) set, which must be
    set when the host or container is created.
  - C(docs/ha.md) in the collection says what the pair does and does not guarantee.
extends_documentation_fragment:
  - mailroom.server.activation
options:
  state:
    description:
      - V(present) makes the host a node of the pair, V(absent) removes the VIP, its listeners and
        the sync's settings (keepalived stays installed, idle). Left out, V(present).
    type: str
    choices: [present, absent]
  interface:
    description: The network interface that carries the VIP (C(eth0), C(ens3), ...).
    type: str
  virtual_ip:
    description:
      - The VIP with its prefix length, V(192.0.2.10/24) or V(2001:db8::10/64), inside a network of
        O(interface) and of the same family.
    type: str
  peer:
    description: The other node's own address on O(interface) (same family as O(virtual_ip)).
    type: str
  priority:
    description: VRRP priority, 1 to 254; the higher takes the VIP when both start. V(100) for a new pair.
    type: int
  router_id:
    description: VRRP virtual router ID, 1 to 255, the same on both nodes and unique on the network.
    type: int
  auth_pass:
    description:
      - VRRP password, 1 to 8 printable characters (VRRPv2 carries 8), the same on both nodes.
        Required with an IPv4 VIP; an IPv6 VIP (VRRPv3) has none.
    type: str
  nopreempt:
    description:
      - A node that comes back does not take the VIP from the node holding it (the VIP moves only on
        failure). V(true) for a new pair.
    type: bool
  sync_interval:
    description: Seconds between two sync rounds, 5 to 86400. V(30) for a new pair.
    type: int
  sync_port:
    description: TCP port of the doveadm listener (TLS) the peer syncs through. V(12345) for a new pair.
    type: int
  sync_password:
    description: The doveadm password both nodes share, at least 16 printable characters.
    type: str
notes:
  - O(auth_pass) and O(sync_password) are masked in results; given back masked they stay as they are.
  - The settings belong to one node (O(peer), O(priority)); do not copy them to the other node unchanged.
  - C(docs/settings.md) in the collection lists every setting of the Protocol tab, the option that sets it and
    what changes on the host.
seealso:
  - module: mailroom.server.network_interface
  - module: mailroom.server.protocol
  - module: mailroom.server.settings_info
requirements:
  - netaddr on the host (Debian's C(python3-netaddr), which the C(mailroom.server.mta) role installs)
  - The C(mailroom.server.mta), C(mailroom.server.imap) and C(mailroom.server.ha) roles applied on the host
author:
  - mailroom.server developers (@mailroom)
'''

EXAMPLES = r'''
- name: First node of the pair
  mailroom.server.high_availability:
    interface: eth0
    virtual_ip: 192.0.2.10/24
    peer: 192.0.2.12
    priority: 150
    router_id: 51
    auth_pass: "{{ vault_vrrp_pass }}"
    sync_password: "{{ vault_sync_password }}"

- name: No longer a node of a pair
  mailroom.server.high_availability:
    state: absent
'''

RETURN = r'''
settings:
  description: The settings after the change (in check mode, what they would be), secrets masked.
  returned: always
  type: dict
  sample: {state: present, interface: eth0, virtual_ip: 192.0.2.10/24, peer: 192.0.2.12, priority: 150,
           router_id: 51, auth_pass: '********', nopreempt: true, sync_interval: 30, sync_port: 12345,
           sync_password: '********'}
activation:
  description: What was done, per daemon, to make the change effective.
  returned: always
  type: dict
  sample: {postfix: reload, dovecot: restart, keepalived: reload}
reload_required:
  description: A reload is still needed to make the change effective.
  returned: always
  type: bool
restart_required:
  description: A restart is still needed to make the change effective.
  returned: always
  type: bool
'''

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.mailroom.server.plugins.module_utils._addresses import HAS_NETADDR, NETADDR_IMPORT_ERROR
from ansible_collections.mailroom.server.plugins.module_utils._areas import registry
from ansible_collections.mailroom.server.plugins.module_utils._engine import runner


def main():
    areas = (registry.HIGH_AVAILABILITY,)
    module = AnsibleModule(argument_spec=runner.area_argument_spec(areas), supports_check_mode=True)
    if not HAS_NETADDR:
        module.fail_json(msg=missing_required_lib('netaddr'), exception=NETADDR_IMPORT_ERROR)
    runner.run(module, runner.area_requests(module.params, areas), registry.ALL)


if __name__ == '__main__':
    main()
