/* debug_offsets: reading the _Py_DebugOffsets block that CPython 3.13+
 * places at the start of _PyRuntime, and laying it over a py_layout. */
#ifndef PYTOP_CPYTHON_DEBUG_OFFSETS_H
#define PYTOP_CPYTHON_DEBUG_OFFSETS_H

#include <stddef.h>
#include <stdint.h>

#include "cpython/layout.h"

/* Bytes to read from the start of _PyRuntime to get the whole block. */
#define DEBUG_OFFSETS_READ_SIZE 1024

/* The PY_VERSION_HEX in the block, or 0 when the cookie is missing. */
uint64_t debug_offsets_version(const void *buf, size_t len);

/* Overwrite the fields of L that the block describes (L's version must match
 * the block's). Returns how many fields differed from L's previous values, or
 * a negative error when the block is not understood. */
int debug_offsets_apply(const void *buf, size_t len, struct py_layout *L);

#endif
