/* columns: pure table layout: which columns fit a terminal width (by
 * priority, the flexible ones sharing what is left), and cutting text to a
 * width while keeping its informative end: names in the middle, paths on
 * the left, "name (file:line)" by shortening the path first. */
#ifndef PYTOP_UI_COLUMNS_H
#define PYTOP_UI_COLUMNS_H

#include <stdbool.h>
#include <stddef.h>

/* A column a table may show. */
struct column {
	const char *title;
	int width;            /* fixed width, or the least width when flexible */
	int priority;         /* 0 = always; higher numbers are dropped first */
	int flex;             /* share of the spare width (0 = fixed) */
	int want;             /* flexible: width it keeps before columns of a
			       * lower priority (priority > 0) are let in */
	bool right;           /* right-aligned */
};

/* A column placed on screen. */
struct col_slot {
	int col;              /* index into the definitions */
	int x, w;
};

/* Lay defs[0..n) out in `width` columns with one blank between columns:
 * take columns by ascending priority (definition order within a priority)
 * while their widths fit (for priority > 0, while the flexible columns
 * taken still get their `want`), then give the spare width to the flexible
 * ones (by flex weight; the last gets the rounding). Slots come out in
 * definition order; returns how many (<= n). */
size_t columns_layout(const struct column *defs, size_t n, int width, struct col_slot *out);

/* Copy s into out (cap bytes), cut to at most `width` columns:
 * _right keeps the start ("abcdef" -> "abc…"), _left keeps the end
 * ("…/pkg/mod.py"), _middle keeps both ends ("Class…method"). ellipsis is
 * the marker put where text was removed ("…" or "~"). Returns out. */
char *columns_trunc_right(const char *s, int width, const char *ellipsis, char *out, size_t cap);
char *columns_trunc_left(const char *s, int width, const char *ellipsis, char *out, size_t cap);
char *columns_trunc_middle(const char *s, int width, const char *ellipsis, char *out, size_t cap);

/* "name (file:line)" in at most `width` columns: the whole thing if it
 * fits; else the file cut on the left; if that leaves under `min_file`
 * columns of the path, the name is cut in the middle too; if even that
 * does not fit, the name alone cut in the middle. line <= 0 leaves ":line"
 * out. *name_cols gets how many leading columns are the name. */
char *columns_location(const char *name, const char *file, int line, int width,
		       const char *ellipsis, char *out, size_t cap, int *name_cols);

#endif
