#!/usr/bin/python3
"""test_compaction.py — log compaction end to end, against real broker processes.

The log cleaner (broker/log_cleaner.c) is driven only through what clients and
the data directory show: confluent-kafka-python (librdkafka) producers and
assign() consumers, the AdminClient, raw requests (tests/interop/lib/kwire.py,
kgroups.py), and the partition directories (segment files and the
cleaner-checkpoint file "0\\n<first dirty offset>\\n<delete horizon>\\n").
The broker runs with log.cleaner.backoff.ms=100 so the cleaner looks often.

1. Overwrites and tombstones. A topic created with the AdminClient:
   cleanup.policy=compact, segment.bytes=4096, segment.ms=1000,
   min.cleanable.dirty.ratio=0.01, delete.retention.ms=6000. A Producer
   writes 200 keys x 20 versions (interleaved), then tombstones for 20 keys,
   then 5 keys tombstoned and written again; the delivery reports give every
   record's offset and timestamp. After segment.ms, one more record rolls the
   segment by time, so that all of the above is in inactive segments.
   Once the cleaner checkpoint reaches the active segment:
   - the cleaned log keeps each key once below the active segment, at exactly
     the offset of its last write, with that write's value and timestamp (the
     20 tombstones still there as null values, before their delete horizon);
     every record read is the record produced at that offset; offsets ascend;
   - ListOffsets earliest stays 0 and latest stays at the end; an assign()
     consumer started at a removed offset gets the next kept record;
   - every .log file is at most segment.bytes, and the partition holds less
     than a quarter of the key+value bytes produced;
   - the checkpoint names a pending delete horizon (>= the clean time +
     delete.retention.ms). After it passes and the cleaner runs again, the
     checkpoint horizon is -1 and the tombstones are gone from the cleaned
     segments: the 20 deleted keys are absent, the 5 rewritten keys keep
     their new value, everything else is unchanged, at the same offsets;
   - after a clean restart (SIGTERM exits 0) the log reads back identically.
1b. Idempotent producers, same topic configs: producer A writes 50 keys x 10
   versions and 5 tombstones, then one record alone in its last batch, which
   producer B overwrites. After the clean, the consumer view is as in 1;
   raw Fetch reads every batch with a valid CRC; the one empty batch left is
   A's last (record count 0, A's producer id), kept as Kafka keeps it so the
   producer's sequence is not forgotten; A's next record is then accepted.
2. Keyless records on a compacted topic are refused as Kafka does: the
   Producer's delivery report has INVALID_RECORD (87), a raw Produce of a
   keyless batch or of a batch mixing keyed and keyless records gets error 87
   and appends nothing; an empty (non-null) key is accepted; a keyless record
   on a non-compacted topic is accepted.
3. __consumer_offsets stays small: with offsets.topic.segment.bytes=16384 and
   the broker's default min.cleanable.ratio (0.5), one group commits offsets
   1..20000 of one partition, one OffsetCommit after the other (19,000 raw
   OffsetCommit v7 requests through kgroups.py, then 1,000
   Consumer.commit(offsets=..., asynchronous=False)). The total size of the
   __consumer_offsets-*/*.log files, sampled every 250 commits, never reaches
   1 MB (without compaction the 20,000 commit records take 20,000 x the
   measured bytes per commit, ~125: 2.5 MB, which is checked to be > 2 MB),
   and the group's partition never has 64 segment files (uncleaned: ~150).
   Once the cleaner checkpoint reaches the active segment, the files total
   < 32 KB (2 x offsets.topic.segment.bytes) and raw Fetch finds exactly one
   record below the active segment: the last one before it. OffsetFetch and
   Consumer.committed() give 20000; after a clean restart the committed
   offset comes back (with the empty metadata of the last commit, which
   replaced the raw commits' "m<n>"), and the files are still small.
"""
import os
import struct
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "interop", "lib"))
from broker import Broker, Suite, wait_for  # noqa: E402
import kwire  # noqa: E402
from kgroups import NONE, GroupConn, ename  # noqa: E402

s = Suite("compaction")
try:
    from confluent_kafka import (OFFSET_BEGINNING, Consumer, KafkaError,  # noqa: E402
                                 Producer, TopicPartition)
    from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402
except ImportError as e:
    s.fail("confluent_kafka imports (make deps installs python3-confluent-kafka)", e)
    s.finish()

INVALID_RECORD = 87
BACKOFF_MS = 100       # log.cleaner.backoff.ms
SEG = 4096             # segment.bytes of the compacted topic
SEG_MS = 1000          # segment.ms of the compacted topic
DEL_RET_MS = 6000      # delete.retention.ms of the compacted topic
NKEYS, NVERSIONS = 200, 20
TOMB = [k for k in range(NKEYS) if k % 10 == 3]    # 20 keys deleted
REBORN = [5, 55, 105, 155, 195]                     # deleted, then written again
TOPIC = "cmp"

OFFSETS_SEG = 16384    # offsets.topic.segment.bytes
NCOMMITS = 20000
CLIENT_COMMITS = 1000  # the last ones, through Consumer.commit
PEAK_BOUND = 1 << 20   # __consumer_offsets .log bytes, at any sample
FINAL_BOUND = 2 * OFFSETS_SEG  # ... once the cleaner has caught up (active + cleaned)
MAX_SEGMENTS = 64      # .log files of the group's partition, at any sample (uncleaned: ~150)
GROUP = "cmp-group"
COMMIT_TOPIC = "cmp-commits"


def key(k):
    return b"key-%03d" % k


def value(k, v):
    return (b"%s=v%02d;" % (key(k), v)).ljust(40, b".")


# ------------------------------------------------------------------ data dir helpers
def part_dir(b, topic, p=0):
    return os.path.join(b.data_dir, "%s-%d" % (topic, p))


def log_files(d):
    """[(base offset, size)] of the segment .log files of a partition dir."""
    out = []
    for f in os.listdir(d) if os.path.isdir(d) else []:
        if f.endswith(".log") and f[:-4].isdigit():
            try:
                out.append((int(f[:-4]), os.path.getsize(os.path.join(d, f))))
            except OSError:  # replaced by the cleaner meanwhile
                pass
    return sorted(out)


def active_base(d):
    fs = log_files(d)
    return fs[-1][0] if fs else -1


def checkpoint(d):
    """(first dirty offset, delete horizon) from cleaner-checkpoint, or None."""
    try:
        with open(os.path.join(d, "cleaner-checkpoint")) as f:
            lines = f.read().split()
        return int(lines[1]), int(lines[2])
    except (OSError, IndexError, ValueError):
        return None


def offsets_partition(group, partitions=50):
    """The __consumer_offsets partition of a group (Java's String.hashCode)."""
    h = 0
    for ch in group.encode():
        h = (31 * h + ch) & 0xFFFFFFFF
    return (h & 0x7FFFFFFF) % partitions


def offsets_topic_bytes(b):
    total = 0
    for name in os.listdir(b.data_dir):
        if name.startswith("__consumer_offsets-"):
            total += sum(sz for _, sz in log_files(os.path.join(b.data_dir, name)))
    return total


# ------------------------------------------------------------------ client helpers
def create_topics(b, topics):
    """topics: [(name, {config})]; returns {name: error text} of the failures."""
    admin = AdminClient({"bootstrap.servers": b.bootstrap})
    fs = admin.create_topics([NewTopic(n, 1, 1, config=cfg) for n, cfg in topics],
                             operation_timeout=10)
    errs = {}
    for name, f in fs.items():
        try:
            f.result(timeout=20)
        except Exception as e:  # noqa: BLE001
            errs[name] = str(e)
    return errs


class Sent:
    """Delivery reports: offset -> (key, value, timestamp); errors."""

    def __init__(self):
        self.by_offset = {}
        self.errors = []

    def cb(self, err, msg):
        if err is not None:
            self.errors.append((msg.key(), err))
        else:
            self.by_offset[msg.offset()] = (msg.key(), msg.value(), msg.timestamp()[1])


def produce_all(p, topic, items, sent, timeout=30):
    """items: [(key, value)] in order. Returns the number not yet delivered."""
    deadline = time.time() + timeout
    for k, v in items:
        while time.time() < deadline:
            try:
                p.produce(topic, key=k, value=v, on_delivery=sent.cb)
                break
            except BufferError:
                p.poll(0.05)
        p.poll(0)
    return p.flush(max(1.0, deadline - time.time()))


def consume_all(b, topic, end, start=OFFSET_BEGINNING, timeout=20):
    """Every record from start up to the end offset end (exclusive), with an
    assign() consumer: [(offset, key, value, timestamp)], errors."""
    c = Consumer({"bootstrap.servers": b.bootstrap, "group.id": "cmp-reader",
                  "enable.auto.commit": False, "enable.partition.eof": True,
                  "auto.offset.reset": "error", "fetch.wait.max.ms": 50})
    c.assign([TopicPartition(topic, 0, start)])
    out, errs = [], []
    deadline = time.time() + timeout
    eof = False
    while time.time() < deadline and not eof and len(errs) < 5:
        m = c.poll(0.2)
        if m is None:
            continue
        if m.error():
            if m.error().code() == KafkaError._PARTITION_EOF:
                eof = m.offset() >= end
            else:
                errs.append(str(m.error()))
            continue
        out.append((m.offset(), m.key(), m.value(), m.timestamp()[1]))
    c.close()
    if not eof:
        errs.append("no end of partition at offset %d within %d s (read %d records)"
                    % (end, timeout, len(out)))
    return out, errs


def raw_batches(b, topic, end, partition=0):
    """Every batch header from offset 0 to end through raw Fetch requests:
    [(base offset, last offset delta, record count, producer id, crc ok, raw)]."""
    c = kwire.Conn("127.0.0.1", b.port)
    out, off = [], 0
    for _ in range(1000):
        if off >= end:
            break
        f = c.fetch(topic, partition, off)
        bs = [x for x in kwire.parse_batches(f["records"]) if x[0] + x[1] >= off]
        if f["error"] or not bs:
            out.append(("fetch at %d" % off, f["error"], len(f["records"])))
            break
        for base, lod, ok, raw in bs:
            out.append((base, lod, struct.unpack(">i", raw[57:61])[0],
                        struct.unpack(">q", raw[43:51])[0], ok, raw))
        off = bs[-1][0] + bs[-1][1] + 1
    c.close()
    return out


def last_writes(sent, below):
    """key -> (offset, value, timestamp) of the last write below offset below."""
    last = {}
    for off in sorted(sent.by_offset):
        if off < below:
            k, v, ts = sent.by_offset[off]
            last[k] = (off, v, ts)
    return last


def mismatches(records, sent):
    """Records that are not the record produced at their offset."""
    bad = []
    for off, k, v, ts in records:
        if sent.by_offset.get(off) != (k, v, ts):
            bad.append((off, (k, v, ts), sent.by_offset.get(off)))
    return bad


def check_view(label, records, errs, sent, below, want, end):
    """The checks shared by every read of the compacted log. want: key ->
    (offset, value, timestamp) expected below the active segment."""
    s.eq("%s: the consumer reads to the end without errors" % label, [], errs)
    offs = [r[0] for r in records]
    s.check("%s: offsets ascend strictly" % label,
            all(a < b_ for a, b_ in zip(offs, offs[1:])), offs[:20])
    bad = mismatches(records, sent)
    s.eq("%s: every record read is the record produced at its offset (key, value, timestamp)"
         % label, [], bad[:5])
    s.eq("%s: the last record is at end - 1 (%d)" % (label, end - 1), end - 1, offs[-1] if offs else None)
    inactive = [r for r in records if r[0] < below]
    seen = {}
    dups = []
    for off, k, v, ts in inactive:
        if k in seen:
            dups.append((k, seen[k], off))
        seen[k] = (off, v, ts)
    s.eq("%s: below the active segment (offset %d) each key appears at most once" % (label, below),
         [], dups[:5])
    missing = sorted(set(want) - set(seen))
    extra = sorted(set(seen) - set(want))
    wrong = sorted((k, want[k], seen[k]) for k in set(want) & set(seen) if want[k] != seen[k])
    s.eq("%s: below the active segment the keys are exactly the expected %d, each at the offset"
         " of its last write, with its value and timestamp" % (label, len(want)),
         ([], [], []), (missing[:5], extra[:5], wrong[:5]))
    return seen


# ------------------------------------------------------------------ 1. overwrites and tombstones
def test_overwrites_and_tombstones(b):
    errs = create_topics(b, [(TOPIC, {"cleanup.policy": "compact", "segment.bytes": str(SEG),
                                      "segment.ms": str(SEG_MS),
                                      "min.cleanable.dirty.ratio": "0.01",
                                      "delete.retention.ms": str(DEL_RET_MS)})])
    if not s.eq("compact topic: AdminClient create_topics with the compaction configs succeeds", {}, errs):
        return
    d = part_dir(b, TOPIC)
    p = Producer({"bootstrap.servers": b.bootstrap, "linger.ms": 5, "batch.size": 1500,
                  "acks": "all"})
    sent = Sent()
    items = [(key(k), value(k, v)) for v in range(NVERSIONS) for k in range(NKEYS)]
    items += [(key(k), None) for k in TOMB]
    items += [(key(k), None) for k in REBORN]
    items += [(key(k), value(k, 99)) for k in REBORN]
    t0 = time.time()
    left = produce_all(p, TOPIC, items, sent)
    s.eq("compact topic: all %d records acknowledged (%d overwrites, %d tombstones, %d keys"
         " deleted and written again)" % (len(items), NKEYS * NVERSIONS, len(TOMB), len(REBORN)),
         (0, [], len(items)), (left, sent.errors[:3], len(sent.by_offset)))
    s.eq("compact topic: the delivery reports give offsets 0..%d" % (len(items) - 1),
         list(range(len(items))), sorted(sent.by_offset))
    data_end = len(items)
    payload = sum(len(k) + (len(v) if v else 0) for k, v in items)
    s.note("produced %d records (%d key+value bytes) in %.1f s; %d segment files now"
           % (len(items), payload, time.time() - t0, len(log_files(d))))

    # roll by segment.ms: one record, produced after segment.ms, starts a new segment
    time.sleep(SEG_MS / 1000.0 + 0.2)
    filler = Sent()
    produce_all(p, TOPIC, [(b"zz-filler", b"roll")], filler)
    fill_off = min(filler.by_offset) if filler.by_offset else None
    sent.by_offset.update(filler.by_offset)
    s.eq("compact topic: a record produced after segment.ms (%d ms) starts a new segment" % SEG_MS,
         (data_end, data_end), (fill_off, active_base(d)))
    end = data_end + 1
    below = active_base(d)

    # wait for the cleaner to reach the active segment
    t_wait = time.time()
    cp = wait_for(lambda: (checkpoint(d) or (0, 0))[0] >= below and checkpoint(d), 20, 0.05)
    t_clean = time.time()
    s.check("compact topic: the cleaner checkpoint reaches the active segment (%d) within 20 s" % below,
            cp, "checkpoint %s; broker log tail:\n%s" % (checkpoint(d), b.log()[-1500:]))
    if not cp:
        return
    s.note("cleaned through the active segment %.2f s after the roll; checkpoint %s"
           % (t_clean - t_wait, cp))
    horizon = cp[1]

    # A: cleaned, tombstones kept until their horizon
    want = last_writes(sent, below)
    records, errs = consume_all(b, TOPIC, end)
    t_read = time.time() * 1000
    seen = check_view("cleaned", records, errs, sent, below, want, end)
    if t_read < horizon:
        s.eq("cleaned: the %d deleted keys are still there as tombstones before the delete horizon"
             % len(TOMB), {key(k): None for k in TOMB},
             {key(k): seen.get(key(k), ("absent", "absent"))[1] for k in TOMB})
    else:
        s.skip("cleaned: tombstones read before their delete horizon",
               "the read ended at %d, after the horizon %d (a slow machine)" % (t_read, horizon))
    s.check("cleaned: the checkpoint holds a pending delete horizon >= the clean time + "
            "delete.retention.ms", horizon >= t_wait * 1000 + DEL_RET_MS - 50,
            "horizon %d, cleaned at ~%d" % (horizon, t_wait * 1000))
    s.check("cleaned: the log shrank: %d records read of %d produced" % (len(records), end),
            len(records) <= NKEYS + 1, len(records))

    files = log_files(d)
    total = sum(sz for _, sz in files)
    s.check("cleaned: every .log file is at most segment.bytes (%d)" % SEG,
            all(sz <= SEG for _, sz in files), files)
    s.check("cleaned: the partition's .log files (%d bytes) hold < 1/4 of the %d key+value bytes"
            " produced" % (total, payload), total < payload // 4, files)
    c = kwire.Conn("127.0.0.1", b.port)
    s.eq("cleaned: ListOffsets earliest stays 0, latest stays %d" % end,
         ((0, 0), (0, end)), (c.list_offsets(TOPIC, 0, -2)[::2], c.list_offsets(TOPIC, 0, -1)[::2]))
    c.close()
    kept = sorted(r[0] for r in records)
    gap = next((o for o in range(1, end) if o not in set(kept)), None)
    nxt = min(o for o in kept if o > gap)
    got, errs = consume_all(b, TOPIC, end, start=gap)
    s.eq("cleaned: an assign() consumer at a removed offset (%d) gets the next kept record (%d)"
         % (gap, nxt), ([], nxt), (errs, got[0][0] if got else None))

    # B: after delete.retention.ms, the next clean removes the tombstones
    s.note("waiting for the delete horizon (%.1f s away)" % ((horizon - time.time() * 1000) / 1000))
    cp2 = wait_for(lambda: (checkpoint(d) or (0, 0))[1] == -1 and checkpoint(d),
                   max(0, horizon / 1000.0 - time.time()) + 10, 0.05)
    s.check("tombstones: after the delete horizon a clean runs and leaves no pending horizon (-1)",
            cp2, "checkpoint %s; broker log tail:\n%s" % (checkpoint(d), b.log()[-1500:]))
    s.check("tombstones: that clean ran after the horizon", time.time() * 1000 >= horizon,
            (time.time() * 1000, horizon))
    want2 = {k: w for k, w in want.items() if w[1] is not None}
    s.eq("tombstones: the expected view has no deleted key but keeps the %d rewritten ones"
         % len(REBORN), ([], [key(k) for k in REBORN]),
         (sorted(set(want2) & {key(k) for k in TOMB}), sorted(set(want2) & {key(k) for k in REBORN})))
    records2, errs = consume_all(b, TOPIC, end)
    seen2 = check_view("tombstones removed", records2, errs, sent, below, want2, end)
    s.eq("tombstones removed: no null value is left in the log", [],
         [r[:2] for r in records2 if r[2] is None][:5])
    s.eq("tombstones removed: the records are those read before, minus the %d tombstones" % len(TOMB),
         [r for r in records if r[2] is not None], records2)
    s.eq("tombstones removed: the rewritten keys have their new value",
         {key(k): value(k, 99) for k in REBORN}, {key(k): seen2.get(key(k), (0, None))[1] for k in REBORN})

    # restart: the cleaned segments read back identically
    p.flush(5)
    del p
    s.eq("compact topic: SIGTERM exits 0", 0, b.stop())
    b.start()
    records3, errs = consume_all(b, TOPIC, end)
    s.eq("after a restart: the consumer reads to the end without errors", [], errs)
    s.eq("after a restart: the compacted log reads back identically", records2, records3)
    s.eq("after a restart: the cleaner checkpoint is unchanged", cp2, checkpoint(d))


# ------------------------------------------------------------------ 1b. idempotent producers
def test_idempotent(b):
    """An idempotent producer's last batch, emptied by the cleaner, stays as a
    header (Kafka keeps it so the producer's sequence is not forgotten)."""
    t = "cmp-idem"
    errs = create_topics(b, [(t, {"cleanup.policy": "compact", "segment.bytes": str(SEG),
                                  "segment.ms": str(SEG_MS), "min.cleanable.dirty.ratio": "0.01",
                                  "delete.retention.ms": str(DEL_RET_MS)})])
    if not s.eq("idempotent: the topic is created", {}, errs):
        return
    d = part_dir(b, t)
    conf = {"bootstrap.servers": b.bootstrap, "linger.ms": 5, "batch.size": 1500,
            "enable.idempotence": True}
    pa, pb = Producer(conf), Producer(conf)
    sent = Sent()
    items = [(b"idem-%02d" % k, b"a-%02d-%02d" % (k, v)) for v in range(10) for k in range(50)]
    items += [(b"idem-%02d" % k, None) for k in range(0, 50, 10)]
    left = produce_all(pa, t, items, sent)
    produce_all(pa, t, [(b"idem-last", b"from A")], sent)  # A's last batch: this record alone
    a_last = len(items)
    produce_all(pb, t, [(b"idem-last", b"from B")], sent)  # ... overwritten by B
    end_data = a_last + 2
    s.eq("idempotent: producer A's %d records and B's overwrite of A's last one acknowledged"
         % (len(items) + 1), (0, [], list(range(end_data))), (left, sent.errors[:3], sorted(sent.by_offset)))
    time.sleep(SEG_MS / 1000.0 + 0.2)
    produce_all(pb, t, [(b"zz-filler", b"roll")], sent)
    end = end_data + 1
    below = active_base(d)
    s.eq("idempotent: a record after segment.ms starts a new segment", end_data, below)
    cp = wait_for(lambda: (checkpoint(d) or (0, 0))[0] >= below and checkpoint(d), 20, 0.05)
    if not s.check("idempotent: the cleaner checkpoint reaches the active segment within 20 s", cp,
                   "checkpoint %s; broker log tail:\n%s" % (checkpoint(d), b.log()[-1500:])):
        return
    records, errs = consume_all(b, t, end)
    check_view("idempotent", records, errs, sent, below, last_writes(sent, below), end)
    batches = raw_batches(b, t, end)
    s.check("idempotent: raw Fetch reads every batch to the end with valid CRCs",
            batches and all(len(x) == 6 and x[4] for x in batches)
            and batches[-1][0] + batches[-1][1] == end - 1, [x[:5] for x in batches[-3:]])
    empty = [x[:3] for x in batches if len(x) == 6 and x[2] == 0]
    s.eq("idempotent: the one empty batch left is A's last (offset %d) kept as a header"
         " (record count 0)" % a_last, [(a_last, 0, 0)], empty)
    pids = {x[0]: x[3] for x in batches if len(x) == 6}
    s.check("idempotent: it keeps A's producer id (>= 0, not B's)",
            pids.get(a_last, -1) >= 0 and pids.get(a_last) != pids.get(a_last + 1),
            (pids.get(a_last), pids.get(a_last + 1)))
    more = Sent()
    produce_all(pa, t, [(b"idem-after", b"A again")], more)
    s.eq("idempotent: producer A's next record is accepted in sequence, at offset %d" % end,
         ([], [end]), ([str(e) for _, e in more.errors], sorted(more.by_offset)))


# ------------------------------------------------------------------ 2. keyless records
def test_keyless(b):
    errs = create_topics(b, [("cmp-nokey", {"cleanup.policy": "compact"}), ("cmp-plain", {})])
    if not s.eq("keyless: the topics are created", {}, errs):
        return
    p = Producer({"bootstrap.servers": b.bootstrap, "linger.ms": 0, "acks": "all",
                  "retries": 0, "message.timeout.ms": 10000})
    sent = Sent()
    left = produce_all(p, "cmp-nokey", [(None, b"no key")], sent)
    codes = [e.code() for _, e in sent.errors]
    s.eq("keyless: the Producer's delivery report for a keyless record on a compacted topic is "
         "INVALID_RECORD (87)", (0, [INVALID_RECORD], {}), (left, codes, sent.by_offset))
    sent2 = Sent()
    produce_all(p, "cmp-plain", [(None, b"no key")], sent2)
    s.eq("keyless: a keyless record on a non-compacted topic is accepted at offset 0",
         ([], [0]), (sent2.errors, sorted(sent2.by_offset)))
    c = kwire.Conn("127.0.0.1", b.port)
    try:
        res = c.produce("cmp-nokey", 0, kwire.record_batch([(None, b"v", [])]))
        s.eq("keyless: raw Produce of a keyless batch gets INVALID_RECORD", INVALID_RECORD, res[0])
        res = c.produce("cmp-nokey", 0, kwire.record_batch([(b"k1", b"v", []), (None, b"v", []),
                                                            (b"k2", b"v", [])]))
        s.eq("keyless: raw Produce of a batch with one keyless record among keyed ones gets"
             " INVALID_RECORD", INVALID_RECORD, res[0])
        s.eq("keyless: nothing was appended (end offset 0)", 0, c.list_offsets("cmp-nokey", 0, -1)[2])
        res = c.produce("cmp-nokey", 0, kwire.record_batch([(b"", b"empty key", [])]))
        s.eq("keyless: an empty (non-null) key is accepted, at offset 0", (0, 0), res[:2])
    except (kwire.Closed, ValueError, OSError) as e:
        s.fail("keyless: raw Produce answered", e)
    c.close()
    sent3 = Sent()
    produce_all(p, "cmp-nokey", [(b"k", b"keyed")], sent3)
    s.eq("keyless: a keyed record from the same Producer is then accepted at offset 1",
         ([], [1]), (sent3.errors, sorted(sent3.by_offset)))


# ------------------------------------------------------------------ 3. __consumer_offsets
def test_consumer_offsets():
    b = Broker(s.tmp, "b2", {"log.cleaner.backoff.ms": BACKOFF_MS,
                             "offsets.topic.segment.bytes": OFFSETS_SEG,
                             "log.segment.delete.delay.ms": 0,
                             "group.initial.rebalance.delay.ms": 0}).start()
    c = GroupConn("127.0.0.1", b.port, timeout=20.0, client_id="cmp-commits")
    res = c.create_topics([(COMMIT_TOPIC, 1, 1, {})])
    s.eq("commits: topic created", 0, res[COMMIT_TOPIC][0])
    fc = wait_for(lambda: c.find_coordinator(GROUP)["error"] == NONE, 10, 0.1)
    s.check("commits: FindCoordinator answers for the group", fc, c.find_coordinator(GROUP))
    gp = offsets_partition(GROUP)
    gd = part_dir(b, "__consumer_offsets", gp)
    s.check("commits: the group's partition __consumer_offsets-%d exists" % gp, os.path.isdir(gd),
            sorted(os.listdir(b.data_dir))[:5])
    errors = {}
    peak = peak_segs = 0
    per_commit = None
    raw = NCOMMITS - CLIENT_COMMITS
    t0 = time.time()
    deadline = t0 + 40

    def sample():
        nonlocal peak, peak_segs
        peak = max(peak, offsets_topic_bytes(b))
        peak_segs = max(peak_segs, len(log_files(gd)))

    n = 0
    for n in range(1, raw + 1):
        r = c.offset_commit(GROUP, {COMMIT_TOPIC: [(0, n, "m%d" % n)]})
        err = r.get(COMMIT_TOPIC, {}).get(0, -1)
        if err != NONE:
            errors[err] = errors.get(err, 0) + 1
        if n == 50:
            per_commit = offsets_topic_bytes(b) / 50.0  # all in the first active segment
        if n % 250 == 0:
            sample()
            if time.time() > deadline:
                break
    t_raw = time.time() - t0
    s.eq("commits: %d raw OffsetCommit v7 requests all answered NONE" % raw, ({}, raw),
         ({ename(k): v for k, v in errors.items()}, n))
    cons = Consumer({"bootstrap.servers": b.bootstrap, "group.id": GROUP,
                     "enable.auto.commit": False})
    cerrs = []
    t1 = time.time()
    for m in range(raw + 1, NCOMMITS + 1):
        try:
            cons.commit(offsets=[TopicPartition(COMMIT_TOPIC, 0, m)], asynchronous=False)
        except Exception as e:  # noqa: BLE001
            cerrs.append(str(e))
            if len(cerrs) > 5:
                break
        if m % 250 == 0:
            sample()
        if time.time() > deadline:
            cerrs.append("time out at commit %d" % m)
            break
    t_client = time.time() - t1
    s.eq("commits: %d Consumer.commit(asynchronous=False) calls succeed" % CLIENT_COMMITS, [], cerrs[:3])
    s.note("%d raw commits in %.1f s, %d client commits in %.1f s; %.0f bytes per commit record "
           "-> %.2f MB for %d commits without compaction" %
           (raw, t_raw, CLIENT_COMMITS, t_client, per_commit or 0,
            (per_commit or 0) * NCOMMITS / 1e6, NCOMMITS))
    s.check("commits: without compaction the %d commits would take > 2 MB (the bound below means"
            " something)" % NCOMMITS, per_commit and per_commit * NCOMMITS > 2e6, per_commit)
    s.check("commits: the __consumer_offsets .log files stay < %d bytes throughout (peak %d)"
            % (PEAK_BOUND, peak), peak < PEAK_BOUND, peak)
    s.check("commits: the group's partition keeps < %d segment files throughout (peak %d)"
            % (MAX_SEGMENTS, peak_segs), peak_segs < MAX_SEGMENTS, peak_segs)
    caught = wait_for(lambda: (checkpoint(gd) or (0, 0))[0] >= active_base(gd), 15, 0.1)
    s.check("commits: the cleaner catches up with the active segment within 15 s",
            caught, "checkpoint %s, segments %s" % (checkpoint(gd), log_files(gd)))
    total = offsets_topic_bytes(b)
    s.check("commits: then the __consumer_offsets .log files are < %d bytes (%d)" % (FINAL_BOUND, total),
            total < FINAL_BOUND, "%s; broker log tail:\n%s" % (log_files(gd), b.log()[-1500:]))
    below = active_base(gd)
    recs = []
    for x in raw_batches(b, "__consumer_offsets", below, gp) if below > 0 else []:
        if len(x) == 6:
            recs += [r[0] for r in kwire.batch_records(x[5]) if r[0] < below]
        else:
            recs.append(x)
    s.eq("commits: below the active segment (%d) only the last commit record before it is left"
         % below, [below - 1], recs[:5])
    err, offs = c.offset_fetch(GROUP, {COMMIT_TOPIC: [0]})
    got = (err, offs.get(COMMIT_TOPIC, {}).get(0, (None, None, None))[0])
    s.eq("commits: OffsetFetch gives the last committed offset %d" % NCOMMITS, (NONE, NCOMMITS), got)
    tp = cons.committed([TopicPartition(COMMIT_TOPIC, 0)], timeout=10)
    s.eq("commits: Consumer.committed() gives %d" % NCOMMITS, NCOMMITS, tp[0].offset)
    cons.close()
    c.close()
    size_before = offsets_topic_bytes(b)

    s.eq("commits: SIGTERM exits 0", 0, b.stop())
    b.start()
    c = GroupConn("127.0.0.1", b.port, timeout=20.0, client_id="cmp-commits")

    def fetch():
        e, o = c.offset_fetch(GROUP, {COMMIT_TOPIC: [0]})
        return (e, o.get(COMMIT_TOPIC, {}).get(0, (None, None, None)))

    got = wait_for(lambda: fetch()[0] == NONE and fetch(), 15, 0.1) or fetch()
    s.eq("after a restart: the committed offset %d comes back from __consumer_offsets (raw "
         "OffsetFetch)" % NCOMMITS, (NONE, NCOMMITS), (got[0], got[1][0]))
    s.eq("after a restart: its metadata comes back (the Consumer committed none)", "", got[1][1] or "")
    cons = Consumer({"bootstrap.servers": b.bootstrap, "group.id": GROUP, "enable.auto.commit": False})
    tp = cons.committed([TopicPartition(COMMIT_TOPIC, 0)], timeout=10)
    s.eq("after a restart: Consumer.committed() gives %d" % NCOMMITS, NCOMMITS, tp[0].offset)
    cons.close()
    c.close()
    s.check("after a restart: __consumer_offsets is still small (%d bytes, %d before)"
            % (offsets_topic_bytes(b), size_before), offsets_topic_bytes(b) < FINAL_BOUND,
            offsets_topic_bytes(b))
    s.eq("commits: SIGTERM exits 0 again", 0, b.stop())


try:
    b1 = Broker(s.tmp, "b1", {"log.cleaner.backoff.ms": BACKOFF_MS,
                              "log.segment.delete.delay.ms": 0}).start()
except RuntimeError as e:
    s.fail("broker starts", e)
    s.finish()
s.run("overwrites and tombstones", test_overwrites_and_tombstones, b1)
s.run("idempotent producers", test_idempotent, b1)
s.run("keyless records", test_keyless, b1)
s.eq("SIGTERM exits 0", 0, b1.stop())
s.run("__consumer_offsets", test_consumer_offsets)
s.finish()
