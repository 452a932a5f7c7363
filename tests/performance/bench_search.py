# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Full-text search benchmark: indexing, index size, search latency and accuracy, FTS vs none.

A fresh container is converged with playbooks/demo.yml (search role: CJK search on), a seeded
corpus (~30 % Chinese/Japanese/Korean) is put into the bench user's Maildir, and in one run:
  - indexing: `doveadm index` time (msg/s) and peak memory (max RSS of the indexing process);
  - index size after `doveadm fts optimize`, divided by the mail's size;
  - IMAP `UID SEARCH CHARSET UTF-8 TEXT` p50/p95 over the planted words plus words cut from the
    corpus (>= 200 queries), each scored against the truth (recall, precision);
  - the same searches with search indexes off (mailroom.server.full_text_search enabled=false)
    on a subset, for the speed-up over Dovecot's own search.
Usage: scripts/bench search [--release 12|13] [--messages 20000] [--queries 200]
"""
from __future__ import absolute_import, division, print_function

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fts'))
from benchlib import (  # noqa: E402
    ROOT, docker_exec, inventory, playbook, remove_containers, run, start_container,
)
import cjk_corpus  # noqa: E402
from search_client import SearchClient  # noqa: E402

USER, PASSWORD = 'bench', 'bench-Secret-1'
GOALS = {'index_msg_per_s': 500, 'p95_ms': 300, 'speedup': 20, 'index_ratio': 3.0}


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def container_address(container):
    return run(['docker', 'inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}',
                container]).strip()


def load_maildir(container, corpus):
    """Put the corpus into the bench user's Maildir; return the mail's size in bytes."""
    docker_exec(container, 'mkdir -p /home/%s/Maildir' % USER)
    with tempfile.TemporaryDirectory(prefix='mailroom-bench-corpus-') as directory:
        cjk_corpus.write_maildir(corpus, directory)
        archive = subprocess.Popen(['tar', '-C', directory, '-c', 'new'], stdout=subprocess.PIPE)
        subprocess.run(['docker', 'exec', '-i', container, 'tar', '-C', '/home/%s/Maildir' % USER,
                        '-x'], stdin=archive.stdout, check=True)
        archive.stdout.close()
        archive.wait()
    docker_exec(container, 'chown -R {0}:{0} /home/{0}/Maildir && chmod -R go-rwx /home/{0}/Maildir'
                .format(USER))
    return sum(len(message.raw) for message in corpus.messages)


def index_corpus(container):
    """(seconds, peak RSS in MiB) of indexing the whole mailbox in one doveadm process."""
    docker_exec(container, 'command -v /usr/bin/time >/dev/null || apt-get install -y -q time >/dev/null')
    # The mailbox index itself (uid list, cache) is Dovecot's with or without FTS: build it first.
    docker_exec(container, 'doveadm mailbox status -u %s messages INBOX' % USER)
    output = docker_exec(container, "/usr/bin/time -f 'TIME %%e %%M' doveadm index -u %s INBOX 2>&1"
                         % USER)
    seconds, rss_kib = output.strip().splitlines()[-1].split()[1:3]
    return float(seconds), int(rss_kib) / 1024.0


def index_bytes(container):
    docker_exec(container, 'doveadm fts optimize -u %s' % USER)
    output = docker_exec(container, 'du -sb /home/%s/Maildir/fts-flatcurve /home/%s/Maildir/lucene-indexes'
                         ' 2>/dev/null || true' % (USER, USER))
    return sum(int(line.split()[0]) for line in output.splitlines() if line.strip())


def timed_searches(address, words, truth):
    """Per word: (seconds, found set); one warm-up search first."""
    client = SearchClient(address, 993, USER, PASSWORD)
    try:
        client.search(words[0])
        results = {}
        for word in words:
            started = time.monotonic()
            found = client.search(word)
            results[word] = (time.monotonic() - started, found)
        return results
    finally:
        client.close()


def accuracy(results, truth):
    hits = sum(len(found & truth[word]) for word, (_s, found) in results.items())
    expected = sum(len(truth[word]) for word in results)
    returned = sum(len(found) for _s, found in results.values())
    return hits, expected, returned


def set_search(hosts, enabled):
    run(['ansible', '-i', hosts, 'mailservers', '-m', 'mailroom.server.full_text_search',
         '-a', 'enabled=%s' % ('true' if enabled else 'false')])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--release', default='13', choices=['12', '13'])
    parser.add_argument('--messages', type=int, default=20000)
    parser.add_argument('--queries', type=int, default=200, help='total queries (planted + sampled)')
    parser.add_argument('--no-fts-queries', type=int, default=20,
                        help='queries timed again without indexes (each reads every message)')
    parser.add_argument('--seed', type=int, default=1)
    args = parser.parse_args()

    started = time.monotonic()
    corpus = cjk_corpus.generate(args.messages, args.seed, 0.3)
    words = list(corpus.queries) + cjk_corpus.sampled_words(
        corpus, max(0, args.queries - len(corpus.queries)), seed=args.seed + 1)
    truth = dict(corpus.truth)
    truth.update(cjk_corpus.truth_of(corpus, words[len(corpus.queries):]))
    generate_seconds = time.monotonic() - started

    container = 'mailroom-bench-search'
    hosts = inventory(container, USER)
    try:
        start_container(container, args.release)
        playbook(hosts, os.path.join(ROOT, 'playbooks', 'demo.yml'))
        mail_bytes = load_maildir(container, corpus)
        index_seconds, peak_mib = index_corpus(container)
        size = index_bytes(container)
        address = container_address(container)
        with_fts = timed_searches(address, words, truth)
        subset = words[:args.no_fts_queries]
        set_search(hosts, False)
        without_fts = timed_searches(address, subset, truth)
        set_search(hosts, True)
    finally:
        remove_containers(container)
        os.unlink(hosts)

    latencies = [seconds for seconds, _found in with_fts.values()]
    hits, expected, returned = accuracy(with_fts, truth)
    subset_fts = [with_fts[word][0] for word in subset]
    subset_none = [without_fts[word][0] for word in subset]
    none_hits, none_expected, none_returned = accuracy(without_fts, truth)
    figures = {
        'release': args.release, 'messages': args.messages, 'queries': len(words),
        'mail_mib': round(mail_bytes / 1048576.0, 1),
        'index_msg_per_s': round(args.messages / index_seconds, 1),
        'index_seconds': round(index_seconds, 1), 'index_peak_rss_mib': round(peak_mib, 1),
        'index_mib': round(size / 1048576.0, 1), 'index_ratio': round(size / float(mail_bytes), 2),
        'p50_ms': round(percentile(latencies, 0.5) * 1000, 1),
        'p95_ms': round(percentile(latencies, 0.95) * 1000, 1),
        'recall': round(hits / float(expected), 4) if expected else 1.0,
        'precision': round(hits / float(returned), 4) if returned else 1.0,
        'no_fts_p50_ms': round(percentile(subset_none, 0.5) * 1000, 1),
        'no_fts_recall': round(none_hits / float(none_expected), 4) if none_expected else 1.0,
        'no_fts_precision': round(none_hits / float(none_returned), 4) if none_returned else 1.0,
        'speedup_p50': round(percentile(subset_none, 0.5) / percentile(subset_fts, 0.5), 1),
        'corpus_seconds': round(generate_seconds, 1),
    }
    misses = dict((word, sorted(truth[word] - found)[:5]) for word, (_s, found) in with_fts.items()
                  if truth[word] - found)
    false_hits = dict((word, sorted(found - truth[word])[:5]) for word, (_s, found) in with_fts.items()
                      if found - truth[word])
    figures['misses'] = misses
    figures['false_hits'] = false_hits
    met = {
        'index_msg_per_s': figures['index_msg_per_s'] >= GOALS['index_msg_per_s'],
        'p95_ms': figures['p95_ms'] <= GOALS['p95_ms'],
        'speedup': figures['speedup_p50'] >= GOALS['speedup'],
        'index_ratio': figures['index_ratio'] <= GOALS['index_ratio'],
        'accuracy': hits == expected == returned,
    }
    print('Debian %s, %d messages (%.1f MiB, 30 %% CJK), %d queries' % (
        args.release, args.messages, figures['mail_mib'], len(words)))
    print('  indexing        %.1f s = %.0f msg/s, peak RSS %.0f MiB   (goal >= %d msg/s)' % (
        index_seconds, figures['index_msg_per_s'], peak_mib, GOALS['index_msg_per_s']))
    print('  index size      %.1f MiB = %.2f x mail   (goal <= %.1f x)' % (
        figures['index_mib'], figures['index_ratio'], GOALS['index_ratio']))
    print('  search          p50 %.1f ms, p95 %.1f ms   (goal p95 <= %d ms)' % (
        figures['p50_ms'], figures['p95_ms'], GOALS['p95_ms']))
    print('  accuracy        recall %d/%d, precision %d/%d' % (hits, expected, hits, returned))
    for word, ids in sorted(misses.items()):
        print('    missed  %s: %s' % (word, ' '.join(ids)))
    for word, ids in sorted(false_hits.items()):
        print('    false   %s: %s' % (word, ' '.join(ids)))
    print('  without indexes p50 %.1f ms on %d queries (recall %.4f, precision %.4f): FTS %.1fx faster'
          '   (goal >= %dx)' % (figures['no_fts_p50_ms'], len(subset), figures['no_fts_recall'],
                                figures['no_fts_precision'], figures['speedup_p50'], GOALS['speedup']))
    print('  goals met       %s' % ', '.join('%s=%s' % (name, 'yes' if ok else 'NO')
                                             for name, ok in sorted(met.items())))
    print(json.dumps(figures))
    return 0 if met['accuracy'] else 1


if __name__ == '__main__':
    sys.exit(main())
