# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Addresses, networks and host names as the modules parse them (netaddr, inet_pton-strict)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.mailroom.server.plugins.module_utils import _addresses


@pytest.mark.parametrize('text, canonical, version', [
    ('192.0.2.1', '192.0.2.1', 4),
    ('2001:DB8:0:0::1', '2001:db8::1', 6),
    ('::', '::', 6),
    ('::ffff:192.0.2.1', '::ffff:192.0.2.1', 6),
])
def test_addresses_parse_to_their_canonical_form(text, canonical, version):
    address = _addresses.parse_address(text)
    assert (str(address), address.version) == (canonical, version)
    assert _addresses.canonical(text) == canonical


# What the C library's inet_aton would take, and what breaks a config line, is not an address.
@pytest.mark.parametrize('text', [
    '127.1', '10', '010.0.0.1', '0x7f.0.0.1', '256.0.0.1', '192.0.2.1.', ' 192.0.2.1', '192.0.2.1 ',
    '192.0.2.1\n', '192.0.2.1\nrelayhost = x', '2001:db8::1\n', '2001:db8::1 ', 'fe80::1%eth0',
    '1::2::3', ':::', '[2001:db8::1]', '192.0.2.1/32', '\u0661.2.3.4', '', None, 3232235777,
])
def test_what_is_not_an_address(text):
    assert _addresses.parse_address(text) is None


def test_a_name_is_not_canonicalised():
    assert _addresses.canonical('*') == '*'
    assert _addresses.canonical('mail.example.test') == 'mail.example.test'


@pytest.mark.parametrize('text, network, prefixlen', [
    ('192.0.2.0/24', '192.0.2.0', 24),
    ('192.0.2.7/24', '192.0.2.0', 24),      # parsed; whether host bits may be set is the caller's
    ('0.0.0.0/0', '0.0.0.0', 0),
    ('2001:db8::/32', '2001:db8::', 32),
    ('::1/128', '::1', 128),
])
def test_networks(text, network, prefixlen):
    parsed = _addresses.parse_network(text)
    assert (str(parsed.network), parsed.prefixlen) == (network, prefixlen)


@pytest.mark.parametrize('text', [
    '192.0.2.0', '192.0.2.0/', '192.0.2.0/33', '2001:db8::/129', '10/8', '192.0.2.0/255.255.255.0',
    '192.0.2.0/024', '192.0.2.0/ 24', '192.0.2.0/24\n', '192.0.2.0/-1', '192.0.2.0/\u0662\u0664',
    '[2001:db8::]/32', '127.1/8', None,
])
def test_what_is_not_a_network(text):
    assert _addresses.parse_network(text) is None


def test_packed_addresses():
    assert str(_addresses.from_packed(b'\x7f\x00\x00\x01')) == '127.0.0.1'
    assert str(_addresses.from_packed(b'\x00' * 15 + b'\x01')) == '::1'
    assert str(_addresses.from_packed(b'\x00' * 10 + b'\xff\xff\x7f\x00\x00\x01')) == '::ffff:127.0.0.1'


@pytest.mark.parametrize('text, expected', [
    ('ldap.example.test', True),
    ('ldap.example.test.', True),
    ('dc1', True),
    ('a-b.example', True),
    ('-a.example', False),
    ('a_b.example', False),
    ('a..example', False),
    ('192.0.2.1', False),
    ('999.1.1.1', False),
    ('ldap.example.test\n', False),
    ('ldap example', False),
    ('x' * 64 + '.example', False),
    ('', False),
    (None, False),
])
def test_host_names(text, expected):
    assert _addresses.is_host_name(text) is expected
