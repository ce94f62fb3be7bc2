/* test_gil: the GIL pieces that need no target: the state decoder and the
 * waiter rule, free-threaded detection from _Py_DebugOffsets, the five
 * per-sample GIL classes and their per-thread and per-round accounting in
 * the aggregate (utilisation, one holder per round), and gilstat's
 * accounting fed known tick and event sequences. */
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cpython/debug_offsets.h"
#include "cpython/gil.h"
#include "cpython/layout.h"
#include "debug_offsets_golden.h"
#include "sampling/aggregate.h"
#include "sampling/gilacct.h"
#include "sampling/gilclass.h"
#include "sampling/sample.h"
#include "options.h"
#include "records.h"
#include "screen.h"
#include "session.h"
#include "tap.h"
#include "ui/canvas.h"
#include "ui/commands.h"
#include "ui/gilview.h"
#include "ui/theme.h"
#include "ui/tui.h"

#define MS 1000000ull
#define US 1000ull

/* ---- gil state ---- */

static void put32(unsigned char *b, int32_t off, int32_t v)
{
	memcpy(b + off, &v, 4);
}

static void put64(unsigned char *b, int32_t off, uint64_t v)
{
	memcpy(b + off, &v, 8);
}

static void test_state(void)
{
	const struct py_layout *L = layout_for_version(3, 11);
	unsigned char b[GIL_READ_MAX];
	struct gil_state st;

	tap_ok(gil_read_size(L) == 32, "3.11: the GIL fields end at byte 32 (got %zu)", gil_read_size(L));
	memset(b, 0, sizeof b);
	put32(b, L->gil_locked, 1);
	put64(b, L->gil_last_holder, 0x7000);
	put64(b, L->gil_switch_number, 42);
	gil_parse(L, b, &st);
	tap_ok(st.enabled && st.locked && st.holder == 0x7000 && st.switch_number == 42,
	       "locked: the holder is last_holder");
	put32(b, L->gil_locked, 0);
	gil_parse(L, b, &st);
	tap_ok(!st.locked && st.holder == 0 && st.last_holder == 0x7000, "unlocked: no holder, last_holder kept");
	put32(b, L->gil_locked, -1);
	gil_parse(L, b, &st);
	tap_ok(!st.locked && st.holder == 0, "locked == -1 (not created yet) is not held");

	uint64_t gil = 0x10000;
	struct gil_where w;
	gil_where_struct(L, gil, &w);
	tap_ok(gil_where_check(&w) && w.addr == gil && w.nregions == 1 && w.region[0].remote == gil &&
	       w.region[0].local == 0 && w.region[0].len == 32, "3.11: one region, the struct's head");
	tap_ok(gil_is_wait(&w, GIL_SYS_FUTEX, gil + 72), "futex on gil->cond is a GIL wait");
	tap_ok(gil_is_wait(&w, GIL_SYS_FUTEX, gil), "futex at the struct's start is a GIL wait");
	tap_ok(!gil_is_wait(&w, GIL_SYS_FUTEX, gil + (uint64_t)L->gil_size), "futex just past the struct is not");
	tap_ok(!gil_is_wait(&w, GIL_SYS_FUTEX, gil - 4), "futex just before it is not");
	/* drop_gil's wait for a switch (switch_cond, switch_mutex: the
	 * struct's end) blocks on the GIL too, but is not a take's wait. */
	tap_ok(L->gil_switch_cond > 72 && L->gil_switch_cond < L->gil_size &&
	       gil_wait_kind(&w, GIL_SYS_FUTEX, gil + 72) == GIL_WAIT_TAKE &&
	       gil_wait_kind(&w, GIL_SYS_FUTEX, gil + (uint64_t)L->gil_switch_cond - 1) == GIL_WAIT_TAKE &&
	       gil_wait_kind(&w, GIL_SYS_FUTEX, gil + (uint64_t)L->gil_switch_cond) == GIL_WAIT_SWITCH &&
	       gil_wait_kind(&w, GIL_SYS_RESTART, gil + (uint64_t)L->gil_size - 1) == GIL_WAIT_SWITCH &&
	       gil_is_wait(&w, GIL_SYS_FUTEX, gil + (uint64_t)L->gil_switch_cond + 8),
	       "a futex on gil->cond or gil->mutex is a take's wait; on switch_cond or switch_mutex a switch's "
	       "(still a GIL wait)");
	tap_ok(gil_wait_kind(&w, GIL_SYS_FUTEX, gil + (uint64_t)L->gil_size) == GIL_WAIT_NONE &&
	       gil_wait_kind(&w, 230, gil + 72) == GIL_WAIT_NONE, "past the struct, or not a futex: no wait");
	{
		struct py_layout M = *L;
		struct gil_where x;
		M.gil_switch_cond = M.gil_size;   /* not inside: the struct is one take range */
		gil_where_struct(&M, gil, &x);
		tap_ok(gil_where_check(&x) && x.nwaits == 1 &&
		       gil_wait_kind(&x, GIL_SYS_FUTEX, gil + (uint64_t)L->gil_switch_cond) == GIL_WAIT_TAKE,
		       "a switch_cond offset outside the struct: the whole struct waits to take");
		x = w;
		x.wait[1].kind = 7;
		tap_ok(!gil_where_check(&x), "a wait range of no known kind fails the check");
	}
	tap_ok(!gil_is_wait(&w, 230, gil + 72), "clock_nanosleep is not a GIL wait");
	tap_ok(gil_is_wait(&w, GIL_SYS_RESTART, gil + 72) && !gil_is_wait(&w, GIL_SYS_RESTART, gil - 4),
	       "restart_syscall of a futex on gil->cond (a wait a stop interrupted) is a GIL wait");
	gil_where_struct(L, 0, &w);
	tap_ok(!w.addr && !gil_is_wait(&w, GIL_SYS_FUTEX, 72), "unknown GIL: nothing waits for it");
	unsigned char buf[GIL_READ_MAX];
	struct mem_iov iov[GIL_REGIONS_MAX];
	tap_is(gil_iov(&w, buf, iov), 0, "unknown GIL: nothing to read");
}

/* 3.6: the GIL is statics, each read from its own symbol into one buffer
 * (runtime.c builds the gil_where from the symbols). */
static void test_statics(void)
{
	const struct py_layout *L = layout_for_version(3, 6);
	unsigned char b[GIL_READ_MAX];
	struct gil_state st;

	if (!tap_ok(L && L->gil_model == GIL_MODEL_STATICS && L->gil_holder >= 0 && L->gil_size == -1,
		    "3.6: GIL statics with a holder field, no struct"))
		return;
	tap_is((int)gil_read_size(L), 32, "3.6: locked, holder, last_holder, switch_number: 32 bytes");
	memset(b, 0, sizeof b);
	put32(b, L->gil_locked, 1);
	put64(b, L->gil_holder, 0);
	put64(b, L->gil_last_holder, 0x7000);
	put64(b, L->gil_switch_number, 9);
	gil_parse(L, b, &st);
	tap_ok(st.enabled && st.locked && st.holder == 0x7000 && st.switch_number == 9,
	       "a GIL locked: the holder is last_holder (as on 3.7+), _PyThreadState_Current not yet set");
	put32(b, L->gil_locked, 0);
	put64(b, L->gil_holder, 0x8000);
	gil_parse(L, b, &st);
	tap_ok(!st.locked && st.holder == 0 && st.last_holder == 0x7000, "a GIL unlocked: nobody holds it");
	put32(b, L->gil_locked, -1);
	put64(b, L->gil_last_holder, 0);
	put64(b, L->gil_switch_number, 0);
	gil_parse(L, b, &st);
	tap_ok(st.locked && st.holder == 0x8000 && st.switch_number == 0,
	       "no GIL yet (one thread): _PyThreadState_Current is the holder");
	put64(b, L->gil_holder, 0);
	gil_parse(L, b, &st);
	tap_ok(!st.locked && st.holder == 0, "no GIL, _PyThreadState_Current NULL (PyEval_SaveThread): no holder");

	/* The symbols as 3.6.15's libpython has them (nm -S), relocated. */
	const char *names[GIL_STATICS] = { "gil_locked", "_PyThreadState_Current", "gil_last_holder",
					   "gil_switch_number", "gil_cond", "gil_mutex", "switch_cond", "switch_mutex" };
	uint64_t value[GIL_STATICS] = { 0x5000, 0x6000, 0x9000, 0x9008, 0x8000, 0x8040, 0x8080, 0x80c0 };
	uint64_t size[GIL_STATICS] = { 4, 8, 8, 8, 48, 40, 48, 40 };
	int named = 0;
	for (int i = 0; i < GIL_STATICS; i++)
		named += strcmp(gil_static_name(i), names[i]) == 0;
	tap_is(named, GIL_STATICS, "the eight statics are looked up by CPython's names");
	tap_ok(!strcmp(gil_static_name(GIL_STATICS), "") && !strcmp(gil_static_name(-1), ""), "no name past them");

	struct gil_where w;
	struct mem_iov iov[GIL_REGIONS_MAX];
	gil_where_statics(L, value, size, &w);
	tap_ok(gil_where_check(&w) && w.addr == 0x5000 && gil_iov(&w, b, iov) == 4 && iov[0].len == 4 &&
	       iov[1].addr == 0x6000 && iov[1].buf == b + L->gil_holder && iov[2].addr == 0x9000 &&
	       iov[2].buf == b + L->gil_last_holder && iov[3].buf == b + L->gil_switch_number,
	       "four state statics: four ranges, each to its field in the buffer");
	tap_ok(w.nwaits == 4 && gil_is_wait(&w, GIL_SYS_FUTEX, 0x8000 + 40) && gil_is_wait(&w, GIL_SYS_FUTEX, 0x8040) &&
	       gil_is_wait(&w, GIL_SYS_FUTEX, 0x80c0) && !gil_is_wait(&w, GIL_SYS_FUTEX, 0x8030) &&
	       !gil_is_wait(&w, GIL_SYS_FUTEX, 0x80c0 + 40),
	       "a futex on one of the four locks and conditions waits for it, between or past them not");
	tap_ok(gil_wait_kind(&w, GIL_SYS_FUTEX, 0x8000 + 40) == GIL_WAIT_TAKE &&
	       gil_wait_kind(&w, GIL_SYS_FUTEX, 0x8040) == GIL_WAIT_TAKE &&
	       gil_wait_kind(&w, GIL_SYS_FUTEX, 0x8080) == GIL_WAIT_SWITCH &&
	       gil_wait_kind(&w, GIL_SYS_FUTEX, 0x80c0) == GIL_WAIT_SWITCH,
	       "gil_cond and gil_mutex: a take's wait; switch_cond and switch_mutex: a switch's");

	uint64_t v2[GIL_STATICS], s2[GIL_STATICS];
	struct gil_where u;
	memcpy(v2, value, sizeof v2);
	memcpy(s2, size, sizeof s2);
	s2[0] = 8;
	gil_where_statics(L, v2, s2, &u);
	tap_ok(!u.addr && gil_iov(&u, b, iov) == 0, "a gil_locked of another size: the GIL is unknown, nothing read");
	memcpy(s2, size, sizeof s2);
	v2[3] = 0;
	gil_where_statics(L, v2, s2, &u);
	tap_ok(!u.addr, "no gil_switch_number symbol: unknown");
	memcpy(v2, value, sizeof v2);
	v2[1] = UINT64_MAX - 4;
	gil_where_statics(L, v2, s2, &u);
	tap_ok(!u.addr, "a _PyThreadState_Current wrapping the address space: unknown");
	memcpy(v2, value, sizeof v2);
	v2[4] = 0;
	s2[5] = GIL_WAIT_OBJ_MAX + 1;
	gil_where_statics(L, v2, s2, &u);
	tap_ok(u.addr == 0x5000 && u.nwaits == 2 && !gil_is_wait(&u, GIL_SYS_FUTEX, 0x8000) &&
	       !gil_is_wait(&u, GIL_SYS_FUTEX, 0x8040) && gil_is_wait(&u, GIL_SYS_FUTEX, 0x8080),
	       "a missing gil_cond and an oversized gil_mutex are left out; the GIL is still read");
	struct py_layout M = *L;
	M.gil_switch_number = GIL_READ_MAX - 4;
	gil_where_statics(&M, value, size, &u);
	tap_ok(!u.addr, "a field offset past the local buffer: unknown");
	struct gil_where bad = w;
	bad.region[3].local = GIL_READ_MAX - 4;
	tap_ok(!gil_where_check(&bad) && gil_iov(&bad, b, iov) == 0, "a range past the local buffer is refused");
	bad = w;
	bad.wait[0].lo = UINT64_MAX - 8;
	tap_ok(!gil_where_check(&bad), "a wait range wrapping the address space is refused");
	bad = w;
	bad.nregions = GIL_REGIONS_MAX + 1;
	tap_ok(!gil_where_check(&bad), "more regions than there is room for are refused");
}

/* ---- free-threaded detection ---- */

/* The uint64 member of a schema that gives a py_layout field. */
static int32_t member_of(const struct debug_schema *s, size_t field)
{
	for (size_t i = 0; i < s->nfields; i++)
		if (s->fields[i].field == field)
			return s->fields[i].at;
	return -1;
}

/* The real 3.13.0 block (real_debug_offsets_3_13, tests/unit/debug_offsets_golden.h), and the same
 * block as a Py_GIL_DISABLED build would give it: free_threaded set, `int
 * enabled` at the start of the GIL struct, everything after it 8 bytes on. */
static void test_free_threaded(void)
{
	static unsigned char b[DEBUG_OFFSETS_READ_SIZE];
	unsigned char g[GIL_READ_MAX];
	const struct debug_schema *s = debug_schema_for(0x030d00f0);
	const struct py_layout *T = layout_for_version(3, 13);
	struct py_layout L = *T;
	struct gil_state st;

	tap_is(L.free_threaded, 0, "the generated 3.13 table is a GIL build");
	tap_is(L.gil_enabled, -1, "and has no gil->enabled");
	memset(b, 0, sizeof b);
	memcpy(b, real_debug_offsets_3_13, sizeof real_debug_offsets_3_13);
	tap_is(debug_offsets_apply(b, sizeof b, &L), 0, "the real 3.13.0 block applies and changes nothing");
	tap_ok(L.free_threaded == 0 && L.gil_enabled == -1 && L.gil_switch_number == T->gil_switch_number,
	       "default build: no GIL flag, switch_number stays after locked");

	int32_t locked = member_of(s, DEBUG_FIELD(gil_locked)), holder = member_of(s, DEBUG_FIELD(gil_last_holder));
	if (!tap_ok(s && locked > 0 && holder > 0, "the 3.13 schema gives gil locked and last_holder"))
		return;
	uint64_t one = 1, base, v;
	memcpy(b + s->free_threaded, &one, 8);
	memcpy(&base, b + s->gil_state, 8);
	memcpy(b + s->gil_enabled, &base, 8);
	memcpy(&v, b + locked, 8);
	v += 8;
	memcpy(b + locked, &v, 8);
	memcpy(&v, b + holder, 8);
	v += 8;
	memcpy(b + holder, &v, 8);
	L = *T;
	tap_ok(debug_offsets_apply(b, sizeof b, &L) > 0, "a free-threaded block applies and changes the layout");
	tap_is(L.free_threaded, 1, "free_threaded is read from the block");
	tap_is(L.gil_enabled, 0, "gil->enabled is at the struct's start");
	tap_is(L.gil_locked, T->gil_locked + 8, "locked moved by 8");
	tap_is(L.gil_last_holder, T->gil_last_holder + 8, "last_holder moved by 8");
	tap_is(L.gil_switch_number, T->gil_switch_number + 8, "switch_number follows locked");
	tap_is(L.gil_size, T->gil_size + 8, "the struct grew with it");
	tap_is(L.gil_switch_cond, T->gil_switch_cond + 8, "and switch_cond moved with it");
	memset(g, 0, sizeof g);
	put32(g, L.gil_locked, 1);
	put64(g, L.gil_last_holder, 0x9000);
	gil_parse(&L, g, &st);
	tap_ok(!st.enabled && !st.locked && st.holder == 0, "enabled == 0: no GIL, no holder");
	put32(g, L.gil_enabled, 1);
	gil_parse(&L, g, &st);
	tap_ok(st.enabled && st.locked && st.holder == 0x9000, "enabled (PYTHON_GIL=1): a GIL with a holder");
}

/* ---- classes and the aggregate ---- */

static void sample(struct aggregate *a, uint32_t tid, int state, int flags)
{
	feed_sample(a, &(struct sample_rec){ .tid = tid, .state = (uint8_t)state, .flags = (uint8_t)flags }, "");
}

static void tick(struct aggregate *a, uint64_t t_ms, uint64_t switches, int gil_flags, int held)
{
	feed_tick(a, &(struct tick_rec){ .time_ns = t_ms * MS, .gil_switches = switches, .gil_flags = (uint16_t)gil_flags,
					 .gil_count = gil_flags & TICK_GIL_KNOWN ? 1 : 0, .gil_held = (uint8_t)held });
}

#define H SAMPLE_F_HOLDS_GIL
#define K TICK_GIL_KNOWN

static void test_classes(void)
{
	static const struct { int state, flags; enum gil_class want; } cases[] = {
		{ THREAD_RUNNING, H, GIL_HOLDING }, { THREAD_IDLE, H, GIL_HOLDING_BLOCKED },
		{ THREAD_GIL_WAIT, H, GIL_HOLDING }, { THREAD_UNKNOWN, H, GIL_HOLDING },
		{ THREAD_GIL_WAIT, 0, GIL_WAITING }, { THREAD_RUNNING, 0, GIL_NATIVE },
		{ THREAD_IDLE, 0, GIL_IDLE }, { THREAD_UNKNOWN, 0, GIL_UNKNOWN },
		/* the GIL unread: on CPU is holding or native, nobody knows */
		{ THREAD_RUNNING, SAMPLE_F_GIL_UNREAD, GIL_UNKNOWN },
		{ THREAD_IDLE, SAMPLE_F_GIL_UNREAD, GIL_IDLE },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		tap_str(gilclass_name(gilclass_of((unsigned)cases[i].state, (unsigned)cases[i].flags)),
			gilclass_name(cases[i].want), "class of state %d flags %d", cases[i].state,
			cases[i].flags);
	/* The table: one row per class, in enum order, each drawn with a
	 * colour the theme has; a reported share has a text column and a key. */
	for (int k = 0; k < GIL_CLASS_COUNT; k++) {
		const struct gil_class_info *gc = gilclass_info((enum gil_class)k);

		tap_ok(gc->cls == (enum gil_class)k && gc->name && gc->legend && gc->description &&
		       theme_find(gc->theme) != EL_DEFAULT &&
		       !(gc->flags & GILCLASS_SHARE) == !gc->column && !gc->column == !gc->json_key,
		       "GIL class table row %d (%s) is complete", k, gc->name);
	}
	tap_str(gilclass_name((enum gil_class)GIL_CLASS_COUNT), "?", "a class out of range is named ?");

	struct aggregate *a = aggregate_create(AGG_MODE_CPU, 1 * MS);
	/* Round 1: 10 holds running, 20 waits, 30 runs native code. */
	sample(a, 10, THREAD_RUNNING, H);
	sample(a, 20, THREAD_GIL_WAIT, 0);
	sample(a, 30, THREAD_RUNNING, 0);
	tick(a, 0, 100, K, 1);
	/* Round 2: 20 holds but is blocked in a syscall, 10 waits, 30 sleeps. */
	sample(a, 10, THREAD_GIL_WAIT, 0);
	sample(a, 20, THREAD_IDLE, H);
	sample(a, 30, THREAD_IDLE, 0);
	tick(a, 1, 101, K, 1);
	/* Round 3: nobody holds it. */
	sample(a, 10, THREAD_RUNNING, 0);
	sample(a, 20, THREAD_IDLE, 0);
	sample(a, 30, THREAD_IDLE, 0);
	tick(a, 2, 101, K, 0);
	aggregate_window_start(a);
	/* Round 4 (the new window): 10 holds. */
	sample(a, 10, THREAD_RUNNING, H);
	sample(a, 20, THREAD_GIL_WAIT, 0);
	tick(a, 3, 102, K, 1);

	struct agg_thread_row *rows;
	size_t n = aggregate_threads(a, NULL, &rows);
	tap_is(n, 3, "three threads");
	const struct agg_thread_counts *c10 = &rows[0].cum, *c20 = &rows[1].cum, *c30 = &rows[2].cum;
	tap_ok(c10->gil[GIL_HOLDING] == 2 && c10->gil[GIL_WAITING] == 1 && c10->gil[GIL_NATIVE] == 1,
	       "thread 10: 2 holding, 1 waiting, 1 native");
	tap_ok(c20->gil[GIL_HOLDING_BLOCKED] == 1 && c20->gil[GIL_WAITING] == 2 && c20->gil[GIL_IDLE] == 1,
	       "thread 20: 1 holding-blocked, 2 waiting, 1 idle");
	tap_ok(c30->gil[GIL_NATIVE] == 1 && c30->gil[GIL_IDLE] == 2, "thread 30: 1 native, 2 idle");
	uint64_t sum = 0;
	for (int k = 0; k < GIL_CLASS_COUNT; k++)
		sum += c20->gil[k];
	tap_is(sum, c20->samples, "the classes sum to the samples");
	tap_ok(rows[0].win.gil[GIL_HOLDING] == 1 && rows[0].win.samples == 1, "the window counts its own samples");
	free(rows);

	struct agg_summary s;
	aggregate_summary(a, false, &s);
	tap_is(s.gil_rounds, 4, "four rounds read the GIL");
	tap_is(s.gil_held_rounds, 3, "three of them found it held");
	tap_ok(s.gil_utilisation_pct > 74.9 && s.gil_utilisation_pct < 75.1, "utilisation 75%%");
	tap_is(s.gil_conflicts, 0, "never two holders in a round");
	tap_ok(!s.gil_disabled, "a GIL build");
	aggregate_summary(a, true, &s);
	tap_ok(s.gil_rounds == 1 && s.gil_held_rounds == 1, "window: one round, held");

	/* Two holders in one round with one GIL would be a bug: counted. */
	sample(a, 10, THREAD_RUNNING, H);
	sample(a, 20, THREAD_RUNNING, H);
	tick(a, 4, 103, K, 1);
	aggregate_summary(a, false, &s);
	tap_is(s.gil_conflicts, 1, "two holders under one GIL are a conflict");
	/* Two interpreters with their own GILs may have two holders. */
	sample(a, 10, THREAD_RUNNING, H);
	sample(a, 20, THREAD_RUNNING, H);
	tick(a, 5, 104, K, 2);
	aggregate_summary(a, false, &s);
	tap_is(s.gil_conflicts, 1, "two holders under two held GILs are not");
	/* A free-threaded build without a GIL. */
	sample(a, 10, THREAD_RUNNING, 0);
	tick(a, 6, 0, K | TICK_GIL_DISABLED, 0);
	aggregate_summary(a, false, &s);
	tap_ok(s.gil_disabled, "a free-threaded round says: no GIL");
	aggregate_reset(a);
	aggregate_summary(a, false, &s);
	tap_ok(s.gil_rounds == 0 && s.gil_held_rounds == 0 && s.gil_conflicts == 0, "reset forgets the GIL rounds");
	aggregate_destroy(a);
}

/* ---- gilstat accounting: sampled ---- */

static const struct gilstat_thread *find(const struct gilstat_snapshot *s, uint32_t tid)
{
	for (uint32_t i = 0; i < s->nthreads; i++)
		if (s->threads[i].tid == tid)
			return &s->threads[i];
	return NULL;
}

/* One tick at t: holder (0 none), switch number, the waiting tids. */
static void gtick(struct gilacct *a, uint64_t t, pid_t holder, uint64_t sw, pid_t w1, pid_t w2)
{
	struct gilacct_obs obs[3] = { { 1, 0, 0, 0, 0 }, { 2, 0, 0, 0, 0 }, { 3, 0, 0, 0, 0 } };
	for (int i = 0; i < 3; i++)
		obs[i].waiting = obs[i].tid == w1 || obs[i].tid == w2;
	struct gilacct_tick k = { .time_ns = t, .holder = holder, .switch_number = sw, .threads = obs,
				  .nthreads = 3 };
	gilacct_tick(a, &k);
}

static struct gilstat_snapshot snap;

static void test_sampled(void)
{
	/* 0.5 ms ticks; threads 1 and 2 alternate every 5 ms (10 ticks) for
	 * 100 ms: 20 holds of 5 ms, each thread waits while the other holds;
	 * thread 3 sleeps. */
	struct gilacct *a = gilacct_create(GILSTAT_SAMPLED, 500 * US, 10 * MS, 10 * MS);
	uint64_t t = 1000 * MS, sw = 7;
	for (int k = 0; k <= 200; k++) {
		pid_t holder = (k / 10) % 2 ? 2 : 1;
		if (k % 10 == 0 && k)
			sw++;
		gtick(a, t + (uint64_t)k * 500 * US, holder, sw, holder == 1 ? 2 : 1, 0);
	}
	gilacct_result(a, &snap);
	const struct gilstat_thread *t1 = find(&snap, 1), *t2 = find(&snap, 2), *t3 = find(&snap, 3);
	tap_ok(t1 && t2 && t3 && snap.nthreads == 3, "three threads");
	tap_is(snap.elapsed_ns, 100 * MS, "100 ms accounted");
	tap_is(snap.switches, 20, "20 switches from switch_number");
	tap_is(t1->takecnt, 11, "thread 1: 11 acquisitions (10 finished, the last ongoing)");
	tap_is(t2->takecnt, 10, "thread 2: 10 acquisitions");
	tap_is(t1->hold_ns, 50 * MS, "thread 1 held 50 ms");
	tap_is(t2->hold_ns, 50 * MS, "thread 2 held 50 ms");
	tap_is(t1->max_hold_ns, 5 * MS, "each hold 5 ms");
	tap_is(t1->wait_ns, 50 * MS, "thread 1 waited 50 ms");
	tap_is(t2->wait_ns, 50 * MS, "thread 2 waited 50 ms");
	tap_is(t2->max_wait_ns, 5 * MS, "each wait 5 ms");
	tap_ok(t3->takecnt == 0 && t3->hold_ns == 0 && t3->wait_ns == 0, "thread 3: nothing");
	tap_is(snap.nwarnings, 0, "no hold or wait over 10 ms");
	tap_is(snap.resolution_ns, 500 * US, "resolution: the tick period");
	tap_ok(snap.achieved_hz > 1999 && snap.achieved_hz < 2001, "2 kHz achieved");
	gilacct_destroy(a);

	/* The same holder again after switch_number moved: it lost and retook
	 * the GIL between ticks, a new acquisition. Unlocked between two holds
	 * of the same thread: also a new one. */
	a = gilacct_create(GILSTAT_SAMPLED, 1 * MS, 0, 0);
	gtick(a, 0, 1, 5, 0, 0);
	gtick(a, 1 * MS, 1, 5, 0, 0);
	gtick(a, 2 * MS, 1, 7, 0, 0);
	gtick(a, 3 * MS, 0, 7, 0, 0);
	gtick(a, 4 * MS, 1, 7, 0, 0);
	gtick(a, 5 * MS, 1, 7, 0, 0);
	gilacct_result(a, &snap);
	t1 = find(&snap, 1);
	tap_is(t1->takecnt, 3, "retaken after a switch, and after an unlocked tick: 3 acquisitions");
	tap_is(t1->hold_ns, 4 * MS, "held 4 of the 5 ms");
	tap_is(t1->max_hold_ns, 2 * MS, "longest hold 2 ms");
	tap_is(snap.nwarnings, 0, "thresholds of 0: no warnings");
	gilacct_destroy(a);

	/* Warnings: one 12 ms hold (1 ms ticks) with a 10 ms threshold, and a
	 * 15 ms wait; an unknown holder is counted apart; a gap is not charged. */
	a = gilacct_create(GILSTAT_SAMPLED, 1 * MS, 10 * MS, 10 * MS);
	for (int k = 0; k < 12; k++)
		gtick(a, (uint64_t)k * MS, 1, 1, 2, 0);
	for (int k = 12; k < 15; k++)
		gtick(a, (uint64_t)k * MS, -1, 2, 2, 0);
	gtick(a, 15 * MS, 2, 3, 0, 0);
	gtick(a, 16 * MS, 2, 3, 0, 0);
	gtick(a, 216 * MS, 2, 3, 0, 0);
	gilacct_result(a, &snap);
	t1 = find(&snap, 1);
	t2 = find(&snap, 2);
	tap_is(t1->hold_ns, 12 * MS, "thread 1 held 12 ms");
	tap_is(t1->long_holds, 1, "one long hold");
	tap_is(t2->wait_ns, 15 * MS, "thread 2 waited 15 ms");
	tap_is(t2->long_waits, 1, "one long wait");
	tap_is(snap.unknown_ns, 3 * MS, "3 ms held by an unknown thread state");
	tap_is(snap.gap_ns, 200 * MS, "a 200 ms gap is not charged");
	tap_is(t2->hold_ns, 1 * MS, "so thread 2 held 1 ms");
	tap_is(snap.nwarnings, 2, "two warnings");
	tap_ok(snap.nrecent == 2 && snap.recent[0].kind == GILSTAT_WARN_HOLD && snap.recent[0].tid == 1 &&
	       snap.recent[0].duration_ns == 12 * MS && snap.recent[1].kind == GILSTAT_WARN_TAKE &&
	       snap.recent[1].tid == 2 && snap.recent[1].duration_ns == 15 * MS,
	       "the warnings say who, what and how long, oldest first");
	gilacct_destroy(a);

	/* More warnings than the ring keeps: the latest GILSTAT_WARN_MAX. */
	a = gilacct_create(GILSTAT_SAMPLED, 1 * MS, 0, 1 * MS);
	uint64_t now = 0;
	for (int k = 0; k < GILSTAT_WARN_MAX + 8; k++) {
		gtick(a, now, 1 + k % 2, (uint64_t)k, 0, 0);
		gtick(a, now + 1 * MS, 1 + k % 2, (uint64_t)k, 0, 0);
		gtick(a, now + 2 * MS, 1 + k % 2, (uint64_t)k, 0, 0);
		now += 3 * MS;
	}
	gtick(a, now, 0, 999, 0, 0);
	gilacct_result(a, &snap);
	tap_is(snap.nwarnings, GILSTAT_WARN_MAX + 8, "every long hold counted");
	tap_ok(snap.nrecent == GILSTAT_WARN_MAX && snap.recent[GILSTAT_WARN_MAX - 1].time_ns == now,
	       "the ring keeps the latest, in order");
	gilacct_destroy(a);
}

/* A tick where thread 1 is seen not waiting and thread 2 as o2 says (its
 * tid set here). */
static void gtick2(struct gilacct *a, uint64_t t, pid_t holder, uint64_t sw, struct gilacct_obs o2)
{
	o2.tid = 2;
	struct gilacct_obs obs[2] = { { .tid = 1 }, o2 };
	struct gilacct_tick k = { .time_ns = t, .holder = holder, .switch_number = sw, .threads = obs,
				  .nthreads = 2 };
	gilacct_tick(a, &k);
}

/* A tick where thread 2 is seen waiting (waiting), or waiting and having
 * run enough in between to have taken the GIL (took). */
static void gtick_took(struct gilacct *a, uint64_t t, pid_t holder, uint64_t sw, int waiting, int took)
{
	gtick2(a, t, holder, sw, (struct gilacct_obs){ .waiting = (uint8_t)waiting, .took = (uint8_t)took });
}

/* A waiter seen blocked on the GIL at two ticks that ran in between (took)
 * took the GIL between them, when the switch number allows; a woken
 * waiter's wait that ends a tick after its take still gets the take (the
 * switches not given are carried). */
static void test_sampled_took(void)
{
	struct gilacct *a = gilacct_create(GILSTAT_SAMPLED, 1 * MS, 0, 0);
	gtick_took(a, 0, 1, 10, 1, 0);
	gtick_took(a, 1 * MS, 1, 12, 1, 1);   /* 2 took and let go, 1 retook */
	gtick_took(a, 2 * MS, 1, 12, 1, 1);   /* ran again, but no switch: no take */
	gtick_took(a, 3 * MS, 1, 12, 1, 0);
	gilacct_result(a, &snap);
	const struct gilstat_thread *t1 = find(&snap, 1), *t2 = find(&snap, 2);
	tap_ok(t1 && t1->takecnt == 2, "took: the holder's retake counted (%" PRIu64 ")", t1 ? t1->takecnt : 0);
	tap_ok(t2 && t2->takecnt == 1, "took: the waiter that ran between two waits took the GIL once "
	       "(%" PRIu64 "; no switch left for the second)", t2 ? t2->takecnt : 0);
	tap_ok(t2 && t2->wait_ns == 3 * MS && t2->max_wait_ns == 2 * MS,
	       "took: its waits are 1 and 2 ms (%" PRIu64 " ns in all, longest %" PRIu64 ")",
	       t2 ? t2->wait_ns : 0, t2 ? t2->max_wait_ns : 0);
	gilacct_destroy(a);

	a = gilacct_create(GILSTAT_SAMPLED, 1 * MS, 0, 0);
	gtick_took(a, 0, 1, 10, 1, 0);
	gtick_took(a, 1 * MS, 0, 11, 1, 0);   /* 2 took and let go; still reads waiting (woken) */
	gtick_took(a, 2 * MS, 0, 11, 0, 0);   /* it has run: its wait ended at that take */
	gilacct_result(a, &snap);
	t2 = find(&snap, 2);
	tap_ok(t2 && t2->takecnt == 1, "a woken waiter's wait that ends a tick late gets its take (%" PRIu64 ")",
	       t2 ? t2->takecnt : 0);
	gilacct_destroy(a);

	/* A waiter that woke (a drop's signal, its timeout), looked and was
	 * seen running before sleeping again, ran too little to tell: its
	 * wait ends with the switch number moved (1 took, let go, retook),
	 * but it is given no take; its next wait is counted. */
	a = gilacct_create(GILSTAT_SAMPLED, 1 * MS, 0, 0);
	gtick_took(a, 0, 1, 10, 1, 0);
	gtick2(a, 1 * MS, 1, 12, (struct gilacct_obs){ .woke = 1 });
	gtick_took(a, 2 * MS, 1, 12, 1, 0);
	gtick_took(a, 3 * MS, 1, 12, 1, 0);
	gilacct_result(a, &snap);
	t2 = find(&snap, 2);
	tap_ok(t2 && t2->takecnt == 0 && t2->wait_ns == 2 * MS,
	       "a wait that ends with a wake-up's CPU (woke) gets no take, though switches are left "
	       "(%" PRIu64 " takes, %" PRIu64 " ns waited)", t2 ? t2->takecnt : 0, t2 ? t2->wait_ns : 0);
	gilacct_destroy(a);
	a = gilacct_create(GILSTAT_SAMPLED, 1 * MS, 0, 0);
	gtick_took(a, 0, 1, 10, 1, 0);
	gtick_took(a, 1 * MS, 1, 12, 0, 0);
	gilacct_result(a, &snap);
	t2 = find(&snap, 2);
	tap_ok(t2 && t2->takecnt == 1, "the same wait ended without woke: a take (%" PRIu64 ")", t2 ? t2->takecnt : 0);
	gilacct_destroy(a);

	/* A wait that ended woke, told a take at a later tick (late: it ran
	 * on, or blocked elsewhere): the take is counted then, from the
	 * switches of the tick its wait ended; with none left, or as the
	 * holder (whose take is counted as such), none more. */
	for (int c = 0; c < 3; c++) {
		a = gilacct_create(GILSTAT_SAMPLED, 1 * MS, 0, 0);
		gtick_took(a, 0, 1, 10, 1, 0);
		gtick2(a, 1 * MS, 1, c == 1 ? 10 : 12, (struct gilacct_obs){ .woke = 1 });
		gtick2(a, 2 * MS, c == 2 ? 2 : 1, c == 1 ? 10 : c == 2 ? 13 : 12, (struct gilacct_obs){ .late = 1 });
		gtick_took(a, 3 * MS, 1, c == 2 ? 14 : 12, 0, 0);
		gilacct_result(a, &snap);
		t2 = find(&snap, 2);
		uint64_t want = c == 1 ? 0 : 1;
		tap_ok(t2 && t2->takecnt == want && t2->wait_ns == 1 * MS,
		       "%s: %" PRIu64 " take(s) (%" PRIu64 "), the wait ended where it woke (%" PRIu64 " ns)",
		       c == 0 ? "a woke wait's take told late" : c == 1 ? "... with no switch to give" :
		       "... the holder at that tick", want, t2 ? t2->takecnt : 0, t2 ? t2->wait_ns : 0);
		gilacct_destroy(a);
	}

	/* A wait that ended woke as the holder had its take counted as the
	 * holder's: a late take told for it at a later tick (it let the GIL
	 * go and blocked elsewhere; observe() sets a woke thread pending
	 * whether it holds or not) is not a second one, even with switches
	 * left to give (the audit: a worker taking the GIL after a wait,
	 * holding it 0.6 ms and sleeping got 5-10% more takes than it had
	 * iterations). */
	a = gilacct_create(GILSTAT_SAMPLED, 1 * MS, 0, 0);
	gtick_took(a, 0, 1, 10, 1, 0);
	gtick2(a, 1 * MS, 2, 11, (struct gilacct_obs){ .woke = 1 });
	gtick2(a, 2 * MS, 1, 14, (struct gilacct_obs){ .late = 1 });
	gilacct_result(a, &snap);
	t2 = find(&snap, 2);
	tap_ok(t2 && t2->takecnt == 1 && t2->wait_ns == 1 * MS,
	       "a woke wait that ended as the holder: its one take, no late one (%" PRIu64 ")",
	       t2 ? t2->takecnt : 0);
	gilacct_destroy(a);

	/* Across a gap nothing is inferred, also not from switches before it. */
	a = gilacct_create(GILSTAT_SAMPLED, 1 * MS, 0, 0);
	gtick_took(a, 0, 1, 10, 1, 0);
	gtick_took(a, 1 * MS, 0, 11, 1, 0);
	gtick_took(a, 500 * MS, 0, 11, 0, 0);
	gilacct_result(a, &snap);
	t2 = find(&snap, 2);
	tap_ok(t2 && t2->takecnt == 0, "no take inferred across a gap (%" PRIu64 ")", t2 ? t2->takecnt : 0);
	gilacct_destroy(a);
}

/* A thread that holds the GIL too briefly for any tick to see it: its
 * wait ends with the switch number moved and someone else (or nobody)
 * holding: a take; never more takes than the switch number counts. */
static void test_sampled_short_holds(void)
{
	struct gilacct *a = gilacct_create(GILSTAT_SAMPLED, 1 * MS, 0, 0);
	uint64_t given;

	/* thread 1 spins (holder); thread 2 waits 5 ticks, takes and drops the
	 * GIL between ticks (switch +2: thread 2 took it, thread 1 retook it) */
	for (int r = 0; r < 10; r++) {
		uint64_t t0 = (uint64_t)r * 6 * MS, sw = 10 + (uint64_t)r * 2;
		for (int k = 0; k < 5; k++)
			gtick(a, t0 + (uint64_t)k * MS, 1, sw, 2, 0);
		gtick(a, t0 + 5 * MS, 1, sw + 2, 0, 0);
	}
	gilacct_result(a, &snap);
	const struct gilstat_thread *t1 = find(&snap, 1), *t2 = find(&snap, 2);
	tap_ok(t2 && t2->takecnt == 10, "short holds: thread 2's 10 finished waits are 10 takes (got %llu)",
	       t2 ? (unsigned long long)t2->takecnt : 0ull);
	tap_ok(t1 && t1->takecnt == 11, "thread 1 retook it after each: 1 + 10 takes (got %llu)",
	       t1 ? (unsigned long long)t1->takecnt : 0ull);
	tap_ok(!gilstat_takes_lower_bound(&snap, &given) && given == 21,
	       "every switch given to a thread: not a lower bound");
	/* Thread 2's holds fall between ticks: a take and its hold with no
	 * wait seen before them (or a retake the switch number does not
	 * count) would be missed, so its count is a lower bound; thread 1's
	 * holds span ticks. */
	tap_ok(t2 && gilstat_thread_hold_unresolved(&snap, t2) && gilstat_thread_takes_lower(&snap, t2),
	       "thread 2's holds are under a tick: holdavg unresolved, takecnt a lower bound");
	tap_ok(t1 && !gilstat_thread_hold_unresolved(&snap, t1) && gilstat_thread_takes_lower(&snap, t1),
	       "thread 1's holds span five ticks: resolved, but its takecnt is still a lower bound (it "
	       "may have let the GIL go and taken it back between two ticks: no switch number moves)");
	struct gilstat_thread none = { .tid = 9 };
	tap_ok(t1 && gilstat_thread_avgs_upper(&snap, t1) && gilstat_thread_takes_lower(&snap, &none) &&
	       !gilstat_thread_avgs_upper(&snap, &none),
	       "sampled: averages are upper bounds where a take was seen; none seen, no average bound");
	snap.mode = GILSTAT_EXACT;
	tap_ok(t2 && !gilstat_thread_takes_lower(&snap, t2) && !gilstat_thread_hold_unresolved(&snap, t2) &&
	       !gilstat_thread_avgs_upper(&snap, t2),
	       "exact mode: never a bound");
	snap.mode = GILSTAT_SAMPLED;
	gilacct_destroy(a);

	/* The same waits without the switch number moving (timeouts in
	 * take_gil): no takes; and a run that sees few of the switches says
	 * its counts are lower bounds. */
	a = gilacct_create(GILSTAT_SAMPLED, 1 * MS, 0, 0);
	for (int r = 0; r < 10; r++) {
		uint64_t t0 = (uint64_t)r * 4 * MS;
		gtick(a, t0, 1, 10 + (uint64_t)r * 5, 2, 0);
		gtick(a, t0 + 1 * MS, 1, 10 + (uint64_t)r * 5, 0, 0);
		gtick(a, t0 + 2 * MS, 1, 10 + (uint64_t)r * 5, 0, 0);
		gtick(a, t0 + 3 * MS, 1, 10 + (uint64_t)r * 5, 0, 0);
	}
	gilacct_result(a, &snap);
	t2 = find(&snap, 2);
	tap_ok(t2 && t2->takecnt == 0, "a wait that ends without a switch is not a take");
	tap_ok(gilstat_takes_lower_bound(&snap, &given) && given < snap.switches,
	       "10 of 45 switches given: lower bounds");
	gilacct_destroy(a);
}

/* ---- gilstat accounting: exact ---- */

static void test_exact(void)
{
	struct gilacct *a = gilacct_create(GILSTAT_EXACT, 0, 10 * MS, 10 * MS);

	gilacct_progress(a, 0, 100, true);
	gilacct_event(a, 0, 1, GILACCT_TAKE_ENTER);
	gilacct_event(a, 1 * MS, 1, GILACCT_TAKE_RETURN);   /* waited 1 ms */
	gilacct_event(a, 2 * MS, 2, GILACCT_TAKE_ENTER);
	gilacct_event(a, 6 * MS, 1, GILACCT_DROP_ENTER);    /* held 5 ms */
	gilacct_event(a, 6 * MS + 10 * US, 2, GILACCT_TAKE_RETURN); /* waited 4.01 ms */
	gilacct_event(a, 7 * MS, 1, GILACCT_TAKE_ENTER);
	gilacct_event(a, 19 * MS, 2, GILACCT_DROP_ENTER);   /* held 12.99 ms: a long hold */
	gilacct_event(a, 19 * MS + 10 * US, 1, GILACCT_TAKE_RETURN); /* waited 12.01 ms: a long wait */
	gilacct_progress(a, 25 * MS, 103, true);
	gilacct_result(a, &snap);
	const struct gilstat_thread *t1 = find(&snap, 1), *t2 = find(&snap, 2);
	tap_ok(t1 && t2, "two threads");
	tap_is(t1->takecnt, 2, "thread 1: two acquisitions");
	tap_is(t2->takecnt, 1, "thread 2: one");
	tap_is(t1->wait_ns, 1 * MS + 12 * MS + 10 * US, "thread 1 waited 1 + 12.01 ms");
	tap_is(t1->hold_ns, 5 * MS + 25 * MS - (19 * MS + 10 * US), "its ongoing hold counts up to now");
	tap_is(t2->hold_ns, 13 * MS - 10 * US, "thread 2 held 12.99 ms");
	tap_is(t2->wait_ns, 4 * MS + 10 * US, "and waited 4.01 ms");
	tap_ok(t1->long_waits == 1 && t2->long_holds == 1 && snap.nwarnings == 2, "one long wait, one long hold");
	tap_is(snap.switches, 3, "switches from switch_number");
	tap_is(snap.elapsed_ns, 25 * MS, "25 ms accounted");
	tap_is(snap.events, 8, "8 events");
	tap_is(snap.resolution_ns, 0, "exact: no resolution limit");

	/* A drop never seen (a lost event): the next take ends the hold. */
	gilacct_event(a, 30 * MS, 1, GILACCT_TAKE_ENTER);
	gilacct_event(a, 31 * MS, 1, GILACCT_TAKE_RETURN);
	gilacct_progress(a, 31 * MS, 103, true);
	gilacct_result(a, &snap);
	t1 = find(&snap, 1);
	tap_is(t1->takecnt, 3, "a take after a lost drop still counts");
	tap_is(t1->hold_ns, 5 * MS + (30 * MS - (19 * MS + 10 * US)), "and the hold ended at that take");
	/* A drop without a take seen (attached mid-hold) is ignored. */
	gilacct_event(a, 32 * MS, 3, GILACCT_DROP_ENTER);
	gilacct_result(a, &snap);
	tap_ok(find(&snap, 3) && find(&snap, 3)->hold_ns == 0, "a drop without its take adds nothing");
	gilacct_destroy(a);
}

/* gilacct_cut: the windows split the time; a hold across the cut counts
 * its take in the first, its time in each, its full length in the max. */
static void test_cut(void)
{
	struct gilacct *a = gilacct_create(GILSTAT_EXACT, 0, 10 * MS, 10 * MS);
	static struct gilstat_snapshot w1;

	gilacct_progress(a, 0, 100, true);
	gilacct_event(a, 1 * MS, 1, GILACCT_TAKE_ENTER);
	gilacct_progress(a, 2 * MS, 100, true);
	gilacct_cut(a, 3 * MS, NULL);                       /* the run's window starts */
	gilacct_event(a, 4 * MS, 1, GILACCT_TAKE_RETURN);   /* waited 3 ms, 1 in the window */
	gilacct_event(a, 10 * MS, 1, GILACCT_DROP_ENTER);   /* held 6 ms */
	gilacct_event(a, 12 * MS, 1, GILACCT_TAKE_ENTER);
	gilacct_event(a, 12 * MS, 1, GILACCT_TAKE_RETURN);
	gilacct_progress(a, 15 * MS, 104, true);
	gilacct_cut(a, 16 * MS, &w1);                       /* a hold in progress */
	const struct gilstat_thread *t = find(&w1, 1);
	tap_ok(t && t->takecnt == 2 && t->wait_ns == 1 * MS && t->hold_ns == 6 * MS + 4 * MS,
	       "cut: the first window from its start to its cut (2 takes, 1 ms waited, 10 ms held)");
	tap_ok(w1.start_ns == 3 * MS && w1.elapsed_ns == 13 * MS && w1.switches == 4,
	       "cut: its start, length and switches are the window's");
	gilacct_event(a, 30 * MS, 1, GILACCT_DROP_ENTER);   /* the hold: 18 ms */
	gilacct_progress(a, 40 * MS, 106, true);
	gilacct_result(a, &snap);
	t = find(&snap, 1);
	tap_ok(t && t->takecnt == 0 && t->hold_ns == 14 * MS && t->max_hold_ns == 18 * MS && t->long_holds == 1,
	       "cut: the next window has the hold's rest (14 ms), its full length in the max and the warning");
	tap_ok(snap.start_ns == 16 * MS && snap.elapsed_ns == 24 * MS && snap.switches == 2 && snap.nwarnings == 1,
	       "cut: the next window starts at the cut");
	gilacct_destroy(a);

	/* Sampled: the time up to the cut is charged to what the last tick saw. */
	a = gilacct_create(GILSTAT_SAMPLED, 1 * MS, 0, 0);
	gtick(a, 100 * MS, 1, 5, 2, 0);
	gtick(a, 101 * MS, 1, 5, 2, 0);
	gilacct_cut(a, 101 * MS + 400 * US, &w1);
	gtick(a, 102 * MS, 2, 6, 0, 0);
	gilacct_result(a, &snap);
	t = find(&w1, 1);
	tap_ok(t && t->hold_ns == 1400 * US && w1.elapsed_ns == 1400 * US && find(&w1, 2)->wait_ns == 1400 * US,
	       "cut, sampled: the first window charged up to the cut");
	t = find(&snap, 1);
	tap_ok(t && t->hold_ns == 600 * US && snap.elapsed_ns == 600 * US && find(&snap, 2)->takecnt == 1,
	       "cut, sampled: the next from the cut on");
	gilacct_destroy(a);
}

/* One take and drop of tid at t (exact). */
static void take_drop(struct gilacct *a, uint64_t t, pid_t tid)
{
	gilacct_event(a, t, tid, GILACCT_TAKE_ENTER);
	gilacct_event(a, t, tid, GILACCT_TAKE_RETURN);
	gilacct_event(a, t + 1, tid, GILACCT_DROP_ENTER);
}

/* A full table evicts an ended thread (not in the latest listing) before a
 * live one, however quiet; a live one evicted that comes back is partial. */
static void test_evict_live(void)
{
	struct gilacct *a = gilacct_create(GILSTAT_EXACT, 0, 0, 0);
	uint64_t t = 1 * MS;

	take_drop(a, t, 1);                          /* live, then idle */
	for (pid_t tid = 2; tid <= GILSTAT_MAX_THREADS; tid++)
		take_drop(a, t + (uint64_t)tid * US, tid);
	gilacct_listing(a, 2 * MS);                  /* 301.. ended */
	for (pid_t tid = 1; tid <= 300; tid++)
		gilacct_listed(a, tid);
	take_drop(a, 3 * MS, 1000);
	gilacct_result(a, &snap);
	tap_ok(find(&snap, 1) && !find(&snap, 301) && find(&snap, 1000) && snap.threads_folded == 1,
	       "evict: an ended thread goes before the quiet live one");
	gilacct_listing(a, 4 * MS);                  /* every thread in the table alive */
	for (pid_t tid = 1; tid <= 1000; tid++)
		gilacct_listed(a, tid);
	take_drop(a, 5 * MS, 2000);                  /* none ended: the quietest live one goes */
	take_drop(a, 6 * MS, 1);                     /* and comes back */
	gilacct_result(a, &snap);
	const struct gilstat_thread *t1 = find(&snap, 1), *t2 = find(&snap, 2);
	tap_ok(t1 && (t1->flags & GILSTAT_THREAD_PARTIAL) && t1->takecnt == 1 && snap.threads_partial == 1 && !t2,
	       "evict: a live thread evicted and back has a partial row (its later take; threads_partial 1)");
	tap_ok(snap.folded.takecnt == 3 && snap.threads_folded == 3,
	       "evict: its earlier take is folded (3 threads, 3 takes)");
	gilacct_cut(a, 7 * MS, NULL);
	gilacct_result(a, &snap);
	tap_ok(find(&snap, 1) && !(find(&snap, 1)->flags & GILSTAT_THREAD_PARTIAL) && snap.threads_partial == 0,
	       "evict: the next window's row is whole again");
	gilacct_destroy(a);
}

/* The longest time without a listing of the target's threads, within
 * the window: from its start to the first, between two, from the last to
 * its end. */
static void test_listing_gap(void)
{
	struct gilacct *a = gilacct_create(GILSTAT_EXACT, 0, 0, 0);

	gilacct_listing(a, 1 * MS);                  /* before the window: no gap yet */
	gilacct_progress(a, 2 * MS, 0, false);
	gilacct_cut(a, 10 * MS, NULL);               /* the window starts at 10 ms */
	gilacct_listing(a, 15 * MS);                 /* 5 ms from its start */
	gilacct_listing(a, 25 * MS);                 /* 10 */
	gilacct_listing(a, 27 * MS);
	gilacct_progress(a, 30 * MS, 0, false);
	gilacct_result(a, &snap);
	tap_is(snap.listing_gap_ns, 10 * MS, "listing gap: the longest between two listings");
	gilacct_progress(a, 60 * MS, 0, false);
	gilacct_result(a, &snap);
	tap_is(snap.listing_gap_ns, 33 * MS, "listing gap: from the last listing to the window's end");
	gilacct_listing(a, 61 * MS);                 /* after the latest time accounted */
	gilacct_result(a, &snap);
	tap_is(snap.listing_gap_ns, 34 * MS, "listing gap: a listing past the time accounted ends a gap too");
	tap_ok(snap.listing_gap_ns <= snap.elapsed_ns, "listing gap: never more than the window");
	gilacct_cut(a, 70 * MS, NULL);
	gilacct_listing(a, 72 * MS);
	gilacct_progress(a, 73 * MS, 0, false);
	gilacct_result(a, &snap);
	tap_is(snap.listing_gap_ns, 2 * MS, "listing gap: a new window measures from its start");
	gilacct_destroy(a);
}

static void test_capacity(void)
{
	struct gilacct *a = gilacct_create(GILSTAT_EXACT, 0, 0, 0);
	for (int i = 1; i <= GILSTAT_MAX_THREADS + 5; i++)
		gilacct_event(a, (uint64_t)i, i, GILACCT_TAKE_RETURN);
	gilacct_result(a, &snap);
	tap_is(snap.nthreads, GILSTAT_MAX_THREADS, "the table holds GILSTAT_MAX_THREADS threads");
	tap_is(snap.overflow, 5, "the rest (all 512 holding: none can be folded) are counted as overflow");
	tap_is(snap.threads_folded, 0, "and none was folded");
	int sorted = 1;
	for (uint32_t i = 1; i < snap.nthreads; i++)
		sorted &= snap.threads[i - 1].tid < snap.threads[i].tid;
	tap_ok(sorted, "threads come sorted by tid");
	gilacct_destroy(a);
}

/* ---- gilstat accounting: a full table ---- */

static struct gilstat_thread sum_rows(const struct gilstat_snapshot *g, int with_folded)
{
	struct gilstat_thread t;

	memset(&t, 0, sizeof(t));
	for (uint32_t i = 0; i < g->nthreads; i++) {
		t.takecnt += g->threads[i].takecnt;
		t.hold_ns += g->threads[i].hold_ns;
		t.wait_ns += g->threads[i].wait_ns;
		t.long_holds += g->threads[i].long_holds;
		t.long_waits += g->threads[i].long_waits;
	}
	if (with_folded) {
		t.takecnt += g->folded.takecnt;
		t.hold_ns += g->folded.hold_ns;
		t.wait_ns += g->folded.wait_ns;
		t.long_holds += g->folded.long_holds;
		t.long_waits += g->folded.long_waits;
	}
	return t;
}

static int unique_tids(const struct gilstat_snapshot *g)
{
	for (uint32_t i = 1; i < g->nthreads; i++)
		if (g->threads[i - 1].tid >= g->threads[i].tid)
			return 0;
	return 1;
}

/* A thread-per-request server's threads, 2,000 of them one after another,
 * each taking the GIL 1-3 times, beside a thread that holds the GIL from
 * the start and one that waits for it from the start (the quietest, never
 * to be evicted). */
static void test_evict(void)
{
	struct gilacct *a = gilacct_create(GILSTAT_EXACT, 0, 50 * US, 50 * US);
	uint64_t t = 1000, takes = 0, hold = 0, wait = 0, longs = 0, maxhold = 0;
	const int nthr = 2000;

	gilacct_event(a, 10, 1, GILACCT_TAKE_ENTER);
	gilacct_event(a, 20, 1, GILACCT_TAKE_RETURN);        /* waited 10 ns, holds on */
	gilacct_event(a, 30, 2, GILACCT_TAKE_ENTER);         /* waits on */
	takes = 1;
	wait = 10;
	for (int i = 0; i < nthr; i++) {
		pid_t tid = 100 + i;
		int k = 1 + i % 3;
		for (int j = 0; j < k; j++) {
			uint64_t w = (uint64_t)(1 + (i + j) % 7) * US, h = (uint64_t)(1 + (i * 7 + j) % 97) * US;
			gilacct_event(a, t, tid, GILACCT_TAKE_ENTER);
			gilacct_event(a, t + w, tid, GILACCT_TAKE_RETURN);
			gilacct_event(a, t + w + h, tid, GILACCT_DROP_ENTER);
			t += w + h + 1;
			takes++;
			wait += w;
			hold += h;
			longs += h > 50 * US;
			if (h > maxhold)
				maxhold = h;
		}
	}
	gilacct_progress(a, t, 0, false);
	gilacct_result(a, &snap);
	struct gilstat_thread all = sum_rows(&snap, 1);
	/* thread 1's ongoing hold counts up to now in its row; thread 2's wait too */
	uint64_t ongoing = (t - 20) + (t - 30);
	tap_is(snap.nthreads, GILSTAT_MAX_THREADS, "a full table after 2,002 threads");
	tap_is(snap.threads_folded, nthr + 2 - GILSTAT_MAX_THREADS, "the rest were folded, one by one");
	tap_is(snap.overflow, 0, "nothing overflowed: there was always an idle thread to fold");
	tap_is(all.takecnt, takes, "takes conserved: the rows and the folded add up to every take fed");
	tap_is(all.hold_ns + all.wait_ns, hold + wait + ongoing, "hold and wait time conserved");
	tap_is(all.long_holds, longs, "long holds conserved");
	tap_is(snap.folded.max_hold_ns, maxhold, "the folded max_hold is the longest folded hold");
	const struct gilstat_thread *t1 = find(&snap, 1), *t2 = find(&snap, 2);
	tap_ok(t1 && t1->takecnt == 1 && t1->hold_ns == t - 20, "the holding thread (the quietest) was never evicted");
	tap_ok(t2 && t2->takecnt == 0 && t2->wait_ns == t - 30, "nor the waiting one");
	int last = 1;
	for (int i = nthr - (GILSTAT_MAX_THREADS - 2); i < nthr; i++)
		last &= find(&snap, 100 + i) != NULL && find(&snap, 100 + i)->takecnt == (uint64_t)(1 + i % 3);
	tap_ok(last, "the latest 510 threads are listed with their own takes");
	tap_ok(unique_tids(&snap), "no thread listed twice");
	gilstat_takes_lower_bound(&snap, &all.takecnt);
	tap_is(all.takecnt, takes, "the takes given include the folded threads'");

	/* Nothing to evict: every thread holds or waits, or was active at
	 * this very instant. */
	gilacct_destroy(a);
	a = gilacct_create(GILSTAT_EXACT, 0, 0, 0);
	for (int i = 1; i <= GILSTAT_MAX_THREADS; i++)
		gilacct_event(a, (uint64_t)i, i, GILACCT_TAKE_ENTER);
	gilacct_event(a, 1000, 9999, GILACCT_TAKE_ENTER);
	gilacct_event(a, 1001, 9999, GILACCT_TAKE_RETURN);
	gilacct_result(a, &snap);
	tap_ok(snap.overflow == 2 && snap.threads_folded == 0 && !find(&snap, 9999),
	       "all 512 waiting: a new thread's events overflow, nobody is folded");
	gilacct_event(a, 2000, 7, GILACCT_TAKE_RETURN);
	gilacct_event(a, 2100, 7, GILACCT_DROP_ENTER);
	gilacct_event(a, 2100, 9998, GILACCT_TAKE_ENTER);
	gilacct_result(a, &snap);
	tap_ok(snap.overflow == 3 && snap.threads_folded == 0 && find(&snap, 7),
	       "one idle since this very instant: not folded either");
	gilacct_event(a, 2200, 9998, GILACCT_TAKE_ENTER);
	gilacct_event(a, 2300, 9998, GILACCT_TAKE_RETURN);
	gilacct_result(a, &snap);
	tap_ok(snap.overflow == 3 && snap.threads_folded == 1 && !find(&snap, 7) && find(&snap, 9998) &&
	       find(&snap, 9998)->takecnt == 1 && snap.folded.takecnt == 1 && snap.folded.hold_ns == 100,
	       "once it is quiet, the one idle thread is folded for the new one");
	gilacct_destroy(a);
}

static uint32_t slot_home(uint32_t tid)
{
	return (tid * 2654435761u) & (GILSTAT_MAX_THREADS * 2 - 1);
}

/* Threads whose hash slots crowd into a few (wrapping the table's end):
 * long probe chains, and evictions from their middle. Every thread still
 * listed must be found again, not made twice. */
static void test_evict_chains(void)
{
	struct gilacct *a = gilacct_create(GILSTAT_EXACT, 0, 0, 0);
	static pid_t tids[3000];
	int n = 0;
	uint64_t t = 1, takes = 0, rng = 12345;

	for (uint32_t tid = 1; n < 3000; tid++) {
		uint32_t h = slot_home(tid);
		if (h >= GILSTAT_MAX_THREADS * 2 - 24 || h < 40)
			tids[n++] = (pid_t)tid;
	}
	/* Random threads take the GIL once each round; which ones stay and
	 * which go depends on how recently they did. */
	for (int round = 0; round < 20000; round++) {
		rng = rng * 6364136223846793005ull + 1442695040888963407ull;
		pid_t tid = tids[(rng >> 33) % (round < 10000 ? 700 : 3000)];
		gilacct_event(a, t, tid, GILACCT_TAKE_ENTER);
		gilacct_event(a, t + 1, tid, GILACCT_TAKE_RETURN);
		gilacct_event(a, t + 2, tid, GILACCT_DROP_ENTER);
		t += 3;
		takes++;
	}
	gilacct_result(a, &snap);
	tap_ok(snap.nthreads == GILSTAT_MAX_THREADS && snap.threads_folded > 5000 && snap.overflow == 0,
	       "crowded slots: %u listed, %llu folded, none overflowed", snap.nthreads,
	       (unsigned long long)snap.threads_folded);
	tap_is(sum_rows(&snap, 1).takecnt, takes, "crowded slots: takes conserved");
	tap_ok(unique_tids(&snap), "crowded slots: no thread listed twice");
	/* Another take by each listed thread: found where it is. */
	static uint32_t listed[GILSTAT_MAX_THREADS];
	static uint64_t before[GILSTAT_MAX_THREADS];
	uint32_t nl = snap.nthreads;
	uint64_t folded = snap.threads_folded;
	for (uint32_t i = 0; i < nl; i++) {
		listed[i] = snap.threads[i].tid;
		before[i] = snap.threads[i].takecnt;
	}
	for (uint32_t i = 0; i < nl; i++) {
		gilacct_event(a, t, (pid_t)listed[i], GILACCT_TAKE_RETURN);
		gilacct_event(a, t + 1, (pid_t)listed[i], GILACCT_DROP_ENTER);
		t += 2;
	}
	gilacct_result(a, &snap);
	int found = snap.nthreads == nl && snap.threads_folded == folded;
	for (uint32_t i = 0; i < nl && found; i++)
		found = snap.threads[i].tid == listed[i] && snap.threads[i].takecnt == before[i] + 1;
	tap_ok(found, "after %llu evictions every listed thread is found again by its probe chain",
	       (unsigned long long)folded);
	gilacct_destroy(a);
}

/* Sampled: threads listed by the tick are active; the ones that stopped
 * being listed (ended) are folded; more threads listed at once than the
 * table holds overflow without folding the listed ones in turn. */
static void test_evict_sampled(void)
{
	struct gilacct *a = gilacct_create(GILSTAT_SAMPLED, 1 * MS, 0, 0);
	static struct gilacct_obs obs[600];
	uint64_t sw = 0;
	int tk = 0;

	/* 1,500 threads, 8 listed at a time, each for 4 ticks, one of them
	 * holding the GIL each tick. */
	for (tk = 0; tk < 750; tk++) {
		int first = tk * 2;
		for (int i = 0; i < 8; i++) {
			obs[i].tid = 100 + first + i;
			obs[i].waiting = i != 0 && i != 7;
		}
		struct gilacct_tick k = { .time_ns = (uint64_t)tk * MS, .holder = 100 + first, .switch_number = ++sw,
					  .threads = obs, .nthreads = 8 };
		gilacct_tick(a, &k);
	}
	gilacct_result(a, &snap);
	struct gilstat_thread all = sum_rows(&snap, 1);
	tap_ok(snap.threads_folded == 1500 + 6 - GILSTAT_MAX_THREADS && snap.overflow == 0,
	       "sampled: the ended threads are folded (%llu), none overflow", (unsigned long long)snap.threads_folded);
	tap_is(all.hold_ns, snap.elapsed_ns, "sampled: the GIL held all the time, every nanosecond in a row or folded");
	tap_is(all.takecnt, 749 + 1, "sampled: every holder's take counted");
	tap_ok(find(&snap, 100 + 1498 + 7) != NULL, "sampled: the latest threads are listed");

	/* 600 threads listed at once: 512 fit, the other 88 overflow every
	 * tick, and the listed ones are not folded to make room. */
	gilacct_destroy(a);
	a = gilacct_create(GILSTAT_SAMPLED, 1 * MS, 0, 0);
	for (int i = 0; i < 600; i++) {
		obs[i].tid = 1 + i;
		obs[i].waiting = 0;
	}
	for (tk = 0; tk < 10; tk++) {
		/* every other tick lists the threads the other way round: the
		 * 88 left out come first */
		for (int i = 0; i < 600; i++)
			obs[i].tid = tk % 2 ? 600 - i : 1 + i;
		struct gilacct_tick k = { .time_ns = (uint64_t)tk * MS, .holder = 1, .switch_number = 1,
					  .threads = obs, .nthreads = 600 };
		gilacct_tick(a, &k);
	}
	gilacct_result(a, &snap);
	tap_ok(snap.nthreads == GILSTAT_MAX_THREADS && snap.threads_folded == 0 && snap.overflow == 10 * 88,
	       "sampled, 600 threads at once: 512 listed, %llu folded, %llu observations overflowed",
	       (unsigned long long)snap.threads_folded, (unsigned long long)snap.overflow);
	gilacct_destroy(a);
}

/* ---- the live view's pieces ---- */

static void test_view(void)
{
	struct agg_thread_counts c;
	struct agg_summary sum;
	char buf[64];

	memset(&c, 0, sizeof(c));
	c.samples = 200;
	c.gil[GIL_HOLDING] = 66;
	c.gil[GIL_HOLDING_BLOCKED] = 2;
	c.gil[GIL_WAITING] = 120;
	c.gil[GIL_NATIVE] = 11;
	c.gil[GIL_IDLE] = 1;
	tap_str(gilview_meter_text(&c, buf, sizeof(buf)), "H33 B1 W60 N6 I1",
		"bar numbers: the classes in percent, with their letters");
	c.gil[GIL_IDLE] = 0;
	c.gil[GIL_HOLDING_BLOCKED] = 0;
	tap_str(gilview_meter_text(&c, buf, sizeof(buf)), "H33 W60 N6", "bar numbers: zero classes left out");
	struct meter_seg segs[8];
	size_t n = gilview_meter(&c, true, segs, 8);
	tap_ok(n == 5 && segs[0].value == 66 && segs[1].value == 0 && segs[2].value == 120 && segs[3].value == 11,
	       "bar segments: holding, blocked, waiting, native, unknown");
	memset(&sum, 0, sizeof(sum));
	tap_str(gilview_header(&sum, buf, sizeof(buf)), "?", "header: nothing read yet");
	sum.gil_rounds = 10;
	sum.gil_utilisation_pct = 97.4;
	sum.gil_switch_rate = 185.2;
	tap_str(gilview_header(&sum, buf, sizeof(buf)), "97% 185/s", "header: utilisation and switch rate");
	sum.gil_disabled = true;
	tap_str(gilview_header(&sum, buf, sizeof(buf)), "none (free-threaded)", "header: no GIL");

	struct aggregate *a = aggregate_create(AGG_MODE_CPU, 1 * MS);
	struct tui *t = tui_new(a, NULL);
	tap_is(tui_command(t, "gilstat on"), -1, ":gilstat on without a target fails");
	tap_ok(strstr(t->m.msg, "live target") != NULL, "and says why");
	tap_is(tui_command(t, "gilstat maybe"), -1, ":gilstat with a wrong word fails");
	tap_ok(strstr(t->m.msg, "usage: gilstat on|exact|off") != NULL, "and gives the usage");
	tap_is(tui_command(t, "gilstat on 5 x"), -1, ":gilstat on with a bad threshold fails");
	tap_is(tui_command(t, "gilstat off"), 0, ":gilstat off when it is not running is fine");
	tui_key(t, 'G');
	tap_is(aggregate_mode(a), AGG_MODE_GIL, "G: count only samples holding the GIL");
	tui_key(t, 'G');
	tap_is(aggregate_mode(a), AGG_MODE_CPU, "G again: back to cpu");
	tui_free(t);
	aggregate_destroy(a);
}

/* The live view's gilstat pane: the folded threads' row under the
 * threads, and overflow in its title. */
static void test_view_folded(void)
{
	static struct session sess;
	static struct options o;
	static struct gilstat_snapshot g;
	struct aggregate *a = aggregate_create(AGG_MODE_CPU, 1 * MS);
	struct canvas c;

	memset(&g, 0, sizeof(g));
	g.mode = GILSTAT_EXACT;
	g.elapsed_ns = 1000 * MS;
	g.nthreads = 1;
	g.threads[0] = (struct gilstat_thread){ .tid = 10, .takecnt = 77, .hold_ns = 77 * MS };
	g.threads_folded = 600;
	g.folded = (struct gilstat_thread){ .takecnt = 1234, .hold_ns = 100 * MS };
	g.overflow = 5;
	sess.opt = &o;
	sess.gilstat_view = &g;
	sample(a, 10, THREAD_RUNNING, SAMPLE_F_HOLDS_GIL);
	tick(a, 0, 1, TICK_GIL_KNOWN, 1);
	sample(a, 10, THREAD_RUNNING, SAMPLE_F_HOLDS_GIL);
	tick(a, 1, 2, TICK_GIL_KNOWN, 1);
	struct tui *t = tui_new(a, NULL);
	t->m.sess = &sess;
	tui_requery(t);
	/* g with gilstat running opens its view (never reading gilstat
	 * itself); then stopped, its last numbers are the view's */
	sess.gilstat = (struct gilstat *)&g;
	tui_key(t, 'g');
	sess.gilstat = NULL;
	canvas_init(&c, 140, 20, false);
	render(t, &c);
	int y10 = find_row(&c, "     10  "), ye = find_row(&c, "  ended  (600 threads)");
	if (!tap_ok(y10 > 0 && ye == y10 + 1 && strstr(row_of(&c, ye), " 1234 ") != NULL,
		    "view: the folded threads' row (600 threads, 1234 takes) under the threads"))
		dump(&c);
	tap_ok(screen_has(&c, "5 events not accounted (table full)"), "view: overflow in the title");
	canvas_free(&c);
	t->m.sess = NULL;
	tui_free(t);
	aggregate_destroy(a);
}

/* A woke wait's take, told at later ticks (gilacct_pending_tell). */
static void test_pending_tell(void)
{
	const uint64_t W = GILACCT_WAKE_CPU_NS;
	struct {
		bool known, waiting, running, holder;
		uint64_t ran;
		int want, pending;   /* late take; still pending after */
		const char *what;
	} c[] = {
		{ true, true, false, false, W / 2, 0, 0, "back in a take's wait, little run: woke and slept again, no take" },
		{ true, true, false, false, W, 1, 0, "back in a take's wait having run a wake-up's cost: it took and waits again" },
		{ true, false, false, false, 0, 1, 0, "blocked elsewhere (its C call, a sleep): it took the GIL" },
		{ true, false, true, false, W * 3, 1, 0, "runnable, having run more: it took the GIL and runs on" },
		{ true, false, true, false, W / 2, 0, 1, "runnable, little run: not known yet" },
		{ true, false, true, true, W * 3, 0, 0, "the holder: its take is the holder's" },
		{ false, false, false, false, 0, 0, 0, "its CPU time unread: no take" },
	};
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		struct gilacct_pending p = { .tid = 7, .cpu_ns = 1000000 };
		int r = (int)gilacct_pending_tell(&p, c[i].known, c[i].waiting, c[i].running, c[i].holder,
					     1000000 + c[i].ran);
		tap_ok(r == c[i].want && (p.tid != 0) == c[i].pending, "pending: %s (%d, %s)", c[i].what, r,
		       p.tid ? "pending" : "told");
	}
	struct gilacct_pending p = { .tid = 7, .cpu_ns = 5 };
	int n = 0, r = 0;
	while (p.tid && n < 1000) {
		r |= (int)gilacct_pending_tell(&p, true, false, true, false, 5 + W / 2);
		n++;
	}
	tap_ok(r == 0 && n == GILACCT_PENDING_TICKS + 1,
	       "pending: runnable with little run for %d ticks: dropped with no take after %d",
	       GILACCT_PENDING_TICKS, n);
	p = (struct gilacct_pending){ 0 };
	tap_ok(!gilacct_pending_tell(&p, true, false, false, false, W * 5), "pending: none, no take");
}

int main(void)
{
	test_state();
	test_statics();
	test_free_threaded();
	test_classes();
	test_sampled();
	test_sampled_short_holds();
	test_sampled_took();
	test_pending_tell();
	test_exact();
	test_cut();
	test_evict_live();
	test_listing_gap();
	test_capacity();
	test_evict();
	test_evict_chains();
	test_evict_sampled();
	test_view();
	test_view_folded();
	return tap_done();
}
