/* canvas: cells in row-major order; drawing clips at every edge. */
#include "ui/canvas.h"

#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "output/escape.h"
#include "ui/utf8.h"

void canvas_init(struct canvas *c, int w, int h, bool ascii)
{
	c->w = w > 0 ? w : 0;
	c->h = h > 0 ? h : 0;
	c->ascii = ascii;
	c->cells = xcalloc((size_t)c->w * (size_t)c->h + 1, sizeof(*c->cells));
	canvas_clear(c);
}

void canvas_resize(struct canvas *c, int w, int h)
{
	bool ascii = c->ascii;

	canvas_free(c);
	canvas_init(c, w, h, ascii);
}

void canvas_free(struct canvas *c)
{
	free(c->cells);
	c->cells = NULL;
	c->w = c->h = 0;
}

void canvas_clear(struct canvas *c)
{
	size_t i, n = (size_t)c->w * (size_t)c->h;

	for (i = 0; i < n; i++) {
		c->cells[i].ch = ' ';
		c->cells[i].elem = 0;
	}
}

struct cell *canvas_at(struct canvas *c, int x, int y)
{
	if (x < 0 || y < 0 || x >= c->w || y >= c->h)
		return NULL;
	return &c->cells[(size_t)y * (size_t)c->w + (size_t)x];
}

/* Overwriting half of a wide character blanks its other half. */
static void unwide(struct canvas *c, int x, int y)
{
	struct cell *p = canvas_at(c, x, y), *q;

	if (!p)
		return;
	if (p->ch == CANVAS_WIDE_TAIL && (q = canvas_at(c, x - 1, y)))
		q->ch = ' ';
	if ((q = canvas_at(c, x + 1, y)) && q->ch == CANVAS_WIDE_TAIL)
		q->ch = ' ';
}

void canvas_fill(struct canvas *c, int x, int y, int n, uint32_t ch, uint8_t elem)
{
	int i;

	for (i = 0; i < n; i++)
		canvas_putc(c, x + i, y, ch, elem);
}

void canvas_paint(struct canvas *c, int x, int y, int n, uint8_t elem)
{
	int i;

	for (i = 0; i < n; i++) {
		struct cell *p = canvas_at(c, x + i, y);

		if (p)
			p->elem = elem;
	}
}

int canvas_putc(struct canvas *c, int x, int y, uint32_t ch, uint8_t elem)
{
	struct cell *p = canvas_at(c, x, y), *q;
	int w;

	if (!p)
		return 0;
	if (escape_is_control(ch))      /* the writers' rule (output/escape.h) */
		ch = '?';
	if (c->ascii && ch > 0x7e)
		ch = '?';
	w = utf8_cpwidth(ch);
	if (w == 0)
		return 0;       /* combining marks are dropped, not overlaid */
	if (w == 2 && !(q = canvas_at(c, x + 1, y)))
		return 0;
	unwide(c, x, y);
	p->ch = ch;
	p->elem = elem;
	if (w == 2) {
		q = canvas_at(c, x + 1, y);
		unwide(c, x + 1, y);
		q->ch = CANVAS_WIDE_TAIL;
		q->elem = elem;
	}
	return w;
}

int canvas_put(struct canvas *c, int x, int y, int maxw, const char *text, uint8_t elem)
{
	size_t n = strlen(text), i = 0;
	int used = 0;

	if (x + maxw > c->w)
		maxw = c->w - x;
	while (i < n && used < maxw) {
		uint32_t cp;
		int w;

		i += utf8_decode(text + i, n - i, &cp);
		if (c->ascii && cp > 0x7e)
			cp = '?';
		w = utf8_cpwidth(cp);
		if (w == 0)
			continue;
		if (used + w > maxw)
			break;
		used += canvas_putc(c, x + used, y, cp, elem);
	}
	return used;
}

/* Columns text takes on this canvas (in ASCII mode every code point is
 * one '?' or itself). */
static int text_cols(const struct canvas *c, const char *text)
{
	size_t n = strlen(text), i = 0;
	int w = 0;

	if (!c->ascii)
		return utf8_width(text);
	while (i < n) {
		uint32_t cp;

		i += utf8_decode(text + i, n - i, &cp);
		w++;
	}
	return w;
}

int canvas_put_right(struct canvas *c, int x, int y, int maxw, const char *text, uint8_t elem)
{
	int w = text_cols(c, text);

	if (w > maxw)
		w = maxw;
	return canvas_put(c, x + maxw - w, y, w, text, elem);
}

void canvas_row_text(const struct canvas *c, int y, char *out, size_t cap)
{
	size_t len = 0;
	int x;

	if (cap == 0)
		return;
	out[0] = '\0';
	if (y < 0 || y >= c->h)
		return;
	for (x = 0; x < c->w; x++) {
		uint32_t ch = c->cells[(size_t)y * (size_t)c->w + (size_t)x].ch;
		char buf[4];
		size_t k;

		if (ch == CANVAS_WIDE_TAIL)
			continue;
		k = utf8_encode(ch, buf);
		if (len + k + 1 > cap)
			break;
		memcpy(out + len, buf, k);
		len += k;
	}
	out[len] = '\0';
}
