# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One protocol check against a mail host, printed as JSON, for the integration tests' tasks.

Run it from outside the mail host (another network namespace). Commands:
  open ADDRESS PORT...                    which ports accept a TCP connection
  tls ADDRESS [SERVICE=PORT...]           per service, the version negotiated by a client pinned
                                          to TLS 1.1, 1.2, 1.3 (keys tls1_1 ...): null if refused,
                                          and why (keys tls1_1_error ...: the OpenSSL reason,
                                          TLSV1_ALERT_PROTOCOL_VERSION for a refused version)
  ehlo ADDRESS PORT                       the EHLO keywords, before and after STARTTLS
  login ADDRESS PORT imap|pop3 USER PASS  a plaintext (no TLS) login: ok, or the server's refusal
  hold ADDRESS PORT USER PASS COUNT OTHER hold COUNT IMAPS logins (POP3S when PORT is 995), try
                                          one more, and one from OTHER
  deliver ADDRESS PORT DOMAIN USER PASS   send on PORT, find it over IMAPS on 993
  tlslogin ADDRESS imaps|pop3s USER PASS  a login over IMAPS (993) or POP3S (995): ok, or the refusal
  rcpt ADDRESS PORT RECIPIENT             the SMTP reply code and text to RCPT TO:<RECIPIENT>
  certs ADDRESS [SERVICE=PORT...]         per service (default: the seven mail ports and https=443),
                                          the served leaf certificate's SHA-256 fingerprint, serial
                                          and issuer, or the error (ACME: every port serves the same)
"""
from __future__ import absolute_import, division, print_function

import hashlib
import imaplib
import json
from concurrent.futures import ThreadPoolExecutor
import os
import poplib
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mailclient import (  # noqa: E402  pylint: disable=wrong-import-position
    TIMEOUT, MailHost, imap_find, make_message, smtp, starttls, tls_attempt, tls_client, tls_session,
)

STANDARD = {'smtp': 25, 'submission': 587, 'smtps': 465, 'imap': 143, 'imaps': 993,
            'pop3': 110, 'pop3s': 995}


def host(address, ports=None, domain='example.test', users=()):
    return MailHost(address=address, hostname='', domain=domain,
                    ports=dict(STANDARD, **(ports or {})), users=list(users))


def probe_open(address, *ports):
    result = {}
    for port in ports:
        try:
            socket.create_connection((address, int(port)), timeout=5).close()
            result[port] = True
        except OSError:
            result[port] = False
    return result


def probe_tls(address, *pairs):
    services = dict(pair.split('=') for pair in pairs) if pairs else STANDARD
    target = host(address, dict((name, int(port)) for name, port in services.items()))
    result = {}
    for name in services:
        result[name] = {}
        for version in ('1.1', '1.2', '1.3'):
            key = 'tls' + version.replace('.', '_')
            result[name][key], result[name][key + '_error'] = tls_attempt(target, name, version)
    return result


def probe_ehlo(address, port):
    session = smtp(host(address, {'smtp': int(port)}), 'smtp')
    before = sorted(session.esmtp_features)
    after = None
    if session.has_extn('starttls'):
        starttls(session)
        after = sorted(session.esmtp_features)
    session.quit()
    return {'before_tls': before, 'after_tls': after}


# Dovecot delays answers to an address after failed logins (up to 15 s): a refusal may take long.
LOGIN_TIMEOUT = 60


def _login(connect, protocol, user, password):
    """Log in on the session `connect()` opens: ok, or the server's refusal."""
    try:
        session = connect()
        if protocol == 'imap':
            session.login(user, password)
            session.logout()
        else:
            session.user(user)
            session.pass_(password)
            session.quit()
        return {'ok': True, 'error': None}
    except (imaplib.IMAP4.error, poplib.error_proto) as exc:
        return {'ok': False, 'error': str(exc)}


def probe_login(address, port, protocol, user, password):
    if protocol == 'imap':
        return _login(lambda: imaplib.IMAP4(address, int(port), timeout=TIMEOUT), 'imap', user, password)
    return _login(lambda: poplib.POP3(address, int(port), timeout=TIMEOUT), 'pop3', user, password)


def probe_tlslogin(address, service, user, password):
    if service == 'imaps':
        return _login(lambda: imaplib.IMAP4_SSL(address, STANDARD['imaps'], ssl_context=tls_client(),
                                                timeout=LOGIN_TIMEOUT), 'imap', user, password)
    return _login(lambda: poplib.POP3_SSL(address, STANDARD['pop3s'], context=tls_client(),
                                          timeout=LOGIN_TIMEOUT), 'pop3', user, password)


def probe_rcpt(address, port, recipient):
    session = smtp(host(address, {'smtp': int(port)}), 'smtp')
    try:
        if session.has_extn('starttls'):
            starttls(session)
        session.mail('probe@example.net')
        code, text = session.rcpt(recipient)
        return {'code': code, 'text': text.decode('utf-8', 'replace')}
    finally:
        session.quit()


def _imaps_login(address, port, user, password):
    session = imaplib.IMAP4_SSL(address, int(port), ssl_context=tls_client(), timeout=TIMEOUT)
    try:
        session.login(user, password)
    except imaplib.IMAP4.error as exc:
        session.shutdown()
        return None, str(exc)
    return session, None


class _Pop3Session(object):
    """A POP3S login that logs out like an IMAP session, for probe_hold."""

    def __init__(self, session):
        self.session = session

    def logout(self):
        self.session.quit()


def _pop3s_login(address, port, user, password):
    session = poplib.POP3_SSL(address, int(port), context=tls_client(), timeout=TIMEOUT)
    try:
        session.user(user)
        session.pass_(password)
    except poplib.error_proto as exc:
        session.close()
        return None, exc.args[0].decode('utf-8', 'replace') if exc.args else str(exc)
    return _Pop3Session(session), None


def probe_hold(address, port, user, password, count, other):
    login = _pop3s_login if int(port) == STANDARD['pop3s'] else _imaps_login
    held = []
    try:
        # Logins in parallel (TLS + PAM take a while each); all must succeed before the extra one.
        with ThreadPoolExecutor(max_workers=16) as pool:
            results = list(pool.map(lambda _index: login(address, port, user, password),
                                    range(int(count))))
        held.extend(session for session, _error in results if session is not None)
        errors = [error for _session, error in results if error]
        if errors:
            return {'held': len(held), 'wanted': int(count), 'error': errors[0]}
        extra, extra_error = login(address, port, user, password)
        if extra is not None:
            held.append(extra)
        from_other, other_error = login(other, port, user, password)
        if from_other is not None:
            held.append(from_other)
        return {'held': int(count), 'extra_refused': extra is None, 'extra_error': extra_error,
                'other_address_ok': from_other is not None, 'other_error': other_error}
    finally:
        for session in held:
            try:
                session.logout()
            except (imaplib.IMAP4.error, poplib.error_proto, OSError):
                pass


def probe_deliver(address, port, domain, user, password):
    target = host(address, {'smtp': int(port)}, domain)
    recipient = '%s@%s' % (user, domain)
    token, message = make_message('probe@example.net', recipient, 'probe')
    session = smtp(target, 'smtp')
    if session.has_extn('starttls'):
        starttls(session)
    session.sendmail('probe@example.net', [recipient], message)
    session.quit()
    return {'delivered': imap_find(target, user, password, token) is not None}


def describe_certificate(der):
    """Fingerprint, serial (hex) and issuer of a DER certificate; the serial and issuer need the
    cryptography package, which the controller's Ansible brings."""
    found = {'sha256': hashlib.sha256(der).hexdigest(), 'serial': None, 'issuer': None}
    try:
        from cryptography import x509  # pylint: disable=import-outside-toplevel
    except ImportError:
        return found
    certificate = x509.load_der_x509_certificate(der)
    found.update(serial='%x' % certificate.serial_number, issuer=certificate.issuer.rfc4514_string())
    return found


def probe_certs(address, *pairs):
    services = dict(pair.split('=') for pair in pairs) if pairs else dict(STANDARD, https=443)
    target = host(address, {name: int(port) for name, port in services.items()})
    result = {}
    for name in services:
        try:
            der = tls_session(target, name, tls_client(), lambda wrapped: wrapped.getpeercert(binary_form=True))
            result[name] = describe_certificate(der)
        except Exception as exc:  # pylint: disable=broad-except
            result[name] = {'error': str(exc) or type(exc).__name__}
    return result


COMMANDS = {'open': probe_open, 'tls': probe_tls, 'ehlo': probe_ehlo, 'login': probe_login,
            'hold': probe_hold, 'deliver': probe_deliver, 'tlslogin': probe_tlslogin,
            'rcpt': probe_rcpt, 'certs': probe_certs}


def main(argv):
    if len(argv) < 2 or argv[1] not in COMMANDS:
        sys.stderr.write(__doc__)
        return 2
    print(json.dumps(COMMANDS[argv[1]](*argv[2:])))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
