"""Acceptance: a thread-per-request HTTP server under load, in batch (TAP).

Target: tests/targets/acc_http.py (ThreadingHTTPServer on 127.0.0.1, a new
thread per request, JSON + hashlib + short sleeps; its own load generator, 4
client threads in a separate process, bounded in time). Its truth: the tid
and threading name of every thread it ever had, each handler thread's
thread_time() at its end. Interpreters and binaries: see acceptance.py.

Per interpreter (and per binary for the no-crash points):

  batch json (-d 4): exit 0, no signal (and no sanitizer report); no tid 0
        and every tid was a real thread of the target (its own list plus
        /proc/PID/task polled every 5 ms during the run); under 5% of the
        samples on threads not named as the target names them (issue 8.2)
  cpu mode vs /proc (issue 8.5): the serving thread's cpu-mode time within
        10% or 2 points of its utime+stime share; the whole process (the
        functions table's own time, own_s, added up) against
        /proc/PID/stat's; the short-lived threads (every thread not alive
        at both ends of the run: the handlers), added up, against the
        kernel's figure for them: the process's utime+stime over the run
        minus the long-lived threads' (the handlers' own thread_time, read
        in the handler, misses their start-up and teardown: a diagnostic);
        the serving thread, last in the thread-state list, sampled in at
        least 97% of the rounds (a handler's state freed while the list
        was read cut one round in eight before lists were taken up again)
  collapsed (-m wall -d 3): every stack rooted at <module> or the thread
        bootstrap (issue 8.3), and no call edge the program never makes
        (score only from do_POST, do_POST/do_GET only from
        handle_one_request, process_request_thread only from Thread.run or
        its override in the target)
  20 x --dump --json: each exits 0; every thread's stack rooted (or empty:
        a thread not yet running Python code); no tid 0, every tid real
  launch mode (`pytop --batch -f json -- PYTHON acc_http.py ... --max-seconds
        4`): exit 0 (the program's status), no tid 0 and every tid one the
        program had (its final truth), names as above, and the program has
        not been left running
  launch mode with -d 3 (the program would run 60 s): exit 0, and the
        program does not outlive pytop by more than 5 s (no orphan without
        --keep-running, issue 8.1 and 8.9)
"""

import json
import os
import shutil
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from acceptance import (Target, target_script, TidWatcher, CpuWindow, binaries, batch, dump, run, check,  # noqa: E402
                        check_run, parse_json, parse_collapsed, torn_stacks, fmt_stack, short,
                        rooted, dump_frames_root_first, check_threads_exist, check_names,
                        check_cpu_vs_proc, truth_tids, truth_names, role_tids, thread_cpu_s, own_seconds,
                        within_share, main_loop, TARGETS, PYTOP, RUN_SLACK)

SECS = 4
DUMPS = 20
# callee -> the only callers it has in acc_http.py (short names).
EDGES = {"score": {"do_POST"}, "do_POST": {"handle_one_request"},
         "do_GET": {"handle_one_request"},
         "process_request_thread": {"run", "process_request_thread"},  # the override
         "serve_forever": {"main"}}


def impossible_edges(stacks):
    """[(edge, stack, count)]: the first impossible edge of each stack."""
    bad = []
    for frames, count in stacks:
        names = [short(n) for n, _, _ in frames]
        for caller, callee in zip(names, names[1:]):
            if callee in EDGES and caller not in EDGES[callee]:
                bad.append(("%s -> %s" % (caller, callee), fmt_stack(frames), count))
                break
    return bad


def test_batch(tap, interp, t, prefix, binary):
    label = "%s%s http" % (prefix, interp.label)
    before = t.truth()
    with TidWatcher(t.pid) as watch, CpuWindow(t.pid) as window:
        r = batch(t.pid, SECS, "-f", "json", binary=binary)
    after = t.truth()
    check_run(tap, label + " batch json", r)
    snap, diags = parse_json(r)
    if not tap.ok(snap is not None and after is not None,
                  "%s: one JSON snapshot, and the target's truth" % label, diags):
        return
    known = truth_tids(after) | watch.seen
    check_threads_exist(tap, label, snap.get("threads", []), known)
    check_names(tap, label, snap, truth_names(after))
    if prefix:
        return
    main_tid = role_tids(after, "main")[0]
    check_cpu_vs_proc(tap, label, snap, window, [main_tid], {main_tid: "serving thread"})
    duration = snap.get("duration_s") or 0

    def process():
        mine = 100.0 * own_seconds(snap) / duration
        truth = window.process_pct()
        tap.diag("%s: process cpu: pytop %.1f%% of a core, /proc %.1f%%" % (label, mine, truth))
        return within_share(mine, truth), ["pytop %.1f%%, /proc %.1f%% (%d requests/s)" % (
            mine, truth, (after["requests"] - before["requests"]) / (after["wall"] - before["wall"]))]
    check(tap, "%s: the process's cpu-mode time within 10%% or 2 points of /proc" % label, process)

    def handlers():
        born = [int(tid) for tid, v in after["threads"].items()
                if tid not in before["threads"] and v.get("ended") and not v.get("role")]
        rows = {r.get("tid"): r for r in snap.get("threads", [])}
        own = 100.0 * sum(after["threads"][str(tid)]["cpu_s"] for tid in born) / \
            (after["wall"] - before["wall"])
        # The kernel's figure: the process's CPU over the window minus the
        # threads alive at both ends (the process total keeps ended threads').
        lasting = set(window.tasks0) & set(window.tasks1)
        process = window.process_pct()
        truth = None if process is None else \
            process - sum(window.thread_pct(tid) for tid in lasting)
        # Past 256 ended threads a batch folds the rest into one count
        # (threads_folded): every one of them ended, so short-lived.
        folded = (snap.get("threads_folded") or {}).get("time_s") or 0.0
        mine = 100.0 * (sum(thread_cpu_s(snap, r) for tid, r in rows.items() if tid not in lasting) +
                        folded) / duration
        tap.diag("%s: %d handler threads: pytop %.1f%% of a core, the kernel %s, their thread_time %.1f%%"
                 % (label, len(born), mine, "?" if truth is None else "%.1f%%" % truth, own))
        return len(born) > 50 and truth is not None and within_share(mine, truth), [
            "%d handler threads born and ended in the window; short-lived threads: pytop %.1f%%, "
            "the kernel %s (the process's utime+stime minus %d long-lived threads'); the handlers' "
            "own thread_time %.1f%%" % (len(born), mine, truth, len(lasting), own)]
    check(tap, "%s: short-lived threads' cpu-mode time (added up) within 10%% or 2 points of "
          "the kernel's (process minus long-lived threads)" % label, handlers)

    def serving():
        # The oldest threads are the last of the thread list, after every
        # handler: a handler's state freed while the list was read (its
        # links the allocator's) cut the round there, one round in eight.
        row = next((r for r in snap.get("threads", []) if r.get("tid") == main_tid), {})
        rounds = (snap.get("achieved_rate_hz") or 0) * duration
        got = row.get("samples", 0)
        overhead = snap.get("overhead") or {}
        return rounds > 0 and got >= 0.97 * rounds, [
            "serving thread %d: %d samples in about %.0f rounds (%.1f%%); lists_resumed %r, errors_by_kind %r"
            % (main_tid, got, rounds, 100.0 * got / rounds if rounds else 0, overhead.get("lists_resumed"),
               overhead.get("errors_by_kind"))]
    check(tap, "%s: the serving thread, last in the thread list, is sampled in at least 97%% of the rounds"
          % label, serving)


def test_collapsed(tap, interp, t):
    label = "%s http" % interp.label
    r = batch(t.pid, 3, "-m", "wall", "-f", "collapsed")
    if not check_run(tap, label + " collapsed", r):
        return
    stacks = parse_collapsed(r.stdout.decode("utf-8", "replace"))
    total = sum(c for _, c in stacks)

    def roots():
        torn = torn_stacks(stacks)
        n = sum(c for _, c in torn)
        tap.diag("%s: %d of %d samples in torn stacks" % (label, n, total))
        return (total > 0 and not torn, ["%d samples: %s" % (c, fmt_stack(f)) for f, c in torn[:15]],
                {"total": total, "torn": n})
    check(tap, "%s: collapsed: every stack rooted at <module> or the thread bootstrap" % label,
          roots)

    def edges():
        bad = impossible_edges(stacks)
        tap.diag("%s: %d of %d samples with an impossible call edge"
                 % (label, sum(c for _, _, c in bad), total))
        return total > 0 and not bad, ["%s (%d samples): %s" % (e, c, s) for e, s, c in bad[:15]]
    check(tap, "%s: collapsed: no call edge the program never makes" % label, edges)


def test_dumps(tap, interp, t, prefix, binary):
    label = "%s%s http" % (prefix, interp.label)
    failures, torn, threads = [], [], []
    with TidWatcher(t.pid) as watch:
        for _ in range(DUMPS):
            r = dump(t.pid, binary=binary)
            snap, diags = parse_json(r)
            if snap is None:
                failures.append(diags)
                continue
            for th in snap.get("threads", []):
                threads.append(th)
                frames = dump_frames_root_first(th)
                if frames and not rooted(frames):
                    torn.append("tid %s: %s" % (th.get("tid"), fmt_stack(frames)))
    after = t.truth()
    tap.ok(not failures, "%s: %d --dump --json runs: all exit 0 with JSON (%d failed)"
           % (label, DUMPS, len(failures)), [l for f in failures[:3] for l in f])
    tap.ok(not torn, "%s: dumps: every stack rooted at <module> or the thread bootstrap "
           "(%d of %d torn)" % (label, len(torn), len(threads)), torn[:15])
    known = watch.seen | (truth_tids(after) if after else set())
    check_threads_exist(tap, label, threads, known, "dumps")


def test_launch(tap, interp):
    label = "%s http launch" % interp.label
    work = interp.mkdtemp("pytop-acc-")
    try:
        truth_path = os.path.join(work, "truth.json")
        r = run([PYTOP, "--batch", "-f", "json", "--"] +
                interp.argv(target_script(interp, "acc_http.py"), interp.inside(truth_path),
                            "--max-seconds", "4"),
                4 + RUN_SLACK)
        check_run(tap, label, r)
        snap, diags = parse_json(r)
        try:
            with open(truth_path) as f:
                truth = json.load(f)
        except (OSError, ValueError) as exc:
            truth = None
            diags = diags + ["no final truth: %s" % exc]
        if not tap.ok(snap is not None and truth is not None and truth.get("final"),
                      "%s: one JSON snapshot, and the program's final truth" % label, diags):
            return
        check_threads_exist(tap, label, snap.get("threads", []), truth_tids(truth))
        check_names(tap, label, snap, truth_names(truth))
        pid = snap.get("target", {}).get("pid")
        alive = False
        if isinstance(pid, int) and pid > 0:
            deadline = time.monotonic() + 5
            while os.path.exists("/proc/%d" % pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            alive = os.path.exists("/proc/%d" % pid)
        tap.ok(not alive, "%s: the program (pid %r) is not left running" % (label, pid))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_launch_duration(tap, interp):
    """-d shorter than the program: pytop stops it (issue 8.1/8.9: never an
    orphan unless --keep-running)."""
    label = "%s http launch -d 3" % interp.label
    work = interp.mkdtemp("pytop-acc-")
    pid = None
    try:
        truth_path = os.path.join(work, "truth.json")
        r = run([PYTOP, "--batch", "-f", "json", "-d", 3, "--"] +
                interp.argv(target_script(interp, "acc_http.py"), interp.inside(truth_path),
                            "--max-seconds", "60"),
                3 + RUN_SLACK)
        check_run(tap, label, r)
        snap, diags = parse_json(r)
        if snap is not None:
            pid = snap.get("target", {}).get("pid")
        if pid is None:
            try:
                with open(truth_path) as f:
                    pid = json.load(f).get("pid")
            except (OSError, ValueError):
                pass
        alive = False
        if isinstance(pid, int) and pid > 0:
            deadline = time.monotonic() + 5
            while os.path.exists("/proc/%d" % pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            alive = os.path.exists("/proc/%d" % pid)
        tap.ok(isinstance(pid, int) and not alive,
               "%s: the program (pid %r) does not outlive pytop by 5 s" % (label, pid),
               diags + ["still running: %s" % alive])
    finally:
        if isinstance(pid, int) and pid > 0 and os.path.exists("/proc/%d" % pid):
            try:
                os.kill(pid, 9)
            except OSError:
                pass
        shutil.rmtree(work, ignore_errors=True)


def test_http(tap, interp):
    with Target(interp, "acc_http.py", "--clients", 4, "--max-seconds", 150) as t:
        t.wait_for(lambda tr: tr.get("requests", 0) >= 100, "100 requests answered")
        for prefix, binary in binaries():
            test_batch(tap, interp, t, prefix, binary)
        test_collapsed(tap, interp, t)
        for prefix, binary in binaries():
            test_dumps(tap, interp, t, prefix, binary)
    test_launch(tap, interp)
    test_launch_duration(tap, interp)


if __name__ == "__main__":
    sys.exit(main_loop([test_http]))
