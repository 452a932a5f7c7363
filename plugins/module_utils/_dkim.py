# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""DKIM signing keys: the pure model of the dkim settings area (rspamd's dkim_signing module).

The settings are the selectors of each mail domain: a key per selector, its type and size, and
whether rspamd signs with it. A selector that does not sign stays published (its key is kept),
which is how keys are rotated: a new selector is added and published, signing moves to it, and
the old one is removed (state: absent) once no message in flight can carry its signature.

Where they live:

* the keys, one file per selector, KEY_DIR/<domain>/<selector>.key - the directory is the list
  of selectors; RSA keys are PEM (PKCS#8), Ed25519 keys one line of base64 (seed and public key,
  64 bytes), the form rspamd reads (`rspamadm dkim_keygen -t ed25519` writes it too);
* which of them sign, one file, rspamd's local.d/dkim_signing.conf, rendered from the settings
  and parsed back; a file that is not exactly ours (a hand edit) reads as unknown (None).

The DKIM TXT value of a key is the dns_records module's (``_dns_records.dkim_value``), so that
both modules publish the same record for the same key.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import os
import re

from ansible_collections.mailroom.server.plugins.module_utils import _dns_records as dns
from ansible_collections.mailroom.server.plugins.module_utils._engine.errors import SettingsError

AREA = 'dkim'
OPTIONS = ('selectors',)
RSA = 'rsa'
ED25519 = 'ed25519'
KEY_TYPES = (RSA, ED25519)
# 2048 bits: what every verifier takes and most DNS providers store in one TXT record; 1024 is
# what RFC 8301 allows verifiers to accept at least, too weak to sign with now.
DEFAULT_RSA_BITS = 2048
RSA_BITS = (2048, 3072, 4096)
STATES = ('present', 'absent')
KEY_DIR = '/var/lib/rspamd/dkim'
# rspamd's scanners open the keys as this group (its workers run as _rspamd).
KEY_GROUP = '_rspamd'
KEY_MODE = 0o640
CONFIG_FILE = 'local.d/dkim_signing.conf'
HEADER = ('# Managed by mailroom.server (module mailroom.server.dkim); replaced on its next change.\n'
          '# DKIM signing of mail from authenticated users and from this host (loopback and the\n'
          '# trusted networks), with the selectors that sign; the others stay published only.\n')
# The policy around the selectors (rspamd's defaults in modules.d/dkim_signing.conf otherwise):
# - no fallback: only the domains and selectors below sign, never a key path guessed from a
#   domain someone put in a From header;
# - the exact domain of the From header, not its registered one (sub.example.com signs as
#   itself, with its own selectors);
# - logins without a domain ("alice") may sign: Postfix already refused a sender address that
#   is not the login's (reject_sender_login_mismatch) before the message reached the milter.
POLICY = (
    ('enabled', 'true'),
    ('sign_authenticated', 'true'),
    ('sign_local', 'true'),
    ('try_fallback', 'false'),
    ('use_domain', '"header"'),
    ('use_esld', 'false'),
    ('use_redis', 'false'),
    ('allow_username_mismatch', 'true'),
    ('allow_hdrfrom_mismatch', 'false'),
)
ED25519_SECRET = 64          # bytes of an Ed25519 secret key as rspamd (libsodium) reads it: seed + public key
MAX_KEY_FILE = dns.MAX_KEY_FILE


def _shown(value):
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + '...'


def _option(index, name):
    return 'selectors[%d].%s' % (index, name)


def key_path(domain, selector, key_dir=KEY_DIR):
    return os.path.join(key_dir, domain, selector + '.key')


def key_name(path, key_dir=KEY_DIR):
    """(domain, selector) of a key file below `key_dir`, or None for any other file."""
    relative = os.path.relpath(path, key_dir).split(os.sep)
    if len(relative) != 2 or not relative[1].endswith('.key'):
        return None
    domain, selector = relative[0], relative[1][:-len('.key')]
    try:
        return dns.host_name('domain', domain, two_labels=True), dns.host_name('selector', selector)
    except dns.RecordError:
        return None


# --- keys --------------------------------------------------------------------------------------------

def describe_key(data):
    """{key_type, key_size, value} of a key file's bytes (value: its DKIM TXT value); every value
    None for what is not a key of ours. Nothing of the private key is kept."""
    unknown = dict(key_type=None, key_size=None, value=None)
    # Every settings module reads this area where rspamd is set up; only the dkim module needs
    # cryptography (and fails without it), the others see unknown keys.
    if not dns.HAS_CRYPTOGRAPHY or not data or len(data) > MAX_KEY_FILE:
        return unknown
    if not data.lstrip().startswith(b'-----BEGIN'):
        pem = _ed25519_pem(data)
        if pem is None:
            return unknown
        data = pem
    try:
        private = dns.serialization.load_pem_private_key(data, password=None)
        value = dns.dkim_value('key', data, private=True)
    except (TypeError, ValueError, dns.UnsupportedAlgorithm, dns.RecordError):
        return unknown
    if isinstance(private, dns.rsa.RSAPrivateKey):
        return dict(key_type=RSA, key_size=private.key_size, value=value)
    return dict(key_type=ED25519, key_size=None, value=value)


def _ed25519_pem(data):
    """The PEM of an Ed25519 key in rspamd's form (base64 of seed and public key), None otherwise."""
    try:
        raw = base64.b64decode(data.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) != ED25519_SECRET:
        return None
    private = dns.ed25519.Ed25519PrivateKey.from_private_bytes(raw[:32])
    public = private.public_key().public_bytes(dns.serialization.Encoding.Raw, dns.serialization.PublicFormat.Raw)
    if public != raw[32:]:
        return None
    return private.private_bytes(dns.serialization.Encoding.PEM, dns.serialization.PrivateFormat.PKCS8,
                                 dns.serialization.NoEncryption())


def new_key(key_type, key_size):
    """A new private key file's text, in the form rspamd reads for the type."""
    if key_type == RSA:
        private = dns.rsa.generate_private_key(public_exponent=65537, key_size=key_size)
        return private.private_bytes(dns.serialization.Encoding.PEM, dns.serialization.PrivateFormat.PKCS8,
                                     dns.serialization.NoEncryption()).decode('ascii')
    private = dns.ed25519.Ed25519PrivateKey.generate()
    raw = private.private_bytes(dns.serialization.Encoding.Raw, dns.serialization.PrivateFormat.Raw,
                                dns.serialization.NoEncryption())
    public = private.public_key().public_bytes(dns.serialization.Encoding.Raw, dns.serialization.PublicFormat.Raw)
    return base64.b64encode(raw + public).decode('ascii') + '\n'


# --- dkim_signing.conf ---------------------------------------------------------------------------------

def render(signing, key_dir=KEY_DIR):
    """rspamd's local.d/dkim_signing.conf signing with `signing`, [(domain, selector)]."""
    lines = ['%s = %s;' % pair for pair in POLICY]
    domains = sorted(set(domain for domain, _selector in signing))
    lines.append('domain {')
    for domain in domains:
        lines.append('  "%s" {' % domain)
        lines.append('    selectors = [')
        for selector in sorted(selector for each, selector in signing if each == domain):
            lines.append('      { selector = "%s"; path = "%s"; },' % (selector, key_path(domain, selector, key_dir)))
        lines.append('    ];')
        lines.append('  }')
    lines.append('}')
    return HEADER + '\n' + '\n'.join(lines) + '\n'


_DOMAIN = re.compile(r'\A  "([^"]+)" \{\Z')
_SELECTOR = re.compile(r'\A      \{ selector = "([^"]+)"; path = "[^"]+"; \},\Z')


def parse(text, key_dir=KEY_DIR):
    """The (domain, selector) pairs a dkim_signing.conf of ours signs with, sorted; None when the
    file is absent or not exactly what render makes of them."""
    if not text or not text.startswith(HEADER):
        return None
    signing, domain = [], None
    for line in text[len(HEADER):].splitlines():
        match = _DOMAIN.match(line)
        if match:
            domain = match.group(1)
            continue
        match = _SELECTOR.match(line)
        if match and domain:
            signing.append((domain, match.group(1)))
    signing = sorted(signing)
    return signing if render(signing, key_dir) == text else None


# --- the settings --------------------------------------------------------------------------------------

def _entry(domain, selector, key, signing):
    return dict(domain=domain, selector=selector, key_type=key['key_type'], key_size=key['key_size'],
                signing=signing)


def settings(keys, signing):
    """The settings from {(domain, selector): description of its key file} and the pairs the
    configuration signs with (None: a file not ours, so whether each signs is unknown). A pair
    that signs without a key file is listed with its key unknown (None): a change makes one."""
    pairs = set(keys) | set(signing or [])
    unknown = dict(key_type=None, key_size=None)
    entries = [_entry(domain, selector, keys.get((domain, selector), unknown),
                      None if signing is None else (domain, selector) in signing)
               for domain, selector in sorted(pairs)]
    return {'selectors': entries}


def signing_pairs(wanted):
    return sorted((entry['domain'], entry['selector']) for entry in wanted['selectors'] if entry['signing'])


def _bool(option, value):
    if not isinstance(value, bool):
        raise SettingsError('%s: %s must be true or false, not %s' % (AREA, option, _shown(value)))
    return value


def _given(index, entry):
    """One entry of the selectors option, checked: (domain, selector, state, type, size, signing)
    with None for what was left out."""
    if not isinstance(entry, dict):
        raise SettingsError('%s: selectors[%d] must be a dictionary with domain and selector' % (AREA, index))
    try:
        domain = dns.host_name(_option(index, 'domain'), entry.get('domain'), two_labels=True)
        # A selector is one or more labels below _domainkey (RFC 6376 3.1).
        selector = dns.host_name(_option(index, 'selector'), entry.get('selector'))
    except dns.RecordError as exc:
        raise SettingsError('%s: %s' % (AREA, exc))
    state = entry.get('state') or 'present'
    if state not in STATES:
        raise SettingsError('%s: %s must be present or absent, not %s' % (AREA, _option(index, 'state'), _shown(state)))
    key_type = entry.get('key_type')
    if key_type is not None and key_type not in KEY_TYPES:
        raise SettingsError('%s: %s must be rsa or ed25519, not %s' % (AREA, _option(index, 'key_type'), _shown(key_type)))
    key_size = entry.get('key_size')
    if key_size is not None:
        if key_type == ED25519:
            raise SettingsError('%s: %s is for RSA keys; an Ed25519 key has no size to choose'
                                % (AREA, _option(index, 'key_size')))
        if isinstance(key_size, bool) or key_size not in RSA_BITS:
            raise SettingsError('%s: %s must be one of %s bits, not %s'
                                % (AREA, _option(index, 'key_size'), ', '.join(map(str, RSA_BITS)), _shown(key_size)))
    signing = entry.get('signing')
    if signing is not None:
        _bool(_option(index, 'signing'), signing)
    return domain, selector, state, key_type, key_size, signing


def desired(current, options):
    """The current selectors with the given ones added, changed or removed (state: absent);
    selectors not given stay as they are. A key is never changed in place: another type or size
    for an existing key needs a new selector, since the published record names the old key."""
    by_pair = dict(((entry['domain'], entry['selector']), dict(entry)) for entry in current['selectors'])
    given = options.get('selectors')
    if given is not None and not isinstance(given, list):
        raise SettingsError('%s: selectors must be a list of dictionaries, not %s' % (AREA, _shown(given)))
    seen = set()
    for index, entry in enumerate(given or []):
        domain, selector, state, key_type, key_size, signing = _given(index, entry)
        pair = (domain, selector)
        if pair in seen:
            raise SettingsError('%s: selectors[%d] repeats selector %s of %s' % (AREA, index, selector, domain))
        seen.add(pair)
        if state == 'absent':
            by_pair.pop(pair, None)
            continue
        existing = by_pair.get(pair)
        if existing is not None and existing['key_type'] is not None:
            wanted_type = key_type or existing['key_type']
            wanted_size = key_size if key_size is not None else existing['key_size']
            if (wanted_type, wanted_size) != (existing['key_type'], existing['key_size']):
                raise SettingsError(
                    '%s: selector %s of %s has an %s key; a key of another type or size needs a new selector '
                    '(publish it, move signing to it, then remove this one)'
                    % (AREA, selector, domain, _described(existing['key_type'], existing['key_size'])))
            new = dict(existing)
        else:
            new_type = key_type or (existing or {}).get('key_type') or RSA
            new = dict(domain=domain, selector=selector, key_type=new_type,
                       key_size=(key_size or DEFAULT_RSA_BITS) if new_type == RSA else None,
                       signing=(existing or {}).get('signing'))
        if signing is not None:
            new['signing'] = signing
        elif new['signing'] is None and existing is None:
            new['signing'] = True
        by_pair[pair] = new
    entries = []
    for pair in sorted(by_pair):
        entry = by_pair[pair]
        if entry['key_type'] is None:
            # Signing named a key file that is gone: a new RSA key, as for a new selector.
            entry = dict(entry, key_type=RSA, key_size=DEFAULT_RSA_BITS)
        if entry['signing'] is None:
            # Over a file not ours: only what was given signs.
            entry = dict(entry, signing=False)
        entries.append(entry)
    _check_signing(entries)
    return {'selectors': entries}


def _described(key_type, key_size):
    return 'RSA %d-bit' % key_size if key_type == RSA else 'Ed25519'


def _check_signing(entries):
    """Per domain at most one signing key of each type, and Ed25519 only beside RSA: many
    receivers verify RSA signatures only, so an Ed25519 signature alone would leave their DMARC
    check without a DKIM pass."""
    by_domain = {}
    for entry in entries:
        if entry['signing']:
            by_domain.setdefault(entry['domain'], []).append(entry)
    for domain, signing in sorted(by_domain.items()):
        for key_type in KEY_TYPES:
            selectors = [entry['selector'] for entry in signing if entry['key_type'] == key_type]
            if len(selectors) > 1:
                raise SettingsError('%s: %s would sign with the %s keys of %s at once; one key of each type signs '
                                    '(set signing: false on the others, which stay published)'
                                    % (AREA, domain, 'RSA' if key_type == RSA else 'Ed25519', ', '.join(selectors)))
        if not [entry for entry in signing if entry['key_type'] == RSA]:
            raise SettingsError('%s: %s would sign with an Ed25519 key only; Ed25519 is a second signature beside '
                                'an RSA one, which every receiver verifies' % (AREA, domain))


def new_keys(wanted, keys):
    """[(domain, selector, key_type, key_size)] of the wanted selectors that have no key file yet
    (or one that is not a key)."""
    return [(entry['domain'], entry['selector'], entry['key_type'], entry['key_size'])
            for entry in wanted['selectors']
            if keys.get((entry['domain'], entry['selector']), {}).get('key_type') is None]


def removed_keys(wanted, keys):
    """The (domain, selector) pairs with a key file that the settings no longer hold."""
    kept = set((entry['domain'], entry['selector']) for entry in wanted['selectors'])
    return sorted(pair for pair in keys if pair not in kept)


def records(wanted, keys, key_dir=KEY_DIR):
    """Per selector its DNS record ({domain, selector, name, value, ...}); value None for a key
    that does not exist yet (in check mode)."""
    result = []
    for entry in wanted['selectors']:
        pair = (entry['domain'], entry['selector'])
        result.append(dict(entry, name='%s._domainkey.%s.' % (entry['selector'], entry['domain']), type='TXT',
                           value=keys.get(pair, {}).get('value'),
                           private_key_path=key_path(entry['domain'], entry['selector'], key_dir)))
    return result


def public_key_pem(value):
    """The PEM public key of a DKIM TXT value (v=DKIM1; k=...; p=...), as dns_records takes it."""
    tags = dict(part.strip().split('=', 1) for part in value.split(';') if '=' in part)
    raw = base64.b64decode(tags['p'])
    if tags.get('k') == ED25519:
        key = dns.ed25519.Ed25519PublicKey.from_public_bytes(raw)
    else:
        key = dns.serialization.load_der_public_key(raw)
    return key.public_bytes(dns.serialization.Encoding.PEM,
                            dns.serialization.PublicFormat.SubjectPublicKeyInfo).decode('ascii')


def dns_records_dkim(record_list):
    """The dkim option of mailroom.server.dns_records for the records that have a key."""
    return [dict(domain=record['domain'], selector=record['selector'], public_key=public_key_pem(record['value']))
            for record in record_list if record['value']]
