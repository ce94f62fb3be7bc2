/* views/gilstat: the GIL view (g / F6): per thread the GIL class bar and
 * flight_profiler's gilstat table, then the latest long holds and waits. */
#include "ui/views/gilstat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "sampling/gilstat.h"
#include "session.h"
#include "ui/draw.h"
#include "ui/gilview.h"
#include "ui/meter.h"
#include "ui/theme.h"
#include "util/duration.h"

#define COL_W 9           /* a gilstat column */
#define BAR_MIN 12
#define WARN_LINES 4      /* latest warnings shown under the table */

struct gil_view {
	int top;              /* the first thread row */
	int body_h;           /* rows at the last render */
};
static unsigned key(void *vv, struct ui_model *m, enum action a)
{
	struct gil_view *v = vv;
	unsigned fx = UI_FX_REDRAW;
	int page = v->body_h > 4 ? v->body_h - 4 : 1;

	switch (a) {
	case ACT_UP: v->top--; break;
	case ACT_DOWN: v->top++; break;
	case ACT_PAGE_UP: v->top -= page; break;
	case ACT_PAGE_DOWN: v->top += page; break;
	case ACT_HOME: v->top = 0; break;
	case ACT_END: v->top = (int)m->ntview; break;
	case ACT_BACK: case ACT_ENTER:
		fx |= model_close(m, "gilstat");
		break;
	default:
		return UI_FX_UNHANDLED;
	}
	if (v->top > (int)m->ntview - 1)
		v->top = (int)m->ntview - 1;
	if (v->top < 0)
		v->top = 0;
	return fx;
}

/* The gilstat columns, most useful first; those that fit are shown. */
enum gcol { GC_TAKECNT, GC_HOLDAVG, GC_TAKEAVG, GC_HOLDPCT, GC_WAITPCT, GC_HOLDALL, GC_TAKEALL,
	    GC_RATE, GC_COUNT };
static const char *const gcol_names[GC_COUNT] = {
	"takecnt", "holdavg", "takeavg", "hold%", "wait%", "hold_all", "take_all", "takes/s",
};

static const struct gilstat_thread *gs_find(const struct gilstat_snapshot *g, uint32_t tid)
{
	for (uint32_t i = 0; g && i < g->nthreads; i++)
		if (g->threads[i].tid == tid)
			return &g->threads[i];
	return NULL;
}

static double ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : 0.0;
}

/* An average over a lower-bound count: an upper bound, "<=T" (as in text). */
static void put_upper(struct canvas *c, int x, int y, double seconds)
{
	char buf[32], a[24];

	snprintf(buf, sizeof(buf), "<=%s", duration_format(a, sizeof(a), seconds));
	canvas_put_right(c, x, y, COL_W - 1, buf, EL_DEFAULT);
}

static void draw_gcol(struct canvas *c, int x, int y, enum gcol col, const struct gilstat_thread *s,
		      const struct gilstat_snapshot *g)
{
	double el = (double)g->elapsed_ns / 1e9;
	char buf[32], a[24];

	switch (col) {
	case GC_TAKECNT:
		/* Sampled counts that may miss takes: ">=N". */
		if (gilstat_thread_takes_lower(g, s)) {
			snprintf(buf, sizeof(buf), ">=%llu", (unsigned long long)s->takecnt);
			canvas_put_right(c, x, y, COL_W - 1, buf, EL_DEFAULT);
		} else {
			draw_count(c, x, y, COL_W - 1, s->takecnt);
		}
		break;
	case GC_HOLDAVG:
		/* A sampled hold shorter than a tick is not measured. */
		if (gilstat_thread_hold_unresolved(g, s)) {
			snprintf(buf, sizeof(buf), "<%s", duration_format(a, sizeof(a), (double)g->resolution_ns / 1e9));
			canvas_put_right(c, x, y, COL_W - 1, buf, EL_DIM);
		} else if (gilstat_thread_avgs_upper(g, s)) {
			put_upper(c, x, y, ratio(s->hold_ns, s->takecnt) / 1e9);
		} else {
			draw_time(c, x, y, COL_W - 1, ratio(s->hold_ns, s->takecnt) / 1e9);
		}
		break;
	case GC_TAKEAVG:
		if (gilstat_thread_avgs_upper(g, s))
			put_upper(c, x, y, ratio(s->wait_ns, s->takecnt) / 1e9);
		else
			draw_time(c, x, y, COL_W - 1, ratio(s->wait_ns, s->takecnt) / 1e9);
		break;
	case GC_HOLDPCT: draw_pct(c, x, y, COL_W - 1, 100.0 * ratio(s->hold_ns, g->elapsed_ns)); break;
	case GC_WAITPCT: draw_pct(c, x, y, COL_W - 1, 100.0 * ratio(s->wait_ns, g->elapsed_ns)); break;
	case GC_HOLDALL: draw_time(c, x, y, COL_W - 1, (double)s->hold_ns / 1e9); break;
	case GC_TAKEALL: draw_time(c, x, y, COL_W - 1, (double)s->wait_ns / 1e9); break;
	case GC_RATE:
		snprintf(buf, sizeof(buf), "%.1f", el > 0 ? (double)s->takecnt / el : 0.0);
		canvas_put_right(c, x, y, COL_W - 1, buf, s->takecnt ? EL_DEFAULT : EL_DIM);
		break;
	case GC_COUNT:
		break;
	}
}

/* The title: utilisation, switch rate, and what gilstat is doing. */
static void render_title(struct ui_model *m, struct canvas *c, const struct rect *r,
			 const struct gilstat_snapshot *g, bool running)
{
	const struct agg_summary *sum = m->cumulative ? &m->cum_sum : &m->win_sum;
	char title[384], a[32], b[32];
	size_t len;

	if (sum->gil_disabled) {
		draw_title(c, r->x, r->y, r->w, " GIL: none - a free-threaded build running without the GIL", true);
		return;
	}
	len = (size_t)snprintf(title, sizeof(title), " GIL held %.1f%% of the rounds, %.1f switches/s",
			       sum->gil_utilisation_pct, sum->gil_switch_rate);
	if (!g)
		snprintf(title + len, sizeof(title) - len, "   gilstat off: g or :gilstat on starts it");
	else if (g->mode == GILSTAT_EXACT)
		snprintf(title + len, sizeof(title) - len, "   gilstat%s: exact (uprobes), %s, %llu lost",
			 running ? "" : " (stopped)", duration_format(a, sizeof(a), (double)g->elapsed_ns / 1e9),
			 (unsigned long long)g->lost);
	else
		snprintf(title + len, sizeof(title) - len,
			 "   gilstat%s: sampled estimate, resolution %s (%.0f Hz), %s",
			 running ? "" : " (stopped)", duration_format(a, sizeof(a), (double)g->resolution_ns / 1e9),
			 g->achieved_hz, duration_format(b, sizeof(b), (double)g->elapsed_ns / 1e9));
	len = strlen(title);
	if (g && g->overflow)
		len += (size_t)snprintf(title + len, sizeof(title) - len, "; %llu %s not accounted (table full)",
					(unsigned long long)g->overflow,
					g->mode == GILSTAT_EXACT ? "events" : "observations");
	if (g && g->unlisted && len < sizeof(title))
		len += (size_t)snprintf(title + len, sizeof(title) - len, "; %llu threads past %d unobserved",
					(unsigned long long)g->unlisted, GILSTAT_LIST_MAX);
	if (g && g->unfollowed && len < sizeof(title))
		snprintf(title + len, sizeof(title) - len, "; %llu threads not followed",
			 (unsigned long long)g->unfollowed);
	draw_title(c, r->x, r->y, r->w, title, true);
}

static void render(void *vv, struct ui_model *m, struct canvas *c, const struct rect *r)
{
	struct gil_view *v = vv;
	const struct glyphs *gl = theme_glyphs(m->utf8);
	struct meter_style st = { !m->color, gl->bar_fill, EL_DEFAULT, EL_BAR_FRAME, EL_BAR_TEXT,
				  EL_BAR_SHADOW };
	bool running = m->sess && m->sess->gilstat;
	const struct gilstat_snapshot *g = m->sess ? session_gilstat(m->sess) : NULL;
	int ncols = 0, bar_w, x, y = r->y, rows, warn_rows = 0;
	char buf[128];

	v->body_h = r->h;
	if (r->h < 4 || r->w < 40) {
		canvas_put(c, r->x, r->y, r->w, "GIL view: terminal too small", EL_STATUS_ERROR);
		return;
	}
	render_title(m, c, r, g, running);
	y++;
	gilview_legend(c, r->x + 1, y++, r->w - 1, m->utf8, m->color);

	/* Columns: tid, name, bar, then as many gilstat columns as fit. */
	if (g)
		while (ncols < GC_COUNT && r->w - 25 - (ncols + 1) * COL_W >= BAR_MIN + 2)
			ncols++;
	bar_w = r->w - 25 - ncols * COL_W - 1;
	canvas_fill(c, r->x, y, r->w, ' ', EL_COLUMN_HEADER);
	canvas_put_right(c, r->x, y, 7, "TID", EL_COLUMN_HEADER);
	canvas_put(c, r->x + 9, y, 16, "Name", EL_COLUMN_HEADER);
	canvas_put(c, r->x + 25, y, bar_w - 1, bar_w > 34 ? (m->cumulative ? "GIL states (cumulative)"
			: "GIL states (last refresh)") : "GIL states", EL_COLUMN_HEADER);
	for (int k = 0; k < ncols; k++)
		canvas_put_right(c, r->x + 25 + bar_w + k * COL_W, y, COL_W - 1, gcol_names[k], EL_COLUMN_HEADER);
	y++;

	if (g && g->nwarnings)
		warn_rows = 1 + (g->nrecent < WARN_LINES ? (int)g->nrecent : WARN_LINES);
	else
		warn_rows = 1;
	rows = r->y + r->h - y - warn_rows;
	/* The threads gilstat folded (evicted from its table, mostly ended
	 * ones): one row under the threads, in view when the list is. */
	bool folded_row = g && g->threads_folded && rows > 1;
	if (folded_row)
		rows--;
	if (rows < 1)
		rows = 1;
	if (v->top > (int)m->ntview - rows)
		v->top = (int)m->ntview - rows;
	if (v->top < 0)
		v->top = 0;
	for (int i = 0; i < rows && (size_t)(v->top + i) < m->ntview; i++, y++) {
		const struct agg_thread_row *th = &m->threads[m->tview[v->top + i]];
		const struct agg_thread_counts *cnt = m->cumulative ? &th->cum : &th->win;
		struct meter_seg ms[8];
		size_t nseg = gilview_meter(cnt, m->utf8, ms, 8);
		bool blocked = cnt->samples && cnt->gil[GIL_HOLDING_BLOCKED] * 100 >= cnt->samples;
		const struct gilstat_thread *s = gs_find(g, th->tid);

		snprintf(buf, sizeof(buf), "%u", th->tid);
		canvas_put_right(c, r->x, y, 7, buf, EL_DEFAULT);
		if (s && (s->flags & GILSTAT_THREAD_PARTIAL))   /* evicted alive, back: a partial row */
			canvas_putc(c, r->x + 7, y, '*', EL_HEADER_WARN);
		if (blocked)
			canvas_putc(c, r->x + 8, y, '!', EL_HEADER_WARN);
		canvas_put(c, r->x + 9, y, 15, *th->name ? th->name : "?", blocked ? EL_HEADER_WARN : EL_FUNC);
		gilview_meter_text(cnt, buf, sizeof(buf));
		if (bar_w > 6)
			meter_draw(c, r->x + 25, y, bar_w, NULL, ms, nseg, cnt->samples, buf, &st);
		x = r->x + 25 + bar_w;
		for (int k = 0; k < ncols; k++, x += COL_W) {
			if (s)
				draw_gcol(c, x, y, (enum gcol)k, s, g);
			else
				canvas_put_right(c, x, y, COL_W - 1, "-", EL_DIM);
		}
	}

	if (folded_row) {
		snprintf(buf, sizeof(buf), "(%llu threads)", (unsigned long long)g->threads_folded);
		canvas_put_right(c, r->x, y, 7, "ended", EL_DIM);
		canvas_put(c, r->x + 9, y, 15, buf, EL_DIM);
		x = r->x + 25 + bar_w;
		for (int k = 0; k < ncols; k++, x += COL_W)
			draw_gcol(c, x, y, (enum gcol)k, &g->folded, g);
	}

	/* Warnings, or how to get them. */
	y = r->y + r->h - warn_rows;
	if (!g) {
		canvas_put(c, r->x + 1, y, r->w - 1, "gilstat off: g or :gilstat on [TAKE_MS [HOLD_MS]] measures "
			   "takecnt, hold and wait times per thread", EL_DIM);
		return;
	}
	if (!g->nwarnings) {
		snprintf(buf, sizeof(buf), "no hold over %.0f ms, no wait over %.0f ms",
			 (double)g->hold_warn_ns / 1e6, (double)g->take_warn_ns / 1e6);
		canvas_put(c, r->x + 1, y, r->w - 1, buf, EL_DIM);
		return;
	}
	snprintf(buf, sizeof(buf), "%llu warnings (holds over %.0f ms, waits over %.0f ms); the latest:",
		 (unsigned long long)g->nwarnings, (double)g->hold_warn_ns / 1e6, (double)g->take_warn_ns / 1e6);
	canvas_put(c, r->x + 1, y++, r->w - 1, buf, EL_HEADER_WARN);
	for (uint32_t i = g->nrecent > WARN_LINES ? g->nrecent - WARN_LINES : 0; i < g->nrecent; i++, y++) {
		const struct gilstat_warning *w = &g->recent[i];
		char a[32], b[32];
		double at = w->time_ns > g->start_ns ? (double)(w->time_ns - g->start_ns) / 1e9 : 0;

		snprintf(buf, sizeof(buf), "at %s: thread %u %s the GIL for %s", duration_format(a, sizeof(a), at),
			 w->tid, w->kind == GILSTAT_WARN_HOLD ? "held" : "waited for",
			 duration_format(b, sizeof(b), (double)w->duration_ns / 1e9));
		canvas_put(c, r->x + 3, y, r->w - 3, buf, EL_DEFAULT);
	}
}

static unsigned open_view(void *vv, struct ui_model *m, uint32_t func, int line, bool again)
{
	struct gil_view *v = vv;

	(void)m, (void)func, (void)line;
	if (!again)
		v->top = 0;
	return UI_FX_REDRAW;
}

static void *create(void)
{
	return xcalloc(1, sizeof(struct gil_view));
}

static void destroy(void *v)
{
	free(v);
}

const struct view_ops gilstat_view_ops = {
	.name = "gilstat",
	.create = create,
	.destroy = destroy,
	.open = open_view,
	.render = render,
	.key = key,
};
