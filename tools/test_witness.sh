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
source tools/lib/services.sh
published_size() { [[ -f $1/checkpoint ]] && sed -n 2p "$1/checkpoint" || echo 0; }

DATA="$TMP/data"
"$DEFTER" demo seed --calls 200 --year 2025 --data "$DATA" >/dev/null 2>&1
LOG_VKEY=$(cat "$DATA/checkpoint.vkey")
ORIGIN=${LOG_VKEY%%+*}
# The copy a rewriter would start from: the same key, the history as it is now.
cp -r "$DATA" "$TMP/fork"
TOKEN=$("$DEFTER" tokens issue --data "$DATA" --role operator --name witness-test)
FORK_TOKEN=$("$DEFTER" tokens issue --data "$TMP/fork" --role operator --name witness-test)

WITNESSES=()
KEYS=()
WITNESS_PORTS=()
for n in 1 2; do
    key=$("$DEFTER" witness keygen --name "witness$n.example.org/w" --out "$TMP/w$n.key")
    port=$(free_port)
    "$DEFTER" witness serve --key "$TMP/w$n.key" --log "$ORIGIN=$LOG_VKEY" --data "$TMP/w$n" --port "$port" >"$TMP/w$n.log" 2>&1 &
    PIDS+=($!)
    wait_url "http://127.0.0.1:$port/healthz"
    WITNESSES+=(--witness "http://127.0.0.1:$port=$key")
    KEYS+=(--witness "$key")
    WITNESS_PORTS+=("$port")
done
check "a witness refuses a second key file over an existing one" 2 "$DEFTER" witness keygen --name again --out "$TMP/w1.key"

PORT=$(free_port)
"$DEFTER" serve --data "$DATA" --port "$PORT" --checkpoint-every 1s --publish "$TMP/tiles" "${WITNESSES[@]}" --witness-quorum 2 \
    >"$TMP/primary.log" 2>&1 &
PRIMARY=$!
PIDS+=($PRIMARY)
wait_url "http://127.0.0.1:$PORT/healthz"
for _ in $(seq 1 100); do [[ $(published_size "$TMP/tiles") != 0 ]] && break; sleep 0.2; done
TILE_PORT=$(free_port)
(cd "$TMP/tiles" && exec python3 -m http.server "$TILE_PORT" --bind 127.0.0.1 >/dev/null 2>&1) &
PIDS+=($!)
wait_url "http://127.0.0.1:$TILE_PORT/checkpoint"
check "the published checkpoint carries both witnesses' cosignatures, and the tiles verify with a quorum of 2" 0 \
    python3 tools/verify_tiles.py "http://127.0.0.1:$TILE_PORT" --vkey "$DATA/checkpoint.vkey" "${KEYS[@]}" --quorum 2 --save "$TMP/first"
check "a quorum of 3 of those 2 witnesses is not met" 1 \
    python3 tools/verify_tiles.py "http://127.0.0.1:$TILE_PORT" --vkey "$DATA/checkpoint.vkey" "${KEYS[@]}" --quorum 3

first=$(published_size "$TMP/tiles")
call "$PORT" "$TOKEN" witness-1 "Sokağımızdaki çöpler toplanmadı"
call "$PORT" "$TOKEN" witness-2 "Parktaki ağaç devrildi"
for _ in $(seq 1 100); do (($(published_size "$TMP/tiles") > first)) && break; sleep 0.2; done
check "the next checkpoint is cosigned from the witnesses' last one, and is consistent with it" 0 \
    python3 tools/verify_tiles.py "http://127.0.0.1:$TILE_PORT" --vkey "$DATA/checkpoint.vkey" "${KEYS[@]}" --quorum 2 \
    --old-checkpoint "$TMP/first"
check "/checkpoint of defter serve shows the cosignatures too" 0 \
    bash -c "curl -fsS 'http://127.0.0.1:$PORT/checkpoint' | grep -c '^— witness' | grep -qx 2"
ORIGIN_HASH=$(printf '%s' "$ORIGIN" | sha256sum | cut -d' ' -f1)
curl -fsS "http://127.0.0.1:${WITNESS_PORTS[0]}/$ORIGIN_HASH/checkpoint" >"$TMP/witnessed-checkpoint" || true
check "a witness serves the newest checkpoint it cosigned at /<origin hash>/checkpoint: the log's signature and its own" 0 \
    bash -c "[[ \$(sed -n 1p '$TMP/witnessed-checkpoint') == '$ORIGIN' ]] && grep -q '^— $ORIGIN ' '$TMP/witnessed-checkpoint' && grep -q '^— witness1.example.org/w ' '$TMP/witnessed-checkpoint'"
UNKNOWN_HASH=$(printf '%s' "no.such/log" | sha256sum | cut -d' ' -f1)
check "a witness answers 404 for a log it does not follow" 0 \
    bash -c "[[ \$(curl -s -o /dev/null -w '%{http_code}' 'http://127.0.0.1:${WITNESS_PORTS[0]}/$UNKNOWN_HASH/checkpoint') == 404 ]]"
check "the public dashboard names the witnesses of the checkpoint its figures were computed at" 0 \
    bash -c "curl -fsS 'http://127.0.0.1:$PORT/v1/public/dashboard' | python3 -c 'import json,sys; w = json.load(sys.stdin)[\"witnesses\"]; assert sorted(w) == [\"witness1.example.org/w\", \"witness2.example.org/w\"], w'"
# The public report names the witnesses of the checkpoint its figures were computed at, and
# carries their cosignatures, which verify_report.py checks with the keys the reader trusts.
for _ in $(seq 1 50); do
    curl -fsS "http://127.0.0.1:$PORT/v1/public/reports/2025?format=json" >"$TMP/report.json" 2>/dev/null || true
    python3 -c 'import json,sys; sys.exit(0 if len(json.load(open(sys.argv[1]))["checkpoint"]["witnesses"]) == 2 else 1)' \
        "$TMP/report.json" 2>/dev/null && break
    sleep 0.2
done
check "the public report names both witnesses of its checkpoint" 0 \
    python3 -c 'import json,sys; w = json.load(open(sys.argv[1]))["checkpoint"]["witnesses"]; assert sorted(w) == ["witness1.example.org/w", "witness2.example.org/w"], w' "$TMP/report.json"
check "verify_report.py checks the report's figures and both cosignatures on its checkpoint" 0 \
    python3 tools/verify_report.py "$TMP/report.json" --data "$DATA" --vkey "$DATA/checkpoint.vkey" "${KEYS[@]}" --quorum 2
kill "$PRIMARY"
wait "$PRIMARY" 2>/dev/null || true
cosigned=$(published_size "$TMP/tiles")

# A report made by the CLI: new entries (an import) need a new checkpoint, which the CLI signs and,
# with --witness, has cosigned before it writes the report.
python3 tools/gen_legacy_csv.py 3 "$TMP/legacy.csv" --year 2025 >/dev/null 2>&1
"$DEFTER" import legacy "$TMP/legacy.csv" --mapping tools/fixtures/synthetic-crm.toml --data "$DATA" >/dev/null
check "defter report --witness asks both witnesses to cosign the checkpoint it signs" 0 \
    "$DEFTER" report --data "$DATA" --period 2025 --format json --out "$TMP/cli-report.json" "${WITNESSES[@]}"
check "the CLI's report names both witnesses, and verify_report.py checks their cosignatures with quorum 2" 0 \
    bash -c "python3 -c 'import json,sys; c = json.load(open(sys.argv[1]))[\"checkpoint\"]; assert c[\"treeSize\"] > $cosigned and sorted(c[\"witnesses\"]) == [\"witness1.example.org/w\", \"witness2.example.org/w\"], c' '$TMP/cli-report.json' && python3 tools/verify_report.py '$TMP/cli-report.json' --data '$DATA' --vkey '$DATA/checkpoint.vkey' ${KEYS[*]} --quorum 2"
WRONG_KEY=$("$DEFTER" witness keygen --name "witness1.example.org/w" --out "$TMP/wrong.key")
python3 tools/gen_legacy_csv.py 2 "$TMP/legacy2.csv" --year 2025 --seed 7 >/dev/null 2>&1
"$DEFTER" import legacy "$TMP/legacy2.csv" --mapping tools/fixtures/synthetic-crm.toml --data "$DATA" >/dev/null
check "a report whose witness does not cosign under the key given is refused, and no file is written" 1 \
    bash -c "'$DEFTER' report --data '$DATA' --period 2025 --format json --out '$TMP/unwitnessed.json' --witness '${WITNESSES[1]%%=*}=$WRONG_KEY' 2>'$TMP/refusal.txt'; status=\$?; grep -q 'cosigned by 0 of the 1 witnesses required' '$TMP/refusal.txt' && [[ ! -e '$TMP/unwitnessed.json' ]] && exit \$status"

# The auditor's side: the cosignatures kept beside the log, against keys the auditor trusts.
check "defter audit verifies every kept cosignature against both witnesses' keys, quorum 2" 0 \
    "$DEFTER" audit --data "$DATA" --no-replay "${KEYS[@]}" --witness-quorum 2
IMPOSTOR=$("$DEFTER" witness keygen --name "witness1.example.org/w" --out "$TMP/impostor.key")
check "defter audit finds the cosignatures of witness1 do not vouch under another key of the same name" 1 \
    bash -c "'$DEFTER' audit --data '$DATA' --no-replay --witness '$IMPOSTOR' --witness-quorum 1 > '$TMP/audit.txt'; status=\$?; grep -q 'names another key' '$TMP/audit.txt' && exit \$status"
check "verify_report.py refuses the report's quorum under a key that is not the witness's" 1 \
    python3 tools/verify_report.py "$TMP/report.json" --data "$DATA" --vkey "$DATA/checkpoint.vkey" --witness "$IMPOSTOR" --quorum 1
check "with one key given, the other witness's cosignatures are counted as kept but not verified" 0 \
    bash -c "'$DEFTER' audit --data '$DATA' --no-replay ${KEYS[*]:0:2} --json | python3 -c 'import json,sys; w = json.load(sys.stdin)[\"witnesses\"]; assert w[\"unverifiedByName\"].get(\"witness2.example.org/w\", 0) > 0 and w[\"verifiedByWitness\"][\"witness1.example.org/w\"] > 0, w'"

# The rewrite: the copy grows with other calls, past what the witnesses cosigned.
FORK_PORT=$(free_port)
"$DEFTER" serve --data "$TMP/fork" --port "$FORK_PORT" --checkpoint-every 1s --publish "$TMP/fork-tiles" "${WITNESSES[@]}" \
    --witness-quorum 2 >"$TMP/fork.log" 2>&1 &
PIDS+=($!)
wait_url "http://127.0.0.1:$FORK_PORT/healthz"
for n in 1 2 3 4; do call "$FORK_PORT" "$FORK_TOKEN" "rewrite-$n" "Başka bir şikâyet $n"; done
for _ in $(seq 1 150); do
    [[ $(grep 'did not cosign' "$TMP/fork.log" | grep 'refused (422)' | grep -o 'witness[12].example.org' | sort -u | wc -l) == 2 ]] && break
    sleep 0.2
done
check "both witnesses refuse the rewritten history as inconsistent (422)" 0 \
    bash -c "grep 'did not cosign' '$TMP/fork.log' | grep -q 'refused (422)' && [[ \$(grep 'did not cosign' '$TMP/fork.log' | grep -o 'witness[12].example.org' | sort -u | wc -l) == 2 ]]"
check "the rewritten checkpoint never reaches its tiles folder" 0 bash -c "[[ ! -f '$TMP/fork-tiles/checkpoint' ]]"
check "the witnesses still hold the honest tree ($cosigned entries)" 0 \
    bash -c "[[ \$(sed -n 2p '$TMP/tiles/checkpoint') == $cosigned ]]"

summary
