#!/usr/bin/env bash
# test_mirror_topic_sync.sh — the mirror's topic sync (mirror/topic_sync.c)
# against real clusters, through test_mirror_topic_sync.c (see its header for
# every check): two Strait brokers "east" and "west" (creation with partition
# count and copied configs, MM2's config exclusions, topics.exclude, internal
# topics, partition growth, config sync, max.message.bytes, deletion with and
# without delete.topics, prefix naming), then librdkafka's mock cluster, which
# has no admin APIs, as the target (CreateTopics / CreatePartitions /
# DescribeConfigs missing: per-topic errors and one warning per API) and as
# the source (DescribeConfigs missing: topics created without configs).
set -u
cd "$(dirname "$0")" || exit 1
source lib/broker.sh
source lib/mirror.sh
t_init mirror-topic-sync

mirror_program test_mirror_topic_sync

# run ARGS...: runs the C program (under ASan), shows and counts its ok/FAIL lines.
run() {
    local out=$T_TMP/run.$RANDOM.out
    timeout 300 "$bin" "$@" >"$out" 2>"$out.err"
    local rc=$?
    cat "$out"
    t_absorb "$out"
    if [ "$rc" -ne 0 ]; then
        sed 's/^/    /' "$out.err" | tail -40
        grep -q '^FAIL - ' "$out" || t_fail "test_mirror_topic_sync $1 exits cleanly" "exit status $rc"
    fi
}

# mock_start TOPIC:PARTITIONS...: librdkafka's mock cluster; sets MBS and mock_pid.
MBS=
mock_pid=
mock_start() {
    MBS=
    "$mock" serve "$@" >"$T_TMP/mock.out" 2>"$T_TMP/mock.log" &
    mock_pid=$!
    T_CHILD_PIDS+=("$mock_pid")
    for _ in $(seq 50); do
        MBS=$(sed -n 's/^BOOTSTRAP=//p' "$T_TMP/mock.out")
        [ -n "$MBS" ] && return 0
        sleep 0.1
    done
    return 1
}

mock_stop() {
    kill "$mock_pid" 2>/dev/null
    wait "$mock_pid" 2>/dev/null
}

broker_start east || { t_fail "broker east starts"; t_summary; }
broker_start west || { t_fail "broker west starts"; t_summary; }
run brokers "$(bootstrap east)" "$(bootstrap west)"
if broker_alive east && broker_alive west; then
    t_ok "both brokers still running"
else
    t_fail "both brokers still running"
fi
broker_stop east
broker_stop west

mock=$T_TMP/mock_cluster
if gcc -std=gnu11 -O2 -o "$mock" test_client_mock_cluster.c -lrdkafka 2>"$T_TMP/mock-cc.err"; then
    # Fresh brokers: the mock runs play east (source) or west (target).
    broker_start east2 || { t_fail "broker east2 starts"; t_summary; }
    if mock_start mocktopic:3 bigger:8; then
        run mock-target "$(bootstrap east2)" "$MBS"
        mock_stop
    else
        t_fail "librdkafka's mock cluster starts" "$(head -3 "$T_TMP/mock.log")"
    fi
    broker_stop east2
    broker_start west2 || { t_fail "broker west2 starts"; t_summary; }
    if mock_start mocktopic:3; then
        run mock-source "$MBS" "$(bootstrap west2)"
        mock_stop
    else
        t_fail "librdkafka's mock cluster starts" "$(head -3 "$T_TMP/mock.log")"
    fi
    broker_stop west2
else
    t_skip "the mock cluster as source and target" "librdkafka-dev missing: $(head -1 "$T_TMP/mock-cc.err")"
fi

t_summary
