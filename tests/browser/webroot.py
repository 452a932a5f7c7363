# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the webmail's web server must never hand out, asked over the wire from the Docker host.

    python tests/browser/webroot.py ADDRESS --listing FILE [--secret PATH ...]

FILE lists the files under the web root (one path relative to it a line, as `find -L` prints
them on the mail host); every one that is configuration, code other than index.php, a log, a
dotfile, package metadata, SQL, a script, a database or a keyring is requested over HTTPS, and so
is each fixed path of Roundcube's layout beside the web root (config/, logs/, temp/, SQL/, bin/,
...). Each --secret PATH (the SQLite database, a GnuPG home, a file in it) is requested as the
URL of its absolute path and of every tail of it, so a web root at any of its parent directories
would be caught. Prints JSON: {"https": {url: status}, "http_redirect": {...}}; refusal means 403
or 404, and port 80 must answer every path with a redirect to the same path over HTTPS.
"""
from __future__ import absolute_import, division, print_function

import argparse
import http.client
import json
import posixpath
import ssl
import sys

# Roundcube's own layout one level above Debian's web root (/var/lib/roundcube/public_html):
# what a web root set one level too high, or an alias, would expose.
LAYOUT_PATHS = (
    '/config/config.inc.php', '/config/defaults.inc.php', '/config/debian-db.php',
    '/config/debian-db-roundcube.php', '/config/mailroom.inc.php', '/config/',
    '/logs/errors.log', '/logs/', '/temp/', '/.htaccess', '/.git/config',
    '/composer.json', '/composer.json-dist', '/composer.lock', '/vendor/autoload.php',
    '/SQL/sqlite.initial.sql', '/SQL/', '/bin/update.sh', '/bin/installto.sh', '/bin/',
    '/installer/', '/installer/index.php', '/program/include/iniset.php',
    '/program/lib/Roundcube/rcube.php', '/program/localization/en_US/labels.inc',
    '/plugins/enigma/home/', '/plugins/enigma/config.inc.php', '/README.md', '/CHANGELOG.md',
    '/index.php.bak', '/index.php~',
)

# File kinds that are never assets: code and its configuration, logs, package metadata, SQL,
# scripts, databases, keyrings.
SECRET_SUFFIXES = (
    '.php', '.inc', '.dist', '.ini', '.conf', '.cfg', '.log', '.sql', '.sh', '.db', '.sqlite',
    '.sqlite3', '.gpg', '.kbx', '.key', '.pem', '.lock', '.bak', '~',
)
SECRET_NAMES = ('composer.json', 'package.json', 'README', 'README.md', 'INSTALL', 'LICENSE',
                'CHANGELOG', 'CHANGELOG.md', 'UPGRADING', 'SECURITY.md')
SECRET_DIRECTORIES = ('config', 'logs', 'temp', 'SQL', 'bin', 'installer', 'vendor')

REFUSED = (403, 404)
TIMEOUT = 20


def must_not_serve(relative_path):
    """Whether a file found under the web root (a path relative to it) is one nginx must refuse.

    index.php itself is the one program the web server runs, so it is the one .php not listed.
    """
    parts = [part for part in relative_path.strip('/').split('/') if part not in ('', '.')]
    if not parts or parts == ['index.php']:
        return False
    name = parts[-1]
    if any(part.startswith('.') for part in parts):
        return True
    if parts[0] in SECRET_DIRECTORIES:
        return True
    return name in SECRET_NAMES or name.endswith(SECRET_SUFFIXES)


def path_tails(absolute_path):
    """The URL paths under which a file would be served by a web root at any of its parents.

    /var/lib/x/db -> ['/var/lib/x/db', '/lib/x/db', '/x/db', '/db']
    """
    parts = [part for part in absolute_path.split('/') if part]
    trailing = '/' if absolute_path.endswith('/') and parts else ''
    return ['/' + '/'.join(parts[index:]) + trailing for index in range(len(parts))]


def url_path(relative_path):
    """The URL path of a file listed relative to the web root (`find -L .` prints ./x/y)."""
    return '/' + posixpath.normpath('/' + relative_path.strip()).lstrip('/')


def forbidden_urls(listing, secrets=()):
    """Every URL path to request: the fixed layout paths, listed files that must not be served,
    and each tail of every secret path; in a stable order, without duplicates."""
    urls = list(LAYOUT_PATHS)
    urls.extend(url_path(line) for line in listing if line.strip() and must_not_serve(line.strip()))
    for secret in secrets:
        urls.extend(path_tails(secret))
    seen = set()
    return [url for url in urls if not (url in seen or seen.add(url))]


def not_refused(statuses):
    """The requests the web server answered with anything but a refusal (403/404)."""
    return dict((url, status) for url, status in statuses.items() if status not in REFUSED)


def is_https_redirect(status, location, path):
    """A redirect of port 80's `path` to the same path over HTTPS."""
    return (status in (301, 302, 307, 308) and location is not None
            and location.startswith('https://') and location.endswith(path))


def tls_context():
    # The test host's certificate is self-signed: what is checked here is what is served.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def request(connection, path):
    """(status, Location header) of a GET, never following redirects."""
    connection.request('GET', path, headers={'Host': 'mail.example.test'})
    response = connection.getresponse()
    response.read()
    return response.status, response.getheader('Location')


def probe(address, urls):
    connection = http.client.HTTPSConnection(address, 443, timeout=TIMEOUT, context=tls_context())
    try:
        return dict((url, request(connection, url)[0]) for url in urls)
    finally:
        connection.close()


def probe_redirects(address, paths):
    result = {}
    connection = http.client.HTTPConnection(address, 80, timeout=TIMEOUT)
    try:
        for path in paths:
            status, location = request(connection, path)
            result[path] = {'status': status, 'location': location,
                            'https': is_https_redirect(status, location, path)}
    finally:
        connection.close()
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('address')
    parser.add_argument('--listing', help='files under the web root, relative to it, one a line')
    parser.add_argument('--secret', action='append', default=[],
                        help='an absolute path on the host that must never be served')
    options = parser.parse_args(argv)
    listing = []
    if options.listing:
        with open(options.listing) as stream:
            listing = stream.read().splitlines()
    urls = forbidden_urls(listing, options.secret)
    statuses = probe(options.address, urls)
    redirects = probe_redirects(options.address, ['/', '/?_task=mail', '/config/config.inc.php'])
    json.dump({'https': statuses, 'not_refused': not_refused(statuses),
               'http_redirect': redirects,
               'http_not_redirected': sorted(path for path, answer in redirects.items()
                                             if not answer['https'])},
              sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
