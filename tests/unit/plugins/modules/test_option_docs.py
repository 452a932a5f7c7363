# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Each option is specified once, in its area; the copies in docs and in the settings role must
say the same (names, types, choices, defaults - and the role's descriptions are the module's)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib
import os

import pytest
import yaml

from ansible_collections.mailroom.server.plugins.module_utils._areas import registry
from ansible_collections.mailroom.server.plugins.module_utils._engine import runner

ROOT = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..')
AREA_MODULES = {
    'smtp': (registry.SMTP, registry.ACCOUNT_TYPE),
    'imap_pop3': (registry.IMAP_POP3,),
    'network_interface': (registry.NETWORK_INTERFACE,),
    'high_availability': (registry.HIGH_AVAILABILITY,),
    'tls_profile': (registry.TLS_PROFILE,),
    'full_text_search': (registry.FULL_TEXT_SEARCH,),
    'sender_name': (registry.SENDER_NAME,),
    'mail_encryption': (registry.MAIL_ENCRYPTION,),
    'mailbox_sharing': (registry.MAILBOX_SHARING,),
    'custom_logo': (registry.CUSTOM_LOGO,),
    'shared_links': (registry.SHARED_LINKS,),
    'external_pop3': (registry.EXTERNAL_POP3,),
    'login_protection': (registry.LOGIN_PROTECTION,),
    'dkim': (registry.DKIM,),
}
# Set by the action plugins from src, never by users: not in the settings role's variable.
INTERNAL = ('content', 'controller_check')


def documented(module_name):
    module = importlib.import_module('ansible_collections.mailroom.server.plugins.modules.' + module_name)
    return yaml.safe_load(module.DOCUMENTATION)['options']


def essentials(spec):
    """name -> (type, choices, default, nested) of an argument spec or a documented option tree."""
    result = {}
    for name, option in spec.items():
        nested = option.get('options') or option.get('suboptions')
        result[name] = (option.get('type', 'str'), option.get('choices'), option.get('default'),
                        essentials(nested) if nested else None)
    return result


@pytest.mark.parametrize('module_name', sorted(AREA_MODULES))
def test_area_module_docs_match_the_areas_argument_spec(module_name):
    docs = documented(module_name)
    docs['activate'] = {'type': 'bool', 'default': True}   # from the activation doc fragment
    assert essentials(docs) == essentials(runner.area_argument_spec(AREA_MODULES[module_name]))


def test_protocol_module_docs_match_the_page():
    docs = documented('protocol')
    docs['activate'] = {'type': 'bool', 'default': True}
    spec = runner.page_argument_spec(registry.PROTOCOL_PAGE)
    # required: true inside a section is documentation of the area's own spec
    assert essentials(docs) == essentials(spec)


def test_client_module_docs_match_the_page():
    docs = documented('client')
    docs['activate'] = {'type': 'bool', 'default': True}
    assert essentials(docs) == essentials(runner.page_argument_spec(registry.CLIENT_PAGE))


def test_settings_role_spec_is_the_protocol_modules_options():
    with open(os.path.join(ROOT, 'roles', 'settings', 'meta', 'argument_specs.yml')) as handle:
        role = yaml.safe_load(handle)['argument_specs']['main']['options']['settings_protocol']
    docs = documented('protocol')
    assert essentials(role['options']) == essentials(dict((k, v) for k, v in docs.items() if k != 'activate'))
    assert role['options']['smtp']['options']['directory']['options']['bind_password']['no_log'] is True

    def descriptions(tree):
        # The role's option references name the variable they are under.
        return dict((name, (str(option['description']).replace('O(settings_protocol.', 'O('),
                            descriptions(option.get('options') or option.get('suboptions') or {})))
                    for name, option in tree.items())
    assert descriptions(role['options']) == descriptions(dict((k, v) for k, v in docs.items() if k != 'activate'))
    with open(os.path.join(ROOT, 'roles', 'settings', 'defaults', 'main.yml')) as handle:
        assert yaml.safe_load(handle)['settings_protocol'] == role['default']


def test_settings_role_spec_is_the_client_modules_options():
    with open(os.path.join(ROOT, 'roles', 'settings', 'meta', 'argument_specs.yml')) as handle:
        role = yaml.safe_load(handle)['argument_specs']['main']['options']['settings_client']
    docs = documented('client')
    for name in INTERNAL:
        del docs['custom_logo']['suboptions'][name]
    assert essentials(role['options']) == essentials(docs)

    def descriptions(tree):
        return dict((name, (str(option['description']).replace('O(settings_client.', 'O('),
                            descriptions(option.get('options') or option.get('suboptions') or {})))
                    for name, option in tree.items())
    assert descriptions(role['options']) == descriptions(docs)
    with open(os.path.join(ROOT, 'roles', 'settings', 'defaults', 'main.yml')) as handle:
        assert yaml.safe_load(handle)['settings_client'] == role['default']
