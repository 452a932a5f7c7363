# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The custom_logo action plugin: bad images are refused on the controller, nothing is sent."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import struct
import zlib

import pytest
from unittest.mock import MagicMock

from ansible.errors import AnsibleActionFail, AnsibleFileNotFound
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task

from ansible_collections.mailroom.server.plugins.action import custom_logo as action_plugin
from ansible_collections.mailroom.server.plugins.module_utils._webmail import logo


def _chunk(kind, payload):
    return struct.pack('>I', len(payload)) + kind + payload + struct.pack('>I', zlib.crc32(kind + payload))


def png(width, height, depth=8, colour=2):
    header = _chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, depth, colour, 0, 0, 0))
    row = b'\0' * (1 + (width * {0: 1, 2: 3}[colour] * depth + 7) // 8)
    compressor = zlib.compressobj(9)
    rows = b''.join(compressor.compress(row) for _row in range(height)) + compressor.flush()
    return logo.PNG_SIGNATURE + header + _chunk(b'IDAT', rows) + _chunk(b'IEND', b'')


class FakeAction(object):
    """What logo_options uses of an action: the task's file lookup."""

    def __init__(self, files):
        self.files = files

    def _find_needle(self, dirname, needle):
        assert dirname == 'files'
        if needle not in self.files:
            raise AnsibleFileNotFound('Could not find or access %r' % needle)
        return self.files[needle]


@pytest.fixture(scope='module')
def images(tmp_path_factory):
    """name -> path of the test images (the same bad inputs as the integration target)."""
    tmp_path = tmp_path_factory.mktemp('images')
    made = {
        'logo.png': png(600, 300),
        'exactly-1mib.png': png(600, 300).ljust(1048576, b'\0'),
        'too-big.png': png(600, 300).ljust(1048577, b'\0'),
        'logo.svg': b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        'text.png': b'not an image at all\n',
        'bomb.png': png(30000, 30000, depth=1, colour=0),
        'truncated.png': png(600, 300)[:20],
    }
    paths = {}
    for name, data in made.items():
        (tmp_path / name).write_bytes(data)
        paths[name] = str(tmp_path / name)
    paths['directory'] = str(tmp_path)
    return paths


def test_good_image_sent_with_the_controllers_check(images):
    options = action_plugin.logo_options(FakeAction(images), {'src': 'logo.png', 'activate': False})
    data = png(600, 300)
    assert base64.b64decode(options.pop('content')) == data
    assert options == {'src': 'logo.png', 'activate': False, 'controller_check': logo.inspect(data)}


def test_one_mib_exactly_is_accepted(images):
    options = action_plugin.logo_options(FakeAction(images), {'src': 'exactly-1mib.png'})
    assert options['controller_check']['size'] == 1048576


@pytest.mark.parametrize('name, message', [
    ('too-big.png', '1048577 bytes; at most 1048576'),
    ('logo.svg', 'SVG'),
    ('text.png', 'not a PNG, JPEG, GIF or WebP image'),
    ('bomb.png', '30000x30000 pixels'),
    ('truncated.png', 'truncated'),
    ('directory', 'is not a file'),
    ('missing.png', 'not found'),
])
def test_bad_src_refused_on_the_controller(images, name, message):
    with pytest.raises(AnsibleActionFail, match=message):
        action_plugin.logo_options(FakeAction(images), {'src': name})


def test_oversized_file_refused_unread(images, monkeypatch):
    def no_open(*_args, **_kwargs):
        raise AssertionError('a file over the limit was opened')
    monkeypatch.setattr(action_plugin, 'open', no_open, raising=False)
    with pytest.raises(AnsibleActionFail, match='1048577 bytes'):
        action_plugin.logo_options(FakeAction(images), {'src': 'too-big.png'})


@pytest.mark.parametrize('options, message', [
    ({'src': 'logo.png', 'state': 'absent'}, 'not both'),
    ({'content': 'AAAA'}, 'content is set by the action plugin'),
    ({'src': 'logo.png', 'controller_check': {'size': 1}}, 'controller_check is set by the action plugin'),
    ({'src': ['logo.png']}, 'path of an image file'),
])
def test_bad_options_refused(images, options, message):
    with pytest.raises(AnsibleActionFail, match=message):
        action_plugin.logo_options(FakeAction(images), options)


@pytest.mark.parametrize('options', [{}, {'state': 'absent'}, {'state': 'present', 'activate': True}])
def test_without_src_options_pass_as_given(options):
    assert action_plugin.logo_options(FakeAction({}), options) == options


def _action(args, images):
    task = Task()
    task.args = args
    plugin = action_plugin.ActionModule(task, MagicMock(), PlayContext(), loader=MagicMock(), templar=MagicMock(),
                                        shared_loader_obj=None)
    plugin._find_needle = FakeAction(images)._find_needle
    plugin._execute_module = MagicMock(return_value={'changed': True, 'settings': {'state': 'present'}})
    return plugin


def test_run_executes_the_module_with_the_image(images):
    plugin = _action({'src': 'logo.png'}, images)
    result = plugin.run(task_vars={})
    assert result['changed'] and result['settings'] == {'state': 'present'}
    _args, kwargs = plugin._execute_module.call_args
    assert kwargs['module_name'] == 'mailroom.server.custom_logo'
    assert base64.b64decode(kwargs['module_args']['content']) == png(600, 300)


def test_run_sends_nothing_for_a_bad_image(images):
    plugin = _action({'src': 'bomb.png'}, images)
    result = plugin.run(task_vars={})
    assert result['failed'] and not result['changed'] and '30000x30000' in result['msg']
    plugin._execute_module.assert_not_called()
