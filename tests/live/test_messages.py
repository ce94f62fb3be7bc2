"""Live test: pytop says what is really wrong (issue 9, item 8) (TAP).

Same contract as test_errors.py (non-zero exit, no signal, no hang, exactly
one `pytop: ` line on stderr), and the message names the real cause
(traced and thread id on the first and the last interpreter of the list:
with the Debian unstable root, the last is a chrooted one):

  traced       --blocking against a Python another process already traces
               (PTRACE_SEIZE from a helper): "already traced by PID <tracer>",
               not "needs CAP_SYS_PTRACE" (SKIP when not root)
  thread id    -p <tid of a non-main thread>: refused, "PID <tid> is a thread
               of process <pid>", for --dump and --batch
  not dumpable pytop as nobody against nobody's Python that called
               prctl(PR_SET_DUMPABLE, 0): the message says "not dumpable"
               (SKIP when not root, setpriv or /usr/bin/python3.11 missing);
               the same Python still dumpable is read fine (the control)
"""

import os
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pythons  # noqa: E402
import test_errors as te  # noqa: E402

TRACER = r"""
import ctypes, sys, time
libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
PTRACE_SEIZE = 0x4206
if libc.ptrace(PTRACE_SEIZE, int(sys.argv[1]), None, None) != 0:
    sys.stdout.write("error %d\n" % ctypes.get_errno())
else:
    sys.stdout.write("ready\n")
sys.stdout.flush()
time.sleep(100)
"""

THREADED = ("import sys, threading, time\n"
            "threading.Thread(target=time.sleep, args=(100,), daemon=True).start()\n"
            "sys.stdout.write('ready\\n'); sys.stdout.flush()\n"
            "time.sleep(100)\n")

NOT_DUMPABLE = ("import ctypes, sys, time\n"
                "if sys.argv[1] == 'off': ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)\n"
                "sys.stdout.write('ready\\n'); sys.stdout.flush()\n"
                "time.sleep(100)\n")


def test_traced(tap, pytop, interp):
    what = "%s: --blocking against a traced target names the tracer" % interp.label
    if os.geteuid() != 0:
        tap.skip(what, "not root: cannot trace the target from a helper")
        return
    target = te.start_ready(interp.argv("-c", te.SLEEPER))
    tracer = None
    try:
        if target is None:
            tap.ok(False, what, ["the target did not start"])
            return
        tracer = te.start_ready([sys.executable, "-c", TRACER, str(target.pid)])
        if tracer is None:
            tap.ok(False, what, ["the tracer could not PTRACE_SEIZE the target"])
            return
        result = te.run([pytop, "--batch", "--blocking", "-d", "1", "-p", str(target.pid)])
    finally:
        te.stop(tracer)
        te.stop(target)
    text = te.message(result)
    te.error_case(tap, what, result,
                  [("traced by PID %d" % tracer.pid in text,
                    "message does not say 'traced by PID %d'" % tracer.pid),
                   ("CAP_SYS_PTRACE" not in text, "message still blames CAP_SYS_PTRACE")])


def test_thread_id(tap, pytop, interp):
    target = te.start_ready(interp.argv("-c", THREADED))
    if target is None:
        tap.ok(False, "%s: the threaded target starts" % interp.label)
        return
    try:
        tids = [int(t) for t in os.listdir("/proc/%d/task" % target.pid) if int(t) != target.pid]
        if not tids:
            tap.ok(False, "%s: the target has a second thread" % interp.label)
            return
        for mode in (["--dump"], ["--batch", "-d", "1"]):
            result = te.run([pytop] + mode + ["-p", str(tids[0])])
            want = "PID %d is a thread of process %d" % (tids[0], target.pid)
            te.error_case(tap, "%s: %s -p <thread id> is refused" % (interp.label, " ".join(mode)),
                          result, [(want in te.message(result), "message does not say '%s'" % want)])
    finally:
        te.stop(target)


def test_not_dumpable(tap, pytop):
    what = "not dumpable: pytop as nobody against nobody's Python after PR_SET_DUMPABLE 0"
    setpriv = shutil.which("setpriv")
    python = pythons.DEBIAN_PYTHON
    if os.geteuid() != 0:
        tap.skip(what, "not running as root, cannot drop to nobody")
        return
    if setpriv is None or not os.access(python, os.X_OK):
        tap.skip(what, "setpriv or %s not found" % python)
        return
    drop = [setpriv, "--reuid=%d" % te.NOBODY, "--regid=%d" % te.NOBODY, "--clear-groups", "--"]
    tmp = tempfile.mkdtemp(prefix="pytop-dump-")
    try:
        os.chmod(tmp, 0o755)
        copy = os.path.join(tmp, "pytop")
        shutil.copy2(pytop, copy)
        os.chmod(copy, 0o755)
        for state in ("on", "off"):
            target = te.start_ready(drop + [python, "-c", NOT_DUMPABLE, state])
            try:
                if target is None:
                    tap.ok(False, what, ["nobody's Python did not start"])
                    return
                result = te.run(drop + [copy, "--dump", "-p", str(target.pid)])
            finally:
                te.stop(target)
            if state == "on":
                tap.ok(result.rc == 0 and result.stdout.startswith("Process %d:" % target.pid),
                       "control: nobody dumps its own dumpable Python", result.describe())
            else:
                text = te.message(result)
                te.error_case(tap, what, result,
                              [("not dumpable" in text, "message does not say 'not dumpable'")])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    tap = pythons.Tap()
    pytop = pythons.pytop_binary()
    if not (os.path.isfile(pytop) and os.access(pytop, os.X_OK)):
        tap.bail("pytop binary not found at %s (set PYTOP)" % pytop)
    # The first and the last of the list (of this shard): the oldest pyenv
    # build and, with the sid root, a chrooted Debian unstable one (its
    # targets start through Interpreter.argv).
    interps = list(pythons.interpreters(tap, chroot=True))
    for interp in interps[:1] + interps[-1:]:
        test_traced(tap, pytop, interp)
        test_thread_id(tap, pytop, interp)
    test_not_dumpable(tap, pytop)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
