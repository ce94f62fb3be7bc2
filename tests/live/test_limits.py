"""Live test: pytop states its limits and releases what dead threads held
(issue 9, item 7) (TAP).

  thread limit  a target with 1100 sleeping threads (1101 with main), more
                than a sampling round takes (1024): --batch -f json has
                thread_limit 1024 and threads_not_sampled 77, the text report
                a `Limit:    77 threads not sampled` line, the live view's
                header `Unsampled 77 (limit 1024)`; a target with few
                threads has threads_not_sampled 0 and no Limit line
  dead threads  a target that keeps starting short-lived threads
                (tests/targets/limits_target.py churn), profiled 15 s with
                --batch; pytop's /proc/PID/fd is listed every 0.25 s: the
                syscall files of threads that have ended stay few (at most
                half a second of the target's thread churn, and at least 40),
                while the run sees at least 100 thread ids come and go
  exact gilstat the same with --gilstat=exact (root): the perf event
                descriptors stay bounded by the live threads (no pile-up of
                ended threads' events)

One interpreter (the newest from pythons.py; PYTOP_TEST_PYTHONS overrides).
"""

import json
import os
import re
import select
import subprocess
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import pythons  # noqa: E402
import test_hostile  # noqa: E402

TARGET = os.path.join(os.path.dirname(HERE), "targets", "limits_target.py")
SYSCALL_FD = re.compile(r"^/proc/(\d+)/task/(\d+)/syscall$")


def start(interp, *args):
    proc = subprocess.Popen([interp.path, TARGET] + list(args), stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    ready, _, _ = select.select([proc.stdout], [], [], 60)
    if ready and proc.stdout.readline().strip() == b"ready":
        return proc
    stop(proc)
    return None


def stop(proc):
    if proc is None:
        return
    try:
        proc.stdin.close()
    except OSError:
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def batch(pytop, pid, *args):
    out = subprocess.run([pytop, "--batch", "-p", str(pid)] + list(args), stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    return out.returncode, out.stdout.decode("utf-8", "replace"), out.stderr.decode("utf-8", "replace")


def test_thread_limit(tap, pytop, interp):
    proc = start(interp, "many", "1100")
    if proc is None:
        tap.ok(False, "%s: the 1100-thread target starts" % interp.label)
        return
    try:
        rc, out, err = batch(pytop, proc.pid, "-d", "2", "-f", "json")
        rc2, text, err2 = batch(pytop, proc.pid, "-d", "2")
        env = dict(os.environ, TERM="xterm", LANG="C.UTF-8", LC_ALL="C.UTF-8")
        pid, master = test_hostile.pty_pytop([pytop, "-p", str(proc.pid)], env, cols=200)
        screen = b""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and b"77 (limit 1024)" not in screen:
            screen += test_hostile.drain(master, 0.5)
        os.write(master, b"q")
        test_hostile.drain(master, 2)
        try:
            os.kill(pid, 9)
        except OSError:
            pass
        os.waitpid(pid, 0)
        os.close(master)
    finally:
        stop(proc)
    tap.ok(b"Unsampled" in screen and b"77 (limit 1024)" in screen,
           "%s: 1101 threads: the live view's header says Unsampled 77 (limit 1024)" % interp.label,
           ["screen tail: %r" % screen[-800:]])
    try:
        data = json.loads(out)
    except ValueError:
        data = {}
    tap.ok(rc == 0 and data.get("thread_limit") == 1024 and data.get("threads_not_sampled") == 77,
           "%s: 1101 threads: JSON thread_limit %s, threads_not_sampled %s (1024, 77)" % (
               interp.label, data.get("thread_limit"), data.get("threads_not_sampled")), [err, out[:600]])
    tap.ok(rc2 == 0 and re.search(r"^Limit: +77 threads not sampled \(a round samples at most 1024\)$", text,
                                  re.M),
           "%s: 1101 threads: the text report states the limit" % interp.label, [err2, text[:800]])
    proc = start(interp, "many", "10")
    try:
        rc, out, err = batch(pytop, proc.pid, "-d", "1", "-f", "json")
        rc2, text, err2 = batch(pytop, proc.pid, "-d", "1")
    finally:
        stop(proc)
    try:
        data = json.loads(out)
    except ValueError:
        data = {}
    tap.ok(rc == 0 and data.get("threads_not_sampled") == 0 and data.get("thread_limit") == 1024 and
           rc2 == 0 and "Limit:" not in text,
           "%s: 11 threads: threads_not_sampled 0, no Limit line" % interp.label, [err, err2, text[:600]])


def fd_census(pytop_pid, target_pid):
    """(dead-thread syscall files, perf event fds, all fds) of pytop now."""
    try:
        live = set(os.listdir("/proc/%d/task" % target_pid))
        fds = os.listdir("/proc/%d/fd" % pytop_pid)
    except OSError:
        return None
    dead = perf = 0
    for fd in fds:
        try:
            link = os.readlink("/proc/%d/fd/%s" % (pytop_pid, fd))
        except OSError:
            continue
        m = SYSCALL_FD.match(link)
        if m and m.group(2) not in live:
            dead += 1
        elif "perf_event" in link:
            perf += 1
    return dead, perf, len(fds)


def test_churn(tap, pytop, interp, extra):
    label = "%s churn%s" % (interp.label, " " + " ".join(extra) if extra else "")
    proc = start(interp, "churn")
    if proc is None:
        tap.ok(False, "%s: the churn target starts" % label)
        return
    pytop_proc = None
    seen, census = set(), []
    try:
        pytop_proc = subprocess.Popen([pytop, "--batch", "-d", "15", "-o", os.devnull, "-p", str(proc.pid)]
                                      + extra, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE)
        start_t = time.monotonic()
        while pytop_proc.poll() is None and time.monotonic() - start_t < 60:
            try:
                live = os.listdir("/proc/%d/task" % proc.pid)
            except OSError:
                break
            seen.update(live)
            c = fd_census(pytop_proc.pid, proc.pid)
            if c:
                census.append((time.monotonic() - start_t, len(live)) + c)
            time.sleep(0.25)
        _, err = pytop_proc.communicate(timeout=60)
        elapsed = time.monotonic() - start_t
    finally:
        if pytop_proc and pytop_proc.poll() is None:
            pytop_proc.kill()
            pytop_proc.wait()
        stop(proc)
    if "uprobes unavailable" in err.decode():
        tap.skip(label, err.decode().strip())
        return
    rate = len(seen) / max(elapsed, 1.0)
    bound = max(40, int(rate * 0.5))
    worst_dead = max((c[2] for c in census), default=-1)
    tap.diag("%s: %d thread ids in %.1f s (%.0f/s); dead-thread files max %d (bound %d); fds %s" % (
        label, len(seen), elapsed, rate, worst_dead, bound, [c[4] for c in census][::4]))
    tap.ok(pytop_proc.returncode == 0 and len(seen) >= 100 and 0 <= worst_dead <= bound,
           "%s: ended threads' syscall files are released (max %d open, bound %d, %d thread ids seen)"
           % (label, worst_dead, bound, len(seen)),
           ["exit %s: %s" % (pytop_proc.returncode, err.decode()[-300:])] +
           ["t=%.1f live=%d dead_files=%d perf=%d fds=%d" % c for c in census[::4]])
    if "--gilstat=exact" in extra and census:
        first = [c for c in census if c[3] > 0 and c[1] > 0]
        per_thread = -(-first[0][3] // first[0][1]) * 2 if first else 1
        worst = max(c[3] for c in census)
        most_live = max(c[1] for c in census)
        pbound = per_thread * (most_live + bound)
        tap.ok(worst <= pbound, "%s: perf event fds stay bounded (max %d, %d per thread, bound %d)"
               % (label, worst, per_thread, pbound),
               ["t=%.1f live=%d dead_files=%d perf=%d fds=%d" % c for c in census[::4]])


def main():
    tap = pythons.Tap()
    pytop = pythons.pytop_binary()
    interps = list(pythons.interpreters(tap))
    pyenv = [i for i in interps if i.path.startswith(tuple(pythons.pyenv_roots()))]
    if not interps:
        return tap.done()
    interp = (pyenv or interps)[-1]
    test_thread_limit(tap, pytop, interp)
    test_churn(tap, pytop, interp, [])
    if os.geteuid() == 0 and pyenv:
        test_churn(tap, pytop, interp, ["--gilstat=exact"])
    else:
        tap.skip("churn --gilstat=exact", "not root or no pyenv interpreter (uprobes)")
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
