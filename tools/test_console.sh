#!/usr/bin/env bash
# The console's browser tests: drives Debian's Chromium through chromedriver with Selenium
# against a real `defter serve` on a freshly seeded data folder.
# Usage: tools/test_console.sh DEFTER_BINARY [SCREENSHOT_DIR]
#
# Installs chromium, chromium-driver (Debian) and selenium (PyPI) when missing. Runs the
# browser-side verifier's own tests (RFC 6962 vectors, RFC 8032, a real checkpoint), then the
# staff console end to end, then the audit screens, then the public dashboard and tracking
# pages. Screenshots of every screen go to SCREENSHOT_DIR (default .build/console-screenshots)
# and are checked not blank.
set -euo pipefail
cd "$(dirname "$0")/.."

[[ $# -ge 1 ]] || { echo "usage: $0 DEFTER_BINARY [SCREENSHOT_DIR]" >&2; exit 2; }
DEFTER=$(realpath "$1")
SHOTS=$(realpath -m "${2:-.build/console-screenshots}")

SUDO=()
[[ $(id -u) == 0 ]] || SUDO=(sudo)
need=()
command -v chromium >/dev/null || need+=(chromium)
command -v chromedriver >/dev/null || need+=(chromium-driver)
if ((${#need[@]})); then
    echo "test_console: installing ${need[*]}" >&2
    "${SUDO[@]}" apt-get update -qq
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
if ! python3 -c 'import selenium' 2>/dev/null; then
    echo "test_console: installing selenium" >&2
    python3 -m pip install --quiet selenium 2>/dev/null || python3 -m pip install --quiet --break-system-packages selenium
fi

WORK=$(mktemp -d)
SERVER_PID=""
cleanup() {
    [[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

echo "== the browser's verifier on the RFC 6962 and RFC 8032 vectors"
python3 tools/browser/test_verify_js.py

echo "== seeding a small city for the console"
DATA="$WORK/data"
"$DEFTER" demo seed --calls 3000 --year 2025 --data "$DATA" >/dev/null
"$DEFTER" log checkpoint --data "$DATA" >/dev/null
# Two more calls and a second checkpoint, so that the checkpoints screen has a consistency to prove.
printf '%s\n' \
    '{"callId":"console-test-1","channel":"phone","operatorId":"op-test","district":"Elbistan","caller":{"text":"Sokağımızdaki çöpler üç gündür toplanmadı"}}' \
    '{"callId":"console-test-2","channel":"phone","operatorId":"op-test","district":"Afşin","caller":{"text":"Parktaki ağaç devrildi, yolu kapattı"}}' |
    "$DEFTER" intake --data "$DATA" >/dev/null
"$DEFTER" log checkpoint --data "$DATA" >/dev/null
token() { "$DEFTER" tokens issue --data "$DATA" --role "$1" --name "$2"; }
export DEFTER_TOKEN_OPERATOR=$(token operator op-ayse)
export DEFTER_TOKEN_ROADS=$(token department:fen-isleri yol-ekibi)
export DEFTER_TOKEN_CLEANING=$(token department:temizlik temizlik-ekibi)
export DEFTER_TOKEN_OFFICER=$(token officer seffaflik)
export DEFTER_TOKEN_AUDITOR=$(token auditor denetci)
export DEFTER_TICKET=2025-000042
export DEFTER_SCREENSHOTS=$SHOTS
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export DEFTER_URL="http://127.0.0.1:$PORT"
"$DEFTER" serve --data "$DATA" --port "$PORT" >"$WORK/serve.log" 2>&1 &
SERVER_PID=$!
# The first 200 of /readyz, never asked again: an entry the service appends at its start can
# turn it back to 503 for a moment while the projections read it.
ready=false
for _ in $(seq 1 100); do
    if curl -sf "$DEFTER_URL/readyz" >/dev/null 2>&1; then ready=true && break; fi
    sleep 0.2
done
$ready || { echo "test_console: the service did not get ready" >&2; tail -20 "$WORK/serve.log" >&2; exit 1; }

status=0
echo "== the staff console, end to end"
python3 tools/browser/test_console.py || status=1
echo "== the audit screens"
python3 tools/browser/test_audit.py || status=1
echo "== the public dashboard and request tracking"
python3 tools/browser/test_public.py || status=1

echo "== imported tickets in the console"
IMPORT_DATA="$WORK/import"
"$DEFTER" import legacy Tests/DefterImportTests/Fixtures/turkish-crm.csv \
    --mapping Tests/DefterImportTests/Fixtures/turkish-crm.toml --data "$IMPORT_DATA" >/dev/null || true
export DEFTER_IMPORT_TICKET=$("$DEFTER" queue temizlik --data "$IMPORT_DATA" --status routed --json |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["items"][0]["ticket"])')
export DEFTER_IMPORT_SOURCE=$("$DEFTER" ticket "$DEFTER_IMPORT_TICKET" --data "$IMPORT_DATA" --json |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["source"]["id"])')
export DEFTER_IMPORT_TOKEN=$("$DEFTER" tokens issue --data "$IMPORT_DATA" --role department:temizlik --name temizlik-ekibi)
IMPORT_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export DEFTER_IMPORT_URL="http://127.0.0.1:$IMPORT_PORT"
"$DEFTER" serve --data "$IMPORT_DATA" --port "$IMPORT_PORT" >"$WORK/serve-import.log" 2>&1 &
IMPORT_PID=$!
for _ in $(seq 1 100); do
    curl -sf "$DEFTER_IMPORT_URL/readyz" >/dev/null 2>&1 && break
    sleep 0.2
done
python3 tools/browser/test_import_console.py || status=1
kill "$IMPORT_PID" 2>/dev/null && { wait "$IMPORT_PID" 2>/dev/null || true; }

if [[ $status != 0 ]]; then
    echo "test_console: the service's log ends:" >&2
    tail -20 "$WORK/serve.log" >&2
fi
echo "screenshots: $SHOTS"
exit $status
