#!/usr/bin/env python3
"""Pick the golden frames out of a recorder run and write the manifest lines.

usage: select_frames.py --client NAME --raw RAWDIR --out OUTDIR
                        --schemas MESSAGE_DIR --manifest FRAGMENT

RAWDIR is the recorder's output (index.tsv, NNNNN-req.bin, NNNNN-resp.bin).
Every frame is decoded with the Kafka JSON schemas (kafkaschema.py); a frame
that does not decode to the last byte stops the run. The first frame of each
kind is kept, where a kind is (api key, api version, variant): the variant
tells apart requests that differ meaningfully (Produce: the topics, i.e. the
codec and the idempotent producer; Metadata: all/no/one/several topics;
Fetch: which topics the response carries records for; JoinGroup: with or
without a member id; FindCoordinator: the key type; and, for every API, the
response's top-level error code). Kept frames are renumbered in capture order and written
to OUTDIR as NNN-<ApiName>-v<version>-request.bin / -response.bin; OUTDIR is
emptied first. One manifest line per written file goes to FRAGMENT.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kafkaschema as K  # noqa: E402

SAFE = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
           b"!\"#$&'()*+,-./:;<=>?@[\\]^_`{|}")


def esc(v):
    """Manifest value: ~ for null, bools as true/false, bytes/str %-escaped."""
    if v is None:
        return "~"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, str):
        v = v.encode("utf-8")
    return "".join(chr(b) if b in SAFE else "%%%02X" % b for b in v)


# bytes fields that carry the consumer protocol's embedded structures
EMBEDDED = {
    (11, "request", "Metadata"): "ConsumerProtocolSubscription",
    (11, "response", "Metadata"): "ConsumerProtocolSubscription",
    (14, "request", "Assignment"): "ConsumerProtocolAssignment",
    (14, "response", "Assignment"): "ConsumerProtocolAssignment",
}


def flatten(obj, path, out, ctx):
    if isinstance(obj, dict):
        if "_records" in obj:
            batches = obj["_records"]
            out.append((path, "batches:%d" % len(batches)))
            for i, b in enumerate(batches):
                flatten_batch(b, "%s[%d]" % (path, i), out)
            return
        for k, v in obj.items():
            flatten(v, "%s.%s" % (path, k) if path else k, out, ctx)
    elif isinstance(obj, list):
        out.append((path, "count:%d" % len(obj)))
        for i, v in enumerate(obj):
            flatten(v, "%s[%d]" % (path, i), out, ctx)
    elif isinstance(obj, bytes):
        leaf = path.rsplit(".", 1)[-1]
        kind = EMBEDDED.get((ctx[0], ctx[1], leaf))
        if kind and obj:
            out.append((path, "bytes:%d" % len(obj)))
            flatten(K.decode_data(kind, obj), path, out, ctx)
        elif len(obj) <= 64:
            out.append((path, "bytes:%d:%s" % (len(obj), obj.hex())))
        else:
            out.append((path, "bytes:%d" % len(obj)))
    else:
        out.append((path, obj))


BATCH_FIELDS = ["BaseOffset", "BatchLength", "PartitionLeaderEpoch", "Magic", "Crc",
                "Attributes", "LastOffsetDelta", "BaseTimestamp", "MaxTimestamp",
                "ProducerId", "ProducerEpoch", "BaseSequence", "RecordCount"]


def flatten_batch(b, path, out):
    if "_partial" in b:
        out.append((path + ".Partial", b["_partial"]))
        return
    for f in BATCH_FIELDS:
        out.append((path + "." + f, b[f]))
    out.append((path + ".Compression", b["codec"]))
    if "compression_framing" in b:
        out.append((path + ".CompressionFraming", b["compression_framing"]))
        out.append((path + ".CompressedSize", b["compressed_bytes"]))
    out.append((path + ".TimestampType", b["timestamp_type"]))
    out.append((path + ".IsTransactional", b["transactional"]))
    out.append((path + ".IsControl", b["control"]))
    for i, r in enumerate(b["records"]):
        rp = "%s.Records[%d]" % (path, i)
        for f in ("Attributes", "TimestampDelta", "OffsetDelta", "Key", "Value"):
            out.append((rp + "." + f, r[f]))
        out.append((rp + ".Headers", "count:%d" % len(r["Headers"])))
        for j, (hk, hv) in enumerate(r["Headers"]):
            out.append(("%s.Headers[%d].Key" % (rp, j), hk))
            out.append(("%s.Headers[%d].Value" % (rp, j), hv))


def topics_with_records(body):
    out = []
    for t in body.get("Responses", []):
        for p in t.get("Partitions", []):
            recs = p.get("Records")
            if recs and any("records" in b and b["records"] for b in recs["_records"]):
                out.append(t.get("Topic"))
    return tuple(sorted(out))


def variant(key, req, resp):
    v = []
    if key == 0:
        v.append(tuple(t["Name"] for t in req.get("TopicData", [])))
    elif key == 1:
        v.append(topics_with_records(resp) if resp is not None else ())
    elif key == 3:
        t = req.get("Topics")
        v.append("all" if t is None else "none" if not t else "one" if len(t) == 1 else "many")
    elif key == 10:
        v.append(req.get("KeyType", 0))
    elif key == 11:
        v.append("member" if req.get("MemberId") else "new")
    if resp is not None:
        v.append(resp.get("ErrorCode", 0))
    return tuple(v)


VALUE3 = b"value-3 " + b"golden-padding-" * 8 + b"end"
EXPECTED_RECORDS = [
    (b"key-1", b"value-1", [(b"h1", b"v1")]),
    (b"key-2", b"value-2", [(b"h1", b"v1"), (b"h2", b"v2")]),
    (None, VALUE3, []),
]


def check_produce(seq, body):
    """Each Produce must carry the scenario's three records as one batch,
    compressed with the codec its topic is named after (golden-<codec>;
    golden-idempotent: none). Timing can split a batch; then re-run."""
    for t in body["TopicData"]:
        codec = t["Name"].split("-", 1)[1]
        codec = "none" if codec == "idempotent" else codec
        for p in t["PartitionData"]:
            batches = p["Records"]["_records"] if p["Records"] else []
            got = [[(r["Key"], r["Value"], r["Headers"]) for r in b.get("records", [])] for b in batches]
            if len(batches) != 1 or batches[0].get("codec") != codec or got[0] != EXPECTED_RECORDS:
                sys.exit("seq %d: Produce to %s is not one %s batch of the three scenario records "
                         "(%d batches, codecs %s); re-run the capture"
                         % (seq, t["Name"], codec, len(batches), [b.get("codec") for b in batches]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--client", required=True)
    ap.add_argument("--raw", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--schemas", required=True)
    ap.add_argument("--manifest", required=True)
    a = ap.parse_args()
    K.load(a.schemas)

    rows = []
    with open(os.path.join(a.raw, "index.tsv")) as f:
        for line in f:
            seq, conn, key, ver, corr, *_ = line.split("\t")
            rows.append((int(seq), int(conn), int(key), int(ver)))
    rows.sort()

    seen = set()
    keep = []
    for seq, conn, key, ver in rows:
        req = open(os.path.join(a.raw, "%05d-req.bin" % seq), "rb").read()
        resp = open(os.path.join(a.raw, "%05d-resp.bin" % seq), "rb").read()
        hdr, body = K.decode_request(req)
        if (hdr["api_key"], hdr["api_version"]) != (key, ver):
            sys.exit("seq %d: header does not match index" % seq)
        note = None
        try:
            rhdr, rbody = K.decode_response(resp, key, ver)
        except K.DecodeError as e:
            # librdkafka 2.0.2's mock answers an ApiVersions version it does
            # not support with error 35 in a form that is neither v0 nor the
            # requested version (compact array count 1 for one entry). Keep the
            # request; leave the response out.
            if key == 18 and resp[4:6] == b"\x00\x23":
                rhdr, rbody = None, None
                note = ("response omitted: the mock's UNSUPPORTED_VERSION reply (%s) is not a valid "
                        "ApiVersions v0 or v%d body" % (resp.hex(), ver))
            else:
                sys.exit("seq %d (%s v%d): %s" % (seq, K.API_NAMES[key], ver, e))
        if key == 0:
            check_produce(seq, body)
        kind = (key, ver) + variant(key, body, rbody)
        if kind in seen:
            continue
        seen.add(kind)
        keep.append((seq, key, ver, req, resp, hdr, body, rhdr, rbody, note))

    os.makedirs(a.out, exist_ok=True)
    for fn in os.listdir(a.out):
        if fn.endswith(".bin"):
            os.remove(os.path.join(a.out, fn))
    lines = []
    for n, (seq, key, ver, req, resp, hdr, body, rhdr, rbody, note) in enumerate(keep, 1):
        name = K.API_NAMES[key]
        base = "%03d-%s-v%d" % (n, name, ver)
        with open(os.path.join(a.out, base + "-request.bin"), "wb") as f:
            f.write(req)
        toks = [("api", name), ("api_key", key), ("api_version", ver),
                ("header_version", hdr["header_version"]),
                ("correlation_id", hdr["correlation_id"]), ("client_id", hdr["client_id"])]
        flatten(body, "", toks, (key, "request"))
        if note:
            lines.append("# %s/%s-request.bin: %s" % (a.client, base, note))
        lines.append("%s/%s-request.bin %s" % (a.client, base, " ".join("%s=%s" % (k, esc(v)) for k, v in toks)))
        if rhdr is None:
            continue
        with open(os.path.join(a.out, base + "-response.bin"), "wb") as f:
            f.write(resp)
        toks = [("api", name), ("api_key", key), ("api_version", ver),
                ("header_version", rhdr["header_version"]),
                ("correlation_id", rhdr["correlation_id"])]
        flatten(rbody, "", toks, (key, "response"))
        lines.append("%s/%s-response.bin %s" % (a.client, base, " ".join("%s=%s" % (k, esc(v)) for k, v in toks)))
    with open(a.manifest, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("select_frames: %s: kept %d of %d exchanges" % (a.client, len(keep), len(rows)))


if __name__ == "__main__":
    main()
