"""Live test of `pytop --batch` against real CPython interpreters (TAP).

Run with the system python3 (automake's PY_LOG_COMPILER); the pytop under test
is $PYTOP (absolute path; default <repo>/pytop). The interpreters come from
pythons.py (PYTOP_TEST_PYTHONS overrides them; a missing one is a TAP SKIP).
The target is tests/targets/burn_target.py, which burns CPU in burn_a, burn_b
and burn_c, measures its own per-function CPU with time.thread_time() and
writes that truth (plus its tids, thread names and hot lines) to a file; the
test takes the truth before and after each pytop run (SIGUSR1 makes the
target write it), so both sides measure the same window.

Once, without an interpreter:

  usage: -r 0, -r abc, -r -5, -r 100001: exit status exactly 2, one line
         `pytop: ...` on stderr

Per interpreter, against one serial target (main thread: burn_a, burn_b,
burn_c with work 1:2:3; two idle threads idle_sleep, idle_wait):

  json cpu (-d 3): exit 0, stdout is exactly one JSON object (no NaN)
  json keys: pytop, target{pid,python,argv}, duration_s, samples, rate_hz,
        achieved_rate_hz, dropped, errors, mode, functions[{name,file,line,
        own,total,own_pct,total_pct}], lines[{name,file,line,own,own_pct}],
        threads[{tid,name,samples}], with their JSON types
  json target: pid, python (platform.python_version()), argv (the target's
        /proc/PID/cmdline joined by spaces), mode "cpu", duration_s near -d
  json threads: exactly the target's tids, each with its threading name
  json counts: own time summed over functions == the threads' time (cpu
        mode, weighed by CPU time), own == samples (wall mode)
  accuracy: each hot function's share matches thread_time within 5 points
        (shares among the three; see "Accuracy normalisation" below)
  lines: each hot function's top line is its one-line hot loop; its
        function row has the right file and first line
  cpu mode: idle_sleep / idle_wait do not appear
  wall mode (-m wall -d 2): mode "wall"; idle_sleep and idle_wait appear,
        on the stack in (nearly) every sample of their thread; own summed ==
        samples (every sample counts)
  --idle (-d 2): the same as -m wall
  text (-d 1): header lines (pytop VERSION - pid PID, mode cpu / Command /
        Python / Duration / Samples (achieved, configured) / Dropped /
        Errors, then any further `Key: value` lines), the columns `%Own %Total OwnTime TotalTime Function
        (file:line)`, rows parse, burn_c is the first row; the thread table
        lists the target's tids and names
  collapsed (-m wall -d 2): every line is `frame;frame;... count`, frames
        `name (file:line)`, root-first (<module>;main;burn_serial;burn_X for
        each hot function, burn_X as the leaf at its hot line); counts sum
        to 3 x the idle-sleeper's single stack (every round samples all 3
        threads); cpu-mode collapsed (-d 1): the weights are CPU time in us
        (the hot leaves' sum is at most the target's own thread_time over
        the run, and more than any sample count of the run could be: rate
        x duration x threads), no idle function as a leaf
  contended (-d 3, twice): the serial target and a CPU hog pinned to CPU
        0, pytop to CPU 1, then the other way round (each CPU's scheduler
        clock is its own: with the sampler's behind the target's, every
        sample of the target waiting had read as on a CPU; needs 2 CPUs,
        else SKIP): hot-function shares within 5 points of thread_time;
        burn_serial's own time (its bookkeeping line, where the kernel
        preempts the target) under 5 % of the target's functions' time (it
        had a third when samples of a thread waiting for its core
        counted); overhead.off_cpu_samples 5-50 % of the samples,
        sched_reads at least as many; overhead.late_samples an int, at
        most the samples not found waiting
  rates (-r 200 -d 2): rate_hz 200, achieved_rate_hz within 10 % of 200,
        samples ~ achieved x duration x 3 threads (0.9 .. 1.02)
  --blocking (-d 1): valid snapshot with samples; the burning main thread
        counts as running and burn_c is in it;
        afterwards the target is alive, no thread in state t/T, and it keeps
        burning
  SIGINT to pytop mid-batch (-d 30, signal 1 s after its sampler
        thread starts): exit 0, the -o file
        is a valid snapshot with samples, duration_s < 5; SIGTERM likewise
  the target ends cleanly on SIGTERM (exit 0, final truth written)

Per interpreter, against a threads target (burner-a/b/c, one hot function
each, work 1:2:3, taking turns; the two waiting ones block on their locks):

  accuracy across threads (-d 4): each burner's share of the hot functions'
        own time matches its share of thread_time inside its burn function
        within 5 points (see below); the json threads are the target's tids
        and names

Per interpreter, lifecycle:

  target exits mid-batch (--duration 1.5, pytop -d 10 -o FILE): exit 0 soon,
        FILE is a valid snapshot, duration_s < 10
  launch mode: `pytop --batch -f json -- PYTHON burn_target.py ...
        --exit-code 7 --chatter --ballast 256`: stdout is exactly one JSON
        object (the program's chatter went to stderr); pid, argv and burn_c
        in it; pytop exits 7 (--ballast made an exit-status race, since
        fixed, happen every time)
  launch mode, `PYTHON -c 'raise SystemExit(5)'`: exits 5, not a signal;
        stdout empty with a `pytop: ` message, or one JSON object
  launch mode, `PYTHON --no-such-option` (exits 2 before its interpreter is
        up): exits 2 with a `pytop: ` message and a JSON snapshot with a
        "note" (pytop crashed here before d23ec4b: session_close() after a
        failed session_open() drained a NULL ring)

Accuracy normalisation: pytop's own% are shares of every counted sample
(including the driver loop and anything else on the CPU); the target's
clocks cover only the calls of the hot functions. So both sides are reduced
to shares among the three hot functions only: pytop share_X = own_X /
(own_a + own_b + own_c), target share_X = t_X / (t_a + t_b + t_c), where t_X
is the time the target measured inside burn_X during the pytop run
(difference of two truths).

Which clock: thread_time (CPU time) in both targets: pytop's cpu mode weighs
each sample by the CPU time its thread used since its previous sample (the
kernel's schedstat), so a thread runnable but waiting for a core counts
nothing, and on a loaded machine the shares stay those of CPU time (the
perf_counter time inside each call, which includes waiting for a core, is
printed as the other clock). Shares are of own time (own_s), not samples.

Every subprocess has a timeout and every target is killed in a finally block.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pythons  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TARGET = os.path.normpath(os.path.join(HERE, "..", "targets", "burn_target.py"))
RUN_TIMEOUT = 60          # seconds for one pytop run, beyond its -d
TRUTH_TIMEOUT = 20        # seconds for the target to write a truth
HOT = ("burn_a", "burn_b", "burn_c")
IDLE = ("idle_sleep", "idle_wait")
ACCURACY_PP = 5.0         # percentage points
BOOKKEEPING_PCT = 5.0     # burn_serial's own share of the target's time, contended (true: ~0.1-1 %)
ACCURACY_SECONDS = 3
THREADS_SECONDS = 4
# 10x the default unit: bursts of 10-60 ms, few hand-overs. Around each
# hand-over pytop puts ~1 ms of the short burner's samples on the line after
# its burn call (thread_burn) rather than in burn_a (not understood yet; see
# the report of issue 3); with 5x the unit that cost burn_a up to 4.7 points.
THREADS_UNIT = 200000

class Run:
    """The outcome of one pytop run."""

    def __init__(self, argv, rc, stdout, stderr, elapsed, timed_out):
        self.argv = argv
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.elapsed = elapsed
        self.timed_out = timed_out

    def describe(self):
        lines = ["command: %s" % " ".join(self.argv)]
        if self.timed_out:
            lines.append("TIMED OUT (killed)")
        elif self.rc is not None and self.rc < 0:
            lines.append("KILLED BY SIGNAL %d (%s)" % (
                -self.rc, signal.Signals(-self.rc).name))
        else:
            lines.append("exit status %s after %.2f s" % (self.rc, self.elapsed))
        if self.stderr:
            lines.append("stderr:")
            lines.extend("  " + l for l in self.stderr.splitlines()[:20])
        return lines


def sampling_started(pid, deadline):
    """Wait until pytop PID runs its sampler thread (a second thread), or
    has exited, or DEADLINE passes."""
    while time.monotonic() < deadline:
        try:
            if len(os.listdir("/proc/%d/task" % pid)) >= 2:
                return
        except OSError:
            return
        time.sleep(0.01)


def run_pytop(argv, timeout, signal_after=None, sig=None):
    """Run ARGV; with SIGNAL_AFTER, send SIG to it that many seconds after
    it started sampling (attaching to a big -dbg interpreter on a busy
    machine can take a second by itself)."""
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    timed_out = False
    try:
        if signal_after is not None:
            sampling_started(proc.pid, start + timeout / 2)
            try:
                out, err = proc.communicate(timeout=signal_after)
            except subprocess.TimeoutExpired:
                proc.send_signal(sig)
                out, err = proc.communicate(timeout=timeout)
        else:
            out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        timed_out = True
    return Run(argv, proc.returncode, out, err.decode("utf-8", "replace"),
               time.monotonic() - start, timed_out)


def check(tap, description, func):
    """A test point from FUNC() -> (ok, diagnostics); an exception fails it."""
    try:
        ok, diagnostics = func()
    except Exception:
        ok, diagnostics = False, ["test raised:"] + \
            traceback.format_exc().splitlines()
    return tap.ok(ok, description, diagnostics)


def _reject_constant(name):
    raise ValueError("non-standard JSON constant %s" % name)


def parse_snapshot(text):
    """(object, []) or (None, diagnostics) for a JSON snapshot TEXT (bytes)."""
    try:
        text = text.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, ["not valid UTF-8: %s" % exc]
    try:
        obj = json.loads(text, parse_constant=_reject_constant)
    except ValueError as exc:
        return None, ["not exactly one JSON object: %s" % exc,
                      "starts: %r" % text[:300]]
    if not isinstance(obj, dict):
        return None, ["top level is %s, not an object" % type(obj).__name__]
    return obj, []


def run_json(run):
    """(snapshot or None, diagnostics) from a run that printed JSON."""
    if run.timed_out or run.rc != 0:
        return None, run.describe()
    obj, diags = parse_snapshot(run.stdout)
    return obj, diags + ([] if obj else run.describe())


def cmdline(pid):
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        raw = f.read()
    return " ".join(a.decode("utf-8", "replace")
                    for a in raw.rstrip(b"\0").split(b"\0"))


class Target:
    """burn_target.py under one interpreter: started, truth read, killed."""

    def __init__(self, interp, args=()):
        self.interp = interp
        self.args = list(args)
        self.proc = None
        self.error = None
        self.workdir = None
        self.truth = None

    def __enter__(self):
        self.workdir = self.interp.mkdtemp("pytop-batch-")
        self.truth_path = os.path.join(self.workdir, "truth.json")
        self.stderr_path = os.path.join(self.workdir, "target.out")
        with open(self.stderr_path, "wb") as out:
            self.proc = subprocess.Popen(
                self.interp.argv(self.interp.script(TARGET), self.interp.inside(self.truth_path)) + self.args,
                stdin=subprocess.DEVNULL, stdout=out, stderr=out)
        self.truth = self._wait_truth(lambda t: True)
        if self.truth is not None:
            self.cmdline = cmdline(self.proc.pid)
        return self

    @property
    def pid(self):
        return self.proc.pid

    def _read(self):
        try:
            with open(self.truth_path, encoding="utf-8") as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def _wait_truth(self, accept):
        deadline = time.monotonic() + TRUTH_TIMEOUT
        while time.monotonic() < deadline:
            truth = self._read()
            if truth is not None and accept(truth):
                return truth
            if self.proc.poll() is not None:
                truth = self._read()
                if truth is not None and accept(truth):
                    return truth
                self.error = "target exited with status %d" % self.proc.returncode
                return None
            time.sleep(0.02)
        self.error = "no (new) truth after %d s" % TRUTH_TIMEOUT
        return None

    def snapshot(self):
        """Ask for a fresh truth (SIGUSR1) and return it (None on failure)."""
        last = self._read()
        seq = last["seq"] if last else -1
        self.proc.send_signal(signal.SIGUSR1)
        return self._wait_truth(lambda t: t["seq"] > seq)

    def terminate(self):
        """SIGTERM; (exit status or None, final truth or None)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            return None, None
        truth = self._read()
        return rc, truth if truth and truth.get("final") else None

    def output(self):
        try:
            with open(self.stderr_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def __exit__(self, *exc):
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        if self.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
        return False


def batch(pytop, pid, *args):
    return [pytop, "-p", str(pid), "--batch"] + [str(a) for a in args]


def delta(before, after, key):
    return {name: after["hot"][name][key] - before["hot"][name][key]
            for name in HOT}


def shares(values):
    total = float(sum(values.values()))
    return {k: (100.0 * v / total if total > 0 else float("nan"))
            for k, v in values.items()}


def own_by_function(snap, file):
    """{name: own time in ms} of the hot functions in SNAP (rows of FILE
    only): cpu mode weighs samples by CPU time, so shares are of time."""
    own = {name: 0 for name in HOT}
    for row in snap.get("functions", []):
        if row.get("name") in own and row.get("file") == file:
            own[row["name"]] += int(round(1000 * row.get("own_s", 0)))
    return own


def check_accuracy(tap, label, snap, before, after, what, key="cpu_s"):
    """Shares among the hot functions (see the module doc): pytop's own
    samples against the target's own clock KEY ("cpu_s": thread_time,
    "wall_s": perf_counter) over the same window."""
    clock = {"cpu_s": "thread_time", "wall_s": "perf_counter"}[key]

    def compare():
        file = after["hot"]["burn_a"]["file"]
        own = own_by_function(snap, file)
        truth = delta(before, after, key)
        other = delta(before, after, "wall_s" if key == "cpu_s" else "cpu_s")
        mine, theirs, others = shares(own), shares(truth), shares(other)
        diags = ["%-7s pytop %5d ms = %5.1f %%   target %s %7.3f s = %5.1f %%" % (
            name, own[name], mine[name], clock, truth[name], theirs[name])
            for name in HOT]
        if sum(own.values()) < 200:
            return False, ["too little time in the hot functions (%d ms)"
                           % sum(own.values())] + diags
        worst = max(abs(mine[n] - theirs[n]) for n in HOT)
        tap.diag("%s: %s shares, pytop / %s (/ the other clock): %s; worst %.1f pp" % (
            label, what, clock, ", ".join("%s %.1f/%.1f/%.1f" % (
                n[-1], mine[n], theirs[n], others[n]) for n in HOT), worst))
        return worst <= ACCURACY_PP, diags
    check(tap, "%s: accuracy, %s: hot-function shares within %.0f points of "
          "%s" % (label, what, ACCURACY_PP, clock), compare)


def check_json_layout(tap, label, snap):
    def keys():
        problems = []

        def want(obj, key, types, where):
            if not isinstance(obj, dict) or key not in obj:
                problems.append("%s: missing %r" % (where, key))
                return None
            value = obj[key]
            if not isinstance(value, types) or isinstance(value, bool):
                problems.append("%s.%s is %r (%s), wanted %s" % (
                    where, key, value, type(value).__name__,
                    "/".join(t.__name__ for t in types)))
            return value
        num = (int, float)
        want(snap, "pytop", (str,), "top")
        target = want(snap, "target", (dict,), "top")
        if isinstance(target, dict):
            want(target, "pid", (int,), "target")
            want(target, "python", (str,), "target")
            want(target, "argv", (str,), "target")
        for key in ("duration_s", "rate_hz", "achieved_rate_hz"):
            want(snap, key, num, "top")
        for key in ("samples", "dropped", "errors"):
            want(snap, key, (int,), "top")
        want(snap, "mode", (str,), "top")
        for key, fields in (
                ("functions", (("name", (str,)), ("file", (str,)), ("line", (int,)),
                               ("own", (int,)), ("total", (int,)),
                               ("own_pct", num), ("total_pct", num))),
                ("lines", (("name", (str,)), ("file", (str,)), ("line", (int,)),
                           ("own", (int,)), ("own_pct", num))),
                ("threads", (("tid", (int,)), ("name", (str,)),
                             ("samples", (int,))))):
            rows = want(snap, key, (list,), "top")
            for i, row in enumerate(rows or []):
                for field, types in fields:
                    want(row, field, types, "%s[%d]" % (key, i))
                if len(problems) > 20:
                    break
        return not problems, problems
    check(tap, "%s: json has the documented keys and types" % label, keys)


def check_json_target(tap, label, snap, target, mode, duration):
    def compare():
        problems = []
        t = snap.get("target", {})
        expect = [("target.pid", t.get("pid"), target.pid),
                  ("target.python", t.get("python"), target.truth["python"]),
                  ("target.argv", t.get("argv"), target.cmdline),
                  ("mode", snap.get("mode"), mode),
                  ("pytop", bool(snap.get("pytop")), True)]
        for what, got, want in expect:
            if got != want:
                problems.append("%s: expected %r, got %r" % (what, want, got))
        d = snap.get("duration_s", 0)
        if not (duration * 0.95 <= d <= duration + 1.0):
            problems.append("duration_s %r, -d was %s" % (d, duration))
        if not snap.get("samples"):
            problems.append("no samples")
        return not problems, problems
    check(tap, "%s: json target pid/python/argv, mode %s, duration" % (label, mode),
          compare)


def check_json_threads(tap, label, snap, truth):
    def compare():
        want = {t["tid"]: t["name"] for t in truth["threads"]}
        got = {}
        problems = []
        for row in snap.get("threads", []):
            if row.get("tid") in got:
                problems.append("tid %r listed twice" % row.get("tid"))
            got[row.get("tid")] = row.get("name")
            if not row.get("samples"):
                problems.append("tid %r has no samples" % row.get("tid"))
        if got != want:
            problems.append("expected {tid: name} %r" % want)
            problems.append("got                  %r" % got)
        return not problems, problems
    check(tap, "%s: json threads are the target's tids and names (%d)" % (
        label, len(truth["threads"])), compare)


def check_counts(tap, label, snap, mode):
    """Own summed over functions is the counted samples of the mode."""
    def compare():
        own = sum(r.get("own", 0) for r in snap.get("functions", []))
        pct = sum(r.get("own_pct", 0) for r in snap.get("functions", []))
        problems = []
        if mode == "cpu":
            # cpu mode weighs each sample by its thread's CPU time: own
            # time over functions is the threads' counted time.
            own_s = sum(r.get("own_s", 0) for r in snap.get("functions", []))
            time_s = sum(t.get("time_s", 0) for t in snap.get("threads", [])) + \
                ((snap.get("threads_folded") or {}).get("time_s") or 0)
            if abs(own_s - time_s) > 0.001 + 0.001 * time_s:
                problems.append("sum of own_s %r, threads' time_s %r" % (own_s, time_s))
            if own > snap.get("samples", 0):
                problems.append("sum of own %d > samples %r" % (own, snap.get("samples")))
        elif own != snap.get("samples"):
            problems.append("sum of own %d, samples %r" % (own, snap.get("samples")))
        if own and abs(pct - 100.0) > 0.01:
            problems.append("own_pct sums to %r, not 100" % pct)
        return not problems, problems
    check(tap, "%s: json %s: own summed over functions == counted samples, "
          "own_pct sums to 100" % (label, mode), compare)


def check_hot_lines(tap, label, snap, truth):
    def compare():
        problems = []
        for name in HOT:
            info = truth["hot"][name]
            rows = [r for r in snap.get("lines", [])
                    if r.get("name") == name and r.get("file") == info["file"]]
            if not rows:
                problems.append("%s: no lines rows" % name)
                continue
            top = max(rows, key=lambda r: r.get("own", 0))
            total = sum(r.get("own", 0) for r in rows)
            if top.get("line") != info["hot_line"]:
                problems.append("%s: top line %r (own %r), hot loop is line %d" % (
                    name, top.get("line"), top.get("own"), info["hot_line"]))
            elif top["own"] < 0.9 * total:
                problems.append("%s: hot line has only %d of %d own samples" % (
                    name, top["own"], total))
            funcs = [r for r in snap.get("functions", []) if r.get("name") == name]
            if [(r.get("file"), r.get("line")) for r in funcs] != \
                    [(info["file"], info["first_line"])]:
                problems.append("%s: function rows %r, expected file %s line %d" % (
                    name, [(r.get("file"), r.get("line")) for r in funcs],
                    info["file"], info["first_line"]))
        return not problems, problems
    check(tap, "%s: json lines: each hot function's top line is its hot loop" % label,
          compare)


def check_idle(tap, label, snap, truth, present):
    def compare():
        rows = {r.get("name"): r for r in snap.get("functions", [])
                if r.get("name") in IDLE}
        problems = []
        if not present:
            for name in IDLE:
                if name in rows:
                    problems.append("%s appears: %r" % (name, rows[name]))
            return not problems, problems
        samples = {t.get("name"): t.get("samples", 0) for t in snap.get("threads", [])}
        for name, thread in (("idle_sleep", "idle-sleeper"), ("idle_wait", "idle-waiter")):
            row = rows.get(name)
            if row is None:
                problems.append("%s missing" % name)
            elif row.get("total", 0) < 0.98 * samples.get(thread, 0):
                problems.append("%s total %d, its thread %s has %d samples" % (
                    name, row.get("total", 0), thread, samples.get(thread, 0)))
        return not problems, problems
    return compare


TEXT_HEADER = [
    r"pytop \S+ - pid (\d+), mode (\w+)",
    r"Command:  (.*)",
    r"Python:   (\S+)",
    r"Duration: (\S+)",
    r"Samples:  (\d+) \((\d+\.\d) Hz achieved, (\d+\.\d) Hz configured\)",
    r"Dropped:  (\d+)",
    r"Errors:   (\d+)(?: \(\d+ torn, \d+ unreadable, \d+ other\))?",
]
TEXT_EXTRA_HEADER = re.compile(r"^[A-Z][A-Za-z ]*: +\S")
TEXT_ROW = re.compile(r"^ *(\d+\.\d) +(\d+\.\d) +(\S+) +(\S+)  (.*) \((.*):(-?\d+)\)$")
THREAD_ROW = re.compile(r"^ *(\d+)  (.*?) +(\d+) +(\d+\.\d)% +(\d+\.\d)% +(\d+\.\d)% +(\d+\.\d)% +(\S+) +(\S+)$")


def check_text(tap, label, run, target):
    def compare():
        if run.timed_out or run.rc != 0:
            return False, run.describe()
        lines = run.stdout.decode("utf-8", "replace").split("\n")
        problems = []
        for i, pattern in enumerate(TEXT_HEADER):
            got = lines[i] if i < len(lines) else None
            m = re.match("^" + pattern + "$", got or "")
            if not m:
                problems.append("line %d: %r does not match %r" % (i + 1, got, pattern))
            elif i == 0 and (int(m.group(1)) != target.pid or m.group(2) != "cpu"):
                problems.append("line 1: pid/mode %r" % got)
            elif i == 1 and m.group(1) != target.cmdline:
                problems.append("Command: %r, expected %r" % (m.group(1), target.cmdline))
            elif i == 2 and m.group(1) != target.truth["python"]:
                problems.append("Python: %r" % m.group(1))
        i = len(TEXT_HEADER)
        while i < len(lines) and lines[i]:
            if not TEXT_EXTRA_HEADER.match(lines[i]):
                problems.append("header line %d: %r is not `Key: value`" % (i + 1, lines[i]))
            i += 1
        if problems:
            return False, problems + lines[:12]
        i += 1
        columns = lines[i] if i < len(lines) else ""
        if columns.split() != ["%Own", "%Total", "OwnTime", "TotalTime",
                               "Function", "(file:line)"]:
            problems.append("column header %r" % columns)
        rows = []
        i += 1
        while i < len(lines) and lines[i]:
            m = TEXT_ROW.match(lines[i])
            if not m:
                problems.append("row %r does not parse" % lines[i])
            else:
                rows.append(m)
            i += 1
        if not rows:
            problems.append("no function rows")
        else:
            first = rows[0]
            info = target.truth["hot"]["burn_c"]
            if (first.group(5), first.group(6), int(first.group(7))) != \
                    ("burn_c", info["file"], info["first_line"]):
                problems.append("first row %r, expected burn_c (%s:%d)" % (
                    first.group(0), info["file"], info["first_line"]))
            owns = [float(m.group(1)) for m in rows]
            if owns != sorted(owns, reverse=True):
                problems.append("rows not sorted by %%Own: %r" % owns[:10])
        # Thread table: a blank line, its header, one row per thread.
        i += 1
        if i >= len(lines) or lines[i].split() != ["TID", "Name", "Samples", "Running",
                                                   "Idle", "GILWait", "HasGIL", "CPU", "Time"]:
            problems.append("thread table header %r" % (lines[i] if i < len(lines) else None))
        threads = {}
        for line in lines[i + 1:]:
            if not line:
                break         # the end of the table (other sections may follow)
            m = THREAD_ROW.match(line)
            if not m:
                problems.append("thread row %r does not parse" % line)
            else:
                threads[int(m.group(1))] = m.group(2)
        want = {t["tid"]: t["name"] for t in target.truth["threads"]}
        if threads != want:
            problems.append("threads %r, expected %r" % (threads, want))
        return not problems, problems + (["output:"] + lines[:40] if problems else [])
    check(tap, "%s: text: header fields, columns, rows, thread table" % label, compare)


FRAME = re.compile(r"^(.*) \((.*):(-?\d+)\)$")


def parse_collapsed(data):
    """([(frames [(name, file, line)], count)], problems)."""
    stacks, problems = [], []
    text = data.decode("utf-8", "replace")
    if text and not text.endswith("\n"):
        problems.append("output does not end with a newline")
    for line in text.splitlines():
        m = re.match(r"^(.+) (\d+)$", line)
        if not m:
            problems.append("line %r is not `stack count`" % line)
            continue
        frames = []
        for part in m.group(1).split(";"):
            f = FRAME.match(part)
            if not f:
                problems.append("frame %r is not `name (file:line)`" % part)
                break
            frames.append((f.group(1), f.group(2), int(f.group(3))))
        else:
            stacks.append((frames, int(m.group(2))))
    return stacks, problems


def check_collapsed(tap, label, run, truth, rate, duration):
    def compare():
        if run.timed_out or run.rc != 0:
            return False, run.describe()
        stacks, problems = parse_collapsed(run.stdout)
        if not stacks:
            return False, problems + ["no stacks"]
        file = truth["hot"]["burn_a"]["file"]
        for name in HOT:
            want = truth["stacks"][name]
            mine = [(f, c) for f, c in stacks if f[-1][0] == name]
            if not mine:
                problems.append("%s never a leaf" % name)
                continue
            for frames, count in mine:
                names = [f[0] for f in frames]
                if names != want:
                    problems.append("stack %r, expected root-first %r" % (names, want))
            at_hot = sum(c for f, c in mine
                         if f[-1][1:] == (file, truth["hot"][name]["hot_line"]))
            if at_hot < 0.9 * sum(c for f, c in mine):
                problems.append("%s: only %d of %d leaf samples at the hot line" % (
                    name, at_hot, sum(c for f, c in mine)))
        total = sum(c for f, c in stacks)
        sleeper = [c for f, c in stacks if f[-1][0] == "idle_sleep"]
        nthreads = len(truth["threads"])
        if len(sleeper) != 1:
            problems.append("idle_sleep leaf stacks: %r (expected exactly one)" % sleeper)
        elif not (nthreads * sleeper[0] * 0.99 <= total <= nthreads * sleeper[0]):
            # A stack that changed while it was read is dropped and counted
            # as an error, never recorded (issue 8): a busy thread may miss a
            # few rounds (at most 1%), the idle-sleeper none.
            problems.append("counts sum to %d, expected %d threads x %d rounds "
                            "(the idle-sleeper's count), less at most 1%% dropped "
                            "changed stacks" % (total, nthreads, sleeper[0]))
        # pytop stops up to one 10 ms drain tick after -d: allow 50 ms.
        bound = rate * duration * nthreads
        if not (0.5 * bound <= total <= rate * (duration + 0.05) * nthreads):
            problems.append("counts sum to %d, rate x duration x threads = %d"
                            % (total, bound))
        return not problems, problems[:30]
    check(tap, "%s: collapsed: `frame;...;frame count`, root-first, hot leaves "
          "at their hot lines, counts sum to the samples" % label, compare)


def check_collapsed_cpu(tap, label, run, truth, rate, duration, before, after):
    """cpu mode: a stack's weight is its CPU time in us; BEFORE and AFTER
    are the target's truth around the run (None: not known)."""
    def compare():
        if run.timed_out or run.rc != 0:
            return False, run.describe()
        stacks, problems = parse_collapsed(run.stdout)
        leaves = {f[-1][0] for f, c in stacks}
        frames = {fr[0] for f, c in stacks for fr in f}
        if not set(HOT) <= leaves:
            problems.append("hot functions missing as leaves: %r" % (set(HOT) - leaves))
        if frames & set(IDLE):
            problems.append("idle functions in cpu mode: %r" % (frames & set(IDLE)))
        if before is None or after is None:
            problems.append("no truth around the run")
        else:
            # pytop saw part of the run (its start-up is in it too): at
            # most the target's CPU; how much less depends on the machine's
            # load, but a burning thread gets more us of CPU than the
            # samples a run can take, which would be the weight of counts.
            mine = sum(c for f, c in stacks if f[-1][0] in HOT)
            used = sum(delta(before, after, "cpu_s").values())
            most = rate * (duration + 0.05) * len(truth["threads"])
            if not (most < mine <= (1.02 * used + 0.01) * 1e6):
                problems.append("hot leaves weigh %d (us), the target's thread_time over the "
                                "run %.6f s, the most samples the run could take %d" % (mine, used, most))
        return not problems, problems[:30]
    check(tap, "%s: collapsed cpu mode: weights are CPU us (the target's CPU), hot leaves, "
          "no idle function" % label, compare)


def check_signal(tap, label, pytop, target, sig):
    out = os.path.join(target.workdir, "sig-%d.json" % sig)
    run = run_pytop(batch(pytop, target.pid, "-d", 30, "-f", "json", "-o", out),
                    timeout=RUN_TIMEOUT, signal_after=1.0, sig=sig)

    def compare():
        problems = []
        if run.timed_out or run.rc != 0:
            return False, run.describe()
        try:
            with open(out, "rb") as f:
                snap, problems = parse_snapshot(f.read())
        except OSError as exc:
            return False, ["no snapshot file: %s" % exc] + run.describe()
        if snap is not None:
            if not snap.get("samples"):
                problems.append("no samples")
            if not snap.get("duration_s", 99) < 5:
                problems.append("duration_s %r, expected about 1" % snap.get("duration_s"))
            if snap.get("target", {}).get("pid") != target.pid:
                problems.append("target.pid %r" % snap.get("target", {}).get("pid"))
        if run.stdout:
            problems.append("stdout not empty with -o: %r" % run.stdout[:200])
        return not problems, problems
    check(tap, "%s: %s to pytop mid-batch: exit 0, snapshot written" % (
        label, signal.Signals(sig).name), compare)


def check_alive(tap, label, target, what):
    def compare():
        if target.proc.poll() is not None:
            return False, ["target exited with %r" % target.proc.returncode]
        bad = ["tid %d in state %s" % (tid, s)
               for tid, s in sorted(pythons.proc_states(target.pid).items()) if s in "tTZX"]
        if bad:
            return False, bad
        before = target.snapshot()
        time.sleep(0.3)
        after = target.snapshot()
        if before is None or after is None:
            return False, ["no truth: %s" % target.error]
        if after["hot"]["burn_a"]["calls"] <= before["hot"]["burn_a"]["calls"]:
            return False, ["the target made no progress in 0.3 s"]
        return True, []
    check(tap, "%s: target alive, not stopped, still burning %s" % (label, what),
          compare)


def test_serial(tap, pytop, interp):
    label = interp.label
    with Target(interp) as target:
        if not tap.ok(target.truth is not None,
                      "%s: serial target started and wrote its truth" % label,
                      [target.error or ""] + target.output().splitlines()):
            return
        truth = target.truth
        pid = target.pid

        # cpu mode: accuracy, lines, layout, threads, idle absent.
        before = target.snapshot()
        run = run_pytop(batch(pytop, pid, "-d", ACCURACY_SECONDS, "-f", "json"),
                        timeout=ACCURACY_SECONDS + RUN_TIMEOUT)
        after = target.snapshot()
        snap, diags = run_json(run)
        if run.stderr and snap is not None:
            diags.append("(stderr was not empty: %r)" % run.stderr[:200])
        tap.ok(snap is not None and not run.stderr,
               "%s: json cpu -d %d: exit 0, stdout is one JSON object, "
               "stderr empty" % (label, ACCURACY_SECONDS), diags)
        if snap is not None:
            tap.diag("%s: cpu -d %d: %d samples, %.1f Hz achieved, %d dropped, "
                     "%d errors" % (label, ACCURACY_SECONDS, snap.get("samples", 0),
                                    snap.get("achieved_rate_hz", 0),
                                    snap.get("dropped", 0), snap.get("errors", 0)))
            check_json_layout(tap, label, snap)
            check_json_target(tap, label, snap, target, "cpu", ACCURACY_SECONDS)
            check_json_threads(tap, label, snap, truth)
            check_counts(tap, label, snap, "cpu")
            if before is None or after is None:
                tap.ok(False, "%s: accuracy: truth before/after" % label,
                       [target.error or ""])
            else:
                check_accuracy(tap, label, snap, before, after, "serial 1:2:3")
            check_hot_lines(tap, label, snap, truth)
            check(tap, "%s: cpu mode: idle_sleep and idle_wait do not appear" % label,
                  check_idle(tap, label, snap, truth, present=False))

        # wall mode and --idle: the idle threads' functions appear.
        for args, what in ((["-m", "wall"], "-m wall"), (["--idle"], "--idle")):
            run = run_pytop(batch(pytop, pid, "-d", 2, "-f", "json", *args),
                            timeout=2 + RUN_TIMEOUT)
            snap, diags = run_json(run)
            if not tap.ok(snap is not None and snap.get("mode") == "wall",
                          "%s: json %s: valid, mode \"wall\"" % (label, what),
                          diags + ["mode %r" % (snap or {}).get("mode")]):
                continue
            check(tap, "%s: %s: idle_sleep and idle_wait appear, on the stack "
                  "in every sample of their threads" % (label, what),
                  check_idle(tap, label, snap, truth, present=True))
            check_counts(tap, "%s %s" % (label, what), snap, "wall")

        # text
        run = run_pytop(batch(pytop, pid, "-d", 1), timeout=1 + RUN_TIMEOUT)
        check_text(tap, label, run, target)

        # collapsed, wall mode (every thread every round) and cpu mode
        run = run_pytop(batch(pytop, pid, "-d", 2, "-f", "collapsed", "-m", "wall"),
                        timeout=2 + RUN_TIMEOUT)
        check_collapsed(tap, label, run, truth, 1000, 2)
        before = target.snapshot()
        run = run_pytop(batch(pytop, pid, "-d", 1, "-f", "collapsed"),
                        timeout=1 + RUN_TIMEOUT)
        after = target.snapshot()
        check_collapsed_cpu(tap, label, run, truth, 1000, 1, before, after)

        # rates
        run = run_pytop(batch(pytop, pid, "-d", 2, "-r", 200, "-f", "json"),
                        timeout=2 + RUN_TIMEOUT)
        snap, diags = run_json(run)

        def rate():
            if snap is None:
                return False, diags
            problems = []
            achieved = snap.get("achieved_rate_hz", 0)
            if snap.get("rate_hz") != 200:
                problems.append("rate_hz %r" % snap.get("rate_hz"))
            if not abs(achieved - 200) <= 20:
                problems.append("achieved_rate_hz %r, not within 10 %% of 200" % achieved)
            nthreads = len(truth["threads"])
            expect = achieved * snap.get("duration_s", 0) * nthreads
            ratio = snap.get("samples", 0) / expect if expect else 0
            if not 0.9 <= ratio <= 1.02:
                problems.append("samples %r vs achieved x duration x %d threads = "
                                "%.0f (ratio %.3f)" % (snap.get("samples"), nthreads,
                                                       expect, ratio))
            if snap.get("dropped") != 0:
                problems.append("dropped %r" % snap.get("dropped"))
            tap.diag("%s: -r 200 -d 2: %s samples, %.1f Hz achieved, duration %.3f s"
                     % (label, snap.get("samples"), achieved, snap.get("duration_s", 0)))
            return not problems, problems
        check(tap, "%s: -r 200 -d 2: achieved rate within 10 %%, samples ~ "
              "rate x duration x threads" % label, rate)

        # --blocking
        run = run_pytop(batch(pytop, pid, "-d", 1, "--blocking", "-f", "json"),
                        timeout=1 + RUN_TIMEOUT)
        snap, diags = run_json(run)
        tap.ok(snap is not None and snap.get("samples", 0) > 0,
               "%s: --blocking: valid snapshot with samples" % label,
               diags + ["samples %r" % (snap or {}).get("samples")])
        if snap is not None:
            tap.diag("%s: --blocking -d 1: %d samples, %.1f Hz achieved" % (
                label, snap.get("samples", 0), snap.get("achieved_rate_hz", 0)))
            main_tid = truth["threads"][0]["tid"]
            states = {t.get("tid"): t.get("states", {}) for t in snap.get("threads", [])}
            own = own_by_function(snap, truth["hot"]["burn_a"]["file"])
            main_states = states.get(main_tid, {})
            tap.ok(own["burn_c"] > 0 and main_states.get("running", 0) > 0,
                   "%s: --blocking, cpu mode: the burning main thread counts as "
                   "running, burn_c in the functions" % label,
                   ["hot own %r, main thread states %r" % (own, main_states)])
        check_alive(tap, label, target, "after --blocking")

        # signals to pytop mid-batch
        check_signal(tap, label, pytop, target, signal.SIGINT)
        check_signal(tap, label, pytop, target, signal.SIGTERM)

        rc, final = target.terminate()
        tap.ok(rc == 0 and final is not None,
               "%s: the target ends cleanly on SIGTERM (exit 0, final truth)" % label,
               ["exit status %r, final truth %s" % (rc, final is not None)]
               + target.output().splitlines()[-20:])


def test_threads(tap, pytop, interp):
    label = interp.label + " threads"
    with Target(interp, ["--mode", "threads", "--unit", str(THREADS_UNIT)]) as target:
        if not tap.ok(target.truth is not None,
                      "%s: target started and wrote its truth" % label,
                      [target.error or ""] + target.output().splitlines()):
            return
        before = target.snapshot()
        run = run_pytop(batch(pytop, target.pid, "-d",
                              THREADS_SECONDS, "-f", "json"),
                        timeout=THREADS_SECONDS + RUN_TIMEOUT)
        after = target.snapshot()
        snap, diags = run_json(run)
        if not tap.ok(snap is not None, "%s: json cpu -d %d: valid" % (
                label, THREADS_SECONDS), diags):
            return
        check_json_threads(tap, label, snap, target.truth)
        if before is None or after is None:
            tap.ok(False, "%s: accuracy: truth before/after" % label,
                   [target.error or ""])
        else:
            check_accuracy(tap, label, snap, before, after,
                           "3 threads 1:2:3 in turns", key="cpu_s")


def test_lifecycle(tap, pytop, interp):
    label = interp.label

    # The target exits mid-batch.
    with Target(interp, ["--duration", "1.5"]) as target:
        if tap.ok(target.truth is not None,
                  "%s: short target started" % label, [target.error or ""]):
            out = os.path.join(target.workdir, "exit.json")
            run = run_pytop(batch(pytop, target.pid, "-d", 10, "-f", "json", "-o", out),
                            timeout=10 + RUN_TIMEOUT)

            def exited():
                if run.timed_out or run.rc != 0:
                    return False, run.describe()
                try:
                    with open(out, "rb") as f:
                        snap, problems = parse_snapshot(f.read())
                except OSError as exc:
                    return False, ["no snapshot file: %s" % exc]
                if snap is not None:
                    if not snap.get("duration_s", 99) < 10:
                        problems.append("duration_s %r" % snap.get("duration_s"))
                    if not snap.get("samples"):
                        problems.append("no samples")
                if run.elapsed > 8:
                    problems.append("pytop took %.1f s" % run.elapsed)
                return not problems, problems
            check(tap, "%s: target exits mid-batch: exit 0 in %.1f s, snapshot "
                  "written, duration_s < -d" % (label, run.elapsed), exited)

    # Launch mode: the program's exit status, stdout kept off the snapshot.
    # The program holds 256 MB when it exits (--ballast), which made a since
    # fixed exit-status race of pytop's happen every time: it must not come
    # back.
    workdir = interp.mkdtemp("pytop-launch-")
    try:
        truth_path = os.path.join(workdir, "truth.json")
        argv = interp.argv(interp.script(TARGET), interp.inside(truth_path), "--duration", "1.5",
                           "--exit-code", "7", "--chatter", "--ballast", "256")
        run = run_pytop([pytop, "--batch", "-f", "json", "--"] + argv,
                        timeout=RUN_TIMEOUT)

        def launched():
            if run.timed_out or (run.rc or 0) < 0:
                return False, run.describe()
            snap, problems = parse_snapshot(run.stdout)
            try:
                with open(truth_path, encoding="utf-8") as f:
                    truth = json.load(f)
            except (OSError, ValueError) as exc:
                return False, problems + ["no truth: %s" % exc]
            if snap is not None:
                t = snap.get("target", {})
                if t.get("pid") != truth["pid"]:
                    problems.append("target.pid %r, the program was %r" % (
                        t.get("pid"), truth["pid"]))
                # A chrooted program's command line is the interpreter's,
                # after the unshare/sh/chroot steps exec'd it.
                if t.get("argv") != " ".join(argv[len(pythons.chroot_prefix(interp.root)):]):
                    problems.append("target.argv %r" % t.get("argv"))
                if t.get("python") != truth["python"]:
                    problems.append("target.python %r" % t.get("python"))
                if not own_by_function(snap, truth["hot"]["burn_c"]["file"])["burn_c"]:
                    problems.append("burn_c not in the snapshot")
                if not snap.get("duration_s", 0) > 1.0:
                    problems.append("duration_s %r, the program ran 1.5 s"
                                    % snap.get("duration_s"))
            if "chatter" not in run.stderr:
                problems.append("the program's stdout is not on pytop's stderr")
            return not problems, problems + (run.describe() if problems else [])
        check(tap, "%s: launch mode: stdout is only the JSON snapshot of the "
              "program, its stdout on pytop's stderr" % label, launched)
        tap.ok(not run.timed_out and run.rc == 7 and "still running" not in run.stderr,
               "%s: launch mode: sys.exit(7) -> pytop exits 7" % label,
               ["exit status %r" % run.rc] +
               [l for l in run.stderr.splitlines() if "chatter" not in l])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    # Launch mode, a program that fails at once.
    code = "raise SystemExit(5)"
    run = run_pytop([pytop, "--batch", "-f", "json", "--"] + interp.argv("-c", code),
                    timeout=RUN_TIMEOUT)

    def failed():
        if run.timed_out or run.rc != 5:
            return False, ["expected exit status 5"] + run.describe()
        if run.stdout:
            snap, problems = parse_snapshot(run.stdout)
            return snap is not None, problems
        if not run.stderr.startswith("pytop: "):
            return False, ["no snapshot and no `pytop: ` message"] + run.describe()
        return True, []
    ok, diags = failed()
    tap.ok(ok, "%s: launch mode, %s: exit 5, a message or a snapshot" % (label, code), diags)

    if interp.root:
        # pytop launches the chroot wrapper (unshare, sh, chroot), not a
        # python: a program that ends before any interpreter is seen is not
        # known to be Python, so the "too short to sample" case can't be told.
        tap.skip("%s: launch mode, python --no-such-option" % label,
                 "the launched program is the chroot wrapper, not python")
        return
    run = run_pytop([pytop, "--batch", "-f", "json", "--"] + interp.argv("--no-such-option"),
                    timeout=RUN_TIMEOUT)
    lines = run.stderr.splitlines()
    snap, _ = parse_snapshot(run.stdout)
    tap.ok(not run.timed_out and run.rc == 2 and snap is not None and "note" in snap and
           any(l.startswith("pytop: ") and "exited" in l for l in lines),
           "%s: launch mode, python --no-such-option (exits before its "
           "interpreter is up): exit 2, a `pytop: ` message, an empty snapshot "
           "with a note" % label,
           run.describe())


def test_usage(tap, pytop):
    for value in ("0", "abc", "-5", "100001", ""):
        run = run_pytop([pytop, "-p", "1", "--batch", "-r", value], timeout=RUN_TIMEOUT)
        lines = run.stderr.splitlines()
        tap.ok(not run.timed_out and run.rc == 2 and len(lines) == 1 and
               lines[0].startswith("pytop: ") and not run.stdout,
               "usage: -r %r is a usage error (exit 2, one `pytop: ` line)" % value,
               run.describe())


def test_contended(tap, pytop, interp, cpu=0, other=1):
    """The serial target and a CPU hog pinned to CPU cpu, pytop to other: the
    target waits for its core about half the time, and a sample that finds
    it waiting sees it where it was preempted. The kernel notices that a
    slice has run out when the target next calls into it, so preemption
    falls on the target's own thread_time() call after each burn (its
    bookkeeping line in burn_serial): counting those samples gave that
    line, with about 0.1 % of the CPU, a third of the profile (and burn_a
    2-6 points too little with 4 hogs on 2 CPUs)."""
    label = "%s contended (CPU %d, pytop %d)" % (interp.label, cpu, other)
    if (os.cpu_count() or 1) < 2 or not hasattr(os, "sched_setaffinity"):
        tap.skip("%s: a target sharing its CPU with a hog" % label, "needs 2 CPUs")
        return
    mask = os.sched_getaffinity(0)
    if not {0, 1} <= mask:
        tap.skip("%s: a target sharing its CPU with a hog" % label, "CPUs 0 and 1 not both allowed")
        return
    with Target(interp) as target:
        if not tap.ok(target.truth is not None, "%s: serial target started" % label,
                      [target.error or ""] + target.output().splitlines()):
            return
        pinned = pythons.pin_threads(target.pid, {cpu})
        hog = pythons.pinned_hog(cpu)
        try:
            time.sleep(0.3)
            before = target.snapshot()
            os.sched_setaffinity(0, {other})
            try:
                run = run_pytop(batch(pytop, target.pid, "-d", ACCURACY_SECONDS, "-f", "json"),
                                timeout=ACCURACY_SECONDS + RUN_TIMEOUT)
            finally:
                os.sched_setaffinity(0, mask)
            after = target.snapshot()
        finally:
            hog.kill()
            hog.wait()
        snap, diags = run_json(run)
        if not tap.ok(snap is not None and before and after and pinned > 0,
                      "%s: json cpu -d %d with a hog on the target's CPU: exit 0" % (label, ACCURACY_SECONDS),
                      diags + ["threads pinned %d" % pinned]):
            return
        check_accuracy(tap, label, snap, before, after, "serial 1:2:3, half the time waiting for a core")
        overhead = snap.get("overhead") or {}
        off, reads, samples = overhead.get("off_cpu_samples"), overhead.get("sched_reads"), snap.get("samples", 0)
        late = overhead.get("late_samples")
        # The main thread waits for its core about half the time (of 3 threads sampled).
        tap.ok(isinstance(off, int) and isinstance(reads, int) and samples > 0 and
               0.05 * samples <= off <= 0.5 * samples and reads >= off,
               "%s: overhead.off_cpu_samples: the samples that found the target waiting for its core "
               "(5-50 %% of all), each told by a sched file read" % label,
               ["off_cpu_samples %r, sched_reads %r, samples %r" % (off, reads, samples)])
        # Rounds that began late (the sampler's CPU is free here: a few).
        tap.ok(isinstance(late, int) and isinstance(off, int) and 0 <= late <= samples - off,
               "%s: overhead.late_samples: the waiting thread's samples in rounds that began late, "
               "not told (an int, at most the samples not found waiting)" % label,
               ["late_samples %r, off_cpu_samples %r, samples %r" % (late, off, samples)])

        def bookkeeping():
            file = after["hot"]["burn_a"]["file"]
            own = {}
            for row in snap.get("functions", []):
                if row.get("file") == file:
                    own[row.get("name")] = own.get(row.get("name"), 0) + row.get("own_s", 0)
            main = sum(own.values())
            share = 100.0 * own.get("burn_serial", 0) / main if main else 100.0
            tap.diag("%s: burn_serial's own time: %.1f %% of %.3f s" % (label, share, main))
            return main > 0.2 and share < BOOKKEEPING_PCT, [
                "burn_serial's own time %.1f %% of the target's functions' %.3f s" % (share, main)] + [
                "%s %.3f s" % kv for kv in sorted(own.items())]
        check(tap, "%s: cpu mode: the target's bookkeeping line (where the kernel preempts it) has under "
              "%.0f %% of its time" % (label, BOOKKEEPING_PCT), bookkeeping)


def main():
    tap = pythons.Tap()
    pytop = pythons.pytop_binary()
    if not (os.path.isfile(pytop) and os.access(pytop, os.X_OK)):
        tap.bail("pytop binary not found at %s (set PYTOP)" % pytop)
    tap.diag("pytop: %s" % pytop)
    tap.diag("target: %s" % TARGET)
    started = time.monotonic()
    test_usage(tap, pytop)
    for interp in list(pythons.interpreters(tap, chroot=True)):
        t0 = time.monotonic()
        tap.diag("--- %s (%s)" % (interp.label, interp.path))
        test_serial(tap, pytop, interp)
        test_threads(tap, pytop, interp)
        test_contended(tap, pytop, interp)
        test_contended(tap, pytop, interp, 1, 0)
        test_lifecycle(tap, pytop, interp)
        tap.diag("%s: %.1f s" % (interp.label, time.monotonic() - t0))
    tap.diag("total %.1f s" % (time.monotonic() - started))
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
