/* model: the rows of the last query, their filter and order, the
 * selections and the latest stack. */
#include "ui/model.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "errors.h"
#include "session.h"
#include "ui/cpustat.h"
#include "util/clock.h"

#define MS 1000000ull
#define FIRST_REFRESH_NS (300 * MS)   /* the first rows come quickly */
#define SOON_NS (300 * MS)            /* a window cut short ends this soon */
#define MSG_NS (5000 * MS)            /* how long a status message stays */

void model_init(struct ui_model *m, struct aggregate *agg, double rate_hz, double delay_s)
{
	memset(m, 0, sizeof(*m));
	m->agg = agg;
	m->rate_hz = rate_hz;
	m->delay_s = delay_s;
	m->exit_code = -1;
	m->utf8 = true;
	m->color = false;
	m->now_ns = clock_now_ns();
	m->window_start_ns = m->now_ns;
	m->next_refresh_ns = m->now_ns + FIRST_REFRESH_NS;
}

static void free_rows(struct ui_model *m)
{
	free(m->frows);
	free(m->lrows);
	free(m->shown);
	free(m->threads);
	free(m->thread_cpu);
	free(m->tview);
	m->frows = m->lrows = NULL;
	m->shown = NULL;
	m->threads = NULL;
	m->thread_cpu = NULL;
	m->tview = NULL;
	m->nfrows = m->nlrows = m->nshown = m->nthreads = m->ntview = 0;
}

void model_free(struct ui_model *m)
{
	free_rows(m);
}

void model_message(struct ui_model *m, bool error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->msg, sizeof(m->msg), fmt, ap);
	va_end(ap);
	m->msg_error = error;
	m->msg_until_ns = clock_now_ns() + MSG_NS;
}

/* ---- the sort columns ---- */

static const struct sort_col sort_cols[SORT_COUNT] = {
	[SORT_OWN_PCT] = { "%own", "%Own", { NULL, NULL }, { "own", "1" }, AGG_SORT_OWN, false },
	[SORT_TOTAL_PCT] = { "%total", "%Total", { NULL, NULL }, { "total", "2" }, AGG_SORT_TOTAL, false },
	[SORT_OWN_TIME] = { "owntime", "OwnTime", { "ownsamples", NULL }, { "3", NULL }, AGG_SORT_OWN, true },
	[SORT_TOTAL_TIME] = { "totaltime", "TotalTime", { "totsamples", NULL }, { "4", NULL },
			      AGG_SORT_TOTAL, true },
	[SORT_NAME] = { "name", "name", { "function", NULL }, { NULL, NULL }, AGG_SORT_NAME, false },
	[SORT_FILE] = { "file", "file", { NULL, NULL }, { NULL, NULL }, AGG_SORT_FILE, false },
};

const struct sort_col *model_sort_cols(size_t *n)
{
	*n = SORT_COUNT;
	return sort_cols;
}

int model_sort_parse(const char *name)
{
	/* Every word a column goes by: the names and aliases (a unique prefix
	 * of them does; several words of one column are one match), and short
	 * forms taken only whole ("own", "total", "1".."4"), so that "tot" is
	 * totaltime, as Tab completes it. */
	size_t len = strlen(name);
	int k, j, found = -1;

	if (!len)
		return -1;
	for (k = 0; k < SORT_COUNT; k++) {
		const struct sort_col *s = &sort_cols[k];

		if (strcasecmp(name, s->name) == 0)
			return k;
		for (j = 0; j < 2; j++)
			if ((s->alias[j] && strcasecmp(name, s->alias[j]) == 0) ||
			    (s->whole[j] && strcasecmp(name, s->whole[j]) == 0))
				return k;
	}
	for (k = 0; k < SORT_COUNT; k++) {
		const struct sort_col *s = &sort_cols[k];
		bool hit = strncasecmp(s->name, name, len) == 0;

		for (j = 0; j < 2; j++)
			hit = hit || (s->alias[j] && strncasecmp(s->alias[j], name, len) == 0);
		if (!hit)
			continue;
		if (found >= 0 && found != k)
			return -1;
		found = k;
	}
	return found;
}

const char *model_sort_name(enum sort_key k)
{
	return k < SORT_COUNT ? sort_cols[k].name : "?";
}

/* ---- rows: filter, sort, selection ---- */

/* The table's order: the aggregate's, on the view's counts (the time
 * columns: always the cumulative ones). */
static struct agg_query table_order(const struct ui_model *m)
{
	const struct sort_col *sc = &sort_cols[m->sort < SORT_COUNT ? m->sort : SORT_OWN_PCT];
	struct agg_query q = {
		.window = !(sc->cumulative || m->cumulative),
		.sort = sc->order,
		.reverse = m->reverse,
	};

	return q;
}

static void set_table_sel(struct ui_model *m, int sel)
{
	if (sel >= (int)m->nshown)
		sel = (int)m->nshown - 1;
	if (sel < 0)
		sel = 0;
	m->pos[PANE_TABLE].sel = sel;
	if (m->nshown) {
		m->sel_func = m->shown[sel]->func;
		m->sel_line = m->shown[sel]->line;
	}
}

static void set_thread_sel(struct ui_model *m, int sel)
{
	if (sel >= (int)m->ntview)
		sel = (int)m->ntview - 1;
	if (sel < 0)
		sel = 0;
	m->pos[PANE_THREADS].sel = sel;
	if (m->ntview) {
		uint32_t tid = m->threads[m->tview[sel]].tid;

		if (tid != m->sel_tid) {
			m->sel_tid = tid;
			m->pos[PANE_STACK].sel = 0;
			m->pos[PANE_STACK].top = 0;
		}
	}
}

static int cmp_desc(uint64_t a, uint64_t b)
{
	return a > b ? -1 : a < b;
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
	const struct ui_model *m = ctx;
	const struct agg_thread_row *a = &m->threads[*(const size_t *)x];
	const struct agg_thread_row *b = &m->threads[*(const size_t *)y];
	int c = 0;

	if (!m->exited)
		c = (int)b->live - (int)a->live;
	if (!c)
		c = cmp_activity(m->cumulative ? &a->cum : &a->win, m->cumulative ? &b->cum : &b->win);
	if (!c)
		c = cmp_activity(&a->cum, &b->cum);
	if (!c)
		c = (a->tid > b->tid) - (a->tid < b->tid);
	return c;
}

void model_reindex(struct ui_model *m)
{
	const struct agg_row *src = m->lines ? m->lrows : m->frows;
	size_t n = m->lines ? m->nlrows : m->nfrows, i, k = 0;
	struct agg_query pick = { .window = !m->cumulative, .match = m->filter };
	struct agg_query order = table_order(m);
	int sel = -1;

	free(m->shown);
	m->shown = xmalloc((n + 1) * sizeof(*m->shown));
	for (i = 0; i < n; i++)
		if (aggregate_matches(&src[i], &pick))
			m->shown[k++] = &src[i];
	m->nshown = k;
	aggregate_sort_rows(m->shown, m->nshown, &order);
	for (i = 0; i < m->nshown && m->sel_pinned; i++)
		if (m->shown[i]->func == m->sel_func &&
		    (m->shown[i]->level == AGG_LEVEL_FUNC || m->shown[i]->line == m->sel_line)) {
			sel = (int)i;
			break;
		}
	set_table_sel(m, sel >= 0 ? sel : m->pos[PANE_TABLE].sel);

	free(m->tview);
	m->tview = xmalloc((m->nthreads + 1) * sizeof(*m->tview));
	m->nlive = m->nrunning = 0;
	for (i = 0, k = 0; i < m->nthreads; i++) {
		const struct agg_thread_row *th = &m->threads[i];
		const struct agg_thread_counts *c = m->cumulative ? &th->cum : &th->win;
		bool live = th->live && !m->exited;

		m->nlive += live;
		/* (on a CPU: not one found waiting for a core) */
		m->nrunning += live && th->last_state == THREAD_RUNNING && !(th->last_flags & SAMPLE_F_OFF_CPU);
		if (!c->samples && !live && !(m->exited && th->cum.samples))
			continue;
		m->tview[k++] = i;
	}
	m->ntview = k;
	qsort_r(m->tview, m->ntview, sizeof(*m->tview), cmp_threads, m);
	sel = -1;
	for (i = 0; i < m->ntview && m->thread_pinned; i++)
		if (m->threads[m->tview[i]].tid == m->sel_tid) {
			sel = (int)i;
			break;
		}
	set_thread_sel(m, sel >= 0 ? sel : m->thread_pinned ? m->pos[PANE_THREADS].sel : 0);
}

void model_update_stack(struct ui_model *m)
{
	uint32_t tid = m->follow_tid;

	if (!tid)
		tid = m->sel_tid;
	if (!tid && m->ntview)
		tid = m->threads[m->tview[0]].tid;
	m->stack_tid = tid;
	m->stack_n = tid ? aggregate_latest_stack(m->agg, tid, m->stack, MODEL_STACK_MAX, &m->stack_info) : 0;
	if (!tid)
		memset(&m->stack_info, 0, sizeof(m->stack_info));
	m->stack_at_ns = m->now_ns;
}

void model_requery(struct ui_model *m)
{
	/* cumulative: every row with samples, each with both views' counts */
	struct agg_query funcs = { .level = AGG_LEVEL_FUNC, .tid = m->follow_tid };
	struct agg_query lines = { .level = AGG_LEVEL_LINE, .tid = m->follow_tid };
	struct agg_query all = { .window = false };
	size_t i;

	free_rows(m);
	m->nfrows = aggregate_rows(m->agg, &funcs, &m->frows);
	m->nlrows = aggregate_rows(m->agg, &lines, &m->lrows);
	m->nthreads = aggregate_threads(m->agg, &all, &m->threads);
	m->thread_cpu = xmalloc((m->nthreads + 1) * sizeof(*m->thread_cpu));
	for (i = 0; i < m->nthreads; i++)
		m->thread_cpu[i] = m->cpu && !m->exited
			? cpustat_thread(m->cpu, (pid_t)m->threads[i].tid, m->now_ns) : -1;
	aggregate_summary(m->agg, true, &m->win_sum);
	aggregate_summary(m->agg, false, &m->cum_sum);
	if (m->sess)
		m->drops = session_dropped(m->sess);
	model_reindex(m);
	model_update_stack(m);
}

unsigned model_refresh(struct ui_model *m)
{
	unsigned fx = UI_FX_REDRAW;

	/* Threads that ended a while ago leave (memory stays bounded); the
	 * frozen data of a finished run keeps them all. */
	if (!m->exited && aggregate_prune_threads(m->agg, MODEL_THREAD_GRACE_NS) && m->follow_tid) {
		struct agg_latest info;

		aggregate_latest_stack(m->agg, m->follow_tid, NULL, 0, &info);
		if (!info.valid) {
			model_message(m, false, "thread %u ended; showing all threads", m->follow_tid);
			m->follow_tid = 0;
		}
	}
	if (!m->paused) {
		if (m->cpu && !m->exited)
			m->target_cpu = cpustat_update(m->cpu, m->now_ns);
		model_requery(m);
		fx |= UI_FX_UPDATE;
	}
	return fx;
}

void model_window_next(struct ui_model *m)
{
	m->window_s = (double)(m->now_ns - m->window_start_ns) / 1e9;
	if (!m->exited) {
		aggregate_window_start(m->agg);
		m->window_start_ns = m->now_ns;
	}
}

void model_refresh_soon(struct ui_model *m)
{
	uint64_t soon = m->window_start_ns + SOON_NS;

	if (soon < m->now_ns)
		soon = m->now_ns;
	if (soon < m->next_refresh_ns)
		m->next_refresh_ns = soon;
}

unsigned model_set_sort(struct ui_model *m, enum sort_key k, bool toggle)
{
	if (toggle && m->sort == k) {
		m->reverse = !m->reverse;
	} else {
		m->sort = k;
		m->reverse = false;
	}
	return UI_FX_REINDEX | UI_FX_REDRAW;
}

unsigned model_set_filter(struct ui_model *m, const char *text)
{
	snprintf(m->filter, sizeof(m->filter), "%s", text);
	return UI_FX_REINDEX | UI_FX_REDRAW;
}

unsigned model_move(struct ui_model *m, enum pane_id pane, int delta, bool absolute)
{
	struct list_pos *p = &m->pos[pane];
	int n, sel;

	n = pane == PANE_TABLE ? (int)m->nshown : pane == PANE_THREADS ? (int)m->ntview : (int)m->stack_n;
	sel = absolute ? delta : p->sel + delta;
	if (sel >= n)
		sel = n - 1;
	if (sel < 0)
		sel = 0;
	switch (pane) {
	case PANE_TABLE:
		set_table_sel(m, sel);
		m->sel_pinned = m->pos[PANE_TABLE].sel > 0;
		break;
	case PANE_THREADS:
		set_thread_sel(m, sel);
		m->thread_pinned = true;
		return UI_FX_REDRAW | (m->paused ? 0 : UI_FX_STACK);
	default:
		p->sel = sel;
		break;
	}
	return UI_FX_REDRAW;
}

const char *model_thread_name(const struct ui_model *m, uint32_t tid)
{
	size_t i;

	for (i = 0; i < m->nthreads; i++)
		if (m->threads[i].tid == tid)
			return m->threads[i].name;
	return NULL;
}

unsigned model_open(struct ui_model *m, const char *view, uint32_t func, int line)
{
	m->nav.open = view;
	m->nav.func = func;
	m->nav.line = line;
	return UI_FX_NAV | UI_FX_REDRAW;
}

unsigned model_close(struct ui_model *m, const char *view)
{
	m->nav.close = view;
	return UI_FX_NAV | UI_FX_REDRAW;
}
