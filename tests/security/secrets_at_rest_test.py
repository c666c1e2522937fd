"""Secrets at rest and private state (issue 26, docs/security.md "Secrets").

Real executables on loopback (tests/integration/sieve_harness.py) and a real HTTP endpoint
(below) that answers only requests carrying one of the test's keys: a row sent without its key,
or with a wrong one, gets a 401 and so the error label, which the output comparison catches.

What is checked:
  - a job with a literal `Authorization` header and a job whose header names a worker secret
    (`${secret:model}`: one worker has it from SIEVE_SECRET_MODEL, the other from a 0600
    --secrets-file) run while the broker and the collector are SIGKILLed and restarted;
  - after the broker restart the literal-key job waits (`waiting_for: secret`, not an error)
    until `sieve resume JOB --header ...` gives the key again, then completes; both outputs
    equal a fault-free run's byte for byte; the endpoint never saw a request without a key;
  - a job naming a secret no worker has is handed back (the reason in its status), not sent;
  - neither key's bytes are in any file under the data directories, any log, any /metrics or
    status answer, or the CLI's output;
  - run under umask 000, every directory under the data directories is 0700-private and every
    file 0600-private; the user's output file follows the umask;
  - a data directory others can read is refused at start with the chmod to run (broker,
    collector, `sieve run`), unless --allow-shared-data-dir; a secrets file others can read is
    refused by the worker.
"""

import hashlib
import http.server
import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import sieve_harness as h  # noqa: E402

LITERAL_KEY = "sk-lit-7c1e55a0d93b4f2e"   # given with --header at submit (and at resume)
WORKER_KEY = "sk-wrk-0b8d6f31aa92c4e7"    # only in the workers' secret stores
ROWS = 2400
CHUNK_ROWS = 40


class AuthEndpoint:
    """An HTTP endpoint on 127.0.0.1 that labels a row by a hash of its body, only when the
    request carries `Authorization: Bearer <one of the keys>`; 401 otherwise (counted)."""

    def __init__(self, keys, delay_s=0.015):
        self.allowed = {f"Bearer {k}" for k in keys}
        self.unauthorized = 0
        self.lock = threading.Lock()
        endpoint = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body are two writes

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.headers.get("Authorization") not in endpoint.allowed:
                    with endpoint.lock:
                        endpoint.unauthorized += 1
                    self.answer(401, b'{"detail":"bad key"}')
                    return
                time.sleep(delay_s)
                label = "l" + hashlib.sha1(body).hexdigest()[:2]
                self.answer(200, json.dumps({"label": label}).encode())

            def answer(self, code, data):
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 256  # socketserver's 5 drops the workers' connects

            def handle_error(self, request, client_address):
                pass  # a worker closing a kept-alive connection mid-write is no test failure

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/classify"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def walk(root):
    """Every directory and file under root (root included)."""
    yield root, True
    for d, dirs, files in os.walk(root):
        for name in dirs:
            yield os.path.join(d, name), True
        for name in files:
            yield os.path.join(d, name), False


def read_all(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return b""


class SecretsAtRestTest(unittest.TestCase):
    def setUp(self):
        self.old_umask = os.umask(0)  # the daemons inherit it: modes must not depend on it
        self.cluster = h.Cluster("secrets")
        # 40 ms answers: the jobs last long enough (~12 s) to be killed mid-way under asan.
        self.endpoint = AuthEndpoint([LITERAL_KEY, WORKER_KEY], delay_s=0.04)
        self.input = os.path.join(self.cluster.dir, "in.csv")
        h.generate_csv(self.input, ROWS, seed=26)
        self.answers = []  # every status, metrics and CLI answer, searched at the end

    def tearDown(self):
        os.umask(self.old_umask)
        self.endpoint.close()
        self.cluster.close(keep=False)

    # -- helpers -------------------------------------------------------------------------
    def start_worker(self, n, env_extra, *flags):
        c = self.cluster
        env = dict(os.environ, **env_extra)
        w = h.Process(f"worker{n}", [h.exe("sieve-worker"), "--broker", c.broker.endpoint,
                                     "--name", f"worker{n}", "--concurrency", "4",
                                     "--metrics", "127.0.0.1:0", "--log-level", "debug", *flags],
                      os.path.join(c.dir, f"worker{n}.log"), env=env)
        c.processes.append(w)
        w.start(wait_listening=False)
        w.wait_metrics()
        c.workers.append(w)
        return w

    def sieve(self, *args, check=True, timeout=120):
        r = self.cluster.sieve(*args, check=check, timeout=timeout)
        self.answers.append(r.stdout + r.stderr)
        return r

    def status(self, job):
        return json.loads(self.sieve("status", job, "--json").stdout)

    def submit(self, header, *flags):
        r = self.sieve("submit", self.input, "--endpoint", self.endpoint.url, "--chunk-rows",
                       str(CHUNK_ROWS), "--header", header, *flags)
        return r.stdout.decode().split()[0]

    def wait_state(self, job, states, timeout=180):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                s = self.status(job)
                if s["state"] in states:
                    return s
            except RuntimeError:
                pass  # the broker is restarting
            time.sleep(0.2)
        self.fail(f"job {job} never reached {states}\n{self.cluster.logs()}")

    def scrape(self, *processes):
        for p in processes:
            self.answers.append(urllib.request.urlopen(f"http://{p.metrics}/metrics",
                                                       timeout=5).read())
        for path in ("/api/v1/jobs", "/api/v1/workers"):
            self.answers.append(urllib.request.urlopen(
                f"http://{self.cluster.broker.metrics}{path}", timeout=5).read())

    def assert_no_key_in_data_dirs(self):
        """Reads every file under the broker's and the collector's data dirs; returns how many."""
        searched = 0
        for root in (os.path.join(self.cluster.dir, "broker"),
                     os.path.join(self.cluster.dir, "collector")):
            for path, is_dir in walk(root):
                if not is_dir:
                    searched += 1
                    for key in (LITERAL_KEY, WORKER_KEY):
                        self.assertNotIn(key.encode(), read_all(path), f"{key} in {path}")
        return searched

    def kill_and_restart(self, process, start):
        process.signal(signal.SIGKILL)
        process.wait(10)
        return start()

    # -- the test ------------------------------------------------------------------------
    def test_keys_never_at_rest_and_literal_key_job_resumes(self):
        c = self.cluster
        c.start_broker("tcp://127.0.0.1:*", "--metrics", "127.0.0.1:0")
        c.start_collector("--metrics", "127.0.0.1:0")
        secrets_dir = os.path.join(c.dir, "worker-secrets")  # outside every data dir
        os.mkdir(secrets_dir, 0o700)
        secrets_file = os.path.join(secrets_dir, "secrets")
        fd = os.open(secrets_file, os.O_WRONLY | os.O_CREAT, 0o600)
        os.write(fd, f"# test secrets\nmodel={WORKER_KEY}\n".encode())
        os.close(fd)
        w1 = self.start_worker(1, {"SIEVE_SECRET_MODEL": WORKER_KEY})
        w2 = self.start_worker(2, {}, "--secrets-file", secrets_file)

        # A fault-free run: the reference output (--no-cache: the jobs below must send their
        # rows, not find them in the result cache).
        reference = os.path.join(c.dir, "reference.csv")
        self.sieve("submit", self.input, "--endpoint", self.endpoint.url, "--chunk-rows",
                   str(CHUNK_ROWS), "--header", f"Authorization: Bearer {LITERAL_KEY}",
                   "--no-cache", "--wait", "-o", reference, timeout=180)

        literal = self.submit(f"Authorization: Bearer {LITERAL_KEY}")
        by_ref = self.submit("Authorization: Bearer ${secret:model}")
        nowhere = self.submit("X-Api-Key: ${secret:nowhere}")
        c.wait_rows(literal, 2 * CHUNK_ROWS)
        c.wait_rows(by_ref, 2 * CHUNK_ROWS)

        # SIGKILL the broker and the collector mid-job; restart them on their ports.
        self.assertLess(self.status(literal)["done_rows"], ROWS, "the job ended too soon")
        self.kill_and_restart(c.broker, lambda: c.start_broker(
            "tcp://127.0.0.1:*", "--metrics", "127.0.0.1:0"))
        self.kill_and_restart(c.collector, lambda: c.start_collector(
            "--metrics", "127.0.0.1:0"))

        # The literal-key job waits, and says why; nothing is labelled error.
        s = self.status(literal)
        self.assertEqual(s["waiting_for"], "secret", s)
        self.assertEqual(s["state"], "sealed", s)
        self.assertIn("sieve resume", s["message"])
        text = self.sieve("status", literal).stdout.decode()
        self.assertIn("waiting_for_secret", text)
        self.assertIn("sieve resume", self.sieve("jobs").stdout.decode() + text)
        # Mid-job, the spool holds the waiting job's chunks and SQLite its spec: no key.
        spooled = [p for p, d in walk(os.path.join(c.dir, "broker", "spool")) if not d]
        self.assertGreater(len(spooled), 0, "nothing spooled mid-job")
        self.assertGreater(self.assert_no_key_in_data_dirs(), len(spooled))

        # The secret-reference job needs nothing from the client: it completes.
        done = self.wait_state(by_ref, ("done", "failed", "cancelled"))
        self.assertEqual((done["state"], done["error_rows"]), ("done", 0), done)
        out_ref = os.path.join(c.dir, "by_ref.csv")
        self.sieve("fetch", by_ref, "-o", out_ref)

        # Still waiting (a chunk a worker held may have committed meanwhile, no more).
        time.sleep(2)
        s = self.status(literal)
        self.assertEqual((s["waiting_for"], s["state"], s["error_rows"]), ("secret", "sealed", 0))
        self.assertLess(s["done_rows"], ROWS)

        # The job naming a secret no worker has: handed back with the reason, never sent.
        s = self.status(nowhere)
        self.assertEqual((s["error_rows"], s["done_rows"]), (0, 0), s)
        deadline = time.time() + 30
        while "nowhere" not in s["message"] and time.time() < deadline:
            time.sleep(0.3)
            s = self.status(nowhere)
        self.assertIn("has no secret 'nowhere'", s["message"], s)
        self.sieve("cancel", nowhere)

        # resume: refused without the header; "nothing to resume" for a job not waiting.
        r = self.sieve("resume", literal, check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"Authorization", r.stderr)
        r = self.sieve("resume", by_ref)
        self.assertIn(b"nothing to resume", r.stderr)
        r = self.sieve("resume", literal, "--header", f"Authorization: Bearer {LITERAL_KEY}")
        self.assertIn(b"resumed", r.stderr)
        done = self.wait_state(literal, ("done", "failed", "cancelled"))
        self.assertEqual((done["state"], done["error_rows"], done["waiting_for"]),
                         ("done", 0, ""), done)
        out_literal = os.path.join(c.dir, "literal.csv")
        self.sieve("fetch", literal, "-o", out_literal)

        with open(reference, "rb") as f:
            expected = f.read()
        rows = h.read_csv(reference)
        self.assertEqual(len(rows) - 1, ROWS)
        self.assertTrue(all(r[-1].startswith("l") for r in rows[1:]), "rows without a label")
        for out in (out_literal, out_ref):
            with open(out, "rb") as f:
                self.assertEqual(f.read(), expected, f"{out} differs from the fault-free run")
        self.assertEqual(self.endpoint.unauthorized, 0, "a request went out without its key")
        # The user's output file follows the umask (000 here), as any tool's output does.
        self.assertEqual(stat.S_IMODE(os.stat(out_literal).st_mode), 0o666)

        # Search everything for the keys' bytes.
        self.scrape(c.broker, c.collector, w1, w2)
        self.answers.append(self.sieve("jobs", "--json").stdout)
        self.answers.append(self.sieve("workers", "--json").stdout)
        self.assertGreater(self.assert_no_key_in_data_dirs(), 3)
        logs = [p.log_path for p in c.processes]
        self.assertGreaterEqual(len(logs), 5)
        for key in (LITERAL_KEY, WORKER_KEY):
            for path in logs:
                self.assertNotIn(key.encode(), read_all(path), f"{key} in {path}")
            for i, answer in enumerate(self.answers):
                self.assertNotIn(key.encode(), answer, f"{key} in answer {i}")

        # Modes, under umask 000: nothing under a data dir is open to group or others.
        for root in (os.path.join(c.dir, "broker"), os.path.join(c.dir, "collector")):
            for path, is_dir in walk(root):
                mode = stat.S_IMODE(os.lstat(path).st_mode)
                self.assertEqual(mode & 0o077, 0, f"{path} has mode {mode:04o}")
                self.assertEqual(mode, 0o700 if is_dir else 0o600, f"{path}: {mode:04o}")

    def test_shared_data_dir_and_secrets_file_refused(self):
        c = self.cluster
        for program, extra in (("sieve-broker", ["--listen", "tcp://127.0.0.1:*"]),
                               ("sieve-collector", ["--listen", "tcp://127.0.0.1:*",
                                                    "--broker", "tcp://127.0.0.1:9"])):
            shared = os.path.join(c.dir, program + "-shared")
            os.mkdir(shared)
            os.chmod(shared, 0o755)
            r = subprocess.run([h.exe(program), "--data-dir", shared, *extra],
                               capture_output=True, timeout=30)
            self.assertNotEqual(r.returncode, 0, program)
            self.assertIn(f"chmod 700 {shared}".encode(), r.stderr, program)
            self.assertIn(b"--allow-shared-data-dir", r.stderr, program)
            self.assertEqual(os.listdir(shared), [], f"{program} wrote into a refused dir")
        # --allow-shared-data-dir overrides it.
        shared = os.path.join(c.dir, "sieve-broker-shared")
        p = h.Process("broker-shared", [h.exe("sieve-broker"), "--data-dir", shared, "--listen",
                                        "tcp://127.0.0.1:*", "--allow-shared-data-dir"],
                      os.path.join(c.dir, "broker-shared.log"))
        c.processes.append(p)
        p.start()
        # sieve run on a shared --data-dir.
        shared_run = os.path.join(c.dir, "run-shared")
        os.mkdir(shared_run)
        os.chmod(shared_run, 0o770)
        r = subprocess.run([h.exe("sieve"), "run", self.input, "--endpoint", self.endpoint.url,
                            "-o", os.path.join(c.dir, "never.csv"), "--data-dir", shared_run],
                           capture_output=True, timeout=60)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(f"chmod 700 {shared_run}".encode(), r.stderr)
        # A secrets file others can read.
        loose = os.path.join(c.dir, "loose-secrets")
        with open(loose, "w") as f:
            f.write(f"model={WORKER_KEY}\n")
        os.chmod(loose, 0o644)
        r = subprocess.run([h.exe("sieve-worker"), "--broker", "tcp://127.0.0.1:9",
                            "--secrets-file", loose], capture_output=True, timeout=30)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(f"chmod 600 {loose}".encode(), r.stderr)
        self.assertNotIn(WORKER_KEY.encode(), r.stdout + r.stderr)

    def test_sieve_run_keeps_its_state_private_and_the_output_follows_the_umask(self):
        c = self.cluster
        os.umask(0o022)
        data = os.path.join(c.dir, "run-data")
        out = os.path.join(c.dir, "run.csv")
        r = subprocess.run([h.exe("sieve"), "run", self.input, "--endpoint", self.endpoint.url,
                            "--header", f"Authorization: Bearer {LITERAL_KEY}", "-o", out,
                            "--data-dir", data], capture_output=True, timeout=180)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertEqual(stat.S_IMODE(os.stat(out).st_mode), 0o644)
        self.assertEqual(self.endpoint.unauthorized, 0)
        for path, is_dir in walk(data):
            mode = stat.S_IMODE(os.lstat(path).st_mode)
            self.assertEqual(mode, 0o700 if is_dir else 0o600, f"{path}: {mode:04o}")
            if not is_dir:
                self.assertNotIn(LITERAL_KEY.encode(), read_all(path), path)


if __name__ == "__main__":
    unittest.main()
