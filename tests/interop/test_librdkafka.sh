#!/usr/bin/env bash
# test_librdkafka.sh — compiles test_librdkafka.c against librdkafka (tests
# only) and runs it against a broker started here with num.partitions=6 (the
# program's topics are auto-created through Metadata). See the .c file for
# what it asserts.
set -u
cd "$(dirname "$0")" || exit 1
source lib/broker.sh
t_init librdkafka

bin=$T_TMP/test_librdkafka
if ! gcc -std=gnu11 -O2 -Wall -Wextra -o "$bin" test_librdkafka.c lib/rdkafka_test.c \
    -lrdkafka 2>"$T_TMP/cc.err"; then
    t_fail "test_librdkafka.c compiles against librdkafka (make deps installs librdkafka-dev)" \
        "$(head -20 "$T_TMP/cc.err")"
    t_summary
fi
cat "$T_TMP/cc.err"

broker_start b1 num.partitions=6 || { t_fail "broker starts"; t_summary; }
timeout 400 "$bin" "$(bootstrap b1)" >"$T_TMP/out.txt" 2>"$T_TMP/err.txt"
rc=$?
cat "$T_TMP/out.txt"
sed 's/^/    /' "$T_TMP/err.txt" | head -40
t_absorb "$T_TMP/out.txt"
if [ "$rc" -ne 0 ] && ! grep -q '^FAIL - ' "$T_TMP/out.txt"; then
    t_fail "test program exits cleanly" "exit status $rc"
fi
# On disk, the idempotent topic's batches keep the producer id, epoch and
# sequence numbers the producer sent: one producer id, sequences contiguous
# from 0 in each partition and equal to the batch's base offset.
"$STRAIT_PYTHON" - "${B_DIR[b1]}" >"$T_TMP/disk.txt" 2>&1 <<'EOF'
import glob, os, struct, sys
problems, pids, batches = [], set(), 0
for part in range(6):
    d = os.path.join(sys.argv[1], "idem-%d" % part)
    next_seq = 0
    for path in sorted(glob.glob(d + "/*.log")):
        data = open(path, "rb").read()
        p = 0
        while p + 61 <= len(data):
            base, length = struct.unpack(">qi", data[p:p + 12])
            if length <= 0:
                problems.append("%s@%d: batch length %d" % (path, p, length))
                break
            lod = struct.unpack(">i", data[p + 23:p + 27])[0]
            pid, epoch, seq = struct.unpack(">qhi", data[p + 43:p + 57])
            pids.add((pid, epoch))
            if seq != next_seq or base != seq:
                problems.append("%s@%d: base offset %d, sequence %d, expected %d"
                                % (path, p, base, seq, next_seq))
            next_seq = seq + lod + 1
            batches += 1
            p += 12 + length
    if next_seq != 100000 // 6 + (1 if part < 100000 % 6 else 0):
        problems.append("partition %d: sequences end at %d" % (part, next_seq))
if len(pids) != 1 or min(pids)[0] < 0:
    problems.append("producer id/epoch pairs %s" % sorted(pids)[:5])
print("OK %d batches" % batches if not problems else "BAD " + "; ".join(problems[:3]))
EOF
if grep -q '^OK' "$T_TMP/disk.txt"; then
    t_ok "idempotent batches on disk keep one producer id and contiguous sequences ($(cut -d' ' -f2- "$T_TMP/disk.txt"))"
else
    t_fail "idempotent batches on disk keep one producer id and contiguous sequences" "$(cat "$T_TMP/disk.txt")"
fi
if broker_alive b1; then t_ok "broker still running after the clients"; else t_fail "broker still running after the clients"; fi
broker_stop b1
t_eq "broker exits 0 on SIGTERM" 0 "$BROKER_RC"
t_summary
