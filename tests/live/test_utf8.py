"""Live test: names that pytop cuts are cut on UTF-8 character boundaries (TAP).

Run with the system python3 (automake's PY_LOG_COMPILER); the pytop under test
is $PYTOP (absolute path; default <repo>/pytop). The interpreters come from
pythons.py (PYTOP_TEST_PYTHONS overrides them).

Per interpreter, one target burns CPU in a method whose name is 300 'é' (600
bytes: longer than the 255 bytes a sampled name keeps, and any cut at an odd
byte count lands inside a character) of a class named 200 'ê' (3.8-3.10 name
it Type.method from the type's raw tp_name; 3.11+ from co_qualname), in the
main thread, while a thread
started with _thread (so not in threading._active: its name comes from the
kernel's comm, which the kernel cuts at 15 bytes) named itself 'ééééééééé'
(18 bytes) with prctl(PR_SET_NAME) and sleeps.

  collapsed (-f collapsed -d 1): exit 0; stdout decodes as strict UTF-8; the
      hot function appears as whole 'ê'/'.'/'é' (at least 100 characters)
  json (-f json -d 1, -m wall): exit 0; stdout decodes as strict UTF-8 and
      parses; the hot function's name is whole characters only; the comm-named
      thread's name is valid (whole 'é' and at most 15 bytes)
  dump (--dump --json): exit 0; strict UTF-8
"""

import json
import os
import re
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pythons  # noqa: E402

RUN_TIMEOUT = 60
HOT = "\u00e9" * 300

TARGET = r"""
import _thread, ctypes, sys, time
def named():
    libc = ctypes.CDLL(None)
    libc.prctl(15, "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9".encode(), 0, 0, 0)
    time.sleep(1000)
_thread.start_new_thread(named, ())
exec("class " + "\u00ea" * 200 + ":\n"
     "    def " + "\u00e9" * 300 + "(self):\n"
     "        x = 0\n"
     "        while True:\n"
     "            for i in range(10000):\n"
     "                x += i\n"
     "            yield x\n", globals())
g = getattr(globals()["\u00ea" * 200](), "\u00e9" * 300)()
next(g)
sys.stdout.write("ready\n")
sys.stdout.flush()
for _ in g:
    pass
"""

def run(args):
    p = subprocess.run([pythons.pytop_binary()] + args, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=RUN_TIMEOUT)
    return p.returncode, p.stdout, p.stderr


def strict(data):
    try:
        return data.decode("utf-8", "strict")
    except UnicodeDecodeError as e:
        return e


def all_e(name):
    return len(name) > 0 and set(name) == {"\u00e9"}


def hot_name(name):
    """Class.method of whole characters ('ê'* '.' 'é'*, or a cut of it)."""
    return re.match("^\u00ea*\\.?\u00e9*$", name) is not None and len(name) >= 100


def check(tap, py):
    target = subprocess.Popen(py.argv("-c", TARGET), stdout=subprocess.PIPE)
    try:
        line = target.stdout.readline()
        if line.strip() != b"ready":
            tap.ok(False, "%s: target started" % py.label)
            return
        pid = str(target.pid)

        rc, out, err = run(["-p", pid, "-b", "-d", "1", "-f", "collapsed"])
        text = strict(out)
        tap.ok(rc == 0 and isinstance(text, str),
               "%s: collapsed output is strict UTF-8" % py.label,
               "rc %d, %r, stderr %r" % (rc, text if not isinstance(text, str) else "", err[-300:]))
        if isinstance(text, str):
            runs = [seg for ln in text.splitlines() for seg in ln.rsplit(" ", 1)[0].split(";")
                    if "\u00e9" in seg or "\u00ea" in seg]
            tap.ok(any(hot_name(s.split(" ")[0]) for s in runs),
                   "%s: the hot function shows as whole characters" % py.label,
                   "segments %r" % [s[:20] for s in runs[:3]])

        rc, out, err = run(["-p", pid, "-b", "-d", "1", "-f", "json", "-m", "wall"])
        text = strict(out)
        ok = rc == 0 and isinstance(text, str)
        tap.ok(ok, "%s: json output is strict UTF-8" % py.label,
               "rc %d, %r, stderr %r" % (rc, text if not isinstance(text, str) else "", err[-300:]))
        if ok:
            doc = json.loads(text)
            hot = [f["name"] for f in doc.get("functions", []) if "\u00e9" in f["name"] or "\u00ea" in f["name"]]
            tap.ok(hot and all(hot_name(n) for n in hot),
                   "%s: json function name is whole characters" % py.label, "names %r" % hot[:3])
            names = [t["name"] for t in doc.get("threads", []) if "\u00e9" in t.get("name", "")]
            tap.ok(names and all(all_e(n) and len(n.encode()) <= 15 for n in names),
                   "%s: the comm-named thread's name is cut on a boundary" % py.label,
                   "threads %r" % doc.get("threads"))

        rc, out, err = run(["-p", pid, "--dump", "--json"])
        tap.ok(rc == 0 and isinstance(strict(out), str), "%s: --dump --json is strict UTF-8" % py.label,
               "rc %d stderr %r" % (rc, err[-300:]))
    finally:
        target.kill()
        target.wait()


def main():
    tap = pythons.Tap()
    for py in pythons.interpreters(tap, chroot=True):
        check(tap, py)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
