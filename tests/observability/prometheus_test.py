"""Observability end to end: a real cluster (classifier, broker, collector, two workers, every
daemon with --metrics and JSON logs) scraped by a real Prometheus server (Debian package
`prometheus`) running deploy/prometheus/prometheus.yml and alerts.yml adapted to the test's
ports, with a 1 s scrape interval. One job of 3,000 rows runs through it; then the tests ask
Prometheus's HTTP API for the rows counted and the workers up, check every component's /metrics
with `promtool check metrics`, check that each metric the Grafana dashboard and the alert rules
name is exported by some component, read the broker's JSON status API and parse the logs.

One cluster serves every test (setUpClass); the whole file runs in about 20-40 s.
"""

import json
import os
import re
import sys
import time
import unittest

import obs_lib
from obs_lib import Prometheus, http_get
from sieve_harness import Cluster, check_output, generate_csv

ROWS = 3000
CHUNK_ROWS = 200
METRICS = ("--metrics", "127.0.0.1:0")
JSON_LOGS = ("--log-format", "json")
# The fields docs/observability.md lists for a job and a worker in the status API.
JOB_STATUS_FIELDS = {"job_id", "name", "state", "total_rows", "done_rows", "error_rows",
                     "chunks_total", "chunks_queued", "chunks_leased", "chunks_done",
                     "chunks_failed", "created_unix_ms", "finished_unix_ms", "output_path",
                     "collector", "waiting_for", "message", "tokens", "cached_rows"}
WORKER_STATUS_FIELDS = {"name", "address", "credit", "leases", "last_heartbeat_age_ms",
                        "rows_done", "in_flight"}


class PrometheusTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = c = Cluster("observability")
        try:
            cls._start(c)
        except BaseException:
            print(c.logs(), file=sys.stderr)
            c.close(keep=True)
            raise

    @classmethod
    def _start(cls, c):
        # 5 % of requests answer 500, so retries and the 5xx class show up; the classifier
        # keeps the default text log format (checked below).
        c.start_classifier(*METRICS, "--fail-rate", "0.05", "--seed", "11")
        c.start_broker("tcp://127.0.0.1:*", *METRICS, *JSON_LOGS)
        c.start_collector(*METRICS, *JSON_LOGS)
        for _ in range(2):
            c.start_worker(*METRICS, *JSON_LOGS, "--log-level", "debug").wait_metrics()
        cls.targets = {
            "sieve-broker": [c.broker.metrics],
            "sieve-collector": [c.collector.metrics],
            "sieve-worker": [w.metrics for w in c.workers],
            "sieve-classifier": [c.classifier.metrics],
        }
        cls.prometheus = Prometheus(c, obs_lib.adapt_prometheus_yml(cls.targets)).start()
        cls.prometheus.wait_for('up{job=~"sieve-.*"} == 1', lambda r: len(r) == 5)
        cls.input = generate_csv(os.path.join(c.dir, "in.csv"), ROWS, seed=5)
        cls.output = os.path.join(c.dir, "out.csv")
        # Families with no series (the per-job gauges before and after a job) are not in
        # /metrics, so the names are sampled while the job runs as well as after it.
        with obs_lib.ExpositionSampler(cls.all_addresses()) as sampler:
            # 8 retries: with 4 attempts a row fails all of them with probability 0.05^4, about
            # 2 % per run of 3,000 rows (seen once in CI); with 9 attempts it is ~6e-9.
            # A rate limit far above what this cluster sends, so the broker's per-key quota
            # series (dashboard, SieveRateLimitKeyMostlyPaused) exist without slowing the job.
            cls.job = c.submit([cls.input], "--chunk-rows", str(CHUNK_ROWS), "--retries", "8",
                               "--rate", "60000/min", "--limit-key", "observability")
            c.sieve("wait", cls.job, "-o", cls.output, timeout=120)
        cls.job_done_at = time.time()
        cls.sampled_names = sampler.names

    @classmethod
    def all_addresses(cls):
        return [address for addresses in cls.targets.values() for address in addresses]

    @classmethod
    def tearDownClass(cls):
        cls.cluster.close()

    def metrics_text(self, address):
        status, body = http_get(f"http://{address}/metrics")
        self.assertEqual(status, 200)
        return body.decode()

    def all_metrics(self):
        return {f"{job} {address}": self.metrics_text(address)
                for job, addresses in self.targets.items() for address in addresses}

    # -- Prometheus sees the job ---------------------------------------------------------
    def test_job_output_is_complete(self):
        check_output([self.input], self.output)

    def test_prometheus_counts_the_jobs_rows(self):
        p = self.prometheus
        exact = lambda want: (lambda r: len(r) == 1 and r[0][1] == want)  # noqa: E731
        p.wait_for("sum(sieve_broker_rows_committed_total)", exact(ROWS))
        p.wait_for("sum(sieve_collector_rows_written_total)", exact(ROWS))
        p.wait_for("sum(sieve_broker_chunks_committed_total)", exact(ROWS // CHUNK_ROWS))
        p.wait_for("sum(sieve_collector_chunks_committed_total)", exact(ROWS // CHUNK_ROWS))
        # Workers count every labelling (a redelivered chunk twice), so at least ROWS.
        p.wait_for("sum(sieve_worker_rows_total)", lambda r: r and r[0][1] >= ROWS)
        ok = p.query('sum(sieve_worker_rows_total{outcome="ok"})')
        self.assertGreater(ok[0][1], 0.9 * ROWS)

    def test_prometheus_sees_the_workers_up(self):
        p = self.prometheus
        up = p.wait_for('up{job="sieve-worker"} == 1', lambda r: len(r) == 2)
        self.assertEqual({labels["instance"] for labels, _ in up},
                         set(self.targets["sieve-worker"]))
        p.wait_for("sieve_broker_workers_connected", lambda r: r and r[0][1] == 2)

    def test_http_metrics_agree_with_each_other(self):
        p = self.prometheus
        p.wait_for("sum(sieve_worker_rows_total)", lambda r: r and r[0][1] >= ROWS)
        # One chunk's counts land in several families one after the other, so a scrape may
        # fall between them; after the job every scrape agrees.
        zero = lambda r: len(r) == 1 and r[0][1] == 0  # noqa: E731
        p.wait_for("sum(sieve_worker_request_duration_seconds_count)"
                   " - sum(sieve_worker_http_requests_total)", zero)
        p.wait_for('sum(sieve_worker_http_requests_total{class="2xx"})'
                   ' - sum(sieve_worker_rows_total{outcome="ok"})', zero)
        self.assertGreater(p.query('sum(sieve_worker_http_requests_total{class="5xx"})')[0][1], 0)
        self.assertGreater(p.query("sum(sieve_worker_retries_total)")[0][1], 0)
        # Both ends count the same requests: every 500 the classifier sent reached a worker as
        # a 5xx, and every text it classified a worker got as a 2xx (its requests_total also
        # counts the scrapes of /metrics, so the 200s cannot be compared).
        self.assertGreater(p.query('sum(sieve_classifier_requests_total{code="500"})')[0][1], 0)
        p.wait_for('sum(sieve_classifier_requests_total{code="500"})'
                   ' - sum(sieve_worker_http_requests_total{class="5xx"})', zero)
        p.wait_for("sum(sieve_classifier_texts_classified_total)"
                   ' - sum(sieve_worker_http_requests_total{class="2xx"})', zero)

    def test_no_alert_fires_or_pends_on_a_healthy_cluster(self):
        # Most rules need minutes of a condition to fire, and the cluster lives ~30 s: a rule
        # tripped by a healthy run shows as pending, never firing. So no alert may have been
        # pending or firing at any evaluation of the run (ALERTS is stored for both states),
        # counting only once every rule has been evaluated after the job ended.
        deadline = time.time() + 30
        while True:
            groups = self.prometheus.api("rules")["groups"]
            rules = [r for g in groups for r in g["rules"]]
            evaluated = [obs_lib.rfc3339_seconds(r["lastEvaluation"]) for r in rules]
            if min(evaluated) > self.job_done_at or time.time() > deadline:
                break
            time.sleep(0.5)
        self.assertGreater(min(evaluated), self.job_done_at, "rules not evaluated since the job")
        self.assertGreaterEqual(len(rules), 6)
        for rule in rules:
            self.assertEqual(rule["health"], "ok", rule)
        self.assertEqual(self.prometheus.query("count_over_time(ALERTS[15m])"), [])

    # -- metric names ----------------------------------------------------------------------
    def test_names_and_labels_follow_the_conventions(self):
        # docs/observability.md: every name starts with sieve_<component>_, and no label names
        # a row, a chunk or a worker: only the few label names the reference lists appear.
        allowed = {"state", "job_id", "outcome", "class", "code", "handler", "fault", "le",
                   "kind", "key"}
        for job, addresses in self.targets.items():
            prefix = "sieve_" + job.split("-", 1)[1] + "_"
            for address in addresses:
                samples = [line for line in self.metrics_text(address).splitlines()
                           if line and not line.startswith("#")]
                self.assertTrue(samples, address)
                for line in samples:
                    self.assertTrue(line.startswith(prefix), f"{job}: {line}")
                    labels = set(re.findall(r'([a-zA-Z_]\w*)="', line.split("}")[0])) \
                        if "{" in line else set()
                    self.assertLessEqual(labels, allowed, f"{job}: {line}")

    def test_promtool_accepts_every_components_metrics(self):
        for name, text in self.all_metrics().items():
            with self.subTest(component=name):
                r = obs_lib.promtool("check", "metrics", stdin=text)
                self.assertEqual(r.returncode, 0, f"{r.stdout}{r.stderr}")

    def test_dashboard_and_alerts_name_only_exported_metrics(self):
        self.assertIn("sieve_broker_job_done_rows", self.sampled_names,
                      "no /metrics sample caught the job running")
        exported = {"up"} | self.sampled_names
        for text in self.all_metrics().values():
            exported |= obs_lib.exposition_names(text)
        queries = [(f"panel {title}", expr) for title, expr in obs_lib.dashboard_exprs()]
        for group in self.prometheus.api("rules")["groups"]:
            queries += [(f"rule {r['name']}", r["query"]) for r in group["rules"]]
        for where, expr in queries:
            with self.subTest(where=where):
                names = obs_lib.promql_metric_names(expr)
                self.assertTrue(names, expr)
                self.assertEqual(names - exported, set(), f"{where}: {expr}")

    def test_dashboard_queries_evaluate(self):
        for title, expr in obs_lib.dashboard_exprs():
            with self.subTest(panel=title, expr=expr):
                self.prometheus.query(expr)  # raises on a PromQL error

    # -- status API ------------------------------------------------------------------------
    def broker_api(self, path):
        status, body = http_get(f"http://{self.cluster.broker.metrics}{path}")
        return status, json.loads(body) if body.strip().startswith((b"{", b"[")) else body

    def test_status_api_lists_the_job_as_the_cli_does(self):
        status, jobs = self.broker_api("/api/v1/jobs")
        self.assertEqual(status, 200)
        mine = [j for j in jobs if j["job_id"] == self.job]
        self.assertEqual(len(mine), 1, jobs)
        status, one = self.broker_api(f"/api/v1/jobs/{self.job}")
        self.assertEqual(status, 200)
        cli = self.cluster.status(self.job)
        self.assertEqual(set(cli), JOB_STATUS_FIELDS)  # as docs/observability.md lists them
        for job in (mine[0], one):
            self.assertEqual(set(job), set(cli))
            self.assertEqual(job["state"], "done")
            self.assertEqual(job["done_rows"], ROWS)
            self.assertEqual(job["total_rows"], ROWS)

    def test_status_api_refuses_unknown_jobs(self):
        status, answer = self.broker_api("/api/v1/jobs/j0000000000000000")
        self.assertEqual(status, 404)
        self.assertIn("j0000000000000000", answer["error"])
        self.assertEqual(self.broker_api("/api/v1/jobs/not-a-job")[0], 404)

    def test_status_api_lists_the_workers(self):
        status, workers = self.broker_api("/api/v1/workers")
        self.assertEqual(status, 200)
        self.assertEqual({w["name"] for w in workers}, {"worker1", "worker2"})
        cli = json.loads(self.cluster.sieve("workers", "--json").stdout)
        self.assertEqual({w["name"] for w in cli}, {w["name"] for w in workers})
        self.assertEqual(set(cli[0]), set(workers[0]))
        self.assertEqual(set(cli[0]), WORKER_STATUS_FIELDS)

    def test_healthz(self):
        for address in self.all_addresses():  # every daemon's --metrics address
            with self.subTest(address=address):
                self.assertEqual(http_get(f"http://{address}/healthz"), (200, b"ok\n"))

    # -- logs ------------------------------------------------------------------------------
    def json_log(self, process):
        lines = []
        with open(process.log_path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if line.strip():
                    entry = json.loads(line)  # every line is one JSON object
                    self.assertIsInstance(entry, dict, f"{process.name} line {n}")
                    self.assertTrue({"time", "level", "logger", "msg"} <= set(entry), entry)
                    lines.append(entry)
        return lines

    def test_json_logs_parse_and_carry_job_and_chunk_ids(self):
        daemons = [self.cluster.broker, self.cluster.collector, *self.cluster.workers]
        with_chunk = 0
        for process in daemons:
            with self.subTest(daemon=process.name):
                lines = self.json_log(process)
                self.assertTrue(lines)
                naming_job = [e for e in lines if f"job {self.job}" in e["msg"]]
                for entry in naming_job:
                    self.assertEqual(entry.get("job"), self.job, entry)
                for entry in lines:
                    if "chunk" in entry:
                        self.assertIsInstance(entry["chunk"], int)
                        self.assertIn(f"chunk {entry['chunk']}", entry["msg"])
                        with_chunk += 1
        self.assertTrue([e for e in self.json_log(self.cluster.broker)
                         if e.get("job") == self.job], "the broker logs the job")
        self.assertGreater(with_chunk, 0, "debug worker logs name chunks")

    def test_text_logs_are_the_default(self):
        with open(self.cluster.classifier.log_path, encoding="utf-8") as f:
            first = f.readline()
        self.assertRegex(first, r"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] \[sieve-classifier\] ")


if __name__ == "__main__":
    unittest.main()
