#!/usr/bin/env python3
"""The seed notebook's approach, as the reference peer for bench/http_bench.sh.

Reads a CSV, POSTs every row as a JSON object keyed by the header with asyncio, a Semaphore and
one client session (aiohttp by default, httpx as in the notebook with --client httpx), takes
response.json()["label"] or "error" on any exception, and writes the CSV with a label column.
Prints one line: "python-<client>: N rows in S s (R rows/s), E errors, cpu C s".

Usage: seed_peer.py INPUT.csv --endpoint URL -o OUT.csv [--concurrency 64] [--client aiohttp]
Needs Debian's python3-aiohttp / python3-httpx (run with /usr/bin/python3).
"""
import argparse
import asyncio
import csv
import resource
import sys
import time


async def label_aiohttp(rows, header, endpoint, concurrency, timeout):
    import aiohttp
    semaphore = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=timeout)) as session:
        async def fetch(row):
            async with semaphore:
                try:
                    async with session.post(endpoint, json=dict(zip(header, row))) as response:
                        return (await response.json(content_type=None)).get("label", "error")
                except Exception:
                    return "error"
        return await asyncio.gather(*(fetch(row) for row in rows))


async def label_httpx(rows, header, endpoint, concurrency, timeout):
    import httpx
    semaphore = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits) as session:
        async def fetch(row):
            async with semaphore:
                try:
                    response = await session.post(endpoint, json=dict(zip(header, row)),
                                                  timeout=timeout)
                    return response.json().get("label", "error")
                except Exception:
                    return "error"
        return await asyncio.gather(*(fetch(row) for row in rows))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input")
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--timeout", type=float, default=15.0)
    parser.add_argument("--client", choices=["aiohttp", "httpx"], default="aiohttp")
    args = parser.parse_args()

    with open(args.input, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = list(reader)
    start = time.perf_counter()
    run = label_aiohttp if args.client == "aiohttp" else label_httpx
    labels = asyncio.run(run(rows, header, args.endpoint, args.concurrency, args.timeout))
    seconds = time.perf_counter() - start
    with open(args.output, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header + ["label"])
        for row, label in zip(rows, labels):
            writer.writerow(row + [label])
    usage = resource.getrusage(resource.RUSAGE_SELF)
    errors = sum(1 for label in labels if label == "error")
    print(f"python-{args.client}: {len(rows)} rows in {seconds:.3f} s "
          f"({len(rows) / seconds:.0f} rows/s), {errors} errors, "
          f"cpu {usage.ru_utime + usage.ru_stime:.3f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
