"""Live test: pytop's function cache survives code objects being replaced (TAP).

Run with the system python3; the pytop under test is $PYTOP. On every
interpreter from pythons.py, tests/targets/regen_target.py runs 100 generated
functions f_0..f_99 for 20 ms of CPU time each, each from a code object that replaces a
dead one (often at the same address). pytop --batch in launch mode must name
them all: at least 95 distinct f_k appear, and no f_k gets more than twice the
median own CPU time (a stale cache entry would pile a later function's time onto an
older name).
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pythons  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TARGET = os.path.join(HERE, "..", "targets", "regen_target.py")


def main():
    tap = pythons.Tap()
    pytop = pythons.pytop_binary()
    for interp in pythons.interpreters(tap, chroot=True):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "snap.json")
            try:
                proc = subprocess.run([pytop, "--batch", "-f", "json", "-o", out, "--"] +
                                      interp.argv(interp.script(TARGET), "100"),
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      timeout=60, universal_newlines=True)
            except subprocess.TimeoutExpired:
                tap.ok(False, "%s: pytop finished" % interp.label, "timed out")
                continue
            if not tap.ok(proc.returncode == 0 and os.path.exists(out),
                          "%s: launch-mode batch run exits 0 with a snapshot" % interp.label,
                          proc.stderr):
                continue
            with open(out) as f:
                snap = json.load(f)
            # Own CPU time, not sample counts: on a busy machine a thread
            # waiting for a core is sampled running but gets no CPU.
            counts = {fn["name"]: fn["own_s"] for fn in snap["functions"] if fn["name"].startswith("f_")}
            tap.ok(len(counts) >= 95, "%s: %d of 100 generated functions named" % (interp.label, len(counts)),
                   sorted(counts))
            values = sorted(counts.values()) or [0]
            median = statistics.median(values)
            top = max(counts, key=counts.get) if counts else None
            missed = sum(fn["own_s"] for fn in snap["functions"] if fn["name"] == "(not sampled)")
            tap.ok(median > 0 and values[-1] <= 2 * median,
                   "%s: no name collects another's time (median %s, max %s on %s; not sampled %.3f s)"
                   % (interp.label, median, values[-1], top, missed),
                   ["%s %s" % kv for kv in sorted(counts.items(), key=lambda kv: -kv[1])[:10]])
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
