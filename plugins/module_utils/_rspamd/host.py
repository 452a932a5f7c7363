# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""rspamd on the managed host, as a daemon of the settings engine (see _engine/transaction.py).

Each settings area owns files below /etc/rspamd (the dkim area local.d/dkim_signing.conf) and
may write files beside it (the dkim area's keys in /var/lib/rspamd/dkim, as managed files). A
change is written into a copy of the whole /etc/rspamd and checked with `rspamadm configtest`,
its CONFDIR and LOCAL_CONFDIR pointed at the copy, so that every include resolves inside it.

rspamd logs to its own file, not to the journal, and a reload (SIGHUP) that cannot read the new
configuration leaves the old workers running: the change is proven in effect by scanning a probe
message as an authenticated sender of each signing domain and finding each signing selector's
signature (the DKIM_SIGNED symbol) in the answer.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import json
import os
import shutil

from ansible_collections.mailroom.server.plugins.module_utils import _dkim
from ansible_collections.mailroom.server.plugins.module_utils._engine import activation, atomic_file
from ansible_collections.mailroom.server.plugins.module_utils._engine.area import RSPAMD
from ansible_collections.mailroom.server.plugins.module_utils._engine.errors import DaemonError

CONFIG_DIR = '/etc/rspamd'
# The filter role's milter worker: the mark that the role set the host up.
ROLE_FILE = 'local.d/worker-proxy.inc'
UNIT = 'rspamd'
# What rspamd prints to the journal (stderr) when it cannot start; a reload's errors go to its log.
ERROR_MARKERS = ('cannot load config', 'cannot parse config', 'config test failed')
# The scanner the probe asks (Debian's normal worker; the milter worker forwards to it).
SCANNER = '127.0.0.1:11333'
# How long rspamd may take to take the new configuration: a SIGHUP starts new workers, which
# compile their rules first (tens of seconds on two cores).
PROBE_TIMEOUT = 90
PROBE_MESSAGE = ('From: postmaster@%(domain)s\r\nTo: postmaster@%(domain)s\r\nSubject: mailroom dkim probe\r\n'
                 'Message-ID: <dkim-probe@%(domain)s>\r\nDate: Thu, 1 Jan 2026 00:00:00 +0000\r\n\r\n'
                 'A probe of the DKIM signing configuration; never sent.\r\n')


class RspamdError(DaemonError):
    """rspamd refused a configuration or did not take it; the message is rspamd's own."""


def installed(module):
    """Whether the filter role set rspamd up (every settings module opens the adapter where this
    holds, so a removed package must not fail them all)."""
    return os.path.isfile(os.path.join(CONFIG_DIR, ROLE_FILE)) and bool(module.get_bin_path('rspamadm'))


def read_keys(key_dir):
    """{(domain, selector): {key_type, key_size, value}} of the key files below `key_dir`."""
    keys = {}
    for path in sorted(glob.glob(os.path.join(key_dir, '*', '*.key'))):
        pair = _dkim.key_name(path, key_dir)
        if pair is not None:
            keys[pair] = _dkim.describe_key(atomic_file.read_bytes(path, b''))
    return keys


def signed_selectors(answer):
    """The "domain:s=selector" options of DKIM_SIGNED in rspamc's JSON answer (empty if none)."""
    start = (answer or '').find('{')
    if start < 0:
        return set()
    try:
        reply = json.loads(answer[start:])
    except ValueError:
        return set()
    symbol = (reply.get('symbols') or {}).get('DKIM_SIGNED') if isinstance(reply, dict) else None
    options = (symbol or {}).get('options') if isinstance(symbol, dict) else None
    return set(option for option in options or [] if isinstance(option, str))


class RspamdHost(object):
    """rspamd's configuration below one config directory, and its DKIM keys."""

    name = RSPAMD

    def __init__(self, module, journal, config_dir=CONFIG_DIR, key_dir=_dkim.KEY_DIR):
        self.module = module
        self.journal = journal
        self.config_dir = config_dir
        self.key_dir = key_dir
        self.signing_before = []      # what the live configuration signed with when a change was staged

    def path(self, relative):
        return os.path.join(self.config_dir, relative)

    def read_into(self, state):
        """The areas' files and the keys; None where the filter role did not set rspamd up (the
        dkim area then says which role to apply)."""
        if not os.path.isfile(self.path(ROLE_FILE)):
            state.rspamd = None
            return
        state.rspamd = {'files': {_dkim.CONFIG_FILE: atomic_file.read_text(self.path(_dkim.CONFIG_FILE))},
                        'keys': read_keys(self.key_dir), 'key_dir': self.key_dir}

    @staticmethod
    def merge(named_edits):
        merged = {}
        for _name, edit in named_edits:
            merged.update(edit)
        return merged

    def stage(self, edit, files=()):
        """Validate with {relative path: text} and the managed files; return ({path: text}, staged values)."""
        changed = dict((self.path(relative), text) for relative, text in edit.items()
                       if text != atomic_file.read_text(self.path(relative)))
        if not changed and not files:
            return {}, {}
        self.validate(changed)
        self.signing_before = _dkim.parse(atomic_file.read_text(self.path(_dkim.CONFIG_FILE)), self.key_dir) or []
        staged_files = {_dkim.CONFIG_FILE: atomic_file.read_text(self.path(_dkim.CONFIG_FILE))}
        staged_files.update(edit)
        keys = read_keys(self.key_dir)
        for managed in files:
            pair = _dkim.key_name(managed.path, self.key_dir)
            if pair is not None:
                keys[pair] = _dkim.describe_key(managed.text.encode('ascii'))
        return changed, {'rspamd': {'files': staged_files, 'keys': keys, 'key_dir': self.key_dir}}

    def validate(self, texts):
        """`rspamadm configtest` on a staged copy of the config directory with `texts` in place."""
        rspamadm = self.module.get_bin_path('rspamadm', required=True)
        stage, staged_dir = self.journal.stage_config(self.config_dir, 'rspamd', texts)
        try:
            rc, out, err = self.module.run_command([
                rspamadm, '--var=CONFDIR=%s' % staged_dir, '--var=LOCAL_CONFDIR=%s' % staged_dir,
                'configtest', '-c', os.path.join(staged_dir, 'rspamd.conf')])
        finally:
            shutil.rmtree(stage, ignore_errors=True)
        if rc != 0:
            raise RspamdError('rspamd rejected the configuration: %s'
                              % (err or out).strip().replace(staged_dir, self.config_dir)[-2000:])

    def running(self):
        return activation.is_active(self.module, UNIT)

    def activate(self, action):
        activation.activate(self.module, UNIT, action, self.running, ERROR_MARKERS)
        signing = _dkim.parse(atomic_file.read_text(self.path(_dkim.CONFIG_FILE)), self.key_dir) or []
        # The domains signed before too: a selector that stops signing must be seen to stop.
        domains = sorted(set(domain for domain, _selector in signing + self.signing_before))
        if not activation.wait_for(lambda: not self.differences(signing, domains), PROBE_TIMEOUT):
            raise RspamdError('rspamd did not take the new configuration on %s: %s'
                              % (action, '; '.join(self.differences(signing, domains))))

    def differences(self, signing, domains):
        """How the signatures of a probe message of each of `domains` differ from `signing`."""
        rspamc = self.module.get_bin_path('rspamc', required=True)
        found = []
        for domain in domains:
            sender = 'postmaster@' + domain
            rc, out, _err = self.module.run_command(
                [rspamc, '-h', SCANNER, '-j', '--ip', '127.0.0.1', '--user', sender, '--from', sender,
                 '--rcpt', sender], data=PROBE_MESSAGE % {'domain': domain}, binary_data=True)
            shown = sorted(signed_selectors(out)) if rc == 0 else []
            wanted = sorted('%s:s=%s' % (each, selector) for each, selector in signing if each == domain)
            if shown != wanted:
                found.append('mail of %s is signed with %s instead of %s' % (
                    domain, _selectors(shown), _selectors(wanted)))
        return found


def _selectors(options):
    """"s=a, s=b" of DKIM_SIGNED options ("domain:s=a"), or "no selector"."""
    return ', '.join(option.split(':', 1)[-1] for option in options) or 'no selector'


def remove_keys(pairs, key_dir):
    """Delete the key files of `pairs` (and a domain's directory once empty); return those removed."""
    removed = []
    for domain, selector in pairs:
        path = _dkim.key_path(domain, selector, key_dir)
        if os.path.lexists(path):
            atomic_file.remove(path)
            removed.append((domain, selector))
        directory = os.path.dirname(path)
        if os.path.isdir(directory) and not os.listdir(directory):
            os.rmdir(directory)
    return removed
