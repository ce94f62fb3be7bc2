/* views/main: the main view: the hot-function table, the threads pane (one
 * state bar per thread) and the live stack pane, laid out by the terminal's
 * size (panes hidden by priority on small terminals, side by side on wide
 * ones); one of them has the focus. */
#ifndef PYTOP_UI_VIEWS_MAIN_H
#define PYTOP_UI_VIEWS_MAIN_H

#include "ui/view.h"

/* The main view's operations. */
extern const struct view_ops main_view_ops;

/* The pane with the focus (v: the view's state). */
enum pane_id main_view_focus(const void *v);

#endif
