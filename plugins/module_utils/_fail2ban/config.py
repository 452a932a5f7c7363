# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure model of fail2ban's effective configuration: what `fail2ban-client -d` dumps.

`-d` prints the commands the client would send the server to set up every enabled jail, one
Python list literal a line (["set", "jail", "maxretry", 5], ...), after reading jail.conf and every
jail.d file in fail2ban's order. Read back, it says what the jails really get, whichever file set
it: the settings engine's proof that no other file overrides a settings area's jail.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast

# The jail settings read back; each a string as fail2ban prints it ("600", 5 -> "5").
SETTINGS = ('maxretry', 'findtime', 'bantime')


def parse_dump(text):
    """{jail: {'backend', 'maxretry', 'findtime', 'bantime', 'ignoreip': [...], 'ports': [...]}} of
    the enabled jails; lines that are not command lists (log lines, warnings) are passed over."""
    jails = {}
    for line in (text or '').splitlines():
        line = line.strip()
        if not line.startswith('['):
            continue
        try:
            command = ast.literal_eval(line)
        except (ValueError, SyntaxError):
            continue
        if not isinstance(command, list) or len(command) < 3 or not all(isinstance(part, str) for part in command[:3]):
            continue
        verb, jail, what = command[:3]
        if verb == 'add':
            jails.setdefault(jail, {'ignoreip': [], 'ports': []})['backend'] = what
            continue
        settings = jails.get(jail)
        if settings is None:
            continue
        if verb == 'set' and what in SETTINGS and len(command) == 4:
            settings[what] = str(command[3])
        elif verb == 'set' and what == 'addignoreip':
            settings['ignoreip'].extend(str(each) for each in command[3:])
        elif verb == 'multi-set' and what == 'action' and len(command) == 5 and isinstance(command[4], list):
            for pair in command[4]:
                if isinstance(pair, list) and len(pair) == 2 and pair[0] == 'port':
                    settings['ports'].append(str(pair[1]))
    return jails
