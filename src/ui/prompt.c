/* prompt: keys to line-editor codes, completion, and running the line. */
#include "ui/prompt.h"

#include <stdio.h>
#include <string.h>

#include <curses.h>           /* KEY_* codes only; screen.c does the drawing */

#include "ui/keys.h"
#include "ui/theme.h"
#include "ui/utf8.h"

void prompt_init(struct prompt *p, struct ui_model *m)
{
	memset(p, 0, sizeof(*p));
	p->cmd.m = m;
	lineedit_init(&p->le);
}

void prompt_free(struct prompt *p)
{
	lineedit_free(&p->le);
}

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

void prompt_open(struct prompt *p, enum prompt_kind k)
{
	struct ui_model *m = p->cmd.m;

	p->kind = k;
	p->ncompletions = 0;
	if (k == PROMPT_FILTER) {
		snprintf(p->filter_before, sizeof(p->filter_before), "%s", m->filter);
		lineedit_set(&p->le, m->filter);
	} else {
		lineedit_set(&p->le, "");
	}
}

static unsigned complete(struct prompt *p)
{
	struct ui_model *m = p->cmd.m;
	const char *cands[256];
	size_t start, n = 0, i, k;
	int word;

	lineedit_word(&p->le, &start, &word);
	if (p->kind == PROMPT_COMMAND) {
		char line[LINEEDIT_MAX];

		memcpy(line, p->le.buf, p->le.cur);
		line[p->le.cur] = '\0';
		n = commands_candidates(&p->cmd, line, word, cands, 256);
	} else {
		for (i = 0; i < m->nfrows && n < 256; i++) {
			for (k = 0; k < n; k++)
				if (strcmp(cands[k], m->frows[i].name) == 0)
					break;
			if (k == n)
				cands[n++] = m->frows[i].name;
		}
	}
	p->ncompletions = lineedit_complete(&p->le, cands, n, p->completions, PROMPT_COMPLETIONS);
	if (p->ncompletions > PROMPT_COMPLETIONS)
		p->ncompletions = PROMPT_COMPLETIONS;
	if (p->kind == PROMPT_FILTER)
		return model_set_filter(m, p->le.buf);
	return 0;
}

int prompt_command(struct prompt *p, const char *line, unsigned *fx)
{
	int rc;

	p->cmd.fx = 0;
	rc = commands_run(&p->cmd, line);
	*fx |= p->cmd.fx | UI_FX_REDRAW;
	return rc;
}

unsigned prompt_key(struct prompt *p, uint32_t key)
{
	struct ui_model *m = p->cmd.m;
	enum lineedit_result r;
	unsigned fx = UI_FX_REDRAW;
	uint32_t k;
	char line[LINEEDIT_MAX];

	if (key == '\t')
		return fx | complete(p);
	p->ncompletions = 0;
	k = prompt_map(key);
	if (!k)
		return fx;
	if (p->kind == PROMPT_FILTER && (k == LE_UP || k == LE_DOWN))
		return fx;
	r = lineedit_key(&p->le, k);
	switch (r) {
	case LE_ACCEPT:
		snprintf(line, sizeof(line), "%s", p->le.buf);
		if (p->kind == PROMPT_COMMAND) {
			p->kind = PROMPT_NONE;
			lineedit_history_add(&p->le, line);
			prompt_command(p, line, &fx);
		} else {
			p->kind = PROMPT_NONE;
			fx |= model_set_filter(m, line);
			if (line[0])
				model_message(m, false, "filter: %s (Esc clears)", line);
		}
		break;
	case LE_ABORT:
		if (p->kind == PROMPT_FILTER)
			fx |= model_set_filter(m, "");
		p->kind = PROMPT_NONE;
		break;
	case LE_CHANGED:
		if (p->kind == PROMPT_FILTER)
			fx |= model_set_filter(m, p->le.buf);
		break;
	default:
		break;
	}
	return fx;
}

int prompt_render(struct prompt *p, struct canvas *c, int y)
{
	const char *label = p->kind == PROMPT_COMMAND ? ":" : "Filter: ";
	int pw = canvas_put(c, 0, y, c->w, label, EL_PROMPT);
	int col = lineedit_cursor_col(&p->le), off = 0, avail = c->w - pw - 1, cx;
	size_t start;

	/* Scroll long text so the cursor stays visible. */
	if (col > avail)
		off = col - avail;
	start = utf8_prefix(p->le.buf, off);
	canvas_put(c, pw, y, c->w - pw, p->le.buf + start, EL_PROMPT);
	cx = pw + col - utf8_width_n(p->le.buf, start);
	if (p->ncompletions > 1 && y > 0) {
		size_t i;
		int x = 1;

		canvas_fill(c, 0, y - 1, c->w, ' ', EL_STATUS);
		for (i = 0; i < p->ncompletions && x < c->w; i++)
			x += canvas_put(c, x, y - 1, c->w - x, p->completions[i], EL_HELP_KEY) + 2;
	}
	return cx;
}
