/* commands: the table and the exec functions; each validates its
 * arguments and calls the actions (ui/actions.h) on the context's model. */
#include "ui/commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/request.h"
#include "output/formats.h"
#include "ui/actions.h"
#include "ui/gilview.h"

static int cmd_sort(struct cmd_ctx *cx, int argc, char **argv)
{
	struct ui_model *m = cx->m;

	int k = model_sort_parse(argv[0]);
	bool rev = false;

	if (k < 0) {
		model_message(m, true, "sort: unknown or ambiguous column '%s' (%%own, %%total, "
			    "owntime, totaltime, name, file, or a unique prefix)", argv[0]);
		return -1;
	}
	if (argc > 1) {
		size_t len = strlen(argv[1]);

		if (strcmp(argv[1], "-r") != 0 &&
		    !(len && strncasecmp(argv[1], "reverse", len) == 0)) {
			model_message(m, true, "sort: the second word can only be 'reverse'");
			return -1;
		}
		rev = true;
	}
	/* Sorting is local to the rows of the last refresh: no new query,
	 * whose window would be cut short. */
	cx->fx |= model_set_sort(m, (enum sort_key)k, false);
	if (rev)
		cx->fx |= model_set_sort(m, (enum sort_key)k, true);
	model_message(m, false, "sorted by %s%s", model_sort_name((enum sort_key)k),
		      rev ? ", reversed" : "");
	return 0;
}

static int cmd_filter(struct cmd_ctx *cx, int argc, char **argv)
{
	struct ui_model *m = cx->m;

	char text[LINEEDIT_MAX];
	size_t len = 0;
	int i;

	text[0] = '\0';
	for (i = 0; i < argc; i++)
		len += (size_t)snprintf(text + len, len < sizeof(text) ? sizeof(text) - len : 0,
					"%s%s", i ? " " : "", argv[i]);
	cx->fx |= model_set_filter(m, text);
	if (text[0])
		model_message(m, false, "filter: %s", text);
	else
		model_message(m, false, "filter cleared");
	return 0;
}

/* The thread a name stands for: the one thread with that exact name, else
 * the one whose name starts with it (case-insensitive). 0 when none or
 * several (*count says how many). */
static uint32_t thread_by_name(const struct ui_model *m, const char *name, size_t *count)
{
	uint32_t tid = 0;
	size_t i, n = 0, len = strlen(name);

	for (i = 0; i < m->ntview; i++)
		if (strcmp(m->threads[m->tview[i]].name, name) == 0) {
			tid = m->threads[m->tview[i]].tid;
			n++;
		}
	if (!n)
		for (i = 0; i < m->ntview; i++)
			if (strncasecmp(m->threads[m->tview[i]].name, name, len) == 0) {
				tid = m->threads[m->tview[i]].tid;
				n++;
			}
	*count = n;
	return n == 1 ? tid : 0;
}

static int cmd_thread(struct cmd_ctx *cx, int argc, char **argv)
{
	struct ui_model *m = cx->m;

	char name[LINEEDIT_MAX], *end;
	unsigned long tid;
	size_t len = 0, count;
	uint32_t found;
	int i;

	/* A name may have blanks: the words are one name. */
	name[0] = '\0';
	for (i = 0; i < argc; i++)
		len += (size_t)snprintf(name + len, len < sizeof(name) ? sizeof(name) - len : 0,
					"%s%s", i ? " " : "", argv[i]);
	if (strcmp(name, "all") == 0)
		return actions_follow(m, 0, &cx->fx);
	tid = strtoul(name, &end, 10);
	if (name[0] >= '0' && name[0] <= '9' && !*end) {
		if (tid == 0 || tid > 0xffffffffUL) {
			model_message(m, true, "thread: no thread %s", name);
			return -1;
		}
		return actions_follow(m, (uint32_t)tid, &cx->fx);
	}
	found = thread_by_name(m, name, &count);
	if (!found) {
		if (count > 1)
			model_message(m, true, "thread: %zu threads are called '%s'; give a thread id",
				    count, name);
		else
			model_message(m, true, "thread: no thread called '%s' (give a name, a tid or 'all')",
				    name);
		return -1;
	}
	return actions_follow(m, found, &cx->fx);
}

static int cmd_mode(struct cmd_ctx *cx, int argc, char **argv)
{
	struct ui_model *m = cx->m;

	int mode = actions_mode_parse(argv[0]);

	if (mode < 0) {
		model_message(m, true, "mode: cpu, wall or gil, not '%s'", argv[0]);
		return -1;
	}
	return actions_set_mode(m, (enum agg_mode)mode, &cx->fx);
}

static int cmd_rate(struct cmd_ctx *cx, int argc, char **argv)
{
	struct ui_model *m = cx->m;

	char *end;
	double hz = strtod(argv[0], &end);

	if (!*argv[0] || *end || !(hz >= 1 && hz <= 100000)) {
		model_message(m, true, "rate: give samples per second, 1 to 100000, not '%s'", argv[0]);
		return -1;
	}
	return actions_set_rate(m, hz, &cx->fx);
}

static int cmd_save(struct cmd_ctx *cx, int argc, char **argv)
{
	struct ui_model *m = cx->m;

	return actions_save(m, argc ? argv[0] : NULL, &cx->fx);
}

static int cmd_reset(struct cmd_ctx *cx, int argc, char **argv)
{
	struct ui_model *m = cx->m;

	actions_reset(m, &cx->fx);
	return 0;
}

static int cmd_help(struct cmd_ctx *cx, int argc, char **argv)
{
	struct ui_model *m = cx->m;

	cx->fx |= model_open(m, "help", 0, 0);
	return 0;
}

static int cmd_quit(struct cmd_ctx *cx, int argc, char **argv)
{
	struct ui_model *m = cx->m;

	(void)m;
	cx->fx |= UI_FX_QUIT;
	return 0;
}

static int cmd_gilstat(struct cmd_ctx *cx, int argc, char **argv)
{
	return gilview_command(cx->m, argc, argv, &cx->fx);
}

/* The save command's help, made from the formats table the first time the
 * table is looked at: "Write a snapshot (.json, .collapsed, .folded or
 * text)", the file endings that choose a format, else the default. */
static char trace_usage[256], watch_usage[256];
static char save_help[160];

static void save_help_make(void)
{
	const struct output_format *f, *def = formats_default();
	const char *sep = "";
	size_t n, len;

	if (save_help[0])
		return;
	snprintf(trace_usage, sizeof(trace_usage), "%s", request_usage(true));
	snprintf(watch_usage, sizeof(watch_usage), "%s", request_usage(false));
	f = formats_table(&n);
	len = (size_t)snprintf(save_help, sizeof(save_help), "Write a snapshot (");
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; &f[i] != def && f[i].exts[k] && len < sizeof(save_help); k++) {
			len += (size_t)snprintf(save_help + len, sizeof(save_help) - len, "%s%s", sep, f[i].exts[k]);
			sep = ", ";
		}
	if (len < sizeof(save_help))
		snprintf(save_help + len, sizeof(save_help) - len, "%s%s)", *sep ? " or " : "", def->name);
}

static int cmd_agent(struct cmd_ctx *cx, bool trace, int argc, char **argv)
{
	struct request q;
	char err[512];

	if (request_parse(trace, argc, argv, &q, err, sizeof(err)) < 0) {
		model_message(cx->m, true, "%s", err);
		return -1;
	}
	return actions_agent_request(cx->m, &q, &cx->fx);
}

static int cmd_trace(struct cmd_ctx *cx, int argc, char **argv)
{
	return cmd_agent(cx, true, argc, argv);
}

static int cmd_watch(struct cmd_ctx *cx, int argc, char **argv)
{
	return cmd_agent(cx, false, argc, argv);
}

static int cmd_untrace(struct cmd_ctx *cx, int argc, char **argv)
{
	(void)argc, (void)argv;
	return actions_agent_stop(cx->m, true, &cx->fx);
}

static int cmd_unwatch(struct cmd_ctx *cx, int argc, char **argv)
{
	(void)argc, (void)argv;
	return actions_agent_stop(cx->m, false, &cx->fx);
}

static int cmd_detach(struct cmd_ctx *cx, int argc, char **argv)
{
	(void)argc, (void)argv;
	return actions_agent_detach(cx->m, &cx->fx);
}


static const struct command table[] = {
	{ "sort", NULL, "COLUMN [reverse]",
	  "Sort by %own, %total, owntime, totaltime, name or file", CMPL_COLUMN, 1, 2, cmd_sort },
	{ "filter", NULL, "[TEXT]",
	  "Show functions whose name or file has TEXT", CMPL_FUNCTION, 0, -1, cmd_filter },
	{ "thread", NULL, "TID|NAME|all", "Follow one thread (by id or name), or all threads",
	  CMPL_THREAD, 1, -1, cmd_thread },
	{ "mode", NULL, "cpu|wall|gil",
	  "What counts: on-CPU samples, every sample (where it waits), or GIL holders (resets)",
	  CMPL_MODE, 1, 1, cmd_mode },
	{ "rate", NULL, "HZ", "Sample HZ times a second (resets the counts)", CMPL_NONE, 1, 1, cmd_rate },
	{ "gilstat", NULL, "on|exact|off [TAKE_MS [HOLD_MS]]",
	  "GIL statistics per thread; warn on waits / holds longer than TAKE_MS / HOLD_MS (10)",
	  CMPL_NONE, 1, 3, cmd_gilstat },
	{ "save", "w", "[FILE]",
	  save_help, CMPL_NONE, 0, 1, cmd_save },
	{ "trace", NULL, trace_usage,
	  "Each of the next COUNT calls of a method as a tree of what it called, with costs (injects an agent)",
	  CMPL_PYNAME, 1, -1, cmd_trace },
	{ "watch", NULL, watch_usage,
	  "Each of the next COUNT calls of a method: arguments, result or exception, cost (injects an agent)",
	  CMPL_PYNAME, 1, -1, cmd_watch },
	{ "untrace", NULL, "", "Stop every trace", CMPL_NONE, 0, 0, cmd_untrace },
	{ "unwatch", NULL, "", "Stop every watch", CMPL_NONE, 0, 0, cmd_unwatch },
	{ "detach", NULL, "", "Remove pytop's agent from the target", CMPL_NONE, 0, 0, cmd_detach },
	{ "reset", NULL, "", "Forget all counts", CMPL_NONE, 0, 0, cmd_reset },
	{ "help", "?", "", "Show the help screen", CMPL_NONE, 0, 0, cmd_help },
	{ "quit", "q", "", "Quit pytop", CMPL_NONE, 0, 0, cmd_quit },
};

const struct command *commands_table(size_t *n)
{
	save_help_make();
	*n = sizeof(table) / sizeof(table[0]);
	return table;
}

const struct command *commands_find(const char *name, bool *ambiguous)
{
	const struct command *found = NULL;
	size_t i, len = strlen(name), hits = 0;

	save_help_make();
	if (ambiguous)
		*ambiguous = false;
	if (!len)
		return NULL;
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(table[i].name, name) == 0 || (table[i].alias && strcmp(table[i].alias, name) == 0))
			return &table[i];
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strncmp(table[i].name, name, len) == 0) {
			found = &table[i];
			hits++;
		}
	if (hits > 1) {
		if (ambiguous)
			*ambiguous = true;
		return NULL;
	}
	return found;
}

int commands_split(char *line, char **argv, int max)
{
	char *r = line, *w = line;
	int n = 0;

	for (;;) {
		char quote = 0;

		while (*r == ' ' || *r == '\t')
			r++;
		if (!*r)
			break;
		if (n == max)
			return -1;
		argv[n++] = w;
		while (*r && (quote || (*r != ' ' && *r != '\t'))) {
			if (!quote && (*r == '"' || *r == '\'')) {
				quote = *r++;
			} else if (quote && *r == quote) {
				quote = 0;
				r++;
			} else if (*r == '\\' && r[1] && quote != '\'') {
				r++;
				*w++ = *r++;
			} else {
				*w++ = *r++;
			}
		}
		if (quote)
			return -1;
		if (*r)
			r++;
		*w++ = '\0';
	}
	return n;
}

int commands_run(struct cmd_ctx *cx, const char *line)
{
	char buf[LINEEDIT_MAX * 2];
	char *argv[COMMANDS_MAX_ARGS + 1];
	const struct command *c;
	bool ambiguous;
	int argc;

	snprintf(buf, sizeof(buf), "%s", line);
	argc = commands_split(buf, argv, COMMANDS_MAX_ARGS + 1);
	if (argc < 0) {
		model_message(cx->m, true, "unterminated quote or too many words");
		return -1;
	}
	if (argc == 0)
		return 0;
	c = commands_find(argv[0], &ambiguous);
	if (!c) {
		model_message(cx->m, true, "%s command '%s' (type help for the list)",
			    ambiguous ? "ambiguous" : "unknown", argv[0]);
		return -1;
	}
	if (argc - 1 < c->min_args || (c->max_args >= 0 && argc - 1 > c->max_args)) {
		model_message(cx->m, true, "usage: %s %s", c->name, c->args);
		return -1;
	}
	return c->exec(cx, argc - 1, argv + 1);
}

static const char *const mode_words[] = { "cpu", "wall", "gil" };

/* The script's path in the target's command line: its first word that
 * ends in .py (NULL when none). */
static const char *script_of(const char *argv, char *out, size_t cap)
{
	const char *p = argv;

	while (p && *p) {
		size_t w;

		while (*p == ' ')
			p++;
		w = strcspn(p, " ");
		if (w > 3 && w < cap && strncmp(p + w - 3, ".py", 3) == 0) {
			memcpy(out, p, w);
			out[w] = '\0';
			return out;
		}
		p += w;
	}
	return NULL;
}

/* What `trace`/`watch` words complete to, from the Python functions seen
 * (busiest first: the function rows are in the aggregate's order): word 1
 * the dotted names module.Class.method and the modules, word 2 the names
 * in module argv[1] (classes, functions), word 3 the methods of class
 * argv[2]; each once. */
static size_t pynames(struct cmd_ctx *cx, int word, int argc, char **argv, const char **out, size_t cap)
{
	const struct ui_model *m = cx->m;
	char script[512], full[160];
	const char *sc = script_of(m->argv, script, sizeof(script));
	size_t n = 0, max = sizeof(cx->py_words) / sizeof(cx->py_words[0]);

	for (size_t i = 0; i < m->nfrows && n + 2 <= cap && n + 2 <= max; i++) {
		const struct agg_row *r = &m->frows[i];
		const char *cands[2] = { NULL, NULL };
		char parts[2][160];
		size_t ml;

		if (r->kind != FUNC_KIND_PYTHON || !(ml = request_pyname(r->file, r->name, sc, full, sizeof(full))))
			continue;
		const char *qual = full + ml + 1;
		if (word == 1) {
			snprintf(parts[0], sizeof(parts[0]), "%s", full);
			snprintf(parts[1], sizeof(parts[1]), "%.*s", (int)ml, full);
			cands[0] = parts[0];
			cands[1] = parts[1];
		} else if (word == 2 && argc > 1 && strlen(argv[1]) == ml && strncmp(full, argv[1], ml) == 0) {
			snprintf(parts[0], sizeof(parts[0]), "%.*s", (int)strcspn(qual, "."), qual);
			cands[0] = parts[0];
		} else if (word == 3 && argc > 2 && strlen(argv[1]) == ml && strncmp(full, argv[1], ml) == 0) {
			size_t cl = strlen(argv[2]);

			if (strncmp(qual, argv[2], cl) == 0 && qual[cl] == '.' && !strchr(qual + cl + 1, '.')) {
				snprintf(parts[0], sizeof(parts[0]), "%s", qual + cl + 1);
				cands[0] = parts[0];
			}
		}
		for (int c = 0; c < 2 && cands[c]; c++) {
			size_t k;

			for (k = 0; k < n; k++)
				if (strcmp(out[k], cands[c]) == 0)
					break;
			if (k < n)
				continue;
			snprintf(cx->py_words[n], sizeof(cx->py_words[n]), "%s", cands[c]);
			out[n] = cx->py_words[n];
			n++;
		}
	}
	return n;
}

size_t commands_candidates(struct cmd_ctx *cx, const char *line, int word, const char **out,
			   size_t cap)
{
	char buf[LINEEDIT_MAX * 2];
	char *argv[COMMANDS_MAX_ARGS + 1];
	const struct ui_model *m = cx->m;
	const struct command *c;
	size_t n = 0, i, k;
	int argc;

	if (word == 0) {
		for (i = 0; i < sizeof(table) / sizeof(table[0]) && n < cap; i++)
			out[n++] = table[i].name;
		return n;
	}
	snprintf(buf, sizeof(buf), "%s", line);
	argc = commands_split(buf, argv, COMMANDS_MAX_ARGS + 1);
	if (argc < 1 || !(c = commands_find(argv[0], NULL)))
		return 0;
	switch (c->complete) {
	case CMPL_COLUMN:
		if (word == 1) {
			size_t ns;
			const struct sort_col *sc = model_sort_cols(&ns);

			for (i = 0; i < ns && n < cap; i++)
				out[n++] = sc[i].name;
		}
		else if (word == 2 && n < cap)
			out[n++] = "reverse";
		break;
	case CMPL_FUNCTION:
		/* Distinct names of the table's rows, in table order. */
		for (i = 0; i < m->nshown && n < cap; i++) {
			for (k = 0; k < n; k++)
				if (strcmp(out[k], m->shown[i]->name) == 0)
					break;
			if (k == n)
				out[n++] = m->shown[i]->name;
		}
		break;
	case CMPL_THREAD:
		if (word != 1)
			break;
		if (n < cap)
			out[n++] = "all";
		/* names (copied: the rows change at every refresh), then tids */
		for (i = 0, k = 0; i < m->ntview && n < cap && k < COMMANDS_WORDS; i++) {
			const char *nm = m->threads[m->tview[i]].name;
			size_t j;

			if (!*nm)
				continue;
			for (j = 0; j < k; j++)
				if (strcmp(cx->tname_words[j], nm) == 0)
					break;
			if (j < k)
				continue;
			snprintf(cx->tname_words[k], sizeof(cx->tname_words[k]), "%s", nm);
			out[n++] = cx->tname_words[k++];
		}
		for (i = 0; i < m->ntview && n < cap && i < COMMANDS_WORDS; i++) {
			snprintf(cx->tid_words[i], sizeof(cx->tid_words[i]), "%u",
				 m->threads[m->tview[i]].tid);
			out[n++] = cx->tid_words[i];
		}
		break;
	case CMPL_MODE:
		if (word == 1)
			for (i = 0; i < 3 && n < cap; i++)
				out[n++] = mode_words[i];
		break;
	case CMPL_PYNAME:
		if (word >= 1 && word <= 3)
			n = pynames(cx, word, argc, argv, out, cap);
		break;
	case CMPL_NONE:
		break;
	}
	return n;
}
