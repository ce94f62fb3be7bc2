/* theme: the one colour scheme (dark background, htop-like) and the glyph
 * sets. */
#include "ui/theme.h"

#include <stddef.h>
#include <string.h>

static const struct theme_style scheme[EL_COUNT] = {
	[EL_DEFAULT]          = { "default",        TC_DEFAULT, TC_DEFAULT, 0, 0 },
	[EL_HEADER_LABEL]     = { "header-label",   TC_CYAN, TC_DEFAULT, 0, 0 },
	[EL_HEADER_VALUE]     = { "header-value",   TC_DEFAULT, TC_DEFAULT, TA_BOLD, TA_BOLD },
	[EL_HEADER_WARN]      = { "header-warn",    TC_YELLOW, TC_DEFAULT, TA_BOLD, TA_BOLD | TA_UNDERLINE },
	[EL_TARGET_RUNNING]   = { "target-running", TC_GREEN, TC_DEFAULT, TA_BOLD, TA_BOLD },
	[EL_BANNER_EXITED]    = { "banner-exited",  TC_WHITE, TC_RED, TA_BOLD, TA_REVERSE | TA_BOLD },
	[EL_BANNER_PAUSED]    = { "banner-paused",  TC_BLACK, TC_YELLOW, 0, TA_REVERSE },
	[EL_PANE_TITLE]       = { "pane-title",     TC_BLACK, TC_GREEN, 0, TA_REVERSE },
	[EL_PANE_TITLE_FOCUS] = { "pane-title-focus", TC_BLACK, TC_CYAN, TA_BOLD, TA_REVERSE | TA_BOLD },
	[EL_COLUMN_HEADER]    = { "column-header",  TC_BLACK, TC_GREEN, 0, TA_REVERSE },
	[EL_COLUMN_SORTED]    = { "column-sorted",  TC_BLACK, TC_CYAN, TA_BOLD, TA_REVERSE | TA_BOLD | TA_UNDERLINE },
	[EL_SELECTION]        = { "selection",      TC_BLACK, TC_CYAN, 0, TA_REVERSE },
	[EL_SELECTION_DIM]    = { "selection-dim",  TC_BLACK, TC_WHITE, 0, TA_UNDERLINE },
	[EL_PCT_HOT]          = { "pct-hot",        TC_RED, TC_DEFAULT, TA_BOLD, TA_BOLD },
	[EL_PCT_WARM]         = { "pct-warm",       TC_YELLOW, TC_DEFAULT, 0, 0 },
	[EL_PCT]              = { "pct",            TC_DEFAULT, TC_DEFAULT, 0, 0 },
	[EL_FUNC]             = { "func",           TC_DEFAULT, TC_DEFAULT, 0, 0 },
	[EL_FUNC_NATIVE]      = { "func-native",    TC_MAGENTA, TC_DEFAULT, 0, TA_UNDERLINE },
	[EL_LOCATION]         = { "location",       TC_CYAN, TC_DEFAULT, 0, 0 },
	[EL_DIM]              = { "dim",            TC_BLACK, TC_DEFAULT, TA_BOLD, TA_DIM },
	[EL_BAR_FRAME]        = { "bar-frame",      TC_DEFAULT, TC_DEFAULT, TA_BOLD, TA_BOLD },
	[EL_BAR_TEXT]         = { "bar-text",       TC_DEFAULT, TC_DEFAULT, 0, 0 },
	[EL_BAR_SHADOW]       = { "bar-shadow",     TC_BLACK, TC_DEFAULT, TA_BOLD, TA_DIM },
	[EL_BAR_RUNNING]      = { "bar-running",    TC_GREEN, TC_DEFAULT, 0, 0 },
	[EL_BAR_GIL_HOLD]     = { "bar-gil-hold",   TC_CYAN, TC_DEFAULT, 0, 0 },
	[EL_BAR_GIL_WAIT]     = { "bar-gil-wait",   TC_RED, TC_DEFAULT, 0, 0 },
	[EL_BAR_GIL_BLOCKED]  = { "bar-gil-blocked", TC_YELLOW, TC_DEFAULT, TA_BOLD, TA_BOLD | TA_UNDERLINE },
	[EL_BAR_NOGIL]        = { "bar-nogil",      TC_MAGENTA, TC_DEFAULT, 0, 0 },
	[EL_BAR_IDLE]         = { "bar-idle",       TC_BLUE, TC_DEFAULT, TA_BOLD, 0 },
	[EL_BAR_UNKNOWN]      = { "bar-unknown",    TC_YELLOW, TC_DEFAULT, 0, 0 },
	[EL_STATUS]           = { "status",         TC_DEFAULT, TC_DEFAULT, 0, 0 },
	[EL_STATUS_ERROR]     = { "status-error",   TC_RED, TC_DEFAULT, TA_BOLD, TA_BOLD },
	[EL_PROMPT]           = { "prompt",         TC_DEFAULT, TC_DEFAULT, TA_BOLD, TA_BOLD },
	[EL_FKEY_KEY]         = { "fkey-key",       TC_DEFAULT, TC_DEFAULT, 0, 0 },
	[EL_FKEY_LABEL]       = { "fkey-label",     TC_BLACK, TC_CYAN, 0, TA_REVERSE },
	[EL_SECTION]          = { "section",        TC_CYAN, TC_DEFAULT, TA_BOLD, TA_BOLD | TA_UNDERLINE },
	[EL_LINENO]           = { "lineno",         TC_YELLOW, TC_DEFAULT, 0, 0 },
	[EL_SOURCE]           = { "source",         TC_DEFAULT, TC_DEFAULT, 0, 0 },
	[EL_HELP_KEY]         = { "help-key",       TC_YELLOW, TC_DEFAULT, TA_BOLD, TA_BOLD },
	[EL_BORDER]           = { "border",         TC_CYAN, TC_DEFAULT, 0, 0 },
};

const struct theme_style *theme_style(unsigned elem)
{
	if (elem >= EL_COUNT || !scheme[elem].name)
		return &scheme[EL_DEFAULT];
	return &scheme[elem];
}

unsigned theme_find(const char *name)
{
	for (unsigned i = 0; name && i < EL_COUNT; i++)
		if (scheme[i].name && strcmp(scheme[i].name, name) == 0)
			return i;
	return EL_DEFAULT;
}

bool theme_want_color(bool disabled, const char *no_color_env, int term_colors)
{
	if (disabled)
		return false;
	if (no_color_env && *no_color_env)
		return false;
	return term_colors >= 8;
}

static const struct glyphs utf8_glyphs = {
	.hline = 0x2500,      /* ─ */
	.vline = 0x2502,      /* │ */
	.bar_fill = 0x2588,   /* █ */
	.sort_down = 0x25bc,  /* ▼ */
	.sort_up = 0x25b2,    /* ▲ */
	.pointer = 0x25b6,    /* ▶ */
	.ellipsis = "\xe2\x80\xa6",  /* … */
};

static const struct glyphs ascii_glyphs = {
	.hline = '-',
	.vline = '|',
	.bar_fill = '|',
	.sort_down = 'v',
	.sort_up = '^',
	.pointer = '>',
	.ellipsis = "~",
};

const struct glyphs *theme_glyphs(bool utf8)
{
	return utf8 ? &utf8_glyphs : &ascii_glyphs;
}
