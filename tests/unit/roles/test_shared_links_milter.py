# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared links milter (roles/shared_links/files/mailroom-shared-links): its settings file,
link signing as nginx checks it, the sender's storage, the expiry job, and the milter glue with a
stand-in for libmilter's binding - what it answers Postfix for each kind of message."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import email
import email.policy
import hashlib
import json
import os
import subprocess
import sys
import urllib.parse

import pytest

from ansible_collections.mailroom.server.tests.unit.roles import role_program

from ansible_collections.mailroom.server.tests.unit.roles.fake_milter import FAKE_MILTER, FakeMilterBase, StaticStore

FILES = role_program.files('shared_links')

milter = role_program.load('shared_links', 'mailroom-shared-links', 'mailroom_shared_links_milter')

SECRET = 'k' * 40
SETTINGS = {'enabled': True, 'domain_limits': {'example.com': 1000}, 'link_lifetime_days': 30,
            'base_url': 'https://mail.example.com'}


# --- settings -----------------------------------------------------------------------------------

def test_settings_as_the_module_writes_them_are_read():
    assert milter.parse_settings(json.dumps(SETTINGS, indent=1).encode()) == SETTINGS


@pytest.mark.parametrize('change', [
    {'enabled': 'yes'},
    {'domain_limits': {'Example.com': 1000}},
    {'domain_limits': {'example.com': 0}},
    {'domain_limits': {'example.com': True}},
    {'domain_limits': {'example.com': '10MB'}},
    {'link_lifetime_days': -1},
    {'link_lifetime_days': 3651},
    {'base_url': 'http://mail.example.com'},
    {'base_url': 'https://mail.example.com/'},
    {'base_url': 'https://mail.example.com/x?y=1'},
    {'base_url': 'https://user@mail.example.com'},
    {'base_url': 'https://mail.example.com/\nadd_header X 1'},
    {'base_url': 'https://mail.example.com/a b'},
    {'extra': 1},
])
def test_settings_that_cannot_be_used_are_refused(change):
    value = dict(SETTINGS, **change)
    with pytest.raises(milter.SettingsError):
        milter.parse_settings(json.dumps(value).encode())


@pytest.mark.parametrize('data', [b'', b'[]', b'{', b'\xff', json.dumps({'enabled': True}).encode()])
def test_files_that_are_not_the_settings_are_refused(data):
    with pytest.raises(milter.SettingsError):
        milter.parse_settings(data)


def test_settings_store_reads_the_file_again_only_when_it_changes(tmp_path):
    path = tmp_path / 'shared-links.json'
    store = milter.SettingsStore(str(path))
    assert store.current() is None
    path.write_text(json.dumps(SETTINGS))
    assert store.current()['enabled'] is True
    path.write_text(json.dumps(dict(SETTINGS, enabled=False)) + '  ')
    assert store.current()['enabled'] is False
    path.write_text('not json')
    with pytest.raises(milter.SettingsError):
        store.current()


@pytest.mark.parametrize('sender, expected', [
    ('<alice@Example.COM>', 'example.com'),
    ('alice@example.com.', 'example.com'),
    ('<>', None),
    ('<postmaster>', None),
    ('<@example.com>', None),
    ('<"a@b"@example.org>', 'example.org'),
])
def test_sender_domain(sender, expected):
    assert milter.sender_domain(sender) == expected


def test_only_an_enabled_listed_domain_has_a_limit():
    assert milter.limit_for(SETTINGS, '<bob@example.com>') == 1000
    assert milter.limit_for(SETTINGS, '<bob@example.org>') is None
    assert milter.limit_for(dict(SETTINGS, enabled=False), '<bob@example.com>') is None
    assert milter.limit_for(None, '<bob@example.com>') is None


@pytest.mark.parametrize('authen, expected', [
    ('alice', 'alice'),
    ('Alice@Example.com', 'alice'),
    ('j.doe-2', 'j.doe-2'),
    ('.hidden', None),
    ('..', None),
    ('a/b', None),
    ('a\nb', None),
    ('', None),
    (None, None),
])
def test_link_names_are_one_safe_path_component(authen, expected):
    assert milter.link_name(authen) == expected


# --- links ----------------------------------------------------------------------------------------

def test_signature_is_nginx_secure_link_md5():
    # nginx's documentation example: secure_link_md5 "$secure_link_expires$uri$remote_addr secret"
    # for expires 2147483647, /s/link and 127.0.0.1 gives this value.
    assert milter.signature('/s/link127.0.0.1', 2147483647, 'secret') == '_e4Nc3iduzkWRm01TBBNYw'


def test_link_url_signs_the_decoded_path_and_encodes_it_in_the_url():
    url = milter.link_url('https://mail.example.com/mail', SECRET, 'alice', 'a' * 32, 'Grüße & co?.pdf', 1700000000)
    parts = urllib.parse.urlsplit(url)
    assert parts.path == '/mail/shared-links/alice/%s/Gr%%C3%%BC%%C3%%9Fe%%20%%26%%20co%%3F.pdf' % ('a' * 32)
    query = urllib.parse.parse_qs(parts.query)
    decoded = '/shared-links/alice/%s/Grüße & co?.pdf' % ('a' * 32)
    expected = base64.urlsafe_b64encode(hashlib.md5(
        ('1700000000%s %s' % (decoded, SECRET)).encode()).digest()).decode().rstrip('=')
    assert query == {'md5': [expected], 'expires': ['1700000000']}


def test_a_link_that_never_expires_is_signed_until_2100():
    url = milter.link_url('https://h', SECRET, 'alice', 'a' * 32, 'f', None)
    assert url.endswith('&expires=4102444800')


def test_secret_file(tmp_path):
    path = tmp_path / 'key'
    path.write_text(SECRET + '\n')
    assert milter.read_secret(str(path)) == SECRET
    path.write_text('short\n')
    with pytest.raises(milter.SettingsError):
        milter.read_secret(str(path))


# --- accounts -------------------------------------------------------------------------------------

def test_doveadm_user_answer():
    text = 'field\tvalue\nuid\t1000\ngid\t1001\nhome\t/home/alice\nmail_path\t/home/alice/Maildir\n'
    assert milter.parse_user_fields(text) == ('/home/alice', 1000, 1001)
    with pytest.raises(milter.AccountError):
        milter.parse_user_fields('field\tvalue\nuid\t1000\ngid\t1000\n')
    with pytest.raises(milter.AccountError):
        milter.parse_user_fields('field\tvalue\nuid\tx\ngid\t1000\nhome\t/home/a\n')


@pytest.mark.parametrize('mode, owner, group, expected', [
    (0o700, 1000, 1000, False),
    (0o710, 1000, 1000, False),
    (0o710, 1000, 33, True),
    (0o701, 1000, 1000, True),
    (0o755, 1000, 1000, True),
    (0o700, 33, 33, True),
])
def test_web_server_traverses(mode, owner, group, expected):
    assert milter.web_server_traverses(mode, owner, group, 33, (33,)) is expected


class Completed(object):
    def __init__(self, returncode=0, stderr=b''):
        self.returncode, self.stdout, self.stderr = returncode, b'', stderr


# The account's uid: root's homes are refused, so as root (CI) the home is given to another uid.
ACCOUNT_UID = 12345 if os.getuid() == 0 else os.getuid()


def accounts_for(tmp_path, home_mode=0o700, setfacl_rc=0):
    home = tmp_path / 'home'
    home.mkdir(mode=home_mode)
    os.chmod(str(home), home_mode)
    if os.getuid() == 0:
        os.chown(str(home), ACCOUNT_UID, -1)
    registry = tmp_path / 'registry'
    registry.mkdir()
    calls = []

    def run(command, **_kwargs):
        calls.append(command)
        return Completed(setfacl_rc, b'Operation not supported')

    def lookup(login):
        return str(home), ACCOUNT_UID, os.getgid()

    accounts = milter.Accounts(str(registry), web_group='www-data', lookup=lookup, run=run)
    return accounts, home, registry, calls


def test_prepare_lets_the_web_server_through_a_closed_home_and_registers_the_folder(tmp_path):
    accounts, home, registry, calls = accounts_for(tmp_path)
    directory, owner = accounts.prepare('alice', 'alice@example.com')
    assert directory == str(home / 'MailAttachments')
    assert owner[0] == ACCOUNT_UID
    assert calls == [['setfacl', '-m', 'u:www-data:x', str(home)]]
    assert os.readlink(str(registry / 'alice')) == directory
    # again: the link is kept, nothing else run
    accounts.prepare('alice', 'alice')
    assert len(calls) == 2      # the mode is still 0700: setfacl again (the ACL is not read back)


def test_prepare_leaves_an_open_home_alone_and_moves_a_stale_link(tmp_path):
    accounts, home, registry, calls = accounts_for(tmp_path, home_mode=0o755)
    os.symlink('/elsewhere', str(registry / 'alice'))
    accounts.prepare('alice', 'alice')
    assert calls == []
    assert os.readlink(str(registry / 'alice')) == str(home / 'MailAttachments')


def test_prepare_fails_when_the_acl_cannot_be_set(tmp_path):
    accounts, _home, _registry, _calls = accounts_for(tmp_path, setfacl_rc=1)
    with pytest.raises(milter.AccountError, match='Operation not supported'):
        accounts.prepare('alice', 'alice')


# --- expiry ---------------------------------------------------------------------------------------

def make_link(storage, file_id, expires, mtime=None, record=True):
    folder = storage / file_id
    folder.mkdir(parents=True)
    (folder / 'file.bin').write_bytes(b'x')
    if record:
        (folder / '.link.json').write_text(json.dumps({'id': file_id, 'expires': expires}))
    if mtime is not None:
        os.utime(str(folder), (mtime, mtime))
    return folder


def test_expiry_removes_expired_and_abandoned_links_only(tmp_path):
    storage = tmp_path / 'home' / 'MailAttachments'
    now = 2000000000
    expired = make_link(storage, 'a' * 32, now - 1)
    current = make_link(storage, 'b' * 32, now + 3600)
    forever = make_link(storage, 'c' * 32, None)
    abandoned = make_link(storage, 'd' * 32, None, mtime=now - 2 * 86400, record=False)
    being_written = make_link(storage, 'e' * 32, None, mtime=now - 60, record=False)
    other = storage / 'notes'
    other.mkdir()
    registry = tmp_path / 'registry'
    registry.mkdir()
    os.symlink(str(storage), str(registry / 'alice'))
    os.symlink(str(tmp_path / 'gone'), str(registry / 'bob'))
    assert milter.expire(str(registry), now) == 2
    assert not expired.exists() and not abandoned.exists()
    assert current.exists() and forever.exists() and being_written.exists() and other.exists()


def test_expiry_never_follows_a_link_the_user_put_in_place_of_a_folder(tmp_path):
    storage = tmp_path / 'MailAttachments'
    storage.mkdir()
    victim = make_link(tmp_path / 'victim', 'a' * 32, 1)
    os.symlink(str(victim), str(storage / ('a' * 32)))
    assert milter.expire_folder(str(storage), 2000000000) == 0
    assert (victim / 'file.bin').exists()


# --- the milter glue -----------------------------------------------------------------------------

class TempAccounts(object):
    """Storage in a temporary directory, or the error given."""

    def __init__(self, directory, error=None):
        self.directory = directory
        self.error = error
        self.calls = []

    def prepare(self, name, login):
        self.calls.append((name, login))
        if self.error:
            raise self.error
        return self.directory, None


def message(attachment, small=b'small attachment', signed=False):
    msg = email.message.EmailMessage(policy=email.policy.SMTP)
    msg['From'] = 'alice@example.com'
    msg['To'] = 'bob@example.org'
    msg['Subject'] = 'files'
    msg.set_content('see attached')
    msg.add_attachment(attachment, maintype='application', subtype='octet-stream', filename='big.bin')
    msg.add_attachment(small, maintype='application', subtype='octet-stream', filename='small.bin')
    if signed:
        outer = email.message.EmailMessage(policy=email.policy.SMTP)
        for name in ('From', 'To', 'Subject'):
            outer[name] = msg[name]
        outer['Content-Type'] = 'multipart/signed; protocol="application/pkcs7-signature"; boundary="sig"'
        inner = msg.as_bytes().split(b'\r\n\r\n', 1)[1]
        content_type = msg['Content-Type']
        body = (b'--sig\r\nContent-Type: ' + content_type.encode() + b'\r\n\r\n' + inner +
                b'\r\n--sig\r\nContent-Type: application/pkcs7-signature\r\n\r\nMIAG\r\n--sig--\r\n')
        return outer.as_bytes().split(b'\r\n\r\n', 1)[0] + b'\r\n\r\n' + body
    return msg.as_bytes()


def run_milter(raw, settings=None, accounts=None, sender='<alice@example.com>', authen='alice',
               size_limit=10 ** 9, tmp_path=None, secret_file=None, extra_headers=(), fail_replace=False):
    spool = tmp_path / 'spool'
    spool.mkdir(exist_ok=True)
    milter_class = milter.build_milter_class(FAKE_MILTER, StaticStore(SETTINGS if settings is None else settings),
                                             accounts,
                                             secret_file=secret_file, spool=str(spool),
                                             size_limit=StaticStore(size_limit))
    instance = milter_class()
    FakeMilterBase.__init__(instance)
    opts = [0xff, 0xffff, 0, 0]
    assert instance.negotiate(opts) == 'continue'
    instance.macros['{auth_authen}'] = authen
    instance.fail_replace = fail_replace
    assert instance.envfrom(sender) == 'continue'
    head, body = raw.split(b'\r\n\r\n', 1)
    for line in head.decode().replace('\r\n ', '\n ').split('\r\n') + list(extra_headers):
        name, value = line.split(':', 1)
        instance.header(name, value.strip())
    instance.eoh()
    for start in range(0, len(body), 65535):
        instance.body(body[start:start + 65535])
    answer = instance.eom()
    assert os.listdir(str(spool)) == []     # nothing left in the spool
    return instance, answer, head, body


@pytest.fixture
def secret_file(tmp_path):
    path = tmp_path / 'key'
    path.write_text(SECRET + '\n')
    return str(path)


def attachments_of(head, body):
    msg = email.message_from_bytes(head + b'\r\n\r\n' + body, policy=email.policy.default)
    return {part.get_filename(): part.get_content() for part in msg.iter_attachments()}


def test_a_large_attachment_becomes_a_link_and_the_small_one_stays(tmp_path, secret_file):
    big = os.urandom(5000)
    storage = tmp_path / 'home' / 'MailAttachments'
    (tmp_path / 'home').mkdir()
    raw = message(big)
    instance, answer, head, body = run_milter(raw, accounts=TempAccounts(str(storage)), tmp_path=tmp_path,
                                              secret_file=secret_file)
    assert answer == 'continue'
    assert instance.added == [(milter.HEADER, '1 attachment(s) converted to links')]
    new_body = b''.join(instance.body_parts)
    assert all(len(chunk) <= milter.REPLACE_CHUNK for chunk in instance.body_parts)
    assert attachments_of(head, new_body) == {'small.bin': b'small attachment'}
    (file_id,) = os.listdir(str(storage))
    assert (storage / file_id / 'big.bin').read_bytes() == big
    record = json.loads((storage / file_id / '.link.json').read_text())
    assert record['url'].startswith('https://mail.example.com/shared-links/alice/%s/big.bin?md5=' % file_id)
    msg = email.message_from_bytes(head + b'\r\n\r\n' + new_body, policy=email.policy.default)
    texts = [part.get_content() for part in msg.walk() if part.get_content_type() == 'text/plain']
    assert any(record['url'] in text for text in texts)


def test_small_messages_pass_without_their_sender_being_looked_up(tmp_path, secret_file):
    accounts = TempAccounts(str(tmp_path / 'unused'))
    instance, answer, _head, _body = run_milter(message(b'x' * 100), accounts=accounts, tmp_path=tmp_path,
                                                secret_file=secret_file)
    assert answer == 'continue' and instance.added == [] and instance.body_parts == []
    assert accounts.calls == []


def test_a_message_that_is_still_too_large_for_postfix_is_refused(tmp_path, secret_file):
    # no limit for the sender's domain: only counted, and larger than message_size_limit
    instance, answer, _head, _body = run_milter(message(os.urandom(5000)), sender='<alice@example.org>',
                                                size_limit=4000, tmp_path=tmp_path, secret_file=secret_file)
    assert answer == 'reject' and instance.reply[0] == '552'


def test_signed_mail_passes_unchanged_with_a_header_saying_why(tmp_path, secret_file):
    storage = tmp_path / 'MailAttachments'
    instance, answer, _head, _body = run_milter(message(os.urandom(5000), signed=True),
                                                accounts=TempAccounts(str(storage)), tmp_path=tmp_path,
                                                secret_file=secret_file)
    assert answer == 'continue' and instance.body_parts == []
    assert instance.added == [(milter.HEADER, 'unchanged: message signed (converting would break the signature)')]
    assert not storage.exists() or os.listdir(str(storage)) == []


def test_signed_mail_too_large_to_pass_is_refused_saying_why(tmp_path, secret_file):
    instance, answer, _head, _body = run_milter(message(os.urandom(5000), signed=True), size_limit=6000,
                                                accounts=TempAccounts(str(tmp_path / 'M')), tmp_path=tmp_path,
                                                secret_file=secret_file)
    assert answer == 'reject' and instance.reply[0] == '552' and 'signed' in instance.reply[2]


def test_a_storage_failure_makes_the_message_wait_and_leaves_nothing(tmp_path, secret_file):
    # the storage's parent does not exist: writing the first file fails
    instance, answer, _head, _body = run_milter(message(os.urandom(5000)),
                                                accounts=TempAccounts(str(tmp_path / 'no' / 'MailAttachments')),
                                                tmp_path=tmp_path, secret_file=secret_file)
    assert answer == 'tempfail' and instance.reply[:2] == ('451', '4.3.0')
    assert instance.body_parts == []


def test_an_unknown_sender_passes_unconverted_when_the_message_fits(tmp_path, secret_file):
    accounts = TempAccounts(None, error=milter.AccountError('no such user'))
    instance, answer, _head, _body = run_milter(message(os.urandom(5000)), accounts=accounts, tmp_path=tmp_path,
                                                secret_file=secret_file)
    assert answer == 'continue' and instance.body_parts == []
    assert instance.added == [(milter.HEADER, 'not converted (storage unavailable)')]
    instance, answer, _head, _body = run_milter(message(os.urandom(5000)), accounts=accounts, tmp_path=tmp_path,
                                                secret_file=secret_file, size_limit=4000)
    assert answer == 'tempfail' and instance.reply[0] == '451'


def test_a_result_still_too_large_is_refused_and_its_files_removed(tmp_path, secret_file):
    storage = tmp_path / 'home' / 'MailAttachments'
    (tmp_path / 'home').mkdir()
    raw = message(os.urandom(5000), small=os.urandom(900))
    instance, answer, _head, _body = run_milter(raw, accounts=TempAccounts(str(storage)), tmp_path=tmp_path,
                                                secret_file=secret_file, size_limit=1200)
    assert answer == 'reject' and instance.reply[0] == '552'
    assert os.listdir(str(storage)) == []


def test_unusable_settings_convert_nothing_and_mail_passes(tmp_path, secret_file):
    instance, answer, _head, _body = run_milter(message(os.urandom(5000)),
                                                settings=milter.SettingsError('broken'),
                                                accounts=TempAccounts(str(tmp_path / 'M')), tmp_path=tmp_path,
                                                secret_file=secret_file)
    assert answer == 'continue' and instance.body_parts == [] and instance.added == []


def test_the_program_runs_its_expiry_job(tmp_path):
    registry = tmp_path / 'registry'
    registry.mkdir()
    answer = subprocess.run([sys.executable, os.path.join(FILES, 'mailroom-shared-links'), 'expire',
                             '--registry', str(registry)], stderr=subprocess.PIPE, check=True)
    assert b'removed 0 expired link(s)' in answer.stderr


def test_prepare_refuses_a_home_the_account_does_not_own(tmp_path):
    accounts, home, _registry, _calls = accounts_for(tmp_path)

    def lookup(login):
        return str(home), ACCOUNT_UID + 1, 100
    accounts.lookup = lookup
    with pytest.raises(milter.AccountError, match='not owned'):
        accounts.prepare('alice', 'alice')


def test_a_clients_own_copies_of_the_header_are_removed(tmp_path, secret_file):
    storage = tmp_path / 'home' / 'MailAttachments'
    (tmp_path / 'home').mkdir()
    forged = ['%s: unchanged: message signed' % milter.HEADER, 'x-mailroom-shared-links: 9 converted']
    instance, answer, _head, _body = run_milter(message(os.urandom(5000)), accounts=TempAccounts(str(storage)),
                                                tmp_path=tmp_path, secret_file=secret_file, extra_headers=forged)
    assert answer == 'continue'
    assert instance.changed == [(milter.HEADER, 2, None), (milter.HEADER, 1, None)]
    assert instance.added == [(milter.HEADER, '1 attachment(s) converted to links')]


def test_a_body_that_cannot_be_handed_back_makes_the_message_wait_and_removes_its_files(tmp_path, secret_file):
    storage = tmp_path / 'home' / 'MailAttachments'
    (tmp_path / 'home').mkdir()
    instance, answer, _head, _body = run_milter(message(os.urandom(5000)), accounts=TempAccounts(str(storage)),
                                                tmp_path=tmp_path, secret_file=secret_file, fail_replace=True)
    assert answer == 'tempfail' and instance.reply[0] == '451'
    assert os.listdir(str(storage)) == []


class Clock(object):
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_ticker_reports_progress_and_gives_up_at_the_deadline():
    clock, calls = Clock(), []
    tick = milter.ticker(lambda: calls.append(clock.now), deadline=30, every=10, clock=clock)
    for step in range(1, 31):
        clock.now = 100.0 + step
        tick()
    assert calls == [110.0, 120.0, 130.0]
    clock.now = 131.0
    with pytest.raises(milter.rewriter.TimeUp):
        tick()


def test_a_message_too_slow_to_convert_that_would_not_fit_is_refused(tmp_path, secret_file, monkeypatch):
    # the deadline passes at the first block read
    monkeypatch.setattr(milter, 'ticker', lambda progress: _give_up)
    instance, answer, _head, _body = run_milter(message(os.urandom(5000)), size_limit=4000,
                                                accounts=TempAccounts(str(tmp_path / 'M')), tmp_path=tmp_path,
                                                secret_file=secret_file)
    assert answer == 'reject' and instance.reply[0] == '552' and 'in time' in instance.reply[2]


def _give_up():
    raise milter.rewriter.TimeUp('slow')


def test_size_limit_is_read_again_when_main_cf_changes(tmp_path):
    main_cf = tmp_path / 'main.cf'
    main_cf.write_text('a\n')
    values = [100, 200]
    limit = milter.SizeLimit(read=lambda: values.pop(0), path=str(main_cf))
    assert limit.current() == 100
    assert limit.current() == 100
    main_cf.write_text('a changed\n')
    assert limit.current() == 200


def test_expiry_skips_a_record_that_is_not_a_file(tmp_path):
    storage = tmp_path / 'home' / 'MailAttachments'
    folder = make_link(storage, 'a' * 32, 1, record=False)
    os.mkfifo(str(folder / '.link.json'))
    assert milter.expire_folder(str(storage), 2000000000) == 0
    assert folder.exists()


def test_expiry_skips_a_folder_not_owned_by_the_homes_owner(tmp_path):
    if os.getuid() != 0:
        pytest.skip('needs to give a folder away')
    storage = tmp_path / 'home' / 'MailAttachments'
    expired = make_link(storage, 'a' * 32, 1)
    os.chown(str(storage), 12345, -1)
    assert milter.expire_folder(str(storage), 2000000000) == 0
    assert expired.exists()
