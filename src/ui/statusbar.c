/* statusbar: the status line and the function-key bar. */
#include "ui/statusbar.h"

#include <stdio.h>

#include "ui/keys.h"
#include "ui/theme.h"
#include "ui/utf8.h"

void statusbar_render(const struct ui_model *m, struct canvas *c, int y)
{
	char buf[MODEL_MSG_MAX + 64];
	size_t len = 0, ns;
	const struct sort_col *sc = model_sort_cols(&ns);
	char who[48];
	const char *hint = "  ? help  : command";
	int used;

	if (m->msg[0] && m->now_ns < m->msg_until_ns) {
		canvas_put(c, 0, y, c->w, m->msg, m->msg_error ? EL_STATUS_ERROR : EL_STATUS);
		return;
	}
	if (m->follow_tid)
		snprintf(who, sizeof(who), "thread %u", m->follow_tid);
	else
		snprintf(who, sizeof(who), "all threads");
	len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%zu %s%s, by %s%s, %% of %s, %s",
				m->nshown, m->lines ? "lines" : "functions",
				m->filter[0] ? " matching" : "",
				(size_t)m->sort < ns ? sc[m->sort].label : "?",
				m->reverse ? " reversed" : "",
				m->cumulative ? "all samples" : "the last refresh", who);
	if (m->filter[0] && len < sizeof(buf))
		snprintf(buf + len, sizeof(buf) - len, ", filter '%s'", m->filter);
	used = canvas_put(c, 0, y, c->w, buf, EL_STATUS);
	if (used + utf8_width(hint) <= c->w)
		canvas_put_right(c, 0, y, c->w, hint, EL_DIM);
}

void statusbar_fkeys(const struct ui_model *m, struct canvas *c, int y, int fkey_x[11])
{
	const struct key_binding *fk[10];
	int f, x = 0;

	keys_bar(fk);
	canvas_fill(c, 0, y, c->w, ' ', EL_FKEY_LABEL);
	for (f = 0; f < 10; f++) {
		char key[8], label[16];
		const char *text;

		fkey_x[f] = x;
		if (!fk[f])
			continue;
		text = fk[f]->bar;
		if (fk[f]->action == ACT_PAUSE && m->paused)
			text = "Resume";
		if (fk[f]->action == ACT_FOLLOW && m->follow_tid)
			text = "All";
		snprintf(key, sizeof(key), "F%d", f + 1);
		snprintf(label, sizeof(label), "%-6s", text);
		x += canvas_put(c, x, y, c->w - x, key, EL_FKEY_KEY);
		x += canvas_put(c, x, y, c->w - x, label, EL_FKEY_LABEL);
	}
	fkey_x[10] = x;
}
