"""Shared by the tests of the Python module (docs/python.md): the integration harness
(tests/integration/sieve_harness.py: real executables on loopback, free ports, cleanup) and
fixtures built on it.

Environment (CTest sets both): SIEVE_BIN_DIR, the build directory; PYTHONPATH, its python/
directory, where `import sieve` finds the package and its extension.
Skips follow tests/integration/suite_skip.py: under CI=true a skipped test fails the run.
"""

import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))

from sieve_harness import Cluster, Process, exe  # noqa: E402
from suite_skip import under_ci  # noqa: E402

_skipped = []


def pytest_runtest_logreport(report):
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    if _skipped and under_ci() and exitstatus == 0:
        print(f"\nFAILED: CI=true forbids skips, and these skipped: {_skipped}", file=sys.stderr)
        session.exitstatus = 1


@pytest.fixture(scope="module")
def cluster():
    """A classifier, a broker, a collector and two workers (4 requests in flight each), plus a
    slow classifier (100 ms an answer) for jobs that must still run when a test acts; the
    `sieve` CLI talks to the broker through cluster.sieve(...)."""
    c = Cluster("python")
    try:
        c.start(workers=2, worker_flags=("--concurrency", "4"))
        c.slow = Process("slow-classifier", [exe("sieve-classifier"), "--listen", "127.0.0.1:0",
                                             "--latency-ms", "100"],
                         os.path.join(c.dir, "slow-classifier.log"))
        c.processes.append(c.slow)  # killed by c.close()
        c.slow.start()
        c.slow_endpoint = f"http://{c.slow.endpoint}/classify"
        yield c
    finally:
        c.close()


@pytest.fixture
def cli():
    """cli(*args, check=True): runs the `sieve` executable; returns the CompletedProcess (text)."""
    def run(*args, check=True, timeout=120):
        r = subprocess.run([exe("sieve"), *args], capture_output=True, text=True,
                           timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError(f"sieve {' '.join(args)} exited {r.returncode}: {r.stderr}")
        return r
    return run
