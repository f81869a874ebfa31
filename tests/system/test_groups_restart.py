#!/usr/bin/python3
"""test_groups_restart.py — 1,000 consumer groups survive broker restarts
(state rebuilt from __consumer_offsets), driven through the raw protocol
client tests/interop/lib/kgroups.py.

Before the restart: 1,000 groups commit offsets with simple commits
(generation -1, no member; 4 or 6 partitions over two topics, per-partition
metadata, every tenth group overwrites one offset with a second commit);
every fiftieth group has one offset removed with OffsetDelete and every
hundredth group is deleted with DeleteGroups. Groups with members: a Stable
dynamic group of two members at generation 2, a Stable static group of two
members (group.instance.id), and a group whose only member left (Empty, its
generation kept), next to a twin group that stays on the running broker.

After a clean restart (SIGTERM, same data dir and port):
- OffsetFetch returns every committed offset and its metadata exactly (last
  commit wins), removed offsets and deleted groups stay gone;
- ListGroups lists every group (and none of the deleted ones) with its
  protocol type; DescribeGroups shows the simple groups Empty;
- the Stable groups come back Stable with their members and assignments;
  their members' Heartbeats with the old generation are answered NONE (no
  rebalance, sessions restored);
- a static member that restarts (JoinGroup with its group.instance.id and no
  member id) within its session gets the same generation and its old
  assignment back, and the other member's Heartbeat stays NONE;
- the emptied group's next JoinGroup gets the same generation as its twin on
  the broker that never restarted.

After a crash restart (SIGKILL): commits acknowledged just before the kill are
all there, together with everything else.
"""
import os
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "interop", "lib"))
from broker import Broker, Suite  # noqa: E402
from kgroups import (COORDINATOR_LOAD_IN_PROGRESS, NONE, GroupConn,  # noqa: E402
                     assignment, ename, parse_assignment)

NGROUPS = 1000
TA, TB = "rs-a", "rs-b"  # 4 and 2 partitions
SESSION = 30000           # member sessions outlive the restarts

s = Suite("groups-restart")
try:
    b = Broker(s.tmp, "b1", {"num.partitions": 4, "group.initial.rebalance.delay.ms": 0,
                             "group.min.session.timeout.ms": 6000}).start()
except RuntimeError as e:
    s.fail("broker starts", e)
    s.finish()


def conn():
    return GroupConn("127.0.0.1", b.port, timeout=20.0, client_id="groups-restart")


def gid(i):
    return "grp-%04d" % i


def commits_for(i):
    """The offsets group i commits: {topic: [(partition, offset, metadata)]}."""
    offs = {TA: [(p, i * 10 + p, "g%d-p%d" % (i, p)) for p in range(4)]}
    if i % 4 == 0:
        offs[TB] = [(p, i * 3 + p + 1, None if p else "") for p in range(2)]
    return offs


def expected(i, bumped=()):
    """What OffsetFetch should return for group i: {topic: {p: (offset, metadata)}}."""
    if i % 100 == 2:
        return {TA: {p: (-1, "") for p in range(4)}, TB: {p: (-1, "") for p in range(2)}}
    want = {TA: {p: (i * 10 + p, "g%d-p%d" % (i, p)) for p in range(4)},
            TB: {p: (-1, "") for p in range(2)}}
    if i % 4 == 0:
        want[TB] = {p: (i * 3 + p + 1, "") for p in range(2)}
    if i % 10 == 0:
        want[TA][0] = (i * 10 + 1000, "second")
    if i % 50 == 1:
        want[TA][3] = (-1, "")
    if i in bumped:
        want[TA][1] = (i * 10 + 5000, "after-crash")
    return want


def retry_load(fn, *args, **kw):
    """Calls fn until it stops answering COORDINATOR_LOAD_IN_PROGRESS (10 s)."""
    deadline = time.time() + 10
    while True:
        v = fn(*args, **kw)
        code = v[0] if isinstance(v, tuple) else v
        if code != COORDINATOR_LOAD_IN_PROGRESS or time.time() > deadline:
            return v
        time.sleep(0.1)


# ---------------------------------------------------------------- phase 1
c = conn()
res = c.create_topics([(TA, 4, 1, {}), (TB, 2, 1, {})])
s.eq("topics created", {TA: 0, TB: 0}, {k: v[0] for k, v in res.items()})

t0 = time.time()
bad = []
for i in range(NGROUPS):
    r = c.offset_commit(gid(i), commits_for(i))
    if any(e for ps in r.values() for e in ps.values()):
        bad.append((i, r))
    if i % 10 == 0:
        r = c.offset_commit(gid(i), {TA: [(0, i * 10 + 1000, "second")]})
        if any(e for ps in r.values() for e in ps.values()):
            bad.append((i, r))
s.check("1,000 groups commit offsets (simple commits, %.1f s)" % (time.time() - t0), not bad,
        bad[:3])
bad = []
for i in range(1, NGROUPS, 50):
    e, r = c.offset_delete(gid(i), {TA: [3]})
    if e or r != {TA: {3: NONE}}:
        bad.append((i, e, r))
s.check("OffsetDelete of one partition in 20 of the groups", not bad, bad[:3])
res = c.delete_groups([gid(i) for i in range(2, NGROUPS, 100)])
s.check("DeleteGroups of 10 of the groups", all(v == NONE for v in res.values()) and
        len(res) == 10, res)


def two_member_group(group, instances=(None, None)):
    """Forms a Stable group of two members: the first joins alone (generation
    1), the second's join starts a rebalance the first rejoins (generation 2).
    Returns [(conn, member_id, instance_id, partitions)] with the leader first."""
    c1, c2 = conn(), conn()
    j1 = c1.join_group_full(group, topics=[TA], session_ms=SESSION, rebalance_ms=SESSION,
                            instance_id=instances[0])
    m1 = j1["member_id"]
    c1.sync_group(group, j1["generation"], m1, [(m1, assignment({TA: [0, 1, 2, 3]}))],
                  instance_id=instances[0])
    out = {}

    def second():
        out["j"] = c2.join_group_full(group, topics=[TA], session_ms=SESSION,
                                      rebalance_ms=SESSION, instance_id=instances[1])

    th = threading.Thread(target=second)
    th.start()
    time.sleep(0.3)
    r1 = c1.join_group(group, member_id=m1, topics=[TA], session_ms=SESSION,
                       rebalance_ms=SESSION, instance_id=instances[0])
    th.join(20)
    j2 = out.get("j")
    if r1["error"] or not j2 or j2["error"] or r1["leader"] != m1:
        raise RuntimeError("group %s did not form: %s / %s" % (group, r1, j2))
    m2 = j2["member_id"]
    gen = r1["generation"]
    plan = {m1: [0, 1], m2: [2, 3]}
    e1 = {}

    def sync2():
        e1["s"] = c2.sync_group(group, gen, m2, [], instance_id=instances[1])

    th = threading.Thread(target=sync2)
    th.start()
    e, a = c1.sync_group(group, gen, m1, [(m, assignment({TA: p})) for m, p in plan.items()],
                         instance_id=instances[0])
    th.join(20)
    e2, a2 = e1.get("s", (-99, b""))
    if e or e2 or parse_assignment(a) != {TA: [0, 1]} or parse_assignment(a2) != {TA: [2, 3]}:
        raise RuntimeError("group %s sync: %s %s / %s %s" % (group, e, a, e2, a2))
    r = c1.offset_commit(group, {TA: [(0, 7, "m1"), (1, 8, "m1")]}, gen, m1,
                         instance_id=instances[0])
    r2 = c2.offset_commit(group, {TA: [(2, 9, "m2"), (3, 10, "m2")]}, gen, m2,
                          instance_id=instances[1])
    if r != {TA: {0: 0, 1: 0}} or r2 != {TA: {2: 0, 3: 0}}:
        raise RuntimeError("group %s commits: %s %s" % (group, r, r2))
    return gen, [(c1, m1, instances[0], [0, 1]), (c2, m2, instances[1], [2, 3])]


live = {}
for name, inst in (("live-dynamic", (None, None)), ("live-static", ("inst-1", "inst-2"))):
    try:
        live[name] = two_member_group(name, inst)
        s.eq("%s: two members Stable at generation 2 with committed offsets" % name, 2,
             live[name][0])
    except Exception as e:  # noqa: BLE001
        s.fail("%s: two members Stable with committed offsets" % name, e)


# a member with the shortest session that stops heartbeating: after the restart
# its session must still expire (timers re-armed for loaded members)
xc = conn()
xj = xc.join_group_full("live-expiring", topics=[TA], session_ms=6000, rebalance_ms=6000)
xm = xj["member_id"]
xe, _ = xc.sync_group("live-expiring", xj["generation"], xm, [(xm, assignment({TA: [0, 1]}))])
xr = xc.offset_commit("live-expiring", {TA: [(0, 77, "exp")]}, xj["generation"], xm)
s.eq("live-expiring: one member (6 s session) Stable with a commit", (NONE, NONE, {TA: {0: 0}}),
     (xj["error"], xe, xr))
xc.close()


def join_leave(group):
    x = conn()
    j = x.join_group_full(group, topics=[TA], session_ms=SESSION, rebalance_ms=SESSION)
    m = j["member_id"]
    x.sync_group(group, j["generation"], m, [(m, assignment({TA: [0, 1, 2, 3]}))])
    x.offset_commit(group, {TA: [(0, 42, "left")]}, j["generation"], m)
    e, members = x.leave_group(group, [(m, None)])
    x.close()
    return j["generation"], e


for g in ("left-group", "left-twin"):
    gen, e = join_leave(g)
    s.eq("%s: a member joins (generation 1), commits and leaves" % g, (1, NONE), (gen, e))
x = conn()
twin = x.join_group_full("left-twin", topics=[TA], session_ms=SESSION, rebalance_ms=SESSION)
s.eq("left-twin: the next member's JoinGroup on the running broker", NONE, twin["error"])
x.leave_group("left-twin", [(twin["member_id"], None)])
x.close()
TWIN_GEN = twin["generation"]
s.note("left-twin: generation %d for the member joining after the first one left" % TWIN_GEN)


def describe_map(cn, groups):
    out = {}
    for k in range(0, len(groups), 100):
        for d in retry_load(cn.describe_groups, groups[k:k + 100]):
            out[d["group"]] = d
    return out


def check_offsets(cn, label, bumped=()):
    wrong = []
    for i in range(NGROUPS):
        e, offs = retry_load(cn.offset_fetch, gid(i), {TA: [0, 1, 2, 3], TB: [0, 1]})
        got = {t: {p: (v[0], v[1] or "") for p, v in ps.items()} for t, ps in offs.items()}
        errs = [v[2] for ps in offs.values() for v in ps.values() if v[2]]
        want = expected(i, bumped)
        if e or errs or got != want:
            wrong.append((gid(i), e, errs, got, want))
    s.check("%s: OffsetFetch returns every one of the 1,000 groups' offsets and metadata "
            "exactly (second commits win, removed offsets and deleted groups stay gone)" % label,
            not wrong, "%d groups differ; first: %s" % (len(wrong), str(wrong[:1])[:700]))


def check_listing(cn, label):
    e, groups = retry_load(cn.list_groups)
    want = {gid(i): "" for i in range(NGROUPS) if i % 100 != 2}
    want.update({"live-dynamic": "consumer", "live-static": "consumer",
                 "live-expiring": "consumer",
                 "left-group": "consumer", "left-twin": "consumer"})
    missing = sorted(set(want) - set(groups))
    deleted_listed = sorted(g for g in groups if g in {gid(i) for i in range(2, NGROUPS, 100)})
    wrong_type = sorted((g, groups[g], want[g]) for g in want if g in groups
                        and groups[g] != want[g])
    s.check("%s: ListGroups lists all %d groups, none of the deleted ones" % (label, len(want)),
            e == NONE and not missing and not deleted_listed,
            "error %s, %d missing (%s), deleted listed: %s" % (e, len(missing), missing[:5],
                                                               deleted_listed[:5]))
    s.check("%s: ListGroups gives each group's protocol type ('' for commit-only groups, "
            "consumer for the others)" % label, not wrong_type, wrong_type[:5])
    names = [gid(i) for i in range(NGROUPS)]
    d = describe_map(cn, names)
    bad = []
    for i, n in enumerate(names):
        g = d.get(n)
        want_state = "Dead" if i % 100 == 2 else "Empty"
        if not g or g["error"] or g["state"] != want_state or g["members"]:
            bad.append((n, g and (g["error"], g["state"], len(g["members"] or []))))
    s.check("%s: DescribeGroups shows the commit-only groups Empty without members (deleted "
            "ones Dead)" % label, not bad, "%d wrong, first %s" % (len(bad), bad[:3]))


def member_view(d):
    return sorted((m["member_id"], m["instance_id"], str(parse_assignment(m["assignment"])))
                  for m in d["members"] or [])


check_offsets(c, "before the restart")
BEFORE = describe_map(c, ["live-dynamic", "live-static", "left-group"])
c.close()

# ---------------------------------------------------------------- clean restart
t0 = time.time()
rc = b.stop()
s.eq("broker exits 0 on SIGTERM", 0, rc)
try:
    b.start()
    s.ok("broker restarts on the same data dir and port (%.1f s)" % (time.time() - t0))
except RuntimeError as e:
    s.fail("broker restarts on the same data dir and port", e)
    s.finish()
c = conn()
check_offsets(c, "after the restart")
check_listing(c, "after the restart")

AFTER = describe_map(c, ["live-dynamic", "live-static", "left-group"])
for name in ("live-dynamic", "live-static"):
    if name not in live:
        continue
    gen, members = live[name]
    a, bf = AFTER.get(name, {}), BEFORE.get(name, {})
    s.eq("%s: DescribeGroups after the restart: Stable, protocol range, the same members with "
         "the same assignments" % name,
         ("Stable", "consumer", "range", member_view(bf)),
         (a.get("state"), a.get("protocol_type"), a.get("protocol"), member_view(a)))
    # the members reconnect (their connections died with the broker)
    hb = [ename(retry_load(c.heartbeat, name, gen, m, instance_id=inst))
          for _cn, m, inst, _ in members]
    s.eq("%s: both members' Heartbeats with generation %d answer NONE (no rebalance)"
         % (name, gen), [ename(NONE)] * 2, hb)
    e, offs = retry_load(c.offset_fetch, name, {TA: [0, 1, 2, 3]})
    s.eq("%s: the members' commits are back" % name,
         {0: (7, "m1"), 1: (8, "m1"), 2: (9, "m2"), 3: (10, "m2")},
         {p: (v[0], v[1]) for p, v in offs.get(TA, {}).items()})

if "live-static" in live:
    gen, members = live["live-static"]
    fresh = conn()
    j = fresh.join_group("live-static", topics=[TA], session_ms=SESSION, rebalance_ms=SESSION,
                         instance_id="inst-2")
    s.eq("live-static: the follower restarting (JoinGroup, same instance id, no member id) "
         "gets generation %d back without a rebalance" % gen, (NONE, gen),
         (j["error"], j["generation"]))
    e, a = fresh.sync_group("live-static", j["generation"], j["member_id"], [],
                            instance_id="inst-2")
    s.eq("live-static: ... and its old assignment from SyncGroup", (NONE, {TA: [2, 3]}),
         (e, parse_assignment(a)))
    _cn, m, inst, _ = members[0]
    s.eq("live-static: the other member's Heartbeat still answers NONE", ename(NONE),
         ename(c.heartbeat("live-static", gen, m, instance_id=inst)))
    _cn, m, inst, _ = members[1]
    s.eq("live-static: the replaced member id is fenced (FENCED_INSTANCE_ID)", ename(82),
         ename(c.heartbeat("live-static", gen, m, instance_id=inst)))
    fresh.close()

lg = AFTER.get("left-group", {})
s.eq("left-group: Empty with protocol type consumer after the restart",
     ("Empty", "consumer", []), (lg.get("state"), lg.get("protocol_type"), lg.get("members")))
x = conn()
j = retry_load(lambda: x.join_group_full("left-group", topics=[TA], session_ms=SESSION,
                                         rebalance_ms=SESSION))
s.eq("left-group: the next JoinGroup gets the generation the group would have had without "
     "the restart (left-twin's: %d)" % TWIN_GEN, (NONE, TWIN_GEN), (j["error"], j["generation"]))
x.leave_group("left-group", [(j["member_id"], None)])
x.close()

# the silent member of live-expiring times out after the restart
t_exp = time.time()
state = None
while time.time() - t_exp < 20:
    d = retry_load(c.describe_groups, ["live-expiring"])[0]
    state = (d["state"], len(d["members"] or []))
    if state == ("Empty", 0):
        break
    time.sleep(0.25)
s.eq("live-expiring: its silent member's session (6 s) expires after the restart and the "
     "group becomes Empty (%.1f s after the restart checks began)" % (time.time() - t_exp),
     ("Empty", 0), state)
e, offs = c.offset_fetch("live-expiring", {TA: [0]})
s.eq("live-expiring: its offsets are kept", (77, "exp"), offs[TA][0][:2])

# ---------------------------------------------------------------- crash restart
bumped = set(range(3, NGROUPS, 10)) - {i for i in range(NGROUPS) if i % 100 == 2}
bad = []
for i in sorted(bumped):
    r = c.offset_commit(gid(i), {TA: [(1, i * 10 + 5000, "after-crash")]})
    if r != {TA: {1: NONE}}:
        bad.append((i, r))
s.check("%d groups commit once more just before a SIGKILL" % len(bumped), not bad, bad[:3])
c.close()
b.kill()
try:
    b.start()
    s.ok("broker restarts after SIGKILL")
except RuntimeError as e:
    s.fail("broker restarts after SIGKILL", e)
    s.finish()
c = conn()
check_offsets(c, "after the crash", bumped)
check_listing(c, "after the crash")
c.close()
for name in live:
    for cn, *_ in live[name][1]:
        cn.close()
rc = b.stop()
s.eq("broker exits 0 on SIGTERM at the end", 0, rc)
s.finish()
