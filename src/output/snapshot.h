/* snapshot: what the batch writers (text, json, collapsed) are told about
 * the run besides the aggregate itself. */
#ifndef PYTOP_OUTPUT_SNAPSHOT_H
#define PYTOP_OUTPUT_SNAPSHOT_H

#include <stdint.h>

#include "sampling/gilacct.h"

/* The run a snapshot describes; NULL strings print as empty. */
struct snapshot_meta {
	int pid;
	const char *argv;           /* the target's command line, space-separated */
	const char *python;         /* target's version, e.g. "3.11.4" */
	double duration_s;          /* how long pytop sampled */
	double rate_hz;             /* configured sampling rate */
	double achieved_rate_hz;    /* rounds per second really achieved */
	uint64_t samples;
	uint64_t dropped;           /* records the ring refused */
	uint64_t errors;
	const char *mode;           /* "cpu", "wall" or "gil" */
	const char *version;        /* pytop's version */
	double sampler_cpu_s;       /* the sampler thread's CPU time (0: unknown, not printed) */
	uint64_t reads;             /* process_vm_readv calls the sampler made */
	const struct gilstat_snapshot *gilstat; /* --gilstat's numbers; NULL: not run */
};

#endif
