#!/usr/bin/env python3
"""Cluster-wide rate limit benchmark (issue 17, docs/limits.md): real processes on loopback.
4 workers x --concurrency 64 against sieve-classifier --rpm RPM; one job of ROWS rows with
--rate RATE (or without any Sieve limit: --no-limit). Prints requests answered 200 and 429 at
the endpoint, wall time, and the rate per minute. Usage:
  SIEVE_BIN_DIR=build/release python3 bench/limits_bench.py [--rows 1300] [--rpm 1200]
      [--rate 1200/min | --no-limit]"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "integration"))
from sieve_harness import Cluster, generate_csv, read_csv  # noqa: E402
from limits_test import metric  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--rows", type=int, default=1300)
ap.add_argument("--rpm", default="1200")
ap.add_argument("--rate", default="1200/min")
ap.add_argument("--no-limit", action="store_true")
ap.add_argument("--workers", type=int, default=4)
a = ap.parse_args()
c = Cluster("limits-bench")
try:
    c.start_classifier("--rpm", a.rpm)
    c.start_broker()
    c.start_collector()
    for _ in range(a.workers):
        c.start_worker("--concurrency", "64")
    data = generate_csv(os.path.join(c.dir, "in.csv"), a.rows)
    out = os.path.join(c.dir, "out.csv")
    flags = [] if a.no_limit else ["--rate", a.rate]
    t = time.time()
    c.sieve("submit", data, "--endpoint", c.endpoint, "--chunk-rows", "50", "--wait", "-o", out,
            *flags, timeout=900, check=False)
    wall = time.time() - t
    ok = metric(c.classifier.endpoint, "sieve_classifier_requests_total", 'code="200"')
    refused = metric(c.classifier.endpoint, "sieve_classifier_requests_total", 'code="429"')
    errors = sum(1 for r in read_csv(out)[1:] if r[-1] == "error") if os.path.exists(out) else -1
    print(f"rows {a.rows} workers {a.workers}x64 server --rpm {a.rpm} job "
          f"{'no Sieve limit' if a.no_limit else '--rate ' + a.rate}: wall {wall:.1f} s, "
          f"200s {ok:.0f}, 429s {refused:.0f} ({100 * refused / max(1, ok + refused):.2f} %), "
          f"error rows {errors}, rate {ok / wall * 60:.0f}/min")
finally:
    c.close()
