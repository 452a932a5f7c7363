# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of mailroom.server.custom_logo: read src here, check it, send its bytes.

The image is refused here, before anything reaches the host, when it is over 1 MiB, not a PNG,
JPEG, GIF or WebP by its content, or would decode to more than logo.MAX_PIXELS pixels (read from
its header; nothing is decoded, so the controller needs no Pillow). The module on the host gets
the bytes (base64, option ``content``) with this check's result (``controller_check``) and checks
them again. ``logo_options`` does the same for the client module's custom_logo section.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import os

from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.plugins.action import ActionBase

from ansible_collections.mailroom.server.plugins.module_utils._engine.errors import SettingsError
from ansible_collections.mailroom.server.plugins.module_utils._webmail import logo

MODULE = 'mailroom.server.custom_logo'
INTERNAL = ('content', 'controller_check')


def read_image(path):
    """The file's bytes; a file over the limit is refused by its size, unread."""
    if not os.path.isfile(path):
        raise AnsibleActionFail('custom_logo: src %s is not a file' % path)
    try:
        logo.check_size(os.path.getsize(path))
        with open(path, 'rb') as handle:
            # One byte more than allowed: a file that grew since its size was read is still refused.
            return handle.read(logo.MAX_BYTES + 1)
    except SettingsError as exc:
        raise AnsibleActionFail('%s (src: %s)' % (exc, path))
    except (IOError, OSError) as exc:
        raise AnsibleActionFail('custom_logo: cannot read src %s: %s' % (path, exc))


def logo_options(action, options):
    """The module options for a custom_logo request ({src, state, ...}), AnsibleActionFail on bad input.

    src is looked up like any file of `action`'s task (files/ of the role or playbook), read and
    checked; its bytes and the check's result are added, every other option passes as given.
    """
    options = dict(options or {})
    for name in INTERNAL:
        if options.get(name) is not None:
            raise AnsibleActionFail('custom_logo: %s is set by the action plugin from src; give src instead' % name)
    src = options.get('src')
    if src is None:
        return options
    if options.get('state') == 'absent':
        raise AnsibleActionFail('custom_logo: give either src (a new logo) or state: absent (the default logo), '
                                'not both')
    if not isinstance(src, str) or not src:
        raise AnsibleActionFail('custom_logo: src must be the path of an image file on the controller')
    try:
        path = action._find_needle('files', src)
    except AnsibleError as exc:
        raise AnsibleActionFail('custom_logo: src %s not found: %s' % (src, getattr(exc, 'message', exc)))
    data = read_image(path)
    try:
        checked = logo.inspect(data)
    except SettingsError as exc:
        raise AnsibleActionFail('%s (src: %s)' % (exc, path))
    options.update(content=base64.b64encode(data).decode('ascii'), controller_check=checked)
    return options


class ActionModule(ActionBase):
    """Check src on the controller, then run the module with the image's bytes."""

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        try:
            module_args = logo_options(self, self._task.args)
        except AnsibleActionFail as exc:
            result.update(failed=True, changed=False, msg=str(getattr(exc, 'message', exc)))
            return result
        result.update(self._execute_module(module_name=MODULE, module_args=module_args, task_vars=task_vars))
        return result
