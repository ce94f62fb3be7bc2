/* gilview: GIL classes in the thread bars, the header's GIL field, and
 * the gilstat view and commands. */
#include "ui/gilview.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sampling/gilclass.h"
#include "sampling/gilstat.h"
#include "session.h"
#include "ui/draw.h"
#include "ui/theme.h"
#include "ui/tui.h"
#include "ui/utf8.h"
#include "util/duration.h"

#define COL_W 9           /* a gilstat column */
#define BAR_MIN 12
#define WARN_LINES 4      /* latest warnings shown under the table */

/* The bar's classes in drawing order: the GIL classes drawn in the bar
 * (sampling/gilclass.h), filled on first use. */
static struct gil_seg segs[GIL_CLASS_COUNT];
static size_t nsegs;

static size_t segs_load(void)
{
	if (nsegs)
		return nsegs;
	for (int k = 0; k < GIL_CLASS_COUNT; k++) {
		const struct gil_class_info *gc = gilclass_info((enum gil_class)k);

		if (gc->flags & GILCLASS_BAR)
			segs[nsegs++] = (struct gil_seg){ gc->cls, gc->legend, gc->letter,
							  (uint8_t)theme_find(gc->theme), gc->glyph_utf8, gc->glyph_ascii };
	}
	return nsegs;
}

const struct gil_seg *gilview_segs(size_t *n)
{
	*n = segs_load();
	return segs;
}

size_t gilview_meter(const struct agg_thread_counts *c, bool utf8, struct meter_seg *out, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < segs_load(); i++) {
		out[i].value = c->gil[segs[i].cls];
		out[i].elem = segs[i].elem;
		out[i].mono = utf8 ? segs[i].mono_utf8 : segs[i].mono_ascii;
	}
	return i;
}

const char *gilview_meter_text(const struct agg_thread_counts *c, char *buf, size_t cap)
{
	size_t len = 0;

	buf[0] = '\0';
	if (!c->samples) {
		snprintf(buf, cap, "no samples");
		return buf;
	}
	for (int k = 0; k < GIL_CLASS_COUNT; k++) {   /* the classes whose share is reported */
		const struct gil_class_info *gc = gilclass_info((enum gil_class)k);
		int pct = (int)(100.0 * (double)c->gil[k] / (double)c->samples + 0.5);

		if (pct == 0 || !(gc->flags & GILCLASS_SHARE))
			continue;
		len += (size_t)snprintf(buf + len, len < cap ? cap - len : 0, "%s%c%d", len ? " " : "",
					gc->letter, pct);
	}
	return buf;
}

const char *gilview_header(const struct agg_summary *sum, char *buf, size_t cap)
{
	if (sum->gil_disabled)
		snprintf(buf, cap, "none (free-threaded)");
	else if (!sum->gil_rounds)
		snprintf(buf, cap, "?");
	else
		snprintf(buf, cap, "%.0f%% %.0f/s", sum->gil_utilisation_pct, sum->gil_switch_rate);
	return buf;
}

/* ---- commands ---- */

static void open_view(struct tui *t)
{
	if (t->view != VIEW_GILSTAT)
		t->gil_top = 0;
	t->view = VIEW_GILSTAT;
	t->dirty = true;
}

static void close_view(struct tui *t)
{
	if (t->view == VIEW_GILSTAT)
		t->view = t->detail ? VIEW_DETAIL : VIEW_MAIN;
	t->dirty = true;
}

/* Start gilstat with cfg and say how it went. */
static int start(struct tui *t, const struct gilstat_config *cfg)
{
	char err[512];

	if (!t->sess) {
		tui_message(t, true, "gilstat needs a live target");
		return -1;
	}
	if (session_gilstat_start(t->sess, cfg, err, sizeof(err)) < 0) {
		tui_message(t, true, "%s", err);
		return -1;
	}
	open_view(t);
	if (cfg->mode == GILSTAT_EXACT)
		tui_message(t, false, "gilstat on: exact (uprobes on take_gil/drop_gil); g or :gilstat off stops it");
	else
		tui_message(t, false, "gilstat on: sampled estimate at %.0f Hz (resolution %.2g ms); "
			    "g or :gilstat off stops it", cfg->rate_hz, 1000.0 / cfg->rate_hz);
	return 0;
}

static void stop(struct tui *t)
{
	if (t->sess && t->sess->gilstat) {
		session_gilstat_stop(t->sess);
		tui_message(t, false, "gilstat off (its last numbers stay in :save snapshots)");
	}
	close_view(t);
}

void gilview_toggle(struct tui *t)
{
	struct gilstat_config cfg;

	if (t->sess && t->sess->gilstat) {
		/* Running: g shows its view; in the view, g stops it. */
		if (t->view == VIEW_GILSTAT)
			stop(t);
		else
			open_view(t);
		return;
	}
	if (t->sess)
		session_gilstat_config(t->sess, &cfg);
	else
		gilstat_config_default(&cfg);
	start(t, &cfg);
}

static int parse_ms(struct tui *t, const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (!*s || *end || !(v >= 0 && v <= 1e6)) {
		tui_message(t, true, "gilstat: '%s' is not a time in milliseconds", s);
		return -1;
	}
	*out = v;
	return 0;
}

int gilview_command(struct tui *t, int argc, char **argv)
{
	struct gilstat_config cfg;

	if (strcmp(argv[0], "off") == 0) {
		if (argc > 1) {
			tui_message(t, true, "usage: gilstat off");
			return -1;
		}
		if (!t->sess || !t->sess->gilstat) {
			tui_message(t, false, "gilstat is not running");
			return 0;
		}
		stop(t);
		return 0;
	}
	if (strcmp(argv[0], "on") != 0 && strcmp(argv[0], "exact") != 0 && strcmp(argv[0], "sampled") != 0) {
		tui_message(t, true, "usage: gilstat on|exact|off [TAKE_MS [HOLD_MS]]");
		return -1;
	}
	if (t->sess)
		session_gilstat_config(t->sess, &cfg);
	else
		gilstat_config_default(&cfg);
	if (strcmp(argv[0], "exact") == 0)
		cfg.mode = GILSTAT_EXACT;
	else if (strcmp(argv[0], "sampled") == 0 || cfg.mode == GILSTAT_OFF)
		cfg.mode = GILSTAT_SAMPLED;
	if (argc > 1 && parse_ms(t, argv[1], &cfg.take_warn_ms) < 0)
		return -1;
	cfg.hold_warn_ms = argc > 1 ? cfg.take_warn_ms : cfg.hold_warn_ms;
	if (argc > 2 && parse_ms(t, argv[2], &cfg.hold_warn_ms) < 0)
		return -1;
	return start(t, &cfg);
}

void gilview_toggle_gil_mode(struct tui *t)
{
	enum agg_mode m = aggregate_mode(t->agg), back = AGG_MODE_CPU;

	if (t->sess && t->sess->opt && t->sess->opt->mode != AGG_MODE_GIL)
		back = (enum agg_mode)t->sess->opt->mode;
	tui_set_mode(t, m == AGG_MODE_GIL ? back : AGG_MODE_GIL);
	tui_message(t, false, "%s (counts reset)", m == AGG_MODE_GIL
		    ? (back == AGG_MODE_WALL ? "counting every sample" : "counting on-CPU samples")
		    : "counting only samples that hold the GIL");
}

/* ---- the view ---- */

bool gilview_key(struct tui *t, enum action a)
{
	int page = t->body.h > 4 ? t->body.h - 4 : 1;

	switch (a) {
	case ACT_UP: t->gil_top--; break;
	case ACT_DOWN: t->gil_top++; break;
	case ACT_PAGE_UP: t->gil_top -= page; break;
	case ACT_PAGE_DOWN: t->gil_top += page; break;
	case ACT_HOME: t->gil_top = 0; break;
	case ACT_END: t->gil_top = (int)t->ntview; break;
	case ACT_BACK: case ACT_ENTER:
		close_view(t);
		break;
	default:
		return false;
	}
	if (t->gil_top > (int)t->ntview - 1)
		t->gil_top = (int)t->ntview - 1;
	if (t->gil_top < 0)
		t->gil_top = 0;
	t->dirty = true;
	return true;
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

static void draw_gcol(struct canvas *c, int x, int y, enum gcol col, const struct gilstat_thread *s,
		      const struct gilstat_snapshot *g)
{
	double el = (double)g->elapsed_ns / 1e9;
	uint64_t given;
	char buf[32];

	switch (col) {
	case GC_TAKECNT:
		/* Sampled counts the switch number says are short: ">=N". */
		if (gilstat_takes_lower_bound(g, &given)) {
			snprintf(buf, sizeof(buf), ">=%llu", (unsigned long long)s->takecnt);
			canvas_put_right(c, x, y, COL_W - 1, buf, EL_DEFAULT);
		} else {
			draw_count(c, x, y, COL_W - 1, s->takecnt);
		}
		break;
	case GC_HOLDAVG:
		/* A sampled hold shorter than a tick is not measured. */
		if (g->mode == GILSTAT_SAMPLED && s->takecnt && ratio(s->hold_ns, s->takecnt) < (double)g->resolution_ns) {
			snprintf(buf, sizeof(buf), "<%.1fms", (double)g->resolution_ns / 1e6);
			canvas_put_right(c, x, y, COL_W - 1, buf, EL_DIM);
		} else {
			draw_time(c, x, y, COL_W - 1, ratio(s->hold_ns, s->takecnt) / 1e9);
		}
		break;
	case GC_TAKEAVG: draw_time(c, x, y, COL_W - 1, ratio(s->wait_ns, s->takecnt) / 1e9); break;
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
static void render_title(struct tui *t, struct canvas *c, const struct rect *r,
			 const struct gilstat_snapshot *g, bool running)
{
	const struct agg_summary *sum = t->cumulative ? &t->cum_sum : &t->win_sum;
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
	draw_title(c, r->x, r->y, r->w, title, true);
}

static int render_legend(struct tui *t, struct canvas *c, int x, int y, int w)
{
	const struct glyphs *gl = theme_glyphs(t->utf8);
	const struct gil_class_info *idle = gilclass_info(GIL_IDLE);
	char empty[48];
	int used = 0;

	for (size_t i = 0; i + 1 < segs_load(); i++) {
		int need = 2 + utf8_width(segs[i].label) + 4;
		char lab[48];

		if (used + need > w)
			return used;
		canvas_putc(c, x + used, y, t->color ? gl->bar_fill : t->utf8 ? segs[i].mono_utf8
			    : segs[i].mono_ascii, t->color ? segs[i].elem : EL_DEFAULT);
		snprintf(lab, sizeof(lab), "%c %s", segs[i].letter, segs[i].label);
		used += 2 + canvas_put(c, x + used + 2, y, w - used - 2, lab, EL_DEFAULT) + 2;
	}
	snprintf(empty, sizeof(empty), "(empty: %c %s)", idle->letter, idle->legend);
	if (used + 14 <= w)
		used += canvas_put(c, x + used, y, w - used, empty, EL_DIM);
	return used;
}

void gilview_render(struct tui *t, struct canvas *c, const struct rect *r)
{
	const struct glyphs *gl = theme_glyphs(t->utf8);
	struct meter_style st = { !t->color, gl->bar_fill, EL_DEFAULT, EL_BAR_FRAME, EL_BAR_TEXT,
				  EL_BAR_SHADOW };
	bool running = t->sess && t->sess->gilstat;
	const struct gilstat_snapshot *g = t->sess ? session_gilstat(t->sess) : NULL;
	int ncols = 0, bar_w, x, y = r->y, rows, warn_rows = 0;
	char buf[128];

	if (r->h < 4 || r->w < 40) {
		canvas_put(c, r->x, r->y, r->w, "GIL view: terminal too small", EL_STATUS_ERROR);
		return;
	}
	render_title(t, c, r, g, running);
	y++;
	render_legend(t, c, r->x + 1, y++, r->w - 1);

	/* Columns: tid, name, bar, then as many gilstat columns as fit. */
	if (g)
		while (ncols < GC_COUNT && r->w - 25 - (ncols + 1) * COL_W >= BAR_MIN + 2)
			ncols++;
	bar_w = r->w - 25 - ncols * COL_W - 1;
	canvas_fill(c, r->x, y, r->w, ' ', EL_COLUMN_HEADER);
	canvas_put_right(c, r->x, y, 7, "TID", EL_COLUMN_HEADER);
	canvas_put(c, r->x + 9, y, 16, "Name", EL_COLUMN_HEADER);
	canvas_put(c, r->x + 25, y, bar_w - 1, bar_w > 34 ? (t->cumulative ? "GIL states (cumulative)"
			: "GIL states (last refresh)") : "GIL states", EL_COLUMN_HEADER);
	for (int k = 0; k < ncols; k++)
		canvas_put_right(c, r->x + 25 + bar_w + k * COL_W, y, COL_W - 1, gcol_names[k], EL_COLUMN_HEADER);
	y++;

	if (g && g->nwarnings)
		warn_rows = 1 + (g->nrecent < WARN_LINES ? (int)g->nrecent : WARN_LINES);
	else
		warn_rows = 1;
	rows = r->y + r->h - y - warn_rows;
	if (rows < 1)
		rows = 1;
	if (t->gil_top > (int)t->ntview - rows)
		t->gil_top = (int)t->ntview - rows;
	if (t->gil_top < 0)
		t->gil_top = 0;
	for (int i = 0; i < rows && (size_t)(t->gil_top + i) < t->ntview; i++, y++) {
		const struct agg_thread_row *th = &t->threads[t->tview[t->gil_top + i]];
		const struct agg_thread_counts *cnt = t->cumulative ? &th->cum : &th->win;
		struct meter_seg ms[8];
		size_t nseg = gilview_meter(cnt, t->utf8, ms, 8);
		bool blocked = cnt->samples && cnt->gil[GIL_HOLDING_BLOCKED] * 100 >= cnt->samples;
		const struct gilstat_thread *s = gs_find(g, th->tid);

		snprintf(buf, sizeof(buf), "%u", th->tid);
		canvas_put_right(c, r->x, y, 7, buf, EL_DEFAULT);
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
