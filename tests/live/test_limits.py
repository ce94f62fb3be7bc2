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
  fd limit      pytop under `prlimit --nofile=1024:1024` (no raising the
                soft limit helps: two files a thread, 505 threads' worth)
                against 1000 sleeping threads and a main thread that spins
                2 s once pytop samples (limits_target.py spin): no thread
                has an unknown state (read as gone), none is ended, all 1001
                have a row, the main thread's CPU time is within 10% of its
                own thread_time over the spin, and the JSON overhead counts
                reopened_reads. (1000, not more: a round samples the 1024
                newest threads, and the main thread is the oldest.)
  gilstat past 511  --gilstat=sampled against 1000 sleeping threads and a
                main thread (the oldest: the last of the thread-state list,
                past the 511 sampled gilstat observes) that spins 2 s with
                the GIL: its holds are counted (10 ms or more, nearly all
                the holds), the table has room for it (no overflow)
  launch limit  `prlimit --nofile=256:4096 pytop --batch -- python -c ...`:
                pytop raises its soft limit to 4096 (the program reads its
                parent's /proc/PID/limits), the program it started keeps 256

One interpreter (the newest from pythons.py; PYTOP_TEST_PYTHONS overrides).
"""

import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
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


def pytop_task_files(pytop_pid, target_pid):
    """How many of the target's threads' schedstat files pytop has open."""
    n = 0
    try:
        fds = os.listdir("/proc/%d/fd" % pytop_pid)
    except OSError:
        return 0
    prefix = "/proc/%d/task/" % target_pid
    for fd in fds:
        try:
            link = os.readlink("/proc/%d/fd/%s" % (pytop_pid, fd))
        except OSError:
            continue
        n += link.startswith(prefix) and link.endswith("/schedstat")
    return n


def spin_under(argv, proc, settle):
    """Run pytop (argv, a batch JSON run) over the spin target proc: once
    settle(pytop's Popen) returns, the target's main thread spins 2 s.
    Stops the target. (exit status, the JSON ({} when none), stderr, the
    target's "spun" line ("" when none), whether pytop still ran when the
    spin ended)."""
    pytop_proc, out, err, line, in_window = None, b"", b"", "", False
    try:
        pytop_proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE)
        settle(pytop_proc)
        proc.stdin.write(b"2\n")
        proc.stdin.flush()
        ready, _, _ = select.select([proc.stdout], [], [], 10)
        line = proc.stdout.readline().decode() if ready else ""
        in_window = pytop_proc.poll() is None
        out, err = pytop_proc.communicate(timeout=60)
    finally:
        if pytop_proc and pytop_proc.poll() is None:
            pytop_proc.kill()
            pytop_proc.wait()
        stop(proc)
    try:
        data = json.loads(out.decode("utf-8", "replace"))
    except ValueError:
        data = {}
    return pytop_proc.returncode if pytop_proc else None, data, err, line, in_window


def test_fd_limit(tap, pytop, interp):
    label = "%s fd limit 1024" % interp.label
    proc = start(interp, "spin", "1000")
    if proc is None:
        tap.ok(False, "%s: the 1000-thread target starts" % label)
        return
    def settle(pytop_proc):
        # The spin once pytop samples (has the threads' files open) and
        # has read the main thread (the oldest: the last of a round; its
        # first reading is the baseline its CPU time counts from), well
        # inside pytop's 6 s.
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and pytop_task_files(pytop_proc.pid, proc.pid) < 200:
            time.sleep(0.05)
        time.sleep(0.5)

    rc, data, err, line, spun_in_window = spin_under(
        ["prlimit", "--nofile=1024:1024", pytop, "--batch", "-d", "6", "-f", "json", "-p", str(proc.pid)],
        proc, settle)
    spun = float(line.split()[1]) if line.startswith("spun ") else None
    threads = data.get("threads", [])
    unknown = [(t["tid"], t["states"]["unknown"]) for t in threads if t["states"]["unknown"]]
    main_row = [t for t in threads if t["tid"] == proc.pid]
    cpu = main_row[0]["cpu_s"] if main_row else 0.0
    ended = [f["total_s"] for f in data.get("functions", []) if f["name"] == "(ended between samples)"]
    ov = data.get("overhead", {})
    diag = ["exit %s: %s" % (rc, err.decode()[-300:]), "overhead %s" % ov,
            "unknown states (tid, count) %s" % unknown[:10]]
    tap.diag("%s: %d threads, main %.3f s of CPU against %s spun, %d with unknown states, reopened_reads %s" % (
        label, len(threads), cpu, spun, len(unknown), ov.get("reopened_reads")))
    tap.ok(rc == 0 and len(threads) == 1001 and not unknown and not ended and
           data.get("errors") == 0,
           "%s: 1001 threads, none read as gone (%d rows, %d with unknown states, ended %s)"
           % (label, len(threads), len(unknown), ended), diag)
    tap.ok(spun is not None and spun_in_window and abs(cpu - spun) <= 0.1 * spun,
           "%s: the spinning main thread's CPU time is counted (%.3f s against %s s)" % (label, cpu, spun), diag)
    tap.ok((ov.get("reopened_reads") or 0) > 0,
           "%s: the JSON overhead counts the readings without a kept descriptor (reopened_reads %s)"
           % (label, ov.get("reopened_reads")), diag)


LIMIT_PROBE = r'''
import os, resource, sys, time
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
parent = None
end = time.monotonic() + 20
while time.monotonic() < end:
    with open("/proc/%d/limits" % os.getppid()) as f:
        for line in f:
            if line.startswith("Max open files"):
                parent = line.split()[3]
    if parent == sys.argv[2]:
        break
    time.sleep(0.05)
with open(sys.argv[1], "w") as f:
    f.write("%d %d %s\n" % (soft, hard, parent))
'''


def test_gilstat_past(tap, pytop, interp):
    label = "%s gilstat past 511" % interp.label
    proc = start(interp, "spin", "1000")
    if proc is None:
        tap.ok(False, "%s: the 1000-thread target starts" % label)
        return
    _, data, _, _, _ = spin_under([pytop, "--batch", "-d", "5", "-f", "json", "--gilstat=sampled",
                                   "-p", str(proc.pid)], proc, lambda pytop_proc: time.sleep(1.5))
    g = (data.get("gil") or {}).get("gilstat") or {}
    main = [t for t in data.get("threads", []) if t.get("tid") == proc.pid]
    hold = main[0].get("gil", {}).get("hold_all_ms", 0) if main else 0
    # (gilstat's ticks over 1000 threads are late on a loaded machine and
    # the gaps are not charged: the hold is less than the spin's 2 s, 57 ms
    # at a load of 17 on 2 CPUs)
    held = (g.get("totals") or {}).get("hold_all_ms", 0)
    tap.ok(g.get("threads_unobserved", 0) > 0 and hold >= 10 and hold >= 0.9 * held and not g.get("overflow"),
           "%s: the main thread past the listing holds %.0f ms of %.0f ms held (unobserved %s, overflow %s)" % (
               label, hold, held, g.get("threads_unobserved"), g.get("overflow")))


def test_launch_limit(tap, pytop, interp):
    label = "%s launch limit" % interp.label
    path = os.path.join(tempfile.mkdtemp(prefix="pytop-limits-"), "limits")
    try:
        run = subprocess.run(["prlimit", "--nofile=256:4096", pytop, "--batch", "-o", os.devnull, "--",
                              interp.path, "-c", LIMIT_PROBE, path, "4096"],
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             timeout=60)
        try:
            with open(path) as f:
                got = f.read().split()
        except OSError:
            got = []
    finally:
        shutil.rmtree(os.path.dirname(path), ignore_errors=True)
    tap.ok(run.returncode == 0 and got == ["256", "4096", "4096"],
           "%s: pytop raised its soft RLIMIT_NOFILE to 4096, the program it started kept 256 (soft, hard, "
           "pytop's: %s)" % (label, " ".join(got)), [run.stderr.decode()[-300:]])


def main():
    tap = pythons.Tap()
    pytop = pythons.pytop_binary()
    interps = list(pythons.interpreters(tap))
    pyenv = [i for i in interps if i.path.startswith(tuple(pythons.pyenv_roots()))]
    if not interps:
        return tap.done()
    interp = (pyenv or interps)[-1]
    test_thread_limit(tap, pytop, interp)
    test_fd_limit(tap, pytop, interp)
    test_gilstat_past(tap, pytop, interp)
    test_launch_limit(tap, pytop, interp)
    test_churn(tap, pytop, interp, [])
    if os.geteuid() == 0 and pyenv:
        test_churn(tap, pytop, interp, ["--gilstat=exact"])
    else:
        tap.skip("churn --gilstat=exact", "not root or no pyenv interpreter (uprobes)")
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
