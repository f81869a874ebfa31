"""tests/interop/lib/kgroups.py — consumer-group APIs on top of kwire.py.

A hand-written client for the classic group protocol, used by the
test_groups_* suites to drive the group coordinator directly (bad input,
exact error codes, many groups). Like kwire.py it is independent of the
broker's generated codec and only uses non-flexible versions (request header
v1, response header v0):

    FindCoordinator v2, JoinGroup v5, SyncGroup v3, Heartbeat v3,
    LeaveGroup v3, OffsetCommit v7 (also v2), OffsetFetch v5 (also v1),
    DescribeGroups v4, ListGroups v2, DeleteGroups v1, OffsetDelete v0;
    form_group() forms a Stable group of n members on their own connections.

    from kgroups import GroupConn
    c = GroupConn("127.0.0.1", port)
    j = c.join_group("g", member_id="", protocols=[("range", subscription(["t"]))])
"""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from kwire import (Conn, Reader, array, bytes_, i8, i16, i32, i64,  # noqa: E402
                   string)

# Kafka error codes of the group APIs
NONE = 0
UNKNOWN_TOPIC_OR_PARTITION = 3
OFFSET_METADATA_TOO_LARGE = 12
COORDINATOR_LOAD_IN_PROGRESS = 14
COORDINATOR_NOT_AVAILABLE = 15
NOT_COORDINATOR = 16
ILLEGAL_GENERATION = 22
INCONSISTENT_GROUP_PROTOCOL = 23
INVALID_GROUP_ID = 24
UNKNOWN_MEMBER_ID = 25
INVALID_SESSION_TIMEOUT = 26
REBALANCE_IN_PROGRESS = 27
GROUP_ID_NOT_FOUND = 69
NON_EMPTY_GROUP = 68
MEMBER_ID_REQUIRED = 79
FENCED_INSTANCE_ID = 82

ERROR_NAMES = {v: k for k, v in dict(globals()).items() if k.isupper() and isinstance(v, int)}


def ename(code):
    return "%s(%d)" % (ERROR_NAMES.get(code, "?"), code)


# ---- consumer protocol payloads ----
def subscription(topics, user_data=b""):
    """ConsumerProtocolSubscription v0."""
    return i16(0) + array(topics, string) + bytes_(user_data)


def assignment(parts, user_data=b""):
    """ConsumerProtocolAssignment v0; parts: {topic: [partition, ...]}."""
    return (i16(0) + array(sorted(parts.items()),
                           lambda tp: string(tp[0]) + array(tp[1], i32))
            + bytes_(user_data))


def parse_assignment(data):
    """Returns {topic: [partitions]} from ConsumerProtocolAssignment bytes."""
    if not data:
        return {}
    r = Reader(data)
    r.i16()
    out = {}
    for t, ps in r.array(lambda r: (r.string(), r.array(Reader.i32))) or []:
        out[t] = ps
    return out


class GroupConn(Conn):
    """A connection to a broker with the group APIs."""

    def find_coordinator(self, key, key_type=0):
        r = self.request(10, 2, string(key) + i8(key_type))
        r.i32()
        return dict(error=r.i16(), message=r.string(), node=r.i32(), host=r.string(),
                    port=r.i32())

    def join_group(self, group, member_id="", protocols=(("range", None),), session_ms=10000,
                   rebalance_ms=10000, instance_id=None, protocol_type="consumer",
                   topics=("t",)):
        protos = [(n, m if m is not None else subscription(list(topics))) for n, m in protocols]
        body = (string(group) + i32(session_ms) + i32(rebalance_ms) + string(member_id)
                + string(instance_id) + string(protocol_type)
                + array(protos, lambda p: string(p[0]) + bytes_(p[1])))
        r = self.request(11, 5, body)
        r.i32()
        d = dict(error=r.i16(), generation=r.i32(), protocol=r.string(), leader=r.string(),
                 member_id=r.string())
        d["members"] = r.array(lambda r: (r.string(), r.string(), r.bytes()))
        return d

    def join_group_full(self, group, **kw):
        """JoinGroup; repeats once with the member id on MEMBER_ID_REQUIRED."""
        j = self.join_group(group, **kw)
        if j["error"] == MEMBER_ID_REQUIRED:
            kw["member_id"] = j["member_id"]
            j = self.join_group(group, **kw)
        return j

    def sync_group(self, group, generation, member_id, assignments=(), instance_id=None):
        """assignments: [(member_id, assignment_bytes)]. Returns (error, assignment bytes)."""
        body = (string(group) + i32(generation) + string(member_id) + string(instance_id)
                + array(list(assignments), lambda a: string(a[0]) + bytes_(a[1])))
        r = self.request(14, 3, body)
        r.i32()
        return r.i16(), r.bytes()

    def heartbeat(self, group, generation, member_id, instance_id=None):
        body = string(group) + i32(generation) + string(member_id) + string(instance_id)
        r = self.request(12, 3, body)
        r.i32()
        return r.i16()

    def leave_group(self, group, members):
        """members: [(member_id, instance_id)]. Returns (error, [(mid, iid, error)])."""
        body = string(group) + array(members, lambda m: string(m[0]) + string(m[1]))
        r = self.request(13, 3, body)
        r.i32()
        err = r.i16()
        return err, r.array(lambda r: (r.string(), r.string(), r.i16()))

    def offset_commit(self, group, offsets, generation=-1, member_id="", instance_id=None,
                      version=7):
        """offsets: {topic: [(partition, offset, metadata)]} (metadata may be None).
        Returns {topic: {partition: error}}."""
        def part(p):
            idx, off, meta = p
            b = i32(idx) + i64(off)
            if version >= 6:
                b += i32(-1)  # committed leader epoch
            return b + string(meta)

        body = string(group)
        if version >= 1:
            body += i32(generation) + string(member_id)
        if version >= 7:
            body += string(instance_id)
        if 2 <= version <= 4:
            body += i64(-1)  # retention time
        body += array(sorted(offsets.items()),
                      lambda t: string(t[0]) + array(list(t[1]), part))
        r = self.request(8, version, body)
        if version >= 3:
            r.i32()
        res = r.array(lambda r: (r.string(), r.array(lambda r: (r.i32(), r.i16()))))
        return {t: dict(ps) for t, ps in res}

    def offset_fetch(self, group, topics=None, version=5):
        """topics: {topic: [partitions]} or None (all). Returns
        (error, {topic: {partition: (offset, metadata, error)}})."""
        body = string(group) + array(None if topics is None else sorted(topics.items()),
                                     lambda t: string(t[0]) + array(list(t[1]), i32))
        r = self.request(9, version, body)
        if version >= 3:
            r.i32()

        def part(r):
            idx = r.i32()
            off = r.i64()
            if version >= 5:
                r.i32()
            meta = r.string()
            err = r.i16()
            return idx, (off, meta, err)

        res = r.array(lambda r: (r.string(), r.array(part)))
        err = r.i16() if version >= 2 else NONE
        return err, {t: dict(ps) for t, ps in res}

    def describe_groups(self, groups):
        """Returns [dict(error, group, state, protocol_type, protocol, members)] where
        members are dicts (member_id, instance_id, client_id, host, metadata, assignment)."""
        body = array(groups, string) + i8(0)
        r = self.request(15, 4, body)
        r.i32()

        def member(r):
            return dict(member_id=r.string(), instance_id=r.string(), client_id=r.string(),
                        host=r.string(), metadata=r.bytes(), assignment=r.bytes())

        def group(r):
            d = dict(error=r.i16(), group=r.string(), state=r.string(),
                     protocol_type=r.string(), protocol=r.string())
            d["members"] = r.array(member)
            d["authorized_operations"] = r.i32()
            return d

        return r.array(group)

    def list_groups(self):
        """Returns (error, {group: protocol_type})."""
        r = self.request(16, 2, b"")
        r.i32()
        err = r.i16()
        return err, dict(r.array(lambda r: (r.string(), r.string())) or [])

    def delete_groups(self, groups):
        r = self.request(42, 1, array(groups, string))
        r.i32()
        return dict(r.array(lambda r: (r.string(), r.i16())))

    def offset_delete(self, group, topics):
        """topics: {topic: [partitions]}. Returns (error, {topic: {partition: error}})."""
        body = string(group) + array(sorted(topics.items()),
                                     lambda t: string(t[0]) + array(list(t[1]), i32))
        r = self.request(47, 0, body)
        err = r.i16()
        r.i32()
        res = r.array(lambda r: (r.string(), r.array(lambda r: (r.i32(), r.i16()))))
        return err, {t: dict(ps) for t, ps in res}


def form_group(connect, group, n, topic, partitions, session_ms=30000, rebalance_ms=30000,
               instance_ids=None):
    """Forms a Stable group of n members on their own connections (connect()
    makes one): the first joins alone and syncs, the others join together
    while the first rejoins, the first (the leader) hands out `partitions` of
    `topic` round-robin. Returns (generation, [(conn, member_id, instance_id,
    [partitions])]) with the leader first; raises RuntimeError on any error."""
    insts = list(instance_ids or [None] * n)
    conns = [connect() for _ in range(n)]
    j1 = conns[0].join_group_full(group, topics=[topic], session_ms=session_ms,
                                  rebalance_ms=rebalance_ms, instance_id=insts[0])
    if j1["error"]:
        raise RuntimeError("first join: %s" % ename(j1["error"]))
    m1 = j1["member_id"]
    e, _ = conns[0].sync_group(group, j1["generation"], m1,
                               [(m1, assignment({topic: list(partitions)}))],
                               instance_id=insts[0])
    if e:
        raise RuntimeError("first sync: %s" % ename(e))
    if n == 1:
        return j1["generation"], [(conns[0], m1, insts[0], list(partitions))]
    joins = {}

    def join(k):
        joins[k] = conns[k].join_group_full(group, topics=[topic], session_ms=session_ms,
                                            rebalance_ms=rebalance_ms, instance_id=insts[k])

    threads = [threading.Thread(target=join, args=(k,)) for k in range(1, n)]
    for t in threads:
        t.start()
    time.sleep(0.3)
    joins[0] = conns[0].join_group(group, member_id=m1, topics=[topic], session_ms=session_ms,
                                   rebalance_ms=rebalance_ms, instance_id=insts[0])
    for t in threads:
        t.join(rebalance_ms / 1000.0 + 10)
    if any(k not in joins or joins[k]["error"] for k in range(n)):
        raise RuntimeError("rejoin: %s" % {k: joins.get(k) for k in range(n)})
    gen = joins[0]["generation"]
    if joins[0]["leader"] != m1 or len(joins[0]["members"] or []) != n:
        raise RuntimeError("leader's JoinGroup response: %s" % joins[0])
    mids = [joins[k]["member_id"] for k in range(n)]
    plan = {k: [p for i, p in enumerate(partitions) if i % n == k] for k in range(n)}
    syncs = {}

    def sync(k):
        syncs[k] = conns[k].sync_group(group, gen, mids[k], [], instance_id=insts[k])

    threads = [threading.Thread(target=sync, args=(k,)) for k in range(1, n)]
    for t in threads:
        t.start()
    syncs[0] = conns[0].sync_group(group, gen, m1,
                                   [(mids[k], assignment({topic: plan[k]})) for k in range(n)],
                                   instance_id=insts[0])
    for t in threads:
        t.join(20)
    for k in range(n):
        e, a = syncs.get(k, (-99, b""))
        if e or parse_assignment(a).get(topic, []) != plan[k]:
            raise RuntimeError("sync of member %d: %s %s" % (k, ename(e), parse_assignment(a)))
    return gen, [(conns[k], mids[k], insts[k], plan[k]) for k in range(n)]
