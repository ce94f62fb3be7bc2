/* test_output: the batch writers (text, json, collapsed) on a small known
 * stream, compared byte for byte; the JSON writer's escaping (quotes,
 * control characters, non-ASCII, invalid UTF-8), layout and misuse; the
 * human time format; the svg writer's frame geometry when nothing was
 * counted. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "output/collapsed.h"
#include "output/escape.h"
#include "output/flamegraph.h"
#include "output/formats.h"
#include "output/json.h"
#include "output/jsonw.h"
#include "output/snapshot.h"
#include "output/text.h"
#include "records.h"
#include "sampling/aggregate.h"
#include "sampling/sample.h"
#include "tap.h"
#include "util/duration.h"

/* frames: "id:line id:line ..." innermost first. */
static void sample(struct aggregate *a, uint32_t tid, int state, int flags, const char *frames)
{
	feed_sample(a, &(struct sample_rec){ .tid = tid, .state = (uint8_t)state, .flags = (uint8_t)flags }, frames);
}

/* The end of a sampling round at t_ms: the GIL held or not. */
static void tick(struct aggregate *a, uint64_t t_ms, uint64_t switches, int held)
{
	feed_tick(a, &(struct tick_rec){ .time_ns = t_ms * 1000000, .gil_switches = switches,
					 .gil_flags = TICK_GIL_KNOWN, .gil_count = 1, .gil_held = (uint8_t)held });
}

/* CPU mode, 10ms interval: 4 of the 6 samples count; four rounds 10 ms
 * apart, the GIL held in three, switch_number +3. */
static struct aggregate *make_stream(void)
{
	struct aggregate *a = aggregate_create(AGG_MODE_CPU, 10000000);

	feed_func(a, 1, "main", "app.py", 1);
	feed_func(a, 2, "say \"hi\"\t", "dir/\xc3\xbcn\xc3\xaf.py", 7);
	feed_func(a, 3, "work", "app.py", 10);
	feed_thread(a, 10, "Ma\xffin");
	feed_thread(a, 20, "Worker");
	sample(a, 10, THREAD_RUNNING, SAMPLE_F_HOLDS_GIL, "2:8 1:3");
	sample(a, 20, THREAD_RUNNING, 0, "3:12 1:3");
	tick(a, 0, 100, 1);
	sample(a, 10, THREAD_RUNNING, SAMPLE_F_HOLDS_GIL, "2:8 1:3");
	sample(a, 20, THREAD_GIL_WAIT, 0, "3:12 1:3");
	tick(a, 10, 102, 1);
	sample(a, 10, THREAD_RUNNING, SAMPLE_F_HOLDS_GIL, "2:8 1:3");
	tick(a, 20, 103, 1);
	sample(a, 10, THREAD_IDLE, 0, "1:4");
	tick(a, 30, 103, 0);
	return a;
}

/* gilstat's numbers for the same two threads (and one it alone saw). */
static struct gilstat_snapshot gilstat_numbers = {
	.mode = GILSTAT_SAMPLED,
	.nthreads = 3,
	.rate_hz = 2000,
	.achieved_hz = 1990.5,
	.resolution_ns = 500000,
	.start_ns = 5000000000,
	.elapsed_ns = 1000000000,
	.ticks = 1991,
	.switches = 200,
	.take_warn_ns = 10000000,
	.hold_warn_ns = 10000000,
	.nwarnings = 1,
	.nrecent = 1,
	.recent = { { .time_ns = 5250000000, .duration_ns = 12500000, .tid = 10, .kind = GILSTAT_WARN_HOLD } },
	.threads = {
		{ .tid = 10, .takecnt = 100, .hold_ns = 500000000, .wait_ns = 400000000,
		  .max_hold_ns = 12500000, .max_wait_ns = 6000000, .long_holds = 1 },
		{ .tid = 20, .takecnt = 100, .hold_ns = 450000000, .wait_ns = 450000000,
		  .max_hold_ns = 5000000, .max_wait_ns = 5500000 },
		{ .tid = 30, .takecnt = 0 },
	},
};

static const struct snapshot_meta meta = {
	.pid = 4242,
	.argv = "python3 -c \"x\"",
	.python = "3.11.4",
	.duration_s = 0.04,
	.rate_hz = 100,
	.achieved_rate_hz = 99.5,
	.samples = 6,
	.dropped = 2,
	.errors = 1,
	.mode = "cpu",
	.version = "0.1.0",
};

typedef int (*writer_fn)(FILE *, const struct aggregate *, const struct snapshot_meta *);

/* Run a writer into memory; returns the malloc'ed output, *rc its result. */
static char *capture(writer_fn fn, const struct aggregate *a, const struct snapshot_meta *m, int *rc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	*rc = fn(f, a, m);
	fclose(f);
	return buf;
}

static const char want_text[] =
	"pytop 0.1.0 - pid 4242, mode cpu\n"
	"Command:  python3 -c \"x\"\n"
	"Python:   3.11.4\n"
	"Duration: 40ms\n"
	"Samples:  6 (99.5 Hz achieved, 100.0 Hz configured)\n"
	"Dropped:  2\n"
	"Errors:   1\n"
	"\n"
	"  %Own  %Total  OwnTime  TotalTime  Function (file:line)\n"
	"  75.0    75.0     30ms       30ms  say \"hi\"\\t (dir/\xc3\xbcn\xc3\xaf.py:7)\n"
	"  25.0    25.0     10ms       10ms  work (app.py:10)\n"
	"   0.0   100.0       0s       40ms  main (app.py:1)\n"
	"\n"
	"     TID  Name              Samples  Running     Idle  GILWait   HasGIL      CPU     Time\n"
	"      10  Ma\\xffin                4    75.0%    25.0%     0.0%    75.0%        -     30ms\n"
	"      20  Worker                  2    50.0%     0.0%    50.0%     0.0%        -     10ms\n"
	"\n"
	"GIL: held 75.0% of the time, 100.0 switches/s\n"
	"     TID  Name                 Hold  HoldBlk     Wait   Native     Idle\n"
	"      10  Ma\\xffin            75.0%     0.0%     0.0%     0.0%    25.0%\n"
	"      20  Worker               0.0%     0.0%    50.0%    50.0%     0.0%\n";

/* The JSON document up to the threads, and the gil object up to its
 * conflicts: the same with and without gilstat's numbers. */
#define WANT_JSON_HEAD \
	"{\n" \
	"  \"pytop\": \"0.1.0\",\n" \
	"  \"target\": {\n" \
	"    \"pid\": 4242,\n" \
	"    \"python\": \"3.11.4\",\n" \
	"    \"argv\": \"python3 -c \\\"x\\\"\"\n" \
	"  },\n" \
	"  \"duration_s\": 0.04,\n" \
	"  \"samples\": 6,\n" \
	"  \"rate_hz\": 100,\n" \
	"  \"achieved_rate_hz\": 99.5,\n" \
	"  \"rate_low\": false,\n" \
	"  \"sampled_s\": 0,\n" \
	"  \"dropped\": 2,\n" \
	"  \"errors\": 1,\n" \
	"  \"unidentified\": 0,\n" \
	"  \"mode\": \"cpu\",\n" \
	"  \"functions\": [\n" \
	"    {\"name\": \"say \\\"hi\\\"\\t\", \"file\": \"dir/\xc3\xbcn\xc3\xaf.py\", \"line\": 7, \"kind\": \"python\", \"own\": 3, \"total\": 3, \"own_pct\": 75, \"total_pct\": 75, \"own_s\": 0.03, \"total_s\": 0.03},\n" \
	"    {\"name\": \"work\", \"file\": \"app.py\", \"line\": 10, \"kind\": \"python\", \"own\": 1, \"total\": 1, \"own_pct\": 25, \"total_pct\": 25, \"own_s\": 0.01, \"total_s\": 0.01},\n" \
	"    {\"name\": \"main\", \"file\": \"app.py\", \"line\": 1, \"kind\": \"python\", \"own\": 0, \"total\": 4, \"own_pct\": 0, \"total_pct\": 100, \"own_s\": 0, \"total_s\": 0.04}\n" \
	"  ],\n" \
	"  \"lines\": [\n" \
	"    {\"name\": \"say \\\"hi\\\"\\t\", \"file\": \"dir/\xc3\xbcn\xc3\xaf.py\", \"line\": 8, \"kind\": \"python\", \"own\": 3, \"own_pct\": 75},\n" \
	"    {\"name\": \"work\", \"file\": \"app.py\", \"line\": 12, \"kind\": \"python\", \"own\": 1, \"own_pct\": 25}\n" \
	"  ],\n" \
	"  \"threads\": [\n"
#define WANT_JSON_GIL \
	"  ],\n" \
	"  \"gil\": {\n" \
	"    \"state\": \"read\",\n" \
	"    \"utilisation_pct\": 75,\n" \
	"    \"switches_per_s\": 100,\n" \
	"    \"rounds\": 4,\n" \
	"    \"held_rounds\": 3,\n"

static const char want_json[] =
	WANT_JSON_HEAD
	"    {\"tid\": 10, \"name\": \"Ma\xef\xbf\xbdin\", \"samples\": 4, \"time_s\": 0.03, \"cpu_s\": 0, \"wall_s\": 0.04, \"states\": {\"running\": 3, \"idle\": 1, \"gil_wait\": 0, \"unknown\": 0}, \"holding_gil\": 3, \"gil\": {\"holding_pct\": 75, \"holding_blocked_pct\": 0, \"waiting_pct\": 0, \"native_pct\": 0, \"idle_pct\": 25}},\n"
	"    {\"tid\": 20, \"name\": \"Worker\", \"samples\": 2, \"time_s\": 0.01, \"cpu_s\": 0, \"wall_s\": 0.02, \"states\": {\"running\": 1, \"idle\": 0, \"gil_wait\": 1, \"unknown\": 0}, \"holding_gil\": 0, \"gil\": {\"holding_pct\": 0, \"holding_blocked_pct\": 0, \"waiting_pct\": 50, \"native_pct\": 50, \"idle_pct\": 0}}\n"
	WANT_JSON_GIL
	"    \"conflicts\": 0\n"
	"  }\n"
	"}\n";

static const char want_text_gilstat[] =
	"\n"
	"gilstat: sampled estimate, resolution 500us (2000 Hz, 1990.5 Hz achieved), over 1.00s, 200.0 switches/s\n"
	"A thread that lets the GIL go and takes it back between two ticks (a short system call or C call, "
	"nobody taking it meanwhile) is not seen doing so: takecnt is a lower bound (>=), holdavg and takeavg "
	"upper bounds (<=), to a tick's resolution; --gilstat=exact counts every one\n"
	"     TID  Name              takecnt  takes/s  holdavg hold_all  takeavg take_all   hold%   wait%\n"
	"      10  Ma\\xffin            >=100    100.0  <=5.0ms    500ms  <=4.0ms    400ms   50.0%   40.0%\n"
	"      20  Worker              >=100    100.0  <=4.5ms    450ms  <=4.5ms    450ms   45.0%   45.0%\n"
	"      30  -                     >=0      0.0       0s       0s       0s       0s    0.0%    0.0%\n"
	"Warnings: 1 (holds over 10ms, waits over 10ms); the latest:\n"
	"  at 250ms: tid 10 held the GIL for 13ms\n";
static const char want_json_gilstat[] =
	WANT_JSON_HEAD
	"    {\"tid\": 10, \"name\": \"Ma\xef\xbf\xbdin\", \"samples\": 4, \"time_s\": 0.03, \"cpu_s\": 0, \"wall_s\": 0.04, \"states\": {\"running\": 3, \"idle\": 1, \"gil_wait\": 0, \"unknown\": 0}, \"holding_gil\": 3, \"gil\": {\"holding_pct\": 75, \"holding_blocked_pct\": 0, \"waiting_pct\": 0, \"native_pct\": 0, \"idle_pct\": 25, \"takecnt\": 100, \"holdavg_ms\": 5, \"holdavg_resolved\": true, \"takecnt_lower_bound\": true, \"hold_all_ms\": 500, \"takeavg_ms\": 4, \"take_all_ms\": 400, \"takes_per_s\": 100, \"gilstat_partial\": false, \"hold_pct\": 50, \"wait_pct\": 40, \"max_hold_ms\": 12.5, \"max_take_ms\": 6, \"long_holds\": 1, \"long_takes\": 0}},\n"
	"    {\"tid\": 20, \"name\": \"Worker\", \"samples\": 2, \"time_s\": 0.01, \"cpu_s\": 0, \"wall_s\": 0.02, \"states\": {\"running\": 1, \"idle\": 0, \"gil_wait\": 1, \"unknown\": 0}, \"holding_gil\": 0, \"gil\": {\"holding_pct\": 0, \"holding_blocked_pct\": 0, \"waiting_pct\": 50, \"native_pct\": 50, \"idle_pct\": 0, \"takecnt\": 100, \"holdavg_ms\": 4.5, \"holdavg_resolved\": true, \"takecnt_lower_bound\": true, \"hold_all_ms\": 450, \"takeavg_ms\": 4.5, \"take_all_ms\": 450, \"takes_per_s\": 100, \"gilstat_partial\": false, \"hold_pct\": 45, \"wait_pct\": 45, \"max_hold_ms\": 5, \"max_take_ms\": 5.5, \"long_holds\": 0, \"long_takes\": 0}}\n"
	WANT_JSON_GIL
	"    \"conflicts\": 0,\n"
	"    \"gilstat\": {\"mode\": \"sampled\", \"estimate\": true, \"resolution_ms\": 0.5, \"rate_hz\": 2000, \"achieved_hz\": 1990.5, \"duration_s\": 1, \"switches\": 200, \"switches_per_s\": 200, \"takes_given\": 200, \"takecnt_lower_bound\": true, \"events\": 0, \"lost\": 0, "
	"\"threads_folded\": {\"threads\": 1, \"evicted\": 0, \"takecnt\": 0, \"takes_per_s\": 0, \"hold_all_ms\": 0, \"take_all_ms\": 0, \"hold_pct\": 0, \"wait_pct\": 0, \"max_hold_ms\": 0, \"max_take_ms\": 0, \"long_holds\": 0, \"long_takes\": 0}, "
	"\"totals\": {\"threads\": 3, \"takecnt\": 200, \"hold_all_ms\": 950, \"take_all_ms\": 850, \"hold_pct\": 95, \"wait_pct\": 85}, \"threads_partial\": 0, "
	"\"late\": 0, \"cpu_s\": 0, \"take_warn_ms\": 10, \"hold_warn_ms\": 10, \"warnings\": 1, \"recent_warnings\": [{\"tid\": 10, \"kind\": \"hold\", \"duration_ms\": 12.5, \"at_s\": 0.25}]}\n"
	"  }\n"
	"}\n";

static const char want_collapsed[] =
	"main (app.py:3);say \"hi\"\\t (dir/\xc3\xbcn\xc3\xaf.py:8) 30000\n"
	"main (app.py:3);work (app.py:12) 10000\n";

static void test_writers(void)
{
	struct aggregate *a = make_stream();
	struct aggregate *empty = aggregate_create(AGG_MODE_CPU, 10000000);
	char *out;
	int rc;

	out = capture(text_write, a, &meta, &rc);
	tap_is(rc, 0, "text_write succeeds");
	tap_str(out, want_text, "text output exact");
	free(out);
	out = capture(json_write, a, &meta, &rc);
	tap_is(rc, 0, "json_write succeeds");
	tap_str(out, want_json, "json output exact");
	free(out);
	out = capture(collapsed_write, a, &meta, &rc);
	tap_is(rc, 0, "collapsed_write succeeds");
	tap_str(out, want_collapsed, "collapsed output exact (cpu mode: counted samples' time in us, sorted)");
	free(out);

	/* The samples lost, by kind, in the overhead object. */
	struct snapshot_meta costed = meta;
	costed.sampler_cpu_s = 0.5;
	costed.errors_kind[ERR_TORN] = 3;
	costed.errors_kind[ERR_UNREADABLE] = 2;
	costed.errors_kind[ERR_OTHER] = 1;
	out = capture(json_write, a, &costed, &rc);
	tap_ok(rc == 0 && strstr(out, "\"errors_by_kind\": {\"torn\": 3, \"unreadable\": 2, \"other\": 1}\n  },"),
	       "json: overhead.errors_by_kind, the last of overhead, by enum error_kind");
	free(out);
	costed.errors = 6;
	out = capture(text_write, a, &costed, &rc);
	tap_ok(rc == 0 && strstr(out, "\nErrors:   6 (3 torn, 2 unreadable, 1 other)\n"),
	       "text: the errors by kind when they add up to the snapshot's errors");
	free(out);
	costed.errors = 7;      /* --every: the interval's errors, the kinds since attach */
	out = capture(text_write, a, &costed, &rc);
	tap_ok(rc == 0 && strstr(out, "\nErrors:   7\n"), "text: no kinds when they do not add up to the errors");
	free(out);
	/* A run that lost every sample still says why. */
	costed.samples = 0;
	out = capture(json_write, a, &costed, &rc);
	tap_ok(rc == 0 && strstr(out, "\"us_per_sample\": null,\n    \"reads_per_sample\": null,")
	       && strstr(out, "\"errors_by_kind\": {\"torn\": 3, \"unreadable\": 2, \"other\": 1}"),
	       "json: overhead without a sample: per-sample costs null, errors_by_kind kept");
	free(out);

	struct snapshot_meta limited = meta;
	limited.thread_limit = 1024;
	limited.threads_not_sampled = 77;
	out = capture(text_write, a, &limited, &rc);
	tap_ok(rc == 0 && strstr(out, "Errors:   1\nLimit:    77 threads not sampled (a round samples at most 1024)\n"),
	       "text: the thread limit is stated when threads were left out");
	free(out);
	out = capture(json_write, a, &limited, &rc);
	tap_ok(rc == 0 && strstr(out, "\"thread_limit\": 1024,\n  \"threads_not_sampled\": 77,"),
	       "json: thread_limit and threads_not_sampled");
	free(out);

	struct snapshot_meta folded = meta;
	folded.threads_folded = 40;
	folded.folded.samples = 200;
	folded.folded.counted_ns = 150000000;
	folded.folded.cpu_ns = 150000000;
	folded.folded.states[THREAD_RUNNING] = 150;
	folded.folded.states[THREAD_IDLE] = 50;
	folded.folded.holding_gil = 100;
	folded.folded.gil[GIL_HOLDING] = 100;
	folded.folded.gil[GIL_IDLE] = 100;
	out = capture(text_write, a, &folded, &rc);
	tap_ok(rc == 0 && strstr(out, "Folded:   40 ended threads into one count (200 samples, 150ms CPU)"),
	       "text: the Folded: line");
	tap_ok(rc == 0 && strstr(out, "       -  (40 folded)           200    75.0%    25.0%     0.0%    50.0%    150ms    150ms\n"),
	       "text: the folded threads' row in the thread table, as a thread's");
	tap_ok(rc == 0 && strstr(out, "       -  (40 folded)         50.0%"),
	       "text: the folded threads' row in the GIL table");
	free(out);
	out = capture(json_write, a, &folded, &rc);
	tap_ok(rc == 0 && strstr(out, "\"threads_folded\": {\n    \"threads\": 40,\n    \"samples\": 200,\n    \"time_s\": 0.15,\n"
				     "    \"cpu_s\": 0.15,\n    \"wall_s\": 0,\n    \"states\": {\"running\": 150, \"idle\": 50, "
				     "\"gil_wait\": 0, \"unknown\": 0},\n    \"holding_gil\": 100,\n    \"gil\": {\"holding_pct\": 50, "
				     "\"holding_blocked_pct\": 0, \"waiting_pct\": 0, \"native_pct\": 0, \"idle_pct\": 50}\n  },"),
	       "json: threads_folded has a thread row's keys (states, holding_gil, gil shares)");
	free(out);

	struct snapshot_meta with_gilstat = meta;
	with_gilstat.gilstat = &gilstat_numbers;
	out = capture(text_write, a, &with_gilstat, &rc);
	tap_ok(rc == 0 && strlen(out) > strlen(want_text) && strncmp(out, want_text, strlen(want_text)) == 0,
	       "text --gilstat: the same report first");
	tap_str(out + (rc == 0 && strlen(out) > strlen(want_text) ? strlen(want_text) : 0), want_text_gilstat,
		"text --gilstat: then the gilstat table, exact");
	free(out);
	out = capture(json_write, a, &with_gilstat, &rc);
	tap_is(rc, 0, "json_write --gilstat succeeds");
	tap_str(out, want_json_gilstat, "json --gilstat output exact");
	free(out);

	/* Threads gilstat folded (evicted from its full table): one row in
	 * text, in JSON's threads_folded with the unlisted thread 30, and in
	 * every total; overflow and unobserved threads said. */
	static struct gilstat_snapshot gfolded;
	gfolded = gilstat_numbers;
	gfolded.threads_folded = 600;
	gfolded.folded = (struct gilstat_thread){ .takecnt = 120, .hold_ns = 240000000, .wait_ns = 120000000,
						 .max_hold_ns = 3000000, .max_wait_ns = 2000000, .long_waits = 2 };
	gfolded.overflow = 7;
	gfolded.unlisted = 3;
	with_gilstat.gilstat = &gfolded;
	out = capture(text_write, a, &with_gilstat, &rc);
	if (!tap_ok(rc == 0 && strstr(out, "      30  -                     >=0      0.0       0s       0s       0s       0s    0.0%    0.0%\n"
					    "   ended  (600 threads)       >=120    120.0  <=2.0ms    240ms  <=1.0ms    120ms   24.0%   12.0%\n"
					    "7 thread observations not accounted: gilstat's table of 512 threads was full of busy threads\n"
					    "3 threads past the first 511 not observed (their waits not seen)\n"),
		    "text: the folded threads' row under the threads, overflow and unobserved threads said"))
		printf("# %s\n", out);
	free(out);
	out = capture(json_write, a, &with_gilstat, &rc);
	if (!tap_ok(rc == 0 && strstr(out, "\"takes_given\": 320, ") &&
		    strstr(out, "\"threads_folded\": {\"threads\": 601, \"evicted\": 600, \"takecnt\": 120, \"takes_per_s\": 120, "
				"\"hold_all_ms\": 240, \"take_all_ms\": 120, \"hold_pct\": 24, \"wait_pct\": 12, \"max_hold_ms\": 3, "
				"\"max_take_ms\": 2, \"long_holds\": 0, \"long_takes\": 2}, "
				"\"totals\": {\"threads\": 603, \"takecnt\": 320, \"hold_all_ms\": 1190, \"take_all_ms\": 970, "
				"\"hold_pct\": 119, \"wait_pct\": 97}, \"threads_partial\": 0, \"overflow\": 7, \"threads_unobserved\": 3, "),
		    "json: gilstat's threads_folded (evicted and unlisted), totals with them, overflow, unobserved"))
		printf("# %s\n", out);
	free(out);

	out = capture(text_write, empty, &meta, &rc);
	tap_ok(rc == 0 && strstr(out, "(no samples)\n"), "text: empty aggregate");
	free(out);
	out = capture(json_write, empty, &meta, &rc);
	tap_ok(rc == 0 && strstr(out, "\"functions\": [],\n  \"lines\": [],\n  \"threads\": [],\n"
				  "  \"gil\": {\n    \"state\": \"unknown\","),
	       "json: empty arrays, GIL state unknown");
	free(out);
	out = capture(collapsed_write, empty, &meta, &rc);
	tap_ok(rc == 0 && strcmp(out, "") == 0, "collapsed: empty aggregate writes nothing");
	free(out);
	aggregate_destroy(a);
	aggregate_destroy(empty);
}

/* One sample with its round time and CPU, frames innermost first. */
static void sample_cpu(struct aggregate *a, uint32_t tid, uint64_t t_ns, uint64_t cpu_ns, const char *frames)
{
	feed_sample(a, &(struct sample_rec){ .tid = tid, .state = THREAD_RUNNING, .flags = SAMPLE_F_CPU,
					     .time_ns = t_ns, .cpu_ns = cpu_ns }, frames);
}

/* Four threads with the same stack all along, 1 ms rounds: spin has a core
 * (1 ms a round), share a quarter of one, odd ran 1.5 us and tiny 0.3 us
 * once; then all end (what was not given yet goes to their stacks). */
static struct aggregate *make_cpu_split(enum agg_mode mode)
{
	struct aggregate *a = aggregate_create(mode, 1000000);

	feed_func(a, 1, "spin", "c.py", 1);
	feed_func(a, 2, "share", "c.py", 5);
	feed_func(a, 3, "odd", "c.py", 20);
	feed_func(a, 4, "tiny", "c.py", 30);
	feed_func(a, 5, "main", "c.py", 9);
	for (uint64_t r = 1; r <= 4; r++) {
		sample_cpu(a, 7, r * 1000000, 1000000, "1:2 5:10");
		sample_cpu(a, 8, r * 1000000, 250000, "2:6 5:11");
		if (r == 1) {
			sample_cpu(a, 9, r * 1000000, 1500, "3:21 5:12");
			sample_cpu(a, 10, r * 1000000, 300, "4:31 5:13");
		}
		feed_tick(a, &(struct tick_rec){ .time_ns = r * 1000000, .duration_ns = 10000 });
	}
	for (uint32_t tid = 7; tid <= 10; tid++)
		feed_sample(a, &(struct sample_rec){ .tid = tid, .state = THREAD_UNKNOWN,
						     .flags = SAMPLE_F_CPU | SAMPLE_F_ENDED }, "");
	return a;
}

/* collapsed weighs a stack by what the mode measures: CPU time in whole
 * microseconds in cpu mode (the same samples, CPU 4:1: 4000 vs 1000), the
 * sample count in wall mode. */
static void test_collapsed_weights(void)
{
	struct aggregate *a = make_cpu_split(AGG_MODE_CPU);
	char *out;
	int rc;

	out = capture(collapsed_write, a, &meta, &rc);
	tap_is(rc, 0, "collapsed cpu: succeeds");
	tap_str(out, "main (c.py:10);spin (c.py:2) 4000\n"
		"main (c.py:11);share (c.py:6) 1000\n"
		"main (c.py:12);odd (c.py:21) 2\n",
		"collapsed cpu: weights are CPU us, not samples (1.5 us rounds to 2; 0.3 us left out)");
	free(out);
	aggregate_destroy(a);
	a = make_cpu_split(AGG_MODE_WALL);
	out = capture(collapsed_write, a, &meta, &rc);
	tap_str(out, "main (c.py:10);spin (c.py:2) 4\n"
		"main (c.py:11);share (c.py:6) 4\n"
		"main (c.py:12);odd (c.py:21) 1\n"
		"main (c.py:13);tiny (c.py:31) 1\n",
		"collapsed wall: weights are sample counts");
	free(out);
	aggregate_destroy(a);
}

/* JSON says what kind of function a row is: python, native or marker. */
static void test_json_kind(void)
{
	struct aggregate *a = aggregate_create(AGG_MODE_WALL, 10000000);
	char *out;
	int rc;

	feed_func_kind(a, 1, "main", "app.py", 1, FUNC_KIND_PYTHON);
	feed_func_kind(a, 2, "memcpy", "libc.so.6", 0, FUNC_KIND_NATIVE);
	feed_func_kind(a, 3, "(5 frames truncated)", "", 0, FUNC_KIND_MARKER);
	sample(a, 10, THREAD_RUNNING, 0, "2:0 1:3");
	sample(a, 10, THREAD_RUNNING, SAMPLE_F_TRUNCATED, "1:4 3:0");
	tick(a, 0, 0, 0);
	out = capture(json_write, a, &meta, &rc);
	tap_ok(rc == 0 && strstr(out, "{\"name\": \"memcpy\", \"file\": \"libc.so.6\", \"line\": 0, "
				  "\"kind\": \"native\", \"own\": 1, \"total\": 1,"),
	       "json: a native function says kind native");
	tap_ok(rc == 0 && strstr(out, "{\"name\": \"(5 frames truncated)\", \"file\": \"\", \"line\": 0, "
				  "\"kind\": \"marker\", \"own\": 0, \"total\": 1,"),
	       "json: the truncation marker says kind marker");
	tap_ok(rc == 0 && strstr(out, "{\"name\": \"main\", \"file\": \"app.py\", \"line\": 1, "
				  "\"kind\": \"python\", \"own\": 1, \"total\": 2,"),
	       "json: a Python function says kind python");
	tap_ok(rc == 0 && strstr(out, "{\"name\": \"memcpy\", \"file\": \"libc.so.6\", \"line\": 0, "
				  "\"kind\": \"native\", \"own\": 1, \"own_pct\": 50}"),
	       "json: so do the lines");
	free(out);
	aggregate_destroy(a);
}

/* The GIL section's other faces: a thread blocked holding the GIL is
 * marked, a free-threaded build says it has no GIL, exact gilstat says so. */
static void test_gil_text(void)
{
	struct aggregate *a = aggregate_create(AGG_MODE_WALL, 10000000);
	struct snapshot_meta m = meta;
	struct gilstat_snapshot exact = { .mode = GILSTAT_EXACT, .elapsed_ns = 2000000000, .switches = 10,
					  .events = 30, .lost = 1, .unfollowed = 7 };
	char *out;
	int rc;

	feed_func(a, 1, "main", "app.py", 1);
	sample(a, 10, THREAD_IDLE, SAMPLE_F_HOLDS_GIL, "1:2");
	tick(a, 0, 5, 1);
	sample(a, 10, THREAD_IDLE, SAMPLE_F_HOLDS_GIL, "1:2");
	tick(a, 10, 5, 1);
	m.gilstat = &exact;
	out = capture(text_write, a, &m, &rc);
	if (!tap_ok(rc == 0 && strstr(out, "      10  -                    0.0%   100.0%     0.0%     0.0%     0.0%  !\n"
					    "! HoldBlk: blocked holding the GIL: in a system call (C code that keeps it), or stopped"),
		    "text: a thread blocked holding the GIL is marked and explained"))
		printf("# %s\n", out);
	tap_ok(strstr(out, "\ngilstat: exact (uprobes on take_gil/drop_gil), over 2.00s, 5.0 switches/s; "
			   "30 events, 1 lost\n") != NULL, "text: exact gilstat says exact");
	tap_ok(strstr(out, "\nWarnings: none (holds off, waits off)\n") != NULL, "text: warnings off");
	tap_ok(strstr(out, "\n7 threads not followed (they ended before their uprobe events were open, "
			   "or the open failed: their takes not seen)\n") != NULL, "text: exact's threads not followed");
	free(out);
	out = capture(json_write, a, &m, &rc);
	tap_ok(rc == 0 && strstr(out, "\"threads_not_followed\": 7"), "json: exact's threads_not_followed");
	free(out);
	aggregate_destroy(a);

	a = aggregate_create(AGG_MODE_WALL, 10000000);
	sample(a, 10, THREAD_RUNNING, 0, "");
	feed_tick(a, &(struct tick_rec){ .gil_flags = TICK_GIL_KNOWN | TICK_GIL_DISABLED });
	out = capture(text_write, a, &meta, &rc);
	tap_ok(rc == 0 && strstr(out, "\nGIL: none (a free-threaded build running without the GIL)\n") &&
	       !strstr(out, "HoldBlk"), "text: a free-threaded build has no GIL table");
	free(out);
	out = capture(json_write, a, &meta, &rc);
	tap_ok(rc == 0 && strstr(out, "\"gil\": {\n    \"state\": \"none\","), "json: state none");
	free(out);
	aggregate_destroy(a);
}

/* jsonw_escape of n bytes into a string. */
static char *esc(const char *s, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	jsonw_escape(f, s, n);
	fclose(f);
	return buf;
}

#define ESC(in, want, what) do { \
	char *e_ = esc(in, sizeof(in) - 1); \
	tap_str(e_, want, what); \
	free(e_); \
} while (0)

static void test_escape(void)
{
	ESC("plain", "\"plain\"", "plain ASCII");
	ESC("a\"b\\c/", "\"a\\\"b\\\\c/\"", "quote and backslash");
	ESC("\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\"", "short escapes");
	ESC("\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"", "other control characters and DEL as \\u00XX");
	ESC("\x1b]0;t\x07\xc2\x9b" "2J", "\"\\u001b]0;t\\u0007\\u009b2J\"", "ESC, BEL and C1 CSI escaped");
	ESC("\xe2\x80\xae" "x", "\"\\u202ex\"", "bidi override escaped");
	ESC("a\0b", "\"a\\u0000b\"", "NUL inside a counted string");
	ESC("\xc3\xa9\xe2\x82\xac\xf0\x9f\x90\x8d", "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x90\x8d\"",
	    "valid 2, 3 and 4 byte UTF-8 passed through");
	ESC("\xef\xbf\xbf\xf4\x8f\xbf\xbf", "\"\xef\xbf\xbf\xf4\x8f\xbf\xbf\"", "U+FFFF and U+10FFFF");
	ESC("a\xff" "b", "\"a\xef\xbf\xbd" "b\"", "invalid byte replaced");
	ESC("\x80", "\"\xef\xbf\xbd\"", "lone continuation byte");
	ESC("\xc0\xaf", "\"\xef\xbf\xbd\xef\xbf\xbd\"", "overlong 2-byte: two replacements");
	ESC("\xe0\x80\xaf", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"", "overlong 3-byte");
	ESC("\xed\xa0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"", "UTF-16 surrogate refused");
	ESC("\xf4\x90\x80\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"",
	    "above U+10FFFF refused");
	ESC("\xe2\x82" "A", "\"\xef\xbf\xbd" "A\"", "truncated sequence: one replacement");
	ESC("x\xe2\x82", "\"x\xef\xbf\xbd\"", "truncated at the end of the string");
	ESC("\xf0\x9f\x90", "\"\xef\xbf\xbd\"", "truncated 4-byte sequence");
}

/* The text style of escape_step, through escape_text and escape_fputs. */
#define TXT(in, want, what) do { \
	char b_[128]; \
	size_t n_ = escape_text(b_, sizeof(b_), in); \
	tap_str(b_, want, "text escape: " what); \
	tap_is(n_, strlen(want), "text escape: " what " (length)"); \
} while (0)

static void test_escape_text(void)
{
	char small[6], *buf = NULL;
	size_t len = 0, n;
	FILE *f;

	TXT("plain caf\xc3\xa9 \xf0\x9f\x90\x8d", "plain caf\xc3\xa9 \xf0\x9f\x90\x8d", "valid UTF-8 unchanged");
	TXT("a\x1b[2Jb\x1b]0;pwned\x07", "a\\x1b[2Jb\\x1b]0;pwned\\x07", "ESC and BEL");
	TXT("l1\nl2\r\tx", "l1\\nl2\\r\\tx", "newline, CR and tab");
	TXT("\x01\x7f\b", "\\x01\\x7f\\x08", "other C0 and DEL");
	TXT("\xc2\x85\xc2\x9b" "1m", "\\u0085\\u009b1m", "C1 controls (NEL, CSI)");
	TXT("\xe2\x80\xae" "abc\xe2\x81\xa6", "\\u202eabc\\u2066", "bidi override and isolate");
	TXT("\xff\xfe", "\\xff\\xfe", "invalid bytes");
	TXT("x\xe2\x82", "x\\xe2\\x82", "truncated sequence, byte by byte");
	TXT("\xc0\xaf", "\\xc0\\xaf", "overlong");
	TXT("back\\slash \"q\"", "back\\slash \"q\"", "backslash and quotes unchanged in text");
	n = escape_text(small, sizeof(small), "ab\x1b" "cd");
	tap_ok(n == 8 && strcmp(small, "ab") == 0, "escape_text cuts on a whole escape (%zu, \"%s\")", n, small);
	n = escape_text(small, sizeof(small), NULL);
	tap_ok(n == 0 && small[0] == '\0', "escape_text of NULL is empty");
	f = open_memstream(&buf, &len);
	n = escape_fputs(f, "t\x1b\n");
	fclose(f);
	tap_ok(n == 7 && strcmp(buf, "t\\x1b\\n") == 0, "escape_fputs writes and counts the escaped form");
	free(buf);
	tap_ok(escape_is_control(0x1b) && escape_is_control(0x7f) && escape_is_control(0x9f) &&
	       escape_is_control(0x202e) && !escape_is_control(0xa0) && !escape_is_control('a') &&
	       !escape_is_control(0x2028 + 0x100), "escape_is_control: C0, DEL, C1, bidi; not NBSP or letters");
}

static char *mem_buf;
static size_t mem_len;

static struct jsonw *mem_writer(FILE **f, int pretty)
{
	struct jsonw *w;

	*f = open_memstream(&mem_buf, &mem_len);
	w = jsonw_new(*f);
	jsonw_set_pretty(w, pretty);
	return w;
}

static void test_writer(void)
{
	struct jsonw *w;
	FILE *f;
	int rc, i;

	w = mem_writer(&f, 0);
	jsonw_begin_object(w);
	jsonw_key(w, "a");
	jsonw_int(w, -5);
	jsonw_key(w, "b");
	jsonw_begin_array(w);
	jsonw_uint(w, UINT64_MAX);
	jsonw_double(w, 0.5);
	jsonw_double(w, 1.0 / 0.0);
	jsonw_bool(w, true);
	jsonw_bool(w, false);
	jsonw_null(w);
	jsonw_string(w, NULL);
	jsonw_string_len(w, "xyz", 2);
	jsonw_begin_object(w);
	jsonw_end_object(w);
	jsonw_begin_array(w);
	jsonw_end_array(w);
	jsonw_end_array(w);
	jsonw_end_object(w);
	rc = jsonw_free(w);
	fclose(f);
	tap_is(rc, 0, "compact: no error");
	tap_str(mem_buf, "{\"a\":-5,\"b\":[18446744073709551615,0.5,null,true,false,null,null,\"xy\",{},[]]}",
		"compact layout");
	free(mem_buf);

	w = mem_writer(&f, 1);
	jsonw_begin_object(w);
	jsonw_key(w, "x");
	jsonw_begin_array(w);
	jsonw_int(w, 1);
	jsonw_int(w, 2);
	jsonw_end_array(w);
	jsonw_key(w, "y");
	jsonw_begin_object(w);
	jsonw_end_object(w);
	jsonw_end_object(w);
	rc = jsonw_free(w);
	fclose(f);
	tap_is(rc, 0, "pretty 1: no error");
	tap_str(mem_buf, "{\n  \"x\": [1, 2],\n  \"y\": {}\n}", "pretty 1 layout");
	free(mem_buf);

	/* Deep nesting grows the container stack. */
	w = mem_writer(&f, 0);
	for (i = 0; i < 100; i++)
		jsonw_begin_array(w);
	for (i = 0; i < 100; i++)
		jsonw_end_array(w);
	rc = jsonw_free(w);
	fclose(f);
	tap_ok(rc == 0 && mem_len == 200 && mem_buf[99] == '[' && mem_buf[100] == ']',
	       "100 nested arrays");
	free(mem_buf);

	w = mem_writer(&f, 0);
	jsonw_begin_object(w);
	jsonw_int(w, 1);
	jsonw_end_object(w);
	rc = jsonw_free(w);
	fclose(f);
	tap_is(rc, PYTOP_EINVAL, "value without a key is misuse");
	free(mem_buf);

	w = mem_writer(&f, 0);
	jsonw_begin_array(w);
	jsonw_key(w, "k");
	rc = jsonw_free(w);
	fclose(f);
	tap_is(rc, PYTOP_EINVAL, "key in an array is misuse");
	free(mem_buf);

	w = mem_writer(&f, 0);
	jsonw_begin_object(w);
	rc = jsonw_free(w);
	fclose(f);
	tap_is(rc, PYTOP_EINVAL, "unclosed object is misuse");
	free(mem_buf);

	w = mem_writer(&f, 0);
	jsonw_begin_array(w);
	jsonw_end_object(w);
	rc = jsonw_free(w);
	fclose(f);
	tap_is(rc, PYTOP_EINVAL, "mismatched close is misuse");
	free(mem_buf);

	w = mem_writer(&f, 0);
	jsonw_int(w, 1);
	jsonw_int(w, 2);
	rc = jsonw_free(w);
	fclose(f);
	tap_is(rc, PYTOP_EINVAL, "two top-level values is misuse");
	free(mem_buf);
}

static void test_time(void)
{
	static const struct {
		double s;
		const char *want;
	} cases[] = {
		{ 0, "0s" }, { -1, "0s" }, { 0.0000004, "0s" }, { 0.000850, "850us" },
		{ 0.0009996, "1.0ms" }, { 0.0045, "4.5ms" }, { 0.00996, "10ms" }, { 0.045, "45ms" },
		{ 0.9996, "1.00s" }, { 1.234, "1.23s" }, { 59.996, "1m00s" }, { 125, "2m05s" },
		{ 3599.6, "1h00m" }, { 3720, "1h02m" }, { 360000, "100h00m" },
	};
	char buf[32];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		tap_str(duration_format(buf, sizeof(buf), cases[i].s), cases[i].want,
			"time %g", cases[i].s);
}

/* The format table: names, extensions and writers (output/formats.h). */
static void test_formats(void)
{
	size_t n, i;
	const struct output_format *f = formats_table(&n);
	char buf[128];

	tap_ok(n >= 3 && f == formats_default() && strcmp(f->name, "text") == 0, "formats: text first, the default");
	for (i = 0; i < n; i++)
		tap_ok(f[i].write && f[i].label && f[i].description && f[i].exts[0] && formats_find(f[i].name) == &f[i] &&
		       formats_for_path(f[i].exts[0]) == &f[i], "formats: %s is complete and found by name and extension",
		       f[i].name);
	tap_ok(formats_find("xml") == NULL, "formats: an unknown name is not found");
	tap_str(formats_for_path("out.folded")->name, "collapsed", "formats: .folded is collapsed");
	tap_str(formats_for_path("out.json")->name, "json", "formats: .json is json");
	tap_str(formats_for_path("out.svg")->name, "svg", "formats: .svg is svg");
	tap_str(formats_for_path("out.json.bak")->name, "text", "formats: another extension is text");
	tap_str(formats_for_path("noext")->name, "text", "formats: no extension is text");
	tap_str(formats_for_path("out.speedscope.json")->name, "speedscope", "formats: .speedscope.json before .json");
	tap_str(formats_for_path("web-20240101T000000.pb.gz")->name, "pprof", "formats: .pb.gz is pprof");
	tap_str(formats_for_path("x.pprof")->name, "pprof", "formats: .pprof is pprof");
	tap_str(formats_for_path("x.gz")->name, "text", "formats: .gz alone is text");
	tap_str(formats_for_path("PROFILE.SVG")->name, "svg", "formats: endings in any case (.SVG is svg)");
	tap_str(formats_for_path("x.Speedscope.JSON")->name, "speedscope", "formats: .Speedscope.JSON is speedscope");
	tap_str(formats_names(buf, sizeof(buf), 1), "text (default), json, collapsed, svg, speedscope or pprof",
		"formats: the usage line");
	tap_str(formats_names(buf, sizeof(buf), 0), "text, json, collapsed, svg, speedscope or pprof",
		"formats: the error message's list");
}

/* The value of attribute name in the first element <tag ...> after from
 * whose attributes include marker (or the first <tag at all when marker
 * is NULL), copied to out; "" when there is none. */
static const char *svg_attr(const char *from, const char *tag, const char *marker, const char *name,
			    char *out, size_t cap)
{
	char open[32], key[32];
	const char *p = from, *end, *v;

	snprintf(open, sizeof(open), "<%s ", tag);
	snprintf(key, sizeof(key), " %s=\"", name);
	out[0] = '\0';
	while ((p = strstr(p, open)) != NULL) {
		end = strchr(p, '>');
		if (!end)
			break;
		if (!marker || (strstr(p, marker) && strstr(p, marker) < end)) {
			v = strstr(p, key);
			if (v && v < end) {
				v += strlen(key);
				snprintf(out, cap, "%.*s", (int)(strchr(v, '"') - v), v);
			}
			return out;
		}
		p = end;
	}
	return out;
}

/* Nothing counted (an idle target in cpu mode, a fresh live view): the
 * flame graph's root spans the width (no NaN from a zero total), and the
 * details line says why it is empty. */
static void test_svg_empty(void)
{
	static const enum agg_mode modes[] = { AGG_MODE_CPU, AGG_MODE_WALL, AGG_MODE_GIL };
	static const char *const names[] = { "cpu", "wall", "gil" };

	for (size_t i = 0; i < 3; i++) {
		struct aggregate *a = aggregate_create(modes[i], 10000000);
		struct snapshot_meta m = meta;
		char x[32], w[32], want[64], *out, *frames;
		int rc;

		m.mode = names[i];
		feed_func(a, 1, "sleeper", "s.py", 1);
		/* An idle thread: counted in wall mode only; wall gets none. */
		if (modes[i] != AGG_MODE_WALL)
			sample(a, 1, THREAD_IDLE, 0, "1:2");
		out = capture(flamegraph_write, a, &m, &rc);
		frames = out ? strstr(out, "<g id=\"frames\">") : NULL;
		svg_attr(frames ? frames : "", "rect", NULL, "x", x, sizeof(x));
		svg_attr(frames ? frames : "", "rect", NULL, "width", w, sizeof(w));
		tap_ok(rc == 0 && frames && strcmp(x, "10.0") == 0 && strcmp(w, "1180.0") == 0,
		       "svg %s, nothing counted: the root's rect spans the width (x %s, width %s)", names[i], x, w);
		tap_ok(out && !strstr(out, "nan"), "svg %s, nothing counted: no NaN anywhere", names[i]);
		snprintf(want, sizeof(want), ">no samples were counted in %s mode</text>", names[i]);
		tap_ok(out && strstr(out, want), "svg %s, nothing counted: the details line says so", names[i]);
		free(out);
		aggregate_destroy(a);
	}
}

/* The fills of the flame graph's frames and the texts of its labels, in
 * document order (at most cap of each); returns how many rects. */
static size_t svg_frames(const char *svg, unsigned *fill, char (*label)[32], size_t cap, size_t *nlabels)
{
	const char *p = svg ? strstr(svg, "<g id=\"frames\">") : NULL, *end;
	size_t n = 0;

	*nlabels = 0;
	if (!p)
		return 0;
	end = strstr(p, "</g>");
	while (n < cap && (p = strstr(p, "fill=\"#")) && p < end)
		fill[n++] = (unsigned)strtoul(p + 7, NULL, 16), p++;
	p = strstr(end, "<g id=\"labels\">");
	end = p ? strstr(p, "</g>") : NULL;
	while (p && *nlabels < cap && (p = strstr(p, "<text ")) && p < end) {
		p = strchr(p, '>') + 1;
		snprintf(label[*nlabels], 32, "%.*s", (int)(strchr(p, '<') - p), p);
		(*nlabels)++;
	}
	return n;
}

/* rgb is base with the same shade d (-10..10) added to each channel. */
static bool svg_shade_of(unsigned rgb, unsigned base)
{
	int d = (int)(rgb >> 16) - (int)(base >> 16);

	return d >= -10 && d <= 10 && (int)(rgb >> 8 & 0xff) - (int)(base >> 8 & 0xff) == d &&
	       (int)(rgb & 0xff) - (int)(base & 0xff) == d;
}

/* Wall mode, the colours of blocked frames say what the legend says:
 * "mostly waiting for the GIL" is over half GIL-wait, "idle: mostly
 * blocked" over half blocked (idle and GIL waits together). main calls
 * four functions of 100 samples each: runner runs, waiter waits for the
 * GIL, sleeper is idle, mixed waits a third of its time; main itself is
 * a third GIL-wait and a quarter idle: blocked mostly, but not mostly
 * waiting for the GIL. */
static void test_svg_states(void)
{
	static const char *const want[] = { "all", "main", "mixed", "runner", "sleeper", "waiter" };
	struct aggregate *a = aggregate_create(AGG_MODE_WALL, 1000000);
	struct snapshot_meta m = meta;
	unsigned fill[8];
	char label[8][32], *out;
	size_t n, nl, k;
	uint64_t t = 0;
	int rc;

	m.mode = "wall";
	feed_func(a, 1, "main", "m.py", 1);
	feed_func(a, 2, "runner", "m.py", 5);
	feed_func(a, 3, "waiter", "m.py", 9);
	feed_func(a, 4, "sleeper", "m.py", 13);
	feed_func(a, 5, "mixed", "m.py", 20);
	for (int i = 0; i < 100; i++) {
		const int mixed = i % 3 ? THREAD_RUNNING : THREAD_GIL_WAIT;

		t += 1000000;
		feed_sample(a, &(struct sample_rec){ .tid = 1, .state = THREAD_RUNNING, .time_ns = t,
						     .flags = SAMPLE_F_HOLDS_GIL }, "2:6 1:2");
		feed_sample(a, &(struct sample_rec){ .tid = 2, .state = THREAD_GIL_WAIT, .time_ns = t }, "3:10 1:2");
		feed_sample(a, &(struct sample_rec){ .tid = 3, .state = THREAD_IDLE, .time_ns = t }, "4:14 1:2");
		feed_sample(a, &(struct sample_rec){ .tid = 4, .state = (uint8_t)mixed, .time_ns = t }, "5:21 1:2");
		feed_tick(a, &(struct tick_rec){ .time_ns = t, .duration_ns = 10000 });
	}
	out = capture(flamegraph_write, a, &m, &rc);
	n = svg_frames(out, fill, label, 8, &nl);
	for (k = 0; k < 6 && k < nl && strcmp(label[k], want[k]) == 0; k++)
		;
	tap_ok(rc == 0 && n == 6 && nl == 6 && k == 6, "svg states: six frames, all/main/mixed/runner/sleeper/waiter");
	if (n == 6 && k == 6) {
		tap_ok(svg_shade_of(fill[5], 0xb26fd6), "svg states: waiter (all GIL-wait) has the GIL-wait colour (#%06x)",
		       fill[5]);
		tap_ok(svg_shade_of(fill[4], 0x8fb8a0), "svg states: sleeper (all idle) has the idle colour (#%06x)", fill[4]);
		tap_ok(fill[3] >> 16 >= 205 && (fill[3] & 0xff) <= 55,
		       "svg states: runner keeps Python's warm colour (#%06x)", fill[3]);
		tap_ok(fill[2] >> 16 >= 205 && (fill[2] & 0xff) <= 55,
		       "svg states: mixed (a third GIL-wait) keeps Python's warm colour (#%06x)", fill[2]);
		tap_ok(svg_shade_of(fill[1], 0x8fb8a0),
		       "svg states: main (a third GIL-wait, a quarter idle) is mostly blocked: the idle colour, "
		       "not 'mostly waiting for the GIL' (#%06x)", fill[1]);
	} else {
		for (int i = 0; i < 5; i++)
			tap_ok(false, "svg states: colours (no frames to look at)");
	}
	free(out);
	aggregate_destroy(a);
}

int main(void)
{
	test_writers();
	test_collapsed_weights();
	test_json_kind();
	test_gil_text();
	test_escape();
	test_escape_text();
	test_writer();
	test_time();
	test_formats();
	test_svg_empty();
	test_svg_states();
	return tap_done();
}
