"""Acceptance: thread churn, thousands of short threads a second (TAP).

Target: tests/targets/acc_churn.py (a spawner starting 8 threads at a time,
2000 a second, each a short pure-Python loop in churn_work; a "steady"
thread with short bursts and 10 ms sleeps). Its truth: the tid of every
churned thread, and the spawner's, steady's and main's tids and names.
Interpreters and binaries: see acceptance.py.

Per interpreter (and per binary for the no-crash points):

  batch json (-d 3): exit 0, no signal (and no sanitizer report); no tid 0
        and every tid was a real thread of the target (its list plus
        /proc/PID/task polled every 5 ms); under 5% of the samples on
        threads not named as the target names them (churn threads are
        "churn-K": the check only knows the long-lived threads' names, so a
        churn thread counts as named when pytop calls it churn-something)
  cpu mode vs /proc: the spawner's and steady's cpu-mode time each within
        10% or 2 points of its utime+stime share
  collapsed (-m wall -d 3): every stack rooted at <module> or the thread
        bootstrap; churn_work only ever called from Thread.run
  20 x --dump --json: each exits 0; every stack rooted (or empty); no tid 0,
        every tid real
"""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from acceptance import (Target, TidWatcher, CpuWindow, binaries, batch, dump, check,  # noqa: E402
                        check_run, parse_json, parse_collapsed, torn_stacks, fmt_stack, short,
                        rooted, dump_frames_root_first, check_threads_exist, check_names,
                        check_cpu_vs_proc, truth_tids, truth_names, role_tids, main_loop)

SECS = 3
DUMPS = 20


def names_with_churn(snap, truth):
    """The target's names, plus each churn thread pytop shows named churn-*
    (the target keeps only the tids of churn threads)."""
    names = truth_names(truth)
    churned = set(truth.get("tids", []))
    for row in snap.get("threads", []):
        tid = row.get("tid")
        if tid in churned and tid not in names and str(row.get("name", "")).startswith("churn-"):
            names[tid] = row["name"]
    return names


def test_batch(tap, interp, t, prefix, binary):
    label = "%s%s churn" % (prefix, interp.label)
    with TidWatcher(t.pid) as watch, CpuWindow(t.pid) as window:
        r = batch(t.pid, SECS, "-f", "json", binary=binary)
    after = t.truth()
    check_run(tap, label + " batch json", r)
    snap, diags = parse_json(r)
    if not tap.ok(snap is not None and after is not None,
                  "%s: one JSON snapshot, and the target's truth" % label, diags):
        return
    tap.diag("%s: %d threads in the snapshot, %d churned so far"
             % (label, len(snap.get("threads", [])), after.get("started", 0)))
    check_threads_exist(tap, label, snap.get("threads", []), truth_tids(after) | watch.seen)
    check_names(tap, label, snap, names_with_churn(snap, after))
    if prefix:
        return
    tids = role_tids(after, "spawner") + role_tids(after, "steady")
    check_cpu_vs_proc(tap, label, snap, window, tids, truth_names(after))


def test_collapsed(tap, interp, t):
    label = "%s churn" % interp.label
    r = batch(t.pid, SECS, "-m", "wall", "-f", "collapsed")
    if not check_run(tap, label + " collapsed", r):
        return
    stacks = parse_collapsed(r.stdout.decode("utf-8", "replace"))
    total = sum(c for _, c in stacks)

    def roots():
        torn = torn_stacks(stacks)
        tap.diag("%s: %d of %d samples in torn stacks" % (label, sum(c for _, c in torn), total))
        return (total > 0 and not torn, ["%d samples: %s" % (c, fmt_stack(f)) for f, c in torn[:15]],
                {"total": total, "torn": sum(c for _, c in torn)})
    check(tap, "%s: collapsed: every stack rooted at <module> or the thread bootstrap" % label,
          roots)

    def edges():
        bad = []
        for frames, count in stacks:
            names = [short(n) for n, _, _ in frames]
            for caller, callee in zip(names, names[1:]):
                if callee == "churn_work" and caller != "run":
                    bad.append("%d samples: %s" % (count, fmt_stack(frames)))
                    break
        return total > 0 and not bad, bad[:15]
    check(tap, "%s: collapsed: churn_work only called from Thread.run" % label, edges)


def test_dumps(tap, interp, t, prefix, binary):
    label = "%s%s churn" % (prefix, interp.label)
    failures, torn, threads = [], [], []
    with TidWatcher(t.pid) as watch:
        for _ in range(DUMPS):
            snap, diags = parse_json(dump(t.pid, binary=binary))
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
    check_threads_exist(tap, label, threads, watch.seen | (truth_tids(after) if after else set()),
                        "dumps")


def test_churn(tap, interp):
    with Target(interp, "acc_churn.py", "--max-seconds", 120) as t:
        t.wait_for(lambda tr: tr.get("started", 0) >= 200, "200 threads churned")
        for prefix, binary in binaries():
            test_batch(tap, interp, t, prefix, binary)
        test_collapsed(tap, interp, t)
        for prefix, binary in binaries():
            test_dumps(tap, interp, t, prefix, binary)


if __name__ == "__main__":
    sys.exit(main_loop([test_churn]))
