"""Live test of pytop's error handling (TAP).

Run with the system python3 (automake's PY_LOG_COMPILER); the pytop under test
is $PYTOP (absolute path; default <repo>/pytop).

Every error case asserts the same contract: pytop exits with a non-zero status,
is not killed by a signal, does not hang (each run has a timeout), and prints
exactly one line on stderr, starting with `pytop: `, that says what is wrong:

  no such process   a PID that does not exist; the message says
                    "no such process"
  not Python        `sleep 100`; the message says it is not a CPython process
                    and names the symbol looked for, `_PyRuntime`
  no permission     pytop run as nobody (setpriv --reuid=65534 ...) against a
                    root-owned Python; the message mentions permission and
                    ptrace / CAP_SYS_PTRACE (SKIP, loudly, when not root or
                    setpriv is missing)
  exiting target    Pythons that churn threads and deep stacks and exit (or
                    os._exit) after a random short delay, dumped in a loop while
                    they live and once more as a zombie: every run either
                    succeeds (exit 0, one JSON object) or fails cleanly as
                    above; never a signal death or a hang (per interpreter
                    from pythons.py; seeds are printed)
  unsupported       pyenv Python 2.7 (3.6 and 3.7 are supported now): the
                    message names the version ("2.7") and the supported
                    range from the registry ("3.6 to 3.15") (SKIP, loudly,
                    when not installed)
  bad options       unknown option, -p without a value, a non-numeric PID,
                    --dump without -p: usage error, exit status exactly 2
"""

import json
import os
import random
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pythons  # noqa: E402

RUN_TIMEOUT = 30          # seconds for one pytop run
TARGETS_PER_PYTHON = 8    # exiting targets per interpreter
NOBODY = 65534

SLEEPER = ("import sys, time\n"
           "sys.stdout.write('ready\\n'); sys.stdout.flush()\n"
           "time.sleep(100)\n")

# Threads churning deep stacks, then exit at a random moment (seeded by argv).
CHURN = r"""
import os, random, sys, threading, time
random.seed(int(sys.argv[1]))
end = time.monotonic() + random.uniform(0.05, 0.5)
def recurse(n):
    if n > 0:
        return recurse(n - 1)
    time.sleep(random.uniform(0, 0.002))
def worker():
    while time.monotonic() < end:
        recurse(random.randint(0, 60))
def spawner():
    while time.monotonic() < end:
        t = threading.Thread(target=recurse, args=(random.randint(0, 30),))
        t.start()
        t.join()
for _ in range(3):
    threading.Thread(target=worker, daemon=True).start()
threading.Thread(target=spawner, daemon=True).start()
sys.stdout.write("ready\n")
sys.stdout.flush()
while time.monotonic() < end:
    recurse(20)
if random.random() < 0.5:
    os._exit(0)
"""


class Run:
    def __init__(self, argv, rc, stdout, stderr, timed_out):
        self.argv = argv
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.timed_out = timed_out

    def describe(self):
        lines = ["command: %s" % " ".join(self.argv)]
        if self.timed_out:
            lines.append("TIMED OUT after %d s (killed)" % RUN_TIMEOUT)
        elif self.rc < 0:
            lines.append("KILLED BY SIGNAL %d (%s)" % (
                -self.rc, signal.Signals(-self.rc).name))
        else:
            lines.append("exit status %d" % self.rc)
        lines.append("stderr: %r" % self.stderr[:1000])
        if self.stdout:
            lines.append("stdout: %r" % self.stdout[:300])
        return lines


def run(argv, timeout=RUN_TIMEOUT):
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = proc.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        timed_out = True
    return Run(argv, proc.returncode, out.decode("utf-8", "replace"),
               err.decode("utf-8", "replace"), timed_out)


def clean_failure(result, exit_status=None):
    """([problems]) for the error contract; empty when it holds."""
    problems = []
    if result.timed_out:
        return ["pytop hung (killed after %d s)" % RUN_TIMEOUT]
    if result.rc < 0:
        return ["pytop was killed by signal %s" % signal.Signals(-result.rc).name]
    if result.rc == 0:
        problems.append("exit status 0, expected non-zero")
    elif exit_status is not None and result.rc != exit_status:
        problems.append("exit status %d, expected %d" % (result.rc, exit_status))
    lines = result.stderr.splitlines()
    if len(lines) != 1:
        problems.append("stderr has %d lines, expected exactly 1" % len(lines))
    if not lines or not lines[0].startswith("pytop: "):
        problems.append("stderr does not start with 'pytop: '")
    return problems


def message(result):
    return result.stderr.strip()


def start_ready(argv):
    """Start ARGV; wait (20 s at most) for it to print 'ready'. Popen or None."""
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    ready, _, _ = select.select([proc.stdout], [], [], 20)
    if ready and proc.stdout.readline().strip() == b"ready":
        return proc
    stop(proc)
    return None


def stop(proc):
    if proc is None:
        return
    if proc.poll() is None:
        proc.kill()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
    if proc.stdout:
        proc.stdout.close()


def error_case(tap, description, result, checks, exit_status=None):
    """One TAP point: the error contract plus CHECKS [(ok, what)] on it."""
    problems = clean_failure(result, exit_status)
    if not result.timed_out and (result.rc or 0) >= 0:
        problems.extend(what for ok, what in checks if not ok)
    passed = tap.ok(not problems, description, problems + result.describe())
    if passed:
        tap.diag("message: %s" % message(result))
    return passed


def free_pid():
    """A PID that is not in use (one just freed; Linux does not reuse soon)."""
    proc = subprocess.Popen(["true"])
    proc.wait()
    pid = proc.pid
    if os.path.exists("/proc/%d" % pid):
        with open("/proc/sys/kernel/pid_max") as f:
            pid = int(f.read()) - 1
        while os.path.exists("/proc/%d" % pid):
            pid -= 1
    return pid


def test_no_such_process(tap, pytop):
    pid = free_pid()
    result = run([pytop, "--dump", "-p", str(pid)])
    error_case(tap, "PID %d that does not exist" % pid, result,
               [("no such process" in message(result).lower(),
                 "message does not say 'no such process'")])


def test_not_python(tap, pytop):
    proc = subprocess.Popen(["sleep", "100"], stdin=subprocess.DEVNULL)
    try:
        time.sleep(0.2)
        result = run([pytop, "--dump", "-p", str(proc.pid), "--json"])
    finally:
        stop(proc)
    text = message(result)
    error_case(tap, "a non-Python process (sleep 100)", result,
               [("cpython" in text.lower() and "not" in text.lower(),
                 "message does not say it is not a CPython process"),
                ("_PyRuntime" in text,
                 "message does not name _PyRuntime, what was looked for")])


def test_no_permission(tap, pytop):
    description = "no permission: pytop as nobody against a root-owned Python"
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0:
        tap.skip(description, "not running as root, cannot drop to nobody")
        return
    if setpriv is None:
        tap.skip(description, "setpriv not found (util-linux)")
        return
    # A copy nobody can surely execute, whatever the build tree's modes.
    tmp = tempfile.mkdtemp(prefix="pytop-perm-")
    proc = None
    try:
        os.chmod(tmp, 0o755)
        copy = os.path.join(tmp, "pytop")
        shutil.copy2(pytop, copy)
        os.chmod(copy, 0o755)
        proc = start_ready([sys.executable, "-c", SLEEPER])
        if proc is None:
            tap.ok(False, description, ["the root-owned Python did not start"])
            return
        result = run([setpriv, "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY,
                      "--clear-groups", "--", copy, "--dump", "-p",
                      str(proc.pid)])
    finally:
        stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)
    text = message(result).lower()
    error_case(tap, description, result,
               [("permission" in text, "message does not mention permission"),
                ("ptrace" in text,
                 "message does not mention ptrace / CAP_SYS_PTRACE")])


def test_exiting_target(tap, pytop, interp, rng):
    ok_runs = clean_errors = zombie_runs = runs = 0
    problems = []
    messages = {}
    seeds = [rng.randrange(1 << 30) for _ in range(TARGETS_PER_PYTHON)]
    for seed in seeds:
        proc = start_ready(interp.argv("-c", CHURN, str(seed)))
        if proc is None:
            problems.append("seed %d: target did not start" % seed)
            continue
        try:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                state = process_state(proc.pid)
                mode = ["--json"] if runs % 2 == 0 else []
                result = run([pytop, "--dump", "-p", str(proc.pid)] + mode)
                runs += 1
                if state == "Z":
                    zombie_runs += 1
                trouble = judge(result, proc.pid, bool(mode))
                if trouble:
                    problems.append("seed %d:" % seed)
                    problems.extend("  " + t for t in trouble + result.describe())
                elif result.rc == 0:
                    ok_runs += 1
                else:
                    clean_errors += 1
                    kind = re.sub(r"\d+", "N", message(result))
                    messages[kind] = messages.get(kind, 0) + 1
                if state in ("Z", None):
                    break
        finally:
            stop(proc)
    tap.ok(not problems,
           "%s: target exiting while read: %d runs, %d succeeded, %d failed "
           "cleanly (%d against a zombie), seeds %s" % (
               interp.label, runs, ok_runs, clean_errors, zombie_runs,
               ",".join(map(str, seeds))),
           problems[:80])
    for kind, count in sorted(messages.items(), key=lambda m: -m[1]):
        tap.diag("  %dx %s" % (count, kind))


def process_state(pid):
    """The state letter of PID ('Z' for a zombie), or None if it is gone."""
    try:
        with open("/proc/%d/stat" % pid, errors="replace") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def judge(result, pid, as_json):
    """Problems with a run against an exiting target: success or clean error."""
    if result.timed_out or result.rc < 0:
        return clean_failure(result)
    if result.rc == 0:
        if as_json:
            try:
                obj = json.loads(result.stdout)
            except ValueError as exc:
                return ["exit 0 but stdout is not one JSON object: %s" % exc]
            if not isinstance(obj, dict) or obj.get("pid") != pid:
                return ["exit 0 but the JSON is not a dump of pid %d" % pid]
        elif not result.stdout.startswith("Process %d:" % pid):
            return ["exit 0 but stdout does not start with 'Process %d:'" % pid]
        return []
    return clean_failure(result)


def test_unsupported(tap, pytop):
    registry = pythons.registry_versions()
    supported = "%d.%d to %d.%d" % (registry[0] + registry[-1])
    for major, minor in ((2, 7),):
        version = "%d.%d" % (major, minor)
        description = "unsupported Python %s: message names the version" % version
        path, looked = pythons.find_pyenv(major, minor)
        if path is None:
            tap.skip(description, "python%s not found at %s" % (version, looked))
            continue
        proc = start_ready([path, "-c", SLEEPER])
        try:
            if proc is None:
                tap.ok(False, description, ["%s did not start" % path])
                continue
            result = run([pytop, "--dump", "-p", str(proc.pid)])
        finally:
            stop(proc)
        error_case(tap, description + " (%s)" % path, result,
                   [(version in message(result),
                     "message does not name version %s" % version),
                    (supported in message(result),
                     "message does not name the supported range %s" % supported)])


def test_bad_options(tap, pytop):
    cases = [
        ("unknown option", ["--no-such-option"]),
        ("-p without a value", ["--dump", "-p"]),
        ("non-numeric PID", ["--dump", "-p", "abc"]),
        ("PID with trailing garbage", ["--dump", "-p", "12abc"]),
        ("--dump without -p", ["--dump"]),
        ("--blocking with --nonblocking", ["--dump", "--blocking", "--nonblocking", "-p", "1"]),
    ]
    for what, args in cases:
        result = run([pytop] + args)
        error_case(tap, "bad options, %s (pytop %s): usage error, exit 2" % (
            what, " ".join(args)), result, [], exit_status=2)


def main():
    tap = pythons.Tap()
    pytop = pythons.pytop_binary()
    if not (os.path.isfile(pytop) and os.access(pytop, os.X_OK)):
        tap.bail("pytop binary not found at %s (set PYTOP)" % pytop)
    tap.diag("pytop: %s" % pytop)
    test_no_such_process(tap, pytop)
    test_not_python(tap, pytop)
    test_no_permission(tap, pytop)
    test_unsupported(tap, pytop)
    test_bad_options(tap, pytop)
    seed = int(os.environ.get("PYTOP_TEST_SEED", random.randrange(1 << 30)))
    tap.diag("exiting-target seed %d (set PYTOP_TEST_SEED to repeat)" % seed)
    rng = random.Random(seed)
    for interp in list(pythons.interpreters(tap, chroot=True)):
        test_exiting_target(tap, pytop, interp, rng)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
