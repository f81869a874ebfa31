"""test_client_verify.py — checks for the client suites (a helper, not a
suite: test_client_producer.sh and test_client_faults.sh run it).

  vectors                          the reference murmur2 against Kafka's vectors
  placement FILE N                 "key-i p" lines vs the reference partitioner
  topic DUMP COUNT N keyed|nokey NOW_MS|=BASE_MS
                                   kcat '%p %o %T %k %s %h' lines of a produced
                                   topic: every record exactly once, in order
                                   per partition, murmur2 partition, header,
                                   timestamp (about now, or exactly BASE + i)
  sticky REPORT COUNT              null-key records stick to a partition
  disk LOGDIR TOPIC N CODEC IDEMPOTENT
                                   batches on disk: codec bits, one producer
                                   id, contiguous sequences
  result OUT DELIVERED ERRORS TEXT [TOTAL]
                                   the RESULT line of an expect.errors run
                                   ("*": any count, errors then at least 1;
                                   TOTAL: delivered + errors)
  trucks DUMP TRUCKS UPDATES N     kcat '%p %k %s' lines of trucks_gps: JSON
                                   positions, truck id as key, murmur2 partition

The reference murmur2 is a transcription of Java's Utils.murmur2, written
independently of common/client_partitioner.c.
"""
import re, sys

def murmur2(data):
    """Kafka's Utils.murmur2, transcribed from the Java source."""
    length, m, r = len(data), 0x5bd1e995, 24
    h = (0x9747b28c ^ length) & 0xffffffff
    for i in range(length // 4):
        k = data[4 * i] | data[4 * i + 1] << 8 | data[4 * i + 2] << 16 | data[4 * i + 3] << 24
        k = (k * m) & 0xffffffff
        k ^= k >> r
        k = (k * m) & 0xffffffff
        h = (h * m) & 0xffffffff
        h ^= k
    tail, rest = length & ~3, length % 4
    if rest == 3:
        h ^= data[tail + 2] << 16
    if rest >= 2:
        h ^= data[tail + 1] << 8
    if rest >= 1:
        h ^= data[tail]
        h = (h * m) & 0xffffffff
    h ^= h >> 13
    h = (h * m) & 0xffffffff
    h ^= h >> 15
    return h - (1 << 32) if h >= 1 << 31 else h

def partition(key, n):
    return (murmur2(key) & 0x7fffffff) % n

# Kafka's UtilsTest.testMurmur2 vectors: the reference must agree first.
VECTORS = {b"21": -973932308, b"foobar": -790332482, b"a-little-bit-long-string": -985981536,
           b"a-little-bit-longer-string": -1486304829,
           b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971, b"abc": 479470107}

def check_vectors():
    bad = [k for k, v in VECTORS.items() if murmur2(k) != v]
    print("OK" if not bad else "BAD reference murmur2 disagrees with Kafka on %s" % bad)

def placement(path, n):
    """Lines 'key-i p' from a partitioner under test vs the reference."""
    bad, count = [], 0
    for line in open(path):
        key, p = line.split()
        count += 1
        if int(p) != partition(key.encode(), n):
            bad.append(key)
    print("OK %d keys" % count if not bad and count else
          "BAD %d of %d keys differ, e.g. %s" % (len(bad), count, bad[:3]))

def topic(path, count, parts, keyed, now_ms):
    """kcat lines '%p %o %T %k %s %h' for a produced topic."""
    exact_ts = int(now_ms[1:]) if now_ms.startswith("=") else None
    now_ms = 0 if exact_ts is not None else int(now_ms)
    seen, last, problems = {}, {}, []
    for line in open(path):
        f = line.rstrip("\n").split(" ")
        if len(f) < 6:
            problems.append("short line %r" % line[:80])
            continue
        p, o, ts, key, value, headers = int(f[0]), int(f[1]), int(f[2]), f[3], f[4], f[5]
        m = re.match(r"value-(\d+)", value)
        if not m:
            problems.append("bad value %r" % value[:40])
            continue
        i = int(m.group(1))
        seen[i] = seen.get(i, 0) + 1
        if i <= last.get(p, -1):
            problems.append("partition %d: record %d after %d" % (p, i, last[p]))
        last[p] = i
        if headers != "seq=%d" % i:
            problems.append("record %d: headers %r" % (i, headers))
        if exact_ts is not None and ts != exact_ts + i:
            problems.append("record %d: timestamp %d, expected %d" % (i, ts, exact_ts + i))
        elif exact_ts is None and abs(ts - now_ms) > 600000:
            problems.append("record %d: timestamp %d is not now" % (i, ts))
        if keyed:
            if key != "key-%d" % i:
                problems.append("record %d: key %r" % (i, key))
            elif p != partition(key.encode(), parts):
                problems.append("record %d on partition %d, murmur2 says %d"
                                % (i, p, partition(key.encode(), parts)))
    dups = sum(1 for c in seen.values() if c > 1)
    missing = count - len([i for i in seen if 0 <= i < count])
    if dups:
        problems.insert(0, "%d duplicated records" % dups)
    if missing:
        problems.insert(0, "%d missing records" % missing)
    print("OK %d records in %d partitions" % (len(seen), len(last)) if not problems
          else "BAD " + "; ".join(problems[:4]))

def sticky(path, count):
    """Report lines 'partition offset i': null-key records stick to one
    partition for a batch, so the partition changes rarely in produce order."""
    by_i = {}
    for line in open(path):
        p, o, i = line.split()
        by_i[int(i)] = int(p)
    order = [by_i[i] for i in sorted(by_i)]
    switches = sum(1 for a, b in zip(order, order[1:]) if a != b)
    used = len(set(order))
    ok = len(order) == count and used >= 2 and switches <= count // 50
    print("%s %d records, %d partitions used, %d switches"
          % ("OK" if ok else "BAD", len(order), used, switches))

def disk(logdir, topic_name, parts, codec, idempotent):
    """Batches on disk: the codec bits, one producer id, contiguous
    sequences equal to the offsets (idempotent topics)."""
    import glob, os, struct
    problems, pids, batches, codecs = [], set(), 0, set()
    for part in range(parts):
        next_seq = 0
        for path in sorted(glob.glob(os.path.join(logdir, "%s-%d" % (topic_name, part), "*.log"))):
            data = open(path, "rb").read()
            p = 0
            while p + 61 <= len(data):
                base, length = struct.unpack(">qi", data[p:p + 12])
                if length <= 0:
                    break
                attrs, lod = struct.unpack(">hi", data[p + 21:p + 27])
                pid, epoch, seq = struct.unpack(">qhi", data[p + 43:p + 57])
                codecs.add(attrs & 7)
                batches += 1
                if idempotent:
                    pids.add((pid, epoch))
                    if seq != next_seq:
                        problems.append("%s-%d@%d: sequence %d, expected %d"
                                        % (topic_name, part, base, seq, next_seq))
                    next_seq = seq + lod + 1
                elif pid != -1:
                    problems.append("producer id %d on a non-idempotent batch" % pid)
                p += 12 + length
    if codecs != {codec}:
        problems.append("codecs on disk %s, expected {%d}" % (sorted(codecs), codec))
    if idempotent and (len(pids) != 1 or min(pids)[0] < 0):
        problems.append("producer id/epoch pairs %s" % sorted(pids)[:4])
    print("OK %d batches" % batches if not problems else "BAD " + "; ".join(problems[:3]))

cmd = sys.argv[1]
if cmd == "vectors":
    check_vectors()
elif cmd == "placement":
    placement(sys.argv[2], int(sys.argv[3]))
elif cmd == "topic":
    topic(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "keyed", sys.argv[6])
elif cmd == "sticky":
    sticky(sys.argv[2], int(sys.argv[3]))
elif cmd == "disk":
    disk(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6] == "1")
elif cmd == "trucks":
    import json
    path, trucks, updates, n = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    per, problems = {}, []
    for line in open(path):
        p, key, value = line.rstrip("\n").split(" ", 2)
        try:
            v = json.loads(value)
        except ValueError:
            problems.append("not JSON: %r" % value[:60])
            continue
        if v.get("truck_id") != key or not isinstance(v.get("latitude"), float) \
                or not isinstance(v.get("longitude"), float):
            problems.append("bad position %r" % value[:80])
        if int(p) != partition(key.encode(), n):
            problems.append("%s on partition %s, murmur2 says %d" % (key, p, partition(key.encode(), n)))
        per[key] = per.get(key, 0) + 1
    if len(per) != trucks or any(c != updates for c in per.values()):
        problems.append("positions per truck %s" % sorted(per.items())[:4])
    print("OK %d positions of %d trucks" % (sum(per.values()), len(per)) if not problems
          else "BAD " + "; ".join(problems[:3]))
elif cmd == "result":
    line = [l for l in open(sys.argv[2]) if l.startswith("RESULT ")]
    m = re.match(r"RESULT delivered=(\d+) errors=(\d+) first_error=(.*)", line[-1]) if line else None
    if not m:
        print("BAD no RESULT line")
    elif any(want != "*" and int(got) != int(want)
             for got, want in ((m.group(1), sys.argv[3]), (m.group(2), sys.argv[4]))) or \
            sys.argv[5] not in m.group(3) or \
            (len(sys.argv) > 6 and int(m.group(1)) + int(m.group(2)) != int(sys.argv[6])) or \
            (sys.argv[4] == "*" and int(m.group(2)) == 0):
        print("BAD delivered=%s errors=%s first error %r (expected %s, %s, %r)"
              % (m.group(1), m.group(2), m.group(3), sys.argv[3], sys.argv[4], sys.argv[5]))
    else:
        print("OK %s" % m.group(3)[:200])
