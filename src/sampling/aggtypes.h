/* aggtypes: the values the aggregate takes and gives: its counting modes,
 * the query (level, view, thread, filter, order), the rows of functions and
 * lines, threads, call edges and stack frames, and the summary. Types only:
 * the aggregate (aggregate.h), its tables (aggtable.h) and its queries
 * (aggquery.h) share them without depending on each other. */
#ifndef PYTOP_SAMPLING_AGGTYPES_H
#define PYTOP_SAMPLING_AGGTYPES_H

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

/* What a row of aggregate_rows() is: a function, or a line of one. */
enum agg_level {
	AGG_LEVEL_FUNC = 0,   /* identity: file + qualified name */
	AGG_LEVEL_LINE = 1,   /* identity: file + qualified name + line */
};

/* Row order for aggregate_rows(). Counts sort descending, names
 * ascending; ties fall back to the other count, name, file, line. OWN is
 * also the order of %Own and OwnTime. */
enum agg_sort {
	AGG_SORT_OWN = 0,
	AGG_SORT_TOTAL = 1,
	AGG_SORT_NAME = 2,
	AGG_SORT_FILE = 3,    /* file, then line */
};

/* What a query looks at. A zeroed struct (or NULL) means: function rows,
 * cumulative numbers, all threads, no filter, sorted by own. */
struct agg_query {
	enum agg_level level; /* function or line rows (aggregate_rows() only) */
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

/* A function, or a line of one. Own: the innermost frame is there; total:
 * it is on the stack (once per sample, however often). */
struct agg_row {
	enum agg_level level;
	enum func_kind kind;  /* Python, native or a marker of pytop's */
	uint32_t func;        /* handle for aggregate_callers()/callees()/func() */
	const char *name;     /* valid until aggregate_destroy() */
	const char *file;
	int line;             /* functions: the first line; lines: the line */
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
	uint32_t pid;              /* its process, from its records (0: not said) */
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
	enum func_kind kind;  /* Python, native or a marker of pytop's */
	const char *name;
	const char *file;
	int line;
	uint64_t win, cum;
	double win_s, cum_s;
};

/* One frame of a stack: line is the current line in that frame (the call
 * site for callers); for aggregate_func(), the first line. */
struct agg_frame {
	uint32_t func;
	enum func_kind kind;
	const char *name;
	const char *file;
	int line;
};

/* Called by aggregate_walk_stacks() once per unique stack with a nonzero
 * own count or own time; frames[0] is the outermost (root-first). count is
 * the samples with exactly this stack, ns their time: each sample weighed
 * by the mode (the thread's CPU time in cpu mode, the measured wall time
 * in wall and gil mode), so in cpu mode ns, not count, is the stack's
 * weight (a sample without a core counts but has no CPU). */
typedef void (*agg_stack_fn)(void *arg, const struct agg_frame *frames, size_t depth,
			     uint64_t count, uint64_t ns);

/* The same with the part of ns the samples were blocked (idle: not on a
 * CPU, not waiting for the GIL) and waiting for the GIL, in wall and gil
 * mode (0 in cpu mode and in a window's query). */
typedef void (*agg_stack_state_fn)(void *arg, const struct agg_frame *frames, size_t depth,
				   uint64_t count, uint64_t ns, uint64_t idle_ns, uint64_t wait_ns);

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
	bool rate_low;             /* achieved rate under 90% of the configured one (beyond its jitter) */
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
	uint64_t folded_threads;   /* ended threads folded (aggregate_fold_ended): no rows */
	struct agg_thread_counts folded; /* ... their counts, summed */
	bool target_exited;        /* a REC_TARGET_EXIT arrived */
	int exit_status;
};

/* The latest sample of a thread, whatever its state and the mode. */
struct agg_latest {
	bool valid;                /* the thread has a sample */
	uint64_t time_ns;          /* the round's CLOCK_MONOTONIC time */
	unsigned state;            /* enum thread_state */
	unsigned flags;            /* SAMPLE_F_* */
	size_t depth;              /* frames in the sample (may exceed cap) */
};

#endif
