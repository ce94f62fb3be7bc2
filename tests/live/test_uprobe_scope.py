"""Live test: --gilstat=exact plants its uprobes only in the target (issue
9, item 4) (TAP).

Two processes of the same interpreter, both spinning two threads through
the GIL (tests/targets/gil_target.py spin 2 0.005); pytop --batch
--gilstat=exact profiles the first. While it runs, the first byte of every
take_gil/drop_gil copy (found with nm in the interpreter's ELF file, placed
with /proc/PID/maps) is read through /proc/PID/mem:

  target:    an INT3 (0xcc) there: the probe is in (the control)
  bystander: the original instruction, never 0xcc: no probe, no hits
  a thread the target starts after pytop attached is still counted
             (takecnt > 0 for the late thread): the events follow new threads
  pytop's exact numbers have events > 0 and lost == 0

Both processes load a private copy of the interpreter's libpython
(LD_LIBRARY_PATH; uprobes are per file), so another pytop probing the same
interpreter on a shared machine cannot be mistaken for this one.

Needs root (uprobes) and a pyenv interpreter with take_gil in its symbol
table; SKIPs otherwise.
"""

import glob
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import pythons  # noqa: E402

TARGET = os.path.join(os.path.dirname(HERE), "targets", "gil_target.py")
LATE = r"""
import sys, threading, time
sys.setswitchinterval(0.005)
def spin():
    x = 0
    while True:
        x += 1
for _ in range(2):
    threading.Thread(target=spin, daemon=True).start()
sys.stdout.write("ready\n"); sys.stdout.flush()
sys.stdin.readline()                       # pytop is attached: one more thread
tid = []
def late():
    # its own tid (Thread.native_id is 3.8+; gettid(2) is x86-64's syscall 186)
    tid.append(threading.get_native_id() if hasattr(threading, "get_native_id")
               else __import__("ctypes").CDLL(None).syscall(186))
    spin()
t = threading.Thread(target=late, daemon=True)
t.start()
while not tid:
    time.sleep(0.001)
sys.stdout.write("%d\n" % tid[0]); sys.stdout.flush()
time.sleep(100)
"""


def nm_symbols(path, names):
    """{file offset of each symbol called NAME or NAME.xxx} via nm + readelf."""
    try:
        out = subprocess.run(["nm", path], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             timeout=30).stdout.decode()
        loads = subprocess.run(["readelf", "-lW", path], stdout=subprocess.PIPE,
                               timeout=30).stdout.decode()
    except (OSError, subprocess.SubprocessError):
        return []
    segs = []
    for line in loads.splitlines():
        f = line.split()
        if f and f[0] == "LOAD":
            segs.append((int(f[1], 16), int(f[2], 16), int(f[4], 16)))   # offset, vaddr, filesz
    offs = []
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3 and f[1] in "tT" and (f[2] in names or f[2].split(".")[0] in names):
            v = int(f[0], 16)
            for off, vaddr, size in segs:
                if vaddr <= v < vaddr + size:
                    offs.append(v - vaddr + off)
    return offs


def probe_addrs(pid):
    """[(address, file)] of take_gil/drop_gil copies in PID, from its maps."""
    maps = []
    with open("/proc/%d/maps" % pid) as f:
        for line in f:
            p = line.split()
            if len(p) >= 6 and "x" in p[1]:
                lo, hi = (int(x, 16) for x in p[0].split("-"))
                maps.append((lo, hi, int(p[2], 16), p[5]))
    addrs = []
    for path in sorted({m[3] for m in maps if "python" in os.path.basename(m[3])}):
        for off in nm_symbols(path, ("take_gil", "drop_gil")):
            for lo, hi, moff, mpath in maps:
                if mpath == path and moff <= off < moff + (hi - lo):
                    addrs.append((lo + off - moff, path))
    return addrs


def first_bytes(pid, addrs):
    with open("/proc/%d/mem" % pid, "rb", buffering=0) as f:
        out = []
        for addr, _ in addrs:
            f.seek(addr)
            out.append(f.read(1))
        return out


def private_libpython(interp, tmp):
    """An environment that loads a copy of the interpreter's libpython."""
    real = os.path.realpath(interp.path)
    libs = glob.glob(os.path.join(os.path.dirname(os.path.dirname(real)), "lib", "libpython3*.so*"))
    libs = [l for l in libs if os.path.isfile(l) and not os.path.islink(l)]
    for lib in libs:
        shutil.copy2(lib, os.path.join(tmp, os.path.basename(lib)))
        for link in glob.glob(os.path.join(os.path.dirname(lib), "libpython3*.so*")):
            if os.path.islink(link) and os.path.realpath(link) == lib:
                os.symlink(os.path.basename(lib), os.path.join(tmp, os.path.basename(link)))
    return dict(os.environ, LD_LIBRARY_PATH=tmp) if libs else None


def start(interp, argv, env=None):
    proc = subprocess.Popen([interp.path] + argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=env)
    ready, _, _ = select.select([proc.stdout], [], [], 20)
    if ready and proc.stdout.readline():
        return proc
    proc.kill()
    proc.wait()
    return None


def test_scope(tap, pytop, interp):
    label = "%s exact gilstat" % interp.label
    tmp = tempfile.mkdtemp(prefix="pytop-libpy-")
    env = private_libpython(interp, tmp)
    if env is None:
        tap.diag("%s: no libpython to copy; the probed file is shared with the machine" % interp.label)
    target = start(interp, ["-c", LATE], env)
    other = start(interp, [TARGET, "spin", "2", "0.005"], env)
    out = tempfile.NamedTemporaryFile(prefix="pytop-scope-", suffix=".json", delete=False)
    out.close()
    pytop_proc = None
    try:
        if target is None or other is None:
            tap.ok(False, "%s: the two processes start" % label)
            return
        t_addrs, o_addrs = probe_addrs(target.pid), probe_addrs(other.pid)
        if not t_addrs or not o_addrs:
            tap.skip(label, "take_gil/drop_gil not found with nm in %s" % interp.path)
            return
        before = first_bytes(other.pid, o_addrs)
        pytop_proc = subprocess.Popen([pytop, "--batch", "--gilstat=exact", "-d", "30", "-f", "json",
                                       "-o", out.name, "-p", str(target.pid)],
                                      stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20
        planted = False
        while time.monotonic() < deadline and pytop_proc.poll() is None:
            if b"\xcc" in first_bytes(target.pid, t_addrs):
                planted = True
                break
            time.sleep(0.05)
        if not planted:
            err = pytop_proc.stderr.read().decode() if pytop_proc.poll() is not None else ""
            if "uprobes unavailable" in err:
                tap.skip(label, err.strip())
            else:
                tap.ok(False, "%s: the probes appear in the target" % label, [err])
            return
        target.stdin.write(b"go\n")
        target.stdin.flush()
        late_tid = int(target.stdout.readline())
        seen = []
        for _ in range(20):                     # about a second of looking
            seen.append(first_bytes(other.pid, o_addrs))
            time.sleep(0.05)
        time.sleep(1)
        pytop_proc.send_signal(signal.SIGINT)
        _, err = pytop_proc.communicate(timeout=30)
        hit = [("%#x %s" % (a, os.path.basename(p))) for s in seen for (a, p), b in zip(o_addrs, s)
               if b == b"\xcc"]
        tap.ok(True, "%s: probes planted in the target (%d copies)" % (label, len(t_addrs)))
        tap.ok(not hit, "%s: no INT3 in the other process of the same interpreter" % label,
               ["INT3 at %s" % h for h in sorted(set(hit))] + ["before: %r" % before])
        try:
            with open(out.name) as f:
                data = json.load(f)
        except ValueError as exc:
            tap.ok(False, "%s: a JSON snapshot" % label, [str(exc), err.decode()])
            return
        g = data["gil"]["gilstat"]
        tap.ok(g.get("mode") == "exact" and g.get("events", 0) > 0 and g.get("lost") == 0,
               "%s: %d events, %d lost" % (label, g.get("events", 0), g.get("lost", -1)), json.dumps(g))
        late = [t for t in data["threads"] if t["tid"] == late_tid]
        takes = late[0]["gil"].get("takecnt", 0) if late else 0
        tap.ok(takes > 0, "%s: a thread started after attaching is counted (takecnt %d)" % (label, takes),
               json.dumps(late))
    finally:
        if pytop_proc and pytop_proc.poll() is None:
            pytop_proc.kill()
            pytop_proc.wait()
        for p in (target, other):
            if p:
                p.kill()
                p.wait()
        os.unlink(out.name)
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    tap = pythons.Tap()
    pytop = pythons.pytop_binary()
    if os.geteuid() != 0:
        tap.skip("exact gilstat scope", "not root: no uprobes")
        return tap.done()
    # The oldest and newest pyenv builds.
    interps = [i for i in pythons.interpreters(tap) if i.path.startswith(tuple(pythons.pyenv_roots()))]
    for interp in {i.path: i for i in interps[:1] + interps[-1:]}.values():
        test_scope(tap, pytop, interp)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
