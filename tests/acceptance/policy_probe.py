# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Client tab's policies over the wire, as every client meets them, printed as JSON.

Run it from outside the mail host. Commands:
  from ADDRESS SERVICE DOMAIN USER PASS NAME   submit (SERVICE submission or smtps, with AUTH) a
                                               message to USER with the From display name NAME;
                                               the delivered message's From header, found over IMAPS
  send ADDRESS SERVICE DOMAIN USER PASS KIND   submit a message of KIND (see KINDS) to USER (SERVICE
                                               smtp: port 25 without AUTH); whether it was accepted,
                                               the server's reply, and whether it was delivered
  capability ADDRESS USER PASS                 the IMAPS capabilities once logged in
"""
from __future__ import absolute_import, division, print_function

import base64
import email
import email.header
import email.utils
import imaplib
import json
import os
import smtplib
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mailclient import (  # noqa: E402  pylint: disable=wrong-import-position
    MailHost, imap_login, smtp, starttls,
)

PORTS = {'smtp': 25, 'submission': 587, 'smtps': 465, 'imaps': 993}
PGP_MESSAGE = ('-----BEGIN PGP MESSAGE-----\r\n\r\nhQEMA5nUf3Xq1tQaAQf/Zm9vYmFyYmF6cXV4\r\n=abcd\r\n'
               '-----END PGP MESSAGE-----\r\n')
PGP_SIGNED = ('-----BEGIN PGP SIGNED MESSAGE-----\r\nHash: SHA256\r\n\r\nsigned text\r\n'
              '-----BEGIN PGP SIGNATURE-----\r\n\r\niQEzBAEBCAAdFiEE\r\n=abcd\r\n-----END PGP SIGNATURE-----\r\n')
PGP_KEY = ('-----BEGIN PGP PUBLIC KEY BLOCK-----\r\n\r\nmQENBGB1c2VyAQgA\r\n=abcd\r\n'
           '-----END PGP PUBLIC KEY BLOCK-----\r\n')
CMS = base64.encodebytes(b'0\x82\x01\x00' + os.urandom(180)).decode('ascii').replace('\n', '\r\n')


def _multipart(boundary, content_type, parts):
    body = ''.join('--%s\r\n%s\r\n' % (boundary, part) for part in parts)
    return content_type, body + '--%s--\r\n' % boundary


def _pgp_mime():
    return _multipart('enc', 'multipart/encrypted; protocol="application/pgp-encrypted"; boundary="enc"', [
        'Content-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n',
        'Content-Type: application/octet-stream; name="encrypted.asc"\r\n\r\n' + PGP_MESSAGE])


def _text(text, encoding='7bit'):
    if encoding == 'base64':
        text = base64.encodebytes(text.encode('ascii')).decode('ascii').replace('\n', '\r\n')
    return 'text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: %s' % encoding, text


def _smime(smime_type):
    return ('application/pkcs7-mime; smime-type=%s; name="smime.p7m"\r\n'
            'Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="smime.p7m"'
            % smime_type, CMS)


def _smime_signed():
    return _multipart('sig', 'multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; '
                      'boundary="sig"', [
                          'Content-Type: text/plain\r\n\r\nsigned text\r\n',
                          'Content-Type: application/pkcs7-signature; name="smime.p7s"\r\n'
                          'Content-Transfer-Encoding: base64\r\n\r\n' + CMS])


def _key_attached():
    return _multipart('mix', 'multipart/mixed; boundary="mix"', [
        'Content-Type: text/plain\r\n\r\nmy key\r\n',
        'Content-Type: application/pgp-keys; name="key.asc"\r\n\r\n' + PGP_KEY])


def _nested_pgp_mime():
    inner_type, inner_body = _pgp_mime()
    return _multipart('outer', 'multipart/mixed; boundary="outer"', [
        'Content-Type: text/plain\r\n\r\nsee attached\r\n',
        'Content-Type: %s\r\n\r\n%s' % (inner_type, inner_body)])


# kind -> (content type with its parameters and further headers, body); and whether a server that
# refuses encrypted mail must refuse it.
KINDS = {
    'plain': (lambda: _text('plain text\r\n'), None),
    'pgp-mime': (_pgp_mime, 'openpgp'),
    'pgp-mime-nested': (_nested_pgp_mime, 'openpgp'),
    'pgp-inline': (lambda: _text('hello\r\n' + PGP_MESSAGE), 'openpgp'),
    'pgp-inline-base64': (lambda: _text('hello\r\n' + PGP_MESSAGE, 'base64'), 'openpgp'),
    'smime-enveloped': (lambda: _smime('enveloped-data'), 'smime'),
    'pgp-signed': (lambda: _text(PGP_SIGNED), None),
    'pgp-key': (_key_attached, None),
    'smime-signed': (_smime_signed, None),
}


def message(kind, sender, recipient, token, display_name=None):
    content_type, body = KINDS[kind][0]()
    sender_header = sender if display_name is None else email.utils.formataddr(
        (display_name, sender), charset='utf-8')
    return ('From: %s\r\nTo: %s\r\nSubject: policy %s %s\r\nMessage-ID: <%s@client.example.net>\r\n'
            'MIME-Version: 1.0\r\nContent-Type: %s\r\n\r\n%s'
            % (sender_header, recipient, kind, token, token, content_type, body))


def _host(address, domain):
    return MailHost(address=address, hostname='', domain=domain, ports=PORTS, users=())


def find(target, user, password, token, wait=30):
    """The raw message whose Message-ID holds `token` in the user's INBOX, waiting for delivery
    (matched here, not by IMAP SEARCH: the body of an encrypted or base64 message has no text)."""
    deadline = time.time() + wait
    while True:
        session = imap_login(target, user, password)
        try:
            session.select('INBOX', readonly=True)
            _typ, data = session.fetch('1:*', '(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])')
            for item in data:
                if isinstance(item, tuple) and token.encode('ascii') in item[1]:
                    number = item[0].split()[0]
                    _typ, fetched = session.fetch(number, '(BODY.PEEK[])')
                    return fetched[0][1]
        except imaplib.IMAP4.error:
            pass
        finally:
            session.logout()
        if time.time() > deadline:
            return None
        time.sleep(1)


def _submit(target, service, user, password, sender, recipient, text):
    session = smtp(target, service)
    try:
        if service == 'submission':
            starttls(session)
        if service != 'smtp':
            session.login(user, password)
        session.sendmail(sender, [recipient], text.encode('utf-8'))
        return True, 250, 'ok'
    except smtplib.SMTPResponseException as exc:
        return False, exc.smtp_code, exc.smtp_error.decode('utf-8', 'replace')
    except smtplib.SMTPRecipientsRefused as exc:
        code, reply = list(exc.recipients.values())[0]
        return False, code, reply.decode('utf-8', 'replace')
    finally:
        try:
            session.quit()
        except smtplib.SMTPException:
            pass


def probe_from(address, service, domain, user, password, name):
    target = _host(address, domain)
    sender = recipient = '%s@%s' % (user, domain)
    token = os.urandom(8).hex()
    accepted, code, reply = _submit(target, service, user, password, sender, recipient,
                                    message('plain', sender, recipient, token, display_name=name))
    if not accepted:
        return {'accepted': False, 'code': code, 'reply': reply}
    raw = find(target, user, password, token)
    if raw is None:
        return {'accepted': True, 'delivered': False}
    header = email.message_from_bytes(raw)['From']
    parts = email.header.decode_header(str(header))
    decoded = ''.join(part.decode(charset or 'ascii') if isinstance(part, bytes) else part
                      for part, charset in parts)
    name, found = email.utils.parseaddr(decoded)
    return {'accepted': True, 'delivered': True, 'raw_from': str(header), 'name': name, 'address': found}


def probe_send(address, service, domain, user, password, kind):
    target = _host(address, domain)
    sender = recipient = '%s@%s' % (user, domain)
    token = os.urandom(8).hex()
    accepted, code, reply = _submit(target, service, user, password, sender, recipient,
                                    message(kind, sender, recipient, token))
    result = {'kind': kind, 'accepted': accepted, 'code': code, 'reply': reply}
    if accepted:
        result['delivered'] = find(target, user, password, token) is not None
    return result


def probe_capability(address, user, password):
    session = imap_login(_host(address, ''), user, password)
    try:
        # Asked after login: the greeting's list is the one for anonymous clients.
        _typ, data = session.capability()
        return sorted(data[0].decode('ascii').split())
    finally:
        session.logout()


COMMANDS = {'from': probe_from, 'send': probe_send, 'capability': probe_capability}


def main(argv):
    if len(argv) < 2 or argv[1] not in COMMANDS:
        sys.stderr.write(__doc__)
        return 2
    print(json.dumps(COMMANDS[argv[1]](*argv[2:])))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
