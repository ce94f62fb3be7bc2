/* loop: the live view's main loop and its process: it opens the session
 * (which launches the program with its output in a log file and /dev/null
 * as its stdin), the screen, and a tui over them. Per tick: keys first (so the
 * UI answers at once), then the ring is drained into the aggregate for a
 * bounded time, then (at the refresh interval) the rows are queried and a
 * new window starts, and the screen is drawn when something changed. It
 * also keeps the key-latency numbers (PYTOP_TUI_STATS). */
#include "ui/loop.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpython/pytarget.h"
#include "output/escape.h"
#include "session.h"
#include "process/launch.h"
#include "process/proc.h"
#include "ui/cpustat.h"
#include "ui/screen.h"
#include "ui/source.h"
#include "ui/theme.h"
#include "ui/tracer.h"
#include "ui/tui.h"
#include "util/clock.h"

#define MS 1000000ull
#define TICK_MS 50                    /* longest wait for a key */
#define DRAIN_BUDGET_NS (25 * MS)     /* drain at most this long per tick, */
#define DRAIN_SLICE_NS (4 * MS)       /* looking for keys between slices */
#define STACK_EVERY_NS (200 * MS)     /* the live stack refreshes this often */
#define STOP_WAIT_NS (2000 * MS)      /* a launched program's time to go on SIGTERM */


static void target_exited(struct tui *t)
{
	struct ui_model *m = &t->m;
	struct session *s = m->sess;

	session_stop(s);
	m->exited = true;
	if (s->child_exited)
		m->exit_code = launch_exit_code(s->child_status);
	/* The last window is cut short: show the whole run. */
	m->cumulative = true;
	m->now_ns = clock_now_ns();
	tui_requery(t);
	model_message(m, false, "the target exited; showing cumulative numbers (c toggles)");
}

/* Stop a launched program that is still running (unless --keep-running):
 * sig (the signal that stopped pytop) if any, else SIGINT, then SIGTERM,
 * then SIGKILL. */
static void stop_child(struct session *s, int sig)
{
	session_finish_program(s, sig, STOP_WAIT_NS);
}

/* Launch mode, before the view: until the program's interpreter is up, a
 * status line ("waiting for a Python interpreter", its time); q or a stop
 * signal gives up. Returns 1 when sampling, 0 when given up, or a negative
 * error with a reason in err. */
static int wait_python(struct session *s, const struct screen_info *info, char *err, size_t errcap)
{
	struct canvas cv;
	int rc;

	canvas_init(&cv, info->w, info->h, !info->utf8);
	while ((rc = session_attach(s, err, errcap)) == 0) {
		struct screen_input in;
		char line[512];
		double waited = session_waiting_s(s);

		if (waited < 2)
			snprintf(line, sizeof(line), "starting %s (pid %d)...", s->opt->launch_argv[0], (int)s->pid);
		else
			snprintf(line, sizeof(line), "waiting for a Python interpreter: none has started in %s "
				 "(pid %d) after %.0f s   (q quits)", s->opt->launch_argv[0], (int)s->pid, waited);
		canvas_clear(&cv);
		canvas_put(&cv, 0, 0, cv.w, line, EL_HEADER_WARN);
		screen_draw(&cv, -1, -1);
		screen_read(50, &in);
		if (in.ev == SCREEN_RESIZE)
			canvas_resize(&cv, in.w, in.h);
		if ((in.ev == SCREEN_KEY && (in.key == 'q' || in.key == 'Q')) || screen_stop_signal()) {
			snprintf(err, errcap, "no Python interpreter started in %s (pid %d) in %.1f s",
				 s->opt->launch_argv[0], (int)s->pid, waited);
			break;
		}
	}
	canvas_free(&cv);
	return rc;
}

static void draw(struct tui *t, struct canvas *cv)
{
	int cx, cy;

	t->m.now_ns = clock_now_ns();
	if (t->m.msg[0] && t->m.now_ns >= t->m.msg_until_ns) {
		t->m.msg[0] = '\0';
		t->dirty = true;
	}
	if (t->invalidate) {
		screen_invalidate();
		t->invalidate = false;
	}
	if (!t->dirty)
		return;
	cx = tui_render(t, cv, &cy);
	screen_draw(cv, cx, cy);
	t->dirty = false;
}

/* With PYTOP_TUI_STATS=FILE in the environment, the time from reading a
 * key to the end of the redraw it caused is kept and written to FILE on
 * exit (for bench/tui_bench.py). */
#define KEY_STATS_MAX 4096
static uint64_t key_ns[KEY_STATS_MAX];
static size_t nkey_ns;

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void write_key_stats(void)
{
	const char *path = getenv("PYTOP_TUI_STATS");
	FILE *f;

	if (!path || !*path || !nkey_ns || !(f = fopen(path, "w")))
		return;
	qsort(key_ns, nkey_ns, sizeof(key_ns[0]), cmp_u64);
	fprintf(f, "keys %zu median_ms %.3f p95_ms %.3f max_ms %.3f\n", nkey_ns,
		(double)key_ns[nkey_ns / 2] / 1e6, (double)key_ns[(nkey_ns - 1) * 95 / 100] / 1e6,
		(double)key_ns[nkey_ns - 1] / 1e6);
	fclose(f);
}

/* Handle the input waiting (up to timeout_ms for the first event);
 * returns how many events there were. */
static int take_input(struct tui *t, struct canvas *cv, int timeout_ms)
{
	struct screen_input in;
	uint64_t got;
	int n = 0;

	screen_read(timeout_ms, &in);
	got = clock_now_ns();
	while (in.ev != SCREEN_NONE) {
		if (in.ev == SCREEN_KEY) {
			tui_key(t, in.key);
		} else if (in.ev == SCREEN_MOUSE) {
			tui_click(t, in.x, in.y, in.button, in.double_click);
		} else if (in.ev == SCREEN_RESIZE) {
			canvas_resize(cv, in.w, in.h);
			screen_invalidate();
			t->dirty = true;
		}
		if (t->quit || ++n >= 64)
			break;
		screen_read(0, &in);
	}
	/* Answer at once, before anything else. */
	if (n && !t->quit) {
		draw(t, cv);
		if (nkey_ns < KEY_STATS_MAX)
			key_ns[nkey_ns++] = clock_now_ns() - got;
	}
	return n;
}

static void loop(struct tui *t, struct canvas *cv)
{
	struct ui_model *m = &t->m;
	struct session *s = m->sess;

	uint64_t traced = 0;

	m->next_stack_ns = m->now_ns + STACK_EVERY_NS;
	while (!t->quit && !screen_stop_signal()) {
		uint64_t next, wait_ns, until;

		/* The trace/watch worker added lines or changed state. */
		if (m->tracer && tracer_version(m->tracer) != traced) {
			traced = tracer_version(m->tracer);
			t->dirty = true;
		}
		draw(t, cv);

		/* Wait for a key until the next thing to do, at most a tick. */
		next = m->next_stack_ns < m->next_refresh_ns ? m->next_stack_ns : m->next_refresh_ns;
		wait_ns = next > m->now_ns ? next - m->now_ns : 0;
		if (wait_ns > TICK_MS * MS)
			wait_ns = TICK_MS * MS;
		take_input(t, cv, (int)(wait_ns / MS));
		if (t->quit)
			break;

		/* Drain in slices, answering keys between them. */
		until = clock_now_ns() + DRAIN_BUDGET_NS;
		while (session_drain_for(s, DRAIN_SLICE_NS) > 0 && clock_now_ns() < until) {
			take_input(t, cv, 0);
			if (t->quit)
				return;
		}
		m->now_ns = clock_now_ns();
		if (!m->exited && session_target_gone(s))
			target_exited(t);
		/* The sampler can see the target go before its exit status can be
		 * collected: look again until it can. */
		if (m->exited && m->exit_code < 0 && s->launched && !s->child_exited &&
		    session_reap(s, 0)) {
			m->exit_code = launch_exit_code(s->child_status);
			t->dirty = true;
		}
		if (m->now_ns >= m->next_refresh_ns) {
			char st = m->exited || m->pid <= 0 ? 0 : proc_task_state(m->pid, m->pid);
			m->stopped = st == 'T' || st == 't';
			tui_refresh(t);
			m->next_refresh_ns = m->now_ns + (uint64_t)(m->delay_s * 1e9);
			t->dirty = true;
		}
		if (m->now_ns >= m->next_stack_ns) {
			if (!m->paused && !m->exited)
				model_update_stack(m);
			m->next_stack_ns = m->now_ns + STACK_EVERY_NS;
			if (!m->exited)
				t->dirty = true;
		}
	}
}

int loop_run(const struct options *opt)
{
	struct session s;
	struct screen_info info;
	struct canvas cv;
	struct tui *t;
	struct ui_model *m;
	char err[512];
	int code = 0, sig;

	/* Before starting anything: the view needs a terminal. */
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "pytop: the live view needs a terminal (for a report use --batch)\n");
		return 1;
	}
	/* A launched program must not read the keys (its stdin is /dev/null)
	 * nor draw over the view (its output goes to a log file). */
	if (session_open(&s, opt, &(struct session_launch){ .null_stdin = true, .log = true, .out_fd = -1 },
			 err, sizeof(err)) < 0) {
		escape_error(err);
		session_report_program(&s);
		session_close(&s);
		return 1;
	}
	if (!screen_open(opt->no_color, &info, err, sizeof(err))) {
		escape_error(err);
		stop_child(&s, 0);
		session_close(&s);
		return 1;
	}
	if (s.launched)
		screen_guard_child(s.pid);
	if (s.waiting && (code = wait_python(&s, &info, err, sizeof(err))) <= 0) {
		/* A program that ended too soon: its own status when it failed
		 * or was Python; else (not Python, q, an error) 1. A stop
		 * signal: passed on, and pytop dies of it (as the view does). */
		screen_close();
		escape_error(err);
		sig = screen_stop_signal();
		code = session_unsampled_status(&s);   /* before pytop ends it: its own status only */
		stop_child(&s, sig);
		if (s.child_exited && s.saw_python)
			code = launch_exit_code(s.child_status);
		session_report_program(&s);
		session_close(&s);
		if (sig) {
			signal(sig, SIG_DFL);
			raise(sig);
		}
		return code;
	}
	code = 0;
	t = tui_new(s.agg, opt);
	m = &t->m;
	m->sess = &s;
	m->pid = s.pid;
	m->launched = s.launched;
	snprintf(m->python, sizeof(m->python), "%s", s.python);
	if (s.target && s.target->schema_minor)   /* newer than every table: say whose schema reads it */
		snprintf(m->python, sizeof(m->python), "%.12s (as %d.%d)", s.python, s.target->major,
			 s.target->schema_minor);
	snprintf(m->argv, sizeof(m->argv), "%s", s.argv);
	snprintf(m->log_path, sizeof(m->log_path), "%s", s.log_path);
	m->rate_hz = s.rate_hz;
	m->utf8 = info.utf8;
	m->color = info.color;
	m->cpu = cpustat_new(s.pid);
	m->src = source_new();
	m->tracer = tracer_new(s.pid);
	cpustat_update(m->cpu, m->now_ns);
	canvas_init(&cv, info.w, info.h, !info.utf8);

	loop(t, &cv);
	write_key_stats();

	screen_close();
	sig = screen_stop_signal();
	/* The agent goes first, while the target surely runs (bounded: an
	 * injection is given up, the agent has 2 s to unhook). */
	tracer_free(m->tracer);
	m->tracer = NULL;
	session_stop(&s);
	screen_guard_child(0);    /* stopped below, with its status kept */
	stop_child(&s, sig);
	/* The program's own status when it ended by itself (the target gone
	 * before we stopped it), else 0. */
	if (s.launched && m->exited && s.child_exited)
		code = launch_exit_code(s.child_status);
	session_report_program(&s);
	canvas_free(&cv);
	cpustat_free(m->cpu);
	source_free(m->src);
	tui_free(t);
	session_close(&s);
	if (sig) {
		signal(sig, SIG_DFL);
		raise(sig);
	}
	return code;
}
