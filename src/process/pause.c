/* pause: ptrace-based stop-the-world for exact stacks. */
#include "process/pause.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>

#include "errors.h"
#include "output/escape.h"
#include "process/proc.h"
#include "util/clock.h"

#define MAX_TIDS 4096   /* the threads a pause stops (--dump reads up to 4096) */
#define WAIT_MAX_US 2000000u   /* a thread that neither stops nor ends this long is let go */

struct tracee {
	pid_t tid;
	int stopped;
	int signal;          /* signal to deliver on resume */
	int group_stop;      /* in a group stop (SIGSTOP & co.): stays stopped */
	int pending;         /* interrupted this round, its stop not yet waited for */
	int slow;            /* did not stop within WAIT_MAX_US (e.g. in a disk wait): looked at, not waited for */
};

struct pause {
	pid_t pid;
	uint64_t wait_us;    /* pause_stop()'s bound on the wait for the stops */
	struct tracee t[MAX_TIDS];
	int n;
	pid_t scratch[MAX_TIDS];
	char dents[8192];    /* pause_stop's /proc/PID/task listing: the sampler's loop allocates nothing */
};

/* Why ptrace is refused: one tracer per process, or the rights. Optional
 * pauses (a plain --dump) get the reason alone; --blocking gets what to do. */
static void refused(pid_t pid, int e, int optional, char *err, size_t errcap)
{
	long tracer = 0;
	char comm[64] = "?", shown[64];

	/* A process has one tracer: say who it is rather than blame rights. */
	if ((e == EPERM || e == 0) && proc_status_long(pid, "TracerPid", &tracer) == 0 && tracer > 0) {
		if (proc_task_comm((pid_t)tracer, (pid_t)tracer, comm, sizeof comm) < 0)
			snprintf(comm, sizeof comm, "?");
		escape_text(shown, sizeof shown, comm);
		if (optional)
			snprintf(err, errcap, "it is already traced by PID %ld (%s)", tracer, shown);
		else
			snprintf(err, errcap, "--blocking: process %d is already traced by PID %ld (%s); "
				 "a process has only one tracer: detach it or run without --blocking",
				 (int)pid, tracer, shown);
		return;
	}
	if (optional)
		snprintf(err, errcap, "ptrace: %s", strerror(e ? e : EPERM));
	else
		snprintf(err, errcap, "--blocking: cannot ptrace process %d: %s (needs CAP_SYS_PTRACE or "
			 "kernel.yama.ptrace_scope=0)", (int)pid, strerror(e ? e : EPERM));
}

static void wait_all(struct pause *p, uint64_t deadline_us);

/* Whether thread state letter c is one a probe can stop at once: running or
 * sleeping (not stopped, a zombie, dead, or in a disk wait). */
static int probe_state(char c)
{
	return c == 'R' || c == 'S';
}

struct pause *pause_create(pid_t pid, int optional, char *err, size_t errcap)
{
	struct pause *p = xcalloc(1, sizeof *p);
	int n = proc_tasks(pid, p->scratch, MAX_TIDS);
	pid_t probe = 0;
	long tracer = 0;

	p->pid = pid;
	/* Probe that ptrace is allowed at all, from this thread, on a thread
	 * that runs or sleeps: seizing a stopped (SIGSTOP) thread wakes it
	 * into a trap stop and back, CPU time a stopped target must not spend;
	 * a zombie leader refuses ptrace; a thread in a disk wait may not stop
	 * for long. */
	for (int i = 0; i < n && !probe; i++)
		if (probe_state(proc_task_state(pid, p->scratch[i])))
			probe = p->scratch[i];
	if (!probe) {
		/* None to probe: reading its memory needs the same rights as
		 * ptrace; what is left to check is another tracer. */
		if (proc_status_long(pid, "TracerPid", &tracer) == 0 && tracer > 0) {
			refused(pid, 0, optional, err, errcap);
			free(p);
			return NULL;
		}
		return p;
	}
	if (ptrace(PTRACE_SEIZE, probe, NULL, NULL) < 0) {
		refused(pid, errno, optional, err, errcap);
		free(p);
		return NULL;
	}
	/* Detach needs a stop: the interrupt's (a signal that comes first is
	 * passed on at once, see take_status). The probe is never kept: a
	 * tracee belongs to the thread that seized it, and later calls may
	 * come from another (the sampler's). */
	struct tracee *t = &p->t[0];
	memset(t, 0, sizeof *t);
	t->tid = probe;
	p->n = 1;
	if (ptrace(PTRACE_INTERRUPT, probe, NULL, NULL) == 0) {
		t->pending = 1;
		wait_all(p, clock_now_ns() / 1000u + WAIT_MAX_US);
	}
	if (t->tid)
		ptrace(PTRACE_DETACH, probe, NULL, (void *)(intptr_t)t->signal);
	memset(t, 0, sizeof *t);
	p->n = 0;
	return p;
}

static struct tracee *find(struct pause *p, pid_t tid)
{
	for (int i = 0; i < p->n; i++)
		if (p->t[i].tid == tid)
			return &p->t[i];
	return NULL;
}

/* Take in one wait status of a tracee. An interrupt stop is
 * PTRACE_EVENT_STOP with SIGTRAP; with a stop signal it is a group stop
 * (the process was stopped, e.g. by SIGSTOP): it must stay stopped. Any
 * other stop is a signal being delivered (a seized thread gets no SIGTRAP
 * of ptrace's own): it goes on at once, and a queued interrupt stop comes
 * before the thread runs its code again. */
static void take_status(struct tracee *t, int st)
{
	if (WIFEXITED(st) || WIFSIGNALED(st)) {
		t->tid = 0;   /* gone */
		return;
	}
	if (!WIFSTOPPED(st))
		return;
	int sig = WSTOPSIG(st);
	if ((st >> 16) == PTRACE_EVENT_STOP) {
		t->group_stop = sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
		t->stopped = 1;
		t->slow = 0;
		return;
	}
	t->group_stop = 0;
	if (ptrace(PTRACE_CONT, t->tid, NULL, (void *)(intptr_t)sig) < 0)
		t->signal = sig;   /* cannot go on: delivered when it is let go */
}

/* One report of t, if there is one, taken in. The target's leader is only
 * looked at when it exited: its exit status is its parent's (launch mode:
 * pytop's own, for the program's exit status), never reaped here. */
static void poll_one(struct pause *p, struct tracee *t)
{
	int st;
	if (t->tid == p->pid) {
		siginfo_t si;
		memset(&si, 0, sizeof si);
		/* (a tracee's ptrace stops are reported whatever the flags) */
		if (waitid(P_PID, (id_t)t->tid, &si, WEXITED | WNOHANG | WNOWAIT | __WALL) == 0 &&
		    si.si_pid == t->tid &&
		    (si.si_code == CLD_EXITED || si.si_code == CLD_KILLED || si.si_code == CLD_DUMPED)) {
			t->tid = 0;
			return;
		}
	}
	pid_t r;
	do
		r = waitpid(t->tid, &st, __WALL | WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == t->tid)
		take_status(t, st);
	else if (r < 0)
		t->tid = 0;   /* not ours any more (gone, or exec made it another) */
}

/* Wait until every pending tracee stops or is gone, polling all of them in
 * passes, never blocking on one: a traced thread that exits stays a zombie
 * until its tracer waits for it, and while it does the kernel holds back
 * the exit of the group's leader (a process exiting under the pause: a
 * wait for the leader alone waited for ever). The tracees still running
 * are looked at too, for their exits. Pending ones not stopped by the
 * deadline (in a disk wait) are marked slow: kept, their stop taken in
 * when it comes, never waited for again. */
static void wait_all(struct pause *p, uint64_t deadline_us)
{
	for (unsigned pass = 0;; pass++) {
		int waiting = 0;
		for (int i = 0; i < p->n; i++) {
			struct tracee *t = &p->t[i];
			if (!t->tid || t->stopped)
				continue;
			if (t->pending && !t->slow) {
				poll_one(p, t);
				waiting += t->tid && !t->stopped;
			} else if (pass % 16 == 15) {
				poll_one(p, t);   /* running or slow: an exit, or a late stop */
			}
		}
		if (!waiting)
			break;
		if (clock_now_ns() / 1000u > deadline_us) {
			for (int i = 0; i < p->n; i++)
				if (p->t[i].tid && p->t[i].pending && !p->t[i].stopped)
					p->t[i].slow = 1;
			break;
		}
		struct timespec nap = { 0, pass < 16 ? 10000 : 200000 };   /* 10 us, then 0.2 ms */
		nanosleep(&nap, NULL);
	}
	for (int i = 0; i < p->n; i++)
		p->t[i].pending = 0;
}

int pause_stop(struct pause *p)
{
	int n = proc_tasks_into(p->pid, p->dents, sizeof p->dents, p->scratch, MAX_TIDS), stopped = 0;

	if (n > MAX_TIDS)
		n = MAX_TIDS;   /* (the threads over the limit run on, as before) */

	/* Forget threads that ended. */
	for (int i = 0; i < p->n; i++) {
		if (p->t[i].tid == 0) {
			p->t[i] = p->t[--p->n];
			i--;
		}
	}
	for (int i = 0; i < n; i++) {
		struct tracee *t = find(p, p->scratch[i]);
		if (!t) {
			/* A thread stopped (SIGSTOP) before pytop seized it stays
			 * as it is: it does not run, and seizing it would wake it
			 * into ptrace traps every round. */
			if (proc_task_state(p->pid, p->scratch[i]) == 'T')
				continue;
			if (p->n == MAX_TIDS || ptrace(PTRACE_SEIZE, p->scratch[i], NULL, NULL) < 0)
				continue;
			t = &p->t[p->n++];
			memset(t, 0, sizeof *t);
			t->tid = p->scratch[i];
		}
		t->pending = 0;
		/* A report already there (a signal that stopped it since the
		 * last round, a group stop, a late stop of a slow one, its end)
		 * comes first: an interrupt sent to a thread already stopped
		 * stays queued and traps it again right after it is let go. */
		if (!t->stopped)
			poll_one(p, t);
		if (!t->tid || t->stopped || t->slow || t->group_stop)
			continue;
		if (ptrace(PTRACE_INTERRUPT, t->tid, NULL, NULL) < 0)
			t->tid = 0;
		else
			t->pending = 1;
	}
	wait_all(p, clock_now_ns() / 1000u + (p->wait_us ? p->wait_us : WAIT_MAX_US));
	for (int i = 0; i < p->n; i++)
		stopped += p->t[i].tid && p->t[i].stopped;
	return stopped;
}

int pause_stop_one(struct pause *p, pid_t tid)
{
	struct tracee *t = find(p, tid);
	if (!t) {
		if (p->n == MAX_TIDS) {
			for (int i = 0; i < p->n; i++)   /* forget threads that ended */
				if (p->t[i].tid == 0)
					p->t[i--] = p->t[--p->n];
		}
		/* (See pause_stop: a thread stopped before it was seized stays so.) */
		if (p->n == MAX_TIDS || proc_task_state(p->pid, tid) == 'T' ||
		    ptrace(PTRACE_SEIZE, tid, NULL, NULL) < 0)
			return 0;
		t = &p->t[p->n++];
		memset(t, 0, sizeof *t);
		t->tid = tid;
	}
	t->pending = 0;
	if (!t->stopped)
		poll_one(p, t);
	if (!t->tid)
		return 0;
	if (t->stopped)
		return 1;
	if (t->slow || t->group_stop)
		return 0;
	if (ptrace(PTRACE_INTERRUPT, t->tid, NULL, NULL) < 0) {
		t->tid = 0;
		return 0;
	}
	t->pending = 1;
	wait_all(p, clock_now_ns() / 1000u + (p->wait_us ? p->wait_us : WAIT_MAX_US));
	return t->tid && t->stopped;
}

int pause_stop_every(struct pause *p)
{
	int missing = 0;

	for (int round = 0; round < 8; round++) {
		int stuck = 0;
		missing = 0;
		pause_stop(p);
		int n = proc_tasks_into(p->pid, p->dents, sizeof p->dents, p->scratch, MAX_TIDS);
		if (n < 0)
			return n;
		if (n > MAX_TIDS)
			return n - MAX_TIDS;
		for (int i = 0; i < n; i++) {
			struct tracee *t = find(p, p->scratch[i]);
			if (t && t->tid && t->stopped && !t->group_stop)
				continue;
			missing++;
			/* Stopped before it was seized (pause_stop leaves it),
			 * slow, or in a group stop: another round will not help;
			 * a thread not seized yet (new) is in the next one. */
			stuck += t ? t->slow || t->group_stop : proc_task_state(p->pid, p->scratch[i]) == 'T';
		}
		if (!missing || stuck)
			break;
	}
	return missing;
}

static void resume_tracee(struct tracee *t)
{
	if (!t->tid || !t->stopped)
		return;
	/* A group-stopped thread listens (stays stopped, sees SIGCONT);
	 * the others run on. */
	if (t->group_stop)
		ptrace(PTRACE_LISTEN, t->tid, NULL, NULL);
	else
		ptrace(PTRACE_CONT, t->tid, NULL, (void *)(long)t->signal);
	t->signal = 0;
	t->stopped = 0;
}

void pause_set_wait(struct pause *p, uint64_t us)
{
	p->wait_us = us;
}

void pause_resume(struct pause *p)
{
	for (int i = 0; i < p->n; i++)
		resume_tracee(&p->t[i]);
}

int pause_owes(const struct pause *p, pid_t tid)
{
	for (int i = 0; i < p->n; i++)
		if (p->t[i].tid == tid)
			return p->t[i].stopped || p->t[i].slow || p->t[i].pending;
	return 0;
}

void pause_resume_one(struct pause *p, pid_t tid)
{
	struct tracee *t = find(p, tid);
	if (t)
		resume_tracee(t);
}

/* The kernel's "restart this call" results, seen by a tracer while a
 * thread is stopped inside a system call (linux/errno.h). */
#define KERNEL_ERESTARTSYS 512
#define KERNEL_ERESTARTNOHAND 514
#define KERNEL_ERESTART_RESTARTBLOCK 516

int pause_interrupt_call(struct pause *p, pid_t tid, long sysno)
{
#if defined(__x86_64__)
	struct user_regs_struct regs;
	int k;

	for (k = 0; k < p->n && p->t[k].tid != tid; k++)
		;
	if (k == p->n || !p->t[k].stopped || p->t[k].group_stop)
		return 0;
	if (ptrace(PTRACE_GETREGS, tid, NULL, &regs) != 0)
		return PYTOP_EPERM;
	long rax = (long)regs.rax;
	/* ERESTARTNOINTR is restarted even across a handler: left alone. */
	if ((long)regs.orig_rax != sysno ||
	    (rax != -KERNEL_ERESTARTSYS && rax != -KERNEL_ERESTARTNOHAND && rax != -KERNEL_ERESTART_RESTARTBLOCK))
		return 0;
	regs.rax = (unsigned long long)-EINTR;
	if (ptrace(PTRACE_SETREGS, tid, NULL, &regs) != 0)
		return PYTOP_EPERM;
	return 1;
#else
	(void)p;
	(void)tid;
	(void)sysno;
	return PYTOP_EINVAL;
#endif
}

void pause_destroy(struct pause *p)
{
	if (!p)
		return;
	/* Detach needs a stop: every thread not stopped is interrupted, then
	 * all are waited for together (one at a time paid each one's wait for
	 * a core: 25 s for 150 busy threads). */
	for (int i = 0; i < p->n; i++) {
		struct tracee *t = &p->t[i];
		t->pending = 0;
		if (t->tid && !t->stopped)
			poll_one(p, t);
		if (t->tid && !t->stopped && !t->slow && !t->group_stop &&
		    ptrace(PTRACE_INTERRUPT, t->tid, NULL, NULL) == 0)
			t->pending = 1;
	}
	wait_all(p, clock_now_ns() / 1000u + WAIT_MAX_US);
	for (int i = 0; i < p->n; i++) {
		struct tracee *t = &p->t[i];
		if (t->tid)
			ptrace(PTRACE_DETACH, t->tid, NULL, (void *)(long)t->signal);
	}
	free(p);
}
