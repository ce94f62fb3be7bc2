/* view: what fills the screen between the header and the status line, as
 * a small table of operations (htop's Panel classes). The live view keeps
 * a stack of views (main at the bottom; detail, help, gilstat on top),
 * draws the top one, gives it the keys and clicks first, and calls every
 * view's update after each query. A view reads and changes the model and
 * returns what must happen next (UI_FX_*); it never includes tui.h. Adding
 * a view: ui/views/NAME.c and .h, and one row in tui.c's views table. */
#ifndef PYTOP_UI_VIEW_H
#define PYTOP_UI_VIEW_H

#include <stdbool.h>

#include "ui/canvas.h"
#include "ui/keys.h"
#include "ui/model.h"

/* A screen rectangle; h == 0 when hidden. */
struct rect {
	int x, y, w, h;
};

/* One kind of view. Every operation but name and render may be NULL. */
struct view_ops {
	const char *name;                     /* "main", "detail" ... (ui_nav) */
	void *(*create)(void);                /* the view's own state */
	void (*destroy)(void *v);
	/* Brought on top (again: it already was in the stack): func and line
	 * say what to show (detail). Returns UI_FX_*. */
	unsigned (*open)(void *v, struct ui_model *m, uint32_t func, int line, bool again);
	/* The model was queried again: query the view's own numbers. */
	void (*update)(void *v, struct ui_model *m);
	/* Draw into r of c. */
	void (*render)(void *v, struct ui_model *m, struct canvas *c, const struct rect *r);
	/* An action; UI_FX_UNHANDLED leaves it to the global keys. */
	unsigned (*key)(void *v, struct ui_model *m, enum action a);
	/* A click in the body: button 1 = left, 4/5 = wheel. */
	unsigned (*click)(void *v, struct ui_model *m, int x, int y, int button, bool double_click);
};

#endif
