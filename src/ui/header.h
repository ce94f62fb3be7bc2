/* header: the run's facts and the sampling's health at the top of the
 * screen, and the banner under them (target exited / display paused). */
#ifndef PYTOP_UI_HEADER_H
#define PYTOP_UI_HEADER_H

#include "ui/canvas.h"
#include "ui/model.h"

/* Draw the header's first `lines` rows (1 to 3) from row 0. */
void header_render(struct ui_model *m, struct canvas *c, int lines);

/* Draw the banner at row y when the target exited or the view is paused. */
void header_banner(struct ui_model *m, struct canvas *c, int y);

#endif
