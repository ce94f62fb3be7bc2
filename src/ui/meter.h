/* meter: htop's bar meter, drawn into a canvas: a caption, '[', one run of
 * cells per segment (ceil(value / total * width) cells each, clipped to
 * the bar), a text right-aligned inside the bar (drawn over the fill in the
 * colour of the segment under it), ']'. Segments come from a table, so a
 * new kind of segment is a new row of data. */
#ifndef PYTOP_UI_METER_H
#define PYTOP_UI_METER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ui/canvas.h"

/* One segment: its value, its colour element, and the character that
 * draws it on a monochrome screen (with colours every segment uses the
 * same fill character and differs by colour). */
struct meter_seg {
	uint64_t value;
	uint8_t elem;
	uint32_t mono;
};

/* How to draw. */
struct meter_style {
	bool mono;            /* each segment in its own character */
	uint32_t fill;        /* the fill character with colours */
	uint8_t caption_elem; /* caption */
	uint8_t frame_elem;   /* [ and ] */
	uint8_t text_elem;    /* text over the empty part */
	uint8_t shadow_elem;  /* the empty part */
};

/* Cells per segment for a bar `w` cells wide: ceil(value / total * w),
 * each clipped to what is left of the bar; blocks[] has n entries. Returns
 * the cells used (<= w). A zero total gives all zeros. */
int meter_blocks(const struct meter_seg *segs, size_t n, uint64_t total, int w, int *blocks);

/* Draw the meter in `width` columns at (x, y). caption and text may be
 * NULL. */
void meter_draw(struct canvas *c, int x, int y, int width, const char *caption,
		const struct meter_seg *segs, size_t n, uint64_t total, const char *text,
		const struct meter_style *st);

#endif
