# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Folder sharing (IMAP ACL, RFC 4314) seen by users of a mail host, printed as JSON, for the
integration tests' tasks. Logins go over IMAPS (993). Run it from outside the mail host.

Commands:
  share ADDRESS OWNER PASS FOLDER GRANTEE RIGHTS
      as OWNER: create FOLDER (if missing), put a message in it, then SETACL FOLDER GRANTEE RIGHTS;
      prints the capabilities, whether SETACL was accepted (or the server's answer) and the
      message's subject
  view ADDRESS USER PASS OWNER FOLDER
      as USER: the capabilities, every mailbox LIST shows under shared/, and for each of OWNER's
      FOLDER, INBOX and their parent shared/OWNER whether it opens (read-only) and the subjects
      in it; then whether MYRIGHTS on USER's INBOX is a known command (it changes nothing)
"""
from __future__ import absolute_import, division, print_function

import imaplib
import json
import os
import re
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mailclient import TIMEOUT, tls_client  # noqa: E402  pylint: disable=wrong-import-position

IMAPS = 993
SHARED_PREFIX = 'shared'


def _login(address, user, password):
    session = imaplib.IMAP4_SSL(address, IMAPS, ssl_context=tls_client(), timeout=TIMEOUT)
    session.login(user, password)
    return session


def _capabilities(session):
    # The capabilities after login: the ACL extension is announced only to logged-in users.
    _typ, data = session.capability()
    return sorted(data[0].decode('ascii', 'replace').split())


def _answer(call):
    """(True, None) when the server said OK, else (False, its answer): NO, BAD or an error."""
    try:
        typ, data = call()
    except imaplib.IMAP4.error as exc:
        return False, str(exc)
    if typ != 'OK':
        return False, b' '.join(part for part in data if isinstance(part, bytes)).decode('utf-8', 'replace')
    return True, None


def _mailbox_names(session, pattern):
    _typ, data = session.list('""', pattern)
    names = []
    for line in data:
        if not line:
            continue
        text = line.decode('utf-8', 'replace') if isinstance(line, bytes) else line
        match = re.match(r'\([^)]*\) (?:"[^"]*"|NIL) (.*)$', text)
        if match:
            names.append(match.group(1).strip('"'))
    return sorted(names)


def _subjects(session, mailbox):
    """(opened, subjects or the refusal) of a mailbox opened read-only."""
    try:
        typ, data = session.select(mailbox, readonly=True)
    except imaplib.IMAP4.error as exc:
        return False, str(exc)
    if typ != 'OK':
        return False, b' '.join(part for part in data if isinstance(part, bytes)).decode('utf-8', 'replace')
    subjects = []
    if int(data[0] or 0):
        _typ, fetched = session.fetch('1:*', '(BODY.PEEK[HEADER.FIELDS (SUBJECT)])')
        for part in fetched:
            if isinstance(part, tuple):
                subjects.append(part[1].decode('utf-8', 'replace').strip().replace('Subject: ', '', 1))
    session.close()
    return True, subjects


def probe_share(address, owner, password, folder, grantee, rights):
    session = _login(address, owner, password)
    try:
        session.create(folder)
        subject = 'shared %s' % uuid.uuid4().hex
        message = ('From: %s\r\nTo: %s\r\nSubject: %s\r\n\r\nshared folder probe\r\n'
                   % (owner, grantee, subject)).encode('ascii')
        appended, append_error = _answer(lambda: session.append(folder, None, None, message))
        accepted, answer = _answer(lambda: session.setacl(folder, grantee, rights))
        return {'capabilities': _capabilities(session), 'appended': appended,
                'append_error': append_error, 'setacl': accepted, 'setacl_answer': answer,
                'subject': subject}
    finally:
        session.logout()


def probe_view(address, user, password, owner, folder):
    session = _login(address, user, password)
    try:
        result = {'capabilities': _capabilities(session),
                  'listed': _mailbox_names(session, '%s/*' % SHARED_PREFIX)}
        for key, mailbox in (('folder', '%s/%s/%s' % (SHARED_PREFIX, owner, folder)),
                             ('inbox', '%s/%s/INBOX' % (SHARED_PREFIX, owner)),
                             ('root', '%s/%s' % (SHARED_PREFIX, owner))):
            result[key + '_opened'], result[key] = _subjects(session, mailbox)
        # Read-only ACL commands: the IMAP ACL extension without changing any right.
        result['myrights'], result['myrights_answer'] = _answer(lambda: session.myrights('INBOX'))
        return result
    finally:
        session.logout()


def probe_view_until(address, user, password, owner, folder, wait='0'):
    """probe_view, repeated for up to `wait` seconds until the folder opens (ACL caches)."""
    deadline = time.time() + float(wait)
    while True:
        result = probe_view(address, user, password, owner, folder)
        if result['folder_opened'] or time.time() >= deadline:
            return result
        time.sleep(1)


COMMANDS = {'share': probe_share, 'view': probe_view_until}


def main(argv):
    if len(argv) < 2 or argv[1] not in COMMANDS:
        sys.stderr.write(__doc__)
        return 2
    print(json.dumps(COMMANDS[argv[1]](*argv[2:])))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
