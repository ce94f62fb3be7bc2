/* gil: decoding a GIL state and recognising its waiters. */
#include "cpython/gil.h"

#include <string.h>

static size_t field_end(int32_t off, size_t size)
{
	return off >= 0 ? (size_t)off + size : 0;
}

size_t gil_read_size(const struct py_layout *L)
{
	size_t n = field_end(L->gil_locked, 4);

	if (field_end(L->gil_last_holder, 8) > n)
		n = field_end(L->gil_last_holder, 8);
	if (field_end(L->gil_switch_number, 8) > n)
		n = field_end(L->gil_switch_number, 8);
	if (field_end(L->gil_enabled, 4) > n)
		n = field_end(L->gil_enabled, 4);
	return n <= GIL_READ_MAX ? n : GIL_READ_MAX;
}

static uint64_t u64(const struct py_layout *L, const unsigned char *b, int32_t off)
{
	uint64_t v = 0;

	if (off >= 0 && (size_t)off + 8 <= gil_read_size(L))
		memcpy(&v, b + off, 8);
	return v;
}

static int32_t i32(const struct py_layout *L, const unsigned char *b, int32_t off)
{
	int32_t v = 0;

	if (off >= 0 && (size_t)off + 4 <= gil_read_size(L))
		memcpy(&v, b + off, 4);
	return v;
}

void gil_parse(const struct py_layout *L, const void *buf, struct gil_state *out)
{
	const unsigned char *b = buf;

	memset(out, 0, sizeof *out);
	out->enabled = !L->free_threaded || (L->gil_enabled >= 0 && i32(L, b, L->gil_enabled) != 0);
	out->last_holder = u64(L, b, L->gil_last_holder);
	out->switch_number = u64(L, b, L->gil_switch_number);
	/* locked is -1 before the GIL is created: only 1 means held. */
	out->locked = out->enabled && i32(L, b, L->gil_locked) > 0;
	out->holder = out->locked ? out->last_holder : 0;
}

bool gil_is_wait(const struct py_layout *L, uint64_t gil, long nr, uint64_t arg0)
{
	return nr == GIL_SYS_FUTEX && gil && L->gil_size > 0 && arg0 >= gil &&
	       arg0 - gil < (uint64_t)L->gil_size;   /* no wrap */
}
