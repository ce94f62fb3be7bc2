/* stack: walking one thread's Python stack in a target: the thread state,
 * its frames innermost first, each resolved to a function (qualified name,
 * file, first line) and the current line. Caches keyed by remote address
 * make a steady-state walk about one batched read per thread; they belong
 * to the caller that walks (the sampler, a dump), not to the target. */
#ifndef PYTOP_CPYTHON_STACK_H
#define PYTOP_CPYTHON_STACK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cpython/pytarget.h"

/* A function as the walker knows it. An id names one (name, file, first
 * line) for the whole session: never another function's. */
struct func_info {
	uint32_t id;
	int32_t firstlineno;
	const char *name;       /* qualified name, UTF-8 */
	const char *file;       /* co_filename, UTF-8 */
};

/* One frame of a walked stack. */
struct stack_frame {
	struct func_info *func;
	int32_t line;
	uint8_t entry;          /* the outermost frame of one C call of the eval
				 * loop (every frame up to 3.10; 3.11+: the
				 * first frame an entry from C ran) */
};

/* What one read of a thread state tells. */
struct thread_info {
	uint64_t tstate;
	uint64_t interp;
	uint64_t next;          /* next thread state in the interpreter, 0 at the end */
	uint64_t pthread_id;    /* thread_id: the pthread_t */
	pid_t tid;              /* kernel thread id, 0 when unknown */
	uint64_t head;          /* the head of its frame chain (frame, cframe or current_frame) */
	const struct func_info *root;  /* the outermost frame's function (NULL: none) */
	uint64_t root_arg0;     /* ... and its first argument as walked (0: none) */
	int64_t inner_off;      /* the innermost frame's instruction offset (-1: none) */
};

/* A walk reads at most this many frames of a thread (the documented limit
 * of --dump); a deeper stack is cut there, its outermost frames unread. */
#define STACK_DEPTH_MAX 4096

/* Walk flags. */
#define STACK_TRUNCATED 0x1   /* deeper than max frames: frames[max - 1] is a marker */
#define STACK_MORE      0x2   /* deeper than STACK_DEPTH_MAX: the count is a lower bound */

/* The walker's caches and working memory (all allocated here, up front),
 * for walks of one target by one thread at a time: each caller that walks
 * makes its own (the sampler before its thread starts, a dump). The
 * struct func_info a walk gives is valid until the next walk with c. */
struct stack_cache *stack_cache_create(void);
void stack_cache_destroy(struct stack_cache *c);

/* Forget every cached function (ids keep increasing). */
void stack_cache_clear(struct stack_cache *c);

/* Read the thread state at tstate and its stack, innermost first. Returns
 * the depth, or a negative error; *flags gets STACK_* bits. A stack deeper
 * than max (max >= 2) gives its innermost max - 1 frames and, last, a
 * marker function named "(N frames truncated)" ("(N+ frames truncated)"
 * past STACK_DEPTH_MAX), with STACK_TRUNCATED. A stack that changed while
 * it was read is read again, and after a few tries PYTOP_ECORRUPT is
 * returned: a torn stack is never returned. Never allocates once the
 * caches are warm. */
int stack_walk(struct stack_cache *c, struct py_target *t, uint64_t tstate, struct thread_info *ti,
	       struct stack_frame *frames, int max, int *flags);

/* Whether a walk's stack (innermost first, not truncated) is one the caller
 * saw confirmed before (the same functions at the same lines). */
typedef bool (*stack_known_fn)(void *arg, const struct stack_frame *frames, int depth);

/* stack_walk(), but a first reading that gives a stack known() vouches
 * for is returned without the second look that detects a stack changed
 * under the reader: that stack existed, whatever moved while it was read
 * (it is the earlier one again, never a mix of two). With check, the
 * second look is taken anyway and *mismatch (if not NULL) set when it
 * would have read again. */
int stack_walk_known(struct stack_cache *c, struct py_target *t, uint64_t tstate, struct thread_info *ti,
		     struct stack_frame *frames, int max, int *flags, stack_known_fn known, void *arg, bool check,
		     bool *mismatch);

/* Walks stack_walk_known() returned without the second look (with check:
 * that it would have). */
uint64_t stack_confirms_skipped(const struct stack_cache *c);

/* Read only the thread state at tstate (one process_vm_readv) into *ti,
 * as stack_walk() does (no root). 0 or a negative error. */
int stack_thread(struct stack_cache *c, struct py_target *t, uint64_t tstate, struct thread_info *ti);

/* The same from a copy of the thread state read by the caller (its
 * L.tstate_size bytes at buf); ptid: the kernel tid read from the pthread
 * whose id is ptid_of (0: none; 3.8-3.10 without a native id then read it
 * here). 0 or a negative error. */
int stack_thread_decode(struct py_target *t, uint64_t tstate, const void *buf, uint64_t ptid_of, uint32_t ptid,
			struct thread_info *ti);

/* The bytes [*lo, *hi) of a thread state stack_thread_decode() looks at
 * (the rest of buf may be anything). */
void stack_thread_span(const struct py_layout *L, int32_t *lo, int32_t *hi);

#endif
