"""Unit tests of the fault-injecting proxy: forwarding, delay, loss, cut, blackhole, and its
stdin/stdout control interface as a program. Loopback only."""

import asyncio
import json
import os
import subprocess
import sys
import time
import unittest

from fault_proxy import FaultProxy

HERE = os.path.dirname(os.path.abspath(__file__))


async def echo_server():
    async def echo(reader, writer):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        writer.close()
    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


async def round_trip(port, payload=b"ping", timeout=5):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    start = time.monotonic()
    writer.write(payload)
    got = await asyncio.wait_for(reader.readexactly(len(payload)), timeout)
    writer.close()
    return got, time.monotonic() - start


class FaultProxyTest(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        self.server, upstream = await echo_server()
        self.proxy = await FaultProxy("127.0.0.1", 0, "127.0.0.1", upstream).start()
        self.port = self.proxy.listen[1]

    async def asyncTearDown(self):
        await self.proxy.close()
        self.server.close()

    async def test_forwards_bytes_unchanged(self):
        payload = bytes(range(256)) * 2000
        got, _ = await round_trip(self.port, payload)
        self.assertEqual(got, payload)

    async def test_delay_applies_both_ways(self):
        self.assertEqual(self.proxy.command("delay 150"), {"ok": "delay"})
        _, elapsed = await round_trip(self.port)
        self.assertGreaterEqual(elapsed, 0.29)  # 150 ms out, 150 ms back
        # Cleared, a round trip pays no delay: after `delay 5000` it would take 10 s, so a
        # bound of 5 s holds on any machine however loaded (no timing of the proxy itself).
        self.proxy.command("delay 5000")
        self.proxy.command("clear")
        _, elapsed = await round_trip(self.port)
        self.assertLess(elapsed, 5.0)

    async def test_loss_holds_segments_back_without_corrupting(self):
        self.proxy.command("loss 1.0 100")
        got, elapsed = await round_trip(self.port, b"x" * 1000)
        self.assertEqual(got, b"x" * 1000)
        self.assertGreaterEqual(elapsed, 0.19)
        self.assertGreaterEqual(self.proxy.command("stats")["lost"], 2)

    async def test_cut_resets_and_refuses_until_restored(self):
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        writer.write(b"a")
        await reader.readexactly(1)
        self.proxy.command("cut")
        self.assertEqual(await asyncio.wait_for(reader.read(1), 2), b"")  # reset: EOF or error
        with self.assertRaises((asyncio.IncompleteReadError, ConnectionError)):
            await round_trip(self.port)
        self.proxy.command("restore")
        got, _ = await round_trip(self.port)
        self.assertEqual(got, b"ping")

    async def test_blackhole_holds_traffic_until_restored(self):
        self.proxy.command("blackhole")
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        writer.write(b"held")
        with self.assertRaises(asyncio.TimeoutError):
            await asyncio.wait_for(reader.readexactly(4), 0.3)
        self.proxy.command("restore")
        self.assertEqual(await asyncio.wait_for(reader.readexactly(4), 2), b"held")
        writer.close()

    async def test_unknown_and_bad_commands_are_refused(self):
        self.assertIn("error", self.proxy.command("explode"))
        self.assertIn("error", self.proxy.command(""))


class FaultProxyProgramTest(unittest.TestCase):
    def test_stdin_control(self):
        p = subprocess.Popen([sys.executable, os.path.join(HERE, "fault_proxy.py"),
                              "127.0.0.1:0", "127.0.0.1:9"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE)
        try:
            first = json.loads(p.stdout.readline())
            self.assertTrue(first["listening"].startswith("127.0.0.1:"))
            p.stdin.write(b"delay 200 10\nstats\nbogus 1\n")
            p.stdin.flush()
            self.assertEqual(json.loads(p.stdout.readline()), {"ok": "delay"})
            self.assertEqual(json.loads(p.stdout.readline())["mode"], "forward")
            self.assertIn("error", json.loads(p.stdout.readline()))
            p.stdin.close()
            self.assertEqual(p.wait(timeout=10), 0)  # stdin closed: the proxy stops
        finally:
            p.kill()
            p.wait()
            p.stdout.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
