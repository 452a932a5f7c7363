# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The high-availability pair: a virtual IP (VIP) that keepalived moves between two nodes, mail
served on it by whichever node holds it, and mail kept on both by a continuous `doveadm sync`.

What it writes (the model and the rendering are in ``_ha``):

* keepalived.conf (daemon keepalived): unicast VRRP to the peer, one check per daemon and one
  that is false until the sync's first successful round since boot;
* Postfix: the VIP in ``proxy_interfaces`` and, while Postfix is bound to an interface, a copy
  of every enabled SMTP/submission/SMTPS entry bound to the VIP (Postfix binds an absent address
  only from master.cf, with the kernel's non-local bind);
* Dovecot: the network_interface file with the VIP added to ``listen``, this area's file with the
  TLS doveadm listener the peer syncs through, and the doveadm password in a root-only file it
  includes;
* the sync's settings file, which the ha role's sync program reads every round.

The live VIP is the fact ``ha_vip`` (``facts``), which the network_interface and smtp areas read
to leave the VIP and its master.cf copies alone.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.mailroom.server.plugins.module_utils import _addresses, _ha as model
from ansible_collections.mailroom.server.plugins.module_utils._areas import network_interface as _network_interface
from ansible_collections.mailroom.server.plugins.module_utils._areas import smtp as _smtp
from ansible_collections.mailroom.server.plugins.module_utils._dovecot import config as _dovecot
from ansible_collections.mailroom.server.plugins.module_utils._engine import activation, atomic_file
from ansible_collections.mailroom.server.plugins.module_utils._engine.area import (
    DOVECOT, KEEPALIVED, POSTFIX, ManagedFile, Plan)
from ansible_collections.mailroom.server.plugins.module_utils._engine.errors import SettingsError

NAME = model.AREA
DAEMONS = (POSTFIX, DOVECOT, KEEPALIVED)
OPTIONS = model.OPTIONS
ARGUMENT_SPEC = dict(
    state=dict(type='str', choices=[model.PRESENT, model.ABSENT]),
    interface=dict(type='str'),
    virtual_ip=dict(type='str'),
    peer=dict(type='str'),
    priority=dict(type='int'),
    router_id=dict(type='int'),
    auth_pass=dict(type='str', no_log=True),
    nopreempt=dict(type='bool'),
    sync_interval=dict(type='int'),
    sync_port=dict(type='int'),
    sync_password=dict(type='str', no_log=True),
)
DOVECOT_DIR = '/etc/dovecot/mailroom.d'
SECRET_FILE = os.path.join(DOVECOT_DIR, NAME + '.secret')
LISTENER = 'inet_listener mailroom-sync'
NETWORK_INTERFACE_FILE = os.path.join(DOVECOT_DIR, _network_interface.NAME + '.conf')
DEBIAN_VERSION = '/etc/debian_version'


def _read(path):
    return atomic_file.read_text(path, default=None)


def facts():
    """The live VIP (for every area), and what this area reads beside the daemons: the sync's
    settings file, the doveadm password, the kernel's non-local bind switches, the release."""
    live = model.parse_keepalived(_read(model.KEEPALIVED_CONF))
    secret = _dovecot.parse_config(_read(SECRET_FILE) or '')
    return {
        model.VIP_FACT: model.vip_address(live),
        NAME: dict(
            sync=model.parse_sync(_read(model.SYNC_CONF)),
            sync_password=secret.get('doveadm_password') or None,
            nonlocal_bind=dict((family, (_read(path) or '').strip() or None)
                               for family, path in model.NONLOCAL_BIND.items()),
            debian_version=_read(DEBIAN_VERSION),
        ),
    }


def unavailable(state):
    if state.keepalived is None:
        return 'keepalived and the mail sync are not set up here: apply the mailroom.server.ha role first'
    return None


def _own(state):
    return state.facts.get(NAME) or {}


def _bound(state):
    """Whether Postfix is bound to an interface (not to every address)."""
    return (state.postfix or {}).get('inet_interfaces', 'all').strip() != _network_interface.ALL


def listeners_serve(vip, sync_port, state):
    """Whether Postfix and Dovecot serve `vip` as this area plans it (and the doveadm listener is
    on `sync_port`): None when they do, else what is missing."""
    tokens = (state.postfix or {}).get('proxy_interfaces', '').replace(',', ' ').split()
    if vip not in [_addresses.canonical(token.strip('[]')) for token in tokens]:
        return 'proxy_interfaces lacks %s' % vip
    if _bound(state):
        planned = model.planned_vip_services(_smtp.enabled_services(state), vip)
        if model.vip_services(state.services or {}, vip) != planned:
            return 'the master.cf entries on %s differ from the SMTP services' % vip
    listen = (state.dovecot or {}).get('listen', _network_interface.DOVECOT_DEFAULT_LISTEN)
    listened = _network_interface.address_set(listen)
    if listened not in _network_interface.DOVECOT_ALL and vip not in listened:
        return 'Dovecot does not listen on %s' % vip
    port = _dovecot.lookup(state.dovecot or {}, 'service doveadm', LISTENER, 'port')
    if str(port) != str(sync_port):
        return 'Dovecot has no doveadm listener on port %s' % sync_port
    return None


def _settings(state, sync, sync_password):
    settings = model.parse_keepalived((state.keepalived or {}).get('config'))
    if settings['state'] != model.PRESENT:
        return settings
    settings.update(sync_interval=sync.get('sync_interval'), sync_port=sync.get('sync_port'),
                    sync_password=sync_password)
    vip = model.vip_address(settings)
    if vip is None or listeners_serve(vip, settings['sync_port'], state.copy(facts=dict(
            state.facts, **{model.VIP_FACT: vip}))):
        # keepalived moves a VIP the mail daemons do not serve: that is no working pair.
        settings['virtual_ip'] = None
    return settings


def read(state):
    own = _own(state)
    return _settings(state, own.get('sync') or {}, own.get('sync_password'))


def read_staged(staged, wanted):
    """The staged keepalived, Postfix and Dovecot configuration; the sync's settings file and the
    password file are this area's alone (no other file overrides them)."""
    return _settings(staged, wanted, wanted.get('sync_password'))


def public(settings):
    return model.public(settings)


def ports(settings, state):
    if settings.get('state') != model.PRESENT or not settings.get('sync_port'):
        return {}
    return {settings['sync_port']: 'the mail sync (doveadm over TLS)'}


def _host(state):
    """What validation needs of the host; the VIP keepalived may have put on an interface now is
    none of the host's own addresses."""
    live_vip = state.facts.get(model.VIP_FACT)
    networks = dict((name, [text for text in found if text.split('/')[0] != live_vip])
                    for name, found in (state.facts.get('networks') or {}).items())
    return dict(networks=networks, nonlocal_bind=_own(state).get('nonlocal_bind') or {})


def desired(current, options, state):
    wanted = model.desired(current, options)
    if wanted['state'] != model.PRESENT:
        return wanted
    model.validate(wanted, _host(state))
    if _network_interface.read(state)['interface'] is None:
        raise SettingsError('Postfix and Dovecot are not bound to one interface (or to all) now: set the network '
                            'interface first (mailroom.server.network_interface)')
    return wanted


def dovecot_text(wanted):
    """This area's Dovecot file: the doveadm listener the peer syncs through, over TLS."""
    header = 'Managed by mailroom.server.high_availability: the mail sync between the two nodes.'
    if wanted['state'] != model.PRESENT:
        return _dovecot.render([], header=header)
    text = _dovecot.render([('service doveadm', [(LISTENER, [
        ('port', str(wanted['sync_port'])), ('ssl', 'yes')])])], header=header)
    # The password lives in a root-only file beside this one (a relative include: the staged copy
    # of the configuration then reads its own).
    return text + '!include_try %s\n' % os.path.basename(SECRET_FILE)


def secret_text(wanted):
    if wanted['state'] != model.PRESENT:
        return '# Managed by mailroom.server.high_availability: no pair, no doveadm password.\n'
    return _dovecot.render([('doveadm_password', model.check_secret(
        'sync_password', wanted['sync_password'], model.SYNC_PASSWORD_MIN))],
        header='Managed by mailroom.server.high_availability: the doveadm password both nodes share.')


def plan(wanted, state):
    old_vip = state.facts.get(model.VIP_FACT)
    new_vip = model.vip_address(wanted)
    bound = _bound(state)
    # Postfix: the VIP copies of the SMTP services (only while bound to an interface) and the VIP
    # in proxy_interfaces (never in inet_interfaces: the SMTP client would take it as its source).
    services = dict((key, None) for key in model.vip_services(state.services or {}, old_vip))
    services.update(_network_interface.vip_service_edits(state, new_vip, bound))
    services = dict((key, entry) for key, entry in services.items()
                    if (state.services or {}).get(key) != entry)
    parameters = {}
    proxy = model.proxy_interfaces(state.postfix.get('proxy_interfaces'), old_vip, new_vip)
    if proxy != (state.postfix.get('proxy_interfaces') or None):
        parameters['proxy_interfaces'] = proxy
    files = [ManagedFile(SECRET_FILE, secret_text(wanted), DOVECOT, mode=0o600),
             ManagedFile(model.SYNC_CONF, model.render_sync(wanted), None, mode=0o644)]
    # A new doveadm listener, or a moved or removed one, needs a restart: a reload may keep the
    # old listeners.
    listener = _dovecot.lookup(state.dovecot or {}, 'service doveadm', LISTENER, 'port')
    dovecot_action = activation.RELOAD if str(listener) == str(wanted.get('sync_port')) else activation.RESTART
    interface = _network_interface.read(state)['interface']
    if interface not in (None, _network_interface.ALL):
        addresses = _network_interface.own_interfaces(state)[interface]
        listen = _network_interface.dovecot_text(addresses, new_vip)
        files.append(ManagedFile(NETWORK_INTERFACE_FILE, listen, DOVECOT, mode=0o644))
        if old_vip != new_vip:
            # Dovecot binds new listen addresses on a restart only.
            dovecot_action = activation.RESTART
    source = model.source_address(wanted, _host(state)['networks']) if new_vip else None
    keepalived = model.render_keepalived(wanted, source, model.postfix_unit(_own(state).get('debian_version')))
    return Plan(postfix_parameters=parameters, postfix_services=services, postfix_action=activation.RELOAD,
                dovecot_text=dovecot_text(wanted), dovecot_action=dovecot_action, files=files,
                edits={KEEPALIVED: keepalived}, actions={KEEPALIVED: activation.RELOAD})
