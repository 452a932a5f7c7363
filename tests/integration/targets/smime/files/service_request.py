# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One request without payload to the S/MIME key service, as the webmail makes it: the JSON on
stdin goes to the socket as one line, the answer's line is printed (its payload, if any, is not).
Run as the web server's user (or another, to be refused by the socket's mode)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import socket
import sys

SOCKET = '/run/mailroom-smime/webmail.sock'

request = json.loads(sys.stdin.read())
request['payload_bytes'] = 0
with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
    conn.settimeout(60)
    conn.connect(SOCKET)
    conn.sendall(json.dumps(request).encode('utf-8') + b'\n')
    answer = conn.makefile('rb').readline()
sys.stdout.write(answer.decode('utf-8'))
