# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared links for large attachments over the wire, printed as JSON (issue 12).

Run it from outside the mail host. Commands:
  send ADDRESS SERVICE USER PASS SENDER RECIPIENT --big BYTES [--small BYTES] [--signed]
        submit (SERVICE submission or smtps with AUTH, smtp on port 25 without) a message with a
        random attachment of BYTES under a non-ASCII name and a small one; the reply, the token
        that finds it, and both attachments' names, sizes and SHA-256
  received ADDRESS USER PASS TOKEN
        the delivered message: its X-Mailroom-Shared-Links header, its attachments' SHA-256 and
        the links in its text parts
  download ADDRESS URL
        GET the link over HTTPS from ADDRESS (the URL's host name sent as Host and SNI): status,
        the body's SHA-256 and size, and the headers that matter
  tampered ADDRESS URL OTHER_USER
        the statuses of the link with its signature changed, without one, and with another
        user's name in its path; with the signing secret in $MAILROOM_LINK_SECRET also the same
        path signed with an expiry in the past
"""
from __future__ import absolute_import, division, print_function

import base64
import email
import email.message
import email.policy
import hashlib
import http.client
import json
import os
import smtplib
import sys
import time
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mailclient import MailHost, smtp, starttls, tls_client  # noqa: E402  pylint: disable=wrong-import-position
from policy_probe import PORTS, find  # noqa: E402  pylint: disable=wrong-import-position

BIG_NAME = 'Résumé 大きい file.bin'
SMALL_NAME = 'small.bin'
HEADER = 'X-Mailroom-Shared-Links'
TIMEOUT = 300


def _digest(data):
    return hashlib.sha256(data).hexdigest()


def build_message(sender, recipient, token, big, small, signed=False):
    """The message as bytes: a text part and two attachments, inside multipart/signed when
    `signed` (a stand-in signature: the server must not look further than the structure)."""
    msg = email.message.EmailMessage(policy=email.policy.SMTP)
    msg.set_content('Files for you (%s)\n' % token)
    msg.add_attachment(big, maintype='application', subtype='octet-stream', filename=BIG_NAME)
    msg.add_attachment(small, maintype='application', subtype='octet-stream', filename=SMALL_NAME)
    headers = ('From: %s\r\nTo: %s\r\nSubject: shared links %s\r\nMessage-ID: <%s@client.example.net>\r\n'
               'MIME-Version: 1.0\r\n' % (sender, recipient, token, token)).encode('ascii')
    inner_head, inner_body = msg.as_bytes().split(b'\r\n\r\n', 1)
    content_type = [line for line in inner_head.split(b'\r\n') if line.lower().startswith(b'content-type:')][0]
    if not signed:
        return headers + content_type + b'\r\n\r\n' + inner_body
    boundary = b'signed-' + token.encode('ascii')
    signature = base64.encodebytes(b'0\x82\x01\x00' + os.urandom(120)).replace(b'\n', b'\r\n')
    return (headers + b'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; '
            b'micalg=sha-256; boundary="' + boundary + b'"\r\n\r\n--' + boundary + b'\r\n' + content_type +
            b'\r\n\r\n' + inner_body + b'\r\n--' + boundary +
            b'\r\nContent-Type: application/pkcs7-signature; name="smime.p7s"\r\n'
            b'Content-Transfer-Encoding: base64\r\n\r\n' + signature + b'--' + boundary + b'--\r\n')


def probe_send(address, service, user, password, sender, recipient, big_size, small_size, signed):
    token = uuid.uuid4().hex
    big, small = os.urandom(big_size), os.urandom(small_size)
    data = build_message(sender, recipient, token, big, small, signed)
    target = MailHost(address=address, hostname='', domain='', ports=PORTS, users=())
    result = {'token': token, 'size': len(data),
              'big': {'name': BIG_NAME, 'size': big_size, 'sha256': _digest(big)},
              'small': {'name': SMALL_NAME, 'size': small_size, 'sha256': _digest(small)}}
    session = smtp(target, service)
    session.timeout = TIMEOUT
    session.sock.settimeout(TIMEOUT)
    try:
        if service == 'submission':
            starttls(session)
        if service != 'smtp':
            session.login(user, password)
        session.sendmail(sender, [recipient], data)
        result.update(accepted=True, code=250, reply='ok')
    except smtplib.SMTPResponseException as exc:
        result.update(accepted=False, code=exc.smtp_code, reply=exc.smtp_error.decode('utf-8', 'replace'))
    finally:
        try:
            session.quit()
        except (smtplib.SMTPException, OSError):
            pass
    return result


def probe_received(address, user, password, token):
    target = MailHost(address=address, hostname='', domain='', ports=PORTS, users=())
    raw = find(target, user, password, token, wait=60)
    if raw is None:
        return {'found': False}
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    attachments = {}
    links = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        name = part.get_filename()
        if name:
            attachments[name] = _digest(part.get_content())
        elif part.get_content_type() == 'text/plain':
            links.extend(word for word in part.get_content().split() if '/shared-links/' in word)
    return {'found': True, 'size': len(raw), 'header': msg.get(HEADER), 'attachments': attachments,
            'links': sorted(set(links))}


def _get(address, url):
    parts = urllib.parse.urlsplit(url)
    # the certificate is not checked (tls_client); the link's host name goes in Host
    connection = http.client.HTTPSConnection(address, parts.port or 443, timeout=TIMEOUT, context=tls_client())
    try:
        connection.request('GET', parts.path + ('?' + parts.query if parts.query else ''),
                           headers={'Host': parts.netloc})
        response = connection.getresponse()
        digest, size = hashlib.sha256(), 0
        while True:
            block = response.read(1024 * 1024)
            if not block:
                break
            digest.update(block)
            size += len(block)
        headers = dict((name.lower(), value) for name, value in response.getheaders())
        return {'status': response.status, 'sha256': digest.hexdigest(), 'size': size,
                'headers': dict((name, headers.get(name)) for name in (
                    'content-disposition', 'x-content-type-options', 'content-type', 'cache-control'))}
    finally:
        connection.close()


def probe_download(address, url):
    return _get(address, url)


def _with_query(url, **changes):
    parts = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(parts.query))
    query.update(changes)
    query = dict((name, value) for name, value in query.items() if value is not None)
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def probe_tampered(address, url, other_user):
    parts = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(parts.query))
    signature = query['md5']
    changed = ('A' if signature[0] != 'A' else 'B') + signature[1:]
    segments = parts.path.split('/')
    index = segments.index('shared-links') + 1
    segments[index] = other_user
    other = urllib.parse.urlunsplit(parts._replace(path='/'.join(segments)))
    result = {
        'bad_signature': _get(address, _with_query(url, md5=changed))['status'],
        'no_signature': _get(address, _with_query(url, md5=None, expires=None))['status'],
        'other_user_path': _get(address, other)['status'],
    }
    secret = os.environ.get('MAILROOM_LINK_SECRET')
    if secret:
        # signed exactly as the server signs, but an hour in the past
        expires = int(time.time()) - 3600
        path = urllib.parse.unquote(parts.path)
        path = path[path.index('/shared-links/'):]
        digest = hashlib.md5(('%d%s %s' % (expires, path, secret)).encode('utf-8')).digest()
        md5 = base64.urlsafe_b64encode(digest).decode('ascii').rstrip('=')
        result['expired'] = _get(address, _with_query(url, md5=md5, expires=str(expires)))['status']
    return result


def main(argv):
    command, args = argv[0], argv[1:]
    if command == 'send':
        options = {'--big': 0, '--small': 100 * 1024}
        signed = '--signed' in args
        args = [arg for arg in args if arg != '--signed']
        positional = []
        while args:
            arg = args.pop(0)
            if arg in options:
                options[arg] = int(args.pop(0))
            else:
                positional.append(arg)
        result = probe_send(*positional, big_size=options['--big'], small_size=options['--small'], signed=signed)
    elif command == 'received':
        result = probe_received(*args)
    elif command == 'download':
        result = probe_download(*args)
    elif command == 'tampered':
        result = probe_tampered(*args)
    else:
        raise SystemExit('unknown command %r' % command)
    print(json.dumps(result, sort_keys=True))


if __name__ == '__main__':
    main(sys.argv[1:])
