"""Fail before paying, keep what was paid for (issue 19): the real `sieve` client against a real
cluster and a real endpoint (sieve-classifier), with requests counted AT THE ENDPOINT (its
Prometheus /metrics).

- A bad -o (missing directory, a directory that takes no file, the output being an input, a
  directory) is a usage error (exit 2) with a clear message before anything is sent: the
  endpoint has answered 0 requests and the broker knows no job. For `sieve run`, `sieve submit
  --wait -o`, `sieve fetch -o` and `sieve wait -o`.
- A disk that fills while the output is written (a tmpfs with a size limit, mounted by the
  test): the command fails, leaves no partial output, keeps the results (at the collector; for
  `sieve run`, in its data dir) and prints a `sieve fetch` command; once there is room the test
  runs that command verbatim and gets the whole output, without one more request at the
  endpoint.

Unwritable directories: the test runs as root, whom permission bits do not stop, so it uses a
read-only tmpfs mount, and permission bits with the client run as an unprivileged user
(setpriv). Tests needing mount (root) are skipped with the reason when it is impossible, and the
suite then exits 77 (CTest: skipped, never passed).
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
import unittest
import urllib.request

from sieve_harness import Cluster, check_output, exe, generate_csv

ROWS = 3000  # about 390 KB of input, 410 KB of output


def endpoint_requests(classifier):
    """Requests the classifier has answered on /classify and /classify/batch (its /metrics)."""
    with urllib.request.urlopen(f"http://{classifier.endpoint}/metrics", timeout=10) as r:
        text = r.read().decode()
    counts = re.findall(r'^sieve_classifier_request_duration_seconds_count\{[^}]*\} (\S+)$', text,
                        re.M)
    if not counts:
        raise AssertionError(f"no request counts in the classifier's metrics:\n{text}")
    return sum(int(float(c)) for c in counts)


def try_mount(target, options):
    """Mounts a tmpfs on `target`; returns None, or why it is impossible."""
    os.makedirs(target, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "sieve-out", target],
                       capture_output=True)
    if r.returncode != 0:
        return f"cannot mount a tmpfs ({r.stderr.decode().strip() or 'not root'})"
    return None


SKIPPED = []


class OutputPathTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster("output-path")
        cls.cluster.start(workers=2)
        cls.input = generate_csv(os.path.join(cls.cluster.dir, "in.csv"), ROWS, seed=19)

    @classmethod
    def tearDownClass(cls):
        cls.cluster.close()

    def setUp(self):
        self.dir = os.path.join(self.cluster.dir, self._testMethodName)
        os.makedirs(self.dir)
        self.mounts = []

    def tearDown(self):
        for m in reversed(self.mounts):
            subprocess.run(["umount", "-l", m], capture_output=True)

    def mount(self, name, options):
        target = os.path.join(self.dir, name)
        why = try_mount(target, options)
        if why:
            SKIPPED.append(f"{self._testMethodName}: {why}")
            self.skipTest(why)
        self.mounts.append(target)
        return target

    def sieve(self, *args, env=None, prefix=(), timeout=300):
        env = dict(os.environ, SIEVE_BROKER=self.cluster.broker.endpoint, TMPDIR=self.dir,
                   **(env or {}))
        return subprocess.run([*prefix, exe("sieve"), *args], capture_output=True, env=env,
                              timeout=timeout, cwd=self.dir)

    def jobs(self):
        return self.cluster.sieve("jobs", "--json").stdout.decode()

    # -- fail before paying -----------------------------------------------------------
    def expect_refused(self, output, message, inputs=None, prefix=()):
        """Every command that writes -o refuses `output` with exit 2 and `message`, and
        nothing reaches the endpoint or the broker."""
        inputs = inputs or [self.input]
        jobs_before = self.jobs()
        requests_before = endpoint_requests(self.cluster.classifier)
        commands = {
            "run": ["run", *inputs, "-o", output, "--endpoint", self.cluster.endpoint],
            "submit --wait": ["submit", *inputs, "-o", output, "--endpoint",
                              self.cluster.endpoint, "--wait"],
            "fetch": ["fetch", "j0000000000000000", "-o", output],
            "wait": ["wait", "j0000000000000000", "-o", output],
        }
        for name, args in commands.items():
            with self.subTest(command=name):
                r = self.sieve(*args, prefix=prefix)
                err = r.stderr.decode()
                self.assertEqual(r.returncode, 2, f"{name}: {err}")
                self.assertIn(message, err, name)
                self.assertIn("nothing was sent", err, name)
                self.assertNotIn("submitted", err, name)
        self.assertEqual(endpoint_requests(self.cluster.classifier), requests_before,
                         "requests reached the endpoint")
        self.assertEqual(self.jobs(), jobs_before, "a job reached the broker")

    def test_missing_directory(self):
        out = os.path.join(self.dir, "no", "such", "dir", "out.csv")
        self.expect_refused(out, f"the directory {os.path.dirname(out)} of -o {out} does not "
                                 f"exist; create it (mkdir -p {os.path.dirname(out)})")
        self.assertFalse(os.path.exists(os.path.join(self.dir, "no")))

    def test_read_only_mount(self):
        ro = self.mount("ro", "ro,size=1m")
        self.expect_refused(os.path.join(ro, "out.csv"), "Read-only file system")

    def test_directory_without_write_permission(self):
        # Permission bits stop only an unprivileged user: the client runs as `nobody`.
        if shutil.which("setpriv") is None or os.geteuid() != 0:
            SKIPPED.append(f"{self._testMethodName}: needs root and setpriv")
            self.skipTest("needs root and setpriv (util-linux) to run the client as nobody")
        locked = os.path.join(self.dir, "locked")
        os.makedirs(locked)
        os.chmod(locked, 0o555)
        for d in (self.cluster.dir, self.dir):
            os.chmod(d, 0o755)  # nobody must reach the input and the locked directory
        os.chmod(self.input, 0o644)
        nobody = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")
        # Control: nobody can run the client and pass the check where it may write (the
        # broker then answers that the job is unknown).
        open_dir = os.path.join(self.dir, "open")
        os.makedirs(open_dir)
        os.chmod(open_dir, 0o777)
        r = self.sieve("fetch", "j0000000000000000", "-o", os.path.join(open_dir, "x.csv"),
                       prefix=nobody)
        self.assertNotIn("nothing was sent", r.stderr.decode())
        self.assertNotEqual(r.returncode, 0)
        self.expect_refused(os.path.join(locked, "out.csv"), "Permission denied", prefix=nobody)

    def test_output_is_an_input(self):
        link = os.path.join(self.dir, "link.csv")
        os.symlink(self.input, link)
        hard = os.path.join(self.dir, "hard.csv")
        os.link(self.input, hard)
        other = generate_csv(os.path.join(self.dir, "other.csv"), 10, seed=2)
        with open(self.input, "rb") as f:
            before = f.read()
        for out, inputs in ((self.input, None), (link, None), (hard, None),
                            (os.path.join(self.dir, "..", os.path.basename(self.dir), "hard.csv"),
                             None), (other, [self.input, other])):
            with self.subTest(output=out):
                self.expect_one_refused_as_input(out, inputs or [self.input])
        # The files written beside the output count too.
        side = os.path.join(self.dir, "side.csv")
        shutil.copy(self.input, side + ".summary.json")
        self.expect_one_refused_as_input(side, [self.input, side + ".summary.json"])
        with open(self.input, "rb") as f:
            self.assertEqual(f.read(), before)

    def expect_one_refused_as_input(self, output, inputs):
        requests_before = endpoint_requests(self.cluster.classifier)
        for cmd in (["run", *inputs, "-o", output, "--endpoint", self.cluster.endpoint],
                    ["submit", *inputs, "-o", output, "--endpoint", self.cluster.endpoint,
                     "--wait"]):
            r = self.sieve(*cmd)
            err = r.stderr.decode()
            self.assertEqual(r.returncode, 2, err)
            self.assertIn(f"-o {output} would overwrite the input", err)
        self.assertEqual(endpoint_requests(self.cluster.classifier), requests_before)

    def test_output_is_a_directory(self):
        self.expect_refused(self.dir, f"-o {self.dir} is a directory")

    # -- keep what was paid for ---------------------------------------------------------
    def fill_then_fetch(self, r, out, small, expect_flag):
        """`r` failed to write `out` on the full tmpfs `small`: checks the message and that no
        partial output is left, makes room, runs the printed fetch command verbatim, and checks
        the full output. Returns the command run."""
        err = r.stderr.decode()
        self.assertEqual(r.returncode, 1, err)
        self.assertIn("No space left on device", err)
        self.assertIn("the results are kept", err)
        self.assertEqual(sorted(os.listdir(small)), [], f"files left behind: {err}")
        lines = [l.strip() for l in err.splitlines() if l.strip().startswith("sieve fetch ")]
        self.assertEqual(len(lines), 1, err)
        command = shlex.split(lines[0])
        self.assertIn(expect_flag, command)
        self.assertEqual(command[command.index("-o") + 1], out)
        subprocess.run(["mount", "-o", "remount,size=8m", small], check=True)
        requests_before = endpoint_requests(self.cluster.classifier)
        fetched = self.sieve(*command[1:])
        self.assertEqual(fetched.returncode, 0, fetched.stderr.decode())
        self.assertEqual(endpoint_requests(self.cluster.classifier), requests_before,
                         "fetching the kept results sent requests again")
        check_output([self.input], out, self.cluster.endpoint, sample=100)
        self.assertTrue(os.path.exists(out + ".summary.json"))
        return command

    def test_disk_full_in_sieve_run_keeps_the_data_dir(self):
        small = self.mount("small", "size=128k")
        out = os.path.join(small, "out.csv")
        before = endpoint_requests(self.cluster.classifier)
        r = self.sieve("run", self.input, "-o", out, "--endpoint", self.cluster.endpoint)
        self.assertGreaterEqual(endpoint_requests(self.cluster.classifier) - before, ROWS)
        command = self.fill_then_fetch(r, out, small, "--data-dir")
        data_dir = command[command.index("--data-dir") + 1]
        self.assertTrue(data_dir.startswith(self.dir), data_dir)  # sieve run's own TMPDIR dir
        self.assertIn(f"kept in {data_dir}", r.stderr.decode())

    def test_disk_full_in_submit_wait(self):
        small = self.mount("small", "size=128k")
        out = os.path.join(small, "out.csv")
        r = self.sieve("submit", self.input, "--endpoint", self.cluster.endpoint, "--wait", "-o",
                       out)
        self.fill_then_fetch(r, out, small, "--broker")

    def test_disk_full_in_fetch_and_wait(self):
        job = self.cluster.submit([self.input])
        small = self.mount("small", "size=128k")
        out = os.path.join(small, "out.csv")
        r = self.sieve("wait", job, "-o", out)
        self.assertIn(job, r.stderr.decode())
        self.assertEqual(sorted(os.listdir(small)), [])
        r = self.sieve("fetch", job, "-o", out)
        self.fill_then_fetch(r, out, small, job)

    def test_disk_full_after_the_output_leaves_nothing(self):
        # Room for the output but not for the summary written beside it: the complete
        # output.partial must go too, and no output may appear without its summary.
        job = self.cluster.submit([self.input])
        probe = os.path.join(self.dir, "probe.csv")
        self.assertEqual(self.sieve("wait", job, "-o", probe).returncode, 0)
        pages = (os.path.getsize(probe) + 4095) // 4096
        small = self.mount("small", f"size={pages * 4096}")
        out = os.path.join(small, "out.csv")
        r = self.sieve("fetch", job, "-o", out)
        self.assertIn("summary.json.partial: No space left on device", r.stderr.decode())
        self.fill_then_fetch(r, out, small, job)
        with open(probe, "rb") as a, open(out, "rb") as b:
            self.assertEqual(a.read(), b.read())


if __name__ == "__main__":
    result = unittest.main(verbosity=2, exit=False).result
    if not result.wasSuccessful():
        sys.exit(1)
    if SKIPPED:
        print("SKIPPED (not everything was checked):\n  " + "\n  ".join(SKIPPED))
        sys.exit(77)
