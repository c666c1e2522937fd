#!/usr/bin/env python3
"""Cluster-wide rate limit benchmark (issue 17, docs/limits.md): real processes on loopback.
WORKERS workers x --concurrency 64 against sieve-classifier (its own quota: --rpm / --tpm).
Figures: docs/benchmarks.md, "Cluster-wide rate limits". Scenarios:

  rate    one job of ROWS rows with --rate RATE (or --no-limit: no Sieve limit) against
          --rpm RPM: 200s and 429s at the endpoint, error rows, wall time, the endpoint's
          requests in the 60 s from its first answer and per minute over the run.
  share   two jobs on one --limit-key (ROWS and ROWS/2 rows) submitted together: each job's
          rows/min while both run, then the first's alone.
  tokens  one chat job (/v1/chat/completions, examples/chat-template.json) with --token-rate
          TOKEN_RATE: the answers' usage (prompt + completion tokens, from `sieve status`) per
          minute, minute by minute.
  faults  `rate`, with a worker SIGKILLed at 20 s and the broker SIGKILLed and restarted at
          40 s; the output is compared with a fault-free run's (no limit: the answers do not
          depend on the pace).

Usage:
  SIEVE_BIN_DIR=build/release python3 bench/limits_bench.py rate [--rows 1300] [--rpm 1200]
      [--rate 1200/min | --no-limit] [--workers 4]
  ... share [--rows 1800] [--rate 1200/min]
  ... tokens [--rows 4000] [--token-rate 60000/min] [--seconds 150]
  ... faults [--rows 1300] [--rpm 1200] [--rate 1200/min]"""
import argparse
import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "integration"))
from sieve_harness import (SOURCE_DIR, Cluster, generate_csv, get_json, metric_sum,  # noqa: E402
                           read_csv)
from limits_test import EndpointSampler, classify_requests  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("scenario", choices=("rate", "share", "tokens", "faults"), nargs="?",
                default="rate")
ap.add_argument("--rows", type=int, default=0)
ap.add_argument("--rpm", default="1200")
ap.add_argument("--rate", default="1200/min")
ap.add_argument("--token-rate", default="60000/min")
ap.add_argument("--no-limit", action="store_true")
ap.add_argument("--workers", type=int, default=4)
ap.add_argument("--seconds", type=float, default=150, help="tokens: stop measuring after this")
a = ap.parse_args()


def classifier_counts(c):
    """(/classify requests answered other than 429, 429s) at the endpoint."""
    refused = metric_sum(c.classifier.endpoint, "sieve_classifier_requests_total", 'code="429"')
    return classify_requests(c.classifier.endpoint) - refused, refused


def error_rows(out):
    return sum(1 for r in read_csv(out)[1:] if r[-1] == "error") if os.path.exists(out) else -1


def first_minute(samples):
    """/classify requests a fresh endpoint answered in the 60 s from its first answer (None if
    the run was shorter)."""
    start = next((t for t, n in samples if n > 0), None)
    end = [n for t, n in samples if start is not None and t >= start + 60]
    return end[0] if end else None


def start(c, classifier_flags, broker_flags=()):
    c.start_classifier(*classifier_flags)
    c.start_broker("tcp://127.0.0.1:*", *broker_flags)
    c.start_collector()
    for _ in range(a.workers):
        c.start_worker("--concurrency", "64")


def rate_scenario(c, faults=False):
    rows = a.rows or 1300
    broker_flags = ("--lease-ms", "3000") if faults else ()
    start(c, ("--rpm", a.rpm), broker_flags)
    data = generate_csv(os.path.join(c.dir, "in.csv"), rows)
    reference = os.path.join(c.dir, "reference.csv")
    if faults:  # fault-free run first (no limit), then the endpoint's quota starts afresh
        c.sieve("submit", data, "--endpoint", c.endpoint, "--chunk-rows", "50", "--wait", "-o",
                reference, timeout=900)
        c.classifier.kill()
        c.start_classifier("--rpm", a.rpm)
    out = os.path.join(c.dir, "out.csv")
    flags = [] if a.no_limit else ["--rate", a.rate]
    sampler = EndpointSampler(c.classifier.endpoint)
    t = time.time()
    job = c.submit([data], "--chunk-rows", "50", *flags)
    if faults:
        time.sleep(max(0.0, t + 20 - time.time()))
        c.workers[0].signal(signal.SIGKILL)
        c.start_worker("--concurrency", "64")
        time.sleep(max(0.0, t + 40 - time.time()))
        c.broker.signal(signal.SIGKILL)
        c.broker.kill()
        c.start_broker("tcp://127.0.0.1:*", *broker_flags)
    c.sieve("wait", job, "-o", out, timeout=900, check=False)
    wall = time.time() - t
    sampler.finish()
    ok, refused = classifier_counts(c)
    minute = first_minute(sampler.samples)
    rate = float(a.rate.split("/")[0]) / (60 if a.rate.endswith("/min") else 1)
    excess, window, count = sampler.worst_window(rate) if not a.no_limit else (0, 0, 0)
    print(f"{'faults: ' if faults else ''}rows {rows} workers {a.workers}x64 server --rpm "
          f"{a.rpm} job {'no Sieve limit' if a.no_limit else '--rate ' + a.rate}: "
          f"wall {wall:.1f} s, 200s {ok:.0f}, 429s {refused:.0f} "
          f"({100 * refused / max(1, ok + refused):.2f} %), error rows {error_rows(out)}, "
          f"first 60 s {'n/a' if minute is None else f'{minute:.0f}'} requests, "
          f"over the run {ok / wall * 60:.0f}/min")
    if not a.no_limit:
        print(f"  worst window: {count:.0f} requests in {window:.1f} s "
              f"({excess:+.0f} past the pure rate; stated burst {rate * 3:.0f})")
    if faults:
        with open(out, "rb") as f, open(reference, "rb") as g:
            same = f.read() == g.read()
        print(f"  output identical to the fault-free run: {same}")


def status_rows(c, jobs):
    return {j: c.status(j)["done_rows"] for j in jobs}


def share_scenario(c):
    rows = a.rows or 1800
    start(c, ("--rpm", "100000"))
    first = generate_csv(os.path.join(c.dir, "a.csv"), rows, seed=1)
    second = generate_csv(os.path.join(c.dir, "b.csv"), rows // 2, seed=2)
    flags = ("--rate", a.rate, "--limit-key", "shared", "--chunk-rows", "10")
    t0 = time.time()
    jobs = [c.submit([first], *flags), c.submit([second], *flags)]
    samples = []  # (t, {job: done_rows})
    while True:
        samples.append((time.time(), status_rows(c, jobs)))
        if all(c.status(j)["state"] == "done" for j in jobs):
            break
        time.sleep(0.5)
    second_done = next(t for t, r in samples if r[jobs[1]] >= rows // 2)
    both = [(t, r) for t, r in samples if t0 + 5 <= t <= second_done - 2]
    alone = [(t, r) for t, r in samples if t >= second_done + 5]
    limit = float(a.rate.split("/")[0])
    print(f"two jobs on one key, --rate {a.rate} each, {a.workers}x64 workers, "
          f"rows {rows} and {rows // 2}:")
    if len(both) >= 2:
        span = both[-1][0] - both[0][0]
        rates = [(both[-1][1][j] - both[0][1][j]) / span * 60 for j in jobs]
        print(f"  both running ({span:.0f} s): job 1 {rates[0]:.0f}/min "
              f"({100 * rates[0] / limit:.1f} % of the key), job 2 {rates[1]:.0f}/min "
              f"({100 * rates[1] / limit:.1f} %)")
    if len(alone) >= 2:
        span = alone[-1][0] - alone[0][0]
        rate = (alone[-1][1][jobs[0]] - alone[0][1][jobs[0]]) / span * 60
        print(f"  job 1 alone ({span:.0f} s): {rate:.0f}/min ({100 * rate / limit:.1f} %)")


def tokens_scenario(c):
    rows = a.rows or 4000
    start(c, ())
    base = f"http://{c.classifier.endpoint}"
    labels = get_json(base + "/labels")["labels"]
    data = generate_csv(os.path.join(c.dir, "in.csv"), rows)
    template = "@" + os.path.join(SOURCE_DIR, "examples", "chat-template.json")
    t0 = time.time()
    job = c.sieve("submit", data, "--endpoint", base + "/v1/chat/completions",
                  "--body-template", template, "--label-field", "/choices/0/message/content",
                  "--labels", ",".join(labels), "--token-rate", a.token_rate, "--chunk-rows",
                  "10").stdout.decode().strip().splitlines()[0]
    samples = []  # (t, tokens of committed chunks)
    while True:
        s = c.status(job)
        tokens = s.get("tokens", {})
        samples.append((time.time(), tokens.get("prompt", 0) + tokens.get("completion", 0)))
        if s["state"] == "done" or time.time() > t0 + a.seconds:
            break
        time.sleep(0.5)
    limit = float(a.token_rate.split("/")[0])
    print(f"token rate --token-rate {a.token_rate}, chat job of {rows} rows, {a.workers}x64: "
          f"measured {samples[-1][0] - t0:.0f} s, usage {samples[-1][1]} tokens")
    minute = 0
    while True:
        lo = [n for t, n in samples if t >= t0 + 60 * minute]
        hi = [n for t, n in samples if t >= t0 + 60 * (minute + 1)]
        if not lo or not hi:
            break
        print(f"  minute {minute + 1}: {hi[0] - lo[0]} tokens ({100 * (hi[0] - lo[0]) / limit:.1f} "
              f"% of the limit)")
        minute += 1


c = Cluster(f"limits-bench-{a.scenario}")
try:
    if a.scenario == "rate":
        rate_scenario(c)
    elif a.scenario == "faults":
        rate_scenario(c, faults=True)
    elif a.scenario == "share":
        share_scenario(c)
    else:
        tokens_scenario(c)
finally:
    c.close()
