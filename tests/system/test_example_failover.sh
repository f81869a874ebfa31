#!/usr/bin/env bash
# test_example_failover.sh — runs the failover/failback walkthrough
# (examples/failover/run.sh) on free loopback ports with its data in a
# temporary directory, under a deadline.
#
# The walkthrough checks its own key facts and exits non-zero at the first
# that fails: each group's records read on east then on west are exactly
# west's log (no gap, no repeat) after `strait-mirror failover --execute`
# with east down; on failback the reverse flow brings back exactly the
# records written on west during the outage (nothing mirrored earlier) and
# nothing loops back to west; the groups moved back to east continue exactly
# after what they read on west. Each of its "ok - " lines counts here as a
# pass; then this suite checks the script exited 0 having passed all of them
# and left no process and no listening port behind.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/interop/lib/broker.sh
. "$HERE/../interop/lib/broker.sh"

t_init example-failover
if ! make -C "$STRAIT_ROOT" --no-print-directory -s -j2 build/strait-mirror build/strait \
    >"$T_TMP/make2.log" 2>&1; then
    t_fail "the mirror and the tools build" "$(tail -5 "$T_TMP/make2.log")"
    t_summary
fi

read -r EAST_PORT WEST_PORT METRICS_PORT < <("$STRAIT_PYTHON" -c '
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])')
DATA=$T_TMP/data
OUT=$T_TMP/run.out
PIDS_FILE=$DATA/failover.pids

kill_leftovers() {
    local name pid
    [ -f "$PIDS_FILE" ] || return 0
    while read -r name pid; do
        case $(ps -o comm= -p "$pid" 2>/dev/null) in
        strait-broker | strait-mirror | setsid) kill -9 "$pid" 2>/dev/null ;;
        esac
    done <"$PIDS_FILE"
}
trap 'kill_leftovers; t_cleanup' EXIT

start=$SECONDS
(
    cd "$T_TMP" &&
        STRAIT_EAST_PORT=$EAST_PORT STRAIT_WEST_PORT=$WEST_PORT STRAIT_METRICS_PORT=$METRICS_PORT \
            STRAIT_DATA_DIR=$DATA exec timeout -k 10 240 "$STRAIT_ROOT/examples/failover/run.sh"
) >"$OUT" 2>&1
rc=$?
echo "# examples/failover/run.sh: exit status $rc after $((SECONDS - start)) s"
t_absorb "$OUT"
grep '^ok - ' "$OUT"
if [ "$rc" = 0 ]; then
    t_ok "examples/failover/run.sh exits 0"
else
    t_fail "examples/failover/run.sh exits 0" "status $rc; the end of its output:
$(tail -40 "$OUT")
the end of the mirror's logs:
$(tail -15 "$DATA"/logs/mirror*.log 2>/dev/null)"
fi
# every check of the walkthrough ran (a check that stopped it is a failure above)
t_eq "all 15 checks of the walkthrough passed" 15 "$(grep -c '^ok - ' "$OUT")"
t_check "it used the free ports it was given, not its defaults" \
    grep -q "bootstrap.servers: 127.0.0.1:$EAST_PORT" "$DATA/mirror/failback.yaml"

left=
if [ -f "$PIDS_FILE" ]; then
    while read -r name pid; do
        kill -0 "$pid" 2>/dev/null && left="$left $name($pid)"
    done <"$PIDS_FILE"
    t_eq "every process it started is gone" "" "$left"
    t_eq "it started east twice, west, and the mirror before and after the outage" \
        "east east mirror mirror_failback west" "$(awk '{ print $1 }' "$PIDS_FILE" | sort | tr '\n' ' ' | sed 's/ $//')"
else
    t_fail "it lists the processes it started in $PIDS_FILE"
fi
open_ports=
for port in "$EAST_PORT" "$WEST_PORT" "$METRICS_PORT"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then open_ports="$open_ports $port"; fi
done
t_eq "nothing listens on its ports any more" "" "$open_ports"
t_summary
