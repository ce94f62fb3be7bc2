"""Live test of the per-thread GIL states and gilstat (TAP).

Run with the system python3 (automake's PY_LOG_COMPILER); the pytop under test
is $PYTOP (absolute path; default <repo>/pytop). The interpreters come from
pythons.py (PYTOP_TEST_PYTHONS overrides them; a missing one is a TAP SKIP).
The targets are tests/targets/gil_target.py in its three modes; every pytop
run is `pytop -p PID --batch -f json -d SECS [--gilstat[=exact]]`.

Per interpreter:

  spin3: three threads spinning in pure Python (switch interval 5 ms), with
        --gilstat: each holds the GIL its share of the three's CPU time
        (schedstat over pytop's run; 33% when run fairly) +- 10 of its
        samples and waits for it at least 60% of the rest (40% when fair);
        gilstat's hold% agrees
        (share +- 10); the GIL is held
        in > 90% of the rounds; the holder is never two threads at once
        ("conflicts" is 0 and the holding shares add up to at most 100%)
  churn: six threads each starting short-lived spinners one after another
        (30 ms each, switch interval 1 ms: thread states freed and made
        again all the time): never a holder the GIL does not have
        ("conflicts" is 0; 3.15 takes the holder from the thread states,
        whose holds_gil a dying thread leaves set), and a holder in at
        least 90% of the rounds the GIL is held (a thread new in a round
        has no flags read yet: the GIL state names it)
  churn holds: two threads each starting 30 ms spinners one after another
        (switch interval 5 ms), --gilstat=sampled: no thread holds the GIL
        for more than twice its life plus 10 ms (a new thread's state
        takes an ended one's memory: its holds are its own, not charged to
        the ended thread the last listing named at that address)
  mixed: a thread in time.sleep is idle >= 95%; a thread hashing 8 MiB
        buffers with hashlib (which releases the GIL; zlib.crc32 where
        hashlib is not OpenSSL's, see gil_target.py) is mostly running
        without the GIL (native > 50%, more than any other class)
  block: a thread in ctypes.PyDLL(libc).usleep (PyDLL keeps the GIL) is
        holding-but-blocked >= 80%
  alone: tests/targets/alone_target.py, a program with no thread but the
        main one, in turn spinning and sleeping 50 ms (3.6 creates no GIL
        then: its holder is the thread state in _PyThreadState_Current, and
        exact gilstat sees no acquisition): the main thread holds the GIL
        25-75% of its samples and is idle 25-75%, runs without it < 5%, and
        the GIL is held in 25-75% of the rounds
  gilstat 5 ms: two spinning threads, sys.setswitchinterval(0.005): each
        thread's holdavg is 2.5-15 ms (a loaded machine switches late and
        stretches holds) and its takecnt rises at 30-220/s; and takes/s x
        holdavg summed over both is 0.6-1.1 of the time (they hold the GIL
        nearly always, whatever the load)
  gilstat 20 ms: the same with 0.02: holdavg 10-60 ms, 6-55 takes/s
  exact: pytop --gilstat=exact and pytop --gilstat side by side on a 5 ms
        two-spinner target: where uprobes are allowed, exact sees at least
        95% of the switch_number advances as acquisitions, and the sampled
        estimate is within 15% (takes/s) and 25% (holdavg) of exact; where
        they are not, the one-line reason `pytop: --gilstat=exact: uprobes
        unavailable: ...` and exit status 1 (a stripped interpreter must say
        its symbol table lacks take_gil/drop_gil); a SKIP names the reason
  many: tests/targets/gil_target.py many 700 4 under `pytop --gilstat=sampled`:
        700 short threads, 16 at a time, each taking the GIL 4 times
        (holding it 2 ms each) and ending, more than gilstat's table of
        512: the threads it folded (evicted, the quietest idle ones) and
        the rows add up to its totals (takes, exactly), the totals hold
        at least 85% of the threads and 80% of their 2,800 takes, and of
        the last 20 threads to end at least 75% of those with rows have
        takes in them, the others (the snapshot folds the ended threads
        past the 256 with the most samples) are among gilstat's folded
        threads not evicted
        (before the fold: the first 512 threads only, the rest overflowed
        unseen).
  many exact: the same under --gilstat=exact: the totals hold at least 90%
        of the 700 threads (less the main one) and of their 2,800 takes, at
        least 95% of the short threads' rows have 4 to 12 takes and so do
        the folded ones on average (4 and a few at start and end), pytop's
        descriptors after the run are at most 8 more than before it (the
        ended threads' events are closed: looked at until they are, 3 s at most)
        and it quits within 5 s of SIGINT.
        A run that falls short of the 90%, or with more than 5% of its rows
        holding fewer than the 4 takes (threads followed late), is run
        again, up to twice (said in a comment): while pytop's thread waits
        (a loaded machine, or the kernel's tracing lock held by another
        tracer, such as another suite's pytop unregistering its probes) a
        thread can start and end between two listings. Before exact mode shared one tracefs probe
        event per probe, closing an ended thread's events took the kernel
        0.09 s each, on gilstat's thread: it saw 15-17 of the 700.

On the first and the last interpreter of the whole list only (pytop's own
bookkeeping, the same on every version; exact mode's probes are test_exact's,
on every interpreter), so that they run once per CI shard at most:

  window: pytop --gilstat --native -d 2 on a two-spinner target: gilstat's
        duration_s is the run's (exact: to 1 ms; sampled: at most it, late
        ticks not counted). Its window was its thread's: from before the
        run (planting the probes, --native's unwind tables) to after it
        (a thread held up in the kernel ran on: 33 s for an 8 s run).
  every: pytop --gilstat -d 5 --every 2 -o DIR/g-%H%M%S.json: each file's
        gilstat duration_s is its interval's, as in window (they were
        cumulative: 2, 4, 5 s).
  idle evicted: tests/targets/gil_target.py idlemany 700 10 under
        `pytop --gilstat=exact`: an idle live thread takes the GIL 10
        times, waits while 700 short threads run (more than gilstat's
        table of 512), then takes it 10 times more: its row holds at least
        the 20, or is marked partial (gilstat_partial). The table evicts
        ended threads before live ones; before it evicted the idle one,
        the quietest, whose row then held its later takes alone, unmarked.
  listing gap: pytop --gilstat=exact -d 3 on a two-spinner target,
        SIGSTOPped for 0.4 s after 1.5 s: gilstat's listing_gap_max_ms (the
        longest time its thread went without listing the target's threads,
        when a thread could start and end unseen) is 350 ms or more, and
        no more than the run.

On 3.6 (no _PyRuntime) the GIL is read from ceval_gil.h's statics and
_PyThreadState_Current, found by symbol: every check above runs there too.

Numbers go into the test descriptions, so the log is the measurement.
Every subprocess has a timeout and every target is killed in a finally block.
"""

import json
import os
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pythons  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TARGET = os.path.normpath(os.path.join(HERE, "..", "targets", "gil_target.py"))
ALONE = os.path.normpath(os.path.join(HERE, "..", "targets", "alone_target.py"))
PYTOP = pythons.pytop_binary()
READY_TIMEOUT = 30
SETTLE_S = 0.3          # let the threads reach their steady state


class Target:
    """A gil_target.py process; roles maps role -> tid."""

    def __init__(self, interp, *args, script=TARGET):
        self.proc = subprocess.Popen(
            interp.argv(interp.script(script), *[str(a) for a in args]),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.time() + READY_TIMEOUT
        line = b""
        while time.time() < deadline and not line:
            line = self.proc.stdout.readline()
            if self.proc.poll() is not None:
                break
        if not line:
            self.kill()
            raise RuntimeError("target %s did not start: %s" %
                               (" ".join(map(str, args)), self.proc.stderr.read().decode(errors="replace")))
        info = json.loads(line)
        self.pid = info["pid"]
        self.roles = info["roles"]
        time.sleep(SETTLE_S)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        for f in (self.proc.stdout, self.proc.stderr):
            if f:
                f.close()


def start_pytop(pid, secs, extra=()):
    argv = [PYTOP, "-p", str(pid), "--batch", "-f", "json", "-d", str(secs)] + list(extra)
    return argv, subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)


def finish_pytop(argv, proc, secs):
    """(rc, parsed JSON or None, stderr text)."""
    # Exact gilstat's uprobe events take the kernel about 0.1 s each to
    # unregister when pytop closes them, one after another (24 events on
    # spin3: 2.5 s idle, 13 s at load 8): room for that, not a hang.
    try:
        out, err = proc.communicate(timeout=secs + 90)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        return -1, None, "timed out: " + " ".join(argv)
    err = err.decode(errors="replace")
    try:
        data = json.loads(out.decode())
    except ValueError:
        data = None
    return proc.returncode, data, err


def pytop(pid, secs, extra=()):
    argv, proc = start_pytop(pid, secs, extra)
    return finish_pytop(argv, proc, secs)


def threads_by_tid(data):
    return {t["tid"]: t for t in data["threads"]}


def row_takes(data, main_tid):
    """The takes of every thread row but the main thread's, sorted."""
    return sorted(t["gil"].get("takecnt", 0) for t in data["threads"] if t["tid"] != main_tid)


def within(value, lo, hi):
    return value is not None and lo <= value <= hi


def check_run(tap, label, rc, data, err):
    ok = rc == 0 and data is not None
    tap.ok(ok, "%s: pytop exits 0 with one JSON object" % label, ["exit %s" % rc, err])
    return ok


UNAVAILABLE = "pytop: --gilstat=exact: uprobes unavailable: "


def exact_gilstat(tap, label, what, rc, data, err):
    """The gilstat object of an exact-mode run, or None: a SKIP of WHAT when
    uprobes are unavailable here (pytop said so in its last line, exit 1),
    else check_run's point when the run failed."""
    lines = err.strip().splitlines()
    if rc == 1 and lines and lines[-1].startswith(UNAVAILABLE):
        tap.skip("%s: %s" % (label, what), lines[-1][len(UNAVAILABLE):])
        return None
    if not check_run(tap, label, rc, data, err):
        return None
    return data["gil"]["gilstat"]


def test_spin3(tap, interp):
    label = "%s spin3" % interp.label
    target = Target(interp, "spin", 3, 0.005)
    roles = ("spin0", "spin1", "spin2")
    try:
        before = [pythons.thread_run_ns(target.pid, target.roles[r]) for r in roles]
        rc, data, err = pytop(target.pid, 3, ["--gilstat"])
        after = [pythons.thread_run_ns(target.pid, target.roles[r]) for r in roles]
    finally:
        target.kill()
    if not check_run(tap, label, rc, data, err):
        return
    threads = threads_by_tid(data)
    gil = data["gil"]
    total_holding = 0.0
    # The truth: a pure-Python spinner runs only while it holds the GIL, so
    # its share of the three's CPU time (the kernel's, over pytop's run) is
    # its share of the holds: 33% each when the kernel runs them fairly,
    # and what it really was on a loaded machine (one held it 53% there,
    # its waiters not run for up to 0.9 s).
    used = [max(0, a - b) for a, b in zip(after, before)]
    for i, role in enumerate(roles):
        t = threads.get(target.roles[role])
        if not tap.ok(t is not None, "%s: %s is in the snapshot" % (label, role)):
            continue
        g = t["gil"]
        truth = 100.0 * used[i] / sum(used) if sum(used) else 33.3
        total_holding += g["holding_pct"] + g["holding_blocked_pct"]
        tap.ok(within(g["holding_pct"], truth - 10, truth + 10),
               "%s: %s holds the GIL %.1f%% of its samples (its CPU share %.1f%% +- 10)"
               % (label, role, g["holding_pct"], truth), json.dumps(g))
        wait_min = 0.6 * (100 - truth)   # 40 when run fairly
        tap.ok(g["waiting_pct"] > wait_min, "%s: %s waits for it %.1f%% (> %.0f: 60%% of the time it does not hold it)"
               % (label, role, g["waiting_pct"], wait_min), json.dumps(g))
        tap.ok(within(g.get("hold_pct"), truth - 10, truth + 10),
               "%s: gilstat says %s holds it %.1f%% of the time (its CPU share %.1f%% +- 10)"
               % (label, role, g.get("hold_pct", -1), truth), json.dumps(g))
    tap.ok(gil["utilisation_pct"] > 90, "%s: the GIL is held in %.1f%% of the rounds (> 90)"
           % (label, gil["utilisation_pct"]), json.dumps(gil))
    tap.ok(gil["conflicts"] == 0 and gil["held_rounds"] <= gil["rounds"] and total_holding <= 100.5,
           "%s: never two holders in a round (conflicts %d; holding shares add up to %.1f%%)"
           % (label, gil["conflicts"], total_holding), json.dumps(gil))


def test_churn(tap, interp):
    label = "%s churn" % interp.label
    target = Target(interp, "churn", 6, 0.001)
    try:
        rc, data, err = pytop(target.pid, 5)
    finally:
        target.kill()
    if not check_run(tap, label, rc, data, err):
        return
    gil = data["gil"]
    tap.ok(gil["conflicts"] == 0 and gil["held_rounds"] > 0,
           "%s: never a holder the GIL does not have (conflicts %d in %d rounds, %d held, %d threads)"
           % (label, gil["conflicts"], gil["rounds"], gil["held_rounds"], len(data["threads"])),
           json.dumps(gil))
    # The ended threads past the 256 with the most samples have no row:
    # they are one "threads_folded" object with a row's keys.
    folded = data.get("threads_folded")
    rows = data["threads"] + ([folded] if folded else [])
    holding = sum((t["gil"]["holding_pct"] + t["gil"]["holding_blocked_pct"]) * t["samples"] / 100.0
                  for t in rows)
    tap.ok(holding >= 0.9 * gil["held_rounds"],
           "%s: a holder in the rounds the GIL is held (%d holding samples, %d held rounds; %d threads "
           "folded)" % (label, holding, gil["held_rounds"], folded["threads"] if folded else 0),
           json.dumps(gil))


def test_churn_holds(tap, interp):
    label = "%s churn holds" % interp.label
    target = Target(interp, "churn", 2, 0.005)
    try:
        rc, data, err = pytop(target.pid, 3, ["--gilstat=sampled"])
    finally:
        target.kill()
    if not check_run(tap, label, rc, data, err):
        return
    # (its life as the sampler saw it: threads sampled 10 times or more)
    short = [t for t in data["threads"] if t.get("name", "").endswith("-short") and t["samples"] >= 10]
    over = [(t["tid"], round(t["wall_s"] * 1000), round(t["gil"].get("hold_all_ms", 0))) for t in short
            if t["gil"].get("hold_all_ms", 0) > 2 * t["wall_s"] * 1000 + 10]
    tap.ok(len(short) >= 20 and not over,
           "%s: of %d short-lived threads none holds the GIL longer than twice its life + 10 ms "
           "(tid, life ms, hold ms: %s)" % (label, len(short), over[:5]))


def test_mixed(tap, interp):
    label = "%s mixed" % interp.label
    target = Target(interp, "mixed")
    try:
        rc, data, err = pytop(target.pid, 2)
    finally:
        target.kill()
    if not check_run(tap, label, rc, data, err):
        return
    threads = threads_by_tid(data)
    s = threads.get(target.roles["sleeper"], {}).get("gil", {})
    h = threads.get(target.roles["hasher"], {}).get("gil", {})
    tap.ok(s.get("idle_pct", 0) >= 95, "%s: the time.sleep thread is idle %.1f%% (>= 95)"
           % (label, s.get("idle_pct", -1)), json.dumps(s))
    others = [h.get(k, 0) for k in ("holding_pct", "holding_blocked_pct", "waiting_pct", "idle_pct")]
    tap.ok(h.get("native_pct", 0) > 50 and h.get("native_pct", 0) > max(others),
           "%s: the hashlib thread runs without the GIL %.1f%% (> 50, the largest class)"
           % (label, h.get("native_pct", -1)), json.dumps(h))


def test_block(tap, interp):
    label = "%s block" % interp.label
    target = Target(interp, "block")
    try:
        rc, data, err = pytop(target.pid, 2)
    finally:
        target.kill()
    if not check_run(tap, label, rc, data, err):
        return
    b = threads_by_tid(data).get(target.roles["blocker"], {}).get("gil", {})
    tap.ok(b.get("holding_blocked_pct", 0) >= 80,
           "%s: the PyDLL usleep thread holds the GIL while blocked %.1f%% (>= 80)"
           % (label, b.get("holding_blocked_pct", -1)), json.dumps(b))


def test_alone(tap, interp):
    label = "%s alone" % interp.label
    target = Target(interp, script=ALONE)
    try:
        rc, data, err = pytop(target.pid, 2)
        xrc, xdata, xerr = pytop(target.pid, 1, ["--gilstat=exact"])
    finally:
        target.kill()
    if not check_run(tap, label, rc, data, err):
        return
    m = threads_by_tid(data).get(target.roles["main"], {}).get("gil", {})
    hold, idle, native = (m.get(k, -1) for k in ("holding_pct", "idle_pct", "native_pct"))
    tap.ok(25 <= hold <= 75 and 25 <= idle <= 75 and 0 <= native < 5,
           "%s: the main thread holds the GIL %.1f%%, is idle %.1f%%, runs without it %.1f%% "
           "(25-75, 25-75, < 5)" % (label, hold, idle, native), json.dumps(m))
    gil = data["gil"]
    used = gil.get("utilisation_pct", -1)
    tap.ok(gil.get("state") == "read" and 25 <= used <= 75,
           "%s: the GIL is read and held in %.1f%% of the rounds (25-75)" % (label, used), json.dumps(gil))
    if xrc == 1 and "uprobes unavailable" in xerr:
        tap.skip("%s exact" % label, xerr.strip())
        return
    if not check_run(tap, label + " exact", xrc, xdata, xerr):
        return
    takes = threads_by_tid(xdata).get(target.roles["main"], {}).get("gil", {}).get("takecnt", -1)
    no_gil = interp.version.startswith("3.6.")
    tap.ok(takes == 0 if no_gil else takes > 0,
           "%s: exact gilstat counts %d acquisitions by the main thread (%s)"
           % (label, takes, "0: 3.6 has no GIL" if no_gil else "> 0: the GIL exists"), xerr)


def test_gilstat(tap, interp, interval, secs, rate_lo, rate_hi):
    want_ms = interval * 1000
    label = "%s gilstat %g ms" % (interp.label, want_ms)
    target = Target(interp, "spin", 2, interval)
    try:
        rc, data, err = pytop(target.pid, secs, ["--gilstat=sampled"])
    finally:
        target.kill()
    if not check_run(tap, label, rc, data, err):
        return
    gs = data["gil"].get("gilstat", {})
    tap.ok(gs.get("mode") == "sampled" and gs.get("estimate") is True and gs.get("resolution_ms") == 0.5,
           "%s: labelled a sampled estimate, resolution %s ms, %.0f Hz achieved"
           % (label, gs.get("resolution_ms"), gs.get("achieved_hz", 0)), json.dumps(gs))
    threads = threads_by_tid(data)
    held = 0.0
    gils = []
    for role in ("spin0", "spin1"):
        g = threads.get(target.roles[role], {}).get("gil", {})
        gils.append(g)
        held += g.get("takes_per_s", 0) * g.get("holdavg_ms", 0) / 1000
        # A hold is never shorter than the interval (the other spinner asks
        # at once); on a loaded machine the switch is late, so holds
        # stretch: up to 3x, and takes fall in proportion.
        tap.ok(within(g.get("holdavg_ms"), want_ms * 0.5, want_ms * 3),
               "%s: %s holdavg %.2f ms (%g ms, -50%% to 3x)" % (label, role, g.get("holdavg_ms", -1), want_ms),
               json.dumps(g))
        tap.ok(within(g.get("takes_per_s"), rate_lo / 2, rate_hi),
               "%s: %s takecnt %d, %.1f/s (%g-%d)" % (label, role, g.get("takecnt", -1),
                                                     g.get("takes_per_s", -1), rate_lo / 2, rate_hi),
               json.dumps(g))
    # Holds x takes: the two spinners hold the GIL nearly all the time,
    # whatever the machine's load does to the interval.
    tap.ok(0.6 <= held <= 1.1,
           "%s: takes/s x holdavg over both spinners is %.2f of the time (0.6-1.1)" % (label, held),
           json.dumps(gils))


def test_exact(tap, interp):
    label = "%s exact" % interp.label
    target = Target(interp, "spin", 2, 0.005)
    try:
        ex_argv, ex_proc = start_pytop(target.pid, 3, ["--gilstat=exact"])
        rc_s, sampled, err_s = pytop(target.pid, 3, ["--gilstat=sampled"])
        rc_e, exact, err_e = finish_pytop(ex_argv, ex_proc, 3)
    finally:
        target.kill()
    prefix = UNAVAILABLE
    if rc_e != 0:
        reason = err_e.strip().splitlines()[-1] if err_e.strip() else ""
        tap.ok(rc_e == 1 and reason.startswith(prefix) and exact is None,
               "%s: unavailable, said in one line with exit status 1" % label, ["exit %s" % rc_e, err_e])
        stripped = "Debian" in interp.path or interp.path.startswith("/usr/bin/")
        if stripped:
            tap.ok("not in the symbol table" in reason,
                   "%s: the stripped interpreter's reason names its symbol table" % label, reason)
        tap.skip("%s: exact vs sampled" % label, reason[len(prefix):] if reason.startswith(prefix) else reason)
        return
    if not check_run(tap, label, rc_e, exact, err_e) or not check_run(tap, label + " (sampled)", rc_s,
                                                                      sampled, err_s):
        return
    gx, gs = exact["gil"]["gilstat"], sampled["gil"]["gilstat"]
    tap.ok(gx["mode"] == "exact" and gx["estimate"] is False and gx["lost"] == 0,
           "%s: labelled exact, %d events, %d lost" % (label, gx["events"], gx["lost"]), json.dumps(gx))
    tx, ts = threads_by_tid(exact), threads_by_tid(sampled)
    takes = sum(tx.get(target.roles[r], {}).get("gil", {}).get("takecnt", 0) for r in ("spin0", "spin1"))
    tap.ok(takes >= 0.95 * gx["switches"], "%s: exact counts %d acquisitions for %d switches (>= 95%%)"
           % (label, takes, gx["switches"]), json.dumps(gx))
    # A sampled estimate is only as good as the rate its thread got: on a
    # machine so loaded that it fell below 90% of the rate asked for,
    # switches go unseen; pytop reports the rate it achieved (checked),
    # and the comparison with exact is not made (said).
    rate, achieved = gs.get("rate_hz") or 0, gs.get("achieved_hz") or 0
    if rate > 0 and achieved < 0.9 * rate:
        tap.ok(gs["mode"] == "sampled" and gs["estimate"] is True and 0 < achieved < rate,
               "%s: the starved sampled estimate reports the rate it achieved (%.0f of %.0f Hz)"
               % (label, achieved, rate), json.dumps(gs))
        tap.skip("%s: exact vs sampled" % label,
                 "the sampled gilstat achieved %.0f of %.0f Hz (machine loaded): no comparison" % (achieved, rate))
        return
    for role in ("spin0", "spin1"):
        x = tx.get(target.roles[role], {}).get("gil", {})
        s = ts.get(target.roles[role], {}).get("gil", {})
        xr, sr = x.get("takes_per_s", 0), s.get("takes_per_s", 0)
        xh, sh = x.get("holdavg_ms", 0), s.get("holdavg_ms", 0)
        tap.ok(xr > 0 and abs(sr - xr) <= 0.15 * xr,
               "%s: %s takes/s sampled %.1f vs exact %.1f (within 15%%)" % (label, role, sr, xr),
               [json.dumps(s), json.dumps(x)])
        tap.ok(xh > 0 and abs(sh - xh) <= 0.25 * xh,
               "%s: %s holdavg sampled %.2f ms vs exact %.2f ms (within 25%%); takeavg %.2f vs %.2f ms"
               % (label, role, sh, xh, s.get("takeavg_ms", 0), x.get("takeavg_ms", 0)),
               [json.dumps(s), json.dumps(x)])


def test_window(tap, interp):
    """gilstat's window is the run's: its duration_s is the batch's, also
    with --native (whose run starts once the sampler has loaded every
    unwind table, a second or more after gilstat's thread started)."""
    label = "%s gilstat window" % interp.label
    target = Target(interp, "spin", 2, 0.005)
    try:
        rc, data, err = pytop(target.pid, 2, ["--gilstat", "--native"])
    finally:
        target.kill()
    if not check_run(tap, label, rc, data, err):
        return
    g = data["gil"].get("gilstat", {})
    run, own = data.get("duration_s", -1), g.get("duration_s", -1)
    # Exact: the same window to the nanosecond (printed to 1 us or so).
    # Sampled: its time less the ticks that came late (gaps, not counted).
    ok = abs(own - run) <= 0.001 if g.get("mode") == "exact" else 0 < own <= run + 0.001
    tap.ok(ok, "%s: %s gilstat's duration %.6f s is the run's %.6f s (-d 2 --native)"
           % (label, g.get("mode"), own, run), json.dumps(g)[:1000])


def test_every(tap, interp):
    """--every: each interval's gilstat numbers are that interval's."""
    import glob
    import shutil
    import tempfile
    label = "%s gilstat every" % interp.label
    target = Target(interp, "spin", 2, 0.005)
    out = tempfile.mkdtemp(prefix="pytop-every-")
    try:
        rc, _, err = pytop(target.pid, 5, ["--gilstat", "--every", "2", "-o",
                                           os.path.join(out, "g-%H%M%S.json")])
        files = []
        for path in sorted(glob.glob(os.path.join(out, "g-*.json")), key=os.path.getmtime):
            with open(path) as f:
                files.append(json.load(f))
    finally:
        target.kill()
        shutil.rmtree(out, ignore_errors=True)
    if not tap.ok(rc == 0 and len(files) >= 2, "%s: pytop -d 5 --every 2 exits 0 with %d files (>= 2)"
                  % (label, len(files)), ["exit %s" % rc, err]):
        return
    spans = []
    for d in files:
        g = d["gil"].get("gilstat", {})
        run, own = d.get("duration_s", -1), g.get("duration_s", -1)
        takes = g.get("totals", {}).get("takecnt", -1)
        spans.append((round(run, 4), round(own, 4), takes, g.get("mode")))
    # Each file's gilstat window is its interval's (exact: to 1 ms;
    # sampled: at most it, late ticks not counted); cumulative numbers
    # had 2, 4, 5 s (and takes to match) in the three files.
    good = all((abs(own - run) <= 0.001 if mode == "exact" else 0 < own <= run + 0.001)
               for run, own, _, mode in spans)
    tap.ok(good, "%s: each interval's gilstat covers that interval (run s, gilstat s, takes, mode: %s)"
           % (label, spans))


def test_listing_gap(tap, interp):
    """Exact mode says the longest time its thread went without listing the
    target's threads: pytop SIGSTOPped for 0.4 s in its run."""
    label = "%s listing gap" % interp.label
    target = Target(interp, "spin", 2, 0.005)
    try:
        argv, proc = start_pytop(target.pid, 3, ["--gilstat=exact"])
        time.sleep(1.5)          # probes planted (about 1 s at most here), sampling
        proc.send_signal(signal.SIGSTOP)
        time.sleep(0.4)
        proc.send_signal(signal.SIGCONT)
        rc, data, err = finish_pytop(argv, proc, 3)
    finally:
        target.kill()
    g = exact_gilstat(tap, label, "exact mode's listing gap", rc, data, err)
    if g is None:
        return
    gap, dur = g.get("listing_gap_max_ms"), g.get("duration_s", 0) * 1000
    tap.ok(gap is not None and 350 <= gap <= dur,
           "%s: listing_gap_max_ms %s (>= 350: pytop stopped 0.4 s; <= the %.0f ms run)" % (label, gap, dur),
           json.dumps(g)[:1000])


def fd_count(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return -1


def unprobes():
    """pids of pytop-unprobe processes (comm) still closing uprobe events."""
    pids = []
    for d in os.listdir("/proc"):
        try:
            with open("/proc/%s/comm" % d) as f:
                if f.read().strip() == "pytop-unprobe":
                    pids.append(int(d))
        except (OSError, ValueError):
            pass
    return pids


def unprobes_done():
    """A uprobe PMU event's close holds the kernel's tracing lock for about
    0.09 s, and every open waits for it: an earlier pytop's pytop-unprobe
    (or one of a build without shared probes) closing hundreds would hold
    up this run's opens. Let them finish first (60 s at most)."""
    deadline = time.monotonic() + 60
    while unprobes() and time.monotonic() < deadline:
        time.sleep(0.5)


def kill_both(pt, proc):
    """Kill pytop (PT, None when it never started) if it still runs, and
    the target PROC, closing the target's pipes."""
    if pt is not None and pt.poll() is None:
        pt.kill()
        pt.wait()
    proc.kill()
    proc.wait(timeout=10)
    for f in (proc.stdin, proc.stdout, proc.stderr):
        f.close()


def task_count(pid):
    try:
        return len(os.listdir("/proc/%d/task" % pid))
    except OSError:
        return -1


# pytop's threads once its run's window has begun: main, gilstat's and the
# sampler's (session_start starts the sampler after window_start, which
# follows gilstat_start: the uprobes are planted by then).
PYTOP_THREADS = 3


def start_steady(pid, mode):
    """(argv, Popen) of `pytop -p PID --batch -f json -d 60 --gilstat=MODE`,
    once its window has begun (its sampler thread runs: the events are
    open) and its descriptor count has been steady for 0.5 s since (15 s
    at most, or until it exits). A steady count alone is not enough: before
    its first event is open, pytop reads the interpreter's ELF and DWARF
    with its descriptors unchanged, 0.6 s and more on a loaded machine
    (the idle evicted check's first takes went by unseen, its row with 11
    of 22, in 4 of 4 runs beside two CPU hogs)."""
    argv = [PYTOP, "-p", str(pid), "--batch", "-f", "json", "-d", "60", "--gilstat=" + mode]
    pt = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    steady, last, deadline = 0, -1, time.monotonic() + 15
    while pt.poll() is None and steady < 5 and time.monotonic() < deadline:
        time.sleep(0.1)
        count = fd_count(pt.pid) if task_count(pt.pid) >= PYTOP_THREADS else -1
        steady = steady + 1 if count == last and count > 0 else 0
        last = count
    return argv, pt


def test_many(tap, interp, n=700, k=4, mode="sampled", attempt=0):
    label = "%s many%s" % (interp.label, " exact" if mode == "exact" else "")
    if mode == "exact":
        unprobes_done()
    proc = subprocess.Popen(interp.argv(interp.script(TARGET), "many", str(n), str(k)),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    pt = None
    fds = []
    others = 0
    try:
        info = json.loads(proc.stdout.readline())
        argv, pt = start_steady(info["pid"], mode)
        if pt.poll() is None:
            fds.append(fd_count(pt.pid))
            others = len(unprobes())
            t0 = time.monotonic()
            proc.stdin.write(b"go\n")
            proc.stdin.flush()
            done = json.loads(proc.stdout.readline())
            took = time.monotonic() - t0
            others = max(others, len(unprobes()))
            # The last threads' events closed: at its next listing, which
            # a held-up gilstat thread (a sanitizer build on a loaded
            # machine: 47 still open after a fixed 0.1 s once) makes late.
            # Looked at until closed, 3 s at most.
            deadline = time.monotonic() + 3
            count = fd_count(pt.pid)
            while 0 < fds[0] + 8 < count and time.monotonic() < deadline and pt.poll() is None:
                time.sleep(0.05)
                count = fd_count(pt.pid)
            fds.append(count)
            t1 = time.monotonic()
            pt.send_signal(signal.SIGINT)
        rc, data, err = finish_pytop(argv, pt, 0)
        quit_s = time.monotonic() - t1 if len(fds) == 2 else 0
    finally:
        kill_both(pt, proc)
    if mode == "exact" and rc == 1 and err.strip().splitlines()[-1:] and \
            err.strip().splitlines()[-1].startswith(UNAVAILABLE):
        tap.skip("%s: exact mode under thread churn" % label, err.strip().splitlines()[-1][len(UNAVAILABLE):])
        return
    # Exact mode follows threads from pytop's own thread, listing them
    # every 10 ms: while that thread waits (a machine whose load leaves it
    # a sliver of a CPU; the kernel's tracing lock held by another tracer,
    # such as another suite's pytop unregistering its probes at exit, for
    # about 0.1 s a probe), a thread can start and end unseen. Up to two
    # more runs then, said (a CI run with two suites at once: 571 of 700
    # on 3.10 once, 644-700 on the others).
    # A thread followed late (after its 30 ms sleep) has missed some of
    # its k takes: the same cause, the same answer (a CI run with two
    # suites at once on 3.14d: 10 of 190 rows with 1-3 takes, 28 threads
    # unseen).
    load = os.getloadavg()[0]
    if mode == "exact" and attempt < 2 and rc == 0 and data:
        seen = data["gil"]["gilstat"].get("totals", {}).get("threads", 0) - 1
        counts = row_takes(data, info["roles"]["main"])
        late = sum(1 for x in counts if 0 < x < k)
        if seen < 0.9 * n or late > 0.05 * sum(1 for x in counts if x > 0):
            tap.diag("%s: %d of %d threads followed, %d late, at load %.1f (target's run %.1f s), %d other "
                     "pytop-unprobe closing: once more" % (label, seen, n, late, load, took, others))
            return test_many(tap, interp, n, k, mode, attempt=attempt + 1)
    if not check_run(tap, label, rc, data, err):
        return
    g = data["gil"]["gilstat"]
    main_tid = info["roles"]["main"]
    folded = g.get("threads_folded", {})
    totals = g.get("totals", {})
    rows = sum(t["gil"].get("takecnt", 0) for t in data["threads"])
    tap.ok(folded.get("evicted", 0) > 0 and rows + folded.get("takecnt", 0) == totals.get("takecnt"),
           "%s: %d threads in %.1f s; %d folded (%d evicted from the table): rows %d + folded %d takes = "
           "totals %s" % (label, n, took, folded.get("threads", 0), folded.get("evicted", 0), rows,
                          folded.get("takecnt", 0), totals.get("takecnt")), json.dumps(g)[:2000])
    main_takes = threads_by_tid(data).get(main_tid, {}).get("gil", {}).get("takecnt", 0)
    takes = totals.get("takecnt", 0) - main_takes
    if mode != "exact":
        tap.ok(totals.get("threads", 0) >= 0.85 * n and takes >= 0.8 * n * k,
               "%s: the totals hold %d threads (>= 85%% of %d) and %d of their %d takes (>= 80%%)"
               % (label, totals.get("threads", 0), n, takes, n * k), json.dumps(totals))
        # The snapshot keeps rows for the 256 ended threads with the most
        # samples: the others' gilstat figures are in gilstat's
        # threads_folded (its threads less those evicted from its table).
        by_tid = threads_by_tid(data)
        last = [by_tid[t]["gil"].get("takecnt", 0) if t in by_tid else None for t in done["last"]]
        # (A sampled tick late on a loaded machine charges nothing: a
        # 30 ms thread's takes may all fall in such gaps.)
        rowed = [x for x in last if x is not None]
        rowless = len(last) - len(rowed)
        tap.ok(sum(1 for x in rowed if x > 0) >= 0.75 * len(rowed) and
               rowless <= folded.get("threads", 0) - folded.get("evicted", 0),
               "%s: of the last 20 threads to end, those with rows have takes (%s, 75%% at least; None: "
               "folded by the snapshot, %d of gilstat's %d folded threads not evicted)"
               % (label, last, rowless, folded.get("threads", 0)))
        return
    # Exact: every thread is followed (its events open within 10 ms of its
    # start, before the 30 ms it sleeps first), so each one's k takes are
    # seen; ended threads' events are closed (pytop's descriptors back to
    # where they were) and pytop still quits at once.
    threads = totals.get("threads", 0) - 1          # less the main thread
    tap.ok(threads >= 0.9 * n and takes >= 0.9 * n * k,
           "%s: the totals hold %d threads (>= 90%% of %d), %d not followed, and %d takes (>= 90%% of %d)"
           "%s" % (label, threads, n, g.get("threads_not_followed", -1), takes, n * k,
                   "; %d other pytop-unprobe closing meanwhile" % others if others else ""),
           json.dumps(g)[:2000])
    # Takes per thread: each short thread takes the GIL its k times, plus a
    # few at its start and end (5 on 3.13, 6-7 on 3.6): so do the rows with
    # takes of their own, and the folded threads on average. A row without
    # takes is a thread gilstat evicted from its table (its takes folded;
    # the sampler keeps its own 256 rows with the most samples).
    per = row_takes(data, main_tid)
    took_rows = [x for x in per if x > 0]
    fold_avg = folded.get("takecnt", 0) / max(folded.get("threads", 0), 1)
    good = sum(1 for x in took_rows if k <= x <= 3 * k)
    tap.ok(took_rows and good >= 0.95 * len(took_rows) and len(per) - len(took_rows) <= folded.get("evicted", 0)
           and (not folded.get("threads") or k <= fold_avg <= 3 * k),
           "%s: %d of %d thread rows with takes have %d to %d (>= 95%%; median %d), %d rows without (evicted: "
           "%d), the %d folded threads %.1f each"
           % (label, good, len(took_rows), k, 3 * k, took_rows[len(took_rows) // 2] if took_rows else 0,
              len(per) - len(took_rows), folded.get("evicted", 0), folded.get("threads", 0), fold_avg), str(per))
    tap.ok(0 < fds[1] <= fds[0] + 8 and quit_s < 5,
           "%s: pytop's descriptors %d before, %d after the %d threads; it quit %.2f s after SIGINT"
           % (label, fds[0], fds[1], n, quit_s))


def test_idle_evicted(tap, interp, n=700, k=10):
    """An idle live thread and 700 short ones (more than gilstat's table):
    the idle thread's row is whole, or marked partial."""
    label = "%s idle evicted" % interp.label
    unprobes_done()
    proc = subprocess.Popen(interp.argv(interp.script(TARGET), "idlemany", str(n), str(k)),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    pt = None
    try:
        info = json.loads(proc.stdout.readline())
        argv, pt = start_steady(info["pid"], "exact")
        if pt.poll() is None:
            proc.stdin.write(b"go\n")
            proc.stdin.flush()
            json.loads(proc.stdout.readline())
            time.sleep(0.1)
            pt.send_signal(signal.SIGINT)
        rc, data, err = finish_pytop(argv, pt, 0)
    finally:
        kill_both(pt, proc)
    g = exact_gilstat(tap, label, "an idle thread past a full table", rc, data, err)
    if g is None:
        return
    row = threads_by_tid(data).get(info["roles"]["idler"], {}).get("gil", {})
    takes, partial = row.get("takecnt", -1), row.get("gilstat_partial", False)
    evicted = g.get("threads_folded", {}).get("evicted", 0)
    # Its k takes before the short threads and k after (and a few more of
    # its own): a row with fewer, unmarked, lost the first k to the folded
    # row when the table evicted it, idle but alive, before ended threads.
    tap.ok(evicted > 0 and (takes >= 2 * k or partial),
           "%s: the idle thread's row has %d takes (>= %d: before and after the %d short threads, %d "
           "evicted) or is marked partial (%s; %d partial rows)"
           % (label, takes, 2 * k, n, evicted, partial, g.get("threads_partial", -1)), json.dumps(row))


def main():
    tap = pythons.Tap()
    if not os.access(PYTOP, os.X_OK):
        tap.bail("no pytop at %s" % PYTOP)
    every = pythons.expected_with_roots(sharded=False)
    edges = {(e[1], e[3]) for e in every[:1] + every[-1:]}
    for interp in pythons.interpreters(tap, chroot=True):
        edge = (interp.path, interp.root) in edges
        for test in (test_spin3, test_churn, test_churn_holds, test_mixed, test_block, test_alone,
                     lambda t, i: test_gilstat(t, i, 0.005, 3, 60, 220),
                     lambda t, i: test_gilstat(t, i, 0.02, 3, 12, 55),
                     test_exact) + ((test_window, test_every, test_idle_evicted, test_listing_gap) if edge else ()) + (
                     test_many, lambda t, i: test_many(t, i, mode="exact")):
            try:
                test(tap, interp)
            except Exception as exc:  # a broken target is a failure, not a crash
                tap.ok(False, "%s: %s" % (interp.label, exc))
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
