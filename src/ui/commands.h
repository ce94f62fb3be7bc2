/* commands: the `:` prompt's commands as one const table (tmux style:
 * name, alias, argument usage, help, what the arguments complete to, and
 * the function that runs it). Later features (trace, watch, gilstat) add
 * rows here; the help screen lists the table. */
#ifndef PYTOP_UI_COMMANDS_H
#define PYTOP_UI_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>

#include "ui/model.h"

#define COMMANDS_WORDS 64

/* What a command works on: the model, the effects it asks for (UI_FX_*,
 * ui/model.h), and room for completion words. */
struct cmd_ctx {
	struct ui_model *m;
	unsigned fx;
	char tid_words[COMMANDS_WORDS][16];
	char tname_words[COMMANDS_WORDS][AGG_THREAD_NAME_MAX];
	char py_words[COMMANDS_WORDS * 4][160];
};

/* What a command's arguments complete to. */
enum cmd_complete {
	CMPL_NONE = 0,
	CMPL_COLUMN,          /* sort columns */
	CMPL_FUNCTION,        /* function names in the table */
	CMPL_THREAD,          /* "all", thread names and thread ids */
	CMPL_MODE,            /* cpu, wall, gil */
	CMPL_PYNAME,          /* module.Class.method names of the functions seen */
};

#define COMMANDS_MAX_ARGS 24

/* One command. exec gets the words after the command name; it reports
 * through model_message(), adds to ctx->fx what must happen next, and
 * returns 0, or -1 on an error. */
struct command {
	const char *name;
	const char *alias;            /* NULL when none */
	const char *args;             /* usage of the arguments, "" when none */
	const char *help;
	enum cmd_complete complete;
	int min_args, max_args;       /* max -1: any number, joined with spaces */
	int (*exec)(struct cmd_ctx *ctx, int argc, char **argv);
};

/* The table, in help order. */
const struct command *commands_table(size_t *n);

/* The command named (exactly, by alias, or by a unique prefix of a name);
 * NULL when none or ambiguous (*ambiguous tells which, may be NULL). */
const struct command *commands_find(const char *name, bool *ambiguous);

/* Split line in place into words (blanks separate; "..." and '...' quote;
 * backslash escapes the next character). Returns the number of words, or
 * -1 for an unterminated quote or more than max words. */
int commands_split(char *line, char **argv, int max);

/* Parse and run one command line; an error goes to the status line.
 * Returns 0, or -1 on an error (unknown command, wrong arguments ...). */
int commands_run(struct cmd_ctx *ctx, const char *line);

/* Completion candidates for the word with index `word` (0 = the command
 * name) of the line: pointers into the command table or into ctx's storage,
 * valid until the next call. Returns how many (at most cap). */
size_t commands_candidates(struct cmd_ctx *ctx, const char *line, int word, const char **out,
			   size_t cap);

#endif
