"""Budgets end to end (docs/llm.md, "Budgets"): real sieve, sieve-broker, sieve-collector,
sieve-worker and sieve-classifier processes on loopback, the classifier's chat endpoint counting
the requests it serves. A job submitted with a small --max-cost stops in state budget_exhausted
(exit 4, no row labelled as an error), keeps that state and its budget across a broker SIGKILL
and restart, and `sieve resume --max-cost` carries it on to an output identical, byte for byte,
to an uninterrupted run's, with every row sent exactly once."""

import json
import os
import subprocess
import unittest

from sieve_harness import (Cluster, ClusterTestCase, SOURCE_DIR, exe, generate_csv, get_json,
                           metric_sum)

TEMPLATE = "@" + os.path.join(SOURCE_DIR, "examples", "chat-template.json")
PRICE = "2,8"  # per million prompt / completion tokens
BUDGET_STOP = 4  # client/exit_codes.h kExitBudgetExhausted


def cost(tokens):
    p, c = (float(x) for x in PRICE.split(","))
    return (tokens["prompt"] * p + tokens["completion"] * c) / 1e6


class BudgetTest(ClusterTestCase):
    ROWS = 240
    CHUNK_ROWS = 10

    def setUp(self):
        super().setUp()
        self.data = generate_csv(os.path.join(self.dir, "in.csv"), self.ROWS, seed=5)

    def chat_flags(self, *extra):
        base = f"http://{self.cluster.classifier.endpoint}"
        labels = get_json(base + "/labels")["labels"]
        return ["--endpoint", base + "/v1/chat/completions", "--body-template", TEMPLATE,
                "--label-field", "/choices/0/message/content", "--labels", ",".join(labels),
                "--price", PRICE, "--chunk-rows", str(self.CHUNK_ROWS), *extra]

    def requests(self):
        return metric_sum(self.cluster.classifier.endpoint,
                      "sieve_classifier_request_duration_seconds_count")

    def test_budget_stop_then_resume_gives_the_uninterrupted_output(self):
        self.cluster.start(workers=2, classifier_flags=("--answer-style", "sentence"))
        # The uninterrupted run: its output, tokens, cost and request count.
        full = self.path("full.csv")
        before = self.requests()
        # --no-cache: the budgeted run below must send its rows, not find them in the cache.
        self.cluster.sieve("submit", self.data, "--wait", "-o", full,
                           *self.chat_flags("--no-cache"))
        full_requests = self.requests() - before
        self.assertEqual(full_requests, self.ROWS)
        with open(full + ".summary.json") as f:
            full_summary = json.load(f)
        full_cost = full_summary["cost"]

        # The same job with a budget of about a third of that cost.
        budget = round(full_cost / 3, 8)
        out = self.path("out.csv")
        before = self.requests()
        r = self.cluster.sieve("submit", self.data, "--wait", "-o", out,
                               *self.chat_flags("--max-cost", repr(budget)), check=False)
        self.assertEqual(r.returncode, BUDGET_STOP, r.stderr.decode() + self.cluster.logs())
        job = r.stdout.decode().split()[0]
        stderr = r.stderr.decode()
        self.assertIn("stopped at its budget", stderr)
        self.assertIn(f"sieve resume {job} --max-cost MORE", stderr)
        self.assertFalse(os.path.exists(out), "no output for a job that stopped")
        status = self.cluster.status(job)
        self.assertEqual(status["state"], "budget_exhausted", status)
        self.assertEqual(status["error_rows"], 0, "rows not sent are not labelled as errors")
        self.assertGreater(status["done_rows"], 0)
        self.assertLess(status["done_rows"], self.ROWS)
        self.assertEqual(status["chunks_leased"], 0, "nothing in flight")
        self.assertEqual(status["budget"], {"max_cost": budget})
        self.assertIn("budget: cost", status["message"])
        # The overshoot: committed cost past the budget is the estimation error of the chunks in
        # flight when it was reached (broker/budget_gate.h); generous bound: 2 chunks' worth.
        per_row = full_cost / self.ROWS
        self.assertLessEqual(status["cost"], budget + 2 * self.CHUNK_ROWS * per_row, status)
        # Every request the endpoint served is a committed row: none in flight, none lost.
        stopped_requests = self.requests() - before
        self.assertEqual(stopped_requests, status["done_rows"])
        table = self.cluster.sieve("status").stdout.decode()
        self.assertRegex(table, job + r"\s+budget_exhausted")

        # A broker SIGKILL and restart keeps the state, the budget and the committed usage.
        self.cluster.broker.kill()
        self.cluster.start_broker()
        again = self.cluster.status(job)
        for key in ("state", "done_rows", "tokens", "budget", "error_rows"):
            self.assertEqual(again[key], status[key], key)

        # A budget still too small is taken but changes nothing; --max-cost needs an amount.
        r = self.cluster.sieve("resume", job, "--max-cost", "abc", check=False)
        self.assertEqual(r.returncode, 2, r.stderr.decode())
        r = self.cluster.sieve("resume", job, "--max-cost", str(full_cost * 2))
        self.assertIn("resumed", r.stderr.decode())
        self.cluster.sieve("wait", job, "-o", out)
        with open(out, "rb") as a, open(full, "rb") as b:
            self.assertEqual(a.read(), b.read(), "the resumed output differs")
        with open(out + ".summary.json") as f:
            summary = json.load(f)
        self.assertEqual(summary["errors"], 0)
        self.assertEqual(summary["tokens"], full_summary["tokens"])
        # Every row was sent exactly once over the stop, the restart and the resume.
        self.assertEqual(self.requests() - before, self.ROWS)
        final = self.cluster.status(job)
        self.assertEqual(final["state"], "done")
        self.assertEqual(final["budget"], {"max_cost": full_cost * 2})

        # The same job again with the same small budget: every row is in the result cache now,
        # so it costs nothing and must finish (the gate's prior parks chunks while others are
        # in flight; their commits, for 0 tokens, unblock the job rather than exhaust it).
        before = self.requests()
        cached = self.path("cached.csv")
        r = self.cluster.sieve("submit", self.data, "--wait", "-o", cached,
                               *self.chat_flags("--max-cost", repr(budget)), check=False)
        self.assertEqual(r.returncode, 0, r.stderr.decode() + self.cluster.logs())
        self.assertEqual(self.requests() - before, 0, "a fully cached run sends nothing")
        with open(cached, "rb") as a, open(full, "rb") as b:
            self.assertEqual(a.read(), b.read(), "the cached output differs")
        with open(cached + ".summary.json") as f:
            cached_summary = json.load(f)
        self.assertEqual(cached_summary["cached_rows"], self.ROWS)
        self.assertEqual(cached_summary["cost"], 0)

    def test_token_budget_with_sieve_run_and_usage_errors(self):
        self.cluster.start_classifier("--answer-style", "plain")
        out = self.path("out.csv")
        data_dir = self.path("run-data")
        r = subprocess.run([exe("sieve"), "run", self.data, "-o", out, "--data-dir", data_dir,
                            *self.chat_flags("--max-tokens", "3000")],
                           capture_output=True, timeout=300)
        self.assertEqual(r.returncode, BUDGET_STOP, r.stderr.decode())
        self.assertIn("stopped at its budget", r.stderr.decode())
        self.assertIn("run the same command again with a larger --max-tokens",
                      r.stderr.decode())
        self.assertFalse(os.path.exists(out))
        self.assertTrue(os.path.isdir(data_dir), "the run's state is kept")
        served = self.requests()
        self.assertGreater(served, 0)
        self.assertLess(served, self.ROWS)
        # --max-cost without --price, or not an amount: usage errors before any request.
        for flags, drop_price, needle in [(["--max-cost", "1"], True, "--max-cost needs --price"),
                                          (["--max-cost", "lots"], False, "--max-cost must be")]:
            args = self.chat_flags(*flags)
            if drop_price:
                i = args.index("--price")
                del args[i:i + 2]
            r = subprocess.run([exe("sieve"), "run", self.data, "-o", self.path("o.csv"), *args],
                               capture_output=True, timeout=60)
            self.assertEqual(r.returncode, 2, r.stderr.decode())
            self.assertIn(needle, r.stderr.decode())
        self.assertEqual(self.requests(), served)


if __name__ == "__main__":
    unittest.main(verbosity=2)
