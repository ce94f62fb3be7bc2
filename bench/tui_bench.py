#!/usr/bin/env python3
"""Cost of pytop's live view (not part of `make check`).

    python3 bench/tui_bench.py [--python PATH] [--rate HZ] [--threads T]
                               [--seconds S] [--presses N] [--size WxH]
                               [--mode cpu|wall|gil]

Runs under the system python3 and needs tmux. It starts bench/workload.py
(T CPU-bound threads, 20 frames deep) under PYTHON (default: the newest
pyenv 3.x that tests/live/pythons.py finds), then the pytop under test ($PYTOP,
else <repo>/pytop) as `pytop -r HZ -p PID` inside a private tmux server at
WxH (with -m MODE), and measures:

  UI thread CPU   the CPU time of pytop's main thread (the only thread that
                  drains the ring, aggregates and draws; its tid is pytop's
                  pid) from /proc/PID/task/PID/stat over S seconds of steady
                  state, as a percentage of one CPU; the sampler thread's
                  the same way, for scale
  key latency     N times: send `c` (window <-> cumulative, which changes the
                  status line) with tmux send-keys and poll capture-pane until
                  the screen shows the change; median, 95th percentile, max
                  (this includes tmux's own delivery and capture time: the
                  same poll on an unchanged screen is reported as the floor)
  inside pytop    the same keys timed by pytop itself (PYTOP_TUI_STATS=FILE:
                  from reading the key to the end of the redraw), which
                  leaves out tmux and the scheduler
  drops           the Drops field of the header at the end

Prints a small markdown table. Everything is killed at the end (the tmux
server, pytop, the workload), whatever happens.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "live"))
import pythons  # noqa: E402

SOCKET = "pytop-bench-%d" % os.getpid()
CLK_TCK = os.sysconf("SC_CLK_TCK")


def tmux(*args, check=True):
    return subprocess.run(["tmux", "-L", SOCKET] + list(args), check=check,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=10).stdout.decode("utf-8", "replace")


def capture():
    return tmux("capture-pane", "-p")


def task_cpu(pid, tid):
    with open("/proc/%d/task/%d/stat" % (pid, tid)) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def sampler_tid(pid):
    for tid in sorted(int(t) for t in os.listdir("/proc/%d/task" % pid)):
        if tid != pid:
            return tid
    return None


def newest_python():
    for minor in reversed(pythons.SUPPORTED_MINORS):
        path, _ = pythons.find_pyenv(3, minor)
        if path:
            return path
    return sys.executable


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--python", default=None)
    ap.add_argument("--rate", type=float, default=10000)
    ap.add_argument("--threads", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--presses", type=int, default=20)
    ap.add_argument("--size", default="120x40")
    ap.add_argument("--mode", default="cpu", help="pytop -m: cpu, wall or gil")
    opts = ap.parse_args()
    python = opts.python or newest_python()
    pytop = pythons.pytop_binary()
    width, height = opts.size.split("x")
    work = subprocess.Popen([python, os.path.join(HERE, "workload.py"),
                             "--threads", str(opts.threads), "--depth", "20"],
                            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        line = work.stdout.readline().decode()
        if not line.startswith("ready"):
            sys.exit("workload did not start: %r" % line)
        stats = "/tmp/pytop-tui-bench-%d.stats" % os.getpid()
        tmux("new-session", "-d", "-x", width, "-y", height,
             "PYTOP_TUI_STATS=%s %s -r %g -m %s -p %d" % (stats, pytop, opts.rate, opts.mode,
                                                         work.pid))
        tmux("set-option", "-g", "remain-on-exit", "on", check=False)
        pane_pid = int(tmux("display", "-p", "#{pane_pid}").strip())
        deadline = time.monotonic() + 10
        while "Drops" not in capture():
            if time.monotonic() > deadline:
                sys.exit("pytop did not draw:\n" + capture())
            time.sleep(0.05)
        time.sleep(3)                       # steady state
        sampler = sampler_tid(pane_pid)
        ui0, s0, t0 = task_cpu(pane_pid, pane_pid), task_cpu(pane_pid, sampler), time.monotonic()
        time.sleep(opts.seconds)
        ui1, s1, t1 = task_cpu(pane_pid, pane_pid), task_cpu(pane_pid, sampler), time.monotonic()
        ui_pct = 100 * (ui1 - ui0) / (t1 - t0)
        sampler_pct = 100 * (s1 - s0) / (t1 - t0)

        # The floor: one capture of an unchanged screen.
        floor = []
        for _ in range(opts.presses):
            a = time.monotonic()
            capture()
            floor.append(time.monotonic() - a)
        lat = []
        for i in range(opts.presses):
            before = capture().splitlines()[-2]
            want = "all samples" if "last refresh" in before else "last refresh"
            a = time.monotonic()
            tmux("send-keys", "c")
            while True:
                status = capture().splitlines()[-2]
                if want in status or "cumulative" in status and want == "all samples" \
                        or "over the last" in status and want == "last refresh":
                    break
                if time.monotonic() - a > 5:
                    sys.exit("no change after a key: %r" % status)
                time.sleep(0.002)      # do not starve pytop of the CPU
            lat.append(time.monotonic() - a)
            time.sleep(0.2)
        header = capture().splitlines()[2]
        tmux("send-keys", "q")
        deadline = time.monotonic() + 10
        while not os.path.exists(stats) and time.monotonic() < deadline:
            time.sleep(0.05)
        inside = "?"
        if os.path.exists(stats):
            with open(stats) as f:
                inside = f.read().strip()
            os.unlink(stats)
        drops = re.search(r"Drops (\d+)", header)
        ms = lambda v: "%.1f ms" % (v * 1000)
        lat.sort()
        print("| pytop -r %g -m %s, %d-thread target (%s), %sx%s | |" % (
            opts.rate, opts.mode, opts.threads, os.path.basename(os.path.dirname(os.path.dirname(python))),
            width, height))
        print("|---|---|")
        print("| UI thread CPU (drain + aggregate + draw) | %.1f%% of one CPU |" % ui_pct)
        print("| sampler thread CPU | %.1f%% |" % sampler_pct)
        print("| key latency, median / p95 / max (%d presses) | %s / %s / %s |" % (
            len(lat), ms(statistics.median(lat)), ms(lat[int(0.95 * (len(lat) - 1))]), ms(lat[-1])))
        print("| capture-pane floor (median) | %s |" % ms(statistics.median(floor)))
        print("| inside pytop, key read to redraw done | %s |" % inside)
        print("| drops at the end | %s |" % (drops.group(1) if drops else "?"))
        print("| header | `%s` |" % header.strip())
        with open("/proc/loadavg") as f:
            print("| load average (1 min) | %s |" % f.read().split()[0])
        print("| CPUs | %d |" % os.cpu_count())
    finally:
        subprocess.run(["tmux", "-L", SOCKET, "kill-server"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=10)
        try:
            os.unlink(os.path.join(os.environ.get("TMUX_TMPDIR") or "/tmp",
                                   "tmux-%d" % os.getuid(), SOCKET))
        except OSError:
            pass
        if work.poll() is None:
            work.terminate()
            try:
                work.wait(timeout=5)
            except subprocess.TimeoutExpired:
                work.kill()


if __name__ == "__main__":
    main()
