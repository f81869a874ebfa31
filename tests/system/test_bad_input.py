#!/usr/bin/python3
"""test_bad_input.py — malformed and hostile requests over raw sockets.

Asserts (each against a live broker, with a bystander connection that must
keep working and records stored first that must stay byte-identical):
- a frame larger than socket.request.max.bytes, or with a negative size, closes
  the connection and is logged;
- an unknown API key, or a version of a known API beyond its range, is
  answered with UNSUPPORTED_VERSION or closes the connection; the broker keeps
  serving everyone;
- ApiVersions v99 is answered in v0 format with UNSUPPORTED_VERSION and the full
  api list (the same ranges a v2 request gets);
- Produce v0-v2 (as far as advertised) with magic 0/1 message sets is stored and
  reads back as v2 records (as Kafka 3.x converts them);
- Produce with a bad CRC, a truncated batch or a lying record count is refused
  (CORRUPT_MESSAGE / INVALID_RECORD) and stores nothing; a batch over
  message.max.bytes gets MESSAGE_TOO_LARGE and stores nothing;
- idempotent Produce: retries are acknowledged without a second append, a
  sequence gap or a new epoch not starting at 0 gets OUT_OF_ORDER_SEQUENCE_NUMBER,
  an older epoch INVALID_PRODUCER_EPOCH;
- invalid topic names (Kafka's rules) get INVALID_TOPIC_EXCEPTION from Metadata;
  a 249-character name is fine;
- unknown topics: Metadata without auto-create, and everything with
  auto.create.topics.enable=false, get UNKNOWN_TOPIC_OR_PARTITION and create
  nothing; Produce/Fetch/ListOffsets on unknown topics and partitions likewise;
- Fetch outside [log start, log end] gets OFFSET_OUT_OF_RANGE, at the end it is
  an empty answer;
- 50 pipelined requests are answered in order;
- a stalled half-sent frame on one connection does not hold up others;
- 1000 random, truncated and garbage frames never kill the broker: it still
  answers ApiVersions on a new connection, and the stored records are intact.
"""
import os
import random
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop", "lib"))
from broker import Broker, Suite  # noqa: E402
import kwire  # noqa: E402
from kwire import Conn, i16, i32, i64, string, array  # noqa: E402

s = Suite("bad_input")
INVALID_RECORD = 87
SEED = int(os.environ.get("STRAIT_FUZZ_SEED", "20261127"))

try:
    b = Broker(s.tmp, "b1").start()
    b2 = Broker(s.tmp, "noauto", {"auto.create.topics.enable": "false"}).start()
except RuntimeError as e:
    s.fail("brokers start", e)
    s.finish()


def conn(broker=None):
    return Conn("127.0.0.1", (broker or b).port, timeout=10)


def closed_or_error(c, corr_expected, timeout=5.0):
    """'closed' when the broker closes the connection, ('answer', error) when it answers
    with a body starting with an error code, None when it does neither in time."""
    c.s.settimeout(timeout)
    try:
        corr, r = c.recv()
    except (kwire.Closed, ConnectionResetError, BrokenPipeError):
        return "closed"
    except socket.timeout:
        return None
    if corr != corr_expected:
        return ("wrong correlation id", corr)
    return ("answer", r.i16() if r.remaining() >= 2 else None)


# ------------------------------------------------------------------ stored data
def setup_data():
    c = conn()
    md = c.metadata(["keep"])
    s.eq("setup: Metadata auto-creates 'keep'", 0, md["topics"]["keep"]["error"])
    for i in range(5):
        recs = [(b"k%d-%d" % (i, j), os.urandom(50), [("h", b"x")]) for j in range(10)]
        err, base, _ = c.produce("keep", 0, kwire.record_batch(recs), acks=-1)
        if err or base != i * 10:
            s.fail("setup: produce batch %d" % i, (err, base))
    f = c.fetch("keep", 0, 0)
    c.close()
    return f["records"]


STORED = setup_data()
bystander = conn()


def bystander_ok(label):
    try:
        v = bystander.api_versions(2)
        md = bystander.metadata(["keep"])
        good = v["error"] == 0 and md["topics"]["keep"]["error"] == 0
    except Exception as e:  # noqa: BLE001
        good, v = False, e
    s.check("%s: the bystander connection still gets answers" % label, good, v)


def stored_intact(label):
    c = conn()
    f = c.fetch("keep", 0, 0)
    c.close()
    s.check("%s: the stored records are unchanged" % label,
            f["error"] == 0 and f["records"] == STORED and f["high_watermark"] == 50,
            (f["error"], f["high_watermark"], len(f["records"]), len(STORED)))


def leo(topic="keep"):
    c = conn()
    try:
        return c.list_offsets(topic, 0, -1)[2]
    finally:
        c.close()


# ------------------------------------------------------------------ framing
def test_framing():
    log_before = len(b.log())
    c = conn()
    c.send_raw(struct.pack(">i", 200 * 1024 * 1024) + b"\x00\x12\x00\x00")
    s.check("a 200 MiB frame (over socket.request.max.bytes) closes the connection", c.closed_by_peer(5))
    c.close()
    new_log = b.log()[log_before:]
    s.check("the oversized frame is logged", "209715200" in new_log or "socket.request.max.bytes" in new_log,
            new_log[-300:])
    c = conn()
    c.send_raw(struct.pack(">i", -5) + b"\x00" * 8)
    s.check("a negative frame size closes the connection", c.closed_by_peer(5))
    c.close()
    c = conn()
    c.send_raw(struct.pack(">i", 0))
    s.check("a zero-length frame closes the connection (no header)", c.closed_by_peer(5))
    c.close()
    c = conn()
    c.send_raw(struct.pack(">i", 3) + b"\x00\x12\x00")  # shorter than a request header
    s.check("a 3-byte frame (truncated header) closes the connection", c.closed_by_peer(5))
    c.close()
    bystander_ok("framing")


def test_unknown_api():
    c = conn()
    corr = c.send(9999, 0, b"")
    got = closed_or_error(c, corr)
    s.check("unknown API key 9999: connection closed or UNSUPPORTED_VERSION",
            got == "closed" or got == ("answer", kwire.UNSUPPORTED_VERSION), got)
    c.close()
    c = conn()
    corr = c.send(3, 99, array(["keep"], string) + b"\x01")
    got = closed_or_error(c, corr)
    s.check("Metadata v99: connection closed or answered (never a hang)", got is not None and got[0] != "wrong correlation id",
            got)
    c.close()
    c = conn()
    v0 = c.api_versions(0)
    c.close()
    advertised = v0["apis"]
    unadvertised = next(k for k in range(1, 200) if k not in advertised)
    c = conn()
    corr = c.send(unadvertised, 0, b"")
    got = closed_or_error(c, corr)
    s.check("API key %d (not advertised): connection closed or UNSUPPORTED_VERSION" % unadvertised,
            got == "closed" or got == ("answer", kwire.UNSUPPORTED_VERSION), got)
    c.close()
    bystander_ok("unknown APIs")


def test_api_versions():
    c = conn()
    corr = c.send(18, 99, b"\x00\x01\x02\x03")
    c.s.settimeout(5)
    try:
        got_corr, r = c.recv()
        v = kwire.decode_api_versions(r, 0)
        trailing = r.remaining()
    except Exception as e:  # noqa: BLE001
        s.fail("ApiVersions v99 is answered", e)
        return
    s.eq("ApiVersions v99: the answer has the request's correlation id", corr, got_corr)
    s.eq("ApiVersions v99: error UNSUPPORTED_VERSION (35)", kwire.UNSUPPORTED_VERSION, v["error"])
    s.eq("ApiVersions v99: v0 format (nothing after the api list)", 0, trailing)
    c2 = conn()
    v2 = c2.api_versions(2)
    v1 = c2.api_versions(1)
    v0 = c2.api_versions(0)
    c2.close()
    s.check("ApiVersions v99: the api list includes ApiVersions itself", 18 in v["apis"], v["apis"])
    s.eq("ApiVersions v99: the same ranges as a v2 request gets", v2["apis"], v["apis"])
    s.eq("ApiVersions v0/v1/v2 agree", (v2["apis"], v2["apis"]), (v0["apis"], v1["apis"]))
    s.check("ApiVersions: every range is min <= max", all(lo <= hi for lo, hi in v2["apis"].values()), v2["apis"])
    c.close()
    c = Conn("127.0.0.1", b.port)
    c.client_id = None
    s.eq("ApiVersions with a null client id is answered", 0, c.api_versions(2)["error"])
    c.close()


# ------------------------------------------------------------------ produce
def test_produce():
    c = conn()
    good = kwire.record_batch([(b"a", b"value-a", []), (b"b", b"value-b", [])])
    before = leo()

    bad = bytearray(good)
    bad[-3] ^= 0xFF  # inside the last record: covered by the CRC
    err, _, _ = c.produce("keep", 0, bytes(bad), acks=-1)
    s.eq("Produce with a bad CRC: CORRUPT_MESSAGE (2)", kwire.CORRUPT_MESSAGE, err)
    bad = bytearray(good)
    bad[17] ^= 0x01  # the CRC field itself
    err, _, _ = c.produce("keep", 0, bytes(bad), acks=-1)
    s.eq("Produce with a wrong CRC field: CORRUPT_MESSAGE (2)", kwire.CORRUPT_MESSAGE, err)
    err, _, _ = c.produce("keep", 0, good[:-10], acks=-1)
    s.check("Produce with a truncated batch: CORRUPT_MESSAGE or INVALID_RECORD", err in (2, INVALID_RECORD), err)
    # the record count says 3, there are 2; CRC recomputed so only the count lies
    lying = bytearray(good)
    lying[57:61] = struct.pack(">i", 3)
    lying[17:21] = struct.pack(">I", kwire.crc32c(bytes(lying[21:])))
    err, _, _ = c.produce("keep", 0, bytes(lying), acks=-1)
    s.check("Produce with a lying record count: CORRUPT_MESSAGE or INVALID_RECORD", err in (2, INVALID_RECORD), err)
    # magic 1 inside a v3+ produce
    old = bytearray(good)
    old[16] = 1
    err, _, _ = c.produce("keep", 0, bytes(old), acks=-1)
    s.check("Produce with magic 1 in a v7 request is refused", err != 0, err)
    big = kwire.record_batch([(None, os.urandom(1100 * 1024), [])])
    err, _, _ = c.produce("keep", 0, big, acks=-1)
    s.eq("Produce of a 1.1 MB batch (over message.max.bytes): MESSAGE_TOO_LARGE (10)", kwire.MESSAGE_TOO_LARGE, err)
    s.eq("refused produces stored nothing (log end unchanged)", before, leo())
    err, _, _ = c.produce("keep", 7, good, acks=-1)
    s.eq("Produce to a partition that does not exist: UNKNOWN_TOPIC_OR_PARTITION", 3, err)
    err, _, _ = c.produce("never-made", 0, good, acks=-1)
    s.eq("Produce to a topic that does not exist: UNKNOWN_TOPIC_OR_PARTITION (Produce does not create)", 3, err)
    md = c.metadata(["never-made"], allow_auto=False)
    s.eq("... and did not create it", 3, md["topics"]["never-made"]["error"])
    c.close()
    bystander_ok("bad produces")
    stored_intact("bad produces")


def legacy_message(magic, key, value, ts):
    """One message of the pre-0.11 formats (magic 0 or 1) with offset 0: CRC-32 (IEEE)."""
    import zlib
    body = kwire.i8(magic) + kwire.i8(0) + (i64(ts) if magic == 1 else b"") + kwire.bytes_(key) + kwire.bytes_(value)
    m = struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF) + body
    return i64(0) + i32(len(m)) + m


def test_legacy_produce():
    """Produce v0-v2 carry message sets of magic 0/1; where the broker advertises those
    versions it must take them (Kafka 3.x converts them to v2 batches)."""
    c = conn()
    v = c.api_versions(2)["apis"].get(0, (3, 3))
    c.metadata(["legacy"])
    want = []
    for ver in range(v[0], 3):
        magic = 1 if ver == 2 else 0
        ts = 1_600_000_000_000 + ver
        ms = legacy_message(magic, b"k%d" % ver, b"value-v%d" % ver, ts) + legacy_message(magic, None, b"second", ts)
        body = (i16(-1) + i32(5000) + array([0], lambda _: string("legacy") + array(
            [0], lambda _, ms=ms: i32(0) + kwire.bytes_(ms))))
        try:
            r = c.request(0, ver, body)
            res = r.array(lambda r: (r.string(), r.array(lambda r: (r.i32(), r.i16(), r.i64()))))
            err, base = res[0][1][0][1], res[0][1][0][2]
        except Exception as e:  # noqa: BLE001
            err, base = repr(e), None
        s.eq("Produce v%d (advertised) with a magic-%d message set is stored at offset %d"
             % (ver, magic, len(want)), (0, len(want)), (err, base))
        want += [(len(want), ts if magic == 1 else -1, b"k%d" % ver, b"value-v%d" % ver),
                 (len(want) + 1, ts if magic == 1 else -1, None, b"second")]
    if not want:
        s.skip("legacy Produce versions", "Produce v0-v2 not advertised (min %d)" % v[0])
        c.close()
        return
    if leo("legacy") == 0:  # nothing was stored: the failures above say it all
        c.close()
        return
    f = c.fetch("legacy", 0, 0)
    got = []
    for _b, _l, _ok, raw in kwire.parse_batches(f["records"]):
        try:
            got += [(o, t, k, val) for o, t, k, val, _h in kwire.batch_records(raw)]
        except ValueError as e:
            got.append(repr(e))
    s.eq("legacy messages read back as v2 records: offsets, timestamps (magic 1), keys, values", want, got)
    c.close()


def test_idempotence():
    """Sequence checks of the idempotent producer, as Kafka answers them."""
    c = conn()
    c.metadata(["idem"])
    r = c.request(22, 0, string(None) + i32(60000))  # InitProducerId v0
    r.i32()
    err, pid, epoch = r.i16(), r.i64(), r.i16()
    s.check("InitProducerId: a producer id", err == 0 and pid >= 0 and epoch >= 0, (err, pid, epoch))

    def batch(seq, ep=epoch, n=2):
        return kwire.record_batch([(None, b"s%d" % (seq + j), []) for j in range(n)],
                                  producer_id=pid, producer_epoch=ep, base_seq=seq)

    s.eq("idempotent: sequence 0 is stored at offset 0", (0, 0), c.produce("idem", 0, batch(0))[:2])
    s.eq("idempotent: sequence 2 follows at offset 2", (0, 2), c.produce("idem", 0, batch(2))[:2])
    s.eq("idempotent: a retried batch (sequence 0) is acknowledged with its first offset", (0, 0),
         c.produce("idem", 0, batch(0))[:2])
    s.eq("idempotent: a gap (sequence 10) gets OUT_OF_ORDER_SEQUENCE_NUMBER (45)", 45,
         c.produce("idem", 0, batch(10))[0])
    s.eq("idempotent: a new epoch starting at sequence 5 gets OUT_OF_ORDER_SEQUENCE_NUMBER (45)", 45,
         c.produce("idem", 0, batch(5, ep=epoch + 1))[0])
    s.eq("idempotent: a new epoch starting at sequence 0 is stored", (0, 4),
         c.produce("idem", 0, batch(0, ep=epoch + 1))[:2])
    s.eq("idempotent: the old epoch is fenced: INVALID_PRODUCER_EPOCH (47)", 47,
         c.produce("idem", 0, batch(4, ep=epoch))[0])
    f = c.fetch("idem", 0, 0)
    vals = [v for _b, _l, _ok, raw in kwire.parse_batches(f["records"]) for _o, _t, _k, v, _h in kwire.batch_records(raw)]
    s.eq("idempotent: the log holds each accepted batch once", [b"s0", b"s1", b"s2", b"s3", b"s0", b"s1"], vals)
    c.close()


# ------------------------------------------------------------------ topics
def test_topic_names():
    c = conn()
    for name in ["bad name!", "a/b", "x" * 250, ".", "..", "tab\there", "ünïcode"]:
        md = c.metadata([name])
        t = md["topics"].get(name)
        s.eq("Metadata (auto-create on) for invalid name %r: INVALID_TOPIC_EXCEPTION" % name[:20],
             kwire.INVALID_TOPIC_EXCEPTION, t and t["error"])
    long_ok = "y" * 249
    md = c.metadata([long_ok])
    s.eq("Metadata for a valid 249-character name creates it", 0, md["topics"][long_ok]["error"])
    md = c.metadata(["not-auto"], allow_auto=False)
    s.eq("Metadata with allow_auto_topic_creation=false: UNKNOWN_TOPIC_OR_PARTITION",
         kwire.UNKNOWN_TOPIC_OR_PARTITION, md["topics"]["not-auto"]["error"])
    md = c.metadata(None)
    s.check("... and it was not created", "not-auto" not in md["topics"] and "keep" in md["topics"], sorted(md["topics"]))
    c.close()

    c = conn(b2)
    md = c.metadata(["nope"], allow_auto=True)
    s.eq("auto.create.topics.enable=false: Metadata for an unknown topic gets UNKNOWN_TOPIC_OR_PARTITION",
         kwire.UNKNOWN_TOPIC_OR_PARTITION, md["topics"]["nope"]["error"])
    err, _, _ = c.produce("nope", 0, kwire.record_batch([(None, b"x", [])]), acks=-1)
    s.eq("auto.create.topics.enable=false: Produce gets UNKNOWN_TOPIC_OR_PARTITION", 3, err)
    s.eq("auto.create.topics.enable=false: Fetch gets UNKNOWN_TOPIC_OR_PARTITION", 3, c.fetch("nope", 0, 0)["error"])
    s.eq("auto.create.topics.enable=false: ListOffsets gets UNKNOWN_TOPIC_OR_PARTITION", 3,
         c.list_offsets("nope", 0, -1)[0])
    md = c.metadata(None)
    s.check("auto.create.topics.enable=false: nothing was created", "nope" not in md["topics"], sorted(md["topics"]))
    s.check("auto.create.topics.enable=false: no directory for it", not os.path.exists(os.path.join(b2.data_dir, "nope-0")))
    c.close()


# ------------------------------------------------------------------ fetch
def test_fetch_ranges():
    c = conn()
    end = leo()
    for off in (end + 1, end + 1000, -5):
        s.eq("Fetch at offset %d (log is [0, %d)): OFFSET_OUT_OF_RANGE" % (off, end), kwire.OFFSET_OUT_OF_RANGE,
             c.fetch("keep", 0, off)["error"])
    f = c.fetch("keep", 0, end)
    s.eq("Fetch at the log end: no error, no records, high watermark = end", (0, b"", end),
         (f["error"], f["records"], f["high_watermark"]))
    s.eq("Fetch from a partition that does not exist: UNKNOWN_TOPIC_OR_PARTITION", 3, c.fetch("keep", 9, 0)["error"])
    s.eq("ListOffsets for a partition that does not exist: UNKNOWN_TOPIC_OR_PARTITION", 3,
         c.list_offsets("keep", 9, -1)[0])
    f = c.fetch("keep", 0, 0, max_bytes=1)
    bs = kwire.parse_batches(f["records"])
    s.check("Fetch with max_bytes=1 still returns the first whole batch (progress guarantee)",
            f["error"] == 0 and len(bs) >= 1 and bs[0][0] == 0 and bs[0][2], (f["error"], len(f["records"])))
    c.close()


def test_pipelining():
    c = conn()
    corrs = [c.send(18, 2, b"") if i % 2 else c.send(3, 4, array(["keep"], string) + b"\x01") for i in range(50)]
    got = []
    try:
        for _ in range(50):
            got.append(c.recv()[0])
    except Exception as e:  # noqa: BLE001
        got.append(repr(e))
    s.eq("50 pipelined requests: 50 answers, in order", corrs, got)
    c.close()


def test_stall():
    staller = conn()
    staller.send_raw(struct.pack(">i", 100) + b"\x00\x03\x00\x04")  # 8 of 104 bytes
    t0 = time.time()
    c = conn()
    ok = c.api_versions(2)["error"] == 0 and c.metadata(["keep"])["topics"]["keep"]["error"] == 0
    s.check("a half-sent frame on another connection does not hold anyone up", ok and time.time() - t0 < 3,
            time.time() - t0)
    c.close()
    staller.close()


# ------------------------------------------------------------------ garbage
def random_frame(r, apis):
    kind = r.randrange(6)
    if kind == 0:  # pure noise, random length prefix
        return os.urandom(r.randrange(1, 64))
    if kind == 1:  # size prefix larger than what follows (truncated), then close
        body = os.urandom(r.randrange(0, 40))
        return struct.pack(">i", len(body) + r.randrange(1, 1000)) + body
    key = r.choice(list(apis)) if r.random() < 0.9 else r.randrange(-5, 300)
    lo, hi = apis.get(key, (0, 3))
    ver = r.randrange(lo, hi + 1) if r.random() < 0.8 else r.randrange(-3, 40)
    hdr = struct.pack(">hhi", key, ver, r.randrange(1 << 31))
    if r.random() < 0.7:
        hdr += string("fuzz")
    else:
        hdr += struct.pack(">h", r.choice([-1, 0, 5, 300, 32767, -300]))
    if kind == 2:  # valid-looking header, random body
        body = hdr + os.urandom(r.randrange(0, 200))
    elif kind == 3:  # random body made of plausible Kafka primitives
        parts = []
        for _ in range(r.randrange(1, 12)):
            parts.append(r.choice([
                i16(r.randrange(-2, 5)), i32(r.choice([-1, 0, 1, 2, 0x7FFFFFFF, -0x80000000, r.randrange(1 << 20)])),
                i64(r.choice([-2, -1, 0, 1 << 62])), string("keep"), string("x" * r.randrange(0, 300)),
                b"\xff" * r.randrange(1, 9), b"\x80" * r.randrange(1, 12), b"\x00" * r.randrange(1, 9)]))
        body = hdr + b"".join(parts)
    elif kind == 4:  # a real request, cut short or with a byte flipped
        real = hdr + array(["keep"], string) + b"\x01" if key == 3 else hdr + os.urandom(30)
        body = bytearray(real[:r.randrange(len(hdr) - 2, len(real) + 1)])
        if body and r.random() < 0.5:
            body[r.randrange(len(body))] ^= 1 << r.randrange(8)
        body = bytes(body)
    else:  # a produce of a mangled batch to 'keep'
        batch = bytearray(kwire.record_batch([(b"k", b"v" * r.randrange(1, 50), [])]))
        for _ in range(r.randrange(1, 4)):  # the length, magic, CRC or CRC-covered bytes
            at = r.choice([r.randrange(8, 12), r.randrange(16, len(batch))])
            batch[at] ^= r.randrange(1, 256)
        body = (struct.pack(">hhi", 0, 7, 1) + string("fuzz") + string(None) + i16(-1) + i32(1000)
                + array([0], lambda _: string("keep") + array([0], lambda _: i32(0) + kwire.bytes_(bytes(batch)))))
    return struct.pack(">i", len(body)) + body


def test_garbage():
    c = conn()
    apis = c.api_versions(2)["apis"]
    c.close()
    r = random.Random(SEED)
    s.note("garbage frames: seed %d (STRAIT_FUZZ_SEED to replay)" % SEED)
    sent = 0
    recent = []
    died_after = None
    t_end = time.time() + 90
    conns = 0
    while sent < 1000 and time.time() < t_end:
        try:
            sock = socket.create_connection(("127.0.0.1", b.port), timeout=2)
        except OSError as e:
            died_after = "connect failed after %d frames: %s" % (sent, e)
            break
        conns += 1
        try:
            for _ in range(r.randrange(1, 6)):
                f = random_frame(r, apis)
                recent = (recent + [f])[-5:]
                sock.sendall(f)
                sent += 1
            if conns % 10 == 0:  # now and then wait for the broker's reaction
                sock.settimeout(0.5)
                try:
                    while sock.recv(65536):
                        pass
                except (socket.timeout, OSError):
                    pass
        except OSError:
            pass  # the broker closed this connection: fine
        finally:
            sock.close()
        if conns % 25 == 0 and not b.alive():
            died_after = "the broker exited after %d frames" % sent
            break
    s.note("garbage frames: %d sent over %d connections" % (sent, conns))
    alive = b.alive()
    if not alive:
        for f in recent:
            s.note("recent frame: " + f[:120].hex())
    s.check("1000 garbage frames: the broker is still running", alive and died_after is None,
            died_after or "exit status %s" % (b.proc and b.proc.returncode))
    s.check("1000 garbage frames: all were sent", sent >= 1000, sent)
    if alive:
        c = conn()
        s.eq("1000 garbage frames: a new connection gets an ApiVersions answer", 0, c.api_versions(2)["error"])
        c.close()
        bystander_ok("garbage")
        stored_intact("garbage")


for name, fn in [("framing", test_framing), ("unknown api", test_unknown_api), ("api versions", test_api_versions),
                 ("produce", test_produce), ("legacy produce", test_legacy_produce),
                 ("idempotence", test_idempotence), ("topic names", test_topic_names), ("fetch ranges", test_fetch_ranges),
                 ("pipelining", test_pipelining), ("stall", test_stall), ("garbage", test_garbage)]:
    if not b.alive():
        s.fail("%s: the broker is running" % name, "it exited with %s:\n%s" % (b.proc and b.proc.returncode,
                                                                             b.log()[-1500:]))
        break
    s.run(name, fn)

bystander.close()
for br, label in ((b, "b1"), (b2, "noauto")):
    if br.alive():
        s.eq("%s: SIGTERM exits 0" % label, 0, br.stop())
    else:
        s.fail("%s: still running at the end" % label, br.log()[-1500:])
s.finish()
