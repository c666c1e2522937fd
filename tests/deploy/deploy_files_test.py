"""Every file in deploy/ validated: runs the checks of check_systemd, check_docker, check_k8s and
check_monitoring, then fails if any file under deploy/ was read by none of them (a new file
needs a check). Needs python3-yaml and the built executables (SIEVE_BIN_DIR); systemd-analyze
and promtool when installed.

    SIEVE_BIN_DIR=build/release python3 tests/deploy/deploy_files_test.py -v
"""

import sys
import unittest

import check_docker
import check_k8s
import check_monitoring
import check_systemd
from deploy_lib import Validated
from suite_skip import run_suite


def main():
    verbosity = 2 if "-v" in sys.argv else 1
    loader = unittest.TestLoader()
    suite = unittest.TestSuite(loader.loadTestsFromModule(m) for m in
                               (check_systemd, check_docker, check_k8s, check_monitoring))
    _, ok = run_suite(suite, verbosity=verbosity)  # under CI=true a skip fails too
    if not ok:
        return 1
    unchecked = Validated.missing()
    if unchecked:
        print(f"FAIL: files in deploy/ no check validates: {unchecked}")
        return 1
    print(f"every file in deploy/ validated ({len(Validated.files)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
