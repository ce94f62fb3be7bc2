#!/usr/bin/env python3
"""Record line-table test vectors from real CPython interpreters.

For every interpreter given (default: the pyenv builds of 3.8 to 3.13) this
runs itself in the child interpreter with --child, where it compiles a set of
sample functions and records, for each code object, the raw line table
(co_lnotab for 3.8/3.9, co_linetable from 3.10), co_firstlineno and the line
of every code unit as the interpreter's own PyCode_Addr2Line reports it (the
function behind frame.f_lineno for a frame that is not being traced). The
child also checks that oracle against live frames caught by a profile hook
and compares it with dis.findlinestarts / co_lines() / co_positions().

Usage:
    python3 tools/gen_linetable_vectors.py [-o tests/unit/linetable_vectors.h]
                                           [PYTHON ...]

The output is C: static const arrays for tests/unit/test_linetable.c.
Written to run under Python 3.8 and later (it is its own child script).
"""

import json
import os
import subprocess
import sys

DEFAULT_VERSIONS = ["3.8.18", "3.9.18", "3.10.13", "3.11.7", "3.12.1",
                    "3.13.0"]
FORMAT_NAMES = {1: "LINETABLE_LNOTAB", 2: "LINETABLE_310", 3: "LINETABLE_311"}
FILENAME = "<linetable-vectors>"


def sample_source():
    """The sample module: the same text for every interpreter (3.8 syntax)."""
    gap = lambda n, text="": [text] * n
    names = ", ".join(["a"] * 200)
    src = [
        "import sys",
        "",
        "def straight(a, b):",
        "    c = a + b",
        "    d = c * 2",
        "    e = [a, b, c, d]",
        "    return e",
        "",
        "def loops(n):",
        "    total = 0",
        "    for i in range(n):",
        "        if i % 3 == 0:",
        "            continue",
        "        j = 0",
        "        while j < i:",
        "            j += 1",
        "            if j > 5:",
        "                break",
        "        total += j",
        "    else:",
        "        total -= 1",
        "    return total",
        "",
        "def multiline(a, b):",
        "    x = (a +",
        "         b *",
        "         a)",
        "    y = dict(",
        "        one=a,",
        "        two=b,",
        "        three=[",
        "            a,",
        "            b,",
        "        ],",
        "    )",
        "    z = str(x).upper(",
        "    ).lower(",
        "    ).strip()",
        "    return x, y, z",
        "",
        "def outer(n):",
        "    k = n + 1",
        "    def inner(m):",
        "        return m + k",
        "    sq = [inner(i) for i in range(n)]",
        "    f = lambda q: (q,",
        "                   k)",
        "    return sq, f(1)",
        "",
        "def gen(n):",
        "    for i in range(n):",
        "        yield i",
        "    yield from range(n)",
        "    x = yield",
        "    return x",
        "",
        "def tryfinally(x):",
        "    try:",
        "        y = 1 / x",
        "    except ZeroDivisionError as e:",
        "        y = str(e)",
        "    except (TypeError, ValueError):",
        "        raise",
        "    else:",
        "        y = y * 2",
        "    finally:",
        "        z = 3",
        "    with open('/dev/null') as fh:",
        "        fh.read()",
        "    return y, z",
        "",
        "def deco(f):",
        "    return f",
        "",
        "@deco",
        "def decorated(",
        "        a,",
        "        b=2,",
        "):",
        "    return a",
        "",
        "class Klass:",
        "    attr = 1",
        "    def method(self):",
        "        return self.attr",
        "",
        "async def coro(x):",
        "    await x",
        "    async with x as y:",
        "        pass",
        "    async for z in x:",
        "        pass",
        "    return y",
        "",
        "def long_function(a):",
        "    b = a + 1",
    ]
    src += gap(300, "    # filler so that the next line is 300 further on")
    src += ["    c = b + 1"]
    src += gap(1000)
    src += ["    d = [c, b, " + names + "]"]
    src += gap(300, "    #")
    src += [
        "    if a:                                                         "
        "                                                   e = d",
        "    return d",
        "",
        "def big_delta(a):",
        "    x = max(",
        "        a,",
    ]
    src += gap(200)
    src += [
        "        a + 1,",
        "    )",
        "    y = (",
    ]
    src += gap(300)
    src += [
        "        x)",
        "    return [x,",
    ]
    src += gap(140)
    src += [
        "            y]",
    ]
    src += gap(1500)
    src += [
        "def far_away(a):",
        "    return a",
        "",
    ]
    return "\n".join(src)


EXTRA_310 = """
def matcher(v):
    match v:
        case [a, b]:
            return a + b
        case {'k': c}:
            return c
        case int(d) if d > 3:
            return d
        case _:
            return None
"""

EXTRA_311 = """
def star_groups(x):
    try:
        raise ExceptionGroup('g', [ValueError(x)])
    except* ValueError:
        y = 1
    except* TypeError:
        y = 2
    return y
"""

NOCOL_SOURCE = """
def nocolumn(a):
    b = a + 1
    c = (b +
         a)
    return c
"""


def run_samples(ns):
    """Call the sample functions so live frames can be checked."""
    ns["straight"](1, 2)
    ns["loops"](12)
    ns["multiline"](1, 2)
    ns["outer"](3)
    g = ns["gen"](3)
    list(zip(range(6), g))
    next(g)
    try:
        g.send(5)
    except StopIteration:
        pass
    ns["tryfinally"](0)
    ns["tryfinally"](2)
    try:
        ns["tryfinally"]("x")
    except TypeError:
        pass
    ns["decorated"](1)
    ns["Klass"]().method()
    ns["long_function"](1)
    ns["long_function"](0)
    ns["big_delta"](1)
    ns["far_away"](1)
    for name, args in (("matcher", ([1, 2],)), ("matcher", ({"k": 1},)),
                       ("matcher", (7,)), ("matcher", ("s",)),
                       ("star_groups", (1,)), ("nocolumn", (1,))):
        if name in ns:
            ns[name](*args)


def child():
    import ctypes
    import dis
    import ast

    ver = sys.version_info
    addr2line = ctypes.pythonapi.PyCode_Addr2Line
    addr2line.argtypes = [ctypes.py_object, ctypes.c_int]
    addr2line.restype = ctypes.c_int

    src = sample_source()
    if ver >= (3, 10):
        src += EXTRA_310
    if ver >= (3, 11):
        src += EXTRA_311
    module = compile(src, FILENAME, "exec")
    ns = {"__name__": "samples"}
    exec(module, ns)

    # A function whose instructions have no columns (3.11+ entry kind 13):
    # compile an AST with the column offsets removed.
    nocol_offset = src.count("\n") + 2
    tree = ast.parse(NOCOL_SOURCE)
    ast.increment_lineno(tree, nocol_offset)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.BinOp, ast.Name)):
            node.col_offset = -1
            node.end_col_offset = -1
    nocol_module = compile(tree, FILENAME, "exec")
    exec(nocol_module, ns)

    codes = []

    def collect(co):
        codes.append(co)
        for c in co.co_consts:
            if hasattr(c, "co_code"):
                collect(c)
    collect(module)
    collect(nocol_module)

    # Live frames: a profile hook sees the caller stopped at a call
    # instruction and the callee at its return.
    observed = []
    ours = set(id(c) for c in codes)

    def prof(frame, event, arg):
        f = frame.f_back if event == "call" else frame
        while f is not None:
            if id(f.f_code) in ours:
                observed.append((f.f_code, f.f_lasti, f.f_lineno))
            f = f.f_back
    sys.setprofile(prof)
    try:
        run_samples(ns)
    finally:
        sys.setprofile(None)
    # A generator that has not started is on its first line.
    fresh = ns["gen"](1)
    observed.append((fresh.gi_code, fresh.gi_frame.f_lasti,
                     fresh.gi_frame.f_lineno))

    if ver >= (3, 11):
        fmt = 3
    elif ver >= (3, 10):
        fmt = 2
    else:
        fmt = 1

    out = {"python": "%d.%d.%d" % ver[:3], "codes": [], "live": 0, "live_cache": 0,
           "notes": []}
    seen = {}
    for co in codes:
        name = getattr(co, "co_qualname", co.co_name)
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            name = "%s#%d" % (name, seen[name])
        table = co.co_lnotab if fmt == 1 else co.co_linetable
        n = len(co.co_code) // 2
        lines = [addr2line(co, 2 * i) for i in range(n)]
        for a in (-1, -2):
            if addr2line(co, a) != co.co_firstlineno:
                out["notes"].append("%s: addr %d -> %d, not co_firstlineno"
                                    % (name, a, addr2line(co, a)))
        # Compare the oracle with the Python-level views of the table.
        if fmt == 1:
            starts = list(dis.findlinestarts(co))
            other = []
            for i in range(n):
                cur = co.co_firstlineno
                for off, ln in starts:
                    if off <= 2 * i:
                        cur = ln
                other.append(cur)
            view = "dis.findlinestarts"
        elif fmt == 2:
            other = [-1] * n
            for start, end, ln in co.co_lines():
                for b in range(start, end, 2):
                    other[b // 2] = -1 if ln is None else ln
            view = "co_lines()"
        else:
            other = [-1 if p[0] is None else p[0] for p in co.co_positions()]
            view = "co_positions()"
        diff = [i for i in range(n) if other[i] != lines[i]]
        if diff:
            out["notes"].append(
                "%s: %s differs from PyCode_Addr2Line at %d of %d units "
                "(first: byte %d, %s %d, Addr2Line %d)"
                % (name, view, len(diff), n, 2 * diff[0], view,
                   other[diff[0]], lines[diff[0]]))
        # Past the end of the code: 3.8/3.9 keep the last line; from 3.10
        # the table covers exactly the code, so there is no line after it.
        if fmt == 1:
            past_end = addr2line(co, 2 * n)
        else:
            if fmt == 2:
                covered = sum(table[0::2])
            else:
                covered = sum(((b & 7) + 1) * 2 for b in table if b & 128)
            if covered != 2 * n:
                raise SystemExit("%s: table covers %d bytes of %d"
                                 % (name, covered, 2 * n))
            past_end = -1
        kinds = []
        if fmt == 3:
            kinds = sorted(set((b >> 3) & 15 for b in table if b & 128))
        out["codes"].append({
            "name": name, "fmt": fmt, "firstlineno": co.co_firstlineno,
            "table": list(table), "lines": lines, "past_end": past_end,
            "kinds": kinds,
        })

    # Every live observation must agree with the oracle, or the vectors
    # would not describe f_lineno.
    for co, lasti, lineno in observed:
        want = addr2line(co, lasti)
        if lineno is None:
            lineno = -1
        if want != lineno:
            raise SystemExit("%s: live frame at f_lasti %d has f_lineno %d "
                             "but PyCode_Addr2Line says %d"
                             % (co.co_name, lasti, lineno, want))
        out["live"] += 1
        if 0 <= lasti < len(co.co_code) and \
                dis.opname[co.co_code[lasti]] == "CACHE":
            out["live_cache"] += 1
    json.dump(out, sys.stdout)


def c_bytes(data, indent="\t"):
    rows = []
    for i in range(0, len(data), 12):
        rows.append(indent + ", ".join("0x%02x" % b for b in data[i:i + 12])
                    + ",")
    return "\n".join(rows)


def c_ints(data, indent="\t"):
    rows = []
    for i in range(0, len(data), 16):
        rows.append(indent + ", ".join(str(v) for v in data[i:i + 16]) + ",")
    return "\n".join(rows)


def c_ident(s):
    return "".join(ch if ch.isalnum() else "_" for ch in s)


def emit(results, argv):
    out = []
    out.append("/* linetable_vectors: line tables recorded from real CPython "
               "interpreters.")
    out.append(" * GENERATED FILE, do not edit. Regenerate with:")
    out.append(" *   python3 tools/gen_linetable_vectors.py "
               "-o tests/unit/linetable_vectors.h"
               + (" " + " ".join(argv) if argv else ""))
    out.append(" * lines[i] is the interpreter's PyCode_Addr2Line (= f_lineno "
               "of an untraced")
    out.append(" * frame) at byte offset 2*i of the instruction stream; -1 "
               "means no line. */")
    out.append("#ifndef PYTOP_TESTS_LINETABLE_VECTORS_H")
    out.append("#define PYTOP_TESTS_LINETABLE_VECTORS_H")
    out.append("")
    out.append("#include <stddef.h>")
    out.append("#include <stdint.h>")
    out.append("")
    out.append('#include "cpython/linetable.h"')
    out.append("")
    out.append("struct linetable_vector {")
    out.append("\tconst char *python;\t/* interpreter version */")
    out.append("\tconst char *name;\t/* code object qualified name */")
    out.append("\tenum linetable_format fmt;")
    out.append("\tint firstlineno;")
    out.append("\tconst uint8_t *table;")
    out.append("\tsize_t table_len;")
    out.append("\tconst int *lines;\t/* expected line at byte offset 2*i */")
    out.append("\tsize_t n_lines;")
    out.append("\tint past_end;\t/* expected line at byte offset 2*n_lines */")
    out.append("};")
    entries = []
    for res in results:
        vtag = c_ident(res["python"])
        out.append("")
        out.append("/* Python %s: %d code objects */"
                   % (res["python"], len(res["codes"])))
        for i, co in enumerate(res["codes"]):
            tag = "lt_%s_%d" % (vtag, i)
            out.append("")
            out.append("/* %s %s (firstlineno %d) */"
                       % (res["python"], co["name"], co["firstlineno"]))
            out.append("static const uint8_t %s_table[] = {" % tag)
            out.append(c_bytes(co["table"]) if co["table"] else "\t0,")
            out.append("};")
            out.append("static const int %s_lines[] = {" % tag)
            out.append(c_ints(co["lines"]) if co["lines"] else "\t0,")
            out.append("};")
            entries.append(
                '\t{ "%s", "%s", %s, %d, %s_table, %d, %s_lines, %d, %d },'
                % (res["python"], co["name"], FORMAT_NAMES[co["fmt"]],
                   co["firstlineno"], tag, len(co["table"]), tag,
                   len(co["lines"]), co["past_end"]))
    out.append("")
    out.append("static const struct linetable_vector linetable_vectors[] = {")
    out.extend(entries)
    out.append("};")
    out.append("")
    out.append("#endif")
    return "\n".join(out) + "\n"


def default_pythons():
    root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    return [os.path.join(root, "versions", v, "bin", "python3")
            for v in DEFAULT_VERSIONS]


def main():
    args = sys.argv[1:]
    if args[:1] == ["--child"]:
        child()
        return
    output = None
    if len(args) >= 2 and args[0] == "-o":
        output = args[1]
        args = args[2:]
    pythons = args or default_pythons()
    results = []
    for py in pythons:
        proc = subprocess.run([py, os.path.abspath(__file__), "--child"],
                              stdout=subprocess.PIPE, check=True,
                              universal_newlines=True)
        res = json.loads(proc.stdout)
        results.append(res)
        kinds = sorted(set(k for c in res["codes"] for k in c["kinds"]))
        units = sum(len(c["lines"]) for c in res["codes"])
        sys.stderr.write("%s: %d code objects, %d offsets, %d live frames "
                         "agree (%d on a CACHE unit)%s\n"
                         % (res["python"], len(res["codes"]), units,
                            res["live"], res["live_cache"],
                            (", entry kinds %s" % kinds) if kinds else ""))
        for note in res["notes"]:
            sys.stderr.write("  note: %s\n" % note)
    text = emit(results, args)
    if output:
        with open(output, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
