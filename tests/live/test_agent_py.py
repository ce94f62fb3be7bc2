"""pytop's injected agent (src/agent/agent.py) on real interpreters, without
pytop: each interpreter runs tests/targets/agent_target.py, which execs the
agent and calls start(SOCKET, TOKEN) as the bootstrap does; this script is
pytop's side of the socket (a small JSON-lines server). Checks: the hello
and its token; watch of known functions shows their exact arguments,
results and exceptions; conditions and -e filter; bad reprs are contained;
trace trees nest with child cost <= parent and stop after COUNT; an unknown
name is an error listing the nearest names; after detach, and after the
server vanishes mid-watch, the target reports no profile or trace function,
no sys.monitoring tool, no extra thread or fd, no pytop module, and its own
results unchanged. Also: a __repr__ written in Python is never run; a
newline in a file name is escaped in the text; generators and functions
sharing one wrapper's code are refused, functools.wraps is followed;
FILE:LINE finds the function whose code starts there (a function, a
method, a nested class's staticmethod and property, a functools.wraps
function by its decorator's line, code exec'd under another file name),
refuses a shared wrapper's line naming both users, and a line where no
function starts or an unknown file with the nearest functions/files; a
trace refuses cProfile (3.6-3.11) or leaves its tool id free (3.12+) and
chains to the program's Python profile function; a start that fails after
hooking (or a program with threading.settrace) leaves nothing behind; a
start in another pid does nothing.

    python3 tests/live/test_agent_py.py      (PYTOP_TEST_PYTHONS as the other live tests)
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pythons import REPO, Tap, interpreters  # noqa: E402

AGENT = os.path.join(REPO, "src", "agent", "agent.py")
TARGET = os.path.join(REPO, "tests", "targets", "agent_target.py")
TOKEN = "t0k3n-0123456789abcdef"


class Conn(object):
    """pytop's end of one agent connection."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.events = []

    def send(self, obj):
        self.sock.sendall((json.dumps(obj) + "\n").encode())

    def read(self, pred, timeout=10.0):
        """Events until pred(event) holds for one; returns it (or None)."""
        end = time.time() + timeout
        while time.time() < end:
            while b"\n" in self.buf:
                line, self.buf = self.buf.split(b"\n", 1)
                ev = json.loads(line.decode("ascii"))
                self.events.append(ev)
                if pred(ev):
                    return ev
            self.sock.settimeout(max(0.01, end - time.time()))
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                break
            if not data:
                return None
            self.buf += data
        return None

    def collect(self, job_id, timeout=10.0):
        """The events of job job_id up to its "done" (or an error)."""
        got = []
        ev = self.read(lambda e: e.get("id") == job_id and e["ev"] in ("done", "error")
                       or (e.get("id") == job_id and e["ev"] in ("watch", "trace") and got.append(e)), timeout)
        return got, ev


def fake_pytop(interp, backlog=1):
    """A work directory the interpreter reaches, and the fake pytop's
    socket listening in it: (work, sockpath, server socket)."""
    work = interp.mkdtemp("pytop-agenttest-")
    os.chmod(work, 0o755)
    sockpath = os.path.join(work, "s")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(sockpath)
    srv.listen(backlog)
    return work, sockpath, srv


def start_target(interp, work, sockpath):
    agent = os.path.join(work, "agent.py")
    shutil.copyfile(AGENT, agent)
    return subprocess.Popen(interp.argv(interp.script(TARGET), interp.inside(work), interp.inside(agent),
                                        interp.inside(sockpath), TOKEN),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def report(work, timeout=10.0):
    path = os.path.join(work, "report.json")
    if os.path.exists(path):
        os.unlink(path)
    open(os.path.join(work, "report-now"), "w").close()
    end = time.time() + timeout
    while time.time() < end:
        if os.path.exists(path):
            with open(path) as f:
                return json.load(f)
        time.sleep(0.05)
    return None


def check_clean(tap, label, rep, what):
    if not tap.ok(rep is not None, "%s: the target reports after %s" % (label, what)):
        return
    tap.ok(rep["profile"] is None and rep["trace"] is None,
           "%s: no profile or trace function after %s" % (label, what), str(rep))
    tap.ok(all(t is None for t in rep["tools"]), "%s: no sys.monitoring tool id in use after %s" % (label, what),
           str(rep["tools"]))
    tap.ok(len(rep["threads"]) == rep["threads_before"], "%s: no thread left after %s" % (label, what),
           str(rep["threads"]))
    tap.ok(rep["fds"] == rep["fds_before"], "%s: no fd left after %s" % (label, what),
           "%s vs %s" % (rep["fds"], rep["fds_before"]))
    tap.ok(not rep["modules"], "%s: no pytop module in sys.modules after %s" % (label, what), str(rep["modules"]))
    tap.ok(rep["mismatches"] == 0, "%s: the target's results unchanged" % label, str(rep["mismatches"]))


def source_lines(path):
    """{text a line starts with (stripped): its first line number} of path."""
    lines = {}
    with open(path) as f:
        for n, text in enumerate(f, 1):
            key = text.strip()
            for k in (key, key.split("(")[0] + "(" if "(" in key else key):
                lines.setdefault(k, n)
    return lines


def run_one(tap, interp):
    label = interp.label
    minor = tuple(int(x) for x in interp.version.split(".")[:2])
    work, sockpath, srv = fake_pytop(interp)
    srv.settimeout(20)
    proc = start_target(interp, work, sockpath)
    try:
        try:
            s, _ = srv.accept()
        except socket.timeout:
            out, err = proc.communicate(timeout=5) if proc.poll() is not None else (b"", b"")
            tap.ok(False, "%s: the agent connects" % label, err.decode(errors="replace"))
            return
        c = Conn(s)
        hello = c.read(lambda e: e["ev"] == "hello")
        tap.ok(hello and hello["token"] == TOKEN and hello["pid"] == proc.pid or
               (hello and hello["token"] == TOKEN and interp.root),
               "%s: hello with the token" % label, str(hello))

        # watch add: args and return values exactly.
        c.send({"cmd": "watch", "id": 1, "target": "__main__ add", "count": 3})
        ok = c.read(lambda e: e.get("id") == 1)
        tap.ok(ok and ok["ev"] == "ok" and ok["name"] == "__main__.add", "%s: watch __main__ add accepted" % label,
               str(ok))
        got, done = c.collect(1)
        good = len(got) == 3 and all(
            e["ev"] == "watch" and e["values"][0][0] == "args" and e["values"][1][0] == "return_obj" and
            e["values"][0][1] == "(%d, 1)" % (int(e["values"][1][1]) - 1) and e["exc"] is None and
            e["thread"] == "MainThread" and e["cost_ms"] >= 0 for e in got)
        tap.ok(good and done and done["ev"] == "done", "%s: watch add: 3 calls, args (i, 1), return i+1, then done"
               % label, json.dumps(got + [done]))

        # watch a method with --expr over target/kwargs, and a condition.
        c.send({"cmd": "watch", "id": 2, "target": "__main__.Shop.price", "count": 2,
                "exprs": "target.__class__.__name__, args, kwargs, return_obj", "cond": "return_obj == 10"})
        got, done = c.collect(2)
        tap.ok(len(got) == 2 and all(e["values"] == [["target.__class__.__name__", "'Shop'"],
                                                      ["args", "('apple', 2)"], ["kwargs", "{}"],
                                                      ["return_obj", "10"]] for e in got),
               "%s: watch Shop.price with a condition: target, args (positional parameters, qty=2 among them), kwargs, return only where return_obj == 10"
               % label, json.dumps(got))

        # -e: calls that raised, with the exception.
        c.send({"cmd": "watch", "id": 3, "target": "__main__ fail", "count": 2, "errors": True})
        got, done = c.collect(3)
        tap.ok(len(got) == 2 and all(e["exc"] and e["exc"].startswith("ValueError('bad ") and
                                     e["values"][1][1] == "None" for e in got),
               "%s: watch -e fail: the ValueError shown" % label, json.dumps(got))

        # Bad reprs are contained.
        c.send({"cmd": "watch", "id": 4, "target": "__main__ take", "count": 2, "exprs": "args"})
        got, done = c.collect(4)
        vals = sorted(e["values"][0][1] for e in got)
        tap.ok(len(vals) == 2 and re.match(r"^\(<__main__\.Evil object at 0x[0-9a-f]+>,\)$", vals[0]) and
               vals[1] == "([<recursion>],)",
               "%s: a __repr__ written in Python is not run (the object shown by class and address), a self-holding "
               "list shown safely" % label, str(vals))

        # A newline in a file name does not forge a line of text.
        c.send({"cmd": "trace", "id": 30, "target": "__main__ nl_func", "count": 1})
        got, done = c.collect(30)
        text = got[0].get("text", "") if got else ""
        tap.ok(len(got) == 1 and text.count("\n") == 2 and "nl\\nfile.py" in text,
               "%s: trace text: the file name's newline escaped (two lines)" % label, json.dumps(got))

        # Generators refused; functools.wraps followed; shared wrapper code refused.
        c.send({"cmd": "watch", "id": 31, "target": "__main__ ticks", "count": 1})
        err = c.read(lambda e: e.get("id") == 31)
        tap.ok(err and err["ev"] == "error" and "generator/coroutine" in err["msg"],
               "%s: watch a generator: refused" % label, str(err))
        c.send({"cmd": "watch", "id": 32, "target": "__main__ charge", "count": 3, "exprs": "args, return_obj"})
        got, done = c.collect(32)
        tap.ok(len(got) == 3 and all(e["values"][1][1] == str(2 * int(e["values"][0][1][1:-2])) for e in got),
               "%s: watch a functools.wraps-decorated charge: only charge's calls (return 2 * arg)" % label,
               json.dumps(got))
        c.send({"cmd": "watch", "id": 33, "target": "__main__ plain_a", "count": 1})
        err = c.read(lambda e: e.get("id") == 33)
        tap.ok(err and err["ev"] == "error" and "plain_a" in err["msg"] and "plain_b" in err["msg"],
               "%s: watch a function sharing its wrapper's code: refused, naming both" % label, str(err))

        # cProfile: refused on 3.6-3.11 (its C profiler cannot be chained),
        # traced on 3.12+ with tool id 2 left to it (enable() would fail:
        # a mismatch in the target).
        c.send({"cmd": "trace", "id": 34, "target": "__main__ prof_inner", "count": 1})
        got, done = c.collect(34)
        if minor >= (3, 12):
            tap.ok(len(got) == 1 and done and done["ev"] == "done",
                   "%s: trace under cProfile (sys.monitoring): traced" % label, json.dumps(got + [done]))
        else:
            tap.ok(not got and done and done["ev"] == "error" and "cProfile" in done["msg"],
                   "%s: trace under cProfile: refused with an error" % label, json.dumps(got + [done]))
        # The program's Python profile function keeps seeing calls during a trace.
        c.send({"cmd": "trace", "id": 35, "target": "__main__ chain_inner", "count": 3})
        got, done = c.collect(35)
        tap.ok(len(got) == 3 and all([n.get("name") for n in e["nodes"]][:2] == ["chain_inner", "leaf"] for e in got),
               "%s: trace under the program's profile function: traced" % label, json.dumps(got))
        rep = report(work)
        tap.ok(rep is not None and rep["mismatches"] == 0,
               "%s: the program's profile function saw leaf during the trace, cProfile.enable() never failed"
               % label, str(rep))

        # trace outer: nested tree, child <= parent, stops after COUNT.
        c.send({"cmd": "trace", "id": 5, "target": "__main__ outer", "count": 2, "depth": 4})
        got, done = c.collect(5)
        good = len(got) == 2
        for e in got:
            names = [(n["d"], n.get("name")) for n in e["nodes"]]
            want = [(0, "outer"), (1, "middle"), (2, "leaf"), (3, "time.sleep"), (2, "leaf"), (3, "time.sleep"),
                    (1, "leaf"), (2, "time.sleep")]
            if names != want:
                good = False
                tap.diag("%s: tree %s" % (label, names))
            # each node's cost covers its children
            nodes = e["nodes"]
            for i, n in enumerate(nodes):
                kids = 0.0
                for m in nodes[i + 1:]:
                    if m["d"] <= n["d"]:
                        break
                    if m["d"] == n["d"] + 1:
                        kids += m["ms"]
                if kids > n["ms"] + 0.01:
                    good = False
            if not (abs(nodes[0]["ms"] - e["cost_ms"]) < 0.5 and e["cost_ms"] >= 12):
                good = False
        tap.ok(good and done and done["ev"] == "done" and done["n"] == 2,
               "%s: trace outer: 2 trees outer>middle>leaf>sleep, children within parents, then done" % label,
               json.dumps(got)[:3000])

        # depth cuts (the calls below it folded), min_ms folds the short nodes.
        c.send({"cmd": "trace", "id": 6, "target": "__main__ outer", "count": 1, "depth": 1})
        got, done = c.collect(6)
        tap.ok(len(got) == 1 and [(n["d"], n.get("name"), n.get("folded")) for n in got[0]["nodes"]] ==
               [(0, "outer", None), (1, "middle", None), (2, None, 2), (1, "leaf", None), (2, None, 1)],
               "%s: trace depth 1: outer, middle and leaf, their calls folded" % label, json.dumps(got))
        c.send({"cmd": "trace", "id": 16, "target": "__main__ outer", "count": 1, "depth": 5, "min_ms": 2000})
        got, done = c.collect(16)
        tap.ok(len(got) == 1 and [(n["d"], n.get("name"), n.get("folded")) for n in got[0]["nodes"]] ==
               [(0, "outer", None), (1, None, 2)],
               "%s: trace min_ms 2000: the two 6 ms children folded" % label, json.dumps(got))

        # unknown names: an error with the nearest.
        c.send({"cmd": "watch", "id": 7, "target": "__main__ ad", "count": 1})
        err = c.read(lambda e: e.get("id") == 7)
        tap.ok(err and err["ev"] == "error" and "add" in err["msg"],
               "%s: unknown name: error listing the nearest (add)" % label, str(err))
        c.send({"cmd": "watch", "id": 8, "target": "__mian__ add", "count": 1})
        err = c.read(lambda e: e.get("id") == 8)
        tap.ok(err and err["ev"] == "error" and "__main__" in err["msg"],
               "%s: unknown module: error listing the nearest (__main__)" % label, str(err))

        # FILE:LINE, what the live view's T and W send: the file as the
        # code says (the ok of a watch by name gives it), the first line.
        where = ok["file"]
        lines = source_lines(TARGET)

        def by_location(job_id, line, count=1, exprs=None, name=None):
            c.send({"cmd": "watch", "id": job_id, "target": "%s:%d" % (name or where, line), "count": count,
                    "exprs": exprs})
            return c.read(lambda e: e.get("id") == job_id)

        ev = by_location(40, lines["def add("], count=2)
        got, done = c.collect(40)
        tap.ok(ev and ev["ev"] == "ok" and ev["name"] == "__main__.add" and ev["line"] == lines["def add("] and
               len(got) == 2 and all(e["values"][0][1] == "(%d, 1)" % (int(e["values"][1][1]) - 1) for e in got),
               "%s: FILE:LINE of add: __main__.add, its calls (i, 1) -> i+1" % label, json.dumps([ev] + got))
        ev = by_location(41, lines["def price("], exprs="type(target).__name__, args")
        got, done = c.collect(41)
        tap.ok(ev and ev["ev"] == "ok" and ev["name"] == "__main__.Shop.price" and len(got) == 1 and
               got[0]["values"][0][1] == "'Shop'" and got[0]["values"][1][1].startswith("('apple', "),
               "%s: FILE:LINE of a method: __main__.Shop.price, target is the Shop" % label, json.dumps([ev] + got))
        for job_id, key, want in ((42, "@staticmethod", "__main__.Shop.Till.ring"),
                                  (43, "@property", "__main__.Shop.Till.total")):
            ev = by_location(job_id, lines[key])
            c.send({"cmd": "cancel", "id": job_id})
            tap.ok(ev and ev["ev"] == "ok" and ev["name"] == want,
                   "%s: FILE:LINE of a nested class's %s: %s" % (label, key[1:], want), str(ev))
        ev = by_location(44, lines["@logged"], count=2, exprs="args, return_obj")
        got, done = c.collect(44)
        tap.ok(ev and ev["ev"] == "ok" and ev["name"] == "__main__.charge" and len(got) == 2 and
               all(e["values"][1][1] == str(2 * int(e["values"][0][1][1:-2])) for e in got),
               "%s: FILE:LINE of a functools.wraps function (its decorator's line): __main__.charge, its calls only"
               % label, json.dumps([ev] + got))
        ev = by_location(45, lines["@functools.wraps(f)"])
        tap.ok(ev and ev["ev"] == "error" and "charge" in ev["msg"] and "refund" in ev["msg"],
               "%s: FILE:LINE of a wrapper two functions share: refused naming both" % label, str(ev))
        ev = by_location(46, lines["def add("] + 1)
        tap.ok(ev and ev["ev"] == "error" and "no function starts at" in ev["msg"] and
               "__main__.add (line %d)" % lines["def add("] in ev["msg"],
               "%s: FILE:LINE where no function starts: error naming the nearest (add)" % label, str(ev))
        ev = by_location(47, 1, name="nl\nfile.py")
        c.send({"cmd": "cancel", "id": 47})
        tap.ok(ev and ev["ev"] == "ok" and ev["name"] == "__main__.nl_func",
               "%s: FILE:LINE of code compiled under another file name (exec): __main__.nl_func" % label, str(ev))
        ev = by_location(48, 3, name=os.path.join(os.path.dirname(where), "agent_targe.py"))
        tap.ok(ev and ev["ev"] == "error" and "no loaded module has the file" in ev["msg"] and where in ev["msg"],
               "%s: FILE:LINE of an unknown file: error naming the nearest file" % label, str(ev))

        # cancel: a request stops by its id.
        c.send({"cmd": "watch", "id": 20, "target": "__main__ add", "count": 1000000})
        c.read(lambda e: e.get("id") == 20 and e["ev"] == "watch")
        c.send({"cmd": "cancel", "id": 20})
        c.read(lambda e: e.get("id") == 20 and e["ev"] == "ok" and e.get("cmd") == "cancel")
        late = c.read(lambda e: e.get("id") == 20 and e["ev"] == "watch", timeout=0.5)
        tap.ok(late is None, "%s: cancel: no call of request 20 after its ok" % label, str(late))

        # detach: bye, EOF, then the target is clean.
        c.send({"cmd": "watch", "id": 9, "target": "__main__ add", "count": 1000000})
        c.read(lambda e: e.get("id") == 9 and e["ev"] == "watch")
        t0 = time.time()
        if minor >= (3, 12):
            rep = report(work)
            tap.ok(rep is not None and rep["tools"][3] == "pytop",
                   "%s: sys.monitoring: pytop takes a free tool id (3), not cProfile's 2" % label,
                   str(rep and rep["tools"]))
        c.send({"cmd": "detach"})
        bye = c.read(lambda e: e["ev"] == "bye")
        eof = c.read(lambda e: False, timeout=2) is None and c.sock.recv(1) == b""
        tap.ok(bye and eof and time.time() - t0 < 1.0, "%s: detach: bye and EOF within a second (%.3f s)"
               % (label, time.time() - t0), str(bye))
        s.close()
        time.sleep(0.3)
        check_clean(tap, label, report(work), "detach")
    finally:
        open(os.path.join(work, "stop"), "w").close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        srv.close()

    # pytop vanishes mid-watch and mid-trace: the agent unhooks within a second.
    shutil.rmtree(work, ignore_errors=True)
    work, sockpath, srv = fake_pytop(interp)
    srv.settimeout(20)
    proc = start_target(interp, work, sockpath)
    try:
        s, _ = srv.accept()
        c = Conn(s)
        c.read(lambda e: e["ev"] == "hello")
        c.send({"cmd": "watch", "id": 1, "target": "__main__ add", "count": 1000000})
        c.send({"cmd": "trace", "id": 2, "target": "__main__ outer", "count": 1000000})
        c.read(lambda e: e.get("id") == 2 and e["ev"] == "trace")
        s.shutdown(socket.SHUT_RDWR)
        s.close()
        time.sleep(1.0)
        check_clean(tap, label, report(work), "the socket closed mid-watch")
    except socket.timeout:
        tap.ok(False, "%s: the agent connects (second run)" % label)
    finally:
        open(os.path.join(work, "stop"), "w").close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        err = proc.stderr.read().decode(errors="replace")
        tap.ok(proc.returncode == 0 and not err, "%s: the target exits 0 with nothing on stderr" % label, err)
        srv.close()
        shutil.rmtree(work, ignore_errors=True)


FAILING_START = r"""
import gc, json, os, sys, threading
agent, sock, mode = sys.argv[1], sys.argv[2], sys.argv[3]
def fds():
    return sorted(os.listdir("/proc/self/fd"))
def mine(frame, event, arg):
    return None
before = fds()
ns = {"__name__": "__pytop_agent__"}
with open(agent) as f:
    exec(compile(f.read(), agent, "exec"), ns)
if mode == "thread":
    real = threading.Thread.start
    def refuse(self):
        raise RuntimeError("can't start new thread")
    threading.Thread.start = refuse
elif mode == "hook":
    threading.settrace(mine)
got = "started"
if mode == "restore":
    # a detach seen by the trace's profile function mid-call: the
    # program's own profile function comes back, not None
    import _thread
    seen = []
    def prog_prof(frame, event, arg):
        seen.append(event)
    a = ns["Agent"](sock, "tok")
    a.prev_profiles[_thread.get_ident()] = prog_prof
    sys.setprofile(a._profile)
    a.stop = True
    len([])
    def f():
        pass
    f()
    back = sys.getprofile()
    sys.setprofile(None)
    restored = "restored" if back is prog_prof and seen else "not restored: %r %r" % (back, seen)
    del a, back
    mode = "pid"     # and the rest as in another pid
try:
    if ns["start"](sock, "tok", os.getpid() + 1 if mode == "pid" else os.getpid()) is None:
        got = "nothing"
except Exception as e:
    got = "failed: %s" % e
if mode == "thread":
    threading.Thread.start = real
if sys.argv[3] == "restore":
    got = restored if got == "nothing" else "restore: " + got
del ns
gc.collect()
hook = getattr(threading, "_trace_hook", None)
print(json.dumps({"got": got, "trace": repr(sys.gettrace()) if sys.gettrace() else None,
                  "hook": None if hook is None else ("mine" if hook is mine else repr(hook)),
                  "fds": fds() == before, "threads": threading.active_count()}))
"""


def failing_starts(tap, interp):
    """Starts that fail after hooking, a program with threading.settrace,
    and a start in another pid: nothing left behind."""
    label = interp.label
    minor = tuple(int(x) for x in interp.version.split(".")[:2])
    work, sockpath, srv = fake_pytop(interp, 8)
    agent = os.path.join(work, "agent.py")
    shutil.copyfile(AGENT, agent)
    script = os.path.join(work, "failing.py")
    with open(script, "w") as f:
        f.write(FAILING_START)
    try:
        for mode in ("thread", "hook", "pid", "restore"):
            if mode == "hook" and minor >= (3, 12):
                continue
            p = subprocess.run(interp.argv(interp.inside(script), interp.inside(agent), interp.inside(sockpath), mode),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
            try:
                r = json.loads(p.stdout.decode().strip().splitlines()[-1])
            except (ValueError, IndexError):
                tap.ok(False, "%s: failing start (%s) reports" % (label, mode), p.stderr.decode(errors="replace"))
                continue
            want = {"thread": "failed: can't start new thread",
                    "hook": "failed: the program has a threading.settrace function (debugger or coverage)",
                    "pid": "nothing", "restore": "restored"}[mode]
            tap.ok(r["got"] == want and r["trace"] is None and r["hook"] == ("mine" if mode == "hook" else None) and
                   r["fds"] and r["threads"] == 1,
                   "%s: start %s: %s; no trace function, the threading hook as it was, no fd or thread left"
                   % (label, {"thread": "whose thread cannot start", "hook": "in a program with threading.settrace",
                              "pid": "in another pid",
                              "restore": "(in another pid) after a detach seen mid-trace: the program's profile "
                                         "function"}[mode], want.split(":")[0]), str(r))
    finally:
        srv.close()
        shutil.rmtree(work, ignore_errors=True)


def main():
    tap = Tap()
    for interp in interpreters(tap, chroot=True):
        run_one(tap, interp)
        failing_starts(tap, interp)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
