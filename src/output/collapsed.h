/* collapsed: the folded-stack format of flamegraph.pl and speedscope, one
 * `frame;frame;frame count` line per unique stack, root first. */
#ifndef PYTOP_OUTPUT_COLLAPSED_H
#define PYTOP_OUTPUT_COLLAPSED_H

#include <stdio.h>

#include "output/snapshot.h"
#include "sampling/aggregate.h"

/* Write every stack counted in agg's mode (cumulative, threads merged) as
 * `name (file:line);... count`, lines sorted; meta is unused; 0 or PYTOP_EIO. */
int collapsed_write(FILE *f, const struct aggregate *agg, const struct snapshot_meta *meta);

#endif
