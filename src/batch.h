/* batch: `pytop --batch`: sample for a while, then write one snapshot. */
#ifndef PYTOP_BATCH_H
#define PYTOP_BATCH_H

#include "options.h"

/* Run batch mode; returns the process exit code (a launched program's own
 * exit code in launch mode). */
int batch_run(const struct options *o);

#endif
