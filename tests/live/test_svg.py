"""Live test of `pytop --batch -f svg` (TAP): the flame graph against its
real consumers, xmllint and headless Chromium.

Run with the system python3 (automake's PY_LOG_COMPILER); the pytop under
test is $PYTOP, the synthetic writer svg_stacks is in $PYTOP_BUILDDIR/tests/live.
The svg writer does not depend on the interpreter, so one interpreter is
enough: the first that pythons.py yields (PYTOP_TEST_PYTHONS chooses it).

Usage: --inverted without svg and with svg (by -f and by -o FILE.svg); the
       help mentions svg and --inverted.

Real profile (tests/targets/burn_target.py, serial: burn_a, burn_b, burn_c
with work 1:2:3; -d 3 -o FILE.svg, the extension picks the format):
  xmllint --noout says valid XML; it parses (ElementTree) with one <rect>
  per frame of the JSON block; each rect's x/width are its weight over the
  total at 1180 px; in cpu mode (the default) the weight is CPU time (the
  data's unit "cpu_ns", the subtitle says "width: CPU time"); the title is
  the target's command line, the subtitle says its Python version, mode cpu
  and the rate; <module> -> main -> burn_serial -> burn_X frames exist; the
  widths of burn_a/b/c, as shares among the three, match the target's own
  thread_time within 5 points; their CPU in the data is at most the
  target's thread_time over the run, and more ns than a sample count
  could be (1000 Hz x 3 s x 3 threads); burn_X's hover line is its hot
  line.
  -m wall --inverted -f svg: "inverted" in the data, the root row on top,
  idle_sleep present; weights are samples (unit "samples"); idle_sleep
  has the idle colour (blocked over half its time), burn_a/b/c keep
  Python's; the legend names the idle and GIL-wait colours.

Chromium (Debian's chromium, driven over the DevTools protocol on a pipe,
--remote-debugging-pipe; missing: a loud SKIP per point), on that profile:
  it loads with no script exception and shows its controls; typing
  "burn_b" in the search box (real mouse click, real text input) makes
  exactly the burn_b frames magenta and the matched line says their share
  of the CPU (computed here from the data); a real click on burn_a makes it fill the
  width (its box 10..1190 px) and a screenshot row at its y is burn_a's
  colour across the width (it was not before); clicking the root zooms
  back out; hovering burn_c says its name, file:hot line, CPU time and %;
  Invert puts the root on top.
Synthetic (svg_stacks, written from an aggregate in C):
  100k unique stacks: valid XML, file size and load time reported (under
  8 MB and 15 s), searching "level" (five matching frames on every stack)
  says 100% (each sample counted once, not five times); searching
  "level4_3" (every tenth stack, in frames too narrow to draw) says its
  exact share; zoom works.
  11000 chains of 10 frames (110k frames wide enough to draw): at most the
  writer's cap of 40000 drawn, under 8 MB, loads in chromium (under 30 s:
  ~2-7 s here on 2 shared CPUs, the cost is Chromium's parsing of the rects).
  Hostile names (markup, </script>, ]]>, quotes, control characters, bidi
  overrides, U+FFFE, invalid UTF-8, a 10,000-byte name): valid XML, exactly
  the two script elements of the writer, the names reach the page as text
  (hover shows them) and nothing of theirs runs (window.pwned unset after
  hovering every frame, searching and zooming; no dialog).
"""

import base64
import fcntl
import json
import os
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
import zlib

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pythons  # noqa: E402
import test_batch  # noqa: E402  (its burn target helpers: Target, delta, shares)

HERE = os.path.dirname(os.path.abspath(__file__))
SVGNS = "{http://www.w3.org/2000/svg}"
ACCURACY_PP = 5.0
MATCH_FILL = "#e040e0"
INNER = 1180.0
CDP_TIMEOUT = 30


def builddir():
    return os.environ.get("PYTOP_BUILDDIR") or os.path.dirname(os.path.dirname(HERE))


def run(argv, timeout=60):
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


class Svg:
    """A flame graph file parsed: the rects, the data block, the texts."""

    def __init__(self, path):
        self.path = path
        self.size = os.path.getsize(path)
        self.root = ET.parse(path).getroot()
        self.data = json.loads(self.root.find(SVGNS + "script[@id='pytop-data']").text)
        self.rects = list(self.root.find(SVGNS + "g[@id='frames']"))
        v = self.data["nodes"]
        self.nodes = [dict(func=v[i], depth=v[i + 1], start=v[i + 2], weight=v[i + 3], line=v[i + 4],
                           name=self.data["funcs"][v[i]][0], file=self.data["funcs"][v[i]][1])
                      for i in range(0, len(v), 5)]

    def text(self, ident):
        e = self.root.find(".//%stext[@id='%s']" % (SVGNS, ident))
        return "" if e is None else "".join(e.itertext())

    def width_of(self, name):
        return sum(float(r.get("width")) for r, n in zip(self.rects, self.nodes) if n["name"] == name)

    def index(self, name):
        return next((i for i, n in enumerate(self.nodes) if n["name"] == name), -1)


def xmllint(tap, label, path):
    if not shutil.which("xmllint"):
        tap.skip("%s: xmllint says valid XML" % label, "xmllint not installed (apt-get install libxml2-utils)")
        return
    rc, out, err = run(["xmllint", "--noout", path])
    tap.ok(rc == 0 and not err, "%s: xmllint says valid XML" % label, err.splitlines()[:10])


# --- Chromium over the DevTools protocol (--remote-debugging-pipe: fd 3 in,
# fd 4 out, messages NUL-terminated JSON) ---------------------------------

class Chromium:
    def __init__(self, binary):
        self.profile = tempfile.mkdtemp(prefix="pytop-chromium-")
        to_child_r, self.to_child = os.pipe()
        self.from_child, from_child_w = os.pipe()
        high_r = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 10)
        high_w = fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 10)

        def fds():
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)
        self.proc = subprocess.Popen(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             "--no-first-run", "--mute-audio", "--remote-debugging-pipe",
             "--user-data-dir=" + self.profile, "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=fds, close_fds=False)
        for fd in (to_child_r, from_child_w, high_r, high_w):
            os.close(fd)
        self.buf = b""
        self.next_id = 0
        self.events = []
        self.session = None
        target = self.call("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True},
                                 session=False)["sessionId"]
        for domain in ("Page", "Runtime"):
            self.call(domain + ".enable")
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": 1200, "height": 1000, "deviceScaleFactor": 1, "mobile": False})

    def _read(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.from_child], [], [], left)[0]:
                raise RuntimeError("no answer from chromium in time")
            chunk = os.read(self.from_child, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=True):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = self.session
        data = json.dumps(msg).encode() + b"\0"
        while data:
            data = data[os.write(self.to_child, data):]
        deadline = time.monotonic() + CDP_TIMEOUT
        while True:
            m = self._read(deadline)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            self.events.append(m)

    def wait_event(self, method, timeout=CDP_TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            for i, m in enumerate(self.events):
                if m.get("method") == method:
                    return self.events.pop(i)
            self.events.append(self._read(deadline))

    def open(self, path):
        """Navigate to the file; the seconds until its load event."""
        self.events = []
        t0 = time.monotonic()
        self.call("Page.navigate", {"url": "file://" + os.path.abspath(path)})
        self.wait_event("Page.loadEventFired", timeout=60)
        return time.monotonic() - t0

    def eval(self, expr):
        r = self.call("Runtime.evaluate", {"expression": expr, "returnByValue": True})
        if "exceptionDetails" in r:
            raise RuntimeError("%s: %s" % (expr, r["exceptionDetails"].get("text")))
        return r["result"].get("value")

    def exceptions(self):
        return [m["params"]["exceptionDetails"].get("text", "") + " " +
                str(m["params"]["exceptionDetails"].get("exception", {}).get("description", ""))
                for m in self.events if m.get("method") == "Runtime.exceptionThrown"]

    def dialogs(self):
        return [m for m in self.events if m.get("method") == "Page.javascriptDialogOpening"]

    def box(self, expr):
        """getBoundingClientRect() of the element EXPR as [x, y, w, h]."""
        return self.eval("(function(){var b=(%s).getBoundingClientRect();"
                         "return [b.x,b.y,b.width,b.height];})()" % expr)

    def mouse(self, kind, x, y):
        params = {"type": kind, "x": x, "y": y}
        if kind != "mouseMoved":
            params.update(button="left", clickCount=1)
        self.call("Input.dispatchMouseEvent", params)

    def click(self, x, y):
        self.mouse("mouseMoved", x, y)
        self.mouse("mousePressed", x, y)
        self.mouse("mouseReleased", x, y)

    def click_element(self, expr):
        b = self.box(expr)
        self.click(b[0] + b[2] / 2, b[1] + b[3] / 2)

    def type(self, text):
        self.call("Input.insertText", {"text": text})

    def screenshot(self):
        return decode_png(base64.b64decode(self.call("Page.captureScreenshot", {"format": "png"})["data"]))

    def close(self):
        try:
            self.call("Browser.close", session=False)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        for fd in (self.to_child, self.from_child):
            os.close(fd)
        shutil.rmtree(self.profile, ignore_errors=True)


def decode_png(data):
    """(width, height, pixel(x, y) -> (r, g, b)) of an 8-bit RGB/RGBA PNG."""
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
            if depth != 8 or ctype not in (2, 6):
                raise ValueError("PNG colour type %d depth %d" % (ctype, depth))
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, stride = zlib.decompress(idat), w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return w, h, lambda x, y: tuple(rows[y][x * bpp:x * bpp + 3])


def hex_rgb(fill):
    return tuple(int(fill[i:i + 2], 16) for i in (1, 3, 5))


# --- the tests -----------------------------------------------------------

def test_usage(tap, pytop):
    for argv, want, what in (
            (["--batch", "--inverted", "-p", "1"], 2, "--inverted without svg: usage error (2)"),
            (["--batch", "--inverted", "-o", "x.json", "-p", "1"], 2, "--inverted with -o x.json: usage error"),
            (["--inverted", "-p", "1"], 2, "--inverted in the live view: usage error")):
        rc, out, err = run([pytop] + argv)
        tap.ok(rc == want and "--inverted goes with" in err, what, ["rc %d: %s" % (rc, err)])
    rc, out, err = run([pytop, "--help"])
    tap.ok(rc == 0 and re.search(r"-f, --format FMT .*\bsvg\b", out) and "--inverted" in out,
           "--help lists the svg format and --inverted", out.splitlines())


def cpu_time(ns):
    """A CPU time in ns as the script writes it (flamegraph.js cpuTime)."""
    if ns >= 1e9:
        return "%.2f s" % (ns / 1e9)
    if ns >= 1e6:
        return "%.1f ms" % (ns / 1e6)
    if ns >= 1e3:
        return "%.1f \u00b5s" % (ns / 1e3)
    return "%d ns" % ns


def check_profile(tap, svg, target, before, after, label):
    nodes = svg.nodes
    tap.ok(len(svg.rects) == len(nodes) and len(nodes) > 4,
           "%s: one <rect> per frame (%d)" % (label, len(nodes)))
    tap.ok(svg.data.get("unit") == "cpu_ns" and "width: CPU time" in svg.text("subtitle"),
           "%s: cpu mode: frames weigh CPU time (unit cpu_ns, the subtitle says so)" % label,
           [str(svg.data.get("unit")), svg.text("subtitle")])
    total = svg.data["total"]
    bad = [(n["name"], r.get("x"), r.get("width")) for r, n in zip(svg.rects, nodes)
           if abs(float(r.get("width")) - n["weight"] * INNER / total) > 0.06
           or abs(float(r.get("x")) - 10 - n["start"] * INNER / total) > 0.06]
    tap.ok(not bad, "%s: every frame's x and width are its weight over the total" % label, map(str, bad[:5]))
    title, sub = svg.text("title"), svg.text("subtitle")
    tap.ok(title == target.cmdline, "%s: the title is the command line" % label, [title, target.cmdline])
    tap.ok(("Python %s" % target.truth["python"]) in sub and "mode cpu" in sub and "1000 Hz" in sub,
           "%s: the subtitle says Python version, mode and rate" % label, [sub])
    by_index = {}
    paths_ok = True
    for i, n in enumerate(nodes):
        by_index[i] = n
    # The path of each hot function: its ancestors are the frames at lower
    # depths whose span holds it.
    for name in test_batch.HOT:
        i = svg.index(name)
        if i < 0:
            paths_ok = False
            continue
        n = nodes[i]
        chain = [m["name"] for m in nodes if m["depth"] < n["depth"] and
                 m["start"] <= n["start"] and m["start"] + m["weight"] >= n["start"] + n["weight"]]
        paths_ok &= chain[-3:] == ["<module>", "main", "burn_serial"]
    tap.ok(paths_ok, "%s: <module> -> main -> burn_serial -> burn_a/b/c frames" % label)
    own = {name: svg.width_of(name) for name in test_batch.HOT}
    truth = test_batch.delta(before, after, "cpu_s")
    mine, theirs = test_batch.shares(own), test_batch.shares(truth)
    worst = max(abs(mine[n] - theirs[n]) for n in test_batch.HOT)
    tap.diag("%s: widths %s px; shares svg/thread_time %s; worst %.1f pp" % (
        label, ", ".join("%.0f" % own[n] for n in test_batch.HOT),
        ", ".join("%.1f/%.1f" % (mine[n], theirs[n]) for n in test_batch.HOT), worst))
    tap.ok(worst <= ACCURACY_PP, "%s: burn_a/b/c widths in proportion to the target's CPU split "
           "(within %.0f points)" % (label, ACCURACY_PP))
    # The weights are CPU time itself: the burn frames' ns at most the
    # target's thread_time from before pytop started to after it ended (how
    # much less depends on the machine's load), and more than the samples
    # the run could take (rate x duration x threads), the weight of counts.
    burn_ns = sum(n["weight"] for n in nodes if n["name"] in test_batch.HOT)
    burn_s, truth_s = burn_ns / 1e9, sum(truth.values())
    most = 1000 * 3.05 * len(target.truth["threads"])
    tap.ok(most < burn_ns and burn_s <= 1.02 * truth_s + 0.01,
           "%s: burn_a/b/c frames hold %.3f s of CPU; the target's thread_time over the run %.3f s" % (
               label, burn_s, truth_s))
    hot = {name: nodes[svg.index(name)]["line"] for name in test_batch.HOT if svg.index(name) >= 0}
    want = {name: target.truth["hot"][name]["hot_line"] for name in test_batch.HOT}
    tap.ok(hot == want, "%s: each burn frame's line is its hot line" % label, [str(hot), str(want)])


def chromium_binary():
    return shutil.which("chromium") or shutil.which("chromium-browser")


def check_browser_profile(tap, cr, svg, label):
    secs = cr.open(svg.path)
    tap.ok(cr.eval("typeof window.pytopFlamegraph") == "object" and
           cr.eval("document.getElementById('controls').getAttribute('visibility')") == "visible" and
           not cr.exceptions(), "%s: chromium loads it (%.2f s), the script runs, no exception" % (label, secs),
           cr.exceptions())
    # Search: a real click on the box, real typing.
    cr.click_element("document.getElementById('search')")
    cr.type("burn_b")
    matched = cr.eval("document.getElementById('matched').textContent")
    hits = cr.eval("Array.prototype.filter.call(document.querySelectorAll('#frames rect'),"
                   "function(r){return r.getAttribute('fill')==='%s';}).length" % MATCH_FILL)
    want = [n for n in svg.nodes if "burn_b" in n["name"].lower() or "burn_b" in n["file"].lower()]
    # The drawn frames' weight, or burn_b's own weight over all stacks
    # (funcs[k][3]: with its frames too narrow to draw) when larger.
    weight = max([sum(n["weight"] for n in want)] +
                 [f[3] if len(f) > 3 else 0 for f in svg.data["funcs"]
                  if "burn_b" in f[0].lower() or "burn_b" in f[1].lower()])
    pct = 100.0 * weight / svg.data["total"]
    said = "Matched: %.2f%% (%s of %s CPU)" % (pct, cpu_time(weight), cpu_time(svg.data["total"]))
    tap.ok(hits == len(want) and matched == said,
           "%s: search 'burn_b' highlights its %d frame(s) and says %.2f%%" % (label, len(want), pct),
           ["highlighted %s, matched text %r, want %r" % (hits, matched, said)])
    cr.eval("(function(s){s.value='';s.dispatchEvent(new Event('input'));})(document.getElementById('search'))")
    # Zoom: a real click on burn_a.
    i = svg.index("burn_a")
    rect = "window.pytopFlamegraph.rect(%d)" % i
    before_box = cr.box(rect)
    w, h, px_before = cr.screenshot()
    fill = hex_rgb(svg.rects[i].get("fill"))
    row_y = int(before_box[1] + 2)
    xs = list(range(15, 1186, 10))
    share_before = sum(px_before(x, row_y) == fill for x in xs) / len(xs)
    cr.click(before_box[0] + before_box[2] / 2, before_box[1] + before_box[3] / 2)
    box = cr.box(rect)
    w, h, px_after = cr.screenshot()
    share_after = sum(px_after(x, row_y) == fill for x in xs) / len(xs)
    tap.ok(abs(box[0] - 10) < 0.6 and abs(box[2] - INNER) < 1.0 and
           cr.eval("window.pytopFlamegraph.zoom()") == i,
           "%s: a click on burn_a makes it fill the width (box %.1f+%.1f px, was %.1f+%.1f)" % (
               label, box[0], box[2], before_box[0], before_box[2]))
    tap.ok(share_before < 0.5 and share_after > 0.95,
           "%s: screenshots: burn_a's colour covers its row after the click (%.0f%% of the row, "
           "before %.0f%%)" % (label, 100 * share_after, 100 * share_before))
    cr.click_element("window.pytopFlamegraph.rect(0)")
    box = cr.box(rect)
    tap.ok(abs(box[2] - before_box[2]) < 1.0 and cr.eval("window.pytopFlamegraph.zoom()") == 0,
           "%s: a click on the root zooms back out (burn_a %.1f px wide again)" % (label, box[2]))
    # Hover.
    c = svg.nodes[svg.index("burn_c")]
    cr.click_element("document.getElementById('reset')")
    b = cr.box("window.pytopFlamegraph.rect(%d)" % svg.index("burn_c"))
    cr.mouse("mouseMoved", b[0] + b[2] / 2, b[1] + b[3] / 2)
    details = cr.eval("document.getElementById('details').textContent")
    want = "burn_c (%s:%d): %s CPU, %.2f%%" % (c["file"], c["line"], cpu_time(c["weight"]),
                                                100.0 * c["weight"] / svg.data["total"])
    tap.ok(details == want,
           "%s: hovering burn_c shows name, file:line, CPU time and %%" % label, [details, want])
    # Invert.
    leaf = "window.pytopFlamegraph.rect(%d)" % svg.index("burn_c")
    root_y, leaf_y = cr.box("window.pytopFlamegraph.rect(0)")[1], cr.box(leaf)[1]
    cr.click_element("document.getElementById('invert')")
    inv_root_y, inv_leaf_y = cr.box("window.pytopFlamegraph.rect(0)")[1], cr.box(leaf)[1]
    tap.ok(leaf_y < root_y and inv_root_y < inv_leaf_y,
           "%s: Invert puts the root on top (root y %.0f, burn_c y %.0f; were %.0f, %.0f)" % (
               label, inv_root_y, inv_leaf_y, root_y, leaf_y))
    tap.ok(not cr.exceptions(), "%s: no script exception in all that" % label, cr.exceptions())


def test_profile(tap, pytop, interp, cr, workdir):
    label = interp.label
    with test_batch.Target(interp) as target:
        if not tap.ok(target.truth is not None, "%s: burn target started" % label,
                      [target.error or ""] + target.output().splitlines()):
            return
        path = os.path.join(workdir, "burn.svg")
        before = target.snapshot()
        rc, out, err = run([pytop, "-p", str(target.pid), "--batch", "-d", "3", "-o", path], timeout=60)
        after = target.snapshot()
        if not tap.ok(rc == 0 and not err and os.path.isfile(path) and before and after,
                      "%s: --batch -d 3 -o burn.svg: exit 0" % label, [err]):
            return
        xmllint(tap, label, path)
        try:
            svg = Svg(path)
        except (ET.ParseError, ValueError, AttributeError) as e:
            tap.ok(False, "%s: the SVG parses with its data block" % label, [str(e)])
            return
        tap.diag("%s: burn.svg %d bytes, %d frames" % (label, svg.size, len(svg.nodes)))
        check_profile(tap, svg, target, before, after, label)

        inv = os.path.join(workdir, "wall.svg")
        rc, out, err = run([pytop, "-p", str(target.pid), "--batch", "-d", "1", "-m", "wall",
                            "--inverted", "-f", "svg", "-o", inv], timeout=60)
        ok = rc == 0 and os.path.isfile(inv)
        if ok:
            w = Svg(inv)
            ys = [float(r.get("y")) for r in w.rects]
            ok = (w.data["inverted"] and ys[0] == min(ys) and w.index("idle_sleep") >= 0 and
                  w.data.get("unit") == "samples" and "width: samples" in w.text("subtitle") and
                  w.data["total"] == w.data["samples"])
        tap.ok(ok, "%s: -m wall --inverted -f svg: an icicle graph (root on top) with idle_sleep, "
               "frames weigh samples" % label, [err])
        if ok:
            # Frames mostly blocked take the idle colour (#8fb8a0, a shade
            # apart); the burning ones keep Python's warm colours.
            def near(fill, rgb):
                return all(abs(a - b) <= 12 for a, b in zip(hex_rgb(fill), rgb))
            fills = {}
            for r, n in zip(w.rects, w.nodes):
                fills.setdefault(n["name"], []).append(r.get("fill"))
            idle = fills.get("idle_sleep", [])
            burning = [f for name in ("burn_a", "burn_b", "burn_c") for f in fills.get(name, [])]
            tap.ok(idle and all(near(f, (0x8f, 0xb8, 0xa0)) for f in idle) and burning and
                   not any(near(f, (0x8f, 0xb8, 0xa0)) or near(f, (0xb2, 0x6f, 0xd6)) for f in burning),
                   "%s: -m wall svg: idle_sleep has the idle colour, burn_a/b/c do not (nor GIL-wait's)" % label,
                   ["idle_sleep %r" % idle, "burn %r" % burning])
            tap.ok("idle: mostly blocked" in w.text("legend") or any(
                "idle: mostly blocked" in "".join(t.itertext()) for t in w.root.iter(SVGNS + "text")),
                "%s: the legend names the idle and GIL-wait colours" % label)
        if cr:
            check_browser_profile(tap, cr, svg, label + " chromium")
        else:
            tap.skip("%s: chromium checks of the profile" % label, "chromium not installed "
                     "(apt-get install chromium; ./bootstrap installs it)")


def test_synthetic(tap, cr, workdir):
    gen = os.path.join(builddir(), "tests", "live", "svg_stacks")
    if not os.access(gen, os.X_OK):
        tap.ok(False, "synthetic: svg_stacks built (make check builds it)", [gen])
        return
    big = os.path.join(workdir, "big.svg")
    t0 = time.monotonic()
    rc, out, err = run([gen, big, "100000"], timeout=120)
    wrote = time.monotonic() - t0
    if not tap.ok(rc == 0, "synthetic: svg_stacks wrote 100k unique stacks", [err]):
        return
    xmllint(tap, "synthetic 100k", big)
    svg = Svg(big)
    tap.diag("synthetic 100k: %s samples, written in %.2f s, %d bytes, %d of %d frames drawn "
             "(threshold %d samples)" % (out.strip(), wrote, svg.size, len(svg.nodes),
                                         svg.data["frames_all"], svg.data["threshold"]))
    tap.ok(svg.size < 8 << 20 and svg.data["frames_all"] > 100000,
           "synthetic 100k: %.2f MB for %d frames" % (svg.size / 1e6, svg.data["frames_all"]))
    if not cr:
        tap.skip("synthetic 100k: chromium loads it", "chromium not installed")
    else:
        secs = cr.open(big)
        n = cr.eval("window.pytopFlamegraph && window.pytopFlamegraph.frames")
        tap.ok(n == len(svg.nodes) and not cr.exceptions() and secs < 15,
               "synthetic 100k: chromium loads it in %.2f s, %s frames, no exception" % (secs, n),
               cr.exceptions())
        cr.click_element("document.getElementById('search')")
        t0 = time.monotonic()
        cr.type("level")
        matched = cr.eval("document.getElementById('matched').textContent")
        tap.ok(matched.startswith("Matched: 100.00%"),
               "synthetic 100k: 'level' (5 frames on every stack) matches 100%%, each sample once "
               "(%.2f s)" % (time.monotonic() - t0), [matched])
        # level4_3 is on every tenth stack, always in a frame too narrow
        # to draw: the share is its weight over all stacks, exact (it was
        # 0%: only drawn frames counted).
        cr.eval("(function(s){s.value='';s.dispatchEvent(new Event('input'));})"
                "(document.getElementById('search'))")
        cr.type("level4_3")
        matched = cr.eval("document.getElementById('matched').textContent")
        weight = sum(i % 7 + 1 for i in range(3, 100000, 10))
        said = "Matched: %.2f%% (%d of %d samples)" % (100.0 * weight / svg.data["total"], weight,
                                                       svg.data["total"])
        hidden = not any(n["name"] == "level4_3" for n in svg.nodes)
        tap.ok(hidden and matched == said,
               "synthetic 100k: 'level4_3' (on 1 stack in 10, no frame of it drawn) says its exact share",
               ["level4_3 drawn: %s" % (not hidden), "matched %r, want %r" % (matched, said)])
        i = svg.index("level2_3")
        t0 = time.monotonic()
        cr.click_element("window.pytopFlamegraph.rect(%d)" % i)
        box = cr.box("window.pytopFlamegraph.rect(%d)" % i)
        tap.ok(abs(box[2] - INNER) < 1.0, "synthetic 100k: zoom into level2_3 fills the width (%.2f s)" %
               (time.monotonic() - t0), [str(box)])

    # More frames wide enough to draw than the writer's cap.
    wide = os.path.join(workdir, "chains.svg")
    rc, out, err = run([gen, wide, "11000", "chains"], timeout=120)
    if tap.ok(rc == 0, "chains: svg_stacks wrote 11000 chains of 10 frames", [err]):
        svg = Svg(wide)
        tap.diag("chains: %d bytes, %d of %d frames drawn (threshold %d samples)" % (
            svg.size, len(svg.nodes), svg.data["frames_all"], svg.data["threshold"]))
        tap.ok(20000 < len(svg.nodes) <= 40000 and svg.size < 8 << 20,
               "chains: at most 40000 frames drawn (%d), %.2f MB" % (len(svg.nodes), svg.size / 1e6))
        if cr:
            secs = cr.open(wide)
            n = cr.eval("window.pytopFlamegraph && window.pytopFlamegraph.frames")
            tap.ok(n == len(svg.nodes) and not cr.exceptions() and secs < 30,
                   "chains: chromium loads it in %.2f s, no exception" % secs, cr.exceptions())

    # Hostile names.
    evil = os.path.join(workdir, "evil.svg")
    rc, out, err = run([gen, evil, "10", "hostile"], timeout=60)
    if not tap.ok(rc == 0, "hostile: svg_stacks wrote the hostile names", [err]):
        return
    xmllint(tap, "hostile", evil)
    try:
        svg = Svg(evil)
        scripts = svg.root.findall(".//" + SVGNS + "script")
        names = [f[0] for f in svg.data["funcs"]]
        ok = (len(scripts) == 2 and "</script><script>window.pwned=1</script>" in names and
              "bidi\\u202eevil" in names and "ctl\\x01\\x1b[31mred\\x7f" in names and
              max(len(x) for x in names) < 500 and "window.pwned=4" in svg.text("title"))
        diags = names
    except (ET.ParseError, ValueError, AttributeError) as e:
        ok, diags = False, [str(e)]
    tap.ok(ok, "hostile: parses; two script elements; names as text, escaped, cut under 500 bytes",
           diags)
    if not cr:
        tap.skip("hostile: nothing from the names runs in chromium", "chromium not installed")
        return
    cr.open(evil)
    seen = []
    for k in range(len(svg.nodes)):
        b = cr.box("window.pytopFlamegraph.rect(%d)" % k)
        cr.mouse("mouseMoved", b[0] + b[2] / 2, b[1] + b[3] / 2)
        seen.append(cr.eval("document.getElementById('details').textContent"))
    cr.click_element("document.getElementById('search')")
    cr.type("script")
    k = svg.index("</script><script>window.pwned=1</script>")
    cr.click_element("window.pytopFlamegraph.rect(%d)" % k)
    pwned = cr.eval("typeof window.pwned")
    hovered = any(s.startswith("</script><script>window.pwned=1</script> (") for s in seen)
    tap.ok(pwned == "undefined" and not cr.dialogs() and hovered and not cr.exceptions(),
           "hostile: hover, search and zoom show the names as text and run nothing of theirs",
           ["window.pwned: %s" % pwned, "dialogs: %s" % cr.dialogs()] + seen[:12] + cr.exceptions())


def main():
    tap = pythons.Tap()
    pytop = pythons.pytop_binary()
    if not (os.path.isfile(pytop) and os.access(pytop, os.X_OK)):
        tap.bail("pytop binary not found at %s (set PYTOP)" % pytop)
    started = time.monotonic()
    test_usage(tap, pytop)
    workdir = tempfile.mkdtemp(prefix="pytop-svg-")
    binary = chromium_binary()
    cr = None
    try:
        if binary:
            try:
                cr = Chromium(binary)
            except (OSError, RuntimeError) as e:
                tap.ok(False, "chromium starts and answers the DevTools protocol", [str(e)])
        else:
            tap.skip("chromium: the flame graph in a real browser",
                     "chromium not installed: every browser check below SKIPs (apt-get install chromium)")
        interp = next(iter(pythons.interpreters(tap)), None)
        if interp is None:
            tap.skip("a real profile as svg", "no interpreter")
        else:
            test_profile(tap, pytop, interp, cr, workdir)
        test_synthetic(tap, cr, workdir)
    finally:
        if cr:
            cr.close()
        shutil.rmtree(workdir, ignore_errors=True)
    tap.diag("total %.1f s" % (time.monotonic() - started))
    return tap.done()


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    sys.exit(main())
