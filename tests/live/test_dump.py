"""Live test of `pytop --dump` against real CPython interpreters (TAP).

Run with the system python3 (automake's PY_LOG_COMPILER); the pytop under test
is $PYTOP (absolute path; default <repo>/pytop). The interpreters come from
pythons.py (PYTOP_TEST_PYTHONS overrides them; a missing one is a TAP SKIP).

For every interpreter it starts tests/targets/dump_target.py, which parks
threads at known lines (methods, closures, a generator, an asyncio coroutine, a
lambda, non-ASCII function names / thread names / file paths, a deep recursion,
a busy thread, a sleeping thread, a thread threading does not know) and writes
its own truth. Once the truth file exists (20 s at most) and /proc/PID/task
holds exactly its tids, the test runs

    $PYTOP --dump -p PID --json     and     $PYTOP --dump -p PID

and checks, one TAP point per (interpreter, aspect):

  json: exit status 0 and stdout is exactly one JSON object
  json: "pid" is the target's pid
  json: "python" is the interpreter's platform.python_version()
  json: the set of thread ids is the target's set of kernel tids
  json: each thread's name (threading name, or kernel comm)
  json: each thread's state ("running" for the busy thread, else "sleeping")
  json: frames of thread <role>: name, file, line, innermost first, exactly
        (one point per thread role)
  text: exit status 0
  text: line 1 is `Process PID: <cmdline>` (argv joined by spaces)
  text: line 2 is `Python vX.Y.Z`
  text: per thread a blank line, `Thread TID "NAME" (STATE)` and one line
        `    NAME (FILE:LINE)` per frame, the same data as the truth
  the target is still alive and not stopped after the dumps

On a mismatch the point fails and a diff follows as `# ` lines.

Then a variant target (20 threads, each 50 deep) checks the frames again and
reports, as a `# ` diagnostic only, how long a dump takes.

Every subprocess has a timeout and every target is killed in a finally block.
"""

import difflib
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import traceback

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pythons  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TARGET = os.path.normpath(os.path.join(HERE, "..", "targets", "dump_target.py"))
DUMP_TIMEOUT = 30        # seconds for one pytop run
TRUTH_TIMEOUT = 20       # seconds for the target to park and write its truth
TIMING_RUNS = 5


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
            lines.append("TIMED OUT after %d s (killed)" % DUMP_TIMEOUT)
        elif self.rc < 0:
            lines.append("KILLED BY SIGNAL %d (%s)" % (
                -self.rc, signal.Signals(-self.rc).name))
        else:
            lines.append("exit status %d" % self.rc)
        if self.stderr:
            lines.append("stderr:")
            lines.extend("  " + l for l in self.stderr.splitlines()[:40])
        return lines


def proc_states_in(pid, letter):
    """The tids of PID's threads in state LETTER now."""
    return {tid for tid, state in pythons.proc_states(pid).items() if state == letter}


def run_pytop(argv, timeout=DUMP_TIMEOUT):
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = proc.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        timed_out = True
    elapsed = time.perf_counter() - start
    return Run(argv, proc.returncode, out, err.decode("utf-8", "replace"),
               elapsed, timed_out)


class Target:
    """dump_target.py under one interpreter: started, parked, always killed."""

    def __init__(self, interp, extra_args=()):
        self.interp = interp
        self.extra_args = list(extra_args)
        self.proc = None
        self.truth = None
        self.error = None
        self.workdir = None

    def __enter__(self):
        self.workdir = self.interp.mkdtemp("pytop-dump-")
        truth_path = os.path.join(self.workdir, "truth.json")
        self.stderr_path = os.path.join(self.workdir, "target.stderr")
        with open(self.stderr_path, "wb") as stderr:
            self.proc = subprocess.Popen(
                self.interp.argv(self.interp.script(TARGET), self.interp.inside(truth_path)) + self.extra_args,
                stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr)
        deadline = time.monotonic() + TRUTH_TIMEOUT
        while not os.path.exists(truth_path):
            if self.proc.poll() is not None:
                self.error = "target exited with status %d" % self.proc.returncode
                return self
            if time.monotonic() > deadline:
                self.error = "no truth file after %d s" % TRUTH_TIMEOUT
                return self
            time.sleep(0.05)
        with open(truth_path, encoding="utf-8") as f:
            self.truth = json.load(f)
        # The reporter thread that wrote the truth exits right after: wait
        # until the kernel's task list is exactly the truth's threads.
        want = {t["tid"] for t in self.truth["threads"]}
        while True:
            have = self.tasks()
            if have == want:
                break
            if time.monotonic() > deadline:
                self.error = ("/proc/%d/task is %s, truth says %s"
                              % (self.proc.pid, sorted(have), sorted(want)))
                break
            time.sleep(0.02)
        return self

    def tasks(self):
        try:
            return {int(t) for t in os.listdir("/proc/%d/task" % self.proc.pid)}
        except OSError:
            return set()

    def cmdline(self):
        with open("/proc/%d/cmdline" % self.proc.pid, "rb") as f:
            raw = f.read()
        return " ".join(a.decode("utf-8", "replace")
                        for a in raw.rstrip(b"\0").split(b"\0"))

    def stderr_text(self):
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


def check(tap, description, func):
    """A test point from FUNC() -> (ok, diagnostics); an exception fails it."""
    try:
        ok, diagnostics = func()
    except Exception:
        ok, diagnostics = False, ["test raised:"] + \
            traceback.format_exc().splitlines()
    return tap.ok(ok, description, diagnostics)


def frame_line(frame):
    return "%s (%s:%s)" % (frame.get("name"), frame.get("file"),
                           frame.get("line"))


def diff(expected, actual, what="expected", got="pytop"):
    return list(difflib.unified_diff(expected, actual, what, got, lineterm="",
                                     n=3))


def parse_json(run):
    """(object or None, diagnostics)."""
    if run.timed_out or run.rc != 0:
        return None, run.describe()
    try:
        text = run.stdout.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, ["stdout is not valid UTF-8: %s" % exc]
    try:
        obj = json.loads(text)
    except ValueError as exc:
        return None, ["stdout is not exactly one JSON object: %s" % exc,
                      "stdout starts: %r" % text[:300]]
    if not isinstance(obj, dict):
        return None, ["top level is %s, not an object" % type(obj).__name__]
    return obj, []


def check_json(tap, label, truth, dump):
    """The JSON aspects: pid, python, tids, names, states, frames per role."""
    expected = {t["tid"]: t for t in truth["threads"]}

    def threads_by_tid():
        threads = dump.get("threads")
        if not isinstance(threads, list):
            raise ValueError("\"threads\" is %r, not a list" % (threads,))
        result = {}
        for thread in threads:
            result.setdefault(thread.get("tid"), []).append(thread)
        return result

    check(tap, "%s: json pid" % label,
          lambda: (dump.get("pid") == truth["pid"],
                   ["expected %r, got %r" % (truth["pid"], dump.get("pid"))]))
    check(tap, "%s: json python version" % label,
          lambda: (dump.get("python") == truth["python"],
                   ["expected %r, got %r" % (truth["python"],
                                             dump.get("python"))]))

    def tids():
        got = threads_by_tid()
        dups = [tid for tid, ts in got.items() if len(ts) > 1]
        missing = sorted(set(expected) - set(got))
        extra = sorted(set(got) - set(expected), key=str)
        diags = []
        for tid in missing:
            diags.append("missing tid %d (%s, role %s)" % (
                tid, expected[tid]["name"], expected[tid]["role"]))
        for tid in extra:
            diags.append("unexpected tid %r" % (tid,))
        for tid in dups:
            diags.append("tid %r listed %d times" % (tid, len(got[tid])))
        return not diags, diags
    check(tap, "%s: json thread ids (%d threads)" % (label, len(expected)), tids)

    def per_thread(key):
        def compare():
            got = threads_by_tid()
            diags = []
            for tid, thread in sorted(expected.items()):
                if tid not in got:
                    diags.append("tid %d (%s): missing" % (tid, thread["role"]))
                    continue
                value = got[tid][0].get(key)
                if value != thread[key]:
                    diags.append("tid %d (role %s): expected %s %r, got %r" % (
                        tid, thread["role"], key, thread[key], value))
            return not diags, diags
        return compare
    check(tap, "%s: json thread names" % label, per_thread("name"))
    check(tap, "%s: json thread states" % label, per_thread("state"))

    for tid, thread in sorted(expected.items(), key=lambda i: i[1]["role"]):
        def frames(tid=tid, thread=thread):
            got = threads_by_tid()
            if tid not in got:
                return False, ["thread %d missing from the dump" % tid]
            want = [frame_line(f) for f in thread["frames"]]
            have_frames = got[tid][0].get("frames")
            if not isinstance(have_frames, list):
                return False, ["\"frames\" is %r" % (have_frames,)]
            have = [frame_line(f) for f in have_frames]
            types = [f for f in have_frames
                     if not (isinstance(f.get("name"), str)
                             and isinstance(f.get("file"), str)
                             and type(f.get("line")) is int)]
            diags = diff(want, have)
            if types:
                diags.append("frames with wrong field types: %r" % types[:3])
            return want == have and not types, diags
        check(tap, "%s: json frames of %s thread %r (%d frames)" % (
            label, thread["role"], thread["name"], len(thread["frames"])),
            frames)


def expected_text_blocks(truth):
    blocks = {}
    for t in truth["threads"]:
        blocks[t["tid"]] = (['Thread %d "%s" (%s)' % (t["tid"], t["name"],
                                                    t["state"])]
                            + ["    %s (%s:%d)" % (f["name"], f["file"],
                                                   f["line"])
                               for f in t["frames"]])
    return blocks


def check_text(tap, label, target, run):
    truth = target.truth
    ok = check(tap, "%s: text form exits 0" % label,
               lambda: (not run.timed_out and run.rc == 0, run.describe()))
    if not ok:
        return
    text = run.stdout.decode("utf-8", "replace")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()

    def header_line(index, want):
        def compare():
            got = lines[index] if len(lines) > index else None
            return got == want, ["expected %r" % want, "got      %r" % got]
        return compare
    check(tap, "%s: text line 1: Process PID: cmdline" % label,
          header_line(0, "Process %d: %s" % (truth["pid"], target.cmdline())))
    check(tap, "%s: text line 2: Python vX.Y.Z" % label,
          header_line(1, "Python v%s" % truth["python"]))

    def blocks():
        diags = []
        got = {}
        rest = lines[2:]
        if rest and rest[0] != "":
            diags.append("line 3 should be blank, is %r" % rest[0])
        current = None
        for line in rest:
            if line == "":
                current = None
                continue
            if current is None:
                match = re.match(r"Thread (\d+) ", line)
                if not match:
                    diags.append("expected a Thread line, got %r" % line)
                    continue
                current = got.setdefault(int(match.group(1)), [])
                if current:
                    diags.append("thread %s listed twice" % match.group(1))
                    current[:] = []
            current.append(line)
        want = expected_text_blocks(truth)
        for tid in sorted(set(want) | set(got)):
            if want.get(tid) != got.get(tid):
                diags.extend(diff(want.get(tid, []), got.get(tid, []),
                                  "expected tid %d" % tid, "pytop tid %d" % tid))
        return not diags, diags
    check(tap, "%s: text thread blocks (%d threads)" % (
        label, len(truth["threads"])), blocks)


def check_alive(tap, label, target):
    def alive():
        if target.proc.poll() is not None:
            return False, ["target exited with %r" % target.proc.returncode]
        bad = []
        for tid in sorted(target.tasks()):
            try:
                # Bytes: a comm may be cut inside a UTF-8 character (3.14+
                # names kernel threads after their threading names).
                with open("/proc/%d/task/%d/stat" % (target.proc.pid, tid), "rb") as f:
                    state = f.read().rsplit(b")", 1)[1].split()[0].decode()
            except OSError:
                continue
            if state in "tTZX":
                bad.append("tid %d is in state %s" % (tid, state))
        return not bad, bad
    check(tap, "%s: target still running, no thread stopped" % label, alive)


def test_interpreter(tap, pytop, interp):
    label = interp.label
    with Target(interp) as target:
        if not tap.ok(target.truth is not None and target.error is None,
                      "%s: target parked and wrote its truth" % label,
                      [target.error or ""] + target.stderr_text().splitlines()):
            return
        pid = str(target.proc.pid)
        sleeping = proc_states_in(target.proc.pid, "S")
        json_run = run_pytop([pytop, "--dump", "-p", pid, "--json"])
        # The dump's pause interrupted the blocked threads: a Python lock
        # wait then takes the GIL to look for signals before it blocks
        # again, so they run for a moment. The text dump reads settled
        # states, as the JSON one did.
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and not sleeping <= proc_states_in(target.proc.pid, "S"):
            time.sleep(0.02)
        text_run = run_pytop([pytop, "--dump", "-p", pid])
        dump, diags = parse_json(json_run)
        if json_run.stderr and dump is not None:
            diags.append("(stderr was not empty: %r)" % json_run.stderr[:200])
        tap.ok(dump is not None,
               "%s: json form exits 0, stdout is one JSON object" % label, diags)
        if dump is not None:
            check_json(tap, label, target.truth, dump)
        check_text(tap, label, target, text_run)
        check_alive(tap, label, target)
        tap.diag("%s: json dump %.1f ms, text dump %.1f ms" % (
            label, json_run.elapsed * 1e3, text_run.elapsed * 1e3))


def test_many(tap, pytop, interp, threads=20, depth=50):
    label = "%s many(%dx%d)" % (interp.label, threads, depth)
    with Target(interp, ["--many", str(threads), "--depth", str(depth)]) as target:
        if not tap.ok(target.truth is not None and target.error is None,
                      "%s: target parked and wrote its truth" % label,
                      [target.error or ""] + target.stderr_text().splitlines()):
            return
        pid = str(target.proc.pid)
        times = []
        runs = []
        for _ in range(TIMING_RUNS):
            run = run_pytop([pytop, "--dump", "-p", pid, "--json"])
            runs.append(run)
            times.append(run.elapsed * 1e3)

        def frames():
            diags = []
            for i, run in enumerate(runs):
                dump, errors = parse_json(run)
                if dump is None:
                    return False, ["run %d:" % i] + errors
                want = {t["tid"]: [frame_line(f) for f in t["frames"]]
                        for t in target.truth["threads"]}
                have = {t.get("tid"): [frame_line(f) for f in t.get("frames", [])]
                        for t in dump.get("threads", [])}
                if set(want) != set(have):
                    return False, ["run %d: tids differ: missing %s, extra %s" % (
                        i, sorted(set(want) - set(have)),
                        sorted(set(have) - set(want), key=str))]
                for tid in sorted(want):
                    if want[tid] != have[tid]:
                        diags.append("run %d, tid %d:" % (i, tid))
                        diags.extend(diff(want[tid], have[tid])[:40])
                        return False, diags
            return True, []
        check(tap, "%s: %d json dumps, every thread's frames exact" % (
            label, TIMING_RUNS), frames)
        text = run_pytop([pytop, "--dump", "-p", pid])
        tap.diag("%s: json dump wall time over %d runs: min %.1f ms, "
                 "median %.1f ms, max %.1f ms; text dump %.1f ms" % (
                     label, TIMING_RUNS, min(times), statistics.median(times),
                     max(times), text.elapsed * 1e3))


def main():
    tap = pythons.Tap()
    pytop = pythons.pytop_binary()
    if not (os.path.isfile(pytop) and os.access(pytop, os.X_OK)):
        tap.bail("pytop binary not found at %s (set PYTOP)" % pytop)
    tap.diag("pytop: %s" % pytop)
    tap.diag("target: %s" % TARGET)
    for interp in list(pythons.interpreters(tap, chroot=True)):
        tap.diag("--- %s (%s)" % (interp.label, interp.path))
        test_interpreter(tap, pytop, interp)
        test_many(tap, pytop, interp)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
