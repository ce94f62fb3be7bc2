/* aggtable: the aggregate's tables and their growth: the functions (file +
 * name, first line, kind) and the sampler's ids for them, the threads, and
 * the counters keyed by scope: per function, per line, per call edge and
 * per stack-tree node. Every table is open addressing over a dense entry
 * array; together they keep to a budget of entries, and shrink when
 * threads go. Scope 0 is all threads, scope i + 1 thread slot i. Window
 * counts carry the epoch they belong to: stale ones read as zero.
 * Private to the aggregate (aggregate.c, aggquery.c). */
#ifndef PYTOP_SAMPLING_AGGTABLE_H
#define PYTOP_SAMPLING_AGGTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sampling/aggtypes.h"
#include "sampling/sample.h"

/* No such entry, index or handle. */
#define AGG_NONE UINT32_MAX

/* A map uint32 -> uint32; val holds value + 1, 0 = empty. */
struct idmap {
	uint32_t *key;
	uint32_t *val;
	uint32_t n, mask;
};

/* A counter keyed by three words. Functions: (scope, func, 0); lines:
 * (scope, func, line); edges: (scope, caller, callee); tree nodes:
 * (parent node, func, line), tree roots: (AGG_NONE, scope, 0). */
struct cent {
	uint32_t k[3];
	uint32_t epoch;                 /* epoch of win_own/win_total */
	uint64_t stamp;                 /* last sample that bumped total */
	uint64_t own, total;
	uint64_t win_own, win_total;
	uint64_t own_ns, total_ns;      /* the same, weighted by the samples' time */
	uint64_t win_own_ns, win_total_ns;
	uint32_t child, next;           /* tree nodes: first child, next sibling */
	uint64_t idle_ns, wait_ns;      /* tree nodes: own time blocked (not on the GIL),
	                                 * and waiting for the GIL (cumulative) */
};

/* A table of counters. */
struct ctab {
	struct cent *ent;
	uint32_t n, cap;
	uint32_t *slot;                 /* entry index + 1; 0 = empty */
	uint32_t mask;
};

/* A function identity (file + qualified name). */
struct agg_func {
	char *name;
	char *file;
	int firstlineno;
	enum func_kind kind;
	uint64_t hash;
};

/* A thread: its counts and what the feed keeps of its latest sample. */
struct agg_thread {
	uint32_t tid;
	uint32_t pid;                   /* from its latest record that said (0: none) */
	uint32_t epoch;                 /* epoch of win */
	char name[AGG_THREAD_NAME_MAX];
	struct agg_thread_counts cum, win;
	struct sample_frame *last;      /* the latest sample's frames, innermost first */
	uint32_t last_depth, last_cap;
	uint64_t last_time_ns;
	uint8_t last_state, last_flags;
	bool has_last;
	double cpu_frac;                /* cpu mode: share of a core, smoothed */
	uint32_t cpu_runs;              /* cpu mode: on-CPU samples that taught cpu_frac */
	double cpu_seen;                /* cpu mode: share of those that saw it on a CPU, smoothed */
	int64_t cpu_credit;             /* cpu mode: CPU reported minus CPU given, ns */
	/* cpu mode, while the latest samples found it waiting for a core
	 * (SAMPLE_F_OFF_CPU, or not told: SAMPLE_F_UNTOLD): the stack of the last one that found it on a
	 * CPU (has_on: there was one since it last blocked) */
	struct sample_frame *on;
	uint32_t on_depth, on_cap;
	bool has_on;
};

/* All the tables. */
struct agg_tables {
	struct agg_func *funcs;
	uint32_t nfuncs, funcs_cap;
	uint32_t *fslot;                /* over funcs by (name, file): index + 1 */
	uint32_t fmask;
	struct idmap ids;               /* sampler func_id -> funcs index */
	uint32_t over_func;             /* "(more functions than pytop keeps)" */

	struct agg_thread *threads;
	uint32_t nthreads, threads_cap;
	struct idmap tids;              /* tid -> threads index */

	struct ctab fstat, lstat, edge, tree;
	uint64_t entries_max;           /* the budget of entries */
	uint64_t gen;                   /* bumped when entries are dropped or move (from 1) */
};

/* ---- counters ---- */

/* Index of the entry for the key, AGG_NONE if absent. */
uint32_t ctab_find(const struct ctab *t, uint32_t k0, uint32_t k1, uint32_t k2);

/* Index of the entry for the key, made (zeroed) if new; *created (may be
 * NULL) says which. Entry pointers are invalid after this call. */
uint32_t ctab_get(struct ctab *t, uint32_t k0, uint32_t k1, uint32_t k2, bool *created);

/* The tree node (parent, func, line), made if new and linked under parent. */
uint32_t ctab_child(struct ctab *t, uint32_t parent, uint32_t func, int32_t line);

/* Add own/total samples (0 or 1), each worth weight_ns and counting as
 * `count` samples (1, or 0 for time no sample saw); window counts of
 * another epoch than `epoch` start again from zero. */
void cent_add(struct cent *e, uint32_t epoch, uint64_t own, uint64_t total, uint64_t weight_ns,
	      uint64_t count);

/* An entry's counts (window: of `epoch` only, else zero). */
uint64_t cent_own(const struct cent *e, uint32_t epoch, bool window);
uint64_t cent_total(const struct cent *e, uint32_t epoch, bool window);
uint64_t cent_own_ns(const struct cent *e, uint32_t epoch, bool window);
uint64_t cent_total_ns(const struct cent *e, uint32_t epoch, bool window);

/* Whether the entry has anything in the window (or at all): samples or time. */
bool cent_any(const struct cent *e, uint32_t epoch, bool window);

/* ---- the tables ---- */

/* Empty tables keeping to entries_max entries, with the function that
 * stands for the ones past it. */
void aggtable_init(struct agg_tables *t, uint64_t entries_max);

/* Free the tables and every name they hold. */
void aggtable_free(struct agg_tables *t);

/* Forget every count (functions, ids, threads and their names stay). */
void aggtable_clear(struct agg_tables *t);

/* Entries in the tables that grow with what is seen (the budget's measure). */
uint64_t aggtable_entries(const struct agg_tables *t);

/* The funcs index of (name, file), added if new (with that first line and
 * kind); past the budget a new one is t->over_func. */
uint32_t aggtable_intern(struct agg_tables *t, const char *name, size_t nlen, const char *file,
			 size_t flen, int firstlineno, enum func_kind kind);

/* Tie the sampler's func_id to a funcs index (not to t->over_func: past
 * the budget the id map stops growing too). */
void aggtable_define(struct agg_tables *t, uint32_t func_id, uint32_t func);

/* The funcs index of a sampler func_id; an id never defined (its DEFINE
 * was dropped) gets a placeholder function of its own. */
uint32_t aggtable_resolve(struct agg_tables *t, uint32_t func_id);

/* The funcs index of a sampler func_id, AGG_NONE if never defined. */
uint32_t aggtable_lookup(const struct agg_tables *t, uint32_t func_id);

/* Would counting this stack (funcs indices fn[], frames innermost first)
 * in scope find every entry it needs? */
bool aggtable_stack_known(const struct agg_tables *t, uint32_t scope, const uint32_t *fn,
			  const struct sample_frame *fr, uint32_t depth);

/* The thread tid, made if new; its window counts start again when they
 * are of another epoch. Thread pointers are invalid after this call. */
struct agg_thread *aggtable_thread(struct agg_tables *t, uint32_t tid, uint32_t epoch);

/* The thread tid, NULL if unknown. */
const struct agg_thread *aggtable_thread_find(const struct agg_tables *t, uint32_t tid);

/* A thread's counts in a view (window: of `epoch` only, else zero). */
const struct agg_thread_counts *aggtable_thread_counts(const struct agg_thread *th, uint32_t epoch,
						       bool window);

/* Forget the threads gone(th, arg) says went: their slots, their counters
 * in every table, their latest stacks; the others are renumbered in order
 * and the tables shrink to fit. Returns how many went. */
size_t aggtable_drop_threads(struct agg_tables *t, bool (*gone)(const struct agg_thread *th, void *arg),
			     void *arg);

#endif
