#!/usr/bin/env bash
# test_tools_commands.sh — the `strait` tools' verbs and flags beyond the
# tutorial, against a Strait broker, checked for Kafka's output shapes.
#
# topics: --describe of all / by regex, --config at creation and
#   --topics-with-overrides, --alter --partitions (up; down is refused with
#   the broker's reason), --delete by name and regex, --exclude-internal.
# configs: --alter --add-config (with [a,b] values) / --delete-config and
#   --describe (dynamic only, --all), "Invalid config(s)", brokers and the
#   cluster default.
# get-offsets: --time earliest/latest/-1/-2/<ms>/max-timestamp on records
#   with known timestamps (written by confluent-kafka-python), --partitions,
#   --topic-partitions rules, Kafka's "topic-partition" string order.
# console-producer: parse.headers, null.marker, ignore.error, every
#   --compression-codec (the codec lands on disk), acks 0/1, --sync, bad
#   producer properties.
# console-consumer: --partition with --offset, print.offset/print.headers/
#   print.value=false, key.separator, --include regex, a random group id
#   ("console-consumer-<n>") when --group is absent, read_committed.
# consumer-groups: --list --state, --describe --all-groups / --verbose,
#   --reset-offsets --to-offset (clamped) / --shift-by / --to-latest /
#   --to-current / --to-datetime / --by-duration / --export / --from-file,
#   --delete-offsets, --delete of a group with members (refused).
# shellcheck disable=SC2317 # checks run through wait_until
set -u
cd "$(dirname "$0")" || exit 1
source lib/broker.sh
source lib/tools.sh
tools_init tools-commands

broker_start b1 || { t_fail "broker starts"; t_summary; }
BS=$(bootstrap b1)
B=(--bootstrap-server "$BS")
O=$T_TMP/out
S() { st "$O" "$@"; }
produce() { # TOPIC FILE [ARGS...]
    local topic=$1 file=$2
    shift 2
    st_in "$file" "$O" console-producer "${B[@]}" --topic "$topic" "$@"
}

# ---- topics ----------------------------------------------------------------------------------
S topics "${B[@]}" --create --topic orders.eu --partitions 2 --config retention.ms=123456 \
    --config "cleanup.policy = compact"
t_rc "create with two --config overrides" 0
S topics "${B[@]}" --create --topic orders.us --partitions 1
S topics "${B[@]}" --create --topic payments
S topics "${B[@]}" --describe --topic 'orders\..*'
t_rc "describe by regex" 0
t_eq "--topic is a regular expression: both orders topics, sorted" "orders.eu orders.us" \
    "$(grep '^Topic: ' "$O" | awk '{ print $2 }' | tr '\n' ' ' | sed 's/ $//')"
t_grep "describe shows the overrides in Configs:" "$O" \
    $'^Topic: orders.eu\t.*Configs: .*cleanup.policy=compact.*retention.ms=123456'
S topics "${B[@]}" --describe
t_eq "describe without --topic shows every topic" 3 "$(grep -c '^Topic: ' "$O")"
S topics "${B[@]}" --describe --topics-with-overrides --topic 'orders.eu'
t_grep "--topics-with-overrides prints the topic line" "$O" '^Topic: orders.eu'
t_nogrep "--topics-with-overrides prints no partition lines" "$O" $'^\tTopic:'
S topics "${B[@]}" --create --topic bad --config retention.ms
t_rc "a --config without '=' is refused" 1
t_grep "with Kafka's message" "$O.err" 'all configs to be added must be in the format "key=val"'
S topics "${B[@]}" --create --topic bad2 --config no.such.config=1
t_rc "an unknown topic config is refused by the broker" 1
t_grep "the broker's reason is shown" "$O.err" 'no.such.config'

S topics "${B[@]}" --alter --topic orders.us --partitions 4
t_rc "alter --partitions 4" 0
S topics "${B[@]}" --describe --topic orders.us
t_grep "orders.us now has 4 partitions" "$O" $'PartitionCount: 4\t'
t_eq "and 4 partition lines" 4 "$(grep -c $'^\tTopic: orders.us\tPartition' "$O")"
S topics "${B[@]}" --alter --topic orders.us --partitions 2
t_rc "reducing the partition count is refused" 1
t_grep "with the broker's reason naming the counts" "$O.err" \
    '^Error while executing topic command : .*(4|2).*'

S topics "${B[@]}" --delete --topic 'orders\..*'
t_rc "delete by regex" 0
S topics "${B[@]}" --list
t_eq "both orders topics are gone" payments "$(cat "$O")"
S topics "${B[@]}" --delete --topic nosuch --if-exists
t_rc "delete --if-exists of a missing topic: exit 0" 0

# ---- console-producer properties and codecs ----------------------------------------------------------
S topics "${B[@]}" --create --topic props
printf 'h1:v1,h2:v2\tk1:value one\n\tk2:value two\nNULL:value three\n' >"$T_TMP/props.txt"
produce props "$T_TMP/props.txt" --property parse.headers=true --property parse.key=true \
    --property key.separator=: --property null.marker=NULL --property ignore.error=true
t_rc "producer with parse.headers, parse.key, null.marker" 0
S console-consumer "${B[@]}" --topic props --from-beginning --max-messages 3 --timeout-ms 20000 \
    --property print.headers=true --property print.key=true --property print.offset=true \
    --property "key.separator= | "
t_eq "headers, keys (a null key via null.marker), offsets, custom separator" \
    "Offset:0 | h1:v1,h2:v2 | k1 | value one
Offset:1 | NO_HEADERS | k2 | value two
Offset:2 | NO_HEADERS | null | value three" "$(cat "$O")"
printf 'no separator here\n' >"$T_TMP/nosep.txt"
produce props "$T_TMP/nosep.txt" --property parse.key=true --property ignore.error=true
t_rc "ignore.error=true: a line without the separator is sent with a null key" 0
produce props "$T_TMP/nosep.txt" --property parse.key=true
t_rc "without ignore.error the line is an error" 1
t_grep "naming the line" "$O.err" "No key separator found on line number 1: 'no separator here'"

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
        codecs.add(struct.unpack(">h", data[p + 21:p + 23])[0] & 7)
        p += 12 + length
print(" ".join(str(c) for c in sorted(codecs)))
EOF
}
seq 1 200 | sed 's/^/line /' >"$T_TMP/lines.txt"
id=1
for codec in gzip snappy lz4 zstd; do
    S topics "${B[@]}" --create --topic "codec-$codec"
    produce "codec-$codec" "$T_TMP/lines.txt" --compression-codec "$codec"
    t_rc "--compression-codec $codec" 0
    S console-consumer "${B[@]}" --topic "codec-$codec" --from-beginning --max-messages 200 --timeout-ms 20000
    if cmp -s "$O" "$T_TMP/lines.txt"; then t_ok "$codec: the 200 lines read back"; else t_fail "$codec: the 200 lines read back"; fi
    t_eq "$codec: batches on disk carry codec $id" "$id" "$(disk_codecs "${B_DIR[b1]}/codec-$codec-0")"
    id=$((id + 1))
done
S topics "${B[@]}" --create --topic codec-default
produce codec-default "$T_TMP/lines.txt" --compression-codec
t_eq "--compression-codec without a value is gzip, as in Kafka" 1 \
    "$(disk_codecs "${B_DIR[b1]}/codec-default-0")"
for acks in 0 1 all; do
    produce "acks-$acks" "$T_TMP/lines.txt" --request-required-acks "$acks" --sync
    t_rc "--request-required-acks $acks --sync (auto-created topic)" 0
done
S get-offsets "${B[@]}" --topic 'acks-.*'
t_eq "every acks mode wrote the 200 records" "acks-0:0:200 acks-1:0:200 acks-all:0:200" \
    "$(tr '\n' ' ' <"$O" | sed 's/ $//')"
produce props "$T_TMP/lines.txt" --producer-property linger.ms=abc
t_rc "a bad --producer-property value is refused" 1
t_grep "naming the property" "$O.err" 'linger.ms'

# ---- get-offsets by time (records with known timestamps) ---------------------------------------------
S topics "${B[@]}" --create --topic timed --partitions 2
"$STRAIT_PYTHON" - "$BS" <<'EOF' >"$T_TMP/py.out" 2>&1
import sys
from confluent_kafka import Producer
p = Producer({"bootstrap.servers": sys.argv[1], "linger.ms": 0})
for i, ts in enumerate([1000, 3000, 2000]):
    p.produce("timed", value=b"v%d" % i, partition=0, timestamp=ts)
p.produce("timed", value=b"p1", partition=1, timestamp=5000)
p.flush(30)
EOF
t_eq "records with explicit timestamps produced (confluent-kafka-python)" "" "$(cat "$T_TMP/py.out")"
for spec in "earliest:0:0" "-2:0:0" "latest:3:1" "-1:3:1" "1500:1:0" "2500:1:0" "max-timestamp:1:0"; do
    t=${spec%%:*} rest=${spec#*:}
    S get-offsets "${B[@]}" --topic timed --time "$t"
    t_eq "--time $t" "timed:0:${rest%%:*} timed:1:${rest#*:}" "$(tr '\n' ' ' <"$O" | sed 's/ $//')"
done
S get-offsets "${B[@]}" --topic timed --time 4000
t_eq "--time past a partition's last record leaves it out" "timed:1:0" "$(cat "$O")"
S get-offsets "${B[@]}" --topic timed --partitions 1
t_eq "--partitions 1" "timed:1:1" "$(cat "$O")"
S topics "${B[@]}" --create --topic many --partitions 12
S get-offsets "${B[@]}" --topic-partitions 'many:9-11,timed:1'
t_eq "--topic-partitions ranges (upper exclusive), Kafka's string order" \
    "many:10:0 many:9:0 timed:1:1" "$(tr '\n' ' ' <"$O" | sed 's/ $//')"
S get-offsets "${B[@]}" --topic-partitions 'many:11-'
t_eq "--topic-partitions open range" "many:11:0" "$(cat "$O")"
S get-offsets "${B[@]}" --topic many --topic-partitions many:1
t_rc "--topic with --topic-partitions is refused" 1

# ---- console-consumer: partition/offset, include, random group -----------------------------------------
S console-consumer "${B[@]}" --topic timed --partition 0 --offset 1 --max-messages 2 --timeout-ms 20000 \
    --property print.offset=true --property print.timestamp=true
t_eq "--partition 0 --offset 1: records 1 and 2 with their timestamps" \
    "CreateTime:3000	Offset:1	v1
CreateTime:2000	Offset:2	v2" "$(cat "$O")"
S console-consumer "${B[@]}" --topic timed --partition 1 --offset earliest --max-messages 1 \
    --timeout-ms 20000 --property print.value=false --property print.partition=true
t_eq "--offset earliest with print.value=false" "Partition:1" "$(cat "$O")"
S console-consumer "${B[@]}" --include 'codec-(gzip|zstd)' --from-beginning --max-messages 400 \
    --timeout-ms 20000
t_lines "--include consumes every matching topic" "$O" 400
"$ST" console-consumer "${B[@]}" --topic timed >"$T_TMP/anon.out" 2>"$T_TMP/anon.err" &
anon=$!
T_CHILD_PIDS+=("$anon")
anon_group() { # the random group of the running consumer (Stable: it has a member)
    "$ST" consumer-groups "${B[@]}" --list --state stable 2>/dev/null |
        awk '$1 ~ /^console-consumer-[0-9]+$/ && length($1) <= 22 { print $1 }'
}
if wait_until 20 anon_group >/dev/null; then
    t_ok "without --group the consumer joins a random group ($(anon_group))"
else
    t_fail "without --group the consumer joins a random group console-consumer-<n>" "$(cat "$O")"
fi
kill -INT "$anon"
wait "$anon"
S console-consumer "${B[@]}" --topic timed --from-beginning --isolation-level read_committed \
    --max-messages 4 --timeout-ms 20000
t_lines "--isolation-level read_committed reads the (non-transactional) records" "$O" 4

# ---- configs ----------------------------------------------------------------------------------------------
S configs "${B[@]}" --entity-type topics --entity-name payments --alter \
    --add-config 'retention.ms=5000,cleanup.policy=[compact,delete]'
t_rc "configs --alter --add-config with a [a,b] value" 0
t_grep "Kafka's completion message" "$O" '^Completed updating config for topic payments\.$'
S configs "${B[@]}" --entity-type topics --entity-name payments --describe
t_lines "--describe lists only the two dynamic configs" "$O" 3
t_grep "Kafka's heading" <(sed -n 1p "$O") '^Dynamic configs for topic payments are:$'
t_grep "sorted: cleanup.policy first, [a,b] grouped, with its synonyms" <(sed -n 2p "$O") \
    '^  cleanup.policy=compact,delete sensitive=false synonyms=\{DYNAMIC_TOPIC_CONFIG:cleanup.policy=compact,delete, .*DEFAULT_CONFIG:log.cleanup.policy=delete\}$'
t_grep "then retention.ms" <(sed -n 3p "$O") \
    '^  retention.ms=5000 sensitive=false synonyms=\{DYNAMIC_TOPIC_CONFIG:retention.ms=5000, '
S configs "${B[@]}" --topic payments --alter --delete-config retention.ms
t_rc "--delete-config" 0
S configs "${B[@]}" --topic payments --describe
t_nogrep "retention.ms is no longer a dynamic config" "$O" '^  retention.ms='
S configs "${B[@]}" --topic payments --alter --delete-config retention.ms
t_rc "deleting a config that is not set: exit 1" 1
t_grep "Kafka's 'Invalid config(s)'" "$O.err" '^Invalid config\(s\): retention.ms$'
S configs "${B[@]}" --topic payments --describe --all
t_grep "--all: 'All configs for topic payments are:'" "$O" '^All configs for topic payments are:$'
t_grep "--all includes defaults" "$O" '^  segment.bytes=[0-9]+ sensitive=false synonyms=\{'
S configs "${B[@]}" --topic payments --alter --add-config segment.bytes=oops
t_rc "a bad value is refused by the broker" 1
t_grep "with the broker's reason" "$O.err" 'segment.bytes'
node=$("$ST" topics "${B[@]}" --describe --topic payments | awk -F'\t' '/Partition: 0/ { sub("Leader: ", "", $4); print $4 }')
S configs "${B[@]}" --entity-type brokers --entity-name "$node" --describe
t_eq "brokers: Kafka's heading (no dynamic broker configs)" "Dynamic configs for broker $node are:" "$(cat "$O")"
S configs "${B[@]}" --entity-type brokers --entity-default --describe
t_eq "brokers --entity-default" "Default configs for brokers in the cluster are:" "$(cat "$O")"
S configs "${B[@]}" --entity-type brokers --describe
t_eq "brokers without a name: every broker, then the default" "Dynamic configs for broker $node are:
Default configs for brokers in the cluster are:" "$(cat "$O")"
S configs "${B[@]}" --entity-type brokers --entity-name 99 --describe
t_grep "an unknown broker" "$O" "^The broker '99' doesn't exist and doesn't have dynamic config\.$"
S configs "${B[@]}" --broker "$node" --describe --all
t_grep "--broker N --all lists its static configs" "$O" '^  num.partitions=[0-9]+ sensitive=false synonyms=\{STATIC_BROKER_CONFIG:num.partitions='

# ---- consumer-groups ---------------------------------------------------------------------------------------
S topics "${B[@]}" --create --topic grp --partitions 3
seq 1 30 | awk '{ print "k" $1 ":v" $1 }' >"$T_TMP/grp.txt"
produce grp "$T_TMP/grp.txt" --property parse.key=true --property key.separator=:
S console-consumer "${B[@]}" --topic grp --group ga --from-beginning --max-messages 30 --timeout-ms 20000
S console-consumer "${B[@]}" --topic grp --group gb --from-beginning --max-messages 30 --timeout-ms 20000
S consumer-groups "${B[@]}" --list --state
t_grep "--list --state: header" "$O" '^GROUP +STATE +$'
t_grep "--list --state: ga Empty" "$O" '^ga +Empty +$'
S consumer-groups "${B[@]}" --list --state stable
t_eq "--list --state stable: nothing (no active group)" "GROUP                     STATE               " "$(cat "$O")"
S consumer-groups "${B[@]}" --list --state bogus
t_rc "--list --state with an unknown state" 1
t_grep "is refused naming it" "$O.err" "Invalid state list 'bogus'"
S consumer-groups "${B[@]}" --describe --all-groups
t_grep "--describe --all-groups covers ga" "$O" '^ga +grp +0 '
t_grep "--describe --all-groups covers gb" "$O" '^gb +grp +0 '
S consumer-groups "${B[@]}" --describe --group ga --verbose
t_grep "--verbose: LEADER-EPOCH column" "$O" '^GROUP +TOPIC +PARTITION +LEADER-EPOCH +CURRENT-OFFSET +LOG-END-OFFSET +LAG'

ends=$("$ST" get-offsets "${B[@]}" --topic grp | cut -d: -f3 | tr '\n' ' ')
read -r e0 e1 e2 <<<"$ends"
S consumer-groups "${B[@]}" --group ga --reset-offsets --to-offset 2 --topic grp --execute
t_grep "--to-offset 2" "$O" '^ga +grp +0 +2$'
S consumer-groups "${B[@]}" --group ga --reset-offsets --to-offset 100000 --topic grp:1 --dry-run
t_grep "--to-offset past the end is clamped to the log end ($e1)" "$O" "^ga +grp +1 +$e1\$"
t_grep "with Kafka's warning" "$O.err" 'is higher than latest offset for topic partition grp-1'
S consumer-groups "${B[@]}" --group ga --reset-offsets --shift-by -1 --topic grp:0 --dry-run
t_grep "--shift-by -1 from 2" "$O" '^ga +grp +0 +1$'
S consumer-groups "${B[@]}" --group ga --reset-offsets --shift-by -10 --topic grp:0 --dry-run
t_grep "--shift-by below the start is clamped to 0" "$O" '^ga +grp +0 +0$'
S consumer-groups "${B[@]}" --group ga --reset-offsets --to-current --all-topics --dry-run
t_grep "--to-current keeps the committed offsets" "$O" '^ga +grp +0 +2$'
S consumer-groups "${B[@]}" --group ga --reset-offsets --to-latest --all-topics --dry-run
t_grep "--to-latest" "$O" "^ga +grp +2 +$e2\$"
S consumer-groups "${B[@]}" --group ga --reset-offsets --to-datetime 2000-01-01T00:00:00.000 --all-topics --dry-run
t_grep "--to-datetime in the past: the first record" "$O" '^ga +grp +0 +0$'
S consumer-groups "${B[@]}" --group ga --reset-offsets --to-datetime 2999-01-01T00:00:00.000Z --all-topics --dry-run
t_grep "--to-datetime in the future falls back to the log end" "$O" "^ga +grp +0 +$e0\$"
t_grep "with Kafka's note" "$O" '^Warn: Partition 0 from topic grp is empty\. Falling back to latest known offset\.$'
S consumer-groups "${B[@]}" --group ga --reset-offsets --by-duration PT1H --all-topics --dry-run
t_grep "--by-duration PT1H: every record is newer, so the first one" "$O" '^ga +grp +1 +0$'
S consumer-groups "${B[@]}" --group ga --reset-offsets --by-duration one-hour --all-topics --dry-run
t_rc "a malformed --by-duration is refused" 1
S consumer-groups "${B[@]}" --group ga --reset-offsets --to-earliest --topic grp --dry-run --export
t_eq "--export prints Kafka's CSV (topic,partition,offset)" "grp,0,0
grp,1,0
grp,2,0" "$(sed '/^$/d' "$O")"
printf 'grp,0,1\ngrp,2,3\n' >"$T_TMP/plan.csv"
S consumer-groups "${B[@]}" --group ga --reset-offsets --from-file "$T_TMP/plan.csv" --execute
t_grep "--from-file applies the CSV plan" "$O" '^ga +grp +2 +3$'
S consumer-groups "${B[@]}" --describe --group ga
t_grep "describe after --from-file: partition 0 at 1" "$O" '^ga +grp +0 +1 '

S consumer-groups "${B[@]}" --group gb --delete-offsets --topic grp
t_rc "--delete-offsets" 0
t_grep "Kafka's message" "$O" '^Request succeeded for deleting offsets from group gb\.$'
t_grep "a status row per partition" "$O" '^grp +2 +Successful'
S consumer-groups "${B[@]}" --describe --group gb
t_nogrep "gb has no committed offsets left" "$O" '^gb +grp'

"$ST" console-consumer "${B[@]}" --topic grp --group gc >/dev/null 2>&1 &
gc=$!
T_CHILD_PIDS+=("$gc")
gc_stable() { "$ST" consumer-groups "${B[@]}" --describe --group gc --state 2>/dev/null | grep -q ' Stable '; }
wait_until 20 gc_stable
S consumer-groups "${B[@]}" --delete --group gc
t_rc "deleting a group with members: exit 1" 1
t_grep "is refused with Kafka's reason" "$O" \
    "^\* Group 'gc' could not be deleted due to: org.apache.kafka.common.errors.GroupNotEmptyException: The group is not empty\.$"
kill -INT "$gc"
wait "$gc"

S topics "${B[@]}" --list
t_grep "--list shows the internal offsets topic" "$O" '^__consumer_offsets$'
S topics "${B[@]}" --list --exclude-internal
t_nogrep "--exclude-internal hides it" "$O" '^__consumer_offsets$'

if broker_alive b1; then t_ok "broker still running"; else t_fail "broker still running"; fi
broker_stop b1
t_summary
