# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Guess passwords at a mail host, or see which of its ports still answer; run from a container
that plays the attacker (Python's standard library only: it runs on bare Debian).

    attack.py HOST SERVICE[,SERVICE...] USER COUNT
        COUNT wrong passwords for USER on each SERVICE (imap, pop3, submission, smtps, webmail),
        each on a connection of its own (Dovecot logs one failure per connection). Prints JSON {"refused": [replies], "errors": [connection errors]}: a
        refused login is a reply saying so, never an accepted one.
    attack.py HOST probe PORT [PORT ...]
        Prints JSON {port: "open" | "refused" | "timeout" | error}: whether a TCP connection opens.
    attack.py HOST login USER PASSWORD
        One IMAP login with the right password; prints JSON {"ok": true}. Dovecot then drops the
        address's auth penalty (each failure delays its next login up to 15 s).
"""
from __future__ import absolute_import, division, print_function

import http.cookiejar
import imaplib
import json
import poplib
import re
import smtplib
import socket
import ssl
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid

TIMEOUT = 30
# Tries of one guess the server answered with a temporary failure.
TRIES = 3
PROBE_TIMEOUT = 3


def unverified():
    # The attacker does not care whose certificate it is.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def wrong_password():
    return 'wrong-%s' % uuid.uuid4().hex[:10]


def imap_attempt(host, user):
    with imaplib.IMAP4_SSL(host, 993, ssl_context=unverified(), timeout=TIMEOUT) as client:
        try:
            client.login(user, wrong_password())
        except imaplib.IMAP4.error as exc:
            return str(exc)
    raise AssertionError('IMAP accepted a wrong password')


def pop3_attempt(host, user):
    client = poplib.POP3_SSL(host, 995, context=unverified(), timeout=TIMEOUT)
    try:
        client.user(user)
        client.pass_(wrong_password())
    except poplib.error_proto as exc:
        return str(exc)
    finally:
        try:
            client.quit()
        except (poplib.error_proto, OSError):
            pass
    raise AssertionError('POP3 accepted a wrong password')


def smtp_attempt(host, user, port):
    if port == 465:
        client = smtplib.SMTP_SSL(host, port, timeout=TIMEOUT, context=unverified())
    else:
        client = smtplib.SMTP(host, port, timeout=TIMEOUT)
        client.starttls(context=unverified())
    # One AUTH command per attempt: smtplib's login() would try the next mechanism after a
    # refusal, and Postfix logs (and the jail counts) each refused AUTH.
    client.ehlo()
    client.user, client.password = user, wrong_password()
    try:
        client.auth('PLAIN', client.auth_plain)
    except smtplib.SMTPAuthenticationError as exc:
        return '%s %s' % (exc.smtp_code, exc.smtp_error.decode('utf-8', 'replace'))
    finally:
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            pass
    raise AssertionError('SMTP AUTH accepted a wrong password')


def webmail_attempt(host, user):
    """Roundcube's login form, as a browser posts it (its token from the page, the session cookie)."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPSHandler(context=unverified()),
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    base = 'https://%s/' % host
    page = opener.open(base, timeout=TIMEOUT).read().decode('utf-8', 'replace')
    token = re.search(r'name="_token" value="([^"]+)"', page)
    if not token:
        raise AssertionError('no login form on %s' % base)
    form = urllib.parse.urlencode({'_token': token.group(1), '_task': 'login', '_action': 'login',
                                   '_timezone': 'UTC', '_url': '', '_user': user,
                                   '_pass': wrong_password()}).encode()
    try:
        answer = opener.open(base + '?_task=login', data=form, timeout=TIMEOUT)
        body = answer.read().decode('utf-8', 'replace')
        status = answer.status
    except urllib.error.HTTPError as exc:
        body = exc.read().decode('utf-8', 'replace')
        status = exc.code
    if status == 401 or 'rcmloginuser' in body:
        return 'HTTP %d, the login form again' % status
    raise AssertionError('the webmail answered HTTP %d, not a refused login' % status)


ATTEMPTS = {
    'imap': imap_attempt,
    'pop3': pop3_attempt,
    'submission': lambda host, user: smtp_attempt(host, user, 587),
    'smtps': lambda host, user: smtp_attempt(host, user, 465),
    'webmail': webmail_attempt,
}


def attack(host, services, user, count):
    refused, errors = [], []
    for service in services:
        for _number in range(count):
            for _try in range(TRIES):
                try:
                    reply = ATTEMPTS[service](host, user)
                except (OSError, smtplib.SMTPException, imaplib.IMAP4.error, poplib.error_proto) as exc:
                    errors.append('%s %s: %s' % (service, type(exc).__name__, exc))
                    break
                # A temporary failure (Postfix's 454 when its link to Dovecot's auth dropped) is no
                # guess the server judged: the jail rightly does not count it; guess again.
                if not reply.startswith('454'):
                    refused.append(reply)
                    break
                errors.append('%s: %s (tried again)' % (service, reply))
    return {'refused': refused, 'errors': errors}


def probe(host, ports):
    found = {}
    for port in ports:
        try:
            socket.create_connection((host, port), timeout=PROBE_TIMEOUT).close()
            found[port] = 'open'
        except ConnectionRefusedError:
            found[port] = 'refused'
        except socket.timeout:
            found[port] = 'timeout'
        except OSError as exc:
            found[port] = str(exc)
    return found


def login(host, user, password):
    with imaplib.IMAP4_SSL(host, 993, ssl_context=unverified(), timeout=TIMEOUT) as client:
        client.login(user, password)
    return {'ok': True}


def main(argv):
    host, command = argv[0], argv[1]
    if command == 'probe':
        result = probe(host, [int(port) for port in argv[2:]])
    elif command == 'login':
        result = login(host, argv[2], argv[3])
    else:
        result = attack(host, command.split(','), argv[2], int(argv[3]))
    print(json.dumps(result, sort_keys=True))


if __name__ == '__main__':
    main(sys.argv[1:])
