#!/usr/bin/python3
"""test_groups_protocol.py — the group coordinator's error handling on the
wire (raw protocol through lib/kgroups.py), checked against what Apache
Kafka's GroupCoordinator / OffsetMetadataManager / KafkaApis return.

A Stable one-member group "g1" (topic "gt", 3 partitions, committed offsets
with metadata) is the reference: after every bad request the suite checks the
group is unaffected (DescribeGroups state, protocol and members with their
assignments, committed offsets and metadata through OffsetFetch, and the
member's Heartbeat still answering NONE).

Asserts:
- Heartbeat / SyncGroup for an unknown group or an unknown member:
  UNKNOWN_MEMBER_ID, and an unknown group is not created;
- wrong generation in Heartbeat, SyncGroup, OffsetCommit: ILLEGAL_GENERATION;
  OffsetCommit from an unknown member: UNKNOWN_MEMBER_ID; a simple commit
  (generation -1, no member) to a group with members: UNKNOWN_MEMBER_ID; a
  commit with a generation to a group that does not exist: ILLEGAL_GENERATION
  and no group is created;
- OffsetCommit for a partition that does not exist (beyond the partition count,
  unknown topic): UNKNOWN_TOPIC_OR_PARTITION for those, the valid partitions
  of the same request are committed;
- metadata of 4097 bytes: OFFSET_METADATA_TOO_LARGE (4096 is accepted, as
  offset.metadata.max.bytes=4096), other partitions of the request committed;
- empty group id in JoinGroup, SyncGroup, Heartbeat, LeaveGroup:
  INVALID_GROUP_ID;
- JoinGroup with a session timeout outside group.min/max.session.timeout.ms:
  INVALID_SESSION_TIMEOUT; with a protocol type or protocols the group does
  not support: INCONSISTENT_GROUP_PROTOCOL; JoinGroup v4+ without a member id:
  MEMBER_ID_REQUIRED with a member id to use;
- static membership: a second JoinGroup with the same group.instance.id fences
  the old member id (FENCED_INSTANCE_ID on its Heartbeat, SyncGroup and
  OffsetCommit) without a rebalance, and the new member id gets the old
  assignment;
- LeaveGroup v3 of an unknown member or group: per-member UNKNOWN_MEMBER_ID;
- DeleteGroups of a group with members: NON_EMPTY_GROUP; of an unknown group:
  GROUP_ID_NOT_FOUND; OffsetFetch of an unknown group: offset -1 and no error;
- OffsetFetch of all topics (null topic list) names each topic once with all
  its partitions, as Kafka does;
- a second member joining makes the first member's Heartbeat answer
  REBALANCE_IN_PROGRESS, and the group completes the rebalance when it
  rejoins;
- truncated group requests end the connection without harming the broker or
  the group;
- OffsetDelete on a group subscribed to the topic: GROUP_SUBSCRIBED_TO_TOPIC;
  on an unknown group: GROUP_ID_NOT_FOUND;
- OffsetCommit between JoinGroup and the leader's SyncGroup
  (CompletingRebalance): REBALANCE_IN_PROGRESS, accepted once Stable;
- a member that stops heartbeating is removed after its session timeout
  (6 s) and the other member rejoins alone into the next generation;
- a member that heartbeats but does not rejoin a rebalance is removed after
  the rebalance timeout, the rebalance completing with the others;
- group.max.size (second broker, 1): a second member gets
  GROUP_MAX_SIZE_REACHED, the group is unaffected.

Recorded, not asserted: the empty group id in OffsetCommit / OffsetFetch (Apache
Kafka accepts it "for backwards compatibility").
"""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from broker import Broker, Suite  # noqa: E402
from kgroups import (FENCED_INSTANCE_ID, GROUP_ID_NOT_FOUND, ILLEGAL_GENERATION,  # noqa: E402
                     INCONSISTENT_GROUP_PROTOCOL, INVALID_GROUP_ID, INVALID_SESSION_TIMEOUT,
                     MEMBER_ID_REQUIRED, NON_EMPTY_GROUP, NONE, OFFSET_METADATA_TOO_LARGE,
                     REBALANCE_IN_PROGRESS, UNKNOWN_MEMBER_ID, UNKNOWN_TOPIC_OR_PARTITION,
                     GroupConn, assignment, ename, form_group, parse_assignment)
from kwire import i16, i32, string  # noqa: E402

s = Suite("groups-protocol")
try:
    b = Broker(s.tmp, "b1", {"num.partitions": 3, "group.initial.rebalance.delay.ms": 0,
                             "group.min.session.timeout.ms": 6000,
                             "group.max.session.timeout.ms": 60000}).start()
except RuntimeError as e:
    s.fail("broker starts", e)
    s.finish()


def conn():
    return GroupConn("127.0.0.1", b.port, client_id="groups-protocol")


c = conn()
TOPIC = "gt"
err = c.create_topics([(TOPIC, 3, 1, {})])[TOPIC][0]
s.eq("topic gt created", 0, err)

# ---------------------------------------------------------------- reference group
G = "g1"
j = c.join_group(G, topics=[TOPIC], session_ms=30000, rebalance_ms=30000)
s.eq("JoinGroup v5 without a member id: MEMBER_ID_REQUIRED", ename(MEMBER_ID_REQUIRED),
     ename(j["error"]))
s.check("MEMBER_ID_REQUIRED carries a member id to rejoin with", bool(j["member_id"]), j)
j = c.join_group(G, member_id=j["member_id"], topics=[TOPIC], session_ms=30000,
                 rebalance_ms=30000)
s.eq("JoinGroup with that member id: NONE, generation 1, range, leader is the member",
     (NONE, 1, "range", j["member_id"]), (j["error"], j["generation"], j["protocol"], j["leader"]))
GEN, MID = j["generation"], j["member_id"]
ASSIGN = assignment({TOPIC: [0, 1, 2]})
e, a = c.sync_group(G, GEN, MID, [(MID, ASSIGN)])
s.eq("SyncGroup by the leader returns its assignment", (NONE, {TOPIC: [0, 1, 2]}),
     (e, parse_assignment(a)))
OFFSETS = {TOPIC: [(0, 10, "meta-0"), (1, 20, None), (2, 30, "meta-2")]}
res = c.offset_commit(G, OFFSETS, GEN, MID)
s.eq("OffsetCommit by the member", {TOPIC: {0: 0, 1: 0, 2: 0}}, res)
WANT_OFFSETS = {TOPIC: {0: (10, "meta-0", 0), 1: (20, "", 0), 2: (30, "meta-2", 0)}}


def fetch_g1():
    e, offs = c.offset_fetch(G, {TOPIC: [0, 1, 2]})
    return e, offs


s.eq("OffsetFetch returns the offsets (null metadata reads back as empty)",
     (0, WANT_OFFSETS), fetch_g1())


def snapshot():
    d = c.describe_groups([G])[0]
    members = sorted((m["member_id"], m["instance_id"], parse_assignment(m["assignment"]) and
                      tuple(sorted((t, tuple(p)) for t, p in
                                   parse_assignment(m["assignment"]).items())))
                     for m in d["members"] or [])
    return dict(error=d["error"], state=d["state"], protocol_type=d["protocol_type"],
                protocol=d["protocol"], members=members, offsets=fetch_g1(),
                heartbeat=ename(c.heartbeat(G, GEN, MID)))


BASE = snapshot()
s.eq("reference group is Stable with one member", ("Stable", "consumer", "range", 1),
     (BASE["state"], BASE["protocol_type"], BASE["protocol"], len(BASE["members"])))


def unaffected(what):
    now = snapshot()
    if now == BASE:
        s.ok("%s: group, members, assignment and offsets unaffected" % what)
    else:
        diff = {k: (BASE[k], now[k]) for k in BASE if BASE[k] != now[k]}
        s.fail("%s: group, members, assignment and offsets unaffected" % what,
               "changed (before, after): %s" % str(diff)[:600])


def listed(group):
    e, groups = c.list_groups()
    return group in groups


def t_unknown_group_and_member():
    s.eq("Heartbeat for an unknown group: UNKNOWN_MEMBER_ID", ename(UNKNOWN_MEMBER_ID),
         ename(c.heartbeat("no-such-group", 1, "m-1")))
    e, _ = c.sync_group("no-such-group", 1, "m-1", [("m-1", ASSIGN)])
    s.eq("SyncGroup for an unknown group: UNKNOWN_MEMBER_ID", ename(UNKNOWN_MEMBER_ID), ename(e))
    s.check("an unknown group is not created by Heartbeat/SyncGroup (ListGroups)",
            not listed("no-such-group"))
    d = c.describe_groups(["no-such-group"])[0]
    s.eq("DescribeGroups of an unknown group: NONE and state Dead, no members",
         (NONE, "Dead", []), (d["error"], d["state"], d["members"] or []))
    s.eq("Heartbeat from an unknown member: UNKNOWN_MEMBER_ID", ename(UNKNOWN_MEMBER_ID),
         ename(c.heartbeat(G, GEN, "not-a-member")))
    e, _ = c.sync_group(G, GEN, "not-a-member", [])
    s.eq("SyncGroup from an unknown member: UNKNOWN_MEMBER_ID", ename(UNKNOWN_MEMBER_ID), ename(e))
    unaffected("unknown group/member in Heartbeat and SyncGroup")


def t_wrong_generation():
    for g in (GEN + 1, GEN - 1, 1000):
        s.eq("Heartbeat with generation %d (group at %d): ILLEGAL_GENERATION" % (g, GEN),
             ename(ILLEGAL_GENERATION), ename(c.heartbeat(G, g, MID)))
    e, a = c.sync_group(G, GEN + 1, MID, [(MID, assignment({TOPIC: [0]}))])
    s.eq("SyncGroup with a wrong generation: ILLEGAL_GENERATION", ename(ILLEGAL_GENERATION), ename(e))
    res = c.offset_commit(G, {TOPIC: [(0, 99, "x"), (1, 99, "x")]}, GEN + 1, MID)
    s.eq("OffsetCommit with a wrong generation: ILLEGAL_GENERATION for every partition",
         {TOPIC: {0: ILLEGAL_GENERATION, 1: ILLEGAL_GENERATION}}, res)
    res = c.offset_commit(G, {TOPIC: [(0, 99, "x")]}, GEN, "not-a-member")
    s.eq("OffsetCommit from an unknown member: UNKNOWN_MEMBER_ID",
         {TOPIC: {0: UNKNOWN_MEMBER_ID}}, res)
    res = c.offset_commit(G, {TOPIC: [(0, 99, "x")]}, -1, "")
    s.eq("simple OffsetCommit (generation -1, no member) to a group with members: "
         "UNKNOWN_MEMBER_ID", {TOPIC: {0: UNKNOWN_MEMBER_ID}}, res)
    unaffected("wrong generation / unknown member in Heartbeat, SyncGroup, OffsetCommit")
    res = c.offset_commit("never-joined", {TOPIC: [(0, 5, "")]}, 3, "m-1")
    s.eq("OffsetCommit with generation 3 to a group that does not exist: ILLEGAL_GENERATION",
         {TOPIC: {0: ILLEGAL_GENERATION}}, res)
    e, offs = c.offset_fetch("never-joined", {TOPIC: [0]})
    s.eq("... and nothing was committed for it", (NONE, {TOPIC: {0: (-1, "", NONE)}}),
         (e, offs))


def t_unknown_partition():
    res = c.offset_commit(G, {TOPIC: [(1, 21, "ok-1"), (3, 5, "x"), (-1, 5, "x")],
                              "no-such-topic": [(0, 5, "x")]}, GEN, MID)
    s.eq("OffsetCommit for partitions that do not exist: UNKNOWN_TOPIC_OR_PARTITION, the valid "
         "partition committed",
         {TOPIC: {1: NONE, 3: UNKNOWN_TOPIC_OR_PARTITION, -1: UNKNOWN_TOPIC_OR_PARTITION},
          "no-such-topic": {0: UNKNOWN_TOPIC_OR_PARTITION}}, res)
    e, offs = c.offset_fetch(G, {TOPIC: [0, 1, 2, 3]})
    s.eq("OffsetFetch: the valid partition moved, the others unchanged, nothing stored for "
         "partition 3",
         {0: (10, "meta-0", 0), 1: (21, "ok-1", 0), 2: (30, "meta-2", 0)},
         {p: v for p, v in offs.get(TOPIC, {}).items() if p != 3})
    p3 = offs.get(TOPIC, {}).get(3)
    s.check("OffsetFetch of a partition that does not exist shows no committed offset",
            p3 is None or p3[0] == -1, p3)
    e, offs = c.offset_fetch(G, {"no-such-topic": [0]})
    got = offs.get("no-such-topic", {}).get(0)
    s.check("no offset stored for the unknown topic", got is None or got[0] == -1, got)
    # restore the reference
    res = c.offset_commit(G, {TOPIC: [(1, 20, None)]}, GEN, MID)
    s.eq("restore partition 1", {TOPIC: {1: NONE}}, res)
    unaffected("commit for partitions that do not exist")


def t_metadata_size():
    res = c.offset_commit(G, {TOPIC: [(0, 11, "x" * 4097), (2, 31, "y")]}, GEN, MID)
    s.eq("OffsetCommit with 4097 bytes of metadata: OFFSET_METADATA_TOO_LARGE, the other "
         "partition committed", {TOPIC: {0: OFFSET_METADATA_TOO_LARGE, 2: NONE}}, res)
    e, offs = c.offset_fetch(G, {TOPIC: [0, 2]})
    s.eq("partition 0 keeps its offset and metadata, partition 2 moved",
         {0: (10, "meta-0", 0), 2: (31, "y", 0)}, offs.get(TOPIC))
    res = c.offset_commit(G, {TOPIC: [(0, 12, "z" * 4096)]}, GEN, MID)
    s.eq("OffsetCommit with exactly 4096 bytes of metadata is accepted", {TOPIC: {0: NONE}}, res)
    e, offs = c.offset_fetch(G, {TOPIC: [0]})
    s.eq("... and its metadata reads back whole", (12, "z" * 4096, 0), offs[TOPIC][0])
    big = c.offset_commit(G, {TOPIC: [(0, 13, "w" * 32767)]}, GEN, MID)
    s.eq("OffsetCommit with 32767 bytes of metadata: OFFSET_METADATA_TOO_LARGE",
         {TOPIC: {0: OFFSET_METADATA_TOO_LARGE}}, big)
    res = c.offset_commit(G, {TOPIC: [(0, 10, "meta-0"), (2, 30, "meta-2")]}, GEN, MID)
    s.eq("restore partitions 0 and 2", {TOPIC: {0: NONE, 2: NONE}}, res)
    unaffected("oversized offset metadata")


def t_empty_group_id():
    j = c.join_group("", topics=[TOPIC])
    s.eq("JoinGroup with an empty group id: INVALID_GROUP_ID", ename(INVALID_GROUP_ID),
         ename(j["error"]))
    e, _ = c.sync_group("", 1, MID, [])
    s.eq("SyncGroup with an empty group id: INVALID_GROUP_ID", ename(INVALID_GROUP_ID), ename(e))
    s.eq("Heartbeat with an empty group id: INVALID_GROUP_ID", ename(INVALID_GROUP_ID),
         ename(c.heartbeat("", 1, MID)))
    e, members = c.leave_group("", [(MID, None)])
    s.eq("LeaveGroup with an empty group id: INVALID_GROUP_ID", ename(INVALID_GROUP_ID), ename(e))
    # Kafka accepts the empty group id in OffsetCommit/OffsetFetch ("for backwards
    # compatibility"); recorded, not asserted.
    res = c.offset_commit("", {TOPIC: [(0, 1, "")]})
    e, offs = c.offset_fetch("", {TOPIC: [0]})
    s.note("OffsetCommit with an empty group id: %s; OffsetFetch: %s (Apache Kafka accepts the "
           "empty group id in both)" % (res, (e, offs)))
    unaffected("empty group id")


def t_join_validation():
    j = c.join_group(G, member_id=MID, topics=[TOPIC], session_ms=1000)
    s.eq("JoinGroup with a session timeout below group.min.session.timeout.ms: "
         "INVALID_SESSION_TIMEOUT", ename(INVALID_SESSION_TIMEOUT), ename(j["error"]))
    j = c.join_group(G, member_id=MID, topics=[TOPIC], session_ms=120000)
    s.eq("JoinGroup with a session timeout above group.max.session.timeout.ms: "
         "INVALID_SESSION_TIMEOUT", ename(INVALID_SESSION_TIMEOUT), ename(j["error"]))
    j = c.join_group(G, topics=[TOPIC], protocol_type="connect")
    s.eq("JoinGroup of a new member with another protocol type: INCONSISTENT_GROUP_PROTOCOL",
         ename(INCONSISTENT_GROUP_PROTOCOL), ename(j["error"]))
    j = c.join_group(G, topics=[TOPIC], protocols=(("roundrobin", None),))
    s.eq("JoinGroup of a new member with no protocol in common: INCONSISTENT_GROUP_PROTOCOL",
         ename(INCONSISTENT_GROUP_PROTOCOL), ename(j["error"]))
    unaffected("JoinGroup with bad session timeouts or protocols")


def t_leave_and_delete():
    e, members = c.leave_group(G, [("not-a-member", None)])
    s.eq("LeaveGroup v3 of an unknown member: top-level NONE, member UNKNOWN_MEMBER_ID",
         (NONE, [("not-a-member", None, UNKNOWN_MEMBER_ID)]), (e, members))
    e, members = c.leave_group("no-such-group", [("m-1", None)])
    s.eq("LeaveGroup v3 for an unknown group: member UNKNOWN_MEMBER_ID",
         (NONE, [("m-1", None, UNKNOWN_MEMBER_ID)]), (e, members))
    res = c.delete_groups([G, "no-such-group"])
    s.eq("DeleteGroups: NON_EMPTY_GROUP for a group with members, GROUP_ID_NOT_FOUND for an "
         "unknown group", {G: NON_EMPTY_GROUP, "no-such-group": GROUP_ID_NOT_FOUND}, res)
    e, offs = c.offset_fetch("no-such-group", {TOPIC: [0, 1]})
    s.eq("OffsetFetch of an unknown group: offsets -1, no error",
         (NONE, {TOPIC: {0: (-1, "", NONE), 1: (-1, "", NONE)}}), (e, offs))
    unaffected("LeaveGroup/DeleteGroups/OffsetFetch on unknown members and groups")


def t_fetch_all_grouping():
    c2 = conn()
    c2.create_topics([("gt2", 2, 1, {})])
    res = c2.offset_commit("fetch-all", {TOPIC: [(0, 1, "a"), (1, 2, "b"), (2, 3, "c")],
                                         "gt2": [(0, 4, "d"), (1, 5, None)]})
    s.eq("simple commit to an empty group", {TOPIC: {0: 0, 1: 0, 2: 0}, "gt2": {0: 0, 1: 0}}, res)
    body = string("fetch-all") + i32(-1)  # OffsetFetch v5, null topics = all
    r = c2.request(9, 5, body)
    r.i32()

    def part(r):
        return (r.i32(), r.i64(), r.i32(), r.string(), r.i16())

    topics = r.array(lambda r: (r.string(), r.array(part)))
    names = [t for t, _ in topics]
    s.eq("OffsetFetch of all topics returns every committed partition",
         {TOPIC: [(0, 1), (1, 2), (2, 3)], "gt2": [(0, 4), (1, 5)]},
         {t: sorted(p for tt, ps in topics if tt == t for p in [(x[0], x[1]) for x in ps])
          for t in set(names)})
    s.eq("OffsetFetch of all topics names each topic once, with all its partitions "
         "(as Kafka groups them)", sorted([TOPIC, "gt2"]), sorted(names))
    c2.close()


def t_static_fencing():
    SG = "static-g"
    ca, cb = conn(), conn()
    j1 = ca.join_group(SG, topics=[TOPIC], instance_id="inst-1", session_ms=30000,
                       rebalance_ms=30000)
    s.eq("static member joins without MEMBER_ID_REQUIRED (v5 with group.instance.id)",
         (NONE, 1), (j1["error"], j1["generation"]))
    old = j1["member_id"]
    e, a = ca.sync_group(SG, 1, old, [(old, assignment({TOPIC: [0, 1, 2]}))],
                         instance_id="inst-1")
    s.eq("static leader syncs", NONE, e)
    j2 = cb.join_group(SG, topics=[TOPIC], instance_id="inst-1", session_ms=30000,
                       rebalance_ms=30000)
    new = j2["member_id"]
    s.eq("the same instance id joining again gets a new member id at the same generation "
         "(no rebalance)", (NONE, 1, True), (j2["error"], j2["generation"], new != old))
    s.check("... and is not made the leader: Kafka answers with the old leader id and no "
            "member list, so the rejoining process does not run an assignment",
            j2["leader"] != new and not j2["members"],
            "leader %s, the new member id %s, %d members listed"
            % (j2["leader"], new, len(j2["members"] or [])))
    e, a = cb.sync_group(SG, 1, new, [(new, assignment({TOPIC: [2]}))], instance_id="inst-1")
    s.eq("the new member id's SyncGroup (even with an assignment of its own, the group being "
         "Stable) returns the old assignment",
         (NONE, {TOPIC: [0, 1, 2]}), (e, parse_assignment(a)))
    s.eq("the old member id's Heartbeat: FENCED_INSTANCE_ID", ename(FENCED_INSTANCE_ID),
         ename(ca.heartbeat(SG, 1, old, instance_id="inst-1")))
    e, _ = ca.sync_group(SG, 1, old, [], instance_id="inst-1")
    s.eq("the old member id's SyncGroup: FENCED_INSTANCE_ID", ename(FENCED_INSTANCE_ID), ename(e))
    res = ca.offset_commit(SG, {TOPIC: [(0, 7, "")]}, 1, old, instance_id="inst-1")
    s.eq("the old member id's OffsetCommit: FENCED_INSTANCE_ID",
         {TOPIC: {0: FENCED_INSTANCE_ID}}, res)
    s.eq("the new member id's Heartbeat: NONE", ename(NONE),
         ename(cb.heartbeat(SG, 1, new, instance_id="inst-1")))
    d = cb.describe_groups([SG])[0]
    s.eq("DescribeGroups: Stable, one member: the new member id with the instance id",
         ("Stable", [(new, "inst-1")]),
         (d["state"], [(m["member_id"], m["instance_id"]) for m in d["members"] or []]))
    e, members = cb.leave_group(SG, [("", "inst-1")])
    s.eq("LeaveGroup v3 by instance id alone removes the static member",
         (NONE, [("", "inst-1", NONE)]), (e, members))
    d = cb.describe_groups([SG])[0]
    s.eq("... and the group is Empty", ("Empty", []), (d["state"], d["members"] or []))
    ca.close()
    cb.close()


def t_rebalance_in_progress():
    RG = "rebal-g"
    c1, c2 = conn(), conn()
    j1 = c1.join_group_full(RG, topics=[TOPIC], session_ms=30000, rebalance_ms=15000)
    m1 = j1["member_id"]
    c1.sync_group(RG, j1["generation"], m1, [(m1, assignment({TOPIC: [0, 1, 2]}))])
    result = {}

    def second():
        result["j"] = c2.join_group_full(RG, topics=[TOPIC], session_ms=30000,
                                         rebalance_ms=15000)

    th = threading.Thread(target=second)
    th.start()
    hb = None
    deadline = time.time() + 10
    while time.time() < deadline:
        hb = c1.heartbeat(RG, j1["generation"], m1)
        if hb != NONE:
            break
        time.sleep(0.05)
    s.eq("a second member joining: the first member's Heartbeat says REBALANCE_IN_PROGRESS",
         ename(REBALANCE_IN_PROGRESS), ename(hb))
    res = c1.offset_commit(RG, {TOPIC: [(0, 3, "")]}, j1["generation"], m1)
    s.eq("... an OffsetCommit with the current generation during PreparingRebalance is accepted",
         {TOPIC: {0: NONE}}, res)
    r1 = c1.join_group(RG, member_id=m1, topics=[TOPIC], session_ms=30000, rebalance_ms=15000)
    th.join(20)
    j2 = result.get("j", {})
    s.eq("both members complete the rebalance in generation %d" % (j1["generation"] + 1),
         (NONE, NONE, j1["generation"] + 1, j1["generation"] + 1),
         (r1["error"], j2.get("error"), r1["generation"], j2.get("generation")))
    leader_resp = r1 if r1["leader"] == m1 else j2
    s.eq("the leader's JoinGroup response lists both members", 2,
         len(leader_resp.get("members") or []))
    e, offs = c1.offset_fetch(RG, {TOPIC: [0]})
    s.eq("the commit made during the rebalance is kept", (3, "", 0), offs[TOPIC][0])
    c1.close()
    c2.close()


def t_truncated():
    # JoinGroup v5 body cut in the middle of the protocol list; OffsetCommit v7 whose
    # topic array claims more entries than present.
    bodies = [
        (11, 5, string(G) + i32(30000) + i32(30000) + string("") + string(None)
         + string("consumer") + i32(5) + string("range")),
        (8, 7, string(G) + i32(GEN) + string(MID) + string(None) + i32(3) + string(TOPIC)),
        (12, 3, string(G) + i16(7)),
    ]
    for key, ver, body in bodies:
        x = conn()
        try:
            x.send(key, ver, body)
            closed = x.closed_by_peer(5.0)
        except OSError:
            closed = True
        x.close()
        s.check("truncated request (api %d v%d) ends the connection" % (key, ver), closed)
    s.check("broker still running after truncated group requests", b.alive())
    unaffected("truncated group requests")


GROUP_SUBSCRIBED_TO_TOPIC = 86
GROUP_MAX_SIZE_REACHED = 81


def t_offset_delete():
    e, res = c.offset_delete(G, {TOPIC: [0]})
    s.eq("OffsetDelete on a Stable group subscribed to the topic: GROUP_SUBSCRIBED_TO_TOPIC",
         (NONE, {TOPIC: {0: GROUP_SUBSCRIBED_TO_TOPIC}}), (e, res))
    e, res = c.offset_delete("no-such-group", {TOPIC: [0]})
    s.eq("OffsetDelete on an unknown group: GROUP_ID_NOT_FOUND", ename(GROUP_ID_NOT_FOUND),
         ename(e))
    unaffected("OffsetDelete refused")


def t_commit_while_completing():
    CG = "completing-g"
    x = conn()
    j = x.join_group_full(CG, topics=[TOPIC], session_ms=30000, rebalance_ms=30000)
    m = j["member_id"]
    res = x.offset_commit(CG, {TOPIC: [(0, 5, "")]}, j["generation"], m)
    s.eq("OffsetCommit after JoinGroup, before the leader's SyncGroup (CompletingRebalance): "
         "REBALANCE_IN_PROGRESS", {TOPIC: {0: REBALANCE_IN_PROGRESS}}, res)
    e, a = x.sync_group(CG, j["generation"], m, [(m, assignment({TOPIC: [0]}))])
    res = x.offset_commit(CG, {TOPIC: [(0, 5, "")]}, j["generation"], m)
    s.eq("... and accepted once the group is Stable", (NONE, {TOPIC: {0: NONE}}), (e, res))
    x.leave_group(CG, [(m, None)])
    x.close()


def t_session_expiry():
    SG = "expiry-g"
    gen, members = form_group(conn, SG, 2, TOPIC, [0, 1, 2], session_ms=6000, rebalance_ms=6000)
    (ca, ma, _, _), (cb, mb, _, _) = members
    t0 = time.time()
    hb = None
    while time.time() - t0 < 15:  # only A heartbeats; B is silent
        hb = ca.heartbeat(SG, gen, ma)
        if hb != NONE:
            break
        time.sleep(0.5)
    took = time.time() - t0
    s.check("a member that stops heartbeating is dropped after its 6 s session: the other "
            "member's Heartbeat says REBALANCE_IN_PROGRESS after %.1f s" % took,
            hb == REBALANCE_IN_PROGRESS and 4.5 <= took <= 9.5, "%s after %.1f s" % (ename(hb), took))
    j = ca.join_group(SG, member_id=ma, topics=[TOPIC], session_ms=6000, rebalance_ms=6000)
    s.eq("the remaining member rejoins alone into generation %d as leader" % (gen + 1),
         (NONE, gen + 1, ma, [ma]),
         (j["error"], j["generation"], j["leader"], [m[0] for m in j["members"] or []]))
    s.eq("the expired member's Heartbeat: UNKNOWN_MEMBER_ID", ename(UNKNOWN_MEMBER_ID),
         ename(cb.heartbeat(SG, gen, mb)))
    ca.sync_group(SG, j["generation"], ma, [(ma, assignment({TOPIC: [0, 1, 2]}))])
    ca.leave_group(SG, [(ma, None)])
    ca.close()
    cb.close()


def t_rebalance_timeout():
    RG = "rebalance-timeout-g"
    gen, members = form_group(conn, RG, 2, TOPIC, [0, 1, 2], session_ms=30000, rebalance_ms=6000)
    (ca, ma, _, _), (cb, mb, _, _) = members
    cc = conn()
    out = {}

    def newcomer():
        out["c"] = cc.join_group_full(RG, topics=[TOPIC], session_ms=30000, rebalance_ms=6000)

    def rejoin_a():
        out["a"] = ca.join_group(RG, member_id=ma, topics=[TOPIC], session_ms=30000,
                                 rebalance_ms=6000)

    tc = threading.Thread(target=newcomer)
    tc.start()
    time.sleep(0.3)
    t0 = time.time()
    ta = threading.Thread(target=rejoin_a)
    ta.start()
    hbs = []
    while ta.is_alive() and time.time() - t0 < 15:  # B heartbeats but never rejoins
        hbs.append(cb.heartbeat(RG, gen, mb))
        time.sleep(0.5)
    ta.join(10)
    tc.join(10)
    took = time.time() - t0
    ja, jc = out.get("a", {}), out.get("c", {})
    s.check("a member that heartbeats but does not rejoin is told REBALANCE_IN_PROGRESS",
            REBALANCE_IN_PROGRESS in hbs, [ename(h) for h in hbs[:5]])
    s.check("the rebalance completes without it after the 6 s rebalance timeout (%.1f s)" % took,
            ja.get("error") == NONE and jc.get("error") == NONE and 4.5 <= took <= 10,
            "A %s, C %s after %.1f s" % (ja.get("error"), jc.get("error"), took))
    leader = ja if ja.get("leader") == ja.get("member_id") else jc
    s.eq("the new generation has the two members that rejoined",
         sorted([ma, jc.get("member_id")]), sorted(m[0] for m in leader.get("members") or []))
    s.eq("the dropped member's Heartbeat: UNKNOWN_MEMBER_ID", ename(UNKNOWN_MEMBER_ID),
         ename(cb.heartbeat(RG, gen, mb)))
    for x in (ca, cb, cc):
        x.close()


def t_max_size():
    b2 = Broker(s.tmp, "b2", {"group.initial.rebalance.delay.ms": 0,
                              "group.max.size": 1}).start()
    try:
        x = GroupConn("127.0.0.1", b2.port)
        x.create_topics([(TOPIC, 3, 1, {})])
        j = x.join_group_full("full-g", topics=[TOPIC], session_ms=30000, rebalance_ms=30000)
        m = j["member_id"]
        e, _ = x.sync_group("full-g", j["generation"], m, [(m, assignment({TOPIC: [0, 1, 2]}))])
        s.eq("group.max.size=1: the first member joins and syncs", (NONE, NONE), (j["error"], e))
        y = GroupConn("127.0.0.1", b2.port)
        j2 = y.join_group_full("full-g", topics=[TOPIC], session_ms=30000, rebalance_ms=30000)
        s.eq("group.max.size=1: a second member is refused with GROUP_MAX_SIZE_REACHED",
             ename(GROUP_MAX_SIZE_REACHED), ename(j2["error"]))
        s.eq("... and the first member's Heartbeat still answers NONE", ename(NONE),
             ename(x.heartbeat("full-g", j["generation"], m)))
        d = x.describe_groups(["full-g"])[0]
        s.eq("... the group stays Stable with one member", ("Stable", 1),
             (d["state"], len(d["members"] or [])))
        x.close()
        y.close()
    finally:
        s.eq("second broker (group.max.size=1) exits 0 on SIGTERM", 0, b2.stop())


for name, fn in [("unknown group/member", t_unknown_group_and_member),
                 ("wrong generation", t_wrong_generation),
                 ("unknown partition", t_unknown_partition),
                 ("metadata size", t_metadata_size),
                 ("empty group id", t_empty_group_id),
                 ("join validation", t_join_validation),
                 ("leave and delete", t_leave_and_delete),
                 ("fetch all", t_fetch_all_grouping),
                 ("static fencing", t_static_fencing),
                 ("rebalance in progress", t_rebalance_in_progress),
                 ("truncated", t_truncated),
                 ("offset delete", t_offset_delete),
                 ("commit while completing", t_commit_while_completing),
                 ("session expiry", t_session_expiry),
                 ("rebalance timeout", t_rebalance_timeout),
                 ("group max size", t_max_size)]:
    s.run(name, fn)

# the reference member leaves: group Empty, offsets kept
e, members = c.leave_group(G, [(MID, None)])
s.eq("the reference member leaves (LeaveGroup v3)", (NONE, [(MID, None, NONE)]), (e, members))
d = c.describe_groups([G])[0]
s.eq("the group is Empty with no members", ("Empty", []), (d["state"], d["members"] or []))
s.eq("its offsets are kept", (0, WANT_OFFSETS), fetch_g1())
res = c.delete_groups([G])
s.eq("DeleteGroups of the now empty group: NONE", {G: NONE}, res)
e, offs = c.offset_fetch(G, {TOPIC: [0]})
s.eq("after DeleteGroups its offsets are gone", (NONE, {TOPIC: {0: (-1, "", NONE)}}), (e, offs))
c.close()
rc = b.stop()
s.eq("broker exits 0 on SIGTERM", 0, rc)
s.finish()
