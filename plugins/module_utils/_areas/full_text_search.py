# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The full-text search settings area (Dovecot): read it from a parsed config, plan and render it.

Options: enabled (search indexes used by IMAP SEARCH), cjk (Chinese, Japanese and Korean text cut
into character n-grams by the search role's tokenizer plugin, so every word is found).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.mailroom.server.plugins.module_utils._engine import activation
from ansible_collections.mailroom.server.plugins.module_utils._dovecot import config as _dovecot
from ansible_collections.mailroom.server.plugins.module_utils._operations.search_index import SearchIndexes
from ansible_collections.mailroom.server.plugins.module_utils._engine.area import DOVECOT, FollowUp, Plan
from ansible_collections.mailroom.server.plugins.module_utils._engine.errors import SettingsError

NAME = 'full_text_search'
DAEMONS = (DOVECOT,)
OPTIONS = ('enabled', 'cjk')
ARGUMENT_SPEC = dict(
    enabled=dict(type='bool'),
    cjk=dict(type='bool'),
)

TOKENIZER_PLUGIN = 'mailroom_cjk'
MODULE_DIR = '/usr/lib/dovecot/modules'
# Words of up to this many CJK characters are index terms themselves; longer query words are
# matched through all their overlapping n-grams of this length (the plugin's CJK_GRAM_MAX).
CJK_EXACT_WORD_LENGTH = 6


class Backend(object):
    """How one Dovecot release indexes: the backend plugin and the CJK tokenizer that fits it."""

    def __init__(self, name, plugin, cjk_tokenizer):
        self.name = name
        self.plugin = plugin
        self.cjk_tokenizer = cjk_tokenizer


# lucene (2.3) looks up whole terms: the tokenizer indexes every n-gram. flatcurve (2.4) matches
# term prefixes: one term per character is enough.
BACKENDS = {
    _dovecot.DIALECT_23: Backend('lucene', 'fts_lucene', 'cjk-ngram'),
    _dovecot.DIALECT_24: Backend('flatcurve', 'fts_flatcurve', 'cjk-prefix'),
}
GENERIC_TOKENIZERS = ['generic', 'email-address']


def facts():
    """The plugin files Dovecot could load."""
    return {'modules': os.listdir(MODULE_DIR) if os.path.isdir(MODULE_DIR) else []}


def backend(dialect):
    return BACKENDS[dialect]


def _tokenizers(config, dialect):
    if dialect == _dovecot.DIALECT_24:
        return (config.get('language_tokenizers') or '').split()
    return (_dovecot.lookup(config, 'plugin', 'fts_tokenizers') or '').split()


def read(state):
    """Return the current settings, in the module's option shape."""
    config, dialect = state.dovecot, state.dialect
    plugins = _dovecot.name_list(config, 'mail_plugins')
    tokenizers = _tokenizers(config, dialect)
    return {
        'enabled': 'fts' in plugins and backend(dialect).plugin in plugins,
        # kept while search is off, so turning it back on restores the choice
        'cjk': bool(tokenizers) and tokenizers[0] == backend(dialect).cjk_tokenizer,
    }


def desired(current, options, state):
    """Merge the given options over the current settings; refuse what the host cannot do."""
    result = dict(current)
    result.update((name, value) for name, value in options.items()
                  if name in OPTIONS and value is not None)
    missing = missing_plugins(result, state.dialect, state.facts.get('modules', ()))
    if missing:
        raise SettingsError('full-text search needs the Dovecot plugins %s, which are not installed: '
                            'apply the mailroom.server.search role first' % ', '.join(missing))
    return result


def missing_plugins(settings, dialect, modules):
    """Plugins the settings load that are not among `modules` (file names in Dovecot's module dir)."""
    if not settings['enabled']:
        return []
    wanted = ['fts', backend(dialect).plugin] + ([TOKENIZER_PLUGIN] if settings['cjk'] else [])
    return [name for name in wanted
            if not any(module.endswith('_%s_plugin.so' % name) for module in modules)]


def plan(wanted, state):
    """New IMAP/POP3/LMTP processes load the plugins after a reload; no restart needed."""
    return Plan(dovecot_text=render(wanted, state.dialect), dovecot_action=activation.RELOAD)


def render(settings, dialect):
    """Render the override file that makes Dovecot match `settings`."""
    chosen = backend(dialect)
    tokenizers = ([chosen.cjk_tokenizer, 'email-address'] if settings['cjk']
                  else GENERIC_TOKENIZERS)
    plugins = []
    if settings['enabled']:
        plugins = ['fts', chosen.plugin] + ([TOKENIZER_PLUGIN] if settings['cjk'] else [])
    entries = []
    if dialect == _dovecot.DIALECT_24:
        if plugins:
            entries.append(('mail_plugins', [(name, 'yes') for name in plugins]))
            # substring search would store every suffix of every term; the tokenizer already
            # makes CJK substrings findable and Latin words match from their start.
            entries.append(('fts flatcurve', [('substring_search', 'no')]))
        entries.append(('language_tokenizers', ' '.join(tokenizers)))
    else:
        if plugins:
            entries.append(('mail_plugins', ' '.join(['$mail_plugins'] + plugins)))
        plugin_settings = [('fts_tokenizers', ' '.join(tokenizers))]
        if plugins:
            plugin_settings.insert(0, ('fts', chosen.name))
        entries.append(('plugin', plugin_settings))
    return _dovecot.render(entries, header=(
        'Managed by mailroom.server.full_text_search: the full-text search settings area.\n'
        'Changes made here by hand are replaced on its next change.'))


def needs_rebuild(current, wanted):
    """Indexes built while search was off, or with the other tokenizer, no longer match."""
    return wanted['enabled'] and (current != wanted)


def coverage(settings, dialect):
    """What searching finds with these settings, in words, for the module's result."""
    latin = ('Latin-script words match from their start' if dialect == _dovecot.DIALECT_24
             else 'Latin-script words match whole words')
    if not settings['enabled']:
        return ('no search index: Dovecot reads every message for each search (finds every '
                'substring, slowly on large mailboxes)')
    if not settings['cjk']:
        return ('search index; %s; a CJK run is one term cut at 30 bytes, so CJK words inside '
                'longer runs are not found' % latin)
    return ('search index; %s; CJK words of up to %d characters are found exactly wherever they '
            'stand, longer ones where all their %d-character parts occur'
            % (latin, CJK_EXACT_WORD_LENGTH, CJK_EXACT_WORD_LENGTH))


def follow_up(host, current, wanted, state, outcome):
    """Rebuild the indexes once new terms are live; report what searching finds."""
    extra = {'backend': backend(state.dialect).name if wanted['enabled'] else 'none',
             'coverage': coverage(wanted, state.dialect), 'index_rebuild': 'not needed'}
    if not needs_rebuild(current, wanted):
        return FollowUp(extra)
    if host.check_mode:
        extra['index_rebuild'] = 'would be queued'
        return FollowUp(extra)
    if outcome['activation'].get(DOVECOT) in (None, 'none'):
        # The running Dovecot still uses the old terms: a rebuild now would index with them.
        extra['index_rebuild'] = 'required after the reload'
        return FollowUp(extra)
    rebuilt = SearchIndexes(host).rebuild(state.dialect)
    extra['index_rebuild'] = rebuilt['mode']
    extra['index_rebuild_users'] = rebuilt['users']
    warnings = []
    if rebuilt['failed']:
        extra['index_rebuild_failed'] = rebuilt['failed']
        warnings.append('search indexes of %d users could not be reset; their searches may miss '
                        'mail until `doveadm fts rescan` is run for them: %s'
                        % (len(rebuilt['failed']), ', '.join(sorted(rebuilt['failed']))))
    return FollowUp(extra, changed=bool(rebuilt['users']), warnings=warnings)
