# The full-screen live view (pytop -p PID): pure layers (utf8, canvas,
# theme, meter, columns, lineedit, keys, draw) under the view model, the
# actions and commands that change it, the tui that stacks and dispatches
# the views (src/ui/views/), and the loop with screen.c, the only one that
# calls curses.
libpytop_a_SOURCES += \
	src/ui/utf8.c src/ui/utf8.h \
	src/ui/canvas.c src/ui/canvas.h \
	src/ui/theme.c src/ui/theme.h \
	src/ui/meter.c src/ui/meter.h \
	src/ui/columns.c src/ui/columns.h \
	src/ui/lineedit.c src/ui/lineedit.h \
	src/ui/keys.c src/ui/keys.h \
	src/ui/cpustat.c src/ui/cpustat.h \
	src/ui/source.c src/ui/source.h \
	src/ui/tracer.c src/ui/tracer.h \
	src/ui/draw.c src/ui/draw.h \
	src/ui/model.c src/ui/model.h \
	src/ui/actions.c src/ui/actions.h \
	src/ui/gilview.c src/ui/gilview.h \
	src/ui/commands.c src/ui/commands.h \
	src/ui/prompt.c src/ui/prompt.h \
	src/ui/header.c src/ui/header.h \
	src/ui/statusbar.c src/ui/statusbar.h \
	src/ui/view.h \
	src/ui/tui.c src/ui/tui.h \
	src/ui/screen.c src/ui/screen.h \
	src/ui/loop.c src/ui/loop.h
