/* json: the batch report as one JSON object (run metadata, functions,
 * lines, threads), cumulative numbers. */
#ifndef PYTOP_OUTPUT_JSON_H
#define PYTOP_OUTPUT_JSON_H

#include <stdio.h>

#include "output/snapshot.h"
#include "sampling/aggregate.h"

/* Write the report to f, ending with a newline; 0, PYTOP_EIO or PYTOP_EINVAL. */
int json_write(FILE *f, const struct aggregate *agg, const struct snapshot_meta *meta);

#endif
