# The live view's views, one module each (listed in src/ui/tui.c's views
# table): main table, detail, help, gilstat.
libpytop_a_SOURCES += \
	src/ui/views/main.c src/ui/views/main.h \
	src/ui/views/detail.c src/ui/views/detail.h \
	src/ui/views/help.c src/ui/views/help.h \
	src/ui/views/gilstat.c src/ui/views/gilstat.h
