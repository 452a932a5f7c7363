# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.mailroom.server.plugins.module_utils._dovecot import config as _dovecot
from ansible_collections.mailroom.server.plugins.module_utils._areas import tls_profile as _tls_profile
from ansible_collections.mailroom.server.plugins.module_utils._engine.runner import SettingsError, State

# Parameter names Postfix 3.7 knows, among those the profiles use (no tls_ffdhe_auto_groups).
KNOWN_37 = dict.fromkeys([
    'smtpd_tls_protocols', 'smtpd_tls_mandatory_protocols', 'smtpd_tls_ciphers',
    'smtpd_tls_mandatory_ciphers', 'tls_medium_cipherlist', 'tls_preempt_cipherlist',
    'tls_eecdh_auto_curves'], 'x')


def test_only_known_parameters_are_emitted():
    known = dict(KNOWN_37)
    del known['tls_eecdh_auto_curves']
    assert 'tls_eecdh_auto_curves' not in _tls_profile.postfix_parameters('modern', known)
    assert 'tls_eecdh_auto_curves' in _tls_profile.postfix_parameters('modern', KNOWN_37)


@pytest.mark.parametrize('profile, floor', [('modern', '>=TLSv1.3'), ('intermediate', '>=TLSv1.2')])
def test_profiles_floor(profile, floor):
    parameters = _tls_profile.postfix_parameters(profile, KNOWN_37)
    assert parameters['smtpd_tls_protocols'] == parameters['smtpd_tls_mandatory_protocols'] == floor
    assert dict(_tls_profile.dovecot_settings(profile, '2.3'))['ssl_min_protocol'] == floor[2:]


def test_intermediate_ciphers_are_forward_secret_aead_only():
    for cipher in _tls_profile.TLS12_CIPHERS.split(':'):
        assert cipher.startswith('ECDHE-') and ('GCM' in cipher or 'CHACHA20' in cipher)


def test_client_chooses_the_cipher_in_both_dialects():
    assert dict(_tls_profile.dovecot_settings('intermediate', '2.3'))['ssl_prefer_server_ciphers'] == 'no'
    assert dict(_tls_profile.dovecot_settings('intermediate', '2.4'))['ssl_server_prefer_ciphers'] == 'client'


@pytest.mark.parametrize('dialect', ['2.3', '2.4'])
@pytest.mark.parametrize('profile', ['modern', 'intermediate'])
def test_plan_reads_back_as_the_profile(profile, dialect):
    st = State(postfix=dict(KNOWN_37), dovecot={}, dialect=dialect)
    plan = _tls_profile.plan({'profile': profile}, st)
    staged = State(postfix=dict(KNOWN_37, **plan.postfix_parameters),
                   dovecot=_dovecot.parse_config(plan.dovecot_text), dialect=dialect)
    assert _tls_profile.read(staged) == {'profile': profile}


def test_untouched_stock_configuration_matches_no_profile():
    st = State(postfix=dict(KNOWN_37), dovecot={}, dialect='2.3')
    assert _tls_profile.read(st) == {'profile': None}


def test_unknown_profile_is_an_error():
    with pytest.raises(SettingsError, match='profile must be one of modern, intermediate'):
        _tls_profile.desired({'profile': None}, {'profile': 'old'}, State())


@pytest.fixture
def tls_server(tmp_path):
    """A TLS listener on loopback with a chosen floor, answering handshakes in a thread."""
    import socket
    import ssl
    import subprocess
    import threading
    key, cert = str(tmp_path / 'key.pem'), str(tmp_path / 'cert.pem')
    subprocess.check_call(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
                           '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=test'],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    servers = []

    def start(floor):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        context.minimum_version = floor
        listener = socket.socket()
        listener.bind(('127.0.0.1', 0))
        listener.listen()
        servers.append(listener)

        def serve():
            while True:
                try:
                    connection, _address = listener.accept()
                except OSError:
                    return
                try:
                    context.wrap_socket(connection, server_side=True).close()
                except (ssl.SSLError, OSError):
                    connection.close()
        threading.Thread(target=serve, daemon=True).start()
        return listener.getsockname()[1]
    yield start
    for listener in servers:
        listener.close()


def test_in_effect_asks_the_listener_itself(tls_server, monkeypatch):
    import ssl
    modern_port = tls_server(ssl.TLSVersion.TLSv1_3)
    monkeypatch.setattr(_tls_profile.tls_probe, 'IMPLICIT_TLS_PORTS', (modern_port,))
    listeners = {modern_port: {'0.0.0.0'}, 25: {'0.0.0.0'}}
    assert _tls_profile.in_effect({'profile': 'modern'}, listeners) is None
    # A daemon that kept the old floor: what the listener says is reported.
    assert 'answers a TLS 1.2 client with a refusal under the intermediate profile' in \
        _tls_profile.in_effect({'profile': 'intermediate'}, listeners)
    old_port = tls_server(ssl.TLSVersion.TLSv1_2)
    monkeypatch.setattr(_tls_profile.tls_probe, 'IMPLICIT_TLS_PORTS', (old_port,))
    assert 'with TLSv1.2 under the modern profile' in _tls_profile.in_effect({'profile': 'modern'}, {old_port: {'127.0.0.1'}})
    assert _tls_profile.in_effect({'profile': 'intermediate'}, {old_port: {'127.0.0.1'}}) is None
