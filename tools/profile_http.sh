#!/usr/bin/env bash
# Where `defter serve` spends its time under load: `perf record -g` on the server while wrk drives
# one route, then the inclusive share of the functions that matter, and the server's CPU time a
# request (from /proc, steadier than a rate on a shared machine).
# Usage: tools/profile_http.sh intake|queue [SECONDS]     (needs a release build and Debian's linux-perf)
# KEEP_PROFILE=FILE keeps the perf.data for `perf report -i FILE`.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-intake}
seconds=${2:-10}
command -v perf >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq linux-perf >/dev/null; }
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
defter=.build/release/defter
[[ -x $defter ]] || swift build -c release --product defter >&2
TMP=$(mktemp -d)
server=""
cleanup() { [[ -n $server ]] && kill "$server" 2>/dev/null; [[ -n ${KEEP_PROFILE:-} ]] && cp "$TMP/perf.data" "$KEEP_PROFILE"; rm -rf "$TMP"; }
trap cleanup EXIT
"$defter" demo seed --calls 2000 --year 2025 --data "$TMP/data" >/dev/null 2>&1
token=$("$defter" tokens issue --role operator --name profile --data "$TMP/data")
admin=$("$defter" tokens issue --role admin --name profile --data "$TMP/data")
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$defter" serve --data "$TMP/data" --port "$port" --public-rate-limit 0 >"$TMP/server.log" 2>&1 &
server=$!
for _ in $(seq 1 300); do curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
case $what in
    intake) DEFTER_TOKEN=$token DEFTER_RUN=$$ wrk -t2 -c64 -d"$((seconds + 4))s" --latency -s tools/bench_http/post_calls.lua \
        "http://127.0.0.1:$port/v1/calls" >"$TMP/wrk.txt" & ;;
    queue) wrk -t2 -c64 -d"$((seconds + 4))s" --latency -H "Authorization: Bearer $admin" \
        "http://127.0.0.1:$port/v1/departments/fen-isleri/queue?limit=50" >"$TMP/wrk.txt" & ;;
    *) echo "profile_http: intake or queue" >&2; exit 2 ;;
esac
wrkpid=$!
sleep 2
cpu0=$(awk '{print $14 + $15}' "/proc/$server/stat")
requests0=$(curl -fsS "http://127.0.0.1:$port/metrics" | awk '$1 ~ /^defter_http_requests_total/ {s += $2} END {print s + 0}')
perf record -F 499 -g -p "$server" -o "$TMP/perf.data" -- sleep "$seconds" >/dev/null 2>&1
cpu1=$(awk '{print $14 + $15}' "/proc/$server/stat")
requests1=$(curl -fsS "http://127.0.0.1:$port/metrics" | awk '$1 ~ /^defter_http_requests_total/ {s += $2} END {print s + 0}')
wait $wrkpid
grep -E "Requests/sec|^ +99%" "$TMP/wrk.txt"
python3 -c 'import sys; c = (float(sys.argv[2]) - float(sys.argv[1])) / 100; n = float(sys.argv[4]) - float(sys.argv[3]); print(f"server CPU a request: {c / max(n, 1) * 1e6:.0f} us ({n:.0f} requests, {c:.1f} CPU s)")' \
    "$cpu0" "$cpu1" "$requests0" "$requests1"
perf report -i "$TMP/perf.data" --children --sort symbol -g none 2>/dev/null >"$TMP/report.txt"
python3 - "$TMP/report.txt" <<'PY'
import re, sys
parts = [  # (what, a symbol fragment whose inclusive share it is)
    ("intake: receiveCall (validation, sealing, routing, numbering, append)", "TicketServiceC11receiveCall"),
    ("  router: classify", "RouterV8classify"),
    ("  numbering and append on the actor (record)", "TicketServiceC6record"),
    ("  events encoded to JSON values", "JSONValueEncoderV6encode"),
    ("  events encoded by Foundation's JSONEncoder", "JSONEncoderC6encode"),
    ("  citizen keys: vault group commit", "KeyVaultWriterC5drain"),
    ("  sealing (AES-GCM)", "PersonalDataSealerV4seal"),
    ("request body decoded (decodeCall)", "decodeCall"),
    ("credential (token lookup)", "APIV10credential"),
    ("queue page read (scan)", "ProjectionWorkerC5queue"),
    ("JSON rendered (canonical)", "JSONValueO14canonicalBytes"),
    ("projections catching up (live)", "DefterProjections0B0C3run"),
    ("log group commit (writer thread)", "GroupCommitWriter"),
    ("kernel: fsync/fdatasync", "do_fsync"),
    ("kernel: all system calls", "entry_SYSCALL_64_after_hwframe"),
]
rows = {}
for line in open(sys.argv[1]):
    m = re.match(r"\s+([\d.]+)%\s+[\d.]+%\s+\[[.k]\]\s+(\S+)", line)
    if not m:
        continue
    share, symbol = float(m.group(1)), m.group(2)
    for name, fragment in parts:
        if fragment in symbol:
            rows[name] = max(rows.get(name, 0.0), share)
print("| part (inclusive share of the server's samples) | share |")
print("| --- | --- |")
for name, _ in parts:
    if name in rows:
        print(f"| {name} | {rows[name]:.1f}% |")
PY
