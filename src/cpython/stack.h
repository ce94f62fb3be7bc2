/* stack: walking one thread's Python stack in a target: the thread state,
 * its frames innermost first, each resolved to a function (qualified name,
 * file, first line) and the current line. Caches keyed by remote address
 * make a steady-state walk about one batched read per thread. */
#ifndef PYTOP_CPYTHON_STACK_H
#define PYTOP_CPYTHON_STACK_H

#include <stdint.h>
#include <sys/types.h>

#include "cpython/runtime.h"

/* A function as the walker knows it; ids are never reused. */
struct func_info {
	uint32_t id;
	int32_t firstlineno;
	const char *name;       /* qualified name, UTF-8 */
	const char *file;       /* co_filename, UTF-8 */
	uint8_t defined;        /* set by the consumer once it has announced it */
};

/* One frame of a walked stack. */
struct stack_frame {
	struct func_info *func;
	int32_t line;
};

/* What one read of a thread state tells. */
struct thread_info {
	uint64_t tstate;
	uint64_t interp;
	uint64_t next;          /* next thread state in the interpreter, 0 at the end */
	uint64_t pthread_id;    /* thread_id: the pthread_t */
	pid_t tid;              /* kernel thread id, 0 when unknown */
};

/* Walk flags. */
#define STACK_TRUNCATED 0x1   /* deeper than max frames */

/* Caches for one target. */
struct stack_cache *stack_cache_create(void);
void stack_cache_destroy(struct stack_cache *c);

/* Forget every cached function (ids keep increasing). */
void stack_cache_clear(struct stack_cache *c);

/* Read the thread state at tstate and its stack (at most max frames,
 * innermost first). Returns the depth, or a negative error; *flags gets
 * STACK_* bits. Never allocates once the caches are warm. */
int stack_walk(struct py_target *t, uint64_t tstate, struct thread_info *ti,
	       struct stack_frame *frames, int max, int *flags);

/* Statistics: remote reads made by walks and cache misses. */
void stack_stats(const struct stack_cache *c, uint64_t *walks, uint64_t *func_misses);

#endif
