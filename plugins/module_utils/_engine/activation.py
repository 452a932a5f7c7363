# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make configuration changes effective: write files, reload or restart, roll back on failure."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import time

from ansible_collections.mailroom.server.plugins.module_utils._engine import atomic_file as _atomic_file

RELOAD = 'reload'
RESTART = 'restart'

# A reload only signals the daemon: a listener it cannot bind makes it exit a moment later.
SETTLE_CHECKS = (0.5, 1.5)


class DaemonError(Exception):
    """The daemon refused a configuration or did not come back; the message is its own."""


def systemd_booted():
    return os.path.isdir('/run/systemd/system')


def is_active(module, unit):
    """True when systemd reports the unit active."""
    if not systemd_booted():
        return False
    systemctl = module.get_bin_path('systemctl', required=True)
    rc, _out, _err = module.run_command([systemctl, 'is-active', '--quiet', unit])
    return rc == 0


def apply_action(module, unit, action):
    """Run `systemctl reload|restart unit`; return (ok, systemctl's own message)."""
    systemctl = module.get_bin_path('systemctl', required=True)
    rc, out, err = module.run_command([systemctl, action, unit])
    return rc == 0, '\n'.join(part for part in (out.strip(), err.strip()) if part)


def journal_tail(module, unit):
    journalctl = module.get_bin_path('journalctl')
    if not journalctl:
        return ''
    _rc, out, _err = module.run_command([journalctl, '--no-pager', '-n', '20', '-u', unit + '*'])
    return out.strip()


def _settled(running, sleep=time.sleep):
    """True when the daemon still runs a moment after the action."""
    waited = 0.0
    for moment in SETTLE_CHECKS:
        sleep(moment - waited)
        waited = moment
        if not running():
            return False
    return True


def write_files(files):
    """Write {path: text, or None to delete} atomically, file by file."""
    for path, text in files.items():
        if text is None:
            if os.path.exists(path):
                os.unlink(path)
        else:
            _atomic_file.write_atomic(path, text)


def commit(module, unit, files, action, running, sleep=time.sleep):
    """Write {path: text, or None to delete} atomically, then reload/restart `unit`.

    `running()` tells whether the daemon works. If it does not come back after the action, the
    previous files are restored, the daemon restarted, and DaemonError raised. Returns the action
    taken, or None when nothing was to be activated (no action asked, or the daemon was stopped).
    """
    previous = dict((path, _atomic_file.read_text(path)) for path in files)
    was_running = running()
    try:
        write_files(files)
    except BaseException:
        write_files(previous)
        raise
    if action is None or not was_running:
        return None
    ok, message = apply_action(module, unit, action)
    if ok and running() and _settled(running, sleep):
        return action
    # The daemon's own account of the failure, before the restore restarts it.
    journal = journal_tail(module, unit)
    write_files(previous)
    apply_action(module, unit, RESTART)
    raise DaemonError('%s did not come back after %s; previous configuration restored. %s'
                      % (unit, action, '\n'.join(part for part in (message, journal) if part)))
