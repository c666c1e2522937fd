"""`sieve retry` (issue 18) through real processes, requests counted AT THE ENDPOINT (the
sieve-classifier's Prometheus /metrics).

The endpoint is SIGKILLed for the middle third of a job, so the job ends with failed rows. A
retry while the endpoint is still down changes nothing (the rows fail again, the job keeps its
failed rows). Once the endpoint is back, `sieve retry JOB --wait -o OUT` sends exactly one
request per failed row (batch size 1) and OUT equals a fault-free run of the same input byte
for byte; the job's summary and status count no failed row any more. A retry of a job without
failed rows sends nothing and says so.
"""

import json
import os
import sys
import unittest

from fail_before_paying_test import endpoint_requests
from sieve_harness import Cluster, generate_csv

ROWS = 1500
JOB_FLAGS = ("--chunk-rows", "50", "--retries", "0")
CLASSIFIER_FLAGS = ("--latency-ms", "10")


class RetryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster("retry")
        cls.cluster.start(workers=1, classifier_flags=CLASSIFIER_FLAGS,
                          worker_flags=("--concurrency", "4"))
        cls.input = generate_csv(os.path.join(cls.cluster.dir, "in.csv"), ROWS, seed=18)
        cls.clean = os.path.join(cls.cluster.dir, "clean.csv")
        # --no-cache: the jobs under test must send their rows, not find them in the cache.
        cls.cluster.sieve("submit", cls.input, "--endpoint", cls.cluster.endpoint, *JOB_FLAGS,
                          "--no-cache", "--wait", "-o", cls.clean)

    @classmethod
    def tearDownClass(cls):
        cls.cluster.close()

    def read(self, path):
        with open(path, "rb") as f:
            return f.read()

    def test_outage_then_retry(self):
        c = self.cluster
        job = c.submit([self.input], *JOB_FLAGS)
        c.wait_rows(job, ROWS // 3)
        c.classifier.kill()
        c.wait_rows(job, 2 * ROWS // 3)
        c.start_classifier(*CLASSIFIER_FLAGS)
        r = c.sieve("wait", job, check=False)
        self.assertEqual(r.returncode, 1, r.stderr.decode())
        failed = c.status(job)["error_rows"]
        self.assertGreater(failed, 0)
        self.assertLess(failed, ROWS)

        # Down again during a first retry: the rows fail again, nothing is lost.
        c.classifier.kill()
        r = c.sieve("retry", job, "--wait", check=False)
        err = r.stderr.decode()
        self.assertEqual(r.returncode, 1, err)
        self.assertIn(f"{failed} failed rows retried, {failed} still failed", err)
        self.assertEqual(c.status(job)["error_rows"], failed)

        c.start_classifier(*CLASSIFIER_FLAGS)
        before = endpoint_requests(c.classifier)
        out = os.path.join(c.dir, "retried.csv")
        r = c.sieve("retry", job, "--wait", "-o", out, check=False)
        err = r.stderr.decode()
        self.assertEqual(r.returncode, 0, err + c.logs())
        self.assertIn(f"{failed} failed rows retried, 0 still failed", err)
        self.assertEqual(endpoint_requests(c.classifier) - before, failed)
        self.assertEqual(self.read(out), self.read(self.clean), "the rebuilt output differs")
        self.assertFalse(os.path.exists(out + ".errors.csv"))
        with open(out + ".summary.json") as f:
            summary = json.load(f)
        self.assertEqual(summary["errors"], 0)
        self.assertEqual(summary["labelled"], ROWS)
        self.assertEqual(len(summary["retried_by"]), 2)
        self.assertEqual(c.status(job)["error_rows"], 0)

        # Nothing left to retry: nothing is sent, and it says so.
        before = endpoint_requests(c.classifier)
        r = c.sieve("retry", job, "--wait")
        self.assertIn("no failed rows: nothing to retry", r.stderr.decode())
        self.assertEqual(endpoint_requests(c.classifier), before)
        fetched = os.path.join(c.dir, "fetched.csv")
        c.sieve("fetch", job, "-o", fetched)
        self.assertEqual(self.read(fetched), self.read(self.clean))

    def test_retry_of_an_unknown_job_is_a_usage_error(self):
        r = self.cluster.sieve("retry", "j0000000000000000", check=False)
        self.assertEqual(r.returncode, 2, r.stderr.decode())


if __name__ == "__main__":
    result = unittest.main(verbosity=2, exit=False).result
    sys.exit(0 if result.wasSuccessful() else 1)
