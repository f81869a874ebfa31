"""tests/interop/lib/kwire.py — a tiny hand-written Kafka wire client for tests.

Independent of the broker's generated codec on purpose: the tests check the
broker against the protocol as documented, with plain `struct`. Only the
non-flexible request versions are used (request header v1, response header v0):
ApiVersions v0-2, Metadata v4, Produce v7, Fetch v4, ListOffsets v1,
CreateTopics v2, DeleteRecords v0; plus one flexible request, ListOffsets v7
(for MAX_TIMESTAMP). Also builds RecordBatch v2 (uncompressed) with CRC-32C.
"""
import socket
import struct
import time

# ---- CRC-32C (Castagnoli), table driven ----
_CRC_TABLE = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _CRC_TABLE.append(_c)


def crc32c(data):
    crc = 0xFFFFFFFF
    t = _CRC_TABLE
    for b in data:
        crc = t[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


# ---- primitive encoders ----
def i8(v): return struct.pack(">b", v)
def i16(v): return struct.pack(">h", v)
def i32(v): return struct.pack(">i", v)
def i64(v): return struct.pack(">q", v)
def u32(v): return struct.pack(">I", v)


def string(s):
    if s is None:
        return i16(-1)
    b = s.encode() if isinstance(s, str) else s
    return i16(len(b)) + b


def bytes_(b):
    if b is None:
        return i32(-1)
    return i32(len(b)) + b


def array(items, enc):
    if items is None:
        return i32(-1)
    return i32(len(items)) + b"".join(enc(x) for x in items)


def uvarint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def compact_string(s):
    b = s.encode() if isinstance(s, str) else s
    return uvarint(len(b) + 1) + b


def varint(v):
    return uvarint((v << 1) ^ (v >> 63))  # zigzag


class Reader:
    def __init__(self, data):
        self.d = data
        self.p = 0

    def take(self, n):
        if n < 0 or self.p + n > len(self.d):
            raise ValueError("short read: want %d at %d of %d" % (n, self.p, len(self.d)))
        b = self.d[self.p:self.p + n]
        self.p += n
        return b

    def i8(self): return struct.unpack(">b", self.take(1))[0]
    def i16(self): return struct.unpack(">h", self.take(2))[0]
    def i32(self): return struct.unpack(">i", self.take(4))[0]
    def i64(self): return struct.unpack(">q", self.take(8))[0]
    def u32(self): return struct.unpack(">I", self.take(4))[0]
    def bool(self): return self.i8() != 0

    def string(self):
        n = self.i16()
        return None if n < 0 else self.take(n).decode()

    def bytes(self):
        n = self.i32()
        return None if n < 0 else self.take(n)

    def array(self, dec):
        n = self.i32()
        if n < 0:
            return None
        return [dec(self) for _ in range(n)]

    def varint(self):
        shift = z = 0
        while True:
            b = self.take(1)[0]
            z |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
        return (z >> 1) ^ -(z & 1)

    def uvarint(self):
        shift = v = 0
        while True:
            b = self.take(1)[0]
            v |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return v

    def uvarint_tags(self):
        """Skips a tagged-fields section."""
        for _ in range(self.uvarint()):
            self.uvarint()
            self.take(self.uvarint())

    def remaining(self):
        return len(self.d) - self.p


# ---- record batches (v2, uncompressed) ----
def record(offset_delta, ts_delta, key, value, headers=()):
    body = i8(0) + varint(ts_delta) + varint(offset_delta)
    body += varint(-1) if key is None else varint(len(key)) + key
    body += varint(-1) if value is None else varint(len(value)) + value
    body += varint(len(headers))
    for hk, hv in headers:
        hk = hk.encode() if isinstance(hk, str) else hk
        body += varint(len(hk)) + hk
        body += varint(-1) if hv is None else varint(len(hv)) + hv
    return varint(len(body)) + body


def record_batch(records, base_ts=None, producer_id=-1, producer_epoch=-1, base_seq=-1,
                 base_offset=0, attributes=0):
    """records: list of (key, value, headers). Returns the batch bytes."""
    if base_ts is None:
        base_ts = int(time.time() * 1000)
    recs = b"".join(record(i, 0, k, v, h) for i, (k, v, h) in enumerate(records))
    after_crc = (i16(attributes) + i32(len(records) - 1) + i64(base_ts) + i64(base_ts)
                 + i64(producer_id) + i16(producer_epoch) + i32(base_seq)
                 + i32(len(records)) + recs)
    crc = crc32c(after_crc)
    rest = i32(0) + i8(2) + u32(crc) + after_crc  # partition leader epoch, magic, crc
    return i64(base_offset) + i32(len(rest)) + rest


def parse_batches(data):
    """Splits a records blob into (base_offset, last_offset_delta, crc_ok, raw) tuples;
    a trailing partial batch is ignored (as clients do)."""
    out = []
    p = 0
    while p + 12 <= len(data):
        base, length = struct.unpack(">qi", data[p:p + 12])
        if length < 0 or p + 12 + length > len(data):
            break
        raw = data[p:p + 12 + length]
        crc = struct.unpack(">I", raw[17:21])[0]
        lod = struct.unpack(">i", raw[23:27])[0]
        out.append((base, lod, crc == crc32c(raw[21:]), raw))
        p += 12 + length
    return out


def batch_records(raw):
    """Records of one uncompressed v2 batch: list of (offset, ts, key, value, headers)."""
    r = Reader(raw)
    base = r.i64(); r.i32(); r.i32(); r.i8(); r.u32()
    attrs = r.i16()
    if attrs & 7:
        raise ValueError("compressed batch")
    r.i32(); first_ts = r.i64(); r.i64(); r.i64(); r.i16(); r.i32()
    n = r.i32()
    out = []
    for _ in range(n):
        r.varint()  # length
        r.i8()
        tsd = r.varint()
        od = r.varint()
        kl = r.varint()
        key = None if kl < 0 else r.take(kl)
        vl = r.varint()
        value = None if vl < 0 else r.take(vl)
        hs = []
        for _ in range(r.varint()):
            hk = r.take(r.varint())
            hl = r.varint()
            hs.append((hk, None if hl < 0 else r.take(hl)))
        out.append((base + od, first_ts + tsd, key, value, hs))
    return out


# ---- connection ----
class Closed(Exception):
    pass


class Conn:
    def __init__(self, host, port, timeout=10.0, client_id="strait-tests"):
        self.s = socket.create_connection((host, port), timeout=timeout)
        self.s.settimeout(timeout)
        self.corr = 0
        self.client_id = client_id

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass

    def send_raw(self, data):
        self.s.sendall(data)

    def send(self, api_key, version, body, corr=None):
        if corr is None:
            self.corr += 1
            corr = self.corr
        hdr = i16(api_key) + i16(version) + i32(corr) + string(self.client_id)
        msg = hdr + body
        self.s.sendall(i32(len(msg)) + msg)
        return corr

    def _recv_exact(self, n):
        buf = bytearray()
        while len(buf) < n:
            chunk = self.s.recv(n - len(buf))
            if not chunk:
                raise Closed("connection closed by the broker")
            buf += chunk
        return bytes(buf)

    def recv(self):
        """Returns (correlation_id, Reader over the response body)."""
        size = struct.unpack(">i", self._recv_exact(4))[0]
        data = self._recv_exact(size)
        return struct.unpack(">i", data[:4])[0], Reader(data[4:])

    def request(self, api_key, version, body):
        corr = self.send(api_key, version, body)
        got, r = self.recv()
        if got != corr:
            raise ValueError("correlation id %d, expected %d" % (got, corr))
        return r

    def closed_by_peer(self, timeout=5.0):
        """True when the broker closes the connection (EOF or reset) within timeout."""
        self.s.settimeout(timeout)
        try:
            while True:
                d = self.s.recv(65536)
                if not d:
                    return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False

    # ---- APIs ----
    def api_versions(self, version=0):
        r = self.request(18, version, b"")
        return decode_api_versions(r, version)

    def metadata(self, topics, allow_auto=True):
        body = array(topics, string) + i8(1 if allow_auto else 0)
        r = self.request(3, 4, body)
        r.i32()  # throttle
        brokers = r.array(lambda r: (r.i32(), r.string(), r.i32(), r.string()))
        cluster_id = r.string()
        controller = r.i32()

        def part(r):
            return dict(error=r.i16(), index=r.i32(), leader=r.i32(),
                        replicas=r.array(Reader.i32), isr=r.array(Reader.i32))

        def topic(r):
            return dict(error=r.i16(), name=r.string(), internal=r.bool(), partitions=r.array(part))

        topics_ = r.array(topic)
        return dict(brokers=brokers, cluster_id=cluster_id, controller=controller,
                    topics={t["name"]: t for t in topics_})

    def produce(self, topic, partition, records_blob, acks=-1, timeout_ms=10000):
        """Returns (error, base_offset, log_start_offset); for acks=0 returns None."""
        body = (string(None) + i16(acks) + i32(timeout_ms)
                + array([0], lambda _: string(topic) + array([0], lambda _: i32(partition)
                                                            + bytes_(records_blob))))
        if acks == 0:
            self.send(0, 7, body)
            return None
        r = self.request(0, 7, body)
        res = r.array(lambda r: (r.string(), r.array(
            lambda r: (r.i32(), r.i16(), r.i64(), r.i64(), r.i64()))))
        r.i32()
        _name, parts = res[0]
        _idx, err, base, _lat, lso = parts[0]
        return err, base, lso

    def fetch(self, topic, partition, offset, max_bytes=1 << 20, max_wait_ms=0):
        """Returns dict(error, high_watermark, last_stable_offset, records)."""
        body = (i32(-1) + i32(max_wait_ms) + i32(1) + i32(max_bytes) + i8(0)
                + array([0], lambda _: string(topic) + array(
                    [0], lambda _: i32(partition) + i64(offset) + i32(max_bytes))))
        r = self.request(1, 4, body)
        r.i32()

        def part(r):
            return dict(index=r.i32(), error=r.i16(), high_watermark=r.i64(),
                        last_stable_offset=r.i64(),
                        aborted=r.array(lambda r: (r.i64(), r.i64())),
                        records=r.bytes() or b"")

        res = r.array(lambda r: (r.string(), r.array(part)))
        return res[0][1][0]

    def list_offsets(self, topic, partition, timestamp):
        """timestamp -1 latest, -2 earliest. Returns (error, timestamp, offset)."""
        body = i32(-1) + array([0], lambda _: string(topic) + array(
            [0], lambda _: i32(partition) + i64(timestamp)))
        r = self.request(2, 1, body)
        res = r.array(lambda r: (r.string(), r.array(lambda r: (r.i32(), r.i16(), r.i64(), r.i64()))))
        _idx, err, ts, off = res[0][1][0]
        return err, ts, off

    def create_topics(self, topics, validate_only=False, timeout_ms=10000):
        """topics: list of (name, partitions, replication, {config: value}).
        Returns {name: (error, message)}."""
        def enc(t):
            name, np, rf, cfg = t
            return (string(name) + i32(np) + i16(rf) + array([], None)
                    + array(list(cfg.items()), lambda kv: string(kv[0]) + string(kv[1])))

        body = array(topics, enc) + i32(timeout_ms) + i8(1 if validate_only else 0)
        r = self.request(19, 2, body)
        r.i32()
        res = r.array(lambda r: (r.string(), r.i16(), r.string()))
        return {n: (e, m) for n, e, m in res}


    def list_offsets_v7(self, topic, partition, timestamp):
        """ListOffsets v7 (flexible: request header v2, compact encodings), which
        allows timestamp -3 (MAX_TIMESTAMP). Returns (error, timestamp, offset)."""
        self.corr += 1
        hdr = i16(2) + i16(7) + i32(self.corr) + string(self.client_id) + uvarint(0)
        part = i32(partition) + i32(-1) + i64(timestamp) + uvarint(0)
        topic_ = compact_string(topic) + uvarint(2) + part + uvarint(0)
        body = i32(-1) + i8(0) + uvarint(2) + topic_ + uvarint(0)
        msg = hdr + body
        self.s.sendall(i32(len(msg)) + msg)
        size = struct.unpack(">i", self._recv_exact(4))[0]
        r = Reader(self._recv_exact(size))
        if r.i32() != self.corr:
            raise ValueError("correlation id mismatch")
        r.uvarint_tags()  # response header v1 tagged fields
        r.i32()  # throttle
        ntopics = r.uvarint() - 1
        out = None
        for _ in range(ntopics):
            r.take(r.uvarint() - 1)
            for _ in range(r.uvarint() - 1):
                r.i32()  # partition
                err, ts, off = r.i16(), r.i64(), r.i64()
                r.i32()  # leader epoch
                r.uvarint_tags()
                out = out or (err, ts, off)
            r.uvarint_tags()
        return out

    def delete_records(self, topic, partition, offset, timeout_ms=10000):
        """DeleteRecords v0. Returns (error, low_watermark)."""
        body = array([0], lambda _: string(topic) + array(
            [0], lambda _: i32(partition) + i64(offset))) + i32(timeout_ms)
        r = self.request(21, 0, body)
        r.i32()
        res = r.array(lambda r: (r.string(), r.array(lambda r: (r.i32(), r.i64(), r.i16()))))
        _idx, low, err = res[0][1][0]
        return err, low


def decode_api_versions(r, version):
    err = r.i16()
    apis = r.array(lambda r: (r.i16(), r.i16(), r.i16()))
    throttle = r.i32() if version >= 1 and r.remaining() >= 4 else None
    return dict(error=err, apis={k: (lo, hi) for k, lo, hi in (apis or [])}, throttle=throttle)


# Kafka error codes used by the tests
NONE = 0
OFFSET_OUT_OF_RANGE = 1
CORRUPT_MESSAGE = 2
UNKNOWN_TOPIC_OR_PARTITION = 3
MESSAGE_TOO_LARGE = 10
INVALID_TOPIC_EXCEPTION = 17
UNSUPPORTED_VERSION = 35
INVALID_REQUEST = 42
