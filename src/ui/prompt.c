/* prompt: keys to line-editor codes, completion, and running the line. */
#include "ui/prompt.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <curses.h>           /* KEY_* codes only; screen.c does the drawing */

#include "output/formats.h"
#include "ui/actions.h"
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

/* The proposed file name in format f: dir/stem + f's first ending (the
 * directory left out when it is the current one). */
static bool save_name(const struct prompt *p, const char *ext, char *out, size_t cap)
{
	int n;

	if (strcmp(p->save_dir, ".") == 0)
		n = snprintf(out, cap, "%s%s", p->save_stem, ext);
	else
		n = snprintf(out, cap, "%s/%s%s", p->save_dir, p->save_stem, ext);
	return n >= 0 && (size_t)n < cap;
}

/* Tab in the save prompt: the name's ending becomes the next format's
 * (whatever the name, its ending is a format's or gets one), and the
 * formats are listed above the line. */
static void save_next_format(struct prompt *p)
{
	size_t n, i, len = strlen(p->le.buf), cut = len;
	const struct output_format *tab = formats_table(&n), *cur = formats_for_path(p->le.buf);
	char line[LINEEDIT_MAX];

	for (size_t k = 0; cur->exts[k]; k++) {
		size_t e = strlen(cur->exts[k]);
		if (e <= len && strcasecmp(p->le.buf + len - e, cur->exts[k]) == 0) {
			cut = len - e;
			break;
		}
	}
	i = (size_t)(cur - tab);
	if (cut < len)
		i = (i + 1) % n;   /* it had cur's ending: the next one */
	snprintf(line, sizeof(line), "%.*s%s", (int)cut, p->le.buf, tab[i].exts[0]);
	lineedit_set(&p->le, line);
}

/* The formats, listed above the save prompt. */
static void save_list_formats(struct prompt *p)
{
	size_t n;
	const struct output_format *tab = formats_table(&n);

	p->ncompletions = 0;
	for (size_t i = 0; i < n && i < PROMPT_COMPLETIONS; i++)
		p->completions[p->ncompletions++] = tab[i].name;
}

void prompt_open(struct prompt *p, enum prompt_kind k)
{
	struct ui_model *m = p->cmd.m;

	p->kind = k;
	p->ncompletions = 0;
	if (k == PROMPT_FILTER) {
		snprintf(p->filter_before, sizeof(p->filter_before), "%s", m->filter);
		lineedit_set(&p->le, m->filter);
	} else if (k == PROMPT_SAVE) {
		char line[LINEEDIT_MAX];

		actions_save_proposal(m, p->save_dir, sizeof(p->save_dir), p->save_stem, sizeof(p->save_stem));
		if (!save_name(p, formats_default()->exts[0], line, sizeof(line)))
			line[0] = '\0';
		lineedit_set(&p->le, line);
		save_list_formats(p);
	} else if (k == PROMPT_COMMAND && m->prefill[0]) {
		lineedit_set(&p->le, m->prefill);
		m->prefill[0] = '\0';
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

/* Enter in the save prompt: the proposed name in one of the formats is
 * created new (the directory may be shared: O_EXCL, another name when
 * taken); any other name is the user's choice, written as :save writes it. */
static void save_accept(struct prompt *p, const char *line, unsigned *fx)
{
	struct ui_model *m = p->cmd.m;
	size_t n;
	const struct output_format *tab = formats_table(&n);
	char name[LINEEDIT_MAX];

	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; tab[i].exts[k]; k++) {
			if (save_name(p, tab[i].exts[k], name, sizeof(name)) && strcmp(line, name) == 0) {
				actions_save_new(m, p->save_dir, p->save_stem, tab[i].exts[k], fx);
				return;
			}
		}
	if (!line[0]) {
		model_message(m, false, "not saved");
		return;
	}
	actions_save(m, line, fx);
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

	if (p->kind == PROMPT_CONSENT) {
		/* y says yes; anything else no. */
		p->kind = PROMPT_NONE;
		actions_agent_consent(m, key == 'y' || key == 'Y', &fx);
		return fx;
	}
	if (key == '\t' && p->kind == PROMPT_SAVE) {
		save_next_format(p);
		save_list_formats(p);
		return fx;
	}
	if (key == '\t')
		return fx | complete(p);
	p->ncompletions = 0;
	if (p->kind == PROMPT_SAVE)
		save_list_formats(p);
	k = prompt_map(key);
	if (!k)
		return fx;
	if ((p->kind == PROMPT_FILTER || p->kind == PROMPT_SAVE) && (k == LE_UP || k == LE_DOWN))
		return fx;
	r = lineedit_key(&p->le, k);
	switch (r) {
	case LE_ACCEPT:
		snprintf(line, sizeof(line), "%s", p->le.buf);
		if (p->kind == PROMPT_COMMAND) {
			p->kind = PROMPT_NONE;
			lineedit_history_add(&p->le, line);
			prompt_command(p, line, &fx);
		} else if (p->kind == PROMPT_SAVE) {
			p->kind = PROMPT_NONE;
			save_accept(p, line, &fx);
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

/* The consent question: what will be injected where, and why. */
static int render_consent(struct prompt *p, struct canvas *c, int y)
{
	const struct ui_model *m = p->cmd.m;
	char q[LINEEDIT_MAX + 256];
	int w;

	snprintf(q, sizeof(q), "%s %.200s needs pytop's agent inside process %d (Python code run by the target "
		 "until :detach or quit). Inject it? [y/N] ", m->asked.trace ? "Tracing" : "Watching",
		 m->asked.target, (int)m->pid);
	canvas_fill(c, 0, y, c->w, ' ', EL_STATUS_ERROR);
	w = canvas_put(c, 0, y, c->w, q, EL_STATUS_ERROR);
	return w < c->w ? w : c->w - 1;
}

int prompt_render(struct prompt *p, struct canvas *c, int y)
{
	if (p->kind == PROMPT_CONSENT)
		return render_consent(p, c, y);
	const char *label = p->kind == PROMPT_COMMAND ? ":" : p->kind == PROMPT_SAVE ? "Save as (Tab: format): " :
		"Filter: ";
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
