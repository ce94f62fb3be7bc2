"""Ground truth for the acceptance targets (tests/targets/acc_*.py).

A target creates one Truth(path) and registers its threads with it; on
SIGUSR1, and once more at the end, the truth is written to PATH as one JSON
object (written to PATH.tmp, then renamed, so a reader never sees half):

    {"seq": N, "final": bool, "pid": PID, "python": "3.X.Y",
     "wall": time.monotonic(), "threads": {TID: {"name", "cpu_s", "ended",
     ...extra per-thread counters}}, "live": [[TID, NAME], ...], ...extra}

threads holds every thread the target ever registered (ended ones too):
their kernel tid (threading.get_native_id()), threading name and the CPU
time the thread measured of itself (time.thread_time(), updated by the
thread when it calls Truth.update or Truth.ended). live is
threading.enumerate() at the time of writing. A target that churns threads
can keep only tids (Truth.add_tid, a list append: cheap enough for thousands
of threads a second).

The signal handler runs in the main thread, so targets keep their main
thread in sleeps or in serve_forever (interruptible) and never let it hold
the truth lock outside the handler. Standard library only, Python 3.8+.
"""

try:
    import compat  # noqa: F401  (3.6/3.7 shims, tests/targets/compat.py)
except ImportError:
    pass
import json
import os
import platform
import signal
import threading
import time


class Truth:
    def __init__(self, path):
        self.path = path
        self.lock = threading.RLock()
        self.threads = {}
        self.tids = []          # churned threads: tids only
        self.extra = {}
        self.seq = -1
        self.final = False
        signal.signal(signal.SIGUSR1, lambda *_: self.write())
        signal.signal(signal.SIGTERM, self._term)

    def _term(self, *_):
        self.write(final=True)
        os._exit(0)

    def register(self, **extra):
        """The calling thread: tid, name and its CPU time so far."""
        t = threading.current_thread()
        entry = {"name": t.name, "cpu_s": time.thread_time(), "ended": False}
        entry.update(extra)
        with self.lock:
            self.threads[threading.get_native_id()] = entry
        return entry

    def register_thread(self, thread, **extra):
        """A started thread that does not register itself (its cpu_s stays 0)."""
        entry = {"name": thread.name, "cpu_s": 0.0, "ended": False}
        entry.update(extra)
        with self.lock:
            self.threads[thread.native_id] = entry

    def update(self, **values):
        """Refresh the calling thread's CPU time (and counters VALUES)."""
        entry = self.threads.get(threading.get_native_id())
        if entry is None:
            entry = self.register()
        entry["cpu_s"] = time.thread_time()
        entry.update(values)
        return entry

    def ended(self, **values):
        entry = self.update(**values)
        entry["ended"] = True

    def add_tid(self):
        self.tids.append(threading.get_native_id())

    def serve(self, nthreads):
        """The main thread's end: once NTHREADS threads registered, the
        first truth, then sleeps for good (each SIGUSR1 writes another)."""
        while len(self.threads) < nthreads:
            time.sleep(0.01)
        self.write()
        while True:
            time.sleep(1)

    def write(self, final=False):
        with self.lock:
            self.seq += 1
            data = {"seq": self.seq, "final": final, "pid": os.getpid(),
                    "python": platform.python_version(),
                    "wall": time.monotonic(),
                    "threads": {str(k): dict(v) for k, v in list(self.threads.items())},
                    "tids": list(self.tids),
                    "live": [[t.native_id, t.name] for t in threading.enumerate()]}
            data.update(self.extra)
            tmp = self.path + ".tmp"
            with open(tmp, "w") as f:
                json.dump(data, f)
            os.replace(tmp, self.path)
