"""Simulated machines for the fault suite: each host of a Sieve cluster in its own network
namespace, traffic crossing real (virtual) interfaces, plus fault-injecting proxies between hosts
and a progress monitor that measures recovery.

Topology (one run; every name carries the test's pid, so parallel runs never clash):

      sf-<pid>-bc  broker + collector + client     10.231.0.1   eth0 ─┐
      sf-<pid>-w1  worker host 1 (odd workers)     10.231.0.11  eth0 ─┤ veth pairs to a bridge
      sf-<pid>-w2  worker host 2 (even workers)    10.231.0.12  eth0 ─┤ in its own namespace,
      sf-<pid>-ep  the endpoint (sieve-classifier) 10.231.0.20  eth0 ─┘ sf-<pid>-br
The 10.231.0.0/24 addresses exist only inside these namespaces (each namespace has its own
network stack, so two labs never see each other). Daemons run through `ip netns exec NS ...`
(which execs, so the pid the test holds is the daemon's). Inside its own isolated network a test
can use fixed ports; daemons bind non-loopback addresses, hence --insecure.

Cleanup contract: NetLab.close() deletes every namespace of the lab, also after a failure (call
it from a `finally`). A run that could not clean up (SIGKILLed, e.g. by a CTest timeout) leaves
namespaces named after a dead pid: every new NetLab first sweeps those (sweep_stale), killing any
process still inside them. install_exit_on_sigterm() turns SIGTERM into SystemExit so `finally`
blocks run when a run is stopped politely.

API used outside this suite (tests/deploy reuses it; keep it stable):
  netns_unavailable() -> None | reason      NetLab() / .ns(host) / .link(host, up) / .close()
  namespaces(), sweep_stale(), install_exit_on_sigterm()
  HOSTS, BROKER_PORT, COLLECTOR_PORT, ENDPOINT_PORT, NetCluster(name, lab, proxies=False)
    (.start(), .start_broker(), .start_collector(), .start_worker(),
     .metric(process, name, **labels)),
  Proxy(lab, host, port, upstream, log_dir).command(line), ProgressMonitor(cluster, job)
"""

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))

from sieve_harness import Cluster  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
HOSTS = {"bc": "10.231.0.1", "w1": "10.231.0.11", "w2": "10.231.0.12", "ep": "10.231.0.20"}
BROKER_PORT, COLLECTOR_PORT, ENDPOINT_PORT = 7400, 7500, 8000
PROXY_OFFSET = 10000  # a proxy in front of port P listens on P + PROXY_OFFSET


def run(*args):
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {r.stderr.strip()}")
    return r.stdout


PREFIX = "sf-"  # every namespace of this suite is named sf-<pid of the test>-<host>


def netns_unavailable():
    """None when this process may create network namespaces, else the reason it may not."""
    probe = f"{PREFIX}{os.getpid()}-probe"
    try:
        run("ip", "netns", "add", probe)
    except (RuntimeError, FileNotFoundError) as e:
        return f"cannot create network namespaces ({e}); run as root with iproute2"
    run("ip", "netns", "del", probe)
    return None


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def namespaces():
    """The names of every network namespace on this machine."""
    return [line.split()[0] for line in run("ip", "netns", "list").splitlines() if line.strip()]


def sweep_stale():
    """Deletes the namespaces left by runs of this suite whose process is gone (a SIGKILLed
    run cannot clean up), after SIGKILLing whatever still runs inside them. Returns their
    names. Namespaces of live runs (this one or a parallel one) are never touched."""
    swept = []
    for name in namespaces():
        m = re.fullmatch(re.escape(PREFIX) + r"(\d+)-\w+", name)
        if not m or pid_alive(int(m.group(1))):
            continue
        pids = subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True)
        for pid in pids.stdout.split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass
        subprocess.run(["ip", "netns", "del", name], capture_output=True)
        swept.append(name)
    return swept


def install_exit_on_sigterm():
    """SIGTERM raises SystemExit in the main thread, so `finally` blocks clean up."""
    def handler(signum, frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, handler)


class NetLab:
    """The namespaces, veth pairs and bridge of one test run."""

    def __init__(self):
        self.prefix = f"{PREFIX}{os.getpid()}-"
        self.created = []
        swept = sweep_stale()
        if swept:
            print(f"  swept namespaces left by dead runs: {' '.join(swept)}", file=sys.stderr)
        try:
            self._build()
        except Exception:
            self.close()
            raise

    def ns(self, host):
        return self.prefix + host

    def _build(self):
        bridge = self.ns("br")
        for name in [bridge] + [self.ns(h) for h in HOSTS]:
            run("ip", "netns", "add", name)
            self.created.append(name)
            run("ip", "-n", name, "link", "set", "lo", "up")
        run("ip", "-n", bridge, "link", "add", "br0", "type", "bridge")
        run("ip", "-n", bridge, "link", "set", "br0", "up")
        for host, address in HOSTS.items():
            run("ip", "-n", bridge, "link", "add", "v" + host, "type", "veth", "peer", "name",
                "eth0", "netns", self.ns(host))
            run("ip", "-n", bridge, "link", "set", "v" + host, "master", "br0", "up")
            run("ip", "-n", self.ns(host), "addr", "add", address + "/24", "dev", "eth0")
            run("ip", "-n", self.ns(host), "link", "set", "eth0", "up")

    def link(self, host, up):
        """Cuts (up=False) or restores a host's only network link."""
        run("ip", "-n", self.ns(host), "link", "set", "eth0", "up" if up else "down")

    def close(self):
        for name in reversed(self.created):
            subprocess.run(["ip", "netns", "del", name], capture_output=True)
        self.created = []


class Proxy:
    """A fault_proxy.py process in a host's namespace, controlled over its stdin."""

    def __init__(self, lab, host, port, upstream, log_dir):
        self.name = f"proxy-{host}-{port}"
        self.log = open(os.path.join(log_dir, self.name + ".log"), "ab")
        self.popen = subprocess.Popen(
            ["ip", "netns", "exec", lab.ns(host), sys.executable,
             os.path.join(HERE, "fault_proxy.py"), f"{HOSTS[host]}:{port + PROXY_OFFSET}",
             upstream], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log)
        first = self.popen.stdout.readline()
        if not first:
            raise RuntimeError(f"{self.name} did not start")
        self.address = json.loads(first)["listening"]

    def command(self, line):
        self.popen.stdin.write((line + "\n").encode())
        self.popen.stdin.flush()
        return json.loads(self.popen.stdout.readline())

    def close(self):
        if self.popen.poll() is None:
            self.popen.kill()
        self.popen.wait(timeout=30)
        for f in (self.popen.stdin, self.popen.stdout, self.log):
            f.close()


class NetCluster(Cluster):
    """A Cluster whose processes run on the NetLab's hosts: classifier on `ep`, broker,
    collector and the CLI on `bc`, workers alternately on `w1` and `w2`. With proxies=True,
    workers reach the broker, the collector and the endpoint through fault proxies."""

    def __init__(self, name, lab, proxies=False):
        super().__init__(name)
        self.lab = lab
        self.proxies = {}
        self.use_proxies = proxies

    def host_of(self, name):
        if name.startswith("worker"):
            return "w1" if int(name[len("worker"):]) % 2 == 1 else "w2"
        return "ep" if name == "classifier" else "bc"

    def wrap(self, name, args):
        return ["ip", "netns", "exec", self.lab.ns(self.host_of(name)), *args]

    def _via(self, host, port):
        """The address workers use for host:port: the proxy in front of it when enabled."""
        if not self.use_proxies:
            return f"{HOSTS[host]}:{port}"
        if port not in self.proxies:
            self.proxies[port] = Proxy(self.lab, host, port, f"{HOSTS[host]}:{port}", self.dir)
        return self.proxies[port].address

    @property
    def endpoint(self):
        return f"http://{self._via('ep', ENDPOINT_PORT)}/classify"

    def start_classifier(self, *flags):
        return super().start_classifier(*flags, listen=f"{HOSTS['ep']}:{ENDPOINT_PORT}")

    def start(self, workers=2, classifier_flags=(), worker_flags=()):
        self.classifier_flags = classifier_flags
        self.worker_flags = worker_flags
        self.start_classifier(*classifier_flags)
        self.start_broker()
        self.start_collector()
        for _ in range(workers):
            self.start_worker()
        return self

    def start_broker(self, listen=None, *flags):
        """The broker on `bc`, --insecure, with metrics on bc's address (see metric())."""
        return super().start_broker(listen or f"tcp://{HOSTS['bc']}:{BROKER_PORT}",
                                    "--insecure", "--metrics", f"{HOSTS['bc']}:0", *flags)

    def start_collector(self, *flags):
        bound = f"tcp://{HOSTS['bc']}:{COLLECTOR_PORT}"
        collector = super().start_collector(
            "--insecure", "--advertise", "tcp://" + self._via("bc", COLLECTOR_PORT),
            "--metrics", f"{HOSTS['bc']}:0", *flags, listen=bound)
        collector.endpoint = bound  # it prints the advertised one; a restart binds this
        return collector

    def start_worker(self, *flags):
        return super().start_worker(*self.worker_flags, *flags,
                                    broker="tcp://" + self._via("bc", BROKER_PORT))

    def metric(self, process, name, **labels):
        """The sum of every sample of the Prometheus series `name` carrying `labels` (all of
        them, when given) that `process` (the broker, the collector or the classifier of this
        run, as it is now: a restart starts from zero) serves; 0.0 when it serves none.
        Scraped from inside the process's namespace; the classifier serves /metrics on its
        listening port."""
        url = f"http://{process.metrics or process.endpoint}/metrics"
        text = run("ip", "netns", "exec", self.lab.ns(self.host_of(process.name)),
                   sys.executable, "-c", "import sys, urllib.request; sys.stdout.write("
                   "urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())", url)
        total = 0.0
        for line in text.splitlines():
            series, _, value = line.rpartition(" ")
            if series.split("{")[0] != name:
                continue
            carried = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', series))
            if all(carried.get(k) == str(v) for k, v in labels.items()):
                total += float(value)
        return total

    def close(self, keep=False):
        for p in self.proxies.values():
            p.close()
        super().close(keep)


class ProgressMonitor:
    """Samples the job's done_rows every 250 ms on a thread, to measure recovery: the time
    from a moment (a fault, or its end) to the next progress, and the longest stall."""

    def __init__(self, cluster, job):
        self.cluster, self.job = cluster, job
        self.samples = []  # (monotonic time, done_rows)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop.is_set():
            try:
                r = self.cluster.sieve("status", self.job, "--json", timeout=10, check=False)
                if r.returncode == 0:
                    status = json.loads(r.stdout)
                    status = status[0] if isinstance(status, list) else status
                    self.samples.append((time.monotonic(), status["done_rows"]))
            except (subprocess.TimeoutExpired, OSError, ValueError, KeyError):
                pass  # one lost sample; a dead sampler would leave every recovery unmeasured
            self.stop.wait(0.25)

    def done_rows(self):
        return self.samples[-1][1] if self.samples else 0

    def recovery_after(self, t, since=None):
        """Seconds from monotonic time `since` (default t) to the first sample after t with
        more rows than at t (None if none). With t = a restart and since = the fault, it is
        the time from the fault to progress past what was done when the restart came, which
        leaves out results that were already in flight when the fault struck."""
        before = [rows for when, rows in self.samples if when <= t]
        base = before[-1] if before else 0
        for when, rows in self.samples:
            if when > t and rows > base:
                return when - (t if since is None else since)
        return None

    def longest_stall(self):
        stall, since = 0.0, None
        last = -1
        for when, rows in self.samples:
            if rows != last:
                since, last = when, rows
            elif since is not None:
                stall = max(stall, when - since)
        return stall

    def close(self):
        self.stop.set()
        self.thread.join(timeout=30)
