#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: dns_records
short_description: The DNS records each mail domain must publish (MX, SPF, DKIM, DMARC, MTA-STS, TLS-RPT, SRV)
version_added: 0.4.0
description:
  - Builds, for each mail domain, the exact records other mail servers and mail clients look up - as structured data
    (RV(records)), as a master-file (zone file) snippet per zone (RV(zones)) and, for MTA-STS, the policy file the
    web server must serve (RV(mta_sts)). Publishing them is up to you (your DNS provider, or a DNS module).
  - Per mail domain - C(MX) to O(mail_host); SPF (C(v=spf1 ip4:... ip6:... -all) from O(ipv4) and O(ipv6), or
    C(v=spf1 mx -all) without them); DMARC at C(_dmarc.<domain>); DKIM at C(<selector>._domainkey.<domain>) for
    each O(dkim) key; MTA-STS (C(_mta-sts.<domain>) TXT and C(mta-sts.<domain>) CNAME to the mail host); TLS-RPT
    at C(_smtp._tls.<domain>); client SRV records (RFC 6186, RFC 8314) for submissions (465), submission (587),
    imaps (993), imap (143), pop3s (995) and pop3 (110), those not in O(services) as "not offered" (C(0 0 0 .));
    and C(autoconfig.<domain>) and C(autodiscover.<domain>) CNAMEs to the mail host.
  - For the mail host - C(A)/C(AAAA) records from O(ipv4) and O(ipv6), and an SPF record for its own name (the
    name it greets other servers with), unless it is itself one of the mail domains.
  - Reads only (the DKIM private key files, if given); changes nothing on the host, so C(changed) is always V(false).
  - Every name and address is checked before it goes into a record; a line break, quote, semicolon or space in an
    option fails the module with a message naming the option. Host names are ASCII only - give international
    names in punycode (C(xn--...)).
  - C(docs/dns.md) in the collection explains each record, why receivers and clients need it and how to publish it.
extends_documentation_fragment:
  - mailroom.server.info
options:
  domains:
    description:
      - The mail domains (the part after C(@) of the addresses), at least one, each at least two labels. Compared
        without regard to case; the same domain twice is refused.
    type: list
    elements: str
    required: true
  mail_host:
    description:
      - The fully qualified name of the mail host, which the MX, SRV and CNAME records point to and the MTA-STS
        policy names. It must not be C(mta-sts.), C(autoconfig.) or C(autodiscover.) of a mail domain (those names
        become aliases of it).
    type: str
    required: true
  ipv4:
    description:
      - The mail host's IPv4 addresses, for its C(A) records and the SPF records. Loopback, unspecified and
        multicast addresses are refused.
      - List every address the host sends mail from; with no addresses at all, SPF names the MX hosts instead.
    type: list
    elements: str
    default: []
  ipv6:
    description:
      - The mail host's IPv6 addresses, for its C(AAAA) records and the SPF records; written in canonical form
        (lower case, C(::) compressed). Loopback, unspecified, multicast and IPv4-mapped addresses are refused.
    type: list
    elements: str
    default: []
  ttl:
    description: The time to live of every record, in seconds (0 to 2147483647).
    type: int
    default: 3600
  services:
    description:
      - The client services the host offers, published as SRV records with its name and port; the others are
        published as not offered (target C(.)), so that mail clients do not try them.
      - Implicit TLS (V(submissions), V(imaps), V(pop3s)) gets priority 0, STARTTLS (V(submission), V(imap),
        V(pop3)) priority 10, so that clients prefer it (RFC 8314).
    type: list
    elements: str
    choices: [submissions, submission, imaps, imap, pop3s, pop3]
    default: [submissions, submission, imaps, imap, pop3s, pop3]
  dmarc_policy:
    description: What receivers should do with mail that fails DMARC (C(p=) of the C(_dmarc) record).
    type: str
    choices: [none, quarantine, reject]
    default: reject
  dmarc_rua:
    description:
      - The address that receives DMARC aggregate reports (C(rua=mailto:)). Left out, C(postmaster@<domain>) of
        each domain; V('') publishes no report address.
      - An address in another domain also gets the authorization record
        C(<domain>._report._dmarc.<report domain>) (RFC 7489 7.1), in that domain's zone.
      - The local part may hold letters, digits and C(. _ + = -) only (characters that mean nothing in a report URI).
    type: str
  tls_rpt_rua:
    description:
      - The address that receives TLS reports (C(_smtp._tls) record, RFC 8460). Left out, C(postmaster@<domain>)
        of each domain; V('') publishes no TLS-RPT record. Checked as O(dmarc_rua).
    type: str
  mta_sts_mode:
    description:
      - The MTA-STS policy mode. V(enforce) - senders deliver only over TLS with a certificate valid for
        O(mail_host); V(testing) - they deliver anyway and report failures (to O(tls_rpt_rua)); V(none) - the policy
        is withdrawn.
      - The default is V(testing), because a self-signed certificate (the collection's default) fails V(enforce)
        and mail from senders that check would stop. Switch to V(enforce) with a certificate of a public CA.
    type: str
    choices: [enforce, testing, none]
    default: testing
  mta_sts_max_age:
    description: How long senders keep the MTA-STS policy, in seconds (0 to 31557600).
    type: int
    default: 604800
  dkim:
    description:
      - DKIM public keys to publish, each at C(<selector>._domainkey.<domain>). RSA keys (1024 bits at least;
        C(k=rsa), C(p=) the DER SubjectPublicKeyInfo) and Ed25519 keys (RFC 8463; C(k=ed25519), C(p=) the raw 32-byte
        key) are taken.
    type: list
    elements: dict
    default: []
    suboptions:
      domain:
        description: The mail domain the key signs for; one of O(domains).
        type: str
        required: true
      selector:
        description: The selector (one or more host name labels).
        type: str
        required: true
      public_key:
        description: The public key in PEM (C(-----BEGIN PUBLIC KEY-----)). Exactly one of this and O(dkim[].private_key_path).
        type: str
      private_key_path:
        description:
          - The path of an unencrypted PEM private key on the managed host, which the module reads to compute the
            public key. Nothing of the private key is returned.
        type: path
notes:
  - Serve RV(mta_sts) policies at their C(url) over HTTPS with a certificate valid for C(mta-sts.<domain>); change
    the policy and its record together (the C(id) in the TXT record changes with the policy text).
  - The C(mailroom.server.webmail) role serves them for the domains in its C(webmail_mta_sts_domains), built by this
    module from its C(webmail_mta_sts_mail_host), C(webmail_mta_sts_mode) and C(webmail_mta_sts_max_age); give this
    module the same values, and the C(id) it returns is the one of the policy served.
seealso:
  - name: RFC 8461 (MTA-STS)
    description: SMTP MTA Strict Transport Security.
    link: https://www.rfc-editor.org/rfc/rfc8461
  - name: RFC 6186
    description: Use of SRV Records for Locating Email Submission/Access Services.
    link: https://www.rfc-editor.org/rfc/rfc6186
requirements:
  - netaddr on the host (Debian's C(python3-netaddr), which the C(mailroom.server.mta) role installs)
  - cryptography on the host (Debian's C(python3-cryptography)) when O(dkim) is given
author:
  - mailroom.server developers (@mailroom)
'''

EXAMPLES = r'''
- name: The records of example.com and example.org
  mailroom.server.dns_records:
    domains: [example.com, example.org]
    mail_host: mail.example.com
    ipv4: [192.0.2.25]
    ipv6: ['2001:db8::25']
    dmarc_rua: dmarc-reports@example.com
    dkim:
      - domain: example.com
        selector: s2026
        private_key_path: /etc/dkim/example.com.s2026.key
      - domain: example.org
        selector: s2026
        public_key: "{{ lookup('file', 'example.org.s2026.pub') }}"
  register: dns

- name: Show the zone snippet of example.com
  ansible.builtin.debug:
    msg: "{{ dns.zones['example.com'] }}"

- name: Only the DKIM records
  ansible.builtin.debug:
    msg: "{{ dns.records | selectattr('purpose', 'eq', 'dkim') }}"
'''

RETURN = r'''
records:
  description:
    - Every record, the mail host's first, then each domain's.
    - C(domain) is the zone the record goes in - the mail domain its name is in (the longest such), or, for a name
      in none of them (a mail host or report domain elsewhere), the name itself. C(name) is absolute (trailing dot).
      C(value) is the record data as a DNS provider's form takes it - TXT values as one unquoted text, MX and SRV
      with their numbers, names absolute.
    - C(purpose) is one of C(mail-host-address), C(spf-helo), C(mx), C(spf), C(dmarc), C(dmarc-report-authorization),
      C(dkim), C(mta-sts), C(mta-sts-host), C(tls-rpt), C(client-submissions), C(client-submission), C(client-imaps),
      C(client-imap), C(client-pop3s), C(client-pop3), C(autoconfig), C(autodiscover).
  returned: always
  type: list
  elements: dict
  sample:
    - {domain: example.com, name: mail.example.com., type: A, ttl: 3600, value: 192.0.2.25, purpose: mail-host-address}
    - {domain: example.com, name: example.com., type: MX, ttl: 3600, value: 10 mail.example.com., purpose: mx}
    - {domain: example.com, name: _dmarc.example.com., type: TXT, ttl: 3600,
       value: 'v=DMARC1; p=reject; rua=mailto:postmaster@example.com', purpose: dmarc}
    - {domain: example.com, name: _submissions._tcp.example.com., type: SRV, ttl: 3600,
       value: 0 1 465 mail.example.com., purpose: client-submissions}
zones:
  description:
    - Per zone (the C(domain) of RV(records)), its records as master-file lines - absolute names, TTL, class C(IN) -
      ready to paste into a zone file. TXT values are quoted, split into strings of 255 bytes at most, with quotes
      and backslashes escaped. The first line is a comment.
  returned: always
  type: dict
  sample:
    example.com: "; example.com: mail records (mailroom.server.dns_records)\nexample.com. 3600 IN MX 10 mail.example.com.\n"
mta_sts:
  description:
    - Per mail domain, the MTA-STS policy - C(url), where to serve it; C(policy), the file's text (CRLF line ends);
      C(id), the id its C(_mta-sts) record carries (the first 32 hex digits of the policy's SHA-256).
  returned: always
  type: dict
  sample:
    example.com:
      url: https://mta-sts.example.com/.well-known/mta-sts.txt
      policy: "version: STSv1\r\nmode: testing\r\nmx: mail.example.com\r\nmax_age: 604800\r\n"
      id: 3b1e0f8c6a1d4e2f9a7b5c3d1e0f8a6b
'''

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.mailroom.server.plugins.module_utils import _dns_records as dns
from ansible_collections.mailroom.server.plugins.module_utils._addresses import HAS_NETADDR, NETADDR_IMPORT_ERROR


def argument_spec():
    return dict(
        domains=dict(type='list', elements='str', required=True),
        mail_host=dict(type='str', required=True),
        ipv4=dict(type='list', elements='str', default=[]),
        ipv6=dict(type='list', elements='str', default=[]),
        ttl=dict(type='int', default=dns.DEFAULT_TTL),
        services=dict(type='list', elements='str', choices=list(dns.SERVICE_NAMES), default=list(dns.SERVICE_NAMES)),
        dmarc_policy=dict(type='str', choices=list(dns.DMARC_POLICIES), default='reject'),
        dmarc_rua=dict(type='str'),
        tls_rpt_rua=dict(type='str'),
        mta_sts_mode=dict(type='str', choices=list(dns.MTA_STS_MODES), default=dns.DEFAULT_MTA_STS_MODE),
        mta_sts_max_age=dict(type='int', default=dns.DEFAULT_MTA_STS_MAX_AGE),
        dkim=dict(type='list', elements='dict', default=[], options=dict(
            domain=dict(type='str', required=True),
            selector=dict(type='str', required=True),
            public_key=dict(type='str', no_log=False),
            private_key_path=dict(type='path', no_log=False),
        ), mutually_exclusive=[('public_key', 'private_key_path')], required_one_of=[('public_key', 'private_key_path')]),
    )


def read_key(module, option, path):
    """The bytes of a private key file, or fail naming the option (never with the file's content)."""
    try:
        with open(path, 'rb') as handle:
            data = handle.read(dns.MAX_KEY_FILE + 1)
    except (IOError, OSError) as exc:
        module.fail_json(msg='%s: cannot read %s: %s' % (option, path, exc.strerror or exc))
    if len(data) > dns.MAX_KEY_FILE:
        module.fail_json(msg='%s: %s is larger than %d bytes, not a PEM key' % (option, path, dns.MAX_KEY_FILE))
    return data


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    if not HAS_NETADDR:
        module.fail_json(msg=missing_required_lib('netaddr'), exception=NETADDR_IMPORT_ERROR)
    try:
        config = dns.normalise(module.params)
    except dns.RecordError as exc:
        module.fail_json(msg=str(exc))
    if config['dkim'] and not dns.HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib('cryptography'), exception=dns.CRYPTOGRAPHY_IMPORT_ERROR)
    values = []
    try:
        for index, entry in enumerate(config['dkim']):
            if entry['private_key_path'] is None:
                option = 'dkim[%d].public_key' % index
                values.append(dns.dkim_value(option, entry['public_key'], private=False))
            else:
                option = 'dkim[%d].private_key_path' % index
                values.append(dns.dkim_value(option, read_key(module, option, entry['private_key_path']), private=True))
        result = dns.result(config, values)
    except dns.RecordError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, **result)


if __name__ == '__main__':
    main()
