/* test_aggregate: known record streams into the aggregator and the exact
 * tables out: own/total with recursion, lines, callers/callees, stacks,
 * threads, the cpu/wall/gil modes, window vs cumulative, reset, filters,
 * ticks, malformed records and table growth. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "output/snapshot.h"
#include "output/speedscope.h"
#include "sampling/aggregate.h"
#include "records.h"
#include "sampling/sample.h"
#include "tap.h"

/* The last record built, for the tests that spoil it after feeding. */
static union rec_buf rb;

/* The next samples' round time, CPU delta and pid (0: as old streams). */
static uint64_t next_time_ns, next_cpu_ns;
static uint32_t next_pid;

/* frames: "id:line id:line ..." innermost first. */
static double own_s_of(struct aggregate *a, const char *name);

static int sample(struct aggregate *a, uint32_t tid, int state, int flags, const char *frames)
{
	return aggregate_feed(a, rec_sample(&rb, &(struct sample_rec){ .pid = next_pid, .tid = tid,
						.state = (uint8_t)state, .flags = (uint8_t)flags,
						.time_ns = next_time_ns, .cpu_ns = next_cpu_ns }, frames));
}

static void tick(struct aggregate *a, uint64_t t_ms, uint64_t dur_ms, uint32_t errors, uint64_t gil)
{
	feed_tick(a, &(struct tick_rec){ .time_ns = t_ms * 1000000, .duration_ns = dur_ms * 1000000,
					 .nthreads = 2, .errors = errors, .gil_switches = gil });
}

static void thread_name(struct aggregate *a, uint32_t tid, const char *name)
{
	aggregate_feed(a, rec_thread(&rb, &(struct thread_rec){ .tid = tid, .pid = next_pid }, name));
}

#define GIL SAMPLE_F_HOLDS_GIL

/* Line rows, cumulative, all threads, by own. */
static const struct agg_query by_line = { .level = AGG_LEVEL_LINE };

/* Two threads; main/work/fib, fib recursive; id 4 is main again. */
static void feed_stream(struct aggregate *a)
{
	feed_func(a, 1, "main", "app.py", 1);
	feed_func(a, 2, "work", "app.py", 10);
	feed_func(a, 3, "fib", "app.py", 20);
	feed_func(a, 4, "main", "app.py", 1);
	thread_name(a, 100, "MainThread");
	thread_name(a, 200, "Worker");
	sample(a, 100, THREAD_RUNNING, GIL, "2:12 1:5");
	sample(a, 100, THREAD_RUNNING, GIL, "3:21 3:22 3:22 2:13 1:5");
	sample(a, 100, THREAD_IDLE, 0, "1:6");
	sample(a, 200, THREAD_RUNNING, 0, "3:21 2:12 4:5");
	sample(a, 200, THREAD_GIL_WAIT, 0, "2:12 1:5");
}

/* The row of a function, and of one of its lines (line rows). */
static const struct agg_row *lfind(const struct agg_row *r, size_t n, const char *name, int line)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(r[i].name, name) == 0 && (line < 0 || r[i].line == line))
			return &r[i];
	return NULL;
}

static const struct agg_row *ffind(const struct agg_row *r, size_t n, const char *name)
{
	return lfind(r, n, name, -1);
}

/* Own or total of a function in a view, -1 if absent. */
static long long count_of(struct aggregate *a, const struct agg_query *q, const char *name, bool total)
{
	struct agg_row *r;
	size_t n = aggregate_rows(a, q, &r);
	const struct agg_row *f = ffind(r, n, name);
	const struct agg_stat *c = f ? (q && q->window ? &f->win : &f->cum) : NULL;
	long long v = c ? (long long)(total ? c->total : c->own) : -1;

	free(r);
	return v;
}

static long long own_of(struct aggregate *a, const struct agg_query *q, const char *name)
{
	return count_of(a, q, name, false);
}

static long long total_of(struct aggregate *a, const struct agg_query *q, const char *name)
{
	return count_of(a, q, name, true);
}

static int near(double x, double y)
{
	return x - y < 1e-9 && y - x < 1e-9;
}

static void test_cpu(void)
{
	struct aggregate *a = aggregate_create(AGG_MODE_CPU, 10000000);
	struct agg_row *fr;
	struct agg_row *lr;
	const struct agg_row *f;
	const struct agg_row *l;
	struct agg_summary s;
	size_t n;

	feed_stream(a);
	aggregate_summary(a, false, &s);
	tap_is(s.samples, 5, "cpu: 5 samples seen");
	tap_is(s.counted, 3, "cpu: 3 running samples counted");

	n = aggregate_rows(a, NULL, &fr);
	tap_is(n, 3, "cpu: 3 functions (ids 1 and 4 merged)");
	tap_str(n == 3 ? fr[0].name : NULL, "fib", "cpu: fib first by own");
	tap_str(n == 3 ? fr[1].name : NULL, "work", "cpu: work second");
	tap_str(n == 3 ? fr[2].name : NULL, "main", "cpu: main last");
	f = ffind(fr, n, "fib");
	tap_ok(f && f->cum.own == 2 && f->cum.total == 2, "cpu: fib own 2 total 2 (recursion once)");
	tap_ok(f && near(f->cum.own_pct, 200.0 / 3) && near(f->cum.own_s, 0.02) &&
	       near(f->cum.total_s, 0.02), "cpu: fib 66.7%%, 20ms");
	tap_ok(f && f->line == 20 && strcmp(f->file, "app.py") == 0, "cpu: fib file and first line");
	f = ffind(fr, n, "work");
	tap_ok(f && f->cum.own == 1 && f->cum.total == 3 && near(f->cum.total_pct, 100.0),
	       "cpu: work own 1 total 3 (100%%)");
	f = ffind(fr, n, "main");
	tap_ok(f && f->cum.own == 0 && f->cum.total == 3, "cpu: main own 0 total 3");
	free(fr);

	n = aggregate_rows(a, &by_line, &lr);
	tap_is(n, 5, "cpu: 5 lines");
	l = lfind(lr, n, "fib", 21);
	tap_ok(l && l->cum.own == 2 && l->cum.total == 2, "cpu: fib:21 own 2");
	l = lfind(lr, n, "fib", 22);
	tap_ok(l && l->cum.own == 0 && l->cum.total == 1, "cpu: fib:22 own 0 total 1 (once)");
	l = lfind(lr, n, "work", 12);
	tap_ok(l && l->cum.own == 1 && l->cum.total == 2, "cpu: work:12 own 1 total 2");
	l = lfind(lr, n, "work", 13);
	tap_ok(l && l->cum.own == 0 && l->cum.total == 1, "cpu: work:13 total 1");
	l = lfind(lr, n, "main", 5);
	tap_ok(l && l->cum.own == 0 && l->cum.total == 3, "cpu: main:5 total 3");
	tap_ok(lfind(lr, n, "main", 6) == NULL, "cpu: idle main:6 not counted");
	tap_ok(n == 5 && strcmp(lr[0].name, "fib") == 0 && lr[0].line == 21 &&
	       strcmp(lr[1].name, "work") == 0 && lr[1].line == 12, "cpu: lines sorted by own");
	free(lr);
	aggregate_destroy(a);
}

static void test_edges(void)
{
	struct aggregate *a = aggregate_create(AGG_MODE_CPU, 10000000);
	struct agg_row *fr;
	struct agg_edge_row *er;
	uint32_t fib = 0, work = 0, main_ = 0;
	size_t n, i;

	feed_stream(a);
	n = aggregate_rows(a, NULL, &fr);
	for (i = 0; i < n; i++) {
		if (!strcmp(fr[i].name, "fib"))
			fib = fr[i].func;
		if (!strcmp(fr[i].name, "work"))
			work = fr[i].func;
		if (!strcmp(fr[i].name, "main"))
			main_ = fr[i].func;
	}
	free(fr);

	n = aggregate_callers(a, fib, NULL, &er);
	tap_is(n, 2, "callers of fib: 2");
	tap_ok(n == 2 && !strcmp(er[0].name, "work") && er[0].cum == 2 && near(er[0].cum_s, 0.02),
	       "work called fib in 2 samples");
	tap_ok(n == 2 && !strcmp(er[1].name, "fib") && er[1].cum == 1,
	       "fib called fib in 1 sample (counted once)");
	free(er);
	n = aggregate_callees(a, fib, NULL, &er);
	tap_ok(n == 1 && er[0].func == fib && er[0].cum == 1, "fib's callees: fib 1");
	free(er);
	n = aggregate_callers(a, work, NULL, &er);
	tap_ok(n == 1 && er[0].func == main_ && er[0].cum == 3, "work's callers: main 3");
	free(er);
	n = aggregate_callees(a, main_, NULL, &er);
	tap_ok(n == 1 && er[0].func == work && er[0].cum == 3, "main's callees: work 3");
	free(er);
	n = aggregate_callers(a, main_, NULL, &er);
	tap_ok(n == 0 && er == NULL, "main has no callers");
	n = aggregate_callers(a, 12345, NULL, &er);
	tap_ok(n == 0 && er == NULL, "unknown handle: nothing");
	{
		struct agg_query q = { .tid = 200 };

		n = aggregate_callers(a, fib, &q, &er);
		tap_ok(n == 1 && er[0].func == work && er[0].cum == 1, "tid 200: work called fib once");
		free(er);
	}
	{
		struct agg_frame fi;

		tap_ok(aggregate_func(a, fib, &fi) && !strcmp(fi.name, "fib") && fi.line == 20,
		       "aggregate_func looks a handle up");
		tap_ok(!aggregate_func(a, 12345, &fi), "aggregate_func: bad handle");
	}
	aggregate_destroy(a);
}

struct stacks {
	char lines[16][256];
	int n;
};

static void collect(void *arg, const struct agg_frame *fr, size_t depth, uint64_t count, uint64_t ns)
{
	struct stacks *st = arg;
	char *p = st->lines[st->n++];
	size_t i;

	p[0] = '\0';
	for (i = 0; i < depth; i++)
		sprintf(p + strlen(p), "%s%s:%d", i ? ";" : "", fr[i].name, fr[i].line);
	sprintf(p + strlen(p), " %llu %lluus", (unsigned long long)count, (unsigned long long)(ns / 1000));
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(x, y);
}

static void test_stacks(void)
{
	struct aggregate *a = aggregate_create(AGG_MODE_CPU, 10000000);
	struct stacks st;
	struct agg_query q = { .tid = 100 };

	feed_stream(a);
	sample(a, 200, THREAD_RUNNING, 0, "2:12 1:5");
	memset(&st, 0, sizeof(st));
	aggregate_walk_stacks(a, NULL, collect, &st);
	qsort(st.lines, (size_t)st.n, sizeof(st.lines[0]), cmp_str);
	tap_is(st.n, 3, "stacks: 3 unique");
	tap_str(st.lines[0], "main:5;work:12 2 20000us", "stacks: same stack of two threads merged");
	tap_str(st.lines[1], "main:5;work:12;fib:21 1 10000us", "stacks: second");
	tap_str(st.lines[2], "main:5;work:13;fib:22;fib:22;fib:21 1 10000us", "stacks: recursive one, root first");

	memset(&st, 0, sizeof(st));
	aggregate_walk_stacks(a, &q, collect, &st);
	qsort(st.lines, (size_t)st.n, sizeof(st.lines[0]), cmp_str);
	tap_is(st.n, 2, "stacks of tid 100: 2");
	tap_str(st.lines[0], "main:5;work:12 1 10000us", "stacks of tid 100: own count and time only");

	aggregate_window_start(a);
	sample(a, 100, THREAD_RUNNING, 0, "3:21 2:12 1:5");
	q.tid = 0;
	q.window = true;
	memset(&st, 0, sizeof(st));
	aggregate_walk_stacks(a, &q, collect, &st);
	tap_is(st.n, 1, "window stacks: 1");
	tap_str(st.lines[0], "main:5;work:12;fib:21 1 10000us", "window stacks: only the window's count and time");
	aggregate_destroy(a);
}

/* Sums of what the stack walk gave, per leaf function name. */
struct walk_sums {
	uint64_t count[2], ns[2];
	int calls;
};

static void sum_fn(void *arg, const struct agg_frame *fr, size_t depth, uint64_t count, uint64_t ns)
{
	struct walk_sums *w = arg;
	int k = strcmp(fr[depth - 1].name, "spin") == 0 ? 0 : 1;

	w->calls++;
	w->count[k] += count;
	w->ns[k] += ns;
}

/* cpu mode: the walk gives each stack its CPU time besides its samples.
 * Two threads sampled together every 1 ms for 20 rounds, both on CPU: one
 * with a core to itself (1 ms per round, in spin), one with a quarter of
 * a core (0.25 ms, in share): the same samples, CPU 4:1. */
static void test_stacks_cpu(void)
{
	struct aggregate *a = aggregate_create(AGG_MODE_CPU, 1000000);
	struct walk_sums w;
	struct agg_query q = { .window = true };

	memset(&w, 0, sizeof(w));
	feed_func(a, 1, "spin", "c.py", 1);
	feed_func(a, 2, "share", "c.py", 5);
	feed_func(a, 3, "main", "c.py", 9);
	for (int r = 1; r <= 20; r++) {
		next_time_ns = (uint64_t)r * 1000000;
		next_cpu_ns = 1000000;
		sample(a, 7, THREAD_RUNNING, SAMPLE_F_CPU, "1:2 3:10");
		next_cpu_ns = 250000;
		sample(a, 8, THREAD_RUNNING, SAMPLE_F_CPU, "2:6 3:11");
		tick(a, (uint64_t)r, 0, 0, 0);
	}
	/* Both end: whatever CPU was not given yet goes to their stacks. */
	next_cpu_ns = 0;
	sample(a, 7, THREAD_UNKNOWN, SAMPLE_F_CPU | SAMPLE_F_ENDED, "");
	sample(a, 8, THREAD_UNKNOWN, SAMPLE_F_CPU | SAMPLE_F_ENDED, "");
	aggregate_walk_stacks(a, NULL, sum_fn, &w);
	tap_ok(w.calls == 2 && w.count[0] == w.count[1] && w.count[0] >= 20,
	       "cpu walk: two stacks, the same samples (%llu, %llu)",
	       (unsigned long long)w.count[0], (unsigned long long)w.count[1]);
	tap_ok(w.ns[0] == 20000000 && w.ns[1] == 5000000,
	       "cpu walk: their time is their CPU, 20 ms and 5 ms (%llu, %llu ns)",
	       (unsigned long long)w.ns[0], (unsigned long long)w.ns[1]);
	/* The window: the same proportion from its start. */
	aggregate_window_start(a);
	memset(&w, 0, sizeof(w));
	for (int r = 21; r <= 30; r++) {
		next_time_ns = (uint64_t)r * 1000000;
		next_cpu_ns = 1000000;
		sample(a, 9, THREAD_RUNNING, SAMPLE_F_CPU, "1:2 3:10");
		next_cpu_ns = 250000;
		sample(a, 10, THREAD_RUNNING, SAMPLE_F_CPU, "2:6 3:11");
		tick(a, (uint64_t)r, 0, 0, 0);
	}
	next_cpu_ns = 0;
	sample(a, 9, THREAD_UNKNOWN, SAMPLE_F_CPU | SAMPLE_F_ENDED, "");
	sample(a, 10, THREAD_UNKNOWN, SAMPLE_F_CPU | SAMPLE_F_ENDED, "");
	aggregate_walk_stacks(a, &q, sum_fn, &w);
	tap_ok(w.calls == 2 && w.count[0] == w.count[1] && w.ns[0] == 10000000 && w.ns[1] == 2500000,
	       "cpu walk, window: the window's CPU only, 4:1 (%llu, %llu ns)",
	       (unsigned long long)w.ns[0], (unsigned long long)w.ns[1]);
	next_time_ns = next_cpu_ns = 0;
	aggregate_destroy(a);
}

/* aggregate_walk_stack_states(): the stacks' idle and GIL-wait time. */
struct states_seen {
	uint64_t idle_stack_ns, idle_stack_idle;      /* main alone (line 6) */
	uint64_t wait_stack_ns, wait_stack_wait;      /* main -> work (line 12) */
	uint64_t other_idle_wait;                     /* on every other stack */
};

static void states_fn(void *arg, const struct agg_frame *fr, size_t depth, uint64_t count, uint64_t ns,
		      uint64_t idle_ns, uint64_t wait_ns)
{
	struct states_seen *s = arg;

	(void)count;
	if (depth == 1 && fr[0].line == 6) {
		s->idle_stack_ns += ns;
		s->idle_stack_idle += idle_ns;
		s->other_idle_wait += wait_ns;
	} else if (depth == 2 && strcmp(fr[1].name, "work") == 0 && fr[1].line == 12) {
		s->wait_stack_ns += ns;
		s->wait_stack_wait += wait_ns;
		s->other_idle_wait += idle_ns;
	} else {
		s->other_idle_wait += idle_ns + wait_ns;
	}
}

static void test_modes(void)
{
	struct aggregate *a = aggregate_create(AGG_MODE_WALL, 10000000);
	struct agg_summary s;

	tap_str(aggregate_mode_name(AGG_MODE_WALL), "wall", "mode name wall");
	tap_str(aggregate_mode_name(AGG_MODE_CPU), "cpu", "mode name cpu");
	tap_str(aggregate_mode_name(AGG_MODE_GIL), "gil", "mode name gil");
	feed_stream(a);
	aggregate_summary(a, false, &s);
	tap_is(s.counted, 5, "wall: every sample counted");
	tap_is(own_of(a, NULL, "work"), 2, "wall: work own 2");
	tap_is(own_of(a, NULL, "main"), 1, "wall: main own 1 (idle sample)");
	tap_is(total_of(a, NULL, "main"), 5, "wall: main total 5");
	tap_is(total_of(a, NULL, "work"), 4, "wall: work total 4");
	{
		struct states_seen st = { 0 };

		aggregate_walk_stack_states(a, NULL, states_fn, &st);
		tap_ok(st.idle_stack_ns > 0 && st.idle_stack_idle == st.idle_stack_ns,
		       "wall: the idle sample's stack is idle for all its time (%llu of %llu ns)",
		       (unsigned long long)st.idle_stack_idle, (unsigned long long)st.idle_stack_ns);
		tap_ok(st.wait_stack_ns > 0 && st.wait_stack_wait * 2 == st.wait_stack_ns,
		       "wall: main -> work, one sample holding and one waiting for the GIL: half its time waiting");
		tap_is(st.other_idle_wait, 0, "wall: no idle or GIL-wait time on the running stacks");
	}

	aggregate_set_mode(a, AGG_MODE_GIL);
	tap_is(aggregate_mode(a), AGG_MODE_GIL, "set_mode switches");
	tap_is(own_of(a, NULL, "work"), -1, "set_mode resets counts");
	feed_stream(a);
	aggregate_summary(a, false, &s);
	tap_is(s.counted, 2, "gil: 2 samples holding the GIL");
	tap_is(own_of(a, NULL, "work"), 1, "gil: work own 1");
	tap_is(own_of(a, NULL, "fib"), 1, "gil: fib own 1");
	tap_is(total_of(a, NULL, "main"), 2, "gil: main total 2");
	{
		struct states_seen st = { 0 };

		aggregate_walk_stack_states(a, NULL, states_fn, &st);
		tap_ok(st.idle_stack_idle == 0 && st.wait_stack_wait == 0 && st.other_idle_wait == 0,
		       "gil: no stack has idle or GIL-wait time (only GIL holders count)");
	}
	aggregate_destroy(a);
}

static void test_threads(void)
{
	struct aggregate *a = aggregate_create(AGG_MODE_CPU, 10000000);
	struct agg_thread_row *tr;
	struct agg_query q = { .tid = 200 };
	struct agg_row *fr;
	size_t n;

	feed_stream(a);
	n = aggregate_threads(a, NULL, &tr);
	tap_is(n, 2, "threads: 2");
	tap_ok(n == 2 && tr[0].tid == 100 && !strcmp(tr[0].name, "MainThread") &&
	       tr[1].tid == 200 && !strcmp(tr[1].name, "Worker"), "threads: by tid, named");
	tap_ok(n == 2 && tr[0].cum.samples == 3 && tr[0].cum.counted == 2 &&
	       tr[0].cum.states[THREAD_RUNNING] == 2 && tr[0].cum.states[THREAD_IDLE] == 1 &&
	       tr[0].cum.states[THREAD_GIL_WAIT] == 0 && tr[0].cum.holding_gil == 2,
	       "threads: MainThread counts (all states, whatever the mode)");
	tap_ok(n == 2 && tr[1].cum.samples == 2 && tr[1].cum.counted == 1 &&
	       tr[1].cum.states[THREAD_RUNNING] == 1 && tr[1].cum.states[THREAD_GIL_WAIT] == 1 &&
	       tr[1].cum.holding_gil == 0, "threads: Worker counts");
	free(tr);
	n = aggregate_threads(a, &q, &tr);
	tap_ok(n == 1 && tr[0].tid == 200, "threads: filtered by tid");
	free(tr);

	n = aggregate_rows(a, &q, &fr);
	tap_is(n, 3, "tid 200: 3 functions");
	tap_ok(n == 3 && !strcmp(fr[0].name, "fib") && fr[0].cum.own == 1 &&
	       near(fr[0].cum.own_pct, 100.0), "tid 200: fib own 1 = 100%% of the thread");
	tap_is(total_of(a, &q, "main"), 1, "tid 200: main total 1");
	free(fr);
	q.tid = 100;
	tap_is(own_of(a, &q, "fib"), 1, "tid 100: fib own 1");
	tap_is(own_of(a, &q, "work"), 1, "tid 100: work own 1");
	q.tid = 999;
	tap_is(aggregate_rows(a, &q, &fr), 0, "unknown tid: no rows");
	tap_ok(fr == NULL, "unknown tid: NULL rows");
	aggregate_destroy(a);
}

/* live: a thread missed by a round where every walk succeeded has ended;
 * one missed by rounds where some walk failed (a torn stack) is still live,
 * up to four rounds back. */
static void test_live(void)
{
	struct aggregate *a = aggregate_create(AGG_MODE_WALL, 10000000);
	struct agg_thread_row *tr;
	size_t n;
	uint64_t ms = 1000;

	next_cpu_ns = 0;
	/* rounds 0-2 sample both; 3-6 fail a walk and miss 200; 7 is clean */
	for (int r = 0; r < 8; r++, ms += 10) {
		next_time_ns = ms * 1000000;
		sample(a, 100, THREAD_RUNNING, 0, "1:1");
		if (r < 3)
			sample(a, 200, THREAD_RUNNING, 0, "1:1");
		tick(a, ms, 1, r >= 3 && r < 7, 0);
		n = aggregate_threads(a, NULL, &tr);
		if (r == 5)
			tap_ok(n == 2 && tr[0].live && tr[1].tid == 200 && tr[1].live,
			       "live: missed by 3 rounds with failed walks, still live");
		if (r == 6)
			tap_ok(n == 2 && tr[0].live && tr[1].tid == 200 && !tr[1].live,
			       "live: missed by 4 rounds with failed walks, ended");
		if (r == 7)
			tap_ok(n == 2 && tr[0].live && tr[1].tid == 200 && !tr[1].live,
			       "live: missed by a clean round, ended");
		free(tr);
	}
	/* a thread missed by one clean round has ended at once */
	next_time_ns = ms * 1000000;
	sample(a, 300, THREAD_RUNNING, 0, "1:1");
	tick(a, ms, 1, 0, 0);
	ms += 10;
	next_time_ns = ms * 1000000;
	sample(a, 100, THREAD_RUNNING, 0, "1:1");
	tick(a, ms, 1, 0, 0);
	n = aggregate_threads(a, NULL, &tr);
	tap_ok(n == 3 && tr[2].tid == 300 && !tr[2].live && tr[0].live, "live: one clean round missing it ends it");
	free(tr);
	aggregate_destroy(a);
}

/* The budget of table entries: past it, new functions are one "more
 * functions" row and samples needing new entries are counted as over the
 * limit; samples of stacks already known are still counted. */
static void test_limit(void)
{
	struct aggregate *a = aggregate_create(AGG_MODE_WALL, 10000000);
	struct agg_summary sum;
	struct agg_row *fr;
	char name[32], frames[32];
	size_t n;
	int over = 0;

	aggregate_set_limit(a, 200);
	next_time_ns = 0;
	next_cpu_ns = 0;
	for (uint32_t id = 1; id <= 2000; id++) {
		snprintf(name, sizeof name, "f%u", id);
		feed_func(a, id, name, "gen.py", 1);
		snprintf(frames, sizeof frames, "%u:%u 1:1", id, id);
		sample(a, 100, THREAD_RUNNING, 0, frames);
	}
	aggregate_summary(a, false, &sum);
	n = aggregate_rows(a, NULL, &fr);
	for (size_t i = 0; i < n; i++)
		over |= !strcmp(fr[i].name, "(more functions than pytop keeps)");
	free(fr);
	tap_ok(n < 200, "limit: 2000 functions, the tables keep under the 200-entry budget (%zu rows)", n);
	tap_ok(sum.over_limit > 1500 && sum.counted + sum.over_limit == 2000,
	       "limit: the samples that needed new entries are counted as over the limit (%llu)",
	       (unsigned long long)sum.over_limit);
	tap_ok(over || n < 200, "limit: new functions past it are the 'more functions' row, or not counted");
	uint64_t before = sum.counted;
	sample(a, 100, THREAD_RUNNING, 0, "1:1 1:1");
	aggregate_summary(a, false, &sum);
	tap_ok(sum.counted == before + 1, "limit: a stack already known is still counted");
	aggregate_destroy(a);
}

static void test_window(void)
{
	struct aggregate *a = aggregate_create(AGG_MODE_CPU, 10000000);
	struct agg_query w = { .window = true };
	struct agg_row *fr;
	struct agg_thread_row *tr;
	struct agg_summary s;
	size_t n;

	feed_stream(a);
	tap_is(own_of(a, &w, "fib"), 2, "window before any start = since creation");
	aggregate_window_start(a);
	tap_is(aggregate_rows(a, &w, &fr), 0, "fresh window is empty");
	sample(a, 100, THREAD_RUNNING, GIL, "2:12 1:5");
	n = aggregate_rows(a, &w, &fr);
	tap_is(n, 2, "window: 2 functions");
	tap_ok(n == 2 && !strcmp(fr[0].name, "work") && fr[0].win.own == 1 &&
	       near(fr[0].win.own_pct, 100.0) && fr[0].cum.own == 2 && near(fr[0].cum.own_pct, 50.0),
	       "window: work 100%% of the window, cumulative 2 = 50%%");
	free(fr);
	tap_is(own_of(a, NULL, "fib"), 2, "cumulative keeps fib");
	n = aggregate_threads(a, &w, &tr);
	tap_ok(n == 1 && tr[0].tid == 100 && tr[0].win.samples == 1 && tr[0].cum.samples == 4,
	       "window threads: only the sampled one, both views");
	free(tr);
	aggregate_summary(a, true, &s);
	tap_ok(s.samples == 1 && s.counted == 1, "window summary counts");
	aggregate_window_start(a);
	aggregate_window_start(a);
	tap_is(aggregate_rows(a, &w, &fr), 0, "window empty again");
	tap_is(aggregate_threads(a, &w, &tr), 0, "no thread in the window");
	aggregate_destroy(a);
}

static void test_reset_and_filters(void)
{
	struct aggregate *a = aggregate_create(AGG_MODE_CPU, 10000000);
	struct agg_query q = { .match = "FIB" };
	struct agg_row *fr;
	struct agg_thread_row *tr;
	struct agg_summary s;
	size_t n;

	feed_stream(a);
	n = aggregate_rows(a, &q, &fr);
	tap_ok(n == 1 && !strcmp(fr[0].name, "fib") && near(fr[0].cum.own_pct, 200.0 / 3),
	       "match is case-insensitive; percentages stay of all samples");
	free(fr);
	q.match = "app.p";
	tap_is(aggregate_rows(a, &q, &fr), 3, "match on the file name");
	free(fr);
	q.match = "nothing";
	tap_is(aggregate_rows(a, &q, &fr), 0, "match nothing");
	q.match = "";
	q.sort = AGG_SORT_NAME;
	n = aggregate_rows(a, &q, &fr);
	tap_ok(n == 3 && !strcmp(fr[0].name, "fib") && !strcmp(fr[1].name, "main") &&
	       !strcmp(fr[2].name, "work"), "sort by name");
	free(fr);
	q.sort = AGG_SORT_TOTAL;
	n = aggregate_rows(a, &q, &fr);
	tap_ok(n == 3 && !strcmp(fr[0].name, "work") && !strcmp(fr[1].name, "main") &&
	       !strcmp(fr[2].name, "fib"), "sort by total (ties by own)");
	free(fr);
	q.sort = AGG_SORT_OWN;
	q.reverse = true;
	n = aggregate_rows(a, &q, &fr);
	tap_ok(n == 3 && !strcmp(fr[0].name, "main") && !strcmp(fr[2].name, "fib"),
	       "reverse own");
	free(fr);
	q.sort = AGG_SORT_FILE;
	q.reverse = false;
	n = aggregate_rows(a, &q, &fr);
	tap_ok(n == 3 && !strcmp(fr[0].name, "main") && !strcmp(fr[1].name, "work") &&
	       !strcmp(fr[2].name, "fib"), "sort by file then line");
	free(fr);

	aggregate_reset(a);
	aggregate_summary(a, false, &s);
	tap_ok(s.samples == 0 && s.counted == 0 && s.rounds == 0, "reset: summary zero");
	tap_is(aggregate_rows(a, NULL, &fr), 0, "reset: no functions");
	tap_is(aggregate_threads(a, NULL, &tr), 0, "reset: no threads");
	sample(a, 200, THREAD_RUNNING, 0, "2:12 4:5");
	n = aggregate_rows(a, NULL, &fr);
	tap_ok(n == 2 && !strcmp(fr[0].name, "work") && fr[0].cum.own == 1 &&
	       near(fr[0].cum.own_pct, 100.0), "reset: names kept, counting restarts");
	free(fr);
	n = aggregate_threads(a, NULL, &tr);
	tap_ok(n == 1 && !strcmp(tr[0].name, "Worker") && tr[0].cum.samples == 1,
	       "reset: thread names kept");
	free(tr);
	aggregate_destroy(a);
}

static void test_ticks(void)
{
	struct aggregate *a = aggregate_create(AGG_MODE_CPU, 10000000);
	struct agg_summary s;
	union rec_buf ex;

	tick(a, 0, 1, 0, 100);
	tick(a, 10, 2, 1, 150);
	tick(a, 20, 3, 0, 250);
	aggregate_summary(a, false, &s);
	tap_is(s.rounds, 3, "ticks: 3 rounds");
	tap_is(s.errors, 1, "ticks: errors summed");
	tap_ok(near(s.round_mean_s, 0.002) && near(s.round_max_s, 0.003), "ticks: mean 2ms max 3ms");
	tap_ok(near(s.elapsed_s, 0.02) && near(s.achieved_rate_hz, 100.0), "ticks: 100 Hz achieved");
	tap_ok(near(s.interval_s, 0.01), "interval 10ms");
	tap_ok(s.gil_switches == 150 && near(s.gil_switch_rate, 7500.0), "ticks: 150 gil switches");
	aggregate_window_start(a);
	tick(a, 30, 4, 2, 300);
	tick(a, 45, 1, 0, 0);
	aggregate_summary(a, true, &s);
	tap_is(s.rounds, 2, "window: 2 rounds");
	tap_is(s.errors, 2, "window: errors");
	tap_ok(near(s.elapsed_s, 0.025) && near(s.achieved_rate_hz, 80.0),
	       "window: rate measured from the round before it");
	tap_ok(near(s.round_max_s, 0.004) && near(s.round_mean_s, 0.0025), "window: durations");
	tap_is(s.gil_switches, 50, "window: gil switches since the window start");
	aggregate_summary(a, false, &s);
	tap_ok(s.rounds == 5 && near(s.achieved_rate_hz, 4 / 0.045), "cumulative rate");
	tap_ok(!s.target_exited, "not exited");
	aggregate_feed(a, rec_tick(&ex, &(struct tick_rec){ .exit_status = 3 }, REC_TARGET_EXIT));
	aggregate_summary(a, false, &s);
	tap_ok(s.target_exited && s.exit_status == 3 && s.rounds == 5, "target exit recorded");
	aggregate_destroy(a);
}

static void test_odd_records(void)
{
	struct aggregate *a = aggregate_create(AGG_MODE_WALL, 10000000);
	struct sample_rec *s = (struct sample_rec *)rb.bytes;
	struct func_def_rec *d;
	struct agg_row *fr;
	struct agg_summary sum;
	struct rec_header h = { 77, 0, 8 };
	size_t n;

	feed_func(a, 1, "main", "app.py", 1);
	tap_is(sample(a, 1, THREAD_RUNNING, 0, "9:3 1:2"), 0, "undefined func_id accepted");
	n = aggregate_rows(a, NULL, &fr);
	tap_ok(n == 2 && !strcmp(fr[0].name, "<func_id 9>") && !strcmp(fr[0].file, "<unknown>"),
	       "undefined func_id gets a placeholder");
	free(fr);
	feed_func(a, 9, "late", "app.py", 30);
	sample(a, 1, THREAD_RUNNING, 0, "9:31 1:2");
	tap_is(own_of(a, NULL, "late"), 1, "a later DEFINE takes over the id");
	tap_is(sample(a, 1, 7, 0, "1:2"), 0, "unknown state accepted");
	tap_is(sample(a, 1, THREAD_RUNNING, SAMPLE_F_TRUNCATED, ""), 0, "empty stack accepted");
	aggregate_summary(a, false, &sum);
	tap_ok(sum.counted == 4 && sum.truncated == 1, "empty stack counted");
	{
		struct agg_thread_row *tr;

		n = aggregate_threads(a, NULL, &tr);
		tap_ok(n == 1 && tr[0].cum.states[THREAD_UNKNOWN] == 1, "state 7 counted as unknown");
		free(tr);
	}

	sample(a, 1, THREAD_RUNNING, 0, "1:2 1:2");
	s->depth = 3;
	tap_is(aggregate_feed(a, &s->h), PYTOP_EINVAL, "sample shorter than its depth refused");
	s->h.size = 12;
	tap_is(aggregate_feed(a, &s->h), PYTOP_EINVAL, "size not a multiple of 8 refused");
	d = (struct func_def_rec *)rec_func(&rb, &(struct func_def_rec){ .func_id = 5, .firstlineno = 1 }, "x", "y");
	aggregate_feed(a, &d->h);
	d->name_len = 200;
	tap_is(aggregate_feed(a, &d->h), PYTOP_EINVAL,
	       "define with strings past its end refused");
	tap_is(aggregate_feed(a, &h), 0, "unknown record type ignored");
	aggregate_summary(a, false, &sum);
	tap_ok(sum.bad_records == 3 && sum.samples == 5, "malformed records counted, not fed");
	aggregate_destroy(a);
}

static void test_growth(void)
{
	struct aggregate *a = aggregate_create(AGG_MODE_WALL, 1000000);
	struct sample_frame f[200];
	struct agg_row *fr;
	struct agg_row *lr;
	char name[32];
	uint32_t i, j;
	size_t n;
	int ok = 1;

	for (i = 0; i < 20000; i++) {
		snprintf(name, sizeof(name), "f%u", i);
		feed_func(a, i, name, i % 2 ? "a.py" : "b.py", (int)i);
	}
	/* 2000 samples of 200-deep stacks over 50 threads: every function
	 * appears at least once, many distinct stacks. */
	for (i = 0; i < 2000; i++) {
		for (j = 0; j < 200; j++)
			f[j] = (struct sample_frame){ .func_id = (i * 200 + j) % 20000, .line = (int32_t)j };
		ok &= feed_sample_frames(a, &(struct sample_rec){ .tid = 1000 + i % 50, .state = THREAD_RUNNING },
					 f, 200) == 0;
	}
	tap_ok(ok, "growth: 2000 deep samples fed");
	n = aggregate_rows(a, NULL, &fr);
	tap_is(n, 20000, "growth: 20000 functions");
	for (i = 0; i < n; i++)
		ok &= fr[i].cum.total == 20 && fr[i].cum.own == (fr[i].line % 200 == 0 ? 20 : 0);
	tap_ok(ok, "growth: every function total 20, innermost ones own 20");
	free(fr);
	n = aggregate_rows(a, &by_line, &lr);
	tap_is(n, 20000, "growth: 20000 lines");
	free(lr);
	aggregate_destroy(a);
}

/* Times are measured: wall mode by the time between rounds, cpu mode by
 * the thread's CPU time delta; a runnable thread that got no CPU counts
 * nothing; CPU used before blocking goes to the previous stack. */
static void test_weights(void)
{
	struct aggregate *a = aggregate_create(AGG_MODE_WALL, 1000000);   /* 1 ms configured */
	struct agg_row *rows;
	struct agg_thread_row *th;
	struct agg_summary sum;
	size_t n;

	feed_func(a, 1, "spin", "w.py", 1);
	feed_func(a, 2, "recv", "w.py", 9);
	/* Rounds really 4 ms apart (the sampler is late): 3 rounds, 2 gaps. */
	for (int r = 0; r < 3; r++) {
		next_time_ns = (uint64_t)r * 4000000 + 1000000;
		sample(a, 7, THREAD_RUNNING, 0, "1:2");
		tick(a, (uint64_t)r * 4 + 1, 0, 0, 0);
	}
	n = aggregate_rows(a, NULL, &rows);
	/* first round: the configured 1 ms; then 4 ms each */
	tap_ok(n == 1 && rows[0].cum.own_s > 0.0089 && rows[0].cum.own_s < 0.0091,
	       "wall: 1 + 4 + 4 ms measured, not 3 x 1 ms");
	free(rows);
	aggregate_summary(a, false, &sum);
	tap_ok(sum.achieved_rate_hz > 249 && sum.achieved_rate_hz < 251, "achieved 250 Hz");
	tap_ok(!sum.rate_low, "3 rounds are too few to judge the rate");
	for (int r = 3; r < 20; r++) {
		next_time_ns = (uint64_t)r * 4000000 + 1000000;
		sample(a, 7, THREAD_RUNNING, 0, "1:2");
		tick(a, (uint64_t)r * 4 + 1, 0, 0, 0);
	}
	aggregate_summary(a, false, &sum);
	tap_ok(sum.rate_low, "250 of 1000 Hz is a low rate");
	aggregate_destroy(a);

	/* 10 Hz, 10 gaps of 125 ms: the sampler's gaps are random in
	 * [P/2, 3P/2] (pace.h), and 10 of them sum to 1.25 s one time in
	 * nine: no low rate (8 Hz); 10 gaps of 150 ms are. */
	for (int slow = 0; slow < 2; slow++) {
		a = aggregate_create(AGG_MODE_WALL, 100000000);
		feed_func(a, 1, "spin", "w.py", 1);
		for (int r = 0; r < 11; r++) {
			next_time_ns = (uint64_t)r * (slow ? 150000000u : 125000000u) + 1000000;
			sample(a, 7, THREAD_RUNNING, 0, "1:1");
			tick(a, (uint64_t)r * (slow ? 150 : 125) + 1, 0, 0, 0);
		}
		aggregate_summary(a, false, &sum);
		if (slow)
			tap_ok(sum.rate_low, "10 Hz: 10 gaps of 150 ms (6.7 Hz) are a low rate");
		else
			tap_ok(!sum.rate_low, "10 Hz: 10 gaps of 125 ms (8 Hz, jittered gaps) are not a low rate");
		aggregate_destroy(a);
	}

	a = aggregate_create(AGG_MODE_CPU, 1000000);
	feed_func(a, 1, "spin", "w.py", 1);
	feed_func(a, 2, "recv", "w.py", 9);
	next_time_ns = 1000000;
	next_cpu_ns = 700000;
	sample(a, 7, THREAD_RUNNING, SAMPLE_F_CPU, "1:2");    /* 0.7 ms on spin */
	next_cpu_ns = 0;
	sample(a, 8, THREAD_RUNNING, SAMPLE_F_CPU, "1:2");    /* runnable, no core: nothing */
	tick(a, 1, 0, 0, 0);
	next_time_ns = 2000000;
	next_cpu_ns = 300000;
	sample(a, 7, THREAD_IDLE, SAMPLE_F_CPU, "2:9");       /* ran 0.3 ms, then blocked */
	next_cpu_ns = 0;
	sample(a, 8, THREAD_IDLE, SAMPLE_F_CPU, "2:9");
	tick(a, 2, 0, 0, 0);
	n = aggregate_rows(a, NULL, &rows);
	tap_ok(n == 1 && strcmp(rows[0].name, "spin") == 0 && rows[0].cum.own_s > 0.00099 &&
	       rows[0].cum.own_s < 0.00101 && rows[0].cum.own_pct > 99.9,
	       "cpu: 0.7 + 0.3 ms on spin (the CPU before blocking), none on recv");
	free(rows);
	n = aggregate_threads(a, NULL, &th);
	tap_ok(n == 2 && th[0].cum.counted_ns == 1000000 && th[0].cum.cpu_ns == 1000000 &&
	       th[1].cum.counted_ns == 0 && th[1].cum.counted == 0,
	       "cpu: thread time is its CPU time; a runnable thread without a core counts 0");
	free(th);
	/* Blocked in recv at both samples, 0.2 ms of CPU in between: it woke,
	 * worked and blocked again unseen; not recv's time. */
	next_time_ns = 3000000;
	next_cpu_ns = 200000;
	sample(a, 8, THREAD_IDLE, SAMPLE_F_CPU, "2:9");
	tick(a, 3, 0, 0, 0);
	n = aggregate_rows(a, NULL, &rows);
	bool unseen = false, recv_own = false;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(rows[i].name, "(ran between samples)") == 0)
			unseen = rows[i].cum.own_s > 0.000199 && rows[i].cum.own_s < 0.000201 &&
				 rows[i].kind == FUNC_KIND_MARKER;
		if (strcmp(rows[i].name, "recv") == 0)
			recv_own = rows[i].cum.own > 0 || rows[i].cum.total_s < 0.000199;
	}
	tap_ok(unseen && !recv_own, "cpu: CPU between two blocked samples is \"(ran between samples)\" (a marker) under recv");
	free(rows);
	/* Thread 7 ended; 0.4 ms the process used after its last sample. */
	next_cpu_ns = 400000;
	sample(a, 7, THREAD_UNKNOWN, SAMPLE_F_CPU | SAMPLE_F_ENDED, "");
	n = aggregate_rows(a, NULL, &rows);
	bool ended = false;
	long long recv_total = -1;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(rows[i].name, "(ended between samples)") == 0)
			ended = rows[i].cum.own_s > 0.000399 && rows[i].cum.own_s < 0.000401 &&
				rows[i].kind == FUNC_KIND_MARKER;
		if (strcmp(rows[i].name, "recv") == 0)
			recv_total = (long long)(rows[i].cum.total_s * 1e7 + 0.5);
	}
	tap_ok(ended && recv_total == 6000, "cpu: a thread's CPU after its last sample is \"(ended between samples)\" (a marker) "
	       "under its last stack (recv: 0.2 + 0.4 ms, %lld)", recv_total);
	free(rows);
	n = aggregate_threads(a, NULL, &th);
	uint64_t samples7 = 0;
	for (size_t i = 0; i < n; i++)
		if (th[i].tid == 7)
			samples7 = th[i].cum.samples;
	tap_ok(samples7 == 2, "cpu: the ended thread's CPU is not a sample (%llu)", (unsigned long long)samples7);
	free(th);
	next_time_ns = next_cpu_ns = 0;
	aggregate_destroy(a);

	/* A loaded machine: the thread waits for a core two rounds in three,
	 * seen each time in frozen (where it was preempted: OFF_CPU, or not
	 * told this round: UNTOLD), and runs in the third, seen in g, 1 ms of
	 * CPU reported then. */
	for (int untold = 0; untold < 2; untold++) {
		a = aggregate_create(AGG_MODE_CPU, 1000000);
		feed_func(a, 1, "frozen", "w.py", 1);
		feed_func(a, 2, "g", "w.py", 9);
		for (int r = 0; r < 30; r++) {
			next_time_ns = (uint64_t)(r + 1) * 1000000;
			bool on = r % 3 == 2;
			next_cpu_ns = on ? 1000000 : 0;
			sample(a, 7, THREAD_RUNNING,
			       SAMPLE_F_CPU | (on ? 0 : untold ? SAMPLE_F_UNTOLD : SAMPLE_F_OFF_CPU), on ? "2:9" : "1:2");
			tick(a, (uint64_t)r + 1, 0, 0, 0);
		}
		next_time_ns = 31000000;
		next_cpu_ns = 0;
		sample(a, 7, THREAD_IDLE, SAMPLE_F_CPU, "2:9");
		tick(a, 31, 0, 0, 0);
		double frozen_s = own_s_of(a, "frozen"), g_s = own_s_of(a, "g");
		tap_ok(frozen_s <= 0 && g_s > 0.00999 && g_s < 0.01001,
		       "cpu: samples %s count nothing (%.4f s: no row); the CPU goes to those on a core (%.4f of 0.010 s)",
		       untold ? "not told whether the thread was on a core" : "waiting for a core", frozen_s, g_s);
		next_time_ns = next_cpu_ns = 0;
		aggregate_destroy(a);
	}

	/* Preempted where it called the kernel, then blocked: the CPU it used
	 * since its last sample on a CPU (1.5 ms: the 1 ms before the
	 * preemption, 0.5 ms after the wait) goes where it was last seen
	 * running, not to the place it was preempted in. */
	a = aggregate_create(AGG_MODE_CPU, 1000000);
	feed_func(a, 1, "frozen", "w.py", 1);
	feed_func(a, 2, "g", "w.py", 9);
	feed_func(a, 3, "recv", "w.py", 20);
	for (int r = 0; r < 40; r++) {
		next_time_ns = (uint64_t)(r + 1) * 1000000;
		int phase = r % 4;   /* on, off (1 ms before it), off, blocked (0.5 ms after the wait) */
		next_cpu_ns = phase == 0 ? 1000000 : phase == 1 ? 1000000 : phase == 3 ? 500000 : 0;
		if (phase == 3)
			sample(a, 7, THREAD_IDLE, SAMPLE_F_CPU, "3:20");
		else
			sample(a, 7, THREAD_RUNNING, SAMPLE_F_CPU | (phase ? SAMPLE_F_OFF_CPU : 0), phase ? "1:2" : "2:9");
		tick(a, (uint64_t)r + 1, 0, 0, 0);
	}
	double frozen_s = own_s_of(a, "frozen");
	double g_s = own_s_of(a, "g");
	tap_ok(frozen_s <= 0 && g_s > 0.02499 && g_s < 0.02501,
	       "cpu: a thread that blocks after samples that found it waiting for a core: its CPU goes to its "
	       "last stack on a CPU (%.4f of 0.025 s), none to where it was preempted (%.4f s)", g_s, frozen_s);
	next_time_ns = next_cpu_ns = 0;
	aggregate_destroy(a);
}

/* A gap between rounds longer than a sample may stand for (10 ms, or two
 * intervals at slow rates) is time no sample saw: beyond that bound it is
 * "(not sampled)", not the time of the stack seen at the gap's end. */
static double own_s_of(struct aggregate *a, const char *name)
{
	struct agg_row *rows;
	size_t n = aggregate_rows(a, NULL, &rows);
	double own = -1;

	for (size_t i = 0; i < n; i++)
		if (strcmp(rows[i].name, name) == 0)
			own = rows[i].cum.own_s;
	free(rows);
	return own;
}

static void test_gaps(void)
{
	for (int cpu = 0; cpu < 2; cpu++) {
		struct aggregate *a = aggregate_create(cpu ? AGG_MODE_CPU : AGG_MODE_WALL, 1000000);
		const char *mode = cpu ? "cpu" : "wall";
		int flags = cpu ? SAMPLE_F_CPU : 0;

		feed_func(a, 1, "early", "g.py", 1);
		feed_func(a, 2, "late", "g.py", 9);
		/* 20 rounds 1 ms apart on early, fully on CPU. */
		for (int r = 1; r <= 20; r++) {
			next_time_ns = (uint64_t)r * 1000000;
			next_cpu_ns = 1000000;
			sample(a, 7, THREAD_RUNNING, flags, "1:2");
			tick(a, (uint64_t)r, 0, 0, 0);
		}
		/* The sampler stalls 86 ms; the next round finds late. */
		next_time_ns = 106000000;
		next_cpu_ns = 86000000;
		sample(a, 7, THREAD_RUNNING, flags, "2:10");
		tick(a, 106, 0, 0, 0);
		double late = own_s_of(a, "late"), missed = own_s_of(a, "(not sampled)"), early = own_s_of(a, "early");
		tap_ok(late > 0.0099 && late < 0.0101 && missed > 0.0759 && missed < 0.0761,
		       "%s: an 86 ms stall gives the stack seen after it 10 ms and \"(not sampled)\" 76 ms "
		       "(late %.4f s, not sampled %.4f s)", mode, late, missed);
		tap_ok(early > 0.0199 && early < 0.0201, "%s: the stacks before the stall keep their time (%.4f s)",
		       mode, early);
		{
			struct agg_row *rows;
			size_t n = aggregate_rows(a, NULL, &rows);
			uint64_t own = 0, missed_own = 1;
			for (size_t i = 0; i < n; i++) {
				own += rows[i].cum.own;
				if (strcmp(rows[i].name, "(not sampled)") == 0)
					missed_own = rows[i].cum.own;
			}
			free(rows);
			tap_ok(missed_own == 0 && own == 21, "%s: \"(not sampled)\" is time, not a sample: 21 samples "
			       "counted (%llu), none on it (%llu)", mode, (unsigned long long)own,
			       (unsigned long long)missed_own);
		}
		/* A slow rate (10 Hz): two intervals (200 ms) is the bound. */
		aggregate_set_interval(a, 100000000);
		feed_func(a, 1, "early", "g.py", 1);
		for (int r = 1; r <= 3; r++) {
			next_time_ns = 106000000 + (uint64_t)r * 150000000;
			next_cpu_ns = 150000000;
			sample(a, 7, THREAD_RUNNING, flags, "1:2");
			tick(a, 106 + (uint64_t)r * 150, 0, 0, 0);
		}
		missed = own_s_of(a, "(not sampled)");
		tap_ok(missed <= 0, "%s: at 10 Hz, 150 ms rounds are all seen (not sampled: %.4f s)", mode,
		       missed > 0 ? missed : 0);
		next_time_ns = next_cpu_ns = 0;
		aggregate_destroy(a);
	}
	/* Rounds slow by nature (deep stacks, many threads): 25 ms apart at
	 * 1000 Hz is the sampler's pace, not a stall: all seen. */
	for (int cpu = 0; cpu < 2; cpu++) {
		struct aggregate *a = aggregate_create(cpu ? AGG_MODE_CPU : AGG_MODE_WALL, 1000000);
		feed_func(a, 1, "deep", "g.py", 1);
		for (int r = 1; r <= 40; r++) {
			next_time_ns = (uint64_t)r * 25000000;
			next_cpu_ns = 25000000;
			sample(a, 7, THREAD_RUNNING, cpu ? SAMPLE_F_CPU : 0, "1:2");
			tick(a, (uint64_t)r * 25, 0, 0, 0);
		}
		double missed = own_s_of(a, "(not sampled)"), deep = own_s_of(a, "deep");
		/* wall: 1 ms (no gap before the first round) + 39 x 25 ms; cpu: the
		 * first sample's 25 ms since the thread's birth, beyond 10 ms, is
		 * not sampled, the rounds' are all seen */
		tap_ok(cpu ? missed > 0.0149 && missed < 0.0151 && deep > 0.9849 :
			     missed <= 0 && deep > 0.9759, "%s: rounds 25 ms apart by nature are seen (deep %.3f s, "
		       "not sampled %.3f s)", cpu ? "cpu" : "wall", deep, missed > 0 ? missed : 0);
		next_time_ns = next_cpu_ns = 0;
		aggregate_destroy(a);
	}
	/* A thread first seen 50 ms of CPU after its birth (it was not
	 * readable before): 10 ms on the stack seen, 40 ms not sampled. */
	struct aggregate *a = aggregate_create(AGG_MODE_CPU, 1000000);
	feed_func(a, 2, "late", "g.py", 9);
	next_time_ns = 1000000;
	next_cpu_ns = 50000000;
	sample(a, 9, THREAD_RUNNING, SAMPLE_F_CPU, "2:10");
	tick(a, 1, 0, 0, 0);
	double late = own_s_of(a, "late"), missed = own_s_of(a, "(not sampled)");
	tap_ok(late > 0.0099 && late < 0.0101 && missed > 0.0399 && missed < 0.0401,
	       "cpu: a thread's first sample stands for 10 ms of the CPU since its birth, the rest is not sampled "
	       "(late %.4f s, not sampled %.4f s)", late, missed);
	next_time_ns = next_cpu_ns = 0;
	aggregate_destroy(a);
}

/* cpu mode gives a thread the CPU time the kernel reported for it: never
 * more than 3 ms (CPU_LAG_NS) ahead of the report (a smoothed share that
 * lags a drop, as when a busy machine leaves the thread waiting for a
 * core), and, once it has ended, all of it (what was reported but not yet
 * given goes to its stacks then; what it was given ahead comes out of its
 * share of the time after its last sample). */
static double own_of_work(struct aggregate *a)
{
	struct agg_row *rows;
	size_t n = aggregate_rows(a, NULL, &rows);
	double own = 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(rows[i].name, "work") == 0)
			own = rows[i].cum.own_s;
	free(rows);
	return own;
}

static void test_cpu_conserved(void)
{
	struct aggregate *a = aggregate_create(AGG_MODE_CPU, 1000000);
	uint64_t reported = 0;
	double own, most = 0;

	feed_func(a, 1, "work", "h.py", 1);
	/* Born 5 ms before its first sample with 4 ms of CPU, then a full
	 * core for 10 rounds. */
	next_time_ns = 1000000;
	next_cpu_ns = 4000000;
	reported += next_cpu_ns;
	sample(a, 9, THREAD_RUNNING, SAMPLE_F_CPU, "1:3");
	for (int r = 2; r < 12; r++) {
		next_time_ns = (uint64_t)r * 1000000;
		next_cpu_ns = 1000000;
		reported += next_cpu_ns;
		sample(a, 9, THREAD_RUNNING, SAMPLE_F_CPU, "1:3");
		tick(a, (uint64_t)r, 0, 0, 0);
	}
	own = own_of_work(a);
	tap_ok(fabs(own - (double)reported / 1e9) < 1e-9,
	       "cpu: a thread on a full core is given what it used (%.6f s, reported %.6f s)",
	       own, (double)reported / 1e9);
	/* Then, on a loaded machine, a quarter of a core for 40 rounds. */
	for (int r = 12; r < 52; r++) {
		next_time_ns = (uint64_t)r * 1000000;
		next_cpu_ns = 250000;
		reported += next_cpu_ns;
		sample(a, 9, THREAD_RUNNING, SAMPLE_F_CPU, "1:3");
		tick(a, (uint64_t)r, 0, 0, 0);
		own = own_of_work(a);
		if (own - (double)reported / 1e9 > most)
			most = own - (double)reported / 1e9;
	}
	tap_ok(most <= 0.003 + 1e-9 && most > 0,
	       "cpu: a thread whose share dropped is given at most 3 ms ahead of what it used (%.6f s)", most);
	/* It blocks, then ends with 4 ms of CPU after its last sample (the
	 * process's leftover: it covers the 2.9 ms it was given ahead). */
	next_time_ns = 52000000;
	next_cpu_ns = 100000;
	reported += next_cpu_ns;
	sample(a, 9, THREAD_IDLE, SAMPLE_F_CPU, "1:3");
	next_cpu_ns = 4000000;
	reported += next_cpu_ns;
	sample(a, 9, THREAD_UNKNOWN, SAMPLE_F_CPU | SAMPLE_F_ENDED, "");
	struct agg_row *rows;
	size_t n = aggregate_rows(a, NULL, &rows);
	double all = 0;
	for (size_t i = 0; i < n; i++)
		all += rows[i].cum.own_s;
	free(rows);
	tap_ok(fabs(all - (double)reported / 1e9) < 1e-9,
	       "cpu: once it has ended, a thread has been given all it used, no more (%.6f s, reported %.6f s)",
	       all, (double)reported / 1e9);
	aggregate_destroy(a);

	/* A burst above its learnt share, then it ends (0 ns after). */
	a = aggregate_create(AGG_MODE_CPU, 1000000);
	feed_func(a, 1, "work", "h.py", 1);
	reported = 0;
	for (int r = 1; r < 30; r++) {
		next_time_ns = (uint64_t)r * 1000000;
		next_cpu_ns = r == 1 ? 100000 : r < 29 ? 200000 : 6000000;
		reported += next_cpu_ns;
		sample(a, 9, THREAD_RUNNING, SAMPLE_F_CPU, "1:3");
		tick(a, (uint64_t)r, 0, 0, 0);
	}
	next_cpu_ns = 0;
	sample(a, 9, THREAD_UNKNOWN, SAMPLE_F_CPU | SAMPLE_F_ENDED, "");
	own = own_of_work(a);
	tap_ok(fabs(own - (double)reported / 1e9) < 1e-9,
	       "cpu: a burst reported at its last sample goes to its stack when it ends (%.6f s, reported %.6f s)",
	       own, (double)reported / 1e9);
	next_time_ns = next_cpu_ns = 0;
	aggregate_destroy(a);
}

/* Same identity, same numbers, same place: two rows are the same row. */
static bool same_row(const struct agg_row *x, const struct agg_row *y)
{
	return x->level == y->level && x->kind == y->kind && x->func == y->func && x->line == y->line &&
	       strcmp(x->name, y->name) == 0 && strcmp(x->file, y->file) == 0 &&
	       x->cum.own == y->cum.own && x->cum.total == y->cum.total &&
	       x->win.own == y->win.own && x->win.total == y->win.total;
}

/* One query against the rule: its rows are the unfiltered rows that
 * aggregate_matches() keeps, in aggregate_sort_rows()'s order, strictly
 * increasing by aggregate_compare(), all of the query's level. */
static bool query_obeys(struct aggregate *a, const struct agg_query *q)
{
	struct agg_query everything = { .level = q->level, .window = q->window, .tid = q->tid };
	struct agg_row *all, *got;
	const struct agg_row **want;
	size_t nall = aggregate_rows(a, &everything, &all), ngot = aggregate_rows(a, q, &got), k = 0, i;
	bool ok = true;

	want = malloc((nall + 1) * sizeof(*want));
	for (i = 0; i < nall; i++)
		if (aggregate_matches(&all[i], q))
			want[k++] = &all[i];
	aggregate_sort_rows(want, k, q);
	ok = ngot == k;
	for (i = 0; ok && i < ngot; i++) {
		struct agg_frame f;

		ok = same_row(&got[i], want[i]) && got[i].level == q->level &&
		     (i == 0 || aggregate_compare(&got[i - 1], &got[i], q) < 0) &&
		     aggregate_func(a, got[i].func, &f) &&
		     (q->level == AGG_LEVEL_LINE || got[i].line == f.line);
	}
	free(want);
	free(all);
	free(got);
	return ok;
}

static void test_rows(void)
{
	static const char *const matches[] = { NULL, "", "FI", "app", "ma", "zzz" };
	struct aggregate *a = aggregate_create(AGG_MODE_WALL, 10000000);
	struct agg_query q = { 0 };
	struct agg_row *r;
	int bad[2] = { 0, 0 }, queries = 0;
	size_t n;

	feed_stream(a);
	aggregate_window_start(a);
	sample(a, 100, THREAD_RUNNING, GIL, "3:21 2:12 1:5");
	sample(a, 200, THREAD_RUNNING, 0, "2:13 1:5");
	for (int level = AGG_LEVEL_FUNC; level <= AGG_LEVEL_LINE; level++)
		for (int window = 0; window < 2; window++)
			for (int sort = AGG_SORT_OWN; sort <= AGG_SORT_FILE; sort++)
				for (int rev = 0; rev < 2; rev++)
					for (size_t m = 0; m < sizeof(matches) / sizeof(matches[0]); m++)
						for (uint32_t tid = 0; tid <= 200; tid += 100) {
							q.level = (enum agg_level)level;
							q.window = window;
							q.sort = (enum agg_sort)sort;
							q.reverse = rev;
							q.match = matches[m];
							q.tid = tid;
							bad[level] += !query_obeys(a, &q);
							queries += level == AGG_LEVEL_FUNC;
						}
	tap_ok(!bad[AGG_LEVEL_FUNC], "rows: %d function queries filtered by aggregate_matches() and sorted by "
	       "aggregate_compare() (%d wrong)", queries, bad[AGG_LEVEL_FUNC]);
	tap_ok(!bad[AGG_LEVEL_LINE], "rows: the same %d queries of lines, the same rule (%d wrong)", queries,
	       bad[AGG_LEVEL_LINE]);

	/* The same query, two levels: functions by first line, lines by line. */
	q = (struct agg_query){ .level = AGG_LEVEL_FUNC, .sort = AGG_SORT_FILE, .match = "FIB" };
	n = aggregate_rows(a, &q, &r);
	tap_ok(n == 1 && r[0].level == AGG_LEVEL_FUNC && r[0].line == 20 && r[0].cum.total == 3,
	       "rows: fib as a function: its first line, total 3");
	free(r);
	q.level = AGG_LEVEL_LINE;
	n = aggregate_rows(a, &q, &r);
	tap_ok(n == 2 && r[0].level == AGG_LEVEL_LINE && r[0].line == 21 && r[1].line == 22 &&
	       r[0].cum.own == 3 && r[1].cum.total == 1 && r[0].func == r[1].func,
	       "rows: fib as lines: 21 then 22 (sorted by file, line), one function handle");
	free(r);

	/* The window view filters by the window's counts: main:6 (idle) and
	 * fib:22 were before it. */
	q = (struct agg_query){ .level = AGG_LEVEL_LINE, .window = true };
	n = aggregate_rows(a, &q, &r);
	tap_ok(n == 4, "rows: 4 lines in the window (%zu)", n);
	q.window = false;
	for (size_t i = 0; i < n; i++)
		tap_ok(aggregate_matches(&r[i], &q), "rows: window row %s:%d also matches cumulatively",
		       r[i].name, r[i].line);
	free(r);
	n = aggregate_rows(a, &q, &r);
	for (size_t i = 0; i < n; i++)
		if (r[i].line == 6) {
			q.window = true;
			tap_ok(!aggregate_matches(&r[i], &q) && r[i].win.total == 0,
			       "rows: main:6 has no window count: aggregate_matches() drops it from the window");
		}
	free(r);
	aggregate_destroy(a);
}

static uint32_t handle_of(struct aggregate *a, const char *name)
{
	struct agg_row *r;
	size_t n = aggregate_rows(a, NULL, &r), i;
	uint32_t h = UINT32_MAX;

	for (i = 0; i < n; i++)
		if (strcmp(r[i].name, name) == 0)
			h = r[i].func;
	free(r);
	return h;
}

struct kinds_seen {
	int frames, native, marker, python;
};

static void kinds_fn(void *arg, const struct agg_frame *fr, size_t depth, uint64_t count, uint64_t ns)
{
	struct kinds_seen *k = arg;

	(void)count;
	(void)ns;
	for (size_t i = 0; i < depth; i++) {
		k->frames++;
		k->native += fr[i].kind == FUNC_KIND_NATIVE && strcmp(fr[i].name, "memcpy") == 0;
		k->marker += fr[i].kind == FUNC_KIND_MARKER && strcmp(fr[i].name, "(3 frames truncated)") == 0;
		k->python += fr[i].kind == FUNC_KIND_PYTHON;
	}
}

static void test_kind_and_pid(void)
{
	struct aggregate *a = aggregate_create(AGG_MODE_WALL, 10000000);
	struct agg_query lines = { .level = AGG_LEVEL_LINE };
	struct kinds_seen seen = { 0, 0, 0, 0 };
	struct agg_thread_row *th;
	struct agg_frame f[8];
	struct agg_row *r;
	bool ok;
	size_t n;

	tap_str(aggregate_kind_name(FUNC_KIND_PYTHON), "python", "kind name python");
	tap_str(aggregate_kind_name(FUNC_KIND_NATIVE), "native", "kind name native");
	tap_str(aggregate_kind_name(FUNC_KIND_MARKER), "marker", "kind name marker");
	feed_func_kind(a, 1, "main", "app.py", 1, FUNC_KIND_PYTHON);
	feed_func_kind(a, 2, "(3 frames truncated)", "", 0, FUNC_KIND_MARKER);
	feed_func_kind(a, 3, "memcpy", "libc.so.6", 0, FUNC_KIND_NATIVE);
	feed_func_kind(a, 4, "odd", "odd.py", 3, 200);
	next_pid = 4242;
	thread_name(a, 100, "MainThread");
	sample(a, 100, THREAD_RUNNING, SAMPLE_F_TRUNCATED, "3:0 4:4 1:5 2:0");
	next_pid = 4343;
	thread_name(a, 200, "child");
	next_pid = 0;      /* a sample that does not say keeps what the thread said */
	sample(a, 200, THREAD_RUNNING, 0, "9:1");

	n = aggregate_rows(a, NULL, &r);
	ok = n == 5;
	for (size_t i = 0; ok && i < n; i++) {
		enum func_kind want = strcmp(r[i].name, "memcpy") == 0 ? FUNC_KIND_NATIVE
			: r[i].name[0] == '(' ? FUNC_KIND_MARKER : FUNC_KIND_PYTHON;

		ok = r[i].kind == want;
	}
	tap_ok(ok, "kind: function rows carry their definition's kind (native memcpy, the marker; "
	       "an unknown kind and an undefined id are python)");
	free(r);
	n = aggregate_rows(a, &lines, &r);
	ok = n == 5;
	for (size_t i = 0; ok && i < n; i++)
		ok = r[i].kind == (strcmp(r[i].name, "memcpy") == 0 ? FUNC_KIND_NATIVE
				   : r[i].name[0] == '(' ? FUNC_KIND_MARKER : FUNC_KIND_PYTHON);
	tap_ok(ok, "kind: line rows carry it too");
	free(r);
	tap_ok(aggregate_func(a, handle_of(a, "memcpy"), &f[0]) && f[0].kind == FUNC_KIND_NATIVE,
	       "kind: aggregate_func() says native");
	n = aggregate_latest_stack(a, 100, f, 8, NULL);
	tap_ok(n == 4 && f[0].kind == FUNC_KIND_NATIVE && f[1].kind == FUNC_KIND_PYTHON &&
	       f[3].kind == FUNC_KIND_MARKER, "kind: the latest stack's frames carry it");
	aggregate_walk_stacks(a, NULL, kinds_fn, &seen);
	tap_ok(seen.frames == 5 && seen.native == 1 && seen.marker == 1 && seen.python == 3,
	       "kind: the stacks walked carry it");

	n = aggregate_threads(a, NULL, &th);
	tap_ok(n == 2 && th[0].tid == 100 && th[0].pid == 4242 && th[1].tid == 200 && th[1].pid == 4343,
	       "pid: thread rows carry the pid their records said");
	free(th);
	aggregate_destroy(a);
}

struct many_stacks {
	char lines[256][256];
	int n;
};

static void collect_many(void *arg, const struct agg_frame *fr, size_t depth, uint64_t count, uint64_t ns)
{
	struct many_stacks *st = arg;
	if (st->n == 256)
		return;
	char *p = st->lines[st->n++];
	size_t used = 0;
	for (size_t i = 0; i < depth && used < 200; i++)
		used += (size_t)snprintf(p + used, 256 - used, "%s%s:%d", i ? ";" : "", fr[i].name, fr[i].line);
	snprintf(p + used, 256 - used, " %llu %lluns", (unsigned long long)count, (unsigned long long)ns);
}

/* Everything a profile shows, as text: line rows (cumulative and window,
 * own and total, counts and seconds) and stacks, all threads and tid 200. */
static void profile_text(struct aggregate *a, char *out, size_t cap)
{
	static const struct agg_query views[] = {
		{ .level = AGG_LEVEL_LINE }, { .level = AGG_LEVEL_LINE, .tid = 200 },
		{ .level = AGG_LEVEL_FUNC, .window = true },
	};
	size_t used = 0;
	for (size_t v = 0; v < sizeof views / sizeof views[0]; v++) {
		struct agg_row *r;
		size_t n = aggregate_rows(a, &views[v], &r);
		for (size_t i = 0; i < n && used < cap; i++) {
			const struct agg_stat *c = views[v].window ? &r[i].win : &r[i].cum;
			used += (size_t)snprintf(out + used, cap - used, "%zu %s:%d %llu %llu %.6f %.6f\n", v, r[i].name,
						 r[i].line, (unsigned long long)c->own, (unsigned long long)c->total,
						 c->own_s, c->total_s);
		}
		free(r);
	}
	static struct many_stacks st;
	memset(&st, 0, sizeof(st));
	aggregate_walk_stacks(a, NULL, collect_many, &st);
	qsort(st.lines, (size_t)st.n, sizeof(st.lines[0]), cmp_str);
	for (int i = 0; i < st.n && used < cap; i++)
		used += (size_t)snprintf(out + used, cap - used, "%s\n", st.lines[i]);
	if (st.n == 256 && used < cap)
		snprintf(out + used, cap - used, "(more stacks)\n");
}

/* The stack memo changes nothing: the same stream (threads repeating
 * stacks, recursion, switching stacks, a reset and a thread pruned between)
 * gives the same profile with and without it. */
static void test_memo(void)
{
	static const char *stacks[] = { "2:12 1:5", "3:21 3:22 3:22 2:13 1:5", "3:21 2:12 4:5", "1:6", "" };
	static char with[16384], without[16384];
	for (int memo = 0; memo < 2; memo++) {
		for (int mode = 0; mode < 2; mode++) {
			struct aggregate *a = aggregate_create(mode ? AGG_MODE_WALL : AGG_MODE_CPU, 1000000);
			aggregate_set_memo(a, memo);
			feed_func(a, 1, "main", "app.py", 1);
			feed_func(a, 2, "work", "app.py", 10);
			feed_func(a, 3, "fib", "app.py", 20);
			feed_func(a, 4, "main", "app.py", 1);
			uint32_t x = 12345;
			for (int i = 0; i < 3000; i++) {
				x = x * 1103515245u + 12345u;
				uint32_t tid = 100 + 100 * ((x >> 8) % 3);
				/* mostly the thread's same stack, now and then another */
				const char *s = stacks[((x >> 16) % 8 < 6) ? tid / 100 - 1 : (x >> 20) % 5];
				next_time_ns = 1000000ull * (uint64_t)(i / 3 + 1);
				next_cpu_ns = (x >> 4) % 2000000;
				sample(a, tid, (x >> 12) % 4 ? THREAD_RUNNING : THREAD_IDLE, SAMPLE_F_CPU, s);
				if (i % 3 == 2)
					tick(a, (uint64_t)(i / 3 + 1), 0, 0, 0);
				if (i == 1000)
					aggregate_window_start(a);
				if (i == 1500)
					aggregate_reset(a);
				if (i == 2000)
					aggregate_feed(a, rec_sample(&rb, &(struct sample_rec){ .tid = 300, .state = THREAD_UNKNOWN,
						.flags = SAMPLE_F_CPU | SAMPLE_F_ENDED, .time_ns = next_time_ns }, ""));
				if (i == 2100)
					aggregate_prune_threads(a, 0);
			}
			char *out = memo ? with : without;
			profile_text(a, mode ? out + sizeof with / 2 : out, sizeof with / 2);
			aggregate_destroy(a);
		}
	}
	next_time_ns = next_cpu_ns = 0;
	tap_ok(strlen(with) > 200 && strlen(with + sizeof with / 2) > 200, "memo: the profiles are not empty");
	tap_ok(memcmp(with, without, sizeof with) == 0, "memo: cpu and wall profiles are the same with and without it");
}

/* Folding ended threads (a long batch of a thread-per-request server):
 * past keep ended threads, the rest go into one count; every total stays,
 * the rows and per-thread tables go, the keep busiest ended ones and the
 * live ones keep their rows. */
static void test_fold(void)
{
	struct aggregate *a = aggregate_create(AGG_MODE_WALL, 1000000);
	struct agg_summary before, after;
	struct agg_thread_row *th;
	struct agg_row *rows;
	size_t n;

	feed_func(a, 1, "main", "srv.py", 1);
	feed_func(a, 2, "handle", "srv.py", 10);
	/* 40 request threads, 1 ms each, thread 1000 + i sampled i % 5 + 1
	 * times; then the main thread alone for 3 s. */
	uint64_t t = 1;
	for (int i = 0; i < 40; i++)
		for (int k = 0; k <= i % 5; k++, t++) {
			next_time_ns = t * 1000000;
			sample(a, 1000 + (uint32_t)i, THREAD_RUNNING, 0, "2:11 1:3");
			sample(a, 7, THREAD_IDLE, 0, "1:4");
			tick(a, t, 0, 0, 0);
		}
	for (int k = 0; k < 3000; k++, t++) {
		next_time_ns = t * 1000000;
		sample(a, 7, THREAD_IDLE, 0, "1:4");
		tick(a, t, 0, 0, 0);
	}
	aggregate_summary(a, false, &before);
	size_t rows_before = aggregate_rows(a, NULL, &rows);
	double own_before = 0;
	for (size_t i = 0; i < rows_before; i++)
		own_before += rows[i].cum.own_s;
	free(rows);
	tap_ok(aggregate_fold_ended(a, 2000000000ull, 50) == 0, "fold: 40 ended threads, keep 50: none folded");
	tap_ok(aggregate_fold_ended(a, 5000000000ull, 10) == 0, "fold: none has ended for 5 s: none folded");
	size_t folded = aggregate_fold_ended(a, 2000000000ull, 10);
	aggregate_summary(a, false, &after);
	n = aggregate_threads(a, NULL, &th);
	bool main_kept = false;
	uint64_t listed = 0;
	for (size_t i = 0; i < n; i++) {
		main_kept |= th[i].tid == 7;
		listed += th[i].cum.samples;
	}
	tap_ok(folded == 30 && n == 11 && main_kept, "fold: 30 of 40 ended threads folded, 10 and the live one listed "
	       "(%zu folded, %zu rows)", folded, n);
	int fives = 0, fours = 0;
	for (size_t i = 0; i < n; i++) {
		fives += th[i].tid >= 1000 && th[i].cum.samples == 5;
		fours += th[i].tid >= 1000 && th[i].cum.samples == 4;
	}
	tap_ok(fives == 8 && fours == 2, "fold: the ones kept are those with the most samples (8 x 5, 2 x 4)");
	tap_ok(after.folded_threads == 30 && after.folded.samples + listed == after.samples &&
	       after.samples == before.samples && after.folded.states[THREAD_RUNNING] == after.folded.samples,
	       "fold: the folded count holds their samples (%llu), listed + folded = all samples (%llu)",
	       (unsigned long long)after.folded.samples, (unsigned long long)after.samples);
	free(th);
	/* speedscope: the folded threads' stacks are in the profile of no
	 * thread row, which says they are there */
	struct snapshot_meta meta = { .threads_folded = after.folded_threads, .mode = "wall" };
	char *ss = NULL;
	size_t sslen = 0;
	FILE *mf = open_memstream(&ss, &sslen);
	int src = speedscope_write(mf, a, &meta);
	fclose(mf);
	tap_ok(src == 0 && ss && strstr(ss, "\"name\": \"(30 folded) ended threads, and samples of no known thread\""),
	       "fold: speedscope names the profile that holds the folded threads' stacks");
	free(ss);
	size_t rows_after = aggregate_rows(a, NULL, &rows);
	double own_after = 0;
	for (size_t i = 0; i < rows_after; i++)
		own_after += rows[i].cum.own_s;
	free(rows);
	tap_ok(rows_after == rows_before && own_after > own_before - 1e-9 && own_after < own_before + 1e-9,
	       "fold: the function table is unchanged (%zu rows, %.4f s own)", rows_after, own_after);
	aggregate_reset(a);
	aggregate_summary(a, false, &after);
	tap_ok(after.folded_threads == 0 && after.folded.samples == 0, "fold: a reset clears the folded count");
	/* --every: the next interval samples only the main thread; the ended
	 * threads kept from before the reset have no sample in it and were no
	 * row of it: folding them now counts no folded thread. */
	for (int k = 0; k < 3000; k++, t++) {
		next_time_ns = t * 1000000;
		sample(a, 7, THREAD_IDLE, 0, "1:4");
		tick(a, t, 0, 0, 0);
	}
	aggregate_fold_ended(a, 2000000000ull, 0);
	aggregate_summary(a, false, &after);
	n = aggregate_threads(a, NULL, &th);
	free(th);
	tap_ok(after.folded_threads == 0 && after.folded.samples == 0 && n == 1,
	       "fold: after a reset, threads with no sample since are not counted folded (%llu threads, %zu rows)",
	       (unsigned long long)after.folded_threads, n);
	aggregate_destroy(a);
	next_time_ns = 0;
}

int main(void)
{
	test_cpu();
	test_cpu_conserved();
	test_edges();
	test_stacks();
	test_stacks_cpu();
	test_modes();
	test_threads();
	test_live();
	test_limit();
	test_window();
	test_reset_and_filters();
	test_ticks();
	test_odd_records();
	test_growth();
	test_weights();
	test_gaps();
	test_rows();
	test_kind_and_pid();
	test_memo();
	test_fold();
	return tap_done();
}
