"""The live view with --native, driven inside tmux (TAP).

Run with the system python3; the pytop under test is $PYTOP. Needs tmux and
a C compiler (a missing one is a loud SKIP). The interpreters are those of
test_tui.py (oldest and newest pyenv, the Debian root's newest release
build chrooted, or the first and last of PYTOP_TEST_PYTHONS); one whose
headers are not installed is a SKIP.

Per interpreter: test_native.py's C extension is built against the
interpreter's own headers and tests/targets/native_stack_target.py runs in
its `tui` mode: MainThread spins in the C function pytop_spin_hot (called
by spin() from ext_caller, holding the GIL), and a thread named nogil-spin
spins without the GIL in the static pytop_spin_static (then
pytop_spin_hot) from nogil_caller. `pytop --native -D 0.5 -p PID` in a
160x48 tmux:

  - the header shows the pause per thread sample ("Pause X p99 Y")
  - the hot table has a row "pytop_spin_hot (spinext.so)" (no line)
  - the stack pane shows pytop_spin_hot above (inside) its Python caller
    ext_caller or nogil_caller
  - `:thread nogil-spin`: the stack pane follows the thread that runs
    without the GIL: pytop_spin_static above nogil_caller
  - Enter on the hot table's pytop_spin_hot row: the detail view says
    "native", names its C callers (spin or pytop_spin_static) and has no
    source lines; Esc returns
  - q: the shell prompt is back, exit status 0, and the target is still
    running with none of its threads stopped (/proc/PID/task/*/stat state
    not t or T) and no tracer left (TracerPid 0)
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "live"))
sys.path.insert(0, HERE)
import pythons  # noqa: E402
import test_native  # noqa: E402
from test_tui import Tmux, check, table, text, chosen_interpreters  # noqa: E402

TARGET = os.path.normpath(os.path.join(HERE, "..", "targets", "native_stack_target.py"))


def stack_pane(lines):
    """The stack pane's frame lines (innermost first), cut to its columns."""
    for i, line in enumerate(lines):
        col = line.find(" Stack of ")
        if col < 0:
            continue
        out = []
        for l in lines[i + 1:]:
            part = l[col:] if len(l) > col else ""
            part = part.lstrip("│|▶> ").rstrip()
            if not part:
                break
            out.append(part)
        return lines[i][col:], out
    return "", []


def index_of(frames, prefix):
    for i, f in enumerate(frames):
        if f.startswith(prefix):
            return i
    return -1


def under(frames, leaf, callers):
    """leaf is in the stack, innermost of one of callers."""
    i = index_of(frames, leaf)
    return i >= 0 and any(index_of(frames, c) > i for c in callers)


def native_session(tap, pytop, interp, work):
    label = "%s --native live" % interp.label
    if not test_native.build_ext(tap, interp, work):
        return
    ready = os.path.join(work, "ready-tui")
    proc = test_native.start(interp, [interp.script(TARGET), "tui", interp.inside(ready), interp.inside(work)],
                             ready)
    tm = None
    try:
        if not tap.ok(os.path.exists(ready) and proc.poll() is None, "%s: the target starts" % label,
                      proc.stderr.read().decode("utf-8", "replace")[-500:] if proc.poll() is not None else ""):
            return
        tm = Tmux(160, 48, work)
        tm.type("%s --native -D 0.5 -p %d" % (pytop, proc.pid))
        tm.keys("Enter")

        def header():
            lines = tm.wait(lambda s: re.search(r"Pause \d+(\.\d+)?(us|ms|s) p99 \d", s[2]),
                            "the pause in the header")
            return "PID %d" % proc.pid in lines[0], lines
        if not check(tap, "%s: the header shows the pause per sample" % label, header):
            return

        def hot():
            lines = tm.wait(lambda s: any(r["func"] == "pytop_spin_hot (spinext.so)" for r in table(s)),
                            "pytop_spin_hot (spinext.so) in the hot table")
            return True, lines
        check(tap, "%s: the C function pytop_spin_hot is a row of the hot table" % label, hot)

        def stack():
            lines = tm.wait(lambda s: under(stack_pane(s)[1], "pytop_spin_hot (spinext.so)",
                                            ("ext_caller (", "nogil_caller (")),
                            "pytop_spin_hot under its Python caller in the stack pane")
            return True, lines
        check(tap, "%s: the stack pane shows pytop_spin_hot under its Python caller" % label, stack)

        def nogil():
            tm.type(":thread nogil-spin")
            tm.keys("Enter")
            lines = tm.wait(lambda s: "nogil-spin" in stack_pane(s)[0]
                            and under(stack_pane(s)[1], "pytop_spin_static (spinext.so)", ("nogil_caller (",)),
                            "the nogil thread's C frames under nogil_caller")
            return True, lines
        check(tap, "%s: the thread without the GIL: pytop_spin_static under nogil_caller" % label, nogil)
        tm.type(":thread all")
        tm.keys("Enter")

        def detail():
            tm.type("/pytop_spin_hot")
            tm.keys("Enter")
            tm.wait(lambda s: len(table(s)) == 1 and table(s)[0]["name"] == "pytop_spin_hot",
                    "the filtered table")
            tm.keys("Enter")
            lines = tm.wait(lambda s: "pytop_spin_hot (spinext.so), native" in text(s)
                            and re.search(r"(spin|pytop_spin_static) \(spinext\.so\)", text(s)),
                            "the detail view of pytop_spin_hot")
            ok = "no source lines" in text(lines)
            tm.keys("Escape")
            tm.wait(lambda s: table(s), "the main view again")
            tm.keys("Escape")
            return ok, lines
        check(tap, "%s: the detail view of a native function: C callers, no source" % label, detail)

        def quit():
            _, lines = tm.quit_status()
            return "rc=0" in text(lines) and "F10Quit" not in text(lines), lines
        check(tap, "%s: q restores the screen; exit status 0" % label, quit)
        time.sleep(0.3)
        states = pythons.proc_states(proc.pid)
        stopped = {t: s for t, s in states.items() if s in "tT"}
        tap.ok(proc.poll() is None and states and not stopped and pythons.tracer_pid(proc.pid) == 0,
               "%s: after q the target runs, no thread stopped, no tracer" % label,
               "states %r, tracer %r, poll %r" % (states, pythons.tracer_pid(proc.pid), proc.poll()))
    finally:
        if tm:
            tm.kill()
        test_native.stop(proc)


def main():
    tap = pythons.Tap()
    pytop = pythons.pytop_binary()
    if not shutil.which("tmux"):
        tap.skip("the --native TUI tests", "tmux is not installed")
        return tap.done()
    if not shutil.which(os.environ.get("CC") or "cc") and not shutil.which("gcc"):
        tap.skip("the --native TUI tests", "no C compiler")
        return tap.done()
    if not os.access(pytop, os.X_OK):
        tap.bail("no pytop at %s" % pytop)
    for interp in chosen_interpreters(tap):
        tap.diag("interpreter %s %s" % (interp.label, interp.path))
        work = interp.mkdtemp("pytop-tuin-")
        try:
            native_session(tap, pytop, interp, work)
        except Exception:
            tap.ok(False, "%s: the --native session ran" % interp.label, traceback.format_exc())
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return tap.done()


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    sys.exit(main())
