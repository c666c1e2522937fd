"""Security tests: CURVE encryption and authentication with roles, and hostile peers.

Real executables on loopback (tests/integration/sieve_harness.py), keys made with
`sieve keygen`, a packet capture with tcpdump, and hostile frames sent with pyzmq (Debian's
python3-zmq, python3-msgpack).

What is checked (issue 8, docs/security.md):
  - with CURVE a job completes, and a capture of the broker's and collector's ports does not
    contain a content string of the input; without CURVE the same capture does (so the check
    can fail);
  - a worker with an unknown key, or with a client's key, gets no chunk; a worker's key can
    neither submit nor cancel; one client cannot cancel another client's job;
  - garbage, truncated, oversized and wrong-version frames are refused (wrong version with a
    clear ERROR reply) and counted, while a real job completes alongside;
  - secrets (endpoint credentials, auth headers) appear in no log, status or metrics output;
  - without keys, the broker and the collector refuse to listen on a non-loopback address.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import sieve_harness as h  # noqa: E402
from suite_skip import run_tests  # noqa: E402

import msgpack  # noqa: E402
import zmq  # noqa: E402

SECRET_WORD = "zanzibarmarmalade"  # the content string the capture must (not) show
AUTH_SECRET = "Bearer tok-5f0e9a1c77"


def write_input(path, rows):
    with open(path, "w", newline="") as f:
        f.write("website,content\n")
        for i in range(rows):
            f.write(f"https://site{i}.example,\"{SECRET_WORD} news about the election {i}\"\n")


class Keys:
    """`sieve keygen` keys for every role, and an allow-list directory."""

    def __init__(self, root):
        self.dir = os.path.join(root, "keys")
        self.allow = os.path.join(root, "allow")
        for name, role in (("broker", None), ("collector", "collectors"), ("worker", "workers"),
                           ("client", "clients"), ("client2", "clients"), ("stranger", None)):
            r = subprocess.run([h.exe("sieve"), "keygen", name, "--dir", self.dir],
                               capture_output=True, check=True)
            public = r.stdout.decode().strip()
            assert len(public) == 40, public
            if role:
                os.makedirs(os.path.join(self.allow, role), exist_ok=True)
                shutil.copy(os.path.join(self.dir, name + ".pub"), os.path.join(self.allow, role))

    def key(self, name):
        return os.path.join(self.dir, name + ".key")

    def pub(self, name):
        return os.path.join(self.dir, name + ".pub")

    def client_flags(self, name="client"):
        return ["--curve-key", self.key(name), "--broker-key", self.pub("broker")]


def start_secure(cluster, keys):
    cluster.start_classifier()
    cluster.start_broker("tcp://127.0.0.1:*", "--curve-key", keys.key("broker"),
                         "--allow", keys.allow, "--metrics", "127.0.0.1:0")
    cluster.start_collector("--curve-key", keys.key("collector"), "--broker-key",
                            keys.pub("broker"), "--allow", keys.allow)


def port_of(endpoint):
    return endpoint.rsplit(":", 1)[1]


class Capture:
    """tcpdump on loopback, of the broker's and collector's TCP ports only (the HTTP calls to
    the endpoint are not Sieve's transport)."""

    def __init__(self, cluster):
        self.path = os.path.join(cluster.dir, "capture.pcap")
        ports = f"tcp port {port_of(cluster.broker.endpoint)} or " \
                f"tcp port {port_of(cluster.collector.endpoint)}"
        self.proc = subprocess.Popen(["tcpdump", "-i", "lo", "-U", "-s", "0", "-w", self.path,
                                      ports], stderr=subprocess.PIPE)
        line = self.proc.stderr.readline()  # "listening on lo ..." once it captures
        if b"listening" not in line:
            raise unittest.SkipTest(f"tcpdump cannot capture here: {line!r}")

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(timeout=10)
        self.proc.stderr.close()
        with open(self.path, "rb") as f:
            return f.read()


def metric(address, name):
    text = urllib.request.urlopen(f"http://{address}/metrics", timeout=5).read().decode()
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and not line.startswith("#"):
            total += float(line.rsplit(" ", 1)[1])
    return total


class SecurityTest(unittest.TestCase):
    def setUp(self):
        if shutil.which("tcpdump") is None:
            self.skipTest("tcpdump is not installed (scripts/install-deps.sh installs it)")
        self.cluster = h.Cluster(self.id().rsplit(".", 1)[1])
        self.input = os.path.join(self.cluster.dir, "input.csv")
        write_input(self.input, 400)

    def tearDown(self):
        self.cluster.close()

    def run_job(self, client_flags=()):
        c = self.cluster
        output = os.path.join(c.dir, "out.csv")
        c.sieve("submit", self.input, "--endpoint", c.endpoint, "--chunk-rows", "50",
                "--wait", "-o", output, *client_flags, timeout=120)
        h.check_output([self.input], output, endpoint=c.endpoint, sample=20)
        return output

    def test_curve_hides_content_that_plaintext_shows(self):
        c = self.cluster
        # Plaintext first: the capture must show the content (else the check below is void).
        c.start(workers=1)
        capture = Capture(c)
        self.run_job()
        self.assertIn(SECRET_WORD.encode(), capture.stop(), "plaintext capture lacks content")
        c.close()

        c = self.cluster = h.Cluster("curve")
        self.input = os.path.join(c.dir, "input.csv")
        write_input(self.input, 400)
        keys = Keys(c.dir)
        start_secure(c, keys)
        c.start_worker("--curve-key", keys.key("worker"), "--broker-key", keys.pub("broker"))
        capture = Capture(c)
        self.run_job(keys.client_flags())
        pcap = capture.stop()
        self.assertGreater(len(pcap), 20_000, "the capture saw no job traffic")
        self.assertNotIn(SECRET_WORD.encode(), pcap, "CURVE traffic shows the content")

    def test_roles_and_unknown_keys(self):
        c = self.cluster
        keys = Keys(c.dir)
        start_secure(c, keys)
        broker_key = ["--broker-key", keys.pub("broker")]
        stranger = c.start_worker("--curve-key", keys.key("stranger"), *broker_key)
        client_as_worker = c.start_worker("--curve-key", keys.key("client"), *broker_key)
        job = c.sieve("submit", self.input, "--endpoint", c.endpoint, "--chunk-rows", "50",
                      *keys.client_flags()).stdout.decode().split()[0]
        time.sleep(3)  # ample time for a chunk to be leased, were any worker allowed
        status = json.loads(c.sieve("status", job, "--json", *keys.client_flags()).stdout)
        self.assertEqual(status["done_rows"], 0)
        workers = json.loads(c.sieve("workers", "--json", *keys.client_flags()).stdout)
        self.assertEqual(workers, [], "a worker without a worker key registered")
        self.assertIn("not on the allow-list", c.broker.log_tail(20000))
        self.assertIn("READY is not allowed for a", c.broker.log_tail(20000))
        self.assertTrue(stranger.alive() and client_as_worker.alive())

        # A worker key can neither submit nor cancel; another client cannot cancel the job.
        # Each refusal is an ERROR reply, counted.
        refused_before = metric(c.broker.metrics, "sieve_broker_messages_refused_total")
        r = c.sieve("submit", self.input, "--endpoint", c.endpoint,
                    *keys.client_flags("worker"), check=False)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(b"not allowed for a worker key", r.stderr)
        r = c.sieve("cancel", job, *keys.client_flags("worker"), check=False)
        self.assertEqual(r.returncode, 2, r.stderr)
        r = c.sieve("cancel", job, *keys.client_flags("client2"), check=False)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(b"belongs to another client", r.stderr)
        deadline = time.time() + 5  # the broker publishes its counters every 250 ms
        while metric(c.broker.metrics, "sieve_broker_messages_refused_total") - refused_before \
                < 3 and time.time() < deadline:
            time.sleep(0.1)
        refused = metric(c.broker.metrics, "sieve_broker_messages_refused_total")
        self.assertGreaterEqual(refused - refused_before, 3, "refusals not counted")
        # Without any key the broker is unreachable (the handshake never completes).
        r = c.sieve("status", job, check=False, timeout=60)
        self.assertEqual(r.returncode, 3, r.stderr)

        # The job is intact: a real worker finishes it.
        c.start_worker("--curve-key", keys.key("worker"), *broker_key)
        output = os.path.join(c.dir, "out.csv")
        c.sieve("wait", job, "-o", output, *keys.client_flags(), timeout=120)
        h.check_output([self.input], output, endpoint=c.endpoint, sample=20)

    def test_hostile_frames_are_refused_and_counted_while_a_job_completes(self):
        c = self.cluster
        c.start_classifier()
        c.start_broker("tcp://127.0.0.1:*", "--metrics", "127.0.0.1:0")
        c.start_collector()
        c.start_worker()
        context = zmq.Context()
        hostile = context.socket(zmq.DEALER)
        hostile.setsockopt(zmq.LINGER, 0)
        hostile.connect(c.broker.endpoint)
        header = msgpack.packb({"request_id": 7, "job_id": "j0000000000000001"})
        tag = b"SIEVE\x01"
        bad = [
            [b"\x00garbage"],                                        # no protocol tag
            [tag, b"STATUS", header[:3]],                            # truncated msgpack
            [tag, b"STATUS", b"\xdd\xff\xff\xff\xff"],               # 4-billion-element array
            [tag, b"STATUS", b"\xc6\x7f\xff\xff\xff"],               # 2 GiB bin header
            [tag, b"X" * 100, header],                               # oversized command
            [tag, b"NO_SUCH_COMMAND", header],
            [tag] + [b"x"] * 20,                                     # too many frames
        ]
        huge = [[tag, b"STATUS", b"\x01" * (2 << 20)],                # header over 1 MiB
                [tag, b"SUBMIT", header, b"x" * (300 << 20)]]         # over the socket limit
        refused_before = metric(c.broker.metrics, "sieve_broker_messages_refused_total")
        output = os.path.join(c.dir, "out.csv")
        job = subprocess.Popen(c.wrap("client", [h.exe("sieve"), "submit", self.input,
                                                 "--endpoint", c.endpoint, "--chunk-rows", "20",
                                                 "--wait", "-o", output]),
                               env=dict(os.environ, SIEVE_BROKER=c.broker.endpoint),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        # A flood of garbage while the job runs: it must not starve the job.
        for _ in range(200):
            for frames in bad:
                hostile.send_multipart(frames)
        hostile.send_multipart([b"SIEVE\x02", b"STATUS", header])  # a future version
        for frames in huge:  # the last one makes libzmq drop the connection: sent last
            hostile.send_multipart(frames)
        out, err = job.communicate(timeout=120)
        self.assertEqual(job.returncode, 0, err.decode() + c.logs())
        h.check_output([self.input], output, endpoint=c.endpoint, sample=20)

        # The wrong version gets a clear ERROR reply in our version.
        replies = []
        while hostile.poll(3000):
            replies.append(hostile.recv_multipart())
        version_replies = [r for r in replies if b"version" in b"".join(r)]
        self.assertTrue(version_replies, f"no version_mismatch reply among {len(replies)}")
        self.assertEqual(version_replies[-1][0], tag)
        refused = metric(c.broker.metrics, "sieve_broker_messages_refused_total")
        self.assertGreaterEqual(refused - refused_before, 200 * len(bad) + 1)
        hostile.close()
        context.term()

    def test_plaintext_daemons_refuse_non_loopback_addresses(self):
        # Secure default: without CURVE keys, binding anything but loopback is refused at start
        # with an explanation (refused before binding, so nothing listens on 0.0.0.0 here).
        c = self.cluster
        c.start_broker()
        for program, flags in (("sieve-broker", []),
                               ("sieve-collector", ["--broker", c.broker.endpoint])):
            with self.subTest(program=program):
                r = subprocess.run([h.exe(program), "--listen", "tcp://0.0.0.0:*", "--data-dir",
                                    os.path.join(c.dir, program), *flags],
                                   capture_output=True, text=True, timeout=30)
                self.assertNotEqual(r.returncode, 0, r.stdout + r.stderr)
                self.assertIn("refusing to listen on tcp://0.0.0.0:* without encryption",
                              r.stderr)
                self.assertIn("--insecure", r.stderr)
                self.assertNotIn("listening on", r.stdout)

    def test_per_client_limits(self):
        c = self.cluster
        c.start_classifier()
        c.start_broker("tcp://127.0.0.1:*", "--max-jobs-per-client", "1",
                       "--max-spool-bytes-per-client", "30000")
        c.start_collector()  # no workers: submitted jobs stay in flight
        small = os.path.join(c.dir, "small.csv")
        write_input(small, 10)
        c.submit([small])
        r = c.sieve("submit", small, "--endpoint", c.endpoint, check=False)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn(b"already has 1 jobs in flight", r.stderr)

        c.close()
        c = self.cluster = h.Cluster("spool")
        c.start_classifier()
        c.start_broker("tcp://127.0.0.1:*", "--max-spool-bytes-per-client", "20000")
        c.start_collector()
        self.input = os.path.join(c.dir, "input.csv")
        write_input(self.input, 400)  # ~25 KB of chunks
        r = c.sieve("submit", self.input, "--endpoint", c.endpoint, "--chunk-rows", "50",
                    check=False)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn(b"--max-spool-bytes-per-client", r.stderr)
        # The half-uploaded job never runs: it is cancelled, not left open.
        jobs = json.loads(c.sieve("jobs", "--json").stdout)
        self.assertEqual([j["state"] for j in jobs], ["cancelled"], jobs)

    def test_secrets_stay_out_of_logs_status_and_metrics(self):
        c = self.cluster
        c.start_classifier()
        c.start_broker("tcp://127.0.0.1:*", "--metrics", "127.0.0.1:0")
        c.start_collector()
        worker = c.start_worker("--metrics", "127.0.0.1:0", "--log-level", "debug")
        worker.wait_metrics()
        endpoint = c.endpoint.replace("http://", "http://alice:pw-77aa31@") + "?api_key=k-9d2c"
        output = os.path.join(c.dir, "out.csv")
        r = c.sieve("submit", self.input, "--endpoint", endpoint, "--header",
                    f"Authorization: {AUTH_SECRET}", "--wait", "-o", output, timeout=120)
        job = r.stdout.decode().split()[0]
        status = c.sieve("status", job, "--json").stdout + c.sieve("jobs", "--json").stdout
        metrics = b"".join(urllib.request.urlopen(f"http://{a}/metrics", timeout=5).read()
                           for a in (c.broker.metrics, worker.metrics))
        logs = c.logs().encode() + r.stderr
        for secret in (b"tok-5f0e9a1c77", b"pw-77aa31", b"k-9d2c"):
            for name, text in (("logs", logs), ("status", status), ("metrics", metrics)):
                self.assertNotIn(secret, text, f"{secret!r} appears in {name}")


if __name__ == "__main__":
    run_tests()
