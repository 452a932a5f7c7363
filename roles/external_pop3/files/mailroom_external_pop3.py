# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pure part of the external POP3 fetcher (mailroom-external-pop3, beside this file): the
policy, users' account entries and their checks, the per-account journal that makes every
message arrive exactly once, and the systemd names. Nothing here touches the host; the program
does the I/O.

An account entry (accounts.json, root only) holds the password; what leaves the program (the
webmail, the admin module) is the public view without it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import hmac
import ipaddress
import json
import re
import secrets

POLICY_DEFAULTS = {
    'allowed': False,
    'interval_minutes': 10,
    'max_accounts_per_user': 5,
    'allow_insecure': False,
    'keep_on_server_default': True,
}
POLICY_RANGES = {'interval_minutes': (1, 1440), 'max_accounts_per_user': (1, 100)}
TLS_MODES = ('pop3s', 'starttls', 'none')
DEFAULT_PORTS = {'pop3s': 995, 'starttls': 110, 'none': 110}
# The logins Dovecot gives (auth_username_format lower-cases and strips the domain): they name a
# directory and a systemd unit instance as they are.
LOGIN_NAME = re.compile(r'\A[a-z0-9_][a-z0-9._-]{0,127}\Z')
ACCOUNT_ID = re.compile(r'\A[0-9a-f]{32}\Z')
# Anything below 0x20, DEL and the C1 controls: a line break in a login or password would add a
# POP3 command of the user's choosing.
_CONTROL = re.compile(u'[\x00-\x1f\x7f-\x9f\u2028\u2029]')
_SURROGATE = re.compile(u'[\ud800-\udfff]')
_LABEL = re.compile(r'\A(?!-)[a-z0-9-]{1,63}(?<!-)\Z')
MAX_LOGIN = 255
MAX_PASSWORD = 1024
MAX_FOLDER = 255
HEADER = 'X-Mailroom-Fetched'
# A token as token() makes it: the account's id, a dot, 32 hex digits.
TOKEN = re.compile(r'\b[0-9a-f]{32}\.[0-9a-f]{32}\b')
UNIT = 'mailroom-external-pop3@%s'
# A user's timer first fires this long after it starts (OnUnitActiveSec alone never fires).
FIRST_RUN_SECONDS = 20


class Refused(ValueError):
    """Input that is refused, with the message the user or admin sees."""


# --- policy ---------------------------------------------------------------------------------------

def parse_policy(text):
    """The policy file's settings; a file that is absent or not ours allows nothing (every other
    value at its default), a value out of range takes its default."""
    policy = dict(POLICY_DEFAULTS)
    try:
        stored = json.loads(text) if text else {}
    except ValueError:
        return policy
    if not isinstance(stored, dict) or set(stored) != set(POLICY_DEFAULTS):
        return policy
    for name, default in POLICY_DEFAULTS.items():
        value = stored[name]
        if isinstance(default, bool):
            if isinstance(value, bool):
                policy[name] = value
        elif isinstance(value, int) and not isinstance(value, bool):
            low, high = POLICY_RANGES[name]
            if low <= value <= high:
                policy[name] = value
    return policy


# --- account entries --------------------------------------------------------------------------------

def _one_line(what, value, longest):
    if not isinstance(value, str) or not value:
        raise Refused('%s must not be empty' % what)
    if _CONTROL.search(value):
        raise Refused('%s must be one line without control characters' % what)
    if _SURROGATE.search(value):
        # JSON can carry half of a UTF-16 pair, which no file or protocol can write.
        raise Refused('%s is not valid text' % what)
    if len(value) > longest:
        raise Refused('%s is longer than %d characters' % (what, longest))
    return value


def server_name(value):
    """A DNS name (international names to punycode, lower case) or an IP address; never a name
    that could be read as something else by the resolver (spaces, a trailing dot, empty labels)."""
    if not isinstance(value, str):
        raise Refused('the server must be a host name or an IP address')
    text = value.strip().lower()
    if not text or _CONTROL.search(text) or ' ' in text:
        raise Refused('the server must be a host name or an IP address, without spaces')
    candidate = text[1:-1] if text.startswith('[') and text.endswith(']') else text
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        pass
    try:
        ascii_name = text.encode('idna').decode('ascii') if any(ord(c) > 127 for c in text) else text
    except UnicodeError:
        raise Refused('the server %r is not a valid host name' % value[:80])
    labels = ascii_name.split('.')
    if len(ascii_name) > 253 or not all(_LABEL.match(label) for label in labels) or labels[-1].isdigit():
        raise Refused('the server %r is not a valid host name or IP address' % value[:80])
    return ascii_name


# Cloud providers' metadata and DNS services outside link-local: Alibaba's (in CGNAT space) and
# AWS's IPv6 one.
_METADATA_NETWORKS = tuple(ipaddress.ip_network(net) for net in ('100.64.0.0/10', 'fd00:ec2::/32'))


def forbidden_address(address, own=()):
    """Why the fetcher must not connect to an address, or None. Users choose the server, and a
    POP3 test answers with what the server said: this host (loopback and its own addresses,
    `own`), link-local and cloud metadata addresses, multicast and unspecified ones are never
    contacted. Other private ranges are (a company's own POP3 server)."""
    ip = ipaddress.ip_address(address)
    if getattr(ip, 'ipv4_mapped', None):
        ip = ip.ipv4_mapped
    if ip.is_loopback or str(ip) in own:
        return 'it is this host'
    if ip.is_link_local:
        return 'it is a link-local address'
    if any(ip in net for net in _METADATA_NETWORKS):
        return 'it is in a range cloud providers keep for their own services'
    if ip.is_multicast or ip.is_unspecified or ip.is_reserved:
        return 'it is not a unicast address'
    return None


def _port(value):
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise Refused('the port must be a number from 1 to 65535')
    return value


def _bool(what, value):
    if not isinstance(value, bool):
        raise Refused('%s must be true or false' % what)
    return value


def checked_account(given, stored, policy):
    """The entry to store from what was given over what is stored (None: a new account): every
    field checked; None/absent fields keep the stored value or take the defaults. The password
    of a new account is required; an empty one keeps the stored password."""
    if not isinstance(given, dict):
        raise Refused('an account must be an object')
    base = dict(stored) if stored else {
        'id': secrets.token_hex(16), 'secret': None, 'keep': policy['keep_on_server_default'], 'folder': 'INBOX',
        'paused': False, 'password': None, 'tls': 'pop3s', 'port': None,
    }

    def pick(name):
        value = given.get(name)
        return base.get(name) if value is None else value

    entry = {'id': base['id']}
    entry['server'] = server_name(pick('server'))
    tls = pick('tls')
    if tls not in TLS_MODES:
        raise Refused('TLS must be one of %s' % ', '.join(TLS_MODES))
    if tls == 'none' and not policy['allow_insecure']:
        raise Refused('the administrator does not allow POP3 without TLS: use POP3S (995) or STARTTLS (110)')
    entry['tls'] = tls
    port = pick('port')
    entry['port'] = _port(DEFAULT_PORTS[tls] if port is None else port)
    entry['login'] = _one_line('the login', pick('login'), MAX_LOGIN)
    password = given.get('password')
    if password in (None, ''):
        password = base.get('password')
        if not password:
            raise Refused('a new account needs its password')
        moved = [name for name in ('server', 'port', 'tls', 'login') if stored and entry[name] != stored[name]]
        if moved:
            # The stored password goes only where it was given for.
            raise Refused('enter the password again: the %s changed' % ', '.join(moved))
    entry['password'] = _one_line('the password', password, MAX_PASSWORD)
    entry['secret'] = base.get('secret') or secrets.token_hex(16)
    entry['keep'] = _bool('keep on server', pick('keep'))
    entry['folder'] = _one_line('the folder', pick('folder'), MAX_FOLDER)
    if entry['folder'].startswith('-'):
        # doveadm would read it as an option.
        raise Refused('the folder must not start with "-"')
    entry['paused'] = _bool('paused', pick('paused'))
    return entry


def public(entry, status=None):
    """An entry as it may be shown: no password."""
    view = dict((name, entry[name]) for name in ('id', 'server', 'port', 'tls', 'login', 'keep', 'folder', 'paused'))
    view['password_set'] = bool(entry.get('password'))
    view['status'] = dict(last_run=None, last_count=0, total=0, last_error=None)
    view['status'].update(status or {})
    return view


def find(accounts, server, login):
    """The entry for (server, login), as the admin module names accounts, or None."""
    name = server_name(server)
    for entry in accounts:
        if entry['server'] == name and entry['login'] == login:
            return entry
    return None


def fetchable(accounts, policy):
    """(entry, why not or None) for each account, in stored order: paused, over the policy's
    count, or plain POP3 no longer allowed are skipped with the reason."""
    result = []
    for index, entry in enumerate(accounts):
        if entry.get('paused'):
            reason = 'paused'
        elif index >= policy['max_accounts_per_user']:
            reason = 'over the administrator\'s limit of %d accounts' % policy['max_accounts_per_user']
        elif entry['tls'] == 'none' and not policy['allow_insecure']:
            reason = 'the administrator no longer allows POP3 without TLS'
        else:
            reason = None
        result.append((entry, reason))
    return result


# --- the journal: each message exactly once ----------------------------------------------------------
#
# Per account, a file of lines: "P <uidl hex> <unix time>" before a message is delivered, "D <uidl
# hex>" once Dovecot took it. A run killed between the two leaves a pending line: the next run
# looks for the message in the mailbox (by the token in its X-Mailroom-Fetched header) before
# delivering it again. UIDLs are hex in the file: a UIDL may hold any printable character.

def journal_name(entry):
    """The account's journal: its id and its login. A new login is another mailbox, whose UIDLs
    mean nothing against the old journal's; a new server name with the same login (a provider's
    new host name) keeps the journal, so nothing is fetched again."""
    return '%s-%s' % (entry['id'], hashlib.sha256(entry['login'].encode('utf-8')).hexdigest()[:16])


def uid_key(uidl):
    return uidl.hex() if isinstance(uidl, bytes) else uidl.encode('utf-8').hex()


def token(entry, key):
    """The message's mark in the mailbox: the account's id and an HMAC of the UIDL's key under
    the account's secret, which never leaves the host - nobody who saw a fetched message can
    make the token of another one (a mail carrying it would pass for that message after a
    killed run)."""
    digest = hmac.new(entry['secret'].encode('ascii'), key.encode('ascii'), hashlib.sha256).hexdigest()[:32]
    return '%s.%s' % (entry['id'], digest)


def read_journal(text):
    """(done keys, {pending key: unix time})."""
    done, pending = set(), {}
    for line in text.splitlines():
        parts = line.split(' ')
        if len(parts) == 2 and parts[0] == 'D':
            done.add(parts[1])
            pending.pop(parts[1], None)
        elif len(parts) == 3 and parts[0] == 'P' and parts[2].isdigit():
            if parts[1] not in done:
                pending[parts[1]] = int(parts[2])
    return done, pending


def pending_line(key, when):
    return 'P %s %d\n' % (key, when)


def done_line(key):
    return 'D %s\n' % key


def compacted(done, pending, on_server):
    """The journal rewritten: messages still on the server (the rest cannot come back), and
    pending ones not resolved."""
    lines = [done_line(key) for key in sorted(done & on_server)]
    lines += [pending_line(key, when) for key, when in sorted(pending.items())]
    return ''.join(lines)


def cut(text, longest=300):
    """A server's or Dovecot's words, as stored and shown: one line, at most `longest` characters."""
    text = ' '.join(text.split())
    return text if len(text) <= longest else text[:longest - 3] + '...'


def plan_messages(listing, done, pending):
    """For a server's UIDL listing [(number, uidl bytes)]: (to fetch, to check first, already
    here): lists of (number, key)."""
    fetch, check, here = [], [], []
    for number, uidl in listing:
        key = uid_key(uidl)
        if key in done:
            here.append((number, key))
        elif key in pending:
            check.append((number, key))
        else:
            fetch.append((number, key))
    return fetch, check, here


def parse_listing(lines):
    """poplib's LIST answer lines (b"1 4096") as {number: size}; a malformed line is an error."""
    sizes = {}
    for line in lines:
        parts = line.split()
        if len(parts) < 2 or not parts[0].isdigit() or not parts[1].isdigit():
            raise ValueError('the server answered LIST with %r' % line[:80])
        sizes[int(parts[0])] = int(parts[1])
    return sizes


def parse_uidl(lines):
    """poplib's UIDL answer lines (b"1 abc") as [(number, uidl)]; a malformed line is an error
    (fetching without UIDLs would deliver everything again each run)."""
    listing = []
    for line in lines:
        parts = line.split(None, 1)
        if len(parts) != 2 or not parts[0].isdigit() or not parts[1].strip():
            raise ValueError('the server answered UIDL with %r' % line[:80])
        listing.append((int(parts[0]), parts[1].strip()))
    return listing


# --- IMAP ---------------------------------------------------------------------------------------------

def imap_utf7(name):
    """A mailbox name in IMAP's modified UTF-7 (RFC 3501 5.1.3): printable ASCII as it is ("&"
    as "&-"), anything else as base64 of UTF-16BE between "&" and "-", with "," for "/"."""
    out, pending = [], []

    def flush():
        if pending:
            data = ''.join(pending).encode('utf-16-be')
            out.append('&' + base64.b64encode(data).decode('ascii').rstrip('=').replace('/', ',') + '-')
            del pending[:]

    for char in name:
        if 0x20 <= ord(char) <= 0x7e:
            flush()
            out.append('&-' if char == '&' else char)
        else:
            pending.append(char)
    flush()
    return ''.join(out)


def imap_quoted(name):
    """A mailbox name as an IMAP quoted string (bytes), modified UTF-7 inside."""
    return ('"%s"' % imap_utf7(name).replace('\\', '\\\\').replace('"', '\\"')).encode('ascii')


# --- systemd names -----------------------------------------------------------------------------------

def timer_name(login):
    return UNIT % login + '.timer'


def service_name(login):
    return UNIT % login + '.service'


def login_of_unit(name):
    """The login of a timer or service instance name, or None when the name is not ours."""
    for suffix in ('.timer', '.service'):
        prefix = UNIT % ''
        if name.startswith(prefix) and name.endswith(suffix):
            login = name[len(prefix):-len(suffix)]
            return login if LOGIN_NAME.match(login) else None
    return None


def timer_dropin(interval_minutes):
    """The drop-in setting every user's timer's interval. An empty assignment resets all of the
    template's triggers, the first run's too: both are given again."""
    return ('# Written by mailroom-external-pop3 apply from /etc/mailroom/external-pop3.json\n'
            '[Timer]\nOnActiveSec=\nOnActiveSec=%ds\nOnUnitActiveSec=%dmin\n' % (FIRST_RUN_SECONDS, interval_minutes))
