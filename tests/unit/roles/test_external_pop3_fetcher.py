# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The external POP3 fetcher (roles/external_pop3/files): account checks, the policy file, the
journal that makes each message arrive once, and whole runs against a small POP3 server on
loopback (plain POP3: TLS is proven against Dovecot in the Molecule target), with Dovecot's
delivery replaced by a recorder."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import socket
import socketserver
import threading

import pytest

from ansible_collections.mailroom.server.tests.unit.roles import role_program

role_program.files('external_pop3')

import mailroom_external_pop3 as core  # noqa: E402  pylint: disable=wrong-import-position

program = role_program.load('external_pop3', 'mailroom-external-pop3', 'mailroom_external_pop3_program')

POLICY = dict(core.POLICY_DEFAULTS, allowed=True)


# --- account checks ----------------------------------------------------------------------------------

def test_new_account_takes_the_defaults_and_a_fresh_id():
    entry = core.checked_account({'server': 'POP.Example.NET', 'login': 'me', 'password': 'pw'}, None, POLICY)
    assert entry['server'] == 'pop.example.net'
    assert (entry['tls'], entry['port'], entry['keep'], entry['folder'], entry['paused']) == ('pop3s', 995, True, 'INBOX', False)
    assert core.ACCOUNT_ID.match(entry['id'])
    other = core.checked_account({'server': 'pop.example.net', 'login': 'me', 'password': 'pw'}, None, POLICY)
    assert other['id'] != entry['id']


def test_starttls_defaults_to_port_110_and_keep_follows_the_policy():
    policy = dict(POLICY, keep_on_server_default=False)
    entry = core.checked_account({'server': 'pop.example.net', 'login': 'me', 'password': 'pw', 'tls': 'starttls'},
                                 None, policy)
    assert (entry['port'], entry['keep']) == (110, False)


@pytest.mark.parametrize('field, value, message', [
    ('password', 'pw\r\nDELE 1', 'one line'),
    ('login', 'me\nPASS x', 'one line'),
    ('folder', 'Archive\x00', 'one line'),
    ('server', 'pop.example.net\nx', 'host name'),
    ('server', 'pop..example.net', 'not a valid host name'),
    ('server', '-pop.example.net', 'not a valid host name'),
    ('port', 70000, '1 to 65535'),
    ('port', '995', '1 to 65535'),
    ('tls', 'ssl', 'TLS must be one of'),
    ('tls', 'none', 'does not allow POP3 without TLS'),
    ('keep', 'yes', 'true or false'),
])
def test_bad_fields_are_refused_with_what_is_wrong(field, value, message):
    given = {'server': 'pop.example.net', 'login': 'me', 'password': 'pw'}
    given[field] = value
    with pytest.raises(core.Refused, match=message):
        core.checked_account(given, None, POLICY)


def test_plain_pop3_only_when_the_policy_allows_it():
    policy = dict(POLICY, allow_insecure=True)
    entry = core.checked_account({'server': 'pop.example.net', 'login': 'me', 'password': 'pw', 'tls': 'none'},
                                 None, policy)
    assert (entry['tls'], entry['port']) == ('none', 110)


def test_a_new_account_needs_a_password_an_edit_keeps_the_stored_one():
    with pytest.raises(core.Refused, match='needs its password'):
        core.checked_account({'server': 'pop.example.net', 'login': 'me', 'password': ''}, None, POLICY)
    stored = core.checked_account({'server': 'pop.example.net', 'login': 'me', 'password': 'old'}, None, POLICY)
    edited = core.checked_account({'folder': 'Archive', 'keep': False, 'password': ''}, stored, POLICY)
    expected = (stored['id'], 'old', 'Archive', stored['secret'])
    assert (edited['id'], edited['password'], edited['folder'], edited['secret']) == expected


@pytest.mark.parametrize('change', [{'server': 'elsewhere.example'}, {'port': 1995}, {'tls': 'starttls'},
                                    {'login': 'someone-else'}])
def test_the_stored_password_never_goes_to_another_server_or_login(change):
    stored = core.checked_account({'server': 'pop.example.net', 'login': 'me', 'password': 'old'}, None, POLICY)
    with pytest.raises(core.Refused, match='enter the password again'):
        core.checked_account(dict(change, password=''), stored, POLICY)
    moved = core.checked_account(dict(change, password='new'), stored, POLICY)
    assert moved['password'] == 'new' and moved['id'] == stored['id']


def test_surrogates_and_option_like_folders_are_refused():
    given = {'server': 'pop.example.net', 'login': 'me', 'password': 'pw'}
    with pytest.raises(core.Refused, match='not valid text'):
        core.checked_account(dict(given, folder=u'half \ud800'), None, POLICY)
    with pytest.raises(core.Refused, match='must not start with'):
        core.checked_account(dict(given, folder='-oFoo'), None, POLICY)


def test_tokens_need_the_accounts_secret():
    entry = core.checked_account({'server': 'pop.example.net', 'login': 'me', 'password': 'pw'}, None, POLICY)
    other = dict(entry, secret='0' * 32)
    assert core.TOKEN.fullmatch(core.token(entry, 'aa'))
    assert core.token(entry, 'aa').startswith(entry['id'] + '.')
    assert core.token(entry, 'aa') != core.token(other, 'aa') != core.token(entry, 'ab')


def test_a_new_login_is_a_new_journal_a_new_server_name_is_not():
    entry = core.checked_account({'server': 'pop.example.net', 'login': 'me', 'password': 'pw'}, None, POLICY)
    assert core.journal_name(dict(entry, server='pop3.example.net')) == core.journal_name(entry)
    assert core.journal_name(dict(entry, login='you')) != core.journal_name(entry)


def test_the_public_view_never_holds_the_password():
    entry = core.checked_account({'server': 'pop.example.net', 'login': 'me', 'password': 'sekrit'}, None, POLICY)
    shown = core.public(entry, {'total': 4})
    assert 'sekrit' not in json.dumps(shown)
    assert shown['password_set'] is True and shown['status']['total'] == 4


@pytest.mark.parametrize('address', ['127.0.0.1', '::1', '::ffff:127.0.0.1', '169.254.169.254', 'fe80::1',
                                     '0.0.0.0', '224.0.0.1', '100.100.100.200', 'fd00:ec2::254', '172.17.0.2'])
def test_this_host_and_link_local_services_are_never_contacted(address):
    assert core.forbidden_address(address, own={'172.17.0.2'}) is not None


@pytest.mark.parametrize('address', ['192.0.2.10', '10.1.2.3', '172.17.0.3', '2001:db8::5'])
def test_other_hosts_may_be_contacted(address):
    assert core.forbidden_address(address) is None


# --- policy and timers -----------------------------------------------------------------------------------

def test_a_policy_file_not_ours_allows_nothing():
    assert core.parse_policy('')['allowed'] is False
    assert core.parse_policy('{"allowed": true}')['allowed'] is False
    assert core.parse_policy('not json')['allowed'] is False
    text = json.dumps(dict(core.POLICY_DEFAULTS, allowed=True, interval_minutes=5000))
    assert core.parse_policy(text)['allowed'] is True
    assert core.parse_policy(text)['interval_minutes'] == 10


def test_the_timer_interval_drop_in_gives_the_first_run_back():
    text = core.timer_dropin(7)
    # An empty OnUnitActiveSec= or OnActiveSec= resets every trigger of the template.
    assert text.index('OnActiveSec=\n') < text.index('OnActiveSec=20s') < text.index('OnUnitActiveSec=7min')


def test_unit_names_map_back_to_logins_and_refuse_others():
    assert core.login_of_unit(core.timer_name('alice')) == 'alice'
    assert core.login_of_unit('mailroom-external-pop3@../x.timer') is None
    assert core.login_of_unit('other@alice.timer') is None


def test_accounts_over_the_limit_or_paused_are_skipped():
    accounts = [dict(id=str(n), tls='pop3s', paused=(n == 1)) for n in range(4)]
    reasons = [reason for _entry, reason in core.fetchable(accounts, dict(POLICY, max_accounts_per_user=3))]
    assert reasons[0] is None and reasons[1] == 'paused' and reasons[2] is None and 'limit of 3' in reasons[3]


# --- the journal ----------------------------------------------------------------------------------------

def test_journal_lines_read_back_pending_until_done():
    text = core.pending_line('aa', 10) + core.done_line('aa') + core.pending_line('bb', 11) + 'garbage\n'
    done, pending = core.read_journal(text)
    assert done == {'aa'} and pending == {'bb': 11}


def test_compaction_keeps_what_the_server_still_has_and_unresolved_pending():
    text = core.compacted({'aa', 'bb'}, {'cc': 5}, {'aa', 'cc'})
    assert core.read_journal(text) == ({'aa'}, {'cc': 5})


def test_uidl_lines_are_parsed_and_malformed_ones_refused():
    assert core.parse_uidl([b'1 abc', b'2 d:e f']) == [(1, b'abc'), (2, b'd:e f')]
    with pytest.raises(ValueError):
        core.parse_uidl([b'1'])


# --- whole runs against a POP3 server -------------------------------------------------------------------

class Mailbox(object):
    def __init__(self, messages, uidl=True, stls=False):
        self.messages = dict((n + 1, ('uid-%d' % (n + 1), body)) for n, body in enumerate(messages))
        self.uidl = uidl
        self.stls = stls
        self.deleted = []
        self.logins = []
        self.greeting = b'+OK fake POP3 ready'


class Handler(socketserver.StreamRequestHandler):
    def send(self, line):
        self.wfile.write(line + b'\r\n')

    def handle(self):
        box = self.server.box
        marked = set()
        self.send(box.greeting)
        while True:
            line = self.rfile.readline()
            if not line:
                return
            words = line.strip().split(b' ', 1)
            command = words[0].upper()
            if command == b'USER':
                box.logins.append(words[1])
                self.send(b'+OK')
            elif command == b'PASS':
                self.send(b'+OK logged in' if words[1] == b'right' else b'-ERR [AUTH] Authentication failed.')
            elif command == b'STAT':
                self.send(b'+OK %d 0' % len(box.messages))
            elif command == b'CAPA':
                self.send(b'+OK\r\nUSER\r\nUIDL\r\n.')
            elif command == b'UIDL' and box.uidl:
                self.send(b'+OK')
                for number, (uid, _body) in sorted(box.messages.items()):
                    self.send(b'%d %s' % (number, uid.encode()))
                self.send(b'.')
            elif command == b'LIST' and len(words) == 1:
                self.send(b'+OK')
                for number, (_uid, body) in sorted(box.messages.items()):
                    self.send(b'%d %d' % (number, len(body)))
                self.send(b'.')
            elif command == b'RETR':
                _uid, body = box.messages[int(words[1])]
                self.send(b'+OK')
                for text in body[:-2].split(b'\r\n') if body.endswith(b'\r\n') else body.split(b'\r\n'):
                    self.send(b'.' + text if text.startswith(b'.') else text)
                self.send(b'.')
            elif command == b'DELE':
                marked.add(int(words[1]))
                self.send(b'+OK')
            elif command == b'QUIT':
                for number in sorted(marked):
                    box.deleted.append(box.messages.pop(number)[0])
                self.send(b'+OK bye')
                return
            else:
                self.send(b'-ERR unknown command')


@pytest.fixture
def pop3_server():
    servers = []

    def start(box):
        server = socketserver.ThreadingTCPServer(('127.0.0.1', 0), Handler)
        server.daemon_threads = True
        server.box = box
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server.server_address[1]

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


class Recorder(object):
    """Dovecot's side: keeps what each committed batch held; can stop a run right after a
    commit, as a kill between Dovecot's answer and the journal's done lines would."""

    delivered = []
    batches = []
    stop_after_batches = None

    def __init__(self, login, folder):
        self.folder = folder
        self.open = []

    def add(self, message):
        self.open.append(message)

    def commit(self):
        if not self.open:
            return
        # Dovecot refuses the whole transaction for one message it will not take.
        for word, answer in ((b'TOO-LARGE', b'NO [LIMIT] Mail too large'), (b'QUOTA-FULL', b'NO [OVERQUOTA] Quota exceeded')):
            if any(word in message for message in self.open):
                self.open = []
                raise program.SaveRefused('Dovecot did not save the messages: %s' % answer.decode(), answer)
        Recorder.delivered.extend(self.open)
        Recorder.batches.append(len(self.open))
        self.open = []
        if Recorder.stop_after_batches is not None and len(Recorder.batches) >= Recorder.stop_after_batches:
            Recorder.stop_after_batches = None
            raise KeyboardInterrupt('killed')

    def close(self):
        # An open batch is never saved: Dovecot aborts a command cut short.
        self.open = []


@pytest.fixture
def host(tmp_path, monkeypatch):
    """The program's files in a temporary directory, loopback allowed (the test server), Dovecot
    recorded, and the folder's tokens read from what was recorded."""
    monkeypatch.setattr(program, 'STATE_DIR', str(tmp_path / 'state'))
    monkeypatch.setattr(program, 'POLICY_FILE', str(tmp_path / 'policy.json'))
    (tmp_path / 'policy.json').write_text(json.dumps(POLICY))
    monkeypatch.setattr(core, 'forbidden_address', lambda address, own=(): None)
    monkeypatch.setattr(program, 'Appender', Recorder)
    monkeypatch.setattr(program, 'BATCH_MESSAGES', 3)
    monkeypatch.setattr(program, 'tokens_in_folder', lambda login, folder, since: set(
        core.TOKEN.findall(b''.join(Recorder.delivered).decode('ascii', 'replace'))))
    Recorder.delivered = []
    Recorder.batches = []
    Recorder.stop_after_batches = None
    return tmp_path


def account(port, **changes):
    entry = core.checked_account(dict({'server': 'localhost', 'port': port, 'tls': 'none', 'login': 'ext',
                                       'password': 'right'}, **changes), None, dict(POLICY, allow_insecure=True))
    return entry


def run(entry):
    """One run of the account: the number of messages saved (what was left is checked apart)."""
    count, _left = program.fetch_account('alice', entry, program.PolicyWatch(), 'mail.example.test')
    return count


def subjects():
    return sorted(m.split(b'Subject: ')[1].split(b'\r\n')[0] for m in Recorder.delivered)


def messages(count):
    return [b'Subject: m%03d\r\n\r\nbody %d\r\n..dot line\r\n' % (n, n) for n in range(count)]


def test_each_message_arrives_once_over_two_runs_and_stays_when_kept(host, pop3_server):
    box = Mailbox(messages(5))
    entry = account(pop3_server(box))
    assert run(entry) == 5
    box.messages[6] = ('uid-6', b'Subject: m005\r\n\r\nlate\r\n')
    assert run(entry) == 1
    assert subjects() == [b'm%03d' % n for n in range(6)]
    assert len(box.messages) == 6 and box.deleted == []


def test_delivered_bytes_are_the_servers_below_our_headers(host, pop3_server):
    long_line = b'x' * 5000
    original = b'Return-Path: <s@elsewhere.test>\r\nSubject: long\r\n\r\n' + long_line + b'\r\n.starts with a dot\r\n'
    entry = account(pop3_server(Mailbox([original])))
    run(entry)
    (message,) = Recorder.delivered
    head, rest = message.split(b'\r\nReturn-Path', 1)
    assert b'Received: from localhost by mail.example.test' in head
    assert b'X-Mailroom-Fetched: ' + core.token(entry, core.uid_key(b'uid-1')).encode() in head
    assert core.TOKEN.findall(head.decode()) == [core.token(entry, core.uid_key(b'uid-1'))]
    assert b'Return-Path' + rest == original


def test_messages_go_in_batches_of_the_configured_size(host, pop3_server):
    assert run(account(pop3_server(Mailbox(messages(7))))) == 7
    assert Recorder.batches == [3, 3, 1]


def test_a_run_killed_after_a_commit_gives_every_message_exactly_once(host, pop3_server):
    box = Mailbox(messages(20))
    entry = account(pop3_server(box))
    Recorder.stop_after_batches = 2
    with pytest.raises(KeyboardInterrupt):
        run(entry)
    # Six were saved, their journal lines still pending: the next run finds them in the folder
    # by their tokens instead of saving them again.
    assert len(Recorder.delivered) == 6
    assert run(entry) == 14
    assert subjects() == [b'm%03d' % n for n in range(20)]


def test_a_run_killed_inside_a_batch_saves_none_of_it_and_loses_nothing(host, pop3_server, monkeypatch):
    box = Mailbox(messages(8))
    entry = account(pop3_server(box))
    original = program.long_answer
    calls = []

    def retr_then_die(conn, command, most_bytes, most_lines):
        if command.startswith('RETR'):
            calls.append(command)
            if len(calls) == 5:
                raise KeyboardInterrupt('killed while the second batch was being sent')
        return original(conn, command, most_bytes, most_lines)

    monkeypatch.setattr(program, 'long_answer', retr_then_die)
    with pytest.raises(KeyboardInterrupt):
        run(entry)
    assert len(Recorder.delivered) == 3
    monkeypatch.setattr(program, 'long_answer', original)
    assert run(entry) == 5
    assert subjects() == [b'm%03d' % n for n in range(8)]


def test_a_pending_message_not_in_the_mailbox_is_delivered_again(host, pop3_server, monkeypatch):
    box = Mailbox(messages(3))
    entry = account(pop3_server(box))
    journal = program.Journal(program.journal_path('alice', entry))
    journal.mark_pending([core.uid_key(b'uid-2')], 100)
    journal.close()
    assert run(entry) == 3
    assert subjects() == [b'm000', b'm001', b'm002']


def test_delete_mode_removes_each_message_after_it_arrived(host, pop3_server):
    box = Mailbox(messages(4))
    entry = account(pop3_server(box), keep=False)
    assert run(entry) == 4
    assert box.messages == {} and box.deleted == ['uid-1', 'uid-2', 'uid-3', 'uid-4']
    assert core.read_journal(open(program.journal_path('alice', entry)).read()) == (set(), {})


def test_a_renamed_server_does_not_fetch_everything_again(host, pop3_server):
    box = Mailbox(messages(3))
    port = pop3_server(box)
    entry = account(port)
    run(entry)
    renamed = dict(entry, server='127.0.0.1')
    assert run(renamed) == 0
    assert len(Recorder.delivered) == 3


def test_the_servers_own_refusal_is_what_the_user_sees(host, pop3_server):
    entry = account(pop3_server(Mailbox(messages(1))), password='wrong')
    with pytest.raises(program.FetchError, match=r'the server answered: -ERR \[AUTH\] Authentication failed\.'):
        run(entry)
    assert Recorder.delivered == []


def test_starttls_is_required_when_chosen_never_skipped(host, pop3_server):
    entry = account(pop3_server(Mailbox(messages(1))), tls='starttls')
    with pytest.raises(program.FetchError, match='STLS not supported'):
        run(entry)
    assert Recorder.delivered == []


def test_a_server_without_uidl_is_refused_not_fetched_again_and_again(host, pop3_server):
    entry = account(pop3_server(Mailbox(messages(2), uidl=False)))
    with pytest.raises(program.FetchError, match='UIDL'):
        run(entry)
    assert Recorder.delivered == []


def test_turning_fetching_off_stops_a_run_between_messages(host, pop3_server, monkeypatch):
    box = Mailbox(messages(5))
    entry = account(pop3_server(box))
    (host / 'policy.json').write_text(json.dumps(dict(POLICY, allowed=False)))
    monkeypatch.setattr(program, 'POLICY_EVERY', -1)
    with pytest.raises(program.FetchError, match='turned off'):
        run(entry)
    assert Recorder.delivered == []


def test_folder_names_are_modified_utf7_quoted_for_imap():
    # RFC 3501's own example, and the characters a quoted string escapes.
    assert core.imap_utf7(u'~peter/mail/\u53f0\u5317/\u65e5\u672c\u8a9e') == '~peter/mail/&U,BTFw-/&ZeVnLIqe-'
    assert core.imap_quoted(u'A&B "x" \\ \u00dc') == b'"A&-B \\"x\\" \\\\ &ANw-"'


def test_the_connection_test_counts_messages_and_reports_refusals(host, pop3_server):
    port = pop3_server(Mailbox(messages(3)))
    assert program.test_account(account(port)) == 'Connected: 3 message(s) on the server'
    with pytest.raises(program.FetchError, match='Authentication failed'):
        program.test_account(account(port, password='wrong'))


def test_a_forbidden_address_is_never_connected(monkeypatch):
    answer = [(socket.AF_INET, socket.SOCK_STREAM, 6, '', ('127.0.0.1', 110))]
    monkeypatch.setattr(socket, 'getaddrinfo', lambda host, port, type: answer)
    with pytest.raises(program.FetchError, match='127.0.0.1: it is this host'):
        program.vetted_address('sneaky.example.net', 110)


# --- the webmail's and the admin's requests -----------------------------------------------------------

@pytest.fixture
def service(host, monkeypatch):
    """serve() and admin() with Dovecot's answers stood in: alice and bob exist (passwords
    alice-pw and bob-pw), and starting timers is recorded."""
    passwords = {'alice': 'alice-pw', 'bob': 'bob-pw'}
    monkeypatch.setattr(program, 'authenticate',
                        lambda user, password, service: user
                        if passwords.get(user) == password and service == 'mailroom-external-pop3' else None)
    monkeypatch.setattr(program, 'account_owner',
                        lambda login: {'uid': '100%d' % len(login), 'home': '/home/' + login} if login in passwords else None)
    monkeypatch.setattr(program, 'FAILED_LOGIN_DELAY', 0)
    applied = []
    monkeypatch.setattr(program, 'apply', lambda check=False, only=None: applied.append(only))
    return applied


def ask(op, user='alice', password='alice-pw', **fields):
    """One request as the webmail sends it (a JSON line), the answer as it reads it."""
    import io
    out = io.BytesIO()
    program.answer_one(program.serve, io.BytesIO(json.dumps(dict(op=op, user=user, password=password, **fields))
                                                 .encode() + b'\n'), out)
    return json.loads(out.getvalue())


NEW = {'server': 'pop.example.net', 'login': 'me@example.net', 'password': 'external-pw'}


def test_a_wrong_password_gets_nothing(service):
    ask('save', account=NEW)
    answer = ask('list', password='guess')
    assert answer == {'ok': False, 'error': 'Your login was not accepted.'}


def test_accounts_are_listed_without_passwords_and_only_the_users_own(service):
    saved = ask('save', account=NEW)
    assert saved['ok'] and saved['account']['password_set'] is True
    listed = ask('list')
    assert [entry['login'] for entry in listed['accounts']] == ['me@example.net']
    assert 'external-pw' not in json.dumps(listed)
    assert ask('list', user='bob', password='bob-pw')['accounts'] == []
    # bob cannot reach alice's account by its id.
    account_id = saved['account']['id']
    for op, fields in (('remove', {'id': account_id}), ('save', {'account': dict(NEW, id=account_id)})):
        answer = ask(op, user='bob', password='bob-pw', **fields)
        assert answer == {'ok': False, 'error': 'that account no longer exists'}
    assert len(ask('list')['accounts']) == 1
    assert service == ['alice']


def test_the_policys_limits_hold_whatever_the_form_sent(service, host):
    (host / 'policy.json').write_text(json.dumps(dict(POLICY, max_accounts_per_user=1)))
    assert ask('save', account=NEW)['ok']
    second = ask('save', account=dict(NEW, login='other'))
    assert not second['ok'] and 'the most allowed' in second['error']
    plain = ask('save', account=dict(NEW, tls='none'))
    assert not plain['ok'] and 'without TLS' in plain['error']


def test_nothing_but_listing_while_fetching_is_not_allowed(service, host):
    (host / 'policy.json').write_text(json.dumps(dict(POLICY, allowed=False)))
    assert ask('list')['policy']['allowed'] is False
    for op in ('save', 'test', 'fetch', 'remove'):
        assert ask(op, account=NEW, id='0' * 32)['error'] == program.NOT_ALLOWED


def test_malformed_requests_are_refused_clearly(service):
    assert ask('drop_all')['error'] == "unknown request 'drop_all'"
    assert ask('remove')['error'] == 'which account to remove is missing'
    assert ask('save', account='x')['error'] == 'an account must be an object'


def test_requests_are_one_json_line_and_answers_one_line(service):
    import io
    out = io.BytesIO()
    status = program.answer_one(program.serve, io.BytesIO(b'{"op": "list", "user": "alice", "password": "alice-pw"}\n'),
                                out)
    assert status == 0 and out.getvalue().count(b'\n') == 1 and json.loads(out.getvalue())['ok']
    out = io.BytesIO()
    assert program.answer_one(program.serve, io.BytesIO(b'not json\n'), out) == 1
    assert json.loads(out.getvalue()) == {'ok': False, 'error': 'the request is not JSON'}


def test_admin_puts_changes_once_and_check_mode_writes_nothing(service):
    request = {'op': 'put', 'user': 'alice', 'account': dict(NEW, port=None, tls=None, keep=None, folder=None,
                                                             paused=None)}
    checked = program.admin(dict(request, check=True))
    assert checked['changed'] and checked['before'] is None
    assert program.admin({'op': 'get', 'user': 'alice'})['accounts'] == []
    first = program.admin(request)
    again = program.admin(request)
    assert (first['changed'], again['changed']) == (True, False)
    moved = program.admin(dict(request, account=dict(request['account'], password='new-pw')))
    assert moved['changed'] and moved['password_changed']
    removed = program.admin({'op': 'remove', 'user': 'alice', 'server': NEW['server'], 'login': NEW['login']})
    assert removed['changed'] and program.admin({'op': 'get', 'user': 'alice'})['accounts'] == []
    with pytest.raises(core.Refused, match='not a user of this mail host'):
        program.admin({'op': 'get', 'user': 'mallory'})
    with pytest.raises(core.Refused, match='not a user of this mail host'):
        program.admin({'op': 'get', 'user': '../alice'})


# --- hostile servers and refusals -------------------------------------------------------------------------

def test_an_endless_listing_is_refused_not_read_into_memory(host, pop3_server, monkeypatch):
    monkeypatch.setattr(program, 'UIDL_MOST_LINES', 10)
    with pytest.raises(program.FetchError, match='more than expected for UIDL'):
        run(account(pop3_server(Mailbox(messages(20)))))
    assert Recorder.delivered == []


def test_a_message_larger_than_the_host_takes_stays_on_the_server_and_is_named(host, pop3_server, monkeypatch):
    monkeypatch.setattr(program, 'message_limit', lambda: 1000)
    box = Mailbox(messages(2) + [b'Subject: big\r\n\r\n' + b'x' * 2000 + b'\r\n'])
    entry = account(pop3_server(box), keep=False)
    count, left = program.fetch_account('alice', entry, program.PolicyWatch(), 'mail.example.test')
    assert count == 2 and 'message 3 (2018 bytes) is larger than this host takes (1000)' in left
    assert list(box.messages) == [3]


def test_one_message_dovecot_refuses_does_not_hold_up_the_others(host, pop3_server):
    box = Mailbox(messages(2) + [b'Subject: TOO-LARGE\r\n\r\nx\r\n'] + messages(2))
    entry = account(pop3_server(box), keep=False)
    count, left = program.fetch_account('alice', entry, program.PolicyWatch(), 'mail.example.test')
    assert count == 4 and 'message 3: Dovecot did not save the messages: NO [LIMIT] Mail too large' in left
    assert list(box.messages) == [3]
    # Tried again next run, never saved twice.
    assert run(entry) == 0 and len(Recorder.delivered) == 4


def test_a_full_mailbox_ends_the_run_after_what_was_saved(host, pop3_server):
    box = Mailbox(messages(4) + [b'Subject: QUOTA-FULL\r\n\r\nx\r\n'])
    entry = account(pop3_server(box))
    with pytest.raises(program.FetchError, match='the mailbox is full'):
        run(entry)
    assert len(Recorder.delivered) == 4
    done, _pending = core.read_journal(open(program.journal_path('alice', entry)).read())
    assert len(done) == 4


def test_another_services_banner_is_not_read_out(host, pop3_server):
    box = Mailbox(messages(1))
    box.greeting = b'SSH-2.0-OpenSSH_9.2p1 Debian-2'
    with pytest.raises(program.FetchError) as failed:
        program.test_account(account(pop3_server(box)))
    assert str(failed.value) == 'the server does not answer as a POP3 server'


def test_server_words_are_cut_short():
    long_refusal = program.poplib.error_proto(b'-ERR ' + b'A' * 5000)
    assert len(program.server_text(long_refusal)) == 300


def test_a_login_that_is_another_user_now_never_gets_the_old_accounts(service, host, monkeypatch):
    assert ask('save', account=NEW)['ok']
    # alice is removed and someone else is made alice (another uid and home).
    monkeypatch.setattr(program, 'account_owner', lambda login: {'uid': '2001', 'home': '/home/alice2'})
    assert program.fetch('alice') == 0
    listed = ask('list')
    assert listed['ok'] and listed['accounts'] == []
    retired = os.listdir(os.path.join(program.STATE_DIR, 'retired'))
    assert len(retired) == 1 and retired[0].startswith('alice-')


def test_the_hosts_own_addresses_come_from_the_kernels_tables(monkeypatch):
    tables = {
        '/proc/net/fib_trie': ('Main:\n  +-- 0.0.0.0/0 3 0 4\n     |-- 127.0.0.1\n        /32 host LOCAL\n'
                               '     |-- 172.17.0.0\n        /16 link UNICAST\n     |-- 172.17.0.2\n'
                               '        /32 host LOCAL\n     |-- 172.17.255.255\n        /32 link BROADCAST\n'),
        '/proc/net/if_inet6': 'fe800000000000004c2e72fffe0efd54 2f3 40 20 80 eth0\n20010db8000000000000000000000005 2 40 00 80 eth0\n',
    }
    monkeypatch.setattr(program, 'read_text', lambda path, default='': tables.get(path, default))
    assert program.own_addresses() == {'127.0.0.1', '172.17.0.2', 'fe80::4c2e:72ff:fe0e:fd54', '2001:db8::5'}


def test_one_users_change_starts_that_users_timer_and_asks_about_no_one_else(host, monkeypatch):
    for login in ('alice', 'bob'):
        program.save_accounts(login, [core.checked_account(NEW, None, POLICY)])
    monkeypatch.setattr(program, 'TIMERS_WANTS', str(host / 'wants'))
    asked, commands = [], []
    monkeypatch.setattr(program, 'account_owner', lambda login: asked.append(login) or {'uid': '1', 'home': '/h'})
    monkeypatch.setattr(program, 'systemctl', lambda *args: commands.append(args))
    assert program.apply(only='alice') == {'changed': True, 'started': ['alice'], 'stopped': []}
    assert asked == ['alice']
    assert commands == [('enable', '--now', 'mailroom-external-pop3@alice.timer')]
