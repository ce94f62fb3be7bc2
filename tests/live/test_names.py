"""Live test: threads are named by threading even when threading._active
does not list them (TAP).

Run with the system python3; the pytop under test is $PYTOP. On every
interpreter from pythons.py, tests/targets/hidden_thread_target.py runs two
spinning threads for 2 s, one of them ("hidden-worker") taken out of
threading._active, as a thread-per-request server's threads are during
their start-up and end. pytop --batch -f json in launch mode, and --dump
--json of the running target, must give both their threading names (pytop
reads a thread's name from its own Thread._bootstrap frame too, issue 8 item
2), not the kernel's.
"""

import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pythons  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TARGET = os.path.join(HERE, "..", "targets", "hidden_thread_target.py")
EMPTY_TARGET = os.path.join(HERE, "..", "targets", "empty_name_target.py")
SWAP_TARGET = os.path.join(HERE, "..", "targets", "name_swap_target.py")
RAW_TARGET = os.path.join(HERE, "..", "targets", "raw_threads_target.py")
SECS = 2


def main():
    tap = pythons.Tap()
    pytop = pythons.pytop_binary()
    for interp in pythons.interpreters(tap, chroot=True):
        work = interp.mkdtemp("pytop-names-")
        try:
            run_one(tap, pytop, interp, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return tap.done()


def run_one(tap, pytop, interp, work):
    out = os.path.join(work, "snap.json")
    truth_path = os.path.join(work, "truth.json")
    try:
        proc = subprocess.run([pytop, "--batch", "-f", "json", "-o", out, "--"] +
                              interp.argv(interp.script(TARGET), str(SECS), interp.inside(truth_path)),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=60, universal_newlines=True)
    except subprocess.TimeoutExpired:
        tap.ok(False, "%s: pytop finished" % interp.label, "timed out")
        return
    if not tap.ok(proc.returncode == 0 and os.path.exists(out) and os.path.exists(truth_path),
                  "%s: launch-mode batch run exits 0 with a snapshot and the target's truth"
                  % interp.label, proc.stderr):
        return
    with open(out) as f:
        snap = json.load(f)
    with open(truth_path) as f:
        truth = json.load(f)
    rows = {r["tid"]: r for r in snap.get("threads", [])}
    for name in ("hidden-worker", "listed-worker"):
        row = rows.get(truth.get(name))
        tap.ok(row is not None and row.get("name") == name and row.get("samples", 0) > 0,
               "%s: %s (tid %s) is sampled under its threading name" % (interp.label, name, truth.get(name)),
               json.dumps(row) if row else "tid not in the snapshot: %r" % sorted(rows))
    test_dump(tap, pytop, interp, work)
    test_empty_name(tap, pytop, interp, work)
    test_empty_name_long(tap, pytop, interp, work)
    # Its kernel name cut inside the last e-acute (8 + 4 x 2 bytes).
    test_empty_name_long(tap, pytop, interp, work, spawner="Spawner-\u00e9\u00e9\u00e9\u00e9")
    test_shared_kernel_name(tap, pytop, interp, work)
    test_name_swap(tap, pytop, interp, work)


def test_name_swap(tap, pytop, interp, work):
    """Children that end and are freed while the other spawner makes its
    next: no thread may be shown under another thread's name (its Thread
    read from its dead _bootstrap frame, freed and reused between the read
    of _native_id and of _name)."""
    out = os.path.join(work, "swap.json")
    truth_path = os.path.join(work, "truth-swap.json")
    target = subprocess.Popen(interp.argv(interp.script(SWAP_TARGET), "10", interp.inside(truth_path)),
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    try:
        time.sleep(1)
        proc = subprocess.run([pytop, "-p", str(target.pid), "--batch", "-d", "8", "-f", "json", "-o", out],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=90, universal_newlines=True)
        target.wait(timeout=60)
    except subprocess.TimeoutExpired:
        target.kill()
        target.wait()
        tap.ok(False, "%s: pytop and the target finished (name swap)" % interp.label, "timed out")
        return
    if not tap.ok(proc.returncode == 0 and os.path.exists(out) and os.path.exists(truth_path),
                  "%s: pytop -p runs over the name-swap target" % interp.label, proc.stderr):
        return
    with open(out) as f:
        rows = json.load(f).get("threads", [])
    with open(truth_path) as f:
        log = json.load(f)["log"]
    own, every = {}, set()
    for tid, name in log:
        own.setdefault(tid, set()).add(name)
        every.add(name)
    named = [r for r in rows if r.get("name") and r["tid"] in own]
    wrong = [(r["tid"], r["name"], sorted(own[r["tid"]])) for r in named
             if r["name"] in every and r["name"] not in own[r["tid"]]]
    tap.ok(named and not wrong, "%s: %d of %d threads named, none under another thread's name"
           % (interp.label, len(named), len(rows)), wrong)


def launch_batch(tap, pytop, interp, work, name, target, args, what):
    """pytop --batch -f json in launch mode over TARGET ARGS... TRUTH, the
    snapshot in WORK/NAME.json and the target's truth in WORK/truth-NAME.json:
    (the snapshot's thread rows by tid, the truth), or None after a failed
    point (WHAT says which run)."""
    out = os.path.join(work, name + ".json")
    truth_path = os.path.join(work, "truth-%s.json" % name)
    argv = interp.argv(interp.script(target), *(args[:2] + [interp.inside(truth_path)] + args[2:]))
    try:
        proc = subprocess.run([pytop, "--batch", "-f", "json", "-o", out, "--"] + argv,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=60, universal_newlines=True)
    except subprocess.TimeoutExpired:
        tap.ok(False, "%s: pytop finished (%s)" % (interp.label, what), "timed out")
        return None
    if not tap.ok(proc.returncode == 0 and os.path.exists(out) and os.path.exists(truth_path),
                  "%s: %s: the target runs under pytop" % (interp.label, what), proc.stderr):
        return None
    with open(out) as f:
        rows = {r["tid"]: r for r in json.load(f).get("threads", [])}
    with open(truth_path) as f:
        return rows, json.load(f)


def test_empty_name(tap, pytop, interp, work):
    """Threads named "" by threading, started by "Spawner", each spinning
    10 ms: none may be shown as "Spawner", the kernel name they inherited
    (3.14+ threading does not set an empty name). One that lived past 40 ms
    (a loaded machine) is left out here; test_empty_name_long has those."""
    got = launch_batch(tap, pytop, interp, work, "empty", EMPTY_TARGET, ["40", "0.010"], "empty names")
    if not got:
        return
    rows, truth = got
    children = [rows[t] for t, secs in truth["children"] if t in rows and secs < 0.04]
    named = [(r["tid"], r.get("name"), r.get("samples")) for r in children if r.get("name") == "Spawner"]
    tap.ok(children and not named,
           "%s: %d of 40 empty-named threads sampled (alive < 40 ms), none under their creator's name"
           % (interp.label, len(children)), named)


def test_empty_name_long(tap, pytop, interp, work, spawner="Spawner"):
    """Threads named "" by threading, started by "Spawner", each spinning
    0.3 s, past the 50 ms (NAME_WAIT_NS) after which pytop gives a thread
    threading does not name its kernel name: on 3.14+ that kernel name is
    "Spawner", inherited (threading sets no empty OS name), and another
    thread's name is never taken as a thread's own. With spawner, the
    spawner's name instead: the kernel keeps its first 15 bytes, even when
    they end inside a character (pytop's kernel names drop that part)."""
    # The kernel name the children inherit, as pytop reads it.
    comm = spawner.encode("utf-8")[:15].decode("utf-8", "ignore")
    tag = "" if spawner == "Spawner" else " (creator %s, kernel name %s)" % (ascii(spawner), ascii(comm))
    extra = [] if spawner == "Spawner" else [json.dumps(spawner)]
    got = launch_batch(tap, pytop, interp, work, "empty-long", EMPTY_TARGET, ["3", "0.3"] + extra,
                       "empty names, 0.3 s%s" % tag)
    if not got:
        return
    rows, truth = got
    children = [rows.get(t) for t, secs in truth["children"]]
    named = [(r["tid"], r.get("name"), r.get("samples")) for r in children
             if r and r.get("name") in (spawner, comm)]
    tap.ok(all(children) and not named,
           "%s: %d of 3 empty-named threads (0.3 s each) sampled, none under their creator's name%s"
           % (interp.label, sum(1 for r in children if r), tag),
           named or ["not sampled: %r" % [t for t, _ in truth["children"] if t not in rows]])
    # --dump of the running target: a child's kernel name is Spawner's.
    proc = subprocess.Popen(interp.argv(interp.script(EMPTY_TARGET), "4", "1.0", interp.inside(os.path.join(work, "truth-dump-empty.json")),
                                        *extra),
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    try:
        time.sleep(1.0)    # 0.3 s before Spawner starts, then its first child
        r = subprocess.run([pytop, "--dump", "--json", "-p", str(proc.pid)], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60, universal_newlines=True)
        try:
            threads = json.loads(r.stdout)["threads"]
        except (ValueError, KeyError):
            threads = []
        names = [t.get("name") for t in threads]
        tap.ok(r.returncode == 0 and len(threads) == 3 and names.count(spawner) == 1 and
               (comm == spawner or comm not in names),
               "%s: --dump: Spawner, its empty-named child and the main thread, one named Spawner (%s)%s"
               % (interp.label, ascii(names), tag), ["exit %d stderr %r" % (r.returncode, r.stderr)])
    finally:
        proc.kill()
        proc.wait()


def test_shared_kernel_name(tap, pytop, interp, work):
    """Three threads threading does not know (_thread.start_new_thread),
    spinning 1 s, each with the kernel name of the process (inherited from
    the main thread, whose name is MainThread): each is shown under that
    kernel name, the same for all. A kernel name that another thread got
    from the kernel too is no other thread's own name (it was: the first
    one named took it, and the others were left unnamed)."""
    got = launch_batch(tap, pytop, interp, work, "raw", RAW_TARGET, ["3", "1.0"], "threads threading does not know")
    if not got:
        return
    rows, truth = got
    names = [rows[t].get("name") if t in rows else None for t in truth["workers"]]
    tap.ok(len(names) == 3 and names[0] and names[0] not in ("?", "MainThread") and names.count(names[0]) == 3,
           "%s: 3 threads threading does not know, all under the one kernel name they share (%r)"
           % (interp.label, names), ["rows %r" % sorted(rows)])


def test_dump(tap, pytop, interp, work):
    truth_path = os.path.join(work, "truth-dump.json")
    proc = subprocess.Popen(interp.argv(interp.script(TARGET), "10", interp.inside(truth_path)),
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    try:
        deadline = time.time() + 20
        while not os.path.exists(truth_path) and time.time() < deadline and proc.poll() is None:
            time.sleep(0.05)
        if not tap.ok(os.path.exists(truth_path), "%s: the dump target runs" % interp.label):
            return
        with open(truth_path) as f:
            truth = json.load(f)
        r = subprocess.run([pytop, "--dump", "--json", "-p", str(proc.pid)], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60, universal_newlines=True)
        try:
            rows = {t["tid"]: t for t in json.loads(r.stdout)["threads"]}
        except (ValueError, KeyError):
            rows = {}
        for name in ("hidden-worker", "listed-worker"):
            row = rows.get(truth.get(name))
            tap.ok(r.returncode == 0 and row is not None and row.get("name") == name,
                   "%s: --dump names %s (tid %s) as threading does" % (interp.label, name, truth.get(name)),
                   ["exit %d stderr %r" % (r.returncode, r.stderr), json.dumps(row) if row else sorted(rows)])
    finally:
        proc.kill()
        proc.wait()


if __name__ == "__main__":
    sys.exit(main())
