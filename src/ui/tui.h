/* tui: the live view without the terminal: a model (ui/model.h), a stack
 * of views over it (main at the bottom; the views table in tui.c), the
 * prompt, and the dispatch of keys, clicks and the effects (UI_FX_*) they
 * return; tui_render draws the header, the top view, the status line and
 * the function-key bar into a canvas. Nothing here calls curses (ui/loop
 * does, through ui/screen), so a tui can also run headless over a bare
 * aggregate for tests: feed keys, render into a canvas. */
#ifndef PYTOP_UI_TUI_H
#define PYTOP_UI_TUI_H

#include <stdbool.h>
#include <stdint.h>

#include "options.h"
#include "sampling/aggregate.h"
#include "ui/canvas.h"
#include "ui/model.h"
#include "ui/prompt.h"
#include "ui/view.h"

#define TUI_VIEWS_MAX 16

struct tui {
	struct ui_model m;
	struct prompt prompt;
	void *vstate[TUI_VIEWS_MAX];  /* each view's state, by views-table row */
	int stack[TUI_VIEWS_MAX];     /* views-table rows, main at the bottom */
	int depth;
	int fkey_x[11];               /* function-key bar: F(i+1) spans fkey_x[i]..fkey_x[i+1] */
	int fkeys_y;                  /* its row, -1 when hidden */
	bool quit;                    /* leave at the next tick */
	bool dirty;                   /* draw again */
	bool invalidate;              /* repaint the whole terminal */
};

/* A tui over agg (no session, no terminal); opt may be NULL. Free with
 * tui_free(). */
struct tui *tui_new(struct aggregate *agg, const struct options *opt);

/* Free a tui (not its aggregate, session, cpustat or sources). */
void tui_free(struct tui *t);

/* Query the rows, threads and stack again from the aggregate, and the
 * views their own numbers (no new window). */
void tui_requery(struct tui *t);

/* End the window: query the rows, then start a new window. */
void tui_refresh(struct tui *t);

/* Handle one key (a code point or KEYS_FN(code)). */
void tui_key(struct tui *t, uint32_t key);

/* Handle a click at screen cell (x, y); button 1 = left, 4/5 = wheel. */
void tui_click(struct tui *t, int x, int y, int button, bool double_click);

/* Run one `:` command line; 0, or -1 with an error in the status line. */
int tui_command(struct tui *t, const char *line);

/* Open the help screen. */
void tui_help(struct tui *t);

/* The name of the view on top ("main", "detail", "help", "gilstat"). */
const char *tui_view(const struct tui *t);

/* The main view's focused pane. */
enum pane_id tui_focus(const struct tui *t);

/* Draw everything into c (its size is the screen's). Returns the cursor
 * column (or -1 when hidden) and sets *cy to its row. */
int tui_render(struct tui *t, struct canvas *c, int *cy);

#endif
