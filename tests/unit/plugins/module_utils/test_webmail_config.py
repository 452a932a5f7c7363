# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import shutil
import subprocess

import pytest

from ansible_collections.mailroom.server.plugins.module_utils._webmail import config as _webmail

PHP = shutil.which('php')


def test_values_render_as_php_literals():
    assert _webmail.php_value(True) == 'true'
    assert _webmail.php_value(False) == 'false'
    assert _webmail.php_value(4) == '4'
    assert _webmail.php_value(None) == 'null'
    assert _webmail.php_value(['a', 'b']) == "['a', 'b']"
    assert _webmail.php_value({'b': 1, 'a': 'x'}) == "['a' => 'x', 'b' => 1]"


def test_quotes_and_backslashes_cannot_end_a_string():
    assert _webmail.php_value("it's \\") == "'it\\'s \\\\'"
    assert _webmail.php_value("x'; system('id'); //") == "'x\\'; system(\\'id\\'); //'"


@pytest.mark.parametrize('value', ['a\nb', 'a\rb', 'a\x00b', 'a\u2028b'])
def test_line_breaks_are_refused(value):
    with pytest.raises(_webmail.ConfigError):
        _webmail.render([('skin_logo', value)])


@pytest.mark.parametrize('key', ["x']=1;//", 'a b', '', '1abc'])
def test_keys_must_be_identifiers(key):
    with pytest.raises(_webmail.ConfigError):
        _webmail.render([(key, 1)])


def test_plugins_are_added_to_those_before():
    text = _webmail.render([('plugins', ['acl']), ('identities_level', 3)], header='Managed.')
    assert text.splitlines() == [
        '<?php',
        '// Managed.',
        "$config['plugins'] = array_merge($config['plugins'] ?? [], ['acl']);",
        "$config['identities_level'] = 3;",
    ]


def test_plugin_names_must_be_identifiers():
    with pytest.raises(_webmail.ConfigError):
        _webmail.render([('plugins', ["acl']); system('id"])])


def test_plugins_of_a_configuration():
    assert _webmail.plugins({'plugins': ['a', 'b']}) == ['a', 'b']
    # PHP arrays with holes come out of json_encode as objects.
    assert _webmail.plugins({'plugins': {'0': 'a', '2': 'b'}}) == ['a', 'b']
    assert _webmail.plugins({}) == []
    assert _webmail.plugins(None) == []


def test_php_reads_back_what_was_rendered(tmp_path):
    assert PHP, 'the php command line is needed (scripts/test unit installs php-cli)'
    hostile = "it's \\ $HOME ${x} {$y} ?> <?php"
    settings = tmp_path / 'area.inc.php'
    settings.write_text(_webmail.render([('plugins', ['enigma']), ('skin_logo', hostile), ('level', 4)]))
    code = ("$config = ['plugins' => ['archive']]; include $argv[1]; "
            "echo json_encode([$config['plugins'], $config['skin_logo'], $config['level']]);")
    out = subprocess.run([PHP, '-r', code, str(settings)], check=True, capture_output=True, text=True).stdout
    assert out == '[["archive","enigma"],%s,4]' % __import__('json').dumps(hostile)
