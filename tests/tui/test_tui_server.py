"""The live view on the workloads users have, inside tmux (TAP; issue 8).

Run with the system python3; the pytop under test is $PYTOP (default
<repo>/pytop). Needs tmux (missing: a loud SKIP). Two interpreters: the
newest pyenv build of tests/live/pythons.py's list, and the Debian unstable
root's newest release build (python3.15 today), chrooted, its server watched
for SID_SECS (12 s) instead; either missing is a loud SKIP. With
PYTOP_TEST_PYTHONS: its last directly run and its last chrooted interpreter.

  server, 120x40: `pytop -D 0.5 -p PID` on tests/targets/http_server.py, a
    ThreadingHTTPServer (a thread per request) under its own load generator,
    for PYTOP_TUI_SERVER_SECS seconds (default 60). Every few seconds:
    - pytop still runs (no crash: the view is there, no shell prompt);
    - the threads pane's "N live" is within 3 of the target's threads in
      /proc/PID/task, and its rows (live + ended) stay bounded;
    - no "0 ?" row (a thread pytop cannot identify is never shown).
    Then: `:so tot` sorts by TotalTime; `m` cycles Mode cpu -> wall -> gil ->
    cpu; `r` resets and a snapshot saved after it reports the duration
    since the reset (not since the start); `q` exits 0.
  churn, 120x40: the same on tests/targets/churn_target.py (hundreds of
    threads a second) for a third of the time.
  NO_COLOR, 100x30: `NO_COLOR=1 pytop ...` on tests/targets/tui_target.py: capture-pane -e shows no colour
    attribute (SGR 30-38, 40-48, 90-107; 39/49 are the default) anywhere; without NO_COLOR it does (so the
    check can see colours).
  launch + SIGSEGV / SIGHUP: `pytop -- PYTHON http_server.py`; pytop killed by
    SIGSEGV (a crash) or SIGHUP (terminal gone): the launched program is
    stopped too, never left running.

The screen is polled; nothing waits a fixed time for pytop. Every tmux
server and target is killed in a finally block.
"""

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "live"))
import pythons  # noqa: E402
import test_tui  # noqa: E402
from test_tui import Tmux, check, text, status, sorted_column, PROMPT, ENV  # noqa: E402

TARGETS = os.path.normpath(os.path.join(HERE, "..", "targets"))
SERVER = os.path.join(TARGETS, "http_server.py")
CHURN = os.path.join(TARGETS, "churn_target.py")
SECS = float(os.environ.get("PYTOP_TUI_SERVER_SECS", "60"))
SID_SECS = 12            # the chrooted interpreter's server watch (CI time)
ROWS_MAX = 2000          # live + ended rows: bounded by the grace period
LIVE_SLACK = 3           # threads come and go between two reads


def start(interp, script, workdir, extra=()):
    ready = os.path.join(workdir, "ready-%s" % os.path.basename(script))
    log = open(os.path.join(workdir, "target.out"), "ab")
    proc = subprocess.Popen(interp.argv(interp.script(script), "--ready", interp.inside(ready), *extra),
                            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    log.close()
    deadline = time.monotonic() + 30
    while not os.path.exists(ready):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("target did not start (status %r)" % proc.poll())
        time.sleep(0.05)
    return proc


def tasks(pid):
    try:
        return len(os.listdir("/proc/%d/task" % pid))
    except OSError:
        return -1


TITLE = re.compile(r"Threads: (\d+) running now / (\d+) live(?:, (\d+) ended)?")


def threads_title(lines):
    for line in lines:
        m = TITLE.search(line)
        if m:
            return int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    return None


def pytop_alive(lines):
    return "F10Quit" in text(lines) and not any(l.rstrip() == PROMPT.strip() for l in lines)


def zero_rows(lines):
    """Rows of the threads pane for tid 0."""
    return [l for l in lines if re.match(r"^.?\s+0 \S", l)]


def watch(tap, tm, target, label, secs):
    """Poll for secs seconds; one test point for all the polls."""
    def run():
        diags, bad = [], []
        end = time.monotonic() + secs
        polls = 0
        while time.monotonic() < end:
            lines = tm.screen()
            if not pytop_alive(lines):
                # one more look: a redraw may be in progress
                time.sleep(0.3)
                lines = tm.screen()
                if not pytop_alive(lines):
                    return False, ["pytop is gone after %d polls:" % polls] + lines
            got = threads_title(lines)
            real = tasks(target.pid)
            if got:
                polls += 1
                running, live, ended = got
                if abs(live - real) > LIVE_SLACK:
                    # threads change between the two reads: read both again
                    time.sleep(0.6)
                    got2 = threads_title(tm.screen()) or got
                    real2 = tasks(target.pid)
                    if abs(got2[1] - real2) > LIVE_SLACK:
                        bad.append("live %d vs /proc %d (then %d vs %d)"
                                   % (live, real, got2[1], real2))
                if live + ended > ROWS_MAX:
                    bad.append("rows %d > %d" % (live + ended, ROWS_MAX))
                if len(diags) < 40:
                    diags.append("running %d live %d ended %d /proc %d" % (running, live, ended, real))
            if zero_rows(lines):
                bad.append("a tid-0 row: %r" % zero_rows(lines))
            time.sleep(2)
        return polls >= 3 and not bad, bad[:20] + diags + ["polls %d" % polls]
    return check(tap, "%s: %gs without a crash, 'live' within %d of /proc's threads, rows "
                 "bounded, no '0 ?' row" % (label, secs, LIVE_SLACK), run)


def header_value(lines, label):
    m = re.search(r"\b%s (\S+)" % label, lines[0] + " " + (lines[2] if len(lines) > 2 else ""))
    return m.group(1) if m else None


def server_session(tap, pytop, interp, workdir, secs):
    label = "%s server 120x40" % interp.label
    target = start(interp, SERVER, workdir, ["--clients", "2"])
    tm = None
    try:
        tm = Tmux(120, 40, workdir)
        tm.type("%s -D 0.5 -p %d" % (pytop, target.pid))
        tm.keys("Enter")
        tm.wait(lambda s: threads_title(s) is not None, "the threads pane", timeout=30)
        t0 = time.monotonic()
        if not watch(tap, tm, target, label, secs):
            return

        def so_tot():
            tm.keys(":")
            tm.type("so tot")
            tm.keys("Enter")
            lines = tm.wait(lambda s: sorted_column(s) == "TotalTime", "sorted by TotalTime")
            tm.keys("1")
            return "unknown" not in status(lines), lines
        check(tap, "%s: ':so tot' sorts by TotalTime" % label, so_tot)

        def mode_key():
            seen = []
            for want in ("wall", "gil", "cpu"):
                tm.keys("m")
                lines = tm.wait(lambda s: header_value(s, "Mode") == want, "Mode %s" % want)
                seen.append(header_value(lines, "Mode"))
            return seen == ["wall", "gil", "cpu"], ["modes: %r" % seen]
        check(tap, "%s: m cycles Mode cpu -> wall -> gil -> cpu" % label, mode_key)

        def reset():
            ran = time.monotonic() - t0
            tm.keys("r")
            tm.wait(lambda s: "reset" in status(s), "the reset message")
            t_reset = time.monotonic()
            # some samples after the reset
            tm.wait(lambda s: (header_value(s, "Samples") or "0") not in ("0",),
                    "samples after the reset")
            tm.keys("w")
            tm.wait(lambda s: "Save as" in status(s), "the save prompt")
            tm.keys("Enter")
            lines = tm.wait(lambda s: "saved " in status(s), "the saved message")
            since = time.monotonic() - t_reset
            m = re.search(r"saved (\S+) \(text\)", status(lines))
            if not m:
                return False, lines
            with open(m.group(1)) as f:
                head = f.read(2000)
            d = re.search(r"^Duration: (\S+)", head, re.M)
            dur = test_tui.seconds(d.group(1)) if d else -1
            return (0 <= dur <= since + 1.0 and ran > since + 5), [
                "ran %.1fs before the reset; saved %.1fs after it; Duration %s" %
                (ran, since, d.group(1) if d else "?")] + head.splitlines()[:12]
        check(tap, "%s: r resets; a snapshot saved after it reports the time since the reset"
              % label, reset)

        def quit():
            _, rc = tm.quit_status()
            return any(l.startswith("rc=0") for l in rc), rc
        check(tap, "%s: q exits 0; the target still runs" % label,
              lambda: (lambda r: (r[0] and target.poll() is None, r[1]))(quit()))
    finally:
        if tm:
            tm.kill()
        if target.poll() is None:
            target.kill()
        target.wait(timeout=10)


def churn_session(tap, pytop, interp, workdir, secs):
    label = "%s churn 120x40" % interp.label
    target = start(interp, CHURN, workdir, ["--spawners", "2"])
    tm = None
    try:
        tm = Tmux(120, 40, workdir)
        tm.type("%s -D 0.5 -p %d" % (pytop, target.pid))
        tm.keys("Enter")
        tm.wait(lambda s: threads_title(s) is not None, "the threads pane", timeout=30)
        watch(tap, tm, target, label, max(secs / 3, 10))
        tm.keys("q")
    finally:
        if tm:
            tm.kill()
        if target.poll() is None:
            target.kill()
        target.wait(timeout=10)


COLOUR = re.compile(r"\x1b\[([0-9;:]*)m")


def colour_codes(escaped):
    found = set()
    for m in COLOUR.finditer(escaped):
        parts = [p for p in re.split(r"[;:]", m.group(1)) if p]
        i = 0
        while i < len(parts):
            n = int(parts[i])
            if n in (38, 48):
                found.add(n)
                break
            # 39 / 49 are "the terminal's default colour": not a colour
            if 30 <= n <= 37 or 40 <= n <= 47 or 90 <= n <= 97 or 100 <= n <= 107:
                found.add(n)
            i += 1
    return found


def no_color_session(tap, pytop, interp, workdir, secs):
    label = "%s NO_COLOR 100x30" % interp.label
    target = start(interp, test_tui.TARGET, workdir)
    tm = None
    try:
        results = {}
        for env in ("", "NO_COLOR=1 "):
            tm = Tmux(100, 30, workdir)
            tm.type("%s%s -D 0.5 -p %d" % (env, pytop, target.pid))
            tm.keys("Enter")
            tm.wait(lambda s: "F10Quit" in text(s) and "Stack of" in text(s), "the live view",
                    timeout=30)
            escaped = tm.run("capture-pane", "-p", "-e")
            results[env] = colour_codes(escaped)
            tm.keys("q")
            tm.kill()
            tm = None
        check(tap, "%s: without NO_COLOR the capture shows colours (the check sees them)" % label,
              lambda: (bool(results[""]), ["codes %r" % sorted(results[""])]))
        check(tap, "%s: NO_COLOR=1: no colour attribute at all (no white on black)" % label,
              lambda: (not results["NO_COLOR=1 "], ["codes %r" % sorted(results["NO_COLOR=1 "])]))
    finally:
        if tm:
            tm.kill()
        if target.poll() is None:
            target.kill()
        target.wait(timeout=10)


def children_of(pid):
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d, errors="replace") as f:
                st = f.read()
            ppid = int(st[st.rindex(")") + 2:].split()[1])
        except (OSError, ValueError):
            continue
        if ppid == pid:
            out.append(int(d))
    return out


def launch_signal_session(tap, pytop, interp, workdir, sig):
    label = "%s launch, pytop gets %s" % (interp.label, signal.Signals(sig).name)
    tm = Tmux(100, 30, workdir)
    try:
        tm.type("exec %s -D 0.5 -- %s" % (pytop, " ".join(shlex.quote(a) for a in interp.argv(interp.script(SERVER)))))
        tm.keys("Enter")
        tm.wait(lambda s: threads_title(s) is not None, "the threads pane", timeout=30)
        pane_pid = int(tm.run("display-message", "-p", "#{pane_pid}").strip())
        kids = children_of(pane_pid)   # exec: the pane's process is pytop

        def run():
            if len(kids) != 1:
                return False, ["children of pytop %d: %r" % (pane_pid, kids)]
            child = kids[0]
            os.kill(pane_pid, sig)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    with open("/proc/%d/stat" % child, errors="replace") as f:
                        state = f.read().split(")")[-1].split()[0]
                except OSError:
                    state = "gone"
                if state in ("gone", "Z", "X"):
                    return True, ["child %d %s" % (child, state)]
                time.sleep(0.1)
            os.kill(child, signal.SIGKILL)
            return False, ["child %d still running 10 s after pytop got the signal" % child]
        check(tap, "%s: the launched program is stopped, never orphaned" % label, run)
    finally:
        tm.kill()


def main():
    tap = pythons.Tap()
    pytop = pythons.pytop_binary()
    if not shutil.which("tmux"):
        tap.skip("the TUI server tests", "tmux is not installed")
        return tap.done()
    if not os.access(pytop, os.X_OK):
        tap.bail("no pytop at %s" % pytop)
    every = pythons.expected_with_roots(sharded=False)   # run once (CI: shard 1)
    if os.environ.get("PYTOP_TEST_PYTHONS", "").strip():
        # The last interpreter of the list run directly, and the last chrooted one.
        chosen = [e for e in every if e[3] is None][-1:] + [e for e in every if e[3]][-1:]
    else:
        # The newest pyenv build and the sid root's newest release build.
        newest = pythons.SUPPORTED_MINORS[-1]
        sid = "python3.%d" % max(m for _, m in pythons.registry_versions())
        chosen = [e for e in every if e[0] == "python3.%d" % newest] + \
                 [e for e in every if e[3] and os.path.basename(e[2].split(" ")[0]) == sid]
    for label, path, looked, root in chosen:
        if path is None:
            tap.skip("%s: the TUI server tests" % label, "%s not found at %s" % (label, looked))
            continue
        version = pythons.query_version(path, root=root)
        short = "%s[chroot %s]" % (version, os.path.basename(path)) if root else version
        interp = pythons.Interpreter(path, short, version, root)
        # The chrooted one watches the server SID_SECS (CI time; the rest
        # of its sessions are as long as the first's).
        secs = min(SECS, SID_SECS) if root else SECS
        tap.diag("pytop %s, %s %s, %gs" % (pytop, interp.label, path, secs))
        workdir = interp.mkdtemp("pytop-tui-server-")
        start_t = time.monotonic()
        try:
            for session in (server_session, churn_session, no_color_session):
                try:
                    session(tap, pytop, interp, workdir, secs)
                except Exception:
                    tap.ok(False, "%s: %s ran" % (interp.label, session.__name__),
                           traceback.format_exc())
            for sig in (signal.SIGSEGV, signal.SIGHUP):
                try:
                    launch_signal_session(tap, pytop, interp, workdir, sig)
                except Exception:
                    tap.ok(False, "%s: launch session ran" % interp.label, traceback.format_exc())
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        tap.diag("%s took %.1fs" % (interp.label, time.monotonic() - start_t))
    return tap.done()


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    sys.exit(main())
