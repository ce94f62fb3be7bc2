/* tracewatch: `pytop --batch --watch/--trace`: inject the agent, write
 * each reported call, detach. */
#ifndef PYTOP_TRACEWATCH_H
#define PYTOP_TRACEWATCH_H

#include "options.h"

/* Run it; returns the exit code (0 when the run ended after COUNT calls,
 * -d, or a signal; 1 on an error, said in one line on stderr). */
int tracewatch_run(const struct options *o);

#endif
