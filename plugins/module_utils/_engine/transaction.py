# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One settings change over any number of daemons: stage and validate all, then commit all or none.

A daemon adapter (``_postfix.host.PostfixHost``, ``_dovecot.host.DovecotHost``,
``_keepalived.host.KeepalivedHost``, ``_webmail.host.WebmailHost``, ``_rspamd.host.RspamdHost``,
``_fail2ban.host.Fail2banHost``) offers:

* ``name`` - its key in ``DAEMON_NAMES`` and in plans;
* ``read_into(state)`` - put its effective configuration into a State;
* ``merge(named_edits)`` - one edit from the areas' edits, [(area name, edit), ...];
* ``stage(edit, files)`` - validate a staged copy of its configuration with the edit and the
  managed files it reads; return ({live path: new text}, {State attribute: staged value});
* ``running()`` and ``activate(action)`` - the latter raising DaemonError unless the daemon
  demonstrably took the configuration.

``commit`` writes every managed file and every daemon's files, then activates each daemon in
``DAEMON_NAMES`` order. Any exception after the first write - a daemon refusing, a disk that is
full, a bug - restores every written file in reverse order and brings every daemon that was
touched back on its old configuration, then re-raises (as RolledBack for a host's failure).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import grp
import os

from ansible_collections.mailroom.server.plugins.module_utils._engine import activation, atomic_file
from ansible_collections.mailroom.server.plugins.module_utils._engine.area import DAEMON_NAMES
from ansible_collections.mailroom.server.plugins.module_utils._engine.errors import HostError


class RolledBack(HostError):
    """The change failed after live files changed; every one of them was restored."""

    changed = False


class RollbackIncomplete(HostError):
    """The change failed and restoring the previous configuration failed too: the host changed."""

    changed = True


class Transaction(object):
    """Stage, validate and commit the plans of several areas as one change."""

    def __init__(self, daemons, journal):
        self.daemons = daemons        # name -> adapter, for the daemons the areas configure
        self.journal = journal
        self.files = []               # ManagedFile objects whose text differs from the live file
        self.texts = {}               # daemon name -> {live path: new text}
        self.actions = {}             # daemon name -> reload/restart, for daemons that change

    def stage(self, named_plans, state):
        """Validate every daemon's staged configuration; return the staged State.

        Daemons whose files would not change get no action.
        """
        by_path = {}
        for _name, plan in named_plans:
            for managed in plan.files:
                by_path[managed.path] = managed
        self.files = [managed for managed in by_path.values()
                      if atomic_file.read_like(managed.path, managed.text) != managed.text]
        staged = {}
        for daemon_name in DAEMON_NAMES:
            daemon = self.daemons.get(daemon_name)
            edits = [(name, plan.edits[daemon_name]) for name, plan in named_plans
                     if daemon_name in plan.edits]
            files = [managed for managed in self.files if managed.daemon == daemon_name]
            if daemon is None or not (edits or files):
                continue
            texts, view = daemon.stage(daemon.merge(edits), files)
            staged.update(view)
            if texts or files:
                self.texts[daemon_name] = texts
                action = None
                for _name, plan in named_plans:
                    action = activation.stronger(action, plan.actions.get(daemon_name))
                self.actions[daemon_name] = action
        return state.copy(**staged)

    @property
    def paths(self):
        paths = [managed.path for managed in self.files]
        for daemon_name in DAEMON_NAMES:
            paths.extend(sorted(self.texts.get(daemon_name, {})))
        return paths

    def commit(self, activate, verify=None, first=(), released=None):
        """Write and activate everything; return {daemon: action taken or None}.

        Daemons are activated in DAEMON_NAMES order, those in `first` before the others: a daemon
        releasing a port another daemon of the change binds must let go of it first, and
        `released()` (raising HostError) waits until it has, before the others are activated.

        `verify(taken)`, called once every daemon took its configuration, raises HostError when the
        change is not in effect (such as a planned listener that is not bound); that rolls back too.
        """
        was_running = dict((name, self.daemons[name].running()) for name in self.actions)
        written = []      # (path, previous text or None), in the order written
        touched = []      # (daemon name, action), in the order activated
        taken = dict((name, None) for name in self.actions)
        self.journal.begin(self.paths, self.actions)
        try:
            # A file is listed for restoring once written: a failed atomic write left it as it was.
            for managed in self.files:
                previous = atomic_file.read_like(managed.path, managed.text)
                _write_managed(managed)
                written.append((managed.path, previous))
            for daemon_name in DAEMON_NAMES:
                for path, text in sorted(self.texts.get(daemon_name, {}).items()):
                    previous = atomic_file.read_text(path)
                    atomic_file.write_atomic(path, text)
                    written.append((path, previous))
            order = [name for name in DAEMON_NAMES if name in first] + \
                [name for name in DAEMON_NAMES if name not in first]
            for daemon_name in order:
                if released is not None and first and daemon_name not in first and \
                        any(taken.get(name) for name in first):
                    released()
                    released = None
                action = self.actions.get(daemon_name) if activate else None
                if action is None or not was_running.get(daemon_name):
                    continue
                touched.append((daemon_name, action))
                self.daemons[daemon_name].activate(action)
                taken[daemon_name] = action
            if verify is not None and any(taken.values()):
                verify(taken)
        except BaseException as exc:
            problems = self._undo(written, touched)
            self.journal.end()
            if problems:
                raise RollbackIncomplete('%s; restoring the previous configuration failed too: %s'
                                         % (_describe(exc), '; '.join(problems)))
            if isinstance(exc, (HostError, EnvironmentError)):
                raise RolledBack('%s; nothing was changed: the previous configuration is restored%s'
                                 % (_describe(exc), ' and active' if touched else ''))
            raise
        self.journal.end()
        return taken

    def _undo(self, written, touched):
        """Restore files newest first, then bring touched daemons back; return what failed."""
        problems = []
        for path, previous in reversed(written):
            try:
                if previous is None:
                    atomic_file.remove(path)
                else:
                    atomic_file.write_atomic(path, previous)
            except HostError as exc:
                problems.append(str(exc))
        for index, (daemon_name, action) in enumerate(reversed(touched)):
            # The daemon that failed may be down; the others still run the new configuration.
            undo_action = activation.RESTART if index == 0 else action
            try:
                self.daemons[daemon_name].activate(undo_action)
            except HostError as exc:
                problems.append('%s on the previous configuration: %s' % (daemon_name, exc))
        return problems


def _describe(exc):
    return str(exc) or exc.__class__.__name__


def _write_managed(managed):
    directory = os.path.dirname(managed.path)
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o755)
    gid = grp.getgrnam(managed.group).gr_gid if managed.group else None
    atomic_file.write_atomic(managed.path, managed.text, managed.mode, gid)
