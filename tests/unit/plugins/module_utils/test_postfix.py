# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

import pytest

from ansible_collections.mailroom.server.plugins.module_utils._postfix import config as _postfix

MAIN_CF = """# See /usr/share/postfix/main.cf.dist
smtpd_banner = $myhostname ESMTP
biff = no

# relay
smtpd_relay_restrictions = permit_mynetworks
    permit_sasl_authenticated
\tdefer_unauth_destination
myhostname = old.example
myhostname = mail.example.test
"""

MASTER_CF = """# service type  private unpriv  chroot  wakeup  maxproc command + args
smtp      inet  n       -       y       -       -       smtpd
#submission inet n       -       y       -       -       smtpd
#  -o syslog_name=postfix/submission
pickup    unix  n       -       y       60      1       pickup
relay     unix  -       -       y       -       -       smtp
        -o syslog_name=postfix/$service_name
smtps     inet  n       -       y       -       -       smtpd
  -o { smtpd_client_restrictions = permit_sasl_authenticated, reject }
  -o smtpd_tls_wrappermode=yes
"""


def test_parse_main_cf_joins_continuations_and_last_wins():
    values = _postfix.parse_main_cf(MAIN_CF)
    assert values['smtpd_relay_restrictions'] == \
        'permit_mynetworks permit_sasl_authenticated defer_unauth_destination'
    assert values['myhostname'] == 'mail.example.test'
    assert values['biff'] == 'no'
    assert 'See' not in ''.join(values)


@pytest.mark.parametrize('value, expected', [
    (True, 'yes'),
    (False, 'no'),
    (52428800, '52428800'),
    (['a', 'b', 'c'], 'a, b, c'),
    ('  x   y\n  z ', 'x y z'),
    (None, None),
])
def test_normalize_value(value, expected):
    assert _postfix.normalize_value(value) == expected


def test_diff_entries_reports_only_differences():
    current = {'a': '1', 'b': 'yes'}
    before, after = _postfix.diff_entries(current, {'a': '1', 'b': 'no', 'c': 'x', 'd': None})
    assert before == {'b': 'yes', 'c': None}
    assert after == {'b': 'no', 'c': 'x'}


def test_edit_main_cf_rewrites_in_place_drops_duplicates_and_appends():
    text = _postfix.edit_main_cf(MAIN_CF, {
        'myhostname': 'new.example',
        'smtpd_relay_restrictions': 'permit_mynetworks, reject_unauth_destination',
        'message_size_limit': '1000',
        'biff': None,
    })
    assert 'biff' not in text
    assert text.count('myhostname =') == 1
    assert 'myhostname = new.example\n' in text
    assert 'defer_unauth_destination' not in text
    assert text.startswith('# See /usr/share/postfix/main.cf.dist\nsmtpd_banner = $myhostname ESMTP\n')
    assert text.endswith('message_size_limit = 1000\n')
    # The first assignment keeps its place: before the second "myhostname" was.
    assert text.index('smtpd_relay_restrictions') < text.index('myhostname =')
    values = _postfix.parse_main_cf(text)
    assert values['message_size_limit'] == '1000'


def test_edit_main_cf_without_changes_is_byte_identical():
    assert _postfix.edit_main_cf(MAIN_CF, {}) == MAIN_CF


def test_edit_main_cf_handles_missing_final_newline():
    assert _postfix.edit_main_cf('a = 1', {'b': '2'}) == 'a = 1\nb = 2\n'


def test_desired_parameters_rejects_bad_names():
    with pytest.raises(_postfix.ConfigError, match="not a Postfix parameter name"):
        _postfix.desired_parameters({'bad name': 'x'})


def test_parse_master_cf_reads_fields_options_and_braces():
    services = _postfix.parse_master_cf(MASTER_CF)
    assert sorted(services) == ['pickup/unix', 'relay/unix', 'smtp/inet', 'smtps/inet']
    smtps = services['smtps/inet']
    assert smtps['chroot'] == 'y'
    assert smtps['command'] == 'smtpd'
    assert smtps['options'] == {
        'smtpd_client_restrictions': 'permit_sasl_authenticated, reject',
        'smtpd_tls_wrappermode': 'yes',
    }
    assert services['pickup/unix']['wakeup'] == '60'
    assert services['relay/unix']['options'] == {'syslog_name': 'postfix/$service_name'}


def test_desired_service_keeps_unnamed_fields():
    current = _postfix.parse_master_cf(MASTER_CF)['smtp/inet']
    wanted = _postfix.desired_service({'name': 'smtp', 'type': 'inet', 'options': {'x': True}}, current)
    assert wanted['chroot'] == 'y'
    assert wanted['private'] == 'n'
    assert wanted['options'] == {'x': 'yes'}


def test_desired_service_new_entry_needs_command():
    with pytest.raises(_postfix.ConfigError, match='needs a command'):
        _postfix.desired_service({'name': 'submission', 'type': 'inet'}, None)


def test_desired_service_rejects_unknown_type():
    with pytest.raises(_postfix.ConfigError, match='type'):
        _postfix.desired_service({'name': 'x', 'type': 'socket', 'command': 'smtpd'}, None)


def test_render_then_parse_round_trips():
    service = {
        'name': 'submission', 'type': 'inet', 'private': 'n', 'unprivileged': '-', 'chroot': 'y',
        'wakeup': '-', 'process_limit': '-', 'command': 'smtpd', 'args': [],
        'options': {'syslog_name': 'postfix/submission',
                    'smtpd_client_restrictions': 'permit_sasl_authenticated, reject'},
    }
    rendered = _postfix.render_service(service)
    assert '-o { smtpd_client_restrictions = permit_sasl_authenticated, reject }' in rendered
    assert _postfix.parse_master_cf(rendered) == {'submission/inet': service}


def test_edit_master_cf_replaces_removes_and_appends():
    services = _postfix.parse_master_cf(MASTER_CF)
    smtp = dict(services['smtp/inet'], options={'smtpd_sasl_auth_enable': 'no'})
    new = dict(smtp, name='submission', options={'syslog_name': 'postfix/submission'})
    text = _postfix.edit_master_cf(MASTER_CF, {
        'smtp/inet': smtp, 'smtps/inet': None, 'submission/inet': new})
    parsed = _postfix.parse_master_cf(text)
    assert 'smtps/inet' not in parsed
    assert parsed['smtp/inet'] == smtp
    assert parsed['submission/inet'] == new
    # Comments, including commented-out services, stay.
    assert '#submission inet n' in text
    assert 'relay     unix  -       -       y       -       -       smtp\n' \
           '        -o syslog_name=postfix/$service_name\n' in text


def test_diff_entries_for_services():
    current = _postfix.parse_master_cf(MASTER_CF)
    same = dict(current['smtp/inet'])
    before, after = _postfix.diff_entries(current, {'smtp/inet': same, 'smtps/inet': None})
    assert list(after) == ['smtps/inet']
    assert before['smtps/inet'] == current['smtps/inet']


def test_unbalanced_brace_is_an_error():
    with pytest.raises(_postfix.ConfigError, match='unbalanced'):
        _postfix.parse_master_cf('x inet n - y - - smtpd -o { a = b\n')


def test_continuation_across_comment_lines_belongs_to_the_entry():
    text = ('submission inet n - y - - smtpd\n  -o syslog_name=x\n#  -o smtpd_tls_auth_only=yes\n\n'
            '  -o smtpd_sasl_auth_enable=yes\npickup unix n - y 60 1 pickup\n# trailing\n')
    services = _postfix.parse_master_cf(text)
    assert services['submission/inet']['options'] == {'syslog_name': 'x', 'smtpd_sasl_auth_enable': 'yes'}
    assert _postfix.edit_master_cf(text, {}) == text
    main = 'mynetworks = 127.0.0.0/8\n# c\n    [::1]/128\nbiff = no\n'
    assert _postfix.parse_main_cf(main)['mynetworks'] == '127.0.0.0/8 [::1]/128'
    edited = _postfix.edit_main_cf(main, {'mynetworks': '127.0.0.0/8'})
    assert edited == 'mynetworks = 127.0.0.0/8\nbiff = no\n'


def test_nested_braces_round_trip():
    text = ('smtp inet n - y - - smtpd\n'
            '  -o { smtpd_milters = { inet:localhost:11332, default_action=accept } }\n')
    service = _postfix.parse_master_cf(text)['smtp/inet']
    assert service['options'] == {'smtpd_milters': '{ inet:localhost:11332, default_action=accept }'}
    assert _postfix.parse_master_cf(_postfix.render_service(service)) == {'smtp/inet': service}


def test_arguments_with_spaces_keep_their_braces():
    text = 'x unix - n n - - pipe\n  flags=R { argv=/usr/bin/filter -f } ${sender}\n'
    service = _postfix.parse_master_cf(text)['x/unix']
    assert service['args'] == ['flags=R', 'argv=/usr/bin/filter -f', '${sender}']
    assert _postfix.parse_master_cf(_postfix.render_service(service)) == {'x/unix': service}


# Issue 10: nothing a caller gives may leave its line (main.cf) or its field (master.cf).

@pytest.mark.parametrize('value', [
    'a\nrelayhost = x',         # folded into one value before the fix
    'a\rrelayhost = x',
    'permit_mynetworks\n',      # what a YAML ">" block scalar gives
    'a\x00b',
    'a\tb',
    'a\x7fb',
    'a\x85b',                   # NEL
    'a\u2028b',                 # Unicode line separator
    ['permit_mynetworks', 'reject\nrelayhost = x'],
])
def test_desired_parameters_refuses_values_that_are_not_one_line(value):
    with pytest.raises(_postfix.ConfigError, match='smtpd_relay_restrictions') as caught:
        _postfix.desired_parameters({'smtpd_relay_restrictions': value})
    assert 'single line' in str(caught.value)
    assert not any(char in str(caught.value) for char in '\n\r\x00\x85\u2028')


@pytest.mark.parametrize('name', ['bad name', 'a.b', 'a-b', 'relayhost\n', 'a\nb', '', 'a=b', 1])
def test_desired_parameters_refuses_names_outside_letters_digits_underscore(name):
    with pytest.raises(_postfix.ConfigError, match='not a Postfix parameter name'):
        _postfix.desired_parameters({name: 'x'})


def test_desired_parameters_names_the_option_and_refuses_non_scalars():
    with pytest.raises(_postfix.ConfigError, match='^defaults: biff must be'):
        _postfix.desired_parameters({'biff': {'a': 1}}, 'defaults')
    assert _postfix.desired_parameters({'biff': None, 'x_y': [True, 2, 'z']}) == {'biff': None, 'x_y': 'yes, 2, z'}


def test_main_cf_renderer_refuses_a_newline_whoever_gives_it():
    # Settings areas hand their parameters straight to edit_main_cf.
    with pytest.raises(_postfix.ConfigError, match='main.cf: inet_interfaces'):
        _postfix.edit_main_cf(MAIN_CF, {'inet_interfaces': '127.0.0.1\nrelayhost = x'})
    with pytest.raises(_postfix.ConfigError, match='not a Postfix parameter name'):
        _postfix.edit_main_cf(MAIN_CF, {'a\nrelayhost': 'x'})


def test_only_newline_ends_a_line_as_for_postfix():
    text = '# note\u2028relayhost = x\nbiff = no\x0cx = y\n'
    assert _postfix.parse_main_cf(text) == {'biff': 'no x = y'}
    assert _postfix.edit_main_cf(text, {}) == text


def _spec(**fields):
    spec = {'name': 'submission', 'type': 'inet', 'command': 'smtpd'}
    spec.update(fields)
    return spec


@pytest.mark.parametrize('field, value', [
    ('private', 'n - y - - smtpd\n2526 inet n'),
    ('private', 'yes'),
    ('private', ''),
    ('unprivileged', 'n\n'),
    ('chroot', 'False'),
    ('wakeup', '60\n2526 inet'),
    ('wakeup', '?'),
    ('wakeup', '1m'),
    ('process_limit', '10 smtpd'),
    ('process_limit', '-1'),
])
def test_desired_service_refuses_bad_flag_fields(field, value):
    with pytest.raises(_postfix.ConfigError, match='services: submission/inet: %s must be' % field):
        _postfix.desired_service(_spec(**{field: value}), None)


@pytest.mark.parametrize('field, value', [
    ('private', 'y'), ('unprivileged', 'n'), ('chroot', '-'),
    ('wakeup', '60'), ('wakeup', '300?'), ('wakeup', '-'), ('process_limit', '100'), ('process_limit', 0),
])
def test_desired_service_accepts_good_flag_fields(field, value):
    assert _postfix.desired_service(_spec(**{field: value}), None)[field] == str(value)


@pytest.mark.parametrize('name, message', [
    ('2525\n', 'name must be a single line'),
    ('smtp 2525', 'whitespace'),
    ('#2525', 'must not start with "#"'),
    ('{2525', 'must not contain braces'),
    ('{2525}', 'must not contain braces'),
    ('', 'needs a name'),
])
def test_desired_service_refuses_bad_names(name, message):
    with pytest.raises(_postfix.ConfigError, match=message) as caught:
        _postfix.desired_service(_spec(name=name), None)
    assert '\n' not in str(caught.value)


@pytest.mark.parametrize('fields, message', [
    ({'command': 'smtpd\n2525 inet n - y - - smtpd'}, 'command must be a single line'),
    ({'command': 'smtpd -o smtpd_tls_security_level=none'}, 'command must not be a -o override'),
    ({'command': 'smtpd { -v'}, 'command must not contain unbalanced braces'),
    ({'args': ['-v', '-osmtpd_sasl_auth_enable=no']}, r'args\[1\] must not be a -o override'),
    ({'args': ['a } -o { smtpd_tls_security_level = none']}, r'args\[0\] must not contain unbalanced'),
    ({'args': ['a\nb']}, r'args\[0\] must be a single line'),
    ({'options': {'syslog_name=x\n2527 inet n - n - - smtpd\n  -o a': 'b'}}, 'options: .* not a Postfix parameter name'),
    ({'options': {'syslog_name=x': 'b'}}, 'options: "syslog_name=x" is not a Postfix parameter name'),
    ({'options': {'syslog_name': 'x\n2527 inet n - n - - smtpd'}}, 'options: syslog_name must be a single line'),
    ({'options': {'syslog_name': 'x } -o { smtpd_tls_security_level = none'}}, 'options: syslog_name must not contain unbalanced'),
    ({'options': {'syslog_name': ['a', 'b\nc']}}, r'options: syslog_name\[1\] must be a single line'),
])
def test_desired_service_refuses_fields_that_would_leave_their_place(fields, message):
    with pytest.raises(_postfix.ConfigError, match='services: submission/inet: ' + message):
        _postfix.desired_service(_spec(**fields), None)


def test_desired_service_command_with_arguments_sets_them_once():
    current = _postfix.parse_master_cf('x unix - n n - - pipe\n  flags=R user=nobody\n')['x/unix']
    wanted = _postfix.desired_service({'name': 'x', 'type': 'unix', 'command': 'pipe  flags=F'}, current)
    assert (wanted['command'], wanted['args']) == ('pipe', ['flags=F'])
    wanted = _postfix.desired_service({'name': 'x', 'type': 'unix', 'command': 'pipe flags=F',
                                       'args': ['argv=/bin/true']}, current)
    assert wanted['args'] == ['flags=F', 'argv=/bin/true']
    # Applied to its own result, nothing changes.
    again = _postfix.desired_service({'name': 'x', 'type': 'unix', 'command': 'pipe flags=F',
                                      'args': ['argv=/bin/true']}, wanted)
    assert again == wanted
    # Without arguments in the command, the current ones stay.
    assert _postfix.desired_service({'name': 'x', 'type': 'unix', 'command': 'pipe'}, current)['args'] == \
        ['flags=R', 'user=nobody']


def test_option_values_with_spaces_and_braces_round_trip():
    spec = _spec(options={'smtpd_client_restrictions': 'permit_sasl_authenticated, reject',
                          'smtpd_milters': '{ inet:localhost:11332, default_action=accept }',
                          'smtpd_banner': '{x}', 'milter_macro_v': ''},
                 args=['', '{a}', 'b c'])
    service = _postfix.desired_service(spec, None)
    rendered = _postfix.render_service(service)
    assert '  -o { smtpd_client_restrictions = permit_sasl_authenticated, reject }\n' in rendered
    assert '  -o { smtpd_banner = {x} }\n' in rendered
    assert _postfix.parse_master_cf(rendered) == {'submission/inet': service}


@pytest.mark.parametrize('field, value', [
    ('name', '2525\n2526'), ('type', 'inet\n'), ('command', 'smtpd\n2526 inet n - n - - smtpd'),
    ('command', 'smtpd -v'), ('private', 'n - y'), ('wakeup', ''),
])
def test_master_cf_renderer_refuses_fields_that_leave_their_place(field, value):
    # Settings areas hand services straight to edit_master_cf.
    service = _postfix.parse_master_cf(MASTER_CF)['smtp/inet']
    with pytest.raises(_postfix.ConfigError, match='master.cf: .*%s' % field):
        _postfix.render_service(dict(service, **{field: value}))


@pytest.mark.parametrize('change', [
    {'args': ['a\nb']}, {'args': ['a}']}, {'options': {'a\nb': 'c'}}, {'options': {'syslog_name': 'x\ny'}},
    {'options': {'syslog_name': 'x }'}},
])
def test_master_cf_renderer_refuses_arguments_and_options_that_leave_their_place(change):
    service = _postfix.parse_master_cf(MASTER_CF)['smtp/inet']
    with pytest.raises(_postfix.ConfigError, match='master.cf: "smtp/inet"'):
        _postfix.edit_master_cf(MASTER_CF, {'smtp/inet': dict(service, **change)})


# mynetworks: Postfix checks it only when smtpd starts, and a bad pattern then stops smtpd from
# accepting any mail, after the reload has already happened.
@pytest.mark.parametrize('value', [
    ['127.0.0.0/8', '[::1]/128'],
    '127.0.0.0/8 [::1]/128 192.0.2.7 [2001:db8::1] [2001:db8::]/32 !192.0.2.0/28 0.0.0.0/0',
    'relay.example.test, /etc/postfix/network_table, cidr:/etc/postfix/network_table, $config_directory/nets',
    '127.0.0.0/8 inline:{ 192.0.2.0/24 }',
])
def test_mynetworks_postfix_accepts_pass(value):
    assert _postfix.desired_parameters({'mynetworks': value})['mynetworks'] == _postfix.desired_value('x', value)


@pytest.mark.parametrize('value, reason', [
    ('192.0.2.7/24', 'host bits are set, which Postfix refuses: the network is 192.0.2.0/24'),
    ('[2001:db8::1]/32', r'host bits are set, which Postfix refuses: the network is \[2001:db8::\]/32'),
    ('2001:db8::/32', r'an IPv6 address goes in brackets \(\[2001:db8::\]/32\)'),
    ('::1', r'an IPv6 address goes in brackets \(\[::1\]\)'),
    ('[::ffff:127.0.0.0]/104', 'an IPv4-mapped address never matches .*IPv4 form, 127.0.0.0/8'),
    ('[::ffff:192.0.2.1]', 'an IPv4-mapped address never matches .*IPv4 form, 192.0.2.1$'),
    ('192.0.2.0/33', 'the length after "/" must be a number from 0 to 32'),
    ('[::1]/129', 'the length after "/" must be a number from 0 to 128'),
    ('192.0.2.0/', 'the length after "/" must be'),
    ('192.0.2.0/255.255.255.0', 'the length after "/" must be'),
    ('127.1', 'neither an IP address, a network'),
    ('10/8', 'neither an IP address, a network'),
    ('999.0.0.0/8', 'neither an IP address, a network'),
    ('*', 'neither an IP address, a network'),
    ('[::1', 'an address in brackets'),
    ('[::1]128', 'an address in brackets'),
    ('[mail.example.test]', 'mail.example.test is not an IP address'),
    ('!', 'neither an IP address, a network'),
])
def test_mynetworks_postfix_would_refuse_are_named(value, reason):
    with pytest.raises(_postfix.ConfigError, match='^parameters: mynetworks: "%s": %s' % (re.escape(value), reason)):
        _postfix.desired_parameters({'mynetworks': ['127.0.0.0/8', value]})


def test_mynetworks_is_checked_in_defaults_too_and_stays_one_line():
    with pytest.raises(_postfix.ConfigError, match='^defaults: mynetworks: "192.0.2.7/24"'):
        _postfix.desired_parameters({'mynetworks': '192.0.2.7/24'}, 'defaults')
    with pytest.raises(_postfix.ConfigError, match='single line'):
        _postfix.desired_parameters({'mynetworks': '127.0.0.0/8\nrelayhost = x'})
    with pytest.raises(_postfix.ConfigError, match='single line'):
        _postfix.desired_parameters({'mynetworks': ['127.0.0.0/8', '[::1]/128\n']})
