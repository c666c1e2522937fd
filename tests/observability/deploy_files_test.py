"""The deploy/prometheus and deploy/grafana files, checked without a cluster:
- promtool check config (the file as shipped, and as the e2e test adapts it) and check rules;
- promtool test rules on alerts_test.yml, and again against copies of alerts.yml with one alert
  renamed at a time, which must fail (so every alert has a test that fires it);
- the Grafana dashboard: parses, every panel has a position, a data source bound to the
  dashboard's variable and queries that name at least one metric.
Whether the metrics the dashboard and alerts name exist is checked against real /metrics
output in prometheus_test.py.
"""

import json
import os
import re
import shutil
import tempfile
import unittest

import obs_lib
from obs_lib import ALERTS_TEST_YML, ALERTS_YML, DASHBOARD_JSON, GRAFANA_DIR, PROMETHEUS_YML


def alert_names():
    with open(ALERTS_YML, encoding="utf-8") as f:
        return re.findall(r"^\s*- alert:\s*(\w+)", f.read(), re.M)


class PromtoolTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="sieve-obs-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def assertPromtool(self, *args):
        r = obs_lib.promtool(*args)
        self.assertEqual(r.returncode, 0, f"promtool {' '.join(args)}:\n{r.stdout}{r.stderr}")
        return r

    def test_shipped_config_is_valid(self):
        self.assertPromtool("check", "config", PROMETHEUS_YML)

    def test_adapted_config_is_valid(self):
        jobs = ("sieve-broker", "sieve-collector", "sieve-worker", "sieve-classifier")
        text = obs_lib.adapt_prometheus_yml({j: [f"127.0.0.1:{9000 + i}"]
                                             for i, j in enumerate(jobs)})
        self.assertIn("scrape_interval: 1s", text)
        path = os.path.join(self.tmp, "prometheus.yml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        shutil.copy(ALERTS_YML, self.tmp)
        self.assertPromtool("check", "config", path)

    def test_adaptation_refuses_unknown_jobs(self):
        with self.assertRaises(ValueError):
            obs_lib.adapt_prometheus_yml({"sieve-broker": ["127.0.0.1:1"]})

    def test_rules_are_valid(self):
        r = self.assertPromtool("check", "rules", ALERTS_YML)
        self.assertIn(f"{len(alert_names())} rules found", r.stdout)

    def test_alert_unit_tests_pass(self):
        self.assertPromtool("test", "rules", ALERTS_TEST_YML)

    def test_alert_unit_tests_fail_when_an_alert_is_renamed(self):
        names = alert_names()
        self.assertGreaterEqual(len(names), 6)
        shutil.copy(ALERTS_TEST_YML, self.tmp)
        test_copy = os.path.join(self.tmp, os.path.basename(ALERTS_TEST_YML))
        with open(ALERTS_YML, encoding="utf-8") as f:
            rules = f.read()

        def promtool_test(text):
            with open(os.path.join(self.tmp, "alerts.yml"), "w", encoding="utf-8") as f:
                f.write(text)
            r = obs_lib.promtool("test", "rules", test_copy)
            return r.returncode, r.stdout + r.stderr

        # The unchanged copy passes, so a failure below is the rename's doing, not the copy's.
        code, out = promtool_test(rules)
        self.assertEqual(code, 0, out)
        for name in names:
            with self.subTest(alert=name):
                mutated = re.sub(rf"(- alert:\s*){name}\b", rf"\1{name}Renamed", rules)
                self.assertNotEqual(mutated, rules)
                code, out = promtool_test(mutated)
                self.assertNotEqual(code, 0, f"no test in alerts_test.yml expects {name} to fire")
                # ... and fails as an alert test does: the renamed alert expected, not got.
                self.assertRegex(out, rf"FAILED:\s*alertname: {name},", out)


class MetricNameExtractionTest(unittest.TestCase):
    """The helpers prometheus_test.py uses to tell a dashboard or rule that names a metric no
    component exports."""

    def test_promql_names_skip_functions_labels_and_durations(self):
        expr = ('histogram_quantile(0.99, sum by (le, instance) '
                '(rate(sieve_a_seconds_bucket{class=~"5xx|429", x="up"}[5m]))) > 1e-3 '
                'and on(instance, job_id) sieve_b offset 5m unless ignoring(job) up')
        self.assertEqual(obs_lib.promql_metric_names(expr),
                         {"sieve_a_seconds_bucket", "sieve_b", "up"})

    def test_exposition_names_include_families_without_series(self):
        text = ("# HELP sieve_h_seconds h\n# TYPE sieve_h_seconds histogram\n"
                "# HELP sieve_g g\n# TYPE sieve_g gauge\n"
                "# HELP sieve_c_total c\n# TYPE sieve_c_total counter\n"
                'sieve_c_total{kind="a"} 3\n')
        self.assertEqual(obs_lib.exposition_names(text),
                         {"sieve_h_seconds_bucket", "sieve_h_seconds_sum",
                          "sieve_h_seconds_count", "sieve_g", "sieve_c_total"})
        self.assertNotIn("sieve_h_seconds", obs_lib.exposition_names(text))


class DashboardTest(unittest.TestCase):
    def setUp(self):
        with open(DASHBOARD_JSON, encoding="utf-8") as f:
            self.dashboard = json.load(f)

    def test_has_identity_and_datasource_variable(self):
        self.assertTrue(self.dashboard.get("uid"))
        self.assertTrue(self.dashboard.get("title"))
        variables = {v["name"]: v for v in self.dashboard["templating"]["list"]}
        self.assertEqual(variables["datasource"]["type"], "datasource")
        self.assertEqual(variables["datasource"]["query"], "prometheus")

    def test_panels_are_complete(self):
        panels = self.dashboard["panels"]
        self.assertGreaterEqual(len(panels), 8)
        ids = [p["id"] for p in panels]
        self.assertEqual(len(ids), len(set(ids)), "panel ids repeat")
        for p in panels:
            with self.subTest(panel=p.get("title")):
                self.assertTrue(p.get("title"))
                self.assertTrue({"x", "y", "w", "h"} <= set(p["gridPos"]))
                self.assertEqual(p["datasource"], {"type": "prometheus", "uid": "${datasource}"})
                self.assertTrue(p["targets"])
                ref_ids = [t["refId"] for t in p["targets"]]
                self.assertEqual(len(ref_ids), len(set(ref_ids)), "refIds repeat")
                for t in p["targets"]:
                    names = obs_lib.promql_metric_names(t["expr"])
                    self.assertTrue(names, f"query names no metric: {t['expr']}")
                    for name in names:
                        self.assertTrue(name.startswith("sieve_") or name == "up", name)

    def test_covers_what_the_issue_asks(self):
        exprs = " ".join(e for _, e in obs_lib.dashboard_exprs())
        for metric in ("sieve_broker_job_done_rows", "sieve_worker_rows_total",
                       "sieve_broker_job_queued_chunks", "sieve_broker_workers_connected",
                       "sieve_worker_http_requests_total",
                       "sieve_worker_request_duration_seconds_bucket",
                       "sieve_worker_retries_total", "sieve_collector_reorder_buffer_chunks"):
            self.assertIn(metric, exprs)

    def test_provisioning_points_at_prometheus_and_a_dashboard_directory(self):
        with open(os.path.join(GRAFANA_DIR, "provisioning-datasources.yml")) as f:
            text = f.read()
        self.assertRegex(text, r"type:\s*prometheus")
        with open(os.path.join(GRAFANA_DIR, "provisioning-dashboards.yml")) as f:
            text = f.read()
        self.assertRegex(text, r"type:\s*file")
        self.assertRegex(text, r"path:\s*/\S+")


if __name__ == "__main__":
    unittest.main()
