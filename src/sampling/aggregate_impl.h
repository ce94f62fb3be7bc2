/* aggregate_impl: the inside of struct aggregate, shared by the feed
 * (aggregate.c) and the queries (aggquery.c) and by nothing else: the
 * tables, the stream's totals, the window epoch and the recent rounds. */
#ifndef PYTOP_SAMPLING_AGGREGATE_IMPL_H
#define PYTOP_SAMPLING_AGGREGATE_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "sampling/aggtable.h"
#include "sampling/aggtypes.h"
#include "sampling/sample.h"

/* Rounds looked back at for one that walked every thread (live threads). */
#define AGG_LIVE_ROUNDS 4

/* The totals of one view (cumulative or the window). */
struct agg_totals {
	uint64_t samples, counted, truncated, rounds, errors, bad;
	uint64_t counted_ns;            /* time of the counted samples */
	uint64_t unidentified;          /* sum of the ticks' unidentified */
	uint64_t over_limit;            /* samples not counted: tables full */
	uint64_t gil_rounds, gil_held_rounds, gil_conflicts;
	uint64_t dur_sum, dur_max;
	uint64_t folded_threads;        /* ended threads folded (aggregate_fold_ended) */
	struct agg_thread_counts folded; /* ... their counts, summed */
	bool has_first;                 /* first_ns is valid */
	bool has_base;                  /* first_ns is the round before the view */
	uint64_t first_ns, last_ns;
	uint64_t gil_first, gil_last;   /* target's switch_number, 0 = unknown */
};

#define AGG_MEMO_SLOTS 64               /* stack memos (power of two) */

struct aggregate {
	enum agg_mode mode;
	uint64_t interval_ns;
	double interval_s;
	struct agg_tables tab;
	uint32_t epoch;                 /* of the window; bumped to start one */
	struct agg_totals cum, win;

	uint64_t latest_ns;             /* the latest REC_TICK's round time */
	uint64_t recent_ns[AGG_LIVE_ROUNDS]; /* the last rounds' times, a ring */
	bool recent_clean[AGG_LIVE_ROUNDS];  /* ... and whether every walk succeeded */
	uint32_t nrecent;               /* rounds seen (index of the next) */
	bool has_tick;
	uint64_t pruned;                /* threads forgotten by prune */

	uint32_t *scratch;              /* a sample's funcs indices */
	uint32_t scratch_cap;
	uint64_t seq;                   /* counted samples so far (stamps) */
	uint32_t round_holders;         /* samples holding the GIL since the last tick */
	uint64_t last_tick_ns;          /* the previous round's start (0: none yet) */
	uint64_t gap_avg_ns;            /* the time between rounds, smoothed (0: none yet) */
	struct sample_frame *unseen;    /* a stack with "(ran between samples)" inside */
	uint32_t unseen_cap;
	uint64_t weight_ns;             /* what the sample being counted is worth */
	uint64_t weight_count;          /* and how many samples it is (0: time no sample saw) */
	uint8_t cls;                    /* its enum gil_class (stacks keep idle and GIL-wait time) */
	bool gil_disabled;
	bool exited;
	int exit_status;
	struct agg_thread nobody;       /* counts of tid-0 samples (never a row) */
	/* The entries a thread's last counted stack bumped, by thread scope
	 * (direct-mapped): the same stack again (most are) is counted without
	 * looking its 8 x depth entries up. */
	struct stack_memo {
		uint64_t gen;                   /* the tables' generation (0: empty) */
		uint32_t scope, depth, cap;
		uint32_t *fn;                   /* cap: the resolved functions */
		int32_t *line;                  /* cap */
		uint32_t *idx;                  /* 8 * cap: entries, in count_stack's order, both scopes */
	} memo[AGG_MEMO_SLOTS];
	bool no_memo;                   /* aggregate_set_memo(false) */
	bool *fold_mark;                /* aggregate_fold_ended: threads to fold, by slot */
};

#endif
