/* gilacct: GIL statistics from sampled ticks or exact take/drop events. */
#include "sampling/gilacct.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"

#define SLOTS (GILSTAT_MAX_THREADS * 2)   /* power of two */
#define GAP_MIN_NS 10000000ull            /* 10 ms */
#define GAP_PERIODS 20
#define SPARE_MAX 8                       /* switches not yet given to a take, carried ... */
#define SPARE_TICKS 40                    /* ... for as many ticks at most */

struct acct_thread {
	struct gilstat_thread s;
	uint64_t hold_start, wait_start;  /* exact: when the hold / wait began */
	uint64_t hold_run, wait_run;      /* sampled: the current hold / wait so far */
	uint64_t seen;                    /* sampled: the last tick that listed it */
	uint64_t wait_tick;               /* sampled: the tick its wait began */
	uint64_t last_ns;                 /* its latest event, or tick that listed it */
	uint32_t gen;                     /* the latest listing that named it (or its first) */
	bool holding, waiting;
	bool untold;                      /* sampled: its latest wait ended woke, not the holder:
					   * no take given for it yet (a late one may be) */
};

#define GONE_MAX 512                      /* live threads evicted, remembered (the latest) */

struct gilacct {
	enum gilstat_mode mode;
	uint64_t period_ns, take_warn_ns, hold_warn_ns, gap_ns_limit;
	struct acct_thread th[GILSTAT_MAX_THREADS];
	uint32_t n;
	uint16_t slot[SLOTS];             /* index + 1, 0 = empty */

	/* threads evicted to make room */
	uint64_t nfolded;
	struct gilstat_thread folded;
	bool none_evictable;              /* no thread could go at none_at */
	uint64_t none_at;
	uint32_t gen;                     /* listings so far (gilacct_listing) */
	uint32_t gone[GONE_MAX];          /* tids of live threads evicted (0: free), a ring */
	uint32_t gone_next;
	uint64_t listed_ns, list_gap_ns;  /* the latest listing; the longest gap before it */

	bool started;
	uint64_t start_ns, last_ns;       /* the window: its start (gilacct_cut) and the latest time accounted */
	uint64_t cuts, ticks_cut;         /* cuts made, and the ticks before the latest */
	uint64_t elapsed_ns, gap_ns, ticks, events, unknown_ns, overflow;
	bool switch_known;
	uint64_t switch_first, switch_last;

	/* sampled: the previous tick */
	pid_t prev_holder;
	uint64_t spare, spare_tick;       /* switches not given to a take yet; the latest's tick */

	uint64_t nwarnings;
	struct gilstat_warning ring[GILSTAT_WARN_MAX];
};

struct gilacct *gilacct_create(enum gilstat_mode mode, uint64_t period_ns, uint64_t take_warn_ns,
			       uint64_t hold_warn_ns)
{
	struct gilacct *a = xcalloc(1, sizeof *a);

	a->mode = mode;
	a->period_ns = period_ns;
	a->take_warn_ns = take_warn_ns;
	a->hold_warn_ns = hold_warn_ns;
	a->gap_ns_limit = period_ns * GAP_PERIODS > GAP_MIN_NS ? period_ns * GAP_PERIODS : GAP_MIN_NS;
	return a;
}

void gilacct_destroy(struct gilacct *a)
{
	free(a);
}

static uint32_t home(uint32_t tid)
{
	return (tid * 2654435761u) & (SLOTS - 1);
}

/* The slot holding tid, or the empty slot ending its probe chain. */
static uint32_t probe(const struct gilacct *a, uint32_t tid)
{
	uint32_t i = home(tid);

	while (a->slot[i] && a->th[a->slot[i] - 1].s.tid != tid)
		i = (i + 1) & (SLOTS - 1);
	return i;
}

/* Take tid out of the slot index: backward-shift deletion, so that every
 * other entry stays reachable from its home slot without tombstones. */
static void unslot(struct gilacct *a, uint32_t tid)
{
	uint32_t i = probe(a, tid), j = i;

	if (!a->slot[i])
		return;
	for (;;) {
		j = (j + 1) & (SLOTS - 1);
		if (!a->slot[j])
			break;
		uint32_t k = home(a->th[a->slot[j] - 1].s.tid);
		/* The entry at j stays when its home is cyclically in (i, j]:
		 * its chain does not pass through i. */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		a->slot[i] = a->slot[j];
		i = j;
	}
	a->slot[i] = 0;
}

/* The thread to make room for one new at now: the one quiet longest
 * among those neither holding nor waiting and not active at now, an
 * ended one (not in the latest listing) before a live one; NULL when
 * there is none. A live one is remembered (gone): back, its row is
 * partial. */
static struct acct_thread *victim(struct gilacct *a, uint64_t now)
{
	struct acct_thread *v = NULL;
	bool vended = false;

	if (a->none_evictable && a->none_at == now)
		return NULL;   /* looked at this instant already: nothing changed that could */
	for (uint32_t i = 0; i < a->n; i++) {
		struct acct_thread *t = &a->th[i];
		if (t->holding || t->waiting || t->last_ns >= now)
			continue;
		bool ended = t->gen != a->gen;
		if (!v || (ended && !vended) || (ended == vended && t->last_ns < v->last_ns)) {
			v = t;
			vended = ended;
		}
	}
	a->none_evictable = v == NULL;
	a->none_at = now;
	if (v && !vended) {
		a->gone[a->gone_next] = v->s.tid;
		a->gone_next = (a->gone_next + 1) % GONE_MAX;
	}
	return v;
}

/* Was tid a live thread evicted (then forgotten: it is back)? */
static bool came_back(struct gilacct *a, uint32_t tid)
{
	for (uint32_t i = 0; i < GONE_MAX; i++)
		if (a->gone[i] == tid) {
			a->gone[i] = 0;
			return true;
		}
	return false;
}

/* The time from the latest listing (or the window's start, if later) to now. */
static uint64_t unlisted_for(const struct gilacct *a, uint64_t now)
{
	uint64_t from = a->listed_ns > a->start_ns ? a->listed_ns : a->start_ns;

	return a->started && now > from ? now - from : 0;
}

void gilacct_listing(struct gilacct *a, uint64_t now)
{
	uint64_t gap = unlisted_for(a, now);

	if (gap > a->list_gap_ns)
		a->list_gap_ns = gap;
	if (now > a->listed_ns)
		a->listed_ns = now;
	a->gen++;
	a->none_evictable = false;
}

void gilacct_listed(struct gilacct *a, pid_t tid)
{
	if (tid <= 0)
		return;
	uint32_t i = probe(a, (uint32_t)tid);
	if (a->slot[i])
		a->th[a->slot[i] - 1].gen = a->gen;
}

/* Add t's numbers to the folded threads'. */
static void fold(struct gilacct *a, const struct acct_thread *t)
{
	struct gilstat_thread *f = &a->folded;

	a->nfolded++;
	f->takecnt += t->s.takecnt;
	f->hold_ns += t->s.hold_ns;
	f->wait_ns += t->s.wait_ns;
	f->long_holds += t->s.long_holds;
	f->long_waits += t->s.long_waits;
	if (t->s.max_hold_ns > f->max_hold_ns)
		f->max_hold_ns = t->s.max_hold_ns;
	if (t->s.max_wait_ns > f->max_wait_ns)
		f->max_wait_ns = t->s.max_wait_ns;
}

/* The thread's entry if it has one, marked active at now. */
static struct acct_thread *touch(struct gilacct *a, pid_t tid, uint64_t now)
{
	if (tid <= 0)
		return NULL;
	uint32_t i = probe(a, (uint32_t)tid);
	if (!a->slot[i])
		return NULL;
	struct acct_thread *t = &a->th[a->slot[i] - 1];
	if (now > t->last_ns)
		t->last_ns = now;
	return t;
}

/* The thread's entry, made if new (in a full table, in place of the
 * victim, folded), marked active at now; NULL when the table is full and
 * no thread can go (counted in overflow). */
static struct acct_thread *get(struct gilacct *a, pid_t tid, uint64_t now)
{
	struct acct_thread *t = touch(a, tid, now);

	if (t || tid <= 0)
		return t;
	if (a->n < GILSTAT_MAX_THREADS) {
		t = &a->th[a->n++];
	} else {
		if ((t = victim(a, now)) == NULL) {
			a->overflow++;
			return NULL;
		}
		fold(a, t);
		unslot(a, t->s.tid);
	}
	memset(t, 0, sizeof *t);
	t->s.tid = (uint32_t)tid;
	t->last_ns = now;
	t->gen = a->gen;
	if (came_back(a, (uint32_t)tid))
		t->s.flags |= GILSTAT_THREAD_PARTIAL;
	a->slot[probe(a, (uint32_t)tid)] = (uint16_t)(t - a->th + 1);
	return t;
}

static void warn(struct gilacct *a, uint64_t now, uint32_t tid, enum gilstat_warn_kind kind, uint64_t dur)
{
	struct gilstat_warning *w = &a->ring[a->nwarnings % GILSTAT_WARN_MAX];

	w->time_ns = now;
	w->duration_ns = dur;
	w->tid = tid;
	w->kind = kind;
	a->nwarnings++;
}

/* A hold of dur ended at now. */
static void hold_ended(struct gilacct *a, struct acct_thread *t, uint64_t now, uint64_t dur)
{
	if (dur > t->s.max_hold_ns)
		t->s.max_hold_ns = dur;
	if (a->hold_warn_ns && dur > a->hold_warn_ns) {
		t->s.long_holds++;
		warn(a, now, t->s.tid, GILSTAT_WARN_HOLD, dur);
	}
	t->holding = false;
}

static void wait_ended(struct gilacct *a, struct acct_thread *t, uint64_t now, uint64_t dur)
{
	if (dur > t->s.max_wait_ns)
		t->s.max_wait_ns = dur;
	if (a->take_warn_ns && dur > a->take_warn_ns) {
		t->s.long_waits++;
		warn(a, now, t->s.tid, GILSTAT_WARN_TAKE, dur);
	}
	t->waiting = false;
}

static void note_switch(struct gilacct *a, uint64_t sw)
{
	if (!a->switch_known) {
		a->switch_known = true;
		a->switch_first = sw;
	}
	a->switch_last = sw;
}

/* Sampled: charge the time from the latest tick to now to what that tick
 * saw (its holder held, its waiters waited); true when it is a gap (not
 * charged). */
static bool charge(struct gilacct *a, uint64_t now)
{
	uint64_t dt = now - a->last_ns;
	struct acct_thread *h;

	if (dt > a->gap_ns_limit) {
		a->gap_ns += dt;
		return true;
	}
	a->elapsed_ns += dt;
	if (a->prev_holder > 0 && (h = get(a, a->prev_holder, now)) != NULL) {
		h->s.hold_ns += dt;
		h->hold_run += dt;
	} else if (a->prev_holder < 0) {
		a->unknown_ns += dt;
	}
	for (uint32_t i = 0; i < a->n; i++) {
		if (a->th[i].waiting) {
			a->th[i].s.wait_ns += dt;
			a->th[i].wait_run += dt;
		}
	}
	return false;
}

/* Sampled: the switches a take inferred for t is given from: this tick's
 * (budget), else those kept from recent ticks after its wait began;
 * NULL when none is left. */
static uint64_t *take_source(struct gilacct *a, const struct acct_thread *t, uint64_t *budget)
{
	return *budget ? budget : a->spare && t->wait_tick < a->spare_tick ? &a->spare : NULL;
}

void gilacct_tick(struct gilacct *a, const struct gilacct_tick *k)
{
	uint64_t now = k->time_ns;
	bool moved = a->switch_known && k->switch_number != a->switch_last;
	bool gap = false;
	struct acct_thread *h;

	a->ticks++;
	/* The threads this tick lists are active now: a new one does not
	 * take the place of one listed after it. */
	touch(a, k->holder, now);
	for (int i = 0; i < k->nthreads; i++)
		touch(a, k->threads[i].tid, now);
	if (!a->started) {
		a->started = true;
		a->start_ns = now;
	} else if (now > a->last_ns) {
		gap = charge(a, now);
	}
	a->last_ns = now;

	/* Holds: the previous holder's hold ends when another thread holds
	 * now, nobody does, or it holds again after a switch. */
	if (a->prev_holder > 0 && (h = get(a, a->prev_holder, now)) != NULL && h->holding &&
	    (k->holder != a->prev_holder || moved))
		hold_ended(a, h, now, h->hold_run);
	/* Acquisitions the switch number says happened since the previous
	 * tick, and not yet given to a thread. */
	uint64_t budget = moved && !gap ? k->switch_number - a->switch_last : 0;
	if (budget > (1u << 30))
		budget = 0;   /* a wrap or a bad read: no inference */
	/* ... and those of recent ticks not given yet: a woken waiter's wait
	 * ends some ticks after its take, once it has run (gilstat.c); they
	 * go to a thread that was waiting when they happened. */
	if (gap || a->ticks - a->spare_tick > SPARE_TICKS)
		a->spare = 0;
	if (k->holder > 0 && (h = get(a, k->holder, now)) != NULL && !h->holding) {
		h->s.takecnt++;
		h->untold = false;
		h->holding = true;
		h->hold_run = 0;
		if (budget)
			budget--;
	}

	/* Waits: a thread waits while the tick sees it blocked on the GIL and
	 * it is not the holder. A wait that ended with the GIL changing hands
	 * but the thread not holding it now was a take too short to see (it
	 * took the GIL and let it go between two ticks: the threads that hold
	 * it briefly), counted while the switch number allows; not across a
	 * gap, whose waits are not charged either (takes per wait stay
	 * consistent, and the counts become lower bounds). */
	for (int i = 0; i < k->nthreads; i++) {
		struct acct_thread *t = get(a, k->threads[i].tid, now);
		if (!t)
			continue;
		t->seen = a->ticks;
		bool waiting = k->threads[i].waiting && k->threads[i].tid != k->holder;
		uint64_t *b = take_source(a, t, &budget);
		if (k->threads[i].late && t->untold && !t->waiting && k->threads[i].tid != k->holder && b) {
			/* Its wait ended (woke) at an earlier tick, with a take
			 * not counted then (untold: one that ended as the
			 * holder had its take counted as the holder's). */
			t->s.takecnt++;
			t->untold = false;
			--*b;
			b = take_source(a, t, &budget);
		}
		if (t->waiting && waiting && k->threads[i].took && b) {
			/* It took the GIL between the ticks and waits again. */
			t->s.takecnt++;
			--*b;
			wait_ended(a, t, now, t->wait_run);
			t->waiting = true;
			t->wait_run = 0;
			t->wait_tick = a->ticks;
		} else if (t->waiting && !waiting) {
			if (k->threads[i].tid != k->holder && b && !k->threads[i].woke) {
				t->s.takecnt++;
				--*b;
			}
			t->untold = k->threads[i].woke && k->threads[i].tid != k->holder;
			wait_ended(a, t, now, t->wait_run);
		}
		else if (!t->waiting && waiting) {
			t->waiting = true;
			t->untold = false;
			t->wait_run = 0;
			t->wait_tick = a->ticks;
		}
	}
	for (uint32_t i = 0; i < a->n; i++)
		if (a->th[i].waiting && a->th[i].seen != a->ticks)
			wait_ended(a, &a->th[i], now, a->th[i].wait_run);

	if (budget) {
		a->spare = a->spare + budget < SPARE_MAX ? a->spare + budget : SPARE_MAX;
		a->spare_tick = a->ticks;
	}
	a->prev_holder = k->holder;
	note_switch(a, k->switch_number);
}

bool gilacct_pending_tell(struct gilacct_pending *p, bool known, bool waiting, bool running, bool holder,
			  uint64_t cpu_ns)
{
	uint64_t ran = known && cpu_ns >= p->cpu_ns ? cpu_ns - p->cpu_ns : 0;
	bool took;

	if (!p->tid)
		return false;
	if (!known || holder)
		took = false;
	else if (waiting)
		took = ran >= GILACCT_WAKE_CPU_NS;
	else if (running && ran < GILACCT_WAKE_CPU_NS && ++p->ticks <= GILACCT_PENDING_TICKS)
		return false;   /* not known yet */
	else
		took = !running || ran >= GILACCT_WAKE_CPU_NS;
	p->tid = 0;
	return took;
}

bool gilstat_takes_lower_bound(const struct gilstat_snapshot *g, uint64_t *given)
{
	uint64_t sum = g->folded.takecnt;
	uint32_t n = g->nthreads < GILSTAT_MAX_THREADS ? g->nthreads : GILSTAT_MAX_THREADS;

	for (uint32_t i = 0; i < n; i++)
		sum += g->threads[i].takecnt;
	*given = sum;
	return g->mode == GILSTAT_SAMPLED && g->switches > 0 && (double)sum < 0.95 * (double)g->switches;
}

bool gilstat_thread_hold_unresolved(const struct gilstat_snapshot *g, const struct gilstat_thread *t)
{
	return g->mode == GILSTAT_SAMPLED && t->takecnt &&
	       (double)t->hold_ns / (double)t->takecnt < (double)g->resolution_ns;
}

bool gilstat_thread_takes_lower(const struct gilstat_snapshot *g, const struct gilstat_thread *t)
{
	(void)t;
	return g->mode == GILSTAT_SAMPLED;
}

bool gilstat_thread_avgs_upper(const struct gilstat_snapshot *g, const struct gilstat_thread *t)
{
	return gilstat_thread_takes_lower(g, t) && t->takecnt;
}

/* Exact: where a hold or wait that began at start is charged from (the
 * window's start for one that began before it; gilacct_cut). */
static uint64_t since(const struct gilacct *a, uint64_t start)
{
	return start > a->start_ns ? start : a->start_ns;
}

void gilacct_event(struct gilacct *a, uint64_t now, pid_t tid, enum gilacct_event ev)
{
	struct acct_thread *t = get(a, tid, now);

	if (!t)
		return;
	a->events++;
	if (!a->started) {
		a->started = true;
		a->start_ns = a->last_ns = now;
	}
	switch (ev) {
	case GILACCT_TAKE_ENTER:
		if (t->holding && now >= t->hold_start) {
			/* Its drop was not seen (lost): end the hold here. */
			t->s.hold_ns += now - since(a, t->hold_start);
			hold_ended(a, t, now, now - t->hold_start);
		}
		if (!t->waiting) {
			t->waiting = true;
			t->wait_start = now;
		}
		break;
	case GILACCT_TAKE_RETURN:
		if (t->waiting && now >= t->wait_start) {
			t->s.wait_ns += now - since(a, t->wait_start);
			wait_ended(a, t, now, now - t->wait_start);
		}
		t->waiting = false;
		t->s.takecnt++;
		t->holding = true;
		t->hold_start = now;
		break;
	case GILACCT_DROP_ENTER:
		if (t->holding && now >= t->hold_start) {
			t->s.hold_ns += now - since(a, t->hold_start);
			hold_ended(a, t, now, now - t->hold_start);
		}
		t->holding = false;
		break;
	}
}

void gilacct_progress(struct gilacct *a, uint64_t now, uint64_t switch_number, bool switch_known)
{
	if (!a->started) {
		a->started = true;
		a->start_ns = a->last_ns = now;
	}
	if (now > a->last_ns) {
		a->elapsed_ns += now - a->last_ns;
		a->last_ns = now;
	}
	a->ticks++;
	if (switch_known)
		note_switch(a, switch_number);
}

/* By tid; an insertion sort (threads mostly arrive in tid order, and the
 * gilstat thread must not allocate, which qsort may). */
static void sort_by_tid(struct gilstat_thread *v, uint32_t n)
{
	for (uint32_t i = 1; i < n; i++) {
		struct gilstat_thread x = v[i];
		uint32_t j = i;
		while (j > 0 && v[j - 1].tid > x.tid) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
}

void gilacct_result(const struct gilacct *a, struct gilstat_snapshot *out)
{
	uint64_t span = a->last_ns > a->start_ns ? a->last_ns - a->start_ns : 0;

	memset(out, 0, offsetof(struct gilstat_snapshot, threads));
	out->mode = a->mode;
	out->resolution_ns = a->mode == GILSTAT_SAMPLED ? a->period_ns : 0;
	out->rate_hz = a->period_ns ? 1e9 / (double)a->period_ns : 0;
	out->start_ns = a->start_ns;
	out->elapsed_ns = a->elapsed_ns;
	/* Ticks in the window: after a cut, those after its start. */
	uint64_t ticks = a->ticks - a->ticks_cut, intervals = a->cuts ? ticks : ticks ? ticks - 1 : 0;
	out->ticks = ticks;
	if (span && intervals && a->mode == GILSTAT_SAMPLED)
		out->achieved_hz = (double)intervals * 1e9 / (double)span;
	out->gap_ns = a->gap_ns;
	out->events = a->events;
	out->switches = a->switch_known ? a->switch_last - a->switch_first : 0;
	out->unknown_ns = a->unknown_ns;
	out->overflow = a->overflow;
	out->threads_folded = a->nfolded;
	/* (A listing can be after the latest time accounted: within the window.) */
	uint64_t gap = unlisted_for(a, a->last_ns);
	out->listing_gap_ns = gap > a->list_gap_ns ? gap : a->list_gap_ns;
	if (out->listing_gap_ns > span)
		out->listing_gap_ns = span;
	out->folded = a->folded;
	out->take_warn_ns = a->take_warn_ns;
	out->hold_warn_ns = a->hold_warn_ns;
	out->nwarnings = a->nwarnings;
	out->nrecent = a->nwarnings < GILSTAT_WARN_MAX ? (uint32_t)a->nwarnings : GILSTAT_WARN_MAX;
	for (uint32_t i = 0; i < out->nrecent; i++)
		out->recent[i] = a->ring[(a->nwarnings - out->nrecent + i) % GILSTAT_WARN_MAX];
	out->nthreads = a->n;
	for (uint32_t i = 0; i < a->n; i++) {
		const struct acct_thread *t = &a->th[i];
		struct gilstat_thread *o = &out->threads[i];
		*o = t->s;
		if (o->flags & GILSTAT_THREAD_PARTIAL)
			out->threads_partial++;
		/* Ongoing holds and waits count up to now. */
		uint64_t hold = 0, wait = 0;
		if (a->mode == GILSTAT_EXACT) {
			if (t->holding && a->last_ns > t->hold_start) {
				hold = a->last_ns - t->hold_start;
				o->hold_ns += a->last_ns - since(a, t->hold_start);
			}
			if (t->waiting && a->last_ns > t->wait_start) {
				wait = a->last_ns - t->wait_start;
				o->wait_ns += a->last_ns - since(a, t->wait_start);
			}
		} else {
			hold = t->holding ? t->hold_run : 0;
			wait = t->waiting ? t->wait_run : 0;
		}
		if (hold > o->max_hold_ns)
			o->max_hold_ns = hold;
		if (wait > o->max_wait_ns)
			o->max_wait_ns = wait;
	}
	sort_by_tid(out->threads, out->nthreads);
}

void gilacct_cut(struct gilacct *a, uint64_t now, struct gilstat_snapshot *out)
{
	if (!a->started) {
		a->started = true;
		a->start_ns = a->last_ns = now;
	} else if (now > a->last_ns) {
		if (a->mode == GILSTAT_SAMPLED)
			charge(a, now);
		else
			a->elapsed_ns += now - a->last_ns;
		a->last_ns = now;
	}
	if (out)
		gilacct_result(a, out);
	/* A new window from now: the numbers restart, the state goes on. */
	for (uint32_t i = 0; i < a->n; i++) {
		uint32_t tid = a->th[i].s.tid;
		memset(&a->th[i].s, 0, sizeof a->th[i].s);   /* (partial no more) */
		a->th[i].s.tid = tid;
	}
	memset(a->gone, 0, sizeof a->gone);
	a->list_gap_ns = 0;
	memset(&a->folded, 0, sizeof a->folded);
	a->nfolded = 0;
	a->start_ns = a->last_ns;
	a->elapsed_ns = a->gap_ns = a->events = a->unknown_ns = a->overflow = 0;
	a->switch_first = a->switch_last;
	a->nwarnings = 0;
	a->ticks_cut = a->ticks;
	a->cuts++;
}
