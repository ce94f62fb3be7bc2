/* test_ui_threads: the thread table on thread-per-request targets, and the
 * live view's truth about threads and its prompt (issue 8 items 1, 2, 8,
 * 12, 13), without a terminal:
 *   - a thread row owns its name: rows taken before thousands of new
 *     threads (the table moves) and a rename still read the same name;
 *   - ended threads are forgotten after the grace period (their samples
 *     stay in the all-threads numbers), and what the remaining threads
 *     show (functions, lines, callers, stacks) is the same before and after;
 *     churn keeps the table as large as the live threads;
 *   - a sample of tid 0 (an unidentified thread) makes no row, no "0 ?";
 *   - the threads pane: busiest first, "running now / live" from the
 *     latest samples, "ended", "+N more", labelled CPU and sample columns,
 *     the stack pane on the busiest thread, no "native" label;
 *   - m cycles cpu / wall / gil; r resets, and asks first after the exit;
 *   - :so tot, :so %t, :sort name rev, :thread NAME, Tab on :thread. */
#include <curses.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sampling/aggregate.h"
#include "sampling/sample.h"
#include "records.h"
#include "screen.h"
#include "tap.h"
#include "ui/canvas.h"
#include "ui/keys.h"
#include "ui/tui.h"

#define MS 1000000ull

/* frames "id:line id:line", innermost first, at round time t_ns. */
static void sample(struct aggregate *a, uint32_t tid, int state, int flags, uint64_t t_ns,
		   const char *frames)
{
	feed_sample(a, &(struct sample_rec){ .time_ns = t_ns, .tid = tid, .state = (uint8_t)state,
					     .flags = (uint8_t)flags }, frames);
}

static void tick(struct aggregate *a, uint64_t t_ns)
{
	feed_tick(a, &(struct tick_rec){ .time_ns = t_ns, .duration_ns = 100000 });
}

static void defs(struct aggregate *a)
{
	feed_func(a, 1, "serve", "/srv/app.py", 1);
	feed_func(a, 2, "handle", "/srv/app.py", 10);
	feed_func(a, 3, "digest", "/srv/app.py", 20);
	feed_func(a, 4, "wait", "/srv/app.py", 30);
	feed_func(a, 5, "spin", "/srv/app.py", 40);
}

/* ---- the aggregate's thread table ---- */

static void test_name_lifetime(void)
{
	struct aggregate *a = aggregate_create(AGG_MODE_WALL, MS);
	struct agg_thread_row *rows;
	size_t n;
	uint32_t tid;

	defs(a);
	feed_thread(a, 7, "Thread-1 (process_request_thread)");
	sample(a, 7, THREAD_RUNNING, 0, 1 * MS, "3:21 2:11 1:2");
	tick(a, 1 * MS);
	n = aggregate_threads(a, NULL, &rows);
	tap_is((long long)n, 1, "names: one thread row");
	/* Thousands of threads: the thread table is reallocated many times. */
	for (tid = 1000; tid < 9000; tid++) {
		char name[64];

		snprintf(name, sizeof(name), "Thread-%u (process_request_thread)", tid);
		feed_thread(a, tid, name);
		sample(a, tid, THREAD_RUNNING, 0, 2 * MS, "3:21 2:11 1:2");
	}
	feed_thread(a, 7, "renamed");
	tap_str(rows[0].name, "Thread-1 (process_request_thread)",
		"names: a row's name stays valid (and unchanged) whatever is fed after it");
	free(rows);
	aggregate_destroy(a);
}

struct walk_acc {
	uint64_t sum, frames, ns;
};

static void walk_fn(void *arg, const struct agg_frame *f, size_t depth, uint64_t count, uint64_t ns)
{
	struct walk_acc *w = arg;

	(void)f;
	w->sum += count;
	w->frames += depth * count;
	w->ns += ns;
}

/* A fingerprint of what a thread's queries show. */
static void fingerprint(struct aggregate *a, uint32_t tid, char *out, size_t cap)
{
	struct agg_query q = { .tid = tid }, ql = { .level = AGG_LEVEL_LINE, .tid = tid };
	struct agg_row *fr;
	struct agg_row *lr;
	struct agg_edge_row *er;
	struct walk_acc w = { 0, 0, 0 };
	size_t nf = aggregate_rows(a, &q, &fr), nl = aggregate_rows(a, &ql, &lr), ne, len = 0, i;

	ne = aggregate_callers(a, 3, &q, &er);
	for (i = 0; i < nf; i++)
		len += (size_t)snprintf(out + len, len < cap ? cap - len : 0, "f%s:%llu/%llu ",
					fr[i].name, (unsigned long long)fr[i].cum.own,
					(unsigned long long)fr[i].cum.total);
	for (i = 0; i < nl; i++)
		len += (size_t)snprintf(out + len, len < cap ? cap - len : 0, "l%d:%llu ",
					lr[i].line, (unsigned long long)lr[i].cum.total);
	for (i = 0; i < ne; i++)
		len += (size_t)snprintf(out + len, len < cap ? cap - len : 0, "c%s:%llu ",
					er[i].name, (unsigned long long)er[i].cum);
	aggregate_walk_stacks(a, &q, walk_fn, &w);
	snprintf(out + len, len < cap ? cap - len : 0, "w%llu/%llu/%llu", (unsigned long long)w.sum,
		 (unsigned long long)w.frames, (unsigned long long)w.ns);
	free(fr);
	free(lr);
	free(er);
}

static void test_prune(void)
{
	struct aggregate *a = aggregate_create(AGG_MODE_WALL, MS);
	struct agg_thread_row *rows;
	struct agg_row *fr;
	struct agg_summary before, after;
	char fp_keep[2][2048], fp_now[2048];
	uint64_t now = 0;
	size_t n, i, pruned, max_rows = 0;
	uint32_t tid, round;
	bool same = true;

	defs(a);
	/* Two long-lived threads, and 3000 short request threads, each
	 * sampled in 3 rounds 1 ms apart, one new every ms. */
	feed_thread(a, 10, "MainThread");
	feed_thread(a, 11, "server");
	for (round = 0, tid = 5000; round < 3000; round++, tid++) {
		now = (uint64_t)(round + 1) * MS;
		sample(a, 10, THREAD_IDLE, 0, now, "4:31 1:3");
		sample(a, 11, THREAD_RUNNING, SAMPLE_F_HOLDS_GIL, now, "5:41 1:4");
		for (i = 0; i < 3 && tid >= 5000 + i; i++)
			sample(a, tid - (uint32_t)i, THREAD_RUNNING, 0, now,
			       i == 1 ? "3:22 2:11 1:2" : "3:21 2:11 1:2");
		tick(a, now);
		if (round % 250 == 249) {
			aggregate_prune_threads(a, 100 * MS);
			n = aggregate_threads(a, NULL, &rows);
			if (n > max_rows)
				max_rows = n;
			free(rows);
		}
	}
	fingerprint(a, 10, fp_keep[0], sizeof(fp_keep[0]));
	fingerprint(a, 11, fp_keep[1], sizeof(fp_keep[1]));
	aggregate_summary(a, false, &before);
	n = aggregate_rows(a, NULL, &fr);
	tap_ok(n == 5, "prune: the all-threads table has the 5 functions");
	free(fr);

	pruned = aggregate_prune_threads(a, 100 * MS);
	n = aggregate_threads(a, NULL, &rows);
	/* 100 ms of grace at 1 thread per ms: the last ~100 request threads stay. */
	tap_ok(n >= 2 && n <= 2 + 104, "prune: only the threads of the last 100 ms stay (%zu rows)", n);
	tap_ok(max_rows <= 2 + 102 + 250, "prune: churn never grew the table beyond the live threads "
	       "and the grace period (max %zu rows)", max_rows);
	tap_ok(aggregate_pruned_threads(a) >= 2800, "prune: %llu ended threads forgotten",
	       (unsigned long long)aggregate_pruned_threads(a));
	for (i = 0; i < n; i++)
		if (rows[i].tid == 10 || rows[i].tid == 11)
			tap_ok(rows[i].live, "prune: thread %u is live", rows[i].tid);
	free(rows);
	(void)pruned;
	aggregate_summary(a, false, &after);
	tap_ok(before.samples == after.samples && before.counted == after.counted,
	       "prune: the forgotten threads' samples stay in the totals");
	fingerprint(a, 10, fp_now, sizeof(fp_now));
	same = strcmp(fp_now, fp_keep[0]) == 0;
	if (!same)
		printf("# before %s\n# after  %s\n", fp_keep[0], fp_now);
	fingerprint(a, 11, fp_now, sizeof(fp_now));
	if (strcmp(fp_now, fp_keep[1]) != 0) {
		printf("# before %s\n# after  %s\n", fp_keep[1], fp_now);
		same = false;
	}
	tap_ok(same, "prune: the remaining threads' functions, lines, callers and stacks are unchanged");
	{
		struct agg_query q = { .tid = 5001 };

		tap_is((long long)aggregate_rows(a, &q, &fr), 0, "prune: a forgotten thread has no rows");
		free(fr);
	}
	/* Feeding goes on after a prune: new threads, and the old ones. */
	now += MS;
	sample(a, 11, THREAD_RUNNING, SAMPLE_F_HOLDS_GIL, now, "5:41 1:4");
	sample(a, 99999, THREAD_RUNNING, 0, now, "3:21 2:11 1:2");
	tick(a, now);
	{
		struct agg_query q = { .tid = 99999 };

		n = aggregate_rows(a, &q, &fr);
		tap_ok(n == 3 && fr[0].cum.own == 1, "prune: a thread after the prune counts from zero");
		free(fr);
	}
	aggregate_destroy(a);
}

static void test_tid0(void)
{
	struct aggregate *a = aggregate_create(AGG_MODE_WALL, MS);
	struct agg_thread_row *rows;
	struct agg_row *fr;
	size_t n, i;
	bool zero = false;

	defs(a);
	feed_thread(a, 0, "");
	sample(a, 0, THREAD_UNKNOWN, 0, MS, "3:21 2:11 1:2");
	sample(a, 42, THREAD_RUNNING, 0, MS, "3:21 2:11 1:2");
	tick(a, MS);
	n = aggregate_threads(a, NULL, &rows);
	for (i = 0; i < n; i++)
		zero |= rows[i].tid == 0;
	tap_ok(n == 1 && !zero, "tid 0: no row for a thread the sampler could not identify");
	free(rows);
	n = aggregate_rows(a, NULL, &fr);
	tap_ok(n == 3 && fr[0].cum.own == 2, "tid 0: its samples count for all threads");
	free(fr);
	aggregate_destroy(a);
}

/* ---- the live view ---- */

static void command(struct tui *t, const char *line)
{
	tui_key(t, ':');
	keys(t, line);
	tui_key(t, '\n');
}

/* An idle MainThread (tid 100) with the lowest tid, a busy "worker" (200),
 * a GIL-waiting "contender" (300), a thread that ended ("gone", 400, last
 * seen in round 1), tid-0 samples, and 20 idle "pool-N" threads. */
static void feed_server(struct aggregate *a)
{
	uint64_t r;
	uint32_t k;

	defs(a);
	feed_thread(a, 100, "MainThread");
	feed_thread(a, 200, "worker");
	feed_thread(a, 300, "contender");
	feed_thread(a, 400, "gone");
	for (k = 0; k < 20; k++) {
		char nm[16];

		snprintf(nm, sizeof(nm), "pool-%u", k);
		feed_thread(a, 1000 + k, nm);
	}
	for (r = 1; r <= 10; r++) {
		sample(a, 100, THREAD_IDLE, 0, r * MS, "4:31 1:3");
		sample(a, 200, THREAD_RUNNING, SAMPLE_F_HOLDS_GIL, r * MS, "3:21 2:11 1:2");
		sample(a, 300, r == 10 ? THREAD_IDLE : THREAD_GIL_WAIT, 0, r * MS, "5:41 1:4");
		if (r == 1)
			sample(a, 400, THREAD_RUNNING, 0, r * MS, "3:22 2:11 1:2");
		sample(a, 0, THREAD_RUNNING, 0, r * MS, "3:21 2:11 1:2");
		for (k = 0; k < 20; k++)
			sample(a, 1000 + k, THREAD_IDLE, 0, r * MS, "4:31 1:3");
		tick(a, r * MS);
	}
}

static void test_view(void)
{
	struct aggregate *a = aggregate_create(AGG_MODE_CPU, MS);
	struct options o;
	struct canvas c;
	struct tui *t;
	int y;
	bool ok;

	memset(&o, 0, sizeof(o));
	o.rate_hz = 1000;
	feed_server(a);
	t = tui_new(a, &o);
	t->m.pid = 4242;
	tui_requery(t);
	canvas_init(&c, 100, 30, false);
	render(t, &c);

	tap_ok(t->m.ntview > 0 && t->m.threads[t->m.tview[0]].tid == 200,
	       "threads: the busiest thread (worker) is the first row, not MainThread");
	tap_ok(screen_has(&c, "Stack of 200 worker"), "stack: starts on the busiest thread");
	y = find_row(&c, "Threads:");
	ok = y >= 0 && strstr(row_of(&c, y), "1 running now / 23 live") != NULL;
	if (!tap_ok(ok, "threads: running now (latest sample) / live (latest round)"))
		dump(&c);
	tap_ok(y >= 0 && strstr(row_of(&c, y), "1 ended") != NULL, "threads: the ended thread is counted");
	tap_ok(y >= 0 && strstr(row_of(&c, y), "more") != NULL, "threads: +N more when rows are hidden");
	tap_ok(screen_has(&c, "OS CPU%") && screen_has(&c, "sampled states"),
	       "threads: the /proc CPU column and the sample bar are labelled apart");
	tap_ok(!screen_has(&c, "native"), "threads: no 'native' label (runnable is not native)");
	tui_help(t);
	{
		struct canvas big;

		canvas_init(&big, 100, 120, false);
		render(t, &big);
		tap_ok(screen_has(&big, "runnable, no GIL"), "help: the bar legend says runnable, no GIL");
		tap_ok(!screen_has(&big, "native,"), "help: not 'native'");
		tap_ok(screen_has(&big, "What counts: cpu"), "help: the m key");
		tap_ok(screen_has(&big, "CPU time the kernel") && screen_has(&big, "a different measure"),
		       "help: OS CPU%% and the bar explained apart");
		canvas_free(&big);
	}
	tui_key(t, KEYS_ESC);
	{
		int r;
		bool zero = false;

		for (r = 0; r < c.h; r++) {
			const char *s = row_of(&c, r);

			zero |= strncmp(s, "       0 ", 9) == 0 || strstr(s, " 0 ?") != NULL;
		}
		tap_ok(!zero, "threads: no '0 ?' row");
	}
	tap_ok(strstr(row_of(&c, 2), "Threads 1 running/23") != NULL, "header: threads running now / live");
	/* the ended thread: last row, labelled */
	{
		const struct agg_thread_row *last = &t->m.threads[t->m.tview[t->m.ntview - 1]];

		tap_ok(last->tid == 400 && !last->live, "threads: the ended thread sorts last");
	}
	{
		struct canvas big;

		canvas_init(&big, 100, 80, false);
		render(t, &big);
		tui_key(t, '\t');
		tui_key(t, KEYS_FN(KEY_END));
		render(t, &big);
		y = find_row(&big, "gone");
		tap_ok(y >= 0 && strstr(row_of(&big, y), "ended") != NULL, "threads: an ended row says so");
		canvas_free(&big);
	}
	/* after the grace period it leaves */
	{
		struct agg_thread_row *rows;
		size_t n, i;
		bool gone = true;

		sample(a, 200, THREAD_RUNNING, SAMPLE_F_HOLDS_GIL, 4000 * MS, "3:21 2:11 1:2");
		tick(a, 4000 * MS);
		tui_refresh(t);
		n = aggregate_threads(a, NULL, &rows);
		for (i = 0; i < n; i++)
			gone &= rows[i].tid != 400;
		tap_ok(gone && n == 1, "threads: after the grace period only the live thread stays");
		free(rows);
	}

	/* the prompt */
	command(t, "so tot");
	tap_is(t->m.sort, SORT_TOTAL_TIME, ":so tot sorts by totaltime");
	if (t->m.sort != SORT_TOTAL_TIME)
		printf("# msg: %s view %s prompt %d\n", t->m.msg, tui_view(t), (int)t->prompt.kind);
	command(t, "so %t");
	tap_is(t->m.sort, SORT_TOTAL_PCT, ":so %%t sorts by %%total");
	command(t, "sort name rev");
	tap_ok(t->m.sort == SORT_NAME && t->m.reverse, ":sort name rev: reversed");
	command(t, "so %");
	tap_ok(t->m.msg_error && t->m.sort == SORT_NAME, ":so %% is ambiguous (%%own, %%total): an error");
	command(t, "so 1");
	tap_ok(!t->m.reverse && t->m.sort == SORT_OWN_PCT, ":so 1");

	canvas_free(&c);
	tui_free(t);
	aggregate_destroy(a);

	/* :thread by name, and Tab */
	a = aggregate_create(AGG_MODE_CPU, MS);
	feed_server(a);
	t = tui_new(a, &o);
	tui_requery(t);
	command(t, "thread work");
	tap_is(t->m.follow_tid, 200, ":thread work: a name prefix follows worker");
	command(t, "thread MainThread");
	tap_is(t->m.follow_tid, 100, ":thread MainThread: a full name");
	command(t, "thread pool");
	tap_ok(t->m.msg_error && strstr(t->m.msg, "20 threads"), ":thread pool: ambiguous, says so");
	command(t, "thread all");
	tap_is(t->m.follow_tid, 0, ":thread all");
	tui_key(t, ':');
	keys(t, "thread ");
	tui_key(t, '\t');
	{
		size_t i;
		bool names = false, tids = false;

		for (i = 0; i < t->prompt.ncompletions; i++) {
			names |= strcmp(t->prompt.completions[i], "worker") == 0;
			tids |= strcmp(t->prompt.completions[i], "200") == 0;
		}
		tap_ok(t->prompt.ncompletions > 2 && names && tids, "Tab on ':thread ': names and tids offered");
	}
	keys(t, "cont");
	tui_key(t, '\t');
	tap_str(t->prompt.le.buf, "thread contender ", "Tab completes a thread name");
	tui_key(t, '\n');
	tap_is(t->m.follow_tid, 300, "... and Enter follows it");

	/* m: the mode */
	tap_is(aggregate_mode(a), AGG_MODE_CPU, "mode: cpu at the start");
	tui_key(t, 'm');
	tap_is(aggregate_mode(a), AGG_MODE_WALL, "m: wall");
	canvas_init(&c, 100, 30, false);
	render(t, &c);
	tap_ok(strstr(row_of(&c, 0), "Mode wall") != NULL, "m: the header says Mode wall");
	tui_key(t, 'm');
	tap_is(aggregate_mode(a), AGG_MODE_GIL, "m again: gil");
	tui_key(t, 'm');
	tap_is(aggregate_mode(a), AGG_MODE_CPU, "m again: cpu");
	command(t, "mode wall");
	tap_is(aggregate_mode(a), AGG_MODE_WALL, ":mode wall");

	/* a followed thread that ends: back to all threads */
	tap_is(t->m.follow_tid, 300, "following contender");
	sample(a, 200, THREAD_RUNNING, 0, 5000 * MS, "3:21 2:11 1:2");
	tick(a, 5000 * MS);
	tui_refresh(t);
	tap_ok(t->m.follow_tid == 0 && strstr(t->m.msg, "ended"),
	       "a followed thread that ended: all threads again, and a message");

	/* r: reset, and after the exit it asks first */
	sample(a, 200, THREAD_RUNNING, 0, 5020 * MS, "3:21 2:11 1:2");
	tick(a, 5020 * MS);
	tui_requery(t);
	tap_ok(t->m.cum_sum.samples > 0, "reset: samples before");
	tui_key(t, 'r');
	tap_ok(t->m.cum_sum.samples == 0 && t->m.nshown == 0, "r: everything counted is gone");
	sample(a, 200, THREAD_RUNNING, 0, 5021 * MS, "3:21 2:11 1:2");
	tick(a, 5021 * MS);
	tui_requery(t);
	t->m.exited = true;
	tui_key(t, 'r');
	tap_ok(t->m.cum_sum.samples == 1 && t->m.msg_error && strstr(t->m.msg, "again"),
	       "r after the exit: asks, the frozen data stays");
	tui_key(t, 'j');
	tui_key(t, 'r');
	tap_ok(t->m.cum_sum.samples == 1, "r after the exit: another key in between cancels");
	tui_key(t, 'r');
	tap_ok(t->m.cum_sum.samples == 0, "r, r after the exit: wiped");
	canvas_free(&c);
	tui_free(t);
	aggregate_destroy(a);
}

int main(void)
{
	test_name_lifetime();
	test_prune();
	test_tid0();
	test_view();
	return tap_done();
}
