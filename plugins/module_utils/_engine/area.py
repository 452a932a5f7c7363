# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The contract between the engine and a settings area, checked when an area is registered.

A settings area is one file in ``_areas/`` - one area of the admin panel - holding:

* ``NAME`` (str) - the area, also its key in whole-page modules and results;
* ``DAEMONS`` (tuple) - the daemons whose configuration it reads and plans (``DAEMON_NAMES``);
* ``OPTIONS`` (tuple) - its settings, the module's option names;
* ``ARGUMENT_SPEC`` (dict) - Ansible argument spec of those options (and of action options);
* ``read(state)`` - the current settings, a dict in the option shape;
* ``desired(current, options, state)`` - the wanted settings, or SettingsError on bad input;
* ``plan(wanted, state)`` - a ``Plan`` of the configuration changes that produce them.

Optional, with the defaults used when absent:

* ``facts()`` - facts this area reads from the host's files (no commands), merged into
  ``state.facts`` before any area reads (default none);
* ``unavailable(state)`` - None when the area can be read and set on this host (default), else
  why not: a message naming the role to apply first. A module setting the area fails with it
  before anything is read or written; info modules and checks across areas leave the area out
  (for an area whose program a role of its own installs, which no daemon adapter stands for);
* ``read_staged(staged, wanted)`` - what a staged configuration gives (default ``read``), for
  areas keeping part of their settings outside the daemons' configuration;
* ``ports(settings, state)`` - {port: what listens there} the settings open (default none),
  checked against every other area and every other program before anything changes;
* ``public(settings)`` - the settings as shown in results and diffs (secrets masked);
* ``as_options(settings)`` - the settings as options of the area's module, as the info modules
  return them, so that giving them back changes nothing (default ``public``);
* ``in_effect(settings, listeners)`` - once the daemons took the change, None if the live
  service shows the settings (such as the TLS floor a listener answers with), else what it
  shows instead; ``listeners`` is {port: addresses} of the host's TCP listeners;
* ``preflight(host, current, wanted, state)`` - checks on the host before anything is written,
  returning a dict of result keys or raising SettingsError/HostError;
* ``follow_up(host, current, wanted, state, outcome)`` - work once the change is live (or
  unchanged), returning a ``FollowUp``; ``outcome`` holds ``activation`` ({daemon: action})
  and ``options`` (the options given, action options such as migrate_mail included).

Areas are pure except the two host hooks, which get a ``host`` (run_command, get_bin_path,
check_mode, warn) and never the Ansible module: they return data, the runner reports it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

POSTFIX = 'postfix'
DOVECOT = 'dovecot'
WEBMAIL = 'webmail'
FAIL2BAN = 'fail2ban'
RSPAMD = 'rspamd'
KEEPALIVED = 'keepalived'
# Order of commit and activation: keepalived, which moves the virtual IP to the listeners, after
# both mail daemons; the webmail (a client of both) takes its settings after them; rspamd, a milter
# whose settings no other daemon reads, then; fail2ban, which only reads their logs, last.
DAEMON_NAMES = (POSTFIX, DOVECOT, KEEPALIVED, WEBMAIL, RSPAMD, FAIL2BAN)

REQUIRED = ('NAME', 'DAEMONS', 'OPTIONS', 'ARGUMENT_SPEC', 'read', 'desired', 'plan')


class ContractError(TypeError):
    """An area file does not meet the contract: a programming error, raised at import."""


class State(object):
    """Everything an area reads, as plain data."""

    def __init__(self, postfix=None, services=None, dovecot=None, dialect=None, facts=None, webmail=None,
                 fail2ban=None, rspamd=None, keepalived=None):
        self.postfix = postfix        # effective main.cf parameters (postconf), name -> value
        self.services = services      # master.cf entries, "name/type" -> service dict
        self.dovecot = dovecot        # parsed `doveconf -n`
        self.dialect = dialect        # "2.3" or "2.4"
        self.facts = facts or {}      # facts about the host (addresses, listening ports, ...)
        self.webmail = webmail        # Roundcube's effective $config, key -> value
        self.fail2ban = fail2ban      # the areas' fail2ban jail files, area -> text
        self.rspamd = rspamd          # the areas' rspamd files and the DKIM keys (None: not set up)
        self.keepalived = keepalived  # {'config': keepalived.conf text} (None: not set up)

    def copy(self, **changes):
        values = dict(postfix=self.postfix, services=self.services, dovecot=self.dovecot,
                      dialect=self.dialect, facts=self.facts, webmail=self.webmail, fail2ban=self.fail2ban,
                      rspamd=self.rspamd, keepalived=self.keepalived)
        values.update(changes)
        return State(**values)


class ManagedFile(object):
    """A file an area writes beside the daemons' configuration (a lookup table, credentials).

    ``daemon`` None is a file whose reader notices the change by itself (a milter that stats its
    file per message): written and restored with the change like the others, staged by no daemon
    and activating none.
    """

    def __init__(self, path, text, daemon, mode=0o600, group=None):
        self.path = path
        self.text = text          # str, or bytes for binary content (an image)
        self.daemon = daemon      # the daemon that reads it (activated when the file changes), or None
        self.mode = mode
        self.group = group        # group name for a new file (root otherwise)


class Plan(object):
    """Configuration changes of one area and how each daemon must take them.

    ``edits`` maps a daemon name to that daemon's kind of edit (Postfix: parameters and
    master.cf services; Dovecot: the text of the area's override file); ``actions`` maps a
    daemon name to "reload" or "restart". ``files`` are written before any daemon's
    configuration and restored with it.
    """

    def __init__(self, postfix_parameters=None, postfix_services=None, dovecot_text=None,
                 postfix_action='reload', dovecot_action='reload', files=None,
                 edits=None, actions=None):
        self.edits = dict(edits or {})
        self.actions = dict(actions or {})
        self.files = list(files or [])
        if postfix_parameters or postfix_services:
            self.edits[POSTFIX] = {'parameters': dict(postfix_parameters or {}),
                                   'services': dict(postfix_services or {})}
        if dovecot_text is not None:
            self.edits[DOVECOT] = dovecot_text
        for daemon, action in ((POSTFIX, postfix_action), (DOVECOT, dovecot_action)):
            if daemon in self.edits or any(managed.daemon == daemon for managed in self.files):
                self.actions.setdefault(daemon, action)

    # The Postfix and Dovecot edits by name, for readers of a plan.
    @property
    def postfix_parameters(self):
        return self.edits.get(POSTFIX, {}).get('parameters', {})

    @property
    def postfix_services(self):
        return self.edits.get(POSTFIX, {}).get('services', {})

    @property
    def dovecot_text(self):
        return self.edits.get(DOVECOT)

    @property
    def postfix_action(self):
        return self.actions.get(POSTFIX)

    @property
    def dovecot_action(self):
        return self.actions.get(DOVECOT)


class FollowUp(object):
    """What an area's follow-up did: extra result keys, whether it changed the host, a failure."""

    def __init__(self, result=None, changed=False, failure=None, warnings=()):
        self.result = dict(result or {})
        self.changed = changed
        self.failure = failure
        self.warnings = list(warnings)


def _read_default(namespace):
    return lambda staged, _wanted: namespace.read(staged)


class Area(object):
    """One registered settings area: its file's names, checked, with defaults filled in."""

    def __init__(self, namespace):
        missing = [name for name in REQUIRED if not hasattr(namespace, name)]
        if missing:
            raise ContractError('%s lacks %s' % (namespace.__name__, ', '.join(missing)))
        unknown = set(namespace.DAEMONS) - set(DAEMON_NAMES)
        if unknown:
            raise ContractError('%s names unknown daemons %s' % (namespace.__name__, sorted(unknown)))
        unspecified = set(namespace.OPTIONS) - set(namespace.ARGUMENT_SPEC)
        if unspecified:
            raise ContractError('%s: options %s have no argument spec'
                                % (namespace.__name__, sorted(unspecified)))
        self.name = namespace.NAME
        self.daemons = tuple(namespace.DAEMONS)
        self.options = tuple(namespace.OPTIONS)
        self.argument_spec = namespace.ARGUMENT_SPEC
        self.read = namespace.read
        self.desired = namespace.desired
        self.plan = namespace.plan
        self.facts = getattr(namespace, 'facts', None) or dict
        self.unavailable = getattr(namespace, 'unavailable', None) or (lambda _state: None)
        self.read_staged = getattr(namespace, 'read_staged', None) or _read_default(namespace)
        self.ports = getattr(namespace, 'ports', None) or (lambda _settings, _state: {})
        self.public = getattr(namespace, 'public', None) or (lambda settings: settings)
        self.as_options = getattr(namespace, 'as_options', None) or self.public
        self.in_effect = getattr(namespace, 'in_effect', None) or (lambda _settings, _listeners: None)
        self.preflight = getattr(namespace, 'preflight', None)
        self.follow_up = getattr(namespace, 'follow_up', None)

    def __repr__(self):
        return 'Area(%s)' % self.name


def register(*namespaces):
    """Areas from their files, in order; ContractError names the first file that breaks it."""
    areas = tuple(Area(namespace) for namespace in namespaces)
    names = [area.name for area in areas]
    if len(set(names)) != len(names):
        raise ContractError('area names must be unique: %s' % names)
    return areas
