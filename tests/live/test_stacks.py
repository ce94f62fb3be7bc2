"""Live test: stacks that change while pytop reads them, and deep stacks (TAP).

Run with the system python3; the pytop under test is $PYTOP (default
<repo>/pytop). The interpreters come from pythons.py (PYTOP_TEST_PYTHONS
overrides them; a missing one is a TAP SKIP). The target is
tests/targets/recursive_target.py; the expected stacks come from its source.

Per interpreter, one TAP point each:

  churn (py-spy's recursive.py: <module> calls recurse(20) in a loop, and
  recurse(x) calls recurse(x - 1) down to 0):
    dump: DUMPS runs of `pytop --dump --json`: no torn stack. Every stack
          is <module> then recurse frames only, at most 21 of them (callers
          off their call line are counted in a diagnostic). At most DUMP_ERRORS
          runs may fail with "inconsistent interpreter state" (the stack
          kept changing under every retry: dropped, never printed).
    batch: `pytop --batch -m wall -f collapsed` for BATCH_SECS: samples > 0
          and no torn stack (the same rule, for every collapsed line; wall
          mode, where a collapsed weight is a sample count).
  gens (<module> -> sum (C) -> top -> mid -> leaf, generators that yield all
  the time):
    batch: samples > 0 and every stack is <module>, then top, mid, leaf in
          that order (a prefix of it): never rooted at a generator.
  init (<module> -> make -> Obj.__init__, a loop of 2000 in each __init__;
  3.13+ runs it under a frame that never starts, _Py_InitCleanup's):
    batch: samples > 0, every stack a prefix of <module>, make, __init__,
          and at least INIT_SHARE of them in __init__ (where the target
          spends ~95 % of its time: a walker that takes the frame under it
          for a torn read drops them all).
  deep (<module> -> deep x D+1 -> spin, D = 400, 3000):
    dump: the whole stack, frame by frame, not truncated.
  deep 5000 (past the limit, 4096 frames):
    dump: the innermost 4096 frames, then a "(N+ frames truncated)" marker
          frame, and "truncated": true.
  deepc (the recursion goes through C: deepc -> sorted(key=deepc_key) ->
  deepc_key -> deepc ..., 400 levels, 803 Python frames):
    batch: samples > 0; every stack is the innermost 255 frames under a
          "(548 frames truncated)" marker (255 + 548 = 803).

Every subprocess has a timeout and every target is killed in a finally block.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pythons  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TARGET = os.path.normpath(os.path.join(HERE, "..", "targets", "recursive_target.py"))
DUMPS = 100
DUMP_ERRORS = 3          # dumps out of DUMPS that may be dropped (not torn)
BATCH_SECS = "3"
CHURN_DEPTH = 20
DEPTH_LIMIT = 4096       # STACK_DEPTH_MAX in src/cpython/stack.h
SAMPLE_DEPTH = 256       # SAMPLE_MAX_DEPTH in src/sampling/sample.h
TIMEOUT = 120
READY_TIMEOUT = 30


def source_lines():
    """{marker: line number} of the lines the stacks must show."""
    want = {
        "recurse_call": "    recurse(x - 1)",
        "churn_call": "        recurse(DEPTH)",
        "deep_call": "    deep(x - 1)",
        "deep_spin": "        spin()",
        "deep_module": "    deep(DEPTH)",
        "deepc_sorted": "    sorted([x], key=deepc_key)",
        "deepc_call": "    deepc(x - 1)",
        "deepc_spin": "        spin()",
        "deepc_module": "    deepc(DEPTH)",
    }
    lines = {}
    with open(TARGET, encoding="utf-8") as f:
        text = f.read().splitlines()
    for key, src in want.items():
        found = [i + 1 for i, line in enumerate(text) if line == src]
        lines[key] = found
    return lines


LINES = source_lines()


class Target:
    """recursive_target.py MODE DEPTH under one interpreter, always killed."""

    def __init__(self, interp, mode, depth):
        self.interp = interp
        self.mode, self.depth = mode, depth
        self.proc = None
        self.error = None
        self.tmp = None

    def __enter__(self):
        # A directory the interpreter reaches (inside its root when chrooted).
        self.tmp = self.interp.mkdtemp("pytop-stacks-")
        ready = os.path.join(self.tmp, "ready")
        argv = self.interp.argv(self.interp.script(TARGET), self.interp.inside(ready),
                                self.mode, str(self.depth))
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + READY_TIMEOUT
        while not os.path.exists(ready):
            if self.proc.poll() is not None:
                self.error = "target exited: %s" % self.proc.stderr.read().decode(errors="replace")[-500:]
                break
            if time.monotonic() > deadline:
                self.error = "target not ready after %d s" % READY_TIMEOUT
                break
            time.sleep(0.02)
        return self

    @property
    def pid(self):
        return self.proc.pid

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
        if self.proc:
            self.proc.wait()
            self.proc.stderr.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def run(argv):
    """(returncode, stdout, stderr) of one pytop run (-9 on a timeout)."""
    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return -9, "", "timed out after %d s" % TIMEOUT
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def churn_problem(frames):
    """None when FRAMES [(name, line)], outermost first, is a stack the churn
    target can have, call edge by call edge (functions); else what is wrong."""
    if not frames:
        return "empty stack"
    if frames[0][0] != "<module>":
        return "not rooted at <module>"
    rest = frames[1:]
    if len(rest) > CHURN_DEPTH + 1:
        return "%d recurse frames (at most %d)" % (len(rest), CHURN_DEPTH + 1)
    for i, (name, line) in enumerate(rest):
        if name != "recurse":
            return "frame %d is %s" % (i + 1, name)
    return None


def churn_line_problem(frames):
    """The same at line level: every caller at its call line. Reported, not
    asserted: a caller read just after its callee returned, at the
    instruction after the call, is rare but not always detected."""
    problem = churn_problem(frames)
    if problem:
        return problem
    if len(frames) > 1 and frames[0][1] not in LINES["churn_call"]:
        return "<module> calls recurse from line %s" % frames[0][1]
    for i, (name, line) in enumerate(frames[1:-1]):
        if line not in LINES["recurse_call"]:
            return "recurse frame %d calls from line %s" % (i + 1, line)
    return None


def collapsed_stacks(text):
    """[(frames outermost first as (name, line), count)] of a collapsed file."""
    out = []
    for raw in text.splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        stack, count = raw.rsplit(" ", 1)
        frames = []
        for part in stack.split(";"):
            m = re.match(r"^(.*) \((.*):(-?\d+)\)$", part)
            frames.append((m.group(1), int(m.group(3))) if m else (part, -1))
        out.append((frames, int(count)))
    return out


def test_churn_dumps(tap, pytop, interp):
    with Target(interp, "churn", CHURN_DEPTH) as t:
        if not tap.ok(t.error is None, "%s: churn target starts" % interp.label, t.error):
            return
        torn, errors, other, depths, line_level = [], 0, [], {}, []
        for _ in range(DUMPS):
            rc, out, err = run([pytop, "--dump", "--json", "-p", str(t.pid)])
            if rc != 0:
                if "inconsistent interpreter state" in err:
                    errors += 1
                else:
                    other.append("rc %d: %s" % (rc, err.strip()[-200:]))
                continue
            try:
                threads = json.loads(out)["threads"]
                frames = [(f["name"], f["line"]) for f in threads[0]["frames"]][::-1]
            except (ValueError, KeyError, IndexError) as exc:
                other.append("bad JSON: %s" % exc)
                continue
            problem = churn_problem(frames)
            depths[len(frames)] = depths.get(len(frames), 0) + 1
            if problem:
                torn.append("%s: %s" % (problem, frames[:4]))
            elif churn_line_problem(frames):
                line_level.append("%s: %s" % (churn_line_problem(frames), frames[:4]))
        tap.ok(not torn and not other and errors <= DUMP_ERRORS,
               "%s: %d dumps of a churning recursion: %d torn, %d dropped, %d failed"
               % (interp.label, DUMPS, len(torn), errors, len(other)),
               torn[:10] + other[:10])
        tap.diag("%s: dump depths %s; %d with a caller off its call line %s"
                 % (interp.label, sorted(depths.items()), len(line_level), line_level[:2]))


def test_churn_batch(tap, pytop, interp):
    with Target(interp, "churn", CHURN_DEPTH) as t:
        if not tap.ok(t.error is None, "%s: churn target starts" % interp.label, t.error):
            return
        rc, out, err = run([pytop, "--batch", "-m", "wall", "-d", BATCH_SECS, "-f", "collapsed",
                            "-p", str(t.pid)])
        stacks = collapsed_stacks(out) if rc == 0 else []
        total = sum(n for _, n in stacks)
        torn = [(n, churn_problem(fr), fr[:4]) for fr, n in stacks if churn_problem(fr)]
        ntorn = sum(n for n, _, _ in torn)
        nline = sum(n for fr, n in stacks if not churn_problem(fr) and churn_line_problem(fr))
        tap.diag("%s: %d of %d samples with a caller off its call line" % (interp.label, nline, total))
        torn_point(tap, rc, total, ntorn,
                   "%s: %s s batch of a churning recursion: %d samples, %d torn"
                   % (interp.label, BATCH_SECS, total, ntorn),
                   ["rc %d %s" % (rc, err.strip()[-300:])] + ["%d x %s: %s" % x for x in torn[:10]])


def torn_point(tap, rc, total, ntorn, description, diagnostics):
    """0 torn samples, on every version (the known bug that let 1 in 1000
    through was removed: 0 torn in 581,048 samples of both batches, 15 s
    each, twice, on 3.6-3.13, static 3.11 and chroot 3.14/3.15 under CI load)."""
    return tap.ok(rc == 0 and total > 0 and ntorn == 0, description, diagnostics)


def wall_batch(tap, pytop, interp, mode, arg):
    """A BATCH_SECS wall-mode collapsed batch of the MODE target: (rc, err,
    stacks, total samples), or None when the target did not start (a
    failed point)."""
    with Target(interp, mode, arg) as t:
        if not tap.ok(t.error is None, "%s: %s target starts" % (interp.label, mode), t.error):
            return None
        rc, out, err = run([pytop, "--batch", "-m", "wall", "-d", BATCH_SECS, "-f", "collapsed",
                            "-p", str(t.pid)])
    stacks = collapsed_stacks(out) if rc == 0 else []
    return rc, err, stacks, sum(n for _, n in stacks)


def test_gens_batch(tap, pytop, interp):
    got = wall_batch(tap, pytop, interp, "gens", 50)
    if got:
        rc, err, stacks, total = got
        order = ["<module>", "top", "mid", "leaf"]
        torn = [(n, [f[0] for f in fr]) for fr, n in stacks
                if [f[0] for f in fr] != order[:len(fr)]]
        ntorn = sum(n for n, _ in torn)
        torn_point(tap, rc, total, ntorn,
                   "%s: %s s batch of generators resumed from C: %d samples, %d torn"
                   % (interp.label, BATCH_SECS, total, ntorn),
                   ["rc %d %s" % (rc, err.strip()[-300:])] + ["%d x %s" % x for x in torn[:10]])


INIT_SHARE = 0.5


def test_init_batch(tap, pytop, interp):
    got = wall_batch(tap, pytop, interp, "init", 2000)
    if got:
        rc, err, stacks, total = got
        names = [([f[0].split(".")[-1] for f in fr], n) for fr, n in stacks]
        order = ["<module>", "make", "__init__"]
        torn = [(n, nm) for nm, n in names if nm != order[:len(nm)]]
        init = sum(n for nm, n in names if nm == order)
        tap.ok(rc == 0 and total > 0 and not torn and init >= INIT_SHARE * total,
               "%s: %s s batch of objects made with a Python __init__: %d samples, %d in __init__ (at least "
               "%d %%), %d torn" % (interp.label, BATCH_SECS, total, init, INIT_SHARE * 100,
                                    sum(n for n, _ in torn)),
               ["rc %d %s" % (rc, err.strip()[-300:])] + ["%d x %s" % x for x in torn[:10]])


def test_deep_dump(tap, pytop, interp, depth):
    with Target(interp, "deep", depth) as t:
        if not tap.ok(t.error is None, "%s: deep %d target starts" % (interp.label, depth), t.error):
            return
        rc, out, err = run([pytop, "--dump", "--json", "-p", str(t.pid)])
        frames, truncated = [], None
        if rc == 0:
            th = json.loads(out)["threads"][0]
            frames = [(f["name"], f["line"]) for f in th["frames"]][::-1]
            truncated = th.get("truncated", False)
        want = ([("<module>", LINES["deep_module"][0])] +
                [("deep", LINES["deep_call"][0])] * depth +
                [("deep", LINES["deep_spin"][0])])
        if depth + 3 <= DEPTH_LIMIT:
            ok = rc == 0 and not truncated and frames[:-1] == want and frames[-1][0] == "spin"
            tap.ok(ok, "%s: dump of a %d-deep recursion: all %d frames (got %d)"
                   % (interp.label, depth, depth + 3, len(frames)),
                   ["rc %d %s" % (rc, err.strip()[-300:]), "outermost %s" % frames[:3],
                    "innermost %s" % frames[-3:]])
        else:
            inner = want[-(DEPTH_LIMIT - 1):] + [("spin", None)]
            marker = frames[0][0] if frames else ""
            m = re.match(r"^\((\d+)\+ frames truncated\)$", marker)
            ok = (rc == 0 and truncated and len(frames) == DEPTH_LIMIT + 1 and m is not None and
                  [f[0] for f in frames[1:]] == [f[0] for f in inner] and
                  frames[1:-1] == inner[:-1])
            tap.ok(ok, "%s: dump of a %d-deep recursion: the innermost %d frames and %r"
                   % (interp.label, depth, DEPTH_LIMIT, marker),
                   ["rc %d %s" % (rc, err.strip()[-300:]), "outermost %s" % frames[:3],
                    "innermost %s" % frames[-3:], "count %d truncated %s" % (len(frames), truncated)])


def test_deepc_batch(tap, pytop, interp, depth=400):
    with Target(interp, "deepc", depth) as t:
        if not tap.ok(t.error is None, "%s: deepc target starts" % interp.label, t.error):
            return
        rc, out, err = run([pytop, "--batch", "-m", "wall", "-d", "2", "-f", "collapsed", "-p", str(t.pid)])
        stacks = collapsed_stacks(out) if rc == 0 else []
        total = sum(n for _, n in stacks)
        full = 2 * depth + 3                    # <module>, deepc x depth+1, deepc_key x depth, spin
        cut = full - (SAMPLE_DEPTH - 1)
        bad = []
        for frames, n in stacks:
            names = [f[0] for f in frames]
            if (len(frames) != SAMPLE_DEPTH or names[0] != "(%d frames truncated)" % cut or
                    names[-1] != "spin" or names[-2] != "deepc" or
                    any(a == b for a, b in zip(names[1:-1], names[2:-1]))):
                bad.append("%d x %d frames: %s ... %s" % (n, len(frames), names[:3], names[-3:]))
        tap.ok(rc == 0 and total > 0 and not bad,
               "%s: batch of a %d-deep recursion through C: %d samples, each the innermost %d "
               "frames under '(%d frames truncated)'" % (interp.label, depth, total, SAMPLE_DEPTH - 1, cut),
               ["rc %d %s" % (rc, err.strip()[-300:])] + bad[:10])


def main():
    tap = pythons.Tap()
    pytop = pythons.pytop_binary()
    for interp in pythons.interpreters(tap, chroot=True):
        test_churn_dumps(tap, pytop, interp)
        test_churn_batch(tap, pytop, interp)
        test_gens_batch(tap, pytop, interp)
        test_init_batch(tap, pytop, interp)
        for depth in (400, 3000, 5000):
            test_deep_dump(tap, pytop, interp, depth)
        test_deepc_batch(tap, pytop, interp)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
