# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The TLS profile setting: Mozilla's server-side "modern" or "intermediate" (guidelines 6.0),
on every TLS listener of Postfix (25, 465, 587) and Dovecot (143, 993, 110, 995).

* intermediate: TLS 1.2 and 1.3; TLS 1.2 with ECDHE + AES-GCM or ChaCha20-Poly1305 only;
  groups X25519, P-256, P-384; the client picks the cipher. Works with every mail client in use.
* modern: TLS 1.3 only. Clients without TLS 1.3 (for example Outlook 2016 on Windows 7/8) cannot
  connect at all.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.mailroom.server.plugins.module_utils._engine import activation
from ansible_collections.mailroom.server.plugins.module_utils._dovecot import config as _dovecot
from ansible_collections.mailroom.server.plugins.module_utils._postfix.config import normalize_value
from ansible_collections.mailroom.server.plugins.module_utils._engine.area import DOVECOT, POSTFIX, Plan
from ansible_collections.mailroom.server.plugins.module_utils._engine.errors import SettingsError
from ansible_collections.mailroom.server.plugins.module_utils._operations import host_facts, tls_probe

NAME = 'tls_profile'
DAEMONS = (POSTFIX, DOVECOT)
OPTIONS = ('profile',)
PROFILES = ('modern', 'intermediate')
ARGUMENT_SPEC = dict(profile=dict(type='str', required=True, choices=list(PROFILES)))

TLS12_CIPHERS = ':'.join((
    'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256',
    'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384',
    'ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305',
))
GROUPS = ('X25519', 'prime256v1', 'secp384r1')
MIN_VERSION = {'modern': '1.3', 'intermediate': '1.2'}

# Values Dovecot uses when `doveconf -n` does not print a setting.
DOVECOT_DEFAULTS = {
    'ssl_min_protocol': 'TLSv1.2',
    'ssl_prefer_server_ciphers': 'no',
    'ssl_server_prefer_ciphers': 'client',
    'ssl_curve_list': '',
}


def postfix_parameters(profile, known):
    """main.cf parameters of the profile, limited to those this Postfix release knows."""
    protocols = '>=TLSv' + MIN_VERSION[profile]
    wanted = {
        'smtpd_tls_protocols': protocols,
        'smtpd_tls_mandatory_protocols': protocols,
        'smtpd_tls_ciphers': 'medium',
        'smtpd_tls_mandatory_ciphers': 'medium',
        'tls_medium_cipherlist': TLS12_CIPHERS,
        'tls_preempt_cipherlist': 'no',
        'tls_eecdh_auto_curves': ' '.join(GROUPS),
    }
    return dict((name, value) for name, value in wanted.items() if name in known)


def dovecot_settings(profile, dialect):
    prefer = (('ssl_server_prefer_ciphers', 'client') if dialect == _dovecot.DIALECT_24
              else ('ssl_prefer_server_ciphers', 'no'))
    return [
        ('ssl_min_protocol', 'TLSv' + MIN_VERSION[profile]),
        ('ssl_cipher_list', TLS12_CIPHERS),
        ('ssl_curve_list', ':'.join(GROUPS)),
        prefer,
    ]


def _matches(profile, state):
    for name, value in postfix_parameters(profile, state.postfix).items():
        if state.postfix.get(name) != normalize_value(value):
            return False
    for name, value in dovecot_settings(profile, state.dialect):
        if state.dovecot.get(name, DOVECOT_DEFAULTS.get(name)) != value:
            return False
    return True


def read(state):
    """The profile every TLS listener follows, or None when the configuration matches neither."""
    for profile in PROFILES:
        if _matches(profile, state):
            return dict(profile=profile)
    return dict(profile=None)


def desired(current, options, state):
    profile = options.get('profile')
    if profile is None:
        return dict(current)
    if profile not in PROFILES:
        raise SettingsError('profile must be one of %s, got %r' % (', '.join(PROFILES), profile))
    return dict(profile=profile)


def plan(wanted, state):
    profile = wanted['profile']
    text = _dovecot.render(dovecot_settings(profile, state.dialect), header=(
        'Managed by mailroom.server.tls_profile: Mozilla "%s" TLS on every Dovecot listener.'
        % profile))
    # smtpd processes read TLS settings when they start; a reload replaces them.
    return Plan(postfix_parameters=postfix_parameters(profile, state.postfix),
                postfix_action=activation.RELOAD, dovecot_text=text, dovecot_action=activation.RELOAD)


def in_effect(settings, listeners):
    """None when the live implicit-TLS listeners ({port: addresses}) answer with the profile's
    floor - TLS 1.2 refused under modern, accepted under intermediate - else what answered."""
    expected = None if settings['profile'] == 'modern' else 'TLSv1.2'
    for port in tls_probe.IMPLICIT_TLS_PORTS:
        if port not in listeners:
            continue
        answer = tls_probe.negotiated(host_facts.reachable_address(listeners[port]), port, '1.2')
        if answer != expected:
            return 'port %d answers a TLS 1.2 client with %s under the %s profile' % (
                port, answer or 'a refusal', settings['profile'])
    return None
