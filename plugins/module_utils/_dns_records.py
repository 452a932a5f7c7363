# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The DNS records a mail domain must publish, built from the dns_records module's options.

Everything here is pure: the module reads the DKIM private key files and hands their bytes in.
Every string that ends up in a record is checked first (host names LDH, addresses by netaddr,
report addresses a safe subset of mail addresses), so nothing a user gives can end a record,
start another or change a tag; the zone snippet escapes TXT strings all the same.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import re
import traceback

from ansible_collections.mailroom.server.plugins.module_utils._addresses import is_host_name, parse_address

try:
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
except ImportError:
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None

DEFAULT_TTL = 3600
MAX_TTL = 2147483647                     # RFC 2181 section 8
DMARC_POLICIES = ('none', 'quarantine', 'reject')
MTA_STS_MODES = ('enforce', 'testing', 'none')
DEFAULT_MTA_STS_MODE = 'testing'
DEFAULT_MTA_STS_MAX_AGE = 604800         # one week, as RFC 8461 suggests ("weeks or greater")
MAX_MTA_STS_MAX_AGE = 31557600           # RFC 8461 section 3.2
# Client services (RFC 6186, RFC 8314): SRV owner label, port, priority. Implicit TLS gets the
# lower (preferred) priority, which clients compare across _imap/_imaps and _pop3/_pop3s.
SERVICES = (
    ('submissions', 465, 0),
    ('submission', 587, 10),
    ('imaps', 993, 0),
    ('imap', 143, 10),
    ('pop3s', 995, 0),
    ('pop3', 110, 10),
)
SERVICE_NAMES = tuple(name for name, _port, _priority in SERVICES)
MX_PREFERENCE = 10
MIN_RSA_BITS = 1024                      # RFC 8301: verifiers must not accept smaller keys
MAX_KEY_FILE = 65536
TXT_CHUNK = 255                          # bytes of one character-string (RFC 1035 3.3)

# Report address local parts: dot-atoms of characters that mean nothing in a DMARC or TLS-RPT
# URI list ("," separates URIs, "!" starts a size limit, ";" ends the tag, "%" escapes).
_LOCAL_PART = re.compile(r'\A[A-Za-z0-9_+=-]+(?:\.[A-Za-z0-9_+=-]+)*\Z')


class RecordError(Exception):
    """An option the records cannot be built from; the message names the option."""


def _shown(value):
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + '...'


def host_name(option, value, two_labels=False):
    """`value` as a lower-case host name without the trailing dot; RecordError naming `option`
    for anything else (spaces, quotes, line breaks, underscores, IP addresses, non-ASCII)."""
    if not isinstance(value, str) or not value:
        raise RecordError('%s must be a host name, not %s' % (option, _shown(value)))
    if any(ord(char) > 127 for char in value):
        raise RecordError('%s must be given in ASCII, an international name in punycode (xn--...): %s'
                          % (option, _shown(value)))
    if not is_host_name(value):
        raise RecordError('%s is not a host name (letters, digits and hyphens in dot-separated labels of 1 to 63 '
                          'characters, 253 at most): %s' % (option, _shown(value)))
    name = value.lower().rstrip('.')
    if two_labels and '.' not in name:
        raise RecordError('%s must be a domain with at least two labels (example.com), not %s' % (option, _shown(value)))
    return name


def mail_address(option, value):
    """A report address (local@domain), lower-cased domain; RecordError naming `option`."""
    if not isinstance(value, str):
        raise RecordError('%s must be a mail address, not %s' % (option, _shown(value)))
    local, at, domain = value.rpartition('@')
    if not at or not _LOCAL_PART.match(local) or len(local) > 64:
        raise RecordError('%s must be a mail address whose local part has only letters, digits and . _ + = - : %s'
                          % (option, _shown(value)))
    address = '%s@%s' % (local, host_name(option + ' (the domain after @)', domain, two_labels=True))
    if len(address) > 254:
        raise RecordError('%s is longer than 254 characters' % option)
    return address


def addresses(option, values, version):
    """The IPv`version` addresses in `values`, canonical (netaddr), in the order given."""
    result = []
    for index, value in enumerate(values or []):
        where = '%s[%d]' % (option, index)
        address = parse_address(value)
        if address is None:
            raise RecordError('%s is not an IP address: %s' % (where, _shown(value)))
        if address.version != version:
            raise RecordError('%s is an IPv%d address; %s takes IPv%d ones: %s'
                              % (where, address.version, option, version, _shown(value)))
        if (address.is_loopback() or address.is_multicast() or int(address) == 0
                or (version == 6 and (address.is_ipv4_mapped() or address.is_ipv4_compat()))):
            raise RecordError('%s cannot be a mail host address (loopback, unspecified, multicast or IPv4 in IPv6): %s'
                              % (where, _shown(value)))
        text = str(address)
        if text in result:
            raise RecordError('%s lists %s twice' % (option, text))
        result.append(text)
    return result


def _int(option, value, low, high):
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise RecordError('%s must be a whole number from %d to %d, not %s' % (option, low, high, _shown(value)))
    return value


def _choice(option, value, choices):
    if value not in choices:
        raise RecordError('%s must be one of %s, not %s' % (option, ', '.join(choices), _shown(value)))
    return value


def _report_address(option, value, domain):
    """None (left out): postmaster of the domain; '' : no reports; else the address checked."""
    if value is None:
        return 'postmaster@' + domain
    if value == '':
        return None
    return mail_address(option, value)


def normalise(params):
    """The module's parameters checked and normalised: a dict the records are built from.

    DKIM entries keep their `public_key` or `private_key_path`; the module reads the files.
    """
    domains = params.get('domains') or []
    if not isinstance(domains, list) or not domains:
        raise RecordError('domains must list at least one mail domain')
    names = []
    for index, value in enumerate(domains):
        name = host_name('domains[%d]' % index, value, two_labels=True)
        if name in names:
            raise RecordError('domains lists %s twice' % name)
        names.append(name)
    mail_host = host_name('mail_host', params.get('mail_host'), two_labels=True)
    services = params.get('services')
    services = list(SERVICE_NAMES) if services is None else services
    for index, service in enumerate(services):
        _choice('services[%d]' % index, service, SERVICE_NAMES)
    config = {
        'domains': names,
        'mail_host': mail_host,
        'ipv4': addresses('ipv4', params.get('ipv4'), 4),
        'ipv6': addresses('ipv6', params.get('ipv6'), 6),
        'ttl': _int('ttl', DEFAULT_TTL if params.get('ttl') is None else params.get('ttl'), 0, MAX_TTL),
        'services': [name for name in SERVICE_NAMES if name in services],
        'dmarc_policy': _choice('dmarc_policy', params.get('dmarc_policy') or 'reject', DMARC_POLICIES),
        'mta_sts_mode': _choice('mta_sts_mode', params.get('mta_sts_mode') or DEFAULT_MTA_STS_MODE, MTA_STS_MODES),
        'mta_sts_max_age': _int('mta_sts_max_age', DEFAULT_MTA_STS_MAX_AGE if params.get('mta_sts_max_age') is None
                                else params.get('mta_sts_max_age'), 0, MAX_MTA_STS_MAX_AGE),
        'dmarc_rua': dict((name, _report_address('dmarc_rua', params.get('dmarc_rua'), name)) for name in names),
        'tls_rpt_rua': dict((name, _report_address('tls_rpt_rua', params.get('tls_rpt_rua'), name)) for name in names),
        'dkim': _dkim_entries(params.get('dkim') or [], names),
    }
    return config


def _dkim_entries(entries, domains):
    result = []
    seen = set()
    for index, entry in enumerate(entries):
        where = 'dkim[%d]' % index
        if not isinstance(entry, dict):
            raise RecordError('%s must be a dictionary with domain, selector and public_key or private_key_path' % where)
        domain = host_name(where + '.domain', entry.get('domain'), two_labels=True)
        if domain not in domains:
            raise RecordError('%s.domain %s is not one of the domains' % (where, domain))
        # A selector is one or more labels (RFC 6376 3.1), below _domainkey.
        selector = host_name(where + '.selector', entry.get('selector'))
        if (domain, selector) in seen:
            raise RecordError('%s repeats selector %s of %s' % (where, selector, domain))
        seen.add((domain, selector))
        public_key, path = entry.get('public_key'), entry.get('private_key_path')
        if (public_key is None) == (path is None):
            raise RecordError('%s needs exactly one of public_key and private_key_path' % where)
        if path is not None and (not isinstance(path, str) or not path):
            raise RecordError('%s.private_key_path must be a file path' % where)
        result.append({'domain': domain, 'selector': selector, 'public_key': public_key, 'private_key_path': path})
    return result


def dkim_value(option, pem, private):
    """The DKIM TXT value for a PEM key (bytes or text): RSA (DER SubjectPublicKeyInfo) or Ed25519
    (the raw 32 bytes, RFC 8463). `private`: the PEM is a private key, read only for its public half.
    No message ever holds the key."""
    data = pem.encode('ascii', 'replace') if isinstance(pem, str) else pem
    try:
        if private:
            key = serialization.load_pem_private_key(data, password=None).public_key()
        else:
            key = serialization.load_pem_public_key(data)
    except TypeError:
        raise RecordError('%s is an encrypted private key: give an unencrypted one (the module only reads it)' % option)
    except (ValueError, UnsupportedAlgorithm):
        raise RecordError('%s is not a PEM %s key' % (option, 'private' if private else 'public'))
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < MIN_RSA_BITS:
            raise RecordError('%s is an RSA key of %d bits; DKIM needs at least %d' % (option, key.key_size, MIN_RSA_BITS))
        der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        return 'v=DKIM1; k=rsa; p=' + base64.b64encode(der).decode('ascii')
    if isinstance(key, ed25519.Ed25519PublicKey):
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return 'v=DKIM1; k=ed25519; p=' + base64.b64encode(raw).decode('ascii')
    raise RecordError('%s is neither an RSA nor an Ed25519 key, the two DKIM key types' % option)


def mta_sts_policy(mode, mail_host, max_age):
    """The policy file (RFC 8461 3.2) served at https://mta-sts.<domain>/.well-known/mta-sts.txt."""
    return 'version: STSv1\r\nmode: %s\r\nmx: %s\r\nmax_age: %d\r\n' % (mode, mail_host, max_age)


def mta_sts_id(policy):
    """The id of the _mta-sts TXT record: 32 hex digits of the policy's SHA-256, so it changes
    exactly when the policy text does (senders refetch the policy only when the id changes)."""
    return hashlib.sha256(policy.encode('utf-8')).hexdigest()[:32]


def spf_value(ipv4, ipv6, otherwise='mx'):
    """SPF: the given addresses as ip4:/ip6: terms (no DNS lookups for the receiver), else
    `otherwise` - the domain's MX hosts (mx), or for the mail host's own name its addresses (a)."""
    terms = ['ip4:' + address for address in ipv4] + ['ip6:' + address for address in ipv6]
    return 'v=spf1 %s -all' % (' '.join(terms) if terms else otherwise)


def _zone_of(name, domains, fallback):
    """The mail domain whose zone holds `name` (the longest one it is in), else `fallback`."""
    best = None
    for domain in domains:
        if (name == domain or name.endswith('.' + domain)) and (best is None or len(domain) > len(best)):
            best = domain
    return best or fallback


def absolute(name):
    return name + '.'


def build(config, dkim_values):
    """Every record: a list of {domain, name, type, ttl, value, purpose}, plus the MTA-STS
    policies per domain. `dkim_values`: the TXT value of each of config['dkim'], in order.

    `domain` is the zone the record goes in: the mail domain it is under (the longest one), or for
    names under none of them the mail host's name or the report address's domain."""
    domains, host, ttl = config['domains'], config['mail_host'], config['ttl']
    records = []

    def add(name, rtype, value, purpose, outside=None):
        record = {'domain': _zone_of(name, domains, outside or name), 'name': absolute(name), 'type': rtype, 'ttl': ttl,
                  'value': value, 'purpose': purpose}
        if record not in records:
            records.append(record)

    for address in config['ipv4']:
        add(host, 'A', address, 'mail-host-address')
    for address in config['ipv6']:
        add(host, 'AAAA', address, 'mail-host-address')
    spf = spf_value(config['ipv4'], config['ipv6'])
    if host not in domains:
        # The HELO name gets its own SPF (RFC 7208 2.3): bounces have an empty sender, so that is all
        # receivers can check them against. Where it is a mail domain, the domain's record serves.
        add(host, 'TXT', spf_value(config['ipv4'], config['ipv6'], 'a'), 'spf-helo')
    policies = {}
    for domain in domains:
        add(domain, 'MX', '%d %s' % (MX_PREFERENCE, absolute(host)), 'mx')
        add(domain, 'TXT', spf, 'spf')
        add('_dmarc.' + domain, 'TXT', dmarc_value(config['dmarc_policy'], config['dmarc_rua'][domain]), 'dmarc')
        rua = config['dmarc_rua'][domain]
        report_domain = rua.split('@', 1)[1] if rua else domain
        if report_domain != domain:
            # RFC 7489 7.1: a report domain that is not the DMARC domain must agree to take its reports.
            add('%s._report._dmarc.%s' % (domain, report_domain), 'TXT', 'v=DMARC1', 'dmarc-report-authorization',
                outside=report_domain)
        for entry, value in zip(config['dkim'], dkim_values):
            if entry['domain'] == domain:
                add('%s._domainkey.%s' % (entry['selector'], domain), 'TXT', value, 'dkim')
        policy = mta_sts_policy(config['mta_sts_mode'], host, config['mta_sts_max_age'])
        policies[domain] = {'url': 'https://mta-sts.%s/.well-known/mta-sts.txt' % domain, 'policy': policy,
                            'id': mta_sts_id(policy)}
        add('_mta-sts.' + domain, 'TXT', 'v=STSv1; id=' + policies[domain]['id'], 'mta-sts')
        add('mta-sts.' + domain, 'CNAME', absolute(host), 'mta-sts-host')
        if config['tls_rpt_rua'][domain]:
            add('_smtp._tls.' + domain, 'TXT', 'v=TLSRPTv1; rua=mailto:' + config['tls_rpt_rua'][domain], 'tls-rpt')
        for service, port, priority in SERVICES:
            # RFC 6186 4: target "." says the service is not offered, so clients do not guess.
            offered = service in config['services']
            add('_%s._tcp.%s' % (service, domain), 'SRV',
                '%d 1 %d %s' % (priority, port, absolute(host)) if offered else '0 0 0 .', 'client-' + service)
        add('autoconfig.' + domain, 'CNAME', absolute(host), 'autoconfig')
        add('autodiscover.' + domain, 'CNAME', absolute(host), 'autodiscover')
    _check_cnames(records)
    return records, policies


def dmarc_value(policy, rua):
    return 'v=DMARC1; p=%s' % policy + ('; rua=mailto:' + rua if rua else '')


def _check_cnames(records):
    """A CNAME owner holds nothing else (RFC 1034 3.6.2): refuse a mail domain or mail host that
    is one of the names the records point elsewhere (mta-sts., autoconfig., autodiscover.)."""
    cnames = set(record['name'] for record in records if record['type'] == 'CNAME')
    for record in records:
        if record['name'] in cnames and record['type'] != 'CNAME':
            raise RecordError('%s is a mail domain or the mail_host, and also a name the records alias to the mail '
                              'host (%s CNAME): choose another' % (record['name'].rstrip('.'), record['name']))
        if record['type'] == 'CNAME' and record['name'] == record['value']:
            raise RecordError('mail_host %s cannot be a name the records alias to it' % record['value'].rstrip('.'))


def txt_strings(value):
    """`value` as master-file character-strings: 255 bytes each, quoted, with quotes and
    backslashes escaped and any byte outside printable ASCII as \\DDD (RFC 1035 5.1)."""
    data = value.encode('utf-8')
    chunks = [data[start:start + TXT_CHUNK] for start in range(0, len(data), TXT_CHUNK)] or [b'']
    strings = []
    for chunk in chunks:
        text = []
        for byte in bytearray(chunk):
            if byte in (0x22, 0x5c):
                text.append('\\' + chr(byte))
            elif 0x20 <= byte <= 0x7e:
                text.append(chr(byte))
            else:
                text.append('\\%03d' % byte)
        strings.append('"%s"' % ''.join(text))
    return ' '.join(strings)


def zone_line(record):
    value = txt_strings(record['value']) if record['type'] == 'TXT' else record['value']
    return '%s %d IN %s %s' % (record['name'], record['ttl'], record['type'], value)


def zones(records):
    """The master-file snippet of each zone: its records, one a line, absolute names."""
    result = {}
    for record in records:
        zone = record['domain']
        if zone not in result:
            result[zone] = ['; %s: mail records (mailroom.server.dns_records)' % zone]
        result[zone].append(zone_line(record))
    return dict((zone, '\n'.join(lines) + '\n') for zone, lines in result.items())


def result(config, dkim_values):
    """The module's result (without `changed`)."""
    records, policies = build(config, dkim_values)
    return {'records': records, 'zones': zones(records), 'mta_sts': policies}
