#!/usr/bin/env bash
# test_client_consumer.sh — Strait's own consumer (common/kafka_client.h, no
# librdkafka) against our broker and against librdkafka's mock cluster.
#
# test_client_consumer.c (linked with build/asan/libstrait.a) runs group
# members that write what they consume and own to files, and self-checking
# scenarios (auto.offset.reset, commit/restart/committed, seek/pause/
# position, static membership and fencing, regex subscriptions, config
# errors). This script starts brokers, produces with kcat (librdkafka),
# moves members in and out, and checks in Python that every record was
# consumed exactly once. test_client_consumer_rdkafka.c provides librdkafka
# group members (a mixed group), a transactional producer and the mock
# cluster. Groups:
#   - three consumers, 6 partitions: 2 each; one leaves: the others take over;
#     60,000 records (lz4 and zstd) consumed exactly once with manual commits
#   - cooperative-sticky: a joining member takes only what moves; only those
#     partitions are revoked; members that stay keep theirs
#   - our consumer with librdkafka consumers in one group (range, and
#     cooperative-sticky)
#   - every codec produced by kcat, read back
#   - the mock cluster (3 brokers): groups, commits, resets, positions, and
#     transactional batches read as librdkafka reads them
set -u
cd "$(dirname "$0")" || exit 1
source lib/broker.sh
t_init client-consumer

LIBS="-lev -lyaml -lz -lzstd -llz4 -lsnappy -lpthread -lm"
if ! make -C "$STRAIT_ROOT" --no-print-directory -s build/asan/libstrait.a >"$T_TMP/make.log" 2>&1; then
    t_fail "build/asan/libstrait.a builds" "$(tail -5 "$T_TMP/make.log")"
    t_summary
fi
bin=$T_TMP/test_client_consumer
# shellcheck disable=SC2086
if ! gcc -std=gnu11 -O1 -g -Wall -Wextra -Werror -D_GNU_SOURCE -fsanitize=address,undefined \
    -I"$STRAIT_ROOT" -o "$bin" test_client_consumer.c "$STRAIT_ROOT/build/asan/libstrait.a" $LIBS \
    2>"$T_TMP/cc.err"; then
    t_fail "test_client_consumer.c compiles against build/asan/libstrait.a" "$(head -20 "$T_TMP/cc.err")"
    t_summary
fi
rdk=$T_TMP/test_client_consumer_rdkafka
have_rdk=1
if ! gcc -std=gnu11 -O2 -Wall -Wextra -o "$rdk" test_client_consumer_rdkafka.c -lrdkafka \
    2>"$T_TMP/rdk-cc.err"; then
    have_rdk=0
    echo "librdkafka helper does not build: $(head -3 "$T_TMP/rdk-cc.err")"
fi
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0

broker_start b1 num.partitions=6 group.initial.rebalance.delay.ms=0 || { t_fail "broker starts"; t_summary; }
BS=$(bootstrap b1)

cat >"$T_TMP/verify.py" <<'EOF'
import glob, os, sys

def records(d, topic):
    out = []
    for path in glob.glob(os.path.join(d, "*.records")):
        for line in open(path):
            f = line.split()
            if len(f) == 4 and f[0] == topic:
                out.append((int(f[1]), int(f[2]), f[3]))
    return out

def once(d, topic, count):
    """Every key-0..key-(count-1) exactly once, every (partition, offset) once."""
    recs = records(d, topic)
    keys, places = {}, {}
    for p, o, k in recs:
        keys[k] = keys.get(k, 0) + 1
        places[(p, o)] = places.get((p, o), 0) + 1
    want = set("key-%d" % i for i in range(count))
    missing = len(want - set(keys))
    dup_keys = sum(1 for k, n in keys.items() if n > 1)
    dup_places = sum(1 for n in places.values() if n > 1)
    extra = len(set(keys) - want)
    if missing or dup_keys or dup_places or extra:
        print("BAD %d records: %d missing, %d keys twice, %d offsets twice, %d unexpected"
              % (len(recs), missing, dup_keys, dup_places, extra))
    else:
        print("OK %d records, each exactly once" % len(recs))

def atleast(d, topic, count):
    """Every key-0..key-(count-1) at least once (a member that lost its
    partitions, or a commit lost in a broker restart, may repeat some)."""
    keys = set(k for _, _, k in records(d, topic))
    missing = sum(1 for i in range(count) if "key-%d" % i not in keys)
    n = len(records(d, topic))
    print("OK %d records, none missing, %d repeated" % (n, n - len(keys)) if not missing
          else "BAD %d of %d keys missing" % (missing, count))

def count(d, topic):
    print(len(records(d, topic)))

def state(d, names, sizes, partitions):
    """names' state files: counts as listed (sorted), disjoint, covering all."""
    seen, counts = [], []
    for n in names.split(","):
        try:
            f = open(os.path.join(d, n + ".state")).read().split()
        except OSError:
            print("BAD no state for %s" % n)
            return
        counts.append(int(f[0]))
        seen += f[3:]
    want = sorted(int(x) for x in sizes.split(","))
    ok = sorted(counts) == want and len(seen) == len(set(seen)) == int(partitions)
    print(("OK " if ok else "BAD ") + " ".join(
        "%s=%s" % (n, c) for n, c in zip(names.split(","), counts)))

def revoked(d, name):
    """Partitions revoked or lost after the first assignment, per events file."""
    n, lost = 0, 0
    for line in open(os.path.join(d, name + ".events")):
        f = line.split()
        if f and f[0] == "revoked":
            n += len(f) - 2
        if f and f[0] == "lost":
            lost += len(f) - 2
    print("%d %d" % (n, lost))

def errors(d):
    bad = []
    for path in glob.glob(os.path.join(d, "*.events")):
        for line in open(path):
            if line.startswith("error") or (line.startswith("closed") and "OK" not in line):
                bad.append("%s: %s" % (os.path.basename(path), line.strip()))
    print("OK" if not bad else "BAD " + "; ".join(bad[:3]))

def keys(path, prefixes):
    """consume output: the keys by prefix, in order."""
    got = [l.split()[2] for l in open(path) if len(l.split()) >= 3 and l[0].isdigit()]
    print(" ".join(sorted(set(k.rsplit("-", 1)[0] for k in got))) + " %d" % len(got))

cmd = sys.argv[1]
if cmd == "once": once(sys.argv[2], sys.argv[3], int(sys.argv[4]))
elif cmd == "atleast": atleast(sys.argv[2], sys.argv[3], int(sys.argv[4]))
elif cmd == "count": count(sys.argv[2], sys.argv[3])
elif cmd == "state": state(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5])
elif cmd == "revoked": revoked(sys.argv[2], sys.argv[3])
elif cmd == "errors": errors(sys.argv[2])
elif cmd == "keys": keys(sys.argv[2], sys.argv[3:])
EOF
py() { "$STRAIT_PYTHON" "$T_TMP/verify.py" "$@"; }

# py_check DESC ARGS...: passes on an "OK" first word.
py_check() {
    local desc=$1 out
    shift
    out=$(py "$@" 2>&1)
    if [ "${out%% *}" = OK ]; then t_ok "$desc (${out#OK })"; else t_fail "$desc" "$out"; fi
}

# wait_state DESC SECONDS DIR NAMES SIZES PARTITIONS
wait_state() {
    local desc=$1 secs=$2 out i
    shift 2
    for ((i = 0; i < secs * 10; i++)); do
        out=$(py state "$@")
        [ "${out%% *}" = OK ] && break
        sleep 0.1
    done
    if [ "${out%% *}" = OK ]; then t_ok "$desc (${out#OK })"; else t_fail "$desc" "$out"; fi
}

# wait_count DIR TOPIC N SECONDS: until the members consumed N records
wait_count() {
    local i got
    for ((i = 0; i < $4 * 10; i++)); do
        got=$(py count "$1" "$2")
        [ "$got" -ge "$3" ] && return 0
        sleep 0.1
    done
    return 1
}

# kcat_produce BOOTSTRAP TOPIC FROM TO CODEC: "key-i:value-i" lines
kcat_produce() {
    seq "$3" "$4" | awk '{print "key-"$1":value-"$1}' |
        timeout 120 kcat -P -b "$1" -t "$2" -K: -z "$5" -X linger.ms=5 2>"$T_TMP/kcat.err"
}

declare -A M_PID=()
# member DIR NAME BOOTSTRAP GROUP TOPIC [options]: one of our members in the background
member() {
    local dir=$1 name=$2
    shift 2
    mkdir -p "$dir"
    "$bin" member "$1" "$2" "$3" "$dir" "$name" "${@:4}" >"$dir/$name.out" 2>"$dir/$name.err" &
    M_PID[$dir/$name]=$!
    T_CHILD_PIDS+=("$!")
}
rmember() { # DIR NAME BOOTSTRAP GROUP TOPIC ASSIGNOR: a librdkafka member
    local dir=$1 name=$2
    mkdir -p "$dir"
    "$rdk" member "$3" "$4" "$5" "$dir" "$name" "$6" >"$dir/$name.out" 2>"$dir/$name.err" &
    M_PID[$dir/$name]=$!
    T_CHILD_PIDS+=("$!")
}
# stop_member DIR NAME: clean close, waited for (at most 30 s)
stop_member() {
    local key=$1/$2 pid i
    pid=${M_PID[$key]}
    touch "$1/$2.stop"
    for ((i = 0; i < 300; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -9 "$pid" 2>/dev/null
        t_fail "member $2 stops within 30 s of its stop file"
    fi
    wait "$pid"
    local rc=$?
    if [ "$rc" -ne 0 ]; then
        t_fail "member $2 exits cleanly" "exit status $rc: $(grep -v INFO "$1/$2.err" | tail -5)"
    fi
}

# run LABEL ARGS...: a self-checking command of the C program
run() {
    local label=$1 out=$T_TMP/run.$RANDOM.out
    shift
    KC_TEST_LABEL=$label timeout 300 "$bin" "$@" >"$out" 2>"$out.err"
    local rc=$?
    cat "$out"
    grep -E 'ERROR|runtime error|AddressSanitizer' "$out.err" | head -5 | sed 's/^/    /'
    t_absorb "$out"
    if [ "$rc" -ne 0 ] && ! grep -q '^FAIL - ' "$out"; then
        t_fail "$label: test program exits cleanly" "exit status $rc: $(tail -3 "$out.err")"
    fi
}

MEMBER_OPTS=(session.timeout.ms=10000 heartbeat.interval.ms=500 auto.offset.reset=earliest)

# ---- three consumers in one group, one leaves -----------------------------------------------
G=$T_TMP/three
kcat_produce "$BS" grp6 0 29999 lz4 || t_fail "kcat produces to grp6" "$(tail -3 "$T_TMP/kcat.err")"
for m in m1 m2 m3; do
    member "$G" "$m" "$BS" three grp6 "${MEMBER_OPTS[@]}" partition.assignment.strategy=range
done
wait_state "three consumers in one group on a 6-partition topic get 2 partitions each" 30 \
    "$G" m1,m2,m3 2,2,2 6
stop_member "$G" m3
wait_state "one consumer leaves (close: LeaveGroup): the other two take over, 3 each" 30 \
    "$G" m1,m2 3,3 6
kcat_produce "$BS" grp6 30000 59999 zstd || t_fail "kcat produces more to grp6"
wait_count "$G" grp6 60000 60 || true
stop_member "$G" m1
stop_member "$G" m2
py_check "60,000 records produced by kcat (lz4, zstd) consumed exactly once across the rebalance, with manual commits" \
    once "$G" grp6 60000
py_check "no commit or consumer errors in the group" errors "$G"

# ---- restart: a new member of the group resumes from the committed offsets ----------------
kcat_produce "$BS" grp6 60000 60999 snappy
member "$G" m4 "$BS" three grp6 "${MEMBER_OPTS[@]}"
wait_count "$G" grp6 61000 30 || true
sleep 1
stop_member "$G" m4
py_check "a restarted member resumes from the committed offsets: only the 1,000 new records" \
    once "$G" grp6 61000

# ---- cooperative-sticky: only the partitions that move are revoked -----------------------------
C=$T_TMP/coop
kcat_produce "$BS" coop6 0 5999 gzip
COOP=(partition.assignment.strategy=cooperative-sticky)
member "$C" c1 "$BS" coop coop6 "${MEMBER_OPTS[@]}" "${COOP[@]}"
member "$C" c2 "$BS" coop coop6 "${MEMBER_OPTS[@]}" "${COOP[@]}"
wait_state "cooperative-sticky: two members, 3 partitions each" 30 "$C" c1,c2 3,3 6
# revoked_since NAME BEFORE: partitions revoked/lost since BEFORE ("revoked lost")
revoked_since() {
    local now
    now=$(py revoked "$C" "$1")
    echo "$((${now% *} - ${2% *})) $((${now#* } - ${2#* }))"
}
rv1=$(py revoked "$C" c1)
rv2=$(py revoked "$C" c2)
member "$C" c3 "$BS" coop coop6 "${MEMBER_OPTS[@]}" "${COOP[@]}"
wait_state "cooperative-sticky: a third member joins: 2 each" 30 "$C" c1,c2,c3 2,2,2 6
t_eq "cooperative-sticky: each old member revoked exactly the one partition that moved, lost none" \
    "1 0/1 0" "$(revoked_since c1 "$rv1")/$(revoked_since c2 "$rv2")"
rv1=$(py revoked "$C" c1)
rv3=$(py revoked "$C" c3)
stop_member "$C" c2
wait_state "cooperative-sticky: a member leaves: the others take its partitions" 30 "$C" c1,c3 3,3 6
t_eq "cooperative-sticky: members that stay keep their partitions when one leaves (nothing revoked)" \
    "0 0/0 0" "$(revoked_since c1 "$rv1")/$(revoked_since c3 "$rv3")"
kcat_produce "$BS" coop6 6000 11999 none
wait_count "$C" coop6 12000 60 || true
stop_member "$C" c1
stop_member "$C" c3
py_check "cooperative-sticky: 12,000 records consumed exactly once across two rebalances" \
    once "$C" coop6 12000
py_check "cooperative-sticky: no errors" errors "$C"

# ---- a member frozen past session.timeout.ms: LOST, then rejoins with a new member id ------------
L=$T_TMP/lost
kcat_produce "$BS" lost6 0 5999 lz4
LOST_OPTS=(session.timeout.ms=6000 heartbeat.interval.ms=500 auto.offset.reset=earliest
    partition.assignment.strategy=range)
for m in l1 l2 l3; do member "$L" "$m" "$BS" lostgroup lost6 "${LOST_OPTS[@]}"; done
wait_state "lost: three members, 2 partitions each" 30 "$L" l1,l2,l3 2,2,2 6
kill -STOP "${M_PID[$L/l3]}"
wait_state "lost: a member frozen past session.timeout.ms is dropped; the others take over" 40 \
    "$L" l1,l2 3,3 6
kill -CONT "${M_PID[$L/l3]}"
wait_state "lost: once running again it rejoins and the group is balanced again" 40 \
    "$L" l1,l2,l3 2,2,2 6
if grep -q '^lost ' "$L/l3.events"; then
    t_ok "lost: the frozen member reported its partitions LOST (UNKNOWN_MEMBER_ID), not revoked"
else
    t_fail "lost: the frozen member reported its partitions LOST" "$(tail -5 "$L/l3.events")"
fi
kcat_produce "$BS" lost6 6000 7999 none
wait_count "$L" lost6 8000 60 || true
for m in l1 l2 l3; do stop_member "$L" "$m"; done
py_check "lost: every record consumed (at least once)" atleast "$L" lost6 8000

# ---- a broker restart under a consuming member ----------------------------------------------------------
R=$T_TMP/restart
kcat_produce "$BS" restart6 0 9999 lz4
member "$R" r1 "$BS" restartgroup restart6 "${MEMBER_OPTS[@]}"
wait_count "$R" restart6 10000 30 || true
broker_stop b1
broker_start b1 --port "${B_PORT[b1]}" num.partitions=6 group.initial.rebalance.delay.ms=0 ||
    t_fail "the broker restarts"
kcat_produce "$BS" restart6 10000 19999 zstd
if wait_count "$R" restart6 20000 60; then
    t_ok "broker restart: the consumer rediscovers the coordinator and reads on"
else
    t_fail "broker restart: the consumer reads on" "$(py count "$R" restart6) of 20000"
fi
stop_member "$R" r1
py_check "broker restart: every record consumed (at least once)" atleast "$R" restart6 20000

# ---- a mixed group: our consumer with librdkafka consumers ------------------------------------------
if [ "$have_rdk" = 1 ]; then
    for assignor in range cooperative-sticky; do
        X=$T_TMP/mixed-$assignor
        topic=mixed-$assignor
        kcat_produce "$BS" "$topic" 0 11999 lz4
        member "$X" ours "$BS" "mixed-$assignor" "$topic" "${MEMBER_OPTS[@]}" \
            partition.assignment.strategy="$assignor"
        rmember "$X" rd1 "$BS" "mixed-$assignor" "$topic" "$assignor"
        rmember "$X" rd2 "$BS" "mixed-$assignor" "$topic" "$assignor"
        wait_state "mixed group ($assignor): our consumer and two librdkafka consumers get 2 partitions each" \
            45 "$X" ours,rd1,rd2 2,2,2 6
        kcat_produce "$BS" "$topic" 12000 23999 zstd
        wait_count "$X" "$topic" 24000 60 || true
        stop_member "$X" rd1
        wait_state "mixed group ($assignor): a librdkafka member leaves, the others take over" \
            45 "$X" ours,rd2 3,3 6
        stop_member "$X" ours
        wait_state "mixed group ($assignor): our member leaves, librdkafka takes everything" \
            45 "$X" rd2 6 6
        kcat_produce "$BS" "$topic" 24000 24999 none
        wait_count "$X" "$topic" 25000 60 || true
        stop_member "$X" rd2
        py_check "mixed group ($assignor): 25,000 records consumed exactly once by the three" \
            once "$X" "$topic" 25000
    done
else
    t_skip "mixed groups with librdkafka" "librdkafka-dev missing"
fi

# ---- every codec, produced by kcat -------------------------------------------------------------------
for codec in none gzip snappy lz4 zstd; do
    kcat_produce "$BS" "codec-$codec" 0 4999 "$codec"
    out=$T_TMP/codec-$codec.out
    "$bin" consume "$BS" "codec-$codec" x.group="codec-$codec" auto.offset.reset=earliest \
        x.count=5000 x.timeout.ms=30000 >"$out" 2>"$out.err"
    got=$(grep -c ' key-' "$out")
    distinct=$(awk '$3 ~ /^key-/ {print $3}' "$out" | sort -u | wc -l)
    t_eq "compression.type=$codec from kcat: 5000 distinct records read back" "5000 5000" "$got $distinct"
done

# ---- self-checking scenarios ---------------------------------------------------------------------------
run "reset" reset "$BS"
run "resume" resume "$BS"
run "positions" positions "$BS"
run "static" static "$BS"
run "regex" regex "$BS"
run "external" external "$BS"
run "config" config
run "unreachable" unreachable

# ---- librdkafka's mock cluster: a foreign Kafka implementation ----------------------------------------
if [ "$have_rdk" = 1 ]; then
    "$rdk" serve 3 mock6:6 mocktx:1 >"$T_TMP/mock.out" 2>"$T_TMP/mock.err" &
    mock_pid=$!
    T_CHILD_PIDS+=("$mock_pid")
    MBS=
    for _ in $(seq 50); do
        MBS=$(sed -n 's/^BOOTSTRAP=//p' "$T_TMP/mock.out")
        [ -n "$MBS" ] && break
        sleep 0.1
    done
    if [ -n "$MBS" ]; then
        K=$T_TMP/mock
        # the mock waits session.timeout.ms - 1 s for members after a change
        MOCK_OPTS=(session.timeout.ms=6000 heartbeat.interval.ms=500 auto.offset.reset=earliest)
        export KC_TEST_PROPS="session.timeout.ms=6000 heartbeat.interval.ms=500"
        kcat_produce "$MBS" mock6 0 5999 lz4 || t_fail "kcat produces to the mock cluster"
        member "$K" k1 "$MBS" mockgroup mock6 "${MOCK_OPTS[@]}"
        member "$K" k2 "$MBS" mockgroup mock6 "${MOCK_OPTS[@]}"
        wait_state "mock cluster (3 brokers): two of our consumers in one group, 3 partitions each" \
            45 "$K" k1,k2 3,3 6
        wait_count "$K" mock6 6000 60 || true
        stop_member "$K" k2
        wait_state "mock cluster: one leaves, the other takes everything" 45 "$K" k1 6 6
        kcat_produce "$MBS" mock6 6000 7999 none
        wait_count "$K" mock6 8000 60 || true
        stop_member "$K" k1
        py_check "mock cluster: 8,000 records consumed exactly once by the group" once "$K" mock6 8000
        run "mock cluster" resume "$MBS"
        run "mock cluster" reset "$MBS"
        run "mock cluster" positions "$MBS"
        # The mock keeps aborted transactions readable (it writes no markers
        # and no aborted list): compare with librdkafka's own consumer at
        # both isolation levels. Skipping aborted data is unit-tested
        # (test_client_fetch_records).
        if "$rdk" txn "$MBS" mocktx >"$T_TMP/txn.out" 2>&1; then
            for iso in read_committed read_uncommitted; do
                "$bin" consume "$MBS" mocktx x.assign=0@beginning isolation.level=$iso \
                    x.idle.ms=3000 x.timeout.ms=20000 >"$T_TMP/txn-$iso.out" 2>&1
                ours=$(awk '$3 ~ /-/ {print $3}' "$T_TMP/txn-$iso.out" | sort | tr '\n' ' ')
                theirs=$(timeout 30 kcat -C -b "$MBS" -t mocktx -p 0 -o beginning -e -q \
                    -X isolation.level=$iso -f '%k\n' | sort | tr '\n' ' ')
                t_eq "mock cluster: transactional batches read with isolation.level=$iso, as librdkafka reads them ($(echo "$ours" | wc -w) records)" \
                    "$theirs" "$ours"
            done
        else
            t_fail "a transactional producer runs against the mock cluster" "$(tail -3 "$T_TMP/txn.out")"
        fi
        unset KC_TEST_PROPS
    else
        t_fail "librdkafka's mock cluster starts" "$(head -3 "$T_TMP/mock.err")"
    fi
    kill "$mock_pid" 2>/dev/null
    wait "$mock_pid" 2>/dev/null
else
    t_skip "librdkafka's mock cluster" "librdkafka-dev missing"
fi

if broker_alive b1; then t_ok "broker still running after the consumers"; else t_fail "broker still running"; fi
broker_stop b1
t_summary
