# shellcheck shell=bash
# tests/interop/lib/broker.sh — sourced by the bash interop and system suites.
#
# Starts and stops strait-broker processes on loopback ports with fresh data
# directories, keeps pass/fail counts, and prints the closing summary line that
# tests/run.sh reads ("N passed, M failed[, K skipped]"). Every process started
# here is stopped by pid on exit; nothing here ever kills by name.
#
#   source "$(dirname "$0")/../interop/lib/broker.sh"   (or ../lib from interop/)
#   t_init NAME                       temp dir in $T_TMP, EXIT trap, counters
#   broker_start B [--port P] [--dir D] [key=value ...]
#                                     start broker B; sets B_PORT[B], B_PID[B],
#                                     B_DIR[B], B_LOG[B]; returns non-zero if it
#                                     did not come up within 15 s
#   broker_stop B                     SIGTERM, wait (<= 30 s); exit status in BROKER_RC
#   broker_kill9 B                    SIGKILL and reap
#   bootstrap B                       prints 127.0.0.1:PORT
#   t_ok / t_fail / t_skip DESC [DETAIL], t_check DESC CMD..., t_eq DESC WANT GOT
#   t_absorb FILE                     count ok/FAIL/skip lines a child printed
#   t_summary                         print the summary line, exit 1 on failure
#
# Per-test lines are "ok - DESC", "FAIL - DESC: DETAIL" and "skip - DESC: WHY".

STRAIT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
# STRAIT_BROKER_BIN=path runs the suites against that binary (no make)
STRAIT_BROKER_BIN_GIVEN=${STRAIT_BROKER_BIN:-}
STRAIT_BROKER_BIN=${STRAIT_BROKER_BIN:-$STRAIT_ROOT/build/strait-broker}
STRAIT_BROKER_CONFIG=${STRAIT_BROKER_CONFIG:-$STRAIT_ROOT/config/broker.yaml}
STRAIT_PYTHON=${STRAIT_PYTHON:-/usr/bin/python3}

declare -A B_PID=() B_PORT=() B_DIR=() B_LOG=() B_STARTS=()
declare -a T_CHILD_PIDS=()
T_PASSED=0
T_FAILED=0
T_SKIPPED=0
T_TMP=
T_START_SECONDS=$SECONDS

t_cleanup() {
    local b pid
    for b in "${!B_PID[@]}"; do
        pid=${B_PID[$b]}
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
            kill -9 "$pid" 2>/dev/null
            wait "$pid" 2>/dev/null
        fi
    done
    for pid in "${T_CHILD_PIDS[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -9 "$pid" 2>/dev/null
            wait "$pid" 2>/dev/null
        fi
    done
    if [ -n "$T_TMP" ] && [ -d "$T_TMP" ]; then
        if [ -n "${STRAIT_KEEP_TMP:-}" ]; then
            echo "kept $T_TMP" >&2
        else
            rm -rf "$T_TMP"
        fi
    fi
}

# t_init NAME: temp dir, EXIT trap, and the broker binary (built when missing).
t_init() {
    T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/strait-$1.XXXXXX")
    trap t_cleanup EXIT
    trap 'exit 130' INT TERM
    # make test builds only the unit tests: bring the broker up to date here
    if [ -z "${STRAIT_BROKER_BIN_GIVEN:-}" ] &&
        ! make -C "$STRAIT_ROOT" --no-print-directory -s build/strait-broker >"$T_TMP/make.log" 2>&1; then
        t_fail "the broker builds (make build/strait-broker)" "$(tail -5 "$T_TMP/make.log")"
        t_summary
    fi
    if [ ! -x "$STRAIT_BROKER_BIN" ]; then
        t_fail "broker binary $STRAIT_BROKER_BIN exists"
        t_summary
    fi
}

t_ok() { T_PASSED=$((T_PASSED + 1)); echo "ok - $1"; }
t_fail() {
    T_FAILED=$((T_FAILED + 1))
    if [ -n "${2:-}" ]; then echo "FAIL - $1: $2"; else echo "FAIL - $1"; fi
}
t_skip() { T_SKIPPED=$((T_SKIPPED + 1)); echo "skip - $1: ${2:-}"; }

# t_check DESC CMD...: passes when CMD exits 0.
t_check() {
    local desc=$1
    shift
    if "$@"; then t_ok "$desc"; else t_fail "$desc" "command failed: $*"; fi
}

# t_eq DESC WANT GOT
t_eq() {
    if [ "$2" = "$3" ]; then
        t_ok "$1"
    else
        t_fail "$1" "expected [$(printf '%s' "$2" | head -c 300)] got [$(printf '%s' "$3" | head -c 300)]"
    fi
}

# t_absorb FILE: adds the ok/FAIL/skip lines a child suite printed to the counts.
t_absorb() {
    local p f s
    p=$(grep -c '^ok - ' "$1")
    f=$(grep -c '^FAIL - ' "$1")
    s=$(grep -c '^skip - ' "$1")
    T_PASSED=$((T_PASSED + p))
    T_FAILED=$((T_FAILED + f))
    T_SKIPPED=$((T_SKIPPED + s))
}

t_summary() {
    echo "# $(basename "$0"): $((SECONDS - T_START_SECONDS)) s"
    if [ "$T_SKIPPED" -gt 0 ]; then
        echo "$T_PASSED passed, $T_FAILED failed, $T_SKIPPED skipped"
    else
        echo "$T_PASSED passed, $T_FAILED failed"
    fi
    [ "$T_FAILED" -eq 0 ] && exit 0
    exit 1
}

# broker_start B [--port P] [--dir D] [key=value ...]
# Without --port the broker binds port 0 and the port is read from its log.
# Without --dir it reuses B's previous data dir, else makes a fresh one.
broker_start() {
    local b=$1
    shift
    local port=0 dir=${B_DIR[$b]:-}
    local -a overrides=()
    while [ $# -gt 0 ]; do
        case $1 in
        --port) port=$2; shift 2 ;;
        --dir) dir=$2; shift 2 ;;
        *) overrides+=(--override "$1"); shift ;;
        esac
    done
    if [ -z "$dir" ]; then
        dir=$T_TMP/$b-data
        mkdir -p "$dir"
    fi
    local n=$((${B_STARTS[$b]:-0} + 1))
    B_STARTS[$b]=$n
    local log=$T_TMP/$b.$n.log
    B_DIR[$b]=$dir
    B_LOG[$b]=$log
    "$STRAIT_BROKER_BIN" --config "$STRAIT_BROKER_CONFIG" \
        --override "log.dirs=$dir" \
        --override "listeners=PLAINTEXT://127.0.0.1:$port" \
        "${overrides[@]}" >"$log" 2>&1 &
    local pid=$!
    B_PID[$b]=$pid
    local i got
    for ((i = 0; i < 150; i++)); do
        got=$(grep -oE 'listening on 127\.0\.0\.1:[0-9]+' "$log" | head -1 | sed 's/.*://')
        if [ -n "$got" ]; then
            B_PORT[$b]=$got
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid" 2>/dev/null
            echo "broker $b exited during start-up; its log:" >&2
            sed 's/^/    /' "$log" >&2
            B_PID[$b]=
            return 1
        fi
        sleep 0.1
    done
    echo "broker $b did not log 'listening on' within 15 s; its log:" >&2
    sed 's/^/    /' "$log" >&2
    return 1
}

bootstrap() { echo "127.0.0.1:${B_PORT[$1]}"; }

broker_alive() { [ -n "${B_PID[$1]:-}" ] && kill -0 "${B_PID[$1]}" 2>/dev/null; }

# broker_stop B: SIGTERM and wait (at most 30 s, then SIGKILL). Sets
# BROKER_RC to the exit status (137 when it had to be killed, 255 when it was
# not running). Call it directly, never in $(...): only this shell can reap it.
broker_stop() {
    local b=$1 pid=${B_PID[$1]:-} i
    BROKER_RC=255
    [ -z "$pid" ] && return 0
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        for ((i = 0; i < 300; i++)); do
            [ "$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" = Z ] && break
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null && [ "$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" != Z ]; then
            echo "broker $b did not stop within 30 s of SIGTERM; killing it" >&2
            kill -9 "$pid" 2>/dev/null
        fi
    fi
    wait "$pid" 2>/dev/null
    BROKER_RC=$?
    B_PID[$b]=
    return 0
}

broker_kill9() {
    local pid=${B_PID[$1]:-}
    if [ -n "$pid" ]; then
        kill -9 "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    fi
    B_PID[$1]=
}

# t_bg CMD...: runs CMD in the background, remembered for the EXIT trap; sets T_BG_PID.
t_bg() {
    "$@" &
    T_BG_PID=$!
    T_CHILD_PIDS+=("$T_BG_PID")
}
