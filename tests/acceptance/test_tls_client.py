# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The TLS 1.1 probe must really offer TLS 1.1 with ciphers TLS 1.1 can use, or "refused"
results would prove nothing; and the refusal's reason must tell a version floor from a cipher
mismatch. Checked against throwaway servers on loopback, configured to allow what the mail host
must refuse. The probe's `certs` must read the certificate each port serves, after each protocol's
STARTTLS as well as on implicit-TLS ports (the ACME proof compares them across all eight)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import socket
import ssl
import subprocess
import threading
import warnings

import pytest

from mailclient import REFUSED_VERSION, TLS11_CIPHERS, tls_client
import probe


@pytest.fixture(scope='module')
def certificate(tmp_path_factory):
    directory = tmp_path_factory.mktemp('legacy-tls')
    cert, key = str(directory / 'cert.pem'), str(directory / 'key.pem')
    subprocess.check_call(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
                           '-subj', '/CN=legacy.test', '-keyout', key, '-out', cert],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cert, key


def serve(certificate, lowest, ciphers):
    """A loopback TLS server from `lowest` up to TLS 1.3, with TLS 1.2-and-below `ciphers`."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', DeprecationWarning)
        context.minimum_version = lowest
    context.set_ciphers(ciphers + ':@SECLEVEL=0')
    context.load_cert_chain(*certificate)

    def handshake(connection):
        with context.wrap_socket(connection, server_side=True) as wrapped:
            wrapped.recv(1)

    return listen(handshake)


def listen(handle):
    """A loopback listener whose connections, one at a time, go to `handle` in a thread; a client
    that breaks off only ends its own connection. Closing the listener ends the thread."""
    listener = socket.socket()
    listener.bind(('127.0.0.1', 0))
    listener.listen(4)

    def loop():
        while True:
            try:
                connection, _address = listener.accept()
            except OSError:
                return
            try:
                handle(connection)
            except (ssl.SSLError, OSError, IndexError):
                pass
            finally:
                connection.close()

    threading.Thread(target=loop, daemon=True).start()
    return listener


@pytest.fixture(scope='module')
def legacy_server(certificate):
    """Accepts TLS 1.0 to 1.3; below TLS 1.3 only ECDHE-RSA-AES128-SHA (the one a TLS 1.1 client
    can use) and the mail host's ECDHE-RSA-AES128-GCM-SHA256 (for the TLS 1.2 client)."""
    listener = serve(certificate, ssl.TLSVersion.TLSv1, 'ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256')
    yield listener.getsockname()
    listener.close()


@pytest.fixture(scope='module')
def floor_server(certificate):
    """Like the mail host: TLS 1.2 at the least."""
    listener = serve(certificate, ssl.TLSVersion.TLSv1_2, 'ECDHE-RSA-AES128-GCM-SHA256')
    yield listener.getsockname()
    listener.close()


@pytest.fixture(scope='module')
def no_floor_server(certificate):
    """The mail host's ciphers without its floor: TLS 1.1 allowed, but no cipher for it."""
    listener = serve(certificate, ssl.TLSVersion.TLSv1, 'ECDHE-RSA-AES128-GCM-SHA256')
    yield listener.getsockname()
    listener.close()


def attempt(address, version):
    try:
        with socket.create_connection(address, timeout=5) as raw:
            with tls_client(version).wrap_socket(raw) as wrapped:
                return wrapped.version(), wrapped.cipher()[0], None
    except ssl.SSLError as exc:
        return None, None, exc.reason


def test_tls_1_1_client_offers_tls_1_1_ciphers():
    offered = [cipher['name'] for cipher in tls_client('1.1').get_ciphers()]
    assert set(TLS11_CIPHERS) <= set(offered)


@pytest.mark.parametrize('version, expected', [('1.2', 'TLSv1.2'), ('1.3', 'TLSv1.3')])
def test_pinned_client_negotiates_exactly_its_version(legacy_server, version, expected):
    assert attempt(legacy_server, version)[0] == expected


def test_tls_1_1_client_connects_where_tls_1_1_is_allowed(legacy_server):
    assert attempt(legacy_server, '1.1') == ('TLSv1.1', 'ECDHE-RSA-AES128-SHA', None)


def test_a_version_floor_is_told_from_a_cipher_mismatch(floor_server, no_floor_server):
    assert attempt(floor_server, '1.1') == (None, None, REFUSED_VERSION)
    assert attempt(no_floor_server, '1.1') == (None, None, 'SSLV3_ALERT_HANDSHAKE_FAILURE')


# Just enough of each protocol's STARTTLS for the probe's `certs`: (greeting, {command: reply}),
# the command that upgrades, and its reply. The certificate is then served in the TLS session.
DIALECTS = {
    'smtp': ('220 mail.test ESMTP\r\n', {'EHLO': '250-mail.test\r\n250 STARTTLS\r\n'}, 'STARTTLS', '220 go\r\n'),
    'imap': ('* OK ready\r\n', {'CAPABILITY': '* CAPABILITY IMAP4rev1 STARTTLS\r\n{tag} OK done\r\n'},
             'STARTTLS', '{tag} OK begin\r\n'),
    'pop3': ('+OK ready\r\n', {'CAPA': '+OK\r\nSTLS\r\n.\r\n'}, 'STLS', '+OK begin\r\n'),
}


def serve_starttls(certificate, dialect):
    """A loopback server that upgrades one connection at a time with `dialect`'s STARTTLS."""
    greeting, replies, upgrade, upgraded = DIALECTS[dialect]
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)

    def answer(channel, line):
        """The reply to one command line; IMAP's carry the command's tag."""
        words = line.decode().split()
        tag, command = (words[0], words[1].upper()) if dialect == 'imap' else ('', words[0].upper())
        reply = upgraded if command == upgrade else replies.get(command, '500 what\r\n')
        channel.sendall(reply.format(tag=tag).encode())
        return command == upgrade

    def converse(connection):
        connection.sendall(greeting.encode())
        # Byte by byte until the upgrade, so that no TLS bytes are read as a command line.
        line = b''
        while True:
            byte = connection.recv(1)
            if not byte:
                return
            line += byte
            if line.endswith(b'\n'):
                if answer(connection, line):
                    break
                line = b''
        # After the upgrade the client may ask again (IMAP asks for its capabilities).
        with context.wrap_socket(connection, server_side=True) as wrapped:
            for line in wrapped.makefile('rb'):
                answer(wrapped, line)

    return listen(converse)


def test_the_probe_reads_the_served_certificate_after_each_starttls_and_at_once(certificate):
    with open(certificate[0]) as handle:
        der = ssl.PEM_cert_to_DER_cert(handle.read())
    listeners = {service: serve_starttls(certificate, dialect)
                 for service, dialect in (('smtp', 'smtp'), ('submission', 'smtp'), ('imap', 'imap'), ('pop3', 'pop3'))}
    listeners['https'] = serve(certificate, ssl.TLSVersion.TLSv1_2, 'ECDHE-RSA-AES128-GCM-SHA256')
    try:
        found = probe.probe_certs('127.0.0.1', *('%s=%d' % (service, listener.getsockname()[1])
                                                 for service, listener in listeners.items()))
    finally:
        for listener in listeners.values():
            listener.close()
    assert {service: answer.get('sha256') for service, answer in found.items()} == \
        dict.fromkeys(listeners, hashlib.sha256(der).hexdigest()), found
    assert found['imap']['issuer'] == 'CN=legacy.test'
