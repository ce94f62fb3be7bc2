/* draw: helpers over canvas, theme and columns. */
#include "ui/draw.h"

#include <stdio.h>

#include "ui/columns.h"
#include "ui/theme.h"
#include "ui/utf8.h"
#include "util/duration.h"

#define PCT_HOT 20.0
#define PCT_WARM 5.0

uint8_t draw_pct_elem(double pct)
{
	if (pct >= PCT_HOT)
		return EL_PCT_HOT;
	if (pct >= PCT_WARM)
		return EL_PCT_WARM;
	if (pct <= 0.0)
		return EL_DIM;
	return EL_PCT;
}

void draw_pct(struct canvas *c, int x, int y, int w, double pct)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%.1f%%", pct);
	canvas_put_right(c, x, y, w, buf, draw_pct_elem(pct));
}

void draw_time(struct canvas *c, int x, int y, int w, double seconds)
{
	char buf[32];

	duration_format(buf, sizeof(buf), seconds);
	canvas_put_right(c, x, y, w, buf, seconds > 0 ? EL_DEFAULT : EL_DIM);
}

void draw_count(struct canvas *c, int x, int y, int w, uint64_t n)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)n);
	if ((int)utf8_width(buf) > w) {
		if (n >= 1000000000ull)
			snprintf(buf, sizeof(buf), "%.1fG", (double)n / 1e9);
		else if (n >= 1000000ull)
			snprintf(buf, sizeof(buf), "%.1fM", (double)n / 1e6);
		else
			snprintf(buf, sizeof(buf), "%.1fk", (double)n / 1e3);
	}
	canvas_put_right(c, x, y, w, buf, n ? EL_DEFAULT : EL_DIM);
}

void draw_location(struct canvas *c, int x, int y, int w, enum func_kind kind, const char *name,
		   const char *file, int line, const char *ellipsis)
{
	char buf[2048];
	int name_cols, used;

	if (w <= 0)
		return;
	columns_location(name, file, line, w, ellipsis, buf, sizeof(buf), &name_cols);
	used = canvas_put(c, x, y, w, buf, EL_LOCATION);
	canvas_paint(c, x, y, name_cols < used ? name_cols : used,
		     kind == FUNC_KIND_NATIVE ? EL_FUNC_NATIVE : EL_FUNC);
}

void draw_title(struct canvas *c, int x, int y, int w, const char *text, bool focused)
{
	uint8_t elem = focused ? EL_PANE_TITLE_FOCUS : EL_PANE_TITLE;

	canvas_fill(c, x, y, w, ' ', elem);
	canvas_put(c, x, y, w, text, elem);
}

void draw_selection(struct canvas *c, int x, int y, int w, bool focused)
{
	canvas_paint(c, x, y, w, focused ? EL_SELECTION : EL_SELECTION_DIM);
}

void draw_scroll(int *top, int sel, int rows, int n)
{
	if (rows <= 0) {
		*top = 0;
		return;
	}
	if (sel < *top)
		*top = sel;
	if (sel >= *top + rows)
		*top = sel - rows + 1;
	if (*top > n - rows)
		*top = n - rows;
	if (*top < 0)
		*top = 0;
}
