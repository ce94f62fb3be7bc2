"""Live test of targets in their own PID and mount namespace (TAP).

Run with the system python3 (automake's PY_LOG_COMPILER); the pytop under test
is $PYTOP (absolute path; default <repo>/pytop). The interpreters come from
pythons.py (PYTOP_TEST_PYTHONS overrides them; a missing one is a TAP SKIP;
a chrooted one runs chrooted inside the namespaces, its /proc mounted in
the root). Needs root and util-linux's unshare: where
`unshare --pid --mount --fork --mount-proc true` is missing or refused,
everything is one loud SKIP naming why.

Per interpreter the target (a script written by this test) runs as

    unshare --pid --mount --fork --mount-proc PYTHON ns_target.py TRUTH

so it is pid 1 of a new PID namespace with its own /proc. It starts two
named threads ("ns-burner" spinning in burn(), "ns-sleeper" in time.sleep)
and writes its truth: its namespaced pid and each thread's namespaced tid
(gettid) and threading name. The test maps those ids to host ids through
/proc/HOSTPID/task/TID/status NSpid (the host pid is unshare's child), then:

  dump json: exit 0, "pid" is the host pid, the thread ids are exactly the
        host tids of /proc/HOSTPID/task, and each thread has its threading
        name (host tid -> name through NSpid)
  dump text: every `Thread TID "NAME"` line has a host tid and that name
  batch json (-d 2): each host tid with its name; the burner's samples are
        mostly running and burn() is among the functions
  live view (tmux, 160x40): the threads pane shows every host tid with its
        threading name
  a chrooted interpreter once more, copied onto a tmpfs mounted at ROOT/mnt
        in the target's mount namespace only (pytop does not see that
        file at the path /proc/PID/maps names): dump json and text as above

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

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pythons  # noqa: E402

RUN_TIMEOUT = 60
READY_TIMEOUT = 30

TARGET = r'''
import json, os, sys, threading, time

def gettid():
    if hasattr(threading, "get_native_id"):
        return threading.get_native_id()
    import ctypes   # 3.6/3.7: gettid(2), x86-64 syscall 186
    return ctypes.CDLL(None, use_errno=True).syscall(186)

tids = {}
ready = threading.Event()
lock = threading.Lock()

def note():
    with lock:
        tids[threading.current_thread().name] = gettid()
        if len(tids) == 3:
            ready.set()

def burn():
    note()
    x = 0
    while True:
        x += 1

def sleeper():
    note()
    while True:
        time.sleep(0.05)

threading.Thread(target=burn, name="ns-burner", daemon=True).start()
threading.Thread(target=sleeper, name="ns-sleeper", daemon=True).start()
note()
ready.wait(20)
tmp = sys.argv[1] + ".tmp"
with open(tmp, "w") as f:
    json.dump({"pid": os.getpid(), "tids": tids}, f)
os.rename(tmp, sys.argv[1])
while True:
    time.sleep(0.5)
'''


def run(argv, timeout=RUN_TIMEOUT):
    try:
        r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout)
        return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")
    except subprocess.TimeoutExpired:
        return None, "", "timed out after %d s: %s" % (timeout, " ".join(argv))


def unshare_prefix():
    """(prefix, None) or (None, why not)."""
    exe = shutil.which("unshare")
    if not exe:
        return None, "unshare (util-linux) is not installed"
    prefix = [exe, "--pid", "--mount", "--fork", "--mount-proc"]
    rc, _, err = run(prefix + ["true"], timeout=20)
    if rc != 0:
        return None, "unshare --pid --mount --fork --mount-proc is not permitted here: %s" % err.strip()
    return prefix, None


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def nspid(pid, tid):
    """The NSpid chain of a task: [host id, ..., innermost id]."""
    with open("/proc/%d/task/%d/status" % (pid, tid)) as f:
        for line in f:
            if line.startswith("NSpid:"):
                return [int(x) for x in line.split()[1:]]
    return []


class Target:
    """The script in its own PID and mount namespace; host pid and truth."""

    def __init__(self, interp, prefix, workdir, private_copy=False):
        script = os.path.join(workdir, "ns_target.py")
        with open(script, "w") as f:
            f.write(TARGET)
        self.truth_path = os.path.join(workdir, "truth.json")
        if os.path.exists(self.truth_path):
            os.unlink(self.truth_path)   # an earlier target's
        if interp.root:
            # Inside a chroot too: the new PID namespace's /proc mounted
            # in the root (a private mount namespace), then chroot; every
            # step execs, so unshare's child is the interpreter.
            prefix = [a for a in prefix if a != "--mount-proc"] + [
                "--propagation", "private", "--", "sh", "-c",
                'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"', interp.root]
        path = interp.path
        if private_copy:
            # The interpreter copied onto a tmpfs mounted at ROOT/mnt in
            # the target's mount namespace only (a container's own
            # filesystem): /proc/PID/maps names ROOT/mnt/python3.X, which
            # pytop's namespace does not have.
            path = "/mnt/" + os.path.basename(interp.path)
            prefix[-2] = ('mount -t proc proc "$0/proc" && mount -t tmpfs tmpfs "$0/mnt" && '
                          'cp "$0%s" "$0%s" && exec chroot "$0" "$@"' % (interp.path, path))
        self.proc = subprocess.Popen(prefix + [path, interp.inside(script), interp.inside(self.truth_path)],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, start_new_session=True)
        self.pid = None
        self.truth = None
        deadline = time.time() + READY_TIMEOUT
        while time.time() < deadline and self.proc.poll() is None:
            kids = children(self.proc.pid)
            if kids and self.pid is None:
                self.pid = kids[0]
            if os.path.exists(self.truth_path):
                with open(self.truth_path) as f:
                    self.truth = json.load(f)
                break
            time.sleep(0.05)
        if self.truth is None or self.pid is None:
            err = self.proc.stderr.read().decode(errors="replace") if self.proc.poll() is not None else ""
            self.kill()
            raise RuntimeError("the namespaced target did not start (pid %r): %s" % (self.pid, err))

    def host_names(self):
        """{host tid: threading name} from the truth through NSpid, and
        the host tids of /proc/PID/task."""
        tasks = sorted(int(t) for t in os.listdir("/proc/%d/task" % self.pid))
        ns_to_host = {}
        for tid in tasks:
            chain = nspid(self.pid, tid)
            if len(chain) >= 2:
                ns_to_host[chain[-1]] = chain[0]
        names = {ns_to_host.get(ns): name for name, ns in self.truth["tids"].items()}
        return names, tasks

    def kill(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        if self.proc.stderr:
            self.proc.stderr.close()


def check_dump(tap, pytop, label, target, names, tasks):
    rc, out, err = run([pytop, "--dump", "--json", "-p", str(target.pid)])
    try:
        data = json.loads(out)
    except ValueError:
        data = None
    if not tap.ok(rc == 0 and isinstance(data, dict), "%s: --dump --json exits 0 with one JSON object" % label,
                  ["exit %s" % rc, err]):
        return
    tap.ok(data.get("pid") == target.pid, "%s: dump pid is the host pid %d" % (label, target.pid),
           "got %r" % data.get("pid"))
    got = {t.get("tid"): t.get("name") for t in data.get("threads", [])}
    tap.ok(sorted(got) == tasks, "%s: dump thread ids are the host tids" % label,
           "dump %r, /proc/%d/task %r" % (sorted(got), target.pid, tasks))
    tap.ok(all(got.get(tid) == name for tid, name in names.items()) and None not in names,
           "%s: dump names each thread as threading does (NSpid mapped)" % label,
           "want %r, got %r" % (names, got))
    rc, out, err = run([pytop, "--dump", "-p", str(target.pid)])
    lines = re.findall(r'^Thread (\d+) "(.*)" \(', out, re.M)
    text = {int(tid): name for tid, name in lines}
    tap.ok(rc == 0 and sorted(text) == tasks and all(text.get(t) == n for t, n in names.items()),
           "%s: dump text has the host tids and names" % label,
           ["exit %s %s" % (rc, err.strip()), "want %r" % names, "got %r" % text])


def check_live(tap, pytop, label, target, names):
    """The live view in tmux (160x40): the threads pane lists each host tid
    with its threading name; q exits."""
    if not shutil.which("tmux"):
        tap.skip("%s: the live view names the threads" % label, "tmux is not installed")
        return
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tui"))
    from test_tui import Tmux, Timeout  # noqa: E402
    work = tempfile.mkdtemp(prefix="pytop-ns-tui-")
    tm = None
    try:
        tm = Tmux(160, 40, work)
        tm.type("%s -p %d" % (pytop, target.pid))
        tm.keys("Enter")
        want = ["%d %s" % (tid, name) for tid, name in names.items()]
        try:
            lines = tm.wait(lambda s: all(any(re.search(r"\b%s\b" % re.escape(w), l) for l in s)
                                          for w in want), "every thread's host tid and name", timeout=20)
            ok, diag = True, []
        except Timeout as exc:
            ok, diag = False, str(exc).splitlines()
            lines = []
        tap.ok(ok and "F10Quit" in "\n".join(lines),
               "%s: the live view lists each host tid with its threading name" % label, diag)
        tm.keys("q")
    finally:
        if tm:
            tm.kill()
        shutil.rmtree(work, ignore_errors=True)


def task_cpu_s(pid, tid):
    """The kernel's utime+stime of thread TID of PID, in seconds (None: gone)."""
    try:
        with open("/proc/%d/task/%d/stat" % (pid, tid)) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / float(os.sysconf("SC_CLK_TCK"))
    except (OSError, IndexError, ValueError):
        return None


def check_batch(tap, pytop, label, target, names, tasks):
    burner = [tid for tid, name in names.items() if name == "ns-burner"]
    before = task_cpu_s(target.pid, burner[0]) if burner else None
    rc, out, err = run([pytop, "--batch", "-f", "json", "-d", "2", "-p", str(target.pid)])
    after = task_cpu_s(target.pid, burner[0]) if burner else None
    try:
        data = json.loads(out)
    except ValueError:
        data = None
    if not tap.ok(rc == 0 and isinstance(data, dict), "%s: --batch exits 0 with one JSON object" % label,
                  ["exit %s" % rc, err]):
        return
    threads = {t.get("tid"): t for t in data.get("threads", [])}
    tap.ok(all(tid in threads and threads[tid].get("name") == name for tid, name in names.items())
           and set(threads) <= set(tasks),
           "%s: batch has each host tid with its threading name" % label,
           "want %r, got %r" % (names, {t: v.get("name") for t, v in threads.items()}))
    b = threads.get(burner[0], {}) if burner else {}
    running = b.get("states", {}).get("running", 0)
    funcs = [f.get("name") for f in data.get("functions", [])]
    tap.ok(b and running > 0.5 * max(b.get("samples", 1), 1) and "burn" in funcs,
           "%s: the burner's samples are mostly running, in burn()" % label,
           ["burner %r functions %r" % (b, funcs[:8]),
            "errors %r, target_stopped %r, rate %r, mode %r, overhead %r" % (
                data.get("errors"), data.get("target_stopped"), data.get("achieved_rate_hz"),
                data.get("mode"), data.get("overhead")),
            "the kernel's utime+stime of the burner over the run: %s" % (
                "%.2f s" % (after - before) if before is not None and after is not None else "unknown")])


def main():
    tap = pythons.Tap()
    pytop = pythons.pytop_binary()
    if not os.access(pytop, os.X_OK):
        tap.bail("no pytop at %s" % pytop)
    prefix, why = unshare_prefix()
    if prefix is None:
        tap.diag("!!! namespace tests not run: %s" % why)
        tap.skip("targets in their own PID and mount namespace", why)
        return tap.done()
    for interp in pythons.interpreters(tap, chroot=True):
        label = "%s in its own PID+mount namespace" % interp.label
        workdir = interp.mkdtemp("pytop-ns-")
        target = None
        try:
            target = Target(interp, prefix, workdir)
            names, tasks = target.host_names()
            tap.ok(target.truth["pid"] == 1 and len(names) == 3 and None not in names
                   and target.pid not in target.truth["tids"].values(),
                   "%s: the target is pid 1 inside, its 3 threads have host tids" % label,
                   "truth %r host pid %d names %r" % (target.truth, target.pid, names))
            check_dump(tap, pytop, label, target, names, tasks)
            check_batch(tap, pytop, label, target, names, tasks)
            check_live(tap, pytop, label, target, names)
            if interp.root:
                target.kill()
                target = None
                label = "%s copied onto a tmpfs of its own mount namespace" % interp.label
                target = Target(interp, prefix, workdir, private_copy=True)
                names, tasks = target.host_names()
                check_dump(tap, pytop, label, target, names, tasks)
        except Exception as exc:  # a broken target is a failure, not a crash
            tap.ok(False, "%s: %s" % (label, exc))
        finally:
            if target:
                target.kill()
            shutil.rmtree(workdir, ignore_errors=True)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
