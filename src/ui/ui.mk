# The full-screen live view (pytop -p PID): pure layers (utf8, canvas,
# theme, meter, columns, lineedit, keys, commands) under the model and
# panes, and screen.c, the only one that calls curses.
libpytop_a_SOURCES += \
	src/ui/utf8.c src/ui/utf8.h \
	src/ui/canvas.c src/ui/canvas.h \
	src/ui/theme.c src/ui/theme.h \
	src/ui/meter.c src/ui/meter.h \
	src/ui/columns.c src/ui/columns.h \
	src/ui/lineedit.c src/ui/lineedit.h \
	src/ui/keys.c src/ui/keys.h \
	src/ui/commands.c src/ui/commands.h \
	src/ui/cpustat.c src/ui/cpustat.h \
	src/ui/source.c src/ui/source.h \
	src/ui/draw.c src/ui/draw.h \
	src/ui/detail.c src/ui/detail.h \
	src/ui/panes.c src/ui/panes.h \
	src/ui/gilview.c src/ui/gilview.h \
	src/ui/screen.c src/ui/screen.h \
	src/ui/tui.c src/ui/tui.h
