# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One HTTP(S) request as an MTA-STS sender makes it: to ADDRESS, for the host NAME (TLS SNI and
Host header), certificate not verified (the test hosts' is self-signed), no redirect followed.
Prints JSON: status, content_type, location, body (text, line ends kept), certificate_names.

    fetch.py ADDRESS NAME PATH [--http] [--port N] [--method GET]
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import json
import socket
import ssl
import sys
import tempfile


def certificate_names(der):
    """The DNS names of the certificate (subjectAltName), read by the ssl module from a PEM file."""
    with tempfile.NamedTemporaryFile('w', suffix='.pem') as handle:
        handle.write(ssl.DER_cert_to_PEM_cert(der))
        handle.flush()
        try:
            decoded = ssl._ssl._test_decode_cert(handle.name)  # pylint: disable=protected-access
        except (AttributeError, ssl.SSLError):
            return None
    return sorted(value for kind, value in decoded.get('subjectAltName', ()) if kind == 'DNS')


def fetch(address, name, path, tls=True, port=None, method='GET', timeout=15):
    port = port or (443 if tls else 80)
    connection = socket.create_connection((address, port), timeout=timeout)
    names = None
    if tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        connection = context.wrap_socket(connection, server_hostname=name)
        names = certificate_names(connection.getpeercert(binary_form=True))
    request = '%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: mailroom-mta-sts-test\r\nConnection: close\r\n\r\n' % (
        method, path, name)
    connection.sendall(request.encode('ascii'))
    data = b''
    while True:
        chunk = connection.recv(65536)
        if not chunk:
            break
        data += chunk
    connection.close()
    head, _separator, body = data.partition(b'\r\n\r\n')
    lines = head.decode('iso-8859-1').split('\r\n')
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        key, _colon, value = line.partition(':')
        headers[key.strip().lower()] = value.strip()
    if headers.get('transfer-encoding', '').lower() == 'chunked':
        body = dechunk(body)
    return {'status': status, 'content_type': headers.get('content-type'), 'location': headers.get('location'),
            'body': body.decode('utf-8', 'replace'), 'certificate_names': names}


def dechunk(data):
    body = b''
    while data:
        size, _newline, rest = data.partition(b'\r\n')
        length = int(size.split(b';')[0], 16)
        if length == 0:
            break
        body += rest[:length]
        data = rest[length + 2:]
    return body


def main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument('address')
    parser.add_argument('name')
    parser.add_argument('path')
    parser.add_argument('--http', action='store_true', help='plain HTTP (port 80) instead of HTTPS')
    parser.add_argument('--port', type=int)
    parser.add_argument('--method', default='GET')
    args = parser.parse_args(argv)
    print(json.dumps(fetch(args.address, args.name, args.path, tls=not args.http, port=args.port, method=args.method)))


if __name__ == '__main__':
    main(sys.argv[1:])
