/* rlist: walking a singly linked list in the target's memory (interpreters,
 * thread states) without trusting it to end: Brent's cycle detection, O(1)
 * memory and no allocation (usable on the sampler's hot path). A list that
 * comes back to a node it already visited is reported, not walked again. */
#ifndef PYTOP_CPYTHON_RLIST_H
#define PYTOP_CPYTHON_RLIST_H

#include <stdbool.h>
#include <stdint.h>

/* The state of one walk. */
struct rlist {
	uint64_t saved;           /* Brent's tortoise */
	uint32_t power, steps;
};

/* Start a walk. */
static inline void rlist_init(struct rlist *r)
{
	r->saved = 0;
	r->power = 1;
	r->steps = 0;
}

/* Note the next node of the walk (nonzero). True when the list loops: this
 * node was visited before (found within about twice the loop's start plus
 * its length of steps after it closes). */
static inline bool rlist_loops(struct rlist *r, uint64_t node)
{
	if (node == r->saved)
		return true;
	if (++r->steps == r->power) {
		r->saved = node;
		r->steps = 0;
		if (r->power < (1u << 30))
			r->power *= 2;
	}
	return false;
}

#endif
