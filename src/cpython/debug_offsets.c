/* debug_offsets: the _Py_DebugOffsets formats pytop understands, as tables
 * of (index of the u64 in the block, py_layout field). */
#include "cpython/debug_offsets.h"

#include <string.h>

#include "errors.h"

#define COOKIE "xdebugpy"
#define FIELD(f) offsetof(struct py_layout, f)

/* A field of the block: the uint64 at 8 + 8 * index, with an optional base
 * index whose value is subtracted (for offsets given relative to a parent). */
struct debug_field {
	int index;
	int base;       /* -1: none */
	size_t field;   /* offsetof(struct py_layout, ...) */
};

/* CPython 3.13's _Py_DebugOffsets (Include/internal/pycore_runtime.h). */
static const struct debug_field fields_3_13[] = {
	{ 4, -1, FIELD(runtime_interpreters_head) },
	{ 6, -1, FIELD(interp_id) },
	{ 7, -1, FIELD(interp_next) },
	{ 8, -1, FIELD(interp_threads_head) },
	{ 10, -1, FIELD(interp_modules) },
	{ 11, -1, FIELD(interp_sysdict) },
	{ 13, -1, FIELD(interp_gil_ptr) },
	{ 16, 14, FIELD(gil_locked) },
	{ 17, 14, FIELD(gil_last_holder) },
	{ 18, -1, FIELD(tstate_size) },
	{ 20, -1, FIELD(tstate_next) },
	{ 21, -1, FIELD(tstate_interp) },
	{ 22, -1, FIELD(tstate_current_frame) },
	{ 23, -1, FIELD(tstate_thread_id) },
	{ 24, -1, FIELD(tstate_native_thread_id) },
	{ 28, -1, FIELD(iframe_previous) },
	{ 29, -1, FIELD(iframe_code) },
	{ 30, -1, FIELD(iframe_instr) },
	{ 32, -1, FIELD(iframe_owner) },
	{ 34, -1, FIELD(code_filename) },
	{ 35, -1, FIELD(code_name) },
	{ 36, -1, FIELD(code_qualname) },
	{ 37, -1, FIELD(code_linetable) },
	{ 38, -1, FIELD(code_firstlineno) },
	{ 39, -1, FIELD(code_argcount) },
	{ 42, -1, FIELD(code_code_adaptive) },
	{ 44, -1, FIELD(object_type) },
	{ 46, -1, FIELD(type_name) },
	{ 48, -1, FIELD(type_flags) },
	{ 50, -1, FIELD(tuple_item) },
	{ 56, -1, FIELD(dict_keys) },
	{ 57, -1, FIELD(dict_values) },
	{ 61, -1, FIELD(long_size) },
	{ 62, -1, FIELD(long_digit) },
	{ 65, -1, FIELD(bytes_sval) },
	{ 67, -1, FIELD(unicode_state) },
	{ 68, -1, FIELD(unicode_length) },
	{ 69, -1, FIELD(unicode_ascii_data) },
};
#define FIELDS_3_13_COUNT 72   /* uint64s after the cookie */
#define DO_FREE_THREADED 1     /* nonzero in a Py_GIL_DISABLED build */
#define DO_GIL_STATE 14        /* offset of interp->_gil */
#define DO_GIL_ENABLED 15      /* offset of interp->_gil.enabled (0 unless free-threaded) */

static uint64_t u64_at(const void *buf, int index)
{
	uint64_t v;
	memcpy(&v, (const char *)buf + 8 + 8 * (size_t)index, sizeof v);
	return v;
}

uint64_t debug_offsets_version(const void *buf, size_t len)
{
	if (len < 16 || memcmp(buf, COOKIE, 8) != 0)
		return 0;
	return u64_at(buf, 0);
}

int debug_offsets_apply(const void *buf, size_t len, struct py_layout *L)
{
	uint64_t hex = debug_offsets_version(buf, len);
	const struct debug_field *fields;
	size_t nfields;
	int changed = 0;

	if (!hex)
		return PYTOP_EINVAL;
	if ((hex >> 24) != 3 || ((hex >> 16) & 0xff) != 13 || (unsigned)L->minor != 13)
		return PYTOP_EVERSION;
	if (len < 8 + 8 * FIELDS_3_13_COUNT)
		return PYTOP_EINVAL;
	fields = fields_3_13;
	nfields = sizeof fields_3_13 / sizeof fields_3_13[0];
	int32_t old_locked = L->gil_locked;

	for (size_t i = 0; i < nfields; i++) {
		uint64_t v = u64_at(buf, fields[i].index);
		if (fields[i].base >= 0)
			v -= u64_at(buf, fields[i].base);
		if (v > INT32_MAX)
			return PYTOP_EINVAL;
		int32_t *slot = (int32_t *)((char *)L + fields[i].field);
		if (*slot != (int32_t)v)
			changed++;
		*slot = (int32_t)v;
	}
	/* The block gives no switch_number: it follows `locked` (an int then an
	 * unsigned long) in every build, and the struct grows with it. A
	 * free-threaded build puts `int enabled` first. */
	L->gil_switch_number += L->gil_locked - old_locked;
	L->gil_size += L->gil_locked - old_locked;
	uint64_t ft = u64_at(buf, DO_FREE_THREADED) != 0;
	if (L->free_threaded != (int32_t)ft)
		changed++;
	L->free_threaded = (int32_t)ft;
	if (ft) {
		uint64_t v = u64_at(buf, DO_GIL_ENABLED) - u64_at(buf, DO_GIL_STATE);
		if (v > INT32_MAX)
			return PYTOP_EINVAL;
		changed += L->gil_enabled != (int32_t)v;
		L->gil_enabled = (int32_t)v;
	}
	return changed;
}
