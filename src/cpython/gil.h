/* gil: reading a GIL state (struct _gil_runtime_state) through the layout,
 * and the rule that says a blocked thread is waiting for it. Pure functions:
 * the caller reads the bytes (one process_vm_readv of gil_read_size()). */
#ifndef PYTOP_CPYTHON_GIL_H
#define PYTOP_CPYTHON_GIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpython/layout.h"

#define GIL_READ_MAX LAYOUT_GIL_MAX   /* enough bytes for every layout's fields */
#define GIL_SYS_FUTEX 202        /* x86-64 futex(2) */

/* One coherent view of a GIL (from a single read). */
struct gil_state {
	bool enabled;            /* false: a free-threaded build running without the GIL */
	bool locked;
	uint64_t holder;         /* the holding thread state when locked, else 0 */
	uint64_t last_holder;    /* gil->last_holder, locked or not */
	uint64_t switch_number;  /* gil->switch_number: holder changes since start */
};

/* Bytes to read at the GIL's address for gil_parse() (<= GIL_READ_MAX). */
size_t gil_read_size(const struct py_layout *L);

/* Decode the bytes read at the GIL's address. */
void gil_parse(const struct py_layout *L, const void *buf, struct gil_state *out);

/* Is a thread blocked in syscall nr with first argument arg0 waiting for the
 * GIL at address gil? (futex on an address inside the struct; see layout.h) */
bool gil_is_wait(const struct py_layout *L, uint64_t gil, long nr, uint64_t arg0);

#endif
