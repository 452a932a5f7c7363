# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filter role's files, rendered with its defaults as Ansible renders them, and its contracts
with the dkim module (where the mark and the keys are) and the mta role (milter order)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

import yaml

from ansible_collections.mailroom.server.plugins.module_utils import _dkim
from ansible_collections.mailroom.server.plugins.module_utils._rspamd import host as rspamd
from ansible_collections.mailroom.server.tests.unit.roles import role_files
from ansible_collections.mailroom.server.tests.unit.roles.role_files import ROOT

ROLE = 'filter'


def render(template, **given):
    return role_files.render(ROLE, template, role_files.role_variables(ROLE, **given))


def settings(text):
    """The non-comment lines of a rendered file."""
    return [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith('#')]


def test_local_addresses_are_loopback_and_the_trusted_networks_only():
    assert settings(render('options-override.inc.j2')) == ['local_addrs = ["127.0.0.0/8", "::1"];']
    assert settings(render('options-override.inc.j2', filter_trusted_networks=['192.0.2.0/24', '2001:db8::/32'])) == [
        'local_addrs = ["127.0.0.0/8", "::1", "192.0.2.0/24", "2001:db8::/32"];']


def test_rspamd_asks_unbound_on_loopback_and_unbound_listens_there_only():
    assert '  nameserver = ["127.0.0.1:53"];' in settings(render('options-local.inc.j2'))
    unbound = settings(render('unbound.conf.j2'))
    assert unbound == ['server:', '    interface: 127.0.0.1', '    access-control: 127.0.0.0/8 allow', '    do-ip6: no']


def test_forward_zones_are_asked_of_their_servers_without_validation():
    unbound = settings(render('unbound.conf.j2', filter_dns_forward_zones=[
        {'name': 'example.test', 'servers': ['172.18.0.2', '172.18.0.3@5353']}]))
    assert unbound[4:] == ['    do-not-query-localhost: no', '    domain-insecure: "example.test"',
                           '    local-zone: "example.test" transparent', 'forward-zone:',
                           '    name: "example.test"', '    forward-addr: 172.18.0.2', '    forward-addr: 172.18.0.3@5353']


def test_a_forwarded_zone_under_a_special_use_domain_is_not_answered_by_unbound_itself():
    # unbound's default local zones (test., invalid., home.arpa., ...) answer NXDOMAIN before any
    # forward-zone (seen with Debian 12's unbound 1.17): the zone's own transparent local-zone lets
    # its names through. The root needs none (and gets none: it would not override the defaults).
    unbound = settings(render('unbound.conf.j2', filter_dns_forward_zones=[
        {'name': 'corp.test', 'servers': ['192.0.2.53']}, {'name': '.', 'servers': ['192.0.2.53']}]))
    assert [line for line in unbound if 'local-zone' in line] == ['    local-zone: "corp.test" transparent']


def test_forwarding_every_name_turns_validation_off_instead_of_marking_the_root_insecure():
    # domain-insecure "." beside Debian's root trust anchor stops unbound from starting (seen on
    # Debian 12's 1.17: "failed to load trust anchor"); without the validator nothing is checked.
    unbound = settings(render('unbound.conf.j2', filter_dns_forward_zones=[{'name': '.', 'servers': ['192.0.2.53']}]))
    assert '    module-config: "iterator"' in unbound
    assert not [line for line in unbound if 'domain-insecure' in line]
    only_a_zone = settings(render('unbound.conf.j2', filter_dns_forward_zones=[
        {'name': 'corp.test', 'servers': ['192.0.2.53']}]))
    assert not [line for line in only_a_zone if 'module-config' in line]


def test_the_scores_are_the_actions_and_greylisting_is_off():
    assert settings(render('actions.conf.j2', filter_reject_score=12, filter_add_header_score=5)) == [
        'reject = 12;', 'add_header = 5;', 'greylist = null;']
    assert settings(render('greylist.conf.j2')) == ['enabled = false;']


def test_users_mail_gets_no_authentication_results_that_would_name_the_login():
    headers = settings(render('milter_headers.conf.j2'))
    assert 'skip_authenticated = true;' in headers and 'skip_local = true;' in headers
    assert not [line for line in headers if 'authenticated_headers' in line]


def test_redis_runs_without_a_user_namespace_of_its_own():
    assert settings(render('redis-container.conf.j2')) == ['[Service]', 'PrivateUsers=no']


def test_the_role_marks_rspamd_where_the_dkim_module_looks_and_keeps_keys_where_it_writes_them():
    variables = role_files.role_variables(ROLE)
    tasks = role_files.role_file(ROLE, 'tasks', 'main.yml')
    assert os.path.basename(rspamd.ROLE_FILE) in [entry['dest'] for entry in variables['filter_rspamd_local_files']]
    assert 'loop: "{{ filter_rspamd_local_files }}"' in tasks
    assert os.path.join(variables['filter_rspamd_local_dir'], os.path.basename(rspamd.ROLE_FILE)) == \
        os.path.join(rspamd.CONFIG_DIR, rspamd.ROLE_FILE)
    assert variables['filter_dkim_key_dir'] == _dkim.KEY_DIR
    assert 'group: %s' % _dkim.KEY_GROUP in tasks


def test_the_client_services_sign_after_every_milter_that_rewrites():
    with open(os.path.join(ROOT, 'roles', 'mta', 'vars', 'main.yml')) as handle:
        mta = yaml.safe_load(handle)
    milters = mta['mta_base_parameters']['mailroom_submission_milters']
    assert re.search(r'\$mailroom_content_milters \$mailroom_filter_milters\Z', milters)
    assert mta['mta_default_parameters']['mailroom_filter_milters'] == ''
    tasks = yaml.safe_load(role_files.role_file(ROLE, 'tasks', 'main.yml'))
    (postfix,) = [task for task in tasks if 'mailroom.server.postfix_config' in task]
    parameters = postfix['mailroom.server.postfix_config']['parameters']
    assert parameters['smtpd_milters'] == parameters['non_smtpd_milters'] == '$mailroom_filter_milters'
    assert parameters['milter_default_action'] == 'accept'
    assert 'default_action=accept' in parameters['mailroom_filter_milters']
