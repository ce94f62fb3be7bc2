/* tui: the live view's model, actions and main loop. Data flow per tick:
 * keys first (so the UI answers at once), then the ring is drained into
 * the aggregate for a bounded time, then (at the refresh interval) the
 * rows are queried and a new window starts, and the screen is drawn when
 * something changed. */
#include "ui/tui.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curses.h>           /* KEY_* codes only; screen.c does the drawing */

#include "errors.h"
#include "output/escape.h"
#include "output/formats.h"
#include "output/outfile.h"
#include "session.h"
#include "target/launch.h"
#include "ui/commands.h"
#include "ui/cpustat.h"
#include "ui/detail.h"
#include "ui/gilview.h"
#include "ui/keys.h"
#include "ui/panes.h"
#include "ui/screen.h"
#include "ui/source.h"
#include "ui/theme.h"
#include "ui/utf8.h"
#include "util/clock.h"

#define MS 1000000ull
#define TICK_MS 50                    /* longest wait for a key */
#define DRAIN_BUDGET_NS (25 * MS)     /* drain at most this long per tick, */
#define DRAIN_SLICE_NS (4 * MS)       /* looking for keys between slices */
#define FIRST_REFRESH_NS (300 * MS)   /* the first rows come quickly */
#define SOON_NS (300 * MS)            /* a window cut short ends this soon */
#define STACK_EVERY_NS (200 * MS)     /* the live stack refreshes this often */
#define MSG_NS (5000 * MS)            /* how long a status message stays */
#define STOP_WAIT_NS (2000 * MS)      /* a launched program's time to go on SIGTERM */

static const double delays[] = { 0.2, 0.5, 1, 2, 3, 5, 10 };

static uint64_t now_ns(void)
{
	return clock_now_ns();
}

/* ---- lifetime ---- */

struct tui *tui_new(struct aggregate *agg, const struct options *opt)
{
	struct tui *t = xcalloc(1, sizeof(*t));

	t->agg = agg;
	t->rate_hz = opt ? opt->rate_hz : 1000;
	t->delay_s = opt && opt->delay_s > 0 ? opt->delay_s : 1.0;
	t->exit_code = -1;
	t->utf8 = true;
	t->color = false;
	t->now_ns = now_ns();
	t->window_start_ns = t->now_ns;
	t->next_refresh_ns = t->now_ns + FIRST_REFRESH_NS;
	t->dirty = true;
	lineedit_init(&t->le);
	return t;
}

static void free_rows(struct tui *t)
{
	free(t->frows);
	free(t->lrows);
	free(t->shown);
	free(t->threads);
	free(t->thread_cpu);
	free(t->tview);
	t->frows = t->lrows = NULL;
	t->shown = NULL;
	t->threads = NULL;
	t->thread_cpu = NULL;
	t->tview = NULL;
	t->nfrows = t->nlrows = t->nshown = t->nthreads = t->ntview = 0;
}

void tui_free(struct tui *t)
{
	if (!t)
		return;
	free_rows(t);
	detail_free_all(t->detail);
	lineedit_free(&t->le);
	cpustat_free(t->cpu);
	source_free(t->src);
	free(t);
}

void tui_message(struct tui *t, bool error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->msg, sizeof(t->msg), fmt, ap);
	va_end(ap);
	t->msg_error = error;
	t->msg_until_ns = now_ns() + MSG_NS;
	t->dirty = true;
}

/* ---- rows: filter, sort, selection ---- */

/* ASCII case-insensitive substring (as the aggregate's filter). */
static bool imatch(const char *hay, const char *needle)
{
	size_t n = strlen(needle), i;

	if (!n)
		return true;
	for (; *hay; hay++) {
		for (i = 0; i < n && hay[i]; i++) {
			unsigned char x = (unsigned char)hay[i], y = (unsigned char)needle[i];

			if (x >= 'A' && x <= 'Z')
				x = (unsigned char)(x - 'A' + 'a');
			if (y >= 'A' && y <= 'Z')
				y = (unsigned char)(y - 'A' + 'a');
			if (x != y)
				break;
		}
		if (i == n)
			return true;
	}
	return false;
}

static int cmp_desc(uint64_t a, uint64_t b)
{
	return a > b ? -1 : a < b;
}

static int cmp_desc_d(double a, double b)
{
	return a > b ? -1 : a < b;
}

static int cmp_rows(const void *x, const void *y, void *ctx)
{
	const struct tui *t = ctx;
	const struct tui_row *a = *(const struct tui_row *const *)x;
	const struct tui_row *b = *(const struct tui_row *const *)y;
	const struct agg_stat *va = t->cumulative ? &a->cum : &a->win;
	const struct agg_stat *vb = t->cumulative ? &b->cum : &b->win;
	int c = 0;

	/* By time (samples are weighed by measured time, see agg_stat). */
	switch (t->sort) {
	case SORT_OWN_PCT:
		c = cmp_desc_d(va->own_s, vb->own_s);
		if (!c)
			c = cmp_desc_d(va->total_s, vb->total_s);
		if (!c)
			c = cmp_desc(va->own, vb->own);
		break;
	case SORT_TOTAL_PCT:
		c = cmp_desc_d(va->total_s, vb->total_s);
		if (!c)
			c = cmp_desc_d(va->own_s, vb->own_s);
		break;
	case SORT_OWN_TIME:
		c = cmp_desc_d(a->cum.own_s, b->cum.own_s);
		if (!c)
			c = cmp_desc_d(a->cum.total_s, b->cum.total_s);
		break;
	case SORT_TOTAL_TIME:
		c = cmp_desc_d(a->cum.total_s, b->cum.total_s);
		if (!c)
			c = cmp_desc_d(a->cum.own_s, b->cum.own_s);
		break;
	case SORT_FILE:
		c = strcmp(a->file, b->file);
		if (!c)
			c = (a->line > b->line) - (a->line < b->line);
		break;
	default:
		break;
	}
	if (!c)
		c = strcmp(a->name, b->name);
	if (!c)
		c = strcmp(a->file, b->file);
	if (!c)
		c = (a->line > b->line) - (a->line < b->line);
	return t->reverse ? -c : c;
}

static void set_table_sel(struct tui *t, int sel)
{
	if (sel >= (int)t->nshown)
		sel = (int)t->nshown - 1;
	if (sel < 0)
		sel = 0;
	t->pos[PANE_TABLE].sel = sel;
	if (t->nshown) {
		t->sel_func = t->shown[sel]->func;
		t->sel_line = t->shown[sel]->line;
	}
}

static void update_stack(struct tui *t);

static void set_thread_sel(struct tui *t, int sel)
{
	if (sel >= (int)t->ntview)
		sel = (int)t->ntview - 1;
	if (sel < 0)
		sel = 0;
	t->pos[PANE_THREADS].sel = sel;
	if (t->ntview) {
		uint32_t tid = t->threads[t->tview[sel]].tid;

		if (tid != t->sel_tid) {
			t->sel_tid = tid;
			t->pos[PANE_STACK].sel = 0;
			t->pos[PANE_STACK].top = 0;
		}
	}
}

/* How busy a thread was in a view: samples on CPU, then those holding or
 * waiting for the GIL (a thread stuck behind the GIL is worth seeing). */
static int cmp_activity(const struct agg_thread_counts *a, const struct agg_thread_counts *b)
{
	int c = cmp_desc(a->states[THREAD_RUNNING], b->states[THREAD_RUNNING]);

	if (!c)
		c = cmp_desc(a->holding_gil + a->states[THREAD_GIL_WAIT],
			     b->holding_gil + b->states[THREAD_GIL_WAIT]);
	return c;
}

/* The threads pane's order: threads that exist first, then by activity in
 * the view shown, then over the whole run, then by tid. */
static int cmp_threads(const void *x, const void *y, void *ctx)
{
	const struct tui *t = ctx;
	const struct agg_thread_row *a = &t->threads[*(const size_t *)x];
	const struct agg_thread_row *b = &t->threads[*(const size_t *)y];
	int c = 0;

	if (!t->exited)
		c = (int)b->live - (int)a->live;
	if (!c)
		c = cmp_activity(t->cumulative ? &a->cum : &a->win, t->cumulative ? &b->cum : &b->win);
	if (!c)
		c = cmp_activity(&a->cum, &b->cum);
	if (!c)
		c = (a->tid > b->tid) - (a->tid < b->tid);
	return c;
}

/* Build the table (filter, order) and the threads list from the last
 * query; the selections stay on the same function and thread. */
static void reindex(struct tui *t)
{
	const struct tui_row *src = t->lines ? t->lrows : t->frows;
	size_t n = t->lines ? t->nlrows : t->nfrows, i, k = 0;
	int sel = -1;

	free(t->shown);
	t->shown = xmalloc((n + 1) * sizeof(*t->shown));
	for (i = 0; i < n; i++) {
		const struct tui_row *r = &src[i];
		uint64_t total = t->cumulative ? r->cum.total : r->win.total;

		if (!total)
			continue;
		if (t->filter[0] && !imatch(r->name, t->filter) && !imatch(r->file, t->filter))
			continue;
		t->shown[k++] = r;
	}
	t->nshown = k;
	qsort_r(t->shown, t->nshown, sizeof(*t->shown), cmp_rows, t);
	for (i = 0; i < t->nshown && t->sel_pinned; i++)
		if (t->shown[i]->func == t->sel_func && (!t->lines || t->shown[i]->line == t->sel_line)) {
			sel = (int)i;
			break;
		}
	set_table_sel(t, sel >= 0 ? sel : t->pos[PANE_TABLE].sel);

	free(t->tview);
	t->tview = xmalloc((t->nthreads + 1) * sizeof(*t->tview));
	t->nlive = t->nrunning = 0;
	for (i = 0, k = 0; i < t->nthreads; i++) {
		const struct agg_thread_row *th = &t->threads[i];
		const struct agg_thread_counts *c = t->cumulative ? &th->cum : &th->win;
		bool live = th->live && !t->exited;

		t->nlive += live;
		t->nrunning += live && th->last_state == THREAD_RUNNING;
		if (!c->samples && !live && !(t->exited && th->cum.samples))
			continue;
		t->tview[k++] = i;
	}
	t->ntview = k;
	qsort_r(t->tview, t->ntview, sizeof(*t->tview), cmp_threads, t);
	sel = -1;
	for (i = 0; i < t->ntview && t->thread_pinned; i++)
		if (t->threads[t->tview[i]].tid == t->sel_tid) {
			sel = (int)i;
			break;
		}
	set_thread_sel(t, sel >= 0 ? sel : t->thread_pinned ? t->pos[PANE_THREADS].sel : 0);
	t->dirty = true;
}

static struct tui_row *func_rows(const struct agg_func_row *r, size_t n)
{
	struct tui_row *out = xmalloc((n + 1) * sizeof(*out));
	size_t i;

	for (i = 0; i < n; i++) {
		out[i].func = r[i].func;
		out[i].name = r[i].name;
		out[i].file = r[i].file;
		out[i].line = r[i].line;
		out[i].win = r[i].win;
		out[i].cum = r[i].cum;
	}
	return out;
}

static struct tui_row *line_rows(const struct agg_line_row *r, size_t n)
{
	struct tui_row *out = xmalloc((n + 1) * sizeof(*out));
	size_t i;

	for (i = 0; i < n; i++) {
		out[i].func = r[i].func;
		out[i].name = r[i].name;
		out[i].file = r[i].file;
		out[i].line = r[i].line;
		out[i].win = r[i].win;
		out[i].cum = r[i].cum;
	}
	return out;
}

static void update_stack(struct tui *t)
{
	uint32_t tid = t->follow_tid;

	if (!tid)
		tid = t->sel_tid;
	if (!tid && t->ntview)
		tid = t->threads[t->tview[0]].tid;
	t->stack_tid = tid;
	t->stack_n = tid ? aggregate_latest_stack(t->agg, tid, t->stack, TUI_STACK_MAX, &t->stack_info) : 0;
	if (!tid)
		memset(&t->stack_info, 0, sizeof(t->stack_info));
	t->stack_at_ns = t->now_ns;
	t->dirty = true;
}

void tui_requery(struct tui *t)
{
	struct agg_query q = { .window = false, .tid = t->follow_tid };
	struct agg_query all = { .window = false };
	struct agg_func_row *fr;
	struct agg_line_row *lr;
	size_t n, i;

	free_rows(t);
	n = aggregate_functions(t->agg, &q, &fr);
	t->frows = func_rows(fr, n);
	t->nfrows = n;
	free(fr);
	n = aggregate_lines(t->agg, &q, &lr);
	t->lrows = line_rows(lr, n);
	t->nlrows = n;
	free(lr);
	t->nthreads = aggregate_threads(t->agg, &all, &t->threads);
	t->thread_cpu = xmalloc((t->nthreads + 1) * sizeof(*t->thread_cpu));
	for (i = 0; i < t->nthreads; i++)
		t->thread_cpu[i] = t->cpu && !t->exited
			? cpustat_thread(t->cpu, (pid_t)t->threads[i].tid, t->now_ns) : -1;
	aggregate_summary(t->agg, true, &t->win_sum);
	aggregate_summary(t->agg, false, &t->cum_sum);
	if (t->sess)
		t->drops = session_dropped(t->sess);
	reindex(t);
	if (t->detail)
		detail_update(t, t->detail);
	update_stack(t);
}

void tui_refresh(struct tui *t)
{
	/* Threads that ended a while ago leave (memory stays bounded); the
	 * frozen data of a finished run keeps them all. */
	if (!t->exited && aggregate_prune_threads(t->agg, TUI_THREAD_GRACE_NS) && t->follow_tid) {
		struct agg_latest info;

		aggregate_latest_stack(t->agg, t->follow_tid, NULL, 0, &info);
		if (!info.valid) {
			tui_message(t, false, "thread %u ended; showing all threads", t->follow_tid);
			t->follow_tid = 0;
		}
	}
	if (!t->paused) {
		if (t->cpu && !t->exited)
			t->target_cpu = cpustat_update(t->cpu, t->now_ns);
		tui_requery(t);
	}
	t->window_s = (double)(t->now_ns - t->window_start_ns) / 1e9;
	if (!t->exited) {
		aggregate_window_start(t->agg);
		t->window_start_ns = t->now_ns;
	}
}

/* A query in the middle of a window (another thread followed, a detail
 * opened) sees only part of it: end that window early, once it is
 * SOON_NS old, so full numbers follow quickly. */
static void refresh_soon(struct tui *t)
{
	uint64_t soon = t->window_start_ns + SOON_NS;

	if (soon < t->now_ns)
		soon = t->now_ns;
	if (soon < t->next_refresh_ns)
		t->next_refresh_ns = soon;
}

/* ---- actions ---- */

static const char *const sort_names[SORT_COUNT] = {
	"%own", "%total", "owntime", "totaltime", "name", "file",
};

int tui_sort_parse(const char *name)
{
	/* Every word a column goes by: the names and the column titles (a
	 * unique prefix of them does; several words of one column are one
	 * match), and short forms taken only whole ("own", "total", "1".."4"),
	 * so that "tot" is totaltime, as Tab completes it. */
	static const struct {
		const char *word;
		enum sort_key k;
		bool whole;
	} words[] = {
		{ "%own", SORT_OWN_PCT, false }, { "own", SORT_OWN_PCT, true },
		{ "1", SORT_OWN_PCT, true },
		{ "%total", SORT_TOTAL_PCT, false }, { "total", SORT_TOTAL_PCT, true },
		{ "2", SORT_TOTAL_PCT, true },
		{ "owntime", SORT_OWN_TIME, false }, { "ownsamples", SORT_OWN_TIME, false },
		{ "3", SORT_OWN_TIME, true },
		{ "totaltime", SORT_TOTAL_TIME, false }, { "totsamples", SORT_TOTAL_TIME, false },
		{ "4", SORT_TOTAL_TIME, true },
		{ "name", SORT_NAME, false }, { "function", SORT_NAME, false },
		{ "file", SORT_FILE, false },
	};
	size_t i, len = strlen(name);
	int found = -1;

	if (!len)
		return -1;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasecmp(name, words[i].word) == 0)
			return (int)words[i].k;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (words[i].whole || strncasecmp(words[i].word, name, len) != 0)
			continue;
		if (found >= 0 && found != (int)words[i].k)
			return -1;
		found = (int)words[i].k;
	}
	return found;
}

const char *tui_sort_name(enum sort_key k)
{
	return k < SORT_COUNT ? sort_names[k] : "?";
}

void tui_set_sort(struct tui *t, enum sort_key k, bool toggle)
{
	if (toggle && t->sort == k) {
		t->reverse = !t->reverse;
	} else {
		t->sort = k;
		t->reverse = false;
	}
	reindex(t);
}

void tui_set_filter(struct tui *t, const char *text)
{
	snprintf(t->filter, sizeof(t->filter), "%s", text);
	reindex(t);
}

static const char *name_of_thread(const struct tui *t, uint32_t tid)
{
	size_t i;

	for (i = 0; i < t->nthreads; i++)
		if (t->threads[i].tid == tid)
			return t->threads[i].name;
	return NULL;
}

int tui_follow(struct tui *t, uint32_t tid)
{
	const char *found = tid ? name_of_thread(t, tid) : NULL;
	char name[AGG_THREAD_NAME_MAX];

	/* a copy: the requery below replaces the rows it points into */
	snprintf(name, sizeof(name), "%s", found ? found : "");
	if (tid && !found) {
		tui_message(t, true, "no thread %u was sampled", tid);
		return -1;
	}
	t->follow_tid = tid;
	if (tid) {
		t->sel_tid = tid;
		t->thread_pinned = true;
	}
	tui_requery(t);
	refresh_soon(t);
	if (tid)
		tui_message(t, false, "following thread %u %s (t: all threads)", tid, name);
	else
		tui_message(t, false, "all threads");
	return 0;
}

int tui_set_rate(struct tui *t, double hz)
{
	if (t->exited) {
		tui_message(t, true, "rate: the target has exited");
		return -1;
	}
	if (t->sess) {
		session_set_rate(t->sess, hz);
		session_reset(t->sess, false);
	} else
		aggregate_set_interval(t->agg, (uint64_t)(1e9 / hz));
	t->rate_hz = hz;
	tui_requery(t);
	tui_message(t, false, "sampling at %.0f Hz; statistics restarted", hz);
	return 0;
}

/* A new snapshot file pytop-PID-YYYYmmdd-HHMMSS.txt in the current
 * directory, or in $TMPDIR (/tmp) when that is not writable. Either may be
 * shared with other users: created by outfile_create_new (new, 0600, never
 * through a symlink; another name when taken). Returns the fd or -1. */
static int create_default(const struct tui *t, char *out, size_t cap)
{
	const char *dir = ".";
	char stamp[32], stem[64];
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	if (access(".", W_OK) != 0) {
		dir = getenv("TMPDIR");
		if (!dir || !*dir)
			dir = "/tmp";
	}
	snprintf(stem, sizeof(stem), "pytop-%d-%s", (int)t->pid, stamp);
	return outfile_create_new(dir, stem, formats_default()->exts[0], out, cap);
}

static int write_headless(struct tui *t, const struct output_format *fmt, FILE *f)
{
	struct snapshot_meta m;

	memset(&m, 0, sizeof(m));
	m.pid = (int)t->pid;
	m.argv = t->argv;
	m.python = t->python;
	m.rate_hz = t->rate_hz;
	m.mode = aggregate_mode_name(aggregate_mode(t->agg));
	m.version = PACKAGE_VERSION;
	return fmt->write(f, t->agg, &m);
}

int tui_save(struct tui *t, const char *path)
{
	char def[PATH_MAX], full[PATH_MAX], ebuf[256];
	const struct output_format *fmt;
	FILE *f = NULL;
	int rc, fd;

	if (!path || !*path) {
		fd = create_default(t, def, sizeof(def));
		if (fd >= 0 && !(f = fdopen(fd, "w")))
			close(fd);
		path = def;
	} else {
		f = outfile_open_user(path);    /* the user's choice of path */
	}
	if (!f) {
		tui_message(t, true, "cannot write %.300s: %s", path, strerror(errno));
		return -1;
	}
	fmt = formats_for_path(path);    /* the format its extension asks for */
	if (t->sess)
		rc = session_write_file(t->sess, fmt, f, path, ebuf, sizeof(ebuf));
	else
		rc = write_headless(t, fmt, f);
	if (fclose(f) != 0)
		rc = -1;
	if (rc < 0) {
		tui_message(t, true, "cannot write %.300s", path);
		return -1;
	}
	if (!realpath(path, full))
		snprintf(full, sizeof(full), "%s", path);
	tui_message(t, false, "saved %.400s (%s)", full, fmt->label);
	return 0;
}

#define RESET_CONFIRM_NS (5000 * MS)   /* time to press r again after the exit */

int tui_reset(struct tui *t)
{
	uint64_t now = now_ns();

	if (t->exited && now >= t->reset_armed_until) {
		t->reset_armed_until = now + RESET_CONFIRM_NS;
		tui_message(t, true, "the target has exited: this data cannot be collected again; "
			    "press r again to wipe it (any other key keeps it)");
		return -1;
	}
	t->reset_armed_until = 0;
	if (t->sess)
		session_reset(t->sess, true);
	else
		aggregate_reset(t->agg);
	t->now_ns = now;
	t->window_start_ns = now;
	t->window_s = 0;
	t->next_refresh_ns = now + (uint64_t)(t->delay_s * 1e9);
	tui_requery(t);
	tui_message(t, false, "reset: counts, duration, overhead%s start again from now",
		    t->sess && t->sess->gilstat ? " and gilstat" : "");
	return 0;
}

static const char *const mode_names[] = { "cpu", "wall", "gil" };

int tui_mode_parse(const char *name)
{
	size_t i, len = strlen(name);
	int found = -1;

	for (i = 0; i < 3 && len; i++)
		if (strncasecmp(mode_names[i], name, len) == 0) {
			if (found >= 0)
				return -1;
			found = (int)i;
		}
	return found;
}

void tui_set_mode(struct tui *t, enum agg_mode mode)
{
	static const char *const what[] = {
		"cpu: samples of threads on CPU count",
		"wall: every sample counts (where a stuck program waits)",
		"gil: samples holding the GIL count",
	};

	if (t->sess)
		session_drain(t->sess);
	aggregate_set_mode(t->agg, mode);
	/* the counts restart: so do the duration and overhead of a snapshot */
	if (t->sess)
		session_reset(t->sess, false);
	t->window_start_ns = t->now_ns;
	tui_requery(t);
	tui_message(t, false, "mode %s; counts reset",
		    (unsigned)mode < 3 ? what[mode] : "?");
}

void tui_help(struct tui *t)
{
	if (t->view != VIEW_HELP)
		t->help_top = 0;
	t->view = VIEW_HELP;
	t->dirty = true;
}

void tui_gilstat(struct tui *t)
{
	gilview_toggle(t);
}

void tui_quit(struct tui *t)
{
	t->quit = true;
}

void tui_open_detail(struct tui *t, uint32_t func, int line)
{
	struct agg_frame f;

	if (func == UINT32_MAX || !aggregate_func(t->agg, func, &f))
		return;
	t->detail = detail_open(t, func, line, t->detail);
	t->view = VIEW_DETAIL;
	refresh_soon(t);
	t->dirty = true;
}

static void close_detail(struct tui *t)
{
	t->detail = detail_pop(t->detail);
	if (!t->detail)
		t->view = VIEW_MAIN;
	t->dirty = true;
}

/* ---- moving ---- */

static int rows_of(const struct tui *t, enum pane_id p)
{
	/* the threads pane has a row of column titles under its title */
	int h = t->rect[p].h - (p == PANE_THREADS && t->rect[p].h > 2 ? 2 : 1);

	return h > 1 ? h : 1;
}

static void move_sel(struct tui *t, int delta, bool absolute)
{
	struct list_pos *p = &t->pos[t->focus];
	int n, sel;

	switch (t->focus) {
	case PANE_TABLE:
		n = (int)t->nshown;
		break;
	case PANE_THREADS:
		n = (int)t->ntview;
		break;
	default:
		n = (int)t->stack_n;
		break;
	}
	sel = absolute ? delta : p->sel + delta;
	if (sel >= n)
		sel = n - 1;
	if (sel < 0)
		sel = 0;
	switch (t->focus) {
	case PANE_TABLE:
		set_table_sel(t, sel);
		t->sel_pinned = t->pos[PANE_TABLE].sel > 0;
		break;
	case PANE_THREADS:
		set_thread_sel(t, sel);
		t->thread_pinned = true;
		if (!t->paused)
			update_stack(t);
		break;
	default:
		p->sel = sel;
		break;
	}
	t->dirty = true;
}

static void cycle_focus(struct tui *t, int dir)
{
	int i, f = (int)t->focus;

	for (i = 0; i < PANE_COUNT; i++) {
		f = (f + dir + PANE_COUNT) % PANE_COUNT;
		if (f == PANE_TABLE || t->rect[f].h > 0)
			break;
	}
	t->focus = (enum pane_id)f;
	t->dirty = true;
}

static void follow_toggle(struct tui *t)
{
	uint32_t tid;

	if (t->follow_tid) {
		tui_follow(t, 0);
		return;
	}
	tid = t->sel_tid;
	if (!tid && t->ntview)
		tid = t->threads[t->tview[0]].tid;
	if (!tid) {
		tui_message(t, true, "no thread to follow yet");
		return;
	}
	tui_follow(t, tid);
}

static void enter(struct tui *t)
{
	if (t->view == VIEW_DETAIL) {
		uint32_t f = detail_selected_func(t->detail);

		if (f != UINT32_MAX)
			tui_open_detail(t, f, 0);
		return;
	}
	switch (t->focus) {
	case PANE_TABLE:
		if (t->nshown) {
			const struct tui_row *r = t->shown[t->pos[PANE_TABLE].sel];

			tui_open_detail(t, r->func, t->lines ? r->line : 0);
		}
		break;
	case PANE_THREADS:
		if (t->ntview)
			tui_follow(t, t->threads[t->tview[t->pos[PANE_THREADS].sel]].tid);
		break;
	default:
		if (t->stack_n) {
			const struct agg_frame *f = &t->stack[t->pos[PANE_STACK].sel];

			tui_open_detail(t, f->func, f->line);
		}
		break;
	}
}

static void change_delay(struct tui *t, int dir)
{
	size_t i, n = sizeof(delays) / sizeof(delays[0]);
	double d = t->delay_s;

	if (dir > 0) {
		for (i = 0; i < n && delays[i] <= d + 1e-9; i++)
			;
		d = i < n ? delays[i] : delays[n - 1];
	} else {
		for (i = n; i > 0 && delays[i - 1] >= d - 1e-9; i--)
			;
		d = i > 0 ? delays[i - 1] : delays[0];
	}
	t->delay_s = d;
	t->next_refresh_ns = t->window_start_ns + (uint64_t)(d * 1e9);
	tui_message(t, false, "refresh every %gs", d);
}

/* ---- the prompt ---- */

static uint32_t prompt_map(uint32_t key)
{
	switch (key) {
	case KEYS_FN(KEY_LEFT): case KEYS_CTRL('b'): return LE_LEFT;
	case KEYS_FN(KEY_RIGHT): case KEYS_CTRL('f'): return LE_RIGHT;
	case KEYS_FN(KEY_HOME): case KEYS_CTRL('a'): return LE_HOME;
	case KEYS_FN(KEY_END): case KEYS_CTRL('e'): return LE_END;
	case KEYS_FN(KEY_BACKSPACE): case 127: case 8: return LE_BACKSPACE;
	case KEYS_FN(KEY_DC): case KEYS_CTRL('d'): return LE_DELETE;
	case KEYS_CTRL('k'): return LE_KILL_END;
	case KEYS_CTRL('u'): return LE_KILL_START;
	case KEYS_CTRL('w'): return LE_KILL_WORD;
	case KEYS_FN(KEY_UP): case KEYS_CTRL('p'): return LE_UP;
	case KEYS_FN(KEY_DOWN): case KEYS_CTRL('n'): return LE_DOWN;
	case '\n': case '\r': case KEYS_FN(KEY_ENTER): return LE_ENTER;
	case KEYS_ESC: case KEYS_CTRL('g'): case KEYS_CTRL('c'): return LE_CANCEL;
	default: return KEYS_IS_FN(key) ? 0 : key;
	}
}

static void open_prompt(struct tui *t, enum prompt_kind k)
{
	t->prompt = k;
	t->ncompletions = 0;
	if (k == PROMPT_FILTER) {
		snprintf(t->filter_before, sizeof(t->filter_before), "%s", t->filter);
		lineedit_set(&t->le, t->filter);
	} else {
		lineedit_set(&t->le, "");
	}
	t->dirty = true;
}

static void complete(struct tui *t)
{
	const char *cands[256];
	size_t start, n = 0, i, k;
	int word;

	lineedit_word(&t->le, &start, &word);
	if (t->prompt == PROMPT_COMMAND) {
		char line[LINEEDIT_MAX];

		memcpy(line, t->le.buf, t->le.cur);
		line[t->le.cur] = '\0';
		n = commands_candidates(t, line, word, cands, 256);
	} else {
		for (i = 0; i < t->nfrows && n < 256; i++) {
			for (k = 0; k < n; k++)
				if (strcmp(cands[k], t->frows[i].name) == 0)
					break;
			if (k == n)
				cands[n++] = t->frows[i].name;
		}
	}
	t->ncompletions = lineedit_complete(&t->le, cands, n, t->completions, TUI_COMPLETIONS);
	if (t->ncompletions > TUI_COMPLETIONS)
		t->ncompletions = TUI_COMPLETIONS;
	if (t->prompt == PROMPT_FILTER)
		tui_set_filter(t, t->le.buf);
}

static void prompt_key(struct tui *t, uint32_t key)
{
	enum lineedit_result r;
	uint32_t k;
	char line[LINEEDIT_MAX];

	t->dirty = true;
	if (key == '\t') {
		complete(t);
		return;
	}
	t->ncompletions = 0;
	k = prompt_map(key);
	if (!k)
		return;
	if (t->prompt == PROMPT_FILTER && (k == LE_UP || k == LE_DOWN))
		return;
	r = lineedit_key(&t->le, k);
	switch (r) {
	case LE_ACCEPT:
		snprintf(line, sizeof(line), "%s", t->le.buf);
		if (t->prompt == PROMPT_COMMAND) {
			t->prompt = PROMPT_NONE;
			lineedit_history_add(&t->le, line);
			commands_run(t, line);
		} else {
			t->prompt = PROMPT_NONE;
			tui_set_filter(t, line);
			if (line[0])
				tui_message(t, false, "filter: %s (Esc clears)", line);
		}
		break;
	case LE_ABORT:
		if (t->prompt == PROMPT_FILTER)
			tui_set_filter(t, "");
		t->prompt = PROMPT_NONE;
		break;
	case LE_CHANGED:
		if (t->prompt == PROMPT_FILTER)
			tui_set_filter(t, t->le.buf);
		break;
	default:
		break;
	}
}

/* ---- keys and clicks ---- */

static void help_key(struct tui *t, enum action a)
{
	int page = t->body.h > 2 ? t->body.h - 1 : 1;

	switch (a) {
	case ACT_UP: t->help_top--; break;
	case ACT_DOWN: t->help_top++; break;
	case ACT_PAGE_UP: t->help_top -= page; break;
	case ACT_PAGE_DOWN: t->help_top += page; break;
	case ACT_HOME: t->help_top = 0; break;
	case ACT_END: t->help_top = INT_MAX / 2; break;
	case ACT_QUIT: case ACT_HELP: case ACT_BACK: case ACT_ENTER:
		t->view = t->detail ? VIEW_DETAIL : VIEW_MAIN;
		break;
	default:
		break;
	}
	if (t->help_top < 0)
		t->help_top = 0;
	t->dirty = true;
}

static void sort_key(struct tui *t, enum sort_key k, bool toggle)
{
	tui_set_sort(t, k, toggle);
	tui_message(t, false, "sorted by %s%s", tui_sort_name(t->sort), t->reverse ? ", reversed" : "");
}

void tui_key(struct tui *t, uint32_t key)
{
	enum action a;
	bool detail = t->view == VIEW_DETAIL && t->detail;

	if (key == KEYS_FN(KEY_RESIZE) || key == KEYS_FN(KEY_MOUSE))
		return;
	if (t->prompt != PROMPT_NONE) {
		prompt_key(t, key);
		return;
	}
	a = keys_action(key);
	if (a != ACT_RESET)
		t->reset_armed_until = 0;
	if (t->view == VIEW_HELP) {
		help_key(t, a);
		return;
	}
	if (t->view == VIEW_GILSTAT && gilview_key(t, a))
		return;
	t->dirty = true;
	switch (a) {
	case ACT_NONE:
		break;
	case ACT_QUIT:
		tui_quit(t);
		break;
	case ACT_HELP:
		tui_help(t);
		break;
	case ACT_FOCUS_NEXT:
	case ACT_FOCUS_PREV:
		if (!detail)
			cycle_focus(t, a == ACT_FOCUS_NEXT ? 1 : -1);
		break;
	case ACT_UP:
	case ACT_DOWN:
		if (detail)
			detail_move(t->detail, a == ACT_UP ? -1 : 1);
		else
			move_sel(t, a == ACT_UP ? -1 : 1, false);
		break;
	case ACT_PAGE_UP:
	case ACT_PAGE_DOWN: {
		int page = detail ? (t->body.h > 3 ? t->body.h - 2 : 1) : rows_of(t, t->focus);

		if (detail)
			detail_move(t->detail, a == ACT_PAGE_UP ? -page : page);
		else
			move_sel(t, a == ACT_PAGE_UP ? -page : page, false);
		break;
	}
	case ACT_HOME:
	case ACT_END:
		if (detail)
			detail_home(t->detail, a == ACT_END);
		else
			move_sel(t, a == ACT_HOME ? 0 : INT_MAX / 2, true);
		break;
	case ACT_SORT_NEXT:
		sort_key(t, (enum sort_key)((t->sort + 1) % SORT_COUNT), false);
		break;
	case ACT_SORT_PREV:
		sort_key(t, (enum sort_key)((t->sort + SORT_COUNT - 1) % SORT_COUNT), false);
		break;
	case ACT_SORT_1: sort_key(t, SORT_OWN_PCT, true); break;
	case ACT_SORT_2: sort_key(t, SORT_TOTAL_PCT, true); break;
	case ACT_SORT_3: sort_key(t, SORT_OWN_TIME, true); break;
	case ACT_SORT_4: sort_key(t, SORT_TOTAL_TIME, true); break;
	case ACT_SORT_INVERT:
		sort_key(t, t->sort, true);
		break;
	case ACT_FILTER:
		if (detail)
			close_detail(t);
		if (t->view == VIEW_MAIN)
			open_prompt(t, PROMPT_FILTER);
		break;
	case ACT_FOLLOW:
		follow_toggle(t);
		break;
	case ACT_LINES:
		t->lines = !t->lines;
		reindex(t);
		tui_message(t, false, "%s", t->lines ? "one row per line" : "one row per function");
		break;
	case ACT_CUMULATIVE:
		t->cumulative = !t->cumulative;
		reindex(t);
		if (t->detail)
			detail_update(t, t->detail);
		tui_message(t, false, "%s", t->cumulative ? "percentages: cumulative"
			    : "percentages: over the last refresh");
		break;
	case ACT_ENTER:
		enter(t);
		break;
	case ACT_BACK:
		if (detail)
			close_detail(t);
		else if (t->filter[0]) {
			tui_set_filter(t, "");
			tui_message(t, false, "filter cleared");
		}
		break;
	case ACT_GILSTAT:
		tui_gilstat(t);
		break;
	case ACT_GIL_MODE:
		gilview_toggle_gil_mode(t);
		break;
	case ACT_PAUSE:
		/* On resume the next refresh (a whole window) brings new rows. */
		t->paused = !t->paused;
		tui_message(t, false, "%s", t->paused ? "display paused (sampling goes on)" : "display resumed");
		break;
	case ACT_RESET:
		tui_reset(t);
		break;
	case ACT_MODE:
		tui_set_mode(t, (enum agg_mode)((aggregate_mode(t->agg) + 1) % 3));
		break;
	case ACT_SAVE:
		tui_save(t, NULL);
		break;
	case ACT_DELAY_UP:
	case ACT_DELAY_DOWN:
		change_delay(t, a == ACT_DELAY_UP ? 1 : -1);
		break;
	case ACT_PROMPT:
		open_prompt(t, PROMPT_COMMAND);
		break;
	case ACT_REDRAW:
		screen_invalidate();
		break;
	case ACT_COUNT:
		break;
	}
}

static bool in_rect(const struct rect *r, int x, int y)
{
	return r->h > 0 && x >= r->x && x < r->x + r->w && y >= r->y && y < r->y + r->h;
}

void tui_click(struct tui *t, int x, int y, int button, bool double_click)
{
	int f, i;

	t->dirty = true;
	if (t->prompt != PROMPT_NONE)
		return;
	if (y == t->fkeys_y && button == 1) {
		for (f = 0; f < 10; f++)
			if (x >= t->fkey_x[f] && x < t->fkey_x[f + 1]) {
				tui_key(t, KEYS_FN(KEY_F(f + 1)));
				return;
			}
		return;
	}
	if (t->view == VIEW_HELP) {
		if (button == 4 || button == 5)
			help_key(t, button == 4 ? ACT_UP : ACT_DOWN);
		return;
	}
	if (t->view == VIEW_DETAIL && t->detail) {
		if (button == 4 || button == 5)
			detail_move(t->detail, button == 4 ? -3 : 3);
		else if (detail_select_row(t->detail, y - t->body.y - 1) && double_click)
			enter(t);
		return;
	}
	for (i = 0; i < PANE_COUNT; i++) {
		const struct rect *r = &t->rect[i];

		if (!in_rect(r, x, y))
			continue;
		t->focus = (enum pane_id)i;
		if (button == 4 || button == 5) {
			move_sel(t, button == 4 ? -3 : 3, false);
			return;
		}
		if (y == r->y) {
			/* The table's column titles sort. */
			if (i == PANE_TABLE)
				for (f = 0; f < t->ncols; f++)
					if (x >= t->col_x[f] && x < t->col_x[f] + t->col_w[f] &&
					    panes_column_sort(t->col_id[f]) >= 0)
						sort_key(t, (enum sort_key)panes_column_sort(t->col_id[f]), true);
			return;
		}
		if (i == PANE_THREADS && r->h > 2) {
			/* the threads pane has a row of column titles */
			if (y == r->y + 1)
				return;
			y--;
		}
		move_sel(t, t->pos[i].top + (y - r->y - 1), true);
		if (double_click)
			enter(t);
		return;
	}
}

/* ---- the loop ---- */

static void target_exited(struct tui *t)
{
	struct session *s = t->sess;

	session_stop(s);
	t->exited = true;
	if (s->child_exited)
		t->exit_code = launch_exit_code(s->child_status);
	/* The last window is cut short: show the whole run. */
	t->cumulative = true;
	t->now_ns = now_ns();
	tui_requery(t);
	if (t->detail)
		detail_update(t, t->detail);
	tui_message(t, false, "the target exited; showing cumulative numbers (c toggles)");
}

/* The launched program's output goes to $TMPDIR/pytop-<pid>.log, a new
 * private file (outfile_create_new: never through a planted symlink; a
 * random name when that one is taken). */
static int open_log(char *path, size_t cap)
{
	const char *dir = getenv("TMPDIR");
	char stem[32];

	if (!dir || !*dir)
		dir = "/tmp";
	snprintf(stem, sizeof(stem), "pytop-%d", (int)getpid());
	return outfile_create_new(dir, stem, ".log", path, cap);
}

/* Stop a launched program that is still running (unless --keep-running):
 * SIGINT, then SIGTERM, then SIGKILL. */
static void stop_child(struct session *s)
{
	session_end_program(s, STOP_WAIT_NS);
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

	t->now_ns = now_ns();
	if (t->msg[0] && t->now_ns >= t->msg_until_ns) {
		t->msg[0] = '\0';
		t->dirty = true;
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
	got = now_ns();
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
			key_ns[nkey_ns++] = now_ns() - got;
	}
	return n;
}

static void loop(struct tui *t, struct canvas *cv)
{
	struct session *s = t->sess;

	t->next_stack_ns = t->now_ns + STACK_EVERY_NS;
	while (!t->quit && !screen_stop_signal()) {
		uint64_t next, wait_ns, until;

		draw(t, cv);

		/* Wait for a key until the next thing to do, at most a tick. */
		next = t->next_stack_ns < t->next_refresh_ns ? t->next_stack_ns : t->next_refresh_ns;
		wait_ns = next > t->now_ns ? next - t->now_ns : 0;
		if (wait_ns > TICK_MS * MS)
			wait_ns = TICK_MS * MS;
		take_input(t, cv, (int)(wait_ns / MS));
		if (t->quit)
			break;

		/* Drain in slices, answering keys between them. */
		until = now_ns() + DRAIN_BUDGET_NS;
		while (session_drain_for(s, DRAIN_SLICE_NS) > 0 && now_ns() < until) {
			take_input(t, cv, 0);
			if (t->quit)
				return;
		}
		t->now_ns = now_ns();
		if (!t->exited && session_target_gone(s))
			target_exited(t);
		/* The sampler can see the target go before its exit status can be
		 * collected: look again until it can. */
		if (t->exited && t->exit_code < 0 && s->launched && !s->child_exited &&
		    launch_poll(s->pid, &s->child_status)) {
			s->child_exited = true;
			t->exit_code = launch_exit_code(s->child_status);
			t->dirty = true;
		}
		if (t->now_ns >= t->next_refresh_ns) {
			tui_refresh(t);
			t->next_refresh_ns = t->now_ns + (uint64_t)(t->delay_s * 1e9);
			t->dirty = true;
		}
		if (t->now_ns >= t->next_stack_ns) {
			if (!t->paused && !t->exited)
				update_stack(t);
			t->next_stack_ns = t->now_ns + STACK_EVERY_NS;
			if (!t->exited)
				t->dirty = true;
		}
	}
}

int tui_run(const struct options *opt)
{
	struct session s;
	struct screen_info info;
	struct canvas cv;
	struct tui *t;
	char err[512], log_path[256] = "";
	int log_fd = -1, code = 0, sig;

	/* Before starting anything: the view needs a terminal. */
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "pytop: the live view needs a terminal (for a report use --batch)\n");
		return 1;
	}
	if (opt->launch_argv) {
		log_fd = open_log(log_path, sizeof(log_path));
		if (log_fd < 0) {
			fprintf(stderr, "pytop: cannot create %s: %s\n", log_path, strerror(errno));
			return 1;
		}
	}
	/* A launched program must not read the keys: it gets /dev/null as its
	 * stdin (it inherits fd 0 at fork; ours is put back right after). */
	{
		int saved = opt->launch_argv ? fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3) : -1;
		int null_fd = saved >= 0 ? open("/dev/null", O_RDONLY | O_CLOEXEC) : -1;
		int rc;

		if (null_fd >= 0)
			dup2(null_fd, STDIN_FILENO);
		rc = session_open(&s, opt, log_fd, log_fd, err, sizeof(err));
		if (saved >= 0) {
			dup2(saved, STDIN_FILENO);
			close(saved);
		}
		if (null_fd >= 0)
			close(null_fd);
		if (log_fd >= 0)
			close(log_fd);
		if (rc < 0) {
			escape_error(err);
			if (log_path[0])
				fprintf(stderr, "pytop: the program's output is in %s\n", log_path);
			session_close(&s);
			return 1;
		}
	}
	if (!screen_open(opt->no_color, &info, err, sizeof(err))) {
		escape_error(err);
		stop_child(&s);
		session_close(&s);
		return 1;
	}
	if (s.launched)
		screen_guard_child(s.pid);
	if (s.waiting && (code = wait_python(&s, &info, err, sizeof(err))) <= 0) {
		/* A Python program that ended too soon: its own status; else
		 * (not Python, q, an error) 1. */
		screen_close();
		escape_error(err);
		stop_child(&s);
		code = s.child_exited && s.saw_python ? launch_exit_code(s.child_status) : 1;
		if (s.launched && !s.child_exited)
			fprintf(stderr, "pytop: %s (pid %d) is still running\n", opt->launch_argv[0], (int)s.pid);
		if (log_path[0])
			fprintf(stderr, "pytop: the program's output is in %s\n", log_path);
		session_close(&s);
		return code;
	}
	code = 0;
	t = tui_new(s.agg, opt);
	t->sess = &s;
	t->pid = s.pid;
	t->launched = s.launched;
	snprintf(t->python, sizeof(t->python), "%s", s.python);
	snprintf(t->argv, sizeof(t->argv), "%s", s.argv);
	snprintf(t->log_path, sizeof(t->log_path), "%s", log_path);
	t->rate_hz = s.rate_hz;
	t->utf8 = info.utf8;
	t->color = info.color;
	t->cpu = cpustat_new(s.pid);
	t->src = source_new();
	cpustat_update(t->cpu, t->now_ns);
	canvas_init(&cv, info.w, info.h, !info.utf8);

	loop(t, &cv);
	write_key_stats();

	screen_close();
	sig = screen_stop_signal();
	session_stop(&s);
	screen_guard_child(0);    /* stopped below, with its status kept */
	if (s.launched) {
		if (!s.child_exited && !sig)
			stop_child(&s);
		else if (!s.child_exited && sig && !opt->keep_running) {
			kill(s.pid, sig);
			stop_child(&s);
		}
		if (!s.child_exited)
			fprintf(stderr, "pytop: %s (pid %d) is still running\n", opt->launch_argv[0], (int)s.pid);
		/* The program's own status when it ended by itself (the target
		 * gone before we stopped it), else 0. */
		if (t->exited && s.child_exited)
			code = launch_exit_code(s.child_status);
	}
	if (log_path[0])
		fprintf(stderr, "pytop: the program's output is in %s\n", log_path);
	canvas_free(&cv);
	tui_free(t);
	session_close(&s);
	if (sig) {
		signal(sig, SIG_DFL);
		raise(sig);
	}
	return code;
}
