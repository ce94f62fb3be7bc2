/* views/detail: the drill-down view. Its numbers are queried when it opens
 * and at every refresh; drawing lays them out as one scrolled list of lines
 * (section titles, column titles, items), and the selection moves over the
 * items. Details stack up: the view's state is the top one. */
#include "ui/views/detail.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "ui/actions.h"
#include "ui/draw.h"
#include "ui/meter.h"
#include "ui/source.h"
#include "ui/theme.h"
#include "ui/utf8.h"
#include "util/duration.h"

#define MAX_LINES_SHOWN 20

/* What one drawn line is. */
enum dl_kind {
	DL_STATS,             /* the function's own numbers */
	DL_BLANK,
	DL_SECTION,           /* text: a section title */
	DL_COLS,              /* text: column titles */
	DL_NONE,              /* text: "(none)" */
	DL_CALLER,            /* idx into callers */
	DL_CALLEE,            /* idx into callees */
	DL_LINE,              /* idx into lines */
	DL_THREAD,            /* idx into shares */
};

struct dline {
	enum dl_kind kind;
	size_t idx;
	const char *text;
};

struct share {
	uint32_t tid;
	char name[AGG_THREAD_NAME_MAX];   /* a copy: the model's rows change at each refresh */
	uint64_t count;       /* the function's total samples in the thread */
	double pct;           /* of the function's total */
};

struct detail {
	uint32_t func;
	int mark_line;
	struct agg_frame f;
	struct agg_stat stat;         /* in the view (window or cumulative) */
	struct agg_stat cum;          /* cumulative (the times) */
	bool window;
	struct agg_edge_row *callers, *callees;
	size_t ncallers, ncallees;
	struct agg_row *lines;
	size_t nlines;
	struct share *shares;
	size_t nshares;
	bool have_source;
	struct dline *dl;
	size_t ndl, dlcap;
	int sel, top;                 /* into dl */
	int rows;                     /* body rows at the last render */
	struct detail *prev;
};

static void clear_data(struct detail *d)
{
	free(d->callers);
	free(d->callees);
	free(d->lines);
	free(d->shares);
	d->callers = d->callees = NULL;
	d->lines = NULL;
	d->shares = NULL;
	d->ncallers = d->ncallees = d->nlines = d->nshares = 0;
}

static void dl_add(struct detail *d, enum dl_kind kind, size_t idx, const char *text)
{
	if (d->ndl == d->dlcap) {
		d->dlcap = d->dlcap ? d->dlcap * 2 : 64;
		d->dl = xrealloc(d->dl, d->dlcap * sizeof(*d->dl));
	}
	d->dl[d->ndl].kind = kind;
	d->dl[d->ndl].idx = idx;
	d->dl[d->ndl].text = text;
	d->ndl++;
}

static bool is_item(enum dl_kind k)
{
	return k == DL_CALLER || k == DL_CALLEE || k == DL_LINE || k == DL_THREAD;
}

/* The function's numbers in the view, for t's thread. */
static void query_stat(struct ui_model *m, struct detail *d, const struct agg_query *q0)
{
	struct agg_query q = *q0;
	struct agg_row *rows;
	size_t n, i;

	q.window = false;   /* every function seen; both views in each row */
	q.level = AGG_LEVEL_FUNC;
	n = aggregate_rows(m->agg, &q, &rows);

	memset(&d->stat, 0, sizeof(d->stat));
	memset(&d->cum, 0, sizeof(d->cum));
	for (i = 0; i < n; i++)
		if (rows[i].func == d->func) {
			d->stat = d->window ? rows[i].win : rows[i].cum;
			d->cum = rows[i].cum;
			break;
		}
	free(rows);
}

static uint64_t func_total_in(struct ui_model *m, struct detail *d, uint32_t tid)
{
	struct agg_query q = { .window = d->window, .tid = tid };
	struct agg_row *rows;
	size_t n = aggregate_rows(m->agg, &q, &rows), i;
	uint64_t total = 0;

	for (i = 0; i < n; i++)
		if (rows[i].func == d->func) {
			total = d->window ? rows[i].win.total : rows[i].cum.total;
			break;
		}
	free(rows);
	return total;
}

static void query_shares(struct ui_model *m, struct detail *d)
{
	uint64_t all = 0;
	size_t i;

	d->shares = xcalloc(m->nthreads + 1, sizeof(*d->shares));
	for (i = 0; i < m->nthreads; i++) {
		uint64_t n = func_total_in(m, d, m->threads[i].tid);

		if (!n)
			continue;
		d->shares[d->nshares].tid = m->threads[i].tid;
		memcpy(d->shares[d->nshares].name, m->threads[i].name, sizeof(d->shares[0].name));
		d->shares[d->nshares].count = n;
		d->nshares++;
		all += n;
	}
	for (i = 0; i < d->nshares; i++)
		d->shares[i].pct = all ? 100.0 * (double)d->shares[i].count / (double)all : 0;
}

static void query_lines(struct ui_model *m, struct detail *d, const struct agg_query *q0)
{
	struct agg_query q = *q0;
	struct agg_row *all;
	size_t n, i;

	q.sort = AGG_SORT_TOTAL;
	q.level = AGG_LEVEL_LINE;
	n = aggregate_rows(m->agg, &q, &all);
	for (i = 0; i < n; i++)
		if (all[i].func == d->func)
			all[d->nlines++] = all[i];
	if (d->nlines > MAX_LINES_SHOWN)
		d->nlines = MAX_LINES_SHOWN;
	d->lines = all;
}

/* One section of the list: its title, then its column titles and n rows
 * of kind, or the line saying why it is empty. */
static void section(struct detail *d, const char *title, const char *cols, size_t n, enum dl_kind kind,
		    const char *none)
{
	dl_add(d, DL_BLANK, 0, NULL);
	dl_add(d, DL_SECTION, 0, title);
	if (!n) {
		dl_add(d, DL_NONE, 0, none);
		return;
	}
	dl_add(d, DL_COLS, 0, cols);
	for (size_t i = 0; i < n; i++)
		dl_add(d, kind, i, NULL);
}

static void build(struct detail *d)
{
	d->ndl = 0;
	dl_add(d, DL_STATS, 0, NULL);
	section(d, "Callers (who called it; share of its time)", " Share     Time  Function (file:line)",
		d->ncallers, DL_CALLER, "(none: it is at the bottom of its stacks)");
	section(d, "Callees (what it called; share of its time)", " Share     Time  Function (file:line)",
		d->ncallees, DL_CALLEE, "(none: its time is its own)");
	if (d->f.kind == FUNC_KIND_NATIVE)   /* machine code: no lines, no source */
		section(d, "Hottest lines", NULL, 0, DL_LINE, "(a native function: no source lines)");
	else
		section(d, "Hottest lines", "  Line   %Own  %Total  Source", d->nlines, DL_LINE,
			"(no samples)");
	section(d, "Threads (share of its time per thread)", "    TID  Name              Share",
		d->nshares, DL_THREAD, "(no samples)");
}

/* Put the selection on an item: the nearest at or after sel, else before. */
static void fix_sel(struct detail *d)
{
	int i;

	if (d->sel >= (int)d->ndl)
		d->sel = (int)d->ndl - 1;
	if (d->sel < 0)
		d->sel = 0;
	for (i = d->sel; i < (int)d->ndl; i++)
		if (is_item(d->dl[i].kind)) {
			d->sel = i;
			return;
		}
	for (i = d->sel; i >= 0; i--)
		if (is_item(d->dl[i].kind)) {
			d->sel = i;
			return;
		}
}

static void detail_update(struct ui_model *m, struct detail *d)
{
	struct agg_query q = { .window = !m->cumulative, .tid = m->follow_tid };
	enum dl_kind kind = d->ndl ? d->dl[d->sel].kind : DL_STATS;
	size_t idx = d->ndl ? d->dl[d->sel].idx : 0;
	uint32_t keep_func = UINT32_MAX;
	size_t i;

	if (kind == DL_CALLER && idx < d->ncallers)
		keep_func = d->callers[idx].func;
	else if (kind == DL_CALLEE && idx < d->ncallees)
		keep_func = d->callees[idx].func;
	clear_data(d);
	d->window = !m->cumulative;
	aggregate_func(m->agg, d->func, &d->f);
	query_stat(m, d, &q);
	d->ncallers = aggregate_callers(m->agg, d->func, &q, &d->callers);
	d->ncallees = aggregate_callees(m->agg, d->func, &q, &d->callees);
	query_lines(m, d, &q);
	query_shares(m, d);
	build(d);
	/* Keep the selection on the same caller/callee when it is still there. */
	for (i = 0; i < d->ndl && keep_func != UINT32_MAX; i++) {
		const struct dline *l = &d->dl[i];

		if (l->kind == kind &&
		    ((kind == DL_CALLER && d->callers[l->idx].func == keep_func) ||
		     (kind == DL_CALLEE && d->callees[l->idx].func == keep_func))) {
			d->sel = (int)i;
			break;
		}
	}
	fix_sel(d);
}

static struct detail *detail_push(struct ui_model *m, uint32_t func, int line, struct detail *prev)
{
	struct detail *d = xcalloc(1, sizeof(*d));

	d->func = func;
	d->mark_line = line;
	d->prev = prev;
	if (aggregate_func(m->agg, func, &d->f) && m->src && d->f.kind != FUNC_KIND_NATIVE)
		d->have_source = source_load(m->src, m->pid, d->f.file);
	detail_update(m, d);
	d->sel = 0;
	fix_sel(d);
	return d;
}

static struct detail *detail_pop(struct detail *d)
{
	struct detail *prev;

	if (!d)
		return NULL;
	prev = d->prev;
	clear_data(d);
	free(d->dl);
	free(d);
	return prev;
}

static void detail_free_all(struct detail *d)
{
	while (d)
		d = detail_pop(d);
}

static void detail_move(struct detail *d, int delta)
{
	int i = d->sel, step = delta < 0 ? -1 : 1, left = delta < 0 ? -delta : delta;
	int last = i;

	while (left > 0) {
		i += step;
		if (i < 0 || i >= (int)d->ndl)
			break;
		if (is_item(d->dl[i].kind)) {
			last = i;
			left--;
		}
	}
	if (last == d->sel && !is_item(d->dl[d->sel].kind)) {
		/* No items at all: scroll instead. */
		d->top += delta;
		if (d->top > (int)d->ndl - d->rows)
			d->top = (int)d->ndl - d->rows;
		if (d->top < 0)
			d->top = 0;
		return;
	}
	/* Moving up from the first item shows what is above it. */
	if (last == d->sel && delta < 0)
		d->top = 0;
	d->sel = last;
}

static void detail_home(struct detail *d, int end)
{
	d->sel = end ? (int)d->ndl - 1 : 0;
	if (end) {
		int i;

		for (i = d->sel; i > 0 && !is_item(d->dl[i].kind); i--)
			;
		d->sel = i;
	} else {
		d->top = 0;
	}
	fix_sel(d);
}

static int detail_select_row(struct detail *d, int y)
{
	int i = d->top + y;

	if (i < 0 || i >= (int)d->ndl || !is_item(d->dl[i].kind))
		return 0;
	d->sel = i;
	return 1;
}

static uint32_t detail_selected_func(const struct detail *d)
{
	const struct dline *l;

	if (!d->ndl)
		return UINT32_MAX;
	l = &d->dl[d->sel];
	if (l->kind == DL_CALLER)
		return d->callers[l->idx].func;
	if (l->kind == DL_CALLEE)
		return d->callees[l->idx].func;
	return UINT32_MAX;
}

static void render_stats(struct ui_model *m, struct detail *d, struct canvas *c, int x, int y, int w)
{
	char buf[256], a[32], b[32];
	int n;

	n = snprintf(buf, sizeof(buf), "%%Own %.1f%%  %%Total %.1f%%  OwnTime %s  TotalTime %s",
		     d->stat.own_pct, d->stat.total_pct,
		     duration_format(a, sizeof(a), d->cum.own_s),
		     duration_format(b, sizeof(b), d->cum.total_s));
	if (n > 0 && (size_t)n < sizeof(buf))
		snprintf(buf + n, sizeof(buf) - (size_t)n, "   %s%s%s",
			 d->window ? "(% of the last refresh)" : "(cumulative)",
			 m->follow_tid ? ", one thread" : "", d->have_source || d->f.kind == FUNC_KIND_NATIVE ? "" : ", source not readable");
	canvas_put(c, x + 1, y, w - 1, buf, EL_HEADER_VALUE);
}

static void render_edge(struct ui_model *m, struct detail *d, struct canvas *c, int x, int y, int w,
			const struct agg_edge_row *e)
{
	const struct glyphs *g = theme_glyphs(m->utf8);
	uint64_t n = d->window ? e->win : e->cum;
	double s = e->cum_s;
	double pct = d->stat.total ? 100.0 * (double)n / (double)d->stat.total : 0;

	draw_pct(c, x, y, 6, pct);
	draw_time(c, x + 7, y, 8, s);
	draw_location(c, x + 17, y, w - 17, e->kind, e->name, e->file, e->line, g->ellipsis);
}

static void render_line(struct ui_model *m, struct detail *d, struct canvas *c, int x, int y, int w,
			const struct agg_row *l)
{
	const struct agg_stat *s = d->window ? &l->win : &l->cum;
	const struct glyphs *g = theme_glyphs(m->utf8);
	const char *text = m->src ? source_line(m->src, d->f.file, l->line) : NULL;
	char num[16];

	if (l->line == d->mark_line)
		canvas_putc(c, x, y, g->pointer, EL_HELP_KEY);
	snprintf(num, sizeof(num), "%d", l->line);
	canvas_put_right(c, x + 1, y, 5, num, EL_LINENO);
	draw_pct(c, x + 7, y, 6, s->own_pct);
	draw_pct(c, x + 14, y, 7, s->total_pct);
	if (w > 23)
		canvas_put(c, x + 23, y, w - 23, text ? text : "", EL_SOURCE);
}

static void render_share(struct ui_model *m, struct detail *d, struct canvas *c, int x, int y, int w,
			 const struct share *s)
{
	const struct glyphs *g = theme_glyphs(m->utf8);
	struct meter_style st = { !m->color, g->bar_fill, EL_DEFAULT, EL_BAR_FRAME, EL_BAR_TEXT,
				  EL_BAR_SHADOW };
	struct meter_seg seg = { (uint64_t)(s->pct * 10.0 + 0.5), EL_BAR_RUNNING, m->utf8 ? 0x2588 : '#' };
	char buf[32];

	snprintf(buf, sizeof(buf), "%u", s->tid);
	canvas_put_right(c, x, y, 7, buf, EL_DEFAULT);
	canvas_put(c, x + 9, y, 16, *s->name ? s->name : "?", EL_FUNC);
	draw_pct(c, x + 26, y, 6, s->pct);
	if (w > 34)
		meter_draw(c, x + 33, y, w - 33 < 40 ? w - 33 : 40, NULL, &seg, 1, 1000, NULL, &st);
}

static void detail_render(struct ui_model *m, struct detail *d, struct canvas *c, const struct rect *r)
{
	char title[1024];
	int y, i, rows;

	if (d->f.kind == FUNC_KIND_NATIVE)
		snprintf(title, sizeof(title), " %s (%s), native   Esc: back  Enter: open caller/callee",
			 d->f.name ? d->f.name : "?", d->f.file ? d->f.file : "?");
	else
		snprintf(title, sizeof(title), " %s (%s:%d)   Esc: back  Enter: open caller/callee",
			 d->f.name ? d->f.name : "?", d->f.file ? d->f.file : "?", d->f.line);
	draw_title(c, r->x, r->y, r->w, title, true);
	rows = r->h - 1;
	d->rows = rows;
	draw_scroll(&d->top, d->sel, rows, (int)d->ndl);
	for (y = 0; y < rows; y++) {
		const struct dline *l;
		int yy = r->y + 1 + y, x = r->x + 1, w = r->w - 2;

		i = d->top + y;
		if (i >= (int)d->ndl)
			break;
		l = &d->dl[i];
		switch (l->kind) {
		case DL_STATS:
			render_stats(m, d, c, r->x, yy, r->w);
			break;
		case DL_BLANK:
			break;
		case DL_SECTION:
			canvas_put(c, r->x, yy, r->w, l->text, EL_SECTION);
			break;
		case DL_COLS:
			canvas_put(c, x, yy, w, l->text, EL_HEADER_LABEL);
			break;
		case DL_NONE:
			canvas_put(c, x, yy, w, l->text, EL_DIM);
			break;
		case DL_CALLER:
			render_edge(m, d, c, x, yy, w, &d->callers[l->idx]);
			break;
		case DL_CALLEE:
			render_edge(m, d, c, x, yy, w, &d->callees[l->idx]);
			break;
		case DL_LINE:
			render_line(m, d, c, x, yy, w, &d->lines[l->idx]);
			break;
		case DL_THREAD:
			render_share(m, d, c, x, yy, w, &d->shares[l->idx]);
			break;
		}
		if (i == d->sel && is_item(l->kind))
			draw_selection(c, r->x, yy, r->w, true);
	}
}

/* ---- the view ---- */

struct detail_view {
	struct detail *top;   /* the detail shown; those below it by ->prev */
	int body_y, body_h;   /* the body at the last render */
};

static unsigned open_view(void *vv, struct ui_model *m, uint32_t func, int line, bool again)
{
	struct detail_view *v = vv;
	struct agg_frame f;

	(void)again;
	if (func == UINT32_MAX || !aggregate_func(m->agg, func, &f))
		return UI_FX_UNHANDLED;
	v->top = detail_push(m, func, line, v->top);
	/* its numbers come from the middle of a window: full ones soon */
	return UI_FX_REFRESH_SOON | UI_FX_REDRAW;
}

static void update(void *vv, struct ui_model *m)
{
	struct detail_view *v = vv;

	if (v->top)
		detail_update(m, v->top);
}

static void render(void *vv, struct ui_model *m, struct canvas *c, const struct rect *r)
{
	struct detail_view *v = vv;

	v->body_y = r->y;
	v->body_h = r->h;
	if (v->top)
		detail_render(m, v->top, c, r);
}

/* Esc (and / on the last detail): back to the one below, or out. */
static unsigned back(struct detail_view *v, struct ui_model *m)
{
	v->top = detail_pop(v->top);
	return v->top ? UI_FX_REDRAW : model_close(m, "detail");
}

static unsigned enter(struct detail_view *v, struct ui_model *m)
{
	uint32_t f = detail_selected_func(v->top);

	return f != UINT32_MAX ? model_open(m, "detail", f, 0) : UI_FX_REDRAW;
}

static unsigned key(void *vv, struct ui_model *m, enum action a)
{
	struct detail_view *v = vv;
	int page = v->body_h > 3 ? v->body_h - 2 : 1;

	if (!v->top)
		return UI_FX_UNHANDLED;
	switch (a) {
	case ACT_FOCUS_NEXT:
	case ACT_FOCUS_PREV:
		return UI_FX_REDRAW;
	case ACT_UP:
	case ACT_DOWN:
		detail_move(v->top, a == ACT_UP ? -1 : 1);
		return UI_FX_REDRAW;
	case ACT_PAGE_UP:
	case ACT_PAGE_DOWN:
		detail_move(v->top, a == ACT_PAGE_UP ? -page : page);
		return UI_FX_REDRAW;
	case ACT_HOME:
	case ACT_END:
		detail_home(v->top, a == ACT_END);
		return UI_FX_REDRAW;
	case ACT_ENTER:
		return enter(v, m);
	case ACT_BACK:
		return back(v, m);
	case ACT_TRACE:
	case ACT_WATCH: {
		unsigned fx = UI_FX_REDRAW;

		if (v->top->f.kind != FUNC_KIND_PYTHON)
			model_message(m, true, "only Python functions can be traced or watched");
		else
			actions_agent_prompt(m, a == ACT_TRACE, v->top->f.file, v->top->f.line, &fx);
		return fx;
	}
	case ACT_FILTER: {
		/* / leaves the detail; from the last one, the filter opens */
		unsigned fx = back(v, m);

		return v->top ? fx : fx | UI_FX_PROMPT_FILTER;
	}
	default:
		return UI_FX_UNHANDLED;
	}
}

static unsigned click(void *vv, struct ui_model *m, int x, int y, int button, bool double_click)
{
	struct detail_view *v = vv;

	(void)x;
	if (!v->top)
		return UI_FX_REDRAW;
	if (button == 4 || button == 5)
		detail_move(v->top, button == 4 ? -3 : 3);
	else if (detail_select_row(v->top, y - v->body_y - 1) && double_click)
		return enter(v, m);
	return UI_FX_REDRAW;
}

static void *create(void)
{
	return xcalloc(1, sizeof(struct detail_view));
}

static void destroy(void *vv)
{
	struct detail_view *v = vv;

	detail_free_all(v->top);
	free(v);
}

const struct view_ops detail_view_ops = {
	.name = "detail",
	.create = create,
	.destroy = destroy,
	.open = open_view,
	.update = update,
	.render = render,
	.key = key,
	.click = click,
};
