#!/usr/bin/python3
"""test_retention.py — segment roll, size/time retention, DeleteRecords, and
consumers below the log start.

Batches are written with raw Produce requests (tests/interop/lib/kwire.py), all
of one size, so where segments roll and which ones retention removes is known
exactly. Asserts, with small segments (4096 bytes) and retention.bytes 8192:
- segments roll by size: files named by 20-digit base offsets, each rolled one
  holding exactly the batches that fit, with its .index and .timeindex;
- size retention removes whole old segments by Kafka's rule (drop the oldest
  while what remains stays >= retention.bytes) and deletes their files;
- the log start (ListOffsets earliest) moves up to the first kept segment and
  survives a restart; the end offset does not move;
- below the log start: raw Fetch gets OFFSET_OUT_OF_RANGE, a librdkafka
  consumer with auto.offset.reset=error gets "offset out of range", one with
  auto.offset.reset=earliest restarts at the log start;
- the same through topic configs set with the Python AdminClient (create_topics),
  nothing deleted while retention.bytes is unlimited, and a retention.bytes added
  later with alter_configs takes effect;
- time retention (retention.ms) removes the segments whose newest record is
  older than it, and keeps the first segment holding a recent record;
- DeleteRecords moves the log start to the given offset (or to the end for -1),
  refuses an offset past the end, and the new start survives a restart;
- ListOffsets by time (timestamps out of order, over several segments) gives
  the earliest record at or after the time, and v7 MAX_TIMESTAMP (-3) the first
  record with the largest timestamp.
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop", "lib"))
from broker import Broker, Suite, wait_for  # noqa: E402
import kwire  # noqa: E402

s = Suite("retention")
try:
    from confluent_kafka import Consumer, KafkaError, TopicPartition  # noqa: E402
    from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic  # noqa: E402
except ImportError as e:
    s.fail("confluent_kafka imports (make deps installs python3-confluent-kafka)", e)
    s.finish()

SEG = 4096
RET = 8192
PER_BATCH = 10
FAST = {"log.retention.check.interval.ms": 200, "log.segment.delete.delay.ms": 0}


def batch(i, ts=None):
    recs = [(b"key-%06d" % (i * PER_BATCH + j), b"v" * 90, []) for j in range(PER_BATCH)]
    return kwire.record_batch(recs, base_ts=ts if ts is not None else int(time.time() * 1000))


BATCH_SIZE = len(batch(0))
PER_SEG = SEG // BATCH_SIZE  # batches in a rolled segment


def expected_start(nbatches, retention=RET):
    """Kafka's size rule over the segment layout: delete the oldest segment while the
    rest still holds >= retention bytes. Returns (log start offset, kept segment bases)."""
    segs = []
    for b in range(0, nbatches, PER_SEG):
        n = min(PER_SEG, nbatches - b)
        segs.append((b * PER_BATCH, n * BATCH_SIZE))
    total = sum(sz for _, sz in segs)
    while len(segs) > 1 and total - segs[0][1] >= retention:
        total -= segs[0][1]
        segs.pop(0)
    return segs[0][0], [base for base, _ in segs]


SENT = {}  # (topic, batch number) -> the bytes sent


def produce_batches(conn, topic, n, first=0, ts=None):
    for i in range(first, first + n):
        SENT[(topic, i)] = batch(i, ts)
        err, base, _ = conn.produce(topic, 0, SENT[(topic, i)], acks=-1)
        if err or base != i * PER_BATCH:
            return "batch %d: error %d, base offset %d" % (i, err, base)
    return None


def earliest(conn, topic):
    return conn.list_offsets(topic, 0, -2)[2]


def latest(conn, topic):
    return conn.list_offsets(topic, 0, -1)[2]


def segment_files(b, topic):
    d = os.path.join(b.data_dir, topic + "-0")
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def check_layout(label, b, topic, nbatches, kept):
    files = segment_files(b, topic)
    logs = sorted(f for f in files if f.endswith(".log"))
    want = ["%020d.log" % base for base in kept]
    s.eq("%s: the segment files are exactly the kept ones, named by 20-digit base offsets" % label,
         want, logs)
    s.check("%s: each kept segment has its .index and .timeindex" % label,
            all(f[:-4] + ".index" in files and f[:-4] + ".timeindex" in files for f in logs),
            files)
    s.check("%s: no files of deleted segments are left" % label,
            not [f for f in files if f.split(".")[0].isdigit() and int(f.split(".")[0]) < kept[0]],
            files)
    d = os.path.join(b.data_dir, topic + "-0")
    sizes = [os.path.getsize(os.path.join(d, f)) for f in logs]
    s.check("%s: each rolled segment holds exactly the %d batches that fit in segment.bytes=%d"
            % (label, PER_SEG, SEG), all(sz == PER_SEG * BATCH_SIZE for sz in sizes[:-1]),
            "%s (batch %d bytes)" % (sizes, BATCH_SIZE))


def check_below_start(label, b, conn, topic, start):
    f = conn.fetch(topic, 0, 0)
    s.eq("%s: Fetch at offset 0 gets OFFSET_OUT_OF_RANGE" % label, kwire.OFFSET_OUT_OF_RANGE, f["error"])
    f = conn.fetch(topic, 0, start - 1)
    s.eq("%s: Fetch at log start - 1 gets OFFSET_OUT_OF_RANGE" % label, kwire.OFFSET_OUT_OF_RANGE, f["error"])
    f = conn.fetch(topic, 0, start)
    bs = kwire.parse_batches(f["records"])
    s.check("%s: Fetch at the log start returns the batch at it, unchanged" % label,
            f["error"] == 0 and bs and bs[0][0] <= start <= bs[0][0] + bs[0][1]
            and bs[0][3][21:] == SENT[(topic, bs[0][0] // PER_BATCH)][21:] or False,
            (f["error"], bs[:1] and bs[0][:2]))
    # librdkafka consumers
    errs, first = consume_from(b, topic, 0, "error")
    s.check("%s: librdkafka auto.offset.reset=error at offset 0 reports offset out of range" % label,
            any("out of range" in e.lower() for e in errs), errs[:3])
    errs, first = consume_from(b, topic, 0, "earliest")
    s.eq("%s: librdkafka auto.offset.reset=earliest at offset 0 restarts at the log start" % label,
         start, first)


def consume_from(b, topic, offset, reset, timeout=15):
    c = Consumer({"bootstrap.servers": b.bootstrap, "group.id": "retention-assign-only",
                  "enable.auto.commit": False, "auto.offset.reset": reset})
    c.assign([TopicPartition(topic, 0, offset)])
    errs, first = [], None
    deadline = time.time() + timeout
    while time.time() < deadline and first is None and not errs:
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            if m.error().code() != KafkaError._PARTITION_EOF:
                errs.append(str(m.error()))
            continue
        first = m.offset()
    c.close()
    return errs, first


def wait_start(conn, topic, want, timeout=15):
    return wait_for(lambda: earliest(conn, topic) == want, timeout, 0.1) or earliest(conn, topic)


# ------------------------------------------------------------------ broker-level settings
def test_broker_settings():
    b = Broker(s.tmp, "b1", dict(FAST, **{"log.segment.bytes": SEG, "log.retention.bytes": RET})).start()
    c = kwire.Conn("127.0.0.1", b.port)
    c.metadata(["sz"])
    n = 30
    s.eq("broker settings: %d batches of %d bytes produced" % (n, BATCH_SIZE), None, produce_batches(c, "sz", n))
    start, kept = expected_start(n)
    got = wait_start(c, "sz", start)
    s.eq("broker settings: ListOffsets earliest moves to the first kept segment (%d)" % start, start,
         earliest(c, "sz"))
    s.check("broker settings: retention removed something", start > 0, got)
    s.eq("broker settings: ListOffsets latest stays at the end", n * PER_BATCH, latest(c, "sz"))
    check_layout("broker settings", b, "sz", n, kept)
    check_below_start("broker settings", b, c, "sz", start)
    c.close()
    s.eq("broker settings: SIGTERM exits 0", 0, b.stop())
    b.start()
    c = kwire.Conn("127.0.0.1", b.port)
    s.eq("broker settings: the log start survives a restart", start, earliest(c, "sz"))
    err, base, _ = c.produce("sz", 0, batch(n), acks=-1)
    s.eq("broker settings: produce continues at the end after the restart", (0, n * PER_BATCH), (err, base))
    c.close()
    s.eq("broker settings: SIGTERM exits 0 again", 0, b.stop())


# ------------------------------------------------------------------ topic configs
def test_topic_configs():
    b = Broker(s.tmp, "b2", FAST).start()
    admin = AdminClient({"bootstrap.servers": b.bootstrap})
    fs = admin.create_topics([
        NewTopic("tc", 1, 1, config={"segment.bytes": str(SEG), "retention.bytes": str(RET)}),
        NewTopic("keep", 1, 1, config={"segment.bytes": str(SEG)}),
        NewTopic("timed", 1, 1, config={"segment.bytes": str(SEG)}),
        NewTopic("dr", 1, 1),
    ])
    errs = {}
    for name, f in fs.items():
        try:
            f.result(timeout=20)
        except Exception as e:  # noqa: BLE001
            errs[name] = str(e)
    s.eq("topic configs: create_topics with segment/retention configs succeeds", {}, errs)
    c = kwire.Conn("127.0.0.1", b.port)
    n = 30
    s.eq("topic configs: batches produced", [None] * 4,
         [produce_batches(c, "tc", n), produce_batches(c, "keep", n),
          produce_batches(c, "timed", 12, ts=int(time.time() * 1000) - 2 * 3600 * 1000),
          produce_batches(c, "dr", 10)])
    s.eq("topic configs: the 3 recent batches of 'timed' produced", None,
         produce_batches(c, "timed", 3, first=12))

    start, kept = expected_start(n)
    wait_start(c, "tc", start)
    s.eq("topic configs: ListOffsets earliest moves to the first kept segment (%d)" % start, start,
         earliest(c, "tc"))
    check_layout("topic configs", b, "tc", n, kept)
    check_below_start("topic configs", b, c, "tc", start)

    # no retention.bytes: nothing goes, however many segments
    time.sleep(1.0)
    s.eq("unlimited retention: nothing deleted", 0, earliest(c, "keep"))
    s.eq("unlimited retention: all %d segments kept" % -(-n // PER_SEG), -(-n // PER_SEG),
         len([f for f in segment_files(b, "keep") if f.endswith(".log")]))
    res = ConfigResource(ConfigResource.Type.TOPIC, "keep",
                         set_config={"segment.bytes": str(SEG), "retention.bytes": str(RET)})
    try:
        admin.alter_configs([res])[res].result(timeout=20)
        s.ok("alter_configs: retention.bytes added to 'keep'")
    except Exception as e:  # noqa: BLE001
        s.fail("alter_configs: retention.bytes added to 'keep'", e)
    wait_start(c, "keep", start)
    s.eq("alter_configs: the new retention.bytes takes effect (earliest %d)" % start, start, earliest(c, "keep"))

    # time retention: 12 batches 2 h old (4 segments), then 3 recent ones; then
    # retention.ms=1h (set after producing, so that no check runs half-way)
    want = (12 // PER_SEG) * PER_SEG * PER_BATCH
    s.eq("retention.ms: nothing deleted under the default 7 days", 0, earliest(c, "timed"))
    res = ConfigResource(ConfigResource.Type.TOPIC, "timed",
                         set_config={"segment.bytes": str(SEG), "retention.ms": "3600000"})
    try:
        admin.alter_configs([res])[res].result(timeout=20)
    except Exception as e:  # noqa: BLE001
        s.fail("alter_configs: retention.ms=3600000 on 'timed'", e)
    wait_start(c, "timed", want)
    s.eq("retention.ms: segments older than retention.ms go, the first with a recent record stays",
         want, earliest(c, "timed"))
    s.eq("retention.ms: the end offset stays", 15 * PER_BATCH, latest(c, "timed"))
    f = c.fetch("timed", 0, want)
    s.eq("retention.ms: the kept records read from the new log start", (0, want),
         (f["error"], (kwire.parse_batches(f["records"]) or [(None,)])[0][0]))

    # DeleteRecords
    try:
        s.eq("DeleteRecords: offset 35 succeeds, low watermark 35", (0, 35), c.delete_records("dr", 0, 35))
        s.eq("DeleteRecords: ListOffsets earliest is 35", 35, earliest(c, "dr"))
        s.eq("DeleteRecords: Fetch at 34 gets OFFSET_OUT_OF_RANGE", kwire.OFFSET_OUT_OF_RANGE,
             c.fetch("dr", 0, 34)["error"])
        errs, first = consume_from(b, "dr", -2, "earliest")  # -2 = from the beginning
        s.eq("DeleteRecords: a consumer from the beginning starts at 35", ([], 35), (errs, first))
        s.eq("DeleteRecords: past the end fails with OFFSET_OUT_OF_RANGE", kwire.OFFSET_OUT_OF_RANGE,
             c.delete_records("dr", 0, 1000)[0])
        s.eq("DeleteRecords: an offset below the start succeeds and changes nothing", (0, 35),
             c.delete_records("dr", 0, 20))
        s.eq("DeleteRecords: the start is still 35", 35, earliest(c, "dr"))
    except (kwire.Closed, ValueError, OSError) as e:
        s.fail("DeleteRecords answered", e)
    c.close()
    del admin
    s.eq("topic configs: SIGTERM exits 0", 0, b.stop())
    b.start()
    c = kwire.Conn("127.0.0.1", b.port)
    s.eq("DeleteRecords: the log start survives a restart", 35, earliest(c, "dr"))
    try:
        s.eq("DeleteRecords -1: everything up to the high watermark", (0, 100), c.delete_records("dr", 0, -1))
        s.eq("DeleteRecords -1: earliest = latest = 100", (100, 100), (earliest(c, "dr"), latest(c, "dr")))
    except (kwire.Closed, ValueError, OSError) as e:
        s.fail("DeleteRecords -1 answered", e)
    c.close()
    s.eq("SIGTERM exits 0", 0, b.stop())


# ------------------------------------------------------------------ ListOffsets by time
def test_list_offsets_by_time():
    """Timestamps out of order (one record per batch), across rolled segments."""
    b = Broker(s.tmp, "b3", {"log.segment.bytes": 200}).start()
    c = kwire.Conn("127.0.0.1", b.port)
    c.metadata(["ts"])
    t0 = 1_600_000_000_000
    deltas = [5, 50, 20, 50, 10, 30]
    for i, d in enumerate(deltas):
        err, base, _ = c.produce("ts", 0, kwire.record_batch([(None, b"x" * 100, [])], base_ts=t0 + d), acks=-1)
        if err or base != i:
            s.fail("ListOffsets: record %d produced" % i, (err, base))
    nsegs = len([f for f in segment_files(b, "ts") if f.endswith(".log")])
    s.check("ListOffsets: the 6 records span several segments", nsegs >= 3, nsegs)
    try:
        s.eq("ListOffsets v7 MAX_TIMESTAMP (-3): the first record with the largest timestamp",
             (0, t0 + 50, 1), c.list_offsets_v7("ts", 0, -3))
    except (kwire.Closed, ValueError, OSError) as e:
        s.fail("ListOffsets v7 MAX_TIMESTAMP answered", e)
    for target, want in ((t0 + 20, (t0 + 50, 1)), (t0 + 51, (-1, -1)), (t0 + 5, (t0 + 5, 0)),
                         (t0 + 1, (t0 + 5, 0))):
        err, ts, off = c.list_offsets("ts", 0, target)
        s.eq("ListOffsets by time t0+%d: the earliest record at or after it" % (target - t0),
             (0,) + want, (err, ts, off))
    c.close()
    s.eq("SIGTERM exits 0", 0, b.stop())


s.note("batch %d bytes, %d batches per %d-byte segment" % (BATCH_SIZE, PER_SEG, SEG))
s.run("broker settings", test_broker_settings)
s.run("topic configs", test_topic_configs)
s.run("list offsets by time", test_list_offsets_by_time)
s.finish()
