#!/usr/bin/env bash
# Fuzzes the running HTTP service against Schemas/openapi.yaml with schemathesis: seeds a small
# temporary data folder, issues an admin token, starts `defter serve` on a free loopback port and
# runs `st run` with a fixed seed and a bounded number of examples per operation.
# Exits non-zero when schemathesis finds a failure (a 5xx, a response that does not match the
# document, an undocumented status or content type) or when the service does not start.
# Usage: tools/fuzz_api.sh [path/to/defter]   (default .build/debug/defter; builds nothing)
#   FUZZ_EXAMPLES=N   examples per operation (default 40)
#   FUZZ_SEED=N       the random seed (default 153)
#   KEEP_TMP=1        keep the data folder, the server's log and schemathesis' reports
set -euo pipefail
cd "$(dirname "$0")/.."

DEFTER=${1:-.build/debug/defter}
[[ -x "$DEFTER" ]] || { echo "fuzz_api: no defter binary at $DEFTER (build it first)" >&2; exit 2; }
if ! command -v st >/dev/null; then
    echo "fuzz_api: installing schemathesis" >&2
    python3 -m pip install --quiet "schemathesis>=4.32,<5" 2>/dev/null \
        || python3 -m pip install --quiet --break-system-packages "schemathesis>=4.32,<5"
fi

TMP=$(mktemp -d)
server=""
cleanup() {
    if [[ -n $server ]] && kill -0 "$server" 2>/dev/null; then
        kill -TERM "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    fi
    if [[ -n ${KEEP_TMP:-} ]]; then echo "fuzz_api: kept $TMP" >&2; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

echo "fuzz_api: seeding 300 calls into $TMP/data" >&2
"$DEFTER" demo seed --calls 300 --year 2025 --data "$TMP/data" >/dev/null
admin=$("$DEFTER" tokens issue --role admin --name fuzz --data "$TMP/data")

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$DEFTER" serve --data "$TMP/data" --port "$port" >"$TMP/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    # Every 500 is logged as "request failed"; count them too, in case one escaped the checks.
if failures=$(grep -c "request failed" "$TMP/server.log"); then
    echo "fuzz_api: the server logged $failures failed request(s) (500):" >&2
    grep "request failed" "$TMP/server.log" | head -5 >&2
    rc=1
fi
kill -0 "$server" 2>/dev/null || { echo "fuzz_api: defter serve exited:" >&2; cat "$TMP/server.log" >&2; exit 1; }
    sleep 0.1
done
curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null || { echo "fuzz_api: no /healthz after 10 s" >&2; exit 1; }
echo "fuzz_api: defter serve on 127.0.0.1:$port" >&2

# The department event stream never ends by design, so a request to it cannot be checked as a
# whole response; Tests/DefterHTTPTests/EventStreamTests.swift covers it.
# One worker: with two, schemathesis' threads crashed CPython 3.11's ast.parse ("AST constructor
# recursion depth mismatch"), failing operations for reasons that are not the server's.
# schemathesis runs inside $TMP so that its cache (.schemathesis/) stays out of the repository.
rc=0
document=$PWD/Schemas/openapi.yaml
(cd "$TMP" && st run "$document" \
    --url "http://127.0.0.1:$port" \
    -H "Authorization: Bearer $admin" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --exclude-path '/v1/departments/{id}/events' \
    --phases examples,coverage,fuzzing \
    --max-examples "${FUZZ_EXAMPLES:-40}" \
    --seed "${FUZZ_SEED:-153}" \
    --workers 1 \
    --request-timeout 10 \
    --no-color \
    --report junit --report-dir "$TMP/reports") || rc=$?

if grep -qiE "fatal|panic|crash" "$TMP/server.log"; then
    echo "fuzz_api: the server logged a crash:" >&2
    grep -iE "fatal|panic|crash" "$TMP/server.log" | head -20 >&2
    rc=1
fi
# Every 500 is logged as "request failed"; count them too, in case one escaped the checks.
if failures=$(grep -c "request failed" "$TMP/server.log"); then
    echo "fuzz_api: the server logged $failures failed request(s) (500):" >&2
    grep "request failed" "$TMP/server.log" | head -5 >&2
    rc=1
fi
kill -0 "$server" 2>/dev/null || { echo "fuzz_api: defter serve died during the run" >&2; rc=1; }
if ((rc == 0)); then echo "fuzz_api: passed" >&2; else echo "fuzz_api: FAILED (exit $rc)" >&2; fi
exit "$rc"
