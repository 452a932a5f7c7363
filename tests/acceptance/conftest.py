# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where the mail host under test is and who may log in to it.

Either MAILROOM_HOST_JSON names a summary written by scripts/demo, or MAILROOM_HOST (address),
MAILROOM_HOSTNAME, MAILROOM_DOMAIN and MAILROOM_USERS (JSON list of {name, password}) describe it,
with the standard ports. Run this suite from another network namespace than the mail host's.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

from mailclient import MailHost

STANDARD_PORTS = {
    'smtp': 25, 'submission': 587, 'smtps': 465,
    'imap': 143, 'imaps': 993, 'pop3': 110, 'pop3s': 995,
}


def _from_environment():
    summary = os.environ.get('MAILROOM_HOST_JSON')
    if summary:
        with open(summary) as handle:
            data = json.load(handle)
        return MailHost(
            address=data['address'], hostname=data['hostname'], domain=data['domain'],
            ports=data['ports'], users=[(data['user']['login'], data['user']['password'])])
    if 'MAILROOM_HOST' not in os.environ:
        return None
    users = json.loads(os.environ['MAILROOM_USERS'])
    return MailHost(
        address=os.environ['MAILROOM_HOST'], hostname=os.environ['MAILROOM_HOSTNAME'],
        domain=os.environ['MAILROOM_DOMAIN'], ports=dict(STANDARD_PORTS),
        users=[(user['name'], user['password']) for user in users])


@pytest.fixture(scope='session')
def mailhost():
    host = _from_environment()
    if host is None:
        pytest.skip('no mail host given (set MAILROOM_HOST_JSON or MAILROOM_HOST)')
    return host
