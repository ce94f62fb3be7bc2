/* gilview: the GIL in the live view. The threads pane's bar shows each
 * thread's five GIL classes (gilview_thread_meter, gilview_meter); the
 * header shows the GIL's utilisation and switch rate (gilview_header);
 * `g`/F6 and `:gilstat` start and stop gilstat on the session and open its
 * view (ui/views/gilstat); `G` makes the hot table count only samples
 * holding the GIL. */
#ifndef PYTOP_UI_GILVIEW_H
#define PYTOP_UI_GILVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sampling/aggregate.h"
#include "ui/canvas.h"
#include "ui/meter.h"
#include "ui/model.h"

/* One class of the thread bar: legend label, the letter of the bar's
 * numbers, colour element, monochrome characters. Drawing order. */
struct gil_seg {
	enum gil_class cls;
	const char *label;
	char letter;
	uint8_t elem;
	uint32_t mono_utf8, mono_ascii;
};

/* Fill segs (room for n) from a thread's counts; returns how many. */
size_t gilview_meter(const struct agg_thread_counts *c, bool utf8, struct meter_seg *segs, size_t n);

/* The numbers at the bar's right: "H33 W60 N7" (nonzero classes, percent
 * of the thread's samples; B: holding while blocked). */
const char *gilview_meter_text(const struct agg_thread_counts *c, char *buf, size_t cap);

/* The header field: "97% 185/s" (held share of the rounds, switches per
 * second), "none" for a free-threaded build, "?" before any round; *warn
 * when a thread blocked holding the GIL. */
const char *gilview_header(const struct agg_summary *sum, char *buf, size_t cap);

/* The gilstat view's legend of the classes in w columns at (x, y). */
void gilview_legend(struct canvas *c, int x, int y, int w, bool utf8, bool color);

/* One segment kind of the threads pane's state bar: the label in the
 * legend, the colour element, the monochrome characters and the GIL class
 * it counts (sampling/gilclass.h). */
struct state_seg {
	const char *label;
	uint8_t elem;
	uint32_t mono_utf8, mono_ascii;
	enum gil_class cls;
};

/* The threads pane's bar segments, in drawing order. */
const struct state_seg *gilview_state_segs(size_t *n);

/* Fill segs (room for n) for the threads pane's bar; returns how many. */
size_t gilview_thread_meter(const struct agg_thread_counts *c, bool utf8, struct meter_seg *segs,
			    size_t n);

/* The threads pane's legend in w columns at (x, y) on background bg. */
void gilview_threads_legend(struct canvas *c, int x, int y, int w, uint8_t bg, bool utf8, bool color);

/* g / F6: gilstat off -> start it (the command line's settings) and open
 * the view; running -> open the view; `shown` (the view is on top) -> stop
 * it and close the view (Esc closes the view and leaves gilstat running). */
int gilview_toggle(struct ui_model *m, bool shown, unsigned *fx);

/* :gilstat on|off|exact [TAKE_MS [HOLD_MS]] */
int gilview_command(struct ui_model *m, int argc, char **argv, unsigned *fx);

/* G: count only samples holding the GIL in the hot table (again: back). */
int gilview_toggle_gil_mode(struct ui_model *m, unsigned *fx);

#endif
