"""Validates the monitoring files deploy/ ships (deploy/prometheus/, deploy/grafana/ and the
compose copy of the Prometheus config) as far as the deployment paths rely on them: promtool
accepts the configs and rules, the dashboard is JSON that queries through a data-source variable
(so it works with any provisioned Prometheus), provisioning files are Grafana's apiVersion 1.
Metric-level checks of the dashboard and alerts belong to the observability tests."""

import glob
import json
import os
import shutil
import subprocess
import unittest

import yaml

from deploy_lib import DEPLOY_DIR, deploy_path


def subprocess_in(cwd, *args):
    r = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120)
    return r.returncode, r.stdout + r.stderr


def promtool(*args):
    return subprocess_in(None, "promtool", "check", *args)


@unittest.skipIf(shutil.which("promtool") is None, "promtool not installed (package prometheus)")
class PromtoolTest(unittest.TestCase):
    def test_standalone_config_and_its_rules(self):
        code, out = promtool("config", deploy_path("prometheus", "prometheus.yml"))
        self.assertEqual(code, 0, out)
        for path in glob.glob(os.path.join(DEPLOY_DIR, "prometheus", "*.yml")):
            name = os.path.basename(path)
            if name == "prometheus.yml":
                continue
            # *_test.yml: promtool unit tests of the rules; the others: rule files.
            if name.endswith("_test.yml"):
                code, out = subprocess_in(os.path.dirname(path), "promtool", "test", "rules", name)
            else:
                code, out = promtool("rules", path)
            deploy_path("prometheus", name)
            self.assertEqual(code, 0, out)

    def test_compose_config_syntax(self):
        # Its rule_files are container paths; check_docker resolves them through the mounts.
        code, out = promtool("config", "--syntax-only", deploy_path("docker", "prometheus.yml"))
        self.assertEqual(code, 0, out)


class GrafanaTest(unittest.TestCase):
    def test_dashboards_query_through_a_datasource_variable(self):
        for path in glob.glob(os.path.join(DEPLOY_DIR, "grafana", "*.json")):
            with open(deploy_path("grafana", os.path.basename(path))) as f:
                dashboard = json.load(f)
            variables = {v["name"] for v in dashboard["templating"]["list"]
                         if v["type"] == "datasource"}
            self.assertTrue(dashboard["panels"], path)
            for panel in dashboard["panels"]:
                for target in panel.get("targets", []):
                    self.assertTrue(target.get("expr"), f"{path}: panel {panel['title']}")
                uid = panel.get("datasource", {}).get("uid", "")
                if panel["type"] != "row":
                    self.assertIn(uid.strip("${}"), variables, f"{path}: {panel['title']}")

    def test_provisioning_files(self):
        for path in glob.glob(os.path.join(DEPLOY_DIR, "grafana", "provisioning-*.yml")):
            with open(deploy_path("grafana", os.path.basename(path))) as f:
                provisioning = yaml.safe_load(f)
            self.assertEqual(provisioning["apiVersion"], 1, path)
            self.assertTrue(provisioning.get("providers") or provisioning.get("datasources"), path)
