#!/usr/bin/env bash
# bench/run.sh — `make bench`: our broker side by side with librdkafka's
# in-memory mock cluster, the same librdkafka load against both, in one run;
# then our client library (common/kafka_client.h) against librdkafka, both
# on our broker (bench/client_bench); then strait-mirror: direct produce into
# a target broker vs mirroring the same data into it from a source broker
# (bench/mirror_wait, bench/mirror_lag).
#
# Owns: building the bench binaries, starting one strait-broker (fresh data
# directory on a local disk) and one mock cluster, running bench/loadgen
# against each and bench/client_bench against our broker; for the mirror
# section two more strait-brokers (source, target) and one strait-mirror per
# row (its config and database in the work directory); printing the
# tables, and stopping exactly the processes it started (by pid). It never
# edits broker code or configuration files.
#
# Knobs (environment):
#   BENCH_PRODUCE_RECORDS  records per produce row            (5000000)
#   BENCH_REPS             repetitions of each produce row and 2 GB read; the median is shown (3)
#   BENCH_CONSUME_PER_PART records per partition in consume rows (40000: the
#                          mock keeps at most 5 MiB per partition)
#   BENCH_CONSUME_PASSES_1 / BENCH_CONSUME_PASSES_8  timed passes (50 / 10)
#   BENCH_LAT_SECONDS      seconds per latency row            (5)
#   BENCH_BIG_RECORDS      records in the big topic (20000000 x 100 B = 2 GB; 0 skips)
#   BENCH_COMMIT_CONSUMERS consumers committing offsets in the commit row     (100)
#   BENCH_COMMIT_SECONDS   seconds of the commit row                          (3)
#   BENCH_GROUP_REPS       fresh groups per rebalance row; the median is shown (3)
#   BENCH_HEARTBEAT_MS     heartbeat.interval.ms of the rebalance consumers   (100)
#   BENCH_DIR              where the data directory goes (default: /tmp unless
#                          it is tmpfs, else build/bench)
#   BENCH_KEEP=1           keep the data directory afterwards
#   BENCH_BROKER=PATH      benchmark this strait-broker binary instead of building build/strait-broker
#   BENCH_CLIENT_SECONDS   seconds of producing per client in each client-library row      (4)
#   BENCH_CLIENT_CONSUME_RECORDS records in each topic the client-library consume rows read (10000000)
#   BENCH_MIRROR_RECORDS   records per mirror throughput row, each size               (1000000)
#   BENCH_MIRROR_SIZES     record sizes of the mirror rows, bytes                       ("100 1024")
#   BENCH_MIRROR_REPS      repetitions of each mirror throughput row; the median is shown (BENCH_REPS)
#   BENCH_MIRROR_LAG_SECONDS seconds of steady load per mirror lag row                  (10)
#   BENCH_MIRROR_LAG_LOADS the mirror lag rows' loads, as fractions of the mirror rec/s ("0.5")
#   BENCH_MIRROR=PATH      benchmark this strait-mirror binary instead of building build/strait-mirror
#   BENCH_MIRROR_TARGET_PROPS  client properties for the mirror's target cluster, space-separated
#                          name=value pairs (e.g. "batch.size=262144"); default: none
#   BENCH_ONLY             comma-separated sections to run: mock (ours vs the mock cluster:
#                          produce, consume, latency, groups), client (our client library vs
#                          librdkafka on our broker), big (the 2 GB topic), mirror (direct
#                          produce vs strait-mirror between two of our brokers); default: all
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

PRODUCE_N=${BENCH_PRODUCE_RECORDS:-5000000}
REPS=${BENCH_REPS:-3}
CONS_PER_PART=${BENCH_CONSUME_PER_PART:-40000}
CONS_PASSES_1=${BENCH_CONSUME_PASSES_1:-50}
CONS_PASSES_8=${BENCH_CONSUME_PASSES_8:-10}
LAT_SECONDS=${BENCH_LAT_SECONDS:-5}
BIG_N=${BENCH_BIG_RECORDS:-20000000}
COMMIT_CONSUMERS=${BENCH_COMMIT_CONSUMERS:-100}
COMMIT_SECONDS=${BENCH_COMMIT_SECONDS:-3}
GROUP_REPS=${BENCH_GROUP_REPS:-3}
HEARTBEAT_MS=${BENCH_HEARTBEAT_MS:-100}
CB_SECONDS=${BENCH_CLIENT_SECONDS:-4}
CB_CONSUME_N=${BENCH_CLIENT_CONSUME_RECORDS:-10000000}
want() { # SECTION -> whether BENCH_ONLY selects it
    case ",${BENCH_ONLY:-all}," in *,all,* | *,"$1",*) return 0 ;; esac
    return 1
}
COMMIT_PARTS=100
REBALANCE_MEMBERS=10
REBALANCE_PARTS=20
SIZE=100
LAT_FETCH_WAIT_MS=100

BENCH_TOOLS="build/bench/loadgen build/bench/mock_cluster build/bench/client_bench build/bench/mirror_wait build/bench/mirror_lag build/strait"
if [ -n "${BENCH_MIRROR:-}" ]; then
    MIRROR=$(realpath "$BENCH_MIRROR")
else
    MIRROR=$ROOT/build/strait-mirror
    BENCH_TOOLS="$BENCH_TOOLS build/strait-mirror"
fi
if [ -n "${BENCH_BROKER:-}" ]; then
    BROKER=$(realpath "$BENCH_BROKER")
    make --no-print-directory -s -j2 $BENCH_TOOLS
else
    BROKER=$ROOT/build/strait-broker
    make --no-print-directory -s -j2 build/strait-broker $BENCH_TOOLS
fi
LOADGEN=$ROOT/build/bench/loadgen
CLIENT_BENCH=$ROOT/build/bench/client_bench
MOCK=$ROOT/build/bench/mock_cluster
MIRROR_WAIT=$ROOT/build/bench/mirror_wait
MIRROR_LAG=$ROOT/build/bench/mirror_lag

# ---- a data directory on a real disk ----
if [ -z "${BENCH_DIR:-}" ]; then
    if [ "$(stat -f -c %T /tmp)" = tmpfs ]; then
        BENCH_DIR=$ROOT/build/bench
    else
        BENCH_DIR=/tmp
    fi
fi
mkdir -p "$BENCH_DIR"
WORK=$(mktemp -d "$BENCH_DIR/strait-bench.XXXXXX")
RAW=$ROOT/build/bench/last-run.txt
mkdir -p "$(dirname "$RAW")"
: >"$RAW"

BROKER_PID=
MOCK_PID=
SRC_PID=     # mirror section: source broker, target broker, strait-mirror
TGT_PID=
MIRROR_PID=

stop_pid() { # pid name
    local pid=$1 name=$2 i
    [ -n "$pid" ] || return 0
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    echo "bench: $name (pid $pid) did not stop after SIGTERM; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
    stop_pid "$MIRROR_PID" strait-mirror
    stop_pid "$SRC_PID" "strait-broker (mirror source)"
    stop_pid "$TGT_PID" "strait-broker (mirror target)"
    stop_pid "$BROKER_PID" strait-broker
    stop_pid "$MOCK_PID" mock_cluster
    wait 2>/dev/null || true
    if [ "${BENCH_KEEP:-0}" = 1 ]; then
        echo "bench: data kept in $WORK" >&2
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- start both clusters ----
T_PROD="prod-p1-a1:8 prod-p1-aall:8 prod-p8-a1:8 prod-p8-aall:8"
MOCK_TOPICS="$T_PROD cons:8 lat-10k:8 lat-1k:8 grp-commit:$COMMIT_PARTS grp-rebalance:$REBALANCE_PARTS"

"$BROKER" --config config/broker.yaml \
    --override log.dirs="$WORK/data" \
    --override listeners=PLAINTEXT://127.0.0.1:0 \
    --override num.partitions=8 \
    --override group.initial.rebalance.delay.ms=0 >"$WORK/broker.log" 2>&1 &
BROKER_PID=$!
"$MOCK" $MOCK_TOPICS >"$WORK/mock.out" 2>"$WORK/mock.err" &
MOCK_PID=$!

OURS=
MOCKB=
for i in $(seq 1 100); do
    [ -n "$OURS" ] || OURS=$(sed -n 's/.* listening on \(127\.0\.0\.1:[0-9]*\).*/\1/p' "$WORK/broker.log" | head -1)
    [ -n "$MOCKB" ] || MOCKB=$(sed -n 's/^BOOTSTRAP=//p' "$WORK/mock.out" | head -1)
    [ -n "$OURS" ] && [ -n "$MOCKB" ] && break
    sleep 0.1
done
if [ -z "$OURS" ] || [ -z "$MOCKB" ]; then
    echo "bench: could not start the brokers" >&2
    cat "$WORK/broker.log" "$WORK/mock.err" >&2
    exit 1
fi

echo "Strait benchmark — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -r), librdkafka $(pkg-config --modversion rdkafka 2>/dev/null || echo '?')"
echo "ours: strait-broker pid $BROKER_PID at $OURS, data in $WORK (fs $(stat -f -c %T "$WORK"))"
echo "mock: rd_kafka_mock_cluster (1 broker) pid $MOCK_PID at $MOCKB"
echo "records ${SIZE} B values, no keys, no compression; MB/s = value bytes / 1e6 / s;"
echo "srv ns/rec = CPU time of the server process (all threads, schedstat) during the run / records"
# What a plain buffered write of fresh data achieves on this disk/VM: the
# ceiling for any broker that writes what it receives.
dd_line=$(dd if=/dev/zero of="$WORK/dd.probe" bs=1M count=1024 2>&1 | tail -1)
rm -f "$WORK/dd.probe"
echo "reference: dd 1 GiB buffered write into the data directory: $(echo "$dd_line" | sed 's/.*, //')"
echo

check_broker() {
    if ! kill -0 "$BROKER_PID" 2>/dev/null; then
        echo "bench: strait-broker (pid $BROKER_PID) is gone; its log ends:" >&2
        tail -20 "$WORK/broker.log" >&2
        exit 1
    fi
}

cpu_ns() { # PID -> CPU time of all its threads so far, in ns (schedstat)
    cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f", s }'
}

# run_loadgen LABEL BOOTSTRAP ARGS... -> prints the RESULT line (or FAILED),
# with srv_cpu_s= (CPU seconds the server process used during the run) and
# srv_ns_per_rec= appended.
run_loadgen() {
    local label=$1 bs=$2 out pid t0 t1 cpu recs
    shift 2
    check_broker
    if [ "$bs" = "$OURS" ]; then pid=$BROKER_PID; else pid=$MOCK_PID; fi
    t0=$(cpu_ns "$pid")
    if out=$("$LOADGEN" "$@" -b "$bs" 2>>"$WORK/loadgen.err"); then
        t1=$(cpu_ns "$pid")
        out=$(echo "$out" | grep '^RESULT' | tail -1)
        cpu=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
        recs=$(field "$out" records)
        out="$out srv_cpu_s=$cpu srv_ns_per_rec=$(awk -v c="$cpu" -v n="${recs:-0}" 'BEGIN { if (n > 0) printf "%.0f", c * 1e9 / n; else print "-" }')"
        echo "$label $out" >>"$RAW"
        echo "$out"
    else
        echo "$label FAILED $out" >>"$RAW"
        echo "bench: loadgen $* -b $bs failed (see $RAW)" >&2
        tail -5 "$WORK/loadgen.err" >&2 || true
        echo "FAILED"
    fi
}

field() { # LINE KEY
    echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# median of REPS runs by rps: prints "rps mbps server-ns-per-record"
median_run() {
    local label=$1 bs=$2 r line
    shift 2
    local rows=()
    for r in $(seq 1 "$REPS"); do
        line=$(run_loadgen "$label#$r" "$bs" "$@")
        if [ "$line" = FAILED ]; then
            echo "- - -"
            return
        fi
        rows+=("$(field "$line" rps) $(field "$line" mbps) $(field "$line" srv_ns_per_rec)")
    done
    printf '%s\n' "${rows[@]}" | sort -n -k1,1 | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}'
}

HDR_FMT="%-34s %11s %9s %11s %9s %9s %10s %10s\n"
ROW_FMT="$HDR_FMT"
fmt_int() { case "$1" in '' | -) echo - ;; *) printf "%.0f" "$1" ;; esac; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || a == "-" || b == "-" || b + 0 == 0) print "-"; else if (a / b < 0.1) printf "%.1e", a / b; else printf "%.2f", a / b }'; }
millions() { awk -v n="$1" 'BEGIN { printf "%gM", n / 1e6 }'; }

throughput_row() { # NAME OURS_RPS OURS_MBPS MOCK_RPS MOCK_MBPS OURS_NS MOCK_NS
    printf "$ROW_FMT" "$1" "$(fmt_int "$2")" "${3:--}" "$(fmt_int "$4")" "${5:--}" "$(ratio "$2" "$4")" "${6:--}" "${7:--}"
}

if want mock; then
printf "$HDR_FMT" "row" "ours rec/s" "ours MB/s" "mock rec/s" "mock MB/s" "ours/mock" "ours srv" "mock srv"
printf "$HDR_FMT" "" "" "" "" "" "" "ns/rec" "ns/rec"
printf "$HDR_FMT" "---" "----------" "---------" "----------" "---------" "---------" "--------" "--------"

# ---- produce ----
for parts in 1 8; do
    for acks in 1 all; do
        a=$acks
        [ "$acks" = all ] && a=-1
        topic=prod-p$parts-a$acks
        check_broker
        args=(produce -t "$topic" -n "$PRODUCE_N" -s "$SIZE" -p "$parts" -a "$a")
        read -r o_rps o_mbps o_ns < <(median_run "ours:$topic" "$OURS" "${args[@]}")
        read -r m_rps m_mbps m_ns < <(median_run "mock:$topic" "$MOCKB" "${args[@]}")
        throughput_row "produce ${parts}p acks=$acks ($(millions "$PRODUCE_N") rec)" "$o_rps" "$o_mbps" "$m_rps" "$m_mbps" "$o_ns" "$m_ns"
    done
done

# ---- consume (sizes that fit the mock's 5 MiB per partition) ----
CONS_TOTAL=$((CONS_PER_PART * 8))
for bs in "$OURS" "$MOCKB"; do
    run_loadgen "fill:cons" "$bs" produce -t cons -n "$CONS_TOTAL" -s "$SIZE" -p 8 -a 1 >/dev/null
done
for parts in 1 8; do
    if [ "$parts" = 1 ]; then n=$CONS_PER_PART passes=$CONS_PASSES_1; else n=$CONS_TOTAL passes=$CONS_PASSES_8; fi
    o=$(run_loadgen "ours:consume-p$parts" "$OURS" consume -t cons -n "$n" -p "$parts" -r "$passes")
    m=$(run_loadgen "mock:consume-p$parts" "$MOCKB" consume -t cons -n "$n" -p "$parts" -r "$passes")
    throughput_row "consume ${parts}p ($(millions "$n") rec x ${passes})" \
        "$(field "$o" rps)" "$(field "$o" mbps)" "$(field "$m" rps)" "$(field "$m" mbps)" \
        "$(field "$o" srv_ns_per_rec)" "$(field "$m" srv_ns_per_rec)"
done

# ---- latency ----
echo
LAT_FMT="%-34s %10s %10s %10s %10s %14s\n"
printf "$LAT_FMT" "latency (ms)" "ours p50" "ours p99" "mock p50" "mock p99" "p50 ours/mock"
printf "$LAT_FMT" "------------" "--------" "--------" "--------" "--------" "-------------"
for rate in 10000 1000; do
    topic=lat-$((rate / 1000))k
    o=$(run_loadgen "ours:$topic" "$OURS" latency -t "$topic" -R "$rate" -d "$LAT_SECONDS" -s "$SIZE" -w "$LAT_FETCH_WAIT_MS")
    m=$(run_loadgen "mock:$topic" "$MOCKB" latency -t "$topic" -R "$rate" -d "$LAT_SECONDS" -s "$SIZE" -w "$LAT_FETCH_WAIT_MS")
    for kind in e2e ack; do
        if [ $kind = e2e ]; then k50=p50_ms k99=p99_ms name="produce->consume @ $((rate / 1000))k msg/s"; else k50=ack_p50_ms k99=ack_p99_ms name="produce->ack     @ $((rate / 1000))k msg/s"; fi
        o50=$(field "$o" $k50 || true); o99=$(field "$o" $k99 || true)
        m50=$(field "$m" $k50 || true); m99=$(field "$m" $k99 || true)
        printf "$LAT_FMT" "$name" "${o50:--}" "${o99:--}" "${m50:--}" "${m99:--}" "$(ratio "${o50:--}" "${m50:--}")"
    done
done
echo "(latency: acks=1, linger.ms=0, one partition, consumer fetch.wait.max.ms=$LAT_FETCH_WAIT_MS, first second not counted."
echo " The mock answers an empty Fetch only after fetch.wait.max.ms (no wake-up on append) and returns"
echo " one message set per partition per Fetch, so at linger.ms=0 its consumer lags: its e2e figures"
echo " measure that, not a floor for ours.)"

# ---- consumer groups: offset commits and rebalances ----
echo
GRP_FMT="%-48s %19s %19s %10s\n"
printf "$GRP_FMT" "consumer groups" "ours" "mock" "ours/mock"
printf "$GRP_FMT" "---------------" "----" "----" "---------"
us_per() { # ns -> us with one decimal
    case "$1" in '' | -) echo - ;; *) awk -v n="$1" 'BEGIN { printf "%.1f", n / 1000 }' ;; esac
}
pair() { # A B -> "A / B", or - when either is missing
    if [ -n "$1" ] && [ -n "$2" ]; then echo "$1 / $2"; else echo -; fi
}
o=$(run_loadgen "ours:commit" "$OURS" commit -t grp-commit -p "$COMMIT_PARTS" -c "$COMMIT_CONSUMERS" -d "$COMMIT_SECONDS")
m=$(run_loadgen "mock:commit" "$MOCKB" commit -t grp-commit -p "$COMMIT_PARTS" -c "$COMMIT_CONSUMERS" -d "$COMMIT_SECONDS")
printf "$GRP_FMT" "offset commits/s ($COMMIT_CONSUMERS consumers, ${COMMIT_SECONDS} s)" \
    "$(fmt_int "$(field "$o" rps)")" "$(fmt_int "$(field "$m" rps)")" "$(ratio "$(field "$o" rps)" "$(field "$m" rps)")"
printf "$GRP_FMT" "  commit latency p50 / p99 (ms)" \
    "$(pair "$(field "$o" p50_ms)" "$(field "$o" p99_ms)")" "$(pair "$(field "$m" p50_ms)" "$(field "$m" p99_ms)")" \
    "$(ratio "$(field "$o" p50_ms)" "$(field "$m" p50_ms)")"
o_us=$(us_per "$(field "$o" srv_ns_per_rec)")
m_us=$(us_per "$(field "$m" srv_ns_per_rec)")
printf "$GRP_FMT" "  server CPU per commit (us)" "$o_us" "$m_us" "$(ratio "$o_us" "$m_us")"
rb_args=(rebalance -t grp-rebalance -p "$REBALANCE_PARTS" -c "$REBALANCE_MEMBERS" -r "$GROUP_REPS" -H "$HEARTBEAT_MS")
o=$(run_loadgen "ours:rebalance" "$OURS" "${rb_args[@]}")
m=$(run_loadgen "mock:rebalance" "$MOCKB" "${rb_args[@]}")
rb_cell() { # RESULT-LINE KEY -> "median [min-max]"
    local med
    med=$(field "$1" "${2}_ms")
    [ -n "$med" ] || { echo -; return; }
    printf "%.0f [%.0f-%.0f]" "$med" "$(field "$1" "${2}_min_ms")" "$(field "$1" "${2}_max_ms")"
}
printf "$GRP_FMT" "rebalance ms: $REBALANCE_MEMBERS members join an empty group" \
    "$(rb_cell "$o" join)" "$(rb_cell "$m" join)" "$(ratio "$(field "$o" join_ms)" "$(field "$m" join_ms)")"
printf "$GRP_FMT" "rebalance ms: member $((REBALANCE_MEMBERS + 1)) joins the stable group" \
    "$(rb_cell "$o" add)" "$(rb_cell "$m" add)" "$(ratio "$(field "$o" add_ms)" "$(field "$m" add_ms)")"
echo "(commits: each consumer in a group of its own, no subscription, rd_kafka_commit(async=0) of one"
echo " partition's offset in a loop on its own thread; the clients share the ${COMMIT_SECONDS} s with the server on"
echo " $(nproc) cores, so commits/s is mostly client-bound: server CPU per commit is the server's own cost."
echo " Rebalance: median [min-max] of $GROUP_REPS fresh groups, $REBALANCE_PARTS partitions, range assignor,"
echo " session.timeout.ms=6000, heartbeat.interval.ms=$HEARTBEAT_MS; timed from the first subscribe (or the new"
echo " member's) until every member holds an assignment received since and together they hold every"
echo " partition once. Ours runs with group.initial.rebalance.delay.ms=0, so a generation can complete"
echo " before the last of the $REBALANCE_MEMBERS has joined; its members then rejoin, and librdkafka allows a consumer"
echo " one JoinGroup a second (rkcg_join_intvl): those runs take ~2 s. Members learn of a rebalance from"
echo " their next Heartbeat, so a new member costs ours about one heartbeat interval. The mock waits a fixed 3 s"
echo " after the first JoinGroup (librdkafka 2.0.2: not configurable), and when membership changes it"
echo " waits session.timeout.ms - 1 s for members to rejoin instead of ending when all have; a"
echo " follower's SyncGroup that reaches it after the leader's fails, and that member's rejoin costs"
echo " another such wait.)"
fi # want mock

# ---- our client library vs librdkafka, both against our broker ----
# run_cb LABEL ARGS... -> runs bench/client_bench against our broker; prints
# its RESULT line with srv_cpu_s= and srv_ns_per_rec= appended (or FAILED).
run_cb() {
    local label=$1 out t0 t1 cpu recs
    shift
    check_broker
    t0=$(cpu_ns "$BROKER_PID")
    if out=$("$CLIENT_BENCH" "$@" -b "$OURS" 2>>"$WORK/client_bench.err"); then
        t1=$(cpu_ns "$BROKER_PID")
        out=$(echo "$out" | grep '^RESULT' | tail -1)
        cpu=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
        recs=$(field "$out" records)
        out="$out srv_cpu_s=$cpu srv_ns_per_rec=$(awk -v c="$cpu" -v n="${recs:-0}" 'BEGIN { if (n > 0) printf "%.0f", c * 1e9 / n; else print "-" }')"
        echo "$label $out" >>"$RAW"
        echo "$out"
    else
        echo "$label FAILED $out" >>"$RAW"
        echo "bench: client_bench $* -b $OURS failed (see $RAW)" >&2
        tail -5 "$WORK/client_bench.err" >&2 || true
        echo "FAILED"
    fi
}

if want client; then
    echo
    echo "client library vs librdkafka (same broker: our strait-broker)"
    CB_FMT="%-30s %11s %7s %11s %7s %9s %9s %9s %9s %9s\n"
    printf "$CB_FMT" "row" "ours rec/s" "MB/s" "rdk rec/s" "MB/s" "ours/rdk" "ours cli" "rdk cli" "ours srv" "rdk srv"
    printf "$CB_FMT" "" "" "" "" "" "" "ns/rec" "ns/rec" "ns/rec" "ns/rec"
    printf "$CB_FMT" "---" "----------" "----" "---------" "----" "--------" "--------" "--------" "--------" "--------"
    cb_row() { # NAME OURS-RESULT RDK-RESULT
        printf "$CB_FMT" "$1" "$(fmt_int "$(field "$2" rps)")" "$(field "$2" mbps)" \
            "$(fmt_int "$(field "$3" rps)")" "$(field "$3" mbps)" \
            "$(ratio "$(field "$2" rps)" "$(field "$3" rps)")" \
            "$(field "$2" cli_ns_per_rec)" "$(field "$3" cli_ns_per_rec)" \
            "$(field "$2" srv_ns_per_rec)" "$(field "$3" srv_ns_per_rec)"
    }
    CB_LINGER=5
    CB_BATCH=1048576
    CB_FETCH_WAIT=10
    CB_FIRST=
    n=0
    for parts in 8 1; do
        for acks in 1 all; do
            if [ "$acks" = all ]; then idem=1; else idem=0; fi
            for codec in none lz4; do
                topic=cb-p$parts-a$acks-$codec
                args=(-d "$CB_SECONDS" -s "$SIZE" -p "$parts" -a "$acks" -z "$codec" -l "$CB_LINGER" -B "$CB_BATCH" -i "$idem")
                # alternate which client goes first (page cache, writeback)
                if [ $((n % 2)) = 0 ]; then
                    o=$(run_cb "cb-ours:$topic" produce -c ours -t "$topic-ours" "${args[@]}")
                    r=$(run_cb "cb-rdk:$topic" produce -c rdkafka -t "$topic-rdk" "${args[@]}")
                else
                    r=$(run_cb "cb-rdk:$topic" produce -c rdkafka -t "$topic-rdk" "${args[@]}")
                    o=$(run_cb "cb-ours:$topic" produce -c ours -t "$topic-ours" "${args[@]}")
                fi
                n=$((n + 1))
                cb_row "produce ${parts}p acks=$acks $codec" "$o" "$r"
            done
        done
    done
    # consume: fixed topics (CB_CONSUME_N records, written by our producer),
    # each read in full by both clients
    for codec in none lz4; do
        for parts in 8 1; do
            topic=cb-cons-p$parts-$codec
            run_cb "cb-fill:$topic" produce -c ours -t "$topic" -n "$CB_CONSUME_N" -s "$SIZE" -p "$parts" -a 1 -z "$codec" -l "$CB_LINGER" -B "$CB_BATCH" -i 0 >/dev/null
            if [ "$codec" = lz4 ] && [ "$parts" = 8 ]; then
                lz4_ratio=$(du -scb "$WORK/data/$topic"-* 2>/dev/null | tail -1 | awk -v n="$CB_CONSUME_N" -v s="$SIZE" '{ if ($1 > 0) printf "%.1f", n * s / $1; else print "?" }')
            fi
            o=$(run_cb "cb-ours:consume-$topic" consume -c ours -t "$topic" -p "$parts" -s "$SIZE" -w "$CB_FETCH_WAIT")
            r=$(run_cb "cb-rdk:consume-$topic" consume -c rdkafka -t "$topic" -p "$parts" -s "$SIZE" -w "$CB_FETCH_WAIT")
            cb_row "consume ${parts}p $codec ($(millions "$CB_CONSUME_N") rec)" "$o" "$r"
            CB_FIRST="$CB_FIRST ${parts}p $codec $(field "$o" first_ms)/$(field "$r" first_ms);"
        done
    done
    echo "(produce: ${CB_SECONDS} s of producing per client and row, then flush; timed from the first record to the"
    echo " end of the flush; $SIZE-byte JSON-like values from a pool of 8192 (lz4: ${lz4_ratio:-?}:1 on disk), no keys, explicit"
    echo " round-robin over partitions 0..P-1 of an 8-partition topic, every record counted in a delivery callback."
    echo " Both clients: linger.ms=$CB_LINGER, batch.size=$CB_BATCH (librdkafka also batch.num.messages=1000000 and"
    echo " message.max.bytes=$CB_BATCH so bytes close a batch), 5 requests in flight per connection, 64 MiB of buffer"
    echo " (buffer.memory / queue.buffering.max.kbytes), enable.idempotence=false with acks=1 and =true with acks=all"
    echo " (set explicitly on both; ours defaults to true, librdkafka to false). Ours: one thread, owned loop,"
    echo " kc_produce + kc_producer_poll(0) every 1024 records; librdkafka: rd_kafka_produce(F_COPY) + rd_kafka_poll(0)"
    echo " every 1024 records, plus its own background threads. The first of each pair alternates row by row."
    echo " Consume: assign partitions 0..P-1 at the beginning, no group, no commits, until every record present at"
    echo " start was read (topics filled by our producer; offsets and value sizes checked); timed from the first"
    echo " record to the last. fetch.max.bytes 52428800, max.partition.fetch.bytes 1048576, fetch.min.bytes 1 (both"
    echo " clients' defaults), fetch wait ${CB_FETCH_WAIT} ms on both (with the default 500 ms a Fetch holding only partitions"
    echo " already read to the end is parked for 500 ms while the others wait behind it: a tail stall that would"
    echo " dominate these short rows), check.crcs=false on both, up to 4096 records per poll call; librdkafka uses"
    echo " rd_kafka_assign (with an unused group.id) and rd_kafka_consume_batch_queue, ours kc_consumer_assign and"
    echo " kc_consumer_poll_batch. First record after assign, ms ours/librdkafka:$CB_FIRST"
    echo " (librdkafka often sends its first Fetch only ~500 ms after assign). cli ns/rec = client process CPU (all"
    echo " threads) / records; srv ns/rec = broker CPU / records. Client and broker share $(nproc) cores.)"
fi # want client

# ---- ours alone: a 2 GB topic read from the start ----
if [ "$BIG_N" -gt 0 ] && want big; then
    echo
    BIG_FMT="%-46s %11s %9s %10s\n"
    printf "$BIG_FMT" "ours alone" "rec/s" "MB/s" "srv ns/rec"
    printf "$BIG_FMT" "----------" "-----" "----" "----------"
    big_row() { # NAME RESULT-LINE
        printf "$BIG_FMT" "$1" "$(fmt_int "$(field "$2" rps)")" "$(field "$2" mbps)" "$(field "$2" srv_ns_per_rec)"
    }
    gb=$(awk -v n="$BIG_N" -v s="$SIZE" 'BEGIN { printf "%.1f", n * s / 1e9 }')
    p=$(run_loadgen "ours:big-produce" "$OURS" produce -t big -n "$BIG_N" -s "$SIZE" -p 1 -a 1)
    big_row "produce ${gb} GB into 1p ($(millions "$BIG_N") rec)" "$p"
    evict_big() { # drop just this topic's files from the page cache (no global drop_caches)
        sync -f "$WORK/data" 2>/dev/null || sync
        for f in "$WORK"/data/big-0/*; do
            dd if="$f" iflag=nocache count=0 status=none 2>/dev/null || true
        done
        fincore -b -n -o RES "$WORK"/data/big-0/*.log 2>/dev/null |
            awk '{s += $1} END {printf "%.0f\n", s / 1e6}' >"$WORK/cached-after-evict"
    }
    # median (by rps) of REPS reads; +1: the producer's warm-up record
    big_consume() { # LABEL EVICT(0|1)
        local r line lines=()
        for r in $(seq 1 "$REPS"); do
            [ "$2" = 1 ] && evict_big
            line=$(run_loadgen "ours:$1#$r" "$OURS" consume -t big -n "$((BIG_N + 1))" -p 1)
            [ "$line" = FAILED ] || lines+=("$(field "$line" rps) $line")
        done
        [ ${#lines[@]} -gt 0 ] || return 0
        printf '%s\n' "${lines[@]}" | sort -n -k1,1 | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}' | cut -d' ' -f2-
    }
    c=$(big_consume big-consume-warm 0)
    big_row "consume ${gb} GB from offset 0 (page cache)" "$c"
    c=$(big_consume big-consume-cold 1)
    cached=$(cat "$WORK/cached-after-evict" 2>/dev/null || true)
    big_row "consume ${gb} GB from offset 0 (evicted: disk)" "$c"
    du_mb=$(du -sm "$WORK/data/big-0" | cut -f1)
    echo "(big topic: 1 partition, ${du_mb} MB on disk in 1 GiB segments; consume rows: median of $REPS reads;"
    echo " evicted = the topic's files dropped from the page cache before each read: ${cached:-?} MB left cached)"
fi

# ---- strait-mirror: direct produce into a target vs mirroring into it ----
# Two more brokers of ours (source, target; fresh data directories), the
# tools: loadgen (produce), bench/mirror_wait (times the target catching
# up), bench/mirror_lag (paced producer on the source, consumer on the
# target). One strait-mirror process per row, started and stopped here.
if want mirror; then
    MIRROR_N=${BENCH_MIRROR_RECORDS:-1000000}
    MIRROR_SIZES=${BENCH_MIRROR_SIZES:-100 1024}
    MIRROR_REPS=${BENCH_MIRROR_REPS:-$REPS}
    MIRROR_LAG_SECONDS=${BENCH_MIRROR_LAG_SECONDS:-10}
    MIRROR_LAG_LOADS=${BENCH_MIRROR_LAG_LOADS:-0.5}
    MIRROR_PARTS=8
    CLK_TCK=$(getconf CLK_TCK)

    start_side_broker() { # NAME -> sets SIDE_PID and SIDE_BS (the caller keeps the pid)
        local i
        "$BROKER" --config config/broker.yaml \
            --override log.dirs="$WORK/$1-data" \
            --override listeners=PLAINTEXT://127.0.0.1:0 \
            --override num.partitions=$MIRROR_PARTS >"$WORK/$1.log" 2>&1 &
        SIDE_PID=$!
        SIDE_BS=
        for i in $(seq 1 100); do
            SIDE_BS=$(sed -n 's/.* listening on \(127\.0\.0\.1:[0-9]*\).*/\1/p' "$WORK/$1.log" | head -1)
            [ -n "$SIDE_BS" ] && return 0
            sleep 0.1
        done
        echo "bench: could not start the $1 broker" >&2
        cat "$WORK/$1.log" >&2
        exit 1
    }
    start_side_broker mirror-source
    SRC_PID=$SIDE_PID SRC_BS=$SIDE_BS
    start_side_broker mirror-target
    TGT_PID=$SIDE_PID TGT_BS=$SIDE_BS

    proc_cpu_ns() { # PID -> user+system CPU of the process so far (exited threads included), ns
        awk -v t="$CLK_TCK" '{ printf "%.0f", ($14 + $15) * 1e9 / t }' /proc/"$1"/stat 2>/dev/null || echo 0
    }
    ns_per() { # NS_A NS_B RECORDS -> (B - A) / RECORDS, integer
        awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { if (n > 0) printf "%.0f", (b - a) / n; else print "-" }'
    }
    check_side() {
        local pid name
        for pid in "$SRC_PID:source" "$TGT_PID:target"; do
            name=${pid#*:}
            pid=${pid%%:*}
            if ! kill -0 "$pid" 2>/dev/null; then
                echo "bench: the mirror $name broker (pid $pid) is gone; its log ends:" >&2
                tail -20 "$WORK/mirror-$name.log" >&2
                exit 1
            fi
        done
    }
    flush_disk() { sync -f "$WORK" 2>/dev/null || sync; }
    # drop_topics BOOTSTRAP TOPIC... : deletes a finished row's topics (disk space, page cache)
    drop_topics() {
        local bs=$1 t
        shift
        for t in "$@"; do
            "$ROOT/build/strait" topics --bootstrap-server "$bs" --delete --topic "$t" --if-exists \
                >>"$WORK/drop_topics.log" 2>&1 || echo "bench: could not delete $t at $bs" >&2
        done
    }

    # start_mirror NAME TOPIC-REGEX -> sets MIRROR_PID; config and database in $WORK
    start_mirror() {
        local kv target_props=
        for kv in ${BENCH_MIRROR_TARGET_PROPS:-}; do
            target_props="$target_props    ${kv%%=*}: \"${kv#*=}\"
"
        done
        cat >"$WORK/$1.yaml" <<EOF
mirror:
  database: $WORK/$1.db
  metrics.port: 0
  log.interval.ms: 2000
clusters:
  source:
    bootstrap.servers: $SRC_BS
  target:
    bootstrap.servers: $TGT_BS
$target_props
flows:
  - name: $1
    source: source
    target: target
    topics: ["$2"]
    refresh.topics.interval.ms: 1000
EOF
        "$MIRROR" --config "$WORK/$1.yaml" >"$WORK/$1.log" 2>&1 &
        MIRROR_PID=$!
    }
    # stop_mirror NAME -> SIGTERM; sets MIRROR_RC to its exit status (a line to the raw file too)
    stop_mirror() {
        MIRROR_RC=0
        stop_pid "$MIRROR_PID" strait-mirror
        wait "$MIRROR_PID" 2>/dev/null || MIRROR_RC=$?
        MIRROR_PID=
        echo "$1 mirror_exit=$MIRROR_RC" >>"$RAW"
        [ "$MIRROR_RC" = 0 ] || echo "bench: strait-mirror ($1) exited with status $MIRROR_RC; log: $WORK/$1.log" >&2
    }
    vm_hwm_mb() { awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' /proc/"$1"/status 2>/dev/null || echo -; }

    # mirror_rep SIZE REP -> sets MREP to "direct_rps direct_mbps mirror_rps mirror_mbps steady_rps first_s
    #   mirror_ns tgt_direct_ns src_mirror_ns tgt_mirror_ns rss_mb" (fields - when a step failed)
    mirror_rep() {
        local size=$1 rep=$2 d m t0 c0 s0 m1 c1 s1 rss name
        local direct=direct-$size-r$rep topic=mirror-$size-r$rep
        local args=(produce -n "$MIRROR_N" -s "$size" -p "$MIRROR_PARTS" -a -1)
        check_side
        # the source's copy first (not timed here), then the direct row, then the mirror
        if ! d=$("$LOADGEN" "${args[@]}" -t "$topic" -b "$SRC_BS" 2>>"$WORK/loadgen.err"); then
            echo "mirror:fill-$size#$rep FAILED" >>"$RAW"
            MREP="- - - - - - - - - - -"
            return
        fi
        echo "mirror:fill-$size#$rep $(echo "$d" | grep '^RESULT' | tail -1)" >>"$RAW"
        flush_disk
        c0=$(proc_cpu_ns "$TGT_PID")
        if d=$("$LOADGEN" "${args[@]}" -t "$direct" -b "$TGT_BS" 2>>"$WORK/loadgen.err"); then
            d=$(echo "$d" | grep '^RESULT' | tail -1)
            echo "mirror:direct-$size#$rep $d" >>"$RAW"
        else
            echo "mirror:direct-$size#$rep FAILED" >>"$RAW"
            d=
        fi
        c1=$(proc_cpu_ns "$TGT_PID")
        local d_ns
        d_ns=$(ns_per "$c0" "$c1" "$(field "$d" records)")
        flush_disk
        name=mirror-$size-r$rep
        c0=$(proc_cpu_ns "$TGT_PID")
        s0=$(proc_cpu_ns "$SRC_PID")
        t0=$(date +%s%N)
        start_mirror "$name" "$topic"
        if m=$("$MIRROR_WAIT" -s "$SRC_BS" -b "$TGT_BS" -t "$topic" -p "$MIRROR_PARTS" -z "$t0" -T 120 2>>"$WORK/mirror_wait.err"); then
            m=$(echo "$m" | grep '^RESULT' | tail -1)
        else
            m=
        fi
        m1=$(proc_cpu_ns "$MIRROR_PID")
        c1=$(proc_cpu_ns "$TGT_PID")
        s1=$(proc_cpu_ns "$SRC_PID")
        rss=$(vm_hwm_mb "$MIRROR_PID")
        stop_mirror "$name"
        if [ -z "$m" ] || [ "$MIRROR_RC" != 0 ]; then
            echo "mirror:$name FAILED $m" >>"$RAW"
            echo "bench: $name failed (see $WORK/$name.log, $WORK/mirror_wait.err)" >&2
            m=
        else
            echo "mirror:$name $m mirror_cpu_s=$(awk -v n="$m1" 'BEGIN { printf "%.2f", n / 1e9 }') rss_mb=$rss" >>"$RAW"
        fi
        drop_topics "$SRC_BS" "$topic"
        drop_topics "$TGT_BS" "$direct" "$topic"
        local recs
        recs=$(field "$m" records)
        local v vals=()
        for v in "$(field "$d" rps)" "$(field "$d" mbps)" "$(field "$m" rps)" \
            "$(awk -v r="$(field "$m" rps)" -v s="$size" 'BEGIN { if (r != "") printf "%.2f", r * s / 1e6 }')" \
            "$(field "$m" steady_rps)" "$(field "$m" first_s)" "$(ns_per 0 "$m1" "$recs")" "$d_ns" \
            "$(ns_per "$s0" "$s1" "$recs")" "$(ns_per "$c0" "$c1" "$recs")" "$rss"; do
            vals+=("${v:--}")
        done
        MREP="${vals[*]}"
    }

    echo
    echo "strait-mirror: source strait-broker -> strait-mirror -> target strait-broker, same machine (load average $(cut -d' ' -f1-3 /proc/loadavg))"
    echo "source pid $SRC_PID at $SRC_BS, target pid $TGT_PID at $TGT_BS; $MIRROR_PARTS partitions, acks=all${BENCH_MIRROR_TARGET_PROPS:+; mirror target cluster properties: $BENCH_MIRROR_TARGET_PROPS}"
    MR_FMT="%-22s %11s %7s %11s %7s %8s %11s %7s %7s %7s %7s %7s %6s\n"
    printf "$MR_FMT" "mirror throughput" "direct" "MB/s" "mirror" "MB/s" "mirror/" "mirror" "start" "mirror" "tgt srv" "src srv" "tgt srv" "mirror"
    printf "$MR_FMT" "" "rec/s" "" "rec/s" "" "direct" "steady rec/s" "s" "ns/rec" "direct" "mirror" "mirror" "RSS MB"
    printf "$MR_FMT" "---" "------" "----" "------" "----" "-------" "------------" "-----" "------" "-------" "-------" "-------" "------"
    declare -A MIRROR_MAX=()
    for size in $MIRROR_SIZES; do
        rows=()
        for r in $(seq 1 "$MIRROR_REPS"); do
            mirror_rep "$size" "$r"
            rows+=("$MREP")
        done
        # the median by mirror rec/s
        read -r d_rps d_mbps m_rps m_mbps st_rps first m_ns dt_ns ms_ns mt_ns rss < <(
            printf '%s\n' "${rows[@]}" | sort -g -k3,3 | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}')
        MIRROR_MAX[$size]=$m_rps
        if [ "$size" -ge 1000 ]; then label="$((size / 1024)) KB"; else label="$size B"; fi
        printf "$MR_FMT" "$label x $(millions "$MIRROR_N")" "$(fmt_int "$d_rps")" "$d_mbps" "$(fmt_int "$m_rps")" "$m_mbps" \
            "$(ratio "$m_rps" "$d_rps")" "$(fmt_int "$st_rps")" "$first" "$m_ns" "$dt_ns" "$ms_ns" "$mt_ns" "$rss"
    done
    echo "(direct: loadgen (librdkafka, linger.ms=5, acks=all, no idempotence) produces N records round-robin into the"
    echo " target broker, timed from the first record to the last acknowledgement. mirror: the same N (+1 warm-up record"
    echo " per partition) are first produced into the source broker the same way, then strait-mirror is started"
    echo " (identity naming, the flow's defaults: idempotent producer, acks=all, linger.ms=5, codec kept) and"
    echo " rec/s = records / (time from starting the process until the target's end offsets equal the source's);"
    echo " start s = when the first record showed up on the target (process start, connections, topic creation,"
    echo " resume scan); steady = records / (caught up - first record seen). End offsets polled every 10 ms."
    echo " ns/rec: CPU (user+sys, /proc/PID/stat) of the mirror process over its whole life, and of the target"
    echo " broker during the direct row, of each broker while mirroring. RSS: the mirror's VmHWM. Dirty pages are"
    echo " synced before each timed step, and each repetition's topics are deleted once measured; everything"
    echo " shares $(nproc) cores.)"

    echo
    LAG_FMT="%-30s %10s %9s %9s %9s %9s %8s %9s %9s %8s %7s\n"
    printf "$LAG_FMT" "end-to-end lag (ms)" "rate" "mirror" "mirror" "mirror" "mirror" "mirror" "direct" "direct" "mirror" "mirror"
    printf "$LAG_FMT" "" "rec/s" "p50" "p99" "p99.9" "max" "drain" "p50" "p99" "CPU %" "RSS MB"
    printf "$LAG_FMT" "---" "-----" "------" "------" "------" "------" "------" "------" "------" "------" "------"
    for row in $(for s in $MIRROR_SIZES; do for f in $MIRROR_LAG_LOADS; do echo "$s:$f"; done; done); do
        size=${row%%:*} load=${row#*:}
        max=${MIRROR_MAX[$size]}
        if [ "$size" -ge 1000 ]; then label="$((size / 1024)) KB"; else label="$size B"; fi
        label="$label @ $load x mirror max"
        if [ -z "$max" ] || [ "$max" = - ]; then
            printf "$LAG_FMT" "$label" - - - - - - - - - -
            continue
        fi
        rate=$(awk -v m="$max" -v f="$load" 'BEGIN { printf "%.0f", m * f }')
        check_side
        flush_disk
        size=$size-${load//./_} # names the row's topics from here on
        name=mirror-lag-$size
        start_mirror "$name" "lag-$size"
        c0=$(proc_cpu_ns "$MIRROR_PID")
        t0=$(date +%s%N)
        l=$("$MIRROR_LAG" -s "$SRC_BS" -b "$TGT_BS" -t "lag-$size" -p "$MIRROR_PARTS" -R "$rate" \
            -d "$MIRROR_LAG_SECONDS" -S "${row%%:*}" 2>>"$WORK/mirror_lag.err") || l="FAILED $l"
        # CPU share over the mirror_lag run (includes its warm-up wait for the mirror)
        cpu=$(awk -v a="$c0" -v b="$(proc_cpu_ns "$MIRROR_PID")" -v t0="$t0" -v t1="$(date +%s%N)" \
            'BEGIN { printf "%.0f", (b - a) * 100 / (t1 - t0) }')
        rss=$(vm_hwm_mb "$MIRROR_PID")
        stop_mirror "$name"
        l=$(echo "$l" | grep -E '^(RESULT|FAILED)' | tail -1)
        echo "mirror:lag-$size $l mirror_cpu_pct=$cpu rss_mb=$rss" >>"$RAW"
        case "$l" in FAILED* | '') echo "bench: mirror lag row $size failed (see $WORK/mirror_lag.err, $WORK/$name.log)" >&2; l= ;; esac
        [ "$MIRROR_RC" = 0 ] || l=
        flush_disk
        dl=$("$MIRROR_LAG" -s "$TGT_BS" -b "$TGT_BS" -t "lag-direct-$size" -p "$MIRROR_PARTS" -R "$rate" \
            -d "$MIRROR_LAG_SECONDS" -S "${row%%:*}" 2>>"$WORK/mirror_lag.err") || dl="FAILED $dl"
        dl=$(echo "$dl" | grep -E '^(RESULT|FAILED)' | tail -1)
        echo "mirror:lag-direct-$size $dl" >>"$RAW"
        case "$dl" in FAILED* | '') echo "bench: direct lag row $size failed (see $WORK/mirror_lag.err)" >&2; dl= ;; esac
        ach=$(field "$l" achieved_rps)
        lag_cells=()
        for v in "$(field "$l" p50_ms)" "$(field "$l" p99_ms)" "$(field "$l" p999_ms)" "$(field "$l" max_ms)" "$(field "$l" drain_ms)" \
            "$(field "$dl" p50_ms)" "$(field "$dl" p99_ms)" "$cpu" "$rss"; do
            lag_cells+=("${v:--}")
        done
        printf "$LAG_FMT" "$label" "$(fmt_int "${ach:-$rate}")" "${lag_cells[@]}"
    done
    echo "(a paced producer (librdkafka, acks=all, linger.ms=0) writes into the source at that fraction of the mirror"
    echo " rec/s above (the median, start-up included), round-robin over $MIRROR_PARTS partitions, for ${MIRROR_LAG_SECONDS} s; a consumer"
    echo " (fetch.wait.max.ms=100) reads the target; lag = receive time - send time carried in the value (one"
    echo " process, CLOCK_MONOTONIC); the first second is not counted. Unlike the throughput rows, producer and"
    echo " consumer run at the same time as the mirror, on the same $(nproc) cores. direct: the same load produced into"
    echo " and consumed from the target broker alone (the floor the mirror adds to). drain: from the last send to"
    echo " the last record's arrival on the target (a backlog shows here). CPU %: the mirror process's CPU time /"
    echo " wall time of the row.)"
    check_side
    echo "mirror source broker peak RSS (VmHWM): $(vm_hwm_mb "$SRC_PID") MB, target: $(vm_hwm_mb "$TGT_PID") MB; load average now $(cut -d' ' -f1-3 /proc/loadavg)"
fi # want mirror

check_broker
echo
echo "strait-broker peak RSS (VmHWM): $(awk '/VmHWM/ {print $2, $3}' /proc/$BROKER_PID/status)"
echo "mock_cluster  peak RSS (VmHWM): $(awk '/VmHWM/ {print $2, $3}' /proc/$MOCK_PID/status)"
echo "raw results: $RAW"
if grep -q ' FAILED' "$RAW"; then
    echo "bench: some rows failed (marked -)" >&2
    exit 1
fi
