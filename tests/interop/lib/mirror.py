"""tests/interop/lib/mirror.py — strait-mirror processes and the data checks
the mirror suites share.

    from broker import Broker, Suite
    from mirror import Mirror, produce, read_partitions, wait_mirrored
    m = Mirror(s.tmp, "m1", {"east": east.bootstrap, "west": west.bootstrap},
               [{"source": "east", "target": "west", "topics": ["orders"]}]).start()
    ...
    m.stop()   # SIGTERM, exit status;  m.kill()  # SIGKILL

The config is written to <tmp>/<name>.yaml with its SQLite database beside
it; flows are dicts of the keys of config/mirror.yaml (short intervals are
filled in unless given). Every process is stopped by pid at exit (Mirror is
a broker.Process). Records are produced and read back with confluent-kafka
(librdkafka), so the mirror is checked by a client other than our own.
"""
import json
import os
import re
import subprocess
import time

from broker import ROOT, Process, wait_for

MIRROR_BIN = os.environ.get("STRAIT_MIRROR_BIN", os.path.join(ROOT, "build", "strait-mirror"))


def ensure_mirror_binary():
    """Builds build/strait-mirror (make test builds only the unit tests)."""
    if not os.environ.get("STRAIT_MIRROR_BIN"):
        r = subprocess.run(["make", "-C", ROOT, "--no-print-directory", "-s", "build/strait-mirror"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        if r.returncode != 0:
            return "make build/strait-mirror failed:\n" + r.stdout.decode(errors="replace")[-1500:]
    return None


FLOW_DEFAULTS = {"refresh.topics.interval.ms": 1000, "emit.checkpoints.interval.ms": 1000}


class Mirror(Process):
    """One strait-mirror daemon (restartable on the same config and database)."""

    def __init__(self, tmp, name, clusters, flows, settings=None, cluster_props=None):
        super().__init__(tmp, name)
        self.clusters = dict(clusters)
        self.cluster_props = dict(cluster_props or {})
        self.flows = [dict(FLOW_DEFAULTS, **f) for f in flows]
        self.database = os.path.join(tmp, name + ".db")
        self.settings = {"database": self.database, "log.interval.ms": 1000}
        self.settings.update(settings or {})
        self.config_path = os.path.join(tmp, name + ".yaml")
        self.write_config()

    def write_config(self):
        lines = ["mirror:"]
        for k, v in self.settings.items():
            lines.append("  %s: %s" % (k, json.dumps(v)))
        lines.append("clusters:")
        for name, bootstrap in self.clusters.items():
            lines.append("  %s:" % name)
            lines.append("    bootstrap.servers: %s" % json.dumps(bootstrap))
            for k, v in self.cluster_props.get(name, {}).items():
                lines.append("    %s: %s" % (k, json.dumps(str(v))))
        lines.append("flows:")
        for f in self.flows:
            first = True
            for k, v in f.items():
                lines.append("  %s %s: %s" % ("-" if first else " ", k, json.dumps(v)))
                first = False
        with open(self.config_path, "w") as fh:
            fh.write("\n".join(lines) + "\n")

    def start(self, extra_args=()):
        self.spawn([MIRROR_BIN, "--config", self.config_path] + list(extra_args))
        return self

    def log(self):
        """The current start's log ("" before the first start)."""
        return super().log() if self.log_path else ""

    def all_logs(self):
        out = []
        for i in range(1, self.starts + 1):
            try:
                with open(self.log_file(i), errors="replace") as f:
                    out.append(f.read())
            except OSError:
                pass
        return "\n".join(out)

    def command(self, *args, timeout=60):
        """Runs `strait-mirror <args...>` with this config; returns (rc, output)."""
        argv = [MIRROR_BIN, args[0], "--config", self.config_path] + list(args[1:])
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           stdin=subprocess.DEVNULL, timeout=timeout)
        return r.returncode, r.stdout.decode(errors="replace")


# ---- data helpers (confluent-kafka) ----

def admin(bootstrap):
    from confluent_kafka.admin import AdminClient
    return AdminClient({"bootstrap.servers": bootstrap})


def create_topic(bootstrap, topic, partitions, config=None):
    from confluent_kafka.admin import NewTopic
    a = admin(bootstrap)
    fs = a.create_topics([NewTopic(topic, partitions, 1, config=config or {})])
    for f in fs.values():
        f.result(30)


def produce(bootstrap, topic, records, extra=None):
    """records: iterable of dicts {key, value, partition, headers, timestamp}
    (any may be missing). Waits for every delivery; raises on an error."""
    from confluent_kafka import Producer
    conf = {"bootstrap.servers": bootstrap, "enable.idempotence": True, "linger.ms": 5,
            "queue.buffering.max.messages": 500000}
    conf.update(extra or {})
    p = Producer(conf)
    errors = []

    def cb(err, _msg):
        if err is not None:
            errors.append(err)

    for r in records:
        kw = {k: r[k] for k in ("key", "value", "partition", "headers", "timestamp") if k in r}
        while True:
            try:
                p.produce(topic, on_delivery=cb, **kw)
                break
            except BufferError:
                p.poll(0.1)
        p.poll(0)
    left = p.flush(60)
    if errors or left:
        raise RuntimeError("produce to %s: %d errors (%s), %d undelivered"
                           % (topic, len(errors), errors[:3], left))


def end_offsets(bootstrap, topic, partitions):
    """{partition: high watermark}."""
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "strait-test-offsets"})
    try:
        return {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
                for p in range(partitions)}
    finally:
        c.close()


def read_partitions(bootstrap, topic, partitions, timeout=60, isolation="read_uncommitted"):
    """Every record of topic's partitions from the beginning to the current
    end: {partition: [(offset, key, value, headers dict, timestamp)]}."""
    from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING
    ends = end_offsets(bootstrap, topic, partitions)
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "strait-test-reader",
                  "enable.auto.commit": False, "isolation.level": isolation,
                  "enable.partition.eof": True})
    out = {p: [] for p in range(partitions)}
    try:
        c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
        done = {p for p in range(partitions) if ends[p] == 0}
        deadline = time.time() + timeout
        while len(done) < partitions and time.time() < deadline:
            msgs = c.consume(10000, 0.5)
            for m in msgs:
                if m.error():
                    if m.error().code() == -191:  # _PARTITION_EOF
                        if c.position([TopicPartition(topic, m.partition())])[0].offset >= ends[m.partition()]:
                            done.add(m.partition())
                    continue
                out[m.partition()].append((m.offset(), m.key(), m.value(),
                                           dict(m.headers() or []), m.timestamp()[1]))
                if m.offset() + 1 >= ends[m.partition()]:
                    done.add(m.partition())
    finally:
        c.close()
    return out


def strip_provenance(headers):
    return {k: v for k, v in headers.items() if not k.startswith("strait.")}


def payload(rec):
    """(key, value, user headers, timestamp) of a read record."""
    return (rec[1], rec[2], tuple(sorted(strip_provenance(rec[3]).items())), rec[4])


def wait_mirrored(source, target, topic, target_topic, partitions, timeout=120, exact=True):
    """Waits until every target partition has as many records as... the
    source's end offsets are reached by the mirror: uses the count of records
    carrying a strait.source header for this topic (exact=True: target end ==
    source end, the active/passive case)."""
    src = end_offsets(source, topic, partitions)

    def caught_up():
        try:
            tgt = end_offsets(target, target_topic, partitions)
        except Exception:  # noqa: BLE001 - topic not there yet
            return False
        return all(tgt.get(p, 0) >= src[p] for p in range(partitions)) if exact else True
    return wait_for(caught_up, timeout, 0.25)


def status_rows(mirror):
    """Parses `strait-mirror status` into a list of dicts (by header names)."""
    rc, out = mirror.command("status")
    lines = [l for l in out.splitlines() if l.strip()]
    hdr = next((i for i, l in enumerate(lines) if l.startswith("FLOW")), None)
    if rc != 0 or hdr is None:
        return []
    names = lines[hdr].split()
    return [dict(zip(names, re.split(r"\s{2,}|\s(?=\S)", l.strip(), len(names) - 1)))
            for l in lines[hdr + 1:]]


def failover_plan(mirror, source, target, groups, extra=()):
    """Runs `strait-mirror failover --source S --target T --group G...
    [extra...]` (a dry run unless extra says --execute) and parses its tables:
    returns (exit status, rows, whole output); rows are dicts keyed by the
    table headers (GROUP, TOPIC, PARTITION, SOURCE-OFFSET, ORIGIN,
    TARGET-TOPIC, TARGET-OFFSET, TARGET-END, LAG, UNMIRRORED), numbers as
    ints and "-" as None."""
    args = ["failover", "--source", source, "--target", target]
    for g in groups:
        args += ["--group", g]
    rc, out = mirror.command(*(args + list(extra)))
    rows, names = [], None
    for line in out.splitlines():
        fields = line.split()
        if fields[:3] == ["GROUP", "TOPIC", "PARTITION"]:
            names = fields
            continue
        if not fields:
            names = None
            continue
        if names is None or len(fields) != len(names) or not fields[2].isdigit():
            continue
        row = {}
        for k, v in zip(names, fields):
            if v == "-":
                v = None
            elif re.fullmatch(r"-?\d+", v) and k not in ("GROUP", "TOPIC", "TARGET-TOPIC"):
                v = int(v)
            row[k] = v
        rows.append(row)
    return rc, rows, out


def committed_offsets(bootstrap, group, topic, partitions):
    """{partition: committed offset} of a group (negative: none)."""
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        tps = c.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=10)
        return {tp.partition: tp.offset for tp in tps}
    finally:
        c.close()


def status_table(mirror, *extra):
    """`strait-mirror status [extra...]` parsed by column position (cells
    may hold spaces, as LAST-ERROR does): returns (exit status, rows, whole
    output); rows are dicts keyed by the headers, cells stripped, "-" kept."""
    rc, out = mirror.command("status", *extra)
    lines = out.splitlines()
    hdr = next((i for i, l in enumerate(lines) if l.startswith("FLOW ")), None)
    if hdr is None:
        return rc, [], out
    names = lines[hdr].split()
    starts = [m.start() for m in re.finditer(r"\S+", lines[hdr])]
    rows = []
    for l in lines[hdr + 1:]:
        if not l.strip():
            break
        bounds = list(zip(starts, starts[1:] + [None]))
        rows.append({n: l[a:b].strip() for n, (a, b) in zip(names, bounds)})
    return rc, rows, out
