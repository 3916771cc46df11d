#!/usr/bin/env bash
# Benchmarks the HTTP service (see "The HTTP service" in docs/benchmarks.md): builds defter and
# DefterBench in release, seeds a temporary data folder, starts `defter serve` on a free loopback
# port and measures, in one run:
#   1. GET /healthz with wrk: the HTTP stack's ceiling (no token, no log);
#   1b. GET /v1/public/dashboard with wrk: the public dashboard's data (cached at a checkpoint);
#   2. durable POST /v1/calls with wrk at 64 connections, every call id new (tools/bench_http/post_calls.lua),
#      and the events those calls appended (from /metrics);
#   2b. Open311 POST /open311/v2/requests.json with wrk at 64 connections (tools/bench_http/post_open311.lua);
#   3. GET /v1/departments/fen-isleri/queue?limit=50 with wrk;
#   4. POST /v1/calls at a fixed 2,000 requests/s for 60 s (tools/fixed_rate_post.py: Debian's wrk has no -R);
#   4b. with --soak MINUTES, POST /v1/calls at 1,000/s that long: the server's resident memory at its
#       start and end, and every call answered 201 counted again in the log afterwards;
#   5. the in-process baseline: DefterBench's group commit, 64 tasks appending to the log directly.
# Then a table of the issue's targets with their ratios, each marked met or not.
# Usage: tools/bench_http.sh [--seconds N] [--calls N] [--fixed-rate R] [--fixed-seconds N] [--soak MINUTES]
#                           [--checkpoint-every DURATION]
#   (defaults 15 s per wrk run, 2,000 seeded calls, 2,000/s for 60 s, no soak, the service's own
#   checkpoint interval; a shorter one, e.g. 90s, makes a soak span several public-figure snapshots)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=15
calls=2000
fixed_rate=2000
fixed_seconds=60
soak=0
checkpoint_every=()
while (($#)); do
    case $1 in
        --seconds) seconds=$2; shift 2 ;;
        --calls) calls=$2; shift 2 ;;
        --fixed-rate) fixed_rate=$2; shift 2 ;;
        --fixed-seconds) fixed_seconds=$2; shift 2 ;;
        --soak) soak=$2; shift 2 ;;
        --checkpoint-every) checkpoint_every=(--checkpoint-every "$2"); shift 2 ;;
        *) echo "bench_http: unknown argument $1 (use --seconds N, --calls N, --fixed-rate R, --fixed-seconds N, --soak MINUTES, --checkpoint-every DURATION)" >&2; exit 2 ;;
    esac
done

if ! command -v wrk >/dev/null; then
    echo "bench_http: installing wrk" >&2
    sudo=""
    if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq wrk >/dev/null
fi
tools/setup
echo "bench_http: building defter and DefterBench (release)..." >&2
swift build -c release --product defter >&2
swift build -c release --product DefterBench >&2
defter=.build/release/defter

TMP=$(mktemp -d)
server=""
cleanup() {
    if [[ -n $server ]] && kill -0 "$server" 2>/dev/null; then
        kill -TERM "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT

echo "bench_http: seeding $calls calls" >&2
"$defter" demo seed --calls "$calls" --year 2025 --data "$TMP/data" >/dev/null
operator=$("$defter" tokens issue --role operator --name bench --data "$TMP/data")
admin=$("$defter" tokens issue --role admin --name bench --data "$TMP/data")
open311=$("$defter" tokens issue --role open311 --name bench-app --data "$TMP/data")

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
# One client (wrk) makes every request: the public endpoints' per-client limit is off.
"$defter" serve --data "$TMP/data" --port "$port" --public-rate-limit 0 "${checkpoint_every[@]}" >"$TMP/server.log" 2>&1 &
server=$!
for _ in $(seq 1 300); do
    curl -fsS "$base/healthz" >/dev/null 2>&1 && break
    kill -0 "$server" 2>/dev/null || { echo "bench_http: defter serve exited:" >&2; cat "$TMP/server.log" >&2; exit 1; }
    sleep 0.1
done
# The projections catch up with the seeded log before anything is measured. /readyz answers 200
# only while they have nothing left to read, so an entry the service appends at its start (its
# first checkpoint) can turn it back to 503 for a moment: wait for the first 200, never re-ask.
ready=false
for _ in $(seq 1 600); do
    if curl -fsS "$base/readyz" >/dev/null 2>&1; then ready=true && break; fi
    sleep 0.1
done
$ready || {
    echo "bench_http: the service is not ready after 60 s: $(curl -sS "$base/readyz")" >&2
    tail -20 "$TMP/server.log" >&2
    exit 1
}

appended() { curl -fsS "$base/metrics" | awk '$1 == "defter_log_appended_events_total" { print $2 }'; }

echo "== GET /healthz, 64 connections, ${seconds}s"
wrk -t2 -c64 -d"${seconds}s" --latency "$base/healthz" | tee "$TMP/healthz.txt"

echo "== GET /v1/public/dashboard, 64 connections, ${seconds}s"
wrk -t2 -c64 -d"${seconds}s" --latency "$base/v1/public/dashboard" | tee "$TMP/dashboard.txt"

echo "== POST /v1/calls (durable, new call ids), 64 connections, ${seconds}s"
before=$(appended)
DEFTER_TOKEN=$operator DEFTER_RUN=$$ wrk -t2 -c64 -d"${seconds}s" --latency -s tools/bench_http/post_calls.lua "$base/v1/calls" \
    | tee "$TMP/post.txt"
after=$(appended)

echo "== Open311 POST /open311/v2/requests.json (durable, form-encoded), 64 connections, ${seconds}s"
DEFTER_OPEN311_KEY=$open311 wrk -t2 -c64 -d"${seconds}s" --latency -s tools/bench_http/post_open311.lua \
    "$base/open311/v2/requests.json" | tee "$TMP/open311.txt"

echo "== GET /v1/departments/fen-isleri/queue?limit=50, 64 connections, ${seconds}s"
wrk -t2 -c64 -d"${seconds}s" --latency -H "Authorization: Bearer $admin" "$base/v1/departments/fen-isleri/queue?limit=50" \
    | tee "$TMP/queue.txt"

echo "== POST /v1/calls at a fixed ${fixed_rate} requests/s for ${fixed_seconds} s (tools/fixed_rate_post.py, 64 connections)"
python3 tools/fixed_rate_post.py "$base" "$operator" --rate "$fixed_rate" --seconds "$fixed_seconds" --connections 64 \
    --prefix "fixed-$$" | tee "$TMP/fixed.json"

rss() { awk '/^VmRSS/ { print $2 }' "/proc/$server/status"; }
# The server's own memory (anonymous pages) apart from LMDB's mapped file pages (page cache,
# which grows with the log and is given back under pressure).
anon() { awk '/^RssAnon/ { print $2 }' "/proc/$server/status"; }
mapped() { awk '/^RssFile/ { print $2 }' "/proc/$server/status"; }
echo '{}' >"$TMP/soak.json"
if [[ $soak != 0 ]]; then
    echo "== soak: POST /v1/calls at 1,000/s for $soak minutes"
    rss_start=$(rss)
    echo "minute anon_kb mapped_kb" >"$TMP/soak-memory.txt"
    echo "0 $(anon) $(mapped)" >>"$TMP/soak-memory.txt"
    python3 tools/fixed_rate_post.py "$base" "$operator" --rate 1000 --seconds $((soak * 60)) --connections 64 \
        --prefix "soak-$$" >"$TMP/soak-run.json" &
    generator=$!
    for minute in $(seq 1 "$soak"); do
        sleep 60
        kill -0 "$generator" 2>/dev/null || break
        echo "$minute $(anon) $(mapped)" >>"$TMP/soak-memory.txt"
    done
    wait "$generator"
    rss_end=$(rss)
    echo "end $(anon) $(mapped)" >>"$TMP/soak-memory.txt"
    cat "$TMP/soak-memory.txt"
    python3 - "$TMP/soak-run.json" "$rss_start" "$rss_end" "$TMP/soak-memory.txt" <<'PYEOF' | tee "$TMP/soak.json"
import json, sys
r = json.load(open(sys.argv[1]))
r["rss_start_kb"], r["rss_end_kb"] = int(sys.argv[2]), int(sys.argv[3])
rows = [line.split() for line in open(sys.argv[4]).read().splitlines()[1:]]
r["anon_kb"] = [int(row[1]) for row in rows]
r["mapped_kb"] = [int(row[2]) for row in rows]
print(json.dumps(r))
PYEOF
fi

kill -TERM "$server"
wait "$server" || { echo "bench_http: defter serve did not stop cleanly" >&2; exit 1; }
server=""
if grep -q "request failed" "$TMP/server.log"; then
    echo "bench_http: the server logged failed requests; figures are not valid" >&2
    exit 1
fi

# Checkpoints whose public figures were published while the service ran, and publications that
# failed (the statistics could not be caught at a checkpoint while calls kept coming, or a disk).
published=$(grep -c "published the public figures" "$TMP/server.log" || true)
publish_failed=$(grep -c "cannot publish the public figures" "$TMP/server.log" || true)

soak_in_log=0
if [[ $soak != 0 ]]; then
    # Each acknowledged call is one CallReceived (its TicketNumberAssigned names the call id too).
    soak_in_log=$("$defter" log read --data "$TMP/data" | grep -F '"type":"CallReceived"' | grep -c "\"callId\":\"soak-$$-" || true)
fi

echo "== in-process baseline: DefterBench group commit (64 tasks appending one event at a time)"
.build/release/DefterBench --events 2000 --singles 400 --json | tee "$TMP/inprocess.json"

python3 - "$TMP" "$before" "$after" "$soak_in_log" "$published" "$publish_failed" <<'EOF'
import json, re, sys
from pathlib import Path

tmp, before, after, soak_in_log = Path(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
published, publish_failed = int(sys.argv[5]), int(sys.argv[6])

def wrk(name):
    text = (tmp / f"{name}.txt").read_text()
    rate = float(re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M).group(1))
    def ms(p):
        value = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
        number, unit = float(value.group(1)), value.group(2)
        return number / 1000 if unit == "us" else number * 1000 if unit == "s" else number
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    count, elapsed, unit = re.search(r"(\d+) requests in ([\d.]+)(ms|s|m)", text).groups()
    elapsed = float(elapsed) * {"ms": 0.001, "s": 1, "m": 60}[unit]
    return rate, ms(50), ms(99), int(bad.group(1)) if bad else 0, int(count), elapsed

health, post, queue, dashboard, open311 = wrk("healthz"), wrk("post"), wrk("queue"), wrk("dashboard"), wrk("open311")
soak = json.loads((tmp / "soak.json").read_text())
fixed = json.loads((tmp / "fixed.json").read_text())
group = next(json.loads(line) for line in (tmp / "inprocess.json").read_text().splitlines()
             if line.startswith("{") and json.loads(line)["name"].startswith("group commit"))
events_per_call = (after - before) / post[4] if post[4] else 0
http_events = (after - before) / post[5]

rows = [
    ("GET /healthz (HTTP ceiling)", f"{health[0]:.0f} req/s", f"p50 {health[1]:.2f} ms, p99 {health[2]:.2f} ms", ""),
    ("GET /v1/public/dashboard (cached)", f"{dashboard[0]:.0f} req/s", f"p50 {dashboard[1]:.2f} ms, p99 {dashboard[2]:.2f} ms",
     f"{dashboard[0] / health[0]:.3f}x healthz"),
    ("POST /v1/calls, durable, 64 conn", f"{post[0]:.0f} calls/s", f"p50 {post[1]:.2f} ms, p99 {post[2]:.2f} ms",
     f"{post[0] / health[0]:.3f}x healthz"),
    ("  events appended by those calls", f"{http_events:.0f} events/s", f"{events_per_call:.2f} events a call",
     f"{http_events / group['value']:.2f}x in-process"),
    ("in-process group commit, 64 tasks", f"{group['value']:.0f} events/s", "DefterBench, one event an append", ""),
    ("GET /v1/departments/fen-isleri/queue", f"{queue[0]:.0f} req/s", f"p50 {queue[1]:.2f} ms, p99 {queue[2]:.2f} ms",
     f"{queue[0] / health[0]:.3f}x healthz"),
    ("Open311 POST /requests, durable, 64 conn", f"{open311[0]:.0f} requests/s", f"p50 {open311[1]:.2f} ms, p99 {open311[2]:.2f} ms",
     f"{open311[0] / post[0]:.2f}x POST /v1/calls"),
    (f"POST /v1/calls at fixed {fixed['target_rate']:.0f}/s", f"{fixed['achieved_rate']:.0f} calls/s",
     f"p50 {fixed['latency_ms']['p50']} ms, p99 {fixed['latency_ms']['p99']} ms, max {fixed['latency_ms']['max']} ms", ""),
]
if soak:
    rows.append((f"soak at 1,000/s, {soak['requests']} calls", f"{soak['achieved_rate']:.0f} calls/s",
                 f"p99 {soak['latency_ms']['p99']} ms; RSS {soak['rss_start_kb'] // 1024} MB -> {soak['rss_end_kb'] // 1024} MB, "
                 f"of it anonymous {soak['anon_kb'][0] // 1024} -> {soak['anon_kb'][1] // 1024} (1 min) -> {soak['anon_kb'][-1] // 1024} MB, "
                 f"mapped log pages {soak['mapped_kb'][0] // 1024} -> {soak['mapped_kb'][-1] // 1024} MB",
                 f"{soak_in_log} of {soak['statuses'].get('201', 0)} acknowledged in the log"))
rows.append(("public figures published (checkpoints)", f"{published}", f"{publish_failed} failing stretch(es) logged", ""))
print()
print("| measurement | rate | latency | ratio |")
print("| --- | --- | --- | --- |")
for row in rows:
    print("| " + " | ".join(row) + " |")
fixed_ok = not fixed["errors"] and set(fixed["statuses"]) <= {"201"} and fixed["latency_ms"]["p99"] < 100
targets = [
    ("POST /v1/calls >= 5,000 calls/s", f"{post[0]:.0f}", post[0] >= 5000),
    ("POST /v1/calls p99 < 50 ms", f"{post[2]:.1f} ms", post[2] < 50),
    ("its events >= 0.5x in-process group commit", f"{http_events / group['value']:.2f}x", http_events / group["value"] >= 0.5),
    (f"fixed {fixed['target_rate']:.0f}/s: every call 201, p99 < 100 ms", f"p99 {fixed['latency_ms']['p99']} ms, {fixed['statuses']}", fixed_ok),
    ("Open311 POST >= 0.8x POST /v1/calls", f"{open311[0] / post[0]:.2f}x", open311[0] / post[0] >= 0.8),
    ("queue reads >= 0.5x /healthz", f"{queue[0] / health[0]:.3f}x", queue[0] / health[0] >= 0.5),
]
if soak:
    # Flat: the server's own (anonymous) memory at the end within 1.2x of where it stood after the
    # first minute's warm-up; LMDB's mapped pages grow with the log and are page cache.
    warm = soak["anon_kb"][1] if len(soak["anon_kb"]) > 2 else soak["anon_kb"][0]
    targets.append(("soak: own memory flat (anonymous RSS end <= 1.2x after 1 min), every 201 in the log",
                    f"{soak['anon_kb'][-1] / warm:.2f}x, {soak_in_log}/{soak['statuses'].get('201', 0)}",
                    soak["anon_kb"][-1] <= 1.2 * warm and soak_in_log == soak["statuses"].get("201", 0)))
print()
print("| issue 16 target | measured | met |")
print("| --- | --- | --- |")
for name, value, met in targets:
    print(f"| {name} | {value} | {'yes' if met else '**no**'} |")
problems = []
if post[3] or queue[3] or health[3] or dashboard[3] or open311[3]:
    problems.append(f"non-2xx responses: healthz {health[3]}, dashboard {dashboard[3]}, post {post[3]}, queue {queue[3]}, "
                    f"open311 {open311[3]}")
if fixed["errors"] or set(fixed["statuses"]) - {"201"}:
    problems.append(f"fixed-rate run: statuses {fixed['statuses']}, errors {fixed['errors']}")
if fixed["generator_late_starts"]:
    problems.append(f"the fixed-rate generator started {fixed['generator_late_starts']} requests late (its own CPU)")
for problem in problems:
    print(f"bench_http: {problem}", file=sys.stderr)
EOF
