"""The fault suite: real executables on simulated machines (network namespaces), faults injected
while a job runs, and the output compared byte for byte with a fault-free run of the same job.

Each scenario prints what it injected, what it checked and what it measured, and appends one
JSON line to $SIEVE_FAULT_REPORT when set (docs/reliability.md is written from those lines).
Sizes: the CI variant (default) is small; SIEVE_FAULT_FULL=1 runs the sizes of issue 6
(100,000 rows for the worker-killing scenario, 20 s link cut, 30 s endpoint outage).
Without the privilege to create network namespaces the whole suite is skipped, loudly, with
exit code 77 (CTest reports it as skipped, never as passed).

Usage: fault_test.py [-v] [FaultTest.test_NAME ...]
"""

import json
import os
import random
import signal
import subprocess
import sys
import time
import unittest

from fault_lab import NetCluster, NetLab, ProgressMonitor, netns_unavailable
from sieve_harness import check_output, generate_csv

FULL = os.environ.get("SIEVE_FAULT_FULL") == "1"
ROWS = 20_000 if FULL else 4_000            # most scenarios
KILL_ROWS = 100_000 if FULL else 10_000     # SIGKILL a random worker every few seconds
CUT_S = 20 if FULL else 8                   # link cut
AWAY_S = 30 if FULL else 10                 # endpoint outage
CLASSIFIER = ("--latency-ms", "20")
WORKER = ("--concurrency", "4")
# Every job: 250-row chunks, short request timeout so hangs become timeouts, and room for the
# chunk-level retries that worker losses spend (a lost worker counts as a failed attempt).
JOB = ("--chunk-rows", "250", "--timeout", "1", "--retries", "8", "--max-attempts", "20")
SKIP_REASON = netns_unavailable()


def report(name, **fields):
    line = dict(scenario=name, full=FULL, **fields)
    print("\n  " + json.dumps(line), flush=True)
    path = os.environ.get("SIEVE_FAULT_REPORT")
    if path:
        with open(path, "a") as f:
            f.write(json.dumps(line) + "\n")


class FaultTest(unittest.TestCase):
    data = {}       # rows -> input path
    reference = {}  # rows -> bytes of the fault-free output

    @classmethod
    def setUpClass(cls):
        if SKIP_REASON:
            raise unittest.SkipTest(SKIP_REASON)
        cls.data_dir = NetCluster.__mro__[1]("fault-data")  # a plain Cluster for the files

    @classmethod
    def tearDownClass(cls):
        cls.data_dir.close()

    # -- helpers -------------------------------------------------------------------------
    def input(self, rows):
        if rows not in self.data:
            self.data[rows] = generate_csv(os.path.join(self.data_dir.dir, f"in{rows}.csv"), rows,
                                           seed=rows)
        return self.data[rows]

    def expected(self, rows):
        """The output of a fault-free run of the same job on the same topology."""
        if rows not in self.reference:
            out, _ = self.run_job("reference", rows, lambda c, j, m: {})
            self.reference[rows] = out
        return self.reference[rows]

    def run_job(self, name, rows, faults, classifier=CLASSIFIER, worker=WORKER, job=JOB,
                proxies=False, setup=None, check_labels=True):
        """Runs one job with `faults(cluster, job, monitor)` applied while it runs; returns
        (output bytes, what faults returned)."""
        lab = NetLab()
        cluster = NetCluster(name, lab, proxies=proxies)
        cleanup = []
        ok = False
        try:
            if setup:
                cleanup.append(setup(cluster))
            cluster.start(workers=2, classifier_flags=classifier, worker_flags=worker)
            job_id = cluster.submit([self.input(rows)], *job)
            monitor = ProgressMonitor(cluster, job_id)
            try:
                measured = faults(cluster, job_id, monitor) or {}
                out = os.path.join(cluster.dir, "out.csv")
                r = cluster.sieve("wait", job_id, "-o", out, timeout=900, check=False)
                self.assertTrue(os.path.exists(out), f"no output: {r.stderr.decode()}\n"
                                f"{cluster.logs()}")
                # Measurements over the whole run are taken once the job is over.
                measured = {k: v() if callable(v) else v for k, v in measured.items()}
            finally:
                monitor.close()
            check_output([self.input(rows)], out)
            with open(out, "rb") as f:
                output = f.read()
            ok = True
            return output, measured
        finally:
            cluster.close(keep=not ok)
            for undo in cleanup:
                if undo:
                    undo()
            lab.close()
            if not ok:
                print(f"\n  kept the logs of {name} in {cluster.dir}", file=sys.stderr)

    def check_identical(self, name, rows, faults, injected, **kwargs):
        want = self.expected(rows)
        start = time.monotonic()
        got, measured = self.run_job(name, rows, faults, **kwargs)
        same = got == want
        report(name, rows=rows, injected=injected, identical=same,
               job_seconds=round(time.monotonic() - start, 1), **measured)
        self.assertTrue(same, f"{name}: output differs from the fault-free run")

    @staticmethod
    def wait_fraction(cluster, job, rows, fraction):
        cluster.wait_rows(job, int(rows * fraction), timeout=300)

    @staticmethod
    def seconds(x):
        return None if x is None else round(x, 2)

    # -- scenarios -----------------------------------------------------------------------
    def test_kill_random_worker(self):
        interval = 3.0 if FULL else 2.0

        def faults(cluster, job, monitor):
            rng = random.Random(6)
            kills, recoveries = 0, []
            while monitor.done_rows() < KILL_ROWS * 0.9 and kills < 60:
                time.sleep(interval)
                alive = [w for w in cluster.workers if w.alive()]
                victim = rng.choice(alive)
                victim.signal(signal.SIGKILL)
                victim.kill()
                cluster.start_worker()
                kills += 1
            return {"kills": kills, "interval_s": interval,
                    "longest_stall_s": lambda: self.seconds(monitor.longest_stall())}

        self.check_identical("kill_random_worker", KILL_ROWS, faults,
                             f"SIGKILL a random worker every {interval} s, replace it")

    def kill_and_restart(self, role):
        def faults(cluster, job, monitor):
            self.wait_fraction(cluster, job, ROWS, 0.3)
            process = getattr(cluster, role)
            t = time.monotonic()
            process.signal(signal.SIGKILL)
            process.kill()
            time.sleep(1)
            if role == "broker":
                cluster.start_broker(None, "--insecure")
            else:
                cluster.start_collector()
            restarted = time.monotonic()
            cluster.wait_rows(job, monitor.done_rows() + 1, timeout=120)
            return {"recovery_s": lambda: self.seconds(monitor.recovery_after(t)),
                    "recovery_after_restart_s": lambda: self.seconds(monitor.recovery_after(restarted))}
        return faults

    def test_kill_broker(self):
        self.check_identical("kill_broker", ROWS, self.kill_and_restart("broker"),
                             "SIGKILL the broker at 30 %, restart it 1 s later")

    def test_kill_collector(self):
        self.check_identical("kill_collector", ROWS, self.kill_and_restart("collector"),
                             "SIGKILL the collector at 30 %, restart it 1 s later")

    def test_sigstop_worker_past_lease(self):
        stop_s = 14  # the lease is 10 s past the last heartbeat

        def faults(cluster, job, monitor):
            self.wait_fraction(cluster, job, ROWS, 0.2)
            t = time.monotonic()
            cluster.workers[0].signal(signal.SIGSTOP)
            time.sleep(stop_s)
            cluster.workers[0].signal(signal.SIGCONT)
            return {"longest_stall_s": lambda: self.seconds(monitor.longest_stall()),
                    "recovery_s": lambda: self.seconds(monitor.recovery_after(t))}

        self.check_identical("sigstop_worker", ROWS, faults,
                             f"SIGSTOP worker1 for {stop_s} s (past its lease), then SIGCONT",
                             classifier=("--latency-ms", "20"))

    def test_cut_worker_link(self):
        def faults(cluster, job, monitor):
            self.wait_fraction(cluster, job, ROWS, 0.1)
            cluster.lab.link("w1", up=False)
            t_cut = time.monotonic()
            time.sleep(CUT_S)
            cluster.lab.link("w1", up=True)
            restored = time.monotonic()
            rejoin = self.wait_worker_back(cluster, "worker1", restored)
            return {"rejoin_after_restore_s": self.seconds(rejoin),
                    "progress_after_cut_s": lambda: self.seconds(monitor.recovery_after(t_cut)),
                    "longest_stall_s": lambda: self.seconds(monitor.longest_stall())}

        self.check_identical("cut_worker_link", ROWS, faults,
                             f"worker host w1 link down for {CUT_S} s, then up",
                             classifier=("--latency-ms", "20"))

    @staticmethod
    def wait_worker_back(cluster, name, since, timeout=120):
        """Seconds from `since` until the broker lists `name` with a fresh heartbeat."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r = cluster.sieve("workers", "--json", check=False, timeout=10)
            if r.returncode == 0:
                for w in json.loads(r.stdout):
                    if w["name"] == name and w["last_heartbeat_age_ms"] < 1500:
                        return time.monotonic() - since
            time.sleep(0.25)
        return None

    def test_latency_and_loss(self):
        def faults(cluster, job, monitor):
            for proxy in cluster.proxies.values():
                proxy.command("delay 200")
                proxy.command("loss 0.05 200")
            stats = {}
            cluster.wait_rows(job, ROWS, timeout=600)
            for port, proxy in cluster.proxies.items():
                stats[port] = proxy.command("stats")
            return {"proxy_stats": stats}

        self.check_identical("latency_and_loss", ROWS // 2, faults,
                             "200 ms each way and 5 % segment loss (200 ms RTO) on every link "
                             "between hosts (fault proxies)",
                             proxies=True, worker=("--concurrency", "64"))

    def test_endpoint_errors_and_timeouts(self):
        self.check_identical("endpoint_errors", ROWS, lambda c, j, m: {},
                             "endpoint answers 10 % HTTP 500 and hangs 5 % (job timeout 1 s)",
                             classifier=(*CLASSIFIER, "--fail-rate", "0.1", "--hang-rate",
                                         "0.05", "--hang-ms", "3000"))

    def test_endpoint_away(self):
        def faults(cluster, job, monitor):
            self.wait_fraction(cluster, job, ROWS, 0.2)
            cluster.classifier.signal(signal.SIGKILL)
            cluster.classifier.kill()
            time.sleep(AWAY_S)
            back = time.monotonic()
            cluster.start_classifier(*CLASSIFIER)
            return {"recovery_after_return_s": lambda: self.seconds(monitor.recovery_after(back))}

        self.check_identical("endpoint_away", ROWS, faults,
                             f"endpoint killed at 20 %, back {AWAY_S} s later",
                             classifier=("--latency-ms", "20"))

    def test_collector_disk_full(self):
        def setup(cluster):
            data = os.path.join(cluster.dir, "collector")
            os.makedirs(data)
            subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "sieve-fault", data],
                           check=True)
            return lambda: (subprocess.run(["umount", "-l", data]), os.rmdir(data))

        def faults(cluster, job, monitor):
            self.wait_fraction(cluster, job, ROWS, 0.2)
            filler = os.path.join(cluster.dir, "collector", "filler")
            with open(filler, "wb") as f:
                try:
                    while True:
                        f.write(b"\0" * 65536)
                        f.flush()
                except OSError:
                    pass  # ENOSPC: the disk is full
            t_full = time.monotonic()
            rows_full = monitor.done_rows()
            time.sleep(8)
            rows_after = monitor.done_rows()
            self.assertTrue(cluster.collector.alive(), cluster.collector.log_tail())
            self.assertNotEqual(cluster.status(job)["state"], "done", "done with a full disk")
            os.remove(filler)
            freed = time.monotonic()
            cluster.wait_rows(job, rows_after + 1, timeout=120)
            return {"rows_done_while_full": rows_after - rows_full,
                    "full_for_s": round(freed - t_full, 1),
                    "recovery_after_free_s": lambda: self.seconds(monitor.recovery_after(freed))}

        self.check_identical("collector_disk_full", ROWS, faults,
                             "collector data dir on a 16 MB tmpfs, filled at 20 % for 8 s, then "
                             "freed", setup=setup)

    def test_sigterm_every_worker(self):
        def faults(cluster, job, monitor):
            self.wait_fraction(cluster, job, ROWS, 0.3)
            t = time.monotonic()
            for w in cluster.workers:
                w.signal(signal.SIGTERM)
            codes = [w.wait(timeout=60) for w in cluster.workers]
            drained = time.monotonic() - t
            status = cluster.status(job)
            self.assertEqual(codes, [0] * len(codes))
            self.assertEqual(status["chunks_leased"], 0, "a drained worker kept a lease")
            for _ in range(2):
                cluster.start_worker()
            return {"drain_s": round(drained, 2), "worker_exit_codes": codes,
                    "leases_left_after_drain": status["chunks_leased"]}

        self.check_identical("sigterm_every_worker", ROWS, faults,
                             "SIGTERM both workers at 30 % (graceful drain), start two new ones",
                             classifier=("--latency-ms", "20"))


if __name__ == "__main__":
    if SKIP_REASON:
        print(f"SKIPPED: the fault suite needs network namespaces: {SKIP_REASON}",
              file=sys.stderr)
        sys.exit(77)
    unittest.main(verbosity=2)
