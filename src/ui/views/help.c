/* views/help: the help lines built from the tables, and scrolling. */
#include "ui/views/help.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "errors.h"
#include "sampling/gilclass.h"
#include "ui/commands.h"
#include "ui/gilview.h"
#include "ui/theme.h"

struct help_view {
	int top;              /* the first line shown */
	int body_h;           /* rows at the last render */
};

struct help_line {
	const char *key;      /* left column (may be NULL) */
	char text[256];
	uint8_t elem;
};

static const char *const column_help[][2] = {
	{ "%Own", "share of samples running the function's own code (innermost frame)" },
	{ "%Total", "share of samples with the function anywhere on the stack" },
	{ "", "(both over the last refresh interval; c switches to cumulative)" },
	{ "OwnTime", "cumulative time in the function's own code (samples x interval)" },
	{ "TotalTime", "cumulative time with the function on the stack" },
	{ "OwnSamples", "cumulative samples (wide terminals)" },
};

/* The help screen's lines, generated from the key and command tables;
 * returns how many. */
static int help_build(struct help_line *lines, int cap, char (*keybuf)[64])
{
	const struct key_binding *kb;
	const struct command *cmd;
	size_t nk, nc, i;
	int n = 0;

#define ADD(k, el, ...) do { \
		if (n < cap) { \
			lines[n].key = (k); \
			lines[n].elem = (el); \
			snprintf(lines[n].text, sizeof(lines[n].text), __VA_ARGS__); \
		} \
		n++; \
	} while (0)

	ADD(NULL, EL_SECTION, "pytop %s: keys (Esc, q or ? closes this; arrows scroll)", PACKAGE_VERSION);
	kb = keys_table(&nk);
	for (i = 0; i < nk; i++) {
		const char *k = NULL;

		if (n < cap) {
			keys_names(&kb[i], keybuf[n], sizeof(keybuf[n]));
			k = keybuf[n];
		}
		ADD(k, EL_DEFAULT, "%s", kb[i].help);
	}
	ADD(NULL, EL_DEFAULT, "%s", "");
	ADD(NULL, EL_SECTION, "%s", "Commands (press : first; Tab completes commands and names)");
	cmd = commands_table(&nc);
	for (i = 0; i < nc; i++) {
		const char *k = NULL;

		if (n < cap) {
			snprintf(keybuf[n], sizeof(keybuf[n]), "%s%s%s", cmd[i].name, cmd[i].args[0] ? " " : "",
				 cmd[i].args);
			k = keybuf[n];
		}
		ADD(k, EL_DEFAULT, "%s%s%s%s", cmd[i].help, cmd[i].alias ? " (alias " : "",
		    cmd[i].alias ? cmd[i].alias : "", cmd[i].alias ? ")" : "");
	}
	ADD(NULL, EL_DEFAULT, "%s", "");
	ADD(NULL, EL_SECTION, "%s", "Columns");
	for (i = 0; i < sizeof(column_help) / sizeof(column_help[0]); i++)
		ADD(column_help[i][0], EL_DEFAULT, "%s", column_help[i][1]);
	ADD(NULL, EL_DEFAULT, "%s", "");
	ADD(NULL, EL_SECTION, "%s", "Threads pane (live threads first, busiest first)");
	ADD("OS CPU%", EL_DEFAULT, "%s", "CPU time the kernel accounted to the thread (/proc), last refresh");
	ADD("bar", EL_DEFAULT, "%s", "the thread's samples by state (below): a different measure");
	ADD("ended", EL_DEFAULT, "%s", "the thread is gone; its row leaves 2 s later (its samples stay)");
	{
		size_t ns, k;
		const struct state_seg *segs = gilview_state_segs(&ns);

		for (k = 0; k < ns; k++)
			ADD(segs[k].label, segs[k].elem, "%s", segs[k].label);
		ADD("empty", EL_DEFAULT, "%s (%s)", gilclass_name(GIL_IDLE), gilclass_info(GIL_IDLE)->description);
	}
#undef ADD
	return n;
}

static void render(void *vv, struct ui_model *m, struct canvas *c, const struct rect *r)
{
	static struct help_line lines[128];
	static char keys[128][64];
	struct help_view *v = vv;
	const struct glyphs *g = theme_glyphs(m->utf8);
	int n = help_build(lines, 128, keys), y, keyw = 24;
	size_t ns;
	const struct state_seg *segs = gilview_state_segs(&ns);

	if (n > 128)
		n = 128;
	v->body_h = r->h;
	if (v->top > n - r->h)
		v->top = n - r->h;
	if (v->top < 0)
		v->top = 0;
	for (y = 0; y < r->h && v->top + y < n; y++) {
		const struct help_line *l = &lines[v->top + y];
		int yy = r->y + y;

		if (l->elem == EL_SECTION) {
			canvas_put(c, r->x, yy, r->w, l->text, EL_SECTION);
			continue;
		}
		if (l->key && l->elem != EL_DEFAULT) {
			/* A thread-bar legend line: the segment's look, then its name. */
			size_t k;

			for (k = 0; k < ns; k++)
				if (segs[k].elem == l->elem) {
					uint32_t ch = m->color ? g->bar_fill : m->utf8 ? segs[k].mono_utf8
										    : segs[k].mono_ascii;

					canvas_fill(c, r->x + 2, yy, 4, ch, segs[k].elem);
				}
			canvas_put(c, r->x + keyw, yy, r->w - keyw, l->text, EL_DEFAULT);
			continue;
		}
		if (l->key)
			canvas_put(c, r->x + 2, yy, keyw - 3, l->key, EL_HELP_KEY);
		canvas_put(c, r->x + keyw, yy, r->w - keyw, l->text, EL_DEFAULT);
	}
}

/* The help takes every key: arrows scroll, q ? Esc Enter close it. */
static unsigned key(void *vv, struct ui_model *m, enum action a)
{
	struct help_view *v = vv;
	int page = v->body_h > 2 ? v->body_h - 1 : 1;
	unsigned fx = UI_FX_REDRAW;

	switch (a) {
	case ACT_UP: v->top--; break;
	case ACT_DOWN: v->top++; break;
	case ACT_PAGE_UP: v->top -= page; break;
	case ACT_PAGE_DOWN: v->top += page; break;
	case ACT_HOME: v->top = 0; break;
	case ACT_END: v->top = INT_MAX / 2; break;
	case ACT_QUIT: case ACT_HELP: case ACT_BACK: case ACT_ENTER:
		fx |= model_close(m, "help");
		break;
	default:
		break;
	}
	if (v->top < 0)
		v->top = 0;
	return fx;
}

static unsigned click(void *v, struct ui_model *m, int x, int y, int button, bool double_click)
{
	(void)x, (void)y, (void)double_click;
	if (button == 4 || button == 5)
		return key(v, m, button == 4 ? ACT_UP : ACT_DOWN);
	return UI_FX_REDRAW;
}

static unsigned open_view(void *vv, struct ui_model *m, uint32_t func, int line, bool again)
{
	struct help_view *v = vv;

	(void)m, (void)func, (void)line;
	if (!again)
		v->top = 0;
	return UI_FX_REDRAW;
}

static void *create(void)
{
	return xcalloc(1, sizeof(struct help_view));
}

static void destroy(void *v)
{
	free(v);
}

const struct view_ops help_view_ops = {
	.name = "help",
	.create = create,
	.destroy = destroy,
	.open = open_view,
	.render = render,
	.key = key,
	.click = click,
};
