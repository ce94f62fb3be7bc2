"""Live test: a free-threaded CPython is refused (TAP).

Run with the system python3 (automake's PY_LOG_COMPILER); the pytop under
test is $PYTOP. No free-threaded interpreter can be had here (Debian ships
none), so each release interpreter of the Debian unstable root whose
version has a _Py_DebugOffsets schema and no free-threaded table in the
registry (src/cpython/versions.txt: "3.Xt" would be one) is copied as
ROOT/tmp/pytop-ft-PID/ft-python3.X with the `free_threaded` member of its
_PyRuntime's _Py_DebugOffsets block (byte 16: after the cookie and
PY_VERSION_HEX, in every schema) set to 1, and run chrooted, sleeping:

  - --dump, --batch -d 1 and --dump --json: exit status non-zero, one line
    on stderr naming the process and saying it is a free-threaded build
    that pytop does not support (never read with the GIL build's layout)
  - the unpatched interpreter, the same way, is read (exit 0): the refusal
    is the patched byte's

A missing sid root or interpreter is a loud SKIP.
"""

import os
import shutil
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pythons  # noqa: E402
from test_newer_version import elf_symbol_offset, run  # noqa: E402

FREE_THREADED_AT = 16   # _Py_DebugOffsets: cookie[8], version, free_threaded

TARGET = r'''
import os, sys, time
open(sys.argv[1], "w").close()
time.sleep(300)
'''


def main():
    tap = pythons.Tap()
    pytop = pythons.pytop_binary()
    root = pythons.sid_root()
    ft = set(pythons._registry().get("free_threaded", []))
    minors = [(ma, mi) for ma, mi in pythons.registry_versions() if (ma, mi) >= (3, 14) and (ma, mi) not in ft]
    work = os.path.join(root, "tmp", "pytop-ft-%d" % os.getpid())
    procs = []
    try:
        for major, minor in minors:
            src = os.path.join(root, "usr", "bin", "python%d.%d" % (major, minor))
            if not os.access(src, os.X_OK):
                tap.diag("!!! no python%d.%d in %s (tests/setup_sid_root.sh)" % (major, minor, root))
                tap.skip("a free-threaded %d.%d is refused" % (major, minor),
                         "no python%d.%d in %s" % (major, minor, root))
                continue
            with open(src, "rb") as f:
                data = bytearray(f.read())
            at = elf_symbol_offset(data, "_PyRuntime")
            if not tap.ok(at is not None and data[at:at + 8] == b"xdebugpy" and data[at + FREE_THREADED_AT] == 0,
                          "python%d.%d's file holds its _Py_DebugOffsets, free_threaded 0" % (major, minor)):
                continue
            os.makedirs(work, exist_ok=True)
            data[at + FREE_THREADED_AT] = 1
            path = os.path.join(work, "ft-python%d.%d" % (major, minor))
            with open(path, "wb") as f:
                f.write(data)
            os.chmod(path, 0o755)
            script = os.path.join(work, "target.py")
            with open(script, "w") as f:
                f.write(TARGET)
            for kind, inner in (("free-threaded", path[len(root):]), ("release", src[len(root):])):
                ready = os.path.join(work, "ready-%s" % kind)
                proc = pythons.start_in_root(root, inner, script[len(root):], ready)
                procs.append(proc)
                if not tap.ok(os.path.exists(ready), "%d.%d %s copy runs" % (major, minor, kind),
                              proc.stderr.read().decode(errors="replace") if proc.poll() is not None else ""):
                    pythons.stop_in_root(procs.pop())
                    continue
                for argv in (["--dump"], ["--batch", "-d", "1"], ["--dump", "--json"]):
                    rc, out, err = run([pytop] + argv + ["-p", str(proc.pid)])
                    lines = err.strip().splitlines()
                    if kind == "release":
                        tap.ok(rc == 0, "%d.%d release: pytop %s reads it (exit 0)" % (major, minor, " ".join(argv)),
                               ["exit %s" % rc, err])
                        continue
                    tap.ok(rc not in (0, None) and len(lines) == 1 and "free-threaded" in err and
                           "does not support" in err and str(proc.pid) in err,
                           "%d.%d free-threaded: pytop %s refuses it in one line, exit %s: %s"
                           % (major, minor, " ".join(argv), rc, lines[0] if lines else ""),
                           ["exit %s" % rc, err])
                pythons.stop_in_root(procs.pop())
    finally:
        for proc in procs:
            pythons.stop_in_root(proc)
        shutil.rmtree(work, ignore_errors=True)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
