/* pprof: the snapshot as a gzipped profile.proto (the format of
 * `go tool pprof`, Grafana Pyroscope, Parca and Google Cloud Profiler):
 * sample types samples/count and <mode>/nanoseconds, one Function per
 * Python function (name, file, first line), one Location per function and
 * line, and per sample the labels thread_id (numeric) and thread_name. */
#ifndef PYTOP_OUTPUT_PPROF_H
#define PYTOP_OUTPUT_PPROF_H

#include <stdio.h>

#include "output/snapshot.h"
#include "sampling/aggregate.h"

/* Write the gzipped profile to f; 0 or PYTOP_EIO. */
int pprof_write(FILE *f, const struct aggregate *agg, const struct snapshot_meta *meta);

#endif
