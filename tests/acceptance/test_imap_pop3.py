# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Dovecot as a client outside the host sees it: TLS-only logins, folders, POP3 retrieval."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import imaplib
import poplib
import re

import pytest

from mailclient import TIMEOUT, imap_find, imap_login, make_message, pop3_login, smtp, starttls


# Dovecot's refusals of a password sent without TLS: 2.3 says "Plaintext", 2.4 "Cleartext".
PLAINTEXT_REFUSED = r'\[(?:AUTH|PRIVACYREQUIRED)\] (?:Plaintext|Cleartext) authentication disallowed on non-secure \(SSL/TLS\) connections\.'


def test_imap_refuses_plaintext_login_without_tls(mailhost):
    user, password = mailhost.users[0]
    session = imaplib.IMAP4(mailhost.address, mailhost.ports['imap'], timeout=TIMEOUT)
    assert 'LOGINDISABLED' in session.capabilities
    with pytest.raises(imaplib.IMAP4.error) as refused:
        session.login(user, password)
    session.shutdown()
    assert re.search(PLAINTEXT_REFUSED, str(refused.value)), str(refused.value)


@pytest.mark.parametrize('service', ['imap', 'imaps'])
def test_imap_login_over_tls(mailhost, service):
    user, password = mailhost.users[0]
    session = imap_login(mailhost, user, password, service)
    assert session.state == 'AUTH'
    session.logout()


def test_imap_wrong_password_is_refused(mailhost):
    user, password = mailhost.users[0]
    with pytest.raises(imaplib.IMAP4.error):
        imap_login(mailhost, user, password + 'x')


def test_special_use_folders_exist(mailhost):
    user, password = mailhost.users[0]
    session = imap_login(mailhost, user, password)
    _typ, folders = session.list()
    session.logout()
    listing = b'\n'.join(folders)
    for flag in (b'\\Drafts', b'\\Sent', b'\\Junk', b'\\Trash'):
        assert flag in listing


def test_pop3_refuses_plaintext_password_without_tls(mailhost):
    """Refused at USER already: the password is never asked for."""
    user, _password = mailhost.users[0]
    session = poplib.POP3(mailhost.address, mailhost.ports['pop3'], timeout=TIMEOUT)
    with pytest.raises(poplib.error_proto) as refused:
        session.user(user)
    session.close()
    assert re.match('-ERR ' + PLAINTEXT_REFUSED + '$', refused.value.args[0].decode()), refused.value.args[0]


def test_pop3s_wrong_password_is_refused(mailhost):
    user, password = mailhost.users[0]
    with pytest.raises(poplib.error_proto):
        pop3_login(mailhost, user, password + 'x')


@pytest.mark.parametrize('service', ['pop3', 'pop3s'])
def test_message_sent_on_port_25_is_read_back_over_pop3(mailhost, service):
    user, password = mailhost.users[-1]
    recipient = '%s@%s' % (user, mailhost.domain)
    token, message = make_message('sender@example.net', recipient, 'pop3 ' + service)
    session = starttls(smtp(mailhost, 'smtp'))
    session.sendmail('sender@example.net', [recipient], message)
    session.quit()
    assert imap_find(mailhost, user, password, token) is not None
    pop = pop3_login(mailhost, user, password, service)
    count, _size = pop.stat()
    bodies = [b'\n'.join(pop.retr(number)[1]) for number in range(1, count + 1)]
    pop.quit()
    assert any(token.encode() in body for body in bodies)
