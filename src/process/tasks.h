/* tasks: what each thread of a target is doing, from its
 * /proc/PID/task/TID/syscall file, and how much CPU it used, from its
 * schedstat file; both kept open and re-read (one pread each), and the
 * latter skipped while a blocked thread's perf switch page does not move.
 * Past the descriptors RLIMIT_NOFILE allows (its soft limit is raised to
 * the hard one), a thread's files are opened, read and closed at each
 * reading (tasks_reopened): no thread reads as gone for want of one.
 * For a thread that waits for cores, whether it is on one (its sched
 * file). Also the CPU time of a thread or the process (its CPU clock, its
 * stat file). */
#ifndef PYTOP_PROCESS_TASKS_H
#define PYTOP_PROCESS_TASKS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* A thread's activity at one instant. */
struct task_activity {
	int running;          /* on CPU or runnable (not in a syscall) */
	long syscall;         /* the blocking syscall's number, -1 if running or unknown */
	uint64_t arg0;        /* its first argument */
	uint64_t args[6];     /* all its arguments (args[0] == arg0), */
	uint64_t sp, pc;      /* ... and the thread's user stack and instruction pointers
			       * (0 when the file did not give them; blocked outside a
			       * syscall, "-1 sp pc": sp and pc only) */
	uint64_t stamp;       /* tasks_read: this reading's number (a reused one keeps it) */
};

struct tasks;

/* Track the threads of pid; NULL on out-of-memory. The first call raises
 * the soft RLIMIT_NOFILE to the hard limit (util/fdlimit.h). */
struct tasks *tasks_create(pid_t pid);
void tasks_destroy(struct tasks *ts);

/* Read a thread's activity; 0, or a negative error when it is gone. */
int tasks_read(struct tasks *ts, pid_t tid, struct task_activity *out);

/* Let tasks_read() reuse a thread's last reading when it was blocked in a
 * system call and its schedstat file, read with tasks_cpu() before that
 * reading and twice or more since, has not changed (run time and times
 * switched in): a thread that was not on a CPU in between is still in
 * that call, or woken and not yet run (the file would say "running").
 * A reading is reused at most 63 times in a row, then read again. Off by
 * default. With check, the file is read every time (see tasks_read_check). */
void tasks_set_reuse(struct tasks *ts, bool on, bool check);

/* tasks_read(); checking (tasks_set_reuse), *would gets the reading reuse
 * would have given (the file's otherwise; would may be NULL). */
int tasks_read_check(struct tasks *ts, pid_t tid, struct task_activity *out, struct task_activity *would);

/* Whether thread tid's schedstat still reads as at its last tasks_cpu()
 * (it has not been on a CPU since; nothing is updated). */
bool tasks_still(struct tasks *ts, pid_t tid);

/* How many readings tasks_read() reused (checking: would have). */
uint64_t tasks_reuses(const struct tasks *ts);

/* Close the files of the threads not read since the previous sweep (they
 * ended, or are no longer looked at), so that a target that keeps starting
 * threads does not pile up descriptors. A thread read again later is simply
 * reopened (its last CPU reading is kept). Call it now and then (about once a second), not every round. */
void tasks_sweep(struct tasks *ts);

/* How many readings went through a file opened and closed for them (no
 * descriptor to keep under RLIMIT_NOFILE, less a reserve of 64, or of an
 * eighth of the limit when smaller, for pytop's other files). */
uint64_t tasks_reopened(const struct tasks *ts);

/* How many threads have a file (syscall or schedstat) open. */
int tasks_open_count(const struct tasks *ts);

/* Read a thread's CPU time (ns on CPU, the schedstat file's first field)
 * and the delta since the previous tasks_cpu() of the same thread: returns
 * 1 with *delta_ns set, 0 for the first reading of the thread (*runtime_ns
 * is the total since it started), or a negative error. A thread that is
 * runnable but waiting for a core does not advance. */
int tasks_cpu(struct tasks *ts, pid_t tid, uint64_t *runtime_ns, uint64_t *delta_ns);

/* Let tasks_cpu() skip the schedstat file of a thread whose last syscall
 * reading said blocked while its perf switch page (switchpage.h) says it
 * has not been switched in since: its reading is as before. At most 15
 * in a row are skipped. Needs tasks_set_reuse() on; with check there, the
 * file is read anyway and compared. Off by default, and off for good once
 * perf events turn out not to be allowed. */
void tasks_set_pages(struct tasks *ts, bool on);

/* schedstat readings skipped so far (checking: that would have been), and
 * (checking) of those, how many had moved on: the thread was switched in. */
void tasks_page_counts(const struct tasks *ts, uint64_t *skipped, uint64_t *wrong);

/* Give back a delta tasks_cpu() returned that was not used: the thread's
 * next reading includes it again (nothing when its reading is forgotten). */
void tasks_cpu_unread(struct tasks *ts, pid_t tid, uint64_t delta_ns);

/* Whether thread tid, which its syscall file says is running, was on a
 * CPU this round (round: the caller's round number, from 1): 1 when it is
 * now (its sched file's switch count is one less than the times it was
 * switched in at its last tasks_cpu() reading) or stopped when the
 * calling thread was last switched in (the thread it preempted:
 * tasks_stopped_by); 0 when it is runnable and waiting for a core (its
 * stack is where it was preempted). Read only for a thread that lately
 * waited for a core 10 % or more of the time it wanted one (its
 * schedstat's run delay against its run time, over about its last 64
 * readings): a sched file costs 3 us, against 0.4 us for schedstat, and
 * when one reads off, the caller's own is read too (once a round). At
 * most 4 are read a round: with more such threads, each is read one round
 * in so many and is not told (-1) in the others. Any other thread, or
 * where there are no sched files (CONFIG_SCHED_DEBUG) or one cannot be
 * read, counts as on (1). */
int tasks_on_cpu(struct tasks *ts, pid_t tid, uint64_t round);

/* Whether tid lately waited for a core 10 % or more of the time it
 * wanted one (as tasks_on_cpu() judges it, sched files or not): a thread
 * whose place when sampled may be the scheduler's choice. */
bool tasks_contended(struct tasks *ts, pid_t tid);

/* Whether a thread whose sched file's se.exec_start reads stopped_ns
 * was switched out by the thread whose own reads began_ns: the two
 * within 30 us either way (each CPU's clock differs from the others by
 * the steal and IRQ time it lost: only the same switch's readings agree). */
int tasks_stopped_by(uint64_t stopped_ns, uint64_t began_ns);

/* How many threads' sched files tasks_on_cpu() has read. */
uint64_t tasks_on_cpu_reads(const struct tasks *ts);

/* Parse se.exec_start (ns) and nr_switches out of a
 * /proc/PID/task/TID/sched text; 0 or PYTOP_EINVAL. */
int tasks_parse_sched(const char *text, uint64_t *exec_start_ns, uint64_t *switches);

/* The process's threads now (/proc/PID/task, read without allocating): up
 * to max tids into tids, in no order; returns how many there are (may be
 * more than max), or a negative error. */
int tasks_list(struct tasks *ts, pid_t *tids, int max);

/* Whether tid is a thread of the process now (/proc/PID/task/TID exists;
 * no slot is taken): a tid read from a thread state just freed can be any
 * number. */
bool tasks_exists(const struct tasks *ts, pid_t tid);

/* How many threads the process has now (/proc/PID/task's link count: one
 * fstat, no listing), or a negative error. */
int tasks_count(struct tasks *ts);

/* Whether thread tid is still there (its schedstat file reads; its CPU
 * reading is left as it is). A thread gone has its files closed. */
bool tasks_alive(struct tasks *ts, pid_t tid);

/* Whether tid was alive when ts was created (true when that is unknown):
 * a thread born later used all its CPU time inside the sampling window. */
bool tasks_started_before(const struct tasks *ts, pid_t tid);

/* The whole process's CPU time (ns, threads that ended included: its CPU
 * clock, else /proc/PID/stat's utime+stime in clock ticks), or a negative
 * error. */
int tasks_process_cpu(struct tasks *ts, uint64_t *cpu_ns);

/* The CPU time (ns, utime+stime of its stat file) of thread tid of pid, or
 * of the whole process when tid is 0, read now (no file kept open); 0 or a
 * negative error. */
int tasks_stat_cpu(pid_t pid, pid_t tid, uint64_t *cpu_ns);

/* Parse utime+stime out of a /proc/PID/stat text, in ns (hz: clock ticks
 * a second); 0 or PYTOP_EINVAL. */
int tasks_parse_stat_cpu(const char *text, long hz, uint64_t *cpu_ns);

/* Parse the first field of a schedstat file; 0 or PYTOP_EINVAL. */
int tasks_parse_schedstat(const char *text, uint64_t *runtime_ns);

/* The same, and its second field (ns runnable and waiting for a core,
 * counted as each wait ends; 0 when it has none) and its third (times
 * switched in; UINT64_MAX when it has none). */
int tasks_parse_schedstat3(const char *text, uint64_t *runtime_ns, uint64_t *wait_ns, uint64_t *pcount);

/* Parse the text of a syscall file ("running", or "NR arg0 ... sp pc"). */
int tasks_parse(const char *text, struct task_activity *out);

#endif
