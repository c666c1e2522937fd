"""A fault-injecting TCP proxy in the manner of Toxiproxy (Python asyncio, stdlib only).

It listens on one address and forwards every connection to an upstream address, and can be told
at any time to inject faults into what it forwards:

  delay  DELAY_MS [JITTER_MS]  every forwarded segment waits this long (+ uniform jitter)
  loss   RATE [RTO_MS]         each segment is "lost" with probability RATE: a byte stream cannot
                               lose bytes without corrupting them, so a lost segment is held back
                               for RTO_MS (default 200 ms), which is what TCP does when a packet
                               is dropped on the wire (the sender retransmits after its RTO)
  cut                          every open connection is reset and new ones are refused (closed at
                               once) until `restore`
  blackhole                    connections stay open but nothing is forwarded (a silent
                               partition: no FIN, no RST) until `restore`
  restore                      back to forwarding (delay and loss stay as set)
  clear                        no faults at all
  stats                        counters as JSON

DESIGN: one asyncio loop. Per accepted connection two pump tasks (client->upstream and
upstream->client) read segments of at most 64 KiB and put each, stamped with the time it may be
delivered, on a FIFO; a writer task per direction delivers them in order, so delay and loss never
reorder bytes. `cut` closes both sockets of every connection; `blackhole` parks the writers.

Control: as a program, one command per line on stdin, one JSON answer per line on stdout (the
first line is {"listening": "HOST:PORT"}). As a library: FaultProxy(...).start() in a running
loop, then .command("delay 200").
Usage: fault_proxy.py LISTEN_HOST:PORT UPSTREAM_HOST:PORT [--seed N]
"""

import argparse
import asyncio
import json
import random
import sys
import time

SEGMENT = 64 * 1024


class FaultProxy:
    def __init__(self, listen_host, listen_port, upstream_host, upstream_port, seed=1):
        self.listen = (listen_host, listen_port)
        self.upstream = (upstream_host, upstream_port)
        self.rng = random.Random(seed)
        self.delay_ms = 0.0
        self.jitter_ms = 0.0
        self.loss = 0.0
        self.rto_ms = 200.0
        self.mode = "forward"  # forward | cut | blackhole
        self.unblocked = asyncio.Event()
        self.unblocked.set()
        self.connections = set()
        self.stats = {"connections": 0, "refused": 0, "segments": 0, "lost": 0, "resets": 0}
        self.server = None

    async def start(self):
        self.server = await asyncio.start_server(self._accept, *self.listen)
        self.listen = self.server.sockets[0].getsockname()[:2]
        return self

    async def close(self):
        self._reset_all()
        if self.server:
            self.server.close()
            await self.server.wait_closed()

    # -- control -------------------------------------------------------------------------
    def command(self, line):
        """Applies one control command; returns a dict (the answer)."""
        words = line.split()
        if not words:
            return {"error": "empty command"}
        op, args = words[0], [float(w) for w in words[1:]]
        if op == "delay":
            self.delay_ms = args[0]
            self.jitter_ms = args[1] if len(args) > 1 else 0.0
        elif op == "loss":
            self.loss = args[0]
            self.rto_ms = args[1] if len(args) > 1 else 200.0
        elif op == "cut":
            self.mode = "cut"
            self.unblocked.set()
            self._reset_all()
        elif op == "blackhole":
            self.mode = "blackhole"
            self.unblocked.clear()
        elif op == "restore":
            self.mode = "forward"
            self.unblocked.set()
        elif op == "clear":
            self.delay_ms = self.jitter_ms = self.loss = 0.0
            self.mode = "forward"
            self.unblocked.set()
        elif op == "stats":
            return dict(self.stats, mode=self.mode, open=len(self.connections))
        else:
            return {"error": f"unknown command {op!r}"}
        return {"ok": op}

    # -- forwarding ----------------------------------------------------------------------
    def _reset_all(self):
        for writers in list(self.connections):
            for w in writers:
                w.transport.abort()
            self.stats["resets"] += 1
        self.connections.clear()

    def _due(self):
        """Seconds from now at which a segment read now may be delivered."""
        ms = self.delay_ms + (self.rng.uniform(0, self.jitter_ms) if self.jitter_ms else 0)
        if self.loss and self.rng.random() < self.loss:
            self.stats["lost"] += 1
            ms += self.rto_ms
        return time.monotonic() + ms / 1000.0

    async def _accept(self, client_reader, client_writer):
        if self.mode == "cut":
            self.stats["refused"] += 1
            client_writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            client_writer.transport.abort()
            return
        self.stats["connections"] += 1
        pair = (client_writer, up_writer)
        self.connections.add(pair)
        try:
            await asyncio.gather(self._direction(client_reader, up_writer, pair),
                                 self._direction(up_reader, client_writer, pair),
                                 return_exceptions=True)
        except asyncio.CancelledError:
            pass  # the proxy is closing
        finally:
            self.connections.discard(pair)
            for w in pair:
                w.transport.abort()

    async def _direction(self, reader, writer, pair):
        queue = asyncio.Queue()
        deliver = asyncio.ensure_future(self._deliver(queue, writer))
        try:
            while data := await reader.read(SEGMENT):
                self.stats["segments"] += 1
                await queue.put((self._due(), data))
            await queue.put((self._due(), b""))
            await deliver
        except OSError:
            for w in pair:  # a reset on one side resets the other
                w.transport.abort()
        finally:
            deliver.cancel()

    async def _deliver(self, queue, writer):
        while True:
            due, data = await queue.get()
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            await self.unblocked.wait()
            if not data:
                if writer.can_write_eof():
                    writer.write_eof()
                return
            writer.write(data)
            await writer.drain()


def parse_address(text):
    host, _, port = text.rpartition(":")
    return host, int(port)


async def serve(args):
    proxy = await FaultProxy(*parse_address(args.listen), *parse_address(args.upstream),
                             seed=args.seed).start()
    print(json.dumps({"listening": "%s:%d" % proxy.listen}), flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = await reader.readline()
        if not line:
            break  # the controlling test went away: stop
        try:
            answer = proxy.command(line.decode())
        except (ValueError, IndexError) as e:
            answer = {"error": str(e)}
        print(json.dumps(answer), flush=True)
    await proxy.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("listen")
    p.add_argument("upstream")
    p.add_argument("--seed", type=int, default=1)
    asyncio.run(serve(p.parse_args()))


if __name__ == "__main__":
    main()
