/* statusbar: the two bottom rows: the status line (a message, else what
 * the table shows: rows, order, view, thread, filter) and the function-key
 * bar generated from the key table (F4 and F7 say what they do now). */
#ifndef PYTOP_UI_STATUSBAR_H
#define PYTOP_UI_STATUSBAR_H

#include "ui/canvas.h"
#include "ui/model.h"

/* Draw the status line at row y (a message, or the table's summary). */
void statusbar_render(const struct ui_model *m, struct canvas *c, int y);

/* Draw the function-key bar at row y; fkey_x[i]..fkey_x[i+1] is F(i+1)'s
 * span (11 entries). */
void statusbar_fkeys(const struct ui_model *m, struct canvas *c, int y, int fkey_x[11]);

#endif
