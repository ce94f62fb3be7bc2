/* speedscope: the snapshot in speedscope's file format
 * (https://www.speedscope.app/file-format-schema.json): shared frames
 * (name, file, line) and one "sampled" profile per thread, named after the
 * thread, with its unique stacks (root first) weighted in nanoseconds. */
#ifndef PYTOP_OUTPUT_SPEEDSCOPE_H
#define PYTOP_OUTPUT_SPEEDSCOPE_H

#include <stdio.h>

#include "output/snapshot.h"
#include "sampling/aggregate.h"

/* Write the JSON file to f, ending with a newline; 0, PYTOP_EIO or
 * PYTOP_EINVAL. */
int speedscope_write(FILE *f, const struct aggregate *agg, const struct snapshot_meta *meta);

#endif
