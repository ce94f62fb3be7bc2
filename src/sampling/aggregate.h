/* aggregate: the consumer-side statistics built from the ring's records:
 * make one, feed it records, start windows, reset it, forget ended
 * threads. It keeps per-function and per-line own/total counts, call
 * edges, the call tree, per-thread state and GIL counts and round
 * statistics; each both cumulative and for a recent window, and each for
 * all threads and per thread. Its queries are in sampling/aggquery.h
 * (included: this header gives the whole API), its values in
 * sampling/aggtypes.h. Runs on the consumer thread only; not thread-safe. */
#ifndef PYTOP_SAMPLING_AGGREGATE_H
#define PYTOP_SAMPLING_AGGREGATE_H

#include <stddef.h>
#include <stdint.h>

#include "sampling/aggquery.h"
#include "sampling/aggtypes.h"
#include "sampling/sample.h"

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

/* Count a thread's stack again without looking its entries up when it is
 * the one the thread's last counted sample had (on by default; the unit
 * test compares both). */
void aggregate_set_memo(struct aggregate *agg, bool on);

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

/* For a long run that keeps every thread (batch): when more than keep
 * threads have not been sampled during the grace_ns before the latest
 * round (they ended), all of them but the keep with the most samples are
 * folded: their counts are added to the summary's folded ones, and their
 * rows, per-thread tables and latest stacks go (their samples stay in the
 * all-threads numbers). Memory and the tables' budget then follow the live
 * threads, not every thread a thread-per-request server ever ran. Returns
 * how many were folded. */
size_t aggregate_fold_ended(struct aggregate *agg, uint64_t grace_ns, uint32_t keep);

/* Count by another mode from now on; resets the counts. */
void aggregate_set_mode(struct aggregate *agg, enum agg_mode mode);

/* Each sample is worth interval_ns from now on (the sampling rate
 * changed); resets the counts. */
void aggregate_set_interval(struct aggregate *agg, uint64_t interval_ns);

/* The current mode. */
enum agg_mode aggregate_mode(const struct aggregate *agg);

/* "cpu", "wall" or "gil". */
const char *aggregate_mode_name(enum agg_mode mode);

/* "python", "native" or "marker". */
const char *aggregate_kind_name(enum func_kind kind);

#endif
