"""tests/interop/lib/broker.py — brokers and bookkeeping for the Python suites.

Starts and stops strait-broker processes on loopback ports with fresh data
directories (removed at exit unless STRAIT_KEEP_TMP is set), and counts
results, printing the closing line tests/run.sh reads:
"N passed, M failed[, K skipped]". Every process started here is stopped by
pid at exit; nothing is ever killed by name.

    from broker import Broker, Suite
    s = Suite("python")
    b = Broker(s.tmp, "b1", {"num.partitions": 3}).start()
    ... b.bootstrap ...
    s.check("description", condition, "detail when it fails")
    s.finish()                         # prints the summary, exits 0/1
"""
import atexit
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BROKER_BIN = os.environ.get("STRAIT_BROKER_BIN", os.path.join(ROOT, "build", "strait-broker"))
BROKER_CONFIG = os.environ.get("STRAIT_BROKER_CONFIG", os.path.join(ROOT, "config", "broker.yaml"))

_live = []  # Process objects (brokers, mirrors, ...) whose process may still run


def _cleanup():
    for b in list(_live):
        b.kill()


atexit.register(_cleanup)


def _on_signal(signum, _frame):
    sys.exit(128 + signum)  # runs atexit


signal.signal(signal.SIGTERM, _on_signal)


def ensure_broker_binary():
    """make test builds only the unit tests: bring the broker up to date here
    (unless STRAIT_BROKER_BIN names a binary). Returns an error text or None."""
    if not os.environ.get("STRAIT_BROKER_BIN"):
        r = subprocess.run(["make", "-C", ROOT, "--no-print-directory", "-s", "build/strait-broker"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        if r.returncode != 0:
            return "make build/strait-broker failed:\n" + r.stdout.decode(errors="replace")[-1500:]
    if not os.access(BROKER_BIN, os.X_OK):
        return "no broker binary at " + BROKER_BIN
    return None


class Process:
    """A child process of a suite (Broker, the mirror suites' Mirror, ...):
    each start writes a new log <tmp>/<name>.<start>.log; stopped by pid at
    exit, never by name."""

    def __init__(self, tmp, name):
        self.tmp = tmp
        self.name = name
        self.proc = None
        self.starts = 0
        self.log_path = None

    def log_file(self, start):
        """The log of the start-th start (1 is the first)."""
        return os.path.join(self.tmp, "%s.%d.log" % (self.name, start))

    def spawn(self, args, pipe_stdout=False):
        """Starts args with a new log: stdout and stderr go there, or only
        stderr when pipe_stdout (stdout is then self.proc.stdout)."""
        self.starts += 1
        self.log_path = self.log_file(self.starts)
        logf = open(self.log_path, "wb")
        out, err = (subprocess.PIPE, logf) if pipe_stdout else (logf, subprocess.STDOUT)
        self.proc = subprocess.Popen(args, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        logf.close()
        _live.append(self)
        return self.proc

    def log(self):
        try:
            with open(self.log_path, "r", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=30.0):
        """SIGTERM; returns the exit status (None if it had to be killed)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                return None
        rc = self.proc.returncode
        self.proc = None
        if self in _live:
            _live.remove(self)
        return rc

    def kill(self):
        """SIGKILL and reap."""
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                pass
            self.proc = None
        if self in _live:
            _live.remove(self)


class Broker(Process):
    """One strait-broker process (restartable on the same data dir)."""

    def __init__(self, tmp, name, overrides=None, data_dir=None):
        super().__init__(tmp, name)
        self.overrides = dict(overrides or {})
        self.data_dir = data_dir or os.path.join(tmp, name + "-data")
        os.makedirs(self.data_dir, exist_ok=True)
        self.port = 0

    @property
    def bootstrap(self):
        return "127.0.0.1:%d" % self.port

    def start(self, port=None, extra=None, timeout=15.0):
        """Starts the broker; port None binds port 0 (or the previous port on a
        restart). Raises RuntimeError if it does not come up."""
        if port is None:
            port = self.port
        args = [BROKER_BIN, "--config", BROKER_CONFIG,
                "--override", "log.dirs=" + self.data_dir,
                "--override", "listeners=PLAINTEXT://127.0.0.1:%d" % port]
        ov = dict(self.overrides)
        ov.update(extra or {})
        for k, v in ov.items():
            args += ["--override", "%s=%s" % (k, v)]
        self.spawn(args)
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = re.search(r"listening on 127\.0\.0\.1:(\d+)", self.log())
            if m:
                self.port = int(m.group(1))
                return self
            if self.proc.poll() is not None:
                raise RuntimeError("broker %s exited with %s during start-up:\n%s"
                                   % (self.name, self.proc.returncode, self.log()))
            time.sleep(0.05)
        self.kill()
        raise RuntimeError("broker %s did not start within %.0f s:\n%s"
                           % (self.name, timeout, self.log()))


class Suite:
    """Counts results; per-test lines are "ok - D", "FAIL - D: detail", "skip - D: why"."""

    def __init__(self, name):
        self.name = name
        self.passed = self.failed = self.skipped = 0
        self.t0 = time.time()
        self.tmp = tempfile.mkdtemp(prefix="strait-%s." % name)
        atexit.register(self._rm_tmp)
        err = ensure_broker_binary()
        if err:
            self.fail("the broker builds", err)
            self.finish()

    def _rm_tmp(self):
        _cleanup()  # brokers first: their data lives in tmp
        if os.environ.get("STRAIT_KEEP_TMP"):
            sys.stderr.write("kept %s\n" % self.tmp)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def ok(self, desc):
        self.passed += 1
        print("ok - " + desc, flush=True)

    def fail(self, desc, detail=""):
        self.failed += 1
        print("FAIL - %s%s" % (desc, (": " + str(detail)) if detail != "" else ""), flush=True)

    def skip(self, desc, why):
        self.skipped += 1
        print("skip - %s: %s" % (desc, why), flush=True)

    def check(self, desc, cond, detail=""):
        if cond:
            self.ok(desc)
        else:
            self.fail(desc, detail)
        return bool(cond)

    def eq(self, desc, want, got):
        if want == got:
            self.ok(desc)
            return True
        w, g = repr(want), repr(got)
        self.fail(desc, "expected %s got %s" % (w[:400], g[:400]))
        return False

    def run(self, desc, fn, *args, **kw):
        """Runs a test function; an exception counts as one failure."""
        try:
            return fn(*args, **kw)
        except Exception as e:  # noqa: BLE001 - any error is a test failure
            self.fail(desc, "%s: %s" % (type(e).__name__, e))
            traceback.print_exc(file=sys.stdout)
            return None

    def note(self, text):
        print("# " + text, flush=True)

    def finish(self):
        print("# %s: %.0f s" % (self.name, time.time() - self.t0), flush=True)
        line = "%d passed, %d failed" % (self.passed, self.failed)
        if self.skipped:
            line += ", %d skipped" % self.skipped
        print(line, flush=True)
        sys.exit(1 if self.failed else 0)


def wait_for(pred, timeout, interval=0.05):
    """Polls pred() until true or timeout seconds pass; returns its last value."""
    deadline = time.time() + timeout
    while True:
        v = pred()
        if v or time.time() >= deadline:
            return v
        time.sleep(interval)
