/* views/help: the help screen (? / F1, :help), generated from the key
 * table, the command table, the columns and the thread bar's legend. */
#ifndef PYTOP_UI_VIEWS_HELP_H
#define PYTOP_UI_VIEWS_HELP_H

#include "ui/view.h"

/* The help view's operations. */
extern const struct view_ops help_view_ops;

#endif
