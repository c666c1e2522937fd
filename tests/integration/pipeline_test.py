"""End-to-end tests of the pipeline: real sieve, sieve-broker, sieve-collector, sieve-worker and
sieve-classifier processes on loopback, outputs checked row by row against the inputs and
against the labels the server gives."""

import os
import re
import signal
import subprocess
import time
import unittest

from sieve_harness import (Cluster, ClusterTestCase, SOURCE_DIR, check_output, exe,
                           generate_csv, read_csv)


class PipelineTest(ClusterTestCase):
    def test_run_bundled_example(self):
        example = os.path.join(SOURCE_DIR, "examples", "websites.csv")
        out = self.path("out.csv")
        r = subprocess.run([exe("sieve"), "run", example, "-o", out], capture_output=True,
                           timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertIn("Labelled output: " + out, r.stdout.decode())
        rows = check_output([example], out)
        self.assertGreater(len({row[-1] for row in rows[1:]}), 3, "labels should vary")
        self.assertTrue(os.path.exists(out + ".summary.json"))

    def test_several_files_three_workers_separate_collector(self):
        self.cluster.start(workers=3)
        inputs = [generate_csv(self.path(f"part{i}.csv"), 700 + i * 50, seed=i) for i in range(3)]
        out = self.path("out.csv")
        self.cluster.sieve("submit", *inputs, "--endpoint", self.cluster.endpoint,
                           "--chunk-rows", "100", "--wait", "-o", out)
        check_output(inputs, out, self.cluster.endpoint, sample=None)
        workers = self.cluster.sieve("workers", "--json").stdout.decode()
        self.assertEqual(workers.count('"name"'), 3)

    def test_hundred_thousand_rows(self):
        self.cluster.start(workers=2)
        data = generate_csv(self.path("big.csv"), 100_000, seed=3)
        out = self.path("out.csv")
        self.cluster.sieve("submit", data, "--endpoint", self.cluster.endpoint, "--chunk-rows",
                           "2000", "--wait", "-o", out, timeout=600)
        check_output([data], out, self.cluster.endpoint, sample=300)

    def test_two_jobs_share_workers(self):
        # 30 ms per request, 16 in flight: each job alone takes ~7.5 s, long enough for the
        # status polls below (a process each, slow under asan on a loaded machine) to see both
        # in progress (10 ms failed so once in a fresh-clone CI).
        self.cluster.start(workers=2, classifier_flags=("--latency-ms", "30"),
                           worker_flags=("--concurrency", "8"))
        a = generate_csv(self.path("a.csv"), 4000, seed=4)
        b = generate_csv(self.path("b.csv"), 4000, seed=5)
        job_a = self.cluster.submit([a], "--chunk-rows", "100")
        job_b = self.cluster.submit([b], "--chunk-rows", "100")
        # Fairness: while both run, neither waits for the other to finish.
        both_progressed = False
        deadline = time.time() + 120
        while time.time() < deadline:
            sa, sb = self.cluster.status(job_a), self.cluster.status(job_b)
            if sa["state"] == "done" and sb["state"] == "done":
                break
            if 0 < sa["done_rows"] < 4000 and 0 < sb["done_rows"] < 4000:
                both_progressed = True
            time.sleep(0.1)
        self.assertTrue(both_progressed, "the two jobs did not run side by side")
        for job, src in ((job_a, a), (job_b, b)):
            out = self.path(job + ".csv")
            self.cluster.sieve("fetch", job, "-o", out)
            check_output([src], out, self.cluster.endpoint, sample=100)

    def test_cancel(self):
        self.cluster.start(workers=1, classifier_flags=("--latency-ms", "20"),
                           worker_flags=("--concurrency", "4"))
        data = generate_csv(self.path("slow.csv"), 3000, seed=6)
        job = self.cluster.submit([data], "--chunk-rows", "50")
        self.cluster.wait_rows(job, 50)
        self.cluster.sieve("cancel", job)
        self.assertEqual(self.cluster.status(job)["state"], "cancelled")
        r = self.cluster.sieve("wait", job, check=False)
        self.assertEqual(r.returncode, 1)
        # The workers are free again: a new job completes.
        small = generate_csv(self.path("small.csv"), 100, seed=7)
        out = self.path("out.csv")
        self.cluster.sieve("submit", small, "--endpoint", self.cluster.endpoint, "--wait", "-o",
                           out)
        check_output([small], out)

    def test_failed_rows_are_labelled_and_reported(self):
        # --max-relabels 0: the rows fail after their retries, without riding out an outage
        # (the ~3 min of relabel rounds are the endpoint_away fault scenario's).
        self.cluster.start(workers=1, classifier_flags=("--fail-rate", "1.0"),
                           worker_flags=("--max-relabels", "0"))
        data = generate_csv(self.path("d.csv"), 50, seed=8)
        out = self.path("out.csv")
        r = self.cluster.sieve("submit", data, "--endpoint", self.cluster.endpoint, "--retries",
                               "1", "--wait", "-o", out, check=False)
        self.assertEqual(r.returncode, 1, r.stderr.decode())
        rows = read_csv(out)
        self.assertTrue(all(row[-1] == "error" for row in rows[1:]))
        errors = read_csv(out + ".errors.csv")
        self.assertEqual(errors[0], ["row", "website", "reason"])
        self.assertEqual(len(errors) - 1, 50)
        self.assertIn("HTTP 500", errors[1][2])

    def test_chunk_bytes_bounds_chunks_of_long_rows(self):
        # 120 rows of ~6 KB: one chunk by rows (1,000), at least 45 chunks of at most 16 KiB.
        self.cluster.start(workers=2)
        data = self.path("long.csv")
        with open(data, "w", newline="") as f:
            f.write("website,content\n")
            for i in range(120):
                f.write(f'https://site{i}.example,"{("word " * 1200)[: 5000 + 17 * i]}"\n')
        out = self.path("out.csv")
        r = self.cluster.sieve("submit", data, "--endpoint", self.cluster.endpoint,
                               "--chunk-bytes", "16KiB", "--wait", "-o", out)
        chunks = int(re.search(r"120 rows in (\d+) chunks", r.stderr.decode()).group(1))
        self.assertGreaterEqual(chunks, os.path.getsize(data) // (16 << 10))
        self.assertLessEqual(chunks, 120)
        check_output([data], out, self.cluster.endpoint, sample=20)


class ClientErrorsTest(unittest.TestCase):
    def setUp(self):
        self.cluster = Cluster("client-errors")

    def tearDown(self):
        self.cluster.close()

    def run_sieve(self, *args, broker="tcp://127.0.0.1:1"):
        env = dict(os.environ, SIEVE_BROKER=broker)
        return subprocess.run([exe("sieve"), *args], capture_output=True, timeout=60, env=env)

    def test_unreachable_broker_exits_3(self):
        data = generate_csv(os.path.join(self.cluster.dir, "x.csv"), 10)
        r = self.run_sieve("submit", data, "--endpoint", "http://127.0.0.1:9/classify")
        self.assertEqual(r.returncode, 3, r.stderr.decode())
        self.assertIn("no answer", r.stderr.decode())

    def test_unknown_field_is_a_usage_error_before_anything_is_sent(self):
        data = generate_csv(os.path.join(self.cluster.dir, "x.csv"), 10)
        r = self.run_sieve("submit", data, "--endpoint", "http://127.0.0.1:9/classify",
                           "--fields", "website,nope")
        self.assertEqual(r.returncode, 2)
        self.assertIn("'nope'", r.stderr.decode())

    def test_malformed_csv_names_file_and_line(self):
        bad = os.path.join(self.cluster.dir, "bad.csv")
        with open(bad, "w") as f:
            f.write('website,content\na,b\nc,"unterminated\n')
        r = self.run_sieve("submit", bad, "--endpoint", "http://127.0.0.1:9/classify")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("bad.csv:3", r.stderr.decode())

    def test_missing_flag_exits_2(self):
        self.assertEqual(self.run_sieve("submit").returncode, 2)


if __name__ == "__main__":
    unittest.main(verbosity=2)
