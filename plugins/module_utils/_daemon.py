# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reload or restart a mail daemon through systemd, and tell whether it runs."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

RELOAD = 'reload'
RESTART = 'restart'


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
    """Run `systemctl reload|restart unit`; return (ok, message with the daemon's own error)."""
    systemctl = module.get_bin_path('systemctl', required=True)
    rc, out, err = module.run_command([systemctl, action, unit])
    if rc == 0:
        return True, ''
    _rc, journal, _err = module.run_command(
        ['journalctl', '--no-pager', '-n', '20', '-u', unit + '*'])
    return False, '\n'.join(part for part in (out.strip(), err.strip(), journal.strip()) if part)
