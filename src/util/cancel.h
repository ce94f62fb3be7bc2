/* cancel: the flag a front end sets (from another thread or a signal
 * handler) to make a long wait give up, read by the waits themselves. */
#ifndef PYTOP_UTIL_CANCEL_H
#define PYTOP_UTIL_CANCEL_H

#include <stdatomic.h>
#include <stdbool.h>

/* How often a wait that takes a cancel flag looks at it, at most. */
#define CANCEL_POLL_MS 50

/* Whether the flag (NULL: none) asks to give up. */
static inline bool cancel_requested(const atomic_int *cancel)
{
	return cancel && atomic_load_explicit(cancel, memory_order_relaxed) != 0;
}

#endif
