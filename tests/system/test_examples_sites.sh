#!/usr/bin/env bash
# test_examples_sites.sh — runs the mirroring examples examples/active_passive,
# examples/active_active and examples/ring (run.sh each) on free loopback
# ports with their data in a temporary directory, each under a deadline.
#
# Each example checks its own key facts and exits non-zero at the first that
# fails (active/passive: west is an exact copy with provenance headers, topic
# configs and group offsets; active/active: each side ends with both sides'
# records exactly once, in order, and a group moved from east to west skips
# nothing; ring: every region ends with every record exactly once and the
# origin header survives two hops). Each "ok - " line of an example counts
# here as a pass; then this suite checks it exited 0 and left no process and
# no listening port behind. (The failover walkthrough has its own suite,
# test_example_failover.sh; `make run`'s script, test_make_run.sh.)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/interop/lib/broker.sh
. "$HERE/../interop/lib/broker.sh"

t_init examples-sites
if ! make -C "$STRAIT_ROOT" --no-print-directory -s -j2 build/strait-mirror build/strait \
    >"$T_TMP/make2.log" 2>&1; then
    t_fail "the mirror and the tools build" "$(tail -5 "$T_TMP/make2.log")"
    t_summary
fi

free_ports() { # N
    "$STRAIT_PYTHON" -c '
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])' "$1"
}

PIDS_FILES=()
kill_leftovers() {
    local f name pid
    for f in "${PIDS_FILES[@]}"; do
        [ -f "$f" ] || continue
        while read -r name pid; do
            case $(ps -o comm= -p "$pid" 2>/dev/null) in
            strait-broker | strait-mirror | setsid) kill -9 "$pid" 2>/dev/null ;;
            esac
        done <"$f"
    done
}
trap 'kill_leftovers; t_cleanup' EXIT

# run_example NAME MIN_CHECKS ENV... : runs examples/NAME/run.sh with ENV.
run_example() {
    local name=$1 min=$2 data=$T_TMP/$1 out=$T_TMP/$1.out rc start
    shift 2
    PIDS_FILES+=("$data/$name.pids")
    start=$SECONDS
    (cd "$T_TMP" && env "$@" STRAIT_DATA_DIR="$data" timeout -k 10 180 "$STRAIT_ROOT/examples/$name/run.sh") \
        >"$out" 2>&1
    rc=$?
    echo "# examples/$name/run.sh: exit status $rc after $((SECONDS - start)) s"
    t_absorb "$out"
    grep '^ok - ' "$out" | sed "s/^ok - /ok - $name: /"
    if [ "$rc" = 0 ]; then
        t_ok "examples/$name/run.sh exits 0"
    else
        t_fail "examples/$name/run.sh exits 0" "status $rc; the end of its output:
$(tail -30 "$out")
the end of the mirror's log:
$(tail -15 "$data/logs/mirror.log" 2>/dev/null)"
    fi
    local n
    n=$(grep -c '^ok - ' "$out")
    if [ "$n" -ge "$min" ]; then t_ok "$name: all its $n checks ran"; else t_fail "$name: all its checks ran" "$n of at least $min"; fi
    local left='' pname pid
    while read -r pname pid; do
        kill -0 "$pid" 2>/dev/null && left="$left $pname($pid)"
    done <"$data/$name.pids"
    t_eq "$name: every process it started is gone" "" "$left"
    local e open_ports=''
    for e in "$@"; do
        case $e in
        STRAIT_*_PORT=*)
            if (exec 3<>"/dev/tcp/127.0.0.1/${e#*=}") 2>/dev/null; then open_ports="$open_ports ${e#*=}"; fi
            ;;
        esac
    done
    t_eq "$name: nothing listens on its ports any more" "" "$open_ports"
}

read -r p1 p2 p3 < <(free_ports 3)
run_example active_passive 7 STRAIT_EAST_PORT="$p1" STRAIT_WEST_PORT="$p2" STRAIT_METRICS_PORT="$p3"
read -r p1 p2 p3 < <(free_ports 3)
run_example active_active 6 STRAIT_EAST_PORT="$p1" STRAIT_WEST_PORT="$p2" STRAIT_METRICS_PORT="$p3"
read -r p1 p2 p3 p4 < <(free_ports 4)
run_example ring 11 STRAIT_AMER_PORT="$p1" STRAIT_EMEA_PORT="$p2" STRAIT_APAC_PORT="$p3" \
    STRAIT_METRICS_PORT="$p4"
t_summary
