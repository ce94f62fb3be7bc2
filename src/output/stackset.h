/* stackset: a snapshot's stacks split by thread, with their frames and
 * functions numbered once, and the time each stack stands for: what the
 * pprof and speedscope writers share. Built from the aggregate's
 * cumulative view (aggregate_walk_stacks per thread); the samples no
 * thread row holds (no thread id known, or a thread the live view forgot)
 * are kept as stacks of no thread, so the threads' stacks and those add up
 * to the all-threads numbers. */
#ifndef PYTOP_OUTPUT_STACKSET_H
#define PYTOP_OUTPUT_STACKSET_H

#include <stddef.h>
#include <stdint.h>

#include "sampling/aggregate.h"

/* A stack's thread when no thread row holds its samples. */
#define STACKSET_NO_THREAD UINT32_MAX

/* A function: name, file and first line (strings valid until the
 * aggregate is destroyed). */
struct stackset_func {
	const char *name;
	const char *file;
	int first_line;
	enum func_kind kind;
};

/* A frame: a function at a line (pprof's Location, speedscope's frame). */
struct stackset_frame {
	uint32_t func;              /* index into funcs */
	int line;
};

/* A thread with stacks, and what they add up to. */
struct stackset_thread {
	uint32_t tid;
	char name[AGG_THREAD_NAME_MAX];   /* "" when never named */
	uint64_t count, ns;
};

/* One unique stack of one thread: its samples and the time they stand
 * for (the aggregate's own time of that stack: CPU time in cpu mode). */
struct stackset_stack {
	uint32_t thread;            /* index into threads, or STACKSET_NO_THREAD */
	uint32_t depth;
	size_t first;               /* its frames: path[first .. first+depth), root first */
	uint64_t count, ns;
};

/* The whole set. */
struct stackset {
	struct stackset_func *funcs;
	size_t nfuncs;
	struct stackset_frame *frames;
	size_t nframes;
	struct stackset_thread *threads;  /* by tid */
	size_t nthreads;
	struct stackset_stack *stacks;    /* the threads' in order, then no thread's */
	size_t nstacks;
	uint32_t *path;                   /* frame indices of every stack */
	size_t npath;
	uint64_t other_count, other_ns;   /* the stacks of no thread, summed */
	uint64_t total_count, total_ns;   /* every stack, summed */
};

/* Fill s from agg's cumulative view. */
void stackset_build(struct stackset *s, const struct aggregate *agg);

/* Free what stackset_build() allocated. */
void stackset_free(struct stackset *s);

#endif
