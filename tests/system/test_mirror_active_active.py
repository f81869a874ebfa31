#!/usr/bin/python3
"""test_mirror_active_active.py — identity-named active/active mirroring
between strait-broker clusters, and failover translation there.

1. Two clusters, east and west, one strait-mirror process with the flows
   east->west and west->east (identity naming). While it runs, producers on
   both sides write N keyed records each, concurrently, to the same topic
   name (4 partitions; values b"east-<i>" / b"west-<i>"; in chunks of 500
   with short pauses, so copies and local writes interleave in both logs,
   which is checked). Afterwards each
   side holds the union, every record exactly once, in the partition it was
   produced to, the records of each origin in their original order (per
   partition, the same sequence as on the origin cluster); strait.origin
   names the origin cluster's id (absent on local records) and
   strait.source points at the very record the hop read. The mirror keeps
   running and nothing more appears (no loop: end offsets stay put).
2. A ring of three clusters A->B->C->A (one process, three identity flows),
   producers on all three: each cluster ends with the union exactly once,
   origin kept across two hops, strait.source naming the previous cluster,
   and the ring stays still.
3. Failover translation on case 1: consumer groups on east consume part of
   the topic (and commit); the mirror checkpoints. `failover --dry-run`
   (source live, then with east stopped: from the checkpoint) gives, per
   partition, a west offset from which the group reads every record it has
   not read on east (a superset of east's records after the committed
   offset); the records it reads twice are counted and printed next to the
   least any never-skipping position could give (the README documents the
   bound), and with the mirror caught up both ways they are equal (the plan
   starts at the first record on west the group has not read); a group that
   has read everything re-reads nothing. The offsets the mirror synced into the group on
   west equal the plan, and the reverse flow does not move the group's
   offsets on east.
"""
import os
import sys
import threading
import time
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "interop", "lib"))
from broker import Broker, Suite, wait_for  # noqa: E402
from mirror import (Mirror, committed_offsets, create_topic, end_offsets,  # noqa: E402
                    ensure_mirror_binary, failover_plan, produce, read_partitions)

TOPIC, RING_TOPIC, PARTS = "events", "ring", 4
N_PAIR, N_RING = 20_000, 8_000
label_topic = {"pair": TOPIC, "ring": RING_TOPIC}

s = Suite("mirror-active-active")
err = ensure_mirror_binary()
if err:
    s.fail("strait-mirror builds", err)
    s.finish()


def cluster_id(b):
    from confluent_kafka.admin import AdminClient
    return AdminClient({"bootstrap.servers": b.bootstrap}).list_topics(timeout=10).cluster_id


def records(origin, n):
    """Keyed records; librdkafka's partitioner spreads the keys over the partitions."""
    for i in range(n):
        yield {"key": b"%s-key-%d" % (origin.encode(), i % 211), "value": b"%s-%d" % (origin.encode(), i)}


def produce_concurrently(targets, topic, n, chunk=500, pause=0.03):
    """One idempotent producer thread per (name, broker), all at once, each
    writing n records in chunks with short pauses (so the mirror's copies
    interleave with the local writes). Returns the errors."""
    from confluent_kafka import Producer
    errors = []

    def run(name, b):
        try:
            p = Producer({"bootstrap.servers": b.bootstrap, "enable.idempotence": True,
                          "linger.ms": 5})
            failed = []
            cb = (lambda err, _m: failed.append(err) if err is not None else None)
            recs = list(records(name, n))
            for start in range(0, n, chunk):
                for r in recs[start:start + chunk]:
                    p.produce(topic, key=r["key"], value=r["value"], on_delivery=cb)
                p.flush(30)
                time.sleep(pause)
            if p.flush(60) or failed:
                errors.append("%s: %d failed deliveries %s" % (name, len(failed), failed[:3]))
        except Exception as e:  # noqa: BLE001 - reported by the caller
            errors.append("%s: %s" % (name, e))
    threads = [threading.Thread(target=run, args=(name, b)) for name, b in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return errors + ["producer thread still running"] * sum(t.is_alive() for t in threads)


def interleaving(recs):
    """How many runs of same-origin records a partition holds."""
    return sum(1 for i, r in enumerate(recs) if i == 0 or origin_of(r[2]) != origin_of(recs[i - 1][2]))


def total(bootstrap, topic):
    try:
        return sum(end_offsets(bootstrap, topic, PARTS).values())
    except Exception:  # noqa: BLE001 - not there yet
        return -1


def origin_of(value):
    return value.split(b"-", 1)[0].decode()


def check_union(label, data, ids, n, hop_source):
    """data: {name: {partition: [records]}} read from every cluster; ids:
    {name: cluster id}; hop_source: {target name: name of the cluster its
    flow reads}. Checks the union / exactly once / order / provenance."""
    names = list(data)
    want = Counter(b"%s-%d" % (o.encode(), i) for o in names for i in range(n))
    for c in names:
        got = Counter(r[2] for p in range(PARTS) for r in data[c][p])
        missing, extra = want - got, got - want
        dups = [v for v, k in got.items() if k > 1]
        s.check("%s: %s holds every record of every cluster exactly once (%d)" % (label, c, sum(want.values())),
                not missing and not extra,
                "%d records, %d missing (e.g. %s), %d duplicated (e.g. %s), %d unexpected"
                % (sum(got.values()), sum(missing.values()), sorted(missing)[:5], len(dups),
                   sorted(dups)[:5], sum((extra - Counter({v: 1 for v in dups})).values())))
    # per origin and partition: the origin's local sequence, produced in order
    local = {o: {p: [(r[1], r[2]) for r in data[o][p] if origin_of(r[2]) == o] for p in range(PARTS)}
             for o in names}
    in_order = all([int(v.split(b"-")[1]) for _, v in local[o][p]] ==
                   sorted(int(v.split(b"-")[1]) for _, v in local[o][p])
                   for o in names for p in range(PARTS))
    s.check("%s: each cluster's own records are in produce order" % label, in_order)
    for c in names:
        same = {(o, p): [(r[1], r[2]) for r in data[c][p] if origin_of(r[2]) == o] == local[o][p]
                for o in names if o != c for p in range(PARTS)}
        bad = [k for k, v in same.items() if not v]
        s.check("%s: on %s every other cluster's records sit in their partition, in their order, "
                "keys kept" % (label, c), not bad, "differ: %s" % bad[:6])
    by_id = {ids[c]: c for c in names}
    for c in names:
        origin_bad, source_bad = [], []
        for p in range(PARTS):
            for r in data[c][p]:
                o = origin_of(r[2])
                h = r[3]
                if o == c:
                    if "strait.origin" in h or "strait.source" in h:
                        origin_bad.append(("local record with provenance", p, r[0]))
                    continue
                if h.get("strait.origin") != ids[o].encode():
                    origin_bad.append((r[2], h.get("strait.origin")))
                src = h.get("strait.source", b"").decode(errors="replace").split(":")
                try:
                    sc, st, sp, so = src[0], src[1], int(src[2]), int(src[3])
                    ok = (by_id.get(sc) == hop_source[c] and st == label_topic[label] and sp == p and
                          data[hop_source[c]][p][so][2] == r[2] and data[hop_source[c]][p][so][0] == so)
                except (ValueError, IndexError, KeyError):
                    ok = False
                if not ok:
                    source_bad.append((p, r[0], h.get("strait.source")))
        s.check("%s: on %s strait.origin names the origin cluster's id (none on local records)"
                % (label, c), not origin_bad, origin_bad[:4])
        s.check("%s: on %s strait.source names the record the hop read on %s"
                % (label, c, hop_source[c]), not source_bad, source_bad[:4])


def check_still(label, mirror, brokers, topic, seconds=5):
    """The mirror keeps running and no cluster's end offsets move."""
    before = {c: end_offsets(b.bootstrap, topic, PARTS) for c, b in brokers.items()}
    time.sleep(seconds)
    after = {c: end_offsets(b.bootstrap, topic, PARTS) for c, b in brokers.items()}
    s.check("%s: the mirror is still running" % label, mirror.alive(), mirror.log()[-2000:])
    s.eq("%s: nothing more appears while the mirror keeps running (no loop)" % label, before, after)


def consume_part(bootstrap, group, upto):
    """A consumer group reads partition p up to offset upto[p] (exclusive)
    on bootstrap, commits upto, and closes. Returns the values it read."""
    from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
                  "enable.partition.eof": True})
    seen = {p: [] for p in range(PARTS)}
    try:
        c.assign([TopicPartition(TOPIC, p, OFFSET_BEGINNING) for p in range(PARTS) if upto[p] > 0])
        deadline = time.time() + 60
        while any(len(seen[p]) < upto[p] for p in range(PARTS)) and time.time() < deadline:
            for m in c.consume(5000, 0.5):
                if not m.error() and m.offset() < upto[m.partition()]:
                    seen[m.partition()].append(m.value())
        c.commit(offsets=[TopicPartition(TOPIC, p, upto[p]) for p in range(PARTS)],
                 asynchronous=False)
    finally:
        c.close()
    return seen


def check_failover(m, east, west, groups, upto):
    """Dry-run failover of groups from east to west; checks that reading west
    from the translated offsets misses nothing the group has not read on
    east. Returns {group: {partition: target offset}}."""
    rc, rows, out = failover_plan(m, "east", "west", list(groups), ["--dry-run"])
    s.eq("failover --dry-run exits 0", 0, rc) or s.note(out[-2000:])
    plans = {}
    for g in groups:
        mine = {r["PARTITION"]: r for r in rows if r["GROUP"] == g and r["TOPIC"] == TOPIC}
        s.eq("failover plan of %s: one row per partition, all translated" % g,
             [(p, True) for p in range(PARTS)],
             [(p, mine[p]["TARGET-OFFSET"] is not None) for p in sorted(mine)])
        s.eq("failover plan of %s: the source offsets are the group's commits" % g,
             {p: upto[g][p] for p in range(PARTS)},
             {p: mine[p]["SOURCE-OFFSET"] for p in mine})
        plan = {p: mine[p]["TARGET-OFFSET"] for p in mine}
        plans[g] = plan
        missing, repeats, least = {}, 0, 0
        for p in range(PARTS):
            t = plan.get(p)
            if t is None:
                missing[p] = "no translation"
                continue
            unread = [r[2] for r in east[p][upto[g][p]:]]
            from_west = [r[2] for r in west[p] if r[0] >= t]
            lost = set(unread) - set(from_west)
            if lost:
                missing[p] = sorted(lost)[:5]
            repeats += len(from_west) - len(unread)
            # the least any position that skips nothing could give: start at
            # the first unread record on west
            first = min((r[0] for r in west[p] if r[2] in set(unread)), default=len(west[p]))
            least += sum(1 for r in west[p] if r[0] >= first) - len(unread)
            if set(from_west) - set(unread) - set(r[2] for r in east[p][:upto[g][p]]):
                missing[p] = "reads records east does not hold"
        s.check("failover of %s: reading west from the translated offsets yields every record it "
                "had not read on east" % g, not missing, "%s\n%s" % (missing, out[-1500:]))
        read = sum(upto[g].values())
        s.note("failover of %s (had read %d of %d records on east): %d records read again on west "
               "(the least possible: %d)" % (g, read, sum(len(east[p]) for p in range(PARTS)),
                                             repeats, least))
        s.eq("failover of %s: with the mirror caught up both ways the position is the latest that "
             "skips nothing (repeats only where the two logs order records differently)" % g,
             least, repeats)
        if g == "g-head":
            s.eq("failover of %s (read everything, mirror caught up): nothing is read again" % g,
                 0, repeats)
    return plans


try:
    east_b = Broker(s.tmp, "east", {"num.partitions": 1}).start()
    west_b = Broker(s.tmp, "west", {"num.partitions": 1}).start()
    pair = {"east": east_b, "west": west_b}
    for b in pair.values():
        create_topic(b.bootstrap, TOPIC, PARTS)
    m = Mirror(s.tmp, "m", {c: b.bootstrap for c, b in pair.items()}, [
        {"source": "east", "target": "west", "topics": [TOPIC]},
        {"source": "west", "target": "east", "topics": [TOPIC]}]).start()
    time.sleep(1.5)
    s.check("the mirror runs with flows east->west and west->east", m.alive(), m.log()[-2000:])

    # ---- 1. identity-named active/active ----
    t0 = time.time()
    errors = produce_concurrently(list(pair.items()), TOPIC, N_PAIR)
    s.eq("producers on east and west write %d records each, concurrently" % N_PAIR, [], errors)
    s.note("produced 2 x %d records in %.1f s" % (N_PAIR, time.time() - t0))
    caught = wait_for(lambda: all(total(b.bootstrap, TOPIC) >= 2 * N_PAIR for b in pair.values()), 120, 0.5)
    s.check("both sides reach %d records" % (2 * N_PAIR), caught,
            "%s\n%s" % ({c: total(b.bootstrap, TOPIC) for c, b in pair.items()}, m.log()[-3000:]))
    s.note("mirrored both ways %.1f s after the first produce" % (time.time() - t0))
    check_still("pair", m, pair, TOPIC)
    data = {c: read_partitions(b.bootstrap, TOPIC, PARTS) for c, b in pair.items()}
    ids = {c: cluster_id(b) for c, b in pair.items()}
    check_union("pair", data, ids, N_PAIR, {"west": "east", "east": "west"})

    # ---- 3. failover translation in active/active ----
    east, west = data["east"], data["west"]
    s.note("origin runs per partition: east %s, west %s"
           % ([interleaving(east[p]) for p in range(PARTS)], [interleaving(west[p]) for p in range(PARTS)]))
    s.check("the two sides' writes interleave in the logs (the translation has work to do)",
            all(interleaving(east[p]) > 4 and interleaving(west[p]) > 4 for p in range(PARTS)))
    ends = {p: len(east[p]) for p in range(PARTS)}
    upto = {"g-part": {p: ends[p] * (p + 1) // 5 for p in range(PARTS)},
            "g-early": {p: 7 + p for p in range(PARTS)},
            "g-head": dict(ends)}
    for g, u in upto.items():
        seen = consume_part(east_b.bootstrap, g, u)
        s.eq("group %s consumed its share on east" % g,
             {p: [r[2] for r in east[p][:u[p]]] for p in range(PARTS)}, seen)
    # the mirror's checkpoint commits the translation into the (absent) groups on west
    synced = wait_for(lambda: all(min(committed_offsets(west_b.bootstrap, g, TOPIC, PARTS).values()) >= 0
                                  for g in upto), 30, 0.5)
    s.check("the mirror checkpoints the groups into west", synced, m.log()[-2000:])
    time.sleep(3)  # a few more checkpoint passes, in both directions
    s.eq("the reverse flow leaves the groups' offsets on east as they were committed",
         upto, {g: committed_offsets(east_b.bootstrap, g, TOPIC, PARTS) for g in upto})
    plans = check_failover(m, east, west, list(upto), upto)
    s.eq("the offsets synced into west are the failover plan's",
         plans, {g: committed_offsets(west_b.bootstrap, g, TOPIC, PARTS) for g in upto})
    s.eq("nothing moved on either side during the failover checks",
         {c: {p: len(data[c][p]) for p in range(PARTS)} for c in pair},
         {c: end_offsets(b.bootstrap, TOPIC, PARTS) for c, b in pair.items()})

    # east down: the plan comes from the mirror's checkpoints, and is the same
    s.eq("the mirror stops with status 0", 0, m.stop())
    east_b.stop()
    rc, rows, out = failover_plan(m, "east", "west", list(upto), ["--dry-run", "--timeout-ms", "2000"])
    s.eq("failover --dry-run with east down exits 0", 0, rc) or s.note(out[-2000:])
    s.eq("with east down every row comes from the checkpoint", {"checkpoint"}, {r["ORIGIN"] for r in rows})
    s.eq("with east down the checkpointed plan equals the live one", plans,
         {g: {r["PARTITION"]: r["TARGET-OFFSET"] for r in rows if r["GROUP"] == g} for g in upto})
    west_b.stop()

    # ---- 2. a ring of three clusters ----
    ring = {c: Broker(s.tmp, c, {"num.partitions": 1}).start() for c in ("a", "b", "c")}
    for b in ring.values():
        create_topic(b.bootstrap, RING_TOPIC, PARTS)
    mr = Mirror(s.tmp, "ring", {c: b.bootstrap for c, b in ring.items()}, [
        {"source": "a", "target": "b", "topics": [RING_TOPIC]},
        {"source": "b", "target": "c", "topics": [RING_TOPIC]},
        {"source": "c", "target": "a", "topics": [RING_TOPIC]}]).start()
    time.sleep(1.5)
    s.check("the ring mirror runs with flows a->b, b->c, c->a", mr.alive(), mr.log()[-2000:])
    t0 = time.time()
    errors = produce_concurrently(list(ring.items()), RING_TOPIC, N_RING)
    s.eq("producers on a, b and c write %d records each, concurrently" % N_RING, [], errors)
    caught = wait_for(lambda: all(total(b.bootstrap, RING_TOPIC) >= 3 * N_RING for b in ring.values()),
                      120, 0.5)
    s.check("every ring cluster reaches %d records" % (3 * N_RING), caught,
            "%s\n%s" % ({c: total(b.bootstrap, RING_TOPIC) for c, b in ring.items()}, mr.log()[-3000:]))
    s.note("ring caught up %.1f s after the first produce" % (time.time() - t0))
    check_still("ring", mr, ring, RING_TOPIC)
    data = {c: read_partitions(b.bootstrap, RING_TOPIC, PARTS) for c, b in ring.items()}
    ids = {c: cluster_id(b) for c, b in ring.items()}
    check_union("ring", data, ids, N_RING, {"b": "a", "c": "b", "a": "c"})
    s.eq("the ring mirror stops with status 0", 0, mr.stop())
except Exception as e:  # noqa: BLE001
    import traceback
    traceback.print_exc(file=sys.stdout)
    s.fail("active/active scenario", "%s: %s" % (type(e).__name__, e))
s.finish()
