"""Endpoint pools (issue 21): how a job's rows spread over sieve-classifier replicas, measured
through real processes on loopback (a broker, a collector, --workers sieve-worker processes,
`sieve submit --endpoint A --endpoint B ...`). Each replica's answered requests are read from
its /metrics every 100 ms; rates are taken over the middle of each run (20 % to 80 % of the
rows), so start-up and the tail do not count.

A replica's capacity is modelled as a real model server's: --threads T (requests served at
once; more wait in its accept queue) and --latency-ms L, so at most T / L requests per second.

  weighting: two fast replicas (--latency-ms FAST) and one slow (--latency-ms 50): rows/s of
             the two fast alone, of the slow alone, and of all three; each replica's share.
  failover:  three replicas (64 threads each), one SIGKILLed after --kill-after s: the rate
             of the two left, before and after, and how long until they carry the whole load.

  SIEVE_BIN_DIR=build/release python3 bench/endpoint_pool_bench.py weighting [--rows 40000]
  SIEVE_BIN_DIR=build/release python3 bench/endpoint_pool_bench.py failover [--rows 40000]
"""

import argparse
import os
import re
import subprocess
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "integration"))
import sieve_harness as h  # noqa: E402


def answered(listen):
    try:
        with urllib.request.urlopen(f"http://{listen}/metrics", timeout=2) as r:
            text = r.read().decode()
    except OSError:
        return None
    m = re.search(r'^sieve_classifier_requests_total\{code="200"\} (\S+)$', text, re.M)
    return int(float(m.group(1))) if m else 0


class Sampler(threading.Thread):
    """Reads every replica's answered count every 100 ms: samples of (t, [count or None])."""

    def __init__(self, listens):
        super().__init__(daemon=True)
        self.listens, self.samples, self.stop = listens, [], threading.Event()

    def run(self):
        last = [0] * len(self.listens)
        while not self.stop.is_set():
            counts = [answered(l) for l in self.listens]
            last = [c if c is not None else p for c, p in zip(counts, last)]
            self.samples.append((time.time(), list(last)))
            time.sleep(0.1)


def rate(samples, lo, hi, which):
    """Rows/s of the replicas `which` between the first samples past lo and hi total rows."""
    def total(s):
        return sum(s[1])
    a = next(s for s in samples if total(s) >= lo)
    b = next(s for s in samples if total(s) >= hi)
    return sum(b[1][i] - a[1][i] for i in which) / (b[0] - a[0])


def run(args, replica_flags, during=None, rows=None):
    """One job over replicas started with `replica_flags`; returns (samples, final counts,
    rows/s from submit to the job's end)."""
    rows = rows or args.rows
    cluster = h.Cluster("pool-bench")
    try:
        listens = []
        for i, flags in enumerate(replica_flags):
            p = cluster._process(f"replica{i}", [h.exe("sieve-classifier"), "--listen",
                                                 "127.0.0.1:0", "--threads", str(args.threads),
                                                 *flags]).start()
            listens.append(p.endpoint)
        cluster.start_broker()
        cluster.start_collector()
        for _ in range(args.workers):
            cluster.start_worker("--concurrency", str(args.concurrency))
        data = os.path.join(cluster.dir, "in.csv")
        h.generate_csv(data, rows, seed=5, nasty=False)
        sampler = Sampler(listens)
        sampler.start()
        endpoints = [a for l in listens for a in ("--endpoint", f"http://{l}/classify")]
        started = time.time()
        job = cluster.sieve("submit", data, "--chunk-rows", "500",
                            *endpoints).stdout.decode().split()[0]
        if during:
            during(cluster, job, sampler)
        cluster.sieve("wait", job, timeout=1800)
        elapsed = time.time() - started
        sampler.stop.set()
        sampler.join()
        final = [answered(l) for l in listens]  # idle now: every replica answers at once
        status = cluster.status(job)
        if status.get("error_rows", 0):
            print(f"  WARNING: {status['error_rows']} error rows", flush=True)
        return sampler.samples, final, rows / elapsed
    finally:
        cluster.close()


def weighting(args):
    fast = ("--latency-ms", str(args.fast_ms))
    slow = ("--latency-ms", str(args.slow_ms))
    _, _, two_fast = run(args, [fast, fast])
    _, _, slow_alone = run(args, [slow], rows=max(1000, args.rows // 10))
    _, final, all_three = run(args, [fast, fast, slow])
    share = [c / sum(final) for c in final]
    print(f"two fast replicas alone: {two_fast:8.0f} rows/s")
    print(f"slow replica alone:      {slow_alone:8.0f} rows/s (its capacity)")
    print(f"all three:               {all_three:8.0f} rows/s = "
          f"{100 * all_three / (two_fast + slow_alone):.1f} % of the sum "
          f"{two_fast + slow_alone:.0f}")
    print(f"shares of the rows: fast {100 * share[0]:.1f} %, fast {100 * share[1]:.1f} %, "
          f"slow {100 * share[2]:.1f} % (slow capacity / sum of capacities: "
          f"{100 * slow_alone / (two_fast + slow_alone):.1f} %)")


def failover(args):
    killed = {}

    def kill(cluster, job, sampler):
        time.sleep(args.kill_after)
        victim = next(p for p in cluster.processes if p.name == "replica1")
        victim.kill()
        killed["t"] = time.time()

    flags = ("--latency-ms", str(args.fast_ms))
    # Threads for every connection: the 100 ms /metrics samples must not queue behind the
    # workers' kept-alive connections (here capacity is the workers' concurrency, not threads).
    args.threads = max(args.threads, 64)
    s, _, _ = run(args, [flags] * 3, during=kill)
    t0 = killed["t"]
    before = [x for x in s if t0 - 3 <= x[0] <= t0]
    pre_total = (sum(before[-1][1]) - sum(before[0][1])) / (before[-1][0] - before[0][0])
    pre_others = ((before[-1][1][0] + before[-1][1][2]) - (before[0][1][0] + before[0][1][2])) / \
        (before[-1][0] - before[0][0])
    # The others' rate over sliding 0.5 s windows after the kill.
    after = [x for x in s if x[0] > t0]
    recovered = None
    for i, a in enumerate(after):
        b = next((y for y in after[i:] if y[0] >= a[0] + 0.5), None)
        if b is None:
            break
        r = ((b[1][0] + b[1][2]) - (a[1][0] + a[1][2])) / (b[0] - a[0])
        print(f"  +{a[0] - t0:5.2f} s: the two left answer {r:7.0f} rows/s")
        if recovered is None and r >= 0.9 * pre_total:
            recovered = b[0] - t0
        if a[0] - t0 > 6:
            break
    print(f"before the kill: {pre_total:.0f} rows/s in all, {pre_others:.0f} by the two that stay")
    print("the two left reach 90 % of the rate before the kill "
          + (f"{recovered:.2f} s after it" if recovered is not None else "not within 6 s"))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("experiment", choices=["weighting", "failover"])
    ap.add_argument("--rows", type=int, default=40_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--concurrency", type=int, default=16, help="per worker")
    ap.add_argument("--threads", type=int, default=8, help="per replica: requests served at once")
    ap.add_argument("--fast-ms", type=int, default=5)
    ap.add_argument("--slow-ms", type=int, default=50)
    ap.add_argument("--kill-after", type=float, default=5)
    args = ap.parse_args()
    (weighting if args.experiment == "weighting" else failover)(args)


if __name__ == "__main__":
    main()
