# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ha role's mail sync (roles/ha/files/mailroom-ha-sync): who syncs when, the doveadm
commands, the stamp that lets keepalived give a node the virtual IP. doveadm is a recorder here;
the sync itself is proven in the Molecule scenario ha."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

from ansible_collections.mailroom.server.tests.unit.roles import role_program

sync = role_program.load('ha', 'mailroom-ha-sync', 'mailroom_ha_sync_program')

IP_JSON = json.dumps([{'ifname': 'eth0', 'addr_info': [{'local': '172.30.0.11'}, {'local': '172.30.0.100'}]}])
SETTINGS = {'enabled': True, 'peer': '172.30.0.12', 'port': 12345, 'interval': 7, 'virtual_ip': '172.30.0.100'}


def test_holds():
    assert sync.holds(IP_JSON, '172.30.0.100')
    assert not sync.holds(IP_JSON, '172.30.0.101')
    assert not sync.holds('not json', '172.30.0.100') and not sync.holds('', None)


@pytest.mark.parametrize('settings, holding, stamped, action', [
    (SETTINGS, True, True, 'sync'),        # the VIP holder syncs every round
    (SETTINGS, False, False, 'sync'),      # a node not yet synced since boot syncs once
    (SETTINGS, False, True, 'idle'),       # the synced backup waits
    ({'enabled': False}, True, False, 'off'),
    ({}, True, False, 'off'),
])
def test_decide(settings, holding, stamped, action):
    assert sync.decide(settings, holding, stamped) == action


def test_users_and_accounts():
    assert sync.users('alice\n\n bob \n') == ['alice', 'bob']
    uids = {'root': 0, 'alice': 1000, 'nobody': 65534}
    assert sync.accounts(['root', 'alice', 'nobody', 'ldapuser'], 1000, 60000, uids.get) == ['alice', 'ldapuser']


def test_destination_and_command():
    assert sync.destination('172.30.0.12', 12345) == 'tcps:172.30.0.12:12345'
    assert sync.destination('2001:db8::12', '12345') == 'tcps:[2001:db8::12]:12345'
    # Every sync waits for the peer's sync of the same user (-l) instead of interleaving with it.
    assert sync.sync_command('alice', SETTINGS, '/etc/ca.pem') == [
        sync.DOVEADM, '-o', 'ssl_client_ca_file=/etc/ca.pem', 'sync', '-l', '30', '-u', 'alice',
        'tcps:172.30.0.12:12345']
    assert sync.sync_command('alice', SETTINGS, None)[1:5] == ['sync', '-l', '30', '-u']
    assert sync.sync_command('alice', SETTINGS, None, 'mail12b.example.test')[-1] == 'tcps:mail12b.example.test:12345'
    assert sync.sync_command('alice', SETTINGS, None, one_way=True)[1:7] == ['sync', '-1', '-l', '30', '-u', 'alice']


class Doveadm(object):
    """Records the commands; answers like doveadm."""

    def __init__(self, users='alice\nbob\n', failing=(), ip_json=IP_JSON, list_rc=0, out_of_step=(), settles=True):
        self.commands, self.users, self.failing, self.ip_json, self.list_rc = [], users, failing, ip_json, list_rc
        # Users whose two-way syncs end out of step (2) until a one-way sync ran, if `settles`.
        self.out_of_step, self.settles, self.settled = out_of_step, settles, set()

    def __call__(self, command, timeout=60):
        self.commands.append(command)
        if command[1:] == ['user', '*']:
            return self.list_rc, self.users, 'no userdb' if self.list_rc else ''
        if command[0] == '/usr/bin/doveconf':
            return 0, {'first_valid_uid': '1000\n', 'last_valid_uid': '0\n'}[command[-1]], ''
        if command[0] == sync.IP:
            return 0, self.ip_json, ''
        user = command[command.index('-u') + 1]
        if user in self.failing:
            return 1, '', 'error'
        if '-1' in command:
            if self.settles:
                self.settled.add(user)
            return 0, '', ''
        return (2, '', 'desync') if user in self.out_of_step and user not in self.settled else (0, '', '')

    def synced(self):
        return [command[command.index('-u') + 1] for command in self.commands if 'sync' in command]


def test_one_round_syncs_every_account_and_tells_a_failure(monkeypatch):
    monkeypatch.setattr(sync, '_uid', lambda name: None)
    run = Doveadm()
    assert sync.one_round(SETTINGS, None, run)
    assert run.synced() == ['alice', 'bob']
    assert not any('-1' in command for command in run.commands)
    assert not sync.one_round(SETTINGS, None, Doveadm(failing=('alice',)))


def test_a_sync_out_of_step_is_settled_one_way_then_synced_again(monkeypatch):
    monkeypatch.setattr(sync, '_uid', lambda name: None)
    run = Doveadm(out_of_step=('bob',))
    assert sync.one_round(SETTINGS, None, run)
    bob = [command[command.index('sync'):command.index('-u')] for command in run.commands
           if 'sync' in command and command[command.index('-u') + 1] == 'bob']
    assert bob == [['sync', '-l', '30'], ['sync', '-1', '-l', '30'], ['sync', '-l', '30']]


def test_a_sync_still_out_of_step_is_no_success(monkeypatch):
    monkeypatch.setattr(sync, '_uid', lambda name: None)
    assert not sync.one_round(SETTINGS, None, Doveadm(out_of_step=('bob',), settles=False))
    assert not sync.one_round(SETTINGS, None, Doveadm(list_rc=75))


def test_step_writes_the_stamp_after_the_first_good_round_only(tmp_path, monkeypatch):
    monkeypatch.setattr(sync, '_uid', lambda name: None)
    stamp = tmp_path / 'run' / 'synced'
    path = tmp_path / 'ha-sync.json'
    path.write_text(json.dumps(dict(SETTINGS, stamp=str(stamp))))
    # a backup (the VIP is elsewhere) whose round fails gets no stamp
    failing = Doveadm(failing=('bob',), ip_json='[]')
    assert sync.step(str(path), None, failing) == 7
    assert failing.synced() and not stamp.exists()
    # its first good round writes it
    assert sync.step(str(path), None, Doveadm(ip_json='[]')) == 7
    assert stamp.exists()
    # synced, a backup waits; the holder syncs on
    idle = Doveadm(ip_json='[]')
    sync.step(str(path), None, idle)
    assert idle.synced() == []
    holder = Doveadm()
    sync.step(str(path), None, holder)
    assert holder.synced() == ['alice', 'bob']


def test_step_without_settings_idles(tmp_path):
    run = Doveadm()
    assert sync.step(str(tmp_path / 'missing.json'), None, run) == 30
    assert run.synced() == []


def test_load_and_write_stamp(tmp_path):
    assert sync.load(str(tmp_path / 'missing')) == {}
    (tmp_path / 'list.json').write_text('[1]')
    assert sync.load(str(tmp_path / 'list.json')) == {}
    stamp = tmp_path / 'a' / 'synced'
    sync.write_stamp(str(stamp))
    assert stamp.read_text().strip().isdigit()
    assert os.listdir(str(tmp_path / 'a')) == ['synced']


def test_standalone_writes_the_stamp(tmp_path):
    stamp = tmp_path / 'synced'
    path = tmp_path / 'ha-sync.json'
    path.write_text(json.dumps(dict(SETTINGS, stamp=str(stamp))))
    assert sync.main(['standalone', '--settings', str(path)]) == 0
    assert stamp.exists()
