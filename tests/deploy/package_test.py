"""The Debian package, built and used the way docs/deploy.md says, without a container:

  1. `cpack -G DEB` in the build tree (SIEVE_BIN_DIR) -> sieve_<version>_<arch>.deb;
  2. its control data: every shared library the executables load belongs to a package it
     Depends on, and dpkg accepts installing it on this machine (--dry-run);
  3. `dpkg-deb -x` into a throwaway root: executables, default model, example configuration,
     systemd units, sysusers file and docs are where the units and docs say;
  4. a job runs with the installed executables only, each daemon configured like its systemd
     unit (the shipped example environment file, plus the unit's Environment= lines); and
     `sieve run` works from the installed tree alone;
  5. when the build has the Python module, Debian's /usr/bin/python3 imports it from the
     package's dist-packages and labels a file with sieve.run.

    SIEVE_BIN_DIR=build/release python3 tests/deploy/package_test.py -v
"""

import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

from deploy_lib import DAEMONS, PROGRAMS, SOURCE_DIR, unit_environment
from sieve_harness import BIN_DIR, Process, check_output, generate_csv

PYTHON = "/usr/bin/python3"  # the interpreter the module is built for (python/CMakeLists.txt)
# The extension in the build tree: present when the build has the Python module.
BUILT_MODULE = glob.glob(os.path.join(BIN_DIR, "python", "sieve", "_sieve.*.so"))


def run(*args, **kwargs):
    r = subprocess.run(args, capture_output=True, text=True, timeout=kwargs.pop("timeout", 300),
                       **kwargs)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited {r.returncode}:\n{r.stdout}\n{r.stderr}")
    return r.stdout


def build_deb(out_dir):
    """Runs CPack on the build tree into out_dir; returns the .deb's path."""
    run("cpack", "-G", "DEB", "--config", os.path.join(BIN_DIR, "CPackConfig.cmake"),
        "-B", out_dir, timeout=600)
    (deb,) = glob.glob(os.path.join(out_dir, "sieve_*.deb"))
    return deb


def needed_libraries(binary):
    """The shared libraries `binary` names itself (ELF NEEDED; their own dependencies are their
    packages' business), as paths the loader resolves them to."""
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", run("readelf", "-d", binary))
    resolved = run("ldd", binary)
    paths = dict(re.findall(r"^\s*(\S+) => (/\S+)", resolved, re.M))
    # The dynamic loader (NEEDED by a shared object such as the Python module) is listed by
    # its path alone: "/lib64/ld-linux-x86-64.so.2 (0x...)".
    loaders = re.findall(r"^\s*(/\S+) \(", resolved, re.M)
    paths.update((os.path.basename(path), path) for path in loaders)
    return [paths[name] for name in needed]


def owning_package(path):
    """The installed Debian package holding the library `path` (either side of merged /usr)."""
    real = os.path.realpath(path)
    for candidate in (path, real, "/usr" + real if not real.startswith("/usr/") else real[4:]):
        r = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if r.returncode == 0:
            return r.stdout.split(":", 1)[0]
    raise RuntimeError(f"no package owns {path}")


class PackageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="sieve-package-")
        cls.deb = build_deb(os.path.join(cls.dir, "pkg"))
        cls.root = os.path.join(cls.dir, "root")
        run("dpkg-deb", "-x", cls.deb, cls.root)
        cls.bin = os.path.join(cls.root, "usr", "bin")
        cls.examples = os.path.join(cls.root, "usr", "share", "sieve", "examples")
        cls.dist_packages = os.path.join(cls.root, "usr", "lib", "python3", "dist-packages")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def installed(self, program):
        return os.path.join(self.bin, program)

    def test_control_data_and_dependencies(self):
        self.assertRegex(os.path.basename(self.deb), r"^sieve_\d+\.\d+\.\d+_[a-z0-9]+\.deb$")
        depends = run("dpkg-deb", "-f", self.deb, "Depends")
        declared = set(re.findall(r"([a-z0-9][a-z0-9+.-]+)(?:\s*\([^)]*\))?", depends))
        binaries = [self.installed(program) for program in PROGRAMS]
        binaries += glob.glob(os.path.join(self.dist_packages, "sieve", "_sieve.*.so"))
        for binary in binaries:
            for library in needed_libraries(binary):
                package = owning_package(library).split(":")[0]
                self.assertIn(package, declared, f"{binary} needs {library}")
        run("dpkg", "--dry-run", "--install", self.deb)

    def test_layout(self):
        usr = os.path.join(self.root, "usr")
        for program in PROGRAMS:
            self.assertTrue(os.access(self.installed(program), os.X_OK), program)
        expected = ["share/sieve/sieve-classifier-model.bin", "lib/sysusers.d/sieve.conf",
                    "share/doc/sieve/deploy.md", "lib/systemd/system/sieve-worker@.service",
                    "lib/systemd/system/sieve-broker.service",
                    "lib/systemd/system/sieve-collector.service"]
        expected += [f"share/sieve/examples/{n}" for n in
                     ("broker.env", "collector.env", "worker.env", "broker.toml",
                      "collector.toml", "worker.toml", "classifier.toml")]
        for path in expected:
            self.assertTrue(os.path.isfile(os.path.join(usr, path)), path)
        control = os.path.join(self.dir, "control")
        run("dpkg-deb", "-e", self.deb, control)
        self.assertTrue(os.access(os.path.join(control, "postinst"), os.X_OK))

    def test_daemons_have_manual_help_and_round_trip_their_configuration(self):
        for program in DAEMONS:
            text = run(self.installed(program), "--help")
            for section in ("CONFIGURATION", "FILES", "Env:", "--config", "--print-config"):
                self.assertIn(section, text, program)
            env = dict(os.environ, SIEVE_DATA_DIR=self.dir, SIEVE_LOG_LEVEL="warn")
            printed = run(self.installed(program), "--print-config", env=env)
            self.assertIn('log-level = "warn"', printed, program)
            path = os.path.join(self.dir, program + ".toml")
            with open(path, "w") as f:
                f.write(printed)
            clean = {k: v for k, v in os.environ.items() if not k.startswith("SIEVE_")}
            again = run(self.installed(program), "--config", path, "--print-config", env=clean)
            self.assertEqual(again.splitlines()[1:], printed.splitlines()[1:], program)

    def test_job_with_installed_binaries_configured_like_the_units(self):
        logs = os.path.join(self.dir, "logs")
        os.makedirs(logs, exist_ok=True)
        started = []

        def start(name, args, env=None, listening=True):
            p = Process(name, args, os.path.join(logs, name + ".log"), env=env)
            started.append(p)
            return p.start(wait_listening=listening)

        try:
            classifier = start("classifier", [self.installed("sieve-classifier"), "--listen",
                                              "127.0.0.1:0", "--threads", "16"])
            broker = start("broker", [self.installed("sieve-broker")], unit_environment(
                self.examples, "broker.env", SIEVE_DATA_DIR=os.path.join(self.dir, "broker"),
                SIEVE_BROKER_LISTEN="tcp://127.0.0.1:*", SIEVE_METRICS="127.0.0.1:0"))
            start("collector", [self.installed("sieve-collector")], unit_environment(
                self.examples, "collector.env", SIEVE_DATA_DIR=os.path.join(self.dir, "collector"),
                SIEVE_BROKER=broker.endpoint, SIEVE_COLLECTOR_LISTEN="tcp://127.0.0.1:*",
                SIEVE_METRICS="127.0.0.1:0"))
            for i in (1, 2):
                start(f"worker{i}", [self.installed("sieve-worker")], unit_environment(
                    self.examples, "worker.env", SIEVE_NAME=f"worker{i}", SIEVE_BROKER=broker.endpoint,
                    SIEVE_METRICS="127.0.0.1:0"), listening=False).wait_metrics()
            with open(classifier.log_path) as f:
                self.assertIn(f"loaded model {self.root}/usr/share/sieve/", f.read())

            data = generate_csv(os.path.join(self.dir, "input.csv"), 1500)
            out = os.path.join(self.dir, "out.csv")
            endpoint = f"http://{classifier.endpoint}/classify"
            run(self.installed("sieve"), "submit", data, "--endpoint", endpoint, "--broker",
                broker.endpoint, "--chunk-rows", "200", "--wait", "-o", out, timeout=120)
            check_output([data], out, endpoint=endpoint, sample=100)
        except Exception:
            for p in started:
                sys.stderr.write(f"--- {p.name}\n{p.log_tail()}\n")
            raise
        finally:
            for p in started:
                p.kill()

    def test_sieve_run_from_the_installed_tree(self):
        example = os.path.join(SOURCE_DIR, "examples", "websites.csv")
        out = os.path.join(self.dir, "run-out.csv")
        run(self.installed("sieve"), "run", example, "-o", out, timeout=120)
        rows = check_output([example], out)
        self.assertGreater(len({row[-1] for row in rows[1:]}), 3, "labels should vary")

    @unittest.skipUnless(BUILT_MODULE, "the build has no Python module (python/)")
    def test_python_module_from_the_installed_tree(self):
        example = os.path.join(SOURCE_DIR, "examples", "websites.csv")
        out = os.path.join(self.dir, "module-out.csv")
        script = f"import sieve; print(sieve.__file__); sieve.run({example!r}, {out!r})"
        env = dict(os.environ, PYTHONPATH=self.dist_packages)
        printed = run(PYTHON, "-c", script, env=env, timeout=120)
        self.assertEqual(printed.strip(), os.path.join(self.dist_packages, "sieve", "__init__.py"))
        check_output([example], out)


if __name__ == "__main__":
    unittest.main()
