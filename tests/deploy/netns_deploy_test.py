"""docs/deploy.md "By hand, across machines", followed step by step on simulated machines: the
fault suite's network namespaces (tests/fault/fault_lab.py), with this test's own names and
addresses (sd-<pid>-HOST, 10.232.0.0/24), so it never meets a fault-suite run.

    bc  10.232.0.1   broker + collector + the client (alice)
    w1  10.232.0.11  two workers (like sieve-worker@1 and @2)
    w2  10.232.0.12  one worker
    ep  10.232.0.20  the endpoint (sieve-classifier)

Every host gets its own /etc/sieve-like directory: keys are generated on the machine that
keeps the secret (`sieve keygen`), only *.pub files are copied between hosts, into the broker's
and collector's allow-lists by role. Daemons are configured the way the systemd units do it:
the shipped example environment file plus the variables the guide says to change. Then a job
runs and its output is checked row by row; a worker whose key is not on the allow-list gets no
work.

Needs root (ip netns); exits 77 (CTest: skipped) without it.
    SIEVE_BIN_DIR=build/release python3 tests/deploy/netns_deploy_test.py -v
"""

import os
import shutil
import sys
import tempfile
import time
import unittest

from deploy_lib import SOURCE_DIR, unit_environment

sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "fault"))
import fault_lab  # noqa: E402
from sieve_harness import Process, check_output, exe, generate_csv  # noqa: E402
from suite_skip import run_tests, skip_suite  # noqa: E402

# fault_lab's topology under this test's names and addresses: NetLab names its namespaces
# PREFIX<pid>-HOST (and sweeps only stale ones of that prefix) and addresses them from HOSTS.
fault_lab.PREFIX = "sd-"
fault_lab.HOSTS.clear()
fault_lab.HOSTS.update({"bc": "10.232.0.1", "w1": "10.232.0.11", "w2": "10.232.0.12",
                        "ep": "10.232.0.20"})
HOSTS = fault_lab.HOSTS
EXAMPLES = os.path.join(SOURCE_DIR, "deploy", "systemd")  # installed as /usr/share/sieve/examples


class Machine:
    """One simulated host: its namespace and its own configuration directory."""

    def __init__(self, lab, name, root):
        self.lab, self.name = lab, name
        self.etc = os.path.join(root, name, "etc-sieve")
        self.keys = os.path.join(self.etc, "keys")
        os.makedirs(self.keys)

    def keygen(self, key_name):
        """`sieve keygen NAME --dir /etc/sieve/keys` on this machine; returns the .pub path."""
        fault_lab.run("ip", "netns", "exec", self.lab.ns(self.name), exe("sieve"), "keygen",
                      key_name, "--dir", self.keys)
        return os.path.join(self.keys, key_name + ".pub")

    def receive(self, pub, *subdirs):
        """Copies a public key onto this machine (scp), into etc/sieve/SUBDIRS/."""
        target = os.path.join(self.etc, *subdirs)
        os.makedirs(target, exist_ok=True)
        shutil.copy(pub, target)
        return os.path.join(target, os.path.basename(pub))

    def command(self, program, *args):
        return ["ip", "netns", "exec", self.lab.ns(self.name), exe(program), *args]


class MultiHostDeployTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="sieve-netns-deploy-")
        self.lab = fault_lab.NetLab()
        self.processes = []
        self.m = {h: Machine(self.lab, h, self.dir) for h in HOSTS}

    def tearDown(self):
        for p in self.processes:
            p.kill()
        self.lab.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def start(self, name, args, env=None, listening=True):
        p = Process(name, args, os.path.join(self.dir, name + ".log"), env=env)
        self.processes.append(p)
        return p.start(wait_listening=listening)

    def logs(self):
        return "\n".join(f"--- {p.name}\n{p.log_tail()}" for p in self.processes)

    def test_job_across_hosts_as_the_guide_says(self):
        bc, w1, w2, ep = (self.m[h] for h in ("bc", "w1", "w2", "ep"))
        broker_addr = f"tcp://{HOSTS['bc']}:7400"

        # 1. Keys: each machine makes its own; public halves go where the guide says.
        broker_pub = bc.keygen("broker")
        bc.receive(bc.keygen("collector"), "allow", "collectors")
        bc.receive(bc.keygen("alice"), "allow", "clients")
        worker_keys = {}
        for host in (w1, w2):
            bc.receive(host.keygen(f"worker-{host.name}"), "allow", "workers")
            worker_keys[host.name] = host.receive(broker_pub)
        allow = os.path.join(bc.etc, "allow")

        # 2. Broker and collector on bc, bound to every address, CURVE on.
        broker = self.start("broker", bc.command("sieve-broker"), unit_environment(EXAMPLES,
            "broker.env", SIEVE_BROKER_LISTEN="tcp://0.0.0.0:7400",
            SIEVE_CURVE_KEY=os.path.join(bc.keys, "broker.key"), SIEVE_ALLOW=allow,
            SIEVE_DATA_DIR=os.path.join(self.dir, "bc", "broker"),
            SIEVE_METRICS=f"{HOSTS['bc']}:9400"))
        self.start("collector", bc.command("sieve-collector"), unit_environment(EXAMPLES,
            "collector.env", SIEVE_COLLECTOR_LISTEN="tcp://0.0.0.0:7401",
            SIEVE_ADVERTISE=f"tcp://{HOSTS['bc']}:7401",
            SIEVE_CURVE_KEY=os.path.join(bc.keys, "collector.key"),
            SIEVE_BROKER_KEY=broker_pub, SIEVE_ALLOW=allow,
            SIEVE_DATA_DIR=os.path.join(self.dir, "bc", "collector")))
        self.start("classifier", ep.command("sieve-classifier", "--listen",
                                            f"{HOSTS['ep']}:8000", "--threads", "16"))

        # 3. Workers join by address: worker.env with SIEVE_BROKER and the keys.
        for i, host in enumerate((w1, w1, w2), start=1):
            self.start(f"worker{i}", host.command("sieve-worker"), unit_environment(EXAMPLES,
                "worker.env", SIEVE_BROKER=broker_addr, SIEVE_NAME=f"{host.name}-{i}",
                SIEVE_CONCURRENCY="16", SIEVE_METRICS=f"{HOSTS[host.name]}:{9410 + i}",
                SIEVE_CURVE_KEY=os.path.join(host.keys, f"worker-{host.name}.key"),
                SIEVE_BROKER_KEY=worker_keys[host.name]), listening=False).wait_metrics()
        # A worker whose key nobody allowed: it must never get a chunk.
        stranger_pub = w2.keygen("stranger")
        self.start("stranger", w2.command("sieve-worker"), unit_environment(EXAMPLES,
            "worker.env", SIEVE_BROKER=broker_addr, SIEVE_NAME="stranger",
            SIEVE_METRICS=f"{HOSTS['w2']}:9419",
            SIEVE_CURVE_KEY=stranger_pub[:-len(".pub")] + ".key",
            SIEVE_BROKER_KEY=worker_keys["w2"]), listening=False).wait_metrics()

        # 4. The client on bc submits and waits for the output.
        data = generate_csv(os.path.join(self.dir, "input.csv"), 2000, seed=5)
        out = os.path.join(self.dir, "out.csv")
        endpoint = f"http://{HOSTS['ep']}:8000/classify"
        client = bc.command("sieve", "submit", data, "--endpoint", endpoint, "--broker",
                            broker_addr, "--curve-key", os.path.join(bc.keys, "alice.key"),
                            "--broker-key", broker_pub, "--chunk-rows", "100", "--wait",
                            "-o", out)
        started = time.time()
        r = fault_lab.subprocess.run(client, capture_output=True, text=True, timeout=180)
        self.assertEqual(r.returncode, 0, f"{r.stdout}\n{r.stderr}\n{self.logs()}")
        check_output([data], out)
        print(f"job across hosts: {time.time() - started:.1f} s", file=sys.stderr)

        workers = fault_lab.run(*bc.command(
            "sieve", "workers", "--broker", broker_addr, "--curve-key",
            os.path.join(bc.keys, "alice.key"), "--broker-key", broker_pub))
        for name in ("w1-1", "w1-2", "w2-3"):
            self.assertIn(name, workers)
        self.assertNotIn("stranger", workers)


if __name__ == "__main__":
    # A CTest timeout (SIGTERM) still runs tearDown, deleting the namespaces. The hook is new in
    # fault_lab; older versions lack it (and name namespaces without PREFIX: sf<pid>HOST).
    if hasattr(fault_lab, "install_exit_on_sigterm"):
        fault_lab.install_exit_on_sigterm()
    reason = fault_lab.netns_unavailable()
    if reason:
        skip_suite(reason)
    run_tests()
