/* gil: locating, decoding a GIL state and recognising its waiters. */
#include "cpython/gil.h"

#include <stddef.h>
#include <string.h>

static size_t field_end(int32_t off, size_t size)
{
	return off >= 0 ? (size_t)off + size : 0;
}

size_t gil_read_size(const struct py_layout *L)
{
	const struct { int32_t off; size_t size; } f[] = {
		{ L->gil_locked, 4 }, { L->gil_holder, 8 }, { L->gil_last_holder, 8 },
		{ L->gil_switch_number, 8 }, { L->gil_enabled, 4 },
	};
	size_t n = 0;

	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
		if (field_end(f[i].off, f[i].size) > n)
			n = field_end(f[i].off, f[i].size);
	return n <= GIL_READ_MAX ? n : GIL_READ_MAX;
}

void gil_where_struct(const struct py_layout *L, uint64_t gil, struct gil_where *w)
{
	memset(w, 0, sizeof *w);
	if (!gil)
		return;
	w->addr = gil;
	w->region[0] = (struct gil_region){ gil, 0, (uint32_t)gil_read_size(L) };
	w->nregions = 1;
	if (L->gil_size <= 0)
		return;
	/* switch_cond and switch_mutex end the struct (layout.h) */
	uint64_t take = L->gil_switch_cond > 0 && L->gil_switch_cond < L->gil_size ?
			(uint64_t)L->gil_switch_cond : (uint64_t)L->gil_size;
	w->wait[w->nwaits++] = (struct gil_wait){ gil, take, GIL_WAIT_TAKE };
	if (take < (uint64_t)L->gil_size)
		w->wait[w->nwaits++] = (struct gil_wait){ gil + take, (uint64_t)L->gil_size - take, GIL_WAIT_SWITCH };
}

/* The 3.6 statics: a state static is read to the layout's field offset in
 * gil_parse()'s buffer and must have exactly its size; a lock or condition
 * (at most GIL_WAIT_OBJ_MAX bytes) is where the GIL's waiters sleep:
 * take_gil waits on gil_cond under gil_mutex, drop_gil (FORCE_SWITCHING)
 * on switch_cond under switch_mutex. */
static const struct gil_static {
	const char *name;
	uint64_t size;
	ptrdiff_t field;          /* offsetof(struct py_layout, gil_X), or -1: a wait object */
	enum gil_wait_kind kind;  /* a wait object's */
} gil_statics[GIL_STATICS] = {
	{ "gil_locked", 4, offsetof(struct py_layout, gil_locked), GIL_WAIT_NONE },
	{ "_PyThreadState_Current", 8, offsetof(struct py_layout, gil_holder), GIL_WAIT_NONE },
	{ "gil_last_holder", 8, offsetof(struct py_layout, gil_last_holder), GIL_WAIT_NONE },
	{ "gil_switch_number", 8, offsetof(struct py_layout, gil_switch_number), GIL_WAIT_NONE },
	{ "gil_cond", GIL_WAIT_OBJ_MAX, -1, GIL_WAIT_TAKE },
	{ "gil_mutex", GIL_WAIT_OBJ_MAX, -1, GIL_WAIT_TAKE },
	{ "switch_cond", GIL_WAIT_OBJ_MAX, -1, GIL_WAIT_SWITCH },
	{ "switch_mutex", GIL_WAIT_OBJ_MAX, -1, GIL_WAIT_SWITCH },
};

const char *gil_static_name(int i)
{
	return i >= 0 && i < GIL_STATICS ? gil_statics[i].name : "";
}

void gil_where_statics(const struct py_layout *L, const uint64_t value[GIL_STATICS],
		       const uint64_t size[GIL_STATICS], struct gil_where *out)
{
	struct gil_where w;

	memset(out, 0, sizeof *out);
	memset(&w, 0, sizeof w);
	for (int i = 0; i < GIL_STATICS; i++) {
		const struct gil_static *g = &gil_statics[i];
		if (g->field < 0) {
			if (value[i] && size[i] > 0 && size[i] <= g->size && w.nwaits < GIL_WAITS_MAX)
				w.wait[w.nwaits++] = (struct gil_wait){ value[i], size[i], g->kind };
			continue;
		}
		int32_t off;
		memcpy(&off, (const char *)L + g->field, sizeof off);
		if (!value[i] || size[i] != g->size || off < 0 || w.nregions == GIL_REGIONS_MAX)
			return;   /* unknown */
		w.region[w.nregions++] = (struct gil_region){ value[i], (uint32_t)off, (uint32_t)g->size };
		if (!w.addr)
			w.addr = value[i];
	}
	if (gil_where_check(&w))
		*out = w;
}

bool gil_where_check(const struct gil_where *w)
{
	if (!w->addr || w->nregions < 1 || w->nregions > GIL_REGIONS_MAX ||
	    w->nwaits < 0 || w->nwaits > GIL_WAITS_MAX)
		return false;
	for (int i = 0; i < w->nregions; i++) {
		const struct gil_region *r = &w->region[i];
		if (!r->remote || !r->len || r->local > GIL_READ_MAX || r->len > GIL_READ_MAX - r->local ||
		    r->remote + r->len < r->remote)
			return false;
	}
	for (int i = 0; i < w->nwaits; i++)
		if (!w->wait[i].lo || !w->wait[i].len || w->wait[i].lo + w->wait[i].len < w->wait[i].lo ||
		    (w->wait[i].kind != GIL_WAIT_TAKE && w->wait[i].kind != GIL_WAIT_SWITCH))
			return false;
	return true;
}

int gil_iov(const struct gil_where *w, unsigned char *buf, struct mem_iov *iov)
{
	if (!gil_where_check(w))
		return 0;
	for (int i = 0; i < w->nregions; i++)
		iov[i] = (struct mem_iov){ w->region[i].remote, buf + w->region[i].local, w->region[i].len };
	return w->nregions;
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
	int32_t locked = i32(L, b, L->gil_locked);
	if (locked < 0 && L->gil_holder >= 0) {
		/* No GIL yet (3.6 with one thread): the thread state running
		 * Python holds what stands for it. */
		out->holder = out->enabled ? u64(L, b, L->gil_holder) : 0;
		out->locked = out->holder != 0;
		return;
	}
	/* locked is -1 before the GIL is created: only 1 means held. */
	out->locked = out->enabled && locked > 0;
	out->holder = out->locked ? out->last_holder : 0;
}

enum gil_wait_kind gil_wait_kind(const struct gil_where *w, long nr, uint64_t arg0)
{
	if ((nr != GIL_SYS_FUTEX && nr != GIL_SYS_RESTART) || !w->addr)
		return GIL_WAIT_NONE;
	for (int i = 0; i < w->nwaits && i < GIL_WAITS_MAX; i++)
		if (arg0 >= w->wait[i].lo && arg0 - w->wait[i].lo < w->wait[i].len)   /* no wrap */
			return w->wait[i].kind == GIL_WAIT_SWITCH ? GIL_WAIT_SWITCH : GIL_WAIT_TAKE;
	return GIL_WAIT_NONE;
}

bool gil_is_wait(const struct gil_where *w, long nr, uint64_t arg0)
{
	return gil_wait_kind(w, nr, arg0) != GIL_WAIT_NONE;
}
