"""Validates deploy/k8s/: every document parses and is a well-formed object, and the objects
agree with each other and with the real programs: selectors match pod labels, Services and
probes name ports that containers expose, SIEVE_* variables are ones the daemons read, addresses
name real Services and ports, the autoscaler's metric is published by the adapter from a series
the broker really exposes."""

import os
import re
import unittest

import yaml

from deploy_lib import (DAEMONS, accepted_by_any, daemon_env_names, daemon_help, deploy_path,
                        metric_has_series)

K8S = "k8s"
HEALTH_PATHS = {"/healthz", "/metrics"}  # what common/metrics_server.cc and the classifier serve


def load_objects():
    """Every Kubernetes object of the kustomization, in file order."""
    with open(deploy_path(K8S, "kustomization.yaml")) as f:
        kustomization = yaml.safe_load(f)
    objects = []
    for name in kustomization["resources"]:
        with open(deploy_path(K8S, name)) as f:
            objects.extend(d for d in yaml.safe_load_all(f) if d is not None)
    return kustomization, objects


def pod_templates(objects):
    for o in objects:
        if o["kind"] in ("Deployment", "StatefulSet"):
            yield o, o["spec"]["template"]


def containers(objects):
    for workload, template in pod_templates(objects):
        for c in template["spec"]["containers"]:
            yield workload, c


def subset(small, big):
    return all(big.get(k) == v for k, v in small.items())


class KubernetesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.kustomization, cls.objects = load_objects()
        cls.by_kind = {}
        for o in cls.objects:
            cls.by_kind.setdefault(o["kind"], {})[o["metadata"]["name"]] = o

    def test_kustomization_lists_every_manifest(self):
        listed = set(self.kustomization["resources"])
        on_disk = {n for n in os.listdir(os.path.dirname(deploy_path(K8S, "kustomization.yaml")))
                   if n.endswith(".yaml")}
        helm_values = {"kustomization.yaml", "prometheus-adapter-values.yaml"}
        self.assertEqual(listed, on_disk - helm_values)
        image_names = {i["name"] for i in self.kustomization["images"]}
        for _, c in containers(self.objects):
            self.assertIn(c["image"], image_names, c["name"])

    def test_objects_are_well_formed(self):
        for o in self.objects:
            for field in ("apiVersion", "kind", "metadata"):
                self.assertIn(field, o)
            self.assertTrue(re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", o["metadata"]["name"]))
            self.assertEqual(o["metadata"].get("labels", {}).get("app.kubernetes.io/part-of"),
                             "sieve", o["metadata"]["name"])

    def test_selectors_match_pod_labels(self):
        for workload, template in pod_templates(self.objects):
            self.assertTrue(subset(workload["spec"]["selector"]["matchLabels"],
                                   template["metadata"]["labels"]), workload["metadata"]["name"])
        for service in self.by_kind["Service"].values():
            pods = [t for _, t in pod_templates(self.objects)
                    if subset(service["spec"]["selector"], t["metadata"]["labels"])]
            self.assertEqual(len(pods), 1, service["metadata"]["name"])
            exposed = {p["containerPort"]: p.get("name") for c in pods[0]["spec"]["containers"]
                       for p in c.get("ports", [])}
            for port in service["spec"]["ports"]:
                target = port.get("targetPort", port["port"])
                self.assertIn(target, set(exposed) | set(exposed.values()),
                              f"{service['metadata']['name']}: port {port}")
                self.assertEqual(exposed.get(port["port"]), port["name"])

    def test_statefulsets_keep_state_on_claimed_volumes(self):
        services = self.by_kind["Service"]
        for name, sts in self.by_kind["StatefulSet"].items():
            self.assertIn(sts["spec"]["serviceName"], services, name)
            claims = {t["metadata"]["name"] for t in sts["spec"]["volumeClaimTemplates"]}
            (c,) = sts["spec"]["template"]["spec"]["containers"]
            mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
            self.assertTrue(claims <= set(mounts), name)
            env = {e["name"]: e.get("value") for e in c.get("env", [])}
            # The data dir is the claimed volume or a directory right under it (the daemon
            # makes it 0700 there: a volume's root is group-writable under fsGroup).
            self.assertIn(os.path.dirname(env["SIEVE_DATA_DIR"]) if env["SIEVE_DATA_DIR"] not in
                          mounts.values() else env["SIEVE_DATA_DIR"],
                          [mounts[n] for n in claims], name)
            self.assertEqual(sts["spec"]["replicas"], 1, f"{name} owns its state: one replica")

    def test_containers_run_sieve_with_variables_it_reads(self):
        config_maps = self.by_kind["ConfigMap"]
        for workload, c in containers(self.objects):
            program = c["command"][0]
            self.assertIn(program, DAEMONS, c["name"])
            for e in c.get("env", []):
                if (program == "sieve-worker" and e["name"].startswith("SIEVE_SECRET_")
                        and "SIEVE_SECRET_" in daemon_help(program)):
                    continue  # a ${secret:NAME} value: the worker reads SIEVE_SECRET_<NAME>
                self.assertIn(e["name"], daemon_env_names(program), f"{c['name']}: {e['name']}")
            for source in c.get("envFrom", []):
                self.assertIn(source["configMapRef"]["name"], config_maps)
        for name, cm in config_maps.items():
            users = [c["command"][0] for _, c in containers(self.objects)
                     if any(s["configMapRef"]["name"] == name for s in c.get("envFrom", []))]
            for key in cm["data"]:
                self.assertTrue(accepted_by_any(key, users), f"ConfigMap {name}: {key} unread")

    def test_addresses_name_services_and_container_ports(self):
        services = self.by_kind["Service"]
        env_values = [e["value"] for _, c in containers(self.objects) for e in c.get("env", [])
                      if "value" in e]
        env_values += [v for cm in self.by_kind["ConfigMap"].values() for v in cm["data"].values()]
        for value in env_values:
            m = re.fullmatch(r"tcp://([a-z0-9-]+):(\d+)", str(value))
            if not m or m.group(1) == "0.0.0.0":
                continue
            self.assertIn(m.group(1), services, value)
            self.assertIn(int(m.group(2)), [p["port"] for p in services[m.group(1)]["spec"]["ports"]])
        for _, c in containers(self.objects):
            ports = {p["containerPort"] for p in c.get("ports", [])}
            binds = [e["value"] for e in c.get("env", []) if str(e.get("value", "")).count("0.0.0.0")]
            binds += [a for a in c["command"] if "0.0.0.0" in a]
            for bind in binds:
                self.assertIn(int(bind.rsplit(":", 1)[1]), ports, f"{c['name']} binds {bind}")

    def test_probes_hit_health_endpoints_on_exposed_ports(self):
        for _, c in containers(self.objects):
            names = {p["name"] for p in c["ports"]}
            for probe in ("readinessProbe", "livenessProbe"):
                get = c[probe]["httpGet"]
                self.assertIn(get["path"], HEALTH_PATHS, c["name"])
                self.assertIn(get["port"], names, c["name"])

    def test_service_monitor_scrapes_named_ports(self):
        (monitor,) = self.by_kind["ServiceMonitor"].values()
        selected = [s for s in self.by_kind["Service"].values()
                    if subset(monitor["spec"]["selector"]["matchLabels"], s["metadata"]["labels"])]
        port_names = {p["name"] for s in selected for p in s["spec"]["ports"]}
        for endpoint in monitor["spec"]["endpoints"]:
            self.assertIn(endpoint["port"], port_names)
            self.assertEqual(endpoint["path"], "/metrics")
        scraped = {s["metadata"]["name"] for s in selected
                   if {p["name"] for p in s["spec"]["ports"]} & {e["port"] for e in
                                                                  monitor["spec"]["endpoints"]}}
        self.assertEqual(scraped, set(self.by_kind["Service"]))

    def test_autoscaler_follows_the_brokers_queue_depth(self):
        (hpa,) = self.by_kind["HorizontalPodAutoscaler"].values()
        target = hpa["spec"]["scaleTargetRef"]
        self.assertIn(target["name"], self.by_kind[target["kind"]])
        (metric,) = hpa["spec"]["metrics"]
        with open(deploy_path(K8S, "prometheus-adapter-values.yaml")) as f:
            adapter = yaml.safe_load(f)
        published = {r["name"]["as"]: r for r in adapter["rules"]["external"]}
        rule = published[metric["external"]["metric"]["name"]]
        series = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)", rule["seriesQuery"]).group(1)
        self.assertIn(series, rule["metricsQuery"])
        states = re.search(r'state=~"([^"]+)"', rule["metricsQuery"]).group(1).split("|")
        for state in states:
            self.assertTrue(metric_has_series(series, state=state), f"{series}{{state={state}}}")
