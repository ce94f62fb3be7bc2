/* screen: ncursesw setup, input, output and restore. */
#include "ui/screen.h"

#include <curses.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wchar.h>

#include "ui/keys.h"
#include "ui/theme.h"
#include "util/clock.h"

#define DOUBLE_CLICK_NS 400000000ull

static bool active;
static uint64_t last_press_ns;
static int last_x = -1, last_y = -1;
static bool use_color;
static volatile sig_atomic_t stop_signal;
static attr_t attrs[EL_COUNT];

static const int crash_signals[] = { SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL };
static volatile pid_t guarded_child;
static struct sigaction old_crash[sizeof(crash_signals) / sizeof(crash_signals[0])];
static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
static struct sigaction old_stop[sizeof(stop_signals) / sizeof(stop_signals[0])];

void screen_guard_child(pid_t pid)
{
	guarded_child = pid;
}

/* Stop the guarded program now, if it still runs (async-signal-safe). */
static void stop_child(void)
{
	pid_t pid = guarded_child;
	struct timespec ts = { 0, 20000000 };
	int i, status;

	if (pid <= 0)
		return;
	guarded_child = 0;
	/* Only async-signal-safe calls: kill, waitpid, nanosleep. */
	if (waitpid(pid, &status, WNOHANG) != 0)
		return;
	kill(pid, SIGTERM);
	for (i = 0; i < 50; i++) {
		if (waitpid(pid, &status, WNOHANG) != 0)
			return;
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

void screen_close(void)
{
	size_t i;

	if (!active)
		return;
	active = false;
	mousemask(0, NULL);
	curs_set(1);
	endwin();
	fflush(stdout);
	for (i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++)
		sigaction(stop_signals[i], &old_stop[i], NULL);
}

static void on_stop(int sig)
{
	stop_signal = sig;
}

/* A crash: the terminal first, then whatever handled the signal before us
 * (the default action, or a sanitizer's report). */
static void on_crash(int sig)
{
	size_t i;

	stop_child();
	if (active) {
		active = false;
		endwin();
	}
	for (i = 0; i < sizeof(crash_signals) / sizeof(crash_signals[0]); i++)
		if (crash_signals[i] == sig)
			sigaction(sig, &old_crash[i], NULL);
	raise(sig);
}

static void install_handlers(void)
{
	static bool once;
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop;
	for (i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++)
		sigaction(stop_signals[i], &sa, &old_stop[i]);
	if (once)
		return;
	once = true;
	atexit(screen_close);
	sa.sa_handler = on_crash;
	sa.sa_flags = SA_NODEFER;
	for (i = 0; i < sizeof(crash_signals) / sizeof(crash_signals[0]); i++)
		sigaction(crash_signals[i], &sa, &old_crash[i]);
}

static attr_t map_attrs(unsigned ta)
{
	attr_t a = A_NORMAL;

	if (ta & TA_BOLD)
		a |= A_BOLD;
	if (ta & TA_REVERSE)
		a |= A_REVERSE;
	if (ta & TA_DIM)
		a |= A_DIM;
	if (ta & TA_UNDERLINE)
		a |= A_UNDERLINE;
	return a;
}

static void setup_colors(void)
{
	unsigned e;

	if (use_color)
		use_default_colors();
	for (e = 0; e < EL_COUNT; e++) {
		const struct theme_style *s = theme_style(e);

		if (use_color && (int)e + 1 < COLOR_PAIRS) {
			init_pair((short)(e + 1), s->fg, s->bg);
			attrs[e] = COLOR_PAIR((int)e + 1) | map_attrs(s->attrs);
		} else {
			attrs[e] = map_attrs(s->mono);
		}
	}
}

bool screen_open(bool no_color, struct screen_info *info, char *err, size_t errcap)
{
	const char *cs;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		snprintf(err, errcap, "the live view needs a terminal (for a report use --batch)");
		return false;
	}
	setlocale(LC_ALL, "");
	cs = nl_langinfo(CODESET);
	info->utf8 = cs && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
	/* Esc should answer at once, not after a second. */
	if (!getenv("ESCDELAY"))
		set_escdelay(25);
	install_handlers();
	if (!initscr()) {
		snprintf(err, errcap, "cannot start the terminal (TERM=%s)", getenv("TERM") ? getenv("TERM") : "");
		return false;
	}
	active = true;
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	intrflush(stdscr, FALSE);
	leaveok(stdscr, FALSE);
	curs_set(0);
	mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON1_DOUBLE_CLICKED | BUTTON4_PRESSED
#ifdef BUTTON5_PRESSED
		  | BUTTON5_PRESSED
#endif
		  , NULL);
	mouseinterval(0);
	/* COLORS is known only after start_color(); but start_color() alone
	 * makes curses send colours (white on black for pair 0), so without
	 * colours it is never called: no colour attribute reaches the terminal. */
	if (theme_want_color(no_color, getenv("NO_COLOR"), 8) && has_colors() &&
	    start_color() == OK)
		use_color = theme_want_color(no_color, getenv("NO_COLOR"), COLORS);
	else
		use_color = false;
	setup_colors();
	info->color = use_color;
	info->w = COLS;
	info->h = LINES;
	return true;
}

void screen_read(int timeout_ms, struct screen_input *in)
{
	wint_t ch;
	int rc;

	memset(in, 0, sizeof(*in));
	timeout(timeout_ms);
	rc = get_wch(&ch);
	if (rc == ERR)
		return;
	if (rc == KEY_CODE_YES) {
		if (ch == KEY_RESIZE) {
			in->ev = SCREEN_RESIZE;
			in->w = COLS;
			in->h = LINES;
			return;
		}
		if (ch == KEY_MOUSE) {
			MEVENT m;

			if (getmouse(&m) != OK)
				return;
			in->ev = SCREEN_MOUSE;
			in->x = m.x;
			in->y = m.y;
			if (m.bstate & BUTTON4_PRESSED)
				in->button = 4;
#ifdef BUTTON5_PRESSED
			else if (m.bstate & BUTTON5_PRESSED)
				in->button = 5;
#endif
			else if (m.bstate & (BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON1_DOUBLE_CLICKED))
				in->button = 1;
			else
				in->ev = SCREEN_NONE;
			/* mouseinterval(0) gives presses at once (no click
			 * resolution delay); a second press on the same cell
			 * within DOUBLE_CLICK_NS is a double click. */
			if (in->button == 1) {
				uint64_t now = clock_now_ns();

				in->double_click = (m.bstate & BUTTON1_DOUBLE_CLICKED) ||
					(m.x == last_x && m.y == last_y && now - last_press_ns < DOUBLE_CLICK_NS);
				last_press_ns = in->double_click ? 0 : now;
				last_x = m.x;
				last_y = m.y;
			}
			return;
		}
		in->ev = SCREEN_KEY;
		in->key = KEYS_FN(ch);
		return;
	}
	in->ev = SCREEN_KEY;
	/* nonl(): Enter arrives as '\r'. */
	in->key = ch == '\r' ? '\n' : (uint32_t)ch;
}

void screen_draw(const struct canvas *c, int cx, int cy)
{
	wchar_t buf[1024];
	int x, y;

	if (!active)
		return;
	for (y = 0; y < c->h && y < LINES; y++) {
		x = 0;
		while (x < c->w && x < COLS) {
			uint8_t elem = c->cells[(size_t)y * (size_t)c->w + (size_t)x].elem;
			int start = x, n = 0;

			while (x < c->w && x < COLS && n < (int)(sizeof(buf) / sizeof(buf[0])) - 1) {
				const struct cell *cell = &c->cells[(size_t)y * (size_t)c->w + (size_t)x];

				if (cell->elem != elem)
					break;
				if (cell->ch != CANVAS_WIDE_TAIL)
					buf[n++] = (wchar_t)cell->ch;
				x++;
			}
			buf[n] = 0;
			attrset(elem < EL_COUNT ? attrs[elem] : A_NORMAL);
			/* The bottom-right cell cannot be written without a scroll on
			 * some terminals; curses reports ERR but draws the rest. */
			mvaddnwstr(y, start, buf, n);
		}
	}
	attrset(A_NORMAL);
	if (cx >= 0 && cy >= 0) {
		move(cy, cx);
		curs_set(1);
	} else {
		curs_set(0);
	}
	refresh();
}

void screen_invalidate(void)
{
	if (active)
		clearok(curscr, TRUE);
}

int screen_stop_signal(void)
{
	return stop_signal;
}
