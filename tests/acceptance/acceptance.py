"""Shared parts of the acceptance suite (tests/acceptance/test_*.py).

The acceptance suite runs pytop on realistic targets (tests/targets/acc_*.py)
that report their own ground truth (acc_truth.py: tids, threading names,
thread_time, counters) and checks pytop's figures against that truth and
against /proc. See tests/acceptance/README for what each test asserts.

Interpreters: by default a subset, to keep CI time reasonable: the newest
pyenv 3.8, Debian's static /usr/bin/python3.11, the newest pyenv 3.13 and
the Debian unstable root's newest release build (python3.15, chrooted; see
tests/live/pythons.py) (a missing one is a TAP SKIP); a test may add older
pyenv minors (main_loop's `older`). PYTOP_TEST_PYTHONS overrides the list,
as for tests/live (see tests/live/pythons.py).

Binaries: the pytop under test ($PYTOP, see pythons.pytop_binary()); when
$PYTOP_SAN_BINARY names a sanitizer build (./bootstrap --enable-sanitizers in
a second clone), the no-crash points run under it too (stderr must carry no
sanitizer report).

Every subprocess has a timeout; every target is killed in a finally block.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
TARGETS = os.path.join(REPO, "tests", "targets")
sys.path.insert(0, os.path.join(REPO, "tests", "live"))
import pythons  # noqa: E402

PYTOP = pythons.pytop_binary()
READY_TIMEOUT = 30          # seconds for a target to write its first truth
RUN_SLACK = 60              # seconds a pytop run may take beyond its -d
CLK_TCK = os.sysconf("SC_CLK_TCK")
SAN_REPORT = re.compile(r"ERROR: (Address|Leak|Thread|Memory)Sanitizer|runtime error:|"
                        r"SUMMARY: (Address|Undefined|Leak)")

# The thread bootstrap frames a thread's stack is rooted at (threading.py).
BOOTSTRAP_NAMES = ("_bootstrap", "_bootstrap_inner")


# ---- TAP and interpreters ----

# Known bugs, each (regex over a point's description, the bug, its bound).
# The bound is the known symptom as measured, a function of the figures the
# point's check gives (see check()): a point that fails, matches a pattern
# and whose figures are inside that entry's bound is `not ok # TODO`
# (XFAIL); a point that fails any other way (figures outside the bound, or
# none given: an empty profile, a crash, a figure 10x off) is a plain
# failure, so no regression hides behind a known bug; a point that passes is
# a plain ok. An entry goes the moment its bug is fixed; the issue notes
# list them.
# (None now: the last, sampled gilstat giving takes to threads that took
# none, went with its causes: a thread in drop_gil's wait for a switch read
# as a waiter, and a waiter woken in take_gil read as done waiting.)
KNOWN_BUGS = []


def known_bug(description, figures=None):
    """The bug a failed point is known to show: its description matches an
    entry and FIGURES (a dict of the point's measurements) are inside the
    entry's bound; else None (a plain failure)."""
    for pattern, bug, bound in KNOWN_BUGS:
        if re.search(pattern, description):
            return bug if figures is not None and bound(figures) else None
    return None


def out_of_bound_note(description, figures):
    """Diagnostics for a failed point that matches a known bug's pattern but
    not its bound (so it FAILs): why it is not the known bug."""
    for pattern, bug, bound in KNOWN_BUGS:
        if re.search(pattern, description):
            return ["matches a known bug's pattern but not its measured bound (%s): a plain failure"
                    % (figures if figures is not None else "no figures")]
    return []


def check(tap, description, func):
    """A test point from FUNC() -> (ok, diagnostics) or (ok, diagnostics,
    figures); an exception fails it. FIGURES (a dict) are what a known
    bug's bound is checked against (see KNOWN_BUGS)."""
    figures = None
    try:
        result = func()
        ok, diagnostics = result[0], result[1]
        if len(result) > 2:
            figures = result[2]
    except Exception:
        ok, diagnostics = False, ["test raised:"] + traceback.format_exc().splitlines()
    bug = None if ok else known_bug(description, figures)
    if bug:
        return tap.known_bug(description, bug, diagnostics)
    if not ok:
        diagnostics = list(diagnostics or []) + out_of_bound_note(description, figures)
    return tap.ok(ok, description, diagnostics)


def interpreters(tap, older=()):
    """The acceptance interpreters (see the module doc), after the pyenv
    minors OLDER."""
    if os.environ.get("PYTOP_TEST_PYTHONS", "").strip():
        for interp in pythons.interpreters(tap, chroot=True):
            yield interp
        return
    wanted = []
    for minor in tuple(older) + (8, None, 13):
        if minor is None:
            path = pythons.DEBIAN_PYTHON if os.access(pythons.DEBIAN_PYTHON, os.X_OK) else None
            wanted.append(("python3.11 (Debian, static)", path, pythons.DEBIAN_PYTHON, None))
        else:
            path, looked = pythons.find_pyenv(3, minor)
            wanted.append(("python3.%d" % minor, path, looked, None))
    # The sid root's newest release build, chrooted (its root missing: a
    # loud SKIP, as for the others).
    sid = "python3.%d " % max(m for _, m in pythons.registry_versions())
    wanted += [e for e in pythons.expected_with_roots(sharded=False) if e[3] and e[0].startswith(sid)]
    for label, path, looked, root in pythons.in_shard(wanted):
        if path is None:
            tap.skip(label, "%s not found at %s" % (label, looked))
            continue
        try:
            version = pythons.query_version(path, root=root)
        except (OSError, subprocess.SubprocessError) as exc:
            tap.ok(False, "%s at %s runs" % (label, path), str(exc))
            continue
        if root:
            short = "%s[chroot %s]" % (version, os.path.basename(path))
        else:
            short = "%s[%s]" % (version, "pyenv" if path.startswith(tuple(pythons.pyenv_roots()))
                                else path)
        yield pythons.Interpreter(path, short, version, root)


def target_script(interp, name):
    """tests/targets/NAME as INTERP runs it (inside a chroot: copied into the
    root with the acc_truth.py and compat.py it imports)."""
    if interp.root:
        for helper in ("acc_truth.py", "compat.py"):
            interp.script(os.path.join(TARGETS, helper))
    return interp.script(os.path.join(TARGETS, name))


def binaries():
    """[(label prefix, path)]: pytop, and the sanitizer build when given."""
    result = [("", PYTOP)]
    san = os.environ.get("PYTOP_SAN_BINARY")
    if san:
        result.append(("[san] ", os.path.abspath(san)))
    return result


def new_tap():
    """A Tap with pytop checked (bail out when there is none)."""
    t = pythons.Tap()
    if not os.access(PYTOP, os.X_OK):
        t.bail("no pytop at %s" % PYTOP)
    san = os.environ.get("PYTOP_SAN_BINARY")
    if san and not os.access(san, os.X_OK):
        t.bail("PYTOP_SAN_BINARY=%s is not executable" % san)
    return t


# ---- /proc ----

def proc_task_cpu(pid):
    """{tid: utime+stime seconds} of PID's threads now (/proc/PID/task/*/stat)."""
    result = {}
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return result
    for tid in tids:
        try:
            with open("/proc/%d/task/%s/stat" % (pid, tid), errors="replace") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            result[int(tid)] = (int(fields[11]) + int(fields[12])) / CLK_TCK
        except (OSError, IndexError, ValueError):
            pass
    return result


def proc_cpu(pid):
    """utime+stime seconds of the whole process (/proc/PID/stat; includes
    the threads that have ended)."""
    try:
        with open("/proc/%d/stat" % pid, errors="replace") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (OSError, IndexError, ValueError):
        return None


def proc_tids(pid):
    try:
        return {int(t) for t in os.listdir("/proc/%d/task" % pid)}
    except OSError:
        return set()


def proc_rss_kib(pid):
    try:
        with open("/proc/%d/status" % pid, errors="replace") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


class TidWatcher:
    """Lists /proc/PID/task every few milliseconds in a thread while it is
    entered: `seen` is every tid the target had meanwhile."""

    def __init__(self, pid, period=0.005):
        self.pid = pid
        self.period = period
        self.seen = set()
        self._stop = threading.Event()
        self._thread = None

    def __enter__(self):
        self.seen |= proc_tids(self.pid)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.is_set():
            self.seen |= proc_tids(self.pid)
            self._stop.wait(self.period)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(5)
        self.seen |= proc_tids(self.pid)
        return False


# ---- targets ----

class Target:
    """A tests/targets/acc_*.py process: started, truth read, killed."""

    def __init__(self, interp, script, *args):
        self.interp = interp
        self.script = os.path.join(TARGETS, script)
        self.args = [str(a) for a in args]
        self.workdir = interp.mkdtemp("pytop-acc-")
        self.truth_path = os.path.join(self.workdir, "truth.json")
        self.log_path = os.path.join(self.workdir, "target.out")
        self.proc = None

    def __enter__(self):
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                self.interp.argv(target_script(self.interp, os.path.basename(self.script)), self.interp.inside(self.truth_path),
                                 *self.args),
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, cwd=TARGETS)
        if self.wait_truth(lambda t: True) is None:
            raise RuntimeError("%s did not start: %s" % (os.path.basename(self.script),
                                                         self.output()[-2000:]))
        return self

    @property
    def pid(self):
        return self.proc.pid

    def read(self):
        try:
            with open(self.truth_path, encoding="utf-8") as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def wait_truth(self, accept, timeout=READY_TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            truth = self.read()
            if truth is not None and accept(truth):
                return truth
            if self.proc.poll() is not None:
                truth = self.read()
                return truth if truth is not None and accept(truth) else None
            time.sleep(0.02)
        return None

    def truth(self):
        """A fresh truth (SIGUSR1), or None."""
        last = self.read()
        seq = last["seq"] if last else -1
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGUSR1)
        return self.wait_truth(lambda t: t["seq"] > seq)

    def wait_for(self, pred, what, timeout=READY_TIMEOUT):
        """Ask for truths until PRED(truth); raise when it never holds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            truth = self.truth()
            if truth is not None and pred(truth):
                return truth
            time.sleep(0.1)
        raise RuntimeError("target never reached: %s" % what)

    def output(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
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
        shutil.rmtree(self.workdir, ignore_errors=True)
        return False


def role_tids(truth, role):
    return [int(tid) for tid, t in truth["threads"].items() if t.get("role") == role]


def truth_tids(truth):
    """Every tid the target reported having (threads and churned tids)."""
    tids = {int(t) for t in truth["threads"]}
    tids.update(truth.get("tids", []))
    tids.update(t for t, _ in truth.get("live", []) if t)
    return tids


# ---- running pytop ----

class Run:
    """The outcome of one pytop run."""

    def __init__(self, argv, rc, stdout, stderr, elapsed, timed_out):
        self.argv = argv
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.elapsed = elapsed
        self.timed_out = timed_out

    def crashed(self):
        return self.timed_out or self.rc is None or self.rc < 0 or \
            bool(SAN_REPORT.search(self.stderr))

    def describe(self):
        lines = ["command: %s" % " ".join(self.argv)]
        if self.timed_out:
            lines.append("TIMED OUT (killed)")
        elif self.rc is not None and self.rc < 0:
            lines.append("KILLED BY SIGNAL %d (%s)" % (-self.rc, signal.Signals(-self.rc).name))
        else:
            lines.append("exit status %s after %.2f s" % (self.rc, self.elapsed))
        if self.stderr:
            lines.append("stderr:")
            lines.extend("  " + l for l in self.stderr.splitlines()[:30])
        return lines


def run(argv, timeout):
    argv = [str(a) for a in argv]
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    timed_out = False
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        timed_out = True
    return Run(argv, proc.returncode, out, err.decode("utf-8", "replace"),
               time.monotonic() - t0, timed_out)


def batch(pid, secs, *extra, binary=PYTOP):
    return run([binary, "-p", pid, "--batch", "-d", secs] + list(extra), secs + RUN_SLACK)


def dump(pid, binary=PYTOP, extra=()):
    return run([binary, "-p", pid, "--dump", "--json"] + list(extra), RUN_SLACK)


def _reject_constant(name):
    raise ValueError("non-standard JSON constant %s" % name)


def parse_json(r):
    """(object or None, diagnostics) from a run that should print one JSON object."""
    if r.crashed() or r.rc != 0:
        return None, r.describe()
    try:
        obj = json.loads(r.stdout.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        return None, ["not one JSON object: %s" % exc, "starts: %r" % r.stdout[:300]] + r.describe()
    if not isinstance(obj, dict):
        return None, ["not a JSON object"] + r.describe()
    return obj, []


def check_run(tap, label, r, what="exits 0, no signal, no sanitizer report"):
    return tap.ok(not r.crashed() and r.rc == 0, "%s: %s" % (label, what), r.describe())


# ---- stacks ----

FRAME = re.compile(r"^(.*) \((.*):(-?\d+)\)$")


def parse_collapsed(text):
    """[(frames root-first as (name, file, line), count)] of collapsed output."""
    stacks = []
    for line in text.splitlines():
        if not line.strip():
            continue
        body, _, count = line.rpartition(" ")
        frames = []
        for part in body.split(";"):
            m = FRAME.match(part)
            frames.append((m.group(1), m.group(2), int(m.group(3))) if m else (part, "", 0))
        stacks.append((frames, int(count)))
    return stacks


def short(name):
    """The function name without its class (3.11+ gives qualified names)."""
    return name.rsplit(".", 1)[-1]


def truncation_marker(frame):
    return "truncated" in frame[0] or "truncated" in frame[1]


def rooted(frames_root_first, allow_truncated=False):
    """True when the stack starts at <module> or at the thread bootstrap (or,
    with ALLOW_TRUNCATED, at a '(N frames truncated)' marker). Also a real
    stack with no enclosing frame: the callback of threading._dangling (a
    WeakSet) that a thread runs in its teardown, after _bootstrap returned,
    when its Thread object is freed (seen in a paused --dump)."""
    if not frames_root_first:
        return False
    name, file, _ = frames_root_first[0]
    if name == "<module>":
        return True
    if short(name) in BOOTSTRAP_NAMES and file.endswith("threading.py"):
        return True
    if short(name) == "_remove" and file.endswith("_weakrefset.py") and len(frames_root_first) == 1:
        return True
    return allow_truncated and truncation_marker(frames_root_first[0])


def dump_frames_root_first(thread):
    """A --dump --json thread's frames (innermost first there) root-first."""
    return [(f["name"], f["file"], f["line"]) for f in reversed(thread.get("frames", []))]


def fmt_stack(frames, limit=12):
    parts = ["%s:%d" % (short(n), l) for n, _, l in frames]
    if len(parts) > limit:
        parts = parts[:3] + ["...%d..." % (len(parts) - limit)] + parts[-(limit - 3):]
    return ";".join(parts)


def torn_stacks(stacks, allow_truncated=False):
    """The (frames, count) of STACKS that are not rooted."""
    return [(f, c) for f, c in stacks if not rooted(f, allow_truncated)]


# ---- figures ----

def thread_cpu_s(snap, row):
    """A thread's cpu-mode time in a batch JSON snapshot (cpu mode): the time
    its counted samples stand for ("time_s") when the snapshot gives it,
    else its running samples times the measured interval between rounds
    (1 / achieved_rate_hz). Never the thread's "cpu_s": that is the kernel's
    own count, the very truth this is checked against."""
    if isinstance(row.get("time_s"), (int, float)) and not isinstance(row.get("time_s"), bool):
        return float(row["time_s"])
    running = row.get("states", {}).get("running", 0)
    rate = snap.get("achieved_rate_hz") or snap.get("rate_hz") or 0
    return running / rate if rate else 0.0


def own_seconds(snap):
    """The cpu-mode time the functions table adds up to (own_s summed; the
    figure a user reads), else every thread's thread_cpu_s summed."""
    rows = snap.get("functions", [])
    if rows and all(isinstance(r.get("own_s"), (int, float)) for r in rows):
        return float(sum(r["own_s"] for r in rows))
    return sum(thread_cpu_s(snap, r) for r in snap.get("threads", []))


def gil_hold_pct(row):
    g = row.get("gil", {})
    return g.get("holding_pct", 0) + g.get("holding_blocked_pct", 0)


def within_share(pytop_pct, truth_pct, rel=0.10, points=2.0):
    """Per the issue: within 10% of the truth or within 2 points of share."""
    return abs(pytop_pct - truth_pct) <= max(rel * truth_pct, points)


class CpuWindow:
    """Per-thread and whole-process utime+stime, and wall time, around a run."""

    def __init__(self, pid):
        self.pid = pid

    def __enter__(self):
        self.t0 = time.monotonic()
        self.tasks0 = proc_task_cpu(self.pid)
        self.proc0 = proc_cpu(self.pid)
        return self

    def __exit__(self, *exc):
        self.t1 = time.monotonic()
        self.tasks1 = proc_task_cpu(self.pid)
        self.proc1 = proc_cpu(self.pid)
        return False

    @property
    def wall(self):
        return self.t1 - self.t0

    def thread_pct(self, tid):
        """% of one core the thread used over the window (None if unknown)."""
        if tid not in self.tasks0 or tid not in self.tasks1:
            return None
        return 100.0 * (self.tasks1[tid] - self.tasks0[tid]) / self.wall

    def process_pct(self):
        if self.proc0 is None or self.proc1 is None:
            return None
        return 100.0 * (self.proc1 - self.proc0) / self.wall


def check_cpu_vs_proc(tap, label, snap, window, tids, names=None):
    """Each thread in TIDS: cpu-mode time / duration vs its /proc share over
    the window (both in % of one core), within 10% or 2 points."""
    rows = {r.get("tid"): r for r in snap.get("threads", [])}
    duration = snap.get("duration_s") or 0
    for tid in tids:
        name = (names or {}).get(tid, str(tid))

        def compare(tid=tid):
            truth = window.thread_pct(tid)
            row = rows.get(tid)
            if truth is None:
                return False, ["tid %d not in /proc before and after" % tid]
            if row is None:
                mine = 0.0
                diag = ["tid %d not in pytop's threads" % tid]
            else:
                mine = 100.0 * thread_cpu_s(snap, row) / duration if duration else 0.0
                diag = [json.dumps(row)[:400]]
            tap.diag("%s: %s cpu: pytop %.1f%% of a core, /proc %.1f%%" % (label, name, mine, truth))
            return within_share(mine, truth), ["pytop %.2f%%, /proc utime+stime %.2f%% "
                                               "(window %.2f s, duration_s %.2f s)"
                                               % (mine, truth, window.wall, duration)] + diag
        check(tap, "%s: %s cpu-mode time within 10%% or 2 points of /proc utime+stime"
              % (label, name), compare)


def check_threads_exist(tap, label, snap_threads, known, what="json"):
    """No tid 0, and every tid pytop shows was one of the target's (KNOWN:
    the target's own list plus what /proc showed during the run)."""
    def compare():
        problems = []
        for row in snap_threads:
            tid = row.get("tid")
            if not isinstance(tid, int) or tid <= 0:
                problems.append("invented thread: %s" % json.dumps(row)[:300])
            elif tid not in known:
                problems.append("tid %d (%r) was never a thread of the target"
                                % (tid, row.get("name")))
        return not problems, problems[:20] + (["... %d more" % (len(problems) - 20)]
                                               if len(problems) > 20 else [])
    check(tap, "%s: %s: no tid 0, every tid (%d) was a real thread of the target"
          % (label, what, len(snap_threads)), compare)


def check_names(tap, label, snap, truth_names, limit_pct=5.0):
    """Samples on threads pytop did not name as the target did: under LIMIT%."""
    def compare():
        total = sum(r.get("samples", 0) for r in snap.get("threads", []))
        bad = 0
        examples = []
        for r in snap.get("threads", []):
            want = truth_names.get(r.get("tid"))
            if want is None or r.get("name") != want:
                bad += r.get("samples", 0)
                if len(examples) < 10:
                    examples.append("tid %r named %r, the target says %r (%d samples)"
                                    % (r.get("tid"), r.get("name"), want, r.get("samples", 0)))
        pct = 100.0 * bad / total if total else 100.0
        tap.diag("%s: %.1f%% of %d samples on threads without their threading name"
                 % (label, pct, total))
        return total > 0 and pct < limit_pct, ["%.1f%% of %d samples" % (pct, total)] + examples
    check(tap, "%s: under %g%% of samples on threads not named as the target names them"
          % (label, limit_pct), compare)


def truth_names(truth):
    names = {int(t): v["name"] for t, v in truth["threads"].items()}
    for tid, name in truth.get("live", []):
        names.setdefault(tid, name)
    return names


def main_loop(tests, older=()):
    """Run TESTS (functions (tap, interp)) for each acceptance interpreter
    (and the pyenv minors OLDER first); an exception fails a point rather
    than the script."""
    tap = new_tap()
    for interp in interpreters(tap, older):
        for test in tests:
            try:
                test(tap, interp)
            except Exception:
                tap.ok(False, "%s: %s raised" % (interp.label, test.__name__),
                       traceback.format_exc().splitlines())
    return tap.done()
