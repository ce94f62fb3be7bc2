#!/usr/bin/env python3
"""Generate pytop's per-version CPython layout tables.

For each CPython minor version this compiles a small probe program against
that version's own internal headers (with Py_BUILD_CORE), runs it, and writes
src/cpython/layout_3_X.c: one `const struct py_layout` of offsetof() values
plus the version's models (frame, dict, long, keys, line table), which are
facts about the version recorded here as data.

    tools/gen_layout.py                 regenerate every version found
    tools/gen_layout.py --check         regenerate into a temp dir and diff
    tools/gen_layout.py --python-root R where the builds live (default: pyenv)

A version whose headers are not installed is reported and skipped; --check
fails on any difference for the versions it could regenerate.
"""

import argparse
import difflib
import glob
import os
import subprocess
import sys
import tempfile

VERSIONS = [(3, 8), (3, 9), (3, 10), (3, 11), (3, 12), (3, 13)]

# Facts about each version that are not offsets: how its frames, instance
# dicts, ints, dict keys and line tables work.
TRAITS = {
    (3, 8): dict(frame_model="FRAME_MODEL_OBJECT", dict_model="DICT_MODEL_DICTOFFSET",
                 long_model="LONG_MODEL_OB_SIZE", keys_model="KEYS_MODEL_DK_SIZE",
                 linetable="LINETABLE_LNOTAB", lasti_scale=1),
    (3, 9): dict(frame_model="FRAME_MODEL_OBJECT", dict_model="DICT_MODEL_DICTOFFSET",
                 long_model="LONG_MODEL_OB_SIZE", keys_model="KEYS_MODEL_DK_SIZE",
                 linetable="LINETABLE_LNOTAB", lasti_scale=1),
    (3, 10): dict(frame_model="FRAME_MODEL_OBJECT", dict_model="DICT_MODEL_DICTOFFSET",
                  long_model="LONG_MODEL_OB_SIZE", keys_model="KEYS_MODEL_DK_SIZE",
                  linetable="LINETABLE_310", lasti_scale=2),
    (3, 11): dict(frame_model="FRAME_MODEL_CFRAME", dict_model="DICT_MODEL_MANAGED_311",
                  long_model="LONG_MODEL_OB_SIZE", keys_model="KEYS_MODEL_LOG2",
                  linetable="LINETABLE_311", lasti_scale=2),
    (3, 12): dict(frame_model="FRAME_MODEL_CFRAME", dict_model="DICT_MODEL_MANAGED_312",
                  long_model="LONG_MODEL_LV_TAG", keys_model="KEYS_MODEL_LOG2",
                  linetable="LINETABLE_311", lasti_scale=2),
    (3, 13): dict(frame_model="FRAME_MODEL_DIRECT", dict_model="DICT_MODEL_INLINE_313",
                  long_model="LONG_MODEL_LV_TAG", keys_model="KEYS_MODEL_LOG2",
                  linetable="LINETABLE_311", lasti_scale=2),
}

def since(lo, hi=(9, 99)):
    return lambda v: lo <= v <= hi

ALL = since((3, 8))
PRE311 = since((3, 8), (3, 10))
FROM311 = since((3, 11))

# (field, [(applies(version), C expression), ...]); the first entry that
# applies wins; none applying means the field is absent (-1).
FIELDS = [
    ("runtime_interpreters_head", [(ALL, "offsetof(_PyRuntimeState, interpreters.head)")]),
    ("runtime_gil", [(since((3, 8), (3, 11)), "offsetof(_PyRuntimeState, ceval.gil)")]),
    ("runtime_size", [(ALL, "sizeof(_PyRuntimeState)")]),

    ("interp_next", [(ALL, "offsetof(PyInterpreterState, next)")]),
    ("interp_threads_head", [(PRE311, "offsetof(PyInterpreterState, tstate_head)"),
                             (FROM311, "offsetof(PyInterpreterState, threads.head)")]),
    ("interp_id", [(ALL, "offsetof(PyInterpreterState, id)")]),
    ("interp_modules", [(since((3, 8), (3, 11)), "offsetof(PyInterpreterState, modules)"),
                        (since((3, 12)), "offsetof(PyInterpreterState, imports.modules)")]),
    ("interp_sysdict", [(ALL, "offsetof(PyInterpreterState, sysdict)")]),
    ("interp_gil_ptr", [(since((3, 12)), "offsetof(PyInterpreterState, ceval.gil)")]),

    ("gil_locked", [(ALL, "offsetof(struct _gil_runtime_state, locked)")]),
    ("gil_last_holder", [(ALL, "offsetof(struct _gil_runtime_state, last_holder)")]),
    ("gil_switch_number", [(ALL, "offsetof(struct _gil_runtime_state, switch_number)")]),
    ("gil_size", [(ALL, "sizeof(struct _gil_runtime_state)")]),
    ("gil_enabled", [(since((3, 13)), "PROBE_GIL_ENABLED")]),
    ("free_threaded", [(ALL, "PROBE_FREE_THREADED")]),

    ("tstate_next", [(ALL, "offsetof(PyThreadState, next)")]),
    ("tstate_interp", [(ALL, "offsetof(PyThreadState, interp)")]),
    ("tstate_frame", [(PRE311, "offsetof(PyThreadState, frame)")]),
    ("tstate_cframe", [(since((3, 11), (3, 12)), "offsetof(PyThreadState, cframe)")]),
    ("cframe_current_frame", [(since((3, 11), (3, 12)), "offsetof(_PyCFrame, current_frame)")]),
    ("tstate_current_frame", [(since((3, 13)), "offsetof(PyThreadState, current_frame)")]),
    ("tstate_thread_id", [(ALL, "offsetof(PyThreadState, thread_id)")]),
    ("tstate_native_thread_id", [(FROM311, "offsetof(PyThreadState, native_thread_id)")]),
    ("tstate_size", [(ALL, "sizeof(PyThreadState)")]),

    ("frame_back", [(PRE311, "offsetof(PyFrameObject, f_back)")]),
    ("frame_code", [(PRE311, "offsetof(PyFrameObject, f_code)")]),
    ("frame_lasti", [(PRE311, "offsetof(PyFrameObject, f_lasti)")]),
    ("frame_localsplus", [(PRE311, "offsetof(PyFrameObject, f_localsplus)")]),

    ("iframe_previous", [(FROM311, "offsetof(_PyInterpreterFrame, previous)")]),
    ("iframe_code", [(since((3, 11), (3, 12)), "offsetof(_PyInterpreterFrame, f_code)"),
                     (since((3, 13)), "offsetof(_PyInterpreterFrame, f_executable)")]),
    ("iframe_instr", [(since((3, 11), (3, 12)), "offsetof(_PyInterpreterFrame, prev_instr)"),
                      (since((3, 13)), "offsetof(_PyInterpreterFrame, instr_ptr)")]),
    ("iframe_owner", [(FROM311, "offsetof(_PyInterpreterFrame, owner)")]),
    ("iframe_owner_cstack", [(since((3, 12)), "FRAME_OWNED_BY_CSTACK")]),

    ("code_filename", [(ALL, "offsetof(PyCodeObject, co_filename)")]),
    ("code_name", [(ALL, "offsetof(PyCodeObject, co_name)")]),
    ("code_qualname", [(FROM311, "offsetof(PyCodeObject, co_qualname)")]),
    ("code_firstlineno", [(ALL, "offsetof(PyCodeObject, co_firstlineno)")]),
    ("code_linetable", [(since((3, 8), (3, 9)), "offsetof(PyCodeObject, co_lnotab)"),
                        (since((3, 10)), "offsetof(PyCodeObject, co_linetable)")]),
    ("code_argcount", [(ALL, "offsetof(PyCodeObject, co_argcount)")]),
    ("code_varnames", [(PRE311, "offsetof(PyCodeObject, co_varnames)")]),
    ("code_code", [(PRE311, "offsetof(PyCodeObject, co_code)")]),
    ("code_nlocals", [(PRE311, "offsetof(PyCodeObject, co_nlocals)")]),
    ("code_cellvars", [(PRE311, "offsetof(PyCodeObject, co_cellvars)")]),
    ("code_code_adaptive", [(FROM311, "offsetof(PyCodeObject, co_code_adaptive)")]),
    ("code_firsttraceable", [(FROM311, "offsetof(PyCodeObject, _co_firsttraceable)")]),

    ("object_type", [(ALL, "offsetof(PyObject, ob_type)")]),
    ("var_size", [(ALL, "offsetof(PyVarObject, ob_size)")]),
    ("type_name", [(ALL, "offsetof(PyTypeObject, tp_name)")]),
    ("type_flags", [(ALL, "offsetof(PyTypeObject, tp_flags)")]),
    ("type_basicsize", [(ALL, "offsetof(PyTypeObject, tp_basicsize)")]),
    ("type_dictoffset", [(ALL, "offsetof(PyTypeObject, tp_dictoffset)")]),
    ("heaptype_cached_keys", [(ALL, "offsetof(PyHeapTypeObject, ht_cached_keys)")]),

    ("unicode_length", [(ALL, "offsetof(PyASCIIObject, length)")]),
    ("unicode_state", [(ALL, "offsetof(PyASCIIObject, state)")]),
    ("unicode_ascii_data", [(ALL, "sizeof(PyASCIIObject)")]),
    ("unicode_compact_data", [(ALL, "sizeof(PyCompactUnicodeObject)")]),
    ("unicode_kind_shift", [(ALL, "state_shift(STATE_KIND)")]),
    ("unicode_compact_shift", [(ALL, "state_shift(STATE_COMPACT)")]),
    ("unicode_ascii_shift", [(ALL, "state_shift(STATE_ASCII)")]),

    ("bytes_sval", [(ALL, "offsetof(PyBytesObject, ob_sval)")]),
    ("tuple_item", [(ALL, "offsetof(PyTupleObject, ob_item)")]),
    ("long_size", [(since((3, 8), (3, 11)), "offsetof(PyVarObject, ob_size)"),
                   (since((3, 12)), "offsetof(PyLongObject, long_value.lv_tag)")]),
    ("long_digit", [(since((3, 8), (3, 11)), "offsetof(PyLongObject, ob_digit)"),
                    (since((3, 12)), "offsetof(PyLongObject, long_value.ob_digit)")]),
    ("long_digit_bits", [(ALL, "PyLong_SHIFT")]),
    ("cell_ref", [(ALL, "offsetof(PyCellObject, ob_ref)")]),
    ("module_dict", [(ALL, "offsetof(PyModuleObject, md_dict)")]),

    ("dict_used", [(ALL, "offsetof(PyDictObject, ma_used)")]),
    ("dict_keys", [(ALL, "offsetof(PyDictObject, ma_keys)")]),
    ("dict_values", [(ALL, "offsetof(PyDictObject, ma_values)")]),
    ("keys_size", [(PRE311, "offsetof(struct _dictkeysobject, dk_size)"),
                   (FROM311, "offsetof(struct _dictkeysobject, dk_log2_size)")]),
    ("keys_log2_index_bytes", [(FROM311, "offsetof(struct _dictkeysobject, dk_log2_index_bytes)")]),
    ("keys_kind", [(FROM311, "offsetof(struct _dictkeysobject, dk_kind)")]),
    ("keys_nentries", [(ALL, "offsetof(struct _dictkeysobject, dk_nentries)")]),
    ("keys_indices", [(ALL, "offsetof(struct _dictkeysobject, dk_indices)")]),
    ("keys_entry_size", [(ALL, "sizeof(PyDictKeyEntry)")]),
    ("keys_unicode_entry_size", [(FROM311, "sizeof(PyDictUnicodeEntry)")]),
    ("values_values", [(FROM311, "offsetof(PyDictValues, values)")]),
]

UINT_FIELDS = [
    ("tpflags_managed_dict", "Py_TPFLAGS_MANAGED_DICT"),
    ("tpflags_inline_values", "Py_TPFLAGS_INLINE_VALUES"),
]

PROBE_HEAD = r"""
#define Py_BUILD_CORE 1
#include "Python.h"
#include "frameobject.h"
#include "structmember.h"
#include "internal/pycore_pystate.h"
#if PY_VERSION_HEX >= 0x03090000
#include "internal/pycore_runtime.h"
#include "internal/pycore_interp.h"
#endif
#if PY_VERSION_HEX >= 0x030b0000
#include "internal/pycore_frame.h"
#include "internal/pycore_code.h"
#include "internal/pycore_dict.h"
#endif
#include "internal/pycore_gil.h"
#include <stdio.h>
#include <stddef.h>
#include <string.h>

#if PY_VERSION_HEX < 0x030b0000
/* 3.8-3.10 keep these in Objects/dict-common.h, which is not installed; this
 * is that file's definition, unchanged across the three versions. */
typedef struct {
    Py_hash_t me_hash;
    PyObject *me_key;
    PyObject *me_value;
} PyDictKeyEntry;
struct _dictkeysobject {
    Py_ssize_t dk_refcnt;
    Py_ssize_t dk_size;
    void *dk_lookup;
    Py_ssize_t dk_usable;
    Py_ssize_t dk_nentries;
    char dk_indices[];
};
/* Objects/moduleobject.c's PyModuleObject, likewise not installed. */
typedef struct {
    PyObject_HEAD
    PyObject *md_dict;
} PyModuleObject;
#else
#include "internal/pycore_moduleobject.h"
#endif

enum { STATE_KIND, STATE_COMPACT, STATE_ASCII };

/* Bit position of one bit-field of PyASCIIObject.state. */
static int state_shift(int which)
{
    PyASCIIObject o;
    unsigned int word = 0;
    memset(&o, 0, sizeof o);
    switch (which) {
    case STATE_KIND: o.state.kind = 1; break;
    case STATE_COMPACT: o.state.compact = 1; break;
    case STATE_ASCII: o.state.ascii = 1; break;
    }
    memcpy(&word, (char *)&o + offsetof(PyASCIIObject, state), sizeof word);
    for (int i = 0; i < 32; i++)
        if (word & (1u << i))
            return i;
    return -1;
}

/* Free-threaded builds (3.13t) have no GIL unless it is re-enabled at run
 * time; their gil state starts with an `enabled` count. */
#ifdef Py_GIL_DISABLED
#define PROBE_FREE_THREADED 1
#define PROBE_GIL_ENABLED offsetof(struct _gil_runtime_state, enabled)
#else
#define PROBE_FREE_THREADED 0
#define PROBE_GIL_ENABLED -1
#endif

#ifndef Py_TPFLAGS_MANAGED_DICT
#define Py_TPFLAGS_MANAGED_DICT 0
#endif
#ifndef Py_TPFLAGS_INLINE_VALUES
#define Py_TPFLAGS_INLINE_VALUES 0
#endif

int main(void)
{
    printf("version %s\n", PY_VERSION);
"""


def find_include(root, ver):
    major, minor = ver
    pats = [os.path.join(root, "%d.%d.*" % (major, minor), "include", "python%d.%d" % (major, minor))]
    found = sorted(d for p in pats for d in glob.glob(p)
                   if os.path.isdir(os.path.join(d, "internal")))
    return found[-1] if found else None


def probe(include, ver, workdir):
    lines = [PROBE_HEAD]
    for name, choices in FIELDS:
        expr = next((e for ok, e in choices if ok(ver)), None)
        if expr is None:
            lines.append('    printf("%s -1\\n");' % name)
        else:
            lines.append('    printf("%s %%ld\\n", (long)(%s));' % (name, expr))
    for name, expr in UINT_FIELDS:
        lines.append('    printf("%s %%lu\\n", (unsigned long)(%s));' % (name, expr))
    lines.append("    return 0;\n}\n")
    src = os.path.join(workdir, "probe_%d_%d.c" % ver)
    exe = src[:-2]
    with open(src, "w") as f:
        f.write("\n".join(lines))
    cc = os.environ.get("CC", "cc")
    subprocess.run([cc, "-std=gnu11", "-w", "-I", include, "-I", os.path.join(include, "internal"),
                    src, "-o", exe], check=True)
    out = subprocess.run([exe], check=True, stdout=subprocess.PIPE, universal_newlines=True).stdout
    values = {}
    for line in out.splitlines():
        k, v = line.split(" ", 1)
        values[k] = v
    return values


def render(ver, values):
    major, minor = ver
    out = []
    out.append("/* layout_%d_%d: CPython %d.%d structure offsets. Generated by tools/gen_layout.py" % (major, minor, major, minor))
    out.append(" * from the CPython %s headers; do not edit. */" % values["version"])
    out.append('#include "cpython/layout.h"')
    out.append("")
    out.append("const struct py_layout layout_%d_%d = {" % ver)
    out.append("\t.major = %d, .minor = %d," % ver)
    for k, v in TRAITS[ver].items():
        out.append("\t.%s = %s," % (k, v))
    for name, _ in FIELDS:
        out.append("\t.%s = %s," % (name, values[name]))
    for name, _ in UINT_FIELDS:
        out.append("\t.%s = %sULL," % (name, values[name]))
    out.append("};")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="compare with the committed tables instead of writing")
    ap.add_argument("--python-root", default=os.path.join(os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv")), "versions"))
    ap.add_argument("--srcdir", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    args = ap.parse_args()

    status = 0
    with tempfile.TemporaryDirectory() as work:
        for ver in VERSIONS:
            include = find_include(args.python_root, ver)
            name = "layout_%d_%d.c" % ver
            target = os.path.join(args.srcdir, "src", "cpython", name)
            if not include:
                print("SKIP %d.%d: no headers under %s" % (ver + (args.python_root,)))
                continue
            text = render(ver, probe(include, ver, work))
            if args.check:
                with open(target) as f:
                    old = f.read()
                if old != text:
                    status = 1
                    print("DIFF %s:" % name)
                    sys.stdout.writelines(difflib.unified_diff(old.splitlines(True), text.splitlines(True), target, "regenerated"))
                else:
                    print("OK %s matches %s" % (name, include))
            else:
                with open(target, "w") as f:
                    f.write(text)
                print("wrote %s from %s" % (target, include))
    return status


if __name__ == "__main__":
    sys.exit(main())
