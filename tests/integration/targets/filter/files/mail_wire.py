# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Send one test message over SMTP, or fetch one over IMAPS, and print what happened as JSON.

Standard library only, in one file: the filter target copies it into a bare "outside" container
(ansible.builtin.script) and also runs it on the Docker host. Never run it on the mail host: mail
from loopback is the host's own to rspamd (signed, not checked) and Postfix relays it.

  send HOST PORT --mail-from A --from A --to A [--login USER PASSWORD] [--gtube] [--helo NAME]
       [--raw FILE] [--header "Name: value" ...] [--words N]
      one message to --to; the token in its Subject finds it again. Prints the token, whether the
      server accepted it and, if not, at which stage (connect, ehlo, starttls, auth, mail, rcpt,
      data) with the reply code and text. STARTTLS whenever the server offers it. With --raw, the
      message is FILE's (base64, as fetch returns it), byte for byte - a message relayed by another
      server, its signatures intact; --from is then ignored. --header adds a header field;
      --words N adds N words of prose to the body (rspamd's Bayes learns nothing from a message of
      fewer than 11 tokens).
  fetch HOST USER PASSWORD TOKEN [--wait SECONDS] [--folder NAME]
      the message whose Subject holds TOKEN from USER's folder (INBOX) over IMAPS (993), waiting
      for its delivery: its header fields and, base64, the message as stored (for a DKIM check).
  move HOST USER PASSWORD TOKEN FROM TO
      moves that message from folder FROM to folder TO with IMAP MOVE (RFC 6851), as a mail client
      does when a user drags it - what Dovecot's IMAPSieve sees as a COPY into TO from FROM.
"""
from __future__ import absolute_import, division, print_function

import argparse
import base64
import email
import email.policy
import email.utils
import imaplib
import json
import smtplib
import ssl
import sys
import time
import uuid

TIMEOUT = 60

# The reject pattern of GTUBE, which rspamd refuses whatever the score (its other patterns are off
# by default, and meant for tests only).
GTUBE = 'XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X'

# Prose for --words: ordinary words, so that the message scores nothing by itself.
WORDS = ('the quarterly report covers shipping schedules warehouse inventory supplier invoices customer '
         'feedback delivery routes holiday staffing budget review meeting notes project timeline office '
         'renovation parking permits training sessions printer maintenance kitchen cleaning rota').split()


def unverified_tls():
    # The test hosts serve a self-signed certificate; what is proven here is the filter, not TLS.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def build_message(args, token):
    body = 'Filter test %s.\r\n' % token
    if args.gtube:
        body += '\r\n%s\r\n' % GTUBE
    if args.words:
        words = [WORDS[index % len(WORDS)] for index in range(int(args.words))]
        body += '\r\n' + '\r\n'.join(' '.join(words[start:start + 12]) for start in range(0, len(words), 12)) + '\r\n'
    lines = [
        'From: %s' % args.header_from,
        'To: %s' % args.to,
        'Subject: filter test %s' % token,
        'Date: %s' % email.utils.formatdate(localtime=False),
        'Message-ID: <%s@%s>' % (token, args.helo),
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=us-ascii',
    ] + list(args.header or []) + [
        '',
        body,
    ]
    return '\r\n'.join(lines)


def refused(stage, code=None, text=b''):
    if isinstance(text, bytes):
        text = text.decode('utf-8', 'replace')
    return {'accepted': False, 'stage': stage, 'code': code, 'text': text}


def send(args):
    token = uuid.uuid4().hex
    result = {'token': token}
    try:
        session = smtplib.SMTP(args.host, int(args.port), timeout=TIMEOUT)
    except OSError as exc:
        result.update(refused('connect', text=str(exc)))
        return result
    try:
        code, text = session.ehlo(args.helo)
        if code != 250:
            result.update(refused('ehlo', code, text))
            return result
        if session.has_extn('starttls'):
            code, text = session.starttls(context=unverified_tls())
            if code != 220:
                result.update(refused('starttls', code, text))
                return result
            session.ehlo(args.helo)
        if args.login:
            try:
                session.login(args.login[0], args.login[1])
            except smtplib.SMTPException as exc:
                result.update(refused('auth', getattr(exc, 'smtp_code', None), getattr(exc, 'smtp_error', str(exc))))
                return result
        code, text = session.mail(args.mail_from)
        if code != 250:
            result.update(refused('mail', code, text))
            return result
        code, text = session.rcpt(args.to)
        if code not in (250, 251):
            result.update(refused('rcpt', code, text))
            return result
        if args.raw:
            with open(args.raw, 'rb') as handle:
                message = base64.b64decode(handle.read())
        else:
            message = build_message(args, token).encode('ascii')
        # A milter's verdict comes here, after the whole message (end of DATA).
        code, text = session.data(message)
        if code != 250:
            result.update(refused('data', code, text))
            return result
        result.update({'accepted': True, 'stage': None, 'code': code, 'text': text.decode('utf-8', 'replace')})
        return result
    except smtplib.SMTPResponseException as exc:
        result.update(refused('data', exc.smtp_code, exc.smtp_error))
        return result
    except (smtplib.SMTPException, OSError) as exc:
        result.update(refused('session', text=str(exc)))
        return result
    finally:
        try:
            session.quit()
        except (smtplib.SMTPException, OSError):
            pass


def fetch(args):
    try:
        return fetch_message(args)
    except (imaplib.IMAP4.error, OSError) as exc:
        return {'found': False, 'error': str(exc) or type(exc).__name__}


def fetch_message(args):
    deadline = time.time() + float(args.wait)
    imap = imaplib.IMAP4_SSL(args.host, 993, ssl_context=unverified_tls(), timeout=TIMEOUT)
    try:
        imap.login(args.user, args.password)
        while True:
            imap.select(args.folder, readonly=True)
            status, found = imap.search(None, 'SUBJECT', '"%s"' % args.token)
            numbers = found[0].split() if status == 'OK' and found and found[0] else []
            if numbers or time.time() >= deadline:
                break
            time.sleep(1)
        if not numbers:
            return {'found': False}
        status, data = imap.fetch(numbers[-1], '(BODY.PEEK[])')
        raw = next(part[1] for part in data if isinstance(part, tuple))
    finally:
        try:
            imap.logout()
        except (imaplib.IMAP4.error, OSError):
            pass
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    headers = {}
    for name, value in message.items():
        # Unfolded, so that an assertion can search one line.
        headers.setdefault(name.lower(), []).append(' '.join(str(value).split()))
    return {'found': True, 'headers': headers, 'message_b64': base64.b64encode(raw).decode('ascii')}


def move(args):
    try:
        return move_message(args)
    except (imaplib.IMAP4.error, OSError) as exc:
        return {'moved': False, 'error': str(exc) or type(exc).__name__}


def move_message(args):
    imap = imaplib.IMAP4_SSL(args.host, 993, ssl_context=unverified_tls(), timeout=TIMEOUT)
    try:
        imap.login(args.user, args.password)
        # Asked again: imaplib keeps the list from before the login, which Dovecot keeps short.
        status, listed = imap.capability()
        if status != 'OK' or 'MOVE' not in listed[0].decode('ascii', 'replace').upper().split():
            return {'moved': False, 'error': 'the server does not offer MOVE'}
        status, _selected = imap.select(args.source)
        if status != 'OK':
            return {'moved': False, 'error': 'cannot select %s' % args.source}
        status, found = imap.uid('SEARCH', None, 'SUBJECT', '"%s"' % args.token)
        uids = found[0].split() if status == 'OK' and found and found[0] else []
        if not uids:
            return {'moved': False, 'error': 'not found in %s' % args.source}
        # imaplib knows no MOVE: sent as UID MOVE, which it passes through as any UID command.
        imaplib.Commands.setdefault('MOVE', ('SELECTED',))
        status, data = imap._simple_command('UID', 'MOVE', uids[-1].decode('ascii'), args.target)
        return {'moved': status == 'OK', 'uid': uids[-1].decode('ascii'),
                'text': ' '.join(part.decode('utf-8', 'replace') for part in data if isinstance(part, bytes))}
    finally:
        try:
            imap.logout()
        except (imaplib.IMAP4.error, OSError):
            pass


def parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest='command', required=True)
    sender = commands.add_parser('send')
    sender.add_argument('host')
    sender.add_argument('port')
    sender.add_argument('--mail-from', required=True)
    sender.add_argument('--from', dest='header_from', required=True)
    sender.add_argument('--to', required=True)
    sender.add_argument('--login', nargs=2, metavar=('USER', 'PASSWORD'))
    sender.add_argument('--gtube', action='store_true')
    sender.add_argument('--helo', default='client.outside.test')
    sender.add_argument('--raw')
    sender.add_argument('--header', action='append')
    sender.add_argument('--words', default='0')
    fetcher = commands.add_parser('fetch')
    fetcher.add_argument('host')
    fetcher.add_argument('user')
    fetcher.add_argument('password')
    fetcher.add_argument('token')
    fetcher.add_argument('--wait', default='60')
    fetcher.add_argument('--folder', default='INBOX')
    mover = commands.add_parser('move')
    mover.add_argument('host')
    mover.add_argument('user')
    mover.add_argument('password')
    mover.add_argument('token')
    mover.add_argument('source')
    mover.add_argument('target')
    return parser.parse_args(argv)


def main(argv):
    args = parse(argv)
    print(json.dumps({'send': send, 'fetch': fetch, 'move': move}[args.command](args)))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
