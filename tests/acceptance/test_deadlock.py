"""Acceptance: a deadlocked program (TAP).

Target: tests/targets/acc_deadlock.py: "deadlock-a" and "deadlock-b" each
hold one lock and wait for the other's in take_second() at a marked line
(lock.acquire() is C code: the Python leaf is take_second at that line);
"worker" does bursts of pure Python with 5 ms sleeps; main sleeps.
Interpreters and binaries: see acceptance.py.

Per interpreter:

  sanity: the two blocked threads use no CPU over the run (/proc)
  wall mode (-m wall -d 2, json and collapsed): exit 0; both blocked
        threads are in every round (samples == rounds within 2%), their
        samples are idle (not running, not holding the GIL); the line
        take_second:<marked line> has own >= 95% of the two threads'
        samples; every collapsed stack is rooted, and each stack ending in
        take_second is bootstrap ... deadlocker -> take_second at the line
  cpu mode (-d 2, json): the blocked threads' cpu-mode time is ~0 (within
        2 points of their /proc share, which is 0), take_second has at most 1%
        of the cpu-mode own time; the worker's
        cpu-mode time within 10% or 2 points of /proc
  --dump --json (x 5): both threads' innermost frame is take_second at the
        marked line, called by deadlocker, rooted at the thread bootstrap
"""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from acceptance import (Target, CpuWindow, binaries, batch, dump, check, check_run,  # noqa: E402
                        parse_json, parse_collapsed, torn_stacks, fmt_stack, short, rooted,
                        dump_frames_root_first, check_cpu_vs_proc, truth_names, role_tids,
                        main_loop)

SECS = 2


def test_deadlock(tap, interp):
    with Target(interp, "acc_deadlock.py") as t:
        truth = t.read()
        blocked = truth["blocked"]
        line = truth["acquire_line"]
        names = truth_names(truth)
        label = "%s deadlock" % interp.label

        # wall mode
        with CpuWindow(t.pid) as window:
            r = batch(t.pid, SECS, "-m", "wall", "-f", "json")
        tap.ok(all(window.thread_pct(tid) == 0 for tid in blocked),
               "%s: sanity: the blocked threads used no CPU (/proc)" % label,
               ["%s: %r" % (names[tid], window.thread_pct(tid)) for tid in blocked])
        check_run(tap, label + " wall json", r)
        snap, diags = parse_json(r)
        if tap.ok(snap is not None, "%s: wall: one JSON snapshot" % label, diags):
            rows = {row.get("tid"): row for row in snap.get("threads", [])}
            rounds = snap.get("achieved_rate_hz", 0) * snap.get("duration_s", 0)

            def present():
                problems = []
                for tid in blocked:
                    row = rows.get(tid)
                    if row is None:
                        problems.append("%s (tid %d) missing" % (names[tid], tid))
                        continue
                    st = row.get("states", {})
                    if abs(row.get("samples", 0) - rounds) > 0.02 * rounds:
                        problems.append("%s: %d samples in %.0f rounds" % (names[tid], row.get("samples", 0), rounds))
                    if st.get("running", 0) or row.get("holding_gil", 0):
                        problems.append("%s: running %d, holding the GIL %d samples" % (
                            names[tid], st.get("running", 0), row.get("holding_gil", 0)))
                return not problems, problems
            check(tap, "%s: wall: both blocked threads in every round, idle, not holding the GIL"
                  % label, present)

            def at_line():
                pct = sum(l.get("own_pct", 0) for l in snap.get("lines", [])
                          if short(l.get("name", "")) == "take_second" and l.get("line") == line)
                total = sum(r.get("samples", 0) for r in snap.get("threads", []))
                want = 100.0 * sum(rows.get(tid, {}).get("samples", 0) for tid in blocked) / total \
                    if total else 0.0
                tap.diag("%s: wall: take_second:%d has %.1f%% of the own time, the blocked "
                         "threads %.1f%% of the samples" % (label, line, pct, want))
                return want > 0 and pct >= 0.95 * want, ["own_pct %.1f, blocked threads' share %.1f"
                                                         % (pct, want)]
            check(tap, "%s: wall: the waiting line take_second:%d has the blocked threads' samples"
                  % (label, line), at_line)

        r = batch(t.pid, SECS, "-m", "wall", "-f", "collapsed")
        if check_run(tap, label + " wall collapsed", r):
            stacks = parse_collapsed(r.stdout.decode("utf-8", "replace"))

            def shape():
                problems = ["torn: %d samples: %s" % (c, fmt_stack(f)) for f, c in torn_stacks(stacks)]
                waiting = 0
                for frames, count in stacks:
                    if frames and short(frames[-1][0]) == "take_second":
                        waiting += count
                        if (frames[-1][2] != line or len(frames) < 2
                                or short(frames[-2][0]) != "deadlocker"):
                            problems.append("%d samples: %s" % (count, fmt_stack(frames)))
                return waiting > 0 and not problems, problems[:15]
            check(tap, "%s: collapsed: stacks rooted; the waiting stacks end deadlocker -> "
                  "take_second:%d" % (label, line), shape)

        # cpu mode
        with CpuWindow(t.pid) as window:
            r = batch(t.pid, SECS, "-f", "json")
        check_run(tap, label + " cpu json", r)
        snap, diags = parse_json(r)
        if tap.ok(snap is not None, "%s: cpu: one JSON snapshot" % label, diags):
            check_cpu_vs_proc(tap, label, snap, window, blocked + role_tids(truth, "worker"), names)

            def no_own():
                pct = sum(f.get("own_pct", 0) for f in snap.get("functions", [])
                          if short(f.get("name", "")) == "take_second")
                return pct <= 1.0, ["take_second own_pct %.2f in cpu mode" % pct]
            check(tap, "%s: cpu: take_second (blocked) has no cpu-mode samples" % label, no_own)

        # dumps
        for prefix, binary in binaries():
            lab = prefix + label
            problems = []
            for _ in range(5):
                snap, diags = parse_json(dump(t.pid, binary=binary))
                if snap is None:
                    problems.extend(diags)
                    continue
                threads = {th.get("tid"): th for th in snap.get("threads", [])}
                for tid in blocked:
                    th = threads.get(tid)
                    frames = dump_frames_root_first(th) if th else []
                    if (len(frames) < 3 or not rooted(frames) or short(frames[-1][0]) != "take_second"
                            or frames[-1][2] != line or short(frames[-2][0]) != "deadlocker"):
                        problems.append("%s: %s" % (names[tid], fmt_stack(frames) if th else "missing"))
            tap.ok(not problems, "%s: 5 dumps: both threads rooted, deadlocker -> take_second:%d"
                   % (lab, line), problems[:15])


if __name__ == "__main__":
    sys.exit(main_loop([test_deadlock]))
