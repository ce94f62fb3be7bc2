/* runtime: attaching to a CPython process: finding the interpreter binary and
 * _PyRuntime, detecting the version, choosing and completing the layout. */
#ifndef PYTOP_CPYTHON_RUNTIME_H
#define PYTOP_CPYTHON_RUNTIME_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cpython/layout.h"

struct stack_cache;

/* An attached CPython process. */
struct py_target {
	pid_t pid;
	struct py_layout L;        /* this process's layout (debug offsets applied) */
	int major, minor, micro;
	char version[32];          /* "3.11.7" */
	char binary[512];          /* the file defining _PyRuntime */
	uint64_t runtime;          /* remote address of _PyRuntime */
	uint64_t code_type;        /* remote address of PyCode_Type */
	uint64_t take_gil, drop_gil; /* remote addresses, 0 if not in the symbols */
	int debug_offsets_used;    /* 1 when _Py_DebugOffsets overrode the table */
	int64_t pthread_tid_offset; /* 3.8-3.10: offset of the tid in struct pthread, -1 unknown */
	struct stack_cache *cache; /* caches for the stack walker (stack.c) */
	struct nspid *nspid;       /* its thread ids to pytop's (own PID namespace), or NULL */
	int scan_limited;          /* nonzero: dict scans stop when scan_left runs out */
	int64_t scan_left;         /* dict entries the scans may still visit (see objects.h) */
};

/* Attach to pid: on success *out is a new target; on failure a negative
 * error and a one-line explanation in err. */
int pyrt_open(pid_t pid, struct py_target **out, char *err, size_t errcap);

/* Detach and free. */
void pyrt_close(struct py_target *t);

/* Interpreter lists longer than this are taken for corrupt. */
#define PYRT_INTERPS_WALK_MAX 4096

/* The interpreter states' addresses, newest first, the main interpreter
 * last; with more than max, the newest max - 1 and the main one, and
 * *beyond (if not NULL) says how many were left out. Returns the count or
 * an error. */
int pyrt_interpreters(struct py_target *t, uint64_t *interps, int max, int *beyond);

/* The remote address of the GIL state of an interpreter (0 if unknown). */
uint64_t pyrt_gil_addr(struct py_target *t, uint64_t interp);

#endif
