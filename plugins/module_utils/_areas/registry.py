# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every settings area, registered (checked against the contract), by admin panel tab."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.mailroom.server.plugins.module_utils._engine.area import register
from ansible_collections.mailroom.server.plugins.module_utils._areas import (
    account_type,
    custom_logo,
    dkim,
    external_pop3,
    full_text_search,
    high_availability,
    imap_pop3,
    login_protection,
    mail_encryption,
    mailbox_sharing,
    network_interface,
    sender_name,
    shared_links,
    smtp,
    tls_profile,
)

SMTP, ACCOUNT_TYPE, IMAP_POP3, NETWORK_INTERFACE, HIGH_AVAILABILITY, TLS_PROFILE, FULL_TEXT_SEARCH = register(
    smtp, account_type, imap_pop3, network_interface, high_availability, tls_profile, full_text_search)

# The Protocol tab, in the order of the panel; the smtp module also carries the account type, and
# the high-availability pair sits with the network interface it binds (its own role's keepalived).
PROTOCOL = (SMTP, ACCOUNT_TYPE, IMAP_POP3, NETWORK_INTERFACE, HIGH_AVAILABILITY, TLS_PROFILE, FULL_TEXT_SEARCH)

SENDER_NAME, MAIL_ENCRYPTION, MAILBOX_SHARING, CUSTOM_LOGO, SHARED_LINKS, EXTERNAL_POP3 = register(
    sender_name, mail_encryption, mailbox_sharing, custom_logo, shared_links, external_pop3)

# The MailPlus Client tab: the webmail and its policies, enforced on the server for every client,
# shared links for large attachments (their own role's milter, with or without the webmail) and
# mail fetched from external POP3 servers (their own role's fetcher and timers).
CLIENT = (SENDER_NAME, MAIL_ENCRYPTION, MAILBOX_SHARING, CUSTOM_LOGO, SHARED_LINKS, EXTERNAL_POP3)

# The Security tab: brute-force lockout (its own role's fail2ban jail) and DKIM signing (the
# filter role's rspamd).
LOGIN_PROTECTION, DKIM = register(login_protection, dkim)
SECURITY = (LOGIN_PROTECTION, DKIM)

# Every area, for checks across areas (ports) and for settings_info.
ALL = PROTOCOL + CLIENT + SECURITY

# The Protocol tab as the protocol module and settings_info shape it: (section, areas).
PROTOCOL_PAGE = (
    ('smtp', (SMTP, ACCOUNT_TYPE)),
    ('imap_pop3', (IMAP_POP3,)),
    ('network_interface', (NETWORK_INTERFACE,)),
    ('high_availability', (HIGH_AVAILABILITY,)),
    ('tls_profile', (TLS_PROFILE,)),
    ('full_text_search', (FULL_TEXT_SEARCH,)),
)

# The Client tab as the client module and client_info shape it.
CLIENT_PAGE = (
    ('sender_name', (SENDER_NAME,)),
    ('mail_encryption', (MAIL_ENCRYPTION,)),
    ('mailbox_sharing', (MAILBOX_SHARING,)),
    ('custom_logo', (CUSTOM_LOGO,)),
    ('shared_links', (SHARED_LINKS,)),
    ('external_pop3', (EXTERNAL_POP3,)),
)

# The Security tab as settings_info shapes it.
SECURITY_PAGE = (
    ('login_protection', (LOGIN_PROTECTION,)),
    ('dkim', (DKIM,)),
)
