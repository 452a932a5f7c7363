# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The IMAP/POP3 settings area (Dovecot): read it from a parsed config, plan and render a change.

Options: pop3, pop3_ssl, imap, imap_ssl (listeners on 110, 995, 143, 993),
prohibit_plaintext_auth, max_connections_per_user_ip (1-5000).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.mailroom.server.plugins.module_utils._engine import activation
from ansible_collections.mailroom.server.plugins.module_utils._dovecot import config as _dovecot
from ansible_collections.mailroom.server.plugins.module_utils._engine.area import DOVECOT, Plan
from ansible_collections.mailroom.server.plugins.module_utils._engine.errors import SettingsError

NAME = 'imap_pop3'
DAEMONS = (DOVECOT,)

# option -> (protocol, login service, listener name, standard port)
LISTENERS = (
    ('imap', 'imap', 'imap-login', 'imap', 143),
    ('imap_ssl', 'imap', 'imap-login', 'imaps', 993),
    ('pop3', 'pop3', 'pop3-login', 'pop3', 110),
    ('pop3_ssl', 'pop3', 'pop3-login', 'pop3s', 995),
)
OPTIONS = tuple(row[0] for row in LISTENERS) + ('prohibit_plaintext_auth', 'max_connections_per_user_ip')
ARGUMENT_SPEC = dict(
    imap=dict(type='bool'),
    imap_ssl=dict(type='bool'),
    pop3=dict(type='bool'),
    pop3_ssl=dict(type='bool'),
    prohibit_plaintext_auth=dict(type='bool'),
    max_connections_per_user_ip=dict(type='int'),
)
MAX_CONNECTIONS_RANGE = (1, 5000)
DOVECOT_DEFAULT_USERIP_CONNECTIONS = 10

# Room above the per-user limit for every other user of the server. Each IMAP/POP3 connection
# holds one mail process and, while TLS is proxied, one login process; auth and anvil serve them all.
CAPACITY_FLOOR = 1024


def _plaintext_key(dialect):
    return 'auth_allow_cleartext' if dialect == _dovecot.DIALECT_24 else 'disable_plaintext_auth'


def read(state):
    """Return the current settings, in the module's option shape."""
    config, dialect = state.dovecot, state.dialect
    enabled = set(_dovecot.protocols(config))
    current = {}
    for option, protocol, service, listener, port in LISTENERS:
        listener_port = _dovecot.lookup(config, 'service ' + service, 'inet_listener ' + listener,
                                        'port', default=str(port))
        current[option] = protocol in enabled and listener_port != '0'
    plaintext = config.get(_plaintext_key(dialect))
    if dialect == _dovecot.DIALECT_24:
        current['prohibit_plaintext_auth'] = plaintext != 'yes'
    else:
        current['prohibit_plaintext_auth'] = plaintext != 'no'
    limit = _dovecot.lookup(config, 'protocol imap', 'mail_max_userip_connections',
                            default=config.get('mail_max_userip_connections'))
    current['max_connections_per_user_ip'] = int(limit or DOVECOT_DEFAULT_USERIP_CONNECTIONS)
    return current


def ports(settings, state):
    """The ports these settings open (the role's standard ports)."""
    return dict((port, listener.upper()) for option, _protocol, _service, listener, port in LISTENERS
                if settings and settings[option])


def validate(options):
    """Fail on values outside the setting's range; None means "leave as it is"."""
    limit = options.get('max_connections_per_user_ip')
    low, high = MAX_CONNECTIONS_RANGE
    if limit is not None and not low <= limit <= high:
        raise SettingsError('max_connections_per_user_ip must be between %d and %d, got %d'
                            % (low, high, limit))


def desired(current, options, state=None):
    """Merge the given options over the current settings."""
    validate(options)
    result = dict(current)
    result.update((name, value) for name, value in options.items()
                  if name in OPTIONS and value is not None)
    return result


def capacity(limit):
    """Server-wide connection capacity sized so that one user can really hold `limit` connections."""
    return max(CAPACITY_FLOOR, limit + CAPACITY_FLOOR)


def other_listeners(config, service):
    """The listeners of a login service that are not the panel's and listen (such as the imap
    role's IMAP for the webmail on 127.0.0.1): they are not this area's to read or change."""
    owned = set('inet_listener ' + listener for _option, _protocol, owner, listener, _port in LISTENERS
                if owner == service)
    section = _dovecot.lookup(config, 'service ' + service, default={})
    return sorted(key for key, value in section.items()
                  if key.startswith('inet_listener ') and key not in owned
                  and isinstance(value, dict) and value.get('port', '0') != '0')


def plan(wanted, state):
    """Dovecot reloads listener and limit changes in place (its master re-binds), no restart."""
    kept = [protocol for protocol, service in (('imap', 'imap-login'), ('pop3', 'pop3-login'))
            if other_listeners(state.dovecot, service)]
    text = render(wanted, state.dialect, _dovecot.protocols(state.dovecot), kept)
    return Plan(dovecot_text=text, dovecot_action=activation.RELOAD)


def render(settings, dialect, other_protocols, kept=()):
    """Render the override file that makes Dovecot match `settings`.

    `other_protocols` are enabled protocols this area does not own (lmtp, sieve, ...): they stay.
    `kept` protocols stay enabled with both panel listeners off, for listeners that are not the
    panel's (the webmail's IMAP keeps working when the panel turns IMAP off).
    """
    wanted = [name for name in ('imap', 'pop3')
              if settings[name] or settings[name + '_ssl'] or name in kept]
    entries = [('protocols', ' '.join(wanted + [p for p in other_protocols if p not in ('imap', 'pop3')]))]
    if dialect == _dovecot.DIALECT_24:
        entries.append((_plaintext_key(dialect), 'no' if settings['prohibit_plaintext_auth'] else 'yes'))
    else:
        entries.append((_plaintext_key(dialect), 'yes' if settings['prohibit_plaintext_auth'] else 'no'))

    limit = settings['max_connections_per_user_ip']
    size = capacity(limit)
    for service in ('imap-login', 'pop3-login'):
        listeners = [('inet_listener ' + listener, [('port', str(port if settings[option] else 0))])
                     for option, _protocol, owner, listener, port in LISTENERS if owner == service]
        entries.append(('service ' + service, listeners + [('process_limit', str(size))]))
    for service in ('imap', 'pop3'):
        entries.append(('service ' + service, [('process_limit', str(size))]))
    # Dovecot counts every login process (and lmtp, urlauth) as a client of auth and anvil.
    for service in ('auth', 'anvil'):
        entries.append(('service ' + service, [('client_limit', str(2 * size + CAPACITY_FLOOR))]))
    for protocol in ('imap', 'pop3'):
        entries.append(('protocol ' + protocol, [('mail_max_userip_connections', str(limit))]))
    return _dovecot.render(entries, header=(
        'Managed by mailroom.server.imap_pop3: the IMAP/POP3 settings area.\n'
        'Changes made here by hand are replaced on its next change.'))
