#!/usr/bin/python3
"""test_mirror_stall.py — the target stalls while the mirror has a full
producer buffer: nothing is lost.

150,000 records of 1 KB on 8 partitions wait on east; the mirror starts and,
half a second later, west is frozen with SIGSTOP for 3 s (its sockets stay
open, nothing is acknowledged), so the mirror's producer buffer fills and the
mirror must push the records it polled back into the consumer (a rewind per
partition). After SIGCONT every partition of west ends exactly where east's
does (a lost record would leave west short while the mirror reports lag 0),
and the records' provenance offsets run without a hole.
"""
import os
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "interop", "lib"))
from broker import Broker, Suite  # noqa: E402
from mirror import (Mirror, create_topic, end_offsets, ensure_mirror_binary,  # noqa: E402
                    produce, read_partitions, wait_mirrored)

TOPIC, PARTS, N = "stall", 8, 150_000

s = Suite("mirror-stall")
err = ensure_mirror_binary()
if err:
    s.fail("strait-mirror builds", err)
    s.finish()

try:
    east = Broker(s.tmp, "east").start()
    west = Broker(s.tmp, "west").start()
    create_topic(east.bootstrap, TOPIC, PARTS)
    body = os.urandom(1000)
    produce(east.bootstrap, TOPIC, ({"key": b"k%d" % i, "value": b"%08d" % i + body,
                                     "partition": i % PARTS} for i in range(N)),
            {"linger.ms": 20, "batch.size": 1_000_000})
    m = Mirror(s.tmp, "m", {"east": east.bootstrap, "west": west.bootstrap},
               [{"name": "ew", "source": "east", "target": "west", "topics": [TOPIC]}],
               # a small producer buffer so the stall fills it for sure
               cluster_props={"west": {"buffer.memory": 8 * 1024 * 1024}}).start()
    time.sleep(0.5)
    west.proc.send_signal(signal.SIGSTOP)
    time.sleep(3)
    west.proc.send_signal(signal.SIGCONT)
    s.check("the mirror catches up after the stall",
            wait_mirrored(east.bootstrap, west.bootstrap, TOPIC, TOPIC, PARTS, 120), m.log()[-2000:])
    time.sleep(1)
    s.eq("west ends exactly where east does on every partition",
         end_offsets(east.bootstrap, TOPIC, PARTS), end_offsets(west.bootstrap, TOPIC, PARTS))
    dst = read_partitions(west.bootstrap, TOPIC, PARTS, timeout=120)
    holes = {}
    for p, recs in dst.items():
        offs = [int(r[3].get("strait.source", b"x:x:0:-1").split(b":")[-1]) for r in recs]
        if offs != list(range(len(offs))):
            holes[p] = next(i for i, o in enumerate(offs) if o != i)
    s.eq("every partition's copies carry source offsets 0, 1, 2, ... without a hole", {}, holes)
    s.check("every value arrived intact",
            all(r[2][8:] == body for recs in dst.values() for r in recs))
    s.eq("the mirror stops with status 0", 0, m.stop())
except Exception as e:  # noqa: BLE001
    import traceback
    traceback.print_exc(file=sys.stdout)
    s.fail("stall scenario", "%s: %s" % (type(e).__name__, e))
s.finish()
