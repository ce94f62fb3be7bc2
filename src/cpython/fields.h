/* fields: reading a fixed-width field at a byte offset of a buffer copied out
 * of the target (unaligned-safe), for the walkers and object readers. */
#ifndef PYTOP_CPYTHON_FIELDS_H
#define PYTOP_CPYTHON_FIELDS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Does a field of width bytes at off lie inside len bytes? */
static inline int field_fits(int32_t off, size_t width, size_t len)
{
	return off >= 0 && (size_t)off <= len && width <= len - (size_t)off;
}

/* The unsigned 64-bit field at b + off. */
static inline uint64_t field_u64(const unsigned char *b, int32_t off)
{
	uint64_t v;
	memcpy(&v, b + off, sizeof v);
	return v;
}

/* The signed 64-bit field at b + off. */
static inline int64_t field_i64(const unsigned char *b, int32_t off)
{
	int64_t v;
	memcpy(&v, b + off, sizeof v);
	return v;
}

/* The signed 32-bit field at b + off. */
static inline int32_t field_i32(const unsigned char *b, int32_t off)
{
	int32_t v;
	memcpy(&v, b + off, sizeof v);
	return v;
}

#endif
