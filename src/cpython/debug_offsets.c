/* debug_offsets: laying a target's _Py_DebugOffsets block over a py_layout,
 * through the generated schema of the block's version. */
#include "cpython/debug_offsets.h"

#include <string.h>

#include "cpython/versions.h"
#include "errors.h"

#define COOKIE "xdebugpy"

/* The uint64 at byte at of the block (the caller checked at + 8 <= len). */
static uint64_t u64_at(const void *buf, int32_t at)
{
	uint64_t v;
	memcpy(&v, (const char *)buf + at, sizeof v);
	return v;
}

/* Does a uint64 at byte at lie inside the schema's block and the buffer? */
static int member_fits(const struct debug_schema *s, int32_t at, size_t len)
{
	return at >= 0 && (int64_t)at + 8 <= s->size && (size_t)at + 8 <= len;
}

uint64_t debug_offsets_version(const void *buf, size_t len)
{
	if (len < 16 || memcmp(buf, COOKIE, 8) != 0)
		return 0;
	return u64_at(buf, 8);
}

const struct debug_schema *debug_schema_for(uint64_t hex)
{
	return debug_schema_find((int)((hex >> 24) & 0xff), (int)((hex >> 16) & 0xff), 0);
}

const struct debug_schema *debug_schema_find(int major, int minor, int free_threaded)
{
	for (size_t i = 0; i < py_versions_count; i++)
		if (py_versions[i].schema && py_versions[i].major == major && py_versions[i].minor == minor &&
		    py_versions[i].free_threaded == !!free_threaded)
			return py_versions[i].schema;
	return NULL;
}

const struct debug_schema *debug_schema_newest(void)
{
	for (size_t i = py_versions_count; i-- > 0;)
		if (py_versions[i].schema && !py_versions[i].free_threaded)
			return py_versions[i].schema;
	return NULL;
}

int debug_offsets_free_threaded(const struct debug_schema *s, const void *buf, size_t len)
{
	if (!debug_offsets_version(buf, len) || !member_fits(s, s->free_threaded, len))
		return PYTOP_EINVAL;
	return u64_at(buf, s->free_threaded) != 0;
}

int debug_offsets_apply(const void *buf, size_t len, struct py_layout *L)
{
	const struct debug_schema *s = debug_schema_for(debug_offsets_version(buf, len));

	if (!debug_offsets_version(buf, len))
		return PYTOP_EINVAL;
	return s ? debug_offsets_apply_schema(s, buf, len, L) : PYTOP_EVERSION;
}

int debug_offsets_apply_schema(const struct debug_schema *s, const void *buf, size_t len, struct py_layout *L)
{
	uint64_t hex = debug_offsets_version(buf, len);
	int changed = 0;

	if (!hex)
		return PYTOP_EINVAL;
	/* The block is the schema's version or a newer minor of it, laid over
	 * the schema's own version's table. */
	if ((int)((hex >> 24) & 0xff) != s->major || (int)((hex >> 16) & 0xff) < s->minor ||
	    s->major != L->major || s->minor != L->minor)
		return PYTOP_EVERSION;
	if (s->size <= 0 || (size_t)s->size > len)
		return PYTOP_EINVAL;
	int32_t old_locked = L->gil_locked;

	for (size_t i = 0; i < s->nfields; i++) {
		const struct debug_field *f = &s->fields[i];
		if (!member_fits(s, f->at, len) || (f->base >= 0 && !member_fits(s, f->base, len)) ||
		    f->field + sizeof(int32_t) > sizeof *L)
			return PYTOP_EINVAL;
		uint64_t v = u64_at(buf, f->at);
		if (f->base >= 0 && __builtin_sub_overflow(v, u64_at(buf, f->base), &v))
			return PYTOP_EINVAL;
		if (v > INT32_MAX)
			return PYTOP_EINVAL;
		int32_t *slot = (int32_t *)((char *)L + f->field);
		if (*slot != (int32_t)v)
			changed++;
		*slot = (int32_t)v;
	}
	/* The block gives no switch_number: it follows `locked` (an int then an
	 * unsigned long) in every build, and the struct grows with it (and
	 * switch_cond with it). A free-threaded build puts `int enabled`
	 * first. */
	int32_t shift;
	if (__builtin_sub_overflow(L->gil_locked, old_locked, &shift) ||
	    __builtin_add_overflow(L->gil_switch_number, shift, &L->gil_switch_number) ||
	    __builtin_add_overflow(L->gil_size, shift, &L->gil_size) ||
	    __builtin_add_overflow(L->gil_switch_cond, shift, &L->gil_switch_cond))
		return PYTOP_EINVAL;
	if (!member_fits(s, s->free_threaded, len))
		return PYTOP_EINVAL;
	uint64_t ft = u64_at(buf, s->free_threaded) != 0;
	if (L->free_threaded != (int32_t)ft)
		changed++;
	L->free_threaded = (int32_t)ft;
	if (ft) {
		uint64_t v;
		if (!member_fits(s, s->gil_enabled, len) || !member_fits(s, s->gil_state, len) ||
		    __builtin_sub_overflow(u64_at(buf, s->gil_enabled), u64_at(buf, s->gil_state), &v) ||
		    v > INT32_MAX)
			return PYTOP_EINVAL;
		changed += L->gil_enabled != (int32_t)v;
		L->gil_enabled = (int32_t)v;
	}
	return changed;
}

/* The offset at block member `at` (a uint64), when it and a field of width
 * bytes there fit in limit bytes; -1 otherwise. */
static int64_t inject_member(const struct debug_schema *s, const void *buf, size_t len, int32_t at,
			     uint64_t width, uint64_t limit)
{
	if (!member_fits(s, at, len))
		return -1;
	uint64_t v = u64_at(buf, at);
	if (v > INT32_MAX || width > limit || v > limit - width)
		return -1;
	return (int64_t)v;
}

int debug_offsets_injection(const void *buf, size_t len, struct debug_injection *out)
{
	uint64_t hex = debug_offsets_version(buf, len);
	const struct debug_schema *s;

	if (!hex)
		return PYTOP_EINVAL;
	if (!(s = debug_schema_for(hex)))
		return PYTOP_EVERSION;
	if (s->inject_support < 0 || !s->inject_stop_bit)
		return PYTOP_EVERSION;
	if (s->size <= 0 || (size_t)s->size > len)
		return PYTOP_EINVAL;
	/* The sizes the offsets are checked against: the structures' own. */
	int64_t interp_size = inject_member(s, buf, len, s->inject_interp_size, 0, 1u << 24);
	int64_t tstate_size = -1;
	for (size_t i = 0; i < s->nfields; i++)
		if (s->fields[i].field == DEBUG_FIELD(tstate_size))
			tstate_size = inject_member(s, buf, len, s->fields[i].at, 0, 1u << 24);
	if (interp_size <= 0 || tstate_size <= 0)
		return PYTOP_EINVAL;
	int64_t path_size = inject_member(s, buf, len, s->inject_script_path_size, 0, 1u << 16);
	int64_t support = inject_member(s, buf, len, s->inject_support, 0, (uint64_t)tstate_size);
	if (path_size < 16 || support < 0)
		return PYTOP_EINVAL;
	uint64_t room = (uint64_t)(tstate_size - support);
	int64_t pending = inject_member(s, buf, len, s->inject_pending_call, 4, room);
	int64_t path = inject_member(s, buf, len, s->inject_script_path, (uint64_t)path_size, room);
	int64_t breaker = inject_member(s, buf, len, s->inject_eval_breaker, 8, (uint64_t)tstate_size);
	int64_t mainp = inject_member(s, buf, len, s->inject_threads_main, 8, (uint64_t)interp_size);
	int64_t enabled = inject_member(s, buf, len, s->inject_enabled, 4, (uint64_t)interp_size);
	if (pending < 0 || path < 0 || breaker < 0 || mainp < 0 || enabled < 0)
		return PYTOP_EINVAL;
	out->interp_threads_main = (int32_t)mainp;
	out->interp_enabled = (int32_t)enabled;
	out->tstate_eval_breaker = (int32_t)breaker;
	out->tstate_pending_call = (int32_t)(support + pending);
	out->tstate_script_path = (int32_t)(support + path);
	out->script_path_size = (int32_t)path_size;
	out->stop_bit = s->inject_stop_bit;
	return 0;
}
