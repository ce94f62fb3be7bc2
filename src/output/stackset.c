/* stackset: the per-thread stacks of a snapshot, with frames and functions
 * numbered, and each stack's time (see stackset.h). */
#include "output/stackset.h"

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


struct builder {
	struct stackset *s;
	const struct aggregate *agg;
	struct imap funcs;          /* aggregate function handle -> funcs index */
	struct imap frames;         /* func index << 32 | line -> frames index */
	struct imap paths;          /* hash of a path -> index into keyed (chained below) */
	uint32_t *path_next;        /* keyed stacks with the same hash slot: next, or EMPTY */
	uint32_t *keyed;            /* stack index of each distinct path (first seen) */
	uint64_t *keyed_count;      /* the threads' samples on that path */
	uint64_t *keyed_ns;         /* ... and their time */
	size_t nkeyed, keyed_cap;
	size_t cap_funcs, cap_frames, cap_stacks, cap_path;
	uint32_t thread;            /* the thread being walked */
	uint32_t *scratch;          /* the walked stack's frame indices */
	size_t scratch_cap;
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
		b->keyed_ns = xrealloc(b->keyed_ns, b->keyed_cap * sizeof(*b->keyed_ns));
		b->path_next = xrealloc(b->path_next, b->keyed_cap * sizeof(*b->path_next));
	}
	k = (uint32_t)b->nkeyed++;
	b->keyed[k] = i;
	b->keyed_count[k] = 0;
	b->keyed_ns[k] = 0;
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

static void on_stack(void *arg, const struct agg_frame *fr, size_t depth, uint64_t count, uint64_t ns)
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
		uint64_t held_ns = k == EMPTY ? 0 : b->keyed_ns[k];

		if (count <= held && ns <= held_ns)
			return;
		count = count > held ? count - held : 0;
		ns = ns > held_ns ? ns - held_ns : 0;
	}
	s->path = grow(s->path, &b->cap_path, s->npath + depth, sizeof(*s->path));
	s->stacks = grow(s->stacks, &b->cap_stacks, s->nstacks + 1, sizeof(*s->stacks));
	memcpy(&s->path[s->npath], b->scratch, depth * sizeof(*s->path));
	s->stacks[s->nstacks] = (struct stackset_stack){
		.thread = b->thread, .depth = (uint32_t)depth, .first = s->npath, .count = count, .ns = ns,
	};
	s->npath += depth;
	if (!b->subtract) {
		if (k == EMPTY)
			k = path_add(b, (uint32_t)s->nstacks, h);
		b->keyed_count[k] += count;
		b->keyed_ns[k] += ns;
	}
	s->nstacks++;
}

void stackset_build(struct stackset *s, const struct aggregate *agg)
{
	struct builder b = { .s = s, .agg = agg };
	struct agg_thread_row *rows;
	size_t n, i, from;

	memset(s, 0, sizeof(*s));
	n = aggregate_threads(agg, NULL, &rows);
	s->threads = n ? xcalloc(n, sizeof(*s->threads)) : NULL;
	for (i = 0; i < n; i++) {
		struct agg_query q = { .tid = rows[i].tid };
		struct stackset_thread *t = &s->threads[s->nthreads];

		t->tid = rows[i].tid;
		memcpy(t->name, rows[i].name, sizeof(t->name));
		t->name[sizeof(t->name) - 1] = '\0';
		b.thread = (uint32_t)s->nthreads;
		from = s->nstacks;
		aggregate_walk_stacks(agg, &q, on_stack, &b);
		if (from == s->nstacks)
			continue;     /* no stack counted in this mode */
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
	free(b.keyed_ns);
	free(b.scratch);
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
