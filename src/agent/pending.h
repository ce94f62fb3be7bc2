/* pending: making a CPython 3.6-3.13 target run a Python file once, in its
 * main thread, through Py_AddPendingCall's queue written from outside while
 * every thread is stopped (no code injected, no register changed). */
#ifndef PYTOP_AGENT_PENDING_H
#define PYTOP_AGENT_PENDING_H

#include <stdatomic.h>
#include <stddef.h>

struct py_target;

/* The longest path pending_inject() takes (bytes, without the NUL). */
#define PENDING_PATH_MAX 400

/* Make a CPython 3.6-3.13 target run the Python file at `path` (the path as
 * the target sees it, at most PENDING_PATH_MAX bytes) once, from its main
 * thread at a safe point, through the interpreter's pending-call queue:
 * written while every thread is stopped, no code injected, no register
 * changed. cancel (may be NULL) is read every few milliseconds while
 * waiting: once it is non-zero the calls are taken back as on a timeout and
 * PYTOP_ECANCELED returned. Returns 0 once the call was taken by the
 * interpreter, or a negative PYTOP_E* error with a one-line reason in err
 * that ends saying whether anything was left behind (normally nothing: the
 * target is left exactly as it was). On success err is empty, or says what
 * was left behind (the file still running when the wait for it ended). */
int pending_inject(struct py_target *t, const char *path, int timeout_ms, const atomic_int *cancel, char *err,
		   size_t errcap);

#endif
