#!/usr/bin/env bash
# test_kcat.sh — kcat (librdkafka 2.0.2) against a Strait broker started here.
#
# Asserts: produce/consume round trips byte for byte with keys and headers for
# every codec (none, gzip, snappy, lz4, zstd) and the codec is kept on disk;
# -L shows the broker and the topics with their partitions; -o beginning, end,
# absolute and relative offsets start where they should; -Q and -o s@ find
# offsets by timestamp (records produced with explicit timestamps through
# confluent-kafka-python); a consumer asking for an offset below the log start
# (after retention) is reset to the earliest offset, to the end, or gets
# "offset out of range", following auto.offset.reset as librdkafka does.
set -u
cd "$(dirname "$0")" || exit 1
source lib/broker.sh
t_init kcat

if ! command -v kcat >/dev/null; then
    t_fail "kcat is installed (make deps)"
    t_summary
fi

broker_start b1 num.partitions=3 || { t_fail "broker b1 starts"; t_summary; }
BS=$(bootstrap b1)
KC=(kcat -b "$BS" -m 15 -X socket.timeout.ms=15000)
# bounded consume: -e exits at the end of the partition; timeout caps a hang
kc_consume() { timeout 30 "${KC[@]}" -C -q "$@"; }
kc_produce() { timeout 60 "${KC[@]}" -P "$@"; }

# ---------------------------------------------------------------- codecs
# Codec ids of the batches stored in a partition's segment files.
disk_codecs() {
    "$STRAIT_PYTHON" - "$1" <<'EOF'
import glob, struct, sys
codecs = set()
for path in sorted(glob.glob(sys.argv[1] + "/*.log")):
    data = open(path, "rb").read()
    p = 0
    while p + 23 <= len(data):
        length = struct.unpack(">i", data[p + 8:p + 12])[0]
        if length <= 0:
            break
        attrs = struct.unpack(">h", data[p + 21:p + 23])[0]
        codecs.add(attrs & 7)
        p += 12 + length
print(" ".join(str(c) for c in sorted(codecs)))
EOF
}

filler="the quick brown fox jumps over the lazy dog; the quick brown fox jumps over the lazy dog"
input=$T_TMP/lines.txt
for ((i = 0; i < 300; i++)); do
    case $((i % 10)) in
    3) printf 'key-%d:\n' "$i" ;;                                 # empty value
    7) printf 'kéy-%d:välue %d ünïcødé\t%s\n' "$i" "$i" "$filler" ;; # UTF-8 and a tab
    *) printf 'key-%d:value-%d %s %s\n' "$i" "$i" "$filler" "$((i * 7919))" ;;
    esac
done >"$input"
# one binary message with every byte value, newlines and NULs, compressible
binfile=$T_TMP/binary.bin
"$STRAIT_PYTHON" -c '
import random, sys
r = random.Random(7)
data = bytes(range(256)) * 40 + bytes(r.randrange(256) for _ in range(5000)) + b"\0" * 20000 + b"\n" * 100
sys.stdout.buffer.write(data)' >"$binfile"

declare -A CODEC_ID=([none]=0 [gzip]=1 [snappy]=2 [lz4]=3 [zstd]=4)
for codec in none gzip snappy lz4 zstd; do
    topic=codec-$codec
    if ! kc_produce -t "$topic" -p 0 -z "$codec" -K: -H "h1=v1" -H "hdr-2=second value" -l "$input" 2>"$T_TMP/p-$codec.err"; then
        t_fail "$codec: kcat produces 300 keyed records with headers" "$(head -5 "$T_TMP/p-$codec.err")"
        continue
    fi
    t_ok "$codec: kcat produces 300 keyed records with headers"
    kc_produce -t "$topic" -p 0 -z "$codec" -k binkey "$binfile" 2>/dev/null
    kc_consume -t "$topic" -p 0 -o beginning -c 300 -e -f '%k:%s\n' >"$T_TMP/c-$codec.txt" 2>"$T_TMP/c-$codec.err"
    if cmp -s "$input" "$T_TMP/c-$codec.txt"; then
        t_ok "$codec: keys and values read back byte for byte"
    else
        t_fail "$codec: keys and values read back byte for byte" \
            "$(diff "$input" "$T_TMP/c-$codec.txt" | head -5; head -3 "$T_TMP/c-$codec.err")"
    fi
    hdrs=$(kc_consume -t "$topic" -p 0 -o beginning -c 300 -e -f '%h\n' | sort | uniq -c | sed 's/^ *//')
    t_eq "$codec: every record carries both headers" "300 h1=v1,hdr-2=second value" "$hdrs"
    kc_consume -t "$topic" -p 0 -o 300 -c 1 -e -f '%k|%s' >"$T_TMP/b-$codec.out" 2>/dev/null
    if (printf 'binkey|'; cat "$binfile") | cmp -s - "$T_TMP/b-$codec.out"; then
        t_ok "$codec: a $(stat -c %s "$binfile")-byte binary value reads back byte for byte"
    else
        t_fail "$codec: binary value reads back byte for byte" \
            "got $(stat -c %s "$T_TMP/b-$codec.out") bytes"
    fi
    offs=$(kc_consume -t "$topic" -p 0 -o beginning -e -f '%o\n' | tr '\n' ' ')
    t_eq "$codec: offsets are 0..300, consecutive" "$(seq -s ' ' 0 300) " "$offs"
    got_codecs=$(disk_codecs "${B_DIR[b1]}/$topic-0")
    if [ "$got_codecs" = "${CODEC_ID[$codec]}" ]; then
        t_ok "$codec: stored batches keep the producer's codec"
    else
        # say why: librdkafka decides from ApiVersions whether the broker takes the codec
        why=$(printf 'x%.0s' {1..200} | kc_produce -t "$topic" -p 0 -z "$codec" -d msg 2>&1 |
            grep -o 'Broker does not support compression type [a-z0-9]*' | head -1)
        t_fail "$codec: stored batches keep the producer's codec" \
            "expected codec ${CODEC_ID[$codec]}, stored: $got_codecs${why:+; librdkafka says: $why}"
    fi
done

# ---------------------------------------------------------------- -L
meta_json=$(timeout 30 "${KC[@]}" -L -J 2>&1)
"$STRAIT_PYTHON" - "$meta_json" "$BS" >"$T_TMP/meta.out" <<'EOF'
import json, sys
m = json.loads(sys.argv[1])
bs = sys.argv[2]
print("brokers", [(b["id"], b["name"]) for b in m["brokers"]] == [(0, bs)])
print("controller", m.get("controllerid"))
topics = {t["topic"]: t for t in m["topics"]}
for c in ["none", "gzip", "snappy", "lz4", "zstd"]:
    t = topics.get("codec-" + c)
    ok = t is not None and len(t["partitions"]) == 3 and all(
        p["leader"] == 0 and [r["id"] for r in p["replicas"]] == [0] and [r["id"] for r in p["isrs"]] == [0]
        and "error" not in p for p in t["partitions"])
    print("topic", c, ok)
EOF
t_eq "-L -J lists broker 0 at $BS" "brokers True" "$(grep '^brokers' "$T_TMP/meta.out")"
t_eq "-L -J names broker 0 as controller" "controller 0" "$(grep '^controller' "$T_TMP/meta.out")"
t_eq "-L -J lists the 5 codec topics, 3 partitions each, led by broker 0" "5" \
    "$(grep -c '^topic .* True' "$T_TMP/meta.out")"
meta_txt=$(timeout 30 "${KC[@]}" -L -t codec-gzip 2>&1)
if grep -q "broker 0 at $BS" <<<"$meta_txt" && grep -q 'topic "codec-gzip" with 3 partitions' <<<"$meta_txt"; then
    t_ok "-L -t shows the broker and the topic's 3 partitions"
else
    t_fail "-L -t shows the broker and the topic's 3 partitions" "$meta_txt"
fi

# ---------------------------------------------------------------- -o
seq -f 'm%g' 0 9 | kc_produce -t offsets -p 1 2>/dev/null
read_o() { kc_consume -t offsets -p 1 "$@" -f '%s ' 2>/dev/null; }
t_eq "-o beginning reads all 10" "m0 m1 m2 m3 m4 m5 m6 m7 m8 m9 " "$(read_o -o beginning -e)"
t_eq "-o end reads nothing" "" "$(read_o -o end -e)"
t_eq "-o 4 (absolute) starts at m4" "m4 m5 m6 m7 m8 m9 " "$(read_o -o 4 -e)"
t_eq "-o -3 (relative to the end) reads the last 3" "m7 m8 m9 " "$(read_o -o -3 -e)"
t_eq "-o 4 -c 2 reads 2 records" "m4 m5 " "$(read_o -o 4 -c 2)"
t_eq "-o 9 reads the last record" "m9 " "$(read_o -o 9 -e)"
t_eq "partition 0 of the topic stays empty" "" "$(kc_consume -t offsets -p 0 -o beginning -e -f '%s ' 2>/dev/null)"
# an end consumer sees records produced after it started
kc_consume -t offsets -p 1 -o end -c 2 -f '%s ' >"$T_TMP/tail.out" 2>/dev/null &
tail_pid=$!
T_CHILD_PIDS+=("$tail_pid")
# produce one record every 0.3 s until it has seen two (it may resolve "end"
# after the first few were written)
for ((i = 1; i <= 40; i++)); do
    kill -0 "$tail_pid" 2>/dev/null || break
    printf 'late%d\n' "$i" | kc_produce -t offsets -p 1 2>/dev/null
    sleep 0.3
done
wait "$tail_pid"
tail_out=$(cat "$T_TMP/tail.out")
if [[ $tail_out =~ ^late([0-9]+)\ late([0-9]+)\ $ ]] && [ "${BASH_REMATCH[2]}" -eq $((BASH_REMATCH[1] + 1)) ]; then
    t_ok "-o end receives the records produced after it started, in order"
else
    t_fail "-o end receives the records produced after it started, in order" "[$tail_out]"
fi

# ---------------------------------------------------------------- -Q
T0=1600000000000
"$STRAIT_PYTHON" - "$BS" "$T0" >"$T_TMP/ts.out" 2>&1 <<'EOF'
import sys
from confluent_kafka import Producer
bs, t0 = sys.argv[1], int(sys.argv[2])
p = Producer({"bootstrap.servers": bs, "linger.ms": 0})
errs = []
for i in range(10):
    p.produce("times", value=b"t%d" % i, partition=0, timestamp=t0 + i * 1000,
              on_delivery=lambda e, m: e and errs.append(e))
    p.flush(10)  # one batch per record: the time index sees each one
left = p.flush(10)
print("produced", left == 0 and not errs, errs)
EOF
t_eq "python produced 10 records with explicit timestamps" "produced True []" "$(cat "$T_TMP/ts.out")"
q() { timeout 30 "${KC[@]}" -Q -t "times:0:$1" 2>&1 | grep -oE 'offset -?[0-9]+' ; }
t_eq "-Q at the first timestamp gives offset 0" "offset 0" "$(q $T0)"
t_eq "-Q between two timestamps gives the next record" "offset 4" "$(q $((T0 + 3500)))"
t_eq "-Q at an exact timestamp gives that record" "offset 7" "$(q $((T0 + 7000)))"
t_eq "-Q before every timestamp gives offset 0" "offset 0" "$(q 1000)"
t_eq "-Q after every timestamp gives -1 (none)" "offset -1" "$(q $((T0 + 60000)))"
t_eq "-Q -1 gives the log end" "offset 10" "$(q -1)"
t_eq "-Q -2 gives the log start" "offset 0" "$(q -2)"
t_eq "timestamps read back as produced" "$((T0 + 5000)) $((T0 + 6000)) " \
    "$(kc_consume -t times -p 0 -o 5 -c 2 -f '%T ' 2>/dev/null)"
t_eq "-o s@ts starts at the first record at or after ts" "t3 t4 t5 t6 t7 t8 t9 " \
    "$(kc_consume -t times -p 0 -o "s@$((T0 + 2500))" -e -f '%s ' 2>/dev/null)"

# ---------------------------------------------------------------- below the log start
broker_start b2 log.segment.bytes=4096 log.retention.bytes=8192 \
    log.retention.check.interval.ms=200 log.segment.delete.delay.ms=0 ||
    { t_fail "broker b2 (small segments) starts"; t_summary; }
BS2=$(bootstrap b2)
KC2=(kcat -b "$BS2" -m 15 -X socket.timeout.ms=15000)
for ((i = 0; i < 400; i++)); do printf 'r%04d %s\n' "$i" "$filler"; done |
    timeout 60 "${KC2[@]}" -P -t ret -p 0 -X batch.size=1500 -X linger.ms=0 2>"$T_TMP/ret.err"
earliest() { timeout 30 "${KC2[@]}" -Q -t ret:0:-2 2>/dev/null | grep -oE 'offset -?[0-9]+' | cut -d' ' -f2; }
e=0
for ((i = 0; i < 100; i++)); do
    e=$(earliest)
    [ "${e:-0}" -gt 0 ] && break
    sleep 0.2
done
sleep 0.5 # let retention settle: nothing more is produced
e=$(earliest)
if [ "${e:-0}" -gt 0 ]; then t_ok "retention moved the log start up (to $e)"; else t_fail "retention moved the log start up" "earliest=$e"; fi
first=$(timeout 30 "${KC2[@]}" -C -q -t ret -p 0 -o 0 -c 1 -X topic.auto.offset.reset=earliest -f '%o' 2>/dev/null)
t_eq "-o 0 below the log start with auto.offset.reset=earliest resets to the log start" "$e" "$first"
late=$(timeout 30 "${KC2[@]}" -C -q -t ret -p 0 -o 0 -e -X topic.auto.offset.reset=latest -f '%o ' 2>/dev/null)
t_eq "-o 0 below the log start with auto.offset.reset=latest resets to the end (reads nothing)" "" "$late"
errout=$(timeout 30 "${KC2[@]}" -C -t ret -p 0 -o 0 -e -X topic.auto.offset.reset=error -f '%o ' 2>&1)
if grep -qi 'out of range' <<<"$errout"; then
    t_ok "-o 0 below the log start with auto.offset.reset=error reports offset out of range"
else
    t_fail "-o 0 below the log start with auto.offset.reset=error reports offset out of range" "$errout"
fi

broker_stop b2
t_eq "broker b2 exits 0 on SIGTERM" 0 "$BROKER_RC"
broker_stop b1
t_eq "broker b1 exits 0 on SIGTERM" 0 "$BROKER_RC"
t_summary
