#!/usr/bin/env python3
"""Posts calls to a running Defter at a fixed rate and prints the latency distribution as JSON.

Debian's wrk has no fixed-rate mode (no -R) and wrk2 is not packaged, so this is the small
open-loop generator tools/bench_http.sh uses instead. Request i is due at start + i / rate; its
latency runs from that due time, not from when a connection became free, so a server that falls
behind is charged for the queueing it causes (no coordinated omission, as in wrk2).

Usage: fixed_rate_post.py URL TOKEN [--rate 1000] [--seconds 20] [--connections 64] [--prefix ID]
Only loopback addresses are accepted: this is a benchmark of a local server.
"""
import argparse
import asyncio
import ipaddress
import json
import socket
import sys
import time
from urllib.parse import urlsplit


def request_template(host, port, token, prefix):
    """The bytes of every request but the call id's number: (before, after) it. Building each
    request from these instead of JSON-encoding a dict keeps the generator's own CPU low, as it
    shares the machine with the server it measures."""
    marker = "\u0000"
    body = json.dumps({
        "callId": f"{prefix}-{marker}", "channel": "phone", "operatorId": "op-bench", "district": "Elbistan",
        "caller": {"text": "Caddede yol çöktü, araçlar geçemiyor"},
    }, ensure_ascii=False)
    before_id, after_id = body.encode().split(b"\\u0000")
    head = (f"POST /v1/calls HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: ").encode()
    return head, before_id, after_id


def request_bytes(template, index):
    head, before_id, after_id = template
    number = str(index).encode()
    length = len(before_id) + len(number) + len(after_id)
    return b"".join((head, str(length).encode(), b"\r\n\r\n", before_id, number, after_id))


async def read_response(reader):
    """Reads one HTTP/1.1 response with a Content-Length body; returns its status."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    at = head.lower().find(b"\r\ncontent-length:")
    if at >= 0:
        end = head.index(b"\r\n", at + 2)
        length = int(head[at + 17:end])
        if length:
            await reader.readexactly(length)
    return status


def percentile(sorted_values, fraction):
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, int(round(fraction * len(sorted_values) + 0.5)) - 1))
    return sorted_values[index]


async def run(args):
    url = urlsplit(args.url)
    host, port = url.hostname, url.port or 80
    if not ipaddress.ip_address(socket.gethostbyname(host)).is_loopback:
        sys.exit(f"fixed_rate_post: {host} is not a loopback address")
    template = request_template(host, port, args.token, args.prefix)
    total = int(args.rate * args.seconds)
    latencies = []
    statuses = {}
    errors = 0
    late_starts = 0
    # Requests fall due into this queue; each connection takes the oldest due one when it is free.
    # Latency runs from the due time, so time spent waiting here for a free connection counts.
    due_requests = asyncio.Queue()

    async def connection():
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while True:
                item = await due_requests.get()
                if item is None:
                    return
                index, due = item
                try:
                    writer.write(request_bytes(template, index))
                    status = await read_response(reader)
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    errors += 1
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
                    continue
                statuses[status] = statuses.get(status, 0) + 1
                latencies.append(time.perf_counter() - due)
        finally:
            writer.close()

    workers = [asyncio.create_task(connection()) for _ in range(args.connections)]
    start = time.perf_counter() + 0.2
    index = 0
    while index < total:
        now = time.perf_counter()
        # Everything due by now goes out at once; then sleep until the next one is due.
        while index < total and start + index / args.rate <= now:
            due = start + index / args.rate
            if now - due > 0.001:
                late_starts += 1
            due_requests.put_nowait((index, due))
            index += 1
        if index < total:
            await asyncio.sleep(max(0.0, start + index / args.rate - time.perf_counter()))
    for _ in workers:
        due_requests.put_nowait(None)
    await asyncio.gather(*workers)
    elapsed = time.perf_counter() - start

    latencies.sort()
    ms = lambda seconds: None if seconds is None else round(seconds * 1000, 3)
    return {
        "target_rate": args.rate, "connections": args.connections, "requests": total,
        "achieved_rate": round(len(latencies) / elapsed, 1), "statuses": statuses, "errors": errors,
        "generator_late_starts": late_starts,
        "latency_ms": {name: ms(percentile(latencies, fraction)) for name, fraction in
                       [("p50", 0.50), ("p90", 0.90), ("p99", 0.99), ("p99.9", 0.999)]}
                      | {"max": ms(latencies[-1] if latencies else None)},
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("token")
    parser.add_argument("--rate", type=float, default=1000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--prefix", default=f"fixed-{int(time.time())}")
    print(json.dumps(asyncio.run(run(parser.parse_args()))))


if __name__ == "__main__":
    main()
