/* pause: stopping all of a target's threads for the length of one sample
 * (--blocking), with PTRACE_SEIZE / PTRACE_INTERRUPT, and letting them go.
 * Every call after pause_create() must come from the same thread. */
#ifndef PYTOP_PROCESS_PAUSE_H
#define PYTOP_PROCESS_PAUSE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct pause;

/* Prepare to pause pid; NULL with a reason in err when ptrace is refused:
 * what to do about it (--blocking), or, optional, the bare reason. */
struct pause *pause_create(pid_t pid, int optional, char *err, size_t errcap);

/* Bound pause_stop()'s wait for the threads to stop to us microseconds
 * (default 2 s): a thread not stopped by then (a disk wait, no CPU to run
 * on) is left running and looked at again in later rounds. */
void pause_set_wait(struct pause *p, uint64_t us);

/* Stop every thread (seizing new ones); returns how many are stopped. */
int pause_stop(struct pause *p);

/* Stop every thread and check that none is left running: a thread created
 * meanwhile is seized in a further round. Returns 0 when every thread of
 * the process is stopped, else how many are not (a disk wait, stopped by a
 * signal before, over the limit) or a negative error. */
int pause_stop_every(struct pause *p);

/* The stopped thread tid is waiting in system call sysno (interrupted by
 * the stop, to be restarted): make that call return EINTR instead, as a
 * signal with a handler would, so the program's own EINTR handling runs.
 * A wait with a timeout that an earlier stop interrupted is
 * restart_syscall's, whose call is not told: left alone (it might be a
 * sleep the EINTR would cut short).
 * 1 when done, 0 when tid is not stopped in that call, negative on error
 * (or where the architecture is not supported). */
int pause_interrupt_call(struct pause *p, pid_t tid, long sysno);

/* Stop thread tid alone (seized at its first stop), waiting for it as
 * pause_stop() does. Returns 1 when it is stopped (it may already have
 * been, e.g. in a group stop), 0 when it is not (gone, stopped before it
 * was seized, slow, refused). */
int pause_stop_one(struct pause *p, pid_t tid);

/* Whether thread tid is stopped by this pause, or was interrupted and has
 * not stopped yet (slow: its stop comes later, and only pause_stop_one()
 * or pause_stop() takes it in and a resume lets it go). A caller that
 * skips such a thread leaves it stopped. */
int pause_owes(const struct pause *p, pid_t tid);

/* Let every stopped thread run again. */
void pause_resume(struct pause *p);

/* Let thread tid run again now, if this pause stopped it (the others stay
 * stopped until pause_resume()). */
void pause_resume_one(struct pause *p, pid_t tid);

/* Detach from every thread and free (safe with NULL). */
void pause_destroy(struct pause *p);

#endif
