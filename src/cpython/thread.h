/* thread: what a target's threads are called and which kernel thread each
 * thread state runs on: names from threading._active (else the kernel comm),
 * and the pthread-to-tid mapping for versions without native_thread_id. */
#ifndef PYTOP_CPYTHON_THREAD_H
#define PYTOP_CPYTHON_THREAD_H

#include <stdint.h>
#include <sys/types.h>

#include "cpython/runtime.h"

#define THREAD_NAME_MAX 64

/* Find where glibc's struct pthread keeps the kernel tid, from the pthread
 * ids of the target's thread states; sets t->pthread_tid_offset. Returns 0
 * or a negative error when no offset fits. A no-op on 3.11+. */
int thread_calibrate_tids(struct py_target *t, const uint64_t *pthread_ids, int n);

/* The kernel tid of the thread with this pthread id (3.8-3.10), or 0. */
pid_t thread_tid_of(struct py_target *t, uint64_t pthread_id);

/* For each idents[i] (a pthread id, threading's ident), copy the threading
 * name into names[i] when threading._active knows it, else leave names[i]
 * as it is. Returns how many were found, or a negative error. */
int thread_python_names(struct py_target *t, const uint64_t *idents, char (*names)[THREAD_NAME_MAX], int n);

#endif
