"""Acceptance: a C call that sleeps holding the GIL (TAP).

Target: tests/targets/acc_gilsleep.py: "gil-sleeper" calls usleep(20 ms)
through ctypes.PyDLL (the GIL stays held, the thread is off CPU);
"spinner" spins in pure Python and gets the GIL only between those calls;
"sleeper" is in time.sleep. The gil-sleeper counts its calls and knows how long
one lasts (its GIL-held-while-blocked time is calls x that); every thread
measures its thread_time. Interpreters: see acceptance.py.

Per interpreter, one `pytop --batch -f json -d 3` (cpu mode, GIL states):

  exit 0, no signal
  cpu mode vs /proc (issue 8.5): each of the four threads' cpu-mode time
        within 10% or 2 points of its utime+stime share (the gil-sleeper
        holds the GIL but is not on a CPU: ~0)
  GIL vs the threads' own measure (each holds the GIL at least as long as
        it measured: the gil-sleeper calls x 20 ms in usleep, the spinner
        its thread_time; and at most what the other leaves): the
        gil-sleeper's GIL share (holding + holding-blocked samples) between
        its usleep share - 5 and 100 - the spinner's CPU share + 5; the
        spinner's between its CPU share - 5 and 100 - the gil-sleeper's
        usleep share + 5; the time.sleep thread never holds it (< 1%)
"""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from acceptance import pythons  # noqa: E402
from acceptance import (Target, CpuWindow, batch, check, check_run, parse_json,  # noqa: E402
                        check_cpu_vs_proc, truth_names, role_tids, gil_hold_pct, main_loop)

SECS = 3


def test_gilsleep(tap, interp):
    label = "%s gilsleep" % interp.label
    with Target(interp, "acc_gilsleep.py") as t:
        t.wait_for(lambda tr: any(v.get("calls", 0) >= 5 for v in tr["threads"].values()),
                   "five usleep calls")
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
    tids = {role: role_tids(after, role)[0] for role in ("gil-sleeper", "spinner", "sleeper", "main")}
    check_cpu_vs_proc(tap, label, snap, window, list(tids.values()), names)
    rows = {row.get("tid"): row for row in snap.get("threads", [])}
    wall = after["wall"] - before["wall"]

    def d(role, key):
        tid = str(tids[role])
        return after["threads"][tid].get(key, 0) - before["threads"][tid].get(key, 0)
    gs = after["threads"][str(tids["gil-sleeper"])]
    calls = d("gil-sleeper", "calls")
    floor = 100.0 * calls * gs["usleep_us"] / 1e6 / wall       # at least this long in usleep
    typical = 100.0 * calls * gs["usleep_s"] / wall
    spin_cpu = 100.0 * d("spinner", "cpu_s") / wall             # the spinner holds at least this
    hold = {role: gil_hold_pct(rows.get(tids[role], {})) for role in tids}
    tap.diag("%s: GIL shares pytop: gil-sleeper %.1f%%, spinner %.1f%%, sleeper %.1f%%; the "
             "gil-sleeper was in usleep >= %.1f%% (~%.1f%% at the calibrated length), the "
             "spinner on CPU %.1f%%" % (label, hold["gil-sleeper"], hold["spinner"],
                                        hold["sleeper"], floor, typical, spin_cpu))

    def sleeper_share():
        lo, hi = floor - 5, 100 - spin_cpu + 5
        return lo <= hold["gil-sleeper"] <= hi, [
            "pytop %.1f%%; wanted %.1f .. %.1f (usleep floor - 5 .. 100 - spinner cpu + 5)"
            % (hold["gil-sleeper"], lo, hi), str(rows.get(tids["gil-sleeper"], {}).get("gil"))]
    check(tap, "%s: the gil-sleeper's GIL share %.1f%% between its time in usleep (>= %.1f%%) - 5 "
          "and what the spinner leaves (%.1f%%) + 5" % (label, hold["gil-sleeper"], floor,
                                                       100 - spin_cpu), sleeper_share)

    def spinner_share():
        lo, hi = spin_cpu - 5, 100 - floor + 5
        return lo <= hold["spinner"] <= hi, [
            "pytop %.1f%%; wanted %.1f .. %.1f (spinner cpu - 5 .. 100 - usleep floor + 5)"
            % (hold["spinner"], lo, hi), str(rows.get(tids["spinner"], {}).get("gil"))]
    check(tap, "%s: the spinner's GIL share %.1f%% between its CPU share (%.1f%%) - 5 and what "
          "the gil-sleeper leaves (%.1f%%) + 5" % (label, hold["spinner"], spin_cpu, 100 - floor),
          spinner_share)
    tap.ok(hold["sleeper"] < 1.0, "%s: the time.sleep thread holds the GIL %.1f%% (< 1)"
           % (label, hold["sleeper"]))


if __name__ == "__main__":
    sys.exit(main_loop([test_gilsleep]))
