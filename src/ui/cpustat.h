/* cpustat: the target's CPU use (utime + stime, read through target/tasks),
 * as a percentage of one CPU over the time between two updates, for the
 * process and for each of its threads. */
#ifndef PYTOP_UI_CPUSTAT_H
#define PYTOP_UI_CPUSTAT_H

#include <stdint.h>
#include <sys/types.h>

struct cpustat;

/* Track process pid. */
struct cpustat *cpustat_new(pid_t pid);

/* Free it. */
void cpustat_free(struct cpustat *c);

/* Read the process's counters now; returns its CPU% since the previous
 * update (negative before there are two readings or once it is gone). */
double cpustat_update(struct cpustat *c, uint64_t now_ns);

/* The CPU% of thread tid since its previous reading (read now); negative
 * when unknown. Call once per thread per update. */
double cpustat_thread(struct cpustat *c, pid_t tid, uint64_t now_ns);

#endif
