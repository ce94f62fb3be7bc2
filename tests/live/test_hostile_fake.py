"""Live test: pytop against hostile imitations of CPython 3.8-3.13 (TAP).

Run with the system python3; the pytop under test is $PYTOP. The targets are
tests/targets/poke_python processes filled by tests/live/fakepy.py from
pytop's own layout tables, then corrupted (an outside audit's findings):

  names-quadratic  threading._active holds the same thread 65536 times, each
      value an object whose __dict__ has 65536 keys (none "_name"): the
      nested dict scans took hours (4096 x 4096 took 20 s); --dump and a
      1 s batch must end (< 60 s here; ~0.1 s when bounded)
  lasti-max (3.8, 3.9)  f_lasti = INT32_MAX with co_code unreadable: UBSan
      "signed integer overflow" in line_of; the frame must not be shown
  str-past-mapping  a str whose length runs past the end of its mapping but
      fits pytop's 512-byte header buffer: pytop showed bytes it never read
      (its own stack); it must not show the name
  -o kept  `pytop -b -o FILE -p NO-SUCH-PID` truncated an existing FILE
      before failing; it must keep its content
  SIGKILL  pytop killed while it runs a launched program (`-- sleep 300`):
      the program kept running with pytop's output; it must end
  full-chain re-walk  2000 thread states share a chain filling all 300
      positions while a target thread swaps the innermost code's name: the
      re-walk's batch had 303 entries for 302 slots (ASan heap-buffer-
      overflow WRITE in walk_once; needs the sanitizer build to show)
  dump memory  600 thread states sharing one chain of 299 frames with
      1.7 KB names: --dump copied every frame's strings (280 MB; 1.9 GB at
      the 4096-thread limit); strings are now kept once (< 100 MB here)
  control bytes  thread, function and file names with ESC/BEL/CR/LF/C1
      (U+009B) in --dump text
  many unreadable  2000 thread states sharing a 300-frame chain that loops:
      each was walked 64 times every pass of the list (66 s a --dump, 88 s
      with --blocking); retries are a budget of the whole dump (< 15 s here)
  sweep  frame cycles, thread-list loops, 5000 thread states, random line
      tables with extreme first lines, self-referencing code objects, huge
      and malformed strings, 1000 frames half owned by the C stack, on 3.8,
      3.11 and 3.13: never killed by a signal, no sanitizer report, ends in
      time, valid UTF-8
"""

import json
import os
import random
import re
import struct
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakepy  # noqa: E402
import pythons  # noqa: E402

TIMEOUT = 60


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, desc, diag="", todo=None):
        self.n += 1
        if not cond and not todo:
            self.failed += 1
        print("%s %d - %s%s" % ("ok" if cond else "not ok", self.n, desc, " # TODO " + todo if todo else ""))
        if not cond and diag:
            for line in str(diag).splitlines()[:20]:
                print("# " + line)
        sys.stdout.flush()


def run(args, timeout=TIMEOUT):
    t0 = time.time()
    try:
        p = subprocess.run([pythons.pytop_binary()] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout)
        return p.returncode, p.stdout, p.stderr, time.time() - t0
    except subprocess.TimeoutExpired as e:
        return "timeout", e.stdout or b"", e.stderr or b"", time.time() - t0


def sane(rc, out, err):
    """Problems that must never happen, as text ('' when none)."""
    probs = []
    if rc == "timeout":
        probs.append("did not end within %d s" % TIMEOUT)
    elif rc < 0:
        probs.append("killed by signal %d" % -rc)
    if re.search(rb"AddressSanitizer|runtime error|LeakSanitizer", err):
        probs.append("sanitizer: " + err.decode("utf-8", "replace")[:800])
    try:
        out.decode("utf-8")
    except UnicodeDecodeError as e:
        probs.append("invalid UTF-8 at %d" % e.start)
    return "; ".join(probs)


def line_table(f):
    return {8: b"\x00\x01" * 4, 9: b"\x00\x01" * 4, 10: b"\x10\x01"}.get(
        f.minor, bytes([0x80 | (13 << 3) | 7, 2]))


def code_of(f, name="work", lt=None, units=8, first=1):
    return f.code(f.str(name), f.str(name + ".py"), first, f.bytes(line_table(f) if lt is None else lt), units)


def one_thread(f, frame, tname=None):
    f.interp([f.tstate(frame)], modules=f.threading([(f.pthread, tname or f.str("MainThread"))]))


def names_quadratic(f, n=65536):
    L = f.L
    t = f.tstate(f.frame(code_of(f), 1))
    k = f.str("nope")
    inst = f.instance(f.dict([(k, k)] * n))
    active = f.dict([(f.int(f.pthread), inst)] * n)
    mod = f.alloc(64)
    f.put(mod + L["module_dict"], 8, f.dict([(f.str("_active"), active)]))
    f.interp([t], modules=f.dict([(f.str("threading"), mod)]))


def lasti_max(f):
    c = f.code(f.str("big"), f.str("b.py"), 1, f.bytes(line_table(f)), 8)
    f.put(c + f.L["code_code"], 8, 0xdead0000)   # co_code unreadable: size unknown
    fr = f.frame(c, 0)
    f.put(fr + f.L["frame_lasti"], 4, 0x7fffffff)
    one_thread(f, fr)


def str_past_mapping(f):
    L = f.L
    page = f.alloc(8192, align=4096)
    s = page + 4096 - 80
    f.put(s + L["object_type"], 8, f.str_type)
    f.put(s + L["unicode_length"], 8, 300)
    f.put(s + L["unicode_state"], 4, 1 << L["unicode_kind_shift"] | 1 << L["unicode_compact_shift"] |
          1 << L["unicode_ascii_shift"])
    d = s + L["unicode_ascii_data"]
    f.write(d, b"ENDNAME" + b"Z" * (page + 4096 - d - 7))
    c = f.code(s, f.str("main.py"), 1, f.bytes(line_table(f)), 8)
    one_thread(f, f.frame(c, 1))
    return page + 4096


CTRL = "a\x1b]0;pwned\x07b\x1b[2J\nc\rd\x9b31m"


def ctrl_names(f):
    c1 = f.code(f.str("<module>"), f.str("ok.py"), 1, f.bytes(line_table(f)), 8)
    c2 = f.code(f.str(CTRL), f.str("fi\nle\x1b[1m.py"), 1, f.bytes(line_table(f)), 8)
    one_thread(f, f.frame(c2, 1, back=f.frame(c1, 1)), tname=f.str("T\x1b]2;x\x07\n"))


def looping_chain(f, code, indexes):
    """Frames of code at each of indexes, outermost first, each calling the
    next, the outermost's caller the innermost: a chain that loops. Returns
    the innermost."""
    first = inner = f.frame(code, indexes[0])
    for index in indexes[1:]:
        inner = f.frame(code, index, back=inner)
    f.put(first + f.L["frame_back" if f.L["frame_model"] == "FRAME_MODEL_OBJECT" else "iframe_previous"], 8, inner)
    return inner


def cycle(f):
    one_thread(f, looping_chain(f, code_of(f), [1, 2, 3]))


def one_unreadable(f):
    """Two real threads: the main one with a good stack, the other with a
    frame chain that loops (unreadable for good)."""
    f.send("threads 1 W")
    tid = int(f.p.stdout.readline().split()[1])
    pthread = int(f.p.stdout.readline().split()[1], 16)
    good = f.tstate(f.frame(code_of(f, "goodfunc"), 1))
    bad = f.tstate(looping_chain(f, code_of(f, "badfunc"), [1, 2]), pthread=pthread, tid=tid)
    f.interp([good, bad], modules=f.threading([(f.pthread, f.str("MainThread")), (pthread, f.str("Looper"))]))
    f.bad_tid = tid


def many_unreadable(f, n=2000):
    """The main thread's good stack, then n thread states sharing one frame
    chain of 300 frames that loops (unreadable for good)."""
    back = looping_chain(f, code_of(f, "badfunc"), [1] + [2] * 299)
    good = f.tstate(f.frame(code_of(f, "goodfunc"), 1))
    f.interp([good] + [f.tstate(back, tid=0x7fff0000 + i, pthread=0) for i in range(n)],
             modules=0)


def prealloc_state(f):
    """The main thread's stack, and the thread state 3.8-3.11 make for a
    thread being started: no frame, and its creator's thread ids (the new
    thread sets its own once it runs)."""
    good = f.tstate(f.frame(code_of(f, "goodfunc"), 1))
    f.interp([f.tstate(0), good], modules=f.threading([(f.pthread, f.str("MainThread"))]))


def left_interp(f, n=200):
    """The main thread's good stack, its next link then leading out of the
    interpreter (a state freed under the reader: glibc's free lists in the
    words of its links) to n states of no interpreter, each with a frame
    whose executable is 0 (read as a torn stack since 02e432f)."""
    good = f.tstate(f.frame(code_of(f, "goodfunc"), 1))
    f.interp([good], modules=0)
    fr = f.frame(0, 0)
    out = [f.tstate(fr, tid=0, pthread=0, interp=0xdead0000 + 16 * k) for k in range(n)]
    for k, t in enumerate(out):
        f.put(t + f.L["tstate_next"], 8, out[k + 1] if k + 1 < n else 0)
    f.put(good + f.L["tstate_next"], 8, out[0])


def thread_loop(f):
    fr = f.frame(code_of(f), 1)
    ts = [f.tstate(fr, pthread=f.pthread + i) for i in range(5)]
    f.interp(ts, modules=0)
    f.put(ts[-1] + f.L["tstate_next"], 8, ts[1])


def many_threads(f):
    fr = f.frame(code_of(f), 1)
    ts = [f.tstate(fr, tid=f.tid if i == 0 else 0x7fff0000 + i, pthread=f.pthread + i) for i in range(5000)]
    f.interp(ts, modules=f.threading([(f.pthread, f.str("M"))]))


def garbage_line_tables(f):
    rnd = random.Random(f.minor)
    back = 0
    for k in range(30):
        lt = bytes(rnd.getrandbits(8) for _ in range(rnd.choice([1, 2, 7, 65536, 70000])))
        c = code_of(f, "g%d" % k, lt=lt, units=40000, first=rnd.choice([0x7fffffff, -0x80000000, 1, -5]))
        back = f.frame(c, rnd.randrange(0, 40000), back=back)
    one_thread(f, back)


def self_referencing_code(f):
    L = f.L
    c = f.alloc(1024)
    f.put(c + L["object_type"], 8, f.codetype)
    for fld in ("code_filename", "code_name", "code_linetable", "code_qualname", "code_code"):
        if L.get(fld, -1) >= 0:
            f.put(c + L[fld], 8, c)
    f.put(c + L["var_size"], 8, 0x7fffffffffffffff)
    f.interp([f.tstate(f.frame(c, 1))], modules=f.threading([(f.pthread, c)]))


def big_strings(f):
    n1 = f.str([0x1F600] * 5000, kind=4)
    n2 = f.str("A" * 10, length=1 << 24)
    n3 = f.str([0x263A] * 300, kind=2, ascii=True)
    back = 0
    for s in (n1, n2, n3):
        back = f.frame(f.code(s, s, 1, f.bytes(line_table(f)), 8), 1, back=back)
    one_thread(f, back, tname=n1)


def c_stack_frames(f):
    L = f.L
    c = code_of(f)
    back = 0
    for i in range(1000):
        back = f.frame(c, 1, back=back)
        if i % 2 and L.get("iframe_owner_cstack", -1) >= 0:
            f.put(back + L["iframe_owner"], 1, L["iframe_owner_cstack"])
    one_thread(f, back)


def one_deep_stack_many_threads(f):
    back = 0
    for i in range(299):
        c = f.code(f.str("%03d" % i + "n" * 600), f.str("%03d" % i + "f" * 1100), 1, f.bytes(line_table(f)), 8)
        back = f.frame(c, 1, back=back)
    f.interp([f.tstate(back, tid=f.tid if i == 0 else 0x7fff0000 + i, pthread=f.pthread + i) for i in range(600)],
             modules=0)


def peak_rss_kb(argv):
    """Run argv (output discarded); its peak RSS in KiB and exit status."""
    code = ("import resource, subprocess, sys\n"
            "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode)\n")
    out = subprocess.run([sys.executable, "-c", code] + argv, stdout=subprocess.PIPE, timeout=TIMEOUT).stdout
    rss, rc = out.split()
    return int(rss), int(rc)


def full_chain_rewalk(f):
    """2000 thread states share one chain that fills every chain position
    (300 frames on 3.11+, 299 on 3.8-3.10); a thread of the target keeps
    swapping the innermost code object's name, so a later thread's walk
    finds it replaced and walks again with the full chain as its guess."""
    L = f.L
    lt = f.bytes(line_table(f))
    back, codes = 0, []
    for i in range(300 if f.minor >= 11 else 299):
        codes.append(f.code(f.str("f%d" % i + "x" * 400), f.str("file%d.py" % i), 1, lt, 8))
        back = f.frame(codes[-1], 1, back=back)
    if L["frame_model"] == "FRAME_MODEL_CFRAME":
        return None   # the cframe takes a chain position: 299 frames fit
    f.interp([f.tstate(back, tid=f.tid if i == 0 else 0x7fff0000 + i, pthread=f.pthread + i)
              for i in range(2000)], modules=0)
    alt = f.str("other")
    f.flips = []
    for fld in ("code_name", "code_qualname"):
        if L.get(fld, -1) >= 0:
            addr = codes[-1] + L[fld]
            f.flips.append((addr, struct.unpack_from("<Q", f.img, addr - f.arena)[0], alt))
    return None


def child_state(pid):
    try:
        with open("/proc/%d/stat" % pid, errors="replace") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


def killed_pytop_ends_program():
    """pytop killed with SIGKILL while it waits for a launched program:
    the program must not keep running (it held pytop's output)."""
    desc = "a launched program ends when pytop is killed with SIGKILL"
    p = subprocess.Popen([pythons.pytop_binary(), "--batch", "-d", "60", "--", "sleep", "300"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    child = 0
    deadline = time.time() + 20
    while not child and time.time() < deadline:
        try:
            with open("/proc/%d/task/%d/children" % (p.pid, p.pid)) as fh:
                kids = fh.read().split()
            child = int(kids[0]) if kids else 0
        except OSError:
            break
        time.sleep(0.05)
    p.kill()
    p.wait()
    if not child:
        return False, desc, "no child seen"
    deadline = time.time() + 20
    while child_state(child) not in ("gone", "Z") and time.time() < deadline:
        time.sleep(0.05)
    state = child_state(child)
    if state not in ("gone", "Z"):
        os.kill(child, 9)
    return state in ("gone", "Z"), desc, "child %d state %s" % (child, state)


def with_fake(binary, minor, build):
    f = fakepy.Fake(binary, (3, minor))
    unmap = build(f)
    f.go()
    for addr, a, b in getattr(f, "flips", []):
        f.send("flip 0x%x 0x%x 0x%x" % (addr, a, b))
    if unmap:
        f.send("unmap 0x%x 4096" % unmap)
        f.send("go")
        f.p.stdout.readline()
    return f


def main():
    tap = Tap()
    binary = fakepy.poke_binary()
    if not binary:
        print("1..0 # SKIP tests/targets/poke_python not built")
        return 0

    for minor in (12, 8):
        with with_fake(binary, minor, names_quadratic) as f:
            for args in (["--dump"], ["--batch", "-d", "1", "-r", "200"]):
                rc, out, err, dt = run(args + ["-p", str(f.pid)])
                tap.ok(rc != "timeout" and not sane(rc, out, err),
                       "3.%d names-quadratic %s ends (%.1f s)" % (minor, " ".join(args), dt), sane(rc, out, err))

    for minor in (8, 9):
        with with_fake(binary, minor, lasti_max) as f:
            for args in (["--dump"], ["--batch", "-d", "1", "-r", "200", "-m", "wall", "-f", "collapsed"]):
                rc, out, err, dt = run(args + ["-p", str(f.pid)])
                bad = sane(rc, out, err)
                tap.ok(not bad and b"big (" not in out and b"big;" not in out and b";big" not in out,
                       "3.%d f_lasti INT32_MAX, code size unknown: %s shows no frame" % (minor, " ".join(args)),
                       bad or out.decode("utf-8", "replace"))

    for minor in (8, 11, 13):
        with with_fake(binary, minor, str_past_mapping) as f:
            rc, out, err, dt = run(["--dump", "-p", str(f.pid)])
            bad = sane(rc, out, err)
            tap.ok(not bad and b"ENDNAME" not in out,
                   "3.%d a str running past its mapping is not shown" % minor,
                   bad or out.decode("utf-8", "replace"))

    path = os.path.join(os.environ.get("TMPDIR", "/tmp"), "pytop-test-keep-%d.txt" % os.getpid())
    try:
        with open(path, "w") as fh:
            fh.write("precious\n")
        rc, out, err, dt = run(["--batch", "-d", "1", "-o", path, "-p", "999999999"])
        with open(path) as fh:
            kept = fh.read()
        tap.ok(rc == 1 and kept == "precious\n", "-o FILE of a run that cannot attach keeps FILE's content",
               "rc %r, now %r" % (rc, kept))
    finally:
        os.unlink(path)

    tap.ok(*killed_pytop_ends_program())

    for minor in (13, 8):
        with with_fake(binary, minor, full_chain_rewalk) as f:
            bad = ""
            for k in range(5):
                rc, out, err, dt = run(["--dump", "-p", str(f.pid)])
                bad = sane(rc, out, err)
                if bad:
                    break
            tap.ok(not bad, "3.%d a re-walk with a full chain as its guess stays in its buffers" % minor, bad)

    with with_fake(binary, 13, one_deep_stack_many_threads) as f:
        rss, rc = peak_rss_kb([pythons.pytop_binary(), "--dump", "-p", str(f.pid)])
        tap.ok(rc == 0 and rss < 100 * 1024,
               "--dump of 600 threads sharing 299 frames of long names: peak RSS %d MB < 100 MB" % (rss // 1024),
               "rc %r" % rc)

    for minor in (8, 13):
        with with_fake(binary, minor, ctrl_names) as f:
            rc, out, err, dt = run(["--dump", "-p", str(f.pid)])
            raw = re.findall(rb"[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]", out)
            tap.ok(not sane(rc, out, err) and not raw,
                   "3.%d --dump text: no raw control bytes from the target" % minor,
                   repr(sorted(set(raw))))

    for minor in (8, 11, 13):
        with with_fake(binary, minor, one_unreadable) as f:
            for blocking in ([], ["--blocking"]):
                rc, out, err, dt = run(["--dump"] + blocking + ["-p", str(f.pid)])
                bad = sane(rc, out, err)
                text = out.decode("utf-8", "replace")
                tap.ok(not bad and rc == 0 and "goodfunc (goodfunc.py:" in text
                       and re.search(r'Thread %d "Looper" \(\w+\)\n    \(stack not readable: [^)]+\)\n' % f.bad_tid,
                                     text) and "badfunc" not in text
                       and b"could not be read" in err,
                       "3.%d --dump%s: one thread's unreadable stack is marked on its thread, the other "
                       "thread's stack is shown, exit 0" % (minor, " " + blocking[0] if blocking else ""),
                       bad or "rc %r\n%s\n%s" % (rc, text, err.decode("utf-8", "replace")))
            rc, out, err, dt = run(["--dump", "--json", "-p", str(f.pid)])
            try:
                doc = json.loads(out)
                th = {t["tid"]: t for t in doc["threads"]}
            except (ValueError, KeyError, TypeError):
                th = {}
            tap.ok(rc == 0 and f.bad_tid in th and th[f.bad_tid].get("error") and th[f.bad_tid]["frames"] == []
                   and any(t["frames"] and t["frames"][0]["name"] == "goodfunc" for t in th.values()),
                   "3.%d --dump --json: the unreadable thread has \"error\" and no frames" % minor,
                   "rc %r %s" % (rc, out[:600]))

    # A thread being started (CPython 3.8-3.11 under thread churn: 41 of
    # 100 --nonblocking dumps) was shown as the thread starting it, its tid
    # twice, the second one with no stack.
    for minor in (8, 11):
        with with_fake(binary, minor, prealloc_state) as f:
            rc, out, err, dt = run(["--dump", "-p", str(f.pid)])
            bad = sane(rc, out, err)
            text = out.decode("utf-8", "replace")
            tap.ok(not bad and rc == 0 and text.count("Thread %d " % f.tid) == 1 and "goodfunc (goodfunc.py:" in text,
                   "3.%d a thread state with its creator's ids and no frame is not shown as its creator" % minor,
                   bad or "rc %r\n%s" % (rc, text))

    # Every unreadable stack was walked 64 times, every pass of the list
    # (16 when the target runs): 66 s (88 s with --blocking) for one dump.
    for minor in (8, 13):
        with with_fake(binary, minor, many_unreadable) as f:
            for blocking in ([], ["--blocking"]):
                rc, out, err, dt = run(["--dump"] + blocking + ["-p", str(f.pid)])
                bad = sane(rc, out, err)
                tap.ok(not bad and rc == 0 and dt < 15 and b"goodfunc (goodfunc.py:" in out,
                       "3.%d --dump%s of 2000 threads whose 300-frame chain loops ends in %.1f s < 15 s"
                       % (minor, " " + blocking[0] if blocking else "", dt),
                       bad or "rc %r\n%s" % (rc, err.decode("utf-8", "replace")))

    # A list that leads out of the interpreter was walked to its end,
    # every state's stack torn 8 times: 50 errors a round (200 here), a
    # millisecond each, the rate down to 50-300 Hz. It ends there. And
    # errors_by_kind was read before the last round (a slow one often ended
    # after): 2,000 of 2,200 errors by kind; now the counters after it.
    for minor in (8, 11, 13):
        with with_fake(binary, minor, left_interp) as f:
            rc, out, err, dt = run(["--batch", "-d", "1", "-m", "wall", "-f", "json", "-p", str(f.pid)])
            try:
                doc = json.loads(out)
                samples, errors, kinds = doc["samples"], doc["errors"], doc["overhead"]["errors_by_kind"]
            except (ValueError, KeyError, TypeError):
                samples, errors, kinds = 0, -1, {}
            tap.ok(not sane(rc, out, err) and rc == 0 and samples > 0 and 0 < errors <= samples + 2
                   and kinds.get("torn") == 0 and kinds.get("other", 0) > 0 and sum(kinds.values()) == errors,
                   "3.%d a thread list leading out of its interpreter ends there: %d errors for %d samples "
                   "(one a round), by kind %r" % (minor, errors, samples, kinds),
                   sane(rc, out, err) or out[:400])
            # --dump showed them as "(200 thread state(s) with no kernel
            # thread yet, not shown)".
            for blocking in ([], ["--blocking"]):
                rc, out, err, dt = run(["--dump"] + blocking + ["-p", str(f.pid)])
                bad = sane(rc, out, err)
                tap.ok(not bad and rc == 0 and b"goodfunc (goodfunc.py:" in out and b"thread state" not in out + err
                       and out.count(b"Thread ") == 1,
                       "3.%d --dump%s: the thread list ends where it leaves its interpreter" %
                       (minor, " " + blocking[0] if blocking else ""),
                       bad or "rc %r\n%s\n%s" % (rc, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")))

    sweep = [("cycle", cycle), ("thread-loop", thread_loop), ("5000 threads", many_threads),
             ("garbage line tables", garbage_line_tables), ("self-referencing code", self_referencing_code),
             ("huge strings", big_strings), ("C-stack frames", c_stack_frames)]
    for minor in (8, 11, 13):
        for name, build in sweep:
            with with_fake(binary, minor, build) as f:
                for args in (["--dump", "--json"], ["--batch", "-d", "1", "-r", "200", "-m", "wall", "-f", "json"]):
                    rc, out, err, dt = run(args + ["-p", str(f.pid)])
                    bad = sane(rc, out, err)
                    tap.ok(not bad, "3.%d %s: %s" % (minor, name, " ".join(args)), bad)

    print("1..%d" % tap.n)
    # 0 once the plan is out: a failing point is reported by its own line
    # (as tests/live/pythons.py's Tap and tests/unit/tap.h).
    return 0


if __name__ == "__main__":
    sys.exit(main())
