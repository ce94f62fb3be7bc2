/* gilstat: a dedicated GIL sampler. In sampled mode a thread of its own
 * reads, at a high rate (2 kHz by default), only the GIL state (one
 * process_vm_readv: locked, last_holder, switch_number) and each thread's
 * /proc syscall file (kept open), and infers acquisitions, holds and waits
 * (estimates, resolution one tick). In exact mode uprobes on take_gil and
 * drop_gil report every acquisition and release (see target/uprobe.h).
 *
 * It runs beside the main sampler on the same target and shares nothing
 * mutable with it; its numbers are published every 10 ms into a seqlock'd
 * snapshot that any thread may copy with gilstat_read() without ever
 * blocking the gilstat thread. The gilstat thread never allocates once
 * started. */
#ifndef PYTOP_SAMPLING_GILSTAT_H
#define PYTOP_SAMPLING_GILSTAT_H

#include <stddef.h>
#include <stdint.h>

#include "cpython/runtime.h"
#include "sampling/gilacct.h"

#define GILSTAT_DEFAULT_RATE_HZ 2000.0
#define GILSTAT_DEFAULT_WARN_MS 10.0

struct gilstat_config {
	enum gilstat_mode mode;   /* GILSTAT_SAMPLED or GILSTAT_EXACT */
	double rate_hz;           /* sampled: ticks per second (0: the default) */
	double take_warn_ms;      /* warn when one wait exceeds this (0: never) */
	double hold_warn_ms;      /* warn when one hold exceeds this (0: never) */
};

/* The configuration `:gilstat on` and `--gilstat` start with. */
void gilstat_config_default(struct gilstat_config *cfg);

struct gilstat;

/* Start gilstat on t (which must outlive it; only read). NULL with a
 * one-line reason in err when it cannot: exact mode says
 * "--gilstat=exact: uprobes unavailable: <why>"; a free-threaded build
 * without a GIL says so. */
struct gilstat *gilstat_start(struct py_target *t, const struct gilstat_config *cfg, char *err, size_t errcap);

/* Stop the thread and free everything; the final numbers (everything up
 * to the stop) go to *final unless it is NULL. */
void gilstat_stop(struct gilstat *g, struct gilstat_snapshot *final);

/* Cut gilstat's window at a time of the caller's: gilstat_cut_begin(),
 * then read the clock (CLOCK_MONOTONIC), then gilstat_cut() with that
 * time. In between the gilstat thread accounts nothing (so the time read
 * is never behind it); gilstat_cut() waits until it has accounted
 * everything before that time (a tick or a drain, 1-2 ms; longer only
 * while that thread is held up, e.g. in the kernel), puts the window's
 * numbers in *out (unless NULL) and starts the next window at that time:
 * gilstat's numbers then cover exactly the caller's window (a batch's -d,
 * an --every interval). One thread cuts; a gilstat that ended meanwhile
 * (target gone) gives its last numbers. */
void gilstat_cut_begin(struct gilstat *g);
void gilstat_cut(struct gilstat *g, uint64_t now, struct gilstat_snapshot *out);

/* Copy the latest published numbers (at most 10 ms old). Lock-free: it
 * retries while the gilstat thread publishes; never blocks that thread. */
void gilstat_read(struct gilstat *g, struct gilstat_snapshot *out);

/* The mode it is running in. */
enum gilstat_mode gilstat_mode(const struct gilstat *g);

/* Could exact mode run on t? 0, or a negative error with the reason. */
int gilstat_exact_check(struct py_target *t, char *why, size_t whycap);

/* "sampled" / "exact" / "off". */
const char *gilstat_mode_name(enum gilstat_mode m);

#endif
