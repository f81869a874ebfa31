#!/usr/bin/env bash
# two_sites.sh — the two-site example that `make run` starts: two Strait
# clusters, a mirror between them and a producer, until Ctrl-C.
#
#   cluster east   strait-broker on 127.0.0.1:9092, data in ./data/east
#   cluster west   strait-broker on 127.0.0.1:9192, data in ./data/west
#   strait-mirror  east -> west, active/passive, topic names kept (identity),
#                  config config/mirror.yaml (offsets in ./data/mirror/offsets.db,
#                  metrics on http://127.0.0.1:9464/metrics)
#   trucks_producer  the truck-GPS stream (examples/trucks_producer.c) written
#                  to topic trucks_gps on east, one position per truck per second
#
# It prints where to look (status command, consumers on each side, metrics),
# then a one-line replication summary every STRAIT_STATUS_INTERVAL seconds.
# Ctrl-C (SIGINT) or SIGTERM stops the producer, the mirror and both brokers,
# in that order, each by its pid, and exits 0; the data stays in ./data
# (delete it to start afresh). Logs: ./data/logs/<name>.log. If one of the
# processes dies, the others are stopped and the script exits 1.
#
# Settings (environment), for running beside another copy or in tests:
#   STRAIT_EAST_PORT (9092)  STRAIT_WEST_PORT (9192)  STRAIT_METRICS_PORT (9464)
#   STRAIT_DATA_DIR (./data, relative to the current directory)
#   STRAIT_TRUCKS_INTERVAL_MS (1000)  STRAIT_TRUCKS (10)  STRAIT_STATUS_INTERVAL (30)
#   STRAIT_BIN_DIR (build/ of this tree)
# With any of the first four changed, the mirror's config is config/mirror.yaml
# with those ports and paths, written to $STRAIT_DATA_DIR/mirror/mirror.yaml.
set -u
# shellcheck source=examples/lib.sh
. "$(dirname "$0")/lib.sh"

EAST_PORT=${STRAIT_EAST_PORT:-9092}
WEST_PORT=${STRAIT_WEST_PORT:-9192}
METRICS_PORT=${STRAIT_METRICS_PORT:-9464}
DATA=${STRAIT_DATA_DIR:-./data}
TRUCKS_INTERVAL_MS=${STRAIT_TRUCKS_INTERVAL_MS:-1000}
TRUCKS=${STRAIT_TRUCKS:-10}
STATUS_INTERVAL=${STRAIT_STATUS_INTERVAL:-30}
TOPIC=trucks_gps
TRUCKS_BIN=$EX_BIN/examples/trucks_producer

ex_init two_sites "$DATA"
[ -x "$TRUCKS_BIN" ] || ex_fail "$TRUCKS_BIN is missing: make -j2 build/examples/trucks_producer"
EX_ON_SIGNAL_STATUS=0 # Ctrl-C is how this example is meant to end

# The mirror's config: the shipped one, or a copy with these ports and paths.
TEMPLATE=$EX_ROOT/config/mirror.yaml
if [ "$EAST_PORT" = 9092 ] && [ "$WEST_PORT" = 9192 ] && [ "$METRICS_PORT" = 9464 ] &&
    { [ "$DATA" = ./data ] || [ "$DATA" = data ]; }; then
    if [ "$PWD" = "$EX_ROOT" ]; then MIRROR_CONFIG=config/mirror.yaml; else MIRROR_CONFIG=$TEMPLATE; fi
else
    MIRROR_CONFIG=$DATA/mirror/mirror.yaml
    ex_render_config "$TEMPLATE" "$MIRROR_CONFIG" \
        "127.0.0.1:9092=127.0.0.1:$EAST_PORT" \
        "127.0.0.1:9192=127.0.0.1:$WEST_PORT" \
        "metrics.port: 9464=metrics.port: $METRICS_PORT" \
        "database: ./data/mirror/offsets.db=database: $DATA/mirror/offsets.db"
fi
# The commands printed below: relative to the tree when run from it.
if [ "$PWD" = "$EX_ROOT" ] && [ "$EX_BIN" = "$EX_ROOT/build" ]; then SHOW_BIN=build; else SHOW_BIN=$EX_BIN; fi
EAST=127.0.0.1:$EAST_PORT
WEST=127.0.0.1:$WEST_PORT

echo "Starting the two-site example (data in $DATA, logs in $DATA/logs)"
ex_broker east "$EAST_PORT"
echo "  east    strait-broker on $EAST (pid ${EX_PID[east]})"
ex_broker west "$WEST_PORT"
echo "  west    strait-broker on $WEST (pid ${EX_PID[west]})"

# Three partitions, like the tutorial's topic (auto-creation would make one).
"$EX_TOOL" topics --bootstrap-server "$EAST" --create --if-not-exists --topic "$TOPIC" \
    --partitions 3 >/dev/null || ex_fail "cannot create topic $TOPIC on east"

ex_start mirror "$EX_MIRROR" --config "$MIRROR_CONFIG"
echo "  mirror  strait-mirror east -> west, config $MIRROR_CONFIG (pid ${EX_PID[mirror]})"
ex_start trucks_producer "$TRUCKS_BIN" --bootstrap-server "$EAST" --topic "$TOPIC" \
    --trucks "$TRUCKS" --updates 0 --interval-ms "$TRUCKS_INTERVAL_MS" --quiet
echo "  trucks  trucks_producer -> $TOPIC on east, $TRUCKS trucks every $TRUCKS_INTERVAL_MS ms (pid ${EX_PID[trucks_producer]})"

cat <<EOF

Where to look (in another terminal, from $PWD):
  replication status     $SHOW_BIN/strait-mirror status --config $MIRROR_CONFIG --live
  the stream on east     $SHOW_BIN/strait console-consumer --bootstrap-server $EAST --topic $TOPIC --from-beginning --property print.partition=true --property print.offset=true
  its copy on west       $SHOW_BIN/strait console-consumer --bootstrap-server $WEST --topic $TOPIC --from-beginning --property print.offset=true --property print.headers=true
  a group on west        $SHOW_BIN/examples/trucks_consumer --bootstrap-server $WEST --group dashboard
  move a group to west   $SHOW_BIN/strait-mirror failover --config $MIRROR_CONFIG --source east --target west --group dashboard --dry-run
  metrics                curl -s http://127.0.0.1:$METRICS_PORT/metrics
  logs                   tail -f $DATA/logs/mirror.log
Ctrl-C stops everything.

EOF

# One line: records on each side, and the lag the mirror last reported
# (its status rows, refreshed every 5 s).
summary() {
    local east west lag
    east=$(ex_end_total "$EAST_PORT" "$TOPIC")
    west=$(ex_end_total "$WEST_PORT" "$TOPIC")
    lag=$("$EX_MIRROR" status --config "$MIRROR_CONFIG" 2>/dev/null |
        awk 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
             $(col["TOPIC"]) == t { n += $(col["LAG-RECORDS"]); rows++ }
             END { if (rows) print n + 0; else print "-" }' t="$TOPIC")
    echo "$(date +%H:%M:%S) $TOPIC: $east records on east, $west on west, mirror lag $lag"
}

next_summary=$((SECONDS + 5))
while :; do
    for name in "${EX_ORDER[@]}"; do
        if ! ex_alive "$name"; then
            echo "$name (pid ${EX_PID[$name]}) stopped unexpectedly; the end of $DATA/logs/$name.log:" >&2
            tail -20 "$DATA/logs/$name.log" | sed 's/^/    /' >&2
            ex_stop_all
            exit 1
        fi
    done
    if ((SECONDS >= next_summary)); then
        summary
        next_summary=$((SECONDS + STATUS_INTERVAL))
    fi
    sleep 1 &
    wait $! # returns at once on Ctrl-C (the trap then stops everything)
done
