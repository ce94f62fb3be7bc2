"""Target for the trace/watch tests (test_agent_py, test_watch, test_trace).

    agent_target.py [--join] [--gil-block SECONDS] WORKDIR [AGENT SOCKET TOKEN]

Calls known functions with known arguments and results in a loop: add(i, 1)
returns i + 1, fail(i) raises ValueError("bad i"), Shop().price("apple",
qty=q) returns 5 * q, outer(2) calls middle(2) (leaf(2), leaf(1)) and leaf(3)
(leaf(n) sleeps 2n ms), take(Evil()) and take(a list holding itself),
echo("a\nb") (a newline to escape), charge(i)/refund(i) (one functools.wraps
decorator) and plain_a/plain_b (one wrapper without it), ticks() (a
generator), profiled() (runs prof_inner() under cProfile) and chained() (runs
chain_inner() under a Python profile function that must see leaf); the
nested class Shop.Till (a staticmethod and a property) is never called. It
checks every result itself and counts the ones that differ. With AGENT it
execs the agent file in a fresh namespace and calls start(SOCKET, TOKEN) from
its main thread (what the bootstrap does after an injection).

Writes WORKDIR/ready (its pid) once looping. When WORKDIR/report-now exists
(or on SIGUSR1) it writes WORKDIR/report.json: its profile and trace
functions, the sys.monitoring tool ids in use, its threads, its open fds now
and before the agent started, any pytop module, the result mismatches.
Exits when WORKDIR/stop exists (or after 120 s). With --join the loop runs
in a thread named "worker" while the main thread waits in join() (blocked
in C, running no Python code). With --gil-block, once ready, the loop's
thread first blocks SECONDS in C holding the GIL (libc sleep() through
ctypes.PyDLL): no thread runs Python code meanwhile.
Runs on 3.6+ (no f-strings).
"""
import cProfile
import functools
import json
import os
import signal
import sys
import threading
import time

JOIN = "--join" in sys.argv
if JOIN:
    sys.argv.remove("--join")
GIL_BLOCK = 0
if "--gil-block" in sys.argv:
    i = sys.argv.index("--gil-block")
    GIL_BLOCK = int(sys.argv[i + 1])
    del sys.argv[i:i + 2]
    import ctypes   # before FDS_BEFORE: 3.14's ctypes keeps an fd of its own (libffi)
WORK = sys.argv[1]


def fds():
    return sorted(os.listdir("/proc/self/fd"))


def add(a, b):
    return a + b


def fail(x):
    raise ValueError("bad %d" % x)


class Shop(object):
    def price(self, item, qty=1):
        return len(item) * qty

    class Till(object):
        """Only looked up by FILE:LINE (a nested class), never called."""
        @staticmethod
        def ring(n):
            return n

        @property
        def total(self):
            return 0


def leaf(n):
    time.sleep(0.002 * n)
    return n


def middle(n):
    return leaf(n) + leaf(1)


def outer(n):
    return middle(n) + leaf(3)


class Evil(object):
    def __repr__(self):
        raise RuntimeError("no repr")


def take(o):
    return o


def echo(s):
    return s


def logged(f):
    @functools.wraps(f)
    def wrapper(*a):
        return f(*a)
    return wrapper


def unwrapped(f):
    def wrapper(*a):
        return f(*a)
    return wrapper


@logged
def charge(n):
    return n * 2


@logged
def refund(n):
    return -n


@unwrapped
def plain_a(n):
    return n


@unwrapped
def plain_b(n):
    return n


# A function whose file name holds a newline (text output must escape it).
exec(compile("def nl_func(s):\n    return s\n", "nl\nfile.py", "exec"))


def ticks():
    yield 1
    yield 2


def prof_inner():
    return leaf(0)


def profiled():
    """prof_inner under cProfile: enable() fails if pytop took its tool id."""
    p = cProfile.Profile()
    try:
        p.enable()
    except ValueError:
        return 1
    try:
        prof_inner()
    finally:
        p.disable()
    return 0


def chain_inner():
    return leaf(0)


def chained():
    """chain_inner under a Python profile function: it must see leaf."""
    seen = []

    def prof(frame, event, arg):
        if event == "call":
            seen.append(frame.f_code.co_name)
    sys.setprofile(prof)
    try:
        chain_inner()
    finally:
        sys.setprofile(None)
    return 0 if "leaf" in seen else 1


FDS_BEFORE = fds()
THREADS_BEFORE = threading.active_count() + (1 if JOIN else 0)
report_asked = [False]


def on_usr1(signum, frame):
    report_asked[0] = True


def report(mismatches):
    mon = getattr(sys, "monitoring", None)
    tools = [mon.get_tool(i) for i in range(6)] if mon else []
    rep = {
        "pid": os.getpid(),
        "profile": repr(sys.getprofile()) if sys.getprofile() else None,
        "trace": repr(sys.gettrace()) if sys.gettrace() else None,
        "tools": tools,
        "threads": [t.name for t in threading.enumerate()],
        "threads_before": THREADS_BEFORE,
        "fds": fds(),
        "fds_before": FDS_BEFORE,
        "modules": sorted(m for m in sys.modules if "pytop" in m or "agent" in m),
        "mismatches": mismatches,
    }
    tmp = os.path.join(WORK, "report.tmp")
    with open(tmp, "w") as f:
        json.dump(rep, f)
    os.rename(tmp, os.path.join(WORK, "report.json"))


def main():
    signal.signal(signal.SIGUSR1, on_usr1)
    if JOIN:
        t = threading.Thread(target=loop, name="worker")
        t.start()
        t.join()
    else:
        loop()


def loop():
    if len(sys.argv) > 4:
        ns = {"__name__": "__pytop_agent__"}
        with open(sys.argv[2]) as f:
            exec(compile(f.read(), sys.argv[2], "exec"), ns)
        ns["start"](sys.argv[3], sys.argv[4])
        del ns
    with open(os.path.join(WORK, "ready.tmp"), "w") as f:
        f.write(str(os.getpid()))
    os.rename(os.path.join(WORK, "ready.tmp"), os.path.join(WORK, "ready"))
    if GIL_BLOCK:
        ctypes.PyDLL(None).sleep(GIL_BLOCK)
    shop = Shop()
    evil = Evil()
    rec = []
    rec.append(rec)
    mismatches = 0
    i = 0
    end = time.time() + 120
    while time.time() < end:
        i += 1
        if add(i, 1) != i + 1:
            mismatches += 1
        try:
            fail(i)
            mismatches += 1
        except ValueError as e:
            if str(e) != "bad %d" % i:
                mismatches += 1
        q = i % 3 + 1
        if shop.price("apple", qty=q) != 5 * q:
            mismatches += 1
        if outer(2) != 6:
            mismatches += 1
        if take(evil) is not evil or take(rec) is not rec:
            mismatches += 1
        if echo("a\nb") != "a\nb" or charge(i) != 2 * i or refund(i) != -i or plain_a(i) + plain_b(i) != 2 * i:
            mismatches += 1
        if list(ticks()) != [1, 2] or nl_func(i) != i:
            mismatches += 1
        mismatches += profiled() + chained()
        time.sleep(0.005)
        if report_asked[0] or os.path.exists(os.path.join(WORK, "report-now")):
            report_asked[0] = False
            try:
                os.unlink(os.path.join(WORK, "report-now"))
            except OSError:
                pass
            report(mismatches)
        if os.path.exists(os.path.join(WORK, "stop")):
            break


main()
