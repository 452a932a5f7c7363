# -*- coding: utf-8 -*-
# Copyright: mailroom.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The areas of the admin panel's service settings page, by name."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.mailroom.server.plugins.module_utils._areas import imap_pop3 as _imap_pop3
from ansible_collections.mailroom.server.plugins.module_utils._areas import network_interface as _network_interface
from ansible_collections.mailroom.server.plugins.module_utils._areas import smtp as _smtp
from ansible_collections.mailroom.server.plugins.module_utils._areas import tls_profile as _tls_profile

AREAS = (_smtp, _imap_pop3, _network_interface, _tls_profile)
