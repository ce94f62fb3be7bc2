"""Target program for the live `pytop --batch` tests (tests/live/test_batch.py).

Runs under CPython 3.6 to 3.15 (no syntax newer than 3.6; get_native_id and
thread_time are shimmed on 3.6/3.7).

    python3 burn_target.py TRUTH.json [--mode serial|threads] [--duration S]
                           [--unit N] [--exit-code N] [--chatter]

It burns CPU in functions with known names and known hot lines, measures its
own per-function CPU split with time.thread_time(), and writes that truth to
TRUTH.json (atomically: temp file + rename).

Modes:

  serial   (default) the main thread calls burn_a, burn_b and burn_c in a
           loop with work sizes 1:2:3 (stack: <module> -> main -> burn_serial
           -> burn_X); the only CPU-bound thread.
  threads  three threads "burner-a", "burner-b", "burner-c" each call one of
           burn_a, burn_b, burn_c (work 1:2:3) in a loop (stack: thread_burn
           -> burn_X), taking turns a -> b -> c -> a: each blocks on its own
           lock until the previous one releases it, so one burns while the
           other two block in lock.acquire() (idle, not waiting for the GIL).
           The main thread waits in main_wait (time.sleep(0.02) in a loop).

In both modes two idle threads run all the time:

  "idle-sleeper"  idle_sleep: time.sleep(3600) in a loop
  "idle-waiter"   idle_wait: threading.Event().wait(), never set

The hot loop of each burn function is one line (marked `# hot-loop: NAME`),
so every sample of the function but its entry and exit is on that line.

Truth (one JSON object), written at start (seq 0), on every SIGUSR1 (seq
increases) and at the end ("final": true):

  {"pid", "python": platform.python_version(), "mode", "seq", "final",
   "argv": sys.argv,
   "threads": [{"tid": native id, "name", "role"}],
   "hot": {"burn_a": {"file", "first_line", "hot_line", "units", "calls",
                      "cpu_s", "wall_s"}, ...}, # cumulative thread_time and
                                                 # perf_counter time inside it
                                                 # (threads mode: cpu_s is the
                                                 # burner thread's CPU clock)
   "idle_functions": ["idle_sleep", "idle_wait"],
   "stacks": {"burn_a": ["<module>", "main", "burn_serial", "burn_a"], ...}}
                 # root-first frame names: the whole stack in serial mode, the
                 # innermost two (["thread_burn", "burn_a"]) in threads mode

The test takes the difference of two truths (before and after a pytop run)
so both sides measure the same window.

Ends after --duration seconds (default: never), or on SIGTERM / SIGINT
(cleanly: the burn loops stop between calls, the final truth is written),
then exits with --exit-code (default 0). --ballast MB holds MB of touched
memory and leaves with os._exit(), still holding it: the kernel then spends
a while unmapping it after the process's memory became unreadable and before
its exit status can be collected (a deterministic window for exit races). --chatter prints a line to stdout
on every serial cycle (for the launch-mode test: the program's stdout must not
mix with a snapshot on pytop's stdout).
"""

import argparse
import json
import os
import platform
import signal
import sys
import threading
import time

try:
    import compat  # noqa: F401  (3.6/3.7 shims, tests/targets/compat.py)
except ImportError:
    pass

# Set from the signal handlers; the burn loops look at them between calls.
STOP = threading.Event()
SNAPSHOT = [False]

UNIT = 20000          # loop iterations per unit of work (--unit)
HOT = ("burn_a", "burn_b", "burn_c")
SERIAL_UNITS = {"burn_a": 1, "burn_b": 2, "burn_c": 3}

# Cumulative CPU seconds and calls per hot function (each written by one
# thread only).
CPU = {name: 0.0 for name in HOT}
WALL = {name: 0.0 for name in HOT}
CALLS = {name: 0 for name in HOT}
# --mode threads: each burner thread's CPU clock (time.pthread_getcpuclockid),
# so a truth written while a call is under way counts it so far: a whole
# burn_c call takes a quarter of a second on a -dbg build, and CPU[] moves
# only when one ends.
CLOCKS = {}


def burn_a(n):
    x = 0
    for i in range(n): x += i  # hot-loop: burn_a  # noqa: E701
    return x


def burn_b(n):
    x = 0
    for i in range(n): x += i  # hot-loop: burn_b  # noqa: E701
    return x


def burn_c(n):
    x = 0
    for i in range(n): x += i  # hot-loop: burn_c  # noqa: E701
    return x


FUNCS = {"burn_a": burn_a, "burn_b": burn_b, "burn_c": burn_c}


def hot_lines():
    """{name: line number} of the `# hot-loop: NAME` markers in this file."""
    lines = {}
    with open(os.path.abspath(__file__), encoding="utf-8") as f:
        for number, text in enumerate(f, 1):
            marker = text.split("# hot-loop: ")
            if len(marker) == 2 and marker[1].split()[0] in HOT:
                lines[marker[1].split()[0]] = number
    return lines


def burn_serial(truth, options):
    """The main thread's loop: burn_a, burn_b, burn_c with work 1:2:3."""
    clock, wall = time.thread_time, time.perf_counter
    plan = [(name, FUNCS[name], SERIAL_UNITS[name] * options.unit) for name in HOT]
    while not STOP.is_set():
        for name, func, work in plan:
            start, wall_start = clock(), wall()
            func(work)
            CPU[name] += clock() - start
            WALL[name] += wall() - wall_start
            CALLS[name] += 1
        if options.chatter:
            sys.stdout.write("chatter {\"not\": \"a snapshot\"} %d\n" % CALLS["burn_a"])
            sys.stdout.flush()
        if SNAPSHOT[0]:
            SNAPSHOT[0] = False
            truth.write()
        truth.check_deadline()


# --mode threads: one lock per burner, held while it is not its turn. A
# burner waits on its own lock, burns, then releases the next one's: one
# thread woken per hand-over, no thundering herd on the GIL.
TURNS = {name: threading.Lock() for name in HOT}
for _name in HOT[1:]:
    TURNS[_name].acquire()


def thread_burn(name, work):
    """A burner thread of --mode threads: one hot function, in turns."""
    clock, wall = time.thread_time, time.perf_counter
    func = FUNCS[name]
    mine = TURNS[name]
    after = TURNS[HOT[(HOT.index(name) + 1) % len(HOT)]]
    CLOCKS[name] = time.pthread_getcpuclockid(threading.get_ident())
    while not STOP.is_set():
        mine.acquire()
        start, wall_start = clock(), wall()
        func(work)
        CPU[name] += clock() - start
        WALL[name] += wall() - wall_start
        CALLS[name] += 1
        after.release()


def main_wait(truth):
    """The main thread of --mode threads: snapshots and the deadline."""
    while not STOP.is_set():
        time.sleep(0.02)
        if SNAPSHOT[0]:
            SNAPSHOT[0] = False
            truth.write()
        truth.check_deadline()


def idle_sleep():
    while not STOP.is_set():
        time.sleep(3600)


def idle_wait():
    threading.Event().wait()


class Truth:
    def __init__(self, path, options):
        self.path = path
        self.options = options
        self.seq = 0
        self.threads = []
        self.deadline = (time.monotonic() + options.duration
                         if options.duration else None)
        self.lines = hot_lines()
        self.file = burn_a.__code__.co_filename

    def add_thread(self, tid, name, role):
        self.threads.append({"tid": tid, "name": name, "role": role})

    def check_deadline(self):
        if self.deadline is not None and time.monotonic() >= self.deadline:
            STOP.set()

    @staticmethod
    def cpu(name, serial):
        """CPU[name]; in threads mode the burner thread's whole CPU time
        from its clock (the hand-overs around the calls are a few us)."""
        if not serial and name in CLOCKS:
            try:
                return time.clock_gettime(CLOCKS[name])
            except OSError:
                pass
        return CPU[name]

    def write(self, final=False):
        serial = self.options.mode == "serial"
        hot = {}
        stacks = {}
        for name in HOT:
            code = FUNCS[name].__code__
            hot[name] = {"file": code.co_filename,
                         "first_line": code.co_firstlineno,
                         "hot_line": self.lines[name],
                         "units": SERIAL_UNITS[name],
                         "calls": CALLS[name],
                         "cpu_s": self.cpu(name, serial),
                         "wall_s": WALL[name]}
            stacks[name] = (["<module>", "main", "burn_serial", name] if serial
                            else ["thread_burn", name])
        truth = {"pid": os.getpid(), "python": platform.python_version(),
                 "mode": self.options.mode, "seq": self.seq, "final": final,
                 "argv": sys.argv, "threads": self.threads, "hot": hot,
                 "idle_functions": ["idle_sleep", "idle_wait"],
                 "stacks": stacks}
        tmp = "%s.%d.tmp" % (self.path, os.getpid())
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(truth, f, indent=1)
        os.replace(tmp, self.path)
        self.seq += 1


def allow_any_tracer():
    """Best effort: let any process of our user read us under Yama."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PTRACER = 0x59616D61
        libc.prctl(PR_SET_PTRACER, ctypes.c_ulong(-1 & 0xFFFFFFFFFFFFFFFF),
                   ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))
    except Exception:
        pass


def start_thread(truth, target, name, role, args=()):
    started = threading.Event()

    def run():
        truth.add_thread(threading.get_native_id(), name, role)
        started.set()
        target(*args)
    thread = threading.Thread(target=run, name=name)
    thread.daemon = True
    thread.start()
    started.wait()
    return thread


def on_stop(signum, frame):
    STOP.set()


def on_snapshot(signum, frame):
    SNAPSHOT[0] = True


def main():
    parser = argparse.ArgumentParser(description="pytop --batch live target")
    parser.add_argument("truth", help="where to write the truth JSON")
    parser.add_argument("--mode", choices=("serial", "threads"), default="serial")
    parser.add_argument("--duration", type=float, default=0.0,
                        help="seconds to run (default: until signalled)")
    parser.add_argument("--unit", type=int, default=UNIT,
                        help="loop iterations per unit of work")
    parser.add_argument("--exit-code", type=int, default=0)
    parser.add_argument("--chatter", action="store_true",
                        help="print to stdout on every serial cycle")
    parser.add_argument("--ballast", type=int, default=0, metavar="MB",
                        help="hold MB of touched memory and leave with "
                        "os._exit(), so the kernel's exit takes a while")
    options = parser.parse_args()
    allow_any_tracer()
    # Touched pages, still mapped when the process exits: the kernel takes
    # a while to unmap them, after the memory is unreadable and before the
    # exit status can be collected.
    ballast = bytearray(b"\x01") * (options.ballast << 20)
    signal.signal(signal.SIGTERM, on_stop)
    signal.signal(signal.SIGINT, on_stop)
    signal.signal(signal.SIGUSR1, on_snapshot)

    truth = Truth(os.path.abspath(options.truth), options)
    truth.add_thread(threading.get_native_id(), threading.current_thread().name,
                     "main")
    start_thread(truth, idle_sleep, "idle-sleeper", "idle")
    start_thread(truth, idle_wait, "idle-waiter", "idle")
    if options.mode == "threads":
        for name in HOT:
            start_thread(truth, thread_burn, "burner-" + name[-1], "burner",
                         (name, SERIAL_UNITS[name] * options.unit))
    truth.write()
    if options.mode == "serial":
        burn_serial(truth, options)
    else:
        main_wait(truth)
    truth.write(final=True)
    sys.stdout.flush()
    if ballast:
        os._exit(options.exit_code)
    return options.exit_code


if __name__ == "__main__":
    sys.exit(main())
