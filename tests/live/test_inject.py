"""Live test: the pending-call injection of CPython 3.6-3.13 (TAP).

src/agent/pending.c writes two entries into the interpreter's
Py_AddPendingCall queue while every thread is stopped; the main thread runs
the file at its next eval-breaker check. Driven by tests/live/inject_probe
($PYTOP_BUILDDIR/tests/live, built by make check) against
tests/targets/inject_target.py, on each interpreter of pythons.py up to
3.13 (3.14+ inject through PEP 768, another path covered by test_watch.py
and test_trace.py, which run the sid root's chrooted 3.14/3.15: SKIP, "not
applicable"):

  loop, sleep  a main thread calling a function in a loop / sleeping in a
               loop: the script ran exactly once, in the main thread, with
               the target's pid and version; the target's sums stay right
               and it ends normally; no thread stopped, TracerPid 0; the
               slack after the interpreter's writable segments is as before
  gil          a main thread blocked in C holding the GIL (ctypes.PyDLL
               sleep) for 3 s: a 1 s injection is refused with the reason
               within 2.5 s; untouched: when it runs Python again later, no
               script runs, and the slack is as before
  lock         a main thread asleep in Lock.acquire(timeout=3): woken when a
               stop finds it in its futex wait (the wait returns EINTR, as
               for a signal; CPython's lock runs the pending calls and waits
               again), else (a timed wait an earlier stop interrupted is
               restart_syscall's, left alone) refused: either way the script
               ran at most once, in the main thread, and never after a
               refusal; the target's own results right, the slack as before
  killed       inject_probe SIGKILLed while it waits (gil target): the
               target runs on, untraced; the queued call stays queued and
               runs once when the main thread is back in Python; its
               bootstrap text stays in the slack
  stale        inject_probe SIGKILLed three times while it waits (gil
               target, a script path that no longer exists, as pytop's
               removed bootstrap): once the slack is full of their texts,
               still queued, an injection is refused saying so (not "no
               unused memory"); once the main thread ran them, an injection
               recognises the stale texts, clears them and runs the script
               once; afterwards every slack is zero again
  signals      three injections while SIGRTMIN arrives every 0.2 ms: each
               delivered exactly once (the target counts them through its
               set_wakeup_fd pipe), the script ran three times
Once: a target another process traces (strace) is refused naming the
tracer; another user's process (nobody's, inject_probe as daemon): one
clear line. Needs root for those two (SKIP otherwise).
"""

import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pythons  # noqa: E402
import test_errors as te  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TARGET = os.path.join(os.path.dirname(HERE), "targets", "inject_target.py")

SCRIPT = r"""
import os, sys, threading
with open(%r, "a") as f:
    f.write("%%d %%s %%s\n" %% (os.getpid(), threading.current_thread().name, sys.version.split()[0]))
"""


def probe_binary():
    build = os.environ.get("PYTOP_BUILDDIR") or os.path.dirname(os.path.dirname(HERE))
    return os.path.join(build, "tests", "live", "inject_probe")


def status(pid):
    """(states of every thread, TracerPid) of PID."""
    tracer = None
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("TracerPid:"):
                    tracer = int(line.split()[1])
    except OSError:
        pass
    return pythons.proc_states(pid), tracer


def untouched(pid):
    """Problems with PID's state: a thread stopped, or a tracer."""
    states, tracer = status(pid)
    problems = ["thread %d is in state %s" % (tid, s) for tid, s in states.items() if s in "tT"]
    if tracer:
        problems.append("TracerPid %d" % tracer)
    if not states:
        problems.append("process gone")
    return problems


def elf_segments(path):
    """(lowest PT_LOAD page, [(vaddr, memsz)] of writable PT_LOADs) of ELF64 PATH."""
    with open(path, "rb") as f:
        head = f.read(64)
        phoff, = struct.unpack_from("<Q", head, 32)
        phentsize, phnum = struct.unpack_from("<HH", head, 54)
        f.seek(phoff)
        table = f.read(phentsize * phnum)
    low, writable = None, []
    for i in range(phnum):
        p_type, p_flags, _, vaddr, _, _, memsz, _ = struct.unpack_from("<IIQQQQQQ", table, i * phentsize)
        if p_type != 1:
            continue
        page = vaddr & ~0xfff
        low = page if low is None else min(low, page)
        if p_flags & 2:
            writable.append((vaddr, memsz))
    return low or 0, writable


def slack(pid):
    """{(file, address): bytes} of the slack between the end of each writable
    segment of PID's executable and libpython and its page end."""
    found = {}
    with open("/proc/%d/maps" % pid) as f:
        lines = [line.split() for line in f]
    seen = set()
    for w in lines:
        if len(w) < 6 or int(w[2], 16) != 0 or w[5] in seen:
            continue
        name = os.path.basename(w[5])
        if not (name.startswith("libpython") or re.match(r"python3(\.\d+)?[dm]?$", name)):
            continue
        seen.add(w[5])
        start, stop = (int(x, 16) for x in w[0].split("-"))
        try:
            # (map_files names have no leading zeros: 400000-41f000)
            low, segs = elf_segments("/proc/%d/map_files/%x-%x" % (pid, start, stop))
        except OSError:
            continue
        for vaddr, memsz in segs:
            end = start - low + vaddr + memsz
            page_end = (end + 0xfff) & ~0xfff
            with open("/proc/%d/mem" % pid, "rb") as mem:
                mem.seek(end)
                found[(name, end)] = mem.read(page_end - end)
    return found


def start(interp, mode, seconds, block=0):
    return te.start_ready(interp.argv(interp.script(TARGET), mode, str(seconds), str(block)))


def finish(proc, timeout=30):
    """The target's last line ("done rounds=..."), waiting for its end."""
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        te.stop(proc)
        return ""
    return out.decode("utf-8", "replace").strip()


def run_probe(pid, script, timeout_ms, prefix=()):
    t0 = time.monotonic()
    p = subprocess.run(list(prefix) + [probe_binary(), str(pid), script, str(timeout_ms)],
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout_ms / 1000.0 + 30)
    return p.returncode, p.stdout.decode("utf-8", "replace").strip(), time.monotonic() - t0


def markers(path):
    try:
        with open(path) as f:
            return [line.split() for line in f if line.strip()]
    except OSError:
        return []


def setup(interp, name):
    work = interp.mkdtemp("pytop-inject-")
    os.chmod(work, 0o777)
    mark = os.path.join(work, "marker")
    script = os.path.join(work, name + ".py")
    with open(script, "w") as f:
        f.write(SCRIPT % interp.inside(mark))
    return work, mark, interp.inside(script)


def test_runs(tap, interp, mode):
    what = "%s: %s target: the script runs once in the main thread, the target untouched" % (interp.label, mode)
    work, mark, script = setup(interp, mode)
    proc = start(interp, mode, 4)
    if proc is None:
        tap.ok(False, what, ["the target did not start"])
        return
    try:
        before = slack(proc.pid)
        rc, out, took = run_probe(proc.pid, script, 3000)
        time.sleep(0.5)
        lines = markers(mark)
        problems = untouched(proc.pid)
        after = slack(proc.pid)
        done = finish(proc)
    finally:
        te.stop(proc)
        shutil.rmtree(work, ignore_errors=True)
    version = interp.version.split()[0] if interp.version else ""
    if rc != 0:
        problems.append("inject_probe exit %d: %s" % (rc, out))
    if len(lines) != 1:
        problems.append("the script ran %d times: %r" % (len(lines), lines))
    elif lines[0][:2] != [str(proc.pid), "MainThread"] or (version and lines[0][2] != version):
        problems.append("the script ran as %r, not pid %d MainThread %s" % (lines[0], proc.pid, version))
    if not before:
        problems.append("no slack found to compare (the check reads nothing)")
    if after != before:
        problems.append("slack changed: %r" % sorted(k for k in after if after[k] != before.get(k)))
    m = re.search(r"done rounds=(\d+) bad=(\d+)", done)
    if not m or int(m.group(1)) == 0 or int(m.group(2)) != 0:
        problems.append("the target's own results: %r" % done)
    tap.ok(not problems, what + " (%.2f s)" % took, problems + ["probe: " + out])


def test_refused(tap, interp, mode):
    what = "%s: %s target: refused within the timeout, the target untouched" % (interp.label, mode)
    work, mark, script = setup(interp, mode)
    proc = start(interp, mode, 5, 3)
    if proc is None:
        tap.ok(False, what, ["the target did not start"])
        return
    try:
        time.sleep(0.2)
        before = slack(proc.pid)
        rc, out, took = run_probe(proc.pid, script, 1000)
        problems = untouched(proc.pid)
        done = finish(proc)   # its main thread runs Python again after 3 s
        lines = markers(mark)
        after = slack(proc.pid) if proc.poll() is None else before
    finally:
        te.stop(proc)
        shutil.rmtree(work, ignore_errors=True)
    if rc != 1 or "did not reach a safe point" not in out:
        problems.append("inject_probe exit %d: %r" % (rc, out))
    if took > 2.5:   # the timeout, then one stop to take the calls back (slower on a loaded machine)
        problems.append("took %.2f s for a 1 s timeout" % took)
    if lines:
        problems.append("the script ran later: %r" % lines)
    if after != before:
        problems.append("slack changed")
    if not re.search(r"done rounds=[1-9]\d* bad=0", done):
        problems.append("the target's own results: %r" % done)
    tap.ok(not problems, what + " (%.2f s)" % took, problems + ["probe: " + out])


def test_lock(tap, interp):
    what = ("%s: lock target: the main thread asleep in Lock.acquire is woken to run the script once "
            "and waits on, or refused untouched" % interp.label)
    work, mark, script = setup(interp, "lock")
    proc = start(interp, "lock", 5, 3)
    if proc is None:
        tap.ok(False, what, ["the target did not start"])
        return
    try:
        time.sleep(0.2)
        before = slack(proc.pid)
        t0 = time.monotonic()
        rc, out, took = run_probe(proc.pid, script, 1000)
        problems = untouched(proc.pid)
        early = markers(mark)
        waited = time.monotonic() - t0
        done = finish(proc)   # its lock wait ends after 3 s, then it runs on
        lines = markers(mark)
        after = slack(proc.pid) if proc.poll() is None else before
    finally:
        te.stop(proc)
        shutil.rmtree(work, ignore_errors=True)
    served = rc == 0 and "injected" in out
    if not served and (rc != 1 or "did not reach a safe point" not in out):
        problems.append("inject_probe exit %d: %r" % (rc, out))
    if served and (len(early) != 1 or early[0][:2] != [str(proc.pid), "MainThread"]):
        problems.append("while the lock was awaited the script ran %r (once, in MainThread, expected)" % early)
    if lines != early or (not served and lines):
        problems.append("the script ran later: %r" % lines)
    if after != before:
        problems.append("slack changed")
    if not re.search(r"done rounds=[1-9]\d* bad=0", done):
        problems.append("the target's own results: %r" % done)
    tap.ok(not problems, what + " (%s, %.2f s)" % ("served" if served else "refused", took),
           problems + ["probe: " + out, "waited %.2f s" % waited])


def test_killed(tap, interp):
    what = ("%s: inject_probe SIGKILLed while waiting: the target runs on untraced, the queued call "
            "runs once when the main thread is back" % interp.label)
    work, mark, script = setup(interp, "killed")
    proc = start(interp, "gil", 6, 3)
    if proc is None:
        tap.ok(False, what, ["the target did not start"])
        return
    probe = None
    try:
        time.sleep(0.2)
        before = slack(proc.pid)
        probe = subprocess.Popen([probe_binary(), str(proc.pid), script, "20000"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)
        probe.kill()
        probe.wait()
        time.sleep(0.1)
        problems = untouched(proc.pid)
        early = markers(mark)
        after_kill = slack(proc.pid)
        done = finish(proc)
        lines = markers(mark)
    finally:
        if probe and probe.poll() is None:
            probe.kill()
        te.stop(proc)
        shutil.rmtree(work, ignore_errors=True)
    if early:
        problems.append("the script ran while the main thread was blocked: %r" % early)
    if len(lines) != 1 or lines[0][:2] != [str(proc.pid), "MainThread"]:
        problems.append("after the main thread came back the script ran %r (once expected)" % lines)
    left = [k for k in after_kill if after_kill[k] != before.get(k)]
    if not any(b"__pytop_boot__" in after_kill[k] for k in left):
        problems.append("the bootstrap text is not where the slack changed: %r" % left)
    if not re.search(r"done rounds=[1-9]\d* bad=0", done):
        problems.append("the target's own results: %r" % done)
    tap.ok(not problems, what, problems)


def test_stale(tap, interp):
    what = ("%s: after inject_probe was SIGKILLed 3 times mid-injection, the stale bootstrap texts are recognised: "
            "refused while still queued (saying so), then cleared and reused" % interp.label)
    work, mark, script = setup(interp, "stale")
    gone = interp.inside(os.path.join(work, "gone.py"))   # never exists, as pytop's removed bootstrap
    block = 4
    proc = start(interp, "gil", block + 4, block)
    if proc is None:
        tap.ok(False, what, ["the target did not start"])
        return
    problems, outs = [], []
    try:
        t0 = time.monotonic()
        time.sleep(0.2)
        before = slack(proc.pid)
        for _ in range(3):
            probe = subprocess.Popen([probe_binary(), str(proc.pid), gone, "20000"],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            time.sleep(0.6)
            probe.kill()
            outs.append(probe.communicate()[0].decode("utf-8", "replace").strip())
        stale = slack(proc.pid)
        left = [k for k in stale if b"__pytop_boot__" in stale[k]]
        rc, full, _ = run_probe(proc.pid, script, 500)
        problems += untouched(proc.pid)
        time.sleep(max(0.0, block + 0.5 - (time.monotonic() - t0)))   # the main thread ran the stale calls
        rc2, out2, took = run_probe(proc.pid, script, 3000)
        time.sleep(0.3)
        lines = markers(mark)
        after = slack(proc.pid)
        problems += untouched(proc.pid)
        done = finish(proc)
    finally:
        te.stop(proc)
        shutil.rmtree(work, ignore_errors=True)
    if not left or any(b != b"\0" * len(b) for b in before.values()):
        problems.append("the kills left no bootstrap text in the slack (or it was not zero before): %r" % left)
    if rc != 1 or "no unused memory" in full or not (
            "left by a pytop killed while it waited, still queued" in full or "did not reach a safe point" in full):
        problems.append("while the stale calls were queued: exit %d: %r" % (rc, full))
    if rc2 != 0 or not out2.startswith("injected"):
        problems.append("once they ran: exit %d: %r" % (rc2, out2))
    if len(lines) != 1 or lines[0][:2] != [str(proc.pid), "MainThread"]:
        problems.append("the script ran %r (once in MainThread expected)" % lines)
    if after != before:
        problems.append("slack not zero again: %r" % sorted(k for k in after if after[k] != before.get(k)))
    if not re.search(r"done rounds=[1-9]\d* bad=0", done):
        problems.append("the target's own results: %r" % done)
    tap.ok(not problems, what + " (%.2f s)" % took, problems + ["killed probes: %r" % outs, "refused: " + full])


def test_signals(tap, interp):
    what = ("%s: three injections while SIGRTMIN arrives every 0.2 ms: every signal delivered once, "
            "the script ran three times" % interp.label)
    work, mark, script = setup(interp, "signals")
    proc = start(interp, "signals", 5)
    if proc is None:
        tap.ok(False, what, ["the target did not start"])
        return
    sent = [0]
    stop = threading.Event()

    def sender():
        while not stop.is_set() and sent[0] < 20000:
            try:
                os.kill(proc.pid, signal.SIGRTMIN)
            except OSError:
                return
            sent[0] += 1
            time.sleep(0.0002)
    thread = threading.Thread(target=sender)
    problems = []
    try:
        time.sleep(0.2)
        thread.start()
        time.sleep(0.1)
        for _ in range(3):
            rc, out, _ = run_probe(proc.pid, script, 3000)
            if rc != 0:
                problems.append("inject_probe exit %d: %s" % (rc, out))
        time.sleep(0.3)
        stop.set()
        thread.join()
        problems += untouched(proc.pid)
        done = finish(proc)
        lines = markers(mark)
    finally:
        stop.set()
        te.stop(proc)
        shutil.rmtree(work, ignore_errors=True)
    if len(lines) != 3 or any(w[:2] != [str(proc.pid), "MainThread"] for w in lines):
        problems.append("the script ran as %r (3 times in MainThread expected)" % lines)
    m = re.search(r"bad=(\d+) .*signals=(\d+)", done)
    if not m or m.group(1) != "0" or int(m.group(2)) != sent[0]:
        problems.append("sent %d signals; the target says %r" % (sent[0], done))
    tap.ok(not problems, what + " (%d signals)" % sent[0], problems)


def test_traced(tap, interp):
    what = "%s: a target another process traces (strace) is refused naming the tracer" % interp.label
    strace = shutil.which("strace")
    if os.geteuid() != 0 or not strace:
        tap.skip(what, "not root or no strace")
        return
    work, mark, script = setup(interp, "traced")
    proc = start(interp, "sleep", 6)
    tracer = None
    try:
        tracer = subprocess.Popen([strace, "-o", "/dev/null", "-p", str(proc.pid)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            if status(proc.pid)[1]:
                break
            time.sleep(0.05)
        rc, out, _ = run_probe(proc.pid, script, 1000)
        tracer.terminate()
        tracer.wait()
        time.sleep(0.5)
        problems = untouched(proc.pid)
        lines = markers(mark)
    finally:
        if tracer and tracer.poll() is None:
            tracer.kill()
        te.stop(proc)
        shutil.rmtree(work, ignore_errors=True)
    if rc != 1 or "already traced by PID" not in out or "strace" not in out or "\n" in out:
        problems.append("inject_probe exit %d: %r" % (rc, out))
    if lines:
        problems.append("the script ran: %r" % lines)
    tap.ok(not problems, what, problems)


def test_other_user(tap):
    what = "another user's process: one clear line, the target untouched"
    setpriv, python = shutil.which("setpriv"), pythons.DEBIAN_PYTHON
    if os.geteuid() != 0 or not setpriv or not os.access(python, os.X_OK):
        tap.skip(what, "needs root, setpriv and %s" % python)
        return
    work = pythons.Interpreter(python, "nobody", "").mkdtemp("pytop-inject-")
    os.chmod(work, 0o755)
    target = os.path.join(work, "inject_target.py")
    shutil.copyfile(TARGET, target)
    os.chmod(target, 0o644)
    nobody = [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"]
    daemon = [setpriv, "--reuid=daemon", "--regid=daemon", "--clear-groups", "--"]
    proc = te.start_ready(nobody + [python, target, "sleep", "5"])
    if proc is None:
        tap.ok(False, what, ["nobody's target did not start"])
        shutil.rmtree(work, ignore_errors=True)
        return
    try:
        rc, out, _ = run_probe(proc.pid, "/tmp/none.py", 1000, prefix=daemon)
        problems = untouched(proc.pid)
    finally:
        te.stop(proc)
        shutil.rmtree(work, ignore_errors=True)
    if rc == 0 or "permission denied" not in out or "\n" in out:
        problems.append("inject_probe exit %d: %r" % (rc, out))
    tap.ok(not problems, what, problems + ["probe: " + out])


def main():
    tap = pythons.Tap()
    if not os.access(probe_binary(), os.X_OK):
        tap.ok(False, "inject_probe built (make check builds it)", [probe_binary()])
        tap.done()
        return
    first = None
    # chroot=True only to name the sid root's 3.14+ below: their pending-call
    # path does not exist, and this test starts its targets directly.
    for interp in pythons.interpreters(tap, chroot=True):
        m = re.match(r"(\d+)\.(\d+)", interp.version or "")
        if m and (int(m.group(1)), int(m.group(2))) >= (3, 14):
            tap.skip("%s: pending-call injection" % interp.label,
                     "not applicable: 3.14+ injects through PEP 768 (src/agent/inject.c), "
                     "covered by test_watch/test_trace")
            continue
        if interp.root:
            tap.skip("%s: pending-call injection" % interp.label,
                     "a chrooted interpreter before 3.14: this test starts its targets directly")
            continue
        first = first or interp
        for mode in ("loop", "sleep"):
            test_runs(tap, interp, mode)
        test_lock(tap, interp)
        for mode in ("gil",):
            test_refused(tap, interp, mode)
        test_killed(tap, interp)
        test_stale(tap, interp)
        test_signals(tap, interp)
    if first:
        test_traced(tap, first)
    test_other_user(tap)
    tap.done()


if __name__ == "__main__":
    main()
