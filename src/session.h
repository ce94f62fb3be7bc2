/* session: one profiling run: the target (attached by PID or launched), the
 * ring, the sampler thread and the aggregate, shared by the batch and TUI
 * front ends. Only the front end's thread calls these. */
#ifndef PYTOP_SESSION_H
#define PYTOP_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "cpython/runtime.h"
#include "options.h"
#include "output/snapshot.h"
#include "sampling/aggregate.h"
#include "sampling/gilstat.h"
#include "sampling/ring.h"
#include "sampling/sampler.h"

struct output_format;

struct session {
	const struct options *opt;
	pid_t pid;                /* the target */
	pid_t child;              /* launched: the process started, waited for (the
				   * target, or a wrapper that forked it: s->pid its
				   * only descendant, as under unshare --fork) */
	bool launched;            /* we started the target */
	bool waiting;             /* launched, its Python interpreter not up yet */
	bool saw_python;          /* launched: an interpreter was seen in it */
	bool started;             /* the sampler was started */
	uint64_t launch_ns;       /* when the program was started (or the session opened) */
	const char *note;         /* a note for the snapshot, or NULL */
	bool child_exited;
	int child_status;         /* wait status when child_exited */
	struct py_target *target;
	struct ring *ring;
	struct sampler *sampler;
	struct aggregate *agg;
	char argv[4096];          /* the target's command line */
	char python[32];
	uint64_t start_ns, stop_ns;
	uint64_t cut_ns;            /* an interval's end (session_cut), 0 when none */
	bool stopped;
	double rate_hz;             /* the configured sampling rate now */
	struct sampler_stats last;  /* the sampler's counters when it stopped */
	struct gilstat *gilstat;    /* the GIL statistics thread, NULL when off */
	struct gilstat_snapshot *gilstat_view; /* its latest numbers (NULL: it never ran) */
	struct gilstat_config gilstat_cfg;  /* how it was last started */
	uint64_t base_cpu_ns, base_reads, base_dropped; /* the counters at the last reset */
	void *recbuf;
	char gilstat_note[1280];    /* why plain --gilstat runs sampled ("" when exact) */
	char log_path[256];         /* launched: the file its output goes to ("" none) */
};

/* How a launched program is wired. */
struct session_launch {
	bool null_stdin;          /* its stdin from /dev/null (the live view reads the keys) */
	bool log;                 /* its stdout and stderr to a new private file,
				   * $TMPDIR/pytop-PID.log (s->log_path) */
	int out_fd;               /* else its stdout to this fd (-1: pytop's own) */
};

/* Attach to opt->pid and start sampling, or launch opt->launch_argv wired
 * as `how` says (NULL: as pytop) and return at once with s->waiting set
 * (see session_attach). Returns 0, or a negative error with a one-line
 * reason in err. The ring and the aggregate exist from the start, so a
 * snapshot can be written whatever happens next. */
int session_open(struct session *s, const struct options *opt, const struct session_launch *how,
		 char *err, size_t errcap);

/* Launch mode: one try at attaching to the program's interpreter (call it
 * every few ms while s->waiting). Returns 1 when sampling (now or already),
 * 0 while no interpreter is up yet, or a negative error with a reason in
 * err: PYTOP_EGONE when the program exited first (s->saw_python tells a
 * Python program that ended too soon from a program that is not Python). */
int session_attach(struct session *s, char *err, size_t errcap);

/* Seconds since the program was launched while s->waiting, else 0. */
double session_waiting_s(const struct session *s);

/* Wait up to ns for a launched program to exit, collecting its status;
 * true when it has exited. */
bool session_reap(struct session *s, uint64_t ns);

/* The end of a run with a launched program still running: unless
 * --keep-running, it gets sig (the signal that stopped pytop; 0: none) and
 * grace_ns to go, then SIGINT, SIGTERM and SIGKILL, grace_ns apart, and is
 * reaped. Returns true when pytop ended it (not by passing sig on). */
bool session_finish_program(struct session *s, int sig, uint64_t grace_ns);

/* pytop's exit status for a launch that never sampled: the program's own
 * when it has exited with one (a failing wrapper or interpreter), else 1
 * (not Python, given up, an error); asked before pytop ends the program. */
int session_unsampled_status(const struct session *s);

/* On stderr: a launched program that is still running, and the file its
 * output went to. */
void session_report_program(const struct session *s);

/* Open the snapshot file -o for writing (before anything is sampled, so
 * an unwritable path fails first); NULL with a reason in err. An existing
 * file is not truncated yet: session_output_truncate() does that when the
 * snapshot is written, so a run that fails to attach keeps its content. */
FILE *session_output_open(const char *path, char *err, size_t errcap);

/* Empty the -o file opened by session_output_open (a regular file) just
 * before the snapshot goes into it; 0, or -1 with errno set. */
int session_output_truncate(FILE *f);

/* Move every record from the ring into the aggregate; returns how many. */
int session_drain(struct session *s);

/* The share of the ring's bytes in use now (0 to 1; 0 without a ring). */
double session_ring_share(const struct session *s);

/* Sleep ns, or less: until the ring is a quarter full (a burst), the
 * sampler sees the target gone, or a signal comes. */
void session_wait(struct session *s, uint64_t ns);

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

/* Write a snapshot in the given format to an open file (name: for the
 * error message). Returns 0, or a negative error with a reason in err. */
int session_write_file(struct session *s, const struct output_format *format, FILE *f, const char *name,
		       char *err, size_t errcap);

/* End an interval now (--every): the snapshot written next covers the
 * run up to now, gilstat's numbers included (its window is cut there),
 * and the next session_reset starts the next interval at that time. */
void session_cut(struct session *s);

/* Forget everything collected so far, as if the run started now: the
 * aggregate's counts, the duration, the overhead and drop counters, and
 * with `gilstat` gilstat's numbers too (a running gilstat's window is cut
 * at the same instant as the counts'; it goes on, its probes planted).
 * After the target exited the duration restarts at zero. */
void session_reset(struct session *s, bool gilstat);

/* Records lost because the ring was full, since the last reset. */
uint64_t session_dropped(const struct session *s);

/* Stop and free everything (a launched child still running is left running). */
void session_close(struct session *s);

#endif
