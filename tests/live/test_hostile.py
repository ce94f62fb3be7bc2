"""Live test: what a hostile target or local user controls cannot reach the
user's terminal or root's files through pytop (issue 9, items 2 and 3) (TAP).

Run with the system python3 (automake's PY_LOG_COMPILER); the pytop under test
is $PYTOP. Interpreters from pythons.py (PYTOP_TEST_PYTHONS overrides them).

Per interpreter, against tests/targets/evil_target.py (a thread named with
ESC/BEL/OSC/CSI/CR/LF/C1, burning CPU in a function named with ESC/BEL/LF/
DEL, compiled from a file named with LF/CSI/BEL):

  --dump, --batch (text), --batch -f collapsed: no raw control byte in the
        output (C0 other than the format's own newlines, DEL, C1 as UTF-8);
        each evil name is there in its escaped form (\\x1b, \\n, \\u0085 ...);
        collapsed: every line is `frames count`, the evil frame on one line
  --dump --json, --batch -f json: no raw control byte; the JSON parses and
        gives back the exact names

Once (tests/targets/maps_split_target.py on Debian's static python3.11): a
maps line longer than 1024 bytes whose tail, cut there, would read as a
mapping of a FIFO named libpython3.12.so: --dump ends (no open of the FIFO
waited on) and shows the target's stack.

Once (tests/targets/fuse_cover_target.py under `unshare -m`, needs root and
/dev/fuse, else a loud SKIP): the target covers its interpreter's directory
with a FUSE mount nobody serves; `--dump` ends within 20 s, non-zero, with
one line naming the file it could not read (it used to hang for good).

Once (tests/targets/fake_python copied to a directory named with ESC/OSC/BEL):
`--batch --gilstat` says on stderr why gilstat is sampled, quoting the
binary's path escaped, with no raw control byte.

Once (launch mode in a pty, TMPDIR a fresh directory): a symlink planted at
the predicted log name $TMPDIR/pytop-<pid>.log, pointing at a "root-only"
file, is not followed: the file keeps its contents, the symlink stays, and
pytop names the log it used instead (a new 0600 file with the program's
output).

Once (the live view in a pty, its current directory a world-writable sticky
one like /tmp): symlinks planted at every name `w` could pick for the next
minute (./pytop-<pid>-<YYYYmmdd-HHMMSS>.txt) are not followed: `w` saves to
a new 0600 file pytop-<pid>-<stamp>-XXXXXX.txt and the victim is untouched.
"""

import json
import os
import pty
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import fcntl
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "targets"))
import pythons  # noqa: E402
import evil_target  # noqa: E402

TARGET = os.path.join(os.path.dirname(HERE), "targets", "evil_target.py")
TIMEOUT = 60

# Raw control bytes: C0 except LF (each format's own line ends), DEL, and the
# C1 controls as UTF-8 (C2 80..C2 9F).
RAW_CONTROL = re.compile(rb"[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]")


def text_escape(s):
    """The text form pytop's escape_step gives (for the names used here)."""
    out = []
    for ch in s:
        cp = ord(ch)
        if ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif cp < 0x20 or cp == 0x7f:
            out.append("\\x%02x" % cp)
        elif 0x80 <= cp <= 0x9f:
            out.append("\\u%04x" % cp)
        else:
            out.append(ch)
    return "".join(out)


def run(argv):
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=TIMEOUT)
    return proc.returncode, proc.stdout, proc.stderr


def raw_controls(data):
    return [m.group(0) for m in RAW_CONTROL.finditer(data)][:5]


def check_text(tap, what, rc, out, err, names, extra=None):
    problems = []
    if rc != 0:
        problems.append("exit status %d, stderr %r" % (rc, err[:300]))
    bad = raw_controls(out) + raw_controls(err)
    if bad:
        problems.append("raw control bytes in the output: %r" % bad)
    text = out.decode("utf-8", "replace")
    for name in names:
        if text_escape(name) not in text:
            problems.append("escaped %r not found" % text_escape(name))
    if extra:
        problems.extend(extra(text))
    tap.ok(not problems, what, problems + ["output: %r" % out[:1500]])


def check_json(tap, what, rc, out, err, find):
    problems = []
    if rc != 0:
        problems.append("exit status %d, stderr %r" % (rc, err[:300]))
    bad = raw_controls(out)
    if bad:
        problems.append("raw control bytes in the JSON: %r" % bad)
    try:
        obj = json.loads(out)
        problems.extend(find(obj))
    except ValueError as exc:
        problems.append("not JSON: %s" % exc)
    tap.ok(not problems, what, problems + ["output: %r" % out[:1500]])


def dump_json_names(obj):
    problems = []
    threads = obj.get("threads", [])
    if not any(t.get("name") == evil_target.EVIL_THREAD for t in threads):
        problems.append("no thread named %r" % evil_target.EVIL_THREAD)
    frames = [f for t in threads for f in t.get("frames", [])]
    if not any(f.get("name") == evil_target.EVIL_FUNC and f.get("file") == evil_target.EVIL_FILE
               for f in frames):
        problems.append("no frame %r in %r" % (evil_target.EVIL_FUNC, evil_target.EVIL_FILE))
    return problems


def batch_json_names(obj):
    problems = []
    if not any(t.get("name") == evil_target.EVIL_THREAD for t in obj.get("threads", [])):
        problems.append("no thread named %r" % evil_target.EVIL_THREAD)
    if not any(f.get("name") == evil_target.EVIL_FUNC and f.get("file") == evil_target.EVIL_FILE
               for f in obj.get("functions", [])):
        problems.append("no function %r in %r" % (evil_target.EVIL_FUNC, evil_target.EVIL_FILE))
    return problems


def collapsed_lines(text):
    problems = []
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        problems.append("no collapsed lines")
    for line in lines:
        if not re.match(r"^.+ \d+$", line):
            problems.append("not `frames count`: %r" % line)
    want = "%s (%s:" % (text_escape(evil_target.EVIL_FUNC), text_escape(evil_target.EVIL_FILE))
    if not any(want in line for line in lines):
        problems.append("the evil frame %r is on no line" % want)
    return problems


def start_target(interp):
    proc = subprocess.Popen(interp.argv(interp.script(TARGET)), stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    ready, _, _ = select.select([proc.stdout], [], [], 20)
    if ready and proc.stdout.readline().strip() == b"ready":
        return proc
    stop(proc)
    return None


def stop(proc):
    if proc is None:
        return
    try:
        proc.stdin.close()
    except OSError:
        pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def test_escaping(tap, pytop, interp):
    proc = start_target(interp)
    if proc is None:
        tap.ok(False, "%s: evil target starts" % interp.label)
        return
    try:
        pid = str(proc.pid)
        names = (evil_target.EVIL_THREAD, evil_target.EVIL_FUNC, evil_target.EVIL_FILE)
        check_text(tap, "%s: --dump escapes thread, function and file names" % interp.label,
                   *run([pytop, "--dump", "-p", pid]), names)
        check_json(tap, "%s: --dump --json escapes and keeps the exact names" % interp.label,
                   *run([pytop, "--dump", "--json", "-p", pid]), dump_json_names)
        check_text(tap, "%s: --batch text escapes the names" % interp.label,
                   *run([pytop, "--batch", "-d", "1", "-p", pid]), names)
        check_text(tap, "%s: --batch collapsed escapes, one stack a line" % interp.label,
                   *run([pytop, "--batch", "-d", "1", "-f", "collapsed", "-p", pid]),
                   names[1:], collapsed_lines)
        check_json(tap, "%s: --batch json escapes and keeps the exact names" % interp.label,
                   *run([pytop, "--batch", "-d", "1", "-f", "json", "-p", pid]), batch_json_names)
    finally:
        stop(proc)


def test_maps_split(tap, pytop):
    # A statically linked interpreter (no libpython of its own mapped): the
    # spoofed libpython mapping is the only one a reader could pick.
    path = "/usr/bin/python3.11" if os.access("/usr/bin/python3.11", os.X_OK) else sys.executable
    label = "static %s" % os.path.basename(path)
    tmp = tempfile.mkdtemp(prefix="pytop-maps-")
    proc = subprocess.Popen([path, os.path.join(os.path.dirname(HERE), "targets", "maps_split_target.py"),
                             tmp], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 20)
        line = proc.stdout.readline().strip() if ready else b""
        if line != b"ready":
            tap.ok(False, "%s: maps-split target starts" % label, "got %r" % line)
            return
        try:
            r = subprocess.run([pytop, "--dump", "-p", str(proc.pid)], stdin=subprocess.DEVNULL,
                               capture_output=True, timeout=20)
            hung, rc, out, err = False, r.returncode, r.stdout, r.stderr
        except subprocess.TimeoutExpired:
            hung, rc, out, err = True, -1, b"", b""
        tap.ok(not hung and rc == 0 and b"<module>" in out,
               "%s: a maps line over 1024 bytes (its tail a FIFO 'libpython'): --dump ends and reads the target"
               % label, "hung %s exit %d stdout %r stderr %r" % (hung, rc, out[:300], err[:300]))
    finally:
        stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)


def test_fuse_stall(tap, pytop):
    what = "a target behind a FUSE mount nobody serves: --dump ends with a one-line error"
    unshare = shutil.which("unshare")
    py = "/usr/bin/python3.11" if os.access("/usr/bin/python3.11", os.X_OK) else sys.executable
    if os.geteuid() != 0 or not unshare or not os.path.exists("/dev/fuse"):
        tap.skip(what, "needs root, unshare(1) and /dev/fuse")
        return
    proc = subprocess.Popen([unshare, "-m", "--propagation", "private", py,
                             os.path.join(os.path.dirname(HERE), "targets", "fuse_cover_target.py")],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 20)
        line = proc.stdout.readline().strip() if ready else b""
        if not line.startswith(b"covered"):
            tap.skip(what, "the FUSE mount could not be made here: %r" % line)
            return
        start = time.monotonic()
        try:
            r = subprocess.run([pytop, "--dump", "-p", str(proc.pid)], stdin=subprocess.DEVNULL,
                               capture_output=True, timeout=20)
            hung, rc, err = False, r.returncode, r.stderr
        except subprocess.TimeoutExpired:
            hung, rc, err = True, -1, b""
        took = time.monotonic() - start
        lines = err.decode("utf-8", "replace").strip().splitlines()
        tap.ok(not hung and rc != 0 and len(lines) == 1 and "FUSE" in lines[0],
               "%s (%.1f s)" % (what, took), "hung %s exit %d stderr %r" % (hung, rc, err[:400]))
    finally:
        stop(proc)


def test_gilstat_note_escaped(tap, pytop):
    build = os.environ.get("PYTOP_BUILDDIR") or pythons.REPO
    fake = os.path.join(build, "tests", "targets", "fake_python")
    if not os.access(fake, os.X_OK):
        tap.ok(False, "fake_python is built", "missing %s (make check builds it)" % fake)
        return
    tmp = tempfile.mkdtemp(prefix="pytop-esc-")
    evil = os.path.join(tmp, "\x1b]0;PWNED\x07\x1b[31mRED")
    os.mkdir(evil)
    binary = os.path.join(evil, "python3.13")
    shutil.copy(fake, binary)
    proc = subprocess.Popen([binary], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 20)
        if not (ready and proc.stdout.readline().startswith(b"ready")):
            tap.ok(False, "fake_python in an ESC-named directory starts")
            return
        r = subprocess.run([pytop, "--batch", "--gilstat", "-d", "1", "-p", str(proc.pid)],
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
        tap.ok(b"--gilstat" in r.stderr and not raw_controls(r.stderr.replace(b"\n", b"")),
               "a binary path with ESC/OSC/BEL: --batch --gilstat's note on stderr is escaped",
               "exit %d stderr %r" % (r.returncode, r.stderr[:600]))
    finally:
        proc.kill()
        proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)


def test_launch_log_symlink(tap, pytop, interp):
    what = "launch mode: a symlink planted at $TMPDIR/pytop-<pid>.log is not followed"
    tmp = tempfile.mkdtemp(prefix="pytop-hostile-")
    victim = os.path.join(tmp, "root-only")
    with open(victim, "w") as f:
        f.write("precious\n")
    os.chmod(victim, 0o600)
    rfd, wfd = os.pipe()
    pid, master = pty.fork()
    if pid == 0:
        os.close(wfd)
        os.read(rfd, 1)                   # wait for the planted symlink
        env = dict(os.environ, TMPDIR=tmp, TERM="xterm", LANG="C.UTF-8", LC_ALL="C.UTF-8")
        os.execve(pytop, [pytop, "--"] + interp.argv(
            "-c", "import time; print('hello from the target', flush=True); time.sleep(60)"), env)
    os.close(rfd)
    fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    planted = os.path.join(tmp, "pytop-%d.log" % pid)
    os.symlink(victim, planted)
    os.write(wfd, b"x")
    os.close(wfd)
    screen = b""
    problems = []
    log = None
    deadline = time.monotonic() + 30
    quit_sent = False
    status = None
    while time.monotonic() < deadline:
        if not quit_sent:
            for name in os.listdir(tmp):
                path = os.path.join(tmp, name)
                if name.startswith("pytop-%d" % pid) and path != planted and name.endswith(".log"):
                    with open(path, "rb") as f:
                        if b"hello from the target" in f.read():
                            log = path
            if log:
                os.write(master, b"q")
                quit_sent = True
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                break
            screen += chunk
    else:
        problems.append("pytop did not end within 30 s (log seen: %s)" % log)
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    os.close(master)
    with open(victim) as f:
        if f.read() != "precious\n":
            problems.append("the victim file was written through the symlink")
    if not os.path.islink(planted):
        problems.append("the planted symlink was replaced")
    if log is None:
        problems.append("no other log file with the program's output")
    else:
        mode = os.stat(log).st_mode & 0o777
        if mode != 0o600:
            problems.append("the log's mode is %o, not 600" % mode)
        tail = screen.decode("utf-8", "replace")
        if "the program's output is in %s" % log not in tail:
            problems.append("pytop did not name the log it used (%s)" % log)
    tap.ok(not problems, what + " (log: %s)" % (log and os.path.basename(log)),
           problems + ["exit status %r" % status, "screen tail: %r" % screen[-600:]])
    shutil.rmtree(tmp, ignore_errors=True)


def pty_pytop(argv, env, cwd=None, cols=120):
    """pytop in a pty of 40 x COLS: (pid, master fd)."""
    rfd, wfd = os.pipe()
    pid, master = pty.fork()
    if pid == 0:
        os.close(wfd)
        os.read(rfd, 1)                   # the window size is set
        if cwd:
            os.chdir(cwd)
        os.execve(argv[0], argv, env)
    os.close(rfd)
    fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 40, cols, 0, 0))
    os.write(wfd, b"x")
    os.close(wfd)
    return pid, master


def drain(master, seconds):
    end = time.monotonic() + seconds
    data = b""
    while time.monotonic() < end:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
    return data


def test_save_symlink(tap, pytop, interp):
    what = "w: symlinks planted at the snapshot's predictable names are not followed"
    tmp = tempfile.mkdtemp(prefix="pytop-hostile-w-")
    os.chmod(tmp, 0o1777)
    victim = os.path.join(tmp, "root-only")
    with open(victim, "w") as f:
        f.write("precious\n")
    os.chmod(victim, 0o600)
    target = start_target(interp)
    problems = []
    saved = None
    pid = None
    try:
        if target is None:
            tap.ok(False, what, ["the target did not start"])
            return
        now = time.time()
        planted = set()
        for k in range(-2, 90):
            name = "pytop-%d-%s.txt" % (target.pid, time.strftime("%Y%m%d-%H%M%S", time.localtime(now + k)))
            os.symlink(victim, os.path.join(tmp, name))
            planted.add(name)
        env = dict(os.environ, TERM="xterm", LANG="C.UTF-8", LC_ALL="C.UTF-8")
        pid, master = pty_pytop([pytop, "-p", str(target.pid)], env, tmp)
        drain(master, 2)
        os.write(master, b"w")        # the save prompt, proposing the predictable name
        drain(master, 0.5)
        os.write(master, b"\r")       # taken: it must be saved under another
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and saved is None:
            drain(master, 0.2)
            for name in os.listdir(tmp):
                path = os.path.join(tmp, name)
                if name.startswith("pytop-%d-" % target.pid) and name not in planted and \
                        os.path.isfile(path) and not os.path.islink(path) and os.path.getsize(path) > 0:
                    saved = path
        os.write(master, b"q")
        drain(master, 3)
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
        os.waitpid(pid, 0)
        os.close(master)
    finally:
        stop(target)
    with open(victim) as f:
        if f.read() != "precious\n":
            problems.append("the victim file was written through a planted symlink")
    if saved is None:
        problems.append("no snapshot saved under another name")
    else:
        if not re.match(r"^pytop-%d-\d{8}-\d{6}-\w{6}\.txt$" % target.pid, os.path.basename(saved)):
            problems.append("unexpected name %s" % os.path.basename(saved))
        mode = os.stat(saved).st_mode & 0o777
        if mode != 0o600:
            problems.append("the snapshot's mode is %o, not 600" % mode)
        with open(saved) as f:
            if not f.read().startswith("pytop "):
                problems.append("the snapshot is not a text report")
    tap.ok(not problems, what + " (saved: %s)" % (saved and os.path.basename(saved)), problems)
    shutil.rmtree(tmp, ignore_errors=True)


def main():
    tap = pythons.Tap()
    pytop = pythons.pytop_binary()
    if not (os.path.isfile(pytop) and os.access(pytop, os.X_OK)):
        tap.bail("pytop binary not found at %s (set PYTOP)" % pytop)
    interps = list(pythons.interpreters(tap, chroot=True))
    for interp in interps:
        test_escaping(tap, pytop, interp)
    if interps:
        test_maps_split(tap, pytop)
        test_fuse_stall(tap, pytop)
        test_gilstat_note_escaped(tap, pytop)
        test_launch_log_symlink(tap, pytop, interps[-1])
        test_save_symlink(tap, pytop, interps[-1])
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
