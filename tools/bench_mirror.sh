#!/usr/bin/env bash
# Measures a mirror catching up with a year's log from zero (issue 19): the seeded year is
# published as C2SP tiles (`defter log publish`, timed), served by Debian's nginx on loopback, and
# `defter mirror --once` copies it into an empty folder, through nginx and from the folder read in
# place; and `defter mirror push --once` pushes it to an empty `defter mirror serve` (C2SP
# tlog-mirror's add-checkpoint and add-entries, every package proven). The baseline, measured in the same run and alternating with the mirror, is
# `defter log verify` of the primary's log: the goal is a catch-up at >= 0.5x of its entries/s.
# Prints each round and a summary table (medians) for docs/benchmarks.md; asserts nothing.
# Usage: tools/bench_mirror.sh [CALLS] [ROUNDS]   (default: 148910 calls, a year; 3 rounds)
set -euo pipefail
cd "$(dirname "$0")/.."
calls=${1:-148910}
rounds=${2:-3}
swift build -c release --product defter > /dev/null 2>&1
defter=$(realpath .build/release/defter)
source tools/lib/nginx.sh
nginx=$(nginx_binary)
work=$(mktemp -d)
nginx_pid=""
trap '[[ -n $nginx_pid ]] && kill $nginx_pid 2> /dev/null; rm -rf "$work"' EXIT

# Runs defter with ARGS; prints its wall seconds and peak RssAnon/RssFile in MB (sampled from /proc).
# Each run starts with the disk's queue empty (`sync`): otherwise the write-back of what the
# previous step wrote (the 502 MB of tiles, a mirror just removed) lands in the next one's syncs.
measure() {
    local start end anon=0 file=0
    sync
    start=$(date +%s.%N)
    "$defter" "$@" > "$work/out.txt" 2>&1 &
    local pid=$!
    while kill -0 "$pid" 2> /dev/null; do
        if read -r a f < <(awk '/RssAnon/{a=$2} /RssFile/{f=$2} END{print a+0, f+0}' "/proc/$pid/status" 2> /dev/null); then
            ((a > anon)) && anon=$a
            ((f > file)) && file=$f
        fi
        sleep 0.1
    done
    wait "$pid" || { cat "$work/out.txt" >&2; exit 1; }
    end=$(date +%s.%N)
    echo "$(python3 -c "print(f'{$end - $start:.2f}')") $((anon / 1024)) $((file / 1024))"
}

echo "seeding $calls calls..." >&2
"$defter" demo seed --data "$work/primary" --calls "$calls" --year 2025 > /dev/null 2>&1
entries=$("$defter" log verify --data "$work/primary" | sed -n 's/^ok: \([0-9]*\) entries.*/\1/p')
read -r publish_s publish_anon _ < <(measure log publish --data "$work/primary" --to "$work/tiles")
files=$(find "$work/tiles" -type f | wc -l)
megabytes=$(du -sm "$work/tiles" | cut -f1)
read -r again_s _ _ < <(measure log publish --data "$work/primary" --to "$work/tiles")

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$work/nginx"
# The workers read the folder as the user running this script (mktemp makes it private).
user_line=""
[[ $(id -u) == 0 ]] && user_line="user root;"
cat > "$work/nginx.conf" << CONF
$user_line
daemon off;
worker_processes 1;
pid $work/nginx/pid;
error_log $work/nginx/error.log;
events { worker_connections 256; }
http {
    access_log off;
    sendfile on;
    client_body_temp_path $work/nginx/body;
    proxy_temp_path $work/nginx/proxy;
    fastcgi_temp_path $work/nginx/fastcgi;
    uwsgi_temp_path $work/nginx/uwsgi;
    scgi_temp_path $work/nginx/scgi;
    default_type application/octet-stream;
    server { listen 127.0.0.1:$port; root $work/tiles; }
}
CONF
"$nginx" -c "$work/nginx.conf" &
nginx_pid=$!
for _ in $(seq 1 50); do curl -fsS "http://127.0.0.1:$port/checkpoint" > /dev/null 2>&1 && break; sleep 0.1; done

"$defter" witness keygen --name bench.mirror/m --out "$work/mirror.key" > "$work/mirror.vkey"
push_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# Pushes the primary to an empty `defter mirror serve`; prints the push's wall seconds.
push_round() {
    rm -rf "$work/pushed"
    "$defter" mirror serve --data "$work/pushed" --vkey "$work/primary/checkpoint.vkey" --cosign-key "$work/mirror.key" \
        --port "$push_port" > "$work/mirror-serve.txt" 2>&1 &
    local server=$!
    for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$push_port/healthz" > /dev/null 2>&1 && break; sleep 0.1; done
    local result
    result=$(measure mirror push --data "$work/primary" --to "http://127.0.0.1:$push_port=$(cat "$work/mirror.vkey")" --once)
    kill "$server"
    wait "$server" 2> /dev/null || true
    "$defter" log verify --data "$work/pushed" | grep -q "^ok: $entries entries" || { echo "the pushed mirror does not verify" >&2; exit 1; }
    echo "$result"
}

verify=() http=() folder=() pushes=() anons=()
echo "| round | log verify (s) | mirror via nginx (s, anon MB, file MB) | mirror from the folder (s) | pushed to mirror serve (s) |" >&2
for round in $(seq 1 "$rounds"); do
    read -r v _ _ < <(measure log verify --data "$work/primary")
    rm -rf "$work/mirror"
    read -r h anon file < <(measure mirror --from "http://127.0.0.1:$port" --data "$work/mirror" --vkey "$work/primary/checkpoint.vkey" --once)
    "$defter" log verify --data "$work/mirror" | grep -q "^ok: $entries entries" || { echo "the mirror does not verify" >&2; exit 1; }
    rm -rf "$work/mirror"
    read -r f _ _ < <(measure mirror --from "$work/tiles" --data "$work/mirror" --vkey "$work/primary/checkpoint.vkey" --once)
    read -r p _ _ < <(push_round)
    echo "| $round | $v | $h, $anon, $file | $f | $p |" >&2
    verify+=("$v") http+=("$h") folder+=("$f") pushes+=("$p") anons+=("$anon")
done

python3 - "$entries" "$publish_s" "$publish_anon" "$files" "$megabytes" "$again_s" "${verify[*]}" "${http[*]}" "${folder[*]}" "${pushes[*]}" "${anons[*]}" << 'PY'
import statistics, sys
entries, publish_s, publish_anon, files, mb, again_s = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], float(sys.argv[6])
verify, http, folder, pushes, anon = ([float(x) for x in a.split()] for a in sys.argv[7:12])
v, h, f, p = statistics.median(verify), statistics.median(http), statistics.median(folder), statistics.median(pushes)
# Each round's ratio against the `log verify` run just before it: steadier on a shared machine
# than a ratio of medians, since both sides of a round meet the same neighbours.
per_round = sorted(a / b for a, b in zip(verify, http))
print(f"| measurement ({entries:,} entries; medians of {len(verify)} rounds) | figure |")
print("| --- | --- |")
print(f"| `defter log publish --to DIR`, from an empty folder | {publish_s:.1f} s; {files} files, {mb} MB; peak anonymous RSS {publish_anon} MB |")
print(f"| the same again, nothing new | {again_s:.2f} s |")
print(f"| baseline: `defter log verify` | {v:.2f} s ({entries / v:,.0f} entries/s) |")
print(f"| `defter mirror --once` from zero, through nginx | {h:.2f} s ({entries / h:,.0f} entries/s): **{v / h:.2f}x** of log verify (goal 0.5x: {'met' if v / h >= 0.5 else 'not met'}); peak anonymous RSS {max(anon):.0f} MB |")
print(f"| `defter mirror --once` from zero, from the folder itself | {f:.2f} s ({entries / f:,.0f} entries/s): {v / f:.2f}x |")
print(f"| `defter mirror push --once` to an empty `defter mirror serve` | {p:.2f} s ({entries / p:,.0f} entries/s): {v / p:.2f}x |")
print(f"| through nginx, each round against the `log verify` before it | {per_round[0]:.2f}-{per_round[-1]:.2f}x, median {statistics.median(per_round):.2f}x |")
PY
