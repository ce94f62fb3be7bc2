/* text: the batch text report (like `top -b`): a header about the run, the
 * hot-function table by own time, and a per-thread summary. */
#ifndef PYTOP_OUTPUT_TEXT_H
#define PYTOP_OUTPUT_TEXT_H

#include <stddef.h>
#include <stdio.h>

#include "output/snapshot.h"
#include "sampling/aggregate.h"

/* Write the report of agg's cumulative numbers to f; 0 or PYTOP_EIO. */
int text_write(FILE *f, const struct aggregate *agg, const struct snapshot_meta *meta);

#endif
