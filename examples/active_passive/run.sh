#!/usr/bin/env bash
# examples/active_passive/run.sh — active/passive mirroring: east takes the
# writes, strait-mirror keeps west an exact copy (mirror.yaml).
#
#   1. Clusters east and west (one strait-broker each) and the mirror.
#   2. 1000 orders on east (topic "orders", 3 partitions, retention 1 day);
#      group shipping reads 400 of them on east.
#   3. Checked: west gets the topic (same partitions, same retention) and the
#      same records in the same partitions and order, each with provenance
#      headers; the group's offsets appear on west, translated.
#   4. The mirror's status, metrics, and the failover plan of the group.
#
# Exits 0 when every check passed ("ok - ..."), 1 at the first failure.
# Stops everything it started (also on Ctrl-C); STRAIT_KEEP_RUNNING=1 leaves
# it all running at the end until Ctrl-C, to explore.
# Settings: STRAIT_EAST_PORT (19092), STRAIT_WEST_PORT (19192),
# STRAIT_METRICS_PORT (19464), STRAIT_DATA_DIR (./data/active_passive,
# recreated), STRAIT_BIN_DIR (build/ of this tree).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=examples/lib.sh
. "$HERE/../lib.sh"

EAST_PORT=${STRAIT_EAST_PORT:-19092}
WEST_PORT=${STRAIT_WEST_PORT:-19192}
METRICS_PORT=${STRAIT_METRICS_PORT:-19464}
TOPIC=orders

ex_init active_passive "${STRAIT_DATA_DIR:-./data/active_passive}"
ex_fresh east west mirror logs work
W=$EX_DATA/work
mkdir -p "$W"
CONFIG=$EX_DATA/mirror/mirror.yaml
ex_render_config "$HERE/mirror.yaml" "$CONFIG" "127.0.0.1:19092=127.0.0.1:$EAST_PORT" \
    "127.0.0.1:19192=127.0.0.1:$WEST_PORT" "metrics.port: 19464=metrics.port: $METRICS_PORT" \
    "database: ./data/active_passive/mirror/offsets.db=database: $EX_DATA/mirror/offsets.db"
EAST=127.0.0.1:$EAST_PORT
WEST=127.0.0.1:$WEST_PORT
west_total_is() { [ "$(ex_end_total "$WEST_PORT" "$TOPIC")" = "$1" ]; }
synced() { [ "$(ex_group_offsets "$EAST_PORT" shipping)" = "$(ex_group_offsets "$WEST_PORT" shipping)" ]; }

ex_step "1. Clusters east ($EAST) and west ($WEST); strait-mirror east -> west"
ex_broker east "$EAST_PORT" group.initial.rebalance.delay.ms=0
ex_broker west "$WEST_PORT" group.initial.rebalance.delay.ms=0
"$EX_TOOL" topics --bootstrap-server "$EAST" --create --topic "$TOPIC" --partitions 3 \
    --config retention.ms=86400000 || ex_fail "creating $TOPIC on east"
ex_start mirror "$EX_MIRROR" --config "$CONFIG"
echo "strait-mirror --config $CONFIG (log: $EX_DATA/logs/mirror.log)"

ex_step "2. 1000 orders on east; group shipping reads 400 of them there"
ex_produce "$EAST_PORT" "$TOPIC" order 1 1000
ex_consume_group "$EAST_PORT" "$TOPIC" shipping 400 >"$W/shipping.east"
ex_check "shipping read 400 orders on east" [ "$(wc -l <"$W/shipping.east")" -eq 400 ]

ex_step "3. West: the same topic, the same records, the group's position"
ex_wait_until 60 west_total_is 1000 || ex_fail "west did not reach 1000 records (log: $EX_DATA/logs/mirror.log)"
"$EX_TOOL" topics --bootstrap-server "$WEST" --describe --topic "$TOPIC" >"$W/west.describe"
ex_check "west's $TOPIC has east's 3 partitions" grep -q 'PartitionCount: 3' "$W/west.describe"
"$EX_TOOL" configs --bootstrap-server "$WEST" --entity-type topics --entity-name "$TOPIC" \
    --describe >"$W/west.configs" 2>&1
grep -o 'retention.ms=[0-9]*' "$W/west.configs" | head -1
ex_check "west's $TOPIC has east's retention.ms (1 day: the default is 7)" grep -q 'retention.ms=86400000' "$W/west.configs"
ex_read_all "$EAST_PORT" "$TOPIC" | ex_by_partition >"$W/east.pv"
ex_read_all "$WEST_PORT" "$TOPIC" | ex_by_partition >"$W/west.pv"
ex_same "west holds east's 1000 orders in the same partitions and order" "$W/east.pv" "$W/west.pv"
"$EX_TOOL" console-consumer --bootstrap-server "$WEST" --topic "$TOPIC" --partition 0 --offset 0 \
    --max-messages 1 --property print.headers=true --property print.key=true 2>/dev/null | tee "$W/one"
ex_check "a record on west carries strait.origin (east's cluster id) and strait.source (east:orders:0:0)" \
    grep -qE '^strait.origin:[^,]+,strait.source:[^:]+:orders:0:0' "$W/one"
ex_wait_until 30 synced || ex_fail "the group's offsets did not reach west"
"$EX_TOOL" consumer-groups --bootstrap-server "$WEST" --describe --group shipping 2>/dev/null
ex_ok "group shipping's committed offsets on west are east's, translated (here identical: west's log is east's)"

ex_step "4. Status, metrics, and the failover plan"
ex_wait_until 30 ex_caught_up "$CONFIG" 3 || ex_fail "the status does not show the mirror caught up"
"$EX_MIRROR" status --config "$CONFIG" --live
ex_metrics "$METRICS_PORT" | grep -E '^strait_mirror_(records_total|lag_records|replicated_offset)\{' |
    tee "$W/metrics" | head -9
ex_check "the metrics endpoint counts 1000 mirrored orders" \
    [ "$(awk '/^strait_mirror_records_total\{.*topic="orders"/ { n += $NF } END { print n + 0 }' "$W/metrics")" = 1000 ]
"$EX_MIRROR" failover --config "$CONFIG" --source east --target west --group shipping --dry-run
ex_hold
ex_step "Done: every check passed"
