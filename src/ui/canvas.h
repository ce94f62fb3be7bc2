/* canvas: a grid of cells (code point + colour element) that every pane
 * draws into; only screen.c copies it to the terminal, so the panes need no
 * curses and can be tested as text. */
#ifndef PYTOP_UI_CANVAS_H
#define PYTOP_UI_CANVAS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Marks the right half of a double-width character. */
#define CANVAS_WIDE_TAIL 0xffffffffu

/* One screen cell. */
struct cell {
	uint32_t ch;          /* code point, or CANVAS_WIDE_TAIL */
	uint8_t elem;         /* enum theme_elem */
};

/* A w x h grid; ascii: code points above 0x7e are drawn as '?'. */
struct canvas {
	int w, h;
	bool ascii;
	struct cell *cells;
};

/* Make an empty (blank, element 0) canvas. */
void canvas_init(struct canvas *c, int w, int h, bool ascii);

/* Change its size; the content is cleared. */
void canvas_resize(struct canvas *c, int w, int h);

/* Free the cells. */
void canvas_free(struct canvas *c);

/* Blank every cell. */
void canvas_clear(struct canvas *c);

/* The cell at (x, y), or NULL outside the canvas. */
struct cell *canvas_at(struct canvas *c, int x, int y);

/* Fill n cells from (x, y) with ch in elem (clipped). */
void canvas_fill(struct canvas *c, int x, int y, int n, uint32_t ch, uint8_t elem);

/* Set the element of n cells from (x, y), keeping their characters. */
void canvas_paint(struct canvas *c, int x, int y, int n, uint8_t elem);

/* Put one code point at (x, y); returns the columns used (0 if clipped). */
int canvas_putc(struct canvas *c, int x, int y, uint32_t ch, uint8_t elem);

/* Put UTF-8 text at (x, y), at most maxw columns (and never past the
 * right edge; a wide character that does not fit is left out). Control
 * characters print as '?'. Returns the columns used. */
int canvas_put(struct canvas *c, int x, int y, int maxw, const char *text, uint8_t elem);

/* As canvas_put, right-aligned in the maxw columns starting at x. */
int canvas_put_right(struct canvas *c, int x, int y, int maxw, const char *text, uint8_t elem);

/* Row y as UTF-8 text (wide tails skipped) into out; trailing blanks kept.
 * For tests and screen dumps. */
void canvas_row_text(const struct canvas *c, int y, char *out, size_t cap);

#endif
