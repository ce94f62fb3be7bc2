"""test_opcodes: the generated opcode tables (src/cpython/layout_3_X.c,
`opcodes`, 3.11+) that the stack walker checks callers against (TAP).

A frame that called a Python frame in the same eval call waits at a call
instruction; the walker drops a stack whose caller it read anywhere else
(torn). A table that misses a call instruction would drop valid stacks
forever, so, per version with a table:

  the instructions that push a Python frame inline in CPython (CALL and its
        Python specialisations, CALL_KW, CALL_FUNCTION_EX, SEND_GEN,
        FOR_ITER_GEN, LOAD_ATTR_PROPERTY, __getattribute__, __getitem__,
        __init__, their INSTRUMENTED_ forms), where the version has them,
        are marked; instructions that never call (LOAD_FAST, STORE_FAST,
        POP_TOP, RESUME, ...) are not; an instrumented line and an executor
        have no known length
  and on every installed interpreter of the live tests (tests/live/pythons.py;
        a missing one is a loud SKIP): every kind of inline call (plain,
        keywords, *args, a method, super(), __init__, a property,
        __getattribute__, __getitem__, a generator in a for loop, yield from,
        await, a closure, a recursion), plain and under sys.settrace
        (instrumented code on 3.12+), leaves its caller at a position the
        table's decoding (bytecode.c's, redone here) marks: the caller's
        position and instructions are read from the running interpreter
        (frame.f_lasti, code._co_code_adaptive), which is what pytop reads
"""

import json
import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.environ.get("PYTOP_SRCDIR") or os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SRC, "tests", "live"))
import pythons  # noqa: E402

# Instructions that push a Python frame in the caller's eval call, in some
# version (CPython's bytecodes.c: DISPATCH_INLINED, _PUSH_FRAME).
INLINE_PUSHERS = [
    "CALL", "CALL_PY_EXACT_ARGS", "CALL_PY_WITH_DEFAULTS", "CALL_BOUND_METHOD_EXACT_ARGS",
    "CALL_PY_GENERAL", "CALL_BOUND_METHOD_GENERAL", "CALL_ALLOC_AND_ENTER_INIT", "CALL_KW",
    "CALL_KW_PY", "CALL_KW_BOUND_METHOD", "CALL_FUNCTION_EX", "CALL_EX_PY", "SEND", "SEND_GEN",
    "FOR_ITER_GEN", "LOAD_ATTR_PROPERTY", "LOAD_ATTR_GETATTRIBUTE_OVERRIDDEN", "BINARY_SUBSCR_GETITEM",
    "BINARY_OP_SUBSCR_GETITEM", "EXIT_INIT_CHECK", "INSTRUMENTED_CALL", "INSTRUMENTED_CALL_KW",
    "INSTRUMENTED_CALL_FUNCTION_EX", "INSTRUMENTED_FOR_ITER",
]
NEVER_CALL = ["LOAD_FAST", "LOAD_CONST", "STORE_FAST", "POP_TOP", "RESUME", "NOP", "RETURN_VALUE",
              "COMPARE_OP", "POP_JUMP_IF_FALSE", "JUMP_BACKWARD", "EXTENDED_ARG", "CACHE"]
KINDS = 13   # inline call kinds PROBE records per run
UNKNOWN = ["INSTRUMENTED_LINE", "INSTRUMENTED_INSTRUCTION", "ENTER_EXECUTOR"]
ENTRY = re.compile(r"^\t\[(\d+)\] = (\d+)( \| LAYOUT_OP_CALLS)?,\t/\* (\w+) \*/$", re.M)

# Run inside each interpreter: every inline call kind records its caller's
# code (instructions as the interpreter holds them), position and name.
PROBE = r'''
import json, sys
rec = []
def here(kind):
    f = sys._getframe(2)
    rec.append([kind, f.f_code.co_name, f.f_code._co_code_adaptive.hex(), f.f_lasti])
def plain(): here("plain")
def kw(a, b=1, *, c=2): here("keywords")
def star(*a, **k): here("*args")
class Base:
    def __init__(self): here("__init__")
    def method(self): here("super().method")
    @property
    def prop(self): here("property")
    def __getitem__(self, i): here("__getitem__"); return i
class Derived(Base):
    def method(self): super().method()
class Attr:
    def __getattribute__(self, name): here("__getattribute__")
def gen():
    here("generator in for")
    yield 1
def sub():
    here("yield from")
    yield 1
def outer():
    yield from sub()
async def inner():
    here("await")
async def coro():
    await inner()
def closure():
    k = 1
    def f():
        here("closure")
        return k
    return f()
def recurse(n):
    if n == 0:
        here("recursion")
        return
    recurse(n - 1)
def once():
    plain(); kw(1, b=2, c=3); star(*(1,), **{"z": 1})
    b = Derived(); b.method(); b.prop; b[1]; Attr().x
    for _ in gen(): pass
    for _ in outer(): pass
    c = coro()
    try:
        c.send(None)
    except StopIteration:
        pass
    closure(); recurse(3)
def tracer(frame, event, arg):
    return tracer
for i in range(40):   # warm up: specialised instructions
    once()
n = len(rec); once(); plain_rec = rec[n:]
sys.settrace(tracer); n = len(rec); once(); sys.settrace(None)
print(json.dumps({"plain": plain_rec, "traced": rec[n:]}))
'''


def tables():
    """{(3, minor): {name: (number, length, calls)}} from the tree."""
    out = {}
    for path in sorted(os_glob(os.path.join(SRC, "src", "cpython", "layout_3_*.c"))):
        m = re.search(r"layout_3_(\d+)\.c$", path)
        if not m:
            continue
        text = open(path).read()
        if "static const uint8_t opcodes[256]" not in text:
            continue
        out[(3, int(m.group(1)))] = {name: (int(num), int(length), bool(calls))
                                     for num, length, calls, name in ENTRY.findall(text)}
    return out


def os_glob(pattern):
    import glob
    return glob.glob(pattern)


def sites(table, code):
    """The units of code that bytecode_call_sites() marks (set)."""
    by_num = {num: (length, calls) for num, length, calls in table.values()}
    units = len(code) // 2
    marked, u = set(), 0
    while u < units:
        length, calls = by_num.get(code[2 * u], (0, False))
        if not length:
            marked.update(range(u, units))
            break
        if calls:
            marked.update(range(u, min(u + length, units)))
        u += length
    return marked


def main():
    tap = pythons.Tap()
    tabs = tables()
    tap.ok(sorted(tabs) == [(3, m) for m in range(11, max(m for _, m in tabs) + 1)] and (3, 11) in tabs,
           "every version from 3.11 has an opcode table (%s)" % ", ".join("%d.%d" % v for v in sorted(tabs)))
    for ver, table in sorted(tabs.items()):
        v = "%d.%d" % ver
        present = [n for n in INLINE_PUSHERS if n in table]
        missing = [n for n in present if not table[n][2]]
        tap.ok(len(present) >= 3 and not missing, "%s: the %d inline frame pushers it has are call sites"
               % (v, len(present)), missing)
        wrong = [n for n in NEVER_CALL if n in table and table[n][2]]
        tap.ok(not wrong and sum(n in table for n in NEVER_CALL) >= 8,
               "%s: instructions that never call are not call sites" % v, wrong)
        unknown = [n for n in UNKNOWN if n in table and table[n][1] != 0]
        tap.ok(not unknown, "%s: instrumented lines and executors have no known length" % v, unknown)
        bad = [n for n, (_, length, _) in table.items() if length > 15]
        tap.ok(table.get("CACHE", (0, 0, 0))[:2] == (0, 1) and not bad,
               "%s: CACHE is opcode 0 of one unit; every length fits 4 bits" % v, bad)

    for interp in pythons.interpreters(tap, chroot=True):
        m = re.match(r"(\d+)\.(\d+)", interp.version)
        ver = (int(m.group(1)), int(m.group(2))) if m else None
        if ver not in tabs:
            continue
        label = "%s call sites" % interp.label
        try:
            out = subprocess.run(interp.argv("-I", "-c", PROBE), stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, timeout=120)
            got = json.loads(out.stdout.decode())
        except (OSError, ValueError, subprocess.SubprocessError) as exc:
            tap.ok(False, "%s: the probe runs" % label, [str(exc), out.stderr.decode()[-2000:]
                                                        if "out" in dir() else ""])
            continue
        for mode in ("plain", "traced"):
            recs = got[mode]
            bad = []
            for kind, caller, code_hex, lasti in recs:
                code = bytes.fromhex(code_hex)
                if lasti < 0 or lasti // 2 not in sites(tabs[ver], code):
                    op = code[lasti - lasti % 2] if 0 <= lasti < len(code) else -1
                    name = [n for n, e in tabs[ver].items() if e[0] == op]
                    bad.append("%s: %s waits at offset %d, opcode %d %s" % (kind, caller, lasti, op, name))
            tap.ok(len(recs) == KINDS and not bad, "%s, %s: every inline call kind (%d) leaves its caller "
                   "at a call site" % (label, mode, len(recs)), bad)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
