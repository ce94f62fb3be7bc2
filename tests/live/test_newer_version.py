"""Live test: a CPython newer than every table pytop has (TAP).

Run with the system python3 (automake's PY_LOG_COMPILER); the pytop under
test is $PYTOP. The newest version of the registry (src/cpython/versions.txt,
3.N) is taken from the Debian unstable root (tests/setup_sid_root.sh;
missing: one loud SKIP) and copied as ROOT/tmp/pytop-newer/python3.N+1 with
its Py_Version and the version in its _PyRuntime's _Py_DebugOffsets block
patched to say 3.N+1.0 (the symbols' bytes found in the ELF file, .data or
.rodata): an interpreter pytop has no table for, whose block is in 3.N's
format. Run chrooted, with two named threads sleeping in known functions:

  - --dump: exit 0; a note on stderr naming the version and 3.N's schema;
    every thread with its threading name, the sleepers' stacks (function,
    file, line) exactly what the target's own traceback.extract_stack says
  - --batch -f json -d 1: exit 0, the note, each thread named
  - the live view (tmux): the header says "Python 3.N+1.0 (as 3.N)"
  - --watch: refused in one line (no injection on an older schema's guess)
  - the block left at 3.N (Py_Version alone says 3.N+1): refused in one
    line saying the block is not in 3.N's format
  - no cookie in the block: refused the same way
"""

import json
import os
import shutil
import struct
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pythons  # noqa: E402

TARGET = r'''
import json, os, sys, threading, time, traceback
ready = threading.Barrier(3)
def park_two(ev):
    ev.wait()
def park_one(ev):
    ready.wait()
    park_two(ev)
ev = threading.Event()
for name in ("newer-a", "newer-b"):
    threading.Thread(target=park_one, args=(ev,), name=name, daemon=True).start()
ready.wait()
time.sleep(0.2)
names = {t.ident: t.name for t in threading.enumerate()}
out = {}
for ident, frame in sys._current_frames().items():
    if names.get(ident, "").startswith("newer-"):
        out[names[ident]] = [[f.name, f.filename, f.lineno] for f in traceback.extract_stack(frame)]
with open(sys.argv[1] + ".tmp", "w") as f:
    json.dump(out, f)
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(300)
'''


def elf_symbol_offset(data, name):
    """The file offset of symbol NAME's bytes (an ELF64 little-endian file),
    or None."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        return None
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3a)
    secs = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    for sec in secs:
        if sec[1] not in (2, 11):   # SHT_SYMTAB, SHT_DYNSYM
            continue
        strtab = secs[sec[6]]
        for off in range(sec[4], sec[4] + sec[5], 24):
            st_name, info, _, shndx, value, size = struct.unpack_from("<IBBHQQ", data, off)
            end = data.index(b"\0", strtab[4] + st_name)
            if data[strtab[4] + st_name:end] != name.encode() or shndx == 0 or shndx >= shnum:
                continue
            target = secs[shndx]
            if target[1] == 8:   # SHT_NOBITS: no bytes in the file
                return None
            return target[4] + value - target[3]
    return None


def run(argv, timeout=60):
    try:
        r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout)
        return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")
    except subprocess.TimeoutExpired:
        return None, "", "timed out"


def check_live(tap, pytop, pid, want):
    """The live view (tmux, 120x30): its header says whose schema reads it."""
    if not shutil.which("tmux"):
        tap.skip("the live view's header says %s" % want, "tmux is not installed")
        return
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tui"))
    from test_tui import Tmux, Timeout  # noqa: E402
    import tempfile
    work = tempfile.mkdtemp(prefix="pytop-newer-tui-")
    tm = None
    try:
        tm = Tmux(120, 30, work)
        tm.type("%s -p %d" % (pytop, pid))
        tm.keys("Enter")
        try:
            lines = tm.wait(lambda s: "newer-a" in "\n".join(s) and want in s[0], "the header and threads", timeout=20)
            ok, diag = True, []
        except Timeout as exc:
            ok, diag = False, str(exc).splitlines()
        tap.ok(ok, "the live view's header says %s, the threads are listed" % want, diag)
        tm.keys("q")
    finally:
        if tm:
            tm.kill()
        shutil.rmtree(work, ignore_errors=True)


def main():
    tap = pythons.Tap()
    pytop = pythons.pytop_binary()
    major, minor = pythons.registry_versions()[-1]
    new = "%d.%d" % (major, minor + 1)
    root = pythons.sid_root()
    src = os.path.join(root, "usr", "bin", "python%d.%d" % (major, minor))
    if not os.access(src, os.X_OK):
        tap.diag("!!! no python%d.%d in %s (tests/setup_sid_root.sh)" % (major, minor, root))
        tap.skip("a Python newer than every table", "no python%d.%d in %s" % (major, minor, root))
        return tap.done()
    with open(src, "rb") as f:
        data = bytearray(f.read())
    at_version, at_runtime = elf_symbol_offset(data, "Py_Version"), elf_symbol_offset(data, "_PyRuntime")
    if not tap.ok(at_version is not None and at_runtime is not None and data[at_runtime:at_runtime + 8] == b"xdebugpy",
                  "%s has Py_Version and a _PyRuntime starting with the block in its file" % src):
        return tap.done()
    hexv = struct.unpack_from("<I", data, at_version)[0]
    newhex = (hexv & 0xff000000) | (minor + 1) << 16 | 0xf0
    work = os.path.join(root, "tmp", "pytop-newer-%d" % os.getpid())
    os.makedirs(work)
    procs = []
    try:
        script = os.path.join(work, "target.py")
        with open(script, "w") as f:
            f.write(TARGET)
        variants = {}
        for kind in ("newer", "old-block", "no-cookie"):
            d = bytearray(data)
            struct.pack_into("<I", d, at_version, newhex)
            if kind != "old-block":
                struct.pack_into("<Q", d, at_runtime + 8, newhex)
            if kind == "no-cookie":
                d[at_runtime:at_runtime + 8] = b"\0" * 8
            path = os.path.join(work, "%s-python%s" % (kind, new))
            with open(path, "wb") as f:
                f.write(d)
            os.chmod(path, 0o755)
            variants[kind] = path[len(root):]
        truth = os.path.join(work, "truth.json")
        proc = pythons.start_in_root(root, variants["newer"], script[len(root):], truth)
        procs.append(proc)
        if not tap.ok(os.path.exists(truth), "the %s copy runs" % new,
                      proc.stderr.read().decode(errors="replace") if proc.poll() is not None else ""):
            return tap.done()
        with open(truth) as f:
            want = json.load(f)
        rc, out, err = run([pytop, "--dump", "--json", "-p", str(proc.pid)])
        note = "Python %s.0 is newer than pytop's tables" % new
        tap.ok(rc == 0 and note in err and "%d.%d's schema" % (major, minor) in err,
               "--dump: exit 0, a note naming %s and %d.%d's schema" % (new, major, minor),
               ["exit %s" % rc, err])
        try:
            doc = json.loads(out)
        except ValueError:
            doc = {}
        got = {t.get("name"): [[fr.get("name", "").split(".")[-1], fr.get("file"), fr.get("line")]
                               for fr in reversed(t.get("frames", []))] for t in doc.get("threads", [])}
        tap.ok(doc.get("python") == "%s.0" % new, "--dump says Python %s.0" % new, "got %r" % doc.get("python"))
        for name, stack in sorted(want.items()):
            tap.ok(got.get(name) == stack, "--dump: %s's stack is its own traceback's" % name,
                   ["want %r" % stack, "got  %r" % got.get(name)])
        rc, out, err = run([pytop, "--batch", "-f", "json", "-d", "1", "-p", str(proc.pid)])
        try:
            doc = json.loads(out)
        except ValueError:
            doc = {}
        names = {t.get("name") for t in doc.get("threads", [])}
        tap.ok(rc == 0 and note in err and set(want) <= names,
               "--batch: exit 0, the note, each thread named", ["exit %s" % rc, err, "names %r" % names])
        check_live(tap, pytop, proc.pid, "Python %s.0 (as %d.%d)" % (new, major, minor))
        rc, out, err = run([pytop, "--batch", "-d", "2", "-p", str(proc.pid), "--watch", "time sleep"])
        lines = err.strip().splitlines()
        tap.ok(rc != 0 and len(lines) == 1 and "newer than pytop's tables" in err and "injects only" in err,
               "--watch: refused in one line (pytop does not write into it on an older schema)",
               ["exit %s" % rc, err])
        pythons.stop_in_root(procs.pop())
        for kind in ("old-block", "no-cookie"):
            proc = pythons.start_in_root(root, variants[kind], script[len(root):], truth)
            procs.append(proc)
            rc, out, err = run([pytop, "--dump", "-p", str(proc.pid)])
            lines = err.strip().splitlines()
            tap.ok(rc != 0 and len(lines) == 1 and "not in %d.%d's format" % (major, minor) in err,
                   "%s: refused in one line, the block not in %d.%d's format" % (kind, major, minor),
                   ["exit %s" % rc, err])
            pythons.stop_in_root(procs.pop())
    finally:
        for proc in procs:
            pythons.stop_in_root(proc)
        shutil.rmtree(work, ignore_errors=True)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
