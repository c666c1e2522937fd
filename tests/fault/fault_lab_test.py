"""Tests of the simulated machines themselves (fault_lab.py): hosts reach each other across the
bridge, a cut link really cuts, close() leaves no namespace behind, and sweep_stale() removes
what a SIGKILLed run left (its namespaces and the processes inside) without touching a live
run's. Exit 77 (skipped) without the privilege to create network namespaces."""

import os
import subprocess
import sys
import time
import unittest

import fault_lab
from fault_lab import HOSTS, PREFIX, NetLab, namespaces, netns_unavailable
from suite_skip import run_tests, skip_suite

SKIP_REASON = netns_unavailable()

# Runs in a host's namespace: connects to HOST:PORT within a timeout, prints "ok" or the error.
CONNECT = ("import socket, sys\n"
           "try:\n"
           "    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2).close()\n"
           "    print('ok')\n"
           "except OSError as e:\n"
           "    print(type(e).__name__)\n")
LISTEN = ("import socket, sys, time\n"
          "s = socket.create_server((sys.argv[1], int(sys.argv[2])))\n"
          "print('ready', flush=True)\n"
          "while True:\n"
          "    s.accept()[0].close()\n")


class NetLabTest(unittest.TestCase):
    def connect(self, lab, host, to_host, port):
        return fault_lab.run("ip", "netns", "exec", lab.ns(host), sys.executable, "-c", CONNECT,
                             HOSTS[to_host], str(port)).strip()

    def test_hosts_talk_across_the_bridge_until_a_link_is_cut(self):
        lab = NetLab()
        server = None
        try:
            server = subprocess.Popen(["ip", "netns", "exec", lab.ns("bc"), sys.executable, "-c",
                                       LISTEN, HOSTS["bc"], "7400"], stdout=subprocess.PIPE)
            self.assertEqual(server.stdout.readline().strip(), b"ready")
            self.assertEqual(self.connect(lab, "w1", "bc", 7400), "ok")
            self.assertEqual(self.connect(lab, "w2", "bc", 7400), "ok")
            lab.link("w1", up=False)
            self.assertNotEqual(self.connect(lab, "w1", "bc", 7400), "ok")
            self.assertEqual(self.connect(lab, "w2", "bc", 7400), "ok")
            lab.link("w1", up=True)
            deadline = time.monotonic() + 10
            while self.connect(lab, "w1", "bc", 7400) != "ok":
                self.assertLess(time.monotonic(), deadline, "w1 did not come back")
                time.sleep(0.2)
        finally:
            if server:
                server.kill()
                server.wait()
                server.stdout.close()
            lab.close()
        self.assertFalse([n for n in namespaces() if n.startswith(lab.prefix)],
                         "close() left namespaces")

    def test_sweep_removes_only_dead_runs(self):
        dead_pid = (1 << 22) + os.getpid()  # above the kernel's largest pid: never alive
        stale, live = f"{PREFIX}{dead_pid}-bc", f"{PREFIX}{os.getpid()}-sweep"
        fault_lab.run("ip", "netns", "add", stale)
        fault_lab.run("ip", "netns", "add", live)
        sleeper = subprocess.Popen(["ip", "netns", "exec", stale, "sleep", "600"])
        try:
            swept = fault_lab.sweep_stale()  # (a parallel run's sweep may have come first)
            self.assertNotIn(live, swept)
            self.assertEqual(sleeper.wait(timeout=10), -9, "the process inside was not killed")
            self.assertNotIn(stale, namespaces())
            self.assertIn(live, namespaces())
        finally:
            sleeper.kill()
            sleeper.wait()
            for name in (stale, live):
                subprocess.run(["ip", "netns", "del", name], capture_output=True)


if __name__ == "__main__":
    if SKIP_REASON:
        skip_suite(SKIP_REASON)
    run_tests(verbosity=2)
