/* uprobe: exact events from a few functions of a target, through uprobes
 * and uretprobes opened with perf_event_open(2) on the kernel's uprobe PMU.
 * One event per (probe, CPU, thread of the target), so the kernel plants
 * the breakpoints in the target's address space only (other processes
 * running the same file are not touched); uprobe_follow keeps the set in
 * step with the target's threads. Where tracefs can be written, each probe
 * is one tracefs uprobe event (group pytop_PID_N) that every thread's events
 * share, so they open and close in microseconds; elsewhere each event is a
 * uprobe PMU probe of its own, whose close takes the kernel about 0.09 s. Every CPU's events share one ring
 * buffer, drained without blocking in time order. Needs root or
 * CAP_PERFMON (and CAP_SYS_ADMIN on older kernels). */
#ifndef PYTOP_PROCESS_UPROBE_H
#define PYTOP_PROCESS_UPROBE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* One probe: a function entry (or return) at a file offset. */
struct uprobe_spec {
	uint64_t offset;      /* file offset of the function's first instruction */
	int retprobe;         /* 1: fire when it returns */
	int tag;              /* handed back with each event */
};

struct uprobe_set;

/* Called per event, in time order. */
typedef void (*uprobe_fn)(void *arg, uint64_t time_ns, pid_t tid, int tag);

/* Open the probes on the file at path (as this process sees it) for the
 * threads of pid. Returns 0, or a negative error with a one-line reason
 * ("perf_event_open: permission denied (...)") in why. */
int uprobe_open(const char *path, const struct uprobe_spec *specs, int n, pid_t pid,
		struct uprobe_set **out, char *why, size_t whycap);

/* Hand every buffered event stamped before before_ns (CLOCK_MONOTONIC) to
 * fn in time order; later ones stay for the next call. Returns how many
 * were handed over; *lost grows by the events the kernel dropped. Never
 * blocks or allocates. */
int uprobe_drain(struct uprobe_set *u, uint64_t before_ns, uprobe_fn fn, void *arg, uint64_t *lost);

/* Follow the target's threads (at most every 10 ms, else a no-op): open
 * events for threads started since (their first calls before this are not
 * seen) and close those of threads that ended, so descriptors do not pile
 * up (PMU events: disabled at once, closed one per call, and past 128
 * waiting no new thread gets events; see uprobe_unfollowed). May allocate
 * when the target has more threads than ever before.
 * Returns 1 when it listed the threads, 0 when it was too soon, or a
 * negative error (the target is gone). */
int uprobe_follow(struct uprobe_set *u, uint64_t now_ns);

/* When uprobe_follow last read the thread list (CLOCK_MONOTONIC; 0: never). */
uint64_t uprobe_listed_ns(const struct uprobe_set *u);

/* The threads of the latest listing that have events (sorted), *n of them. */
const pid_t *uprobe_tids(const struct uprobe_set *u, int *n);

/* Threads of the target uprobe_follow listed but gave no events (they
 * ended before their events were open, or the open failed): their takes
 * are not seen. */
uint64_t uprobe_unfollowed(const struct uprobe_set *u);

/* Stop and free the set. The events are disabled at once; their last close
 * (the kernel's uprobe unregistering, about 0.09 s each, serialised: per
 * tracefs probe, or per PMU event) and the tracefs probes' removal are left
 * to a detached grandchild process, so the caller does not wait for it. */
void uprobe_close(struct uprobe_set *u);

/* Does this kernel have the uprobe PMU? 0, or a negative error with the
 * reason in why. */
int uprobe_available(char *why, size_t whycap);

#endif
