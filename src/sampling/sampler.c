/* sampler: the sampling thread: rounds over every thread state, each
 * thread's stack, OS state and GIL ownership, sent as ring records. A
 * thread that stayed blocked since its last walk (its schedstat did not
 * move) has its last stack sent again (struct kept_stack). */
#include "sampling/sampler.h"

#include <errno.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cpython/fields.h"
#include "cpython/gil.h"
#include "cpython/pystring.h"
#include "cpython/rlist.h"
#include "cpython/stack.h"
#include "cpython/thread.h"
#include "errors.h"
#include "sampling/mixed.h"
#include "sampling/native.h"
#include "sampling/sample.h"
#include "process/memory.h"
#include "process/pause.h"
#include "process/proc.h"
#include "process/symbols.h"
#include "process/tasks.h"
#include "util/addrset.h"
#include "util/clock.h"
#include "util/pace.h"

#define MAX_INTERPS 64
#define MAX_THREADS 1024
#define GSELF_MAX 16             /* bytes of a thread state read for its GIL flags */
#define NAMES_EVERY_NS 2000000000ull   /* refresh every thread's name every 2 s */
#define NAME_WAIT_NS 50000000ull       /* looked up this long in vain: the kernel name is used */
#define NAME_RETRY_NS 100000000ull     /* then looked up again after 0.1 s, 0.2 s, ... */
#define CALIBRATE_NS 100000000ull      /* retry the pthread-to-tid match every 100 ms */
#define DEFERRED_MAX 64                /* empty stacks put off to the end of a round */
#define GONE_ROUNDS 3                  /* failed rounds before declaring the target gone */
#define BEYOND_MAX 16384               /* count_beyond reads at most this many */
#define SWEEP_NS 100000000ull          /* close dead threads' syscall files every 100 ms */
#define ENDED_MAX 256                  /* ended threads waiting for the process's leftover CPU */
#define ENDED_KEEP_NS 100000000ull     /* ... for at most 100 ms */
#define WALK_RETRIES 2                 /* walks again at once after a stack torn while read */
#define ROOT_TRIES 4                   /* reads of a thread's name from its _bootstrap frame */
#define GONE_WAIT_NS 100000000ull      /* a thread out of the list is looked for in /proc this long */
#define SENT_SLOTS 65536               /* func ids remembered as announced; power of two */
/* A func id's slot in sent[]: hashed, for the native ids (from
 * SYMBOLS_ID_BASE, 2^31) would share their low bits with the Python ones
 * (from 1): a stack with both pushed each other out at every sample. */
#define SENT_SLOT(id) (((uint32_t)(id) * 2654435761u) >> 16)   /* (16 bits: SENT_SLOTS) */
#define ACCOUNT_EVERY_NS 10000000ull   /* the process's CPU is shared out at most every 10 ms */
#define SCAN_EVERY_NS 100000000ull     /* /proc/PID/task listed at least every 100 ms */
/* The round's batch: the GILs, each thread's GIL flags, the heads, two
 * ranges per thread whose stack may be kept. */
#define PIOV_MAX (MAX_INTERPS * GIL_REGIONS_MAX + MAX_INTERPS + 3 * MAX_THREADS)
#define FOREIGN_MAX 256                /* threads without a thread state followed (more: see
					* foreign_over) */
#define LIST_MAX 4096                  /* tids of one listing of /proc/PID/task */
#define CPU_READ_NS 10000000ull        /* the sampler reads its own CPU time this often */
/* A round woken this long after its deadline ran when the scheduler
 * let the sampler run: at a tick, when the cores switch threads. A thread
 * that waits for its core was then mostly just switched back in: the
 * function after the place it was preempted at (with 5 CPU hogs on 2
 * CPUs, late rounds found a 1:2:3 target's first function in 37-45 % of
 * their samples, against its 16 % of the CPU; rounds late by under
 * 100 us, 16.1 %). Typical wake-up latency here: 20-40 us. */
#define ROUND_LATE_NS 100000ull
/* ... unless that many of the last rounds (about 64) began late: the
 * sampler itself is starved of CPU, and leaving such rounds out would
 * leave out all its samples of those threads (cpu mode: their CPU shown
 * nowhere until they block) rather than some. The share starts at 0: a
 * sampler starved from attach leaves out its first 45 or so late rounds. */
#define LATE_SHARE_MAX 0.5
#define TIDSET_SLOTS 2048              /* the known tids' hash set (over MAX_THREADS, power of two) */
#define VISIT_SLOTS 4096               /* a round's visited thread states (over 2 * MAX_THREADS,
					* power of two) */
#define LIST_RESUMES 2                 /* walks of a thread list again from its head after it led
					* out of its interpreter, per list and round */
#define PAUSE_FINE 1000                /* pause histogram: 1 us bins up to 1 ms, */
#define PAUSE_BINS (PAUSE_FINE + 991)  /* ... then 100 us bins up to 100 ms, then one more */
#define NATIVE_SWEEP_NS 1000000000ull  /* ended threads' unwind contexts dropped every 1 s */
#define NATIVE_STOP_WAIT_US 20000u     /* --native: the longest wait for a round's threads to stop */
#define REUSE_SLOTS 64                 /* --native: threads whose last unwind is kept for reuse, by
					* tid (power of two) */

const char *const error_kind_names[ERR_KINDS] = { "torn", "unreadable", "other" };

/* The markers a mixed stack may carry (ids below the native ones). */
static const struct func_info native_partial_fn = { SYMBOLS_ID_BASE - 1, 0, "(native stack incomplete)", "<pytop>" };
static const struct func_info native_unmatched_fn = { SYMBOLS_ID_BASE - 2, 0, "(native and Python stacks differ)",
						      "<pytop>" };

/* A thread state as the previous round saw it, in walk order: its syscall
 * file is read right after the GIL state, before the stacks are walked, so
 * that the holder and every thread's OS state describe the same instant. */
struct round_thread {
	uint64_t tstate;
	pid_t tid;
	int interp;               /* index into interps[] / gils[] */
};

/* The stack a thread's sample of the previous round sent (by its position
 * in the round, like struct round_thread). A thread blocked in a system
 * call that has not run since the syscall reading taken before that walk
 * (the reading reused: the same stamp) has the same stack: it is sent
 * again, after one read of the thread state for the list's next link and
 * the frame chain's head. */
struct kept_stack {
	uint64_t tstate, head, pthread_id;
	uint64_t reading;         /* the syscall reading's stamp before the walk (0: none) */
	int64_t inner_off;        /* the walk's innermost instruction offset (-1: none) */
	pid_t tid;
	uint16_t depth;
	uint8_t flags;            /* the walk's STACK_* flags */
	struct sample_frame f[SAMPLE_MAX_DEPTH];
};

/* --native: a thread's last unwind, and what it can be known again by
 * without stopping the thread: the call it was stopped in and its Python
 * stack then, to the innermost instruction (see native_reuse()). */
struct native_reuse {
	pid_t tid;                /* 0: empty */
	uint64_t tstate;
	int interp;
	struct native_call call;
	uint64_t ips[NATIVE_MAX_DEPTH];
	int nn;                   /* ips */
	bool partial;             /* the unwind's partial */
	int depth, flags;         /* the Python walk while stopped */
	int64_t inner_off;
	struct { uint32_t func_id; int32_t line; uint8_t entry; } py[SAMPLE_MAX_DEPTH];
};

/* A thread's CPU time used since its previous sample. */
struct thread_cpu {
	uint64_t ns;
	bool known;
	bool off;      /* "running", but waiting for a core (tasks_on_cpu) */
	bool untold;   /* ... or not told this round (its budget) */
};

/* A thread state with an empty stack, sampled at the end of the round. */
struct deferred {
	uint64_t tstate, pthread_id;
	pid_t tid;
	int k, interp, flags;
};

struct known_thread {
	uint64_t pthread_id;
	pid_t tid;
	char name[THREAD_NAME_MAX];
	int sent;                 /* REC_THREAD sent for this name */
	int named;                /* named by threading (_active, or its own _bootstrap frame) */
	uint8_t root_tries;       /* its _bootstrap frame's self looked at (ROOT_TRIES at most) */
	int tries;                /* 1 once threading gave up on it (kernel name used) */
	uint8_t comm_guess;       /* its name is the kernel's, taken when threading did not name
				   * it: maybe inherited, no evidence of another's own name */
	uint64_t first_try;       /* the first lookup that did not find it (0: none yet) */
	uint64_t retry_at;        /* kernel-named: when to look it up in threading again */
	uint64_t backoff_ns;      /* ... and the wait after that, doubling to NAMES_EVERY_NS */
	uint64_t seen;            /* the last round it was sampled in */
	uint64_t sampled;         /* round + 1 of its last sample (one per round) */
	uint8_t last_state;       /* the state its last sample was sent with */
	uint8_t gone;             /* ended: its kernel thread is gone (note_ended) */
	uint64_t last_ns;         /* its last sample's round time */
	uint64_t missed_at;       /* the first round it was not in the list since (0: in it) */
};

struct sampler {
	struct pace pace;                 /* the jittered gaps between rounds */
	struct py_target *t;
	struct stack_cache *cache;        /* the walker's caches: this sampler's own */
	struct ring *ring;
	struct tasks *tasks;
	struct pause *pause;
	pthread_t thread;
	atomic_bool stop;
	_Atomic double rate_hz;

	/* counters (written by the sampler thread, read by anyone) */
	_Atomic uint64_t rounds, samples, errors, late, busy_ns, cpu_ns, reads;
	_Atomic uint64_t state_reused, state_mismatches, stacks_kept, stack_mismatches;
	_Atomic uint64_t schedstat_skipped, switch_mismatches, confirms_skipped, confirm_mismatches;
	_Atomic uint64_t reopened_reads;
	_Atomic uint64_t walks_retried, lists_resumed, off_cpu_samples, sched_reads, late_samples;
	_Atomic uint64_t errors_kind[ERR_KINDS];   /* errors by kind (sampler_stats) */
	uint64_t vouch_wrong;             /* checking: vouched walks the second look refuted */
	uint64_t walks_retried_n;         /* walks run again after a stack torn while read */
	uint64_t off_cpu_n;               /* samples of threads found waiting for a core */
	uint64_t late_n;                  /* contended threads' samples not told: the round began late */
	bool round_late;                  /* this round began ROUND_LATE_NS or more after its deadline */
	bool late_untold;                 /* ... and its contended threads are not told (LATE_SHARE_MAX) */
	double late_share;                /* the share of late rounds, over about the last 64 */
	uint64_t list_resumed_n;          /* thread lists walked again from their head */
	uint64_t errors_kind_n[ERR_KINDS]; /* errors by kind: torn, unreadable, other */
	int64_t walk_inner_off;           /* the last walk's innermost instruction offset (keep_stack) */
	uint64_t state_mismatches_n;      /* (the sampler thread's count) */
	_Atomic uint64_t not_sampled;     /* most threads a round could not sample (over MAX_THREADS) */
	atomic_bool gone;

	/* preallocated working memory */
	uint64_t interps[MAX_INTERPS];
	int interps_beyond;               /* interpreters over MAX_INTERPS, not sampled */
	struct gil_where gils[MAX_INTERPS]; /* each interpreter's GIL (addr 0: unknown) */
	int gil_first[MAX_INTERPS];       /* index of the first interpreter sharing gils[i] */
	struct gil_state gil_now[MAX_INTERPS];
	bool gil_read[MAX_INTERPS];
	unsigned char gil_buf[MAX_INTERPS][GIL_READ_MAX];
	int ninterps;
	struct round_thread *prev, *cur;  /* last round's threads, this round's */
	uint8_t *prev_state;              /* prev[i]'s state read at this round's start (STATE_PACK) */
	uint64_t *prev_reading;           /* ... the stamp of the syscall reading it came from */
	struct kept_stack *prev_kept, *cur_kept; /* last round's stacks, this round's */
	bool check;                       /* PYTOP_SAMPLER_CHECK=1: walk anyway, compare */
	bool gil_self;                    /* the thread states say who holds and who waits
					   * (layout tstate_holds_gil and tstate_gil_requested;
					   * PYTOP_GIL_STRUCT=1: the GIL struct's holder instead) */
	int32_t gself_lo, gself_len;      /* the bytes of a thread state holding both flags */
	unsigned char (*gself_buf)[GSELF_MAX]; /* MAX_THREADS, by prev index */
	int8_t *gself_holds, *gself_req;  /* MAX_THREADS: the flags read (-1: not read) */
	int gself_holders[MAX_INTERPS];   /* threads saying they hold gils[i] this round */
	uint64_t gself_holder[MAX_INTERPS]; /* ... the (last) one, 0: none */
	int gself_nread[MAX_INTERPS];     /* threads of gils[i] whose flags were read */
	/* Read in one batch after the round's states: every interpreter's
	 * thread-list head, and the thread states (and 3.8-3.10 pthread tids)
	 * of the threads whose stacks may be kept (prefetch). */
	struct mem_iov *piov;             /* PIOV_MAX: the round's batch (round_reads) */
	uint64_t heads[MAX_INTERPS];
	bool head_ok[MAX_INTERPS];
	unsigned char (*tsbuf)[LAYOUT_TSTATE_MAX]; /* MAX_THREADS, by prev index */
	uint32_t *ptid;                   /* MAX_THREADS */
	bool *pre_ok;                     /* MAX_THREADS: tsbuf[k] (and ptid[k]) read this round */
	int *pre_at, *pre_end;            /* MAX_THREADS: k's ranges in piov, [at, end) (at -1: none) */
	int head_at, gself_at;            /* where the heads and the GIL flags start in piov */
	int gil_start[MAX_INTERPS];       /* where each GIL's ranges start in piov */
	uint64_t kept_n, kept_bad;        /* stacks kept (checking: would have been), wrong */
	struct thread_cpu *prev_cpu;      /* prev[i]'s CPU delta read with its state */
	int prev_hint;                    /* where to look in prev[] first */
	uint64_t round_start, round_gap;  /* this round's start, and since the previous one (0: first) */
	int nprev, ncur;
	struct stack_frame *frames;
	/* --native: the unwinder, symbols, and one thread's stacks. */
	struct native *native;
	struct symbols *syms;
	bool native_all;
	bool one_by_one;                  /* --native without --blocking: each thread stopped alone,
					   * when its stack is walked (not a kept one), and let go */
	uint64_t *ips;                    /* NATIVE_MAX_DEPTH */
	struct native_reuse *reuse;       /* REUSE_SLOTS */
	struct native_call *call;         /* one native_last_call() */
	struct native_reuse *reuse_copy;  /* checking: the reusable unwind, before the new one */
	bool native_check;                /* PYTOP_NATIVE_CHECK=1: unwind the reusable too, compare */
	struct task_activity *prev_act;   /* MAX_THREADS: prev[i]'s syscall reading (prev_state's) */
	struct mixed_frame *nat, *py, *mixed; /* NATIVE_MAX_DEPTH, SAMPLE_MAX_DEPTH, SAMPLE_MAX_DEPTH */
	bool use_mixed;                   /* the walk's stack is in mixed[] */
	uint64_t native_swept_at, paused_at;
	_Atomic uint32_t pause_hist[PAUSE_BINS];
	_Atomic uint64_t native_pauses, native_partial, native_unmatched;
	uint64_t nc[NC_N];                /* enum native_count (the sampler thread's) */
	_Atomic uint64_t nc_pub[NC_N];    /* ... as of the last round's end */
	struct sample_rec *rec;
	struct func_def_rec *def;
	uint32_t *sent;                   /* SENT_SLOTS: sent[SENT_SLOT(id)] == id once id's
					   * DEFINE is in the ring (ids never change meaning: one
					   * pushed out of its slot is just announced again) */
	struct known_thread known[MAX_THREADS];
	int nknown;
	uint64_t ids[MAX_THREADS];
	pid_t tids[MAX_THREADS];
	char (*names)[THREAD_NAME_MAX];
	char proc_comm[THREAD_NAME_MAX];   /* the process's own kernel name (kernel_name_now), once read */
	uint64_t names_at, all_names_at, calibrate_at;
	uint64_t cpu_at;                  /* the sampler's CPU time was last read then */
	uint64_t swept_at;                /* tasks_sweep last ran then */
	uint64_t limit_counted_at;        /* the threads beyond the limit were last counted then */
	struct addrset_entry visit[VISIT_SLOTS]; /* the thread states this list walk visited */
	uint64_t visit_gen;               /* ... the walk's generation */
	bool list_left;                   /* sample_thread: the list led out of its interpreter, or
					   * could not be read on */
	int limit_skipped;                /* threads this round left out (known table full) */
	int new_thread;               /* known threads to name */
	struct thread_names_cache names_cache;
	uint32_t unidentified;        /* thread states skipped this round: no tid */
	struct deferred deferred[DEFERRED_MAX]; /* this round's empty stacks */
	int ndeferred;
	int failed_rounds;

	/* CPU time the process used that no live thread accounts for (threads
	 * that ended since their last sample): /proc/PID/stat's utime+stime,
	 * read at a round's start at most every ACCOUNT_EVERY_NS, minus every
	 * CPU delta sent since and the foreign threads' CPU. */
	uint64_t proc_base, proc_now, attributed, tick_ns;
	bool proc_known, proc_read;
	uint64_t account_at;              /* the last round the process's CPU was read */
	uint64_t scanned_at;              /* ... and /proc/PID/task was last listed */
	int scanned_count;                /* the threads that listing had (-1: unknown) */
	/* Threads with no Python thread state (native threads: BLAS pools,
	 * C libraries' workers) and threads over the limit: their CPU time is
	 * part of the process's but of no sample, and must not be shared out
	 * to threads that ended. Found in /proc with each reading of the
	 * process's CPU (a tid no sample had, in two listings in a row), their
	 * CPU read with it. With more of them than FOREIGN_MAX nothing is
	 * shared out (foreign_over). */
	pid_t foreign[FOREIGN_MAX];
	int nforeign;
	pid_t unknown_tids[FOREIGN_MAX]; /* the last listing's tids no sample had */
	int nunknown;
	bool foreign_over;
	uint64_t foreign_pending;
	pid_t *listed;                    /* LIST_MAX: one listing of /proc/PID/task */
	pid_t *tidset;                    /* TIDSET_SLOTS: the known tids, for that listing */
	struct {
		pid_t tid;
		uint64_t most_ns;         /* the CPU it can have used: since its last sample, one core */
	} ended[ENDED_MAX];               /* threads that ended since the last share-out */
	int nended;
	uint64_t ended_at;                /* when the oldest of them was added */
};

/* Send a function's definition (of that kind) before its first use. */
static bool send_func(struct sampler *s, const struct func_info *f, enum func_kind kind)
{
	size_t nlen = utf8_cut(f->name, SAMPLE_NAME_MAX - 1);
	size_t flen = utf8_cut(f->file, SAMPLE_FILE_MAX - 1);
	size_t size = sizeof *s->def + nlen + 1 + flen + 1;
	size = (size + 7) & ~(size_t)7;
	memset(s->def, 0, size);
	s->def->h.type = REC_DEFINE_FUNC;
	s->def->h.size = (uint32_t)size;
	s->def->func_id = f->id;
	s->def->firstlineno = f->firstlineno;
	s->def->name_len = (uint16_t)nlen;
	s->def->file_len = (uint16_t)flen;
	s->def->kind = (uint8_t)kind;
	memcpy(s->def->strings, f->name, nlen);
	memcpy(s->def->strings + nlen + 1, f->file, flen);
	if (!ring_push(s->ring, &s->def->h))
		return false;
	s->sent[SENT_SLOT(f->id)] = f->id;
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

/* The known thread (pthread_id, tid), made when new; NULL when the table
 * is full, or (*phantom set) when tid is no thread of the process: a thread
 * state freed (its memory reused) while it was read gives any number (1,
 * 15, 32 under a thread-per-request server), never to be shown. */
static struct known_thread *known_find(struct sampler *s, uint64_t pthread_id, pid_t tid, bool *phantom)
{
	uint64_t round = atomic_load_explicit(&s->rounds, memory_order_relaxed);
	for (int i = 0; i < s->nknown; i++) {
		if (s->known[i].pthread_id == pthread_id && s->known[i].tid == tid) {
			s->known[i].seen = round;
			s->known[i].missed_at = 0;
			s->known[i].gone = 0;
			return &s->known[i];
		}
	}
	if (!tasks_exists(s->tasks, tid)) {
		*phantom = true;
		return NULL;
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
	s->new_thread++;
	return k;
}

/* Whether another known thread state on kernel thread tid has its
 * threading name: names go by tid, and a state caught between its thread's
 * start and its ids' update (a new thread's pthread id with its creator's
 * tid) must not put the kernel's name over its creator's (MainThread shown
 * as "python3.11" for a whole batch of a thread-per-request server). */
static bool tid_named(const struct sampler *s, pid_t tid)
{
	for (int i = 0; i < s->nknown; i++)
		if (s->known[i].tid == tid && s->known[i].named)
			return true;
	return false;
}

static void send_name(struct sampler *s, struct known_thread *k, const char *name)
{
	if (k->sent && strcmp(k->name, name) == 0)
		return;
	memcpy(k->name, name, THREAD_NAME_MAX);
	k->name[THREAD_NAME_MAX - 1] = 0;
	struct thread_rec r;
	memset(&r, 0, sizeof r);
	r.h.type = REC_THREAD;
	r.h.size = sizeof r;
	r.tid = (uint32_t)k->tid;
	r.pid = (uint32_t)s->t->pid;
	memcpy(r.name, k->name, sizeof r.name);
	r.name[sizeof r.name - 1] = 0;
	k->sent = ring_push(s->ring, &r.h);
}

/* A thread whose Thread the sample could not read (its outermost frame's
 * self dead or reused: a chain read as the thread ended), and whose stack
 * says threading already gave the OS thread its name: the kernel's name
 * (cut to 15 bytes) now, while the thread is there to ask. One that is the
 * process's own name is a name the thread inherited, not its own.
 * threading._active may still give the whole name later. */
static void kernel_name_now(struct sampler *s, struct known_thread *k)
{
	char name[THREAD_NAME_MAX];

	if (!s->proc_comm[0] && proc_task_comm(s->t->pid, s->t->pid, s->proc_comm, sizeof s->proc_comm) < 0)
		s->proc_comm[0] = 0;
	if (s->proc_comm[0] && proc_task_comm(s->t->pid, k->tid, name, sizeof name) == 0 && name[0] &&
	    strcmp(name, s->proc_comm) != 0)
		send_name(s, k, name);
}

/* Whether a kernel name is another thread's (cut to the kernel's 15
 * bytes): the name a thread inherits from its creator until it sets its
 * own (3.14+ threading names OS threads), never its own. Another thread's
 * name counts when it is its own: from threading, or the OS name threading
 * gave it (kernel_name_now); not a kernel name taken as a guess here,
 * which threads that inherited one name all have (_thread's threads share
 * the process's name: only the first one would be named). */
static bool comm_of_another(const struct sampler *s, const struct known_thread *k, const char *comm)
{
	for (int i = 0; i < s->nknown; i++) {
		const struct known_thread *o = &s->known[i];
		if (o == k || !o->sent || !o->name[0] || (o->comm_guess && !o->named))
			continue;
		if (proc_comm_of(o->name, comm))
			return true;
	}
	return false;
}

/* Look threads' names up in threading._active and send the ones that
 * changed: every thread (all), or only the ones not named yet. A thread
 * threading does not know for NAME_WAIT_NS gets the kernel's name, and is
 * looked up again after NAME_RETRY_NS, then twice that, up to every
 * NAMES_EVERY_NS. New
 * threads are looked up after every round until found: a thread-per-request
 * server's threads live a few ms, in threading._active for less. */
static void refresh_names(struct sampler *s, uint64_t now, bool all)
{
	int n = 0, idx[MAX_THREADS];
	uint64_t round = atomic_load_explicit(&s->rounds, memory_order_relaxed);
	for (int i = 0; i < s->nknown; i++) {
		/* A kernel-named thread is looked up again, backing off: one
		 * lookup can miss it (a scan torn by threads coming and going). */
		bool due = s->known[i].tries && !s->known[i].named && now >= s->known[i].retry_at;
		if (!all && (s->known[i].named || (s->known[i].tries && !due)))
			continue;
		if (s->known[i].seen + 2 < round)
			continue;         /* ended: its pthread id may be another thread's now */
		idx[n] = i;
		s->ids[n] = s->known[i].pthread_id;
		s->tids[n] = s->known[i].tid;
		s->names[n][0] = 0;
		n++;
	}
	if (n)
		thread_python_names_cached(s->t, &s->names_cache, s->ids, s->tids, s->names, n);
	for (int j = 0; j < n; j++) {
		struct known_thread *k = &s->known[idx[j]];
		if (s->names[j][0]) {
			k->named = 1;
			send_name(s, k, s->names[j]);
			continue;
		}
		if (k->named)
			continue;
		if (k->tries) {
			k->retry_at = now + k->backoff_ns;
			if (k->backoff_ns < NAMES_EVERY_NS)
				k->backoff_ns *= 2;
			continue;
		}
		if (!k->first_try)
			k->first_try = now;
		if (now - k->first_try < NAME_WAIT_NS)
			continue;
		k->tries = 1;
		k->retry_at = now + NAME_RETRY_NS;
		k->backoff_ns = 2 * NAME_RETRY_NS;
		if (!k->sent && k->tid > 0 && !tid_named(s, k->tid) &&
		    proc_task_comm(s->t->pid, k->tid, s->names[j], THREAD_NAME_MAX) == 0 && s->names[j][0] &&
		    !comm_of_another(s, k, s->names[j])) {
			send_name(s, k, s->names[j]);
			k->comm_guess = 1;
		}
	}
	s->new_thread = 0;
	for (int i = 0; i < s->nknown; i++)
		s->new_thread += !s->known[i].named && s->known[i].seen + 2 >= round;
	s->names_at = now;
	if (all)
		s->all_names_at = now;
}

/* The CPU time a thread used since its previous reading. A thread read for
 * the first time (fresh: at its first sample) that was born after attach:
 * its whole runtime. Else a first reading after the first round (the thread
 * was not readable before, or its reading was evicted): its runtime, at most
 * the time since the previous round. */
static void read_cpu(struct sampler *s, pid_t tid, struct thread_cpu *cpu, bool fresh)
{
	uint64_t total, delta;
	int rc = tasks_cpu(s->tasks, tid, &total, &delta);
	cpu->known = rc >= 0;
	cpu->ns = 0;
	if (rc == 1)
		cpu->ns = delta;
	else if (rc == 0 && fresh && !tasks_started_before(s->tasks, tid))
		cpu->ns = total;   /* born after attach: all its CPU time is in the window */
	else if (rc == 0 && s->round_gap)
		cpu->ns = total < s->round_gap ? total : s->round_gap;
}

/* A thread's OS state, and its CPU time since its previous sample. The
 * syscall file says "running" for a thread that is runnable but waiting for
 * a core (or just woken from a blocking call): the CPU time tells them apart. */
static enum thread_state state_of(const struct sampler *s, int interp, const struct task_activity *a)
{
	if (a->running)
		return THREAD_RUNNING;
	if (gil_is_wait(&s->gils[interp], a->syscall, a->arg0))
		return THREAD_GIL_WAIT;
	return THREAD_IDLE;
}

/* classify()'s answer, and (PYTOP_SAMPLER_CHECK=1) the one it would have
 * given reusing blocked threads' readings, in one byte. */
#define STATE_PACK(st, alt) ((uint8_t)((st) | ((alt) << 4)))
#define STATE_OF(b) ((enum thread_state)((b) & 15))
#define STATE_ALT(b) ((enum thread_state)((b) >> 4))

static uint8_t classify(struct sampler *s, pid_t tid, int interp, struct thread_cpu *cpu, bool fresh,
		       uint64_t *reading, struct task_activity *act)
{
	struct task_activity a, would;
	cpu->known = false;
	cpu->off = cpu->untold = false;
	cpu->ns = 0;
	*reading = 0;
	if (act)
		act->running = 1;   /* (nothing known) */
	if (tid <= 0)
		return STATE_PACK(THREAD_UNKNOWN, THREAD_UNKNOWN);
	/* The CPU time first: the syscall reading that follows it may then be
	 * reused while the thread stays blocked (tasks_set_reuse). */
	read_cpu(s, tid, cpu, fresh);
	if (tasks_read_check(s->tasks, tid, &a, &would) < 0) {
		if (cpu->known && cpu->ns)
			tasks_cpu_unread(s->tasks, tid, cpu->ns);
		cpu->known = false;
		cpu->ns = 0;
		return STATE_PACK(THREAD_UNKNOWN, THREAD_UNKNOWN);
	}
	*reading = would.stamp;
	if (act)
		*act = a;
	/* Runnable is not on a CPU: where a thread waits for a core, its
	 * stack is the one it was preempted in, whichever sample sees it.
	 * A round that began late is not told at all for such a thread:
	 * the sampler ran when the scheduler let it, at a tick, when this
	 * thread's core switches too (ROUND_LATE_NS). */
	int on = 1;
	if (a.running && cpu->known) {
		if (s->late_untold && tasks_contended(s->tasks, tid)) {
			on = -1;
			s->late_n++;
		} else {
			on = tasks_on_cpu(s->tasks, tid, atomic_load_explicit(&s->rounds, memory_order_relaxed) + 1);
		}
	}
	cpu->off = on == 0;
	cpu->untold = on < 0;
	return STATE_PACK(state_of(s, interp, &a), state_of(s, interp, &would));
}

static bool prev_is(const struct sampler *s, int p, uint64_t tstate, pid_t tid, int interp)
{
	return p >= 0 && p < s->nprev && s->prev[p].tstate == tstate && s->prev[p].tid == tid &&
	       s->prev[p].interp == interp;
}

/* This thread's entry in the last round, or -1: at the same place, after
 * the previous match (new threads are inserted at the head of the list, so
 * the others shift), else anywhere. */
static int prev_find(struct sampler *s, int k, uint64_t tstate, pid_t tid, int interp)
{
	int p = -1;
	if (prev_is(s, k, tstate, tid, interp))
		p = k;
	else if (prev_is(s, s->prev_hint, tstate, tid, interp))
		p = s->prev_hint;
	else
		for (int i = 0; i < s->nprev && p < 0; i++)
			if (prev_is(s, i, tstate, tid, interp))
				p = i;
	if (p >= 0)
		s->prev_hint = p + 1;
	return p;
}

static void emit_sample(struct sampler *s, struct known_thread *kt, uint64_t tstate, int k, int interp, pid_t tid,
			int depth, int flags, uint64_t round_ns, uint64_t stamp, uint64_t head,
			const struct kept_stack *kept);

/* This thread's stack of the last round when it can be sent again (see
 * struct kept_stack), else NULL: the same thread state at the same place
 * in the list, read blocked before that walk and not run since, and every
 * function of it announced. */
static const struct kept_stack *kept_for(struct sampler *s, int k, uint64_t tstate, int interp)
{
	if (k >= s->nprev || k >= MAX_THREADS)
		return NULL;
	const struct kept_stack *ks = &s->prev_kept[k];
	enum thread_state st = STATE_ALT(s->prev_state[k]);
	if (s->prev[k].tstate != tstate || s->prev[k].interp != interp || ks->tstate != tstate ||
	    ks->tid != s->prev[k].tid || !ks->reading || ks->reading != s->prev_reading[k] ||
	    (st != THREAD_IDLE && st != THREAD_GIL_WAIT) || ks->depth == 0)
		return NULL;
	for (int i = 0; i < ks->depth; i++)
		if (s->sent[SENT_SLOT(ks->f[i].func_id)] != ks->f[i].func_id)
			return NULL;
	return ks;
}

/* Keep the stack just sent for thread k (kept NULL: the walk's, in
 * s->rec; else that one again). */
static void keep_stack(struct sampler *s, int k, uint64_t tstate, pid_t tid, uint64_t pthread_id, uint64_t head,
		       int p, const struct kept_stack *kept)
{
	if (k >= MAX_THREADS)
		return;
	struct kept_stack *ks = &s->cur_kept[k];
	if (kept) {
		if (ks != kept) {
			memcpy(ks, kept, offsetof(struct kept_stack, f));
			memcpy(ks->f, kept->f, (size_t)kept->depth * sizeof ks->f[0]);
		}
		return;
	}
	ks->tstate = tstate;
	ks->tid = tid;
	ks->head = head;
	ks->pthread_id = pthread_id;
	/* Only a reading taken before the walk (at the round's start) vouches
	 * for the stack. */
	ks->reading = p >= 0 ? s->prev_reading[p] : 0;
	ks->depth = s->rec->depth;
	ks->inner_off = s->walk_inner_off;
	ks->flags = (s->rec->flags & SAMPLE_F_TRUNCATED) ? STACK_TRUNCATED : 0;
	memcpy(ks->f, s->rec->frames, (size_t)ks->depth * sizeof ks->f[0]);
}

static void pause_note(struct sampler *s, uint64_t ns);
static int native_merge(struct sampler *s, int nn, bool partial, int depth, int walk_flags);

/* --native: unwind thread tid (stopped; unwind false: it could not be,
 * the stack is marked partial), and merge its native frames with the depth
 * Python frames the walk put in s->frames into s->mixed (use_mixed set).
 * Returns the merged depth. */
static int native_stack(struct sampler *s, pid_t tid, int depth, int walk_flags, bool unwind)
{
	bool partial = false;
	int nn = unwind ? native_unwind(s->native, tid, s->ips, NATIVE_MAX_DEPTH, &partial) : -1;
	return native_merge(s, nn, partial, depth, walk_flags);
}

/* native_stack()'s merge of the nn native frames in s->ips (-1: none to
 * be had) with the depth Python frames in s->frames. */
static int native_merge(struct sampler *s, int nn, bool partial, int depth, int walk_flags)
{
	if (nn < 0) {
		nn = 0;           /* gone, or not stopped: the Python frames, marked */
		partial = true;
	}
	int kept_n = 0;
	for (int i = 0; i < nn; i++) {
		uint64_t off;
		/* A return address: the call is the byte before it. */
		uint64_t at = i > 0 && s->ips[i] > 0 ? s->ips[i] - 1 : s->ips[i];
		struct symbol *y = symbols_lookup(s->syms, at, &off);
		if (!y) {
			partial = true;   /* no mapping holds it: the stack is cut there */
			break;
		}
		s->nat[kept_n++] = (struct mixed_frame){ &y->info, 0, FUNC_KIND_NATIVE, 0, (uint8_t)mixed_role(y) };
	}
	int np = depth < SAMPLE_MAX_DEPTH ? depth : SAMPLE_MAX_DEPTH;
	for (int i = 0; i < np; i++)
		s->py[i] = (struct mixed_frame){ s->frames[i].func, s->frames[i].line,
						 (walk_flags & STACK_TRUNCATED) && i == np - 1 ? FUNC_KIND_MARKER
											: FUNC_KIND_PYTHON,
						 s->frames[i].entry, 0 };
	static const struct mixed_markers mk = { &native_partial_fn, &native_unmatched_fn };
	int mflags = 0;
	int n = mixed_merge(s->nat, kept_n, partial, s->py, np, s->native_all, &mk, s->mixed, SAMPLE_MAX_DEPTH,
			    &mflags);
	if (mflags & MIXED_PARTIAL)
		atomic_fetch_add_explicit(&s->native_partial, 1, memory_order_relaxed);
	if (mflags & MIXED_UNMATCHED)
		atomic_fetch_add_explicit(&s->native_unmatched, 1, memory_order_relaxed);
	s->use_mixed = true;
	return n;
}

/* What stack_walk_known() asks of a walk: is it the stack sent for this
 * thread state last round (ks, on the thread ti says), its innermost frame
 * at the very same instruction? That one was confirmed (or was itself one
 * confirmed before). The same instruction, not only the same lines: the
 * first read can meet bytes older than the head it starts from (its ranges
 * are read in address order), and a thread that ran on reads as the stack
 * it left only at a transition, which would then go to the earlier stack
 * (seen once under load: the shortest of three functions called in turn
 * got 8.9 % of the samples for 16.8 % of the time); a thread that waits
 * in the same call is where it was. */
struct vouch {
	const struct kept_stack *ks;
	const struct thread_info *ti;
};

static bool vouch_same(void *arg, const struct stack_frame *frames, int depth)
{
	const struct vouch *v = arg;
	const struct kept_stack *ks = v->ks;
	if (ks->depth != depth || ks->flags != 0 || ks->tid != v->ti->tid || ks->tid <= 0 || ks->inner_off < 0 ||
	    ks->inner_off != v->ti->inner_off)
		return false;
	for (int i = 0; i < depth; i++)
		if (frames[i].func->id != ks->f[i].func_id || frames[i].line != ks->f[i].line)
			return false;
	return true;
}

/* Whether a /proc syscall reading (of a thread of interpreter interp) and
 * an unwind's call are the same call: the same arguments, stack and
 * instruction pointers, and the same number but where either is
 * restart_syscall (a wait with a timeout interrupted by a stop goes on in
 * it, with its registers as they were). The first argument may differ in
 * a wait for the GIL: glibc's condition variable has its waiters sleep on
 * one of its two group words, in turn (3.13: 250 of the 1,400 stops a
 * second of 4 threads at 1 kHz were that alone). */
static bool same_call(const struct sampler *s, int interp, long nr, const uint64_t *args, uint64_t sp, uint64_t pc,
		      const struct native_call *c)
{
#ifdef SYS_restart_syscall
	bool nr_ok = nr == c->nr || nr == SYS_restart_syscall || c->nr == SYS_restart_syscall;
#else
	bool nr_ok = nr == c->nr;
#endif
	if (!nr_ok || nr < 0 || !sp || sp != c->sp || pc != c->pc ||
	    memcmp(args + 1, c->args + 1, sizeof c->args - sizeof c->args[0]) != 0)
		return false;
	const struct gil_where *g = &s->gils[interp];
	return args[0] == c->args[0] || (gil_is_wait(g, nr, args[0]) && gil_is_wait(g, c->nr, c->args[0]));
}

/* Whether the walk in s->frames (depth, flags, innermost instruction
 * inner_off) is the Python stack r was unwound with. */
static bool same_python(const struct sampler *s, const struct native_reuse *r, int depth, int flags,
			int64_t inner_off)
{
	if (depth != r->depth || flags != r->flags || inner_off < 0 || inner_off != r->inner_off)
		return false;
	for (int i = 0; i < depth; i++)
		if (s->frames[i].func->id != r->py[i].func_id || s->frames[i].line != r->py[i].line ||
		    s->frames[i].entry != r->py[i].entry)
			return false;
	return true;
}

/* --native alone: thread ti (the k-th, tstate, walked: depth frames in
 * s->frames) unwound before, whose native frames need no stop now: at the
 * round's start it was blocked in the very call it was stopped in at that
 * unwind (same_call()), it has the Python stack it had then, to the
 * innermost instruction, it has not been on a CPU since that reading (so
 * the walk saw it blocked there), and every word of its stack that unwind
 * read holds what it held then (native_slots_same()). Its last unwind, or
 * NULL. */
static const struct native_reuse *native_reuse(struct sampler *s, int k, uint64_t tstate, int interp,
					      const struct thread_info *ti, int depth, int flags)
{
	const struct native_reuse *r = &s->reuse[(unsigned)ti->tid & (REUSE_SLOTS - 1)];
	if (r->tid != ti->tid || r->tstate != tstate || r->interp != interp || !r->call.known || depth <= 0)
		return NULL;
	if (k >= s->nprev || k >= MAX_THREADS || s->prev[k].tstate != tstate || s->prev[k].tid != ti->tid ||
	    s->prev[k].interp != interp)
		return NULL;
	const struct task_activity *a = &s->prev_act[k];
	if (a->running || !same_call(s, interp, a->syscall, a->args, a->sp, a->pc, &r->call) ||
	    !same_python(s, r, depth, flags, ti->inner_off))
		return NULL;
	/* A thread whose late stop is still to be taken in (it did not stop
	 * within NATIVE_STOP_WAIT_US) reads as blocked and still: it must
	 * go through pause_stop_one(), or it would stay stopped. */
	if (pause_owes(s->pause, ti->tid))
		return NULL;
	/* The stack words before the schedstat check: unchanged from the
	 * reading to after the stack was read, so what was read is the stack
	 * of the blocked thread the walk saw (the other way round, a thread
	 * running in between could be read in another state). */
	if (!native_slots_same(s->native, &r->call, r->ips) || !tasks_still(s->tasks, ti->tid))
		return NULL;
	return r;
}

/* Keep thread tid's unwind just made (nn frames in s->ips, partial; the
 * thread stopped in a system call; the walk while stopped in s->frames)
 * for reuse. */
static void native_keep(struct sampler *s, pid_t tid, uint64_t tstate, int interp, int nn, bool partial,
			int depth, int flags, int64_t inner_off)
{
	struct native_reuse *r = &s->reuse[(unsigned)tid & (REUSE_SLOTS - 1)];
	r->tid = 0;
	if (nn < 0 || depth <= 0 || depth > SAMPLE_MAX_DEPTH || inner_off < 0)
		return;
	native_last_call(s->native, &r->call);
	if (!r->call.known)
		return;
	r->tid = tid;
	r->tstate = tstate;
	r->interp = interp;
	r->nn = nn;
	r->partial = partial;
	memcpy(r->ips, s->ips, (size_t)r->nn * sizeof r->ips[0]);
	r->depth = depth;
	r->flags = flags;
	r->inner_off = inner_off;
	for (int i = 0; i < depth; i++) {
		r->py[i].func_id = s->frames[i].func->id;
		r->py[i].line = s->frames[i].line;
		r->py[i].entry = s->frames[i].entry;
	}
}

/* PYTOP_NATIVE_CHECK=1: thread tid was reusable as r (a copy) and was
 * unwound all the same (nn frames in s->ips, partial; the walk while
 * stopped in s->frames): when it was still in that call with that Python
 * stack, the unwind must have given r's frames. */
static void native_compare(struct sampler *s, const struct native_reuse *r, int nn, bool partial, int depth,
			   int flags, int64_t inner_off)
{
	native_last_call(s->native, s->call);
	if (nn < 0 || !s->call->known ||
	    !same_call(s, r->interp, s->call->nr, s->call->args, s->call->sp, s->call->pc, &r->call) ||
	    !same_python(s, r, depth, flags, inner_off))
		return;   /* it moved on: nothing to compare */
	s->nc[NC_REUSE_CHECKED]++;
	if (nn != r->nn || partial != r->partial ||
	    memcmp(s->ips, r->ips, (size_t)r->nn * sizeof r->ips[0]) != 0)
		s->nc[NC_REUSE_BAD]++;
}

/* --native: what thread k (tstate) was doing at the round's start, as
 * a stop's enum native_count. */
static int stop_kind(const struct sampler *s, int k, uint64_t tstate, int interp)
{
	int g = s->gil_first[interp];
	if (s->gil_read[g] && s->gil_now[g].holder == tstate)
		return NC_STOP_HOLDER;
	if (k >= s->nprev || k >= MAX_THREADS || s->prev[k].tstate != tstate || s->prev[k].interp != interp)
		return NC_STOP_UNKNOWN;
	switch (STATE_OF(s->prev_state[k])) {
	case THREAD_RUNNING:
		return NC_STOP_RUNNING;
	case THREAD_GIL_WAIT:
		return NC_STOP_GIL_WAIT;
	case THREAD_IDLE:
		return NC_STOP_BLOCKED;
	default:
		return NC_STOP_UNKNOWN;
	}
}

/* --native alone: stop thread ti (the k-th, tstate), walk it again and
 * unwind it (both stacks of one instant; depth: the walk before the stop),
 * and let it go. Checking (reusable: its last unwind copied to
 * s->reuse_copy), the unwind is compared with that one. Returns the
 * merged depth, or the walk's error. */
static int native_stop_unwind(struct sampler *s, int k, uint64_t tstate, int interp, struct thread_info *ti,
			      int depth, int *flags, bool reusable)
{
	pid_t tid = ti->tid;
	int kind = stop_kind(s, k, tstate, interp);
	uint64_t t0 = clock_now_ns();
	bool stopped = pause_stop_one(s->pause, tid) > 0;
	uint64_t t1 = clock_now_ns();
	if (stopped) {
		depth = stack_walk(s->cache, s->t, tstate, ti, s->frames, SAMPLE_MAX_DEPTH, flags);
		if (ti->tid <= 0 && ti->pthread_id && s->t->pthread_tid_offset >= 0)
			ti->tid = thread_tid_of(s->t, ti->pthread_id);
	}
	/* Only the unwind while it is stopped: the symbols and the merge
	 * after it is let go. */
	bool unwound = depth > 0 && stopped && ti->tid == tid;
	bool partial = false;
	int nn = unwound ? native_unwind(s->native, tid, s->ips, NATIVE_MAX_DEPTH, &partial) : -1;
	s->nc[stopped ? kind : NC_STOP_FAILED]++;
	s->nc[NC_STOP_NS] += t1 - t0;
	if (stopped) {
		uint64_t t2 = clock_now_ns();
		pause_resume_one(s->pause, tid);
		uint64_t t3 = clock_now_ns();
		s->nc[NC_UNWIND_NS] += t2 - t1;
		s->nc[NC_RESUME_NS] += t3 - t2;
		if (kind == NC_STOP_HOLDER)
			s->nc[NC_HOLDER_NS] += t2 - t0;   /* (the sampler can lose its CPU to it in the resume) */
		pause_note(s, t3 - t0);
	}
	if (depth > 0) {
		int walked = depth;
		depth = native_merge(s, nn, partial, depth, *flags);
		if (reusable)
			native_compare(s, s->reuse_copy, nn, partial, walked, *flags, ti->inner_off);
		if (unwound)
			native_keep(s, tid, tstate, interp, nn, partial, walked, *flags, ti->inner_off);
	}
	return depth;
}

/* What a failed walk was: a stack that changed under the reader three
 * times (torn), memory that could not be read (a thread state freed, the
 * target gone or not readable), or anything else. */
static int error_kind(int err)
{
	if (err == PYTOP_ECORRUPT)
		return ERR_TORN;
	if (err == PYTOP_EREAD || err == PYTOP_EGONE || err == PYTOP_EPERM)
		return ERR_UNREADABLE;
	return ERR_OTHER;
}

/* A thread sample lost: counted in the round's errors and by its kind. */
static void sample_lost(struct sampler *s, int *errors, int kind)
{
	(*errors)++;
	s->errors_kind_n[kind]++;
}

/* Whether ti, once read, is a state of the interpreter-th interpreter
 * (its interp link says so), or was not read at all. */
static bool in_interp(const struct sampler *s, const struct thread_info *ti, int interp)
{
	return !ti->tstate || ti->interp == s->interps[interp];
}

/* Note thread state ts as visited by this list walk; whether it was already. */
static bool visit_add(struct sampler *s, uint64_t ts)
{
	struct addrset_entry *e = addrset_slot(s->visit, VISIT_SLOTS - 1, s->visit_gen, ts);

	if (e->gen == s->visit_gen)
		return true;
	e->gen = s->visit_gen;
	e->addr = ts;
	return false;
}

/* Sample one thread state (the k-th of the round, of interpreter interp);
 * returns the next one, or 0 at the end / error. */
static uint64_t sample_thread(struct sampler *s, uint64_t tstate, int k, int interp, uint64_t round_ns,
			      int *errors)
{
	struct thread_info ti;
	int flags = 0, depth;
	const struct kept_stack *kept = kept_for(s, k, tstate, interp);

	/* A kept stack: the thread state alone, for the list's next link and
	 * to see the thread and its frame chain's head are as they were. */
	if (kept) {
		int rc = s->pre_ok[k] ? stack_thread_decode(s->t, tstate, s->tsbuf[k], kept->pthread_id, s->ptid[k], &ti)
				      : stack_thread(s->cache, s->t, tstate, &ti);
		if (rc < 0 || ti.tid != kept->tid || ti.head != kept->head)
			kept = NULL;
	}
	if (kept && !s->check) {
		depth = kept->depth;
		flags = kept->flags;
	} else {
		/* A stack that changed under the reader (PYTOP_ECORRUPT: a
		 * frame freed or moved while read) is read again at once, up to
		 * WALK_RETRIES times while the round is in the first half of its
		 * period: a recursion that churns on a core of its own tears
		 * most single reads (3.8-3.10: 93 % of them). */
		for (int tries = 0;; tries++) {
			flags = 0;
			if (k < s->nprev && k < MAX_THREADS && s->prev[k].tstate == tstate &&
			    s->prev_kept[k].tstate == tstate && s->prev_kept[k].depth > 0) {
				/* It ran: walked, and its stack of last round, if it
				 * is that again, needs no second look. */
				struct vouch v = { &s->prev_kept[k], &ti };
				bool wrong = false;
				depth = stack_walk_known(s->cache, s->t, tstate, &ti, s->frames, SAMPLE_MAX_DEPTH,
							 &flags, vouch_same, &v, s->check, &wrong);
				s->vouch_wrong += wrong;
			} else {
				depth = stack_walk(s->cache, s->t, tstate, &ti, s->frames, SAMPLE_MAX_DEPTH, &flags);
			}
			/* Not past half the round's period: threads that all tear
			 * (a recursion in each) must not cost the rate. Nor is
			 * what is not a state of this interpreter read again. */
			if (depth != PYTOP_ECORRUPT || tries == WALK_RETRIES || !in_interp(s, &ti, interp) ||
			    (double)(clock_now_ns() - round_ns) * atomic_load_explicit(&s->rate_hz, memory_order_relaxed) > 0.5e9)
				break;
			s->walks_retried_n++;
		}
	}
	int walked = kept && !s->check ? 0 : depth;   /* Python frames in s->frames */
	if (kept && s->check) {
		/* Checking: the walk against the stack that would have been sent,
		 * when the thread did not run since the round's start (if it did,
		 * the kept stack is the one of the state sent, the walk's newer). */
		bool same = depth == kept->depth && (flags & STACK_TRUNCATED) == kept->flags;
		for (int i = 0; same && i < depth; i++)
			same = s->frames[i].func->id == kept->f[i].func_id && s->frames[i].line == kept->f[i].line;
		if (tasks_still(s->tasks, kept->tid)) {
			s->kept_n++;
			s->kept_bad += !same;
		}
		kept = NULL;
	} else if (kept) {
		s->kept_n++;
	}

	s->walk_inner_off = kept ? kept->inner_off : ti.inner_off;
	/* Not a state of this interpreter: the list led out of it (a state
	 * freed while the list was read: glibc keeps its free lists in the
	 * words that held the state's links). Neither it nor its next link is
	 * a thread's: one sample lost, and sample_round takes the list up
	 * again from its head. */
	if (!in_interp(s, &ti, interp)) {
		sample_lost(s, errors, ERR_OTHER);
		s->list_left = true;
		return 0;
	}
	if (depth < 0) {
		sample_lost(s, errors, error_kind(depth));
		/* Without the thread state we cannot go on down the list
		 * (the walk may take it up again from the head). */
		if (depth == PYTOP_ECORRUPT && ti.tstate)
			return ti.next;
		s->list_left = true;
		return 0;
	}
	if (ti.tid <= 0 && ti.pthread_id && s->t->pthread_tid_offset >= 0)
		ti.tid = thread_tid_of(s->t, ti.pthread_id);
	/* A thread state pytop cannot tie to a kernel thread (not started yet,
	 * or the tid match failed) is left out, not invented; so is a second
	 * state on the same thread in one round (a state made for a thread not
	 * started yet carries its creator's ids). */
	if (ti.tid <= 0) {
		s->unidentified++;
		return ti.next;
	}
	s->use_mixed = false;
	if (s->native && !kept && depth > 0 && !s->one_by_one) {
		depth = native_stack(s, ti.tid, depth, flags, true);
	} else if (s->native && !kept && depth > 0) {
		/* --native alone: this thread is stopped now, walked again and
		 * unwound (both stacks of one instant), and let go. Threads
		 * whose stacks are kept (blocked, not run) are never stopped. */
		/* Blocked in the call it was last unwound in, its Python stack
		 * as it was then: those native frames, no stop. */
		const struct native_reuse *r = native_reuse(s, k, tstate, interp, &ti, depth, flags);
		if (r)
			s->nc[NC_REUSED]++;
		if (r && !s->native_check) {
			memcpy(s->ips, r->ips, (size_t)r->nn * sizeof s->ips[0]);
			depth = native_merge(s, r->nn, r->partial, depth, flags);
		} else {
			if (r)
				memcpy(s->reuse_copy, r, sizeof *s->reuse_copy);
			depth = native_stop_unwind(s, k, tstate, interp, &ti, depth, &flags, r != NULL);
		}
		if (depth < 0) {
			sample_lost(s, errors, error_kind(depth));
			return depth == PYTOP_ECORRUPT && ti.tstate ? ti.next : 0;
		}
		if (ti.tid <= 0) {
			s->unidentified++;
			return ti.next;
		}
	}
	bool phantom = false;
	struct known_thread *kt = known_find(s, ti.pthread_id, ti.tid, &phantom);
	uint64_t stamp = atomic_load_explicit(&s->rounds, memory_order_relaxed) + 1;
	if (!kt) {
		if (phantom)
			s->unidentified++;
		else
			s->limit_skipped++;   /* more live threads than MAX_THREADS */
		return ti.next;
	}
	if (kt->sampled == stamp) {
		s->unidentified++;
		return ti.next;
	}
	/* A thread threading has not named yet: from its own Thread._bootstrap
	 * frame when that is its outermost one (a thread-per-request server's
	 * threads can start, run and end between two lookups of _active). */
	if (!kt->named && ti.root && kt->root_tries < ROOT_TRIES) {
		char name[THREAD_NAME_MAX];
		kt->root_tries++;
		int rc = thread_name_of_bootstrap(s->t, ti.root->name, ti.root->file, ti.root_arg0, ti.tid, name);
		if (rc == 0 && name[0]) {
			kt->named = 1;
			send_name(s, kt, name);
		} else if (rc == 1) {
			/* Its own Thread, named "": threading skipped _set_os_name,
			 * so the kernel's name is its creator's. No more reads of
			 * the frame, whose later dead reads would take that name. */
			kt->root_tries = ROOT_TRIES;
		} else if (!kt->sent && walked > 0 &&
			   thread_os_named(s->t, ti.root, s->frames, walked, flags & STACK_TRUNCATED)) {
			kernel_name_now(s, kt);
		}
	}
	/* An empty stack waits for the end of the round: a state made for a
	 * thread not started yet (3.8-3.11: with its creator's ids, first in
	 * the list) must not take the creator's sample. */
	if (depth == 0 && s->ndeferred < DEFERRED_MAX) {
		s->deferred[s->ndeferred++] = (struct deferred){ tstate, ti.pthread_id, ti.tid, k, interp, flags };
		return ti.next;
	}
	emit_sample(s, kt, tstate, k, interp, ti.tid, depth, flags, round_ns, stamp, ti.head, kept);
	return ti.next;
}

/* Send the sample of thread kt (tid) whose stack is in s->frames. */
static void emit_sample(struct sampler *s, struct known_thread *kt, uint64_t tstate, int k, int interp, pid_t tid,
			int depth, int flags, uint64_t round_ns, uint64_t stamp, uint64_t head,
			const struct kept_stack *kept)
{
	bool fresh = kt->sampled == 0;   /* its first sample: no CPU reading yet */
	kt->sampled = stamp;
	kt->last_ns = round_ns;
	/* The OS state read at the round's start when this is the same thread
	 * state at the same place in the list, else now. */
	uint8_t both;
	struct thread_cpu cpu;
	int p = prev_find(s, k, tstate, tid, interp);
	if (p >= 0) {
		both = s->prev_state[p];
		cpu = s->prev_cpu[p];
		s->prev_cpu[p] = (struct thread_cpu){ 0, false, false, false };   /* used */
	} else {
		uint64_t reading;
		both = classify(s, tid, interp, &cpu, fresh, &reading, NULL);
	}
	/* "running" in the syscall file with no CPU time since the previous
	 * sample: runnable, waiting for a core (e.g. woken in a GIL wait or a
	 * sleep, not yet scheduled). It is still doing what it did. */
	enum thread_state state = STATE_OF(both), alt = STATE_ALT(both);
	bool waited = cpu.known && cpu.ns == 0 &&
		      (kt->last_state == THREAD_IDLE || kt->last_state == THREAD_GIL_WAIT);
	if (state == THREAD_RUNNING && waited)
		state = (enum thread_state)kt->last_state;
	if (alt == THREAD_RUNNING && waited)
		alt = (enum thread_state)kt->last_state;
	if (alt != state)
		s->state_mismatches_n++;   /* checking: reuse would have sent another state */
	kt->last_state = (uint8_t)state;
	if (k < MAX_THREADS) {
		s->cur[k].tstate = tstate;
		s->cur[k].tid = tid;
		s->cur[k].interp = interp;
		s->ncur = k + 1;
	}
	const struct gil_state *g = &s->gil_now[s->gil_first[interp]];
	bool gil_known = s->gil_read[s->gil_first[interp]];
	bool holds = gil_known && g->holder == tstate;
	/* Where the thread state says it itself (3.15's holds_gil and
	 * gil_requested, read_gil_self()): it holds the GIL when it says so,
	 * and a thread not on a core that asked for it waits for it (the
	 * futex rule misses a waiter between its request and its sleep).
	 * Only while the GIL says it is held: a thread's holds_gil is cleared
	 * after the GIL is freed, and a thread that ends frees its state (a
	 * new one may be made there) with holds_gil possibly still set (6
	 * churners of 30 ms threads: 3-12 holders in ~4000 rounds while the
	 * GIL was free). Where none says it holds a held GIL, the GIL state's
	 * holder holds it (a thread new this round, whose flags were not read). */
	int gi = s->gil_first[interp];
	if (s->gil_self && s->gself_nread[gi] > 0 && s->gself_holders[gi] <= 1) {
		if (s->gself_holders[gi] == 1)
			holds = gil_known && g->locked && s->gself_holder[gi] == tstate;
		gil_known = true;
		if (!holds && p >= 0 && s->gself_req[p] == 1 && state != THREAD_RUNNING)
			kt->last_state = (uint8_t)(state = THREAD_GIL_WAIT);
	}

	struct sample_rec *r = s->rec;
	for (int i = 0; kept && i < depth; i++)
		r->frames[i] = kept->f[i];   /* every function announced (kept_for) */
	for (int i = 0; !kept && i < depth; i++) {
		const struct func_info *fi = s->use_mixed ? s->mixed[i].func : s->frames[i].func;
		uint32_t id = fi->id;
		/* The walker's only non-Python frame: the truncation marker, last. */
		enum func_kind kind = s->use_mixed ? (enum func_kind)s->mixed[i].kind
			: (flags & STACK_TRUNCATED) && i == depth - 1 ? FUNC_KIND_MARKER : FUNC_KIND_PYTHON;
		if (s->sent[SENT_SLOT(id)] != id && !send_func(s, fi, kind))
			return;   /* ring full: the sample is dropped (counted) */
		r->frames[i].func_id = id;
		r->frames[i].line = s->use_mixed ? s->mixed[i].line : s->frames[i].line;
	}
	r->h.type = REC_SAMPLE;
	r->h.size = (uint32_t)(sizeof *r + (size_t)depth * sizeof r->frames[0]);
	r->h.size = (r->h.size + 7) & ~7u;
	r->time_ns = round_ns;
	r->pid = (uint32_t)s->t->pid;
	r->tid = (uint32_t)tid;
	r->state = (uint8_t)state;
	r->flags = (uint8_t)((holds ? SAMPLE_F_HOLDS_GIL : 0) |
			     (gil_known ? 0 : SAMPLE_F_GIL_UNREAD) |
			     (flags & STACK_TRUNCATED ? SAMPLE_F_TRUNCATED : 0) |
			     (cpu.known ? SAMPLE_F_CPU : 0) | (cpu.off ? SAMPLE_F_OFF_CPU : 0) |
			     (cpu.untold ? SAMPLE_F_UNTOLD : 0));
	r->cpu_ns = cpu.ns;
	s->off_cpu_n += cpu.off;
	r->depth = (uint16_t)depth;
	r->pad = 0;
	if (cpu.known)
		s->attributed += cpu.ns;
	ring_push(s->ring, &r->h);
	keep_stack(s, k, tstate, tid, kt->pthread_id, head, p, kept);
	atomic_fetch_add_explicit(&s->samples, 1, memory_order_relaxed);
}

/* Where the thread states say themselves (3.15: holds_gil and
 * gil_requested), every thread of the last round's flags in one batch right
 * after the GIL's read: one instant for all of them (read at each thread's
 * walk instead, a GIL switch between two walks showed two holders in a
 * round: 3 and 2 of ~5500 rounds on 3.15 and 3.15d, three spinners). They
 * name one holder per GIL for the round, as the struct does (a thread
 * compared with it, one per thread, still gave 2 and 1: a thread with no
 * flags read took the struct's); a GIL whose threads still say two hold it
 * takes the struct's holder that round. */
/* Append every last-round thread's GIL flags (3.15) to the batch at
 * s->piov[n]; returns the new n (thread k's range is gself_at + k). */
static int gself_add(struct sampler *s, int n)
{
	s->gself_at = n;
	for (int k = 0; k < s->nprev && k < MAX_THREADS; k++)
		s->piov[n++] = (struct mem_iov){ s->prev[k].tstate + (uint64_t)s->gself_lo, s->gself_buf[k],
						  (size_t)s->gself_len };
	return n;
}

/* The flags gself_add() asked for, as read (a range of len 0: not). */
static void gself_take(struct sampler *s, bool read)
{
	for (int i = 0; i < s->ninterps; i++) {
		s->gself_holders[i] = 0;
		s->gself_holder[i] = 0;
		s->gself_nread[i] = 0;
	}
	const struct py_layout *L = &s->t->L;
	for (int k = 0; k < s->nprev && k < MAX_THREADS; k++) {
		s->gself_holds[k] = s->gself_req[k] = -1;
		if (!read || s->piov[s->gself_at + k].len == 0)
			continue;
		s->gself_holds[k] = field_i32(s->gself_buf[k], L->tstate_holds_gil - s->gself_lo) != 0;
		s->gself_req[k] = field_i32(s->gself_buf[k], L->tstate_gil_requested - s->gself_lo) != 0;
		int interp = s->prev[k].interp;
		if (interp >= 0 && interp < s->ninterps)
			s->gself_nread[s->gil_first[interp]]++;
		if (s->gself_holds[k] && interp >= 0 && interp < s->ninterps) {
			s->gself_holders[s->gil_first[interp]]++;
			s->gself_holder[s->gil_first[interp]] = s->prev[k].tstate;
		}
	}
}

/* The GIL part of a round's tick. */
struct round_gil {
	uint64_t switches;        /* sum of the GILs' switch numbers */
	uint16_t flags;           /* TICK_GIL_* */
	uint8_t count, held;      /* GILs read, GILs locked */
};

/* Append every distinct GIL state's ranges (each one range, or on 3.6
 * one per static) to the batch at s->piov[n]; end[i]: where interpreter
 * i's ranges end (none: unknown or shared). Returns the new n. */
static int gil_add(struct sampler *s, int n, int *end)
{
	for (int i = 0; i < s->ninterps; i++) {
		s->gil_read[i] = false;
		int start = n;
		if (s->gil_first[i] == i)
			n += gil_iov(&s->gils[i], s->gil_buf[i], &s->piov[n]);
		s->gil_start[i] = start;
		end[i] = n;
	}
	return n;
}

/* The GIL states gil_add() asked for, as read (all of a GIL's ranges). */
static void gil_take(struct sampler *s, struct round_gil *rg, const int *end, bool read)
{
	const struct py_layout *L = &s->t->L;

	memset(rg, 0, sizeof *rg);
	for (int i = 0; i < s->ninterps; i++) {
		bool all = read && end[i] > s->gil_start[i];
		for (int r = s->gil_start[i]; all && r < end[i]; r++)
			all = s->piov[r].len != 0;
		if (!all)
			continue;   /* not read, or not every range of it */
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
}

/* The syscall file of every thread the last round saw. */
static void read_states(struct sampler *s)
{
	for (int k = 0; k < s->nprev; k++)
		s->prev_state[k] = classify(s, s->prev[k].tid, s->prev[k].interp, &s->prev_cpu[k], false,
					    &s->prev_reading[k], s->prev_act ? &s->prev_act[k] : NULL);
}

/* The thread states from ts on, which this round has no room for: counted
 * (one read each) at most every NAMES_EVERY_NS, else 1 (there are some).
 * The count stops at BEYOND_MAX (a loop in the list, or a huge one). */
static uint64_t count_beyond(struct sampler *s, uint64_t ts, uint64_t now)
{
	uint64_t n = 0;

	if (now - s->limit_counted_at < NAMES_EVERY_NS && s->limit_counted_at)
		return 1;
	s->limit_counted_at = now;
	while (ts && n < BEYOND_MAX &&
	       mem_read_ptr(s->t->pid, ts + (uint64_t)s->t->L.tstate_next, &ts) == 0)
		n++;
	return n ? n : 1;
}

/* Send CPU time used by thread tid after its last sample, before it ended. */
static void emit_ended(struct sampler *s, pid_t tid, uint64_t ns, uint64_t round_ns)
{
	struct sample_rec *r = s->rec;
	memset(r, 0, sizeof *r);
	r->h.type = REC_SAMPLE;
	r->h.size = (uint32_t)((sizeof *r + 7) & ~(size_t)7);
	r->time_ns = round_ns;
	r->pid = (uint32_t)s->t->pid;
	r->tid = (uint32_t)tid;
	r->state = THREAD_UNKNOWN;
	r->flags = SAMPLE_F_CPU | SAMPLE_F_ENDED;
	r->cpu_ns = ns;
	ring_push(s->ring, &r->h);
}

/* A CPU delta read at the round's start for a thread the round then did
 * not sample (the walk of a list torn by threads coming and going stopped
 * before it) was not sent: its thread's next reading covers it again. */
static void prev_unread(struct sampler *s)
{
	for (int k = 0; k < s->nprev; k++)
		if (s->prev_cpu[k].known && s->prev_cpu[k].ns)
			tasks_cpu_unread(s->tasks, s->prev[k].tid, s->prev_cpu[k].ns);
}

static bool tidset_has(const pid_t *set, pid_t tid)
{
	for (uint32_t h = ((uint32_t)tid * 2654435761u) & (TIDSET_SLOTS - 1);; h = (h + 1) & (TIDSET_SLOTS - 1)) {
		if (set[h] == tid)
			return true;
		if (set[h] == 0)
			return false;
	}
}

static void tidset_add(pid_t *set, pid_t tid)
{
	uint32_t h = ((uint32_t)tid * 2654435761u) & (TIDSET_SLOTS - 1);
	while (set[h] != 0 && set[h] != tid)
		h = (h + 1) & (TIDSET_SLOTS - 1);
	set[h] = tid;
}

static bool tid_in(const pid_t *tids, int n, pid_t tid)
{
	for (int i = 0; i < n; i++)
		if (tids[i] == tid)
			return true;
	return false;
}

/* Look for the threads no sample stands for (see struct sampler): a tid in
 * /proc that is not a known thread, in this listing and the one before.
 * A new one's CPU reading starts now: a thread born since pytop started
 * used all its CPU time within the process's count (it goes to
 * foreign_pending), an older one only what follows. One that goes (known
 * at last, or ended) is no longer read (an ended one's last few ms are
 * unread). A target with more threads than a listing holds, or more
 * foreign ones than FOREIGN_MAX, gets no share-out (foreign_over). */
static void foreign_scan(struct sampler *s)
{
	int n = tasks_list(s->tasks, s->listed, LIST_MAX);
	if (n < 0)
		return;
	if (n > LIST_MAX) {
		s->foreign_over = true;
		return;
	}
	memset(s->tidset, 0, TIDSET_SLOTS * sizeof *s->tidset);
	for (int i = 0; i < s->nknown; i++)
		if (s->known[i].tid > 0 && !s->known[i].gone)
			tidset_add(s->tidset, s->known[i].tid);
	pid_t now[FOREIGN_MAX], found[FOREIGN_MAX];
	int nnow = 0, nfound = 0;
	bool over = false;
	for (int i = 0; i < n; i++) {
		pid_t tid = s->listed[i];
		if (tidset_has(s->tidset, tid))
			continue;
		if (nnow < FOREIGN_MAX)
			now[nnow++] = tid;
		else
			over = true;
		if (tid_in(s->unknown_tids, s->nunknown, tid)) {
			if (nfound < FOREIGN_MAX)
				found[nfound++] = tid;
			else
				over = true;
		}
	}
	memcpy(s->unknown_tids, now, (size_t)nnow * sizeof *now);
	s->nunknown = nnow;
	s->foreign_over = over;
	for (int i = 0; i < nfound; i++) {
		uint64_t total, delta;
		if (tid_in(s->foreign, s->nforeign, found[i]))
			continue;
		int rc = tasks_cpu(s->tasks, found[i], &total, &delta);
		if (rc == 1)
			s->foreign_pending += delta;
		else if (rc == 0 && !tasks_started_before(s->tasks, found[i]))
			s->foreign_pending += total;
	}
	memcpy(s->foreign, found, (size_t)nfound * sizeof *found);
	s->nforeign = nfound;
}

/* Read the process's CPU time, and the foreign threads' since their last
 * reading (kept in foreign_pending until note_ended counts it). */
static void account_read(struct sampler *s, uint64_t round_ns)
{
	s->proc_read = false;
	if (round_ns - s->account_at < ACCOUNT_EVERY_NS && s->account_at)
		return;
	s->account_at = round_ns;
	s->proc_read = tasks_process_cpu(s->tasks, &s->proc_now) == 0;
	for (int i = 0; i < s->nforeign; i++) {
		uint64_t total, delta;
		if (tasks_cpu(s->tasks, s->foreign[i], &total, &delta) == 1)
			s->foreign_pending += delta;
	}
	/* The listing (an open, two getdents and a close: 7 % of pytop's CPU
	 * at 4 threads, 1 kHz) only when the number of threads changed, and
	 * every SCAN_EVERY_NS all the same (one started and one ended). */
	int count = tasks_count(s->tasks);
	if (count < 0 || count != s->scanned_count || round_ns - s->scanned_at >= SCAN_EVERY_NS ||
	    s->foreign_over) {
		foreign_scan(s);
		s->scanned_at = round_ns;
		s->scanned_count = count;
	}
}

/* Threads that ended and get no share of the process's leftover CPU still
 * get their ended record (0 ns): it tells the aggregate they are gone. */
static void ended_flush(struct sampler *s, uint64_t round_ns)
{
	for (int j = 0; j < s->nended; j++)
		emit_ended(s, s->ended[j].tid, 0, round_ns);
	s->nended = 0;
}

/* After a round: a thread not in the list this round ended once its kernel
 * thread is gone (looked for up to GONE_WAIT_NS: it leaves the list a moment
 * before it exits). A thread still there was only missed: a walk torn by
 * churn stops early, and the threads it did not reach (the oldest: new ones
 * go first) are neither ended nor owed the CPU of the ones that are. The
 * process's CPU time not covered by the CPU deltas sent (beyond two clock
 * ticks of slack: /proc/PID/stat counts in ticks) is shared out among the
 * threads that ended since the last share-out, each getting at most the
 * time from its last sample to when it was found gone. The rest, and all
 * of it with none ended, is left out (threads pytop does not sample). */
static void note_ended(struct sampler *s, uint64_t round_ns)
{
	uint64_t round = atomic_load_explicit(&s->rounds, memory_order_relaxed);
	for (int i = 0; i < s->nknown; i++) {
		struct known_thread *k = &s->known[i];
		if (round == 0 || k->seen == round || k->gone || k->tid <= 0)
			continue;
		if (!k->missed_at)
			k->missed_at = round_ns;
		else if (round_ns - k->missed_at > GONE_WAIT_NS)
			continue;     /* out of the list, alive: not ours to guess */
		if (tasks_alive(s->tasks, k->tid))
			continue;
		k->gone = 1;
		if (s->nended == 0)
			s->ended_at = round_ns;
		if (s->nended < ENDED_MAX) {
			s->ended[s->nended].tid = k->tid;
			s->ended[s->nended++].most_ns = round_ns > k->last_ns ? round_ns - k->last_ns : 0;
		} else {
			emit_ended(s, k->tid, 0, round_ns);
		}
	}
	if (!s->proc_read)
		return;
	if (!s->proc_known || s->proc_now < s->proc_base) {
		s->proc_known = true;
		s->proc_base = s->proc_now;
		s->attributed = 0;
		s->foreign_pending = 0;
		ended_flush(s, round_ns);
		return;
	}
	s->attributed += s->foreign_pending;
	s->foreign_pending = 0;
	uint64_t used = s->proc_now - s->proc_base, slack = 2 * s->tick_ns;
	if (s->foreign_over) {
		/* Too many threads no sample stands for to tell theirs apart:
		 * nothing is shared out (an undercount, never an overcount). */
		if (used > s->attributed)
			s->attributed = used;
		ended_flush(s, round_ns);
	} else if (used > s->attributed && used - s->attributed > slack) {
		/* Each ended thread gets its share, at most what it can have used
		 * (threads with no Python thread state, and those beyond the
		 * limit, use CPU too: the rest is theirs, left out). */
		uint64_t extra = used - s->attributed - slack;
		for (int j = 0; j < s->nended; j++) {
			uint64_t share = extra / (uint64_t)s->nended;
			if (share > s->ended[j].most_ns)
				share = s->ended[j].most_ns;
			emit_ended(s, s->ended[j].tid, share, round_ns);
		}
		s->attributed += extra;
		s->nended = 0;
	}
	if (s->nended && round_ns - s->ended_at > ENDED_KEEP_NS)
		ended_flush(s, round_ns);
}

/* Last round's stack of thread k when it may be kept this round: the
 * same thread state and thread, read blocked before it was walked. Whether
 * it did not run since is kept_for()'s to say, once the states are read. */
static const struct kept_stack *may_keep(struct sampler *s, int k)
{
	if (k >= s->nprev || k >= MAX_THREADS)
		return NULL;
	const struct kept_stack *ks = &s->prev_kept[k];
	if (s->prev[k].tstate != ks->tstate || ks->tid != s->prev[k].tid || !ks->reading || ks->depth == 0)
		return NULL;
	return ks;
}

/* Append every interpreter's thread-list head and, for the threads whose
 * stacks may be kept (known: kept_for(), else may_keep()), the span of the
 * thread state the decoding needs (3.8-3.10: and the pthread's tid) to the
 * batch at s->piov[n]. Returns the new n. */
static int pre_add(struct sampler *s, int n, bool known)
{
	const struct py_layout *L = &s->t->L;
	bool want_ptid = L->tstate_native_thread_id < 0 && s->t->pthread_tid_offset >= 0;
	int32_t lo, hi;

	stack_thread_span(L, &lo, &hi);
	s->head_at = n;
	for (int i = 0; i < s->ninterps; i++)
		s->piov[n++] = (struct mem_iov){ s->interps[i] + (uint64_t)L->interp_threads_head, &s->heads[i], 8 };
	for (int k = 0; k < s->nprev && k < MAX_THREADS; k++) {
		s->pre_at[k] = -1;
		const struct kept_stack *ks = known ? kept_for(s, k, s->prev[k].tstate, s->prev[k].interp)
						    : may_keep(s, k);
		if (!ks || L->tstate_size <= 0 || L->tstate_size > LAYOUT_TSTATE_MAX)
			continue;
		/* Only the fields the decoding looks at. */
		s->pre_at[k] = n;
		s->piov[n++] = (struct mem_iov){ ks->tstate + (uint64_t)lo, s->tsbuf[k] + lo, (size_t)(hi - lo) };
		s->ptid[k] = 0;
		if (want_ptid && ks->pthread_id)
			s->piov[n++] = (struct mem_iov){ ks->pthread_id + (uint64_t)s->t->pthread_tid_offset, &s->ptid[k], 4 };
		s->pre_end[k] = n;
	}
	return n;
}

/* The heads and thread states pre_add() asked for, as read. */
static void pre_take(struct sampler *s, bool read)
{
	for (int i = 0; i < s->ninterps; i++)
		s->head_ok[i] = read && s->piov[s->head_at + i].len != 0;
	/* A thread state counts only with its pthread's tid, when wanted. */
	for (int k = 0; k < s->nprev && k < MAX_THREADS; k++) {
		bool ok = read && s->pre_at[k] >= 0;
		for (int r = s->pre_at[k]; ok && r < s->pre_end[k]; r++)
			ok = s->piov[r].len != 0;
		s->pre_ok[k] = ok;
	}
}

/* The round's reads before its walks, as one batch: every GIL state, the
 * thread states' own GIL flags (3.15), every thread-list head and the
 * thread states of the threads whose stacks may be kept; then every
 * thread's OS state. The GIL and the flags are one instant. With
 * --blocking the threads are stopped after their OS states were read (a
 * stopped thread reads as not running), and the heads and thread states
 * are read after that, in a second batch. */
static void round_reads(struct sampler *s, struct round_gil *rg)
{
	int end[MAX_INTERPS];
	bool blocking = s->pause && !s->one_by_one;
	int n = gil_add(s, 0, end);
	if (s->gil_self)
		n = gself_add(s, n);
	if (!blocking)
		n = pre_add(s, n, false);
	int got = n ? mem_readv_each(s->t->pid, s->piov, n) : 0;
	gil_take(s, rg, end, got > 0);
	if (s->gil_self)
		gself_take(s, got > 0);
	read_states(s);
	if (!blocking) {
		pre_take(s, got > 0);
		return;
	}
	s->paused_at = clock_now_ns();
	pause_stop(s->pause);
	n = pre_add(s, 0, true);
	got = mem_readv_each(s->t->pid, s->piov, n);
	pre_take(s, got > 0);
}

/* One round over every interpreter's thread states. Returns threads sampled,
 * or a negative error when the target could not be read at all. */
static int sample_round(struct sampler *s, uint64_t round_ns, int *errors, struct round_gil *rg)
{
	const struct py_layout *L = &s->t->L;
	uint64_t beyond = 0;
	int n = 0;

	/* The process's CPU time before any thread's: whatever the threads'
	 * readings (and the foreign threads') do not cover by the round's end
	 * was used by threads that are no longer there. */
	account_read(s, round_ns);
	round_reads(s, rg);
	s->ncur = 0;
	s->prev_hint = 0;
	s->unidentified = 0;
	for (int i = 0; i < s->ninterps; i++) {
		uint64_t ts;
		struct rlist walk;
		int rc = 0;
		if (s->head_ok[i])
			ts = s->heads[i];
		else
			rc = mem_read_ptr(s->t->pid, s->interps[i] + (uint64_t)L->interp_threads_head, &ts);
		if (rc < 0)
			return rc;
		rlist_init(&walk);
		s->visit_gen++;   /* a new walk: no state visited yet */
		bool looped = false;
		int resumes = 0;
		uint64_t left[LIST_RESUMES];   /* the states that led out */
		/* guard: states sampled; steps: also those passed over. */
		for (int guard = 0, steps = 0; ts && guard < MAX_THREADS && steps < 4 * MAX_THREADS; steps++) {
			/* One that led out, still in the list: the rest of the
			 * list is not the interpreter's (a hostile list). */
			bool again = false;
			for (int r = 0; r < resumes; r++)
				again |= ts == left[r];
			if (again) {
				ts = 0;
				break;
			}
			if (rlist_loops(&walk, ts)) {
				/* The thread-state list loops: not sampled twice. */
				sample_lost(s, errors, ERR_OTHER);
				looped = true;
				break;
			}
			/* After a resume, the states this walk sampled before
			 * are passed over by their links. */
			if (visit_add(s, ts) && resumes) {
				if (mem_read_ptr(s->t->pid, ts + (uint64_t)L->tstate_next, &ts) < 0)
					ts = 0;
				continue;
			}
			s->list_left = false;
			uint64_t at = ts;
			guard++;
			ts = sample_thread(s, ts, n++, i, round_ns, errors);
			/* The list led out of the interpreter: a state freed
			 * while it was read (a thread that ended), whose links
			 * the allocator took. The threads after it are still in
			 * the list: walk it again from its head (a thread-per-
			 * request server cut one round in eight, and the oldest
			 * threads, its serving thread among them, are the last). */
			if (!ts && s->list_left && resumes < LIST_RESUMES && guard < MAX_THREADS) {
				left[resumes++] = at;
				s->list_resumed_n++;
				if (mem_read_ptr(s->t->pid, s->interps[i] + (uint64_t)L->interp_threads_head, &ts) < 0)
					ts = 0;
				rlist_init(&walk);
			}
		}
		if (ts && !looped)
			beyond += count_beyond(s, ts, round_ns);
	}
	/* The empty stacks of threads that have no other state this round. */
	uint64_t stamp = atomic_load_explicit(&s->rounds, memory_order_relaxed) + 1;
	for (int j = 0; j < s->ndeferred; j++) {
		const struct deferred *d = &s->deferred[j];
		bool phantom = false;
		struct known_thread *kt = known_find(s, d->pthread_id, d->tid, &phantom);
		if (!kt || kt->sampled == stamp)
			s->unidentified += kt != NULL || phantom;
		else
			emit_sample(s, kt, d->tstate, d->k, d->interp, d->tid, 0, d->flags, round_ns, stamp, 0, NULL);
	}
	s->ndeferred = 0;
	prev_unread(s);
	note_ended(s, round_ns);
	beyond += (uint64_t)s->limit_skipped;
	s->limit_skipped = 0;
	if (beyond > atomic_load_explicit(&s->not_sampled, memory_order_relaxed))
		atomic_store_explicit(&s->not_sampled, beyond, memory_order_relaxed);
	/* This round's threads are the next round's early reads. */
	struct round_thread *tmp = s->prev;
	s->prev = s->cur;
	s->cur = tmp;
	struct kept_stack *ktmp = s->prev_kept;
	s->prev_kept = s->cur_kept;
	s->cur_kept = ktmp;
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
	r.unidentified = s->unidentified;
	r.pid = (uint32_t)s->t->pid;
	r.exit_status = status;
	ring_push(s->ring, &r.h);
}

static void prepare_tids(struct sampler *s);

/* Count one stopped window of ns in the pause histogram. */
static void pause_note(struct sampler *s, uint64_t ns)
{
	uint64_t us = ns / 1000u;
	size_t bin = us < PAUSE_FINE ? (size_t)us : PAUSE_FINE + (size_t)((us - PAUSE_FINE) / 100u);
	if (bin >= PAUSE_BINS)
		bin = PAUSE_BINS - 1;
	atomic_fetch_add_explicit(&s->pause_hist[bin], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->native_pauses, 1, memory_order_relaxed);
}

/* The pause at quantile q (0..1) from the histogram: its bin's upper end. */
static uint64_t pause_quantile(struct sampler *s, uint64_t total, double q)
{
	uint64_t want = (uint64_t)(q * (double)total), seen = 0;
	if (total == 0)
		return 0;   /* no --native: not the ~2000 bins at every stats read */
	if (want >= total)
		want = total ? total - 1 : 0;
	for (size_t b = 0; b < PAUSE_BINS; b++) {
		seen += atomic_load_explicit(&s->pause_hist[b], memory_order_relaxed);
		if (seen > want)
			return b < PAUSE_FINE ? (uint64_t)(b + 1) * 1000u
					      : (PAUSE_FINE + (uint64_t)(b - PAUSE_FINE + 1) * 100u) * 1000u;
	}
	return 0;
}

static void *sampler_main(void *arg)
{
	struct sampler *s = arg;
	uint64_t next = clock_now_ns();
	bool slept = true;   /* this round's start was a deadline slept to, not the last round's end */

	/* Wake at the deadline, not up to 50 us later (the default slack). */
	prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);

	while (!atomic_load(&s->stop)) {
		uint64_t start = clock_now_ns();
		struct round_gil rg;
		int errors = 0, n;

		/* Late: woken late. A round run at once, without a sleep,
		 * is as late as the one before (its start is that one's plus a
		 * round), however far behind its deadline (a slow round is
		 * not the scheduler's doing). (A round that began on time and
		 * was preempted past two periods is followed by one at once,
		 * not late, though it began when the sampler got its core
		 * back: carried forward as late, 8 points of test_batch's
		 * contended case moved by 0.3 pp, within their noise.) */
		if (slept)
			s->round_late = start > next && start - next >= ROUND_LATE_NS;
		s->late_share += ((s->round_late ? 1.0 : 0.0) - s->late_share) / 64;
		s->late_untold = s->round_late && s->late_share < LATE_SHARE_MAX;

		s->round_gap = s->round_start ? start - s->round_start : 0;
		s->round_start = start;
		n = sample_round(s, start, &errors, &rg);
		if (s->pause) {
			pause_resume(s->pause);
			if (s->native && !s->one_by_one)
				pause_note(s, clock_now_ns() - s->paused_at);
		}
		uint64_t end = clock_now_ns();
		if (s->native && end - s->native_swept_at > NATIVE_SWEEP_NS) {
			native_sweep(s->native);   /* the contexts of threads that ended */
			s->native_swept_at = end;
		}

		if (n <= 0 && proc_check(s->t->pid) != 0)
			s->failed_rounds = GONE_ROUNDS;
		else if (n < 0)
			s->failed_rounds++;
		else
			s->failed_rounds = 0;
		if (s->failed_rounds >= GONE_ROUNDS) {
			send_tick(s, REC_TARGET_EXIT, start, end - start, 0, 0, &rg, -1);
			atomic_store(&s->gone, true);
			ring_wake(s->ring);   /* a front end asleep till its next drain */
			break;
		}
		send_tick(s, REC_TICK, start, end - start, n, errors, &rg, 0);
		if (end - s->all_names_at > NAMES_EVERY_NS)
			refresh_names(s, end, true);
		else if (s->new_thread)
			refresh_names(s, end, false);
		/* 3.8-3.10: the pthread-to-tid match failed at attach (threads
		 * came and went while it looked): try again. */
		if (s->unidentified && s->t->L.tstate_native_thread_id < 0 && s->t->pthread_tid_offset < 0 &&
		    end - s->calibrate_at > CALIBRATE_NS) {
			s->calibrate_at = end;
			prepare_tids(s);
		}
		if (end - s->swept_at > SWEEP_NS) {
			tasks_sweep(s->tasks);    /* the files of threads that ended */
			s->swept_at = end;
		}

		atomic_fetch_add_explicit(&s->rounds, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&s->errors, (uint64_t)errors, memory_order_relaxed);
		atomic_fetch_add_explicit(&s->busy_ns, end - start, memory_order_relaxed);
		/* The thread's CPU clock is a system call (no vDSO): every 10 ms. */
		if (end - s->cpu_at >= CPU_READ_NS || s->stop) {
			s->cpu_at = end;
			atomic_store_explicit(&s->cpu_ns, clock_ns(CLOCK_THREAD_CPUTIME_ID), memory_order_relaxed);
		}
		atomic_store_explicit(&s->reads, mem_syscalls(), memory_order_relaxed);
		atomic_store_explicit(&s->state_reused, tasks_reuses(s->tasks), memory_order_relaxed);
		atomic_store_explicit(&s->state_mismatches, s->state_mismatches_n, memory_order_relaxed);
		atomic_store_explicit(&s->stacks_kept, s->kept_n, memory_order_relaxed);
		atomic_store_explicit(&s->stack_mismatches, s->kept_bad, memory_order_relaxed);
		uint64_t skipped, wrong;
		tasks_page_counts(s->tasks, &skipped, &wrong);
		atomic_store_explicit(&s->schedstat_skipped, skipped, memory_order_relaxed);
		atomic_store_explicit(&s->switch_mismatches, wrong, memory_order_relaxed);
		atomic_store_explicit(&s->confirms_skipped, stack_confirms_skipped(s->cache), memory_order_relaxed);
		atomic_store_explicit(&s->confirm_mismatches, s->vouch_wrong, memory_order_relaxed);
		atomic_store_explicit(&s->reopened_reads, tasks_reopened(s->tasks), memory_order_relaxed);
		atomic_store_explicit(&s->walks_retried, s->walks_retried_n, memory_order_relaxed);
		atomic_store_explicit(&s->lists_resumed, s->list_resumed_n, memory_order_relaxed);
		atomic_store_explicit(&s->off_cpu_samples, s->off_cpu_n, memory_order_relaxed);
		atomic_store_explicit(&s->sched_reads, tasks_on_cpu_reads(s->tasks), memory_order_relaxed);
		atomic_store_explicit(&s->late_samples, s->late_n, memory_order_relaxed);
		for (int i = 0; i < ERR_KINDS; i++)
			atomic_store_explicit(&s->errors_kind[i], s->errors_kind_n[i], memory_order_relaxed);
		for (int i = 0; i < NC_N; i++)
			atomic_store_explicit(&s->nc_pub[i], s->nc[i], memory_order_relaxed);

		/* Absolute deadlines, each a jittered period after the last
		 * (pace.h: no fixed phase to the target's tick). A round that
		 * starts late runs at once and the schedule catches up; more
		 * than two periods behind, the schedule starts again from now
		 * (those rounds are lost). */
		uint64_t period = (uint64_t)(1e9 / atomic_load(&s->rate_hz));
		next += pace_gap(&s->pace, period);
		uint64_t after = clock_now_ns();
		if (next < after) {
			atomic_fetch_add_explicit(&s->late, 1, memory_order_relaxed);
			if (after - next > 2 * period)
				next = after;
			slept = false;
			continue;
		}
		slept = true;
		struct timespec ts = clock_timespec(next);
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
		struct rlist walk;
		if (mem_read_ptr(s->t->pid, s->interps[i] + (uint64_t)s->t->L.interp_threads_head, &ts) < 0)
			return;
		rlist_init(&walk);
		while (ts && n < MAX_THREADS && !rlist_loops(&walk, ts) &&
		       stack_walk(s->cache, s->t, ts, &ti, s->frames, 1, &flags) >= 0) {
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
	stack_cache_destroy(s->cache);
	free(s->sent);
	free(s->frames);
	free(s->rec);
	free(s->def);
	free(s->names);
	free(s->listed);
	free(s->tidset);
	free(s->prev);
	free(s->cur);
	free(s->prev_state);
	free(s->prev_reading);
	free(s->prev_kept);
	free(s->piov);
	free(s->tsbuf);
	free(s->ptid);
	free(s->pre_ok);
	free(s->gself_buf);
	free(s->gself_holds);
	free(s->gself_req);
	free(s->pre_end);
	free(s->pre_at);
	free(s->cur_kept);
	free(s->prev_cpu);
	native_destroy(s->native);
	symbols_destroy(s->syms);
	free(s->ips);
	free(s->reuse);
	free(s->reuse_copy);
	free(s->call);
	free(s->prev_act);
	free(s->nat);
	free(s->py);
	free(s->mixed);
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
	pace_seed(&s->pace, 0);
	s->ninterps = pyrt_interpreters(t, s->interps, MAX_INTERPS, &s->interps_beyond);
	if (s->ninterps <= 0) {
		snprintf(err, errcap, "process %d: cannot read its interpreters: %s", (int)t->pid,
			 pytop_strerror(s->ninterps < 0 ? s->ninterps : PYTOP_ECORRUPT));
		free(s);
		return NULL;
	}
	for (int i = 0; i < s->ninterps; i++) {
		pyrt_gil(t, s->interps[i], &s->gils[i]);
		s->gil_first[i] = i;
		for (int j = 0; j < i; j++)
			if (s->gils[j].addr == s->gils[i].addr) {
				s->gil_first[i] = j;
				break;
			}
	}
	s->prev = xcalloc(MAX_THREADS, sizeof *s->prev);
	s->cur = xcalloc(MAX_THREADS, sizeof *s->cur);
	s->prev_state = xcalloc(MAX_THREADS, sizeof *s->prev_state);
	s->prev_reading = xcalloc(MAX_THREADS, sizeof *s->prev_reading);
	s->prev_kept = xcalloc(MAX_THREADS, sizeof *s->prev_kept);
	s->piov = xcalloc(PIOV_MAX, sizeof *s->piov);
	s->tsbuf = xcalloc(MAX_THREADS, sizeof *s->tsbuf);
	s->ptid = xcalloc(MAX_THREADS, sizeof *s->ptid);
	s->pre_ok = xcalloc(MAX_THREADS, sizeof *s->pre_ok);
	s->pre_end = xcalloc(MAX_THREADS, sizeof *s->pre_end);
	s->pre_at = xcalloc(MAX_THREADS, sizeof *s->pre_at);
	s->cur_kept = xcalloc(MAX_THREADS, sizeof *s->cur_kept);
	s->prev_cpu = xcalloc(MAX_THREADS, sizeof *s->prev_cpu);
	s->tasks = tasks_create(t->pid);
	/* Blocked threads that did not run keep their syscall reading and
	 * their stack. PYTOP_SAMPLER_CHECK=1 reads and walks anyway and counts
	 * the samples reuse would have changed (the JSON overhead's
	 * state_mismatches, stack_mismatches); =off reads and walks every time
	 * (for comparison). */
	const char *check = getenv("PYTOP_SAMPLER_CHECK");
	s->check = check && strcmp(check, "1") == 0;
	const char *gs = getenv("PYTOP_GIL_STRUCT");
	int32_t h = t->L.tstate_holds_gil, q = t->L.tstate_gil_requested;
	s->gself_lo = h < q ? h : q;
	s->gself_len = (h > q ? h : q) + 4 - s->gself_lo;
	s->gil_self = h >= 0 && q >= 0 && s->gself_len <= GSELF_MAX && !(gs && strcmp(gs, "1") == 0);
	s->gself_buf = xcalloc(MAX_THREADS, sizeof *s->gself_buf);
	s->gself_holds = xcalloc(MAX_THREADS, sizeof *s->gself_holds);
	s->gself_req = xcalloc(MAX_THREADS, sizeof *s->gself_req);
	tasks_set_reuse(s->tasks, !(check && strcmp(check, "off") == 0), s->check);
	/* PYTOP_SWITCH_PAGES=1: a long-blocked thread's schedstat is not read
	 * while its perf switch page says it was not switched in. Off by
	 * default: perf_event_open took 23-320 us on average here and up to
	 * 13 ms under load, in the sampler's round, and a thread with a page
	 * pays perf work at every switch. */
	const char *pages = getenv("PYTOP_SWITCH_PAGES");
	tasks_set_pages(s->tasks, pages && strcmp(pages, "1") == 0);
	s->frames = xcalloc(SAMPLE_MAX_DEPTH, sizeof *s->frames);
	s->rec = xcalloc(1, sizeof *s->rec + SAMPLE_MAX_DEPTH * sizeof s->rec->frames[0] + 8);
	s->def = xcalloc(1, sizeof *s->def + SAMPLE_NAME_MAX + SAMPLE_FILE_MAX + 16);
	s->sent = xcalloc(SENT_SLOTS, sizeof *s->sent);
	s->cache = stack_cache_create();
	s->names = xcalloc(MAX_THREADS, sizeof *s->names);
	s->listed = xcalloc(LIST_MAX, sizeof *s->listed);
	s->scanned_count = -1;
	s->tidset = xcalloc(TIDSET_SLOTS, sizeof *s->tidset);
	long hz = sysconf(_SC_CLK_TCK);
	s->tick_ns = 1000000000ull / (uint64_t)(hz > 0 ? hz : 100);
	if (cfg->blocking) {
		s->pause = pause_create(t->pid, 0, err, errcap);
		if (!s->pause)
			goto fail;
	}
	if (cfg->native) {
		char why[256];
		if (!s->pause && !(s->pause = pause_create(t->pid, 1, why, sizeof why))) {
			native_refused(err, errcap, t->pid, why);
			goto fail;
		}
		if (!(s->native = native_create(t->pid))) {
			snprintf(err, errcap, "--native: libunwind cannot make an address space");
			goto fail;
		}
		s->syms = symbols_create(t->pid, t->binary);
		/* The tables and symbols of what is mapped now, found here and
		 * not at each first unwind into a library (that allocates). */
		native_preload(s->native);
		symbols_preload(s->syms);
		s->native_all = cfg->native_all;
		/* A thread that does not stop soon is sampled without its C
		 * stack (marked), not waited for: the others are stopped (one
		 * that stops late stays so until the next round lets it go). */
		if (!cfg->blocking)
			pause_set_wait(s->pause, NATIVE_STOP_WAIT_US);
		s->one_by_one = !cfg->blocking;
		s->ips = xcalloc(NATIVE_MAX_DEPTH, sizeof *s->ips);
		s->reuse = xcalloc(REUSE_SLOTS, sizeof *s->reuse);
		s->reuse_copy = xcalloc(1, sizeof *s->reuse_copy);
		s->call = xcalloc(1, sizeof *s->call);
		s->prev_act = xcalloc(MAX_THREADS, sizeof *s->prev_act);
		/* PYTOP_NATIVE_CHECK=1: a thread whose native frames would be
		 * reused is stopped and unwound all the same, and the two
		 * compared (the JSON's native reuse_checked, reuse_mismatches). */
		const char *nc = getenv("PYTOP_NATIVE_CHECK");
		s->native_check = nc && strcmp(nc, "1") == 0;
		s->nat = xcalloc(NATIVE_MAX_DEPTH, sizeof *s->nat);
		s->py = xcalloc(SAMPLE_MAX_DEPTH, sizeof *s->py);
		s->mixed = xcalloc(SAMPLE_MAX_DEPTH, sizeof *s->mixed);
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

void sampler_stop(struct sampler *s, struct sampler_stats *last)
{
	if (!s)
		return;
	atomic_store(&s->stop, true);
	pthread_join(s->thread, NULL);
	if (last)
		sampler_get_stats(s, last);
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
	out->state_reused = atomic_load(&s->state_reused);
	out->state_mismatches = atomic_load(&s->state_mismatches);
	out->stacks_kept = atomic_load(&s->stacks_kept);
	out->stack_mismatches = atomic_load(&s->stack_mismatches);
	out->schedstat_skipped = atomic_load(&s->schedstat_skipped);
	out->reopened_reads = atomic_load(&s->reopened_reads);
	out->walks_retried = atomic_load(&s->walks_retried);
	out->lists_resumed = atomic_load(&s->lists_resumed);
	out->off_cpu_samples = atomic_load(&s->off_cpu_samples);
	out->late_samples = atomic_load(&s->late_samples);
	out->sched_reads = atomic_load(&s->sched_reads);
	for (int i = 0; i < ERR_KINDS; i++)
		out->errors_kind[i] = atomic_load(&s->errors_kind[i]);
	out->switch_mismatches = atomic_load(&s->switch_mismatches);
	out->confirms_skipped = atomic_load(&s->confirms_skipped);
	out->confirm_mismatches = atomic_load(&s->confirm_mismatches);
	out->threads_not_sampled = atomic_load(&s->not_sampled);
	out->thread_limit = MAX_THREADS;
	out->interps_not_sampled = s->interps_beyond;
	out->interp_limit = MAX_INTERPS;
	out->native_pauses = atomic_load(&s->native_pauses);
	out->pause_median_ns = pause_quantile(s, out->native_pauses, 0.5);
	out->pause_p99_ns = pause_quantile(s, out->native_pauses, 0.99);
	out->native_partial = atomic_load(&s->native_partial);
	out->native_unmatched = atomic_load(&s->native_unmatched);
	for (int i = 0; i < NC_N; i++)
		out->nc[i] = atomic_load_explicit(&s->nc_pub[i], memory_order_relaxed);
	out->rate_hz = atomic_load(&s->rate_hz);
	out->target_gone = atomic_load(&s->gone);
}
