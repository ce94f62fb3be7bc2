"""pytop --batch --trace end to end on every interpreter: for each of the
next COUNT calls of a known function of tests/targets/agent_target.py
(outer -> middle -> leaf -> time.sleep), a header with thread and total
cost and a tree of `[cost ms] name file:line` nodes: the known nesting,
each child's cost within its parent's, the known sleeps, exactly COUNT
trees; --depth and --min-ms fold; --cond filters; -f json is one object a
call; an unknown name fails in one line; the target is left clean (its own
report, /proc). Versions whose injection pytop does not have yet are a
loud SKIP.

    PYTOP=./pytop python3 tests/live/test_trace.py
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pythons import Tap, interpreters  # noqa: E402
from agentrun import Target, check_clean, not_yet, pytop  # noqa: E402

# "(tid N)": the thread's native id, which 3.6 and 3.7 do not give Python code.
HEAD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} (\S+)(?: \(tid (\d+)\))? (\S+) #(\d+) total ([\d.]+) ms$")
NODE = re.compile(r"^( +)\[([\d.]+) ms\] (.*)$")


def trees(text):
    """[(header match, [(depth, ms, rest)])] of a trace's text."""
    out = []
    for line in text.splitlines():
        m = HEAD.match(line)
        if m:
            out.append((m, []))
            continue
        n = NODE.match(line)
        if n and out:
            out[-1][1].append((len(n.group(1)) // 2 - 1, float(n.group(2)), n.group(3)))
    return out


def within(nodes):
    """Does each node's cost cover its children's (0.05 ms rounding)?"""
    for i, (d, ms, _) in enumerate(nodes):
        kids = 0.0
        for d2, ms2, _ in nodes[i + 1:]:
            if d2 <= d:
                break
            if d2 == d + 1:
                kids += ms2
        if kids > ms + 0.05:
            return False
    return True


def run_one(tap, interp):
    label = interp.label
    t = Target(interp)
    try:
        if not tap.ok(t.pid, "%s: the target started" % label):
            return
        rc, out, err = pytop(["-p", str(t.pid), "--batch", "--trace", "__main__ outer", "-n", "2", "--depth", "4"])
        if not_yet(err):
            tap.skip("%s: trace" % label, "no injection for %s in pytop yet: %s" % (interp.version, err.strip()))
            return
        got = trees(out)
        names = [[(d, rest.split(" ")[0]) for d, ms, rest in nodes] for m, nodes in got]
        want = [(0, "outer"), (1, "middle"), (2, "leaf"), (3, "time.sleep"), (2, "leaf"), (3, "time.sleep"),
                (1, "leaf"), (2, "time.sleep")]
        tap.ok(rc == 0 and len(got) == 2 and names == [want, want],
               "%s: --trace outer -n 2: exactly 2 trees outer > middle > leaf > time.sleep, exit 0" % label,
               "rc=%d\n%s\n%s" % (rc, out, err))
        tap.ok(all(within(nodes) for m, nodes in got), "%s: each child's cost within its parent's" % label, out)
        # leaf(n) sleeps 2n ms: leaf(2) 4, leaf(1) 2, leaf(3) 6; outer 12 in all.
        ok = True
        for m, nodes in got:
            leafs = [ms for d, ms, rest in nodes if rest.startswith("leaf ")]
            total = float(m.group(5))
            ok &= len(leafs) == 3 and all(w <= ms < w + 2000 for w, ms in zip((4, 2, 6), leafs))
            ok &= 12 <= total < 10000 and abs(nodes[0][1] - total) < 0.01 and m.group(1) == "MainThread"
            ok &= all(re.search(r"agent_target\.py:\d+$", rest) for d, ms, rest in nodes
                      if not rest.startswith("time.sleep"))
        tap.ok(ok, "%s: costs: leaf(2) >= 4 ms, leaf(1) >= 2, leaf(3) >= 6, total >= 12 = the root; "
               "nodes name file:line" % label, out)

        rc, out, err = pytop(["-p", str(t.pid), "--batch", "-f", "json", "--trace", "__main__.outer", "-n", "1",
                              "--depth", "5", "--min-ms", "2000"])
        objs = [json.loads(line) for line in out.splitlines() if line.strip()]
        tap.ok(rc == 0 and len(objs) == 1 and "text" not in objs[0] and
               [(n["d"], n.get("name"), n.get("folded")) for n in objs[0]["nodes"]] ==
               [(0, "outer", None), (1, None, 2)],
               "%s: -f json --min-ms 2000: one object, the two children folded" % label,
               "rc=%d\n%s\n%s" % (rc, out, err))
        rc, out, err = pytop(["-p", str(t.pid), "--batch", "--trace", "__main__ outer", "-n", "1", "--depth", "1"])
        got = trees(out)
        tap.ok(rc == 0 and len(got) == 1 and [(d, r) for d, ms, r in got[0][1]
                                               if "folded" in r] == [(2, "(2 calls folded)"), (2, "(1 call folded)")],
               "%s: --depth 1: middle's and leaf's calls folded" % label, out)
        rc, out, err = pytop(["-p", str(t.pid), "--batch", "-f", "json", "--trace", "__main__ middle", "-n", "2",
                              "--cond", "args == (2,)", "-d", "20"])
        objs = [json.loads(line) for line in out.splitlines() if line.strip()]
        tap.ok(rc == 0 and len(objs) == 2 and all(o["nodes"][0]["name"] == "middle" for o in objs),
               "%s: --trace middle --cond 'args == (2,)': 2 calls" % label, out + err)
        rc, out, err = pytop(["-p", str(t.pid), "--batch", "--trace", "__main__ outr"])
        tap.ok(rc != 0 and err.count("\n") == 1 and "outer" in err and out == "",
               "%s: unknown name: one-line error naming the nearest (outer)" % label, err)
        check_clean(tap, label, t, "the traces")
    finally:
        err = t.stop()
        tap.ok(not err.strip(), "%s: the target wrote nothing on stderr" % label, err)


def main():
    tap = Tap()
    for interp in interpreters(tap, chroot=True):
        run_one(tap, interp)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
