"""What trace and watch cost the target (issue 12): the rest of the program's
speed while pytop's agent watches or traces one function, or is attached
but idle, and the watched or traced function's own slowdown.

    python3 bench/agent_overhead.py [--pytop ./pytop] [--rounds 3]
        [--python /usr/bin/python3.14 --root /var/cache/pytop-sid]   # the default
    python3 bench/agent_overhead.py --python /root/.pyenv/versions/3.8.18/bin/python3
    python3 bench/agent_overhead.py --markdown     # the tables of --json-out

The target (one thread) runs, in a function (local variables, as most
code does), rounds of three timed blocks, each timed with
time.thread_time() (its own CPU time, so other load on the machine counts
less; the cost of the two clock reads, measured at start, is taken off):

  g   2000 calls of g(x) = x + 1: the rest of the program (never watched,
      except in the "watch g" phase);
  f   10 calls of f, a small call tree: f -> mid -> leaf, leaf; f -> len
      (5 nodes; the function watched and traced);
  e   20 calls of e(), which catches the ValueError its callee e1 raises:
      untraced code that raises (3.12+: the agent's PY_UNWIND callback is a
      global event and sees every unwinding frame).

Every 0.5 s it writes one window: its start and end time, whether an agent
was attached at the start and at the end (3.6-3.11: sys.gettrace(); 3.12+:
a sys.monitoring tool named "pytop"), its CPU share of the wall time, and
each block's CPU ns per call. Only windows wholly inside a phase, attached
from start to end (or detached, for the baseline), count.

Phases, repeated --rounds times: base, watch f, base, trace f, base, idle
(a watch of never(), a function never called: the agent attached with
nothing to do), base, watch g, base. Each "during" phase is one
`pytop -p PID --batch --watch/--trace ... -n 100000000 -d SECS -o /dev/null`.
A during window's ratio is its ns per call over the median of the base
phases just before and after it (so the machine's drift between phases
counts less); the summary is the median and the interquartile range of
those ratios over every round, and the median extra ns per call. The
same ratio for each base phase against its neighbours ("base") is the
noise floor. Results are merged into --json-out (default
bench/agent_overhead.json; one entry per --label, with every window).
"""
import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

TARGET = r'''
import functools, sys, time

def g(x):
    return x + 1

def leaf(x):
    return x + 1

def mid(x):
    return leaf(x) + leaf(x + 1)

def f(x):
    return mid(x) + len((x, x))

def e1(x):
    raise ValueError(x)

def e(x):
    try:
        e1(x)
    except ValueError:
        return 0

def never(x):
    return x

_mon = getattr(sys, "monitoring", None)

def hooked():
    if sys.gettrace() is not None:
        return 1
    if _mon is not None:
        for i in range(6):
            if _mon.get_tool(i) == "pytop":
                return 1
    return 0

def main(log):
    NG, NF, NE = 2000, 10, 20
    # this thread's CPU time (3.6 has no time.thread_time; a partial adds no Python frame)
    tt = getattr(time, "thread_time", None) or functools.partial(time.clock_gettime, time.CLOCK_THREAD_CPUTIME_ID)
    d = []
    for _ in range(2000):
        a = tt(); b = tt(); d.append(b - a)
    d.sort()
    ov = d[len(d) // 2]          # the cost of one clock read pair, taken off each block
    out = open(log, "a", buffering=1)
    out.write("ov %.1f\n" % (ov * 1e9))
    rg, rf, re_ = range(NG), range(NF), range(NE)
    i = 0
    w0 = time.time(); c0 = tt(); h0 = hooked()
    sg = sf = se = 0.0; n = 0
    while True:
        a = tt()
        for _ in rg:
            g(i)
        b = tt()
        for _ in rf:
            f(i)
        c = tt()
        for _ in re_:
            e(i)
        d_ = tt()
        sg += b - a - ov; sf += c - b - ov; se += d_ - c - ov
        n += 1; i += 1
        w = time.time()
        if w - w0 >= 0.5:
            h = hooked(); cw = tt()
            out.write("%.6f %.6f %d %d %.4f %.3f %.3f %.3f\n" % (
                w0, w, h0, h, (cw - c0) / (w - w0),
                sg * 1e9 / (n * NG), sf * 1e9 / (n * NF), se * 1e9 / (n * NE)))
            w0 = time.time(); c0 = tt(); h0 = h
            sg = sf = se = 0.0; n = 0

main(sys.argv[1])
'''

BLOCKS = ("g", "f", "e")
ROW_FIELDS = ("t0", "t1", "h0", "h1", "cpu_share", "g", "f", "e")
# (phase name, pytop flags); the base phases between them are added.
DURING = (
    ("watch f", ["--watch", "__main__ f"]),
    ("trace f", ["--trace", "__main__ f", "--depth", "4"]),
    ("idle", ["--watch", "__main__ never"]),
    ("watch g", ["--watch", "__main__ g"]),
)


def read_log(path):
    ov, rows = None, []
    with open(path) as fh:
        for line in fh:
            w = line.split()
            if not w:
                continue
            if w[0] == "ov":
                ov = float(w[1])
                continue
            if len(w) != 8:
                continue        # a line being written
            rows.append({"t0": float(w[0]), "t1": float(w[1]), "h0": int(w[2]), "h1": int(w[3]),
                         "cpu_share": float(w[4]), "g": float(w[5]), "f": float(w[6]), "e": float(w[7])})
    return ov, rows


def windows(rows, phase):
    want = 0 if phase["name"] == "base" else 1
    return [r for r in rows if phase["start"] <= r["t0"] and r["t1"] <= phase["end"]
            and r["h0"] == want and r["h1"] == want]


def quartiles(xs):
    xs = sorted(xs)
    if not xs:
        return None
    if len(xs) == 1:
        return xs[0], xs[0], xs[0]
    q = statistics.quantiles(xs, n=4, method="inclusive")
    return q[0], q[1], q[2]


def summarize(phases, rows):
    """{phase name: {block: {ratio median/q1/q3, extra ns, windows}}}."""
    for p in phases:
        p["windows"] = windows(rows, p)
    out = {}
    for k, p in enumerate(phases):
        if p["name"] == "base":
            # the noise floor: a base phase against the base phases around it
            nb = [q for q in (phases[k - 2] if k >= 2 else None, phases[k + 2] if k + 2 < len(phases) else None)
                  if q is not None]
        else:
            nb = [q for q in (phases[k - 1], phases[k + 1] if k + 1 < len(phases) else None)
                  if q is not None and q["name"] == "base"]
        ref_rows = [r for q in nb for r in q["windows"]]
        if not p["windows"] or not ref_rows:
            continue
        s = out.setdefault(p["name"], {b: {"ratios": [], "extra_ns": [], "ns": [], "base_ns": []}
                                       for b in BLOCKS})
        s.setdefault("cpu_share", []).extend(r["cpu_share"] for r in p["windows"])
        for b in BLOCKS:
            ref = statistics.median(r[b] for r in ref_rows)
            s[b]["ratios"].extend(r[b] / ref for r in p["windows"])
            s[b]["ns"].extend(r[b] for r in p["windows"])
            s[b]["base_ns"].append(ref)
            s[b]["extra_ns"].append(statistics.median(r[b] for r in p["windows"]) - ref)
    for name, s in out.items():
        for b in BLOCKS:
            q = quartiles(s[b]["ratios"])
            s[b]["ratio"] = {"median": q[1], "q1": q[0], "q3": q[2], "windows": len(s[b]["ratios"])}
            s[b]["extra_ns_median"] = statistics.median(s[b]["extra_ns"])
            s[b]["ns_median"] = statistics.median(s[b]["ns"])
            s[b]["base_ns_median"] = statistics.median(s[b]["base_ns"])
        s["cpu_share_median"] = statistics.median(s["cpu_share"])
    return out


def dumps(doc):
    """doc as indented JSON, each window row on one line."""
    text = json.dumps(doc, indent=1, sort_keys=True)
    return re.sub(r"\[\n\s*([-0-9.e, \n]+?)\n\s*\]",
                  lambda m: "[" + ", ".join(x.strip() for x in m.group(1).split(",")) + "]", text) + "\n"


def machine():
    model = "?"
    with open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"nproc": os.cpu_count(), "cpu": model, "kernel": platform.release(), "loadavg": os.getloadavg()}


def cell(s, phase, block):
    if phase not in s:
        return "-"
    r = s[phase][block]["ratio"]
    return "%.3f (%.3f-%.3f) %+.0f ns" % (r["median"], r["q1"], r["q3"], s[phase][block]["extra_ns_median"])


def report(res):
    s = res["summary"]
    print("%s (%s): load %.2f -> %.2f, clock pair %.0f ns, %.0f s" % (
        res["label"], res["version"], res["loadavg"][0], res["loadavg_after"][0], res["clock_pair_ns"],
        res["elapsed_s"]))
    print("  during/base, CPU ns per call: median (IQR over 0.5 s windows), median extra ns per call")
    print("  %-8s %-34s %-34s %-34s %s" % ("phase", "g (untraced)", "f (watched/traced)", "e (untraced, raises)",
                                          "cpu share"))
    for name in ["base"] + [d[0] for d in DURING]:
        if name in s:
            print("  %-8s %-34s %-34s %-34s %.2f" % (name, cell(s, name, "g"), cell(s, name, "f"), cell(s, name, "e"),
                                                      s[name]["cpu_share_median"]))
    if "base" in s:
        print("  base ns per call: g %.1f  f %.1f  e %.1f" % tuple(s["base"][b]["ns_median"] for b in BLOCKS))


ROWS = (   # (what, phase, block) of each table row
    ("noise: base windows against the base phases around them, g()", "base", "g"),
    ("untraced g(), while f is watched", "watch f", "g"),
    ("untraced g(), while f is traced", "trace f", "g"),
    ("untraced g(), agent idle (watching never())", "idle", "g"),
    ("untraced e() (raises), while f is watched", "watch f", "e"),
    ("untraced e() (raises), while f is traced", "trace f", "e"),
    ("untraced e() (raises), agent idle", "idle", "e"),
    ("watched f() (5-node tree)", "watch f", "f"),
    ("watched g() (one line)", "watch g", "g"),
    ("traced f() (5 nodes, --depth 4)", "trace f", "f"),
)


def markdown(doc):
    """Tables for bench/README.md from a --json-out file."""
    lines = []
    for res in doc["results"]:
        s = res["summary"]
        lines += ["", "#### %s (%s)" % (res["version"], res["path"] + (" in chroot " + res["root"] if res["root"] else "")),
                  "",
                  "Load average %.2f before, %.2f after; %d rounds, %.0f s. CPU ns per call before: g() %.0f, "
                  "f() %.0f, e() %.0f." % (res["loadavg"][0], res["loadavg_after"][0],
                                           max([ph.get("round", 0) for ph in res["phases"]]) + 1,
                                           res["elapsed_s"], s["base"]["g"]["ns_median"], s["base"]["f"]["ns_median"],
                                           s["base"]["e"]["ns_median"]),
                  "",
                  "| | during / before: median (IQR) | extra CPU per call | 0.5 s windows |",
                  "| --- | --- | --- | --- |"]
        for what, phase, block in ROWS:
            if phase not in s:
                continue
            c = s[phase][block]
            r = c["ratio"]
            extra = c["extra_ns_median"]
            lines.append("| %s | %.2f (%.2f-%.2f) | %s | %d |" % (
                what, r["median"], r["q1"], r["q3"],
                ("%+.1f us" % (extra / 1000.0)) if abs(extra) >= 10000 else "%+.0f ns" % extra, r["windows"]))
    return "\n".join(lines)


def overview(doc):
    head = ["Python", "g() watch f", "g() trace f", "g() idle", "e() idle", "f() watched", "g() watched",
            "f() traced", "noise (base IQR)"]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for res in doc["results"]:
        s = res["summary"]

        def m(phase, block):
            return "%.2f" % s[phase][block]["ratio"]["median"] if phase in s else "-"
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %.2f-%.2f |" % (
            res["version"], m("watch f", "g"), m("trace f", "g"), m("idle", "g"), m("idle", "e"),
            m("watch f", "f"), m("watch g", "g"), m("trace f", "f"),
            s["base"]["g"]["ratio"]["q1"], s["base"]["g"]["ratio"]["q3"]))
    return "\n".join(lines)


def run(a):
    root = a.root.rstrip("/") if a.root else None
    base = os.path.join(root, "tmp") if root else None
    work = tempfile.mkdtemp(prefix="pytop-bench-", dir=base)
    os.chmod(work, 0o755)
    script, log = os.path.join(work, "t.py"), os.path.join(work, "rates")
    with open(script, "w") as fh:
        fh.write(TARGET)
    inside = (lambda p: p[len(root):]) if root else (lambda p: p)
    prefix = (["unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
               'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"', root] if root else [])
    version = subprocess.run(prefix + [a.python, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
                             stdout=subprocess.PIPE, universal_newlines=True, check=True).stdout.strip()
    info = machine()
    start = time.time()
    phases = []
    p = subprocess.Popen(prefix + [a.python, inside(script), inside(log)])
    try:
        time.sleep(a.warmup)

        def base_phase():
            t = time.time()
            time.sleep(a.base)
            phases.append({"name": "base", "start": t, "end": time.time()})

        base_phase()
        for rnd in range(a.rounds):
            for name, flags in DURING:
                t = time.time()
                r = subprocess.run([a.pytop, "-p", str(p.pid), "--batch"] + flags +
                                   ["-n", "100000000", "-d", str(a.during), "-o", "/dev/null"],
                                   stderr=subprocess.PIPE, universal_newlines=True)
                phases.append({"name": name, "start": t, "end": time.time(), "round": rnd, "exit": r.returncode,
                               "stderr": r.stderr.strip()[-500:]})
                if r.returncode != 0:
                    print("pytop %s: exit %d: %s" % (name, r.returncode, r.stderr.strip()), file=sys.stderr)
                time.sleep(0.3)      # the agent's thread ends within a second of the detach
                base_phase()
            print("  round %d done, load %.2f" % (rnd + 1, os.getloadavg()[0]), file=sys.stderr)
        if p.poll() is not None:
            raise RuntimeError("the target exited (%s)" % p.returncode)
        ov, rows = read_log(log)
    finally:
        p.kill()
        p.wait()
        shutil.rmtree(work, ignore_errors=True)
    summary = summarize(phases, rows)
    for ph in phases:
        ph.pop("windows", None)
    for sm in summary.values():       # the per-window lists: the rows hold them
        sm.pop("cpu_share", None)
        for b in BLOCKS:
            for k in ("ratios", "ns", "base_ns", "extra_ns"):
                sm[b].pop(k, None)
    res = {"command": " ".join(["bench/agent_overhead.py"] + sys.argv[1:]),
           "label": a.label or ("%s (chroot %s)" % (a.python, root) if root else a.python),
           "path": a.python, "root": root, "version": version, "loadavg": info["loadavg"],
           "loadavg_after": os.getloadavg(), "elapsed_s": time.time() - start, "clock_pair_ns": ov,
           "phases": phases, "summary": summary,
           "row_fields": ROW_FIELDS, "rows": [[r[k] for k in ROW_FIELDS] for r in rows]}
    return info, res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pytop", default="./pytop")
    ap.add_argument("--python", default=None, help="default: /usr/bin/python3.14 in --root")
    ap.add_argument("--root", default=None, help="chroot directory (default with no --python: /var/cache/pytop-sid)")
    ap.add_argument("--label", default=None)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--base", type=float, default=3.0, help="seconds of each base phase")
    ap.add_argument("--during", type=float, default=4.0, help="pytop -d of each watch/trace phase")
    ap.add_argument("--warmup", type=float, default=2.0)
    ap.add_argument("--json-out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                        "agent_overhead.json"))
    ap.add_argument("--markdown", action="store_true", help="print the tables of --json-out and exit")
    a = ap.parse_args()
    if a.markdown:
        with open(a.json_out) as fh:
            doc = json.load(fh)
        print(overview(doc))
        print(markdown(doc))
        return 0
    if a.python is None:
        a.python = "/usr/bin/python3.14"
        a.root = a.root or "/var/cache/pytop-sid"
    info, res = run(a)
    report(res)
    if a.json_out:
        doc = {"machine": info, "command": "", "args": {}, "results": []}
        if os.path.exists(a.json_out):
            with open(a.json_out) as fh:
                doc = json.load(fh)
        doc["machine"] = info
        doc["command"] = " ".join(["bench/agent_overhead.py"] + sys.argv[1:])
        doc["args"] = vars(a)
        doc["results"] = [r for r in doc["results"] if r["label"] != res["label"]] + [res]
        with open(a.json_out, "w") as fh:
            fh.write(dumps(doc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
