# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every TLS port accepts TLS 1.2 and 1.3 and refuses TLS 1.1."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from mailclient import tls_handshake

TLS_SERVICES = ['smtp', 'submission', 'smtps', 'imap', 'imaps', 'pop3', 'pop3s']


@pytest.mark.parametrize('service', TLS_SERVICES)
def test_tls_1_1_is_refused(mailhost, service):
    assert tls_handshake(mailhost, service, '1.1') is None


@pytest.mark.parametrize('service', TLS_SERVICES)
@pytest.mark.parametrize('version', ['1.2', '1.3'])
def test_modern_tls_is_accepted(mailhost, service, version):
    assert tls_handshake(mailhost, service, version) == 'TLSv' + version
