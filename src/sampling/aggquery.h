/* aggquery: what the aggregate's counts say: the summary, function and
 * line rows (one routine, one row type), their order and filter, threads,
 * callers and callees, the stacks, a thread's latest stack. Reads only;
 * every row array returned is malloc'ed (free() it; NULL when 0 rows). */
#ifndef PYTOP_SAMPLING_AGGQUERY_H
#define PYTOP_SAMPLING_AGGQUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sampling/aggtypes.h"

struct aggregate;

/* Totals of the cumulative view, or of the window. */
void aggregate_summary(const struct aggregate *agg, bool window, struct agg_summary *out);

/* The rows of q->level (functions or lines) with a nonzero total in the
 * selected view, of q->tid's samples, matching q->match, in q's order
 * (aggregate_compare()). Each row has both views' counts. */
size_t aggregate_rows(const struct aggregate *agg, const struct agg_query *q, struct agg_row **rows);

/* The order of aggregate_rows(): by q->sort on the counts of q->window's
 * view, reversed with q->reverse; < 0, 0 or > 0 as for qsort. */
int aggregate_compare(const struct agg_row *a, const struct agg_row *b, const struct agg_query *q);

/* The filter of aggregate_rows(): a nonzero total in q->window's view, and
 * name or file containing q->match (ASCII case-insensitive; NULL or ""
 * matches all). q->tid and q->level are not looked at. */
bool aggregate_matches(const struct agg_row *r, const struct agg_query *q);

/* Sort pointers to rows kept from aggregate_rows() in q's order (stable),
 * for a caller that filters and orders them again without a new query. */
void aggregate_sort_rows(const struct agg_row **rows, size_t n, const struct agg_query *q);

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
 * nonzero own count or own time in the selected view, with both (see
 * agg_stack_fn), threads merged unless q->tid
 * (q->sort and q->match are ignored; order is unspecified). */
void aggregate_walk_stacks(const struct aggregate *agg, const struct agg_query *q,
			   agg_stack_fn fn, void *arg);

/* aggregate_walk_stacks() with each stack's idle and GIL-wait time. */
void aggregate_walk_stack_states(const struct aggregate *agg, const struct agg_query *q,
				 agg_stack_state_fn fn, void *arg);

/* Copy up to cap frames of thread tid's latest stack into frames,
 * innermost first (func is UINT32_MAX and name "<unknown>" for an id never
 * defined); returns how many, 0 when the thread has no sample. Kept across
 * aggregate_reset(); strings valid until aggregate_destroy(). */
size_t aggregate_latest_stack(const struct aggregate *agg, uint32_t tid, struct agg_frame *frames,
			      size_t cap, struct agg_latest *info);

/* Look a function handle up (line: its first line); false if there is no
 * such handle. */
bool aggregate_func(const struct aggregate *agg, uint32_t func, struct agg_frame *out);

#endif
