# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Postfix as a client outside the host sees it: STARTTLS, AUTH placement, relay, delivery."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import smtplib

import pytest
from cryptography import x509

from mailclient import imap_find, make_message, smtp, starttls, submission_session


def test_port_25_offers_starttls_but_never_auth(mailhost):
    session = smtp(mailhost, 'smtp')
    assert session.has_extn('starttls')
    assert not session.has_extn('auth')
    starttls(session)
    assert not session.has_extn('auth'), 'AUTH must not be offered on port 25, even after STARTTLS'
    session.quit()


def test_submission_offers_auth_only_after_starttls(mailhost):
    session = smtp(mailhost, 'submission')
    assert session.has_extn('starttls')
    assert not session.has_extn('auth')
    starttls(session)
    assert 'PLAIN' in session.esmtp_features.get('auth', '').upper()
    session.quit()


def test_submission_refuses_mail_before_starttls(mailhost):
    session = smtp(mailhost, 'submission')
    code, _message = session.docmd('MAIL FROM:<someone@example.net>')
    assert code == 530
    session.close()


def test_smtps_offers_auth_over_implicit_tls(mailhost):
    session = smtp(mailhost, 'smtps')
    assert session.sock.version() in ('TLSv1.2', 'TLSv1.3')
    assert 'PLAIN' in session.esmtp_features.get('auth', '').upper()
    session.quit()


def test_certificate_names_the_host(mailhost):
    """Clients match the host name against the certificate's subjectAltName DNS names (RFC 6125;
    the subject's CN is not looked at), so that is where the name must be."""
    session = smtp(mailhost, 'smtps')
    der = session.sock.getpeercert(binary_form=True)
    session.quit()
    certificate = x509.load_der_x509_certificate(der)
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert mailhost.hostname in names.get_values_for_type(x509.DNSName)


def test_unauthenticated_relay_is_refused(mailhost):
    session = smtp(mailhost, 'smtp')
    session.mail('stranger@example.net')
    code, message = session.rcpt('victim@elsewhere.example.org')
    session.close()
    assert code == 554 and b'Relay access denied' in message


def test_unknown_local_recipient_is_refused(mailhost):
    session = smtp(mailhost, 'smtp')
    session.mail('stranger@example.net')
    code, _message = session.rcpt('no-such-user@%s' % mailhost.domain)
    session.close()
    assert code == 550


@pytest.mark.parametrize('service', ['submission', 'smtps'])
def test_wrong_password_is_refused(mailhost, service):
    user, password = mailhost.users[0]
    session = submission_session(mailhost, service)
    with pytest.raises(smtplib.SMTPAuthenticationError) as failure:
        session.login(user, password + 'x')
    assert failure.value.smtp_code == 535
    session.close()


def test_mail_to_a_local_user_on_port_25_is_delivered(mailhost):
    user, password = mailhost.users[0]
    recipient = '%s@%s' % (user, mailhost.domain)
    token, message = make_message('sender@example.net', recipient, 'port 25')
    session = starttls(smtp(mailhost, 'smtp'))
    session.sendmail('sender@example.net', [recipient], message)
    session.quit()
    found = imap_find(mailhost, user, password, token)
    assert found is not None, 'message not in INBOX'
    assert token.encode() in found


@pytest.mark.parametrize('service', ['submission', 'smtps'])
def test_authenticated_client_can_send_to_another_user(mailhost, service):
    (sender, sender_password), (user, password) = mailhost.users[0], mailhost.users[-1]
    recipient = '%s@%s' % (user, mailhost.domain)
    token, message = make_message('%s@%s' % (sender, mailhost.domain), recipient, service)
    session = submission_session(mailhost, service)
    session.login(sender, sender_password)
    session.sendmail('%s@%s' % (sender, mailhost.domain), [recipient], message)
    session.quit()
    assert imap_find(mailhost, user, password, token) is not None


@pytest.mark.parametrize('service', ['submission', 'smtps'])
def test_authenticated_client_may_relay(mailhost, service):
    user, password = mailhost.users[0]
    session = submission_session(mailhost, service)
    session.login(user, password)
    session.mail('%s@%s' % (user, mailhost.domain))
    code, _message = session.rcpt('friend@elsewhere.example.org')
    session.rset()
    session.quit()
    assert code == 250


@pytest.mark.parametrize('service', ['submission', 'smtps'])
def test_authenticated_client_cannot_send_as_someone_else(mailhost, service):
    user, password = mailhost.users[0]
    session = submission_session(mailhost, service)
    session.login(user, password)
    session.mail('someone-else-%s@%s' % (user, mailhost.domain))
    code, message = session.rcpt('%s@%s' % (user, mailhost.domain))
    session.close()
    assert code == 553 and b'not owned by user' in message
