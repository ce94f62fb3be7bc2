/* aggquery: the aggregate's queries: rows built from its tables' entries
 * in a scope (all threads or one), filtered and sorted here only. */
#include "sampling/aggquery.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "sampling/aggregate_impl.h"

static const struct agg_query default_query;

/* ---- the summary ---- */

void aggregate_summary(const struct aggregate *agg, bool window, struct agg_summary *out)
{
	const struct agg_totals *v = window ? &agg->win : &agg->cum;
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
	out->folded_threads = v->folded_threads;
	out->folded = v->folded;
	out->entries_max = agg->tab.entries_max;
	if (v->rounds) {
		out->round_mean_s = (double)v->dur_sum / (double)v->rounds / 1e9;
		out->round_max_s = (double)v->dur_max / 1e9;
		if (v->last_ns > v->first_ns)
			out->elapsed_s = (double)(v->last_ns - v->first_ns) / 1e9;
	}
	intervals = v->has_base ? v->rounds : v->rounds ? v->rounds - 1 : 0;
	if (out->elapsed_s > 0)
		out->achieved_rate_hz = (double)intervals / out->elapsed_s;
	/* Judged once there are a few rounds or a quarter of a second. The
	 * sampler's gaps are random, uniform in [P/2, 3P/2] (util/pace.h):
	 * n of them sum to n P give or take P sqrt(n / 12), so the rate is
	 * low when they took longer than n P / 0.9 by more than three such
	 * deviations (else -r 10 over a second said LOW one time in eight). */
	out->rate_low = agg->interval_s > 0 && (intervals >= 10 || out->elapsed_s >= 0.25) &&
			out->elapsed_s > agg->interval_s * ((double)intervals / 0.9 +
							    3.0 * sqrt((double)intervals / 12.0));
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

/* ---- scopes and counts ---- */

/* Scope for a query; false when the tid was never seen. */
static bool query_scope(const struct aggregate *a, const struct agg_query *q, uint32_t *scope)
{
	const struct agg_thread *th;

	if (q->tid == 0) {
		*scope = 0;
		return true;
	}
	th = aggtable_thread_find(&a->tab, q->tid);
	if (!th)
		return false;
	*scope = (uint32_t)(th - a->tab.threads) + 1;
	return true;
}

/* Counted time of a scope in one view (the percentage base). */
static uint64_t scope_counted(const struct aggregate *a, uint32_t scope, bool window)
{
	if (scope == 0)
		return window ? a->win.counted_ns : a->cum.counted_ns;
	return aggtable_thread_counts(&a->tab.threads[scope - 1], a->epoch, window)->counted_ns;
}

/* A row's numbers from an entry; base is the view's counted time. */
static void stat_fill(const struct aggregate *a, struct agg_stat *s, const struct cent *e,
		      bool window, uint64_t base)
{
	uint64_t own_ns = cent_own_ns(e, a->epoch, window), total_ns = cent_total_ns(e, a->epoch, window);

	s->own = cent_own(e, a->epoch, window);
	s->total = cent_total(e, a->epoch, window);
	s->own_pct = base ? 100.0 * (double)own_ns / (double)base : 0.0;
	s->total_pct = base ? 100.0 * (double)total_ns / (double)base : 0.0;
	s->own_s = (double)own_ns / 1e9;
	s->total_s = (double)total_ns / 1e9;
}

/* ---- order and filter ---- */

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

static bool name_matches(const char *name, const char *file, const char *match)
{
	return !match || !*match || imatch(name, match) || imatch(file, match);
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

int aggregate_compare(const struct agg_row *a, const struct agg_row *b, const struct agg_query *q)
{
	const struct agg_stat *s1 = q->window ? &a->win : &a->cum;
	const struct agg_stat *s2 = q->window ? &b->win : &b->cum;
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
		c = strcmp(a->file, b->file);
		if (!c)
			c = cmp_int(a->line, b->line);
		break;
	case AGG_SORT_NAME:
		break;
	}
	if (!c)
		c = strcmp(a->name, b->name);
	if (!c)
		c = strcmp(a->file, b->file);
	if (!c)
		c = cmp_int(a->line, b->line);
	return q->reverse ? -c : c;
}

bool aggregate_matches(const struct agg_row *r, const struct agg_query *q)
{
	const struct agg_stat *s = q->window ? &r->win : &r->cum;

	return (s->total || s->total_s > 0) && name_matches(r->name, r->file, q->match);
}

static int cmp_rows(const void *x, const void *y, const void *ctx)
{
	return aggregate_compare(x, y, ctx);
}

static int cmp_row_ptrs(const void *x, const void *y, const void *ctx)
{
	return aggregate_compare(*(const struct agg_row *const *)x, *(const struct agg_row *const *)y, ctx);
}

void aggregate_sort_rows(const struct agg_row **rows, size_t n, const struct agg_query *q)
{
	msort(rows, n, sizeof(*rows), cmp_row_ptrs, q ? q : &default_query);
}

/* ---- function and line rows ---- */

/* An entry of the level's table in the scope, with a nonzero total in the
 * view, matching: the filter of aggregate_matches(), before a row is made. */
static bool entry_selected(const struct aggregate *a, const struct agg_query *q,
			   const struct cent *e, uint32_t scope)
{
	const struct agg_func *f = &a->tab.funcs[e->k[1]];

	return e->k[0] == scope && cent_any(e, a->epoch, q->window) &&
	       name_matches(f->name, f->file, q->match);
}

size_t aggregate_rows(const struct aggregate *agg, const struct agg_query *q, struct agg_row **rows)
{
	const struct ctab *t;
	uint64_t wbase, cbase;
	struct agg_row *out;
	uint32_t scope, i;
	size_t n = 0;

	*rows = NULL;
	if (!q)
		q = &default_query;
	if (!query_scope(agg, q, &scope))
		return 0;
	t = q->level == AGG_LEVEL_LINE ? &agg->tab.lstat : &agg->tab.fstat;
	for (i = 0; i < t->n; i++)
		n += entry_selected(agg, q, &t->ent[i], scope);
	if (!n)
		return 0;
	out = xmalloc(n * sizeof(*out));
	wbase = scope_counted(agg, scope, true);
	cbase = scope_counted(agg, scope, false);
	n = 0;
	for (i = 0; i < t->n; i++) {
		const struct cent *e = &t->ent[i];
		const struct agg_func *f = &agg->tab.funcs[e->k[1]];
		struct agg_row *r;

		if (!entry_selected(agg, q, e, scope))
			continue;
		r = &out[n++];
		r->level = q->level == AGG_LEVEL_LINE ? AGG_LEVEL_LINE : AGG_LEVEL_FUNC;
		r->kind = f->kind;
		r->func = e->k[1];
		r->name = f->name;
		r->file = f->file;
		r->line = r->level == AGG_LEVEL_LINE ? (int32_t)e->k[2] : f->firstlineno;
		stat_fill(agg, &r->win, e, true, wbase);
		stat_fill(agg, &r->cum, e, false, cbase);
	}
	msort(out, n, sizeof(*out), cmp_rows, q);
	*rows = out;
	return n;
}

/* ---- threads ---- */

static int cmp_thread_rows(const void *x, const void *y)
{
	const struct agg_thread_row *a = x, *b = y;

	return a->tid < b->tid ? -1 : a->tid > b->tid;
}

/* A thread is live when the latest round that walked every thread sampled
 * it. A round where some walk failed (a stack torn under the reader) is no
 * proof that a thread it missed has ended; the rounds before it are looked
 * at, up to AGG_LIVE_ROUNDS back. */
static uint64_t live_since(const struct aggregate *agg)
{
	uint32_t k, n = agg->nrecent < AGG_LIVE_ROUNDS ? agg->nrecent : AGG_LIVE_ROUNDS, i = 0;

	if (!agg->has_tick || !n)
		return 0;
	for (k = 0; k < n; k++) {
		i = (agg->nrecent - 1 - k) % AGG_LIVE_ROUNDS;
		if (agg->recent_clean[i])
			break;
	}
	return agg->recent_ns[i];
}

size_t aggregate_threads(const struct aggregate *agg, const struct agg_query *q,
			 struct agg_thread_row **rows)
{
	const struct agg_tables *tab = &agg->tab;
	struct agg_thread_row *out;
	uint32_t i;
	size_t n = 0;

	*rows = NULL;
	if (!q)
		q = &default_query;
	if (!tab->nthreads)
		return 0;
	out = xmalloc(tab->nthreads * sizeof(*out));
	for (i = 0; i < tab->nthreads; i++) {
		const struct agg_thread *t = &tab->threads[i];

		if (q->tid && t->tid != q->tid)
			continue;
		if (!aggtable_thread_counts(t, agg->epoch, q->window)->samples)
			continue;
		out[n].tid = t->tid;
		out[n].pid = t->pid;
		memcpy(out[n].name, t->name, sizeof(out[n].name));
		out[n].name[sizeof(out[n].name) - 1] = '\0';
		out[n].live = t->has_last && t->last_time_ns >= live_since(agg);
		out[n].last_ns = t->last_time_ns;
		out[n].last_state = t->last_state;
		out[n].last_flags = t->last_flags;
		out[n].win = *aggtable_thread_counts(t, agg->epoch, true);
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

/* ---- callers and callees ---- */

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
	const struct ctab *t = &a->tab.edge;
	struct agg_edge_row *out = NULL;
	uint32_t scope, i;
	size_t n = 0, cap = 0;

	*rows = NULL;
	if (!q)
		q = &default_query;
	if (!query_scope(a, q, &scope))
		return 0;
	for (i = 0; i < t->n; i++) {
		const struct cent *e = &t->ent[i];
		const struct agg_func *f;
		struct agg_edge_row *r;

		if (e->k[0] != scope || e->k[mine] != func || !cent_any(e, a->epoch, q->window))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			out = xrealloc(out, cap * sizeof(*out));
		}
		f = &a->tab.funcs[e->k[other]];
		r = &out[n++];
		r->func = e->k[other];
		r->kind = f->kind;
		r->name = f->name;
		r->file = f->file;
		r->line = f->firstlineno;
		r->win = cent_total(e, a->epoch, true);
		r->cum = e->total;
		r->win_s = (double)cent_total_ns(e, a->epoch, true) / 1e9;
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

/* ---- stacks ---- */

static void frame_fill(const struct aggregate *a, struct agg_frame *out, uint32_t func, int line)
{
	const struct agg_func *f = &a->tab.funcs[func];

	out->func = func;
	out->kind = f->kind;
	out->name = f->name;
	out->file = f->file;
	out->line = line;
}

static void walk_stacks(const struct aggregate *agg, const struct agg_query *q, agg_stack_fn fn,
			agg_stack_state_fn fn2, void *arg)
{
	const struct ctab *tree = &agg->tab.tree;
	struct agg_frame *path;
	uint32_t *node, scope, root;
	size_t d = 0, cap = 64;

	if (!q)
		q = &default_query;
	if (!query_scope(agg, q, &scope))
		return;
	root = ctab_find(tree, AGG_NONE, scope, 0);
	if (root == AGG_NONE)
		return;
	path = xmalloc(cap * sizeof(*path));
	node = xmalloc(cap * sizeof(*node));
	node[0] = tree->ent[root].child;
	for (;;) {
		const struct cent *e;
		uint64_t count, ns;

		if (node[d] == AGG_NONE) {
			if (d == 0)
				break;
			d--;
			node[d] = tree->ent[node[d]].next;
			continue;
		}
		e = &tree->ent[node[d]];
		if (!cent_any(e, agg->epoch, q->window)) {
			node[d] = e->next;
			continue;
		}
		frame_fill(agg, &path[d], e->k[1], (int32_t)e->k[2]);
		count = cent_own(e, agg->epoch, q->window);
		ns = cent_own_ns(e, agg->epoch, q->window);
		if ((count || ns) && fn)
			fn(arg, path, d + 1, count, ns);
		else if (count || ns)
			fn2(arg, path, d + 1, count, ns, q->window ? 0 : e->idle_ns, q->window ? 0 : e->wait_ns);
		if (e->child == AGG_NONE) {
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

void aggregate_walk_stacks(const struct aggregate *agg, const struct agg_query *q,
			   agg_stack_fn fn, void *arg)
{
	walk_stacks(agg, q, fn, NULL, arg);
}

void aggregate_walk_stack_states(const struct aggregate *agg, const struct agg_query *q,
				 agg_stack_state_fn fn, void *arg)
{
	walk_stacks(agg, q, NULL, fn, arg);
}

bool aggregate_func(const struct aggregate *agg, uint32_t func, struct agg_frame *out)
{
	if (func >= agg->tab.nfuncs)
		return false;
	frame_fill(agg, out, func, agg->tab.funcs[func].firstlineno);
	return true;
}

size_t aggregate_latest_stack(const struct aggregate *agg, uint32_t tid, struct agg_frame *frames,
			      size_t cap, struct agg_latest *info)
{
	const struct agg_thread *t = aggtable_thread_find(&agg->tab, tid);
	uint32_t i, fidx;
	size_t n;

	if (info)
		memset(info, 0, sizeof(*info));
	if (!t || !t->has_last)
		return 0;
	if (info) {
		info->valid = true;
		info->time_ns = t->last_time_ns;
		info->state = t->last_state;
		info->flags = t->last_flags;
		info->depth = t->last_depth;
	}
	n = t->last_depth < cap ? t->last_depth : cap;
	for (i = 0; i < n; i++) {
		fidx = aggtable_lookup(&agg->tab, t->last[i].func_id);
		if (fidx != AGG_NONE) {
			frame_fill(agg, &frames[i], fidx, t->last[i].line);
			continue;
		}
		frames[i].func = AGG_NONE;
		frames[i].kind = FUNC_KIND_PYTHON;
		frames[i].name = "<unknown>";
		frames[i].file = "<unknown>";
		frames[i].line = t->last[i].line;
	}
	return n;
}
