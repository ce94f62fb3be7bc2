/* columns: layout and truncation. */
#include "ui/columns.h"

#include <stdio.h>
#include <string.h>

#include "ui/utf8.h"

#define MIN_FILE_COLS 12      /* a cut path keeps at least this much */
#define MIN_NAME_COLS 8

size_t columns_layout(const struct column *defs, size_t n, int width, struct col_slot *out)
{
	bool take[64];
	int used = 0, prio, maxprio = 0, spare, flex = 0, last = -1, x, reserve = 0;
	size_t i, k = 0;

	if (n > sizeof(take) / sizeof(take[0]))
		n = sizeof(take) / sizeof(take[0]);
	for (i = 0; i < n; i++) {
		take[i] = false;
		if (defs[i].priority > maxprio)
			maxprio = defs[i].priority;
	}
	for (prio = 0; prio <= maxprio; prio++) {
		for (i = 0; i < n; i++) {
			int need;

			if (defs[i].priority != prio)
				continue;
			need = defs[i].width + (used ? 1 : 0);
			if (used + need + (prio > 0 ? reserve : 0) > width)
				continue;
			take[i] = true;
			used += need;
			if (defs[i].flex > 0 && defs[i].want > defs[i].width)
				reserve += defs[i].want - defs[i].width;
		}
	}
	spare = width - used;
	for (i = 0; i < n; i++)
		if (take[i] && defs[i].flex > 0) {
			flex += defs[i].flex;
			last = (int)i;
		}
	x = 0;
	for (i = 0; i < n; i++) {
		int w;

		if (!take[i])
			continue;
		w = defs[i].width;
		if (defs[i].flex > 0 && flex > 0) {
			int extra = (int)i == last ? spare : spare * defs[i].flex / flex;

			w += extra;
			spare -= extra;
			flex -= defs[i].flex;
		}
		out[k].col = (int)i;
		out[k].x = x;
		out[k].w = w;
		k++;
		x += w + 1;
	}
	return k;
}

static void copy_bytes(char *out, size_t cap, const char *s, size_t n)
{
	if (cap == 0)
		return;
	if (n >= cap)
		n = cap - 1;
	memcpy(out, s, n);
	out[n] = '\0';
}

char *columns_trunc_right(const char *s, int width, const char *ellipsis, char *out, size_t cap)
{
	int ew = utf8_width(ellipsis);
	size_t keep;

	if (width <= 0) {
		copy_bytes(out, cap, "", 0);
		return out;
	}
	if (utf8_width(s) <= width) {
		copy_bytes(out, cap, s, strlen(s));
		return out;
	}
	if (ew > width) {
		copy_bytes(out, cap, s, utf8_prefix(s, width));
		return out;
	}
	keep = utf8_prefix(s, width - ew);
	snprintf(out, cap, "%.*s%s", (int)keep, s, ellipsis);
	return out;
}

char *columns_trunc_left(const char *s, int width, const char *ellipsis, char *out, size_t cap)
{
	int ew = utf8_width(ellipsis);
	size_t from;

	if (width <= 0) {
		copy_bytes(out, cap, "", 0);
		return out;
	}
	if (utf8_width(s) <= width) {
		copy_bytes(out, cap, s, strlen(s));
		return out;
	}
	if (ew > width) {
		from = utf8_suffix(s, width);
		copy_bytes(out, cap, s + from, strlen(s + from));
		return out;
	}
	from = utf8_suffix(s, width - ew);
	snprintf(out, cap, "%s%s", ellipsis, s + from);
	return out;
}

char *columns_trunc_middle(const char *s, int width, const char *ellipsis, char *out, size_t cap)
{
	int ew = utf8_width(ellipsis), head, tail;
	size_t hb, tb;

	if (width <= 0 || utf8_width(s) <= width || ew + 2 > width)
		return columns_trunc_right(s, width, ellipsis, out, cap);
	/* The end of a qualified name is its most telling part: the tail gets
	 * the larger half. */
	head = (width - ew) / 2;
	tail = width - ew - head;
	hb = utf8_prefix(s, head);
	tb = utf8_suffix(s, tail);
	if (tb < hb)
		tb = hb;
	snprintf(out, cap, "%.*s%s%s", (int)hb, s, ellipsis, s + tb);
	return out;
}

char *columns_location(const char *name, const char *file, int line, int width,
		       const char *ellipsis, char *out, size_t cap, int *name_cols)
{
	char suffix[32], fbuf[1024], nbuf[1024];
	int nw = utf8_width(name), fw = utf8_width(file), sw, budget, fmin;

	if (line > 0)
		snprintf(suffix, sizeof(suffix), ":%d)", line);
	else
		snprintf(suffix, sizeof(suffix), ")");
	sw = (int)strlen(suffix);
	if (nw + 2 + fw + sw <= width) {
		snprintf(out, cap, "%s (%s%s", name, file, suffix);
		*name_cols = nw;
		return out;
	}
	fmin = fw < MIN_FILE_COLS ? fw : MIN_FILE_COLS;
	budget = width - nw - 2 - sw;
	if (budget >= fmin) {
		columns_trunc_left(file, budget, ellipsis, fbuf, sizeof(fbuf));
		snprintf(out, cap, "%s (%s%s", name, fbuf, suffix);
		*name_cols = nw;
		return out;
	}
	budget = width - 2 - fmin - sw;
	if (budget >= MIN_NAME_COLS) {
		columns_trunc_left(file, fmin, ellipsis, fbuf, sizeof(fbuf));
		columns_trunc_middle(name, budget, ellipsis, nbuf, sizeof(nbuf));
		snprintf(out, cap, "%s (%s%s", nbuf, fbuf, suffix);
		*name_cols = utf8_width(nbuf);
		return out;
	}
	columns_trunc_middle(name, width, ellipsis, out, cap);
	*name_cols = utf8_width(out);
	return out;
}
