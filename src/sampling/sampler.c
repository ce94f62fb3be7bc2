/* sampler: the sampling thread: rounds over every thread state, each
 * thread's stack, OS state and GIL ownership, sent as ring records. */
#include "sampling/sampler.h"

#include <errno.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpython/gil.h"
#include "cpython/stack.h"
#include "cpython/thread.h"
#include "errors.h"
#include "sampling/sample.h"
#include "target/memory.h"
#include "target/pause.h"
#include "target/proc.h"
#include "target/tasks.h"

#define MAX_INTERPS 64
#define MAX_THREADS 1024
#define NAMES_EVERY_NS 2000000000ull   /* refresh thread names every 2 s */
#define NAMES_MIN_NS 100000000ull      /* ... or on a new thread, at most 10/s */
#define GONE_ROUNDS 3                  /* failed rounds before declaring the target gone */

/* A thread state as the previous round saw it, in walk order: its syscall
 * file is read right after the GIL state, before the stacks are walked, so
 * that the holder and every thread's OS state describe the same instant. */
struct round_thread {
	uint64_t tstate;
	pid_t tid;
	int interp;               /* index into interps[] / gils[] */
};

struct known_thread {
	uint64_t pthread_id;
	pid_t tid;
	char name[THREAD_NAME_MAX];
	int sent;                 /* REC_THREAD sent for this name */
	uint64_t seen;            /* the last round it was sampled in */
};

struct sampler {
	struct py_target *t;
	struct ring *ring;
	struct tasks *tasks;
	struct pause *pause;
	pthread_t thread;
	atomic_bool stop;
	_Atomic double rate_hz;

	/* counters (written by the sampler thread, read by anyone) */
	_Atomic uint64_t rounds, samples, errors, late, busy_ns, cpu_ns, reads;
	atomic_bool gone;

	/* preallocated working memory */
	uint64_t interps[MAX_INTERPS];
	uint64_t gils[MAX_INTERPS];       /* each interpreter's GIL state (0 unknown) */
	int gil_first[MAX_INTERPS];       /* index of the first interpreter sharing gils[i] */
	struct gil_state gil_now[MAX_INTERPS];
	bool gil_read[MAX_INTERPS];
	unsigned char gil_buf[MAX_INTERPS][GIL_READ_MAX];
	int ninterps;
	struct round_thread *prev, *cur;  /* last round's threads, this round's */
	uint8_t *prev_state;              /* prev[i]'s state read at this round's start */
	int nprev, ncur;
	struct stack_frame *frames;
	struct sample_rec *rec;
	struct func_def_rec *def;
	struct known_thread known[MAX_THREADS];
	int nknown;
	uint64_t ids[MAX_THREADS];
	char (*names)[THREAD_NAME_MAX];
	uint64_t names_at;
	int new_thread;
	int failed_rounds;
};

static uint64_t now_ns(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Send a function's definition once, before its first use. */
static bool send_func(struct sampler *s, struct func_info *f)
{
	size_t nlen = strnlen(f->name, SAMPLE_NAME_MAX - 1);
	size_t flen = strnlen(f->file, SAMPLE_FILE_MAX - 1);
	size_t size = sizeof *s->def + nlen + 1 + flen + 1;
	size = (size + 7) & ~(size_t)7;
	memset(s->def, 0, size);
	s->def->h.type = REC_DEFINE_FUNC;
	s->def->h.size = (uint32_t)size;
	s->def->func_id = f->id;
	s->def->firstlineno = f->firstlineno;
	s->def->name_len = (uint16_t)nlen;
	s->def->file_len = (uint16_t)flen;
	memcpy(s->def->strings, f->name, nlen);
	memcpy(s->def->strings + nlen + 1, f->file, flen);
	if (!ring_push(s->ring, &s->def->h))
		return false;
	f->defined = 1;
	return true;
}

/* Forget threads not sampled in the last round (they ended), keeping the
 * order of the others. */
static void known_prune(struct sampler *s, uint64_t round)
{
	int n = 0;
	for (int i = 0; i < s->nknown; i++)
		if (s->known[i].seen + 1 >= round)
			s->known[n++] = s->known[i];
	s->nknown = n;
}

static struct known_thread *known_find(struct sampler *s, uint64_t pthread_id, pid_t tid)
{
	uint64_t round = atomic_load_explicit(&s->rounds, memory_order_relaxed);
	for (int i = 0; i < s->nknown; i++) {
		if (s->known[i].pthread_id == pthread_id && s->known[i].tid == tid) {
			s->known[i].seen = round;
			return &s->known[i];
		}
	}
	if (s->nknown == MAX_THREADS)
		known_prune(s, round);
	if (s->nknown == MAX_THREADS)
		return NULL;
	struct known_thread *k = &s->known[s->nknown++];
	memset(k, 0, sizeof *k);
	k->pthread_id = pthread_id;
	k->tid = tid;
	k->seen = round;
	s->new_thread = 1;
	return k;
}

/* Look the threads' names up (threading._active, else the kernel comm) and
 * send the ones that changed. */
static void refresh_names(struct sampler *s, uint64_t now)
{
	int n = s->nknown;
	for (int i = 0; i < n; i++) {
		s->ids[i] = s->known[i].pthread_id;
		s->names[i][0] = 0;
	}
	thread_python_names(s->t, s->ids, s->names, n);
	for (int i = 0; i < n; i++) {
		struct known_thread *k = &s->known[i];
		if (!s->names[i][0] && k->tid > 0)
			proc_task_comm(s->t->pid, k->tid, s->names[i], THREAD_NAME_MAX);
		if (!s->names[i][0] || (k->sent && strcmp(k->name, s->names[i]) == 0))
			continue;
		memcpy(k->name, s->names[i], THREAD_NAME_MAX);
		struct thread_rec r;
		memset(&r, 0, sizeof r);
		r.h.type = REC_THREAD;
		r.h.size = sizeof r;
		r.tid = (uint32_t)k->tid;
		memcpy(r.name, k->name, sizeof r.name);
		r.name[sizeof r.name - 1] = 0;
		k->sent = ring_push(s->ring, &r.h);
	}
	s->names_at = now;
	s->new_thread = 0;
}

static enum thread_state classify(struct sampler *s, pid_t tid, int interp)
{
	struct task_activity a;
	if (tid <= 0 || tasks_read(s->tasks, tid, &a) < 0)
		return THREAD_UNKNOWN;
	if (a.running)
		return THREAD_RUNNING;
	if (gil_is_wait(&s->t->L, s->gils[interp], a.syscall, a.arg0))
		return THREAD_GIL_WAIT;
	return THREAD_IDLE;
}

/* Sample one thread state (the k-th of the round, of interpreter interp);
 * returns the next one, or 0 at the end / error. */
static uint64_t sample_thread(struct sampler *s, uint64_t tstate, int k, int interp, uint64_t round_ns,
			      int *errors)
{
	struct thread_info ti;
	int flags = 0;
	int depth = stack_walk(s->t, tstate, &ti, s->frames, SAMPLE_MAX_DEPTH, &flags);

	if (depth < 0) {
		(*errors)++;
		/* Without the thread state we cannot go on down the list. */
		return depth == PYTOP_ECORRUPT && ti.tstate ? ti.next : 0;
	}
	if (ti.tid <= 0 && ti.pthread_id && s->t->pthread_tid_offset >= 0)
		ti.tid = thread_tid_of(s->t, ti.pthread_id);
	if (!known_find(s, ti.pthread_id, ti.tid))
		return ti.next;
	/* The OS state read at the round's start when this is the same thread
	 * state at the same place in the list, else now. */
	enum thread_state state;
	if (k < s->nprev && s->prev[k].tstate == tstate && s->prev[k].tid == ti.tid && s->prev[k].interp == interp)
		state = (enum thread_state)s->prev_state[k];
	else
		state = classify(s, ti.tid, interp);
	if (k < MAX_THREADS) {
		s->cur[k].tstate = tstate;
		s->cur[k].tid = ti.tid;
		s->cur[k].interp = interp;
		s->ncur = k + 1;
	}
	const struct gil_state *g = &s->gil_now[s->gil_first[interp]];
	bool holds = s->gil_read[s->gil_first[interp]] && g->holder == tstate;

	struct sample_rec *r = s->rec;
	for (int i = 0; i < depth; i++) {
		if (!s->frames[i].func->defined && !send_func(s, s->frames[i].func))
			return ti.next;   /* ring full: the sample is dropped (counted) */
		r->frames[i].func_id = s->frames[i].func->id;
		r->frames[i].line = s->frames[i].line;
	}
	r->h.type = REC_SAMPLE;
	r->h.size = (uint32_t)(sizeof *r + (size_t)depth * sizeof r->frames[0]);
	r->h.size = (r->h.size + 7) & ~7u;
	r->time_ns = round_ns;
	r->tid = (uint32_t)ti.tid;
	r->state = (uint8_t)state;
	r->flags = (uint8_t)((holds ? SAMPLE_F_HOLDS_GIL : 0) |
			     (flags & STACK_TRUNCATED ? SAMPLE_F_TRUNCATED : 0));
	r->depth = (uint16_t)depth;
	ring_push(s->ring, &r->h);
	atomic_fetch_add_explicit(&s->samples, 1, memory_order_relaxed);
	return ti.next;
}

/* The GIL part of a round's tick. */
struct round_gil {
	uint64_t switches;        /* sum of the GILs' switch numbers */
	uint16_t flags;           /* TICK_GIL_* */
	uint8_t count, held;      /* GILs read, GILs locked */
};

/* Read every distinct GIL state in one process_vm_readv, then the syscall
 * file of every thread the last round saw: one instant for all of them. */
static void read_gil_and_states(struct sampler *s, struct round_gil *rg)
{
	const struct py_layout *L = &s->t->L;
	struct mem_iov iov[MAX_INTERPS];
	int idx[MAX_INTERPS], n = 0;
	size_t len = gil_read_size(L);

	memset(rg, 0, sizeof *rg);
	for (int i = 0; i < s->ninterps; i++) {
		s->gil_read[i] = false;
		if (s->gils[i] && s->gil_first[i] == i) {
			iov[n] = (struct mem_iov){ s->gils[i], s->gil_buf[i], len };
			idx[n++] = i;
		}
	}
	int got = n ? mem_readv(s->t->pid, iov, n) : 0;
	for (int k = 0; k < got; k++) {
		int i = idx[k];
		gil_parse(L, s->gil_buf[i], &s->gil_now[i]);
		s->gil_read[i] = true;
		rg->count++;
		rg->switches += s->gil_now[i].switch_number;
		if (!s->gil_now[i].enabled)
			rg->flags |= TICK_GIL_DISABLED;
		else if (s->gil_now[i].locked)
			rg->held++;
	}
	if (rg->count)
		rg->flags |= TICK_GIL_KNOWN;
	for (int k = 0; k < s->nprev; k++)
		s->prev_state[k] = (uint8_t)classify(s, s->prev[k].tid, s->prev[k].interp);
}

/* One round over every interpreter's thread states. Returns threads sampled,
 * or a negative error when the target could not be read at all. */
static int sample_round(struct sampler *s, uint64_t round_ns, int *errors, struct round_gil *rg)
{
	const struct py_layout *L = &s->t->L;
	int n = 0;

	read_gil_and_states(s, rg);
	/* --blocking: stop the threads only now, after their OS states were
	 * read (a stopped thread would read as not running). */
	if (s->pause)
		pause_stop(s->pause);
	s->ncur = 0;
	for (int i = 0; i < s->ninterps; i++) {
		uint64_t ts;
		int rc = mem_read_ptr(s->t->pid, s->interps[i] + (uint64_t)L->interp_threads_head, &ts);
		if (rc < 0)
			return rc;
		for (int guard = 0; ts && guard < MAX_THREADS; guard++, n++)
			ts = sample_thread(s, ts, n, i, round_ns, errors);
	}
	/* This round's threads are the next round's early reads. */
	struct round_thread *tmp = s->prev;
	s->prev = s->cur;
	s->cur = tmp;
	s->nprev = s->ncur;
	return n;
}

static void send_tick(struct sampler *s, int type, uint64_t start, uint64_t dur, int n, int errors,
		      const struct round_gil *rg, int status)
{
	struct tick_rec r;
	memset(&r, 0, sizeof r);
	r.h.type = (uint16_t)type;
	r.h.size = sizeof r;
	r.time_ns = start;
	r.duration_ns = dur;
	r.nthreads = (uint32_t)(n > 0 ? n : 0);
	r.errors = (uint32_t)errors;
	r.gil_switches = rg->switches;
	r.gil_flags = rg->flags;
	r.gil_count = rg->count;
	r.gil_held = rg->held;
	r.exit_status = status;
	ring_push(s->ring, &r.h);
}

static void *sampler_main(void *arg)
{
	struct sampler *s = arg;
	uint64_t next = now_ns(CLOCK_MONOTONIC);

	/* Wake at the deadline, not up to 50 us later (the default slack). */
	prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);

	while (!atomic_load(&s->stop)) {
		uint64_t start = now_ns(CLOCK_MONOTONIC);
		struct round_gil rg;
		int errors = 0, n;

		n = sample_round(s, start, &errors, &rg);
		if (s->pause)
			pause_resume(s->pause);
		uint64_t end = now_ns(CLOCK_MONOTONIC);

		if (n <= 0 && proc_check(s->t->pid) != 0)
			s->failed_rounds = GONE_ROUNDS;
		else if (n < 0)
			s->failed_rounds++;
		else
			s->failed_rounds = 0;
		if (s->failed_rounds >= GONE_ROUNDS) {
			send_tick(s, REC_TARGET_EXIT, start, end - start, 0, 0, &rg, -1);
			atomic_store(&s->gone, true);
			break;
		}
		send_tick(s, REC_TICK, start, end - start, n, errors, &rg, 0);
		if (s->new_thread ? end - s->names_at > NAMES_MIN_NS : end - s->names_at > NAMES_EVERY_NS)
			refresh_names(s, end);

		atomic_fetch_add_explicit(&s->rounds, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&s->errors, (uint64_t)errors, memory_order_relaxed);
		atomic_fetch_add_explicit(&s->busy_ns, end - start, memory_order_relaxed);
		atomic_store_explicit(&s->cpu_ns, now_ns(CLOCK_THREAD_CPUTIME_ID), memory_order_relaxed);
		atomic_store_explicit(&s->reads, mem_syscalls(), memory_order_relaxed);

		/* Absolute deadlines. A round that starts late runs at once and
		 * the schedule catches up; more than two periods behind, the
		 * schedule starts again from now (those rounds are lost). */
		uint64_t period = (uint64_t)(1e9 / atomic_load(&s->rate_hz));
		next += period;
		uint64_t after = now_ns(CLOCK_MONOTONIC);
		if (next < after) {
			atomic_fetch_add_explicit(&s->late, 1, memory_order_relaxed);
			if (after - next > 2 * period)
				next = after;
			continue;
		}
		struct timespec ts = { (time_t)(next / 1000000000ull), (long)(next % 1000000000ull) };
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR && !atomic_load(&s->stop))
			;
	}
	/* ptrace ties the tracees to this thread: let them go from here. */
	pause_destroy(s->pause);
	s->pause = NULL;
	return NULL;
}

/* Enumerate the thread states once to learn the tids (3.8-3.10). */
static void prepare_tids(struct sampler *s)
{
	int n = 0, flags;
	struct thread_info ti;
	for (int i = 0; i < s->ninterps; i++) {
		uint64_t ts;
		if (mem_read_ptr(s->t->pid, s->interps[i] + (uint64_t)s->t->L.interp_threads_head, &ts) < 0)
			return;
		while (ts && n < MAX_THREADS && stack_walk(s->t, ts, &ti, s->frames, 1, &flags) >= 0) {
			s->ids[n++] = ti.pthread_id;
			ts = ti.next;
		}
	}
	thread_calibrate_tids(s->t, s->ids, n);
}

/* Free the sampler's memory (its thread is not running). */
static void sampler_free(struct sampler *s)
{
	tasks_destroy(s->tasks);
	free(s->frames);
	free(s->rec);
	free(s->def);
	free(s->names);
	free(s->prev);
	free(s->cur);
	free(s->prev_state);
	free(s);
}

struct sampler *sampler_start(struct py_target *t, struct ring *r, const struct sampler_config *cfg,
			      char *err, size_t errcap)
{
	struct sampler *s = xcalloc(1, sizeof *s);
	int rc;

	s->t = t;
	s->ring = r;
	atomic_store(&s->rate_hz, cfg->rate_hz > 0 ? cfg->rate_hz : 1000.0);
	s->ninterps = pyrt_interpreters(t, s->interps, MAX_INTERPS);
	if (s->ninterps <= 0) {
		snprintf(err, errcap, "process %d: cannot read its interpreters: %s", (int)t->pid,
			 pytop_strerror(s->ninterps < 0 ? s->ninterps : PYTOP_ECORRUPT));
		free(s);
		return NULL;
	}
	for (int i = 0; i < s->ninterps; i++) {
		s->gils[i] = pyrt_gil_addr(t, s->interps[i]);
		s->gil_first[i] = i;
		for (int j = 0; j < i; j++)
			if (s->gils[j] == s->gils[i]) {
				s->gil_first[i] = j;
				break;
			}
	}
	s->prev = xcalloc(MAX_THREADS, sizeof *s->prev);
	s->cur = xcalloc(MAX_THREADS, sizeof *s->cur);
	s->prev_state = xcalloc(MAX_THREADS, sizeof *s->prev_state);
	s->tasks = tasks_create(t->pid);
	s->frames = xcalloc(SAMPLE_MAX_DEPTH, sizeof *s->frames);
	s->rec = xcalloc(1, sizeof *s->rec + SAMPLE_MAX_DEPTH * sizeof s->rec->frames[0] + 8);
	s->def = xcalloc(1, sizeof *s->def + SAMPLE_NAME_MAX + SAMPLE_FILE_MAX + 16);
	s->names = xcalloc(MAX_THREADS, sizeof *s->names);
	if (cfg->blocking) {
		s->pause = pause_create(t->pid, err, errcap);
		if (!s->pause)
			goto fail;
	}
	prepare_tids(s);
	if ((rc = pthread_create(&s->thread, NULL, sampler_main, s)) != 0) {
		snprintf(err, errcap, "cannot start the sampler thread: %s", strerror(rc));
		goto fail;
	}
	return s;
fail:
	pause_destroy(s->pause);
	sampler_free(s);
	return NULL;
}

void sampler_stop(struct sampler *s)
{
	if (!s)
		return;
	atomic_store(&s->stop, true);
	pthread_join(s->thread, NULL);
	sampler_free(s);
}

void sampler_set_rate(struct sampler *s, double rate_hz)
{
	if (rate_hz > 0)
		atomic_store(&s->rate_hz, rate_hz);
}

void sampler_get_stats(struct sampler *s, struct sampler_stats *out)
{
	out->rounds = atomic_load(&s->rounds);
	out->samples = atomic_load(&s->samples);
	out->errors = atomic_load(&s->errors);
	out->late = atomic_load(&s->late);
	out->busy_ns = atomic_load(&s->busy_ns);
	out->cpu_ns = atomic_load(&s->cpu_ns);
	out->reads = atomic_load(&s->reads);
	out->rate_hz = atomic_load(&s->rate_hz);
	out->target_gone = atomic_load(&s->gone);
}
