/* clock: the time stamps pytop compares and sleeps on, in nanoseconds. */
#ifndef PYTOP_UTIL_CLOCK_H
#define PYTOP_UTIL_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Nanoseconds on the given clock (CLOCK_MONOTONIC_COARSE, a thread's
 * CPU clock...). */
uint64_t clock_ns(clockid_t id);

/* Nanoseconds on CLOCK_MONOTONIC: the time base of samples and sessions. */
uint64_t clock_now_ns(void);

#endif
