#!/usr/bin/env bash
# The console's benchmark: a department queue of about 10,000 open tickets, measured in headless
# Chromium (tools/browser/bench_queue.py). Figures go to docs/benchmarks.md by hand, with the date.
# Usage: tools/bench_console.sh [DEFTER_BINARY] [OPEN_TICKETS]
set -euo pipefail
cd "$(dirname "$0")/.."
DEFTER=$(realpath "${1:-.build/release/defter}")
OPEN=${2:-10000}
WORK=$(mktemp -d)
SERVER_PID=""
trap '[[ -n $SERVER_PID ]] && kill $SERVER_PID 2>/dev/null; rm -rf "$WORK"' EXIT
DATA="$WORK/data"
echo "== $OPEN open roads tickets through the real intake path"
python3 - "$OPEN" >"$WORK/calls.ndjson" <<'PY'
import json, sys
districts = ["Dulkadiroğlu", "Onikişubat", "Afşin", "Elbistan", "Türkoğlu", "Pazarcık", "Göksun"]
texts = ["Caddede büyük bir çukur var, asfalt bozuldu", "Sokağımızdaki yol çöktü, araçlar geçemiyor",
         "Kaldırım taşları kırıldı, yürümek tehlikeli", "Yoldaki rögar kapağı yerinden çıkmış"]
for n in range(int(sys.argv[1])):
    print(json.dumps({"callId": f"bench-open-{n}", "channel": "phone", "operatorId": "bench",
                      "district": districts[n % len(districts)], "neighbourhood": f"Mahalle {n % 40}",
                      "caller": {"text": texts[n % len(texts)]}}, ensure_ascii=False))
PY
"$DEFTER" intake --data "$DATA" <"$WORK/calls.ndjson" >/dev/null
export DEFTER_TOKEN_ROADS=$("$DEFTER" tokens issue --data "$DATA" --role department:fen-isleri --name bench-roads)
export DEFTER_TOKEN_OPERATOR=$("$DEFTER" tokens issue --data "$DATA" --role operator --name bench-operator)
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export DEFTER_URL="http://127.0.0.1:$PORT"
"$DEFTER" serve --data "$DATA" --port "$PORT" >"$WORK/serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 300); do curl -sf "$DEFTER_URL/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
python3 tools/browser/bench_queue.py
