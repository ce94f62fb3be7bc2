"""Interpreters for the live tests, and the small TAP writer they share.

The live tests (test_dump.py, test_errors.py) run pytop against real CPython
processes. This module decides which interpreters to run:

* PYTOP_TEST_PYTHONS, when set: a colon- or whitespace-separated list of
  interpreter paths; each one is expected.
* Otherwise: the newest 3.X.Y for each version of pytop's generated registry
  (src/cpython/versions.txt) not taken from the Debian unstable root (today
  3.6 ... 3.13) under $PYENV_ROOT/versions/3.X.*/bin/python3 or
  ~/.pyenv/versions/3.X.*/bin/python3 (any patch release), Debian's
  statically linked /usr/bin/python3.11, and
  Debian unstable's python3.14/3.15 and their -dbg builds (python3.14d ...)
  inside the debootstrapped root of tests/setup_sid_root.sh ($PYTOP_SID_ROOT,
  default /var/cache/pytop-sid), started as `chroot ROOT /usr/bin/python3.14`
  with pytop outside the root (in a private mount namespace holding ROOT/proc,
  see chroot_prefix). A missing root is a loud SKIP per interpreter.
  In PYTOP_TEST_PYTHONS, `ROOT:/usr/bin/python3.14` ... is written
  `chroot=ROOT=/usr/bin/python3.14`.

A chrooted interpreter runs its scripts from ROOT/tmp: tests build argv with
`interp.argv(interp.script(TARGET), interp.inside(path))` and make their work
directories with `interp.mkdtemp(prefix)`, which work for every interpreter.

An expected interpreter that is missing is never a silent pass:
`interpreters(tap)` writes a TAP SKIP line for it
(`ok N - python3.9 # SKIP python3.9 not found at ...`) and yields the ones that
exist. One that exists but does not run is a TAP failure.

It also holds:

* `Tap`: numbered TAP lines, `# ` diagnostics, the plan at the end.
* `pytop_binary()`: $PYTOP (absolute path), default <repo>/pytop.
* `find_pyenv(major, minor)`: an interpreter of another version (2.7 ...)
  for the unsupported-version tests.

Runs under the system python3 (3.8+ syntax).
"""

import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def _terminated(signum, frame):
    # SIGTERM/SIGHUP (a harness or a user stopping the suite) unwinds like
    # an exception, so every test's finally block stops its target: a
    # spinning target left behind would load the next suite.
    raise SystemExit(128 + signum)


for _sig in (signal.SIGTERM, signal.SIGHUP):
    if signal.getsignal(_sig) == signal.SIG_DFL:
        signal.signal(_sig, _terminated)
REPO = os.path.dirname(os.path.dirname(HERE))

DEBIAN_PYTHON = "/usr/bin/python3.11"
# The registry's versions from 3.SID_FROM come from Debian unstable's root
# (tests/setup_sid_root.sh installs the same ones), pyenv has the older.
SID_FROM = 14


def _registry():
    """pytop's generated registry (src/cpython/versions.txt, written by
    tools/gen_layout.py): {"versions": [(major, minor)], KEY: [...]} for its
    first line of versions and each `KEY: versions` line; the default
    (GIL) builds only: a free-threaded build ("3.13t") is under
    "free_threaded"."""
    path = os.path.join(REPO, "src", "cpython", "versions.txt")
    result = {"versions": []}
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            key, _, rest = line.rpartition(":")
            vers = [tuple(int(x) for x in w.split(".")) for w in rest.split() if not w.endswith("t")]
            result[key.strip() or "versions"] = vers
            if not key.strip():
                result["free_threaded"] = [tuple(int(x) for x in w[:-1].split("."))
                                           for w in rest.split() if w.endswith("t")]
    return result


def registry_versions():
    """[(major, minor)] pytop supports, oldest first (the registry)."""
    return _registry()["versions"]



# Debian unstable's interpreters inside the sid root: release builds, then
# the -dbg ones (python3.14, python3.15, python3.14d, python3.15d today).
_SID_MINORS = [minor for major, minor in registry_versions() if major == 3 and minor >= SID_FROM]
SID_PYTHONS = tuple(["python3.%d" % m for m in _SID_MINORS] + ["python3.%dd" % m for m in _SID_MINORS])
# Minor versions pytop supports and that pyenv provides (the registry less
# the sid root's): each is expected on a developer machine or CI.
SUPPORTED_MINORS = tuple(minor for major, minor in registry_versions()
                         if major == 3 and minor not in _SID_MINORS)


def sid_root():
    """The Debian unstable root of tests/setup_sid_root.sh."""
    return os.environ.get("PYTOP_SID_ROOT") or "/var/cache/pytop-sid"


class Tap:
    """Writes TAP 13 to stdout: test points numbered as they come, plan last.

    Exit status (as tests/unit/tap.h): a test that ran to its end exits 0
    whatever its points said; a failing point is reported once, by its own
    "not ok" line (automake's TAP driver makes it a FAIL and fails the
    suite). A non-zero status means the script itself went wrong (an
    exception, a bail out, a missing plan): one ERROR."""

    def __init__(self):
        self.count = 0
        self.failed = 0
        try:
            sys.stdout.reconfigure(encoding="utf-8", errors="backslashreplace",
                                   line_buffering=True)
        except (AttributeError, ValueError):
            pass
        print("TAP version 13")

    @staticmethod
    def _clean(text):
        # '#' would start a directive, a newline a new TAP line.
        return re.sub(r"[#\n\r]", " ", str(text)).strip()

    def diag(self, text):
        for line in str(text).splitlines() or [""]:
            print("# " + line)

    def ok(self, condition, description, diagnostics=None):
        """One test point. DIAGNOSTICS (str or list of lines) shown on failure."""
        self.count += 1
        status = "ok" if condition else "not ok"
        print("%s %d - %s" % (status, self.count, self._clean(description)))
        if not condition:
            self.failed += 1
            if diagnostics:
                if isinstance(diagnostics, str):
                    diagnostics = diagnostics.splitlines()
                for line in diagnostics:
                    self.diag(line)
        return bool(condition)

    def known_bug(self, description, bug, diagnostics=None):
        """A point that failed through a listed known bug: `not ok # TODO`
        (XFAIL, not counted as a failure). A passing point stays a plain ok,
        so a fixed bug shows as passes; then its entry is removed."""
        self.count += 1
        print("not ok %d - %s # TODO known bug: %s" % (self.count, self._clean(description),
                                                       self._clean(bug)))
        if isinstance(diagnostics, str):
            diagnostics = diagnostics.splitlines()
        for line in diagnostics or []:
            self.diag(line)
        return False

    def skip(self, description, reason):
        self.count += 1
        print("ok %d - %s # SKIP %s" % (self.count, self._clean(description),
                                        self._clean(reason)))

    def bail(self, reason):
        print("Bail out! " + self._clean(reason))
        sys.exit(1)

    def done(self):
        """Print the plan; return the process exit status: 0, the plan is
        complete (the failing points have said so)."""
        print("1..%d" % self.count)
        if self.failed:
            self.diag("%d of %d points failed" % (self.failed, self.count))
        return 0


def chroot_prefix(root):
    """The command prefix that runs a program inside ROOT: chroot, in a
    private mount namespace holding ROOT/proc (the target reads its own
    /proc; the mount goes away with it). Every step execs: the program keeps
    the pid that Popen returns. [] when ROOT is None."""
    if not root:
        return []
    return ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
            'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"', root]


class Interpreter:
    """One interpreter to test: its path, a short label and its version."""

    def __init__(self, path, label, version, root=None):
        self.path = path          # as the interpreter sees it (inside root)
        self.label = label
        self.version = version
        self.root = root          # a chroot directory, or None

    def __repr__(self):
        return "Interpreter(%r, %r, %r, %r)" % (self.path, self.label, self.version, self.root)

    def argv(self, *args):
        """The command line running this interpreter with ARGS."""
        return chroot_prefix(self.root) + [self.path] + list(args)

    def script(self, path):
        """PATH as this interpreter can run it: inside a chroot, a copy in
        ROOT/tmp/pytop-targets (its path inside the root is returned)."""
        if not self.root:
            return path
        directory = os.path.join(self.root, "tmp", "pytop-targets")
        os.makedirs(directory, exist_ok=True)
        dest = os.path.join(directory, os.path.basename(path))
        # Copied whole, then renamed: another suite running at once (CI's
        # shards) may be starting the same script.
        part = "%s.%d.part" % (dest, os.getpid())
        shutil.copyfile(path, part)
        os.replace(part, dest)
        return self.inside(dest)

    def mkdtemp(self, prefix):
        """A new work directory the interpreter can reach (host path)."""
        import tempfile
        base = os.path.join(self.root, "tmp") if self.root else None
        return tempfile.mkdtemp(prefix=prefix, dir=base)

    def inside(self, host_path):
        """A host path under the root as the interpreter sees it."""
        if self.root and host_path.startswith(self.root.rstrip("/") + "/"):
            return host_path[len(self.root.rstrip("/")):]
        return host_path


def start_in_root(root, inner, script, ready, timeout=30):
    """Start INNER (a path inside ROOT) on SCRIPT (inside ROOT) with READY
    (a host path under ROOT, removed first) as its argument, chrooted; wait
    until READY exists, the process ends, or TIMEOUT s. Returns the Popen
    (stderr piped; end it with stop_in_root)."""
    if os.path.exists(ready):
        os.unlink(ready)
    proc = subprocess.Popen(chroot_prefix(root) + [inner, script, ready[len(root):]],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None and not os.path.exists(ready):
        time.sleep(0.05)
    return proc


def stop_in_root(proc):
    """Kill and reap a start_in_root process."""
    proc.kill()
    proc.wait()
    proc.stderr.close()


def pin_threads(pid, cpus):
    """Pin every thread of PID to CPUS; how many were pinned."""
    n = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            os.sched_setaffinity(int(tid), cpus)
            n += 1
        except OSError:
            pass
    return n


def pinned_hog(cpu):
    """A busy-loop process pinned to CPU (the caller kills it)."""
    return subprocess.Popen([sys.executable, "-c", "while 1: pass"],
                            preexec_fn=lambda: os.sched_setaffinity(0, {cpu}))


def proc_states(pid):
    """{tid: state letter} of PID's threads."""
    states = {}
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return states
    for tid in tids:
        try:
            with open("/proc/%d/task/%s/stat" % (pid, tid), errors="replace") as f:
                states[int(tid)] = f.read().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            pass
    return states


def thread_run_ns(pid, tid):
    """Thread TID of PID: its CPU time so far in ns (/proc schedstat), 0 if
    it cannot be read (gone)."""
    try:
        with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 0


def tracer_pid(pid):
    """PID's TracerPid (/proc status): 0 when none, or when unreadable."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("TracerPid:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def pytop_binary():
    """The pytop under test: $PYTOP, else <repo>/pytop."""
    path = os.environ.get("PYTOP")
    if not path:
        build = os.environ.get("PYTOP_BUILDDIR") or REPO
        path = os.path.join(build, "pytop")
    return os.path.abspath(path)


def pyenv_roots():
    """The pyenv `versions` directories to look in, without duplicates."""
    roots = []
    env_root = os.environ.get("PYENV_ROOT")
    if env_root:
        roots.append(os.path.join(env_root, "versions"))
    roots.append(os.path.join(os.path.expanduser("~"), ".pyenv", "versions"))
    unique = []
    for root in roots:
        if os.path.realpath(root) not in [os.path.realpath(r) for r in unique]:
            unique.append(root)
    return unique


def _executable(path):
    return os.path.isfile(path) and os.access(path, os.X_OK)


def find_pyenv(major, minor):
    """(path or None, where-looked text) for the newest pyenv MAJOR.MINOR.*."""
    pattern = re.compile(r"^%d\.%d\.(\d+)$" % (major, minor))
    exe = "python3" if major == 3 else "python"
    found = []
    looked = []
    for root in pyenv_roots():
        looked.append(os.path.join(root, "%d.%d.*" % (major, minor), "bin", exe))
        for directory in glob.glob(os.path.join(root, "%d.%d.*" % (major, minor))):
            match = pattern.match(os.path.basename(directory))
            path = os.path.join(directory, "bin", exe)
            if match and _executable(path):
                found.append((int(match.group(1)), path))
    found.sort()
    return (found[-1][1] if found else None), " or ".join(looked)


def expected_interpreters(sharded=True):
    """[(label, path or None, where it was looked for)] in test order, for
    interpreters run directly (not chrooted; see expected_with_roots); of
    every shard when not SHARDED (tests that pick one or two interpreters
    and run only in shard 0)."""
    return [(label, path, looked) for label, path, looked, root in expected_with_roots(sharded)
            if root is None]


def shard():
    """(k, n) from PYTOP_TEST_SHARD="k/n" (CI runs the interpreters in n
    shards at once, k of 0..n-1); (0, 1) when unset."""
    m = re.match(r"^\s*(\d+)\s*/\s*(\d+)\s*$", os.environ.get("PYTOP_TEST_SHARD", ""))
    if not m or int(m.group(2)) < 1 or int(m.group(1)) >= int(m.group(2)):
        return 0, 1
    return int(m.group(1)), int(m.group(2))


def in_shard(items):
    """The items (interpreters, in test order) this shard runs: every n-th
    from the k-th."""
    k, n = shard()
    return [item for i, item in enumerate(items) if i % n == k]


def expected_with_roots(sharded=True):
    """[(label, path or None, where looked, chroot dir or None)] in test
    order, of this shard (PYTOP_TEST_SHARD) unless not SHARDED."""
    every = _expected_with_roots()
    return in_shard(every) if sharded else every


def _expected_with_roots():
    listed = os.environ.get("PYTOP_TEST_PYTHONS")
    if listed is not None and listed.strip():
        result = []
        for path in re.split(r"[:\s]+", listed.strip()):
            if path.startswith("chroot="):
                _, root, inner = path.split("=", 2)
                host = os.path.join(root, inner.lstrip("/"))
                result.append((inner, inner if _executable(host) else None, host, root))
            elif path:
                result.append((path, path if _executable(path) else None, path, None))
        return result
    result = []
    for minor in SUPPORTED_MINORS:
        path, looked = find_pyenv(3, minor)
        result.append(("python3.%d" % minor, path, looked, None))
    result.append(("python3.11 (Debian, static)",
                   DEBIAN_PYTHON if _executable(DEBIAN_PYTHON) else None,
                   DEBIAN_PYTHON, None))
    root = sid_root()
    for name in SID_PYTHONS:
        inner = "/usr/bin/" + name
        host = os.path.join(root, inner.lstrip("/"))
        label = "%s (Debian unstable, chroot)" % name
        if _executable(host):
            result.append((label, inner, host, root))
        else:
            result.append((label, None, host + " (make the root with tests/setup_sid_root.sh)", root))
    return result


def query_version(path, timeout=30, root=None):
    """platform.python_version() of the interpreter at PATH (or raises)."""
    prefix = chroot_prefix(root)
    out = subprocess.run(
        prefix + [path, "-c", "import platform; print(platform.python_version())"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, timeout=timeout, check=True)
    return out.stdout.decode().strip()


def interpreters(tap, chroot=False):
    """Yield an Interpreter per expected one that runs; TAP SKIP the missing.
    CHROOT: the caller starts its targets through Interpreter.argv/script/
    mkdtemp, so chrooted interpreters can be run (else they are a SKIP)."""
    for label, path, looked, root in expected_with_roots():
        if path is None:
            tap.skip(label, "%s not found at %s" % (label, looked))
            continue
        if root and not chroot:
            tap.skip(label, "this test does not run chrooted interpreters yet")
            continue
        try:
            version = query_version(path, root=root)
        except (OSError, subprocess.SubprocessError) as exc:
            tap.ok(False, "%s at %s runs" % (label, path), str(exc))
            continue
        if root:
            short = "%s[chroot %s]" % (version, os.path.basename(path))
        elif path.startswith(tuple(pyenv_roots())):
            short = "%s[pyenv]" % version
        else:
            short = "%s[%s]" % (version, path)
        yield Interpreter(path, short, version, root)


if __name__ == "__main__":
    # Show what the live tests would run.
    _tap = Tap()
    for _interp in interpreters(_tap, chroot=True):
        _tap.ok(True, "%s %s" % (_interp.label, _interp.path))
    sys.exit(_tap.done())
