/* gilview: the GIL in the live view. The threads pane's bar shows each
 * thread's five GIL classes (gilview_meter); the header shows the GIL's
 * utilisation and switch rate (gilview_header); `g`/F6 and `:gilstat`
 * start and stop gilstat on the session and open its view: per thread the
 * class bar and flight_profiler's table (takecnt, holdavg, hold_all,
 * takeavg, take_all, hold%, wait%, takes/s), then the latest long holds
 * and waits; `G` makes the hot table count only samples holding the GIL. */
#ifndef PYTOP_UI_GILVIEW_H
#define PYTOP_UI_GILVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sampling/aggregate.h"
#include "ui/canvas.h"
#include "ui/keys.h"
#include "ui/meter.h"

struct tui;
struct rect;

/* One class of the thread bar: legend label, the letter of the bar's
 * numbers, colour element, monochrome characters. Drawing order. */
struct gil_seg {
	enum gil_class cls;
	const char *label;
	char letter;
	uint8_t elem;
	uint32_t mono_utf8, mono_ascii;
};

/* The bar's classes (idle is the empty part, as in htop's CPU bars). */
const struct gil_seg *gilview_segs(size_t *n);

/* Fill segs (room for n) from a thread's counts; returns how many. */
size_t gilview_meter(const struct agg_thread_counts *c, bool utf8, struct meter_seg *segs, size_t n);

/* The numbers at the bar's right: "H33 W60 N7" (nonzero classes, percent
 * of the thread's samples; B: holding while blocked). */
const char *gilview_meter_text(const struct agg_thread_counts *c, char *buf, size_t cap);

/* The header field: "97% 185/s" (held share of the rounds, switches per
 * second), "none" for a free-threaded build, "?" before any round; *warn
 * when a thread blocked holding the GIL. */
const char *gilview_header(const struct agg_summary *sum, char *buf, size_t cap);

/* g / F6: gilstat off -> start it (the command line's settings) and open
 * the view; running -> open the view; in the view -> stop it and close the
 * view (Esc closes the view and leaves gilstat running). */
void gilview_toggle(struct tui *t);

/* :gilstat on|off|exact [TAKE_MS [HOLD_MS]] */
int gilview_command(struct tui *t, int argc, char **argv);

/* G: count only samples holding the GIL in the hot table (again: back). */
void gilview_toggle_gil_mode(struct tui *t);

/* A key while the view shows; false when the view does not use it. */
bool gilview_key(struct tui *t, enum action a);

/* Draw the view into r. */
void gilview_render(struct tui *t, struct canvas *c, const struct rect *r);

#endif
