"""Resume of `sieve run` (issue 18; docs/architecture.md, "Resume of sieve run") through real
processes, requests counted AT THE ENDPOINT (a sieve-classifier process's /metrics).

- `sieve run ... --data-dir D` SIGKILLed (its whole process group) halfway through a job and
  started again with the same command: it continues the same job (no second one), the endpoint
  sees at most the chunks that were in flight at the kill twice, and the output equals a
  fault-free run's byte for byte. Before that, the same data directory with a different option
  is refused (exit 2) naming the job and the option, and sends nothing.
- `sieve run` without --data-dir stopped at its --max-cost (exit 4) keeps its temporary data
  directory and says how to carry on; the same command with that --data-dir and a larger
  --max-cost continues the job to the fault-free output, every row sent exactly once.
"""

import json
import os
import re
import signal
import subprocess
import time
import unittest

from sieve_harness import (Cluster, ClusterTestCase, SOURCE_DIR, exe, generate_csv, get_json,
                           metric_sum)

ROWS = 2000
CHUNK_ROWS = 50
WORKERS = 2
MAX_CHUNKS = 2  # chunks a worker holds at once (worker/worker_node.h, max_chunks)
BUDGET_STOP = 4  # client/exit_codes.h kExitBudgetExhausted
TEMPLATE = "@" + os.path.join(SOURCE_DIR, "examples", "chat-template.json")
PRICE = "2,8"


class RunResumeTest(ClusterTestCase):
    def setUp(self):
        super().setUp()
        self.data = generate_csv(self.path("in.csv"), ROWS, seed=18)

    def requests(self):
        return int(metric_sum(self.cluster.classifier.endpoint,
                              "sieve_classifier_request_duration_seconds_count"))

    def run_sieve(self, *args, timeout=120):
        return subprocess.run([exe("sieve"), "run", *args], capture_output=True, timeout=timeout)

    def read(self, path):
        with open(path, "rb") as f:
            return f.read()

    def test_sigkill_halfway_then_the_same_command_finishes_the_same_job(self):
        self.cluster.start_classifier("--latency-ms", "10")
        flags = [self.data, "--endpoint", self.cluster.endpoint, "--chunk-rows", str(CHUNK_ROWS),
                 "--workers", str(WORKERS), "--concurrency", "4"]
        clean = self.path("clean.csv")
        r = self.run_sieve(*flags, "-o", clean, "--data-dir", self.path("clean-data"))
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertEqual(self.requests(), ROWS)

        data_dir = self.path("data")
        out = self.path("out.csv")
        command = [exe("sieve"), "run", *flags, "-o", out, "--data-dir", data_dir]
        before = self.requests()
        with open(self.path("first.stdout"), "wb") as stdout, \
                open(self.path("first.stderr"), "wb") as stderr:
            first = subprocess.Popen(command, stdout=stdout, stderr=stderr,
                                     start_new_session=True)
            try:
                deadline = time.time() + 60
                while self.requests() - before < ROWS // 2:
                    self.assertIsNone(first.poll(), "the run ended before it was killed")
                    self.assertLess(time.time(), deadline, "the run made no progress")
                    time.sleep(0.02)
            finally:
                os.killpg(first.pid, signal.SIGKILL)
                first.wait(timeout=30)
        # The endpoint counts a request when it answers: those in flight at the kill still end.
        at_kill = self.requests() - before
        while True:
            time.sleep(0.3)
            settled = self.requests() - before
            if settled == at_kill:
                break
            at_kill = settled
        self.assertLess(at_kill, ROWS, "killed after the job was done: not halfway")
        job = self.read(self.path("first.stdout")).decode().split()[0]
        self.assertFalse(os.path.exists(out))

        # Another run in the same data directory is refused before anything is sent.
        r = self.run_sieve(*flags, "--label-column", "other", "-o", self.path("other.csv"),
                           "--data-dir", data_dir)
        err = r.stderr.decode()
        self.assertEqual(r.returncode, 2, err)
        self.assertIn(f"holds job {job}, unfinished", err)
        self.assertIn("--label-column (was label, now other)", err)
        self.assertIn("another --data-dir", err)
        time.sleep(0.5)
        self.assertEqual(self.requests() - before, at_kill, "the refused run sent requests")

        # The same command again: the same job, finished.
        r = subprocess.run(command, capture_output=True, timeout=120)
        err = r.stderr.decode()
        self.assertEqual(r.returncode, 0, err)
        self.assertIn(f"continuing job {job}", err)
        self.assertEqual(r.stdout.decode().split()[0], job)
        self.assertEqual(self.read(out), self.read(clean), "the resumed output differs")
        sent = self.requests() - before
        in_flight = WORKERS * MAX_CHUNKS * CHUNK_ROWS  # one chunk-set in flight at the kill
        self.assertGreaterEqual(sent, ROWS)
        self.assertLessEqual(sent, ROWS + in_flight,
                             f"{sent} requests for {ROWS} rows, killed at {at_kill}")
        print(f"killed at {at_kill} requests; {sent} in all for {ROWS} rows "
              f"(bound {ROWS + in_flight})")

        # Done: the same command once more starts a new job (nothing unfinished to continue).
        r = subprocess.run(command, capture_output=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertNotIn("continuing", r.stderr.decode())
        self.assertNotEqual(r.stdout.decode().split()[0], job)

    def test_budget_stop_then_the_same_command_with_a_larger_budget_continues(self):
        rows = 240
        data = generate_csv(self.path("small.csv"), rows, seed=5)
        self.cluster.start_classifier("--answer-style", "sentence")
        base = f"http://{self.cluster.classifier.endpoint}"
        labels = get_json(base + "/labels")["labels"]
        flags = [data, "--endpoint", base + "/v1/chat/completions", "--body-template", TEMPLATE,
                 "--label-field", "/choices/0/message/content", "--labels", ",".join(labels),
                 "--price", PRICE, "--chunk-rows", "10"]
        full = self.path("full.csv")
        r = self.run_sieve(*flags, "-o", full)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertEqual(self.requests(), rows)
        with open(full + ".summary.json") as f:
            full_cost = json.load(f)["cost"]

        out = self.path("out.csv")
        before = self.requests()
        r = self.run_sieve(*flags, "-o", out, "--max-cost", repr(round(full_cost / 3, 8)))
        err = r.stderr.decode()
        self.assertEqual(r.returncode, BUDGET_STOP, err)
        self.assertIn("stopped at its budget", err)
        self.assertNotIn("sieve submit", err)
        hint = re.search(r"run the same command again with a larger --max-cost and "
                         r"--data-dir (\S+)", err)
        self.assertIsNotNone(hint, err)
        kept = hint.group(1)
        self.assertTrue(os.path.isdir(kept), "the temporary data directory is kept")
        stopped = self.requests() - before
        self.assertGreater(stopped, 0)
        self.assertLess(stopped, rows)

        # The same budget again: still stopped, nothing sent.
        r = self.run_sieve(*flags, "-o", out, "--max-cost", repr(round(full_cost / 3, 8)),
                           "--data-dir", kept)
        self.assertEqual(r.returncode, BUDGET_STOP, r.stderr.decode())
        self.assertEqual(self.requests() - before, stopped)

        r = self.run_sieve(*flags, "-o", out, "--max-cost", repr(full_cost * 2),
                           "--data-dir", kept)
        err = r.stderr.decode()
        self.assertEqual(r.returncode, 0, err)
        self.assertIn("continuing job", err)
        self.assertIn("budget set to cost", err)
        self.assertEqual(self.read(out), self.read(full), "the continued output differs")
        self.assertEqual(self.requests() - before, rows, "every row sent exactly once")
        subprocess.run(["rm", "-rf", kept], check=False)


if __name__ == "__main__":
    unittest.main(verbosity=2)
