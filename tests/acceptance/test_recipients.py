# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who the host accepts mail for, as a sender outside sees it at RCPT time.

Every mail account is accepted (also those that existed before the host's first converge), and
every address that is not one is refused while the client is still connected: an address accepted
and then found undeliverable is bounced to a sender who, for spam, is forged (backscatter).
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from mailclient import smtp


def rcpt(mailhost, recipient):
    """The reply code to RCPT TO:<recipient> on port 25 from an outside sender.

    The command is written as is: smtplib would rewrite an address such as ""@domain.
    """
    session = smtp(mailhost, 'smtp')
    try:
        code, _message = session.docmd('MAIL FROM:<stranger@example.net>')
        assert code == 250
        code, message = session.docmd('RCPT TO:<%s>' % recipient)
    finally:
        session.close()
    return code, message


def test_every_mail_account_is_a_recipient(mailhost):
    """Among them accounts that existed before the first converge (Molecule creates one)."""
    refused = {}
    for user, _password in mailhost.users:
        code, message = rcpt(mailhost, '%s@%s' % (user, mailhost.domain))
        if code != 250:
            refused[user] = (code, message)
    assert not refused


# Postfix's SMTP server lets MAILER-DAEMON, double-bounce and the empty local part through without
# looking at local_recipient_maps; local(8) then cannot deliver them.
@pytest.mark.parametrize('local_part', ['MAILER-DAEMON', 'mailer-daemon', 'double-bounce', '""'])
def test_mail_system_names_are_refused(mailhost, local_part):
    code, message = rcpt(mailhost, '%s@%s' % (local_part, mailhost.domain))
    assert code == 550, message


def test_mail_system_names_of_the_host_name_are_refused(mailhost):
    code, message = rcpt(mailhost, 'MAILER-DAEMON@%s' % mailhost.hostname)
    assert code == 550, message


def test_system_account_outside_the_uid_range_is_refused(mailhost):
    """nobody (uid 65534) exists on every Debian host, above the mail accounts' range."""
    code, message = rcpt(mailhost, 'nobody@%s' % mailhost.domain)
    assert code == 550, message


def test_postmaster_is_accepted(mailhost):
    """RFC 5321 requires it; the roles alias it (through root) to the admin mailbox."""
    code, message = rcpt(mailhost, 'postmaster@%s' % mailhost.domain)
    assert code == 250, message
