"""Acceptance: deep stacks (TAP).

Target: tests/targets/acc_deep.py in two modes: `python 500` (plain
recursion, 500 descend frames) and `cthrough 3000` (3000 descend frames,
each called through C code, map(); 3.12 allows only ~700 of those, the
target says how deep it went). Two threads recurse: the main thread
(<module> -> main -> recurse_forever -> descend x DEPTH -> bottom) and
"deep-worker" (the same under the thread bootstrap); each burns CPU in
bottom() for 200 ms with the whole stack in place, returns and goes down
again. Interpreters and binaries: see acceptance.py.

Per interpreter and mode (issue 8.4):

  --dump --json (x 5): each exits 0 (no "inconsistent interpreter
        state"); every stack rooted at <module> or the thread
        bootstrap; in at least one dump each recursing thread shows the
        whole stack: DEPTH descend frames and bottom at the top
  batch json (-d 3, cpu mode): exit 0; samples > 0; errors under 5% of the
        samples (a walk of a 3000-frame stack that unwinds or descends
        through all of its tries is dropped and counted, never recorded;
        the target spends about 1-2% of its time so on 3.13, and 1.0-1.6%
        of samples were dropped, more on a busy machine; the bug this
        guards against dropped them all); bottom has most (>= 50%) of the own time (own_pct: it burns
        200 ms for each ~1 ms of descent)
  batch collapsed (-m wall -d 2: weights are samples): every stack rooted
        at <module>, the thread bootstrap or a "(N frames truncated)"
        marker; a stack ending in bottom has DEPTH descend frames, or the
        marker and only descend frames below bottom
"""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from acceptance import (Target, binaries, batch, dump, check, check_run, parse_json,  # noqa: E402
                        parse_collapsed, torn_stacks, fmt_stack, short, rooted,
                        truncation_marker, dump_frames_root_first, main_loop)

MODES = (("python", 500), ("cthrough", 3000))


def test_mode(tap, interp, mode, asked):
    with Target(interp, "acc_deep.py", mode, asked) as t:
        truth = t.read()
        depth = truth["depth"]
        label = "%s deep %s %d" % (interp.label, mode, depth)
        if depth != asked:
            tap.diag("%s: the interpreter allows %d of the %d levels asked" % (label, depth, asked))
        recursing = {int(tid): v["name"] for tid, v in truth["threads"].items()}

        for prefix, binary in binaries():
            lab = prefix + label
            failures, torn, full = [], [], {tid: 0 for tid in recursing}
            for _ in range(5):
                r = dump(t.pid, binary=binary)
                snap, diags = parse_json(r)
                if snap is None:
                    failures.extend(diags)
                    continue
                for th in snap.get("threads", []):
                    frames = dump_frames_root_first(th)
                    if frames and not rooted(frames):
                        torn.append("tid %s: %s" % (th.get("tid"), fmt_stack(frames)))
                    n = sum(1 for f in frames if short(f[0]) == "descend")
                    if th.get("tid") in full and n == depth and frames and \
                            short(frames[-1][0]) == "bottom":
                        full[th["tid"]] += 1
            tap.ok(not failures, "%s: 5 --dump --json runs exit 0" % lab, failures[:12])
            tap.ok(not torn, "%s: dumps: every stack rooted" % lab, torn[:10])
            tap.ok(all(full.values()), "%s: dumps: each recursing thread's whole stack (%d descend "
                   "frames + bottom) at least once: %s" % (lab, depth, ", ".join(
                       "%s %d/5" % (recursing[tid], n) for tid, n in full.items())))

            r = batch(t.pid, 3, "-f", "json", binary=binary)
            check_run(tap, lab + " batch json", r)
            snap, diags = parse_json(r)
            if snap is not None:
                def counts(snap=snap):
                    samples, errors = snap.get("samples", 0), snap.get("errors", 0)
                    running = sum(x.get("states", {}).get("running", 0) for x in snap.get("threads", []))
                    bottom = sum(f.get("own_pct", 0) for f in snap.get("functions", [])
                                 if short(f.get("name", "")) == "bottom")
                    top = sorted(((f.get("own_pct", 0), f.get("name")) for f in snap.get("functions", [])),
                                 reverse=True)[:5]
                    tap.diag("%s: samples %d, errors %d, running %d, bottom %.1f%% of the own time"
                             % (lab, samples, errors, running, bottom))
                    return (samples > 0 and errors <= 0.05 * samples and running > 0
                            and bottom >= 50.0), [
                        "samples %d, errors %d, running %d, bottom own_pct %.1f; top: %r"
                        % (samples, errors, running, bottom, top)], {
                        "samples": samples, "errors": errors, "running": running,
                        "bottom": bottom}
                check(tap, "%s: batch: samples, errors < 5%%, bottom has most of the own time"
                      % lab, counts)

        r = batch(t.pid, 2, "-m", "wall", "-f", "collapsed")
        if check_run(tap, label + " collapsed", r):
            stacks = parse_collapsed(r.stdout.decode("utf-8", "replace"))

            def shape():
                problems = ["torn: %d samples: %s" % (c, fmt_stack(f))
                            for f, c in torn_stacks(stacks, allow_truncated=True)]
                at_bottom = 0
                for frames, count in stacks:
                    if not frames or short(frames[-1][0]) != "bottom":
                        continue
                    at_bottom += count
                    n = sum(1 for f in frames if short(f[0]) == "descend")
                    if truncation_marker(frames[0]):
                        ok = all(short(f[0]) == "descend" for f in frames[1:-1])
                    else:
                        ok = n == depth
                    if not ok:
                        problems.append("%d samples, %d descend frames: %s" % (count, n, fmt_stack(frames)))
                return at_bottom > 0 and not problems, problems[:12] or (
                    [] if at_bottom else ["no stack ends in bottom"])
            check(tap, "%s: collapsed: stacks rooted (or marked truncated); at bottom, %d descend "
                  "frames" % (label, depth), shape)


def test_deep(tap, interp):
    for mode, asked in MODES:
        test_mode(tap, interp, mode, asked)


if __name__ == "__main__":
    sys.exit(main_loop([test_deep]))
