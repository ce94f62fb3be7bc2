"""The live view driven as a person would, inside tmux (TAP).

Run with the system python3 (automake's PY_LOG_COMPILER); the pytop under
test is $PYTOP (absolute path; default <repo>/pytop). Needs tmux (a missing
tmux is a loud SKIP of everything). The interpreters are the oldest and the
newest pyenv ones of tests/live/pythons.py's list and the Debian unstable
root's newest release build, chrooted (3.6, 3.13 and 3.15 today), or the
first and last of PYTOP_TEST_PYTHONS (chroot= entries too); a missing one is
a TAP SKIP, never a silent pass.

Each interpreter runs two sessions, each in a private tmux server
(`tmux -L pytop-tui-PID-N`, a `bash --norc` with a known prompt, LANG=C.UTF-8)
against tests/targets/tui_target.py, whose hot function is crunch_numbers
(called by hot_driver, calling leaf_helper, hot line `total += i * i`):

  attach, 80x24: `pytop -D 0.5 -p PID` typed at the prompt
    - the header (PID, Python version) and the hot function on the top row
    - each sort key reorders: 2 (%Total), 3 (OwnTime), 4 (TotalTime), s (name),
      s (file), 1 (%Own): the marked column and the rows' order follow it
    - / filter narrows the table to crunch_numbers; Esc restores it
    - Enter on the top row: the detail view with callers (hot_driver), callees
      (leaf_helper), the hot line's source text and the thread; Esc returns
    - the prompt: `:so` Tab completes `sort `, `tot` Tab `totaltime `, Enter
      sorts; `:filter cru` Tab completes the function name; `:nosuch` is an
      error; `:help` opens the help, generated from the key table
    - the mouse (p pauses the display first so rows stay put): a click on a
      row selects it (Enter then opens that function); a click on the %Total
      title sorts by it
    - resize to 160x48 and back: the layout follows (wide columns, side by
      side panes) and every line is what a fresh draw gives (no garbage)
    - w writes a snapshot and the status line shows its path (the file is a
      text report)
    - g starts gilstat and shows its view; after a few seconds r resets: a
      snapshot saved a second later has gilstat's window ("over ...") equal
      to its Duration within 0.25 s (gilstat is cut at the reset with the
      counts, not restarted)
    - SIGSTOP to the target: the header says `Target stopped`; SIGCONT:
      `Target running` again
    - q: the shell prompt is back, the full screen is gone, exit status 0
  launch, 160x48: `pytop -D 0.5 -- PYTHON tui_target.py --exit-after 4
    --exit-status 3` typed at the prompt
    - wide layout: the sample columns and the threads and stack panes side by
      side; the hot function on top
    - the exited-target banner "TARGET EXITED (status 3)"; the data stays
      browsable (sorting, the detail view) and savable (w)
    - q: the prompt is back, exit status 3 (the program's), and the program's
      output is in the log file pytop names

  contended, 100x30: the target and a CPU hog pinned to CPU 0, pytop to
    CPU 1 (needs 2 CPUs, else SKIP): the stack pane's title says the
    followed thread is "waiting for a core" at some refresh; q exits 0

The screen is polled (capture-pane every 50 ms) until it shows what is
expected, with a timeout; nothing sleeps a fixed time to wait for pytop.
Every tmux server and every target is killed in a finally block.
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
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "live"))
import pythons  # noqa: E402

TARGET = os.path.normpath(os.path.join(HERE, "..", "targets", "tui_target.py"))
PROMPT = "PYTOP-TEST$ "
WAIT = 15.0              # seconds for one expected screen
GILSTAT_RUN = 3.0        # seconds gilstat runs before the reset
GILSTAT_SLACK = 0.25     # s: gilstat's window against the snapshot's Duration
# ESCDELAY: tmux may deliver a mouse report's bytes in several writes; on a
# loaded machine ncurses' default 25 ms could split one into Esc + keys.
ENV = dict(os.environ, LANG="C.UTF-8", LC_ALL="C.UTF-8", TERM="xterm", ESCDELAY="300")
ENV.pop("NO_COLOR", None)
ENV.pop("TMUX", None)


class Timeout(Exception):
    pass


class Tmux:
    """One private tmux server with one window running an interactive bash."""

    counter = 0

    def __init__(self, width, height, cwd):
        Tmux.counter += 1
        self.socket = "pytop-tui-%d-%d" % (os.getpid(), Tmux.counter)
        self.cwd = cwd
        self.run("new-session", "-d", "-x", str(width), "-y", str(height),
                 "-c", cwd, "env PS1='%s' bash --norc --noprofile" % PROMPT)
        self.run("set-option", "-g", "status", "off")
        self.wait(lambda s: PROMPT.strip() in "\n".join(s), "the shell prompt")

    def run(self, *args):
        out = subprocess.run(["tmux", "-L", self.socket] + list(args), env=ENV,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             timeout=20)
        if out.returncode != 0:
            raise RuntimeError("tmux %s: %s" % (" ".join(args),
                                                out.stderr.decode().strip()))
        return out.stdout.decode("utf-8", "replace")

    def keys(self, *keys):
        self.run("send-keys", *keys)

    def type(self, text):
        self.run("send-keys", "-l", text)

    def screen(self):
        return self.run("capture-pane", "-p").split("\n")[:-1]

    def click(self, x, y):
        """A left click at (x, y) as the terminal reports it to the program
        (X10 mouse encoding, which curses reads for TERM=tmux*/screen*)."""
        press = "\x1b[M" + chr(32 + 0) + chr(33 + x) + chr(33 + y)
        release = "\x1b[M" + chr(32 + 3) + chr(33 + x) + chr(33 + y)
        self.run("send-keys", "-l", press + release)

    def resize(self, width, height):
        self.run("resize-window", "-x", str(width), "-y", str(height))

    def wait(self, pred, what, timeout=WAIT):
        """Poll the screen until pred(lines) is true on a settled screen (two
        captures 30 ms apart that agree); return the lines.  A capture can
        land while tmux is still taking in one frame of pytop's output (curses
        writes a frame in several chunks), and show half of the old frame."""
        deadline = time.monotonic() + timeout
        while True:
            lines = self.screen()
            try:
                if pred(lines):
                    time.sleep(0.03)
                    if self.screen() == lines:
                        return lines
            except (IndexError, ValueError, AttributeError):
                pass
            if time.monotonic() > deadline:
                raise Timeout("timed out after %gs waiting for %s; screen:\n%s"
                              % (timeout, what, "\n".join("|" + l for l in lines)))
            time.sleep(0.05)

    def quit_status(self):
        """q to pytop, then its exit status: (the screen once the shell's
        prompt is back, the screen with echo's rc=N line)."""
        self.keys("q")
        back = self.wait(lambda s: [l for l in s if l.strip()][-1].rstrip() == PROMPT.strip(),
                         "the shell prompt after q")
        self.type("echo rc=$?")
        self.keys("Enter")
        # (the typed command has "rc=" too: wait for the line echo prints)
        rc = self.wait(lambda s: any(re.match(r"^rc=\d+", l) for l in s), "the exit status")
        return back, rc

    def kill(self):
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], env=ENV,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=20)
        # kill-server can leave the socket file behind.
        path = os.path.join(os.environ.get("TMUX_TMPDIR") or "/tmp",
                            "tmux-%d" % os.getuid(), self.socket)
        try:
            os.unlink(path)
        except OSError:
            pass


# ---- reading the screen ----

ROW = re.compile(r"^\s*(\d+\.\d)%\s+(\d+\.\d)%\s+(\S+)\s+(\S+)\s+"
                 r"(?:(\d+(?:\.\d+[kMG])?)\s+(\d+(?:\.\d+[kMG])?)\s+)?(\S.*)$")


def text(lines):
    return "\n".join(lines)


def header_index(lines):
    for i, line in enumerate(lines):
        if "Function (file:line)" in line and "%Own" in line:
            return i
    return -1


def table(lines):
    """The hot table's rows: dicts own, total, owntime, totaltime, func."""
    start = header_index(lines)
    if start < 0:
        return []
    rows = []
    for line in lines[start + 1:]:
        m = ROW.match(line)
        if not m:
            break
        func = m.group(7).rstrip()
        name = func.split(" (")[0] if " (" in func else func
        rows.append({"own": float(m.group(1)), "total": float(m.group(2)),
                     "owntime": seconds(m.group(3)), "totaltime": seconds(m.group(4)),
                     "func": func, "name": name,
                     "file": func.rsplit(" (", 1)[1] if " (" in func else ""})
    return rows


def seconds(s):
    """Parse duration_format() (util/duration.c): 0s 850us 4.5ms 45ms 1.23s 2m05s 1h02m."""
    m = re.match(r"^(\d+)h(\d+)m$", s)
    if m:
        return int(m.group(1)) * 3600 + int(m.group(2)) * 60
    m = re.match(r"^(\d+)m(\d+)s$", s)
    if m:
        return int(m.group(1)) * 60 + int(m.group(2))
    for unit, scale in (("us", 1e-6), ("ms", 1e-3), ("s", 1.0)):
        if s.endswith(unit):
            return float(s[:-len(unit)]) * scale
    raise ValueError("not a duration: %r" % s)


def sorted_column(lines):
    """The title that carries the sort marker (▼ or ▲), e.g. '%Total'."""
    line = lines[header_index(lines)]
    m = re.search(r"[▼▲](\S+)", line)
    return m.group(1) if m else None


def nonincreasing(values):
    return all(a >= b for a, b in zip(values, values[1:]))


def status(lines):
    return lines[-2] if len(lines) >= 2 else ""


# ---- the checks ----

def check(tap, description, func):
    """A test point from FUNC() -> (ok, diagnostics); an exception fails it."""
    try:
        ok, diagnostics = func()
    except Timeout as exc:
        ok, diagnostics = False, str(exc).splitlines()
    except Exception:
        ok, diagnostics = False, ["test raised:"] + traceback.format_exc().splitlines()
    return tap.ok(ok, description, diagnostics)


# Directories a chrooted target wrote in (under its root), removed at the end.
TARGET_DIRS = []


def start_target(interp, workdir, extra=()):
    if interp.root:
        # Its ready file where it can write it; the session's own work
        # directory (snapshots) stays short to fit the status line.
        workdir = interp.mkdtemp("pytop-tui-")
        TARGET_DIRS.append(workdir)
    ready = os.path.join(workdir, "ready")
    log = open(os.path.join(workdir, "target.out"), "wb")
    proc = subprocess.Popen(interp.argv(interp.script(TARGET), "--ready", interp.inside(ready), *extra),
                            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    log.close()
    deadline = time.monotonic() + WAIT
    while not os.path.exists(ready):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("target did not start (status %r)" % proc.poll())
        time.sleep(0.05)
    return proc


def sort_checks(tap, tm, label):
    """Each sort key reorders the table; returns nothing."""
    keys = [("2", "%Total", "total"), ("3", "OwnTime", "owntime"),
            ("4", "TotalTime", "totaltime"), ("1", "%Own", "own")]
    for key, title, field in keys:
        def one(key=key, title=title, field=field):
            tm.keys(key)
            lines = tm.wait(lambda s: sorted_column(s) == title and len(table(s)) >= 3,
                            "the table sorted by %s" % title)
            values = [r[field] for r in table(lines)]
            return nonincreasing(values), ["%s column: %r" % (title, values)] + lines
        check(tap, "%s: key %s sorts by %s (the column is marked, rows in order)"
              % (label, key, title), one)

    def top_by_total():
        tm.keys("2")
        lines = tm.wait(lambda s: sorted_column(s) == "%Total", "sorted by %Total")
        rows = table(lines)
        tm.keys("1")
        own = tm.wait(lambda s: sorted_column(s) == "%Own", "sorted by %Own")
        total_names = [r["name"] for r in rows]
        own_names = [r["name"] for r in table(own)]
        # hot_driver has no time of its own but is on the stack whenever
        # crunch_numbers runs: higher by %Total than by %Own.
        def rank(names):
            return names.index("hot_driver") if "hot_driver" in names else 99
        return ((total_names != own_names and rank(total_names) < rank(own_names)),
                ["%%Total order: %r" % total_names, "%%Own order: %r" % own_names])
    check(tap, "%s: %%Total and %%Own order differently (hot_driver higher by %%Total)" % label,
          top_by_total)

    def by_name():
        tm.keys("4")
        tm.wait(lambda s: sorted_column(s) == "TotalTime", "sorted by TotalTime")
        tm.keys("s")
        lines = tm.wait(lambda s: "by name" in s[header_index(s)], "sorted by name")
        names = [r["name"] for r in table(lines)]
        return names == sorted(names), ["names: %r" % names]
    check(tap, "%s: s after TotalTime sorts by name (ascending)" % label, by_name)

    def by_file():
        tm.keys("s")
        lines = tm.wait(lambda s: "by file" in s[header_index(s)], "sorted by file")
        files = [r["file"] for r in table(lines)]
        return len(files) >= 2, ["files: %r" % files]
    check(tap, "%s: s again sorts by file" % label, by_file)
    tm.keys("1")
    tm.wait(lambda s: sorted_column(s) == "%Own", "sorted by %Own again")


def attach_session(tap, pytop, interp, workdir):
    label = "%s attach 80x24" % interp.label
    target = start_target(interp, workdir)
    tm = None
    try:
        tm = Tmux(80, 24, workdir)
        tm.type("%s -D 0.5 -p %d" % (pytop, target.pid))
        tm.keys("Enter")

        def first():
            lines = tm.wait(lambda s: table(s) and table(s)[0]["name"] == "crunch_numbers",
                            "crunch_numbers on the top row")
            head = lines[0]
            ok = ("PID %d" % target.pid in head and "Python %s" % interp.version in head
                  and "F10Quit" in lines[-1] and len(lines) == 24)
            return ok, lines
        if not check(tap, "%s: header, and the hot function (crunch_numbers) on top" % label,
                     first):
            return
        sort_checks(tap, tm, label)

        def filtering():
            before = len(table(tm.screen()))
            tm.keys("/")
            tm.type("crunch")
            tm.keys("Enter")
            lines = tm.wait(lambda s: len(table(s)) == 1, "one row after /crunch")
            ok = table(lines)[0]["name"] == "crunch_numbers" and "crunch" in status(lines)
            tm.keys("Escape")
            after = tm.wait(lambda s: len(table(s)) > 1, "rows back after Esc")
            return ok and before > 1 and len(table(after)) > 1, lines
        check(tap, "%s: / filter narrows to crunch_numbers, Esc clears it" % label, filtering)

        def drill():
            tm.keys("Home")
            tm.wait(lambda s: table(s)[0]["name"] == "crunch_numbers", "crunch_numbers on top")
            tm.keys("Enter")
            # Opened in the middle of a refresh interval it may show part
            # of one at first: wait for leaf_helper among the callees.
            def callees(s):
                t = text(s)
                return ("total += i * i" in t and "Hottest lines" in t and
                        "leaf_helper" in t[t.index("Callees"):t.index("Hottest lines")])
            lines = tm.wait(callees, "the detail view of crunch_numbers")
            t = text(lines)
            i = t.index("Callers")
            j = t.index("Callees")
            k = t.index("Hottest lines")
            ok = ("crunch_numbers (" in lines[3] and "hot_driver" in t[i:j]
                  and "leaf_helper" in t[j:k])
            # The threads section is below: End goes to the last item.
            tm.keys("End")
            end = tm.wait(lambda s: "Threads (share" in text(s), "the threads section")
            t = text(end)
            ok = ok and "MainThread" in t[t.index("Threads (share"):]
            lines = lines + ["after End:"] + end
            tm.keys("Escape")
            back = tm.wait(lambda s: header_index(s) >= 0, "the table after Esc")
            return ok and header_index(back) >= 0, lines
        check(tap, "%s: Enter shows callers, callees, the hot line's source and threads; "
              "Esc returns" % label, drill)

        def prompt():
            tm.keys(":")
            tm.type("so")
            tm.keys("Tab")
            tm.wait(lambda s: status(s).rstrip() == ":sort", "':sort ' completed")
            tm.type("tot")
            tm.keys("Tab")
            tm.wait(lambda s: status(s).rstrip() == ":sort totaltime", "':sort totaltime'")
            tm.keys("Enter")
            lines = tm.wait(lambda s: sorted_column(s) == "TotalTime", "sorted by TotalTime")
            tm.keys(":")
            tm.type("filter cru")
            tm.keys("Tab")
            tm.wait(lambda s: status(s).rstrip() == ":filter crunch_numbers",
                    "the function name completed")
            tm.keys("Enter")
            filtered = tm.wait(lambda s: len(table(s)) == 1, "the filter command applied")
            tm.keys(":")
            tm.type("filter")
            tm.keys("Enter")
            tm.wait(lambda s: len(table(s)) > 1, "the filter command cleared")
            tm.keys(":")
            tm.type("nosuch")
            tm.keys("Enter")
            err = tm.wait(lambda s: "unknown command" in status(s), "an error for :nosuch")
            tm.keys("1")
            return (table(filtered)[0]["name"] == "crunch_numbers" and bool(err)), lines
        check(tap, "%s: the prompt runs commands and completes command, column and "
              "function names" % label, prompt)

        def mouse():
            tm.keys("p")
            lines = tm.wait(lambda s: "PAUSED" in text(s) and len(table(s)) >= 4,
                            "the paused display")
            h = header_index(lines)
            name = table(lines)[2]["name"]
            tm.click(20, h + 3)
            tm.keys("Enter")
            detail = tm.wait(lambda s: "Callers" in text(s), "the detail view after a click")
            title = [l for l in detail if "Esc: back" in l]
            ok = bool(title) and title[0].strip().startswith(name + " (")
            tm.keys("Escape")
            tm.wait(lambda s: header_index(s) >= 0, "the table")
            tm.click(lines[h].index("%Total") + 2, h)
            sorted_lines = tm.wait(lambda s: sorted_column(s) == "%Total",
                                   "sorted by a click on %Total")
            tm.keys("1")
            tm.keys("p")
            tm.wait(lambda s: "PAUSED" not in text(s) and sorted_column(s) == "%Own",
                    "resumed, sorted by %Own")
            return ok and bool(sorted_lines), ["clicked row: %s" % name] + detail
        check(tap, "%s: a click selects a row (Enter opens it), a click on a column "
              "title sorts by it" % label, mouse)

        def help_screen():
            tm.keys(":")
            tm.type("help")
            tm.keys("Enter")
            lines = tm.wait(lambda s: "keys (Esc" in text(s), "the help screen")
            ok = "q F10" in text(lines) and "? h F1" in text(lines)
            tm.keys("Escape")
            tm.wait(lambda s: header_index(s) >= 0, "the table after the help")
            return ok, lines
        check(tap, "%s: :help shows the keys (from the key table); Esc closes it" % label,
              help_screen)

        def resize():
            tm.resize(160, 48)
            wide = tm.wait(lambda s: len(s) == 48 and "OwnSamples" in text(s)
                           and "F10Quit" in s[-1], "the 160x48 layout")
            stack_row = [l for l in wide if "Stack of" in l]
            side = bool(stack_row) and "Threads:" in stack_row[0]
            tm.keys("C-l")
            time.sleep(0.3)
            tm.resize(80, 24)
            narrow = tm.wait(lambda s: len(s) == 24 and "OwnSamples" not in text(s)
                             and "F10Quit" in s[-1] and "Stack of" in text(s),
                             "the 80x24 layout again")
            # No garbage: every line fits, the fixed lines are where they belong,
            # nothing of the wide layout is left over.
            ok = (side and all(len(l) <= 80 for l in narrow) and narrow[0].startswith("pytop")
                  and header_index(narrow) == 3 and "│" not in text(narrow))
            return ok, ["wide:"] + wide + ["narrow:"] + narrow
        check(tap, "%s: resize to 160x48 and back redraws cleanly" % label, resize)

        def save():
            tm.keys("w")
            tm.wait(lambda s: "Save as" in status(s) and ".txt" in status(s), "the save prompt")
            tm.keys("Enter")
            lines = tm.wait(lambda s: "saved " in status(s), "the saved message")
            m = re.search(r"saved (\S+) \(text\)", status(lines))
            if not m:
                return False, lines
            path = m.group(1)
            with open(path) as f:
                head = f.read(200)
            return (os.path.dirname(path) == os.path.realpath(workdir)
                    and head.startswith("pytop ")), ["path %s" % path, head] + lines
        check(tap, "%s: w, Enter writes a text snapshot and shows its path" % label, save)

        def save_format():
            tm.keys("w")
            first = tm.wait(lambda s: "Save as" in status(s) and ".txt" in status(s), "the save prompt")
            listed = all(name in text(first) for name in ("text", "json", "collapsed", "svg", "speedscope",
                                                          "pprof"))
            tm.keys("Tab", "Tab", "Tab")
            tm.wait(lambda s: status(s).endswith(".svg"), "Tab three times: svg")
            tm.keys("Enter")
            lines = tm.wait(lambda s: "saved " in status(s), "the saved message")
            # The status line is cut at the screen's width: with a 7-digit
            # PID in the file name, 80 columns end inside "(SVG flame graph)".
            m = re.search(r"saved (\S+) \(([^)]*)\)?$", status(lines).rstrip())
            if not m:
                return False, first + lines
            with open(m.group(1)) as f:
                head = f.read(300)
            kind = m.group(2)
            return (listed and m.group(1).endswith(".svg") and len(kind) >= 3 and "SVG flame graph".startswith(kind)
                    and "<svg" in head), ["listed %s path %s" % (listed, m.group(1)), head[:120]] + first + lines
        check(tap, "%s: w lists the formats; Tab steps to svg; Enter writes an SVG flame graph" % label,
              save_format)

        def gilstat_reset():
            tm.keys("g")
            tm.wait(lambda s: "gilstat" in text(s) and "gilstat off" not in text(s), "the gilstat view")
            time.sleep(GILSTAT_RUN)
            tm.keys("r")
            tm.wait(lambda s: "reset" in status(s) and "gilstat" in status(s), "the reset message")
            t_reset = time.monotonic()
            time.sleep(1.0)
            tm.keys("w")
            tm.wait(lambda s: "Save as" in status(s), "the save prompt")
            tm.keys("Enter")
            lines = tm.wait(lambda s: "saved " in status(s), "the saved message")
            since = time.monotonic() - t_reset
            tm.keys("Escape")
            tm.wait(lambda s: header_index(s) >= 0, "the table after the gilstat view")
            m = re.search(r"saved (\S+) \(text\)", status(lines))
            if not m:
                return False, lines
            with open(m.group(1)) as f:
                body = f.read()
            d = re.search(r"^Duration: (\S+)", body, re.M)
            g = re.search(r"^gilstat: .*?, over (\S+?),", body, re.M)
            dur = seconds(d.group(1)) if d else -1
            over = seconds(g.group(1)) if g else -1
            # The snapshot's duration and gilstat's window both start at the
            # reset: gilstat is cut there, not restarted (planting its
            # probes again took a second or more before the window began).
            return (d and g and 0 < dur <= since + 0.5 and abs(over - dur) <= GILSTAT_SLACK), [
                "reset %.1fs before the save; Duration %s; gilstat over %s" %
                (since, d.group(1) if d else "?", g.group(1) if g else "?")] + [
                l for l in body.splitlines() if l.startswith(("Duration", "gilstat"))]
        check(tap, "%s: g starts gilstat; r cuts its window with the rest: the snapshot's gilstat "
              "covers the Duration since the reset" % label, gilstat_reset)

        def stopped():
            os.kill(target.pid, signal.SIGSTOP)
            try:
                held = tm.wait(lambda s: "Target stopped" in s[0], "Target stopped in the header")
            finally:
                os.kill(target.pid, signal.SIGCONT)
            again = tm.wait(lambda s: "Target running" in s[0], "Target running again")
            return "Target stopped" in held[0] and "Target running" in again[0], held[:1] + again[:1]
        check(tap, "%s: SIGSTOP: the header says Target stopped; SIGCONT: running again" % label, stopped)

        def quit():
            lines, rc = tm.quit_status()
            return ("rc=0" in text(rc) and "F10Quit" not in text(lines)
                    and "Function (file:line)" not in text(lines)), rc
        check(tap, "%s: q restores the screen; exit status 0" % label, quit)
        check(tap, "%s: the target still runs after pytop left" % label,
              lambda: (target.poll() is None, ["target status %r" % target.poll()]))
    finally:
        if tm:
            tm.kill()
        if target.poll() is None:
            target.kill()
        target.wait(timeout=10)


def contended_session(tap, pytop, interp, workdir):
    """The target and a CPU hog pinned to CPU 0, pytop (its shell) to CPU 1:
    the followed thread waits for its core about half the time, and the
    stack pane's title says so at some refresh ("waiting for a core", not
    "running")."""
    label = "%s contended 100x30" % interp.label
    if (os.cpu_count() or 1) < 2 or not {0, 1} <= os.sched_getaffinity(0):
        tap.skip("%s: the stack title of a thread waiting for a core" % label, "needs CPUs 0 and 1")
        return
    target = start_target(interp, workdir)
    hog = tm = None
    try:
        pythons.pin_threads(target.pid, {0})
        hog = pythons.pinned_hog(0)
        tm = Tmux(100, 30, workdir)
        os.sched_setaffinity(int(tm.run("display-message", "-p", "#{pane_pid}").strip()), {1})
        tm.type("%s -D 0.5 -p %d" % (pytop, target.pid))
        tm.keys("Enter")

        def waiting():
            lines = tm.wait(lambda s: any("Stack of" in l and "waiting for a core" in l for l in s),
                            "a stack title saying waiting for a core", timeout=30)
            return True, [l for l in lines if "Stack of" in l]
        check(tap, "%s: the stack pane's title says the followed thread is waiting for a core "
              "(runnable, off CPU) at some refresh" % label, waiting)

        def quit():
            lines, rc = tm.quit_status()
            return "rc=0" in text(rc), rc
        check(tap, "%s: q exits 0" % label, quit)
    finally:
        if hog:
            hog.kill()
            hog.wait()
        if tm:
            tm.kill()
        if target.poll() is None:
            target.kill()
        target.wait(timeout=10)


def launch_session(tap, pytop, interp, workdir):
    label = "%s launch 160x48" % interp.label
    tm = Tmux(160, 48, workdir)
    try:
        argv = interp.argv(interp.script(TARGET), "--exit-after", "4", "--exit-status", "3")
        tm.type("%s -D 0.5 -- %s" % (pytop, " ".join(shlex.quote(a) for a in argv)))
        tm.keys("Enter")

        def wide():
            lines = tm.wait(lambda s: table(s) and table(s)[0]["name"] == "crunch_numbers"
                            and "Stack of" in text(s), "the wide layout with crunch_numbers on top")
            stack = [l for l in lines if "Stack of" in l]
            return ("OwnSamples" in lines[header_index(lines)] and "Threads:" in stack[0]
                    and "Log /" in lines[1]), lines
        check(tap, "%s: wide columns, threads and stack side by side, the log file named" % label,
              wide)

        def banner():
            lines = tm.wait(lambda s: "TARGET EXITED (status 3)" in text(s), "the exit banner")
            return "exited (status 3)" in lines[0] and len(table(lines)) > 3, lines
        check(tap, "%s: the exited-target banner, the data still there" % label, banner)

        def browse():
            tm.keys("2")
            tm.wait(lambda s: sorted_column(s) == "%Total", "sorting after the exit")
            tm.keys("1")
            tm.wait(lambda s: sorted_column(s) == "%Own", "sorting back")
            tm.keys("Enter")
            lines = tm.wait(lambda s: "Callers" in text(s) and "hot_driver" in text(s),
                            "the detail view after the exit")
            tm.keys("Escape")
            tm.keys("w")
            tm.wait(lambda s: "Save as" in status(s), "the save prompt after the exit")
            tm.keys("Enter")
            saved = tm.wait(lambda s: "saved " in status(s), "saving after the exit")
            m = re.search(r"saved (\S+) \(text\)", status(saved))
            return bool(m) and os.path.exists(m.group(1)), lines + saved
        check(tap, "%s: after the exit the data is browsable (sort, detail) and savable" % label,
              browse)

        def quit():
            _, lines = tm.quit_status()
            m = re.search(r"program's output is in (\S+)", text(lines))
            log = ""
            if m and os.path.exists(m.group(1)):
                with open(m.group(1)) as f:
                    log = f.read()
                os.unlink(m.group(1))
            return ("rc=3" in text(lines) and "tui_target: started" in log
                    and "exiting with status 3" in log), lines + ["log: %r" % log]
        check(tap, "%s: q: prompt back, the program's exit status, its output in the log"
              % label, quit)
    finally:
        tm.kill()


def chosen_interpreters(tap):
    """The oldest and the newest expected interpreter, and the Debian
    unstable root's newest release build, chrooted (SKIP when missing)."""
    expected = pythons.expected_with_roots(sharded=False)   # run once, in shard 0
    if os.environ.get("PYTOP_TEST_PYTHONS", "").strip():
        picks = [expected[0], expected[-1]] if len(expected) > 1 else expected[:1]
    else:
        by_label = {e[0]: e for e in expected}
        sid = [e for e in expected if e[3] and not e[0].split()[0].endswith("d")]
        picks = [by_label["python3.%d" % pythons.SUPPORTED_MINORS[0]],
                 by_label["python3.%d" % pythons.SUPPORTED_MINORS[-1]]] + sid[-1:]
    for label, path, looked, root in picks:
        if path is None:
            tap.skip("%s: every TUI check" % label, "%s not found at %s" % (label, looked))
            continue
        try:
            version = pythons.query_version(path, root=root)
        except (OSError, subprocess.SubprocessError) as exc:
            tap.ok(False, "%s at %s runs" % (label, path), str(exc))
            continue
        yield pythons.Interpreter(path, version + ("[chroot]" if root else ""), version, root)


def main():
    tap = pythons.Tap()
    pytop = pythons.pytop_binary()
    if not shutil.which("tmux"):
        tap.skip("the TUI tests", "tmux is not installed")
        return tap.done()
    if not os.access(pytop, os.X_OK):
        tap.bail("no pytop at %s" % pytop)
    tap.diag("pytop: %s" % pytop)
    start = time.monotonic()
    for interp in chosen_interpreters(tap):
        tap.diag("interpreter %s %s" % (interp.label, interp.path))
        workdir = tempfile.mkdtemp(prefix="pytop-tui-")
        try:
            attach_session(tap, pytop, interp, workdir)
            launch_session(tap, pytop, interp, workdir)
            contended_session(tap, pytop, interp, workdir)
        except Exception:
            tap.ok(False, "%s: the session ran" % interp.label, traceback.format_exc())
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
            for d in TARGET_DIRS:
                shutil.rmtree(d, ignore_errors=True)
    tap.diag("took %.1fs" % (time.monotonic() - start))
    return tap.done()


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    sys.exit(main())
