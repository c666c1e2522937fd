"""Soak mode of the fault suite (CTest label `soak`, never in CI): runs the fault scenarios in a
random order, again and again, each a fresh job on fresh simulated machines, until
$SIEVE_FAULT_SOAK_S seconds (default 3600) have passed. Every scenario is a job of its own, so a
soak runs many jobs; the scenario order is random ($SIEVE_FAULT_SEED fixes it, and is printed).
Job sizes follow $SIEVE_FAULT_SIZE (ci or full, as fault_test.py). Stops at the first failure,
whose cluster logs are kept. Exit 77 (skipped) without network-namespace privilege.

Usage: SIEVE_BIN_DIR=build/release SIEVE_FAULT_SOAK_S=7200 python3 tests/fault/fault_soak.py
"""

import os
import random
import sys
import time
import unittest

import fault_lab
import fault_test
from suite_skip import run_suite, skip_suite

if __name__ == "__main__":
    if fault_test.SKIP_REASON:
        skip_suite(fault_test.SKIP_REASON)
    fault_lab.install_exit_on_sigterm()
    deadline = time.monotonic() + float(os.environ.get("SIEVE_FAULT_SOAK_S", "3600"))
    names = unittest.TestLoader().getTestCaseNames(fault_test.FaultTest)
    seed = int(os.environ.get("SIEVE_FAULT_SEED", str(int(time.time()))))
    print(f"soak: seed {seed}, size {fault_test.SIZE}", flush=True)
    rng = random.Random(seed)
    runs = 0
    while time.monotonic() < deadline:
        suite = unittest.TestSuite(fault_test.FaultTest(n) for n in rng.sample(names, len(names)))
        result, ok = run_suite(suite, verbosity=2)
        runs += result.testsRun
        if not ok:
            sys.exit(1)
    print(f"soak: {runs} scenario runs passed")
