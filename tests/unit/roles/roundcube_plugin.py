# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every one of our Roundcube plugins is checked for, with Debian's PHP (each PHP file
parses, each language file's texts), and the Unix socket a plugin's service answers on."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import socket
import subprocess
import threading

PHP = shutil.which('php')
PLUGINS = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', 'roles', 'webmail', 'files',
                                       'roundcube-plugins'))


def folder(plugin):
    return os.path.join(PLUGINS, plugin)


def syntax_errors(plugin):
    """`php -l`'s complaint about each PHP file of the plugin that does not parse."""
    errors = []
    for directory, _dirs, names in os.walk(folder(plugin)):
        for name in names:
            if name.endswith(('.php', '.inc')):
                done = subprocess.run([PHP, '-l', os.path.join(directory, name)], stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, check=False)
                if done.returncode != 0:
                    errors.append(done.stdout.decode())
    return errors


def texts(plugin, language):
    """(label names, message names) of the plugin's localization/<language>.inc."""
    done = subprocess.run([PHP, '-r', 'include $argv[1]; echo json_encode([array_keys($labels), '
                           'array_keys($messages)]);', os.path.join(folder(plugin), 'localization', language + '.inc')],
                          stdout=subprocess.PIPE, check=True)
    labels, messages = json.loads(done.stdout)
    return set(labels), set(messages)


class UnixSocketServer(object):
    """A service's Unix socket as a test plays it, one connection at a time; handle(connection)
    answers each."""

    def __init__(self, path):
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(path)
        self.listener.listen(5)
        self.listener.settimeout(0.1)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def handle(self, connection):
        raise NotImplementedError

    def serve(self):
        while not self.stopped.is_set():
            try:
                connection, _address = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with connection:
                self.handle(connection)

    def stop(self):
        self.stopped.set()
        self.thread.join(5)
        self.listener.close()
