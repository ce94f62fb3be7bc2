/* panes: the main screen's drawing and layout. */
#include "ui/panes.h"

#include <stdio.h>
#include <string.h>

#include "sampling/gilclass.h"
#include "sampling/gilstat.h"
#include "sampling/sample.h"
#include "session.h"
#include "ui/commands.h"
#include "ui/detail.h"
#include "ui/draw.h"
#include "ui/gilview.h"
#include "ui/keys.h"
#include "ui/theme.h"
#include "ui/tui.h"
#include "ui/utf8.h"
#include "util/duration.h"

#define WIDE_COLS 140         /* threads and stack side by side from here */

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

const struct column *panes_hot_columns(size_t *n)
{
	*n = HC_COUNT;
	return hot_cols;
}

int panes_column_sort(int col)
{
	switch (col) {
	case HC_OWN_PCT: return SORT_OWN_PCT;
	case HC_TOTAL_PCT: return SORT_TOTAL_PCT;
	case HC_OWN_TIME: case HC_OWN_SAMPLES: return SORT_OWN_TIME;
	case HC_TOTAL_TIME: case HC_TOTAL_SAMPLES: return SORT_TOTAL_TIME;
	case HC_FUNCTION: return SORT_NAME;
	default: return -1;
	}
}

/* The column that shows sort key k. */
static int sorted_column(enum sort_key k)
{
	switch (k) {
	case SORT_OWN_PCT: return HC_OWN_PCT;
	case SORT_TOTAL_PCT: return HC_TOTAL_PCT;
	case SORT_OWN_TIME: return HC_OWN_TIME;
	case SORT_TOTAL_TIME: return HC_TOTAL_TIME;
	default: return HC_FUNCTION;
	}
}

static void render_table_header(struct tui *t, struct canvas *c, const struct rect *r,
				const struct col_slot *slots, size_t ns)
{
	const struct glyphs *g = theme_glyphs(t->utf8);
	int sorted = sorted_column(t->sort);
	uint32_t mark = t->reverse ? g->sort_up : g->sort_down;
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
			const char *title = t->lines ? "Function (file:line) by line" : col->title;
			int used = canvas_put(c, x, r->y, w, title, elem);

			if (slots[i].col == sorted && used < w) {
				char what[32];

				snprintf(what, sizeof(what), " by %s", t->sort == SORT_FILE ? "file" : "name");
				canvas_putc(c, x + used, r->y, mark, elem);
				canvas_put(c, x + used + 1, r->y, w - used - 1, what, elem);
			}
		} else {
			canvas_put(c, x, r->y, w, col->title, elem);
		}
	}
}

static void render_table(struct tui *t, struct canvas *c, const struct rect *r)
{
	const struct glyphs *g = theme_glyphs(t->utf8);
	struct col_slot slots[HC_COUNT];
	struct list_pos *p = &t->pos[PANE_TABLE];
	size_t ns, i;
	int rows = r->h - 1, y;

	ns = columns_layout(hot_cols, HC_COUNT, r->w, slots);
	t->ncols = (int)ns;
	for (i = 0; i < ns; i++) {
		t->col_x[i] = r->x + slots[i].x;
		t->col_w[i] = slots[i].w;
		t->col_id[i] = slots[i].col;
	}
	t->table_header_y = r->y;
	render_table_header(t, c, r, slots, ns);
	if (t->nshown == 0) {
		const char *why = t->filter[0] ? "no function matches the filter (Esc clears it)"
			: t->exited ? "no samples were counted" : "waiting for samples...";

		if (rows > 0)
			canvas_put(c, r->x + 1, r->y + 1, r->w - 1, why, EL_DIM);
		return;
	}
	draw_scroll(&p->top, p->sel, rows, (int)t->nshown);
	for (y = 0; y < rows; y++) {
		size_t idx = (size_t)(p->top + y);
		const struct tui_row *row;
		const struct agg_stat *pct;
		int yy = r->y + 1 + y;

		if (idx >= t->nshown)
			break;
		row = t->shown[idx];
		pct = t->cumulative ? &row->cum : &row->win;
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
				draw_location(c, x, yy, w, row->name, row->file, row->line, g->ellipsis);
				break;
			}
		}
		if ((int)idx == p->sel)
			draw_selection(c, r->x, yy, r->w, t->focus == PANE_TABLE);
	}
}

/* ---- the threads pane ---- */

/* The GIL classes drawn in the bar (sampling/gilclass.h), filled on first
 * use: holding (on CPU), holding while blocked in a syscall (highlighted),
 * waiting for the GIL, runnable without it (native code that released it,
 * or a thread woken but not yet on a core: /proc cannot tell), unknown;
 * idle is the empty part of the bar, as in htop's CPU bars. */
static struct state_seg state_segs[GIL_CLASS_COUNT];
static char state_labels[GIL_CLASS_COUNT][32];
static size_t nstate_segs;

const struct state_seg *panes_state_segs(size_t *n)
{
	if (nstate_segs) {
		*n = nstate_segs;
		return state_segs;
	}
	for (int k = 0; k < GIL_CLASS_COUNT; k++) {
		const struct gil_class_info *gc = gilclass_info((enum gil_class)k);
		char *label = state_labels[nstate_segs];

		if (!(gc->flags & GILCLASS_BAR))
			continue;
		snprintf(label, sizeof(state_labels[0]), "%c %s", gc->letter, gc->legend);
		state_segs[nstate_segs++] = (struct state_seg){ label, (uint8_t)theme_find(gc->theme), gc->glyph_utf8,
								gc->glyph_ascii, gc->cls };
	}
	*n = nstate_segs;
	return state_segs;
}

size_t panes_thread_meter(const struct agg_thread_counts *c, bool utf8, struct meter_seg *segs,
			  size_t n)
{
	size_t i, ns;
	const struct state_seg *ss = panes_state_segs(&ns);

	for (i = 0; i < n && i < ns; i++) {
		segs[i].value = c->gil[ss[i].cls];
		segs[i].elem = state_segs[i].elem;
		segs[i].mono = utf8 ? state_segs[i].mono_utf8 : state_segs[i].mono_ascii;
	}
	return i;
}

/* The threads pane's legend: "█ running  ▒ GIL wait  ..  (empty: idle)". */
static int render_legend(struct tui *t, struct canvas *c, int x, int y, int w, uint8_t bg)
{
	const struct glyphs *g = theme_glyphs(t->utf8);
	const struct gil_class_info *idle = gilclass_info(GIL_IDLE);
	char empty[48];
	int used = 0;
	size_t i, ns;
	const struct state_seg *segs = panes_state_segs(&ns);

	for (i = 0; i < ns; i++) {
		const struct state_seg *s = &segs[i];
		uint32_t ch = t->color ? g->bar_fill : t->utf8 ? s->mono_utf8 : s->mono_ascii;
		int need = 2 + utf8_width(s->label) + 2;

		if (used + need > w)
			return used;
		canvas_putc(c, x + used, y, ch, t->color ? s->elem : bg);
		canvas_put(c, x + used + 2, y, w - used - 2, s->label, bg);
		used += need;
	}
	snprintf(empty, sizeof(empty), "empty: %c %s", idle->letter, idle->legend);
	if (used + 14 <= w)
		used += canvas_put(c, x + used, y, w - used, empty, bg);
	return used;
}

/* Columns of the threads pane: tid, name, the CPU% the kernel accounts
 * (from /proc), then the bar of the thread's samples by state. */
#define TH_TID_W 7
#define TH_NAME_X 9
#define TH_NAME_W 16
#define TH_CPU_X 26
#define TH_CPU_W 8
#define TH_BAR_X 35

static void render_threads(struct tui *t, struct canvas *c, const struct rect *r)
{
	const struct glyphs *g = theme_glyphs(t->utf8);
	struct meter_style st = { !t->color, g->bar_fill, EL_DEFAULT, EL_BAR_FRAME, EL_BAR_TEXT,
				  EL_BAR_SHADOW };
	struct list_pos *p = &t->pos[PANE_THREADS];
	bool focused = t->focus == PANE_THREADS;
	uint8_t bg = focused ? EL_PANE_TITLE_FOCUS : EL_PANE_TITLE;
	char title[160], more[48] = "";
	size_t ended = t->ntview >= t->nlive ? t->ntview - t->nlive : 0;
	int rows = r->h - 2, y, used;

	if (rows < 1)
		rows = r->h - 1;      /* no room for the column titles */
	draw_scroll(&p->top, p->sel, rows, (int)t->ntview);
	if (t->ntview > (size_t)(p->top + rows))
		snprintf(more, sizeof(more), ", +%zu more", t->ntview - (size_t)(p->top + rows));
	if (t->exited)
		snprintf(title, sizeof(title), " Threads: %zu%s   ", t->ntview, more);
	else if (!t->ntview)
		snprintf(title, sizeof(title), " Threads: none sampled yet   ");  /* not "0 live" */
	else if (ended)
		snprintf(title, sizeof(title), " Threads: %zu running now / %zu live, %zu ended%s   ",
			 t->nrunning, t->nlive, ended, more);
	else
		snprintf(title, sizeof(title), " Threads: %zu running now / %zu live%s   ", t->nrunning,
			 t->nlive, more);
	draw_title(c, r->x, r->y, r->w, title, focused);
	used = utf8_width(title);
	render_legend(t, c, r->x + used, r->y, r->w - used, bg);
	if (t->ntview == 0) {
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
				   t->cumulative ? "sampled states, share of samples (whole run)"
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

		if (idx >= t->ntview)
			break;
		th = &t->threads[t->tview[idx]];
		cnt = t->cumulative ? &th->cum : &th->win;
		if (t->follow_tid == th->tid)
			canvas_putc(c, r->x, yy, g->pointer, EL_HELP_KEY);
		snprintf(buf, sizeof(buf), "%u", th->tid);
		canvas_put_right(c, r->x + 1, yy, TH_TID_W, buf, EL_DEFAULT);
		canvas_put(c, r->x + TH_NAME_X, yy, TH_NAME_W, *th->name ? th->name : "?", EL_FUNC);
		cpu = t->thread_cpu ? t->thread_cpu[t->tview[idx]] : -1;
		if (!th->live && !t->exited) {
			canvas_put_right(c, r->x + TH_CPU_X, yy, TH_CPU_W, "ended", EL_DIM);
		} else if (cpu >= 0) {
			snprintf(buf, sizeof(buf), "%.0f%%", cpu);
			canvas_put_right(c, r->x + TH_CPU_X, yy, TH_CPU_W, buf, draw_pct_elem(cpu));
		} else {
			canvas_put_right(c, r->x + TH_CPU_X, yy, TH_CPU_W, "-", EL_DIM);
		}
		nseg = panes_thread_meter(cnt, t->utf8, segs, 8);
		gilview_meter_text(cnt, buf, sizeof(buf));
		bw = r->w - TH_BAR_X - 1;
		if (bw > 6)
			meter_draw(c, r->x + TH_BAR_X, yy, bw, NULL, segs, nseg, cnt->samples, buf, &st);
		if ((int)idx == p->sel)
			draw_selection(c, r->x, yy, r->w, focused);
	}
}

/* ---- the stack pane ---- */

static const char *state_name(unsigned state)
{
	switch (state) {
	case THREAD_RUNNING: return "running";
	case THREAD_IDLE: return "idle";
	case THREAD_GIL_WAIT: return "waiting for the GIL";
	default: return "state unknown";
	}
}

/* The name of thread tid from the last refresh ("" if unknown). */
static const char *thread_name(const struct tui *t, uint32_t tid)
{
	size_t i;

	for (i = 0; i < t->nthreads; i++)
		if (t->threads[i].tid == tid)
			return t->threads[i].name;
	return "";
}

static void render_stack(struct tui *t, struct canvas *c, const struct rect *r)
{
	const struct glyphs *g = theme_glyphs(t->utf8);
	struct list_pos *p = &t->pos[PANE_STACK];
	bool focused = t->focus == PANE_STACK;
	char title[256];
	int rows = r->h - 1, y;

	if (!t->stack_tid) {
		draw_title(c, r->x, r->y, r->w, " Stack", focused);
		if (rows > 0)
			canvas_put(c, r->x + 1, r->y + 1, r->w - 1, "no thread sampled yet", EL_DIM);
		return;
	}
	if (t->stack_info.valid) {
		double age = t->now_ns > t->stack_info.time_ns
			? (double)(t->now_ns - t->stack_info.time_ns) / 1e9 : 0;
		char a[32];

		snprintf(title, sizeof(title), " Stack of %u %s: %s%s, %s ago, innermost first",
			 t->stack_tid, thread_name(t, t->stack_tid), state_name(t->stack_info.state),
			 t->stack_info.flags & SAMPLE_F_HOLDS_GIL ? ", holds the GIL" : "",
			 duration_format(a, sizeof(a), age));
	} else {
		snprintf(title, sizeof(title), " Stack of %u %s", t->stack_tid,
			 thread_name(t, t->stack_tid));
	}
	draw_title(c, r->x, r->y, r->w, title, focused);
	if (t->stack_n == 0) {
		if (rows > 0)
			canvas_put(c, r->x + 1, r->y + 1, r->w - 1, "(no Python frames)", EL_DIM);
		return;
	}
	if (p->sel >= (int)t->stack_n)
		p->sel = (int)t->stack_n - 1;
	draw_scroll(&p->top, p->sel, rows, (int)t->stack_n);
	for (y = 0; y < rows; y++) {
		size_t idx = (size_t)(p->top + y);
		const struct agg_frame *f;
		int yy = r->y + 1 + y;

		if (idx >= t->stack_n)
			break;
		f = &t->stack[idx];
		if (idx == 0)
			canvas_putc(c, r->x, yy, g->pointer, EL_HELP_KEY);
		draw_location(c, r->x + 2, yy, r->w - 2, f->name, f->file, f->line, g->ellipsis);
		if (focused && (int)idx == p->sel)
			draw_selection(c, r->x, yy, r->w, true);
	}
	if (t->stack_info.depth > t->stack_n && rows > (int)t->stack_n)
		canvas_put(c, r->x + 2, r->y + 1 + (int)t->stack_n, r->w - 2, "(deeper frames not shown)",
			   EL_DIM);
}

/* ---- header and banner ---- */

struct field {
	const char *label;
	char value[96];
	uint8_t elem;
};

/* Labelled fields left to right; those that do not fit are left out. */
static void render_fields(struct canvas *c, int y, int x, int w, const struct field *f, size_t n)
{
	int used = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		int lw = f[i].label ? utf8_width(f[i].label) + 1 : 0;
		int need = lw + utf8_width(f[i].value) + (used ? 2 : 0);

		if (used + need > w)
			continue;
		if (used)
			used += 2;
		if (f[i].label) {
			canvas_put(c, x + used, y, w - used, f[i].label, EL_HEADER_LABEL);
			used += lw;
		}
		used += canvas_put(c, x + used, y, w - used, f[i].value, f[i].elem);
	}
}

static void target_state(const struct tui *t, char *buf, size_t cap, uint8_t *elem)
{
	if (t->exited) {
		if (t->exit_code >= 0)
			snprintf(buf, cap, "exited (status %d)", t->exit_code);
		else
			snprintf(buf, cap, "exited");
		*elem = EL_HEADER_WARN;
	} else {
		snprintf(buf, cap, "running");
		*elem = EL_TARGET_RUNNING;
	}
}

static void render_header(struct tui *t, struct canvas *c, int lines)
{
	struct field f[14];
	char a[32];
	size_t n = 0;
	int y = 0;
	double err_pct, cpu, achieved;

	/* Line 1: what is profiled. */
	memset(f, 0, sizeof(f));
	f[n].label = NULL;
	snprintf(f[n].value, sizeof(f[n].value), "pytop %s", PACKAGE_VERSION);
	f[n++].elem = EL_HEADER_VALUE;
	f[n].label = "PID";
	snprintf(f[n].value, sizeof(f[n].value), "%d", (int)t->pid);
	f[n++].elem = EL_HEADER_VALUE;
	f[n].label = "Python";
	snprintf(f[n].value, sizeof(f[n].value), "%s", t->python[0] ? t->python : "?");
	f[n++].elem = EL_HEADER_VALUE;
	f[n].label = "Target";
	target_state(t, f[n].value, sizeof(f[n].value), &f[n].elem);
	n++;
	f[n].label = "Mode";
	snprintf(f[n].value, sizeof(f[n].value), "%s", aggregate_mode_name(aggregate_mode(t->agg)));
	f[n++].elem = EL_HEADER_VALUE;
	f[n].label = "Refresh";
	snprintf(f[n].value, sizeof(f[n].value), "%s", duration_format(a, sizeof(a), t->delay_s));
	f[n++].elem = EL_HEADER_VALUE;
	render_fields(c, y++, 0, c->w, f, n);
	if (lines >= 3) {
		/* Line 2: the command line, and where a launched program's output goes. */
		int used = canvas_put(c, 0, y, c->w, "Cmd ", EL_HEADER_LABEL);
		int logw = t->log_path[0] ? utf8_width(t->log_path) + 6 : 0;

		if (logw && c->w - used - logw < 20)
			logw = 0;
		canvas_put(c, used, y, c->w - used - logw, t->argv[0] ? t->argv : "?", EL_HEADER_VALUE);
		if (logw) {
			canvas_put(c, c->w - logw + 2, y, 4, "Log ", EL_HEADER_LABEL);
			canvas_put(c, c->w - logw + 6, y, logw - 6, t->log_path, EL_HEADER_VALUE);
		}
		y++;
	}
	if (lines < 2)
		return;

	/* Line 3: how the sampling goes. */
	n = 0;
	memset(f, 0, sizeof(f));
	f[n].label = "Rate";
	/* The last window's rate; once the target is gone, the whole run's. */
	achieved = t->exited ? t->cum_sum.achieved_rate_hz : t->win_sum.achieved_rate_hz;
	{
		/* Under 90% of the asked rate: said in words, not only in colour. */
		bool low = t->exited ? t->cum_sum.rate_low : t->win_sum.rate_low;

		snprintf(f[n].value, sizeof(f[n].value), "%.0f/%.0f Hz%s", t->rate_hz, achieved,
			 low ? " LOW" : "");
		f[n++].elem = low ? EL_HEADER_WARN : EL_HEADER_VALUE;
	}
	f[n].label = "Samples";
	snprintf(f[n].value, sizeof(f[n].value), "%llu", (unsigned long long)t->cum_sum.samples);
	f[n++].elem = EL_HEADER_VALUE;
	f[n].label = "Drops";
	snprintf(f[n].value, sizeof(f[n].value), "%llu", (unsigned long long)t->drops);
	f[n++].elem = t->drops ? EL_HEADER_WARN : EL_HEADER_VALUE;
	err_pct = t->cum_sum.samples + t->cum_sum.errors
		? 100.0 * (double)t->cum_sum.errors / (double)(t->cum_sum.samples + t->cum_sum.errors) : 0;
	f[n].label = "Errors";
	snprintf(f[n].value, sizeof(f[n].value), "%.1f%%", err_pct);
	f[n++].elem = err_pct >= 1.0 ? EL_HEADER_WARN : EL_HEADER_VALUE;
	cpu = t->target_cpu;
	f[n].label = "CPU";
	if (cpu >= 0)
		snprintf(f[n].value, sizeof(f[n].value), "%.0f%%", cpu);
	else
		snprintf(f[n].value, sizeof(f[n].value), "-");
	f[n++].elem = EL_HEADER_VALUE;
	f[n].label = "Threads";
	if (t->exited)
		snprintf(f[n].value, sizeof(f[n].value), "%zu", t->ntview);
	else
		snprintf(f[n].value, sizeof(f[n].value), "%zu running/%zu", t->nrunning, t->nlive);
	f[n++].elem = EL_HEADER_VALUE;
	if (t->sess) {
		/* Threads over the sampler's per-round limit: said, not hidden. */
		struct sampler_stats st = t->sess->last;

		if (t->sess->sampler)
			sampler_get_stats(t->sess->sampler, &st);
		if (st.threads_not_sampled) {
			f[n].label = "Unsampled";
			snprintf(f[n].value, sizeof(f[n].value), "%llu (limit %d)",
				 (unsigned long long)st.threads_not_sampled, st.thread_limit);
			f[n++].elem = EL_HEADER_WARN;
		}
		if (t->cum_sum.over_limit) {
			/* pytop's tables full: new stacks no longer counted. */
			f[n].label = "Full";
			snprintf(f[n].value, sizeof(f[n].value), "%llu not counted",
				 (unsigned long long)t->cum_sum.over_limit);
			f[n++].elem = EL_HEADER_WARN;
		}
		if (st.interps_not_sampled) {
			f[n].label = "Unsampled";
			snprintf(f[n].value, sizeof(f[n].value), "%d interpreters (limit %d)",
				 st.interps_not_sampled, st.interp_limit);
			f[n++].elem = EL_HEADER_WARN;
		}
	}
	f[n].label = "GIL";
	gilview_header(t->cumulative ? &t->cum_sum : &t->win_sum, f[n].value, sizeof(f[n].value));
	f[n++].elem = EL_HEADER_VALUE;
	if (t->sess && t->sess->gilstat) {
		f[n].label = "gilstat";
		snprintf(f[n].value, sizeof(f[n].value), "%s",
			 gilstat_mode_name(gilstat_mode(t->sess->gilstat)));
		f[n++].elem = EL_HEADER_WARN;
	}
	render_fields(c, y, 0, c->w, f, n);
}

static void render_banner(struct tui *t, struct canvas *c, int y)
{
	char buf[256];

	if (t->exited) {
		if (t->exit_code >= 0)
			snprintf(buf, sizeof(buf), " TARGET EXITED (status %d): the data is frozen; "
				 "browse it, w saves, q quits", t->exit_code);
		else
			snprintf(buf, sizeof(buf), " TARGET EXITED: the data is frozen; browse it, "
				 "w saves, q quits");
		canvas_fill(c, 0, y, c->w, ' ', EL_BANNER_EXITED);
		canvas_put(c, 0, y, c->w, buf, EL_BANNER_EXITED);
	} else if (t->paused) {
		canvas_fill(c, 0, y, c->w, ' ', EL_BANNER_PAUSED);
		canvas_put(c, 0, y, c->w, " PAUSED: the display is frozen, sampling goes on; p resumes",
			   EL_BANNER_PAUSED);
	}
}

/* ---- help ---- */

struct help_line {
	const char *key;      /* left column (may be NULL) */
	char text[256];
	uint8_t elem;
};

static const char *const column_help[][2] = {
	{ "%Own", "share of samples running the function's own code (innermost frame)" },
	{ "%Total", "share of samples with the function anywhere on the stack" },
	{ "", "(both over the last refresh interval; c switches to cumulative)" },
	{ "OwnTime", "cumulative time in the function's own code (samples x interval)" },
	{ "TotalTime", "cumulative time with the function on the stack" },
	{ "OwnSamples", "cumulative samples (wide terminals)" },
};

/* The help screen's lines, generated from the key and command tables;
 * returns how many (lines may be NULL to count). */
static int help_build(struct tui *t, struct help_line *lines, int cap, char (*keybuf)[64])
{
	const struct key_binding *kb;
	const struct command *cmd;
	size_t nk, nc, i;
	int n = 0;

#define ADD(k, el, ...) do { \
		if (lines && n < cap) { \
			lines[n].key = (k); \
			lines[n].elem = (el); \
			snprintf(lines[n].text, sizeof(lines[n].text), __VA_ARGS__); \
		} \
		n++; \
	} while (0)

	ADD(NULL, EL_SECTION, "pytop %s: keys (Esc, q or ? closes this; arrows scroll)", PACKAGE_VERSION);
	kb = keys_table(&nk);
	for (i = 0; i < nk; i++) {
		const char *k = NULL;

		if (keybuf && lines && n < cap) {
			keys_names(&kb[i], keybuf[n], sizeof(keybuf[n]));
			k = keybuf[n];
		}
		ADD(k, EL_DEFAULT, "%s", kb[i].help);
	}
	ADD(NULL, EL_DEFAULT, "%s", "");
	ADD(NULL, EL_SECTION, "%s", "Commands (press : first; Tab completes commands and names)");
	cmd = commands_table(&nc);
	for (i = 0; i < nc; i++) {
		const char *k = NULL;

		if (keybuf && lines && n < cap) {
			snprintf(keybuf[n], sizeof(keybuf[n]), "%s%s%s", cmd[i].name, cmd[i].args[0] ? " " : "",
				 cmd[i].args);
			k = keybuf[n];
		}
		ADD(k, EL_DEFAULT, "%s%s%s%s", cmd[i].help, cmd[i].alias ? " (alias " : "",
		    cmd[i].alias ? cmd[i].alias : "", cmd[i].alias ? ")" : "");
	}
	ADD(NULL, EL_DEFAULT, "%s", "");
	ADD(NULL, EL_SECTION, "%s", "Columns");
	for (i = 0; i < sizeof(column_help) / sizeof(column_help[0]); i++)
		ADD(column_help[i][0], EL_DEFAULT, "%s", column_help[i][1]);
	ADD(NULL, EL_DEFAULT, "%s", "");
	ADD(NULL, EL_SECTION, "%s", "Threads pane (live threads first, busiest first)");
	ADD("OS CPU%", EL_DEFAULT, "%s", "CPU time the kernel accounted to the thread (/proc), last refresh");
	ADD("bar", EL_DEFAULT, "%s", "the thread's samples by state (below): a different measure");
	ADD("ended", EL_DEFAULT, "%s", "the thread is gone; its row leaves 2 s later (its samples stay)");
	{
		size_t ns, k;
		const struct state_seg *segs = panes_state_segs(&ns);

		for (k = 0; k < ns; k++)
			ADD(segs[k].label, segs[k].elem, "%s", segs[k].label);
		ADD("empty", EL_DEFAULT, "%s (%s)", gilclass_name(GIL_IDLE), gilclass_info(GIL_IDLE)->description);
	}
#undef ADD
	return n;
}

int panes_help_lines(struct tui *t)
{
	return help_build(t, NULL, 0, NULL);
}

static void render_help(struct tui *t, struct canvas *c, const struct rect *r)
{
	static struct help_line lines[128];
	static char keys[128][64];
	const struct glyphs *g = theme_glyphs(t->utf8);
	int n = help_build(t, lines, 128, keys), y, keyw = 24;
	size_t ns;
	const struct state_seg *segs = panes_state_segs(&ns);

	if (n > 128)
		n = 128;
	t->help_lines = n;
	if (t->help_top > n - r->h)
		t->help_top = n - r->h;
	if (t->help_top < 0)
		t->help_top = 0;
	for (y = 0; y < r->h && t->help_top + y < n; y++) {
		const struct help_line *l = &lines[t->help_top + y];
		int yy = r->y + y;

		if (l->elem == EL_SECTION) {
			canvas_put(c, r->x, yy, r->w, l->text, EL_SECTION);
			continue;
		}
		if (l->key && l->elem != EL_DEFAULT) {
			/* A thread-bar legend line: the segment's look, then its name. */
			size_t k;

			for (k = 0; k < ns; k++)
				if (segs[k].elem == l->elem) {
					uint32_t ch = t->color ? g->bar_fill : t->utf8 ? segs[k].mono_utf8
										    : segs[k].mono_ascii;

					canvas_fill(c, r->x + 2, yy, 4, ch, segs[k].elem);
				}
			canvas_put(c, r->x + keyw, yy, r->w - keyw, l->text, EL_DEFAULT);
			continue;
		}
		if (l->key)
			canvas_put(c, r->x + 2, yy, keyw - 3, l->key, EL_HELP_KEY);
		canvas_put(c, r->x + keyw, yy, r->w - keyw, l->text, EL_DEFAULT);
	}
}

/* ---- status line and function-key bar ---- */

static const char *sort_label(const struct tui *t)
{
	switch (t->sort) {
	case SORT_OWN_PCT: return "%Own";
	case SORT_TOTAL_PCT: return "%Total";
	case SORT_OWN_TIME: return "OwnTime";
	case SORT_TOTAL_TIME: return "TotalTime";
	case SORT_NAME: return "name";
	case SORT_FILE: return "file";
	default: return "?";
	}
}

static int render_status(struct tui *t, struct canvas *c, int y, int *cy)
{
	char buf[TUI_MSG_MAX + 64];
	int cx = -1;

	*cy = -1;
	if (t->prompt != PROMPT_NONE) {
		const char *p = t->prompt == PROMPT_COMMAND ? ":" : "Filter: ";
		int pw = canvas_put(c, 0, y, c->w, p, EL_PROMPT);
		int col = lineedit_cursor_col(&t->le), off = 0, avail = c->w - pw - 1;

		/* Scroll long text so the cursor stays visible. */
		if (col > avail)
			off = col - avail;
		{
			size_t start = utf8_prefix(t->le.buf, off);

			canvas_put(c, pw, y, c->w - pw, t->le.buf + start, EL_PROMPT);
			cx = pw + col - utf8_width_n(t->le.buf, start);
		}
		*cy = y;
		if (t->ncompletions > 1 && y > 0) {
			size_t i;
			int x = 1;

			canvas_fill(c, 0, y - 1, c->w, ' ', EL_STATUS);
			for (i = 0; i < t->ncompletions && x < c->w; i++)
				x += canvas_put(c, x, y - 1, c->w - x, t->completions[i], EL_HELP_KEY) + 2;
		}
		return cx;
	}
	if (t->msg[0] && t->now_ns < t->msg_until_ns) {
		canvas_put(c, 0, y, c->w, t->msg, t->msg_error ? EL_STATUS_ERROR : EL_STATUS);
		return -1;
	}
	{
		size_t len = 0;
		char who[48];
		const char *hint = "  ? help  : command";
		int used;

		if (t->follow_tid)
			snprintf(who, sizeof(who), "thread %u", t->follow_tid);
		else
			snprintf(who, sizeof(who), "all threads");
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%zu %s%s, by %s%s, %% of %s, %s",
					t->nshown, t->lines ? "lines" : "functions",
					t->filter[0] ? " matching" : "", sort_label(t),
					t->reverse ? " reversed" : "",
					t->cumulative ? "all samples" : "the last refresh", who);
		if (t->filter[0] && len < sizeof(buf))
			snprintf(buf + len, sizeof(buf) - len, ", filter '%s'", t->filter);
		used = canvas_put(c, 0, y, c->w, buf, EL_STATUS);
		if (used + utf8_width(hint) <= c->w)
			canvas_put_right(c, 0, y, c->w, hint, EL_DIM);
		return -1;
	}
}

static void render_fkeys(struct tui *t, struct canvas *c, int y)
{
	const struct key_binding *fk[10];
	int f, x = 0;

	keys_bar(fk);
	canvas_fill(c, 0, y, c->w, ' ', EL_FKEY_LABEL);
	for (f = 0; f < 10; f++) {
		char key[8], label[16];
		const char *text;

		t->fkey_x[f] = x;
		if (!fk[f])
			continue;
		text = fk[f]->bar;
		if (fk[f]->action == ACT_PAUSE && t->paused)
			text = "Resume";
		if (fk[f]->action == ACT_FOLLOW && t->follow_tid)
			text = "All";
		snprintf(key, sizeof(key), "F%d", f + 1);
		snprintf(label, sizeof(label), "%-6s", text);
		x += canvas_put(c, x, y, c->w - x, key, EL_FKEY_KEY);
		x += canvas_put(c, x, y, c->w - x, label, EL_FKEY_LABEL);
	}
	t->fkey_x[10] = x;
}

/* ---- layout ---- */

static void hide(struct rect *r)
{
	memset(r, 0, sizeof(*r));
}

static void layout_main(struct tui *t, const struct rect *body)
{
	struct rect *tb = &t->rect[PANE_TABLE], *th = &t->rect[PANE_THREADS], *sk = &t->rect[PANE_STACK];
	int R = body->h, W = body->w;

	*tb = *body;
	hide(th);
	hide(sk);
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
	if (t->rect[t->focus].h == 0)
		t->focus = PANE_TABLE;
}

int tui_render(struct tui *t, struct canvas *c, int *cy)
{
	int W = c->w, H = c->h, hdr, y, status_y, cx;
	struct rect body;

	canvas_clear(c);
	*cy = -1;
	memset(t->rect, 0, sizeof(t->rect));
	if (W < 20 || H < 4) {
		canvas_put(c, 0, 0, W, "terminal too small", EL_STATUS_ERROR);
		return -1;
	}
	hdr = H >= 16 ? 3 : H >= 10 ? 2 : 1;
	render_header(t, c, hdr);
	y = hdr;
	if (t->exited || t->paused)
		render_banner(t, c, y++);
	if (H >= 8) {
		status_y = H - 2;
		t->fkeys_y = H - 1;
		render_fkeys(t, c, t->fkeys_y);
	} else {
		status_y = H - 1;
		t->fkeys_y = -1;
	}
	t->status_y = status_y;
	body = (struct rect){ 0, y, W, status_y - y };
	t->body = body;
	if (body.h > 0) {
		switch (t->view) {
		case VIEW_HELP:
			render_help(t, c, &body);
			break;
		case VIEW_GILSTAT:
			gilview_render(t, c, &body);
			break;
		case VIEW_DETAIL:
			if (t->detail) {
				detail_render(t, t->detail, c, &body);
				break;
			}
			/* fall through */
		case VIEW_MAIN:
			layout_main(t, &body);
			render_table(t, c, &t->rect[PANE_TABLE]);
			if (t->rect[PANE_THREADS].h)
				render_threads(t, c, &t->rect[PANE_THREADS]);
			if (t->rect[PANE_STACK].h) {
				const struct glyphs *g = theme_glyphs(t->utf8);
				struct rect *s = &t->rect[PANE_STACK];

				render_stack(t, c, s);
				if (s->x > 0) {
					int k;

					for (k = 0; k < s->h; k++)
						canvas_putc(c, s->x - 1, s->y + k, g->vline, EL_BORDER);
				}
			}
			break;
		}
	}
	cx = render_status(t, c, status_y, cy);
	return cx;
}
