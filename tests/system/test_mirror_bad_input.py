#!/usr/bin/python3
"""test_mirror_bad_input.py — strait-mirror against clusters that are down,
topics it cannot write, records it cannot copy, and configs it must refuse.

(a) Unreachable source at start: the mirror starts before cluster east
    exists on its port; it logs retries naming the cluster, with a growing
    backoff, and once east comes up on that port everything is mirrored.
(b) Target down mid-stream: west is stopped (SIGTERM) for ~5 s while records
    keep arriving on east, then restarted on the same port and data dir:
    the log shows the problem, and west ends with exactly east's records
    (nothing lost, nothing duplicated, same order).
(c) Target topics that do not match: a target topic with fewer partitions
    than its source is grown and gets everything; a target topic pre-created
    compacted (config sync off) refuses the source's keyless records: its
    partitions stop with a clear error in the log and in `status`
    LAST-ERROR, copy nothing, and the other topic of the same flow keeps
    mirroring. One keyless record amid 3,000 keyed ones (several target
    batches) stops its partition at the refused batch: the target holds
    exactly the records before it and nothing after, also after a restart.
(d) Records over the target's max message size (west started with
    message.max.bytes=100000): the partition stops at the big record (log
    and status LAST-ERROR name its offset and size), the target holds
    exactly the records before it and none after (no silent skip, also
    after a restart), `status` REPLICATED-OFFSET counts the records before
    it, and other partitions continue. Small records (300 bytes, 1 MB in
    all) still all reach that target: the mirror's batches must fit it.
(e) A bad config (unknown key, flow whose source is its target, unknown
    cluster) makes strait-mirror exit non-zero at once, naming the problem.
"""
import os
import re
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "interop", "lib"))
from broker import Broker, Suite, wait_for  # noqa: E402
from mirror import (MIRROR_BIN, Mirror, create_topic, end_offsets, ensure_mirror_binary,  # noqa: E402
                    payload, produce, read_partitions, status_table, wait_mirrored)

s = Suite("mirror-bad-input")
err = ensure_mirror_binary()
if err:
    s.fail("strait-mirror builds", err)
    s.finish()


def free_port():
    with socket.socket() as so:
        so.bind(("127.0.0.1", 0))
        return so.getsockname()[1]


def same_copy(desc, east, west, topic, parts, target_topic=None):
    """Every partition of target_topic on west holds exactly topic's records of
    east, in order, each once (strait.source headers unique)."""
    src = read_partitions(east.bootstrap, topic, parts)
    dst = read_partitions(west.bootstrap, target_topic or topic, parts)
    counts = ({p: len(v) for p, v in src.items()}, {p: len(v) for p, v in dst.items()})
    same = all([payload(r) for r in src[p]] == [payload(r) for r in dst[p]] for p in range(parts))
    sources = [r[3].get("strait.source") for p in range(parts) for r in dst[p]]
    s.check(desc, counts[0] == counts[1] and same and len(set(sources)) == len(sources),
            "counts east/west %s, same payloads %s, duplicated sources %d"
            % (counts, same, len(sources) - len(set(sources))))


def gaps(offsets):
    """Where a list of source offsets jumps: [(before, after)] (first five)."""
    return [(a, b) for a, b in zip(offsets, offsets[1:]) if b != a + 1][:5]


def status_of(m, topic):
    """{partition: status row} of a topic from `strait-mirror status`."""
    _rc, rows, _out = status_table(m)
    return {int(r["PARTITION"]): r for r in rows if r.get("TOPIC") == topic}


def small(topic_tag, i, parts):
    return {"key": b"%s-%d" % (topic_tag, i), "value": b"%s-value-%06d" % (topic_tag, i),
            "partition": i % parts, "headers": [("n", b"%d" % i)]}


# ---- (a) unreachable source at start ---------------------------------------------------------------

def unreachable_source(west):
    port = free_port()
    topic, parts = "late-source", 3
    m = Mirror(s.tmp, "ma", {"east": "127.0.0.1:%d" % port, "west": west.bootstrap},
               [{"name": "ea", "source": "east", "target": "west", "topics": [topic]}]).start()
    retry = re.compile(r"source cluster east unreachable.*retrying in (\d+) ms")
    wait_for(lambda: len(retry.findall(m.log())) >= 3, 20, 0.2)
    log = m.log()
    waits = [int(x) for x in retry.findall(log)]
    s.check("(a) the mirror logs retries naming the unreachable source cluster", len(waits) >= 3,
            log[-2000:])
    s.check("(a) the retry backoff grows", len(waits) >= 3 and waits[-1] > waits[0]
            and waits == sorted(waits), waits)
    s.check("(a) the mirror keeps running while the source is down", m.alive(), log[-2000:])
    east = Broker(s.tmp, "east", {"num.partitions": 1}).start(port=port)
    create_topic(east.bootstrap, topic, parts)
    produce(east.bootstrap, topic, (small(b"a", i, parts) for i in range(3000)))
    s.check("(a) once east is up, everything is mirrored",
            wait_mirrored(east.bootstrap, west.bootstrap, topic, topic, parts, 60), m.log()[-2000:])
    same_copy("(a) west holds exactly east's records", east, west, topic, parts)
    s.eq("(a) the mirror stops with status 0", 0, m.stop())
    return east


# ---- (b) target down mid-stream ----------------------------------------------------------------------

def target_down(east, west):
    topic, parts = "through-outage", 3
    create_topic(east.bootstrap, topic, parts)
    m = Mirror(s.tmp, "mb", {"east": east.bootstrap, "west": west.bootstrap},
               [{"name": "eb", "source": "east", "target": "west", "topics": [topic]}]).start()
    produced, errors, stop = [0], [], threading.Event()

    def producer():  # ~300 records/s for at most 20 s, until told to stop
        from confluent_kafka import Producer
        p = Producer({"bootstrap.servers": east.bootstrap, "enable.idempotence": True,
                      "linger.ms": 5})
        deadline = time.time() + 20
        i = 0
        while not stop.is_set() and time.time() < deadline:
            for _ in range(30):
                p.produce(topic, on_delivery=lambda e, _m: e and errors.append(e),
                          **small(b"b", i, parts))
                i += 1
            p.poll(0)
            time.sleep(0.1)
        left = p.flush(30)
        produced[0] = i
        if left:
            errors.append("%d undelivered" % left)

    t = threading.Thread(target=producer)
    t.start()
    try:
        s.check("(b) mirroring is under way before west goes down",
                wait_for(lambda: sum(end_offsets(west.bootstrap, topic, parts).values()) > 0
                         if topic in west_topics(west) else False, 20, 0.2), m.log()[-2000:])
        time.sleep(1)
        down_at = len(m.log())
        s.eq("(b) west stops on SIGTERM", 0, west.stop())
        time.sleep(5)
        west.start()  # same port, same data dir
        time.sleep(3)
    finally:
        stop.set()
        t.join(60)
    s.check("(b) every record was produced to east", not errors and produced[0] > 0, errors[:3])
    s.note("(b) %d records produced across the outage" % produced[0])
    outage_log = m.log()[down_at:]
    s.check("(b) the log warns that west (%s) cannot be reached" % west.bootstrap,
            re.search(r"WARN.*(\bwest\b|%s).*(unreachable|refused|connect failed)"
                      % re.escape(west.bootstrap), outage_log), outage_log[-2000:])
    s.check("(b) after west returns, everything is mirrored",
            wait_mirrored(east.bootstrap, west.bootstrap, topic, topic, parts, 60), m.log()[-2000:])
    time.sleep(1)
    s.eq("(b) west's end offsets equal east's (nothing lost, nothing extra)",
         end_offsets(east.bootstrap, topic, parts), end_offsets(west.bootstrap, topic, parts))
    same_copy("(b) west holds exactly east's records, each once, in order", east, west, topic, parts)
    s.check("(b) the mirror is still running", m.alive(), m.log()[-2000:])
    s.eq("(b) the mirror stops with status 0", 0, m.stop())


def west_topics(b):
    from confluent_kafka.admin import AdminClient
    return AdminClient({"bootstrap.servers": b.bootstrap}).list_topics(timeout=10).topics


# ---- (c) target topics that do not match ------------------------------------------------------------

def mismatched_topics(east, west):
    grow, keyless = "grow-me", "keyless"
    create_topic(east.bootstrap, grow, 4)
    create_topic(west.bootstrap, grow, 2)
    create_topic(east.bootstrap, keyless, 2)
    create_topic(west.bootstrap, keyless, 2, {"cleanup.policy": "compact"})
    # keyed records with one keyless record in the middle, several target batches long
    mixed, bad_at = "mixed-keys", 1500
    create_topic(east.bootstrap, mixed, 1)
    create_topic(west.bootstrap, mixed, 1, {"cleanup.policy": "compact"})
    produce(east.bootstrap, mixed, ({"key": None if i == bad_at else b"m%d" % i,
                                     "value": b"%06d" % i + os.urandom(200)} for i in range(3000)))
    produce(east.bootstrap, grow, (small(b"g", i, 4) for i in range(2000)))
    produce(east.bootstrap, keyless, ({"value": b"no key %d" % i, "partition": i % 2}
                                      for i in range(200)))
    m = Mirror(s.tmp, "mc", {"east": east.bootstrap, "west": west.bootstrap},
               [{"name": "ec", "source": "east", "target": "west", "topics": [grow, keyless, mixed],
                 "sync.topic.configs": False}]).start()
    s.check("(c) the short target topic is mirrored fully",
            wait_mirrored(east.bootstrap, west.bootstrap, grow, grow, 4, 60), m.log()[-2000:])
    s.eq("(c) the mirror grew the target topic to the source's partition count", 4,
         len(west_topics(west)[grow].partitions))
    s.check("(c) the log says it grew the topic",
            re.search(r"grew topic %s on west from 2 to 4 partitions" % grow, m.log()), m.log()[-2000:])
    same_copy("(c) the grown topic holds exactly east's records", east, west, grow, 4)

    stopped = re.compile(r"ERROR.*%s \[(\d)\] stopped: ()(.*) \(acknowledged by the target" % keyless)
    wait_for(lambda: len(set(x[0] for x in stopped.findall(m.log()))) == 2, 30, 0.2)
    found = stopped.findall(m.log())
    s.eq("(c) both partitions of the compacted target stop with an error in the log",
         {"0", "1"}, set(x[0] for x in found))
    s.check("(c) the log says why (the target refused the record)",
            found and all(re.search(r"target rejected offset 0 .*(INVALID_RECORD|without key)", x[2])
                          for x in found), found)
    s.eq("(c) nothing of the keyless topic reached the compacted target", {0: 0, 1: 0},
         end_offsets(west.bootstrap, keyless, 2))
    st = {}
    wait_for(lambda: st.update(status_of(m, keyless)) or
             all(st.get(p, {}).get("LAST-ERROR", "-") != "-" for p in (0, 1)), 15, 0.5)
    s.check("(c) status shows LAST-ERROR for the stopped partitions",
            all(re.search(r"target rejected offset 0", st.get(p, {}).get("LAST-ERROR", ""))
                for p in (0, 1)), st)
    gst = status_of(m, grow)
    s.check("(c) status shows no error for the healthy topic",
            len(gst) == 4 and all(r["LAST-ERROR"] == "-" for r in gst.values()), gst)
    mixed_stop = re.compile(r"ERROR.*%s \[0\] stopped: .*target rejected offset (\d+) " % mixed)
    wait_for(lambda: mixed_stop.search(m.log()), 20, 0.2)
    hit = mixed_stop.search(m.log())
    failed_at = int(hit.group(1)) if hit else None
    s.check("(c) a keyless record amid keyed ones stops its partition at the refused batch",
            failed_at is not None and failed_at <= bad_at, m.log()[-2000:])
    time.sleep(2)
    mdst = read_partitions(west.bootstrap, mixed, 1)[0]
    msrc = read_partitions(east.bootstrap, mixed, 1)[0]
    s.eq("(c) the target holds exactly the records before the refused batch, none after it",
         failed_at, len(mdst))
    s.check("(c) ... the same records, in order",
            [payload(r) for r in mdst] == [payload(r) for r in msrc[:len(mdst)]],
            "source offsets on the target: %s"
            % gaps([int(r[3].get("strait.source", b"0:-1").split(b":")[-1]) for r in mdst]))
    produce(east.bootstrap, grow, (small(b"g2", i, 4) for i in range(400)))
    s.check("(c) the healthy topic keeps mirroring after the other one stopped",
            wait_mirrored(east.bootstrap, west.bootstrap, grow, grow, 4, 30), m.log()[-2000:])
    same_copy("(c) ... exactly", east, west, grow, 4)
    s.check("(c) the mirror is still running", m.alive(), m.log()[-2000:])
    s.eq("(c) the mirror stops with status 0", 0, m.stop())
    m.start()
    wait_for(lambda: mixed_stop.search(m.log()) and
             len(set(x[0] for x in stopped.findall(m.log()))) == 2, 20, 0.2)
    time.sleep(1)
    s.check("(c) after a restart the refused record stops its partition again (no silent skip)",
            mixed_stop.search(m.log()),
            "\n".join(l for l in m.log().splitlines() if mixed in l and "metrics" not in l)[-1500:])
    s.eq("(c) ... and the target still ends before it", failed_at,
         end_offsets(west.bootstrap, mixed, 1)[0])
    s.eq("(c) the mirror stops with status 0 after the restart", 0, m.stop())


# ---- (d) records over the target's max message size --------------------------------------------------

BIG = 300_000


def oversized_records(east):
    tag = b"d"
    west = Broker(s.tmp, "west-small", {"num.partitions": 1, "message.max.bytes": 100000}).start()
    topic = "big-records"
    create_topic(east.bootstrap, topic, 3)
    big_at = {0: 100, 1: 50}  # partition -> source offset of its 300 KB record
    recs = []
    for p, n in ((0, 201), (1, 201), (2, 200)):
        for i in range(n):
            r = {"key": b"%s-%d-%d" % (tag, p, i), "value": b"small-%d" % i, "partition": p,
                 "headers": [("i", b"%d" % i)]}
            if big_at.get(p) == i:
                r["value"] = os.urandom(BIG)
            recs.append(r)
    produce(east.bootstrap, topic, recs, {"message.max.bytes": 2_000_000})
    m = Mirror(s.tmp, "md", {"east": east.bootstrap, "west": west.bootstrap},
               [{"name": "ed", "source": "east", "target": "west", "topics": [topic]}]).start()
    want = {0: 100, 1: 50, 2: 200}
    stopped = re.compile(r"ERROR.*%s \[(\d)\] stopped: (.*) \(acknowledged by the target" % topic)

    def settled():
        return (len(set(x[0] for x in stopped.findall(m.log()))) == 2 and
                end_offsets(west.bootstrap, topic, 3) == want) if topic in west_topics(west) else False
    wait_for(settled, 45, 0.25)
    time.sleep(2)  # anything wrongly sent after the big records would land by now
    s.eq("(d) west holds exactly the records before each big one, all of partition 2", want,
         end_offsets(west.bootstrap, topic, 3))
    src = read_partitions(east.bootstrap, topic, 3)
    dst = read_partitions(west.bootstrap, topic, 3)
    s.check("(d) ... the same records, in order",
            all([payload(r) for r in dst[p]] == [payload(r) for r in src[p][:want[p]]]
                for p in range(3)))
    found = dict(stopped.findall(m.log()))
    for p, off in big_at.items():
        msg = found.get(str(p), "")
        sizes = [int(x) for x in re.findall(r"\b(\d{6,})\b", msg)]
        s.check("(d) the log names partition %d's offset %d and the record's size" % (p, off),
                re.search(r"\boffset %d\b" % off, msg) and any(BIG <= x < BIG + 2000 for x in sizes),
                m.log()[-2000:])
    st = {}
    wait_for(lambda: st.update(status_of(m, topic)) or
             all(st.get(p, {}).get("LAST-ERROR", "-") != "-" for p in big_at), 15, 0.5)
    for p, off in big_at.items():
        le = st.get(p, {}).get("LAST-ERROR", "")
        s.check("(d) status LAST-ERROR of partition %d names offset %d and the size" % (p, off),
                re.search(r"\boffset %d\b" % off, le) and re.search(r"\b%d\d{3}\b" % (BIG // 1000), le),
                st.get(p))
    s.eq("(d) status: partition 2 has no error", "-", st.get(2, {}).get("LAST-ERROR"))
    s.eq("(d) status REPLICATED-OFFSET counts the records before each big one",
         {0: "100", 1: "50", 2: "200"},
         {p: st.get(p, {}).get("REPLICATED-OFFSET") for p in range(3)})
    produce(east.bootstrap, topic, ({"key": b"later", "value": b"%d" % i, "partition": i % 3}
                                    for i in range(30)))
    s.check("(d) the healthy partition keeps mirroring",
            wait_for(lambda: end_offsets(west.bootstrap, topic, 3)[2] == 210, 20, 0.25),
            end_offsets(west.bootstrap, topic, 3))
    s.eq("(d) the stopped partitions got nothing more", (100, 50),
         tuple(end_offsets(west.bootstrap, topic, 3)[p] for p in (0, 1)))

    s.eq("(d) the mirror stops with status 0", 0, m.stop())
    m.start()
    wait_for(lambda: len(set(x[0] for x in stopped.findall(m.log()))) == 2, 30, 0.25)
    time.sleep(2)
    s.eq("(d) after a restart the partitions stop at the same records again (no skip)",
         {0: 100, 1: 50, 2: 210}, end_offsets(west.bootstrap, topic, 3))
    again = dict(stopped.findall(m.log()))
    s.check("(d) ... and say so again",
            all(re.search(r"\boffset %d\b" % off, again.get(str(p), "")) for p, off in big_at.items()),
            m.log()[-2000:])
    s.eq("(d) the mirror stops with status 0 after the restart", 0, m.stop())

    # every record small, ~1 MB in all: the mirror's batches must fit the target's limit too
    many = "many-small"
    create_topic(east.bootstrap, many, 1)
    produce(east.bootstrap, many, ({"key": b"s%d" % i, "value": os.urandom(300)} for i in range(3000)))
    ms = Mirror(s.tmp, "md2", {"east": east.bootstrap, "west": west.bootstrap},
                [{"name": "ed2", "source": "east", "target": "west", "topics": [many]}]).start()
    if s.check("(d) 3,000 records of 300 bytes all reach the target whose limit is 100,000 bytes",
            wait_for(lambda: many in west_topics(west) and
                     end_offsets(west.bootstrap, many, 1)[0] >= 3000, 30, 0.25),
            "west has %s\n%s" % (end_offsets(west.bootstrap, many, 1) if many in west_topics(west)
                                  else "no topic", "\n".join(l for l in ms.log().splitlines()
                                                               if "ERROR" in l)[-1500:])):
        same_copy("(d) ... exactly", east, west, many, 1)
    s.eq("(d) that mirror stops with status 0", 0, ms.stop())
    west.stop()


# ---- (e) bad configs -----------------------------------------------------------------------------------

def bad_configs(east, west):
    cases = [
        ("an unknown key", "mirror:\n  database: %s\n  no.such.setting: 5\n", r"no\.such\.setting"),
        ("a flow whose source is its target",
         "mirror:\n  database: %s\nclusters:\n  east:\n    bootstrap.servers: " + east.bootstrap +
         "\nflows:\n  - source: east\n    target: east\n", r"(?i)source.*target|target.*source"),
        ("a flow naming an unknown cluster",
         "mirror:\n  database: %s\nclusters:\n  east:\n    bootstrap.servers: " + east.bootstrap +
         "\nflows:\n  - source: east\n    target: nowhere\n", r"nowhere"),
        ("an unknown key in a flow",
         "mirror:\n  database: %s\nclusters:\n  east:\n    bootstrap.servers: " + east.bootstrap +
         "\n  west:\n    bootstrap.servers: " + west.bootstrap +
         "\nflows:\n  - source: east\n    target: west\n    topcis: [x]\n", r"topcis"),
    ]
    for i, (what, text, pattern) in enumerate(cases):
        path = os.path.join(s.tmp, "bad%d.yaml" % i)
        with open(path, "w") as f:
            f.write(text % os.path.join(s.tmp, "bad%d.db" % i))
        t0 = time.time()
        try:
            r = subprocess.run([MIRROR_BIN, "--config", path], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, timeout=20)
            rc, out = r.returncode, r.stdout.decode(errors="replace")
        except subprocess.TimeoutExpired:
            rc, out = None, "still running after 20 s"
        took = time.time() - t0
        s.check("(e) %s: exits non-zero at once, naming the problem" % what,
                rc not in (0, None) and took < 5 and re.search(pattern, out)
                and "starting flow" not in out, "rc %s after %.1f s: %s" % (rc, took, out[-600:]))


try:
    west = Broker(s.tmp, "west", {"num.partitions": 1}).start()
    east = s.run("(a) unreachable source", unreachable_source, west)
    if east is None:
        east = Broker(s.tmp, "east2", {"num.partitions": 1}).start()
    for desc, fn in (("(b) target down", target_down), ("(c) mismatched topics", mismatched_topics)):
        s.run(desc, fn, east, west)
    s.run("(d) oversized records", oversized_records, east)
    s.run("(e) bad configs", bad_configs, east, west)
except Exception as e:  # noqa: BLE001
    import traceback
    traceback.print_exc(file=sys.stdout)
    s.fail("bad-input scenarios", "%s: %s" % (type(e).__name__, e))
s.finish()
