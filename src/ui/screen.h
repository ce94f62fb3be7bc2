/* screen: the terminal, and the only module that calls curses: setting it
 * up (cbreak, keypad, mouse, colours from the theme), reading keys with a
 * timeout, copying a canvas to it, resizing, and always putting it back:
 * on a normal exit (atexit), on SIGINT/SIGTERM/SIGHUP/SIGQUIT (a flag the loop
 * sees) and on a crash (SIGSEGV/SIGBUS/SIGABRT/SIGFPE: restore, then the
 * previous handler, so sanitizer reports and core dumps still happen). */
#ifndef PYTOP_UI_SCREEN_H
#define PYTOP_UI_SCREEN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "ui/canvas.h"

/* What screen_open() found out. */
struct screen_info {
	bool utf8;            /* the locale's charset is UTF-8 */
	bool color;           /* colours are on */
	int w, h;
};

/* Take over the terminal; colours unless no_color / NO_COLOR / a
 * monochrome terminal. Returns false (with a reason in err) when stdin or
 * stdout is not a terminal or curses cannot start. */
bool screen_open(bool no_color, struct screen_info *info, char *err, size_t errcap);

/* Give the terminal back (idempotent; safe when never opened). */
void screen_close(void);

/* An input event. */
enum screen_event {
	SCREEN_NONE = 0,      /* timeout */
	SCREEN_KEY,           /* key: a code point or KEYS_FN(code) */
	SCREEN_MOUSE,         /* x, y, button */
	SCREEN_RESIZE,        /* w, h */
};

struct screen_input {
	enum screen_event ev;
	uint32_t key;
	int x, y, button;     /* button: 1 left, 4 wheel up, 5 wheel down */
	bool double_click;
	int w, h;
};

/* Wait up to timeout_ms (0: just poll) for input. */
void screen_read(int timeout_ms, struct screen_input *in);

/* Copy the canvas to the terminal and show it; the cursor at (cx, cy), or
 * hidden when cx < 0. */
void screen_draw(const struct canvas *c, int cx, int cy);

/* Repaint everything on the next draw (Ctrl-L, after a resize). */
void screen_invalidate(void);

/* The signal that asked pytop to stop (SIGINT, SIGTERM, SIGHUP, SIGQUIT),
 * or 0. */
int screen_stop_signal(void);

/* The program pytop launched (0: none): a crash of pytop (SIGSEGV,
 * SIGABRT, SIGBUS, SIGFPE, SIGILL) stops it (SIGTERM, then SIGKILL after a
 * second) before pytop dies, so it is never left orphaned. */
void screen_guard_child(pid_t pid);

#endif
