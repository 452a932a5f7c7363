# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.mailroom.server.plugins.module_utils._dovecot import config as _dovecot
from ansible_collections.mailroom.server.plugins.module_utils._areas import imap_pop3 as _imap_pop3
from ansible_collections.mailroom.server.plugins.module_utils._engine.runner import SettingsError, State

BASE = """protocols = imap pop3 lmtp
service imap-login {
  inet_listener imap {
    port = 143
  }
  inet_listener imaps {
    port = 993
    ssl = yes
  }
}
"""
ALL_ON = dict(imap=True, imap_ssl=True, pop3=True, pop3_ssl=True,
              prohibit_plaintext_auth=True, max_connections_per_user_ip=10)


def state(text=BASE, dialect='2.3'):
    return State(dovecot=_dovecot.parse_config(text), dialect=dialect)


@pytest.mark.parametrize('dialect', ['2.3', '2.4'])
def test_read_defaults(dialect):
    assert _imap_pop3.read(state(dialect=dialect)) == ALL_ON


def test_read_plaintext_setting_per_dialect():
    assert _imap_pop3.read(state(BASE + 'disable_plaintext_auth = no\n'))['prohibit_plaintext_auth'] is False
    assert _imap_pop3.read(state(BASE + 'auth_allow_cleartext = yes\n', '2.4'))['prohibit_plaintext_auth'] is False
    # The other release's name means nothing to this one.
    assert _imap_pop3.read(state(BASE + 'auth_allow_cleartext = yes\n', '2.3'))['prohibit_plaintext_auth'] is True


def test_read_protocol_off_turns_both_its_listeners_off():
    current = _imap_pop3.read(state(BASE.replace('imap pop3 lmtp', 'imap lmtp')))
    assert current['pop3'] is False and current['pop3_ssl'] is False


@pytest.mark.parametrize('limit', [0, 5001, -1])
def test_limit_out_of_range_names_the_option(limit):
    with pytest.raises(SettingsError, match='max_connections_per_user_ip must be between 1 and 5000'):
        _imap_pop3.desired(ALL_ON, {'max_connections_per_user_ip': limit})


@pytest.mark.parametrize('limit', [1, 10, 5000])
def test_limit_in_range(limit):
    assert _imap_pop3.desired(ALL_ON, {'max_connections_per_user_ip': limit})['max_connections_per_user_ip'] == limit


@pytest.mark.parametrize('dialect', ['2.3', '2.4'])
def test_render_reads_back_as_the_settings(dialect):
    wanted = dict(imap=False, imap_ssl=True, pop3=False, pop3_ssl=False,
                  prohibit_plaintext_auth=False, max_connections_per_user_ip=5000)
    text = _imap_pop3.render(wanted, dialect, ['imap', 'pop3', 'lmtp', 'sieve'])
    config = _dovecot.parse_config(text)
    assert _imap_pop3.read(State(dovecot=config, dialect=dialect)) == wanted
    assert config['protocols'] == 'imap lmtp sieve'


def test_render_sizes_limits_so_the_per_user_limit_is_reachable():
    config = _dovecot.parse_config(_imap_pop3.render(dict(ALL_ON, max_connections_per_user_ip=5000),
                                                     '2.3', ['lmtp']))
    for service in ('imap-login', 'pop3-login', 'imap', 'pop3'):
        assert int(_dovecot.lookup(config, 'service ' + service, 'process_limit')) > 5000
    login_total = 2 * int(_dovecot.lookup(config, 'service imap-login', 'process_limit'))
    for service in ('auth', 'anvil'):
        assert int(_dovecot.lookup(config, 'service ' + service, 'client_limit')) > login_total


def test_capacity_never_goes_below_dovecots_own_defaults():
    assert _imap_pop3.capacity(1) >= 1024


# The imap role's IMAP for the webmail: on 127.0.0.1 only, not a panel listener.
WEBMAIL_LISTENER = BASE.replace("""    ssl = yes
  }
}""", """    ssl = yes
  }
  inet_listener webmail {
    address = 127.0.0.1
    port = 10143
  }
}""")


@pytest.mark.parametrize('dialect', ['2.3', '2.4'])
def test_the_webmail_listener_is_not_the_panels(dialect):
    assert WEBMAIL_LISTENER != BASE
    assert _imap_pop3.read(state(WEBMAIL_LISTENER, dialect)) == ALL_ON
    assert _imap_pop3.ports(ALL_ON, state(WEBMAIL_LISTENER, dialect)) == {143: 'IMAP', 993: 'IMAPS', 110: 'POP3', 995: 'POP3S'}
    assert _imap_pop3.other_listeners(state(WEBMAIL_LISTENER, dialect).dovecot, 'imap-login') == ['inet_listener webmail']
    assert _imap_pop3.other_listeners(state(BASE, dialect).dovecot, 'imap-login') == []


@pytest.mark.parametrize('dialect', ['2.3', '2.4'])
def test_imap_off_keeps_the_webmails_imap(dialect):
    wanted = dict(ALL_ON, imap=False, imap_ssl=False)
    text = _imap_pop3.plan(wanted, state(WEBMAIL_LISTENER, dialect)).dovecot_text
    config = _dovecot.parse_config(text)
    assert 'imap' in _dovecot.protocols(config)
    # Read together with the base, the panel's IMAP is off all the same.
    assert _imap_pop3.read(state(WEBMAIL_LISTENER + text, dialect)) == wanted
    # Without such a listener IMAP goes, as before.
    assert 'imap' not in _dovecot.protocols(_dovecot.parse_config(
        _imap_pop3.plan(wanted, state(BASE, dialect)).dovecot_text))


def test_a_listener_turned_off_is_not_kept():
    off = WEBMAIL_LISTENER.replace('port = 10143', 'port = 0')
    assert _imap_pop3.other_listeners(state(off).dovecot, 'imap-login') == []
