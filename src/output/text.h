/* text: the batch text report (like `top -b`): a header about the run, the
 * hot-function table by own time, and a per-thread summary. */
#ifndef PYTOP_OUTPUT_TEXT_H
#define PYTOP_OUTPUT_TEXT_H

#include <stddef.h>
#include <stdio.h>

#include "output/snapshot.h"
#include "sampling/aggregate.h"

/* Format a duration for people ("0s", "850us", "4.5ms", "45ms", "1.23s",
 * "2m05s", "1h02m") into buf; returns buf. */
const char *text_format_time(char *buf, size_t len, double seconds);

/* Write the report of agg's cumulative numbers to f; 0 or PYTOP_EIO. */
int text_write(FILE *f, const struct aggregate *agg, const struct snapshot_meta *meta);

#endif
