"""test_gen_new_version: adding a CPython version is installing its headers
and running tools/gen_layout.py (TAP). The newest installed headers of the
registry's newest version (the Debian unstable root's, else pyenv's) are
copied as those of the next minor version (PY_MINOR_VERSION and the
multiarch pyconfig.h path renamed) into a scratch root, and the generator
runs on a scratch copy of src/cpython and tools with only that root:

  - it writes layout_3_N.c and debug_schema_3_N.c (from 3.13 on) for the new
    version and says (NOTE) whose traits it took;
  - the registry (versions.txt, versions.c, versions.mk) lists it;
  - `--check` with none of the new version's headers keeps it in the
    registry (a committed table stays when its headers are not installed);
  - nothing else by hand: the generated versions.h's read sizes cover the
    new block and thread state (PY_VERSIONS_DEBUG_OFFSETS_READ, _TSTATE_READ:
    the C code takes its buffers from them); the new registry compiles
    (versions.c and the new files, -Wall -Werror, against the tree's
    headers); tools/capture_debug_offsets.py --plan lists the new
    version's block as the one to capture (MISSING here, exit 1: the unit
    tests' golden list is the registry's, they fail until it is captured);
    tests/unit/test_docs.py --versions on the new registry fails naming the
    README/man sentences to update (the only hand edit: prose);
  - a free-threaded build is data: the same headers as python3.Nt with
    Py_GIL_DISABLED in pyconfig.h give layout_3_Nt.c (free_threaded = 1) and
    "3.Nt" in the registry, keyed (N, 1) in versions.c.

No headers for the newest version: one loud SKIP."""

import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

SRC = os.environ.get("PYTOP_SRCDIR") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
SRC = os.path.abspath(SRC)
n = 0


def ok(cond, what, diag=""):
    global n
    n += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", n, what))
    if not cond and diag:
        for line in str(diag).splitlines()[-30:]:
            print("# " + line)


def define(text, name):
    m = re.search(r"^#define %s (\d+)$" % name, text, re.M)
    return int(m.group(1)) if m else -1


def check_rest(work, tree, cdir, new, tag, minor):
    """What else adding a version would need: nothing but the prose."""
    with open(os.path.join(cdir, "versions.h")) as f:
        h = f.read()
    with open(os.path.join(cdir, "layout_%s.c" % tag)) as f:
        ts = int(re.search(r"\.tstate_size = (\d+),", f.read()).group(1))
    size = -1
    if os.path.exists(os.path.join(cdir, "debug_schema_%s.c" % tag)):
        with open(os.path.join(cdir, "debug_schema_%s.c" % tag)) as f:
            size = int(re.search(r"\.size = (\d+),", f.read()).group(1))
    dmax, dread = define(h, "PY_VERSIONS_DEBUG_OFFSETS_MAX"), define(h, "PY_VERSIONS_DEBUG_OFFSETS_READ")
    tmax, tread = define(h, "PY_VERSIONS_TSTATE_MAX"), define(h, "PY_VERSIONS_TSTATE_READ")
    ok(dmax >= size and dread >= dmax and tmax >= ts and tread >= tmax,
       "versions.h's read sizes cover %s (block %d <= max %d <= read %d; thread state %d <= %d <= %d)"
       % (new, size, dmax, dread, ts, tmax, tread), h)
    cc = os.environ.get("CC", "cc")
    srcs = [os.path.join(cdir, n) for n in ("versions.c", "layout_%s.c" % tag, "debug_schema_%s.c" % tag)
            if os.path.exists(os.path.join(cdir, n))]
    r = subprocess.run([cc, "-std=c11", "-Wall", "-Wextra", "-Werror", "-fsyntax-only",
                        "-I", os.path.join(tree, "src"), "-I", os.path.join(SRC, "src")] + srcs,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    ok(r.returncode == 0, "the new registry compiles (%s)" % ", ".join(os.path.basename(s) for s in srcs), r.stdout)
    r = subprocess.run([sys.executable, os.path.join(tree, "tools", "capture_debug_offsets.py"), "--plan",
                        "--srcdir", tree], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True)
    ok(r.returncode == 1 and re.search(r"^MISSING real_debug_offsets_%s: python%s\b" % (tag, re.escape(new)),
                                       r.stdout, re.M) and
       re.search(r"^CAPTURE real_debug_offsets_3_%d: " % minor, r.stdout, re.M),
       "capture_debug_offsets.py --plan takes %s from the registry (its block MISSING, exit 1)" % new, r.stdout)
    r = subprocess.run([sys.executable, os.path.join(SRC, "tests", "unit", "test_docs.py"), "--versions",
                        os.path.join(cdir, "versions.txt")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True)
    bad = [l for l in r.stdout.splitlines() if l.startswith("not ok")]
    ok(r.returncode != 0 and bad and all(new in l or "3.%d" % (minor + 2) in l for l in bad) and
       "update the prose" in r.stdout,
       "test_docs.py --versions fails on the new registry until the prose says %s (%d sentences)" % (new, len(bad)),
       r.stdout)


def free_threaded(work, inc, newest, minor):
    """newest's headers as python<newest>t with Py_GIL_DISABLED: a
    free-threaded build is one more registry entry, keyed (minor, 1)."""
    name = "python%st" % newest
    fake = os.path.join(work, "ftroot", "usr", "include")
    dst = os.path.join(fake, name)
    shutil.copytree(inc, dst, symlinks=True)
    arch = glob.glob(os.path.join(os.path.dirname(inc), "*-linux-gnu", "python" + newest))
    for a in arch:
        shutil.copytree(a, os.path.join(fake, os.path.basename(os.path.dirname(a)), name), symlinks=True)
    cfgs = [os.path.join(fake, os.path.basename(os.path.dirname(a)), name, "pyconfig.h") for a in arch]
    cfgs = [c for c in cfgs if os.path.exists(c)] or [os.path.join(dst, "pyconfig.h")]
    with open(os.path.join(dst, "pyconfig.h")) as f:
        text = f.read()
    with open(os.path.join(dst, "pyconfig.h"), "w") as f:
        f.write(text.replace("python" + newest + "/", name + "/"))
    with open(cfgs[0], "a") as f:
        f.write("\n#define Py_GIL_DISABLED 1\n")
    tree = os.path.join(work, "fttree")
    shutil.copytree(os.path.join(SRC, "src", "cpython"), os.path.join(tree, "src", "cpython"))
    shutil.copytree(os.path.join(SRC, "tools"), os.path.join(tree, "tools"))
    r = subprocess.run([sys.executable, os.path.join(tree, "tools", "gen_layout.py"), "--srcdir", tree,
                        "--python-root", os.path.join(work, "ftroot")], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, universal_newlines=True)
    tag = "3_%dt" % minor
    cdir = os.path.join(tree, "src", "cpython")
    path = os.path.join(cdir, "layout_%s.c" % tag)
    text = open(path).read() if os.path.exists(path) else ""
    ok(r.returncode == 0 and ".free_threaded = 1," in text,
       "%s's headers with Py_GIL_DISABLED as %s give layout_%s.c (free_threaded = 1)" % (newest, name, tag),
       r.stdout)
    with open(os.path.join(cdir, "versions.txt")) as f:
        txt = f.read()
    with open(os.path.join(cdir, "versions.c")) as f:
        c = f.read()
    ok(re.search(r"\b%st\n" % re.escape(newest), txt) and "{ 3, %d, 1, &layout_%s," % (minor, tag) in c,
       "the registry lists %st, keyed (%d, free-threaded 1)" % (newest, minor), txt + c)


def main():
    global n
    print("TAP version 13")
    with open(os.path.join(SRC, "src", "cpython", "versions.txt")) as f:
        newest = [w for w in [line.split() for line in f if not line.startswith("#")][0] if not w.endswith("t")][-1]
    minor = int(newest.split(".")[1])
    new = "3.%d" % (minor + 1)
    roots = [os.environ.get("PYTOP_SID_ROOT", "/var/cache/pytop-sid"),
             os.path.join(os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv")), "versions")]
    inc = None
    for root in roots:
        found = sorted(glob.glob(os.path.join(root, "usr", "include", "python" + newest)) +
                       glob.glob(os.path.join(root, newest + ".*", "include", "python" + newest)))
        found = [d for d in found if os.path.isfile(os.path.join(d, "Python.h"))]
        if found:
            inc = found[-1]
            break
    if not inc:
        print("ok 1 - # SKIP no CPython %s headers under %s" % (newest, " or ".join(roots)))
        print("1..1")
        return 0
    work = tempfile.mkdtemp(prefix="pytop-gen-new-")
    try:
        fake = os.path.join(work, "root", "usr", "include")
        dst = os.path.join(fake, "python" + new)
        shutil.copytree(inc, dst, symlinks=True)
        arch = glob.glob(os.path.join(os.path.dirname(inc), "*-linux-gnu", "python" + newest))
        for a in arch:
            shutil.copytree(a, os.path.join(fake, os.path.basename(os.path.dirname(a)), "python" + new), symlinks=True)
        for name in ("patchlevel.h", "pyconfig.h"):
            path = os.path.join(dst, name)
            with open(path) as f:
                text = f.read()
            text = re.sub(r"(#define PY_MINOR_VERSION\s+)%d\b" % minor, r"\g<1>%d" % (minor + 1), text)
            text = re.sub(r'(#define PY_VERSION\s+)"%s\.\d+' % re.escape(newest), r'\g<1>"%s.0' % new, text)
            text = text.replace("python" + newest + "/", "python" + new + "/")
            with open(path, "w") as f:
                f.write(text)
        tree = os.path.join(work, "tree")
        shutil.copytree(os.path.join(SRC, "src", "cpython"), os.path.join(tree, "src", "cpython"))
        shutil.copytree(os.path.join(SRC, "tools"), os.path.join(tree, "tools"))
        gen = [sys.executable, os.path.join(tree, "tools", "gen_layout.py"), "--srcdir", tree]
        r = subprocess.run(gen + ["--python-root", os.path.join(work, "root")], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, universal_newlines=True)
        ok(r.returncode == 0, "gen_layout.py runs on %s's headers posing as %s's" % (newest, new), r.stdout)
        tag = new.replace(".", "_")
        cdir = os.path.join(tree, "src", "cpython")
        ok(os.path.exists(os.path.join(cdir, "layout_%s.c" % tag)), "it writes layout_%s.c" % tag, r.stdout)
        if minor + 1 >= 13:
            ok(os.path.exists(os.path.join(cdir, "debug_schema_%s.c" % tag)),
               "it writes debug_schema_%s.c" % tag, r.stdout)
        ok(re.search(r"^NOTE %s: .*%s's are taken" % (re.escape(new), re.escape(newest)), r.stdout, re.M),
           "it says whose traits the new version took", r.stdout)
        with open(os.path.join(cdir, "versions.txt")) as f:
            txt = f.read()
        with open(os.path.join(cdir, "versions.c")) as f:
            c = f.read()
        with open(os.path.join(cdir, "versions.mk")) as f:
            mk = f.read()
        ok(re.search(r"\b%s\n" % re.escape(new), txt) and "&layout_%s," % tag in c and
           "src/cpython/layout_%s.c" % tag in mk, "the registry lists %s (versions.txt, .c, .mk)" % new, txt)
        r = subprocess.run(gen + ["--check", "--python-root", os.path.join(work, "none")],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
        ok(r.returncode == 0 and "DIFF" not in r.stdout,
           "--check without %s's headers keeps it in the registry" % new, r.stdout)
        check_rest(work, tree, cdir, new, tag, minor)
        free_threaded(work, inc, newest, minor)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("1..%d" % n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
