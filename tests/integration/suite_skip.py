"""Where the Python suites decide to skip, in one place: a skip under CI is a failure.

A suite that lacks a tool or a privilege (nginx, tcpdump, systemd-analyze, promtool, root for
network namespaces) skips rather than fails, so a developer's machine without them stays usable:
the whole suite exits 77, which CTest reports as skipped (SKIP_RETURN_CODE 77), and a test that
needs one tool raises unittest.SkipTest. CI installs every dependency (scripts/install-deps.sh)
and runs as root, so there a skip means a suite silently stopped checking what it guards (the
whole fault suite if CI lost the privilege for network namespaces). Under CI=true (any value but
empty, "0" or "false") both kinds of skip fail the run instead, with the reason.

    skip_suite(reason)     ends the process: exit 77, or exit 1 under CI
    run_tests(**kwargs)    unittest.main(**kwargs), then exit 1 under CI if any test skipped
    run_suite(suite, ...)  the same for an already built unittest.TestSuite; returns the result
"""

import os
import sys
import unittest

SKIP_EXIT_CODE = 77  # the suites' SKIP_RETURN_CODE in CMake


def under_ci():
    """True when $CI says this is a CI run (CI=true, as CI services and .ci/run set it)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false")


def skip_suite(reason):
    """Skips the whole suite: exits 77 (CTest: skipped), or 1 (failed) under CI."""
    if under_ci():
        print(f"FAILED: the suite would skip, and CI=true forbids skips: {reason}",
              file=sys.stderr, flush=True)
        sys.exit(1)
    print(f"SKIPPED: {reason}", file=sys.stderr, flush=True)
    sys.exit(SKIP_EXIT_CODE)


def _fail_on_skips(result):
    """Under CI, prints every skipped test of `result` and returns False; else True."""
    if not result.skipped or not under_ci():
        return True
    print(f"FAILED: {len(result.skipped)} test(s) skipped, and CI=true forbids skips:",
          file=sys.stderr)
    for test, reason in result.skipped:
        print(f"  {test.id()}: {reason}", file=sys.stderr)
    sys.stderr.flush()
    return False


def run_suite(suite, verbosity=1):
    """Runs `suite` with a text runner; returns (result, ok) where ok is False when a test
    failed or (under CI) skipped."""
    result = unittest.TextTestRunner(verbosity=verbosity).run(suite)
    return result, result.wasSuccessful() and _fail_on_skips(result)


def run_tests(**kwargs):
    """unittest.main(**kwargs) for the calling script, exiting 0 only when every test passed
    and, under CI, none skipped."""
    program = unittest.main(exit=False, **kwargs)
    ok = program.result.wasSuccessful() and _fail_on_skips(program.result)
    sys.exit(0 if ok else 1)
