/* tui: the full-screen front end's model and main loop. A struct tui holds
 * the view settings (sort, filter, followed thread, window or cumulative,
 * function or line rows), the rows of the last refresh, the selection of
 * each pane and the prompt. The loop (tui_run) drains the session's ring on
 * every tick, refreshes the rows at the refresh interval, and draws through
 * screen.c; nothing here calls curses, so a tui can also run headless over
 * a bare aggregate (tui_new) for tests: feed keys, render into a canvas. */
#ifndef PYTOP_UI_TUI_H
#define PYTOP_UI_TUI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "options.h"
#include "sampling/aggregate.h"
#include "ui/canvas.h"
#include "ui/lineedit.h"

struct session;
struct detail;
struct cpustat;
struct source_cache;

/* Panes of the main view, in focus order. */
enum pane_id { PANE_TABLE = 0, PANE_THREADS, PANE_STACK, PANE_COUNT };

/* Orders of the hot table (the four numeric columns first). */
enum sort_key {
	SORT_OWN_PCT = 0, SORT_TOTAL_PCT, SORT_OWN_TIME, SORT_TOTAL_TIME,
	SORT_NAME, SORT_FILE, SORT_COUNT
};

/* What fills the screen between the header and the status line. */
enum tui_view { VIEW_MAIN = 0, VIEW_DETAIL, VIEW_HELP, VIEW_GILSTAT };

/* What the status line is editing. */
enum prompt_kind { PROMPT_NONE = 0, PROMPT_COMMAND, PROMPT_FILTER };

/* A row of the hot table: a function, or a line of one. */
struct tui_row {
	uint32_t func;
	const char *name, *file;
	int line;             /* first line (functions) or the line (lines view) */
	struct agg_stat win, cum;
};

/* A list's selection and scroll offset. */
struct list_pos {
	int sel, top;
};

/* A screen rectangle; h == 0 when hidden. */
struct rect {
	int x, y, w, h;
};

#define TUI_STACK_MAX 128
#define TUI_MSG_MAX 512
#define TUI_COMPLETIONS 64

struct tui {
	/* the data */
	struct session *sess;         /* NULL when headless */
	struct aggregate *agg;
	pid_t pid;
	char python[32];
	char argv[4096];
	char log_path[256];           /* launch mode: the program's output */
	double rate_hz;
	bool launched;

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

	/* the last refresh: every function and every line with samples, each
	 * with its window and cumulative counts; sorting, filtering and the
	 * window/cumulative switch work on these until the next refresh */
	struct tui_row *frows, *lrows;
	size_t nfrows, nlrows;
	const struct tui_row **shown; /* the table: filtered and sorted */
	size_t nshown;
	struct agg_thread_row *threads;
	size_t nthreads;
	double *thread_cpu;           /* CPU% per threads[] row, < 0 unknown */
	size_t *tview;                /* threads shown, live ones first, busiest first */
	size_t ntview;
	size_t nlive;                 /* threads sampled in the latest round */
	size_t nrunning;              /* ... whose latest sample was on CPU */
	struct agg_summary win_sum, cum_sum, shown_sum;
	double window_s;              /* length of the last window */
	uint64_t drops;
	double target_cpu;            /* < 0 unknown */
	struct agg_frame stack[TUI_STACK_MAX];
	size_t stack_n;
	struct agg_latest stack_info;
	uint32_t stack_tid;
	uint64_t stack_at_ns;

	/* the target */
	bool exited;
	int exit_code;                /* -1 unknown */
	bool exit_handled;

	/* navigation */
	enum tui_view view;
	enum pane_id focus;
	struct list_pos pos[PANE_COUNT];
	struct rect rect[PANE_COUNT]; /* set by the last render */
	struct rect body;             /* area of the detail and help views */
	int fkey_x[11];               /* function-key bar: F(i+1) spans fkey_x[i]..fkey_x[i+1] */
	int status_y, fkeys_y, table_header_y;
	int col_x[16], col_w[16], col_id[16], ncols;   /* hot table columns */
	uint32_t sel_func;            /* the selected row's identity */
	int sel_line;
	bool sel_pinned;              /* the user moved: the selection follows the
				       * function, else it stays on the top row */
	uint32_t sel_tid;
	bool thread_pinned;           /* the user moved in the threads pane: the
				       * selection follows the thread, else it
				       * stays on the top (busiest) row */
	uint64_t reset_armed_until;   /* after the exit: r again before this wipes */
	struct detail *detail;
	int help_top, help_lines;
	int gil_top;                  /* the GIL view's first thread row */

	/* prompt and messages */
	enum prompt_kind prompt;
	struct lineedit le;
	char filter_before[LINEEDIT_MAX];
	char msg[TUI_MSG_MAX];
	bool msg_error;
	uint64_t msg_until_ns;
	const char *completions[TUI_COMPLETIONS];
	size_t ncompletions;
	char tid_words[TUI_COMPLETIONS][16];
	char tname_words[TUI_COMPLETIONS][AGG_THREAD_NAME_MAX];

	/* loop state */
	bool quit;
	bool dirty;
	uint64_t now_ns;
	uint64_t window_start_ns, next_refresh_ns, next_stack_ns;
	struct cpustat *cpu;
	struct source_cache *src;    /* source files for the detail view */
	uint64_t ui_cpu_ns;           /* this thread's CPU time, for the status */
};

/* A headless tui over agg (no session, no terminal), for tests; opt may be
 * NULL. Free with tui_free(). */
struct tui *tui_new(struct aggregate *agg, const struct options *opt);

/* Free a tui (not its aggregate or session). */
void tui_free(struct tui *t);

/* Run the full-screen front end for opt (attach or launch); returns the
 * process exit code. */
int tui_run(const struct options *opt);

/* Query the rows, threads and stack again from the aggregate (no new
 * window). */
void tui_requery(struct tui *t);

/* End the window: query the rows, then start a new window. */
void tui_refresh(struct tui *t);

/* Handle one key (a code point or KEYS_FN(code)). */
void tui_key(struct tui *t, uint32_t key);

/* Handle a click at screen cell (x, y); button 1 = left, 4/5 = wheel. */
void tui_click(struct tui *t, int x, int y, int button, bool double_click);

/* Draw everything into c (its size is the screen's). Returns the cursor
 * column (or -1 when hidden) and sets *cy to its row. */
int tui_render(struct tui *t, struct canvas *c, int *cy);

/* Show a message in the status line for a few seconds. */
__attribute__((format(printf, 3, 4)))
void tui_message(struct tui *t, bool error, const char *fmt, ...);

/* ---- what the commands and keys do; each returns 0 or -1 with a
 * message set ---- */

/* Parse a sort column name ("%own", "own", "1", "totaltime", "name",
 * "file" ...); -1 when unknown. */
int tui_sort_parse(const char *name);

/* The name of a sort column ("%own" ...). */
const char *tui_sort_name(enum sort_key k);

/* Sort the table by k; `toggle`: when already sorted by k, reverse. */
void tui_set_sort(struct tui *t, enum sort_key k, bool toggle);

/* Show only rows whose name or file contains text (case-insensitive);
 * "" shows all. */
void tui_set_filter(struct tui *t, const char *text);

/* Follow thread tid (0 = all threads). */
int tui_follow(struct tui *t, uint32_t tid);

/* Change the sampling rate (resets the statistics). */
int tui_set_rate(struct tui *t, double hz);

/* Write a snapshot to path (NULL: a new file named after the pid and the
 * time); the format follows the extension: .json, .collapsed/.folded, else
 * text. Reports the path or the error in the status line. */
int tui_save(struct tui *t, const char *path);

/* Forget everything shown (counts, duration, overhead, gilstat, the
 * window). After the target exited the first call only asks: a second one
 * within a few seconds wipes the frozen data. Returns 0 when reset. */
int tui_reset(struct tui *t);

/* Count samples by mode from now on (resets the counts). */
void tui_set_mode(struct tui *t, enum agg_mode mode);

/* Parse "cpu", "wall" or "gil" (or a unique prefix); -1 when unknown. */
int tui_mode_parse(const char *name);

/* Threads not sampled for this long leave the live view (their samples
 * stay in the all-threads numbers). */
#define TUI_THREAD_GRACE_NS 2000000000ull

/* Open the help screen. */
void tui_help(struct tui *t);

/* g / F6: start gilstat and open the GIL view; in the view, stop it
 * (ui/gilview.h). */
void tui_gilstat(struct tui *t);

/* Leave at the next tick. */
void tui_quit(struct tui *t);

/* Open the detail view of function `func` (an aggregate handle). */
void tui_open_detail(struct tui *t, uint32_t func, int line);

#endif
