#!/usr/bin/env python3
"""Capture the _Py_DebugOffsets blocks of real CPython interpreters as test data.

CPython 3.13+ starts _PyRuntime with a _Py_DebugOffsets block (cookie
"xdebugpy", then PY_VERSION_HEX, then the offsets a debugger needs). pytop's
reader (src/cpython/debug_offsets.c) lays such a block over its layout table
through a generated schema. Its unit tests must read blocks that real
interpreters made, not fakes built from pytop's own tables.

For each interpreter this tool:
  1. starts it (in a chroot for Debian unstable's 3.14/3.15, see
     tests/setup_sid_root.sh) with a small script that stays alive;
  2. from outside, finds _PyRuntime in the ELF file that defines it (.dynsym,
     then .symtab; the libpython of a shared build or the executable, opened
     through /proc/PID/map_files), adds
     the load bias from /proc/PID/maps and reads sizeof(_Py_DebugOffsets)
     bytes (the `.size` of src/cpython/debug_schema_3_X.c) from
     /proc/PID/mem; checks the cookie, that the block's version is the
     interpreter's sys.hexversion and that the address equals the one the
     interpreter gives itself (ctypes);
  3. records facts found independently of any schema: inside the live
     interpreter, the script scans its own objects (ctypes.string_at) for
     values it knows (the thread state's native thread id, the interpreter
     address in the thread state and in _PyRuntime, id(sys.modules) in the
     interpreter, a code object's filename/name/qualname/first line, a
     tuple's item, a bytes' and a str's characters, ...) and reports every
     offset where each value sits, plus basic sizes from Python itself.

It writes tests/unit/debug_offsets_3_13.h (3.13, pyenv),
tests/unit/debug_offsets_golden.h (3.14, 3.15 and their -dbg builds) and
tests/unit/data/debug_offsets_facts.h. tests/unit/test_layout.c parses the
real blocks with the real reader and asserts that each offset it gets is
one of the places where the live interpreter held that value.

Usage:
  tools/capture_debug_offsets.py            write the three headers
  tools/capture_debug_offsets.py --check    capture again, compare with the
                                            committed headers (exit 1 on a
                                            difference, 77 when an
                                            interpreter is missing)
Options: --srcdir DIR (the tree, default: this file's), --sid-root DIR
(default $PYTOP_SID_ROOT or /var/cache/pytop-sid), --pyenv DIR (default
$PYENV_ROOT or ~/.pyenv). Needs root (chroot, /proc/PID/mem of a child).
x86-64 Linux only, like the data.
"""

import argparse
import json
import os
import re
import struct
import subprocess
import sys

# (array name, label, interpreter, in the sid root?, header)
INTERPRETERS = [
    ("real_debug_offsets_3_13", "pyenv python3", "pyenv:3.13.0", False, "3_13"),
    ("real_debug_offsets_3_14", "Debian python3.14", "/usr/bin/python3.14", True, "golden"),
    ("real_debug_offsets_3_14d", "Debian python3.14d (-dbg)", "/usr/bin/python3.14d", True, "golden"),
    ("real_debug_offsets_3_15", "Debian python3.15", "/usr/bin/python3.15", True, "golden"),
    ("real_debug_offsets_3_15d", "Debian python3.15d (-dbg)", "/usr/bin/python3.15d", True, "golden"),
]

# Runs inside the target: report facts about itself, then wait for stdin.
PROBE = r'''
import ctypes, json, struct, sys, threading

api = ctypes.pythonapi
api.PyThreadState_Get.restype = ctypes.c_void_p
api.PyInterpreterState_Get.restype = ctypes.c_void_p
tstate = api.PyThreadState_Get()
interp = api.PyInterpreterState_Get()
rt_sym = ctypes.c_char.in_dll(api, "_PyRuntime")
runtime = ctypes.addressof(rt_sym)

def hits(base, size, value, width):
    """Every offset (a multiple of width) in [base, base+size) holding value."""
    buf = ctypes.string_at(base, size)
    fmt = {8: "<Q", 4: "<i"}[width]
    return [k for k in range(0, size - width + 1, width)
            if struct.unpack_from(fmt, buf, k)[0] == value]

def find(base, size, needle):
    buf = ctypes.string_at(base, size)
    return [k for k in range(size - len(needle) + 1) if buf[k:k + len(needle)] == needle]

# A code object whose fields hold values found nowhere else in it: a file
# name, a method (name != qualname) with 5 positional and 3 keyword-only
# arguments, first line 7777.
src = "\n" * 7776 + "class Klass:\n def meth(self, a, b, c, d, *, e, f, g):\n  return a\n"
ns = {}
exec(compile(src, "/capture/probe_file.py", "exec"), ns)
co = ns["Klass"].meth.__code__
assert co.co_firstlineno == 7778 and co.co_qualname == "Klass.meth"
cosize = type(co).__basicsize__
marker = object()
tup = (marker, None)
num = 0x12345
byt = b"pytop-bytes-probe"
txt = "pytop-str-probe-13"
facts = {
    "hexversion": sys.hexversion,
    "debug_build": hasattr(sys, "gettotalrefcount"),
    "pid_native_id": threading.get_native_id(),
    "runtime": runtime,
    "basicsize": {"object": object.__basicsize__, "tuple": tuple.__basicsize__,
                  "bytes": bytes.__basicsize__, "int": int.__basicsize__,
                  "empty_str": sys.getsizeof("")},
    "found": {
        "runtime_interpreters_head": hits(runtime, 4096, interp, 8),
        "interp_threads_head": hits(interp, 32768, tstate, 8),
        "interp_modules": hits(interp, 32768, id(sys.modules), 8),
        "interp_sysdict": hits(interp, 32768, id(sys.__dict__), 8),
        "tstate_interp": hits(tstate, 1024, interp, 8),
        "tstate_native_thread_id": hits(tstate, 1024, threading.get_native_id(), 8),
        "tstate_thread_id": hits(tstate, 1024, threading.get_ident(), 8),
        "code_filename": hits(id(co), cosize, id(co.co_filename), 8),
        "code_name": hits(id(co), cosize, id(co.co_name), 8),
        "code_qualname": hits(id(co), cosize, id(co.co_qualname), 8),
        "code_linetable": hits(id(co), cosize, id(co.co_linetable), 8),
        "code_firstlineno": hits(id(co), cosize, co.co_firstlineno, 4),
        "code_argcount": hits(id(co), cosize, co.co_argcount, 4),
        "object_type": hits(id(tup), 64, id(tuple), 8),
        "type_flags": hits(id(tuple), type.__basicsize__, tuple.__flags__, 8),
        "tuple_item": hits(id(tup), 64, id(marker), 8),
        "long_digit": hits(id(num), int.__basicsize__ + 4, num, 4),
        "bytes_sval": find(id(byt), 128, byt),
        "unicode_ascii_data": find(id(txt), 128, txt.encode()),
        "unicode_length": hits(id(txt), 64, len(txt), 8),
    },
}
print(json.dumps(facts), flush=True)
sys.stdin.read()
'''


def fail(msg):
    sys.stderr.write("capture_debug_offsets: %s\n" % msg)
    sys.exit(1)


def elf_symbol(path, name):
    """(st_value, st_size, lowest PT_LOAD vaddr) of symbol name in an ELF64 file."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        return None
    (e_phoff, e_shoff) = struct.unpack_from("<QQ", data, 0x20)
    (e_phentsize, e_phnum, e_shentsize, e_shnum) = struct.unpack_from("<HHHH", data, 0x36)
    loads = []
    for i in range(e_phnum):
        p_type, _, _, p_vaddr = struct.unpack_from("<IIQQ", data, e_phoff + i * e_phentsize)
        if p_type == 1:
            loads.append(p_vaddr)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, e_shoff + i * e_shentsize) for i in range(e_shnum)]
    for want in (11, 2):  # SHT_DYNSYM, then SHT_SYMTAB
        for sh in sections:
            if sh[1] != want:
                continue
            off, size, link, entsize = sh[4], sh[5], sh[6], sh[9] or 24
            stroff = sections[link][4]
            for k in range(off, off + size, entsize):
                st_name, _, _, st_shndx, st_value, st_size = struct.unpack_from("<IBBHQQ", data, k)
                if st_shndx == 0 or not st_name:
                    continue
                end = data.index(b"\0", stroff + st_name)
                if data[stroff + st_name:end] == name:
                    return st_value, st_size, min(loads) & ~0xfff
    return None


def runtime_address(pid):
    """Where _PyRuntime is in process pid, found from its maps and ELF files."""
    maps = []
    with open("/proc/%d/maps" % pid) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and parts[5].startswith("/"):
                lo, hi = (int(x, 16) for x in parts[0].split("-"))
                maps.append((lo, hi, int(parts[2], 16), parts[5]))
    seen = set()
    for lo, hi, off, path in maps:
        if path in seen:
            continue
        seen.add(path)
        # The mapped file itself, whatever root the target has (a chroot).
        host = "/proc/%d/map_files/%x-%x" % (pid, lo, hi)
        try:
            sym = elf_symbol(host, b"_PyRuntime")
        except (OSError, ValueError, struct.error):
            continue
        if not sym:
            continue
        value, size, first_load = sym
        base = min(m[0] - m[2] for m in maps if m[3] == path)
        bias = base - first_load
        return path, value + bias, size
    return None


def schema_size(srcdir, minor):
    path = os.path.join(srcdir, "src", "cpython", "debug_schema_3_%d.c" % minor)
    with open(path) as f:
        m = re.search(r"\.size = (\d+),", f.read())
    if not m:
        fail("no .size in %s" % path)
    return int(m.group(1))


def capture(argv, srcdir):
    proc = subprocess.Popen(argv + ["-c", PROBE], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        line = proc.stdout.readline()
        if not line:
            fail("%s printed nothing" % " ".join(argv))
        facts = json.loads(line)
        found = runtime_address(proc.pid)
        if not found:
            fail("%s: no _PyRuntime symbol in any mapped file" % " ".join(argv))
        path, addr, symsize = found
        if addr != facts["runtime"]:
            fail("%s: _PyRuntime from the ELF is 0x%x, the interpreter says 0x%x" % (argv, addr, facts["runtime"]))
        hexv = facts["hexversion"]
        size = schema_size(srcdir, (hexv >> 16) & 0xff)
        with open("/proc/%d/mem" % proc.pid, "rb") as mem:
            mem.seek(addr)
            block = mem.read(size)
        if block[:8] != b"xdebugpy":
            fail("%s: no xdebugpy cookie at _PyRuntime" % argv)
        if struct.unpack_from("<Q", block, 8)[0] != hexv:
            fail("%s: the block's version is not sys.hexversion 0x%x" % (argv, hexv))
        facts["elf"] = path
        facts["runtime_symbol_size"] = symsize
        return block, facts
    finally:
        proc.kill()
        proc.wait()


def interpreter_argv(spec, in_sid, sid_root, pyenv_root):
    if spec.startswith("pyenv:"):
        path = os.path.join(pyenv_root, "versions", spec[6:], "bin", "python3")
        return [path] if os.access(path, os.X_OK) else None
    if in_sid:
        if not os.access(sid_root + spec, os.X_OK):
            return None
        return ["chroot", sid_root, spec]
    return [spec] if os.access(spec, os.X_OK) else None


def c_bytes(name, block):
    out = ["static const unsigned char %s[%d] = {" % (name, len(block))]
    for i in range(0, len(block), 12):
        out.append("\t" + " ".join("0x%02x," % b for b in block[i:i + 12]))
    out.append("};")
    return "\n".join(out)


def version_text(hexv):
    return "%d.%d.%d" % (hexv >> 24, (hexv >> 16) & 0xff, (hexv >> 8) & 0xff)


HEAD = """/* %s: generated by tools/capture_debug_offsets.py, do not edit.
 * The _Py_DebugOffsets blocks of real CPython interpreters (x86-64), read
 * from outside through /proc/PID/mem at their _PyRuntime symbol:
%s
 * Test vectors for the reader, not built from pytop's own tables. */
#ifndef %s
#define %s
"""


def header(fname, guard, entries):
    lines = "\n".join(" *   %s: %s %s%s" % (name, version_text(f["hexversion"]), label,
                                             ", in the sid root of tests/setup_sid_root.sh" if sid else "")
                      for name, label, sid, block, f in entries)
    text = HEAD % (fname, lines, guard, guard)
    for name, label, sid, block, f in entries:
        text += "\n" + c_bytes(name, block) + "\n"
    return text + "\n#endif\n"


def facts_header(entries):
    keys = list(entries[0][4]["found"].keys())
    out = [HEAD.split("\n")[0] % "debug_offsets_facts",
           " * Facts about each captured interpreter found without any schema: the",
           " * live interpreter scanned its own objects for values it knew (see the",
           " * tool's PROBE) and reported every offset holding each one; -1 ends a",
           " * list. Basic sizes are Python's own (__basicsize__, sys.getsizeof). */",
           "#ifndef PYTOP_TESTS_DEBUG_OFFSETS_FACTS_H",
           "#define PYTOP_TESTS_DEBUG_OFFSETS_FACTS_H",
           "",
           "#include <stddef.h>",
           "",
           "#include \"cpython/layout.h\"",
           "",
           "#define FACT_HITS 8",
           "",
           "/* One py_layout field and the offsets where the live value was. */",
           "struct offset_fact {",
           "\tconst char *field;",
           "\tsize_t at;        /* offsetof(struct py_layout, field) */",
           "\tint hits[FACT_HITS];",
           "};",
           "",
           "struct capture_facts {",
           "\tconst char *block;             /* the array's name */",
           "\tunsigned long hexversion;      /* sys.hexversion */",
           "\tint debug_build;               /* sys.gettotalrefcount exists */",
           "\tint object_basicsize, tuple_basicsize, bytes_basicsize, int_basicsize, empty_str_size;",
           "\tunsigned long runtime_symbol_size;   /* st_size of _PyRuntime */",
           "\tstruct offset_fact found[%d];" % len(keys),
           "};",
           "",
           "static const struct capture_facts capture_facts[] = {"]
    for name, label, sid, block, f in entries:
        b = f["basicsize"]
        out.append("\t{ \"%s\", 0x%x, %d, %d, %d, %d, %d, %d, %d, {" % (
            name, f["hexversion"], 1 if f["debug_build"] else 0, b["object"], b["tuple"], b["bytes"],
            b["int"], b["empty_str"], f["runtime_symbol_size"]))
        for k in keys:
            hits = f["found"][k][:7] + [-1]
            out.append("\t\t{ \"%s\", offsetof(struct py_layout, %s), { %s } }," % (
                k, k, ", ".join(str(h) for h in hits)))
        out.append("\t} },")
    out += ["};", "", "#endif", ""]
    return "\n".join(out)


def main():
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--srcdir", default=here)
    ap.add_argument("--sid-root", default=os.environ.get("PYTOP_SID_ROOT") or "/var/cache/pytop-sid")
    ap.add_argument("--pyenv", default=os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv"))
    args = ap.parse_args()

    entries = []
    for name, label, spec, sid, hdr in INTERPRETERS:
        argv = interpreter_argv(spec, sid, args.sid_root, args.pyenv)
        if not argv:
            print("SKIP %s: %s not found" % (label, spec))
            if args.check:
                sys.exit(77)
            fail("%s not found: all five interpreters are needed to write the data" % spec)
        block, facts = capture(argv, args.srcdir)
        print("captured %s: %s, %d bytes from %s" % (name, version_text(facts["hexversion"]), len(block),
                                                     facts["elf"]))
        for k, v in facts["found"].items():
            if not v:
                fail("%s: %s was found nowhere in the live objects" % (name, k))
        entries.append((name, label, sid, block, facts, hdr))

    files = {
        "tests/unit/debug_offsets_3_13.h": header("debug_offsets_3_13", "PYTOP_TESTS_DEBUG_OFFSETS_3_13_H",
                                                  [e[:5] for e in entries if e[5] == "3_13"]),
        "tests/unit/debug_offsets_golden.h": header("debug_offsets_golden", "PYTOP_TESTS_DEBUG_OFFSETS_GOLDEN_H",
                                                    [e[:5] for e in entries if e[5] == "golden"]),
        "tests/unit/data/debug_offsets_facts.h": facts_header([e[:5] for e in entries]),
    }
    status = 0
    for rel, text in files.items():
        path = os.path.join(args.srcdir, rel)
        if args.check:
            try:
                with open(path) as f:
                    same = f.read() == text
            except OSError:
                same = False
            print("%s %s" % ("OK" if same else "DIFF", rel))
            status |= 0 if same else 1
        else:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(text)
            print("wrote %s" % rel)
    return status


if __name__ == "__main__":
    sys.exit(main())
