/* views/main: the panes of the main view (hot table, threads, stack, and
 * the trace/watch pane once there is something in it), their layout, keys
 * and clicks. */
#include "ui/views/main.h"

#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "errors.h"
#include "sampling/sample.h"
#include "ui/actions.h"
#include "ui/columns.h"
#include "ui/draw.h"
#include "ui/gilview.h"
#include "ui/meter.h"
#include "ui/theme.h"
#include "ui/tracer.h"
#include "ui/utf8.h"
#include "util/duration.h"

#define WIDE_COLS 140         /* threads and stack side by side from here */

/* Columns of the hot table (index = column id). */
enum hot_col {
	HC_OWN_PCT = 0, HC_TOTAL_PCT, HC_OWN_TIME, HC_TOTAL_TIME,
	HC_OWN_SAMPLES, HC_TOTAL_SAMPLES, HC_FUNCTION, HC_COUNT
};

struct main_view {
	enum pane_id focus;
	struct rect rect[PANE_COUNT]; /* set by the last render */
	int col_x[HC_COUNT], col_w[HC_COUNT], col_id[HC_COUNT], ncols;   /* hot table columns */
	uint64_t trace_top;           /* the trace pane's first line shown, */
	bool trace_scrolled;          /* when scrolled back (else the newest lines) */
};

/* ---- the hot table ---- */

static const struct column hot_cols[HC_COUNT] = {
	[HC_OWN_PCT]       = { "%Own", 6, 0, 0, 0, true },
	[HC_TOTAL_PCT]     = { "%Total", 7, 0, 0, 0, true },
	[HC_OWN_TIME]      = { "OwnTime", 8, 0, 0, 0, true },
	[HC_TOTAL_TIME]    = { "TotalTime", 10, 0, 0, 0, true },
	[HC_OWN_SAMPLES]   = { "OwnSamples", 10, 1, 0, 0, true },
	[HC_TOTAL_SAMPLES] = { "TotSamples", 10, 1, 0, 0, true },
	[HC_FUNCTION]      = { "Function (file:line)", 20, 0, 1, 70, false },
};

/* The sort key each column's title sorts by. */
static const enum sort_key hot_sort[HC_COUNT] = {
	[HC_OWN_PCT] = SORT_OWN_PCT, [HC_TOTAL_PCT] = SORT_TOTAL_PCT,
	[HC_OWN_TIME] = SORT_OWN_TIME, [HC_TOTAL_TIME] = SORT_TOTAL_TIME,
	[HC_OWN_SAMPLES] = SORT_OWN_TIME, [HC_TOTAL_SAMPLES] = SORT_TOTAL_TIME,
	[HC_FUNCTION] = SORT_NAME,
};

/* The column that shows sort key k: the first that sorts by it, else the
 * function column (name, file). */
static int sorted_column(enum sort_key k)
{
	int i;

	for (i = 0; i < HC_COUNT; i++)
		if (hot_sort[i] == k)
			return i;
	return HC_FUNCTION;
}

static void render_table_header(struct ui_model *m, struct canvas *c, const struct rect *r,
				const struct col_slot *slots, size_t ns)
{
	const struct glyphs *g = theme_glyphs(m->utf8);
	int sorted = sorted_column(m->sort);
	uint32_t mark = m->reverse ? g->sort_up : g->sort_down;
	size_t i;

	canvas_fill(c, r->x, r->y, r->w, ' ', EL_COLUMN_HEADER);
	for (i = 0; i < ns; i++) {
		const struct column *col = &hot_cols[slots[i].col];
		int x = r->x + slots[i].x, w = slots[i].w;
		uint8_t elem = slots[i].col == sorted ? EL_COLUMN_SORTED : EL_COLUMN_HEADER;

		canvas_fill(c, x, r->y, w, ' ', elem);
		if (col->right) {
			int tw = utf8_width(col->title);

			canvas_put_right(c, x, r->y, w, col->title, elem);
			if (slots[i].col == sorted && tw < w)
				canvas_putc(c, x + w - tw - 1, r->y, mark, elem);
		} else if (slots[i].col == HC_FUNCTION) {
			const char *title = m->lines ? "Function (file:line) by line" : col->title;
			int used = canvas_put(c, x, r->y, w, title, elem);

			if (slots[i].col == sorted && used < w) {
				char what[32];

				snprintf(what, sizeof(what), " by %s", m->sort == SORT_FILE ? "file" : "name");
				canvas_putc(c, x + used, r->y, mark, elem);
				canvas_put(c, x + used + 1, r->y, w - used - 1, what, elem);
			}
		} else {
			canvas_put(c, x, r->y, w, col->title, elem);
		}
	}
}

static void render_table(struct main_view *v, struct ui_model *m, struct canvas *c, const struct rect *r)
{
	const struct glyphs *g = theme_glyphs(m->utf8);
	struct col_slot slots[HC_COUNT];
	struct list_pos *p = &m->pos[PANE_TABLE];
	size_t ns, i;
	int rows = r->h - 1, y;

	ns = columns_layout(hot_cols, HC_COUNT, r->w, slots);
	v->ncols = (int)ns;
	for (i = 0; i < ns; i++) {
		v->col_x[i] = r->x + slots[i].x;
		v->col_w[i] = slots[i].w;
		v->col_id[i] = slots[i].col;
	}
	render_table_header(m, c, r, slots, ns);
	if (m->nshown == 0) {
		const char *why = m->filter[0] ? "no function matches the filter (Esc clears it)"
			: m->exited ? "no samples were counted" : "waiting for samples...";

		if (rows > 0)
			canvas_put(c, r->x + 1, r->y + 1, r->w - 1, why, EL_DIM);
		return;
	}
	draw_scroll(&p->top, p->sel, rows, (int)m->nshown);
	for (y = 0; y < rows; y++) {
		size_t idx = (size_t)(p->top + y);
		const struct agg_row *row;
		const struct agg_stat *pct;
		int yy = r->y + 1 + y;

		if (idx >= m->nshown)
			break;
		row = m->shown[idx];
		pct = m->cumulative ? &row->cum : &row->win;
		for (i = 0; i < ns; i++) {
			int x = r->x + slots[i].x, w = slots[i].w;

			switch (slots[i].col) {
			case HC_OWN_PCT: draw_pct(c, x, yy, w, pct->own_pct); break;
			case HC_TOTAL_PCT: draw_pct(c, x, yy, w, pct->total_pct); break;
			case HC_OWN_TIME: draw_time(c, x, yy, w, row->cum.own_s); break;
			case HC_TOTAL_TIME: draw_time(c, x, yy, w, row->cum.total_s); break;
			case HC_OWN_SAMPLES: draw_count(c, x, yy, w, row->cum.own); break;
			case HC_TOTAL_SAMPLES: draw_count(c, x, yy, w, row->cum.total); break;
			case HC_FUNCTION:
				draw_location(c, x, yy, w, row->kind, row->name, row->file, row->line, g->ellipsis);
				break;
			}
		}
		if ((int)idx == p->sel)
			draw_selection(c, r->x, yy, r->w, v->focus == PANE_TABLE);
	}
}

/* ---- the threads pane ---- */

/* Columns of the threads pane: tid, name, the CPU% the kernel accounts
 * (from /proc), then the bar of the thread's samples by state. */
#define TH_TID_W 7
#define TH_NAME_X 9
#define TH_NAME_W 16
#define TH_CPU_X 26
#define TH_CPU_W 8
#define TH_BAR_X 35

static void render_threads(struct main_view *v, struct ui_model *m, struct canvas *c, const struct rect *r)
{
	const struct glyphs *g = theme_glyphs(m->utf8);
	struct meter_style st = { !m->color, g->bar_fill, EL_DEFAULT, EL_BAR_FRAME, EL_BAR_TEXT,
				  EL_BAR_SHADOW };
	struct list_pos *p = &m->pos[PANE_THREADS];
	bool focused = v->focus == PANE_THREADS;
	uint8_t bg = focused ? EL_PANE_TITLE_FOCUS : EL_PANE_TITLE;
	char title[160], more[48] = "";
	size_t ended = m->ntview >= m->nlive ? m->ntview - m->nlive : 0;
	int rows = r->h - 2, y, used;

	if (rows < 1)
		rows = r->h - 1;      /* no room for the column titles */
	draw_scroll(&p->top, p->sel, rows, (int)m->ntview);
	if (m->ntview > (size_t)(p->top + rows))
		snprintf(more, sizeof(more), ", +%zu more", m->ntview - (size_t)(p->top + rows));
	if (m->exited)
		snprintf(title, sizeof(title), " Threads: %zu%s   ", m->ntview, more);
	else if (!m->ntview)
		snprintf(title, sizeof(title), " Threads: none sampled yet   ");  /* not "0 live" */
	else if (ended)
		snprintf(title, sizeof(title), " Threads: %zu running now / %zu live, %zu ended%s   ",
			 m->nrunning, m->nlive, ended, more);
	else
		snprintf(title, sizeof(title), " Threads: %zu running now / %zu live%s   ", m->nrunning,
			 m->nlive, more);
	draw_title(c, r->x, r->y, r->w, title, focused);
	used = utf8_width(title);
	gilview_threads_legend(c, r->x + used, r->y, r->w - used, bg, m->utf8, m->color);
	if (m->ntview == 0) {
		if (r->h > 1)
			canvas_put(c, r->x + 1, r->y + 1, r->w - 1, "no thread sampled yet", EL_DIM);
		return;
	}
	y = r->y + 1;
	if (rows == r->h - 2) {
		/* Two different measures: the kernel's CPU time, and the samples. */
		canvas_put_right(c, r->x + 1, y, TH_TID_W, "TID", EL_COLUMN_HEADER);
		canvas_put(c, r->x + TH_NAME_X, y, TH_NAME_W, "Name", EL_COLUMN_HEADER);
		canvas_put_right(c, r->x + TH_CPU_X, y, TH_CPU_W, "OS CPU%", EL_COLUMN_HEADER);
		if (r->w > TH_BAR_X)
			canvas_put(c, r->x + TH_BAR_X, y, r->w - TH_BAR_X,
				   m->cumulative ? "sampled states, share of samples (whole run)"
						 : "sampled states, share of samples (last refresh)",
				   EL_COLUMN_HEADER);
		y++;
	}
	for (int k = 0; k < rows; k++) {
		size_t idx = (size_t)(p->top + k);
		const struct agg_thread_row *th;
		const struct agg_thread_counts *cnt;
		struct meter_seg segs[8];
		size_t nseg;
		char buf[64];
		int yy = y + k, bw;
		double cpu;

		if (idx >= m->ntview)
			break;
		th = &m->threads[m->tview[idx]];
		cnt = m->cumulative ? &th->cum : &th->win;
		if (m->follow_tid == th->tid)
			canvas_putc(c, r->x, yy, g->pointer, EL_HELP_KEY);
		snprintf(buf, sizeof(buf), "%u", th->tid);
		canvas_put_right(c, r->x + 1, yy, TH_TID_W, buf, EL_DEFAULT);
		canvas_put(c, r->x + TH_NAME_X, yy, TH_NAME_W, *th->name ? th->name : "?", EL_FUNC);
		cpu = m->thread_cpu ? m->thread_cpu[m->tview[idx]] : -1;
		if (!th->live && !m->exited) {
			canvas_put_right(c, r->x + TH_CPU_X, yy, TH_CPU_W, "ended", EL_DIM);
		} else if (cpu >= 0) {
			snprintf(buf, sizeof(buf), "%.0f%%", cpu);
			canvas_put_right(c, r->x + TH_CPU_X, yy, TH_CPU_W, buf, draw_pct_elem(cpu));
		} else {
			canvas_put_right(c, r->x + TH_CPU_X, yy, TH_CPU_W, "-", EL_DIM);
		}
		nseg = gilview_thread_meter(cnt, m->utf8, segs, 8);
		gilview_meter_text(cnt, buf, sizeof(buf));
		bw = r->w - TH_BAR_X - 1;
		if (bw > 6)
			meter_draw(c, r->x + TH_BAR_X, yy, bw, NULL, segs, nseg, cnt->samples, buf, &st);
		if ((int)idx == p->sel)
			draw_selection(c, r->x, yy, r->w, focused);
	}
}

/* ---- the stack pane ---- */

static const char *state_name(unsigned state, unsigned flags)
{
	switch (state) {
	case THREAD_RUNNING: return flags & SAMPLE_F_OFF_CPU ? "waiting for a core" : "running";
	case THREAD_IDLE: return "idle";
	case THREAD_GIL_WAIT: return "waiting for the GIL";
	default: return "state unknown";
	}
}

/* The name of thread tid from the last refresh ("" if unknown). */
static const char *thread_name(const struct ui_model *m, uint32_t tid)
{
	const char *name = model_thread_name(m, tid);

	return name ? name : "";
}

static void render_stack(struct main_view *v, struct ui_model *m, struct canvas *c, const struct rect *r)
{
	const struct glyphs *g = theme_glyphs(m->utf8);
	struct list_pos *p = &m->pos[PANE_STACK];
	bool focused = v->focus == PANE_STACK;
	char title[256];
	int rows = r->h - 1, y;

	if (!m->stack_tid) {
		draw_title(c, r->x, r->y, r->w, " Stack", focused);
		if (rows > 0)
			canvas_put(c, r->x + 1, r->y + 1, r->w - 1, "no thread sampled yet", EL_DIM);
		return;
	}
	if (m->stack_info.valid) {
		double age = m->now_ns > m->stack_info.time_ns
			? (double)(m->now_ns - m->stack_info.time_ns) / 1e9 : 0;
		char a[32];

		snprintf(title, sizeof(title), " Stack of %u %s: %s%s, %s ago, innermost first",
			 m->stack_tid, thread_name(m, m->stack_tid), state_name(m->stack_info.state, m->stack_info.flags),
			 m->stack_info.flags & SAMPLE_F_HOLDS_GIL ? ", holds the GIL" : "",
			 duration_format(a, sizeof(a), age));
	} else {
		snprintf(title, sizeof(title), " Stack of %u %s", m->stack_tid,
			 thread_name(m, m->stack_tid));
	}
	draw_title(c, r->x, r->y, r->w, title, focused);
	if (m->stack_n == 0) {
		if (rows > 0)
			canvas_put(c, r->x + 1, r->y + 1, r->w - 1, "(no Python frames)", EL_DIM);
		return;
	}
	if (p->sel >= (int)m->stack_n)
		p->sel = (int)m->stack_n - 1;
	draw_scroll(&p->top, p->sel, rows, (int)m->stack_n);
	for (y = 0; y < rows; y++) {
		size_t idx = (size_t)(p->top + y);
		const struct agg_frame *f;
		int yy = r->y + 1 + y;

		if (idx >= m->stack_n)
			break;
		f = &m->stack[idx];
		if (idx == 0)
			canvas_putc(c, r->x, yy, g->pointer, EL_HELP_KEY);
		draw_location(c, r->x + 2, yy, r->w - 2, f->kind, f->name, f->file, f->line, g->ellipsis);
		if (focused && (int)idx == p->sel)
			draw_selection(c, r->x, yy, r->w, true);
	}
	if (m->stack_info.depth > m->stack_n && rows > (int)m->stack_n)
		canvas_put(c, r->x + 2, r->y + 1 + (int)m->stack_n, r->w - 2, "(deeper frames not shown)",
			   EL_DIM);
}

/* ---- the trace/watch pane ---- */

static bool trace_shown(const struct ui_model *m)
{
	uint64_t first;

	return m->tracer && tracer_span(m->tracer, &first) > 0;
}

/* The pane's first line shown, within what is kept. */
static uint64_t trace_top(struct main_view *v, const struct ui_model *m, int rows, uint64_t *first, size_t *n)
{
	uint64_t last_top;

	*n = tracer_span(m->tracer, first);
	last_top = *first + (*n > (size_t)rows ? *n - (size_t)rows : 0);
	if (!v->trace_scrolled || v->trace_top > last_top)
		v->trace_top = last_top;
	if (v->trace_top < *first)
		v->trace_top = *first;
	if (v->trace_top == last_top)
		v->trace_scrolled = false;
	return v->trace_top;
}

static void render_trace(struct main_view *v, struct ui_model *m, struct canvas *c, const struct rect *r)
{
	static const uint8_t elem[] = { [TL_CALL_HEAD] = EL_FUNC, [TL_CALL_BODY] = EL_DEFAULT,
					[TL_NOTE] = EL_DIM, [TL_ERROR] = EL_STATUS_ERROR };
	bool focused = v->focus == PANE_TRACE;
	int rows = r->h - 1, running = 0;
	enum tracer_state st = tracer_state(m->tracer, &running);
	char title[256], line[TRACER_LINE_MAX];
	uint64_t first, top;
	size_t n;

	top = trace_top(v, m, rows, &first, &n);
	snprintf(title, sizeof(title), " Trace/watch  agent %s%s  (%zu lines%s; :untrace :unwatch :detach; w saves)",
		 st == TRACER_ATTACHING ? "attaching" : st == TRACER_ATTACHED ? "attached" :
		 st == TRACER_DETACHING ? "detaching" : "not attached",
		 st == TRACER_ATTACHED ? (running ? ", running" : ", idle") : "", n,
		 v->trace_scrolled ? ", scrolled: End follows" : "");
	draw_title(c, r->x, r->y, r->w, title, focused);
	for (int y = 0; y < rows; y++) {
		enum tracer_line_kind kind;

		if (!tracer_line(m->tracer, top + (uint64_t)y, line, sizeof(line), &kind))
			break;
		canvas_put(c, r->x + 1, r->y + 1 + y, r->w - 1, line, elem[kind]);
	}
}

/* Scroll the trace pane: by delta lines, or to the start (home) or to
 * the newest lines (end: they are followed again). */
static unsigned trace_scroll(struct main_view *v, const struct ui_model *m, int delta, int home_end)
{
	int rows = v->rect[PANE_TRACE].h - 1;
	uint64_t first, top;
	size_t n;

	if (!m->tracer || rows < 1)
		return UI_FX_REDRAW;
	top = trace_top(v, m, rows, &first, &n);
	if (home_end < 0) {
		v->trace_top = first;
	} else if (home_end > 0) {
		v->trace_scrolled = false;
		return UI_FX_REDRAW;
	} else if (delta < 0) {
		v->trace_top = top - first > (uint64_t)-delta ? top + (uint64_t)(int64_t)delta : first;
	} else {
		v->trace_top = top + (uint64_t)delta;
	}
	v->trace_scrolled = true;
	trace_top(v, m, rows, &first, &n);   /* back within range; at the end: following */
	return UI_FX_REDRAW;
}

/* ---- layout ---- */

static void hide(struct rect *r)
{
	memset(r, 0, sizeof(*r));
}

static void layout(struct main_view *v, const struct rect *body, bool trace)
{
	struct rect *tb = &v->rect[PANE_TABLE], *th = &v->rect[PANE_THREADS], *sk = &v->rect[PANE_STACK];
	struct rect *tr = &v->rect[PANE_TRACE];
	int R = body->h, W = body->w;

	*tb = *body;
	hide(th);
	hide(sk);
	hide(tr);
	if (trace && R >= 6) {
		/* The trace/watch pane: the bottom third (at least 4 rows), the
		 * other panes laid out above it. */
		int h = R / 3 > 4 ? R / 3 : 4;

		R -= h;
		tb->h = R;
		*tr = (struct rect){ 0, body->y + R, W, h };
	}
	if (W >= WIDE_COLS && R >= 14) {
		int bottom = R * 2 / 5, left = W / 2;

		if (bottom < 6)
			bottom = 6;
		if (bottom > 16)
			bottom = 16;
		tb->h = R - bottom;
		*th = (struct rect){ 0, body->y + tb->h, left, bottom };
		*sk = (struct rect){ left + 1, body->y + tb->h, W - left - 1, bottom };
	} else if (R >= 19) {
		int each = R / 5 > 5 ? R / 5 : 5;

		tb->h = R - 2 * each;
		*th = (struct rect){ 0, body->y + tb->h, W, each };
		*sk = (struct rect){ 0, body->y + tb->h + each, W, each };
	} else if (R >= 12) {
		tb->h = R - 4;
		*th = (struct rect){ 0, body->y + tb->h, W, 4 };
	}
	/* Focus never stays on a hidden pane. */
	if (v->rect[v->focus].h == 0)
		v->focus = PANE_TABLE;
}

static void render(void *vv, struct ui_model *m, struct canvas *c, const struct rect *body)
{
	struct main_view *v = vv;

	layout(v, body, trace_shown(m));
	render_table(v, m, c, &v->rect[PANE_TABLE]);
	if (v->rect[PANE_TRACE].h)
		render_trace(v, m, c, &v->rect[PANE_TRACE]);
	if (v->rect[PANE_THREADS].h)
		render_threads(v, m, c, &v->rect[PANE_THREADS]);
	if (v->rect[PANE_STACK].h) {
		const struct glyphs *g = theme_glyphs(m->utf8);
		struct rect *s = &v->rect[PANE_STACK];

		render_stack(v, m, c, s);
		if (s->x > 0) {
			int k;

			for (k = 0; k < s->h; k++)
				canvas_putc(c, s->x - 1, s->y + k, g->vline, EL_BORDER);
		}
	}
}

/* ---- keys and clicks ---- */

static int rows_of(const struct main_view *v, enum pane_id p)
{
	/* the threads pane has a row of column titles under its title */
	int h = v->rect[p].h - (p == PANE_THREADS && v->rect[p].h > 2 ? 2 : 1);

	return h > 1 ? h : 1;
}

static void cycle_focus(struct main_view *v, int dir)
{
	int i, f = (int)v->focus;

	for (i = 0; i < PANE_COUNT; i++) {
		f = (f + dir + PANE_COUNT) % PANE_COUNT;
		if (f == PANE_TABLE || v->rect[f].h > 0)
			break;
	}
	v->focus = (enum pane_id)f;
}

static unsigned enter(struct main_view *v, struct ui_model *m)
{
	unsigned fx = UI_FX_REDRAW;

	switch (v->focus) {
	case PANE_TABLE:
		if (m->nshown) {
			const struct agg_row *r = m->shown[m->pos[PANE_TABLE].sel];

			fx |= model_open(m, "detail", r->func, r->level == AGG_LEVEL_LINE ? r->line : 0);
		}
		break;
	case PANE_THREADS:
		if (m->ntview)
			actions_follow(m, m->threads[m->tview[m->pos[PANE_THREADS].sel]].tid, &fx);
		break;
	default:
		if (m->stack_n) {
			const struct agg_frame *f = &m->stack[m->pos[PANE_STACK].sel];

			fx |= model_open(m, "detail", f->func, f->line);
		}
		break;
	}
	return fx;
}

static unsigned key(void *vv, struct ui_model *m, enum action a)
{
	struct main_view *v = vv;
	unsigned fx = UI_FX_REDRAW;

	if (v->focus == PANE_TRACE && v->rect[PANE_TRACE].h) {
		int page = v->rect[PANE_TRACE].h - 2 > 1 ? v->rect[PANE_TRACE].h - 2 : 1;

		switch (a) {
		case ACT_UP: return trace_scroll(v, m, -1, 0);
		case ACT_DOWN: return trace_scroll(v, m, 1, 0);
		case ACT_PAGE_UP: return trace_scroll(v, m, -page, 0);
		case ACT_PAGE_DOWN: return trace_scroll(v, m, page, 0);
		case ACT_HOME: return trace_scroll(v, m, 0, -1);
		case ACT_END: return trace_scroll(v, m, 0, 1);
		case ACT_ENTER: return fx;
		case ACT_SAVE:
			actions_save_trace(m, &fx);
			return fx;
		default:
			break;
		}
	}
	switch (a) {
	case ACT_FOCUS_NEXT:
	case ACT_FOCUS_PREV:
		cycle_focus(v, a == ACT_FOCUS_NEXT ? 1 : -1);
		return fx;
	case ACT_UP:
	case ACT_DOWN:
		return model_move(m, v->focus, a == ACT_UP ? -1 : 1, false);
	case ACT_PAGE_UP:
	case ACT_PAGE_DOWN: {
		int page = rows_of(v, v->focus);

		return model_move(m, v->focus, a == ACT_PAGE_UP ? -page : page, false);
	}
	case ACT_HOME:
	case ACT_END:
		return model_move(m, v->focus, a == ACT_HOME ? 0 : INT_MAX / 2, true);
	case ACT_ENTER:
		return enter(v, m);
	case ACT_FILTER:
		return fx | UI_FX_PROMPT_FILTER;
	case ACT_BACK:
		if (m->filter[0]) {
			fx |= model_set_filter(m, "");
			model_message(m, false, "filter cleared");
		}
		return fx;
	default:
		return UI_FX_UNHANDLED;
	}
}

static bool in_rect(const struct rect *r, int x, int y)
{
	return r->h > 0 && x >= r->x && x < r->x + r->w && y >= r->y && y < r->y + r->h;
}

static unsigned click(void *vv, struct ui_model *m, int x, int y, int button, bool double_click)
{
	struct main_view *v = vv;
	unsigned fx = UI_FX_REDRAW;
	int i, f;

	for (i = 0; i < PANE_COUNT; i++) {
		const struct rect *r = &v->rect[i];

		if (!in_rect(r, x, y))
			continue;
		v->focus = (enum pane_id)i;
		if (i == PANE_TRACE)
			return button == 4 || button == 5 ? trace_scroll(v, m, button == 4 ? -3 : 3, 0) : fx;
		if (button == 4 || button == 5)
			return fx | model_move(m, v->focus, button == 4 ? -3 : 3, false);
		if (y == r->y) {
			/* The table's column titles sort. */
			if (i == PANE_TABLE)
				for (f = 0; f < v->ncols; f++)
					if (x >= v->col_x[f] && x < v->col_x[f] + v->col_w[f])
						actions_sort(m, hot_sort[v->col_id[f]], true, &fx);
			return fx;
		}
		if (i == PANE_THREADS && r->h > 2) {
			/* the threads pane has a row of column titles */
			if (y == r->y + 1)
				return fx;
			y--;
		}
		fx |= model_move(m, v->focus, m->pos[i].top + (y - r->y - 1), true);
		if (double_click)
			fx |= enter(v, m);
		return fx;
	}
	return fx;
}

static void *create(void)
{
	return xcalloc(1, sizeof(struct main_view));
}

static void destroy(void *v)
{
	free(v);
}

enum pane_id main_view_focus(const void *v)
{
	return ((const struct main_view *)v)->focus;
}

const struct view_ops main_view_ops = {
	.name = "main",
	.create = create,
	.destroy = destroy,
	.render = render,
	.key = key,
	.click = click,
};
