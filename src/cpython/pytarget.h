/* pytarget: what an attached CPython process is (pid, layout, version, the
 * addresses found at attach), the one context every reader of its memory
 * (objects, stack, thread) is given. runtime.c fills it in; walker
 * caches are not part of it: each caller owns its own (stack.h). */
#ifndef PYTOP_CPYTHON_PYTARGET_H
#define PYTOP_CPYTHON_PYTARGET_H

#include <stdint.h>
#include <sys/types.h>

#include "cpython/gil.h"
#include "cpython/layout.h"

struct nspid;

/* An attached CPython process (made by pyrt_open(), runtime.h). */
struct py_target {
	pid_t pid;
	struct py_layout L;        /* this process's layout (debug offsets applied) */
	int major, minor, micro;
	char version[32];          /* "3.11.7" */
	char binary[512];          /* the file defining _PyRuntime */
	uint64_t runtime;          /* remote address of _PyRuntime */
	uint64_t code_type;        /* remote address of PyCode_Type */
	uint64_t str_type;         /* remote address of PyUnicode_Type, 0 if not in the symbols */
	uint64_t take_gil, drop_gil; /* remote addresses, 0 if not in the symbols */
	struct gil_where gil_statics; /* GIL_MODEL_STATICS: its GIL, found by symbol (addr 0: not found) */
	int debug_offsets_used;    /* 1 when _Py_DebugOffsets overrode the table */
	int schema_minor;          /* a version newer than every table: the minor
				      whose table and _Py_DebugOffsets schema read
				      it (its own block), else 0 */
	int64_t pthread_tid_offset; /* 3.8-3.10: offset of the tid in struct pthread, -1 unknown */
	struct nspid *nspid;       /* its thread ids to pytop's (own PID namespace), or NULL */
	int scan_limited;          /* nonzero: dict scans stop when scan_left runs out */
	int64_t scan_left;         /* dict entries the scans may still visit (see objects.h) */
};

#endif
