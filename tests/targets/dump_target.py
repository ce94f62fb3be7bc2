# -*- coding: utf-8 -*-
"""Target program for the live `pytop --dump` tests (tests/live/test_dump.py).

Runs under CPython 3.8 to 3.13 (no syntax newer than 3.8).

    python3 dump_target.py TRUTH.json [--workdir DIR] [--many N --depth D]

It starts threads that each park at a known line in known nested Python code,
then writes its own truth, the stacks pytop must report, to TRUTH.json, and
stays parked until it is killed.

Default mode, one thread per role (role: thread name, what is on its stack):

    main       "MainThread"      <module> -> main -> park
    method     "worker-1"        Thread subclass: Worker.run -> Worker.stage_one
                                 -> Worker.helper (classmethod, `cls`) ->
                                 Worker.static_stage (staticmethod) -> park
    closure    "closure"         outer_function -> .<locals>.middle ->
                                 .<locals>.inner -> park
    cellself   "cellself"        CellHolder.run, whose `self` is captured by a
                                 nested function (on 3.8-3.10 `self` then lives
                                 in a cell, not in the first local slot) -> park
    generator  "générateur"      consume -> <genexpr> -> produce (generator
                                 body, suspended nowhere: executing) -> park
    asyncio    "асинхронный-异步" asyncio.run -> ... event loop ... ->
                                 async_main -> async_outer -> async_inner -> park
                                 (a blocking call *inside* the coroutine)
    lambda     "lambda"          <lambda> -> park
    unicode    "ユニコード-𠮷"   Größe.𐌰𐌱𐌲 -> größe_berechnen (latin-1) ->
                                 вычислить_объём, 计算函数 (UCS-2) -> 𠮷野家
                                 (UCS-4) -> park
    path       "pfad-ü"          path_thread -> weiter (in WORKDIR/modül_ß/
                                 lätin.py) -> arbeite (in WORKDIR/путь_𠮷野家/
                                 wörker_模块.py; parked there on a lock)
    deep       "deep-50"         recurse x 51 (depth 50) -> park
    busy       "busy"            busy_loop: `while True: pass` (state running)
    sleeper    "sleeper"         sleeper_loop: time.sleep(600) in a loop
    raw        kernel comm       started with _thread.start_new_thread, so the
               "raw-native"      threading module does not know it; it sets its
                                 own comm through /proc/self/task/TID/comm

Thread names cover every string kind: ASCII, latin-1, UCS-2 and UCS-4. (Note:
identifiers are NFKC-normalised by the compiler, so mathematical letters such as
U+1D523 would become plain ASCII; Gothic and CJK Extension B letters stay.)

--many N --depth D: instead, N threads "deep-00".. each recursing D deep then
parked (for timing a dump of a large process), plus the main thread.

Parking: every parked thread blocks forever in `PARK_LOCK.acquire()` (a lock
that is never released), `time.sleep(600)` or a one-line busy loop, so its
Python frames cannot move between the truth snapshot and pytop's read.

A helper thread ("reporter") waits until every thread is at its parking line
(and stays there across two snapshots), builds the truth with
sys._current_frames(), writes it atomically (temp file + rename) and exits; the
test waits until /proc/PID/task holds exactly the tids in the truth.

Truth format (one JSON object):

    {"pid": N, "python": platform.python_version(),
     "threads": [{"tid": native id, "name": ..., "role": ..., "state":
                  "running"|"sleeping", "frames": [{"name", "file", "line"}]}]}

frames innermost first. Frame names follow pytop's rule: co_qualname on 3.11+;
on 3.8-3.10 "Type.co_name" when the first argument is named `self` (type(self)
.__name__) or `cls` (cls.__name__), else co_name. The thread name is the
threading name (threading._active), or the kernel comm for threads threading
does not know.
"""

import _thread
import argparse
import asyncio
import importlib.util
import json
import os
import platform
import sys
import threading
import time

try:
    import compat  # noqa: F401  (3.6/3.7 shims, tests/targets/compat.py)
except ImportError:
    pass

# Never released: every thread that acquires it blocks forever.
PARK_LOCK = _thread.allocate_lock()
PARK_LOCK.acquire()

# Filled by each thread just before it parks: ident -> (role, native id, state).
REGISTRY = {}

# The parking points: code object -> the line the thread stays on.  Filled in
# below from co_firstlineno so nothing depends on absolute line numbers.
PARK_POINTS = {}


def park():
    PARK_LOCK.acquire()


def busy_loop():
    while True: pass  # noqa: E701 -- one line, so the frame line never moves


def sleeper_loop():
    while True:
        time.sleep(600)


PARK_POINTS[park.__code__] = park.__code__.co_firstlineno + 1
PARK_POINTS[busy_loop.__code__] = busy_loop.__code__.co_firstlineno + 1
PARK_POINTS[sleeper_loop.__code__] = sleeper_loop.__code__.co_firstlineno + 2


def register(role, state="sleeping"):
    REGISTRY[_thread.get_ident()] = (role, _thread.get_native_id(), state)


# --- role: method --------------------------------------------------------
class Worker(threading.Thread):
    def run(self):
        register("method")
        self.stage_one()

    def stage_one(self):
        return Worker.helper()

    @classmethod
    def helper(cls):
        return cls.static_stage()

    @staticmethod
    def static_stage():
        return park()


# --- role: closure -------------------------------------------------------
def outer_function():
    register("closure")

    def middle():
        def inner():
            return park()
        return inner()
    return middle()


# --- role: cellself ------------------------------------------------------
class CellHolder:
    def run(self):
        register("cellself")

        def uses_self():
            return self
        return park()


# --- role: generator -----------------------------------------------------
def produce():
    yield 1
    park()
    yield 2


def consume():
    register("generator")
    return list(item for item in produce())


# --- role: asyncio -------------------------------------------------------
async def async_inner():
    return park()


async def async_outer():
    return await async_inner()


async def async_main():
    register("asyncio")
    return await async_outer()


def run_asyncio():
    if not hasattr(asyncio, "run"):   # 3.6
        asyncio.new_event_loop().run_until_complete(async_main())
        return
    asyncio.run(async_main())


# --- role: unicode -------------------------------------------------------
class Größe:
    def 𐌰𐌱𐌲(self):
        register("unicode")
        return größe_berechnen()


def größe_berechnen():
    return вычислить_объём()


def вычислить_объём():
    return 计算函数()


def 计算函数():
    return 𠮷野家()


def 𠮷野家():
    return park()


# --- role: path ----------------------------------------------------------
LATIN_DIR = "modül_ß"
LATIN_FILE = "lätin.py"
LATIN_SOURCE = (
    "# Generated by dump_target.py: a module in a latin-1 path.\n"
    "def weiter(func, arg):\n"
    "    return func(arg)\n"
)
UCS4_DIR = "путь_𠮷野家"
UCS4_FILE = "wörker_模块.py"
UCS4_SOURCE = (
    "# Generated by dump_target.py: a module in a UCS-4 path.\n"
    "def arbeite(lock):\n"
    "    lock.acquire()\n"
)
PATH_MODULES = {}


def load_module(workdir, dirname, filename, source, modname):
    """Write SOURCE to WORKDIR/DIRNAME/FILENAME and import it as MODNAME."""
    directory = os.path.join(workdir, dirname)
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, filename)
    with open(path, "w", encoding="utf-8") as f:
        f.write(source)
    spec = importlib.util.spec_from_file_location(modname, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def setup_path_modules(workdir):
    sys.dont_write_bytecode = True
    latin = load_module(workdir, LATIN_DIR, LATIN_FILE, LATIN_SOURCE,
                        "pytop_latin_module")
    ucs4 = load_module(workdir, UCS4_DIR, UCS4_FILE, UCS4_SOURCE,
                       "pytop_ucs4_module")
    code = ucs4.arbeite.__code__
    PARK_POINTS[code] = code.co_firstlineno + 1
    PATH_MODULES["latin"] = latin
    PATH_MODULES["ucs4"] = ucs4


def path_thread():
    register("path")
    return PATH_MODULES["latin"].weiter(PATH_MODULES["ucs4"].arbeite, PARK_LOCK)


# --- role: deep ----------------------------------------------------------
def recurse(n):
    if n > 0:
        return recurse(n - 1)
    return park()


def deep_thread(role, depth):
    register(role)
    return recurse(depth)


# --- role: busy, sleeper -------------------------------------------------
def busy_thread():
    register("busy", "running")
    busy_loop()


def sleeper_thread():
    register("sleeper")
    sleeper_loop()


# --- role: raw -----------------------------------------------------------
RAW_COMM = "raw-native"


def raw_entry():
    # Must not touch threading (current_thread() would register a dummy).
    tid = _thread.get_native_id()
    try:
        with open("/proc/self/task/%d/comm" % tid, "w") as f:
            f.write(RAW_COMM)
    except OSError:
        pass
    register("raw")
    return park()


# --- truth ---------------------------------------------------------------
def frame_name(frame):
    """The frame name pytop must print, per the rule in the module doc."""
    code = frame.f_code
    qualname = getattr(code, "co_qualname", None)
    if qualname is not None:
        return qualname
    name = code.co_name
    if code.co_argcount > 0 and code.co_varnames:
        first = code.co_varnames[0]
        if first in ("self", "cls"):
            local_vars = frame.f_locals
            if first in local_vars:
                value = local_vars[first]
                if first == "self":
                    return type(value).__name__ + "." + name
                return getattr(value, "__name__", type(value).__name__) \
                    + "." + name
    return name


def frame_list(frame):
    frames = []
    while frame is not None:
        frames.append({"name": frame_name(frame),
                       "file": frame.f_code.co_filename,
                       "line": frame.f_lineno})
        frame = frame.f_back
    return frames


def thread_name(ident, tid):
    thread = threading._active.get(ident)
    if thread is not None:
        return thread.name
    try:
        with open("/proc/self/task/%d/comm" % tid, "rb") as f:
            return f.read().rstrip(b"\n").decode("utf-8", "replace")
    except OSError:
        return "?"


def parked_snapshot(expected_roles, me):
    """The stacks if every expected thread is at its parking line, else None."""
    frames = sys._current_frames()
    registry = dict(REGISTRY)
    roles = {info[0] for info in registry.values()}
    if roles != expected_roles:
        return None
    snapshot = {}
    for ident, (role, tid, state) in registry.items():
        frame = frames.get(ident)
        if frame is None or ident == me:
            return None
        line = PARK_POINTS.get(frame.f_code)
        if line is None or frame.f_lineno != line:
            return None
        snapshot[ident] = {"tid": tid, "name": thread_name(ident, tid),
                           "role": role, "state": state,
                           "frames": frame_list(frame)}
    return snapshot


def reporter(truth_path, expected_roles):
    me = _thread.get_ident()
    deadline = time.monotonic() + 20.0
    previous = None
    while time.monotonic() < deadline:
        snapshot = parked_snapshot(expected_roles, me)
        if snapshot is not None and snapshot == previous:
            break
        previous = snapshot
        time.sleep(0.05)
    else:
        sys.stderr.write("dump_target: threads did not park within 20 s: "
                         "registered %r\n" % sorted(r[0] for r in REGISTRY.values()))
        sys.stderr.flush()
        os._exit(3)
    truth = {"pid": os.getpid(), "python": platform.python_version(),
             "threads": sorted(snapshot.values(), key=lambda t: t["tid"])}
    tmp = truth_path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(truth, f, indent=1)
    os.replace(tmp, truth_path)


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


def start(target, name, args=()):
    thread = threading.Thread(target=target, name=name, args=args)
    thread.daemon = True
    thread.start()
    return thread


def start_threads(options):
    """Start the worker threads; return the set of roles expected to park."""
    if options.many:
        roles = set()
        for i in range(options.many):
            role = "many-%02d" % i
            start(deep_thread, "deep-%02d" % i, (role, options.depth))
            roles.add(role)
        return roles
    worker = Worker(name="worker-1")
    worker.daemon = True
    worker.start()
    start(outer_function, "closure")
    start(CellHolder().run, "cellself")
    start(consume, "générateur")
    start(run_asyncio, "асинхронный-异步")
    start(lambda: (register("lambda"), park()), "lambda")
    start(Größe().𐌰𐌱𐌲, "ユニコード-𠮷")
    setup_path_modules(options.workdir)
    start(path_thread, "pfad-ü")
    start(deep_thread, "deep-50", ("deep", 50))
    start(busy_thread, "busy")
    start(sleeper_thread, "sleeper")
    _thread.start_new_thread(raw_entry, ())
    return {"method", "closure", "cellself", "generator", "asyncio", "lambda",
            "unicode", "path", "deep", "busy", "sleeper", "raw"}


def main():
    parser = argparse.ArgumentParser(description="pytop --dump live target")
    parser.add_argument("truth", help="where to write the truth JSON")
    parser.add_argument("--workdir", help="where to create the non-ASCII "
                        "module paths (default: the truth file's directory)")
    parser.add_argument("--many", type=int, default=0,
                        help="start this many deep threads instead of roles")
    parser.add_argument("--depth", type=int, default=50)
    options = parser.parse_args()
    truth_path = os.path.abspath(options.truth)
    if options.workdir is None:
        options.workdir = os.path.dirname(truth_path)
    allow_any_tracer()
    roles = start_threads(options)
    roles.add("main")
    start(reporter, "reporter", (truth_path, roles))
    register("main")
    park()


if __name__ == "__main__":
    main()
