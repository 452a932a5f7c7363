# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The SMTP settings area (Postfix): service on/off, port, SMTPS, STARTTLS.

Turning services off uses Postfix's `master_service_disable`, so master.cf entries (and any
options an administrator gave them) stay and come back unchanged when a service is turned on.
The port moves the MX service's master.cf entry; STARTTLS sets its TLS level and the 587
submission service (which requires STARTTLS) follows it.

The master.cf entries the high_availability area binds to the pair's virtual IP are copies of the
services here, not services of their own: this area leaves them out when it finds the services,
and turns a copy off and on with its service.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import socket

from ansible_collections.mailroom.server.plugins.module_utils import _ha
from ansible_collections.mailroom.server.plugins.module_utils._engine import activation
from ansible_collections.mailroom.server.plugins.module_utils._engine.area import POSTFIX, Plan
from ansible_collections.mailroom.server.plugins.module_utils._engine.errors import SettingsError
from ansible_collections.mailroom.server.plugins.module_utils._postfix.config import service_key

NAME = 'smtp'
DAEMONS = (POSTFIX,)
OPTIONS = ('enabled', 'port', 'smtps', 'starttls')
ARGUMENT_SPEC = dict(
    enabled=dict(type='bool'),
    port=dict(type='int'),
    smtps=dict(type='bool'),
    starttls=dict(type='bool'),
)
PORT_RANGE = (1, 65535)

# /etc/services names Postfix's own master.cf uses for its listeners.
SERVICE_PORTS = {'smtp': 25, 'submission': 587, 'smtps': 465, 'submissions': 465}
SMTPD_COMMANDS = ('smtpd', 'postscreen')
DISABLE_ALL = 'inet'
LISTENER_TLS_LEVEL = 'smtpd_tls_security_level'


def split_name(name):
    """("host", "port") of an inet service name; the host is "" when absent."""
    host, sep, port = name.rpartition(':')
    return (host if sep else ''), port


def service_port(name):
    """Port of an inet service name: "smtp", "2525", "192.0.2.1:2525"; None if unknown."""
    port = split_name(name)[1]
    if port.isdigit():
        return int(port)
    if port in SERVICE_PORTS:
        return SERVICE_PORTS[port]
    try:
        return socket.getservbyname(port, 'tcp')
    except (OSError, socket.error):
        return None


def _loopback_only(name):
    # Content filters hand mail back to Postfix on a loopback listener: never the MX service.
    host = split_name(name)[0].strip('[]')
    return host in ('localhost', '::1') or host.startswith('127.')


def _inet_smtpd(services):
    return [service for service in services.values()
            if service['type'] == 'inet' and service['command'] in SMTPD_COMMANDS
            and not _loopback_only(service['name'])]


def _is_wrapper(service):
    return service['options'].get('smtpd_tls_wrappermode') == 'yes' or service_port(service['name']) == 465


def _is_submission(service):
    return service_port(service['name']) == 587


def find_services(services):
    """Return (mx, submission, smtps) master.cf entries; any may be None.

    The MX service is the public smtpd (or postscreen) listener that is neither submission nor
    SMTPS, the one on port 25 first.
    """
    mx = submission = smtps = None
    candidates = []
    for service in _inet_smtpd(services):
        if _is_wrapper(service):
            smtps = smtps or service
        elif _is_submission(service):
            submission = submission or service
        else:
            candidates.append(service)
    if candidates:
        mx = sorted(candidates, key=lambda service: service_port(service['name']) != 25)[0]
    return mx, submission, smtps


def disabled_tokens(value):
    return [token for token in re.split(r'[\s,]+', value or '') if token]


def _enabled(service, tokens):
    """A service's own toggle; the service-wide switch ("inet") is the separate `enabled`."""
    return service is not None and service_key(service) not in tokens


def own_services(state):
    """master.cf entries but the copies bound to the pair's virtual IP."""
    copies = _ha.vip_services(state.services or {}, state.facts.get(_ha.VIP_FACT))
    return dict((key, service) for key, service in (state.services or {}).items() if key not in copies)


def enabled_services(state):
    """The SMTP, submission and SMTPS entries whose own toggle is on (the high_availability area
    copies them onto the virtual IP; the service-wide switch turns the copies off too)."""
    tokens = disabled_tokens(state.postfix.get('master_service_disable'))
    return [service for service in find_services(own_services(state))
            if service is not None and service_key(service) not in tokens]


def _twin_key(service, state):
    """The key of `service`'s copy on the virtual IP, None without one."""
    vip = state.facts.get(_ha.VIP_FACT)
    if not vip:
        return None
    key = '%s/%s' % (_ha.vip_service_name(vip, split_name(service['name'])[1]), service['type'])
    return key if key in (state.services or {}) else None


def read(state):
    mx, submission, smtps = find_services(own_services(state))
    if mx is None:
        raise SettingsError('master.cf has no SMTP service (an "inet" smtpd entry other than '
                            'submission and smtps): apply the mailroom.server.mta role first')
    if service_port(mx['name']) is None:
        raise SettingsError('master.cf: cannot tell the port of the SMTP service "%s"' % mx['name'])
    tokens = disabled_tokens(state.postfix.get('master_service_disable'))
    level = mx['options'].get(LISTENER_TLS_LEVEL, state.postfix.get(LISTENER_TLS_LEVEL, 'none'))
    return dict(
        enabled=DISABLE_ALL not in tokens and service_key(mx) not in tokens,
        port=service_port(mx['name']),
        smtps=_enabled(smtps, tokens),
        starttls=level not in ('none', '') and _enabled(submission, tokens),
    )


def port_conflict(port, services):
    """Name the other Postfix service on `port` (other areas and programs: the engine checks)."""
    mx = find_services(services)[0]
    for service in services.values():
        if service['type'] == 'inet' and service is not mx and service_port(service['name']) == port:
            return 'the Postfix service "%s"' % service['name']
    return None


def ports(settings, state):
    """The ports these settings open: none while the SMTP service is off."""
    if not settings or not settings['enabled']:
        return {}
    opened = {settings['port']: 'SMTP'}
    if settings['smtps']:
        opened[465] = 'SMTPS'
    if settings['starttls']:
        opened[587] = 'submission'
    return opened


def desired(current, options, state):
    wanted = dict(current)
    wanted.update((name, value) for name, value in options.items()
                  if name in OPTIONS and value is not None)
    low, high = PORT_RANGE
    if not low <= wanted['port'] <= high:
        raise SettingsError('port must be between %d and %d, got %d' % (low, high, wanted['port']))
    if wanted['port'] != current['port']:
        conflict = port_conflict(wanted['port'], own_services(state))
        if conflict:
            raise SettingsError('port %d is already used by %s; choose another port'
                                % (wanted['port'], conflict))
    mx, submission, smtps = find_services(own_services(state))
    if wanted['smtps'] and smtps is None:
        raise SettingsError('smtps: master.cf has no SMTPS (465) service to enable: '
                            'apply the mailroom.server.mta role first')
    if wanted['starttls'] and submission is None:
        raise SettingsError('starttls: master.cf has no submission (587) service to enable: '
                            'apply the mailroom.server.mta role first')
    return wanted


def plan(wanted, state):
    current = read(state)
    mx, submission, smtps = find_services(own_services(state))
    twins = dict((service_key(s), _twin_key(s, state)) for s in (mx, submission, smtps) if s)
    ours = set([DISABLE_ALL] + list(twins) + [twin for twin in twins.values() if twin])
    tokens = [t for t in disabled_tokens(state.postfix.get('master_service_disable')) if t not in ours]
    if not wanted['enabled']:
        tokens.append(DISABLE_ALL)
    for service, on in ((smtps, wanted['smtps']), (submission, wanted['starttls'])):
        if service is not None and not on:
            # The copy on the virtual IP goes with it.
            tokens.extend(key for key in (service_key(service), twins[service_key(service)]) if key)
    parameters = {}
    disable_value = ' '.join(tokens) or None
    if disable_value != (state.postfix.get('master_service_disable') or None):
        parameters['master_service_disable'] = disable_value

    services = {}
    new_mx = dict(mx, options=dict(mx['options']))
    if wanted['port'] != current['port']:
        host = split_name(mx['name'])[0]
        port = 'smtp' if wanted['port'] == 25 else str(wanted['port'])
        new_mx['name'] = '%s:%s' % (host, port) if host else port
    if wanted['starttls'] != current['starttls']:
        new_mx['options'][LISTENER_TLS_LEVEL] = 'may' if wanted['starttls'] else 'none'
    if new_mx != mx:
        # Keyed by the old entry, so a moved port is rewritten in its place.
        services[service_key(mx)] = new_mx
    # master(8) re-reads master.cf and master_service_disable on reload: listeners come and go.
    return Plan(postfix_parameters=parameters, postfix_services=services,
                postfix_action=activation.RELOAD)
