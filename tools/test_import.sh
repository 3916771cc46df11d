#!/usr/bin/env bash
# Imports of a city's past requests, checked from outside: each fixture export (a Turkish CRM's
# Windows-1254 CSV, a NYC 311 open-data sample, an Open311 requests.json) is imported into a
# fresh data folder, then tools/check_import.py recomputes its counts by department and status
# and its median time to resolve from the source file with Python's csv/json modules alone and
# compares them with `defter stats` and the accountability report, whose figures
# tools/verify_report.py checks against the signed log in turn. Then tools/test_import_resume.py
# kills an import with SIGKILL at random points and checks the resumed log equals a clean one.
# Usage: tools/test_import.sh [DEFTER]
set -euo pipefail
cd "$(dirname "$0")/.."
DEFTER=$(realpath "${1:-.build/debug/defter}")
source tools/lib/check.sh
defter=$DEFTER
fixtures=Tests/DefterImportTests/Fixtures
work=$TMP/import
mkdir -p "$work"

for pair in "turkish-crm.csv turkish-crm.toml" "nyc-311-sample.csv us-311.toml" "open311-requests.json open311.toml"; do
    set -- $pair
    data="$work/${1%%.*}"
    status=0
    "$defter" import legacy "$fixtures/$1" --mapping "$fixtures/$2" --data "$data" > "$work/out.txt" 2>&1 || status=$?
    # 1: some records were not imported (the Turkish fixture has bad and unmapped rows on purpose).
    check "import $1 finishes, listing what it could not import (exit $status)" 0 test "$status" -le 1
    check "check_import.py agrees with defter stats and the report on $1" 0 \
        python3 tools/check_import.py "$fixtures/$1" "$fixtures/$2" --defter "$defter" --data "$data"
    years=$(python3 tools/check_import.py "$fixtures/$1" "$fixtures/$2" --no-compare --json-out "$work/expected.json" > /dev/null \
        && python3 -c "import json,sys; y=sorted(json.load(open(sys.argv[1]))['byYearOfOpening']); print(f'{y[0]}-01-01..{y[-1]}-12-31')" "$work/expected.json")
    "$defter" report --data "$data" --period "$years" --format json --out "$work/report.json" 2> /dev/null
    check "verify_report.py recomputes the report of $1 (imported figures included) from the signed log" 0 \
        python3 tools/verify_report.py "$work/report.json" --data "$data"
    before=$("$defter" log verify --data "$data" | awk '{print $2}')
    "$defter" import legacy "$fixtures/$1" --mapping "$fixtures/$2" --data "$data" > /dev/null 2>&1 || true
    after=$("$defter" log verify --data "$data" | awk '{print $2}')
    check "a second import of $1 appends nothing ($before entries, then $after)" 0 test "$before" = "$after"
done

check "an import killed five times with SIGKILL and resumed ends with the clean import's log" 0 \
    python3 tools/test_import_resume.py "$defter" --records 4000 --kills 5
summary
