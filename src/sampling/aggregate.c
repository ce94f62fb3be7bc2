/* aggregate: counts built from sampler records. Every table is open
 * addressing over a dense entry array, so feeding a sample costs a few hash
 * probes per frame. The tables grow with the distinct functions, lines and
 * stacks seen, up to a budget of entries (AGG_ENTRIES_MAX); past it only
 * samples whose every key is known are counted, the others are counted as
 * over the limit and said. Each count is kept for
 * "scope" 0 (all threads) and for the sample's thread (scope = slot + 1).
 * Window counts carry the epoch they belong to; starting a window bumps the
 * epoch, so stale window counts read as zero without touching the tables. */
#include "sampling/aggregate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"

#define NONE UINT32_MAX
#define AGG_ENTRIES_MAX (2u << 20)      /* table entries kept at most (96 bytes each, 200-400 MB) */
#define LIVE_ROUNDS 4                   /* rounds looked back at for a clean one (live) */
#define UNSEEN_ID (UINT32_MAX - 1)      /* func_id of "(ran between samples)" */
#define ENDED_ID (UINT32_MAX - 2)       /* func_id of "(ended between samples)" */
#define THREAD_NAME_MAX (sizeof(((struct thread_rec *)0)->name))

/* A function identity (file + qualified name). */
struct func {
	char *name;
	char *file;
	int firstlineno;
	uint64_t hash;
};

struct thread {
	uint32_t tid;
	uint32_t epoch;                 /* epoch of win */
	char name[THREAD_NAME_MAX + 1];
	struct agg_thread_counts cum, win;
	struct sample_frame *last;      /* the latest sample's frames, innermost first */
	uint32_t last_depth, last_cap;
	uint64_t last_time_ns;
	uint8_t last_state, last_flags;
	bool has_last;
	double cpu_frac;                /* cpu mode: share of a core, smoothed (count_cpu) */
	int64_t cpu_credit;             /* cpu mode: CPU reported minus CPU given, ns */
};

/* A counter keyed by three words. Functions: (scope, func, 0); lines:
 * (scope, func, line); edges: (scope, caller, callee); tree nodes:
 * (parent node, func, line), tree roots: (NONE, scope, 0). */
struct cent {
	uint32_t k[3];
	uint32_t epoch;                 /* epoch of win_own/win_total */
	uint64_t stamp;                 /* last sample that bumped total */
	uint64_t own, total;
	uint64_t win_own, win_total;
	uint64_t own_ns, total_ns;      /* the same, weighted by the samples' time */
	uint64_t win_own_ns, win_total_ns;
	uint32_t child, next;           /* tree nodes: first child, next sibling */
};

struct ctab {
	struct cent *ent;
	uint32_t n, cap;
	uint32_t *slot;                 /* entry index + 1; 0 = empty */
	uint32_t mask;
};

/* uint32 -> uint32 map; val holds value + 1, 0 = empty. */
struct u32map {
	uint32_t *key;
	uint32_t *val;
	uint32_t n, mask;
};

struct totals {
	uint64_t samples, counted, truncated, rounds, errors, bad;
	uint64_t counted_ns;            /* time of the counted samples */
	uint64_t unidentified;          /* sum of the ticks' unidentified */
	uint64_t over_limit;            /* samples not counted: tables full */
	uint64_t gil_rounds, gil_held_rounds, gil_conflicts;
	uint64_t dur_sum, dur_max;
	bool has_first;                 /* first_ns is valid */
	bool has_base;                  /* first_ns is the round before the view */
	uint64_t first_ns, last_ns;
	uint64_t gil_first, gil_last;   /* target's switch_number, 0 = unknown */
};

struct aggregate {
	enum agg_mode mode;
	uint64_t interval_ns;
	double interval_s;

	struct func *funcs;
	uint32_t nfuncs, funcs_cap;
	uint32_t *fslot;                /* over funcs by (name, file): index + 1 */
	uint32_t fmask;
	struct u32map ids;              /* func_id -> funcs index */

	struct thread *threads;
	uint32_t nthreads, threads_cap;
	struct u32map tids;             /* tid -> threads index */
	uint64_t latest_ns;             /* the latest REC_TICK's round time */
	uint64_t recent_ns[LIVE_ROUNDS]; /* the last rounds' times, a ring */
	bool recent_clean[LIVE_ROUNDS]; /* ... and whether every walk succeeded */
	uint32_t nrecent;               /* rounds seen (index of the next) */
	bool has_tick;
	uint64_t pruned;                /* threads forgotten by prune */
	uint64_t entries_max;           /* the budget of table entries */
	uint32_t over_func;             /* "(more functions than pytop keeps)" */

	struct ctab fstat, lstat, edge, tree;

	uint32_t *scratch;              /* a sample's funcs indices */
	uint32_t scratch_cap;
	uint64_t seq;                   /* counted samples so far (stamps) */
	uint32_t epoch;
	struct totals cum, win;
	uint32_t round_holders;         /* samples holding the GIL since the last tick */
	uint64_t last_tick_ns;          /* the previous round's start (0: none yet) */
	struct sample_frame *unseen;    /* a stack with "(ran between samples)" inside */
	uint32_t unseen_cap;
	uint64_t weight_ns;             /* what the sample being counted is worth */
	bool gil_disabled;
	bool exited;
	int exit_status;
	struct thread nobody;           /* counts of tid-0 samples (never a row) */
};

static const struct agg_query default_query;

/* ---- hashing and small tables ---- */

static uint32_t hash3(uint32_t a, uint32_t b, uint32_t c)
{
	uint64_t x = ((uint64_t)a << 32 | b) * 0x9e3779b97f4a7c15ULL;

	x ^= (uint64_t)c * 0xc2b2ae3d27d4eb4fULL;
	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 32;
	return (uint32_t)x;
}

static uint64_t hash_bytes(uint64_t h, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void u32map_init(struct u32map *m)
{
	m->n = 0;
	m->mask = 15;
	m->key = xcalloc(m->mask + 1, sizeof(*m->key));
	m->val = xcalloc(m->mask + 1, sizeof(*m->val));
}

static void u32map_free(struct u32map *m)
{
	free(m->key);
	free(m->val);
}

static uint32_t u32map_get(const struct u32map *m, uint32_t key)
{
	uint32_t i = hash3(key, 0, 0) & m->mask;

	while (m->val[i]) {
		if (m->key[i] == key)
			return m->val[i] - 1;
		i = (i + 1) & m->mask;
	}
	return NONE;
}

static void u32map_insert(uint32_t *keys, uint32_t *vals, uint32_t mask, uint32_t key, uint32_t v1)
{
	uint32_t i = hash3(key, 0, 0) & mask;

	while (vals[i] && keys[i] != key)
		i = (i + 1) & mask;
	keys[i] = key;
	vals[i] = v1;
}

static void u32map_put(struct u32map *m, uint32_t key, uint32_t val)
{
	if (u32map_get(m, key) == NONE && (m->n + 1) * 2 > m->mask + 1) {
		uint32_t nmask = m->mask * 2 + 1, i;
		uint32_t *nk = xcalloc((size_t)nmask + 1, sizeof(*nk));
		uint32_t *nv = xcalloc((size_t)nmask + 1, sizeof(*nv));

		for (i = 0; i <= m->mask; i++)
			if (m->val[i])
				u32map_insert(nk, nv, nmask, m->key[i], m->val[i]);
		u32map_free(m);
		m->key = nk;
		m->val = nv;
		m->mask = nmask;
	}
	if (u32map_get(m, key) == NONE)
		m->n++;
	u32map_insert(m->key, m->val, m->mask, key, val + 1);
}

static void ctab_init(struct ctab *t)
{
	t->n = 0;
	t->cap = 32;
	t->ent = xmalloc(t->cap * sizeof(*t->ent));
	t->mask = 63;
	t->slot = xcalloc(t->mask + 1, sizeof(*t->slot));
}

static void ctab_free(struct ctab *t)
{
	free(t->ent);
	free(t->slot);
}

static void ctab_clear(struct ctab *t)
{
	t->n = 0;
	memset(t->slot, 0, ((size_t)t->mask + 1) * sizeof(*t->slot));
}

static uint32_t ctab_find(const struct ctab *t, uint32_t k0, uint32_t k1, uint32_t k2)
{
	uint32_t i = hash3(k0, k1, k2) & t->mask;

	while (t->slot[i]) {
		const struct cent *e = &t->ent[t->slot[i] - 1];

		if (e->k[0] == k0 && e->k[1] == k1 && e->k[2] == k2)
			return t->slot[i] - 1;
		i = (i + 1) & t->mask;
	}
	return NONE;
}

static void ctab_grow(struct ctab *t)
{
	uint32_t nmask = t->mask * 2 + 1, j;

	free(t->slot);
	t->slot = xcalloc((size_t)nmask + 1, sizeof(*t->slot));
	t->mask = nmask;
	for (j = 0; j < t->n; j++) {
		const struct cent *e = &t->ent[j];
		uint32_t i = hash3(e->k[0], e->k[1], e->k[2]) & nmask;

		while (t->slot[i])
			i = (i + 1) & nmask;
		t->slot[i] = j + 1;
	}
}

/* Index of the entry for the key, made (zeroed) if new; *created says which.
 * Entry pointers are invalid after this call. */
static uint32_t ctab_get(struct ctab *t, uint32_t k0, uint32_t k1, uint32_t k2, bool *created)
{
	uint32_t idx = ctab_find(t, k0, k1, k2), i;
	struct cent *e;

	if (created)
		*created = idx == NONE;
	if (idx != NONE)
		return idx;
	if (t->n == t->cap) {
		t->cap *= 2;
		t->ent = xrealloc(t->ent, (size_t)t->cap * sizeof(*t->ent));
	}
	if ((t->n + 1) * 2 > t->mask + 1)
		ctab_grow(t);
	idx = t->n++;
	e = &t->ent[idx];
	memset(e, 0, sizeof(*e));
	e->k[0] = k0;
	e->k[1] = k1;
	e->k[2] = k2;
	e->child = NONE;
	e->next = NONE;
	i = hash3(k0, k1, k2) & t->mask;
	while (t->slot[i])
		i = (i + 1) & t->mask;
	t->slot[i] = idx + 1;
	return idx;
}

/* Add own/total samples (0 or 1), each worth a->weight_ns of time. */
static void cent_add(const struct aggregate *a, struct cent *e, uint64_t own, uint64_t total)
{
	if (e->epoch != a->epoch) {
		e->epoch = a->epoch;
		e->win_own = 0;
		e->win_total = 0;
		e->win_own_ns = 0;
		e->win_total_ns = 0;
	}
	e->own += own;
	e->total += total;
	e->win_own += own;
	e->win_total += total;
	e->own_ns += own * a->weight_ns;
	e->total_ns += total * a->weight_ns;
	e->win_own_ns += own * a->weight_ns;
	e->win_total_ns += total * a->weight_ns;
}

static uint64_t cent_own_ns(const struct aggregate *a, const struct cent *e, bool window)
{
	if (!window)
		return e->own_ns;
	return e->epoch == a->epoch ? e->win_own_ns : 0;
}

static uint64_t cent_total_ns(const struct aggregate *a, const struct cent *e, bool window)
{
	if (!window)
		return e->total_ns;
	return e->epoch == a->epoch ? e->win_total_ns : 0;
}

static uint64_t cent_own(const struct aggregate *a, const struct cent *e, bool window)
{
	if (!window)
		return e->own;
	return e->epoch == a->epoch ? e->win_own : 0;
}

static uint64_t cent_total(const struct aggregate *a, const struct cent *e, bool window)
{
	if (!window)
		return e->total;
	return e->epoch == a->epoch ? e->win_total : 0;
}

/* ---- functions and threads ---- */

static char *dupn(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static void fslot_insert(uint32_t *slot, uint32_t mask, uint64_t hash, uint32_t idx)
{
	uint32_t i = (uint32_t)hash & mask;

	while (slot[i])
		i = (i + 1) & mask;
	slot[i] = idx + 1;
}

/* Entries in the tables that grow with what is seen. */
static uint64_t entries(const struct aggregate *a)
{
	return (uint64_t)a->fstat.n + a->lstat.n + a->edge.n + a->tree.n + a->nfuncs;
}

/* The funcs index of (name, file), added if new. */
static uint32_t func_intern(struct aggregate *a, const char *name, size_t nlen,
			    const char *file, size_t flen, int firstlineno)
{
	uint64_t h = hash_bytes(hash_bytes(0xcbf29ce484222325ULL, name, nlen), "", 1);
	uint32_t i, idx;
	struct func *f;

	h = hash_bytes(h, file, flen);
	for (i = (uint32_t)h & a->fmask; a->fslot[i]; i = (i + 1) & a->fmask) {
		f = &a->funcs[a->fslot[i] - 1];
		if (f->hash == h && strlen(f->name) == nlen && memcmp(f->name, name, nlen) == 0 &&
		    strlen(f->file) == flen && memcmp(f->file, file, flen) == 0)
			return a->fslot[i] - 1;
	}
	/* Past the budget a new function is the one "more functions" row. */
	if (a->entries_max && entries(a) >= a->entries_max)
		return a->over_func;
	if (a->nfuncs == a->funcs_cap) {
		a->funcs_cap *= 2;
		a->funcs = xrealloc(a->funcs, (size_t)a->funcs_cap * sizeof(*a->funcs));
	}
	if ((a->nfuncs + 1) * 2 > a->fmask + 1) {
		uint32_t nmask = a->fmask * 2 + 1, j;
		uint32_t *ns = xcalloc((size_t)nmask + 1, sizeof(*ns));

		for (j = 0; j < a->nfuncs; j++)
			fslot_insert(ns, nmask, a->funcs[j].hash, j);
		free(a->fslot);
		a->fslot = ns;
		a->fmask = nmask;
	}
	idx = a->nfuncs++;
	f = &a->funcs[idx];
	f->name = dupn(name, nlen);
	f->file = dupn(file, flen);
	f->firstlineno = firstlineno;
	f->hash = h;
	fslot_insert(a->fslot, a->fmask, h, idx);
	return idx;
}

/* The funcs index for a sampler func_id; an id never defined (its DEFINE
 * was dropped) gets a placeholder function of its own. */
static uint32_t func_resolve(struct aggregate *a, uint32_t func_id)
{
	uint32_t idx = u32map_get(&a->ids, func_id);
	char name[32];
	int n;

	if (idx != NONE)
		return idx;
	n = snprintf(name, sizeof(name), "<func_id %u>", func_id);
	idx = func_intern(a, name, (size_t)n, "<unknown>", 9, 0);
	if (idx != a->over_func)     /* past the budget the id map stops growing too */
		u32map_put(&a->ids, func_id, idx);
	return idx;
}

static struct thread *thread_get(struct aggregate *a, uint32_t tid)
{
	uint32_t idx = u32map_get(&a->tids, tid);
	struct thread *t;

	if (idx == NONE) {
		if (a->nthreads == a->threads_cap) {
			a->threads_cap *= 2;
			a->threads = xrealloc(a->threads, (size_t)a->threads_cap * sizeof(*a->threads));
		}
		idx = a->nthreads++;
		t = &a->threads[idx];
		memset(t, 0, sizeof(*t));
		t->tid = tid;
		u32map_put(&a->tids, tid, idx);
	}
	t = &a->threads[idx];
	if (t->epoch != a->epoch) {
		t->epoch = a->epoch;
		memset(&t->win, 0, sizeof(t->win));
	}
	return t;
}

static const struct agg_thread_counts *thread_counts(const struct aggregate *a,
						      const struct thread *t, bool window)
{
	static const struct agg_thread_counts zero;

	if (!window)
		return &t->cum;
	return t->epoch == a->epoch ? &t->win : &zero;
}

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

static uint32_t tree_root(struct aggregate *a, uint32_t scope)
{
	return ctab_get(&a->tree, NONE, scope, 0, NULL);
}

static uint32_t tree_child(struct aggregate *a, uint32_t parent, uint32_t func, int32_t line)
{
	bool created;
	uint32_t idx = ctab_get(&a->tree, parent, func, (uint32_t)line, &created);

	if (created) {
		a->tree.ent[idx].next = a->tree.ent[parent].child;
		a->tree.ent[parent].child = idx;
	}
	return idx;
}

/* Bump total once per sample (the stamp) and own as asked. */
static void bump_once(struct aggregate *a, struct ctab *t, uint32_t k0, uint32_t k1,
		      uint32_t k2, uint64_t own)
{
	uint32_t idx = ctab_get(t, k0, k1, k2, NULL);
	struct cent *e = &t->ent[idx];
	uint64_t total = e->stamp != a->seq;

	e->stamp = a->seq;
	cent_add(a, e, own, total);
}

/* Would counting this stack in scope find every key it needs? */
static bool stack_known(const struct aggregate *a, uint32_t scope, const struct sample_frame *fr,
			uint32_t depth)
{
	const uint32_t *fn = a->scratch;
	uint32_t i, node;

	for (i = 0; i < depth; i++)
		if (ctab_find(&a->fstat, scope, fn[i], 0) == NONE ||
		    ctab_find(&a->lstat, scope, fn[i], (uint32_t)fr[i].line) == NONE ||
		    (i + 1 < depth && ctab_find(&a->edge, scope, fn[i + 1], fn[i]) == NONE))
			return false;
	node = ctab_find(&a->tree, NONE, scope, 0);
	for (i = depth; node != NONE && i-- > 0;)
		node = ctab_find(&a->tree, node, fn[i], (uint32_t)fr[i].line);
	return node != NONE;
}

static void count_stack(struct aggregate *a, uint32_t scope, const struct sample_frame *fr,
			uint32_t depth)
{
	const uint32_t *fn = a->scratch;
	uint32_t i, node;

	for (i = 0; i < depth; i++) {
		bump_once(a, &a->fstat, scope, fn[i], 0, i == 0);
		bump_once(a, &a->lstat, scope, fn[i], (uint32_t)fr[i].line, i == 0);
		if (i + 1 < depth)
			bump_once(a, &a->edge, scope, fn[i + 1], fn[i], 0);
	}
	node = tree_root(a, scope);
	cent_add(a, &a->tree.ent[node], depth == 0, 1);
	for (i = depth; i-- > 0;) {
		node = tree_child(a, node, fn[i], fr[i].line);
		cent_add(a, &a->tree.ent[node], i == 0, 1);
	}
}

/* Keep the thread's latest stack (any state, any mode) for
 * aggregate_latest_stack(); the frames' ids are resolved when asked. */
static void keep_latest(struct thread *t, const struct sample_rec *s)
{
	if (s->depth > t->last_cap) {
		t->last_cap = s->depth;
		t->last = xrealloc(t->last, (size_t)t->last_cap * sizeof(*t->last));
	}
	if (s->depth)
		memcpy(t->last, s->frames, (size_t)s->depth * sizeof(*t->last));
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

/* Count a stack (frames innermost first) worth weight_ns in the mode. */
static void count_sample(struct aggregate *a, struct thread *t, const struct sample_frame *frames,
			 uint32_t depth, uint64_t weight_ns)
{
	uint32_t scope = t == &a->nobody ? 0 : (uint32_t)(t - a->threads) + 1, i;

	if (depth > a->scratch_cap) {
		a->scratch_cap = depth;
		a->scratch = xrealloc(a->scratch, (size_t)a->scratch_cap * sizeof(*a->scratch));
	}
	for (i = 0; i < depth; i++)
		a->scratch[i] = func_resolve(a, frames[i].func_id);
	/* Near the budget: a stack that would need a new entry is not counted
	 * (counted as over the limit), so the tables stop growing. */
	if (entries(a) + 8 * ((uint64_t)depth + 1) > a->entries_max &&
	    (!stack_known(a, 0, frames, depth) || (scope && !stack_known(a, scope, frames, depth)))) {
		a->cum.over_limit++;
		a->win.over_limit++;
		return;
	}
	t->cum.counted++;
	t->win.counted++;
	t->cum.counted_ns += weight_ns;
	t->win.counted_ns += weight_ns;
	a->cum.counted++;
	a->win.counted++;
	a->cum.counted_ns += weight_ns;
	a->win.counted_ns += weight_ns;
	a->seq++;
	a->weight_ns = weight_ns;
	count_stack(a, 0, frames, depth);
	if (scope)
		count_stack(a, scope, frames, depth);
}

/* Count a sample in cpu mode by the CPU time the thread used since its
 * previous sample (when the sampler measured it): on the stack seen now
 * when the thread is on CPU, else on its previous stack, where it was
 * running before it blocked. A thread blocked at both samples ran only in
 * between (woke, worked, blocked again): that time goes to its previous
 * stack under "(ran between samples)", not to the blocking call. */
#define CPU_FRAC_NS 64000000.0   /* time constant of a thread's smoothed CPU share */

static void count_cpu(struct aggregate *a, struct thread *t, const struct sample_rec *s, unsigned state,
		      uint64_t wall)
{
	/* The kernel's per-thread CPU time moves in steps (at ticks and
	 * context switches), and the steps fall at moments the program
	 * chooses (a syscall at a function's start): weighing each sample by
	 * its own step would give the CPU of the step's whole span to the stack
	 * seen at its end. So a sample while the thread is on CPU is worth the
	 * time since the previous round times the thread's smoothed share of a
	 * core while on CPU (a thread waiting for a core gets its real share); the CPU
	 * reported but not given that way (credit) goes, when the thread is
	 * found blocked, to where it was running before it blocked. */
	double step = wall > 0 ? (double)s->cpu_ns / (double)wall : 0;
	double k = wall > 0 ? (double)wall / CPU_FRAC_NS : 1;
	if (k > 1)
		k = 1;
	t->cpu_credit += (int64_t)s->cpu_ns;
	if (state == THREAD_RUNNING || !t->has_last) {
		/* The share is learnt on CPU only: the time a thread spends
		 * blocked says nothing of how much of a core it gets when it
		 * runs (a thread woken for a short burst keeps its share). */
		if (t->has_last || t->cpu_frac > 0)
			t->cpu_frac += (step - t->cpu_frac) * k;
		else
			t->cpu_frac = step;  /* the thread's first sample */
		double frac = t->cpu_frac < 1 ? t->cpu_frac : 1;
		uint64_t w = (uint64_t)((double)wall * frac);
		if (!t->has_last && s->cpu_ns > w)
			w = s->cpu_ns;       /* a new thread's CPU since its birth */
		t->cpu_credit -= (int64_t)w;
		if (w)
			count_sample(a, t, s->frames, s->depth, w);
		return;
	}
	if (t->cpu_credit <= 0)
		return;
	uint64_t w = (uint64_t)t->cpu_credit;
	t->cpu_credit = 0;
	if (t->last_state == THREAD_RUNNING) {
		count_sample(a, t, t->last, t->last_depth, w);
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

/* CPU time a thread used after its last sample, before it ended (the
 * process's total says so): on its last stack under "(ended between
 * samples)". Not a sample: no state, no sample count. */
static void feed_ended(struct aggregate *a, const struct sample_rec *s)
{
	struct thread *t = s->tid ? thread_get(a, s->tid) : &a->nobody;

	t->cum.cpu_ns += s->cpu_ns;
	t->win.cpu_ns += s->cpu_ns;
	if (a->mode != AGG_MODE_CPU || !s->cpu_ns)
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
	count_sample(a, t, a->unseen, depth + 1, s->cpu_ns);
}

static int feed_sample(struct aggregate *a, const struct sample_rec *s)
{
	unsigned state;
	struct thread *t;
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
	t = s->tid ? thread_get(a, s->tid) : &a->nobody;
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
	else if (mode_counts(a->mode, state, s->flags))
		count_sample(a, t, s->frames, s->depth, wall);
	if (s->tid)
		keep_latest(t, s);
	return 0;
}

static int feed_define(struct aggregate *a, const struct func_def_rec *d)
{
	const char *name = d->strings, *file;
	size_t nlen, flen;
	uint32_t idx;

	if (d->h.size < sizeof(*d) ||
	    d->h.size - sizeof(*d) < (size_t)d->name_len + d->file_len + 2)
		return PYTOP_EINVAL;
	file = d->strings + d->name_len + 1;
	nlen = strnlen(name, d->name_len);
	flen = strnlen(file, d->file_len);
	idx = func_intern(a, name, nlen, file, flen, d->firstlineno);
	/* Past the budget a new function is not remembered by id either: its
	 * samples resolve to the "more functions" row anyway. */
	if (idx != a->over_func)
		u32map_put(&a->ids, d->func_id, idx);
	return 0;
}

static int feed_thread(struct aggregate *a, const struct thread_rec *r)
{
	uint32_t idx;
	struct thread *t;
	size_t n;

	if (r->h.size < sizeof(*r))
		return PYTOP_EINVAL;
	if (!r->tid)
		return 0;     /* no row for an unidentified thread */
	idx = u32map_get(&a->tids, r->tid);
	t = idx == NONE ? thread_get(a, r->tid) : &a->threads[idx];
	/* A thread named but never sampled ages from now (prune). */
	if (!t->has_last)
		t->last_time_ns = a->latest_ns;
	n = strnlen(r->name, sizeof(r->name));
	memcpy(t->name, r->name, n);
	t->name[n] = '\0';
	return 0;
}

static void totals_tick(struct totals *v, const struct tick_rec *t, uint32_t holders)
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
	a->recent_ns[a->nrecent % LIVE_ROUNDS] = t->time_ns;
	a->recent_clean[a->nrecent++ % LIVE_ROUNDS] = t->errors == 0;
	a->has_tick = true;
	totals_tick(&a->cum, t, a->round_holders);
	totals_tick(&a->win, t, a->round_holders);
	a->round_holders = 0;
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

	a->mode = mode;
	a->interval_ns = interval_ns;
	a->interval_s = (double)interval_ns / 1e9;
	a->funcs_cap = 64;
	a->funcs = xmalloc(a->funcs_cap * sizeof(*a->funcs));
	a->fmask = 127;
	a->fslot = xcalloc(a->fmask + 1, sizeof(*a->fslot));
	u32map_init(&a->ids);
	a->threads_cap = 8;
	a->threads = xmalloc(a->threads_cap * sizeof(*a->threads));
	u32map_init(&a->tids);
	ctab_init(&a->fstat);
	ctab_init(&a->lstat);
	ctab_init(&a->edge);
	ctab_init(&a->tree);
	a->epoch = 1;
	u32map_put(&a->ids, UNSEEN_ID,
		   func_intern(a, "(ran between samples)", 21, "<pytop>", 7, 0));
	u32map_put(&a->ids, ENDED_ID,
		   func_intern(a, "(ended between samples)", 23, "<pytop>", 7, 0));
	a->over_func = func_intern(a, "(more functions than pytop keeps)", 33, "<pytop>", 7, 0);
	a->entries_max = AGG_ENTRIES_MAX;
	return a;
}

void aggregate_set_limit(struct aggregate *agg, uint64_t entries_max)
{
	agg->entries_max = entries_max > 64 ? entries_max : 64;
}

void aggregate_destroy(struct aggregate *agg)
{
	uint32_t i;

	if (!agg)
		return;
	for (i = 0; i < agg->nfuncs; i++) {
		free(agg->funcs[i].name);
		free(agg->funcs[i].file);
	}
	free(agg->funcs);
	free(agg->fslot);
	u32map_free(&agg->ids);
	for (i = 0; i < agg->nthreads; i++)
		free(agg->threads[i].last);
	free(agg->threads);
	u32map_free(&agg->tids);
	ctab_free(&agg->fstat);
	ctab_free(&agg->lstat);
	ctab_free(&agg->edge);
	ctab_free(&agg->tree);
	free(agg->scratch);
	free(agg->unseen);
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
	uint32_t i;

	ctab_clear(&agg->fstat);
	ctab_clear(&agg->lstat);
	ctab_clear(&agg->edge);
	ctab_clear(&agg->tree);
	for (i = 0; i < agg->nthreads; i++) {
		memset(&agg->threads[i].cum, 0, sizeof(agg->threads[i].cum));
		memset(&agg->threads[i].win, 0, sizeof(agg->threads[i].win));
	}
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

void aggregate_summary(const struct aggregate *agg, bool window, struct agg_summary *out)
{
	const struct totals *v = window ? &agg->win : &agg->cum;
	uint64_t intervals;

	memset(out, 0, sizeof(*out));
	out->samples = v->samples;
	out->counted = v->counted;
	out->truncated = v->truncated;
	out->rounds = v->rounds;
	out->errors = v->errors;
	out->bad_records = v->bad;
	out->interval_s = agg->interval_s;
	out->counted_s = (double)v->counted_ns / 1e9;
	out->unidentified = v->unidentified;
	out->over_limit = v->over_limit;
	out->entries_max = agg->entries_max;
	if (v->rounds) {
		out->round_mean_s = (double)v->dur_sum / (double)v->rounds / 1e9;
		out->round_max_s = (double)v->dur_max / 1e9;
		if (v->last_ns > v->first_ns)
			out->elapsed_s = (double)(v->last_ns - v->first_ns) / 1e9;
	}
	intervals = v->has_base ? v->rounds : v->rounds ? v->rounds - 1 : 0;
	if (out->elapsed_s > 0)
		out->achieved_rate_hz = (double)intervals / out->elapsed_s;
	/* Judged once there are a few rounds or a quarter of a second. */
	out->rate_low = agg->interval_s > 0 && (intervals >= 10 || out->elapsed_s >= 0.25) &&
			out->achieved_rate_hz < 0.9 / agg->interval_s;
	if (v->gil_first && v->gil_last > v->gil_first)
		out->gil_switches = v->gil_last - v->gil_first;
	if (out->elapsed_s > 0)
		out->gil_switch_rate = (double)out->gil_switches / out->elapsed_s;
	out->gil_rounds = v->gil_rounds;
	out->gil_held_rounds = v->gil_held_rounds;
	if (v->gil_rounds)
		out->gil_utilisation_pct = 100.0 * (double)v->gil_held_rounds / (double)v->gil_rounds;
	out->gil_conflicts = v->gil_conflicts;
	out->gil_disabled = agg->gil_disabled;
	out->target_exited = agg->exited;
	out->exit_status = agg->exit_status;
}

/* ---- forgetting ended threads ---- */

/* The smallest power of two >= n (n >= 1). */
static uint32_t pow2_at_least(uint32_t n)
{
	uint32_t p = 1;

	while (p < n && p < (1u << 31))
		p <<= 1;
	return p;
}

/* Keep the entries with keep[i] != NONE, moved to index keep[i] (which is
 * increasing), with k[0] replaced by newk0[i]; tree links are remapped
 * through keep. The slot array and the entry array shrink to fit. */
static void ctab_compact(struct ctab *t, const uint32_t *keep, const uint32_t *newk0, bool tree)
{
	uint32_t i, n = 0, cap, mask;

	for (i = 0; i < t->n; i++) {
		struct cent e;

		if (keep[i] == NONE)
			continue;
		e = t->ent[i];
		e.k[0] = newk0[i];
		if (tree) {
			e.child = e.child == NONE ? NONE : keep[e.child];
			e.next = e.next == NONE ? NONE : keep[e.next];
		}
		t->ent[keep[i]] = e;
		n++;
	}
	t->n = n;
	cap = pow2_at_least(n + 1);
	if (cap < 32)
		cap = 32;
	if (cap < t->cap) {
		t->cap = cap;
		t->ent = xrealloc(t->ent, (size_t)cap * sizeof(*t->ent));
	}
	mask = pow2_at_least(2 * (n + 1)) - 1;
	if (mask < 63)
		mask = 63;
	free(t->slot);
	t->slot = xcalloc((size_t)mask + 1, sizeof(*t->slot));
	t->mask = mask;
	for (i = 0; i < n; i++) {
		const struct cent *e = &t->ent[i];
		uint32_t h = hash3(e->k[0], e->k[1], e->k[2]) & mask;

		while (t->slot[h])
			h = (h + 1) & mask;
		t->slot[h] = i + 1;
	}
}

/* Drop the entries of the flat tables (k[0] = scope) whose scope goes;
 * renumber the others' scopes through smap (old scope -> new, NONE gone). */
static void compact_flat(struct ctab *t, const uint32_t *smap)
{
	uint32_t *keep = xmalloc(((size_t)t->n + 1) * sizeof(*keep));
	uint32_t *k0 = xmalloc(((size_t)t->n + 1) * sizeof(*k0));
	uint32_t i, n = 0;

	for (i = 0; i < t->n; i++) {
		uint32_t ns = smap[t->ent[i].k[0]];

		keep[i] = ns == NONE ? NONE : n++;
		k0[i] = ns;
	}
	ctab_compact(t, keep, k0, false);
	free(keep);
	free(k0);
}

/* The tree: a root is (NONE, scope, 0), a node (parent, func, line); a
 * node's parent always comes before it, so one pass finds the nodes under
 * the roots that go. */
static void compact_tree(struct ctab *t, const uint32_t *smap)
{
	uint32_t *keep = xmalloc(((size_t)t->n + 1) * sizeof(*keep));
	uint32_t *k0 = xmalloc(((size_t)t->n + 1) * sizeof(*k0));
	uint32_t i, n = 0;

	for (i = 0; i < t->n; i++) {
		struct cent *e = &t->ent[i];
		bool kept;

		if (e->k[0] == NONE) {
			uint32_t ns = smap[e->k[1]];

			kept = ns != NONE;
			e->k[1] = kept ? ns : e->k[1];
			k0[i] = NONE;
		} else {
			kept = e->k[0] < i && keep[e->k[0]] != NONE;
			k0[i] = kept ? keep[e->k[0]] : NONE;
		}
		keep[i] = kept ? n++ : NONE;
	}
	ctab_compact(t, keep, k0, true);
	free(keep);
	free(k0);
}

/* Not sampled (or named) for more than grace_ns before the latest round. */
static bool thread_ended(const struct aggregate *a, const struct thread *t, uint64_t grace_ns)
{
	return a->latest_ns > t->last_time_ns && a->latest_ns - t->last_time_ns > grace_ns;
}

size_t aggregate_prune_threads(struct aggregate *agg, uint64_t grace_ns)
{
	uint32_t *smap, i, n = 0;
	size_t gone = 0;

	if (!agg->has_tick || !agg->nthreads)
		return 0;
	for (i = 0; i < agg->nthreads; i++) {
		const struct thread *t = &agg->threads[i];

		gone += thread_ended(agg, t, grace_ns);
	}
	if (!gone)
		return 0;
	/* scope 0 stays; scope i + 1 is thread slot i */
	smap = xmalloc(((size_t)agg->nthreads + 1) * sizeof(*smap));
	smap[0] = 0;
	for (i = 0; i < agg->nthreads; i++) {
		struct thread *t = &agg->threads[i];

		if (thread_ended(agg, t, grace_ns)) {
			free(t->last);
			smap[i + 1] = NONE;
			continue;
		}
		smap[i + 1] = n + 1;
		if (n != i)
			agg->threads[n] = *t;
		n++;
	}
	agg->nthreads = n;
	compact_flat(&agg->fstat, smap);
	compact_flat(&agg->lstat, smap);
	compact_flat(&agg->edge, smap);
	compact_tree(&agg->tree, smap);
	free(smap);
	/* the tid map and the thread array, rebuilt to fit */
	u32map_free(&agg->tids);
	u32map_init(&agg->tids);
	for (i = 0; i < n; i++)
		u32map_put(&agg->tids, agg->threads[i].tid, i);
	if (agg->threads_cap > 8 && n < agg->threads_cap / 4) {
		agg->threads_cap = pow2_at_least(n + 1) < 8 ? 8 : pow2_at_least(n + 1);
		agg->threads = xrealloc(agg->threads, (size_t)agg->threads_cap * sizeof(*agg->threads));
	}
	agg->pruned += gone;
	return gone;
}

uint64_t aggregate_pruned_threads(const struct aggregate *agg)
{
	return agg->pruned;
}

/* ---- queries ---- */

/* Scope for a query; false when the tid was never seen. */
static bool query_scope(const struct aggregate *a, const struct agg_query *q, uint32_t *scope)
{
	uint32_t idx;

	if (q->tid == 0) {
		*scope = 0;
		return true;
	}
	idx = u32map_get(&a->tids, q->tid);
	if (idx == NONE)
		return false;
	*scope = idx + 1;
	return true;
}

/* Counted time of a scope in one view (the percentage base). */
static uint64_t scope_counted(const struct aggregate *a, uint32_t scope, bool window)
{
	if (scope == 0)
		return window ? a->win.counted_ns : a->cum.counted_ns;
	return thread_counts(a, &a->threads[scope - 1], window)->counted_ns;
}

/* A row's numbers from an entry; base is the view's counted time. */
static void stat_fill(const struct aggregate *a, struct agg_stat *s, const struct cent *e,
		      bool window, uint64_t base)
{
	uint64_t own_ns = cent_own_ns(a, e, window), total_ns = cent_total_ns(a, e, window);

	s->own = cent_own(a, e, window);
	s->total = cent_total(a, e, window);
	s->own_pct = base ? 100.0 * (double)own_ns / (double)base : 0.0;
	s->total_pct = base ? 100.0 * (double)total_ns / (double)base : 0.0;
	s->own_s = (double)own_ns / 1e9;
	s->total_s = (double)total_ns / 1e9;
}

/* Case-insensitive (ASCII) substring test; an empty needle matches. */
static bool imatch(const char *hay, const char *needle)
{
	size_t n = strlen(needle), i;

	for (; *hay; hay++) {
		for (i = 0; i < n && hay[i]; i++) {
			unsigned char x = (unsigned char)hay[i], y = (unsigned char)needle[i];

			if (x >= 'A' && x <= 'Z')
				x = (unsigned char)(x - 'A' + 'a');
			if (y >= 'A' && y <= 'Z')
				y = (unsigned char)(y - 'A' + 'a');
			if (x != y)
				break;
		}
		if (i == n)
			return true;
	}
	return n == 0;
}

static bool func_matches(const struct func *f, const char *match)
{
	return !match || !*match || imatch(f->name, match) || imatch(f->file, match);
}

typedef int (*cmp_fn)(const void *x, const void *y, const void *ctx);

static void msort_run(char *base, char *tmp, size_t n, size_t size, cmp_fn cmp, const void *ctx)
{
	size_t m = n / 2, i = 0, j = m, k = 0;

	if (n < 2)
		return;
	msort_run(base, tmp, m, size, cmp, ctx);
	msort_run(base + m * size, tmp, n - m, size, cmp, ctx);
	while (i < m && j < n) {
		if (cmp(base + j * size, base + i * size, ctx) < 0)
			memcpy(tmp + k++ * size, base + j++ * size, size);
		else
			memcpy(tmp + k++ * size, base + i++ * size, size);
	}
	while (i < m)
		memcpy(tmp + k++ * size, base + i++ * size, size);
	while (j < n)
		memcpy(tmp + k++ * size, base + j++ * size, size);
	memcpy(base, tmp, n * size);
}

/* A stable merge sort whose comparator takes a context. */
static void msort(void *base, size_t n, size_t size, cmp_fn cmp, const void *ctx)
{
	char *tmp;

	if (n < 2)
		return;
	tmp = xmalloc(n * size);
	msort_run(base, tmp, n, size, cmp, ctx);
	free(tmp);
}

static int cmp_u64_desc(uint64_t x, uint64_t y)
{
	return x > y ? -1 : x < y;
}

static int cmp_dbl_desc(double x, double y)
{
	return x > y ? -1 : x < y;
}

static int cmp_int(int x, int y)
{
	return x < y ? -1 : x > y;
}

/* Function and line rows share the fields the order looks at. */
static int cmp_rows(const struct agg_query *q, const char *n1, const char *f1, int l1,
		    const struct agg_stat *s1, const char *n2, const char *f2, int l2,
		    const struct agg_stat *s2)
{
	int c = 0;

	switch (q->sort) {
	case AGG_SORT_OWN:
		c = cmp_dbl_desc(s1->own_s, s2->own_s);
		if (!c)
			c = cmp_dbl_desc(s1->total_s, s2->total_s);
		if (!c)
			c = cmp_u64_desc(s1->own, s2->own);
		break;
	case AGG_SORT_TOTAL:
		c = cmp_dbl_desc(s1->total_s, s2->total_s);
		if (!c)
			c = cmp_dbl_desc(s1->own_s, s2->own_s);
		if (!c)
			c = cmp_u64_desc(s1->total, s2->total);
		break;
	case AGG_SORT_FILE:
		c = strcmp(f1, f2);
		if (!c)
			c = cmp_int(l1, l2);
		break;
	case AGG_SORT_NAME:
		break;
	}
	if (!c)
		c = strcmp(n1, n2);
	if (!c)
		c = strcmp(f1, f2);
	if (!c)
		c = cmp_int(l1, l2);
	return q->reverse ? -c : c;
}

static int cmp_func_rows(const void *x, const void *y, const void *ctx)
{
	const struct agg_query *q = ctx;
	const struct agg_func_row *a = x, *b = y;

	return cmp_rows(q, a->name, a->file, a->line, q->window ? &a->win : &a->cum,
			b->name, b->file, b->line, q->window ? &b->win : &b->cum);
}

static int cmp_line_rows(const void *x, const void *y, const void *ctx)
{
	const struct agg_query *q = ctx;
	const struct agg_line_row *a = x, *b = y;

	return cmp_rows(q, a->name, a->file, a->line, q->window ? &a->win : &a->cum,
			b->name, b->file, b->line, q->window ? &b->win : &b->cum);
}

int aggregate_compare(enum agg_sort sort, const struct agg_key *a, const struct agg_key *b)
{
	struct agg_query q = { .sort = sort };

	return cmp_rows(&q, a->name, a->file, a->line, a->stat, b->name, b->file, b->line, b->stat);
}

bool aggregate_matches(const char *name, const char *file, const char *match)
{
	return !match || !*match || imatch(name, match) || imatch(file, match);
}

/* Entries of t in the scope, with a nonzero total in the view, matching. */
static bool row_selected(const struct aggregate *a, const struct agg_query *q,
			 const struct cent *e, uint32_t scope)
{
	return e->k[0] == scope && cent_total(a, e, q->window) &&
	       func_matches(&a->funcs[e->k[1]], q->match);
}

size_t aggregate_functions(const struct aggregate *agg, const struct agg_query *q,
			   struct agg_func_row **rows)
{
	uint64_t wbase, cbase;
	struct agg_func_row *out;
	uint32_t scope, i;
	size_t n = 0;

	*rows = NULL;
	if (!q)
		q = &default_query;
	if (!query_scope(agg, q, &scope))
		return 0;
	for (i = 0; i < agg->fstat.n; i++)
		n += row_selected(agg, q, &agg->fstat.ent[i], scope);
	if (!n)
		return 0;
	out = xmalloc(n * sizeof(*out));
	wbase = scope_counted(agg, scope, true);
	cbase = scope_counted(agg, scope, false);
	n = 0;
	for (i = 0; i < agg->fstat.n; i++) {
		const struct cent *e = &agg->fstat.ent[i];
		const struct func *f = &agg->funcs[e->k[1]];
		struct agg_func_row *r;

		if (!row_selected(agg, q, e, scope))
			continue;
		r = &out[n++];
		r->func = e->k[1];
		r->name = f->name;
		r->file = f->file;
		r->line = f->firstlineno;
		stat_fill(agg, &r->win, e, true, wbase);
		stat_fill(agg, &r->cum, e, false, cbase);
	}
	msort(out, n, sizeof(*out), cmp_func_rows, q);
	*rows = out;
	return n;
}

size_t aggregate_lines(const struct aggregate *agg, const struct agg_query *q,
		       struct agg_line_row **rows)
{
	uint64_t wbase, cbase;
	struct agg_line_row *out;
	uint32_t scope, i;
	size_t n = 0;

	*rows = NULL;
	if (!q)
		q = &default_query;
	if (!query_scope(agg, q, &scope))
		return 0;
	for (i = 0; i < agg->lstat.n; i++)
		n += row_selected(agg, q, &agg->lstat.ent[i], scope);
	if (!n)
		return 0;
	out = xmalloc(n * sizeof(*out));
	wbase = scope_counted(agg, scope, true);
	cbase = scope_counted(agg, scope, false);
	n = 0;
	for (i = 0; i < agg->lstat.n; i++) {
		const struct cent *e = &agg->lstat.ent[i];
		const struct func *f = &agg->funcs[e->k[1]];
		struct agg_line_row *r;

		if (!row_selected(agg, q, e, scope))
			continue;
		r = &out[n++];
		r->func = e->k[1];
		r->name = f->name;
		r->file = f->file;
		r->line = (int32_t)e->k[2];
		stat_fill(agg, &r->win, e, true, wbase);
		stat_fill(agg, &r->cum, e, false, cbase);
	}
	msort(out, n, sizeof(*out), cmp_line_rows, q);
	*rows = out;
	return n;
}

static int cmp_thread_rows(const void *x, const void *y)
{
	const struct agg_thread_row *a = x, *b = y;

	return a->tid < b->tid ? -1 : a->tid > b->tid;
}

/* A thread is live when the latest round that walked every thread sampled
 * it. A round where some walk failed (a stack torn under the reader) is no
 * proof that a thread it missed has ended; the rounds before it are looked
 * at, up to LIVE_ROUNDS back. */
static uint64_t live_since(const struct aggregate *agg)
{
	uint32_t k, n = agg->nrecent < LIVE_ROUNDS ? agg->nrecent : LIVE_ROUNDS, i = 0;

	if (!agg->has_tick || !n)
		return 0;
	for (k = 0; k < n; k++) {
		i = (agg->nrecent - 1 - k) % LIVE_ROUNDS;
		if (agg->recent_clean[i])
			break;
	}
	return agg->recent_ns[i];
}

size_t aggregate_threads(const struct aggregate *agg, const struct agg_query *q,
			 struct agg_thread_row **rows)
{
	struct agg_thread_row *out;
	uint32_t i;
	size_t n = 0;

	*rows = NULL;
	if (!q)
		q = &default_query;
	if (!agg->nthreads)
		return 0;
	out = xmalloc(agg->nthreads * sizeof(*out));
	for (i = 0; i < agg->nthreads; i++) {
		const struct thread *t = &agg->threads[i];

		if (q->tid && t->tid != q->tid)
			continue;
		if (!thread_counts(agg, t, q->window)->samples)
			continue;
		out[n].tid = t->tid;
		memcpy(out[n].name, t->name, sizeof(out[n].name));
		out[n].name[sizeof(out[n].name) - 1] = '\0';
		out[n].live = t->has_last && t->last_time_ns >= live_since(agg);
		out[n].last_ns = t->last_time_ns;
		out[n].last_state = t->last_state;
		out[n].last_flags = t->last_flags;
		out[n].win = *thread_counts(agg, t, true);
		out[n].cum = t->cum;
		n++;
	}
	if (!n) {
		free(out);
		return 0;
	}
	qsort(out, n, sizeof(*out), cmp_thread_rows);
	*rows = out;
	return n;
}

static int cmp_edge_rows(const void *x, const void *y, const void *ctx)
{
	const struct agg_query *q = ctx;
	const struct agg_edge_row *a = x, *b = y;
	int c = q->window ? cmp_dbl_desc(a->win_s, b->win_s) : cmp_dbl_desc(a->cum_s, b->cum_s);

	if (!c)
		c = q->window ? cmp_u64_desc(a->win, b->win) : cmp_u64_desc(a->cum, b->cum);

	if (!c)
		c = strcmp(a->name, b->name);
	if (!c)
		c = strcmp(a->file, b->file);
	if (!c)
		c = cmp_int(a->line, b->line);
	return q->reverse ? -c : c;
}

/* Edges touching func: callers (func is the callee) or callees. */
static size_t edges(const struct aggregate *a, uint32_t func, const struct agg_query *q,
		    bool callers, struct agg_edge_row **rows)
{
	uint32_t mine = callers ? 2 : 1, other = callers ? 1 : 2;
	struct agg_edge_row *out = NULL;
	uint32_t scope, i;
	size_t n = 0, cap = 0;

	*rows = NULL;
	if (!q)
		q = &default_query;
	if (!query_scope(a, q, &scope))
		return 0;
	for (i = 0; i < a->edge.n; i++) {
		const struct cent *e = &a->edge.ent[i];
		const struct func *f;
		struct agg_edge_row *r;

		if (e->k[0] != scope || e->k[mine] != func || !cent_total(a, e, q->window))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			out = xrealloc(out, cap * sizeof(*out));
		}
		f = &a->funcs[e->k[other]];
		r = &out[n++];
		r->func = e->k[other];
		r->name = f->name;
		r->file = f->file;
		r->line = f->firstlineno;
		r->win = cent_total(a, e, true);
		r->cum = e->total;
		r->win_s = (double)cent_total_ns(a, e, true) / 1e9;
		r->cum_s = (double)e->total_ns / 1e9;
	}
	msort(out, n, sizeof(*out), cmp_edge_rows, q);
	*rows = out;
	return n;
}

size_t aggregate_callers(const struct aggregate *agg, uint32_t func,
			 const struct agg_query *q, struct agg_edge_row **rows)
{
	return edges(agg, func, q, true, rows);
}

size_t aggregate_callees(const struct aggregate *agg, uint32_t func,
			 const struct agg_query *q, struct agg_edge_row **rows)
{
	return edges(agg, func, q, false, rows);
}

void aggregate_walk_stacks(const struct aggregate *agg, const struct agg_query *q,
			   agg_stack_fn fn, void *arg)
{
	struct agg_frame *path;
	uint32_t *node, scope, root;
	size_t d = 0, cap = 64;

	if (!q)
		q = &default_query;
	if (!query_scope(agg, q, &scope))
		return;
	root = ctab_find(&agg->tree, NONE, scope, 0);
	if (root == NONE)
		return;
	path = xmalloc(cap * sizeof(*path));
	node = xmalloc(cap * sizeof(*node));
	node[0] = agg->tree.ent[root].child;
	for (;;) {
		const struct cent *e;
		const struct func *f;
		uint64_t count;

		if (node[d] == NONE) {
			if (d == 0)
				break;
			d--;
			node[d] = agg->tree.ent[node[d]].next;
			continue;
		}
		e = &agg->tree.ent[node[d]];
		if (!cent_total(agg, e, q->window)) {
			node[d] = e->next;
			continue;
		}
		f = &agg->funcs[e->k[1]];
		path[d].func = e->k[1];
		path[d].name = f->name;
		path[d].file = f->file;
		path[d].line = (int32_t)e->k[2];
		count = cent_own(agg, e, q->window);
		if (count)
			fn(arg, path, d + 1, count);
		if (e->child == NONE) {
			node[d] = e->next;
			continue;
		}
		if (d + 2 > cap) {
			cap *= 2;
			path = xrealloc(path, cap * sizeof(*path));
			node = xrealloc(node, cap * sizeof(*node));
		}
		node[d + 1] = e->child;
		d++;
	}
	free(path);
	free(node);
}

bool aggregate_func(const struct aggregate *agg, uint32_t func, struct agg_frame *out)
{
	const struct func *f;

	if (func >= agg->nfuncs)
		return false;
	f = &agg->funcs[func];
	out->func = func;
	out->name = f->name;
	out->file = f->file;
	out->line = f->firstlineno;
	return true;
}

size_t aggregate_latest_stack(const struct aggregate *agg, uint32_t tid, struct agg_frame *frames,
			      size_t cap, struct agg_latest *info)
{
	uint32_t idx = u32map_get(&agg->tids, tid), i, fidx;
	const struct thread *t;
	size_t n;

	if (info)
		memset(info, 0, sizeof(*info));
	if (idx == NONE || !agg->threads[idx].has_last)
		return 0;
	t = &agg->threads[idx];
	if (info) {
		info->valid = true;
		info->time_ns = t->last_time_ns;
		info->state = t->last_state;
		info->flags = t->last_flags;
		info->depth = t->last_depth;
	}
	n = t->last_depth < cap ? t->last_depth : cap;
	for (i = 0; i < n; i++) {
		fidx = u32map_get(&agg->ids, t->last[i].func_id);
		frames[i].func = fidx;
		frames[i].name = fidx == NONE ? "<unknown>" : agg->funcs[fidx].name;
		frames[i].file = fidx == NONE ? "<unknown>" : agg->funcs[fidx].file;
		frames[i].line = t->last[i].line;
	}
	return n;
}
