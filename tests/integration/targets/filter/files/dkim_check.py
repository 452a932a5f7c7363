# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Verify every DKIM signature of a stored message as a receiver would, printed as JSON.

Runs on the mail host with Debian's python3-dkim (dkimpy, which brings dnspython): a verifier
other than the signer (rspamd), so a signature rspamd merely believes in does not pass. The key
comes from DNS - the resolver given (rspamd's own unbound on loopback, which forwards the test
zone to the offline test DNS), i.e. the record mailroom.server.dns_records published - never
from the key file.

  verify FILE SERVER PORT   FILE holds the message, base64 (as mail_wire.py fetch returns it);
                            per signature its d=, s=, whether it verifies, the TXT value the key
                            was read from, and dkimpy's error if any
  txt NAME SERVER PORT      the TXT value at NAME (strings joined), or null
"""
from __future__ import absolute_import, division, print_function

import base64
import json
import sys

import dkim
import dns.exception
import dns.resolver


def resolver_at(server, port):
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [server]
    resolver.port = int(port)
    return resolver


def lookup_txt(resolver, name, timeout=5):
    """The TXT value at name as one string of bytes (a record split into strings is joined)."""
    if isinstance(name, bytes):
        name = name.decode('ascii')
    try:
        answer = resolver.resolve(name, 'TXT', lifetime=timeout)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer, dns.resolver.NoNameservers):
        return None
    except dns.exception.Timeout as exc:
        raise dkim.DnsTimeoutError(str(exc))
    return b''.join(answer[0].strings)


def tags(header_value):
    found = {}
    for part in header_value.replace(b'\r\n', b'').split(b';'):
        if b'=' in part:
            key, value = part.split(b'=', 1)
            found[key.strip().decode('ascii', 'replace')] = b''.join(value.split()).decode('ascii', 'replace')
    return found


def verify(path, server, port):
    with open(path, 'rb') as handle:
        message = base64.b64decode(handle.read())
    resolver = resolver_at(server, port)
    asked = {}

    def dnsfunc(name, timeout=5):
        value = lookup_txt(resolver, name, timeout)
        asked[name.decode('ascii') if isinstance(name, bytes) else name] = (
            value.decode('ascii', 'replace') if value is not None else None)
        return value

    verifier = dkim.DKIM(message)
    signatures = [value for name, value in verifier.headers if name.lower() == b'dkim-signature']
    results = []
    for index, header_value in enumerate(signatures):
        fields = tags(header_value)
        entry = {'d': fields.get('d'), 's': fields.get('s'), 'a': fields.get('a'), 'verified': False, 'error': None}
        try:
            entry['verified'] = bool(verifier.verify(idx=index, dnsfunc=dnsfunc))
        except dkim.DKIMException as exc:
            entry['error'] = str(exc)
        entry['key_record'] = asked.get('%s._domainkey.%s.' % (entry['s'], entry['d']),
                                        asked.get('%s._domainkey.%s' % (entry['s'], entry['d'])))
        results.append(entry)
    return {'signatures': results}


def txt(name, server, port):
    try:
        value = lookup_txt(resolver_at(server, port), name)
    except dkim.DnsTimeoutError as exc:
        return {'name': name, 'value': None, 'error': str(exc)}
    return {'name': name, 'value': value.decode('ascii', 'replace') if value is not None else None, 'error': None}


def main(argv):
    if len(argv) != 5 or argv[1] not in ('verify', 'txt'):
        sys.stderr.write(__doc__)
        return 2
    print(json.dumps((verify if argv[1] == 'verify' else txt)(*argv[2:])))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
