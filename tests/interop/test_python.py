#!/usr/bin/python3
"""test_python.py — confluent-kafka-python (Debian's python3-confluent-kafka,
librdkafka 2.0.2) against a Strait broker started here.

Asserts: list_topics shows the cluster id, controller and broker; AdminClient
create_topics (partition count, per-topic configs, validate_only, and Kafka's
errors for an existing topic, a bad name, bad partition/replication counts and
bad configs), describe_configs on topics and on the broker (values and config
sources, the broker's --override showing as a static broker config),
alter_configs (which replaces the whole topic config, as in Kafka),
create_partitions (grow; shrinking refused), delete_topics (gone, and a
re-created topic starts empty at offset 0); an idempotent Producer's delivery
callbacks; a Consumer with assign() (no subscribe) reading every record back
exactly once with keys, values, headers and timestamps; watermarks and
offsets_for_times.
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from broker import Broker, Suite  # noqa: E402

s = Suite("python")
try:
    from confluent_kafka import (Consumer, KafkaError, KafkaException, Producer,  # noqa: E402
                                 TopicPartition)
    from confluent_kafka.admin import (AdminClient, ConfigResource, ConfigSource,  # noqa: E402
                                       NewPartitions, NewTopic)
except ImportError as e:
    s.fail("confluent_kafka imports (make deps installs python3-confluent-kafka)", e)
    s.finish()

# Kafka error codes
TOPIC_ALREADY_EXISTS = 36
INVALID_PARTITIONS = 37
INVALID_REPLICATION_FACTOR = 38
INVALID_CONFIG = 40
INVALID_TOPIC_EXCEPTION = 17
UNKNOWN_TOPIC_OR_PARTITION = 3

STATIC_RETENTION_BYTES = "123456789"
try:
    b = Broker(s.tmp, "b1", {"log.retention.bytes": STATIC_RETENTION_BYTES}).start()
except RuntimeError as e:
    s.fail("broker starts", e)
    s.finish()
BS = b.bootstrap
admin = AdminClient({"bootstrap.servers": BS, "socket.timeout.ms": 10000})
T = 20  # seconds for any one future


def err_code(fut):
    """Kafka error code a future failed with, 0 on success."""
    try:
        fut.result(timeout=T)
        return 0
    except KafkaException as e:
        return e.args[0].code()


def topic_partitions(name):
    md = admin.list_topics(topic=name, timeout=T)
    t = md.topics.get(name)
    if t is None or t.error is not None:
        return None
    return len(t.partitions)


def wait_partitions(name, n, timeout=10):
    deadline = time.time() + timeout
    got = None
    while time.time() < deadline:
        got = topic_partitions(name)
        if got == n:
            break
        time.sleep(0.1)
    return got


def all_topics():
    return set(admin.list_topics(timeout=T).topics)


def describe(resource):
    fut = admin.describe_configs([resource])[resource]
    return fut.result(timeout=T)


# ------------------------------------------------------------------ metadata
def test_metadata():
    md = admin.list_topics(timeout=T)
    s.check("list_topics: a cluster id", bool(md.cluster_id), md.cluster_id)
    s.eq("list_topics: controller is broker 0", 0, md.controller_id)
    s.eq("list_topics: one broker, 0 at the bound address",
         [(0, "127.0.0.1", b.port)], [(k, v.host, v.port) for k, v in md.brokers.items()])
    md2 = admin.list_topics(timeout=T)
    s.eq("list_topics: the cluster id is stable", md.cluster_id, md2.cluster_id)


# ------------------------------------------------------------------ create
def test_create():
    fs = admin.create_topics([
        NewTopic("py-a", num_partitions=3, replication_factor=1,
                 config={"retention.ms": "3600000", "max.message.bytes": "200000"}),
        NewTopic("py-del", num_partitions=2, replication_factor=1),
    ], operation_timeout=10)
    s.eq("create_topics: py-a (3 partitions, 2 configs) and py-del succeed",
         {"py-a": 0, "py-del": 0}, {k: err_code(f) for k, f in fs.items()})
    s.eq("create_topics: py-a has 3 partitions", 3, wait_partitions("py-a", 3))
    s.eq("create_topics: py-del has 2 partitions", 2, wait_partitions("py-del", 2))

    f = admin.create_topics([NewTopic("py-a", 3, 1)])["py-a"]
    s.eq("create_topics: an existing topic fails with TOPIC_ALREADY_EXISTS",
         TOPIC_ALREADY_EXISTS, err_code(f))
    f = admin.create_topics([NewTopic("py-validate", 4, 1)], validate_only=True)["py-validate"]
    s.eq("create_topics validate_only: succeeds", 0, err_code(f))
    s.check("create_topics validate_only: creates nothing", "py-validate" not in all_topics())

    bad = {
        "bad/name": (NewTopic("bad/name", 1, 1), INVALID_TOPIC_EXCEPTION),
        "x" * 250: (NewTopic("x" * 250, 1, 1), INVALID_TOPIC_EXCEPTION),
        "..": (NewTopic("..", 1, 1), INVALID_TOPIC_EXCEPTION),
        "py-rf3": (NewTopic("py-rf3", 1, 3), INVALID_REPLICATION_FACTOR),
        "py-badcfg": (NewTopic("py-badcfg", 1, 1, config={"retention.ms": "soon"}), INVALID_CONFIG),
        "py-unknowncfg": (NewTopic("py-unknowncfg", 1, 1, config={"no.such.config": "1"}),
                          INVALID_CONFIG),
    }
    for name, (nt, want) in bad.items():
        f = admin.create_topics([nt])[name]
        s.eq("create_topics: %s fails with error %d" % (name[:20], want), want, err_code(f))
    # librdkafka refuses num_partitions=0 itself; -1 means the broker default
    f = admin.create_topics([NewTopic("py-default-parts", -1, -1)])["py-default-parts"]
    s.eq("create_topics: -1 partitions/replicas take the broker defaults", 0, err_code(f))
    s.eq("create_topics: the default partition count is num.partitions (1)", 1,
         wait_partitions("py-default-parts", 1))
    leftovers = {"py-rf3", "py-badcfg", "py-unknowncfg", "bad/name", ".."} & all_topics()
    s.eq("create_topics: failed creations leave no topic behind", set(), leftovers)


# ------------------------------------------------------------------ configs
def test_configs():
    res = ConfigResource(ConfigResource.Type.TOPIC, "py-a")
    cfg = describe(res)
    e = cfg.get("retention.ms")
    s.check("describe_configs topic: retention.ms = 3600000, a dynamic topic config",
            e is not None and e.value == "3600000" and e.source == ConfigSource.DYNAMIC_TOPIC_CONFIG.value,
            e and (e.value, e.source))
    e = cfg.get("max.message.bytes")
    s.check("describe_configs topic: max.message.bytes = 200000", e is not None and e.value == "200000",
            e and e.value)
    e = cfg.get("segment.bytes")
    s.check("describe_configs topic: unset segment.bytes shows the default 1073741824, not as a topic config",
            e is not None and e.value == "1073741824"
            and e.source in (ConfigSource.DEFAULT_CONFIG.value, ConfigSource.STATIC_BROKER_CONFIG.value),
            e and (e.value, e.source))
    e = cfg.get("retention.bytes")
    s.check("describe_configs topic: retention.bytes comes from the broker's --override, as a static broker config",
            e is not None and e.value == STATIC_RETENTION_BYTES
            and e.source == ConfigSource.STATIC_BROKER_CONFIG.value, e and (e.value, e.source))
    s.check("describe_configs topic: cleanup.policy is listed", "cleanup.policy" in cfg, sorted(cfg)[:10])

    bres = ConfigResource(ConfigResource.Type.BROKER, "0")
    bcfg = describe(bres)
    e = bcfg.get("log.retention.bytes")
    s.check("describe_configs broker 0: log.retention.bytes is the override, a static broker config",
            e is not None and e.value == STATIC_RETENTION_BYTES
            and e.source == ConfigSource.STATIC_BROKER_CONFIG.value, e and (e.value, e.source))
    e = bcfg.get("num.partitions")
    s.check("describe_configs broker 0: num.partitions = 1", e is not None and e.value == "1",
            e and e.value)

    try:
        describe(ConfigResource(ConfigResource.Type.TOPIC, "py-no-such-topic"))
        s.fail("describe_configs on an unknown topic fails with UNKNOWN_TOPIC_OR_PARTITION", "it succeeded")
    except KafkaException as ex:
        s.eq("describe_configs on an unknown topic fails with UNKNOWN_TOPIC_OR_PARTITION",
             UNKNOWN_TOPIC_OR_PARTITION, ex.args[0].code())

    # AlterConfigs replaces the topic's whole config (non-incremental, as in Kafka)
    res = ConfigResource(ConfigResource.Type.TOPIC, "py-a", set_config={"retention.ms": "7200000"})
    s.eq("alter_configs: retention.ms=7200000 succeeds", 0, err_code(admin.alter_configs([res])[res]))
    cfg = describe(ConfigResource(ConfigResource.Type.TOPIC, "py-a"))
    e = cfg.get("retention.ms")
    s.check("alter_configs: describe shows retention.ms = 7200000", e is not None and e.value == "7200000",
            e and e.value)
    e = cfg.get("max.message.bytes")
    s.check("alter_configs: max.message.bytes, left out of the request, is back to its default",
            e is not None and e.value == "1048588" and e.source != ConfigSource.DYNAMIC_TOPIC_CONFIG.value,
            e and (e.value, e.source))
    res = ConfigResource(ConfigResource.Type.TOPIC, "py-a", set_config={"retention.ms": "-7x"})
    s.eq("alter_configs: a bad value fails with INVALID_CONFIG", INVALID_CONFIG,
         err_code(admin.alter_configs([res])[res]))
    e = describe(ConfigResource(ConfigResource.Type.TOPIC, "py-a")).get("retention.ms")
    s.check("alter_configs: a refused change leaves the config as it was", e is not None and e.value == "7200000",
            e and e.value)


# ------------------------------------------------------------------ partitions
def test_partitions():
    f = admin.create_partitions([NewPartitions("py-a", 5)])["py-a"]
    s.eq("create_partitions: py-a 3 -> 5 succeeds", 0, err_code(f))
    s.eq("create_partitions: metadata shows 5 partitions", 5, wait_partitions("py-a", 5))
    f = admin.create_partitions([NewPartitions("py-a", 2)])["py-a"]
    s.eq("create_partitions: shrinking 5 -> 2 fails with INVALID_PARTITIONS", INVALID_PARTITIONS, err_code(f))
    f = admin.create_partitions([NewPartitions("py-no-such-topic", 4)])["py-no-such-topic"]
    s.eq("create_partitions: an unknown topic fails with UNKNOWN_TOPIC_OR_PARTITION",
         UNKNOWN_TOPIC_OR_PARTITION, err_code(f))
    f = admin.create_partitions([NewPartitions("py-a", 8)], validate_only=True)["py-a"]
    s.eq("create_partitions validate_only: succeeds", 0, err_code(f))
    s.eq("create_partitions validate_only: changes nothing", 5, topic_partitions("py-a"))


# ------------------------------------------------------------------ produce/consume
def produce(topic, n, conf, key_fmt="k%d", partitions=None):
    """Produces n records; returns (ok_reports, errors, {(p, off): (k, v, hdrs, ts)})."""
    p = Producer(dict({"bootstrap.servers": BS, "linger.ms": 5}, **conf))
    delivered, errors = {}, []
    sent = {}

    def cb(err, msg, i):
        if err is not None:
            errors.append(err)
            return
        delivered[(msg.partition(), msg.offset())] = sent[i]

    t0 = 1_650_000_000_000
    for i in range(n):
        key = (key_fmt % i).encode()
        val = ("value %d " % i).encode() + bytes([i % 256]) * (i % 40)
        hdrs = [("i", str(i).encode()), ("h2", b"\x00\x01")]
        ts = t0 + i
        sent[i] = (key, val, hdrs, ts)
        kw = {}
        if partitions:
            kw["partition"] = i % partitions
        for _ in range(100):
            try:
                p.produce(topic, value=val, key=key, headers=hdrs, timestamp=ts,
                          on_delivery=lambda e, m, i=i: cb(e, m, i), **kw)
                break
            except BufferError:
                p.poll(0.1)
        if i % 500 == 0:
            p.poll(0)
    left = p.flush(60)
    return n - left - len(errors), errors, delivered


def consume_all(topic, nparts, expect_total, timeout=60):
    c = Consumer({"bootstrap.servers": BS, "group.id": "py-assign-only",
                  "enable.auto.commit": False, "enable.partition.eof": True,
                  "auto.offset.reset": "error"})
    c.assign([TopicPartition(topic, p, -2) for p in range(nparts)])  # -2 = OFFSET_BEGINNING
    got, errors, eof = {}, [], set()
    dups = 0
    deadline = time.time() + timeout
    while time.time() < deadline and (len(eof) < nparts or len(got) < expect_total):
        msgs = c.consume(1000, 0.5)
        for m in msgs:
            if m.error():
                if m.error().code() == KafkaError._PARTITION_EOF:
                    eof.add(m.partition())
                else:
                    errors.append(m.error())
                continue
            k = (m.partition(), m.offset())
            if k in got:
                dups += 1
            got[k] = (m.key(), m.value(), m.headers() or [], m.timestamp()[1])
    wm = {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=T) for p in range(nparts)}
    c.close()
    return got, errors, dups, wm


def test_produce_consume():
    n = 5000
    ok_n, errors, delivered = produce("py-a", n, {"enable.idempotence": True, "acks": "all"})
    s.eq("idempotent producer: %d successful delivery callbacks" % n, (n, []), (ok_n, errors[:3]))
    parts = {}
    for (p, off) in delivered:
        parts.setdefault(p, []).append(off)
    s.check("idempotent producer: offsets per partition are 0..n-1 without gaps",
            all(sorted(v) == list(range(len(v))) for v in parts.values()),
            {p: (min(v), max(v), len(v)) for p, v in parts.items()})
    s.check("idempotent producer: the key partitioner spread records over the 5 partitions",
            len(parts) == 5, sorted(parts))

    got, cerrors, dups, wm = consume_all("py-a", 5, n)
    s.eq("assign() consumer: no errors, no duplicates", ([], 0), ([str(e) for e in cerrors[:3]], dups))
    s.eq("assign() consumer: read exactly what was acknowledged", len(delivered), len(got))
    mismatch = [k for k in delivered if got.get(k) != (delivered[k][0], delivered[k][1],
                                                       delivered[k][2], delivered[k][3])]
    s.check("assign() consumer: keys, values, headers and timestamps byte-identical",
            not mismatch, mismatch[:3] and (mismatch[0], delivered[mismatch[0]], got.get(mismatch[0])))
    s.eq("watermarks: low 0, high = records per partition",
         {p: (0, len(v)) for p, v in parts.items()}, {p: wm[p] for p in parts})

    # offsets_for_times: record i has timestamp t0 + i
    c = Consumer({"bootstrap.servers": BS, "group.id": "py-assign-only"})
    some = sorted((v[3], k) for k, v in delivered.items())
    target_ts, (tp, toff) = some[1234]
    r = c.offsets_for_times([TopicPartition("py-a", tp, target_ts)], timeout=T)
    s.eq("offsets_for_times: finds the record with that timestamp", toff, r[0].offset)
    r = c.offsets_for_times([TopicPartition("py-a", tp, 1)], timeout=T)
    s.eq("offsets_for_times: a timestamp before all gives offset 0", 0, r[0].offset)
    c.close()

    # a plain (non-idempotent) acks=1 producer to an auto-created topic
    ok_n, errors, delivered = produce("py-auto", 500, {"acks": 1}, partitions=1)
    s.eq("acks=1 producer to an auto-created topic: all delivered", (500, []), (ok_n, errors[:3]))
    got, cerrors, dups, wm = consume_all("py-auto", 1, 500)
    s.check("acks=1 topic reads back identical",
            not cerrors and not dups and got == {k: v for k, v in delivered.items()},
            (len(got), cerrors[:2], dups))


# ------------------------------------------------------------------ delete
def test_delete():
    ok_n, errors, _ = produce("py-del", 20, {"acks": "all"}, partitions=2)
    s.eq("py-del: 20 records produced before deletion", 20, ok_n)
    f = admin.delete_topics(["py-del"], operation_timeout=10)["py-del"]
    s.eq("delete_topics: py-del succeeds", 0, err_code(f))
    deadline = time.time() + 10
    while time.time() < deadline and "py-del" in all_topics():
        time.sleep(0.1)
    s.check("delete_topics: py-del is gone from list_topics", "py-del" not in all_topics())
    f = admin.delete_topics(["py-never-existed"])["py-never-existed"]
    s.eq("delete_topics: an unknown topic fails with UNKNOWN_TOPIC_OR_PARTITION",
         UNKNOWN_TOPIC_OR_PARTITION, err_code(f))
    f = admin.create_topics([NewTopic("py-del", 2, 1)])["py-del"]
    s.eq("create_topics: py-del can be created again", 0, err_code(f))
    wait_partitions("py-del", 2)
    c = Consumer({"bootstrap.servers": BS, "group.id": "py-assign-only"})
    wm = [c.get_watermark_offsets(TopicPartition("py-del", p), timeout=T) for p in range(2)]
    c.close()
    s.eq("the re-created topic starts empty", [(0, 0), (0, 0)], wm)
    leftovers = [d for d in os.listdir(b.data_dir) if d.startswith("py-del-") and "delete" not in d]
    s.check("the data dir holds only the re-created topic's partition dirs under that name", sorted(leftovers) == ["py-del-0", "py-del-1"],
            sorted(os.listdir(b.data_dir)))


for name, fn in [("metadata", test_metadata), ("create", test_create), ("configs", test_configs),
                 ("partitions", test_partitions), ("produce/consume", test_produce_consume),
                 ("delete", test_delete)]:
    s.run(name, fn)

s.check("broker still running", b.alive())
admin = None  # no client left to log reconnect attempts after the broker stops
s.eq("broker exits 0 on SIGTERM", 0, b.stop())
s.finish()
