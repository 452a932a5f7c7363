# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module boundary of the settings engine: options in, one Transaction, a result out.

`run` reads the host once, asks each requested area (see area.py) for its wanted settings,
checks the ports they open against every other area and program, merges their plans into one
Transaction, validates it on staged copies, checks that the staged configuration reads back as
wanted, commits it (all daemons or none), proves the listeners, lets areas follow up, and exits
the module. SettingsError and HostError become fail_json; anything else is a bug and a traceback.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.mailroom.server.plugins.module_utils._engine import activation
from ansible_collections.mailroom.server.plugins.module_utils._engine.area import (
    DAEMON_NAMES, DOVECOT, FAIL2BAN, KEEPALIVED, POSTFIX, RSPAMD, WEBMAIL, State)
from ansible_collections.mailroom.server.plugins.module_utils._engine.errors import (
    EXPECTED,
    DaemonError,
    SettingsError,
)
from ansible_collections.mailroom.server.plugins.module_utils._engine.journal import Journal
from ansible_collections.mailroom.server.plugins.module_utils._engine.transaction import Transaction
from ansible_collections.mailroom.server.plugins.module_utils._dovecot.host import DovecotHost
from ansible_collections.mailroom.server.plugins.module_utils._fail2ban import host as _fail2ban_host
from ansible_collections.mailroom.server.plugins.module_utils._keepalived import host as _keepalived_host
from ansible_collections.mailroom.server.plugins.module_utils._operations import host_facts
from ansible_collections.mailroom.server.plugins.module_utils._postfix.host import PostfixHost
from ansible_collections.mailroom.server.plugins.module_utils._rspamd import host as _rspamd_host
from ansible_collections.mailroom.server.plugins.module_utils._webmail import host as _webmail_host


def _has_binary(name):
    return lambda module: bool(module.get_bin_path(name, opt_dirs=['/usr/sbin']))


# daemon -> (adapter, whether it is installed on the host)
ADAPTERS = {
    POSTFIX: (PostfixHost, _has_binary('postfix')),
    DOVECOT: (DovecotHost, _has_binary('dovecot')),
    KEEPALIVED: (_keepalived_host.KeepalivedHost, _keepalived_host.installed),
    WEBMAIL: (_webmail_host.WebmailHost, _webmail_host.installed),
    RSPAMD: (_rspamd_host.RspamdHost, _rspamd_host.installed),
    FAIL2BAN: (_fail2ban_host.Fail2banHost, _fail2ban_host.installed),
}
# How long a change may take to show on the wire (listeners bound or released, TLS floor).
LISTENER_TIMEOUT = 15


class Host(object):
    """What an area's host hooks may use: commands, check mode, warnings - not the module."""

    def __init__(self, module):
        self.run_command = module.run_command
        self.get_bin_path = module.get_bin_path
        self.warn = module.warn
        self.check_mode = module.check_mode


def activation_argument_spec():
    """The `activate` option every settings module shares (documented in the activation fragment)."""
    return dict(activate=dict(type='bool', default=True))


def check_types(options, spec, prefix=''):
    """Refuse booleans given for whole-number options (Ansible lets True pass as int 1)."""
    for name, value in (options or {}).items():
        option = spec.get(name) or {}
        if option.get('type') == 'int' and isinstance(value, bool):
            raise SettingsError('%s%s must be a whole number, not %s' % (prefix, name, str(value).lower()))
        if option.get('type') == 'dict' and option.get('options') and isinstance(value, dict):
            check_types(value, option['options'], '%s%s.' % (prefix, name))


def open_daemons(module, journal, needed):
    """Adapters for the `needed` daemons (required) and the others that are installed."""
    daemons = {}
    for name in DAEMON_NAMES:
        adapter, installed = ADAPTERS[name]
        if name in needed or installed(module):
            daemons[name] = adapter(module, journal)
    return daemons


def read_state(daemons, facts):
    state = State(facts=facts)
    for name in DAEMON_NAMES:
        if name in daemons:
            daemons[name].read_into(state)
    return state


def _readable(area, daemons, state):
    """Whether the area's daemons are on the host, and whatever else it stands on."""
    return all(name in daemons for name in area.daemons) and area.unavailable(state) is None


def port_claims(areas, settings, state):
    """{port: [(area name, what listens)]} of the given {area name: settings}."""
    claims = {}
    for area in areas:
        if area.name in settings:
            for port, label in area.ports(settings[area.name], state).items():
                claims.setdefault(port, []).append((area.name, label))
    return claims


def check_ports(all_areas, current, wanted, state):
    """Refuse a port a requested area newly opens that another area or another program uses.

    `current` holds every readable area's settings; `wanted` the requested areas' new ones.
    """
    after = dict(current, **wanted)
    claims_after = port_claims(all_areas, after, state)
    claims_now = port_claims(all_areas, current, state)
    listening = state.facts.get('listening_ports', set())
    for area in all_areas:
        if area.name not in wanted:
            continue
        before = area.ports(current[area.name], state) if area.name in current else {}
        opened = set(area.ports(wanted[area.name], state)) - set(before)
        for port in sorted(opened):
            label = area.ports(wanted[area.name], state)[port]
            others = [(name, what) for name, what in claims_after.get(port, []) if name != area.name]
            if others:
                raise SettingsError('%s: port %d for %s is already used by %s (%s); choose another port'
                                    % (area.name, port, label, others[0][1], others[0][0]))
            if port in listening and port not in claims_now:
                raise SettingsError('%s: port %d for %s is already used by another program listening '
                                    'on it; choose another port' % (area.name, port, label))


def _in_effect(all_areas, current, wanted, state):
    """A check for the committed change, for the changed areas whose daemons were activated
    (`taken`, {daemon: action or None}): the ports they open bound, the ports they close released,
    and each area's own proof (such as the TLS floor answered)."""

    def verify(taken):
        live = [area for area in all_areas if area.name in wanted
                and all(taken.get(name) for name in area.daemons)]
        before = port_claims(live, current, state)
        after = port_claims(live, wanted, state)
        should_listen = set(after)
        should_close = set(before) - set(after)

        def problems():
            listeners = host_facts.listeners()
            found = []
            unbound = sorted(should_listen - set(listeners))
            unreleased = sorted(should_close & set(listeners))
            if unbound:
                found.append('not listening on %s' % ', '.join(map(str, unbound)))
            if unreleased:
                found.append('still listening on %s' % ', '.join(map(str, unreleased)))
            if not found:
                found = [shown for shown in (area.in_effect(wanted[area.name], listeners) for area in live) if shown]
            return found

        if activation.wait_for(lambda: not problems(), LISTENER_TIMEOUT):
            return
        raise DaemonError('the new configuration is not in effect: %s' % '; '.join(problems()))
    return verify


def given(area, options):
    """Whether any of the area's options, or an action option it takes, was given."""
    return any(options.get(name) not in (None, False) for name in area.argument_spec)


def port_handover(changed, current, wanted, state):
    """{daemon: ports} a daemon of the change closes that another daemon of the change opens:
    that daemon must be activated, and let go of them, first."""
    opened, closed = {}, {}
    for area in changed:
        before = set(area.ports(current[area.name], state))
        after = set(area.ports(wanted[area.name], state))
        for name in area.daemons:
            opened.setdefault(name, set()).update(after - before)
            closed.setdefault(name, set()).update(before - after)
    handover = {}
    for name, ports in closed.items():
        taken_over = ports & set().union(*[other for each, other in opened.items() if each != name])
        if taken_over:
            handover[name] = taken_over
    return handover


def _released(ports):
    """A wait until `ports` are no longer bound (old processes of a reloaded daemon may hold a
    listener a moment longer); DaemonError if they still are after LISTENER_TIMEOUT."""

    def wait():
        if not activation.wait_for(lambda: not ports & host_facts.listening_ports(), LISTENER_TIMEOUT):
            raise DaemonError('ports %s are still bound %d seconds after the daemon releasing them was '
                              'activated' % (', '.join(map(str, sorted(ports & host_facts.listening_ports()))),
                                             LISTENER_TIMEOUT))
    return wait


class Request(object):
    """One module call: which areas with which options, and how results are shaped.

    `layout` ((key, areas), ...) keys results by page section (whole-page modules); without it
    results are the requested areas' settings merged into one dict (per-area modules).
    """

    def __init__(self, module, requests, all_areas, layout=None):
        self.module = module
        self.requests = requests          # [(Area, options)]
        self.all_areas = all_areas        # every registered area, for port checks
        self.layout = layout

    def shaped(self, values, as_options=False):
        """`values` ({area name: settings}) in the module's shape: as shown (public), or with
        `as_options` as options to give back."""
        requested = [area for area, _options in self.requests]
        if not self.layout:
            return _merged(requested, values, as_options)
        return dict((key, _merged([area for area in areas if area in requested], values, as_options))
                    for key, areas in self.layout if any(area in requested for area in areas))


def _merged(areas, values, as_options):
    merged = {}
    for area in areas:
        merged.update((area.as_options if as_options else area.public)(values[area.name]))
    return merged


def area_argument_spec(areas):
    """The flat argument spec of a module setting `areas`, with `activate`."""
    spec = activation_argument_spec()
    for area in areas:
        spec.update(area.argument_spec)
    return spec


def page_argument_spec(layout):
    """The argument spec of a whole-page module: one dict option per page section."""
    spec = activation_argument_spec()
    for key, areas in layout:
        options = {}
        for area in areas:
            options.update(area.argument_spec)
        spec[key] = dict(type='dict', options=options)
    return spec


def area_requests(params, areas, optional=()):
    """[(Area, options)] from flat module parameters; `optional` areas only when given."""
    requests = []
    for area in areas:
        options = dict((name, params.get(name)) for name in area.argument_spec)
        if area not in optional or given(area, options):
            requests.append((area, options))
    return requests


def page_requests(params, layout, optional=()):
    """[(Area, options)] from a whole-page module's parameters (sections left out: unchanged)."""
    requests = []
    for key, areas in layout:
        if params.get(key) is not None:
            requests.extend(area_requests(params[key], areas, optional))
    return requests


def run(module, requests, all_areas, layout=None):
    """Apply [(Area, options), ...] on the host as one change and exit the module (see Request)."""
    request = Request(module, requests, all_areas, layout)
    result = dict(changed=False, activation={}, reload_required=False, restart_required=False)
    try:
        _run(request, result)
    except EXPECTED as exc:
        result['changed'] = bool(getattr(exc, 'changed', result['changed']))
        module.fail_json(msg=str(exc), **result)
    module.exit_json(**result)


def _run(request, result):
    module = request.module
    journal = Journal()
    journal.sweep()
    interrupted = journal.interrupted()
    if interrupted:
        result['interrupted_change'] = interrupted
        module.warn('a settings change started %s (pid %s) was interrupted before it finished; files it '
                    'was changing: %s. This run converges them.' % (
                        interrupted.get('started'), interrupted.get('pid'),
                        ', '.join(interrupted.get('files') or []) or 'unknown'))
    for area, options in request.requests:
        check_types(options, area.argument_spec)
    needed = set(name for area, _options in request.requests for name in area.daemons)
    daemons = open_daemons(module, journal, needed)
    if interrupted and not module.check_mode:
        result['activation'] = _finish_interrupted(interrupted, daemons, journal)
        result['changed'] = bool(result['activation'])
    facts = host_facts.gather(module)
    for area in request.all_areas:
        facts.update(area.facts())
    state = read_state(daemons, facts)

    current, wanted = {}, {}
    requested = [area for area, _options in request.requests]
    for area, _options in request.requests:
        # Before any read: an area whose program is missing has nothing to read or set.
        missing = area.unavailable(state)
        if missing:
            raise SettingsError('%s: %s' % (area.name, missing))
    for area in request.all_areas:
        if area not in requested and _readable(area, daemons, state):
            try:
                current[area.name] = area.read(state)
            except SettingsError:
                # An area this call does not set and cannot read has no ports to compare with.
                continue
    for area, options in request.requests:
        current[area.name] = area.read(state)
        wanted[area.name] = area.desired(current[area.name], options, state)
    result['settings'] = request.shaped(wanted)
    if module._diff:
        result['diff'] = dict(before=request.shaped(current), after=request.shaped(wanted))
    changed = [area for area, _options in request.requests if wanted[area.name] != current[area.name]]
    if changed:
        check_ports(request.all_areas, current, dict((area.name, wanted[area.name]) for area in changed), state)
        _change(request, result, changed, daemons, journal, state, current, wanted)
    _follow_up(request, result, state, current, wanted)


def _finish_interrupted(record, daemons, journal):
    """Activate what an interrupted change may have left unactivated, then drop its marker.

    Its files are either all old (killed before writing) or partly new; the daemons take
    whatever is on disk now, and this run's own change (if any) converges the rest.
    """
    actions = record.get('daemons') if isinstance(record.get('daemons'), dict) else {}
    taken = {}
    for name in DAEMON_NAMES:
        if name in actions and name in daemons and daemons[name].running():
            taken[name] = actions[name] or activation.RESTART
            daemons[name].activate(taken[name])
    journal.end()
    return taken


def _change(request, result, changed, daemons, journal, state, current, wanted):
    module = request.module
    transaction = Transaction(daemons, journal)
    staged = transaction.stage([(area.name, area.plan(wanted[area.name], state)) for area in changed], state)
    for area in changed:
        read_back = area.read_staged(staged, wanted[area.name])
        if read_back != wanted[area.name]:
            raise SettingsError(
                '%s: the staged configuration would give %s instead of %s: another configuration '
                'file overrides these settings'
                % (area.name, area.public(read_back), area.public(wanted[area.name])))
    for area in changed:
        # What no configuration check can tell, such as whether a directory answers.
        if area.preflight is not None:
            result.update(area.preflight(Host(module), current[area.name], wanted[area.name], state))
    if module.check_mode:
        # What a real run would still leave to do with activate: false, and does itself otherwise.
        result['changed'] = True
        result['restart_required'] = activation.RESTART in transaction.actions.values()
        result['reload_required'] = activation.RELOAD in transaction.actions.values()
        return
    verify = _in_effect(request.all_areas, current, dict((area.name, wanted[area.name]) for area in changed), state)
    handover = port_handover(changed, current, wanted, state)
    taken = transaction.commit(module.params['activate'], verify, first=set(handover),
                               released=_released(set().union(*handover.values()) if handover else set()))
    result['changed'] = True
    result['activation'].update((name, action or 'none') for name, action in taken.items())
    pending = [transaction.actions[name] for name, action in taken.items() if action is None]
    result['restart_required'] = activation.RESTART in pending
    result['reload_required'] = activation.RELOAD in pending


def _follow_up(request, result, state, current, wanted):
    """Let areas follow up on their (live or unchanged) settings; a failure fails the module."""
    module = request.module
    for area, options in request.requests:
        if area.follow_up is None:
            continue
        outcome = area.follow_up(Host(module), current[area.name], wanted[area.name], state,
                                 dict(activation=result['activation'], options=options))
        result.update(outcome.result)
        result['changed'] = result['changed'] or outcome.changed
        for warning in outcome.warnings:
            module.warn(warning)
        if outcome.failure:
            module.fail_json(msg=outcome.failure, **result)


def read_areas(module, areas, *layouts):
    """(current settings shaped by each of `layouts`, ..., interrupted change or None) of the
    installed areas, from one read of the host."""
    journal = Journal()
    daemons = open_daemons(module, journal, ())
    facts = host_facts.gather(module)
    for area in areas:
        facts.update(area.facts())
    state = read_state(daemons, facts)
    values = dict((area.name, area.read(state)) for area in areas if _readable(area, daemons, state))
    read = [(area, {}) for area in areas if area.name in values]
    pages = [Request(module, read, areas, layout).shaped(values, as_options=True) for layout in layouts]
    return tuple(pages) + (journal.interrupted(),)
