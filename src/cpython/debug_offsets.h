/* debug_offsets: reading the _Py_DebugOffsets block that CPython 3.13+
 * places at the start of _PyRuntime, and laying it over a py_layout. Where
 * each offset sits inside a version's block (its schema) is generated from
 * that version's own headers (debug_schema_3_X.c, tools/gen_layout.py). */
#ifndef PYTOP_CPYTHON_DEBUG_OFFSETS_H
#define PYTOP_CPYTHON_DEBUG_OFFSETS_H

#include <stddef.h>
#include <stdint.h>

#include "cpython/layout.h"
#include "cpython/versions.h"

/* Bytes to read from the start of _PyRuntime to get the whole block:
 * generated (cpython/versions.h), the registry's largest block and room. */
#define DEBUG_OFFSETS_READ_SIZE PY_VERSIONS_DEBUG_OFFSETS_READ

/* One member of the block laid over a py_layout field: the uint64 at byte
 * `at` of the block, minus the uint64 at byte `base` when base >= 0 (offsets
 * given relative to a parent structure). */
struct debug_field {
	int32_t at;
	int32_t base;
	size_t field;            /* offsetof(struct py_layout, ...) */
};
#define DEBUG_FIELD(f) offsetof(struct py_layout, f)

/* One version's block format (generated). */
struct debug_schema {
	int major, minor;
	int32_t size;            /* sizeof(_Py_DebugOffsets) */
	int32_t version;         /* where the block's PY_VERSION_HEX is */
	int32_t free_threaded;   /* where its free_threaded flag is */
	int32_t gil_state;       /* interpreter_state.gil_runtime_state */
	int32_t gil_enabled;     /* interpreter_state.gil_runtime_state_enabled */
	/* PEP 768 (3.14+; -1 before): where these members are in the block. */
	int32_t inject_interp_size;       /* interpreter_state.size */
	int32_t inject_threads_main;      /* interpreter_state.threads_main */
	int32_t inject_eval_breaker;      /* debugger_support.eval_breaker */
	int32_t inject_support;           /* debugger_support.remote_debugger_support */
	int32_t inject_enabled;           /* debugger_support.remote_debugging_enabled */
	int32_t inject_pending_call;      /* debugger_support.debugger_pending_call */
	int32_t inject_script_path;       /* debugger_support.debugger_script_path */
	int32_t inject_script_path_size;  /* debugger_support.debugger_script_path_size */
	uint32_t inject_stop_bit;         /* _PY_EVAL_PLEASE_STOP_BIT (0 before 3.14) */
	const struct debug_field *fields;
	size_t nfields;
};

/* The PY_VERSION_HEX in the block, or 0 when the cookie is missing. */
uint64_t debug_offsets_version(const void *buf, size_t len);

/* The generated schema for a block of this PY_VERSION_HEX (default build),
 * or NULL. */
const struct debug_schema *debug_schema_for(uint64_t hex);

/* The generated schema of the build (major, minor, free-threaded), or NULL. */
const struct debug_schema *debug_schema_find(int major, int minor, int free_threaded);

/* The schema of the newest version with one (the registry's), or NULL. */
const struct debug_schema *debug_schema_newest(void);

/* The block's free_threaded flag as schema s places it: 1 (a
 * Py_GIL_DISABLED build), 0, or PYTOP_EINVAL when the block is not in s's
 * format (no cookie, too short). Read before anything else of a block: a
 * free-threaded build is read only with a free-threaded table. */
int debug_offsets_free_threaded(const struct debug_schema *s, const void *buf, size_t len);

/* Overwrite the fields of L that the block describes (L's version must match
 * the block's). Returns how many fields differed from L's previous values, or
 * a negative error when the block is not understood. A free-threaded block
 * sets L->free_threaded (callers refuse such a target). */
int debug_offsets_apply(const void *buf, size_t len, struct py_layout *L);

/* The same through schema s, which may be older than the block (a version
 * newer than every table read as the newest one: the block's minor must be
 * s's or later, and L must be s's version's table). */
int debug_offsets_apply_schema(const struct debug_schema *s, const void *buf, size_t len, struct py_layout *L);

/* PEP 768's fields as the block gives them, checked against the sizes of
 * the structures they lie in (the block is hostile). */
struct debug_injection {
	int32_t interp_threads_main;     /* PyInterpreterState: the main thread state */
	int32_t interp_enabled;          /* PyInterpreterState: config.remote_debug (int) */
	int32_t tstate_eval_breaker;     /* PyThreadState: eval_breaker (uintptr_t) */
	int32_t tstate_pending_call;     /* PyThreadState: remote_debugger_support.debugger_pending_call (int32) */
	int32_t tstate_script_path;      /* PyThreadState: remote_debugger_support.debugger_script_path */
	int32_t script_path_size;        /* its size in bytes */
	uint32_t stop_bit;               /* the eval-breaker bit that makes the thread look */
};

/* Fill out from the block of a version with remote debugging. Returns 0,
 * PYTOP_EVERSION when the version has none, or PYTOP_EINVAL when the block
 * is not understood or its offsets do not fit. */
int debug_offsets_injection(const void *buf, size_t len, struct debug_injection *out);

#endif
