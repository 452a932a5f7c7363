# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A stand-in for AnsibleModule at the runner's boundary: exit_json/fail_json raise Exit."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type


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
