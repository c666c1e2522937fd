"""What the deploy/ validators need to know about the real Sieve programs, asked of the built
executables themselves (never copied into the tests, so a renamed flag or metric fails them):

  daemon_env_names(program)   the SIEVE_* variables a daemon reads (from its --help)
  broker_metric_samples()     the series a fresh broker exposes on /metrics
  Validated                   the record of which deploy/ files some check has read

Environment: SIEVE_BIN_DIR, the build directory (CTest sets it).
"""

import contextlib
import functools
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.dirname(os.path.dirname(HERE))
DEPLOY_DIR = os.path.join(SOURCE_DIR, "deploy")
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "integration"))

from sieve_harness import Process, exe  # noqa: E402

# The programs a deployment runs as daemons, and the one-shot CLI.
DAEMONS = ("sieve-broker", "sieve-collector", "sieve-worker", "sieve-classifier")
PROGRAMS = DAEMONS + ("sieve", "sieve-label-file")


@functools.lru_cache(maxsize=None)
def daemon_help(program, *subcommand):
    r = subprocess.run([exe(program), *subcommand, "--help"], capture_output=True, text=True,
                       timeout=30)
    if r.returncode != 0:
        raise RuntimeError(f"{program} --help exited {r.returncode}: {r.stderr}")
    return r.stdout


@functools.lru_cache(maxsize=None)
def daemon_env_names(program):
    """The environment variables `program` reads: every "Env:NAME" and "$NAME" of its --help
    (for the `sieve` CLI, of `sieve submit --help`)."""
    text = daemon_help(program, *(("submit",) if program == "sieve" else ()))
    return frozenset(re.findall(r"(?:Env:\s*|\$)(SIEVE_[A-Z0-9_]+)", text))


def accepted_by_any(name, programs):
    return any(name in daemon_env_names(p) for p in programs)


@contextlib.contextmanager
def running_broker():
    """A broker on loopback with no jobs; yields its Process (.metrics is "HOST:PORT")."""
    with tempfile.TemporaryDirectory(prefix="sieve-deploy-broker-") as data:
        broker = Process("broker", [exe("sieve-broker"), "--listen", "tcp://127.0.0.1:*",
                                    "--data-dir", data, "--metrics", "127.0.0.1:0"],
                         os.path.join(data, "broker.log"))
        try:
            yield broker.start()
        finally:
            broker.kill()


def http_get(url, timeout=10):
    """The body of GET url, retried until `timeout` while the server is starting."""
    deadline = time.time() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                return r.read().decode()
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.1)


@functools.lru_cache(maxsize=None)
def broker_metric_samples():
    """The sample lines ("name{labels} value") a broker with no jobs serves on /metrics."""
    with running_broker() as broker:
        text = http_get(f"http://{broker.metrics}/metrics")
    return tuple(line for line in text.splitlines() if line and not line.startswith("#"))


def metric_has_series(metric, **labels):
    """True when the broker exposes `metric` with (at least) the given label values."""
    for sample in broker_metric_samples():
        name, _, rest = sample.partition("{")
        if name.split(" ")[0] != metric:
            continue
        if all(f'{k}="{v}"' in rest for k, v in labels.items()):
            return True
    return False


class Validated:
    """The deploy/ files some check has read and validated (paths relative to deploy/)."""

    files = set()

    @classmethod
    def add(cls, path):
        cls.files.add(os.path.relpath(os.path.abspath(path), DEPLOY_DIR))
        return path

    @classmethod
    def missing(cls):
        every = set()
        for root, _, names in os.walk(DEPLOY_DIR):
            every.update(os.path.relpath(os.path.join(root, n), DEPLOY_DIR) for n in names)
        return sorted(every - cls.files)


def deploy_path(*parts):
    """The absolute path of a file under deploy/, recorded as validated by the caller's check."""
    return Validated.add(os.path.join(DEPLOY_DIR, *parts))


def read_env_file(path):
    """The variables an EnvironmentFile= sets: its uncommented NAME=value lines."""
    env = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                name, _, value = line.partition("=")
                env[name] = value
    return env


def unit_environment(examples_dir, env_file, **changes):
    """A daemon's environment as its systemd unit gives it: nothing inherited from this test's
    SIEVE_* variables, then EnvironmentFile= (`env_file` of `examples_dir`, as postinst copies
    it to /etc/sieve), then `changes` (the unit's Environment= lines, or what docs/deploy.md
    says to edit)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIEVE_")}
    env.update(read_env_file(os.path.join(examples_dir, env_file)))
    env.update(changes)
    return env
