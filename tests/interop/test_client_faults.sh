#!/usr/bin/env bash
# test_client_faults.sh — Strait's own producer (common/kafka_client.h) when
# things go wrong, against librdkafka's mock cluster (3 brokers), whose
# faults test_client_mock_cluster.c injects on command: partition leaders
# moving mid-stream (NOT_LEADER_OR_FOLLOWER, metadata refresh, new leader),
# retriable Produce errors, UNKNOWN_PRODUCER_ID and OUT_OF_ORDER_SEQUENCE_NUMBER
# (a new producer id, as Java does), every broker down (records fail with
# KC_ERR_MSG_TIMED_OUT after delivery.timeout.ms), and a cluster without
# InitProducerId (a clear fatal error, no hang). What reached the mock is read
# back with kcat and checked by test_client_verify.py: exactly once, in order
# per partition, on the murmur2 partition. (Requests timing out and being
# resent need a broker that deduplicates: that is in test_client_producer.sh,
# against our broker.)
set -u
cd "$(dirname "$0")" || exit 1
source lib/broker.sh
t_init client-faults

LIBS="-lev -lyaml -lz -lzstd -llz4 -lsnappy -lpthread -lm"
VERIFY=$STRAIT_ROOT/tests/interop/test_client_verify.py
# The client programs run under AddressSanitizer + UndefinedBehaviorSanitizer
# (leaks included: a report makes the program exit non-zero).
# STRAIT_CLIENT_LIB=path links that library instead of build/asan/libstrait.a.
LIBSTRAIT=${STRAIT_CLIENT_LIB:-$STRAIT_ROOT/build/asan/libstrait.a}
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
if [ -z "${STRAIT_CLIENT_LIB:-}" ] &&
    ! make -C "$STRAIT_ROOT" --no-print-directory -s build/asan/libstrait.a >"$T_TMP/make.log" 2>&1; then
    t_fail "build/asan/libstrait.a builds" "$(tail -5 "$T_TMP/make.log")"
    t_summary
fi
bin=$T_TMP/test_client_producer
# shellcheck disable=SC2086
if ! gcc -std=gnu11 -O1 -g $SAN -Wall -Wextra -Werror -D_GNU_SOURCE -I"$STRAIT_ROOT" -o "$bin" \
    test_client_producer.c "$LIBSTRAIT" $LIBS 2>"$T_TMP/cc.err"; then
    t_fail "test_client_producer.c compiles against the client library" "$(head -20 "$T_TMP/cc.err")"
    t_summary
fi
mock=$T_TMP/test_client_mock_cluster
if ! gcc -std=gnu11 -O2 -Wall -Wextra -o "$mock" test_client_mock_cluster.c -lrdkafka \
    2>"$T_TMP/mock-cc.err"; then
    t_skip "every fault scenario" "the mock cluster harness needs librdkafka-dev: $(head -1 "$T_TMP/mock-cc.err")"
    t_summary
fi

MOCK_PID=
# start_mock TOPIC:PARTITIONS...: a 3-broker mock reading commands from fd 3.
start_mock() {
    rm -f "$T_TMP/mock.in"
    mkfifo "$T_TMP/mock.in"
    "$mock" serve -b 3 "$@" <"$T_TMP/mock.in" >"$T_TMP/mock.out" 2>"$T_TMP/mock.err" &
    MOCK_PID=$!
    T_CHILD_PIDS+=("$MOCK_PID")
    exec 3>"$T_TMP/mock.in"
    MBS=
    for _ in $(seq 50); do
        MBS=$(sed -n 's/^BOOTSTRAP=//p' "$T_TMP/mock.out")
        [ -n "$MBS" ] && return 0
        sleep 0.1
    done
    return 1
}

stop_mock() {
    exec 3>&-
    if [ -n "$MOCK_PID" ]; then
        kill "$MOCK_PID" 2>/dev/null
        wait "$MOCK_PID" 2>/dev/null
    fi
    MOCK_PID=
}

# mock_cmd LINE: sends a fault command and waits for the mock's "DONE LINE".
mock_cmd() {
    echo "$*" >&3
    for _ in $(seq 50); do
        grep -qxF "DONE $*" "$T_TMP/mock.out" && return 0
        sleep 0.1
    done
    echo "mock did not confirm '$*': $(tail -2 "$T_TMP/mock.err")"
    return 1
}

py_check() {
    local desc=$1 out
    shift
    out=$("$STRAIT_PYTHON" "$VERIFY" "$@" 2>&1)
    if [ "${out%% *}" = OK ]; then t_ok "$desc (${out#OK })"; else t_fail "$desc" "$out"; fi
}

verify_topic() { # DESC TOPIC COUNT
    local dump=$T_TMP/$2.dump
    timeout 120 kcat -C -b "$MBS" -t "$2" -e -q -f '%p %o %T %k %s %h\n' >"$dump" 2>"$dump.err"
    py_check "$1" topic "$dump" "$3" 6 keyed "$(date +%s%3N)"
}

# produce_bg LABEL TOPIC COUNT ARGS...: starts the producer; PROD_PID, PROD_OUT.
produce_bg() {
    local label=$1 topic=$2 count=$3
    shift 3
    PROD_OUT=$T_TMP/$label.out
    KC_TEST_LABEL=$label timeout 300 "$bin" produce "$MBS" "$topic" "$count" "$@" \
        >"$PROD_OUT" 2>"$PROD_OUT.err" &
    PROD_PID=$!
    T_CHILD_PIDS+=("$PROD_PID")
}

# produce_wait: waits for the producer and counts its lines.
produce_wait() {
    wait "$PROD_PID"
    local rc=$?
    cat "$PROD_OUT"
    grep -E 'records in' "$PROD_OUT.err" | sed 's/^/    /'
    t_absorb "$PROD_OUT"
    if [ "$rc" -ne 0 ] && ! grep -q '^FAIL - ' "$PROD_OUT"; then
        t_fail "producer exits cleanly" "exit status $rc: $(tail -3 "$PROD_OUT.err")"
    fi
}

start_mock lead:6 errs:6 pidreset:6 ooo:6 expire:6 noinit:6 || { t_fail "the mock cluster starts" "$(cat "$T_TMP/mock.err")"; t_summary; }
echo "mock cluster: $MBS"

# ---- partition leaders move twice in the middle of an idempotent stream --------------------
produce_bg "leader change" lead 60000 rate=20000 log=debug
sleep 1
for p in 0 1 2 3 4 5; do mock_cmd "leader lead $p $(((p + 1) % 3 + 1))"; done
sleep 1
for p in 0 1 2 3 4 5; do mock_cmd "leader lead $p $(((p + 2) % 3 + 1))"; done
produce_wait
moved=$(grep -c 'NOT_LEADER_OR_FOLLOWER' "$PROD_OUT.err")
if [ "$moved" -gt 0 ]; then
    t_ok "leader change: the producer saw NOT_LEADER_OR_FOLLOWER ($moved times) and followed"
else
    t_fail "leader change: the producer saw NOT_LEADER_OR_FOLLOWER" "no retries logged"
fi
verify_topic "leader change: every record exactly once, in order" lead 60000

# ---- retriable Produce errors -------------------------------------------------------------
# NOT_LEADER_OR_FOLLOWER, REQUEST_TIMED_OUT, NOT_ENOUGH_REPLICAS,
# NOT_ENOUGH_REPLICAS_AFTER_APPEND, LEADER_NOT_AVAILABLE. librdkafka 2.0's mock
# does not check idempotent sequence numbers (a real broker rejects a batch
# sent behind a failed one with OUT_OF_ORDER_SEQUENCE_NUMBER, which keeps the
# order with 5 requests in flight), so one request in flight here: what this
# checks is that retried batches go back in their original order.
produce_bg "injected errors" errs 40000 rate=20000 log=debug \
    max.in.flight.requests.per.connection=1
sleep 0.7
mock_cmd "errors 0 6 7 19 20 5 6 7"
sleep 0.5
mock_cmd "errors 0 19 19 19"
produce_wait
retried=$(grep -c 'retrying' "$PROD_OUT.err")
if [ "$retried" -ge 5 ]; then
    t_ok "injected errors: the batches were retried ($retried retries)"
else
    t_fail "injected errors: the batches were retried" "$retried retries logged"
fi
verify_topic "injected errors: every record exactly once, in order" errs 40000

# ---- the broker lost our producer state: UNKNOWN_PRODUCER_ID --------------------------------
# Java's answer: a new producer id (epoch bump), the sequences restart at 0,
# the batch is resent. Nothing is lost or duplicated.
produce_bg "unknown producer id" pidreset 20000 rate=20000 log=debug \
    max.in.flight.requests.per.connection=1
sleep 0.5
mock_cmd "errors 0 59"
produce_wait
if grep -q 'resetting the idempotent producer' "$PROD_OUT.err"; then
    t_ok "unknown producer id: the producer took a new producer id"
else
    t_fail "unknown producer id: the producer took a new producer id" "no reset logged"
fi
verify_topic "unknown producer id: every record exactly once, in order" pidreset 20000

# ---- OUT_OF_ORDER_SEQUENCE_NUMBER for the batch the broker expected -----------------------------
# The broker says it lost something: that batch fails with the error (as in
# Java 3.x), the producer takes a new producer id, the stream goes on.
produce_bg "out of order sequence" ooo 20000 rate=20000 log=debug expect.errors=1 \
    max.in.flight.requests.per.connection=1
sleep 0.5
mock_cmd "errors 0 45"
produce_wait
py_check "out of order sequence: that batch fails clearly, the rest is delivered" \
    result "$PROD_OUT" "*" "*" OUT_OF_ORDER_SEQUENCE_NUMBER 20000
if grep -q 'resetting the idempotent producer' "$PROD_OUT.err"; then
    t_ok "out of order sequence: the producer took a new producer id"
else
    t_fail "out of order sequence: the producer took a new producer id" "no reset logged"
fi

# ---- every broker down: delivery.timeout.ms ----------------------------------------------
produce_bg "brokers down" expire 200 pause.at=100:5000 delivery.timeout.ms=3000 \
    request.timeout.ms=1000 linger.ms=0 expect.errors=1 flush.timeout.ms=20000
for _ in $(seq 100); do grep -q '^PAUSED' "$PROD_OUT" && break; sleep 0.1; done
start=$SECONDS
for b in 1 2 3; do mock_cmd "down $b"; done
produce_wait
took=$((SECONDS - start))
py_check "brokers down: the records sent before are delivered, the rest fail with \
KC_ERR_MSG_TIMED_OUT" result "$PROD_OUT" 100 100 KC_ERR_MSG_TIMED_OUT
if [ "$took" -le 15 ]; then
    t_ok "brokers down: the records failed within delivery.timeout.ms (${took} s incl. a 5 s pause)"
else
    t_fail "brokers down: the records failed within delivery.timeout.ms" "${took} s"
fi
for b in 1 2 3; do mock_cmd "up $b"; done

# ---- a cluster without InitProducerId -----------------------------------------------------
mock_cmd "apiversion 22 -1 -1"
start=$SECONDS
produce_bg "no InitProducerId" noinit 10 expect.errors=1 flush.timeout.ms=30000
produce_wait
took=$((SECONDS - start))
py_check "no InitProducerId: the idempotent producer fails every record, naming the API" \
    result "$PROD_OUT" 0 10 "InitProducerId is not supported by this broker"
if [ "$took" -le 10 ]; then
    t_ok "no InitProducerId: it fails in ${took} s, no hang"
else
    t_fail "no InitProducerId: it fails quickly" "${took} s"
fi
produce_bg "no InitProducerId, idempotence off" noinit 1000 enable.idempotence=false
produce_wait

stop_mock
t_summary
