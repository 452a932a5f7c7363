# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Merge one Maildir++ store into another without losing or doubling anything.

Used when the account type changes (mailroom.server.smtp migrate_mail): a user's old store is
merged into the store of the account with the same name under the new type.

* A message is identified by its content hash, its standard flags and its keyword names. The
  target keeps everything it has; a source message is copied only while the target holds fewer
  messages with that identity than the source (a multiset difference), so a re-run, or a run after
  an interruption, copies exactly what is still missing - never a message twice.
* A copy is written into the target folder's tmp/ and renamed into cur/ or new/: it is either
  complete or absent. Keyword letters are translated through both folders' dovecot-keywords files.
* verify() re-reads both stores; only a verified source is retired (renamed, never deleted).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import hashlib
import os
import socket
import time

STANDARD_FLAGS = 'DFPRST'
KEYWORDS_FILE = 'dovecot-keywords'
SUBSCRIPTIONS_FILE = 'subscriptions'
TMP_PREFIX = 'mailroom-migrate.'
INBOX = 'INBOX'

Message = collections.namedtuple('Message', 'path subdir flags keywords digest size')


class MigrationError(Exception):
    pass


def folders(root):
    """{folder name: directory} of a Maildir++ store: INBOX is the root, others are .Name dirs."""
    found = {}
    if os.path.isdir(os.path.join(root, 'cur')) or os.path.isdir(os.path.join(root, 'new')):
        found[INBOX] = root
    for entry in sorted(os.listdir(root)) if os.path.isdir(root) else ():
        path = os.path.join(root, entry)
        if (entry.startswith('.') and entry not in ('.', '..') and os.path.isdir(path)
                and (os.path.isdir(os.path.join(path, 'cur')) or os.path.isdir(os.path.join(path, 'new')))):
            found[entry[1:]] = path
    return found


def read_keywords(folder):
    """{letter: keyword name} from a folder's dovecot-keywords ("0 $Forwarded" is letter a)."""
    mapping = {}
    try:
        with open(os.path.join(folder, KEYWORDS_FILE)) as handle:
            for line in handle:
                index, _sep, name = line.strip().partition(' ')
                if index.isdigit() and name and int(index) < 26:
                    mapping[chr(ord('a') + int(index))] = name
    except (IOError, OSError):
        pass
    return mapping


def parse_name(name):
    """(standard flags, keyword letters) from a Maildir file name's ":2," info."""
    _base, sep, info = name.partition(':2,')
    if not sep:
        return '', ''
    standard = ''.join(sorted(set(char for char in info if char in STANDARD_FLAGS)))
    letters = ''.join(sorted(set(char for char in info if 'a' <= char <= 'z')))
    return standard, letters


def digest(path, chunk=1 << 20):
    hasher = hashlib.sha256()
    size = 0
    with open(path, 'rb') as handle:
        while True:
            block = handle.read(chunk)
            if not block:
                break
            hasher.update(block)
            size += len(block)
    return hasher.hexdigest(), size


def scan(folder):
    """The messages of one folder directory."""
    keywords = read_keywords(folder)
    messages = []
    for subdir in ('cur', 'new'):
        directory = os.path.join(folder, subdir)
        if not os.path.isdir(directory):
            continue
        for name in sorted(os.listdir(directory)):
            path = os.path.join(directory, name)
            if name.startswith('.') or not os.path.isfile(path):
                continue
            flags, letters = parse_name(name)
            names = frozenset(keywords[letter] for letter in letters if letter in keywords)
            hexdigest, size = digest(path)
            messages.append(Message(path, subdir, flags, names, hexdigest, size))
    return messages


def identity(message):
    return (message.digest, message.flags, message.keywords)


def missing(source, target):
    """Source messages the target lacks, by identity, counting duplicates (multiset difference)."""
    have = collections.Counter(identity(message) for message in target)
    result = []
    for message in source:
        key = identity(message)
        if have[key] > 0:
            have[key] -= 1
        else:
            result.append(message)
    return result


def _unique_name(counter, size):
    now = time.time()
    return '%d.M%06dP%dQ%d.%s,S=%d' % (int(now), int((now % 1) * 1e6), os.getpid(), counter,
                                       socket.gethostname().replace('/', '_').replace(':', '_'),
                                       size)


def _ensure_folder(path, owner):
    for sub in ('', 'cur', 'new', 'tmp'):
        directory = os.path.join(path, sub)
        if not os.path.isdir(directory):
            os.mkdir(directory, 0o700)
            _chown(directory, owner)


def _chown(path, owner):
    if owner is not None:
        os.chown(path, owner[0], owner[1])


def _keyword_letters(folder, names, owner, cache):
    """Letters for keyword names in a target folder, adding names its dovecot-keywords lacks.

    `cache` keeps each folder's mapping for the run (the file is read once per folder).
    """
    if not names:
        return ''
    if folder not in cache:
        cache[folder] = dict((name, letter) for letter, name in read_keywords(folder).items())
    mapping = cache[folder]
    added = [name for name in sorted(names) if name not in mapping]
    if added:
        used = set(ord(letter) - ord('a') for letter in mapping.values())
        free = [index for index in range(26) if index not in used]
        if len(free) < len(added):
            raise MigrationError('%s: more than 26 keywords' % folder)
        path = os.path.join(folder, KEYWORDS_FILE)
        with open(path, 'a') as handle:
            for name, index in zip(added, free):
                handle.write('%d %s\n' % (index, name))
                mapping[name] = chr(ord('a') + index)
        _chown(path, owner)
    return ''.join(sorted(mapping[name] for name in names))


def clean_tmp(folder):
    """Remove copies an interrupted run left half-written in tmp/."""
    directory = os.path.join(folder, 'tmp')
    if os.path.isdir(directory):
        for name in os.listdir(directory):
            if name.startswith(TMP_PREFIX):
                os.unlink(os.path.join(directory, name))


def copy_message(message, folder, owner, counter, keyword_cache=None):
    """Copy one message into a target folder: tmp/ first, then an atomic rename.

    Copies are not synced one by one: sync() runs once before a source is retired.
    """
    letters = _keyword_letters(folder, message.keywords, owner,
                               keyword_cache if keyword_cache is not None else {})
    name = _unique_name(counter, message.size)
    staged = os.path.join(folder, 'tmp', TMP_PREFIX + name)
    with open(message.path, 'rb') as source, open(staged, 'wb') as target:
        while True:
            block = source.read(1 << 20)
            if not block:
                break
            target.write(block)
    os.chmod(staged, 0o600)
    _chown(staged, owner)
    if message.subdir == 'new' and not (message.flags or letters):
        final = os.path.join(folder, 'new', name)
    else:
        final = os.path.join(folder, 'cur', '%s:2,%s%s' % (name, message.flags, letters))
    os.rename(staged, final)


def merge(source_root, target_root, owner=None, stop_after=None, source_scans=None):
    """Copy what the target lacks; return {'messages', 'bytes', 'copied', 'copied_bytes'}.

    `owner` is (uid, gid) for what is created; `stop_after` stops after that many copies (tests
    of interrupted runs); `source_scans`, a dict, receives each source folder's messages so
    that verify() need not hash the source again.
    """
    if not os.path.isdir(target_root):
        os.makedirs(target_root, 0o700)
        _chown(target_root, owner)
    totals = {'messages': 0, 'bytes': 0, 'copied': 0, 'copied_bytes': 0}
    counter = 0
    keyword_cache = {}
    for name, folder in folders(source_root).items():
        target_folder = target_root if name == INBOX else os.path.join(target_root, '.' + name)
        _ensure_folder(target_folder, owner)
        clean_tmp(target_folder)
        source = scan(folder)
        if source_scans is not None:
            source_scans[name] = source
        totals['messages'] += len(source)
        totals['bytes'] += sum(message.size for message in source)
        for message in missing(source, scan(target_folder)):
            if stop_after is not None and counter >= stop_after:
                return totals
            copy_message(message, target_folder, owner, counter, keyword_cache)
            counter += 1
            totals['copied'] += 1
            totals['copied_bytes'] += message.size
    _merge_subscriptions(source_root, target_root, owner)
    return totals


def _merge_subscriptions(source_root, target_root, owner):
    source = os.path.join(source_root, SUBSCRIPTIONS_FILE)
    if not os.path.isfile(source):
        return
    target = os.path.join(target_root, SUBSCRIPTIONS_FILE)
    with open(source) as handle:
        wanted = [line.rstrip('\n') for line in handle if line.strip()]
    have = []
    if os.path.isfile(target):
        with open(target) as handle:
            have = [line.rstrip('\n') for line in handle]
    added = [line for line in wanted if line not in have and not line.startswith('V\t')]
    if added:
        if not have:
            added.insert(0, 'V\t2')
            added.insert(1, '')
        with open(target, 'a') as handle:
            handle.write(''.join(line + '\n' for line in added))
        _chown(target, owner)


def verify(source_root, target_root, source_scans=None):
    """Problems that stop the source from being retired; empty when every source message (by
    content hash, flags and keywords, duplicates counted) is in the same target folder.

    The target is always read again; the source may come from merge()'s `source_scans`.
    """
    problems = []
    for name, folder in folders(source_root).items():
        target_folder = target_root if name == INBOX else os.path.join(target_root, '.' + name)
        source = source_scans[name] if source_scans and name in source_scans else scan(folder)
        lacking = missing(source, scan(target_folder) if os.path.isdir(target_folder) else [])
        if lacking:
            problems.append('%s: %d of its messages are not in the target' % (name, len(lacking)))
    return problems


def retire(source_root, label):
    """Move a verified source aside (never delete it); return where it went.

    The copies reach the disk first: the source only moves once they are durable.
    """
    os.sync()
    stamp = time.strftime('%Y%m%d%H%M%S')
    destination = '%s.migrated-to-%s-%s' % (source_root.rstrip('/'), label, stamp)
    os.rename(source_root, destination)
    return destination
