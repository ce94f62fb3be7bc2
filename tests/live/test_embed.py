"""Live test: CPython 3.14/3.15 as a shared libpython3.1X.so embedded in a
small C program (tests/targets/embed_python.c), running chrooted inside the
Debian unstable root of tests/setup_sid_root.sh, pytop outside it (TAP).

For each of libpython3.14 and libpython3.15 (and the -dbg libpython3.1Xd) it
builds the program with the host's cc against the root's headers and library,
starts it on a script that parks at a known line, and checks that
`pytop --dump --json` finds _PyRuntime in the library (not the executable),
reads the version and gives the exact frames. A missing root, library or cc
is a loud SKIP.
"""

import json
import os
import shutil
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pythons  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.normpath(os.path.join(HERE, "..", "targets", "embed_python.c"))
LIBS = tuple(name[len("python"):] for name in pythons.SID_PYTHONS)   # 3.14 ... 3.15d
SCRIPT = """import sys, time
def leaf():
    sys.stdout.write("ready\\n"); sys.stdout.flush()
    while True:
        time.sleep(0.05)
def middle():
    leaf()
middle()
"""
WANT = [("leaf", 5), ("middle", 7), ("<module>", 8)]


def build(root, lib, out):
    """Compile embed_python.c against ROOT's libpython<lib>; None or an error."""
    inc = os.path.join(root, "usr", "include", "python" + lib)
    libdir = os.path.join(root, "usr", "lib", "x86_64-linux-gnu")
    argv = [os.environ.get("CC", "cc"), "-o", out, SOURCE, "-I", inc,
            "-idirafter", os.path.join(root, "usr", "include"), "-L", libdir, "-lpython" + lib,
            # the library's own needs are the root's, resolved when it runs there
            "-Wl,--unresolved-symbols=ignore-in-shared-libs", "-Wl,-rpath-link," + libdir]
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    return None if r.returncode == 0 else r.stdout.decode(errors="replace")


def main():
    tap = pythons.Tap()
    pytop = pythons.pytop_binary()
    root = pythons.sid_root()
    cc = shutil.which(os.environ.get("CC", "cc"))
    for lib in LIBS:
        label = "libpython%s embedded (chroot)" % lib
        so = os.path.join(root, "usr", "lib", "x86_64-linux-gnu", "libpython%s.so" % lib)
        if not os.path.exists(so):
            tap.skip(label, "%s not found (make the root with tests/setup_sid_root.sh)" % so)
            continue
        if not cc:
            tap.skip(label, "no C compiler")
            continue
        work = os.path.join(root, "tmp", "pytop-targets")
        os.makedirs(work, exist_ok=True)
        exe = os.path.join(work, "embed_python" + lib)
        err = build(root, lib, exe)
        if not tap.ok(err is None, "%s: builds" % label, err):
            continue
        script = os.path.join(work, "embed_target.py")
        with open(script, "w") as f:
            f.write(SCRIPT)
        inside = lambda p: p[len(root.rstrip("/")):]
        proc = subprocess.Popen(pythons.chroot_prefix(root) + [inside(exe), inside(script)],
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            line = proc.stdout.readline()
            if not tap.ok(line.strip() == b"ready", "%s: target started" % label,
                          proc.stderr.read().decode(errors="replace") if proc.poll() is not None else None):
                continue
            # "ready" is written just before the loop: dump until the
            # target is in it (it only moves forward), at most 20 times.
            for _ in range(20):
                r = subprocess.run([pytop, "--dump", "--json", "-p", str(proc.pid)], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, timeout=30, universal_newlines=True)
                try:
                    dump = json.loads(r.stdout)
                except ValueError:
                    dump = None
                if dump is None or [(f.get("name"), f.get("line")) for t in dump.get("threads", [])
                                    for f in t.get("frames", [])] == WANT:
                    break
            tap.ok(r.returncode == 0 and dump is not None, "%s: --dump --json exits 0 with JSON" % label,
                   r.stderr)
            if dump is None:
                continue
            major_minor = lib.rstrip("d")
            tap.ok(str(dump.get("python", "")).startswith(major_minor + "."),
                   "%s: the version is %s.x (got %r)" % (label, major_minor, dump.get("python")))
            frames = [(f.get("name"), f.get("line")) for t in dump.get("threads", []) for f in t.get("frames", [])]
            tap.ok(frames == WANT and all(f.get("file") == inside(script)
                                          for t in dump["threads"] for f in t["frames"]),
                   "%s: frames exact (leaf:5, middle:7, <module>:8)" % label,
                   "got %r" % dump.get("threads"))
        finally:
            proc.kill()
            proc.wait(timeout=10)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
