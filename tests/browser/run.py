# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One real-browser check of a mail host's webmail, printed as JSON, for Molecule's tasks.

Run from the Docker host (never inside the mail host); every command takes
    --address ADDRESS      the mail host (HTTPS on 443, SMTP on 25, IMAPS on 993)
    --artifacts DIR        where the screenshots go (their paths are in the answer)
    --user NAME:PASSWORD   who logs in (the first one for one-user commands)
    --label TEXT           the screenshots' name prefix (default: the command's name)
Commands:
  roundtrip --peer NAME:PASSWORD [--domain D]
            a message sent over SMTP (port 25) to the user is opened in the webmail; the user
            writes to the peer, who finds it over IMAPS
  identity  Settings > Identities: are the name and address fields editable
  encryption  compose: enigma's sign/encrypt options, present and usable or not
  sharing [--folder INBOX]  Settings > Folders > folder: the acl plugin's Sharing tab
  logo      #logo on the login page and in the mail view, measured (fits 128x40 or not)
The answer is JSON on stdout; "error" says what a person would have seen go wrong (exit 1).
"""
from __future__ import absolute_import, division, print_function

import argparse
import email
import email.policy
import json
import os
import smtplib
import sys
import uuid

from playwright.sync_api import Error as PlaywrightError

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'acceptance'))

from mailclient import TIMEOUT, MailHost, imap_find  # noqa: E402  pylint: disable=wrong-import-position
from webmail import Webmail, WebmailError, fits_within, is_editable  # noqa: E402  pylint: disable=wrong-import-position

LOGO_BOX = (128, 40)


def account(text):
    name, separator, password = text.partition(':')
    if not separator or not name:
        raise argparse.ArgumentTypeError('expected NAME:PASSWORD')
    return name, password


def mail_host(address, domain):
    return MailHost(address=address, hostname='', domain=domain,
                    ports={'smtp': 25, 'imaps': 993}, users=[])


def deliver_over_smtp(address, recipient, subject, body):
    """A message from another server, as port 25 receives it."""
    message = ('From: Webmail Test <tester@example.net>\r\nTo: %s\r\nSubject: %s\r\n'
               'Message-ID: <%s@example.net>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n'
               % (recipient, subject, uuid.uuid4().hex, body))
    session = smtplib.SMTP(address, 25, timeout=TIMEOUT)
    try:
        session.ehlo('client.example.net')
        session.sendmail('tester@example.net', [recipient], message.encode('utf-8'))
    finally:
        session.quit()


def roundtrip(webmail, options):
    user, password = options.user
    peer, peer_password = options.peer
    host = mail_host(options.address, options.domain)
    token = uuid.uuid4().hex[:12]
    inbound = 'Webmail inbound %s' % token
    deliver_over_smtp(options.address, '%s@%s' % (user, options.domain), inbound,
                      'Delivered over SMTP, token %s.' % token)
    # Over IMAP first: a message the webmail does not show then is the webmail's fault.
    delivered = imap_find(host, user, password, token) is not None
    mailbox = webmail.login(user, password)
    opened = mailbox.open_message(inbound)
    outbound = 'Webmail outbound %s' % token
    confirmation = mailbox.send('%s@%s' % (peer, options.domain), outbound,
                                'Written in the webmail, token %s.' % token)
    mailbox.close()
    raw = imap_find(host, peer, peer_password, token)
    received = email.message_from_bytes(raw, policy=email.policy.default) if raw else None
    return {
        'delivered_over_smtp': delivered,
        'opened': {'subject': opened['subject'], 'subject_matches': opened['subject'] == inbound,
                   'body_has_token': token in opened['body']},
        'sent': confirmation,
        'peer_received': received is not None,
        'peer_from': str(received['From']) if received else None,
        'peer_subject': str(received['Subject']) if received else None,
    }


def identity(webmail, options):
    mailbox = webmail.login(*options.user)
    fields = mailbox.identity_fields()
    mailbox.close()
    return {'fields': fields, 'name_editable': is_editable(fields['name']),
            'email_editable': is_editable(fields['email'])}


def encryption(webmail, options):
    mailbox = webmail.login(*options.user)
    found = mailbox.encryption_options()
    mailbox.close()
    return {'options': found,
            'present': any(value is not None for value in found.values()),
            'usable': bool(found['sign'] or found['encrypt'])}


def sharing(webmail, options):
    mailbox = webmail.login(*options.user)
    found = mailbox.sharing_ui(options.folder)
    mailbox.close()
    return dict(found, present=found['tab'] or found['table'])


def logo(webmail, options):
    login_page = webmail.login_page_logo()
    mailbox = webmail.login(*options.user)
    mail_view = mailbox.logo()
    mailbox.close()
    return {'login_page': login_page, 'mail_view': mail_view,
            'fits': fits_within(login_page, *LOGO_BOX) and fits_within(mail_view, *LOGO_BOX)}


COMMANDS = {'roundtrip': roundtrip, 'identity': identity, 'encryption': encryption,
            'sharing': sharing, 'logo': logo}


def parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('command', choices=sorted(COMMANDS))
    parser.add_argument('--address', required=True)
    parser.add_argument('--artifacts', required=True)
    parser.add_argument('--user', type=account, required=True)
    parser.add_argument('--peer', type=account)
    parser.add_argument('--domain', default='example.test')
    parser.add_argument('--folder', default='INBOX')
    parser.add_argument('--label', help="the screenshots' name prefix (default: the command)")
    options = parser.parse_args(argv)
    if options.command == 'roundtrip' and options.peer is None:
        parser.error('roundtrip needs --peer')
    return options


def main(argv=None):
    options = parse(argv)
    webmail = Webmail('https://' + options.address, options.artifacts,
                      label=options.label or options.command)
    answer, status = {}, 0
    with webmail:
        try:
            answer = COMMANDS[options.command](webmail, options)
        except (WebmailError, PlaywrightError) as exc:
            answer, status = {'error': '%s: %s' % (type(exc).__name__, exc)}, 1
    answer['screenshots'] = webmail.screenshots
    json.dump(answer, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write('\n')
    return status


if __name__ == '__main__':
    sys.exit(main())
