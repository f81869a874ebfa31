#!/usr/bin/python3
"""test_mirror_foreign.py — strait-mirror reads from a Kafka implementation
that is not Strait: librdkafka's in-memory mock cluster (build/bench/mock_cluster).

The mock answers Produce, Fetch, ListOffsets, Metadata and the group
coordinator APIs, but has no DescribeConfigs, CreateTopics or ListGroups,
like an old or locked-down cluster. 20,000 keyed records with headers and
explicit timestamps on a 4-partition topic, produced to the mock by
librdkafka (confluent-kafka), are mirrored mock -> west (a strait-broker):
- west ends with exactly the same records per partition, in order (keys,
  values, headers, timestamps), plus provenance headers naming the mock's
  cluster id and the source offset; nothing more;
- the mirror degrades instead of failing: its log warns about each source
  API the mock lacks that the mirror calls (DescribeConfigs, ListGroups),
  naming the API and the cluster, and it keeps running (SIGTERM exits 0);
- a second topic whose copy on west was pre-created holding 3 local records
  per partition gets the mock's records after them;
- a group committed on the mock on both topics (OffsetCommit works there,
  ListGroups does not: the flow names the group literally, and the mock's
  answer to an all-topics OffsetFetch cannot be decoded: partitions are
  asked for by name) is checkpointed: the mirror commits its translated
  offsets on west (shifted by 3 on the second topic), `failover --dry-run`
  prints the same exact translation, and the MM2-format topics exist.
"""
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "interop", "lib"))
from broker import ROOT, Broker, Process, Suite, wait_for  # noqa: E402
from mirror import (Mirror, committed_offsets, create_topic, end_offsets, ensure_mirror_binary,  # noqa: E402
                    failover_plan, payload, produce, read_partitions, wait_mirrored)

TOPIC, PARTS, N = "orders", 4, 20_000
# a second topic whose copy on west starts after LOCAL records written there
# first: its translated offsets differ from the source's
EVENTS, EPARTS, EN, LOCAL = "events", 2, 1000, 3
GROUP = "app1"
MOCK_BIN = os.path.join(ROOT, "build", "bench", "mock_cluster")


class MockCluster(Process):
    """build/bench/mock_cluster with some topics (it prints its bootstrap
    address on stdout, its log on stderr); stopped by pid at exit."""

    def __init__(self, tmp, topics):
        super().__init__(tmp, "mock")
        self.topics, self.bootstrap = topics, None

    def start(self, timeout=15.0):
        self.spawn([MOCK_BIN] + ["%s:%d" % t for t in self.topics], pipe_stdout=True)
        deadline = time.time() + timeout
        line = b""
        while time.time() < deadline and self.proc.poll() is None:
            line = self.proc.stdout.readline()
            m = re.match(rb"BOOTSTRAP=(\S+)", line)
            if m:
                self.bootstrap = m.group(1).decode()
                return self
        self.kill()
        raise RuntimeError("mock cluster did not start: %r" % line)

    def stop(self, timeout=10.0):
        return super().stop(timeout)


def build_mock():
    r = subprocess.run(["make", "-C", ROOT, "--no-print-directory", "-s", "build/bench/mock_cluster"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    return None if r.returncode == 0 else r.stdout.decode(errors="replace")[-1500:]


s = Suite("mirror-foreign")
err = ensure_mirror_binary() or build_mock()
if err:
    s.fail("strait-mirror and the mock cluster build", err)
    s.finish()


def records():
    base = 1_690_000_000_000
    for i in range(N):
        yield {"key": b"sensor-%d" % (i % 313), "value": b"reading-%08d" % i,
               "partition": i % PARTS, "headers": [("seq", b"%d" % i), ("site", b"mock")],
               "timestamp": base + 7 * i}


def cluster_id(bootstrap):
    from confluent_kafka.admin import AdminClient
    return AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=10).cluster_id


def commit_on(bootstrap, group, topic, offsets):
    """Commits {partition: offset} of topic for group (no subscription)."""
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        c.commit(offsets=[TopicPartition(topic, p, o) for p, o in offsets.items()],
                 asynchronous=False)
    finally:
        c.close()


try:
    mock = MockCluster(s.tmp, [(TOPIC, PARTS), (EVENTS, EPARTS)]).start()
    west = Broker(s.tmp, "west", {"num.partitions": 1}).start()
    create_topic(west.bootstrap, EVENTS, EPARTS)
    produce(west.bootstrap, EVENTS, ({"value": b"local-%d" % i, "partition": i % EPARTS}
                                     for i in range(LOCAL * EPARTS)))
    t0 = time.time()
    produce(mock.bootstrap, TOPIC, records())
    produce(mock.bootstrap, EVENTS, ({"key": b"e%d" % i, "value": b"event-%d" % i,
                                      "partition": i % EPARTS} for i in range(EN)))
    s.note("produced %d records to the mock in %.1f s" % (N, time.time() - t0))
    src_ends = end_offsets(mock.bootstrap, TOPIC, PARTS)
    s.eq("the mock holds every record", N, sum(src_ends.values()))

    # the group's position on the mock: part of the way into each partition
    committed = {p: 1000 + 311 * p for p in range(PARTS)}
    ecommitted = {0: 100, 1: 250}
    commit_ok = True
    try:
        commit_on(mock.bootstrap, GROUP, TOPIC, committed)
        commit_on(mock.bootstrap, GROUP, EVENTS, ecommitted)
        commit_ok = (committed_offsets(mock.bootstrap, GROUP, TOPIC, PARTS) == committed and
                     committed_offsets(mock.bootstrap, GROUP, EVENTS, EPARTS) == ecommitted)
    except Exception as e:  # noqa: BLE001
        s.note("OffsetCommit on the mock failed: %s" % e)
        commit_ok = False

    m = Mirror(s.tmp, "m", {"mock": mock.bootstrap, "west": west.bootstrap}, [
        {"name": "mock-west", "source": "mock", "target": "west", "topics": [TOPIC, EVENTS],
         "groups": [GROUP]}]).start()
    s.check("every record reaches west",
            wait_mirrored(mock.bootstrap, west.bootstrap, TOPIC, TOPIC, PARTS, 90),
            m.log()[-3000:])
    src = read_partitions(mock.bootstrap, TOPIC, PARTS)
    dst = read_partitions(west.bootstrap, TOPIC, PARTS)
    s.eq("same record count per partition", {p: len(v) for p, v in src.items()},
         {p: len(v) for p, v in dst.items()})
    s.eq("west's end offsets equal the mock's", src_ends, end_offsets(west.bootstrap, TOPIC, PARTS))
    bad = [p for p in range(PARTS) if [payload(r) for r in src[p]] != [payload(r) for r in dst[p]]]
    s.check("same keys, values, headers and timestamps in the same order", not bad,
            "partitions differing: %s" % bad)
    mid = cluster_id(mock.bootstrap) or "alias-mock"
    prov_bad = [(p, r[0]) for p in range(PARTS) for sr, r in zip(src[p], dst[p])
                if r[3].get("strait.origin") != mid.encode()
                or r[3].get("strait.source") != ("%s:%s:%d:%d" % (mid, TOPIC, p, sr[0])).encode()]
    s.check("provenance headers name the mock (%s) and the source offsets" % mid, not prov_bad,
            "first bad: %s" % prov_bad[:3])
    from confluent_kafka.admin import AdminClient
    md = AdminClient({"bootstrap.servers": west.bootstrap}).list_topics(timeout=10)
    s.eq("the target topic was created with the mock's partition count", PARTS,
         len(md.topics[TOPIC].partitions) if TOPIC in md.topics else None)

    ewant = {p: EN // EPARTS + LOCAL for p in range(EPARTS)}
    s.check("the topic with local records on west gets every record after them",
            wait_for(lambda: end_offsets(west.bootstrap, EVENTS, EPARTS) == ewant, 30, 0.25),
            "west ends %s, want %s" % (end_offsets(west.bootstrap, EVENTS, EPARTS), ewant))
    esrc = read_partitions(mock.bootstrap, EVENTS, EPARTS)
    edst = read_partitions(west.bootstrap, EVENTS, EPARTS)
    s.check("%s on west: the local records, then the mock's in order" % EVENTS,
            all([r[2] for r in edst[p][:LOCAL]] == [b"local-%d" % (p + EPARTS * i) for i in range(LOCAL)]
                and [payload(r) for r in edst[p][LOCAL:]] == [payload(r) for r in esrc[p]]
                for p in range(EPARTS)))

    # the warnings for what the mock lacks (one checkpoint pass at least)
    wait_for(lambda: "ListGroups" in m.log(), 15, 0.25)
    log = m.log()
    for api in ("DescribeConfigs", "ListGroups"):
        lines = [l for l in log.splitlines() if api in l]
        s.check("the log warns that the mock lacks %s, naming the cluster" % api,
                any("cluster mock" in l and "WARN" in l for l in lines),
                "lines: %s\n%s" % (lines[:3], log[-2000:]))
    s.check("the mirror is still running", m.alive(), log[-2000:])
    s.check("no flow failed", not re.search(r"cannot start|stopped at source offset|"
                                             r"is not mirrored", log), log[-2000:])

    if not commit_ok:
        s.skip("group checkpoint from the mock", "the mock did not keep an OffsetCommit")
        s.skip("failover dry-run from the mock", "the mock did not keep an OffsetCommit")
    else:
        # orders is a fresh copy (same offsets); events is shifted by LOCAL
        ewest = {p: o + LOCAL for p, o in ecommitted.items()}

        def west_groups():
            return (committed_offsets(west.bootstrap, GROUP, TOPIC, PARTS),
                    committed_offsets(west.bootstrap, GROUP, EVENTS, EPARTS))
        got = wait_for(lambda: west_groups() == (committed, ewest), 30, 0.5)
        s.check("the group's mock offsets are checkpointed onto west, translated exactly", got,
                "west has %s, want %s\n%s" % (west_groups(), (committed, ewest), m.log()[-2000:]))
        rc, rows, out = failover_plan(m, "mock", "west", [GROUP], ["--dry-run"])
        plan = {(r["TOPIC"], r["PARTITION"]): (r["SOURCE-OFFSET"], r["TARGET-OFFSET"])
                for r in rows}
        want = {(TOPIC, p): (o, o) for p, o in committed.items()}
        want.update({(EVENTS, p): (o, o + LOCAL) for p, o in ecommitted.items()})
        s.check("failover --dry-run from the mock succeeds", rc == 0, out[-2000:])
        s.eq("failover --dry-run: source offsets read from the mock, translated exactly",
             want, plan)
        s.check("failover --dry-run reads the mock live (ORIGIN live)",
                rows and all(r.get("ORIGIN") == "live" for r in rows), out[-2000:])

    md = AdminClient({"bootstrap.servers": west.bootstrap}).list_topics(timeout=10)
    s.check("MM2-format heartbeats and mock.checkpoints.internal exist on west",
            "heartbeats" in md.topics and "mock.checkpoints.internal" in md.topics,
            sorted(md.topics))

    # more data while running: still exact
    produce(mock.bootstrap, TOPIC, ({"key": b"late-%d" % i, "value": b"%d" % i,
                                     "partition": i % PARTS} for i in range(400)))
    s.check("records produced later arrive",
            wait_mirrored(mock.bootstrap, west.bootstrap, TOPIC, TOPIC, PARTS, 60))
    s.eq("nothing extra after the late records", end_offsets(mock.bootstrap, TOPIC, PARTS),
         end_offsets(west.bootstrap, TOPIC, PARTS))
    s.eq("SIGTERM stops the mirror with status 0", 0, m.stop())
    mock.stop()
except Exception as e:  # noqa: BLE001
    import traceback
    traceback.print_exc(file=sys.stdout)
    s.fail("foreign-source scenario", "%s: %s" % (type(e).__name__, e))
s.finish()
