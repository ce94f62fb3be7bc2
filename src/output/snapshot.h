/* snapshot: what the batch writers (text, json, collapsed) are told about
 * the run besides the aggregate itself. */
#ifndef PYTOP_OUTPUT_SNAPSHOT_H
#define PYTOP_OUTPUT_SNAPSHOT_H

#include <stdbool.h>
#include <stdint.h>

#include "sampling/aggtypes.h"
#include "sampling/gilacct.h"
#include "sampling/sampler.h"

/* The run a snapshot describes; NULL strings print as empty. */
struct snapshot_meta {
	int pid;
	const char *argv;           /* the target's command line, space-separated */
	const char *python;         /* target's version, e.g. "3.11.4" */
	double duration_s;          /* how long pytop sampled */
	int64_t start_unix_ns;      /* when that began, on the wall clock (0: unknown) */
	double rate_hz;             /* configured sampling rate */
	double achieved_rate_hz;    /* rounds per second really achieved */
	bool rate_low;              /* achieved under 90% of configured: warn */
	bool target_stopped;        /* the target stopped (SIGSTOP, a debugger) when taken: warn */
	double sampled_s;           /* first round to last round, measured */
	uint64_t samples;
	uint64_t dropped;           /* records the ring refused */
	uint64_t errors;
	uint64_t unidentified;      /* thread samples left out: no kernel tid known */
	uint64_t over_limit;        /* samples not counted: pytop's tables were full */
	uint64_t threads_folded;    /* ended threads folded into one count (batch, past 256) */
	struct agg_thread_counts folded; /* ... their counts, as a thread row's */
	uint64_t entries_max;       /* ... their budget of entries */
	const char *mode;           /* "cpu", "wall" or "gil" */
	const char *version;        /* pytop's version */
	double sampler_cpu_s;       /* the sampler thread's CPU time (0: unknown, not printed) */
	uint64_t reads;             /* process_vm_readv calls the sampler made */
	uint64_t state_reused;      /* syscall-file readings of blocked threads reused (since attach) */
	uint64_t state_mismatches;  /* PYTOP_SAMPLER_CHECK=1: samples reuse would have given another state */
	uint64_t stacks_kept;       /* blocked threads' stacks sent again without a walk (since attach) */
	uint64_t stack_mismatches;  /* PYTOP_SAMPLER_CHECK=1: kept stacks the walk contradicted */
	uint64_t schedstat_skipped; /* schedstat readings of blocked threads skipped on their switch page */
	uint64_t switch_mismatches; /* PYTOP_SAMPLER_CHECK=1: ... that the file contradicted */
	uint64_t confirms_skipped;  /* walks that gave the thread's last stack, not confirmed twice */
	uint64_t confirm_mismatches; /* PYTOP_SAMPLER_CHECK=1: ... that the second look refuted */
	uint64_t reopened_reads;    /* thread file readings through a file opened and closed for
				     * them (no descriptor left to keep under RLIMIT_NOFILE) */
	uint64_t walks_retried;     /* walks run again at once after a stack torn while read */
	uint64_t lists_resumed;     /* thread lists walked again from their head after leading out */
	uint64_t off_cpu_samples;   /* samples of threads found waiting for a core */
	uint64_t sched_reads;       /* sched files read to tell that */
	uint64_t late_samples;      /* samples of such threads in rounds that began late */
	uint64_t errors_kind[ERR_KINDS]; /* thread samples lost, by kind (since attach) */
	uint64_t threads_not_sampled; /* most threads a round left out (0: none) */
	int thread_limit;           /* threads a round samples at most (0: unknown) */
	int interps_not_sampled;    /* interpreters left out, over the limit (0: none) */
	int interp_limit;           /* interpreters sampled at most */
	bool native;                /* --native: C frames unwound (the pause below) */
	uint64_t native_pauses;     /* rounds the target was stopped for */
	double pause_median_us;     /* how long a thread stayed stopped per sample (--blocking:
				     * the whole round): median, */
	double pause_p99_us;        /* ... 99th percentile */
	uint64_t native_partial;    /* native stacks cut short (marked) */
	uint64_t native_unmatched;  /* native and Python stacks that did not pair up (marked) */
	uint64_t native_counts[NC_N]; /* where the stops went, their cost, reuses (sampler.h) */
	const struct gilstat_snapshot *gilstat; /* --gilstat's numbers; NULL: not run */
	const char *note;           /* something the reader must know (no samples: why), or NULL */
	bool inverted;              /* svg: an icicle graph, roots at the top (--inverted) */
};

#endif
