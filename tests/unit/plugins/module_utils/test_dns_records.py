# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The DNS records of the dns_records module: each record's value, DKIM keys checked against
openssl's own encoding, TXT strings split at 255 bytes and escaped, every option that could break
out of a record refused by name, the MTA-STS id following the policy text, and the zone snippet
read back by a small parser of its own."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import re
import subprocess

import pytest

from ansible_collections.mailroom.server.plugins.module_utils import _dns_records as dns

BASE = dict(domains=['example.com'], mail_host='mail.example.com')
TYPES = ('A', 'AAAA', 'MX', 'TXT', 'SRV', 'CNAME')


def build(**given):
    config = dns.normalise(dict(BASE, **given))
    return dns.result(config, [])


def records_of(result, **match):
    return [record for record in result['records'] if all(record[key] == value for key, value in match.items())]


def value_of(result, name, rtype):
    (record,) = records_of(result, name=name, type=rtype)
    return record['value']


# --- an independent reader of the zone snippet -----------------------------------------------------

def read_character_strings(text):
    """The character-strings of a TXT rdata in master-file syntax, unescaped, as bytes; AssertionError
    for anything but quoted strings separated by spaces."""
    strings = []
    position = 0
    while position < len(text):
        assert text[position] == '"', 'rdata outside quotes at %d: %r' % (position, text)
        position += 1
        data = bytearray()
        while True:
            assert position < len(text), 'unbalanced quote in %r' % text
            char = text[position]
            if char == '"':
                position += 1
                break
            if char == '\\':
                if text[position + 1:position + 4].isdigit():
                    data.append(int(text[position + 1:position + 4]))
                    position += 4
                    continue
                data.append(ord(text[position + 1]))
                position += 2
                continue
            assert 0x20 <= ord(char) <= 0x7e, 'unescaped %r' % char
            data.append(ord(char))
            position += 1
        assert len(data) <= 255, 'a string of %d bytes' % len(data)
        strings.append(bytes(data))
        if position < len(text):
            assert text[position] == ' ' and text[position + 1:position + 2] == '"', 'no space between strings'
            position += 1
    return strings


def read_zone(text):
    """(name, ttl, type, rdata) of each record line; comments must start with ';'."""
    assert text.endswith('\n')
    lines = []
    for line in text.splitlines():
        if line.startswith(';'):
            continue
        match = re.match(r'\A([a-z0-9_.-]+\.) ([0-9]+) IN ([A-Z]+) (.+)\Z', line)
        assert match, 'not a record line: %r' % line
        name, ttl, rtype, rdata = match.groups()
        assert rtype in TYPES
        if rtype == 'TXT':
            rdata = b''.join(read_character_strings(rdata)).decode('utf-8')
        elif rtype in ('MX', 'SRV', 'CNAME'):
            assert rdata.endswith('.'), 'relative target in %r' % line
        lines.append((name, int(ttl), rtype, rdata))
    return lines


# --- the records -------------------------------------------------------------------------------------

def test_the_zone_of_one_domain_line_by_line():
    result = build(ipv4=['192.0.2.25'], ipv6=['2001:DB8:0:0::25'])
    assert result['zones']['example.com'] == '\n'.join([
        '; example.com: mail records (mailroom.server.dns_records)',
        'mail.example.com. 3600 IN A 192.0.2.25',
        'mail.example.com. 3600 IN AAAA 2001:db8::25',
        'mail.example.com. 3600 IN TXT "v=spf1 ip4:192.0.2.25 ip6:2001:db8::25 -all"',
        'example.com. 3600 IN MX 10 mail.example.com.',
        'example.com. 3600 IN TXT "v=spf1 ip4:192.0.2.25 ip6:2001:db8::25 -all"',
        '_dmarc.example.com. 3600 IN TXT "v=DMARC1; p=reject; rua=mailto:postmaster@example.com"',
        '_mta-sts.example.com. 3600 IN TXT "v=STSv1; id=%s"' % result['mta_sts']['example.com']['id'],
        'mta-sts.example.com. 3600 IN CNAME mail.example.com.',
        '_smtp._tls.example.com. 3600 IN TXT "v=TLSRPTv1; rua=mailto:postmaster@example.com"',
        '_submissions._tcp.example.com. 3600 IN SRV 0 1 465 mail.example.com.',
        '_submission._tcp.example.com. 3600 IN SRV 10 1 587 mail.example.com.',
        '_imaps._tcp.example.com. 3600 IN SRV 0 1 993 mail.example.com.',
        '_imap._tcp.example.com. 3600 IN SRV 10 1 143 mail.example.com.',
        '_pop3s._tcp.example.com. 3600 IN SRV 0 1 995 mail.example.com.',
        '_pop3._tcp.example.com. 3600 IN SRV 10 1 110 mail.example.com.',
        'autoconfig.example.com. 3600 IN CNAME mail.example.com.',
        'autodiscover.example.com. 3600 IN CNAME mail.example.com.',
    ]) + '\n'
    assert list(result['zones']) == ['example.com']


def test_every_record_has_the_documented_fields_and_matches_its_zone_line():
    result = build(domains=['example.com', 'Example.ORG.'], ipv4=['192.0.2.25'], ttl=300)
    for record in result['records']:
        assert sorted(record) == ['domain', 'name', 'purpose', 'ttl', 'type', 'value']
        assert record['name'].endswith('.') and record['ttl'] == 300
    read = []
    for text in result['zones'].values():
        read.extend(read_zone(text))
    assert sorted(read) == sorted((r['name'], r['ttl'], r['type'], r['value']) for r in result['records'])
    assert set(result['zones']) == {'example.com', 'example.org'}
    assert [r['domain'] for r in records_of(result, purpose='mx')] == ['example.com', 'example.org']


def test_without_addresses_spf_names_the_mx_and_the_mail_host_its_own_addresses():
    result = build()
    assert value_of(result, 'example.com.', 'TXT') == 'v=spf1 mx -all'
    assert value_of(result, 'mail.example.com.', 'TXT') == 'v=spf1 a -all'
    assert not records_of(result, type='A') and not records_of(result, type='AAAA')


def test_a_mail_host_that_is_a_mail_domain_gets_one_spf_record_only():
    result = build(domains=['example.com'], mail_host='example.com', ipv4=['192.0.2.25'])
    assert len(records_of(result, name='example.com.', type='TXT')) == 1
    assert records_of(result, name='example.com.', type='A')[0]['purpose'] == 'mail-host-address'


def test_a_mail_host_elsewhere_has_a_zone_of_its_own():
    result = build(mail_host='MX1.provider.net', ipv6=['2001:db8::1'])
    assert [r['domain'] for r in records_of(result, name='mx1.provider.net.')] == ['mx1.provider.net'] * 2
    assert set(result['zones']) == {'example.com', 'mx1.provider.net'}
    assert value_of(result, 'example.com.', 'MX') == '10 mx1.provider.net.'


def test_a_name_goes_in_the_longest_mail_domain_it_is_in():
    result = build(domains=['example.com', 'lists.example.com'], mail_host='mail.lists.example.com')
    assert records_of(result, name='mail.lists.example.com.')[0]['domain'] == 'lists.example.com'
    assert records_of(result, name='_dmarc.lists.example.com.')[0]['domain'] == 'lists.example.com'


def test_dmarc_and_tls_rpt_options():
    result = build(dmarc_policy='quarantine', dmarc_rua='', tls_rpt_rua='TLS@Example.COM')
    assert value_of(result, '_dmarc.example.com.', 'TXT') == 'v=DMARC1; p=quarantine'
    assert value_of(result, '_smtp._tls.example.com.', 'TXT') == 'v=TLSRPTv1; rua=mailto:TLS@example.com'
    assert not records_of(build(tls_rpt_rua=''), purpose='tls-rpt')


def test_reports_to_another_domain_are_authorised_there():
    result = build(domains=['example.com', 'example.org'], dmarc_rua='dmarc@example.org')
    (auth,) = records_of(result, purpose='dmarc-report-authorization')
    assert auth == {'domain': 'example.org', 'name': 'example.com._report._dmarc.example.org.', 'type': 'TXT',
                    'ttl': 3600, 'value': 'v=DMARC1', 'purpose': 'dmarc-report-authorization'}
    outside = build(dmarc_rua='r@reports.example.net')
    assert records_of(outside, purpose='dmarc-report-authorization')[0]['domain'] == 'reports.example.net'


def test_services_not_offered_are_published_as_not_available():
    result = build(services=['submissions', 'imaps'])
    assert value_of(result, '_submissions._tcp.example.com.', 'SRV') == '0 1 465 mail.example.com.'
    assert value_of(result, '_imaps._tcp.example.com.', 'SRV') == '0 1 993 mail.example.com.'
    for service in ('submission', 'imap', 'pop3s', 'pop3'):
        assert value_of(result, '_%s._tcp.example.com.' % service, 'SRV') == '0 0 0 .'


@pytest.mark.parametrize('given, option', [
    (dict(mail_host='autoconfig.example.com'), 'autoconfig.example.com'),
    (dict(mail_host='mta-sts.example.com'), 'mta-sts.example.com'),
    (dict(domains=['example.com', 'autodiscover.example.com']), 'autodiscover.example.com'),
])
def test_a_name_that_is_also_an_alias_is_refused(given, option):
    with pytest.raises(dns.RecordError, match=re.escape(option)):
        build(**given)


# --- MTA-STS ---------------------------------------------------------------------------------------

def test_the_mta_sts_policy_and_its_record():
    result = build(mta_sts_mode='enforce', mta_sts_max_age=86400)
    sts = result['mta_sts']['example.com']
    assert sts['policy'] == 'version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmax_age: 86400\r\n'
    assert sts['url'] == 'https://mta-sts.example.com/.well-known/mta-sts.txt'
    assert re.match(r'\A[0-9a-f]{32}\Z', sts['id'])
    assert value_of(result, '_mta-sts.example.com.', 'TXT') == 'v=STSv1; id=' + sts['id']


@pytest.mark.parametrize('change', [dict(mta_sts_mode='enforce'), dict(mta_sts_mode='none'),
                                    dict(mta_sts_max_age=86400), dict(mail_host='mx2.example.com')])
def test_the_mta_sts_id_changes_with_the_policy(change):
    assert build(**change)['mta_sts']['example.com']['id'] != build()['mta_sts']['example.com']['id']


@pytest.mark.parametrize('change', [dict(ttl=60), dict(dmarc_policy='none'), dict(ipv4=['192.0.2.1']),
                                    dict(services=[]), dict(tls_rpt_rua='')])
def test_the_mta_sts_id_stays_while_the_policy_does(change):
    assert build(**change)['mta_sts']['example.com'] == build()['mta_sts']['example.com']


# --- TXT strings -----------------------------------------------------------------------------------

@pytest.mark.parametrize('length, sizes', [(0, [0]), (1, [1]), (255, [255]), (256, [255, 1]), (510, [255, 255]),
                                           (600, [255, 255, 90])])
def test_txt_strings_are_split_at_255_bytes(length, sizes):
    value = ''.join(chr(ord('a') + index % 26) for index in range(length))
    strings = read_character_strings(dns.txt_strings(value))
    assert [len(string) for string in strings] == sizes
    assert b''.join(strings).decode('ascii') == value


def test_txt_strings_escape_quotes_backslashes_and_control_bytes():
    value = u'a"b\\c\nd;e \u00e9'
    text = dns.txt_strings(value)
    assert text == '"a\\"b\\\\c\\010d;e \\195\\169"'
    assert b''.join(read_character_strings(text)).decode('utf-8') == value
    assert '\n' not in text


def test_escapes_count_as_one_byte_when_splitting():
    value = '"' * 300
    strings = read_character_strings(dns.txt_strings(value))
    assert [len(string) for string in strings] == [255, 45]


# --- refused input -----------------------------------------------------------------------------------

@pytest.mark.parametrize('given, option', [
    (dict(domains=[]), 'domains'),
    (dict(domains=['example.com\nevil.example. 60 IN A 192.0.2.66']), r'domains\[0\]'),
    (dict(domains=['example.com', 'ok.example', 'exa"mple.org']), r'domains\[2\]'),
    (dict(domains=['exam ple.com']), r'domains\[0\]'),
    (dict(domains=['example.com;']), r'domains\[0\]'),
    (dict(domains=['_dmarc.example.com']), r'domains\[0\]'),
    (dict(domains=['com']), r'domains\[0\]'),
    (dict(domains=['192.0.2.1']), r'domains\[0\]'),
    (dict(domains=[u'b\u00fccher.example']), 'punycode'),
    (dict(domains=['a' * 64 + '.example']), r'domains\[0\]'),
    (dict(domains=['.'.join(['a' * 60] * 5)]), r'domains\[0\]'),
    (dict(domains=['example.com', 'EXAMPLE.com.']), 'twice'),
    (dict(mail_host='mail.example.com.\n@ IN NS evil.example.'), 'mail_host'),
    (dict(mail_host='mail'), 'mail_host'),
    (dict(mail_host=None), 'mail_host'),
    (dict(ipv4=['192.0.2.1\n']), r'ipv4\[0\]'),
    (dict(ipv4=['192.0.2.1', '2001:db8::1']), r'ipv4\[1\]'),
    (dict(ipv4=['127.0.0.1']), r'ipv4\[0\]'),
    (dict(ipv4=['0.0.0.0']), r'ipv4\[0\]'),
    (dict(ipv4=['192.0.2.1', '192.0.2.1']), 'twice'),
    (dict(ipv4=['192.0.2.1 -all']), r'ipv4\[0\]'),
    (dict(ipv6=['192.0.2.1']), r'ipv6\[0\]'),
    (dict(ipv6=['::ffff:192.0.2.1']), r'ipv6\[0\]'),
    (dict(ipv6=['::1']), r'ipv6\[0\]'),
    (dict(ipv6=['2001:db8::1', '2001:DB8:0::1']), 'twice'),
    (dict(ttl=-1), 'ttl'),
    (dict(ttl=2 ** 31), 'ttl'),
    (dict(ttl='60'), 'ttl'),
    (dict(services=['smtp']), r'services\[0\]'),
    (dict(dmarc_policy='reject; rua=mailto:x@evil.example'), 'dmarc_policy'),
    (dict(dmarc_rua='a@example.com; p=none'), 'dmarc_rua'),
    (dict(dmarc_rua='a@example.com,mailto:b@evil.example'), 'dmarc_rua'),
    (dict(dmarc_rua='a"b@example.com'), 'dmarc_rua'),
    (dict(dmarc_rua='a b@example.com'), 'dmarc_rua'),
    (dict(dmarc_rua='a!10m@example.com'), 'dmarc_rua'),
    (dict(dmarc_rua='ab@example.com\n'), 'dmarc_rua'),
    (dict(dmarc_rua='postmaster'), 'dmarc_rua'),
    (dict(dmarc_rua='a..b@example.com'), 'dmarc_rua'),
    (dict(tls_rpt_rua='tls@example.com"'), 'tls_rpt_rua'),
    (dict(mta_sts_mode='enforce\r\nmx: *.evil.example'), 'mta_sts_mode'),
    (dict(mta_sts_max_age=31557601), 'mta_sts_max_age'),
    (dict(dkim=[dict(domain='example.org', selector='s1', public_key='x')]), r'dkim\[0\]\.domain'),
    (dict(dkim=[dict(domain='example.com', selector='s1;', public_key='x')]), r'dkim\[0\]\.selector'),
    (dict(dkim=[dict(domain='example.com', selector='s 1', public_key='x')]), r'dkim\[0\]\.selector'),
    (dict(dkim=[dict(domain='example.com', selector='s1')]), r'dkim\[0\]'),
    (dict(dkim=[dict(domain='example.com', selector='s1', public_key='x', private_key_path='/k')]), r'dkim\[0\]'),
    (dict(dkim=[dict(domain='example.com', selector='s1', public_key='x'),
                dict(domain='example.com', selector='S1', public_key='y')]), r'dkim\[1\]'),
])
def test_input_that_could_break_a_record_is_refused_naming_the_option(given, option):
    with pytest.raises(dns.RecordError, match=option):
        build(**given)


# --- DKIM, checked against openssl -------------------------------------------------------------------

def openssl(*args, **kwargs):
    return subprocess.run(('openssl',) + args, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          **kwargs).stdout


@pytest.fixture(scope='module')
def keys(tmp_path_factory):
    """A private key file and its public PEM per type, made by openssl."""
    directory = tmp_path_factory.mktemp('dkim')
    made = {}
    for name, args in (('rsa', ('-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048')),
                       ('ed25519', ('-algorithm', 'ED25519'))):
        path = directory / (name + '.key')
        openssl('genpkey', *args, '-out', str(path))
        public = openssl('pkey', '-in', str(path), '-pubout').decode('ascii')
        der = openssl('pkey', '-in', str(path), '-pubout', '-outform', 'DER')
        made[name] = {'path': str(path), 'public': public, 'der': der, 'private': path.read_bytes()}
    return made


def test_an_rsa_key_publishes_openssls_der_subject_public_key_info(keys):
    expected = 'v=DKIM1; k=rsa; p=' + base64.b64encode(keys['rsa']['der']).decode('ascii')
    assert dns.dkim_value('o', keys['rsa']['private'], private=True) == expected
    assert dns.dkim_value('o', keys['rsa']['public'], private=False) == expected


def test_an_ed25519_key_publishes_its_raw_32_bytes(keys):
    der = keys['ed25519']['der']
    # The SubjectPublicKeyInfo of Ed25519 is a fixed 12-byte prefix and the raw key (RFC 8410).
    assert len(der) == 44 and der[:12] == bytes.fromhex('302a300506032b6570032100')
    expected = 'v=DKIM1; k=ed25519; p=' + base64.b64encode(der[12:]).decode('ascii')
    assert dns.dkim_value('o', keys['ed25519']['private'], private=True) == expected
    assert dns.dkim_value('o', keys['ed25519']['public'], private=False) == expected


def test_dkim_records_in_the_zone_are_split_and_read_back_whole(keys):
    config = dns.normalise(dict(BASE, dkim=[dict(domain='example.com', selector='s2026.rsa', private_key_path='/k'),
                                            dict(domain='example.com', selector='ed', public_key='p')]))
    values = [dns.dkim_value('o', keys['rsa']['private'], True), dns.dkim_value('o', keys['ed25519']['public'], False)]
    result = dns.result(config, values)
    assert value_of(result, 's2026.rsa._domainkey.example.com.', 'TXT') == values[0]
    assert value_of(result, 'ed._domainkey.example.com.', 'TXT') == values[1]
    (line,) = [line for line in result['zones']['example.com'].splitlines() if line.startswith('s2026.rsa.')]
    strings = read_character_strings(line.split(' IN TXT ', 1)[1])
    assert len(values[0]) > 255 and len(strings) == 2 and len(strings[0]) == 255
    assert b''.join(strings).decode('ascii') == values[0]
    assert ('s2026.rsa._domainkey.example.com.', 3600, 'TXT', values[0]) in read_zone(result['zones']['example.com'])


def test_keys_that_cannot_be_published_are_refused_without_showing_them(keys, tmp_path):
    encrypted = tmp_path / 'encrypted.key'
    openssl('pkey', '-in', keys['rsa']['path'], '-aes256', '-passout', 'pass:secret', '-out', str(encrypted))
    ec_key = openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256')
    cases = [(encrypted.read_bytes(), True, 'encrypted'), (ec_key, True, 'neither an RSA nor an Ed25519'),
             (b'not a key', True, 'not a PEM private key'), (keys['rsa']['public'], True, 'not a PEM private key'),
             (keys['rsa']['private'], False, 'not a PEM public key'), ('', False, 'not a PEM public key')]
    for pem, private, message in cases:
        with pytest.raises(dns.RecordError, match=message) as raised:
            dns.dkim_value('dkim[0].private_key_path', pem, private)
        assert str(raised.value).startswith('dkim[0].private_key_path ')
        assert 'PRIVATE' not in str(raised.value) and len(str(raised.value)) < 200


def test_small_rsa_keys_are_refused():
    try:
        small = openssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:768')
    except subprocess.CalledProcessError:
        pytest.skip('this openssl makes no RSA keys under 1024 bits')
    with pytest.raises(dns.RecordError, match='768 bits'):
        dns.dkim_value('o', small, private=True)
