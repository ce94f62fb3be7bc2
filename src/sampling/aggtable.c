/* aggtable: the aggregate's tables: open addressing over dense entry
 * arrays, so feeding a sample costs a few hash probes per frame; growth,
 * the budget of entries and the compaction when threads go. */
#include "sampling/aggtable.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"

/* ---- hashing and the id map ---- */

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

/* The smallest power of two >= n (n >= 1). */
static uint32_t pow2_at_least(uint32_t n)
{
	uint32_t p = 1;

	while (p < n && p < (1u << 31))
		p <<= 1;
	return p;
}

static void idmap_init(struct idmap *m)
{
	m->n = 0;
	m->mask = 15;
	m->key = xcalloc(m->mask + 1, sizeof(*m->key));
	m->val = xcalloc(m->mask + 1, sizeof(*m->val));
}

static void idmap_free(struct idmap *m)
{
	free(m->key);
	free(m->val);
}

static uint32_t idmap_get(const struct idmap *m, uint32_t key)
{
	uint32_t i = hash3(key, 0, 0) & m->mask;

	while (m->val[i]) {
		if (m->key[i] == key)
			return m->val[i] - 1;
		i = (i + 1) & m->mask;
	}
	return AGG_NONE;
}

static void idmap_insert(uint32_t *keys, uint32_t *vals, uint32_t mask, uint32_t key, uint32_t v1)
{
	uint32_t i = hash3(key, 0, 0) & mask;

	while (vals[i] && keys[i] != key)
		i = (i + 1) & mask;
	keys[i] = key;
	vals[i] = v1;
}

static void idmap_put(struct idmap *m, uint32_t key, uint32_t val)
{
	if (idmap_get(m, key) == AGG_NONE && (m->n + 1) * 2 > m->mask + 1) {
		uint32_t nmask = m->mask * 2 + 1, i;
		uint32_t *nk = xcalloc((size_t)nmask + 1, sizeof(*nk));
		uint32_t *nv = xcalloc((size_t)nmask + 1, sizeof(*nv));

		for (i = 0; i <= m->mask; i++)
			if (m->val[i])
				idmap_insert(nk, nv, nmask, m->key[i], m->val[i]);
		idmap_free(m);
		m->key = nk;
		m->val = nv;
		m->mask = nmask;
	}
	if (idmap_get(m, key) == AGG_NONE)
		m->n++;
	idmap_insert(m->key, m->val, m->mask, key, val + 1);
}

/* ---- counters ---- */

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

uint32_t ctab_find(const struct ctab *t, uint32_t k0, uint32_t k1, uint32_t k2)
{
	uint32_t i = hash3(k0, k1, k2) & t->mask;

	while (t->slot[i]) {
		const struct cent *e = &t->ent[t->slot[i] - 1];

		if (e->k[0] == k0 && e->k[1] == k1 && e->k[2] == k2)
			return t->slot[i] - 1;
		i = (i + 1) & t->mask;
	}
	return AGG_NONE;
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

uint32_t ctab_get(struct ctab *t, uint32_t k0, uint32_t k1, uint32_t k2, bool *created)
{
	uint32_t idx = ctab_find(t, k0, k1, k2), i;
	struct cent *e;

	if (created)
		*created = idx == AGG_NONE;
	if (idx != AGG_NONE)
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
	e->child = AGG_NONE;
	e->next = AGG_NONE;
	i = hash3(k0, k1, k2) & t->mask;
	while (t->slot[i])
		i = (i + 1) & t->mask;
	t->slot[i] = idx + 1;
	return idx;
}

uint32_t ctab_child(struct ctab *t, uint32_t parent, uint32_t func, int32_t line)
{
	bool created;
	uint32_t idx = ctab_get(t, parent, func, (uint32_t)line, &created);

	if (created) {
		t->ent[idx].next = t->ent[parent].child;
		t->ent[parent].child = idx;
	}
	return idx;
}

void cent_add(struct cent *e, uint32_t epoch, uint64_t own, uint64_t total, uint64_t weight_ns,
	      uint64_t count)
{
	if (e->epoch != epoch) {
		e->epoch = epoch;
		e->win_own = 0;
		e->win_total = 0;
		e->win_own_ns = 0;
		e->win_total_ns = 0;
	}
	e->own += own * count;
	e->total += total * count;
	e->win_own += own * count;
	e->win_total += total * count;
	e->own_ns += own * weight_ns;
	e->total_ns += total * weight_ns;
	e->win_own_ns += own * weight_ns;
	e->win_total_ns += total * weight_ns;
}

bool cent_any(const struct cent *e, uint32_t epoch, bool window)
{
	return cent_total(e, epoch, window) || cent_total_ns(e, epoch, window);
}

uint64_t cent_own(const struct cent *e, uint32_t epoch, bool window)
{
	if (!window)
		return e->own;
	return e->epoch == epoch ? e->win_own : 0;
}

uint64_t cent_total(const struct cent *e, uint32_t epoch, bool window)
{
	if (!window)
		return e->total;
	return e->epoch == epoch ? e->win_total : 0;
}

uint64_t cent_own_ns(const struct cent *e, uint32_t epoch, bool window)
{
	if (!window)
		return e->own_ns;
	return e->epoch == epoch ? e->win_own_ns : 0;
}

uint64_t cent_total_ns(const struct cent *e, uint32_t epoch, bool window)
{
	if (!window)
		return e->total_ns;
	return e->epoch == epoch ? e->win_total_ns : 0;
}

/* ---- functions ---- */

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

uint64_t aggtable_entries(const struct agg_tables *t)
{
	return (uint64_t)t->fstat.n + t->lstat.n + t->edge.n + t->tree.n + t->nfuncs;
}

uint32_t aggtable_intern(struct agg_tables *t, const char *name, size_t nlen, const char *file,
			 size_t flen, int firstlineno, enum func_kind kind)
{
	uint64_t h = hash_bytes(hash_bytes(0xcbf29ce484222325ULL, name, nlen), "", 1);
	uint32_t i, idx;
	struct agg_func *f;

	h = hash_bytes(h, file, flen);
	for (i = (uint32_t)h & t->fmask; t->fslot[i]; i = (i + 1) & t->fmask) {
		f = &t->funcs[t->fslot[i] - 1];
		if (f->hash == h && strlen(f->name) == nlen && memcmp(f->name, name, nlen) == 0 &&
		    strlen(f->file) == flen && memcmp(f->file, file, flen) == 0)
			return t->fslot[i] - 1;
	}
	/* Past the budget a new function is the one "more functions" row. */
	if (t->entries_max && aggtable_entries(t) >= t->entries_max && t->over_func != AGG_NONE)
		return t->over_func;
	if (t->nfuncs == t->funcs_cap) {
		t->funcs_cap *= 2;
		t->funcs = xrealloc(t->funcs, (size_t)t->funcs_cap * sizeof(*t->funcs));
	}
	if ((t->nfuncs + 1) * 2 > t->fmask + 1) {
		uint32_t nmask = t->fmask * 2 + 1, j;
		uint32_t *ns = xcalloc((size_t)nmask + 1, sizeof(*ns));

		for (j = 0; j < t->nfuncs; j++)
			fslot_insert(ns, nmask, t->funcs[j].hash, j);
		free(t->fslot);
		t->fslot = ns;
		t->fmask = nmask;
	}
	idx = t->nfuncs++;
	f = &t->funcs[idx];
	f->name = dupn(name, nlen);
	f->file = dupn(file, flen);
	f->firstlineno = firstlineno;
	f->kind = kind;
	f->hash = h;
	fslot_insert(t->fslot, t->fmask, h, idx);
	return idx;
}

void aggtable_define(struct agg_tables *t, uint32_t func_id, uint32_t func)
{
	if (func != t->over_func)
		idmap_put(&t->ids, func_id, func);
}

uint32_t aggtable_resolve(struct agg_tables *t, uint32_t func_id)
{
	uint32_t idx = idmap_get(&t->ids, func_id);
	char name[32];
	int n;

	if (idx != AGG_NONE)
		return idx;
	n = snprintf(name, sizeof(name), "<func_id %u>", func_id);
	idx = aggtable_intern(t, name, (size_t)n, "<unknown>", 9, 0, FUNC_KIND_PYTHON);
	aggtable_define(t, func_id, idx);
	return idx;
}

uint32_t aggtable_lookup(const struct agg_tables *t, uint32_t func_id)
{
	return idmap_get(&t->ids, func_id);
}

bool aggtable_stack_known(const struct agg_tables *t, uint32_t scope, const uint32_t *fn,
			  const struct sample_frame *fr, uint32_t depth)
{
	uint32_t i, node;

	for (i = 0; i < depth; i++)
		if (ctab_find(&t->fstat, scope, fn[i], 0) == AGG_NONE ||
		    ctab_find(&t->lstat, scope, fn[i], (uint32_t)fr[i].line) == AGG_NONE ||
		    (i + 1 < depth && ctab_find(&t->edge, scope, fn[i + 1], fn[i]) == AGG_NONE))
			return false;
	node = ctab_find(&t->tree, AGG_NONE, scope, 0);
	for (i = depth; node != AGG_NONE && i-- > 0;)
		node = ctab_find(&t->tree, node, fn[i], (uint32_t)fr[i].line);
	return node != AGG_NONE;
}

/* ---- threads ---- */

struct agg_thread *aggtable_thread(struct agg_tables *t, uint32_t tid, uint32_t epoch)
{
	uint32_t idx = idmap_get(&t->tids, tid);
	struct agg_thread *th;

	if (idx == AGG_NONE) {
		if (t->nthreads == t->threads_cap) {
			t->threads_cap *= 2;
			t->threads = xrealloc(t->threads, (size_t)t->threads_cap * sizeof(*t->threads));
		}
		idx = t->nthreads++;
		th = &t->threads[idx];
		memset(th, 0, sizeof(*th));
		th->tid = tid;
		idmap_put(&t->tids, tid, idx);
	}
	th = &t->threads[idx];
	if (th->epoch != epoch) {
		th->epoch = epoch;
		memset(&th->win, 0, sizeof(th->win));
	}
	return th;
}

const struct agg_thread *aggtable_thread_find(const struct agg_tables *t, uint32_t tid)
{
	uint32_t idx = idmap_get(&t->tids, tid);

	return idx == AGG_NONE ? NULL : &t->threads[idx];
}

const struct agg_thread_counts *aggtable_thread_counts(const struct agg_thread *th, uint32_t epoch,
						       bool window)
{
	static const struct agg_thread_counts zero;

	if (!window)
		return &th->cum;
	return th->epoch == epoch ? &th->win : &zero;
}

/* ---- lifetime ---- */

void aggtable_init(struct agg_tables *t, uint64_t entries_max)
{
	memset(t, 0, sizeof(*t));
	t->funcs_cap = 64;
	t->funcs = xmalloc(t->funcs_cap * sizeof(*t->funcs));
	t->fmask = 127;
	t->fslot = xcalloc(t->fmask + 1, sizeof(*t->fslot));
	idmap_init(&t->ids);
	t->threads_cap = 8;
	t->threads = xmalloc(t->threads_cap * sizeof(*t->threads));
	idmap_init(&t->tids);
	ctab_init(&t->fstat);
	ctab_init(&t->lstat);
	ctab_init(&t->edge);
	ctab_init(&t->tree);
	t->gen = 1;
	t->entries_max = entries_max;
	t->over_func = AGG_NONE;
	t->over_func = aggtable_intern(t, "(more functions than pytop keeps)", 33, "<pytop>", 7, 0,
				       FUNC_KIND_MARKER);
}

void aggtable_free(struct agg_tables *t)
{
	uint32_t i;

	for (i = 0; i < t->nfuncs; i++) {
		free(t->funcs[i].name);
		free(t->funcs[i].file);
	}
	free(t->funcs);
	free(t->fslot);
	idmap_free(&t->ids);
	for (i = 0; i < t->nthreads; i++) {
		free(t->threads[i].last);
		free(t->threads[i].on);
	}
	free(t->threads);
	idmap_free(&t->tids);
	ctab_free(&t->fstat);
	ctab_free(&t->lstat);
	ctab_free(&t->edge);
	ctab_free(&t->tree);
}

void aggtable_clear(struct agg_tables *t)
{
	uint32_t i;

	ctab_clear(&t->fstat);
	ctab_clear(&t->lstat);
	ctab_clear(&t->edge);
	ctab_clear(&t->tree);
	t->gen++;
	for (i = 0; i < t->nthreads; i++) {
		memset(&t->threads[i].cum, 0, sizeof(t->threads[i].cum));
		memset(&t->threads[i].win, 0, sizeof(t->threads[i].win));
	}
}

/* ---- forgetting threads ---- */

/* Keep the entries with keep[i] != AGG_NONE, moved to index keep[i] (which
 * is increasing), with k[0] replaced by newk0[i]; tree links are remapped
 * through keep. The slot array and the entry array shrink to fit. */
static void ctab_compact(struct ctab *t, const uint32_t *keep, const uint32_t *newk0, bool tree)
{
	uint32_t i, n = 0, cap, mask;

	for (i = 0; i < t->n; i++) {
		struct cent e;

		if (keep[i] == AGG_NONE)
			continue;
		e = t->ent[i];
		e.k[0] = newk0[i];
		if (tree) {
			e.child = e.child == AGG_NONE ? AGG_NONE : keep[e.child];
			e.next = e.next == AGG_NONE ? AGG_NONE : keep[e.next];
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
 * renumber the others' scopes through smap (old scope -> new, AGG_NONE gone). */
static void compact_flat(struct ctab *t, const uint32_t *smap)
{
	uint32_t *keep = xmalloc(((size_t)t->n + 1) * sizeof(*keep));
	uint32_t *k0 = xmalloc(((size_t)t->n + 1) * sizeof(*k0));
	uint32_t i, n = 0;

	for (i = 0; i < t->n; i++) {
		uint32_t ns = smap[t->ent[i].k[0]];

		keep[i] = ns == AGG_NONE ? AGG_NONE : n++;
		k0[i] = ns;
	}
	ctab_compact(t, keep, k0, false);
	free(keep);
	free(k0);
}

/* The tree: a root is (AGG_NONE, scope, 0), a node (parent, func, line); a
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

		if (e->k[0] == AGG_NONE) {
			uint32_t ns = smap[e->k[1]];

			kept = ns != AGG_NONE;
			e->k[1] = kept ? ns : e->k[1];
			k0[i] = AGG_NONE;
		} else {
			kept = e->k[0] < i && keep[e->k[0]] != AGG_NONE;
			k0[i] = kept ? keep[e->k[0]] : AGG_NONE;
		}
		keep[i] = kept ? n++ : AGG_NONE;
	}
	ctab_compact(t, keep, k0, true);
	free(keep);
	free(k0);
}

size_t aggtable_drop_threads(struct agg_tables *t, bool (*gone)(const struct agg_thread *th, void *arg),
			     void *arg)
{
	uint32_t *smap, i, n = 0;
	size_t ngone = 0;

	for (i = 0; i < t->nthreads; i++)
		ngone += gone(&t->threads[i], arg);
	if (!ngone)
		return 0;
	/* scope 0 stays; scope i + 1 is thread slot i */
	smap = xmalloc(((size_t)t->nthreads + 1) * sizeof(*smap));
	smap[0] = 0;
	for (i = 0; i < t->nthreads; i++) {
		struct agg_thread *th = &t->threads[i];

		if (gone(th, arg)) {
			free(th->last);
			free(th->on);
			smap[i + 1] = AGG_NONE;
			continue;
		}
		smap[i + 1] = n + 1;
		if (n != i)
			t->threads[n] = *th;
		n++;
	}
	t->nthreads = n;
	compact_flat(&t->fstat, smap);
	compact_flat(&t->lstat, smap);
	compact_flat(&t->edge, smap);
	compact_tree(&t->tree, smap);
	t->gen++;
	free(smap);
	/* the tid map and the thread array, rebuilt to fit */
	idmap_free(&t->tids);
	idmap_init(&t->tids);
	for (i = 0; i < n; i++)
		idmap_put(&t->tids, t->threads[i].tid, i);
	if (t->threads_cap > 8 && n < t->threads_cap / 4) {
		t->threads_cap = pow2_at_least(n + 1) < 8 ? 8 : pow2_at_least(n + 1);
		t->threads = xrealloc(t->threads, (size_t)t->threads_cap * sizeof(*t->threads));
	}
	return ngone;
}
