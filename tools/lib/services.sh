# Shared by the end-to-end scripts that start servers (tools/test_tiles.sh, test_witness.sh,
# test_mirror.sh); source it after setting DEFTER. On top of check.sh ($TMP, check, summary):
# PIDS (every server started; all stopped at exit), free_port, wait_url, call and static.
source tools/lib/check.sh

PIDS=()
stop_servers() {
    # A server killed here exits 143; that is not a failure of the test.
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null && { wait "$pid" 2>/dev/null || true; }; done
}
trap 'stop_servers; [[ -n ${KEEP_TMP:-} ]] && echo "kept $TMP" || rm -rf "$TMP"' EXIT

# free_port: a loopback port nothing listens on.
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# wait_url URL: waits up to 15 s for URL to answer 2xx.
wait_url() { for _ in $(seq 1 150); do curl -fsS "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }
# call PORT TOKEN CALL_ID TEXT: records a call through POST /v1/calls on loopback; fails unless 201.
call() {
    curl -fsS -o /dev/null -X POST "http://127.0.0.1:$1/v1/calls" -H "Authorization: Bearer $2" -H 'Content-Type: application/json' \
        --data-binary "{\"callId\":\"$3\",\"channel\":\"phone\",\"operatorId\":\"op-test\",\"district\":\"Elbistan\",\"caller\":{\"text\":\"$4\"}}"
}
# static FOLDER: serves FOLDER with Python's http.server on a new port; prints its URL.
static() {
    local port
    port=$(free_port)
    mkdir -p "$1"
    (cd "$1" && exec python3 -m http.server "$port" --bind 127.0.0.1 >/dev/null 2>&1) &
    PIDS+=($!)
    echo "http://127.0.0.1:$port"
}
