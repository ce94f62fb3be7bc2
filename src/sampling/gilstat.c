/* gilstat: the dedicated GIL sampler thread (sampled or exact). */
#include "sampling/gilstat.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cpython/gil.h"
#include "cpython/rlist.h"
#include "cpython/thread.h"
#include "errors.h"
#include "process/elf.h"
#include "process/inlines.h"
#include "process/memory.h"
#include "process/nspid.h"
#include "process/proc.h"
#include "process/tasks.h"
#include "process/uprobe.h"
#include "util/clock.h"
#include "util/pace.h"

#define MAX_INTERPS 64
#define PUBLISH_NS 10000000ull        /* publish every 10 ms */
#define REFRESH_NS 200000000ull       /* re-list the thread states every 200 ms */
#define REFRESH_MIN_NS 10000000ull    /* ... or on an unknown holder, at most every 10 ms */
#define EXACT_PERIOD_NS 1000000ull    /* exact: drain the perf rings every 1 ms */
#define EXACT_MARGIN_NS 1000000ull    /* exact: events younger than this wait for the next drain */
#define GONE_READS 3                  /* failed GIL reads before the target counts as gone */
#define MAX_CLONES 8
#define MAX_SPECS 16                  /* uprobe.c opens at most 16 probes */
#define BEYOND_MAX 16384              /* thread states past the listed ones counted at most */
#define BEYOND_EVERY_NS 1000000000ull /* ... and counted at most every second (else: 1) */

_Static_assert(sizeof(struct gilstat_snapshot) % 8 == 0, "snapshot is copied as words");
_Static_assert(offsetof(struct gilstat_snapshot, threads) % 8 == 0, "header is copied as words");
_Static_assert(sizeof(struct gilstat_thread) % 8 == 0, "threads are copied as words");

enum { TAG_TAKE_ENTER = GILACCT_TAKE_ENTER, TAG_TAKE_RETURN = GILACCT_TAKE_RETURN,
       TAG_DROP_ENTER = GILACCT_DROP_ENTER };

struct gs_thread {
	uint64_t tstate;
	pid_t tid;
};

struct gilstat {
	struct py_target *t;
	struct gilstat_config cfg;
	uint64_t period_ns;
	struct pace pace;   /* sampled: the jittered gaps between ticks (no fixed phase to the switch interval) */
	pthread_t thread;
	atomic_bool stop;

	/* the published snapshot: a seqlock over words */
	atomic_uint seq;
	_Atomic uint64_t *pub;

	/* gilstat thread's own state, allocated before it starts */
	struct gilacct *acct;
	struct gilstat_snapshot *scratch;
	struct tasks *tasks;
	struct uprobe_set *probes;
	struct gil_where gil;             /* the main interpreter's GIL */
	uint64_t interps[MAX_INTERPS];
	int ninterps;
	struct gs_thread *threads;
	struct gilacct_obs *obs;
	struct gilacct_pending *pending;  /* per obs entry */
	int nthreads;
	uint64_t refreshed_ns, published_ns;
	uint64_t late, lost;
	uint64_t unlisted, beyond_counted_ns;   /* thread states a listing left out: most */
	int failed_reads;
	bool gone;

	/* Cutting the window (gilstat_cut): the time asked for (0: none;
	 * CUT_PENDING: one is being read), the window cut off, and the
	 * counters' values at the latest cut (the next window's zero). */
	_Atomic uint64_t cut_at;
	atomic_bool cut_done, exited;
	struct gilstat_snapshot *cut;
	uint64_t late_cut, lost_cut, unfollowed_cut, cpu_cut;
};

#define CUT_PENDING UINT64_MAX
#define PENDING_WAIT_NS 20000ull      /* a cut's time is being read: look again after this */
#define CUT_WAIT_NS 100000ull         /* gilstat_cut looks whether the cut is done this often */

const char *gilstat_mode_name(enum gilstat_mode m)
{
	switch (m) {
	case GILSTAT_SAMPLED: return "sampled";
	case GILSTAT_EXACT: return "exact";
	default: return "off";
	}
}

void gilstat_config_default(struct gilstat_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->mode = GILSTAT_SAMPLED;
	cfg->rate_hz = GILSTAT_DEFAULT_RATE_HZ;
	cfg->take_warn_ms = GILSTAT_DEFAULT_WARN_MS;
	cfg->hold_warn_ms = GILSTAT_DEFAULT_WARN_MS;
}

enum gilstat_mode gilstat_mode(const struct gilstat *g)
{
	return g->cfg.mode;
}

/* ---- publishing ---- */

static size_t snapshot_words(uint32_t nthreads)
{
	return (offsetof(struct gilstat_snapshot, threads) + nthreads * sizeof(struct gilstat_thread)) / 8;
}

/* The gilstat thread's own counters in s, since the latest cut. */
static void own_counters(struct gilstat *g, struct gilstat_snapshot *s)
{
	s->rate_hz = g->cfg.mode == GILSTAT_SAMPLED ? 1e9 / (double)g->period_ns : 0;
	s->late = g->late - g->late_cut;
	s->lost = g->lost - g->lost_cut;
	s->unlisted = g->unlisted;
	s->unfollowed = uprobe_unfollowed(g->probes) - g->unfollowed_cut;
	s->cpu_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID) - g->cpu_cut;
	s->stopped = g->gone || atomic_load_explicit(&g->stop, memory_order_relaxed);
}

static void publish(struct gilstat *g)
{
	struct gilstat_snapshot *s = g->scratch;

	gilacct_result(g->acct, s);
	own_counters(g, s);
	size_t words = snapshot_words(s->nthreads);
	unsigned v = atomic_load_explicit(&g->seq, memory_order_relaxed);
	atomic_store_explicit(&g->seq, v + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	for (size_t i = 0; i < words; i++) {
		uint64_t w;
		memcpy(&w, (const char *)s + 8 * i, 8);
		atomic_store_explicit(&g->pub[i], w, memory_order_relaxed);
	}
	atomic_store_explicit(&g->seq, v + 2, memory_order_release);
	g->published_ns = clock_now_ns();
}

static void copy_words(struct gilstat *g, void *dst, size_t from, size_t words)
{
	for (size_t i = 0; i < words; i++) {
		uint64_t w = atomic_load_explicit(&g->pub[from + i], memory_order_relaxed);
		memcpy((char *)dst + 8 * (from + i), &w, 8);
	}
}

void gilstat_read(struct gilstat *g, struct gilstat_snapshot *out)
{
	size_t head = offsetof(struct gilstat_snapshot, threads) / 8;

	for (;;) {
		unsigned v1 = atomic_load_explicit(&g->seq, memory_order_acquire);
		if (v1 & 1) {
			sched_yield();
			continue;
		}
		copy_words(g, out, 0, head);
		uint32_t n = out->nthreads <= GILSTAT_MAX_THREADS ? out->nthreads : GILSTAT_MAX_THREADS;
		copy_words(g, out, head, snapshot_words(n) - head);
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&g->seq, memory_order_relaxed) == v1) {
			out->nthreads = n;
			return;
		}
	}
}

/* ---- cutting the window ---- */

/* The cut asked for: 0 (none), or its time; waits while the time is being
 * read (CUT_PENDING). */
static uint64_t cut_wanted(struct gilstat *g)
{
	uint64_t c;

	while ((c = atomic_load(&g->cut_at)) == CUT_PENDING)
		clock_sleep_ns(PENDING_WAIT_NS);
	return c;
}

/* Cut at `at` (everything before it accounted): the window goes to g->cut
 * for gilstat_cut, and the next one starts. */
static void cut_now(struct gilstat *g, uint64_t at)
{
	gilacct_cut(g->acct, at, g->cut);
	own_counters(g, g->cut);
	g->late_cut = g->late;
	g->lost_cut = g->lost;
	g->unfollowed_cut = uprobe_unfollowed(g->probes);
	g->cpu_cut = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	g->unlisted = 0;
	atomic_store(&g->cut_at, 0);
	atomic_store_explicit(&g->cut_done, true, memory_order_release);
	publish(g);
}

void gilstat_cut_begin(struct gilstat *g)
{
	if (!g)
		return;
	atomic_store(&g->cut_done, false);
	atomic_store(&g->cut_at, CUT_PENDING);
}

void gilstat_cut(struct gilstat *g, uint64_t now, struct gilstat_snapshot *out)
{
	if (!g)
		return;
	atomic_store(&g->cut_at, now);
	for (;;) {
		if (atomic_load_explicit(&g->cut_done, memory_order_acquire)) {
			if (out)
				memcpy(out, g->cut, snapshot_words(g->cut->nthreads) * 8);
			break;
		}
		if (atomic_load(&g->exited) && !atomic_load_explicit(&g->cut_done, memory_order_acquire)) {
			/* It ended (the target is gone) before it got there: its
			 * last numbers. */
			atomic_store(&g->cut_at, 0);
			if (out)
				gilstat_read(g, out);
			break;
		}
		clock_sleep_ns(CUT_WAIT_NS);
	}
}

/* ---- the thread list ---- */

/* A thread state's kernel tid from its native thread id (where the
 * layout has one; from the target's PID namespace), else from its
 * pthread id; 0 when neither names one. */
static pid_t tid_decode(const struct gilstat *g, int64_t native, uint64_t pthread_id)
{
	if (g->t->L.tstate_native_thread_id < 0)
		native = thread_tid_of(g->t, pthread_id);
	else if (native > 0 && native < INT32_MAX)   /* own PID namespace */
		native = nspid_host(g->t->nspid, (pid_t)native);
	return native > 0 && native < INT32_MAX ? (pid_t)native : 0;
}

/* The thread states from ts on that a listing had no room for: counted by
 * their next pointers (at most BEYOND_MAX, at most every second; between,
 * 1: some were left out). */
static uint64_t count_beyond(struct gilstat *g, uint64_t ts, uint64_t now)
{
	struct rlist walk;
	uint64_t n = 0;

	if (g->beyond_counted_ns && now - g->beyond_counted_ns < BEYOND_EVERY_NS)
		return 1;
	g->beyond_counted_ns = now;
	rlist_init(&walk);
	while (ts && n < BEYOND_MAX && !rlist_loops(&walk, ts) &&
	       mem_read_ptr(g->t->pid, ts + (uint64_t)g->t->L.tstate_next, &ts) == 0)
		n++;
	return n ? n : 1;
}

/* List the thread states sharing the main GIL, with their kernel tids
 * (the first GILSTAT_LIST_MAX; those past them are counted in
 * g->unlisted: their waits are not seen; a hold by one of them is named
 * by tid_of, and the table keeps a place for it). */
static void refresh_threads(struct gilstat *g, uint64_t now)
{
	const struct py_layout *L = &g->t->L;
	unsigned char buf[LAYOUT_TSTATE_MAX];   /* tstate fields fit tstate_size (layout_validate) */
	size_t len = 0;
	int n = 0;
	uint64_t beyond = 0;

	int32_t fields[] = { L->tstate_next, L->tstate_thread_id, L->tstate_native_thread_id };
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		if (fields[i] >= 0 && (size_t)fields[i] + 8 > len)
			len = (size_t)fields[i] + 8;
	if (len > sizeof buf)
		len = sizeof buf;
	for (int i = 0; i < g->ninterps; i++) {
		uint64_t ts = 0;
		struct gil_where w;
		pyrt_gil(g->t, g->interps[i], &w);
		if (w.addr != g->gil.addr ||
		    mem_read_ptr(g->t->pid, g->interps[i] + (uint64_t)L->interp_threads_head, &ts) < 0)
			continue;
		struct rlist walk;
		bool looped = false;
		rlist_init(&walk);
		for (; ts && n < GILSTAT_LIST_MAX; ) {
			uint64_t next = 0, pthread_id = 0;
			if (rlist_loops(&walk, ts)) {
				looped = true;
				break;   /* the thread-state list loops */
			}
			int64_t native = 0;
			if (mem_read(g->t->pid, ts, buf, len) < 0)
				break;
			memcpy(&next, buf + L->tstate_next, 8);
			memcpy(&pthread_id, buf + L->tstate_thread_id, 8);
			if (L->tstate_native_thread_id >= 0)
				memcpy(&native, buf + L->tstate_native_thread_id, 8);
			g->threads[n].tstate = ts;
			g->threads[n].tid = tid_decode(g, native, pthread_id);
			n++;
			ts = next;
		}
		if (ts && !looped && n == GILSTAT_LIST_MAX)
			beyond += count_beyond(g, ts, now);
	}
	if (beyond > g->unlisted)
		g->unlisted = beyond;
	g->nthreads = n;
	g->refreshed_ns = now;
	gilacct_listing(g->acct, now);
	for (int i = 0; i < n; i++)
		gilacct_listed(g->acct, g->threads[i].tid);
	tasks_sweep(g->tasks);            /* the files of threads that ended */
}

/* The kernel tid thread state tstate names now (its native thread id, or
 * on 3.6/3.7 its pthread's); 0 when it cannot be read. */
static pid_t tstate_tid(struct gilstat *g, uint64_t tstate)
{
	const struct py_layout *L = &g->t->L;
	int64_t native = 0;
	uint64_t pthread_id = 0;
	bool own = L->tstate_native_thread_id >= 0;

	if (mem_read(g->t->pid, tstate + (uint64_t)(own ? L->tstate_native_thread_id : L->tstate_thread_id),
		     own ? (void *)&native : (void *)&pthread_id, 8) < 0)
		return 0;
	return tid_decode(g, native, pthread_id);
}

/* The holder's tid, read from its thread state: a thread that ended
 * leaves its thread state's memory to the next one to start (on a
 * thread-per-request server, at once), so the listing's tid for that
 * address may be an ended thread's until the next listing (its entry
 * takes the new tid: its waits are observed too). -1 when unknown: not
 * readable, or a thread state not in a listing that had room for it (a
 * thread new since: the caller lists again). One past a full listing
 * (such as the main thread of a process with more threads, the oldest
 * and so the last) is named all the same. */
static pid_t tid_of(struct gilstat *g, uint64_t tstate)
{
	if (!tstate)
		return -1;
	pid_t own = tstate_tid(g, tstate);
	for (int i = 0; i < g->nthreads; i++)
		if (g->threads[i].tstate == tstate) {
			if (own > 0)
				g->threads[i].tid = own;
			return g->threads[i].tid > 0 ? g->threads[i].tid : -1;
		}
	if (g->nthreads < GILSTAT_LIST_MAX)
		return -1;
	return own > 0 ? own : -1;
}

/* One read of the GIL (one range, or on 3.6 one per static); false when
 * it failed. */
static bool read_gil(struct gilstat *g, struct gil_state *st)
{
	unsigned char buf[GIL_READ_MAX] = { 0 };
	struct mem_iov iov[GIL_REGIONS_MAX];
	int n = gil_iov(&g->gil, buf, iov);
	int rc = n ? mem_readv(g->t->pid, iov, n) : PYTOP_ECORRUPT;

	if (rc >= 0 && rc < n)
		rc = PYTOP_EREAD;
	if (rc < 0) {
		if (rc == PYTOP_EGONE || ++g->failed_reads >= GONE_READS)
			g->gone = true;
		return false;
	}
	g->failed_reads = 0;
	gil_parse(&g->t->L, buf, st);
	return true;
}

static void sleep_until(struct gilstat *g, uint64_t *next, uint64_t period)
{
	*next += period;
	uint64_t after = clock_now_ns();
	if (*next < after) {
		g->late++;
		*next = after;
		return;
	}
	struct timespec ts = clock_timespec(*next);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR &&
	       !atomic_load_explicit(&g->stop, memory_order_relaxed))
		;
}

/* ---- sampled mode ---- */

/* What this tick sees of the thread listed at i, in g->obs[i] (holder:
 * the GIL's holder now).
 *
 * Waiting: blocked in a take's wait (a thread in drop_gil's wait for a
 * switch let the GIL go: its wait is not a take's, and it ends with no
 * take: the checksummer, releasing the GIL to hash while a drop request
 * was pending, got a take per wait).
 *
 * Waiters' CPU time is read every tick. A waiter woken to take the GIL
 * reads "running" while it waits for a core, still inside take_gil: its
 * wait goes on until its CPU time moves. One seen blocked on the GIL at
 * two ticks that ran more than take_gil's wake-ups cost in between took
 * the GIL and went back to wait (took).
 *
 * One that ran, but less than that, ends its wait with no take yet
 * (woke): the next ticks tell whether it took the GIL
 * (gilacct_pending_tell; the checksummer, hashing with the GIL let go,
 * lost half its takes when none was given). */
static void observe(struct gilstat *g, int i, pid_t holder)
{
	struct gilacct_obs *o = &g->obs[i];
	struct gilacct_pending *p = &g->pending[i];
	struct task_activity a;
	pid_t tid = g->threads[i].tid;
	bool was = o->tid == tid && o->waiting;
	bool read = tid > 0 && tasks_read(g->tasks, tid, &a) == 0;
	bool waiting = read && !a.running && gil_wait_kind(&g->gil, a.syscall, a.arg0) == GIL_WAIT_TAKE;
	bool took = false, woke = false, late = false, known = false;
	uint64_t total = 0, delta = 0;

	if (p->tid != tid)
		p->tid = 0;
	if (read && a.running && was) {
		known = tasks_cpu(g->tasks, tid, &total, &delta) == 1;
		waiting = known && delta == 0;
		woke = known && delta > 0 && delta < GILACCT_WAKE_CPU_NS;
	} else if (waiting || p->tid) {
		known = tasks_cpu(g->tasks, tid, &total, &delta) == 1;
		took = waiting && known && was && delta >= GILACCT_WAKE_CPU_NS;
	}
	if (woke)
		*p = (struct gilacct_pending){ .tid = tid, .cpu_ns = total - delta };
	else if (p->tid)
		late = gilacct_pending_tell(p, read && known, waiting, read && a.running, tid == holder, total);
	o->tid = tid;
	o->waiting = waiting;
	o->took = took;
	o->woke = woke;
	o->late = late;
}

static void *sampled_main(void *arg)
{
	struct gilstat *g = arg;
	uint64_t next = clock_now_ns();

	refresh_threads(g, next);
	while (!atomic_load_explicit(&g->stop, memory_order_relaxed) && !g->gone) {
		uint64_t now = clock_now_ns();
		struct gil_state st;
		/* (The clock first, then the cut: a cut's time is read after
		 * gilstat_cut_begin, so it is never before a tick made here.) */
		if (atomic_load(&g->cut_at) == CUT_PENDING) {
			cut_wanted(g);
			next = clock_now_ns();
			continue;
		}
		uint64_t c = atomic_load(&g->cut_at);
		if (c && c <= now)
			cut_now(g, c);
		if (read_gil(g, &st)) {
			struct gilacct_tick k = { .time_ns = now, .switch_number = st.switch_number };
			k.holder = st.locked ? tid_of(g, st.holder) : 0;
			for (int i = 0; i < g->nthreads; i++)
				observe(g, i, k.holder);
			k.threads = g->obs;
			k.nthreads = g->nthreads;
			gilacct_tick(g->acct, &k);
			uint64_t since = now - g->refreshed_ns;
			if (since > REFRESH_NS || (k.holder < 0 && since > REFRESH_MIN_NS))
				refresh_threads(g, clock_now_ns());
		}
		if (now - g->published_ns >= PUBLISH_NS)
			publish(g);
		sleep_until(g, &next, pace_gap(&g->pace, g->period_ns));
	}
	uint64_t c = cut_wanted(g);
	if (c)
		cut_now(g, c);
	publish(g);
	atomic_store(&g->exited, true);
	return NULL;
}

/* ---- exact mode ---- */

static void on_event(void *arg, uint64_t time_ns, pid_t tid, int tag)
{
	struct gilstat *g = arg;
	gilacct_event(g->acct, time_ns, tid, (enum gilacct_event)tag);
}

static void *exact_main(void *arg)
{
	struct gilstat *g = arg;
	uint64_t next = clock_now_ns();

	while (!atomic_load_explicit(&g->stop, memory_order_relaxed) && !g->gone) {
		uint64_t now = clock_now_ns();
		struct gil_state st;
		/* (The clock first, then the cut, as in sampled_main.) */
		if (atomic_load(&g->cut_at) == CUT_PENDING) {
			cut_wanted(g);
			next = clock_now_ns();
			continue;
		}
		uint64_t c = atomic_load(&g->cut_at);
		bool known = read_gil(g, &st);
		uint64_t upto = now - EXACT_MARGIN_NS;
		if (c && c <= upto) {
			/* Every event before the cut, and none after. */
			uprobe_drain(g->probes, c, on_event, g, &g->lost);
			gilacct_progress(g->acct, c, 0, false);
			cut_now(g, c);
		}
		uprobe_drain(g->probes, upto, on_event, g, &g->lost);
		if (uprobe_follow(g->probes, now) > 0) {   /* events for new threads, none for dead ones */
			int n;
			const pid_t *tids = uprobe_tids(g->probes, &n);
			gilacct_listing(g->acct, uprobe_listed_ns(g->probes));   /* the others ended: evicted first */
			for (int i = 0; i < n; i++)
				gilacct_listed(g->acct, tids[i]);
		}
		gilacct_progress(g->acct, upto, known ? st.switch_number : 0, known);
		if (now - g->published_ns >= PUBLISH_NS)
			publish(g);
		sleep_until(g, &next, EXACT_PERIOD_NS);
	}
	/* Whatever is still buffered (up to a cut asked for meanwhile). */
	uint64_t now = clock_now_ns(), c = cut_wanted(g);
	if (c && c < now)
		now = c;
	uprobe_drain(g->probes, now, on_event, g, &g->lost);
	gilacct_progress(g->acct, now, 0, false);
	if (c)
		cut_now(g, now);
	publish(g);
	atomic_store(&g->exited, true);
	return NULL;
}

/* ---- setup ---- */

/* The probes for take_gil and drop_gil in the interpreter's binary: the
 * entries and returns of take_gil and its clones, the entries of drop_gil,
 * of its clones and of every copy the compiler inlined (Debian's LTO
 * builds of 3.14/3.15 inline it into PyEval_SaveThread and the thread
 * detach paths: the out-of-line copy alone misses every
 * Py_BEGIN_ALLOW_THREADS). The inlined copies come from the DWARF of the
 * build-id debug file, else of the binary. An inlined take_gil has no
 * return to time the end of a wait by, so exact mode is refused there; so
 * it is where no DWARF says what was inlined. PATH is the binary as
 * pytop opens it (proc_root_path). 0 or a negative error with the reason. */
static int find_specs(struct py_target *t, const char *path, struct uprobe_spec *specs, int *n,
		      char *why, size_t whycap)
{
	uint64_t take[MAX_CLONES], drop[MAX_CLONES], itake[MAX_CLONES], idrop[MAX_CLONES];
	int split_take = 0, split_drop = 0;
	char root[64], debug[512], id[128] = "";

	snprintf(root, sizeof root, "/proc/%d/root", (int)t->pid);
	int nt = elf_function_offsets(path, root, "take_gil", take, MAX_CLONES, &split_take);
	int nd = elf_function_offsets(path, root, "drop_gil", drop, MAX_CLONES, &split_drop);
	if (nt < 0 || nd < 0) {
		snprintf(why, whycap, "cannot read %s as ELF", t->binary);
		return PYTOP_EIO;
	}
	if (nt == 0 || nd == 0) {
		elf_build_id(path, id, sizeof id);
		if (id[0])
			snprintf(why, whycap, "take_gil/drop_gil are not in the symbol table of %s (stripped) "
				 "and its debug symbols are not installed at /usr/lib/debug/.build-id/%.2s/%s.debug "
				 "(Debian/Ubuntu: apt install python%d.%d-dbg; elsewhere: debuginfod-find "
				 "debuginfo %s, or the distribution's python debuginfo package)",
				 t->binary, id, id + 2, t->major, t->minor, id);
		else
			snprintf(why, whycap, "take_gil/drop_gil are not in the symbol table of %s (stripped)",
				 t->binary);
		return PYTOP_ENOTPY;
	}
	if (split_take || split_drop) {
		snprintf(why, whycap, "the compiler split %s in %s (a .part clone): its entry does not see every call",
			 split_take ? "take_gil" : "drop_gil", t->binary);
		return PYTOP_ENOTPY;
	}
	struct inlines_query q[2] = { { "take_gil", itake, MAX_CLONES, 0, 0 }, { "drop_gil", idrop, MAX_CLONES, 0, 0 } };
	bool separate = elf_debug_file(path, root, debug, sizeof debug) == 0;
	int rc = inlines_entries(separate ? debug : path, q, 2);
	if (rc < 0 && separate && inlines_entries(path, q, 2) == 0)
		rc = 0;   /* a debug file with symbols only, the binary with DWARF */
	if (rc < 0) {
		snprintf(why, whycap, "no DWARF in %s to tell where take_gil/drop_gil were inlined%s",
			 separate ? debug : t->binary, separate ? "" : " (install its debug symbols, e.g. python3.N-dbg)");
		return PYTOP_ENOTPY;
	}
	if (q[0].n > 0) {
		snprintf(why, whycap, "take_gil is inlined in %s: the end of a wait cannot be timed", t->binary);
		return PYTOP_ENOTPY;
	}
	if (q[1].more || nt * 2 + nd + q[1].n > MAX_SPECS) {
		snprintf(why, whycap, "drop_gil is inlined in too many places in %s", t->binary);
		return PYTOP_ENOTPY;
	}
	int ni = elf_file_offsets(path, idrop, q[1].n);
	if (ni != q[1].n) {
		snprintf(why, whycap, "an inlined drop_gil of %s is outside its code", t->binary);
		return PYTOP_ENOTPY;
	}
	*n = 0;
	for (int i = 0; i < nt; i++) {
		specs[(*n)++] = (struct uprobe_spec){ take[i], 0, TAG_TAKE_ENTER };
		specs[(*n)++] = (struct uprobe_spec){ take[i], 1, TAG_TAKE_RETURN };
	}
	for (int i = 0; i < nd; i++)
		specs[(*n)++] = (struct uprobe_spec){ drop[i], 0, TAG_DROP_ENTER };
	for (int i = 0; i < ni; i++)
		specs[(*n)++] = (struct uprobe_spec){ idrop[i], 0, TAG_DROP_ENTER };
	return 0;
}

/* find_specs, remembered for the last file asked about (the same target's
 * setup asks several times, and a debug file's DWARF takes a second or more
 * to read). */
static int exact_specs(struct py_target *t, char *path, size_t pathcap, struct uprobe_spec *specs, int *n,
		       char *why, size_t whycap)
{
	static struct {
		bool valid;
		char path[1100];
		dev_t dev;
		ino_t ino;
		struct timespec mtime;
		int rc, n;
		struct uprobe_spec specs[MAX_SPECS];
		char why[1024];
	} memo;
	struct stat st;

	proc_root_path(t->pid, t->binary, path, pathcap);
	bool known = stat(path, &st) == 0;
	if (!(known && memo.valid && strcmp(memo.path, path) == 0 && memo.dev == st.st_dev &&
	      memo.ino == st.st_ino && memo.mtime.tv_sec == st.st_mtim.tv_sec &&
	      memo.mtime.tv_nsec == st.st_mtim.tv_nsec)) {
		memo.why[0] = 0;
		memo.n = 0;
		memo.rc = find_specs(t, path, memo.specs, &memo.n, memo.why, sizeof memo.why);
		memo.valid = known && strlen(path) < sizeof memo.path;
		if (memo.valid) {
			snprintf(memo.path, sizeof memo.path, "%s", path);
			memo.dev = st.st_dev;
			memo.ino = st.st_ino;
			memo.mtime = st.st_mtim;
		}
	}
	*n = memo.n;
	memcpy(specs, memo.specs, sizeof memo.specs);
	snprintf(why, whycap, "%s", memo.why);
	return memo.rc;
}

int gilstat_exact_check(struct py_target *t, char *why, size_t whycap)
{
	struct uprobe_spec specs[MAX_SPECS];
	char path[1100];
	int n, rc;

	if ((rc = uprobe_available(why, whycap)) < 0)
		return rc;
	/* Only whether the probes can be placed (the functions are found and
	 * uprobes are there): opening them here and again in gilstat_start
	 * would double their cost, a second or more each way on a loaded
	 * machine. A refusal at the real open is reported then. */
	return exact_specs(t, path, sizeof path, specs, &n, why, whycap);
}

static void destroy(struct gilstat *g)
{
	uprobe_close(g->probes);
	tasks_destroy(g->tasks);
	gilacct_destroy(g->acct);
	free(g->scratch);
	free(g->cut);
	free(g->threads);
	free(g->obs);
	free(g->pending);
	free(g->pub);
	free(g);
}

struct gilstat *gilstat_start(struct py_target *t, const struct gilstat_config *cfg, char *err, size_t errcap)
{
	struct gilstat *g = xcalloc(1, sizeof *g);
	char why[1024];   /* the stripped-interpreter reason names a path and a build id twice */
	int rc;

	g->t = t;
	g->cfg = *cfg;
	if (g->cfg.rate_hz <= 0)
		g->cfg.rate_hz = GILSTAT_DEFAULT_RATE_HZ;
	g->period_ns = (uint64_t)(1e9 / g->cfg.rate_hz);
	pace_seed(&g->pace, 0);
	g->ninterps = pyrt_interpreters(t, g->interps, MAX_INTERPS, NULL);
	if (g->ninterps <= 0) {
		snprintf(err, errcap, "gilstat: cannot read the interpreters of process %d", (int)t->pid);
		goto fail;
	}
	pyrt_gil(t, g->interps[g->ninterps - 1], &g->gil);
	if (!g->gil.addr) {
		snprintf(err, errcap, "gilstat: the GIL of process %d cannot be found", (int)t->pid);
		goto fail;
	}
	struct gil_state st;
	if (!read_gil(g, &st)) {
		snprintf(err, errcap, "gilstat: cannot read the GIL of process %d", (int)t->pid);
		goto fail;
	}
	if (!st.enabled) {
		snprintf(err, errcap, "gilstat: no GIL: Python %s is a free-threaded build running without it",
			 t->version);
		goto fail;
	}
	if (g->cfg.mode == GILSTAT_EXACT) {
		struct uprobe_spec specs[MAX_SPECS];
		char path[1100];
		int n;
		if ((rc = uprobe_available(why, sizeof why)) < 0 ||
		    (rc = exact_specs(t, path, sizeof path, specs, &n, why, sizeof why)) < 0 ||
		    (rc = uprobe_open(path, specs, n, t->pid, &g->probes, why, sizeof why)) < 0) {
			snprintf(err, errcap, "--gilstat=exact: uprobes unavailable: %s", why);
			goto fail;
		}
	}
	g->acct = gilacct_create(g->cfg.mode, g->cfg.mode == GILSTAT_SAMPLED ? g->period_ns : 0,
				 (uint64_t)(g->cfg.take_warn_ms * 1e6), (uint64_t)(g->cfg.hold_warn_ms * 1e6));
	g->scratch = xcalloc(1, sizeof *g->scratch);
	g->cut = xcalloc(1, sizeof *g->cut);
	g->pub = xcalloc(sizeof(struct gilstat_snapshot) / 8, sizeof *g->pub);
	g->threads = xcalloc(GILSTAT_MAX_THREADS, sizeof *g->threads);
	g->obs = xcalloc(GILSTAT_MAX_THREADS, sizeof *g->obs);
	g->pending = xcalloc(GILSTAT_MAX_THREADS, sizeof *g->pending);
	g->tasks = tasks_create(t->pid);
	publish(g);
	if ((rc = pthread_create(&g->thread, NULL, g->cfg.mode == GILSTAT_EXACT ? exact_main : sampled_main, g)) != 0) {
		snprintf(err, errcap, "gilstat: cannot start its thread: %s", strerror(rc));
		goto fail;
	}
	return g;
fail:
	destroy(g);
	return NULL;
}

void gilstat_stop(struct gilstat *g, struct gilstat_snapshot *final)
{
	if (!g)
		return;
	atomic_store(&g->stop, true);
	pthread_join(g->thread, NULL);
	if (final)
		gilstat_read(g, final);
	destroy(g);
}
