"""fakepy: build an imitation CPython (3.8-3.13) inside tests/targets/poke_python
from pytop's own layout tables (src/cpython/layout_3_X.c), so tests can hand
pytop hostile runtime / interpreter / thread lists, frames, code objects,
strings, ints and dicts, on any version.

    f = Fake(poke_binary, (3, 12))
    s = f.str("f\x1b[2Jname")
    code = f.code(s, f.str("file.py"), 1, f.bytes(b"..."), 8)
    fr = f.frame(code, index=0)
    f.thread(fr, name=f.str("worker"))
    f.go()          # writes everything and waits for "ready"
"""

import os
import re
import struct
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "..", "..", "src", "cpython")

# _Py_DebugOffsets index -> layout field (src/cpython/debug_offsets.c).
DO_313 = {4: "runtime_interpreters_head", 6: "interp_id", 7: "interp_next", 8: "interp_threads_head",
          10: "interp_modules", 11: "interp_sysdict", 13: "interp_gil_ptr", 18: "tstate_size",
          20: "tstate_next", 21: "tstate_interp", 22: "tstate_current_frame", 23: "tstate_thread_id",
          24: "tstate_native_thread_id", 28: "iframe_previous", 29: "iframe_code", 30: "iframe_instr",
          32: "iframe_owner", 34: "code_filename", 35: "code_name", 36: "code_qualname",
          37: "code_linetable", 38: "code_firstlineno", 39: "code_argcount", 42: "code_code_adaptive",
          44: "object_type", 46: "type_name", 48: "type_flags", 50: "tuple_item", 56: "dict_keys",
          57: "dict_values", 61: "long_size", 62: "long_digit", 65: "bytes_sval", 67: "unicode_state",
          68: "unicode_length", 69: "unicode_ascii_data"}


def layout(minor):
    text = open(os.path.join(SRC, "layout_3_%d.c" % minor)).read()
    L = {}
    for k, v in re.findall(r"\.(\w+) = ([-\w]+)", text):
        v = v.rstrip("ULL") if re.match(r"^-?\d+U?L*$", v) else v
        try:
            L[k] = int(v)
        except ValueError:
            L[k] = v
    return L


def call_opcode(minor):
    """An opcode of one code unit at which a frame can wait in a call, from
    layout_3_X.c's generated opcode table (3.11+); None before 3.11."""
    text = open(os.path.join(SRC, "layout_3_%d.c" % minor)).read()
    m = re.search(r"\[(\d+)\] = 1 \| LAYOUT_OP_CALLS", text)
    return int(m.group(1)) if m else None


def debug_block_313():
    text = open(os.path.join(HERE, "..", "unit", "debug_offsets_golden.h")).read()
    start = text.index("{", text.index("real_debug_offsets_3_13["))
    body = text[start + 1:text.index("}", start)]
    return bytes(int(x, 16) for x in re.findall(r"0x([0-9a-fA-F]{2})", body))


def poke_binary():
    path = os.environ.get("POKE_PYTHON")
    if path:
        return path
    for root in (os.getcwd(), os.path.join(HERE, "..", "..")):
        cand = os.path.join(root, "tests", "targets", "poke_python")
        if os.access(cand, os.X_OK):
            return os.path.abspath(cand)
    return None


class Fake:
    def __init__(self, binary, version, size=8 << 20):
        self.major, self.minor = version
        self.L = layout(self.minor)
        hexv = 0x03000000 | self.minor << 16 | 0xf0
        self.p = subprocess.Popen([binary, hex(hexv)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        w = self.p.stdout.readline().split()
        self.runtime, self.codetype, self.arena = int(w[1], 16), int(w[3], 16), int(w[5], 16)
        self.tid, self.pthread = int(w[7]), int(w[9], 16)
        self.pid = self.p.pid
        self.img = bytearray(size)   # at most the 64 MiB arena
        self.used = 64
        self.rt = bytearray(65536)
        if self.minor >= 13:
            block = debug_block_313()
            self.rt[:len(block)] = block
            for idx, field in DO_313.items():
                self.L[field] = struct.unpack_from("<Q", block, 8 + 8 * idx)[0]
        self.interps = []
        self.str_type = self.alloc(1024)
        self.put(self.str_type + self.L["type_name"], 8, self.cstr(b"str"))
        self.gil = self.alloc(512)

    # memory
    def alloc(self, n, align=16):
        self.used = (self.used + align - 1) & ~(align - 1)
        a = self.arena + self.used
        self.used += n
        assert self.used <= len(self.img)
        return a

    def write(self, addr, data):
        if self.arena <= addr < self.arena + len(self.img):
            o = addr - self.arena
            self.img[o:o + len(data)] = data
        elif self.runtime <= addr < self.runtime + len(self.rt):
            o = addr - self.runtime
            self.rt[o:o + len(data)] = data
        else:
            self.send("w 0x%x %s" % (addr, bytes(data).hex()))

    def put(self, addr, width, value):
        fmt = {1: "<B", 4: "<i" if value < 0 else "<I", 8: "<q" if value < 0 else "<Q"}[width]
        self.write(addr, struct.pack(fmt, value))

    def send(self, line):
        self.p.stdin.write((line + "\n").encode())
        self.p.stdin.flush()

    def cstr(self, b):
        a = self.alloc(len(b) + 1)
        self.write(a, b + b"\0")
        return a

    # objects
    def str(self, s, kind=None, length=None, ascii=None, compact=1):
        cps = [ord(c) for c in s] if isinstance(s, str) else list(s)
        if kind is None:
            m = max(cps) if cps else 0
            kind = 1 if m < 256 else 2 if m < 65536 else 4
        if ascii is None:
            ascii = kind == 1 and all(c < 128 for c in cps)
        L = self.L
        data = L["unicode_ascii_data"] if ascii else L["unicode_compact_data"]
        a = self.alloc(data + (len(cps) + 1) * kind + 16)
        self.put(a, 8, 1)
        self.put(a + L["object_type"], 8, self.str_type)
        self.put(a + L["unicode_length"], 8, len(cps) if length is None else length)
        state = kind << L["unicode_kind_shift"] | compact << L["unicode_compact_shift"] | \
            (1 if ascii else 0) << L["unicode_ascii_shift"]
        self.put(a + L["unicode_state"], 4, state)
        fmt = {1: "<B", 2: "<H", 4: "<I"}[kind]
        self.write(a + data, b"".join(struct.pack(fmt, c) for c in cps))
        return a

    def bytes(self, b, size=None):
        a = self.alloc(self.L["bytes_sval"] + len(b) + 16)
        self.put(a + self.L["var_size"], 8, len(b) if size is None else size)
        self.write(a + self.L["bytes_sval"], b)
        return a

    def int(self, v):
        L = self.L
        a = self.alloc(64)
        neg, v = v < 0, abs(v)
        digits = []
        while v:
            digits.append(v & ((1 << 30) - 1))
            v >>= 30
        if L["long_model"] == "LONG_MODEL_LV_TAG":
            self.put(a + L["long_size"], 8, len(digits) << 3 | (2 if neg else 0))
        else:
            self.put(a + L["long_size"], 8, -len(digits) if neg else len(digits))
        for i, d in enumerate(digits):
            self.put(a + L["long_digit"] + 4 * i, 4, d)
        return a

    def dict(self, items, nentries=None):
        """items: list of (key address, value address)."""
        L = self.L
        n = max(1, len(items))
        entries_n = len(items) if nentries is None else nentries
        if L["keys_model"] == "KEYS_MODEL_LOG2":
            log2 = max(3, (2 * n - 1).bit_length())
            lib = log2   # 1-byte indices
            keys = self.alloc(L["keys_indices"] + (1 << lib) + 24 * max(len(items), 1) + 64)
            self.put(keys, 8, 1)
            self.put(keys + L["keys_size"], 1, log2)
            self.put(keys + L["keys_log2_index_bytes"], 1, lib)
            self.put(keys + L["keys_kind"], 1, 0)
            self.put(keys + L["keys_nentries"], 8, entries_n)
            entries = keys + L["keys_indices"] + (1 << lib)
        else:
            size = 8
            while size * 2 < 3 * n:
                size *= 2
            keys = self.alloc(L["keys_indices"] + size + 24 * max(len(items), 1) + 64)
            self.put(keys + L["keys_size"], 8, size)
            self.put(keys + L["keys_nentries"], 8, entries_n)
            entries = keys + L["keys_indices"] + size
        for i, (k, v) in enumerate(items):
            self.put(entries + 24 * i + 8, 8, k)
            self.put(entries + 24 * i + 16, 8, v)
        d = self.alloc(64)
        self.put(d + L["dict_keys"], 8, keys)
        self.put(d + L["dict_values"], 8, 0)
        self.put(d + L["dict_used"], 8, len(items))
        return d

    def instance(self, attrs):
        """An object whose attribute dict is attrs (a dict address)."""
        L = self.L
        tp = self.alloc(1024)
        self.put(tp + L["type_name"], 8, self.cstr(b"Thread"))
        base = self.alloc(128)
        obj = base + 64
        model = L["dict_model"]
        if model == "DICT_MODEL_DICTOFFSET":
            self.put(tp + L["type_dictoffset"], 8, 16)
            self.put(obj + 16, 8, attrs)
        else:
            self.put(tp + L["type_flags"], 8, L["tpflags_managed_dict"])
            self.put(obj - 24, 8, attrs)
        self.put(obj + L["object_type"], 8, tp)
        return obj

    def code(self, name, filename, firstlineno, linetable, units, qualname=None):
        L = self.L
        a = self.alloc(1024 + 2 * units)
        self.put(a, 8, 1)
        self.put(a + L["object_type"], 8, self.codetype)
        self.put(a + L["code_filename"], 8, filename)
        self.put(a + L["code_name"], 8, name)
        if L.get("code_qualname", -1) >= 0:
            self.put(a + L["code_qualname"], 8, name if qualname is None else qualname)
        self.put(a + L["code_firstlineno"], 4, firstlineno)
        self.put(a + L["code_linetable"], 8, linetable)
        self.put(a + L["code_argcount"], 4, 0)
        if L.get("code_firsttraceable", -1) >= 0:
            self.put(a + L["code_firsttraceable"], 4, 0)
            self.put(a + L["var_size"], 8, units)
            # Every unit a one-unit call instruction: a caller (3.11+) must
            # wait at a call site, or pytop takes its stack for torn.
            op = call_opcode(self.minor)
            if op is not None:
                self.write(a + L["code_code_adaptive"], bytes([op, 0]) * units)
        else:
            self.put(a + L["code_code"], 8, self.bytes(b"\0" * (2 * units)))
        return a

    def frame(self, code, index=0, back=0):
        """A frame executing code unit index, called from back. 3.12+: with
        no back, called from an eval call's shim frame (owned by the C stack
        or the interpreter), as in CPython: every chain ends at one."""
        L = self.L
        shim = L.get("iframe_owner_interpreter", -1)
        if shim < 0:
            shim = L.get("iframe_owner_cstack", -1)
        if not back and shim >= 0:
            back = self.alloc(512)
            self.put(back + L["iframe_owner"], 1, shim)
        f = self.alloc(512)
        if L["frame_model"] == "FRAME_MODEL_OBJECT":
            # A live frame object: referenced (pytop takes ob_refcnt <= 0,
            # the word before ob_type, for a frame freed under the walk).
            self.put(f + L["object_type"] - 8, 8, 1)
            self.put(f + L["frame_back"], 8, back)
            self.put(f + L["frame_code"], 8, code)
            self.put(f + L["frame_lasti"], 4, index * 2 // L["lasti_scale"])
        else:
            self.put(f + L["iframe_previous"], 8, back)
            self.put(f + L["iframe_code"], 8, code)
            self.put(f + L["iframe_instr"], 8, code + L["code_code_adaptive"] + 2 * index)
            self.put(f + L["iframe_owner"], 1, 0)
        return f

    def set_frame_field(self, f, field, width, value):
        self.put(f + self.L[field], width, value)

    def tstate(self, frame, pthread=None, tid=None, nxt=0, interp=None):
        L = self.L
        t = self.alloc(max(L["tstate_size"], 64) + 64)
        self.put(t + L["tstate_next"], 8, nxt)
        self.put(t + L["tstate_interp"], 8, interp or 0)
        if L["frame_model"] == "FRAME_MODEL_OBJECT":
            self.put(t + L["tstate_frame"], 8, frame)
        elif L["frame_model"] == "FRAME_MODEL_CFRAME":
            cf = self.alloc(64)
            self.put(t + L["tstate_cframe"], 8, cf)
            self.put(cf + L["cframe_current_frame"], 8, frame)
        else:
            self.put(t + L["tstate_current_frame"], 8, frame)
        self.put(t + L["tstate_thread_id"], 8, self.pthread if pthread is None else pthread)
        if L.get("tstate_native_thread_id", -1) >= 0:
            self.put(t + L["tstate_native_thread_id"], 8, self.tid if tid is None else tid)
        return t

    def interp(self, tstates, modules=None):
        """An interpreter whose thread list is tstates (linked here)."""
        L = self.L
        i = self.alloc(max(L["interp_modules"], L["interp_sysdict"], L["interp_threads_head"],
                           L.get("interp_gil_ptr", 0)) + 64)
        for k, t in enumerate(tstates):
            self.put(t + L["tstate_next"], 8, tstates[k + 1] if k + 1 < len(tstates) else 0)
            self.put(t + L["tstate_interp"], 8, i)
        self.put(i + L["interp_threads_head"], 8, tstates[0] if tstates else 0)
        self.put(i + L["interp_modules"], 8, modules or 0)
        if L.get("interp_gil_ptr", -1) >= 0:
            self.put(i + L["interp_gil_ptr"], 8, self.gil)
        self.interps.append(i)
        return i

    def threading(self, names):
        """sys.modules with a threading module whose _active maps each
        (ident, name address) pair."""
        active = self.dict([(self.int(ident), self.instance(self.dict([(self.str("_name"), nm)])))
                            for ident, nm in names])
        mod = self.alloc(64)
        self.put(mod + self.L["module_dict"], 8, self.dict([(self.str("_active"), active)]))
        return self.dict([(self.str("threading"), mod)])

    def go(self):
        L = self.L
        for k, i in enumerate(self.interps):
            self.put(i + L["interp_next"], 8, self.interps[k + 1] if k + 1 < len(self.interps) else 0)
        self.put(self.runtime + L["runtime_interpreters_head"], 8, self.interps[0] if self.interps else 0)
        self.send("w 0x%x %s" % (self.arena, bytes(self.img[:self.used]).hex()))
        self.send("w 0x%x %s" % (self.runtime, bytes(self.rt).hex()))
        self.send("go")
        line = self.p.stdout.readline()
        assert line.strip() == b"ready", line

    def kill(self):
        self.p.kill()
        self.p.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()
