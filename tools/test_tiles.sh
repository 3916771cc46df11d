#!/usr/bin/env bash
# The log as C2SP tlog-tiles, end to end: `defter log publish` writes a seeded log into a folder,
# Debian's nginx serves that folder on loopback, and tools/verify_tiles.py (Python standard
# library, no Defter code) checks it through nginx: signature, every entry bundle and hash tile,
# and the root recomputed from the entries. Then the log grows, is published again (only what is
# new), and the new checkpoint is checked for consistency with the one saved before. A copy with
# one byte of one entry changed must fail. Last, `defter serve` serves the same paths itself.
# Usage: tools/test_tiles.sh DEFTER_BINARY
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $# -ge 1 ]] || { echo "usage: $0 DEFTER_BINARY" >&2; exit 2; }
DEFTER=$(realpath "$1")

if ! command -v nginx >/dev/null && [[ ! -x /usr/sbin/nginx ]]; then
    echo "test_tiles: installing nginx" >&2
    SUDO=()
    [[ $(id -u) == 0 ]] || SUDO=(sudo)
    "${SUDO[@]}" apt-get update -qq
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null 2>&1 ||
        "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

WORK=$(mktemp -d)
PIDS=()
cleanup() {
    # A killed server exits 143; that is not a failure of the test.
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null && { wait "$pid" 2>/dev/null || true; }; done
    rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
passed=0
failed=0
expect() { # NAME EXPECTED_STATUS COMMAND...
    local name=$1 want=$2
    shift 2
    local got=0
    "$@" >"$WORK/out.txt" 2>&1 || got=$?
    if [[ $got == "$want" ]]; then
        passed=$((passed + 1))
        echo "ok: $name"
    else
        failed=$((failed + 1))
        echo "FAIL: $name (exit $got, expected $want)"
        sed 's/^/    /' "$WORK/out.txt"
    fi
}

DATA="$WORK/data"
TILES="$WORK/tiles"
"$DEFTER" demo seed --calls 400 --year 2025 --data "$DATA" >/dev/null 2>&1
expect "defter log publish writes the tiles" 0 "$DEFTER" log publish --data "$DATA" --to "$TILES"

PORT=$(free_port)
cat >"$WORK/nginx.conf" <<CONF
user root;
daemon off;
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $WORK/nginx-body;
    proxy_temp_path $WORK/nginx-proxy;
    fastcgi_temp_path $WORK/nginx-fastcgi;
    uwsgi_temp_path $WORK/nginx-uwsgi;
    scgi_temp_path $WORK/nginx-scgi;
    default_type application/octet-stream;
    server {
        listen 127.0.0.1:$PORT;
        root $TILES;
        location = /checkpoint { default_type "text/plain; charset=utf-8"; add_header Cache-Control "public, max-age=5"; }
        location /tile/ { add_header Cache-Control "public, max-age=31536000, immutable"; }
    }
}
CONF
"$NGINX" -c "$WORK/nginx.conf" &
PIDS+=($!)
for _ in $(seq 1 50); do curl -fsS "http://127.0.0.1:$PORT/checkpoint" >/dev/null 2>&1 && break; sleep 0.1; done

expect "verify_tiles.py checks the published log through nginx" 0 \
    python3 tools/verify_tiles.py "http://127.0.0.1:$PORT" --vkey "$DATA/checkpoint.vkey" --save "$WORK/old-checkpoint"

printf '%s\n' \
    '{"callId":"tiles-1","channel":"phone","operatorId":"op-test","district":"Elbistan","caller":{"text":"Sokağımızdaki çöpler toplanmadı"}}' \
    '{"callId":"tiles-2","channel":"phone","operatorId":"op-test","district":"Afşin","caller":{"text":"Parktaki ağaç devrildi"}}' |
    "$DEFTER" intake --data "$DATA" >/dev/null
expect "publishing again writes only what is new" 0 "$DEFTER" log publish --data "$DATA" --to "$TILES"
expect "the grown log verifies and is consistent with the checkpoint saved before" 0 \
    python3 tools/verify_tiles.py "http://127.0.0.1:$PORT" --vkey "$DATA/checkpoint.vkey" --old-checkpoint "$WORK/old-checkpoint"

# A self-contained C2SP tlog-proof, checked offline by a tool that shares no code with Defter.
"$DEFTER" log prove --data "$DATA" --seq 7 --format tlog-proof >"$WORK/seven.tlog-proof"
expect "defter log prove --format tlog-proof gives a proof tools/verify_tlog_proof.py accepts" 0 \
    python3 tools/verify_tlog_proof.py "$WORK/seven.tlog-proof" --vkey "$DATA/checkpoint.vkey"
sed 's/^index 6$/index 7/' "$WORK/seven.tlog-proof" >"$WORK/moved.tlog-proof"
expect "the same proof claiming another index is refused" 1 \
    python3 tools/verify_tlog_proof.py "$WORK/moved.tlog-proof" --vkey "$DATA/checkpoint.vkey"

# One byte of one entry changed in a copy: the recomputed root no longer matches.
cp -r "$TILES" "$WORK/forged"
python3 - "$WORK/forged/tile/entries/000" <<'PY'
import sys
path = sys.argv[1]
data = bytearray(open(path, "rb").read())
at = data.index(b'"actor":"') + 9
data[at] ^= 0x01
open(path, "wb").write(bytes(data))
PY
sed -i "s|root $TILES;|root $WORK/forged;|" "$WORK/nginx.conf"
kill -HUP "${PIDS[0]}"
sleep 0.5
expect "a tile with one byte changed is refused" 1 \
    python3 tools/verify_tiles.py "http://127.0.0.1:$PORT" --vkey "$DATA/checkpoint.vkey"
expect "a key that is not the log's is refused" 1 \
    python3 tools/verify_tiles.py "http://127.0.0.1:$PORT" --vkey "$(python3 - <<'PY'
import base64, hashlib
raw = bytes([1]) + bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")  # RFC 8032 test 1
key_id = hashlib.sha256(b"other" + bytes([10]) + raw).digest()[:4].hex()
print("other+" + key_id + "+" + base64.b64encode(raw).decode())
PY
)"

SERVE_PORT=$(free_port)
"$DEFTER" serve --data "$DATA" --port "$SERVE_PORT" --publish "$WORK/live" --checkpoint-every 1s >"$WORK/serve.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$SERVE_PORT/checkpoint" >/dev/null 2>&1 && break; sleep 0.1; done
expect "defter serve serves the same tiles itself" 0 \
    python3 tools/verify_tiles.py "http://127.0.0.1:$SERVE_PORT" --vkey "$DATA/checkpoint.vkey" --old-checkpoint "$WORK/old-checkpoint"
expect "full tiles are immutable for caches" 0 \
    bash -c "curl -fsS -D - -o /dev/null 'http://127.0.0.1:$SERVE_PORT/tile/0/000' | grep -qi 'cache-control: public, max-age=31536000, immutable'"

# `defter serve --publish DIR` keeps a folder of tiles current as it signs checkpoints.
printf '%s\n' '{"callId":"tiles-3","channel":"phone","operatorId":"op-test","district":"Pazarcık","caller":{"text":"Su borusu patladı"}}' |
    curl -fsS -o /dev/null -X POST "http://127.0.0.1:$SERVE_PORT/v1/calls" -H "Authorization: Bearer $("$DEFTER" tokens issue --data "$DATA" --role operator --name tiles-test)" \
        -H 'Content-Type: application/json' --data-binary @-
size=$("$DEFTER" log read --data "$DATA" 2>/dev/null | wc -l)
for _ in $(seq 1 100); do
    [[ -f $WORK/live/checkpoint ]] && [[ $(sed -n 2p "$WORK/live/checkpoint") == "$size" ]] && break
    sleep 0.2
done
LIVE_PORT=$(free_port)
(cd "$WORK/live" && exec python3 -m http.server "$LIVE_PORT" --bind 127.0.0.1 >/dev/null 2>&1) &
PIDS+=($!)
for _ in $(seq 1 50); do curl -fsS "http://127.0.0.1:$LIVE_PORT/checkpoint" >/dev/null 2>&1 && break; sleep 0.1; done
expect "defter serve --publish keeps a folder of tiles at its newest checkpoint ($size entries)" 0 \
    bash -c "[[ \$(sed -n 2p '$WORK/live/checkpoint') == $size ]] && python3 tools/verify_tiles.py 'http://127.0.0.1:$LIVE_PORT' --vkey '$DATA/checkpoint.vkey' --old-checkpoint '$WORK/old-checkpoint'"

echo "test_tiles: $passed passed, $failed failed"
[[ $failed == 0 ]]
