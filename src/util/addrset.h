/* addrset: a set of addresses in the target for one walk (of a frame
 * chain, of a thread list): open addressing over a caller's power-of-two
 * table whose entries are tagged with the walk's generation, so starting
 * the next walk (a new generation) empties it. No allocation: usable on
 * the sampler's hot path. */
#ifndef PYTOP_UTIL_ADDRSET_H
#define PYTOP_UTIL_ADDRSET_H

#include <stdint.h>

/* One entry: in the set while gen is the walk's. */
struct addrset_entry {
	uint64_t addr;
	uint64_t gen;
	int pos;                  /* the caller's, per address (a chain position) */
};

/* The entry of addr in tab (mask + 1 entries) for generation gen: addr's
 * when its gen is gen, else the free entry to claim (set addr and gen).
 * The caller keeps the table under half full, so a probe always ends. */
static inline struct addrset_entry *addrset_slot(struct addrset_entry *tab, uint32_t mask, uint64_t gen,
						 uint64_t addr)
{
	/* Every bit of the address counts: nearby or aligned ones spread. */
	uint64_t h = addr * 0x9e3779b97f4a7c15ull ^ (1 + 0x632be59bd9b4e019ull);
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	uint32_t i = (uint32_t)(h ^ (h >> 32)) & mask;

	for (;;) {
		struct addrset_entry *e = &tab[i];
		if (e->gen != gen || e->addr == addr)
			return e;
		i = (i + 1) & mask;
	}
}

#endif
