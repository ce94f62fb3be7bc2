"""Live test: pytop against a process that imitates CPython 3.13 with
hostile memory (TAP).

Run with the system python3 (automake's PY_LOG_COMPILER); the pytop under test
is $PYTOP, the fake interpreter $PYTOP_BUILDDIR/tools/fuzz/fake_python (built
by `make check`; tools/fuzz/fake_python.c). It exports _PyRuntime, Py_Version
and PyCode_Type and fills _PyRuntime with:

  random N     random bytes after a valid _Py_DebugOffsets cookie (4 seeds)
  0x41         every byte 'A' (the audit's filling)
  sea          the real 3.13.0 _Py_DebugOffsets over a sea of pointers into
               _PyRuntime (every object pytop follows is the same bytes)
  hugesizes    the sea, with the sizes and offsets that size reads into
               pytop's buffers as large as the mapping allows
  selfloop     a valid block whose interpreter, thread and frame lists point
               at themselves

For each filling, `--dump`, `--dump --json` and `--batch -d 1` must end
cleanly: exit status 0 or 1 (never a signal, never a hang: 30 s timeout), and
on failure exactly one line on stderr starting `pytop: ` (a sanitizer report
is many lines: under `--enable-sanitizers` this is the sanitizer check). With
tmux, the live view is started on each filling for a moment and quit with
`q`: same contract (a missing tmux is a loud SKIP).
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pythons  # noqa: E402

RUN_TIMEOUT = 30
FILLINGS = [["random", "1"], ["random", "2"], ["random", "3"], ["random", "4"],
            ["0x41"], ["sea"], ["hugesizes"], ["selfloop"]]
MODES = [["--dump"], ["--dump", "--json"], ["--batch", "-d", "1"]]


def fake_python_binary():
    build = os.environ.get("PYTOP_BUILDDIR") or pythons.REPO
    return os.path.join(build, "tools", "fuzz", "fake_python")


def start_fake(binary, filling):
    proc = subprocess.Popen([binary] + filling, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    line = proc.stdout.readline().decode("ascii", "replace")
    if not line.startswith("ready"):
        proc.kill()
        proc.wait()
        return None
    return proc


def run(argv):
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = proc.communicate(timeout=RUN_TIMEOUT)
        timed_out = False
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        timed_out = True
    return proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), timed_out


def verdict(rc, err, timed_out):
    """None when the run ended cleanly, else what is wrong."""
    lines = err.splitlines()
    if timed_out:
        return "timed out after %d s" % RUN_TIMEOUT
    if rc < 0:
        return "killed by signal %s" % signal.Signals(-rc).name
    if rc not in (0, 1):
        return "exit status %d" % rc
    if rc == 1 and (len(lines) != 1 or not lines[0].startswith("pytop: ")):
        return "stderr is not one 'pytop: ' line"
    if rc == 0 and len(lines) > 1:
        return "stderr has %d lines" % len(lines)
    return None


def live_view(tap, pytop, pid, label):
    """The TUI on the fake target in a private tmux server, quit with q."""
    sock = "pytop-hostile-%d-%d" % (os.getpid(), pid)
    tmp = tempfile.mkdtemp(prefix="pytop-hostile-")
    done = os.path.join(tmp, "rc")
    errf = os.path.join(tmp, "err")
    cmd = "%s -p %d 2>%s; echo $? > %s" % (pytop, pid, errf, done)
    tmux = ["tmux", "-L", sock]
    try:
        subprocess.run(tmux + ["-f", "/dev/null", "new-session", "-d", "-x", "120", "-y", "40",
                               "sh", "-c", cmd], check=True, timeout=RUN_TIMEOUT)
        # Wait for an exit (attach refused) or for the view to draw.
        end = time.monotonic() + RUN_TIMEOUT
        drawn = False
        while time.monotonic() < end and not os.path.exists(done):
            pane = subprocess.run(tmux + ["capture-pane", "-p"], capture_output=True,
                                  timeout=RUN_TIMEOUT).stdout.decode("utf-8", "replace")
            if pane.strip():
                drawn = True
                break
            time.sleep(0.1)
        if drawn:
            time.sleep(0.5)   # let the sampler run over the hostile memory
            subprocess.run(tmux + ["send-keys", "q"], timeout=RUN_TIMEOUT)
        while time.monotonic() < end and not os.path.exists(done):
            time.sleep(0.1)
        if not os.path.exists(done):
            tap.ok(False, "%s: live view ends (q)" % label, "no exit within %d s" % RUN_TIMEOUT)
            return
        time.sleep(0.1)
        with open(done) as f:
            text = f.read().strip()
        rc = int(text) if text.isdigit() else -1
        with open(errf, encoding="utf-8", errors="replace") as f:
            err = f.read()
        # The shell reports a signal death as 128 + N.
        why = "killed by signal %d" % (rc - 128) if rc > 128 else verdict(rc, err, False)
        tap.ok(why is None, "%s: live view ends cleanly (exit %d)" % (label, rc),
               ["%s" % why, "stderr: %r" % err[:2000]])
    finally:
        subprocess.run(tmux + ["kill-server"], capture_output=True, timeout=RUN_TIMEOUT)
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    tap = pythons.Tap()
    pytop = pythons.pytop_binary()
    fake = fake_python_binary()
    if not os.access(fake, os.X_OK):
        tap.ok(False, "fake_python is built", "missing %s (make check builds it)" % fake)
        return tap.done()
    have_tmux = shutil.which("tmux") is not None
    if not have_tmux:
        tap.skip("live view on hostile fillings", "tmux not found")
    for filling in FILLINGS:
        label = " ".join(filling)
        proc = start_fake(fake, filling)
        if not proc:
            tap.ok(False, "%s: fake_python starts" % label)
            continue
        try:
            for mode in MODES:
                argv = [pytop] + mode + ["-p", str(proc.pid)]
                rc, out, err, timed_out = run(argv)
                why = verdict(rc, err, timed_out)
                tap.ok(why is None, "%s: %s ends cleanly (exit %d%s)" % (
                    label, " ".join(mode), rc, ", " + err.strip()[:120] if rc else ""),
                       ["%s" % why, "command: %s" % " ".join(argv), "stderr: %r" % err[:2000]])
            if have_tmux:
                live_view(tap, pytop, proc.pid, label)
        finally:
            proc.kill()
            proc.wait()
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
