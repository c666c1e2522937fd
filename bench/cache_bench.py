"""A fully cached re-run (docs/architecture.md, "The result cache and dedupe"): rows/s of the
same job run a second time, every row answered from the collector's result cache, against the
first run that sent every row to the sieve-classifier and filled the cache.

Real processes on loopback (tests/integration/sieve_harness.py): a classifier, a broker, a
collector and --workers workers. Wall time is `sieve submit ... --wait -o OUT` from start to
exit (chunking and spooling the input, labelling, merging and writing the output). Requests
are counted on the classifier's side (its /classify request-duration histogram count); the
re-run must send 0.

  SIEVE_BIN_DIR=build/release python3 bench/cache_bench.py [--rows 1000000]
      [--chunk-rows 5000] [--workers 2] [--no-cache-run]
"""

import argparse
import filecmp
import json
import os
import re
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "integration"))
import sieve_harness as h  # noqa: E402


def classify_requests(cluster):
    with urllib.request.urlopen(f"http://{cluster.classifier.endpoint}/metrics", timeout=10) as r:
        text = r.read().decode()
    for line in text.splitlines():
        if re.match(r'sieve_classifier_request_duration_seconds_count\{handler="/classify"\}',
                    line):
            return int(float(line.rsplit(" ", 1)[1]))
    return 0


def timed_run(cluster, data, output, *flags):
    before = classify_requests(cluster)
    start = time.monotonic()
    cluster.sieve("submit", data, "--endpoint", cluster.endpoint, "--wait", "-o", output,
                  *flags, timeout=3600)
    seconds = time.monotonic() - start
    with open(output + ".summary.json") as f:
        summary = json.load(f)
    return seconds, classify_requests(cluster) - before, summary


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--chunk-rows", type=int, default=5000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--no-cache-run", action="store_true",
                    help="also time a --no-cache run (every row sent, nothing looked up)")
    args = ap.parse_args()
    cluster = h.Cluster("cache-bench")
    try:
        cluster.start(workers=args.workers)
        data = h.generate_csv(os.path.join(cluster.dir, "in.csv"), args.rows, seed=5)
        size = os.path.getsize(data)
        flags = ("--chunk-rows", str(args.chunk_rows))
        print(f"rows {args.rows} ({size / 1e6:.1f} MB), chunk rows {args.chunk_rows}, "
              f"workers {args.workers}, load average {os.getloadavg()[0]:.1f}")
        print("| run | wall s | rows/s | requests at the endpoint | cached_rows |")
        print("|---|---|---|---|---|")
        results = []
        runs = [("first (fills the cache)", "first.csv", ())]
        runs.append(("re-run, fully cached", "again.csv", ()))
        if args.no_cache_run:
            runs.append(("--no-cache", "plain.csv", ("--no-cache",)))
        for name, out, extra in runs:
            seconds, sent, summary = timed_run(cluster, data, os.path.join(cluster.dir, out),
                                               *flags, *extra)
            results.append((out, sent, summary))
            print(f"| {name} | {seconds:.1f} | {args.rows / seconds:,.0f} | {sent} | "
                  f"{summary.get('cached_rows', 0)} |", flush=True)
        first = os.path.join(cluster.dir, "first.csv")
        again = os.path.join(cluster.dir, "again.csv")
        same = filecmp.cmp(first, again, shallow=False)
        db = os.path.join(cluster.dir, "collector", "cache.db")
        on_disk = sum(os.path.getsize(db + s) for s in ("", "-wal") if os.path.exists(db + s))
        stats = json.loads(cluster.sieve("cache", "stats", "--json").stdout)
        print(f"re-run output identical to the first: {same}; re-run requests: {results[1][1]}; "
              f"cache entries {stats['entries']}, counted bytes {stats['bytes']:,}, "
              f"cache.db + WAL on disk {on_disk:,} bytes; "
              f"load average after {os.getloadavg()[0]:.1f}")
        if not same or results[1][1] != 0:
            sys.exit(1)
    finally:
        cluster.close()


if __name__ == "__main__":
    main()
