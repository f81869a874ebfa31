#!/usr/bin/python3
"""test_crash_recovery.py — kill -9, torn and corrupt segment tails, clean stops.

Asserts:
1. kill -9 during an idempotent acks=all produce stream (confluent-kafka-python):
   after a restart on the same data dir every acknowledged record is there, at
   its acknowledged offset, in order, byte-identical; nothing else in the log
   is garbage or duplicated; the next start logs "after an unclean shutdown".
2. The same with the producer kept alive across the crash and a restart on the
   same port: it resumes without a fatal idempotence error and, once the broker
   is back, every record it was given is acknowledged exactly once.
3. A segment with a corrupt tail (written with raw Produce requests so the batch
   boundaries are known; then kill -9 and damage the file): random garbage
   appended, a torn copy of a batch appended, zeros appended, a byte flipped in
   the last batch, a byte flipped in a middle batch. Start-up cuts exactly the
   damaged part: the file ends right after the last good batch, the log end
   offset is right after it, every earlier record reads back byte for byte
   (the stored batch equals the batch sent), offset and time lookups work, and
   a new produce continues at that offset. Index files deleted, or of an
   impossible size, after a clean stop are rebuilt.
4. SIGTERM exits 0, the next start logs "after a clean shutdown", and the data
   is intact.
"""
import glob
import os
import random
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop", "lib"))
from broker import Broker, Suite  # noqa: E402
import kwire  # noqa: E402

s = Suite("crash_recovery")
try:
    from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition  # noqa: E402
except ImportError as e:
    s.fail("confluent_kafka imports (make deps installs python3-confluent-kafka)", e)
    s.finish()

NPART = 3


def payload(i):
    r = random.Random(i)
    return ("seq=%08d " % i).encode() + bytes(r.randrange(256) for _ in range(r.randrange(20, 300)))


def read_all(bootstrap, topic, nparts, timeout=60):
    """Every record of the topic: {partition: [(offset, key, value)]}, plus errors."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "crash-assign-only",
                  "enable.auto.commit": False, "enable.partition.eof": True,
                  "auto.offset.reset": "error", "fetch.error.backoff.ms": 100})
    c.assign([TopicPartition(topic, p, -2) for p in range(nparts)])
    his = {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=15)[1] for p in range(nparts)}
    out = {p: [] for p in range(nparts)}
    errors = []
    done = set(p for p in range(nparts) if his[p] == 0)
    deadline = time.time() + timeout
    while len(done) < nparts and time.time() < deadline:
        for m in c.consume(1000, 0.5):
            if m.error():
                if m.error().code() == KafkaError._PARTITION_EOF:
                    if m.offset() >= his[m.partition()]:
                        done.add(m.partition())
                else:
                    errors.append(str(m.error()))
                continue
            out[m.partition()].append((m.offset(), m.key(), m.value()))
    c.close()
    return out, his, errors


class Stream:
    """An idempotent acks=all producer writing seq-numbered records, remembering
    what was acknowledged: acked[(partition, offset)] = i."""

    def __init__(self, bootstrap, topic, timeout_ms):
        self.topic = topic
        self.acked = {}
        self.errors = []
        self.fatal = None
        self.sent = 0
        self.p = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all",
                           "linger.ms": 2, "message.timeout.ms": timeout_ms,
                           "reconnect.backoff.ms": 50, "reconnect.backoff.max.ms": 200,
                           "error_cb": self._err})

    def _err(self, err):
        if err.fatal():
            self.fatal = str(err)

    def _dr(self, err, msg, i):
        if err is not None:
            self.errors.append(err)
        else:
            self.acked[(msg.partition(), msg.offset())] = i

    def produce_until(self, stop, max_records=400000, max_seconds=60):
        deadline = time.time() + max_seconds
        while not stop() and self.sent < max_records and time.time() < deadline:
            i = self.sent
            try:
                self.p.produce(self.topic, key=b"k%d" % i, value=payload(i), partition=i % NPART,
                               on_delivery=lambda e, m, i=i: self._dr(e, m, i))
                self.sent += 1
            except BufferError:
                self.p.poll(0.05)
            if i % 200 == 0:
                self.p.poll(0)


def check_acked(label, streams, got):
    """Every acknowledged record is at its offset, byte-identical; per partition the
    log holds seq-numbered records of ours only, strictly increasing, no duplicates."""
    by_off = {p: {off: (k, v) for off, k, v in recs} for p, recs in got.items()}
    missing, wrong = [], []
    total = 0
    for st in streams:
        for (p, off), i in st.acked.items():
            total += 1
            have = by_off[p].get(off)
            if have is None:
                missing.append((p, off, i))
            elif have != (b"k%d" % i, payload(i)):
                wrong.append((p, off, i))
    s.check("%s: all %d acknowledged records present at their offsets" % (label, total), not missing,
            "%d missing, e.g. %s" % (len(missing), missing[:3]))
    s.check("%s: acknowledged records byte-identical" % label, not wrong,
            "%d differ, e.g. %s" % (len(wrong), wrong[:3]))
    bad = []
    for p, recs in got.items():
        offs = [o for o, _, _ in recs]
        if offs != list(range(len(offs))):
            bad.append("partition %d: offsets not 0..%d" % (p, len(offs) - 1))
        last = {}
        for off, k, v in recs:
            try:
                i = int(v[4:12])
            except ValueError:
                bad.append("partition %d offset %d: not our record" % (p, off))
                break
            sid = 0 if i < 10_000_000 else 1
            if v != payload(i) or k != b"k%d" % i:
                bad.append("partition %d offset %d: record %d damaged" % (p, off, i))
                break
            if i <= last.get(sid, -1):
                bad.append("partition %d offset %d: record %d after %d (duplicate or out of order)"
                           % (p, off, i, last[sid]))
                break
            last[sid] = i
    s.check("%s: the log holds only whole records of ours, in order, no duplicates" % label, not bad, bad[:3])


# ------------------------------------------------------------------ 1 + 2: kill -9 mid-stream
def test_kill_during_stream():
    b = Broker(s.tmp, "stream", {"num.partitions": NPART}).start()
    port = b.port
    # round 1: the producer dies with the broker
    st1 = Stream(b.bootstrap, "crash", 3000)
    t0 = time.time()
    killed = []

    def stop():
        if not killed and (len(st1.acked) >= 20000 or time.time() - t0 > 8):
            b.kill()
            killed.append(time.time())
        return killed and time.time() - killed[0] > 0.3

    st1.produce_until(stop)
    st1.p.flush(8)
    s.note("round 1: %d sent, %d acknowledged before kill -9" % (st1.sent, len(st1.acked)))
    s.check("round 1: the broker acknowledged records before the kill", len(st1.acked) > 1000, len(st1.acked))
    s.check("round 1: records were still in flight at the kill", st1.sent > len(st1.acked),
            "%d sent, %d acknowledged" % (st1.sent, len(st1.acked)))
    b.start(port=port)
    s.check("restart after kill -9 logs 'after an unclean shutdown'", "after an unclean shutdown" in b.log(),
            b.log()[-500:])
    got, his, errors = read_all(b.bootstrap, "crash", NPART)
    s.eq("round 1: the log reads back without errors", [], errors[:3])
    check_acked("round 1", [st1], got)

    # round 2: the producer lives through the crash and a restart on the same port
    st2 = Stream(b.bootstrap, "crash", 60000)
    st2.sent = 10_000_000  # record numbers of round 2
    t0 = time.time()
    restarted = []
    errs = []

    def restart_soon():
        try:
            time.sleep(0.3)
            b.start(port=port)
            restarted.append(True)
        except Exception as e:  # noqa: BLE001
            errs.append(e)

    def stop2():
        if not restarted and not errs and not getattr(stop2, "killed", False) and \
                (len(st2.acked) >= 20000 or time.time() - t0 > 8):
            b.kill()
            stop2.killed = True
            threading.Thread(target=restart_soon, daemon=True).start()
        return restarted and time.time() - t0 > 0 and len(st2.acked) > 0 and \
            st2.sent - 10_000_000 >= 40000

    st2.produce_until(stop2, max_records=10_000_000 + 200000)
    left = st2.p.flush(60)
    s.eq("round 2: the broker came back on the same port", [], [str(e) for e in errs])
    s.note("round 2: %d sent, %d acknowledged" % (st2.sent - 10_000_000, len(st2.acked)))
    s.eq("round 2: no fatal idempotent-producer error across the restart", None, st2.fatal)
    s.eq("round 2: every record acknowledged once the broker is back (none failed, none left)",
         (0, 0, st2.sent - 10_000_000), (left, len(st2.errors), len(st2.acked)))
    got, his, errors = read_all(b.bootstrap, "crash", NPART)
    s.eq("round 2: the log reads back without errors", [], errors[:3])
    check_acked("after round 2", [st1, st2], got)
    total = sum(len(v) for v in got.values())
    s.eq("after round 2: the log holds round 2's records exactly once",
         len(st2.acked), sum(1 for recs in got.values() for _, _, v in recs if int(v[4:12]) >= 10_000_000))
    s.note("after round 2: %d records in the log" % total)
    s.eq("SIGTERM after the crashes exits 0", 0, b.stop())


# ------------------------------------------------------------------ 3: corrupt tails
BATCHES, PER_BATCH = 20, 10


def make_batches():
    r = random.Random(42)
    out = []
    for bi in range(BATCHES):
        recs = [(b"k%d-%d" % (bi, j), bytes(r.randrange(256) for _ in range(r.randrange(10, 200))),
                 [("h", b"%d" % j)]) for j in range(PER_BATCH)]
        out.append(kwire.record_batch(recs, base_ts=1_700_000_000_000 + bi))
    return out


def segment_batches(path):
    """[(position, base_offset, size)] of the batches in a segment file."""
    data = open(path, "rb").read()
    out, p = [], 0
    while p + 12 <= len(data):
        base, length = struct.unpack(">qi", data[p:p + 12])
        if length <= 0 or p + 12 + length > len(data):
            break
        out.append((p, base, 12 + length))
        p += 12 + length
    return out


def fetch_all(conn, topic, start=0):
    """Raw batches of partition 0 from start on: [(base, last_offset_delta, raw)]."""
    out = []
    off = start
    for _ in range(1000):
        f = conn.fetch(topic, 0, off, max_bytes=1 << 20)
        if f["error"]:
            return out, f["error"]
        bs = kwire.parse_batches(f["records"])
        if not bs:
            break
        for base, lod, _crc_ok, raw in bs:
            if base + lod >= off:
                out.append((base, lod, raw))
        off = bs[-1][0] + bs[-1][1] + 1
    return out, 0


def corrupt_case(name, damage, good_batches, clean_stop=False):
    """Writes BATCHES batches, kill -9 (or SIGTERM), damage(path, batches_on_disk),
    restart, and checks that exactly the first good_batches batches survive."""
    b = Broker(s.tmp, "corrupt-" + name).start()
    sent = make_batches()
    c = kwire.Conn("127.0.0.1", b.port)
    c.metadata(["c"])  # auto-creates the topic (Produce does not)
    for i, blob in enumerate(sent):
        err, base, _ = c.produce("c", 0, blob, acks=-1)
        if err != 0 or base != i * PER_BATCH:
            s.fail("%s: produce batch %d" % (name, i), "error %d base %d" % (err, base))
            b.kill()
            return
    c.close()
    if clean_stop:
        b.stop()
    else:
        b.kill()
    segs = sorted(glob.glob(os.path.join(b.data_dir, "c-0", "*.log")))
    path = segs[-1]
    on_disk = segment_batches(path)
    if len(segs) != 1 or len(on_disk) != BATCHES:
        s.fail("%s: one segment with %d batches before the damage" % (name, BATCHES),
               "%d segments, %d batches" % (len(segs), len(on_disk)))
        return
    damage(path, on_disk)
    want_size = on_disk[good_batches - 1][0] + on_disk[good_batches - 1][2] if good_batches else 0
    want_leo = good_batches * PER_BATCH
    try:
        b.start()
    except RuntimeError as e:
        s.fail("%s: the broker starts on the damaged log" % name, e)
        return
    s.eq("%s: the segment is cut right after the last good batch (%d bytes)" % (name, want_size),
         want_size, os.path.getsize(path))
    c = kwire.Conn("127.0.0.1", b.port)
    err, _, leo = c.list_offsets("c", 0, -1)
    s.eq("%s: the log end offset is right after the last good batch" % name, (0, want_leo), (err, leo))
    got, ferr = fetch_all(c, "c")
    same = len(got) == good_batches and ferr == 0 and all(
        base == i * PER_BATCH and raw[21:] == sent[i][21:] for i, (base, _lod, raw) in enumerate(got))
    s.check("%s: the %d good batches read back byte for byte" % (name, good_batches), same,
            "%d batches, fetch error %d" % (len(got), ferr))
    if good_batches > 2:
        mid = (good_batches // 2) * PER_BATCH + 3
        got_mid, ferr = fetch_all(c, "c", mid)
        s.check("%s: a fetch from offset %d (through the rebuilt index) starts at its batch" % (name, mid),
                ferr == 0 and got_mid and got_mid[0][0] == mid - 3 and got_mid[0][2][21:] == sent[mid // PER_BATCH][21:],
                got_mid[:1] and got_mid[0][0])
    last_ts = 1_700_000_000_000 + good_batches - 1
    s.eq("%s: ListOffsets by the last good batch's timestamp finds it (time index)" % name,
         (0, (good_batches - 1) * PER_BATCH), c.list_offsets("c", 0, last_ts)[::2])
    s.eq("%s: ListOffsets by a later timestamp finds nothing" % name,
         (0, -1), c.list_offsets("c", 0, last_ts + 1)[::2])
    err, base, _ = c.produce("c", 0, kwire.record_batch([(b"new", b"after recovery", [])]), acks=-1)
    s.eq("%s: a new produce continues at offset %d" % (name, want_leo), (0, want_leo), (err, base))
    f = c.fetch("c", 0, want_leo)
    recs = [r for _b, _l, _ok, raw in kwire.parse_batches(f["records"]) for r in kwire.batch_records(raw)]
    s.eq("%s: and reads back" % name, [(want_leo, b"new", b"after recovery")], [(o, k, v) for o, _t, k, v, _h in recs])
    c.close()
    s.eq("%s: SIGTERM exits 0" % name, 0, b.stop())


def append(data):
    def damage(path, _batches):
        with open(path, "ab") as f:
            f.write(data)
    return damage


def torn_copy(path, batches):
    pos, _base, size = batches[-1]
    with open(path, "rb") as f:
        f.seek(pos)
        raw = f.read(size)
    torn = struct.pack(">q", BATCHES * PER_BATCH) + raw[8:size // 2]  # next offset, cut mid-way
    with open(path, "ab") as f:
        f.write(torn)


def flip_in(batch_index):
    def damage(path, batches):
        pos, _base, size = batches[batch_index]
        at = pos + size - 7  # inside the records, covered by the CRC
        with open(path, "r+b") as f:
            f.seek(at)
            byte = f.read(1)
            f.seek(at)
            f.write(bytes([byte[0] ^ 0x5A]))
    return damage


def lose_indexes(path, _batches):
    for ext in (".index", ".timeindex"):
        os.unlink(path[:-4] + ext)


def odd_indexes(path, _batches):
    for ext in (".index", ".timeindex"):
        with open(path[:-4] + ext, "ab") as f:
            f.write(b"\x07\x07\x07")


def test_corrupt_tails():
    r = random.Random(9)
    corrupt_case("garbage appended", append(bytes(r.randrange(256) for _ in range(100))), BATCHES)
    corrupt_case("torn batch appended", torn_copy, BATCHES)
    corrupt_case("zeros appended", append(b"\0" * 4096), BATCHES)
    corrupt_case("byte flipped in the last batch", flip_in(BATCHES - 1), BATCHES - 1)
    corrupt_case("byte flipped in batch 10 of 20", flip_in(10), 10)
    corrupt_case("index files deleted after a clean stop", lose_indexes, BATCHES, clean_stop=True)
    corrupt_case("index files of a bad size after a clean stop", odd_indexes, BATCHES, clean_stop=True)


# ------------------------------------------------------------------ 4: clean stop
def test_clean_stop():
    b = Broker(s.tmp, "clean").start()
    c = kwire.Conn("127.0.0.1", b.port)
    blob = kwire.record_batch([(b"a", b"1", []), (b"b", b"2", [])])
    c.metadata(["t"])
    c.produce("t", 0, blob, acks=-1)
    c.close()
    s.eq("SIGTERM: exit status 0", 0, b.stop())
    s.check("SIGTERM: the broker logged a clean shutdown", "shut down cleanly" in b.log(), b.log()[-300:])
    b.start()
    s.check("the next start logs 'after a clean shutdown'", "after a clean shutdown" in b.log(), b.log()[-400:])
    c = kwire.Conn("127.0.0.1", b.port)
    f = c.fetch("t", 0, 0)
    bs = kwire.parse_batches(f["records"])
    s.check("after a clean restart the data is intact", len(bs) == 1 and bs[0][3][21:] == blob[21:]
            and f["high_watermark"] == 2, f)
    c.close()
    b.kill()
    b.start()
    s.check("a start after kill -9 logs 'after an unclean shutdown'", "after an unclean shutdown" in b.log(),
            b.log()[-400:])
    s.eq("SIGTERM after that start exits 0", 0, b.stop())


s.run("kill -9 during a produce stream", test_kill_during_stream)
s.run("corrupt segment tails", test_corrupt_tails)
s.run("clean stop", test_clean_stop)
s.finish()
