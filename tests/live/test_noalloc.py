"""The sampler thread allocates nothing in its steady state (TAP).

pytop's rule: the sampler never allocates or blocks on its hot path. Under
an LD_PRELOAD malloc counter (tests/live/noalloc_shim.c, built by make
check as tests/live/noalloc_shim.so in $PYTOP_BUILDDIR) that tells the
sampler thread by its round markers (the deadline sleep between rounds and,
with --blocking, the PTRACE_INTERRUPT of every round), per interpreter,
against a target with a spinning, a sleeping and a main thread:

  pytop --batch --blocking -d 2 -f json: exit 0; one sampler thread, the
        tracer (its ptrace calls counted), past start-up (100 round
        markers); 0 malloc/calloc/realloc/aligned allocations from it after
        that (before the fix: one opendir a round, from pause_stop's
        /proc/PID/task listing)
  pytop --batch -d 2 -f json (no --blocking): the same, 0 allocations
  pytop --batch --native -r 200 -d 2 -f json: the same, 0 allocations
        (each thread stopped and unwound with libunwind; the unwind tables,
        symbols and thread contexts of what is there at the start are made
        before sampling; before that: about 50 in 3 s, from each new
        symbol's name, a sleeping thread's context made again after every
        sweep, and the first unwind into each library)

A sanitizer build (ASan replaces malloc itself) is a SKIP.
"""

import os
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import pythons  # noqa: E402

SECS = 2
TIMEOUT = 90
TARGET = r"""
import threading, time
def spin():
    x = 0
    while True:
        x += 1
def nap():
    while True:
        time.sleep(0.01)
threading.Thread(target=spin, name="spin", daemon=True).start()
threading.Thread(target=nap, name="nap", daemon=True).start()
print("ready", flush=True)
time.sleep(600)
"""


def shim_path():
    build = os.environ.get("PYTOP_BUILDDIR") or os.path.dirname(os.path.dirname(HERE))
    return os.path.join(build, "tests", "live", "noalloc_shim.so")


def sanitized(binary):
    try:
        out = subprocess.run(["ldd", binary], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             timeout=30).stdout.decode("utf-8", "replace")
    except (OSError, subprocess.SubprocessError):
        return False
    return "libasan" in out or "libtsan" in out


def parse_report(text):
    """[(tid, marks, ptraces, mallocs)] and the backtrace lines."""
    threads, traces = [], []
    for line in text.splitlines():
        w = line.split()
        if len(w) == 8 and w[0] == "thread":
            threads.append((int(w[1]), int(w[3]), int(w[5]), int(w[7])))
        else:
            traces.append(line)
    return threads, traces


def check(tap, label, pytop, shim, pid, extra):
    with tempfile.TemporaryDirectory(prefix="pytop-noalloc-") as work:
        report = os.path.join(work, "report")
        env = dict(os.environ, LD_PRELOAD=shim, NOALLOC_REPORT=report)
        argv = [pytop, "-p", str(pid), "--batch", "-d", str(SECS), "-f", "json"] + extra
        try:
            p = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=TIMEOUT)
            rc, err = p.returncode, p.stderr.decode("utf-8", "replace")
        except subprocess.TimeoutExpired:
            rc, err = "timeout", ""
        try:
            with open(report) as f:
                text = f.read()
        except OSError as exc:
            text = ""
            err += "\nno report: %s" % exc
    what = " ".join(extra) or "default"
    if not tap.ok(rc == 0, "%s: %s: pytop --batch under the malloc counter exits 0 (%s)" % (label, what, rc),
                  err.strip().splitlines()[-20:]):
        return
    threads, traces = parse_report(text)
    tap.diag("%s: %s: warm threads (tid, round markers, ptrace calls, mallocs): %s" % (label, what, threads))
    blocking = "--blocking" in extra
    one = len(threads) == 1 and (threads[0][2] > 0 if blocking else True)
    tap.ok(one, "%s: %s: one sampler thread past start-up%s" % (label, what, ", the tracer" if blocking else ""),
           text.splitlines()[:20])
    mallocs = sum(t[3] for t in threads)
    tap.ok(one and mallocs == 0, "%s: %s: the sampler allocates nothing in its steady state (%d allocations)"
           % (label, what, mallocs), traces[:60])


def main():
    tap = pythons.Tap()
    pytop = pythons.pytop_binary()
    shim = shim_path()
    if not os.access(pytop, os.X_OK):
        tap.bail("no pytop at %s" % pytop)
    if not os.path.exists(shim):
        tap.bail("no %s (make check builds it)" % shim)
    if sanitized(pytop):
        tap.skip("the sampler allocates nothing", "a sanitizer build replaces malloc itself")
        return tap.done()
    for interp in pythons.interpreters(tap, chroot=True):
        proc = subprocess.Popen(interp.argv("-c", TARGET), stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        try:
            ready = proc.stdout.readline().strip() == b"ready"
            if not tap.ok(ready, "%s: target starts" % interp.label):
                continue
            time.sleep(0.3)
            for extra in (["--blocking"], [], ["--native", "-r", "200"]):
                check(tap, interp.label, pytop, shim, proc.pid, extra)
        finally:
            proc.kill()
            proc.wait(timeout=10)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
