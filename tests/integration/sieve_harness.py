"""Test harness: starts the real Sieve executables on loopback and checks their output.

Every process a test starts is registered with a Cluster and killed (SIGKILL, then waited
for) when the test ends, whatever happened. Ports are picked by the processes themselves
(port 0 / '*') and read back from the "listening on ..." line each daemon prints, so tests
running in parallel never clash. Restarted daemons reuse the port they had.

Environment: SIEVE_BIN_DIR names the build directory holding the executables (CTest sets it).
"""

import csv
import json
import os
import random
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
import urllib.request

BIN_DIR = os.environ.get("SIEVE_BIN_DIR", "")
SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def get_json(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


def metric_sum(address, name, labels=""):
    """The sum of the samples of metric `name` in http://ADDRESS/metrics (a classifier, a
    worker, ...) whose label set contains the text `labels` (e.g. 'code="429"')."""
    with urllib.request.urlopen(f"http://{address}/metrics", timeout=10) as r:
        text = r.read().decode()
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if re.match(re.escape(name) + r"(\{|\s)", line) and labels in line)


def exe(name):
    for sub in ("client", "broker", "collector", "worker", "classifier", ""):
        path = os.path.join(BIN_DIR, sub, name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    raise FileNotFoundError(f"{name} not found under SIEVE_BIN_DIR={BIN_DIR!r}")


class Process:
    """A started daemon: its Popen, its command line and its log file."""

    def __init__(self, name, args, log_path, env=None):
        self.name = name
        self.args = args
        self.log_path = log_path
        self.env = env
        self.popen = None
        self.endpoint = None
        self.metrics = None  # "HOST:PORT" from a "metrics on ..." line (--metrics)

    def start(self, wait_listening=True, timeout=20):
        log = open(self.log_path, "ab")
        self.popen = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=log,
                                      env=self.env, start_new_session=True)
        log.close()
        if wait_listening:
            deadline = time.time() + timeout
            line = b""
            while time.time() < deadline:
                line = self.popen.stdout.readline()
                if line.startswith(b"metrics on "):
                    self.metrics = line.decode().split("metrics on ", 1)[1].strip()
                if line.startswith(b"listening on "):
                    self.endpoint = line.decode().split("listening on ", 1)[1].strip()
                    return self
                if not line and self.popen.poll() is not None:
                    break
            raise RuntimeError(f"{self.name} did not start: {self.log_tail()}")
        return self

    def wait_metrics(self, timeout=20):
        """For a daemon started with --metrics HOST:0 that prints no "listening on" line (the
        worker): reads stdout up to its "metrics on HOST:PORT" line. Returns HOST:PORT."""
        deadline = time.time() + timeout
        while self.metrics is None and time.time() < deadline:
            line = self.popen.stdout.readline()
            if line.startswith(b"metrics on "):
                self.metrics = line.decode().split("metrics on ", 1)[1].strip()
            elif not line and self.popen.poll() is not None:
                break
        if self.metrics is None:
            raise RuntimeError(f"{self.name} printed no metrics address: {self.log_tail()}")
        return self.metrics

    def signal(self, sig):
        if self.popen and self.popen.poll() is None:
            os.kill(self.popen.pid, sig)

    def kill(self):
        if self.popen and self.popen.poll() is None:
            self.popen.kill()
        if self.popen:
            self.popen.wait(timeout=30)
            if self.popen.stdout:
                self.popen.stdout.close()

    def wait(self, timeout):
        return self.popen.wait(timeout=timeout)

    def alive(self):
        return self.popen is not None and self.popen.poll() is None

    def log_tail(self, n=4000):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-n:].decode(errors="replace")
        except OSError:
            return ""


class Cluster:
    """A classifier, a broker, a collector and workers, each a real process."""

    def __init__(self, name="cluster"):
        self.dir = tempfile.mkdtemp(prefix=f"sieve-{name}-")
        self.processes = []
        self.classifier = None
        self.broker = None
        self.collector = None
        self.workers = []

    # -- lifecycle -------------------------------------------------------------------
    def wrap(self, name, args):
        """The command line that runs `args` for the process `name` ('client' for the CLI).
        Subclasses override it to run processes elsewhere (another network namespace)."""
        return args

    def _process(self, name, args):
        p = Process(name, self.wrap(name, args), os.path.join(self.dir, name + ".log"))
        self.processes.append(p)
        return p

    def start_classifier(self, *flags, listen="127.0.0.1:0"):
        if self.classifier is not None:
            listen = self.classifier.endpoint  # a restart keeps its port
        # One thread per connection: at least the workers' summed --concurrency (4 x 64), or
        # the extra connections queue and their requests can time out (docs/classifier.md).
        self.classifier = self._process(
            "classifier", [exe("sieve-classifier"), "--listen", listen, "--threads", "256",
                           *flags]).start()
        return self.classifier

    @property
    def endpoint(self):
        return f"http://{self.classifier.endpoint}/classify"

    def start_broker(self, listen="tcp://127.0.0.1:*", *flags):
        if self.broker is not None:
            listen = self.broker.endpoint  # a restart keeps its port
        self.broker = self._process("broker", [exe("sieve-broker"), "--listen", listen,
                                               "--data-dir", os.path.join(self.dir, "broker"),
                                               *flags]).start()
        return self.broker

    def start_collector(self, *flags, listen="tcp://127.0.0.1:*", broker=None):
        if self.collector is not None:
            listen = self.collector.endpoint  # a restart keeps its port
        self.collector = self._process(
            "collector", [exe("sieve-collector"), "--broker", broker or self.broker.endpoint,
                          "--listen",
                          listen, "--data-dir", os.path.join(self.dir, "collector"),
                          *flags]).start()
        return self.collector

    def start_worker(self, *flags, broker=None):
        n = len(self.workers) + 1
        w = self._process(f"worker{n}", [exe("sieve-worker"), "--broker",
                                         broker or self.broker.endpoint, "--name", f"worker{n}",
                                         *flags])
        w.start(wait_listening=False)
        self.workers.append(w)
        return w

    def start(self, workers=2, classifier_flags=(), worker_flags=()):
        self.start_classifier(*classifier_flags)
        self.start_broker()
        self.start_collector()
        for _ in range(workers):
            self.start_worker(*worker_flags)
        return self

    def close(self, keep=False):
        for p in self.processes:
            p.kill()
        if not keep:
            shutil.rmtree(self.dir, ignore_errors=True)

    def logs(self):
        return "\n".join(f"--- {p.name}\n{p.log_tail()}" for p in self.processes)

    # -- client ----------------------------------------------------------------------
    def sieve(self, *args, timeout=300, check=True):
        cmd = self.wrap("client", [exe("sieve"), *args])
        env = dict(os.environ, SIEVE_BROKER=self.broker.endpoint)
        r = subprocess.run(cmd, capture_output=True, timeout=timeout, env=env)
        if check and r.returncode != 0:
            raise RuntimeError(f"{cmd} exited {r.returncode}\nstdout: {r.stdout.decode()}\n"
                               f"stderr: {r.stderr.decode()}\n{self.error_reports()}"
                               f"{self.logs()}")
        return r

    def error_reports(self, lines=20):
        """The first lines of every OUTPUT.errors.csv under the cluster's directory: why rows
        failed, for failure messages."""
        text = ""
        for root, _, files in os.walk(self.dir):
            for name in files:
                if name.endswith(".errors.csv"):
                    with open(os.path.join(root, name), errors="replace") as f:
                        head = "".join(f.readline() for _ in range(lines))
                    text += f"--- {name}\n{head}"
        return text

    def submit(self, inputs, *flags):
        r = self.sieve("submit", *inputs, "--endpoint", self.endpoint, *flags)
        return r.stdout.decode().strip().splitlines()[0]

    def status(self, job):
        return json.loads(self.sieve("status", job, "--json").stdout)

    def wait_rows(self, job, rows, timeout=120):
        """Waits until at least `rows` rows of the job are done."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if self.status(job)["done_rows"] >= rows:
                    return
            except RuntimeError:
                pass  # the broker may be restarting
            time.sleep(0.2)
        raise TimeoutError(f"job {job} did not reach {rows} rows\n{self.logs()}")


# -- data ------------------------------------------------------------------------------
WORDS = ("news politics election government ministry health clinic doctor school university "
         "course football league match bank stock market shop cart price software cloud "
         "laptop flight hotel travel movie music concert").split()


def generate_csv(path, rows, seed=1, nasty=True):
    """Writes a website,content CSV with `rows` rows; some fields hold commas, quotes, newlines."""
    rng = random.Random(seed)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["website", "content"])
        for i in range(rows):
            text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 25)))
            if nasty and i % 7 == 0:
                text += ', "quoted" part'
            if nasty and i % 11 == 0:
                text += "\nsecond line é ü 日本"
            w.writerow([f"https://site{i}.example", text])
    return path


def read_csv(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.reader(f))


def classify(endpoint, row, header):
    body = json.dumps(dict(zip(header, row))).encode()
    req = urllib.request.Request(endpoint, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())["label"]


def check_output(inputs, output, endpoint=None, sample=200, label_column="label"):
    """Every input row exactly once, in order, fields unchanged, plus the label column; labels
    match what the endpoint says for a sample of rows (all rows when sample is None)."""
    header = None
    rows = []
    for path in inputs:
        data = read_csv(path)
        if header is None:
            header = data[0]
        assert data[0] == header, f"{path}: header differs"
        rows.extend(data[1:])
    out = read_csv(output)
    assert out[0] == header + [label_column], f"output header {out[0]} != {header}"
    assert len(out) - 1 == len(rows), f"output has {len(out) - 1} rows, input {len(rows)}"
    for i, (a, b) in enumerate(zip(rows, out[1:])):
        assert b[:-1] == a, f"row {i + 1} changed: {a!r} -> {b[:-1]!r}"
        assert b[-1] != "", f"row {i + 1} has no label"
    if endpoint:
        indexes = range(len(rows)) if sample is None else \
            random.Random(7).sample(range(len(rows)), min(sample, len(rows)))
        for i in indexes:
            want = classify(endpoint, rows[i], header)
            assert out[i + 1][-1] == want, f"row {i + 1}: label {out[i + 1][-1]!r}, server says {want!r}"
    return out


class ClusterTestCase(unittest.TestCase):
    """A test with a Cluster of its own (`self.cluster`, its directory `self.dir`), named after
    the test and closed after it; `self.path(name)` is a file in that directory."""

    def setUp(self):
        self.cluster = Cluster(self._testMethodName)
        self.dir = self.cluster.dir

    def tearDown(self):
        self.cluster.close()

    def path(self, name):
        return os.path.join(self.dir, name)
