/* pace: jittered gaps for the sampling loops (see pace.h). Fixed gaps
 * lock the samples to the phase of the kernel's tick: a target that
 * shares its core is switched in at ticks, and a sample a fixed time
 * after each tick saw the function it resumes in more than its share of
 * the time (the function after the preemption point: 25 % of the
 * on-CPU samples for 17 % of the CPU, with 5 CPU hogs on 2 CPUs). */
#include "util/pace.h"

#include <sys/random.h>
#include <unistd.h>

#include "util/clock.h"

/* splitmix64: one multiply-xorshift step a gap, no state but the counter. */
static uint64_t next_u64(struct pace *p)
{
	uint64_t z = (p->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void pace_seed(struct pace *p, uint64_t seed)
{
	if (!seed && getrandom(&seed, sizeof seed, GRND_NONBLOCK) != (ssize_t)sizeof seed)
		seed = clock_now_ns() ^ ((uint64_t)getpid() << 32);
	p->rng = seed;
}

uint64_t pace_gap(struct pace *p, uint64_t period)
{
	if (period < 2)
		return period;
	/* period/2 + a uniform draw in [0, period]: the top 53 bits as a
	 * fraction in [0, 1) (no modulo bias; past 2^53 ns the draw is as
	 * fine as a double's). */
	double u = (double)(next_u64(p) >> 11) * (1.0 / 9007199254740992.0);
	return period / 2 + (uint64_t)(u * (double)(period + 1));
}
