#!/usr/bin/python3
"""test_mirror_active_passive.py — strait-mirror copies a topic from one
strait-broker cluster (east) to another (west), active/passive.

100,000 keyed records on 6 partitions, with headers and explicit
timestamps, produced to east by librdkafka (confluent-kafka). West ends with
exactly the same records per partition, in order (keys, values, headers,
timestamps), each with our provenance headers (strait.origin = east's
cluster id, strait.source = "<east id>:<topic>:<partition>:<offset>"), and
no extra record. The target topic is created by the mirror with the
source's partition count and its dynamic configs (retention.ms), and a
prefix flow writes "east.<topic>" alongside. A SIGTERM stop exits 0 and a
restart adds nothing. Compression: a gzip-produced topic arrives as gzip
batches (the codec is kept), checked through the broker's stored batches.
"""
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "interop", "lib"))
from broker import Broker, Suite, wait_for  # noqa: E402
from mirror import (Mirror, create_topic, end_offsets, ensure_mirror_binary,  # noqa: E402
                    payload, produce, read_partitions, wait_mirrored)

TOPIC, PARTS, N = "orders", 6, 100_000

s = Suite("mirror-active-passive")
err = ensure_mirror_binary()
if err:
    s.fail("strait-mirror builds", err)
    s.finish()


def records():
    base = 1_700_000_000_000
    for i in range(N):
        yield {"key": b"truck-%d" % (i % 977), "value": b"v%08d" % i,
               "partition": i % PARTS, "headers": [("seq", b"%d" % i)],
               "timestamp": base + i}


def cluster_id(b):
    from confluent_kafka.admin import AdminClient
    md = AdminClient({"bootstrap.servers": b.bootstrap}).list_topics(timeout=10)
    return md.cluster_id


def check_copy(east, west, topic, target_topic):
    src = read_partitions(east.bootstrap, topic, PARTS)
    dst = read_partitions(west.bootstrap, target_topic, PARTS)
    s.eq("%s: same record count per partition" % target_topic,
         {p: len(v) for p, v in src.items()}, {p: len(v) for p, v in dst.items()})
    same = all([payload(r) for r in src[p]] == [payload(r) for r in dst[p]] for p in range(PARTS))
    s.check("%s: same keys, values, headers and timestamps in the same order" % target_topic, same)
    eid = cluster_id(east)
    prov_ok = all(r[3].get("strait.origin") == eid.encode() and
                  r[3].get("strait.source") == ("%s:%s:%d:%d" % (eid, topic, p, sr[0])).encode()
                  for p in range(PARTS) for sr, r in zip(src[p], dst[p]))
    s.check("%s: provenance headers name east and the source offset" % target_topic, prov_ok)


try:
    east = Broker(s.tmp, "east", {"num.partitions": 1}).start()
    west = Broker(s.tmp, "west", {"num.partitions": 1}).start()
    create_topic(east.bootstrap, TOPIC, PARTS, {"retention.ms": "86400000"})
    create_topic(east.bootstrap, "zipped", 2)
    t0 = time.time()
    produce(east.bootstrap, TOPIC, records())
    produce(east.bootstrap, "zipped", ({"key": b"k%d" % i, "value": b"x" * 200} for i in range(2000)),
            {"compression.type": "gzip"})
    s.note("produced %d records in %.1f s" % (N, time.time() - t0))

    m = Mirror(s.tmp, "m", {"east": east.bootstrap, "west": west.bootstrap}, [
        {"name": "ew", "source": "east", "target": "west", "topics": [TOPIC, "zipped"]}]).start()
    # one flow per source and target in a config: the prefix copy runs in a second mirror
    mp = Mirror(s.tmp, "mp", {"east": east.bootstrap, "west": west.bootstrap}, [
        {"name": "ew-prefix", "source": "east", "target": "west", "topics": [TOPIC],
         "naming": "prefix"}]).start()
    s.check("identity copy catches up", wait_mirrored(east.bootstrap, west.bootstrap, TOPIC, TOPIC, PARTS, 180),
            m.log()[-3000:])
    s.check("prefix copy catches up",
            wait_mirrored(east.bootstrap, west.bootstrap, TOPIC, "east." + TOPIC, PARTS, 180))
    check_copy(east, west, TOPIC, TOPIC)
    check_copy(east, west, TOPIC, "east." + TOPIC)
    s.eq("the prefix mirror stops with status 0", 0, mp.stop())

    from confluent_kafka.admin import AdminClient, ConfigResource
    a = AdminClient({"bootstrap.servers": west.bootstrap})
    md = a.list_topics(timeout=10)
    s.eq("target topic has the source's partition count", PARTS, len(md.topics[TOPIC].partitions))
    cfg = a.describe_configs([ConfigResource("topic", TOPIC)])
    entries = list(cfg.values())[0].result(10)
    s.eq("target topic got the source's retention.ms", "86400000", entries["retention.ms"].value)

    s.check("gzip topic mirrored", wait_mirrored(east.bootstrap, west.bootstrap, "zipped", "zipped", 2, 60))
    seg = os.path.join(west.data_dir, "zipped-0", "00000000000000000000.log")
    with open(seg, "rb") as f:
        data = f.read()
    # RecordBatch: attributes (int16) at byte 21 of each batch; codec = low 3 bits
    codecs, pos = set(), 0
    while pos + 61 <= len(data):
        length = int.from_bytes(data[pos + 8:pos + 12], "big")
        codecs.add(int.from_bytes(data[pos + 21:pos + 23], "big") & 7)
        pos += 12 + length
    s.eq("gzip batches stay gzip on the target", {1}, codecs)

    rc = m.stop()
    s.eq("SIGTERM stops the mirror with status 0", 0, rc)
    before = end_offsets(west.bootstrap, TOPIC, PARTS)
    m.start()
    time.sleep(4)
    s.eq("a restart adds nothing", before, end_offsets(west.bootstrap, TOPIC, PARTS))
    produce(east.bootstrap, TOPIC, ({"key": b"late", "value": b"%d" % i, "partition": i % PARTS}
                                    for i in range(600)))
    s.check("records produced after the restart arrive",
            wait_mirrored(east.bootstrap, west.bootstrap, TOPIC, TOPIC, PARTS, 60))
    check_copy(east, west, TOPIC, TOPIC)
    m.stop()
except Exception as e:  # noqa: BLE001
    import traceback
    traceback.print_exc(file=sys.stdout)
    s.fail("active/passive scenario", "%s: %s" % (type(e).__name__, e))
s.finish()
