/* inlines: where a function was inlined, from a debug file's DWARF (libdw):
 * the entry address of each DW_TAG_inlined_subroutine instance of it. */
#ifndef PYTOP_PROCESS_INLINES_H
#define PYTOP_PROCESS_INLINES_H

#include <stdint.h>

/* One function asked for: its inlined instances' link-time entry addresses
 * (DW_AT_entry_pc, else the lowest address of its ranges), distinct. */
struct inlines_query {
	const char *name;
	uint64_t *addrs;
	int max;
	int n;        /* out: how many in addrs */
	int more;     /* out: there were more than max */
};

/* Fill q[0..nq) from the DWARF of the file at path in one pass. Returns 0,
 * or a negative error: the file cannot be read (PYTOP_EIO) or has no DWARF
 * (PYTOP_ENOTPY). */
int inlines_entries(const char *path, struct inlines_query *q, int nq);

#endif
