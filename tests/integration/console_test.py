"""The broker's web console (issue 23), in a real browser.

Starts a classifier (slow, and answering 500 to some requests), a broker serving the console on
its --metrics address with --console-token, a collector and two workers; submits jobs and opens
the console in Debian's headless Chromium (driven through the DevTools protocol,
headless_chromium.py). Checks, in the rendered page, a running job's row count and progress,
the same after it ends, a failed row's reason, the worker list; actions refused without the
token, with a wrong one and from a page of another origin, carried out with it, through the
browser and through the API; and a broker without --console-token is read-only.

Screenshots of each page go to $SIEVE_BIN_DIR/console-screenshots/ (test artifacts).
"""

import http.server
import json
import os
import re
import sys
import threading
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from headless_chromium import Browser, chromium_path  # noqa: E402
from sieve_harness import BIN_DIR, Cluster, generate_csv  # noqa: E402
from suite_skip import run_tests, skip_suite  # noqa: E402

TOKEN = "console-test-token-0123456789"
ROWS = 1500
SHOTS = os.path.join(BIN_DIR or ".", "console-screenshots")


def post(url, headers=None, body=b'{"by": "console_test"}'):
    """(HTTP status, decoded JSON body) of a POST."""
    request = urllib.request.Request(url, data=body, method="POST", headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=20) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


class ConsoleTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        os.makedirs(SHOTS, exist_ok=True)
        c = cls.cluster = Cluster("console")
        try:
            token = os.path.join(c.dir, "console.token")
            with open(token, "w") as f:
                f.write(TOKEN + "\n")
            os.chmod(token, 0o600)
            # ~5% of requests answer 500 and rows are not retried: some rows fail, with a reason.
            c.start_classifier("--latency-ms", "40", "--fail-rate", "0.05", "--seed", "7")
            c.start_broker("tcp://127.0.0.1:*", "--metrics", "127.0.0.1:0",
                           "--console-token", token)
            c.start_collector()
            for _ in range(2):
                c.start_worker("--concurrency", "2")
            cls.base = f"http://{c.broker.metrics}"
            cls.browser = Browser(os.path.join(c.dir, "chromium")).__enter__()
        except BaseException:
            c.close(keep=True)
            raise

    @classmethod
    def tearDownClass(cls):
        cls.browser.close()
        cls.cluster.close()

    def submit(self, name, rows, seed):
        data = generate_csv(os.path.join(self.cluster.dir, f"{name}.csv"), rows, seed=seed)
        return self.cluster.submit([data], "--name", name, "--retries", "0", "--chunk-rows",
                                   "100", "-o", os.path.join(self.cluster.dir, f"{name}.out.csv"))

    def job_row_text(self, tab, job):
        return tab.eval(f"(r => r && r.innerText)(document.querySelector('tr[data-job=\"{job}\"]'))")

    def test_1_jobs_job_and_workers_pages(self):
        job = self.submit("console-demo", ROWS, seed=3)
        tab = self.browser.open(self.base + "/")
        # While it runs: the jobs list shows the job with part of its rows done.
        text = tab.wait_for(
            f"(r => r && /[1-9][0-9,]* \\/ 1,500 rows/.test(r.innerText) && r.innerText)"
            f"(document.querySelector('tr[data-job=\"{job}\"]'))", what="a running job's row")
        m = re.search(r"([\d,]+) / 1,500 rows \((\d+)%\)", text)
        done = int(m.group(1).replace(",", ""))
        self.assertLess(done, ROWS, text)  # caught while it runs
        self.assertRegex(text, r"console-demo\s+(open|sealed)")
        value = tab.eval(f"document.querySelector('tr[data-job=\"{job}\"] progress').value")
        self.assertGreater(value, 0)
        self.assertLess(value, ROWS)
        tab.screenshot(os.path.join(SHOTS, "jobs-running.png"))

        # The job page, while it runs: progress, chunk strip, spec without header values.
        tab.navigate(f"{self.base}/#/jobs/{job}")
        tab.wait_for("document.querySelector('#job-rows').innerText.includes('1,500 rows')")
        self.assertIn("console-demo", tab.eval("document.querySelector('#job-title').innerText"))
        strip = tab.eval("document.querySelectorAll('#chunk-strip span').length")
        self.assertEqual(strip, ROWS // 100)
        self.assertIn("/classify", tab.eval("document.querySelector('#spec').innerText"))

        # After it ends: all rows, state done, a failed row's reason, a throughput chart.
        tab.wait_for("document.querySelector('#job-summary').innerText.includes(' done ')",
                     timeout=120, what="the job to end")
        tab.wait_for("document.querySelector('#job-rows').innerText.includes('1,500 / 1,500')")
        tab.wait_for("document.querySelector('#failed-rows tbody tr') !== null",
                     what="a failed row")
        reason = tab.eval("document.querySelector('#failed-rows tbody tr td.reason').innerText")
        self.assertIn("500", reason)
        status = self.cluster.status(job)
        self.assertGreater(status["error_rows"], 0)
        self.assertEqual(tab.eval("document.querySelector('#job-progress').value"), ROWS)
        self.assertTrue(tab.eval("document.querySelector('#chart polyline') !== null"))
        self.assertEqual(tab.eval("document.querySelectorAll('#chunk-strip span.c-c').length"),
                         ROWS // 100)
        tab.screenshot(os.path.join(SHOTS, "job.png"))

        # The jobs list after the end.
        tab.navigate(self.base + "/#/")
        text = tab.wait_for(
            f"(r => r && r.innerText.includes('1,500 / 1,500 rows (100%)') && r.innerText)"
            f"(document.querySelector('tr[data-job=\"{job}\"]'))")
        self.assertRegex(text, r"console-demo\s+done")
        self.assertIn(f"{status['error_rows']:,}", text)

        # Workers: both, with their names.
        tab.navigate(self.base + "/#/workers")
        text = tab.wait_for("(t => t.includes('worker1') && t.includes('worker2') && t)"
                            "(document.querySelector('#workers').innerText)")
        self.assertEqual(tab.eval("document.querySelectorAll('#workers tbody tr').length"), 2)
        tab.screenshot(os.path.join(SHOTS, "workers.png"))

        # Rate limits: none yet.
        tab.navigate(self.base + "/#/limits")
        tab.wait_for("!document.querySelector('#view-limits').hidden")
        self.assertEqual(tab.eval("document.querySelector('#limits-empty').innerText"), "none")

        # On a phone-sized screen.
        tab.set_viewport(390, 844, mobile=True)
        tab.navigate(self.base + "/#/")
        tab.wait_for(f"document.querySelector('tr[data-job=\"{job}\"]') !== null")
        tab.screenshot(os.path.join(SHOTS, "jobs-phone.png"))

    def test_2_actions_through_the_api(self):
        job = self.submit("api-cancel", 4000, seed=4)
        url = f"{self.base}/api/v1/console/jobs/{job}/cancel"
        right = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
        self.assertEqual(post(url)[0], 401)
        self.assertEqual(post(url, {"Authorization": "Bearer not-the-token-at-all"})[0], 401)
        status, body = post(url, dict(right, Origin="http://127.0.0.1:1"))
        self.assertEqual(status, 403, body)
        status, body = post(url, dict(right, **{"Sec-Fetch-Site": "cross-site"}))
        self.assertEqual(status, 403, body)
        self.assertIn(self.cluster.status(job)["state"], ("open", "sealed"))
        status, body = post(url, right)
        self.assertEqual((status, body.get("ok")), (200, True), body)
        self.assertEqual(self.cluster.status(job)["state"], "cancelled")
        self.assertEqual(post(url, right)[0], 409)  # ended: nothing to cancel
        self.assertEqual(post(f"{self.base}/api/v1/console/jobs/{job}/explode", right)[0], 404)
        log = self.cluster.broker.log_tail(20000)
        self.assertIn(f"console: cancel of job {job} by console_test at 127.0.0.1", log)

    def test_3_actions_through_the_browser(self):
        # Large enough to be still running when the browser acts, even on a loaded machine (the
        # 4,000 rows it had once finished first in CI); it is cancelled long before its end.
        job = self.submit("browser-cancel", 40000, seed=5)
        # A page of another origin (same host, another port) tries to cancel: refused.
        foreign = ForeignPage(f"{self.base}/api/v1/console/jobs/{job}/cancel")
        try:
            tab = self.browser.open(foreign.url)
            result = tab.wait_for("window.attempts", what="the foreign page's attempts")
        finally:
            foreign.close()
        self.assertNotIn("200", result)
        self.assertIn(self.cluster.status(job)["state"], ("open", "sealed"))
        self.assertIn("refused: a request from another", self.cluster.broker.log_tail(20000))

        tab = self.browser.open(f"{self.base}/#/jobs/{job}")
        tab.wait_for("document.querySelector('#action-cancel') !== null")
        tab.eval("document.querySelector('#token').value = 'a-wrong-token-0123456789'")
        tab.eval("document.querySelector('#by').value = 'ada'")
        tab.eval("document.querySelector('#action-cancel').click()")
        tab.wait_for("document.querySelector('#action-result').innerText.includes('refused')")
        self.assertIn(self.cluster.status(job)["state"], ("open", "sealed"))
        tab.eval(f"document.querySelector('#token').value = '{TOKEN}'")
        tab.eval("document.querySelector('#action-cancel').click()")
        tab.wait_for("document.querySelector('#action-result').innerText.includes('cancel: done')")
        tab.wait_for("document.querySelector('#job-summary').innerText.includes('cancelled')")
        self.assertEqual(self.cluster.status(job)["state"], "cancelled")
        self.assertIn(f"console: cancel of job {job} by ada at 127.0.0.1",
                      self.cluster.broker.log_tail(20000))
        tab.screenshot(os.path.join(SHOTS, "job-cancelled.png"))


class ReadOnlyConsoleTest(unittest.TestCase):
    """Without --console-token: the page says read-only and the action endpoint refuses."""

    def test_read_only(self):
        c = Cluster("console-ro")
        try:
            c.start_broker("tcp://127.0.0.1:*", "--metrics", "127.0.0.1:0")
            base = f"http://{c.broker.metrics}"
            data = generate_csv(os.path.join(c.dir, "d.csv"), 50, seed=6)
            # No classifier: the job only waits (nothing dispatches it without workers).
            r = c.sieve("submit", data, "--endpoint", "http://127.0.0.1:9/classify", "--name",
                        "read-only")
            job = r.stdout.decode().strip().splitlines()[0]
            status, body = post(f"{base}/api/v1/console/jobs/{job}/cancel",
                                {"Authorization": f"Bearer {TOKEN}"})
            self.assertEqual(status, 403, body)
            self.assertIn("--console-token", body["error"])
            with Browser(os.path.join(c.dir, "chromium")) as browser:
                tab = browser.open(f"{base}/#/jobs/{job}")
                tab.wait_for("document.querySelector('#job-title').innerText.includes('read-only')")
                self.assertFalse(tab.eval("document.querySelector('#actions-off').hidden"))
                self.assertTrue(tab.eval("document.querySelector('#actions').hidden"))
            self.assertIn(c.status(job)["state"], ("open", "sealed"))
        finally:
            c.close()


class ForeignPage:
    """A page served from another origin (a port of our own) that tries to cancel a job: with
    the token in an Authorization header (the browser must send a CORS preflight, which the
    broker does not answer), and as a "simple" form-like POST (sent, and refused by the broker).
    window.attempts ends as "<first>;<second>" (an HTTP status or "blocked")."""

    def __init__(self, target):
        page = f"""<!doctype html><script>
async function attempt(init) {{
  try {{ const r = await fetch({json.dumps(target)}, init); return String(r.status); }}
  catch (e) {{ return "blocked"; }}
}}
(async () => {{
  const a = await attempt({{method: "POST", headers: {{"Authorization": "Bearer {TOKEN}"}},
                            body: "{{}}"}});
  const b = await attempt({{method: "POST", mode: "no-cors", body: "by=attacker"}});
  window.attempts = a + ";" + b;
}})();
</script>""".encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args):
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


if __name__ == "__main__":
    try:
        chromium_path()
    except FileNotFoundError as e:
        skip_suite(str(e))
    run_tests()
