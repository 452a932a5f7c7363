# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small protocol helpers for the acceptance suite: TLS contexts, SMTP/IMAP/POP3 sessions."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import imaplib
import poplib
import smtplib
import socket
import ssl
import time
import uuid
import warnings

# Longer than Dovecot's longest answer delay after failed logins from one address (auth
# penalty: up to 15 s), which the suite provokes on purpose: a slow refusal is not a dead server.
TIMEOUT = 40

MailHost = collections.namedtuple('MailHost', 'address hostname domain ports users')

TLS_VERSIONS = {
    '1.1': ssl.TLSVersion.TLSv1_1,
    '1.2': ssl.TLSVersion.TLSv1_2,
    '1.3': ssl.TLSVersion.TLSv1_3,
}


# Ciphers a TLS 1.1 handshake can use (CBC with SHA-1 MACs). The servers' TLS 1.2 ciphers
# (AES-GCM, ChaCha20) exist only from TLS 1.2 on: a TLS 1.1 client offering none of these could
# never connect, whatever the server's lowest version.
TLS11_CIPHERS = ('ECDHE-ECDSA-AES128-SHA', 'ECDHE-RSA-AES128-SHA', 'ECDHE-ECDSA-AES256-SHA',
                 'ECDHE-RSA-AES256-SHA', 'AES128-SHA', 'AES256-SHA')

# What the server's alert says when it refuses the offered version itself ("protocol version"),
# as opposed to refusing everything the client offered ("handshake failure").
REFUSED_VERSION = 'TLSV1_ALERT_PROTOCOL_VERSION'


def tls_client(version=None):
    """A client context pinned to one TLS version (or any), not verifying the self-signed cert.

    OpenSSL 3 only offers TLS 1.0/1.1 at security level 0; without it a "TLS 1.1 refused"
    result would come from our own client, not from the server. Pinned to 1.1 it offers
    TLS11_CIPHERS first (and everything else OpenSSL has at level 0).
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    if version is not None:
        with warnings.catch_warnings():
            # Pinning TLS 1.1 is the point of the probe; Python warns that it is deprecated.
            warnings.simplefilter('ignore', DeprecationWarning)
            context.minimum_version = TLS_VERSIONS[version]
            context.maximum_version = TLS_VERSIONS[version]
    if version == '1.1':
        context.set_ciphers(':'.join(TLS11_CIPHERS) + ':DEFAULT:@SECLEVEL=0')
    return context


def smtp(host, service, **kwargs):
    """An SMTP session on `service` (smtp, submission: plain; smtps: implicit TLS), after EHLO."""
    port = host.ports[service]
    if service == 'smtps':
        session = smtplib.SMTP_SSL(host.address, port, timeout=TIMEOUT,
                                   context=kwargs.get('context') or tls_client())
    else:
        session = smtplib.SMTP(host.address, port, timeout=TIMEOUT)
    session.ehlo('client.example.net')
    return session


def starttls(session, context=None):
    session.starttls(context=context or tls_client())
    session.ehlo('client.example.net')
    return session


def submission_session(host, service):
    """A session on a client port, ready for AUTH: 587 after STARTTLS, 465 as it is."""
    session = smtp(host, service)
    if service == 'submission':
        starttls(session)
    return session


def make_message(sender, recipient, subject):
    token = uuid.uuid4().hex
    body = ('From: %s\r\nTo: %s\r\nSubject: %s %s\r\nMessage-ID: <%s@client.example.net>\r\n'
            '\r\nacceptance body %s\r\n' % (sender, recipient, subject, token, token, token))
    return token, body


def imap_login(host, user, password, service='imaps'):
    if service == 'imaps':
        session = imaplib.IMAP4_SSL(host.address, host.ports['imaps'],
                                    ssl_context=tls_client(), timeout=TIMEOUT)
    else:
        session = imaplib.IMAP4(host.address, host.ports['imap'], timeout=TIMEOUT)
        session.starttls(ssl_context=tls_client())
    session.login(user, password)
    return session


def imap_find(host, user, password, token, wait=30):
    """Return the raw message containing `token` in the user's INBOX, waiting for delivery."""
    deadline = time.time() + wait
    while True:
        session = imap_login(host, user, password)
        try:
            session.select('INBOX', readonly=True)
            _typ, data = session.search(None, 'BODY', token)
            numbers = data[0].split()
            if numbers:
                _typ, fetched = session.fetch(numbers[0], '(BODY.PEEK[])')
                return fetched[0][1]
        finally:
            session.logout()
        if time.time() > deadline:
            return None
        time.sleep(1)


def pop3_login(host, user, password, service='pop3s'):
    if service == 'pop3s':
        session = poplib.POP3_SSL(host.address, host.ports['pop3s'],
                                  context=tls_client(), timeout=TIMEOUT)
    else:
        session = poplib.POP3(host.address, host.ports['pop3'], timeout=TIMEOUT)
        session.stls(context=tls_client())
    session.user(user)
    session.pass_(password)
    return session


CLOSED = 'closed'


def tls_handshake(host, service, version):
    """Try a TLS handshake pinned to `version` on a service; return the negotiated version, None
    when the server refuses the handshake, or CLOSED when nothing accepts the connection.

    STARTTLS services are upgraded with their protocol's command first.
    """
    return tls_attempt(host, service, version)[0]


def tls_attempt(host, service, version):
    """tls_handshake's answer and why a handshake was refused: (answer, reason), the reason being
    OpenSSL's (REFUSED_VERSION when the server refused the offered version), else None."""
    try:
        socket.create_connection((host.address, host.ports[service]), timeout=TIMEOUT).close()
    except OSError:
        return CLOSED, None
    try:
        return tls_session(host, service, tls_client(version), lambda wrapped: wrapped.version()), None
    except ssl.SSLError as exc:
        return None, exc.reason or str(exc)
    except (OSError, smtplib.SMTPException, imaplib.IMAP4.error, poplib.error_proto) as exc:
        return None, str(exc) or type(exc).__name__


# Services that speak TLS from the first byte; the others are upgraded with STARTTLS (STLS).
IMPLICIT_TLS = ('smtps', 'imaps', 'pop3s', 'https')


def tls_session(host, service, context, inspect):
    """What `inspect` finds on the TLS socket of `service` (its protocol's STARTTLS first where it
    has one); the connection is closed afterwards."""
    port = host.ports[service]
    if service in IMPLICIT_TLS:
        with socket.create_connection((host.address, port), timeout=TIMEOUT) as raw:
            with context.wrap_socket(raw) as wrapped:
                return inspect(wrapped)
    if service in ('smtp', 'submission'):
        session = smtp(host, service)
        session.starttls(context=context)
    elif service == 'imap':
        session = imaplib.IMAP4(host.address, port, timeout=TIMEOUT)
        session.starttls(ssl_context=context)
    else:
        session = poplib.POP3(host.address, port, timeout=TIMEOUT)
        session.stls(context=context)
    try:
        return inspect(session.sock)
    finally:
        session.sock.close()
