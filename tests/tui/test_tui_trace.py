"""The live view's trace/watch pane, driven inside tmux (TAP; issue 12).

Run with the system python3; the pytop under test is $PYTOP. On every
interpreter of tests/live/pythons.py (chroot ones too; this shard's, see
PYTOP_TEST_SHARD), against tests/targets/agent_target.py (known functions,
known arguments and results; it reports what it holds), 150x45:

  - `:watch __main__ add -n 3` asks before injecting; `n` leaves the target
    untouched (no new thread); asked again, `y` attaches: the header says
    "Agent attached", the pane shows 3 calls whose args are (i, 1) and
    return_obj i+1, then "done (3 calls)";
  - `:trace __main__ outer -n 2` (no second question): 2 trees, middle and
    leaf under outer, each child's cost at most its parent's;
  - `:watch __main__ Shop prise`: the pane names the error and the nearest
    name (price);
  - 3.11+: Tab completes `:watch __main__.lea` to __main__.leaf (from the
    functions the sampler saw);
  - T in the detail view of `middle` opens the prompt on `trace "FILE:LINE"`;
    Enter traces it (2 calls);
  - Tab to the pane, `w`: a -trace.txt file holding the pane's lines;
  - `:detach`: the header's Agent field goes, and the target itself reports
    no hook, thread, fd or module of the agent's (agentrun.check_clean);
  - a watch again, then `q` while attached: pytop exits 0 and the target is
    clean again.
On the first and the last interpreter only (longer; with PYTOP_TEST_SHARD,
the first in shard 0 and the last in shard 1): PYTOP_AGENT_IDLE=2
takes the agent out 2 s after its last watch ended (target clean; a new
watch attaches again without asking); and against a target whose main
thread blocks in C holding the GIL: the
attach is given up at its timeout with the requests queued meanwhile
(dropped, not each tried again), a :detach cancels the next attach at
once, and the target ends clean. And against tests/targets/hot_target.py
(a function called in a tight loop): the calls the agent drops are said
in the pane while the watch runs.
The screen is polled; tmux servers and targets are killed in finally blocks.
"""

import contextlib
import os
import re
import shutil
import signal
import sys
import tempfile
import time
import traceback

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "live"))
import pythons  # noqa: E402
import agentrun  # noqa: E402
from test_tui import Tmux, Timeout, check, text, status, PROMPT  # noqa: E402

W, H = 150, 80


def pane(lines):
    """The trace/watch pane's lines (after its title), up to the status line."""
    for i, line in enumerate(lines):
        if line.startswith(" Trace/watch"):
            return [l[1:] for l in lines[i + 1:len(lines) - 2]]
    return []


def watch_calls(plines, name):
    """[(args, return_obj)] of the watch calls of NAME in the pane."""
    calls, cur = [], None
    for line in plines:
        if re.search(r" %s #\d+ cost " % re.escape(name), line):
            cur = {}
            calls.append(cur)
        elif cur is not None and line.startswith("  ") and " = " in line:
            k, v = line.strip().split(" = ", 1)
            cur[k] = v
        elif not line.startswith("  "):
            cur = None
    return [(c.get("args"), c.get("return_obj")) for c in calls]


def trees(plines, name):
    """Each trace of NAME: [(depth, ms, name)] of its nodes."""
    out, cur = [], None
    for line in plines:
        if re.search(r" %s #\d+ total " % re.escape(name), line):
            cur = []
            out.append(cur)
            continue
        m = re.match(r"^( +)\[([\d.]+) ms\] (\S+)", line)
        if cur is not None and m:
            cur.append((len(m.group(1)) // 2, float(m.group(2)), m.group(3)))
        elif not line.startswith("  "):
            cur = None
    return out


def children_within(tree):
    """Every node's cost at most its parent's (1 us of rounding)."""
    stack = []
    for depth, ms, _ in tree:
        while stack and stack[-1][0] >= depth:
            stack.pop()
        if stack and ms > stack[-1][1] + 0.001:
            return False
        stack.append((depth, ms))
    return True


def command(tm, line):
    tm.keys(":")
    tm.wait(lambda s: status(s).startswith(":"), "the command prompt")
    tm.type(line)
    tm.keys("Enter")


@contextlib.contextmanager
def live_view(tap, pytop, interp, desc, env="", **target_args):
    """agentrun.Target(interp, **target_args) and, in tmux (W x H), `ENV
    pytop -p PID` on it, its live view up: yields (tm, target, work dir), or
    (None, None, None) when the target did not start (a failed point
    "LABEL: DESC"). Everything is killed and removed on the way out."""
    target = agentrun.Target(interp, **target_args)
    work = tempfile.mkdtemp(prefix="pytop-tuitrace-")
    tm = None
    try:
        if not tap.ok(target.pid is not None, "%s: %s" % (interp.label, desc),
                      target.stop() if target.pid is None else ""):
            yield None, None, None
            return
        script = os.path.basename(target_args.get("script") or agentrun.TARGET)
        tm = Tmux(W, H, work)
        tm.type("%s%s -p %d" % (env + " " if env else "", pytop, target.pid))
        tm.keys("Enter")
        tm.wait(lambda s: "F10Quit" in text(s) and script in text(s), "the live view")
        yield tm, target, work
    finally:
        if tm:
            tm.kill()
        if target.pid is not None:
            target.stop()
        shutil.rmtree(work, ignore_errors=True)


def session(tap, pytop, interp):
    label = interp.label
    # (the agent is not taken out for being idle between the steps)
    with live_view(tap, pytop, interp, "the target starts", env="PYTOP_AGENT_IDLE=600") as (tm, target, work):
        if tm is None:
            return
        threads0 = len(os.listdir("/proc/%d/task" % target.pid))

        def consent_no():
            command(tm, "watch __main__ add -n 3")
            s = tm.wait(lambda s: "Inject it? [y/N]" in text(s), "the consent question")
            asked = "process %d" % target.pid in text(s)
            tm.keys("n")
            s = tm.wait(lambda s: "not attached" in status(s), "the refusal")
            time.sleep(0.5)
            n = len(os.listdir("/proc/%d/task" % target.pid))
            return asked and n == threads0 and "Agent" not in s[0], \
                ["threads %d, before %d" % (n, threads0)] + s
        check(tap, "%s: :watch asks before injecting; n injects nothing" % label, consent_no)

        def watch_add():
            command(tm, "watch __main__ add -n 3")
            tm.wait(lambda s: "Inject it? [y/N]" in text(s), "the consent question")
            tm.keys("y")
            s = tm.wait(lambda s: "watch __main__ add: done (3 calls)" in text(pane(s)), "3 watched calls",
                        timeout=40)
            calls = watch_calls(pane(s), "__main__.add")
            good = len(calls) == 3 and all(
                a is not None and r is not None and re.match(r"^\((\d+), 1\)$", a) and
                int(r) == int(a[1:].split(",")[0]) + 1 for a, r in calls)
            return good and "Agent attached" in s[0], [str(calls)] + s
        check(tap, "%s: y attaches; the pane shows 3 calls of add: args (i, 1), return_obj i+1" % label,
              watch_add)

        def trace_outer():
            command(tm, "trace __main__ outer -n 2")
            s = tm.wait(lambda s: "trace __main__ outer: done (2 calls)" in text(pane(s)), "2 traced calls",
                        timeout=40)
            ts = trees(pane(s), "__main__.outer")
            good = len(ts) == 2 and all(
                [n for _, _, n in t[:3]] == ["outer", "middle", "leaf"] and children_within(t) for t in ts)
            return good and "Inject it?" not in text(s), [str(ts)] + s
        check(tap, "%s: :trace outer -n 2 (not asked again): 2 trees outer > middle > leaf, "
              "children within their parents" % label, trace_outer)

        def unknown():
            command(tm, "watch __main__ Shop prise")
            s = tm.wait(lambda s: "no 'prise'" in text(pane(s)), "the error")
            return "price" in [l for l in pane(s) if "no 'prise'" in l][0], s
        check(tap, "%s: an unknown method: the pane says so and names the nearest (price)" % label, unknown)

        if tuple(int(x) for x in interp.version.split(".")[:2]) >= (3, 11):
            def complete():
                tm.keys(":")
                tm.wait(lambda s: status(s).startswith(":"), "the command prompt")
                tm.type("watch __main__.lea")
                tm.keys("Tab")
                s = tm.wait(lambda s: status(s).startswith(":watch __main__.leaf"), "the completion")
                tm.keys("Escape")
                return True, s
            check(tap, "%s: Tab completes :watch __main__.lea to __main__.leaf (a function the sampler saw)" % label, complete)

        def detail_T():
            # middle: leaf is also called under cProfile, which 3.6-3.11
            # cannot trace through (the agent refuses, by design)
            command(tm, "filter middle")
            # The filtered table (middle without outer and leaf), not the
            # screen before the filter: Home and Enter on a table the filter
            # just emptied select nothing (CI, loaded: 1 of 2 shards' 3.9).
            tm.wait(lambda s: any(" middle (" in l for l in s) and not any(" outer (" in l or " leaf (" in l
                                                                        for l in s), "the filtered middle row")
            for attempt in range(3):
                tm.keys("Home")
                tm.keys("Enter")
                try:
                    tm.wait(lambda s: "Callers" in text(s), "the detail view", timeout=5 if attempt < 2 else 15)
                    break
                except Timeout:
                    if attempt == 2:
                        raise
            tm.keys("T")
            s = tm.wait(lambda s: re.match(r'^:trace ".*agent_target\.py:\d+"', status(s)), "the prefilled prompt")
            tm.type(" -n 2")
            tm.keys("Enter")
            tm.keys("Escape")
            tm.keys("Escape")
            s = tm.wait(lambda s: re.search(r"trace .*agent_target\.py:\d+: done \(2 calls\)", text(pane(s))),
                        "2 traced calls of middle", timeout=40)
            ts = trees(pane(s), "__main__.middle")
            return len(ts) >= 2 and all(t and t[0][2] == "middle" for t in ts), [str(ts)] + s
        check(tap, "%s: T in middle's detail view: the prompt opens on trace \"FILE:LINE\"; Enter traces it"
              % label, detail_T)

        def save():
            # focus: table -> threads -> stack -> trace (hidden panes are skipped)
            for _ in range(4):
                s = tm.screen()
                if any(l.startswith(" Trace/watch") and "\x1b" not in l for l in s):
                    pass
                tm.keys("Tab")
                tm.keys("w")
                s = tm.wait(lambda s: "saved to" in status(s) or "Save as" in status(s), "w's answer")
                if "Save as" in status(s):
                    tm.keys("Escape")
                    continue
                m = re.search(r"saved to (\S+)", status(s))
                path = os.path.join(work, m.group(1)) if m else None
                if not path or not os.path.exists(path):
                    return False, ["no file %r" % path] + s
                with open(path) as f:
                    body = f.read()
                return path.endswith("-trace.txt") and "__main__.add #1 cost" in body and \
                    "done (3 calls)" in body, [body[:2000]]
            return False, ["w never saved the pane"] + s
        check(tap, "%s: w in the trace/watch pane writes its lines to a new -trace.txt file" % label, save)

        def detach():
            command(tm, "detach")
            s = tm.wait(lambda s: "Agent" not in s[0] and "agent detached" in text(pane(s)), "the detach",
                        timeout=20)
            return True, s
        if check(tap, "%s: :detach: the header's Agent field goes" % label, detach):
            agentrun.check_clean(tap, label, target, ":detach in the live view")

        def quit_attached():
            command(tm, "watch __main__ add -n 1000000")
            tm.wait(lambda s: "Agent attached" in s[0] and re.search(r"__main__\.add #([2-9]|\d\d+) cost", text(pane(s))),
                    "the watch", timeout=40)
            tm.keys("q")
            s = tm.wait(lambda s: any(l.rstrip() == PROMPT.strip() for l in s), "the shell", timeout=20)
            tm.type("echo status=$?")
            tm.keys("Enter")
            s = tm.wait(lambda s: "status=" in text(s), "the status")
            return "status=0" in text(s), s
        if check(tap, "%s: q while a watch runs: pytop exits 0" % label, quit_attached):
            agentrun.check_clean(tap, label, target, "q in the live view")


def idle_session(tap, pytop, interp):
    """PYTOP_AGENT_IDLE=2: once its watch is done the agent is taken out
    after 2 s of nothing to do (on 3.6-3.11 its trace function alone slows
    every call), and the target is clean; a new watch attaches again
    without asking."""
    label = interp.label
    with live_view(tap, pytop, interp, "the target starts (idle)",
                   env="PYTOP_AGENT_IDLE=2") as (tm, target, work):
        if tm is None:
            return

        def idle_detach():
            command(tm, "watch __main__ add -n 1")
            tm.wait(lambda s: "Inject it? [y/N]" in text(s), "the consent question")
            tm.keys("y")
            tm.wait(lambda s: "watch __main__ add: done (1 calls)" in text(pane(s)), "the watch", timeout=40)
            start = time.time()
            s = tm.wait(lambda s: "agent detached (nothing traced or watched for 2 s)" in text(pane(s)) and
                        "Agent" not in s[0], "the idle detach", timeout=15)
            return time.time() - start < 6, ["%.1f s" % (time.time() - start)] + s
        if check(tap, "%s: PYTOP_AGENT_IDLE=2: the agent is detached 2 s after its last watch ended" % label,
                 idle_detach):
            agentrun.check_clean(tap, label, target, "the idle detach")

            def again():
                command(tm, "watch __main__ add -n 1")
                s = tm.wait(lambda s: text(pane(s)).count("watch __main__ add: done (1 calls)") == 2 or
                            "Inject it?" in text(s), "the second watch", timeout=40)
                return "Inject it?" not in text(s), s
            check(tap, "%s: a watch after the idle detach attaches again without asking" % label, again)
        tm.keys("q")
        tm.wait(lambda s: any(l.rstrip() == PROMPT.strip() for l in s), "the shell", timeout=20)


def blocked_session(tap, pytop, interp):
    """A target whose main thread blocks in C holding the GIL (25 s): the
    attach is given up at its timeout and the requests queued meanwhile
    are dropped with it (not tried again, one timeout each); a :detach
    during the next attach gives it up at once; the target ends clean."""
    label = interp.label
    with live_view(tap, pytop, interp, "the blocked target starts", gil_block=25) as (tm, target, work):
        if tm is None:
            return

        def queued_dropped():
            command(tm, "watch __main__ add -n 1")
            tm.wait(lambda s: "Inject it? [y/N]" in text(s), "the consent question")
            tm.keys("y")
            tm.wait(lambda s: "agent attaching" in text(s), "the attach")
            command(tm, "watch __main__ add -n 2")
            command(tm, "trace __main__ outer -n 3")
            start = time.time()
            s = tm.wait(lambda s: "cannot attach" in text(pane(s)), "the attach given up", timeout=30)
            s = tm.wait(lambda s: "agent not attached" in text(s), "not attached", timeout=3)
            took = time.time() - start
            attaches = sum("attaching pytop's agent" in l for l in pane(s))
            return attaches == 1 and "2 more requests dropped: not attached" in text(pane(s)) and \
                took < 15, ["attaches %d, %.1f s" % (attaches, took)] + s
        check(tap, "%s: main thread blocked in C: the attach is given up once, the 2 requests queued "
              "meanwhile are dropped" % label, queued_dropped)

        def detach_cancels():
            command(tm, "watch __main__ add -n 4")
            tm.wait(lambda s: sum("attaching pytop's agent" in l for l in pane(s)) == 2, "the second attach")
            time.sleep(0.5)
            command(tm, "detach")
            start = time.time()
            s = tm.wait(lambda s: "agent not attached" in text(s) and "cancelled" in text(pane(s)),
                        "the attach cancelled", timeout=5)
            took = time.time() - start
            return took < 3, ["%.1f s" % took] + s
        check(tap, "%s: :detach during an attach gives it up within 3 s" % label, detach_cancels)
        tm.keys("q")
        tm.wait(lambda s: any(l.rstrip() == PROMPT.strip() for l in s), "the shell", timeout=20)
        # The block ends 25 s after the start: the target reports then.
        end = time.time() + 30
        while time.time() < end and target.report(timeout=1.0) is None:
            pass
        agentrun.check_clean(tap, label, target, "an attach given up and a cancelled one")


def flood_session(tap, pytop, interp):
    """A watch of a function called in a tight loop (hot_target.py): the
    pane keeps at most 20,000 lines, keys are answered, and calls the agent
    drops (its queue full) are said in the pane while the watch runs, not
    only at :detach."""
    label = interp.label
    hot = os.path.join(pythons.REPO, "tests", "targets", "hot_target.py")
    with live_view(tap, pytop, interp, "the hot target starts", script=hot) as (tm, target, work):
        if tm is None:
            return

        def save_pane():
            """The pane's lines, all kept ones, through w (focus moved to
            the pane first)."""
            for _ in range(5):
                tm.keys("w")
                s = tm.wait(lambda s: "saved to" in status(s) or "Save as" in status(s), "w's answer")
                if "saved to" in status(s):
                    m = re.search(r"saved to (\S+)", status(s))
                    with open(os.path.join(work, m.group(1))) as f:
                        return f.read()
                tm.keys("Escape")
                tm.keys("Tab")
            raise Timeout("w never saved the pane")

        def flood():
            command(tm, "watch __main__ hot -n 1000000")
            tm.wait(lambda s: "Inject it? [y/N]" in text(s), "the consent question")
            tm.keys("y")
            tm.wait(lambda s: re.search(r"__main__\.hot #\d+ cost", text(pane(s))), "the calls", timeout=40)
            # Whether the agent's queue (4096 calls) overflows depends on
            # the interpreter's speed; when it does, the pane says so
            # while the watch runs (a second at most), not only at
            # :detach. The pane keeps its last 20,000 lines, thousands a
            # second here, so a drop said early is gone 8 s later: the
            # pane is saved every 1.5 s or so meanwhile.
            # The header says the drops too, for as long as the agent is in
            # ("Agent attached, 1 running, N dropped"): read with the pane.
            said = False
            end = time.monotonic() + 8
            while time.monotonic() < end:
                time.sleep(1.5)
                said = said or "the agent dropped" in save_pane() or \
                    re.search(r"Agent attached, \d+ running, \d+ dropped", text(tm.screen()[:1])) is not None
            s = tm.screen()
            lines = [l for l in s if l.startswith(" Trace/watch")]
            m = re.search(r"\((\d+) lines", lines[0]) if lines else None
            said = said or re.search(r"Agent attached, \d+ running, \d+ dropped", text(s[:1])) is not None
            command(tm, "detach")
            start = time.time()
            s2 = tm.wait(lambda s: "agent detached" in text(pane(s)), "the detach", timeout=20)
            took = time.time() - start
            # The header has no Agent field from then on (the tracer is
            # idle before the pane says it detached; the UI reads the two
            # one after the other, so allow the next frame).
            try:
                s2 = tm.wait(lambda s: "Agent" not in s[0], "the header without the agent", timeout=3)
                header = True
            except Timeout:
                header = False
            after = save_pane()
            dropped = "the agent dropped" in after
            # The agent reads the detach between two batches of calls sent
            # (not after its whole queue: pytop's 2 s wait ran out, which
            # the pane now says; a time bound failed under the sanitizers).
            ok = [m is not None and int(m.group(1)) <= 20000, said or not dropped, header,
                  "did not answer" not in after, took < 10]
            why = "lines kept %s, said while attached: %s, dropped at all: %s, header cleared: %s, " \
                "answered: %s, detach %.2f s" % (m and m.group(1), said, dropped, header,
                                                 "did not answer" not in after, took)
            # The summary last as well: a CI log shows a failure's tail.
            return all(ok), [why] + s + s2 + [why]
        check(tap, "%s: a flood of calls: at most 20,000 lines; calls the agent dropped (if any) are said "
              "while it runs; :detach answered (no 2 s wait run out)" % label, flood)

        def done_kept():
            # The end of a watch is never one of the calls dropped.
            command(tm, "watch __main__ hot -n 20000")
            s = tm.wait(lambda s: "watch __main__ hot: done (" in text(pane(s)), "the watch's end", timeout=60)
            return "Agent attached, 0 running" in s[0], s
        check(tap, "%s: a watch of the flood with -n 20000 ends (done), the header says 0 running" % label,
              done_kept)


def main():
    tap = pythons.Tap()
    pytop = pythons.pytop_binary()
    if not shutil.which("tmux"):
        tap.skip("the TUI trace/watch tests", "tmux is not installed")
        return tap.done()
    interps = list(pythons.interpreters(tap, chroot=True))
    # The longer sessions on the first and the last interpreter (the oldest
    # injection path and PEP 768's); in CI's shards, the first in one shard
    # and the last in the other (within CI's time).
    k, n = pythons.shard()
    longer = {0, len(interps) - 1} if n == 1 else {0 if k % 2 == 0 else len(interps) - 1}
    for i, interp in enumerate(interps):
        try:
            session(tap, pytop, interp)
        except Exception:
            tap.ok(False, "%s: the session ran" % interp.label, traceback.format_exc())
        if i not in longer:
            continue
        for name, run in (("idle", idle_session), ("blocked", blocked_session), ("flood", flood_session)):
            try:
                run(tap, pytop, interp)
            except Exception:
                tap.ok(False, "%s: the %s session ran" % (interp.label, name), traceback.format_exc())
    return tap.done()


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    sys.exit(main())
