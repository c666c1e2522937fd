"""Validates deploy/systemd/: `systemd-analyze verify` accepts every unit (run against the built
executables, so ExecStart is checked too, and any warning such as an unknown key fails), the
hardening keeps `systemd-analyze security` exposure low, the units run as the sysusers user with
a restart policy and environment files, and every SIEVE_* variable the environment files set or
document (commented out) is one the daemon reads."""

import os
import re
import shutil
import subprocess
import tempfile
import unittest

from deploy_lib import daemon_env_names, deploy_path, exe

UNITS = {"sieve-broker.service": ("sieve-broker", "broker.env"),
         "sieve-collector.service": ("sieve-collector", "collector.env"),
         "sieve-worker@.service": ("sieve-worker", "worker.env")}
MAX_EXPOSURE = 25  # systemd-analyze security's 0..100 scale: 2.5 "OK"; the units are at 1.7
REQUIRED_HARDENING = ("NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes",
                      "PrivateTmp=yes", "CapabilityBoundingSet=", "SystemCallFilter=@system-service")


def read(path):
    with open(path) as f:
        return f.read()


def unit_settings(text):
    """(key, value) pairs of a unit file, in order (keys repeat, e.g. EnvironmentFile)."""
    return [tuple(line.split("=", 1)) for line in text.splitlines()
            if "=" in line and not line.startswith(("#", ";"))]


@unittest.skipIf(shutil.which("systemd-analyze") is None, "systemd-analyze not installed")
class SystemdAnalyzeTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="sieve-units-")
        self.addCleanup(shutil.rmtree, self.dir)
        for unit, (program, _) in UNITS.items():
            text = read(deploy_path("systemd", unit))
            text = text.replace(f"ExecStart=/usr/bin/{program}", f"ExecStart={exe(program)}")
            with open(os.path.join(self.dir, unit), "w") as f:
                f.write(text)
        # An instance of the template, as `systemctl start sieve-worker@1` makes.
        shutil.copy(os.path.join(self.dir, "sieve-worker@.service"),
                    os.path.join(self.dir, "sieve-worker@1.service"))
        self.paths = [os.path.join(self.dir, u) for u in
                      ("sieve-broker.service", "sieve-collector.service", "sieve-worker@1.service")]

    def test_verify_is_silent(self):
        r = subprocess.run(["systemd-analyze", "verify", *self.paths], capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr.strip() + r.stdout.strip(), "", "warnings: fix the units")

    def test_hardening_keeps_exposure_low(self):
        for path in self.paths:
            r = subprocess.run(["systemd-analyze", "security", "--offline=yes",
                                f"--threshold={MAX_EXPOSURE}", path],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stdout[-600:] + r.stderr)


class UnitContentTest(unittest.TestCase):
    def test_units_run_as_the_system_user_with_restart_and_environment_files(self):
        user = read(deploy_path("systemd", "sieve.sysusers")).split("\n")
        (user_line,) = [line for line in user if line.startswith("u ")]
        sysuser = user_line.split()[1]
        for unit, (program, env_file) in UNITS.items():
            text = read(deploy_path("systemd", unit))
            settings = unit_settings(text)
            values = dict(settings)
            self.assertEqual(values["User"], sysuser, unit)
            self.assertIn(values["Restart"], ("on-failure", "always"), unit)
            self.assertEqual(values["ExecStart"], f"/usr/bin/{program}", unit)
            env_files = [v for k, v in settings if k == "EnvironmentFile"]
            self.assertIn(f"-/etc/sieve/{env_file}", env_files, unit)
            for line in REQUIRED_HARDENING:
                self.assertIn(line, text.splitlines(), unit)
            for k, v in settings:
                if k == "Environment":
                    name = v.split("=", 1)[0]
                    self.assertIn(name, daemon_env_names(program), f"{unit}: {name}")
            if "StateDirectory" in values:
                data_dir = dict(v.split("=", 1) for k, v in settings if k == "Environment")
                self.assertEqual(data_dir["SIEVE_DATA_DIR"], "/var/lib/" + values["StateDirectory"])

    def test_environment_files_name_real_variables(self):
        for program, env_file in UNITS.values():
            for line in read(deploy_path("systemd", env_file)).splitlines():
                m = re.match(r"#?(SIEVE_[A-Z0-9_]+)=", line)
                if m:
                    self.assertIn(m.group(1), daemon_env_names(program), f"{env_file}: {line}")
                else:
                    self.assertTrue(line == "" or line.startswith("#"), f"{env_file}: {line}")

    def test_postinst_is_valid_sh_and_uses_the_sysusers_file(self):
        path = deploy_path("systemd", "postinst")
        r = subprocess.run(["sh", "-n", path], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("/usr/lib/sysusers.d/sieve.conf", read(path))
        self.assertTrue(os.access(path, os.X_OK), "postinst must be executable")
