# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The S/MIME target's certificates, made on the Docker host with the openssl command line:
    make_pki.py FOLDER DOMAIN
writes ca.crt, <user>.crt/.key for alice, bob, carol (expired) and mallory (another CA), and
alice.p12 (old RC2-40, as older Windows made them) and bob.p12 (modern), both with password
'p12-secret'. Prints the paths as JSON."""
from __future__ import absolute_import, division, print_function

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', '..', '..', 'unit', 'roles'))

from smime_pki import Pki  # noqa: E402  pylint: disable=wrong-import-position

PASSWORD = 'p12-secret'


def main(folder, domain):
    os.makedirs(folder, exist_ok=True)
    pki = Pki(folder, domain)
    files = {'ca': pki.path('ca.crt'), 'password': PASSWORD}
    for name, options in (('alice', ('-legacy', '-keypbe', 'PBE-SHA1-RC2-40', '-certpbe', 'PBE-SHA1-RC2-40')),
                          ('bob', ())):
        path = pki.path(name + '.p12')
        with open(path, 'wb') as out:
            out.write(pki.p12(name, PASSWORD, *options))
        files[name] = path
    print(json.dumps(files))
    return 0


if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:3]))
