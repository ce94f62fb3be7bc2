/* draw: small drawing helpers the panes share: percentages coloured by
 * size, durations, "name (file:line)" cells, title bars, selection bars. */
#ifndef PYTOP_UI_DRAW_H
#define PYTOP_UI_DRAW_H

#include <stdbool.h>
#include <stdint.h>

#include "sampling/sample.h"
#include "ui/canvas.h"

/* The element for a percentage (hot, warm, plain, or dim for zero). */
uint8_t draw_pct_elem(double pct);

/* "45.2%" right-aligned in w columns at (x, y). */
void draw_pct(struct canvas *c, int x, int y, int w, double pct);

/* A duration (duration_format) right-aligned in w columns; dim if zero. */
void draw_time(struct canvas *c, int x, int y, int w, double seconds);

/* A count right-aligned ("12345", "1.2M" when wide). */
void draw_count(struct canvas *c, int x, int y, int w, uint64_t n);

/* "name (file:line)" in w columns: the name in EL_FUNC (a native
 * function's, "symbol (library)", in EL_FUNC_NATIVE), the rest in
 * EL_LOCATION, cut by columns_location(). */
void draw_location(struct canvas *c, int x, int y, int w, enum func_kind kind, const char *name,
		   const char *file, int line, const char *ellipsis);

/* A full-width bar at row y with text on it (focused: the focus colour). */
void draw_title(struct canvas *c, int x, int y, int w, const char *text, bool focused);

/* Paint a selection bar over w cells. */
void draw_selection(struct canvas *c, int x, int y, int w, bool focused);

/* Scroll *top so that sel is among the `rows` visible rows of n. */
void draw_scroll(int *top, int sel, int rows, int n);

#endif
