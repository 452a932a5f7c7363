# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pure part of the S/MIME key service (mailroom-smime, beside this file): the request
framing, the names of users and addresses that become paths, the per-user secret, and reading
what `openssl` prints. Nothing here touches the host; the program does the I/O.

Key storage (docs/webmail.md, "S/MIME keys"): a user's private key is kept as PKCS#8 encrypted
with AES-256-CBC under a secret S that is never stored:

    S = HMAC-SHA256(master key, "mailroom-smime v1" NUL login NUL generation)

The master key (/etc/mailroom/smime/master.key, root 0600) is made once by the webmail role;
`generation` (meta.json) changes whenever the key is replaced or deleted, so an old key file never
opens with a later secret.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import hmac
import json
import re
import secrets

# The logins Dovecot gives (auth_username_format lower-cases and strips the domain), as the
# external POP3 service takes them: they name a directory as they are.
LOGIN_NAME = re.compile(r'\A[a-z0-9_][a-z0-9._-]{0,127}\Z')
# A recipient address that names a file (certs/<address>.pem): lower case, no slash, no leading
# dot, no control characters. Addresses with anything else are not collected.
ADDRESS = re.compile(r'\A[a-z0-9!#$%&\'*+=?^_`{|}~-]+(\.[a-z0-9!#$%&\'*+=?^_`{|}~-]+)*@'
                     r'[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?)+\Z')
FINGERPRINT = re.compile(r'\A[0-9a-f]{64}\Z')
PEM_BLOCK = re.compile(br'-----BEGIN ([A-Z0-9 ]+)-----\r?\n[A-Za-z0-9+/=\r\n]+?-----END \1-----\r?\n?')
REQUEST_MAX_BYTES = 64 * 1024
# The largest payload (a message to sign or decrypt, a PKCS#12 file): above Postfix's limits.
PAYLOAD_MAX_BYTES = 128 * 1024 * 1024
P12_MAX_BYTES = 256 * 1024
CERT_MAX_BYTES = 64 * 1024
SECRET_LABEL = b'mailroom-smime v1'
MAX_PASSWORD = 1024
_CONTROL = re.compile(u'[\x00-\x1f\x7f-\x9f\u2028\u2029]')


class Refused(ValueError):
    """A request that is refused, with the message the user sees."""


# --- framing --------------------------------------------------------------------------------------------

def read_request(stream, payload_max=PAYLOAD_MAX_BYTES):
    """One request: a JSON object on one line (at most REQUEST_MAX_BYTES), then exactly
    `payload_bytes` bytes of payload when the object names a size. Returns (request, payload)."""
    line = stream.readline(REQUEST_MAX_BYTES + 1)
    if len(line) > REQUEST_MAX_BYTES or (line and not line.endswith(b'\n')):
        raise Refused('the request is too large' if len(line) > REQUEST_MAX_BYTES else 'the request is cut short')
    try:
        request = json.loads(line.decode('utf-8'))
    except ValueError:
        raise Refused('the request is not JSON')
    if not isinstance(request, dict):
        raise Refused('the request must be an object')
    size = request.get('payload_bytes', 0)
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise Refused('payload_bytes must be a size in bytes')
    if size > payload_max:
        raise Refused('the message is larger than %d MiB' % (payload_max // 1048576))
    chunks, left = [], size
    while left:
        chunk = stream.read(min(left, 1048576))
        if not chunk:
            raise Refused('the request is cut short')
        chunks.append(chunk)
        left -= len(chunk)
    return request, b''.join(chunks)


def answer_frame(outcome, payload=b''):
    """The answer's bytes: its JSON line (with payload_bytes) and the payload."""
    outcome = dict(outcome, payload_bytes=len(payload))
    return (json.dumps(outcome, sort_keys=True) + '\n').encode('utf-8') + payload


# --- the administrator's policy ------------------------------------------------------------------------

def smime_allowed(policy_text):
    """Whether the mail_encryption module's policy file (the submission milter's) allows S/MIME:
    not when its refuse_encrypted names it. No file, or one that is not the module's, refuses
    nothing, as the milter reads it."""
    try:
        policy = json.loads(policy_text) if policy_text else {}
    except ValueError:
        return True
    refused = policy.get('refuse_encrypted') if isinstance(policy, dict) else None
    return not (isinstance(refused, list) and 'smime' in refused)


# --- names ----------------------------------------------------------------------------------------------

def login_name(value):
    if not isinstance(value, str) or not LOGIN_NAME.match(value):
        raise Refused('S/MIME is not available for this login')
    return value


def address(value):
    """A mail address as it names a certificate file, or Refused."""
    text = value.strip().lower() if isinstance(value, str) else ''
    if not ADDRESS.match(text) or len(text) > 254:
        raise Refused('%r is not a mail address certificates can be kept for' % str(value)[:80])
    return text


def fingerprint(value):
    text = value.replace(':', '').lower() if isinstance(value, str) else ''
    if not FINGERPRINT.match(text):
        raise Refused('a certificate is named by its SHA-256 fingerprint')
    return text


def one_line(what, value, longest=MAX_PASSWORD):
    """A text handed to openssl on a line of its own (a password): a line break would end it early."""
    if not isinstance(value, str) or len(value) > longest or _CONTROL.search(value):
        raise Refused('%s must be one line of at most %d characters' % (what, longest))
    return value


# --- the per-user secret ---------------------------------------------------------------------------------

def user_secret(master, login, generation):
    """The passphrase of the user's key file (hex, for openssl's -pass fd:N)."""
    if not master or len(master) < 32:
        raise ValueError('the master key is missing or too short')
    message = SECRET_LABEL + b'\0' + login_name(login).encode('ascii') + b'\0' + str(int(generation)).encode('ascii')
    return hmac.new(master, message, hashlib.sha256).hexdigest()


def new_generation():
    """A generation never used before for the login (random: a deleted user's directory holds no counter)."""
    return secrets.randbelow(2 ** 62)


# --- PEM and openssl's output ------------------------------------------------------------------------------

def pem_blocks(data, kinds):
    """The PEM blocks of these kinds (b'CERTIFICATE', b'PRIVATE KEY', ...) in data, normalised to LF."""
    return [match.group(0).replace(b'\r\n', b'\n').rstrip(b'\n') + b'\n'
            for match in PEM_BLOCK.finditer(data) if match.group(1) in kinds]


# What `openssl pkcs12 -noenc` prints a key as (PKCS#8, or the traditional forms of older releases).
PLAIN_KEY_KINDS = (b'PRIVATE KEY', b'RSA PRIVATE KEY', b'EC PRIVATE KEY')
CERTIFICATE_KINDS = (b'CERTIFICATE',)


def certificate_facts(printed, emails):
    """What the settings page shows of a certificate, from `openssl x509 -noout -subject -issuer
    -startdate -enddate -fingerprint -sha256 -nameopt RFC2253` and `openssl x509 -noout -email`."""
    facts = {}
    names = {'subject': 'subject', 'issuer': 'issuer', 'notbefore': 'not_before', 'notafter': 'not_after',
             'sha256 fingerprint': 'fingerprint'}
    for line in printed.decode('utf-8', 'replace').splitlines():
        name, equals, value = line.partition('=')
        if equals and name.strip().lower() in names:
            facts[names[name.strip().lower()]] = value.strip()
    if set(facts) != set(names.values()):
        raise Refused('openssl did not describe the certificate')
    facts['fingerprint'] = fingerprint(facts['fingerprint'])
    facts['emails'] = sorted(set(line.strip().lower() for line in emails.decode('utf-8', 'replace').splitlines()
                                 if ADDRESS.match(line.strip().lower())))
    return facts


def recorded_owner(data):
    """The uid and home recorded in owner.json; None when the file cannot be read as such (then
    the keys beside it are nobody's for sure, and are set aside)."""
    try:
        owner = json.loads(data.decode('utf-8'))
    except ValueError:
        return None
    return owner if isinstance(owner, dict) else None


def openssl_error(stderr):
    """The first line openssl gave as its reason, for a log (never shown with secrets: none are on its stderr)."""
    lines = [line.strip() for line in stderr.decode('utf-8', 'replace').splitlines() if line.strip()]
    return lines[0][:300] if lines else 'no reason given'


def wrong_password(stderr):
    """Whether `openssl pkcs12` refused the file's password (rather than the file)."""
    text = stderr.decode('utf-8', 'replace').lower()
    return 'mac verify' in text or 'invalid password' in text
