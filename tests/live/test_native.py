"""Live test: --native, Python and C frames in one stack (TAP).

Run with the system python3; the pytop under test is $PYTOP. On every
interpreter from pythons.py (chrooted ones too), with
tests/targets/native_stack_target.py:

* qsort: a Python callback (py_compare) called by libc's qsort through
  ctypes from sort_caller. With --native the collapsed stacks that hold
  py_compare hold qsort (or qsort_r, which glibc's qsort jumps to) between
  sort_caller and py_compare, in that order, for most of their weight.
* dump: --dump --native of the same target (text: py_compare, then
  qsort+0xOFF (libc...), then sort_caller, innermost first; --json: frames
  of kind "native" beside Python ones).
* ext: a C extension compiled here against the interpreter's own headers
  (sysconfig's include directory; a loud SKIP where they are not installed)
  spinning in pytop_spin_hot, called from ext_caller. With --native most of
  the weight is on stacks with pytop_spin_hot after (under) ext_caller;
  without it, no stack names pytop_spin_hot and ext_caller is the leaf.
* No unwind information: the same extension built without unwind tables
  or frame pointers; the stacks through pytop_spin_hot carry a marker
  ("(native stack incomplete)" or "(native and Python stacks differ)") and
  keep ext_caller; pytop exits 0.
* .gnu_debuglink: the extension (spindbg) built with -g, its debug info
  split off into .debug/spindbg.so.debug (objcopy --only-keep-debug,
  strip --strip-debug --strip-unneeded, objcopy --add-gnu-debuglink): the
  static pytop_spin_static, on the GIL-free thread of the target's tui mode,
  is named under nogil_caller; once the debug file changed (its CRC no
  longer the link's) it is not (a SKIP without binutils); a huge (64 GiB
  sparse) debug file in its place is not read whole: -d 1 ends in < 30 s;
  in a chroot, an absolute symlink in its place to a file outside the
  root is not followed (resolved inside the target's root).
* vDSO: time.time() in a tight loop from time_caller: the stacks through
  the vDSO name its function `... ([vdso])` (its .dynsym and .eh_frame_hdr
  read from the target's memory) and go on past it to time_caller, with no
  "(native stack incomplete)" marker.
* hashlib: sha256 of an 8 MiB buffer from hash_caller: a libcrypto
  frame under hash_caller for most of the weight (a SKIP without _hashlib).
* SIGKILL: pytop --native killed mid-run leaves the target running: no
  thread stopped (t/T), TracerPid 0, and it keeps using CPU.
* Refused ptrace (the target already traced by another tracer, strace
  here; a SKIP without strace): --native exits non-zero with one line
  naming --native.
* Reuse: four threads sharing the GIL (the target's contend mode), at
  500 Hz. A thread found blocked again in the very call of its last unwind
  (same number, arguments, stack and instruction pointers), with the same
  Python stack to the instruction, is not stopped: its native frames are
  reused. With PYTOP_NATIVE_CHECK=1 those threads are unwound all the same
  and compared: some reuses checked (native.reuse_checked), none wrong
  (reuse_mismatches 0). Without it: native frames reused, fewer stops than
  thread samples, and the GIL waiters' stacks (in contend_spin) still go
  through native frames down to the futex wait.
* Reuse, fooled: a thread that leaves its C call and comes back to the
  same nanosleep (same arguments, stack and instruction pointers, Python
  line) through another C caller (the target's alternate mode and the
  extension FOOL_C: fool_path_big and fool_path_small reach the sleep
  through fool_leveler, whose alloca evens out the stack pointer; the
  return addresses of the first path stay at their old slots in dead
  stack). -m wall, 200 Hz, 4 s: PYTOP_NATIVE_CHECK=1 finds no reused
  frames wrong, and without it both paths have a fair share of the
  samples (each at least a quarter; the reuse of the first path's frames
  gave fool_path_small 1 of 747).
* Launched: `pytop --batch --native -- PYTHON target qsort` (libraries
  mapped after the first unwind) shows the same qsort stacks (on the first
  interpreter that is not chrooted).

The batch header's "Native:" line (the pause per sample) is shown as a
diagnostic.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pythons  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TARGET = os.path.join(HERE, "..", "targets", "native_stack_target.py")
SECS = "2"
RATE = "200"

EXT_C = r"""
#include <Python.h>
#include <time.h>

static volatile unsigned long sink;

__attribute__((noinline)) void pytop_spin_hot(double ms)
{
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	do {
		for (int i = 0; i < 100000; i++)
			sink += (unsigned long)i;
		clock_gettime(CLOCK_MONOTONIC, &b);
	} while ((double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6 < ms);
}

static PyObject *spin(PyObject *self, PyObject *args)
{
	double ms;
	(void)self;
	if (!PyArg_ParseTuple(args, "d", &ms))
		return NULL;
	pytop_spin_hot(ms);
	Py_RETURN_NONE;
}

/* Not exported: named only through .symtab (or its debug file). */
static __attribute__((noinline)) void pytop_spin_static(double ms)
{
	pytop_spin_hot(ms);
	sink++;
}

static PyObject *spin_nogil(PyObject *self, PyObject *args)
{
	double ms;
	(void)self;
	if (!PyArg_ParseTuple(args, "d", &ms))
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	pytop_spin_static(ms);
	Py_END_ALLOW_THREADS
	Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
	{ "spin", spin, METH_VARARGS, "spin in C for MS milliseconds" },
	{ "spin_nogil", spin_nogil, METH_VARARGS, "the same without the GIL, through a static function" },
	{ NULL, NULL, 0, NULL },
};

static struct PyModuleDef module = { PyModuleDef_HEAD_INIT, "spinext", NULL, -1, methods };

PyMODINIT_FUNC PyInit_spinext(void)
{
	return PyModule_Create(&module);
}
"""

FOOL_C = r"""
#include <Python.h>
#include <alloca.h>
#include <time.h>

static volatile unsigned long sink;
static char *target;
static struct timespec ts = { 0, 300000000 };

__attribute__((noinline)) void fool_sleeper(void)
{
	nanosleep(&ts, NULL);
	sink++;
}

/* Every call reaches fool_sleeper at one stack pointer, whatever the
 * size of its caller's frame. */
__attribute__((noinline)) void fool_leveler(void)
{
	char *fa = __builtin_frame_address(0);
	if (!target)
		target = fa - 16384;
	char *buf = alloca((size_t)(fa - target));
	__asm__ volatile("" : : "r"(buf) : "memory");
	fool_sleeper();
	sink++;
}

__attribute__((noinline)) void fool_path_big(void)
{
	volatile char pad[4096];
	pad[0] = 1;
	fool_leveler();
	sink += pad[0];
}

__attribute__((noinline)) void fool_path_small(void)
{
	volatile char pad[64];
	pad[0] = 1;
	fool_leveler();
	sink += pad[0];
}

static void (*const paths[2])(void) = { fool_path_big, fool_path_small };

static PyObject *wait(PyObject *self, PyObject *arg)
{
	long k = PyLong_AsLong(arg);
	void (*volatile fp)(void) = paths[k & 1];   /* one call site for both */
	(void)self;
	Py_BEGIN_ALLOW_THREADS
	fp();
	Py_END_ALLOW_THREADS
	Py_RETURN_NONE;
}

static PyMethodDef methods[] = { { "wait", wait, METH_O, "300 ms asleep through path K & 1" }, { NULL, NULL, 0, NULL } };
static struct PyModuleDef module = { PyModuleDef_HEAD_INIT, "fooled", NULL, -1, methods };

PyMODINIT_FUNC PyInit_fooled(void)
{
	return PyModule_Create(&module);
}
"""


def collapsed(text):
    """[(frames, weight)] of a collapsed output."""
    out = []
    for line in text.splitlines():
        stack, _, weight = line.rpartition(" ")
        if stack:
            out.append((stack.split(";"), int(weight)))
    return out


def index_of(frames, pattern):
    for i, f in enumerate(frames):
        if re.match(pattern, f):
            return i
    return -1


def start(interp, argv, ready):
    proc = subprocess.Popen(interp.argv(*argv), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while not os.path.exists(ready) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    return proc


def stop(proc):
    proc.kill()
    proc.wait()
    proc.stderr.close()


def batch(pytop, pid, *extra):
    return subprocess.run([pytop, "--batch", "-d", SECS, "-r", RATE, "-p", str(pid)] + list(extra),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=120)


def native_line(pytop, pid):
    r = batch(pytop, pid, "--native", "-d", "1")
    m = re.search(r"^Native:.*$", r.stdout, re.M)
    return m.group(0) if m else "(no Native: line; exit %d: %s)" % (r.returncode, r.stderr.strip()[-300:])


def test_qsort(tap, pytop, interp, work):
    ready = os.path.join(work, "ready-qsort")
    proc = start(interp, [interp.script(TARGET), "qsort", interp.inside(ready)], ready)
    try:
        if not tap.ok(os.path.exists(ready), "%s: qsort target starts" % interp.label,
                      proc.stderr.read().decode("utf-8", "replace")[-500:] if proc.poll() is not None else ""):
            return
        r = batch(pytop, proc.pid, "--native", "-f", "collapsed")
        if not tap.ok(r.returncode == 0, "%s: --native --batch -f collapsed exits 0" % interp.label,
                      r.stderr[-500:]):
            return
        stacks = [(f, w) for f, w in collapsed(r.stdout) if index_of(f, r"py_compare \(") >= 0]
        total = sum(w for _, w in stacks)
        good = 0
        for frames, w in stacks:
            caller = index_of(frames, r"sort_caller \(")
            q = index_of(frames, r"qsort(_r)? \(libc")
            cb = index_of(frames, r"py_compare \(")
            if 0 <= caller < q < cb:
                good += w
        example = max(stacks, key=lambda s: s[1])[0] if stacks else []
        tap.ok(total > 0 and good >= 0.8 * total,
               "%s: qsort between sort_caller and its callback py_compare, in order (%d of %d)"
               % (interp.label, good, total), "heaviest: " + ";".join(example))
        tap.diag("%s: %s" % (interp.label, native_line(pytop, proc.pid)))
        test_dump(tap, pytop, interp, proc.pid)
    finally:
        stop(proc)


def test_dump(tap, pytop, interp, pid):
    """--dump --native (text, innermost first) and --json: a dump taken
    while the callback runs has py_compare, then qsort, then sort_caller
    (up to 40 dumps are taken for one taken then); the JSON marks native
    frames with kind "native"."""
    frames, text = [], ""
    for _ in range(40):
        r = subprocess.run([pytop, "--dump", "--native", "-p", str(pid)], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, universal_newlines=True, timeout=60)
        text = r.stdout + r.stderr
        frames = [x.strip() for x in r.stdout.splitlines() if x.startswith("    ")]
        cb, q, caller = (index_of(frames, r"py_compare \("), index_of(frames, r"qsort(_r)?\+0x[0-9a-f]+ \(libc"),
                         index_of(frames, r"sort_caller \("))
        if r.returncode == 0 and 0 <= cb < q < caller:
            break
    tap.ok(0 <= cb < q < caller, "%s: --dump --native: py_compare, qsort+0xOFF (libc...), sort_caller, innermost first"
           % interp.label, text[-1500:])
    # (A dump taken as a call enters or leaves the loop can be marked
    # unmatched, its C frames left out: the next one is looked at.)
    for _ in range(20):
        r = subprocess.run([pytop, "--dump", "--native", "--json", "-p", str(pid)], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, universal_newlines=True, timeout=60)
        try:
            dump = json.loads(r.stdout)
            kinds = {f.get("kind", "python") for t in dump["threads"] for f in t["frames"]}
        except (ValueError, KeyError) as exc:
            kinds = {"error: %s" % exc}
        if "native" in kinds:
            break
    tap.ok(r.returncode == 0 and "native" in kinds and "python" in kinds,
           "%s: --dump --native --json: frames of kind native and Python ones" % interp.label,
           "%s %s" % (sorted(kinds), r.stderr[-300:]))


def qsort_ordered(stacks):
    """(weight with sort_caller < qsort < py_compare, weight with py_compare, heaviest)."""
    stacks = [(f, w) for f, w in stacks if index_of(f, r"py_compare \(") >= 0]
    good = sum(w for f, w in stacks
               if 0 <= index_of(f, r"sort_caller \(") < index_of(f, r"qsort(_r)? \(libc") < index_of(f, r"py_compare \("))
    heaviest = max(stacks, key=lambda s: s[1])[0] if stacks else []
    return good, sum(w for _, w in stacks), heaviest


def test_launch(tap, pytop, interp, work):
    """The same as test_qsort with the target started by pytop (its
    libraries, libffi's trampoline pages, mapped after the first unwind)."""
    ready = os.path.join(work, "ready-launch")
    r = subprocess.run([pytop, "--batch", "--native", "-d", "3", "-r", RATE, "-f", "collapsed", "--"] +
                       interp.argv(interp.script(TARGET), "qsort", interp.inside(ready)),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=120)
    good, total, heaviest = qsort_ordered(collapsed(r.stdout))
    tap.ok(r.returncode == 0 and total > 0 and good >= 0.8 * total,
           "%s: pytop --native -- PROGRAM: qsort between sort_caller and py_compare (%d of %d)"
           % (interp.label, good, total), r.stderr[-300:] + " heaviest: " + ";".join(heaviest))


def build_ext(tap, interp, work, module="spinext", flags=(), source=None):
    """MODULE.so built in work against interp's headers (with FLAGS) from
    SOURCE (default EXT_C, its module named MODULE), or None (SKIP/fail
    written)."""
    r = subprocess.run(interp.argv("-c", "import sysconfig; print(sysconfig.get_paths()['include'])"),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=60)
    inc = r.stdout.strip()
    host_inc = os.path.join(interp.root, inc.lstrip("/")) if interp.root else inc
    if r.returncode != 0 or not os.path.exists(os.path.join(host_inc, "Python.h")):
        tap.skip("%s: C extension under --native" % interp.label,
                 "no Python.h in %r: this interpreter's headers are not installed" % host_inc)
        return None
    src = os.path.join(work, module + ".c")
    with open(src, "w") as f:
        f.write(source if source is not None else EXT_C.replace("spinext", module))
    cc = os.environ.get("CC") or shutil.which("cc") or "gcc"
    lib = os.path.join(work, module + ".so")
    # A Debian root's pyconfig.h includes <x86_64-linux-gnu/python3.X/pyconfig.h>.
    extra = ["-idirafter", os.path.join(interp.root, "usr", "include")] if interp.root else []
    b = subprocess.run([cc, "-shared", "-fPIC", "-O1"] + list(flags) + ["-I", host_inc] + extra + ["-o", lib, src],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    if not tap.ok(b.returncode == 0, "%s: the C extension %s builds against %s" % (interp.label, module, host_inc),
                  b.stdout[-800:]):
        return None
    return lib


def test_ext(tap, pytop, interp, work):
    if not build_ext(tap, interp, work):
        return
    ready = os.path.join(work, "ready-ext")
    proc = start(interp, [interp.script(TARGET), "ext", interp.inside(ready), interp.inside(work)], ready)
    try:
        if not tap.ok(os.path.exists(ready), "%s: C extension target starts" % interp.label,
                      proc.stderr.read().decode("utf-8", "replace")[-500:] if proc.poll() is not None else ""):
            return
        r = batch(pytop, proc.pid, "--native", "-f", "collapsed")
        if not tap.ok(r.returncode == 0, "%s: --native on the extension exits 0" % interp.label, r.stderr[-500:]):
            return
        stacks = collapsed(r.stdout)
        total = sum(w for _, w in stacks)
        under = sum(w for f, w in stacks
                    if 0 <= index_of(f, r"ext_caller \(") < index_of(f, r"pytop_spin_hot \(spinext\.so\)"))
        example = max(stacks, key=lambda s: s[1])[0] if stacks else []
        tap.ok(total > 0 and under >= 0.5 * total,
               "%s: --native shows pytop_spin_hot under ext_caller (%d of %d)" % (interp.label, under, total),
               "heaviest: " + ";".join(example))
        r = batch(pytop, proc.pid, "-f", "collapsed")
        stacks = collapsed(r.stdout)
        total = sum(w for _, w in stacks)
        named = sum(w for f, w in stacks if any("pytop_spin_hot" in x for x in f))
        leaf = sum(w for f, w in stacks if f and f[-1].startswith("ext_caller ("))
        tap.ok(r.returncode == 0 and total > 0 and named == 0 and leaf >= 0.9 * total,
               "%s: without --native ext_caller is the leaf, no C frame (%d of %d)" % (interp.label, leaf, total),
               r.stderr[-300:] + " heaviest: " + ";".join(max(stacks, key=lambda s: s[1])[0] if stacks else []))
    finally:
        stop(proc)


def test_debuglink(tap, pytop, interp, work):
    """A stripped extension whose symbols are in a debug file found through
    its .gnu_debuglink (in the .debug/ subdirectory, CRC checked): the
    static pytop_spin_static is named; with the debug file changed (its CRC
    no longer the link's) it is not."""
    tools = [shutil.which(t) for t in ("objcopy", "strip", "nm")]
    if not all(tools):
        tap.skip("%s: .gnu_debuglink" % interp.label, "no objcopy/strip/nm (binutils)")
        return
    lib = build_ext(tap, interp, work, module="spindbg", flags=("-g",))
    if not lib:
        return
    os.makedirs(os.path.join(work, ".debug"), exist_ok=True)
    debug = os.path.join(work, ".debug", "spindbg.so.debug")
    steps = [["objcopy", "--only-keep-debug", lib, debug],
             ["strip", "--strip-debug", "--strip-unneeded", lib],
             ["objcopy", "--add-gnu-debuglink=" + debug, lib]]
    for cmd in steps:
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
        if not tap.ok(r.returncode == 0, "%s: %s" % (interp.label, " ".join(cmd[:2])), r.stdout[-500:]):
            return
    nm = subprocess.run(["nm", lib], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    if not tap.ok("pytop_spin_static" not in nm.stdout, "%s: the stripped extension has no .symtab name "
                  "for pytop_spin_static" % interp.label, nm.stdout[-500:]):
        return
    ready = os.path.join(work, "ready-dbg")
    proc = start(interp, [interp.script(TARGET), "tui", interp.inside(ready), interp.inside(work), "spindbg"], ready)
    try:
        if not tap.ok(os.path.exists(ready), "%s: the stripped extension's target starts" % interp.label,
                      proc.stderr.read().decode("utf-8", "replace")[-500:] if proc.poll() is not None else ""):
            return

        def named():
            r = batch(pytop, proc.pid, "--native", "-f", "collapsed")
            stacks = collapsed(r.stdout)
            total = sum(w for f, w in stacks if index_of(f, r"nogil_caller \(") >= 0)
            under = sum(w for f, w in stacks
                        if 0 <= index_of(f, r"nogil_caller \(") < index_of(f, r"pytop_spin_static \(spindbg\.so\)"))
            return r, total, under, stacks
        r, total, under, stacks = named()
        tap.ok(r.returncode == 0 and total > 0 and under >= 0.5 * total,
               "%s: .gnu_debuglink: the static pytop_spin_static named under nogil_caller (%d of %d)"
               % (interp.label, under, total),
               r.stderr[-300:] + " heaviest: " + ";".join(max(stacks, key=lambda s: s[1])[0] if stacks else []))
        if interp.root:
            # In a chroot: the debug file moved out of the root, an absolute
            # symlink to it in its place (a path that, inside the root, leads
            # nowhere): it is not followed out of the target's root.
            outside = tempfile.mkdtemp(prefix="pytop-escape-")
            try:
                moved = os.path.join(outside, "spindbg.so.debug")
                shutil.move(debug, moved)
                os.symlink(moved, debug)
                r, total, under, stacks = named()
                tap.ok(r.returncode == 0 and total > 0 and under == 0,
                       "%s: .gnu_debuglink: an absolute symlink out of the target's root is not followed "
                       "(%d of %d named)" % (interp.label, under, total), r.stderr[-300:])
                os.unlink(debug)
                shutil.move(moved, debug)
            finally:
                shutil.rmtree(outside, ignore_errors=True)
        with open(debug, "ab") as f:
            f.write(b"\0")
        r, total, under, stacks = named()
        tap.ok(r.returncode == 0 and total > 0 and under == 0,
               "%s: .gnu_debuglink: a debug file whose CRC is not the link's is not used (%d of %d named)"
               % (interp.label, under, total), r.stderr[-300:])
        # A huge debug file (sparse, 64 GiB, an ELF header first): its CRC
        # is not read to the end (pytop stalled on it, deaf to SIGTERM).
        with open(debug, "rb") as f:
            head = f.read(4096)
        with open(debug, "wb") as f:
            f.write(head)
            f.truncate(64 << 30)
        t0 = time.monotonic()
        try:
            r = batch(pytop, proc.pid, "--native", "-d", "1", "-f", "collapsed")
            rc = r.returncode
        except subprocess.TimeoutExpired:
            rc = None
        took = time.monotonic() - t0
        tap.ok(rc == 0 and took < 30, "%s: .gnu_debuglink: a huge (64 GiB) debug file is not read whole "
               "(exit %s in %.1f s)" % (interp.label, rc, took))
    finally:
        stop(proc)


def test_vdso(tap, pytop, interp, work):
    """time.time() in a tight loop: the stacks through the vDSO are named
    `... ([vdso])`, go on past it to time_caller, and carry no marker."""
    ready = os.path.join(work, "ready-vdso")
    proc = start(interp, [interp.script(TARGET), "vdso", interp.inside(ready)], ready)
    try:
        if not tap.ok(os.path.exists(ready), "%s: vdso target starts" % interp.label,
                      proc.stderr.read().decode("utf-8", "replace")[-500:] if proc.poll() is not None else ""):
            return
        r = batch(pytop, proc.pid, "--native", "-f", "collapsed")
        stacks = collapsed(r.stdout)
        vdso = [(f, w) for f, w in stacks if index_of(f, r".* \(\[vdso\]\)$") >= 0]
        through = sum(w for f, w in vdso
                      if 0 <= index_of(f, r"time_caller \(") < index_of(f, r".* \(\[vdso\]\)$")
                      and index_of(f, r"\(native stack") < 0)
        weight = sum(w for _, w in vdso)
        bad = [f for f, w in vdso if index_of(f, r"\(native stack") >= 0 or index_of(f, r"time_caller \(") < 0]
        tap.ok(r.returncode == 0 and weight > 0 and through == weight,
               "%s: vDSO frames named ([vdso]) and unwound past to time_caller, unmarked (%d of %d)"
               % (interp.label, through, weight),
               r.stderr[-300:] + " bad: " + " | ".join(";".join(f) for f in bad[:3]))
    finally:
        stop(proc)


def test_nocfi(tap, pytop, interp, work):
    """The extension built without unwind tables (and without frame
    pointers): libunwind cannot step out of pytop_spin_hot; such stacks
    must be marked, their Python frames kept, and pytop must not fail."""
    if not build_ext(tap, interp, work, "spinraw",
                     ["-fno-asynchronous-unwind-tables", "-fno-unwind-tables", "-fomit-frame-pointer"]):
        return
    ready = os.path.join(work, "ready-raw")
    proc = start(interp, [interp.script(TARGET), "ext", interp.inside(ready), interp.inside(work), "spinraw"], ready)
    try:
        if not tap.ok(os.path.exists(ready), "%s: extension without unwind tables starts" % interp.label,
                      proc.stderr.read().decode("utf-8", "replace")[-500:] if proc.poll() is not None else ""):
            return
        r = batch(pytop, proc.pid, "--native", "-f", "collapsed")
        stacks = [(f, w) for f, w in collapsed(r.stdout) if any(x.startswith("pytop_spin_hot (") for x in f)]
        total = sum(w for _, w in stacks)
        marked = sum(w for f, w in stacks
                     if any(x.startswith(("(native stack incomplete)", "(native and Python stacks differ)"))
                            for x in f) and index_of(f, r"ext_caller \(") >= 0)
        tap.ok(r.returncode == 0 and total > 0 and marked >= 0.9 * total,
               "%s: no unwind tables: the stacks through pytop_spin_hot are marked, ext_caller kept (%d of %d)"
               % (interp.label, marked, total),
               r.stderr[-300:] + " heaviest: " + ";".join(max(stacks, key=lambda s: s[1])[0] if stacks else []))
    finally:
        stop(proc)


def test_hash(tap, pytop, interp, work):
    """hashlib.sha256 of a large buffer: OpenSSL's libcrypto code under
    hash_caller for most of the weight (a SKIP when the interpreter has no
    _hashlib)."""
    ready = os.path.join(work, "ready-hash")
    proc = start(interp, [interp.script(TARGET), "hash", interp.inside(ready)], ready)
    try:
        if proc.poll() == 3:
            tap.skip("%s: hashlib under --native" % interp.label, "no _hashlib (built without OpenSSL)")
            return
        if not tap.ok(os.path.exists(ready), "%s: hashlib target starts" % interp.label,
                      proc.stderr.read().decode("utf-8", "replace")[-500:] if proc.poll() is not None else ""):
            return
        r = batch(pytop, proc.pid, "--native", "-f", "collapsed")
        stacks = collapsed(r.stdout)
        total = sum(w for _, w in stacks)
        under = sum(w for f, w in stacks
                    if 0 <= index_of(f, r"hash_caller \(") < index_of(f, r".* \(libcrypto[^;]*\)$"))
        tap.ok(r.returncode == 0 and total > 0 and under >= 0.5 * total,
               "%s: libcrypto's code under hash_caller (%d of %d)" % (interp.label, under, total),
               r.stderr[-300:] + " heaviest: " + ";".join(max(stacks, key=lambda s: s[1])[0] if stacks else []))
    finally:
        stop(proc)


def thread_states(pid):
    return pythons.proc_states(pid)


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def test_kill(tap, pytop, interp, work):
    ready = os.path.join(work, "ready-kill")
    proc = start(interp, [interp.script(TARGET), "qsort", interp.inside(ready)], ready)
    try:
        if not tap.ok(os.path.exists(ready), "%s: target for SIGKILL starts" % interp.label):
            return
        p = subprocess.Popen([pytop, "--batch", "-d", "30", "--native", "-r", "1000", "-p", str(proc.pid)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.5)
        traced = pythons.tracer_pid(proc.pid)
        p.send_signal(signal.SIGKILL)
        p.wait()
        time.sleep(0.2)
        tracers = set()
        stopped = set()
        for tid in os.listdir("/proc/%d/task" % proc.pid):
            with open("/proc/%d/task/%s/status" % (proc.pid, tid)) as f:
                for line in f:
                    if line.startswith("TracerPid:") and int(line.split()[1]) != 0:
                        tracers.add(tid)
        c0 = cpu_ticks(proc.pid)
        for _ in range(5):
            stopped |= {t for t, s in thread_states(proc.pid).items() if s in "tT"}
            time.sleep(0.1)
        time.sleep(0.5)
        c1 = cpu_ticks(proc.pid)
        tap.diag("%s: TracerPid while pytop ran: %d" % (interp.label, traced))
        tap.ok(proc.poll() is None and not tracers and not stopped and c1 > c0,
               "%s: after SIGKILL of pytop --native the target runs (no tracer %s, none stopped %s, "
               "CPU ticks %d -> %d)" % (interp.label, sorted(tracers), sorted(stopped), c0, c1))
    finally:
        stop(proc)


def checked_runs(pytop, pid, rate, secs):
    """Two `--batch --native -m wall` JSON snapshots of pid: "1" with
    PYTOP_NATIVE_CHECK=1 (reused frames unwound anyway and compared), "0"
    without; {"error": ...} for a run that gave none."""
    runs = {}
    for check in ("1", "0"):
        env = dict(os.environ, PYTOP_NATIVE_CHECK=check)
        r = subprocess.run([pytop, "--batch", "--native", "-r", rate, "-d", secs, "-f", "json", "-m", "wall",
                            "-p", str(pid)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True, timeout=120, env=env)
        try:
            runs[check] = json.loads(r.stdout)
        except ValueError:
            runs[check] = {"error": "exit %d: %s" % (r.returncode, r.stderr[-300:])}
    return runs


def test_reuse(tap, pytop, interp, work):
    ready = os.path.join(work, "ready-contend")
    proc = start(interp, [interp.script(TARGET), "contend", interp.inside(ready)], ready)
    try:
        if not tap.ok(os.path.exists(ready), "%s: contend target starts" % interp.label,
                      proc.stderr.read().decode("utf-8", "replace")[-500:] if proc.poll() is not None else ""):
            return
        time.sleep(0.3)
        runs = checked_runs(pytop, proc.pid, "500", SECS)
        nat = runs["1"].get("native", {})
        tap.ok(nat.get("reuse_checked", 0) > 0 and nat.get("reuse_mismatches") == 0,
               "%s: PYTOP_NATIVE_CHECK=1: native frames reused only where an unwind gives the same "
               "(%s checked, %s wrong)" % (interp.label, nat.get("reuse_checked"), nat.get("reuse_mismatches")),
               json.dumps(runs["1"].get("native", runs["1"]))[:600])
        snap = runs["0"]
        nat = snap.get("native", {})
        tap.ok(nat.get("reused", 0) > 0 and nat.get("pauses", 0) < snap.get("samples", 0),
               "%s: native frames reused without a stop (%s reused, %s stops for %s thread samples)"
               % (interp.label, nat.get("reused"), nat.get("pauses"), snap.get("samples")),
               json.dumps(nat or snap)[:600])
        funcs = snap.get("functions", [])
        wait = sum(f.get("total", 0) for f in funcs
                   if f.get("kind") == "native" and re.search(r"pthread_cond_(timed|clock)?wait|futex", f.get("name", "")))
        spin = sum(f.get("total", 0) for f in funcs if f.get("name") == "contend_spin")
        tap.ok(spin > 0 and wait > 0.2 * spin,
               "%s: -m wall: the GIL waits' native frames are there (%d of contend_spin's %d samples)"
               % (interp.label, wait, spin),
               " ".join("%s:%s" % (f.get("name"), f.get("total")) for f in funcs[:12]))
        tap.diag("%s: %s" % (interp.label, json.dumps(nat)))
    finally:
        stop(proc)


def test_reuse_fooled(tap, pytop, interp, work):
    if not build_ext(tap, interp, work, module="fooled", source=FOOL_C):
        return
    ready = os.path.join(work, "ready-alternate")
    proc = start(interp, [interp.script(TARGET), "alternate", interp.inside(ready), interp.inside(work)], ready)
    try:
        if not tap.ok(os.path.exists(ready), "%s: alternate target starts" % interp.label,
                      proc.stderr.read().decode("utf-8", "replace")[-500:] if proc.poll() is not None else ""):
            return
        time.sleep(0.5)
        runs = checked_runs(pytop, proc.pid, "200", "4")
        nat = runs["1"].get("native", {})
        tap.ok("reuse_mismatches" in nat and nat.get("reuse_mismatches") == 0,
               "%s: a thread back in the same sleep through another C caller: no reused frames wrong "
               "(%s checked, %s wrong)" % (interp.label, nat.get("reuse_checked"), nat.get("reuse_mismatches")),
               json.dumps(nat or runs["1"])[:600])
        funcs = {f.get("name"): f.get("total", 0) for f in runs["0"].get("functions", [])}
        big, small = funcs.get("fool_path_big", 0), funcs.get("fool_path_small", 0)
        tap.ok(big + small > 0 and min(big, small) >= 0.25 * (big + small),
               "%s: both C callers of the sleep have their share (fool_path_big %d, fool_path_small %d)"
               % (interp.label, big, small), json.dumps(runs["0"].get("native", runs["0"]))[:600])
    finally:
        stop(proc)


def test_refused(tap, pytop, interp, work):
    ready = os.path.join(work, "ready-refused")
    proc = start(interp, [interp.script(TARGET), "qsort", interp.inside(ready)], ready)
    tracer = None
    try:
        if not tap.ok(os.path.exists(ready), "%s: target for refused ptrace starts" % interp.label):
            return
        strace = shutil.which("strace")
        if not strace:
            tap.skip("%s: --native refused ptrace" % interp.label, "strace not installed (the second tracer)")
            return
        tracer = subprocess.Popen([strace, "-q", "-o", "/dev/null", "-p", str(proc.pid)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while pythons.tracer_pid(proc.pid) == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        r = batch(pytop, proc.pid, "--native", "-d", "1")
        lines = [x for x in r.stderr.splitlines() if x.strip()]
        tap.ok(r.returncode != 0 and len(lines) == 1 and "--native" in lines[0] and "Traceback" not in r.stderr,
               "%s: --native on a target another tracer holds: exit %d, one line naming --native"
               % (interp.label, r.returncode), r.stderr[-500:])
    finally:
        if tracer:
            tracer.terminate()
            tracer.wait()
        stop(proc)


def main():
    tap = pythons.Tap()
    pytop = pythons.pytop_binary()
    first = True
    for interp in pythons.interpreters(tap, chroot=True):
        work = interp.mkdtemp("pytop-native-")
        try:
            test_qsort(tap, pytop, interp, work)
            test_ext(tap, pytop, interp, work)
            test_nocfi(tap, pytop, interp, work)
            test_hash(tap, pytop, interp, work)
            test_debuglink(tap, pytop, interp, work)
            test_vdso(tap, pytop, interp, work)
            test_kill(tap, pytop, interp, work)
            test_reuse(tap, pytop, interp, work)
            test_reuse_fooled(tap, pytop, interp, work)
            if first:
                test_refused(tap, pytop, interp, work)
                if not interp.root:
                    test_launch(tap, pytop, interp, work)
                first = False
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
