"""HTTP/2 and TLS endpoints, through real nginx on loopback.

nginx (Debian's nginx-light) terminates TLS with HTTP/2 (ALPN) and proxies to the reference
classifier; a self-signed certificate made by the test is the endpoint's private CA. Checks:
- sieve-label-file over https:// multiplexes: every row labelled as the classifier labels it,
  over at most 2 TCP connections (nginx's stub_status counts them), where --http 1.1 opens one
  per concurrent request (so the connection check can fail);
- without --ca-file the certificate is refused: every row fails with a reason naming it;
- --http h2c is refused with a clear error on a libcurl older than 8.0.0 (curl issue #10634:
  reused h2c connections fail), and works on a newer one;
- a job through the pipeline reaches the https:// endpoint from a worker started with
  --ca-file, and a worker without it hands its chunk back (instead of committing error rows)
  so that the worker set up right labels every row.
Skips (exit 77) when nginx or openssl is missing; scripts/install-deps.sh installs both.
"""

import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from sieve_harness import Cluster, Process, check_output, exe, generate_csv, read_csv  # noqa: E402
from suite_skip import run_tests, skip_suite  # noqa: E402

ROWS = 2000
CONCURRENCY = 32
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def libcurl_version():
    out = subprocess.run(["curl-config", "--vernum"], capture_output=True, text=True)
    return int(out.stdout.strip(), 16) if out.returncode == 0 else None


class Http2Test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster("http2")
        try:
            cls.cluster.start_classifier()
            cls.dir = cls.cluster.dir
            cls.cert = os.path.join(cls.dir, "cert.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days",
                            "1", "-subj", "/CN=127.0.0.1", "-addext",
                            "subjectAltName=IP:127.0.0.1", "-keyout",
                            os.path.join(cls.dir, "key.pem"), "-out", cls.cert],
                           check=True, capture_output=True)
            cls.port = free_port()      # TLS + HTTP/2
            cls.h2c_port = free_port()  # HTTP/2 without TLS (prior knowledge)
            cls.start_nginx()
            cls.input = generate_csv(os.path.join(cls.dir, "in.csv"), ROWS, seed=21)
        except BaseException:
            cls.cluster.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.cluster.close()

    @classmethod
    def start_nginx(cls):
        conf = os.path.join(cls.dir, "nginx.conf")
        temp = os.path.join(cls.dir, "nginx-temp")
        os.makedirs(temp)
        with open(conf, "w") as f:
            f.write(f"""
worker_processes 1;
master_process off;
daemon off;
pid {cls.dir}/nginx.pid;
error_log {cls.dir}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {temp}/body; proxy_temp_path {temp}/proxy;
  fastcgi_temp_path {temp}/fastcgi; uwsgi_temp_path {temp}/uwsgi; scgi_temp_path {temp}/scgi;
  upstream classifier {{ server {cls.cluster.classifier.endpoint}; keepalive 64; }}
  server {{
    listen 127.0.0.1:{cls.port} ssl http2;
    ssl_certificate {cls.cert};
    ssl_certificate_key {cls.dir}/key.pem;
    keepalive_requests 100000;
    http2_max_requests 100000;
    location = /nginx_status {{ stub_status; }}
    location / {{
      proxy_pass http://classifier;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }}
  }}
  server {{
    listen 127.0.0.1:{cls.h2c_port} http2;
    location / {{
      proxy_pass http://classifier;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }}
  }}
}}
""")
        nginx = Process("nginx", [NGINX, "-p", cls.dir, "-c", conf],
                        os.path.join(cls.dir, "nginx.log"))
        cls.cluster.processes.append(nginx)
        nginx.start(wait_listening=False)
        deadline = time.time() + 10
        while time.time() < deadline and nginx.alive():
            try:
                for port in (cls.port, cls.h2c_port):
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nginx did not start:\n" + nginx.log_tail())

    @property
    def url(self):
        return f"https://127.0.0.1:{self.port}/classify"

    def connections_accepted(self):
        """nginx's count of TCP connections accepted so far (this query's own included)."""
        context = ssl.create_default_context(cafile=self.cert)
        with urllib.request.urlopen(f"https://127.0.0.1:{self.port}/nginx_status",
                                    context=context, timeout=10) as r:
            lines = r.read().decode().splitlines()
        return int(lines[2].split()[0])

    def label_file(self, name, *flags):
        out = os.path.join(self.dir, name + ".csv")
        errors = os.path.join(self.dir, name + ".errors.csv")
        r = subprocess.run([exe("sieve-label-file"), self.input, "--endpoint", self.url,
                            "-o", out, "--errors", errors, "--concurrency", str(CONCURRENCY),
                            *flags], capture_output=True, text=True, timeout=300)
        return r, out, errors

    def test_https_multiplexes_rows_over_http2(self):
        before = self.connections_accepted()
        r, out, _ = self.label_file("h2", "--ca-file", self.cert)
        self.assertEqual(r.returncode, 0, r.stderr)
        h2_connections = self.connections_accepted() - before - 1
        check_output([self.input], out, self.cluster.endpoint, sample=100)

        before = self.connections_accepted()
        r, out1, _ = self.label_file("h1", "--ca-file", self.cert, "--http", "1.1")
        self.assertEqual(r.returncode, 0, r.stderr)
        h1_connections = self.connections_accepted() - before - 1
        with open(out, "rb") as a, open(out1, "rb") as b:
            self.assertEqual(a.read(), b.read(), "HTTP/2 and HTTP/1.1 labels differ")

        self.assertLessEqual(h2_connections, 2,
                             f"{ROWS} rows at concurrency {CONCURRENCY} over HTTP/2 took "
                             f"{h2_connections} connections")
        self.assertGreaterEqual(h1_connections, CONCURRENCY // 2,
                                "HTTP/1.1 should need a connection per concurrent request")

    def test_unknown_certificate_fails_every_row_fast_with_the_reason(self):
        r, out, errors = self.label_file("no-ca", "--chunk-rows", "500")
        self.assertEqual(r.returncode, 0, r.stderr)  # written; failed rows carry the error label
        self.assertIn(f"0 ok, {ROWS} failed", r.stderr)
        reasons = [row[-1] for row in read_csv(errors)[1:]]
        self.assertEqual(len(reasons), ROWS)
        self.assertTrue(all("certificate" in reason for reason in reasons), reasons[:3])
        self.assertTrue(all(row[-1] == "error" for row in read_csv(out)[1:]))
        # Endpoint-wide: a chunk stops sending after its first refusal, so only the requests
        # already in flight are made (at most CONCURRENCY per chunk in flight), not one per row.
        requests = re.search(r"(\d+) requests", r.stderr)
        self.assertIsNotNone(requests, r.stderr)
        self.assertLess(int(requests.group(1)), ROWS // 4, r.stderr)

    def test_h2c_needs_a_libcurl_that_reuses_h2c_connections(self):
        version = libcurl_version()
        if version is None:
            self.skipTest("curl-config not found: libcurl's version is unknown")
        out = os.path.join(self.dir, "h2c.csv")
        r = subprocess.run([exe("sieve-label-file"), self.input, "--endpoint",
                            f"http://127.0.0.1:{self.h2c_port}/classify", "-o", out,
                            "--http", "h2c", "--concurrency", str(CONCURRENCY)],
                           capture_output=True, text=True, timeout=300)
        if version < 0x080000:
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("--http h2c needs libcurl 8.0.0", r.stderr)
            self.assertFalse(os.path.exists(out), "no output for a refused run")
        else:
            self.assertEqual(r.returncode, 0, r.stderr)
            check_output([self.input], out, self.cluster.endpoint, sample=100)

    def test_worker_without_the_ca_hands_chunks_to_one_with_it(self):
        cluster = Cluster("http2-pipeline")
        try:
            cluster.start_broker()
            cluster.start_collector()
            untrusting = cluster.start_worker()  # no --ca-file: the certificate is refused
            # --max-attempts 5: the untrusting worker may take the same chunk again after its
            # 5 s pause; each hand-back is a failed attempt.
            job = cluster.sieve("submit", self.input, "--endpoint", self.url, "--chunk-rows",
                                "500", "--max-attempts", "5").stdout.decode().split()[0]
            deadline = time.time() + 60
            while "handing the chunk back" not in untrusting.log_tail(100_000) and \
                    time.time() < deadline:
                time.sleep(0.1)
            self.assertIn("signed by a private CA? pass --ca-file", untrusting.log_tail(100_000))
            self.assertEqual(cluster.status(job)["done_rows"], 0, "error rows were committed")
            cluster.start_worker("--ca-file", self.cert)
            out = os.path.join(cluster.dir, "out.csv")
            cluster.sieve("wait", job, "-o", out, timeout=300)
            check_output([self.input], out, self.cluster.endpoint, sample=50)
            self.assertFalse(os.path.exists(out + ".errors.csv"), "rows failed")
        finally:
            cluster.close()


if __name__ == "__main__":
    if not os.access(NGINX, os.X_OK) or shutil.which("openssl") is None:
        skip_suite("nginx or openssl is not installed (scripts/install-deps.sh installs them)")
    run_tests(verbosity=2)
