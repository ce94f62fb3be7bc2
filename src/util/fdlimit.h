/* fdlimit: the soft RLIMIT_NOFILE raised once to the hard one (pytop keeps
 * two files open per target thread, and perf events per probe, CPU and
 * thread), and put back as it was in a program pytop starts. */
#ifndef PYTOP_UTIL_FDLIMIT_H
#define PYTOP_UTIL_FDLIMIT_H

/* No more than this many descriptors are asked for (a hard limit of
 * "unlimited", or of a billion, is not a table pytop needs). */
#define FDLIMIT_CAP (1 << 20)

/* Raise the soft RLIMIT_NOFILE to the hard limit (at most FDLIMIT_CAP),
 * the first time only (thread-safe); the soft limit as it was is kept for
 * fdlimit_restore(). Returns the soft limit now, at most FDLIMIT_CAP. */
int fdlimit_raise(void);

/* The soft RLIMIT_NOFILE now, at most FDLIMIT_CAP. */
int fdlimit_soft(void);

/* In a child forked to exec another program: the soft limit put back as it
 * was before fdlimit_raise() (a program that uses select() breaks on
 * descriptors of 1024 and over; nothing when it was not raised).
 * Async-signal-safe. */
void fdlimit_restore(void);

#endif
