#!/usr/bin/env bash
# test_tools_tutorial.sh — the seed's Kafka CLI tutorial, scripted with the
# `strait` tools against a Strait broker, each step checked for the output
# Kafka's scripts would print:
#   create first_topic, and second_topic with 3 partitions; list and describe
#   them; produce with keys (parse.key, key.separator=:); consume from the
#   beginning printing timestamp, partition and key (keys on their murmur2
#   partition); two consumers in one group splitting the partitions, one of
#   them stopped with Ctrl-C (it leaves the group: the other takes over at
#   once); a second group reading everything from the beginning; list and
#   describe the groups (offsets, lag, members, state); reset a group's
#   offsets to the earliest with --dry-run (nothing changes) then --execute
#   (the lag comes back); consume again from the reset offsets; a reset
#   refused while the group is active; delete a group.
# shellcheck disable=SC2317 # checks run through wait_until
set -u
cd "$(dirname "$0")" || exit 1
source lib/broker.sh
source lib/tools.sh
tools_init tools-tutorial

broker_start b1 || { t_fail "broker starts"; t_summary; }
BS=$(bootstrap b1)
O=$T_TMP/out

# ---- topics ----------------------------------------------------------------------------
st "$O" topics --bootstrap-server "$BS" --create --topic first_topic
t_rc "create first_topic: exit 0" 0
t_grep "create first_topic: 'Created topic first_topic.'" "$O" '^Created topic first_topic\.$'
t_grep "create first_topic: Kafka's warning about '.' and '_' in names" "$O" \
    "^WARNING: Due to limitations in metric names, topics with a period \('\.'\) or underscore \('_'\) could collide"

st "$O" topics --bootstrap-server "$BS" --create --topic second_topic --partitions 3 \
    --replication-factor 1
t_rc "create second_topic with 3 partitions: exit 0" 0
t_grep "create second_topic: 'Created topic second_topic.'" "$O" '^Created topic second_topic\.$'

st "$O" topics --bootstrap-server "$BS" --create --topic first_topic
t_rc "creating first_topic again fails" 1
t_grep "creating first_topic again names the topic" "$O.err" \
    "^Error while executing topic command : Topic 'first_topic' already exists\.$"
st "$O" topics --bootstrap-server "$BS" --create --topic first_topic --if-not-exists
t_rc "creating first_topic again with --if-not-exists: exit 0" 0
t_nogrep "--if-not-exists prints no 'Created'" "$O" '^Created'

st "$O" topics --bootstrap-server "$BS" --list
t_eq "--list prints the two topics, sorted" "first_topic
second_topic" "$(cat "$O")"

st "$O" topics --bootstrap-server "$BS" --describe --topic second_topic
t_rc "describe second_topic: exit 0" 0
t_grep "describe: Kafka's topic line" "$O" \
    $'^Topic: second_topic\tTopicId: [A-Za-z0-9_-]{22}\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: '
for p in 0 1 2; do
    t_grep "describe: partition $p line" "$O" \
        $'^\tTopic: second_topic\tPartition: '$p$'\tLeader: [0-9]+\tReplicas: [0-9]+\tIsr: [0-9]+\tElr: N/A\tLastKnownElr: N/A$'
done
t_lines "describe second_topic: one topic line and 3 partition lines" "$O" 4

# ---- produce with keys ---------------------------------------------------------------------
printf 'user_1:hello world\nuser_2:second message\nuser_1:third one\n' >"$T_TMP/first.txt"
st_in "$T_TMP/first.txt" "$O" console-producer --bootstrap-server "$BS" --topic first_topic \
    --property parse.key=true --property key.separator=:
t_rc "console-producer with parse.key: exit 0" 0
st "$O" get-offsets --bootstrap-server "$BS" --topic first_topic
t_eq "get-offsets: first_topic holds the 3 records" "first_topic:0:3" "$(cat "$O")"

# 30 keyed records for second_topic: 6 keys, 5 values each
: >"$T_TMP/second.txt"
for ((i = 0; i < 30; i++)); do echo "key_$((i % 6)):value_$i" >>"$T_TMP/second.txt"; done
st_in "$T_TMP/second.txt" "$O" console-producer --bootstrap-server "$BS" --topic second_topic \
    --property parse.key=true --property key.separator=:
t_rc "console-producer into second_topic: exit 0" 0

# ---- consume from the beginning, printing key, timestamp and partition ------------------------
now=$(now_ms)
st "$O" console-consumer --bootstrap-server "$BS" --topic first_topic --from-beginning \
    --property print.key=true --property print.timestamp=true --property print.partition=true \
    --max-messages 3 --timeout-ms 20000
t_rc "console-consumer --from-beginning --max-messages 3: exit 0" 0
t_lines "console-consumer printed 3 records" "$O" 3
t_grep "record 1: CreateTime, partition, key, value" <(sed -n 1p "$O") \
    $'^CreateTime:[0-9]{13}\tPartition:0\tuser_1\thello world$'
t_grep "record 2 in order" <(sed -n 2p "$O") $'^CreateTime:[0-9]{13}\tPartition:0\tuser_2\tsecond message$'
t_grep "record 3 in order" <(sed -n 3p "$O") $'^CreateTime:[0-9]{13}\tPartition:0\tuser_1\tthird one$'
late=$(awk -F'[:\t]' -v now="$now" '{ d = now - $2; if (d < -60000 || d > 600000) print }' "$O")
t_eq "record timestamps are the produce time" "" "$late"
t_grep "'Processed a total of 3 messages' on stderr" "$O.err" '^Processed a total of 3 messages$'

# keys on the partition Java's murmur2 rule gives
st "$O" console-consumer --bootstrap-server "$BS" --topic second_topic --from-beginning \
    --property print.key=true --property print.partition=true --max-messages 30 --timeout-ms 20000
t_lines "second_topic from the beginning: 30 records" "$O" 30
placement=$("$STRAIT_PYTHON" - "$O" <<'EOF'
import sys
def murmur2(data):
    length, m, r = len(data), 0x5bd1e995, 24
    h = (0x9747b28c ^ length) & 0xffffffff
    for i in range(length // 4):
        k = data[4*i] | data[4*i+1] << 8 | data[4*i+2] << 16 | data[4*i+3] << 24
        k = (k * m) & 0xffffffff; k ^= k >> r; k = (k * m) & 0xffffffff
        h = (h * m) & 0xffffffff; h ^= k
    tail, rest = length & ~3, length % 4
    if rest == 3: h ^= data[tail + 2] << 16
    if rest >= 2: h ^= data[tail + 1] << 8
    if rest >= 1:
        h ^= data[tail]; h = (h * m) & 0xffffffff
    h ^= h >> 13; h = (h * m) & 0xffffffff; h ^= h >> 15
    return h
bad = []
for line in open(sys.argv[1]):
    part, key, value = line.rstrip("\n").split("\t")
    want = (murmur2(key.encode()) & 0x7fffffff) % 3
    if part != "Partition:%d" % want:
        bad.append("%s on %s, murmur2 says %d" % (key, part, want))
print("; ".join(bad[:3]))
EOF
)
t_eq "every key is on its murmur2 partition (Java's rule)" "" "$placement"
leo=$("$ST" get-offsets --bootstrap-server "$BS" --topic second_topic 2>/dev/null)
total=$(echo "$leo" | awk -F: '{ s += $3 } END { print s }')
t_eq "get-offsets: second_topic's partitions hold 30 records" 30 "$total"

# ---- two consumers in one group split the partitions --------------------------------------------
G1=my-first-application
declare -A PID=()
start_consumer() { # NAME ARGS...: a background console-consumer; pid in PID[NAME]
    local name=$1
    shift
    "$ST" console-consumer --bootstrap-server "$BS" "$@" >"$T_TMP/$name.out" 2>"$T_TMP/$name.err" &
    PID[$name]=$!
    T_CHILD_PIDS+=("${PID[$name]}")
}
members() { # prints "<#members> <#partitions>" of a group
    "$ST" consumer-groups --bootstrap-server "$BS" --describe --group "$1" --members 2>/dev/null |
        awk -v g="$1" '$1 == g { n++; p += $5 } END { print n + 0, p + 0 }'
}
members_are() { test "$(members "$1")" = "$2"; }
committed_rows() { # the number of rows with a numeric CURRENT-OFFSET
    "$ST" consumer-groups --bootstrap-server "$BS" --describe --group "$1" 2>/dev/null |
        awk -v g="$1" '$1 == g && $4 ~ /^[0-9]+$/ { n++ } END { print n + 0 }'
}

start_consumer c1 --topic second_topic --group "$G1" --property print.partition=true
start_consumer c2 --topic second_topic --group "$G1" --property print.partition=true
if wait_until 30 members_are "$G1" "2 3"; then
    t_ok "two consumers joined $G1 and split its 3 partitions"
else
    t_fail "two consumers joined $G1 and split its 3 partitions" "members/partitions: $(members "$G1")"
fi
# their positions are known once the first auto commit lists all 3 partitions
all_committed() { test "$(committed_rows "$G1")" = 3; }
wait_until 15 all_committed || sleep 2

: >"$T_TMP/third.txt"
for ((i = 0; i < 30; i++)); do echo "key_$i:group_value_$i" >>"$T_TMP/third.txt"; done
st_in "$T_TMP/third.txt" "$O" console-producer --bootstrap-server "$BS" --topic second_topic \
    --property parse.key=true --property key.separator=:
got() { cat "$T_TMP/c1.out" "$T_TMP/c2.out" | grep -c group_value_; }
got_all() { test "$(got)" -ge 30; }
wait_until 30 got_all
t_eq "the group's two consumers received the 30 new records between them" 30 "$(got)"
p1=$(cut -f1 "$T_TMP/c1.out" | sort -u | tr '\n' ' ')
p2=$(cut -f1 "$T_TMP/c2.out" | sort -u | tr '\n' ' ')
if [ -n "$p1" ] && [ -n "$p2" ] && [ -z "$(comm -12 <(cut -f1 "$T_TMP/c1.out" | sort -u) <(cut -f1 "$T_TMP/c2.out" | sort -u))" ]; then
    t_ok "each consumer read its own partitions (c1: $p1/ c2: $p2)"
else
    t_fail "each consumer read its own partitions" "c1: [$p1] c2: [$p2]"
fi
dups=$(cat "$T_TMP/c1.out" "$T_TMP/c2.out" | cut -f2 | sort | uniq -d | head -3)
t_eq "no record was read twice" "" "$dups"

st "$O" consumer-groups --bootstrap-server "$BS" --describe --group "$G1" --members
t_grep "--members: Kafka's header" "$O" '^GROUP +CONSUMER-ID +HOST +CLIENT-ID +#PARTITIONS +$'
t_grep "--members: a console-consumer row" "$O" "^$G1 +console-consumer-[^ ]+ +[^ ]+ +console-consumer +[12] +$"

# Ctrl-C leaves the group: the other consumer gets every partition at once
kill -INT "${PID[c1]}"
rc=0
wait "${PID[c1]}" || rc=$?
t_eq "Ctrl-C: console-consumer exits with 130 (SIGINT)" 130 "$rc"
n1=$(wc -l <"$T_TMP/c1.out" | tr -d ' ')
t_grep "Ctrl-C: 'Processed a total of $n1 messages'" "$T_TMP/c1.err" "^Processed a total of $n1 messages$"
if wait_until 15 members_are "$G1" "1 3"; then
    t_ok "after Ctrl-C the remaining consumer owns all 3 partitions (clean LeaveGroup)"
else
    t_fail "after Ctrl-C the remaining consumer owns all 3 partitions" "$(members "$G1")"
fi
kill -INT "${PID[c2]}"
wait "${PID[c2]}"
st "$O" consumer-groups --bootstrap-server "$BS" --describe --group "$G1"
t_grep "describe an empty group: 'has no active members' on stderr" "$O.err" \
    "^Consumer group '$G1' has no active members\.$"
t_grep "describe $G1: offsets committed on close, lag 0, no consumer" "$O" \
    "^$G1 +second_topic +[012] +[0-9]+ +[0-9]+ +0 +- +- +-$"

# ---- a second group reads from the beginning ------------------------------------------------
G2=my-second-application
st "$O" console-consumer --bootstrap-server "$BS" --topic second_topic --group "$G2" \
    --from-beginning --max-messages 60 --timeout-ms 20000
t_rc "second group --from-beginning: exit 0" 0
t_lines "the second group read all 60 records of second_topic" "$O" 60

st "$O" consumer-groups --bootstrap-server "$BS" --list
t_grep "--list shows $G1" "$O" "^$G1$"
t_grep "--list shows $G2" "$O" "^$G2$"

st "$O" consumer-groups --bootstrap-server "$BS" --describe --group "$G2"
t_rc "describe $G2: exit 0" 0
t_grep "describe: Kafka's header" "$O" \
    '^GROUP +TOPIC +PARTITION +CURRENT-OFFSET +LOG-END-OFFSET +LAG +CONSUMER-ID +HOST +CLIENT-ID$'
for p in 0 1 2; do
    end=$("$ST" get-offsets --bootstrap-server "$BS" --topic second_topic --partitions "$p" | cut -d: -f3)
    t_grep "describe $G2 partition $p: CURRENT-OFFSET = LOG-END-OFFSET = $end, LAG 0" "$O" \
        "^$G2 +second_topic +$p +$end +$end +0 +- +- +-$"
done
st "$O" consumer-groups --bootstrap-server "$BS" --describe --group "$G2" --state
t_grep "--state: header" "$O" '^GROUP +COORDINATOR \(ID\) +ASSIGNMENT-STRATEGY +STATE +#MEMBERS$'
t_grep "--state: Empty with 0 members" "$O" "^$G2 +[^ ]+:[0-9]+ +\([0-9]+\) +[^ ]+ +Empty +0$"

# ---- reset offsets to the earliest: --dry-run, then --execute -------------------------------------
lag_sum() {
    "$ST" consumer-groups --bootstrap-server "$BS" --describe --group "$1" 2>/dev/null |
        awk -v g="$1" '$1 == g { s += $6 } END { print s + 0 }'
}
t_eq "before the reset $G1 has no lag" 0 "$(lag_sum "$G1")"
st "$O" consumer-groups --bootstrap-server "$BS" --group "$G1" --reset-offsets --to-earliest \
    --topic second_topic --dry-run
t_rc "reset --dry-run: exit 0" 0
t_grep "reset --dry-run: Kafka's header" "$O" '^GROUP +TOPIC +PARTITION +NEW-OFFSET$'
for p in 0 1 2; do
    t_grep "reset --dry-run: partition $p to 0" "$O" "^$G1 +second_topic +$p +0$"
done
t_eq "--dry-run changed nothing (still no lag)" 0 "$(lag_sum "$G1")"
st "$O" consumer-groups --bootstrap-server "$BS" --group "$G1" --reset-offsets --to-earliest \
    --topic second_topic --execute
t_rc "reset --execute: exit 0" 0
t_grep "reset --execute prints the plan it committed" "$O" "^$G1 +second_topic +0 +0$"
t_eq "after --execute the lag is every record (60)" 60 "$(lag_sum "$G1")"
st "$O" consumer-groups --bootstrap-server "$BS" --describe --group "$G1"
t_grep "describe after the reset: CURRENT-OFFSET 0" "$O" "^$G1 +second_topic +0 +0 +[0-9]+ +[0-9]+ +- +- +-$"

# ---- consume again: the group starts over -------------------------------------------------------------
st "$O" console-consumer --bootstrap-server "$BS" --topic second_topic --group "$G1" \
    --max-messages 60 --timeout-ms 20000
t_lines "consuming again with $G1 reads all 60 records from the reset offsets" "$O" 60
t_eq "and commits them: no lag left" 0 "$(lag_sum "$G1")"

# ---- a reset is refused while the group is active -----------------------------------------------------
start_consumer c3 --topic second_topic --group "$G1"
wait_until 30 members_are "$G1" "1 3"
st "$O" consumer-groups --bootstrap-server "$BS" --group "$G1" --reset-offsets --to-earliest \
    --all-topics --execute
t_rc "reset of an active group: exit 1" 1
t_grep "reset of an active group is refused as Kafka does" "$O" \
    "^Error: Assignments can only be reset if the group '$G1' is inactive, but the current state is Stable\.$"
kill -INT "${PID[c3]}"
wait "${PID[c3]}"
t_eq "the refused reset changed nothing" 0 "$(lag_sum "$G1")"

# ---- delete a group -----------------------------------------------------------------------------------------
st "$O" consumer-groups --bootstrap-server "$BS" --delete --group "$G2"
t_rc "delete $G2: exit 0" 0
t_grep "delete: Kafka's message" "$O" "^Deletion of requested consumer groups \('$G2'\) was successful\.$"
st "$O" consumer-groups --bootstrap-server "$BS" --list
t_nogrep "--list no longer shows $G2" "$O" "^$G2$"
st "$O" consumer-groups --bootstrap-server "$BS" --describe --group "$G2"
t_grep "describing the deleted group says it does not exist" "$O" "^Error: Consumer group '$G2' does not exist\.$"

if broker_alive b1; then t_ok "broker still running"; else t_fail "broker still running"; fi
broker_stop b1
t_summary
