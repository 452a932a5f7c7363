# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The TLS 1.1 probe must really offer TLS 1.1, or "refused" results would prove nothing."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket
import ssl
import subprocess
import threading
import warnings

import pytest

from mailclient import tls_client


@pytest.fixture(scope='module')
def legacy_server(tmp_path_factory):
    """A loopback TLS server that accepts TLS 1.0 to 1.3."""
    directory = tmp_path_factory.mktemp('legacy-tls')
    cert, key = str(directory / 'cert.pem'), str(directory / 'key.pem')
    subprocess.check_call(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
                           '-subj', '/CN=legacy.test', '-keyout', key, '-out', cert],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', DeprecationWarning)
        context.minimum_version = ssl.TLSVersion.TLSv1
    context.set_ciphers('DEFAULT:@SECLEVEL=0')
    context.load_cert_chain(cert, key)
    listener = socket.socket()
    listener.bind(('127.0.0.1', 0))
    listener.listen(4)

    def serve():
        while True:
            try:
                connection, _address = listener.accept()
            except OSError:
                return
            try:
                with context.wrap_socket(connection, server_side=True) as wrapped:
                    wrapped.recv(1)
            except (ssl.SSLError, OSError):
                pass

    threading.Thread(target=serve, daemon=True).start()
    yield listener.getsockname()
    listener.close()


@pytest.mark.parametrize('version, expected', [('1.1', 'TLSv1.1'), ('1.2', 'TLSv1.2'), ('1.3', 'TLSv1.3')])
def test_pinned_client_negotiates_exactly_its_version(legacy_server, version, expected):
    with socket.create_connection(legacy_server, timeout=5) as raw:
        with tls_client(version).wrap_socket(raw) as wrapped:
            assert wrapped.version() == expected
