"""Ctrl-C: SIGINT to a Python process inside sieve.run (its pipeline in process) or Job.wait
(a cluster's job) ends it with KeyboardInterrupt within seconds; the job is cancelled, nothing
is left behind (no process, no temporary directory), and the endpoint gets no more requests.

The job runs against a slow classifier (100 ms an answer, 4 requests in flight: 40 rows/s), so
its 3,000 rows are far from done when the signal comes."""

import os
import signal
import sqlite3
import subprocess
import sys
import time

from sieve_harness import generate_csv, metric_sum

ROWS = 3000
PROMPT = 5.0  # seconds from SIGINT to the process's end, at most
CANCELLED = 4  # proto::JobState::kCancelled as the broker stores it (proto/message_parts.h)

RUN = """
import sys, sieve
options = {"data_dir": sys.argv[3]} if len(sys.argv) > 3 else {}
sieve.run(sys.argv[1], endpoint=sys.argv[2], workers=1, concurrency=4, progress=False, **options)
"""
WAIT = """
import sys, sieve
job = sieve.submit(sys.argv[1], endpoint=sys.argv[2], broker=sys.argv[3])
print(job.id, flush=True)
job.wait(progress=False)
"""


def requests(cluster):
    """Classify requests the slow classifier has answered (not counting /metrics itself)."""
    return metric_sum(cluster.slow.endpoint, "sieve_classifier_request_duration_seconds_count",
                      'handler="/classify"')


def start(script, *args, env=None):
    return subprocess.Popen([sys.executable, "-c", script, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)


def wait_for_requests(cluster, child, since, count=8, timeout=30):
    deadline = time.time() + timeout
    while requests(cluster) < since + count:
        assert child.poll() is None, child.communicate()
        assert time.time() < deadline, "the job sent no requests"
        time.sleep(0.1)


def interrupt(child):
    """Sends SIGINT; returns (seconds until the process ended, its stderr)."""
    start_time = time.monotonic()
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=30)
    elapsed = time.monotonic() - start_time
    assert child.returncode == -signal.SIGINT, err  # Python's exit by KeyboardInterrupt
    assert "KeyboardInterrupt" in err, err
    try:
        os.killpg(child.pid, 0)
        raise AssertionError("a process of the interrupted run is still alive")
    except ProcessLookupError:
        pass
    return elapsed, err


def assert_no_more_requests(cluster):
    # Requests already sent finish within 100 ms; none may start afterwards.
    time.sleep(0.3)
    settled = requests(cluster)
    time.sleep(1.0)
    assert requests(cluster) == settled


def test_sigint_in_run_cancels_and_cleans_up(cluster, tmp_path):
    data = generate_csv(str(tmp_path / "d.csv"), ROWS, seed=9)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = dict(os.environ, TMPDIR=str(tmp))
    before = requests(cluster)
    child = start(RUN, data, cluster.slow_endpoint, env=env)
    wait_for_requests(cluster, child, before)
    elapsed, _ = interrupt(child)
    assert elapsed < PROMPT, f"{elapsed:.1f} s from SIGINT to exit"
    assert list(tmp.iterdir()) == [], "temporary files left behind"
    assert_no_more_requests(cluster)


def test_sigint_in_run_with_a_data_dir_leaves_the_job_cancelled(cluster, tmp_path):
    data = generate_csv(str(tmp_path / "d.csv"), ROWS, seed=10)
    data_dir = str(tmp_path / "state")
    before = requests(cluster)
    child = start(RUN, data, cluster.slow_endpoint, data_dir)
    wait_for_requests(cluster, child, before)
    elapsed, _ = interrupt(child)
    assert elapsed < PROMPT, f"{elapsed:.1f} s from SIGINT to exit"
    with sqlite3.connect(os.path.join(data_dir, "broker", "broker.db")) as db:
        assert db.execute("SELECT state FROM jobs").fetchall() == [(CANCELLED,)]


def test_sigint_in_job_wait_cancels_the_job_at_the_broker(cluster, tmp_path):
    data = generate_csv(str(tmp_path / "d.csv"), ROWS, seed=11)
    before = requests(cluster)
    child = start(WAIT, data, cluster.slow_endpoint, cluster.broker.endpoint)
    job_id = child.stdout.readline().strip()
    wait_for_requests(cluster, child, before)
    elapsed, _ = interrupt(child)
    assert elapsed < PROMPT, f"{elapsed:.1f} s from SIGINT to exit"
    assert cluster.status(job_id)["state"] == "cancelled"
    assert_no_more_requests(cluster)
