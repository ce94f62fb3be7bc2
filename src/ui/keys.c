/* keys: the binding table. Help text is written for the help screen. */
#include "ui/keys.h"

#include <curses.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ui/utf8.h"

#define F(n) KEYS_FN(KEY_F(n))

static const struct key_binding table[] = {
	{ { 'q', F(10) }, ACT_QUIT, "Quit (a program pytop started is stopped)", "Quit" },
	{ { '?', 'h', F(1) }, ACT_HELP, "This help", "Help" },
	{ { '\t' }, ACT_FOCUS_NEXT, "Focus the next pane (table, threads, stack)", NULL },
	{ { KEYS_FN(KEY_BTAB) }, ACT_FOCUS_PREV, "Focus the previous pane", NULL },
	{ { KEYS_FN(KEY_UP), 'k' }, ACT_UP, "Move the selection up", NULL },
	{ { KEYS_FN(KEY_DOWN), 'j' }, ACT_DOWN, "Move the selection down", NULL },
	{ { KEYS_FN(KEY_PPAGE), KEYS_CTRL('b') }, ACT_PAGE_UP, "Page up", NULL },
	{ { KEYS_FN(KEY_NPAGE), KEYS_CTRL('f') }, ACT_PAGE_DOWN, "Page down", NULL },
	{ { KEYS_FN(KEY_HOME), KEYS_FN(KEY_A1) }, ACT_HOME, "First row", NULL },
	{ { KEYS_FN(KEY_END), KEYS_FN(KEY_C1) }, ACT_END, "Last row", NULL },
	{ { 's', F(2) }, ACT_SORT_NEXT, "Sort by the next column", "Sort" },
	{ { 'S' }, ACT_SORT_PREV, "Sort by the previous column", NULL },
	{ { '1' }, ACT_SORT_1, "Sort by %Own (again: reverse)", NULL },
	{ { '2' }, ACT_SORT_2, "Sort by %Total (again: reverse)", NULL },
	{ { '3' }, ACT_SORT_3, "Sort by OwnTime (again: reverse)", NULL },
	{ { '4' }, ACT_SORT_4, "Sort by TotalTime (again: reverse)", NULL },
	{ { 'I' }, ACT_SORT_INVERT, "Invert the sort order", NULL },
	{ { '/', F(3) }, ACT_FILTER, "Filter functions by name or file (Esc clears)", "Filter" },
	{ { 't', F(4) }, ACT_FOLLOW, "Follow the selected thread / all threads", "Thread" },
	{ { 'L', F(5) }, ACT_LINES, "Aggregate by function / by line", "Lines" },
	{ { 'c' }, ACT_CUMULATIVE, "Percentages over the last refresh / cumulative", NULL },
	{ { '\n', '\r', KEYS_FN(KEY_ENTER) }, ACT_ENTER, "Open the selected function: callers, callees, lines", NULL },
	{ { KEYS_ESC, KEYS_FN(KEY_BACKSPACE), 127 }, ACT_BACK, "Back from the detail view; clear the filter", NULL },
	{ { 'g', F(6) }, ACT_GILSTAT, "GIL statistics: start gilstat / show it; in its view: stop it", "GIL" },
	{ { 'G' }, ACT_GIL_MODE, "Count only samples holding the GIL (again: back)", NULL },
	{ { 'm' }, ACT_MODE, "What counts: cpu (on CPU) -> wall (every sample: where a stuck program waits) -> gil; resets the counts", NULL },
	{ { 'p', ' ', F(7) }, ACT_PAUSE, "Pause / resume the display (sampling goes on)", "Pause" },
	{ { 'r', F(8) }, ACT_RESET, "Reset everything shown (after the target exited: asks first)", "Reset" },
	{ { 'w', F(9) }, ACT_SAVE, "Save a snapshot: edit the file name, Tab picks the format (in the trace/watch pane: its text)", "Save" },
	{ { 'T' }, ACT_TRACE, "Detail view: trace the function (the prompt opens on :trace FILE:LINE; add flags, Enter)", NULL },
	{ { 'W' }, ACT_WATCH, "Detail view: watch the function (its arguments, result, cost per call)", NULL },
	{ { '+', '=' }, ACT_DELAY_UP, "Refresh less often (longer interval)", NULL },
	{ { '-', '_' }, ACT_DELAY_DOWN, "Refresh more often (shorter interval)", NULL },
	{ { ':' }, ACT_PROMPT, "Command prompt (Tab completes, Up/Down history)", NULL },
	{ { KEYS_CTRL('l') }, ACT_REDRAW, "Redraw the screen", NULL },
};

const struct key_binding *keys_table(size_t *n)
{
	*n = sizeof(table) / sizeof(table[0]);
	return table;
}

enum action keys_action(uint32_t key)
{
	size_t i, k;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		for (k = 0; k < KEYS_PER_BINDING && table[i].keys[k]; k++)
			if (table[i].keys[k] == key)
				return table[i].action;
	return ACT_NONE;
}

const struct key_binding *keys_binding(enum action a)
{
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].action == a)
			return &table[i];
	return NULL;
}

const char *keys_name(uint32_t key, char *buf, size_t cap)
{
	static const struct {
		int code;
		const char *name;
	} fnames[] = {
		{ KEY_UP, "Up" }, { KEY_DOWN, "Down" }, { KEY_LEFT, "Left" }, { KEY_RIGHT, "Right" },
		{ KEY_PPAGE, "PgUp" }, { KEY_NPAGE, "PgDn" }, { KEY_HOME, "Home" }, { KEY_END, "End" },
		{ KEY_BTAB, "S-Tab" }, { KEY_ENTER, "Enter" }, { KEY_BACKSPACE, "Backspace" },
		{ KEY_A1, "Home" }, { KEY_C1, "End" }, { KEY_DC, "Delete" }, { KEY_RESIZE, "Resize" },
	};
	size_t i;

	if (KEYS_IS_FN(key)) {
		int code = (int)(key & ~0x200000u);

		if (code >= KEY_F(1) && code <= KEY_F(12)) {
			snprintf(buf, cap, "F%d", code - KEY_F0);
			return buf;
		}
		for (i = 0; i < sizeof(fnames) / sizeof(fnames[0]); i++)
			if (fnames[i].code == code) {
				snprintf(buf, cap, "%s", fnames[i].name);
				return buf;
			}
		snprintf(buf, cap, "key%d", code);
		return buf;
	}
	switch (key) {
	case '\t': snprintf(buf, cap, "Tab"); return buf;
	case '\n': snprintf(buf, cap, "Enter"); return buf;
	case '\r': snprintf(buf, cap, "Return"); return buf;
	case ' ': snprintf(buf, cap, "Space"); return buf;
	case KEYS_ESC: snprintf(buf, cap, "Esc"); return buf;
	case 127: snprintf(buf, cap, "Backspace"); return buf;
	default: break;
	}
	if (key < 0x20) {
		snprintf(buf, cap, "^%c", (char)(key + '@'));
		return buf;
	}
	{
		char u[5];
		size_t n = utf8_encode(key, u);

		u[n] = '\0';
		snprintf(buf, cap, "%s", u);
	}
	return buf;
}

const char *keys_names(const struct key_binding *b, char *buf, size_t cap)
{
	size_t k, len = 0;

	buf[0] = '\0';
	for (k = 0; k < KEYS_PER_BINDING && b->keys[k]; k++) {
		char one[24];
		size_t i;
		bool dup = false;

		keys_name(b->keys[k], one, sizeof(one));
		/* Enter/Return and two Home keys would read twice. */
		for (i = 0; i < k; i++) {
			char other[24];

			if (strcmp(keys_name(b->keys[i], other, sizeof(other)), one) == 0)
				dup = true;
		}
		if (dup || strcmp(one, "Return") == 0)
			continue;
		len += (size_t)snprintf(buf + len, len < cap ? cap - len : 0, "%s%s", len ? " " : "", one);
		if (len >= cap)
			break;
	}
	return buf;
}

void keys_bar(const struct key_binding *fkeys[10])
{
	int f;

	for (f = 1; f <= 10; f++) {
		enum action a = keys_action(F(f));
		const struct key_binding *b = keys_binding(a);

		fkeys[f - 1] = b && b->bar ? b : NULL;
	}
}
