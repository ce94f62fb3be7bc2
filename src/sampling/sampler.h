/* sampler: the sampling thread. It reads every Python thread's stack and
 * state at a fixed rate (absolute deadlines), and sends the results through
 * the ring as records; it never blocks on the consumer (a full ring is a
 * counted drop) and never allocates once started, but with --native (the
 * unwind tables, symbols and libunwind contexts of what is mapped and
 * running when it starts are made before): the first unwind of a thread
 * started later (its libunwind context), the first use of a file mapped
 * later (its table and symbols), and libunwind's own allocations for code
 * whose unwind rules it has not cached yet. */
#ifndef PYTOP_SAMPLING_SAMPLER_H
#define PYTOP_SAMPLING_SAMPLER_H

#include <stdbool.h>
#include <stdint.h>

#include "cpython/runtime.h"
#include "sampling/ring.h"

/* How to sample. */
struct sampler_config {
	double rate_hz;       /* rounds per second */
	bool blocking;        /* stop the target's threads (ptrace) during a round */
	bool native;          /* --native: stop each thread walked, unwind its C stack, merge */
	bool native_all;      /* --native-all: keep the interpreter's machinery frames */
};

/* --native: where the stops went and what they cost (sampler_stats.nc).
 * A stop is counted by the thread's state read at the round's start. */
enum native_count {
	NC_STOP_HOLDER,           /* threads stopped holding the GIL */
	NC_STOP_GIL_WAIT,         /* ... waiting for it */
	NC_STOP_BLOCKED,          /* ... blocked in another call */
	NC_STOP_RUNNING,          /* ... runnable (on a CPU or waiting for one), not the holder */
	NC_STOP_UNKNOWN,          /* ... no state read at the round's start (new in the list) */
	NC_STOP_FAILED,           /* stops that did not happen (gone, slow): C stack marked partial */
	NC_STOP_NS,               /* time from the interrupt to the stop seen */
	NC_UNWIND_NS,             /* ... stopped: the walk again and the unwind */
	NC_RESUME_NS,             /* ... letting it go */
	NC_HOLDER_NS,             /* the GIL holders' stops, from the interrupt to the resume call */
	NC_REUSED,                /* native frames of the thread's last unwind reused, not stopped */
	NC_REUSE_CHECKED,         /* PYTOP_NATIVE_CHECK=1: reuses unwound anyway and compared */
	NC_REUSE_BAD,             /* ... whose unwind gave other native frames */
	NC_N
};

/* Why a thread's sample was lost (sampler_stats.errors_kind). */
enum error_kind {
	ERR_TORN,                 /* its stack changed under the reader three times */
	ERR_UNREADABLE,           /* its memory could not be read (a thread state freed) */
	ERR_OTHER,                /* anything else (a thread list that loops ...) */
	ERR_KINDS
};

/* Each error kind's name, by enum error_kind (JSON keys, the text header). */
extern const char *const error_kind_names[ERR_KINDS];

/* Counters the consumer may read at any time. */
struct sampler_stats {
	uint64_t rounds;          /* rounds completed */
	uint64_t samples;         /* thread stacks read */
	uint64_t errors;          /* thread stacks that could not be read */
	uint64_t late;            /* deadlines missed (the round took too long) */
	uint64_t busy_ns;         /* time spent sampling */
	uint64_t cpu_ns;          /* the sampler thread's own CPU time */
	uint64_t reads;           /* process_vm_readv calls */
	uint64_t state_reused;    /* syscall-file readings reused (tasks_set_reuse) */
	uint64_t state_mismatches; /* ... that, checked, the file contradicted */
	uint64_t stacks_kept;     /* blocked threads' stacks sent again unread */
	uint64_t stack_mismatches; /* ... that, checked, the walk contradicted */
	uint64_t schedstat_skipped; /* schedstat readings skipped on a switch page (tasks_set_pages) */
	uint64_t switch_mismatches; /* ... that, checked, the file contradicted */
	uint64_t confirms_skipped;  /* walks that gave last round's stack, not looked at twice */
	uint64_t confirm_mismatches; /* ... that, checked, the second look refuted */
	uint64_t reopened_reads;  /* syscall and schedstat readings through a file opened and
				   * closed for them (no descriptor to keep: tasks_reopened) */
	uint64_t walks_retried;   /* walks run again at once after a stack torn while read */
	uint64_t lists_resumed;   /* thread lists walked again from their head after leading out */
	uint64_t off_cpu_samples; /* samples of threads found waiting for a core (tasks_on_cpu) */
	uint64_t sched_reads;     /* sched files read to tell that (tasks_on_cpu_reads) */
	uint64_t late_samples;    /* such threads' samples in rounds that began late: not told */
	uint64_t errors_kind[ERR_KINDS]; /* thread samples lost, by kind (since attach) */
	uint64_t threads_not_sampled; /* most threads one round had to leave out (over the limit) */
	int thread_limit;         /* threads a round samples at most */
	int interps_not_sampled;  /* interpreters over the limit, left out (the main one never is) */
	int interp_limit;         /* interpreters sampled at most */
	uint64_t native_pauses;   /* --native: thread samples the thread was stopped for (with
				   * --blocking: rounds the target was stopped for) */
	uint64_t pause_median_ns; /* ... how long it stayed stopped: the median, */
	uint64_t pause_p99_ns;    /* ... the 99th percentile (bins of 1 us to 1 ms, then 100 us) */
	uint64_t native_partial;  /* native stacks cut short (marked in the stack) */
	uint64_t native_unmatched; /* native and Python stacks that did not pair up (marked) */
	uint64_t nc[NC_N];        /* --native: enum native_count */
	double rate_hz;           /* the configured rate now */
	bool target_gone;         /* the target exited or could not be read */
};

struct sampler;

/* Start sampling t into r, through walker caches of the sampler's own
 * (made here, before its thread starts). The sampler owns t until
 * sampler_stop(). Returns NULL with a one-line reason in err when it
 * cannot start. */
struct sampler *sampler_start(struct py_target *t, struct ring *r, const struct sampler_config *cfg,
			      char *err, size_t errcap);

/* Stop the thread, put its final counters in *last (when not NULL: those
 * of its last round too, whose records the ring still holds), and free the
 * sampler (not t nor r). */
void sampler_stop(struct sampler *s, struct sampler_stats *last);

/* Change the rate (takes effect at the next deadline). */
void sampler_set_rate(struct sampler *s, double rate_hz);

/* Snapshot of the counters. */
void sampler_get_stats(struct sampler *s, struct sampler_stats *out);

#endif
