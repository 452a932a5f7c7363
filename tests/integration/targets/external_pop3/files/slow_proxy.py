# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A TCP relay that holds back each piece the server sends by a fixed delay: a fetch through it
lasts long enough to be killed in the middle, whatever the machine's speed. TLS passes through
untouched (the client still checks the server's certificate).
Usage: slow_proxy.py LISTEN_PORT SERVER_HOST SERVER_PORT DELAY_SECONDS"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket
import sys
import threading
import time


def relay(source, target, delay):
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            time.sleep(delay)
            target.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (source, target):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def main():
    listen_port, host, port, delay = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    server = socket.create_server(('', listen_port), reuse_port=True)
    while True:
        client, _address = server.accept()
        upstream = socket.create_connection((host, port))
        threading.Thread(target=relay, args=(client, upstream, 0), daemon=True).start()
        threading.Thread(target=relay, args=(upstream, client, delay), daemon=True).start()


if __name__ == '__main__':
    main()
