/* prompt: the status line's editor: the `:` command prompt (Tab completes
 * from the command table), the `/` filter prompt (the table filters as
 * you type; Esc puts it back) and the save prompt (a file name to edit;
 * Tab steps through the formats table) and the question asked before
 * pytop's agent is injected (y or n). It owns the line editor and the
 * commands' context. */
#ifndef PYTOP_UI_PROMPT_H
#define PYTOP_UI_PROMPT_H

#include <stddef.h>
#include <stdint.h>

#include "ui/canvas.h"
#include "ui/commands.h"
#include "ui/lineedit.h"
#include "ui/model.h"

/* What the status line is editing. */
enum prompt_kind { PROMPT_NONE = 0, PROMPT_COMMAND, PROMPT_FILTER, PROMPT_SAVE, PROMPT_CONSENT };

#define PROMPT_COMPLETIONS 64

struct prompt {
	enum prompt_kind kind;
	struct lineedit le;
	char filter_before[LINEEDIT_MAX];
	char save_dir[256];           /* the save prompt's proposal: dir/stem + a format's ending */
	char save_stem[64];
	const char *completions[PROMPT_COMPLETIONS];
	size_t ncompletions;
	struct cmd_ctx cmd;
};

/* Set up p over m. */
void prompt_init(struct prompt *p, struct ui_model *m);

/* Free what p holds. */
void prompt_free(struct prompt *p);

/* Start editing a command, the filter or where to save. */
void prompt_open(struct prompt *p, enum prompt_kind k);

/* A key while editing (a code point or KEYS_FN(code)); returns UI_FX_*. */
unsigned prompt_key(struct prompt *p, uint32_t key);

/* Run one command line; adds its effects to *fx; 0 or -1. */
int prompt_command(struct prompt *p, const char *line, unsigned *fx);

/* Draw the prompt at row y (the completions on the row above); returns
 * the cursor's column. */
int prompt_render(struct prompt *p, struct canvas *c, int y);

#endif
