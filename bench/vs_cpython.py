#!/usr/bin/env python3
"""Benchmark: pytop against CPython 3.15's own sampling profiler on the same
3.15 target (issue 15; not part of `make check`).

    python3 bench/vs_cpython.py [--root /var/cache/pytop-sid] [--python /usr/bin/python3.15]
                                [--threads 4] [--depth 30] [--rate 10000] [--seconds 5] [--pairs 3]

Runs as root under the system python3 (the 3.15 build lives in the Debian
sid root that tests/setup_sid_root.sh makes). pytop: --pytop, else $PYTOP,
else <repo>/pytop.

It starts bench/workload.py under the chrooted 3.15 (T CPU-bound threads,
each exactly D Python frames deep, sharing the GIL) and runs, alternately on
that same process, --pairs times each:

  cpython   python3.15 -m profiling.sampling attach -a -r RATE -d SECONDS
            --collapsed (in the root, with its own /proc mounted in a private
            mount namespace; a link ROOT/ROOT -> / lets it open the files the
            target's maps name by their outside paths)
  pytop     pytop --batch -f json -r RATE -d SECONDS -p PID

and takes, for each run, from the run itself: thread-samples (cpython: the
collapsed file's counts; pytop: the snapshot's samples), rounds per second
(cpython: "Captured N samples" over the duration it reports, one sample
being one round over all threads; pytop: achieved_rate_hz), and its
whole-process CPU time (user + sys of the finished child, wait4).

Results: a markdown table (medians over the pairs, and every run) on
stdout, everything as JSON in --json-out (default bench/vs_cpython.json).
The goal (issue 15): at least cpython's rounds per second at no more than
a third of its CPU per thread-sample.
"""

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)
import run_bench  # noqa: E402


def child_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_child(argv, timeout):
    """Run argv to its end: (exit status, stdout+stderr, its CPU seconds)."""
    before = child_cpu()
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                       timeout=timeout)
    return r.returncode, r.stdout, child_cpu() - before


class Target:
    """bench/workload.py under the chrooted interpreter."""

    def __init__(self, root, python, threads, depth):
        self.script = "/tmp/pytop-vs-cpython-workload.py"
        shutil.copy(os.path.join(HERE, "workload.py"), root + self.script)
        self.root = root
        self.proc = subprocess.Popen(["chroot", root, python, self.script, "--threads", str(threads),
                                      "--depth", str(depth)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     universal_newlines=True)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("ready"):
            self.close()
            raise RuntimeError("workload did not start: %r" % line)
        self.pid = self.proc.pid

    def close(self):
        run_bench.stop(self.proc)
        self.proc.stdout.close()
        try:
            os.unlink(self.root + self.script)
        except OSError:
            pass


def run_cpython(args, pid):
    out = "/tmp/pytop-vs-cpython.collapsed"
    inner = "mount -t proc proc %s/proc && exec chroot %s %s -m profiling.sampling attach -a -r %d -d %g " \
            "--collapsed -o %s %d" % (args.root, args.root, args.python, args.rate, args.seconds, out, pid)
    status, text, cpu = run_child(["unshare", "-m", "sh", "-c", inner], args.seconds + 120)
    m = re.search(r"Captured (\d+) samples in ([0-9.]+) seconds", text)
    path = args.root + out
    samples = 0
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                parts = line.rsplit(None, 1)
                if len(parts) == 2 and parts[1].isdigit():
                    samples += int(parts[1])
        os.unlink(path)
    if status != 0 or not m or not samples:
        raise RuntimeError("profiling.sampling failed (%d): %s" % (status, text[-400:]))
    rounds, secs = int(m.group(1)), float(m.group(2))
    return {"tool": "cpython", "rounds_hz": rounds / secs, "thread_samples": samples, "cpu_s": cpu,
            "seconds": secs, "us_per_thread_sample": cpu * 1e6 / samples}


def run_pytop(args, pid):
    out = "/tmp/pytop-vs-cpython.json"
    status, text, cpu = run_child([args.pytop, "--batch", "-f", "json", "-r", str(args.rate), "-d", str(args.seconds),
                                   "-p", str(pid), "-o", out], args.seconds + 120)
    if status != 0 or not os.path.exists(out):
        raise RuntimeError("pytop failed (%d): %s" % (status, text[-400:]))
    with open(out) as f:
        snap = json.load(f)
    os.unlink(out)
    samples = snap["samples"]
    return {"tool": "pytop", "rounds_hz": snap["achieved_rate_hz"], "thread_samples": samples, "cpu_s": cpu,
            "seconds": args.seconds, "us_per_thread_sample": cpu * 1e6 / samples if samples else None}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pytop", default=os.environ.get("PYTOP") or os.path.join(HERE, "..", "pytop"))
    parser.add_argument("--root", default="/var/cache/pytop-sid")
    parser.add_argument("--python", default="/usr/bin/python3.15")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--depth", type=int, default=30)
    parser.add_argument("--rate", type=int, default=10000)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--json-out", default=os.path.join(HERE, "vs_cpython.json"))
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("vs_cpython: needs root (chroot, a private mount namespace)")
    if not os.path.exists(args.root + args.python):
        sys.exit("vs_cpython: no %s in %s (sh tests/setup_sid_root.sh makes it)" % (args.python, args.root))
    # The target's maps name its files by their outside paths: make those
    # paths lead back into the root for the profiler that runs inside it.
    link = args.root + args.root
    made = False
    if not os.path.lexists(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink("/", link)
        made = True
    load_before = os.getloadavg()
    runs = []
    target = Target(args.root, args.python, args.threads, args.depth)
    try:
        time.sleep(1)   # every thread at depth and spinning
        for _ in range(args.pairs):
            runs.append(run_cpython(args, target.pid))
            runs.append(run_pytop(args, target.pid))
    finally:
        target.close()
        if made:
            os.unlink(link)
    result = {"machine": run_bench.machine(), "load_before": load_before, "load_after": os.getloadavg(),
              "threads": args.threads, "depth": args.depth, "rate": args.rate, "seconds": args.seconds,
              "python": args.python, "runs": runs}
    summary = {}
    for tool in ("cpython", "pytop"):
        mine = [r for r in runs if r["tool"] == tool]
        summary[tool] = {k: statistics.median(r[k] for r in mine)
                         for k in ("rounds_hz", "us_per_thread_sample", "cpu_s", "thread_samples")}
        summary[tool]["core_share"] = summary[tool]["cpu_s"] / args.seconds
    result["summary"] = summary
    c, p = summary["cpython"], summary["pytop"]
    result["verdict"] = {"rate_ratio": p["rounds_hz"] / c["rounds_hz"],
                         "cost_ratio": p["us_per_thread_sample"] / c["us_per_thread_sample"],
                         "goal_met": p["rounds_hz"] >= c["rounds_hz"] and
                         p["us_per_thread_sample"] <= c["us_per_thread_sample"] / 3}
    with open(args.json_out, "w") as f:
        json.dump(result, f, indent=1)
    print("%s, %d threads x depth %d, -r %d, %g s runs, %d pairs; load %.1f -> %.1f\n" % (
        args.python, args.threads, args.depth, args.rate, args.seconds, args.pairs, load_before[0],
        result["load_after"][0]))
    print("| tool | rounds/s (median) | CPU us per thread-sample | share of a core |")
    print("| --- | --- | --- | --- |")
    for tool in ("cpython", "pytop"):
        s = summary[tool]
        print("| %s | %.0f | %.2f | %.0f %% |" % (tool, s["rounds_hz"], s["us_per_thread_sample"],
                                                  100 * s["core_share"]))
    v = result["verdict"]
    print("\npytop/cpython: rounds %.2f, CPU per thread-sample %.2f (goal: >= 1 and <= 0.33): %s" % (
        v["rate_ratio"], v["cost_ratio"], "met" if v["goal_met"] else "missed"))
    print("\nruns: " + ", ".join("%s %.0f Hz %.2f us" % (r["tool"], r["rounds_hz"], r["us_per_thread_sample"])
                                 for r in runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
