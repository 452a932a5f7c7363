# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""TLS handshakes against the host's own implicit-TLS listeners, to prove a TLS floor in effect."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket
import ssl

# Listeners that speak TLS from the first byte: SMTPS, IMAPS, POP3S.
IMPLICIT_TLS_PORTS = (465, 993, 995)
TIMEOUT = 5


def negotiated(address, port, version):
    """The version a client pinned to `version` ("1.2" or "1.3") negotiates, or None if refused."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    # The host's own certificate may be self-signed; only the protocol floor is in question.
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    pinned = ssl.TLSVersion.TLSv1_3 if version == '1.3' else ssl.TLSVersion.TLSv1_2
    context.minimum_version = context.maximum_version = pinned
    try:
        with socket.create_connection((address, port), timeout=TIMEOUT) as raw:
            with context.wrap_socket(raw) as wrapped:
                return wrapped.version()
    except (ssl.SSLError, OSError):
        return None
