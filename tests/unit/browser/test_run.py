# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The browser checks' judgements of OpenPGP mail and shared folders, without a browser."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import json
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'browser'))

import run  # noqa: E402  pylint: disable=wrong-import-position
import webmail  # noqa: E402  pylint: disable=wrong-import-position

ARMOURED = (b'-----BEGIN PGP MESSAGE-----\r\n\r\nhQEMA8x5wx0SLV2tAQf/dGVzdA==\r\n'
            b'-----END PGP MESSAGE-----\r\n')


def pgp_mime(protocol=b'application/pgp-encrypted', control=b'application/pgp-encrypted',
             payload=ARMOURED):
    return (b'From: alice@example.test\r\nTo: bob@example.test\r\nSubject: OpenPGP abc\r\n'
            b'MIME-Version: 1.0\r\nContent-Type: multipart/encrypted;\r\n protocol="' + protocol
            + b'";\r\n boundary="b1"\r\n\r\nThis is an OpenPGP/MIME encrypted message.\r\n'
            b'--b1\r\nContent-Type: ' + control + b'\r\n\r\nVersion: 1\r\n'
            b'--b1\r\nContent-Type: application/octet-stream; name="encrypted.asc"\r\n\r\n'
            + payload + b'--b1--\r\n')


def inline(body=ARMOURED, content_type=b'text/plain'):
    return (b'From: alice@example.test\r\nSubject: OpenPGP abc\r\nMIME-Version: 1.0\r\n'
            b'Content-Type: ' + content_type + b'; charset=US-ASCII\r\n\r\n' + body)


@pytest.mark.parametrize('raw, expected', [
    (pgp_mime(), 'pgp/mime'),
    (inline(), 'inline'),                                    # enigma's form for one text part
    (inline(b'\r\n' + ARMOURED + b'\r\n'), 'inline'),       # blank lines around it
])
def test_openpgp_encrypted_mail_is_recognised(raw, expected):
    assert run.openpgp_form(raw) == expected


@pytest.mark.parametrize('raw', [
    pgp_mime(protocol=b'application/pkcs7-mime'),          # another protocol
    pgp_mime(control=b'text/plain'),                        # no version part first
    pgp_mime(payload=b'secret-123 in clear\r\n'),           # no OpenPGP message in it
    inline(b'Hello Bob, secret-123\r\n'),                   # plain text
    inline(b'Hello Bob, secret-123\r\n' + ARMOURED),        # clear text before the armour
    inline(ARMOURED + b'PS: secret-123\r\n'),               # clear text after it
    inline(ARMOURED, content_type=b'text/html'),            # not the text part enigma writes
])
def test_anything_else_is_not_encrypted(raw):
    assert run.openpgp_form(raw) is None


@pytest.mark.parametrize('text, expected', [('true', True), ('False', False)])
def test_boolean_options(text, expected):
    assert run.boolean(text) is expected


def test_a_boolean_option_is_true_or_false_only():
    with pytest.raises(argparse.ArgumentTypeError):
        run.boolean('yes')


def test_shared_needs_the_expected_visibility():
    with pytest.raises(SystemExit):
        run.parse(['shared', '--address', 'a', '--artifacts', 'b', '--user', 'bob:x',
                   '--folder', 'shared/alice/Team'])
    options = run.parse(['shared', '--address', 'a', '--artifacts', 'b', '--user', 'bob:x',
                         '--folder', 'shared/alice/Team', '--expect-visible', 'false'])
    assert options.expect_visible is False


def test_folders_under_an_owner():
    folders = ['INBOX', 'shared', 'shared/alice', 'shared/alice/Team', 'shared/alice2/Team',
               'shared/bob/INBOX']
    assert webmail.folders_under(folders, 'shared/alice') == ['shared/alice', 'shared/alice/Team']
    # Another owner whose name starts with the same letters is not the owner.
    assert webmail.folders_under(['INBOX', 'shared/alice2'], 'shared/alice') == []


# Team??? and ~~~ encode to base64 with / and +: Roundcube's ids carry _ and - instead.
@pytest.mark.parametrize('folder', ['INBOX', 'shared/alice/Team', 'shared/alice/Équipe ü',
                                    'shared/alice/Team???', '~~~'])
def test_folder_names_come_back_from_element_ids(folder):
    assert webmail.folder_from_element_id(webmail.folder_element_id(folder)) == folder


def test_a_hung_command_answers_an_error_and_ends_the_process():
    # The deadline fires from a thread while the main thread is blocked, as in a hung browser call.
    code = ('import sys, time; sys.path.insert(0, %r); import run; '
            'run.exit_after(0.2, 1, "no answer within 0 s: a browser call hung"); time.sleep(30)'
            % os.path.join(os.path.dirname(__file__), '..', '..', 'browser'))
    done = subprocess.run([sys.executable, '-c', code], stdout=subprocess.PIPE, timeout=20, check=False)
    assert done.returncode == 1
    assert json.loads(done.stdout) == {'error': 'no answer within 0 s: a browser call hung'}


SIGNED = (b'From: alice@example.test\r\nSubject: S/MIME signed for tampering 1a2b\r\nMIME-Version: 1.0\r\n'
          b'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256;\r\n'
          b' boundary="s1"\r\n\r\n--s1\r\nContent-Type: text/plain\r\n\r\nSigned text plain-0a1b2c.\r\n'
          b'--s1\r\nContent-Type: application/pkcs7-signature; name="smime.p7s"\r\n\r\nMIIB\r\n--s1--\r\n')


@pytest.mark.parametrize('raw, expected', [
    (SIGNED, 'signed'),
    (b'Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"\r\n\r\nMIIB', 'enveloped-data'),
    (b'Content-Type: application/x-pkcs7-mime; smime-type=Signed-Data\r\n\r\nMIIB', 'signed-data'),
    (b'Content-Type: application/x-pkcs7-mime; name="smime.p7m"\r\n\r\nMIIB', 'enveloped-data'),
    (b'Content-Type: multipart/signed; protocol="application/pgp-signature"; boundary=x\r\n\r\n', None),
    (b'Content-Type: text/plain\r\n\r\nhello', None),
])
def test_smime_form_of_raw_messages(raw, expected):
    assert run.smime_form(raw) == expected


def test_tampered_copy_changes_the_body_and_subject_only():
    forged = run.tampered_copy(SIGNED, 'plain-0a1b2c', 'S/MIME tampered 9z')
    head, _sep, body = forged.partition(b'\r\n\r\n')
    assert b'Subject: S/MIME tampered 9z' in head and b'for tampering' not in head
    assert b'boundary="s1"' in head and b'From: alice@example.test' in head
    assert b'PLAIN-0A1B2C' in body and b'plain-0a1b2c' not in body and b'MIIB' in body
    lf = run.tampered_copy(SIGNED.replace(b'\r\n', b'\n'), 'plain-0a1b2c', 'x')
    assert b'\r' not in lf and b'PLAIN-0A1B2C' in lf
    with pytest.raises(ValueError):
        run.tampered_copy(SIGNED, 'not-there', 'x')


def test_smime_commands_need_their_arguments():
    base = ['--address', '192.0.2.1', '--artifacts', '/tmp/a', '--user', 'alice:pw']
    with pytest.raises(SystemExit):
        run.parse(['smime-import'] + base)
    with pytest.raises(SystemExit):
        run.parse(['smime'] + base + ['--peer', 'bob:pw'])
    options = run.parse(['smime'] + base + ['--peer', 'bob:pw', '--stranger', 'carol@example.test'])
    assert options.stranger == 'carol@example.test'
    options = run.parse(['smime-import'] + base + ['--p12', '/tmp/a.p12', '--p12-password', 'x', '--trust', '/tmp/ca'])
    assert (options.p12, options.p12_password, options.trust) == ('/tmp/a.p12', 'x', '/tmp/ca')
    assert run.parse(['smime-off'] + base).command == 'smime-off'
