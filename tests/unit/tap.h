/* tap: a tiny Test Anything Protocol emitter for pytop's unit tests.
 *
 * Exit status: a test that ran to its end exits 0 whatever its points said:
 * a failing point is reported once, by its own "not ok" line (automake's TAP
 * driver turns it into a FAIL and fails the suite). A non-zero status means
 * the program itself went wrong: a crash, a sanitizer report at exit, a bail
 * out (tap_bail) or a missing plan; the driver reports that as one ERROR.
 * tests/live/pythons.py's Tap follows the same rule. */
#ifndef PYTOP_TESTS_TAP_H
#define PYTOP_TESTS_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int tap_n, tap_failed;

/* Report one test point; returns cond. */
__attribute__((format(printf, 2, 3)))
static inline int tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;
	tap_n++;
	if (!cond)
		tap_failed++;
	printf("%s %d - ", cond ? "ok" : "not ok", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return cond;
}

/* Compare two integers, printing both on failure. */
#define tap_is(got, want, ...) do { \
	long long g_ = (long long)(got), w_ = (long long)(want); \
	if (!tap_ok(g_ == w_, __VA_ARGS__)) \
		printf("#   got %lld, want %lld\n", g_, w_); \
} while (0)

/* Compare two strings, printing both on failure. */
#define tap_str(got, want, ...) do { \
	const char *g_ = (got), *w_ = (want); \
	if (!tap_ok(g_ && w_ && strcmp(g_, w_) == 0, __VA_ARGS__)) \
		printf("#   got \"%s\"\n#  want \"%s\"\n", g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
} while (0)

/* The test cannot go on (its setup failed): say why and stop. The driver
 * reports one ERROR and ignores the points that never ran. */
__attribute__((format(printf, 1, 2), noreturn))
static inline void tap_bail(const char *fmt, ...)
{
	va_list ap;
	printf("Bail out! ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(2);
}

/* Seconds on the monotonic clock. */
static inline double tap_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wait for a condition, not for a time: evaluate cond every 100 µs until it
 * holds or `secs` seconds have passed; `held` is left 1 when it held, 0 on
 * the deadline (the caller's tap_ok says what did not happen). */
#define tap_wait(held, cond, secs) do { \
	double dl_ = tap_now() + (secs); \
	struct timespec nap_ = { 0, 100000 }; \
	while (!((held) = !!(cond)) && tap_now() < dl_) \
		nanosleep(&nap_, NULL); \
} while (0)

/* Print the plan and return the exit status: 0, since the plan is complete
 * (the failing points have said so; see the top of this file). */
static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	if (tap_failed)
		printf("# %d of %d points failed\n", tap_failed, tap_n);
	fflush(stdout);
	return 0;
}

#endif
