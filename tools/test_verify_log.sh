#!/usr/bin/env bash
# End-to-end test of tools/verify_log.py against logs written by the defter binary.
# Builds nothing. Usage: tools/test_verify_log.sh [path/to/defter]   (default .build/debug/defter)
set -euo pipefail

cd "$(dirname "$0")/.."
DEFTER=${1:-.build/debug/defter}
VERIFY=tools/verify_log.py
source tools/lib/check.sh
json_field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$@"; }

# events FROM TO: NDJSON lines over four streams; event 17 carries the unique "marker-17".
events() {
    python3 - "$1" "$2" <<'EOF'
import json, sys
for i in range(int(sys.argv[1]), int(sys.argv[2]) + 1):
    data = {"n": i, "half": i / 2, "text": f"event {i}: caf\u00e9 \u00fcber \u2603 \U0001F600 \"q\" \\ \t\n\x01\x7f",
            "tags": ["a", {"z": None, "y": True, "\u00e9": 1e-7}], "big": 1e300, "neg": -i * 1.25}
    if i == 17:
        data["note"] = "marker-17"
    print(json.dumps({"stream": f"ticket-{i % 4}", "type": "CallReceived", "id": f"call-{i}", "data": data}))
EOF
}

DIR=$TMP/log
events 1 50 | "$DEFTER" log append --data "$DIR" >/dev/null
"$DEFTER" log checkpoint --data "$DIR" >/dev/null
events 51 73 | "$DEFTER" log append --data "$DIR" >/dev/null
"$DEFTER" log checkpoint --data "$DIR" >/dev/null

check "self-test (RFC 8032 vectors, Merkle)" 0 python3 "$VERIFY" --self-test

check "verify_log.py passes on a fresh log" 0 python3 "$VERIFY" "$DIR" --vkey "$DIR/checkpoint.vkey" --json
cp "$TMP/out" "$TMP/ours.json"
check "defter log verify passes" 0 "$DEFTER" log verify --data "$DIR" --json
cp "$TMP/out" "$TMP/theirs.json"
ours=$(json_field "$TMP/ours.json" root)
theirs=$(json_field "$TMP/theirs.json" root)
if [[ $ours == "$theirs" && -n $ours ]]; then pass "roots agree ($ours)"; else fail "roots differ: verify_log.py $ours, defter $theirs"; fi
if [[ $(json_field "$TMP/ours.json" size) == 73 && $(json_field "$TMP/ours.json" checkpoints) == 2 ]]; then
    pass "size 73 and 2 checkpoints verified"
else
    fail "unexpected size/checkpoints: $(cat "$TMP/ours.json")"
fi
check "key text (not file) accepted" 0 python3 "$VERIFY" "$DIR" --vkey "$(cat "$DIR/checkpoint.vkey")"
check "stored key used with a warning" 0 python3 "$VERIFY" "$DIR"
if grep -q "pin the published key" "$TMP/err"; then pass "warning printed"; else fail "no warning about the stored key"; fi

# A compacted copy, then one flipped byte inside entry 17's stored JSON.
COPY=$TMP/copy
"$DEFTER" log backup --data "$DIR" "$COPY" >/dev/null
check "verify_log.py passes on the backup" 0 python3 "$VERIFY" "$COPY" --vkey "$DIR/checkpoint.vkey"
TAMPER=$TMP/tamper
mkdir "$TAMPER"
cp "$COPY/data.mdb" "$TAMPER/data.mdb"
python3 - "$TAMPER/data.mdb" <<'EOF'
import sys
path = sys.argv[1]
raw = bytearray(open(path, "rb").read())
assert raw.count(b"marker-17") == 1, f"marker-17 occurs {raw.count(b'marker-17')} times"
at = raw.index(b"marker-17") + len("marker-1")
raw[at] = ord("8")  # "marker-17" -> "marker-18": still valid, canonical JSON
open(path, "wb").write(raw)
EOF
check "verify_log.py fails on the tampered copy" 1 python3 "$VERIFY" "$TAMPER" --vkey "$DIR/checkpoint.vkey" --json
if grep -q "entry 17's bytes differ" "$TMP/out" && grep -q "the log was rewritten" "$TMP/out"; then
    pass "tamper reported as entry 17 leaf mismatch and checkpoint root mismatch"
else
    fail "tamper not described as expected: $(cat "$TMP/out")"
fi
check "defter log verify also fails on the tampered copy" 1 "$DEFTER" log verify --data "$TAMPER"

# Truncation: drop the newest entry (and its leaf) from a copy.
TRUNC=$TMP/trunc
mkdir "$TRUNC"
cp "$COPY/data.mdb" "$TRUNC/data.mdb"
python3 - "$TRUNC" <<'EOF'
import lmdb, sys
env = lmdb.open(sys.argv[1], max_dbs=16)
with env.begin(write=True) as txn:
    txn.delete((73).to_bytes(8, "big"), db=env.open_db(b"events", txn=txn, create=False))
EOF
check "verify_log.py fails on a truncated copy" 1 python3 "$VERIFY" "$TRUNC" --vkey "$DIR/checkpoint.vkey"
if grep -q "were removed" "$TMP/out"; then pass "truncation reported"; else fail "truncation not reported: $(cat "$TMP/out")"; fi

# Another log's key must not verify this log's checkpoints.
OTHER=$TMP/other
printf '{"stream":"s","type":"T","data":{}}\n' | "$DEFTER" log append --data "$OTHER" >/dev/null
check "verify_log.py fails with another log's key" 1 python3 "$VERIFY" "$DIR" --vkey "$OTHER/checkpoint.vkey"

check "exit 2 for a missing folder" 2 python3 "$VERIFY" "$TMP/nowhere"
check "exit 2 for a bad key" 2 python3 "$VERIFY" "$DIR" --vkey "not-a-key"

summary
