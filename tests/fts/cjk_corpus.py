# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A reproducible mail corpus for full-text search tests, with the truth of every planted word.

Messages are in English, Chinese, Japanese and Korean. Planted words sit in subjects only, in
short runs, and at any offset of long unbroken CJK runs (where FTS tokenizers that cut tokens at
a byte length lose them). Decoys hold a word's characters but not the word. The truth is computed
from the decoded text itself, so it is exact even where filler happens to form a word.

    corpus = generate(count=20000, seed=1, cjk_share=0.3)
    corpus.messages[0].raw      # bytes of an RFC 5322 message
    corpus.truth['数据库']       # set of Message-IDs whose subject or body contain the word
    score(corpus.truth['数据库'], found_ids)

Command line: python tests/fts/cjk_corpus.py --count 20000 --maildir DIR --truth truth.json
              [--text corpus.txt]
"""
from __future__ import absolute_import, division, print_function

import argparse
import collections
import json
import os
import random
import sys
from email.message import EmailMessage
from email.policy import SMTP

# Words to find, by language and length: Chinese 2/3/4 characters, Japanese kanji + kana,
# Korean Hangul, and English for comparison.
PLANTED = collections.OrderedDict([
    ('zh', ['数据', '服务器', '邮件系统', '网络', '安全证书', '附件', '会议纪要', '密码']),
    ('ja', ['東京', 'ありがとう', '会議室', 'メール', '確認します', '請求書']),
    ('ko', ['서버', '데이터베이스', '회의', '메일함', '비밀번호']),
    ('en', ['invoice', 'kubernetes', 'quarterly', 'firewall']),
])

# Filler characters: common ones, less every character a planted word uses (see below).
_FILLER_POOLS = {
    'zh': ('的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出动同工也能下过子说产种面而方后多定行'
           '学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应'
           '开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内正心反你明看原又么利比或但质气'
           '第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展果料象员革位入常文总次品式'
           '活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必'
           '战先回则任取完举色或'),
    'ja': ('のにはをたがでてとしれさあいうえおかきくけこすせそなぬねふへほまみむめもやゆよらりるろわんアイウ'
           'エオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムヤユヨラリルレロワン'),
    'ko': '가나다라마바사아자차카타파하고노도로모보소오조초코토포호구누두루무부수우주추쿠투푸후기니디리미시이지치키티피히',
}
_ENGLISH_FILLER = ('the of and to in is that for it as with was on be at by this had not are but from '
                   'or have an they which one you were her all she there would their we him been has '
                   'when who will more no if out so said what up its about into than them can only').split()
_RUN_BREAKS = {'zh': '，。、！？', 'ja': '、。「」！', 'ko': ' '}

Message = collections.namedtuple('Message', 'message_id language subject body raw')
Corpus = collections.namedtuple('Corpus', 'messages truth queries')


_FILLER = dict(
    (language, ''.join(char for char in pool if char not in ''.join(PLANTED[language])))
    for language, pool in _FILLER_POOLS.items())


def _filler_run(rng, language, length):
    return ''.join(rng.choice(_FILLER[language]) for _index in range(length))


def _decoy(rng, word):
    """The word's characters, but never the word: reversed, or split by a break."""
    if len(word) > 1 and rng.random() < 0.5:
        reversed_word = word[::-1]
        if word not in reversed_word:
            return reversed_word
    cut = rng.randint(1, len(word) - 1) if len(word) > 1 else 1
    return word[:cut] + '、' + word[cut:]


def _cjk_body(rng, language, words):
    """Paragraphs of runs; each planted word lands in a short run or a long unbroken one."""
    runs = []
    for word in words:
        if rng.random() < 0.5:
            # A long unbroken run: the word at any offset, often past character 66.
            length = rng.randint(80, 400)
            offset = rng.randint(0, length)
            runs.append(_filler_run(rng, language, offset) + word + _filler_run(rng, language, length - offset))
        else:
            runs.append(_filler_run(rng, language, rng.randint(0, 6)) + word
                        + _filler_run(rng, language, rng.randint(0, 6)))
    for _index in range(rng.randint(1, 4)):
        runs.append(_filler_run(rng, language, rng.randint(5, 60)))
    if rng.random() < 0.3:
        planted = PLANTED[language]
        runs.append(_filler_run(rng, language, 3) + _decoy(rng, rng.choice(planted)))
    rng.shuffle(runs)
    breaks = _RUN_BREAKS[language]
    return ''.join(run + rng.choice(breaks) for run in runs) + '\n'


def _english_body(rng, words):
    text = [rng.choice(_ENGLISH_FILLER) for _index in range(rng.randint(20, 120))]
    for word in words:
        text.insert(rng.randint(0, len(text)), word)
    return ' '.join(text) + '\n'


def _build(rng, index, language):
    planted = PLANTED[language]
    words = rng.sample(planted, rng.randint(0, 2))
    subject_words = []
    if words and rng.random() < 0.2:
        subject_words.append(words.pop())   # this word is in the subject only
    if language == 'en':
        subject = ' '.join(['report'] + subject_words + [str(index)])
        body = _english_body(rng, words)
    else:
        subject = _filler_run(rng, language, 3) + ''.join(subject_words) + ' %d' % index
        body = _cjk_body(rng, language, words)
    message_id = '<fts-%06d@corpus.example.test>' % index
    message = EmailMessage(policy=SMTP)
    message['From'] = 'sender%d@example.net' % (index % 7)
    message['To'] = 'reader@example.test'
    message['Subject'] = subject
    message['Message-ID'] = message_id
    message['Date'] = 'Mon, 02 Nov 2026 10:%02d:%02d +0000' % (index // 60 % 60, index % 60)
    cte = rng.choice(['base64', 'quoted-printable', '8bit'])
    message.set_content(body, charset='utf-8', cte=cte)
    return Message(message_id, language, subject, body, message.as_bytes())


def generate(count, seed=1, cjk_share=0.3):
    """Build `count` messages; `cjk_share` of them Chinese, Japanese or Korean in equal parts."""
    rng = random.Random(seed)
    messages = []
    for index in range(count):
        if rng.random() < cjk_share:
            language = rng.choice(['zh', 'ja', 'ko'])
        else:
            language = 'en'
        messages.append(_build(rng, index, language))
    queries = [word for words in PLANTED.values() for word in words]
    truth = dict((word, set()) for word in queries)
    for message in messages:
        text = message.subject + '\n' + message.body
        for word in queries:
            if word in text:
                truth[word].add(message.message_id)
    return Corpus(messages, truth, queries)


def sampled_words(corpus, count, seed=2, lengths=(2, 3, 4)):
    """`count` distinct CJK words cut from the corpus' own runs (so each has a true hit), none of
    them a planted word: the bulk of a benchmark's queries."""
    rng = random.Random(seed)
    cjk_chars = set(''.join(_FILLER.values()) + ''.join(''.join(words) for words in PLANTED.values()))
    cjk_messages = [message for message in corpus.messages if message.language != 'en']
    seen, words = set(corpus.queries), []
    while len(words) < count:
        text = rng.choice(cjk_messages).body
        length = rng.choice(lengths)
        start = rng.randrange(0, max(1, len(text) - length))
        word = text[start:start + length]
        if len(word) == length and all(char in cjk_chars for char in word) and word not in seen:
            seen.add(word)
            words.append(word)
    return words


def truth_of(corpus, words):
    """{word: Message-IDs whose subject or body contain it} for any words."""
    texts = [(message.message_id, message.subject + '\n' + message.body) for message in corpus.messages]
    return dict((word, set(message_id for message_id, text in texts if word in text)) for word in words)


def score(truth, found):
    """(recall, precision) of a search that returned `found` for a word whose truth is `truth`."""
    truth, found = set(truth), set(found)
    hits = len(truth & found)
    recall = hits / len(truth) if truth else 1.0
    precision = hits / len(found) if found else (1.0 if not truth else 0.0)
    return recall, precision


def write_maildir(corpus, directory):
    """Store the corpus as a Maildir (cur/ new/ tmp/), one file per message, all in new/."""
    for sub in ('cur', 'new', 'tmp'):
        os.makedirs(os.path.join(directory, sub), exist_ok=True)
    for index, message in enumerate(corpus.messages):
        with open(os.path.join(directory, 'new', '%d.corpus%06d.example' % (1700000000 + index, index)),
                  'wb') as handle:
            handle.write(message.raw)


def main(argv=None):
    parser = argparse.ArgumentParser(description='Write the FTS test corpus and its truth.')
    parser.add_argument('--count', type=int, default=20000)
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--cjk-share', type=float, default=0.3)
    parser.add_argument('--maildir', help='Maildir to create (new/ gets the messages)')
    parser.add_argument('--truth', help='JSON file: {word: [Message-ID, ...]}')
    parser.add_argument('--text', help='plain UTF-8 file of every subject and body (tokenizer tests)')
    args = parser.parse_args(argv)
    if not (args.maildir or args.truth or args.text):
        parser.error('give at least one of --maildir, --truth, --text')
    corpus = generate(args.count, args.seed, args.cjk_share)
    if args.maildir:
        write_maildir(corpus, args.maildir)
    if args.truth:
        with open(args.truth, 'w') as handle:
            json.dump(dict((word, sorted(ids)) for word, ids in corpus.truth.items()), handle,
                      ensure_ascii=False, indent=1)
    if args.text:
        with open(args.text, 'w', encoding='utf-8') as handle:
            handle.write(''.join(message.subject + '\n' + message.body for message in corpus.messages))
    return 0


if __name__ == '__main__':
    sys.exit(main())
