/* loop: the full-screen live view's process: session, screen, the tui
 * over them, and the main loop (keys, draining, refreshes, drawing). */
#ifndef PYTOP_UI_LOOP_H
#define PYTOP_UI_LOOP_H

#include "options.h"

/* Run the full-screen front end for opt (attach or launch); returns the
 * process exit code. */
int loop_run(const struct options *opt);

#endif
