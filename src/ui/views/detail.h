/* views/detail: the drill-down view of one function (Enter on a row): its
 * numbers, its callers and callees (each with its share of the function's
 * time), its hottest lines with their source text, and its share per
 * thread. Details stack up (Enter on a caller or callee opens that one;
 * Esc goes back). */
#ifndef PYTOP_UI_VIEWS_DETAIL_H
#define PYTOP_UI_VIEWS_DETAIL_H

#include "ui/view.h"

/* The detail view's operations. */
extern const struct view_ops detail_view_ops;

#endif
