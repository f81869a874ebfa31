#!/usr/bin/python3
"""test_mirror_crash.py — strait-mirror survives kill -9 and a store that
disagrees with the target, without losing or duplicating a record.

1. Crash: a producer thread writes 200,000 keyed records (unique values,
   headers, 4-8 partitions) to east at a steady pace (~40 s) while a mirror
   east->west runs; the mirror is killed with SIGKILL ten times at random
   moments (0.3-3 s apart, each restart immediate) and then left to finish.
   West then equals east exactly per partition: the same keys, values,
   headers and timestamps in the same order, the same count (no loss, no
   duplicate), each copy's strait.source naming its source offset. After
   one more clean stop (exit 0), `strait-mirror status` (stored and
   --live) shows REPLICATED-OFFSET == SOURCE-END for every partition.
2. Store lost: the SQLite database (and its -wal/-shm) deleted while the
   mirror is stopped; on restart nothing is copied twice (the mirror rebuilds
   the translation from the target log's provenance headers) and records
   produced afterwards still arrive; the copy stays exact.
3. Target lost: west is recreated from scratch (a new, empty broker on the
   same port) while the mirror is stopped; on restart the mirror notices the
   store maps beyond the target's end, says so in its log, and mirrors
   everything again, ending with the exact copy.

Randomness: random.Random(seed), the seed printed; STRAIT_SEED replays it.
"""
import os
import random
import re
import shutil
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "interop", "lib"))
from broker import Broker, Suite, wait_for  # noqa: E402
from mirror import (Mirror, create_topic, end_offsets, ensure_mirror_binary,  # noqa: E402
                    payload, produce, read_partitions, status_rows)

TOPIC, N, KILLS = "payments", 200_000, 10
STREAM_SECONDS = 40.0

s = Suite("mirror-crash")
err = ensure_mirror_binary()
if err:
    s.fail("strait-mirror builds", err)
    s.finish()

SEED = int(os.environ.get("STRAIT_SEED") or random.SystemRandom().randrange(1 << 31))
rng = random.Random(SEED)
PARTS = rng.randint(4, 8)
s.note("seed %d (STRAIT_SEED=%d to replay): %d partitions" % (SEED, SEED, PARTS))

BASE_TS = 1_700_000_000_000


def record(i):
    return {"key": b"acct-%d" % (i % 1009), "value": b"payment-%08d" % i,
            "partition": i % PARTS,
            "headers": [("seq", b"%d" % i), ("kind", b"card" if i % 3 else b"wire")],
            "timestamp": BASE_TS + i}


class SteadyProducer(threading.Thread):
    """Produces records [first, first+count) to east over ~seconds, at a
    steady pace; errors are kept in self.error."""

    def __init__(self, bootstrap, first, count, seconds):
        super().__init__(daemon=True)
        self.bootstrap, self.first, self.count, self.seconds = bootstrap, first, count, seconds
        self.sent = 0
        self.error = None

    def run(self):
        try:
            from confluent_kafka import Producer
            p = Producer({"bootstrap.servers": self.bootstrap, "enable.idempotence": True,
                          "linger.ms": 5, "queue.buffering.max.messages": 500000})
            errors = []

            def cb(e, _m):
                if e is not None:
                    errors.append(e)
            t0 = time.time()
            tick = 0.05
            per_tick = max(1, int(self.count * tick / self.seconds))
            while self.sent < self.count:
                for i in range(self.first + self.sent,
                               self.first + min(self.count, self.sent + per_tick)):
                    r = record(i)
                    while True:
                        try:
                            p.produce(TOPIC, on_delivery=cb, **r)
                            break
                        except BufferError:
                            p.poll(0.1)
                self.sent = min(self.count, self.sent + per_tick)
                p.poll(0)
                lag = t0 + tick * (self.sent / per_tick) - time.time()
                if lag > 0:
                    time.sleep(lag)
            left = p.flush(60)
            if errors or left:
                self.error = "%d errors (%s), %d undelivered" % (len(errors), errors[:3], left)
        except Exception as e:  # noqa: BLE001
            self.error = "%s: %s" % (type(e).__name__, e)


def cluster_id(bootstrap):
    from confluent_kafka.admin import AdminClient
    return AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=10).cluster_id


def caught_up(east, west):
    src = end_offsets(east.bootstrap, TOPIC, PARTS)

    def done():
        try:
            tgt = end_offsets(west.bootstrap, TOPIC, PARTS)
        except Exception:  # noqa: BLE001 - topic not there yet
            return False
        return all(tgt.get(p, 0) >= src[p] for p in range(PARTS))
    return done


def check_copy(what, east, west):
    """West's topic equals east's per partition; returns True when exact."""
    src = read_partitions(east.bootstrap, TOPIC, PARTS)
    dst = read_partitions(west.bootstrap, TOPIC, PARTS)
    scount = {p: len(v) for p, v in src.items()}
    dcount = {p: len(v) for p, v in dst.items()}
    ok = s.eq("%s: west has as many records as east in every partition" % what, scount, dcount)
    bad = []
    for p in range(PARTS):
        a, b = [r[2] for r in src[p]], [r[2] for r in dst[p]]
        if a != b:
            sa, sb = set(a), set(b)
            dup = len(b) - len(sb)
            first = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
            bad.append("p%d: %d missing, %d duplicated, first difference at index %d"
                       % (p, len(sa - sb), dup, first))
    ok &= s.check("%s: same values in the same order per partition (no loss, no duplicate)" % what,
                  not bad, "; ".join(bad[:8]))
    same = all([payload(r) for r in src[p]] == [payload(r) for r in dst[p]] for p in range(PARTS))
    ok &= s.check("%s: same keys, headers and timestamps" % what, same)
    eid = cluster_id(east.bootstrap)
    prov = [(p, sr[0], r[3].get("strait.source")) for p in range(PARTS)
            for sr, r in zip(src[p], dst[p])
            if r[3].get("strait.source") != ("%s:%s:%d:%d" % (eid, TOPIC, p, sr[0])).encode()]
    ok &= s.check("%s: every copy's strait.source names its source offset" % what, not prov,
                  repr(prov[:3]))
    return ok


def check_status(what, m, east, live):
    """`strait-mirror status` (--live: with the source ends read now) shows
    every partition replicated up to east's end."""
    ends = end_offsets(east.bootstrap, TOPIC, PARTS)
    rc, out = m.command("status", *(["--live"] if live else []))
    lines = [l for l in out.splitlines() if l.strip()]
    hdr = next((i for i, l in enumerate(lines) if l.startswith("FLOW")), None)
    names = lines[hdr].split() if rc == 0 and hdr is not None else []
    rows = [dict(zip(names, re.split(r"\s+", l.strip(), len(names) - 1)))
            for l in lines[hdr + 1:]] if names else []
    got = {int(r["PARTITION"]): (r.get("REPLICATED-OFFSET"), r.get("SOURCE-END"))
           for r in rows if r.get("TOPIC") == TOPIC}
    want = {p: (str(ends[p]), str(ends[p])) for p in range(PARTS)}
    return s.eq("%s: status%s shows REPLICATED-OFFSET == SOURCE-END == east's end per partition"
                % (what, " --live" if live else ""), want, got)


def snapshot_store(m, k):
    """Copies the killed mirror's database (and WAL) as it was at kill k."""
    for suffix in ("", "-wal"):
        if os.path.exists(m.database + suffix):
            shutil.copyfile(m.database + suffix,
                            os.path.join(s.tmp, "kill-%d.db%s" % (k, suffix)))


def store_behind_target(m):
    """Per kill: how many records west had that the store did not map yet
    (target end read at the next start, from its log, minus the store's
    mapped end in the snapshot), summed over the partitions."""
    import sqlite3
    out = []
    for k in range(KILLS):
        path = os.path.join(s.tmp, "kill-%d.db" % k)
        try:
            with open(os.path.join(s.tmp, "m.%d.log" % (k + 2)), errors="replace") as f:
                log = f.read()
            ends = {int(p): int(e) for p, e in re.findall(
                r"%s \[(\d+)\] -> \S+ \[\d+\] resumes at .*\(target end (\d+)\)" % TOPIC, log)}
            db = sqlite3.connect(path)
            mapped = {p: t + 1 for p, t in db.execute(
                "SELECT partition, MAX(tgt_first + src_last - src_first) FROM ranges"
                " WHERE topic = ? GROUP BY partition", (TOPIC,))}
            db.close()
            out.append(sum(ends[p] - mapped.get(p, 0) for p in ends) if ends else None)
        except Exception:  # noqa: BLE001 - a kill before the store existed
            out.append(None)
    return out


def mirror_errors(m):
    return [l for l in m.all_logs().splitlines()
            if "stopped at source offset" in l or "offset store:" in l or "ERROR" in l]


try:
    east = Broker(s.tmp, "east", {"num.partitions": 1}).start()
    west = Broker(s.tmp, "west", {"num.partitions": 1}).start()
    create_topic(east.bootstrap, TOPIC, PARTS)
    m = Mirror(s.tmp, "m", {"east": east.bootstrap, "west": west.bootstrap},
               [{"name": "ew", "source": "east", "target": "west", "topics": [TOPIC]}]).start()

    # ---- 1. ten kill -9 during a 200k-record stream ----
    prod = SteadyProducer(east.bootstrap, 0, N, STREAM_SECONDS)
    t0 = time.time()
    prod.start()
    time.sleep(rng.uniform(1.0, 4.0))  # the stream is flowing and being mirrored
    intervals = []
    for k in range(KILLS):
        delay = rng.uniform(0.3, 3.0)
        intervals.append(round(delay, 2))
        time.sleep(delay)
        if not m.alive():
            s.fail("the mirror is alive before kill %d" % (k + 1), m.log()[-2000:])
            break
        m.kill()
        snapshot_store(m, k)
        m.start()
    s.note("kills at intervals %s s, %d of %d records produced at the last kill"
           % (intervals, prod.sent, N))
    prod.join(STREAM_SECONDS + 90)
    s.check("the producer delivered all %d records to east" % N,
            not prod.is_alive() and prod.error is None, prod.error or "still running")
    s.note("stream produced in %.1f s" % (time.time() - t0))
    t1 = time.time()
    s.check("after %d kills the mirror catches up with east" % KILLS,
            wait_for(caught_up(east, west), 90, 0.25), m.log()[-3000:])
    s.note("caught up %.1f s after the stream ended" % (time.time() - t1))
    s.check("the mirror is still running", m.alive(), m.log()[-2000:])
    behind = store_behind_target(m)
    s.note("at each kill the store lagged the target by %s records (the restart found them "
           "in the target log)" % behind)
    s.check("some kill left acknowledged copies the store did not know (the crash mattered)",
            any(b for b in behind if b), behind)
    time.sleep(1.5)  # any duplicate still in flight would land now
    check_copy("after %d kill -9" % KILLS, east, west)
    # the running mirror refreshes its status rows every 5 s: let them see the end
    wait_for(lambda: all(r.get("REPLICATED-OFFSET") == r.get("SOURCE-END") != "-"
                         for r in status_rows(m)) and len(status_rows(m)) == PARTS, 12, 0.5)
    s.eq("a clean stop after the crashes exits 0", 0, m.stop())
    check_status("after the crashes and a clean stop", m, east, live=False)
    check_status("after the crashes and a clean stop", m, east, live=True)
    errs = mirror_errors(m)
    s.check("no partition stopped and no store error in %d runs' logs" % m.starts, not errs,
            "\n".join(errs[:5]))

    # ---- 2. the offset store deleted while the mirror is stopped ----
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(m.database + suffix):
            os.unlink(m.database + suffix)
    s.check("the store files are gone", not os.path.exists(m.database))
    before = end_offsets(west.bootstrap, TOPIC, PARTS)
    m.start()
    resumed = wait_for(lambda: m.log().count("resumes at source offset") >= PARTS, 30, 0.2)
    s.check("without its store the mirror resumes every partition", resumed, m.log()[-2000:])
    resumed_at = {int(g[0]): int(g[1]) for g in re.findall(
        r"%s \[(\d+)\] -> \S+ \[\d+\] resumes at source offset (?:beginning )?(\d+)" % TOPIC,
        m.log())}
    s.eq("it resumes each partition at east's end (rebuilt from the provenance headers)",
         before, resumed_at)
    time.sleep(3)
    s.eq("a restart without the store copies nothing twice", before,
         end_offsets(west.bootstrap, TOPIC, PARTS))
    extra = 3000
    produce(east.bootstrap, TOPIC, (record(i) for i in range(N, N + extra)))
    s.check("records produced after the store was lost arrive",
            wait_for(caught_up(east, west), 60, 0.25), m.log()[-2000:])
    time.sleep(1)
    check_copy("after the store was lost", east, west)
    s.eq("the mirror stops with 0", 0, m.stop())
    check_status("after the store was lost", m, east, live=True)

    # ---- 3. the target recreated empty: the store runs ahead of it ----
    old_west_id = cluster_id(west.bootstrap)
    s.eq("west stops", 0, west.stop())
    shutil.rmtree(west.data_dir)
    os.makedirs(west.data_dir)
    port = west.port
    west.start(port=port)
    s.note("west recreated empty on port %d (cluster id %s -> %s)"
           % (port, old_west_id, cluster_id(west.bootstrap)))
    t2 = time.time()
    m.start()
    s.check("after the target lost everything the mirror copies it all again",
            wait_for(caught_up(east, west), 120, 0.25), m.log()[-3000:])
    s.note("re-mirrored %d records in %.1f s" % (N + extra, time.time() - t2))
    s.check("the mirror logs that the target lost data", "the target lost data" in m.log(),
            m.log()[-2000:])
    time.sleep(1)
    check_copy("after the target was recreated", east, west)
    s.eq("the mirror stops with 0 at the end", 0, m.stop())
    check_status("after the target was recreated", m, east, live=True)
except Exception as e:  # noqa: BLE001
    import traceback
    traceback.print_exc(file=sys.stdout)
    s.fail("mirror crash scenario", "%s: %s" % (type(e).__name__, e))
s.finish()
