/* lineedit: the prompt's line editor, pure (no curses): UTF-8 text with a
 * cursor, the usual Emacs-style editing keys, a history browsed with
 * Up/Down, and completion of the word under the cursor from a list of
 * candidates the caller supplies. Modelled on htop's LineEditor. */
#ifndef PYTOP_UI_LINEEDIT_H
#define PYTOP_UI_LINEEDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LINEEDIT_MAX 256        /* bytes of text, NUL included */
#define LINEEDIT_HISTORY 100    /* lines kept */

/* Editing keys (outside the Unicode range; printable keys are their code
 * point). */
enum lineedit_key {
	LE_LEFT = 0x110000, LE_RIGHT, LE_HOME, LE_END,
	LE_BACKSPACE, LE_DELETE,
	LE_KILL_END,          /* Ctrl-K */
	LE_KILL_START,        /* Ctrl-U */
	LE_KILL_WORD,         /* Ctrl-W: the word before the cursor */
	LE_WORD_LEFT, LE_WORD_RIGHT,
	LE_UP, LE_DOWN,       /* history */
	LE_ENTER, LE_CANCEL,
};

/* What a key did. */
enum lineedit_result {
	LE_UNCHANGED = 0,
	LE_CHANGED,           /* the text changed */
	LE_MOVED,             /* only the cursor moved */
	LE_ACCEPT,            /* Enter */
	LE_ABORT,             /* Esc / Ctrl-G */
};

struct lineedit {
	char buf[LINEEDIT_MAX];
	size_t len, cur;      /* bytes; cur is on a code point boundary */
	char *hist[LINEEDIT_HISTORY];
	size_t nhist;
	size_t hpos;          /* nhist = editing a new line */
	char draft[LINEEDIT_MAX];  /* the new line while browsing history */
};

/* Empty editor, empty history. */
void lineedit_init(struct lineedit *e);

/* Free the history. */
void lineedit_free(struct lineedit *e);

/* Replace the text (cursor at its end) and leave history browsing. */
void lineedit_set(struct lineedit *e, const char *text);

/* Insert UTF-8 text at the cursor (cut when the buffer is full); returns
 * whether anything was inserted. */
bool lineedit_insert(struct lineedit *e, const char *text);

/* Handle one key: a printable code point or an enum lineedit_key. */
enum lineedit_result lineedit_key(struct lineedit *e, uint32_t key);

/* Add a line to the history (not empty ones, not a repeat of the last). */
void lineedit_history_add(struct lineedit *e, const char *line);

/* The word the cursor is in or after: its start offset in *start, and its
 * index among the line's words (0 = the first) in *index. */
void lineedit_word(const struct lineedit *e, size_t *start, int *index);

/* Complete the word before the cursor from cands[0..n): the candidates it
 * is a prefix of (case-sensitive) are the matches; the word grows to their
 * longest common prefix, plus a space when there is just one. Returns the
 * number of matches; when out is not NULL, the first `outcap` matches are
 * stored there. */
size_t lineedit_complete(struct lineedit *e, const char *const *cands, size_t n,
			 const char **out, size_t outcap);

/* Columns from the start of the text to the cursor (for placing it). */
int lineedit_cursor_col(const struct lineedit *e);

#endif
