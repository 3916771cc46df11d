#!/usr/bin/env bash
# C2SP tlog-mirror's push API, end to end: `defter mirror serve` takes a running primary's
# checkpoints and entries from `defter mirror push` (add-checkpoint, then add-entries in packages
# proven by subtree consistency proofs), cosigns what it holds, and serves the copy read-only under
# the spec's monitoring prefix (/<SHA-256 of the origin>/); a rewritten history pushed with the
# same key is refused; a pusher that does not know the mirror's key trusts nothing it answers; a
# mirror killed in the middle of a push takes it again, restarted.
# Usage: tools/test_mirror_push.sh DEFTER_BINARY
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $# -ge 1 ]] || { echo "usage: $0 DEFTER_BINARY" >&2; exit 2; }
DEFTER=$(realpath "$1")
source tools/lib/services.sh
entries() { "$DEFTER" log read --data "$1" 2>/dev/null | wc -l; }

PRIMARY="$TMP/primary"
"$DEFTER" demo seed --calls 300 --year 2025 --data "$PRIMARY" >/dev/null 2>&1
cp -r "$PRIMARY" "$TMP/fork"   # what a rewriter would start from: same key, same history so far
TOKEN=$("$DEFTER" tokens issue --data "$PRIMARY" --role operator --name push-test)
PORT=$(free_port)
"$DEFTER" serve --data "$PRIMARY" --port "$PORT" --checkpoint-every 1s >"$TMP/primary.log" 2>&1 &
PIDS+=($!)
wait_url "http://127.0.0.1:$PORT/healthz"

MIRROR_VKEY=$("$DEFTER" witness keygen --name "mirror.push.test/m1" --out "$TMP/mirror.key")
MIRROR_PORT=$(free_port)
"$DEFTER" mirror serve --data "$TMP/mirror" --vkey "$PRIMARY/checkpoint.vkey" --cosign-key "$TMP/mirror.key" --port "$MIRROR_PORT" \
    >"$TMP/mirror.log" 2>&1 &
PIDS+=($!)
wait_url "http://127.0.0.1:$MIRROR_PORT/healthz"
TO="http://127.0.0.1:$MIRROR_PORT=$MIRROR_VKEY"

check "defter mirror push sends the primary's checkpoint and entries; the mirror cosigns it" 0 \
    "$DEFTER" mirror push --data "$PRIMARY" --to "$TO" --once
cp "$TMP/out" "$TMP/pushed.txt"
check "it says the mirror holds the log, cosigned" 0 grep -q "mirror.push.test/m1 holds .* cosigned" "$TMP/pushed.txt"
check "the mirror's log verifies with the primary's key (python verifier)" 0 \
    python3 tools/verify_log.py "$TMP/mirror" --vkey "$PRIMARY/checkpoint.vkey"
first=$(entries "$TMP/mirror")
check "the mirror holds every entry of a year's 300 calls ($first)" 0 bash -c "(( $first >= 300 ))"

call "$PORT" "$TOKEN" push-1 "Çöp konteyneri taştı"
call "$PORT" "$TOKEN" push-2 "Yol çöktü, araçlar geçemiyor"
for _ in $(seq 1 50); do (($(curl -fsS "http://127.0.0.1:$PORT/checkpoint" | sed -n 2p) > first)) && break; sleep 0.2; done
check "a second push sends only what is new, and the mirror grows with the primary" 0 \
    "$DEFTER" mirror push --data "$PRIMARY" --to "$TO" --once
check "the mirror now holds the two new calls" 0 bash -c "(( \$('$DEFTER' log read --data '$TMP/mirror' | wc -l) > $first ))"

WRONG_VKEY=$("$DEFTER" witness keygen --name "mirror.push.test/m1" --out "$TMP/impostor.key")
check "a pusher that knows another key for the mirror refuses its answer (exit 1)" 1 \
    "$DEFTER" mirror push --data "$PRIMARY" --to "http://127.0.0.1:$MIRROR_PORT=$WRONG_VKEY" --once
cp "$TMP/err" "$TMP/impostor.txt"
check "it says the mirror's cosignature is not by the key it was given" 0 grep -q "without a valid cosignature by its key" "$TMP/impostor.txt"

# The fork: the copy taken at the start, grown with other calls and signed with the same key.
FORK_PORT=$(free_port)
FORK_TOKEN=$("$DEFTER" tokens issue --data "$TMP/fork" --role operator --name push-test)
"$DEFTER" serve --data "$TMP/fork" --port "$FORK_PORT" --checkpoint-every 1s >"$TMP/fork.log" 2>&1 &
FORK_PID=$!
PIDS+=($FORK_PID)
wait_url "http://127.0.0.1:$FORK_PORT/healthz"
for n in 1 2 3 4 5 6; do call "$FORK_PORT" "$FORK_TOKEN" "fork-$n" "Başka bir şikâyet $n"; done
held=$(entries "$TMP/mirror")
for _ in $(seq 1 50); do (($(curl -fsS "http://127.0.0.1:$FORK_PORT/checkpoint" | sed -n 2p) > held)) && break; sleep 0.2; done
kill "$FORK_PID"; wait "$FORK_PID" 2>/dev/null || true
check "a rewritten history pushed with the same key is refused (exit 1)" 1 "$DEFTER" mirror push --data "$TMP/fork" --to "$TO" --once
cp "$TMP/err" "$TMP/fork-refusal.txt"
check "the mirror says the checkpoint does not extend the one it holds" 0 grep -q "not consistent with the one of size $held this mirror holds" "$TMP/fork-refusal.txt"
check "the mirror kept what it had, and it verifies" 0 \
    bash -c "[[ \$('$DEFTER' log read --data '$TMP/mirror' | wc -l) == $held ]] && python3 tools/verify_log.py '$TMP/mirror' --vkey '$PRIMARY/checkpoint.vkey' >/dev/null"

# A mirror killed (SIGKILL) in the middle of a push loses at most what it accepted and had not yet
# committed: restarted, it answers from its log, and the next push resumes from there.
BIG="$TMP/big"
"$DEFTER" demo seed --calls 3000 --year 2025 --data "$BIG" >/dev/null 2>&1
"$DEFTER" log checkpoint --data "$BIG" >/dev/null
BIG_PORT=$(free_port)
start_big_mirror() {
    "$DEFTER" mirror serve --data "$TMP/big-mirror" --vkey "$BIG/checkpoint.vkey" --cosign-key "$TMP/mirror.key" --port "$BIG_PORT" \
        >>"$TMP/big-mirror.log" 2>&1 &
    BIG_MIRROR=$!
    PIDS+=($BIG_MIRROR)
    wait_url "http://127.0.0.1:$BIG_PORT/healthz"
}
start_big_mirror
"$DEFTER" mirror push --data "$BIG" --to "http://127.0.0.1:$BIG_PORT=$MIRROR_VKEY" --once >"$TMP/big-push.txt" 2>&1 &
PUSH=$!
# Killed while the push goes on: after its first answer, a 202 for entries accepted and not yet
# committed, in most runs (the check below holds wherever the kill lands).
sleep 0.3
kill -9 "$BIG_MIRROR" 2>/dev/null || true
wait "$PUSH" 2>/dev/null || true
wait "$BIG_MIRROR" 2>/dev/null || true
start_big_mirror
check "restarted after SIGKILL, the mirror takes the push again from what it had committed" 0 \
    "$DEFTER" mirror push --data "$BIG" --to "http://127.0.0.1:$BIG_PORT=$MIRROR_VKEY" --once
check "and holds the whole log, byte for byte, verified (python verifier)" 0 \
    bash -c "[[ \$('$DEFTER' log read --data '$TMP/big-mirror' | wc -l) == \$('$DEFTER' log read --data '$BIG' | wc -l) ]] && python3 tools/verify_log.py '$TMP/big-mirror' --vkey '$BIG/checkpoint.vkey' >/dev/null"

# The copy, served read-only under the spec's monitoring prefix, with the mirror's cosignature.
READ_PORT=$(free_port)
"$DEFTER" serve --data "$TMP/mirror" --port "$READ_PORT" --read-only >"$TMP/read.log" 2>&1 &
PIDS+=($!)
wait_url "http://127.0.0.1:$READ_PORT/readyz"
ORIGIN=$(sed -n 1p "$PRIMARY/checkpoint.vkey" | cut -d+ -f1)
ORIGIN_HASH=$(printf '%s' "$ORIGIN" | sha256sum | cut -d' ' -f1)
check "the copy's tiles under /<origin hash>/ verify, with the mirror's cosignature (python verifier, --quorum 1)" 0 \
    python3 tools/verify_tiles.py "http://127.0.0.1:$READ_PORT/$ORIGIN_HASH" --vkey "$PRIMARY/checkpoint.vkey" --witness "$MIRROR_VKEY" --quorum 1

summary
