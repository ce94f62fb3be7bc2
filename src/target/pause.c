/* pause: ptrace-based stop-the-world for exact stacks. */
#include "target/pause.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include "errors.h"
#include "target/proc.h"

#define MAX_TIDS 1024

struct tracee {
	pid_t tid;
	int stopped;
	int signal;          /* signal to deliver on resume */
};

struct pause {
	pid_t pid;
	struct tracee t[MAX_TIDS];
	int n;
	pid_t scratch[MAX_TIDS];
};

struct pause *pause_create(pid_t pid, char *err, size_t errcap)
{
	/* Probe that ptrace is allowed at all, from this thread. */
	if (ptrace(PTRACE_SEIZE, pid, NULL, NULL) < 0) {
		snprintf(err, errcap, "--blocking: cannot ptrace process %d: %s (needs CAP_SYS_PTRACE or "
			 "kernel.yama.ptrace_scope=0)", (int)pid, strerror(errno));
		return NULL;
	}
	ptrace(PTRACE_INTERRUPT, pid, NULL, NULL);
	int st;
	waitpid(pid, &st, __WALL);
	ptrace(PTRACE_DETACH, pid, NULL, NULL);
	struct pause *p = xcalloc(1, sizeof *p);
	p->pid = pid;
	return p;
}

static struct tracee *find(struct pause *p, pid_t tid)
{
	for (int i = 0; i < p->n; i++)
		if (p->t[i].tid == tid)
			return &p->t[i];
	return NULL;
}

static void wait_stop(struct tracee *t)
{
	int st;
	for (;;) {
		pid_t r = waitpid(t->tid, &st, __WALL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || WIFEXITED(st) || WIFSIGNALED(st)) {
			t->tid = 0;   /* gone */
			return;
		}
		if (WIFSTOPPED(st)) {
			/* An interrupt stop is PTRACE_EVENT_STOP; anything else is a
			 * signal the thread must still get when it resumes. */
			if ((st >> 16) != PTRACE_EVENT_STOP && WSTOPSIG(st) != SIGTRAP)
				t->signal = WSTOPSIG(st);
			t->stopped = 1;
			return;
		}
	}
}

int pause_stop(struct pause *p)
{
	int n = proc_tasks(p->pid, p->scratch, MAX_TIDS), stopped = 0;

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
			if (p->n == MAX_TIDS || ptrace(PTRACE_SEIZE, p->scratch[i], NULL, NULL) < 0)
				continue;
			t = &p->t[p->n++];
			memset(t, 0, sizeof *t);
			t->tid = p->scratch[i];
		}
		if (ptrace(PTRACE_INTERRUPT, t->tid, NULL, NULL) < 0)
			t->tid = 0;
	}
	for (int i = 0; i < p->n; i++) {
		if (p->t[i].tid) {
			wait_stop(&p->t[i]);
			stopped += p->t[i].stopped;
		}
	}
	return stopped;
}

void pause_resume(struct pause *p)
{
	for (int i = 0; i < p->n; i++) {
		struct tracee *t = &p->t[i];
		if (!t->tid || !t->stopped)
			continue;
		ptrace(PTRACE_CONT, t->tid, NULL, (void *)(long)t->signal);
		t->signal = 0;
		t->stopped = 0;
	}
}

void pause_destroy(struct pause *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->n; i++) {
		struct tracee *t = &p->t[i];
		if (!t->tid)
			continue;
		if (!t->stopped && ptrace(PTRACE_INTERRUPT, t->tid, NULL, NULL) == 0)
			wait_stop(t);
		if (t->tid)
			ptrace(PTRACE_DETACH, t->tid, NULL, (void *)(long)t->signal);
	}
	free(p);
}
