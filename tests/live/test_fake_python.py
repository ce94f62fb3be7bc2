"""Live test: pytop against a process that imitates CPython 3.13 (TAP).

Run with the system python3 (automake's PY_LOG_COMPILER); the pytop under test
is $PYTOP (absolute path; default <repo>/pytop). The target is
tests/targets/fake_python (built by `make check`; $FAKE_PYTHON overrides): it
exports _PyRuntime starting with a real 3.13.0 _Py_DebugOffsets block, with
one field changed by its arguments, or with a looping list.

  sane block: --dump exits 0 and shows its one thread
  sane block, sys.modules pointing at 0x41 bytes: --dump exits 0 (the audit's
      crash needed dict_values 2000 on top of this: see the next case)
  hostile offsets (tstate_size 5000, dict_values 2000 with the rest of
      _PyRuntime and sys.modules 0x41 bytes: the audit's segfault at
      0x414141414140), long_digit 60, code_filename 300, tstate_next 400,
      iframe_owner 512, unicode_ascii_data 4096): pytop exits non-zero, is not
      killed by a signal, and prints exactly one line `pytop: ...` on stderr
      that names the field
  loop-interp / loop-thread: --dump exits non-zero with one line (not 64 or
      4096 copies of one interpreter / thread)
  loop-thread --batch -d 1 -f json: exit 0; the thread is sampled at most
      once per round (samples <= 2 x rate x duration) and errors are counted
"""

import json
import os
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pythons  # noqa: E402

RUN_TIMEOUT = 30
HERE = os.path.dirname(os.path.abspath(__file__))

CASES = [
    (["set", "18", "5000"], "tstate_size"),
    (["fill", "57", "2000"], "dict_values"),
    (["set", "62", "60"], "long_digit"),
    (["set", "34", "300"], "code_filename"),
    (["set", "20", "400"], "tstate_next"),
    (["set", "32", "512"], "iframe_owner"),
    (["set", "69", "4096"], "unicode_ascii_data"),
]


def fake_binary():
    path = os.environ.get("FAKE_PYTHON")
    if path:
        return path
    for root in (os.getcwd(), os.path.join(HERE, "..", "..")):
        cand = os.path.join(root, "tests", "targets", "fake_python")
        if os.access(cand, os.X_OK):
            return os.path.abspath(cand)
    return None


class Fake:
    def __init__(self, binary, args):
        self.p = subprocess.Popen([binary] + args, stdout=subprocess.PIPE)
        self.ready = self.p.stdout.readline().strip() == b"ready"
        self.pid = str(self.p.pid)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.p.kill()
        self.p.wait()


def run(args):
    p = subprocess.run([pythons.pytop_binary()] + args, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=RUN_TIMEOUT)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def one_error_line(tap, rc, err, desc, must=None):
    lines = err.splitlines()
    ok = (rc > 0 and len(lines) == 1 and lines[0].startswith("pytop: ") and
          (must is None or must in lines[0]))
    tap.ok(ok, desc, "rc %d, stderr %r" % (rc, err[-400:]))


def main():
    tap = pythons.Tap()
    binary = fake_binary()
    if not binary:
        tap.skip("fake_python", "tests/targets/fake_python not built (make check builds it)")
        return tap.done()

    with Fake(binary, []) as f:
        rc, out, err = run(["--dump", "-p", f.pid])
        tap.ok(f.ready and rc == 0 and out.count("\nThread ") == 1,
               "sane block: --dump shows one thread", "rc %d out %r err %r" % (rc, out[-300:], err[-300:]))

    with Fake(binary, ["fill", "0", "0x030d00f0"]) as f:
        rc, out, err = run(["--dump", "-p", f.pid])
        tap.ok(f.ready and rc == 0 and out.count("\nThread ") == 1,
               "real block, sys.modules a dict of 0x41 bytes: --dump survives and shows one thread",
               "rc %d out %r err %r" % (rc, out[-300:], err[-300:]))

    for args, field in CASES:
        with Fake(binary, args) as f:
            rc, out, err = run(["--dump", "-p", f.pid])
            one_error_line(tap, rc, err, "%s: --dump refuses, naming %s" % (" ".join(args), field), field)
        if field == "tstate_size":
            with Fake(binary, args) as f:
                rc, out, err = run(["-b", "-d", "1", "-p", f.pid])
                one_error_line(tap, rc, err, "%s: --batch refuses, naming %s" % (" ".join(args), field), field)

    # A free-threaded build (free_threaded = 1, gil->enabled at the start of
    # the GIL state as Py_GIL_DISABLED has it) is refused in one line, never
    # read with the GIL build's layout.
    with Fake(binary, ["set", "1", "1", "15", "7752"]) as f:
        rc, out, err = run(["--dump", "-p", f.pid])
        one_error_line(tap, rc, err, "free-threaded block: --dump refuses", "free-threaded")

    for mode in ("loop-interp", "loop-thread"):
        with Fake(binary, [mode]) as f:
            rc, out, err = run(["--dump", "-p", f.pid])
            one_error_line(tap, rc, err, "%s: --dump reports an error, not copies" % mode)
            tap.ok(out.count("Thread ") <= 1, "%s: no repeated threads printed" % mode, out[-300:])

    with Fake(binary, ["loop-thread"]) as f:
        rc, out, err = run(["-b", "-d", "1", "-r", "200", "-f", "json", "-p", f.pid])
        try:
            doc = json.loads(out)
        except ValueError:
            doc = None
        tap.ok(rc == 0 and doc is not None, "loop-thread: --batch -f json runs", "rc %d err %r" % (rc, err[-300:]))
        if doc is not None:
            dur = doc.get("duration_s", 1) or 1
            samples = doc.get("samples", 0)
            tap.ok(samples <= 2 * 200 * dur + 10,
                   "loop-thread: the looping thread is sampled at most once a round",
                   "samples %r in %r s at 200 Hz" % (samples, dur))
            tap.ok(doc.get("errors", 0) > 0, "loop-thread: the loop is counted as an error",
                   "errors %r" % doc.get("errors"))
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
