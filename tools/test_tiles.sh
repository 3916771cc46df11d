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

source tools/lib/nginx.sh
NGINX=$(nginx_binary)

source tools/lib/services.sh

DATA="$TMP/data"
TILES="$TMP/tiles"
"$DEFTER" demo seed --calls 400 --year 2025 --data "$DATA" >/dev/null 2>&1
check "defter log publish writes the tiles" 0 "$DEFTER" log publish --data "$DATA" --to "$TILES"

PORT=$(free_port)
cat >"$TMP/nginx.conf" <<CONF
user root;
daemon off;
worker_processes 1;
pid $TMP/nginx.pid;
error_log $TMP/nginx-error.log;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $TMP/nginx-body;
    proxy_temp_path $TMP/nginx-proxy;
    fastcgi_temp_path $TMP/nginx-fastcgi;
    uwsgi_temp_path $TMP/nginx-uwsgi;
    scgi_temp_path $TMP/nginx-scgi;
    default_type application/octet-stream;
    server {
        listen 127.0.0.1:$PORT;
        root $TILES;
        location = /checkpoint { default_type "text/plain; charset=utf-8"; add_header Cache-Control "public, max-age=5"; }
        location /tile/ { add_header Cache-Control "public, max-age=31536000, immutable"; }
    }
}
CONF
"$NGINX" -c "$TMP/nginx.conf" &
PIDS+=($!)
for _ in $(seq 1 50); do curl -fsS "http://127.0.0.1:$PORT/checkpoint" >/dev/null 2>&1 && break; sleep 0.1; done

check "verify_tiles.py checks the published log through nginx" 0 \
    python3 tools/verify_tiles.py "http://127.0.0.1:$PORT" --vkey "$DATA/checkpoint.vkey" --save "$TMP/old-checkpoint"

printf '%s\n' \
    '{"callId":"tiles-1","channel":"phone","operatorId":"op-test","district":"Elbistan","caller":{"text":"Sokağımızdaki çöpler toplanmadı"}}' \
    '{"callId":"tiles-2","channel":"phone","operatorId":"op-test","district":"Afşin","caller":{"text":"Parktaki ağaç devrildi"}}' |
    "$DEFTER" intake --data "$DATA" >/dev/null
check "publishing again writes only what is new" 0 "$DEFTER" log publish --data "$DATA" --to "$TILES"
check "the grown log verifies and is consistent with the checkpoint saved before" 0 \
    python3 tools/verify_tiles.py "http://127.0.0.1:$PORT" --vkey "$DATA/checkpoint.vkey" --old-checkpoint "$TMP/old-checkpoint"

# A self-contained C2SP tlog-proof, checked offline by a tool that shares no code with Defter.
"$DEFTER" log prove --data "$DATA" --seq 7 --format tlog-proof >"$TMP/seven.tlog-proof"
check "defter log prove --format tlog-proof gives a proof tools/verify_tlog_proof.py accepts" 0 \
    python3 tools/verify_tlog_proof.py "$TMP/seven.tlog-proof" --vkey "$DATA/checkpoint.vkey"
sed 's/^index 6$/index 7/' "$TMP/seven.tlog-proof" >"$TMP/moved.tlog-proof"
check "the same proof claiming another index is refused" 1 \
    python3 tools/verify_tlog_proof.py "$TMP/moved.tlog-proof" --vkey "$DATA/checkpoint.vkey"

# One byte of one entry changed in a copy: the recomputed root no longer matches.
cp -r "$TILES" "$TMP/forged"
python3 - "$TMP/forged/tile/entries/000" <<'PY'
import sys
path = sys.argv[1]
data = bytearray(open(path, "rb").read())
at = data.index(b'"actor":"') + 9
data[at] ^= 0x01
open(path, "wb").write(bytes(data))
PY
sed -i "s|root $TILES;|root $TMP/forged;|" "$TMP/nginx.conf"
kill -HUP "${PIDS[0]}"
sleep 0.5
check "a tile with one byte changed is refused" 1 \
    python3 tools/verify_tiles.py "http://127.0.0.1:$PORT" --vkey "$DATA/checkpoint.vkey"
check "a key that is not the log's is refused" 1 \
    python3 tools/verify_tiles.py "http://127.0.0.1:$PORT" --vkey "$(python3 - <<'PY'
import base64, hashlib
raw = bytes([1]) + bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")  # RFC 8032 test 1
key_id = hashlib.sha256(b"other" + bytes([10]) + raw).digest()[:4].hex()
print("other+" + key_id + "+" + base64.b64encode(raw).decode())
PY
)"

SERVE_PORT=$(free_port)
"$DEFTER" serve --data "$DATA" --port "$SERVE_PORT" --publish "$TMP/live" --checkpoint-every 1s >"$TMP/serve.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$SERVE_PORT/checkpoint" >/dev/null 2>&1 && break; sleep 0.1; done
check "defter serve serves the same tiles itself" 0 \
    python3 tools/verify_tiles.py "http://127.0.0.1:$SERVE_PORT" --vkey "$DATA/checkpoint.vkey" --old-checkpoint "$TMP/old-checkpoint"
check "full tiles are immutable for caches" 0 \
    bash -c "curl -fsS -D - -o /dev/null 'http://127.0.0.1:$SERVE_PORT/tile/0/000' | grep -qi 'cache-control: public, max-age=31536000, immutable'"

# `defter serve --publish DIR` keeps a folder of tiles current as it signs checkpoints.
printf '%s\n' '{"callId":"tiles-3","channel":"phone","operatorId":"op-test","district":"Pazarcık","caller":{"text":"Su borusu patladı"}}' |
    curl -fsS -o /dev/null -X POST "http://127.0.0.1:$SERVE_PORT/v1/calls" -H "Authorization: Bearer $("$DEFTER" tokens issue --data "$DATA" --role operator --name tiles-test)" \
        -H 'Content-Type: application/json' --data-binary @-
size=$("$DEFTER" log read --data "$DATA" 2>/dev/null | wc -l)
for _ in $(seq 1 100); do
    [[ -f $TMP/live/checkpoint ]] && [[ $(sed -n 2p "$TMP/live/checkpoint") == "$size" ]] && break
    sleep 0.2
done
LIVE_PORT=$(free_port)
(cd "$TMP/live" && exec python3 -m http.server "$LIVE_PORT" --bind 127.0.0.1 >/dev/null 2>&1) &
PIDS+=($!)
for _ in $(seq 1 50); do curl -fsS "http://127.0.0.1:$LIVE_PORT/checkpoint" >/dev/null 2>&1 && break; sleep 0.1; done
check "defter serve --publish keeps a folder of tiles at its newest checkpoint ($size entries)" 0 \
    bash -c "[[ \$(sed -n 2p '$TMP/live/checkpoint') == $size ]] && python3 tools/verify_tiles.py 'http://127.0.0.1:$LIVE_PORT' --vkey '$DATA/checkpoint.vkey' --old-checkpoint '$TMP/old-checkpoint'"

summary
