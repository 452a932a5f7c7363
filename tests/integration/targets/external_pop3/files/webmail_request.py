# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One request to the external POP3 service as the webmail makes it: the JSON on stdin goes to
the socket as one line, the answer line is printed. Run as the web server's user."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket
import sys

SOCKET = '/run/mailroom-external-pop3/webmail.sock'

with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
    conn.settimeout(150)
    conn.connect(SOCKET)
    conn.sendall(sys.stdin.buffer.read().strip() + b'\n')
    answer = b''
    while not answer.endswith(b'\n'):
        chunk = conn.recv(65536)
        if not chunk:
            break
        answer += chunk
sys.stdout.write(answer.decode('utf-8'))
