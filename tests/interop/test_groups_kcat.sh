#!/usr/bin/env bash
# test_groups_kcat.sh — kcat -G (librdkafka's balanced consumer, auto commit)
# against a Strait broker started here.
#
# Asserts: two `kcat -G` consumers in one group split a 4-partition topic
# (two partitions each, disjoint, together all four, as their rebalance
# messages say and DescribeGroups confirms: Stable, two members, range);
# records produced afterwards are each printed exactly once by the consumer
# that owns the record's partition; after both stop (SIGTERM: librdkafka
# commits on close) the group's committed offsets (OffsetFetch) equal the end
# offsets and the group is Empty; after a broker restart (same data dir and
# port) and more records, a new `kcat -G` in the group prints exactly the new
# records (the committed offsets are honoured: nothing repeated, nothing
# skipped) and exits at the end of the partitions (-e).
set -u
cd "$(dirname "$0")"
source lib/broker.sh
t_init groups-kcat

if ! command -v kcat >/dev/null; then
    t_fail "kcat is installed (make deps)"
    t_summary
fi

TOPIC=kc-groups
GROUP=kc-group
broker_start b1 num.partitions=4 group.initial.rebalance.delay.ms=0 \
    || { t_fail "broker starts"; t_summary; }

# raw-protocol helper: create | offsets | describe (prints one line)
kproto() {
    "$STRAIT_PYTHON" - "${B_PORT[b1]}" "$@" <<'PYEOF'
import os, sys
sys.path.insert(0, os.path.join(os.getcwd(), "lib"))
from kgroups import GroupConn, parse_assignment
port, cmd = int(sys.argv[1]), sys.argv[2]
c = GroupConn("127.0.0.1", port)
if cmd == "create":
    print(c.create_topics([(sys.argv[3], int(sys.argv[4]), 1, {})])[sys.argv[3]][0])
elif cmd == "offsets":          # committed vs end offsets: "p:committed/end ..."
    topic, group = sys.argv[3], sys.argv[4]
    _, offs = c.offset_fetch(group, {topic: [0, 1, 2, 3]})
    out = []
    for p in range(4):
        err, _ts, end = c.list_offsets(topic, p, -1)
        out.append("%d:%d/%d" % (p, offs.get(topic, {}).get(p, (-1,))[0], end))
    print(" ".join(out))
elif cmd == "describe":         # "state protocol n_members [partitions per member]"
    d = c.describe_groups([sys.argv[3]])[0]
    parts = sorted(str(sorted(sum(parse_assignment(m["assignment"]).values(), [])))
                   for m in d["members"] or [])
    print(d["state"], d["protocol"] or "-", len(d["members"] or []), " ".join(parts))
PYEOF
}

t_eq "topic $TOPIC created with 4 partitions" 0 "$(kproto create $TOPIC 4)"

KC=(kcat -b "$(bootstrap b1)" -X socket.timeout.ms=10000)
KG=("${KC[@]}" -G "$GROUP" -X auto.offset.reset=earliest -X session.timeout.ms=6000
    -X heartbeat.interval.ms=500 -X auto.commit.interval.ms=500 -X fetch.wait.max.ms=100
    -f '%p %o %k\n' -u)

# last assignment a kcat -G consumer reported on stderr: "0 1" (sorted)
last_assigned() {
    local line
    line=$(grep -E 'rebalanced .*: (assigned|revoked):' "$1" 2>/dev/null | tail -1)
    case $line in
    *assigned:*) echo "$line" | sed 's/.*assigned://' | grep -oE '\[[0-9]+\]' | tr -d '[]' | sort -n | tr '\n' ' ' | sed 's/ $//' ;;
    *) echo "" ;;
    esac
}

t_bg "${KG[@]}" "$TOPIC" >"$T_TMP/a.out" 2>"$T_TMP/a.err"
pid_a=$T_BG_PID
t_bg "${KG[@]}" "$TOPIC" >"$T_TMP/b.out" 2>"$T_TMP/b.err"
pid_b=$T_BG_PID

asg_a= asg_b=
for ((i = 0; i < 200; i++)); do # <= 20 s
    asg_a=$(last_assigned "$T_TMP/a.err")
    asg_b=$(last_assigned "$T_TMP/b.err")
    if [ -n "$asg_a" ] && [ -n "$asg_b" ] &&
        [ "$(echo "$asg_a $asg_b" | tr ' ' '\n' | sort -n | tr '\n' ' ')" = "0 1 2 3 " ]; then
        break
    fi
    sleep 0.1
done
t_eq "two kcat -G consumers split the 4 partitions (a: [$asg_a], b: [$asg_b])" \
    "2 2 0 1 2 3" \
    "$(echo "$asg_a" | wc -w) $(echo "$asg_b" | wc -w) $(echo "$asg_a $asg_b" | tr ' ' '\n' | grep . | sort -n | tr '\n' ' ' | sed 's/ $//')"
desc=$(kproto describe $GROUP)
t_eq "DescribeGroups: Stable, range, two members with two partitions each" \
    "Stable range 2 [0, 1] [2, 3]" "$desc"

N=400
for ((i = 0; i < N; i++)); do printf 'k-%d:v-%d\n' "$i" "$i"; done >"$T_TMP/in1.txt"
if timeout 60 "${KC[@]}" -P -t "$TOPIC" -K: -X linger.ms=5 <"$T_TMP/in1.txt"; then
    t_ok "produced $N keyed records with kcat -P"
else
    t_fail "produced $N keyed records with kcat -P"
fi
for ((i = 0; i < 300; i++)); do # <= 30 s
    [ "$(cat "$T_TMP/a.out" "$T_TMP/b.out" | wc -l)" -ge "$N" ] && break
    sleep 0.1
done
sleep 1 # anything extra shows up

# every key once, in the partitions of the consumer that printed it
check_split() {
    "$STRAIT_PYTHON" - "$T_TMP/a.out" "$T_TMP/b.out" "$asg_a" "$asg_b" "$N" <<'PYEOF'
import sys
a, b, asg_a, asg_b, n = sys.argv[1], sys.argv[2], sys.argv[3].split(), sys.argv[4].split(), int(sys.argv[5])
seen, wrong, counts = {}, [], []
for path, asg in ((a, asg_a), (b, asg_b)):
    lines = [l.split() for l in open(path) if l.strip()]
    counts.append(len(lines))
    for p, off, key in lines:
        seen[key] = seen.get(key, 0) + 1
        if p not in asg:
            wrong.append((path[-5:], p, key))
want = {"k-%d" % i for i in range(n)}
missing = sorted(want - set(seen))
dup = sorted(k for k, c in seen.items() if c > 1)
extra = sorted(set(seen) - want)
if missing or dup or extra or wrong or 0 in counts:
    print("BAD counts %s, %d missing %s, %d repeated %s, %d unexpected %s, %d outside own partitions %s"
          % (counts, len(missing), missing[:3], len(dup), dup[:3], len(extra), extra[:3], len(wrong), wrong[:3]))
else:
    print("OK a printed %d, b printed %d" % tuple(counts))
PYEOF
}
res=$(check_split 2>&1)
case $res in
OK*) t_ok "every record printed exactly once, by the consumer owning its partition (${res#OK })" ;;
*) t_fail "every record printed exactly once, by the consumer owning its partition" "$res" ;;
esac

# stop both (SIGTERM: kcat closes the consumer, which commits and leaves)
for pid in $pid_a $pid_b; do kill -TERM "$pid" 2>/dev/null; done
for pid in $pid_a $pid_b; do
    for ((i = 0; i < 150; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
done
offs=$(kproto offsets $TOPIC $GROUP)
bad=$(echo "$offs" | tr ' ' '\n' | awk -F'[:/]' '$2 != $3' | wc -l)
t_eq "after both consumers stop, the committed offsets equal the end offsets ($offs)" 0 "$bad"
t_eq "the group is Empty with no members" "Empty - 0" "$(kproto describe $GROUP | sed 's/ *$//')"

# broker restart, more records, a new kcat -G resumes from the committed offsets
broker_stop b1
t_eq "broker exits 0 on SIGTERM" 0 "$BROKER_RC"
broker_start b1 --port "${B_PORT[b1]}" num.partitions=4 group.initial.rebalance.delay.ms=0 \
    || { t_fail "broker restarts on the same port and data dir"; t_summary; }
t_ok "broker restarted on the same data dir and port"
t_eq "committed offsets unchanged after the restart" "$offs" "$(kproto offsets $TOPIC $GROUP)"
M=150
for ((i = N; i < N + M; i++)); do printf 'k-%d:v-%d\n' "$i" "$i"; done >"$T_TMP/in2.txt"
if timeout 60 "${KC[@]}" -P -t "$TOPIC" -K: -X linger.ms=5 <"$T_TMP/in2.txt"; then
    t_ok "produced $M more records after the restart"
else
    t_fail "produced $M more records after the restart"
fi
timeout 60 "${KG[@]}" -e "$TOPIC" >"$T_TMP/c.out" 2>"$T_TMP/c.err"
rc=$?
t_eq "kcat -G -e in the same group exits 0 at the end of its partitions" 0 "$rc"
res=$("$STRAIT_PYTHON" - "$T_TMP/c.out" "$N" "$M" 2>&1 <<'PYEOF'
import sys
lines = [l.split() for l in open(sys.argv[1]) if l.strip()]
n, m = int(sys.argv[2]), int(sys.argv[3])
keys = [k for _p, _o, k in lines]
want = {"k-%d" % i for i in range(n, n + m)}
missing = sorted(want - set(keys))
extra = sorted(set(keys) - want)
dup = len(keys) - len(set(keys))
print("OK" if not missing and not extra and not dup else
      "BAD %d lines, %d missing %s, %d old or unexpected %s, %d repeated"
      % (len(keys), len(missing), missing[:3], len(extra), extra[:3], dup))
PYEOF
)
t_eq "the restarted consumer prints exactly the $M new records (committed offsets honoured)" OK "$res"
offs2=$(kproto offsets $TOPIC $GROUP)
bad=$(echo "$offs2" | tr ' ' '\n' | awk -F'[:/]' '$2 != $3' | wc -l)
t_eq "its commits on exit move the committed offsets to the end ($offs2)" 0 "$bad"

if [ "$T_FAILED" -gt 0 ]; then
    for f in a b c; do
        echo "---- kcat $f stderr (last 10 lines) ----"
        tail -10 "$T_TMP/$f.err" 2>/dev/null | sed 's/^/    /'
    done
    echo "---- broker log (last 20 lines) ----"
    tail -20 "${B_LOG[b1]}" | sed 's/^/    /'
fi
if broker_alive b1; then t_ok "broker still running after the clients"; else t_fail "broker still running after the clients"; fi
broker_stop b1
t_eq "broker exits 0 on SIGTERM at the end" 0 "$BROKER_RC"
t_summary
