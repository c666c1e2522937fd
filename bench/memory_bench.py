"""Peak memory of every Sieve process on a large input (issue 5: < 100 MB each on 2 GB).

Generates a CSV of about --gigabytes GB (rows of ~4 KB of text), runs it through a real
cluster on loopback (sieve-classifier, sieve-broker, sieve-collector, --workers sieve-worker
processes, and `sieve submit --wait -o`), then reports each process's peak resident set size
(VmHWM from /proc for the daemons, wait4's ru_maxrss for the client) and the run's throughput.

Only the short `website` column is sent to the endpoint (--fields website), so the run measures
the pipeline's memory while moving the whole rows, not the classifier's tokeniser speed.

  SIEVE_BIN_DIR=build/release python3 bench/memory_bench.py [--gigabytes 2] [--workers 2]

Very long rows (issue 19: chunks bounded in bytes), e.g. 100 KB rows, with the default byte
bound and with it out of the way (--chunk-bytes 128MiB: chunks of 1,000 rows, as before it):

  SIEVE_BIN_DIR=build/release python3 bench/memory_bench.py --gigabytes 0.3 --row-kb 100
  SIEVE_BIN_DIR=build/release python3 bench/memory_bench.py --gigabytes 0.3 --row-kb 100 \
      --submit-flag=--chunk-bytes --submit-flag=128MiB
"""

import argparse
import os
import random
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "integration"))
import sieve_harness as h  # noqa: E402

WORDS = h.WORDS


def generate(path, target_bytes, seed=7, row_kb=4.4):
    rng = random.Random(seed)
    # A pool of row bodies, reused: generation must not dominate the benchmark.
    bodies = []
    words = max(1, int(row_kb * 1024 / 7.4))  # 600 words: ~4.4 KB
    for _ in range(256):
        text = " ".join(rng.choice(WORDS) for _ in range(words))
        bodies.append(f'"{text}, with ""quotes"" and a\nnewline"')
    written = 0
    with open(path, "w", newline="") as f:
        f.write("website,content\n")
        i = 0
        while written < target_bytes:
            line = f"https://site{i}.example,{bodies[i % len(bodies)]}\n"
            f.write(line)
            written += len(line)
            i += 1
    return i


def peak_rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gigabytes", type=float, default=2.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--row-kb", type=float, default=4.4, help="size of a row in KB")
    ap.add_argument("--submit-flag", action="append", default=[],
                    help="one more flag for `sieve submit` (repeatable)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()

    cluster = h.Cluster("membench")
    try:
        data = os.path.join(cluster.dir, "input.csv")
        t0 = time.time()
        rows = generate(data, int(args.gigabytes * (1 << 30)), row_kb=args.row_kb)
        size = os.path.getsize(data)
        print(f"generated {size / 1e9:.2f} GB, {rows} rows in {time.time() - t0:.0f} s",
              flush=True)

        cluster.start_classifier("--text-field", "website")
        cluster.start_broker()
        cluster.start_collector()
        for _ in range(args.workers):
            cluster.start_worker()
        output = os.path.join(cluster.dir, "output.csv")
        cmd = [h.exe("sieve"), "submit", data, "--endpoint", cluster.endpoint, "--fields",
               "website", "--wait", "-o", output, *args.submit_flag]
        env = dict(os.environ, SIEVE_BROKER=cluster.broker.endpoint)
        start = time.time()
        client = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                                  stderr=open(os.path.join(cluster.dir, "client.log"), "wb"))
        _, status, usage = os.wait4(client.pid, 0)
        elapsed = time.time() - start
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            # Still report the memory: a job that fails under big chunks is a finding too.
            with open(os.path.join(cluster.dir, "client.log"), errors="replace") as f:
                print(f"the job failed (exit {code}); client: {f.read()[-600:]}")
        out_size = os.path.getsize(output) if os.path.exists(output) else 0

        print(f"\nsieve submit flags: {' '.join(args.submit_flag) or '(defaults)'}")
        print(f"job: {rows} rows, {size / 1e9:.2f} GB in, {out_size / 1e9:.2f} GB out, "
              f"{elapsed:.0f} s, {rows / elapsed:,.0f} rows/s, {size / elapsed / 1e6:.0f} MB/s")
        print(f"\n| process | peak RSS (MB) |\n|---|---|")
        print(f"| sieve (client: upload, wait, fetch) | {usage.ru_maxrss / 1024:.0f} |")
        for p in cluster.processes:
            print(f"| {p.name} | {peak_rss_mb(p.popen.pid):.0f} |")
        if code != 0:
            sys.exit(1)
    finally:
        cluster.close(keep=args.keep)


if __name__ == "__main__":
    main()
