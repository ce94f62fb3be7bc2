/* test_ui_model: the live view without a terminal: a headless tui over an
 * aggregate fed known records, driven with keys and commands and drawn
 * into canvases of several sizes; checks the table order for each sort
 * key, the filter, the line view, following a thread, the drill-down
 * (callers, callees, lines, threads) and back, the prompt's completion,
 * the help screen generated from the key table, saving, the exited-target
 * banner, the layouts at 80x24, 60x14 and 160x48, and a detail across a
 * refresh. */
#include <curses.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sampling/aggregate.h"
#include "sampling/sample.h"
#include "records.h"
#include "screen.h"
#include "tap.h"
#include "ui/canvas.h"
#include "ui/keys.h"
#include "ui/tui.h"

/* frames "id:line id:line", innermost first, fed `times` times. */
static void sample(struct aggregate *a, uint32_t tid, int state, const char *frames, int times)
{
	while (times-- > 0)
		feed_sample(a, &(struct sample_rec){ .tid = tid, .state = (uint8_t)state }, frames);
}

/* MainThread (100): main -> work -> fib (hot, recursive) and work -> leaf;
 * Worker (200): loop -> leaf; Sleeper (300) idle. */
static void feed(struct aggregate *a)
{
	feed_func(a, 1, "main", "/app/main.py", 1);
	feed_func(a, 2, "work", "/app/main.py", 10);
	feed_func(a, 3, "fib", "/app/main.py", 20);
	feed_func(a, 4, "leaf", "/app/lib/helpers.py", 5);
	feed_func(a, 5, "loop", "/app/lib/helpers.py", 30);
	feed_func(a, 6, "nap", "/app/lib/helpers.py", 40);
	feed_thread(a, 100, "MainThread");
	feed_thread(a, 200, "Worker");
	feed_thread(a, 300, "Sleeper");
	sample(a, 100, THREAD_RUNNING, "3:21 3:22 2:12 1:5", 50);
	sample(a, 100, THREAD_RUNNING, "3:21 2:12 1:5", 10);
	sample(a, 100, THREAD_RUNNING, "4:6 2:13 1:5", 15);
	sample(a, 100, THREAD_RUNNING, "2:14 1:5", 5);
	sample(a, 100, THREAD_RUNNING, "1:7", 5);
	sample(a, 200, THREAD_RUNNING, "4:7 5:31", 15);
	sample(a, 300, THREAD_IDLE, "6:41", 30);
}

/* The function name of table row i (0 = first under the column titles). */
static const char *table_name(struct tui *t, size_t i)
{
	return i < t->m.nshown ? t->m.shown[i]->name : "(none)";
}

int main(void)
{
	struct aggregate *a = aggregate_create(AGG_MODE_CPU, 1000000);
	struct options o;
	struct canvas c;
	struct tui *t;
	int y;

	memset(&o, 0, sizeof(o));
	o.rate_hz = 1000;
	feed(a);
	t = tui_new(a, &o);
	t->m.pid = 4242;
	snprintf(t->m.python, sizeof(t->m.python), "3.11.7");
	snprintf(t->m.argv, sizeof(t->m.argv), "python3 app.py");
	tui_requery(t);             /* the window holds every sample above */
	canvas_init(&c, 80, 24, false);
	render(t, &c);

	/* Layout at 80x24. */
	y = find_row(&c, "Function (file:line)");
	tap_ok(y == 3, "80x24: the column titles under the 3-line header");
	tap_ok(strstr(row_of(&c, 3), "%Own") && strstr(row_of(&c, 3), "%Total") &&
	       strstr(row_of(&c, 3), "OwnTime") && strstr(row_of(&c, 3), "TotalTime"),
	       "80x24: %%Own %%Total OwnTime TotalTime Function");
	tap_ok(!screen_has(&c, "OwnSamples"), "80x24: no sample-count columns");
	tap_ok(strstr(row_of(&c, 4), "fib (/app/main.py:20)") != NULL, "the hot function (fib) is the top row");
	tap_ok(strstr(row_of(&c, 4), "60.0%") != NULL, "fib: %%Own 60.0 (60 of 100 counted samples)");
	tap_ok(screen_has(&c, "Threads") && screen_has(&c, "MainThread") && screen_has(&c, "Worker"),
	       "the threads pane lists the threads by name");
	tap_ok(screen_has(&c, "Stack of 100 MainThread"), "the stack pane shows the first thread's stack");
	tap_ok(screen_has(&c, "F1Help") && screen_has(&c, "F10Quit"), "the function-key bar");
	tap_ok(strstr(row_of(&c, 0), "PID 4242") && strstr(row_of(&c, 0), "Python 3.11.7"),
	       "header: PID and Python version");
	tap_ok(strstr(row_of(&c, 2), "Samples 130") != NULL, "header: samples (idle ones too)");
	if (!tap_ok(strstr(row_of(&c, 22), "functions") != NULL, "status line: what the table shows"))
		dump(&c);

	/* Sorting: each key reorders. */
	tui_key(t, '2');
	tap_str(table_name(t, 0), "main", "2: by %%Total, main first");
	tui_key(t, '2');
	tap_ok(t->m.reverse && strcmp(table_name(t, t->m.nshown - 1), "main") == 0, "2 again: reversed");
	tui_key(t, '3');
	tap_str(table_name(t, 0), "fib", "3: by OwnTime");
	tui_key(t, '4');
	tap_str(table_name(t, 0), "main", "4: by TotalTime");
	tui_key(t, 's');
	tap_ok(t->m.sort == SORT_NAME && strcmp(table_name(t, 0), "fib") == 0 &&
	       strcmp(table_name(t, 1), "leaf") == 0, "s: next, by name (fib, leaf, ...)");
	tui_key(t, 's');
	tap_ok(t->m.sort == SORT_FILE && strcmp(t->m.shown[0]->file, "/app/lib/helpers.py") == 0,
	       "s: next, by file");
	tui_key(t, 'S');
	tap_is(t->m.sort, SORT_NAME, "S: back to name");
	tui_key(t, '1');
	tap_str(table_name(t, 0), "fib", "1: by %%Own again");

	/* Filter. */
	tui_key(t, '/');
	keys(t, "lea");
	tap_ok(t->m.nshown == 1 && strcmp(table_name(t, 0), "leaf") == 0, "/lea: narrows as you type");
	tui_key(t, '\n');
	tap_str(t->m.filter, "lea", "Enter keeps the filter");
	tui_key(t, KEYS_ESC);
	tap_ok(t->m.filter[0] == 0 && t->m.nshown == 5, "Esc clears it (5 functions: nap only idles)");
	tui_key(t, '/');
	keys(t, "helpers");
	tui_key(t, '\n');
	tap_is(t->m.nshown, 2, "the filter matches file names too");
	tui_key(t, '/');
	tui_key(t, KEYS_ESC);
	tap_is(t->m.nshown, 5, "Esc in the filter prompt clears it");

	/* Save: w asks for the file; Tab steps the ending through the formats;
	 * Up does not reach the command history; Esc writes nothing. */
	tui_key(t, 'w');
	tap_ok(t->prompt.kind == PROMPT_SAVE && strncmp(t->prompt.le.buf, "pytop-4242-", 11) == 0 &&
	       strlen(t->prompt.le.buf) > 4 && strcmp(t->prompt.le.buf + strlen(t->prompt.le.buf) - 4, ".txt") == 0 &&
	       t->prompt.ncompletions == 6, "w: the save prompt proposes pytop-PID-DATE.txt and lists 6 formats (%s)",
	       t->prompt.le.buf);
	tui_key(t, '\t');
	tap_ok(strstr(t->prompt.le.buf, ".json") != NULL, "Tab: .json (%s)", t->prompt.le.buf);
	tui_key(t, '\t');
	tui_key(t, '\t');
	tap_ok(strlen(t->prompt.le.buf) > 4 && strcmp(t->prompt.le.buf + strlen(t->prompt.le.buf) - 4, ".svg") == 0,
	       "Tab twice more: .svg (%s)", t->prompt.le.buf);
	char before[256];
	snprintf(before, sizeof before, "%s", t->prompt.le.buf);
	tui_key(t, KEYS_FN(KEY_UP));
	tap_str(t->prompt.le.buf, before, "Up: the name stays (no command history here)");
	tui_key(t, KEYS_ESC);
	tap_ok(t->prompt.kind == PROMPT_NONE, "Esc: the save prompt closes");

	/* Line view. */
	tui_key(t, 'L');
	render(t, &c);
	tap_ok(t->m.lines && strcmp(table_name(t, 0), "fib") == 0 && t->m.shown[0]->line == 21,
	       "L: rows by line, fib:21 first");
	tap_ok(screen_has(&c, "fib (/app/main.py:21)"), "L: the line shown in the row");
	tui_key(t, 'L');

	/* Cumulative view. */
	tui_key(t, 'c');
	tap_ok(t->m.cumulative && t->m.nshown == 5, "c: cumulative");
	tui_key(t, 'c');

	/* Drill-down into fib and back. */
	render(t, &c);
	tui_key(t, KEYS_FN(KEY_HOME));
	tui_key(t, '\n');
	render(t, &c);
	tap_str(tui_view(t), "detail", "Enter: the detail view");
	tap_ok(screen_has(&c, "fib (/app/main.py:20)"), "detail: its title");
	y = find_row(&c, "Callers");
	tap_ok(y > 0 && strstr(row_of(&c, y + 2), "work (/app/main.py:10)") != NULL,
	       "detail: callers: work");
	tap_ok(strstr(row_of(&c, y + 2), "100.0%") != NULL, "detail: work makes 100%% of its calls");
	y = find_row(&c, "Callees");
	tap_ok(y > 0 && strstr(row_of(&c, y + 2), "fib (/app/main.py:20)") != NULL &&
	       strstr(row_of(&c, y + 2), "83.3%") != NULL, "detail: callees: fib itself, 83.3%% of its time");
	tap_ok(screen_has(&c, "Hottest lines"), "detail: hottest lines");
	{
		int l = find_row(&c, "Line   %Own");

		tap_ok(l > 0 && strstr(row_of(&c, l + 1), "21") && strstr(row_of(&c, l + 1), "60.0%"),
		       "detail: line 21 first, 60%% own");
	}
	if (!tap_ok(screen_has(&c, "Threads (share"), "detail: threads section"))
		dump(&c);
	tui_key(t, KEYS_FN(KEY_DOWN));
	tui_key(t, '\n');
	render(t, &c);
	tap_ok(screen_has(&c, "Callers") && strcmp(tui_view(t), "detail") == 0, "Enter on a callee opens it");
	tui_key(t, KEYS_ESC);
	tui_key(t, KEYS_ESC);
	render(t, &c);
	tap_ok(strcmp(tui_view(t), "main") == 0 && screen_has(&c, "Function (file:line)"), "Esc, Esc: back to the table");

	/* Threads: follow one. */
	tui_key(t, '\t');
	tap_is(tui_focus(t), PANE_THREADS, "Tab: focus the threads pane");
	tui_key(t, 'j');
	tui_key(t, 't');
	tap_is(t->m.follow_tid, 200, "t: follow the selected thread (Worker)");
	tap_ok(t->m.nshown == 2 && strcmp(table_name(t, 0), "leaf") == 0, "the table shows its functions only");
	tui_key(t, 't');
	tap_is(t->m.follow_tid, 0, "t again: all threads");
	tui_key(t, '\t');
	tui_key(t, '\t');
	tap_is(tui_focus(t), PANE_TABLE, "Tab cycles back to the table");

	/* The prompt. */
	tui_key(t, ':');
	keys(t, "so");
	tui_key(t, '\t');
	tap_str(t->prompt.le.buf, "sort ", "prompt: Tab completes a command name");
	keys(t, "na");
	tui_key(t, '\t');
	tap_str(t->prompt.le.buf, "sort name ", "prompt: Tab completes a column");
	tui_key(t, '\n');
	tap_ok(t->m.sort == SORT_NAME && t->prompt.kind == PROMPT_NONE, "prompt: sort name runs");
	tui_key(t, ':');
	keys(t, "filter f");
	tui_key(t, '\t');
	tap_str(t->prompt.le.buf, "filter fib ", "prompt: Tab completes a function name in the table");
	tui_key(t, '\n');
	tap_ok(t->m.nshown == 1, "prompt: filter fib narrows");
	/* trace/watch: names completed from the functions seen (module from
	 * the path), flags checked, no agent without a target */
	tui_key(t, ':');
	keys(t, "trace main.w");
	tui_key(t, '\t');
	tap_str(t->prompt.le.buf, "trace main.work ", "prompt: Tab completes module.function for trace");
	tui_key(t, KEYS_ESC);
	tui_key(t, ':');
	keys(t, "watch helpers lo");
	tui_key(t, '\t');
	tap_str(t->prompt.le.buf, "watch helpers loop ", "prompt: Tab completes a function of the module (word 2)");
	keys(t, "-q");
	tui_key(t, '\n');
	tap_ok(t->m.msg_error && strstr(t->m.msg, "unknown flag '-q'"), "prompt: watch's unknown flag is an error (%s)",
	       t->m.msg);
	tui_key(t, ':');
	keys(t, "watch helpers nap -n 3");
	tui_key(t, '\n');
	tap_ok(t->m.msg_error && strstr(t->m.msg, "no target process") && t->prompt.kind == PROMPT_NONE,
	       "prompt: watch without a target process says so, asks nothing (%s)", t->m.msg);
	tui_key(t, ':');
	keys(t, "detach");
	tui_key(t, '\n');
	tap_ok(t->m.msg_error && strstr(t->m.msg, "no agent is attached"), "prompt: detach without an agent says so");
	tui_key(t, ':');
	tui_key(t, KEYS_FN(KEY_UP));
	tui_key(t, KEYS_FN(KEY_UP));
	tui_key(t, KEYS_FN(KEY_UP));
	tui_key(t, KEYS_FN(KEY_UP));
	tui_key(t, KEYS_ESC);
	tui_key(t, ':');
	keys(t, "filter fib");
	tui_key(t, '\n');
	tui_key(t, ':');
	tui_key(t, KEYS_FN(KEY_UP));
	tap_str(t->prompt.le.buf, "filter fib", "prompt: Up recalls the history");
	tui_key(t, KEYS_ESC);
	tui_key(t, ':');
	keys(t, "filter");
	tui_key(t, '\n');
	tap_is(t->m.nshown, 5, "prompt: filter alone shows all");
	tui_key(t, ':');
	keys(t, "nosuch");
	tui_key(t, '\n');
	tap_ok(t->m.msg_error && strstr(t->m.msg, "unknown command"), "prompt: an unknown command is an error");
	tui_key(t, ':');
	keys(t, "thread 999");
	tui_key(t, '\n');
	tap_ok(t->m.msg_error && strstr(t->m.msg, "999"), "prompt: thread 999: no such thread");
	tui_key(t, ':');
	keys(t, "thread 100");
	tui_key(t, '\n');
	tap_is(t->m.follow_tid, 100, "prompt: thread 100");
	tui_key(t, ':');
	keys(t, "thread all");
	tui_key(t, '\n');
	tap_is(t->m.follow_tid, 0, "prompt: thread all");
	tui_key(t, ':');
	keys(t, "rate 0");
	tui_key(t, '\n');
	tap_ok(t->m.msg_error, "prompt: rate 0 is refused");
	tui_key(t, ':');
	keys(t, "sort 1");
	tui_key(t, '\n');
	tap_is(t->m.sort, SORT_OWN_PCT, "prompt: sort 1");

	/* Save by extension. */
	{
		char path[64];
		FILE *f;
		int ch;

		snprintf(path, sizeof(path), "/tmp/pytop-test-ui-%d.json", (int)getpid());
		tui_key(t, ':');
		keys(t, "save ");
		keys(t, path);
		tui_key(t, '\n');
		f = fopen(path, "r");
		ch = f ? fgetc(f) : EOF;
		tap_ok(f && ch == '{' && !t->m.msg_error && strstr(t->m.msg, path), "save FILE.json: JSON, path shown");
		if (f)
			fclose(f);
		unlink(path);
	}

	/* Help generated from the key table. */
	tui_key(t, '?');
	{
		struct canvas big;
		size_t n, i;
		const struct key_binding *kb = keys_table(&n);
		int missing = 0;

		canvas_init(&big, 100, 120, false);
		render(t, &big);
		for (i = 0; i < n; i++) {
			char frag[24];

			snprintf(frag, sizeof(frag), "%.20s", kb[i].help);
			if (!screen_has(&big, frag)) {
				printf("# missing from help: %s\n", kb[i].help);
				missing++;
			}
		}
		tap_is(missing, 0, "help: every key binding is listed");
		tap_ok(screen_has(&big, "sort COLUMN") && screen_has(&big, "thread TID|NAME|all"),
		       "help: the commands are listed");
		canvas_free(&big);
	}
	tui_key(t, 'q');
	tap_ok(strcmp(tui_view(t), "main") == 0 && !t->quit, "q in the help closes it (does not quit)");

	/* Small and wide terminals. */
	canvas_resize(&c, 60, 14);
	render(t, &c);
	tap_ok(screen_has(&c, "Function") && !screen_has(&c, "Stack of"), "60x14: the table, no stack pane");
	canvas_resize(&c, 60, 9);
	render(t, &c);
	tap_ok(screen_has(&c, "Function") && !screen_has(&c, "Threads:"), "60x9: the table alone");
	canvas_resize(&c, 160, 48);
	render(t, &c);
	tap_ok(screen_has(&c, "OwnSamples") && screen_has(&c, "TotSamples"), "160x48: more columns");
	y = find_row(&c, "Stack of");
	tap_ok(y > 0 && y == find_row(&c, "Threads:"), "160x48: threads and stack side by side");
	canvas_resize(&c, 10, 3);
	render(t, &c);
	tap_ok(screen_has(&c, "terminal"), "10x3: says the terminal is too small");

	/* The exited target. */
	canvas_resize(&c, 80, 24);
	t->m.exited = true;
	t->m.exit_code = 3;
	render(t, &c);
	tap_ok(screen_has(&c, "TARGET EXITED (status 3)"), "exited: the banner");
	tap_ok(screen_has(&c, "fib"), "exited: the data stays");

	/* Quit. */
	tui_key(t, 'q');
	tap_ok(t->quit, "q quits");

	canvas_free(&c);
	tui_free(t);
	aggregate_destroy(a);

	/* A refresh ends the window: an open detail shows the window that
	 * ended (queried before the next one starts), not the empty new one. */
	a = aggregate_create(AGG_MODE_CPU, 1000000);
	feed(a);
	t = tui_new(a, &o);
	tui_requery(t);
	canvas_init(&c, 80, 24, false);
	tui_key(t, KEYS_FN(KEY_HOME));
	tui_key(t, '\n');
	tui_refresh(t);
	render(t, &c);
	y = find_row(&c, "Callers");
	if (!tap_ok(y > 0 && strstr(row_of(&c, y + 2), "work (/app/main.py:10)") != NULL,
		    "detail after a refresh: the numbers of the window that ended"))
		dump(&c);
	canvas_free(&c);
	tui_free(t);
	aggregate_destroy(a);
	return tap_done();
}
