/* aggregate: the aggregate object and its feed: records in, counts out
 * into its tables (aggtable.c). Each count is kept for "scope" 0 (all
 * threads) and for the sample's thread (scope = slot + 1). Window counts
 * carry the epoch they belong to; starting a window bumps the epoch, so
 * stale window counts read as zero without touching the tables. Near the
 * tables' budget only samples whose every key is known are counted, the
 * others are counted as over the limit and said. The queries are in
 * aggquery.c. */
#include "sampling/aggregate.h"

#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "sampling/aggregate_impl.h"
#include "sampling/aggtable.h"

#define AGG_ENTRIES_MAX (2u << 20)      /* table entries kept at most (96 bytes each, 200-400 MB) */
#define UNSEEN_ID (UINT32_MAX - 1)      /* func_id of "(ran between samples)" */
#define ENDED_ID (UINT32_MAX - 2)       /* func_id of "(ended between samples)" */
#define MISSED_ID (UINT32_MAX - 3)      /* func_id of "(not sampled)" */
#define GAP_SEEN_NS 10000000ull         /* a sample is worth at most this much of its gap... */
#define GAP_SEEN_INTERVALS 2            /* ...or this many intervals, if more... */
#define GAP_SEEN_TYPICAL 4              /* ...or this many of the usual gaps, if more */

/* ---- feeding ---- */

static void totals_bad(struct aggregate *a)
{
	a->cum.bad++;
	a->win.bad++;
}

static bool mode_counts(enum agg_mode mode, unsigned state, unsigned flags)
{
	switch (mode) {
	case AGG_MODE_CPU: return state == THREAD_RUNNING;
	case AGG_MODE_GIL: return (flags & SAMPLE_F_HOLDS_GIL) != 0;
	case AGG_MODE_WALL: return true;
	}
	return true;
}

/* Bump entry idx's total once per sample (the stamp) and own as asked. */
static void bump_at(struct aggregate *a, struct ctab *t, uint32_t idx, uint64_t own)
{
	struct cent *e = &t->ent[idx];
	uint64_t total = e->stamp != a->seq;

	e->stamp = a->seq;
	cent_add(e, a->epoch, own, total, a->weight_ns, a->weight_count);
}

/* Count a stack in one scope; the entries it bumps go to rec (4 x depth
 * of them, in order) when rec is not NULL, or, with replay, are taken
 * from it instead of looked up (the same stack, the same tables). */
static void count_stack(struct aggregate *a, uint32_t scope, const struct sample_frame *fr,
			uint32_t depth, uint32_t *rec, bool replay)
{
	struct agg_tables *tab = &a->tab;
	const uint32_t *fn = a->scratch;
	uint32_t i, node, k = 0, idx;

#define AT(t, k0, k1, k2) (replay ? rec[k++] : (idx = ctab_get((t), (k0), (k1), (k2), NULL), rec ? rec[k++] = idx : idx))
	for (i = 0; i < depth; i++) {
		bump_at(a, &tab->fstat, AT(&tab->fstat, scope, fn[i], 0), i == 0);
		bump_at(a, &tab->lstat, AT(&tab->lstat, scope, fn[i], (uint32_t)fr[i].line), i == 0);
		if (i + 1 < depth)
			bump_at(a, &tab->edge, AT(&tab->edge, scope, fn[i + 1], fn[i]), 0);
	}
#undef AT
	node = replay ? rec[k++] : ctab_get(&tab->tree, AGG_NONE, scope, 0, NULL);
	if (rec && !replay)
		rec[k++] = node;
	cent_add(&tab->tree.ent[node], a->epoch, depth == 0, 1, a->weight_ns, a->weight_count);
	for (i = depth; i-- > 0;) {
		node = replay ? rec[k++] : ctab_child(&tab->tree, node, fn[i], fr[i].line);
		if (rec && !replay)
			rec[k++] = node;
		cent_add(&tab->tree.ent[node], a->epoch, i == 0, 1, a->weight_ns, a->weight_count);
	}
	/* The stack's own time by state, for the flame graph's colours. */
	if (a->cls == GIL_IDLE)
		tab->tree.ent[node].idle_ns += a->weight_ns;
	else if (a->cls == GIL_WAITING)
		tab->tree.ent[node].wait_ns += a->weight_ns;
}

/* The memo of thread scope tscope when it holds this very stack. */
static struct stack_memo *memo_hit(struct aggregate *a, uint32_t tscope, const struct sample_frame *frames,
				   uint32_t depth)
{
	struct stack_memo *m = &a->memo[tscope & (AGG_MEMO_SLOTS - 1)];

	if (m->gen != a->tab.gen || m->scope != tscope || m->depth != depth)
		return NULL;
	for (uint32_t i = 0; i < depth; i++)
		if (m->fn[i] != a->scratch[i] || m->line[i] != frames[i].line)
			return NULL;
	return m;
}

/* The memo of thread scope tscope made ready for a stack of depth frames
 * (its entries recorded by count_stack), or NULL (too deep to keep). */
static struct stack_memo *memo_take(struct aggregate *a, uint32_t tscope, const struct sample_frame *frames,
				    uint32_t depth)
{
	struct stack_memo *m = &a->memo[tscope & (AGG_MEMO_SLOTS - 1)];

	m->gen = 0;
	if (depth > SAMPLE_MAX_DEPTH + 2 || a->no_memo)
		return NULL;
	if (depth > m->cap || !m->fn) {
		m->cap = depth > 32 ? depth : 32;
		m->fn = xrealloc(m->fn, (size_t)m->cap * sizeof(*m->fn));
		m->line = xrealloc(m->line, (size_t)m->cap * sizeof(*m->line));
		m->idx = xrealloc(m->idx, 8 * ((size_t)m->cap + 1) * sizeof(*m->idx));
	}
	m->scope = tscope;
	m->depth = depth;
	for (uint32_t i = 0; i < depth; i++) {
		m->fn[i] = a->scratch[i];
		m->line[i] = frames[i].line;
	}
	return m;
}

/* Copy depth frames into *buf (grown to at least depth: *cap). */
static void frames_copy(struct sample_frame **buf, uint32_t *cap, const struct sample_frame *src, uint32_t depth)
{
	if (depth > *cap) {
		*cap = depth;
		*buf = xrealloc(*buf, (size_t)*cap * sizeof(**buf));
	}
	if (depth)
		memcpy(*buf, src, (size_t)depth * sizeof(**buf));
}

/* Keep the thread's latest stack (any state, any mode) for
 * aggregate_latest_stack(); the frames' ids are resolved when asked. */
static void keep_latest(struct agg_thread *t, const struct sample_rec *s)
{
	frames_copy(&t->last, &t->last_cap, s->frames, s->depth);
	t->last_depth = s->depth;
	t->last_time_ns = s->time_ns;
	t->last_state = s->state <= THREAD_UNKNOWN ? s->state : THREAD_UNKNOWN;
	t->last_flags = s->flags;
	t->has_last = true;
}

/* The measured time a sample of this round stands for: since the previous
 * round started (the configured interval for the first round). */
static uint64_t wall_weight(const struct aggregate *a, const struct sample_rec *s)
{
	if (a->last_tick_ns && s->time_ns > a->last_tick_ns)
		return s->time_ns - a->last_tick_ns;
	return a->interval_ns;
}

/* The part of a gap of wall ns between rounds that no sample saw: beyond
 * the most a sample may stand for (the sampler did not run: descheduled,
 * stopped, or its host was). Giving a long gap to the stack seen at its
 * end would pile the time of whatever ran during it onto that stack. A
 * sampler whose rounds are slow by nature (deep stacks, many threads)
 * is not stalled: the bound grows with the usual gap. */
static uint64_t gap_missed(const struct aggregate *a, uint64_t wall)
{
	uint64_t seen = GAP_SEEN_NS;

	if (GAP_SEEN_INTERVALS * a->interval_ns > seen)
		seen = GAP_SEEN_INTERVALS * a->interval_ns;
	if (GAP_SEEN_TYPICAL * a->gap_avg_ns > seen)
		seen = GAP_SEEN_TYPICAL * a->gap_avg_ns;
	return wall > seen ? wall - seen : 0;
}

/* Count a stack (frames innermost first) worth weight_ns in the mode, as
 * `count` samples (1; 0 for time no sample saw). */
static void count_weighed(struct aggregate *a, struct agg_thread *t, const struct sample_frame *frames,
			  uint32_t depth, uint64_t weight_ns, uint64_t count)
{
	uint32_t scope = t == &a->nobody ? 0 : (uint32_t)(t - a->tab.threads) + 1, i;

	if (depth > a->scratch_cap) {
		a->scratch_cap = depth;
		a->scratch = xrealloc(a->scratch, (size_t)a->scratch_cap * sizeof(*a->scratch));
	}
	for (i = 0; i < depth; i++)
		a->scratch[i] = aggtable_resolve(&a->tab, frames[i].func_id);
	struct stack_memo *m = memo_hit(a, scope, frames, depth);
	/* Near the budget: a stack that would need a new entry is not counted
	 * (counted as over the limit), so the tables stop growing. */
	if (!m && aggtable_entries(&a->tab) + 8 * ((uint64_t)depth + 1) > a->tab.entries_max &&
	    (!aggtable_stack_known(&a->tab, 0, a->scratch, frames, depth) ||
	     (scope && !aggtable_stack_known(&a->tab, scope, a->scratch, frames, depth)))) {
		a->cum.over_limit++;
		a->win.over_limit++;
		return;
	}
	t->cum.counted += count;
	t->win.counted += count;
	t->cum.counted_ns += weight_ns;
	t->win.counted_ns += weight_ns;
	a->cum.counted += count;
	a->win.counted += count;
	a->cum.counted_ns += weight_ns;
	a->win.counted_ns += weight_ns;
	a->seq++;
	a->weight_ns = weight_ns;
	a->weight_count = count;
	bool replay = m != NULL;
	if (!m)
		m = memo_take(a, scope, frames, depth);
	count_stack(a, 0, frames, depth, m ? m->idx : NULL, replay);
	if (scope)
		count_stack(a, scope, frames, depth, m ? m->idx + 4 * (size_t)depth + 1 : NULL, replay);
	if (m)
		m->gen = a->tab.gen;
}

static void count_sample(struct aggregate *a, struct agg_thread *t, const struct sample_frame *frames,
			 uint32_t depth, uint64_t weight_ns)
{
	count_weighed(a, t, frames, depth, weight_ns, 1);
}

/* Count a sample in cpu mode by the CPU time the thread used since its
 * previous sample (when the sampler measured it, up to the bound of gap_missed): on the stack seen now
 * when the thread is on CPU, else on its previous stack, where it was
 * running before it blocked. A thread blocked at both samples ran only in
 * between (woke, worked, blocked again): that time goes to its previous
 * stack under "(ran between samples)", not to the blocking call. */
#define CPU_FRAC_NS 64000000.0   /* time constant of a thread's smoothed CPU share */
#define CPU_LAG_NS 3000000       /* CPU reported is given to stacks at most this late */

static void give_credit(struct aggregate *a, struct agg_thread *t);

/* Time of the thread's that no sample saw, as a stack of its own: time,
 * not a sample (the sample after the gap is counted on its own stack). */
static void count_missed(struct aggregate *a, struct agg_thread *t, uint64_t ns)
{
	const struct sample_frame missed = { .func_id = MISSED_ID, .line = 0 };

	count_weighed(a, t, &missed, 1, ns, 0);
}

static void count_cpu(struct aggregate *a, struct agg_thread *t, const struct sample_rec *s, unsigned state,
		      uint64_t wall)
{
	/* The kernel's per-thread CPU time moves in steps (at ticks and
	 * context switches), and the steps fall at moments the program
	 * chooses (a syscall at a function's start): weighing each sample by
	 * its own step would give the CPU of the step's whole span to the stack
	 * seen at its end. So a sample while the thread is on CPU is worth the
	 * time since the previous round times the thread's smoothed share of a
	 * core while on CPU (a thread waiting for a core gets its real share):
	 * the mean of its shares over its first samples, then smoothed over
	 * CPU_FRAC_NS, so a thread that lives 25 ms is not given half its CPU
	 * late. The CPU reported but not given that way (credit) is never
	 * more than CPU_LAG_NS (beyond it, a sample takes the excess), never
	 * below zero (a sample is worth at most what was reported), and goes,
	 * when the thread is found blocked or ends, to where it was running. */
	t->cpu_credit += (int64_t)s->cpu_ns;
	if (!t->has_last && !(s->flags & SAMPLE_F_NOT_ON_CPU)) {
		/* Its first sample: the CPU since its birth, on the stack seen,
		 * as much as a sample stands for; before that, not sampled.
		 * (Found waiting for a core: where it was preempted; its CPU
		 * waits in the credit for a sample on a core, as below.) */
		uint64_t w = t->cpu_credit > 0 ? (uint64_t)t->cpu_credit : 0;
		uint64_t missed = gap_missed(a, w);
		t->cpu_credit = 0;
		if (missed)
			count_missed(a, t, missed);
		if (w - missed)
			count_sample(a, t, s->frames, s->depth, w - missed);
		return;
	}
	if (state != THREAD_RUNNING) {
		give_credit(a, t);
		return;
	}
	double step = wall > 0 ? (double)s->cpu_ns / (double)wall : 0;
	double k = wall > 0 ? (double)wall / CPU_FRAC_NS : 1;
	if (t->cpu_runs < UINT32_MAX)
		t->cpu_runs++;
	if (k < 1.0 / t->cpu_runs)
		k = 1.0 / t->cpu_runs;    /* the mean of its first shares */
	if (k > 1)
		k = 1;
	t->cpu_frac += (step - t->cpu_frac) * k;
	/* (one not told whether it waited for a core counts as one that did:
	 * the samples that count are those that found it on one) */
	bool off = s->flags & SAMPLE_F_NOT_ON_CPU;
	t->cpu_seen += ((off ? 0.0 : 1.0) - t->cpu_seen) * k;
	/* Waiting for a core since before the round: its stack is where it
	 * was preempted, and preemption falls where the program lets the
	 * kernel see a slice has run out (its own system calls): given the
	 * wait's weight, those places took it (4 CPU hogs on 2 CPUs took a
	 * third of a short function's share). Its CPU goes to the samples
	 * that find it on a CPU (the credit; beyond CPU_LAG_NS they take it),
	 * or, when it blocks or ends before one does, to the last stack
	 * that did (kept here, as the latest stack is about to be this one). */
	if (off) {
		if (!(t->last_flags & SAMPLE_F_NOT_ON_CPU)) {
			t->has_on = t->has_last && t->last_state == THREAD_RUNNING;
			if (t->has_on)
				frames_copy(&t->on, &t->on_cap, t->last, t->last_depth);
			t->on_depth = t->last_depth;
		}
		return;
	}
	double frac = t->cpu_frac < 1 ? (t->cpu_frac > 0 ? t->cpu_frac : 0) : 1;
	/* ... each as much as the others: the share over the samples that
	 * see it on a CPU (not bigger ones after longer waits) */
	frac /= t->cpu_seen > 0.05 ? t->cpu_seen : 0.05;
	int64_t w = (int64_t)((double)wall * frac);
	if (t->cpu_credit - w > CPU_LAG_NS)
		w = t->cpu_credit - CPU_LAG_NS;
	if (w > t->cpu_credit + CPU_LAG_NS)
		w = t->cpu_credit + CPU_LAG_NS > 0 ? t->cpu_credit + CPU_LAG_NS : 0;
	t->cpu_credit -= w;
	/* The CPU of a gap no sample saw is "(not sampled)", not this stack's
	 * (once the sampler's pace is known). */
	int64_t missed = a->gap_avg_ns ? (int64_t)((double)gap_missed(a, wall) * frac) : 0;
	if (missed > w)
		missed = w;
	if (missed)
		count_missed(a, t, (uint64_t)missed);
	if (w - missed)
		count_sample(a, t, s->frames, s->depth, (uint64_t)(w - missed));
}

/* The CPU time a thread was reported to use but not yet given to a stack
 * goes where it was running: its last stack when that was on CPU (or,
 * after samples that found it waiting for a core, the last one on a CPU
 * before them, not where it was preempted), else that stack under "(ran
 * between samples)". */
static void give_credit(struct aggregate *a, struct agg_thread *t)
{
	if (t->cpu_credit <= 0 || !t->has_last)
		return;
	uint64_t w = (uint64_t)t->cpu_credit;
	t->cpu_credit = 0;
	if (t->last_state == THREAD_RUNNING && !(t->last_flags & SAMPLE_F_NOT_ON_CPU)) {
		count_sample(a, t, t->last, t->last_depth, w);
		return;
	}
	if (t->last_state == THREAD_RUNNING && t->has_on) {
		count_sample(a, t, t->on, t->on_depth, w);
		return;
	}
	if (t->last_depth + 1 > a->unseen_cap) {
		a->unseen_cap = t->last_depth + 1;
		a->unseen = xrealloc(a->unseen, (size_t)a->unseen_cap * sizeof(*a->unseen));
	}
	a->unseen[0].func_id = UNSEEN_ID;
	a->unseen[0].line = 0;
	if (t->last_depth)
		memcpy(a->unseen + 1, t->last, (size_t)t->last_depth * sizeof(*t->last));
	count_sample(a, t, a->unseen, t->last_depth + 1, w);
}

/* A thread ended: the CPU it was reported to use and not yet given goes
 * to its stacks (give_credit), and the CPU it used after its last sample
 * (the process's total says so; may be 0) on its last stack under "(ended
 * between samples)". Not a sample: no state, no sample count. */
static void feed_ended(struct aggregate *a, const struct sample_rec *s)
{
	struct agg_thread *t;

	if (!s->cpu_ns) {
		/* Only the news that it is gone: a thread pruned already has
		 * nothing owed, and gets no new row. */
		t = s->tid ? (struct agg_thread *)aggtable_thread_find(&a->tab, s->tid) : NULL;
		if (t && a->mode == AGG_MODE_CPU)
			give_credit(a, t);
		return;
	}
	t = s->tid ? aggtable_thread(&a->tab, s->tid, a->epoch) : &a->nobody;
	if (s->pid)
		t->pid = s->pid;
	t->cum.cpu_ns += s->cpu_ns;
	t->win.cpu_ns += s->cpu_ns;
	if (a->mode != AGG_MODE_CPU)
		return;
	give_credit(a, t);
	/* CPU given ahead of the kernel's report (at most CPU_LAG_NS) was
	 * part of what it used after its last sample. */
	uint64_t share = s->cpu_ns;
	if (t->cpu_credit < 0) {
		uint64_t ahead = (uint64_t)-t->cpu_credit < share ? (uint64_t)-t->cpu_credit : share;
		share -= ahead;
		t->cpu_credit += (int64_t)ahead;
	}
	if (!share)
		return;
	uint32_t depth = t->has_last ? t->last_depth : 0;
	if (depth + 1 > a->unseen_cap) {
		a->unseen_cap = depth + 1;
		a->unseen = xrealloc(a->unseen, (size_t)a->unseen_cap * sizeof(*a->unseen));
	}
	a->unseen[0].func_id = ENDED_ID;
	a->unseen[0].line = 0;
	if (depth)
		memcpy(a->unseen + 1, t->last, (size_t)depth * sizeof(*t->last));
	count_sample(a, t, a->unseen, depth + 1, share);
}

static int feed_sample(struct aggregate *a, const struct sample_rec *s)
{
	unsigned state;
	struct agg_thread *t;
	uint64_t wall;

	if (s->h.size < sizeof(*s) ||
	    (s->h.size - sizeof(*s)) / sizeof(s->frames[0]) < s->depth)
		return PYTOP_EINVAL;
	if (s->flags & SAMPLE_F_ENDED) {
		feed_ended(a, s);
		return 0;
	}
	state = s->state <= THREAD_UNKNOWN ? s->state : THREAD_UNKNOWN;
	/* tid 0: a thread the sampler could not identify gets no row of its
	 * own (its samples still count for all threads). */
	t = s->tid ? aggtable_thread(&a->tab, s->tid, a->epoch) : &a->nobody;
	if (s->pid)
		t->pid = s->pid;
	wall = wall_weight(a, s);
	t->cum.samples++;
	t->win.samples++;
	t->cum.wall_ns += wall;
	t->win.wall_ns += wall;
	t->cum.states[state]++;
	t->win.states[state]++;
	if (s->flags & SAMPLE_F_CPU) {
		t->cum.cpu_ns += s->cpu_ns;
		t->win.cpu_ns += s->cpu_ns;
	}
	if (s->flags & SAMPLE_F_HOLDS_GIL) {
		t->cum.holding_gil++;
		t->win.holding_gil++;
		a->round_holders++;
	}
	t->cum.gil[gilclass_of(state, s->flags)]++;
	t->win.gil[gilclass_of(state, s->flags)]++;
	a->cum.samples++;
	a->win.samples++;
	if (s->flags & SAMPLE_F_TRUNCATED) {
		a->cum.truncated++;
		a->win.truncated++;
	}
	if (a->mode == AGG_MODE_CPU && (s->flags & SAMPLE_F_CPU))
		count_cpu(a, t, s, state, wall);
	else if (mode_counts(a->mode, state, s->flags)) {
		uint64_t missed = a->gap_avg_ns ? gap_missed(a, wall) : 0;
		if (missed)
			count_missed(a, t, missed);
		a->cls = (uint8_t)gilclass_of(state, s->flags);
		count_sample(a, t, s->frames, s->depth, wall - missed);
		a->cls = GIL_HOLDING;
	}
	if (s->tid)
		keep_latest(t, s);
	return 0;
}

static int feed_define(struct aggregate *a, const struct func_def_rec *d)
{
	const char *name = d->strings, *file;
	enum func_kind kind;
	size_t nlen, flen;
	uint32_t idx;

	if (d->h.size < sizeof(*d) ||
	    d->h.size - sizeof(*d) < (size_t)d->name_len + d->file_len + 2)
		return PYTOP_EINVAL;
	file = d->strings + d->name_len + 1;
	nlen = strnlen(name, d->name_len);
	flen = strnlen(file, d->file_len);
	kind = d->kind < FUNC_KIND_COUNT ? (enum func_kind)d->kind : FUNC_KIND_PYTHON;
	idx = aggtable_intern(&a->tab, name, nlen, file, flen, d->firstlineno, kind);
	/* Past the budget a new function is not remembered by id either: its
	 * samples resolve to the "more functions" row anyway. */
	aggtable_define(&a->tab, d->func_id, idx);
	return 0;
}

static int feed_thread(struct aggregate *a, const struct thread_rec *r)
{
	struct agg_thread *t;
	size_t n;

	if (r->h.size < sizeof(*r))
		return PYTOP_EINVAL;
	if (!r->tid)
		return 0;     /* no row for an unidentified thread */
	t = aggtable_thread(&a->tab, r->tid, a->epoch);
	if (r->pid)
		t->pid = r->pid;
	/* A thread named but never sampled ages from now (prune). */
	if (!t->has_last)
		t->last_time_ns = a->latest_ns;
	n = strnlen(r->name, sizeof(r->name));
	memcpy(t->name, r->name, n);
	t->name[n] = '\0';
	return 0;
}

static void totals_tick(struct agg_totals *v, const struct tick_rec *t, uint32_t holders)
{
	v->rounds++;
	if (t->gil_flags & TICK_GIL_KNOWN) {
		v->gil_rounds++;
		v->gil_held_rounds += t->gil_held > 0;
	}
	v->gil_conflicts += holders > t->gil_held;
	v->errors += t->errors;
	v->unidentified += t->unidentified;
	v->dur_sum += t->duration_ns;
	if (t->duration_ns > v->dur_max)
		v->dur_max = t->duration_ns;
	if (!v->has_first) {
		v->has_first = true;
		v->first_ns = t->time_ns;
	}
	v->last_ns = t->time_ns;
	if (t->gil_switches) {
		if (!v->gil_first)
			v->gil_first = t->gil_switches;
		v->gil_last = t->gil_switches;
	}
}

static int feed_tick(struct aggregate *a, const struct tick_rec *t)
{
	if (t->h.size < sizeof(*t))
		return PYTOP_EINVAL;
	if (t->h.type == REC_TARGET_EXIT) {
		a->exited = true;
		a->exit_status = t->exit_status;
		return 0;
	}
	if (!a->has_tick || t->time_ns > a->latest_ns)
		a->latest_ns = t->time_ns;
	a->recent_ns[a->nrecent % AGG_LIVE_ROUNDS] = t->time_ns;
	a->recent_clean[a->nrecent++ % AGG_LIVE_ROUNDS] = t->errors == 0;
	a->has_tick = true;
	totals_tick(&a->cum, t, a->round_holders);
	totals_tick(&a->win, t, a->round_holders);
	a->round_holders = 0;
	/* The usual gap: smoothed over about 8 rounds (a stall lifts it for a
	 * few rounds only). */
	if (a->last_tick_ns && t->time_ns > a->last_tick_ns) {
		uint64_t gap = t->time_ns - a->last_tick_ns;
		a->gap_avg_ns = a->gap_avg_ns ? a->gap_avg_ns - a->gap_avg_ns / 8 + gap / 8 : gap;
	}
	a->last_tick_ns = t->time_ns;
	a->gil_disabled = (t->gil_flags & TICK_GIL_DISABLED) != 0;
	return 0;
}

int aggregate_feed(struct aggregate *agg, const struct rec_header *rec)
{
	int err;

	if (rec->size < sizeof(*rec) || rec->size % 8)
		err = PYTOP_EINVAL;
	else switch (rec->type) {
	case REC_SAMPLE:
		err = feed_sample(agg, (const struct sample_rec *)rec);
		break;
	case REC_DEFINE_FUNC:
		err = feed_define(agg, (const struct func_def_rec *)rec);
		break;
	case REC_THREAD:
		err = feed_thread(agg, (const struct thread_rec *)rec);
		break;
	case REC_TICK:
	case REC_TARGET_EXIT:
		err = feed_tick(agg, (const struct tick_rec *)rec);
		break;
	default:
		err = 0;
		break;
	}
	if (err)
		totals_bad(agg);
	return err;
}

/* ---- lifetime ---- */

struct aggregate *aggregate_create(enum agg_mode mode, uint64_t interval_ns)
{
	struct aggregate *a = xcalloc(1, sizeof(*a));
	struct agg_tables *t = &a->tab;

	a->mode = mode;
	a->interval_ns = interval_ns;
	a->interval_s = (double)interval_ns / 1e9;
	aggtable_init(t, AGG_ENTRIES_MAX);
	a->epoch = 1;
	aggtable_define(t, UNSEEN_ID, aggtable_intern(t, "(ran between samples)", 21, "<pytop>", 7, 0,
						      FUNC_KIND_MARKER));
	aggtable_define(t, ENDED_ID, aggtable_intern(t, "(ended between samples)", 23, "<pytop>", 7, 0,
						     FUNC_KIND_MARKER));
	aggtable_define(t, MISSED_ID, aggtable_intern(t, "(not sampled)", 13, "<pytop>", 7, 0,
						      FUNC_KIND_MARKER));
	return a;
}

void aggregate_set_limit(struct aggregate *agg, uint64_t entries_max)
{
	agg->tab.entries_max = entries_max > 64 ? entries_max : 64;
}

void aggregate_set_memo(struct aggregate *agg, bool on)
{
	agg->no_memo = !on;
	for (int i = 0; i < AGG_MEMO_SLOTS; i++)
		agg->memo[i].gen = 0;
}

void aggregate_destroy(struct aggregate *agg)
{
	if (!agg)
		return;
	aggtable_free(&agg->tab);
	for (int i = 0; i < AGG_MEMO_SLOTS; i++) {
		free(agg->memo[i].fn);
		free(agg->memo[i].line);
		free(agg->memo[i].idx);
	}
	free(agg->scratch);
	free(agg->unseen);
	free(agg->fold_mark);
	free(agg);
}

void aggregate_window_start(struct aggregate *agg)
{
	agg->epoch++;
	memset(&agg->win, 0, sizeof(agg->win));
	if (agg->cum.has_first) {
		agg->win.has_first = true;
		agg->win.has_base = true;
		agg->win.first_ns = agg->cum.last_ns;
	}
	agg->win.gil_first = agg->cum.gil_last;
}

void aggregate_reset(struct aggregate *agg)
{
	aggtable_clear(&agg->tab);
	memset(&agg->cum, 0, sizeof(agg->cum));
	memset(&agg->win, 0, sizeof(agg->win));
	agg->epoch++;
}

void aggregate_set_mode(struct aggregate *agg, enum agg_mode mode)
{
	agg->mode = mode;
	aggregate_reset(agg);
}

void aggregate_set_interval(struct aggregate *agg, uint64_t interval_ns)
{
	agg->interval_ns = interval_ns;
	agg->interval_s = (double)interval_ns / 1e9;
	aggregate_reset(agg);
}

enum agg_mode aggregate_mode(const struct aggregate *agg)
{
	return agg->mode;
}

const char *aggregate_mode_name(enum agg_mode mode)
{
	switch (mode) {
	case AGG_MODE_CPU: return "cpu";
	case AGG_MODE_WALL: return "wall";
	case AGG_MODE_GIL: return "gil";
	}
	return "?";
}

const char *aggregate_kind_name(enum func_kind kind)
{
	switch (kind) {
	case FUNC_KIND_PYTHON: return "python";
	case FUNC_KIND_NATIVE: return "native";
	case FUNC_KIND_MARKER: return "marker";
	}
	return "?";
}

/* ---- forgetting ended threads ---- */

/* What aggregate_prune_threads() goes by. */
struct prune_arg {
	uint64_t latest_ns, grace_ns;
	const struct aggregate *agg;  /* aggregate_fold_ended's marks */
};

/* Not sampled (or named) for more than grace_ns before the latest round. */
static bool thread_ended(const struct agg_thread *t, void *arg)
{
	const struct prune_arg *p = arg;

	return p->latest_ns > t->last_time_ns && p->latest_ns - t->last_time_ns > p->grace_ns;
}

size_t aggregate_prune_threads(struct aggregate *agg, uint64_t grace_ns)
{
	struct prune_arg p = { agg->latest_ns, grace_ns, agg };
	size_t gone;

	if (!agg->has_tick || !agg->tab.nthreads)
		return 0;
	gone = aggtable_drop_threads(&agg->tab, thread_ended, &p);
	agg->pruned += gone;
	return gone;
}

uint64_t aggregate_pruned_threads(const struct aggregate *agg)
{
	return agg->pruned;
}

static void counts_add(struct agg_thread_counts *d, const struct agg_thread_counts *s)
{
	d->samples += s->samples;
	d->counted += s->counted;
	d->counted_ns += s->counted_ns;
	d->cpu_ns += s->cpu_ns;
	d->wall_ns += s->wall_ns;
	for (size_t i = 0; i < sizeof d->states / sizeof d->states[0]; i++)
		d->states[i] += s->states[i];
	d->holding_gil += s->holding_gil;
	for (size_t i = 0; i < sizeof d->gil / sizeof d->gil[0]; i++)
		d->gil[i] += s->gil[i];
}

/* What aggregate_fold_ended() folds: threads marked by slot. */
static bool fold_marked(const struct agg_thread *t, void *arg)
{
	const struct aggregate *agg = ((const struct prune_arg *)arg)->agg;
	return agg->fold_mark[t - agg->tab.threads];
}

static int by_samples_desc(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? 1 : x > y ? -1 : 0;
}

size_t aggregate_fold_ended(struct aggregate *agg, uint64_t grace_ns, uint32_t keep)
{
	struct prune_arg p = { agg->latest_ns, grace_ns, agg };
	uint32_t n = agg->tab.nthreads, ended = 0;

	if (!agg->has_tick || n <= keep)
		return 0;
	uint64_t *counts = xmalloc((size_t)n * sizeof(*counts));
	for (uint32_t i = 0; i < n; i++)
		if (thread_ended(&agg->tab.threads[i], &p))
			counts[ended++] = agg->tab.threads[i].cum.samples;
	if (ended <= keep) {
		free(counts);
		return 0;
	}
	/* The keep ended threads with the most samples stay (ties: the
	 * first in the table). */
	qsort(counts, ended, sizeof(*counts), by_samples_desc);
	uint64_t cutoff = keep ? counts[keep - 1] : UINT64_MAX;
	uint32_t at_cutoff = 0;
	for (uint32_t i = 0; i < keep; i++)
		at_cutoff += counts[i] == cutoff;
	free(counts);
	agg->fold_mark = xrealloc(agg->fold_mark, (size_t)n * sizeof(*agg->fold_mark));
	size_t folded = 0;
	for (uint32_t i = 0; i < n; i++) {
		struct agg_thread *t = &agg->tab.threads[i];
		bool fold = thread_ended(t, &p);
		if (fold && keep && t->cum.samples > cutoff)
			fold = false;
		else if (fold && keep && t->cum.samples == cutoff && at_cutoff) {
			at_cutoff--;
			fold = false;
		}
		agg->fold_mark[i] = fold;
		if (!fold)
			continue;
		/* CPU reported and not yet given to a stack goes first. */
		if (agg->mode == AGG_MODE_CPU)
			give_credit(agg, t);
		/* A thread with no sample since the last reset (--every: it
		 * ended in an earlier interval, whose snapshot had it) was no
		 * row of this one: it is not counted folded in it. */
		if (t->cum.samples) {
			counts_add(&agg->cum.folded, &t->cum);
			agg->cum.folded_threads++;
		}
		if (t->epoch == agg->epoch && t->win.samples) {
			counts_add(&agg->win.folded, &t->win);
			agg->win.folded_threads++;
		}
		folded++;
	}
	aggtable_drop_threads(&agg->tab, fold_marked, &p);
	return folded;
}
