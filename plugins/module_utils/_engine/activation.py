# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make a daemon take its new configuration through systemd, and prove that it did.

"systemctl reload" returning 0 only means a signal was sent: Dovecot keeps its old settings when
it cannot read the new ones (it logs the error and carries on), and Postfix's master exits a
moment later when it cannot bind a listener. So after the action the daemon must still run a
moment later and its journal since the action must hold no configuration error.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import time

from ansible_collections.mailroom.server.plugins.module_utils._engine.errors import DaemonError

RELOAD = 'reload'
RESTART = 'restart'

# Moments (seconds after the action) at which the daemon must still be running.
SETTLE_CHECKS = (0.5, 1.5)


def stronger(first, second):
    """The action that does what both do: a restart also does what a reload would."""
    return RESTART if RESTART in (first, second) else (first or second)


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


def journal_since(module, unit_pattern, since):
    """The unit's journal lines since `since` (epoch seconds), oldest first ('' without journald)."""
    journalctl = module.get_bin_path('journalctl')
    if not journalctl:
        return ''
    _rc, out, _err = module.run_command([
        journalctl, '--no-pager', '-o', 'cat', '-u', unit_pattern, '--since', '@%d' % int(since)])
    return out.strip()


def config_errors(journal, markers):
    """Journal lines that say the daemon refused its configuration (any of `markers`)."""
    return [line.strip() for line in journal.splitlines()
            if any(marker in line for marker in markers)]


def settled(running, sleep=time.sleep):
    """True when the daemon still runs at each moment of SETTLE_CHECKS after the action."""
    waited = 0.0
    for moment in SETTLE_CHECKS:
        sleep(moment - waited)
        waited = moment
        if not running():
            return False
    return True


def activate(module, unit, action, running, error_markers, unit_pattern=None, sleep=time.sleep,
             clock=time.time):
    """Reload or restart `unit` and prove it took the configuration; DaemonError otherwise."""
    # One second back: the journal's --since has whole seconds.
    since = clock() - 1
    ok, message = apply_action(module, unit, action)
    if ok and running() and settled(running, sleep):
        errors = config_errors(journal_since(module, unit_pattern or unit + '*', since), error_markers)
        if not errors:
            return
        raise DaemonError('%s did not take the new configuration on %s: %s'
                          % (unit, action, ' '.join(errors[-5:])))
    journal = journal_since(module, unit_pattern or unit + '*', since)
    raise DaemonError('%s did not come back after %s: %s'
                      % (unit, action, '\n'.join(part for part in (message, journal[-2000:]) if part)))


def wait_for(condition, timeout, interval=0.25, sleep=time.sleep, clock=time.time):
    """Poll `condition()` until it returns a true value or `timeout` seconds passed; return it."""
    deadline = clock() + timeout
    while True:
        value = condition()
        if value or clock() >= deadline:
            return value
        sleep(interval)
