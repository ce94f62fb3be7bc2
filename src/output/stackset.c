/* stackset: the per-thread stacks of a snapshot, with frames and functions
 * numbered, and each stack's time (see stackset.h). */
#include "output/stackset.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"

/* ---- a map from 64-bit keys to indices (open addressing) ---- */

#define EMPTY UINT32_MAX

struct imap {
	uint64_t *keys;
	uint32_t *vals;
	size_t cap, n;          /* cap: a power of two, or 0 */
};

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static uint32_t imap_get(const struct imap *m, uint64_t key)
{
	if (!m->cap)
		return EMPTY;
	for (size_t i = mix(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (m->vals[i] == EMPTY)
			return EMPTY;
		if (m->keys[i] == key)
			return m->vals[i];
	}
}

static void imap_put(struct imap *m, uint64_t key, uint32_t val);

static void imap_grow(struct imap *m)
{
	struct imap old = *m;

	m->cap = old.cap ? old.cap * 2 : 256;
	m->n = 0;
	m->keys = xmalloc(m->cap * sizeof(*m->keys));
	m->vals = xmalloc(m->cap * sizeof(*m->vals));
	memset(m->vals, 0xff, m->cap * sizeof(*m->vals));
	for (size_t i = 0; i < old.cap; i++)
		if (old.vals[i] != EMPTY)
			imap_put(m, old.keys[i], old.vals[i]);
	free(old.keys);
	free(old.vals);
}

/* Add key (not present yet). */
static void imap_put(struct imap *m, uint64_t key, uint32_t val)
{
	if (2 * (m->n + 1) > m->cap)
		imap_grow(m);
	size_t i = mix(key) & (m->cap - 1);
	while (m->vals[i] != EMPTY)
		i = (i + 1) & (m->cap - 1);
	m->keys[i] = key;
	m->vals[i] = val;
	m->n++;
}

static void imap_free(struct imap *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

/* ---- building ---- */

/* Samples and time of the stacks ending at a frame, in one scope. */
struct leaf {
	uint64_t own, ns;
};

struct builder {
	struct stackset *s;
	const struct aggregate *agg;
	struct imap funcs;          /* aggregate function handle -> funcs index */
	struct imap frames;         /* func index << 32 | line -> frames index */
	struct imap paths;          /* hash of a path -> index into keyed (chained below) */
	uint32_t *path_next;        /* keyed stacks with the same hash slot: next, or EMPTY */
	uint32_t *keyed;            /* stack index of each distinct path (first seen) */
	uint64_t *keyed_count;      /* the threads' samples on that path */
	size_t nkeyed, keyed_cap;
	size_t cap_funcs, cap_frames, cap_stacks, cap_path;
	uint32_t thread;            /* the thread being walked */
	uint32_t *scratch;          /* the walked stack's frame indices */
	size_t scratch_cap;
	struct leaf *scope;         /* per frame: this scope's leaf rows */
	struct leaf *threads_sum;   /* per frame: every thread's leaf rows summed */
	size_t leaf_cap;
	bool subtract;              /* walking all threads: keep what no thread holds */
};

static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return p;
	size_t c = *cap ? *cap : 64;
	while (c < need)
		c *= 2;
	*cap = c;
	return xrealloc(p, c * size);
}

static uint32_t intern_func(struct builder *b, const struct agg_frame *fr)
{
	struct stackset *s = b->s;
	uint32_t i = imap_get(&b->funcs, fr->func);
	struct agg_frame def;

	if (i != EMPTY)
		return i;
	s->funcs = grow(s->funcs, &b->cap_funcs, s->nfuncs + 1, sizeof(*s->funcs));
	i = (uint32_t)s->nfuncs++;
	s->funcs[i].name = fr->name ? fr->name : "";
	s->funcs[i].file = fr->file ? fr->file : "";
	s->funcs[i].first_line = aggregate_func(b->agg, fr->func, &def) ? def.line : 0;
	s->funcs[i].kind = fr->kind;
	imap_put(&b->funcs, fr->func, i);
	return i;
}

static uint64_t frame_key(uint32_t func, int line)
{
	return (uint64_t)func << 32 | (uint32_t)line;
}

static uint32_t intern_frame(struct builder *b, const struct agg_frame *fr)
{
	struct stackset *s = b->s;
	uint32_t func = intern_func(b, fr), i;
	uint64_t key = frame_key(func, fr->line);

	if ((i = imap_get(&b->frames, key)) != EMPTY)
		return i;
	s->frames = grow(s->frames, &b->cap_frames, s->nframes + 1, sizeof(*s->frames));
	i = (uint32_t)s->nframes++;
	s->frames[i].func = func;
	s->frames[i].line = fr->line;
	imap_put(&b->frames, key, i);
	if (s->nframes > b->leaf_cap) {
		size_t old = b->leaf_cap;

		b->scope = grow(b->scope, &b->leaf_cap, s->nframes, sizeof(*b->scope));
		b->threads_sum = xrealloc(b->threads_sum, b->leaf_cap * sizeof(*b->threads_sum));
		memset(b->scope + old, 0, (b->leaf_cap - old) * sizeof(*b->scope));
		memset(b->threads_sum + old, 0, (b->leaf_cap - old) * sizeof(*b->threads_sum));
	}
	return i;
}

static uint64_t path_hash(const uint32_t *p, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;

	for (size_t i = 0; i < n; i++)
		h = mix(h ^ p[i]) + i;
	return h;
}

/* The keyed index of the path (its first stack's frames), or EMPTY. */
static uint32_t path_find(const struct builder *b, const uint32_t *p, size_t n, uint64_t h)
{
	const struct stackset *s = b->s;

	for (uint32_t k = imap_get(&b->paths, h); k != EMPTY; k = b->path_next[k]) {
		const struct stackset_stack *st = &s->stacks[b->keyed[k]];

		if (st->depth == n && memcmp(&s->path[st->first], p, n * sizeof(*p)) == 0)
			return k;
	}
	return EMPTY;
}

/* Keep the stack just appended (index i) under its path's hash. */
static uint32_t path_add(struct builder *b, uint32_t i, uint64_t h)
{
	uint32_t k, head = imap_get(&b->paths, h);

	if (b->nkeyed == b->keyed_cap) {
		b->keyed_cap = b->keyed_cap ? b->keyed_cap * 2 : 64;
		b->keyed = xrealloc(b->keyed, b->keyed_cap * sizeof(*b->keyed));
		b->keyed_count = xrealloc(b->keyed_count, b->keyed_cap * sizeof(*b->keyed_count));
		b->path_next = xrealloc(b->path_next, b->keyed_cap * sizeof(*b->path_next));
	}
	k = (uint32_t)b->nkeyed++;
	b->keyed[k] = i;
	b->keyed_count[k] = 0;
	if (head == EMPTY) {
		b->path_next[k] = EMPTY;
		imap_put(&b->paths, h, k);
	} else {
		/* Chained after the head, which the map keeps. */
		b->path_next[k] = b->path_next[head];
		b->path_next[head] = k;
	}
	return k;
}

static void on_stack(void *arg, const struct agg_frame *fr, size_t depth, uint64_t count)
{
	struct builder *b = arg;
	struct stackset *s = b->s;
	uint32_t k;
	uint64_t h;

	b->scratch = grow(b->scratch, &b->scratch_cap, depth, sizeof(*b->scratch));
	for (size_t i = 0; i < depth; i++)
		b->scratch[i] = intern_frame(b, &fr[i]);
	h = path_hash(b->scratch, depth);
	k = path_find(b, b->scratch, depth, h);
	if (b->subtract) {
		/* All threads: what the threads' own stacks do not hold. */
		uint64_t held = k == EMPTY ? 0 : b->keyed_count[k];

		if (count <= held)
			return;
		count -= held;
	}
	s->path = grow(s->path, &b->cap_path, s->npath + depth, sizeof(*s->path));
	s->stacks = grow(s->stacks, &b->cap_stacks, s->nstacks + 1, sizeof(*s->stacks));
	memcpy(&s->path[s->npath], b->scratch, depth * sizeof(*s->path));
	s->stacks[s->nstacks] = (struct stackset_stack){
		.thread = b->thread, .depth = (uint32_t)depth, .first = s->npath, .count = count,
	};
	s->npath += depth;
	if (!b->subtract) {
		if (k == EMPTY)
			k = path_add(b, (uint32_t)s->nstacks, h);
		b->keyed_count[k] += count;
	}
	s->nstacks++;
}

/* The leaf rows (own samples and time per frame) of one scope (tid; 0:
 * all threads) into b->scope; with `sum` also added to b->threads_sum. */
static void leaves_load(struct builder *b, uint32_t tid, bool sum)
{
	struct agg_query q = { .level = AGG_LEVEL_LINE, .tid = tid };
	struct agg_row *rows;
	size_t n = aggregate_rows(b->agg, &q, &rows);

	if (b->leaf_cap)
		memset(b->scope, 0, b->leaf_cap * sizeof(*b->scope));
	for (size_t i = 0; i < n; i++) {
		uint32_t func = imap_get(&b->funcs, rows[i].func), f;

		if (!rows[i].cum.own || func == EMPTY ||
		    (f = imap_get(&b->frames, frame_key(func, rows[i].line))) == EMPTY)
			continue;
		b->scope[f].own = rows[i].cum.own;
		b->scope[f].ns = (uint64_t)llround(rows[i].cum.own_s * 1e9);
		if (sum) {
			b->threads_sum[f].own += b->scope[f].own;
			b->threads_sum[f].ns += b->scope[f].ns;
		}
	}
	if (!sum) {
		/* All threads: keep what the threads' rows do not hold. */
		for (size_t f = 0; f < b->s->nframes; f++) {
			struct leaf *a = &b->scope[f], *t = &b->threads_sum[f];

			a->own = a->own > t->own ? a->own - t->own : 0;
			a->ns = a->ns > t->ns ? a->ns - t->ns : 0;
		}
	}
	free(rows);
}

/* Give the stacks [from, nstacks) their time: each leaf frame's time
 * shared by samples; a leaf without a row gets the scope's mean. */
static void stacks_time(struct builder *b, size_t from, double mean_ns)
{
	struct stackset *s = b->s;

	for (size_t i = from; i < s->nstacks; i++) {
		struct stackset_stack *st = &s->stacks[i];
		const struct leaf *l = st->depth ? &b->scope[s->path[st->first + st->depth - 1]] : NULL;

		if (l && l->own)
			st->ns = (uint64_t)llround((double)st->count * ((double)l->ns / (double)l->own));
		else
			st->ns = (uint64_t)llround((double)st->count * mean_ns);
	}
}

void stackset_build(struct stackset *s, const struct aggregate *agg)
{
	struct builder b = { .s = s, .agg = agg };
	struct agg_thread_row *rows;
	struct agg_summary sum;
	size_t n, i, from;

	memset(s, 0, sizeof(*s));
	n = aggregate_threads(agg, NULL, &rows);
	s->threads = n ? xcalloc(n, sizeof(*s->threads)) : NULL;
	for (i = 0; i < n; i++) {
		struct agg_query q = { .tid = rows[i].tid };
		struct stackset_thread *t = &s->threads[s->nthreads];
		const struct agg_thread_counts *c = &rows[i].cum;

		t->tid = rows[i].tid;
		memcpy(t->name, rows[i].name, sizeof(t->name));
		t->name[sizeof(t->name) - 1] = '\0';
		b.thread = (uint32_t)s->nthreads;
		from = s->nstacks;
		aggregate_walk_stacks(agg, &q, on_stack, &b);
		if (from == s->nstacks)
			continue;     /* no stack counted in this mode */
		leaves_load(&b, t->tid, true);
		stacks_time(&b, from, c->counted ? (double)c->counted_ns / (double)c->counted : 0);
		for (size_t k = from; k < s->nstacks; k++) {
			t->count += s->stacks[k].count;
			t->ns += s->stacks[k].ns;
		}
		s->nthreads++;
	}
	free(rows);

	/* What no thread row holds. */
	b.thread = STACKSET_NO_THREAD;
	b.subtract = true;
	from = s->nstacks;
	aggregate_walk_stacks(agg, NULL, on_stack, &b);
	if (from < s->nstacks) {
		aggregate_summary(agg, false, &sum);
		leaves_load(&b, 0, false);
		stacks_time(&b, from, sum.counted ? sum.counted_s * 1e9 / (double)sum.counted : 0);
		for (size_t k = from; k < s->nstacks; k++) {
			s->other_count += s->stacks[k].count;
			s->other_ns += s->stacks[k].ns;
		}
	}
	for (i = 0; i < s->nstacks; i++) {
		s->total_count += s->stacks[i].count;
		s->total_ns += s->stacks[i].ns;
	}
	imap_free(&b.funcs);
	imap_free(&b.frames);
	imap_free(&b.paths);
	free(b.path_next);
	free(b.keyed);
	free(b.keyed_count);
	free(b.scratch);
	free(b.scope);
	free(b.threads_sum);
}

void stackset_free(struct stackset *s)
{
	free(s->funcs);
	free(s->frames);
	free(s->threads);
	free(s->stacks);
	free(s->path);
	memset(s, 0, sizeof(*s));
}
