#!/usr/bin/env bash
# test_groups_librdkafka.sh — compiles test_groups_librdkafka.c against
# librdkafka (tests only) and runs its three consumer-group scenarios (eager
# range, cooperative-sticky, static membership) against a broker started here
# with num.partitions=6 and group.initial.rebalance.delay.ms=0. See the .c
# file for what each scenario asserts. The broker must still be running after
# the clients and exit 0 on SIGTERM.
set -u
cd "$(dirname "$0")"
source lib/broker.sh
t_init groups-librdkafka

bin=$T_TMP/test_groups_librdkafka
if ! gcc -std=gnu11 -O2 -Wall -Wextra -pthread -o "$bin" test_groups_librdkafka.c \
    lib/rdkafka_test.c -lrdkafka 2>"$T_TMP/cc.err"; then
    t_fail "test_groups_librdkafka.c compiles against librdkafka (make deps installs librdkafka-dev)" \
        "$(head -20 "$T_TMP/cc.err")"
    t_summary
fi
cat "$T_TMP/cc.err"

broker_start b1 num.partitions=6 group.initial.rebalance.delay.ms=0 \
    || { t_fail "broker starts"; t_summary; }
timeout 300 "$bin" "$(bootstrap b1)" "$@" >"$T_TMP/out.txt" 2>"$T_TMP/err.txt"
rc=$?
cat "$T_TMP/out.txt"
t_absorb "$T_TMP/out.txt"
if [ "$rc" -ne 0 ] && ! grep -q '^FAIL - ' "$T_TMP/out.txt"; then
    t_fail "test program exits cleanly" "exit status $rc"
fi
if grep -q '^FAIL - ' "$T_TMP/out.txt" || [ "$rc" -ne 0 ]; then
    echo "---- client trace (last 80 lines) ----"
    tail -80 "$T_TMP/err.txt" | sed 's/^/    /'
    echo "---- broker log (last 30 lines) ----"
    tail -30 "${B_LOG[b1]}" | sed 's/^/    /'
fi
if broker_alive b1; then t_ok "broker still running after the clients"; else t_fail "broker still running after the clients"; fi
broker_stop b1
t_eq "broker exits 0 on SIGTERM" 0 "$BROKER_RC"
t_summary
