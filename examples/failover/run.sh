#!/usr/bin/env bash
# examples/failover/run.sh — a site failover and failback with strait-mirror,
# scripted step by step, checking what matters at each step.
#
#   1. Two sites: clusters east and west (one strait-broker each), a mirror
#      east -> west (mirror.yaml: active/passive, topic names kept).
#   2. On east: 300 orders on topic "orders" (3 partitions); consumer group
#      billing reads 120 of them, group audit reads them all.
#   3. The mirror copies them to west and checkpoints both groups.
#   4. East is lost (its broker stops).
#   5. `strait-mirror failover --execute`: with east down, the groups' offsets
#      come from the mirror's last checkpoint and are committed on west.
#   6. Applications move to west: 60 new orders are written there, and each
#      group reads on west exactly what it had not read on east.
#      Checked: per partition, what a group read on east followed by what it
#      read on west is exactly west's log (no gap, no repeat).
#   7. East returns. The mirror runs failback.yaml: east -> west as before plus
#      the reverse flow west -> east (identity names). Checked: east ends with
#      its own 300 orders followed by exactly the 60 written on west during
#      the outage (nothing mirrored earlier comes back), and west gains
#      nothing (no loop).
#   8. Failback of the groups: `strait-mirror failover --source west --target
#      east --execute`. Checked: both groups continue on east exactly after
#      what they read on west (30 new orders on east, read once each).
#
# Exits 0 when every check passed, 1 at the first that failed ("FAILED: ...");
# prints "ok - ..." per check. Stops everything it started (also on Ctrl-C).
#
# Settings (environment): STRAIT_EAST_PORT (19095), STRAIT_WEST_PORT (19195),
# STRAIT_METRICS_PORT (19467), STRAIT_DATA_DIR (./data/failover: its east,
# west, mirror, logs and work directories are recreated on every run),
# STRAIT_BIN_DIR (build/ of this tree).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=examples/lib.sh
. "$HERE/../lib.sh"

EAST_PORT=${STRAIT_EAST_PORT:-19095}
WEST_PORT=${STRAIT_WEST_PORT:-19195}
METRICS_PORT=${STRAIT_METRICS_PORT:-19467}
TOPIC=orders
GROUPS_=(billing audit)

ex_init failover "${STRAIT_DATA_DIR:-./data/failover}"
ex_fresh east west mirror logs work
W=$EX_DATA/work
mkdir -p "$W"
render() { # TEMPLATE OUT
    ex_render_config "$1" "$2" "127.0.0.1:19095=127.0.0.1:$EAST_PORT" \
        "127.0.0.1:19195=127.0.0.1:$WEST_PORT" "metrics.port: 19467=metrics.port: $METRICS_PORT" \
        "database: ./data/failover/mirror/offsets.db=database: $EX_DATA/mirror/offsets.db"
}
CONFIG=$EX_DATA/mirror/mirror.yaml
FAILBACK=$EX_DATA/mirror/failback.yaml
render "$HERE/mirror.yaml" "$CONFIG"
render "$HERE/failback.yaml" "$FAILBACK"
EAST=127.0.0.1:$EAST_PORT
WEST=127.0.0.1:$WEST_PORT
# Consumers join at once (the default waits 3 s for more members).
BROKER_SETTINGS=(group.initial.rebalance.delay.ms=0)

count() { wc -l <"$1" | tr -d ' '; }
# The lines of a "partition offset key value" file whose value starts with PREFIX-.
only() { awk '$4 ~ "^" p "-"' p="$1" "$2"; }
offsets_equal() { [ "$(ex_group_offsets "$EAST_PORT" "$1")" = "$(ex_group_offsets "$WEST_PORT" "$1")" ]; }
east_total_is() { [ "$(ex_end_total "$EAST_PORT" "$TOPIC")" = "$1" ]; }
west_total_is() { [ "$(ex_end_total "$WEST_PORT" "$TOPIC")" = "$1" ]; }

ex_step "1. Two sites: east ($EAST) and west ($WEST), a mirror east -> west"
ex_broker east "$EAST_PORT" "${BROKER_SETTINGS[@]}"
ex_broker west "$WEST_PORT" "${BROKER_SETTINGS[@]}"
"$EX_TOOL" topics --bootstrap-server "$EAST" --create --topic "$TOPIC" --partitions 3 ||
    ex_fail "creating topic $TOPIC on east"
ex_start mirror "$EX_MIRROR" --config "$CONFIG"
echo "strait-mirror --config $CONFIG (log: $EX_DATA/logs/mirror.log)"

ex_step "2. Applications on east: 300 orders; group billing reads 120, group audit all 300"
ex_produce "$EAST_PORT" "$TOPIC" order 1 300
ex_consume_group "$EAST_PORT" "$TOPIC" billing 120 >"$W/billing.east"
ex_consume_group "$EAST_PORT" "$TOPIC" audit 300 >"$W/audit.east"
ex_read_all "$EAST_PORT" "$TOPIC" >"$W/east.before"
ex_check "east holds the 300 orders" [ "$(count "$W/east.before")" = 300 ]
ex_check "billing read 120 of them on east, audit 300" \
    [ "$(count "$W/billing.east") $(count "$W/audit.east")" = "120 300" ]
"$EX_TOOL" consumer-groups --bootstrap-server "$EAST" --describe --group billing 2>/dev/null

ex_step "3. The mirror copies the orders to west and checkpoints the groups there"
ex_wait_until 60 west_total_is 300 || ex_fail "west did not reach 300 records (mirror log: $EX_DATA/logs/mirror.log)"
ex_ok "west holds the 300 orders"
for g in "${GROUPS_[@]}"; do
    ex_wait_until 30 offsets_equal "$g" || ex_fail "the mirror did not checkpoint group $g into west"
done
ex_ok "both groups' offsets are checkpointed into west (identical to east's: the logs are identical)"
ex_wait_until 30 ex_caught_up "$CONFIG" 3 || ex_fail "the mirror's status does not show it caught up"
"$EX_MIRROR" status --config "$CONFIG" --live

ex_step "4. East is lost"
ex_stop east
echo "east's broker is stopped: 127.0.0.1:$EAST_PORT does not answer any more"

ex_step "5. Failover: the groups move to west, at the offsets of the mirror's last checkpoint"
echo "\$ strait-mirror failover --config mirror.yaml --source east --target west --group billing --group audit --dry-run"
"$EX_MIRROR" failover --config "$CONFIG" --source east --target west --group billing --group audit \
    --dry-run --timeout-ms 2000 >"$W/failover.plan" 2>"$W/failover.plan.err" ||
    { cat "$W/failover.plan.err" >&2; ex_fail "failover --dry-run"; }
cat "$W/failover.plan" "$W/failover.plan.err"
ex_check "with east down, every row of the plan comes from the checkpoint" \
    [ "$(awk 'NR > 1 && $1 != "GROUP" && NF { print $5 }' "$W/failover.plan" | sort -u)" = checkpoint ]
echo "\$ strait-mirror failover ... --execute"
"$EX_MIRROR" failover --config "$CONFIG" --source east --target west --group billing --group audit \
    --execute --timeout-ms 2000 >"$W/failover.out" 2>"$W/failover.err" ||
    { cat "$W/failover.out" "$W/failover.err" >&2; ex_fail "failover --execute"; }
grep '^group ' "$W/failover.out"
ex_check "failover --execute committed both groups' offsets on west" \
    [ "$(grep -c '^group .*: committed 3 of 3 offsets on target west' "$W/failover.out")" = 2 ]

ex_step "6. Applications move to west: 60 new orders there; the groups continue on west"
ex_produce "$WEST_PORT" "$TOPIC" west 1 60
ex_read_all "$WEST_PORT" "$TOPIC" >"$W/west.log"
ex_check "west holds the 300 mirrored orders and the 60 new ones" [ "$(count "$W/west.log")" = 360 ]
ex_by_partition "$W/east.before" >"$W/east.before.pv"
only order "$W/west.log" | ex_by_partition >"$W/west.mirrored.pv"
ex_same "west's copy of east's orders is exact (same partitions, same order)" \
    "$W/east.before.pv" "$W/west.mirrored.pv"
for g in "${GROUPS_[@]}"; do
    lag=$(ex_group_lag "$WEST_PORT" "$g")
    ex_consume_group "$WEST_PORT" "$TOPIC" "$g" "$lag" >"$W/$g.west"
    echo "group $g read $(count "$W/$g.west") records on west (it had read $(count "$W/$g.east") on east)"
    ex_by_partition "$W/$g.east" "$W/$g.west" >"$W/$g.read.pv"
    ex_by_partition "$W/west.log" >"$W/west.log.pv"
    ex_same "group $g: what it read on east, then on west, is exactly west's log: no gap, no repeat" \
        "$W/west.log.pv" "$W/$g.read.pv"
done

ex_step "7. East returns; the reverse flow west -> east brings back what was written on west"
ex_stop mirror
ex_broker east "$EAST_PORT" "${BROKER_SETTINGS[@]}"
ex_start mirror_failback "$EX_MIRROR" --config "$FAILBACK"
echo "strait-mirror --config $FAILBACK (flows east->west and west->east; log: $EX_DATA/logs/mirror_failback.log)"
ex_wait_until 60 east_total_is 360 || ex_fail "east did not reach 360 records (it has $(ex_end_total "$EAST_PORT" "$TOPIC"))"
ex_wait_until 30 ex_caught_up "$FAILBACK" 6 || ex_fail "the failback mirror's status does not show both flows caught up"
"$EX_MIRROR" status --config "$FAILBACK" --live
sleep 2 # a few more passes: anything copied twice would show now
ex_read_all "$EAST_PORT" "$TOPIC" >"$W/east.after"
ex_by_partition "$W/east.after" >"$W/east.after.pv"
ex_same "east now holds its 300 orders followed by exactly the 60 written on west: nothing mirrored earlier came back" \
    "$W/west.log.pv" "$W/east.after.pv"
ex_check "west still holds 360 records: the records from west were not copied back to it" \
    west_total_is 360

ex_step "8. Failback of the groups: they move back to east"
echo "\$ strait-mirror failover --config failback.yaml --source west --target east --group billing --group audit --execute"
"$EX_MIRROR" failover --config "$FAILBACK" --source west --target east --group billing --group audit \
    --execute --timeout-ms 5000 >"$W/failback.out" 2>"$W/failback.err" ||
    { cat "$W/failback.out" "$W/failback.err" >&2; ex_fail "failover --source west --target east --execute"; }
cat "$W/failback.out"
ex_check "both groups are committed on east with nothing left to read (LAG 0)" \
    [ "$(awk '$1 == "billing" || $1 == "audit" { print $9 }' "$W/failback.out" | sort -u | tr '\n' ' ')" = "0 " ]
ex_produce "$EAST_PORT" "$TOPIC" after 1 30
ex_read_all "$EAST_PORT" "$TOPIC" >"$W/east.final"
only after "$W/east.final" | ex_by_partition >"$W/after.pv"
for g in "${GROUPS_[@]}"; do
    lag=$(ex_group_lag "$EAST_PORT" "$g")
    ex_consume_group "$EAST_PORT" "$TOPIC" "$g" "$lag" >"$W/$g.back"
    ex_by_partition "$W/$g.back" >"$W/$g.back.pv"
    ex_same "group $g continues on east with exactly the 30 new orders" "$W/after.pv" "$W/$g.back.pv"
done

ex_step "Done: every check passed; stopping east, west and the mirror"
