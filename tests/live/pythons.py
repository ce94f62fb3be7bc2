"""Interpreters for the live tests, and the small TAP writer they share.

The live tests (test_dump.py, test_errors.py) run pytop against real CPython
processes. This module decides which interpreters to run:

* PYTOP_TEST_PYTHONS, when set: a colon- or whitespace-separated list of
  interpreter paths; each one is expected.
* Otherwise: the newest 3.X.Y for each of 3.8 ... 3.13 under
  $PYENV_ROOT/versions/3.X.*/bin/python3 or ~/.pyenv/versions/3.X.*/bin/python3
  (any patch release), and Debian's statically linked /usr/bin/python3.11.

An expected interpreter that is missing is never a silent pass:
`interpreters(tap)` writes a TAP SKIP line for it
(`ok N - python3.9 # SKIP python3.9 not found at ...`) and yields the ones that
exist. One that exists but does not run is a TAP failure.

It also holds:

* `Tap`: numbered TAP lines, `# ` diagnostics, the plan at the end.
* `pytop_binary()`: $PYTOP (absolute path), default <repo>/pytop.
* `find_pyenv(major, minor)`: an interpreter of another version (3.7, 2.7 ...)
  for the unsupported-version tests.

Runs under the system python3 (3.8+ syntax).
"""

import glob
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

# Minor versions pytop supports; each is expected on a developer machine or CI.
SUPPORTED_MINORS = (8, 9, 10, 11, 12, 13)
DEBIAN_PYTHON = "/usr/bin/python3.11"


class Tap:
    """Writes TAP 13 to stdout: test points numbered as they come, plan last."""

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

    def skip(self, description, reason):
        self.count += 1
        print("ok %d - %s # SKIP %s" % (self.count, self._clean(description),
                                        self._clean(reason)))

    def bail(self, reason):
        print("Bail out! " + self._clean(reason))
        sys.exit(1)

    def done(self):
        """Print the plan; return the process exit status."""
        print("1..%d" % self.count)
        return 1 if self.failed else 0


class Interpreter:
    """One interpreter to test: its path, a short label and its version."""

    def __init__(self, path, label, version):
        self.path = path
        self.label = label
        self.version = version

    def __repr__(self):
        return "Interpreter(%r, %r, %r)" % (self.path, self.label, self.version)


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


def expected_interpreters():
    """[(label, path or None, where it was looked for)] in test order."""
    listed = os.environ.get("PYTOP_TEST_PYTHONS")
    if listed is not None and listed.strip():
        result = []
        for path in re.split(r"[:\s]+", listed.strip()):
            if path:
                result.append((path, path if _executable(path) else None, path))
        return result
    result = []
    for minor in SUPPORTED_MINORS:
        path, looked = find_pyenv(3, minor)
        result.append(("python3.%d" % minor, path, looked))
    result.append(("python3.11 (Debian, static)",
                   DEBIAN_PYTHON if _executable(DEBIAN_PYTHON) else None,
                   DEBIAN_PYTHON))
    return result


def query_version(path, timeout=30):
    """platform.python_version() of the interpreter at PATH (or raises)."""
    out = subprocess.run(
        [path, "-c", "import platform; print(platform.python_version())"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, timeout=timeout, check=True)
    return out.stdout.decode().strip()


def interpreters(tap):
    """Yield an Interpreter per expected one that runs; TAP SKIP the missing."""
    for label, path, looked in expected_interpreters():
        if path is None:
            tap.skip(label, "%s not found at %s" % (label, looked))
            continue
        try:
            version = query_version(path)
        except (OSError, subprocess.SubprocessError) as exc:
            tap.ok(False, "%s at %s runs" % (label, path), str(exc))
            continue
        if path.startswith(tuple(pyenv_roots())):
            short = "%s[pyenv]" % version
        else:
            short = "%s[%s]" % (version, path)
        yield Interpreter(path, short, version)


if __name__ == "__main__":
    # Show what the live tests would run.
    _tap = Tap()
    for _interp in interpreters(_tap):
        _tap.ok(True, "%s %s" % (_interp.label, _interp.path))
    sys.exit(_tap.done())
