/* flamegraph: the svg format, a self-contained interactive flame graph
 * (static frames viewable without script; hover, zoom, search and
 * inversion by the embedded script of flamegraph.js). */
#ifndef PYTOP_OUTPUT_FLAMEGRAPH_H
#define PYTOP_OUTPUT_FLAMEGRAPH_H

#include <stdio.h>

struct aggregate;
struct snapshot_meta;

/* Write agg's stacks (threads merged) to f as an SVG flame graph, an
 * icicle graph when meta->inverted; 0 or a negative error (errors.h). */
int flamegraph_write(FILE *f, const struct aggregate *agg, const struct snapshot_meta *meta);

#endif
