#!/usr/bin/env bash
# End-to-end test of tools/verify_report.py against reports written by the defter binary.
# Builds nothing. Usage: tools/test_verify_report.sh [path/to/defter]   (default .build/debug/defter)
set -euo pipefail

cd "$(dirname "$0")/.."
DEFTER=${1:-.build/debug/defter}
VERIFY=tools/verify_report.py
source tools/lib/check.sh
# edit IN OUT PATH JSON: a copy of report IN with the field at dotted PATH set to JSON.
edit() {
    python3 - "$@" <<'EOF'
import json, sys
src, dst, path, value = sys.argv[1:]
report = json.load(open(src, encoding="utf-8"))
obj, keys = report, path.split(".")
for key in keys[:-1]:
    obj = obj[key]
obj[keys[-1]] = json.loads(value)
open(dst, "w", encoding="utf-8").write(json.dumps(report, sort_keys=True, separators=(",", ":"), ensure_ascii=False))
EOF
}
# field FILE PATH: the JSON value at dotted PATH in FILE.
field() { python3 -c 'import functools,json,sys; print(json.dumps(functools.reduce(lambda v, k: v[k], sys.argv[2].split("."), json.load(open(sys.argv[1])))))' "$@"; }

DATA=$TMP/data
KEY=$DATA/checkpoint.vkey
"$DEFTER" demo seed --calls 1500 --year 2025 --data "$DATA" >/dev/null
"$DEFTER" log checkpoint --data "$DATA" >/dev/null

check "defter report --format json" 0 "$DEFTER" report --period 2025-03 --format json --out "$TMP/r.json" --data "$DATA"
check "defter report --format html" 0 "$DEFTER" report --period 2025-03 --format html --out "$TMP/r.html" --data "$DATA"
check "defter log export --format ndjson" 0 "$DEFTER" log export --format ndjson --out "$TMP/log.ndjson" --data "$DATA"
if [[ ! -s $TMP/r.json || ! -s $TMP/r.html || ! -s $TMP/log.ndjson ]]; then
    echo "$passed passed, $((failed + 1)) failed (no report or export to check)"
    exit 1
fi
if [[ $(field "$TMP/r.json" headline.calls) -gt 0 ]]; then pass "the March report counts calls"; else fail "the March report is empty"; fi

# The reports, as published, check against the log, its export, and the published key.
check "JSON report verifies (--data, pinned key)" 0 python3 "$VERIFY" "$TMP/r.json" --data "$DATA" --vkey "$KEY"
if grep -q "^calls .*report .* recomputed .* ok$" "$TMP/out" && grep -q "^OK" "$TMP/out"; then
    pass "one line per figure and a verdict"
else
    fail "unexpected output: $(cat "$TMP/out")"
fi
check "HTML report verifies (--data, pinned key)" 0 python3 "$VERIFY" "$TMP/r.html" --data "$DATA" --vkey "$(cat "$KEY")"
check "JSON report verifies against the export" 0 python3 "$VERIFY" "$TMP/r.json" --export "$TMP/log.ndjson" --vkey "$KEY"
check "HTML report verifies against the export, key from the export" 0 python3 "$VERIFY" "$TMP/r.html" --export "$TMP/log.ndjson"
if grep -q "export header" "$TMP/err"; then pass "says the key came from the export"; else fail "no word on the key's origin: $(cat "$TMP/err")"; fi
check "the data folder's key is used with a warning" 0 python3 "$VERIFY" "$TMP/r.json" --data "$DATA"
if grep -q "checkpoint.vkey" "$TMP/err" && grep -q -- "--vkey" "$TMP/err"; then pass "warning printed"; else fail "no warning: $(cat "$TMP/err")"; fi
check "--json" 0 python3 "$VERIFY" "$TMP/r.json" --data "$DATA" --vkey "$KEY" --json
if [[ $(field "$TMP/out" ok) == true ]]; then pass "--json says ok"; else fail "--json: $(cat "$TMP/out")"; fi

# The HTML report renders in both languages (not blank, no console error); render_report.sh
# installs Debian's chromium when it is missing.
check "the HTML report renders in Chromium" 0 tools/render_report.sh "$TMP/r.html" "$TMP/r.png"
"$DEFTER" report --data "$DATA" --period 2025 --format html --lang tr --out "$TMP/r-tr.html"
check "the Turkish year report renders in Chromium" 0 tools/render_report.sh "$TMP/r-tr.html" "$TMP/r-tr.png"

# The same figures as `defter stats` (which prints some under other names).
"$DEFTER" stats --data "$DATA" --from 2025-03-01 --to 2025-03-31 --json >"$TMP/stats.json"
for pair in calls:calls ticketsOpened:opened resolved:resolved closedAtFirstContact:closedAtFirstContact; do
    ours=$(field "$TMP/r.json" "headline.${pair%%:*}")
    theirs=$(field "$TMP/stats.json" "total.${pair##*:}")
    if [[ $ours == "$theirs" ]]; then pass "headline ${pair%%:*} = stats ${pair##*:} ($ours)"; else fail "headline ${pair%%:*} $ours, stats ${pair##*:} $theirs"; fi
done

# Entries appended after the report's checkpoint do not count.
printf '%s\n' '{"stream":"ticket-2025-999999","type":"CallReceived","id":"late-call","data":{"ticket":"2025-999999","at":"2025-03-05T10:00:00.000Z","channel":"phone","informationOnly":false,"location":{"district":"X"}}}' \
    >"$TMP/late.ndjson"
cp -r "$DATA" "$TMP/longer"
"$DEFTER" log append --data "$TMP/longer" <"$TMP/late.ndjson" >/dev/null
check "a later entry in the log does not change the report" 0 python3 "$VERIFY" "$TMP/r.json" --data "$TMP/longer" --vkey "$KEY"

# Tampering is caught.
resolved=$(field "$TMP/r.json" headline.resolved)
edit "$TMP/r.json" "$TMP/bad-headline.json" headline.resolved "$((resolved + 1))"
check "a tampered headline figure fails" 1 python3 "$VERIFY" "$TMP/bad-headline.json" --data "$DATA" --vkey "$KEY"
if grep -q "^resolved .*MISMATCH" "$TMP/out" && grep -q "^FAILED" "$TMP/out"; then pass "the figure is named"; else fail "mismatch not shown: $(cat "$TMP/out")"; fi
merged=$(field "$TMP/r.json" total.merged)
edit "$TMP/r.json" "$TMP/bad-total.json" total.merged "$((merged + 1))"
check "a tampered total count fails" 1 python3 "$VERIFY" "$TMP/bad-total.json" --export "$TMP/log.ndjson" --vkey "$KEY"
python3 - "$TMP/r.html" "$TMP/bad.html" "$resolved" <<'EOF'
import sys
html = open(sys.argv[1], encoding="utf-8").read()
old = f'"resolved":{sys.argv[3]},'
assert old in html, "no resolved figure in the HTML's JSON"
open(sys.argv[2], "w", encoding="utf-8").write(html.replace(old, f'"resolved":{int(sys.argv[3]) + 1},'))
EOF
check "a tampered figure in the HTML's JSON fails" 1 python3 "$VERIFY" "$TMP/bad.html" --data "$DATA" --vkey "$KEY"
edit "$TMP/r.json" "$TMP/bad-root.json" checkpoint.root '"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="'
check "a tampered checkpoint root fails" 1 python3 "$VERIFY" "$TMP/bad-root.json" --data "$DATA" --vkey "$KEY"
size=$(field "$TMP/r.json" checkpoint.treeSize)
edit "$TMP/r.json" "$TMP/bad-size.json" checkpoint.treeSize "$((size - 1))"
check "a tree size other than the signed one fails" 1 python3 "$VERIFY" "$TMP/bad-size.json" --data "$DATA" --vkey "$KEY"
head -n "$size" "$TMP/log.ndjson" >"$TMP/short.ndjson"  # header + size-1 entries
check "an export shorter than the checkpoint fails" 1 python3 "$VERIFY" "$TMP/r.json" --export "$TMP/short.ndjson" --vkey "$KEY"
printf '{"stream":"s","type":"T","data":{}}\n' | "$DEFTER" log append --data "$TMP/other" >/dev/null
check "another log's key fails" 1 python3 "$VERIFY" "$TMP/r.json" --data "$DATA" --vkey "$TMP/other/checkpoint.vkey"
if grep -q "not validly signed" "$TMP/out"; then pass "bad signature reported"; else fail "bad signature not reported: $(cat "$TMP/out")"; fi

# Bad usage and unreadable input: exit 2, a message, no traceback.
check "exit 2 without --data or --export" 2 python3 "$VERIFY" "$TMP/r.json"
check "exit 2 for a missing report" 2 python3 "$VERIFY" "$TMP/nothing.json" --data "$DATA"
check "exit 2 for a folder that is not a log" 2 python3 "$VERIFY" "$TMP/r.json" --data "$TMP/nowhere"
check "exit 2 for a file that is not a report" 2 python3 "$VERIFY" "$TMP/log.ndjson" --data "$DATA"
check "exit 2 for a bad key" 2 python3 "$VERIFY" "$TMP/r.json" --data "$DATA" --vkey not-a-key
if grep -q Traceback "$TMP/err"; then fail "a traceback was printed"; else pass "no traceback"; fi

summary
