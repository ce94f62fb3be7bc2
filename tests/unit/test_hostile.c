/* test_hostile: the object readers, the stack walker and the interpreter list
 * over a fake address space that a hostile target controls. This file
 * supplies mem_read/mem_readv/mem_readv_each/mem_read_ptr/mem_syscalls
 * itself, so the linker takes them from here instead of
 * src/process/memory.c. The layouts are set
 * directly (bypassing layout_validate) to show the bound at each read. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cpython/layout.h"
#include "cpython/objects.h"
#include "cpython/pystring.h"
#include "cpython/rlist.h"
#include "cpython/runtime.h"
#include "cpython/stack.h"
#include "cpython/versions.h"
#include "errors.h"
#include "process/memory.h"
#include "tap.h"

/* The fake address space: one zeroed region at BASE. */
#define BASE 0x100000ull
#define SIZE (256u << 10)
static unsigned char *space;

int mem_read(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	(void)pid;
	if (len == 0)
		return 0;
	if (addr < BASE || addr - BASE > SIZE || len > SIZE - (addr - BASE))
		return PYTOP_EREAD;
	memcpy(buf, space + (addr - BASE), len);
	return 0;
}

int mem_readv(pid_t pid, struct mem_iov *iov, int n)
{
	for (int i = 0; i < n; i++)
		if (mem_read(pid, iov[i].addr, iov[i].buf, iov[i].len) < 0)
			return i;
	return n;
}

int mem_readv_each(pid_t pid, struct mem_iov *iov, int n)
{
	int got = 0;
	for (int i = 0; i < n; i++) {
		if (mem_read(pid, iov[i].addr, iov[i].buf, iov[i].len) < 0)
			iov[i].len = 0;
		else
			got++;
	}
	return got;
}

int mem_read_ptr(pid_t pid, uint64_t addr, uint64_t *out)
{
	return mem_read(pid, addr, out, sizeof *out);
}

uint64_t mem_syscalls(void)
{
	return 0;
}

static void put64(uint64_t addr, uint64_t v)
{
	memcpy(space + (addr - BASE), &v, 8);
}

static void put32(uint64_t addr, uint32_t v)
{
	memcpy(space + (addr - BASE), &v, 4);
}

static void put_bytes(uint64_t addr, const void *p, size_t n)
{
	memcpy(space + (addr - BASE), p, n);
}

#define STR_TYPE (BASE + 0x3c000)   /* the target's PyUnicode_Type */

/* A compact ASCII str at addr. */
static void put_str(const struct py_layout *L, uint64_t addr, const char *s)
{
	put64(addr + (uint64_t)L->object_type, STR_TYPE);
	put64(addr + (uint64_t)L->unicode_length, strlen(s));
	put32(addr + (uint64_t)L->unicode_state,
	      (1u << L->unicode_kind_shift) | (1u << L->unicode_compact_shift) | (1u << L->unicode_ascii_shift));
	put_bytes(addr + (uint64_t)L->unicode_ascii_data, s, strlen(s) + 1);
}

static struct py_target t;
static struct stack_cache *cache;   /* the walker's caches (a caller's own, as the sampler's) */

static void target_for(int minor)
{
	memset(space, 0, SIZE);
	t.pid = 1;
	t.L = *layout_for_version(3, minor);
	t.major = 3;
	t.minor = minor;
	t.schema_minor = 0;
	t.pthread_tid_offset = -1;
	t.code_type = BASE + 0x30000;
	t.str_type = STR_TYPE;
	t.runtime = BASE + 0x38000;
	if (cache)
		stack_cache_clear(cache);
}

/* An int at addr: size word then up to three 30-bit digits. */
static void put_long(uint64_t addr, int64_t size_word, uint32_t d0, uint32_t d1, uint32_t d2)
{
	put64(addr + (uint64_t)t.L.long_size, (uint64_t)size_word);
	put32(addr + (uint64_t)t.L.long_digit, d0);
	put32(addr + (uint64_t)t.L.long_digit + 4, d1);
	put32(addr + (uint64_t)t.L.long_digit + 8, d2);
}

static void test_longs(void)
{
	uint64_t a = BASE + 0x1000;
	int64_t v = 0;

	target_for(11);
	put_long(a, -1, 5, 0, 0);
	tap_ok(obj_read_long(&t, a, &v) == 0 && v == -5, "3.11: -5 reads as -5");
	put_long(a, INT64_MIN, 1, 0, 0);
	tap_is(obj_read_long(&t, a, &v), PYTOP_ECORRUPT, "3.11: ob_size INT64_MIN is refused (no -INT64_MIN)");
	put_long(a, 3, 0, 0, 1u << 29);
	tap_is(obj_read_long(&t, a, &v), PYTOP_ECORRUPT, "3.11: three digits worth 2^89 are refused, not wrapped");
	put_long(a, 1, 0x80000000u, 0, 0);
	tap_is(obj_read_long(&t, a, &v), PYTOP_ECORRUPT, "3.11: a digit wider than 30 bits is refused");

	target_for(12);
	put_long(a, (3 << 3) | 2, 0, 0, 8);
	tap_ok(obj_read_long(&t, a, &v) == 0 && v == INT64_MIN, "3.12: -2^63 reads as INT64_MIN (checked negation)");
	put_long(a, (3 << 3) | 0, 0, 0, 8);
	tap_is(obj_read_long(&t, a, &v), PYTOP_ECORRUPT, "3.12: +2^63 does not fit an int64 and is refused");
	put_long(a, (int64_t)(UINT64_MAX & ~7ull), 1, 1, 1);
	tap_is(obj_read_long(&t, a, &v), PYTOP_ECORRUPT, "3.12: an lv_tag of 2^61 digits is refused");
	put_long(a, (2 << 3) | 0, 7, 1, 0);
	tap_ok(obj_read_long(&t, a, &v) == 0 && v == (1ll << 30) + 7, "3.12: two digits read right");
}

/* A dict with one entry "k" -> value in a 3.10 (DK_SIZE) layout. */
static uint64_t put_dict_310(uint64_t value)
{
	const struct py_layout *L = &t.L;
	uint64_t dict = BASE + 0x2000, keys = BASE + 0x3000, key = BASE + 0x4000;
	put64(dict + (uint64_t)L->dict_keys, keys);
	put64(keys + (uint64_t)L->keys_size, 8);
	put64(keys + (uint64_t)L->keys_nentries, 1);
	uint64_t entries = keys + (uint64_t)L->keys_indices + 8;   /* 8 one-byte indices */
	put64(entries + 8, key);
	put64(entries + 16, value);
	put_str(L, key, "k");
	return dict;
}

/* obj_getattrs: several attributes in one lookup of a 3.10 instance
 * dict whose keys are short, long, unreadable and a str subclass's. */
static void test_getattrs(void)
{
	const struct py_layout *L;
	uint64_t obj = BASE + 0x8000, type = BASE + 0x8800, dict = BASE + 0x9000, keys = BASE + 0x9800;
	uint64_t k[5] = { BASE + 0xa000, BASE + 0xa200, 0x10, BASE + 0xa400, BASE + 0xa600 };
	uint64_t v[3] = { 9, 9, 9 };
	static const char *const names[] = { "_native_id", "_name", "_missing" };

	target_for(10);
	L = &t.L;
	put64(obj + (uint64_t)L->object_type, type);
	put64(type + (uint64_t)L->type_dictoffset, 16);
	put64(type + (uint64_t)L->type_basicsize, 32);
	put64(obj + 16, dict);
	put64(dict + (uint64_t)L->dict_keys, keys);
	put64(keys + (uint64_t)L->keys_size, 8);
	put64(keys + (uint64_t)L->keys_nentries, 5);
	uint64_t entries = keys + (uint64_t)L->keys_indices + 8;
	put_str(L, k[0], "a_key_far_longer_than_any_of_the_names_looked_up");
	put_str(L, k[1], "_name");
	/* k[2]: unreadable */
	put_str(L, k[3], "_native_id");
	put_str(L, k[4], "_native_id_not");
	for (int i = 0; i < 5; i++) {
		put64(entries + 24 * (uint64_t)i + 8, k[i]);
		put64(entries + 24 * (uint64_t)i + 16, 0x1000 + (uint64_t)i);
	}
	tap_ok(obj_getattrs(&t, obj, names, 3, v) == 2 && v[0] == 0x1003 && v[1] == 0x1001 && v[2] == 0,
	       "obj_getattrs: two of three names found in one lookup, past a long and an unreadable key");
	tap_ok(obj_getattr(&t, obj, "_name", &v[0]) == 0 && v[0] == 0x1001, "obj_getattr: the same dict");
	tap_is(obj_getattr(&t, obj, "_missing", &v[0]), PYTOP_EINVAL, "obj_getattr: a name not there");
	/* A key of a str subclass is read on its own and still matches. */
	put64(k[1] + (uint64_t)L->object_type, BASE + 0xb000);
	put64(BASE + 0xb000 + (uint64_t)L->type_flags, 1ull << 28);
	tap_ok(obj_getattr(&t, obj, "_name", &v[0]) == 0 && v[0] == 0x1001, "obj_getattr: a str subclass key");
	/* A key that is no str at all names nothing. */
	put64(BASE + 0xb000 + (uint64_t)L->type_flags, 0);
	tap_is(obj_getattr(&t, obj, "_name", &v[0]), PYTOP_EINVAL, "obj_getattr: a key of another type is no name");
	tap_is(obj_getattrs(&t, obj, names, 0, v), PYTOP_EINVAL, "obj_getattrs: no names");
	tap_is(obj_getattr(&t, obj, "a_key_far_longer_than_any_of_the_names_looked_up", &v[0]), PYTOP_EINVAL,
	       "obj_getattr: a name over 40 bytes is refused");
}

static void test_bounds(void)
{
	uint64_t v = 0;
	int64_t iv;
	char s[64];

	target_for(10);
	uint64_t dict = put_dict_310(0x1234);
	tap_ok(dict_get_str(&t, dict, "k", &v) == 0 && v == 0x1234, "a sane dict is read");
	t.L.dict_values = 2000;
	tap_is(dict_get_str(&t, dict, "k", &v), PYTOP_ECORRUPT, "dict_values 2000 is refused before a 2008-byte read");
	t.L = *layout_for_version(3, 10);
	t.L.keys_entry_size = 2008;
	tap_is(dict_get_str(&t, dict, "k", &v), PYTOP_ECORRUPT, "a keys entry of 2008 bytes is refused (entry buffer)");
	t.L = *layout_for_version(3, 10);
	t.L.keys_indices = 4000;
	tap_is(dict_get_str(&t, dict, "k", &v), PYTOP_ECORRUPT, "keys_indices 4000 is refused (64-byte keys head)");
	t.L = *layout_for_version(3, 10);
	t.L.long_digit = 60;
	tap_is(obj_read_long(&t, BASE + 0x1000, &iv), PYTOP_ECORRUPT, "long_digit 60 is refused (64-byte int head)");
	t.L = *layout_for_version(3, 10);
	t.L.long_size = 60;
	tap_is(obj_read_long(&t, BASE + 0x1000, &iv), PYTOP_ECORRUPT, "long_size 60 is refused (past the bytes read)");
	t.L = *layout_for_version(3, 10);
	t.L.keys_nentries = 60;
	tap_is(dict_get_str(&t, dict, "k", &v), PYTOP_ECORRUPT, "keys_nentries past keys_indices is refused");
	t.L = *layout_for_version(3, 10);
	t.L.unicode_state = 500;
	tap_is(obj_read_string(&t, BASE + 0x4000, s, sizeof s), PYTOP_ECORRUPT,
	       "unicode_state past the str header is refused");
	t.L = *layout_for_version(3, 10);
	t.L.type_dictoffset = 600;
	put64(BASE + 0x5000 + (uint64_t)t.L.object_type, BASE + 0x6000);
	tap_is(obj_getattr(&t, BASE + 0x5000, "x", &v), PYTOP_ECORRUPT, "type_dictoffset 600 is refused (512-byte type head)");
	t.L = *layout_for_version(3, 10);
	t.L.unicode_compact_data = 4000;
	put_str(&t.L, BASE + 0x7000, "abc");
	tap_is(obj_read_string(&t, BASE + 0x7000, s, sizeof s), PYTOP_ECORRUPT,
	       "unicode_compact_data 4000 is refused (512-byte str head)");

	/* A str's type is checked: another object read as a str would be a
	 * made-up name; a subclass of str (its type's flag) is a str. */
	t.L = *layout_for_version(3, 10);
	put_str(&t.L, BASE + 0x7000, "abc");
	tap_ok(obj_read_string(&t, BASE + 0x7000, s, sizeof s) == 0 && strcmp(s, "abc") == 0, "a str reads");
	put64(BASE + 0x7000 + (uint64_t)t.L.object_type, BASE + 0x6000);
	put64(BASE + 0x6000 + (uint64_t)t.L.type_flags, 1ull << 10);
	tap_is(obj_read_string(&t, BASE + 0x7000, s, sizeof s), PYTOP_ECORRUPT,
	       "an object whose type is not str is not read as one");
	put64(BASE + 0x6000 + (uint64_t)t.L.type_flags, (1ull << 28) | (1ull << 9));
	tap_ok(obj_read_string(&t, BASE + 0x7000, s, sizeof s) == 0 && strcmp(s, "abc") == 0,
	       "an instance of a str subclass reads");
	put64(BASE + 0x7000 + (uint64_t)t.L.object_type, BASE + SIZE + 0x1000);
	tap_is(obj_read_string(&t, BASE + 0x7000, s, sizeof s), PYTOP_ECORRUPT,
	       "a type pointer that cannot be read is not a str");

	struct thread_info ti;
	struct stack_frame frames[8];
	int flags;
	t.L = *layout_for_version(3, 13);
	t.L.tstate_size = 5000;
	tap_is(stack_walk(cache, &t, BASE + 0x8000, &ti, frames, 8, &flags), PYTOP_ECORRUPT,
	       "tstate_size 5000 is refused before a read into the 1024-byte thread-state buffer");
}

/* A code object at code named "f" (its qualified name too, 3.11+) from
 * x.py, first line 7. */
static void put_code(const struct py_layout *L, uint64_t code)
{
	put64(code + (uint64_t)L->object_type, t.code_type);
	put64(code + (uint64_t)L->code_name, BASE + 0xb000);
	if (L->code_qualname >= 0)
		put64(code + (uint64_t)L->code_qualname, BASE + 0xb000);
	put64(code + (uint64_t)L->code_filename, BASE + 0xc000);
	put32(code + (uint64_t)L->code_firstlineno, 7);
	put_str(L, BASE + 0xb000, "f");
	put_str(L, BASE + 0xc000, "x.py");
}

/* 3.10: a thread state whose one frame has f_lasti = lasti in a code
 * object named "f" whose co_code cannot be read (size unknown). */
static int walk_310(int32_t lasti, struct stack_frame *frames, char *name, size_t cap)
{
	const struct py_layout *L;
	uint64_t ts = BASE + 0x8000, f = BASE + 0x9000, code = BASE + 0xa000;
	struct thread_info ti;
	int flags;

	target_for(10);
	L = &t.L;
	put64(ts + (uint64_t)L->tstate_frame, f);
	put64(f + (uint64_t)L->object_type - 8, 1);   /* ob_refcnt: a live frame */
	put64(f + (uint64_t)L->frame_code, code);
	put32(f + (uint64_t)L->frame_lasti, (uint32_t)lasti);
	put_code(L, code);
	int depth = stack_walk(cache, &t, ts, &ti, frames, 8, &flags);
	if (depth > 0)
		snprintf(name, cap, "%s", frames[0].func->name);
	return depth;
}

static void test_walk(void)
{
	struct stack_frame frames[8];
	char name[32] = "";

	tap_is(walk_310(10, frames, name, sizeof name), 1, "3.10: a sane frame is walked");
	tap_str(name, "f", "and named");
	tap_is(walk_310(INT32_MAX, frames, name, sizeof name), PYTOP_ECORRUPT,
	       "3.10: f_lasti INT32_MAX (x2 overflows) is refused (checked multiply)");
}

/* 3.14+: a frame popped between the thread state's read and its own has
 * f_executable PyStackRef_NULL (1): the stack changed under the reader (a
 * torn read, read again by the sampler), not a failed read. 3.14 and 3.15's
 * recursion lost 60-70 % of their samples to it, never read again. */
static void test_popped_frame(void)
{
	uint64_t ts = BASE + 0x8000, f = BASE + 0x9000;
	struct stack_frame frames[8];
	struct thread_info ti;
	int flags;

	for (int minor = 14; minor <= 15; minor++) {
		target_for(minor);
		const struct py_layout *L = &t.L;
		put64(ts + (uint64_t)L->tstate_current_frame, f);
		put64(f + (uint64_t)L->iframe_code, 1);   /* PyStackRef_NULL */
		tap_is(stack_walk(cache, &t, ts, &ti, frames, 8, &flags), PYTOP_ECORRUPT,
		       "3.%d: a current frame whose executable was cleared (popped while read) is a torn read",
		       minor);
	}
}

/* 3.11+: the thread state at ts has f as its current frame (3.11-3.12:
 * through its _PyCFrame at BASE + 0x8800). */
static void put_current(const struct py_layout *L, uint64_t ts, uint64_t f)
{
	bool cframe = L->frame_model == FRAME_MODEL_CFRAME;

	put64(ts + (uint64_t)(cframe ? L->tstate_cframe : L->tstate_current_frame), cframe ? BASE + 0x8800 : f);
	if (cframe)
		put64(BASE + 0x8800 + (uint64_t)L->cframe_current_frame, f);
}

/* The owner value of L's eval-call shim frames (3.14+ the interpreter's,
 * 3.12-3.13 the C stack's), or -1: the version has none (3.11). */
static int shim_owner(const struct py_layout *L)
{
	return L->iframe_owner_interpreter >= 0 ? L->iframe_owner_interpreter : L->iframe_owner_cstack;
}

/* 3.11+: a thread state whose one frame, the thread's current, runs code
 * object "f" and has owner value owner; the walk's result. newer: the
 * target is 3.(minor + 1), read with 3.minor's table (t.schema_minor).
 * shim: the frame's previous is the eval call's shim frame (3.12+: owned
 * by the C stack, 3.14+ by the interpreter), the bottom of every chain. */
static int walk_owner(int minor, int owner, bool newer, bool shim)
{
	uint64_t ts = BASE + 0x8000, f = BASE + 0x9000, code = BASE + 0xa000;
	struct stack_frame frames[8];
	struct thread_info ti;
	int flags;

	target_for(minor);
	if (newer) {
		t.minor = minor + 1;
		t.schema_minor = minor;
	}
	const struct py_layout *L = &t.L;
	put_current(L, ts, f);
	put64(f + (uint64_t)L->iframe_code, code);
	put64(f + (uint64_t)L->iframe_instr, code + (uint64_t)L->code_code_adaptive + 4);
	space[f + (uint64_t)L->iframe_owner - BASE] = (unsigned char)owner;
	put64(f + (uint64_t)L->iframe_previous, shim ? BASE + 0x9800 : 0);
	if (shim) {
		space[BASE + 0x9800 + (uint64_t)L->iframe_owner - BASE] = (unsigned char)shim_owner(L);
		put64(BASE + 0x9800 + (uint64_t)L->iframe_previous, 0);
	}
	put_code(L, code);
	put64(code + (uint64_t)L->var_size, 8);   /* 8 code units */
	return stack_walk(cache, &t, ts, &ti, frames, 8, &flags);
}

/* The largest of a layout's frame-owner values. */
static int owner_last(const struct py_layout *L)
{
	int32_t owners[] = { L->iframe_owner_thread, L->iframe_owner_generator, L->iframe_owner_frame_object,
			     L->iframe_owner_cstack, L->iframe_owner_interpreter };
	int last = -1;

	for (size_t i = 0; i < sizeof owners / sizeof owners[0]; i++)
		if (owners[i] > last)
			last = owners[i];
	return last;
}

/* 3.11+: a frame whose owner is none of the version's values (a debug
 * build's freed memory, 0xDD) is not a frame: the walk is torn (seen on
 * 3.15d, a generator freed while read walked as 'leaf' alone). Every
 * version of the registry. A version newer than every table may have
 * values of its own (CPython's main branch has had a fifth,
 * FRAME_OWNED_BY_THREAD_STATE, the thread state's base frame under every
 * stack): not refused there. */
static void test_owner(void)
{
	int newest = 0;

	for (size_t i = 0; i < py_versions_count; i++) {
		int minor = py_versions[i].minor;
		if (py_versions[i].major != 3 || minor < 11 || py_versions[i].free_threaded)
			continue;
		newest = minor;
		const struct py_layout *L = layout_for_version(3, minor);
		bool shims = shim_owner(L) >= 0;
		tap_is(walk_owner(minor, 0, false, shims), 1, "3.%d: a frame on the thread's stack is walked", minor);
		tap_is(walk_owner(minor, 0xdd, false, shims), PYTOP_ECORRUPT,
		       "3.%d: a frame with owner 0xdd (freed memory in a debug build) is a torn read", minor);
		int last = owner_last(L);
		tap_ok(walk_owner(minor, last, false, shims) >= 0, "3.%d: its last owner value (%d) is not refused", minor,
		       last);
		tap_is(walk_owner(minor, last + 1, false, shims), PYTOP_ECORRUPT,
		       "3.%d: the owner value one past the version's last (%d) is a torn read", minor, last + 1);
		tap_is(walk_owner(minor, L->iframe_owner_generator, false, false), PYTOP_ECORRUPT,
		       "3.%d: a generator's frame with no previous frame (it yielded) is a torn read", minor);
		tap_is(walk_owner(minor, L->iframe_owner_thread, false, false), 1,
		       shims ? "3.%d: a started frame on the thread's stack with no shim under it is the bottom "
			       "(greenlet leaves its frames so while it switches)" :
			       "3.%d (no shims): a frame on the thread's stack with no previous frame is the bottom",
		       minor);
		if (shims)
			tap_is(walk_owner(minor, L->iframe_owner_frame_object, false, false), PYTOP_ECORRUPT,
			       "3.%d: a frame object's frame with no shim under it (not on any stack) is a torn read",
			       minor);
	}
	int past = owner_last(layout_for_version(3, newest)) + 1;
	tap_is(walk_owner(newest, past, true, true), 1,
	       "3.%d read with 3.%d's table: a frame with an owner value 3.%d lacks (%d) is walked", newest + 1,
	       newest, newest, past);
	tap_is(walk_owner(newest, layout_for_version(3, newest)->iframe_owner_thread, true, false), 1,
	       "3.%d read with 3.%d's table: a frame with no shim under it is walked (the bottom may differ)",
	       newest + 1, newest);
	/* CPython's main branch ends every chain at the thread state's base
	 * frame, owner 4 (FRAME_OWNED_BY_THREAD_STATE), no previous frame:
	 * not a shim of 3.15's table, yet the bottom. */
	tap_is(walk_owner(newest, past, true, false), 1,
	       "3.%d read with 3.%d's table: a frame with an owner value 3.%d lacks (%d) and no previous frame "
	       "is walked (not taken for a 3.%d chain's missing shim)",
	       newest + 1, newest, newest, past, newest);
	t.schema_minor = 0;
}

/* A frame of walk_chain's chain. */
struct chain_frame {
	char kind;   /* 'g' a generator's, 't' on the thread's stack, 'r' one on the thread's stack
		      * started and not at a call (it ran on), 'i' one not yet started, 's' a shim,
		      * 'c' 3.13+'s __init__ cleanup frame (CALL_ALLOC_AND_ENTER_INIT): on the thread's
		      * stack, never started, waiting at a call-family instruction of its own code */
	bool entry;  /* 3.11: is_entry (called from C) */
};

/* The first opcode of L's table that is one code unit long and a
 * call-family instruction (3.13+: EXIT_INIT_CHECK), or -1. */
static int call_op1(const struct py_layout *L)
{
	for (int op = 0; L->opcodes && op < 256; op++)
		if ((L->opcodes[op] & LAYOUT_OP_LEN) == 1 && (L->opcodes[op] & LAYOUT_OP_CALLS))
			return op;
	return -1;
}

/* 3.11+: a thread whose chain is the n frames of ff, innermost first
 * (frames 0x200 apart from BASE + 0x9000), all running code object "f"
 * (first traceable unit 2: one not started is at unit 0, one started at
 * unit 3, a one-unit call-family instruction when the table has one, 'r'
 * at unit 2, a CACHE unit: no call)
 * but 'c', which waits at unit 0 (a one-unit call-family instruction) of
 * a code object of 3 units whose first traceable unit is 4, as CPython's
 * _Py_InitCleanup; the walk's result. */
static int walk_chain(int minor, const struct chain_frame *ff, int n)
{
	uint64_t ts = BASE + 0x8000, code = BASE + 0xa000, cleanup = BASE + 0xa800;
	struct stack_frame frames[8];
	struct thread_info ti;
	int flags;

	target_for(minor);
	const struct py_layout *L = &t.L;
	uint64_t f0 = BASE + 0x9000;
	put_current(L, ts, f0);
	for (int i = 0; i < n; i++) {
		uint64_t f = f0 + 0x200 * (uint64_t)i;
		int owner = ff[i].kind == 'g'   ? L->iframe_owner_generator :
			    ff[i].kind == 's' ? shim_owner(L) :
						L->iframe_owner_thread;
		space[f + (uint64_t)L->iframe_owner - BASE] = (unsigned char)owner;
		put64(f + (uint64_t)L->iframe_previous, i + 1 < n ? f + 0x200 : 0);
		if (ff[i].kind != 's') {
			uint64_t c = ff[i].kind == 'c' ? cleanup : code;
			put64(f + (uint64_t)L->iframe_code, c);
			put64(f + (uint64_t)L->iframe_instr,
			      c + (uint64_t)L->code_code_adaptive +
				      (ff[i].kind == 'i' || ff[i].kind == 'c' ? 0 : ff[i].kind == 'r' ? 4 : 6));
		}
		if (L->iframe_is_entry >= 0)
			space[f + (uint64_t)L->iframe_is_entry - BASE] = ff[i].entry;
	}
	put_code(L, code);
	put64(code + (uint64_t)L->var_size, 8);   /* 8 code units */
	put32(code + (uint64_t)L->code_firsttraceable, 2);
	int op = call_op1(L);
	if (op >= 0)
		space[code + (uint64_t)L->code_code_adaptive + 6 - BASE] = (unsigned char)op;
	put_code(L, cleanup);
	put64(cleanup + (uint64_t)L->var_size, 3);
	put32(cleanup + (uint64_t)L->code_firsttraceable, 4);
	if (op >= 0)
		space[cleanup + (uint64_t)L->code_code_adaptive - BASE] = (unsigned char)op;
	return stack_walk(cache, &t, ts, &ti, frames, 8, &flags);
}

/* 3.11+: a frame not yet started has called nothing in its own eval call,
 * so one under a frame of the same call is not its caller: a generator
 * being made where a freed one was (the creating frame copied into it,
 * owner still the thread's), read under a stale frame of the freed one
 * (seen on 3.13: 'leaf' alone, 2 in 92,000 samples at 10 kHz). One under
 * a shim (3.12+) or a frame called from C (3.11) ran a finalizer from its
 * prologue: walked, and not shown. */
static void test_incomplete_caller(void)
{
	for (size_t i = 0; i < py_versions_count; i++) {
		int minor = py_versions[i].minor;
		if (py_versions[i].major != 3 || minor < 11 || py_versions[i].free_threaded)
			continue;
		const struct py_layout *L = layout_for_version(3, minor);
		bool shims = shim_owner(L) >= 0;
		struct chain_frame torn[] = { { 'g', false }, { 'i', false }, { 's', false } };
		struct chain_frame finalizer[] = { { 'g', true }, { 's', false }, { 'i', false }, { 's', false } };
		struct chain_frame finalizer311[] = { { 'g', true }, { 'i', false }, { 't', true } };
		tap_is(walk_chain(minor, torn, shims ? 3 : 2), PYTOP_ECORRUPT,
		       "3.%d: a generator's frame whose caller in the same eval call is not yet started is a torn read",
		       minor);
		/* 3.12+: with no shim under it, a frame not yet started is a
		 * generator being made (seen on 3.13: 'leaf' alone); 3.11: the
		 * thread's first frame, about to start (walked, not shown). */
		struct chain_frame made[] = { { 'i', false } };
		tap_is(walk_chain(minor, made, 1), shims ? PYTOP_ECORRUPT : 0,
		       shims ? "3.%d: a frame not yet started with no shim under it (a generator being made) is a "
			       "torn read" :
			       "3.%d (no shims): a frame not yet started with no previous frame is walked, not shown",
		       minor);
		tap_is(shims ? walk_chain(minor, finalizer, 4) : walk_chain(minor, finalizer311, 3), shims ? 1 : 2,
		       "3.%d: a frame not yet started that called from C (a finalizer in its prologue) is walked, "
		       "not shown",
		       minor);
		/* 3.13+: C() with a Python __init__, specialized: __init__ runs
		 * under the never-started cleanup frame, which the caller
		 * pushed inline at its call. Every sample inside such an
		 * __init__ was dropped as torn (seen on 3.13.0, 3.14, 3.15). */
		if (minor >= 13) {
			struct chain_frame init[] = { { 't', false }, { 'c', false }, { 't', false }, { 's', false } };
			tap_ok(call_op1(L) >= 0, "3.%d: the table has a one-unit call-family instruction", minor);
			tap_is(walk_chain(minor, init, 4), 2,
			       "3.%d: __init__ under the never-started cleanup frame of CALL_ALLOC_AND_ENTER_INIT is "
			       "walked, the cleanup frame not shown",
			       minor);
			/* The cleanup frame is of the caller's eval call: the
			 * caller under it waits at its call like any other. */
			struct chain_frame init_torn[] = { { 't', false }, { 'c', false }, { 'r', false }, { 's', false } };
			tap_is(walk_chain(minor, init_torn, 4), PYTOP_ECORRUPT,
			       "3.%d: the caller under the __init__ cleanup frame read away from its call is a torn read",
			       minor);
		}
	}
}

/* Ids: a function read again (after a cache clear, or a code object
 * forgotten and reloaded every walk) keeps its id, so a target cannot grow
 * the consumer's tables by one id per sample; another name is another id. */
static void test_ids(void)
{
	struct stack_frame frames[8];
	struct thread_info ti;
	char name[32] = "";
	int flags;
	uint32_t first, again = 0, other = 0;

	walk_310(10, frames, name, sizeof name);
	first = frames[0].func->id;
	for (int i = 0; i < 50; i++) {
		walk_310(10, frames, name, sizeof name);   /* clears the cache first */
		again |= frames[0].func->id != first;
	}
	tap_ok(!again, "ids: the same function read again after 50 cache clears keeps its id");
	put_str(&t.L, BASE + 0xb000, "g");
	stack_cache_clear(cache);
	if (stack_walk(cache, &t, BASE + 0x8000, &ti, frames, 8, &flags) == 1) {
		other = frames[0].func->id;
		snprintf(name, sizeof name, "%s", frames[0].func->name);
	}
	tap_ok(other && other != first && !strcmp(name, "g"), "ids: another name at the same address, another id");
}

static void test_loops(void)
{
	uint64_t interps[64];
	uint64_t i1 = BASE + 0x10000, i2 = BASE + 0x11000, i3 = BASE + 0x12000;

	target_for(12);
	const struct py_layout *L = &t.L;
	put64(t.runtime + (uint64_t)L->runtime_interpreters_head, i1);
	put64(i1 + (uint64_t)L->interp_next, i2);
	put64(i2 + (uint64_t)L->interp_next, i3);
	tap_is(pyrt_interpreters(&t, interps, 64, NULL), 3, "a list of three interpreters is three");
	put64(i3 + (uint64_t)L->interp_next, i2);
	tap_is(pyrt_interpreters(&t, interps, 64, NULL), PYTOP_ECORRUPT, "a list that loops back is an error, not 64 copies");
	put64(i1 + (uint64_t)L->interp_next, i1);
	tap_is(pyrt_interpreters(&t, interps, 64, NULL), PYTOP_ECORRUPT, "a node pointing at itself is an error");

	/* 70 interpreters, 64 read: the newest 63 and the main one (the last
	 * of the list), and the 6 left out are said. */
	{
		int beyond = -1, n;
		for (uint64_t k = 0; k < 70; k++)
			put64(BASE + 0x20000 + 0x100 * k + (uint64_t)L->interp_next,
			      k + 1 < 70 ? BASE + 0x20000 + 0x100 * (k + 1) : 0);
		put64(t.runtime + (uint64_t)L->runtime_interpreters_head, BASE + 0x20000);
		n = pyrt_interpreters(&t, interps, 64, &beyond);
		tap_ok(n == 64 && beyond == 6 && interps[0] == BASE + 0x20000 &&
		       interps[62] == BASE + 0x20000 + 0x100 * 62 && interps[63] == BASE + 0x20000 + 0x100 * 69,
		       "70 interpreters, 64 read: the newest 63 and the main one, 6 said left out (n %d beyond %d)",
		       n, beyond);
		n = pyrt_interpreters(&t, interps, 1, &beyond);
		tap_ok(n == 1 && beyond == 69 && interps[0] == BASE + 0x20000 + 0x100 * 69,
		       "one interpreter asked for: the main one");
	}

	/* Brent's detector on its own: no false alarm on a long list, every
	 * loop found within a bounded number of steps. */
	struct rlist r;
	int alarm = 0;
	rlist_init(&r);
	for (uint64_t n = 1; n <= 100000; n++)
		alarm |= rlist_loops(&r, n * 64);
	tap_ok(!alarm, "100000 distinct nodes: no loop reported");
	int worst = 0, all = 1;
	for (int mu = 0; mu < 40; mu++) {
		for (int lambda = 1; lambda < 40; lambda++) {
			int steps = 0, found = 0;
			rlist_init(&r);
			for (int k = 0; k < 4 * (mu + lambda) + 4 && !found; k++, steps++) {
				int idx = k < mu ? k : mu + (k - mu) % lambda;
				found = rlist_loops(&r, 0x1000 + 8 * (uint64_t)idx);
			}
			all &= found;
			if (steps > worst)
				worst = steps;
		}
	}
	tap_ok(all, "every loop (start 0-39, length 1-39) is found within 4 x (start + length) steps");
	printf("# worst case: %d steps\n", worst);
}

static void test_utf8(void)
{
	char out[64];
	uint64_t type = BASE + 0x13000, name = BASE + 0x14000;

	target_for(12);
	put64(type + (uint64_t)t.L.type_name, name);
	put_bytes(name, "Caf\xc3\xa9\xff\xc3", 8);
	tap_ok(obj_type_name(&t, type, out, sizeof out) == 0, "a type name with bad bytes is read");
	tap_str(out, "Caf\xc3\xa9?", "its invalid byte becomes '?', its cut-short end is dropped");
	obj_type_name(&t, type, out, 5);
	tap_str(out, "Caf", "cut at 4 bytes: never inside the two-byte \xc3\xa9");
}

int main(void)
{
	space = calloc(1, SIZE);
	cache = stack_cache_create();
	test_longs();
	test_bounds();
	test_getattrs();
	test_walk();
	test_popped_frame();
	test_owner();
	test_incomplete_caller();
	test_ids();
	test_loops();
	test_utf8();
	stack_cache_destroy(cache);
	free(space);
	return tap_done();
}
