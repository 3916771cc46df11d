# Shared by the end-to-end test scripts (tools/test_verify_*.sh); source it after setting
# DEFTER. Checks the binary and py-lmdb, makes $TMP (kept when KEEP_TMP is set), and provides
# pass, fail, check and summary.

[[ -x "$DEFTER" ]] || { echo "no defter binary at $DEFTER (build it first)" >&2; exit 2; }
python3 -c 'import lmdb' 2>/dev/null || python3 -m pip install --quiet lmdb

TMP=$(mktemp -d)
trap '[[ -n ${KEEP_TMP:-} ]] && echo "kept $TMP" || rm -rf "$TMP"' EXIT
passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS: $1"; }
fail() { failed=$((failed + 1)); echo "FAIL: $1"; }
# check NAME EXPECTED_RC CMD...: runs CMD, its output saved in $TMP/out and $TMP/err, and compares its exit status.
check() {
    local name=$1 want=$2 rc=0
    shift 2
    "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
    if [[ $rc == "$want" ]]; then pass "$name"; else fail "$name (exit $rc, expected $want)"; sed 's/^/    /' "$TMP/out" "$TMP/err"; fi
}
# summary: prints the counts; exits non-zero when anything failed.
summary() {
    echo "$passed passed, $failed failed"
    [[ $failed == 0 ]]
}
