/* aggregate: the consumer-side statistics built from the ring's records:
 * function table, per-function and per-line own/total counts, call edges,
 * the call tree, per-thread state and GIL counts, round statistics; each
 * both cumulative and for a recent window, and each for all threads and
 * per thread. Runs on the consumer thread only; not thread-safe. */
#ifndef PYTOP_SAMPLING_AGGREGATE_H
#define PYTOP_SAMPLING_AGGREGATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sampling/gilclass.h"
#include "sampling/sample.h"

/* Which samples count towards the function, line, edge and stack tables
 * (per-thread state counts always see every sample). */
enum agg_mode {
	AGG_MODE_CPU = 0,     /* state THREAD_RUNNING */
	AGG_MODE_WALL = 1,    /* every sample */
	AGG_MODE_GIL = 2,     /* samples with SAMPLE_F_HOLDS_GIL */
};

/* Row order for aggregate_functions() and aggregate_lines(). Counts sort
 * descending, names ascending; ties fall back to the other count, name,
 * file, line. OWN is also the order of %Own and OwnTime. */
enum agg_sort {
	AGG_SORT_OWN = 0,
	AGG_SORT_TOTAL = 1,
	AGG_SORT_NAME = 2,
	AGG_SORT_FILE = 3,    /* file, then line */
};

/* What a query looks at. A zeroed struct (or NULL) means: cumulative
 * numbers, all threads, no filter, sorted by own. */
struct agg_query {
	bool window;          /* select and sort by the window, not cumulative */
	enum agg_sort sort;
	bool reverse;         /* reverse the order */
	uint32_t tid;         /* only samples of this thread; 0 = all threads */
	const char *match;    /* case-insensitive substring of name or file; NULL/"" = all */
};

/* Counts of one row in one view (window or cumulative). Seconds are
 * measured time: in wall and gil mode each sample stands for the time since
 * the previous round started; in cpu mode for the CPU time its thread used
 * since its previous sample (when the kernel tells; else as in wall mode).
 * Percentages are of the counted time of the view (its thread when
 * filtered by tid). Rows sort by time. */
struct agg_stat {
	uint64_t own, total;
	double own_pct, total_pct;
	double own_s, total_s;
};

/* A function (identity: file + qualified name). */
struct agg_func_row {
	uint32_t func;        /* handle for aggregate_callers()/callees() */
	const char *name;     /* valid until aggregate_destroy() */
	const char *file;
	int line;             /* first line */
	struct agg_stat win, cum;
};

/* A line of a function: own = innermost frame there, total = on the stack
 * there (once per sample). */
struct agg_line_row {
	uint32_t func;
	const char *name;
	const char *file;
	int line;
	struct agg_stat win, cum;
};

/* Per-thread counts over every sample of the thread, whatever the mode. */
struct agg_thread_counts {
	uint64_t samples;
	uint64_t counted;          /* samples that counted in the mode */
	uint64_t counted_ns;       /* the time they stand for (see struct agg_stat) */
	uint64_t cpu_ns;           /* CPU time the thread used (kernel's count, any mode) */
	uint64_t wall_ns;          /* measured time its samples stand for */
	uint64_t states[4];        /* by enum thread_state */
	uint64_t holding_gil;
	uint64_t gil[GIL_CLASS_COUNT]; /* by enum gil_class; sums to samples */
};

/* Longest thread name in a row, with its NUL (struct thread_rec's + 1). */
#define AGG_THREAD_NAME_MAX 65

/* A thread seen in the samples. The row owns a copy of the name: it stays
 * valid whatever is fed afterwards (the thread table moves as it grows). */
struct agg_thread_row {
	uint32_t tid;
	char name[AGG_THREAD_NAME_MAX]; /* "" until a REC_THREAD names it */
	bool live;                 /* sampled in the latest round that walked
	                            * every thread (or in the round being fed):
	                            * it exists now */
	uint64_t last_ns;          /* the round time of its latest sample */
	unsigned last_state;       /* enum thread_state of its latest sample */
	unsigned last_flags;       /* SAMPLE_F_* of its latest sample */
	struct agg_thread_counts win, cum;
};

/* A caller or callee of a function: the number of samples in which it
 * called (or was called by) the function directly, counted once per sample. */
struct agg_edge_row {
	uint32_t func;
	const char *name;
	const char *file;
	int line;
	uint64_t win, cum;
	double win_s, cum_s;
};

/* One frame of a stack passed to an agg_stack_fn: line is the current line
 * in that frame (the call site for callers). */
struct agg_frame {
	uint32_t func;
	const char *name;
	const char *file;
	int line;
};

/* Called by aggregate_walk_stacks() once per unique stack with a nonzero
 * count; frames[0] is the outermost (root-first). */
typedef void (*agg_stack_fn)(void *arg, const struct agg_frame *frames, size_t depth,
			     uint64_t count);

/* Totals for the whole stream (or the window). */
struct agg_summary {
	uint64_t samples;          /* SAMPLE records, all states */
	uint64_t counted;          /* samples that counted in the mode */
	uint64_t truncated;        /* samples with SAMPLE_F_TRUNCATED */
	uint64_t rounds;           /* REC_TICK records */
	uint64_t errors;           /* sum of the ticks' errors */
	uint64_t bad_records;      /* malformed records ignored */
	double round_mean_s;       /* mean round duration */
	double round_max_s;
	double elapsed_s;          /* first round start to last round start */
	double achieved_rate_hz;   /* rounds per second actually achieved */
	double interval_s;         /* configured sampling interval */
	double counted_s;          /* time of the counted samples */
	bool rate_low;             /* achieved rate under 90% of the configured one */
	uint64_t unidentified;     /* thread samples left out: no kernel tid known */
	uint64_t over_limit;       /* samples not counted: the tables were full */
	uint64_t entries_max;      /* the tables' budget of entries */
	uint64_t gil_switches;     /* from the target's counter (0 if unknown) */
	double gil_switch_rate;    /* per second */
	uint64_t gil_rounds;       /* rounds in which the GIL state was read */
	uint64_t gil_held_rounds;  /* ... and found held */
	double gil_utilisation_pct; /* gil_held_rounds / gil_rounds */
	uint64_t gil_conflicts;    /* rounds with more holders than held GILs (always 0) */
	bool gil_disabled;         /* the latest round saw a free-threaded build without a GIL */
	bool target_exited;        /* a REC_TARGET_EXIT arrived */
	int exit_status;
};

struct aggregate;

/* Make an empty aggregate counting samples per `mode`, each worth
 * interval_ns of time (1e9 / the configured rate). */
struct aggregate *aggregate_create(enum agg_mode mode, uint64_t interval_ns);

/* The budget of table entries (functions, lines, call edges, stack-tree
 * nodes; default about 2 million). Past it, a sample that needs a new entry
 * is counted as over the limit, not in the tables. */
void aggregate_set_limit(struct aggregate *agg, uint64_t entries_max);

/* Free it and every name it handed out. */
void aggregate_destroy(struct aggregate *agg);

/* Account one record (any enum rec_type; unknown types are ignored).
 * Returns 0, or PYTOP_EINVAL for a malformed record (ignored, counted). */
int aggregate_feed(struct aggregate *agg, const struct rec_header *rec);

/* Begin a new window: window numbers restart from zero. O(1). */
void aggregate_window_start(struct aggregate *agg);

/* Forget all counts (both views); function and thread names are kept, as
 * the sampler does not send them again. */
void aggregate_reset(struct aggregate *agg);

/* Forget the threads that were not sampled during the grace_ns before the
 * latest round (they ended): their rows, their per-thread counts and their
 * latest stacks go, their samples stay in the all-threads numbers. Keeps
 * the thread table, and the per-thread tables, as large as the threads
 * that exist. O(table size) when a thread goes, O(threads) otherwise.
 * Returns how many threads were forgotten. */
size_t aggregate_prune_threads(struct aggregate *agg, uint64_t grace_ns);

/* Threads forgotten by aggregate_prune_threads() since the start. */
uint64_t aggregate_pruned_threads(const struct aggregate *agg);

/* Count by another mode from now on; resets the counts. */
void aggregate_set_mode(struct aggregate *agg, enum agg_mode mode);

/* Each sample is worth interval_ns from now on (the sampling rate
 * changed); resets the counts. */
void aggregate_set_interval(struct aggregate *agg, uint64_t interval_ns);

/* The current mode. */
enum agg_mode aggregate_mode(const struct aggregate *agg);

/* "cpu", "wall" or "gil". */
const char *aggregate_mode_name(enum agg_mode mode);

/* Totals of the cumulative view, or of the window. */
void aggregate_summary(const struct aggregate *agg, bool window, struct agg_summary *out);

/* What the row order looks at: a function or line row's name, file, line
 * and its counts in the view chosen. */
struct agg_key {
	const char *name, *file;
	int line;
	const struct agg_stat *stat;
};

/* The order of aggregate_functions() and aggregate_lines() (sort, not
 * reversed) for rows a caller keeps and sorts again (the live view):
 * < 0, 0 or > 0 as for qsort. */
int aggregate_compare(enum agg_sort sort, const struct agg_key *a, const struct agg_key *b);

/* The query's filter: name or file contains match (ASCII case-insensitive);
 * NULL or "" matches all. */
bool aggregate_matches(const char *name, const char *file, const char *match);

/* Function rows with a nonzero total in the selected view, sorted; *rows
 * is malloc'ed (free() it; NULL when 0 is returned). */
size_t aggregate_functions(const struct aggregate *agg, const struct agg_query *q,
			   struct agg_func_row **rows);

/* Line rows with a nonzero total in the selected view, sorted, as above. */
size_t aggregate_lines(const struct aggregate *agg, const struct agg_query *q,
		       struct agg_line_row **rows);

/* Thread rows with samples in the selected view, by tid (q->sort and
 * q->match are ignored). Samples without a thread id (tid 0: the sampler
 * could not tell which thread) count in the all-threads numbers but never
 * make a thread row. */
size_t aggregate_threads(const struct aggregate *agg, const struct agg_query *q,
			 struct agg_thread_row **rows);

/* Direct callers of `func`, by time in the selected view, descending
 * (q->sort and q->match are ignored). */
size_t aggregate_callers(const struct aggregate *agg, uint32_t func,
			 const struct agg_query *q, struct agg_edge_row **rows);

/* Functions `func` called directly, as aggregate_callers(). */
size_t aggregate_callees(const struct aggregate *agg, uint32_t func,
			 const struct agg_query *q, struct agg_edge_row **rows);

/* Call fn for every unique stack (function and line per frame) with a
 * nonzero own count in the selected view, threads merged unless q->tid
 * (q->sort and q->match are ignored; order is unspecified). */
void aggregate_walk_stacks(const struct aggregate *agg, const struct agg_query *q,
			   agg_stack_fn fn, void *arg);

/* The latest sample of a thread, whatever its state and the mode. */
struct agg_latest {
	bool valid;                /* the thread has a sample */
	uint64_t time_ns;          /* the round's CLOCK_MONOTONIC time */
	unsigned state;            /* enum thread_state */
	unsigned flags;            /* SAMPLE_F_* */
	size_t depth;              /* frames in the sample (may exceed cap) */
};

/* Copy up to cap frames of thread tid's latest stack into frames,
 * innermost first (func is UINT32_MAX and name "<unknown>" for an id never
 * defined); returns how many, 0 when the thread has no sample. Kept across
 * aggregate_reset(); strings valid until aggregate_destroy(). */
size_t aggregate_latest_stack(const struct aggregate *agg, uint32_t tid, struct agg_frame *frames,
			      size_t cap, struct agg_latest *info);

/* Look a function handle up; false if there is no such handle. */
bool aggregate_func(const struct aggregate *agg, uint32_t func, struct agg_frame *out);

#endif
