/* Unit tests for util/pace: the jittered gaps of the sampling loops. */
#include <stdint.h>

#include "tap.h"
#include "util/pace.h"

#define N 400000

int main(void)
{
	struct pace p;
	const uint64_t period = 1000000;   /* 1 kHz */
	uint64_t lo = UINT64_MAX, hi = 0, bins[10] = { 0 };
	double sum = 0;

	pace_seed(&p, 12345);
	for (int i = 0; i < N; i++) {
		uint64_t g = pace_gap(&p, period);
		lo = g < lo ? g : lo;
		hi = g > hi ? g : hi;
		sum += (double)g;
		uint64_t b = g >= period / 2 ? (g - period / 2) * 10 / (period + 1) : 0;
		bins[b < 10 ? b : 9]++;
	}
	tap_ok(lo >= period / 2 && hi <= period + period / 2,
	       "gaps within [period/2, 3 period/2] (got %llu .. %llu)", (unsigned long long)lo,
	       (unsigned long long)hi);
	tap_ok(lo < period / 2 + period / 100 && hi > period + period / 2 - period / 100,
	       "gaps reach both ends of the range");
	double mean = sum / N;
	tap_ok(mean > 0.998 * (double)period && mean < 1.002 * (double)period,
	       "the mean gap is the period (%.0f ns for %llu)", mean, (unsigned long long)period);
	int flat = 1;
	for (int b = 0; b < 10; b++)
		flat &= bins[b] > N / 10 * 95 / 100 && bins[b] < N / 10 * 105 / 100;
	tap_ok(flat, "gaps uniform over the range (10 bins within 5 %% of a tenth each)");

	/* What the jitter is for: a target switched in at the kernel's
	 * ticks (every 4 periods, as at HZ=250 and 1 kHz) runs the same
	 * function in the first tenth of a period after each. Fixed gaps
	 * put a sample there at every tick, or at none; jittered ones, a
	 * fortieth of the time. */
	const uint64_t tick = 4 * period;
	uint64_t t = tick + period / 20, just_after = 0, phases[8] = { 0 };
	for (int i = 0; i < N; i++) {
		t += pace_gap(&p, period);
		uint64_t ph = t % tick;
		just_after += ph < period / 10;
		phases[ph * 8 / tick]++;
	}
	double share = 100.0 * (double)just_after / N;
	tap_ok(share > 2.0 && share < 3.0,
	       "samples in the first tenth of a period after a tick: %.2f %% (2.5 %% of the time)", share);
	int spread = 1;
	for (int b = 0; b < 8; b++)
		spread &= phases[b] > N / 8 * 95 / 100 && phases[b] < N / 8 * 105 / 100;
	tap_ok(spread, "sample instants spread evenly over the tick's phase (8 bins within 5 %%)");
	uint64_t fixed = tick + period / 20, fixed_after = 0;
	for (int i = 0; i < N; i++) {
		fixed += period;
		fixed_after += fixed % tick < period / 10;
	}
	tap_ok(fixed_after == N / 4, "(fixed gaps: a quarter of the samples just after a tick, %llu of %d)",
	       (unsigned long long)fixed_after, N);

	/* Seeds. */
	struct pace a, b, c;
	pace_seed(&a, 7);
	pace_seed(&b, 7);
	pace_seed(&c, 8);
	int same = 1, differ = 0;
	for (int i = 0; i < 100; i++) {
		uint64_t ga = pace_gap(&a, period), gb = pace_gap(&b, period), gc = pace_gap(&c, period);
		same &= ga == gb;
		differ += ga != gc;
	}
	tap_ok(same, "one seed, one sequence");
	tap_ok(differ > 90, "another seed, another sequence (%d of 100 gaps differ)", differ);
	struct pace k1, k2;
	pace_seed(&k1, 0);
	pace_seed(&k2, 0);
	int kdiffer = 0, kin = 1;
	for (int i = 0; i < 100; i++) {
		uint64_t g1 = pace_gap(&k1, period), g2 = pace_gap(&k2, period);
		kdiffer += g1 != g2;
		kin &= g1 >= period / 2 && g1 <= period + period / 2;
	}
	tap_ok(kin && kdiffer > 90, "seed 0: seeded from the kernel, each schedule its own (%d of 100 differ)",
	       kdiffer);

	/* Edges. */
	tap_is(pace_gap(&p, 0), 0, "period 0: gap 0");
	tap_is(pace_gap(&p, 1), 1, "period 1 ns: gap 1 ns");
	int small = 1;
	for (int i = 0; i < 1000; i++) {
		uint64_t g = pace_gap(&p, 2);
		small &= g >= 1 && g <= 3;
	}
	tap_ok(small, "period 2 ns: gaps 1..3 ns");
	const uint64_t huge = UINT64_C(1) << 62;
	int big = 1;
	for (int i = 0; i < 1000; i++) {
		uint64_t g = pace_gap(&p, huge);
		big &= g >= huge / 2 && g <= huge + huge / 2;
	}
	tap_ok(big, "a period of 2^62 ns: gaps in range, no overflow");
	return tap_done();
}
