#!/usr/bin/env bash
# Compares two builds of `defter` on durable intake, alternating them so that both see the same
# shared machine: for each round and each binary, seeds 2,000 calls into a fresh folder, starts
# `defter serve`, drives `POST /v1/calls` (every call id new), and prints the rate, the p99 and the
# server's CPU time a call (from /proc: steadier than the rate when the neighbours vary). Without
# RATE, wrk drives as fast as the server answers (64 connections); with RATE, calls arrive at that
# fixed rate (tools/fixed_rate_post.py), so that both builds do the same work. Asserts nothing.
# Usage: tools/compare_intake.sh OLD_BINARY NEW_BINARY [ROUNDS] [SECONDS] [RATE]   (defaults: 3 rounds, 8 s)
# For example, the build before a change kept with `cp .build/release/defter /tmp/defter-before`.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $# -ge 2 ]] || { sed -n '2,8p' "$0" >&2; exit 2; }
old=$(realpath "$1")
new=$(realpath "$2")
rounds=${3:-3}
seconds=${4:-8}
rate=${5:-}
command -v wrk > /dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk > /dev/null; }
work=$(mktemp -d)
server=""
trap '[[ -n $server ]] && kill $server 2> /dev/null; rm -rf "$work"' EXIT

requests() { curl -fsS "http://127.0.0.1:$1/metrics" | awk '$1 ~ /^defter_http_requests_total/ {s += $2} END {print s + 0}'; }

# Measures BINARY with LABEL; prints one line.
measure() {
    local label=$1 binary=$2 data="$work/data-$1" port token wrkpid cpu0 cpu1 r0 r1
    rm -rf "$data"
    "$binary" demo seed --calls 2000 --year 2025 --data "$data" > /dev/null 2>&1
    token=$("$binary" tokens issue --role operator --name compare --data "$data")
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    "$binary" serve --data "$data" --port "$port" --public-rate-limit 0 > "$work/server.log" 2>&1 &
    server=$!
    for _ in $(seq 1 300); do curl -fsS "http://127.0.0.1:$port/readyz" > /dev/null 2>&1 && break; sleep 0.1; done
    if [[ -n $rate ]]; then
        python3 tools/fixed_rate_post.py "http://127.0.0.1:$port/v1/calls" "$token" --rate "$rate" \
            --seconds "$((seconds + 3))" --prefix "compare-$$-$label-$RANDOM" > "$work/fixed.json" &
    else
        DEFTER_TOKEN=$token DEFTER_RUN="compare-$$-$label-$RANDOM" wrk -t2 -c64 -d"$((seconds + 3))s" --latency \
            -s tools/bench_http/post_calls.lua "http://127.0.0.1:$port/v1/calls" > "$work/wrk.txt" &
    fi
    wrkpid=$!
    sleep 2
    cpu0=$(awk '{print $14 + $15}' "/proc/$server/stat")
    r0=$(requests "$port")
    sleep "$seconds"
    cpu1=$(awk '{print $14 + $15}' "/proc/$server/stat")
    r1=$(requests "$port")
    wait $wrkpid
    kill "$server"
    wait "$server" 2> /dev/null || true
    server=""
    local answered p99
    if [[ -n $rate ]]; then
        answered=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["achieved_rate"])' "$work/fixed.json")
        p99=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["latency_ms"]["p99"], end="ms")' "$work/fixed.json")
    else
        answered=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")
        p99=$(awk '$1 == "99%" {print $2}' "$work/wrk.txt")
    fi
    python3 -c 'import sys; label, rate, p99, c0, c1, r0, r1 = sys.argv[1:]; cpu = (float(c1) - float(c0)) / 100 / max(float(r1) - float(r0), 1) * 1e6; print(f"| {label} | {float(rate):,.0f} calls/s | {p99} | {cpu:.0f} us |")' \
        "$label" "$answered" "$p99" "$cpu0" "$cpu1" "$r0" "$r1"
}

echo "| build | POST /v1/calls | p99 | server CPU a call |"
echo "| --- | --- | --- | --- |"
for round in $(seq 1 "$rounds"); do
    measure "before ($round)" "$old"
    measure "after ($round)" "$new"
done
