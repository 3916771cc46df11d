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


def call_body(call_id):
    return json.dumps({
        "callId": call_id, "channel": "phone", "operatorId": "op-bench", "district": "Elbistan",
        "caller": {"text": "Caddede yol çöktü, araçlar geçemiyor"},
    }, ensure_ascii=False).encode()


def request_bytes(host, port, token, call_id):
    body = call_body(call_id)
    head = (f"POST /v1/calls HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


async def read_response(reader):
    """Reads one HTTP/1.1 response with a Content-Length body; returns its status."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
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
    idle = asyncio.Queue()
    connections = []
    for _ in range(args.connections):
        reader, writer = await asyncio.open_connection(host, port)
        connections.append(writer)
        idle.put_nowait((reader, writer))

    total = int(args.rate * args.seconds)
    latencies = []
    statuses = {}
    errors = 0
    late_starts = 0

    async def send(index, due):
        nonlocal errors
        reader, writer = await idle.get()
        try:
            writer.write(request_bytes(host, port, args.token, f"{args.prefix}-{index}"))
            status = await read_response(reader)
            statuses[status] = statuses.get(status, 0) + 1
            latencies.append(time.perf_counter() - due)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            errors += 1
            return  # the connection is broken; it does not go back to the pool
        idle.put_nowait((reader, writer))

    tasks = []
    start = time.perf_counter() + 0.1
    for index in range(total):
        due = start + index / args.rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        elif delay < -0.001:
            late_starts += 1
        tasks.append(asyncio.create_task(send(index, due)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    for writer in connections:
        writer.close()

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
