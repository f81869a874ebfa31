#!/usr/bin/env bash
# test_client_producer.sh — Strait's own producer (common/kafka_client.h,
# no librdkafka) against our broker and against librdkafka's mock cluster.
#
# test_client_producer.c (linked with build/libstrait.a) produces and checks
# its delivery reports; what reached the broker is then read back with kcat
# and checked by test_client_verify.py: every record exactly once, in order
# within its partition, on the partition Kafka's murmur2 rule gives (a Python
# transcription of Java's Utils.murmur2, checked against Kafka's own test
# vectors), with its header and timestamp; and on disk, the producer id /
# sequence numbers / codec of the batches. Also: the 10,000-key placement
# against two independent references (the Python one and librdkafka's
# murmur2 partitioner), every codec, acks 0/1/all, sticky partitioning,
# buffer.memory back-pressure (blocking and not), the caller's own libev
# loop, a broker restart (SIGTERM and SIGKILL) and a stalled broker (SIGSTOP
# past request.timeout.ms) in the middle of an idempotent stream, an unreachable bootstrap server, an API the broker lacks, routed
# generic requests, enable.gapless.guarantee against batches a topic refuses
# (a keyless record in a compacted topic, a record over max.message.bytes),
# batches over a topic's max.message.bytes split and retried (with and
# without the guarantee, and lz4), and the same producer against
# librdkafka's mock cluster.
# Faults (leader changes, injected errors, timeouts) are in
# test_client_faults.sh.
set -u
cd "$(dirname "$0")" || exit 1
source lib/broker.sh
t_init client-producer

LIBS="-lev -lyaml -lz -lzstd -llz4 -lsnappy -lpthread -lm"
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
have_mock=1
if ! gcc -std=gnu11 -O2 -Wall -Wextra -o "$mock" test_client_mock_cluster.c -lrdkafka \
    2>"$T_TMP/mock-cc.err"; then
    have_mock=0
    echo "mock cluster harness does not build: $(head -3 "$T_TMP/mock-cc.err")"
fi

broker_start b1 num.partitions=6 || { t_fail "broker starts"; t_summary; }
BS=$(bootstrap b1)

# run LABEL ARGS...: runs the C program, shows and counts its ok/FAIL lines.
run() {
    local label=$1 out=$T_TMP/run.$RANDOM.out
    shift
    KC_TEST_LABEL=$label timeout 300 "$bin" "$@" >"$out" 2>"$out.err"
    local rc=$?
    cat "$out"
    sed 's/^/    /' "$out.err" | grep -v ' WARN \[producer\]' | tail -5
    t_absorb "$out"
    if [ "$rc" -ne 0 ] && ! grep -q '^FAIL - ' "$out"; then
        t_fail "$label: test program exits cleanly" "exit status $rc"
    fi
}

VERIFY=$STRAIT_ROOT/tests/interop/test_client_verify.py

# py_check DESC ARGS...: runs verify.py; passes on an "OK" first word.
py_check() {
    local desc=$1 out
    shift
    out=$("$STRAIT_PYTHON" "$VERIFY" "$@" 2>&1)
    if [ "${out%% *}" = OK ]; then t_ok "$desc (${out#OK })"; else t_fail "$desc" "$out"; fi
}

# verify_topic DESC BOOTSTRAP TOPIC COUNT keyed|nokey
verify_topic() {
    local dump=$T_TMP/$3.dump
    timeout 120 kcat -C -b "$2" -t "$3" -e -q -f '%p %o %T %k %s %h\n' >"$dump" 2>"$dump.err"
    py_check "$1" topic "$dump" "$4" 6 "$5" "$(date +%s%3N)"
}

# ---- placement: 10,000 keys against two independent references -------------------------
py_check "the Python reference murmur2 matches Kafka's UtilsTest vectors" vectors
for n in 6 7 100; do
    "$bin" placement 10000 "$n" >"$T_TMP/placement.$n"
    py_check "10,000 keys: kc_partition_for_key = Java's rule (Python reference), $n partitions" \
        placement "$T_TMP/placement.$n" "$n"
done
if [ "$have_mock" = 1 ]; then
    "$mock" murmur2 10000 6 >"$T_TMP/placement.rdkafka"
    if cmp -s "$T_TMP/placement.6" "$T_TMP/placement.rdkafka"; then
        t_ok "10,000 keys: kc_partition_for_key = librdkafka's murmur2 partitioner"
    else
        t_fail "10,000 keys: kc_partition_for_key = librdkafka's murmur2 partitioner" \
            "$(diff "$T_TMP/placement.6" "$T_TMP/placement.rdkafka" | head -3)"
    fi
else
    t_skip "placement against librdkafka's partitioner" "librdkafka-dev missing"
fi

# ---- 100,000 idempotent records to a 6-partition topic ------------------------------------
run "idempotent 100k" produce "$BS" idem100k 100000 value.size=50
verify_topic "100k idempotent records read back exactly once, in order, on their murmur2 partition" \
    "$BS" idem100k 100000 keyed
py_check "100k idempotent: one producer id, contiguous sequences on disk" \
    disk "${B_DIR[b1]}" idem100k 6 0 1

# ---- every codec -----------------------------------------------------------------------
codec_id=0
for codec in none gzip snappy lz4 zstd; do
    run "compression.type=$codec" produce "$BS" "codec-$codec" 20000 compression.type="$codec" \
        value.size=100
    verify_topic "compression.type=$codec: kcat reads every record back" "$BS" "codec-$codec" \
        20000 keyed
    py_check "compression.type=$codec: the batches on disk carry codec $codec_id" \
        disk "${B_DIR[b1]}" "codec-$codec" 6 "$codec_id" 1
    codec_id=$((codec_id + 1))
done

# ---- per-record codecs (kc_record.compression), read back by the consumer ---------------------
run "per-record codecs" codecs "$BS" percodec

# ---- enable.gapless.guarantee: a batch the topic refuses for good ---------------------------
# A keyless record in a compacted topic (INVALID_RECORD) and a record over
# the topic's max.message.bytes (MESSAGE_TOO_LARGE), in a stream of 3000 with
# 5 batches in flight: with the guarantee nothing after the refused batch is
# written; by default (as Java) the later records land after a gap.
for mode in nullkey toolarge; do
    for guarantee in true false; do
        run "gapless $mode, enable.gapless.guarantee=$guarantee" gapless "$BS" \
            "gapless-$mode-$guarantee" "$mode" "$guarantee"
    done
done
# the producer's very first batch refused: the broker does not know the
# producer id yet and would take any sequence behind it
run "gapless, first batch refused" gapless "$BS" gapless-first nullkey true 0
# a record that fails before it reaches a partition (its topic missing past
# max.block.ms) halts the whole topic
for guarantee in true false; do
    run "gapless, topic missing, enable.gapless.guarantee=$guarantee" gapless-topic "$BS" \
        "gapless-missing-$guarantee" "$guarantee"
done

# ---- batches the topic refuses as too large: split and retried ------------------------------
# max.message.bytes=4096 against batch.size=65536: every batch of 300-byte
# records is refused (MESSAGE_TOO_LARGE) and halved until it fits, the
# halves first, with the refused batch's sequence numbers (no new producer
# id), the batches in flight behind it retried after them; an 8000-byte
# record among them fails alone (or, gapless, halts the partition).
for guarantee in false true; do
    run "split, enable.gapless.guarantee=$guarantee" split "$BS" "split-all-$guarantee" all \
        "$guarantee" none
    run "split, one record too large, enable.gapless.guarantee=$guarantee" split "$BS" \
        "split-big-$guarantee" big "$guarantee" none
done
run "split, compression.type=lz4" split "$BS" split-lz4 all false lz4
run "split, one record too large, compression.type=lz4, gapless" split "$BS" split-big-lz4 big \
    true lz4

# ---- explicit timestamps ------------------------------------------------------------------
run "explicit timestamps" produce "$BS" timestamps 5000 ts.base=1500000000000
timeout 60 kcat -C -b "$BS" -t timestamps -e -q -f '%p %o %T %k %s %h\n' >"$T_TMP/ts.dump" 2>&1
py_check "explicit timestamps: every record keeps the timestamp it was given" \
    topic "$T_TMP/ts.dump" 5000 6 keyed =1500000000000

# ---- acks ------------------------------------------------------------------------------
for acks in 0 1 all; do
    run "acks=$acks" produce "$BS" "acks-$acks" 20000 acks="$acks"
    verify_topic "acks=$acks: every record read back" "$BS" "acks-$acks" 20000 keyed
done

# ---- records without a key: sticky partitioning ---------------------------------------------
run "no key" produce "$BS" sticky 20000 nokey=1 report="$T_TMP/sticky.report" linger.ms=50
verify_topic "no key: every record read back in order" "$BS" sticky 20000 nokey
py_check "no key: records stick to one partition per batch (KIP-480)" \
    sticky "$T_TMP/sticky.report" 20000

# ---- buffer.memory back-pressure, and the caller's own loop ---------------------------------
run "buffer.memory blocking" produce "$BS" bp-block 100000 buffer.memory=65536 expect.queue.full=0
verify_topic "buffer.memory=65536: every record read back" "$BS" bp-block 100000 keyed
run "buffer.memory non-blocking" produce "$BS" bp-nonblock 100000 buffer.memory=65536 \
    max.block.ms=0 warmup=1 expect.queue.full=1
verify_topic "max.block.ms=0: every record read back" "$BS" bp-nonblock 100000 keyed
run "external loop" external "$BS" ext-loop 100000 buffer.memory=262144
verify_topic "external loop: every record read back" "$BS" ext-loop 100000 keyed

# ---- broker restarts in the middle of an idempotent stream -------------------------------
restart_test() { # NAME STOP-COMMAND
    local name=$1 stop=$2 out=$T_TMP/$1.out
    KC_TEST_LABEL="$name" timeout 300 "$bin" produce "$BS" "$name" 100000 rate=25000 \
        value.size=50 >"$out" 2>"$out.err" &
    local pid=$!
    T_CHILD_PIDS+=("$pid")
    sleep 1.5
    $stop b1
    sleep 1
    broker_start b1 --port "${B_PORT[b1]}" num.partitions=6 || t_fail "$name: broker restarts"
    wait "$pid"
    local rc=$?
    cat "$out"
    grep -E 'records in' "$out.err" | sed 's/^/    /'
    t_absorb "$out"
    [ "$rc" -ne 0 ] && ! grep -q '^FAIL - ' "$out" && t_fail "$name: producer exits cleanly" "rc $rc"
    verify_topic "$name: no duplicates, no loss, order kept" "$BS" "$name" 100000 keyed
}
restart_test restart-sigterm broker_stop
restart_test restart-sigkill broker_kill9

# ---- a broker that stops answering for longer than request.timeout.ms ------------------------
# SIGSTOP: requests time out, the connections are dropped, the batches are
# resent with their sequence numbers; when the broker wakes up it appends the
# first copies and must drop the resent ones as duplicates.
KC_TEST_LABEL="stalled broker" timeout 300 "$bin" produce "$BS" stalled 30000 rate=10000 \
    request.timeout.ms=1000 log=debug >"$T_TMP/stalled.out" 2>"$T_TMP/stalled.err" &
stalled_pid=$!
T_CHILD_PIDS+=("$stalled_pid")
sleep 0.8
kill -STOP "${B_PID[b1]}"
sleep 2.5
kill -CONT "${B_PID[b1]}"
wait "$stalled_pid"
cat "$T_TMP/stalled.out"
t_absorb "$T_TMP/stalled.out"
timeouts=$(grep -c 'timed out after' "$T_TMP/stalled.err")
if [ "$timeouts" -gt 0 ]; then
    t_ok "stalled broker: requests timed out after request.timeout.ms ($timeouts times)"
else
    t_fail "stalled broker: requests timed out after request.timeout.ms" "none logged"
fi
verify_topic "stalled broker: resent batches deduplicated, every record exactly once, in order" \
    "$BS" stalled 30000 keyed

# ---- errors -------------------------------------------------------------------------------
run "unreachable" unreachable 127.0.0.1:1 3000
run "unsupported" unsupported "$BS"
run "generic requests" metadata "$BS" idem100k

# ---- librdkafka's mock cluster: a foreign Kafka implementation -----------------------------
if [ "$have_mock" = 1 ]; then
    "$mock" serve mock6:6 >"$T_TMP/mock.out" 2>"$T_TMP/mock.err" &
    mock_pid=$!
    T_CHILD_PIDS+=("$mock_pid")
    MBS=
    for _ in $(seq 50); do
        MBS=$(sed -n 's/^BOOTSTRAP=//p' "$T_TMP/mock.out")
        [ -n "$MBS" ] && break
        sleep 0.1
    done
    if [ -n "$MBS" ]; then
        run "mock cluster" produce "$MBS" mock6 20000 value.size=20
        verify_topic "mock cluster: every record read back exactly once, in order" "$MBS" mock6 \
            20000 keyed
        run "mock cluster" unsupported "$MBS"
    else
        t_fail "librdkafka's mock cluster starts" "$(head -3 "$T_TMP/mock.err")"
    fi
    kill "$mock_pid" 2>/dev/null
    wait "$mock_pid" 2>/dev/null
else
    t_skip "librdkafka's mock cluster" "librdkafka-dev missing"
fi

# ---- the example program: the tutorial's truck-GPS stream -----------------------------------
trucks=$T_TMP/trucks_producer
# shellcheck disable=SC2086
if gcc -std=gnu11 -O1 -g $SAN -Wall -Wextra -Werror -D_GNU_SOURCE -I"$STRAIT_ROOT" -o "$trucks" \
    "$STRAIT_ROOT/examples/trucks_producer.c" "$LIBSTRAIT" $LIBS 2>"$T_TMP/trucks-cc.err"; then
    if "$trucks" --bootstrap-server "$BS" --trucks 5 --updates 4 --interval-ms 50 --quiet \
        2>"$T_TMP/trucks.err"; then
        t_ok "examples/trucks_producer runs ($(tail -1 "$T_TMP/trucks.err"))"
    else
        t_fail "examples/trucks_producer runs" "$(tail -3 "$T_TMP/trucks.err")"
    fi
    timeout 60 kcat -C -b "$BS" -t trucks_gps -e -q -f '%p %k %s\n' >"$T_TMP/trucks.dump" 2>&1
    py_check "trucks_gps: JSON positions keyed by truck id on the Java client's partition" \
        trucks "$T_TMP/trucks.dump" 5 4 6
    # The consumer example reads the 20 positions in a group, then a second run of
    # the same group resumes after the committed offsets and reads nothing.
    tc=$T_TMP/trucks_consumer
    # shellcheck disable=SC2086
    if gcc -std=gnu11 -O1 -g $SAN -Wall -Wextra -Werror -D_GNU_SOURCE -I"$STRAIT_ROOT" -o "$tc" \
        "$STRAIT_ROOT/examples/trucks_consumer.c" "$LIBSTRAIT" $LIBS 2>"$T_TMP/tc-cc.err"; then
        timeout 60 "$tc" --bootstrap-server "$BS" --group dash --max 20 >"$T_TMP/tc1.out" 2>"$T_TMP/tc1.err"
        n1=$(grep -c '"latitude"' "$T_TMP/tc1.out")
        timeout 60 "$tc" --bootstrap-server "$BS" --group dash --idle-ms 2000 >"$T_TMP/tc2.out" 2>"$T_TMP/tc2.err"
        n2=$(grep -c '"latitude"' "$T_TMP/tc2.out")
        if [ "$n1" = 20 ] && [ "$n2" = 0 ]; then
            t_ok "examples/trucks_consumer reads the 20 positions in a group, and a restart resumes after them"
        else
            t_fail "examples/trucks_consumer in a group" "first run $n1 (want 20), second $n2 (want 0): $(tail -2 "$T_TMP/tc1.err" "$T_TMP/tc2.err")"
        fi
    else
        t_fail "examples/trucks_consumer.c compiles" "$(head -5 "$T_TMP/tc-cc.err")"
    fi
    if "$trucks" --bootstrap-server 127.0.0.1:1 --updates 1 >/dev/null 2>"$T_TMP/trucks-dead.err"; then
        t_fail "trucks_producer against a dead address exits non-zero" "it exited 0"
    elif grep -q 'no broker reachable' "$T_TMP/trucks-dead.err"; then
        t_ok "trucks_producer against a dead address: clear error, non-zero exit"
    else
        t_fail "trucks_producer against a dead address: clear error" "$(cat "$T_TMP/trucks-dead.err")"
    fi
else
    t_fail "examples/trucks_producer.c compiles" "$(head -5 "$T_TMP/trucks-cc.err")"
fi

if broker_alive b1; then t_ok "broker still running after the clients"; else t_fail "broker still running"; fi
broker_stop b1
t_summary
