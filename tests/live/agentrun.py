"""Shared by the trace/watch live tests (test_watch.py, test_trace.py): the
target (tests/targets/agent_target.py) started on an interpreter, its own
report of what it holds, pytop --batch --watch/--trace runs, and the skip
rule for versions whose injection is not in pytop yet.
"""
import json
import os
import shutil
import subprocess
import time

from pythons import REPO, pytop_binary

TARGET = os.path.join(REPO, "tests", "targets", "agent_target.py")


class Target(object):
    """agent_target.py (or script, which writes WORKDIR/ready the same way)
    running on interp, in a work directory it can reach."""

    def __init__(self, interp, env=None, join=False, gil_block=0, script=TARGET):
        self.interp = interp
        self.work = interp.mkdtemp("pytop-twtest-")
        os.chmod(self.work, 0o755)
        e = dict(os.environ)
        e.update(env or {})
        opts = (["--join"] if join else []) + (["--gil-block", str(gil_block)] if gil_block else [])
        self.proc = subprocess.Popen(interp.argv(interp.script(script), *opts + [interp.inside(self.work)]),
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=e)
        ready = os.path.join(self.work, "ready")
        end = time.time() + 30
        while not os.path.exists(ready) and time.time() < end and self.proc.poll() is None:
            time.sleep(0.05)
        self.pid = self.proc.pid if os.path.exists(ready) else None

    def report(self, timeout=10.0):
        """The target's own report (report.json), asked for now."""
        path = os.path.join(self.work, "report.json")
        if os.path.exists(path):
            os.unlink(path)
        open(os.path.join(self.work, "report-now"), "w").close()
        end = time.time() + timeout
        while time.time() < end:
            if os.path.exists(path):
                with open(path) as f:
                    return json.load(f)
            time.sleep(0.05)
        return None

    def stop(self):
        """Stop it; returns its stderr."""
        open(os.path.join(self.work, "stop"), "w").close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        err = self.proc.stderr.read().decode(errors="replace")
        shutil.rmtree(self.work, ignore_errors=True)
        return err


def pytop(args, timeout=60):
    """Run pytop ARGS; (returncode, stdout, stderr)."""
    p = subprocess.run([pytop_binary()] + args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def not_yet(stderr):
    """pytop says the injection for this version is not in it yet (the
    pending-call injection for 3.6-3.13 lands separately)."""
    return "not yet" in stderr


def proc_status(pid):
    """(state letters of its threads, TracerPid of each) from /proc."""
    states, tracers = [], []
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
                for line in f:
                    if line.startswith("State:"):
                        states.append(line.split()[1])
                    elif line.startswith("TracerPid:"):
                        tracers.append(int(line.split()[1]))
        except OSError:
            pass
    return states, tracers


def check_clean(tap, label, target, what):
    """The target's report after WHAT (within a second): nothing of the
    agent's left, results unchanged; /proc: none of its threads stopped or
    traced."""
    # The agent has a second to end its thread and close its socket.
    end = time.time() + 1.0
    rep = target.report()
    while rep is not None and time.time() < end and (
            len(rep["threads"]) != rep["threads_before"] or rep["fds"] != rep["fds_before"]):
        time.sleep(0.1)
        rep = target.report()
    if not tap.ok(rep is not None, "%s: the target reports after %s" % (label, what)):
        return
    tap.ok(rep["profile"] is None and rep["trace"] is None and all(t is None for t in rep["tools"]),
           "%s: no profile/trace function, no sys.monitoring tool after %s" % (label, what), str(rep))
    tap.ok(len(rep["threads"]) == rep["threads_before"] and rep["fds"] == rep["fds_before"],
           "%s: no thread or fd (socket) left after %s" % (label, what), str(rep))
    tap.ok(not rep["modules"] and rep["mismatches"] == 0,
           "%s: no agent module left, the target's results unchanged after %s" % (label, what), str(rep))
    states, tracers = proc_status(target.pid)
    tap.ok(states and not any(s in "tT" for s in states) and not any(tracers),
           "%s: /proc: not stopped, not traced after %s" % (label, what), "%s %s" % (states, tracers))
