/* thread: what a target's threads are called and which kernel thread each
 * thread state runs on: names from threading._active (else the kernel comm),
 * and the pthread-to-tid mapping for versions without native_thread_id. */
#ifndef PYTOP_CPYTHON_THREAD_H
#define PYTOP_CPYTHON_THREAD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cpython/runtime.h"
#include "cpython/stack.h"

#define THREAD_NAME_MAX 64
#define THREAD_MAX_INTERPS 16

/* Where each interpreter's threading._active dict is, kept between
 * thread_python_names_cached() calls; zero it to start. */
struct thread_names_cache {
	uint64_t active[THREAD_MAX_INTERPS];
	uint64_t mdict[THREAD_MAX_INTERPS];   /* threading's module dict (for _main_thread) */
	int n;
};

/* Find where glibc's struct pthread keeps the kernel tid, from the pthread
 * ids of the target's thread states; sets t->pthread_tid_offset. Returns 0
 * or a negative error when no offset fits. A no-op on 3.11+. */
int thread_calibrate_tids(struct py_target *t, const uint64_t *pthread_ids, int n);

/* The kernel tid of the thread with this pthread id (3.6-3.10), or 0. */
pid_t thread_tid_of(struct py_target *t, uint64_t pthread_id);

/* For each idents[i] (a pthread id, threading's ident), copy the threading
 * name into names[i] when threading._active knows it, else leave names[i]
 * as it is. With tids (may be NULL), an entry whose Thread._native_id is
 * not tids[i] (a thread that had the same pthread id) names nothing.
 * Returns how many were found, or a negative error. */
int thread_python_names(struct py_target *t, const uint64_t *idents, const pid_t *tids,
			char (*names)[THREAD_NAME_MAX], int n);

/* Whether the kernel's name of the thread whose stack this is (root: its
 * outermost frame's function; frames: the innermost depth frames, all of
 * them unless truncated) is the name threading gave it: the version's
 * threading sets the OS name (threading_os_names), root is
 * Thread._bootstrap, and the stack is past Thread._bootstrap_inner's
 * _set_os_name (deeper than the frames given, or _bootstrap_inner's
 * callee one of the calls it makes after _set_os_name). */
bool thread_os_named(const struct py_target *t, const struct func_info *root, const struct stack_frame *frames,
		     int depth, bool truncated);

/* The threading name of a thread from its outermost frame, when that is
 * threading's Thread._bootstrap(self) (function name, code file, first
 * argument as walked): self's _name, into name. Known from the thread's
 * first sample to its last, where threading._active holds it only between
 * its start-up and its end. Returns 0 (name is not empty), 1 when self is
 * that thread's Thread and its name is empty (threading gave the OS thread
 * no name: the kernel's is its creator's), or a negative error with name
 * untouched (not such a frame, or self is not the Thread of
 * kernel thread tid: by its _native_id, or on 3.6/3.7, which have none, by
 * its _ident through the pthread-to-tid map). */
int thread_name_of_bootstrap(struct py_target *t, const char *func, const char *file, uint64_t self, pid_t tid,
			     char name[THREAD_NAME_MAX]);

/* thread_python_names() with the dicts' addresses kept in c (looked up
 * again when a scan fails). */
int thread_python_names_cached(struct py_target *t, struct thread_names_cache *c, const uint64_t *idents,
			       const pid_t *tids, char (*names)[THREAD_NAME_MAX], int n);

#endif
