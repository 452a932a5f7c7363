# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A stand-in for AnsibleModule at the runner's boundary: exit_json/fail_json raise Exit; and
run_main, which runs a module's real main() with its arguments."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest
from ansible.module_utils.testing import patch_module_args


class Exit(Exception):
    def __init__(self, failed, result):
        super(Exit, self).__init__(result.get('msg'))
        self.failed = failed
        self.result = result


class FakeModule(object):
    def __init__(self, check_mode=False):
        self.params = {'activate': True}
        self.check_mode = check_mode
        self._diff = True
        self.warnings = []

    def warn(self, text):
        self.warnings.append(text)

    def run_command(self, args):
        return 0, '', ''

    def get_bin_path(self, name, **kwargs):
        return '/bin/' + name

    def fail_json(self, **result):
        raise Exit(True, result)

    def exit_json(self, **result):
        raise Exit(False, result)


def run_main(main, args, capsys):
    """A module's main() run with `args` as Ansible passes them: (its JSON result, what it printed)."""
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            main()
    captured = capsys.readouterr()
    return json.loads(captured.out), captured
