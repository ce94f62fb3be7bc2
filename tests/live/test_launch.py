"""Live test of launch mode, exits, -o, --blocking and unusual targets (TAP).

Run with the system python3 (automake's PY_LOG_COMPILER); the pytop under test
is $PYTOP (absolute path; default <repo>/pytop). One interpreter (the first of
pythons.py's list) runs the launch tests; the PID-namespace test runs on one
3.11+ and one 3.8-3.10 interpreter (their thread ids come from different
places). Each run has a timeout: a hang is a failure, never a stuck suite.

  no arguments      plain `pytop`: the usage on stderr, exit 2
  not Python        `--batch -- bash -c 'sleep 2.5'`: a non-zero exit, the
                    2 s "no Python interpreter has started" line, and why
  not Python, -d    `--batch -d 2 -- sleep 60`: -d is honoured (pytop ends
                    well before 60 s), non-zero, the program is ended
  too short         `-- python --badopt` (exits at once): the program's own
                    status (2) and a snapshot with a Note, text and JSON; and
                    `-c 'print(1)'` ten times: exit 0 and a snapshot each time
  -d ends it        `--batch -d 1` of a program that ignores SIGINT, pytop's
                    stdout/stderr pipes: communicate() returns (the pipes are
                    not held), exit 0, the program is gone, the snapshot
                    written
  --keep-running    the program outlives pytop, which says so and where its
                    output went (a log file: pytop's pipes are not held)
  -o unwritable     a path in a missing directory: one-line error, non-zero,
                    and the program never started (it would write a marker);
                    with -p: fails at once, not after -d 30
  live view, q      in a pty, `pytop -- sleep 60` shows "waiting for a Python
                    interpreter" and quits on q (the program ended)
  deleted binary    a copy of the static /usr/bin/python3.11 started, then
                    deleted: --dump and --batch read it (SKIP when missing)
  PID namespace     `unshare -p -f --mount-proc python target`: in cpu mode
                    the burner thread has pytop's tid (one of
                    /proc/PID/task), its name, > 50% running and its
                    function; --dump gives states (SKIP, loudly, when
                    unshare is not permitted)
  --dump --blocking pauses the threads (a target already traced by another
                    tracer makes it fail; a plain --dump reads it running
                    with a one-line note; --nonblocking does not try), and
                    leaves a SIGSTOPped target stopped
  stopped target    a SIGSTOPped CPU burner under a 3 s --batch --blocking:
                    its CPU ticks do not move and it is still stopped
                    after; a plain batch of it warns that it is stopped
                    (text WARNING, JSON target_stopped) and HoldBlk's
                    legend says a holder can be stopped
  probe signal      D1: SIGUSR1 sent while --dump's ptrace probe holds the
                    target (strace delays the probe's PTRACE_SEIZE return
                    by 0.6 s) is handled exactly once; SKIP without strace
  chroot            on each chrooted interpreter (the sid root's):
                    `pytop --batch -f json -- chroot ROOT /usr/bin/python3.X
                    script` follows the exec into Python, and `-- unshare
                    --pid --fork --mount-proc chroot ROOT ...` the fork to
                    it (the Python is the wrapper's only descendant): the
                    program's exit
                    status (5) is pytop's, the snapshot has its version, argv
                    and work(); `-- chroot ROOT python --badopt`: status 2
                    and a snapshot with a note (it exits before it can be
                    sampled); and the --blocking signal rounds, launched
                    through Interpreter.argv (unshare + sh + chroot)
"""

import json
import os
import pty
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pythons  # noqa: E402

TIMEOUT = 40

# Prints its pid, then burns CPU in one thread and sleeps in another.
BURNER = r"""
import os, signal, sys, threading, time
if len(sys.argv) > 1 and sys.argv[1] == 'noint':
    signal.signal(signal.SIGINT, signal.SIG_IGN)
def burn():
    x = 0
    while True:
        x += 1
def idle():
    while True:
        time.sleep(0.05)
threading.Thread(target=burn, name='burner', daemon=True).start()
threading.Thread(target=idle, name='sleeper', daemon=True).start()
sys.stdout.write('%d\n' % os.getpid()); sys.stdout.flush()
idle()
"""


def run(args, timeout=TIMEOUT, **kw):
    kw.setdefault("stdin", subprocess.DEVNULL)
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    return subprocess.run(args, timeout=timeout, **kw)


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid, errors="replace") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def stat_fields(pid):
    """(state, utime+stime ticks) of pid, process-wide."""
    with open("/proc/%d/stat" % pid, errors="replace") as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return rest[0], int(rest[11]) + int(rest[12])


def run_ns(pid):
    """CPU time of pid's threads in ns (schedstat), finer than stat's ticks."""
    return sum(pythons.thread_run_ns(pid, tid) for tid in os.listdir("/proc/%d/task" % pid))


def wait_state(pid, states, timeout=10):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if stat_fields(pid)[0] in states:
            return True
        time.sleep(0.02)
    return False


def start_target(python, *extra, prefix=()):
    """Start BURNER (under prefix); returns (Popen, pid it printed)."""
    proc = subprocess.Popen(list(prefix) + [python, "-c", BURNER] + list(extra),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
    ready, _, _ = select.select([proc.stdout], [], [], 30)
    line = proc.stdout.readline() if ready else b""
    return proc, int(line) if line.strip() else 0


def stop_target(proc, pid=0):
    for p in (pid, proc.pid):
        try:
            if p:
                os.kill(p, signal.SIGKILL)
        except OSError:
            pass
    proc.wait()


def test_usage(tap, pytop):
    r = run([pytop])
    err = r.stderr.decode(errors="replace")
    tap.ok(r.returncode == 2 and "Usage:" in err and not r.stdout,
           "plain pytop prints the usage on stderr and exits 2",
           "exit %d stderr %r" % (r.returncode, err[:200]))


def test_not_python(tap, pytop):
    r = run([pytop, "--batch", "--", "bash", "-c", "sleep 2.5"])
    err = r.stderr.decode(errors="replace")
    tap.ok(r.returncode != 0 and "no Python interpreter has started" in err
           and "without starting a Python interpreter" in err,
           "a non-Python program: non-zero exit, the 2 s note and the reason",
           "exit %d stderr %r" % (r.returncode, err))
    r = run([pytop, "--batch", "--", "bash", "-c", "sleep 0.3; exit 7"])
    tap.ok(r.returncode == 7 and b"exited (status 7) without starting a Python interpreter" in r.stderr,
           "a non-Python program that fails: pytop exits with its status (7) and says why",
           "exit %d stderr %r" % (r.returncode, r.stderr))
    # Ctrl-C at a terminal: SIGINT to pytop and the program (its process
    # group). The program dies of it: 130, its own status (was 130 or 1 by
    # whether pytop had reaped it yet: 1 in 6 runs).
    codes = []
    for i in range(8):
        p = subprocess.Popen([pytop, "--batch", "--", "sleep", "60"], stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        p.stderr.readline()   # the 2 s note: pytop is waiting
        os.killpg(p.pid, signal.SIGINT)
        try:
            p.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
        codes.append(p.returncode)
    tap.ok(codes == [130] * 8, "a non-Python program and pytop get Ctrl-C (SIGINT to the group): pytop exits "
           "130, the program's status (8 runs)", "exit statuses %r" % codes)
    with tempfile.TemporaryDirectory() as tmp:
        pidfile = os.path.join(tmp, "pid")
        start = time.monotonic()
        try:
            r = run([pytop, "--batch", "-d", "2", "--", "bash", "-c",
                     "echo $$ > %s; exec sleep 60" % pidfile], timeout=30)
        except subprocess.TimeoutExpired:
            tap.ok(False, "a non-Python program with -d 2: pytop honours -d", "timed out")
            kill_quietly(read_pid(pidfile, 1))
            return
        took = time.monotonic() - start
        pid = int(open(pidfile).read()) if os.path.exists(pidfile) else 0
        tap.ok(r.returncode == 1 and took < 25 and pid and not alive(pid),
               "a non-Python program with -d 2: pytop ends it and exits 1 (not the status it caused)",
               "exit %d after %.1f s, program %d alive %s, stderr %r" %
               (r.returncode, took, pid, pid and alive(pid), r.stderr.decode(errors="replace")))
        kill_quietly(pid)


def test_too_short(tap, pytop, py):
    for fmt in ("text", "json"):
        r = run([pytop, "--batch", "-f", fmt, "--", py.path, "--badopt"])
        out = r.stdout.decode(errors="replace")
        if fmt == "json":
            try:
                good = "note" in json.loads(out)
            except ValueError:
                good = False
        else:
            good = "Samples:" in out and "Note:" in out
        tap.ok(r.returncode == 2 and good,
               "%s: a program that exits at once: its status and a %s snapshot with a note" %
               (py.label, fmt), "exit %d stdout %r stderr %r" %
               (r.returncode, out[:300], r.stderr.decode(errors="replace")))
    # Through a wrapper that forks (pytop may not see the short-lived
    # interpreter at all): still the program's status, never 0 or pytop's 1.
    codes = []
    for i in range(5):
        r = run([pytop, "--batch", "-f", "json", "--", "sh", "-c", "%s --badopt; exit $?" % py.path])
        codes.append(r.returncode)
    tap.ok(codes == [2] * 5,
           "%s: a wrapper whose interpreter exits at once with status 2: pytop exits 2 (5 runs)" % py.label,
           "exit statuses %r, last stderr %r" % (codes, r.stderr.decode(errors="replace")))
    bad = []
    for i in range(10):
        r = run([pytop, "--batch", "--", py.path, "-c", "print(1)"])
        if r.returncode != 0 or b"Samples:" not in r.stdout:
            bad.append("run %d: exit %d stdout %r stderr %r" % (i, r.returncode, r.stdout[:200], r.stderr))
    tap.ok(not bad, "%s: print(1) ten times: exit 0 and a snapshot every time" % py.label, bad)


def pid_script(pidfile):
    """BURNER writing its pid to pidfile instead of stdout."""
    return BURNER.replace("sys.stdout.write('%d\\n' % os.getpid()); sys.stdout.flush()",
                          "open(%r, 'w').write(str(os.getpid()))" % pidfile)


def read_pid(pidfile, timeout=20):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if os.path.exists(pidfile):
            text = open(pidfile).read()
            if text:
                return int(text)
        time.sleep(0.05)
    return 0


def kill_quietly(pid):
    try:
        if pid:
            os.kill(pid, signal.SIGKILL)
    except OSError:
        pass


def test_duration_ends_program(tap, pytop, py):
    with tempfile.TemporaryDirectory() as tmp:
        pidfile = os.path.join(tmp, "pid")
        out = os.path.join(tmp, "snap.txt")
        proc = subprocess.Popen([pytop, "--batch", "-d", "2", "-o", out, "--", py.path, "-c",
                                 pid_script(pidfile), "noint"], stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            stdout, stderr = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            stderr = b"communicate() timed out: the program still holds pytop's stdout/stderr"
            proc.returncode = -1
        pid = read_pid(pidfile, 1)
        snap = open(out).read() if os.path.exists(out) else ""
        tap.ok(proc.returncode == 0 and pid and not alive(pid) and "Samples:" in snap,
               "%s: -d 2 on a program ignoring SIGINT: pipes released, program ended, exit 0, snapshot"
               % py.label, "exit %d pid %d alive %s stderr %r snapshot %r" %
               (proc.returncode, pid, pid and alive(pid), stderr.decode(errors="replace"), snap[:200]))
        kill_quietly(pid)
    with tempfile.TemporaryDirectory() as tmp:
        pidfile = os.path.join(tmp, "pid")
        out = os.path.join(tmp, "snap.txt")
        try:
            r = run([pytop, "--batch", "-d", "1", "--keep-running", "-o", out, "--", py.path, "-c",
                     pid_script(pidfile)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                    env=dict(os.environ, TMPDIR=tmp), timeout=30)
        except subprocess.TimeoutExpired as exc:
            r = subprocess.CompletedProcess(exc.cmd, -1, b"", b"timed out (pipes held)")
        pid = read_pid(pidfile)
        still = pid and alive(pid)
        tap.ok(r.returncode == 0 and still and b"still running" in r.stderr and b"output is in" in r.stderr,
               "%s: --keep-running: the program outlives pytop (not its pipes), which says so" % py.label,
               "exit %d pid %d alive %s stderr %r" % (r.returncode, pid, still, r.stderr))
        kill_quietly(pid)


def test_output_first(tap, pytop, py):
    with tempfile.TemporaryDirectory() as tmp:
        marker = os.path.join(tmp, "started")
        bad = os.path.join(tmp, "missing", "snap.txt")
        r = run([pytop, "--batch", "-o", bad, "--", py.path, "-c",
                 "open(%r, 'w').close()\nimport time\ntime.sleep(1)" % marker])
        time.sleep(0.5)
        err = r.stderr.decode(errors="replace").strip()
        tap.ok(r.returncode != 0 and not os.path.exists(marker) and "cannot write" in err
               and len(err.splitlines()) == 1,
               "%s: unwritable -o fails before the program starts, in one line" % py.label,
               "exit %d marker %s stderr %r" % (r.returncode, os.path.exists(marker), err))
        proc, pid = start_target(py.path)
        try:
            start = time.monotonic()
            r = run([pytop, "--batch", "-d", "30", "-o", bad, "-p", str(pid)], timeout=25)
            took = time.monotonic() - start
            tap.ok(r.returncode != 0 and took < 20,
                   "%s: unwritable -o with -p fails before sampling" % py.label,
                   "exit %d after %.1f s" % (r.returncode, took))
        except subprocess.TimeoutExpired:
            tap.ok(False, "%s: unwritable -o with -p fails before sampling" % py.label, "timed out")
        finally:
            stop_target(proc, pid)


def test_live_view_waiting(tap, pytop):
    for how in ("q", "SIGTERM"):
        live_view_waiting(tap, pytop, how)


def live_view_waiting(tap, pytop, how):
    """q quits the waiting screen (exit 1); a stop signal (SIGTERM) makes
    pytop die of it, as the live view does (it exited 1)."""
    with tempfile.TemporaryDirectory() as tmp:
        pidfile = os.path.join(tmp, "pid")
        child, fd = pty.fork()
        if child == 0:
            os.environ["TERM"] = "xterm"
            os.environ["TMPDIR"] = tmp
            os.execv(pytop, [pytop, "--", "bash", "-c", "echo $$ > %s; exec sleep 60" % pidfile])
        seen = b""
        end = time.monotonic() + 30
        while time.monotonic() < end and b"waiting for a Python interpreter" not in seen:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if ready:
                try:
                    seen += os.read(fd, 65536)
                except OSError:
                    break
        shown = b"waiting for a Python interpreter" in seen
        if shown and how == "q":
            os.write(fd, b"q")
        elif shown:
            os.kill(child, signal.SIGTERM)
        status = None
        end = time.monotonic() + 15
        while time.monotonic() < end:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                try:
                    os.read(fd, 65536)
                except OSError:
                    pass
            pid, st = os.waitpid(child, os.WNOHANG)
            if pid:
                status = st
                break
        if status is None:
            os.kill(child, signal.SIGKILL)
            os.waitpid(child, 0)
        os.close(fd)
        prog = int(open(pidfile).read()) if os.path.exists(pidfile) else 0
        if how == "q":
            right = status is not None and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 1
            desc = "q quits with exit 1 and ends it"
        else:
            right = status is not None and os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGTERM
            desc = "SIGTERM: pytop ends it and dies of SIGTERM"
        tap.ok(shown and right and prog and not alive(prog),
               "live view, non-Python program: 'waiting for a Python interpreter', " + desc,
               "shown %s wait status %r program %d alive %s" % (shown, status, prog, prog and alive(prog)))
        kill_quietly(prog)


def test_deleted_binary(tap, pytop):
    src = pythons.DEBIAN_PYTHON
    if not os.access(src, os.X_OK):
        tap.skip("deleted static interpreter", "%s not found" % src)
        return
    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, "python3.11")
        shutil.copy(src, copy)
        proc, pid = start_target(copy)
        try:
            os.unlink(copy)
            with open("/proc/%d/maps" % pid) as f:
                deleted = "(deleted)" in f.read()
            r = run([pytop, "--dump", "-p", str(pid)])
            out = r.stdout.decode(errors="replace")
            tap.ok(deleted and r.returncode == 0 and "burn" in out,
                   "deleted static interpreter: --dump reads it",
                   "deleted %s exit %d stdout %r stderr %r" % (deleted, r.returncode, out[:300], r.stderr))
            r = run([pytop, "--batch", "-d", "1", "-f", "json", "-p", str(pid)])
            try:
                snap = json.loads(r.stdout)
                names = [f["name"] for f in snap.get("functions", [])]
            except (ValueError, KeyError, TypeError):
                names = []
            tap.ok(r.returncode == 0 and "burn" in names,
                   "deleted static interpreter: --batch samples it",
                   "exit %d functions %r stderr %r" % (r.returncode, names[:10], r.stderr))
        finally:
            stop_target(proc, pid)


def child_pid(pid, timeout=20):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
                kids = f.read().split()
            if kids:
                return int(kids[0])
        except OSError:
            return 0
        time.sleep(0.05)
    return 0


def test_pid_namespace(tap, pytop, pys):
    unshare = shutil.which("unshare")
    prefix = [unshare, "-p", "-f", "--mount-proc"] if unshare else []
    probe = run(prefix + ["true"]) if unshare else None
    if not unshare or probe.returncode != 0:
        tap.diag("!!! PID namespace tests not run: unshare -p -f --mount-proc is %s" %
                 ("missing (util-linux)" if not unshare else "not permitted: %r" % probe.stderr))
        tap.skip("PID namespace target", "unshare not available or not permitted")
        return
    picked = []
    for want in (lambda v: v >= (3, 11), lambda v: v < (3, 11)):
        for py in pys:
            if want(tuple(int(x) for x in py.version.split(".")[:2])):
                picked.append(py)
                break
    for py in picked:
        proc, inner = start_target(py.path, prefix=prefix)
        pid = child_pid(proc.pid)
        try:
            tasks = set(int(t) for t in os.listdir("/proc/%d/task" % pid)) if pid else set()
            r = run([pytop, "--batch", "-d", "2", "-f", "json", "-p", str(pid)])
            try:
                snap = json.loads(r.stdout)
            except ValueError:
                snap = {}
            burner = [t for t in snap.get("threads", []) if t.get("name") == "burner"]
            funcs = [f["name"] for f in snap.get("functions", [])]
            b = burner[0] if burner else {}
            running = b.get("states", {}).get("running", 0)
            tap.ok(inner == 1 and b and b.get("tid") in tasks and running > 0.5 * b.get("samples", 1)
                   and "burn" in funcs,
                   "%s in its own PID namespace: cpu mode has the burner's tid, name, state, function"
                   % py.label, "inner pid %d host %d tasks %r threads %r functions %r stderr %r" %
                   (inner, pid, sorted(tasks), snap.get("threads"), funcs[:8], r.stderr))
            r = run([pytop, "--dump", "--json", "-p", str(pid)])
            try:
                threads = json.loads(r.stdout)["threads"]
            except (ValueError, KeyError):
                threads = []
            tap.ok(threads and all(t["tid"] in tasks and t["state"] != "unknown" for t in threads),
                   "%s in its own PID namespace: --dump has pytop's tids and states" % py.label,
                   "threads %r stderr %r" % ([(t.get("tid"), t.get("state")) for t in threads], r.stderr))
        finally:
            stop_target(proc, pid)


TRACED = r"""
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
pid = os.fork()
if pid == 0:
    libc.ptrace(0, 0, None, None)   # PTRACE_TRACEME: the parent traces it
    def work():
        # ready once in work(): a dump from now on must show it
        sys.stdout.write('%d\n' % os.getpid()); sys.stdout.flush()
        while True:
            time.sleep(0.05)
    work()
os.waitpid(pid, 0)
"""


def test_dump_blocking(tap, pytop, py):
    proc, pid = start_target(py.path)
    try:
        r = run([pytop, "--dump", "--blocking", "--json", "-p", str(pid)])
        try:
            threads = json.loads(r.stdout)["threads"]
        except (ValueError, KeyError):
            threads = []
        states = sorted(t["state"] for t in threads)
        after = stat_fields(pid)[0]
        tap.ok(r.returncode == 0 and "running" in states and after not in ("t", "T"),
               "%s: --dump --blocking: the dump, states from before the pause, target runs after"
               % py.label, "exit %d states %r after %s stderr %r" % (r.returncode, states, after, r.stderr))
        os.kill(pid, signal.SIGSTOP)
        wait_state(pid, ("T",))
        r = run([pytop, "--dump", "--blocking", "-p", str(pid)])
        time.sleep(0.3)
        after = stat_fields(pid)[0]
        tap.ok(r.returncode == 0 and after == "T",
               "%s: --dump --blocking leaves a stopped target stopped" % py.label,
               "exit %d state after %s stderr %r" % (r.returncode, after, r.stderr))
    finally:
        stop_target(proc, pid)
    # A target that another tracer holds: --blocking must try ptrace (and
    # fail); a plain dump, which pauses the target when it can, reads it
    # running and says so; --nonblocking does not try.
    proc = subprocess.Popen([py.path, "-c", TRACED], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
    ready, _, _ = select.select([proc.stdout], [], [], 30)
    line = proc.stdout.readline() if ready else b""
    pid = int(line) if line.strip() else 0
    try:
        plain = run([pytop, "--dump", "-p", str(pid)])
        blocking = run([pytop, "--dump", "--blocking", "-p", str(pid)])
        nonblocking = run([pytop, "--dump", "--nonblocking", "-p", str(pid)])
        tap.ok(pid and blocking.returncode != 0 and b"--blocking" in blocking.stderr,
               "%s: --dump --blocking pauses with ptrace (fails on an already traced target)" % py.label,
               "blocking exit %d stderr %r" % (blocking.returncode, blocking.stderr))
        tap.ok(pid and plain.returncode == 0 and b"could not be paused" in plain.stderr and
               b"already traced by PID" in plain.stderr and plain.stderr.count(b"\n") == 1 and
               b"work (" in plain.stdout,
               "%s: a plain --dump of an already traced target reads it running, with a one-line note"
               % py.label, "plain exit %d stderr %r stdout %r" % (plain.returncode, plain.stderr,
                                                                  plain.stdout[-600:]))
        tap.ok(pid and nonblocking.returncode == 0 and not nonblocking.stderr and b"work (" in nonblocking.stdout,
               "%s: --dump --nonblocking does not try to pause it" % py.label,
               "exit %d stderr %r" % (nonblocking.returncode, nonblocking.stderr))
    finally:
        stop_target(proc, pid)


def test_stopped_stays_stopped(tap, pytop, py):
    proc, pid = start_target(py.path)
    try:
        time.sleep(0.3)
        os.kill(pid, signal.SIGSTOP)
        wait_state(pid, ("T",))
        time.sleep(0.2)
        before, ns0 = stat_fields(pid), run_ns(pid)
        r = run([pytop, "--batch", "--blocking", "-d", "3", "-p", str(pid)])
        time.sleep(0.2)
        after, ns1 = stat_fields(pid), run_ns(pid)
        # Not one nanosecond: seizing a stopped thread would wake it.
        tap.ok(r.returncode == 0 and before[0] == "T" and after[0] == "T" and ns1 == ns0,
               "%s: a SIGSTOPped target under --batch --blocking -d 3: no CPU used, still stopped"
               % py.label, "exit %d before %r after %r, %d ns of CPU, stderr %r"
               % (r.returncode, before, after, ns1 - ns0, r.stderr))
        # Read while it stays stopped: said so, and the GIL holder's
        # HoldBlk is not passed off as a system call.
        r = run([pytop, "--batch", "-d", "1", "-p", str(pid)])
        j = run([pytop, "--batch", "-d", "1", "-f", "json", "-p", str(pid)])
        try:
            stopped = json.loads(j.stdout).get("target_stopped")
        except ValueError:
            stopped = None
        tap.ok(r.returncode == 0 and b"WARNING:  the target is stopped" in r.stdout and
               b"in a system call (C code that keeps it), or stopped" in r.stdout and
               j.returncode == 0 and stopped is True,
               "%s: a SIGSTOPped target's batch warns that it is stopped (text, JSON target_stopped)"
               % py.label, "exit %d/%d target_stopped %r stdout %r" % (r.returncode, j.returncode, stopped,
                                                                       r.stdout[:1500]))
    finally:
        stop_target(proc, pid)


SIGNALLER = r"""
import os, signal, sys, threading, time
got = [0, 0]
signal.signal(signal.SIGUSR1, lambda *a: got.__setitem__(0, got[0] + 1))
# A real SIGTRAP (not one of the pause's own stops) is the program's too.
signal.signal(signal.SIGTRAP, lambda *a: got.__setitem__(1, got[1] + 1))
spins = [0]
def spin():
    while True:
        spins[0] += 1
threading.Thread(target=spin, daemon=True).start()
sent = [0, 0]
# A count, not a time: a loaded machine's pauses must not thin the test.
for n in range(80):
    k = n % 4 == 3
    os.kill(os.getpid(), signal.SIGTRAP if k else signal.SIGUSR1)
    sent[k] += 1
    time.sleep(0.02)
time.sleep(0.2)
before = spins[0]
time.sleep(0.2)
print("sent %d handled %d trap-sent %d trap-handled %d spinning %d"
      % (sent[0], got[0], sent[1], got[1], spins[0] > before))
sys.exit(3)
"""


def test_blocking_signals(tap, pytop, py):
    """--blocking in launch mode: every signal the program gets while it is
    paused and let go, round after round, is delivered once, no thread is
    left stopped, and the program's own exit status is pytop's."""
    try:
        r = run([pytop, "--batch", "--blocking", "-d", "20", "-o", os.devnull, "--"] + py.argv("-c", SIGNALLER),
                timeout=60)
    except subprocess.TimeoutExpired:
        tap.ok(False, "%s: --blocking launch with signals finishes" % py.label, "timed out")
        return
    out = r.stdout.decode("utf-8", "replace").split()
    ok = (r.returncode == 3 and len(out) == 10 and out[1] == out[3] == "60" and
          out[5] == out[7] == "20" and out[9] == "1")
    tap.ok(ok, "%s: --blocking launch: every SIGUSR1 and SIGTRAP handled once, threads run on, "
           "exit status 3 passed on"
           % py.label, "exit %d stdout %r stderr %r" % (r.returncode, r.stdout, r.stderr[-300:]))


# Runs ~1 s in work(), then exits with status 5.
WORKER = r"""
import sys, time
def work():
    end = time.time() + 1.0
    x = 0
    while time.time() < end:
        x += 1
work()
sys.exit(5)
"""


PROBE_TARGET = r"""
import os, signal, sys, time
signal.signal(signal.SIGUSR1, lambda *a: os.write(1, b"h"))
os.write(1, b"%d\n" % os.getpid())
while True:
    time.sleep(0.01)
"""


def test_probe_signal(tap, pytop, py):
    """D1: a signal that arrives while pytop's ptrace probe holds the
    target (PTRACE_SEIZE done, the interrupt not yet) is delivered once,
    not lost with the detach. strace widens the window: the probe's
    PTRACE_SEIZE returns to pytop 0.6 s late, and the signal is sent then."""
    what = "%s: a signal sent during the ptrace probe (--dump) is handled once" % py.label
    strace = shutil.which("strace")
    if not strace:
        tap.skip(what, "no strace to widen the probe's window")
        return
    proc = subprocess.Popen([py.path, "-c", PROBE_TARGET], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
    ready, _, _ = select.select([proc.stdout], [], [], 30)
    line = proc.stdout.readline() if ready else b""
    pid = int(line) if line.strip() else 0
    got = b""
    try:
        # (LeakSanitizer cannot run under a tracer: off for the sanitizer build.)
        env = dict(os.environ)
        env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS"), "detect_leaks=0"]))
        dump = subprocess.Popen([strace, "-f", "-qq", "-o", os.devnull, "-e", "trace=ptrace",
                                 "-e", "inject=ptrace:delay_exit=600000:when=1", pytop, "--dump", "-p", str(pid)],
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        deadline = time.monotonic() + 20
        while pid and pythons.tracer_pid(pid) == 0 and time.monotonic() < deadline and dump.poll() is None:
            time.sleep(0.002)
        seized = pid and pythons.tracer_pid(pid) != 0
        if seized:
            os.kill(pid, signal.SIGUSR1)
        try:
            out, err = dump.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            dump.kill()
            out, err = dump.communicate()
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and got.count(b"h") < 2:
            ready, _, _ = select.select([proc.stdout], [], [], 0.2)
            if ready:
                chunk = os.read(proc.stdout.fileno(), 64)
                if not chunk:
                    break
                got += chunk
            elif got:
                time.sleep(0.3)   # time for a second, wrong, delivery
                ready, _, _ = select.select([proc.stdout], [], [], 0)
                if ready:
                    got += os.read(proc.stdout.fileno(), 64)
                break
        state = stat_fields(pid)[0] if pid else "?"
        tap.ok(seized and dump.returncode == 0 and got == b"h" and state not in ("t", "T"),
               what, "seized %r, pytop exit %r, handler output %r, state after %s, stderr %r"
               % (seized, dump.returncode, got, state, err[-300:]))
    finally:
        stop_target(proc, pid)


def test_chroot_launch(tap, pytop, py):
    """Launch mode through a chroot (`pytop -- chroot ROOT /usr/bin/python3.14
    script`): pytop follows the exec into the Python inside the root; the
    program's own exit status is pytop's; the snapshot has the target's
    version, argv and its function; a program that exits at once still gives
    its status and a snapshot with a note."""
    with tempfile.TemporaryDirectory() as tmp:
        host = os.path.join(tmp, "pytop-launch-worker.py")
        with open(host, "w") as f:
            f.write(WORKER)
        script = py.script(host)
    # (Interpreter.argv's unshare + sh + chroot chain is launched by
    # test_blocking_signals, which checks the exit status too.)
    # unshare --fork: the Python is a child of unshare's child, not an exec
    # of the launched process.
    unshare = ["unshare", "--pid", "--fork", "--mount-proc", "chroot", py.root, py.path, script]
    for how, argv in (("chroot ROOT", ["chroot", py.root, py.path, script]),
                      ("unshare --pid --fork --mount-proc chroot ROOT", unshare)):
        what = "%s: launch `pytop -- %s %s`" % (py.label, how, py.path)
        try:
            r = run([pytop, "--batch", "-f", "json", "--"] + argv, timeout=60)
        except subprocess.TimeoutExpired:
            tap.ok(False, what + ": ends", "timed out")
            continue
        try:
            snap = json.loads(r.stdout)
        except ValueError:
            snap = {}
        work = [f for f in snap.get("functions", []) if f.get("name") == "work"]
        target = snap.get("target", {})
        tap.ok(r.returncode == 5 and target.get("python") == py.version and script in target.get("argv", "")
               and work and work[0].get("own", 0) > 0,
               what + ": exit status 5 passed on, a JSON snapshot of %s with work() (%d samples)"
               % (py.version, work[0].get("own", 0) if work else 0),
               "exit %d target %r functions %r stderr %r"
               % (r.returncode, target,
                  [f.get("name") for f in snap.get("functions", [])][:8], r.stderr[-400:]))
    r = run([pytop, "--batch", "--", "chroot", py.root, py.path, "--badopt"])
    out = r.stdout.decode(errors="replace")
    tap.ok(r.returncode == 2 and "Samples:" in out and "Note:" in out,
           "%s: launch through chroot of a program that exits at once: its status 2, a snapshot with a note"
           % py.label, "exit %d stdout %r stderr %r" % (r.returncode, out[:300], r.stderr.decode(errors="replace")))


def main():
    tap = pythons.Tap()
    pytop = pythons.pytop_binary()
    if not os.access(pytop, os.X_OK):
        tap.bail("no pytop at %s" % pytop)
    every = list(pythons.interpreters(tap, chroot=True))
    # The launch, -o and --blocking tests start their programs directly:
    # the first interpreter run without a chroot; the chrooted ones (the
    # sid root's) get test_chroot_launch and the --blocking signal rounds.
    pys = [one for one in every if not one.root]
    if not every:
        tap.bail("no interpreter to test")
    if not pys:
        tap.skip("launch mode, -o, --dump --blocking", "no interpreter outside a chroot in the list")
        for one in every:
            test_chroot_launch(tap, pytop, one)
            test_blocking_signals(tap, pytop, one)
        return tap.done()
    py = pys[0]
    test_usage(tap, pytop)
    test_not_python(tap, pytop)
    test_too_short(tap, pytop, py)
    test_duration_ends_program(tap, pytop, py)
    test_output_first(tap, pytop, py)
    test_live_view_waiting(tap, pytop)
    test_deleted_binary(tap, pytop)
    test_pid_namespace(tap, pytop, pys)
    test_dump_blocking(tap, pytop, py)
    test_stopped_stays_stopped(tap, pytop, py)
    test_probe_signal(tap, pytop, py)
    for one in every:
        if one.root:
            test_chroot_launch(tap, pytop, one)
        test_blocking_signals(tap, pytop, one)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
