/* tui: the views table, the view stack, key and click dispatch, effects,
 * and the screen's frame around the top view. */
#include "ui/tui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>           /* KEY_* codes only; screen.c does the drawing */

#include "errors.h"
#include "ui/actions.h"
#include "ui/gilview.h"
#include "ui/header.h"
#include "ui/keys.h"
#include "ui/statusbar.h"
#include "ui/theme.h"
#include "ui/views/detail.h"
#include "ui/views/gilstat.h"
#include "ui/views/help.h"
#include "ui/views/main.h"

/* Every view; the first is the main view, always at the bottom. */
static const struct view_ops *const views[] = {
	&main_view_ops,
	&detail_view_ops,
	&help_view_ops,
	&gilstat_view_ops,
};
#define NVIEWS (int)(sizeof(views) / sizeof(views[0]))

_Static_assert(sizeof(views) / sizeof(views[0]) <= TUI_VIEWS_MAX, "too many views");

static int view_index(const char *name)
{
	int i;

	for (i = 0; i < NVIEWS; i++)
		if (strcmp(views[i]->name, name) == 0)
			return i;
	return -1;
}

static int top(const struct tui *t)
{
	return t->stack[t->depth - 1];
}

/* ---- lifetime ---- */

struct tui *tui_new(struct aggregate *agg, const struct options *opt)
{
	struct tui *t = xcalloc(1, sizeof(*t));
	int i;

	model_init(&t->m, agg, opt ? opt->rate_hz : 1000, opt && opt->delay_s > 0 ? opt->delay_s : 1.0);
	prompt_init(&t->prompt, &t->m);
	for (i = 0; i < NVIEWS; i++)
		t->vstate[i] = views[i]->create ? views[i]->create() : NULL;
	t->stack[0] = 0;
	t->depth = 1;
	t->fkeys_y = -1;
	t->dirty = true;
	return t;
}

void tui_free(struct tui *t)
{
	int i;

	if (!t)
		return;
	for (i = 0; i < NVIEWS; i++)
		if (views[i]->destroy)
			views[i]->destroy(t->vstate[i]);
	prompt_free(&t->prompt);
	model_free(&t->m);
	free(t);
}

/* ---- effects ---- */

static void update_views(struct tui *t)
{
	int i;

	for (i = 0; i < NVIEWS; i++)
		if (views[i]->update)
			views[i]->update(t->vstate[i], &t->m);
}

/* Open view i on top; a view already in the stack comes back on top (the
 * ones above it close). Its open() may refuse (UI_FX_UNHANDLED). */
static unsigned open_view(struct tui *t, int i, uint32_t func, int line)
{
	int k, at = -1;
	unsigned fx = 0;

	for (k = 0; k < t->depth; k++)
		if (t->stack[k] == i)
			at = k;
	if (views[i]->open) {
		fx = views[i]->open(t->vstate[i], &t->m, func, line, at >= 0);
		if (fx & UI_FX_UNHANDLED)
			return 0;
	}
	if (at >= 0)
		t->depth = at + 1;
	else if (t->depth < TUI_VIEWS_MAX)
		t->stack[t->depth++] = i;
	return fx;
}

static unsigned navigate(struct tui *t)
{
	struct ui_nav nav = t->m.nav;
	unsigned fx = 0;
	int i;

	memset(&t->m.nav, 0, sizeof(t->m.nav));
	if (nav.close && t->depth > 1 &&
	    (strcmp(nav.close, "*") == 0 || strcmp(nav.close, views[top(t)]->name) == 0))
		t->depth--;
	if (nav.open && (i = view_index(nav.open)) >= 0)
		fx = open_view(t, i, nav.func, nav.line);
	return fx;
}

/* Do what fx asks (UI_FX_*, ui/model.h). */
static void tui_apply(struct tui *t, unsigned fx)
{
	struct ui_model *m = &t->m;

	if (!fx)
		return;
	if (fx & UI_FX_QUIT)
		t->quit = true;
	if (fx & UI_FX_NAV)
		fx |= navigate(t);
	if (fx & UI_FX_REQUERY) {
		model_requery(m);
		fx |= UI_FX_UPDATE;
	} else if (fx & UI_FX_REINDEX) {
		model_reindex(m);
	}
	if (fx & UI_FX_UPDATE)
		update_views(t);
	if ((fx & UI_FX_STACK) && !(fx & UI_FX_REQUERY))
		model_update_stack(m);
	if (fx & UI_FX_REFRESH_SOON)
		model_refresh_soon(m);
	if (fx & UI_FX_PROMPT_FILTER)
		prompt_open(&t->prompt, PROMPT_FILTER);
	else if (fx & UI_FX_PROMPT_COMMAND)
		prompt_open(&t->prompt, PROMPT_COMMAND);
	else if (fx & UI_FX_PROMPT_SAVE)
		prompt_open(&t->prompt, PROMPT_SAVE);
	else if (fx & UI_FX_PROMPT_CONSENT)
		prompt_open(&t->prompt, PROMPT_CONSENT);
	if (fx & UI_FX_INVALIDATE)
		t->invalidate = true;
	t->dirty = true;
}

void tui_requery(struct tui *t)
{
	tui_apply(t, UI_FX_REQUERY);
}

void tui_refresh(struct tui *t)
{
	tui_apply(t, model_refresh(&t->m));
	model_window_next(&t->m);
}

/* ---- keys and clicks ---- */

/* The keys every view leaves to the live view. */
static unsigned global_key(struct tui *t, enum action a)
{
	struct ui_model *m = &t->m;
	unsigned fx = UI_FX_REDRAW;

	switch (a) {
	case ACT_QUIT: return fx | UI_FX_QUIT;
	case ACT_HELP: return fx | model_open(m, "help", 0, 0);
	case ACT_SORT_NEXT:
		actions_sort(m, (enum sort_key)((m->sort + 1) % SORT_COUNT), false, &fx);
		break;
	case ACT_SORT_PREV:
		actions_sort(m, (enum sort_key)((m->sort + SORT_COUNT - 1) % SORT_COUNT), false, &fx);
		break;
	case ACT_SORT_1: actions_sort(m, SORT_OWN_PCT, true, &fx); break;
	case ACT_SORT_2: actions_sort(m, SORT_TOTAL_PCT, true, &fx); break;
	case ACT_SORT_3: actions_sort(m, SORT_OWN_TIME, true, &fx); break;
	case ACT_SORT_4: actions_sort(m, SORT_TOTAL_TIME, true, &fx); break;
	case ACT_SORT_INVERT: actions_sort(m, m->sort, true, &fx); break;
	case ACT_FOLLOW: actions_follow_toggle(m, &fx); break;
	case ACT_LINES: actions_toggle_lines(m, &fx); break;
	case ACT_CUMULATIVE: actions_toggle_cumulative(m, &fx); break;
	case ACT_GILSTAT:
		gilview_toggle(m, strcmp(tui_view(t), "gilstat") == 0, &fx);
		break;
	case ACT_GIL_MODE: gilview_toggle_gil_mode(m, &fx); break;
	case ACT_PAUSE: actions_pause(m, &fx); break;
	case ACT_RESET: actions_reset(m, &fx); break;
	case ACT_MODE:
		actions_set_mode(m, (enum agg_mode)((aggregate_mode(m->agg) + 1) % 3), &fx);
		break;
	case ACT_SAVE: return fx | UI_FX_PROMPT_SAVE;
	case ACT_DELAY_UP:
	case ACT_DELAY_DOWN:
		actions_change_delay(m, a == ACT_DELAY_UP ? 1 : -1, &fx);
		break;
	case ACT_PROMPT: return fx | UI_FX_PROMPT_COMMAND;
	case ACT_REDRAW: return fx | UI_FX_INVALIDATE;
	default:
		break;
	}
	return fx;
}

void tui_key(struct tui *t, uint32_t key)
{
	const struct view_ops *v;
	enum action a;
	unsigned fx = UI_FX_UNHANDLED;

	if (key == KEYS_FN(KEY_RESIZE) || key == KEYS_FN(KEY_MOUSE))
		return;
	if (t->prompt.kind != PROMPT_NONE) {
		tui_apply(t, prompt_key(&t->prompt, key));
		return;
	}
	a = keys_action(key);
	if (a != ACT_RESET)
		t->m.reset_armed_until = 0;
	v = views[top(t)];
	if (v->key)
		fx = v->key(t->vstate[top(t)], &t->m, a);
	if (fx & UI_FX_UNHANDLED)
		fx = global_key(t, a);
	tui_apply(t, fx | UI_FX_REDRAW);
}

void tui_click(struct tui *t, int x, int y, int button, bool double_click)
{
	const struct view_ops *v = views[top(t)];
	int f;

	t->dirty = true;
	if (t->prompt.kind != PROMPT_NONE)
		return;
	if (y == t->fkeys_y && button == 1) {
		for (f = 0; f < 10; f++)
			if (x >= t->fkey_x[f] && x < t->fkey_x[f + 1]) {
				tui_key(t, KEYS_FN(KEY_F(f + 1)));
				return;
			}
		return;
	}
	if (v->click)
		tui_apply(t, v->click(t->vstate[top(t)], &t->m, x, y, button, double_click));
}

int tui_command(struct tui *t, const char *line)
{
	unsigned fx = 0;
	int rc = prompt_command(&t->prompt, line, &fx);

	tui_apply(t, fx);
	return rc;
}

void tui_help(struct tui *t)
{
	tui_apply(t, model_open(&t->m, "help", 0, 0));
}

const char *tui_view(const struct tui *t)
{
	return views[top(t)]->name;
}

enum pane_id tui_focus(const struct tui *t)
{
	return main_view_focus(t->vstate[0]);
}

/* ---- drawing ---- */

int tui_render(struct tui *t, struct canvas *c, int *cy)
{
	int W = c->w, H = c->h, hdr, y, status_y, cx = -1;
	struct rect body;

	canvas_clear(c);
	*cy = -1;
	if (W < 20 || H < 4) {
		canvas_put(c, 0, 0, W, "terminal too small", EL_STATUS_ERROR);
		return -1;
	}
	hdr = H >= 16 ? 3 : H >= 10 ? 2 : 1;
	header_render(&t->m, c, hdr);
	y = hdr;
	if (t->m.exited || t->m.paused)
		header_banner(&t->m, c, y++);
	if (H >= 8) {
		status_y = H - 2;
		t->fkeys_y = H - 1;
		statusbar_fkeys(&t->m, c, t->fkeys_y, t->fkey_x);
	} else {
		status_y = H - 1;
		t->fkeys_y = -1;
	}
	body = (struct rect){ 0, y, W, status_y - y };
	if (body.h > 0)
		views[top(t)]->render(t->vstate[top(t)], &t->m, c, &body);
	if (t->prompt.kind != PROMPT_NONE) {
		cx = prompt_render(&t->prompt, c, status_y);
		*cy = status_y;
	} else {
		statusbar_render(&t->m, c, status_y);
	}
	return cx;
}
