"""Validates deploy/docker/ without Docker (it does not run on the CI machine): the Dockerfile's
stages, sources and build options exist; the compose file parses, every file or directory it
mounts exists, its services run Sieve programs with SIEVE_* variables they read and addresses
that name other services on the ports those bind; the healthcheck really answers against a
running daemon; Prometheus and Grafana are provisioned with files that exist and point at the
compose services."""

import glob
import os
import re
import subprocess
import unittest

import yaml

from deploy_lib import (PROGRAMS, SOURCE_DIR, Validated, daemon_env_names, deploy_path,
                        running_broker)

SIEVE_IMAGE = "${SIEVE_IMAGE:-sieve:latest}"


def interpolate(value):
    """Compose's variable substitution with an empty environment: ${VAR:-default} -> default,
    $$ -> $."""
    if not isinstance(value, str):
        return value
    value = re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", value)
    return value.replace("$$", "$")


def dockerfile_instructions(path):
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined, comments dropped."""
    lines, current = [], ""
    with open(path) as f:
        for raw in f:
            line = raw.rstrip("\n")
            if line.lstrip().startswith("#"):
                continue
            current += line.rstrip("\\") + " "
            if not line.endswith("\\"):
                if current.strip():
                    lines.append(current.strip())
                current = ""
    return [tuple(line.split(None, 1)) for line in lines]


class DockerfileTest(unittest.TestCase):
    def setUp(self):
        self.instructions = dockerfile_instructions(deploy_path("docker", "Dockerfile"))
        deploy_path("docker", "Dockerfile.dockerignore")

    def test_stages_are_debian_12_and_copy_existing_sources(self):
        stages = []
        for op, args in self.instructions:
            if op == "FROM":
                image, _, name = args.partition(" AS ")
                self.assertRegex(image, r"^debian:12(-slim)?$")
                stages.append(name.strip())
            elif op == "COPY":
                parts = args.split()
                if parts[0].startswith("--from="):
                    self.assertIn(parts[0][len("--from="):], stages[:-1])
                    continue
                for source in parts[:-1]:
                    self.assertTrue(os.path.exists(os.path.join(SOURCE_DIR, source)), source)
        self.assertEqual(stages, ["build", "runtime"])

    def test_build_uses_real_cmake_options_and_builds_the_deb(self):
        with open(os.path.join(SOURCE_DIR, "CMakeLists.txt")) as f:
            options = set(re.findall(r"option\((\w+)", f.read()))
        runs = " ".join(args for op, args in self.instructions if op == "RUN")
        for option in re.findall(r"-D(SIEVE_\w+)=", runs):
            self.assertIn(option, options)
        self.assertIn("cpack -G DEB", runs)
        self.assertIn("install-deps.sh", runs)

    def test_runtime_user_and_state_directories_match_compose_and_k8s(self):
        runs = " ".join(args for op, args in self.instructions if op == "RUN")
        uid = re.search(r"useradd .*--uid (\d+)", runs).group(1)
        with open(deploy_path("k8s", "broker.yaml")) as f:
            for doc in yaml.safe_load_all(f):
                if doc["kind"] == "StatefulSet":
                    ctx = doc["spec"]["template"]["spec"]["securityContext"]
                    self.assertEqual(str(ctx["runAsUser"]), uid)
        self.assertIn(("USER", "sieve"), self.instructions)
        with open(deploy_path("docker", "compose.yaml")) as f:
            compose = yaml.safe_load(f)
        for service in compose["services"].values():
            for volume in service.get("volumes", []):
                source, target = volume.split(":")[:2]
                if source in compose.get("volumes", {}) and service["image"] == SIEVE_IMAGE:
                    self.assertRegex(runs, rf"mkdir -p [^&]*{re.escape(target)}[ \\&]")
        exposed = {int(p) for op, args in self.instructions if op == "EXPOSE"
                   for p in args.split()}
        self.assertEqual(exposed, {7400, 7401, 8000, 9400, 9401, 9402})


class ComposeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.path = deploy_path("docker", "compose.yaml")
        cls.dir = os.path.dirname(cls.path)
        with open(cls.path) as f:
            cls.compose = yaml.safe_load(f)
        cls.services = cls.compose["services"]
        cls.sieve = {n: s for n, s in cls.services.items() if s.get("image") == SIEVE_IMAGE}

    def program(self, service):
        return (service.get("entrypoint") or service["command"])[0]

    def env(self, service):
        return {k: str(interpolate(v)) for k, v in service.get("environment", {}).items()}

    def bound_ports(self, name):
        """Ports a Sieve service listens on: its *_LISTEN, SIEVE_METRICS and --listen."""
        service = self.services[name]
        values = [v for k, v in self.env(service).items() if k.endswith("LISTEN") or
                  k == "SIEVE_METRICS"]
        command = service.get("command", [])
        values += [command[i + 1] for i, a in enumerate(command) if a == "--listen"]
        return {int(v.rsplit(":", 1)[1]) for v in values}

    def mounted(self, service, container_path):
        """The host path (under deploy/docker) mounted at `container_path` of `service`."""
        for volume in self.services[service].get("volumes", []):
            source, target = volume.split(":")[:2]
            if container_path == target or container_path.startswith(target.rstrip("/") + "/"):
                return os.path.normpath(os.path.join(self.dir, source) +
                                        container_path[len(target):])
        self.fail(f"{service}: nothing mounted at {container_path}")

    def test_services_run_sieve_programs_with_variables_they_read(self):
        self.assertTrue({"broker", "collector", "worker", "classifier"} <= set(self.sieve))
        for name, service in self.sieve.items():
            program = self.program(service)
            self.assertIn(program, PROGRAMS, name)
            for key in self.env(service):
                self.assertIn(key, daemon_env_names(program), f"{name}: {key}")
        self.assertGreaterEqual(int(interpolate(self.services["worker"]["deploy"]["replicas"])), 2)

    def test_addresses_name_services_on_ports_they_bind(self):
        for name, service in self.services.items():
            for other in service.get("depends_on", []):
                self.assertIn(other, self.services, name)
            for key, value in self.env(service).items():
                m = re.fullmatch(r"tcp://([a-z-]+):(\d+)", value)
                if m:
                    self.assertIn(int(m.group(2)), self.bound_ports(m.group(1)), f"{name}: {key}")

    def test_every_mounted_file_exists(self):
        for name, service in self.services.items():
            for volume in service.get("volumes", []):
                source = volume.split(":")[0]
                if source.startswith("."):
                    path = os.path.join(self.dir, source)
                    self.assertTrue(os.path.exists(path), f"{name}: {source}")
                    for root, _, files in os.walk(path) if os.path.isdir(path) else []:
                        for f in files:
                            Validated.add(os.path.join(root, f))
                    if os.path.isfile(path):
                        Validated.add(path)
                else:
                    self.assertIn(source, self.compose["volumes"], name)

    def test_healthchecks_ask_real_daemons_on_their_own_port(self):
        with running_broker() as broker:
            real_port = broker.metrics.rsplit(":", 1)[1]
            for name, service in self.sieve.items():
                if "healthcheck" not in service:
                    continue
                test = [interpolate(a) for a in service["healthcheck"]["test"]]
                self.assertEqual(test[:3], ["CMD", "bash", "-c"], name)
                self.assertIn(int(test[-1]), self.bound_ports(name), name)
                ok = subprocess.run(["bash", "-c", test[3], test[4], real_port], timeout=10)
                self.assertEqual(ok.returncode, 0, f"{name}: healthcheck fails on a live broker")
        closed = subprocess.run(["bash", "-c", test[3], test[4], real_port], timeout=10,
                                capture_output=True)
        self.assertNotEqual(closed.returncode, 0, "healthcheck passes with nothing listening")

    def test_prometheus_scrapes_every_sieve_service_and_loads_the_rules(self):
        config_path = self.mounted("prometheus", "/etc/prometheus/prometheus.yml")
        with open(Validated.add(config_path)) as f:
            config = yaml.safe_load(f)
        scraped = set()
        for job in config["scrape_configs"]:
            for static in job.get("static_configs", []):
                for target in static["targets"]:
                    host, port = target.split(":")
                    self.assertIn(int(port), self.bound_ports(host), target)
                    scraped.add(host)
            for dns in job.get("dns_sd_configs", []):
                for host in dns["names"]:
                    self.assertIn(dns["port"], self.bound_ports(host), host)
                    scraped.add(host)
        self.assertEqual(scraped, {n for n in self.sieve if self.bound_ports(n)})
        rules = [f for p in config["rule_files"] for f in glob.glob(self.mounted("prometheus", p))]
        self.assertTrue(rules, "no alert or recording rules match rule_files")

    def test_grafana_is_provisioned_with_the_dashboard(self):
        provisioning = self.mounted("grafana", "/etc/grafana/provisioning/dashboards/sieve.yml")
        with open(Validated.add(provisioning)) as f:
            (provider,) = yaml.safe_load(f)["providers"]
        dashboards = self.mounted("grafana", provider["options"]["path"])
        self.assertTrue(glob.glob(os.path.join(dashboards, "*.json")), dashboards)
        datasources = self.mounted("grafana", "/etc/grafana/provisioning/datasources/prometheus.yml")
        with open(Validated.add(datasources)) as f:
            (source,) = yaml.safe_load(f)["datasources"]
        host, port = re.fullmatch(r"http://([a-z]+):(\d+)", source["url"]).groups()
        self.assertIn(host, self.services)
        self.assertIn(f"127.0.0.1:{port}:{port}", self.services[host]["ports"])

