#!/usr/bin/env bash
# Re-capture the golden protocol vectors in tests/golden/ (see README.md there).
#
#   tests/golden/capture.sh [librdkafka] [kafkajs]     (default: both)
#
# A manual tool, not run by CI: it needs librdkafka-dev (test-only), gcc,
# node + npm (kafkajs from tests/interop/node, installed with `npm ci`),
# python3, the lz4 and zstd command-line tools, and Kafka's JSON message
# schemas in $PROTOCOL_DIR/message (default ../shared/kafka-protocol, relative
# to the repository root).
#
# For each client it builds and starts the recording proxy (capture/recorder.c)
# in front of librdkafka's in-memory mock cluster on 127.0.0.1:$GOLDEN_PORT
# (default 19092), runs the client scenario through it, checks that the client
# read back every record it produced, stops the proxy, then keeps one frame of
# each kind (capture/select_frames.py), rewriting tests/golden/<client>/ and
# that client's lines of tests/golden/manifest.txt. Every process it starts is
# stopped by pid; every wait is bounded. GOLDEN_KEEP_WORK=1 keeps the work
# folder (every raw frame and the recorder's index.tsv) for inspection.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
NODE_DIR="$ROOT/tests/interop/node"
PROTOCOL_DIR=${PROTOCOL_DIR:-$ROOT/../shared/kafka-protocol}
PORT=${GOLDEN_PORT:-19092}
BOOTSTRAP="127.0.0.1:$PORT"
TOPICS=(golden-none golden-gzip golden-snappy golden-lz4 golden-zstd golden-idempotent)

clients=("$@")
[ ${#clients[@]} -gt 0 ] || clients=(librdkafka kafkajs)
for c in "${clients[@]}"; do
    case "$c" in librdkafka|kafkajs) ;; *) echo "capture.sh: unknown client '$c'" >&2; exit 2 ;; esac
done

die() { echo "capture.sh: $*" >&2; exit 1; }
for tool in gcc python3 lz4 zstd; do
    command -v "$tool" >/dev/null || die "$tool not found"
done
[ -f /usr/include/librdkafka/rdkafka_mock.h ] || die "librdkafka-dev not installed (apt-get install librdkafka-dev)"
[ -d "$PROTOCOL_DIR/message" ] || die "Kafka message schemas not found in $PROTOCOL_DIR/message (set PROTOCOL_DIR)"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/strait-golden.XXXXXX")
RECORDER_PID=
cleanup() {
    if [ -n "$RECORDER_PID" ]; then
        kill "$RECORDER_PID" 2>/dev/null || true
        wait "$RECORDER_PID" 2>/dev/null || true
    fi
    if [ -n "${GOLDEN_KEEP_WORK:-}" ]; then
        echo "capture.sh: raw captures kept in $WORK" >&2
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT

echo "capture.sh: building the recorder and the librdkafka scenario in $WORK"
CFLAGS=(-std=gnu11 -O1 -g -Wall -Wextra -Werror)
gcc "${CFLAGS[@]}" "$HERE/capture/recorder.c" -o "$WORK/recorder" -lrdkafka
gcc "${CFLAGS[@]}" "$HERE/capture/rdk_scenario.c" -o "$WORK/rdk_scenario" -lrdkafka

start_recorder() { # $1 = raw output dir
    local ready="$WORK/ready" args=()
    rm -f "$ready"
    for t in "${TOPICS[@]}"; do args+=(-T "$t:1"); done
    "$WORK/recorder" -p "$PORT" -o "$1" -t 180 -r "$ready" "${args[@]}" 2>"$1.log" &
    RECORDER_PID=$!
    for _ in $(seq 100); do # up to 10 s
        [ -s "$ready" ] && return 0
        kill -0 "$RECORDER_PID" 2>/dev/null || break
        sleep 0.1
    done
    cat "$1.log" >&2
    die "recorder did not start (is port $PORT free? set GOLDEN_PORT)"
}

stop_recorder() {
    kill "$RECORDER_PID" 2>/dev/null || true
    for _ in $(seq 50); do # up to 5 s, then force
        kill -0 "$RECORDER_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -9 "$RECORDER_PID" 2>/dev/null || true
    wait "$RECORDER_PID" 2>/dev/null || true
    RECORDER_PID=
}

# What every scenario must read back: three records per topic.
expected_consumed() {
    local v3="value-3 golden-padding-golden-padding-golden-padding-golden-padding-golden-padding-golden-padding-golden-padding-golden-padding-end"
    for t in "${TOPICS[@]}"; do
        echo "CONSUMED $t 0 0 key=key-1 value=value-1 headers=h1:v1"
        echo "CONSUMED $t 0 1 key=key-2 value=value-2 headers=h1:v1,h2:v2"
        echo "CONSUMED $t 0 2 key=(null) value=$v3 headers="
    done | sort
}

capture() { # $1 = client
    local client=$1 raw="$WORK/raw-$1"
    mkdir -p "$raw"
    if [ "$client" = kafkajs ]; then
        command -v node >/dev/null || die "node not found"
        echo "capture.sh: npm ci in $NODE_DIR"
        (cd "$NODE_DIR" && timeout 300 npm ci --no-audit --no-fund --loglevel=error)
    fi
    start_recorder "$raw"
    echo "capture.sh: $client scenario through $BOOTSTRAP (recorder pid $RECORDER_PID)"
    local rc=0
    if [ "$client" = librdkafka ]; then
        timeout 120 "$WORK/rdk_scenario" "$BOOTSTRAP" >"$WORK/$client.out" 2>"$WORK/$client.err" || rc=$?
    else
        (cd "$NODE_DIR" && KAFKAJS_NO_PARTITIONER_WARNING=1 timeout 120 node golden-capture.js "$BOOTSTRAP") \
            >"$WORK/$client.out" 2>"$WORK/$client.err" || rc=$?
    fi
    stop_recorder
    cat "$WORK/$client.err" >&2
    [ "$rc" = 0 ] || { cat "$raw.log" >&2; die "$client scenario failed (exit $rc)"; }
    if ! diff <(expected_consumed) <(sort "$WORK/$client.out") >&2; then
        die "$client did not read back exactly the records it produced"
    fi
    echo "capture.sh: $client read back all $(wc -l <"$WORK/$client.out") records"
    PYTHONDONTWRITEBYTECODE=1 python3 "$HERE/capture/select_frames.py" --client "$client" --raw "$raw" \
        --out "$HERE/$client" --schemas "$PROTOCOL_DIR/message" --manifest "$WORK/manifest-$client"
}

for c in "${clients[@]}"; do capture "$c"; done

# manifest.txt: the header below, then librdkafka's lines, then kafkajs's.
# A client not captured in this run keeps its previous lines.
{
    cat <<'EOF'
# Golden Kafka protocol frames: the values a decoder must find in each file.
# Written by tests/golden/capture.sh; the format is described in README.md.
# One line per file: <client>/<file> then space-separated name=value tokens.
EOF
    for c in librdkafka kafkajs; do
        if [ -f "$WORK/manifest-$c" ]; then
            cat "$WORK/manifest-$c"
        elif [ -f "$HERE/manifest.txt" ]; then
            grep -E "^(# )?$c/" "$HERE/manifest.txt" || true
        fi
    done
} >"$WORK/manifest.txt"
mv "$WORK/manifest.txt" "$HERE/manifest.txt"
echo "capture.sh: wrote $HERE/manifest.txt"
for c in "${clients[@]}"; do
    echo "capture.sh: $c: $(find "$HERE/$c" -name "*.bin" | wc -l) files, $(du -sk "$HERE/$c" | cut -f1) KiB"
done
