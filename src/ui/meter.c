/* meter: bar meter layout and drawing. */
#include "ui/meter.h"

#include <string.h>

#include "ui/utf8.h"

int meter_blocks(const struct meter_seg *segs, size_t n, uint64_t total, int w, int *blocks)
{
	int used = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t v = segs[i].value;
		int b = 0;

		if (total && v && w > 0) {
			if (v > total)
				v = total;
			b = (int)((v * (uint64_t)w + total - 1) / total);
			if (b > w - used)
				b = w - used;
		}
		blocks[i] = b;
		used += b;
	}
	return used;
}

/* The element under bar cell `pos`: its segment's, or shadow/text. */
static uint8_t elem_at(const struct meter_seg *segs, const int *blocks, size_t n, int pos,
		       uint8_t empty)
{
	size_t k;

	for (k = 0; k < n; k++) {
		if (pos < blocks[k])
			return segs[k].elem;
		pos -= blocks[k];
	}
	return empty;
}

void meter_draw(struct canvas *c, int x, int y, int width, const char *caption,
		const struct meter_seg *segs, size_t n, uint64_t total, const char *text,
		const struct meter_style *st)
{
	int cap = 0, w, used, tw, col, bar;
	int blocks[16];
	size_t k, len, pos;

	if (width <= 0)
		return;
	canvas_fill(c, x, y, width, ' ', st->caption_elem);
	if (caption)
		cap = canvas_put(c, x, y, width, caption, st->caption_elem);
	w = width - cap - 2;
	if (w < 1)
		return;
	if (n > sizeof(blocks) / sizeof(blocks[0]))
		n = sizeof(blocks) / sizeof(blocks[0]);
	bar = x + cap + 1;
	canvas_putc(c, bar - 1, y, '[', st->frame_elem);
	canvas_putc(c, bar + w, y, ']', st->frame_elem);
	used = meter_blocks(segs, n, total, w, blocks);

	/* The fill, segment by segment, then the shadow. */
	col = 0;
	for (k = 0; k < n; k++) {
		canvas_fill(c, bar + col, y, blocks[k], st->mono ? segs[k].mono : st->fill,
			    segs[k].elem);
		col += blocks[k];
	}
	canvas_fill(c, bar + used, y, w - used, ' ', st->shadow_elem);

	/* The text, right-aligned (its start kept when too long), over the
	 * fill in the colour of the segment under each character. */
	if (!text || !*text)
		return;
	len = utf8_prefix(text, w);
	tw = utf8_width_n(text, len);
	col = w - tw;
	for (pos = 0; pos < len;) {
		uint32_t cp;

		pos += utf8_decode(text + pos, len - pos, &cp);
		if (utf8_cpwidth(cp) == 0)
			continue;
		col += canvas_putc(c, bar + col, y, cp,
				   elem_at(segs, blocks, n, col, st->text_elem));
	}
}
