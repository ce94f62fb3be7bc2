"""Acceptance: the live view on a thread-per-request server under load (TAP).

Target: tests/targets/acc_http.py (ThreadingHTTPServer, a new thread per
request, its own 4-thread load generator in a separate process). pytop runs
attached (`pytop -D 0.5 -p PID`) in a private tmux server, 160x48, with the
harness of tests/tui/test_tui.py, for PYTOP_SOAK_SECONDS (default 60; 300
for the 5-minute run of issue 8.1). Interpreter: the last of the acceptance
list (see acceptance.py; 3.13 by default); with PYTOP_SAN_BINARY, a second
session runs that sanitizer build. Needs tmux (a loud SKIP without).

Every ~2 s the screen is captured, pytop's RSS read and, every ~10 s, the
detail view of the top function opened and closed (Enter, Esc). Asserted:

  alive: pytop runs the whole time (the process exists and the shell's
        exit line never shows; issue 8.1: it segfaulted in render_threads
        after 15 s to 4 min)
  responsive: the header's sample count never stands still for 10 s (a
        hung pytop is reported with where its threads wait in the kernel)
  screens sane: every capture is a full screen (header `pytop ... PID N`,
        the key bar), no U+FFFD, no control characters, every thread row
        parses and none is tid 0
  real threads: every tid shown was a thread of the target (its truth and
        /proc/PID/task polled every 5 ms during the run)
  names (issue 8.2): at most UNNAMED_MAX (10%) of the thread rows shown
        (all captures together) have no name (`?` or empty). The issue's
        bound, under 5% of the samples on unnamed threads, is test_http's
        (batch JSON has the weights); a row's samples are not on screen.
        What is left unnamed here is a thread sampled only as it ended: its
        Thread object dead or reused, its stack empty, its kernel thread
        gone before /proc could be asked (3.15, 10 s batch: 9 of 394
        threads, one sample each; 816 of 927 late kernel-name reads found
        the thread gone). Idle machine 1.1-1.9% of the rows, CI's loaded
        one 5.1-5.5% (3.15)
  load: the target answered requests all along (>= 100 after the first third)
  rows bounded: the thread count in the header (`Threads R/N`) does not
        keep growing: its largest value in the last third of the run is at
        most 2x the largest in the first third + 100, and under 3000
        (today the table only grows: 8,175 rows after 60 s)
  memory bounded: pytop's RSS at the end is at most 2x its RSS at one third
        of the run + 16 MiB
  q: pytop exits with status 0 and the target is still running
"""

import os
import re
import shutil
import sys
import tempfile
import time
import traceback

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tui"))
from acceptance import (Target, TidWatcher, PYTOP, new_tap, interpreters, proc_rss_kib,  # noqa: E402
                        truth_tids, binaries)
import test_tui  # noqa: E402

SOAK = float(os.environ.get("PYTOP_SOAK_SECONDS", "60"))
WIDTH, HEIGHT = 160, 48
EXIT_MARK = "PYTOP-EXIT="
EXITED = re.compile(r"PYTOP-EXIT=(\d+)")   # the echo's output, not the command line
HEADER_THREADS = re.compile(r"Threads (\d+) running/(\d+)")   # header: running now / live
HEADER_SAMPLES = re.compile(r"Samples (\d+)")
PANE_THREADS = re.compile(r"Threads: (\d+) running now / (\d+) live(?:, (\d+) ended)?")  # the rows kept
UNNAMED_MAX = 10.0   # % of the thread rows shown with no name (see the docstring)
STALL_S = 10.0       # the sample count standing still this long: pytop hangs
THREAD_ROW = re.compile(r"^ *(\d+) (.*?)\s+(-|\d+%|ended) \[")


def children(pid):
    result = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry, errors="replace") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                result.append(int(entry))
        except (OSError, IndexError, ValueError):
            pass
    return result


def wchans(pid):
    """Where each of PID's threads waits in the kernel (for a hang's report)."""
    result = []
    try:
        for tid in sorted(os.listdir("/proc/%d/task" % pid)):
            try:
                with open("/proc/%d/task/%s/wchan" % (pid, tid)) as f:
                    wchan = f.read().strip()
                with open("/proc/%d/task/%s/stat" % (pid, tid), errors="replace") as f:
                    state = f.read().rsplit(")", 1)[1].split()[0]
                result.append("%s %s %s" % (tid, state, wchan))
            except OSError:
                pass
    except OSError:
        return "(gone)"
    return ", ".join(result)


def thread_rows(lines):
    """[(tid, name)] of the threads pane's rows on one screen."""
    rows = []
    start = None
    for i, line in enumerate(lines):
        if "Threads:" in line and "running now /" in line:
            start = i + 1
            break
    if start is None:
        return rows
    if start < len(lines) and "TID" in lines[start] and "Name" in lines[start]:
        start += 1            # the pane's column titles
    for line in lines[start:]:
        m = THREAD_ROW.match(line)
        if not m:
            break
        rows.append((int(m.group(1)), m.group(2).strip()))
    return rows


def screen_problems(lines, pid):
    problems = []
    if len(lines) != HEIGHT:
        problems.append("%d lines, not %d" % (len(lines), HEIGHT))
    if not lines or not lines[0].startswith("pytop") or "PID %d" % pid not in lines[0]:
        problems.append("no header line")
    if not lines or "F10Quit" not in lines[-1]:
        problems.append("no key bar")
    for i, line in enumerate(lines):
        if "\ufffd" in line or any(ord(c) < 32 for c in line):
            problems.append("line %d: bad characters: %r" % (i, line))
    for tid, name in thread_rows(lines):
        if tid == 0:
            problems.append("a tid-0 row (%r)" % name)
    return problems


def soak(tap, interp, prefix="", binary=PYTOP):
    label = "%s%s soak %gs" % (prefix, interp.label, SOAK)
    work = tempfile.mkdtemp(prefix="pytop-soak-")
    tm = None
    with Target(interp, "acc_http.py", "--clients", 4, "--max-seconds", SOAK + 120) as t:
        try:
            t.wait_for(lambda tr: tr.get("requests", 0) >= 100, "100 requests answered")
            tm = test_tui.Tmux(WIDTH, HEIGHT, work)
            tm.type("%s -D 0.5 -p %d; echo %s$?" % (binary, t.pid, EXIT_MARK))
            tm.keys("Enter")
            tm.wait(lambda s: HEADER_THREADS.search("\n".join(s)) and "F10Quit" in s[-1],
                    "the live view")
            shell = int(tm.run("display-message", "-p", "#{pane_pid}").strip())
            deadline = time.monotonic() + 10
            pytop_pid = None
            while pytop_pid is None and time.monotonic() < deadline:
                kids = children(shell)
                pytop_pid = kids[0] if kids else None
                time.sleep(0.05)
            if not tap.ok(pytop_pid is not None, "%s: pytop started in tmux" % label):
                return
            watch = TidWatcher(t.pid).__enter__()
            requests = []     # (elapsed, requests answered so far)
            start = time.monotonic()
            samples = []      # (elapsed, threads total, rss KiB)
            shown = set()
            bad_screens, rows_seen, unnamed, died = [], 0, [], None
            counts = []       # (elapsed, the header's sample count)
            stalled = None
            next_detail = 10.0
            while time.monotonic() - start < SOAK:
                time.sleep(2.0)
                elapsed = time.monotonic() - start
                lines = tm.screen()
                text = "\n".join(lines)
                if EXITED.search(text) or not os.path.exists("/proc/%d" % pytop_pid):
                    died = "after %.0f s:\n%s" % (elapsed, text.rstrip())
                    break
                problems = screen_problems(lines, t.pid)
                if problems and len(bad_screens) < 3:
                    bad_screens.append("at %.0f s: %s\n%s" % (elapsed, "; ".join(problems[:5]), text))
                rows = thread_rows(lines)
                rows_seen += len(rows)
                shown.update(tid for tid, _ in rows)
                unnamed.extend("%d %r" % (tid, name) for tid, name in rows if name in ("", "?"))
                m = HEADER_SAMPLES.search(lines[2] if len(lines) > 2 else "")
                if m:
                    counts.append((elapsed, int(m.group(1))))
                    same = [e for e, n in counts if n == counts[-1][1]]
                    if stalled is None and elapsed - same[0] >= STALL_S:
                        stalled = "sample count %d since %.0f s (now %.0f s); pytop's threads: %s\n%s" % (
                            counts[-1][1], same[0], elapsed, wchans(pytop_pid), text.rstrip())
                m = PANE_THREADS.search(text)
                kept = int(m.group(2)) + int(m.group(3) or 0) if m else -1
                samples.append((elapsed, kept, proc_rss_kib(pytop_pid)))
                if elapsed >= next_detail:
                    truth = t.truth()
                    if truth:
                        requests.append((elapsed, truth.get("requests", 0)))
                    next_detail += 10.0
                    tm.keys("Enter")
                    time.sleep(0.7)
                    tm.keys("Escape")
            watch.__exit__(None, None, None)
            tap.ok(died is None, "%s: pytop alive for the whole run" % label,
                   died.splitlines() if died else None)
            if died:
                return
            tap.ok(stalled is None and len(counts) >= 2,
                   "%s: pytop responsive: its sample count never stood still %g s (%d captures)"
                   % (label, STALL_S, len(counts)), stalled.splitlines() if stalled else None)
            tap.ok(not bad_screens, "%s: every screen capture sane (%d captures)"
                   % (label, len(samples)), "\n".join(bad_screens))
            truth = t.truth()
            known = watch.seen | (truth_tids(truth) if truth else set())
            invented = sorted(tid for tid in shown if tid not in known)
            tap.ok(not invented, "%s: every tid shown (%d) was a real thread of the target"
                   % (label, len(shown)), ["never a thread of the target: %r" % invented[:30]])
            pct = 100.0 * len(unnamed) / rows_seen if rows_seen else 100.0
            tap.ok(rows_seen > 0 and pct <= UNNAMED_MAX, "%s: %.1f%% of %d thread rows shown unnamed (<= %g%%)"
                   % (label, pct, rows_seen, UNNAMED_MAX), unnamed[:20])
            third = SOAK / 3.0
            tap.diag("%s: requests answered over time: %s" % (label, " ".join(
                "%.0fs:%d" % r for r in requests)))
            late = [n for e, n in requests if e >= 2 * third]
            early = [n for e, n in requests if e <= third] or [0]
            tap.ok(len(late) >= 1 and late[-1] - early[-1] >= 100,
                   "%s: the load kept flowing (requests answered in the last two thirds: %d)"
                   % (label, (late[-1] - early[-1]) if late else -1))
            first = [n for e, n, _ in samples if e <= third] or [0]
            last = [n for e, n, _ in samples if e >= 2 * third] or [0]
            tap.diag("%s: thread rows (the pane's live + ended) over time: %s" % (label, " ".join(
                "%.0fs:%d" % (e, n) for e, n, _ in samples)))
            tap.ok(max(last) <= 2 * max(first) + 100 and max(last) < 3000,
                   "%s: thread rows bounded: max %d in the first third, %d in the last"
                   % (label, max(first), max(last)))
            rss_third = [r for e, _, r in samples if e >= third and r] or [0]
            rss_end = samples[-1][2] or 0
            tap.diag("%s: pytop RSS (KiB) over time: %s" % (label, " ".join(
                "%.0fs:%s" % (e, r) for e, _, r in samples)))
            tap.ok(rss_end <= 2 * rss_third[0] + 16384,
                   "%s: memory bounded: RSS %d KiB at the end, %d KiB at one third"
                   % (label, rss_end, rss_third[0]))
            tm.keys("q")
            tap.diag("%s: the last screen:\n%s" % (label, "\n".join(lines).rstrip()))
            try:
                lines = tm.wait(lambda s: EXITED.search("\n".join(s)), "pytop's exit after q")
            except test_tui.Timeout as exc:
                lines = str(exc).splitlines() + ["pytop's threads: %s" % wchans(pytop_pid)]
            status = EXITED.search("\n".join(lines))
            tap.ok(status and status.group(1) == "0" and t.proc.poll() is None,
                   "%s: q: pytop exits 0 (%s), the target still runs"
                   % (label, status.group(1) if status else "?"), "\n".join(lines).rstrip())
        finally:
            if tm is not None:
                tm.kill()
            shutil.rmtree(work, ignore_errors=True)


def main():
    tap = new_tap()
    if not shutil.which("tmux"):
        tap.skip("the live-view soak", "tmux is not installed")
        return tap.done()
    chosen = list(interpreters(tap))
    if chosen:
        interp = chosen[-1]
        for prefix, binary in binaries():
            try:
                soak(tap, interp, prefix, binary)
            except Exception:
                tap.ok(False, "%s%s: the soak ran" % (prefix, interp.label),
                       traceback.format_exc().splitlines())
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
