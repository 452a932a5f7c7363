# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tls role's mailroom-tls-certificate: which certificate and key pairs it refuses before
the daemons serve them, and that a refusal leaves the installed files as they are. Every
certificate is made here, with cryptography."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import inspect
import io
import json
import os

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from ansible_collections.mailroom.server.tests.unit.roles import role_program

program = role_program.load('tls', 'mailroom-tls-certificate', 'mailroom_tls_certificate')

NOW = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=datetime.timezone.utc)
DAY = datetime.timedelta(days=1)


def ec_key():
    return ec.generate_private_key(ec.SECP256R1())


def name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def certificate(subject, key, issuer=None, issuer_key=None, names=(), not_before=NOW - DAY,
                not_after=NOW + 90 * DAY, ca=False, **signing):
    """A certificate for `subject` with `key`'s public key, signed by `issuer_key` (itself when
    no issuer is given); `signing` goes to sign() (rsa_padding)."""
    builder = (x509.CertificateBuilder()
               .subject_name(name(subject))
               .issuer_name(issuer.subject if issuer is not None else name(subject))
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(not_before)
               .not_valid_after(not_after)
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]),
                                        critical=False)
    return builder.sign(issuer_key if issuer_key is not None else key, hashes.SHA256(), **signing)


def pem(*items):
    parts = []
    for item in items:
        if isinstance(item, x509.Certificate):
            parts.append(item.public_bytes(serialization.Encoding.PEM).decode('ascii'))
        else:
            parts.append(item.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()).decode('ascii'))
    return ''.join(parts)


class Pki(object):
    """A root, an intermediate and a leaf for mail.example.test, as an ACME CA issues them."""

    def __init__(self):
        self.root_key, self.intermediate_key, self.leaf_key = ec_key(), ec_key(), ec_key()
        self.root = certificate('Test Root', self.root_key, ca=True)
        self.intermediate = certificate('Test Intermediate', self.intermediate_key, self.root,
                                        self.root_key, ca=True)
        self.leaf = self.issue(self.leaf_key)

    def issue(self, key, **kwargs):
        kwargs.setdefault('names', ['mail.example.test', 'mta-sts.example.test'])
        return certificate('mail.example.test', key, self.intermediate, self.intermediate_key, **kwargs)


@pytest.fixture(scope='module')
def pki():
    return Pki()


def test_a_leaf_with_its_key_and_intermediate_passes(pki):
    assert program.problems([pki.leaf, pki.intermediate], pki.leaf_key, NOW) == []


def test_the_bundle_may_hold_the_key_before_or_after_the_chain(pki):
    assert program.check_bundle(pem(pki.leaf, pki.intermediate, pki.leaf_key), NOW) == []
    assert program.check_bundle(pem(pki.leaf_key, pki.leaf, pki.intermediate), NOW) == []


def test_another_key_is_refused(pki):
    found = program.problems([pki.leaf, pki.intermediate], ec_key(), NOW)
    assert len(found) == 1 and 'not the key of the certificate' in found[0]


def test_an_rsa_key_for_an_ecdsa_certificate_is_refused(pki):
    found = program.problems([pki.leaf, pki.intermediate], rsa.generate_private_key(65537, 2048), NOW)
    assert 'not the key of the certificate' in found[0]


def test_an_expired_certificate_is_refused(pki):
    leaf = pki.issue(pki.leaf_key, not_before=NOW - 100 * DAY, not_after=NOW - DAY)
    found = program.problems([leaf, pki.intermediate], pki.leaf_key, NOW)
    assert len(found) == 1 and 'expired' in found[0]


def test_a_certificate_not_valid_yet_is_refused(pki):
    leaf = pki.issue(pki.leaf_key, not_before=NOW + DAY)
    found = program.problems([leaf, pki.intermediate], pki.leaf_key, NOW)
    assert len(found) == 1 and 'not valid before' in found[0]


def test_the_last_moment_of_validity_still_passes(pki):
    leaf = pki.issue(pki.leaf_key, not_after=NOW)
    assert program.problems([leaf, pki.intermediate], pki.leaf_key, NOW) == []


def test_an_expired_intermediate_is_refused(pki):
    intermediate = certificate('Test Intermediate', pki.intermediate_key, pki.root, pki.root_key, ca=True,
                               not_before=NOW - 100 * DAY, not_after=NOW - DAY)
    found = program.problems([pki.leaf, intermediate], pki.leaf_key, NOW)
    assert len(found) == 1 and 'Test Intermediate' in found[0] and 'expired' in found[0]


def test_a_leaf_without_its_intermediate_is_refused(pki):
    found = program.problems([pki.leaf], pki.leaf_key, NOW)
    assert len(found) == 1 and 'put the intermediates after the leaf' in found[0]


def test_a_chain_in_the_wrong_order_is_refused(pki):
    found = program.problems([pki.leaf, pki.root, pki.intermediate], pki.leaf_key, NOW)
    assert any('not issued by the certificate after it' in problem for problem in found)


def test_an_intermediate_of_the_same_name_but_another_key_is_refused(pki):
    impostor = certificate('Test Intermediate', ec_key(), pki.root, pki.root_key, ca=True)
    found = program.problems([pki.leaf, impostor], pki.leaf_key, NOW)
    assert len(found) == 1 and 'not issued by the certificate after it' in found[0]


def test_an_issuer_with_the_right_key_but_another_name_is_refused(pki):
    # Clients find the issuer by name: a signature alone does not make the chain.
    renamed = certificate('Test Intermediate 2', pki.intermediate_key, pki.root, pki.root_key, ca=True)
    found = program.problems([pki.leaf, renamed], pki.leaf_key, NOW)
    assert len(found) == 1 and 'not issued by the certificate after it' in found[0]


def test_a_self_signed_certificate_chains_to_itself():
    key = ec_key()
    assert program.problems([certificate('mail.example.test', key)], key, NOW) == []


def test_a_certificate_naming_itself_issuer_with_a_foreign_signature_is_refused():
    key = ec_key()
    forged = certificate('mail.example.test', key, issuer_key=ec_key())
    found = program.problems([forged], key, NOW)
    assert len(found) == 1 and 'signature is not its own' in found[0]


def test_an_rsa_chain_passes():
    root_key, leaf_key = rsa.generate_private_key(65537, 2048), rsa.generate_private_key(65537, 2048)
    root = certificate('RSA Root', root_key, ca=True)
    leaf = certificate('mail.example.test', leaf_key, root, root_key)
    assert program.problems([leaf, root], leaf_key, NOW) == []
    assert program.problems([leaf], leaf_key, NOW, anchors=[root]) == []


def test_an_rsa_certificate_signed_by_another_key_is_refused():
    root_key, leaf_key = rsa.generate_private_key(65537, 2048), rsa.generate_private_key(65537, 2048)
    root = certificate('RSA Root', root_key, ca=True)
    forged = certificate('mail.example.test', leaf_key, root, rsa.generate_private_key(65537, 2048))
    found = program.problems([forged, root], leaf_key, NOW)
    assert len(found) == 1 and 'not issued by the certificate after it' in found[0]


# cryptography signs with RSA-PSS from 41 on (Debian 12 has 38; it still verifies PSS by hand).
@pytest.mark.skipif('rsa_padding' not in inspect.signature(x509.CertificateBuilder.sign).parameters,
                    reason='this cryptography cannot sign with RSA-PSS')
def test_an_rsa_pss_chain_passes_and_a_forged_one_does_not():
    root_key, leaf_key = rsa.generate_private_key(65537, 2048), rsa.generate_private_key(65537, 2048)
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH)
    root = certificate('RSA Root', root_key, ca=True)
    leaf = certificate('mail.example.test', leaf_key, root, root_key, rsa_padding=pss)
    assert program.problems([leaf, root], leaf_key, NOW) == []
    forged = certificate('mail.example.test', leaf_key, root, rsa.generate_private_key(65537, 2048), rsa_padding=pss)
    assert 'not issued by the certificate after it' in program.problems([forged, root], leaf_key, NOW)[0]


def test_the_chain_must_end_at_the_given_ca(pki):
    assert program.problems([pki.leaf, pki.intermediate], pki.leaf_key, NOW, anchors=[pki.root]) == []
    other_root = certificate('Test Root', ec_key(), ca=True)
    found = program.problems([pki.leaf, pki.intermediate], pki.leaf_key, NOW, anchors=[other_root])
    assert len(found) == 1 and 'does not end at the given CA' in found[0]


def test_names_must_be_covered(pki):
    assert program.problems([pki.leaf, pki.intermediate], pki.leaf_key, NOW,
                            names=['MAIL.example.test', 'mta-sts.example.test.']) == []
    found = program.problems([pki.leaf, pki.intermediate], pki.leaf_key, NOW,
                             names=['autoconfig.example.test'])
    assert len(found) == 1 and 'autoconfig.example.test' in found[0]


def test_a_wildcard_covers_one_label_only():
    assert program.covers(['*.example.test'], 'mail.example.test')
    assert not program.covers(['*.example.test'], 'a.mail.example.test')
    assert not program.covers(['*.example.test'], 'example.test')


def test_an_empty_or_broken_bundle_is_refused(pki):
    assert program.check_bundle('', NOW) == ['expected exactly one private key, found 0']
    assert program.check_bundle(pem(pki.leaf_key), NOW) == ['no certificate given']
    assert program.check_bundle(pem(pki.leaf, pki.leaf_key, pki.leaf_key), NOW) == \
        ['expected exactly one private key, found 2']
    broken = pem(pki.leaf).replace('\n', '\nAAAA', 3)
    assert 'does not parse' in program.check_bundle(broken + pem(pki.leaf_key), NOW)[0]


def test_an_encrypted_key_is_refused(pki):
    encrypted = pki.leaf_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.BestAvailableEncryption(b'secret')).decode('ascii')
    found = program.check_bundle(pem(pki.leaf, pki.intermediate) + encrypted, NOW)
    assert len(found) == 1 and 'encrypted' in found[0]


def test_only_installed_running_daemons_are_reloaded():
    assert program.daemons_to_reload({'postfix', 'dovecot', 'nginx'}, {'postfix', 'dovecot', 'nginx'}) == \
        ['postfix', 'dovecot', 'nginx']
    assert program.daemons_to_reload({'postfix', 'dovecot'}, {'postfix', 'dovecot'}) == ['postfix', 'dovecot']
    assert program.daemons_to_reload({'postfix', 'dovecot', 'nginx'}, {'dovecot', 'nginx'}) == ['dovecot', 'nginx']


class Host(object):
    """A lineage as certbot leaves it and the files the daemons serve, in a temporary folder."""

    def __init__(self, folder, pki):
        self.lineage = str(folder.joinpath('live'))
        os.mkdir(self.lineage)
        self.config = {'cert_file': str(folder.joinpath('mail.crt')), 'key_file': str(folder.joinpath('mail.key')),
                       'lineage': self.lineage, 'names': ['mail.example.test']}
        self.config_file = str(folder.joinpath('tls.json'))
        with open(self.config_file, 'w') as handle:
            json.dump(self.config, handle)
        self.pki = pki

    def issue(self, chain, key):
        for file_name, text in (('fullchain.pem', pem(*chain)), ('privkey.pem', pem(key))):
            with open(os.path.join(self.lineage, file_name), 'w') as handle:
                handle.write(text)

    def served(self):
        return [program.read(self.config[name]) for name in ('cert_file', 'key_file')]


@pytest.fixture
def host(tmp_path, pki):
    return Host(tmp_path, pki)


def test_install_puts_a_good_pair_in_place_once(host, pki):
    host.issue([pki.leaf, pki.intermediate], pki.leaf_key)
    assert program.install(host.config, host.lineage, NOW) is True
    assert host.served() == [pem(pki.leaf, pki.intermediate), pem(pki.leaf_key)]
    assert oct(os.stat(host.config['key_file']).st_mode & 0o777) == '0o600'
    assert program.install(host.config, host.lineage, NOW) is False


def test_a_mismatched_renewal_leaves_the_served_files_as_they_are(host, pki):
    host.issue([pki.leaf, pki.intermediate], pki.leaf_key)
    program.install(host.config, host.lineage, NOW)
    before = host.served()
    host.issue([pki.issue(ec_key()), pki.intermediate], pki.leaf_key)
    with pytest.raises(program.Refused, match='not the key of the certificate'):
        program.install(host.config, host.lineage, NOW)
    assert host.served() == before
    assert sorted(os.listdir(os.path.dirname(host.config['cert_file']))) == ['live', 'mail.crt', 'mail.key', 'tls.json']


def test_a_renewal_missing_a_wanted_name_is_refused(host, pki):
    host.config['names'] = ['mail.example.test', 'autoconfig.example.test']
    host.issue([pki.leaf, pki.intermediate], pki.leaf_key)
    with pytest.raises(program.Refused, match='autoconfig.example.test'):
        program.install(host.config, host.lineage, NOW)
    assert not os.path.exists(host.config['cert_file'])


def test_the_deploy_hook_exits_non_zero_and_reloads_nothing_on_a_refusal(host, pki, monkeypatch, capsys):
    host.issue([pki.leaf, pki.intermediate], ec_key())
    monkeypatch.setenv('RENEWED_LINEAGE', host.lineage)
    monkeypatch.setattr(program, 'reload_daemons', lambda log: pytest.fail('reloaded after a refusal'))
    assert program.main(['deploy', '--config', host.config_file]) == 1
    assert 'stay in use' in capsys.readouterr().err


def test_the_deploy_hook_reloads_after_installing(host, pki, monkeypatch, capsys):
    host.issue([pki.leaf, pki.intermediate], pki.leaf_key)
    monkeypatch.setenv('RENEWED_LINEAGE', host.lineage)
    monkeypatch.setattr(program, 'now_utc', lambda: NOW)
    reloads = []
    monkeypatch.setattr(program, 'reload_daemons', lambda log: reloads.append(True) or [])
    assert program.main(['deploy', '--config', host.config_file]) == 0
    assert reloads == [True] and capsys.readouterr().out == 'installed\n'


def test_check_reads_the_bundle_on_standard_input(pki, monkeypatch, capsys):
    monkeypatch.setattr(program, 'now_utc', lambda: NOW)
    monkeypatch.setattr('sys.stdin', io.StringIO(pem(pki.leaf, pki.intermediate, pki.leaf_key)))
    assert program.main(['check', '--name', 'mail.example.test']) == 0
    monkeypatch.setattr('sys.stdin', io.StringIO(pem(pki.leaf, pki.intermediate, ec_key())))
    assert program.main(['check']) == 1
    assert 'not the key of the certificate' in capsys.readouterr().err
