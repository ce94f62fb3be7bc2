/* theme: what the screen's colours mean. Every drawn thing names an element
 * (a meaning, like "hot percentage" or "GIL wait"), and one scheme table
 * gives each element its colour pair and attributes, plus the attributes
 * used instead on a monochrome terminal or with NO_COLOR. Also the glyph
 * sets: UTF-8 box and block characters, or their ASCII fallbacks. Pure data:
 * screen.c turns it into curses attributes. */
#ifndef PYTOP_UI_THEME_H
#define PYTOP_UI_THEME_H

#include <stdbool.h>
#include <stdint.h>

/* Elements, by meaning. */
enum theme_elem {
	EL_DEFAULT = 0,
	EL_HEADER_LABEL,      /* "PID", "Rate" ... in the header */
	EL_HEADER_VALUE,
	EL_HEADER_WARN,       /* a value that needs attention (drops, errors) */
	EL_TARGET_RUNNING,    /* target state: running */
	EL_BANNER_EXITED,     /* "TARGET EXITED" */
	EL_BANNER_PAUSED,     /* "PAUSED" */
	EL_PANE_TITLE,        /* a pane's title bar */
	EL_PANE_TITLE_FOCUS,  /* ... of the focused pane */
	EL_COLUMN_HEADER,     /* the hot table's column titles */
	EL_COLUMN_SORTED,     /* the column it is sorted by */
	EL_SELECTION,         /* selection bar in the focused pane */
	EL_SELECTION_DIM,     /* selection bar in another pane */
	EL_PCT_HOT,           /* a large share */
	EL_PCT_WARM,
	EL_PCT,
	EL_FUNC,              /* a function's name */
	EL_FUNC_NATIVE,       /* a native (C) function's name (--native) */
	EL_LOCATION,          /* (file:line) */
	EL_DIM,               /* zeros, placeholders */
	EL_BAR_FRAME,         /* a meter's [ ] */
	EL_BAR_TEXT,          /* the text inside a meter */
	EL_BAR_SHADOW,        /* a meter's empty part */
	EL_BAR_RUNNING,       /* thread state segments */
	EL_BAR_GIL_HOLD,
	EL_BAR_GIL_WAIT,
	EL_BAR_GIL_BLOCKED,   /* holding the GIL while blocked: the worst case */
	EL_BAR_NOGIL,
	EL_BAR_IDLE,
	EL_BAR_UNKNOWN,
	EL_STATUS,            /* the status line */
	EL_STATUS_ERROR,
	EL_PROMPT,            /* ':' and the text being edited */
	EL_FKEY_KEY,          /* "F1" in the function-key bar */
	EL_FKEY_LABEL,        /* "Help" */
	EL_SECTION,           /* headings of the detail and help screens */
	EL_LINENO,            /* source line numbers */
	EL_SOURCE,            /* source text */
	EL_HELP_KEY,          /* keys in the help screen */
	EL_BORDER,            /* box lines */
	EL_COUNT
};

/* Colours of the scheme (the 8 ANSI colours; -1 = terminal default). */
enum theme_color {
	TC_DEFAULT = -1, TC_BLACK = 0, TC_RED, TC_GREEN, TC_YELLOW, TC_BLUE,
	TC_MAGENTA, TC_CYAN, TC_WHITE,
};

/* Attribute bits of the scheme (screen.c maps them to curses). */
#define TA_BOLD      0x1u
#define TA_REVERSE   0x2u
#define TA_DIM       0x4u
#define TA_UNDERLINE 0x8u

/* One element of the scheme. */
struct theme_style {
	const char *name;     /* for tests and debugging */
	short fg, bg;         /* enum theme_color */
	unsigned attrs;       /* TA_* with colours */
	unsigned mono;        /* TA_* on a monochrome terminal */
};

/* The scheme entry of an element (EL_DEFAULT's for an unknown one). */
const struct theme_style *theme_style(unsigned elem);

/* The element whose scheme entry is called name ("bar-gil-hold"), or
 * EL_DEFAULT. */
unsigned theme_find(const char *name);

/* Should colours be used? Not when disabled on the command line, when the
 * NO_COLOR environment variable is set and not empty (no-color.org), or
 * when the terminal has none (term_colors < 8). */
bool theme_want_color(bool disabled, const char *no_color_env, int term_colors);

/* Characters for boxes, meters and ellipses. */
struct glyphs {
	uint32_t hline, vline;         /* box lines */
	uint32_t bar_fill;             /* meter fill with colours */
	uint32_t sort_down, sort_up;   /* the sorted column's marker */
	uint32_t pointer;              /* the stack pane's selected frame */
	const char *ellipsis;          /* where text was cut */
};

/* The UTF-8 set, or the ASCII set. */
const struct glyphs *theme_glyphs(bool utf8);

#endif
