#!/usr/bin/env bash
# test_make_run.sh — the two-site example that `make run` starts
# (examples/two_sites.sh), run in a temporary working directory on free
# loopback ports (STRAIT_EAST_PORT, STRAIT_WEST_PORT, STRAIT_METRICS_PORT),
# under a deadline.
#
# Checks: both brokers, the mirror and the trucks producer start and the
# script prints where to look; the mirror's config is config/mirror.yaml with
# the test's ports and data directory; trucks_gps records written to east
# appear on west with the mirror's provenance headers; the printed status
# command and metrics endpoint answer; SIGINT (Ctrl-C) makes the script stop
# every process it started (each broker shuts down cleanly, the mirror
# stops) and exit 0, leaving no process and no listening port behind.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/interop/lib/broker.sh
. "$HERE/../interop/lib/broker.sh"

t_init make-run
if ! make -C "$STRAIT_ROOT" --no-print-directory -s -j2 build/strait-mirror build/strait \
    build/examples/trucks_producer >"$T_TMP/make2.log" 2>&1; then
    t_fail "the mirror, the tools and the trucks producer build" "$(tail -5 "$T_TMP/make2.log")"
    t_summary
fi
BIN=$STRAIT_ROOT/build

read -r EAST_PORT WEST_PORT METRICS_PORT < <("$STRAIT_PYTHON" -c '
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])')
WORK=$T_TMP/work
mkdir -p "$WORK"
OUT=$T_TMP/two_sites.out

# The script under a deadline; timeout passes our SIGINT on to it (and
# starts it with SIGINT handled, so its trap works).
(
    cd "$WORK" &&
        STRAIT_EAST_PORT=$EAST_PORT STRAIT_WEST_PORT=$WEST_PORT STRAIT_METRICS_PORT=$METRICS_PORT \
            STRAIT_TRUCKS_INTERVAL_MS=100 STRAIT_STATUS_INTERVAL=5 \
            exec timeout -k 10 180 "$STRAIT_ROOT/examples/two_sites.sh"
) >"$OUT" 2>&1 &
SCRIPT_PID=$!
T_CHILD_PIDS+=("$SCRIPT_PID")

# The processes the script started, by pid, from its pid file: at exit, any
# still running (only if it is still one of ours) is killed.
PIDS_FILE=$WORK/data/two_sites.pids
kill_leftovers() {
    local name pid
    [ -f "$PIDS_FILE" ] || return 0
    while read -r name pid; do
        case $(ps -o comm= -p "$pid" 2>/dev/null) in
        strait-broker | strait-mirror | trucks_producer | setsid) kill -9 "$pid" 2>/dev/null ;;
        esac
    done <"$PIDS_FILE"
}
trap 'kill_leftovers; t_cleanup' EXIT

banner() { grep -q '^Ctrl-C stops everything' "$OUT"; }
for ((i = 0; i < 300; i++)); do
    banner && break
    kill -0 "$SCRIPT_PID" 2>/dev/null || break
    sleep 0.1
done
if ! banner; then
    t_fail "two_sites.sh starts and prints where to look" "$(tail -30 "$OUT")"
    t_summary
fi
t_ok "two_sites.sh starts the example within 30 s"

for what in "strait-broker on 127.0.0.1:$EAST_PORT" "strait-broker on 127.0.0.1:$WEST_PORT" \
    "strait-mirror east -> west" "trucks_producer -> trucks_gps on east" \
    "strait-mirror status --config" "console-consumer --bootstrap-server 127.0.0.1:$WEST_PORT" \
    "http://127.0.0.1:$METRICS_PORT/metrics"; do
    if grep -qF -- "$what" "$OUT"; then t_ok "it prints: $what"; else t_fail "it prints: $what" "$(cat "$OUT")"; fi
done

declare -A PID=()
while read -r name pid; do PID[$name]=$pid; done <"$PIDS_FILE"
t_eq "it started east, west, the mirror and the producer" "east mirror trucks_producer west" \
    "$(printf '%s\n' "${!PID[@]}" | sort | tr '\n' ' ' | sed 's/ $//')"
alive=0
for name in "${!PID[@]}"; do kill -0 "${PID[$name]}" 2>/dev/null && alive=$((alive + 1)); done
t_eq "all four processes run" 4 "$alive"

CONFIG=$WORK/data/mirror/mirror.yaml
if [ -f "$CONFIG" ] && grep -q "bootstrap.servers: 127.0.0.1:$EAST_PORT" "$CONFIG" &&
    grep -q "bootstrap.servers: 127.0.0.1:$WEST_PORT" "$CONFIG" &&
    grep -q "metrics.port: $METRICS_PORT" "$CONFIG" &&
    grep -q "database: ./data/mirror/offsets.db" "$CONFIG" && ! grep -q ':9092\|:9192' "$CONFIG"; then
    t_ok "the mirror's config is config/mirror.yaml with the test's ports"
else
    t_fail "the mirror's config is config/mirror.yaml with the test's ports" "$(grep -n 'servers\|port\|database' "$CONFIG" 2>&1)"
fi
t_check "the brokers keep their data under the working directory" \
    test -f "$WORK/data/east/meta.properties" -a -f "$WORK/data/west/meta.properties"

# trucks_gps on west, through the mirror
west_total() {
    "$BIN/strait" get-offsets --bootstrap-server "127.0.0.1:$WEST_PORT" --topic trucks_gps 2>/dev/null |
        awk -F: '{ n += $NF } END { print n + 0 }'
}
enough_on_west() { [ "$(west_total)" -ge 100 ]; }
for ((i = 0; i < 120; i++)); do
    enough_on_west && break
    sleep 0.5
done
if enough_on_west; then
    t_ok "trucks_gps records written to east reach west ($(west_total) so far)"
else
    t_fail "trucks_gps records written to east reach west" "west has $(west_total); mirror log: $(tail -20 "$WORK/data/logs/mirror.log")"
fi
timeout 60 "$BIN/strait" console-consumer --bootstrap-server "127.0.0.1:$WEST_PORT" --topic trucks_gps \
    --from-beginning --max-messages 20 --timeout-ms 20000 --property print.headers=true \
    --property print.key=true >"$T_TMP/west.txt" 2>"$T_TMP/west.err"
n=$(grep -c 'strait.origin:.*strait.source:.*:trucks_gps:[0-9]*:[0-9]*.truck_[0-9]*.{"truck_id":"truck_[0-9]*","latitude":' "$T_TMP/west.txt")
t_eq "the records on west are truck positions with the mirror's provenance headers" 20 "$n"

# from the working directory, as printed (the database path is relative)
status_rows() {
    (cd "$WORK" && "$BIN/strait-mirror" status --config data/mirror/mirror.yaml) >"$T_TMP/status.txt" 2>&1
    grep -c '^east->west  *trucks_gps  *[0-2] ' "$T_TMP/status.txt"
}
for ((i = 0; i < 30; i++)); do
    [ "$(status_rows)" = 3 ] && break
    sleep 0.5
done
rows=$(status_rows)
t_eq "the printed status command shows trucks_gps's 3 partitions" 3 "$rows"
"$STRAIT_PYTHON" -c 'import sys, urllib.request
print(urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=10).read().decode())' \
    "$METRICS_PORT" >"$T_TMP/metrics.txt" 2>&1
if grep -q '^strait_mirror_records_total{flow="east->west",topic="trucks_gps",partition="0"' "$T_TMP/metrics.txt"; then
    t_ok "the metrics endpoint serves the mirror's trucks_gps counters"
else
    t_fail "the metrics endpoint serves the mirror's trucks_gps counters" "$(head -20 "$T_TMP/metrics.txt")"
fi
# the periodic summary line
for ((i = 0; i < 40; i++)); do
    grep -q 'trucks_gps: [0-9]* records on east, [0-9]* on west, mirror lag [0-9]' "$OUT" && break
    sleep 0.5
done
t_check "it prints a replication summary line" \
    grep -q 'trucks_gps: [0-9]* records on east, [0-9]* on west, mirror lag [0-9]' "$OUT"

# Ctrl-C
kill -INT "$SCRIPT_PID"
for ((i = 0; i < 600; i++)); do
    kill -0 "$SCRIPT_PID" 2>/dev/null || break
    sleep 0.1
done
if kill -0 "$SCRIPT_PID" 2>/dev/null; then
    t_fail "after SIGINT the script exits within 60 s" "$(tail -20 "$OUT")"
else
    wait "$SCRIPT_PID"
    t_eq "after SIGINT the script exits with status 0" 0 "$?"
fi
t_check "it says it is stopping everything" grep -q 'got SIGINT, stopping everything' "$OUT"
left=
for name in "${!PID[@]}"; do
    kill -0 "${PID[$name]}" 2>/dev/null && left="$left $name(${PID[$name]})"
done
t_eq "no process of the example is left" "" "$left"
open_ports=
for port in "$EAST_PORT" "$WEST_PORT" "$METRICS_PORT"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then open_ports="$open_ports $port"; fi
done
t_eq "nothing listens on the example's ports any more" "" "$open_ports"
for b in east west; do
    t_check "broker $b shut down cleanly" grep -q 'shut down cleanly' "$WORK/data/logs/$b.log"
done
t_check "the mirror stopped on SIGTERM" grep -q 'INFO \[mirror\] stopped' "$WORK/data/logs/mirror.log"
t_check "the producer flushed and reported its deliveries" \
    grep -q 'positions delivered to trucks_gps, 0 failed' "$WORK/data/logs/trucks_producer.log"
t_summary
