# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filter role's Junk filing and training files (Dovecot 2.3 and 2.4 syntax, the Sieve scripts,
the program that teaches rspamd), rendered with its defaults as Ansible renders them. Not proof that
Dovecot reads them: that is doveconf's on a host (tests/integration/targets/filter/tasks/junk.yml)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import os
import re
import subprocess

import yaml

from ansible_collections.mailroom.server.tests.unit.roles import role_files
from test_filter_role import ROLE, ROOT, render, settings


def dovecot(dialect, **given):
    return render('filter-junk.conf.j2', filter_dovecot_dialect=dialect, **given)


def balanced(text):
    depth = 0
    for line in settings(text):
        depth += line.count('{') - line.count('}')
        assert depth >= 0, line
    return depth == 0


def test_dovecot_24_files_at_delivery_and_trains_from_moves_in_its_own_syntax():
    text = dovecot('2.4')
    lines = [line.strip() for line in settings(text)]
    assert balanced(text)
    # No 2.3 syntax: 2.4 refuses plugin {} and the numbered imapsieve settings.
    assert not [line for line in lines if line.startswith(('plugin', 'imapsieve_mailbox', 'sieve_before'))]
    assert '$mail_plugins' not in text
    lmtp = text[text.index('protocol lmtp {'):text.index('protocol imap {')]
    assert 'sieve = yes' in lmtp
    # The delivery script runs before the user's, in LMTP only.
    assert re.search(r'sieve_script mailroom_junk_filing \{\s+type = before\s+path = /etc/dovecot/mailroom-sieve/junk-filing.sieve\s+\}', lmtp)
    assert 'imap_sieve = yes' in text[text.index('protocol imap {'):]
    assert re.search(r'sieve_plugins \{\s+sieve_imapsieve = yes\s+sieve_extprograms = yes\s+\}', text)
    assert re.search(r'sieve_global_extensions \{\s+vnd.dovecot.pipe = yes\s+\}', text)
    assert 'sieve_pipe_bin_dir = /usr/local/lib/mailroom/sieve-pipe' in lines
    assert re.search(r'mailbox Junk \{\s+sieve_script mailroom_learn_spam \{\s+type = before\s+cause = copy\s+'
                     r'path = /etc/dovecot/mailroom-sieve/learn-spam.sieve\s+\}\s+\}', text)
    assert re.search(r'imapsieve_from Junk \{\s+sieve_script mailroom_learn_ham \{\s+type = before\s+cause = copy\s+'
                     r'path = /etc/dovecot/mailroom-sieve/learn-ham.sieve\s+\}\s+\}', text)


def test_dovecot_23_files_at_delivery_and_trains_from_moves_in_its_own_syntax():
    text = dovecot('2.3')
    lines = [line.strip() for line in settings(text)]
    assert balanced(text)
    for word in ('sieve_script', 'imapsieve_from', 'mailbox Junk', '= yes'):
        assert word not in text
    assert 'mail_plugins = $mail_plugins sieve' in text[text.index('protocol lmtp {'):text.index('protocol imap {')]
    assert 'mail_plugins = $mail_plugins imap_sieve' in text[text.index('protocol imap {'):text.index('plugin {')]
    plugin = dict(line.split(' = ', 1) for line in lines[lines.index('plugin {') + 1:-1])
    assert plugin == {
        'sieve_before': '/etc/dovecot/mailroom-sieve/junk-filing.sieve',
        'sieve_plugins': 'sieve_imapsieve sieve_extprograms',
        'sieve_global_extensions': '+vnd.dovecot.pipe',
        'sieve_pipe_bin_dir': '/usr/local/lib/mailroom/sieve-pipe',
        'imapsieve_mailbox1_name': 'Junk',
        'imapsieve_mailbox1_causes': 'COPY',
        'imapsieve_mailbox1_before': 'file:/etc/dovecot/mailroom-sieve/learn-spam.sieve',
        'imapsieve_mailbox2_name': '*',
        'imapsieve_mailbox2_from': 'Junk',
        'imapsieve_mailbox2_causes': 'COPY',
        'imapsieve_mailbox2_before': 'file:/etc/dovecot/mailroom-sieve/learn-ham.sieve',
    }


def test_another_junk_folder_name_reaches_every_file():
    for dialect in ('2.3', '2.4'):
        assert 'Junk' not in '\n'.join(settings(dovecot(dialect, filter_junk_folder='Spam'))).replace('junk', '')
    assert 'fileinto :create "Spam";' in render('junk-filing.sieve.j2', filter_junk_folder='Spam')
    assert '["Bin", "Spam"]' in render('learn-ham.sieve.j2', filter_junk_folder='Spam', filter_trash_folder='Bin')


def test_the_dovecot_file_sorts_after_every_settings_area_file():
    # 2.3 expands "$mail_plugins" where it reads it: a protocol list read before full_text_search.conf
    # or mailbox_sharing.conf would drop the plugins they add.
    names = []
    for path in glob.glob(os.path.join(ROOT, 'plugins', 'module_utils', '_areas', '*.py')):
        with open(path) as handle:
            names += re.findall(r"^NAME = '([a-z_]+)'", handle.read(), re.M)
    assert 'mailbox_sharing' in names and 'full_text_search' in names
    ours = os.path.basename(role_files.role_variables(ROLE)['filter_dovecot_conf'])
    assert sorted(names + ['00-search-base', 'accounts'], key=lambda name: name + '.conf')[-1] < ours
    assert all(name + '.conf' < ours for name in names)


def test_delivery_files_tagged_mail_and_stops():
    lines = settings(render('junk-filing.sieve.j2'))
    assert lines == ['require ["fileinto", "mailbox"];', 'if header :is "X-Spam" "Yes" {',
                     '  fileinto :create "Junk";', '  stop;', '}']


def test_moves_pipe_to_the_learning_programs_and_deleting_spam_is_not_ham():
    assert settings(render('learn-spam.sieve.j2'))[-1] == 'pipe :copy "mailroom-learn-spam";'
    ham = settings(render('learn-ham.sieve.j2'))
    assert ham[-1] == 'pipe :copy "mailroom-learn-ham";'
    assert 'if string "${mailbox}" ["Trash", "Junk"] {' in ham


def run_learner(tmp_path, name, rspamc=None):
    script = render('mailroom-learn.j2')
    if rspamc:
        script = script.replace('/usr/bin/rspamc', rspamc)
    path = tmp_path / name
    path.write_text(script)
    path.chmod(0o755)
    return subprocess.run([str(path)], input=b'Subject: x\r\n\r\nbody\r\n', capture_output=True, timeout=30, check=False)


def test_the_learner_asks_the_controller_on_loopback_for_the_class_its_name_says(tmp_path):
    fake = tmp_path / 'rspamc'
    fake.write_text('#!/bin/sh\necho "$@" > "%s/args"\ncat > "%s/stdin"\n' % (tmp_path, tmp_path))
    fake.chmod(0o755)
    for name, command in (('mailroom-learn-spam', 'learn_spam'), ('mailroom-learn-ham', 'learn_ham')):
        result = run_learner(tmp_path, name, str(fake))
        assert result.returncode == 0 and result.stderr == b''
        assert (tmp_path / 'args').read_text().split() == ['-h', '127.0.0.1:11334', '-t', '8', command]
        assert (tmp_path / 'stdin').read_bytes() == b'Subject: x\r\n\r\nbody\r\n'


def test_a_failed_lesson_never_fails_the_move(tmp_path):
    failing = tmp_path / 'rspamc'
    failing.write_text('#!/bin/sh\ncat >/dev/null\necho "connection refused" >&2\nexit 1\n')
    failing.chmod(0o755)
    result = run_learner(tmp_path, 'mailroom-learn-spam', str(failing))
    assert result.returncode == 0
    assert b'rspamc learn_spam failed: connection refused' in result.stderr
    assert run_learner(tmp_path, 'something-else', str(failing)).returncode == 0


def test_the_options_are_documented_with_their_defaults():
    specs = yaml.safe_load(role_files.role_file(ROLE, 'meta', 'argument_specs.yml'))['argument_specs']['main']['options']
    defaults = yaml.safe_load(role_files.role_file(ROLE, 'defaults', 'main.yml'))
    for name in ('filter_junk_filing', 'filter_junk_folder', 'filter_trash_folder'):
        assert specs[name]['default'] == defaults[name]
    assert os.path.exists(role_files.role_path(ROLE, 'tasks', 'junk.yml'))
