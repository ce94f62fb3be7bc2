/* fdlimit: RLIMIT_NOFILE raised once, restored for exec'd programs. */
#include "util/fdlimit.h"

#include <pthread.h>
#include <stdbool.h>
#include <sys/resource.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct rlimit before;   /* as it was, when raised (raised: true) */
static bool raised;

static void raise_once(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return;
	rlim_t want = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > FDLIMIT_CAP ? FDLIMIT_CAP : rl.rlim_max;
	if (rl.rlim_cur >= want)
		return;
	before = rl;
	rl.rlim_cur = want;
	raised = setrlimit(RLIMIT_NOFILE, &rl) == 0;
}

int fdlimit_raise(void)
{
	pthread_once(&once, raise_once);
	return fdlimit_soft();
}

int fdlimit_soft(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > FDLIMIT_CAP)
		return FDLIMIT_CAP;
	return (int)rl.rlim_cur;
}

void fdlimit_restore(void)
{
	struct rlimit rl;

	/* The hard limit as it is now (the caller may have lowered it). */
	if (raised && getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur > before.rlim_cur) {
		rl.rlim_cur = before.rlim_cur;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}
