"""pytop --batch --watch end to end on every interpreter: pytop injects its
agent into tests/targets/agent_target.py and writes each call of a known
function: exactly its arguments, result or exception, in text and in JSON;
--cond and --errors filter, -n stops, an unknown name fails in one line;
--watch FILE:LINE finds the function whose code starts there (a line
where none starts fails in one line naming the nearest);
after the run and after pytop is SIGKILLed mid-watch the target itself
reports no hook, thread or socket left, its results unchanged, and /proc
shows it neither stopped nor traced. A target whose main thread is blocked
in join() is served by another thread. A 3.14+ target with
PYTHON_DISABLE_REMOTE_DEBUG is refused with the reason. A target whose
every thread is kept out of Python (its main thread asleep in C holding the
GIL): SIGINT 1 s into pytop's injection ends pytop within 1.5 s, exit 0,
one line on stderr saying nothing was left behind, and -d 2 ends it in
about 2 s; the target runs on neither stopped nor traced, the unused memory
the 3.6-3.13 injection writes into is as before, and once the target is
back in Python a watch works and leaves it clean. Versions whose injection
pytop does not have yet are a loud SKIP.

    PYTOP=./pytop python3 tests/live/test_watch.py
"""
import json
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pythons import Tap, interpreters, pytop_binary  # noqa: E402
from agentrun import TARGET, Target, check_clean, not_yet, proc_status, pytop  # noqa: E402
from test_inject import slack  # noqa: E402

# "(tid N)": the thread's native id, which 3.6 and 3.7 do not give Python code.
HEAD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} (\S+)(?: \(tid (\d+)\))? (\S+) #(\d+) cost ([\d.]+) ms$")


def records(text):
    """[(head match, {name: value}, raised or None)] of a watch's text."""
    out = []
    for line in text.splitlines():
        m = HEAD.match(line)
        if m:
            out.append([m, {}, None])
        elif out and line.startswith("  raised "):
            out[-1][2] = line[len("  raised "):]
        elif out and line.startswith("  ") and " = " in line:
            k, v = line[2:].split(" = ", 1)
            out[-1][1][k] = v
    return out


def run_one(tap, interp):
    label = interp.label
    minor = tuple(int(x) for x in interp.version.split(".")[:2])
    t = Target(interp)
    try:
        if not tap.ok(t.pid, "%s: the target started" % label):
            return
        rc, out, err = pytop(["-p", str(t.pid), "--batch", "--watch", "__main__ add", "-n", "3"])
        if not_yet(err):
            tap.skip("%s: watch" % label, "no injection for %s in pytop yet: %s" % (interp.version, err.strip()))
            return
        recs = records(out)
        good = rc == 0 and len(recs) == 3 and all(
            r[0].group(1) == "MainThread" and r[0].group(3) == "__main__.add" and
            r[1].get("args") == "(%d, 1)" % (int(r[1].get("return_obj", "0")) - 1) and r[2] is None
            for r in recs) and [int(r[0].group(4)) for r in recs] == [1, 2, 3]
        tap.ok(good, "%s: --watch '__main__ add' -n 3: 3 calls, args (i, 1), return_obj i+1, exit 0" % label,
               "rc=%d\n%s\n%s" % (rc, out, err))
        if minor < (3, 8):
            tap.ok(recs and all(r[0].group(2) is None for r in recs),
                   "%s: no native thread id (Python %d.%d has none to give)" % ((label,) + minor), out)
        else:
            tap.ok(recs and all(r[0].group(2) and int(r[0].group(2)) == t.pid for r in recs),
                   "%s: the main thread's native id is the target's pid" % label, out)

        # JSON, a method through module.Class.method, --expr over target and kwargs, --cond.
        rc, out, err = pytop(["-p", str(t.pid), "--batch", "-f", "json", "--watch", "__main__.Shop.price",
                              "-n", "2", "--expr", "type(target).__name__,args,kwargs,return_obj",
                              "--cond", "return_obj == 15"])
        objs = [json.loads(line) for line in out.splitlines() if line.strip()]
        tap.ok(rc == 0 and len(objs) == 2 and all(
            o["ev"] == "watch" and o["name"] == "__main__.Shop.price" and "text" not in o and
            o["values"] == [["type(target).__name__", "'Shop'"], ["args", "('apple', 3)"], ["kwargs", "{}"],
                            ["return_obj", "15"]] for o in objs),
               "%s: -f json --watch __main__.Shop.price --cond 'return_obj == 15': one object a call, "
               "exactly those" % label, "rc=%d\n%s\n%s" % (rc, out, err))

        # FILE:LINE, as the live view's T and W give it: the file as the
        # target's code says (the script's path on its command line).
        with open(TARGET) as f:
            line = next(n for n, text in enumerate(f, 1) if text.startswith("def add("))
        where = "%s:%d" % (interp.script(TARGET), line)
        rc, out, err = pytop(["-p", str(t.pid), "--batch", "--watch", where, "-n", "2"])
        recs = records(out)
        tap.ok(rc == 0 and len(recs) == 2 and all(
            r[0].group(3) == "__main__.add" and r[1].get("args") == "(%d, 1)" % (int(r[1].get("return_obj", "0")) - 1)
            for r in recs), "%s: --watch FILE:LINE of add: 2 calls of __main__.add, args (i, 1)" % label,
               "rc=%d\n%s\n%s" % (rc, out, err))
        rc, out, err = pytop(["-p", str(t.pid), "--batch", "--watch", where.replace(":%d" % line, ":%d" % (line + 1))])
        tap.ok(rc != 0 and out == "" and err.count("\n") == 1 and "no function starts at" in err and
               "__main__.add (line %d)" % line in err,
               "%s: --watch FILE:LINE where no function starts: one line naming the nearest (add)" % label, err)

        # --errors: the exception.
        rc, out, err = pytop(["-p", str(t.pid), "--batch", "--watch", "__main__ fail", "-n", "2", "--errors"])
        recs = records(out)
        tap.ok(rc == 0 and len(recs) == 2 and all(
            r[2] in ("ValueError('bad %s')" % r[1]["args"].strip("(,)"),      # 3.6: a trailing comma
                     "ValueError('bad %s',)" % r[1]["args"].strip("(,)")) and r[1]["return_obj"] == "None"
            for r in recs), "%s: --watch fail --errors: 'raised ValueError('bad i')' for args (i,)" % label,
               "rc=%d\n%s\n%s" % (rc, out, err))

        # --repr-depth and unsafe reprs; -o FILE.
        path = os.path.join(t.work, "w.txt")
        rc, out, err = pytop(["-p", str(t.pid), "--batch", "--watch", "__main__ take", "-n", "2", "--expr", "args",
                              "--repr-depth", "1", "-o", path])
        with open(path) as f:
            vals = sorted(r[1].get("args") for r in records(f.read()))
        tap.ok(rc == 0 and out == "" and len(vals) == 2 and
               re.match(r"^\(<__main__\.Evil object at 0x[0-9a-f]+>,\)$", vals[0] or "") and
               vals[1] == "(list(...1),)",
               "%s: -o FILE; an object whose __repr__ is the program's Python (not run: class and address) and a "
               "self-holding list (--repr-depth 1) shown safely" % label,
               "rc=%d %s %s" % (rc, vals, err))

        # Unknown names: one line, exit non-zero, the nearest names.
        rc, out, err = pytop(["-p", str(t.pid), "--batch", "--watch", "__main__ Shop prise"])
        tap.ok(rc != 0 and err.count("\n") == 1 and "price" in err and out == "",
               "%s: unknown method: one-line error naming the nearest (price), exit %d" % (label, rc), err)
        rc, out, err = pytop(["-p", str(t.pid), "--batch", "--watch", "no_such_module.f"])
        tap.ok(rc != 0 and err.count("\n") == 1 and "no module" in err,
               "%s: unknown module: one-line error, exit %d" % (label, rc), err)

        # -d ends a run that sees no call.
        t0 = time.time()
        rc, out, err = pytop(["-p", str(t.pid), "--batch", "--watch", "__main__ add", "--cond", "cost > 1e9",
                              "-d", "1.5"])
        tap.ok(rc == 0 and out == "" and 1.4 < time.time() - t0 < 8,
               "%s: --cond that never holds: nothing written, -d 1.5 ends it, exit 0" % label,
               "rc=%d %.2f s %s" % (rc, time.time() - t0, err))
        check_clean(tap, label, t, "the runs")

        # pytop SIGKILLed mid-watch: the agent unhooks within a second.
        p = subprocess.Popen([pytop_binary(), "-p", str(t.pid), "--batch", "--watch", "__main__ add",
                              "-n", "1000000"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        first = p.stdout.readline()
        p.send_signal(signal.SIGKILL)
        p.wait()
        tap.ok(HEAD.match(first.decode(errors="replace").rstrip("\n")), "%s: a watch was running" % label,
               first)
        time.sleep(1.0)
        check_clean(tap, label, t, "pytop was SIGKILLed mid-watch")
    finally:
        err = t.stop()
        tap.ok(not err.strip(), "%s: the target wrote nothing on stderr" % label, err)

    # The main thread blocked in join(): another thread takes the agent.
    # 3.12+: every thread is watched. Before, an agent's trace function
    # reaches only its own thread and threads started after it: the main
    # thread is woken from its lock wait to run the agent (pending calls),
    # and pytop says on stderr that 'worker' is not seen.
    t = Target(interp, join=True)
    try:
        if minor >= (3, 12):
            rc, out, err = pytop(["-p", str(t.pid), "--batch", "--watch", "__main__ add", "-n", "2"])
            recs = records(out)
            tap.ok(rc == 0 and len(recs) == 2 and all(r[0].group(1) == "worker" for r in recs),
                   "%s: main thread blocked in join(): served, calls in thread 'worker'" % label,
                   "rc=%d\n%s\n%s" % (rc, out, err))
        else:
            rc, out, err = pytop(["-p", str(t.pid), "--batch", "--watch", "__main__ add", "-n", "2", "-d", "4"])
            tap.ok(rc == 0 and out == "" and err.count("\n") == 1 and
                   "calls in the 1 thread that ran before pytop attached (worker) are not seen" in err,
                   "%s: main thread blocked in join(): the agent runs (the lock wait woken), and pytop says "
                   "the older thread 'worker' is not seen" % label, "rc=%d\n%s\n%s" % (rc, out, err))
        check_clean(tap, label, t, "a watch with the main thread in join()")
    finally:
        err = t.stop()
        tap.ok(not err.strip(), "%s: the joining target wrote nothing on stderr" % label, err)

    if minor >= (3, 14):
        t = Target(interp, env={"PYTHON_DISABLE_REMOTE_DEBUG": "1"})
        try:
            rc, out, err = pytop(["-p", str(t.pid), "--batch", "--watch", "__main__ add"])
            tap.ok(rc != 0 and "remote debugging disabled" in err and "PYTHON_DISABLE_REMOTE_DEBUG" in err,
                   "%s: PYTHON_DISABLE_REMOTE_DEBUG: refused with the reason" % label, err)
            check_clean(tap, label, t, "the refusal")
        finally:
            t.stop()


def run_cancel(tap, interp):
    """SIGINT and -d end an injection the target cannot take."""
    label = interp.label
    minor = tuple(int(x) for x in interp.version.split(".")[:2])
    block = 7
    t = Target(interp, gil_block=block)
    try:
        if not tap.ok(t.pid, "%s: the GIL-blocking target started" % label):
            return
        started = time.monotonic()
        before = slack(t.pid) if minor < (3, 14) else None
        p = subprocess.Popen([pytop_binary(), "-p", str(t.pid), "--batch", "--watch", "__main__ add", "-n", "1"],
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(1.0)
        t0 = time.monotonic()
        p.send_signal(signal.SIGINT)
        try:
            out, err = p.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
        took = time.monotonic() - t0
        err = err.decode(errors="replace")
        if not_yet(err):
            tap.skip("%s: cancel" % label, "no injection for %s in pytop yet" % interp.version)
            return
        tap.ok(p.returncode == 0 and took < 1.5 and out == b"" and err.count("\n") == 1 and
               "interrupted (SIGINT) before the agent attached" in err and err.rstrip().endswith("nothing left behind"),
               "%s: SIGINT 1 s into the injection (every thread kept out of Python): pytop ends within 1.5 s, "
               "exit 0, one line saying nothing was left behind (%.2f s)" % (label, took),
               "rc=%s %.2f s\n%s" % (p.returncode, took, err))
        states, tracers = proc_status(t.pid)
        tap.ok(t.proc.poll() is None and states and not any(s in "tT" for s in states) and not any(tracers),
               "%s: after the SIGINT the target runs on, neither stopped nor traced" % label,
               "%s %s" % (states, tracers))

        t0 = time.monotonic()
        rc, out, err = pytop(["-p", str(t.pid), "--batch", "--watch", "__main__ add", "-n", "1", "-d", "2"])
        took = time.monotonic() - t0
        tap.ok(rc == 0 and 1.9 < took < 3.0 and out == "" and err.count("\n") == 1 and
               "-d 2 s over before the agent attached" in err and err.rstrip().endswith("nothing left behind"),
               "%s: -d 2 bounds the injection: ends in %.2f s (2 to 3), exit 0, one line" % (label, took),
               "rc=%d\n%s" % (rc, err))
        tap.ok(time.monotonic() - started < block - 0.5,
               "%s: both runs ended while the target was still blocked (%.2f s of %d)"
               % (label, time.monotonic() - started, block))
        states, tracers = proc_status(t.pid)
        tap.ok(t.proc.poll() is None and states and not any(s in "tT" for s in states) and not any(tracers),
               "%s: after -d the target runs on, neither stopped nor traced" % label, "%s %s" % (states, tracers))
        if before is not None:
            after = slack(t.pid)
            tap.ok(before and after == before,
                   "%s: the unused memory the injection writes into is as before" % label,
                   "changed: %r" % sorted(k for k in after if after[k] != before.get(k)))

        # Back in Python: nothing stale in the way, a watch works.
        time.sleep(max(0.0, block + 0.3 - (time.monotonic() - started)))
        rc, out, err = pytop(["-p", str(t.pid), "--batch", "--watch", "__main__ add", "-n", "2"])
        recs = records(out)
        tap.ok(rc == 0 and len(recs) == 2 and not err,
               "%s: once the target is back in Python a watch works (2 calls)" % label,
               "rc=%d\n%s\n%s" % (rc, out, err))
        check_clean(tap, label, t, "the cancelled injections and a watch")
    finally:
        err = t.stop()
        tap.ok(not err.strip(), "%s: the GIL-blocking target wrote nothing on stderr" % label, err)


def main():
    tap = Tap()
    for interp in interpreters(tap, chroot=True):
        run_one(tap, interp)
        run_cancel(tap, interp)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
