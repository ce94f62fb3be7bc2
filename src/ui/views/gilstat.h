/* views/gilstat: the GIL view: per thread the class bar and the gilstat
 * table (takecnt, holdavg, hold_all, takeavg, take_all, hold%, wait%,
 * takes/s), then the latest long holds and waits. */
#ifndef PYTOP_UI_VIEWS_GILSTAT_H
#define PYTOP_UI_VIEWS_GILSTAT_H

#include "ui/view.h"

/* The GIL view's operations. */
extern const struct view_ops gilstat_view_ops;

#endif
