#!/usr/bin/env python3
"""Benchmark: what --native costs the target (not part of `make check`).

    python3 bench/native_overhead.py [--window S] [--pairs N] [--rates 100,1000] [PYTHON ...]

Runs under the system python3. Interpreters: the PYTHON paths given, else
the newest pyenv 3.13 (tests/live/pythons.py). pytop: --pytop, else $PYTOP,
else <repo>/pytop.

For each interpreter it starts bench/workload.py with 4 CPU-bound threads
(30 Python frames deep, counting their loop iterations) and, for each rate,
alternates windows of --window seconds: unprofiled (U), profiled with
`pytop --batch --native -r RATE` (N) and, for scale, profiled without
--native (P): U N P U N P ... (--pairs rounds). Each profiled window starts
0.5 s after pytop's sampler thread does (attach, --native's loading of unwind
tables and symbols, and warm-up left out; "startup" says how long the first
two took) and ends before pytop does.

  slowdown         iterations per wall second unprofiled over profiled, the
                   median of the rounds' ratios (each profiled window against
                   the unprofiled one before it; 1.00: no cost, 1.05: 5%
                   slower), and the same per CPU second of the target
                   (process_time(): leaves out the competition for the
                   machine's CPUs)
  pause            the batch JSON's native pause per sample (median, p99)
                   of the last --native run

Results: a markdown table on stdout, everything as JSON in --json-out
(default bench/native_results.json), with the machine (nproc, CPU model,
load average before and after).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)
import run_bench  # noqa: E402

pythons = run_bench.pythons


def sampler_threads(pid):
    """pytop's thread count (2 once its sampler runs), 0 when gone."""
    try:
        return len(os.listdir("/proc/%d/task" % pid))
    except OSError:
        return 0


def profiled(pytop, wl, rate, window, native):
    """One profiled window: (throughput pair, the batch JSON)."""
    out = tempfile.NamedTemporaryFile(prefix="pytop-native-bench-", suffix=".json", delete=False)
    out.close()
    argv = [pytop, "-p", str(wl.pid), "--batch", "-f", "json", "-r", str(rate), "-d", str(window + 1.0),
            "-o", out.name] + (["--native"] if native else [])
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        # The window starts once pytop samples: its sampler thread exists
        # (with --native it is made after the unwind tables and symbols are
        # loaded, which takes a CPU for 0.5 s or more and is not what a
        # sample costs), then 0.5 s of warm-up.
        t0 = time.monotonic()
        while sampler_threads(proc.pid) < 2 and proc.poll() is None and time.monotonic() - t0 < 30:
            time.sleep(0.01)
        startup = time.monotonic() - t0
        time.sleep(0.5)
        a = wl.counters()
        time.sleep(window)
        b = wl.counters()
        _, err = proc.communicate(timeout=60)
        if proc.returncode != 0:
            raise RuntimeError("pytop %s exited %d: %s" % (" ".join(argv), proc.returncode, err.decode()[-300:]))
        with open(out.name) as f:
            snap = json.load(f)
        snap["bench_startup_s"] = startup
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.unlink(out.name)
    return run_bench.throughput(a, b), snap


def unprofiled(wl, window):
    a = wl.counters()
    time.sleep(window)
    b = wl.counters()
    return run_bench.throughput(a, b)


def ratio(base, runs, k):
    """The median of the pairs' ratios (each profiled window against the
    unprofiled one just before it: the machine's load drifts)."""
    pairs = [b[k] / r[k] for b, r in zip(base, runs) if b[k] and r[k]]
    return statistics.median(pairs) if pairs else None


def bench_one(pytop, python, rates, window, pairs, threads):
    wl = run_bench.Workload(python, threads, 30)
    result = {"python": python, "threads": threads, "window_s": window, "rates": {}}
    try:
        time.sleep(1.0)
        for rate in rates:
            u, n, p = [], [], []
            snap = None
            for _ in range(pairs):
                u.append(unprofiled(wl, window))
                t, snap = profiled(pytop, wl, rate, window, True)
                n.append(t)
                t, _ = profiled(pytop, wl, rate, window, False)
                p.append(t)
            nat = snap.get("native", {}) if snap else {}
            result["rates"][str(rate)] = {
                "unprofiled": u, "native": n, "plain": p,
                "slowdown_native": ratio(u, n, 0), "slowdown_native_cpu": ratio(u, n, 1),
                "slowdown_plain": ratio(u, p, 0), "slowdown_plain_cpu": ratio(u, p, 1),
                "achieved_rate_hz": snap.get("achieved_rate_hz") if snap else None,
                "pause_median_us": nat.get("pause_median_us"), "pause_p99_us": nat.get("pause_p99_us"),
                "partial": nat.get("partial"), "unmatched": nat.get("unmatched"),
                "startup_s": snap.get("bench_startup_s") if snap else None,
            }
    finally:
        wl.close()
    return result


def fmt(x):
    return "-" if x is None else "%.3f" % x


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pythons", nargs="*")
    ap.add_argument("--pytop", default=os.environ.get("PYTOP") or os.path.join(run_bench.REPO, "pytop"))
    ap.add_argument("--rates", default="100,1000")
    ap.add_argument("--window", type=float, default=4.0)
    ap.add_argument("--pairs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--json-out", default=os.path.join(HERE, "native_results.json"))
    o = ap.parse_args()
    pys = o.pythons or [p for p in [pythons.find_pyenv(3, 13)[0]] if p]
    if not pys:
        sys.exit("no interpreter: give one")
    rates = [int(r) for r in o.rates.split(",")]
    before = run_bench.machine()
    results = [bench_one(os.path.abspath(o.pytop), py, rates, o.window, o.pairs, o.threads) for py in pys]
    after = run_bench.machine()
    print("machine: %d CPUs, %s; load average before %s, after %s" %
          (before["nproc"], before["cpu"], before["loadavg"], after["loadavg"]))
    print()
    print("| python | rate | achieved | slowdown --native (wall / target CPU) | pause median / p99 us | "
          "slowdown without --native (wall / target CPU) | --native start-up s |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        for rate, x in r["rates"].items():
            print("| %s | %s Hz | %s Hz | %s / %s | %s / %s | %s / %s | %s |" % (
                r["python"], rate, fmt(x["achieved_rate_hz"]), fmt(x["slowdown_native"]),
                fmt(x["slowdown_native_cpu"]), fmt(x["pause_median_us"]), fmt(x["pause_p99_us"]),
                fmt(x["slowdown_plain"]), fmt(x["slowdown_plain_cpu"]), fmt(x["startup_s"])))
    with open(o.json_out, "w") as f:
        json.dump({"machine_before": before, "machine_after": after, "results": results}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
