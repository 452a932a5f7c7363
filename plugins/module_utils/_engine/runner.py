# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run one settings area end to end; the areas themselves are pure.

An area is a module-level namespace (see _smtp, _imap_pop3, _network_interface, _tls_profile) with

* ``NAME`` - the area, also the name of its Dovecot override file;
* ``DAEMONS`` - which of "postfix" and "dovecot" it configures;
* ``read(state)`` - the current settings in the module's option shape;
* ``desired(current, options, state)`` - the wanted settings, raising SettingsError on bad input;
* ``plan(wanted, state)`` - a Plan of the configuration changes that produce them;
* optionally ``read_staged(staged, wanted)`` - what the staged configuration gives, for areas
  whose settings are partly kept outside the daemons' configuration (default: ``read``);
* optionally ``preflight(module, current, wanted, state)`` - checks on the host that must pass
  before anything is written (such as binding to a directory), raising SettingsError;
* optionally ``follow_up(module, current, wanted, state, result)`` - work that must follow the
  change once it is live (such as rebuilding indexes), returning extra result keys;
* optionally ``public(settings)`` - the settings as shown in results and diffs (secrets masked).

The runner reads the state once, asks each area, merges their plans into one change per daemon,
validates it on staged copies of both daemons' configuration, checks that the staged configuration
reads back as the wanted settings (so no other file silently overrides them), and only then writes
the live files and reloads or restarts each daemon once.
If the second daemon fails, the first one's change is rolled back too.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import grp
import os

from ansible_collections.mailroom.server.plugins.module_utils._engine import atomic_file as _atomic_file
from ansible_collections.mailroom.server.plugins.module_utils._engine import activation as _daemon
from ansible_collections.mailroom.server.plugins.module_utils._postfix import config as _postfix
from ansible_collections.mailroom.server.plugins.module_utils._dovecot.host import DovecotHost
from ansible_collections.mailroom.server.plugins.module_utils._postfix.host import PostfixHost

POSTFIX = 'postfix'
DOVECOT = 'dovecot'


class SettingsError(ValueError):
    """Bad input for a setting; the message names the option and the allowed values."""


# What can go wrong on a host, reported with fail_json instead of a traceback: bad input, a daemon
# refusing the configuration, unreadable or unwritable files (OSError), undecodable text or an
# unexpected value in a config file (ValueError, which includes UnicodeDecodeError).
HOST_ERRORS = (SettingsError, _daemon.DaemonError, _postfix.ConfigError, OSError, ValueError)


class State(object):
    """Everything an area reads, as plain data."""

    def __init__(self, postfix=None, services=None, dovecot=None, dialect=None, facts=None):
        self.postfix = postfix        # effective main.cf parameters (postconf), name -> value
        self.services = services      # master.cf entries, "name/type" -> service dict
        self.dovecot = dovecot        # parsed `doveconf -n`
        self.dialect = dialect        # "2.3" or "2.4"
        self.facts = facts or {}      # area-specific facts the module gathered (addresses, ...)


class ManagedFile(object):
    """A file an area writes beside the daemons' configuration (a lookup table, credentials)."""

    def __init__(self, path, text, daemon, mode=0o600, group=None):
        self.path = path
        self.text = text
        self.daemon = daemon      # POSTFIX or DOVECOT: reloaded when the file changes
        self.mode = mode
        self.group = group        # group name for a new file (root otherwise)

    def changed(self):
        return _atomic_file.read_text(self.path) != self.text


class Plan(object):
    """Configuration changes of one area and how each daemon must take them.

    `files` (ManagedFile list) are written before either daemon's configuration, and restored
    with it if a daemon does not take the change.
    """

    def __init__(self, postfix_parameters=None, postfix_services=None, dovecot_text=None,
                 postfix_action=_daemon.RELOAD, dovecot_action=_daemon.RELOAD, files=None):
        self.postfix_parameters = postfix_parameters or {}
        self.postfix_services = postfix_services or {}
        self.dovecot_text = dovecot_text
        self.postfix_action = postfix_action
        self.dovecot_action = dovecot_action
        self.files = files or []

    @property
    def touches_postfix(self):
        return bool(self.postfix_parameters or self.postfix_services)


def _read_state(postfix, dovecot, facts):
    state = State(facts=facts)
    if postfix:
        texts = postfix.read()
        state.postfix = postfix.effective()
        state.services = _postfix.parse_master_cf(texts['master.cf'])
    if dovecot:
        state.dialect = dovecot.dialect
        state.dovecot = dovecot.effective()
    return state


class Change(object):
    """The plans of several areas as one change per daemon: one validation, one activation."""

    def __init__(self, named_plans):
        self.postfix_parameters = {}
        self.postfix_services = {}
        self.dovecot_texts = {}
        self.actions = {}
        self.files = []
        for name, plan in named_plans:
            self.files.extend(plan.files)
            self.postfix_parameters.update(plan.postfix_parameters)
            self.postfix_services.update(plan.postfix_services)
            if plan.touches_postfix or any(f.daemon == POSTFIX for f in plan.files):
                self._need(POSTFIX, plan.postfix_action)
            if plan.dovecot_text is not None:
                self.dovecot_texts[name] = plan.dovecot_text
            if plan.dovecot_text is not None or any(f.daemon == DOVECOT for f in plan.files):
                self._need(DOVECOT, plan.dovecot_action)

    def _need(self, daemon, action):
        # A restart also does what a reload would.
        if self.actions.get(daemon) != _daemon.RESTART:
            self.actions[daemon] = action


def _stage(change, state, postfix, dovecot):
    """Validate the change on staged copies; return (staged State, changed Postfix texts).

    Daemons whose files would not change are dropped from `change.actions`.
    """
    staged = State(state.postfix, state.services, state.dovecot, state.dialect, state.facts)
    new_texts = {}
    if POSTFIX in change.actions:
        texts = postfix.read()
        edited = {
            'main.cf': _postfix.edit_main_cf(texts['main.cf'], change.postfix_parameters),
            'master.cf': _postfix.edit_master_cf(texts['master.cf'], change.postfix_services),
        }
        names = set(name for name, value in change.postfix_parameters.items() if value is not None)
        for service in change.postfix_services.values():
            if service:
                names.update(service['options'])
        staged.postfix = postfix.validate(edited, names)
        staged.services = _postfix.parse_master_cf(edited['master.cf'])
        new_texts = dict((name, text) for name, text in edited.items() if text != texts[name])
        if not new_texts and not _files_changed(change, POSTFIX):
            del change.actions[POSTFIX]
    if DOVECOT in change.actions:
        # An area file already as planned is neither written nor reloaded for.
        change.dovecot_texts = dict((area, text) for area, text in change.dovecot_texts.items()
                                    if text != dovecot.read_settings(area))
        if change.dovecot_texts:
            staged.dovecot = dovecot.validate(change.dovecot_texts)
        elif not _files_changed(change, DOVECOT):
            del change.actions[DOVECOT]
    return staged, new_texts


def _files_changed(change, daemon):
    return any(managed.changed() for managed in change.files if managed.daemon == daemon)


def _write_managed_files(files):
    """Write the areas' own files; return what to restore ({path: previous text or None})."""
    previous = {}
    try:
        for managed in files:
            current = _atomic_file.read_text(managed.path)
            if current == managed.text:
                continue
            previous[managed.path] = current
            directory = os.path.dirname(managed.path)
            if not os.path.isdir(directory):
                os.makedirs(directory, 0o755)
            gid = grp.getgrnam(managed.group).gr_gid if managed.group else None
            _atomic_file.write_atomic(managed.path, managed.text, managed.mode, gid)
    except BaseException:
        _daemon.write_files(previous)
        raise
    return previous


def _commit(change, new_texts, postfix, dovecot, activate):
    """Write and activate both daemons' changes; roll everything back if a daemon fails."""
    taken = {}
    previous_files = _write_managed_files(change.files)
    try:
        return _commit_daemons(change, new_texts, postfix, dovecot, activate, taken)
    except BaseException:
        _daemon.write_files(previous_files)
        raise


def _commit_daemons(change, new_texts, postfix, dovecot, activate, taken):
    previous_postfix = None

    def action(daemon):
        return change.actions.get(daemon) if activate else None

    # A daemon whose own files stay as they are may still need its action: an area's file (such
    # as a lookup table) changed.
    if new_texts or POSTFIX in change.actions:
        previous_postfix = postfix.read() if new_texts else None
        taken[POSTFIX] = postfix.commit(new_texts, action(POSTFIX))
    if change.dovecot_texts or DOVECOT in change.actions:
        try:
            taken[DOVECOT] = dovecot.commit(change.dovecot_texts, action(DOVECOT))
        except _daemon.DaemonError:
            if previous_postfix is not None:
                postfix.commit(previous_postfix, action(POSTFIX))
            raise
    return taken


def run(module, requests, facts=None, nested=False):
    """Apply [(area, options), ...] on the host as one change and exit the module.

    With `nested`, `settings` and the diff are keyed by area name (the service module); otherwise
    they are the areas' options merged into one dict (the per-area modules).
    """
    daemons = set(daemon for area, _options in requests for daemon in area.DAEMONS)
    postfix = PostfixHost(module) if POSTFIX in daemons else None
    dovecot = DovecotHost(module) if DOVECOT in daemons else None
    current, wanted = {}, {}
    try:
        state = _read_state(postfix, dovecot, facts)
        for area, options in requests:
            current[area.NAME] = area.read(state)
            wanted[area.NAME] = area.desired(current[area.NAME], options, state)
    except HOST_ERRORS as exc:
        module.fail_json(msg=str(exc))

    def shaped(values):
        public = dict((area.NAME, getattr(area, 'public', lambda settings: settings)(values[area.NAME]))
                      for area, _options in requests)
        if nested:
            return public
        merged = {}
        for area, _options in requests:
            merged.update(public[area.NAME])
        return merged

    changed = [area for area, _options in requests if wanted[area.NAME] != current[area.NAME]]
    result = dict(changed=bool(changed), settings=shaped(wanted), activation={},
                  reload_required=False, restart_required=False)
    if module._diff:
        result['diff'] = dict(before=shaped(current), after=shaped(wanted))
    if not changed:
        _exit(module, requests, current, wanted, state, result)

    change = Change([(area.NAME, area.plan(wanted[area.NAME], state)) for area in changed])
    try:
        staged, new_texts = _stage(change, state, postfix, dovecot)
        for area in changed:
            read_staged = getattr(area, 'read_staged', lambda view, _wanted: area.read(view))
            read_back = read_staged(staged, wanted[area.NAME])
            if read_back != wanted[area.NAME]:
                raise SettingsError(
                    '%s: the staged configuration would give %s instead of %s: another '
                    'configuration file overrides these settings'
                    % (area.NAME, area.public(read_back) if hasattr(area, 'public') else read_back,
                       area.public(wanted[area.NAME]) if hasattr(area, 'public') else wanted[area.NAME]))
            # What no configuration check can tell, such as whether a directory answers.
            preflight = getattr(area, 'preflight', None)
            if preflight is not None:
                preflight(module, current[area.NAME], wanted[area.NAME], state)
        if not module.check_mode:
            taken = _commit(change, new_texts, postfix, dovecot, module.params['activate'])
            result['activation'] = dict((daemon, taken.get(daemon) or 'none')
                                        for daemon in change.actions)
    except HOST_ERRORS as exc:
        module.fail_json(msg=str(exc), **result)

    pending = [action for daemon, action in change.actions.items()
               if result['activation'].get(daemon, 'none') == 'none']
    result['restart_required'] = _daemon.RESTART in pending
    result['reload_required'] = _daemon.RELOAD in pending
    _exit(module, requests, current, wanted, state, result)


def _exit(module, requests, current, wanted, state, result):
    """Let areas follow up on their (live or unchanged) settings, then exit the module."""
    try:
        for area, _options in requests:
            follow_up = getattr(area, 'follow_up', None)
            if follow_up is not None:
                result.update(follow_up(module, current[area.NAME], wanted[area.NAME], state, result))
    except HOST_ERRORS as exc:
        module.fail_json(msg=str(exc), **result)
    module.exit_json(**result)


def read_areas(module, areas, facts=None):
    """The current settings of each area, {area name: options}, from one read of each daemon."""
    postfix = PostfixHost(module)
    dovecot = DovecotHost(module)
    state = _read_state(postfix, dovecot, facts)
    return dict((area.NAME, area.read(state)) for area in areas)


def activation_argument_spec():
    """The `activate` option every settings module shares (documented in the activation fragment)."""
    return dict(activate=dict(type='bool', default=True))
