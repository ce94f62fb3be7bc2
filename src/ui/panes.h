/* panes: drawing the main screen into a canvas: the header (run facts and
 * meters), the banner (target exited / paused), the hot-function table,
 * the threads pane (one state bar per thread), the live stack pane, the
 * help screen, the status/prompt line and the function-key bar. The
 * layout hides panes by priority on small terminals and adds columns on
 * wide ones. tui_render() (declared in tui.h) lives here. */
#ifndef PYTOP_UI_PANES_H
#define PYTOP_UI_PANES_H

#include <stddef.h>
#include <stdint.h>

#include "sampling/aggregate.h"
#include "ui/columns.h"
#include "ui/meter.h"

struct tui;

/* Columns of the hot table (index = column id). */
enum hot_col {
	HC_OWN_PCT = 0, HC_TOTAL_PCT, HC_OWN_TIME, HC_TOTAL_TIME,
	HC_OWN_SAMPLES, HC_TOTAL_SAMPLES, HC_FUNCTION, HC_COUNT
};

/* The hot table's column definitions. */
const struct column *panes_hot_columns(size_t *n);

/* One segment kind of a thread's state bar: the label in the legend, the
 * colour element, the monochrome characters and the GIL class it counts
 * (sampling/gilclass.h). */
struct state_seg {
	const char *label;
	uint8_t elem;
	uint32_t mono_utf8, mono_ascii;
	enum gil_class cls;
};

/* The thread state bar's segments, in drawing order. */
const struct state_seg *panes_state_segs(size_t *n);

/* Fill segs (room for n) from a thread's counts; returns how many. */
size_t panes_thread_meter(const struct agg_thread_counts *c, bool utf8, struct meter_seg *segs,
			  size_t n);

/* The sort key a hot table column sorts by (-1 if none). */
int panes_column_sort(int col);

/* Number of lines of the help screen (for scrolling). */
int panes_help_lines(struct tui *t);

#endif
