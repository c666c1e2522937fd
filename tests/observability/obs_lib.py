"""Shared pieces of the observability tests (stdlib only).

- PromQL and exposition parsing: the metric names a PromQL expression reads, the sample names
  a /metrics page exposes, so a test can tell a dashboard or alert that names a metric no
  component exports.
- The deploy files: deploy/prometheus/prometheus.yml adapted to a test's ports, the Grafana
  dashboard's expressions.
- A real Prometheus server (Debian package `prometheus`) on loopback, run as a harness Process
  so the Cluster kills it with everything else, and a client for its HTTP API.
"""

import datetime
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))

from sieve_harness import SOURCE_DIR, Process  # noqa: E402

PROMETHEUS_DIR = os.path.join(SOURCE_DIR, "deploy", "prometheus")
PROMETHEUS_YML = os.path.join(PROMETHEUS_DIR, "prometheus.yml")
ALERTS_YML = os.path.join(PROMETHEUS_DIR, "alerts.yml")
ALERTS_TEST_YML = os.path.join(PROMETHEUS_DIR, "alerts_test.yml")
GRAFANA_DIR = os.path.join(SOURCE_DIR, "deploy", "grafana")
DASHBOARD_JSON = os.path.join(GRAFANA_DIR, "sieve-dashboard.json")

# Identifiers in PromQL that are not metric names.
_PROMQL_KEYWORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left",
                    "group_right", "offset", "bool", "inf", "nan", "atan2"}


def promql_metric_names(expr):
    """The metric names `expr` selects. Drops strings, label matchers ({...}), range and
    subquery brackets ([...]), grouping label lists (by/on/... (...)) and function names."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', '""', expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for m in re.finditer(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?", text):
        name, call = m.group(1), m.group(2)
        if call or name.lower() in _PROMQL_KEYWORDS:
            continue
        names.add(name)
    return names


def exposition_names(text):
    """Every sample name a Prometheus text exposition holds, and for each `# TYPE` family the
    names its samples take (histogram: _bucket, _sum, _count), so a family with no series yet
    (a per-job gauge between jobs) still counts as existing."""
    names = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, family, kind = line.split(" ", 3)
            if kind == "histogram":
                names.update({family + "_bucket", family + "_sum", family + "_count"})
            elif kind == "summary":
                names.update({family, family + "_sum", family + "_count"})
            else:
                names.add(family)
        elif line and not line.startswith("#"):
            names.add(re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0))
    return names


def dashboard_panels(path=DASHBOARD_JSON):
    with open(path, encoding="utf-8") as f:
        return json.load(f)["panels"]


def dashboard_exprs(path=DASHBOARD_JSON):
    """[(panel title, expr)] for every query of the dashboard."""
    return [(p.get("title", "?"), t["expr"]) for p in dashboard_panels(path)
            for t in p.get("targets", [])]


# -- prometheus.yml adapted to a test ---------------------------------------------------------
def adapt_prometheus_yml(targets, interval="1s", source=PROMETHEUS_YML):
    """The text of deploy/prometheus/prometheus.yml with every scrape job's targets replaced by
    targets[job_name] (a list of "HOST:PORT") and the scrape and evaluation intervals set to
    `interval`. Raises ValueError when the file has a job `targets` does not name, or lacks one
    it names, so a renamed job or a new component cannot slip past the test."""
    with open(source, encoding="utf-8") as f:
        lines = f.read().splitlines()
    out, seen, job = [], set(), None
    for line in lines:
        m = re.match(r"\s*- job_name:\s*(\S+)", line)
        if m:
            job = m.group(1).strip("'\"")
            if job not in targets:
                raise ValueError(f"{source}: job {job} has no test target")
            seen.add(job)
        m = re.match(r"(\s*)- targets:", line)
        if m and job is not None:
            line = f"{m.group(1)}- targets: {json.dumps(targets[job])}"
            job = None
        line = re.sub(r"^(\s*(?:scrape|evaluation)_interval:).*", rf"\1 {interval}", line)
        out.append(line)
    if seen != set(targets):
        raise ValueError(f"{source}: scrape jobs {sorted(seen)} != {sorted(targets)}")
    return "\n".join(out) + "\n"


def rfc3339_seconds(text):
    """Seconds since the epoch of an RFC 3339 time as Prometheus's API writes it
    ("2026-12-03T08:20:01.123456789Z", nanoseconds and all)."""
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)", text)
    if not m:
        raise ValueError(f"not an RFC 3339 time: {text!r}")
    zone = "+00:00" if m.group(3) == "Z" else m.group(3)
    whole = datetime.datetime.fromisoformat(m.group(1) + zone).timestamp()
    return whole + float(m.group(2) or 0)


def free_port():
    """A TCP port free on 127.0.0.1 now (the caller binds it soon after)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=10):
    """(status, body bytes) of a GET; HTTP errors are returned, not raised."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


class ExpositionSampler:
    """Context manager: while open, a thread fetches /metrics from every address every
    `period` seconds and collects the exposition_names of all answers into `names`."""

    def __init__(self, addresses, period=0.1):
        self.addresses = addresses
        self.period = period
        self.names = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            for address in self.addresses:
                try:
                    status, body = http_get(f"http://{address}/metrics", timeout=2)
                except OSError:
                    continue
                if status == 200:
                    self.names |= exposition_names(body.decode())
            self._stop.wait(self.period)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def promtool(*args, stdin=None):
    """Runs promtool; returns the CompletedProcess (text)."""
    return subprocess.run(["promtool", *args], input=stdin, capture_output=True, text=True,
                          timeout=120)


class Prometheus:
    """A real Prometheus server on 127.0.0.1, its config and TSDB in `directory`, started as a
    harness Process (registered with `cluster` so cluster.close() kills it)."""

    def __init__(self, cluster, config_text, alerts=ALERTS_YML):
        self.dir = os.path.join(cluster.dir, "prometheus")
        os.makedirs(self.dir, exist_ok=True)
        self.config = os.path.join(self.dir, "prometheus.yml")
        with open(self.config, "w", encoding="utf-8") as f:
            f.write(config_text)
        shutil.copy(alerts, os.path.join(self.dir, os.path.basename(alerts)))
        self.cluster = cluster
        self.url = None

    def start(self, timeout=30):
        binary = shutil.which("prometheus")
        if binary is None:
            raise RuntimeError("prometheus not installed (scripts/install-deps.sh)")
        for _ in range(3):  # free_port() can race with another process
            port = free_port()
            proc = Process("prometheus", [
                binary, f"--config.file={self.config}",
                f"--storage.tsdb.path={os.path.join(self.dir, 'data')}",
                f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
                os.path.join(self.cluster.dir, "prometheus.log"))
            self.cluster.processes.append(proc)
            proc.start(wait_listening=False)
            self.url = f"http://127.0.0.1:{port}"
            deadline = time.time() + timeout
            while time.time() < deadline and proc.alive():
                try:
                    if http_get(self.url + "/-/ready", timeout=2)[0] == 200:
                        return self
                except OSError:
                    pass
                time.sleep(0.2)
            proc.kill()
        raise RuntimeError(f"prometheus did not start: {proc.log_tail()}")

    def api(self, path, **params):
        """The `data` of a Prometheus HTTP API answer; raises on an error answer."""
        url = f"{self.url}/api/v1/{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        status, body = http_get(url)
        answer = json.loads(body)
        if status != 200 or answer.get("status") != "success":
            raise RuntimeError(f"GET {url}: {status} {answer}")
        return answer["data"]

    def query(self, expr):
        """The instant vector `expr` evaluates to now: [(labels dict, float value)]."""
        data = self.api("query", query=expr)
        if data["resultType"] == "scalar":
            return [({}, float(data["result"][1]))]
        return [(r["metric"], float(r["value"][1])) for r in data["result"]]

    def wait_for(self, expr, predicate, timeout=30):
        """Polls `expr` until predicate(result) holds; returns the result or raises
        TimeoutError with the last one."""
        deadline = time.time() + timeout
        result = None
        while time.time() < deadline:
            result = self.query(expr)
            if predicate(result):
                return result
            time.sleep(0.5)
        raise TimeoutError(f"{expr}: last result {result}")
