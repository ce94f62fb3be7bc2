/* session: one profiling run: the target (attached by PID or launched), the
 * ring, the sampler thread and the aggregate, shared by the batch and TUI
 * front ends. Only the front end's thread calls these. */
#ifndef PYTOP_SESSION_H
#define PYTOP_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cpython/runtime.h"
#include "options.h"
#include "output/snapshot.h"
#include "sampling/aggregate.h"
#include "sampling/gilstat.h"
#include "sampling/ring.h"
#include "sampling/sampler.h"

struct session {
	const struct options *opt;
	pid_t pid;
	bool launched;            /* we started the target */
	bool child_exited;
	int child_status;         /* wait status when child_exited */
	struct py_target *target;
	struct ring *ring;
	struct sampler *sampler;
	struct aggregate *agg;
	char argv[4096];          /* the target's command line */
	char python[32];
	uint64_t start_ns, stop_ns;
	bool stopped;
	double rate_hz;             /* the configured sampling rate now */
	struct sampler_stats last;  /* the sampler's counters when it stopped */
	struct gilstat *gilstat;    /* the GIL statistics thread, NULL when off */
	struct gilstat_snapshot *gilstat_view; /* its latest numbers (NULL: it never ran) */
	void *recbuf;
};

/* Attach to opt->pid, or launch opt->launch_argv with its output sent to
 * out_fd / err_fd (-1: inherited), and start sampling. Returns 0, or a
 * negative error with a one-line reason in err. */
int session_open(struct session *s, const struct options *opt, int out_fd, int err_fd,
		 char *err, size_t errcap);

/* Move every record from the ring into the aggregate; returns how many. */
int session_drain(struct session *s);

/* As session_drain(), but stop after about budget_ns so a front end stays
 * responsive; returns how many records were taken. */
int session_drain_for(struct session *s, uint64_t budget_ns);

/* Sample rate_hz times a second from now on; the aggregate's counts
 * restart, as a sample's weight in seconds changes. */
void session_set_rate(struct session *s, double rate_hz);

/* Has the target gone (exited, or unreadable)? Reaps a launched child. */
bool session_target_gone(struct session *s);

/* Stop sampling (idempotent); the aggregate stays readable. */
void session_stop(struct session *s);

/* Fill cfg from the command line (--gilstat, --gilstat-rate, --gilstat-warn). */
void session_gilstat_config(const struct session *s, struct gilstat_config *cfg);

/* Start gilstat with cfg (NULL: the command line's settings), replacing a
 * running one (its numbers are lost). Returns 0, or a negative error with a
 * one-line reason in err ("--gilstat=exact: uprobes unavailable: ..."). */
int session_gilstat_start(struct session *s, const struct gilstat_config *cfg, char *err, size_t errcap);

/* Stop gilstat; its final numbers stay readable. */
void session_gilstat_stop(struct session *s);

/* gilstat's numbers, live or final: a pointer into the session (valid
 * until the next call), NULL when gilstat never ran. */
const struct gilstat_snapshot *session_gilstat(struct session *s);

/* Describe the run for the snapshot writers. */
void session_meta(struct session *s, struct snapshot_meta *m);

/* Write a snapshot in the given format to path (NULL: stdout). Returns 0,
 * or a negative error with a reason in err. */
int session_write(struct session *s, int format, const char *path, char *err, size_t errcap);

/* Stop and free everything (a launched child still running is left running). */
void session_close(struct session *s);

/* Monotonic time in nanoseconds. */
uint64_t session_now_ns(void);

#endif
