#!/usr/bin/env bash
# test_mirror_checkpoint.sh — the mirror's consumer-group checkpoints
# (mirror/checkpoint.c) between two live strait-brokers, east and west.
#
# test_mirror_checkpoint.c (linked with build/asan/libstrait-mirror.a and
# build/asan/libstrait.a, under ASan+UBSan) fills the offset store by hand
# for east's `orders`, commits group offsets on east (and some on west),
# runs checkpointer_run for a prefix flow east->west and checks west's
# group offsets on `east.orders` (translated, never moved backwards, a group
# with a live member left alone until it leaves, groups and topics outside
# the flow ignored), the store's checkpoint rows, and the bytes of the MM2
# `heartbeats` / `east.checkpoints.internal` records (compacted, 1
# partition), read back with our consumer and decoded by mirror/mm2_format.c.
# Then librdkafka's mock cluster as a source without ListGroups: only the
# groups named literally in the flow's patterns are checkpointed, with one
# warning naming the cluster and the API.
set -u
cd "$(dirname "$0")" || exit 1
source lib/broker.sh
source lib/mirror.sh
t_init mirror-checkpoint

mirror_program test_mirror_checkpoint

broker_start east || { t_fail "broker east starts"; t_summary; }
broker_start west || { t_fail "broker west starts"; t_summary; }

# write_config FILE SOURCE SOURCE-BOOTSTRAP GROUPS: a prefix flow SOURCE -> west.
write_config() {
    cat >"$1" <<YAML
mirror:
  database: $T_TMP/offsets.db
  metrics.port: 0
clusters:
  $2:
    bootstrap.servers: $3
  west:
    bootstrap.servers: $(bootstrap west)
flows:
  - source: $2
    target: west
    topics: ["orders"]
    groups: $4
    naming: prefix
    sync.group.offsets: true
YAML
}

# run LABEL ARGS...: runs the C program, shows and counts its ok/FAIL lines.
run() {
    local label=$1 out=$T_TMP/run.$1.out
    shift
    timeout 300 "$bin" "$@" >"$out" 2>"$out.err"
    local rc=$?
    cat "$out"
    grep -E ' (WARN|ERROR) ' "$out.err" | sed 's/^/    /' | tail -10
    t_absorb "$out"
    if [ "$rc" -ne 0 ] && ! grep -q '^FAIL - ' "$out"; then
        t_fail "$label: test program exits cleanly" "exit status $rc: $(tail -5 "$out.err")"
    fi
}

write_config "$T_TMP/east.yaml" east "$(bootstrap east)" '["g-.*"]'
run east-west "$T_TMP/east.yaml"

# ---- a source without ListGroups: librdkafka's mock cluster --------------------------------
# Only the flow's groups patterns that are plain names can be checkpointed;
# the warning names the cluster and the API.
mock=$T_TMP/test_client_mock_cluster
if gcc -std=gnu11 -O2 -Wall -Wextra -o "$mock" test_client_mock_cluster.c -lrdkafka \
    2>"$T_TMP/mock-cc.err"; then
    mkfifo "$T_TMP/mock.in"
    "$mock" serve orders:2 <"$T_TMP/mock.in" >"$T_TMP/mock.out" 2>"$T_TMP/mock.err" &
    mock_pid=$!
    T_CHILD_PIDS+=("$mock_pid")
    exec 3>"$T_TMP/mock.in"
    MBS=
    for _ in $(seq 50); do
        MBS=$(sed -n 's/^BOOTSTRAP=//p' "$T_TMP/mock.out")
        [ -n "$MBS" ] && break
        sleep 0.1
    done
    echo "apiversion 16 -1 -1" >&3 # ListGroups absent, whatever the mock's version has
    for _ in $(seq 50); do
        grep -qxF "DONE apiversion 16 -1 -1" "$T_TMP/mock.out" && break
        sleep 0.1
    done
    if [ -n "$MBS" ]; then
        write_config "$T_TMP/mock.yaml" mock "$MBS" '["g-lit", "g\\.dotted", "h-.*"]'
        run mock-west "$T_TMP/mock.yaml" literal
        want="source cluster mock does not support ListGroups: only groups named literally"
        want+=" in the flow's groups patterns are checkpointed"
        if grep -qF "$want" "$T_TMP/run.mock-west.out.err"; then
            t_ok "the warning names the cluster and ListGroups"
        else
            t_fail "the warning names the cluster and ListGroups" \
                "$(grep -E 'WARN' "$T_TMP/run.mock-west.out.err" | head -3)"
        fi
        n=$(grep -c 'does not support ListGroups' "$T_TMP/run.mock-west.out.err")
        t_eq "the ListGroups warning is logged once per flow (two passes)" 1 "$n"
    else
        t_fail "librdkafka's mock cluster starts" "$(head -3 "$T_TMP/mock.err")"
    fi
    exec 3>&-
    kill "$mock_pid" 2>/dev/null
    wait "$mock_pid" 2>/dev/null
else
    t_skip "a source without ListGroups (mock cluster)" "librdkafka-dev missing"
fi

if broker_alive east && broker_alive west; then
    t_ok "both brokers still running"
else
    t_fail "both brokers still running"
fi
broker_stop east
broker_stop west
t_summary
