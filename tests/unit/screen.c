/* screen: the live view's canvas read and typed into by the C unit tests. */
#include "screen.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ui/canvas.h"
#include "ui/tui.h"

static char rowbuf[8192];

const char *row_of(const struct canvas *c, int y)
{
	canvas_row_text(c, y, rowbuf, sizeof(rowbuf));
	return rowbuf;
}

int find_row(const struct canvas *c, const char *text)
{
	int y;

	for (y = 0; y < c->h; y++)
		if (strstr(row_of(c, y), text))
			return y;
	return -1;
}

bool screen_has(const struct canvas *c, const char *text)
{
	return find_row(c, text) >= 0;
}

void render(struct tui *t, struct canvas *c)
{
	int cy;

	tui_render(t, c, &cy);
}

void dump(const struct canvas *c)
{
	int y;

	for (y = 0; y < c->h; y++)
		printf("#   |%s|\n", row_of(c, y));
}

void keys(struct tui *t, const char *s)
{
	for (; *s; s++)
		tui_key(t, (uint32_t)(unsigned char)*s);
}
