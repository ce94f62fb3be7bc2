/* tasks: what each thread of a target is doing, from its
 * /proc/PID/task/TID/syscall file, kept open and re-read (one pread). */
#ifndef PYTOP_TARGET_TASKS_H
#define PYTOP_TARGET_TASKS_H

#include <stdint.h>
#include <sys/types.h>

/* A thread's activity at one instant. */
struct task_activity {
	int running;          /* on CPU or runnable (not in a syscall) */
	long syscall;         /* the blocking syscall's number, -1 if running or unknown */
	uint64_t arg0;        /* its first argument */
};

struct tasks;

/* Track the threads of pid; NULL on out-of-memory. */
struct tasks *tasks_create(pid_t pid);
void tasks_destroy(struct tasks *ts);

/* Read a thread's activity; 0, or a negative error when it is gone. */
int tasks_read(struct tasks *ts, pid_t tid, struct task_activity *out);

/* Parse the text of a syscall file ("running", or "NR arg0 ... sp pc"). */
int tasks_parse(const char *text, struct task_activity *out);

#endif
