# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every TLS port accepts TLS 1.2 and 1.3 and refuses TLS 1.1 - because of its version.

The servers' TLS 1.2 ciphers (AES-GCM, ChaCha20) cannot be used under TLS 1.1, so a server
without a TLS 1.2 floor would refuse a TLS 1.1 client too, with "handshake failure" (no cipher in
common). Only a server whose lowest version is above 1.1 answers "protocol version": that alert
is what proves the floor. test_tls_client.py shows the client gets both answers right.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from mailclient import REFUSED_VERSION, tls_attempt, tls_handshake

TLS_SERVICES = ['smtp', 'submission', 'smtps', 'imap', 'imaps', 'pop3', 'pop3s']
DOVECOT_SERVICES = ('imap', 'imaps', 'pop3', 'pop3s')
# Dovecot 2.3 (Debian 12) closes the connection without sending its alert; its log says
# "unsupported protocol", which the tls_profile integration target reads (with doveconf).
CLOSED_WITHOUT_ALERT = 'UNEXPECTED_EOF_WHILE_READING'


@pytest.mark.parametrize('service', TLS_SERVICES)
def test_tls_1_1_is_refused_for_its_version(mailhost, service):
    version, reason = tls_attempt(mailhost, service, '1.1')
    assert version is None
    if service in DOVECOT_SERVICES and reason == CLOSED_WITHOUT_ALERT:
        return
    assert reason == REFUSED_VERSION


@pytest.mark.parametrize('service', TLS_SERVICES)
@pytest.mark.parametrize('version', ['1.2', '1.3'])
def test_modern_tls_is_accepted(mailhost, service, version):
    assert tls_handshake(mailhost, service, version) == 'TLSv' + version
