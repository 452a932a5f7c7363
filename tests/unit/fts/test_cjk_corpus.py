# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The FTS test corpus must itself be right: reproducible, exact truth, hard cases present."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import email
import os
import sys
from email.policy import default

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'fts'))

import cjk_corpus  # noqa: E402  pylint: disable=wrong-import-position


@pytest.fixture(scope='module')
def corpus():
    return cjk_corpus.generate(count=1500, seed=7, cjk_share=0.3)


def test_same_seed_same_corpus(corpus):
    again = cjk_corpus.generate(count=1500, seed=7, cjk_share=0.3)
    assert [m.raw for m in again.messages] == [m.raw for m in corpus.messages]
    assert cjk_corpus.generate(count=50, seed=8).messages[3].raw != corpus.messages[3].raw


def test_cjk_share(corpus):
    cjk = sum(1 for m in corpus.messages if m.language != 'en')
    assert 0.25 < cjk / len(corpus.messages) < 0.35


def test_truth_is_exactly_the_messages_whose_decoded_text_holds_the_word(corpus):
    for message in corpus.messages[:400]:
        parsed = email.message_from_bytes(message.raw, policy=default)
        text = str(parsed['Subject']) + '\n' + parsed.get_content()
        for word in corpus.queries:
            assert (word in text) == (message.message_id in corpus.truth[word]), (word, message.message_id)


def test_every_planted_word_is_findable_somewhere(corpus):
    for word in corpus.queries:
        assert corpus.truth[word], word


def test_hard_cases_are_present(corpus):
    deep = subject_only = 0
    for message in corpus.messages:
        if message.language == 'en':
            continue
        for word in cjk_corpus.PLANTED[message.language]:
            if word in message.subject and word not in message.body:
                subject_only += 1
            for run in message.body.replace('、', '\n').replace('，', '\n').split():
                position = run.find(word)
                if position > 66:
                    deep += 1
    assert deep > 20, 'words past character 66 of an unbroken run'
    assert subject_only > 5, 'words only in the subject'


def test_decoys_never_contain_the_word():
    import random
    rng = random.Random(3)
    for word in [w for ws in cjk_corpus.PLANTED.values() for w in ws]:
        for _index in range(20):
            assert word not in cjk_corpus._decoy(rng, word)


def test_encodings_vary(corpus):
    encodings = set()
    for message in corpus.messages[:200]:
        parsed = email.message_from_bytes(message.raw, policy=default)
        encodings.add(parsed['Content-Transfer-Encoding'])
    assert {'base64', 'quoted-printable', '8bit'} <= encodings


@pytest.mark.parametrize('truth, found, expected', [
    ({'a', 'b'}, {'a', 'b'}, (1.0, 1.0)),
    ({'a', 'b'}, {'a'}, (0.5, 1.0)),
    ({'a'}, {'a', 'x'}, (1.0, 0.5)),
    (set(), set(), (1.0, 1.0)),
    (set(), {'x'}, (1.0, 0.0)),
])
def test_score(truth, found, expected):
    assert cjk_corpus.score(truth, found) == expected


def test_command_line_writes_maildir_and_truth(tmp_path):
    import json
    maildir, truth = str(tmp_path / 'Maildir'), str(tmp_path / 'truth.json')
    assert cjk_corpus.main(['--count', '40', '--seed', '2', '--maildir', maildir, '--truth', truth]) == 0
    assert len(os.listdir(os.path.join(maildir, 'new'))) == 40
    written = json.load(open(truth, encoding='utf-8'))
    expected = cjk_corpus.generate(40, 2).truth
    assert written == dict((word, sorted(ids)) for word, ids in expected.items())
