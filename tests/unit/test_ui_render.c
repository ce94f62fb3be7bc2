/* test_ui_render: the live view's drawing pieces that need no terminal:
 * UTF-8 widths, the canvas (clipping, wide characters, ASCII mode), the
 * bar meter (htop's ceil(v/total*w) blocks, clipping, the text over the
 * fill, monochrome characters), the column layout by terminal width, and
 * cutting long names in the middle, paths on the left, "name (file:line)". */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "ui/canvas.h"
#include "ui/columns.h"
#include "ui/meter.h"
#include "ui/theme.h"
#include "ui/utf8.h"

#define ELL "\xe2\x80\xa6"    /* … */

static char row[4096];

static const char *line(const struct canvas *c, int y)
{
	canvas_row_text(c, y, row, sizeof(row));
	return row;
}

static void test_utf8(void)
{
	uint32_t cp;

	tap_is(utf8_width("abc"), 3, "utf8: ASCII width");
	tap_is(utf8_width("Größe"), 5, "utf8: Latin-1 width");
	tap_is(utf8_width("计算函数"), 8, "utf8: CJK is double width");
	tap_is(utf8_width("𠮷野家"), 6, "utf8: CJK extension B (4-byte) double width");
	tap_is(utf8_width("e\xcc\x81"), 1, "utf8: a combining accent takes no column");
	tap_is((long long)utf8_decode("\xc0\xaf", 2, &cp), 1, "utf8: overlong: one byte");
	tap_is(cp, 0xfffd, "utf8: ... replaced");
	tap_is((long long)utf8_decode("\xe2\x82", 2, &cp), 1, "utf8: truncated sequence: one byte");
	tap_is((long long)utf8_decode("\xed\xa0\x80", 3, &cp), 1, "utf8: surrogate rejected");
	tap_is((long long)utf8_prefix("計算abc", 3), 3, "utf8: prefix stops before a wide char that does not fit");
	tap_is((long long)utf8_suffix("abc計算", 3), 6, "utf8: suffix likewise");
	tap_is((long long)utf8_prev("aé", 3), 1, "utf8: prev steps over a whole code point");
}

static void test_canvas(void)
{
	struct canvas c;

	canvas_init(&c, 10, 2, false);
	tap_is(canvas_put(&c, 0, 0, 10, "hello", EL_DEFAULT), 5, "canvas: put returns columns");
	tap_str(line(&c, 0), "hello     ", "canvas: row text");
	tap_is(canvas_put(&c, 7, 0, 10, "world", EL_DEFAULT), 3, "canvas: clipped at the right edge");
	tap_str(line(&c, 0), "hello  wor", "canvas: clipped text");
	canvas_clear(&c);
	tap_is(canvas_put(&c, 0, 1, 9, "ab計算函数", EL_DEFAULT), 8, "canvas: wide chars take two cells");
	tap_str(line(&c, 1), "ab計算函  ", "canvas: a wide char that would cross maxw is left out");
	canvas_putc(&c, 3, 1, 'X', EL_DEFAULT);
	tap_str(line(&c, 1), "ab X算函  ", "canvas: overwriting half a wide char blanks the other half");
	canvas_free(&c);
	canvas_init(&c, 8, 1, true);
	canvas_put(&c, 0, 0, 8, "Größe\x01", EL_DEFAULT);
	tap_str(line(&c, 0), "Gr??e?  ", "canvas: ASCII mode and control characters print '?'");
	tap_is(canvas_put_right(&c, 0, 0, 8, "ab", EL_DEFAULT), 2, "canvas: right-aligned");
	tap_str(line(&c, 0), "Gr??e?ab", "canvas: right-aligned text at the end");
	canvas_free(&c);
}

static void test_meter(void)
{
	struct meter_seg segs[3] = {
		{ 50, EL_BAR_RUNNING, '#' }, { 25, EL_BAR_GIL_WAIT, '%' }, { 1, EL_BAR_UNKNOWN, '?' },
	};
	struct meter_style mono = { true, '|', EL_DEFAULT, EL_BAR_FRAME, EL_BAR_TEXT, EL_BAR_SHADOW };
	struct meter_style color = { false, '|', EL_DEFAULT, EL_BAR_FRAME, EL_BAR_TEXT, EL_BAR_SHADOW };
	struct canvas c;
	int blocks[3];

	tap_is(meter_blocks(segs, 3, 100, 10, blocks), 9, "meter: 50+25+1 of 100 in 10 cells use 9");
	tap_ok(blocks[0] == 5 && blocks[1] == 3 && blocks[2] == 1,
	       "meter: blocks are ceil(v/total*w): 5, 3 (2.5 up), 1 (0.1 up)");
	{
		struct meter_seg full[2] = { { 90, 1, '#' }, { 90, 2, '%' } };

		tap_is(meter_blocks(full, 2, 100, 10, blocks), 10, "meter: the bar never overflows");
		tap_ok(blocks[0] == 9 && blocks[1] == 1, "meter: the last segment gets what is left");
	}
	{
		struct meter_seg over[1] = { { 500, 1, '#' } };

		meter_blocks(over, 1, 100, 10, blocks);
		tap_is(blocks[0], 10, "meter: a value above the total is clipped to it");
		tap_is(meter_blocks(over, 1, 0, 10, blocks), 0, "meter: total 0 draws nothing");
	}
	canvas_init(&c, 20, 1, false);
	meter_draw(&c, 0, 0, 20, "cpu", segs, 3, 100, NULL, &mono);
	tap_str(line(&c, 0), "cpu[########%%%%?  ]", "meter: caption, [, mono chars per segment (8, 4, 1 of 15), shadow, ]");
	tap_ok(canvas_at(&c, 4, 0)->elem == EL_BAR_RUNNING && canvas_at(&c, 12, 0)->elem == EL_BAR_GIL_WAIT &&
	       canvas_at(&c, 18, 0)->elem == EL_BAR_SHADOW && canvas_at(&c, 3, 0)->elem == EL_BAR_FRAME,
	       "meter: each cell in its segment's element");
	meter_draw(&c, 0, 0, 20, NULL, segs, 3, 100, "run 50%", &color);
	tap_str(line(&c, 0), "[|||||||||||run 50%]", "meter: colour fill, text right-aligned over it");
	tap_ok(canvas_at(&c, 12, 0)->elem == EL_BAR_GIL_WAIT && canvas_at(&c, 15, 0)->elem == EL_BAR_UNKNOWN &&
	       canvas_at(&c, 17, 0)->elem == EL_BAR_TEXT,
	       "meter: the text takes the colour of the segment under it (text colour on the shadow)");
	{
		struct meter_seg low[1] = { { 10, EL_BAR_RUNNING, '#' } };

		meter_draw(&c, 0, 0, 20, NULL, low, 1, 100, "10%", &color);
		tap_str(line(&c, 0), "[||             10%]", "meter: short fill, text on the shadow");
		tap_ok(canvas_at(&c, 18, 0)->elem == EL_BAR_TEXT, "meter: text over the shadow in the text element");
	}
	canvas_clear(&c);
	meter_draw(&c, 0, 0, 8, NULL, segs, 3, 100, "much too long", &color);
	tap_str(line(&c, 0), "[much t]            ", "meter: a long text keeps its start, clipped to the bar");
	canvas_free(&c);
}

static const struct column cols[] = {
	{ "%Own", 6, 0, 0, 0, true },
	{ "%Total", 7, 0, 0, 0, true },
	{ "OwnTime", 8, 0, 0, 0, true },
	{ "TotalTime", 10, 0, 0, 0, true },
	{ "OwnSamples", 10, 1, 0, 0, true },
	{ "TotSamples", 10, 1, 0, 0, true },
	{ "Function", 20, 0, 1, 70, false },
};

static void test_columns(void)
{
	struct col_slot s[8];
	size_t n;
	char out[256];
	int nc;

	n = columns_layout(cols, 7, 80, s);
	tap_is(n, 5, "layout 80: the five columns of priority 0");
	tap_ok(s[0].x == 0 && s[1].x == 7 && s[4].col == 6 && s[4].x == 35 && s[4].w == 45,
	       "layout 80: positions, the function column takes the rest (45)");
	n = columns_layout(cols, 7, 160, s);
	tap_is(n, 7, "layout 160: the sample columns too");
	tap_ok(s[6].col == 6 && s[6].x + s[6].w == 160, "layout 160: the function column fills the line");
	n = columns_layout(cols, 7, 120, s);
	tap_is(n, 6, "layout 120: one sample column (the function column keeps its 70)");
	n = columns_layout(cols, 7, 100, s);
	tap_is(n, 5, "layout 100: none yet");
	n = columns_layout(cols, 7, 40, s);
	tap_ok(n == 4 && s[3].col == 3, "layout 40: the function column no longer fits: dropped");
	{
		size_t total = 0, i;

		n = columns_layout(cols, 7, 97, s);
		for (i = 0; i < n; i++)
			total += (size_t)s[i].w + (i ? 1 : 0);
		tap_is(total, 97, "layout: columns and gaps add up to the width");
	}

	tap_str(columns_trunc_right("abcdefghij", 6, ELL, out, sizeof(out)), "abcde" ELL, "trunc right");
	tap_str(columns_trunc_left("/usr/lib/python3.11/threading.py", 16, ELL, out, sizeof(out)),
		ELL "11/threading.py", "trunc left keeps the end of a path");
	tap_str(columns_trunc_middle("Thread._bootstrap_inner", 13, ELL, out, sizeof(out)),
		"Thread" ELL "_inner", "trunc middle: both ends, the tail the larger half");
	tap_str(columns_trunc_middle("short", 13, ELL, out, sizeof(out)), "short", "trunc middle: fits");
	tap_str(columns_trunc_middle("abcdefgh", 6, "~", out, sizeof(out)), "ab~fgh", "trunc middle: ASCII ellipsis");
	tap_str(columns_trunc_middle("計算函数計算函数", 7, ELL, out, sizeof(out)), "計" ELL "数",
		"trunc middle: wide characters");
	tap_is(utf8_width(columns_trunc_left("計算函数計算函数", 5, ELL, out, sizeof(out))), 5,
	       "trunc left: wide characters within the width");

	tap_str(columns_location("work", "/app/x.py", 12, 40, ELL, out, sizeof(out), &nc),
		"work (/app/x.py:12)", "location: fits");
	tap_is(nc, 4, "location: name columns");
	tap_str(columns_location("work", "/very/long/path/to/the/module/x.py", 12, 24, ELL, out, sizeof(out), &nc),
		"work (" ELL "e/module/x.py:12)", "location: the path is cut on the left first");
	tap_str(columns_location("SomeClass.some_very_long_method_name", "/very/long/path/mod.py", 7, 36,
				 ELL, out, sizeof(out), &nc),
		"SomeClass" ELL "thod_name (" ELL "path/mod.py:7)",
		"location: then the name in the middle, the path kept to 12 columns");
	tap_is(utf8_width(out), 36, "location: exactly the width");
	tap_str(columns_location("a_rather_long_function_name", "/x/y.py", 3, 12, ELL, out, sizeof(out), &nc),
		"a_rat" ELL "n_name", "location: no room for the file: the name alone");
	tap_str(columns_location("f", "<string>", 0, 30, ELL, out, sizeof(out), &nc), "f (<string>)",
		"location: no line number");
}

int main(void)
{
	test_utf8();
	test_canvas();
	test_meter();
	test_columns();
	return tap_done();
}
