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
    registry (a committed table stays when its headers are not installed).

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


def main():
    global n
    print("TAP version 13")
    with open(os.path.join(SRC, "src", "cpython", "versions.txt")) as f:
        newest = [line.split() for line in f if not line.startswith("#")][0][-1]
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
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("1..%d" % n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
