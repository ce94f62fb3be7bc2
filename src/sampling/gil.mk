# GIL: the GIL state reader, per-thread GIL classes, and gilstat (the
# high-rate sampled GIL statistics and the exact uprobe mode).
libpytop_a_SOURCES += \
	src/cpython/gil.c src/cpython/gil.h
libpytop_a_SOURCES += \
	src/sampling/gilclass.c src/sampling/gilclass.h
libpytop_a_SOURCES += \
	src/sampling/gilacct.c src/sampling/gilacct.h
libpytop_a_SOURCES += \
	src/target/uprobe.c src/target/uprobe.h
libpytop_a_SOURCES += \
	src/sampling/gilstat.c src/sampling/gilstat.h

check_PROGRAMS += tests/unit/test_gil
TESTS += tests/unit/test_gil
tests_unit_test_gil_SOURCES = tests/unit/test_gil.c tests/unit/records.c tests/unit/records.h tests/unit/tap.h \
	tests/unit/debug_offsets_3_13.h
tests_unit_test_gil_LDADD = $(PYTOP_LIBS)
tests_unit_test_gil_CFLAGS = $(AM_CFLAGS) $(NCURSES_CFLAGS)
