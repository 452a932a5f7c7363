# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The External accounts page's plugin (roles/webmail/files/roundcube-plugins/mailroom_external_pop3):
its client of the external POP3 service's socket, run by PHP itself against a Unix socket server of
this test's, its account and form handling, and its HTML (Roundcube is not needed for these parts)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

from ansible_collections.mailroom.server.tests.unit.roles import roundcube_plugin

PHP = shutil.which('php')
PLUGIN = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', 'roles', 'webmail', 'files',
                                      'roundcube-plugins', 'mailroom_external_pop3'))

pytestmark = pytest.mark.skipif(PHP is None, reason='needs php-cli')

# One call of the plugin's classes: the arguments come as JSON on stdin, the answer goes out as
# JSON (the client's exceptions as {"exception": message, "reason": why}).
DRIVER = r"""<?php
require '%(plugin)s/lib/mailroom_external_pop3_client.php';
require '%(plugin)s/lib/mailroom_external_pop3_account.php';
require '%(plugin)s/lib/mailroom_external_pop3_view.php';
$call = json_decode(stream_get_contents(STDIN), true);
try {
    switch ($call['what']) {
        case 'client':
            $client = new mailroom_external_pop3_client($call['socket'], $call['timeout'], $call['test_timeout']);
            $started = microtime(true);
            // args_hex: texts as hex, for bytes that are not UTF-8
            $args = isset($call['args_hex']) ? array_map('hex2bin', $call['args_hex']) : $call['args'];
            $answer = ['answer' => call_user_func_array([$client, $call['method']], $args)];
            $answer['seconds'] = microtime(true) - $started;
            break;
        case 'policy':
            $answer = mailroom_external_pop3_account::policy($call['policy']);
            break;
        case 'accounts':
            $answer = mailroom_external_pop3_account::accounts($call['accounts']);
            break;
        case 'from_input':
            $answer = mailroom_external_pop3_account::from_input($call['input']);
            break;
        case 'to_save':
            $answer = mailroom_external_pop3_account::to_save(
                mailroom_external_pop3_account::account($call['account']), $call['changes']);
            break;
        case 'page':
            $labels = [];
            foreach (mailroom_external_pop3_view::LABELS as $l) {
                $labels[$l] = 'L:' . $l . (in_array($l, ['policyinterval', 'policymax', 'limitreached']) ? ' $n' : '')
                    . ($l === 'editaccount' ? ' $name' : '');
            }
            $state = $call['state'];
            if (isset($state['policy'])) {
                $state['policy'] = mailroom_external_pop3_account::policy($state['policy']);
                $state['accounts'] = mailroom_external_pop3_account::accounts($state['accounts']);
            }
            $urls = [];
            foreach (['show', 'save', 'test', 'remove', 'pause', 'fetch'] as $u) {
                $urls[$u] = './?_task=settings&_action=plugin.mailroom_external_pop3' . ($u === 'show' ? '' : '-' . $u);
            }
            $answer = mailroom_external_pop3_view::page($state, $labels, function ($iso) { return 'D:' . $iso; },
                $urls, $call['token']);
            break;
    }
}
catch (mailroom_external_pop3_unavailable $e) {
    $answer = ['exception' => $e->getMessage(), 'reason' => $e->reason, 'seconds' => microtime(true) - $started];
}
echo json_encode($answer);
"""


@pytest.fixture
def php(tmp_path):
    driver = tmp_path / 'driver.php'
    driver.write_text(DRIVER % {'plugin': PLUGIN})

    def call(what, **arguments):
        arguments['what'] = what
        done = subprocess.run([PHP, '-d', 'display_errors=stderr', '-d', 'error_reporting=-1', str(driver)],
                              input=json.dumps(arguments).encode(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60, check=False)
        assert done.returncode == 0, done.stderr.decode()
        assert not done.stderr, done.stderr.decode()
        return json.loads(done.stdout)
    return call


class Service(roundcube_plugin.UnixSocketServer):
    """The external POP3 service's socket as a test plays it: each connection's request (all the
    client wrote until it closed its side) is kept, and answered by reply(request), a list of
    (seconds to wait, bytes to send) after which the connection is closed."""

    def __init__(self, path, reply):
        self.path = path
        self.reply = reply
        self.requests = []
        super(Service, self).__init__(path)

    def handle(self, connection):
        connection.settimeout(10)
        request = b''
        try:
            while b'\n' not in request:
                chunk = connection.recv(65536)
                if not chunk:
                    break
                request += chunk
            # The client shuts its side after the line: what else comes is kept too.
            while True:
                chunk = connection.recv(65536)
                if not chunk:
                    break
                request += chunk
        except socket.timeout:
            pass
        self.requests.append(request)
        try:
            for wait, data in self.reply(request):
                if wait:
                    time.sleep(wait)
                connection.sendall(data)
        except OSError:
            pass


@pytest.fixture
def socket_dir():
    # A short path: a Unix socket's name has at most 107 bytes.
    directory = tempfile.mkdtemp(prefix='pop3-', dir='/tmp')
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def service(socket_dir):
    started = []

    def start(reply):
        one = Service(os.path.join(socket_dir, 'webmail.sock'), reply)
        started.append(one)
        return one
    yield start
    for one in started:
        one.stop()


def answering(answer):
    return lambda request: [(0, (json.dumps(answer) + '\n').encode())]


def client(php, path, method, *args, timeout=5, test_timeout=10):
    return php('client', socket=path, timeout=timeout, test_timeout=test_timeout, method=method, args=list(args))


ID_A = 'a' * 32
ID_B = 'b' * 32
POLICY = {'allowed': True, 'interval_minutes': 10, 'max_accounts_per_user': 5, 'allow_insecure': False,
          'keep_on_server_default': True}


def public(account_id=ID_A, **fields):
    account = {'id': account_id, 'server': 'pop.example.net', 'port': 995, 'tls': 'pop3s', 'login': 'alice.ext',
               'keep': True, 'folder': 'INBOX', 'paused': False, 'password_set': True,
               'status': {'last_run': '2026-11-30T10:00:00Z', 'last_count': 3, 'total': 42, 'last_error': None}}
    status = fields.pop('status', {})
    account.update(fields)
    account['status'].update(status)
    return account


def test_list_is_one_json_line_with_the_users_credentials(php, service):
    listing = {'ok': True, 'policy': POLICY, 'accounts': [public()]}
    one = service(answering(listing))
    done = client(php, one.path, 'list_accounts', 'alice@example.test', 'pa"ss\nwörd\\')
    assert done['answer'] == listing
    assert len(one.requests) == 1
    request = one.requests[0]
    # one line, ended by its newline, and nothing after it
    assert request.endswith(b'\n') and request.count(b'\n') == 1
    assert json.loads(request) == {'op': 'list', 'user': 'alice@example.test', 'password': 'pa"ss\nwörd\\'}


@pytest.mark.parametrize('method, args, expected', [
    ('save', [{'server': 'pop.example.net', 'port': 995, 'tls': 'pop3s', 'login': 'a', 'password': '',
               'keep': True, 'folder': 'Ärchiv/2026', 'paused': False, 'id': ID_A}],
     {'op': 'save', 'account': {'server': 'pop.example.net', 'port': 995, 'tls': 'pop3s', 'login': 'a', 'password': '',
                                'keep': True, 'folder': 'Ärchiv/2026', 'paused': False, 'id': ID_A}}),
    ('test', [{'server': 'pop.example.net', 'port': 110, 'tls': 'starttls', 'login': 'a', 'password': 'x\r\ny',
               'keep': False, 'folder': 'INBOX', 'paused': False}],
     {'op': 'test', 'account': {'server': 'pop.example.net', 'port': 110, 'tls': 'starttls', 'login': 'a',
                                'password': 'x\r\ny', 'keep': False, 'folder': 'INBOX', 'paused': False}}),
    ('remove', [ID_A], {'op': 'remove', 'id': ID_A}),
    ('fetch', [], {'op': 'fetch'}),
])
def test_each_operation_sends_its_fields(php, service, method, args, expected):
    one = service(answering({'ok': True}))
    done = client(php, one.path, method, 'alice', 'secret', *args)
    assert done['answer'] == {'ok': True}
    request = one.requests[0]
    assert request.count(b'\n') == 1
    expected.update(user='alice', password='secret')
    assert json.loads(request) == expected


def test_a_refusal_comes_back_as_the_services_error(php, service):
    refusal = {'ok': False, 'error': 'Fetching mail from other servers is turned off by the administrator.'}
    one = service(answering(refusal))
    assert client(php, one.path, 'fetch', 'alice', 'secret')['answer'] == refusal


def test_a_refusal_without_reason_still_says_something(php, service):
    one = service(answering({'ok': False}))
    answer = client(php, one.path, 'fetch', 'alice', 'secret')['answer']
    assert answer['ok'] is False
    assert 'without saying why' in answer['error']


def test_an_answer_in_pieces_and_without_its_newline_is_read_whole(php, service):
    line = json.dumps({'ok': True, 'message': 'Connected: 7 message(s) on the server'}).encode()
    one = service(lambda request: [(0, line[:5]), (0.2, line[5:20]), (0.2, line[20:])])
    done = client(php, one.path, 'test', 'alice', 'secret', {'server': 'x'})
    assert done['answer'] == {'ok': True, 'message': 'Connected: 7 message(s) on the server'}


def test_only_the_first_line_counts(php, service):
    one = service(lambda request: [(0, b'{"ok": true}\n{"ok": false}\n')])
    assert client(php, one.path, 'fetch', 'alice', 'secret')['answer'] == {'ok': True}


def test_a_missing_socket_says_the_service_is_not_running(php, socket_dir):
    done = client(php, os.path.join(socket_dir, 'webmail.sock'), 'list_accounts', 'alice', 'secret')
    assert done['reason'] == 'notrunning'
    assert done['exception'].startswith('The external accounts service is not running')
    assert 'secret' not in done['exception']


def test_a_socket_nobody_listens_on_says_the_service_is_not_running(php, socket_dir):
    path = os.path.join(socket_dir, 'webmail.sock')
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(path)
    dead.close()
    done = client(php, path, 'list_accounts', 'alice', 'secret')
    assert done['reason'] == 'notrunning'


def test_a_connection_closed_without_answer_says_the_service_is_not_running(php, service):
    one = service(lambda request: [])
    done = client(php, one.path, 'list_accounts', 'alice', 'secret')
    assert done['reason'] == 'notrunning'
    assert len(one.requests) == 1


@pytest.mark.parametrize('answer', [
    b'<html>Internal error</html>\n',
    b'{"ok": true\n',
    b'[true]\n',
    b'{"accounts": []}\n',
    b'{"ok": "yes"}\n',
    b'"ok"\n',
])
def test_an_answer_that_is_not_the_services_is_refused(php, service, answer):
    one = service(lambda request: [(0, answer)])
    done = client(php, one.path, 'list_accounts', 'alice', 'secret')
    assert done['reason'] == 'badanswer'
    assert 'answer' not in done


def test_an_endless_answer_is_refused(php, service):
    one = service(lambda request: [(0, b'{"ok": true, "x": "' + b'y' * (2 * 1024 * 1024))])
    done = client(php, one.path, 'list_accounts', 'alice', 'secret')
    assert done['reason'] == 'badanswer'


def test_no_answer_in_time_is_a_timeout(php, service):
    one = service(lambda request: [(3, b'{"ok": true}\n')])
    done = client(php, one.path, 'list_accounts', 'alice', 'secret', timeout=1)
    assert done['reason'] == 'timeout'
    assert 0.9 < done['seconds'] < 2.5


def test_a_trickling_answer_cannot_outlast_the_timeout(php, service):
    # Each piece comes within the timeout; the whole does not.
    one = service(lambda request: [(0.4, b' ')] * 10 + [(0, b'{"ok": true}\n')])
    done = client(php, one.path, 'list_accounts', 'alice', 'secret', timeout=1)
    assert done['reason'] == 'timeout'
    assert done['seconds'] < 2


def test_a_connection_test_has_longer(php, service):
    one = service(lambda request: [(1.5, b'{"ok": false, "error": "-ERR [AUTH] Authentication failed."}\n')])
    done = client(php, one.path, 'test', 'alice', 'secret', {'server': 'x'}, timeout=1, test_timeout=5)
    assert done['answer'] == {'ok': False, 'error': '-ERR [AUTH] Authentication failed.'}


def test_text_that_is_not_utf8_is_never_sent(php, service):
    one = service(answering({'ok': True}))
    done = php('client', socket=one.path, timeout=5, test_timeout=5, method='list_accounts',
               args_hex=[b'alice'.hex(), b'caf\xe9'.hex()])
    assert done['reason'] == 'badrequest'
    assert one.requests == []


# The service's records, and the form.

def test_policy_defaults_are_the_safe_ones(php):
    assert php('policy', policy=None) == {'allowed': False, 'interval_minutes': 10, 'max_accounts_per_user': 0,
                                          'allow_insecure': False, 'keep_on_server_default': True}
    assert php('policy', policy={'allowed': 'true', 'allow_insecure': 1, 'interval_minutes': '5'})['allowed'] is False
    assert php('policy', policy=POLICY) == POLICY


def test_accounts_are_given_known_types(php):
    odd = {'id': '../' + 'a' * 29, 'server': ['x'], 'port': '995', 'tls': None, 'login': 7,
           'status': {'last_run': 5, 'last_count': '3', 'total': None, 'last_error': '   '}}
    assert php('accounts', accounts=[public(), odd, 'junk']) == [
        {'id': ID_A, 'server': 'pop.example.net', 'port': 995, 'tls': 'pop3s', 'login': 'alice.ext', 'keep': True,
         'folder': 'INBOX', 'paused': False, 'last_run': '2026-11-30T10:00:00Z', 'last_count': 3, 'total': 42,
         'last_error': None},
        {'id': None, 'server': '', 'port': None, 'tls': '', 'login': '7', 'keep': True, 'folder': 'INBOX',
         'paused': False, 'last_run': None, 'last_count': 0, 'total': 0, 'last_error': None},
    ]


@pytest.mark.parametrize('given, expected', [
    ({'_server': ' pop.example.net ', '_port': '', '_tls': 'pop3s', '_login': 'a', '_password': '<p&ss>',
      '_keep': '1', '_folder': 'Archiv'},
     {'server': 'pop.example.net', 'port': 995, 'tls': 'pop3s', 'login': 'a', 'password': '<p&ss>', 'keep': True,
      'folder': 'Archiv', 'paused': False}),
    ({'_id': ID_B, '_server': 'pop.example.net', '_port': '', '_tls': 'starttls', '_login': 'a', '_password': '',
      '_paused': '1'},
     {'id': ID_B, 'server': 'pop.example.net', 'port': 110, 'tls': 'starttls', 'login': 'a', 'password': '',
      'keep': False, 'folder': 'INBOX', 'paused': True}),
    ({'_id': '../x', '_server': 'h', '_port': '12x', '_tls': 'none', '_login': 'a'},
     {'server': 'h', 'port': '12x', 'tls': 'none', 'login': 'a', 'password': '', 'keep': False, 'folder': 'INBOX',
      'paused': False}),
    ({'_server': 'h', '_port': ' 1100 ', '_tls': 'pop3s', '_login': 'a', '_keep': '0'},
     {'server': 'h', 'port': 1100, 'tls': 'pop3s', 'login': 'a', 'password': '', 'keep': False, 'folder': 'INBOX',
      'paused': False}),
])
def test_the_form_becomes_an_account(php, given, expected):
    assert php('from_input', input=given) == expected


def test_pausing_keeps_the_stored_password_and_everything_else(php):
    assert php('to_save', account=public(folder='Ext', keep=False), changes={'paused': True}) == {
        'id': ID_A, 'server': 'pop.example.net', 'port': 995, 'tls': 'pop3s', 'login': 'alice.ext', 'password': '',
        'keep': False, 'folder': 'Ext', 'paused': True}


# The page.

HOSTILE_ERROR = '<script>x</script>\nFOO'


def page(php, accounts=(), policy=None, token='tok"en', **state):
    state.update(policy=dict(POLICY, **(policy or {})), accounts=list(accounts))
    return php('page', state=state, token=token)


def test_hostile_server_texts_are_escaped(php):
    hostile = public(server='pop.example.net"><img src=x onerror=alert(1)>', login="<b>o'hara</b>",
                     folder='<i>Ordner</i>', tls='<u>x</u>',
                     status={'last_error': HOSTILE_ERROR, 'last_run': '"><script>y</script>'})
    html = page(php, [hostile], folders={'<i>Ordner</i>': '<i>Ordner</i>', 'INBOX': 'Inbox'},
                form=dict(hostile, id=ID_A), form_error='-ERR <b>no</b>\r\nbye',
                test={'ok': False, 'text': 'certificate verify failed: <CN="evil">'})
    for raw in ('<script', '<img', '<b>', '<i>', '<u>', 'onerror=alert(1)>'):
        assert raw not in html
    # the last error, prominently and as text: its newline is kept (CSS shows it), not made markup
    assert ('<tr class="last-error" data-account-id="%s"><td colspan="9"><div class="boxerror">'
            '<strong>L:lasterror</strong> <span class="error-text">&lt;script&gt;x&lt;/script&gt;\nFOO</span>'
            '</div></td></tr>' % ID_A) in html
    assert '&lt;b&gt;o&apos;hara&lt;/b&gt;' in html
    assert 'pop.example.net&quot;&gt;&lt;img src=x onerror=alert(1)&gt;:995' in html
    assert 'data-last-run="&quot;&gt;&lt;script&gt;y&lt;/script&gt;"' in html
    assert 'data-account-name="&lt;b&gt;o&apos;hara&lt;/b&gt; @ pop.example.net&quot;' in html
    assert '<span class="server-text">-ERR &lt;b&gt;no&lt;/b&gt;\r\nbye</span>' in html
    assert 'certificate verify failed: &lt;CN=&quot;evil&quot;&gt;' in html
    assert '<option value="&lt;i&gt;Ordner&lt;/i&gt;" selected>&lt;i&gt;Ordner&lt;/i&gt;</option>' in html
    assert 'name="_token" value="tok&quot;en"' in html


def test_the_list_shows_each_account(php):
    second = public(ID_B, server='mail.example.org', port=110, tls='starttls', keep=False, folder='Ext/Old', paused=True,
                    status={'last_run': None, 'last_count': 0, 'total': 0})
    html = page(php, [public(), second])
    assert ('<tr class="account" data-account-id="%s"><td class="server">pop.example.net:995</td>'
            '<td class="tls" data-tls="pop3s">L:tlsshort_pop3s</td><td class="login">alice.ext</td>'
            '<td class="keep" data-keep="true">L:kept</td><td class="folder">INBOX</td>'
            '<td class="state" data-paused="false">L:active</td>'
            '<td class="last-run" data-last-run="2026-11-30T10:00:00Z">D:2026-11-30T10:00:00Z</td>'
            '<td class="count" data-last-count="3" data-total="42">3 / 42</td>' % ID_A) in html
    assert ('<tr class="account paused" data-account-id="%s"><td class="server">mail.example.org:110</td>' % ID_B) in html
    assert '<td class="last-run" data-last-run="never">L:never</td>' in html
    assert '<td class="keep" data-keep="false">L:deleted</td>' in html
    # actions: edit (a link), pause or resume, remove, each form with the token and the id
    assert 'href="./?_task=settings&amp;_action=plugin.mailroom_external_pop3&amp;_edit=%s"' % ID_A in html
    assert ('<input type="hidden" name="_id" value="%s"><input type="hidden" name="_paused" value="0">'
            '<button type="submit" class="btn btn-secondary btn-sm resume">L:resume</button>' % ID_B) in html
    assert ('<input type="hidden" name="_id" value="%s"><input type="hidden" name="_paused" value="1">'
            '<button type="submit" class="btn btn-secondary btn-sm pause">L:pause</button>' % ID_A) in html
    assert html.count('class="remove-form" method="post" action="./?_task=settings&amp;_action='
                      'plugin.mailroom_external_pop3-remove"') == 2
    assert 'class="last-error"' not in html
    assert 'mailroom-external-pop3-empty' not in html
    # fetch now, policy, and the empty form for a new account
    assert 'class="fetch-form" method="post"' in html
    assert ('<p id="mailroom-external-pop3-policy" class="allowed hint" data-interval-minutes="10" '
            'data-max-accounts="5">L:policyinterval 10 L:policymax 5</p>') in html
    assert '<legend>L:addaccount</legend>' in html


def test_a_new_account_form(php):
    html = page(php, [], policy={'keep_on_server_default': False}, folders={'INBOX': 'Inbox', 'Ext': 'Ext'})
    assert '<p id="mailroom-external-pop3-empty" class="hint">L:noaccounts</p>' in html
    assert 'fetch-form' not in html
    assert 'name="_id"' not in html
    assert '<input type="number" name="_port" id="mailroom-external-pop3-form-port" class="form-control" min="1" ' \
           'max="65535" value="995">' in html
    assert '<option value="pop3s" selected data-port="995">L:tls_pop3s</option>' in html
    assert '<option value="starttls" data-port="110">L:tls_starttls</option>' in html
    assert 'value="none"' not in html
    assert 'name="_password" id="mailroom-external-pop3-form-password" class="form-control" ' \
           'autocomplete="new-password" required value=""' in html
    assert 'name="_keep" value="1" id="mailroom-external-pop3-form-keep">' in html
    assert '<option value="INBOX" selected>Inbox</option><option value="Ext">Ext</option>' in html
    assert 'formaction="./?_task=settings&amp;_action=plugin.mailroom_external_pop3-test"' in html
    assert 'action="./?_task=settings&amp;_action=plugin.mailroom_external_pop3-save"' in html
    assert '<div id="mailroom-external-pop3-test-result" role="status" aria-live="polite" class="test-result"></div>' \
        in html
    assert 'mailroom-external-pop3-form-error' not in html
    assert 'L:passwordagain' not in html


def test_keep_starts_as_the_policy_says(php):
    html = page(php, [], policy={'keep_on_server_default': True})
    assert 'name="_keep" value="1" id="mailroom-external-pop3-form-keep" checked>' in html


def test_unencrypted_only_when_the_administrator_allows_it(php):
    html = page(php, [], policy={'allow_insecure': True})
    assert '<option value="none" data-port="110">L:tls_none</option>' in html


def test_editing_never_shows_the_password(php):
    account = public(tls='starttls', port=1110, folder='Gone')
    html = page(php, [account], form=account, folders={'INBOX': 'Inbox'})
    assert '<legend>L:editaccount alice.ext @ pop.example.net</legend>' in html
    assert '<input type="hidden" name="_id" value="%s">' % ID_A in html
    assert 'placeholder="L:passwordkeep" value=""' in html
    assert ' required value=""' not in html
    assert 'value="1110"' in html
    # a folder not among the user's stays selected
    assert '<option value="Gone" selected>Gone</option><option value="INBOX">Inbox</option>' in html
    assert 'class="btn btn-secondary cancel"' in html
    assert 'class="account editing"' in html


def test_test_outcome_is_shown_below_the_form(php):
    html = page(php, [], test={'ok': True, 'text': 'Connected: 2 message(s) on the server'})
    assert ('<div id="mailroom-external-pop3-test-result" role="status" aria-live="polite" '
            'class="test-result ok boxconfirmation"><strong>L:testok</strong> '
            '<span class="server-text">Connected: 2 message(s) on the server</span></div>') in html
    # the form came back without its password: the field says so
    assert 'autocomplete="new-password" placeholder="L:passwordagain" required value=""' in html


def test_at_the_limit_no_new_account_can_be_added(php):
    accounts = [public('%032x' % n) for n in range(2)]
    html = page(php, accounts, policy={'max_accounts_per_user': 2})
    assert '<p id="mailroom-external-pop3-limit" class="hint limit">L:limitreached 2</p>' in html
    assert 'mailroom-external-pop3-form' not in html
    # changing one still can
    html = page(php, accounts, policy={'max_accounts_per_user': 2}, form=accounts[0])
    assert 'id="mailroom-external-pop3-form"' in html
    assert 'mailroom-external-pop3-limit' not in html


def test_turned_off_by_the_administrator_the_accounts_are_only_listed(php):
    html = page(php, [public(status={'last_error': 'x'})], policy={'allowed': False}, form=public())
    assert '<p id="mailroom-external-pop3-policy" class="disabled boxwarning"' in html
    assert 'L:disabled' in html
    for absent in ('<form id="mailroom-external-pop3-form"', 'fetch-form', 'pause-form', 'remove-form',
                   'class="btn btn-secondary btn-sm edit"', 'L:policyinterval', '_token'):
        assert absent not in html
    assert '<tr class="account failed" data-account-id="%s">' % ID_A in html
    assert '<td class="actions"></td>' in html
    assert 'class="last-error"' in html


def test_an_account_without_a_proper_id_offers_no_action(php):
    html = page(php, [public('nothex')])
    assert '<tr class="account" data-account-id=""><td class="server">' in html
    assert '<td class="actions"></td>' in html
    assert 'fetch-form' not in html


def test_without_a_list_only_the_reason_is_shown(php):
    html = php('page', state={'error': 'Login failed <b>\nx'}, token='t')
    assert html == ('<div id="mailroom-external-pop3" class="mailroom-external-pop3">'
                    '<div id="mailroom-external-pop3-error" class="boxerror" role="alert">'
                    '<p class="message">L:serviceerror</p><p class="server-text">Login failed &lt;b&gt;\nx</p>'
                    '</div></div>')


def test_every_plugin_file_is_valid_php():
    assert roundcube_plugin.syntax_errors('mailroom_external_pop3') == []


def test_both_languages_have_every_text():
    texts = dict((language, roundcube_plugin.texts('mailroom_external_pop3', language)) for language in ('en_US', 'de_DE'))
    assert texts['en_US'] == texts['de_DE']
    # every label the view asks for, and every reason the client gives, has a text
    done = subprocess.run([PHP, '-r', 'require $argv[1]; require $argv[2]; echo json_encode(mailroom_external_pop3_view::LABELS);',
                           os.path.join(PLUGIN, 'lib', 'mailroom_external_pop3_view.php'),
                           os.path.join(PLUGIN, 'lib', 'mailroom_external_pop3_account.php')],
                          stdout=subprocess.PIPE, check=True)
    assert set(json.loads(done.stdout)) <= texts['en_US'][0]
    assert {'notrunning', 'timeout', 'badanswer', 'badrequest'} <= texts['en_US'][1]
