/* collapsed: the folded-stack format of flamegraph.pl and speedscope, one
 * `frame;frame;frame weight` line per unique stack, root first. */
#ifndef PYTOP_OUTPUT_COLLAPSED_H
#define PYTOP_OUTPUT_COLLAPSED_H

#include <stdio.h>

#include "output/snapshot.h"
#include "sampling/aggregate.h"

/* Write every stack counted in agg's mode (cumulative, threads merged) as
 * `name (file:line);... weight`, lines sorted: the weight is the stack's CPU
 * time in microseconds (rounded; a stack under 0.5 us is left out) in cpu
 * mode, its sample count in wall and gil mode; meta is unused; 0 or PYTOP_EIO. */
int collapsed_write(FILE *f, const struct aggregate *agg, const struct snapshot_meta *meta);

#endif
