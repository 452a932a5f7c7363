# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of mailroom.server.client: the custom_logo section's image is read and checked
here, as mailroom.server.custom_logo does it, before anything reaches the host."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.mailroom.server.plugins.action.custom_logo import logo_options

MODULE = 'mailroom.server.client'


class ActionModule(ActionBase):
    """Check custom_logo.src on the controller, then run the module with the image's bytes."""

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        module_args = dict(self._task.args)
        try:
            if module_args.get('custom_logo') is not None:
                if not isinstance(module_args['custom_logo'], dict):
                    raise AnsibleActionFail('custom_logo must be a dictionary of custom_logo options')
                module_args['custom_logo'] = logo_options(self, module_args['custom_logo'])
        except AnsibleActionFail as exc:
            result.update(failed=True, changed=False, msg=str(getattr(exc, 'message', exc)))
            return result
        result.update(self._execute_module(module_name=MODULE, module_args=module_args, task_vars=task_vars))
        return result
