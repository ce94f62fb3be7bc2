/* test_latest: aggregate_latest_stack(): the latest sample of each thread,
 * whatever its state and the counting mode, innermost first; unknown ids,
 * capped copies, resets, and that counting is unchanged by it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "records.h"
#include "sampling/aggregate.h"
#include "sampling/sample.h"
#include "tap.h"

/* frames "id:line id:line ...", innermost first, at time t. */
static void sample(struct aggregate *a, uint32_t tid, int state, int flags, uint64_t t, const char *frames)
{
	feed_sample(a, &(struct sample_rec){ .time_ns = t, .tid = tid, .state = (uint8_t)state,
					     .flags = (uint8_t)flags }, frames);
}

int main(void)
{
	struct aggregate *a = aggregate_create(AGG_MODE_CPU, 1000000);
	struct agg_frame f[8];
	struct agg_latest info;
	struct agg_row *rows;
	size_t n;

	feed_func(a, 1, "main", "app.py", 1);
	feed_func(a, 2, "work", "app.py", 10);
	feed_func(a, 3, "fib", "app.py", 20);

	n = aggregate_latest_stack(a, 100, f, 8, &info);
	tap_is(n, 0, "no sample yet: no frames");
	tap_ok(!info.valid, "no sample yet: not valid");

	sample(a, 100, THREAD_RUNNING, SAMPLE_F_HOLDS_GIL, 1000, "2:12 1:5");
	n = aggregate_latest_stack(a, 100, f, 8, &info);
	tap_is(n, 2, "two frames");
	tap_ok(info.valid && info.time_ns == 1000 && info.state == THREAD_RUNNING &&
	       info.flags == SAMPLE_F_HOLDS_GIL && info.depth == 2, "info: time, state, flags, depth");
	tap_str(f[0].name, "work", "innermost first: work");
	tap_is(f[0].line, 12, "its current line");
	tap_str(f[1].name, "main", "then main");
	tap_str(f[1].file, "app.py", "file");
	tap_ok(f[0].func != UINT32_MAX, "a real handle");
	{
		struct agg_frame g;

		tap_ok(aggregate_func(a, f[0].func, &g) && strcmp(g.name, "work") == 0,
		       "the handle resolves with aggregate_func()");
	}

	/* An idle sample does not count in cpu mode but is the latest stack. */
	sample(a, 100, THREAD_IDLE, 0, 2000, "3:21 2:13 1:6");
	n = aggregate_latest_stack(a, 100, f, 8, &info);
	tap_is(n, 3, "an idle sample is the latest too");
	tap_ok(info.state == THREAD_IDLE && info.time_ns == 2000, "its state and time");
	tap_str(f[0].name, "fib", "fib innermost");
	n = aggregate_rows(a, NULL, &rows);
	tap_is(n, 2, "counting unchanged: the idle sample is not counted in cpu mode");
	free(rows);

	/* Capped copy: depth still tells the whole depth. */
	n = aggregate_latest_stack(a, 100, f, 2, &info);
	tap_is(n, 2, "cap 2: two frames copied");
	tap_is(info.depth, 3, "depth says 3");
	tap_str(f[1].name, "work", "the innermost two");

	/* Another thread; an id never defined. */
	sample(a, 200, THREAD_GIL_WAIT, 0, 3000, "99:7 1:8");
	n = aggregate_latest_stack(a, 200, f, 8, &info);
	tap_is(n, 2, "thread 200: two frames");
	tap_str(f[0].name, "<unknown>", "an undefined id reads <unknown>");
	tap_ok(f[0].func == UINT32_MAX, "with no handle");
	tap_str(f[1].name, "main", "the defined one resolves");
	n = aggregate_latest_stack(a, 100, f, 8, &info);
	tap_is(n, 3, "thread 100 keeps its own latest stack");

	/* An empty stack is a valid latest sample. */
	sample(a, 100, THREAD_IDLE, 0, 4000, "");
	n = aggregate_latest_stack(a, 100, f, 8, &info);
	tap_ok(n == 0 && info.valid && info.depth == 0, "a sample without frames: valid, depth 0");

	/* Kept across a reset (it is not a count). */
	sample(a, 100, THREAD_RUNNING, 0, 5000, "2:12 1:5");
	aggregate_reset(a);
	n = aggregate_latest_stack(a, 100, f, 8, &info);
	tap_ok(n == 2 && info.time_ns == 5000, "kept across aggregate_reset()");
	n = aggregate_latest_stack(a, 300, f, 8, &info);
	tap_ok(n == 0 && !info.valid, "an unknown tid: nothing");
	n = aggregate_latest_stack(a, 100, f, 8, NULL);
	tap_is(n, 2, "info may be NULL");

	/* Deep stacks grow the buffer. */
	{
		struct sample_frame deep[200];
		int i;

		for (i = 0; i < 200; i++)
			deep[i] = (struct sample_frame){ .func_id = i % 2 ? 1 : 2, .line = i };
		feed_sample_frames(a, &(struct sample_rec){ .time_ns = 6000, .tid = 100, .state = THREAD_RUNNING },
				   deep, 200);
		n = aggregate_latest_stack(a, 100, f, 8, &info);
		tap_ok(n == 8 && info.depth == 200 && f[7].line == 7, "a 200-deep stack: first 8 copied");
	}
	aggregate_destroy(a);
	return tap_done();
}
