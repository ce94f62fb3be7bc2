"""Live test of pytop's shared formats against their real consumers (TAP):
-f pprof read by `go tool pprof`, -f speedscope read by the speedscope npm
package's own importer and checked against its JSON schema, and --every.

Run with the system python3 (automake's PY_LOG_COMPILER); the pytop under
test is $PYTOP. Interpreters from pythons.py (PYTOP_TEST_PYTHONS overrides).
The target is tests/targets/burn_target.py (see test_batch.py): it burns CPU
in burn_a, burn_b, burn_c with work 1:2:3 and measures its own split with
time.thread_time(); the truth is taken before and after each pytop run.

The consumers:

  go        `go tool pprof` of Debian's golang-go (bootstrap installs it),
            run with -symbolize=none, HOME/GOCACHE/GOPATH in a temporary
            directory and GOPROXY=off, GOTOOLCHAIN=local (no network). Missing:
            the pprof points are a SKIP that says so.
  speedscope  the `speedscope` npm package, version SPEEDSCOPE_VERSION:
            $PYTOP_SPEEDSCOPE_DIR (an unpacked package), else a cached copy in
            ~/.cache/pytop-tests, else fetched once with `npm pack` into that
            cache. Its dist/release/file-format-schema.json validates the files
            (python's jsonschema when installed, else a validator of the
            schema's keywords in this file), and its bundled importer
            (speedscope_import.js runs it in node) reads them. No node or no
            package: those points are a SKIP that says so.

Once, without an interpreter:

  usage: --every without --batch, without -o, with -o lacking a strftime
         conversion, 0.5, abc: exit 2 and one `pytop: ` line

Per interpreter, against the serial target (main thread burns burn_a/b/c):

  pprof (-d 3 -o X.pprof, the format from the ending): a gzip file that
        `go tool pprof -raw` reads: sample types samples/count and
        cpu/nanoseconds, the target's comment lines, each hot function with
        its file and first line, its hot line as a location, every sample
        of the hot functions labelled thread_id = the main thread's tid and
        thread_name MainThread; `-top` (the consumer's own sums): each hot
        function's share of the three matches thread_time within 5 points
  speedscope (-d 3 -o X.speedscope.json): valid against the schema; the
        importer gives one profile per thread named "NAME (tid N)" in
        nanoseconds, the main thread's profile holds burn_a/b/c with file and
        hot line, their self-weight shares match thread_time within 5 points

On the first interpreter only (heavier):

  pprof, threads target (burner-a/b/c, one hot function each): `-tags`
        lists the thread names; per thread_name label, burn_X only in
        burner-X, and each burner's share of the hot time matches its
        thread_time share within 5 points
  --every 1 -d 5 -o 'DIR/web-%Y%m%dT%H%M%S.pb.gz': exit 0, exactly 5 files
        named by the pattern and nothing else (no temporary file left), each
        read by go tool pprof with a Duration near 1 s and burn_c in it;
        --every 1 -d 2 -f speedscope -o 'DIR/same-%Y.json': 2 files, the
        second named same-YYYY-2.json, both valid speedscope files;
        with NAME .. NAME_998 there (-o 'DIR/many-%Y.collapsed'), the
        intervals are NAME_999 and NAME_1000 (the counter is not capped);
        -o 'DIR/case-%Y.Pb.Gz': case-YYYY.Pb.Gz and case-YYYY_2.Pb.Gz

  hostile names (tests/targets/evil_target.py: escape sequences, newlines,
        C1 in the function, file and thread names): go tool pprof -raw shows
        them escaped as in text output and no raw control character; the
        speedscope file has none either, and its importer gets the exact
        names back from the JSON escapes

Every subprocess has a timeout; every target is killed in a finally block.
"""

import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pythons  # noqa: E402
from test_batch import (HOT, RUN_TIMEOUT, THREADS_UNIT, Target, batch, check,  # noqa: E402
                        delta, run_pytop, shares)
from test_hostile import start_target as start_evil, stop as stop_evil  # noqa: E402
import evil_target  # noqa: E402  (test_hostile put tests/targets on the path)

HERE = os.path.dirname(os.path.abspath(__file__))
IMPORTER = os.path.join(HERE, "speedscope_import.js")
SPEEDSCOPE_VERSION = "1.25.0"
ACCURACY_PP = 5.0
SECONDS = 3           # as test_batch.py: shorter runs are noisy on a loaded machine
CONSUMER_TIMEOUT = 60


# ---- the consumers ----

class Go:
    """`go tool pprof` with no network and a private cache."""

    def __init__(self):
        self.go = shutil.which("go") or next(
            (p for p in sorted(glob.glob("/usr/lib/go*/bin/go")) if os.access(p, os.X_OK)), None)
        self.home = tempfile.mkdtemp(prefix="pytop-go-")
        self.env = dict(os.environ, HOME=self.home, GOCACHE=os.path.join(self.home, "cache"),
                        GOPATH=os.path.join(self.home, "path"), GOPROXY="off", GOTOOLCHAIN="local",
                        GOFLAGS="", GOTELEMETRY="off")

    def pprof(self, *args):
        """(exit status, stdout, stderr) of go tool pprof ARGS."""
        proc = subprocess.run([self.go, "tool", "pprof", "-symbolize=none"] + list(args),
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env=self.env, timeout=CONSUMER_TIMEOUT)
        return (proc.returncode, proc.stdout.decode("utf-8", "replace"),
                proc.stderr.decode("utf-8", "replace"))

    def close(self):
        shutil.rmtree(self.home, ignore_errors=True)


def parse_raw(text):
    """go tool pprof -raw: {"types": [...], "comments": [...], "samples":
    [{"values", "locs", "labels"}], "locations": {id: (name, file, line,
    start)}} (its Duration line is cut to 4 characters: -top has it whole)."""
    out = {"types": [], "comments": [], "samples": [], "locations": {}}
    section = None
    for line in text.splitlines():
        if line.startswith("Comment: "):
            out["comments"].append(line[len("Comment: "):])
        elif line == "Samples:":
            section = "types"
        elif line == "Locations":
            section = "locations"
        elif line == "Mappings":
            section = None
        elif section == "types":
            out["types"] = [t.replace("[dflt]", "") for t in line.split()]
            section = "samples"
        elif section == "samples":
            m = re.match(r"^\s+(\d+)\s+(\d+):((?: \d+)*)\s*$", line)
            if m:
                out["samples"].append({"values": [int(m.group(1)), int(m.group(2))],
                                       "locs": [int(x) for x in m.group(3).split()],
                                       "labels": {}})
                continue
            m = re.match(r"^\s+(\w+):\[(.*)\]$", line)
            if m and out["samples"]:
                out["samples"][-1]["labels"][m.group(1)] = m.group(2)
        elif section == "locations":
            m = re.match(r"^\s*(\d+): 0x[0-9a-f]+ M=\d+ (.*) (\S*):(-?\d+) s=(-?\d+)$", line)
            if m:
                out["locations"][int(m.group(1))] = (m.group(2), m.group(3), int(m.group(4)),
                                                     int(m.group(5)))
    return out


UNITS = {"ns": 1e-6, "us": 1e-3, "\u00b5s": 1e-3, "ms": 1.0, "s": 1000.0, "min": 60000.0, "hrs": 3600000.0}


def parse_top(text):
    """go tool pprof -top: {function: flat ms}."""
    flat = {}
    for line in text.splitlines():
        m = re.match(r"^\s*([\d.]+)(ns|us|\u00b5s|ms|s|min|hrs)?\s+[\d.]+%\s+[\d.]+%\s+[\d.]+\S*\s+[\d.]+%\s+(.+)$",
                     line)
        if m:
            flat[m.group(3).strip()] = float(m.group(1)) * UNITS.get(m.group(2) or "ms", 1.0)
    return flat


class Speedscope:
    """The speedscope npm package: its schema and its bundled importer."""

    def __init__(self):
        self.node = shutil.which("node")
        self.dir, self.why = self._find()
        self.schema = self.bundle = self.names = None
        if self.dir:
            release = os.path.join(self.dir, "dist", "release")
            try:
                with open(os.path.join(release, "file-format-schema.json"), encoding="utf-8") as f:
                    self.schema = json.load(f)
                bundles = glob.glob(os.path.join(release, "speedscope-*.js"))
                self.bundle = bundles[0] if len(bundles) == 1 else None
                self.names = self._importer_names(self.bundle) if self.bundle else None
            except (OSError, ValueError) as exc:
                self.why = "speedscope package at %s unreadable: %s" % (self.dir, exc)

    @staticmethod
    def _find():
        env = os.environ.get("PYTOP_SPEEDSCOPE_DIR")
        if env:
            return (env, None) if os.path.isdir(env) else (None, "PYTOP_SPEEDSCOPE_DIR=%s missing" % env)
        cache = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"),
                             "pytop-tests", "speedscope-" + SPEEDSCOPE_VERSION)
        package = os.path.join(cache, "package")
        if os.path.isfile(os.path.join(package, "package.json")):
            return package, None
        npm = shutil.which("npm")
        if not npm:
            return None, "no speedscope package (set PYTOP_SPEEDSCOPE_DIR) and no npm to fetch it"
        os.makedirs(cache, exist_ok=True)
        work = tempfile.mkdtemp(prefix="npm-", dir=cache)
        try:
            proc = subprocess.run([npm, "pack", "--silent", "speedscope@" + SPEEDSCOPE_VERSION],
                                  cwd=work, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, timeout=180)
            tgz = os.path.join(work, "speedscope-%s.tgz" % SPEEDSCOPE_VERSION)
            if proc.returncode != 0 or not os.path.isfile(tgz):
                return None, "npm pack speedscope@%s failed: %s" % (
                    SPEEDSCOPE_VERSION, proc.stderr.decode("utf-8", "replace").strip()[-200:])
            with tarfile.open(tgz) as tar:
                members = [m for m in tar.getmembers()
                           if m.name.startswith("package/") and ".." not in m.name
                           and (m.isfile() or m.isdir())]
                tar.extractall(work, members=members)
            os.replace(os.path.join(work, "package"), package)
            return package, None
        except (OSError, subprocess.SubprocessError, tarfile.TarError) as exc:
            return None, "fetching speedscope@%s: %s" % (SPEEDSCOPE_VERSION, exc)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    @staticmethod
    def _importer_names(bundle):
        """The minified names of the importer module's init function and
        exports object: the promise awaited before importProfilesFromArrayBuffer
        is `Promise.resolve().then(()=>(INIT(),MODULE))`."""
        with open(bundle, encoding="utf-8") as f:
            src = f.read()
        m = re.search(r"return\(await ([\w$]+)\)\.importProfilesFromArrayBuffer\(", src)
        if not m:
            return None
        m = re.search(r"var %s=Promise\.resolve\(\)\.then\(\(\)=>\(([\w$]+)\(\),([\w$]+)\)\)"
                      % re.escape(m.group(1)), src)
        return (m.group(1), m.group(2)) if m else None

    def skip_reason(self):
        if not self.dir:
            return self.why
        if self.schema is None:
            return self.why or "no schema in the speedscope package"
        return None

    def importer_reason(self):
        if self.skip_reason():
            return self.skip_reason()
        if not self.node:
            return "no node to run speedscope's importer"
        if not self.bundle or not self.names:
            return "speedscope's bundle at %s not recognised" % self.dir
        return None

    def validate(self, doc):
        """Problems of DOC against the file format schema ([] when valid)."""
        try:
            import jsonschema
        except ImportError:
            jsonschema = None
        if jsonschema is not None:
            validator = jsonschema.Draft7Validator(self.schema)
            return ["%s: %s" % ("/".join(str(p) for p in e.absolute_path), e.message)
                    for e in list(validator.iter_errors(doc))[:10]]
        return schema_problems(self.schema, self.schema, doc, "")

    def load(self, path):
        """(profile group as the importer made it, or None, diagnostics)."""
        proc = subprocess.run([self.node, IMPORTER, self.bundle, path] + list(self.names),
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=CONSUMER_TIMEOUT)
        if proc.returncode != 0:
            return None, ["importer exit %d" % proc.returncode,
                          proc.stderr.decode("utf-8", "replace")[-2000:]]
        return json.loads(proc.stdout.decode("utf-8")), []


def schema_problems(root, schema, value, where):
    """A validator for the keywords speedscope's schema uses (draft-07 subset);
    an unknown keyword is a problem, so a new schema is never half-checked."""
    problems = []
    known = {"$schema", "$ref", "definitions", "title", "type", "properties", "required", "items",
             "enum", "anyOf", "const", "description"}
    for key in schema:
        if key not in known:
            problems.append("%s: schema keyword %r not understood by this test" % (where, key))
    if "$ref" in schema:
        target = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            target = target[part]
        problems += schema_problems(root, target, value, where)
    types = {"object": dict, "array": list, "string": str, "number": (int, float), "boolean": bool}
    kind = schema.get("type")
    if kind and (not isinstance(value, types[kind]) or (kind == "number" and isinstance(value, bool))):
        return problems + ["%s: %r is not a %s" % (where or "/", value, kind)]
    if "const" in schema and value != schema["const"]:
        problems.append("%s: %r is not %r" % (where, value, schema["const"]))
    if "enum" in schema and value not in schema["enum"]:
        problems.append("%s: %r not in %r" % (where, value, schema["enum"]))
    if "anyOf" in schema and not any(not schema_problems(root, s, value, where) for s in schema["anyOf"]):
        problems.append("%s: matches none of anyOf" % where)
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                problems.append("%s: missing %r" % (where, key))
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                problems += schema_problems(root, sub, value[key], "%s/%s" % (where, key))
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            problems += schema_problems(root, schema["items"], item, "%s/%d" % (where, i))
            if len(problems) > 10:
                break
    return problems


# ---- checks ----

def truth_shares(before, after):
    return shares(delta(before, after, "cpu_s"))


def split_diags(mine, theirs, what):
    return ["%-7s %s %5.1f %%   thread_time %5.1f %%" % (n, what, mine[n], theirs[n]) for n in HOT]


def check_pprof_serial(tap, go, label, path, target, before, after):
    hot = target.truth["hot"]
    main_tid = next(t["tid"] for t in target.truth["threads"] if t["name"] == "MainThread")

    def readable():
        rc, out, err = go.pprof("-raw", path)
        if rc != 0:
            return False, ["go tool pprof -raw exit %d" % rc, err[-1500:]]
        raw = parse_raw(out)
        problems = []
        if raw["types"] != ["samples/count", "cpu/nanoseconds"]:
            problems.append("sample types %r" % raw["types"])
        if not any(c.startswith("pid %d: " % target.pid) for c in raw["comments"]) or \
                "python %s" % target.truth["python"] not in raw["comments"]:
            problems.append("comments %r" % raw["comments"])
        if not raw["samples"]:
            problems.append("no samples")
        for name in HOT:
            locs = [l for l in raw["locations"].values() if l[0] == name]
            if not any(l[1] == hot[name]["file"] and l[2] == hot[name]["hot_line"] and
                       l[3] == hot[name]["first_line"] for l in locs):
                problems.append("%s: no location at %s:%d (first line %d): %r" % (
                    name, hot[name]["file"], hot[name]["hot_line"], hot[name]["first_line"], locs))
        leaves = 0
        for s in raw["samples"]:
            leaf = raw["locations"].get(s["locs"][0]) if s["locs"] else None
            if leaf and leaf[0] in HOT:
                leaves += 1
                if s["labels"].get("thread_id") != str(main_tid) or \
                        s["labels"].get("thread_name") != "MainThread":
                    problems.append("a %s sample labelled %r, not thread %d MainThread" % (
                        leaf[0], s["labels"], main_tid))
                    break
        if not leaves:
            problems.append("no sample ends in a hot function")
        return not problems, problems + out.splitlines()[:40]
    check(tap, "%s: pprof: go tool pprof -raw reads it: sample types, comments, hot functions at "
          "their file, first and hot line, main-thread labels" % label, readable)

    def split():
        rc, out, err = go.pprof("-top", "-nodecount=1000", "-sample_index=cpu", path)
        if rc != 0:
            return False, ["go tool pprof -top exit %d" % rc, err[-1500:]]
        flat = parse_top(out)
        own = {n: flat.get(n, 0.0) for n in HOT}
        if sum(own.values()) < 200:
            return False, ["too little time in the hot functions: %r" % own] + out.splitlines()[:30]
        mine, theirs = shares(own), truth_shares(before, after)
        worst = max(abs(mine[n] - theirs[n]) for n in HOT)
        tap.diag("%s: pprof -top shares %s; worst %.1f pp" % (
            label, ", ".join("%s %.1f/%.1f" % (n[-1], mine[n], theirs[n]) for n in HOT), worst))
        return worst <= ACCURACY_PP, split_diags(mine, theirs, "pprof")
    check(tap, "%s: pprof: go tool pprof -top: hot-function shares within %.0f points of thread_time"
          % (label, ACCURACY_PP), split)


def check_speedscope_serial(tap, ss, label, path, target, before, after):
    hot = target.truth["hot"]
    try:
        with open(path, "rb") as f:
            doc = json.loads(f.read().decode("utf-8"))
    except (OSError, ValueError) as exc:
        tap.ok(False, "%s: speedscope: one JSON document" % label, [str(exc)])
        return
    reason = ss.skip_reason()
    if reason:
        tap.skip("%s: speedscope: valid against the file format schema" % label, reason)
    else:
        problems = ss.validate(doc)
        tap.ok(not problems, "%s: speedscope: valid against speedscope %s's file format schema" % (
            label, SPEEDSCOPE_VERSION), problems)
    reason = ss.importer_reason()
    if reason:
        tap.skip("%s: speedscope: the real importer reads it" % label, reason)
        return
    group, diags = ss.load(path)
    names = {t["tid"]: t["name"] for t in target.truth["threads"]}

    def imported():
        if group is None:
            return False, diags
        problems = []
        want = {"%s (tid %d)" % (n, tid) for tid, n in names.items()}
        got = [p["name"] for p in group["profiles"]]
        main = [p for p in group["profiles"] if p["name"] == "MainThread (tid %d)" % target.pid]
        if not main or not set(got) <= want:
            problems.append("profiles %r, threads %r" % (got, sorted(want)))
        if any(p["unit"] != "nanoseconds" for p in group["profiles"]):
            problems.append("units %r" % [p["unit"] for p in group["profiles"]])
        for name in HOT:
            frames = [f for p in main for f in p["frames"] if f["name"] == name]
            if not any(f["file"] == hot[name]["file"] and f["line"] == hot[name]["hot_line"] for f in frames):
                problems.append("%s: no frame at %s:%d: %r" % (name, hot[name]["file"], hot[name]["hot_line"],
                                                               frames))
        return not problems, problems
    check(tap, "%s: speedscope: its importer reads it: a profile per thread named NAME (tid N), "
          "nanoseconds, burn_a/b/c at their file and hot line" % label, imported)

    def split():
        if group is None:
            return False, diags
        own = {n: 0 for n in HOT}
        for p in group["profiles"]:
            for f in p["frames"]:
                if f["name"] in own:
                    own[f["name"]] += f["self"] / 1e6
        if sum(own.values()) < 200:
            return False, ["too little time in the hot functions: %r ms" % own]
        mine, theirs = shares(own), truth_shares(before, after)
        worst = max(abs(mine[n] - theirs[n]) for n in HOT)
        tap.diag("%s: speedscope self-weight shares %s; worst %.1f pp" % (
            label, ", ".join("%s %.1f/%.1f" % (n[-1], mine[n], theirs[n]) for n in HOT), worst))
        return worst <= ACCURACY_PP, split_diags(mine, theirs, "speedscope")
    check(tap, "%s: speedscope: hot-function self weights within %.0f points of thread_time"
          % (label, ACCURACY_PP), split)


def test_serial(tap, pytop, interp, go, ss):
    label = interp.label
    with Target(interp) as target:
        if not tap.ok(target.truth is not None, "%s: target started" % label,
                      [target.error or ""] + target.output().splitlines()):
            return
        for fmt, name in (("pprof", "profile.pprof"), ("speedscope", "profile.speedscope.json")):
            path = os.path.join(target.workdir, name)
            before = target.snapshot()
            run = run_pytop(batch(pytop, target.pid, "-d", SECONDS, "-o", path),
                            timeout=SECONDS + RUN_TIMEOUT)
            after = target.snapshot()
            if not tap.ok(run.rc == 0 and os.path.isfile(path) and before and after,
                          "%s: %s: -d %d -o %s: exit 0, file written" % (label, fmt, SECONDS, name),
                          run.describe() + [target.error or ""]):
                continue
            if fmt == "pprof":
                with open(path, "rb") as f:
                    magic = f.read(2)
                tap.ok(magic == b"\x1f\x8b", "%s: pprof: chosen by the .pprof ending: gzip" % label,
                       ["starts %r" % magic])
                if go.go is None:
                    tap.skip("%s: pprof: go tool pprof reads it" % label, "no go (Debian golang-go)")
                else:
                    check_pprof_serial(tap, go, label, path, target, before, after)
            else:
                check_speedscope_serial(tap, ss, label, path, target, before, after)


def test_threads(tap, pytop, interp, go):
    label = interp.label + " threads"
    if go.go is None:
        tap.skip("%s: pprof thread labels" % label, "no go (Debian golang-go)")
        return
    with Target(interp, ["--mode", "threads", "--unit", str(THREADS_UNIT)]) as target:
        if not tap.ok(target.truth is not None, "%s: target started" % label, [target.error or ""]):
            return
        path = os.path.join(target.workdir, "threads.pb.gz")
        before = target.snapshot()
        run = run_pytop(batch(pytop, target.pid, "-d", 3, "-o", path), timeout=3 + RUN_TIMEOUT)
        after = target.snapshot()
        if not tap.ok(run.rc == 0 and before and after, "%s: pprof -d 3: exit 0" % label, run.describe()):
            return
        burners = {t["name"]: t["tid"] for t in target.truth["threads"] if t["name"].startswith("burner-")}

        def tags():
            rc, out, err = go.pprof("-tags", path)
            if rc != 0:
                return False, [err[-1500:]]
            missing = [n for n in burners if n not in out] + \
                [str(t) for t in burners.values() if str(t) not in out]
            return not missing, ["missing %r" % missing] + out.splitlines()[:30]
        check(tap, "%s: go tool pprof -tags lists the burners' thread_name and thread_id" % label, tags)

        def split():
            rc, out, err = go.pprof("-raw", path)
            if rc != 0:
                return False, [err[-1500:]]
            raw = parse_raw(out)
            per = {n: 0 for n in HOT}
            problems = []
            for s in raw["samples"]:
                leaf = raw["locations"].get(s["locs"][0]) if s["locs"] else None
                if not leaf or leaf[0] not in HOT:
                    continue
                want = "burner-" + leaf[0][-1]
                if s["labels"].get("thread_name") != want or \
                        s["labels"].get("thread_id") != str(burners.get(want)):
                    problems.append("%s in %r" % (leaf[0], s["labels"]))
                per[leaf[0]] += s["values"][1] / 1e6
            if sum(per.values()) < 200:
                return False, ["too little hot time %r" % per]
            mine, theirs = shares(per), truth_shares(before, after)
            worst = max(abs(mine[n] - theirs[n]) for n in HOT)
            tap.diag("%s: per-thread shares %s; worst %.1f pp" % (
                label, ", ".join("%s %.1f/%.1f" % (n[-1], mine[n], theirs[n]) for n in HOT), worst))
            return not problems and worst <= ACCURACY_PP, problems[:10] + split_diags(mine, theirs, "pprof")
        check(tap, "%s: each burn_X labelled burner-X only; per-thread shares within %.0f points of "
              "thread_time" % (label, ACCURACY_PP), split)


def test_every(tap, pytop, interp, go, ss):
    label = interp.label
    with Target(interp) as target:
        if not tap.ok(target.truth is not None, "%s: target started" % label, [target.error or ""]):
            return
        out = os.path.join(target.workdir, "every")
        os.mkdir(out)
        run = run_pytop(batch(pytop, target.pid, "--every", 1, "-d", 5, "-o",
                              os.path.join(out, "web-%Y%m%dT%H%M%S.pb.gz")), timeout=5 + RUN_TIMEOUT)
        files = sorted(os.listdir(out))
        tap.ok(run.rc == 0 and len(files) == 5 and all(re.match(r"^web-\d{8}T\d{6}\.pb\.gz$", f) for f in files),
               "%s: --every 1 -d 5: exit 0, 5 files named by the pattern, nothing else" % label,
               run.describe() + ["files: %r" % files])
        if go.go is None:
            tap.skip("%s: --every: each file read by go tool pprof" % label, "no go (Debian golang-go)")
        else:
            def each():
                problems = []
                for name in files:
                    rc, text, err = go.pprof("-top", os.path.join(out, name))
                    m = re.search(r"^Duration: ([\d.]+)(ms|s)\b", text, re.M)
                    seconds = float(m.group(1)) / (1000 if m.group(2) == "ms" else 1) if m else None
                    if rc != 0:
                        problems.append("%s: go tool pprof exit %d: %s" % (name, rc, err[-300:]))
                    elif seconds is None or not 0.7 <= seconds <= 1.4 or "burn_c" not in parse_top(text):
                        problems.append("%s: duration %r s, -top:" % (name, seconds))
                        problems += text.splitlines()[:15]
                return not problems, problems
            check(tap, "%s: --every: each file read by go tool pprof, one interval (~1 s) each, "
                  "burn_c in it" % label, each)

        # A pattern coarser than the interval: counted names, no overwrite;
        # a file of that name from before (an earlier run's) and a FIFO
        # of a counted name are left alone: the next counter is used.
        same = os.path.join(target.workdir, "same")
        os.mkdir(same)
        year = time.strftime("%Y")
        with open(os.path.join(same, "same-%s.json" % year), "w") as f:
            f.write("an earlier run's file\n")
        os.mkfifo(os.path.join(same, "same-%s_2.json" % year))
        run = run_pytop(batch(pytop, target.pid, "--every", 1, "-d", 2, "-f", "speedscope", "-o",
                              os.path.join(same, "same-%Y.json")), timeout=2 + RUN_TIMEOUT)
        files = sorted(os.listdir(same))
        with open(os.path.join(same, "same-%s.json" % year)) as f:
            kept = f.read() == "an earlier run's file\n"
        names = ["same-%s.json" % year, "same-%s_2.json" % year, "same-%s_3.json" % year,
                 "same-%s_4.json" % year]
        tap.ok(run.rc == 0 and files == names and kept,
               "%s: --every never replaces a name that exists (an earlier run's file, a FIFO): the "
               "intervals are NAME_3 and NAME_4, sorted after NAME" % label,
               run.describe() + ["files: %r, earlier file kept: %s" % (files, kept)])
        files = names[2:]
        if ss.skip_reason():
            tap.skip("%s: --every speedscope files valid" % label, ss.skip_reason())
        else:
            problems = []
            for name in files:
                with open(os.path.join(same, name), encoding="utf-8") as f:
                    problems += ["%s: %s" % (name, p) for p in ss.validate(json.load(f))]
            tap.ok(files and not problems, "%s: --every -f speedscope: each file valid against the schema"
                   % label, problems)

        # The counter goes on past the tries one write makes: a pattern
        # coarser than the interval keeps writing for as long as the run
        # lasts (it stopped at counter 999, ~17 min of --every 1 -o %Y).
        # NAME and NAME_2 .. NAME_998 exist: the first interval is NAME_999
        # (998 tries), the last NAME_1000.
        many = os.path.join(target.workdir, "many")
        os.mkdir(many)
        for n in range(1, 999):
            with open(os.path.join(many, "many-%s%s.collapsed" % (year, "_%d" % n if n > 1 else "")), "w"):
                pass
        run = run_pytop(batch(pytop, target.pid, "--every", 1, "-d", 2, "-o",
                              os.path.join(many, "many-%Y.collapsed")), timeout=2 + RUN_TIMEOUT)
        new = sorted(f for f in os.listdir(many) if os.path.getsize(os.path.join(many, f)) > 0)
        tap.ok(run.rc == 0 and new == ["many-%s_1000.collapsed" % year, "many-%s_999.collapsed" % year],
               "%s: --every: the counter goes past 999 (NAME_999, then NAME_1000; exit 0)" % label,
               run.describe() + ["files written: %r" % new])

        # The format's ending in another case (-o x.Pb.Gz is pprof): the
        # counter goes before all of it, so NAME_2 still ends in .Pb.Gz.
        case = os.path.join(target.workdir, "case")
        os.mkdir(case)
        run = run_pytop(batch(pytop, target.pid, "--every", 1, "-d", 2, "-o",
                              os.path.join(case, "case-%Y.Pb.Gz")), timeout=2 + RUN_TIMEOUT)
        files = sorted(os.listdir(case))
        tap.ok(run.rc == 0 and files == ["case-%s.Pb.Gz" % year, "case-%s_2.Pb.Gz" % year],
               "%s: --every -o NAME.Pb.Gz: the counter goes before the whole ending (NAME_2.Pb.Gz, "
               "not NAME.Pb_2.Gz)" % label, run.describe() + ["files: %r" % files])


# Raw bytes no output may hold: C0 controls but newline and tab, DEL, and
# C1 controls in UTF-8 (U+0080..U+009F).
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]")


def test_hostile(tap, pytop, interp, go, ss):
    """The evil target's names (escape sequences, newlines, C1) in both formats."""
    label = interp.label + " hostile"
    proc = start_evil(interp)
    if not tap.ok(proc is not None, "%s: evil target starts" % label):
        return
    work = tempfile.mkdtemp(prefix="pytop-formats-")
    try:
        pb, sc = os.path.join(work, "evil.pprof"), os.path.join(work, "evil.speedscope.json")
        runs = [run_pytop(batch(pytop, proc.pid, "-d", 1, "-o", path), timeout=1 + RUN_TIMEOUT)
                for path in (pb, sc)]
        if not tap.ok(all(r.rc == 0 for r in runs), "%s: pprof and speedscope written" % label,
                      runs[0].describe() + runs[1].describe()):
            return
        if go.go is None:
            tap.skip("%s: pprof names escaped" % label, "no go (Debian golang-go)")
        else:
            def pprof_names():
                rc, out, err = go.pprof("-raw", pb)
                if rc != 0:
                    return False, [err[-1000:]]
                raw = parse_raw(out)
                names = [l[0] for l in raw["locations"].values()]
                files = [l[1] for l in raw["locations"].values()]
                threads = [smp["labels"].get("thread_name", "") for smp in raw["samples"]]
                problems = []
                if "evil\\x1b[31mfunc\\x07\\n\\x7f" not in names:
                    problems.append("function %r" % names)
                if not any(f.startswith("evil\\nname\\x1b[2J\\x07") for f in files):
                    problems.append("file %r" % files)
                if "\\x1b]0;pwned\\x07\\nthread\\x1b[2J\\r\\u0085" not in threads:
                    problems.append("thread names %r" % sorted(set(threads)))
                if RAW_CONTROL.search(out):
                    problems.append("a raw control character in go tool pprof -raw")
                return not problems, problems
            check(tap, "%s: pprof: go tool pprof shows the function, file and thread names escaped, "
                  "no raw control character" % label, pprof_names)
        with open(sc, "rb") as f:
            text = f.read().decode("utf-8")
        tap.ok(not RAW_CONTROL.search(text), "%s: speedscope: no raw control character in the file" % label)
        if ss.importer_reason():
            tap.skip("%s: speedscope importer keeps the exact names" % label, ss.importer_reason())
        else:
            group, diags = ss.load(sc)
            frames = [f for p in (group or {}).get("profiles", []) for f in p["frames"]]
            profiles = [p["name"] for p in (group or {}).get("profiles", [])]
            tap.ok(any(f["name"] == evil_target.EVIL_FUNC and f["file"] == evil_target.EVIL_FILE for f in frames)
                   and any(p.startswith(evil_target.EVIL_THREAD + " (tid ") for p in profiles),
                   "%s: speedscope: its importer gets the exact function, file and thread names back "
                   "(JSON escapes)" % label, diags + ["profiles %r" % profiles])
    finally:
        stop_evil(proc)
        shutil.rmtree(work, ignore_errors=True)


def test_idle(tap, pytop, interp, ss):
    """An idle target in cpu mode: nothing counted; the speedscope file
    still opens on a profile that says so."""
    label = interp.label + " idle"
    proc = subprocess.Popen(interp.argv("-c", "import time; time.sleep(120)"), stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    work = tempfile.mkdtemp(prefix="pytop-formats-")
    try:
        time.sleep(1.0)
        sc = os.path.join(work, "idle.speedscope.json")
        r = run_pytop(batch(pytop, proc.pid, "-d", 1, "-o", sc), timeout=1 + RUN_TIMEOUT)
        if not tap.ok(r.rc == 0, "%s: speedscope written" % label, r.describe()):
            return
        with open(sc) as f:
            doc = json.load(f)
        names = [p.get("name") for p in doc.get("profiles", [])]
        tap.ok(names == ["no samples were counted in this mode"] and doc.get("activeProfileIndex") == 0 and
               not ss.validate(doc) if ss.schema else names == ["no samples were counted in this mode"],
               "%s: speedscope: one empty profile saying no samples were counted (not an empty list)" % label,
               [str(names)] + (ss.validate(doc) if ss.schema else []))
        if ss.importer_reason():
            tap.skip("%s: speedscope's importer opens it" % label, ss.importer_reason())
        else:
            group, diags = ss.load(sc)
            tap.ok(group is not None and len(group.get("profiles", [])) == 1,
                   "%s: speedscope's importer opens it (one profile)" % label, diags + [str(group)])
    finally:
        proc.kill()
        proc.wait()
        shutil.rmtree(work, ignore_errors=True)


def test_usage(tap, pytop):
    for args, why in ((["--every", "1", "-o", "x%S.pprof"], "without --batch"),
                      (["--batch", "--every", "1"], "without -o"),
                      (["--batch", "--every", "1", "-o", "x.pprof"], "-o without a conversion"),
                      (["--batch", "--every", "1", "-o", "x%%.pprof"], "-o with only %%"),
                      (["--batch", "--every", "0.5", "-o", "x%S.pprof"], "0.5 s"),
                      (["--batch", "--every", "abc", "-o", "x%S.pprof"], "abc")):
        proc = subprocess.run([pytop, "-p", "1"] + args, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=10)
        err = proc.stderr.decode("utf-8", "replace")
        tap.ok(proc.returncode == 2 and err.startswith("pytop: ") and err.count("\n") == 1,
               "usage: --every %s: exit 2, one line" % why, ["exit %d" % proc.returncode, err])


def main():
    tap = pythons.Tap()
    pytop = pythons.pytop_binary()
    if not (os.path.isfile(pytop) and os.access(pytop, os.X_OK)):
        tap.bail("pytop binary not found at %s (set PYTOP)" % pytop)
    go = Go()
    ss = Speedscope()
    tap.diag("go: %s; speedscope: %s" % (go.go, ss.dir or ss.why))
    started = time.monotonic()
    try:
        test_usage(tap, pytop)
        for i, interp in enumerate(list(pythons.interpreters(tap, chroot=True))):
            t0 = time.monotonic()
            tap.diag("--- %s (%s)" % (interp.label, interp.path))
            test_serial(tap, pytop, interp, go, ss)
            if i == 0:
                test_threads(tap, pytop, interp, go)
                test_every(tap, pytop, interp, go, ss)
                test_hostile(tap, pytop, interp, go, ss)
                test_idle(tap, pytop, interp, ss)
            tap.diag("%s: %.1f s" % (interp.label, time.monotonic() - t0))
    finally:
        go.close()
    tap.diag("total %.1f s" % (time.monotonic() - started))
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
