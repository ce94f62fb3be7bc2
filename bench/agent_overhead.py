"""What trace/watch cost the target (issue 12): the rest of the program's
speed while another function is watched, and the watched function's own
slowdown.

    python3 bench/agent_overhead.py [--pytop ./pytop] [--python /usr/bin/python3.14 --root /var/cache/pytop-sid]

Runs a target that calls g() (never watched) in a loop and f() once every
1000 iterations, reporting g's calls per second of its thread's own CPU
time (so other load on the machine counts less) every 0.5 s; measures
before, during `pytop --batch --watch '__main__ f'` and during a watch of
g itself (-n large, -d 3, output discarded). Prints the medians.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

TARGET = r'''
import sys, time
def g(x):
    return x + 1
def f(x):
    return x * 2
out = open(sys.argv[1], "a", buffering=1)
i = 0
t0 = time.perf_counter(); c0 = time.thread_time(); n = 0
while True:
    g(i); n += 1; i += 1
    if i % 1000 == 0:
        f(i)
        t = time.perf_counter()
        if t - t0 >= 0.5:
            c = time.thread_time()
            out.write("%f %f\n" % (time.time(), n / max(c - c0, 1e-6)))
            t0 = t; c0 = c; n = 0
'''


def rates(path, since, until):
    with open(path) as f:
        rows = [tuple(map(float, line.split())) for line in f if line.strip()]
    return [r for t, r in rows if since <= t <= until]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pytop", default="./pytop")
    ap.add_argument("--python", default="/usr/bin/python3.14")
    ap.add_argument("--root", default="/var/cache/pytop-sid")
    a = ap.parse_args()
    base = os.path.join(a.root, "tmp") if a.root else None
    work = tempfile.mkdtemp(prefix="pytop-bench-", dir=base)
    os.chmod(work, 0o755)
    script, log = os.path.join(work, "t.py"), os.path.join(work, "rates")
    with open(script, "w") as f:
        f.write(TARGET)
    inside = (lambda p: p[len(a.root.rstrip("/")):]) if a.root else (lambda p: p)
    prefix = (["unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
               'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"', a.root] if a.root else [])
    p = subprocess.Popen(prefix + [a.python, inside(script), inside(log)])
    try:
        time.sleep(3)
        t0 = time.time()
        time.sleep(3)
        before = rates(log, t0, time.time())
        res = {"before": statistics.median(before)}
        for what in ("f", "g"):
            t1 = time.time()
            subprocess.run([a.pytop, "-p", str(p.pid), "--batch", "--watch", "__main__ " + what, "-n", "100000000",
                            "-d", "4", "-o", "/dev/null"], check=False)
            t2 = time.time()
            res["watching " + what] = statistics.median(rates(log, t1 + 1, t2 - 0.5))
        time.sleep(2)
        t3 = time.time()
        time.sleep(3)
        res["after"] = statistics.median(rates(log, t3, time.time()))
    finally:
        p.kill()
        p.wait()
        shutil.rmtree(work, ignore_errors=True)
    for k, v in res.items():
        print("%-12s g() calls per CPU s %12.0f  (%+.1f%%)" % (k, v, 100.0 * (v / res["before"] - 1)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
