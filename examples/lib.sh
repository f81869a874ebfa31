# shellcheck shell=bash
# examples/lib.sh — sourced by the example scripts (examples/two_sites.sh and
# examples/*/run.sh).
#
# Owns the processes an example starts: each strait-broker, strait-mirror or
# client runs in the background in its own session (so a Ctrl-C in the
# terminal reaches only the script, which then stops everything in order),
# logs to $EX_DATA/logs/<name>.log, and is remembered by pid. ex_stop_all
# (run by the EXIT trap) stops them newest first: SIGTERM, at most 30 s,
# then SIGKILL; nothing is ever stopped by name. Also small helpers to
# produce, read and compare records with the `strait` tools.
#
#   ex_init NAME DATA_DIR          checks the binaries, sets the traps; EX_DATA is
#                                  DATA_DIR (created) as an absolute path; every
#                                  process started is listed in EX_DATA/NAME.pids
#   ex_fresh SUBDIR...             deletes these directories of EX_DATA (a new run)
#   ex_step TEXT / ex_ok TEXT      prints a step title / "ok - TEXT"
#   ex_check TEXT CMD...           ex_ok TEXT when CMD succeeds, else ex_fail TEXT
#   ex_same TEXT FILE1 FILE2       ex_ok when the files are equal, else shows the
#                                  difference and ex_fail
#   ex_broker CLUSTER PORT [key=value ...]
#                                  starts strait-broker for CLUSTER (data in
#                                  $EX_DATA/CLUSTER) and waits until it listens
#   ex_start NAME CMD...           starts CMD in the background, logging to NAME.log
#   ex_stop NAME                   stops one process (SIGTERM, then SIGKILL)
#   ex_stop_all                    stops every running process, newest first
#   ex_alive NAME                  whether NAME still runs
#   ex_render_config IN OUT FROM=TO ...
#                                  copies a mirror config, replacing each exact
#                                  string FROM by TO (each must occur)
#   ex_wait_until SECONDS CMD...   polls CMD every 0.5 s; non-zero after SECONDS
#   ex_produce PORT TOPIC PREFIX FIRST COUNT
#                                  produces values PREFIX-<n> (n = FIRST..FIRST+COUNT-1,
#                                  5 digits) keyed customer-<n mod 7>
#   ex_end_total PORT TOPIC        the sum of the topic's end offsets
#   ex_read_all PORT TOPIC         every record: "partition offset key value" lines,
#                                  in partition then offset order
#   ex_consume_group PORT TOPIC GROUP COUNT
#                                  reads COUNT records in GROUP (committing them):
#                                  "partition offset key value" lines, read order
#   ex_group_lag PORT GROUP        the group's total lag (records left to read)
#   ex_by_partition FILE           "partition value" lines, stably sorted by partition:
#                                  two files compare equal when every partition
#                                  holds the same values in the same order
#   ex_group_offsets PORT GROUP    its committed offsets: "topic partition offset" lines
#   ex_caught_up CONFIG ROWS       whether `strait-mirror status --live` shows at least
#                                  ROWS partitions, each replicated up to the source's end
#   ex_metrics PORT                the mirror's /metrics page
#   ex_hold                        with STRAIT_KEEP_RUNNING=1, waits for Ctrl-C
#   ex_fail MESSAGE                prints "FAILED: MESSAGE" and exits 1
#
# The scripts that source this file set -u and call ex_init first.

EX_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
EX_BIN=${STRAIT_BIN_DIR:-$EX_ROOT/build}
EX_BROKER=$EX_BIN/strait-broker
EX_MIRROR=$EX_BIN/strait-mirror
EX_TOOL=$EX_BIN/strait
EX_BROKER_CONFIG=${STRAIT_BROKER_CONFIG:-$EX_ROOT/config/broker.yaml}
EX_NAME=
EX_DATA=
EX_STOPPING=0
declare -A EX_PID=()
declare -a EX_ORDER=()

ex_fail() {
    echo "FAILED: $*" >&2
    exit 1
}

ex_step() {
    echo
    echo "== $*"
}

ex_ok() { echo "ok - $*"; }

ex_check() {
    local text=$1
    shift
    if "$@"; then ex_ok "$text"; else ex_fail "$text"; fi
}

ex_same() {
    if cmp -s "$2" "$3"; then
        ex_ok "$1"
    else
        diff "$2" "$3" | head -20 >&2
        ex_fail "$1 (differences above: < $2, > $3)"
    fi
}

ex_fresh() {
    local d
    for d in "$@"; do
        case $d in "" | */* | . | ..) ex_fail "ex_fresh: bad directory name '$d'" ;; esac
        rm -rf "${EX_DATA:?}/$d"
    done
}

# ex_init NAME DATA_DIR
ex_init() {
    EX_NAME=$1
    local bin
    for bin in "$EX_BROKER" "$EX_MIRROR" "$EX_TOOL"; do
        [ -x "$bin" ] || ex_fail "$bin is missing: build it first (make -j2 build/strait-broker build/strait-mirror build/strait build/examples/trucks_producer)"
    done
    mkdir -p "$2" || ex_fail "cannot create $2"
    EX_DATA=$(cd "$2" && pwd)
    : >"$EX_DATA/$EX_NAME.pids"
    trap ex_stop_all EXIT
    trap 'ex_on_signal INT' INT
    trap 'ex_on_signal TERM' TERM
    trap 'ex_on_signal HUP' HUP
}

# A signal while the script runs: stop everything; the caller's
# EX_ON_SIGNAL_STATUS (default 130) is the exit status.
ex_on_signal() {
    [ "$EX_STOPPING" = 1 ] && return
    echo
    echo "$EX_NAME: got SIG$1, stopping everything"
    ex_stop_all
    exit "${EX_ON_SIGNAL_STATUS:-130}"
}

# Runs in the background subshell of ex_start: replaces it with CMD, in a
# new session when setsid exists (setsid calls setsid(2) in place, without
# forking, as a background child of a script is no process group leader),
# so that $! is CMD's own pid.
ex_spawn() {
    if command -v setsid >/dev/null 2>&1; then
        exec setsid "$@"
    fi
    exec "$@"
}

# ex_start NAME CMD...
ex_start() {
    local name=$1
    shift
    mkdir -p "$EX_DATA/logs"
    ex_spawn "$@" >>"$EX_DATA/logs/$name.log" 2>&1 </dev/null &
    EX_PID[$name]=$!
    EX_ORDER+=("$name")
    echo "$name $!" >>"$EX_DATA/$EX_NAME.pids"
}

ex_alive() {
    local pid=${EX_PID[$1]:-}
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
        [ "$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" != Z ]
}

# ex_stop NAME: SIGTERM, wait at most 30 s, then SIGKILL; reaps it.
ex_stop() {
    local name=$1 pid=${EX_PID[$1]:-} i
    [ -z "$pid" ] && return 0
    if ex_alive "$name"; then
        kill -TERM "$pid" 2>/dev/null
        for ((i = 0; i < 300; i++)); do
            ex_alive "$name" || break
            sleep 0.1
        done
        if ex_alive "$name"; then
            echo "$EX_NAME: $name (pid $pid) did not stop within 30 s of SIGTERM: killing it" >&2
            kill -KILL "$pid" 2>/dev/null
        fi
    fi
    wait "$pid" 2>/dev/null
    EX_PID[$name]=
}

ex_stop_all() {
    EX_STOPPING=1
    local i
    for ((i = ${#EX_ORDER[@]} - 1; i >= 0; i--)); do
        ex_stop "${EX_ORDER[$i]}"
    done
    EX_ORDER=()
    EX_STOPPING=0
}

# ex_broker CLUSTER PORT [key=value ...]: one single-node cluster.
ex_broker() {
    local name=$1 port=$2 i
    shift 2
    local -a overrides=()
    for i in "$@"; do overrides+=(--override "$i"); done
    mkdir -p "$EX_DATA/$name"
    local log=$EX_DATA/logs/$name.log
    mkdir -p "$EX_DATA/logs"
    : >"$log"
    ex_start "$name" "$EX_BROKER" --config "$EX_BROKER_CONFIG" \
        --override "listeners=PLAINTEXT://127.0.0.1:$port" \
        --override "log.dirs=$EX_DATA/$name" \
        --override "node.id=0" "${overrides[@]}"
    for ((i = 0; i < 150; i++)); do
        grep -q "listening on 127.0.0.1:$port" "$log" && return 0
        if ! ex_alive "$name"; then
            sed 's/^/    /' "$log" >&2
            ex_fail "broker $name exited during start-up (is port $port free?)"
        fi
        sleep 0.1
    done
    sed 's/^/    /' "$log" >&2
    ex_fail "broker $name did not listen on 127.0.0.1:$port within 15 s"
}

# ex_render_config IN OUT FROM=TO ...
ex_render_config() {
    local in=$1 out=$2 pair from to text
    shift 2
    text=$(cat "$in") || ex_fail "cannot read $in"
    for pair in "$@"; do
        from=${pair%%=*}
        to=${pair#*=}
        case $text in
        *"$from"*) text=${text//"$from"/"$to"} ;;
        *) ex_fail "$in has no '$from' to replace" ;;
        esac
    done
    mkdir -p "$(dirname "$out")"
    printf '%s\n' "$text" >"$out"
}

# ex_wait_until SECONDS CMD...
ex_wait_until() {
    local deadline=$((SECONDS + $1))
    shift
    while ((SECONDS < deadline)); do
        "$@" && return 0
        sleep 0.5
    done
    "$@"
}

ex_produce() {
    local port=$1 topic=$2 prefix=$3 first=$4 count=$5 n
    for ((n = first; n < first + count; n++)); do
        printf 'customer-%d:%s-%05d\n' $((n % 7)) "$prefix" "$n"
    done | "$EX_TOOL" console-producer --bootstrap-server "127.0.0.1:$port" --topic "$topic" \
        --property parse.key=true --property key.separator=: \
        --producer-property linger.ms=5 >/dev/null ||
        ex_fail "producing $count records to $topic on 127.0.0.1:$port"
}

ex_end_total() {
    "$EX_TOOL" get-offsets --bootstrap-server "127.0.0.1:$1" --topic "$2" 2>/dev/null |
        awk -F: '{ n += $NF } END { print n + 0 }'
}

# "Partition:P<TAB>Offset:O<TAB>key<TAB>value" -> "P O key value"
ex_plain() {
    sed -E 's/^Partition:([0-9]+)\tOffset:([0-9]+)\t/\1 \2 /; s/\t/ /g'
}

ex_read_all() {
    local port=$1 topic=$2 total
    total=$(ex_end_total "$port" "$topic")
    [ "$total" -gt 0 ] || return 0
    "$EX_TOOL" console-consumer --bootstrap-server "127.0.0.1:$port" --topic "$topic" \
        --from-beginning --max-messages "$total" --timeout-ms 15000 \
        --property print.partition=true --property print.offset=true \
        --property print.key=true 2>/dev/null | ex_plain | sort -s -k1,1n -k2,2n
}

ex_consume_group() {
    local port=$1 topic=$2 group=$3 count=$4
    [ "$count" -gt 0 ] || return 0
    "$EX_TOOL" console-consumer --bootstrap-server "127.0.0.1:$port" --topic "$topic" \
        --group "$group" --from-beginning --max-messages "$count" --timeout-ms 15000 \
        --property print.partition=true --property print.offset=true \
        --property print.key=true 2>/dev/null | ex_plain
}

ex_group_lag() {
    "$EX_TOOL" consumer-groups --bootstrap-server "127.0.0.1:$1" --describe --group "$2" \
        2>/dev/null | awk '$1 == g && $6 ~ /^[0-9]+$/ { n += $6 } END { print n + 0 }' g="$2"
}

# The group's committed offsets: "topic partition offset" lines.
ex_group_offsets() {
    "$EX_TOOL" consumer-groups --bootstrap-server "127.0.0.1:$1" --describe --group "$2" \
        2>/dev/null | awk '$1 == g { print $2, $3, $4 }' g="$2" | sort
}

ex_by_partition() {
    awk '{ print $1, $4 }' "$@" | sort -s -k1,1n
}

# ex_caught_up CONFIG ROWS: the mirror's status (sources' ends read live)
# has at least ROWS partitions, each replicated up to its source's end.
ex_caught_up() {
    "$EX_MIRROR" status --config "$1" --live --timeout-ms 3000 2>/dev/null |
        awk 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
             { rows++; if ($(col["REPLICATED-OFFSET"]) != $(col["SOURCE-END"])) behind++ }
             END { exit !(rows >= want && behind == 0) }' want="$2"
}

# ex_metrics PORT: the mirror's /metrics page (plain bash, no curl needed).
ex_metrics() {
    (
        exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        printf 'GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
        sed '1,/^\r*$/d' <&3
    ) 2>/dev/null
}

# ex_hold: with STRAIT_KEEP_RUNNING=1, keeps everything running until Ctrl-C.
ex_hold() {
    [ "${STRAIT_KEEP_RUNNING:-0}" = 1 ] || return 0
    EX_ON_SIGNAL_STATUS=0
    echo
    echo "STRAIT_KEEP_RUNNING=1: everything keeps running; Ctrl-C stops it."
    while :; do
        sleep 1 &
        wait $!
    done
}
