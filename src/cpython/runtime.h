/* runtime: attaching to a CPython process: finding the interpreter binary and
 * _PyRuntime, detecting the version, choosing and completing the layout
 * (the struct py_target it fills in is in pytarget.h). */
#ifndef PYTOP_CPYTHON_RUNTIME_H
#define PYTOP_CPYTHON_RUNTIME_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cpython/pytarget.h"

/* Attach to pid: on success *out is a new target; on failure a negative
 * error and a one-line explanation in err. */
int pyrt_open(pid_t pid, struct py_target **out, char *err, size_t errcap);

/* A target newer than every table (t->schema_minor): a one-line note
 * saying which version's schema and table read it, in buf; 0, or -1 (buf
 * empty) for a version with its own table. */
int pyrt_schema_note(const struct py_target *t, char *buf, size_t cap);

/* Detach and free. */
void pyrt_close(struct py_target *t);

/* Interpreter lists longer than this are taken for corrupt. */
#define PYRT_INTERPS_WALK_MAX 4096

/* The interpreter states' addresses, newest first, the main interpreter
 * last; with more than max, the newest max - 1 and the main one, and
 * *beyond (if not NULL) says how many were left out. Returns the count or
 * an error. */
int pyrt_interpreters(struct py_target *t, uint64_t *interps, int max, int *beyond);

/* Where the GIL of an interpreter is (out->addr 0 if unknown): the struct
 * (3.7+), or the statics found at attach (3.6; see gil.h). */
void pyrt_gil(struct py_target *t, uint64_t interp, struct gil_where *out);

#endif
