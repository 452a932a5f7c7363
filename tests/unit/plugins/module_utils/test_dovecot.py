# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.mailroom.server.plugins.module_utils._dovecot import config as _dovecot

DOVECONF_23 = """# 2.3.19.1 (9b53102964): /etc/dovecot/dovecot.conf
# OS: Linux 6.1 x86_64 Debian 12.8
disable_plaintext_auth = no
protocols = imap pop3 lmtp
service imap-login {
  inet_listener imap {
    port = 143
  }
  inet_listener imaps {
    port = 993
    ssl = yes
  }
}
protocol imap {
  mail_max_userip_connections = 20
}
"""

DOVECONF_24 = """# 2.4.1-4 (7d8c0e5759): /etc/dovecot/dovecot.conf
dovecot_config_version = 2.4.0
protocols {
  imap = yes
  lmtp = yes
  pop3 = no
}
namespace inbox {
  mailbox Drafts {
    special_use = "\\\\Drafts"
  }
}
"""


@pytest.mark.parametrize('output, dialect', [
    ('2.3.19.1 (9b53102964)', '2.3'),
    ('2.4.1-4 (7d8c0e5759)', '2.4'),
    ('2.4.0', '2.4'),
    ('3.0.0', '2.4'),
])
def test_dialect_from_version(output, dialect):
    assert _dovecot.dialect_from_version(output) == dialect


def test_dialect_from_garbage_is_an_error():
    with pytest.raises(ValueError):
        _dovecot.dialect_from_version('dovecot: command not found')


def test_parse_nested_sections():
    config = _dovecot.parse_config(DOVECONF_23)
    assert config['disable_plaintext_auth'] == 'no'
    assert _dovecot.lookup(config, 'service imap-login', 'inet_listener imaps', 'port') == '993'
    assert _dovecot.lookup(config, 'protocol imap', 'mail_max_userip_connections') == '20'
    assert _dovecot.lookup(config, 'protocol pop3', 'x', default='d') == 'd'


def test_protocols_in_both_forms():
    assert _dovecot.protocols(_dovecot.parse_config(DOVECONF_23)) == ['imap', 'pop3', 'lmtp']
    assert _dovecot.protocols(_dovecot.parse_config(DOVECONF_24)) == ['imap', 'lmtp']


def test_render_round_trips_through_parse():
    entries = [
        ('protocols', 'imap lmtp'),
        ('service imap-login', [('inet_listener imap', [('port', '0')]), ('process_limit', '1024')]),
        ('protocol imap', [('mail_max_userip_connections', '50')]),
        ('ssl_cipher_list', 'A:B'),
    ]
    text = _dovecot.render(entries, header='managed by test\n')
    assert text.startswith('# managed by test\n')
    config = _dovecot.parse_config(text)
    assert config['protocols'] == 'imap lmtp'
    assert _dovecot.lookup(config, 'service imap-login', 'inet_listener imap', 'port') == '0'
    assert _dovecot.lookup(config, 'protocol imap', 'mail_max_userip_connections') == '50'


def test_render_quotes_values_with_spaces_and_specials():
    text = _dovecot.render([('a', 'x y'), ('b', ''), ('c', 'say "hi"'), ('d', '#x')])
    assert 'a = x y\n' in text
    assert 'd = "#x"\n' in text
    assert 'b = ""\n' in text
    assert 'c = "say \\"hi\\""\n' in text


def test_render_empty_is_empty():
    assert _dovecot.render([]) == ''


def test_parse_unquotes_values():
    config = _dovecot.parse_config('a = "x \\"y\\" \\\\z"\nb = plain\n')
    assert config['a'] == 'x "y" \\z'
    assert config['b'] == 'plain'


# Issue 10: a value holding a newline would add settings of its own (a bind password
# "x\nauth_bind = no" would be two settings); the renderer refuses it, naming only the key.
@pytest.mark.parametrize('value', ['x\nauth_bind = no', 'x\r', 'x\x00', 'x\u2028y', 'x\x85y'])
def test_render_refuses_values_that_are_not_one_line(value):
    with pytest.raises(_dovecot.ConfigError, match='ldap_auth_dn_password must be a single line') as caught:
        _dovecot.render([('passdb ldap', [('ldap_auth_dn_password', value)])])
    assert value not in str(caught.value)


@pytest.mark.parametrize('key', ['a\nb', 'a { b', 'a = b', 'a#'])
def test_render_refuses_bad_keys(key):
    with pytest.raises(_dovecot.ConfigError):
        _dovecot.render([(key, 'x')])


def test_render_quotes_a_leading_file_marker():
    # Unquoted, "<path" makes Dovecot read the value from that file.
    assert _dovecot.render([('ldap_auth_dn_password', '</etc/shadow')]) == 'ldap_auth_dn_password = "</etc/shadow"\n'
    assert _dovecot.parse_config('a = "</etc/shadow"\n') == {'a': '</etc/shadow'}


def test_a_refused_value_is_bad_input_for_the_settings_engine():
    # The engine reports SettingsError with fail_json before anything is touched; anything else
    # would be a traceback.
    from ansible_collections.mailroom.server.plugins.module_utils._engine.errors import SettingsError
    with pytest.raises(SettingsError):
        _dovecot.render([('ldap_base', 'dc=example,dc=test\nauth_bind = no')])
