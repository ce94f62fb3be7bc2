/* pace: the gaps of a sampling loop's schedule, jittered around its
 * period so that its instants keep no fixed phase to anything periodic in
 * the target (the scheduler's tick, a GIL's switch interval, a timer). */
#ifndef PYTOP_UTIL_PACE_H
#define PYTOP_UTIL_PACE_H

#include <stdint.h>

/* A schedule's random state (one per loop; not shared between threads). */
struct pace {
	uint64_t rng;
};

/* Seed p: seed 0 takes one from the kernel (the clock if none is had). */
void pace_seed(struct pace *p, uint64_t seed);

/* The gap to the next deadline: uniform in [period/2, 3 period/2], so the
 * mean is the period (a period under 2 ns: the period). */
uint64_t pace_gap(struct pace *p, uint64_t period);

#endif
