# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Faults injected inside the mail host, their effect checked from outside over the wire.

The faults need a shell in the host: MAILROOM_CONTAINER names its Docker container (Molecule's
verify sets it, in a run of its own after the rest of the suite); without it these tests skip.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import imaplib
import os
import smtplib
import subprocess
import time

import pytest

from mailclient import imap_find, make_message, smtp, starttls
from test_recipients import rcpt

# Debian 12 takes up to ~15 s to start Postfix on a busy 2-core machine; a restart policy that
# works brings a daemon back well within this.
RECOVERY = 90

MASTER_PID_FILES = {
    'postfix': '/var/spool/postfix/pid/master.pid',
    'dovecot': '/run/dovecot/master.pid',
}


@pytest.fixture(scope='module')
def container():
    name = os.environ.get('MAILROOM_CONTAINER')
    if not name:
        pytest.skip('no container given (set MAILROOM_CONTAINER to inject faults)')
    return name


def in_host(container, script, check=True):
    """Run a shell script in the mail host; return its output."""
    result = subprocess.run(['docker', 'exec', container, 'sh', '-c', script],
                            capture_output=True, text=True, timeout=120, check=False)
    if check and result.returncode != 0:
        raise AssertionError('in %s, %r failed: %s' % (container, script, result.stderr))
    return result.stdout.strip()


def live_master(container, daemon):
    """The pid of the daemon's running master, or None."""
    return in_host(container, 'pid=$(cat %s 2>/dev/null) && kill -0 $pid 2>/dev/null && echo $pid'
                   % MASTER_PID_FILES[daemon], check=False) or None


def delivered(mailhost, deadline):
    """Send a message on port 25 and read it back over IMAPS, retrying until `deadline` while the
    daemons are not (yet) answering. True once both worked."""
    user, password = mailhost.users[0]
    recipient = '%s@%s' % (user, mailhost.domain)
    token, message = make_message('sender@example.net', recipient, 'after a crash')
    sent = False
    while time.time() < deadline:
        try:
            if not sent:
                session = starttls(smtp(mailhost, 'smtp'))
                session.sendmail('sender@example.net', [recipient], message)
                session.quit()
                sent = True
            if imap_find(mailhost, user, password, token, wait=5) is not None:
                return True
        except (OSError, smtplib.SMTPException, imaplib.IMAP4.error):
            pass  # not back yet
        time.sleep(1)
    return False


@pytest.mark.parametrize('daemon', ['postfix', 'dovecot'])
def test_killed_master_comes_back(mailhost, container, daemon):
    before = live_master(container, daemon)
    assert before, '%s is not running before the test' % daemon
    in_host(container, 'kill -9 %s' % before)
    deadline = time.time() + RECOVERY
    after = live_master(container, daemon)
    while (after is None or after == before) and time.time() < deadline:
        time.sleep(1)
        after = live_master(container, daemon)
    assert after and after != before, '%s did not come back within %d s of kill -9' % (daemon, RECOVERY)
    assert delivered(mailhost, deadline), 'no mail delivered within %d s of kill -9 of %s' % (RECOVERY, daemon)


RANGE_PROBE = '/etc/dovecot/mailroom.d/zz-mailroom-test-uid-range.conf'
# Postfix's processes notice a rebuilt table by its mtime, in whole seconds: one second apart.
REBUILD = 'sleep 1.1 && /usr/local/sbin/mailroom-local-recipients'


def test_last_valid_uid_zero_means_no_upper_limit(mailhost, container):
    """Dovecot's last_valid_uid = 0 (its stock value) means "no upper limit": the recipient table
    then holds nobody (65534) too, and leaves it out again once the range has an end."""
    try:
        in_host(container, 'echo "last_valid_uid = 0" > %s && %s' % (RANGE_PROBE, REBUILD))
        open_ended = rcpt(mailhost, 'nobody@%s' % mailhost.domain)
        account = rcpt(mailhost, '%s@%s' % (mailhost.users[0][0], mailhost.domain))
    finally:
        in_host(container, 'rm -f %s && %s' % (RANGE_PROBE, REBUILD))
    assert open_ended[0] == 250 and account[0] == 250, (open_ended, account)
    assert rcpt(mailhost, 'nobody@%s' % mailhost.domain)[0] == 550
