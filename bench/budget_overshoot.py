"""Budget overshoot (docs/llm.md, "Budgets"): how far a job's committed cost passes its
--max-cost when the broker stops dispatch, against the sieve-classifier's chat endpoint.

Runs one uninterrupted job to learn the full cost, then the same job with budgets of 10%..90%
of it, each to budget_exhausted, and reports committed cost - budget (absolute, and in rows of
the job's mean cost per row). Real processes on loopback (tests/integration/sieve_harness.py).

  SIEVE_BIN_DIR=build/release python3 bench/budget_overshoot.py [--rows 1000] [--chunk-rows 20]
      [--workers 2] [--concurrency 32] [--sorted]
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "integration"))
import sieve_harness as h  # noqa: E402

TEMPLATE = "@" + os.path.join(h.SOURCE_DIR, "examples", "chat-template.json")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1000)
    ap.add_argument("--chunk-rows", type=int, default=20)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--sorted", action="store_true",
                    help="rows sorted by length, shortest first: the mean so far always "
                         "underestimates what comes next (the worst case for the estimate)")
    args = ap.parse_args()
    cluster = h.Cluster("budget-bench")
    try:
        cluster.start(workers=args.workers, classifier_flags=("--answer-style", "sentence"),
                      worker_flags=("--concurrency", str(args.concurrency)))
        data = h.generate_csv(os.path.join(cluster.dir, "in.csv"), args.rows, seed=11)
        if args.sorted:
            rows = h.read_csv(data)
            with open(data, "w", newline="", encoding="utf-8") as f:
                w = __import__("csv").writer(f)
                w.writerow(rows[0])
                w.writerows(sorted(rows[1:], key=lambda r: len(r[1])))
        base = f"http://{cluster.classifier.endpoint}"
        with __import__("urllib.request").request.urlopen(base + "/labels") as r:
            labels = json.loads(r.read())["labels"]
        flags = ["--endpoint", base + "/v1/chat/completions", "--body-template", TEMPLATE,
                 "--label-field", "/choices/0/message/content", "--labels", ",".join(labels),
                 "--price", "2,8", "--chunk-rows", str(args.chunk_rows)]
        full = os.path.join(cluster.dir, "full.csv")
        cluster.sieve("submit", data, "--wait", "-o", full, *flags)
        with open(full + ".summary.json") as f:
            full_cost = json.load(f)["cost"]
        per_row = full_cost / args.rows
        print(f"rows {args.rows}, chunk rows {args.chunk_rows}, workers {args.workers}: "
              f"full cost {full_cost:.6f} ({per_row * 1e6:.2f} micro per row)")
        print("| budget | committed | done rows | overshoot | overshoot in rows |")
        print("|---|---|---|---|---|")
        worst = 0.0
        for pct in range(10, 100, 10):
            budget = round(full_cost * pct / 100, 8)
            r = cluster.sieve("submit", data, "--wait", *flags, "--max-cost", repr(budget),
                              check=False)
            job = r.stdout.decode().split()[0]
            s = cluster.status(job)
            assert s["state"] == "budget_exhausted", s
            over = s["cost"] - budget
            worst = max(worst, over / per_row)
            print(f"| {pct}% = {budget:.6f} | {s['cost']:.6f} | {s['done_rows']} | "
                  f"{over:+.6f} | {over / per_row:+.1f} |")
            cluster.sieve("cancel", job)
        print(f"worst overshoot: {worst:.1f} rows' worth of cost")
    finally:
        cluster.close()


if __name__ == "__main__":
    main()
