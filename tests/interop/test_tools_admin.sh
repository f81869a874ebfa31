#!/usr/bin/env bash
# test_tools_admin.sh — Strait's admin API (kc_admin_* in
# common/kafka_client.h) against a Strait broker and against librdkafka's
# mock cluster, through test_tools_admin.c (see its header for the list of
# checks): every admin call on our broker with its results and per-item
# errors, and on the mock (which has no admin APIs) a prompt "<Api> is not
# supported by this broker" for each, never a hang.
set -u
cd "$(dirname "$0")" || exit 1
source lib/broker.sh
t_init tools-admin

LIBS="-lev -lyaml -lz -lzstd -llz4 -lsnappy -lpthread -lm"
if ! make -C "$STRAIT_ROOT" --no-print-directory -s build/libstrait.a >"$T_TMP/make.log" 2>&1; then
    t_fail "build/libstrait.a builds" "$(tail -5 "$T_TMP/make.log")"
    t_summary
fi
bin=$T_TMP/test_tools_admin
# shellcheck disable=SC2086
if ! gcc -std=gnu11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -I"$STRAIT_ROOT" -o "$bin" \
    test_tools_admin.c "$STRAIT_ROOT/build/libstrait.a" $LIBS 2>"$T_TMP/cc.err"; then
    t_fail "test_tools_admin.c compiles against build/libstrait.a" "$(head -20 "$T_TMP/cc.err")"
    t_summary
fi

# run ARGS...: runs the C program, shows and counts its ok/FAIL lines.
run() {
    local out=$T_TMP/run.$RANDOM.out
    timeout 300 "$bin" "$@" >"$out" 2>"$out.err"
    local rc=$?
    cat "$out"
    grep -v ' WARN ' "$out.err" | sed 's/^/    /' | tail -5
    t_absorb "$out"
    if [ "$rc" -ne 0 ] && ! grep -q '^FAIL - ' "$out"; then
        t_fail "test_tools_admin $1 exits cleanly" "exit status $rc"
    fi
}

broker_start b1 || { t_fail "broker starts"; t_summary; }
run broker "$(bootstrap b1)"
if broker_alive b1; then t_ok "broker still running"; else t_fail "broker still running"; fi
broker_stop b1

mock=$T_TMP/mock_cluster
if gcc -std=gnu11 -O2 -o "$mock" test_client_mock_cluster.c -lrdkafka 2>"$T_TMP/mock.err"; then
    "$mock" serve mocktopic:3 >"$T_TMP/mock.out" 2>"$T_TMP/mock.log" &
    mock_pid=$!
    T_CHILD_PIDS+=("$mock_pid")
    MBS=
    for _ in $(seq 50); do
        MBS=$(sed -n 's/^BOOTSTRAP=//p' "$T_TMP/mock.out")
        [ -n "$MBS" ] && break
        sleep 0.1
    done
    if [ -n "$MBS" ]; then
        run mock "$MBS"
    else
        t_fail "librdkafka's mock cluster starts" "$(head -3 "$T_TMP/mock.log")"
    fi
    kill "$mock_pid" 2>/dev/null
    wait "$mock_pid" 2>/dev/null
else
    t_skip "librdkafka's mock cluster" "librdkafka-dev missing"
fi
t_summary
