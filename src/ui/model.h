/* model: the live view's state over the aggregate's queries: the run's
 * facts, the view settings (sort, filter, followed thread, window or
 * cumulative, function or line rows), the rows of the last query, the
 * selections, the latest stack, the status message and the window clock;
 * also the sort columns (one table) and the effects (UI_FX_*) that actions,
 * views and commands return instead of doing them. Nothing here draws or
 * reads keys. */
#ifndef PYTOP_UI_MODEL_H
#define PYTOP_UI_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent/request.h"
#include "sampling/aggregate.h"
#include "ui/lineedit.h"

struct session;
struct cpustat;
struct source_cache;
struct tracer;

/* What must happen after an action, a key or a command: they return these
 * flags and the live view (tui.c) does them, in this order. */
enum ui_fx {
	UI_FX_REDRAW = 1u << 0,        /* draw again */
	UI_FX_REINDEX = 1u << 1,       /* filter and sort the last rows again */
	UI_FX_REQUERY = 1u << 2,       /* query the aggregate again (no new window) */
	UI_FX_UPDATE = 1u << 3,        /* the views query their own numbers again */
	UI_FX_STACK = 1u << 4,         /* read the latest stack again */
	UI_FX_REFRESH_SOON = 1u << 5,  /* end the current window early */
	UI_FX_NAV = 1u << 6,           /* open or close views (model.nav) */
	UI_FX_PROMPT_FILTER = 1u << 7, /* open the filter prompt */
	UI_FX_PROMPT_COMMAND = 1u << 8,/* open the command prompt */
	UI_FX_PROMPT_SAVE = 1u << 16, /* ask where and in which format to save */
	UI_FX_PROMPT_CONSENT = 1u << 17, /* ask before injecting the agent (model.asked) */
	UI_FX_INVALIDATE = 1u << 9,    /* repaint the whole terminal */
	UI_FX_QUIT = 1u << 10,         /* leave at the next tick */
	UI_FX_UNHANDLED = 1u << 15,    /* a view's key(): not one of mine */
};

/* Panes of the main view, in focus order (the selections live here). */
enum pane_id { PANE_TABLE = 0, PANE_THREADS, PANE_STACK, PANE_TRACE, PANE_COUNT };

/* Orders of the hot table (the four numeric columns first). */
enum sort_key {
	SORT_OWN_PCT = 0, SORT_TOTAL_PCT, SORT_OWN_TIME, SORT_TOTAL_TIME,
	SORT_NAME, SORT_FILE, SORT_COUNT
};

/* One sort column: its name (commands, completion, messages), its label
 * in the status line, the words it also goes by (a unique prefix of the
 * name or an alias does; `whole` ones only whole), and its order: the
 * aggregate's (sampling/aggregate.h), on the counts of the view shown, or
 * always on the cumulative ones (the time columns). */
struct sort_col {
	const char *name;
	const char *label;
	const char *alias[2];
	const char *whole[2];
	enum agg_sort order;
	bool cumulative;
};

/* The sort columns, indexed by enum sort_key. */
const struct sort_col *model_sort_cols(size_t *n);

/* Parse a sort column name ("%own", "own", "1", "totaltime", "name",
 * "file" ...); -1 when unknown or ambiguous. */
int model_sort_parse(const char *name);

/* The name of a sort column ("%own" ...). */
const char *model_sort_name(enum sort_key k);

/* A list's selection and scroll offset. */
struct list_pos {
	int sel, top;
};

/* A view change asked for with UI_FX_NAV: open the view named `open`
 * (detail: at func, line) and/or close the view named `close` when it is
 * on top ("*": whatever is on top). */
struct ui_nav {
	const char *open, *close;
	uint32_t func;
	int line;
};

#define MODEL_STACK_MAX 128
#define MODEL_MSG_MAX 512

/* Threads not sampled for this long leave the live view (their samples
 * stay in the all-threads numbers). */
#define MODEL_THREAD_GRACE_NS 2000000000ull

struct ui_model {
	/* the data */
	struct session *sess;         /* NULL when headless */
	struct aggregate *agg;
	pid_t pid;
	char python[32];
	char argv[4096];
	char log_path[256];           /* launch mode: the program's output */
	double rate_hz;
	bool launched;
	struct cpustat *cpu;
	struct source_cache *src;     /* source files for the detail view */
	struct tracer *tracer;        /* trace/watch (NULL: no target to inject into) */

	/* view settings */
	enum sort_key sort;
	bool reverse;
	bool lines;                   /* rows are lines, not functions */
	bool cumulative;              /* percentages cumulative, not the window */
	char filter[LINEEDIT_MAX];
	uint32_t follow_tid;          /* 0 = all threads */
	double delay_s;               /* refresh interval */
	bool paused;
	bool utf8, color;

	/* the last query: every function and every line with samples, each
	 * with its window and cumulative counts; sorting, filtering and the
	 * window/cumulative switch work on these until the next query */
	struct agg_row *frows, *lrows; /* AGG_LEVEL_FUNC rows, AGG_LEVEL_LINE rows */
	size_t nfrows, nlrows;
	const struct agg_row **shown; /* the table: filtered and sorted (by the aggregate) */
	size_t nshown;
	struct agg_thread_row *threads;
	size_t nthreads;
	double *thread_cpu;           /* CPU% per threads[] row, < 0 unknown */
	size_t *tview;                /* threads shown, live ones first, busiest first */
	size_t ntview;
	size_t nlive;                 /* threads sampled in the latest round */
	size_t nrunning;              /* ... whose latest sample was on CPU */
	struct agg_summary win_sum, cum_sum;
	double window_s;              /* length of the last window */
	uint64_t drops;
	double target_cpu;            /* < 0 unknown */
	struct agg_frame stack[MODEL_STACK_MAX];
	size_t stack_n;
	struct agg_latest stack_info;
	uint32_t stack_tid;
	uint64_t stack_at_ns;

	/* the target */
	bool exited;
	bool stopped;                 /* its main thread stopped (SIGSTOP, a debugger): T or t */
	int exit_code;                /* -1 unknown */

	/* selections */
	struct list_pos pos[PANE_COUNT];
	uint32_t sel_func;            /* the selected row's identity */
	int sel_line;
	bool sel_pinned;              /* the user moved: the selection follows the
				       * function, else it stays on the top row */
	uint32_t sel_tid;
	bool thread_pinned;           /* the user moved in the threads pane: the
				       * selection follows the thread, else it
				       * stays on the top (busiest) row */
	uint64_t reset_armed_until;   /* after the exit: r again before this wipes */

	/* the status message */
	char msg[MODEL_MSG_MAX];
	bool msg_error;
	uint64_t msg_until_ns;

	/* the clock */
	uint64_t now_ns;
	uint64_t window_start_ns, next_refresh_ns, next_stack_ns;

	/* trace/watch: the user said yes to the agent once; the request
	 * waiting for that answer; what the command prompt opens with */
	bool agent_consent;
	struct request asked;
	char prefill[LINEEDIT_MAX];

	/* asked for with UI_FX_NAV */
	struct ui_nav nav;
};

/* Set up m over agg (sess NULL: headless). */
void model_init(struct ui_model *m, struct aggregate *agg, double rate_hz, double delay_s);

/* Free what m holds (not its aggregate, session, cpustat or sources). */
void model_free(struct ui_model *m);

/* Show a message in the status line for a few seconds. */
__attribute__((format(printf, 3, 4)))
void model_message(struct ui_model *m, bool error, const char *fmt, ...);

/* Query the rows, threads and stack again from the aggregate. */
void model_requery(struct ui_model *m);

/* Build the table (filter, order) and the threads list from the last
 * query; the selections stay on the same function and thread. */
void model_reindex(struct ui_model *m);

/* Read the latest stack of the followed, selected or busiest thread. */
void model_update_stack(struct ui_model *m);

/* At the end of a window: query the rows (unless paused); returns UI_FX_*
 * (the views query theirs before the next window starts). */
unsigned model_refresh(struct ui_model *m);

/* Start a new window (after every view read the one that ended). */
void model_window_next(struct ui_model *m);

/* End the window early (a query in the middle of one sees only part). */
void model_refresh_soon(struct ui_model *m);

/* Sort the table by k; `toggle`: when already sorted by k, reverse. */
unsigned model_set_sort(struct ui_model *m, enum sort_key k, bool toggle);

/* Show only rows whose name or file contains text (case-insensitive). */
unsigned model_set_filter(struct ui_model *m, const char *text);

/* Move pane p's selection by delta (absolute: to delta). */
unsigned model_move(struct ui_model *m, enum pane_id p, int delta, bool absolute);

/* The name of thread tid from the last query, NULL if unknown. */
const char *model_thread_name(const struct ui_model *m, uint32_t tid);

/* Ask for a view change (returns UI_FX_NAV). */
unsigned model_open(struct ui_model *m, const char *view, uint32_t func, int line);
unsigned model_close(struct ui_model *m, const char *view);

#endif
