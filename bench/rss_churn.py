#!/usr/bin/env python3
"""Benchmark: pytop's memory over a long run against thread churn (issue 15:
"RSS flat after warm-up over 10 minutes, with thread churn"; not part of
`make check`).

    python3 bench/rss_churn.py [--minutes 10] [--rate 1000] [--spawners 4] [--every 10] [PYTHON]

Runs under the system python3. PYTHON: the interpreter of the target
(default: pyenv's 3.13.0). pytop:
--pytop, else $PYTOP, else <repo>/pytop.

It starts tests/targets/churn_target.py (--spawners threads, each starting
short-lived worker threads one after another: hundreds of threads a second
are born and end) and `pytop --batch -r RATE -d MINUTES*60 -f json` on it,
and reads pytop's VmRSS and VmHWM from /proc every --every seconds. After
warm-up (the first minute) the RSS must stay flat: the verdict compares the
last reading with the one at the end of the first minute (growth in kB and
%), and the snapshot says how many threads were sampled.

Results: a line per reading and the verdict on stdout, everything as JSON in
--json-out (default bench/rss_churn.json).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)
import run_bench  # noqa: E402

TARGET = os.path.join(HERE, "..", "tests", "targets", "churn_target.py")


def status_kb(pid):
    out = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    out[line.split(":")[0]] = int(line.split()[1])
    except OSError:
        pass
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("python", nargs="?", default=None)
    parser.add_argument("--pytop", default=os.environ.get("PYTOP") or os.path.join(HERE, "..", "pytop"))
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--spawners", type=int, default=4)
    parser.add_argument("--every", type=float, default=10)
    parser.add_argument("--json-out", default=os.path.join(HERE, "rss_churn.json"))
    args = parser.parse_args()
    python = args.python or "/root/.pyenv/versions/3.13.0/bin/python3"
    if not os.path.exists(python):
        sys.exit("rss_churn: no interpreter %s (give one)" % python)
    seconds = args.minutes * 60
    ready = tempfile.NamedTemporaryFile(prefix="pytop-rss-ready-", delete=False).name
    os.unlink(ready)
    target = subprocess.Popen([python, TARGET, "--spawners", str(args.spawners), "--ready", ready,
                               "--exit-after", str(seconds + 120)], stdin=subprocess.DEVNULL)
    snap = tempfile.NamedTemporaryFile(prefix="pytop-rss-", suffix=".json", delete=False).name
    readings = []
    try:
        deadline = time.monotonic() + 30
        while not os.path.exists(ready) and time.monotonic() < deadline:
            time.sleep(0.05)
        if not os.path.exists(ready):
            sys.exit("rss_churn: the target did not start")
        pytop = subprocess.Popen([args.pytop, "--batch", "-f", "json", "-r", str(args.rate), "-d", str(seconds),
                                  "-o", snap, "-p", str(target.pid)], stdin=subprocess.DEVNULL)
        t0 = time.monotonic()
        while pytop.poll() is None:
            time.sleep(args.every)
            st = status_kb(pytop.pid)
            if not st:
                break
            elapsed = time.monotonic() - t0
            readings.append({"t": round(elapsed, 1), "rss_kb": st.get("VmRSS"), "hwm_kb": st.get("VmHWM")})
            print("%6.0f s  RSS %6d kB  HWM %6d kB" % (elapsed, st.get("VmRSS", 0), st.get("VmHWM", 0)), flush=True)
        status = pytop.wait()
    finally:
        target.kill()
        target.wait()
        try:
            os.unlink(ready)
        except OSError:
            pass
    with open(snap) as f:
        s = json.load(f)
    os.unlink(snap)
    warm = [r for r in readings if r["t"] >= 60] or readings
    first, last = warm[0], readings[-1]
    growth = last["rss_kb"] - first["rss_kb"]
    result = {"machine": run_bench.machine(), "python": python, "rate": args.rate, "minutes": args.minutes,
              "spawners": args.spawners, "pytop_status": status, "samples": s.get("samples"),
              "threads": len(s.get("threads", [])), "achieved_rate_hz": s.get("achieved_rate_hz"),
              "readings": readings, "warm_rss_kb": first["rss_kb"], "end_rss_kb": last["rss_kb"],
              "growth_kb": growth, "growth_pct": 100.0 * growth / first["rss_kb"] if first["rss_kb"] else None}
    with open(args.json_out, "w") as f:
        json.dump(result, f, indent=1)
    print("\n%s, %d spawners, -r %d, %.0f min: %s samples of %s threads; RSS %d kB after the first minute, "
          "%d kB at the end (%+d kB, %+.1f %%); HWM %d kB" % (
              python, args.spawners, args.rate, args.minutes, s.get("samples"), result["threads"], first["rss_kb"],
              last["rss_kb"], growth, result["growth_pct"] or 0, last["hwm_kb"]))
    return 0 if status == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
