# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared links converter (issue 12): time and peak memory of the streaming MIME rewriter
(roles/shared_links/files/mailroom_shared_links.py) on this machine, no mail host needed.

For each attachment size (default 1 KB, 5 MB, 100 MB and 200 MB) a message is written to a
temporary directory: headers, a text part, a 100 KB attachment (half the size for sizes under
200 KB) and the attachment of that size
(random bytes, base64, CRLF). Each figure comes from a fresh Python process (its peak RSS is its
own), all from one run:
  - copy:      the message copied file to file (what handling it costs at the least);
  - passed:    rewritten with a limit twice the attachment's size (nothing converted, nothing
               decoded; the output must equal the message);
  - near:      rewritten with the limit at the attachment's size: its encoded size is over the
               limit, so it is decoded (to a temporary file) before it turns out not to be; the
               worst case of a message that passes;
  - converted: rewritten with a limit below it (the attachment stored, with fsync, and replaced by
               a link; the stored file's SHA-256 must equal the attachment's).
Each prints the median time of --runs runs (more for messages under 1 MB, where one run is too
short to time), its time added over the copy, and the process's peak RSS (ru_maxrss) beside its
RSS once the rewriter is imported. Goals: peak RSS <= 50 MB for a 200 MB attachment, <= 2 ms
added for messages under the limit.
Usage: scripts/bench shared_links [--sizes 1K,5M,100M,200M] [--runs 3] [--workdir DIR]
(or python3 tests/performance/bench_shared_links.py ...: it needs nothing but Python 3)
"""
from __future__ import absolute_import, division, print_function

import argparse
import base64
import hashlib
import importlib.machinery
import importlib.util
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from benchlib import ROOT  # noqa: E402  pylint: disable=wrong-import-position

GOALS = {'peak_rss_mb_200mb': 50.0, 'added_ms_under_limit': 2.0}
CONVERTER = os.path.join(ROOT, 'roles', 'shared_links', 'files', 'mailroom_shared_links.py')
UNITS = {'': 1, 'K': 1024, 'M': 1024 ** 2, 'G': 1024 ** 3}
SMALL_ATTACHMENT = 100 * 1024
RANDOM_BLOCK = 57 * 1024 * 16       # whole base64 lines of 76 characters
SHORT_MESSAGE_RUNS = 200
MODES = ('copy', 'passed', 'near', 'converted')


def parse_size(text):
    text = text.strip().upper().rstrip('B')
    unit = text[-1:] if text[-1:] in UNITS else ''
    return int(float(text[:len(text) - len(unit)]) * UNITS[unit])


def label(size):
    for unit in ('G', 'M', 'K'):
        if size >= UNITS[unit]:
            return ('%d %sB' if size % UNITS[unit] == 0 else '%.1f %sB') % (size / UNITS[unit], unit)
    return '%d B' % size


def write_message(path, size):
    """The benchmark message with an attachment of `size` random bytes; its SHA-256."""
    digest = hashlib.sha256()
    block = os.urandom(RANDOM_BLOCK)
    with open(path, 'wb') as stream:
        stream.write(b'From: Alice <alice@example.test>\r\nTo: bob@example.test\r\nSubject: bench\r\n'
                     b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="bench-boundary"\r\n\r\n'
                     b'--bench-boundary\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n'
                     b'The files, as promised.\r\n')
        for name, length in (('small.bin', min(SMALL_ATTACHMENT, size // 2)), ('large.bin', size)):
            stream.write(b'--bench-boundary\r\nContent-Type: application/octet-stream; name="%s"\r\n'
                         b'Content-Disposition: attachment; filename="%s"\r\n'
                         b'Content-Transfer-Encoding: base64\r\n\r\n' % (name.encode(), name.encode()))
            written = 0
            while written < length:
                piece = block[:min(RANDOM_BLOCK, length - written)]
                if name == 'large.bin':
                    digest.update(piece)
                stream.write(base64.encodebytes(piece).replace(b'\n', b'\r\n'))
                written += len(piece)
        stream.write(b'--bench-boundary--\r\n')
    return digest.hexdigest()


def resident_kib():
    with open('/proc/self/status') as stream:
        for line in stream:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    return 0


def measure(message, mode, limit, runs, workdir):
    """One child process's figures (see child())."""
    output = subprocess.run([sys.executable, os.path.abspath(__file__), '--child', mode, '--message', message,
                             '--limit', str(limit), '--runs', str(runs), '--workdir', workdir],
                            check=True, stdout=subprocess.PIPE, universal_newlines=True).stdout
    return json.loads(output)


def child(args):
    """Runs one mode `runs` times in this process; prints its median time, peak and start RSS."""
    loader = importlib.machinery.SourceFileLoader('mailroom_shared_links', CONVERTER)
    spec = importlib.util.spec_from_loader(loader.name, loader)
    converter = importlib.util.module_from_spec(spec)
    loader.exec_module(converter)
    start_rss = resident_kib()
    store = os.path.join(args.workdir, 'store')
    output = os.path.join(args.workdir, 'output')
    storage = converter.DirectoryStorage(store, lambda file_id, name, expires: 'https://bench.test/%s' % file_id)
    times, result, sha256 = [], None, None
    for _run in range(args.runs):
        with open(args.message, 'rb') as source, open(output, 'wb') as destination:
            started = time.perf_counter()
            if args.child == 'copy':
                shutil.copyfileobj(source, destination)
            else:
                result = converter.rewrite_message(source, destination, args.limit, storage, workdir=args.workdir)
            times.append(time.perf_counter() - started)
        if result is not None and result.converted:
            sha256 = [each.sha256 for each in result.converted if each.file_name == 'large.bin']
            shutil.rmtree(store)
    figures = {'seconds': sorted(times)[len(times) // 2], 'peak_kib': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
               'start_kib': start_rss}
    if args.child in ('passed', 'near'):
        figures['identical'] = os.path.getsize(output) == os.path.getsize(args.message) and \
            _same(output, args.message)
    if args.child == 'converted':
        figures['converted'] = len(result.converted)
        figures['sha256'] = sha256
    print(json.dumps(figures))


def _same(first, second):
    with open(first, 'rb') as one, open(second, 'rb') as other:
        while True:
            data = one.read(1024 * 1024)
            if data != other.read(1024 * 1024):
                return False
            if not data:
                return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--sizes', default='1K,5M,100M,200M', help='attachment sizes (K, M, G: powers of 1024)')
    parser.add_argument('--runs', type=int, default=3, help='runs per figure (messages under 1 MB: %d)' % SHORT_MESSAGE_RUNS)
    parser.add_argument('--workdir', default=None, help='where the messages are written (default: a temporary directory)')
    parser.add_argument('--child', choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument('--message', help=argparse.SUPPRESS)
    parser.add_argument('--limit', type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    workdir = tempfile.mkdtemp(prefix='mailroom-bench-shared-links-', dir=args.workdir)
    rows, failures = [], []
    try:
        for size in [parse_size(text) for text in args.sizes.split(',')]:
            message = os.path.join(workdir, 'message.eml')
            original = write_message(message, size)
            runs = SHORT_MESSAGE_RUNS if size < UNITS['M'] else args.runs
            figures = {
                'copy': measure(message, 'copy', 0, runs, workdir),
                'passed': measure(message, 'passed', 2 * size, runs, workdir),
                'near': measure(message, 'near', size, runs, workdir),
                'converted': measure(message, 'converted', size - 1, runs, workdir),
            }
            for mode in ('passed', 'near'):
                if not figures[mode]['identical']:
                    failures.append('%s, %s: the message under the limit did not come out byte-identical' % (label(size), mode))
            if figures['converted']['converted'] != 1 or figures['converted']['sha256'] != [original]:
                failures.append('%s: the stored file is not the attachment, or not it alone' % label(size))
            rows.append((size, os.path.getsize(message), figures))
            os.unlink(message)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    print('Shared links rewriter (%s, Python %s): median of runs, peak RSS of each process'
          % (os.uname()[1], sys.version.split()[0]))
    print('%-10s %-10s %-10s %12s %12s %12s %14s %14s' % (
        'attachment', 'message', 'mode', 'time (ms)', 'added (ms)', 'MB/s', 'peak RSS (MB)', 'start RSS (MB)'))
    for size, message_size, figures in rows:
        for mode in MODES:
            figure = figures[mode]
            seconds = figure['seconds']
            print('%-10s %-10s %-10s %12.2f %12s %12.0f %14.1f %14.1f' % (
                label(size), label(message_size),
                mode, seconds * 1000, '' if mode == 'copy' else '%.2f' % ((seconds - figures['copy']['seconds']) * 1000),
                message_size / seconds / UNITS['M'] if seconds else 0, figure['peak_kib'] / 1024.0,
                figure['start_kib'] / 1024.0))
    largest = max(rows, key=lambda row: row[0])
    peak = max(largest[2][mode]['peak_kib'] for mode in MODES) / 1024.0
    print('goal: peak RSS <= %.0f MB for a 200 MB attachment: %.1f MB for %s (%s)' % (
        GOALS['peak_rss_mb_200mb'], peak, label(largest[0]),
        'met' if peak <= GOALS['peak_rss_mb_200mb'] else 'NOT met'))
    smallest = min(rows, key=lambda row: row[0])
    added = (smallest[2]['passed']['seconds'] - smallest[2]['copy']['seconds']) * 1000
    print('goal: <= %.0f ms added under the limit: %.2f ms for %s (%s)' % (
        GOALS['added_ms_under_limit'], added, label(smallest[0]),
        'met' if added <= GOALS['added_ms_under_limit'] else 'NOT met'))
    for failure in failures:
        print('FAILED: ' + failure)
    sys.exit(1 if failures else 0)


if __name__ == '__main__':
    main()
