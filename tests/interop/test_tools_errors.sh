#!/usr/bin/env bash
# test_tools_errors.sh — the `strait` tools when things go wrong.
#
# Asserts: an unreachable bootstrap server (refused, or a name that does
# not resolve) gives a clear message and a non-zero exit within the
# timeout, for every tool; bad flags print the problem and the usage table
# (exit 1), and --help prints the usage (exit 0); unknown topics and groups
# are named in the message (describe, delete, alter, configs, get-offsets,
# reset-offsets, a producer on a broker that does not auto-create); a
# producer does auto-create a missing topic when the broker allows it; a
# console-consumer names a missing topic it waits for; and against
# librdkafka's mock cluster (a Kafka implementation without admin APIs)
# the admin tools fail at once with "<Api> is not supported by this
# broker", while Metadata-only tools work.
set -u
cd "$(dirname "$0")" || exit 1
source lib/broker.sh
source lib/tools.sh
tools_init tools-errors

O=$T_TMP/out

# ---- an unreachable bootstrap server ------------------------------------------------------
# within_timeout DESC LIMIT_MS ARGS...: fails fast enough, with a clear message
unreachable() {
    local desc=$1 limit=$2
    shift 2
    st "$O" "$@"
    if [ "$ST_RC" -ne 0 ] && [ "$ST_MS" -le "$limit" ]; then
        t_ok "$desc: exit $ST_RC after $ST_MS ms"
    else
        t_fail "$desc" "exit $ST_RC after $ST_MS ms (limit $limit)"
    fi
    t_grep "$desc: says no broker is reachable and why" <(cat "$O" "$O.err") \
        'no broker reachable within [0-9]+ ms \(bootstrap.servers=.*\): .*(refused|resolve)'
}
DEAD=127.0.0.1:1
unreachable "topics --list, refused" 6000 topics --bootstrap-server "$DEAD" --list --timeout 3000
unreachable "topics --create, unresolvable name" 6000 topics --bootstrap-server \
    no-such-host.invalid:9092 --create --topic t --timeout 3000
unreachable "configs --describe" 6000 configs --bootstrap-server "$DEAD" --topic t --describe \
    --timeout 3000
unreachable "get-offsets" 6000 get-offsets --bootstrap-server "$DEAD" --timeout 3000
unreachable "consumer-groups --list (default --timeout 5000)" 8000 consumer-groups \
    --bootstrap-server "$DEAD" --list
echo hello >"$T_TMP/one.txt"
start=$(now_ms)
timeout 60 "$ST" console-producer --bootstrap-server "$DEAD" --topic t --max-block-ms 3000 \
    <"$T_TMP/one.txt" >"$O" 2>"$O.err"
ST_RC=$? ST_MS=$(($(now_ms) - start))
if [ "$ST_RC" -ne 0 ] && [ "$ST_MS" -le 6000 ]; then
    t_ok "console-producer: exit $ST_RC after $ST_MS ms (max.block.ms 3000)"
else
    t_fail "console-producer fails within max.block.ms" "exit $ST_RC after $ST_MS ms"
fi
t_grep "console-producer: says no broker is reachable" "$O.err" 'no broker reachable'
unreachable "console-consumer (--timeout-ms 3000)" 6000 console-consumer --bootstrap-server \
    "$DEAD" --topic t --timeout-ms 3000
unreachable "a --command-config default.api.timeout.ms is honoured" 6000 topics \
    --bootstrap-server "$DEAD" --list --command-config <(echo "default.api.timeout.ms=2500")

# ---- bad flags --------------------------------------------------------------------------------
# bad_flags DESC MESSAGE-ERE ARGS...
bad_flags() {
    local desc=$1 msg=$2
    shift 2
    st "$O" "$@"
    t_rc "$desc: exit 1" 1
    t_grep "$desc: says what is wrong" "$O.err" "$msg"
    t_grep "$desc: prints the usage" "$O.err" '^Option +Description$'
}
B=--bootstrap-server
bad_flags "an unknown option" 'bogus is not a recognized option' topics "$B" x --list --bogus
bad_flags "topics without an action" 'Command must include exactly one action: --list, --describe, --create, --alter or --delete' \
    topics "$B" x
bad_flags "topics with two actions" 'exactly one action' topics "$B" x --list --describe
bad_flags "topics --create without --topic" 'Missing required argument "\[topic\]"' \
    topics "$B" x --create
bad_flags "topics --alter without --partitions" 'Missing required argument "\[partitions\]"' \
    topics "$B" x --alter --topic t
bad_flags "--replication-factor with --alter" \
    'Option "\[replication-factor\]" can'"'"'t be used with option "\[alter\]"' \
    topics "$B" x --alter --topic t --partitions 2 --replication-factor 1
bad_flags "an option without its value" 'Option topic requires an argument' \
    topics "$B" x --describe --topic
bad_flags "a stray word" "non-option argument 'oops'" topics "$B" x --list oops
bad_flags "--partitions not a number" "Cannot parse argument 'many' of option partitions" \
    topics "$B" 127.0.0.1:1 --create --topic t --partitions many --timeout 100
bad_flags "console-consumer without --topic/--include" 'Exactly one of these options is required' \
    console-consumer "$B" x
bad_flags "console-consumer --offset without --partition" 'The partition is required when offset is specified' \
    console-consumer "$B" x --topic t --offset 5
bad_flags "console-consumer --group with --partition" 'Options group and partition cannot be specified together' \
    console-consumer "$B" x --topic t --partition 0 --group g
bad_flags "console-consumer --offset nonsense" "The provided offset value 'abc' is incorrect" \
    console-consumer "$B" x --topic t --partition 0 --offset abc
bad_flags "console-producer without --topic" 'Missing required argument "\[topic\]"' \
    console-producer "$B" x
bad_flags "consumer-groups --describe without --group" \
    'Option \[describe\] takes one of these options: \[all-groups\], \[group\]' \
    consumer-groups "$B" x --describe
bad_flags "consumer-groups --reset-offsets without a scenario" "requires one of the following scenarios" \
    consumer-groups "$B" x --reset-offsets --group g --all-topics --dry-run
bad_flags "consumer-groups --reset-offsets without a scope" 'One of the reset scopes should be defined' \
    consumer-groups "$B" x --reset-offsets --group g --to-earliest --dry-run
bad_flags "consumer-groups --reset-offsets --dry-run --execute" 'only accepts one of \[execute\] and \[dry-run\]' \
    consumer-groups "$B" x --reset-offsets --group g --to-earliest --all-topics --dry-run --execute
bad_flags "configs --alter without a change" 'At least one of --add-config, --add-config-file, or --delete-config' \
    configs "$B" x --entity-type topics --entity-name t --alter
bad_flags "configs with an unknown entity type" 'Invalid entity type things' \
    configs "$B" x --entity-type things --describe
st "$O" topics --help
t_rc "topics --help: exit 0" 0
t_grep "topics --help prints the usage on stdout" "$O" '^--bootstrap-server <String: server to connect to>'
st "$O" nosuchtool
t_rc "an unknown tool: exit 1" 1
t_grep "an unknown tool is named, with the list of tools" "$O.err" "unknown tool 'nosuchtool'"
st "$O" kafka-topics.sh --version
t_rc "Kafka's script names work too (strait kafka-topics.sh --version)" 0

# ---- unknown topics and groups, on a broker that does not auto-create ----------------------------
broker_start b1 auto.create.topics.enable=false || { t_fail "broker starts"; t_summary; }
BS=$(bootstrap b1)
st "$O" topics "$B" "$BS" --describe --topic nosuch
t_rc "describe an unknown topic: exit 1" 1
t_grep "describe an unknown topic names it" "$O.err" "^Topic 'nosuch' does not exist as expected$"
st "$O" topics "$B" "$BS" --describe --topic nosuch --if-exists
t_rc "describe an unknown topic --if-exists: exit 0, silently" 0
st "$O" topics "$B" "$BS" --delete --topic nosuch
t_grep "delete an unknown topic names it" "$O.err" "^Topic 'nosuch' does not exist as expected$"
st "$O" topics "$B" "$BS" --alter --topic nosuch --partitions 3
t_grep "alter an unknown topic names it" "$O.err" "^Topic 'nosuch' does not exist as expected$"
st "$O" configs "$B" "$BS" --entity-type topics --entity-name nosuch --describe
t_grep "configs --describe of an unknown topic names it (Kafka's wording)" "$O" \
    "^The topic 'nosuch' doesn't exist and doesn't have dynamic config\.$"
st "$O" configs "$B" "$BS" --entity-type topics --entity-name nosuch --alter --add-config retention.ms=1
t_rc "configs --alter of an unknown topic: exit 1" 1
t_grep "configs --alter of an unknown topic names it" "$O.err" "The topic 'nosuch' does not exist"
st "$O" get-offsets "$B" "$BS" --topic nosuch
t_rc "get-offsets of an unknown topic: exit 1" 1
t_grep "get-offsets: nothing matched" "$O.err" '^Could not match any topic-partitions with the specified filters$'
st "$O" consumer-groups "$B" "$BS" --describe --group nosuchgroup
t_grep "describe an unknown group names it" "$O" "^Error: Consumer group 'nosuchgroup' does not exist\.$"
st "$O" consumer-groups "$B" "$BS" --delete --group nosuchgroup
t_rc "delete an unknown group: exit 1" 1
t_grep "delete an unknown group names it and says why" "$O" \
    "^\* Group 'nosuchgroup' could not be deleted due to: org.apache.kafka.common.errors.GroupIdNotFoundException: The group id does not exist\.$"
st "$O" consumer-groups "$B" "$BS" --reset-offsets --group g --topic nosuch --to-earliest --execute
t_rc "reset-offsets on an unknown topic: exit 1" 1
t_grep "reset-offsets on an unknown topic names it" "$O" "Topic 'nosuch' does not exist"
st "$O" topics "$B" "$BS" --create --topic t3 --partitions 3
st "$O" consumer-groups "$B" "$BS" --reset-offsets --group g --topic t3:0,7 --to-earliest --execute
t_grep "reset-offsets on a partition that does not exist names it" "$O" \
    'The partitions "t3-7" do not exist'
st_in "$T_TMP/one.txt" "$O" console-producer "$B" "$BS" --topic nosuch --max-block-ms 2000
t_rc "producing to a missing topic the broker will not create: exit 1" 1
t_grep "the producer names the missing topic" "$O.err" 'nosuch'
st "$O" topics "$B" "$BS" --list
t_nogrep "the producer did not create the topic" "$O" '^nosuch$'
st "$O" console-consumer "$B" "$BS" --topic nosuch --timeout-ms 1500
t_grep "a console-consumer names the missing topic it waits for" "$O.err" "topic 'nosuch' does not exist"
t_grep "and --timeout-ms ends it as Kafka's does" "$O.err" \
    '^ERROR Error processing message, terminating consumer process: org.apache.kafka.common.errors.TimeoutException$'
broker_stop b1

# ---- auto-creation when the broker allows it --------------------------------------------------------
broker_start b2 || { t_fail "broker b2 starts"; t_summary; }
BS2=$(bootstrap b2)
st_in "$T_TMP/one.txt" "$O" console-producer "$B" "$BS2" --topic created_by_producer
t_rc "producing to a missing topic the broker auto-creates: exit 0" 0
st "$O" get-offsets "$B" "$BS2" --topic created_by_producer
t_eq "the topic was created and holds the record" "created_by_producer:0:1" "$(cat "$O")"
broker_stop b2

# ---- librdkafka's mock cluster: no admin APIs -----------------------------------------------------------
mock=$T_TMP/mock_cluster
if gcc -std=gnu11 -O2 -o "$mock" test_client_mock_cluster.c -lrdkafka 2>"$T_TMP/mock.err"; then
    "$mock" serve mocktopic:3 >"$T_TMP/mock.out" 2>"$T_TMP/mock.log" &
    mock_pid=$!
    T_CHILD_PIDS+=("$mock_pid")
    MBS=
    for _ in $(seq 50); do
        MBS=$(sed -n 's/^BOOTSTRAP=//p' "$T_TMP/mock.out")
        [ -n "$MBS" ] && break
        sleep 0.1
    done
    # unsupported DESC API ARGS...: fails at once, naming the API
    unsupported() {
        local desc=$1 api=$2
        shift 2
        st "$O" "$@"
        if [ "$ST_RC" -ne 0 ] && [ "$ST_MS" -le 3000 ]; then
            t_ok "mock cluster, $desc: fails at once ($ST_MS ms)"
        else
            t_fail "mock cluster, $desc: fails at once" "exit $ST_RC after $ST_MS ms"
        fi
        t_grep "mock cluster, $desc: '$api is not supported by this broker'" <(cat "$O" "$O.err") \
            "$api is not supported by this broker"
    }
    unsupported "topics --create" CreateTopics topics "$B" "$MBS" --create --topic x
    unsupported "topics --delete" DeleteTopics topics "$B" "$MBS" --delete --topic mocktopic
    unsupported "topics --alter" CreatePartitions topics "$B" "$MBS" --alter --topic mocktopic --partitions 5
    unsupported "configs --describe" DescribeConfigs configs "$B" "$MBS" --topic mocktopic --describe
    unsupported "consumer-groups --list" ListGroups consumer-groups "$B" "$MBS" --list
    unsupported "consumer-groups --describe" DescribeGroups consumer-groups "$B" "$MBS" --describe --group g
    st "$O" topics "$B" "$MBS" --list
    t_eq "mock cluster: topics --list works (Metadata only)" mocktopic "$(cat "$O")"
    st "$O" topics "$B" "$MBS" --describe --topic mocktopic
    t_grep "mock cluster: topics --describe shows its partitions (configs unavailable)" "$O" \
        $'^\tTopic: mocktopic\tPartition: 2\tLeader: 1'
    kill "$mock_pid" 2>/dev/null
    wait "$mock_pid" 2>/dev/null
else
    t_skip "librdkafka's mock cluster" "librdkafka-dev missing: $(head -2 "$T_TMP/mock.err")"
fi
t_summary
