/* clock: the time stamps pytop compares and sleeps on, in nanoseconds
 * (inline: the sampler reads it several times a round). */
#ifndef PYTOP_UTIL_CLOCK_H
#define PYTOP_UTIL_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Nanoseconds on the given clock (CLOCK_MONOTONIC_COARSE, a thread's
 * CPU clock...). */
static inline uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Nanoseconds on CLOCK_MONOTONIC: the time base of samples and sessions. */
static inline uint64_t clock_now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

/* ns nanoseconds as a timespec (a duration, or a time on a clock). */
static inline struct timespec clock_timespec(uint64_t ns)
{
	return (struct timespec){ (time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull) };
}

/* Sleep ns nanoseconds (a signal may end it early). */
static inline void clock_sleep_ns(uint64_t ns)
{
	struct timespec ts = clock_timespec(ns);

	nanosleep(&ts, NULL);
}

#endif
