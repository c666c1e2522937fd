"""Crash tests: SIGKILL a worker mid-job, then the broker (restarted), then the collector
(restarted). The job completes and its output is byte-identical to a run without faults."""

import os
import signal
import time
import unittest

from sieve_harness import Cluster, check_output, generate_csv

ROWS = 20_000


class CrashTest(unittest.TestCase):
    def run_job(self, name, data, faults):
        cluster = Cluster(name)
        try:
            cluster.start(workers=2, classifier_flags=("--latency-ms", "1"),
                          worker_flags=("--concurrency", "16"))
            job = cluster.submit([data], "--chunk-rows", "250")
            faults(cluster, job)
            out = os.path.join(cluster.dir, "out.csv")
            cluster.sieve("wait", job, "-o", out, timeout=300)
            with open(out, "rb") as f:
                return f.read(), cluster.endpoint, out, cluster
        except Exception:
            cluster.close(keep=True)
            raise

    def test_kill_worker_broker_collector(self):
        data_dir = Cluster("crash-data")
        data = generate_csv(os.path.join(data_dir.dir, "in.csv"), ROWS, seed=11)

        reference, _, _, ref_cluster = self.run_job("reference", data, lambda c, j: None)
        ref_cluster.close()

        def faults(cluster, job):
            cluster.wait_rows(job, ROWS // 10)
            cluster.workers[0].signal(signal.SIGKILL)
            cluster.start_worker("--concurrency", "16")
            cluster.wait_rows(job, ROWS * 3 // 10)
            cluster.broker.signal(signal.SIGKILL)
            cluster.broker.kill()
            cluster.start_broker()
            cluster.wait_rows(job, ROWS // 2)
            cluster.collector.signal(signal.SIGKILL)
            cluster.collector.kill()
            cluster.start_collector()

        output, endpoint, out_path, cluster = self.run_job("faults", data, faults)
        try:
            check_output([data], out_path, endpoint, sample=200)
            self.assertEqual(output, reference, "output differs from the fault-free run")
        finally:
            cluster.close()
            data_dir.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
