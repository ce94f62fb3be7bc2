#!/usr/bin/env python3
"""Generate pytop's per-version CPython layout tables, _Py_DebugOffsets
schemas and the registry of supported versions.

For each CPython minor version this compiles a small probe program against
that version's own internal headers (with Py_BUILD_CORE), runs it, and writes
src/cpython/layout_3_X.c: one `const struct py_layout` of offsetof() values
plus the version's models (frame, dict, long, keys, line table) and walker
quirks (frame-owner values, _PyStackRef tag bits), which are facts about the
version recorded here as data. From 3.13 it also writes
src/cpython/debug_schema_3_X.c: where each _Py_DebugOffsets member pytop
reads sits inside that version's block (offsetof inside the struct). Then
src/cpython/versions.{c,h,mk,txt}: the registry of every version with a
table, which the build, the messages, the usage text and the tests read.

    tools/gen_layout.py                 regenerate every version found
    tools/gen_layout.py --check         regenerate into memory and diff
    tools/gen_layout.py --python-root R where the builds live (repeatable;
                                        default: pyenv's versions, then the
                                        Debian unstable root made by
                                        tests/setup_sid_root.sh)

Adding a version: install its headers, run this, commit. A version newer
than VERSIONS' newest whose headers are found is added by itself, with the
traits of the newest version before it (said as a NOTE: add it to TRAITS
when one of them changed, and to FIELDS / DEBUG_MEMBERS when a member moved
or was renamed: its probe then fails to compile, naming it).

A free-threaded build is its own entry, keyed by (minor, free-threaded):
its headers are CPython's include/python3.Xt (pyconfig.h defines
Py_GIL_DISABLED, which the probe checks), its files layout_3_Xt.c and
debug_schema_3_Xt.c, "3.Xt" in versions.txt: supporting one is installing
its headers and running this (and whatever walker quirk its objects need).

The registry also gives the sizes pytop reads: the largest _Py_DebugOffsets
block and thread state over it, plus room (read_room), in versions.h.

A version whose headers are not installed is reported and skipped (its
committed files stay in the registry: every layout_3_X.c in the tree is in
it); --check fails on any difference for the versions it could regenerate.
"""

import argparse
import difflib
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

VERSIONS = [(3, 6), (3, 7), (3, 8), (3, 9), (3, 10), (3, 11), (3, 12), (3, 13), (3, 14), (3, 15)]

# Versions whose _PyRuntime starts with a _Py_DebugOffsets block.
DEBUG_OFFSETS_FROM = (3, 13)

# Facts about each version that are not offsets: where its interpreter list
# starts, how its frames, instance dicts, ints, dict keys and line tables work.
OLD = dict(runtime_model="RUNTIME_MODEL_INTERP_HEAD", gil_model="GIL_MODEL_STATICS",
           frame_model="FRAME_MODEL_OBJECT",
           dict_model="DICT_MODEL_DICTOFFSET", long_model="LONG_MODEL_OB_SIZE",
           keys_model="KEYS_MODEL_DK_SIZE", linetable="LINETABLE_LNOTAB", lasti_scale=1)
TRAITS = {
    # 3.6: no _PyRuntime; the interpreter list is pystate.c's static
    # interp_head (from .symtab), and the GIL is ceval_gil.h's statics
    # (from .symtab), and the exported _PyThreadState_Current while it has none.
    (3, 6): OLD,
    (3, 7): dict(OLD, runtime_model="RUNTIME_MODEL_PYRUNTIME", gil_model="GIL_MODEL_STRUCT"),
    (3, 8): dict(runtime_model="RUNTIME_MODEL_PYRUNTIME", gil_model="GIL_MODEL_STRUCT",
                 frame_model="FRAME_MODEL_OBJECT", dict_model="DICT_MODEL_DICTOFFSET",
                 long_model="LONG_MODEL_OB_SIZE", keys_model="KEYS_MODEL_DK_SIZE",
                 linetable="LINETABLE_LNOTAB", lasti_scale=1),
    (3, 9): dict(runtime_model="RUNTIME_MODEL_PYRUNTIME", gil_model="GIL_MODEL_STRUCT",
                 frame_model="FRAME_MODEL_OBJECT", dict_model="DICT_MODEL_DICTOFFSET",
                 long_model="LONG_MODEL_OB_SIZE", keys_model="KEYS_MODEL_DK_SIZE",
                 linetable="LINETABLE_LNOTAB", lasti_scale=1),
    (3, 10): dict(runtime_model="RUNTIME_MODEL_PYRUNTIME", gil_model="GIL_MODEL_STRUCT",
                  frame_model="FRAME_MODEL_OBJECT", dict_model="DICT_MODEL_DICTOFFSET",
                  long_model="LONG_MODEL_OB_SIZE", keys_model="KEYS_MODEL_DK_SIZE",
                  linetable="LINETABLE_310", lasti_scale=2),
    (3, 11): dict(runtime_model="RUNTIME_MODEL_PYRUNTIME", gil_model="GIL_MODEL_STRUCT",
                  frame_model="FRAME_MODEL_CFRAME", dict_model="DICT_MODEL_MANAGED_311",
                  long_model="LONG_MODEL_OB_SIZE", keys_model="KEYS_MODEL_LOG2",
                  linetable="LINETABLE_311", lasti_scale=2),
    (3, 12): dict(runtime_model="RUNTIME_MODEL_PYRUNTIME", gil_model="GIL_MODEL_STRUCT",
                  frame_model="FRAME_MODEL_CFRAME", dict_model="DICT_MODEL_MANAGED_312",
                  long_model="LONG_MODEL_LV_TAG", keys_model="KEYS_MODEL_LOG2",
                  linetable="LINETABLE_311", lasti_scale=2),
    (3, 13): dict(runtime_model="RUNTIME_MODEL_PYRUNTIME", gil_model="GIL_MODEL_STRUCT",
                  frame_model="FRAME_MODEL_DIRECT", dict_model="DICT_MODEL_INLINE_313",
                  long_model="LONG_MODEL_LV_TAG", keys_model="KEYS_MODEL_LOG2",
                  linetable="LINETABLE_311", lasti_scale=2),
    (3, 14): dict(runtime_model="RUNTIME_MODEL_PYRUNTIME", gil_model="GIL_MODEL_STRUCT",
                  frame_model="FRAME_MODEL_DIRECT", dict_model="DICT_MODEL_INLINE_313",
                  long_model="LONG_MODEL_LV_TAG", keys_model="KEYS_MODEL_LOG2",
                  linetable="LINETABLE_311", lasti_scale=2),
    (3, 15): dict(runtime_model="RUNTIME_MODEL_PYRUNTIME", gil_model="GIL_MODEL_STRUCT",
                  frame_model="FRAME_MODEL_DIRECT", dict_model="DICT_MODEL_INLINE_313",
                  long_model="LONG_MODEL_LV_TAG", keys_model="KEYS_MODEL_LOG2",
                  linetable="LINETABLE_311", lasti_scale=2),
}

def since(lo, hi=(9, 99)):
    return lambda v: lo <= v <= hi

ALL = since((3, 6))
PRE311 = since((3, 6), (3, 10))
FROM37 = since((3, 7))
# 3.6 has no _PyRuntime: its "runtime" is the static interp_head pointer.
ONLY36 = since((3, 6), (3, 6))
FROM311 = since((3, 11))
# The versions whose injection goes through the pending-call queue, and
# those whose queue for the main thread is _PyRuntime.ceval.pending_mainthread.
PENDING = since((3, 6), (3, 13))
PENDING_MAIN = since((3, 12), (3, 13))

# (field, [(applies(version), C expression), ...]); the first entry that
# applies wins; none applying means the field is absent (-1).
FIELDS = [
    ("runtime_interpreters_head", [(FROM37, "offsetof(_PyRuntimeState, interpreters.head)"),
                                   (ONLY36, "0")]),
    ("runtime_gil", [(since((3, 7), (3, 11)), "offsetof(_PyRuntimeState, ceval.gil)")]),
    ("runtime_size", [(FROM37, "sizeof(_PyRuntimeState)"), (ONLY36, "sizeof(PyInterpreterState *)")]),

    ("interp_next", [(ALL, "offsetof(PyInterpreterState, next)")]),
    ("interp_threads_head", [(PRE311, "offsetof(PyInterpreterState, tstate_head)"),
                             (FROM311, "offsetof(PyInterpreterState, threads.head)")]),
    ("interp_id", [(FROM37, "offsetof(PyInterpreterState, id)")]),
    ("interp_modules", [(since((3, 6), (3, 11)), "offsetof(PyInterpreterState, modules)"),
                        (since((3, 12)), "offsetof(PyInterpreterState, imports.modules)")]),
    ("interp_sysdict", [(ALL, "offsetof(PyInterpreterState, sysdict)")]),
    ("interp_gil_ptr", [(since((3, 12)), "offsetof(PyInterpreterState, ceval.gil)")]),

    # 3.6 keeps its GIL in separate statics of ceval_gil.h, not one struct
    # (GIL_MODEL_STATICS): its offsets say where runtime.c reads each symbol
    # into the local buffer: the int gil_locked (-1 until a second thread
    # starts and creates the GIL), _PyThreadState_Current (the thread state
    # running Python, NULL when none: PyEval_SaveThread clears it, with or
    # without a GIL), gil_last_holder and the unsigned long
    # gil_switch_number.
    ("gil_locked", [(FROM37, "offsetof(struct _gil_runtime_state, locked)"), (ONLY36, "0")]),
    ("gil_holder", [(ONLY36, "8")]),
    ("gil_last_holder", [(FROM37, "offsetof(struct _gil_runtime_state, last_holder)"), (ONLY36, "16")]),
    ("gil_switch_number", [(FROM37, "offsetof(struct _gil_runtime_state, switch_number)"), (ONLY36, "24")]),
    ("gil_size", [(FROM37, "sizeof(struct _gil_runtime_state)")]),
    # FORCE_SWITCHING (every build): drop_gil waits on switch_cond (under
    # switch_mutex, the struct's last members) until another thread took
    # the GIL; a thread there is dropping it, not waiting to take it.
    ("gil_switch_cond", [(FROM37, "offsetof(struct _gil_runtime_state, switch_cond)")]),
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
    ("tstate_holds_gil", [(since((3, 14)), "offsetof(PyThreadState, holds_gil)")]),
    # 3.15's take_gil sets gil_requested while the thread waits for the GIL
    # (and holds_gil once it has it): with both, each thread says itself
    # whether it holds or waits for its interpreter's GIL.
    ("tstate_gil_requested", [(since((3, 15)), "offsetof(PyThreadState, gil_requested)")]),
    # The bytes of a thread state read: all of it, but on 3.6 only the head
    # before its 255-entry co_extra_freefuncs array (2 KiB pytop never uses;
    # named _preserve_36_ABI_2 since 3.6.4).
    ("tstate_size", [(FROM37, "sizeof(PyThreadState)"),
                     (ONLY36, "offsetof(PyThreadState, _preserve_36_ABI_2)")]),

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
    ("iframe_localsplus", [(FROM311, "offsetof(_PyInterpreterFrame, localsplus)")]),
    ("iframe_owner_cstack", [(since((3, 12), (3, 14)), "FRAME_OWNED_BY_CSTACK")]),
    ("iframe_owner_interpreter", [(since((3, 14)), "FRAME_OWNED_BY_INTERPRETER")]),
    ("iframe_owner_generator", [(FROM311, "FRAME_OWNED_BY_GENERATOR")]),
    ("iframe_owner_thread", [(FROM311, "FRAME_OWNED_BY_THREAD")]),
    ("iframe_owner_frame_object", [(FROM311, "FRAME_OWNED_BY_FRAME_OBJECT")]),
    ("iframe_code_tag_bits", [(since((3, 14)), "Py_TAG_BITS"), (ALL, "0")]),
    ("iframe_is_entry", [(since((3, 11), (3, 11)), "offsetof(_PyInterpreterFrame, is_entry)")]),
    # A running frame's stack pointer: 3.12-3.13 set stacktop to -1 in every
    # build; 3.14+ set stackpointer to NULL only with assertions (Py_DEBUG),
    # so there a release build's table cannot tell (0: not known).
    ("iframe_stackpointer", [(since((3, 12), (3, 13)), "offsetof(_PyInterpreterFrame, stacktop)")]),
    ("iframe_stackpointer_size", [(since((3, 12), (3, 13)), "4"), (ALL, "0")]),

    ("code_filename", [(ALL, "offsetof(PyCodeObject, co_filename)")]),
    ("code_name", [(ALL, "offsetof(PyCodeObject, co_name)")]),
    ("code_qualname", [(FROM311, "offsetof(PyCodeObject, co_qualname)")]),
    ("code_firstlineno", [(ALL, "offsetof(PyCodeObject, co_firstlineno)")]),
    ("code_linetable", [(since((3, 6), (3, 9)), "offsetof(PyCodeObject, co_lnotab)"),
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
    ("long_size", [(since((3, 6), (3, 11)), "offsetof(PyVarObject, ob_size)"),
                   (since((3, 12)), "offsetof(PyLongObject, long_value.lv_tag)")]),
    ("long_digit", [(since((3, 6), (3, 11)), "offsetof(PyLongObject, ob_digit)"),
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

    # Py_AddPendingCall's queue (src/agent/pending.c writes it on 3.6-3.13;
    # 3.14+ takes PEP 768 instead): where the main-thread queue lives (3.6:
    # ceval.c's statics pendingcalls, pendingfirst ... from .symtab, so only
    # its array's length and entry size are here), its members, and the
    # eval-breaker word and bit that make the main thread look at it.
    ("runtime_pending", [(since((3, 7), (3, 8)), "offsetof(_PyRuntimeState, ceval.pending)"),
                         (PENDING_MAIN, "offsetof(_PyRuntimeState, ceval.pending_mainthread)")]),
    ("interp_pending", [(since((3, 9), (3, 11)), "offsetof(PyInterpreterState, ceval.pending)")]),
    ("pending_lock", [(since((3, 7), (3, 12)), "offsetof(struct _pending_calls, lock)"),
                      (since((3, 13), (3, 13)), "offsetof(struct _pending_calls, mutex)")]),
    ("pending_lock_inline", [(since((3, 13), (3, 13)), "1"), (PENDING, "0")]),
    ("pending_calls_to_do", [(since((3, 7), (3, 12)), "offsetof(struct _pending_calls, calls_to_do)")]),
    ("pending_npending", [(since((3, 13), (3, 13)), "offsetof(struct _pending_calls, npending)")]),
    ("pending_max", [(since((3, 13), (3, 13)), "offsetof(struct _pending_calls, max)")]),
    ("pending_calls", [(since((3, 7), (3, 13)), "offsetof(struct _pending_calls, calls)")]),
    ("pending_call_size", [(since((3, 7), (3, 13)), "sizeof(((struct _pending_calls *)0)->calls[0])"),
                           (ONLY36, "16")]),
    ("pending_ncalls", [(since((3, 7), (3, 13)), "Py_ARRAY_LENGTH(((struct _pending_calls *)0)->calls)"),
                        (ONLY36, "32")]),
    ("pending_first", [(since((3, 7), (3, 13)), "offsetof(struct _pending_calls, first)")]),
    ("pending_last", [(since((3, 7), (3, 12)), "offsetof(struct _pending_calls, last)"),
                      (since((3, 13), (3, 13)), "offsetof(struct _pending_calls, next)")]),
    ("runtime_eval_breaker", [(since((3, 7), (3, 8)), "offsetof(_PyRuntimeState, ceval.eval_breaker)")]),
    ("interp_eval_breaker", [(since((3, 9), (3, 12)), "offsetof(PyInterpreterState, ceval.eval_breaker)")]),
    ("runtime_main_tstate", [(since((3, 13), (3, 13)), "offsetof(_PyRuntimeState, main_tstate)")]),
    ("tstate_eval_breaker", [(since((3, 13), (3, 13)), "offsetof(PyThreadState, eval_breaker)")]),
    ("eval_breaker_size", [(since((3, 6), (3, 12)), "sizeof(_Py_atomic_int)"),
                           (since((3, 13), (3, 13)), "sizeof(uintptr_t)")]),
    ("eval_breaker_calls_bit", [(since((3, 13), (3, 13)), "_PY_CALLS_TO_DO_BIT"), (PENDING, "1")]),
    # threading.py's Thread._bootstrap_inner gives the OS thread its Python
    # name (_set_os_name, 3.14+): from then on the kernel's comm is the
    # name, cut to 15 bytes; before, the creator's (inherited).
    ("threading_os_names", [(since((3, 14)), "1"), (ALL, "0")]),
]

FROM313 = since((3, 13))
FROM315 = since((3, 15))

# The _Py_DebugOffsets members pytop lays over its table: (member, base member
# whose value is subtracted or None, py_layout field, applies(version)). The
# generator records where each member sits inside that version's block.
DEBUG_MEMBERS = [
    ("runtime_state.interpreters_head", None, "runtime_interpreters_head", FROM313),
    ("interpreter_state.id", None, "interp_id", FROM313),
    ("interpreter_state.next", None, "interp_next", FROM313),
    ("interpreter_state.threads_head", None, "interp_threads_head", FROM313),
    ("interpreter_state.imports_modules", None, "interp_modules", FROM313),
    ("interpreter_state.sysdict", None, "interp_sysdict", FROM313),
    ("interpreter_state.ceval_gil", None, "interp_gil_ptr", FROM313),
    ("interpreter_state.gil_runtime_state_locked", "interpreter_state.gil_runtime_state", "gil_locked", FROM313),
    ("interpreter_state.gil_runtime_state_holder", "interpreter_state.gil_runtime_state", "gil_last_holder", FROM313),
    ("thread_state.size", None, "tstate_size", FROM313),
    ("thread_state.next", None, "tstate_next", FROM313),
    ("thread_state.interp", None, "tstate_interp", FROM313),
    ("thread_state.current_frame", None, "tstate_current_frame", FROM313),
    ("thread_state.thread_id", None, "tstate_thread_id", FROM313),
    ("thread_state.native_thread_id", None, "tstate_native_thread_id", FROM313),
    ("thread_state.holds_gil", None, "tstate_holds_gil", FROM315),
    ("thread_state.gil_requested", None, "tstate_gil_requested", FROM315),
    ("interpreter_frame.previous", None, "iframe_previous", FROM313),
    ("interpreter_frame.executable", None, "iframe_code", FROM313),
    ("interpreter_frame.instr_ptr", None, "iframe_instr", FROM313),
    ("interpreter_frame.owner", None, "iframe_owner", FROM313),
    ("interpreter_frame.localsplus", None, "iframe_localsplus", FROM313),
    ("code_object.filename", None, "code_filename", FROM313),
    ("code_object.name", None, "code_name", FROM313),
    ("code_object.qualname", None, "code_qualname", FROM313),
    ("code_object.linetable", None, "code_linetable", FROM313),
    ("code_object.firstlineno", None, "code_firstlineno", FROM313),
    ("code_object.argcount", None, "code_argcount", FROM313),
    ("code_object.co_code_adaptive", None, "code_code_adaptive", FROM313),
    ("pyobject.ob_type", None, "object_type", FROM313),
    ("type_object.tp_name", None, "type_name", FROM313),
    ("type_object.tp_flags", None, "type_flags", FROM313),
    ("type_object.tp_basicsize", None, "type_basicsize", FROM315),
    ("type_object.tp_dictoffset", None, "type_dictoffset", FROM315),
    ("heap_type_object.ht_cached_keys", None, "heaptype_cached_keys", FROM315),
    ("tuple_object.ob_item", None, "tuple_item", FROM313),
    ("dict_object.ma_keys", None, "dict_keys", FROM313),
    ("dict_object.ma_values", None, "dict_values", FROM313),
    ("long_object.lv_tag", None, "long_size", FROM313),
    ("long_object.ob_digit", None, "long_digit", FROM313),
    ("bytes_object.ob_sval", None, "bytes_sval", FROM313),
    ("unicode_object.state", None, "unicode_state", FROM313),
    ("unicode_object.length", None, "unicode_length", FROM313),
    ("unicode_object.asciiobject_size", None, "unicode_ascii_data", FROM313),
    ("unicode_object.compactunicodeobject_size", None, "unicode_compact_data", FROM315),
]

# Members read by the schema reader itself, not laid over a field.
DEBUG_SPECIAL = [
    ("version", "version"),
    ("free_threaded", "free_threaded"),
    ("gil_state", "interpreter_state.gil_runtime_state"),
    ("gil_enabled", "interpreter_state.gil_runtime_state_enabled"),
]

FROM314 = since((3, 14))

# PEP 768 (remote debugging, 3.14+): where the members pytop's injection
# reads sit inside the block (-1 in versions without them), for
# debug_offsets_injection(). (schema field, member, applies(version)).
DEBUG_INJECT = [
    ("inject_interp_size", "interpreter_state.size", FROM314),
    ("inject_threads_main", "interpreter_state.threads_main", FROM314),
    ("inject_eval_breaker", "debugger_support.eval_breaker", FROM314),
    ("inject_support", "debugger_support.remote_debugger_support", FROM314),
    ("inject_enabled", "debugger_support.remote_debugging_enabled", FROM314),
    ("inject_pending_call", "debugger_support.debugger_pending_call", FROM314),
    ("inject_script_path", "debugger_support.debugger_script_path", FROM314),
    ("inject_script_path_size", "debugger_support.debugger_script_path_size", FROM314),
]
# Constants of the injection (C expressions), likewise.
DEBUG_INJECT_CONST = [
    ("inject_stop_bit", "_PY_EVAL_PLEASE_STOP_BIT", FROM314),   # internal/pycore_ceval.h
]

UINT_FIELDS = [
    ("tpflags_managed_dict", "Py_TPFLAGS_MANAGED_DICT"),
    ("tpflags_inline_values", "Py_TPFLAGS_INLINE_VALUES"),
]

# The opcode table (3.11+; OPCODES_FROM): per opcode, the instruction's
# length in code units with its inline caches, and whether a frame can wait
# at it while a frame it called in the same eval call runs. Every frame but
# the innermost waits in a call, so a caller of an inline-called frame read
# at any other instruction was read at another instant (a torn stack). The
# numbers, specialisations and cache sizes come from the version's own
# interpreter (its dis, opcode and _opcode_metadata modules); the families
# below are the rule, kept wide: any instruction that pushes a Python frame
# in its own eval call in any version (CALL*, PRECALL, SEND and FOR_ITER for
# generators, LOAD_ATTR for a property or __getattribute__, BINARY_SUBSCR /
# BINARY_OP for __getitem__, the __init__ cleanup shim's EXIT_INIT_CHECK),
# with every specialisation and INSTRUMENTED_ form of them. A missing one
# would drop valid stacks; an extra one only lets a rare tear through.
OPCODES_FROM = (3, 11)
CALLER_FAMILIES = ("CALL", "CALL_KW", "CALL_FUNCTION_EX", "PRECALL", "SEND", "FOR_ITER", "GET_ITER",
                   "LOAD_ATTR", "LOAD_SUPER_ATTR", "LOAD_METHOD", "BINARY_SUBSCR", "BINARY_OP",
                   "EXIT_INIT_CHECK")
# Instructions whose length the opcode alone does not give (the real one is
# kept elsewhere: co_monitoring, an executor): the reader stops decoding a
# code object there and takes every later position as a possible call.
UNKNOWN_LENGTH = ("INSTRUMENTED_LINE", "INSTRUMENTED_INSTRUCTION", "ENTER_EXECUTOR")
OPCODE_QUERY = r"""
import dis, json, opcode
allmap = dict(getattr(dis, "_all_opmap", opcode.opmap))
try:
    import _opcode_metadata
    allmap.update(_opcode_metadata._specialized_opmap)
except (ImportError, AttributeError):
    pass
family = {}
for fam, specs in getattr(opcode, "_specializations", {}).items():
    for name in specs:
        family[name] = fam
ice = opcode._inline_cache_entries
def cache(name):
    if isinstance(ice, (list, tuple)):
        num = opcode.opmap.get(name, -1)
        return ice[num] if 0 <= num < len(ice) else 0
    return ice.get(name, 0)
out = {}
for name, num in allmap.items():
    if not 0 <= num < 256:
        continue
    base = family.get(name, name)
    if base.startswith("INSTRUMENTED_") and base[13:] in allmap:
        base = family.get(base[13:], base[13:])
    out[name] = [num, base, cache(base)]
print(json.dumps(out, sort_keys=True))
"""


def find_python(include):
    """The interpreter of the build whose headers are at include, as an
    argv prefix: pyenv's ROOT/3.X.Y/bin/python3.X next to its include
    directory, or a Debian root's /usr/bin/python3.X run with chroot."""
    name = os.path.basename(include)
    prefix = os.path.dirname(os.path.dirname(include))
    if os.path.basename(prefix) == "usr":
        root = os.path.dirname(prefix)
        if os.access(os.path.join(root, "usr", "bin", name), os.X_OK):
            return ["chroot", root, "/usr/bin/" + name]
    exe = os.path.join(prefix, "bin", name)
    if os.access(exe, os.X_OK):
        return [exe]
    return None


def opcode_table(include):
    """{number: (length in code units, caller, name)} of every opcode of the
    build whose headers are at include, from its own interpreter; None (with
    a NOTE: the walker then checks no caller's position) without one."""
    argv = find_python(include)
    if not argv:
        print("NOTE %s: no interpreter next to these headers: no opcode table (callers' "
              "positions are not checked; install the interpreter and run this again)" % include)
        return None
    out = subprocess.run(argv + ["-I", "-c", OPCODE_QUERY], check=True,
                         stdout=subprocess.PIPE, universal_newlines=True).stdout
    table = {}
    for name, (num, base, cache) in json.loads(out).items():
        length = 0 if name in UNKNOWN_LENGTH else 1 + cache
        if length > 15:
            raise SystemExit("%s: %d code units do not fit the table's 4 bits" % (name, length))
        caller = base in CALLER_FAMILIES or name in CALLER_FAMILIES
        if num in table and table[num][2] != name:
            raise SystemExit("opcode %d is both %s and %s" % (num, table[num][2], name))
        table[num] = (length, caller, name)
    return table


PROBE_HEAD = r"""
#define Py_BUILD_CORE 1
#include "Python.h"
#include "frameobject.h"
#include "structmember.h"
#if PY_VERSION_HEX >= 0x03080000
#include "internal/pycore_pystate.h"
#elif PY_VERSION_HEX >= 0x03070000
#include "internal/pystate.h"   /* with internal/ceval.h and internal/gil.h */
#endif
#if PY_VERSION_HEX >= 0x03090000
#include "internal/pycore_runtime.h"
#include "internal/pycore_interp.h"
#endif
#if PY_VERSION_HEX >= 0x030b0000
#include "internal/pycore_frame.h"
#include "internal/pycore_code.h"
#include "internal/pycore_dict.h"
#endif
#if PY_VERSION_HEX >= 0x03080000
#include "internal/pycore_gil.h"
#endif
#if PY_VERSION_HEX >= 0x030d0000
#include "internal/pycore_ceval.h"
#endif
#if PY_VERSION_HEX >= 0x030e0000
#include "internal/pycore_stackref.h"
#include "internal/pycore_debug_offsets.h"
#include "internal/pycore_ceval.h"
#endif
#include <stdio.h>
#include <stddef.h>
#include <string.h>

#if PY_VERSION_HEX < 0x030b0000
/* 3.6-3.10 keep these in Objects/dict-common.h, which is not installed; this
 * is that file's definition, unchanged from 3.7 to 3.10 (3.6's dk_indices is
 * a union of arrays at the same offset). */
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


def tag(build):
    """A build's name in file and symbol names: 3_15, 3_13t (free-threaded)."""
    return "%d_%d%s" % (build[0], build[1], "t" if build[2] else "")


def label(build):
    """A build's name for people and versions.txt: 3.15, 3.13t."""
    return "%d.%d%s" % (build[0], build[1], "t" if build[2] else "")


def find_include(roots, build):
    """The include directory of a build (major, minor, free-threaded): a
    pyenv-style ROOT/3.X.*/include/python3.X[t] (python3.Xm up to 3.7), or
    a Debian ROOT/usr/include/python3.X[t] (a debootstrapped root; its
    pyconfig.h lives in the multiarch dir). A free-threaded build's
    headers are CPython's python3.Xt, with Py_GIL_DISABLED in pyconfig.h
    (the probe checks it). From 3.7 it must hold the internal headers."""
    major, minor, ft = build
    ver = (major, minor)
    names = ["python%d.%dt" % ver] if ft else ["python%d.%d" % ver, "python%d.%dm" % ver]
    for root in roots:
        pats = []
        for name in names:
            pats += [os.path.join(root, "%d.%d.*" % ver, "include", name),
                     os.path.join(root, "usr", "include", name)]
        found = sorted(d for p in pats for d in glob.glob(p)
                       if os.path.isfile(os.path.join(d, "Python.h")) and
                       (ver < (3, 7) or os.path.isdir(os.path.join(d, "internal"))))
        if found:
            return found[-1]
    return None


def discover(roots):
    """The builds beyond VERSIONS whose headers are under roots (as
    find_include finds them): a default build newer than VERSIONS' newest,
    and a free-threaded build (python3.Xt) of any version from 3.13."""
    found = set()
    for root in roots:
        for d in glob.glob(os.path.join(root, "3.*", "include", "python3.*")) + \
                glob.glob(os.path.join(root, "usr", "include", "python3.*")):
            m = re.match(r"python3\.(\d+)(t?)$", os.path.basename(d))
            if not m:
                continue
            ver, ft = (3, int(m.group(1))), 1 if m.group(2) else 0
            if (ft and ver >= (3, 13)) or (not ft and ver > VERSIONS[-1]):
                found.add(ver + (ft,))
    return sorted(b for b in found if find_include(roots, b))


def traits(ver):
    """TRAITS of ver, or of the newest version before it (with a NOTE)."""
    if ver in TRAITS:
        return TRAITS[ver]
    base = max(v for v in TRAITS if v < ver)
    print("NOTE %d.%d: no TRAITS entry, %d.%d's are taken (frame, dict, int, keys and line "
          "table models): check them and add an entry when one changed" % (ver + base))
    return TRAITS[base]


def probe(include, build, workdir):
    ver = build[:2]
    lines = [PROBE_HEAD]
    for name, choices in FIELDS:
        expr = next((e for ok, e in choices if ok(ver)), None)
        if expr is None:
            lines.append('    printf("%s -1\\n");' % name)
        else:
            lines.append('    printf("%s %%ld\\n", (long)(%s));' % (name, expr))
    for name, expr in UINT_FIELDS:
        lines.append('    printf("%s %%lu\\n", (unsigned long)(%s));' % (name, expr))
    if ver >= DEBUG_OFFSETS_FROM:
        lines.append('    printf("debug.sizeof %ld\\n", (long)sizeof(_Py_DebugOffsets));')
        for member, base, _, ok in DEBUG_MEMBERS:
            if ok(ver):
                lines.append('    printf("debug.%s %%ld\\n", (long)offsetof(_Py_DebugOffsets, %s));' % (member, member))
        for _, member in DEBUG_SPECIAL:
            lines.append('    printf("debug.%s %%ld\\n", (long)offsetof(_Py_DebugOffsets, %s));' % (member, member))
        for _, member, ok in DEBUG_INJECT:
            if ok(ver):
                lines.append('    printf("debug.%s %%ld\\n", (long)offsetof(_Py_DebugOffsets, %s));' % (member, member))
        for name, expr, ok in DEBUG_INJECT_CONST:
            if ok(ver):
                lines.append('    printf("debug.%s %%ld\\n", (long)(%s));' % (name, expr))
    lines.append("    return 0;\n}\n")
    src = os.path.join(workdir, "probe_%s.c" % tag(build))
    exe = src[:-2]
    with open(src, "w") as f:
        f.write("\n".join(lines))
    cc = os.environ.get("CC", "cc")
    extra = []
    multiarch = glob.glob(os.path.join(os.path.dirname(include), "*-linux-gnu", os.path.basename(include)))
    if multiarch:
        extra = ["-idirafter", os.path.dirname(os.path.dirname(multiarch[0]))]
    subprocess.run([cc, "-std=gnu11", "-w", "-I", include, "-I", os.path.join(include, "internal")] + extra +
                   [src, "-o", exe], check=True)
    out = subprocess.run([exe], check=True, stdout=subprocess.PIPE, universal_newlines=True).stdout
    values = {}
    for line in out.splitlines():
        k, v = line.split(" ", 1)
        values[k] = v
    if int(values["free_threaded"]) != build[2]:
        raise SystemExit("%s: the headers at %s say Py_GIL_DISABLED is %s" %
                         (label(build), include, "set" if int(values["free_threaded"]) else "not set"))
    return values


def render(build, values, opcodes=None):
    ver = build[:2]
    out = []
    out.append("/* layout_%s: CPython %s structure offsets. Generated by tools/gen_layout.py" % (tag(build), label(build)))
    if opcodes:
        out.append(" * from the CPython %s headers and its interpreter's opcode modules;" % values["version"])
        out.append(" * do not edit. */")
    else:
        out.append(" * from the CPython %s headers; do not edit. */" % values["version"])
    out.append('#include "cpython/layout.h"')
    out.append("")
    if opcodes:
        out.append("/* Per opcode: code units with inline caches (LAYOUT_OP_LEN; 0: not known),")
        out.append(" * LAYOUT_OP_CALLS: a frame can wait here in an inline call (see gen_layout.py). */")
        out.append("static const uint8_t opcodes[256] = {")
        for num in sorted(opcodes):
            length, caller, name = opcodes[num]
            val = "%d" % length + (" | LAYOUT_OP_CALLS" if caller else "")
            out.append("\t[%d] = %s,\t/* %s */" % (num, val, name))
        out.append("};")
        out.append("")
    out.append("const struct py_layout layout_%s = {" % tag(build))
    out.append("\t.major = %d, .minor = %d," % ver)
    for k, v in traits(ver).items():
        out.append("\t.%s = %s," % (k, v))
    for name, _ in FIELDS:
        out.append("\t.%s = %s," % (name, values[name]))
    for name, _ in UINT_FIELDS:
        out.append("\t.%s = %sULL," % (name, values[name]))
    if opcodes:
        out.append("\t.opcodes = opcodes,")
    out.append("};")
    return "\n".join(out) + "\n"


def render_schema(build, values):
    ver = build[:2]
    size = int(values["debug.sizeof"])
    out = []
    out.append("/* debug_schema_%s: where CPython %s's _Py_DebugOffsets block keeps each" % (tag(build), label(build)))
    out.append(" * offset pytop reads (byte offsets inside the block). Generated by")
    out.append(" * tools/gen_layout.py from the CPython %s headers; do not edit. */" % values["version"])
    out.append('#include "cpython/debug_offsets.h"')
    out.append("")
    out.append("static const struct debug_field fields[] = {")
    for member, base, field, ok in DEBUG_MEMBERS:
        if not ok(ver):
            continue
        b = values["debug." + base] if base else "-1"
        out.append("\t{ %s, %s, DEBUG_FIELD(%s) },\t/* %s */" % (values["debug." + member], b, field, member))
    out.append("};")
    out.append("")
    out.append("const struct debug_schema debug_schema_%s = {" % tag(build))
    out.append("\t.major = %d, .minor = %d," % ver)
    out.append("\t.size = %d," % size)
    for name, member in DEBUG_SPECIAL:
        out.append("\t.%s = %s,\t/* %s */" % (name, values["debug." + member], member))
    for name, member, ok in DEBUG_INJECT:
        if ok(ver):
            out.append("\t.%s = %s,\t/* %s */" % (name, values["debug." + member], member))
        else:
            out.append("\t.%s = -1,\t/* no %s */" % (name, member))
    for name, expr, ok in DEBUG_INJECT_CONST:
        out.append("\t.%s = %s,\t/* %s */" % (name, values["debug." + name] if ok(ver) else "0", expr))
    out.append("\t.fields = fields,")
    out.append("\t.nfields = sizeof fields / sizeof fields[0],")
    out.append("};")
    return "\n".join(out) + "\n"


def read_room(largest):
    """The bytes pytop reads for a structure whose largest registry size is
    largest: a quarter more, rounded up to 256. The room is for a version
    newer than the newest table, read through its own _Py_DebugOffsets with
    the newest schema: its block and thread state may have grown (the block
    grew 584, 760, 888 bytes over 3.13-3.15; the thread state 360, 832, 888)
    and what its block says is checked against these sizes."""
    return (largest + largest // 4 + 255) // 256 * 256


def render_registry(builds, sizes):
    """The registry of builds (oldest first); sizes: {build: (block size or
    None, thread state size)} read from each build's generated text."""
    default = [b for b in builds if not b[2]]
    lo, hi = default[0], default[-1]
    blocks = [(sizes[b][0], b) for b in builds if sizes[b][0]]
    tstates = [(sizes[b][1], b) for b in builds]
    block_max, block_of = max(blocks)
    tstate_max, tstate_of = max(tstates)
    h = []
    h.append("/* versions: the CPython versions pytop supports, one entry per generated")
    h.append(" * layout table (and _Py_DebugOffsets schema). Generated by")
    h.append(" * tools/gen_layout.py; do not edit. */")
    h.append("#ifndef PYTOP_CPYTHON_VERSIONS_H")
    h.append("#define PYTOP_CPYTHON_VERSIONS_H")
    h.append("")
    h.append("#include <stddef.h>")
    h.append("")
    h.append("struct debug_schema;   /* cpython/debug_offsets.h */")
    h.append("struct py_layout;      /* cpython/layout.h */")
    h.append("")
    h.append("/* The supported range, for messages and the usage text. */")
    h.append('#define PY_VERSIONS_RANGE "%d.%d-%d.%d"' % (lo[:2] + hi[:2]))
    h.append('#define PY_VERSIONS_TEXT "%d.%d to %d.%d"' % (lo[:2] + hi[:2]))
    h.append("")
    h.append("/* The largest _Py_DebugOffsets block (%s's) and thread state (%s's) of" % (label(block_of), label(tstate_of)))
    h.append(" * the registry, and the bytes read for one: a quarter more, rounded up to")
    h.append(" * 256, room for a version newer than the newest table read through its")
    h.append(" * own block with the newest schema (its sizes are checked against these). */")
    h.append("#define PY_VERSIONS_DEBUG_OFFSETS_MAX %d" % block_max)
    h.append("#define PY_VERSIONS_DEBUG_OFFSETS_READ %d" % read_room(block_max))
    h.append("#define PY_VERSIONS_TSTATE_MAX %d" % tstate_max)
    h.append("#define PY_VERSIONS_TSTATE_READ %d" % read_room(tstate_max))
    h.append("")
    h.append("/* One supported (major, minor, free-threaded) build. */")
    h.append("struct py_version {")
    h.append("\tint major, minor, free_threaded;")
    h.append("\tconst struct py_layout *layout;")
    h.append("\tconst struct debug_schema *schema;   /* NULL: no _Py_DebugOffsets */")
    h.append("};")
    h.append("")
    h.append("/* The registry, oldest first. */")
    h.append("extern const struct py_version py_versions[];")
    h.append("extern const size_t py_versions_count;")
    h.append("")
    h.append("/* The generated tables and schemas. */")
    for b in builds:
        h.append("extern const struct py_layout layout_%s;" % tag(b))
    for b in builds:
        if sizes[b][0]:
            h.append("extern const struct debug_schema debug_schema_%s;" % tag(b))
    h.append("")
    h.append("#endif")
    c = []
    c.append("/* versions: the registry of supported CPython versions. Generated by")
    c.append(" * tools/gen_layout.py; do not edit. */")
    c.append('#include "cpython/versions.h"')
    c.append("")
    c.append("const struct py_version py_versions[] = {")
    for b in builds:
        sch = "&debug_schema_%s" % tag(b) if sizes[b][0] else "NULL"
        c.append("\t{ %d, %d, %d, &layout_%s, %s }," % (b + (tag(b), sch)))
    c.append("};")
    c.append("")
    c.append("const size_t py_versions_count = sizeof py_versions / sizeof py_versions[0];")
    m = []
    m.append("# The generated per-version sources (tools/gen_layout.py; do not edit).")
    m.append("libpytop_a_SOURCES += \\")
    srcs = ["src/cpython/layout_%s.c" % tag(b) for b in builds]
    srcs += ["src/cpython/debug_schema_%s.c" % tag(b) for b in builds if sizes[b][0]]
    srcs += ["src/cpython/versions.c", "src/cpython/versions.h"]
    m.append(" \\\n".join("\t" + x for x in srcs))
    t = []
    t.append("# The supported CPython versions, for tests and CI (tools/gen_layout.py; do not edit).")
    t.append(" ".join(label(b) for b in builds))
    return {"versions.h": "\n".join(h) + "\n", "versions.c": "\n".join(c) + "\n",
            "versions.mk": "\n".join(m) + "\n", "versions.txt": "\n".join(t) + "\n"}


def emit(path, text, check):
    """Write text to path, or with check compare; returns 1 on a difference."""
    name = os.path.basename(path)
    if check:
        old = open(path).read() if os.path.exists(path) else ""
        if old != text:
            print("DIFF %s:" % name)
            sys.stdout.writelines(difflib.unified_diff(old.splitlines(True), text.splitlines(True), path, "regenerated"))
            return 1
        print("OK %s" % name)
        return 0
    with open(path, "w") as f:
        f.write(text)
    print("wrote %s" % path)
    return 0


def text_sizes(layout_text, schema_text):
    """(block size or None, thread state size) from a build's generated files."""
    ts = re.search(r"\.tstate_size = (\d+),", layout_text)
    bs = re.search(r"\.size = (\d+),", schema_text) if schema_text else None
    if not ts:
        raise SystemExit("no .tstate_size in a generated layout")
    return (int(bs.group(1)) if bs else None, int(ts.group(1)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="compare with the committed tables instead of writing")
    ap.add_argument("--python-root", action="append",
                    help="where builds live (repeatable; default: pyenv versions, then the Debian "
                         "unstable root of tests/setup_sid_root.sh)")
    ap.add_argument("--srcdir", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    args = ap.parse_args()
    roots = args.python_root or [
        os.path.join(os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv")), "versions"),
        os.environ.get("PYTOP_SID_ROOT", "/var/cache/pytop-sid")]

    status = 0
    cdir = os.path.join(args.srcdir, "src", "cpython")
    builds = [v + (0,) for v in VERSIONS] + discover(roots)
    texts = {}   # file name -> generated text (--check leaves the tree as it is)
    with tempfile.TemporaryDirectory() as work:
        for build in builds:
            include = find_include(roots, build)
            if not include:
                print("SKIP %s: no headers under %s" % (label(build), " or ".join(roots)))
                continue
            print("# %s from %s" % (label(build), include))
            values = probe(include, build, work)
            opcodes = opcode_table(include) if build[:2] >= OPCODES_FROM else None
            name = "layout_%s.c" % tag(build)
            texts[name] = render(build, values, opcodes)
            status |= emit(os.path.join(cdir, name), texts[name], args.check)
            if build[:2] >= DEBUG_OFFSETS_FROM:
                name = "debug_schema_%s.c" % tag(build)
                texts[name] = render_schema(build, values)
                status |= emit(os.path.join(cdir, name), texts[name], args.check)
    # The registry: every build with a table in the tree (one generated on
    # a machine with its headers stays when they are not installed here).
    def text_of(name):
        if name in texts:
            return texts[name]
        path = os.path.join(cdir, name)
        return open(path).read() if os.path.exists(path) else None
    committed = set()
    for path in glob.glob(os.path.join(cdir, "layout_3_*.c")):
        m = re.match(r"layout_3_(\d+)(t?)\.c$", os.path.basename(path))
        if m:
            committed.add((3, int(m.group(1)), 1 if m.group(2) else 0))
    regs = sorted(committed | set(b for b in builds if text_of("layout_%s.c" % tag(b))),
                  key=lambda b: (b[0], b[1], b[2]))
    sizes = {b: text_sizes(text_of("layout_%s.c" % tag(b)), text_of("debug_schema_%s.c" % tag(b))) for b in regs}
    for name, text in render_registry(regs, sizes).items():
        status |= emit(os.path.join(cdir, name), text, args.check)
    return status


if __name__ == "__main__":
    sys.exit(main())
