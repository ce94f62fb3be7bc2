/* switchpage: a thread's perf task-clock event with its first page mapped
 * read-only. The kernel rewrites that page (perf_event_mmap_page) each time
 * the thread is switched in, so a page that reads as before tells, without
 * a system call, that the thread has not been put on a CPU since. */
#ifndef PYTOP_PROCESS_SWITCHPAGE_H
#define PYTOP_PROCESS_SWITCHPAGE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct switchpage {
	int fd;                   /* the perf event, -1 when none */
	const void *page;         /* its mapped first page, NULL when none */
};

/* An empty one (no event). */
void switchpage_init(struct switchpage *p);

/* Open the event for thread tid and map its page: 0, PYTOP_EPERM when
 * perf events may not be used on it here (perf_event_paranoid, seccomp, no
 * perf support: every thread will say the same), or PYTOP_EGONE. */
int switchpage_open(struct switchpage *p, pid_t tid);

/* Close the event and unmap its page (an empty one is left). */
void switchpage_close(struct switchpage *p);

/* The page's update count now: an even number, or false when there is no
 * page or it is being rewritten at this instant (nothing can be told). A
 * later count equal to an earlier one: not switched in between. */
bool switchpage_stamp(const struct switchpage *p, uint32_t *stamp);

#endif
