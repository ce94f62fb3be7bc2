"""The agent's hooks measured inside one process, without injection or a
second process (an A/B check of agent.py changes; bench/agent_overhead.py
is the end-to-end measure).

    python3 bench/agent_hooks.py [--python P ...] [--reps 3] AGENT.py [AGENT2.py ...]

For each interpreter, each rep and each agent file in turn (interleaved),
a fresh interpreter runs the agent in-process (start() against a local
socket that discards what it is sent), then times in its main thread, with
time.thread_time (best of 7 loops), the CPU ns per call of g(x) = x + 1
(untraced), f (f -> mid -> leaf, leaf; f -> len) and e() (catches what its
callee raises): with no agent, on 3.6-3.11 with a global trace function
that only returns (the floor of the agent's way there), with an idle agent
(watching never()), while f is watched and while f is traced. Prints the
median over reps.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

CHILD = r'''
import sys, os, time, socket, threading, json, tempfile, functools, shutil
tt = getattr(time, "thread_time", None) or functools.partial(time.clock_gettime, time.CLOCK_THREAD_CPUTIME_ID)
def g(x): return x + 1
def leaf(x): return x + 1
def mid(x): return leaf(x) + leaf(x + 1)
def f(x): return mid(x) + len((x, x))
def e1(x): raise ValueError(x)
def e(x):
    try:
        e1(x)
    except ValueError:
        return 0
def never(x): return x
def per_call(fn, n):
    best = 1e9
    for k in range(7):
        t = tt()
        for _ in range(n):
            fn(1)
        best = min(best, tt() - t)
    return best / n * 1e9
def row():
    return [per_call(g, 100000), per_call(f, 2000), per_call(e, 20000)]
def main():
    out = {"none": row()}
    if not hasattr(sys, "monitoring"):
        # the floor of 3.6-3.11's way: a global trace function that only returns
        sys.settrace(lambda frame, event, arg: None)
        out["nop trace"] = row()
        sys.settrace(None)
    work = tempfile.mkdtemp(); path = os.path.join(work, "s")
    srv = socket.socket(socket.AF_UNIX); srv.bind(path); srv.listen(1)
    ns = {"__name__": "pytop_agent"}
    with open(sys.argv[1]) as fh:
        exec(compile(fh.read(), "agent.py", "exec"), ns)
    ns["start"](path, "tok", os.getpid())
    c, _ = srv.accept()
    answers = []
    def drain():
        buf = b""
        try:
            while True:
                d = c.recv(1 << 20)
                if not d:
                    return
                buf += d
                lines = buf.split(b"\n")
                buf = lines.pop()
                for line in lines:
                    if b'"ev":"ok"' in line or b'"ev":"error"' in line:
                        answers.append(json.loads(line.decode()))
        except OSError:
            pass
    threading.Thread(target=drain, daemon=True).start()
    def cmd(o):
        c.sendall((json.dumps(o) + "\n").encode())
        if o["cmd"] == "detach":
            return
        end = time.time() + 30
        while not any(x.get("id") == o["id"] for x in answers):
            if time.time() > end:
                raise SystemExit("no answer to %r" % (o,))
            time.sleep(0.01)
        ans = [x for x in answers if x.get("id") == o["id"]][0]
        if ans["ev"] != "ok":
            raise SystemExit("refused: %r" % (ans,))
    cmd({"cmd": "watch", "id": 1, "target": "__main__ never", "count": 10 ** 8})
    out["idle"] = row()
    cmd({"cmd": "unwatch", "id": 2})
    cmd({"cmd": "watch", "id": 3, "target": "__main__ f", "count": 10 ** 8})
    out["watch f"] = row()
    cmd({"cmd": "unwatch", "id": 4})
    cmd({"cmd": "trace", "id": 5, "target": "__main__ f", "count": 10 ** 8, "depth": 4})
    out["trace f"] = row()
    cmd({"cmd": "detach", "id": 6})
    c.close()
    shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(out))
main()
'''

PHASES = ("none", "nop trace", "idle", "watch f", "trace f")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--python", action="append", default=None)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("agents", nargs="+")
    a = ap.parse_args()
    pythons = a.python or ["/root/.pyenv/versions/3.8.18/bin/python3", "/root/.pyenv/versions/3.13.0/bin/python3"]
    print("load %.2f" % os.getloadavg()[0])
    for py in pythons:
        res = {ag: [] for ag in a.agents}
        for _ in range(a.reps):
            for ag in a.agents:
                r = subprocess.run([py, "-c", CHILD, os.path.abspath(ag)], stdout=subprocess.PIPE,
                                   universal_newlines=True, check=True)
                res[ag].append(json.loads(r.stdout))
        print("%s (load %.2f): CPU ns per call, median of %d" % (py, os.getloadavg()[0], a.reps))
        for ag in a.agents:
            cells = []
            for ph in PHASES:
                if ph not in res[ag][0]:
                    continue
                g, f, e = (statistics.median(run[ph][i] for run in res[ag]) for i in range(3))
                cells.append("%s g %.0f f %.0f e %.0f" % (ph, g, f, e))
            print("  %-28s %s" % (os.path.basename(os.path.dirname(os.path.abspath(ag))) + "/" +
                                  os.path.basename(ag), " | ".join(cells)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
