"""Cluster-wide rate limits end to end (docs/limits.md): real sieve, sieve-broker,
sieve-collector, sieve-worker and sieve-classifier processes on loopback. The classifier's own
quota (--rpm) answers 429 whenever the cluster goes past it, so these checks count 429s and
requests at the endpoint itself. Short windows and generous bounds: the 60 s figures are
benchmarks (bench/limits_bench.sh, docs/benchmarks.md)."""

import json
import os
import time
import unittest

from sieve_harness import Cluster, check_output, generate_csv, get_json, metric_sum, read_csv


class LimitsTest(unittest.TestCase):
    def setUp(self):
        self.cluster = Cluster(self._testMethodName)

    def tearDown(self):
        self.cluster.close()

    def path(self, name):
        return os.path.join(self.cluster.dir, name)

    def run_job(self, rows, *flags):
        data = generate_csv(self.path("in.csv"), rows)
        out = self.path("out.csv")
        started = time.time()
        self.cluster.sieve("submit", data, "--endpoint", self.cluster.endpoint, "--chunk-rows",
                           "25", "--wait", "-o", out, *flags, timeout=300)
        return data, out, time.time() - started

    def test_rate_stays_within_the_limit_and_the_server_never_says_429(self):
        # 20 requests/s for the whole job, 3 workers x 32 in flight against a server whose own
        # quota is the same 1200/min: alone, the workers would send 300 rows in about a second.
        c = self.cluster
        c.start_classifier("--rpm", "1200")
        c.start_broker()
        c.start_collector()
        for _ in range(3):
            c.start_worker("--concurrency", "32")
        rows, rate = 300, 20.0
        data, out, elapsed = self.run_job(rows, "--rate", "1200/min")
        served = metric_sum(c.classifier.endpoint, "sieve_classifier_requests_total", 'code="200"')
        refused = metric_sum(c.classifier.endpoint, "sieve_classifier_requests_total", 'code="429"')
        check_output([data], out, c.endpoint, sample=20)  # sends 20 requests of its own
        self.assertEqual(sum(1 for r in read_csv(out)[1:] if r[-1] == "error"), 0)
        self.assertEqual(refused, 0, c.logs())
        self.assertEqual(served, rows)
        # The stated burst: 1 s of rate in the bucket plus the permits of one TTL (2 s).
        burst = rate * 1 + rate * 2
        self.assertGreaterEqual(elapsed, (rows - burst) / rate * 0.9,
                                f"{rows} requests in {elapsed:.1f} s: faster than {rate}/s")
        limits = json.loads(c.sieve("limits", "--json").stdout)
        self.assertEqual(len(limits), 0)  # the job ended: its key is forgotten

    def test_a_429_pauses_every_worker_and_no_row_fails(self):
        # The server refuses 3 % of requests with 429 + Retry-After: 1 (--overload-rate): each
        # one pauses the job's key for all workers; every row still ends with a label.
        c = self.cluster
        c.start_classifier("--overload-rate", "0.03", "--seed", "7")
        c.start_broker("tcp://127.0.0.1:*", "--metrics", "127.0.0.1:0")
        c.start_collector()
        workers = [c.start_worker("--concurrency", "16", "--metrics", "127.0.0.1:0")
                   for _ in range(2)]
        data = generate_csv(self.path("in.csv"), 300)
        out = self.path("out.csv")
        job = c.submit([data], "--rate", "3000/min", "--limit-key", "shared", "--chunk-rows",
                       "25", "--retries", "6")
        seen_pause = False
        console_limits = []
        deadline = time.time() + 120
        while time.time() < deadline:
            keys = json.loads(c.sieve("limits", "--json").stdout)
            if not keys:
                break
            self.assertEqual(keys[0]["key"], "shared")
            if keys[0]["pauses"] > 0:
                seen_pause = True
            console_limits = console_limits or get_json(
                f"http://{c.broker.metrics}/api/v1/console")["limits"]
            if c.status(job)["state"] == "done":
                break
            time.sleep(0.2)
        c.sieve("wait", job, "-o", out, timeout=200)
        check_output([data], out, c.endpoint, sample=20)
        self.assertEqual(sum(1 for r in read_csv(out)[1:] if r[-1] == "error"), 0)
        refused = metric_sum(c.classifier.endpoint, "sieve_classifier_requests_total", 'code="429"')
        self.assertGreater(refused, 0)
        self.assertTrue(seen_pause, "no pause seen in `sieve limits` although 429s happened")
        # The web console shows the key while the job runs, as `sieve limits` does.
        self.assertEqual([(k["key"], k["limit"]) for k in console_limits],
                         [("shared", "3000/min")], console_limits)
        reported = sum(metric_sum(w.wait_metrics(), "sieve_worker_rate_limited_total")
                       for w in workers)
        self.assertGreater(reported, 0)


if __name__ == "__main__":
    unittest.main()
