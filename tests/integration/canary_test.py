"""The canary (issue 25): against a real FastAPI app (Debian's python3-fastapi and
python3-uvicorn; a pydantic model `website, content` like the seed's), a job the endpoint
refuses fails in its canary's few requests, counted AT THE ENDPOINT, with the answer quoted in
`sieve status` and the CLI's message, exit code 1, and nothing labelled `error`; an endpoint
that answers 503 for its first 5 seconds does not fail the canary; --no-canary fans out at once.

Real processes on loopback: the FastAPI app (uvicorn), sieve-broker, sieve-collector, two
sieve-workers and the `sieve` CLI. Without an interpreter that imports fastapi and uvicorn the
suite skips (exit 77; a failure under CI=true, see suite_skip.py).
"""

import json
import os
import subprocess
import sys
import time
import unittest
import urllib.request

from sieve_harness import Cluster, check_output, generate_csv, read_csv
from suite_skip import run_tests, skip_suite

APP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "apps", "fastapi_site_app.py")
ROWS = 300
CHUNK_ROWS = 50
PROBE_ROWS = 5  # worker/canary_probe.h: the first row, then 4 together


def fastapi_python():
    """An interpreter that imports fastapi and uvicorn (Debian's, when python3 on PATH is
    another), or None."""
    for candidate in (sys.executable, "/usr/bin/python3"):
        r = subprocess.run([candidate, "-c", "import fastapi, uvicorn, pydantic"],
                           capture_output=True)
        if r.returncode == 0:
            return candidate
    return None


PYTHON = fastapi_python()


class FastApiApp:
    """The test app as a process; `url` is its /classify endpoint."""

    def __init__(self, cluster, name, *flags):
        self.port_file = os.path.join(cluster.dir, name + ".port")
        log = open(os.path.join(cluster.dir, name + ".log"), "ab")
        self.popen = subprocess.Popen([PYTHON, APP, self.port_file, *flags], stdout=log,
                                      stderr=log, start_new_session=True)
        log.close()
        deadline = time.time() + 30
        while not os.path.exists(self.port_file):
            if time.time() > deadline or self.popen.poll() is not None:
                raise RuntimeError(f"the FastAPI app did not start (see {name}.log)")
            time.sleep(0.05)
        with open(self.port_file) as f:
            self.base = f"http://127.0.0.1:{f.read().strip()}"
        self.url = self.base + "/classify"
        while True:  # uvicorn binds a moment after the port file is written
            try:
                self.count()
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.05)

    def count(self):
        with urllib.request.urlopen(self.base + "/count", timeout=10) as r:
            return json.loads(r.read())["classify"]

    def close(self):
        if self.popen.poll() is None:
            self.popen.kill()
        self.popen.wait(timeout=30)


class CanaryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster("canary")
        cls.cluster.start_broker()
        cls.cluster.start_collector()
        for _ in range(2):
            cls.cluster.start_worker()
        cls.input = generate_csv(os.path.join(cls.cluster.dir, "in.csv"), ROWS, seed=25)
        cls.apps = []

    @classmethod
    def tearDownClass(cls):
        for app in cls.apps:
            app.close()
        cls.cluster.close()

    def app(self, *flags):
        app = FastApiApp(self.cluster, f"app{len(self.apps)}", *flags)
        self.apps.append(app)
        return app

    def submit_wait(self, endpoint, *flags):
        """`sieve submit --wait -o OUT`: (result, job id, output path, seconds)."""
        out = os.path.join(self.cluster.dir, self._testMethodName + ".csv")
        started = time.monotonic()
        r = self.cluster.sieve("submit", self.input, "--endpoint", endpoint, "--chunk-rows",
                               str(CHUNK_ROWS), "--wait", "-o", out, *flags, check=False,
                               timeout=300)
        seconds = time.monotonic() - started
        job = r.stdout.decode().strip().splitlines()[0] if r.stdout.strip() else ""
        return r, job, out, seconds

    def assert_canary_failed(self, app, endpoint, quoted, *flags):
        r, job, out, seconds = self.submit_wait(endpoint, *flags)
        stderr = r.stderr.decode()
        self.assertEqual(r.returncode, 1, f"{stderr}\n{self.cluster.logs()}")
        self.assertTrue(job.startswith("j"), stderr)
        self.assertIn("failed: canary: ", stderr)
        for text in quoted:
            self.assertIn(text, stderr)
        self.assertIn("no other row was sent", stderr)
        # "under 2 s" is the figure (measured: see docs/benchmarks.md); the bound here
        # is generous for a loaded CI machine.
        self.assertLess(seconds, 10, f"the canary took {seconds:.1f} s")
        status = self.cluster.status(job)
        self.assertEqual(status["state"], "failed")
        self.assertTrue(status["message"].startswith("canary: "), status)
        for text in quoted:
            self.assertIn(text, status["message"])
        self.assertEqual(status["error_rows"], 0)
        self.assertEqual(status["done_rows"], 0)
        self.assertFalse(os.path.exists(out), "a failed canary wrote an output")
        requests = app.count()
        self.assertGreaterEqual(requests, 1)
        self.assertLessEqual(requests, PROBE_ROWS, f"the endpoint got {requests} requests")
        print(f"  {self._testMethodName}: failed in {seconds:.2f} s after {requests} requests",
              file=sys.stderr)
        return status

    def test_missing_field_fails_the_canary_with_the_422_detail(self):
        app = self.app()
        self.assert_canary_failed(app, app.url, ["HTTP 422", "field required", "content"],
                                  "--fields", "website")

    def test_wrong_path_fails_the_canary_with_404(self):
        app = self.app()
        self.assert_canary_failed(app, app.base + "/clasify", ["HTTP 404", "Not Found"])

    def test_missing_authorization_fails_the_canary_with_401(self):
        app = self.app("--require-key", "k-25")
        self.assert_canary_failed(app, app.url, ["HTTP 401", "invalid or missing API key"])

    def test_wrong_label_field_fails_the_canary(self):
        app = self.app()
        self.assert_canary_failed(app, app.url, ["no field 'category'"],
                                  "--label-field", "category")

    def test_503_while_starting_does_not_fail_the_canary(self):
        app = self.app("--unavailable-for", "5")
        r, job, out, seconds = self.submit_wait(app.url)
        self.assertEqual(r.returncode, 0, f"{r.stderr.decode()}\n{self.cluster.logs()}")
        self.assertGreater(seconds, 4.5)
        check_output([self.input], out)
        labels = [row[-1] for row in read_csv(out)[1:]]
        self.assertNotIn("error", labels)

    def test_no_canary_fans_out_at_once(self):
        # Without the canary, the refused job is the old story: every row sent, every row an
        # error. (What the canary saves, counted at the endpoint.)
        app = self.app()
        r, job, out, _ = self.submit_wait(app.url, "--fields", "website", "--no-canary")
        self.assertEqual(r.returncode, 1, r.stderr.decode())
        self.assertIn(f"finished with {ROWS} failed rows", r.stderr.decode())
        self.assertEqual(app.count(), ROWS)

    def test_canary_then_fan_out_labels_everything(self):
        app = self.app()
        r, job, out, _ = self.submit_wait(app.url)
        self.assertEqual(r.returncode, 0, f"{r.stderr.decode()}\n{self.cluster.logs()}")
        check_output([self.input], out)
        self.assertEqual(app.count(), ROWS)  # the probe rows are not sent twice


if __name__ == "__main__":
    if PYTHON is None:
        skip_suite("no python3 with fastapi and uvicorn (apt-get install python3-fastapi "
                   "python3-uvicorn)")
    run_tests(verbosity=2)
