"""Schema-driven Kafka frame decoder (test tooling for the golden capture).

Reads Apache Kafka's JSON message schemas (the folder given to load(), e.g.
../shared/kafka-protocol/message) and decodes one request or response frame
(without its 4-byte size prefix) into nested dicts, checking that every byte
is consumed. Record batches (magic 2) are decoded too: CRC-32C checked and
the compressed ones inflated (gzip: zlib; snappy: the pure-Python decoder
below, raw or xerial-framed; lz4 and zstd: the `lz4` and `zstd` command-line
tools). It is an independent oracle for the values in tests/golden/manifest.txt,
not product code.
"""

import json
import os
import re
import struct
import subprocess
import uuid
import zlib

API_NAMES = {}      # api key -> Kafka name without Request/Response ("Produce")
SCHEMAS = {}        # (api key, "request"/"response") -> schema dict
DATA = {}           # name -> schema dict for type "data"/"header"


class DecodeError(Exception):
    pass


def _strip_comments(text):
    return "\n".join(l for l in text.splitlines() if not l.lstrip().startswith("//"))


def load(message_dir):
    for fn in sorted(os.listdir(message_dir)):
        if not fn.endswith(".json"):
            continue
        with open(os.path.join(message_dir, fn)) as f:
            s = json.loads(_strip_comments(f.read()))
        if s["type"] in ("request", "response"):
            SCHEMAS[(s["apiKey"], s["type"])] = s
            if s["type"] == "request":
                API_NAMES[s["apiKey"]] = s["name"][: -len("Request")]
        else:
            DATA[s["name"]] = s


def in_versions(spec, v):
    if spec is None or spec == "none":
        return False
    if spec.endswith("+"):
        return v >= int(spec[:-1])
    if "-" in spec:
        lo, hi = spec.split("-")
        return int(lo) <= v <= int(hi)
    return v == int(spec)


class Reader:
    def __init__(self, data, pos=0):
        self.d = data
        self.p = pos

    def take(self, n):
        if n < 0 or self.p + n > len(self.d):
            raise DecodeError("short read: need %d at %d of %d" % (n, self.p, len(self.d)))
        b = self.d[self.p:self.p + n]
        self.p += n
        return b

    def fmt(self, f):
        n = struct.calcsize(f)
        return struct.unpack(f, self.take(n))[0]

    def uvarint(self):
        shift = v = 0
        while True:
            b = self.take(1)[0]
            v |= (b & 0x7F) << shift
            if not b & 0x80:
                return v
            shift += 7
            if shift > 63:
                raise DecodeError("varint too long")

    def varint(self):
        v = self.uvarint()
        return (v >> 1) ^ -(v & 1)

    def remaining(self):
        return len(self.d) - self.p


PRIMS = {"bool": ">?", "int8": ">b", "int16": ">h", "uint16": ">H", "int32": ">i",
         "uint32": ">I", "int64": ">q", "float64": ">d"}


def _struct_defs(schema):
    return {c["name"]: c for c in schema.get("commonStructs", [])}


def decode_fields(r, fields, version, flexible, commons):
    out = {}
    tagged = {}
    for f in fields:
        if not in_versions(f.get("versions"), version):
            continue
        if "tag" in f:
            if flexible and in_versions(f.get("taggedVersions", f.get("versions")), version):
                tagged[f["tag"]] = f
            continue
        fflex = flexible and f.get("flexibleVersions", "") != "none"
        out[f["name"]] = decode_value(r, f, f["type"], version, fflex, commons)
    if flexible:
        n = r.uvarint()
        for _ in range(n):
            tag = r.uvarint()
            size = r.uvarint()
            raw = r.take(size)
            if tag in tagged:
                f = tagged[tag]
                sub = Reader(raw)
                out[f["name"]] = decode_value(sub, f, f["type"], version, True, commons)
                if sub.remaining():
                    raise DecodeError("tagged field %s: %d bytes left" % (f["name"], sub.remaining()))
            else:
                out["_tag%d" % tag] = raw.hex()
    return out


def decode_value(r, f, typ, version, flexible, commons):
    nullable = in_versions(f.get("nullableVersions"), version)
    if typ.startswith("[]"):
        n = r.uvarint() - 1 if flexible else r.fmt(">i")
        if n < 0:
            if not nullable:
                raise DecodeError("null array %s" % f["name"])
            return None
        et = typ[2:]
        return [decode_value(r, f, et, version, flexible, commons) for _ in range(n)]
    if typ in PRIMS:
        return r.fmt(PRIMS[typ])
    if typ == "uuid":
        return str(uuid.UUID(bytes=bytes(r.take(16))))
    if typ == "string":
        n = r.uvarint() - 1 if flexible else r.fmt(">h")
        if n < 0:
            if not nullable:
                raise DecodeError("null string %s" % f["name"])
            return None
        return r.take(n).decode("utf-8")
    if typ in ("bytes", "records"):
        n = r.uvarint() - 1 if flexible else r.fmt(">i")
        if n < 0:
            if not nullable:
                raise DecodeError("null bytes %s" % f["name"])
            return None
        raw = bytes(r.take(n))
        if typ == "records":
            return {"_records": decode_batches(raw)}
        return raw
    # a struct: inline fields, or a common struct
    sub = f.get("fields") if f.get("type", "").lstrip("[]") == typ else None
    if sub is None:
        if typ not in commons:
            raise DecodeError("unknown type %s" % typ)
        sub = commons[typ]["fields"]
    return decode_fields(r, sub, version, flexible, commons)


def is_flexible(schema, version):
    return in_versions(schema.get("flexibleVersions"), version)


def decode_request(frame):
    r = Reader(frame)
    api_key = r.fmt(">h")
    version = r.fmt(">h")
    corr = r.fmt(">i")
    client_id_len = r.fmt(">h")
    client_id = None if client_id_len < 0 else r.take(client_id_len).decode("utf-8")
    schema = SCHEMAS[(api_key, "request")]
    flex = is_flexible(schema, version)
    hdr = {"api_key": api_key, "api_version": version, "correlation_id": corr,
           "client_id": client_id, "header_version": 2 if flex else 1}
    if flex:
        hdr["header_tags"] = decode_fields(r, [], 0, True, {})
    body = decode_fields(r, schema["fields"], version, flex, _struct_defs(schema))
    if r.remaining():
        raise DecodeError("request %s v%d: %d trailing bytes" % (API_NAMES[api_key], version, r.remaining()))
    return hdr, body


def decode_response(frame, api_key, version):
    r = Reader(frame)
    corr = r.fmt(">i")
    schema = SCHEMAS[(api_key, "response")]
    flex = is_flexible(schema, version)
    hflex = flex and api_key != 18
    hdr = {"correlation_id": corr, "header_version": 1 if hflex else 0}
    if hflex:
        hdr["header_tags"] = decode_fields(r, [], 0, True, {})
    body = decode_fields(r, schema["fields"], version, flex, _struct_defs(schema))
    if r.remaining():
        raise DecodeError("response %s v%d: %d trailing bytes" % (API_NAMES[api_key], version, r.remaining()))
    return hdr, body


def decode_data(name, raw):
    """Embedded consumer-protocol structures: int16 version, then the fields."""
    s = DATA[name]
    r = Reader(raw)
    v = r.fmt(">h")
    out = {"Version": v}
    out.update(decode_fields(r, s["fields"], v, False, _struct_defs(s)))
    if r.remaining():
        out["_trailing"] = raw[r.p:].hex()
    return out


# ---- record batches -------------------------------------------------------

def _crc32c_table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        t.append(c)
    return t


_CRC_T = _crc32c_table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _CRC_T[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def snappy_raw(d):
    r = Reader(d)
    n = r.uvarint()
    i = r.p
    out = bytearray()
    while i < len(d):
        tag = d[i]
        i += 1
        t = tag & 3
        if t == 0:
            ln = tag >> 2
            if ln < 60:
                ln += 1
            else:
                nb = ln - 59
                ln = int.from_bytes(d[i:i + nb], "little") + 1
                i += nb
            out += d[i:i + ln]
            i += ln
            continue
        if t == 1:
            ln = ((tag >> 2) & 7) + 4
            off = ((tag >> 5) << 8) | d[i]
            i += 1
        elif t == 2:
            ln = (tag >> 2) + 1
            off = int.from_bytes(d[i:i + 2], "little")
            i += 2
        else:
            ln = (tag >> 2) + 1
            off = int.from_bytes(d[i:i + 4], "little")
            i += 4
        if off == 0 or off > len(out):
            raise DecodeError("snappy: bad offset")
        for _ in range(ln):
            out.append(out[-off])
    if len(out) != n:
        raise DecodeError("snappy: length %d != %d" % (len(out), n))
    return bytes(out)


XERIAL = b"\x82SNAPPY\x00"


def snappy_decompress(d):
    if d.startswith(XERIAL):
        r = Reader(d, 16)
        out = b""
        while r.remaining():
            n = r.fmt(">i")
            out += snappy_raw(r.take(n))
        return out, "xerial"
    return snappy_raw(d), "raw"


def _tool(cmd, data):
    p = subprocess.run(cmd, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    if p.returncode != 0:
        raise DecodeError("%s: %s" % (cmd[0], p.stderr.decode(errors="replace").strip()))
    return p.stdout


CODECS = {0: "none", 1: "gzip", 2: "snappy", 3: "lz4", 4: "zstd"}


def decompress(codec, data):
    if codec == 0:
        return data, None
    if codec == 1:
        return zlib.decompress(data, 47), "gzip" if data[:2] == b"\x1f\x8b" else "zlib"
    if codec == 2:
        return snappy_decompress(data)
    if codec == 3:
        return _tool(["lz4", "-d", "-c"], data), "frame"
    if codec == 4:
        return _tool(["zstd", "-d", "-c", "-q"], data), "frame"
    raise DecodeError("unknown codec %d" % codec)


def decode_batches(raw):
    batches = []
    r = Reader(raw)
    while r.remaining():
        if r.remaining() < 61:
            batches.append({"_partial": r.remaining()})  # fetch may end mid-batch
            break
        base_offset = r.fmt(">q")
        length = r.fmt(">i")
        if length > r.remaining():
            batches.append({"_partial": r.remaining() + 12})
            break
        end = r.p + length
        b = {"BaseOffset": base_offset, "BatchLength": length,
             "PartitionLeaderEpoch": r.fmt(">i"), "Magic": r.fmt(">b")}
        if b["Magic"] != 2:
            raise DecodeError("record batch magic %d" % b["Magic"])
        crc = r.fmt(">I")
        calc = crc32c(raw[r.p:end])
        if crc != calc:
            raise DecodeError("record batch CRC %08x != %08x" % (crc, calc))
        b["Crc"] = crc
        attrs = r.fmt(">h")
        b["Attributes"] = attrs
        b["codec"] = CODECS.get(attrs & 7, str(attrs & 7))
        b["timestamp_type"] = "log_append" if attrs & 8 else "create"
        b["transactional"] = bool(attrs & 16)
        b["control"] = bool(attrs & 32)
        b["LastOffsetDelta"] = r.fmt(">i")
        b["BaseTimestamp"] = r.fmt(">q")
        b["MaxTimestamp"] = r.fmt(">q")
        b["ProducerId"] = r.fmt(">q")
        b["ProducerEpoch"] = r.fmt(">h")
        b["BaseSequence"] = r.fmt(">i")
        count = r.fmt(">i")
        b["RecordCount"] = count
        payload = raw[r.p:end]
        r.p = end
        data, framing = decompress(attrs & 7, payload)
        if framing:
            b["compression_framing"] = framing
            b["compressed_bytes"] = len(payload)
        rr = Reader(data)
        recs = []
        for _ in range(count):
            ln = rr.varint()
            rend = rr.p + ln
            rec = {"Attributes": rr.fmt(">b"), "TimestampDelta": rr.varint(),
                   "OffsetDelta": rr.varint()}
            kl = rr.varint()
            rec["Key"] = None if kl < 0 else bytes(rr.take(kl))
            vl = rr.varint()
            rec["Value"] = None if vl < 0 else bytes(rr.take(vl))
            hs = []
            for _ in range(rr.varint()):
                hk = bytes(rr.take(rr.varint()))
                hl = rr.varint()
                hs.append((hk, None if hl < 0 else bytes(rr.take(hl))))
            rec["Headers"] = hs
            if rr.p != rend:
                raise DecodeError("record length mismatch")
            recs.append(rec)
        if rr.remaining():
            raise DecodeError("record batch: %d bytes after last record" % rr.remaining())
        b["records"] = recs
        batches.append(b)
    return batches
