# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A test CA and S/MIME certificates made with the openssl command line in a temporary folder,
for the S/MIME service's and plugin's tests (nothing downloaded, nothing kept)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import subprocess

EXTENSIONS = """[person]
basicConstraints = CA:FALSE
keyUsage = digitalSignature, keyEncipherment
extendedKeyUsage = emailProtection
subjectAltName = email:%(email)s
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = keyCertSign, cRLSign
"""
# `openssl ca` is the only way OpenSSL 3.0 gives a certificate chosen dates (an expired one).
CA_CONFIG = """[ca]
default_ca = test
[test]
database = %(dir)s/index.txt
new_certs_dir = %(dir)s
serial = %(dir)s/serial
default_md = sha256
policy = anything
copy_extensions = none
[anything]
commonName = supplied
"""


def run(*args, data=None):
    return subprocess.run(('openssl',) + args, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          check=True).stdout


class Pki(object):
    """ca, alice, bob (RSA, valid), carol (expired), mallory (from another CA): each a name whose
    files are <name>.crt and <name>.key in `folder`, for <name>@<domain>."""

    def __init__(self, folder, domain='example.org'):
        self.folder = folder
        self.domain = domain
        self.ca('ca', 'Mailroom Test CA')
        self.ca('otherca', 'Other Test CA')
        for name in ('alice', 'bob'):
            self.person(name, 'ca')
        self.person('mallory', 'otherca')
        self.person('carol', 'ca', expired=True)

    def path(self, name):
        return os.path.join(self.folder, name)

    def ext(self, email):
        path = self.path('ext-%s.cnf' % email.split('@')[0])
        with open(path, 'w') as out:
            out.write(EXTENSIONS % {'email': email})
        return path

    def ca(self, name, common_name):
        run('req', '-x509', '-newkey', 'rsa:2048', '-noenc', '-keyout', self.path(name + '.key'),
            '-out', self.path(name + '.crt'), '-days', '3650', '-subj', '/CN=' + common_name,
            '-extensions', 'ca', '-config', self.ext('ca@' + self.domain))

    def person(self, name, ca, expired=False):
        email = '%s@%s' % (name, self.domain)
        run('req', '-new', '-newkey', 'rsa:2048', '-noenc', '-keyout', self.path(name + '.key'),
            '-out', self.path(name + '.csr'), '-subj', '/CN=%s/emailAddress=%s' % (name.title(), email))
        if not expired:
            run('x509', '-req', '-in', self.path(name + '.csr'), '-CA', self.path(ca + '.crt'),
                '-CAkey', self.path(ca + '.key'), '-CAcreateserial', '-days', '365', '-sha256',
                '-extfile', self.ext(email), '-extensions', 'person', '-out', self.path(name + '.crt'))
            return
        database = self.path('cadb')
        os.makedirs(database, exist_ok=True)
        open(os.path.join(database, 'index.txt'), 'w').close()
        with open(os.path.join(database, 'serial'), 'w') as out:
            out.write('1000\n')
        config = self.path('ca.cnf')
        with open(config, 'w') as out:
            out.write(CA_CONFIG % {'dir': database})
        run('ca', '-batch', '-config', config, '-cert', self.path(ca + '.crt'), '-keyfile', self.path(ca + '.key'),
            '-in', self.path(name + '.csr'), '-out', self.path(name + '.crt'), '-notext',
            '-startdate', '20200101000000Z', '-enddate', '20210101000000Z',
            '-extfile', self.ext(email), '-extensions', 'person')

    def p12(self, name, password, *options):
        """A PKCS#12 file of the person's key, certificate and CA (options: -legacy, -keypbe...)."""
        return run('pkcs12', '-export', '-in', self.path(name + '.crt'), '-inkey', self.path(name + '.key'),
                   '-certfile', self.path('ca.crt'), '-passout', 'pass:' + password, *options)

    def read(self, name):
        with open(self.path(name), 'rb') as handle:
            return handle.read()
