# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """Options and behaviour shared by every settings module."""

    DOCUMENTATION = r'''
options:
  activate:
    description:
      - Make a change effective at once, by reloading the daemon, or restarting it where the
        daemon needs that (for example Postfix's C(inet_interfaces)).
      - With V(false) the files change but nothing is reloaded; RV(reload_required) and
        RV(restart_required) then tell a handler what to run.
      - If the daemon does not come back after the change, the previous files are restored and
        the module fails with the daemon's own error.
    type: bool
    default: true
notes:
  - The new configuration is validated on a staged copy before any live file changes; on bad
    input the module fails and every file stays byte-identical.
  - Files are replaced atomically, keeping their owner and mode.
attributes:
  check_mode:
    description: Reports the change it would make, validated on a staged copy, and touches nothing.
    support: full
  diff_mode:
    description: Returns the managed keys before and after the change.
    support: full
'''
