/* gilview: GIL classes in the thread bars and their legends, the header's
 * GIL field, and starting and stopping gilstat. */
#include "ui/gilview.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sampling/gilclass.h"
#include "sampling/gilstat.h"
#include "session.h"
#include "ui/actions.h"
#include "ui/theme.h"
#include "ui/utf8.h"

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

void gilview_legend(struct canvas *c, int x, int y, int w, bool utf8, bool color)
{
	const struct glyphs *gl = theme_glyphs(utf8);
	const struct gil_class_info *idle = gilclass_info(GIL_IDLE);
	char empty[48];
	int used = 0;

	for (size_t i = 0; i + 1 < segs_load(); i++) {
		int need = 2 + utf8_width(segs[i].label) + 4;
		char lab[48];

		if (used + need > w)
			return;
		canvas_putc(c, x + used, y, color ? gl->bar_fill : utf8 ? segs[i].mono_utf8
			    : segs[i].mono_ascii, color ? segs[i].elem : EL_DEFAULT);
		snprintf(lab, sizeof(lab), "%c %s", segs[i].letter, segs[i].label);
		used += 2 + canvas_put(c, x + used + 2, y, w - used - 2, lab, EL_DEFAULT) + 2;
	}
	snprintf(empty, sizeof(empty), "(empty: %c %s)", idle->letter, idle->legend);
	if (used + 14 <= w)
		canvas_put(c, x + used, y, w - used, empty, EL_DIM);
}

/* ---- the threads pane's bar ---- */

/* The GIL classes drawn in the bar (sampling/gilclass.h), filled on first
 * use: holding (on CPU), holding while blocked in a syscall (highlighted),
 * waiting for the GIL, runnable without it (native code that released it,
 * or a thread woken but not yet on a core: /proc cannot tell), unknown;
 * idle is the empty part of the bar, as in htop's CPU bars. */
static struct state_seg state_segs[GIL_CLASS_COUNT];
static char state_labels[GIL_CLASS_COUNT][32];
static size_t nstate_segs;

const struct state_seg *gilview_state_segs(size_t *n)
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

size_t gilview_thread_meter(const struct agg_thread_counts *c, bool utf8, struct meter_seg *out,
			    size_t n)
{
	size_t i, ns;
	const struct state_seg *ss = gilview_state_segs(&ns);

	for (i = 0; i < n && i < ns; i++) {
		out[i].value = c->gil[ss[i].cls];
		out[i].elem = ss[i].elem;
		out[i].mono = utf8 ? ss[i].mono_utf8 : ss[i].mono_ascii;
	}
	return i;
}

/* The threads pane's legend: "█ running  ▒ GIL wait  ..  (empty: idle)". */
void gilview_threads_legend(struct canvas *c, int x, int y, int w, uint8_t bg, bool utf8, bool color)
{
	const struct glyphs *g = theme_glyphs(utf8);
	const struct gil_class_info *idle = gilclass_info(GIL_IDLE);
	char empty[48];
	int used = 0;
	size_t i, ns;
	const struct state_seg *segs_ = gilview_state_segs(&ns);

	for (i = 0; i < ns; i++) {
		const struct state_seg *s = &segs_[i];
		uint32_t ch = color ? g->bar_fill : utf8 ? s->mono_utf8 : s->mono_ascii;
		int need = 2 + utf8_width(s->label) + 2;

		if (used + need > w)
			return;
		canvas_putc(c, x + used, y, ch, color ? s->elem : bg);
		canvas_put(c, x + used + 2, y, w - used - 2, s->label, bg);
		used += need;
	}
	snprintf(empty, sizeof(empty), "empty: %c %s", idle->letter, idle->legend);
	if (used + 14 <= w)
		canvas_put(c, x + used, y, w - used, empty, bg);
}

/* ---- gilstat on and off ---- */

/* Start gilstat with cfg, open its view and say how it went. */
static int start(struct ui_model *m, const struct gilstat_config *cfg, unsigned *fx)
{
	char err[512];

	*fx |= UI_FX_REDRAW;
	if (!m->sess) {
		model_message(m, true, "gilstat needs a live target");
		return -1;
	}
	if (session_gilstat_start(m->sess, cfg, err, sizeof(err)) < 0) {
		model_message(m, true, "%s", err);
		return -1;
	}
	*fx |= model_open(m, "gilstat", 0, 0);
	if (cfg->mode == GILSTAT_EXACT)
		model_message(m, false, "gilstat on: exact (uprobes on take_gil/drop_gil); g or :gilstat off stops it");
	else
		model_message(m, false, "gilstat on: sampled estimate at %.0f Hz (resolution %.2g ms); "
			      "g or :gilstat off stops it", cfg->rate_hz, 1000.0 / cfg->rate_hz);
	return 0;
}

static void stop(struct ui_model *m, unsigned *fx)
{
	if (m->sess && m->sess->gilstat) {
		session_gilstat_stop(m->sess);
		model_message(m, false, "gilstat off (its last numbers stay in :save snapshots)");
	}
	*fx |= model_close(m, "gilstat");
}

int gilview_toggle(struct ui_model *m, bool shown, unsigned *fx)
{
	struct gilstat_config cfg;

	if (m->sess && m->sess->gilstat) {
		/* Running: g shows its view; in the view, g stops it. */
		if (shown)
			stop(m, fx);
		else
			*fx |= model_open(m, "gilstat", 0, 0);
		return 0;
	}
	if (m->sess)
		session_gilstat_config(m->sess, &cfg);
	else
		gilstat_config_default(&cfg);
	return start(m, &cfg, fx);
}

static int parse_ms(struct ui_model *m, const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (!*s || *end || !(v >= 0 && v <= 1e6)) {
		model_message(m, true, "gilstat: '%s' is not a time in milliseconds", s);
		return -1;
	}
	*out = v;
	return 0;
}

int gilview_command(struct ui_model *m, int argc, char **argv, unsigned *fx)
{
	struct gilstat_config cfg;

	*fx |= UI_FX_REDRAW;
	if (strcmp(argv[0], "off") == 0) {
		if (argc > 1) {
			model_message(m, true, "usage: gilstat off");
			return -1;
		}
		if (!m->sess || !m->sess->gilstat) {
			model_message(m, false, "gilstat is not running");
			return 0;
		}
		stop(m, fx);
		return 0;
	}
	if (strcmp(argv[0], "on") != 0 && strcmp(argv[0], "exact") != 0 && strcmp(argv[0], "sampled") != 0) {
		model_message(m, true, "usage: gilstat on|exact|off [TAKE_MS [HOLD_MS]]");
		return -1;
	}
	if (m->sess)
		session_gilstat_config(m->sess, &cfg);
	else
		gilstat_config_default(&cfg);
	if (strcmp(argv[0], "exact") == 0)
		cfg.mode = GILSTAT_EXACT;
	else if (strcmp(argv[0], "sampled") == 0 || cfg.mode == GILSTAT_OFF)
		cfg.mode = GILSTAT_SAMPLED;
	if (argc > 1 && parse_ms(m, argv[1], &cfg.take_warn_ms) < 0)
		return -1;
	cfg.hold_warn_ms = argc > 1 ? cfg.take_warn_ms : cfg.hold_warn_ms;
	if (argc > 2 && parse_ms(m, argv[2], &cfg.hold_warn_ms) < 0)
		return -1;
	return start(m, &cfg, fx);
}

int gilview_toggle_gil_mode(struct ui_model *m, unsigned *fx)
{
	enum agg_mode mode = aggregate_mode(m->agg), back = AGG_MODE_CPU;

	if (m->sess && m->sess->opt && m->sess->opt->mode != AGG_MODE_GIL)
		back = (enum agg_mode)m->sess->opt->mode;
	actions_set_mode(m, mode == AGG_MODE_GIL ? back : AGG_MODE_GIL, fx);
	model_message(m, false, "%s (counts reset)", mode == AGG_MODE_GIL
		      ? (back == AGG_MODE_WALL ? "counting every sample" : "counting on-CPU samples")
		      : "counting only samples that hold the GIL");
	return 0;
}
