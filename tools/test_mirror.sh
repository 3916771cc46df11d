#!/usr/bin/env bash
# Mirrors, end to end: a primary `defter serve --publish DIR` writes its tiles; `defter mirror`
# follows them (served by any web server) into a copy whose every entry and root it verified;
# the copy is served read-only; a rewritten history signed with the same key is refused as a
# FORK; then the primary is killed, the mirror promoted with the log's key, and it takes calls
# in a log that is provably a continuation of the old one.
# Usage: tools/test_mirror.sh DEFTER_BINARY
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $# -ge 1 ]] || { echo "usage: $0 DEFTER_BINARY" >&2; exit 2; }
DEFTER=$(realpath "$1")
source tools/lib/services.sh
size_of() { [[ -f $1/checkpoint ]] && sed -n 2p "$1/checkpoint" || echo 0; }
signed_by_primary() { # MIRROR PRIMARY -> whether the mirror's newest checkpoint is one the primary signed (py-lmdb)
    python3 - "$1" "$2" <<'PY'
import sys, lmdb
def notes(path):
    env = lmdb.open(path, readonly=True, lock=False, max_dbs=16, subdir=True)
    with env.begin() as txn:
        return [v.decode() for _, v in txn.cursor(env.open_db(b"checkpoints", txn=txn, create=False))]
mirrored = notes(sys.argv[1])
sys.exit(0 if mirrored and mirrored[-1] in notes(sys.argv[2]) else 1)
PY
}

PRIMARY="$TMP/primary"
"$DEFTER" demo seed --calls 200 --year 2025 --data "$PRIMARY" >/dev/null 2>&1
cp -r "$PRIMARY" "$TMP/fork"   # what a rewriter would start from: same key, same history so far
TOKEN=$("$DEFTER" tokens issue --data "$PRIMARY" --role operator --name mirror-test)
PORT=$(free_port)
"$DEFTER" serve --data "$PRIMARY" --port "$PORT" --checkpoint-every 1s --publish "$TMP/tiles" >"$TMP/primary.log" 2>&1 &
PRIMARY_PID=$!
PIDS+=($PRIMARY_PID)
wait_url "http://127.0.0.1:$PORT/healthz"
for _ in $(seq 1 100); do [[ $(size_of "$TMP/tiles") != 0 ]] && break; sleep 0.2; done
TILES=$(static "$TMP/tiles")
wait_url "$TILES/checkpoint"

MIRROR="$TMP/mirror"
check "defter mirror follows the published tiles into a verified copy" 0 \
    "$DEFTER" mirror --from "$TILES" --data "$MIRROR" --vkey "$PRIMARY/checkpoint.vkey" --once
check "the mirror's log verifies with the primary's key (python verifier)" 0 \
    python3 tools/verify_log.py "$MIRROR" --vkey "$PRIMARY/checkpoint.vkey"
check "the mirror's newest checkpoint is one the primary signed" 0 signed_by_primary "$MIRROR" "$PRIMARY"
WITNESS_KEY=$("$DEFTER" witness keygen --name "witness.mirror.test/w" --out "$TMP/witness.key")
check "a mirror that requires a witness's cosignature takes nothing from a checkpoint without it" 1 \
    "$DEFTER" mirror --from "$TILES" --data "$TMP/mirror-witnessed" --vkey "$PRIMARY/checkpoint.vkey" --witness "$WITNESS_KEY" --once
cat "$TMP/out" "$TMP/err" >"$TMP/witness-refusal.txt"
check "it says how many of the required cosignatures the checkpoint carries" 0 \
    bash -c "grep -q 'carries 0 of the 1 witness cosignatures required' '$TMP/witness-refusal.txt' && [[ \$('$DEFTER' log read --data '$TMP/mirror-witnessed' 2>/dev/null | wc -l) == 0 ]]"

before=$(size_of "$TMP/tiles")
call "$PORT" "$TOKEN" mirror-1 "Sokağımızdaki çöpler toplanmadı"
call "$PORT" "$TOKEN" mirror-2 "Parktaki ağaç devrildi"
for _ in $(seq 1 100); do (($(size_of "$TMP/tiles") > before)) && break; sleep 0.2; done
# From here the mirror cosigns each checkpoint it has copied, with a key of its own (C2SP tlog-mirror).
MIRROR_KEY=$("$DEFTER" witness keygen --name "mirror.test/m" --out "$TMP/mirror.key")
check "a --cosign-key that is not a cosigner key is refused (exit 2)" 2 \
    "$DEFTER" mirror --from "http://127.0.0.1:$PORT" --data "$MIRROR" --vkey "$PRIMARY/checkpoint.vkey" --cosign-key "$PRIMARY/checkpoint.vkey" --once
check "the mirror catches up with the grown log, from the primary's own /checkpoint and /tile paths too" 0 \
    "$DEFTER" mirror --from "http://127.0.0.1:$PORT" --data "$MIRROR" --vkey "$PRIMARY/checkpoint.vkey" --cosign-key "$TMP/mirror.key" --once
check "the mirror is within one checkpoint of the primary" 0 \
    bash -c "(( \$('$DEFTER' log read --data '$MIRROR' | wc -l) >= $(size_of "$TMP/tiles") ))"

MIRROR_PORT=$(free_port)
check "a mirror is refused as a primary without --read-only" 2 "$DEFTER" serve --data "$MIRROR" --port "$MIRROR_PORT"
"$DEFTER" serve --data "$MIRROR" --port "$MIRROR_PORT" --read-only >"$TMP/mirror-serve.log" 2>&1 &
MIRROR_PID=$!
PIDS+=($MIRROR_PID)
wait_url "http://127.0.0.1:$MIRROR_PORT/readyz"
check "the mirror serves Open311 reads from its own projections" 0 \
    bash -c "curl -fsS 'http://127.0.0.1:$MIRROR_PORT/open311/v2/requests.json?start_date=2025-01-01T00:00:00Z&end_date=2025-03-31T00:00:00Z' | python3 -c 'import json,sys; assert len(json.load(sys.stdin)) > 0'"
check "the mirror's /checkpoint carries its own cosignature, and its tiles verify (python verifier, --quorum 1)" 0 \
    python3 tools/verify_tiles.py "http://127.0.0.1:$MIRROR_PORT" --vkey "$PRIMARY/checkpoint.vkey" --witness "$MIRROR_KEY" --quorum 1
check "the mirror refuses writes (403 read_only)" 0 \
    bash -c "[[ \$(curl -s -o /dev/null -w '%{http_code}' -X POST 'http://127.0.0.1:$MIRROR_PORT/v1/calls' -H 'Content-Type: application/json' --data '{}') == 403 ]]"
kill "$MIRROR_PID"; wait "$MIRROR_PID" 2>/dev/null || true

# The fork: the copy taken earlier, grown with other calls and published with the same key.
FORK_PORT=$(free_port)
FORK_TOKEN=$("$DEFTER" tokens issue --data "$TMP/fork" --role operator --name mirror-test)
"$DEFTER" serve --data "$TMP/fork" --port "$FORK_PORT" --checkpoint-every 1s --publish "$TMP/fork-tiles" >"$TMP/fork.log" 2>&1 &
PIDS+=($!)
wait_url "http://127.0.0.1:$FORK_PORT/healthz"
for n in 1 2 3 4 5; do call "$FORK_PORT" "$FORK_TOKEN" "fork-$n" "Başka bir şikâyet $n"; done
for _ in $(seq 1 100); do (($(size_of "$TMP/fork-tiles") > $(size_of "$TMP/tiles"))) && break; sleep 0.2; done
held=$("$DEFTER" log read --data "$MIRROR" | wc -l)
FORK_TILES=$(static "$TMP/fork-tiles")
wait_url "$FORK_TILES/checkpoint"
check "a rewritten history signed with the same key is refused: exit 1, FORK" 1 \
    "$DEFTER" mirror --from "$FORK_TILES" --data "$MIRROR" --vkey "$PRIMARY/checkpoint.vkey" --once
cat "$TMP/out" "$TMP/err" >"$TMP/refusal.txt"
check "the refusal names both checkpoints: the fork's and the one the mirror verified (size $held)" 0 \
    bash -c "grep -q 'FORK' '$TMP/refusal.txt' && grep -q 'size $(size_of "$TMP/fork-tiles")' '$TMP/refusal.txt' && grep -q 'size $held' '$TMP/refusal.txt'"
check "the mirror kept what it had" 0 bash -c "[[ \$('$DEFTER' log read --data '$MIRROR' | wc -l) == $held ]] && '$DEFTER' log verify --data '$MIRROR' >/dev/null"

# The primary is lost; the mirror is promoted with the log's key and carries on.
cp "$TMP/tiles/checkpoint" "$TMP/last-published"
kill -9 "$PRIMARY_PID"
"$DEFTER" demo seed --calls 1 --year 2025 --data "$TMP/other" >/dev/null 2>&1
check "defter mirror promote refuses another log's key" 2 "$DEFTER" mirror promote --data "$MIRROR" --key "$TMP/other/checkpoint.key"
check "defter mirror promote installs the log's key" 0 "$DEFTER" mirror promote --data "$MIRROR" --key "$PRIMARY/checkpoint.key"
NEW_TOKEN=$("$DEFTER" tokens issue --data "$MIRROR" --role operator --name promoted)
NEW_PORT=$(free_port)
"$DEFTER" serve --data "$MIRROR" --port "$NEW_PORT" --checkpoint-every 1s --publish "$TMP/tiles" >"$TMP/promoted.log" 2>&1 &
PIDS+=($!)
wait_url "http://127.0.0.1:$NEW_PORT/healthz"
check "the promoted mirror takes a new call" 0 call "$NEW_PORT" "$NEW_TOKEN" promoted-1 "Su borusu patladı"
last=$(size_of "$TMP/last-published")
for _ in $(seq 1 100); do (($(size_of "$TMP/tiles") > last)) && break; sleep 0.2; done
check "its log continues the old one: consistent with the primary's last published checkpoint" 0 \
    python3 tools/verify_tiles.py "$TILES" --vkey "$PRIMARY/checkpoint.vkey" --old-checkpoint "$TMP/last-published"

summary
