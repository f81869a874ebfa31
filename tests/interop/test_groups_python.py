#!/usr/bin/python3
"""test_groups_python.py — confluent-kafka-python (1.7, librdkafka 2.0.2)
consumer groups across broker restarts.

Asserts:
- a subscribed Consumer (enable.auto.commit=false, commit(message,
  asynchronous=False) after each record) in a new group consumes the first
  500 of 800 records exactly once and closes; AdminClient.list_groups shows
  the group Stable with one member (its client id, protocol range, an
  assignment naming the topic) while it runs and Empty after close;
- more records are produced, the broker restarts (SIGTERM, exit 0; same data
  dir and port), more records are produced, and Consumer.committed() returns
  the same offsets; a new Consumer in the group receives exactly the records
  after the committed position (the 300 not consumed plus the new ones):
  nothing repeated, nothing skipped;
- a Consumer with assign() (no subscription) commits explicit offsets with
  commit(offsets=[...], asynchronous=False) for its group; after the restart
  committed() returns them and list_groups lists the group Empty with no
  protocol type;
- after a second restart, list_groups shows every group of the suite.
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from broker import Broker, Suite  # noqa: E402

s = Suite("groups-python")
try:
    from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition  # noqa: E402
    from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402
except ImportError as e:
    s.fail("confluent_kafka imports (make deps installs python3-confluent-kafka)", e)
    s.finish()

try:
    b = Broker(s.tmp, "b1", {"num.partitions": 3, "group.initial.rebalance.delay.ms": 0}).start()
except RuntimeError as e:
    s.fail("broker starts", e)
    s.finish()

TOPIC = "py-groups"
NPART = 4
T = 20


def admin():
    return AdminClient({"bootstrap.servers": b.bootstrap, "socket.timeout.ms": 10000})


def produce(start, end):
    p = Producer({"bootstrap.servers": b.bootstrap, "acks": "all", "linger.ms": 5})
    errors = []

    def cb(err, msg):
        if err:
            errors.append(str(err))

    for i in range(start, end):
        while True:
            try:
                p.produce(TOPIC, key=b"k-%d" % i, value=b"value-%d" % i, on_delivery=cb)
                break
            except BufferError:
                p.poll(0.05)
        p.poll(0)
    left = p.flush(30)
    return not errors and left == 0, errors[:3]


def consumer(group, **extra):
    conf = {"bootstrap.servers": b.bootstrap, "group.id": group, "enable.auto.commit": False,
            "auto.offset.reset": "earliest", "session.timeout.ms": 6000,
            "heartbeat.interval.ms": 500, "fetch.wait.max.ms": 100,
            "client.id": "py-groups-client"}
    conf.update(extra)
    return Consumer(conf)


def take(c, m, seen, first, cerr):
    """Counts a polled record in seen and first and commits it (synchronously);
    errors other than partition EOF go to cerr. False when m is no record."""
    if m is None:
        return False
    if m.error():
        if m.error().code() != KafkaError._PARTITION_EOF:
            cerr.append(str(m.error()))
        return False
    k = m.key().decode()
    seen[k] = seen.get(k, 0) + 1
    first.setdefault(m.partition(), m.offset())
    try:
        c.commit(message=m, asynchronous=False)
    except Exception as e:  # noqa: BLE001
        cerr.append(str(e))
    return True


def consume(group, count, timeout=60, on_running=None):
    """Consumes and commits (synchronously, per record) exactly `count` records
    (or until timeout), then closes. on_running() is called once after the
    first record. Returns (seen {key: n}, first offset per partition, errors)."""
    c = consumer(group)
    c.subscribe([TOPIC])
    seen, first, cerr = {}, {}, []
    n = 0
    deadline = time.time() + timeout
    ran = False
    while time.time() < deadline and n < count:
        if not take(c, c.poll(0.2), seen, first, cerr):
            continue
        n += 1
        if on_running and not ran:
            on_running()
            ran = True
    c.close()
    return seen, first, cerr


def consume_rest(group, want, timeout=60, settle=2.0):
    """Consumes until `want` records arrived, then `settle` seconds more."""
    c = consumer(group)
    c.subscribe([TOPIC])
    seen, first, cerr = {}, {}, []
    n = 0
    deadline = time.time() + timeout
    settle_until = None
    while time.time() < deadline:
        if settle_until is None and n >= want:
            settle_until = time.time() + settle
        if settle_until is not None and time.time() > settle_until:
            break
        if take(c, c.poll(0.2), seen, first, cerr):
            n += 1
    c.close()
    return seen, first, cerr


def committed(group):
    c = consumer(group)
    parts = c.committed([TopicPartition(TOPIC, p) for p in range(NPART)], timeout=T)
    c.close()
    return {tp.partition: tp.offset for tp in parts}


def ends():
    c = consumer("py-watermarks")
    out = {p: c.get_watermark_offsets(TopicPartition(TOPIC, p), timeout=T)[1]
           for p in range(NPART)}
    c.close()
    return out


def groups_listed():
    a = admin()
    return {g.id: g for g in a.list_groups(timeout=T)}


def restart(label):
    rc = b.stop()
    s.eq("%s: broker exits 0 on SIGTERM" % label, 0, rc)
    t0 = time.time()
    b.start()
    s.ok("%s: broker restarted on the same data dir and port (%.1f s)" % (label, time.time() - t0))


def exactly(label, seen, keys):
    want = set("k-%d" % i for i in keys)
    missing = sorted(want - set(seen))
    extra = sorted(set(seen) - want)
    dup = sorted(k for k, n in seen.items() if n > 1)
    s.check("%s: %d records each received exactly once, nothing else" % (label, len(want)),
            not missing and not extra and not dup,
            "%d missing %s, %d unexpected %s, %d repeated %s"
            % (len(missing), missing[:5], len(extra), extra[:5], len(dup), dup[:5]))


def main():
    a = admin()  # keep the handle alive until the future resolves
    fs = a.create_topics([NewTopic(TOPIC, NPART, 1)])
    fs[TOPIC].result(timeout=T)
    del a
    s.ok("topic with %d partitions created" % NPART)
    N, FIRST, M, K = 800, 500, 200, 150
    good, errs = produce(0, N)
    s.check("produced %d records" % N, good, errs)

    G = "py-group"
    view = {}

    def snapshot():
        time.sleep(0.5)
        view.update(groups_listed())

    seen, first, cerr = consume(G, FIRST, on_running=snapshot)
    s.eq("first consumer: no consume or commit errors", [], cerr[:3])
    s.eq("first consumer processed and committed exactly %d records" % FIRST, FIRST,
         sum(seen.values()))
    s.check("first consumer: no record twice", all(n == 1 for n in seen.values()))
    gm = view.get(G)
    if gm is None:
        s.fail("list_groups shows the group while its consumer runs", sorted(view)[:10])
    else:
        s.eq("list_groups while running: Stable, protocol type consumer, protocol range, one "
             "member", ("Stable", "consumer", "range", 1),
             (gm.state, gm.protocol_type, gm.protocol, len(gm.members)))
        mem = gm.members[0] if gm.members else None
        s.check("... the member has our client id and an assignment naming the topic",
                mem is not None and mem.client_id == "py-groups-client" and
                TOPIC.encode() in (mem.assignment or b""),
                mem and (mem.client_id, mem.assignment))
    gl = groups_listed().get(G)
    s.eq("list_groups after close: Empty, no members", ("Empty", 0),
         (gl and gl.state, gl and len(gl.members)))
    before = committed(G)
    s.eq("committed offsets add up to the %d records processed" % FIRST, FIRST,
         sum(v for v in before.values() if v >= 0))

    # simple (assign) consumer commits for its own group
    GA = "py-assigned"
    ca = consumer(GA)
    ca.assign([TopicPartition(TOPIC, p) for p in range(NPART)])
    explicit = [TopicPartition(TOPIC, p, 10 * p + 3) for p in range(NPART)]
    try:
        res = ca.commit(offsets=explicit, asynchronous=False)
        s.eq("assigned consumer: commit(offsets=..., asynchronous=False) succeeds for every "
             "partition", [None] * NPART, [tp.error for tp in res])
    except Exception as e:  # noqa: BLE001
        s.fail("assigned consumer: commit(offsets=...) succeeds", e)
    ca.close()

    good, errs = produce(N, N + M)
    s.check("produced %d more before the restart" % M, good, errs)
    restart("restart 1")
    good, errs = produce(N + M, N + M + K)
    s.check("produced %d more after the restart" % K, good, errs)
    s.eq("Consumer.committed() after the restart returns the same offsets", before,
         committed(G))
    seen2, first2, cerr2 = consume_rest(G, N + M + K - FIRST)
    s.eq("resumed consumer: no consume or commit errors", [], cerr2[:3])
    exactly("resumed consumer gets everything after the committed position", seen2,
            [i for i in range(N + M + K) if "k-%d" % i not in seen])
    s.eq("each partition resumed exactly at its committed offset",
         {p: o for p, o in before.items() if o >= 0},
         {p: o for p, o in first2.items() if p in before and before[p] >= 0})
    s.eq("committed offsets now equal the end offsets", ends(), committed(G))

    c = consumer(GA)
    parts = c.committed([TopicPartition(TOPIC, p) for p in range(NPART)], timeout=T)
    c.close()
    s.eq("assigned consumer's commits are back after the restart",
         {p: 10 * p + 3 for p in range(NPART)}, {tp.partition: tp.offset for tp in parts})
    ga = groups_listed().get(GA)
    s.eq("list_groups shows the commit-only group Empty, no protocol type, no members",
         ("Empty", "", 0), (ga and ga.state, ga and ga.protocol_type, ga and len(ga.members)))

    restart("restart 2")
    listed = groups_listed()
    s.check("after a second restart list_groups still shows both groups",
            G in listed and GA in listed, sorted(listed))
    s.eq("... and the consumer group Empty with protocol type consumer", ("Empty", "consumer"),
         (listed.get(G) and listed[G].state, listed.get(G) and listed[G].protocol_type))
    s.eq("... and its committed offsets equal the end offsets", ends(), committed(G))


s.run("groups python suite", main)
s.check("broker still running after the clients", b.alive())
rc = b.stop()
s.eq("broker exits 0 on SIGTERM at the end", 0, rc)
s.finish()
