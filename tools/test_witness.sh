#!/usr/bin/env bash
# Witnesses, end to end (C2SP tlog-witness and tlog-cosignature): two `defter witness serve`
# processes follow a primary `defter serve --witness ... --witness-quorum 2 --publish DIR`.
# Each checkpoint the primary signs is cosigned by both and published as tiles with their
# cosignatures; tools/verify_tiles.py checks the cosignatures and the quorum. Then a rewritten
# history, signed with the same key (a copy of the primary's folder taken earlier, grown with
# other calls), is refused by both witnesses, so it never reaches its tiles folder.
# Usage: tools/test_witness.sh DEFTER_BINARY
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $# -ge 1 ]] || { echo "usage: $0 DEFTER_BINARY" >&2; exit 2; }
DEFTER=$(realpath "$1")
WORK=$(mktemp -d)
PIDS=()
cleanup() {
    # A killed server exits 143; that is not a failure of the test.
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null && { wait "$pid" 2>/dev/null || true; }; done
    [[ -n ${KEEP:-} ]] || rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_url() { for _ in $(seq 1 100); do curl -fsS "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }
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
call() { # PORT TOKEN CALL_ID TEXT
    curl -fsS -o /dev/null -X POST "http://127.0.0.1:$1/v1/calls" -H "Authorization: Bearer $2" -H 'Content-Type: application/json' \
        --data-binary "{\"callId\":\"$3\",\"channel\":\"phone\",\"operatorId\":\"op-test\",\"district\":\"Elbistan\",\"caller\":{\"text\":\"$4\"}}"
}
published_size() { [[ -f $1/checkpoint ]] && sed -n 2p "$1/checkpoint" || echo 0; }

DATA="$WORK/data"
"$DEFTER" demo seed --calls 200 --year 2025 --data "$DATA" >/dev/null 2>&1
LOG_VKEY=$(cat "$DATA/checkpoint.vkey")
ORIGIN=${LOG_VKEY%%+*}
# The copy a rewriter would start from: the same key, the history as it is now.
cp -r "$DATA" "$WORK/fork"
TOKEN=$("$DEFTER" tokens issue --data "$DATA" --role operator --name witness-test)
FORK_TOKEN=$("$DEFTER" tokens issue --data "$WORK/fork" --role operator --name witness-test)

WITNESSES=()
KEYS=()
for n in 1 2; do
    key=$("$DEFTER" witness keygen --name "witness$n.example.org/w" --out "$WORK/w$n.key")
    port=$(free_port)
    "$DEFTER" witness serve --key "$WORK/w$n.key" --log "$ORIGIN=$LOG_VKEY" --data "$WORK/w$n" --port "$port" >"$WORK/w$n.log" 2>&1 &
    PIDS+=($!)
    wait_url "http://127.0.0.1:$port/healthz"
    WITNESSES+=(--witness "http://127.0.0.1:$port=$key")
    KEYS+=(--witness "$key")
done
expect "a witness refuses a second key file over an existing one" 2 "$DEFTER" witness keygen --name again --out "$WORK/w1.key"

PORT=$(free_port)
"$DEFTER" serve --data "$DATA" --port "$PORT" --checkpoint-every 1s --publish "$WORK/tiles" "${WITNESSES[@]}" --witness-quorum 2 \
    >"$WORK/primary.log" 2>&1 &
PRIMARY=$!
PIDS+=($PRIMARY)
wait_url "http://127.0.0.1:$PORT/healthz"
for _ in $(seq 1 100); do [[ $(published_size "$WORK/tiles") != 0 ]] && break; sleep 0.2; done
TILE_PORT=$(free_port)
(cd "$WORK/tiles" && exec python3 -m http.server "$TILE_PORT" --bind 127.0.0.1 >/dev/null 2>&1) &
PIDS+=($!)
wait_url "http://127.0.0.1:$TILE_PORT/checkpoint"
expect "the published checkpoint carries both witnesses' cosignatures, and the tiles verify with a quorum of 2" 0 \
    python3 tools/verify_tiles.py "http://127.0.0.1:$TILE_PORT" --vkey "$DATA/checkpoint.vkey" "${KEYS[@]}" --quorum 2 --save "$WORK/first"
expect "a quorum of 3 of those 2 witnesses is not met" 1 \
    python3 tools/verify_tiles.py "http://127.0.0.1:$TILE_PORT" --vkey "$DATA/checkpoint.vkey" "${KEYS[@]}" --quorum 3

first=$(published_size "$WORK/tiles")
call "$PORT" "$TOKEN" witness-1 "Sokağımızdaki çöpler toplanmadı"
call "$PORT" "$TOKEN" witness-2 "Parktaki ağaç devrildi"
for _ in $(seq 1 100); do (($(published_size "$WORK/tiles") > first)) && break; sleep 0.2; done
expect "the next checkpoint is cosigned from the witnesses' last one, and is consistent with it" 0 \
    python3 tools/verify_tiles.py "http://127.0.0.1:$TILE_PORT" --vkey "$DATA/checkpoint.vkey" "${KEYS[@]}" --quorum 2 \
    --old-checkpoint "$WORK/first"
expect "/checkpoint of defter serve shows the cosignatures too" 0 \
    bash -c "curl -fsS 'http://127.0.0.1:$PORT/checkpoint' | grep -c '^— witness' | grep -qx 2"
expect "the public dashboard names the witnesses of the checkpoint its figures were computed at" 0 \
    bash -c "curl -fsS 'http://127.0.0.1:$PORT/v1/public/dashboard' | python3 -c 'import json,sys; w = json.load(sys.stdin)[\"witnesses\"]; assert sorted(w) == [\"witness1.example.org/w\", \"witness2.example.org/w\"], w'"
kill "$PRIMARY"
wait "$PRIMARY" 2>/dev/null || true
cosigned=$(published_size "$WORK/tiles")

# The rewrite: the copy grows with other calls, past what the witnesses cosigned.
FORK_PORT=$(free_port)
"$DEFTER" serve --data "$WORK/fork" --port "$FORK_PORT" --checkpoint-every 1s --publish "$WORK/fork-tiles" "${WITNESSES[@]}" \
    --witness-quorum 2 >"$WORK/fork.log" 2>&1 &
PIDS+=($!)
wait_url "http://127.0.0.1:$FORK_PORT/healthz"
for n in 1 2 3 4; do call "$FORK_PORT" "$FORK_TOKEN" "rewrite-$n" "Başka bir şikâyet $n"; done
for _ in $(seq 1 150); do
    [[ $(grep 'did not cosign' "$WORK/fork.log" | grep 'refused (422)' | grep -o 'witness[12].example.org' | sort -u | wc -l) == 2 ]] && break
    sleep 0.2
done
expect "both witnesses refuse the rewritten history as inconsistent (422)" 0 \
    bash -c "grep 'did not cosign' '$WORK/fork.log' | grep -q 'refused (422)' && [[ \$(grep 'did not cosign' '$WORK/fork.log' | grep -o 'witness[12].example.org' | sort -u | wc -l) == 2 ]]"
expect "the rewritten checkpoint never reaches its tiles folder" 0 bash -c "[[ ! -f '$WORK/fork-tiles/checkpoint' ]]"
expect "the witnesses still hold the honest tree ($cosigned entries)" 0 \
    bash -c "[[ \$(sed -n 2p '$WORK/tiles/checkpoint') == $cosigned ]]"

echo "test_witness: $passed passed, $failed failed"
[[ $failed == 0 ]]
