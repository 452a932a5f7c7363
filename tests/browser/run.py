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
  openpgp --peer NAME:PASSWORD [--passphrase TEXT] [--domain D]
            the user writes to the peer with enigma's "Encrypt" ticked; over IMAPS the peer's copy
            is OpenPGP encrypted ("openpgp": pgp/mime, inline or null) with the body's token
            nowhere in it ("plaintext_on_the_wire"); the peer opens it in the webmail
            (typing the passphrase of the peer's key, default the peer's password, when enigma
            asks) and sees the token. Both keyrings must hold both public keys beforehand.
  shared --folder shared/OWNER/FOLDER --expect-visible true|false
            is the folder in the user's list of folders (Settings > Folders: subscribed or not),
            and does it open (by its URL, as a bookmark would) showing a message that opens;
            "as_expected" compares both with --expect-visible
  links [--delete ID]
            Settings > Shared links (the links page): "links", each {id, file_name, size (as shown),
            size_bytes, created, expires (as shown), expires_at (null: never), never_expires, url,
            new_tab, deletable}; with --delete, that link's Delete button is clicked (its question
            accepted): "deleted" (its row gone after the page's answer), "message" (Roundcube's),
            and "links" as the page shows them afterwards ("links_before": before)
  sent-link --subject S [--folder Sent]
            the message with that subject in the folder (default Sent), opened: "urls", the
            download links of shared links (a[href*="/shared-links/"]) in its body
  smime-import --p12 FILE --p12-password TEXT [--trust CA_FILE]
            Settings > S/MIME certificate: the user's PKCS#12 file imported ("certificate": as the
            page shows it, "refusal"), then the CA trusted ("trusted_message")
  smime --peer NAME:PASSWORD --stranger ADDRESS [--domain D]
            (both users' certificates imported) the user's encrypted message to the stranger, who has
            no certificate, is refused ("no_certificate": text, names_recipient); the peer sends the
            user a signed message, shown valid, and the peer's certificate is kept ("collected");
            the user sends the peer a signed and encrypted message: S/MIME enveloped data on the
            wire without the body's token ("on_the_wire"), shown decrypted with a valid signature
            ("peer_opened"); a copy of a signed message with its body changed shows invalid ("tampered")
  smime-off no "S/MIME certificate" in Settings and no S/MIME compose options ("settings_entry",
            "compose_options")
The answer is JSON on stdout; "error" says what a person would have seen go wrong (exit 1).
"""
from __future__ import absolute_import, division, print_function

import argparse
import email
import email.policy
import fcntl
import json
import os
import smtplib
import sys
import threading
import time
import uuid

from playwright.sync_api import Error as PlaywrightError

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'acceptance'))

from mailclient import TIMEOUT, MailHost, imap_find, imap_login  # noqa: E402  pylint: disable=wrong-import-position
from webmail import (Webmail, WebmailError, fits_within, folders_under, is_editable,  # noqa: E402  pylint: disable=wrong-import-position
                     is_link_id)

LOGO_BOX = (128, 40)
# Seconds a whole command may take, and the browser's shutdown after it answered (see main).
COMMAND_SECONDS = 480
SHUTDOWN_SECONDS = 30
# Chromium fails every request under way when this host's network interfaces change
# (net::ERR_NETWORK_CHANGED), as they do when a container starts. Each browser check holds this
# lock shared; a test that must restart a container meanwhile (the ha target, in another lane of
# scripts/test) takes it exclusively, so the restart waits for the checks under way and the
# next checks wait for the restart.
HOST_NETWORK_LOCK = '/run/lock/mailroom-host-network.lock'


def account(text):
    name, separator, password = text.partition(':')
    if not separator or not name:
        raise argparse.ArgumentTypeError('expected NAME:PASSWORD')
    return name, password


def boolean(text):
    if text.lower() not in ('true', 'false'):
        raise argparse.ArgumentTypeError('expected true or false')
    return text.lower() == 'true'


def link_id(text):
    if not is_link_id(text):
        raise argparse.ArgumentTypeError('expected a link id: 32 lowercase hexadecimal digits')
    return text


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


def imap_find_subject(host, user, password, token, wait=30):
    """The raw message whose subject holds `token` in the user's INBOX (an encrypted body hides
    the token from a body search), waiting for delivery; None if it never came."""
    deadline = time.time() + wait
    while True:
        session = imap_login(host, user, password)
        try:
            session.select('INBOX', readonly=True)
            _typ, data = session.search(None, 'SUBJECT', token)
            numbers = data[0].split()
            if numbers:
                _typ, fetched = session.fetch(numbers[0], '(BODY.PEEK[])')
                return fetched[0][1]
        finally:
            session.logout()
        if time.time() > deadline:
            return None
        time.sleep(1)


ARMOURED_MESSAGE = ('-----BEGIN PGP MESSAGE-----', '-----END PGP MESSAGE-----')


def openpgp_form(raw):
    """How a delivered message is OpenPGP encrypted: 'pgp/mime' (RFC 3156: multipart/encrypted,
    protocol application/pgp-encrypted, its version part, then an armoured OpenPGP message),
    'inline' (a single text/plain body that is nothing but an armoured OpenPGP message: what
    enigma sends for a message of one text part), or None (not encrypted)."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    if message.get_content_type() == 'multipart/encrypted':
        parts = list(message.iter_parts())
        if (message.get_param('protocol') == 'application/pgp-encrypted' and len(parts) == 2
                and parts[0].get_content_type() == 'application/pgp-encrypted'
                and is_armoured_message(parts[1].get_payload(decode=True))):
            return 'pgp/mime'
        return None
    if message.get_content_type() == 'text/plain' and is_armoured_message(message.get_payload(decode=True)):
        return 'inline'
    return None


def is_armoured_message(payload):
    text = (payload or b'').decode('ascii', 'replace').strip()
    return text.startswith(ARMOURED_MESSAGE[0]) and text.endswith(ARMOURED_MESSAGE[1])


def smime_form(raw):
    """What S/MIME a raw message is at its top: 'enveloped-data', 'signed-data', 'signed'
    (multipart/signed) or None."""
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    content_type = message.get_content_type()
    if content_type == 'multipart/signed' and 'pkcs7-signature' in (message.get_param('protocol') or '').lower():
        return 'signed'
    if content_type in ('application/pkcs7-mime', 'application/x-pkcs7-mime'):
        return (message.get_param('smime-type') or 'enveloped-data').lower()
    return None


def tampered_copy(raw, token, subject):
    """The raw message with `token` in its body changed and a Subject of its own, headers and
    signature left as they were: what a forger in between would deliver."""
    head, separator, body = raw.partition(b'\r\n\r\n')
    if not separator:
        head, separator, body = raw.partition(b'\n\n')
    if token.encode('ascii') not in body:
        raise ValueError('the token is not in the body')
    lines = [line for line in head.splitlines() if not line.lower().startswith(b'subject:')]
    newline = b'\r\n' if separator == b'\r\n\r\n' else b'\n'
    return newline.join(lines + [b'Subject: ' + subject.encode('ascii')]) + separator + \
        body.replace(token.encode('ascii'), token.upper().encode('ascii'))


def imap_append(host, user, password, raw):
    session = imap_login(host, user, password)
    try:
        session.append('INBOX', None, None, raw)
    finally:
        session.logout()


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
    return {'fields': fields, 'name_editable': is_editable(fields['name']),
            'email_editable': is_editable(fields['email'])}


def encryption(webmail, options):
    mailbox = webmail.login(*options.user)
    found = mailbox.encryption_options()
    return {'options': found,
            'present': any(value is not None for value in found.values()),
            'usable': bool(found['sign'] or found['encrypt'])}


def sharing(webmail, options):
    mailbox = webmail.login(*options.user)
    found = mailbox.sharing_ui(options.folder or 'INBOX')
    return dict(found, present=found['tab'] or found['table'])


def logo(webmail, options):
    login_page = webmail.login_page_logo()
    mailbox = webmail.login(*options.user)
    mail_view = mailbox.logo()
    return {'login_page': login_page, 'mail_view': mail_view,
            'fits': fits_within(login_page, *LOGO_BOX) and fits_within(mail_view, *LOGO_BOX)}


def openpgp(webmail, options):
    user, password = options.user
    peer, peer_password = options.peer
    host = mail_host(options.address, options.domain)
    token = uuid.uuid4().hex[:12]
    subject = 'OpenPGP %s' % token
    body_token = 'secret-%s' % uuid.uuid4().hex[:12]
    mailbox = webmail.login(user, password)
    confirmation = mailbox.send('%s@%s' % (peer, options.domain), subject,
                                'Encrypted in the webmail, token %s.' % body_token, encrypt=True)
    raw = imap_find_subject(host, peer, peer_password, token)
    answer = {'sent': confirmation, 'peer_received': raw is not None}
    if raw is None:
        return answer
    delivered = email.message_from_bytes(raw, policy=email.policy.default)
    answer.update(content_type=delivered.get_content_type(), subject=str(delivered['Subject']),
                  openpgp=openpgp_form(raw), plaintext_on_the_wire=body_token.encode('ascii') in raw)
    peer_mailbox = webmail.login(peer, peer_password)
    opened = peer_mailbox.open_message(subject, passphrase=options.passphrase or peer_password)
    answer['opened'] = {'subject_matches': opened['subject'] == subject,
                        'body_has_token': body_token in opened['body']}
    return answer


def shared(webmail, options):
    mailbox = webmail.login(*options.user)
    folders = mailbox.all_folders()
    answer = {'listed': options.folder in folders, 'opened': False, 'subjects': [],
              'listed_under_owner': folders_under(folders, options.folder.rsplit('/', 1)[0])}
    try:
        mailbox.open_folder(options.folder)
        answer['subjects'] = mailbox.page.locator(
            '#messagelist tbody tr.message span.subject').all_inner_texts()
        mailbox.screenshot('shared-folder')
        if answer['subjects']:
            shown = mailbox.open_message(answer['subjects'][0].strip(), folder=options.folder)
            answer['opened'] = bool(shown['subject'])
            answer['opened_subject'] = shown['subject']
    except WebmailError as exc:
        # A folder the user may not see: Roundcube says so instead of listing it.
        answer['refused'] = str(exc)
        mailbox.screenshot('shared-folder-refused')
    answer['visible'] = answer['listed'] and answer['opened']
    answer['as_expected'] = (answer['listed'] == answer['opened'] == options.expect_visible)
    return answer


def links(webmail, options):
    mailbox = webmail.login(*options.user)
    mailbox.open_shared_links()
    answer = {'links': mailbox.shared_links()}
    if options.delete:
        answer['links_before'] = answer['links']
        answer['deleted'], answer['message'] = mailbox.delete_shared_link(options.delete)
        answer['links'] = mailbox.shared_links()
    return answer


def sent_link(webmail, options):
    mailbox = webmail.login(*options.user)
    found = mailbox.message_shared_links(options.subject, folder=options.folder or 'Sent')
    return dict(found, subject_matches=found['subject'] == options.subject)


def external(webmail, options):
    """The External accounts page: the account typed into the form, tested; saved with --save."""
    mailbox = webmail.login(*options.user)
    mailbox.open_external_accounts()
    wanted = {'server': options.server, 'port': options.port, 'tls': options.tls, 'login': options.external[0],
              'password': options.external[1], 'keep': options.keep, 'folder': options.folder or 'INBOX'}
    answer = {'accounts_before': mailbox.external_accounts()}
    answer['test_ok'], answer['test_text'] = mailbox.test_external_account(wanted)
    if options.save:
        answer['message'], answer['accounts'] = mailbox.save_external_account(wanted)
    return answer


def smime_import(webmail, options):
    mailbox = webmail.login(*options.user)
    mailbox.open_smime_settings()
    message, refused = mailbox.smime_upload('import-form', {'_p12': options.p12, '_password': options.p12_password})
    answer = {'message': message, 'refusal': message if refused else None,
              'certificate': mailbox.smime_certificate()}
    if options.trust:
        answer['trusted_message'], refused = mailbox.smime_upload('addtrust-form', {'_cert': options.trust})
        answer['trusted'] = not refused
    return answer


def smime(webmail, options):
    user, password = options.user
    peer, peer_password = options.peer
    host = mail_host(options.address, options.domain)
    user_address, peer_address = '%s@%s' % (user, options.domain), '%s@%s' % (peer, options.domain)
    alice = webmail.login(user, password)
    outcome, text = alice.submit(options.stranger, 'S/MIME refused %s' % uuid.uuid4().hex[:8], 'never sent',
                                 smime=('encrypt',))
    answer = {'no_certificate': {'outcome': outcome, 'text': text, 'names_recipient': options.stranger in text}}

    # The peer signs; the user reads it, and keeps the peer's certificate.
    signed_token = uuid.uuid4().hex[:12]
    bob = webmail.login(peer, peer_password)
    bob.send(user_address, 'S/MIME signed %s' % signed_token, 'Signed by the peer %s.' % signed_token,
             smime=('sign',))
    alice.open_message('S/MIME signed %s' % signed_token)
    answer['signed_shown'] = alice.message_smime_status()
    alice.open_smime_settings()
    answer['collected'] = peer_address in alice.smime_recipients()

    # Signed and encrypted to the peer.
    token = uuid.uuid4().hex[:12]
    body_token = 'secret-%s' % uuid.uuid4().hex[:12]
    subject = 'S/MIME %s' % token
    answer['sent'] = alice.send(peer_address, subject, 'Signed and encrypted, token %s.' % body_token,
                                smime=('sign', 'encrypt'))
    raw = imap_find_subject(host, peer, peer_password, token)
    answer['on_the_wire'] = None if raw is None else {
        'form': smime_form(raw), 'plaintext': body_token.encode('ascii') in raw}
    if raw is not None:
        opened = bob.open_message(subject)
        answer['peer_opened'] = dict(bob.message_smime_status() or {}, body_has_token=body_token in opened['body'])

    # Signed only, then changed on its way.
    plain_token = 'plain-%s' % uuid.uuid4().hex[:12]
    signed_subject = 'S/MIME signed for tampering %s' % uuid.uuid4().hex[:8]
    alice.send(peer_address, signed_subject, 'Signed text %s.' % plain_token, smime=('sign',))
    original = imap_find_subject(host, peer, peer_password, signed_subject.rsplit(' ', 1)[1])
    answer['tampered'] = None
    if original is not None:
        forged_subject = 'S/MIME tampered %s' % uuid.uuid4().hex[:8]
        imap_append(host, peer, peer_password, tampered_copy(original, plain_token, forged_subject))
        bob.open_message(signed_subject)
        intact = bob.message_smime_status()
        bob.open_message(forged_subject)
        answer['tampered'] = {'original': intact, 'forged': bob.message_smime_status()}
    return answer


def smime_off(webmail, options):
    mailbox = webmail.login(*options.user)
    return {'settings_entry': mailbox.has_smime_settings(), 'compose_options': mailbox.compose_smime_options()}


COMMANDS = {'roundtrip': roundtrip, 'identity': identity, 'encryption': encryption,
            'sharing': sharing, 'logo': logo, 'openpgp': openpgp, 'shared': shared,
            'links': links, 'sent-link': sent_link, 'external': external,
            'smime-import': smime_import, 'smime': smime, 'smime-off': smime_off}


def parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('command', choices=sorted(COMMANDS))
    parser.add_argument('--address', required=True)
    parser.add_argument('--artifacts', required=True)
    parser.add_argument('--user', type=account, required=True)
    parser.add_argument('--peer', type=account)
    parser.add_argument('--domain', default='example.test')
    parser.add_argument('--folder', help='sharing, external: INBOX by default; sent-link: Sent by default')
    parser.add_argument('--delete', type=link_id, help='links: the id of the link to delete')
    parser.add_argument('--subject', help="sent-link: the message's subject")
    parser.add_argument('--passphrase', help="the peer's key's passphrase (openpgp; default: the peer's password)")
    parser.add_argument('--expect-visible', type=boolean, help='shared: should the user see the folder')
    parser.add_argument('--server', help='external: the external POP3 server')
    parser.add_argument('--port', type=int, default=995, help='external: its port (995)')
    parser.add_argument('--tls', default='pop3s', choices=('pop3s', 'starttls', 'none'), help='external: encryption')
    parser.add_argument('--external', type=account, help='external: LOGIN:PASSWORD at the external server')
    parser.add_argument('--keep', type=boolean, default=True, help='external: keep mail on the server (true)')
    parser.add_argument('--save', action='store_true', help='external: save the account after the test')
    parser.add_argument('--p12', help="smime-import: the user's PKCS#12 file")
    parser.add_argument('--p12-password', default='', help='smime-import: its password')
    parser.add_argument('--trust', help='smime-import: a CA certificate file the user trusts')
    parser.add_argument('--stranger', help='smime: an address without a certificate')
    parser.add_argument('--label', help="the screenshots' name prefix (default: the command)")
    options = parser.parse_args(argv)
    if options.command in ('roundtrip', 'openpgp') and options.peer is None:
        parser.error('%s needs --peer' % options.command)
    if options.command == 'shared' and options.expect_visible is None:
        parser.error('shared needs --expect-visible')
    if options.command == 'shared' and not options.folder:
        parser.error('shared needs --folder')
    if options.command == 'external' and not (options.server and options.external):
        parser.error('external needs --server and --external')
    if options.command == 'smime-import' and not options.p12:
        parser.error('smime-import needs --p12')
    if options.command == 'smime' and not (options.peer and options.stranger):
        parser.error('smime needs --peer and --stranger')
    if options.command == 'sent-link' and not options.subject:
        parser.error('sent-link needs --subject')
    return options


def exit_after(seconds, status, error=None):
    """End the process after `seconds` with `status` (answering `error` first, if given), from a
    thread: a browser call that hangs blocks the main thread for good."""
    def expire():
        if error:
            sys.stdout.write(json.dumps({'error': error}) + '\n')
        sys.stdout.flush()
        os._exit(status)
    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    return timer


def main(argv=None):
    options = parse(argv)
    webmail = Webmail('https://' + options.address, options.artifacts,
                      label=options.label or options.command)
    answer, status = {}, 0
    # A hung browser call (Chromium once hung closing a context after a send) fails the check
    # instead of holding up the whole run; once the answer is out, the browser's shutdown has a
    # short time of its own.
    # Held until the process ends (its descriptor closes with it).
    network_lock = os.open(HOST_NETWORK_LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(network_lock, fcntl.LOCK_SH)
    deadline = exit_after(COMMAND_SECONDS, 1, 'no answer within %d s: a browser call hung' % COMMAND_SECONDS)
    with webmail:
        try:
            answer = COMMANDS[options.command](webmail, options)
        except (WebmailError, PlaywrightError) as exc:
            answer, status = {'error': '%s: %s' % (type(exc).__name__, exc)}, 1
        deadline.cancel()
        answer['screenshots'] = webmail.screenshots
        answer['screenshot_errors'] = webmail.screenshot_errors
        json.dump(answer, sys.stdout, indent=1, sort_keys=True)
        sys.stdout.write('\n')
        sys.stdout.flush()
        exit_after(SHUTDOWN_SECONDS, status)
    return status


if __name__ == '__main__':
    sys.exit(main())
