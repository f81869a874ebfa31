#!/usr/bin/env bash
# examples/ring/run.sh — three regions in a ring (mirror.yaml: amer -> emea
# -> apac -> amer, identity names), each taking writes on topic "orders".
#
#   1. Clusters amer, emea and apac, topic orders (3 partitions) on each, the
#      mirror (one process, three flows).
#   2. Producers in the three regions at once: 300 orders each.
#   3. Checked: every region ends with the 900 orders, each exactly once (the
#      ring does not loop), each region's orders in their original
#      per-partition order, and each copy's strait.origin header naming the
#      cluster that wrote it.
#
# Exits 0 when every check passed ("ok - ..."), 1 at the first failure.
# Stops everything it started (also on Ctrl-C); STRAIT_KEEP_RUNNING=1 leaves
# it all running at the end until Ctrl-C.
# Settings: STRAIT_AMER_PORT (19094), STRAIT_EMEA_PORT (19194),
# STRAIT_APAC_PORT (19294), STRAIT_METRICS_PORT (19466), STRAIT_DATA_DIR
# (./data/ring, recreated), STRAIT_BIN_DIR (build/ of this tree).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=examples/lib.sh
. "$HERE/../lib.sh"

declare -A PORT=([amer]=${STRAIT_AMER_PORT:-19094} [emea]=${STRAIT_EMEA_PORT:-19194}
    [apac]=${STRAIT_APAC_PORT:-19294})
METRICS_PORT=${STRAIT_METRICS_PORT:-19466}
REGIONS=(amer emea apac)
TOPIC=orders
N=300

ex_init ring "${STRAIT_DATA_DIR:-./data/ring}"
ex_fresh amer emea apac mirror logs work
W=$EX_DATA/work
mkdir -p "$W"
CONFIG=$EX_DATA/mirror/mirror.yaml
ex_render_config "$HERE/mirror.yaml" "$CONFIG" "127.0.0.1:19094=127.0.0.1:${PORT[amer]}" \
    "127.0.0.1:19194=127.0.0.1:${PORT[emea]}" "127.0.0.1:19294=127.0.0.1:${PORT[apac]}" \
    "metrics.port: 19466=metrics.port: $METRICS_PORT" \
    "database: ./data/ring/mirror/offsets.db=database: $EX_DATA/mirror/offsets.db"
total_is() { [ "$(ex_end_total "${PORT[$1]}" "$TOPIC")" = "$2" ]; }

ex_step "1. Regions amer (127.0.0.1:${PORT[amer]}), emea (127.0.0.1:${PORT[emea]}), apac (127.0.0.1:${PORT[apac]}); flows amer -> emea -> apac -> amer"
for c in "${REGIONS[@]}"; do
    ex_broker "$c" "${PORT[$c]}" group.initial.rebalance.delay.ms=0
    "$EX_TOOL" topics --bootstrap-server "127.0.0.1:${PORT[$c]}" --create --topic "$TOPIC" \
        --partitions 3 >/dev/null || ex_fail "creating $TOPIC on $c"
done
ex_start mirror "$EX_MIRROR" --config "$CONFIG"
echo "strait-mirror --config $CONFIG (log: $EX_DATA/logs/mirror.log)"

ex_step "2. Producers in the three regions at once: $N orders each"
declare -A PRODUCER=()
for c in "${REGIONS[@]}"; do
    ex_produce "${PORT[$c]}" "$TOPIC" "$c" 1 "$N" &
    PRODUCER[$c]=$!
done
for c in "${REGIONS[@]}"; do
    wait "${PRODUCER[$c]}" || ex_fail "the producer in $c failed"
done
ex_ok "the three producers delivered their $N orders"

ex_step "3. Every region ends with every order exactly once"
for c in "${REGIONS[@]}"; do
    ex_wait_until 60 total_is "$c" $((3 * N)) ||
        ex_fail "$c did not reach $((3 * N)) records (it has $(ex_end_total "${PORT[$c]}" "$TOPIC"))"
done
ex_wait_until 30 ex_caught_up "$CONFIG" 9 || ex_fail "the status does not show the three flows caught up"
"$EX_MIRROR" status --config "$CONFIG" --live
sleep 2 # a few more passes: a loop would show now
{
    for c in "${REGIONS[@]}"; do
        for ((n = 1; n <= N; n++)); do printf '%s-%05d\n' "$c" "$n"; done
    done
} | sort >"$W/expected"
for c in "${REGIONS[@]}"; do
    ex_read_all "${PORT[$c]}" "$TOPIC" >"$W/$c.log"
    awk '{ print $4 }' "$W/$c.log" | sort >"$W/$c.values"
    ex_same "$c holds the $((3 * N)) orders of the ring, each exactly once" "$W/expected" "$W/$c.values"
done
for c in "${REGIONS[@]}"; do
    awk '$4 ~ "^" o "-"' o="$c" "$W/$c.log" | ex_by_partition >"$W/$c.own.pv"
    for other in "${REGIONS[@]}"; do
        [ "$other" = "$c" ] && continue
        awk '$4 ~ "^" o "-"' o="$c" "$W/$other.log" | ex_by_partition >"$W/$other.has.$c.pv"
        ex_same "$other has $c's orders in $c's partitions and order" "$W/$c.own.pv" "$W/$other.has.$c.pv"
    done
done
# The origin header of the copies: the cluster id of the region that wrote them.
declare -A ID=()
for c in "${REGIONS[@]}"; do
    ID[$c]=$(grep -o 'of cluster [^ ]*' "$EX_DATA/logs/$c.log" | head -1 | cut -d' ' -f3)
done
"$EX_TOOL" console-consumer --bootstrap-server "127.0.0.1:${PORT[amer]}" --topic "$TOPIC" \
    --from-beginning --max-messages $((3 * N)) --timeout-ms 15000 --property print.headers=true \
    2>/dev/null >"$W/amer.headers"
bad=$(awk -v e="${ID[emea]}" -v a="${ID[apac]}" '
    $2 ~ /^emea-/ && $1 !~ "^strait.origin:" e "," { n++ }
    $2 ~ /^apac-/ && $1 !~ "^strait.origin:" a "," { n++ }
    $2 ~ /^amer-/ && $1 != "NO_HEADERS" { n++ }
    END { print n + 0 }' "$W/amer.headers")
ex_check "on amer, each copy's strait.origin is the id of the region that wrote it (kept over two hops for emea's orders, which came through apac); amer's own orders have no header" [ "$bad" = 0 ]
ex_hold
ex_step "Done: every check passed"
