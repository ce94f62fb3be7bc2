"""Acceptance: a GIL-contended pool of CPU-bound threads (TAP).

Target: tests/targets/acc_pool.py: N = 4 threads spinning in pure Python
(switch interval 5 ms), so each holds the GIL about 1/N of the time. Each
thread measures itself: thread_time() and its loop rounds (a round runs
only while the thread holds the GIL and is on a CPU). Interpreters: see
acceptance.py.

Per interpreter, one `pytop --batch -f json -d 3` (cpu mode, GIL states):

  exit 0, no signal
  cpu mode vs /proc (issue 8.5): each pool thread's cpu-mode time within
        10% or 2 points of its utime+stime share (the thread waiting for the
        GIL is not on a CPU; nor is a holder preempted by another process)
  GIL shares: each thread's share of GIL-holding samples among the pool
        within 7 points of its share of the pool's rounds over the same
        window (what the threads measure of themselves; 7 points: a holder
        preempted by another process holds the GIL without making rounds,
        which on a loaded machine moves a share by up to ~6 points); the
        holding shares add up to 90-100.5% (someone of the pool always
        holds the GIL, but for hand-offs; how evenly CPython shares it is
        not asserted: 3.15 under load gave one thread 33%, its own rounds
        agreeing). When the pool
        got less CPU than half the time the GIL was held (holders preempted
        by other processes most of the time: 2.5% of a core each on this
        machine at load 30) the threads' own measure says nothing about
        holding: a loud SKIP
"""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from acceptance import pythons  # noqa: E402
from acceptance import (Target, CpuWindow, batch, check_run, parse_json,  # noqa: E402
                        check_cpu_vs_proc, truth_names, role_tids, gil_hold_pct, main_loop)

SECS = 3
N = 4
# A holder preempted by another process keeps the GIL but makes no rounds;
# on a machine loaded 15x that moved one thread's share 5.8 points in 3 s.
SHARE_PP = 7.0


def test_pool(tap, interp):
    label = "%s pool" % interp.label
    with Target(interp, "acc_pool.py", "--threads", N) as t:
        t.wait_for(lambda tr: all(v.get("rounds", 0) >= 16 for v in tr["threads"].values()
                                  if v.get("role") == "pool"), "every pool thread running")
        before = t.truth()
        with CpuWindow(t.pid) as window:
            r = batch(t.pid, SECS, "-f", "json")
        after = t.truth()
    check_run(tap, label, r)
    snap, diags = parse_json(r)
    if not tap.ok(snap is not None and before and after, "%s: one JSON snapshot, and the truths"
                  % label, diags):
        return
    names = truth_names(after)
    pool = role_tids(after, "pool")
    check_cpu_vs_proc(tap, label, snap, window, pool, names)
    rows = {row.get("tid"): row for row in snap.get("threads", [])}
    hold = {tid: gil_hold_pct(rows.get(tid, {})) for tid in pool}
    rounds = {tid: after["threads"][str(tid)]["rounds"] - before["threads"][str(tid)]["rounds"]
              for tid in pool}
    total_hold = sum(hold.values())
    total_rounds = sum(rounds.values())
    pool_cpu = sum(window.thread_pct(tid) or 0.0 for tid in pool)
    if pool_cpu < 0.5 * total_hold:
        # The holders were preempted most of the time they held the GIL: a
        # thread's rounds (or CPU time) no longer say how long it held it.
        reason = ("machine too loaded: the pool got %.1f%% of a core for %.1f%% of GIL holding; "
                  "the threads' own measure does not cover preempted holds" % (pool_cpu, total_hold))
        tap.diag("%s: SKIPPING the GIL shares: %s" % (label, reason))
        tap.skip("%s: GIL shares vs the threads' own rounds" % label, reason)
        tids_checked = []
    else:
        tids_checked = pool
    for tid in tids_checked:
        mine = 100.0 * hold[tid] / total_hold if total_hold else 0.0
        theirs = 100.0 * rounds[tid] / total_rounds if total_rounds else 0.0
        tap.diag("%s: %s holds the GIL %.1f%% of its samples; share among the pool: pytop "
                 "%.1f%%, its own rounds %.1f%%" % (label, names[tid], hold[tid], mine, theirs))
        tap.ok(abs(mine - theirs) <= SHARE_PP,
               "%s: %s: share of the GIL among the pool %.1f%% vs its own rounds %.1f%% "
               "(within 7 points)" % (label, names[tid], mine, theirs),
               [str(rows.get(tid, {}).get("gil"))])
    # Someone of the pool always holds the GIL, apart from hand-offs (97.9-
    # 99.7% in CI, loaded runs too). How evenly CPython shares it out is
    # its own business (3.15 under load: 33.4/25.3/18.1/22.7%, the threads'
    # own rounds agreeing): not asserted.
    # (Not on a machine too loaded for the rounds to say anything: hand-
    # offs to a waiter that waits for a CPU may leave the GIL free.)
    low = 90.0 if tids_checked else 0.0
    tap.ok(low <= total_hold <= 100.5, "%s: the pool's holding shares add up to %.1f%% (%g to 100.5)"
           % (label, total_hold, low), ["%s %.1f%%" % (names[tid], hold[tid]) for tid in pool])


if __name__ == "__main__":
    sys.exit(main_loop([test_pool]))
