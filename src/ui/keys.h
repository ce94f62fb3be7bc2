/* keys: the key bindings as one table of actions. The key handler, the
 * help screen and the function-key bar are all generated from it, so they
 * cannot drift apart. Keys are code points, or KEYS_FN(curses KEY_*) for
 * the terminal's function keys. */
#ifndef PYTOP_UI_KEYS_H
#define PYTOP_UI_KEYS_H

#include <stddef.h>
#include <stdint.h>

/* A curses function-key code as a key (outside the Unicode range). */
#define KEYS_FN(code) (0x200000u | (uint32_t)(code))
#define KEYS_IS_FN(key) (((key) & 0x200000u) != 0)
#define KEYS_CTRL(c) ((uint32_t)((c) & 0x1f))
#define KEYS_ESC 27u

/* What a key does. */
enum action {
	ACT_NONE = 0,
	ACT_QUIT,
	ACT_HELP,
	ACT_FOCUS_NEXT,
	ACT_FOCUS_PREV,
	ACT_UP,
	ACT_DOWN,
	ACT_PAGE_UP,
	ACT_PAGE_DOWN,
	ACT_HOME,
	ACT_END,
	ACT_SORT_NEXT,
	ACT_SORT_PREV,
	ACT_SORT_1,           /* %Own */
	ACT_SORT_2,           /* %Total */
	ACT_SORT_3,           /* OwnTime */
	ACT_SORT_4,           /* TotalTime */
	ACT_SORT_INVERT,
	ACT_FILTER,
	ACT_FOLLOW,
	ACT_LINES,
	ACT_CUMULATIVE,
	ACT_ENTER,
	ACT_BACK,
	ACT_GILSTAT,
	ACT_GIL_MODE,
	ACT_MODE,             /* cycle what counts: cpu, wall, gil */
	ACT_PAUSE,
	ACT_RESET,
	ACT_SAVE,
	ACT_TRACE,            /* trace the selected function (detail view) */
	ACT_WATCH,            /* watch it */
	ACT_DELAY_UP,
	ACT_DELAY_DOWN,
	ACT_PROMPT,
	ACT_REDRAW,
	ACT_COUNT
};

#define KEYS_PER_BINDING 4

/* One binding: up to four keys, one action, what the help says, and the
 * label in the function-key bar (NULL when it has no F-key). */
struct key_binding {
	uint32_t keys[KEYS_PER_BINDING];   /* 0-terminated when fewer */
	enum action action;
	const char *help;
	const char *bar;
};

/* The table, in help-screen order. */
const struct key_binding *keys_table(size_t *n);

/* The action of a key on the main screen (ACT_NONE if unbound). */
enum action keys_action(uint32_t key);

/* The binding of an action (NULL if none). */
const struct key_binding *keys_binding(enum action a);

/* A key's name for people: "q", "F10", "Tab", "PgUp", "Space", "Enter",
 * "Esc", "^L" ... into buf; returns buf. */
const char *keys_name(uint32_t key, char *buf, size_t cap);

/* "q F10" etc.: every key of a binding, space-separated, into buf. */
const char *keys_names(const struct key_binding *b, char *buf, size_t cap);

/* The function-key bar: for F1..F10, the binding that F-key triggers
 * (NULL when none); fkeys[i] is F(i+1). */
void keys_bar(const struct key_binding *fkeys[10]);

#endif
