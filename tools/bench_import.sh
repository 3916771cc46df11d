#!/usr/bin/env bash
# Measures `defter import legacy` (release build) on synthetic Turkish-CRM exports of the given
# sizes: records/s of the import, of a dry run and of a second run (everything unchanged), the
# import's own memory (peak anonymous RSS, sampled from /proc; LMDB's mapped file pages are page
# cache and are shown apart) and the log's size; with, as the baseline measured in the same run,
# Python's csv module merely reading the same file.
# Usage: tools/bench_import.sh [RECORDS...]   (default: 10000 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[[ ${#sizes[@]} -gt 0 ]] || sizes=(10000 1000000)
swift build -c release --product defter > /dev/null 2>&1
defter=$(realpath .build/release/defter)
mapping=tools/fixtures/synthetic-crm.toml
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Runs defter with ARGS, prints its JSON report's seconds and the peak RssAnon/RssFile in MB.
measure() {
    local json=$work/out.json
    "$defter" "$@" --json > "$json" 2> /dev/null &
    local pid=$! anon=0 file=0
    while kill -0 "$pid" 2> /dev/null; do
        if read -r a f < <(awk '/RssAnon/{a=$2} /RssFile/{f=$2} END{print a+0, f+0}' "/proc/$pid/status" 2> /dev/null); then
            ((a > anon)) && anon=$a
            ((f > file)) && file=$f
        fi
        sleep 0.2
    done
    wait "$pid" || true
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["seconds"], r["rowsRead"])' "$json" | {
        read -r seconds rows
        echo "$seconds $rows $((anon / 1024)) $((file / 1024))"
    }
}

echo "| records | baseline: Python csv reads | import | ratio | peak anonymous RSS | peak mapped-file RSS | dry run | second run | log size |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for n in "${sizes[@]}"; do
    source="$work/export-$n.csv"
    python3 tools/gen_legacy_csv.py "$n" "$source" > /dev/null 2>&1
    baseline=$(python3 -c '
import csv, sys, time
start = time.perf_counter()
with open(sys.argv[1], encoding="utf-8", newline="") as f:
    rows = sum(1 for _ in csv.reader(f, delimiter=";")) - 1
print(round(rows / (time.perf_counter() - start)))' "$source")
    data="$work/data-$n"
    read -r seconds rows anon file < <(measure import legacy "$source" --mapping "$mapping" --data "$data")
    rate=$(python3 -c "print(round($rows / $seconds))")
    read -r dry_seconds _ _ _ < <(measure import legacy "$source" --mapping "$mapping" --data "$data-dry" --dry-run)
    read -r again_seconds _ _ _ < <(measure import legacy "$source" --mapping "$mapping" --data "$data")
    size=$(du -sh "$data" | cut -f1)
    ratio=$(python3 -c "print(f'{$rate / $baseline:.2f}x')")
    dry=$(python3 -c "print(round($rows / $dry_seconds))")
    again=$(python3 -c "print(round($rows / $again_seconds))")
    echo "| $n | $baseline rows/s | $rate records/s ($seconds s) | $ratio | $anon MB | $file MB | $dry records/s | $again records/s | $size |"
    rm -rf "$data" "$data-dry" "$source"
done
