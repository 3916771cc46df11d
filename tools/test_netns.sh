#!/usr/bin/env bash
# Three hosts on one machine, in network namespaces this test makes (iproute2: `ip netns`, veth,
# a bridge): a primary `defter serve` with intake running, a mirror following it (and a second one,
# on the same host, that the primary pushes to with C2SP tlog-mirror's add-entries), and two
# witnesses cosigning its checkpoints, each on its own address (10.77.0.2, .3, .4), reached only
# across the bridge.
#   - the mirror, taking only checkpoints both witnesses cosigned, stays within one checkpoint of
#     the primary while calls come in;
#   - the mirror's link is cut (its veth down) and restored: it catches up, nothing is lost;
#   - a rewritten history re-signed with the log's key is refused by both witnesses and the mirror;
#   - the primary is killed with SIGKILL, the mirror promoted: every call acknowledged before the
#     last checkpoint it verified is there, it takes new calls, and its log is a continuation of
#     the old one (a consistency proof from the primary's last published checkpoint).
# Needs root (or CAP_NET_ADMIN) and iproute2; where namespaces cannot be made, it says so and
# exits 0 without testing anything (the loopback tests test_witness.sh and test_mirror.sh still run).
# Usage: tools/test_netns.sh DEFTER_BINARY
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $# -ge 1 ]] || { echo "usage: $0 DEFTER_BINARY" >&2; exit 2; }
DEFTER=$(realpath "$1")
source tools/lib/services.sh

tag=$(($$ % 10000))
NS_P="dft-p-$tag" NS_M="dft-m-$tag" NS_W="dft-w-$tag" BRIDGE="dft-br$tag"
command -v ip >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2 >/dev/null; }
if ! ip netns add "$NS_P" 2>"$TMP/netns.err"; then
    echo "SKIP: network namespaces cannot be made here ($(head -c 200 "$TMP/netns.err")); the loopback tests still run"
    exit 0
fi
teardown() {
    stop_servers
    for ns in "$NS_P" "$NS_M" "$NS_W"; do ip netns del "$ns" 2>/dev/null || true; done
    ip link del "$BRIDGE" 2>/dev/null || true
    [[ -n ${KEEP_TMP:-} ]] && echo "kept $TMP" || rm -rf "$TMP"
}
trap teardown EXIT
ip netns add "$NS_M"
ip netns add "$NS_W"
ip link add "$BRIDGE" type bridge
ip addr add 10.77.0.1/24 dev "$BRIDGE"
ip link set "$BRIDGE" up
n=2
for ns in "$NS_P" "$NS_M" "$NS_W"; do
    ip link add "v$tag-$n" type veth peer name "e$tag-$n"
    ip link set "v$tag-$n" master "$BRIDGE" up
    ip link set "e$tag-$n" netns "$ns"
    ip -n "$ns" link set "e$tag-$n" name eth0
    ip -n "$ns" addr add "10.77.0.$n/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
    n=$((n + 1))
done
P=10.77.0.2 M=10.77.0.3 W=10.77.0.4
MIRROR_LINK="v$tag-3"
# Runs a command in a namespace. A server is started with `ip netns exec ... &` itself, not
# through this function: `$!` must be the server (ip execs it), not a shell that a kill would
# leave its server running behind.
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
wait_ns_url() { for _ in $(seq 1 150); do curl -fsS --max-time 2 "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }
size_at() { curl -fsS --max-time 2 "$1/checkpoint" 2>/dev/null | sed -n 2p || echo 0; }
log_size() { "$DEFTER" log read --data "$1" 2>/dev/null | wc -l; }

PRIMARY="$TMP/primary"
"$DEFTER" demo seed --calls 200 --year 2025 --data "$PRIMARY" >/dev/null 2>&1
cp -r "$PRIMARY" "$TMP/fork"
VKEY=$(cat "$PRIMARY/checkpoint.vkey")
ORIGIN=${VKEY%%+*}
WITNESSES=()
MIRROR_WITNESSES=()
for w in 1 2; do
    key=$("$DEFTER" witness keygen --name "w$w.netns.test/w" --out "$TMP/w$w.key")
    ip netns exec "$NS_W" "$DEFTER" witness serve --key "$TMP/w$w.key" --log "$ORIGIN=$VKEY" --data "$TMP/w$w" --host "$W" \
        --port $((8154 + w)) >"$TMP/w$w.log" 2>&1 &
    PIDS+=($!)
    wait_ns_url "http://$W:$((8154 + w))/healthz"
    WITNESSES+=(--witness "http://$W:$((8154 + w))=$key")
    MIRROR_WITNESSES+=(--witness "$key")
done
TOKEN=$("$DEFTER" tokens issue --data "$PRIMARY" --role operator --name netns-test)
ip netns exec "$NS_P" "$DEFTER" serve --data "$PRIMARY" --host "$P" --port 8153 --checkpoint-every 1s "${WITNESSES[@]}" --witness-quorum 2 \
    >"$TMP/primary.log" 2>&1 &
PRIMARY_PID=$!
PIDS+=($PRIMARY_PID)
wait_ns_url "http://$P:8153/healthz"
check "the mirror's host reaches the primary across the bridge, by its address" 0 \
    ip netns exec "$NS_M" curl -fsS --max-time 2 "http://$P:8153/healthz"
check "the primary does not listen on the mirror's host's own loopback" 0 \
    bash -c "! ip netns exec '$NS_M' curl -fsS --max-time 2 http://127.0.0.1:8153/healthz"

# Intake from the root namespace: one call every 50 ms; each acknowledged call id is kept.
: >"$TMP/acked"
(
    i=0
    while [[ ! -f $TMP/stop-intake ]]; do
        i=$((i + 1))
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X POST "http://$P:8153/v1/calls" -H "Authorization: Bearer $TOKEN" \
            -H 'Content-Type: application/json' \
            --data-binary "{\"callId\":\"netns-$i\",\"channel\":\"phone\",\"operatorId\":\"op-test\",\"district\":\"Elbistan\",\"caller\":{\"text\":\"Sokakta çöp birikti $i\"}}" || true)
        [[ $code == 201 ]] && echo "netns-$i" >>"$TMP/acked"
        sleep 0.05
    done
) &
INTAKE_PID=$!
PIDS+=($INTAKE_PID)

MIRROR="$TMP/mirror"
# The mirror takes only checkpoints both witnesses cosigned.
ip netns exec "$NS_M" "$DEFTER" mirror --from "http://$P:8153" --data "$MIRROR" --vkey "$VKEY" --interval 0.5 "${MIRROR_WITNESSES[@]}" \
    --witness-quorum 2 >"$TMP/mirror.log" 2>&1 &
MIRROR_PID=$!
PIDS+=($MIRROR_PID)
# A second mirror on the same host takes pushes instead (C2SP tlog-mirror): the primary's host
# runs `defter mirror push` beside the service, every half second.
PUSHED="$TMP/pushed"
PUSH_VKEY=$("$DEFTER" witness keygen --name "m.netns.test/pushed" --out "$TMP/pushed.key")
ip netns exec "$NS_M" "$DEFTER" mirror serve --data "$PUSHED" --vkey "$VKEY" --cosign-key "$TMP/pushed.key" --host "$M" --port 8155 \
    >"$TMP/pushed-serve.log" 2>&1 &
PIDS+=($!)
wait_ns_url "http://$M:8155/healthz"
ip netns exec "$NS_P" "$DEFTER" mirror push --data "$PRIMARY" --to "http://$M:8155=$PUSH_VKEY" --interval 0.5 >"$TMP/push.log" 2>&1 &
PIDS+=($!)
within_one_checkpoint() { # FOLDER (the mirror's by default) holds at least the primary's checkpoint before the current one
    local folder=${1:-$MIRROR} before now
    before=$(size_at "http://$P:8153")
    for _ in $(seq 1 100); do
        now=$(log_size "$folder")
        ((now >= before)) && return 0
        sleep 0.2
    done
    echo "$folder: $now entries, primary's earlier checkpoint $before" >&2
    return 1
}
sleep 3
check "while calls come in, the mirror across the bridge stays within one checkpoint of the primary" 0 within_one_checkpoint
check "the mirror the primary pushes to (tlog-mirror) stays within one checkpoint too" 0 within_one_checkpoint "$PUSHED"
check "the primary's checkpoints carry both witnesses' cosignatures" 0 \
    bash -c "curl -fsS 'http://$P:8153/checkpoint' | grep -c '^— w[12].netns.test' | grep -qx 2"

ip link set "$MIRROR_LINK" down
cut_at=$(size_at "http://$P:8153")
sleep 4
check "with its link down, the mirror cannot reach the primary" 0 \
    bash -c "! ip netns exec '$NS_M' curl -fsS --max-time 2 http://$P:8153/checkpoint"
grown=$(size_at "http://$P:8153")
check "the primary kept taking calls meanwhile ($cut_at -> $grown entries)" 0 test "$grown" -gt "$cut_at"
ip link set "$MIRROR_LINK" up
check "the link restored, the mirror catches up with everything it missed" 0 within_one_checkpoint
check "the link restored, the pushed mirror catches up too" 0 within_one_checkpoint "$PUSHED"
check "the pushed mirror's log verifies with the primary's key (python verifier)" 0 \
    python3 tools/verify_log.py "$PUSHED" --vkey "$PRIMARY/checkpoint.vkey"
check "the mirror's log verifies with the primary's key (python verifier)" 0 \
    python3 tools/verify_log.py "$MIRROR" --vkey "$PRIMARY/checkpoint.vkey"

# The rewrite: the copy taken before, grown with other calls and signed with the same key, on the
# primary's host; the witnesses refuse it, and so does a mirror pointed at it. The rewriter asks the
# witnesses but needs none of them (quorum 0), so that its /checkpoint shows the rewritten head: with
# a quorum it would show only the last checkpoint they cosigned, from before the rewrite.
FORK_TOKEN=$("$DEFTER" tokens issue --data "$TMP/fork" --role operator --name netns-fork)
ip netns exec "$NS_P" "$DEFTER" serve --data "$TMP/fork" --host "$P" --port 8163 --checkpoint-every 1s "${WITNESSES[@]}" --witness-quorum 0 \
    >"$TMP/fork.log" 2>&1 &
PIDS+=($!)
wait_ns_url "http://$P:8163/healthz"
for i in 1 2 3; do
    curl -fsS -o /dev/null -X POST "http://$P:8163/v1/calls" -H "Authorization: Bearer $FORK_TOKEN" -H 'Content-Type: application/json' \
        --data-binary "{\"callId\":\"fork-$i\",\"channel\":\"phone\",\"operatorId\":\"op-test\",\"district\":\"Afşin\",\"caller\":{\"text\":\"Başka $i\"}}"
done
# The witnesses have cosigned a larger tree of this log than the rewrite holds: they answer with
# the size they have (409), from which the rewrite cannot prove consistency, and cosign nothing.
refusals() { grep 'did not cosign' "$TMP/fork.log" | grep -E 'refused \(422\)|already cosigned a larger tree' | grep -o 'w[12].netns.test' | sort -u | wc -l; }
for _ in $(seq 1 150); do [[ $(refusals) == 2 ]] && break; sleep 0.2; done
check "both witnesses refuse to cosign the rewritten history" 0 bash -c "[[ $(refusals) == 2 ]]"

# Stop intake, let the last calls reach a checkpoint and the mirror, then lose the primary.
touch "$TMP/stop-intake"
wait "$INTAKE_PID" 2>/dev/null || true
acked=$(wc -l <"$TMP/acked")
sleep 2.5
check "the mirror holds the primary's last checkpoint" 0 within_one_checkpoint
curl -fsS "http://$P:8153/checkpoint" >"$TMP/last-published"
for _ in $(seq 1 50); do (($(log_size "$MIRROR") >= $(sed -n 2p "$TMP/last-published"))) && break; sleep 0.2; done
kill "$MIRROR_PID" && { wait "$MIRROR_PID" 2>/dev/null || true; }
check "a mirror pointed at the rewritten history refuses it: exit 1, FORK" 1 \
    in_ns "$NS_M" "$DEFTER" mirror --from "http://$P:8163" --data "$MIRROR" --vkey "$VKEY" --once
cat "$TMP/out" "$TMP/err" >"$TMP/fork-refusal.txt"
check "the refusal is a FORK" 0 grep -q FORK "$TMP/fork-refusal.txt"
kill -9 "$PRIMARY_PID"
wait "$PRIMARY_PID" 2>/dev/null || true
check "the primary is gone (SIGKILL): nothing answers at its address" 0 \
    bash -c "! ip netns exec '$NS_M' curl -fsS --max-time 2 -o /dev/null http://$P:8153/healthz"
"$DEFTER" log read --data "$MIRROR" | grep -F '"type":"CallReceived"' | grep -o '"callId":"netns-[0-9]*"' | sed 's/.*"\(netns-[0-9]*\)"/\1/' |
    sort >"$TMP/in-mirror"
missing=$(sort "$TMP/acked" | comm -23 - "$TMP/in-mirror" | wc -l)
check "every one of the $acked calls acknowledged before the last checkpoint is in the mirror ($missing missing)" 0 test "$missing" = 0
check "defter mirror promote installs the log's key on the mirror's host" 0 \
    in_ns "$NS_M" "$DEFTER" mirror promote --data "$MIRROR" --key "$PRIMARY/checkpoint.key"
NEW_TOKEN=$("$DEFTER" tokens issue --data "$MIRROR" --role operator --name promoted)
ip netns exec "$NS_M" "$DEFTER" serve --data "$MIRROR" --host "$M" --port 8153 --checkpoint-every 1s >"$TMP/promoted.log" 2>&1 &
PIDS+=($!)
wait_ns_url "http://$M:8153/healthz"
check "the promoted mirror takes a new call" 0 \
    curl -fsS -o /dev/null -X POST "http://$M:8153/v1/calls" -H "Authorization: Bearer $NEW_TOKEN" -H 'Content-Type: application/json' \
    --data-binary '{"callId":"after-promotion","channel":"phone","operatorId":"op-test","district":"Elbistan","caller":{"text":"Su borusu patladı"}}'
last=$(sed -n 2p "$TMP/last-published")
for _ in $(seq 1 100); do (($(size_at "http://$M:8153") > last)) && break; sleep 0.2; done
check "its log continues the old one: consistent with the primary's last published checkpoint" 0 \
    python3 tools/verify_tiles.py "http://$M:8153" --vkey "$PRIMARY/checkpoint.vkey" --old-checkpoint "$TMP/last-published"

summary
